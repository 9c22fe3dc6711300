/* quiver-plan-run: builds a physical plan from an S-expression, runs it over
 * tables loaded from Arrow IPC files, and writes the result as an Arrow IPC
 * stream. It drives the differential tests against DuckDB
 * (tests/interop/test_plans_duckdb.py) and the engine benchmark
 * (bench/engine/run.py), and lets one try plans by hand.
 *
 *   quiver-plan-run [options] (PLAN | --plan-file FILE) > result.arrows
 *
 * Options:
 *   --table NAME=PATH[:PARTITIONS]  load an Arrow IPC file or stream as table
 *                NAME, its rows split into PARTITIONS (default: target_partitions)
 *                contiguous memory-scan partitions of batch_size-row batches
 *   --config KEY=VALUE  a session setting (target_partitions, batch_size,
 *                memory_limit, ...; include/quiver/session.h)
 *   --explain    print the plan's EXPLAIN text to stdout instead of running it
 *   --time N     run the plan N times and print the best wall time, in
 *                seconds, to stderr as "time_s=<x>"; loading tables and
 *                building the plan are not timed, nor is writing the result
 *   --discard    do not write the result; print "rows=<n>" to stderr
 *   --no-validate  trust the table files (skip full validation of the arrays)
 * Errors go to stderr with exit status 1 (2 for bad usage).
 *
 * PLAN, one operator per form; INPUT is a plan, E an expression over the
 * operator's input:
 *   (scan TABLE)
 *   (filter INPUT E)
 *   (project INPUT (NAME E)...)
 *   (hash_aggregate MODE INPUT [(groups (NAME E)...)] [(aggs (NAME FN [distinct] E...)...)])
 *       MODE: single | partial | final | final_partitioned; FN: count (no
 *       argument: count(*)), sum, avg, min, max. final and final_partitioned
 *       take no groups or aggs: they finish the partial aggregation found
 *       below them (through repartitions and coalesces).
 *   (repartition_hash INPUT N E...)     N = 0: target_partitions
 *   (repartition_rr INPUT N)
 *   (coalesce_partitions INPUT)
 *   (coalesce_batches INPUT TARGET_ROWS)
 *   (hash_join TYPE MODE LEFT RIGHT (on LEFT_E RIGHT_E)... [(filter E)] [null_equals_null])
 *       TYPE: inner | left | right | full | left_semi | left_anti |
 *       right_semi | right_anti | left_mark; MODE: collect_left | partitioned.
 *       The filter reads left ++ right: (col NAME) finds the first column of
 *       that name, (lcol NAME) / (rcol NAME) a side's, (col_at I) by position.
 *   (nested_loop_join TYPE LEFT RIGHT [(filter E)])
 *   (sort INPUT KEY... [(fetch N)] [preserve_partitioning])
 *   (sort_preserving_merge INPUT KEY... [(fetch N)])
 *       KEY: (asc E [nulls_first|nulls_last]) or (desc E [...]); by default
 *       NULLs sort last ascending and first descending.
 *   (limit INPUT [(offset N)] [(fetch N)] [per_partition])
 *   (union INPUT...)
 * Expressions are those of quiver-expr-eval (apps/quiver-expr-eval/main.c):
 *   (col NAME) (col_at I) (int N) (float X) (str "text") (bool true|false)
 *   (null [TYPE]) (dec UNSCALED P S) (date "YYYY-MM-DD") (lit TYPE "text")
 *   (interval MONTHS DAYS NANOS) (add a b) (sub a b) (mul a b) (div a b)
 *   (mod a b) (neg a) (eq a b) (ne a b) (lt a b) (le a b) (gt a b) (ge a b)
 *   (and a b) (or a b) (not a) (is_null a) (is_not_null a) (in a x...)
 *   (not_in a x...) (between a lo hi) (not_between a lo hi) (like a p)
 *   (not_like a p) (ilike a p) (not_ilike a p) (case (when c t)... [(else e)])
 *   (case_on base (when v t)... [(else e)]) (cast a TYPE) (fn NAME arg...)
 * ';' starts a comment that runs to the end of the line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan_run.h"
#include "quiver/ipc.h"

#define MAX_TABLES 64
#define MAX_CONFIGS 64

typedef struct options {
  const char *plan_text;
  const char *plan_file;
  const char *tables[MAX_TABLES];
  int n_tables;
  const char *configs[MAX_CONFIGS];
  int n_configs;
  bool explain, discard, validate;
  int64_t time_runs;
} options;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static qv_status read_text_file(const char *path, char **out, qv_error *err) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return qv_error_set(err, QV_IO, "plan file '%s': %s", path, strerror(errno));
  size_t cap = 4096, n = 0, got;
  char *buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (n + 1 == cap) {
      cap *= 2;
      char *grown = realloc(buf, cap);
      if (!grown) free(buf);
      buf = grown;
    }
  }
  bool failed = ferror(f);
  fclose(f);
  if (!buf) return qv_error_set(err, QV_NOMEM, "plan file '%s': out of memory", path);
  if (failed) {
    free(buf);
    return qv_error_set(err, QV_IO, "plan file '%s': read error", path);
  }
  buf[n] = '\0';
  *out = buf;
  return QV_OK;
}

static qv_status build_session(const options *o, qv_session_state **out, qv_error *err) {
  qv_session_state_builder *b = NULL;
  QV_RETURN_NOT_OK(qv_session_state_builder_create(&b, err));
  qv_status st = QV_OK;
  for (int i = 0; st == QV_OK && i < o->n_configs; i++) {
    char key[256];
    const char *eq = strchr(o->configs[i], '=');
    size_t klen = eq ? (size_t)(eq - o->configs[i]) : 0;
    if (!eq || klen == 0 || klen >= sizeof key) {
      st = qv_error_set(err, QV_INVALID, "--config '%s': expected KEY=VALUE", o->configs[i]);
      break;
    }
    memcpy(key, o->configs[i], klen);
    key[klen] = '\0';
    st = qv_session_state_builder_set_config(b, key, eq + 1, err);
  }
  if (st == QV_OK) st = qv_session_state_builder_build(b, out, err);
  qv_session_state_builder_destroy(b);
  return st;
}

/* NAME=PATH[:PARTITIONS] */
static qv_status load_table(const char *spec, const qv_session_state *session, bool validate, plan_table *out,
                            qv_error *err) {
  const char *eq = strchr(spec, '=');
  if (!eq || eq == spec) return qv_error_set(err, QV_INVALID, "--table '%s': expected NAME=PATH[:PARTITIONS]", spec);
  char *name = strndup(spec, (size_t)(eq - spec)), *path = strdup(eq + 1);
  if (!name || !path) {
    free(name);
    free(path);
    return qv_error_set(err, QV_NOMEM, "out of memory");
  }
  int32_t parts = qv_session_target_partitions(session);
  char *colon = strrchr(path, ':');
  if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
    parts = atoi(colon + 1);
    *colon = '\0';
  }
  qv_status st = qv__table_load(name, path, parts, qv_session_batch_size(session), validate, out, err);
  free(name);
  free(path);
  return st;
}

