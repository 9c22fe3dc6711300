"""Quiver's Parquet reader against pyarrow (Arrow C++, the reference reader).

1. Every file of ../shared/testdata/parquet: `quiver cat --format json` must
   give the values pyarrow reads (compared type by type: decimals exactly,
   timestamps as integers of their unit, binary as bytes, floats bit for bit
   with NaN equal to NaN, nested lists/structs/maps recursively); files with
   an _expect.csv must also match it through `--format csv`; files the
   README calls corrupt must fail with a clear message.
2. Tables written by pyarrow over every engine type, with nulls, several row
   groups and many small pages, for every codec, data page version and
   encoding pyarrow can write: `quiver cat --format arrow` must give a table
   equal to the one written.
3. TPC-H SF 0.1 from tpchgen-cli: every table reads completely and equals
   pyarrow's reading (row counts and a checksum per column reported).
4. The command line itself: formats, --columns, --limit, format detection
   from bytes, usage errors and exit codes.
"""
import csv
import decimal
import io
import json
import math
import os
import re
import shutil
import struct
import subprocess

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from conftest import BUILD, ROOT, SHARED

TESTDATA = SHARED / "testdata" / "parquet"
PARQUET_FILES = sorted(p.name for p in TESTDATA.glob("*.parquet"))

# Files the README describes as carrying a wrong page CRC.
CORRUPT_CRC = {"datapage_v1-corrupt-checksum.parquet", "rle-dict-uncompressed-corrupt-checksum.parquet"}


@pytest.fixture(scope="session")
def quiver():
    tool = BUILD / "quiver"
    if not tool.exists():
        pytest.fail(f"{tool} is not built; run `make build` first")
    return tool


def run(tool, *args, check=True):
    proc = subprocess.run([str(tool), *map(str, args)], capture_output=True, timeout=300)
    if check and proc.returncode != 0:
        pytest.fail(f"quiver {' '.join(map(str, args))} exited {proc.returncode}: "
                    f"{proc.stderr.decode(errors='replace')}")
    return proc


# ---- normalising values for comparison ------------------------------------------

def plain_type(t):
    """The type with temporal types replaced by their integer storage, so that
    pyarrow hands out exact integers instead of datetime objects."""
    if (pa.types.is_timestamp(t) or pa.types.is_time64(t) or pa.types.is_duration(t)
            or pa.types.is_date64(t)):
        return pa.int64()
    if pa.types.is_date32(t) or pa.types.is_time32(t):
        return pa.int32()
    if pa.types.is_map(t):
        return pa.map_(plain_type(t.key_type),
                       pa.field(t.item_field.name, plain_type(t.item_type), t.item_field.nullable))
    if pa.types.is_large_list(t):
        return pa.large_list(pa.field(t.value_field.name, plain_type(t.value_type), t.value_field.nullable))
    if pa.types.is_list(t):
        return pa.list_(pa.field(t.value_field.name, plain_type(t.value_type), t.value_field.nullable))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, plain_type(f.type), f.nullable) for f in t])
    return t


def f32(x):
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]


def f16(x):
    return struct.unpack("<e", struct.pack("<e", float(x)))[0]


_UNIT = {"s": 1, "ms": 1000, "us": 1000000, "ns": 1000000000}
_TS = re.compile(r"^(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z)?$")
_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)(?:\.(\d+))?$")


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date, any year."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def days_of(text):
    m = re.match(r"^(-?\d{4,})-(\d\d)-(\d\d)$", text)
    assert m, f"not a date: {text!r}"
    return days_from_civil(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def frac_of(frac, per):
    if not frac:
        return 0
    digits = len(str(per)) - 1
    assert len(frac) == digits, frac
    return int(frac)


def parse_ts(text, unit, tz):
    m = _TS.match(text)
    assert m, f"not an ISO 8601 timestamp: {text!r}"
    assert bool(m.group(8)) == bool(tz), f"time zone marker of {text!r} for tz {tz!r}"
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    days = days_from_civil(y, mo, d)
    per = _UNIT[unit]
    return ((days * 86400 + h * 3600 + mi * 60 + s) * per) + frac_of(m.group(7), per)


def parse_time(text, unit):
    m = _TIME.match(text)
    assert m, f"not a time: {text!r}"
    per = _UNIT[unit]
    return (int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))) * per + frac_of(m.group(4), per)


