"""Differential tests of Quiver's physical operators against DuckDB.

Random tables (with NULLs in every nullable column) are written as Arrow IPC
files; Quiver's quiver-plan-run loads them split into several memory-scan
partitions of small batches, builds the plan of each case (its S-expression
syntax is described in apps/quiver-plan-run/main.c), runs it and streams the
result back. DuckDB runs the equivalent SQL over the same Arrow tables.

Results are compared as multisets of rows unless the case orders them: then
the sort-key columns must also come out in the same order. Values compare
exactly (decimals as numbers, so a different scale is fine), except floats
(relative 1e-9) and the columns where Quiver's documented result type differs
from DuckDB's (avg of a decimal: Quiver answers decimal(p+4,s+4) rounded half
away from zero, DuckDB a double), which compare to 1e-6; a separate case
checks those decimal averages exactly against an oracle computed in Python
from DuckDB's exact sums and counts.

Every case runs under three configurations (several partitions of
1000-row batches; one partition; many partitions of 37-row batches), so that
the exchanges, partial aggregations, join modes and sorts see every shape.
Each case checks that DuckDB's answer is not trivial (rows, and non-NULL
values), so that no assertion holds vacuously. Cases that show a known engine
bug are strict xfails naming it: they start failing once it is fixed."""
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

N_T = 20000
N_U = 700
N_V = 40
WORDS = ["special", "requests", "PROMO", "brushed", "a_c", "abc", "Mail", "", "zz", "pending deposits", "bold"]
GROUPS = ["a", "b", "c", "d", "e"]

# (name, settings, table partitions): many partitions and small batches, then
# everything in one partition with the default batch size.
CONFIGS = [
    ("p4", {"target_partitions": "4", "batch_size": "1000"}, {"t": 3, "u": 2, "v": 1, "w": 2, "a": 2}),
    ("p1", {"target_partitions": "1"}, {"t": 1, "u": 1, "v": 1, "w": 1, "a": 1}),
    ("stress", {"target_partitions": "5", "batch_size": "37"}, {"t": 7, "u": 5, "v": 3, "w": 4, "a": 3}),
]


# ---- data -------------------------------------------------------------------------------

def _tables(seed=20240917):
    rng = random.Random(seed)

    def maybe(v, p=0.1):
        return None if rng.random() < p else v

    def dec(lo, hi):
        return decimal.Decimal(rng.uniform(lo, hi)).quantize(decimal.Decimal("0.01"))

    base = datetime.date(1992, 1, 1)
    t_rows = range(N_T)
    t = pa.table({
        "id": pa.array(list(t_rows), pa.int64()),
        "k": pa.array([maybe(rng.randrange(400), 0.08) for _ in t_rows], pa.int32()),
        "g": pa.array([maybe(rng.choice(GROUPS)) for _ in t_rows], pa.string()),
        "g2": pa.array([maybe(rng.randint(-3, 3)) for _ in t_rows], pa.int64()),
        "price": pa.array([maybe(dec(-1000, 100000)) for _ in t_rows], pa.decimal128(15, 2)),
        "disc": pa.array([maybe(dec(0, 0.1)) for _ in t_rows], pa.decimal128(15, 2)),
        "qty": pa.array([maybe(rng.randint(1, 50), 0.05) for _ in t_rows], pa.int32()),
        "f": pa.array([maybe(rng.uniform(-1e4, 1e4)) for _ in t_rows], pa.float64()),
        "d": pa.array([maybe(base + datetime.timedelta(days=rng.randint(0, 2600)), 0.05) for _ in t_rows],
                      pa.date32()),
        "s": pa.array([maybe(" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 3)))) for _ in t_rows],
                      pa.string()),
        "flag": pa.array([maybe(rng.random() < 0.3) for _ in t_rows], pa.bool_()),
    })
    # The same strings dictionary-encoded and as large_utf8.
    t = t.append_column("gd", t.column("g").dictionary_encode())
    t = t.append_column("sl", t.column("s").cast(pa.large_string()))
    u_rows = range(N_U)
    u = pa.table({
        "uk": pa.array([maybe(rng.randrange(500), 0.05) for _ in u_rows], pa.int32()),
        "ug": pa.array([maybe(rng.choice(GROUPS)) for _ in u_rows], pa.string()),
        "w": pa.array([maybe(dec(-50, 500)) for _ in u_rows], pa.decimal128(15, 2)),
        "ud": pa.array([maybe(base + datetime.timedelta(days=rng.randint(0, 2600))) for _ in u_rows], pa.date32()),
        "name": pa.array([f"name#{i % 97}" for i in u_rows], pa.string()),
    })
    v_rows = range(N_V)
    lo = [rng.randint(0, 45) for _ in v_rows]
    v = pa.table({
        "lo": pa.array([maybe(x, 0.1) for x in lo], pa.int32()),
        "hi": pa.array([x + rng.randint(0, 4) for x in lo], pa.int32()),
        "tag": pa.array([f"v{i}" for i in v_rows], pa.string()),
    })
    # Floats with every special value: NaN (equal to itself and the greatest,
    # as in DuckDB), -0.0 (equal to 0.0), infinities, NULL.
    specials = [float("nan"), -0.0, 0.0, float("inf"), float("-inf"), 1.5, -2.25, None]
    w_rows = range(300)
    w = pa.table({
        "wid": pa.array(list(w_rows), pa.int64()),
        "x": pa.array([rng.choice(specials) for _ in w_rows], pa.float64()),
        "y": pa.array([rng.choice(specials) for _ in w_rows], pa.float64()),
    })
    # Groups of 32 decimals: the average of an odd number of cents over 32
    # rows has exactly seven decimals ending in 5, a tie at avg's six, which
    # must round away from zero (half of the groups are negative).
    a_rows = []
    for grp in range(40):
        sign = -1 if grp % 2 else 1
        a_rows += [(grp, sign * dec(0, 1000)) for _ in range(32)]
    rng.shuffle(a_rows)
    a = pa.table({
        "ag": pa.array([r[0] for r in a_rows], pa.int32()),
        "amount": pa.array([r[1] for r in a_rows], pa.decimal128(15, 2)),
    })
    return {"t": t, "u": u, "v": v, "w": w, "a": a}


@pytest.fixture(scope="module")
def tables():
    return _tables()


@pytest.fixture(scope="module")
def table_files(tables, tmp_path_factory):
    d = tmp_path_factory.mktemp("plans")
    paths = {}
    for name, table in tables.items():
        path = d / f"{name}.arrow"
        # Batches of uneven sizes, so that partitions cut through batches.
        with ipc.new_file(str(path), table.schema) as w:
            for batch in table.to_batches(max_chunksize=3333):
                w.write_batch(batch)
        paths[name] = path
    return paths


@pytest.fixture(scope="module")
def duck(tables):
    con = duckdb.connect()
    for name, table in tables.items():
        con.register(name, table)
    return con


@pytest.fixture(scope="module")
def tool():
    path = pathlib.Path(BUILD) / "quiver-plan-run"
    if not path.exists():
        pytest.fail(f"{path} is not built; run `make build` first")
    return path


def run_plan(tool, table_files, config, plan):
    _, settings, parts = config
    args = [str(tool)]
    for key, value in settings.items():
        args += ["--config", f"{key}={value}"]
    for name, path in table_files.items():
        args += ["--table", f"{name}={path}:{parts[name]}"]
    args.append(plan)
    proc = subprocess.run(args, capture_output=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"quiver-plan-run failed on {plan}:\n{proc.stderr.decode(errors='replace')}")
    return ipc.open_stream(proc.stdout).read_all()


# ---- comparison -------------------------------------------------------------------------------

def _same(a, b, loose):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float) or loose:
        if isinstance(a, (int, float, decimal.Decimal)) and isinstance(b, (int, float, decimal.Decimal)):
            a, b = float(a), float(b)
            if math.isnan(a) or math.isnan(b):
                return math.isnan(a) and math.isnan(b)
            if loose:  # a rounded decimal against an (accurate) double
                return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-6)
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        return decimal.Decimal(a) == decimal.Decimal(b)
    return type(a) is type(b) and a == b


