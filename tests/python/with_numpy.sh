#!/usr/bin/env bash
# Runs a Python script with the first interpreter that has numpy: python3 on PATH, the system's
# /usr/bin/python3 (Debian's python3-numpy, installed by scripts/install_deps.sh), then tools/.venv.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
for py in python3 /usr/bin/python3 "$root/tools/.venv/bin/python"; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c "import numpy" >/dev/null 2>&1; then exec "$py" "$@"; fi
done
echo "with_numpy.sh: no Python with numpy; install python3-numpy (scripts/install_deps.sh)" >&2
exit 1
