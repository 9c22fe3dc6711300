"""`quiver cat` and `quiver schema` on delimited text: the dialect is sniffed
from the file's first line, types are inferred, and the rows Quiver prints as
an Arrow stream equal what pyarrow's CSV reader makes of the same file."""
import subprocess

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pytest

from conftest import BUILD, run_tool


@pytest.fixture(scope="module")
def quiver():
    tool = BUILD / "quiver"
    if not tool.exists():
        pytest.fail(f"{tool} is not built")
    return tool


def test_csv_with_header_equals_pyarrow(quiver, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text('id,name,score,day\n1,"Smith, Jo",2.5,2024-01-31\n2,"say ""hi""",,1999-12-31\n'
                    "3,plain,-7,\n")
    got = ipc.open_stream(run_tool(quiver, "cat", path, "--format", "arrow")).read_all()
    want = pacsv.read_csv(path)
    assert got.column_names == want.column_names
    for name in want.column_names:
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name


def test_tbl_dialect_projection_and_limit(quiver, tmp_path):
    path = tmp_path / "orders.tbl"
    path.write_text("1|36901|O|173665.47|1996-01-02|\n2|78002|O|46929.18|1996-12-01|\n"
                    "3|123314|F|193846.25|1993-10-14|\n")
    out = run_tool(quiver, "cat", path, "--columns", "f0,f2", "--limit", "2", "--format", "csv").decode()
    assert out.splitlines() == ["f0,f2", "1,O", "2,O"]
    schema = run_tool(quiver, "schema", path).decode()
    assert "f3: float64" in schema and "f4: date32" in schema


def test_binary_garbage_is_refused(quiver, tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00\x01\x02garbage")
    proc = subprocess.run([str(quiver), "cat", str(path)], capture_output=True, timeout=60)
    assert proc.returncode == 1
    assert b"unknown file format" in proc.stderr