def from_json(v, t):
    """Quiver's JSON value of Arrow type t, in the form expected() gives."""
    if v is None:
        return None
    if pa.types.is_dictionary(t):
        return from_json(v, t.value_type)
    if pa.types.is_timestamp(t):
        return parse_ts(v, t.unit, t.tz)
    if pa.types.is_date32(t):
        return days_of(v)
    if pa.types.is_time32(t) or pa.types.is_time64(t):
        return parse_time(v, t.unit)
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return bytes.fromhex(v)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        assert isinstance(v, str)
        return v
    if pa.types.is_decimal(t):
        return decimal.Decimal(v)
    if pa.types.is_float16(t):
        return f16(v)
    if pa.types.is_float32(t):
        return f32(v)
    if pa.types.is_floating(t):
        return float(v)
    if pa.types.is_boolean(t):
        assert isinstance(v, bool)
        return v
    if pa.types.is_integer(t) or pa.types.is_duration(t):
        assert isinstance(v, int)
        return v
    if pa.types.is_map(t):
        return [(from_json(e["key"], t.key_type), from_json(e["value"], t.item_type)) for e in v]
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [from_json(x, t.value_type) for x in v]
    if pa.types.is_struct(t):
        assert set(v) == {f.name for f in t}
        return {f.name: from_json(v[f.name], f.type) for f in t}
    if pa.types.is_null(t):
        return None
    raise AssertionError(f"no comparison for type {t}")


def expected(v, t):
    """pyarrow's value (of the plain_type column) normalised like from_json."""
    if v is None:
        return None
    if pa.types.is_dictionary(t):
        return expected(v, t.value_type)
    if pa.types.is_float16(t):
        return f16(v)
    if pa.types.is_float32(t):
        return f32(v)
    if pa.types.is_floating(t):
        return float(v)
    if pa.types.is_map(t):
        return [(expected(k, t.key_type), expected(x, t.item_type)) for k, x in v]
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [expected(x, t.value_type) for x in v]
    if pa.types.is_struct(t):
        return {f.name: expected(v[f.name], f.type) for f in t}
    return v


