/* File scans through the codec: CSV, Arrow IPC and Parquet scans round-trip
 * with their pieces, projection, predicate and options (same EXPLAIN text,
 * rows and bytes); paths that are not plain files are refused. CSV and IPC
 * files are written to a fresh directory under /tmp; Parquet files come
 * from ../shared/testdata/parquet. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec_test_util.h"
#include "quiver.pb-c.h"
#include "quiver/csv.h"
#include "quiver/ipc.h"

static char *temp_dir(void) {
  char *d = strdup("/tmp/qv-codec-scan-XXXXXX");
  if (d && !mkdtemp(d)) {
    free(d);
    return NULL;
  }
  return d;
}

static bool write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return false;
  bool ok = fputs(text, f) >= 0;
  return fclose(f) == 0 && ok;
}

static void remove_tree(char *dir, const char *const *names, int n) {
  char path[512];
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
  rmdir(dir);
  free(dir);
}

static qv_schema *schema3(void) {
  qv_field *f[3] = {NULL, NULL, NULL};
  const char *names[] = {"k", "name", "price"};
  const qv_type_id ids[] = {QV_INT64, QV_UTF8, QV_FLOAT64};
  bool ok = true;
  for (int i = 0; i < 3; i++)
    ok &= qv_field_create(names[i], qv_type_primitive(ids[i]), true, NULL, &f[i], NULL) == QV_OK;
  qv_schema *s = NULL;
  if (!ok || qv_schema_create(f, 3, NULL, &s, NULL) != QV_OK) s = NULL;
  for (int i = 0; i < 3; i++) qv_field_unref(f[i]);
  return s;
}

QV_TEST(codec_scan_csv) {
  qv_error err;
  qv_error_init(&err);
  char *dir = temp_dir();
  CHECK(dir);
  static const char *const names[] = {"a.csv", "b.csv", "c.tbl"};
  char path[512];
  snprintf(path, sizeof path, "%s/a.csv", dir);
  CHECK(write_text(path, "k,name,price\n1,apple,0.5\n2,,1.25\n3,cherry,NA\n"));
  snprintf(path, sizeof path, "%s/b.csv", dir);
  CHECK(write_text(path, "k,name,price\n4,\"d,e\",2\n5,elder,NA\n"));
  snprintf(path, sizeof path, "%s/c.tbl", dir);
  CHECK(write_text(path, "7|g|3.5|\n8|NA|4|\n9|h|NA|\n"));

  /* A directory with an extension, two partitions, a projection and a
   * predicate, with NA as the null string. */
  const char *paths[] = {dir};
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = paths;
  cfg.n_paths = 1;
  cfg.extension = ".csv";
  cfg.target_partitions = 2;
  qv_schema *s = schema3();
  CHECK(s);
  cfg.file_schema = s;
  int32_t proj[] = {2, 0};
  cfg.projection = proj;
  cfg.n_projection = 2;
  qv_expr *k = NULL, *two = NULL, *pred = NULL;
  CHECK_OK(qv_expr_column(s, 0, &k, &err), &err);
  CHECK_OK(qv_expr_literal_int64(1, &two, &err), &err);
  CHECK_OK(qv_expr_binary(QV_OP_GT, k, two, &pred, &err), &err);
  cfg.predicate = pred;
  qv_csv_read_options opts;
  qv_csv_read_options_init(&opts);
  opts.null_string = "NA";
  qv_exec_plan *p = NULL;
  CHECK_OK(qv_plan_csv_scan(&cfg, &opts, &p, &err), &err);
  CHECK(ct_round_trip(p));

  /* A .tbl file with pipes, no header, a trailing delimiter. */
  snprintf(path, sizeof path, "%s/c.tbl", dir);
  const char *tbl[] = {path};
  qv_file_scan_config_init(&cfg);
  cfg.paths = tbl;
  cfg.n_paths = 1;
  cfg.file_schema = s;
  cfg.batch_size = 2;
  qv_csv_read_options_init_tbl(&opts);
  opts.null_string = "NA";
  CHECK_OK(qv_plan_csv_scan(&cfg, &opts, &p, &err), &err);
  CHECK(ct_round_trip(p));

  qv_expr_unref(k);
  qv_expr_unref(two);
  qv_expr_unref(pred);
  qv_schema_unref(s);
  remove_tree(dir, names, 3);
}

