/* quiver-scan: a driver of the file scans (ParquetScanExec, CsvScanExec,
 * IpcScanExec), used by the interop tests (tests/interop/test_scans_pyarrow.py)
 * and the Parquet benchmark (bench/parquet/run.py).
 *
 *   quiver-scan [options] PATH...
 *
 * PATHs are files, directories or glob patterns. The scan reads them on
 * every core (or --partitions N) and writes the rows to standard output as
 * an Arrow IPC stream, in no particular order.
 *
 * Options:
 *   --format parquet|csv|ipc   default: from the first path's extension
 *                              (.csv, .tbl, .arrow/.ipc/.feather), else parquet
 *   --columns a,b,c            the projection, by name (default: every column)
 *   --where 'COL OP VALUE'     a conjunct of the predicate (repeatable):
 *                              OP is one of = != <> < <= > >=; VALUE is text
 *                              cast to the column's type ("1995-01-01",
 *                              "0.05"), or NULL; also 'COL IS [NOT] NULL'
 *   --between COL LO HI        COL BETWEEN LO AND HI
 *   --partitions N             target partitions (default: online cores)
 *   --min-split BYTES          smallest byte stretch worth its own partition
 *   --extension EXT            directory listings keep names ending in EXT
 *   --batch-size N             rows per batch of the reader
 *   --no-header, --delimiter C, --splittable, --tbl   CSV options
 *   --explain                  print the plan to standard error
 *   --metrics                  print the scan's counters to standard error
 *   --count                    print the number of rows instead of the rows
 *   --time N                   run N times, print "rows=R best=S runs=S,S,..."
 *                              (seconds; plan building included) and no rows
 * Exit status: 0 on success, 1 on an error (its message on standard error),
 * 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/scan_internal.h"
#include "quiver/ipc.h"
#include "quiver/plan.h"

typedef struct predicate_spec {
  char *text[3]; /* COL OP VALUE, or COL IS [NOT] NULL with text[2] = NULL, or BETWEEN parts */
  bool between;
} predicate_spec;

typedef struct args {
  const char *format;
  char *columns;
  predicate_spec *preds;
  int n_preds;
  int32_t partitions;
  int64_t min_split;
  const char *extension;
  int64_t batch_size;
  bool no_header, splittable, tbl, explain, metrics, count;
  char delimiter;
  int time_runs;
  const char **paths;
  int n_paths;
} args;

