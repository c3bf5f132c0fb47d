"""Shared fixtures of the Python package's tests: the repository root (the tests run from
it, as the claim files' paths are relative) and the `stabcert` binary to compare with."""

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def in_repository(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.fixture
def cli():
    """Runs the command-line binary (STABCERT_BIN, else target/release/stabcert) and
    returns its standard output."""
    binary = os.environ.get("STABCERT_BIN", str(ROOT / "target" / "release" / "stabcert"))

    def run(*args, parse=True):
        out = subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if parse else out.stdout

    return run
