# The man pages and the bash completion, made at build time from what they describe, so that
# they cannot drift from it:
#   clevertim-sync.1        `clevertim-sync --man-page` (daemon/man_page.cpp walks the CLI11
#                           command line, the same one --help prints)
#   clevertim-sync.toml.5   config_man_page.py over config/clevertim-sync.toml.example
#   bash completion         `clevertim-sync --bash-completion` (daemon/bash_completion.cpp)
# Each is installed gzipped (-9n: no time stamp, as lintian wants) where Debian looks for it.
# tests/package/ checks that every command, flag and key appears in them.

find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(_ref ${PROJECT_BINARY_DIR}/reference)
set(_run ${CMAKE_CURRENT_LIST_DIR}/run_to_file.cmake)
add_custom_command(
  OUTPUT ${_ref}/clevertim-sync.1
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${_ref}/clevertim-sync.1
          "-DCOMMAND=$<TARGET_FILE:clevertim-sync>;--man-page" -P ${_run}
  DEPENDS clevertim-sync ${_run}
  COMMENT "Writing the man page clevertim-sync(1) from the command line"
  VERBATIM)
add_custom_command(
  OUTPUT ${_ref}/clevertim-sync
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${_ref}/clevertim-sync
          "-DCOMMAND=$<TARGET_FILE:clevertim-sync>;--bash-completion" -P ${_run}
  DEPENDS clevertim-sync ${_run}
  COMMENT "Writing the bash completion from the command line"
  VERBATIM)
add_custom_command(
  OUTPUT ${_ref}/clevertim-sync.toml.5
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_ref}
  COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/config_man_page.py
          ${PROJECT_SOURCE_DIR}/config/clevertim-sync.toml.example ${PROJECT_VERSION}
          ${_ref}/clevertim-sync.toml.5
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/config_man_page.py
          ${PROJECT_SOURCE_DIR}/config/clevertim-sync.toml.example
  COMMENT "Writing the man page clevertim-sync.toml(5) from the example configuration"
  VERBATIM)
foreach(_page clevertim-sync.1 clevertim-sync.toml.5)
  add_custom_command(
    OUTPUT ${_ref}/${_page}.gz
    COMMAND gzip -9nf -k ${_ref}/${_page}
    DEPENDS ${_ref}/${_page}
    VERBATIM)
endforeach()
add_custom_target(clevertim-reference ALL
  DEPENDS ${_ref}/clevertim-sync.1.gz ${_ref}/clevertim-sync.toml.5.gz ${_ref}/clevertim-sync)

install(FILES ${_ref}/clevertim-sync.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${_ref}/clevertim-sync.toml.5.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${_ref}/clevertim-sync
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
