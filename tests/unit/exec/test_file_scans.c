/* The file scans (ParquetScanExec, CsvScanExec, IpcScanExec) and their file
 * groups: every row read exactly once whatever the partitioning and byte
 * splits, projection, predicates (and Parquet row-group pruning, counted
 * through the scan's metrics, with results checked against a FilterExec
 * over an unpruned scan), globs and directories, schema differences between
 * files, EXPLAIN and the errors that name the failing file. CSV and IPC
 * files are written by the tests (CSV as text, IPC with the IPC writer);
 * Parquet files come from ../shared/testdata/parquet. */
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/scan_internal.h"
#include "exec_test_util.h"
#include "test.h"

#define PQ_DIR QV_TESTDATA_DIR "/parquet/"

/* ---- helpers ------------------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  return remove(path);
}

/* A fresh directory under /tmp (static buffer per call site is not needed:
 * the caller frees the result). */
static char *temp_dir(void) {
  char *d = strdup("/tmp/qv-scan-test-XXXXXX");
  if (d && !mkdtemp(d)) {
    free(d);
    return NULL;
  }
  return d;
}

static void remove_dir(char *dir) {
  if (dir) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(dir);
}

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static bool write_text(const char *dir, const char *name, const char *text) {
  char *path = join(dir, name);
  FILE *f = path ? fopen(path, "wb") : NULL;
  bool ok = f && fwrite(text, 1, strlen(text), f) == strlen(text);
  if (f) ok = fclose(f) == 0 && ok;
  free(path);
  return ok;
}

/* A CSV file of rows id = start .. start+n-1: "id,name,score" with name
 * "n<id>" (empty, i.e. null, when id % 7 == 3) and score id / 2. */
static bool write_csv(const char *dir, const char *name, int64_t start, int64_t n) {
  char *path = join(dir, name);
  FILE *f = path ? fopen(path, "wb") : NULL;
  free(path);
  if (!f) return false;
  fprintf(f, "id,name,score\n");
  for (int64_t i = start; i < start + n; i++) {
    if (i % 7 == 3) fprintf(f, "%lld,,%.1f\n", (long long)i, (double)i / 2);
    else fprintf(f, "%lld,n%lld,%.1f\n", (long long)i, (long long)i, (double)i / 2);
  }
  return fclose(f) == 0;
}

/* id int64 not null, name utf8, score float64. */
static qv_schema *ids_schema(bool with_score) {
  qv_field *f[3] = {NULL, NULL, NULL};
  qv_schema *s = NULL;
  if (qv_field_create("id", qv_type_primitive(QV_INT64), false, NULL, &f[0], NULL) == QV_OK &&
      qv_field_create("name", qv_type_primitive(QV_UTF8), true, NULL, &f[1], NULL) == QV_OK &&
      qv_field_create("score", qv_type_primitive(QV_FLOAT64), true, NULL, &f[2], NULL) == QV_OK &&
      qv_schema_create(f, with_score ? 3 : 2, NULL, &s, NULL) != QV_OK)
    s = NULL;
  for (int i = 0; i < 3; i++) qv_field_unref(f[i]);
  return s;
}

static qv_record_batch *ids_batch(qv_schema *s, int64_t start, int64_t n) {
  qv_array_builder b[3];
  qv_array *a[3] = {NULL, NULL, NULL};
  int32_t nc = qv_schema_num_fields(s);
  qv_record_batch *out = NULL;
  bool ok = true;
  for (int32_t c = 0; c < nc; c++) ok = ok && qv_array_builder_init(&b[c], NULL, qv_field_type(qv_schema_field(s, c)), NULL) == QV_OK;
  for (int64_t i = start; ok && i < start + n; i++) {
    char name[32];
    snprintf(name, sizeof name, "n%lld", (long long)i);
    ok = qv_array_builder_append_int(&b[0], i, NULL) == QV_OK &&
         (i % 7 == 3 ? qv_array_builder_append_null(&b[1], NULL)
                     : qv_array_builder_append_binary(&b[1], name, (int64_t)strlen(name), NULL)) == QV_OK &&
         (nc < 3 || qv_array_builder_append_double(&b[2], (double)i / 2, NULL) == QV_OK);
  }
  for (int32_t c = 0; c < nc; c++)
    if (ok) ok = qv_array_builder_finish(&b[c], &a[c], NULL) == QV_OK;
    else qv_array_builder_reset(&b[c]);
  if (ok && qv_record_batch_create(s, n, a, nc, &out, NULL) != QV_OK) out = NULL;
  for (int32_t c = 0; c < nc; c++) qv_array_unref(a[c]);
  return out;
}

/* An IPC file of ids start .. start+n-1 in batches of `per_batch` rows. */
static bool write_ipc(const char *dir, const char *name, int64_t start, int64_t n, int64_t per_batch, bool with_score) {
  char *path = join(dir, name);
  FILE *f = path ? fopen(path, "wb") : NULL;
  free(path);
  if (!f) return false;
  qv_schema *s = ids_schema(with_score);
  qv_ipc_file_writer *w = NULL;
  bool ok = s && qv_ipc_file_writer_create(s, NULL, qv_ipc_sink_file(f), &w, NULL) == QV_OK;
  for (int64_t i = 0; ok && i < n; i += per_batch) {
    qv_record_batch *b = ids_batch(s, start + i, n - i < per_batch ? n - i : per_batch);
    ok = b && qv_ipc_file_writer_write(w, b, NULL) == QV_OK;
    qv_record_batch_unref(b);
  }
  ok = ok && qv_ipc_file_writer_close(w, NULL) == QV_OK;
  qv_ipc_file_writer_destroy(w);
  qv_schema_unref(s);
  return fclose(f) == 0 && ok;
}

/* What a plan produced: rows, and whether the integer column `col` held
 * every value of [0, total) exactly once. */
typedef struct id_result {
  int64_t rows;
  int64_t batches;
  int64_t max_batch;
  bool exactly_once;
} id_result;

static qv_status run_ids(qv_exec_plan *plan, int32_t col, int64_t total, id_result *r, qv_error *err) {
  memset(r, 0, sizeof *r);
  qv_task_context *ctx = qv_test_context();
  if (!ctx) return qv_error_set(err, QV_NOMEM, "no context");
  qv_record_batch **out = NULL;
  int64_t n = 0;
  qv_status st = qv_exec_plan_collect(plan, ctx, &out, &n, err);
  if (st != QV_OK) {
    qv_task_context_unref(ctx);
    return st;
  }
  uint8_t *seen = calloc((size_t)total + 1, 1);
  r->exactly_once = seen != NULL;
  for (int64_t i = 0; i < n; i++) {
    int64_t rows = qv_record_batch_num_rows(out[i]);
    r->rows += rows;
    r->batches++;
    if (rows > r->max_batch) r->max_batch = rows;
    if (col < 0 || !seen) continue;
    qv_array *a = qv_record_batch_column(out[i], col);
    const uint8_t *data = qv_buffer_data(qv_array_buffer(a, 1));
    for (int64_t k = 0; k < rows; k++) {
      int64_t v = qv_type_id_of(qv_array_type(a)) == QV_INT32 ? ((const int32_t *)data)[qv_array_offset(a) + k]
                                                               : ((const int64_t *)data)[qv_array_offset(a) + k];
      if (v < 0 || v >= total || seen[v]) r->exactly_once = false;
      else seen[v] = 1;
    }
  }
  for (int64_t v = 0; seen && v < total && col >= 0; v++)
    if (!seen[v]) r->exactly_once = false;
  free(seen);
  qv_test_free_batches(out, n); /* before the context: its pool holds their memory */
  qv_task_context_unref(ctx);
  return QV_OK;
}

