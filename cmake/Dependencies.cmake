# Every third-party dependency of dbsplit, found once, each with a minimum version.
# All of them come from Debian 12 packages (see scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# libpqxx 6.4, cpp-httplib and cnats through pkg-config: the packaged cnats CMake
# config references files Debian does not ship.
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx>=6.4)
# libpq itself for the streaming replication protocol and for serve's pipeline mode
# (asynchronous, several statements on the wire), neither of which libpqxx speaks.
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq>=15)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib>=0.11)
pkg_check_modules(NATS REQUIRED IMPORTED_TARGET libnats>=3.3)
pkg_check_modules(IGRAPH REQUIRED IMPORTED_TARGET igraph>=0.10)

find_package(CLI11 2.1 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt 9 REQUIRED)
# SHA-256 of the schema fingerprint (libcrypto).
find_package(OpenSSL 1.1 REQUIRED)
if(DBSPLIT_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)
endif()

# The Node.js HTTP/1.1 parser (Debian libhttp-parser-dev) reads serve's requests; it
# ships no CMake or pkg-config file either.
find_library(HTTP_PARSER_LIBRARY NAMES http_parser REQUIRED)
find_path(HTTP_PARSER_INCLUDE_DIR NAMES http_parser.h REQUIRED)
add_library(http_parser::http_parser UNKNOWN IMPORTED)
set_target_properties(http_parser::http_parser PROPERTIES
  IMPORTED_LOCATION "${HTTP_PARSER_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${HTTP_PARSER_INCLUDE_DIR}")

# libpg_query (the real PostgreSQL parser) ships no CMake or pkg-config file.
find_library(PG_QUERY_LIBRARY NAMES pg_query REQUIRED)
find_path(PG_QUERY_INCLUDE_DIR NAMES pg_query.h REQUIRED)
add_library(pg_query::pg_query UNKNOWN IMPORTED)
set_target_properties(pg_query::pg_query PROPERTIES
  IMPORTED_LOCATION "${PG_QUERY_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${PG_QUERY_INCLUDE_DIR}")