static qv_status write_result(qv_schema *schema, qv_record_batch **batches, int64_t n, qv_error *err) {
  qv_ipc_stream_writer *w = NULL;
  QV_RETURN_NOT_OK(qv_ipc_stream_writer_create(schema, NULL, qv_ipc_sink_file(stdout), &w, err));
  qv_status st = QV_OK;
  for (int64_t i = 0; st == QV_OK && i < n; i++) st = qv_ipc_stream_writer_write(w, batches[i], err);
  if (st == QV_OK) st = qv_ipc_stream_writer_close(w, err);
  qv_ipc_stream_writer_destroy(w);
  return st;
}

static void free_batches(qv_record_batch **batches, int64_t n) {
  for (int64_t i = 0; i < n; i++) qv_record_batch_unref(batches[i]);
  free(batches);
}

/* Runs the plan (time_runs times when timing) and writes the last result.
 * Result buffers come from the task context's memory pool, so each context
 * lives until its batches are freed. */
static qv_status execute(const options *o, qv_session_state *session, qv_exec_plan *plan, qv_error *err) {
  int64_t runs = o->time_runs > 0 ? o->time_runs : 1;
  double best = -1;
  qv_record_batch **batches = NULL;
  int64_t n = 0;
  qv_task_context *ctx = NULL;
  qv_status st = QV_OK;
  for (int64_t r = 0; st == QV_OK && r < runs; r++) {
    free_batches(batches, n);
    batches = NULL;
    n = 0;
    qv_task_context_unref(ctx);
    ctx = NULL;
    double t0 = now();
    st = qv_task_context_create(session, 0, 1, &ctx, err);
    if (st == QV_OK) st = qv_exec_plan_collect(plan, ctx, &batches, &n, err);
    double t = now() - t0;
    if (st == QV_OK && (best < 0 || t < best)) best = t;
  }
  if (st == QV_OK && o->time_runs > 0) fprintf(stderr, "time_s=%.6f\n", best);
  if (st == QV_OK && o->discard) {
    int64_t rows = 0;
    for (int64_t i = 0; i < n; i++) rows += qv_record_batch_num_rows(batches[i]);
    fprintf(stderr, "rows=%lld\n", (long long)rows);
  } else if (st == QV_OK) {
    st = write_result(qv_exec_plan_schema(plan), batches, n, err);
  }
  free_batches(batches, n);
  qv_task_context_unref(ctx);
  return st;
}

