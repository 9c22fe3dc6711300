"""Differential tests of Quiver's scalar expressions against DuckDB.

Random columns (with NULLs) go to Quiver's quiver-expr-eval tool as an Arrow
IPC stream of several batches; the tool evaluates an expression written in
its S-expression syntax and streams the result column back. DuckDB runs the
equivalent SQL over the same Arrow table. The two columns must agree row by
row: decimals exactly (as numbers, so a different result scale is fine),
floats to 1e-9 relative, everything else exactly. Where DuckDB's SQL
semantics differ from Quiver's documented ones (DuckDB divides decimals in
double, returns timestamps from date + interval, ...), the SQL side spells
out the equivalent."""
import datetime
import decimal
import math
import pathlib
import random
import subprocess

import duckdb
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from conftest import BUILD

N_ROWS = 3000
BATCH_SIZES = [1000, 1, 0, 1999]
WORDS = ["special", "requests", "PROMO", "brushed", "a_c", "abc", "x%y", "Mail", "", "zz", "special requests"]


def _random_table(seed=20240601):
    rng = random.Random(seed)

    def maybe(v, p=0.1):
        return None if rng.random() < p else v

    def dec(lo, hi, scale=2):
        q = decimal.Decimal(1).scaleb(-scale)
        return decimal.Decimal(rng.uniform(lo, hi)).quantize(q)

    base = datetime.date(1992, 1, 1)
    rows = range(N_ROWS)
    cols = {
        "rid": pa.array(list(rows), pa.int64()),
        "price": pa.array([maybe(dec(900, 105000)) for _ in rows], pa.decimal128(15, 2)),
        "disc": pa.array([maybe(dec(0, 0.10)) for _ in rows], pa.decimal128(15, 2)),
        "tax": pa.array([maybe(dec(0, 0.08)) for _ in rows], pa.decimal128(15, 2)),
        "qty": pa.array([maybe(decimal.Decimal(rng.randint(1, 50))) for _ in rows], pa.decimal128(15, 2)),
        "i32": pa.array([maybe(rng.randint(-1000, 1000)) for _ in rows], pa.int32()),
        "i64": pa.array([maybe(rng.randint(-10**12, 10**12)) for _ in rows], pa.int64()),
        "f64": pa.array([maybe(rng.uniform(-1e4, 1e4)) for _ in rows], pa.float64()),
        "b": pa.array([maybe(rng.random() < 0.5) for _ in rows], pa.bool_()),
        "b2": pa.array([maybe(rng.random() < 0.5, 0.3) for _ in rows], pa.bool_()),
        "s": pa.array([maybe(" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 4)))) for _ in rows], pa.string()),
        "code": pa.array([maybe(rng.choice(["A", "B", "C", "N", "R"])) for _ in rows], pa.string()),
        "snum": pa.array([maybe(str(rng.randint(-10**6, 10**6))) for _ in rows], pa.string()),
        "sdate": pa.array([maybe((base + datetime.timedelta(days=rng.randint(0, 2500))).isoformat()) for _ in rows],
                          pa.string()),
        "d": pa.array([maybe(base + datetime.timedelta(days=rng.randint(0, 2600))) for _ in rows], pa.date32()),
        "ts": pa.array([maybe(datetime.datetime(1992, 1, 1) + datetime.timedelta(seconds=rng.randint(0, 2 * 10**8),
                                                                                microseconds=rng.randint(0, 999999)))
                        for _ in rows], pa.timestamp("us")),
    }
    return pa.table(cols)


@pytest.fixture(scope="module")
def tool():
    path = pathlib.Path(BUILD) / "quiver-expr-eval"
    if not path.exists():
        pytest.fail(f"{path} is not built; run `make build` first")
    return path


@pytest.fixture(scope="module")
def table():
    return _random_table()


@pytest.fixture(scope="module")
def ipc_input(table):
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema) as w:
        start = 0
        for size in BATCH_SIZES:
            part = table.slice(start, size)
            w.write_batch(pa.RecordBatch.from_arrays([c.combine_chunks() for c in part.columns], schema=table.schema))
            start += size
    return sink.getvalue().to_pybytes()


@pytest.fixture(scope="module")
def duck(table):
    con = duckdb.connect()
    con.register("t", table)
    return con


def quiver_eval(tool, ipc_input, sexpr):
    proc = subprocess.run([str(tool), sexpr], input=ipc_input, capture_output=True, timeout=120)
    if proc.returncode != 0:
        pytest.fail(f"quiver-expr-eval {sexpr!r} failed: {proc.stderr.decode(errors='replace')}")
    reader = ipc.open_stream(proc.stdout)
    batches = list(reader)
    assert [b.num_rows for b in batches] == BATCH_SIZES
    return pa.Table.from_batches(batches, reader.schema).column("result").to_pylist()


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        return decimal.Decimal(a) == decimal.Decimal(b)
    return a == b


def check(tool, ipc_input, duck, sexpr, sql):
    got = quiver_eval(tool, ipc_input, sexpr)
    want = [r[0] for r in duck.execute(f"SELECT {sql} FROM t ORDER BY rid").fetchall()]
    assert len(got) == len(want) == N_ROWS
    bad = [(i, got[i], want[i]) for i in range(N_ROWS) if not same(got[i], want[i])]
    assert not bad, f"{sexpr} vs {sql}: {len(bad)} rows differ, first {bad[:5]}"
    assert any(v is not None for v in want), f"{sql}: every row is NULL, the case tests nothing"


DECIMAL_CASES = [
    ("(mul (col price) (sub (int 1) (col disc)))", "price * (1 - disc)"),
    ("(mul (mul (col price) (sub (int 1) (col disc))) (add (int 1) (col tax)))", "price * (1 - disc) * (1 + tax)"),
    ("(add (col price) (col qty))", "price + qty"),
    ("(sub (col tax) (col disc))", "tax - disc"),
    ("(mul (col qty) (col tax))", "qty * tax"),
    ("(div (col price) (col qty))", "price / qty"),
    ("(mod (col price) (col qty))", "price % qty"),
    ("(mul (col i32) (col disc))", "i32 * disc"),
    ("(sub (col price) (dec 12345 5 2))", "price - 123.45"),
    ("(neg (col price))", "-price"),
]

INTEGER_FLOAT_CASES = [
    ("(add (col i32) (int 7))", "i32 + 7"),
    ("(mul (col i32) (col i32))", "i32 * i32"),
    ("(mod (col i32) (int 7))", "i32 % 7"),
    ("(div (col i32) (int 7))", "trunc(i32 / 7)"),
    ("(sub (col i64) (col i32))", "i64 - i32"),
    ("(mul (col f64) (float 2.5))", "f64 * 2.5"),
    ("(add (col f64) (col i32))", "f64 + i32"),
    ("(div (col f64) (col price))", "f64 / price"),
]

LIKE_CASES = [
    ("(like (col s) (str \"PROMO%\"))", "s LIKE 'PROMO%'"),
    ("(like (col s) (str \"%requests\"))", "s LIKE '%requests'"),
    ("(like (col s) (str \"%special%requests%\"))", "s LIKE '%special%requests%'"),
    ("(not_like (col s) (str \"%brushed%\"))", "s NOT LIKE '%brushed%'"),
    ("(like (col s) (str \"%a_c%\"))", "s LIKE '%a_c%'"),
    ("(like (col s) (str \"%a\\\\_c%\"))", "s LIKE '%a\\_c%' ESCAPE '\\'"),
    ("(like (col s) (str \"%x\\\\%y%\"))", "s LIKE '%x\\%y%' ESCAPE '\\'"),
    ("(like (col s) (str \"_\"))", "s LIKE '_'"),
    ("(like (col s) (str \"\"))", "s LIKE ''"),
    ("(like (col s) (str \"s%l r%s\"))", "s LIKE 's%l r%s'"),
    ("(ilike (col s) (str \"%mail%\"))", "s ILIKE '%mail%'"),
    ("(not_ilike (col s) (str \"promo%\"))", "s NOT ILIKE 'promo%'"),
    ("(like (col s) (col code))", "s LIKE code"),
]

DATE_CASES = [
    ("(sub (col d) (int 90))", "d - 90"),
    ("(add (col d) (col i32))", "d + i32"),
    ("(le (col d) (sub (date \"1998-12-01\") (interval 0 90 0)))", "d <= CAST(DATE '1998-12-01' - INTERVAL 90 DAY AS DATE)"),
    ("(add (col d) (interval 1 2 0))", "CAST(d + INTERVAL '1 month 2 days' AS DATE)"),
    ("(sub (col d) (interval 14 0 0))", "CAST(d - INTERVAL 14 MONTH AS DATE)"),
    ("(add (col ts) (interval 1 2 3000000))", "ts + INTERVAL '1 month 2 days 3 milliseconds'"),
    ("(fn add_months (col d) (col i32))", "CAST(d + to_months(i32) AS DATE)"),
    ("(sub (col d) (date \"1995-01-01\"))", "d - DATE '1995-01-01'"),
    ("(fn date_trunc (str \"month\") (col d))", "CAST(date_trunc('month', d) AS DATE)"),
    ("(fn date_trunc (str \"quarter\") (col ts))", "date_trunc('quarter', ts)"),
    ("(fn date_trunc (str \"week\") (col d))", "CAST(date_trunc('week', d) AS DATE)"),
    ("(fn date_trunc (str \"hour\") (col ts))", "date_trunc('hour', ts)"),
] + [(f"(fn extract (str \"{f}\") (col d))", f"extract({f} FROM d)")
     for f in ["year", "quarter", "month", "day", "dow", "isodow", "doy", "week"]] + [
    (f"(fn date_part (str \"{f}\") (col ts))", f"date_part('{f}', ts)")
    for f in ["hour", "minute", "second", "millisecond", "microsecond", "week"]] + [
    ("(fn date_part (str \"epoch\") (col ts))", "epoch(ts)"),
]

COMPARE_CASES = [
    ("(lt (col i32) (col i64))", "i32 < i64"),
    ("(ge (col price) (col qty))", "price >= qty"),
    ("(eq (col disc) (col tax))", "disc = tax"),
    ("(gt (col price) (float 50000.5))", "price > 50000.5"),
    ("(lt (col s) (str \"m\"))", "s < 'm'"),
    ("(ne (col code) (str \"A\"))", "code <> 'A'"),
    ("(le (col d) (str \"1998-09-02\"))", "d <= DATE '1998-09-02'"),
    ("(lt (col d) (col ts))", "CAST(d AS TIMESTAMP) < ts"),
    ("(eq (col b) (col b2))", "b = b2"),
    ("(gt (col f64) (col i32))", "f64 > i32"),
    ("(and (between (col disc) (dec 5 3 2) (dec 7 3 2)) (lt (col qty) (int 24)))",
     "disc BETWEEN 0.05 AND 0.07 AND qty < 24"),
    ("(and (col b) (col b2))", "b AND b2"),
    ("(or (col b) (col b2))", "b OR b2"),
    ("(not (col b))", "NOT b"),
    ("(or (is_null (col b)) (is_not_null (col i32)))", "b IS NULL OR i32 IS NOT NULL"),
    ("(in (col code) (str \"A\") (str \"R\"))", "code IN ('A', 'R')"),
    ("(not_in (col i32) (int 1) (int 2) (int 3) (int 4) (int 5) (int 6) (int 7) (int 8) (int 9) (int 10))",
     "i32 NOT IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)"),
    ("(in (col i32) (int 5) (int 6) (int 7) (int 8) (int 9) (null))", "i32 IN (5, 6, 7, 8, 9, NULL)"),
    ("(not_in (col i32) (int 5) (int 6) (int 7) (int 8) (int 9) (null))", "i32 NOT IN (5, 6, 7, 8, 9, NULL)"),
    ("(in (col i32) (col qty) (int 3))", "i32 IN (qty, 3)"),
    ("(not_between (col i32) (int -10) (col qty))", "i32 NOT BETWEEN -10 AND qty"),
    ("(in (col d) (str \"1995-03-15\") (str \"1996-01-01\"))", "d IN (DATE '1995-03-15', DATE '1996-01-01')"),
]

CASE_CASES = [
    ("(case (when (lt (col i32) (int 0)) (str \"neg\")) (when (eq (col i32) (int 0)) (str \"zero\")) (else (str \"pos\")))",
     "CASE WHEN i32 < 0 THEN 'neg' WHEN i32 = 0 THEN 'zero' ELSE 'pos' END"),
    ("(case_on (col code) (when (str \"A\") (int 1)) (when (str \"B\") (int 2)))",
     "CASE code WHEN 'A' THEN 1 WHEN 'B' THEN 2 END"),
    ("(case (when (like (col s) (str \"PROMO%\")) (mul (col price) (sub (int 1) (col disc)))) (else (int 0)))",
     "CASE WHEN s LIKE 'PROMO%' THEN price * (1 - disc) ELSE 0 END"),
    ("(case (when (eq (col i32) (int 0)) (int 0)) (else (div (col price) (col i32))))",
     "CASE WHEN i32 = 0 THEN 0 ELSE price / i32 END"),
    ("(case (when (col b) (col f64)) (when (col b2) (col i32)))", "CASE WHEN b THEN f64 WHEN b2 THEN i32 END"),
    ("(fn coalesce (col i32) (col i64) (int -1))", "coalesce(i32, i64, -1)"),
    ("(fn coalesce (col s) (col code))", "coalesce(s, code)"),
    ("(fn nullif (col code) (str \"A\"))", "nullif(code, 'A')"),
    ("(fn nullif (mod (col i32) (int 3)) (int 0))", "nullif(i32 % 3, 0)"),
]

CAST_CASES = [
    ("(cast (col price) int64)", "CAST(price AS BIGINT)"),
    ("(cast (col price) float64)", "CAST(price AS DOUBLE)"),
    ("(cast (col price) decimal:15:1)", "CAST(price AS DECIMAL(15, 1))"),
    ("(cast (col disc) decimal:5:4)", "CAST(disc AS DECIMAL(5, 4))"),
    ("(cast (col f64) decimal:12:3)", "CAST(f64 AS DECIMAL(12, 3))"),
    ("(cast (col f64) int32)", "CAST(f64 AS INTEGER)"),
    ("(cast (col i64) float64)", "CAST(i64 AS DOUBLE)"),
    ("(cast (col i32) int16)", "CAST(i32 AS SMALLINT)"),
    ("(cast (col snum) int32)", "CAST(snum AS INTEGER)"),
    ("(cast (col snum) decimal:10:2)", "CAST(snum AS DECIMAL(10, 2))"),
    ("(cast (col sdate) date32)", "CAST(sdate AS DATE)"),
    ("(cast (col d) utf8)", "CAST(d AS VARCHAR)"),
    ("(cast (col i32) utf8)", "CAST(i32 AS VARCHAR)"),
    ("(cast (col price) utf8)", "CAST(price AS VARCHAR)"),
    ("(cast (col ts) date32)", "CAST(ts AS DATE)"),
    ("(cast (col d) timestamp:us)", "CAST(d AS TIMESTAMP)"),
    ("(cast (col b) int32)", "CAST(b AS INTEGER)"),
    ("(cast (col i32) bool)", "CAST(i32 AS BOOLEAN)"),
]

FUNCTION_CASES = [
    ("(fn upper (col s))", "upper(s)"),
    ("(fn lower (col s))", "lower(s)"),
    ("(fn length (col s))", "length(s)"),
    ("(fn substring (col s) (int 2) (int 5))", "substring(s, 2, 5)"),
    ("(fn substr (col s) (int 3))", "substr(s, 3)"),
    ("(fn trim (fn concat (str \"  \") (col code) (str \" \")))", "trim(concat('  ', code, ' '))"),
    ("(fn concat (col code) (str \"-\") (col i32))", "concat(code, '-', i32)"),
    ("(fn starts_with (col s) (str \"spe\"))", "starts_with(s, 'spe')"),
    ("(fn abs (col i32))", "abs(i32)"),
    ("(fn abs (col f64))", "abs(f64)"),
    ("(fn round (col price) (int 1))", "round(price, 1)"),
    ("(fn round (col f64) (int 2))", "round(f64, 2)"),
    ("(fn floor (col f64))", "floor(f64)"),
    ("(fn ceil (col price))", "ceil(price)"),
    ("(fn floor (mul (col price) (col disc)))", "floor(price * disc)"),
]


@pytest.mark.parametrize("sexpr,sql", DECIMAL_CASES)
def test_decimal_arithmetic(tool, ipc_input, duck, sexpr, sql):
    check(tool, ipc_input, duck, sexpr, sql)


@pytest.mark.parametrize("sexpr,sql", INTEGER_FLOAT_CASES)
def test_integer_and_float_arithmetic(tool, ipc_input, duck, sexpr, sql):
    check(tool, ipc_input, duck, sexpr, sql)


@pytest.mark.parametrize("sexpr,sql", LIKE_CASES)
def test_like(tool, ipc_input, duck, sexpr, sql):
    check(tool, ipc_input, duck, sexpr, sql)


@pytest.mark.parametrize("sexpr,sql", DATE_CASES)
def test_dates(tool, ipc_input, duck, sexpr, sql):
    check(tool, ipc_input, duck, sexpr, sql)


@pytest.mark.parametrize("sexpr,sql", COMPARE_CASES)
def test_comparisons_and_logic(tool, ipc_input, duck, sexpr, sql):
    check(tool, ipc_input, duck, sexpr, sql)


@pytest.mark.parametrize("sexpr,sql", CASE_CASES)
def test_case_and_conditionals(tool, ipc_input, duck, sexpr, sql):
    check(tool, ipc_input, duck, sexpr, sql)


@pytest.mark.parametrize("sexpr,sql", CAST_CASES)
def test_casts(tool, ipc_input, duck, sexpr, sql):
    check(tool, ipc_input, duck, sexpr, sql)


@pytest.mark.parametrize("sexpr,sql", FUNCTION_CASES)
def test_functions(tool, ipc_input, duck, sexpr, sql):
    check(tool, ipc_input, duck, sexpr, sql)


def test_errors_reach_the_caller(tool, ipc_input):
    proc = subprocess.run([str(tool), "(div (col i32) (sub (col i32) (col i32)))"], input=ipc_input,
                          capture_output=True, timeout=60)
    assert proc.returncode == 1
    assert b"OUT_OF_RANGE: division by zero" in proc.stderr
    proc = subprocess.run([str(tool), "(cast (col s) int32)"], input=ipc_input, capture_output=True, timeout=60)
    assert proc.returncode == 1
    assert b"cannot convert '" in proc.stderr
    proc = subprocess.run([str(tool), "(fn nope (col s))"], input=ipc_input, capture_output=True, timeout=60)
    assert b"unknown function 'nope'" in proc.stderr
