#!/usr/bin/env bash
# Creates (or updates) the Python virtual environment the Python-driven tests run in: the browser tests
# (selenium), the Spark corpus test (pyspark), the Python package tests. Packages come from PyPI as listed
# in tests/venv/requirements.txt; torch is never needed here. Prints the venv's python path.
# Usage: scripts/test_venv.sh [VENV_DIR]   (default: .venv-test at the repo root; git-ignored)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-$root/.venv-test}"
requirements="$root/tests/venv/requirements.txt"
stamp="$venv/.requirements.sha256"

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
# Tests run in parallel (ctest -j) and each may call this: one creates and fills the venv while the
# others wait on the lock, then find it ready.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  [ -x "$venv/bin/pip" ] || python3 -m venv --clear "$venv" >&2
  echo "attnlab: installing test packages into $venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  echo "$want" > "$stamp"
fi
flock -u 9
echo "$venv/bin/python"
