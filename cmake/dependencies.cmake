# Third-party libraries, all from Debian packages (scripts/install_deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
# OpenBLAS's serial build when installed (Debian libopenblas-serial-dev): attnlab calls BLAS from
# its own thread pool, one thread per call, and the pthread build starts worker threads when the
# library loads, which under `ulimit -v` retry a failed mmap forever and keep exit() from returning.
set(ATTNLAB_OPENBLAS_SERIAL_PC /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-serial/pkgconfig)
if(EXISTS ${ATTNLAB_OPENBLAS_SERIAL_PC}/openblas.pc)
  set(ENV{PKG_CONFIG_PATH} "${ATTNLAB_OPENBLAS_SERIAL_PC}:$ENV{PKG_CONFIG_PATH}")
endif()
# Look again each time: a build dir configured before would keep the variant it found.
unset(__pkg_config_checked_OPENBLAS CACHE)
unset(pkgcfg_lib_OPENBLAS_openblas CACHE)
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)  # tokenizer.json regexes (src/text/regex.cpp)
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)
pkg_check_modules(PANGOCAIRO REQUIRED IMPORTED_TARGET pangocairo)  # figure text: shaping, font fallback
find_package(CURL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)  # sha256 of Hub downloads (libcrypto)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)  # tests only: the fake Hub and the HTTP clients of the server tests
if(ATTNLAB_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
