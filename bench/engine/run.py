"""bench/engine: Quiver's engine against DuckDB and DataFusion on the same data.

Generates seeded in-memory tables with pyarrow (a 10M-row fact table and a
1M-row dimension table by default), writes them as Arrow IPC files for
Quiver's quiver-plan-run, and registers the very same Arrow data in DuckDB
(con.register: DuckDB scans the Arrow arrays in place) and in DataFusion
(register_record_batches, one partition per thread). Then, for each case, it
times the query alone in each engine, best of several runs:

  - Quiver: quiver-plan-run --time RUNS (tables are mapped and loaded and the
    plan built before the clock starts; the result is collected in memory as
    Arrow batches, and written out only after timing);
  - DuckDB: con.sql(sql).to_arrow_table() with SET threads = THREADS;
  - DataFusion: ctx.sql(sql).collect() with target_partitions = THREADS.

Every engine materialises the same result as Arrow; the script checks that
the three results agree (row counts, and column sums for numeric columns)
before it reports. Quiver's plans are the physical plans DataFusion would
choose (partial/final aggregation with a hash repartition for many groups,
a CollectLeft hash join building the 1M-row side, per-partition sorts merged
by SortPreservingMerge, TopK in each partition).

Prints a table and one line per case (DESIGN.md section 7):
  BENCH suite=engine case=<case> unit=s quiver=<t> baseline=duckdb:<t> efficiency=<duckdb_t/quiver_t> datafusion=<t>

Environment: QUIVER_BUILD (default build/), THREADS (default: number of
cores), ROWS (fact rows, default 10000000), DIM_ROWS (default 1000000),
RUNS (default 5), CASES (comma-separated subset)."""
import math
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import datafusion
import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("QUIVER_BUILD", ROOT / "build"))
THREADS = int(os.environ.get("THREADS", os.cpu_count() or 1))
ROWS = int(os.environ.get("ROWS", 10_000_000))
DIM_ROWS = int(os.environ.get("DIM_ROWS", 1_000_000))
RUNS = int(os.environ.get("RUNS", 5))
BATCH = 8192


# ---- data --------------------------------------------------------------------------------

def _uniform_ints(n, lo, hi, seed):
    """n integers uniform in [lo, hi], seeded."""
    r = pc.random(n, initializer=seed)
    return pc.cast(pc.add(pc.floor(pc.multiply(r, float(hi - lo + 1))), float(lo)), pa.int64())


def make_tables():
    n, m = ROWS, DIM_ROWS
    fact = pa.table({
        "id": pa.array(range(n), pa.int64()),
        "k4": _uniform_ints(n, 0, 3, 1),
        "k1m": _uniform_ints(n, 0, 999_999, 2),
        "jk": _uniform_ints(n, 0, m - 1, 3),
        "q": _uniform_ints(n, 1, 100, 4),
        "v": pc.multiply(pc.random(n, initializer=5), 1000.0),
    })
    dim = pa.table({
        # A permutation of 0..m-1: every fact row finds exactly one match.
        "dk": pc.cast(pc.sort_indices(pc.random(m, initializer=6)), pa.int64()),
        "dv": pc.random(m, initializer=7),
    })
    return {"f": fact.combine_chunks(), "d": dim.combine_chunks()}


def write_ipc(table, path):
    with ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=1 << 20):
            w.write_batch(batch)


def partitions(table, n):
    """n contiguous partitions of BATCH-row batches, as Quiver splits a table."""
    rows = table.num_rows
    parts = []
    for p in range(n):
        lo, hi = rows * p // n, rows * (p + 1) // n
        parts.append(table.slice(lo, hi - lo).to_batches(max_chunksize=BATCH))
    return parts


# ---- cases ---------------------------------------------------------------------------------

def partial_final(input_plan, groups, aggs, repartition_keys=None):
    g = f"(groups {groups})" if groups else ""
    partial = f"(hash_aggregate partial {input_plan} {g} (aggs {aggs}))"
    if repartition_keys:
        return f"(hash_aggregate final_partitioned (repartition_hash {partial} 0 {repartition_keys}))"
    return f"(hash_aggregate final (coalesce_partitions {partial}))"


CASES = [
    ("filter_project",
     "(project (filter (scan f) (le (col q) (int 10))) (id (col id)) "
     "(x (add (mul (col v) (float 2.0)) (col q))))",
     "SELECT id, v * 2.0 + q AS x FROM f WHERE q <= 10"),
    ("agg_4_groups",
     partial_final("(scan f)", "(k4 (col k4))", "(n count) (s sum (col v)) (a avg (col q))"),
     "SELECT k4, count(*) AS n, sum(v) AS s, avg(q) AS a FROM f GROUP BY k4"),
    ("agg_1m_groups",
     partial_final("(scan f)", "(k1m (col k1m))", "(n count) (s sum (col v))", "(col k1m)"),
     "SELECT k1m, count(*) AS n, sum(v) AS s FROM f GROUP BY k1m"),
    ("hash_join",
     partial_final("(hash_join inner collect_left (scan d) (scan f) (on (col dk) (col jk)))", None,
                   "(n count) (s sum (mul (col v) (col dv)))"),
     "SELECT count(*) AS n, sum(v * dv) AS s FROM f JOIN d ON f.jk = d.dk"),
    ("sort",
     "(sort_preserving_merge (sort (project (scan f) (id (col id)) (v (col v))) (asc (col v)) "
     "preserve_partitioning) (asc (col v)))",
     "SELECT id, v FROM f ORDER BY v"),
    ("topk_100",
     "(sort_preserving_merge (sort (project (scan f) (id (col id)) (v (col v))) (desc (col v)) (fetch 100) "
     "preserve_partitioning) (desc (col v)) (fetch 100))",
     "SELECT id, v FROM f ORDER BY v DESC LIMIT 100"),
]


