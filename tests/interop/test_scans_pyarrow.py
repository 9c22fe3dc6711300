"""The file scans (ParquetScanExec, CsvScanExec, IpcScanExec) against pyarrow
and DuckDB, driven through apps/quiver-scan, which builds a scan (with its
predicate) and writes the rows as an Arrow IPC stream.

1. pyarrow writes a directory of multi-row-group Parquet files (sorted on one
   column so that statistics can prune, with NULLs, NaNs, strings, dates,
   decimals and timestamps). Quiver scans the directory with predicates; the
   rows equal DuckDB's (and, where float semantics agree, pyarrow.dataset's)
   filtering of the same data (DuckDB filtering an in-memory copy: see
   duckdb_rows for the NaN pruning bug it has over the files), and the row groups Quiver reports as pruned
   are exactly those whose statistics exclude the predicate (computed here
   from pyarrow's view of the metadata).
2. Every row is read exactly once for many partition counts and split sizes,
   through a glob, a directory and a list of files.
3. CSV and Arrow IPC files written by pyarrow scan to the same rows.
4. Missing files and files of the wrong format fail with a message naming
   them.
"""
import datetime
import decimal
import math
import re
import subprocess

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from conftest import BUILD

ROWS_PER_FILE = 6000
ROW_GROUP = 700
N_FILES = 3


@pytest.fixture(scope="session")
def scan_tool():
    tool = BUILD / "quiver-scan"
    if not tool.exists():
        pytest.fail(f"{tool} is not built; run `make build` first")
    return tool


def run_scan(tool, *args, check=True):
    proc = subprocess.run([str(tool), *map(str, args)], capture_output=True, timeout=300)
    if check and proc.returncode != 0:
        pytest.fail(f"quiver-scan {' '.join(map(str, args))} exited {proc.returncode}: "
                    f"{proc.stderr.decode(errors='replace')}")
    return proc


def scan_table(tool, *args):
    """Runs quiver-scan and returns (table, metrics dict)."""
    proc = run_scan(tool, "--metrics", *args)
    table = ipc.open_stream(proc.stdout).read_all()
    metrics = dict(re.findall(r"(\w+)=(\d+)", proc.stderr.decode()))
    return table, {k: int(v) for k, v in metrics.items()}


def make_table(file_index):
    n = ROWS_PER_FILE
    base = file_index * n
    ids = list(range(base, base + n))
    # k ascends through the files: row groups cover disjoint ranges of k.
    k = [None if i % 97 == 5 else i // 3 for i in ids]
    f = [float("nan") if i % 53 == 7 else None if i % 41 == 2 else (i % 1000) / 10 - 50 for i in ids]
    s = [None if i % 89 == 1 else f"s{(i * 7919) % 500:03d}" for i in ids]
    d = [datetime.date(2020, 1, 1) + datetime.timedelta(days=i // 10) for i in ids]
    dec = [decimal.Decimal(i % 10000).scaleb(-2) for i in ids]
    ts = [datetime.datetime(2021, 1, 1) + datetime.timedelta(minutes=i) for i in ids]
    b = [i % 3 == 0 for i in ids]
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "k": pa.array(k, pa.int32()),
        "f": pa.array(f, pa.float64()),
        "s": pa.array(s, pa.string()),
        "d": pa.array(d, pa.date32()),
        "dec": pa.array(dec, pa.decimal128(12, 2)),
        "ts": pa.array(ts, pa.timestamp("us")),
        "b": pa.array(b, pa.bool_()),
    })


@pytest.fixture(scope="session")
def parquet_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("scans") / "data"
    d.mkdir()
    for i in range(N_FILES):
        # Mixed writer settings: dictionary or not, two codecs, page versions.
        pq.write_table(make_table(i), d / f"part-{i}.parquet", row_group_size=ROW_GROUP,
                       compression="zstd" if i % 2 else "snappy", use_dictionary=i != 1,
                       data_page_version="2.0" if i == 2 else "1.0", write_statistics=True)
    (d / "_SUCCESS").write_bytes(b"")
    (d / ".hidden.parquet").write_bytes(b"not parquet")
    return d


def rows_by_id(table):
    """The table's rows as tuples sorted by id, NaN made comparable."""
    cols = [c.to_pylist() for c in table.columns]
    out = []
    for row in zip(*cols):
        out.append(tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in row))
    return sorted(out, key=lambda r: r[0])


