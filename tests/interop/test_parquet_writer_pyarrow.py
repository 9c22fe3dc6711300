"""Quiver's Parquet writer against pyarrow (Arrow C++) and DuckDB, the
reference readers.

A table of every engine type (nulls everywhere, NaN, extreme integers,
decimals of every storage, dates, times, timestamps with and without zones,
strings, binaries, dictionaries, lists, structs, maps, nesting of those) is
written by pyarrow as an Arrow IPC stream in several batches, converted with
`quiver convert` for every codec, data page version and dictionary setting,
and then:

1. pyarrow reads the Parquet file back as a table equal to the one written,
   schema included (Quiver stores ARROW:schema so that large types, zones,
   seconds, date64, durations and dictionaries come back as they were);
2. DuckDB reads the same values from Quiver's file as from the file pyarrow
   itself writes for that table;
3. the statistics pyarrow reports for every column chunk (min, max,
   null_count) match the data of that row group;
4. TPC-H lineitem (SF 0.1, from tpchgen-cli) survives the trip through
   Quiver, checked by pyarrow and by a DuckDB aggregate;
5. the command line: options, errors and exit codes, standard input and
   output.
"""
import decimal
import math
import shutil
import struct
import subprocess

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from conftest import BUILD, ROOT

ROWS = 2500
CODECS = ["none", "snappy", "gzip", "brotli", "zstd", "lz4"]


@pytest.fixture(scope="session")
def quiver():
    tool = BUILD / "quiver"
    if not tool.exists():
        pytest.fail(f"{tool} is not built; run `make build` first")
    return tool


def run(tool, *args, stdin=None, check=True):
    proc = subprocess.run([str(tool), *map(str, args)], input=stdin, capture_output=True, timeout=300)
    if check and proc.returncode != 0:
        pytest.fail(f"quiver {' '.join(map(str, args))} exited {proc.returncode}: "
                    f"{proc.stderr.decode(errors='replace')}")
    return proc


# ---- the table ---------------------------------------------------------------------------

