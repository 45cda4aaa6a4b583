"""Shared paths and models of the Python package's tests (tests/python_pkg, ctest python_package).

Expected values come from the committed reference fixtures (tools/make_*_fixtures.py: PyTorch and
transformers), as in the C++ tests; the CLI (ATTNLAB_CLI) is the reference only where the issue
asks for equality with it (the notebook's printed rows, figures, viewer page, error messages)."""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
TINY = FIXTURES / "bert" / "tiny-random" / "model"
MINILM = ROOT / "models" / "all-MiniLM-L6-v2"


def load_fixture(relative):
    with open(FIXTURES / relative, encoding="utf-8") as f:
        return json.load(f)


def cli_path():
    path = os.environ.get("ATTNLAB_CLI", "")
    if not path or not os.access(path, os.X_OK):
        pytest.skip("ATTNLAB_CLI (the attnlab binary) not given")
    return path


def run_cli(*args, env=None, check=True):
    """The CLI's stdout, stderr and exit code for `attnlab args...`."""
    proc = subprocess.run([cli_path(), *map(str, args)], capture_output=True, env=env, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"attnlab {args} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout, proc.stderr.decode("utf-8", errors="replace"), proc.returncode


@pytest.fixture(scope="session")
def tiny():
    import attnlab

    return attnlab.Model(str(TINY))


@pytest.fixture(scope="session")
def minilm():
    import attnlab

    if not (MINILM / "model.safetensors").exists():
        pytest.skip(f"{MINILM} missing: run `make model`")
    return attnlab.Model(str(MINILM))


def offline_env(tmp_path):
    """The environment in which the default model (bert-base-uncased) cannot be had, so the offline
    MiniLM replaces it: an empty Hub cache, no network."""
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(tmp_path / "hub-cache"), HF_HOME=str(tmp_path / "hf-home"),
               ATTNLAB_OFFLINE_MODEL=str(MINILM))
    return env