def duckdb_rows(parquet_dir, where, columns="*"):
    """DuckDB's answer, filtering a copy of the data in memory: DuckDB 2.0.1
    prunes Parquet row groups on min/max without regard to NaN, which its
    own order puts above every number, so `f > 49.5` straight over the files
    loses the NaN rows of groups whose max is below 49.5."""
    files = ", ".join(f"'{p}'" for p in sorted(parquet_dir.glob("part-*.parquet")))
    con = duckdb.connect()
    con.sql(f"CREATE TABLE t AS SELECT * FROM read_parquet([{files}])")
    return rows_by_id(con.sql(f"SELECT {columns} FROM t WHERE {where}").to_arrow_table())


def expected_pruned(parquet_dir, column, lo, hi):
    """Row groups whose statistics exclude every value in [lo, hi] of column
    (lo or hi None: unbounded), or that hold only NULLs in it."""
    n = 0
    for path in sorted(parquet_dir.glob("*.parquet")):
        if path.name.startswith("."):
            continue
        md = pq.ParquetFile(path).metadata
        idx = md.schema.names.index(column)
        for g in range(md.num_row_groups):
            st = md.row_group(g).column(idx).statistics
            if st.null_count == md.row_group(g).num_rows:
                n += 1
            elif st.has_min_max and ((lo is not None and st.max < lo) or (hi is not None and st.min > hi)):
                n += 1
    return n


# ---- 1. predicates against DuckDB and pyarrow.dataset ----------------------------------------