static int64_t count_rows(qv_exec_plan *plan, qv_status *st, qv_error *err) {
  id_result r;
  *st = run_ids(plan, -1, 0, &r, err);
  return r.rows;
}

/* Rows of plan after a FilterExec with predicate (the reference for pruned scans). */
static int64_t count_filtered(qv_exec_plan *plan, qv_expr *predicate, qv_status *st, qv_error *err) {
  qv_exec_plan *f = NULL;
  *st = qv_plan_filter(plan, predicate, &f, err);
  int64_t n = *st == QV_OK ? count_rows(f, st, err) : -1;
  qv_exec_plan_unref(f);
  return n;
}

static qv_status compare_expr(qv_schema *s, const char *col, qv_binary_op op, double v, qv_expr **out, qv_error *err) {
  qv_expr *c = NULL, *lit = NULL;
  qv_status st = qv_expr_column_named(s, col, &c, err);
  if (st == QV_OK) st = qv_expr_literal_double(v, &lit, err);
  if (st == QV_OK) st = qv_expr_binary(op, c, lit, out, err);
  qv_expr_unref(c);
  qv_expr_unref(lit);
  return st;
}

static qv_status compare_string(qv_schema *s, const char *col, qv_binary_op op, const char *v, qv_expr **out,
                                 qv_error *err) {
  qv_expr *c = NULL, *lit = NULL;
  qv_status st = qv_expr_column_named(s, col, &c, err);
  if (st == QV_OK) st = qv_expr_literal_string(v, &lit, err);
  if (st == QV_OK) st = qv_expr_binary(op, c, lit, out, err);
  qv_expr_unref(c);
  qv_expr_unref(lit);
  return st;
}

static qv_status parquet_scan_of(const char *path, qv_expr *predicate, int32_t target, qv_exec_plan **out,
                                 qv_error *err) {
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = &path;
  cfg.n_paths = 1;
  cfg.predicate = predicate;
  cfg.target_partitions = target;
  cfg.min_split_bytes = 1;
  return qv_plan_parquet_scan(&cfg, NULL, out, err);
}

/* ---- file groups ------------------------------------------------------------------ */

QV_TEST(file_groups_split_bytes_evenly_and_cover_every_byte) {
  qv_error err = {0};
  static const int64_t sizes[] = {1000, 10, 0, 5000, 333};
  for (int32_t target = 1; target <= 9; target++) {
    qv_file_list list = {0};
    list.files = calloc(5, sizeof *list.files);
    CHECK(list.files);
    for (int i = 0; i < 5; i++) {
      list.files[i] = (qv_scan_file){strdup("f"), sizes[i], 0, sizes[i], -1};
      list.n = list.cap = i + 1;
    }
    qv_file_groups g;
    CHECK_OK(qv__file_groups_build(&list, target, true, 1, false, "test", &g, &err), &err);
    CHECK_EQ_INT(g.n_groups, target);
    /* Pieces in order tile each file, file after file (the empty one too). */
    int32_t cur = 0;
    int64_t pos = 0, total = 0, biggest = 0;
    for (int32_t p = 0; p < g.n_pieces; p++) {
      const qv_file_piece *pc = &g.pieces[p];
      if (pc->file != cur) {
        CHECK_EQ_INT(pos, sizes[cur]);
        CHECK_EQ_INT(pc->file, cur + 1);
        cur = pc->file;
        pos = 0;
      }
      CHECK_EQ_INT(pc->begin, pos);
      pos = pc->end;
    }
    CHECK_EQ_INT(cur, 4);
    CHECK_EQ_INT(pos, sizes[4]);
    for (int32_t q = 0; q < g.n_groups; q++) {
      int64_t b = qv__file_groups_bytes(&g, q);
      total += b;
      if (b > biggest) biggest = b;
    }
    CHECK_EQ_INT(total, 6343);
    CHECK(biggest <= 6343 / target + 1);
    qv__file_groups_reset(&g);
  }
}

QV_TEST(file_groups_deal_whole_files_to_the_lightest_group) {
  qv_error err = {0};
  static const int64_t sizes[] = {100, 900, 300, 300, 250};
  qv_file_list list = {0};
  list.files = calloc(5, sizeof *list.files);
  CHECK(list.files);
  for (int i = 0; i < 5; i++) {
    list.files[i] = (qv_scan_file){strdup("f"), sizes[i], 0, sizes[i], -1};
    list.n = list.cap = i + 1;
  }
  qv_file_groups g;
  CHECK_OK(qv__file_groups_build(&list, 3, false, 1, false, "test", &g, &err), &err);
  CHECK_EQ_INT(g.n_groups, 3);
  CHECK_EQ_INT(g.n_pieces, 5);
  /* 900 | 300 + 250 | 300 + 100, each group in file order */
  CHECK_EQ_INT(qv__file_groups_bytes(&g, 0), 900);
  CHECK_EQ_INT(qv__file_groups_bytes(&g, 1), 550);
  CHECK_EQ_INT(qv__file_groups_bytes(&g, 2), 400);
  CHECK_EQ_INT(g.pieces[g.offsets[2]].file, 0);
  CHECK_EQ_INT(g.pieces[g.offsets[2] + 1].file, 3);
  qv__file_groups_reset(&g);
}

/* ---- CSV ------------------------------------------------------------------------ */

QV_TEST(csv_scan_reads_every_row_once_for_any_split) {
  qv_error err = {0};
  char *dir = temp_dir();
  CHECK(dir);
  CHECK(write_csv(dir, "a.csv", 0, 1000) && write_csv(dir, "b.csv", 1000, 7) && write_csv(dir, "c.csv", 1007, 2993));
  qv_csv_read_options opts;
  qv_csv_read_options_init(&opts);
  opts.newlines_in_values = false;
  static const int32_t targets[] = {1, 2, 3, 4, 7, 16};
  static const int64_t splits[] = {1, 100, 4096, (int64_t)1 << 30};
  for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++)
    for (size_t m = 0; m < sizeof splits / sizeof splits[0]; m++) {
      qv_file_scan_config cfg;
      qv_file_scan_config_init(&cfg);
      const char *paths[] = {dir};
      cfg.paths = paths;
      cfg.n_paths = 1;
      cfg.target_partitions = targets[t];
      cfg.min_split_bytes = splits[m];
      cfg.batch_size = 300;
      qv_exec_plan *scan = NULL;
      CHECK_OK(qv_plan_csv_scan(&cfg, &opts, &scan, &err), &err);
      int32_t parts = qv_exec_plan_num_partitions(scan);
      CHECK(parts >= 1 && parts <= targets[t]);
      if (splits[m] == (int64_t)1 << 30) CHECK_EQ_INT(parts, 1);
      if (splits[m] == 1) CHECK_EQ_INT(parts, targets[t]);
      id_result r;
      CHECK_OK(run_ids(scan, 0, 4000, &r, &err), &err);
      CHECK_EQ_INT(r.rows, 4000);
      CHECK(r.exactly_once);
      CHECK(r.max_batch <= 300);
      qv_exec_plan_unref(scan);
    }
  remove_dir(dir);
}

QV_TEST(csv_scan_without_splitting_reads_whole_files) {
  qv_error err = {0};
  char *dir = temp_dir();
  CHECK(dir);
  CHECK(write_csv(dir, "a.csv", 0, 500) && write_csv(dir, "b.csv", 500, 500) && write_csv(dir, "c.csv", 1000, 20));
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  const char *paths[] = {dir};
  cfg.paths = paths;
  cfg.n_paths = 1;
  cfg.target_partitions = 8;
  cfg.min_split_bytes = 1;
  qv_exec_plan *scan = NULL;
  CHECK_OK(qv_plan_csv_scan(&cfg, NULL, &scan, &err), &err); /* default options keep newlines in values */
  CHECK_EQ_INT(qv_exec_plan_num_partitions(scan), 3);
  for (int32_t p = 0; p < 3; p++) {
    CHECK_EQ_INT(qv__file_scan_num_pieces(scan, p), 1);
    const char *path;
    int64_t b, e;
    qv__file_scan_piece(scan, p, 0, &path, &b, &e);
    CHECK_EQ_INT(b, 0);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && e == sb.st_size);
  }
  id_result r;
  CHECK_OK(run_ids(scan, 0, 1020, &r, &err), &err);
  CHECK(r.exactly_once);
  qv_exec_plan_unref(scan);
  /* A byte range needs a splittable format. */
  char *a = join(dir, "a.csv");
  const char *one[] = {a};
  int64_t begin[] = {10}, end[] = {-1};
  cfg.paths = one;
  cfg.range_begin = begin;
  cfg.range_end = end;
  CHECK_STATUS(qv_plan_csv_scan(&cfg, NULL, &scan, &err), QV_INVALID);
  free(a);
  remove_dir(dir);
}

QV_TEST(csv_scan_explicit_ranges_and_partitions) {
  qv_error err = {0};
  char *dir = temp_dir();
  CHECK(dir);
  CHECK(write_csv(dir, "a.csv", 0, 2000));
  char *a = join(dir, "a.csv");
  struct stat sb;
  CHECK(stat(a, &sb) == 0);
  /* Three ranges of one file, cut anywhere (even mid-record), pinned to
   * partitions 2, 0, 2 of 3: partition 1 stays empty. */
  int64_t cut1 = sb.st_size / 3 + 5, cut2 = 2 * sb.st_size / 3 - 7;
  const char *paths[] = {a, a, a};
  int64_t begin[] = {0, cut1, cut2}, end[] = {cut1, cut2, -1};
  int32_t parts[] = {2, 0, 2};
  qv_csv_read_options opts;
  qv_csv_read_options_init(&opts);
  opts.newlines_in_values = false;
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = paths;
  cfg.n_paths = 3;
  cfg.range_begin = begin;
  cfg.range_end = end;
  cfg.partitions = parts;
  cfg.target_partitions = 3;
  qv_exec_plan *scan = NULL;
  CHECK_OK(qv_plan_csv_scan(&cfg, &opts, &scan, &err), &err);
  CHECK_EQ_INT(qv_exec_plan_num_partitions(scan), 3);
  CHECK_EQ_INT(qv__file_scan_num_pieces(scan, 0), 1);
  CHECK_EQ_INT(qv__file_scan_num_pieces(scan, 1), 0);
  CHECK_EQ_INT(qv__file_scan_num_pieces(scan, 2), 2);
  const char *path;
  int64_t b, e;
  qv__file_scan_piece(scan, 2, 1, &path, &b, &e);
  CHECK_EQ_INT(b, cut2);
  CHECK_EQ_INT(e, sb.st_size);
  id_result r;
  CHECK_OK(run_ids(scan, 0, 2000, &r, &err), &err);
  CHECK(r.exactly_once);
  qv_exec_plan_unref(scan);
  /* Out of range and bad partitions. */
  int64_t bad_end[] = {cut1, cut2, sb.st_size + 1};
  cfg.range_end = bad_end;
  CHECK_STATUS(qv_plan_csv_scan(&cfg, &opts, &scan, &err), QV_INVALID);
  cfg.range_end = end;
  cfg.target_partitions = 2;
  CHECK_STATUS(qv_plan_csv_scan(&cfg, &opts, &scan, &err), QV_INVALID);
  free(a);
  remove_dir(dir);
}

QV_TEST(csv_scan_projection_and_predicate_on_other_columns) {
  qv_error err = {0};
  char *dir = temp_dir();
  CHECK(dir);
  CHECK(write_csv(dir, "a.csv", 0, 1000));
  /* A value that would not parse as a number, in a column nobody reads. */
  CHECK(write_text(dir, "b.csv", "id,name,score\n1000,n1000,oops\n"));
  qv_schema *schema = ids_schema(true);
  qv_expr *pred = NULL;
  CHECK_OK(compare_expr(schema, "id", QV_OP_LT, 100, &pred, &err), &err);
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  const char *paths[] = {dir};
  int32_t proj[] = {1};
  cfg.paths = paths;
  cfg.n_paths = 1;
  cfg.file_schema = schema;
  cfg.projection = proj;
  cfg.n_projection = 1;
  cfg.predicate = pred;
  cfg.target_partitions = 2;
  qv_exec_plan *scan = NULL;
  CHECK_OK(qv_plan_csv_scan(&cfg, NULL, &scan, &err), &err);
  qv_schema *out = qv_exec_plan_schema(scan);
  CHECK_EQ_INT(qv_schema_num_fields(out), 1);
  CHECK_STR_EQ(qv_field_name(qv_schema_field(out, 0)), "name");
  qv_task_context *ctx = qv_test_context();
  qv_record_batch **batches = NULL;
  int64_t n = 0, rows = 0, nulls = 0;
  CHECK_OK(qv_exec_plan_collect(scan, ctx, &batches, &n, &err), &err);
  for (int64_t i = 0; i < n; i++) {
    rows += qv_record_batch_num_rows(batches[i]);
    nulls += qv_array_null_count(qv_record_batch_column(batches[i], 0));
  }
  CHECK_EQ_INT(rows, 100);
  CHECK_EQ_INT(nulls, 14); /* ids 3, 10, ..., 94 */
  qv_test_free_batches(batches, n);
  qv_exec_plan_unref(scan);
  /* Reading the score column too parses it: the bad value is reported. */
  int32_t proj2[] = {1, 2};
  cfg.projection = proj2;
  cfg.n_projection = 2;
  CHECK_OK(qv_plan_csv_scan(&cfg, NULL, &scan, &err), &err);
  CHECK_STATUS(qv_exec_plan_collect(scan, ctx, &batches, &n, &err), QV_INVALID);
  CHECK(strstr(err.message, "b.csv") && strstr(err.message, "score"));
  qv_exec_plan_unref(scan);
  /* A predicate built over another schema, or not boolean, is refused. */
  qv_field *xf = NULL;
  qv_schema *other = NULL;
  CHECK_OK(qv_field_create("x", qv_type_primitive(QV_UTF8), true, NULL, &xf, &err), &err);
  CHECK_OK(qv_schema_create(&xf, 1, NULL, &other, &err), &err);
  qv_expr *bad = NULL, *c = NULL;
  CHECK_OK(compare_string(other, "x", QV_OP_EQ, "a", &bad, &err), &err);
  cfg.predicate = bad;
  CHECK_STATUS(qv_plan_csv_scan(&cfg, NULL, &scan, &err), QV_TYPE_ERROR);
  CHECK_OK(qv_expr_column(schema, 0, &c, &err), &err);
  cfg.predicate = c;
  CHECK_STATUS(qv_plan_csv_scan(&cfg, NULL, &scan, &err), QV_TYPE_ERROR);
  qv_expr_unref(c);
  qv_expr_unref(bad);
  qv_field_unref(xf);
  qv_schema_unref(other);
  qv_task_context_unref(ctx);
  qv_expr_unref(pred);
  qv_schema_unref(schema);
  remove_dir(dir);
}