static int usage(void) {
  fprintf(stderr, "usage: quiver-scan [--format parquet|csv|ipc] [--columns a,b] [--where 'COL OP VALUE']...\n"
                  "                   [--between COL LO HI] [--partitions N] [--count] [--time N] PATH...\n"
                  "see apps/quiver-scan/main.c for every option\n");
  return 2;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Splits "COL OP VALUE" at the first two runs of blanks. */
static bool parse_where(const char *text, predicate_spec *out) {
  memset(out, 0, sizeof *out);
  const char *p = text;
  for (int i = 0; i < 2; i++) {
    while (*p == ' ') p++;
    const char *e = strchr(p, ' ');
    if (!e) return false;
    out->text[i] = strndup(p, (size_t)(e - p));
    p = e;
  }
  while (*p == ' ') p++;
  if (!*p) return false;
  out->text[2] = strdup(p);
  return true;
}

static qv_status comparison(qv_schema *schema, const char *col, const char *op_text, const char *value,
                            qv_expr **out, qv_error *err) {
  *out = NULL;
  qv_expr *c = NULL, *lit = NULL;
  QV_RETURN_NOT_OK(qv_expr_column_named(schema, col, &c, err));
  qv_status st;
  if (strcmp(op_text, "IS") == 0 || strcmp(op_text, "is") == 0) {
    bool negated = strncmp(value, "NOT", 3) == 0 || strncmp(value, "not", 3) == 0;
    st = qv_expr_is_null(c, negated, out, err);
    qv_expr_unref(c);
    return st;
  }
  static const struct { const char *text; qv_binary_op op; } ops[] = {
      {"=", QV_OP_EQ}, {"==", QV_OP_EQ}, {"!=", QV_OP_NE}, {"<>", QV_OP_NE}, {"<", QV_OP_LT},
      {"<=", QV_OP_LE}, {">", QV_OP_GT}, {">=", QV_OP_GE}};
  int k = -1;
  for (int i = 0; i < (int)(sizeof ops / sizeof ops[0]); i++)
    if (strcmp(op_text, ops[i].text) == 0) k = i;
  if (k < 0) {
    qv_expr_unref(c);
    return qv_error_set(err, QV_INVALID, "unknown operator '%s'", op_text);
  }
  if (strcmp(value, "NULL") == 0) st = qv_expr_literal_null(qv_expr_type(c), &lit, err);
  else st = qv_expr_literal_string(value, &lit, err);
  if (st == QV_OK) st = qv_expr_binary(ops[k].op, c, lit, out, err);
  qv_expr_unref(c);
  qv_expr_unref(lit);
  return st;
}

static qv_status between(qv_schema *schema, char *const *t, qv_expr **out, qv_error *err) {
  *out = NULL;
  qv_expr *c = NULL, *lo = NULL, *hi = NULL;
  qv_status st = qv_expr_column_named(schema, t[0], &c, err);
  if (st == QV_OK) st = qv_expr_literal_string(t[1], &lo, err);
  if (st == QV_OK) st = qv_expr_literal_string(t[2], &hi, err);
  if (st == QV_OK) st = qv_expr_between(c, lo, hi, false, out, err);
  qv_expr_unref(c);
  qv_expr_unref(lo);
  qv_expr_unref(hi);
  return st;
}

/* The AND of every --where and --between over schema; NULL when none. */
static qv_status build_predicate(const args *a, qv_schema *schema, qv_expr **out, qv_error *err) {
  *out = NULL;
  for (int i = 0; i < a->n_preds; i++) {
    qv_expr *term = NULL, *both = NULL;
    const predicate_spec *p = &a->preds[i];
    qv_status st = p->between ? between(schema, p->text, &term, err)
                              : comparison(schema, p->text[0], p->text[1], p->text[2], &term, err);
    if (st == QV_OK && *out) {
      st = qv_expr_binary(QV_OP_AND, *out, term, &both, err);
      qv_expr_unref(term);
      term = both;
    }
    if (st != QV_OK) {
      qv_expr_unref(*out);
      *out = NULL;
      return st;
    }
    qv_expr_unref(*out);
    *out = term;
  }
  return QV_OK;
}

typedef struct scan_options {
  qv_parquet_read_options parquet;
  qv_csv_read_options csv;
  qv_ipc_read_options ipc;
} scan_options;

static qv_status make_scan(const args *a, const scan_options *o, qv_file_scan_config *cfg, qv_exec_plan **out,
                           qv_error *err) {
  if (strcmp(a->format, "parquet") == 0) return qv_plan_parquet_scan(cfg, &o->parquet, out, err);
  if (strcmp(a->format, "csv") == 0) return qv_plan_csv_scan(cfg, &o->csv, out, err);
  return qv_plan_ipc_scan(cfg, &o->ipc, out, err);
}

/* Builds the scan: first without projection and predicate to learn the
 * file schema, then the real one. */
static qv_status build_plan(const args *a, const scan_options *o, qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = a->paths;
  cfg.n_paths = a->n_paths;
  cfg.target_partitions = a->partitions;
  cfg.extension = a->extension;
  if (a->min_split > 0) cfg.min_split_bytes = a->min_split;
  qv_exec_plan *probe = NULL;
  QV_RETURN_NOT_OK(make_scan(a, o, &cfg, &probe, err));
  qv_schema *schema = qv_schema_ref(qv__file_scan_file_schema(probe));
  qv_exec_plan_unref(probe);
  int32_t *proj = NULL, n_proj = 0;
  qv_expr *pred = NULL;
  qv_status st = QV_OK;
  if (a->columns) {
    proj = malloc(sizeof *proj * (strlen(a->columns) + 1));
    char *copy = strdup(a->columns), *save = NULL;
    if (!proj || !copy) st = qv_error_set(err, QV_NOMEM, "out of memory");
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; st == QV_OK && tok; tok = strtok_r(NULL, ",", &save)) {
      int32_t i = qv_schema_field_index(schema, tok);
      if (i < 0) st = qv_error_set(err, QV_NOT_FOUND, "no column '%s'", tok);
      else proj[n_proj++] = i;
    }
    free(copy);
  }
  if (st == QV_OK) st = build_predicate(a, schema, &pred, err);
  if (st == QV_OK) {
    cfg.file_schema = schema;
    cfg.projection = a->columns ? proj : NULL;
    cfg.n_projection = n_proj;
    cfg.predicate = pred;
    st = make_scan(a, o, &cfg, out, err);
  }
  free(proj);
  qv_expr_unref(pred);
  qv_schema_unref(schema);
  return st;
}