QV_TEST(codec_scan_ipc) {
  qv_error err;
  qv_error_init(&err);
  char *dir = temp_dir();
  CHECK(dir);
  static const char *const names[] = {"t.arrow"};
  char path[512];
  snprintf(path, sizeof path, "%s/t.arrow", dir);
  FILE *f = fopen(path, "wb");
  CHECK(f);
  qv_schema *s = ct_schema();
  qv_ipc_file_writer *w = NULL;
  CHECK_OK(qv_ipc_file_writer_create(s, NULL, qv_ipc_sink_file(f), &w, &err), &err);
  for (int i = 0; i < 3; i++) {
    qv_record_batch *b = ct_batch(i * 10, 10);
    CHECK_OK(qv_ipc_file_writer_write(w, b, &err), &err);
    qv_record_batch_unref(b);
  }
  CHECK_OK(qv_ipc_file_writer_close(w, &err), &err);
  qv_ipc_file_writer_destroy(w);
  fclose(f);
  const char *paths[] = {path};
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = paths;
  cfg.n_paths = 1;
  cfg.target_partitions = 1;
  qv_exec_plan *p = NULL;
  CHECK_OK(qv_plan_ipc_scan(&cfg, NULL, &p, &err), &err);
  CHECK(ct_round_trip(p));
  qv_schema_unref(s);
  remove_tree(dir, names, 1);
}

QV_TEST(codec_scan_parquet) {
  qv_error err;
  qv_error_init(&err);
  const char *paths[] = {QV_TESTDATA_DIR "/parquet/alltypes_plain.parquet",
                         QV_TESTDATA_DIR "/parquet/alltypes_plain.snappy.parquet"};
  if (access(paths[0], R_OK) != 0) return; /* no shared test data here */
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = paths;
  cfg.n_paths = 2;
  cfg.target_partitions = 2;
  qv_exec_plan *all = NULL, *p = NULL;
  CHECK_OK(qv_plan_parquet_scan(&cfg, NULL, &all, &err), &err);
  /* Project two columns and filter on a third, by name. */
  qv_schema *fs = qv_exec_plan_schema(all);
  int32_t id = qv_schema_field_index(fs, "id"), bools = qv_schema_field_index(fs, "bool_col"),
          str = qv_schema_field_index(fs, "string_col");
  CHECK(id >= 0 && bools >= 0 && str >= 0);
  int32_t proj[] = {id, str};
  cfg.projection = proj;
  cfg.n_projection = 2;
  qv_expr *col = NULL;
  CHECK_OK(qv_expr_column(fs, bools, &col, &err), &err);
  cfg.predicate = col;
  cfg.file_schema = fs;
  qv_parquet_read_options opts;
  qv_parquet_read_options_init(&opts);
  opts.verify_checksums = false;
  CHECK_OK(qv_plan_parquet_scan(&cfg, &opts, &p, &err), &err);
  CHECK(ct_round_trip(p));
  CHECK(ct_round_trip(all));
  qv_expr_unref(col);
}

