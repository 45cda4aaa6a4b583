#!/usr/bin/env bash
# ctest python_package: `pip wheel .` from the source tree (scikit-build-core keeps its build directory,
# build-py/<wheel tag>, so a rebuild compiles only what changed), that wheel installed into the test venv
# (scripts/test_venv.sh: .venv-test), then this directory's pytest suite against it.
# Usage: tests/python_pkg/run_tests.sh ATTNLAB_CLI [pytest args...]
set -euo pipefail
cli="$1"
shift
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="$("$root/scripts/test_venv.sh")"
wheelhouse="$root/build-py/wheelhouse"
rm -rf "$wheelhouse"
echo "attnlab: building the wheel (build-py/)" >&2
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" "$python" -m pip wheel --quiet --no-build-isolation \
  --no-deps --disable-pip-version-check -w "$wheelhouse" "$root"
wheel="$(ls "$wheelhouse"/attnlab-*.whl)"
"$python" -m pip install --quiet --force-reinstall --no-deps --disable-pip-version-check "$wheel"
cd "$root/tests/python_pkg"
ATTNLAB_CLI="$cli" ATTNLAB_WHEEL="$wheel" exec "$python" -m pytest -p no:cacheprovider -q "$@" .
