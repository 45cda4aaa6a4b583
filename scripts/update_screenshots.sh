#!/usr/bin/env bash
# Refreshes docs/screenshots/ (the README's pictures of the viewer) from the browser tests: every case runs
# as under ctest, but writes its screenshots there instead of the build directory. Commit the result only
# when the pictures should change.
# Usage: scripts/update_screenshots.sh [ATTNLAB_CLI]   (default build/attnlab)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cli="${1:-$root/build/attnlab}"
for case in toy single pair long compare serve; do
  "$root/tests/browser/run.sh" "$cli" "$root/models/all-MiniLM-L6-v2" "$case" "$root/docs/screenshots"
done
