"""bench/parquet: scanning TPC-H SF1 lineitem Parquet with Quiver, DuckDB and pyarrow.

Data (cached under $QUIVER_BUILD/tpch-sf1/, made once):
  - lineitem.parquet: written by tpchgen-cli (`tpchgen-cli parquet -s 1
    --tables lineitem`: SNAPPY, ~7 MiB row groups, dictionary encoding,
    53 row groups);
  - lineitem-duckdb.parquet: the same rows written by DuckDB with its
    defaults (`COPY (SELECT * FROM 'lineitem.parquet') TO '...'`: SNAPPY,
    122,880-row row groups).

Cases, on each file: `all` (every column) and `proj4` (l_orderkey,
l_quantity, l_extendedprice, l_shipdate).

Method, the same idea for every engine: decode the projected columns of
every row into Arrow record batches, count the rows, drop the batches;
time from "here is the file" to the last batch (footer reading and plan
building included), all cores. The engines take turns, one run each per
round, for RUNS rounds after a warm-up round (the files are in the page
cache), and each reports its best run: on a shared, noisy machine, turns
expose the engines to the same background load.
  - Quiver: `quiver-scan --time 2 [--columns ...] FILE`, the second run
    (the first warms the process's allocator) (ParquetScanExec
    with target_partitions = cores; batches of the session's 8192 rows
    handed through CoalescePartitionsExec and counted);
  - DuckDB: `con.sql("SELECT cols FROM read_parquet(FILE)").to_arrow_reader()`
    with SET threads = cores, batches counted as they stream (DuckDB's
    native form is not Arrow, so this includes its conversion to Arrow;
    `SELECT count(*)` would decode nothing);
  - DuckDB, informative only (duckdb_hash=): `SELECT count(*),
    sum(hash(cols...))`, which decodes into DuckDB's own vectors and hashes
    them instead of converting to Arrow: a bound on DuckDB's decoding speed
    without the Arrow conversion (hashing is extra work Quiver does not do);
  - pyarrow: `pq.read_table(FILE, columns=cols, use_threads=True)` (reads
    into one table; no streaming form with the same parallelism).

Prints a table and one line per case (DESIGN.md section 7):
  BENCH suite=parquet case=<file>_<all|proj4> unit=s quiver=<t> baseline=duckdb:<t> efficiency=<duckdb/quiver> pyarrow=<t> duckdb_hash=<t>

Environment: QUIVER_BUILD (default build/), RUNS (default 7), THREADS
(default: number of cores)."""
import os
import pathlib
import subprocess
import sys
import time

import duckdb
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("QUIVER_BUILD", ROOT / "build"))
RUNS = int(os.environ.get("RUNS", 7))
THREADS = int(os.environ.get("THREADS", os.cpu_count() or 1))
VENV_BIN = pathlib.Path(sys.executable).parent
PROJ4 = ["l_orderkey", "l_quantity", "l_extendedprice", "l_shipdate"]
ROWS = 6001215


def tpchgen():
    exe = VENV_BIN / "tpchgen-cli"
    return str(exe) if exe.exists() else "tpchgen-cli"


def make_data():
    cache = BUILD / "tpch-sf1"
    cache.mkdir(parents=True, exist_ok=True)
    gen = cache / "lineitem.parquet"
    if not gen.exists():
        print(f"generating {gen} with tpchgen-cli ...", file=sys.stderr)
        subprocess.run([tpchgen(), "parquet", "-s", "1", "--tables", "lineitem", "--output-dir", str(cache)],
                       check=True)
    ddb = cache / "lineitem-duckdb.parquet"
    if not ddb.exists():
        print(f"writing {ddb} with DuckDB's defaults ...", file=sys.stderr)
        tmp = cache / "lineitem-duckdb.parquet.tmp"
        duckdb.connect().execute(f"COPY (SELECT * FROM read_parquet('{gen}')) TO '{tmp}' (FORMAT parquet)")
        tmp.rename(ddb)
    return {"tpchgen": gen, "duckdb": ddb}


def quiver_run(path, columns):
    """One timed Quiver run (the second of a process: the first warms it up)."""
    args = [str(BUILD / "quiver-scan"), "--time", "2", "--partitions", str(THREADS)]
    if columns:
        args += ["--columns", ",".join(columns)]
    out = subprocess.run(args + [str(path)], check=True, capture_output=True, text=True).stdout
    fields = dict(kv.split("=", 1) for kv in out.split())
    assert int(fields["rows"]) == ROWS, out
    return float(fields["runs"].split(",")[1])


def timed(fn):
    t0 = time.perf_counter()
    rows = fn()
    t = time.perf_counter() - t0
    assert rows == ROWS, rows
    return t


def engines(con, path, columns):
    """name -> a function doing one run and returning its time in seconds."""
    cols = ", ".join(columns) if columns else "*"
    arrow_sql = f"SELECT {cols} FROM read_parquet('{path}')"
    all_cols = ", ".join(columns or [f.name for f in pq.read_schema(path)])
    hash_sql = f"SELECT count(*), sum(hash({all_cols})) FROM read_parquet('{path}')"
    return {
        "quiver": lambda: quiver_run(path, columns),
        "duckdb": lambda: timed(lambda: sum(b.num_rows for b in con.sql(arrow_sql).to_arrow_reader(1 << 20))),
        "pyarrow": lambda: timed(lambda: pq.read_table(path, columns=columns, use_threads=True).num_rows),
        "duckdb_hash": lambda: timed(lambda: con.sql(hash_sql).fetchall()[0][0]),
    }


def best_in_turns(runners):
    for run in runners.values():
        run()  # warm-up round
    best = {}
    for _ in range(RUNS):
        for name, run in runners.items():
            t = run()
            best[name] = min(best.get(name, t), t)
    return best


def main():
    tool = BUILD / "quiver-scan"
    if not tool.exists():
        sys.exit(f"{tool} is not built; run `make build` first")
    files = make_data()
    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    results = []
    for name, path in files.items():
        md = pq.ParquetFile(path).metadata
        print(f"{name}: {path.stat().st_size / 1e6:.0f} MB, {md.num_row_groups} row groups, "
              f"created by {md.created_by}", file=sys.stderr)
        for case, columns in (("all", None), ("proj4", PROJ4)):
            b = best_in_turns(engines(con, path, columns))
            results.append((f"{name}_{case}", b["quiver"], b["duckdb"], b["pyarrow"], b["duckdb_hash"]))
    print(f"\nParquet scan, TPC-H SF1 lineitem ({ROWS:,} rows), {THREADS} threads, best of {RUNS} rounds (seconds)")
    print(f"{'case':<16} {'quiver':>8} {'duckdb':>8} {'pyarrow':>8} {'efficiency':>10} {'duckdb_hash':>11}")
    for case, q, d, p, h in results:
        print(f"{case:<16} {q:8.3f} {d:8.3f} {p:8.3f} {d / q:10.2f} {h:11.3f}")
    print()
    for case, q, d, p, h in results:
        print(f"BENCH suite=parquet case={case} unit=s quiver={q:.4f} baseline=duckdb:{d:.4f} "
              f"efficiency={d / q:.2f} pyarrow={p:.4f} duckdb_hash={h:.4f}")


if __name__ == "__main__":
    main()
