"""The end-to-end scripts' way of checking: one line per check, "ok" or "FAIL", and an exit status."""
import subprocess
import sys

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(cli, *args):
    return subprocess.run([cli, *args], capture_output=True)


def finish():
    """Exit status 1 when any check failed."""
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1 if failures else 0)
