# Warning and sanitizer settings, defined once and linked by every dbsplit target.
add_library(dbsplit_warnings INTERFACE)
target_compile_options(dbsplit_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow)
if(DBSPLIT_WERROR)
  target_compile_options(dbsplit_warnings INTERFACE -Werror)
endif()

add_library(dbsplit_sanitizers INTERFACE)
if(DBSPLIT_SANITIZE)
  target_compile_options(dbsplit_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(dbsplit_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