def _sort_key(row):
    out = []
    for v in row:
        if v is None:
            out.append((1, 0, ""))
        elif isinstance(v, float) and math.isnan(v):
            out.append((0, math.inf, "nan"))
        elif isinstance(v, (bool, int, float, decimal.Decimal)):
            out.append((0, round(float(v), 3), ""))
        else:
            out.append((0, 0, str(v)))
    return out


def compare(got_rows, want_rows, names, loose=(), order_by=None):
    loose_idx = {names.index(c) for c in loose}
    assert len(got_rows) == len(want_rows), f"{len(got_rows)} rows, DuckDB {len(want_rows)}"
    if order_by is not None:
        idx = [names.index(c) for c in order_by]
        got_keys = [tuple(r[i] for i in idx) for r in got_rows]
        want_keys = [tuple(r[i] for i in idx) for r in want_rows]
        bad = [(i, g, w) for i, (g, w) in enumerate(zip(got_keys, want_keys))
               if not all(_same(x, y, False) for x, y in zip(g, w))]
        assert not bad, f"order differs at {len(bad)} rows, first (row, quiver, duckdb): {bad[:5]}"
    got_sorted = sorted(got_rows, key=_sort_key)
    want_sorted = sorted(want_rows, key=_sort_key)
    bad = []
    for g, w in zip(got_sorted, want_sorted):
        if not all(_same(x, y, i in loose_idx) for i, (x, y) in enumerate(zip(g, w))):
            bad.append((g, w))
    assert not bad, f"{len(bad)} rows differ, first (quiver, duckdb): {bad[:5]}"


# ---- cases --------------------------------------------------------------------------------------

class Case:
    def __init__(self, name, plan, sql, *, order_by=None, loose=(), expect=None, allow_empty=False, bug=None):
        self.name = name
        self.bug = bug            # a known engine bug: the case is expected to fail (strictly)
        self.plan = plan
        self.sql = sql
        self.order_by = order_by  # columns whose order must match (the plan sorts)
        self.loose = loose        # columns of a different result type: compared to 1e-6
        self.expect = expect      # rows -> rows: derives the exact answer from DuckDB's
        self.allow_empty = allow_empty


def single_and_two_stage(name, input_plan, groups, aggs, sql, **kw):
    """A grouped aggregation as a Single step over one partition, as Partial ->
    coalesce -> Final, and as Partial -> hash repartition -> FinalPartitioned;
    all three must give DuckDB's answer."""
    g = f"(groups {groups})" if groups else ""
    a = f"(aggs {aggs})"
    keys = " ".join(f"(col {item.split()[0].lstrip('(')})" for item in _split_items(groups)) if groups else ""
    partial = f"(hash_aggregate partial {input_plan} {g} {a})"
    return [
        Case(f"{name}/single", f"(hash_aggregate single (coalesce_partitions {input_plan}) {g} {a})", sql, **kw),
        Case(f"{name}/final", f"(hash_aggregate final (coalesce_partitions {partial}))", sql, **kw),
        Case(f"{name}/final_partitioned", f"(hash_aggregate final_partitioned (repartition_hash {partial} 0 {keys}))",
             sql, **kw) if groups else
        Case(f"{name}/final_after_round_robin",
             f"(hash_aggregate final (coalesce_partitions (repartition_rr {partial} 3)))", sql, **kw),
    ]


def _split_items(text):
    """Top-level parenthesised items of text."""
    items, depth, start = [], 0, None
    for i, c in enumerate(text):
        if c == "(":
            if depth == 0:
                start = i
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                items.append(text[start + 1:i])
    return items


def _half_away(x, places):
    q = decimal.Decimal(1).scaleb(-places)
    return x.quantize(q, rounding=decimal.ROUND_HALF_UP)  # ROUND_HALF_UP rounds ties away from zero