/* ---- IPC ------------------------------------------------------------------------- */

QV_TEST(ipc_scan_reads_every_row_once_in_bounded_batches) {
  qv_error err = {0};
  char *dir = temp_dir();
  CHECK(dir);
  CHECK(write_ipc(dir, "a.arrow", 0, 1000, 400, true) && write_ipc(dir, "b.arrow", 1000, 3000, 1000, true) &&
        write_ipc(dir, "c.arrow", 4000, 10, 10, true) && write_ipc(dir, "d.arrow", 4010, 990, 990, true));
  for (int32_t target = 1; target <= 6; target++) {
    qv_file_scan_config cfg;
    qv_file_scan_config_init(&cfg);
    char *pattern = join(dir, "*.arrow");
    const char *paths[] = {pattern};
    cfg.paths = paths;
    cfg.n_paths = 1;
    cfg.target_partitions = target;
    cfg.batch_size = 256;
    qv_exec_plan *scan = NULL;
    CHECK_OK(qv_plan_ipc_scan(&cfg, NULL, &scan, &err), &err);
    free(pattern);
    CHECK_EQ_INT(qv_exec_plan_num_partitions(scan), target < 4 ? target : 4);
    id_result r;
    CHECK_OK(run_ids(scan, 0, 5000, &r, &err), &err);
    CHECK_EQ_INT(r.rows, 5000);
    CHECK(r.exactly_once);
    CHECK(r.max_batch <= 256);
    qv_file_scan_metrics m;
    qv__file_scan_metrics(scan, &m);
    CHECK_EQ_INT(m.files_opened, 4);
    CHECK_EQ_INT(m.rows_output, 5000);
    qv_exec_plan_unref(scan);
  }
  remove_dir(dir);
}

QV_TEST(ipc_scan_matches_columns_by_name_across_files) {
  qv_error err = {0};
  char *dir = temp_dir();
  CHECK(dir);
  /* b.arrow lacks the nullable "score": it reads as nulls. */
  CHECK(write_ipc(dir, "a.arrow", 0, 100, 100, true) && write_ipc(dir, "b.arrow", 100, 50, 50, false));
  const char *paths[] = {dir};
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = paths;
  cfg.n_paths = 1;
  cfg.target_partitions = 1;
  int32_t proj[] = {2, 0};
  cfg.projection = proj;
  cfg.n_projection = 2;
  qv_exec_plan *scan = NULL;
  CHECK_OK(qv_plan_ipc_scan(&cfg, NULL, &scan, &err), &err);
  qv_task_context *ctx = qv_test_context();
  qv_record_batch **batches = NULL;
  int64_t n = 0, rows = 0, nulls = 0;
  CHECK_OK(qv_exec_plan_collect(scan, ctx, &batches, &n, &err), &err);
  for (int64_t i = 0; i < n; i++) {
    rows += qv_record_batch_num_rows(batches[i]);
    nulls += qv_array_null_count(qv_record_batch_column(batches[i], 0));
  }
  CHECK_EQ_INT(rows, 150);
  CHECK_EQ_INT(nulls, 50);
  qv_test_free_batches(batches, n);
  qv_exec_plan_unref(scan);
  /* A file whose column has another type fails, naming file and column. */
  qv_field *f[2];
  qv_schema *s32 = NULL;
  CHECK_OK(qv_field_create("id", qv_type_primitive(QV_INT32), false, NULL, &f[0], &err), &err);
  CHECK_OK(qv_field_create("name", qv_type_primitive(QV_UTF8), true, NULL, &f[1], &err), &err);
  CHECK_OK(qv_schema_create(f, 2, NULL, &s32, &err), &err);
  cfg.file_schema = s32;
  cfg.projection = NULL;
  CHECK_OK(qv_plan_ipc_scan(&cfg, NULL, &scan, &err), &err);
  CHECK_STATUS(qv_exec_plan_collect(scan, ctx, &batches, &n, &err), QV_TYPE_ERROR);
  CHECK(strstr(err.message, "a.arrow") && strstr(err.message, "'id'"));
  qv_exec_plan_unref(scan);
  qv_field_unref(f[0]);
  qv_field_unref(f[1]);
  qv_schema_unref(s32);
  qv_task_context_unref(ctx);
  remove_dir(dir);
}

/* ---- Parquet ------------------------------------------------------------------- */

QV_TEST(parquet_scan_reads_every_row_once_for_any_split) {
  qv_error err = {0};
  static const int64_t splits[] = {1, 4096, 100000};
  for (int32_t target = 1; target <= 8; target++)
    for (size_t m = 0; m < sizeof splits / sizeof splits[0]; m++) {
      /* Two paths to the same data: rows twice, each file split on its own. */
      const char *paths[] = {PQ_DIR "alltypes_tiny_pages.parquet", PQ_DIR "floating_orders_nan_count.parquet"};
      qv_file_scan_config cfg;
      qv_file_scan_config_init(&cfg);
      cfg.paths = paths;
      cfg.n_paths = 1;
      cfg.target_partitions = target;
      cfg.min_split_bytes = splits[m];
      qv_exec_plan *scan = NULL;
      CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), &err);
      id_result r;
      CHECK_OK(run_ids(scan, 0, 7300, &r, &err), &err);
      CHECK_EQ_INT(r.rows, 7300);
      CHECK(r.exactly_once);
      qv_exec_plan_unref(scan);
      cfg.paths = paths + 1;
      CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), &err);
      qv_status st;
      CHECK_EQ_INT(count_rows(scan, &st, &err), 50);
      CHECK_OK(st, &err);
      qv_file_scan_metrics mt;
      qv__file_scan_metrics(scan, &mt);
      CHECK_EQ_INT(mt.row_groups_matched, 5); /* each row group in exactly one piece */
      CHECK_EQ_INT(mt.row_groups_pruned, 0);
      qv_exec_plan_unref(scan);
    }
}