# ---- engines ---------------------------------------------------------------------------------

def run_quiver(tool, files, plan):
    args = [str(tool), "--config", f"target_partitions={THREADS}", "--time", str(RUNS), "--no-validate"]
    for name, path in files.items():
        args += ["--table", f"{name}={path}:{THREADS}"]
    args.append(plan)
    with tempfile.TemporaryFile() as out:
        proc = subprocess.run(args, stdout=out, stderr=subprocess.PIPE, timeout=3600)
        if proc.returncode != 0:
            sys.exit(f"quiver-plan-run failed: {proc.stderr.decode(errors='replace')}\nplan: {plan}")
        t = None
        for line in proc.stderr.decode().splitlines():
            if line.startswith("time_s="):
                t = float(line.split("=", 1)[1])
        out.seek(0)
        result = ipc.open_stream(out.read()).read_all()
    return t, result


def best_of(fn):
    best, result = math.inf, None
    for _ in range(RUNS):
        result = None  # drop the previous result before the next run
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def run_duckdb(con, sql):
    return best_of(lambda: con.sql(sql).to_arrow_table())


def run_datafusion(ctx, sql):
    t, batches = best_of(lambda: ctx.sql(sql).collect())
    return t, pa.Table.from_batches(batches) if batches else None


# ---- result checks ------------------------------------------------------------------------------

def summary(table):
    """Row count and, per numeric column (in order), its sum."""
    if table is None:
        return 0, []
    sums = []
    for col in table.columns:
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_decimal(col.type):
            s = pc.sum(col).as_py()
            sums.append(float(s) if s is not None else None)
    return table.num_rows, sums


def check(case, results):
    (q_rows, q_sums), others = summary(results["quiver"]), {k: summary(v) for k, v in results.items() if k != "quiver"}
    for engine, (rows, sums) in others.items():
        if rows != q_rows or len(sums) != len(q_sums) or not all(
                (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-6))
                for a, b in zip(q_sums, sums)):
            sys.exit(f"{case}: results differ: quiver rows={q_rows} sums={q_sums}, {engine} rows={rows} sums={sums}")


def check_sorted(case, table, column, descending):
    v = table.column(column)
    if v.num_chunks != 1:
        v = v.combine_chunks()
    n = len(v)
    a, b = v.slice(0, n - 1), v.slice(1)
    ok = pc.all(pc.greater_equal(a, b) if descending else pc.less_equal(a, b)).as_py()
    if n > 1 and not ok:
        sys.exit(f"{case}: Quiver's result is not sorted by {column}")


# ---- main -------------------------------------------------------------------------------------------

def main():
    tool = BUILD / "quiver-plan-run"
    if not tool.exists():
        sys.exit(f"{tool} is not built; run `make build` (or set QUIVER_BUILD)")
    selected = set(filter(None, os.environ.get("CASES", "").split(",")))
    cases = [c for c in CASES if not selected or c[0] in selected]

    print(f"bench/engine: {ROWS:,} fact rows, {DIM_ROWS:,} dimension rows, {THREADS} threads, best of {RUNS}; "
          f"duckdb {duckdb.__version__}, datafusion {datafusion.__version__}", flush=True)
    tables = make_tables()
    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    ctx = datafusion.SessionContext(datafusion.SessionConfig().with_target_partitions(THREADS).with_batch_size(BATCH))
    for name, table in tables.items():
        con.register(name, table)
        ctx.register_record_batches(name, partitions(table, THREADS))

    rows = []
    with tempfile.TemporaryDirectory(prefix="quiver-bench-engine-") as tmp:
        files = {}
        for name, table in tables.items():
            files[name] = pathlib.Path(tmp) / f"{name}.arrow"
            write_ipc(table, files[name])
        for case, plan, sql in cases:
            tq, rq = run_quiver(tool, files, plan)
            td, rd = run_duckdb(con, sql)
            tf, rf = run_datafusion(ctx, sql)
            check(case, {"quiver": rq, "duckdb": rd, "datafusion": rf})
            if case.startswith("sort") or case.startswith("topk"):
                check_sorted(case, rq, "v", descending=case.startswith("topk"))
            n_out = rq.num_rows
            del rq, rd, rf
            rows.append((case, n_out, tq, td, tf))
            print(f"BENCH suite=engine case={case} unit=s quiver={tq:.4f} baseline=duckdb:{td:.4f} "
                  f"efficiency={td / tq:.2f} datafusion={tf:.4f}", flush=True)

    print()
    print(f"| case | result rows | Quiver s | DuckDB s | DataFusion s | efficiency vs DuckDB | vs DataFusion |")
    print(f"|------|------------:|---------:|---------:|-------------:|---------------------:|--------------:|")
    for case, n_out, tq, td, tf in rows:
        print(f"| {case} | {n_out:,} | {tq:.3f} | {td:.3f} | {tf:.3f} | {td / tq:.2f} | {tf / tq:.2f} |")


if __name__ == "__main__":
    main()