def _exact_avg(rows):
    """(g, sum, count) rows from DuckDB -> (g, avg rounded to 6 places)."""
    return [(g, None if n == 0 else _half_away(decimal.Decimal(s) / n, 6)) for g, s, n in rows]


T = "(scan t)"
U = "(scan u)"
V = "(scan v)"

AGG_CASES = [
    *single_and_two_stage(
        "count_star_vs_count_null_groups", T, "(g (col g))",
        "(n count) (n_k count (col k)) (n_price count (col price))",
        "SELECT g, count(*) AS n, count(k) AS n_k, count(price) AS n_price FROM t GROUP BY g"),
    *single_and_two_stage(
        "decimal_sum_avg_min_max", T, "(g (col g))",
        "(s sum (col price)) (a avg (col price)) (lo min (col price)) (hi max (col price))",
        "SELECT g, sum(price) AS s, avg(price) AS a, min(price) AS lo, max(price) AS hi FROM t GROUP BY g",
        loose=("a",)),
    *single_and_two_stage(
        "decimal_expression_sum", T, "(g2 (col g2))",
        "(rev sum (mul (col price) (sub (int 1) (col disc)))) (a avg (mul (col price) (col disc)))",
        "SELECT g2, sum(price * (1 - disc)) AS rev, avg(price * disc) AS a FROM t GROUP BY g2",
        loose=("a",)),
    *single_and_two_stage(
        "int_float_aggregates_two_keys", T, "(g (col g)) (g2 (col g2))",
        "(sq sum (col qty)) (aq avg (col qty)) (sf sum (col f)) (af avg (col f)) (mf min (col f)) (xq max (col qty))",
        "SELECT g, g2, sum(qty) AS sq, avg(qty) AS aq, sum(f) AS sf, avg(f) AS af, min(f) AS mf, max(qty) AS xq "
        "FROM t GROUP BY g, g2"),
    *single_and_two_stage(
        "min_max_strings_dates_bools", T, "(g (col g))",
        "(ls min (col s)) (hs max (col s)) (ld min (col d)) (hd max (col d)) (lb min (col flag)) (hb max (col flag))",
        "SELECT g, min(s) AS ls, max(s) AS hs, min(d) AS ld, max(d) AS hd, min(flag) AS lb, max(flag) AS hb "
        "FROM t GROUP BY g"),
    *single_and_two_stage(
        "count_distinct", T, "(g (col g))",
        "(nk count distinct (col k)) (ns count distinct (col s)) (n count)",
        "SELECT g, count(DISTINCT k) AS nk, count(DISTINCT s) AS ns, count(*) AS n FROM t GROUP BY g"),
    *single_and_two_stage(
        "count_distinct_many_groups", T, "(k (col k))",
        "(ng count distinct (col g2)) (sp sum distinct (col qty))",
        "SELECT k, count(DISTINCT g2) AS ng, sum(DISTINCT qty) AS sp FROM t GROUP BY k"),
    *single_and_two_stage(
        "many_groups_nullable_key", T, "(k (col k))",
        "(n count) (s sum (col price)) (a avg (col f))",
        "SELECT k, count(*) AS n, sum(price) AS s, avg(f) AS a FROM t GROUP BY k"),
    *single_and_two_stage(
        "group_by_expression", T, "(y (fn date_part (str \"year\") (col d))) (big (gt (col price) (int 50000)))",
        "(n count) (s sum (col disc))",
        "SELECT date_part('year', d) AS y, price > 50000 AS big, count(*) AS n, sum(disc) AS s FROM t GROUP BY 1, 2"),
    *single_and_two_stage(
        "global_aggregate", T, None,
        "(n count) (nk count (col k)) (s sum (col price)) (a avg (col price)) (nd count distinct (col g))",
        "SELECT count(*) AS n, count(k) AS nk, sum(price) AS s, avg(price) AS a, count(DISTINCT g) AS nd FROM t",
        loose=("a",)),
    *single_and_two_stage(
        "global_aggregate_of_empty_input", "(filter (scan t) (lt (col qty) (int 0)))", None,
        "(n count) (nk count (col k)) (s sum (col price)) (a avg (col price)) (m max (col s))",
        "SELECT count(*) AS n, count(k) AS nk, sum(price) AS s, avg(price) AS a, max(s) AS m FROM t WHERE qty < 0",
        loose=("a",), allow_empty=True),
    *single_and_two_stage(
        "grouped_aggregate_of_empty_input", "(filter (scan t) (lt (col qty) (int 0)))", "(g (col g))",
        "(n count)", "SELECT g, count(*) AS n FROM t WHERE qty < 0 GROUP BY g", allow_empty=True),
    *single_and_two_stage(
        "avg_decimal_exact_rounding", T, "(k (col k))", "(a avg (col price))",
        "SELECT k, sum(price), count(price) FROM t GROUP BY k", expect=_exact_avg),
    *single_and_two_stage(
        "avg_decimal_ties_round_away_from_zero", "(scan a)", "(ag (col ag))", "(a avg (col amount))",
        "SELECT ag, sum(amount), count(amount) FROM a GROUP BY ag", expect=_exact_avg),
]

JOIN_ON = "(on (col k) (col uk))"
TK = "(repartition_hash (scan t) 0 (col k))"
UK = "(repartition_hash (scan u) 0 (col uk))"


def join_cases(jtype, sql, filter_=None):
    f = f"(filter {filter_})" if filter_ else ""
    out = []
    out.append(Case(f"hash_join_{jtype}{'_filter' if filter_ else ''}/collect_left",
                    f"(hash_join {jtype} collect_left {T} {U} {JOIN_ON} {f})", sql))
    out.append(Case(f"hash_join_{jtype}{'_filter' if filter_ else ''}/partitioned",
                    f"(hash_join {jtype} partitioned {TK} {UK} {JOIN_ON} {f})", sql))
    return out