/* Paths that are not plain files, and bad ranges, are refused. */
QV_TEST(codec_scan_rejects_paths) {
  qv_error err;
  qv_error_init(&err);
  char *dir = temp_dir();
  CHECK(dir);
  static const char *const names[] = {"a.csv"};
  char path[512];
  snprintf(path, sizeof path, "%s/a.csv", dir);
  CHECK(write_text(path, "k,name,price\n1,a,2\n"));
  const char *paths[] = {path};
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = paths;
  cfg.n_paths = 1;
  cfg.target_partitions = 1;
  qv_exec_plan *p = NULL;
  CHECK_OK(qv_plan_csv_scan(&cfg, NULL, &p, &err), &err);
  int64_t len = 0;
  uint8_t *bytes = ct_encode(p, NULL, &len);
  qv_exec_plan_unref(p);
  CHECK(bytes);
  Quiver__PhysicalPlan *m = quiver__physical_plan__unpack(NULL, (size_t)len, bytes);
  free(bytes);
  CHECK(m && m->plan_case == QUIVER__PHYSICAL_PLAN__PLAN_FILE_SCAN);
  Quiver__FilePiece *piece = m->file_scan->partitions[0]->pieces[0];
  ProtobufCBinaryData good = piece->path;
  struct {
    const char *path;
    int64_t begin, end;
    const char *want;
  } cases[] = {
      {"/tmp/*", 0, 1, "plan: CsvScanExec partition 0 piece 0: '/tmp/*' is not the path of a file"},
      {"", 0, 1, "is not the path of a file"},
      {"/", 0, 1, "CsvScanExec"},
      {"/nonexistent/qv-codec-file.csv", 0, 1, "/nonexistent/qv-codec-file.csv"},
      {NULL, 5, 2, "bad byte range [5, 2)"},
      {NULL, 0, 1 << 30, "CsvScanExec"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (cases[i].path) {
      piece->path.data = (uint8_t *)cases[i].path;
      piece->path.len = strlen(cases[i].path);
    } else {
      piece->path = good;
    }
    int64_t b0 = piece->begin, e0 = piece->end;
    piece->begin = cases[i].begin;
    piece->end = cases[i].end;
    size_t size = quiver__physical_plan__get_packed_size(m);
    uint8_t *buf = malloc(size);
    quiver__physical_plan__pack(m, buf);
    qv_exec_plan *back = NULL;
    qv_status st = qv_plan_decode(buf, (int64_t)size, NULL, &back, &err);
    free(buf);
    piece->path = good;
    piece->begin = b0;
    piece->end = e0;
    qv_exec_plan_unref(back);
    if (st != QV_INVALID || !strstr(err.message, cases[i].want))
      qv_test_fail(__FILE__, __LINE__, "case %zu: got %s: %s", i, qv_status_name(st), err.message);
  }
  /* A NUL inside a path. */
  static const uint8_t nul_path[] = {'/', 't', 0, 'x'};
  piece->path.data = (uint8_t *)nul_path;
  piece->path.len = sizeof nul_path;
  size_t size = quiver__physical_plan__get_packed_size(m);
  uint8_t *buf = malloc(size);
  quiver__physical_plan__pack(m, buf);
  piece->path = good;
  qv_exec_plan *back = NULL;
  CHECK_STATUS(qv_plan_decode(buf, (int64_t)size, NULL, &back, &err), QV_INVALID);
  CHECK(strstr(err.message, "file path holds a NUL byte"));
  free(buf);
  quiver__physical_plan__free_unpacked(m, NULL);
  remove_tree(dir, names, 1);
}

/* A file split into byte ranges read by several partitions: the same pieces
 * come back, and the same rows. */
QV_TEST(codec_scan_split_file) {
  qv_error err;
  qv_error_init(&err);
  char *dir = temp_dir();
  CHECK(dir);
  static const char *const names[] = {"big.csv"};
  char path[512];
  snprintf(path, sizeof path, "%s/big.csv", dir);
  FILE *f = fopen(path, "w");
  CHECK(f);
  fputs("k,name,price\n", f);
  for (int i = 0; i < 500; i++) fprintf(f, "%d,n%d,%d.5\n", i, i % 7, i);
  fclose(f);
  const char *paths[] = {path};
  qv_file_scan_config cfg;
  qv_file_scan_config_init(&cfg);
  cfg.paths = paths;
  cfg.n_paths = 1;
  cfg.target_partitions = 3;
  cfg.min_split_bytes = 100;
  qv_csv_read_options opts;
  qv_csv_read_options_init(&opts);
  opts.newlines_in_values = false;
  qv_exec_plan *p = NULL;
  CHECK_OK(qv_plan_csv_scan(&cfg, &opts, &p, &err), &err);
  CHECK_EQ_INT(qv_exec_plan_num_partitions(p), 3);
  ct_ignore_file_count = true;
  bool ok = ct_round_trip(p);
  ct_ignore_file_count = false;
  remove_tree(dir, names, 1);
  CHECK(ok);
}
