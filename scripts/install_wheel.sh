#!/usr/bin/env bash
# Builds the Python package's wheel from the source tree (`pip wheel .`; scikit-build-core keeps its
# build directory, build-py/<wheel tag>, so a rebuild compiles only what changed) and installs it into
# the test venv (scripts/test_venv.sh: .venv-test). Prints the wheel's path.
# Usage: scripts/install_wheel.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="$("$root/scripts/test_venv.sh")"
wheelhouse="$root/build-py/wheelhouse"
rm -rf "$wheelhouse"
echo "attnlab: building the wheel (build-py/)" >&2
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" "$python" -m pip wheel --quiet --no-build-isolation \
  --no-deps --disable-pip-version-check -w "$wheelhouse" "$root" >&2
wheel="$(ls "$wheelhouse"/attnlab-*.whl)"
"$python" -m pip install --quiet --force-reinstall --no-deps --disable-pip-version-check "$wheel" >&2
echo "$wheel"