TCOLS = "t.id, t.k, t.g, t.g2, t.price, t.disc, t.qty, t.f, t.d, t.s, t.flag, t.gd, t.sl"
UCOLS = "u.uk, u.ug, u.w, u.ud, u.name"
FILTER_D = "(lt (col d) (col ud))"
FILTER_G = "(eq (col g) (col ug))"

JOIN_CASES = [
    *join_cases("inner", f"SELECT {TCOLS}, {UCOLS} FROM t JOIN u ON t.k = u.uk"),
    *join_cases("left", f"SELECT {TCOLS}, {UCOLS} FROM t LEFT JOIN u ON t.k = u.uk"),
    *join_cases("right", f"SELECT {TCOLS}, {UCOLS} FROM t RIGHT JOIN u ON t.k = u.uk"),
    *join_cases("full", f"SELECT {TCOLS}, {UCOLS} FROM t FULL JOIN u ON t.k = u.uk"),
    *join_cases("left_semi", f"SELECT {TCOLS} FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.uk = t.k)"),
    *join_cases("left_anti", f"SELECT {TCOLS} FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.uk = t.k)"),
    *join_cases("right_semi", f"SELECT {UCOLS} FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.k = u.uk)"),
    *join_cases("right_anti", f"SELECT {UCOLS} FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.k = u.uk)"),
    *join_cases("inner", f"SELECT {TCOLS}, {UCOLS} FROM t JOIN u ON t.k = u.uk AND t.d < u.ud", FILTER_D),
    *join_cases("left", f"SELECT {TCOLS}, {UCOLS} FROM t LEFT JOIN u ON t.k = u.uk AND t.d < u.ud", FILTER_D),
    *join_cases("right", f"SELECT {TCOLS}, {UCOLS} FROM t RIGHT JOIN u ON t.k = u.uk AND t.d < u.ud", FILTER_D),
    *join_cases("full", f"SELECT {TCOLS}, {UCOLS} FROM t FULL JOIN u ON t.k = u.uk AND t.g = u.ug", FILTER_G),
    *join_cases("left_semi",
                f"SELECT {TCOLS} FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.uk = t.k AND t.d < u.ud)", FILTER_D),
    *join_cases("left_anti",
                f"SELECT {TCOLS} FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.uk = t.k AND t.g = u.ug)",
                FILTER_G),
    *join_cases("right_semi",
                f"SELECT {UCOLS} FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.k = u.uk AND t.g = u.ug)", FILTER_G),
    *join_cases("right_anti",
                f"SELECT {UCOLS} FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.k = u.uk AND t.d < u.ud)",
                FILTER_D),
    # NULL = NULL matches: IS NOT DISTINCT FROM.
    Case("hash_join_inner_null_equals_null/collect_left",
         f"(hash_join inner collect_left {T} {U} {JOIN_ON} null_equals_null)",
         f"SELECT {TCOLS}, {UCOLS} FROM t JOIN u ON t.k IS NOT DISTINCT FROM u.uk"),
    Case("hash_join_left_anti_null_equals_null/partitioned",
         f"(hash_join left_anti partitioned {TK} {UK} {JOIN_ON} null_equals_null)",
         f"SELECT {TCOLS} FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.uk IS NOT DISTINCT FROM t.k)"),
    Case("hash_join_full_null_equals_null/partitioned",
         f"(hash_join full partitioned {TK} {UK} {JOIN_ON} null_equals_null)",
         f"SELECT {TCOLS}, {UCOLS} FROM t FULL JOIN u ON t.k IS NOT DISTINCT FROM u.uk"),
    # Two keys, one of them a string.
    Case("hash_join_two_keys/partitioned",
         "(hash_join inner partitioned (repartition_hash (scan t) 0 (col k) (col g)) "
         "(repartition_hash (scan u) 0 (col uk) (col ug)) (on (col k) (col uk)) (on (col g) (col ug)))",
         f"SELECT {TCOLS}, {UCOLS} FROM t JOIN u ON t.k = u.uk AND t.g = u.ug"),
    # Key expressions: the join key is computed.
    Case("hash_join_expression_keys/collect_left",
         f"(hash_join left collect_left {T} {U} (on (add (col k) (int 100)) (col uk)))",
         f"SELECT {TCOLS}, {UCOLS} FROM t LEFT JOIN u ON t.k + 100 = u.uk"),
]

# Mark joins: t's rows plus whether t.k is IN u.uk, with SQL's NULL semantics
# (NULL when no match but a NULL made it unknown). EXISTS is the mark with
# NULL read as false; NOT IN its negation.
MARK = f"(hash_join left_mark collect_left {T} {{u}} {JOIN_ON} {{extra}})"
U_NOT_NULL = "(filter (scan u) (is_not_null (col uk)))"
U_EMPTY = "(filter (scan u) (lt (col uk) (int -1)))"
U_GROUP_A = "(filter (scan u) (eq (col ug) (str \"a\")))"
MARK_BUG = ("HashJoinExec LeftMark: any NULL key makes unmatched marks NULL even when another key or the filter "
            "is FALSE for that pair (tests/unit/exec/test_regressions.c)")


def mark(u=U, extra=""):
    return MARK.format(u=u, extra=extra)


def nlj_mark(u=U):
    return f"(nested_loop_join left_mark {T} {u} (filter (eq (col k) (col uk))))"