def engine_table(rows=ROWS):
    def maybe(i, v, every=11, at=3):
        return None if i % every == at else v
    ints = list(range(rows))
    words = ["", "a", "zebra", "été", "Apple", "apple pie", "~", "\u2603 snow"]
    cols = {
        "bool": pa.array([maybe(i, i % 3 == 0) for i in ints], pa.bool_()),
        "int8": pa.array([maybe(i, (i * 7) % 256 - 128) for i in ints], pa.int8()),
        "int16": pa.array([maybe(i, (i * 331) % 65536 - 32768) for i in ints], pa.int16()),
        "int32": pa.array([maybe(i, (i * 2654435761) % 2**32 - 2**31) for i in ints], pa.int32()),
        "int64": pa.array([maybe(i, (i * 11400714819323198485) % 2**64 - 2**63) for i in ints], pa.int64()),
        "uint8": pa.array([maybe(i, i % 256) for i in ints], pa.uint8()),
        "uint16": pa.array([maybe(i, (i * 40503) % 65536) for i in ints], pa.uint16()),
        "uint32": pa.array([maybe(i, (i * 2654435761) % 2**32) for i in ints], pa.uint32()),
        "uint64": pa.array([maybe(i, (i * 11400714819323198485) % 2**64) for i in ints], pa.uint64()),
        "float16": pa.array([maybe(i, struct.unpack("<e", struct.pack("<H", (i * 97) % 0x7c00))[0]) for i in ints],
                            pa.float16()),
        "float32": pa.array([maybe(i, float("nan") if i % 97 == 5 else i / 7.0 - 100) for i in ints], pa.float32()),
        "float64": pa.array([maybe(i, -i / 3.0 if i % 89 else float("inf")) for i in ints], pa.float64()),
        "dec_int32": pa.array([maybe(i, decimal.Decimal(i * 37 - 40000).scaleb(-2)) for i in ints],
                              pa.decimal128(9, 2)),
        "dec_int64": pa.array([maybe(i, decimal.Decimal((i - 1250) * 10**14 + i).scaleb(-4)) for i in ints],
                              pa.decimal128(18, 4)),
        "dec_flba": pa.array([maybe(i, decimal.Decimal((i - 1000) * 10**25 + i).scaleb(-10)) for i in ints],
                             pa.decimal128(38, 10)),
        "dec_256": pa.array([maybe(i, decimal.Decimal((i - 7) * 10**45 + i).scaleb(-5)) for i in ints],
                            pa.decimal256(50, 5)),
        "date32": pa.array([maybe(i, i * 13 - 20000) for i in ints], pa.date32()),
        "date64": pa.array([maybe(i, (i * 17 - 9000) * 86400000) for i in ints], pa.date64()),
        "time_s": pa.array([maybe(i, (i * 7919) % 86400) for i in ints], pa.time32("s")),
        "time_ms": pa.array([maybe(i, (i * 1234567) % 86400000) for i in ints], pa.time32("ms")),
        "time_us": pa.array([maybe(i, (i * 123456789) % 86400000000) for i in ints], pa.time64("us")),
        "time_ns": pa.array([maybe(i, (i * 98765432101) % 86400000000000) for i in ints], pa.time64("ns")),
        "ts_s": pa.array([maybe(i, i * 1000003 - 10**9) for i in ints], pa.timestamp("s")),
        "ts_ms": pa.array([maybe(i, i * 1000003 - 10**9) for i in ints], pa.timestamp("ms")),
        "ts_us_utc": pa.array([maybe(i, i * 10**9 + 17) for i in ints], pa.timestamp("us", tz="UTC")),
        "ts_ns_paris": pa.array([maybe(i, i * 10**12 + 123) for i in ints], pa.timestamp("ns", tz="Europe/Paris")),
        "duration": pa.array([maybe(i, i * 1000 - 77) for i in ints], pa.duration("us")),
        "utf8": pa.array([maybe(i, f"{words[i % 8]}{i % 50}" + "x" * (i % 13)) for i in ints], pa.string()),
        "large_utf8": pa.array([maybe(i, f"large {i}") for i in ints], pa.large_string()),
        "binary": pa.array([maybe(i, bytes([i % 256, 0, 255]) * (i % 4)) for i in ints], pa.binary()),
        "large_binary": pa.array([maybe(i, bytes([255 - i % 256]) * (i % 3)) for i in ints], pa.large_binary()),
        "fixed": pa.array([maybe(i, struct.pack("<I", i) + b"z") for i in ints], pa.binary(5)),
        "null": pa.nulls(rows),
        "dict": pa.array([maybe(i, words[(i * 5) % 8] + "!") for i in ints], pa.string()).dictionary_encode(),
        "list": pa.array([maybe(i, [maybe(j + 1, j, 11, 3) for j in range(i % 5)]) for i in ints],
                         pa.list_(pa.int32())),
        "large_list": pa.array([maybe(i, [f"s{j}" for j in range(i % 3)], 7, 2) for i in ints],
                               pa.large_list(pa.string())),
        "fixed_list": pa.array([maybe(i, [maybe(j, i + j, 4, 1) for j in range(3)], 6, 5) for i in ints],
                               pa.list_(pa.int16(), 3)),
        "struct": pa.array([maybe(i, {"a": maybe(i + 2, i), "b": f"b{i % 7}"}) for i in ints],
                           pa.struct([("a", pa.int32()), ("b", pa.string())])),
        "map": pa.array([maybe(i, [(f"k{j}", maybe(j + 4, i * j)) for j in range(i % 4)]) for i in ints],
                        pa.map_(pa.string(), pa.int64())),
        "list_struct": pa.array([maybe(i, [{"x": maybe(j, j * 1.5), "y": [j] * (j % 3)} for j in range(i % 3)])
                                 for i in ints],
                                pa.list_(pa.struct([("x", pa.float64()), ("y", pa.list_(pa.int16()))]))),
        "list_list": pa.array([maybe(i, [maybe(j + 2, [str(k) for k in range(j)]) for j in range(i % 4)])
                               for i in ints], pa.large_list(pa.list_(pa.string()))),
        "struct_nested": pa.array([maybe(i, {"inner": maybe(i, {"z": i % 2 == 0}, 5, 1),
                                             "w": maybe(i, [i, i + 1], 3, 0)}, 13, 12) for i in ints],
                                  pa.struct([("inner", pa.struct([("z", pa.bool_())])),
                                             ("w", pa.list_(pa.date32()))])),
        "required": pa.array(ints, pa.int64()),
    }
    schema = pa.schema([pa.field(k, v.type, nullable=(k != "required")) for k, v in cols.items()])
    return pa.table(list(cols.values()), schema=schema)