CASES = [
    # (quiver-scan predicate args, DuckDB WHERE, pyarrow.dataset filter or None, pruning column and range)
    (["--where", "k >= 16500"], "k >= 16500", pc.field("k") >= 16500, ("k", 16500, None)),
    (["--where", "k < 300"], "k < 300", pc.field("k") < 300, ("k", None, 299)),
    (["--between", "k", "2000", "2100"], "k BETWEEN 2000 AND 2100",
     (pc.field("k") >= 2000) & (pc.field("k") <= 2100), ("k", 2000, 2100)),
    (["--where", "k = 4321"], "k = 4321", pc.field("k") == 4321, ("k", 4321, 4321)),
    (["--where", "k > 1000", "--where", "k <= 1500", "--where", "s = s042"],
     "k > 1000 AND k <= 1500 AND s = 's042'",
     (pc.field("k") > 1000) & (pc.field("k") <= 1500) & (pc.field("s") == "s042"), ("k", 1001, 1500)),
    (["--where", "d < 2020-02-01"], "d < DATE '2020-02-01'", pc.field("d") < pa.scalar(datetime.date(2020, 2, 1)),
     ("d", None, datetime.date(2020, 1, 31))),
    (["--where", "dec <= 1.50"], "dec <= 1.50", pc.field("dec") <= pa.scalar(decimal.Decimal("1.50"), pa.decimal128(12, 2)),
     None),
    (["--where", "ts >= 2021-01-12 00:00:00"], "ts >= TIMESTAMP '2021-01-12 00:00:00'",
     pc.field("ts") >= pa.scalar(datetime.datetime(2021, 1, 12), pa.timestamp("us")),
     ("ts", datetime.datetime(2021, 1, 12), None)),
    (["--where", "k IS NULL"], "k IS NULL", pc.field("k").is_null(), None),
    (["--where", "s != s001"], "s <> 's001'", pc.field("s") != "s001", None),
    (["--where", "b = true", "--where", "k < 60"], "b AND k < 60", (pc.field("b") == True) & (pc.field("k") < 60),  # noqa: E712
     ("k", None, 59)),
    # Floats: NaN sorts above every number (as in DuckDB, unlike IEEE).
    (["--where", "f > 49.5"], "f > 49.5", None, None),
    (["--where", "f <= -49.0"], "f <= -49.0", pc.field("f") <= -49.0, None),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_parquet_predicates_match_duckdb(scan_tool, parquet_dir, case):
    args, where, ds_filter, prune = CASES[case]
    table, metrics = scan_table(scan_tool, "--extension", ".parquet", *args, parquet_dir)
    got = rows_by_id(table)
    assert got == duckdb_rows(parquet_dir, where), where
    if ds_filter is not None:
        dataset = ds.dataset(str(parquet_dir), format="parquet")
        assert got == rows_by_id(dataset.to_table(filter=ds_filter)), where
    assert metrics["rows_output"] == len(got)
    total_groups = N_FILES * math.ceil(ROWS_PER_FILE / ROW_GROUP)
    assert metrics["row_groups_matched"] == total_groups
    if prune is not None:
        assert metrics["row_groups_pruned"] == expected_pruned(parquet_dir, *prune), where
        assert metrics["row_groups_pruned"] > 0


def test_parquet_projection_with_predicate_on_other_column(scan_tool, parquet_dir):
    table, _ = scan_table(scan_tool, "--extension", ".parquet", "--columns", "id,s", "--where", "k < 100",
                          parquet_dir)
    assert table.schema.names == ["id", "s"]
    assert rows_by_id(table) == duckdb_rows(parquet_dir, "k < 100", "id, s")


# ---- 2. every row once ---------------------------------------------------------------------------

@pytest.mark.parametrize("partitions", [1, 2, 3, 5, 8, 13])
@pytest.mark.parametrize("min_split", [1, 50000, 1 << 30])
def test_parquet_every_row_once(scan_tool, parquet_dir, partitions, min_split):
    files = sorted(str(p) for p in parquet_dir.glob("part-*.parquet"))
    for paths in ([str(parquet_dir / "*.parquet")], [str(parquet_dir)], files):
        table, metrics = scan_table(scan_tool, "--extension", ".parquet", "--partitions", partitions,
                                    "--min-split", min_split, "--columns", "id", *paths)
        ids = table.column("id").to_pylist()
        assert len(ids) == N_FILES * ROWS_PER_FILE
        assert sorted(ids) == list(range(N_FILES * ROWS_PER_FILE))
        assert metrics["row_groups_matched"] == N_FILES * math.ceil(ROWS_PER_FILE / ROW_GROUP)


def test_parquet_values_equal_pyarrow(scan_tool, parquet_dir):
    table, _ = scan_table(scan_tool, "--extension", ".parquet", parquet_dir)
    expected = ds.dataset(str(parquet_dir), format="parquet").to_table()
    assert rows_by_id(table) == rows_by_id(expected)
    assert table.schema.names == expected.schema.names


# ---- 3. CSV and IPC --------------------------------------------------------------------------------

def test_csv_and_ipc_scans_equal_pyarrow(scan_tool, tmp_path):
    csv_dir, ipc_dir = tmp_path / "csv", tmp_path / "ipc"
    csv_dir.mkdir()
    ipc_dir.mkdir()
    tables = []
    for i in range(3):
        t = make_table(i).select(["id", "k", "s", "d"])
        tables.append(t)
        pacsv.write_csv(t, csv_dir / f"t{i}.csv")
        with ipc.new_file(ipc_dir / f"t{i}.arrow", t.schema) as w:
            for batch in t.to_batches(max_chunksize=1000):
                w.write_batch(batch)
    expected = rows_by_id(pa.concat_tables(tables).filter(pc.field("k") >= 7000))
    for partitions in (1, 2, 4):
        table, _ = scan_table(scan_tool, "--format", "csv", "--splittable", "--min-split", 1, "--partitions",
                              partitions, "--where", "k >= 7000", csv_dir)
        # Inferred types: id and k as int64, s as utf8, d as date32.
        assert [(r[0], r[1], r[2], r[3]) for r in rows_by_id(table)] == expected
        table, _ = scan_table(scan_tool, "--format", "ipc", "--partitions", partitions, "--where", "k >= 7000",
                              ipc_dir)
        assert rows_by_id(table) == expected


# ---- 4. errors -------------------------------------------------------------------------------------

def test_missing_and_bad_files_are_named(scan_tool, parquet_dir, tmp_path):
    proc = run_scan(scan_tool, "--count", tmp_path / "nope.parquet", check=False)
    assert proc.returncode == 1
    assert "NOT_FOUND" in proc.stderr.decode() and "nope.parquet" in proc.stderr.decode()
    proc = run_scan(scan_tool, "--count", parquet_dir / ".hidden.parquet", check=False)
    assert proc.returncode == 1
    assert "INVALID" in proc.stderr.decode() and ".hidden.parquet" in proc.stderr.decode()
    bad = tmp_path / "zz-bad.parquet"
    bad.write_bytes(b"PAR1 but not really a parquet file")
    proc = run_scan(scan_tool, "--count", parquet_dir / "part-0.parquet", bad, check=False)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "zz-bad.parquet" in err and "not a Parquet file" in err
