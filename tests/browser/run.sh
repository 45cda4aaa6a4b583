#!/usr/bin/env bash
# ctest entry for one browser test case: the test venv's Python (scripts/test_venv.sh, which installs selenium
# from tests/venv/requirements.txt on first use) runs tests/browser/test_viewer.py, or test_serve.py for CASE serve.
# The case's screenshots go to SCREENSHOT_DIR (ctest: the build directory's screenshots/; none when not given);
# scripts/update_screenshots.sh passes docs/screenshots/ to refresh the README's pictures.
# Usage: run.sh ATTNLAB_CLI MODEL_DIR CASE [SCREENSHOT_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "skipped: chromium / chromium-driver not installed (scripts/install_deps.sh installs them)"
  exit 77
fi
python="$("$here/../../scripts/test_venv.sh")"
screenshots=()
if [ -n "${4:-}" ]; then screenshots=(--screenshots "$4"); fi
if [ "$3" = serve ]; then  # attnlab serve's web app (tests/browser/test_serve.py)
  exec "$python" "$here/test_serve.py" --cli "$1" --model "$2" "${screenshots[@]}"
fi
exec "$python" "$here/test_viewer.py" --cli "$1" --model "$2" "${screenshots[@]}" "$3"