/* Runs the plan on every partition and either writes the rows as an IPC
 * stream to `ipc_out` or only counts them. */
static qv_status run_plan(qv_exec_plan *scan, FILE *ipc_out, int64_t *rows, qv_error *err) {
  *rows = 0;
  qv_session_state *session = NULL;
  qv_task_context *ctx = NULL;
  qv_exec_plan *all = NULL;
  qv_batch_stream *stream = NULL;
  qv_ipc_stream_writer *w = NULL;
  qv_status st = qv_session_state_create_default(&session, err);
  if (st == QV_OK) st = qv_task_context_create(session, 0, 1, &ctx, err);
  if (st == QV_OK) st = qv_plan_coalesce_partitions(scan, &all, err);
  if (st == QV_OK) st = qv_exec_plan_execute(all, 0, ctx, &stream, err);
  if (st == QV_OK && ipc_out) st = qv_ipc_stream_writer_create(qv_exec_plan_schema(scan), NULL, qv_ipc_sink_file(ipc_out), &w, err);
  while (st == QV_OK) {
    qv_record_batch *b = NULL;
    st = qv_batch_stream_next(stream, &b, err);
    if (st != QV_OK || !b) break;
    *rows += qv_record_batch_num_rows(b);
    if (w) st = qv_ipc_stream_writer_write(w, b, err);
    qv_record_batch_unref(b);
  }
  if (st == QV_OK && w) st = qv_ipc_stream_writer_close(w, err);
  qv_ipc_stream_writer_destroy(w);
  qv_batch_stream_destroy(stream);
  qv_exec_plan_unref(all);
  qv_task_context_unref(ctx);
  qv_session_state_unref(session);
  return st;
}

static void print_metrics(qv_exec_plan *scan) {
  qv_file_scan_metrics m;
  qv__file_scan_metrics(scan, &m);
  fprintf(stderr, "files_opened=%lld row_groups_matched=%lld row_groups_pruned=%lld batches_read=%lld rows_read=%lld rows_output=%lld\n",
          (long long)m.files_opened, (long long)m.row_groups_matched, (long long)m.row_groups_pruned,
          (long long)m.batches_read, (long long)m.rows_read, (long long)m.rows_output);
}

static int parse_args(int argc, char **argv, args *a) {
  memset(a, 0, sizeof *a);
  a->delimiter = ',';
  a->paths = calloc((size_t)argc, sizeof *a->paths);
  a->preds = calloc((size_t)argc, sizeof *a->preds);
  if (!a->paths || !a->preds) return 1;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    bool more = i + 1 < argc;
    if (strcmp(o, "--format") == 0 && more) a->format = argv[++i];
    else if (strcmp(o, "--columns") == 0 && more) a->columns = argv[++i];
    else if (strcmp(o, "--where") == 0 && more) {
      if (!parse_where(argv[++i], &a->preds[a->n_preds])) {
        fprintf(stderr, "quiver-scan: --where wants 'COL OP VALUE', got '%s'\n", argv[i]);
        return 2;
      }
      a->n_preds++;
    } else if (strcmp(o, "--between") == 0 && i + 3 < argc) {
      predicate_spec *p = &a->preds[a->n_preds++];
      p->between = true;
      for (int k = 0; k < 3; k++) p->text[k] = strdup(argv[++i]);
    } else if (strcmp(o, "--partitions") == 0 && more) a->partitions = atoi(argv[++i]);
    else if (strcmp(o, "--min-split") == 0 && more) a->min_split = atoll(argv[++i]);
    else if (strcmp(o, "--extension") == 0 && more) a->extension = argv[++i];
    else if (strcmp(o, "--batch-size") == 0 && more) a->batch_size = atoll(argv[++i]);
    else if (strcmp(o, "--delimiter") == 0 && more) a->delimiter = argv[++i][0];
    else if (strcmp(o, "--time") == 0 && more) a->time_runs = atoi(argv[++i]);
    else if (strcmp(o, "--no-header") == 0) a->no_header = true;
    else if (strcmp(o, "--splittable") == 0) a->splittable = true;
    else if (strcmp(o, "--tbl") == 0) a->tbl = true;
    else if (strcmp(o, "--explain") == 0) a->explain = true;
    else if (strcmp(o, "--metrics") == 0) a->metrics = true;
    else if (strcmp(o, "--count") == 0) a->count = true;
    else if (o[0] == '-' && o[1] == '-') return 2;
    else a->paths[a->n_paths++] = o;
  }
  if (a->n_paths == 0) return 2;
  if (!a->format) {
    const char *p = a->paths[0];
    a->format = ends_with(p, ".csv") || ends_with(p, ".tbl") ? "csv"
                : ends_with(p, ".arrow") || ends_with(p, ".ipc") || ends_with(p, ".feather") ? "ipc"
                                                                                              : "parquet";
    if (ends_with(p, ".tbl")) a->tbl = true;
  }
  if (strcmp(a->format, "parquet") != 0 && strcmp(a->format, "csv") != 0 && strcmp(a->format, "ipc") != 0) return 2;
  return 0;
}