MARK_CASES = [
    Case("mark_in/u_has_nulls", f"(project {mark()} (id (col id)) (k (col k)) (m (col mark)))",
         "SELECT id, k, k IN (SELECT uk FROM u) AS m FROM t"),
    Case("mark_in/u_without_nulls", f"(project {mark(U_NOT_NULL)} (id (col id)) (k (col k)) (m (col mark)))",
         "SELECT id, k, k IN (SELECT uk FROM u WHERE uk IS NOT NULL) AS m FROM t"),
    Case("mark_in/u_empty", f"(project {mark(U_EMPTY)} (id (col id)) (k (col k)) (m (col mark)))",
         "SELECT id, k, k IN (SELECT uk FROM u WHERE uk < -1) AS m FROM t"),
    Case("mark_not_in/u_has_nulls", f"(project {mark()} (id (col id)) (m (not (col mark))))",
         "SELECT id, k NOT IN (SELECT uk FROM u) AS m FROM t"),
    Case("mark_not_in/u_without_nulls", f"(filter {mark(U_NOT_NULL)} (not (col mark)))",
         f"SELECT {TCOLS}, false AS mark FROM t WHERE k NOT IN (SELECT uk FROM u WHERE uk IS NOT NULL)"),
    Case("mark_exists", f"(project {mark()} (id (col id)) (e (fn coalesce (col mark) (bool false))))",
         "SELECT id, EXISTS (SELECT 1 FROM u WHERE u.uk = t.k) AS e FROM t"),
    Case("mark_not_exists", f"(project {mark()} (id (col id)) (e (not (fn coalesce (col mark) (bool false)))))",
         "SELECT id, NOT EXISTS (SELECT 1 FROM u WHERE u.uk = t.k) AS e FROM t"),
    Case("mark_in_two_columns",
         f"(project {mark(extra='(filter (eq (col g) (col ug)))')} (id (col id)) (m (col mark)))",
         "SELECT id, (k, g) IN (SELECT uk, ug FROM u) AS m FROM t"),
    # u restricted to one group, so that for t rows of other groups a NULL
    # uk does not decide: (k, g) = (NULL, 'a') is FALSE when g <> 'a'.
    Case("mark_in_two_columns_null_does_not_decide",
         f"(project {mark(U_GROUP_A, '(on (col g) (col ug))')} (id (col id)) (m (col mark)))",
         "SELECT id, (k, g) IN (SELECT uk, ug FROM u WHERE ug = 'a') AS m FROM t", bug=MARK_BUG),
    Case("mark_in_filter_null_does_not_decide",
         f"(project {mark(U_GROUP_A, '(filter (eq (col g) (col ug)))')} (id (col id)) (m (col mark)))",
         "SELECT id, (k, g) IN (SELECT uk, ug FROM u WHERE ug = 'a') AS m FROM t", bug=MARK_BUG),
    Case("mark_in_nested_loop_null_does_not_decide",
         f"(project (nested_loop_join left_mark {T} {U_GROUP_A} "
         "(filter (and (eq (col k) (col uk)) (eq (col g) (col ug))))) (id (col id)) (m (col mark)))",
         "SELECT id, (k, g) IN (SELECT uk, ug FROM u WHERE ug = 'a') AS m FROM t"),
    Case("mark_in_null_equals_null", f"(project {mark(extra='null_equals_null')} (id (col id)) (m (col mark)))",
         "SELECT id, EXISTS (SELECT 1 FROM u WHERE u.uk IS NOT DISTINCT FROM t.k) AS m FROM t"),
    Case("mark_in_partitioned_null_equals_null",
         f"(project (hash_join left_mark partitioned {TK} {UK} {JOIN_ON} null_equals_null) (id (col id)) "
         "(m (col mark)))",
         "SELECT id, EXISTS (SELECT 1 FROM u WHERE u.uk IS NOT DISTINCT FROM t.k) AS m FROM t"),
    Case("mark_in_nested_loop/u_has_nulls", f"(project {nlj_mark()} (id (col id)) (m (col mark)))",
         "SELECT id, k IN (SELECT uk FROM u) AS m FROM t"),
    Case("mark_in_nested_loop/u_empty", f"(project {nlj_mark(U_EMPTY)} (id (col id)) (m (col mark)))",
         "SELECT id, k IN (SELECT uk FROM u WHERE uk < -1) AS m FROM t"),
]

NLJ_CASES = [
    Case("nested_loop_inner_range",
         "(nested_loop_join inner (scan v) (filter (scan t) (lt (col id) (int 3000))) "
         "(filter (and (ge (col qty) (col lo)) (le (col qty) (col hi)))))",
         "SELECT v.lo, v.hi, v.tag, t.* FROM v JOIN (SELECT * FROM t WHERE id < 3000) t "
         "ON t.qty >= v.lo AND t.qty <= v.hi"),
    Case("nested_loop_left_range",
         "(nested_loop_join left (scan v) (filter (scan t) (lt (col id) (int 300))) "
         "(filter (and (ge (col qty) (col lo)) (lt (col qty) (col hi)))))",
         "SELECT v.lo, v.hi, v.tag, t.* FROM v LEFT JOIN (SELECT * FROM t WHERE id < 300) t "
         "ON t.qty >= v.lo AND t.qty < v.hi"),
    Case("nested_loop_full_range",
         "(nested_loop_join full (scan v) (filter (scan t) (lt (col id) (int 300))) "
         "(filter (and (ge (col qty) (col lo)) (lt (col qty) (col hi)))))",
         "SELECT v.lo, v.hi, v.tag, t.* FROM v FULL JOIN (SELECT * FROM t WHERE id < 300) t "
         "ON t.qty >= v.lo AND t.qty < v.hi"),
    Case("nested_loop_left_anti_range",
         "(nested_loop_join left_anti (scan v) (filter (scan t) (lt (col id) (int 300))) "
         "(filter (and (ge (col qty) (col lo)) (lt (col qty) (col hi)))))",
         "SELECT * FROM v WHERE NOT EXISTS (SELECT 1 FROM t WHERE id < 300 AND t.qty >= v.lo AND t.qty < v.hi)"),
    Case("nested_loop_right_semi_range",
         "(nested_loop_join right_semi (scan v) (filter (scan t) (lt (col id) (int 300))) "
         "(filter (and (ge (col qty) (col lo)) (lt (col qty) (col hi)))))",
         "SELECT * FROM t WHERE id < 300 AND EXISTS (SELECT 1 FROM v WHERE t.qty >= v.lo AND t.qty < v.hi)"),
    Case("cross_join",
         "(nested_loop_join inner (scan v) (filter (scan u) (lt (col uk) (int 30))))",
         "SELECT v.*, u.* FROM v CROSS JOIN (SELECT * FROM u WHERE uk < 30) u"),
]

