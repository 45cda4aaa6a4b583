#!/usr/bin/env bash
# Installs the Debian packages attnlab builds and tests with, only those that are missing.
# Runs apt-get as root, through sudo otherwise. Called by the Makefile; safe to rerun.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  nlohmann-json3-dev libcli11-dev libutf8proc-dev
  libpcre2-dev  # tokenizer.json regexes (src/text/regex.cpp): PCRE2 with its JIT
  libcairo2-dev libpango1.0-dev fonts-dejavu-core
  libcurl4-openssl-dev libcpp-httplib-dev zlib1g-dev
  libopenblas-dev libopenblas-serial-dev  # the serial build: no BLAS worker threads (cmake/dependencies.cmake)
  libssl-dev  # libcrypto: sha256 of Hub downloads
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  poppler-utils python3 python3-pip python3-venv python3-numpy unzip
  qemu-user  # runs the test binary on a CPU model without AVX (ctest isa_cpu_without_avx)
  chromium chromium-driver  # the browser tests (ctest -L browser) drive headless chromium
  openjdk-17-jre-headless  # Java for pyspark in ctest corpus_spark (examples/spark_head_stats.py)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "attnlab: installing missing packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
