#!/usr/bin/env bash
# ctest python_package: the wheel built from the source tree and installed into the test venv
# (scripts/install_wheel.sh, .venv-test), then this directory's pytest suite against it.
# Usage: tests/python_pkg/run_tests.sh ATTNLAB_CLI [pytest args...]
set -euo pipefail
cli="$1"
shift
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="$("$root/scripts/test_venv.sh")"
wheel="$("$root/scripts/install_wheel.sh")"
cd "$root/tests/python_pkg"
ATTNLAB_CLI="$cli" ATTNLAB_WHEEL="$wheel" exec "$python" -m pytest -p no:cacheprovider -q "$@" .