static qv_status run(const options *o, qv_error *err) {
  qv_session_state *session = NULL;
  QV_RETURN_NOT_OK(build_session(o, &session, err));
  plan_table tables[MAX_TABLES];
  memset(tables, 0, sizeof tables);
  int32_t n_tables = 0;
  char *file_text = NULL;
  sx *tree = NULL;
  plan_builder *builder = NULL;
  qv_exec_plan *plan = NULL;
  qv_status st = QV_OK;
  for (int i = 0; st == QV_OK && i < o->n_tables; i++) {
    st = load_table(o->tables[i], session, o->validate, &tables[i], err);
    if (st == QV_OK) n_tables++;
  }
  if (st == QV_OK && o->plan_file) st = read_text_file(o->plan_file, &file_text, err);
  if (st == QV_OK) st = qv__sx_parse(file_text ? file_text : o->plan_text, &tree, err);
  if (st == QV_OK) st = qv__plan_builder_create(session, tables, n_tables, &builder, err);
  if (st == QV_OK) st = qv__build_plan(builder, tree, &plan, err);
  if (st == QV_OK && o->explain) {
    char *text = NULL;
    st = qv_exec_plan_explain(plan, &text, err);
    if (st == QV_OK) fputs(text, stdout);
    free(text);
  } else if (st == QV_OK) {
    st = execute(o, session, plan, err);
  }
  qv_exec_plan_unref(plan);
  qv__plan_builder_destroy(builder);
  qv__sx_free(tree);
  free(file_text);
  for (int32_t i = 0; i < n_tables; i++) qv__table_reset(&tables[i]);
  qv_session_state_unref(session);
  return st;
}

static int usage(const char *why) {
  if (why) fprintf(stderr, "quiver-plan-run: %s\n", why);
  fprintf(stderr, "usage: quiver-plan-run [--table NAME=PATH[:PARTITIONS]]... [--config KEY=VALUE]...\n"
                  "                       [--explain] [--time N] [--discard] [--no-validate]\n"
                  "                       (PLAN | --plan-file FILE) > result.arrows\n"
                  "see apps/quiver-plan-run/main.c for the plan syntax\n");
  return 2;
}

int main(int argc, char **argv) {
  options o = {.validate = true};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(a, "--table") == 0 && has_value) {
      if (o.n_tables == MAX_TABLES) return usage("too many tables");
      o.tables[o.n_tables++] = argv[++i];
    } else if (strcmp(a, "--config") == 0 && has_value) {
      if (o.n_configs == MAX_CONFIGS) return usage("too many settings");
      o.configs[o.n_configs++] = argv[++i];
    } else if (strcmp(a, "--plan-file") == 0 && has_value) {
      o.plan_file = argv[++i];
    } else if (strcmp(a, "--time") == 0 && has_value) {
      char *end = NULL;
      o.time_runs = strtoll(argv[++i], &end, 10);
      if (!end || *end || o.time_runs < 1) return usage("--time needs a positive count");
    } else if (strcmp(a, "--explain") == 0) {
      o.explain = true;
    } else if (strcmp(a, "--discard") == 0) {
      o.discard = true;
    } else if (strcmp(a, "--no-validate") == 0) {
      o.validate = false;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      return usage(NULL);
    } else if (a[0] == '-' && a[1] == '-') {
      return usage("unknown option or missing value");
    } else if (!o.plan_text) {
      o.plan_text = a;
    } else {
      return usage("more than one plan given");
    }
  }
  if (!o.plan_text == !o.plan_file) return usage("give exactly one of PLAN and --plan-file");
  qv_error err;
  qv_error_init(&err);
  qv_status st = run(&o, &err);
  if (st != QV_OK) {
    fprintf(stderr, "quiver-plan-run: %s: %s\n", qv_status_name(st), err.message);
    return 1;
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
