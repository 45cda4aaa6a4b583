# Third-party libraries, all from Debian packages (scripts/install_deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)
pkg_check_modules(PANGOCAIRO REQUIRED IMPORTED_TARGET pangocairo)  # figure text: shaping, font fallback
find_package(CURL REQUIRED)
find_package(ZLIB REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)  # test server for the downloader
if(ATTNLAB_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
