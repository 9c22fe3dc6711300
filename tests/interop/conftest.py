"""Shared fixtures for the interop tests: where Quiver's binaries and the shared
test data live. Tests run Quiver's real command-line tools as subprocesses, or
load Quiver into the Python process through the C Data Interface shim."""
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


@pytest.fixture(scope="session")
def cdata_shim_path():
    """The shared library built from tests/interop/c_data_shim.c (plain builds only)."""
    lib = BUILD / "libquiver_cdata_shim.so"
    if not lib.exists():
        pytest.fail(f"{lib} is not built; run `make build` first "
                    "(sanitized builds do not make it)")
    return lib


def run_tool(tool, *args, stdin=None):
    """Runs a Quiver tool; returns stdout bytes, failing the test with stderr."""
    proc = subprocess.run([str(tool), *map(str, args)], input=stdin,
                          capture_output=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"{tool.name} {' '.join(map(str, args))} exited "
                    f"{proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout
