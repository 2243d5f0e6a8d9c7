# Build speed. Two mechanisms that do not mix well, so exactly one is used:
#  - ccache, when installed (developer machines, several checkouts): objects are shared
#    between checkouts and rebuilds. CCACHE_BASEDIR makes paths relative so two checkouts
#    hit the same entries.
#  - otherwise precompiled headers for the heavy third-party headers (a fresh CI clone,
#    where a cold ccache would buy nothing). GCC's .gch files are not reproducible, so with
#    ccache they would turn every hit into a miss.
# DBSPLIT_BUILD_CACHE=ccache|pch|none overrides the choice.
find_program(DBSPLIT_CCACHE_PROGRAM ccache)
if(DBSPLIT_CCACHE_PROGRAM)
  set(_dbsplit_default_cache ccache)
else()
  set(_dbsplit_default_cache pch)
endif()
set(DBSPLIT_BUILD_CACHE "${_dbsplit_default_cache}" CACHE STRING "ccache, pch or none")
set_property(CACHE DBSPLIT_BUILD_CACHE PROPERTY STRINGS ccache pch none)

if(DBSPLIT_BUILD_CACHE STREQUAL "ccache")
  if(NOT DBSPLIT_CCACHE_PROGRAM)
    message(FATAL_ERROR "DBSPLIT_BUILD_CACHE=ccache but ccache is not installed")
  endif()
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${CMAKE_SOURCE_DIR} CCACHE_NOHASHDIR=1
      ${DBSPLIT_CCACHE_PROGRAM})
  set(CMAKE_C_COMPILER_LAUNCHER ${CMAKE_CXX_COMPILER_LAUNCHER})
endif()
message(STATUS "dbsplit build cache: ${DBSPLIT_BUILD_CACHE}")

# Heavy headers almost every translation unit includes.
function(dbsplit_precompile_headers target)
  if(DBSPLIT_BUILD_CACHE STREQUAL "pch")
    target_precompile_headers(${target} PRIVATE
      <string> <vector> <map> <set> <memory> <optional> <functional> <algorithm>
      <pqxx/pqxx> <nlohmann/json.hpp> <fmt/format.h> ${ARGN})
  endif()
endfunction()

# A target compiled with the same flags as `from` reuses its precompiled headers.
function(dbsplit_reuse_precompiled_headers target from)
  if(DBSPLIT_BUILD_CACHE STREQUAL "pch")
    target_precompile_headers(${target} REUSE_FROM ${from})
  endif()
endfunction()