@pytest.fixture(scope="module")
def table():
    return engine_table()


@pytest.fixture(scope="module")
def stream_file(tmp_path_factory, table):
    """The table as an Arrow IPC stream of uneven batches."""
    path = tmp_path_factory.mktemp("pqw") / "table.arrows"
    with ipc.new_stream(path, table.schema) as w:
        for start, stop in [(0, 700), (700, 1901), (1901, ROWS)]:
            w.write_table(table.slice(start, stop - start))
    return path


# ---- comparing ---------------------------------------------------------------------------------

def decoded(col):
    """A column with dictionaries decoded (their encoding is free to differ)."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(col.type):
        return col.cast(col.type.value_type)
    return col


def same(a, b):
    """Python values equal, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def as_stored(table):
    """The table as Arrow reads it from Parquet, whoever wrote it: date64 and
    second units are stored as date32 and milliseconds, as pyarrow's own
    writer does; fixed-size lists become lists (Arrow readers cannot rebuild
    null fixed-size list slots)."""
    def fix(t):
        if pa.types.is_fixed_size_list(t):
            return pa.list_(pa.field(t.value_field.name, fix(t.value_type), t.value_field.nullable))
        if pa.types.is_date64(t):
            return pa.date32()
        if pa.types.is_time32(t) and t.unit == "s":
            return pa.time32("ms")
        if pa.types.is_timestamp(t) and t.unit == "s":
            return pa.timestamp("ms", t.tz)
        return t
    def has_fixed_list(t):
        return pa.types.is_fixed_size_list(t) or any(has_fixed_list(t.field(i).type) for i in range(t.num_fields))
    schema = pa.schema([pa.field(f.name, fix(f.type), f.nullable, f.metadata) for f in table.schema])
    # Rebuilt from values, so that null list slots hold no elements (a cast
    # keeps the fixed-size ranges, which pyarrow's writer refuses).
    cols = [pa.array(table.column(f.name).to_pylist(), fix(f.type)) if has_fixed_list(f.type)
            else table.column(f.name).cast(fix(f.type)) for f in table.schema]
    return pa.table(cols, schema=schema)


def assert_tables_equal(got, want):
    want = as_stored(want)
    assert got.schema == want.schema, f"schema:\n{got.schema}\nwant\n{want.schema}"
    assert got.num_rows == want.num_rows
    for name in want.schema.names:
        g, w = decoded(got.column(name)), decoded(want.column(name))
        if g.equals(w):
            continue
        # NaN defeats Arrow's equality: compare values.
        gl, wl = g.to_pylist(), w.to_pylist()
        for i, (x, y) in enumerate(zip(gl, wl)):
            assert same(x, y), f"column {name} row {i}: read {x!r}, wrote {y!r}"


def convert(quiver, src, out, *args):
    run(quiver, "convert", src, out, *args)
    return out


# ---- 1. pyarrow reads what Quiver writes ------------------------------------------------------------

