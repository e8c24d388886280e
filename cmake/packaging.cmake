# The Debian package (CPack's DEB generator): `cpack -G DEB` in a build tree, after the build,
# makes tsunagu_VERSION-1_ARCH.deb.  The programs install to bin (their own CMakeLists); this file
# adds what the package carries beside them:
#   /usr/lib/systemd/system   the units of deploy/ (Debian 12 has /lib on /usr: one folder)
#   /etc/tsunagu              0750 root, group tsunagu from postinst; one conffile, the template of
#                             the per-agency files the agency unit reads (agency.env.example)
#   /usr/share/doc/tsunagu    README.md, docs/, proto/ and deploy/ in the tree's own layout (so the
#                             documents' relative links hold), and README.Debian
# The tsunagu user, /var/lib/tsunagu and /var/lib/tsunagu-agency are made by postinst
# (packaging/deb/), never shipped: a stored file or a key must not belong to the package.
# Depends is worked out by dpkg-shlibdeps from the binaries (dpkg-dev), plus adduser for postinst.
# tests/package/ builds the package from the build tree and checks all of this.
include(GNUInstallDirs)

set(TSUNAGU_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
  "where the systemd units install, relative to the prefix (/usr in the package)")
set(TSUNAGU_PACKAGE_MAINTAINER "tsunagu maintainers <tsunagu@example.lg.jp>" CACHE STRING
  "the Maintainer field of the Debian package (-DTSUNAGU_PACKAGE_MAINTAINER='NAME <MAIL>')")

# Every unit of deploy/ (the two daemons' and any timer beside them); none is enabled by the package.
file(GLOB TSUNAGU_UNITS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/deploy/*.service
     ${CMAKE_SOURCE_DIR}/deploy/*.timer)
install(FILES ${TSUNAGU_UNITS} DESTINATION ${TSUNAGU_SYSTEMD_UNIT_DIR})

# Absolute: the package's /etc, whatever the prefix.  The folder's mode is the package's; postinst
# gives it the group tsunagu (the daemons read an agency's file, only root writes).
install(DIRECTORY DESTINATION /etc/tsunagu DIRECTORY_PERMISSIONS
        OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/deb/agency.env.example DESTINATION /etc/tsunagu)

set(TSUNAGU_DOC ${CMAKE_INSTALL_DATAROOTDIR}/doc/tsunagu)
file(GLOB TSUNAGU_DOC_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md ${CMAKE_SOURCE_DIR}/docs/*.yaml)
file(GLOB TSUNAGU_DOC_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/examples/*)
file(GLOB TSUNAGU_PROTO_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/proto/*.proto)
file(GLOB TSUNAGU_DEPLOY_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/deploy/examples/*)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/packaging/deb/README.Debian
        DESTINATION ${TSUNAGU_DOC})
install(FILES ${TSUNAGU_DOC_FILES} DESTINATION ${TSUNAGU_DOC}/docs)
install(FILES ${TSUNAGU_DOC_EXAMPLES} DESTINATION ${TSUNAGU_DOC}/docs/examples)
install(FILES ${CMAKE_SOURCE_DIR}/proto/README.md ${TSUNAGU_PROTO_FILES} DESTINATION ${TSUNAGU_DOC}/proto)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/README.md DESTINATION ${TSUNAGU_DOC}/deploy)
install(FILES ${TSUNAGU_DEPLOY_EXAMPLES} DESTINATION ${TSUNAGU_DOC}/deploy/examples)

# Debian wants a changelog in every non-native package: one entry for this build, compressed
# reproducibly (gzip -9n, as dh_compress does), and a lintian override for /etc/tsunagu's 0750.
find_program(TSUNAGU_GZIP gzip)
if(TSUNAGU_GZIP)
  string(TIMESTAMP TSUNAGU_PACKAGE_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
  set(TSUNAGU_CHANGELOG ${CMAKE_BINARY_DIR}/packaging/changelog.Debian)
  file(WRITE ${TSUNAGU_CHANGELOG}
    "tsunagu (${PROJECT_VERSION}-1) unstable; urgency=medium\n\n"
    "  * Built from the source tree with cpack -G DEB (cmake/packaging.cmake).\n\n"
    " -- ${TSUNAGU_PACKAGE_MAINTAINER}  ${TSUNAGU_PACKAGE_DATE}\n")
  execute_process(COMMAND ${TSUNAGU_GZIP} -9nc ${TSUNAGU_CHANGELOG}
    OUTPUT_FILE ${TSUNAGU_CHANGELOG}.gz)
  install(FILES ${TSUNAGU_CHANGELOG}.gz DESTINATION ${TSUNAGU_DOC})
endif()
install(FILES ${CMAKE_SOURCE_DIR}/packaging/deb/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides RENAME tsunagu)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tsunagu)
set(CPACK_PACKAGE_VENDOR tsunagu)
set(CPACK_PACKAGE_CONTACT ${TSUNAGU_PACKAGE_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "referrals between municipal support agencies (多機関協働), encrypted end to end")
# The extended description (CPack puts the summary above it and indents every line).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "tsunagu carries referrals, case events and consents between a
municipality's support agencies (地域包括支援センター, 相談支援事業所,
こども家庭センター, 自立相談支援機関) through a coordinator that stores and
forwards sealed letters it cannot open.

This package holds the coordinator (tsunagu-coordinator), the four agency
daemons (tsunagu-eldercare, -disability, -child, -poverty), the administrator's
command line (tsunaguctl), the spreadsheet import (tsunagu-import) and their
systemd units. /usr/share/doc/tsunagu/deploy/README.md walks through a first
installation.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/packaging/deb/conffiles ${CMAKE_SOURCE_DIR}/packaging/deb/postinst
  ${CMAKE_SOURCE_DIR}/packaging/deb/prerm ${CMAKE_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
