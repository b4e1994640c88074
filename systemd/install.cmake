# systemd units: the daemon (clevertim-sync.service), the one-cycle service with its timer
# (clevertim-sync-once.service + .timer), the daily backup (clevertim-sync-backup.service +
# .timer) and the daemon for one of several accounts (clevertim-sync@.service). Included at
# the end of the top-level CMakeLists.txt, after GNUInstallDirs and the clevertim-sync target.
#
#   <build>/systemd/                  the units as installed (FHS paths from GNUInstallDirs)
#   <build>/systemd/test/             the same units, ExecStart= pointing at the build's own
#                                     binary, for tests/systemd/check_units.sh
#   /lib/systemd/system/              where `cmake --install` puts them with the prefix /usr;
#                                     <prefix>/lib/systemd/system/ with another
#                                     (CLEVERTIM_SYSTEMD_UNITDIR; relative to the prefix)
#
# The example configuration is installed by config/CMakeLists.txt.

include(GNUInstallDirs)

# Debian 12 ships units in /lib/systemd/system (not /usr/lib: files must not move between the
# two during its usr-merge transition), so the package's prefix /usr puts them there.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_clevertim_sd_default_dir /lib/systemd/system)
else()
  set(_clevertim_sd_default_dir lib/systemd/system)
endif()
set(CLEVERTIM_SYSTEMD_UNITDIR ${_clevertim_sd_default_dir} CACHE STRING
    "Where to install the systemd units (relative: below CMAKE_INSTALL_PREFIX)")

set(_clevertim_sd_src ${CMAKE_CURRENT_LIST_DIR})
set(_clevertim_sd_out ${PROJECT_BINARY_DIR}/systemd)
set(_clevertim_sd_units clevertim-sync.service clevertim-sync-once.service
    clevertim-sync-backup.service clevertim-sync@.service)
set(_clevertim_sd_timers clevertim-sync-once.timer clevertim-sync-backup.timer)

foreach(_unit IN LISTS _clevertim_sd_units)
  configure_file(${_clevertim_sd_src}/${_unit}.in ${_clevertim_sd_out}/${_unit} @ONLY)
endforeach()
foreach(_timer IN LISTS _clevertim_sd_timers)
  configure_file(${_clevertim_sd_src}/${_timer} ${_clevertim_sd_out}/${_timer} COPYONLY)
endforeach()

list(TRANSFORM _clevertim_sd_units PREPEND ${_clevertim_sd_out}/ OUTPUT_VARIABLE _files)
list(TRANSFORM _clevertim_sd_timers PREPEND ${_clevertim_sd_out}/ OUTPUT_VARIABLE _timer_files)
install(FILES ${_files} ${_timer_files} DESTINATION ${CLEVERTIM_SYSTEMD_UNITDIR})

# The test copies: identical but for ExecStart='s binary (also inside the backup's `sh -c`),
# which `systemd-analyze verify` requires to exist. The path is a generator expression, hence
# file(GENERATE); the rest is substituted here like configure_file does.
if(TARGET clevertim-sync)
  foreach(_unit IN LISTS _clevertim_sd_units)
    set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                 ${_clevertim_sd_src}/${_unit}.in)
    file(READ ${_clevertim_sd_src}/${_unit}.in _text)
    string(REGEX REPLACE "(\nExecStart=[^\n]*)@CMAKE_INSTALL_FULL_BINDIR@/clevertim-sync "
                         "\\1$<TARGET_FILE:clevertim-sync> " _text "${_text}")
    string(CONFIGURE "${_text}" _text @ONLY)
    file(GENERATE OUTPUT ${_clevertim_sd_out}/test/${_unit} CONTENT "${_text}")
  endforeach()
  foreach(_timer IN LISTS _clevertim_sd_timers)
    configure_file(${_clevertim_sd_src}/${_timer} ${_clevertim_sd_out}/test/${_timer} COPYONLY)
  endforeach()
endif()