@pytest.mark.parametrize("dictionary", [True, False], ids=["dict", "plain"])
@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("codec", CODECS)
def test_pyarrow_reads_every_type(quiver, tmp_path, table, stream_file, codec, version, dictionary):
    out = tmp_path / "out.parquet"
    args = ["--compression", codec, "--page-version", version, "--row-group-size", 1000, "--page-size", 2048]
    if not dictionary:
        args.append("--no-dictionary")
    convert(quiver, stream_file, out, *args)
    f = pq.ParquetFile(out)
    md = f.metadata
    assert md.num_row_groups == 3 and md.num_rows == ROWS
    assert md.created_by.startswith("quiver version")
    used = set()
    for g in range(md.num_row_groups):
        for c in range(md.num_columns):
            col = md.row_group(g).column(c)
            used.update(col.encodings)
            assert col.compression == ("UNCOMPRESSED" if codec == "none" else codec.upper())
    assert ("RLE_DICTIONARY" in used) == dictionary
    assert_tables_equal(pq.read_table(out), table)
    # Row groups one by one, and a column subset, as readers that prune do.
    assert_tables_equal(f.read_row_group(1), table.slice(1000, 1000))
    assert_tables_equal(pq.read_table(out, columns=["map", "dec_flba", "list_struct"]),
                        table.select(["map", "dec_flba", "list_struct"]))


def test_parquet_schema_is_standard(quiver, tmp_path, stream_file):
    """Logical types as the specification and Arrow spell them."""
    out = convert(quiver, stream_file, tmp_path / "s.parquet")
    schema = pq.ParquetFile(out).schema
    by_path = {schema.column(i).path: schema.column(i) for i in range(len(schema))}
    assert by_path["uint32"].logical_type.to_json() == '{"Type": "Int", "bitWidth": 32, "isSigned": false}'
    assert by_path["dec_int32"].physical_type == "INT32"
    assert by_path["dec_int64"].physical_type == "INT64"
    assert by_path["dec_flba"].physical_type == "FIXED_LEN_BYTE_ARRAY" and by_path["dec_flba"].length == 16
    assert by_path["dec_256"].length == 21
    assert by_path["utf8"].logical_type.type == "STRING"
    assert by_path["ts_us_utc"].logical_type.to_json().find('"isAdjustedToUTC": true') >= 0
    assert by_path["ts_ms"].logical_type.to_json().find('"isAdjustedToUTC": false') >= 0
    assert "list.list.element" in by_path and "map.key_value.key" in by_path and "map.key_value.value" in by_path
    assert by_path["map.key_value.key"].max_definition_level == 2
    assert by_path["list_list.list.element.list.element"].max_repetition_level == 2
    assert by_path["float16"].logical_type.type == "FLOAT16"


# ---- 2. DuckDB reads the same values as from pyarrow's own file ----------------------------------------

@pytest.mark.parametrize("args", [[], ["--page-version", "2", "--no-dictionary", "--compression", "snappy"]],
                         ids=["v1-dict-zstd", "v2-plain-snappy"])
def test_duckdb_reads_every_type(quiver, tmp_path, table, stream_file, args):
    ours = convert(quiver, stream_file, tmp_path / "ours.parquet", "--row-group-size", 1000, *args)
    theirs = tmp_path / "theirs.parquet"
    pq.write_table(as_stored(table), theirs, row_group_size=1000)  # pyarrow cannot write null fixed-size lists
    con = duckdb.connect()
    cols = [f'"{n}"' for n in table.schema.names]
    for c in cols:
        a = con.sql(f"select {c} from '{ours}'").fetchall()
        b = con.sql(f"select {c} from '{theirs}'").fetchall()
        assert len(a) == len(b) == ROWS
        for i, (x, y) in enumerate(zip(a, b)):
            assert same(x, y), f"column {c} row {i}: DuckDB reads {x!r} from Quiver's file, {y!r} from pyarrow's"
    # Types DuckDB infers agree too.
    assert (con.sql(f"describe select * from '{ours}'").fetchall()
            == con.sql(f"describe select * from '{theirs}'").fetchall())
    # Filters DuckDB prunes row groups with, by the statistics: same counts.
    for where in ["uint64 > 9223372036854775808", "uint32 < 100000", "utf8 >= 'zebra'", "dec_flba < 0",
                  "int64 between -5 and 5", "date32 > '1970-01-01'", "float64 < -800", "bool",
                  "ts_us_utc > '1970-01-20'", "required >= 2000"]:
        q = f"select count(*) from '{{}}' where {where}"
        assert con.sql(q.format(ours)).fetchall() == con.sql(q.format(theirs)).fetchall(), where
    # And a few values checked against the table itself.
    got = con.sql(f"select dec_flba, date32, utf8, uint64 from '{ours}' where required = 1234").fetchall()
    row = table.slice(1234, 1)
    assert got == [tuple(row.column(n)[0].as_py() for n in ["dec_flba", "date32", "utf8", "uint64"])]