QV_TEST(parquet_scan_projection_decodes_only_the_projected_columns) {
  qv_error err = {0};
  const char *path = PQ_DIR "alltypes_plain.parquet";
  qv_parquet_reader *r = NULL;
  CHECK_OK(qv_parquet_reader_open(path, NULL, &r, &err), &err);
  qv_parquet_batch_reader *br = NULL;
  int32_t want[] = {9, 0};
  CHECK_OK(qv_parquet_reader_scan(r, NULL, 0, want, 2, &br, &err), &err);
  qv_record_batch *expected = NULL;
  CHECK_OK(qv_parquet_batch_reader_next(br, &expected, &err), &err);
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = &path;
  cfg.n_paths = 1;
  cfg.projection = want;
  cfg.n_projection = 2;
  qv_exec_plan *scan = NULL;
  CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), &err);
  CHECK_STR_EQ(qv_field_name(qv_schema_field(qv_exec_plan_schema(scan), 0)), "string_col");
  CHECK_STR_EQ(qv_field_name(qv_schema_field(qv_exec_plan_schema(scan), 1)), "id");
  qv_task_context *ctx = qv_test_context();
  qv_record_batch **out = NULL;
  int64_t n = 0;
  CHECK_OK(qv_exec_plan_collect(scan, ctx, &out, &n, &err), &err);
  CHECK_EQ_INT(n, 1);
  CHECK(qv_array_equals(qv_record_batch_column(out[0], 0), qv_record_batch_column(expected, 0)));
  CHECK(qv_array_equals(qv_record_batch_column(out[0], 1), qv_record_batch_column(expected, 1)));
  qv_test_free_batches(out, n);
  /* No columns at all: rows are still counted. */
  cfg.n_projection = 0;
  qv_exec_plan *none = NULL;
  CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &none, &err), &err);
  qv_status st;
  CHECK_EQ_INT(count_rows(none, &st, &err), 8);
  CHECK_OK(st, &err);
  /* Out of range projection. */
  int32_t bad[] = {11};
  cfg.projection = bad;
  cfg.n_projection = 1;
  qv_exec_plan *p = NULL;
  CHECK_STATUS(qv_plan_parquet_scan(&cfg, NULL, &p, &err), QV_INVALID);
  qv_exec_plan_unref(none);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
  qv_record_batch_unref(expected);
  qv_parquet_batch_reader_destroy(br);
  qv_parquet_reader_destroy(r);
}

/* Runs scan(path, predicate) and checks its rows against a FilterExec over
 * the unpruned scan, and the number of pruned row groups. */
static void check_pruning(const char *path, qv_expr *pred, int64_t want_rows, int64_t want_pruned, int line) {
  qv_error err = {0};
  qv_exec_plan *pruned = NULL, *full = NULL;
  if (parquet_scan_of(path, pred, 3, &pruned, &err) != QV_OK || parquet_scan_of(path, NULL, 3, &full, &err) != QV_OK) {
    qv_test_fail(__FILE__, line, "building the scans: %s", err.message);
  } else {
    qv_status st1, st2;
    int64_t got = count_rows(pruned, &st1, &err);
    int64_t ref = count_filtered(full, pred, &st2, &err);
    qv_file_scan_metrics m;
    qv__file_scan_metrics(pruned, &m);
    if (st1 != QV_OK || st2 != QV_OK) qv_test_fail(__FILE__, line, "running: %s", err.message);
    else if (got != ref || got != want_rows)
      qv_test_fail(__FILE__, line, "rows: scan %lld, reference %lld, expected %lld", (long long)got, (long long)ref,
                   (long long)want_rows);
    else if (m.row_groups_pruned != want_pruned)
      qv_test_fail(__FILE__, line, "pruned %lld row groups, expected %lld", (long long)m.row_groups_pruned,
                   (long long)want_pruned);
  }
  qv_exec_plan_unref(pruned);
  qv_exec_plan_unref(full);
  qv_expr_unref(pred);
}

QV_TEST(parquet_pruning_floats_respects_nan_and_signed_zeros) {
  qv_error err = {0};
  const char *path = PQ_DIR "floating_orders_nan_count.parquet";
  qv_parquet_reader *r = NULL;
  CHECK_OK(qv_parquet_reader_open(path, NULL, &r, &err), &err);
  qv_schema *s = qv_schema_ref(qv_parquet_reader_schema(r));
  /* Row groups (min, max) of double_ieee754: (-2, 5) no NaN; (-2, 3) with
   * NaN; all NaN (no bounds); (0, 5); (-5, -0). Whether NaN counts are
   * stored decides what may be skipped; results must be right either way. */
  qv_parquet_column_chunk_info ck;
  CHECK_OK(qv_parquet_reader_column_chunk(r, 1, 2, &ck, &err), &err);
  bool counts_nan = ck.statistics.has_nan_count;
  qv_parquet_reader_destroy(r);
  qv_expr *e;
  /* x < -3: only the last group reaches below -3; the all-NaN group has no bounds. */
  CHECK_OK(compare_expr(s, "double_ieee754", QV_OP_LT, -3, &e, &err), &err);
  check_pruning(path, e, 2, 3, __LINE__);
  /* x > 4: NaN is above every number, so groups that may hold NaN stay. */
  CHECK_OK(compare_expr(s, "double_ieee754", QV_OP_GT, 4, &e, &err), &err);
  check_pruning(path, e, 1 + 4 + 10 + 1, counts_nan ? 1 : 0, __LINE__);
  /* x <= -0.0 and x >= 0.0 keep the zeros of either sign (the float32
   * column is compared through a cast to float64). */
  CHECK_OK(compare_expr(s, "float_ieee754", QV_OP_GE, 0.0, &e, &err), &err);
  check_pruning(path, e, 8 + 8 + 10 + 10 + 3, 0, __LINE__);
  CHECK_OK(compare_expr(s, "double_ieee754", QV_OP_LE, -0.0, &e, &err), &err);
  check_pruning(path, e, 4 + 4 + 3 + 10, 0, __LINE__);
  CHECK_OK(compare_expr(s, "double_ieee754", QV_OP_LT, -0.0, &e, &err), &err);
  check_pruning(path, e, 2 + 2 + 7, 1, __LINE__);
  /* x = NaN matches NaN (the engine's order) and can skip nothing that may hold it. */
  CHECK_OK(compare_expr(s, "double_ieee754", QV_OP_EQ, NAN, &e, &err), &err);
  check_pruning(path, e, 4 + 10, counts_nan ? 3 : 0, __LINE__);
  qv_schema_unref(s);
}