FILTER_CASES = [
    Case("like_prefix", "(filter (scan t) (like (col s) (str \"PROMO%\")))", "SELECT * FROM t WHERE s LIKE 'PROMO%'"),
    Case("like_suffix", "(filter (scan t) (like (col s) (str \"%Mail\")))", "SELECT * FROM t WHERE s LIKE '%Mail'"),
    Case("like_contains", "(filter (scan t) (like (col s) (str \"%requests%\")))",
         "SELECT * FROM t WHERE s LIKE '%requests%'"),
    Case("like_underscore", "(filter (scan t) (like (col s) (str \"_b%\")))", "SELECT * FROM t WHERE s LIKE '_b%'"),
    Case("like_general", "(filter (scan t) (like (col s) (str \"%a%c%\")))", "SELECT * FROM t WHERE s LIKE '%a%c%'"),
    Case("like_exact_empty", "(project (scan t) (id (col id)) (m (like (col s) (str \"\"))))",
         "SELECT id, s LIKE '' AS m FROM t"),
    Case("not_like", "(filter (scan t) (not_like (col s) (str \"%s%\")))", "SELECT * FROM t WHERE s NOT LIKE '%s%'"),
    Case("ilike", "(filter (scan t) (ilike (col s) (str \"%mail%\")))", "SELECT * FROM t WHERE s ILIKE '%mail%'"),
    Case("like_as_value_with_nulls", "(project (scan t) (id (col id)) (m (like (col s) (str \"%e%\"))))",
         "SELECT id, s LIKE '%e%' AS m FROM t"),
    Case("filter_three_valued_logic",
         "(filter (scan t) (or (gt (col qty) (int 45)) (and (col flag) (is_null (col g)))))",
         "SELECT * FROM t WHERE qty > 45 OR (flag AND g IS NULL)"),
    Case("filter_in_list_with_null",
         "(project (scan t) (id (col id)) (m (not_in (col g2) (int 1) (int 2) (null int64))))",
         "SELECT id, g2 NOT IN (1, 2, NULL) AS m FROM t", allow_empty=True),
    Case("filter_decimal_between",
         "(filter (scan t) (between (col price) (dec 1000000 15 2) (dec 2000000 15 2)))",
         "SELECT * FROM t WHERE price BETWEEN 10000.00 AND 20000.00"),
]

DECIMAL_CASES = [
    Case("decimal_projection_arithmetic",
         "(project (scan t) (id (col id)) (net (mul (col price) (sub (int 1) (col disc)))) "
         "(plus (add (col price) (col disc))) (minus (sub (col disc) (col price))) (neg (neg (col price))) "
         "(times_int (mul (col price) (col qty))))",
         "SELECT id, price * (1 - disc) AS net, price + disc AS plus, disc - price AS minus, -price AS neg, "
         "price * qty AS times_int FROM t"),
    Case("decimal_filter_compare_with_int",
         "(filter (scan t) (gt (mul (col price) (col disc)) (int 5000)))",
         "SELECT * FROM t WHERE price * disc > 5000"),
]

DATE_CASES = [
    Case("date_plus_minus_days",
         "(project (scan t) (id (col id)) (p (add (col d) (int 30))) (m (sub (col d) (int 400))))",
         "SELECT id, d + 30 AS p, d - 400 AS m FROM t"),
    Case("date_minus_date",
         "(project (scan t) (id (col id)) (days (sub (col d) (date \"1995-06-15\"))))",
         "SELECT id, d - DATE '1995-06-15' AS days FROM t"),
    Case("date_plus_interval_months",
         "(project (scan t) (id (col id)) (p (add (col d) (interval 1 0 0))) (m (sub (col d) (interval 14 0 0))))",
         "SELECT id, CAST(d + INTERVAL 1 MONTH AS DATE) AS p, CAST(d - INTERVAL 14 MONTH AS DATE) AS m FROM t"),
    Case("date_filter_range",
         "(filter (scan t) (and (ge (col d) (date \"1994-01-01\")) "
         "(lt (col d) (add (date \"1994-01-01\") (interval 12 0 0)))))",
         "SELECT * FROM t WHERE d >= DATE '1994-01-01' AND d < DATE '1994-01-01' + INTERVAL 1 YEAR"),
    Case("date_compare_string_literal", "(filter (scan t) (le (col d) (str \"1993-02-28\")))",
         "SELECT * FROM t WHERE d <= '1993-02-28'"),
    Case("date_part_and_trunc",
         "(project (scan t) (id (col id)) (y (fn date_part (str \"year\") (col d))) "
         "(mo (fn extract (str \"month\") (col d))) (dw (fn date_part (str \"dow\") (col d))) "
         "(tr (fn date_trunc (str \"month\") (col d))))",
         "SELECT id, date_part('year', d) AS y, extract(month FROM d) AS mo, date_part('dow', d) AS dw, "
         "CAST(date_trunc('month', d) AS DATE) AS tr FROM t"),
    Case("date_aggregate_by_year",
         "(hash_aggregate single (coalesce_partitions (scan t)) (groups (y (fn date_part (str \"year\") (col d)))) "
         "(aggs (n count) (first min (col d)) (last max (col d))))",
         "SELECT date_part('year', d) AS y, count(*) AS n, min(d) AS first, max(d) AS last FROM t GROUP BY 1"),
]


