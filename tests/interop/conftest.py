"""Shared fixtures for the interop tests: where Quiver's binaries and the shared
test data live. Tests run Quiver's real command-line tools as subprocesses."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
BUILD = pathlib.Path(os.environ.get("QUIVER_BUILD", ROOT / "build"))


@pytest.fixture(scope="session")
def integration_tool():
    tool = BUILD / "quiver-arrow-integration"
    if not tool.exists():
        pytest.fail(f"{tool} is not built; run `make build` first")
    return tool


def run_tool(tool, *args, stdin=None):
    """Runs a Quiver tool; returns stdout bytes, failing the test with stderr."""
    proc = subprocess.run([str(tool), *map(str, args)], input=stdin,
                          capture_output=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"{tool.name} {' '.join(map(str, args))} exited "
                    f"{proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout
