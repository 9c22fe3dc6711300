"""CSV and JSON Lines interop with implementations we did not write (pyarrow's
CSV reader, DuckDB, Python's csv and json modules), driven through the
quiver-csvcat tool (apps/quiver-csvcat), which reads CSV with Quiver's reader
and writes an Arrow IPC stream, or reads an IPC stream and writes Quiver's CSV
or JSON Lines.

1. TPC-H SF 0.01 `.tbl` files from tpchgen-cli, read by Quiver with the TPC-H
   schema (whole, and as 7 byte ranges), equal pyarrow's and DuckDB's reading
   of the same files value for value.
2. Type inference agrees with pyarrow's on the types both infer alike.
3. Random RFC 4180 documents written by Python's csv module (every quoting
   style, CRLF and LF, several delimiters) read back field for field.
4. Tables of many types written by pyarrow go through Quiver's CSV writer and
   come back equal from pyarrow's CSV reader and from DuckDB; floats are
   written in their shortest round-trip form (Python's repr); Quiver's JSON
   Lines parse with json.loads into the same values.
"""
import csv
import datetime
import decimal
import io
import json
import math
import random
import subprocess

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pytest

from conftest import BUILD, ROOT, run_tool

D = "decimal(15,2)"
TPCH = {
    "region": ["r_regionkey:int32", "r_name:utf8", "r_comment:utf8"],
    "nation": ["n_nationkey:int32", "n_name:utf8", "n_regionkey:int32", "n_comment:utf8"],
    "part": ["p_partkey:int32", "p_name:utf8", "p_mfgr:utf8", "p_brand:utf8", "p_type:utf8", "p_size:int32",
             "p_container:utf8", f"p_retailprice:{D}", "p_comment:utf8"],
    "supplier": ["s_suppkey:int32", "s_name:utf8", "s_address:utf8", "s_nationkey:int32", "s_phone:utf8",
                 f"s_acctbal:{D}", "s_comment:utf8"],
    "partsupp": ["ps_partkey:int32", "ps_suppkey:int32", "ps_availqty:int32", f"ps_supplycost:{D}",
                 "ps_comment:utf8"],
    "customer": ["c_custkey:int32", "c_name:utf8", "c_address:utf8", "c_nationkey:int32", "c_phone:utf8",
                 f"c_acctbal:{D}", "c_mktsegment:utf8", "c_comment:utf8"],
    "orders": ["o_orderkey:int32", "o_custkey:int32", "o_orderstatus:utf8", f"o_totalprice:{D}",
               "o_orderdate:date32", "o_orderpriority:utf8", "o_clerk:utf8", "o_shippriority:int32",
               "o_comment:utf8"],
    "lineitem": ["l_orderkey:int32", "l_partkey:int32", "l_suppkey:int32", "l_linenumber:int32",
                 f"l_quantity:{D}", f"l_extendedprice:{D}", f"l_discount:{D}", f"l_tax:{D}",
                 "l_returnflag:utf8", "l_linestatus:utf8", "l_shipdate:date32", "l_commitdate:date32",
                 "l_receiptdate:date32", "l_shipinstruct:utf8", "l_shipmode:utf8", "l_comment:utf8"],
}
ARROW_TYPES = {"int32": pa.int32(), "utf8": pa.string(), D: pa.decimal128(15, 2), "date32": pa.date32()}
DUCKDB_TYPES = {"int32": "INTEGER", "utf8": "VARCHAR", D: "DECIMAL(15,2)", "date32": "DATE"}


@pytest.fixture(scope="session")
def csvcat():
    tool = BUILD / "quiver-csvcat"
    if not tool.exists():
        pytest.fail(f"{tool} is not built; run `make build` first")
    return tool


@pytest.fixture(scope="session")
def tpch_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("tpch-tbl")
    cli = ROOT / ".venv" / "bin" / "tpchgen-cli"
    subprocess.run([str(cli), "tbl", "-s", "0.01", "-o", str(out)], check=True, capture_output=True,
                   timeout=300)
    return out


def read_stream(data):
    return ipc.open_stream(pa.BufferReader(data)).read_all()


def split(spec):
    return [c.split(":", 1) for c in spec]


# ---- 1. TPC-H .tbl -----------------------------------------------------------------

@pytest.mark.parametrize("table", sorted(TPCH))
def test_tpch_tbl_matches_pyarrow_and_duckdb(table, csvcat, tpch_dir):
    path = tpch_dir / f"{table}.tbl"
    spec = ",".join(TPCH[table])
    got = read_stream(run_tool(csvcat, "--tbl", "--schema", spec, path))
    cols = split(TPCH[table])
    schema = pa.schema([(n, ARROW_TYPES[t]) for n, t in cols])
    assert got.schema.equals(schema)

    # pyarrow: the trailing '|' makes one more, always empty, column.
    names = [n for n, _ in cols] + ["_end"]
    types = {n: ARROW_TYPES[t] for n, t in cols}
    types["_end"] = pa.null()
    want = pacsv.read_csv(path, read_options=pacsv.ReadOptions(column_names=names),
                          parse_options=pacsv.ParseOptions(delimiter="|", quote_char=False),
                          convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                                               quoted_strings_can_be_null=False))
    want = want.drop_columns(["_end"])
    assert got.num_rows == want.num_rows > 0
    assert got.equals(want), f"{table}: Quiver and pyarrow differ"

    # DuckDB, as an independent reader.
    columns = ", ".join(f"'{n}': '{DUCKDB_TYPES[t]}'" for n, t in cols)
    con = duckdb.connect()
    duck = con.sql(f"SELECT * FROM read_csv('{path}', delim='|', header=false, quote='', "
                   f"columns={{{columns}}}, null_padding=true, ignore_errors=false)").arrow()
    if isinstance(duck, pa.RecordBatchReader):
        duck = duck.read_all()
    duck = duck.select([n for n, _ in cols]).cast(schema)
    assert got.equals(duck), f"{table}: Quiver and DuckDB differ"

    # Byte ranges: 7 readers over adjacent ranges give the same table.
    ranged = read_stream(run_tool(csvcat, "--tbl", "--ranges", "7", "--schema", spec, path))
    assert ranged.equals(got)

    # And Quiver's CSV writer round-trips it through pyarrow's reader.
    text = run_tool(csvcat, "--tbl", "--schema", spec, "--out", "csv", path)
    back = pacsv.read_csv(io.BytesIO(text), convert_options=pacsv.ConvertOptions(
        column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False))
    assert back.equals(got)


def test_tpch_checksums(csvcat, tpch_dir):
    """Row count and column sums of lineitem, computed by DuckDB on its own read."""
    spec = ",".join(TPCH["lineitem"])
    got = read_stream(run_tool(csvcat, "--tbl", "--ranges", "3", "--schema", spec, tpch_dir / "lineitem.tbl"))
    con = duckdb.connect()
    con.register("q", got)
    mine = con.execute("SELECT count(*), sum(l_extendedprice), sum(l_quantity), min(l_shipdate), max(l_receiptdate), "
                   "sum(length(l_comment)) FROM q").fetchone()
    cols = ", ".join(f"'{n}': '{DUCKDB_TYPES[t]}'" for n, t in split(TPCH["lineitem"]))
    theirs = con.execute(f"SELECT count(*), sum(l_extendedprice), sum(l_quantity), min(l_shipdate), "
                     f"max(l_receiptdate), sum(length(l_comment)) FROM read_csv('{tpch_dir / 'lineitem.tbl'}', "
                     f"delim='|', header=false, quote='', columns={{{cols}}}, null_padding=true)").fetchone()
    assert mine == theirs
    assert mine[0] == 60175


# ---- 2. inference ------------------------------------------------------------------

def test_inference_matches_pyarrow(csvcat, tmp_path):
    rng = random.Random(4)
    rows = ["i,f,b,d,ts,s"]
    for k in range(3000):
        i = "" if rng.random() < 0.1 else str(rng.randint(-10**12, 10**12))
        f = "" if rng.random() < 0.1 else repr(rng.uniform(-1e6, 1e6))
        b = rng.choice(["true", "false", "True", "FALSE", ""])
        d = "" if rng.random() < 0.1 else (datetime.date(1990, 1, 1) + datetime.timedelta(rng.randint(0, 20000))).isoformat()
        ts = "" if rng.random() < 0.1 else (datetime.datetime(2000, 1, 1) + datetime.timedelta(
            seconds=rng.randint(0, 10**9))).isoformat()
        s = rng.choice(["plain", '"a,b"', '"x ""y"""', "é€", '"line\nbreak"'])
        rows.append(",".join([i, f, b, d, ts, s]))
    path = tmp_path / "infer.csv"
    path.write_text("\n".join(rows) + "\n")
    got = read_stream(run_tool(csvcat, path))
    want = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(newlines_in_values=True))
    assert got.schema.equals(want.schema), f"{got.schema} vs {want.schema}"
    assert got.equals(want)


# ---- 3. random RFC 4180 documents ----------------------------------------------------

ALPHABET = ['a', 'b', ',', ';', '\t', '"', '\n', '\r\n', ' ', 'é', '€', '𝄞', "'", '|']


@pytest.mark.parametrize("seed", range(8))
def test_python_csv_documents(csvcat, tmp_path, seed):
    rng = random.Random(seed)
    delimiter = [",", ";", "\t", "|"][seed % 4]
    quoting = [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC, csv.QUOTE_MINIMAL][seed % 4]
    terminator = "\r\n" if seed % 2 else "\n"
    n_cols = rng.randint(1, 6)
    rows = [[f"c{j}" for j in range(n_cols)]]
    for _ in range(rng.randint(1, 400)):
        rows.append(["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12))) for _ in range(n_cols)])
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator=terminator).writerows(rows)
    path = tmp_path / "doc.csv"
    path.write_bytes(buf.getvalue().encode())
    spec = ",".join(f"c{j}:utf8" for j in range(n_cols))
    got = read_stream(run_tool(csvcat, "--delimiter", delimiter, "--no-null", "--schema", spec, path))
    assert got.to_pylist() == [dict(zip(rows[0], r)) for r in rows[1:]]


# ---- 4. the writers ----------------------------------------------------------------

def sample_table(rng, n=500):
    def maybe(v):
        return None if rng.random() < 0.1 else v

    def rand_double():
        kind = rng.random()
        if kind < 0.3:
            return round(rng.uniform(-1e5, 1e5), rng.randint(0, 4))
        if kind < 0.5:
            return rng.choice([0.1, 0.3, 1.0, -0.0, 1e22, 1e16, 1e15, 5e-324, 1e-5, 1e-4, 123456789.0,
                               float("inf"), float("-inf"), 2.0 ** 60])
        return rng.uniform(-1, 1) * 10 ** rng.randint(-300, 300)

    strings = ["plain", "a,b", 'say "hi"', "line\nbreak", "", "NULL", "tab\there", "é€𝄞", "\r", " pad "]
    epoch = datetime.datetime(1970, 1, 1)
    return pa.table({
        "i64": pa.array([maybe(rng.randint(-2**63, 2**63 - 1)) for _ in range(n)], pa.int64()),
        "u8": pa.array([maybe(rng.randint(0, 255)) for _ in range(n)], pa.uint8()),
        "f64": pa.array([maybe(rand_double()) for _ in range(n)], pa.float64()),
        "f32": pa.array([maybe(rng.uniform(-100, 100)) for _ in range(n)], pa.float32()),
        "dec": pa.array([maybe(decimal.Decimal(rng.randint(-10**15 + 1, 10**15 - 1)).scaleb(-2)) for _ in range(n)],
                        pa.decimal128(15, 2)),
        "date": pa.array([maybe(datetime.date(1, 1, 1) + datetime.timedelta(rng.randint(0, 3652058)))
                          for _ in range(n)], pa.date32()),
        "ts": pa.array([maybe(epoch + datetime.timedelta(microseconds=rng.randint(-2 * 10**15, 2 * 10**15)))
                        for _ in range(n)], pa.timestamp("us")),
        "tsz": pa.array([maybe(rng.randint(-2 * 10**12, 2 * 10**12)) for _ in range(n)], pa.timestamp("ms", "UTC")),
        "b": pa.array([maybe(rng.random() < 0.5) for _ in range(n)], pa.bool_()),
        "s": pa.array([maybe(rng.choice(strings)) for _ in range(n)], pa.string()),
    })


def to_stream(table):
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema) as w:
        for b in table.to_batches(max_chunksize=97):
            w.write_batch(b)
    return sink.getvalue()


def test_csv_writer_round_trips_through_pyarrow(csvcat, tmp_path):
    table = sample_table(random.Random(1))
    text = run_tool(csvcat, "--in", "ipc", "--out", "csv", stdin=to_stream(table))
    back = pacsv.read_csv(io.BytesIO(text), parse_options=pacsv.ParseOptions(newlines_in_values=True),
                          convert_options=pacsv.ConvertOptions(column_types=table.schema, null_values=[""],
                                                               strings_can_be_null=True,
                                                               quoted_strings_can_be_null=False))
    assert back.equals(table)

    # Floats: exactly Python's repr (the shortest round-trip text), "NaN"/"inf" aside.
    rows = list(csv.reader(io.StringIO(text.decode(), newline="")))
    header, body = rows[0], rows[1:]
    col = header.index("f64")
    for row, value in zip(body, table.column("f64").to_pylist()):
        if value is not None:
            assert row[col] == repr(value), (row[col], value)

    # DuckDB reads it too.
    con = duckdb.connect()
    path = tmp_path / "csv_writer_sample.csv"
    path.write_bytes(text)
    duck = con.sql(f"SELECT i64, dec, date, b, s FROM read_csv('{path}', header=true, "
                   "columns={'i64': 'BIGINT', 'u8': 'UTINYINT', 'f64': 'DOUBLE', 'f32': 'FLOAT', "
                   "'dec': 'DECIMAL(15,2)', 'date': 'DATE', 'ts': 'VARCHAR', 'tsz': 'VARCHAR', 'b': 'BOOLEAN', "
                   "'s': 'VARCHAR'}, allow_quoted_nulls=false)").fetchall()
    want = table.select(["i64", "dec", "date", "b", "s"]).to_pylist()
    assert [tuple(r.values()) for r in want] == duck


def test_jsonl_writer_parses_back(csvcat):
    table = sample_table(random.Random(2))
    text = run_tool(csvcat, "--in", "ipc", "--out", "jsonl", stdin=to_stream(table))
    lines = text.decode("utf-8").splitlines()
    assert len(lines) == table.num_rows
    for line, want in zip(lines, table.to_pylist()):
        got = json.loads(line, parse_float=decimal.Decimal)
        assert list(got) == table.column_names
        for k, v in want.items():
            g = got[k]
            if v is None:
                assert g is None, k
            elif k in ("f64", "f32"):
                if math.isnan(v):
                    assert g == "NaN"
                elif math.isinf(v):
                    assert g == ("inf" if v > 0 else "-inf")
                elif k == "f32":  # the text is the shortest that reads back as a float32
                    assert pa.array([str(g)]).cast(pa.float32())[0].as_py() == v, (k, g, v)
                else:
                    assert float(g) == v, (k, g, v)
            elif k == "dec":
                assert g == v and str(g) == str(v)
            elif k == "date":
                assert g == v.isoformat()
            elif k == "ts":
                assert datetime.datetime.fromisoformat(g) == v
            elif k == "tsz":
                assert g.endswith("Z") and datetime.datetime.fromisoformat(g) == v
            else:
                assert g == v, (k, g, v)


def test_nested_values_as_json(csvcat):
    table = pa.table({
        "l": pa.array([[1, None, 3], [], None], pa.list_(pa.int32())),
        "st": pa.array([{"a": 1, "b": "x\"y"}, {"a": None, "b": None}, None],
                       pa.struct([("a", pa.int64()), ("b", pa.string())])),
        "m": pa.array([[("k", 1.5)], [], None], pa.map_(pa.string(), pa.float64())),
        "bin": pa.array([b"\x00\xff", b"", None], pa.binary()),
        "dict": pa.array(["u", "v", "u"]).dictionary_encode(),
    })
    text = run_tool(csvcat, "--in", "ipc", "--out", "jsonl", stdin=to_stream(table))
    rows = [json.loads(line) for line in text.decode().splitlines()]
    assert rows == [
        {"l": [1, None, 3], "st": {"a": 1, "b": "x\"y"}, "m": {"k": 1.5}, "bin": "00ff", "dict": "u"},
        {"l": [], "st": {"a": None, "b": None}, "m": {}, "bin": "", "dict": "v"},
        {"l": None, "st": None, "m": None, "bin": None, "dict": "u"},
    ]
    text = run_tool(csvcat, "--in", "ipc", "--out", "csv", stdin=to_stream(table))
    rows = list(csv.reader(io.StringIO(text.decode(), newline="")))
    assert rows[0] == ["l", "st", "m", "bin", "dict"]
    assert json.loads(rows[1][0]) == [1, None, 3] and json.loads(rows[1][1]) == {"a": 1, "b": "x\"y"}
    assert rows[2] == ["[]", '{"a":null,"b":null}', "{}", "", "v"]
    assert rows[3] == ["", "", "", "", "u"]