# ---- 3. statistics ------------------------------------------------------------------------------------------

def stat_bounds(stats):
    """(min, max) as pyarrow reports them, and whether they are the raw
    stored integers (pyarrow cannot convert decimals stored as integers or
    nanosecond temporals)."""
    try:
        return (stats.min, stats.max), False
    except (pa.ArrowNotImplementedError, ValueError, TypeError):
        return (stats.min_raw, stats.max_raw), True


def expected_bounds(col, raw):
    """(min, max) of a column, NaN left out; raw: as stored integers."""
    col = decoded(col)
    if pa.types.is_floating(col.type):
        col = pc.filter(col, pc.invert(pc.is_nan(col)).fill_null(False))
    if (raw and pa.types.is_temporal(col.type)) or pa.types.is_duration(col.type):
        col = col.cast(pa.int64())  # durations are plain INT64 in Parquet
    mm = pc.min_max(col)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if raw and pa.types.is_decimal(col.type):
        lo, hi = int(lo.scaleb(col.type.scale)), int(hi.scaleb(col.type.scale))
    return lo, hi


def test_statistics_match_the_data(quiver, tmp_path, table, stream_file):
    out = convert(quiver, stream_file, tmp_path / "st.parquet", "--row-group-size", 1000)
    md = pq.ParquetFile(out).metadata
    flat = {f.name: f for f in table.schema
            if not pa.types.is_nested(f.type) and not pa.types.is_null(f.type) and f.name != "float16"}
    checked = 0
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        part = table.slice(g * 1000, rg.num_rows)
        for c in range(rg.num_columns):
            chunk = rg.column(c)
            name = chunk.path_in_schema
            if name not in flat:
                continue
            col = part.column(name)
            stats = chunk.statistics
            assert stats is not None and stats.has_null_count
            assert stats.null_count == col.null_count, name
            (got_lo, got_hi), raw = stat_bounds(stats)
            lo, hi = expected_bounds(col, raw)
            assert stats.has_min_max == (lo is not None), name
            if lo is None:
                continue
            if isinstance(lo, bytes) and isinstance(got_lo, str):
                got_lo, got_hi = got_lo.encode(), got_hi.encode()
            assert (got_lo, got_hi) == (lo, hi), f"row group {g} column {name}"
            checked += 1
    assert checked >= 3 * 30


def test_nested_statistics(quiver, tmp_path, table, stream_file):
    """Leaves under lists: min and max over the values, null_count over every
    level entry without a value (null or empty lists and null elements)."""
    out = convert(quiver, stream_file, tmp_path / "nst.parquet", "--row-group-size", ROWS)
    md = pq.ParquetFile(out).metadata
    chunks = {md.row_group(0).column(c).path_in_schema: md.row_group(0).column(c) for c in range(md.num_columns)}
    lists = table.column("list").combine_chunks()
    values = pc.list_flatten(lists)
    s = chunks["list.list.element"].statistics
    assert (s.min, s.max) == (pc.min(values).as_py(), pc.max(values).as_py())
    missing = sum(1 for v in lists.to_pylist() if not v) + values.null_count
    assert s.null_count == missing
    keys = table.column("map").combine_chunks().keys
    s = chunks["map.key_value.key"].statistics
    assert (s.min, s.max) == (pc.min(keys).as_py(), pc.max(keys).as_py())