static void free_args(args *a) {
  for (int i = 0; i < a->n_preds; i++)
    for (int k = 0; k < 3; k++) free(a->preds[i].text[k]);
  free(a->preds);
  free(a->paths);
}

int main(int argc, char **argv) {
  args a;
  int rc = parse_args(argc, argv, &a);
  if (rc != 0) {
    free_args(&a);
    return rc == 2 ? usage() : 1;
  }
  scan_options o;
  qv_parquet_read_options_init(&o.parquet);
  qv_ipc_read_options_init(&o.ipc);
  if (a.tbl) qv_csv_read_options_init_tbl(&o.csv);
  else qv_csv_read_options_init(&o.csv);
  if (!a.tbl) o.csv.delimiter = a.delimiter;
  if (a.no_header) o.csv.header = false;
  if (a.splittable) o.csv.newlines_in_values = false;
  if (a.batch_size > 0) o.parquet.batch_size = o.csv.batch_size = a.batch_size;

  qv_error err = {0};
  qv_exec_plan *scan = NULL;
  qv_status st = QV_OK;
  int64_t rows = 0;
  if (a.time_runs > 0) {
    double best = 0;
    char runs[4096] = "";
    size_t used = 0;
    for (int r = 0; st == QV_OK && r < a.time_runs; r++) {
      double t0 = now_seconds();
      st = build_plan(&a, &o, &scan, &err);
      if (st == QV_OK) st = run_plan(scan, NULL, &rows, &err);
      double t = now_seconds() - t0;
      if (st == QV_OK && (r == 0 || t < best)) best = t;
      if (used < sizeof runs - 32) used += (size_t)snprintf(runs + used, sizeof runs - used, "%s%.4f", r ? "," : "", t);
      if (st == QV_OK && r + 1 < a.time_runs) {
        qv_exec_plan_unref(scan);
        scan = NULL;
      }
    }
    if (st == QV_OK) printf("rows=%lld best=%.4f runs=%s\n", (long long)rows, best, runs);
  } else {
    st = build_plan(&a, &o, &scan, &err);
    if (st == QV_OK && a.explain) {
      char *text = NULL;
      st = qv_exec_plan_explain(scan, &text, &err);
      if (st == QV_OK) fputs(text, stderr);
      free(text);
    }
    if (st == QV_OK) st = run_plan(scan, a.count ? NULL : stdout, &rows, &err);
    if (st == QV_OK && a.count) printf("%lld\n", (long long)rows);
  }
  if (st == QV_OK && a.metrics && scan) print_metrics(scan);
  qv_exec_plan_unref(scan);
  free_args(&a);
  if (st != QV_OK) {
    fprintf(stderr, "quiver-scan: %s: %s\n", qv_status_name(st), err.message);
    return 1;
  }
  fflush(stdout);
  return 0;
}