def same(a, b):
    """Equality with NaN == NaN (and -0.0 != 0.0, as bits differ)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) == type(b) and a == b


def parse_json_lines(out):
    return [json.loads(line, parse_float=decimal.Decimal, parse_constant=float)
            for line in out.decode().splitlines()]


def check_json_against(table, rows):
    assert len(rows) == table.num_rows
    for i, field in enumerate(table.schema):
        plain = table.column(i).cast(plain_type(field.type)).to_pylist()
        for r, (row, want) in enumerate(zip(rows, plain)):
            got = from_json(row[field.name], field.type)
            exp = expected(want, field.type)
            assert same(got, exp), f"column {field.name} row {r}: quiver {got!r}, pyarrow {exp!r}"


# ---- 1. the shared test files -------------------------------------------------------

@pytest.mark.parametrize("name", PARQUET_FILES)
def test_testdata_file(quiver, name):
    path = TESTDATA / name
    if name in CORRUPT_CRC:
        proc = run(quiver, "cat", "--format", "json", path, check=False)
        assert proc.returncode == 1
        msg = proc.stderr.decode()
        assert "CRC mismatch" in msg and name in msg and "page 0" in msg, msg
        # Arrow C++ agrees once asked to check.
        with pytest.raises(OSError, match="CRC"):
            pq.read_table(path, page_checksum_verification=True)
        return
    if name == "incorrect_map_schema.parquet":
        # Arrow C++ refuses optional map keys; the file's keys are all present.
        rows = parse_json_lines(run(quiver, "cat", "--format", "json", path).stdout)
        assert len(rows) == 1
        assert {e["key"]: e["value"] for e in rows[0]["my_map"]} == {"name": "report", "parent": "another"}
        return
    table = pq.read_table(path)
    rows = parse_json_lines(run(quiver, "cat", "--format", "json", path).stdout)
    check_json_against(table, rows)
    # The same data through the Arrow IPC output: types and values.
    ours = ipc.open_stream(run(quiver, "cat", "--format", "arrow", path).stdout).read_all()
    assert ours.num_rows == table.num_rows
    assert ours.schema.names == table.schema.names
    for i, field in enumerate(table.schema):
        assert ours.schema.field(i).type == field.type, field.name
        a = ours.column(i).cast(plain_type(field.type)).to_pylist()
        b = table.column(i).cast(plain_type(field.type)).to_pylist()
        assert same([expected(x, field.type) for x in a], [expected(x, field.type) for x in b]), field.name
    expect_csv = TESTDATA / name.replace(".parquet", "_expect.csv")
    if expect_csv.exists():
        got = list(csv.reader(io.StringIO(run(quiver, "cat", "--format", "csv", path).stdout.decode(),
                                          newline="")))
        with open(expect_csv, newline="") as f:
            want = list(csv.reader(f))
        assert got == want


def test_small_batches_cross_pages(quiver):
    """Batches smaller than pages and not aligned with them, nested and flat."""
    for name in ["nullable.impala.parquet", "nested_lists.snappy.parquet", "alltypes_tiny_pages.parquet",
                 "repeated_no_annotation.parquet", "delta_byte_array.parquet", "int32_with_null_pages.parquet"]:
        table = pq.read_table(TESTDATA / name)
        for batch in (1, 3, 7, 100):
            rows = parse_json_lines(run(quiver, "cat", "--format", "json", "--batch-size", batch,
                                        TESTDATA / name).stdout)
            check_json_against(table, rows)


# ---- 2. tables written by pyarrow ---------------------------------------------------------

ROWS = 2500


def engine_table():
    def maybe(i, v):
        return None if i % 11 == 3 else v
    ints = list(range(ROWS))
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
        "float32": pa.array([maybe(i, float("nan") if i % 97 == 5 else i / 7.0) for i in ints], pa.float32()),
        "float64": pa.array([maybe(i, -i / 3.0 if i % 89 else float("inf")) for i in ints], pa.float64()),
        "dec_small": pa.array([maybe(i, decimal.Decimal(i * 37 - 40000).scaleb(-2)) for i in ints],
                              pa.decimal128(9, 2)),
        "dec_large": pa.array([maybe(i, decimal.Decimal((i - 1000) * 10**25 + i).scaleb(-10)) for i in ints],
                              pa.decimal128(38, 10)),
        "dec_256": pa.array([maybe(i, decimal.Decimal((i - 7) * 10**45 + i).scaleb(-5)) for i in ints],
                            pa.decimal256(50, 5)),
        "date32": pa.array([maybe(i, i * 13 - 20000) for i in ints], pa.date32()),
        "ts_ms": pa.array([maybe(i, i * 1000003 - 10**9) for i in ints], pa.timestamp("ms")),
        "ts_us": pa.array([maybe(i, i * 10**9 + 17) for i in ints], pa.timestamp("us")),
        "ts_ns": pa.array([maybe(i, i * 10**12 + 123) for i in ints], pa.timestamp("ns")),
        "ts_ms_utc": pa.array([maybe(i, i * 86400000) for i in ints], pa.timestamp("ms", tz="UTC")),
        "ts_us_paris": pa.array([maybe(i, i * 3600 * 10**6) for i in ints], pa.timestamp("us", tz="Europe/Paris")),
        "ts_ns_utc": pa.array([maybe(i, i * 10**9) for i in ints], pa.timestamp("ns", tz="UTC")),
        "time_ms": pa.array([maybe(i, (i * 1234567) % 86400000) for i in ints], pa.time32("ms")),
        "time_us": pa.array([maybe(i, (i * 123456789) % 86400000000) for i in ints], pa.time64("us")),
        "time_ns": pa.array([maybe(i, (i * 98765432101) % 86400000000000) for i in ints], pa.time64("ns")),
        "utf8": pa.array([maybe(i, f"s{i % 50}-é{'x' * (i % 13)}") for i in ints], pa.string()),
        "large_utf8": pa.array([maybe(i, f"large {i}") for i in ints], pa.large_string()),
        "binary": pa.array([maybe(i, bytes([i % 256, 0, 255]) * (i % 4)) for i in ints], pa.binary()),
        "fixed": pa.array([maybe(i, struct.pack("<I", i) + b"z") for i in ints], pa.binary(5)),
        "list": pa.array([maybe(i, [maybe(j + 1, j) for j in range(i % 5)]) for i in ints],
                         pa.list_(pa.int32())),
        "struct": pa.array([maybe(i, {"a": maybe(i + 2, i), "b": f"b{i % 7}"}) for i in ints],
                           pa.struct([("a", pa.int32()), ("b", pa.string())])),
        "map": pa.array([maybe(i, [(f"k{j}", maybe(j + 4, i * j)) for j in range(i % 4)]) for i in ints],
                        pa.map_(pa.string(), pa.int64())),
        "list_struct": pa.array([maybe(i, [{"x": maybe(j, j * 1.5), "y": [j] * (j % 3)} for j in range(i % 3)])
                                 for i in ints],
                                pa.list_(pa.struct([("x", pa.float64()), ("y", pa.list_(pa.int16()))]))),
        "list_list": pa.array([maybe(i, [maybe(j + 2, [str(k) for k in range(j)]) for j in range(i % 4)])
                               for i in ints], pa.large_list(pa.list_(pa.string()))),
        "float16": pa.array([maybe(i, struct.unpack("<e", struct.pack("<H", (i * 97) % 0x7c00))[0]) for i in ints],
                            pa.float16()),
        "required": pa.array(ints, pa.int64()),
    }
    schema = pa.schema([pa.field(k, v.type, nullable=(k != "required")) for k, v in cols.items()])
    return pa.table(list(cols.values()), schema=schema)


INT_COLS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "date32", "time_ms", "time_us",
            "ts_ms", "ts_us", "ts_ns", "ts_ms_utc", "ts_us_paris", "ts_ns_utc", "required"]
BYTES_COLS = ["utf8", "large_utf8", "binary"]
BSS_COLS = ["float32", "float64", "int32", "int64", "fixed", "dec_small", "float16"]

ENCODINGS = {
    "dictionary": dict(use_dictionary=True),
    # Dictionaries that fill up: chunks mixing dictionary and PLAIN pages.
    "dictionary_fallback": dict(use_dictionary=True, dictionary_pagesize_limit=256),
    "plain": dict(use_dictionary=False, column_encoding="PLAIN"),
    "delta": dict(use_dictionary=False, column_encoding={
        **{c: "DELTA_BINARY_PACKED" for c in INT_COLS},
        **{c: "DELTA_LENGTH_BYTE_ARRAY" for c in BYTES_COLS},
        "fixed": "DELTA_BYTE_ARRAY", "dec_large": "DELTA_BYTE_ARRAY", "bool": "RLE",
        "list.list.element": "DELTA_BINARY_PACKED", "map.key_value.key": "DELTA_LENGTH_BYTE_ARRAY"}),
    "delta_byte_array": dict(use_dictionary=False, column_encoding={
        **{c: "DELTA_BYTE_ARRAY" for c in BYTES_COLS}, "dec_256": "DELTA_BYTE_ARRAY",
        "list_list.list.element.list.element": "DELTA_BYTE_ARRAY"}),
    "byte_stream_split": dict(use_dictionary=False, column_encoding={c: "BYTE_STREAM_SPLIT" for c in BSS_COLS}),
}
CODECS = ["none", "snappy", "gzip", "brotli", "zstd", "lz4"]
# Encodings each profile must really have produced (checked in the footer).
PROFILE_ENCODINGS = {
    "dictionary": {"RLE_DICTIONARY"},
    "dictionary_fallback": {"RLE_DICTIONARY", "PLAIN"},
    "plain": {"PLAIN"},
    "delta": {"DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE"},
    "delta_byte_array": {"DELTA_BYTE_ARRAY"},
    "byte_stream_split": {"BYTE_STREAM_SPLIT"},
}


@pytest.fixture(scope="module")
def table():
    return engine_table()


@pytest.mark.parametrize("page_version", ["1.0", "2.0"])
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("codec", CODECS)
def test_pyarrow_roundtrip(quiver, tmp_path, table, codec, encoding, page_version):
    path = tmp_path / f"t-{codec}-{encoding}-{page_version}.parquet"
    pq.write_table(table, path, compression=codec, row_group_size=1000, data_page_size=2048,
                   write_batch_size=128, data_page_version=page_version, write_page_checksum=True,
                   **ENCODINGS[encoding])
    md = pq.ParquetFile(path).metadata
    assert md.num_row_groups == 3
    used = {e for g in range(md.num_row_groups) for c in range(md.num_columns)
            for e in md.row_group(g).column(c).encodings}
    assert PROFILE_ENCODINGS[encoding] <= used
    batch = 700 if codec in ("none", "zstd") else 0  # batches that straddle pages and row groups
    args = ["cat", "--format", "arrow", path] + (["--batch-size", batch] if batch else [])
    ours = ipc.open_stream(run(quiver, *args).stdout).read_all()
    assert ours.schema == table.schema
    assert tables_equal(ours, table), _first_difference(ours, table)


def has_floats(t):
    if pa.types.is_floating(t):
        return True
    return any(has_floats(t.field(i).type) for i in range(t.num_fields))


def tables_equal(a, b):
    """Table.equals, except that NaN equals NaN (Arrow's equals says no)."""
    if a.schema != b.schema or a.num_rows != b.num_rows:
        return False
    for name in b.schema.names:
        t = b.schema.field(name).type
        if not has_floats(t):
            if not a.column(name).equals(b.column(name)):
                return False
            continue
        x = a.column(name).cast(plain_type(t)).to_pylist()
        y = b.column(name).cast(plain_type(t)).to_pylist()
        if not same([expected(v, t) for v in x], [expected(v, t) for v in y]):
            return False
    return True


def _first_difference(a, b):
    for name in b.schema.names:
        t = b.schema.field(name).type
        x = a.column(name).cast(plain_type(t)).to_pylist()
        y = b.column(name).cast(plain_type(t)).to_pylist()
        if len(x) != len(y):
            return f"column {name}: {len(x)} values, want {len(y)}"
        for i, (u, v) in enumerate(zip(x, y)):
            if not same(expected(u, t), expected(v, t)):
                return f"column {name} row {i}: quiver {u!r}, pyarrow {v!r}"
    return "no value differs (types or lengths do)"


def test_pyarrow_legacy_layouts(quiver, tmp_path, table):
    """Two-level lists (use_compliant_nested_type=False), format version 1.0
    (converted types only), INT96 timestamps and decimals stored as integers."""
    t = table.select(["int8", "uint32", "list", "list_struct", "map", "dec_small", "dec_large", "ts_ns", "utf8"])
    path = tmp_path / "legacy.parquet"
    pq.write_table(t, path, version="1.0", use_compliant_nested_type=False, use_deprecated_int96_timestamps=True,
                   store_decimal_as_integer=True, row_group_size=900, data_page_size=1024)
    ours = ipc.open_stream(run(quiver, "cat", "--format", "arrow", path).stdout).read_all()
    want = pq.read_table(path)
    assert tables_equal(ours, want), _first_difference(ours, want)


def test_columns_projection_and_nested_selection(quiver, tmp_path, table):
    path = tmp_path / "p.parquet"
    pq.write_table(table, path, row_group_size=1000)
    ours = ipc.open_stream(run(quiver, "cat", "--format", "arrow", "--columns", "map,int8,list_struct",
                               path).stdout).read_all()
    assert tables_equal(ours, table.select(["map", "int8", "list_struct"]))


# ---- 3. TPC-H --------------------------------------------------------------------------

TPCH_TABLES = ["region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"]


@pytest.fixture(scope="session")
def tpch_dir():
    out = ROOT / "build" / "tpch-parquet-sf0.1"
    if not all((out / f"{t}.parquet").exists() for t in TPCH_TABLES):
        tool = ROOT / ".venv" / "bin" / "tpchgen-cli"
        if not tool.exists():
            pytest.skip("tpchgen-cli is not installed in .venv")
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        subprocess.run([str(tool), "parquet", "-s", "0.1", "--output-dir", str(out)], check=True,
                       capture_output=True, timeout=300)
    return out


def column_checksum(col):
    """Row count, null count and an order-sensitive digest of the values."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t):
        digest = pc.sum(pc.multiply(pc.binary_length(col).cast(pa.int64()),
                                    pa.array(range(1, len(col) + 1), pa.int64()))).as_py()
        digest = (digest, pc.sum(pc.utf8_length(col)).as_py() if pa.types.is_string(t) else None,
                  pc.max(col).as_py(), pc.min(col).as_py())
    elif pa.types.is_decimal(t):
        digest = (pc.sum(col).as_py(), pc.min(col).as_py(), pc.max(col).as_py())
    elif pa.types.is_date32(t):
        digest = pc.sum(col.cast(pa.int32()).cast(pa.int64())).as_py()
    else:
        digest = pc.sum(col).as_py()
    return (len(col), col.null_count, digest)


@pytest.mark.parametrize("name", TPCH_TABLES)
def test_tpch_sf01(quiver, tpch_dir, name):
    path = tpch_dir / f"{name}.parquet"
    want = pq.read_table(path)
    # tpchgen's ARROW:schema says string_view, a type Quiver does not have: utf8 it is.
    want = want.cast(pa.schema([pa.field(f.name, pa.string() if pa.types.is_string_view(f.type) else f.type,
                                         f.nullable, f.metadata) for f in want.schema]))
    ours = ipc.open_stream(run(quiver, "cat", "--format", "arrow", path).stdout).read_all()
    assert ours.num_rows == want.num_rows
    for field in want.schema:
        assert column_checksum(ours.column(field.name)) == column_checksum(want.column(field.name)), field.name
    assert ours.equals(want)


# ---- 4. the command line -------------------------------------------------------------------

def test_cli_csv_and_limit(quiver, tmp_path):
    t = pa.table({"a": pa.array([1, None, 3], pa.int32()), "s": pa.array(['x,"y"', None, "line\nbreak"]),
                  "d": pa.array([1.5, float("nan"), 0.1], pa.float64()),
                  "dt": pa.array([0, 19000, -1], pa.date32()),
                  "ts": pa.array([0, 1500, None], pa.timestamp("ms", tz="UTC")),
                  "dec": pa.array([decimal.Decimal("-1.05"), None, decimal.Decimal("12.00")], pa.decimal128(5, 2))})
    path = tmp_path / "c.parquet"
    pq.write_table(t, path)
    out = run(quiver, "cat", "--format", "csv", path).stdout.decode()
    assert out.split("\r\n") == [
        "a,s,d,dt,ts,dec",
        '1,"x,""y""",1.5,1970-01-01,1970-01-01T00:00:00.000Z,-1.05',
        ",,NaN,2022-01-08,1970-01-01T00:00:01.500Z,",
        '3,"line\nbreak",0.1,1969-12-31,,12.00',
        ""]
    out = run(quiver, "cat", "--format", "json", "--limit", "1", path, path).stdout.decode()
    assert out.count("\n") == 1
    out = run(quiver, "cat", "--limit", "2", "--columns", "s,a", path).stdout.decode()
    assert out.splitlines()[0].split() == ["s", "|", "a"] and "line" not in out


def test_cli_reads_arrow_ipc_by_content(quiver, tmp_path):
    t = pa.table({"x": pa.array([1, 2, None], pa.int64()), "y": pa.array(["a", None, "c"])})
    f = tmp_path / "data.parquet"  # an IPC file with a misleading name
    with ipc.new_file(f, t.schema) as w:
        w.write_table(t)
    s = tmp_path / "stream.bin"
    with ipc.new_stream(s, t.schema) as w:
        w.write_table(t)
    for path in (f, s):
        rows = parse_json_lines(run(quiver, "cat", "--format", "json", path).stdout)
        assert rows == [{"x": 1, "y": "a"}, {"x": 2, "y": None}, {"x": None, "y": "c"}]
    assert "Arrow IPC file" in run(quiver, "schema", f).stdout.decode()


def test_cli_schema(quiver):
    out = run(quiver, "schema", TESTDATA / "alltypes_tiny_pages.parquet").stdout.decode()
    assert "rows: 7300" in out
    assert "  bool_col: bool" in out
    assert re.search(r"row group 0: 7300 rows", out)
    assert re.search(r"id: UNCOMPRESSED, 7300 values, .*encodings PLAIN,RLE,BIT_PACKED, min 0, max 7299, nulls 0", out)
    out = run(quiver, "schema", TESTDATA / "int96_from_spark.parquet").stdout.decode()
    assert "a: timestamp[ns]" in out
    out = run(quiver, "schema", TESTDATA / "int64_decimal.parquet").stdout.decode()
    assert "min 1.00, max 24.00, nulls 0" in out
    out = run(quiver, "schema", TESTDATA / "column_chunk_key_value_metadata.parquet").stdout.decode()
    assert "foo=bar" in out
    out = run(quiver, "schema", TESTDATA / "binary_truncated_min_max.parquet").stdout.decode()
    assert "min Al (truncated), max Kf (truncated)" in out


def test_cli_errors(quiver, tmp_path):
    proc = run(quiver, "cat", tmp_path / "missing.parquet", check=False)
    assert proc.returncode == 1 and "missing.parquet: no such file" in proc.stderr.decode()
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"PAR1" + b"\0" * 100 + b"XXXX")
    proc = run(quiver, "cat", junk, check=False)
    assert proc.returncode == 1
    assert "junk.parquet: not a Parquet file (no PAR1 magic)" in proc.stderr.decode()
    proc = run(quiver, "cat", "--format", "xml", TESTDATA / "binary.parquet", check=False)
    assert proc.returncode == 2 and "unknown --format 'xml'" in proc.stderr.decode()
    proc = run(quiver, "cat", check=False)
    assert proc.returncode == 2
    proc = run(quiver, "frobnicate", check=False)
    assert proc.returncode == 2 and "unknown command" in proc.stderr.decode()
    proc = run(quiver, "cat", "--limit", "x", TESTDATA / "binary.parquet", check=False)
    assert proc.returncode == 2
    proc = run(quiver, "cat", "--columns", "nope", TESTDATA / "binary.parquet", check=False)
    assert proc.returncode == 1 and "no column 'nope' (columns: foo)" in proc.stderr.decode()
    # Text is read as CSV now; bytes that are neither a known format nor text
    # are refused.
    blob = tmp_path / "notes.bin"
    blob.write_bytes(b"\x00hello")
    proc = run(quiver, "cat", blob, check=False)
    assert proc.returncode == 1 and "unknown file format" in proc.stderr.decode()


def test_cli_corrupt_page_names_column_and_page(quiver, tmp_path):
    """An unknown value encoding in a data page: the message names file, row
    group, column and page."""
    t = pa.table({"l_tax": pa.array([1.5] * 10), "other": pa.array(range(10))})
    path = tmp_path / "enc.parquet"
    pq.write_table(t, path, use_dictionary=False, compression="none", write_page_index=False)
    data = bytearray(path.read_bytes())
    md = pq.ParquetFile(path).metadata
    start = md.row_group(0).column(0).data_page_offset
    # The DataPageHeader's encoding field follows num_values: find "0x15 <zigzag 10> 0x15 0x00"
    # (field 1 i32 = 10, field 2 i32 = PLAIN) and set the encoding to 9+... = 12 (unknown).
    i = data.index(bytes([0x15, 0x14, 0x15, 0x00]), start)
    data[i + 3] = 24  # zigzag(12)
    path.write_bytes(bytes(data))
    proc = run(quiver, "cat", "--format", "json", path, check=False)
    assert proc.returncode == 1
    assert "row group 0: column 'l_tax' page 0: unknown encoding 12" in proc.stderr.decode()