# ---- 4. TPC-H -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def lineitem():
    path = ROOT / "build" / "tpch-parquet-sf0.1" / "lineitem.parquet"
    if not path.exists():
        tool = ROOT / ".venv" / "bin" / "tpchgen-cli"
        if not tool.exists():
            pytest.skip("tpchgen-cli is not installed in .venv")
        shutil.rmtree(path.parent, ignore_errors=True)
        path.parent.mkdir(parents=True)
        subprocess.run([str(tool), "parquet", "-s", "0.1", "--output-dir", str(path.parent)], check=True,
                       capture_output=True, timeout=300)
    return path


def test_tpch_lineitem(quiver, tmp_path, lineitem):
    out = convert(quiver, lineitem, tmp_path / "lineitem.parquet", "--compression", "zstd")
    want = pq.read_table(lineitem)
    # tpchgen's ARROW:schema says string_view, which Quiver reads as utf8.
    want = want.cast(pa.schema([pa.field(f.name, pa.string() if pa.types.is_string_view(f.type) else f.type,
                                         f.nullable) for f in want.schema]))
    got = pq.read_table(out)
    assert got.equals(want)
    q = ("select l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice * (1 - l_discount)), "
         "count(*), min(l_shipdate), max(l_comment) from '{}' group by all order by all")
    con = duckdb.connect()
    assert con.sql(q.format(out)).fetchall() == con.sql(q.format(lineitem)).fetchall()


# ---- 5. the command line ---------------------------------------------------------------------------------------

def test_cli_stdin_stdout_and_parquet_input(quiver, tmp_path, table, stream_file):
    data = stream_file.read_bytes()
    proc = run(quiver, "convert", "-", "-", "--compression", "snappy", stdin=data)
    (tmp_path / "a.parquet").write_bytes(proc.stdout)
    assert_tables_equal(pq.read_table(tmp_path / "a.parquet"), table)
    # Parquet in, Parquet out (Quiver's reader feeding Quiver's writer).
    # Quiver's reader hands dictionaries over decoded, so they are written so.
    convert(quiver, tmp_path / "a.parquet", tmp_path / "b.parquet", "--page-version", "2")
    k = table.schema.get_field_index("dict")
    want = table.set_column(k, pa.field("dict", pa.string()), decoded(table.column(k)))
    assert_tables_equal(pq.read_table(tmp_path / "b.parquet"), want)


def test_cli_errors(quiver, tmp_path, stream_file):
    out = tmp_path / "never.parquet"
    for args in (["--compression", "lzo"], ["--row-group-size", "0"], ["--page-version", "3"], ["--bogus"]):
        proc = run(quiver, "convert", stream_file, out, *args, check=False)
        assert proc.returncode == 2, args
        assert not out.exists()
    proc = run(quiver, "convert", stream_file, check=False)
    assert proc.returncode == 2
    proc = run(quiver, "convert", tmp_path / "missing.arrows", out, check=False)
    assert proc.returncode == 1 and b"missing.arrows" in proc.stderr
    assert not out.exists()
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00not a table at all")  # not text either (text is read as CSV)
    proc = run(quiver, "convert", bad, out, check=False)
    assert proc.returncode == 1 and b"unknown file format" in proc.stderr
    assert not out.exists()
    # A type Parquet cannot hold: the file is removed and the field named.
    union = pa.table({"u": pa.UnionArray.from_sparse(pa.array([0, 1], pa.int8()),
                                                     [pa.array([1, 2]), pa.array(["a", "b"])])})
    src = tmp_path / "union.arrows"
    with ipc.new_stream(src, union.schema) as w:
        w.write_table(union)
    proc = run(quiver, "convert", src, out, check=False)
    assert proc.returncode == 1 and b"'u'" in proc.stderr
    assert not out.exists()
