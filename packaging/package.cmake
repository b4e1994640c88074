# The Debian package, made by CPack's DEB generator from this build's `cmake --install`:
#   cmake --build build --target package     ->  build/clevertim-sync_<version>_<arch>.deb
# Why CPack and not a debian/ directory with dpkg-buildpackage: the package is the project's
# own install rules (the same that tests/package/ installs into a staging directory), built
# from the tree CI already built, in seconds, without a second build or debhelper's tree of
# files to keep in step with CMake. Debian's dependencies are computed by dpkg-shlibdeps
# (CPACK_DEBIAN_PACKAGE_SHLIBDEPS). The emulator has no install rule: it is not packaged.
# Included at the end of the top-level CMakeLists.txt.

set(_pkg ${CMAKE_CURRENT_LIST_DIR})
set(_pkg_out ${PROJECT_BINARY_DIR}/packaging)
set(_docdir ${CMAKE_INSTALL_DATADIR}/doc/clevertim-sync)

# Documentation: Debian wants the copyright file as is and the rest compressed (gzip -9n).
add_custom_command(
  OUTPUT ${_pkg_out}/changelog.gz ${_pkg_out}/README.md.gz ${_pkg_out}/MIRROR.md.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_pkg_out}
  COMMAND sh -c "gzip -9nc < \"$1\" > changelog.gz && gzip -9nc < \"$2\" > README.md.gz && gzip -9nc < \"$3\" > MIRROR.md.gz"
          sh ${_pkg}/changelog ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/MIRROR.md
  WORKING_DIRECTORY ${_pkg_out}
  DEPENDS ${_pkg}/changelog ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/MIRROR.md
  VERBATIM)
add_custom_target(clevertim-package-docs ALL
  DEPENDS ${_pkg_out}/changelog.gz ${_pkg_out}/README.md.gz ${_pkg_out}/MIRROR.md.gz)
install(FILES ${_pkg}/copyright ${_pkg_out}/changelog.gz ${_pkg_out}/README.md.gz
              ${_pkg_out}/MIRROR.md.gz
        DESTINATION ${_docdir})

# The control archive: the conffile and the maintainer scripts.
configure_file(${_pkg}/conffiles.in ${_pkg_out}/control/conffiles @ONLY)
foreach(_script postinst prerm postrm)
  configure_file(${_pkg}/${_script} ${_pkg_out}/control/${_script} COPYONLY)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME clevertim-sync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT
    "clevertim-sync maintainers <maintainers@users.noreply.r-seed-dcc83699.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "two-way sync of a Clevertim CRM account with SQLite")
set(CPACK_PACKAGE_DESCRIPTION
    "clevertim-sync keeps a local SQLite file and a Clevertim CRM account in
step, both ways. It pulls every collection of the account every few
minutes, keeping every earlier version, and sends plain SQL writes to the
file back to the CRM, merging changes made on both sides field by field.
The file serves reports and is the account's backup.

This package holds the program, its systemd units (a daemon, a sync timer,
a daily backup timer and a template for several accounts) and its
configuration.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://www.clevertim.com")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS sqlite3)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_pkg_out}/control/conffiles ${_pkg_out}/control/postinst ${_pkg_out}/control/prerm
    ${_pkg_out}/control/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR})
include(CPack)
