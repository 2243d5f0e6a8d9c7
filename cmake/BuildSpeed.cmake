# Build speed. Measured on this code (user CPU seconds per translation unit, GCC 12):
# full debug info (-g) costs ~30% of every compile, line tables only (-g1) almost nothing
# over none; precompiled headers for pqxx/json/fmt/catch2 did not help (a fresh build took
# 13m07s CPU with them, 12m14s without), so they are not used.
#  - ccache, when installed (developer machines, several checkouts): objects are shared
#    between checkouts and rebuilds; CCACHE_BASEDIR makes paths relative so two checkouts
#    hit the same entries. DBSPLIT_CCACHE=OFF turns it off.

find_program(DBSPLIT_CCACHE_PROGRAM ccache)
option(DBSPLIT_CCACHE "Compile through ccache when it is installed" ON)
if(DBSPLIT_CCACHE AND DBSPLIT_CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${CMAKE_SOURCE_DIR} CCACHE_NOHASHDIR=1
      ${DBSPLIT_CCACHE_PROGRAM})
  set(CMAKE_C_COMPILER_LAUNCHER ${CMAKE_CXX_COMPILER_LAUNCHER})
  message(STATUS "dbsplit: compiling through ccache")
endif()

# Test code: -O1 would be enough and compiles ~25% faster than -O2 (not switched on yet).
add_library(dbsplit_test_speed INTERFACE)
