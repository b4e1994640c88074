# systemd units: the daemon (clevertim-sync.service) and the one-cycle service with its timer
# (clevertim-sync-once.service + .timer). Included at the end of the top-level CMakeLists.txt,
# after GNUInstallDirs and the clevertim-sync target.
#
#   <build>/systemd/                  the units as installed (FHS paths from GNUInstallDirs)
#   <build>/systemd/test/             the same units, ExecStart= pointing at the build's own
#                                     binary, for tests/systemd/check_units.sh
#   <prefix>/lib/systemd/system/      where `cmake --install` puts them
#                                     (CLEVERTIM_SYSTEMD_UNITDIR; relative to the prefix)
#
# The example configuration is installed by config/CMakeLists.txt.

include(GNUInstallDirs)

set(CLEVERTIM_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "Where to install the systemd units (relative: below CMAKE_INSTALL_PREFIX)")

set(_clevertim_sd_src ${CMAKE_CURRENT_LIST_DIR})
set(_clevertim_sd_out ${PROJECT_BINARY_DIR}/systemd)
set(_clevertim_sd_units clevertim-sync.service clevertim-sync-once.service)

foreach(_unit IN LISTS _clevertim_sd_units)
  configure_file(${_clevertim_sd_src}/${_unit}.in ${_clevertim_sd_out}/${_unit} @ONLY)
endforeach()
configure_file(${_clevertim_sd_src}/clevertim-sync-once.timer
               ${_clevertim_sd_out}/clevertim-sync-once.timer COPYONLY)

install(FILES
          ${_clevertim_sd_out}/clevertim-sync.service
          ${_clevertim_sd_out}/clevertim-sync-once.service
          ${_clevertim_sd_out}/clevertim-sync-once.timer
        DESTINATION ${CLEVERTIM_SYSTEMD_UNITDIR})

# The test copies: identical but for ExecStart='s binary, which `systemd-analyze verify`
# requires to exist. The path is a generator expression, hence file(GENERATE); the rest is
# substituted here like configure_file does.
if(TARGET clevertim-sync)
  foreach(_unit IN LISTS _clevertim_sd_units)
    set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                 ${_clevertim_sd_src}/${_unit}.in)
    file(READ ${_clevertim_sd_src}/${_unit}.in _text)
    string(REPLACE "ExecStart=@CMAKE_INSTALL_FULL_BINDIR@/clevertim-sync "
                   "ExecStart=$<TARGET_FILE:clevertim-sync> " _text "${_text}")
    string(CONFIGURE "${_text}" _text @ONLY)
    file(GENERATE OUTPUT ${_clevertim_sd_out}/test/${_unit} CONTENT "${_text}")
  endforeach()
  configure_file(${_clevertim_sd_src}/clevertim-sync-once.timer
                 ${_clevertim_sd_out}/test/clevertim-sync-once.timer COPYONLY)
endif()