def sort_case(name, keys_plan, keys_sql, order_cols, fetch=None, source=T, source_sql="t"):
    fetch_opt = f" (fetch {fetch})" if fetch is not None else ""
    limit_sql = f" LIMIT {fetch}" if fetch is not None else ""
    sql = f"SELECT * FROM {source_sql} ORDER BY {keys_sql}{limit_sql}"
    return [
        Case(f"{name}/sort", f"(sort (coalesce_partitions {source}) {keys_plan}{fetch_opt})", sql,
             order_by=order_cols),
        Case(f"{name}/sort_partitions_then_merge",
             f"(sort_preserving_merge (sort {source} {keys_plan}{fetch_opt} preserve_partitioning) "
             f"{keys_plan}{fetch_opt})", sql, order_by=order_cols),
    ]


SORT_CASES = [
    *sort_case("asc_nulls_last", "(asc (col k) nulls_last) (asc (col id))", "k ASC NULLS LAST, id",
               ["k", "id"]),
    *sort_case("asc_nulls_first", "(asc (col k) nulls_first) (asc (col id))", "k ASC NULLS FIRST, id",
               ["k", "id"]),
    *sort_case("desc_nulls_first", "(desc (col k) nulls_first) (desc (col id))", "k DESC NULLS FIRST, id DESC",
               ["k", "id"]),
    *sort_case("desc_nulls_last", "(desc (col k) nulls_last) (asc (col id))", "k DESC NULLS LAST, id",
               ["k", "id"]),
    *sort_case("default_nulls", "(asc (col g)) (desc (col g2)) (asc (col id))",
               "g ASC NULLS LAST, g2 DESC NULLS FIRST, id", ["g", "g2", "id"]),
    *sort_case("strings_decimals_mixed",
               "(desc (col s) nulls_last) (asc (col price) nulls_first) (asc (col id))",
               "s DESC NULLS LAST, price ASC NULLS FIRST, id", ["s", "price", "id"]),
    *sort_case("floats_dates", "(asc (col d) nulls_first) (desc (col f) nulls_last) (asc (col id))",
               "d ASC NULLS FIRST, f DESC NULLS LAST, id", ["d", "f", "id"]),
    *sort_case("topk_asc_nulls_first", "(asc (col k) nulls_first) (asc (col id))", "k ASC NULLS FIRST, id",
               ["k", "id"], fetch=100),
    *sort_case("topk_desc_nulls_last", "(desc (col price) nulls_last) (asc (col id))",
               "price DESC NULLS LAST, id", ["price", "id"], fetch=100),
    *sort_case("topk_desc_nulls_first_string", "(desc (col s) nulls_first) (desc (col id))",
               "s DESC NULLS FIRST, id DESC", ["s", "id"], fetch=37),
    *sort_case("topk_expression", "(desc (mul (col price) (col disc)) nulls_last) (asc (col id))",
               "price * disc DESC NULLS LAST, id", ["id"], fetch=10),
    *sort_case("topk_one", "(asc (col f) nulls_last) (asc (col id))", "f ASC NULLS LAST, id", ["f", "id"], fetch=1),
    *sort_case("topk_more_than_rows", "(asc (col id))", "id", ["id"], fetch=50,
               source="(filter (scan t) (lt (col id) (int 20)))", source_sql="(SELECT * FROM t WHERE id < 20) t"),
    Case("limit_offset_after_sort",
         "(limit (sort (coalesce_partitions (scan t)) (asc (col id))) (offset 10) (fetch 25))",
         "SELECT * FROM t ORDER BY id LIMIT 25 OFFSET 10", order_by=["id"]),
    Case("sort_aggregate_output",
         "(sort (hash_aggregate final (coalesce_partitions (hash_aggregate partial (scan t) (groups (g (col g))) "
         "(aggs (s sum (col price)))))) (desc (col s) nulls_first))",
         "SELECT g, sum(price) AS s FROM t GROUP BY g ORDER BY s DESC NULLS FIRST", order_by=["g", "s"]),
]

# Dictionary-encoded and large_utf8 columns behave as their values.
ENCODING_CASES = [
    *single_and_two_stage(
        "group_by_dictionary", T, "(gd (col gd))",
        "(n count) (ls min (col sl)) (hs max (col gd)) (nd count distinct (col gd))",
        "SELECT gd, count(*) AS n, min(sl) AS ls, max(gd) AS hs, count(DISTINCT gd) AS nd FROM t GROUP BY gd"),
    Case("filter_dictionary_eq_and_like",
         "(filter (scan t) (or (eq (col gd) (str \"b\")) (like (col gd) (str \"%d\"))))",
         "SELECT * FROM t WHERE gd = 'b' OR gd LIKE '%d'"),
    Case("like_large_utf8", "(filter (scan t) (like (col sl) (str \"%deposits%\")))",
         "SELECT * FROM t WHERE sl LIKE '%deposits%'"),
    Case("in_list_dictionary", "(filter (scan t) (in (col gd) (str \"a\") (str \"e\")))",
         "SELECT * FROM t WHERE gd IN ('a', 'e')"),
    *sort_case("dictionary_and_large_utf8", "(desc (col gd) nulls_last) (asc (col sl) nulls_first) (asc (col id))",
               "gd DESC NULLS LAST, sl ASC NULLS FIRST, id", ["gd", "sl", "id"]),
    *sort_case("topk_large_utf8", "(desc (col sl) nulls_last) (asc (col id))", "sl DESC NULLS LAST, id",
               ["sl", "id"], fetch=25),
    Case("hash_join_dictionary_key/collect_left",
         "(hash_join inner collect_left (filter (scan t) (lt (col id) (int 2000))) (scan u) (on (col gd) (col ug)))",
         f"SELECT {TCOLS}, {UCOLS} FROM t JOIN u ON t.gd = u.ug WHERE t.id < 2000"),
    Case("hash_join_large_utf8_with_utf8_key/partitioned",
         "(hash_join left_semi partitioned (repartition_hash (scan t) 0 (col sl)) "
         "(repartition_hash (project (filter (scan t) (lt (col id) (int 500))) (s2 (col s))) 0 (col s2)) "
         "(on (col sl) (col s2)))",
         f"SELECT {TCOLS} FROM t WHERE sl IN (SELECT s FROM t WHERE id < 500)"),
]