QV_TEST(parquet_pruning_integers_strings_and_nulls) {
  qv_error err = {0};
  qv_parquet_reader *r = NULL;
  const char *sorted = PQ_DIR "sort_columns.parquet";
  CHECK_OK(qv_parquet_reader_open(sorted, NULL, &r, &err), &err);
  qv_schema *s = qv_schema_ref(qv_parquet_reader_schema(r));
  qv_parquet_reader_destroy(r);
  qv_expr *e, *c, *lo, *hi;
  /* a in {NULL, 1, 2} twice. */
  CHECK_OK(compare_expr(s, "a", QV_OP_GT, 2, &e, &err), &err);
  check_pruning(sorted, e, 0, 2, __LINE__);
  CHECK_OK(compare_expr(s, "a", QV_OP_GE, 2, &e, &err), &err);
  check_pruning(sorted, e, 2, 0, __LINE__);
  CHECK_OK(compare_expr(s, "a", QV_OP_EQ, 0, &e, &err), &err);
  check_pruning(sorted, e, 0, 2, __LINE__);
  CHECK_OK(qv_expr_column_named(s, "a", &c, &err), &err);
  CHECK_OK(qv_expr_is_null(c, false, &e, &err), &err);
  check_pruning(sorted, e, 2, 0, __LINE__);
  CHECK_OK(qv_expr_literal_int64(3, &lo, &err), &err);
  CHECK_OK(qv_expr_literal_int64(9, &hi, &err), &err);
  CHECK_OK(qv_expr_between(c, lo, hi, false, &e, &err), &err);
  check_pruning(sorted, e, 0, 2, __LINE__);
  CHECK_OK(qv_expr_between(c, lo, hi, true, &e, &err), &err); /* NOT BETWEEN never prunes */
  check_pruning(sorted, e, 4, 0, __LINE__);
  qv_expr_unref(lo);
  qv_expr_unref(hi);
  /* 4 < a, literal first; and a NULL literal is never true. */
  CHECK_OK(qv_expr_literal_int64(4, &lo, &err), &err);
  CHECK_OK(qv_expr_binary(QV_OP_LT, lo, c, &e, &err), &err);
  check_pruning(sorted, e, 0, 2, __LINE__);
  qv_expr_unref(lo);
  CHECK_OK(qv_expr_literal_null(qv_type_primitive(QV_INT64), &lo, &err), &err);
  CHECK_OK(qv_expr_binary(QV_OP_EQ, c, lo, &e, &err), &err);
  check_pruning(sorted, e, 0, 2, __LINE__);
  qv_expr_unref(lo);
  qv_expr_unref(c);
  /* b in {a, b, c}; a conjunction prunes when either side does, an OR never. */
  qv_expr *x = NULL, *y = NULL;
  CHECK_OK(compare_string(s, "b", QV_OP_EQ, "d", &e, &err), &err);
  check_pruning(sorted, e, 0, 2, __LINE__);
  CHECK_OK(compare_string(s, "b", QV_OP_GE, "b", &x, &err), &err);
  CHECK_OK(compare_expr(s, "a", QV_OP_LT, 1, &y, &err), &err);
  CHECK_OK(qv_expr_binary(QV_OP_AND, x, y, &e, &err), &err);
  check_pruning(sorted, e, 0, 2, __LINE__);
  CHECK_OK(qv_expr_binary(QV_OP_OR, x, y, &e, &err), &err);
  check_pruning(sorted, e, 4, 0, __LINE__);
  qv_expr_unref(x);
  qv_expr_unref(y);
  qv_schema_unref(s);

  /* Truncated bounds are still bounds: "Al" <= every value <= "Kf". */
  const char *trunc = PQ_DIR "binary_truncated_min_max.parquet";
  CHECK_OK(qv_parquet_reader_open(trunc, NULL, &r, &err), &err);
  s = qv_schema_ref(qv_parquet_reader_schema(r));
  qv_parquet_reader_destroy(r);
  CHECK_OK(compare_string(s, "utf8_full_truncation", QV_OP_EQ, "Kevin Bacon", &e, &err), &err);
  check_pruning(trunc, e, 1, 0, __LINE__);
  CHECK_OK(compare_string(s, "utf8_full_truncation", QV_OP_GT, "Kf", &e, &err), &err);
  check_pruning(trunc, e, 0, 1, __LINE__);
  CHECK_OK(compare_string(s, "utf8_full_truncation", QV_OP_LT, "Al", &e, &err), &err);
  check_pruning(trunc, e, 0, 1, __LINE__);
  CHECK_OK(compare_string(s, "utf8_partial_truncation", QV_OP_GE, "\xf0\x9f\x9a\x80Kevin Bacon", &e, &err), &err);
  check_pruning(trunc, e, 1, 0, __LINE__);
  qv_schema_unref(s);

  /* An int32 column with nulls, compared with an int64 literal. */
  const char *nulls = PQ_DIR "int32_with_null_pages.parquet";
  CHECK_OK(qv_parquet_reader_open(nulls, NULL, &r, &err), &err);
  s = qv_schema_ref(qv_parquet_reader_schema(r));
  qv_parquet_reader_destroy(r);
  CHECK_OK(compare_expr(s, "int32_field", QV_OP_LT, -2136906554.0, &e, &err), &err);
  check_pruning(nulls, e, 0, 1, __LINE__);
  CHECK_OK(qv_expr_column_named(s, "int32_field", &c, &err), &err);
  CHECK_OK(qv_expr_literal_int64(-2136906554, &lo, &err), &err);
  CHECK_OK(qv_expr_binary(QV_OP_LE, c, lo, &e, &err), &err);
  check_pruning(nulls, e, 1, 0, __LINE__);
  qv_expr_unref(lo);
  CHECK_OK(qv_expr_is_null(c, true, &e, &err), &err);
  check_pruning(nulls, e, 725, 0, __LINE__);
  qv_expr_unref(c);
  qv_schema_unref(s);
}

QV_TEST(parquet_scan_explain_shows_groups_projection_and_pruning) {
  qv_error err = {0};
  const char *path = PQ_DIR "sort_columns.parquet";
  qv_parquet_reader *r = NULL;
  CHECK_OK(qv_parquet_reader_open(path, NULL, &r, &err), &err);
  qv_schema *s = qv_schema_ref(qv_parquet_reader_schema(r));
  qv_parquet_reader_destroy(r);
  qv_expr *e = NULL;
  CHECK_OK(compare_string(s, "b", QV_OP_LT, "b", &e, &err), &err);
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = &path;
  cfg.n_paths = 1;
  int32_t proj[] = {1};
  cfg.projection = proj;
  cfg.n_projection = 1;
  cfg.predicate = e;
  cfg.target_partitions = 1;
  qv_exec_plan *scan = NULL;
  CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), &err);
  char *text = NULL;
  CHECK_OK(qv_exec_plan_explain(scan, &text, &err), &err);
  CHECK_STR_EQ(text, "ParquetScanExec: files=1, partitions=1, groups=[[" PQ_DIR
                     "sort_columns.parquet]], projection=[b], predicate=b < 'b', pruning=[b < 'b']\n");
  free(text);
  qv_exec_plan_unref(scan);
  qv_expr_unref(e);
  qv_schema_unref(s);
}

/* ---- files: globs, directories, errors ------------------------------------------------ */

QV_TEST(file_scans_expand_directories_and_globs_in_order) {
  qv_error err = {0};
  char *dir = temp_dir();
  CHECK(dir);
  char *sub = join(dir, "sub");
  CHECK(sub && mkdir(sub, 0700) == 0);
  CHECK(write_csv(dir, "b.csv", 10, 10) && write_csv(dir, "a.csv", 0, 10) && write_csv(sub, "c.csv", 20, 10) &&
        write_csv(dir, ".hidden.csv", 100, 1) && write_text(dir, "_SUCCESS", "") && write_text(dir, "notes.txt", "x\n"));
  const char *paths[] = {dir};
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = paths;
  cfg.n_paths = 1;
  cfg.extension = ".csv";
  cfg.target_partitions = 1;
  qv_exec_plan *scan = NULL;
  CHECK_OK(qv_plan_csv_scan(&cfg, NULL, &scan, &err), &err);
  CHECK_EQ_INT(qv__file_scan_num_pieces(scan, 0), 3);
  static const char *order[] = {"a.csv", "b.csv", "sub/c.csv"};
  for (int i = 0; i < 3; i++) {
    const char *path;
    int64_t b, e;
    qv__file_scan_piece(scan, 0, i, &path, &b, &e);
    char *want = join(dir, order[i]);
    CHECK_STR_EQ(path, want);
    free(want);
  }
  id_result r;
  CHECK_OK(run_ids(scan, 0, 30, &r, &err), &err);
  CHECK(r.exactly_once);
  qv_exec_plan_unref(scan);
  /* Without an extension every visible file is listed. */
  cfg.extension = NULL;
  CHECK_OK(qv_plan_csv_scan(&cfg, NULL, &scan, &err), &err);
  CHECK_EQ_INT(qv__file_scan_num_pieces(scan, 0), 4);
  qv_exec_plan_unref(scan);
  /* A glob; and a glob plus a file. */
  char *pattern = join(dir, "*.csv"), *c = join(sub, "c.csv");
  const char *two[] = {pattern, c};
  cfg.paths = two;
  cfg.n_paths = 2;
  CHECK_OK(qv_plan_csv_scan(&cfg, NULL, &scan, &err), &err);
  CHECK_EQ_INT(qv__file_scan_num_pieces(scan, 0), 3);
  CHECK_OK(run_ids(scan, 0, 30, &r, &err), &err);
  CHECK(r.exactly_once);
  qv_exec_plan_unref(scan);
  free(pattern);
  free(c);
  free(sub);
  remove_dir(dir);
}

QV_TEST(file_scans_name_the_file_that_fails) {
  qv_error err = {0};
  char *dir = temp_dir();
  CHECK(dir);
  char *missing = join(dir, "nope.parquet"), *pattern = join(dir, "*.parquet");
  const char *paths[2] = {missing, NULL};
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = paths;
  cfg.n_paths = 1;
  qv_exec_plan *scan = NULL;
  CHECK_STATUS(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), QV_NOT_FOUND);
  CHECK(strstr(err.message, "nope.parquet"));
  paths[0] = pattern;
  CHECK_STATUS(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), QV_NOT_FOUND);
  CHECK(strstr(err.message, "no file matches") && strstr(err.message, "*.parquet"));
  /* An empty directory: no schema to infer; with a schema, no rows. */
  paths[0] = dir;
  CHECK_STATUS(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), QV_INVALID);
  qv_schema *s = ids_schema(true);
  cfg.file_schema = s;
  CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), &err);
  qv_status st;
  CHECK_EQ_INT(count_rows(scan, &st, &err), 0);
  CHECK_OK(st, &err);
  qv_exec_plan_unref(scan);
  cfg.file_schema = NULL;
  /* Not a Parquet file: as the first file when the schema is read ... */
  CHECK(write_text(dir, "bad.parquet", "this is not parquet at all"));
  char *bad = join(dir, "bad.parquet");
  paths[0] = bad;
  CHECK_STATUS(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), QV_INVALID);
  CHECK(strstr(err.message, "bad.parquet") && strstr(err.message, "not a Parquet file"));
  /* ... and as a later file, when the partition reads it. */
  paths[0] = PQ_DIR "alltypes_plain.parquet";
  paths[1] = bad;
  cfg.n_paths = 2;
  CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), &err);
  count_rows(scan, &st, &err);
  CHECK_EQ_INT(st, QV_INVALID);
  CHECK(strstr(err.message, "ParquetScanExec") && strstr(err.message, "bad.parquet") &&
        strstr(err.message, "not a Parquet file"));
  qv_exec_plan_unref(scan);
  /* A corrupt page: the reader's message with row group, column and page. */
  paths[0] = PQ_DIR "datapage_v1-corrupt-checksum.parquet";
  cfg.n_paths = 1;
  CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), &err);
  count_rows(scan, &st, &err);
  CHECK_EQ_INT(st, QV_INVALID);
  CHECK(strstr(err.message, "datapage_v1-corrupt-checksum.parquet") && strstr(err.message, "column 'a' page 0"));
  qv_exec_plan_unref(scan);
  /* An IPC scan of something that is not an IPC file. */
  paths[0] = bad;
  CHECK_STATUS(qv_plan_ipc_scan(&cfg, NULL, &scan, &err), QV_INVALID);
  CHECK(strstr(err.message, "IpcScanExec") && strstr(err.message, "bad.parquet"));
  qv_schema_unref(s);
  free(bad);
  free(missing);
  free(pattern);
  remove_dir(dir);
}

QV_TEST(file_scan_cancellation_stops_reading) {
  qv_error err = {0};
  const char *path = PQ_DIR "alltypes_tiny_pages.parquet";
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = &path;
  cfg.n_paths = 1;
  cfg.batch_size = 100;
  qv_exec_plan *scan = NULL;
  CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), &err);
  qv_task_context *ctx = qv_test_context();
  qv_batch_stream *s = NULL;
  CHECK_OK(qv_exec_plan_execute(scan, 0, ctx, &s, &err), &err);
  qv_record_batch *b = NULL;
  CHECK_OK(qv_batch_stream_next(s, &b, &err), &err);
  CHECK(b && qv_record_batch_num_rows(b) <= 100);
  qv_record_batch_unref(b);
  qv_task_context_cancel(ctx);
  CHECK_STATUS(qv_batch_stream_next(s, &b, &err), QV_CANCELLED);
  qv_batch_stream_destroy(s);
  qv_task_context_unref(ctx);
  qv_exec_plan_unref(scan);
}

