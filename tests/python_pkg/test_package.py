"""The wheel `pip wheel .` built (ATTNLAB_WHEEL, installed for this run): what it holds, which system
libraries its module needs (each listed in README's Python section), and a build without -march=native."""
import json
import os
import pathlib
import subprocess
import zipfile

import pytest

import attnlab
from conftest import ROOT


def wheel_path():
    path = os.environ.get("ATTNLAB_WHEEL", "")
    if not path:
        pytest.skip("ATTNLAB_WHEEL not given")
    return pathlib.Path(path)


def test_wheel_holds_the_package_only():
    names = zipfile.ZipFile(wheel_path()).namelist()
    package = sorted(n for n in names if not n.startswith("attnlab-"))
    assert "attnlab/__init__.py" in package and "attnlab/__init__.pyi" in package and "attnlab/py.typed" in package
    modules = [n for n in package if n.startswith("attnlab/_attnlab") and n.endswith(".so")]
    assert len(modules) == 1
    assert len(package) == 4, f"unexpected files in the wheel: {package}"
    # The installed package is this wheel's.
    assert pathlib.Path(attnlab._attnlab.__file__).name == pathlib.Path(modules[0]).name


def python_section():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Python")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end > 0 else len(readme)]


def test_needed_libraries_are_documented():
    needed = []
    for line in subprocess.run(["readelf", "-d", attnlab._attnlab.__file__], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        if "(NEEDED)" in line:
            needed.append(line.split("[")[1].rstrip("]"))
    section = python_section()
    missing = [lib for lib in needed if f"`{lib}`" not in section]
    assert not missing, f"README's Python section does not list {missing}"


def test_built_without_march_native():
    builds = sorted((ROOT / "build-py").glob("*/compile_commands.json"))
    if not builds:
        pytest.skip("no build-py/<tag>/compile_commands.json")
    for path in builds:
        commands = json.loads(path.read_text())
        assert commands, path
        assert not [c["file"] for c in commands if "-march=native" in c["command"]], path
