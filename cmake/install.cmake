# `cmake --install build --prefix P` (`make install PREFIX=P`): the library, the CLI, the public headers, the
# offline model when fetched, and a CMake package, so another project can `find_package(attnlab)` and link
# attnlab::attnlab (examples/consumer/ does; tests/install/ builds it against a fresh install).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ATTNLAB_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/attnlab)

# CMake exports a static library with every target it links, even privately, so the two interface targets
# go into the export set too: attnlab_numerics (-ffp-contract=off, public) and attnlab_warnings (link-only,
# so consumers never get its flags).
install(TARGETS attnlab attnlab_numerics attnlab_warnings EXPORT attnlabTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS attnlab_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/attnlab DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_BINARY_DIR}/generated/attnlab/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/attnlab)
# Where an installed bin/attnlab looks for its offline model (io/model_locator.cpp): ../share/attnlab/models/.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/all-MiniLM-L6-v2 DESTINATION ${CMAKE_INSTALL_DATADIR}/attnlab/models
        OPTIONAL)

# A sanitizer build's archive calls the sanitizer runtimes: an installed consumer must link them.
if(ATTNLAB_SANITIZE)
  target_link_options(attnlab INTERFACE $<INSTALL_INTERFACE:-fsanitize=${ATTNLAB_SANITIZE}>)
endif()

install(EXPORT attnlabTargets NAMESPACE attnlab:: DESTINATION ${ATTNLAB_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/attnlabConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/attnlabConfig.cmake INSTALL_DESTINATION ${ATTNLAB_INSTALL_CMAKEDIR})
# 0.x: a minor version may change the API, so only the same major.minor is compatible.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/attnlabConfigVersion.cmake VERSION ${PROJECT_VERSION}
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/attnlabConfig.cmake ${CMAKE_BINARY_DIR}/attnlabConfigVersion.cmake
        DESTINATION ${ATTNLAB_INSTALL_CMAKEDIR})