/* What the plan codec does: read a scan through scan_internal.h and rebuild
 * it with explicit pieces and partitions; the copy must be the same plan. */
QV_TEST(file_scan_rebuilds_exactly_from_its_accessors) {
  qv_error err = {0};
  const char *paths[] = {PQ_DIR "floating_orders_nan_count.parquet"};
  qv_parquet_reader *r = NULL;
  CHECK_OK(qv_parquet_reader_open(paths[0], NULL, &r, &err), &err);
  qv_schema *s = qv_schema_ref(qv_parquet_reader_schema(r));
  qv_parquet_reader_destroy(r);
  qv_expr *pred = NULL;
  CHECK_OK(compare_expr(s, "double_ieee754", QV_OP_LT, 1.0, &pred, &err), &err);
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = paths;
  cfg.n_paths = 1;
  cfg.target_partitions = 4;
  cfg.min_split_bytes = 1;
  cfg.predicate = pred;
  int32_t proj[] = {3, 1};
  cfg.projection = proj;
  cfg.n_projection = 2;
  cfg.batch_size = 5;
  qv_exec_plan *a = NULL, *b = NULL;
  CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &a, &err), &err);
  CHECK(qv__is_file_scan(a));
  CHECK_EQ_INT(qv__file_scan_format(a), QV_FILE_FORMAT_PARQUET);
  CHECK(qv__parquet_scan_options(a) != NULL && qv__csv_scan_options(a) == NULL);
  int32_t parts = qv_exec_plan_num_partitions(a), n = 0;
  const char *piece_paths[64];
  int64_t begins[64], ends[64];
  int32_t part_of[64];
  for (int32_t p = 0; p < parts; p++)
    for (int32_t i = 0; i < qv__file_scan_num_pieces(a, p) && n < 64; i++, n++) {
      qv__file_scan_piece(a, p, i, &piece_paths[n], &begins[n], &ends[n]);
      if (begins[n] == 0 && ends[n] == qv__file_scan_piece_file_size(a, p, i)) ends[n] = -1;
      part_of[n] = p;
    }
  qv_file_scan_config copy;
  qv_file_scan_config_init(&copy);
  copy.paths = piece_paths;
  copy.n_paths = n;
  copy.range_begin = begins;
  copy.range_end = ends;
  copy.partitions = part_of;
  copy.target_partitions = parts;
  copy.file_schema = qv__file_scan_file_schema(a);
  copy.projection = qv__file_scan_projection(a);
  copy.n_projection = qv__file_scan_num_projection(a);
  copy.predicate = qv__file_scan_predicate(a);
  copy.batch_size = qv__file_scan_batch_size(a);
  CHECK_OK(qv_plan_parquet_scan(&copy, qv__parquet_scan_options(a), &b, &err), &err);
  char *ta = NULL, *tb = NULL;
  CHECK_OK(qv_exec_plan_explain(a, &ta, &err), &err);
  CHECK_OK(qv_exec_plan_explain(b, &tb, &err), &err);
  CHECK_STR_EQ(ta, tb);
  free(ta);
  free(tb);
  id_result ra, rb;
  CHECK_OK(run_ids(a, -1, 0, &ra, &err), &err);
  CHECK_OK(run_ids(b, -1, 0, &rb, &err), &err);
  CHECK_EQ_INT(ra.rows, 5 + 4 + 0 + 4 + 10); /* x < 1 in each row group */
  CHECK_EQ_INT(rb.rows, ra.rows);
  CHECK(ra.max_batch <= 5);
  qv_exec_plan_unref(a);
  qv_exec_plan_unref(b);
  qv_expr_unref(pred);
  qv_schema_unref(s);
}

/* Every allocation of the query pool failing in turn: each run ends in a
 * clean error or in the full result, and frees everything (ASan checks). */
QV_TEST(file_scans_fail_cleanly_when_allocations_fail) {
  qv_error err = {0};
  char *dir = temp_dir();
  CHECK(dir);
  CHECK(write_csv(dir, "a.csv", 0, 300) && write_ipc(dir, "b.arrow", 0, 300, 100, true));
  const char *pq_path = PQ_DIR "sort_columns.parquet";
  char *csv_path = join(dir, "a.csv"), *ipc_path = join(dir, "b.arrow");
  for (int format = 0; format < 3; format++) {
    qv_file_scan_config cfg;
    qv_file_scan_config_init(&cfg);
    const char *path = format == 0 ? pq_path : format == 1 ? csv_path : ipc_path;
    cfg.paths = &path;
    cfg.n_paths = 1;
    cfg.target_partitions = 1;
    cfg.batch_size = 64;
    qv_schema *s = NULL;
    qv_exec_plan *scan = NULL;
    if (format == 0) CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), &err);
    else if (format == 1) CHECK_OK(qv_plan_csv_scan(&cfg, NULL, &scan, &err), &err);
    else CHECK_OK(qv_plan_ipc_scan(&cfg, NULL, &scan, &err), &err);
    s = qv__file_scan_file_schema(scan);
    qv_expr *pred = NULL;
    CHECK_OK(compare_expr(s, qv_field_name(qv_schema_field(s, 0)), QV_OP_GE, 1, &pred, &err), &err);
    cfg.predicate = pred;
    qv_exec_plan_unref(scan);
    if (format == 0) CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &scan, &err), &err);
    else if (format == 1) CHECK_OK(qv_plan_csv_scan(&cfg, NULL, &scan, &err), &err);
    else CHECK_OK(qv_plan_ipc_scan(&cfg, NULL, &scan, &err), &err);
    int64_t want = format == 0 ? 4 : 299;
    bool completed = false;
    for (int64_t n = 1; n < 400 && !completed; n++) {
      qv_task_context *ctx = qv_test_context();
      CHECK(ctx);
      qv_allocator_fail_after(qv_task_context_allocator(ctx), n);
      qv_record_batch **out = NULL;
      int64_t n_out = 0, rows = 0;
      qv_status st = qv_exec_plan_collect(scan, ctx, &out, &n_out, &err);
      if (st == QV_OK) {
        for (int64_t i = 0; i < n_out; i++) rows += qv_record_batch_num_rows(out[i]);
        qv_test_free_batches(out, n_out);
        CHECK_EQ_INT(rows, want);
        completed = true;
      } else if (st != QV_NOMEM && st != QV_RESOURCE_EXHAUSTED) {
        qv_test_fail(__FILE__, __LINE__, "format %d, failing allocation %lld: %s: %s", format, (long long)n,
                     qv_status_name(st), err.message);
      }
      qv_allocator_fail_after(qv_task_context_allocator(ctx), 0);
      qv_task_context_unref(ctx);
    }
    CHECK(completed);
    qv_expr_unref(pred);
    qv_exec_plan_unref(scan);
  }
  free(csv_path);
  free(ipc_path);
  remove_dir(dir);
}