W = "(scan w)"
FLOAT_CASES = [
    *single_and_two_stage(
        "float_special_values_as_groups", W, "(x (col x))",
        "(n count) (lo min (col y)) (hi max (col y)) (nd count distinct (col y)) (s sum (col y))",
        "SELECT x, count(*) AS n, min(y) AS lo, max(y) AS hi, count(DISTINCT y) AS nd, sum(y) AS s FROM w GROUP BY x"),
    Case("float_special_values_join/partitioned",
         "(hash_join inner partitioned (repartition_hash (scan w) 0 (col x)) "
         "(repartition_hash (project (scan w) (wid2 (col wid)) (y2 (col y))) 0 (col y2)) (on (col x) (col y2)))",
         "SELECT a.*, b.wid AS wid2, b.y AS y2 FROM w a JOIN w b ON a.x = b.y"),
    Case("float_special_values_compare",
         "(project (scan w) (wid (col wid)) (eq_ (eq (col x) (col y))) (lt_ (lt (col x) (col y))) "
         "(zero (eq (col x) (float 0.0))) (big (gt (col x) (float 1e308))))",
         "SELECT wid, x = y AS eq_, x < y AS lt_, x = 0.0 AS zero, x > 1e308 AS big FROM w"),
    *sort_case("float_special_values_asc", "(asc (col x) nulls_first) (asc (col wid))", "x ASC NULLS FIRST, wid",
               ["x", "wid"], source=W, source_sql="w"),
    *sort_case("float_special_values_desc_topk", "(desc (col y) nulls_last) (desc (col wid))",
               "y DESC NULLS LAST, wid DESC", ["y", "wid"], fetch=120, source=W, source_sql="w"),
]

EXCHANGE_CASES = [
    Case("union_of_filters",
         "(union (filter (scan t) (lt (col qty) (int 5))) (filter (scan t) (gt (col qty) (int 45))) "
         "(filter (scan t) (is_null (col qty))))",
         "SELECT * FROM t WHERE qty < 5 UNION ALL SELECT * FROM t WHERE qty > 45 UNION ALL "
         "SELECT * FROM t WHERE qty IS NULL"),
    Case("round_robin_then_aggregate",
         "(hash_aggregate final (coalesce_partitions (hash_aggregate partial (coalesce_batches "
         "(repartition_rr (scan t) 3) 4000) (groups (g2 (col g2))) (aggs (n count) (s sum (col f))))))",
         "SELECT g2, count(*) AS n, sum(f) AS s FROM t GROUP BY g2"),
    Case("hash_repartition_keeps_rows",
         "(coalesce_partitions (repartition_hash (project (scan t) (id (col id)) (g (col g))) 5 (col g)))",
         "SELECT id, g FROM t"),
    Case("join_then_aggregate",
         f"(hash_aggregate final_partitioned (repartition_hash (hash_aggregate partial "
         f"(hash_join inner partitioned {TK} {UK} {JOIN_ON}) (groups (ug (col ug))) "
         "(aggs (n count) (s sum (mul (col price) (col w))) (nd count distinct (col name)))) 0 (col ug)))",
         "SELECT ug, count(*) AS n, sum(price * w) AS s, count(DISTINCT name) AS nd FROM t JOIN u ON t.k = u.uk "
         "GROUP BY ug"),
    Case("limit_per_partition_then_global",
         "(limit (coalesce_partitions (limit (filter (scan t) (is_null (col k))) (fetch 100000) per_partition)) "
         "(fetch 100000))",
         "SELECT * FROM t WHERE k IS NULL"),
]

ALL_CASES = (AGG_CASES + JOIN_CASES + MARK_CASES + NLJ_CASES + FILTER_CASES + DECIMAL_CASES + DATE_CASES +
             SORT_CASES + ENCODING_CASES + FLOAT_CASES + EXCHANGE_CASES)


def test_case_names_are_unique():
    names = [c.name for c in ALL_CASES]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("config", CONFIGS, ids=[c[0] for c in CONFIGS])
@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.xfail(reason=c.bug, strict=True)) if c.bug else c
                                  for c in ALL_CASES], ids=[c.name for c in ALL_CASES])
def test_plan_matches_duckdb(tool, table_files, duck, case, config):
    got = run_plan(tool, table_files, config, case.plan)
    res = duck.execute(case.sql)
    want_names = [d[0] for d in res.description]
    want = res.fetchall()
    if case.expect:
        want = case.expect(want)
        want_names = None
    n_want = len(want_names) if want_names else len(want[0]) if want else got.num_columns
    assert got.num_columns == n_want, f"{got.column_names}: {got.num_columns} columns, DuckDB {n_want}"
    got_rows = [tuple(r.values()) for r in got.to_pylist()]
    names = got.column_names
    if not case.allow_empty:
        assert want, f"{case.sql}: DuckDB returns no rows, the case tests nothing"
        assert any(v is not None for row in want for v in row), f"{case.sql}: every value is NULL"
    compare(got_rows, want, names, loose=case.loose, order_by=case.order_by)


def test_reads_pyarrow_ipc_file_without_dictionaries(tool, tmp_path):
    """pyarrow's footer for a file without dictionaries may hold an empty
    vector that is only 4-byte aligned (tests/unit/ipc/test_regressions_ipc.c);
    Quiver must read such files, in both the file and the stream format."""
    table = pa.table({"id": pa.array(range(1000), pa.int64()), "v": pa.array([0.5] * 1000, pa.float64())})
    for name, writer in (("x.arrow", ipc.new_file), ("x.arrows", ipc.new_stream)):
        path = tmp_path / name
        with writer(str(path), table.schema) as w:
            w.write_table(table)
        proc = subprocess.run([str(tool), "--table", f"x={path}:3", "(coalesce_partitions (scan x))"],
                              capture_output=True, timeout=60)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        got = ipc.open_stream(proc.stdout).read_all()
        assert got.sort_by("id").equals(table), name
