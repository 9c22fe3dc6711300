/* bench/sort: SortExec and SortPreservingMergeExec throughput on N rows
 * (default 10 million) of two columns, a random key and a float64 payload:
 *   - a full sort by one int64 key (the normalised-key path),
 *   - a full sort by (int64, float64 DESC) (the row-format path),
 *   - TopK 100 by the int64 key,
 *   - a full sort by a utf8 key ("customer#000012345678"-like),
 *   - 8 partitions sorted each, then merged (SortPreservingMergeExec).
 * The baseline, measured in the same run, is libc qsort of the bare keys
 * (int64, or pointers to the strings) with no payload to move: the engine
 * sorts more (rows, not keys) and should still beat it.
 *
 * Usage: bench_sort [ROWS=10000000]
 * Prints one BENCH line per case (DESIGN.md §7); unit = million input rows
 * per second, efficiency = quiver / qsort. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quiver/plan.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const qv_error *err) {
  fprintf(stderr, "bench_sort: %s: %s\n", what, err->message);
  exit(1);
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

enum { KEY_INT64, KEY_UTF8 };

static int format_key(uint64_t r, char *buf) {
  return snprintf(buf, 32, "customer#%012llu", (unsigned long long)(r % 100000000));
}

/* A memory scan of `rows` rows in `parts` partitions of 8192-row batches:
 * "k" (int64 or utf8) and "v" (float64). */
static qv_exec_plan *make_scan(int64_t rows, int32_t parts, int key, qv_schema **schema) {
  qv_error err = {0};
  qv_field *f[2];
  if (qv_field_create("k", qv_type_primitive(key == KEY_UTF8 ? QV_UTF8 : QV_INT64), false, NULL, &f[0], &err) ||
      qv_field_create("v", qv_type_primitive(QV_FLOAT64), false, NULL, &f[1], &err) ||
      qv_schema_create(f, 2, NULL, schema, &err))
    die("schema", &err);
  int64_t per = rows / parts, n_batches = (per + 8191) / 8192;
  qv_record_batch ***batches = calloc((size_t)parts, sizeof *batches);
  int64_t *counts = calloc((size_t)parts, sizeof *counts);
  for (int32_t p = 0; p < parts; p++) {
    batches[p] = calloc((size_t)n_batches + 1, sizeof **batches);
    counts[p] = n_batches;
    for (int64_t b = 0; b < n_batches; b++) {
      int64_t n = b == n_batches - 1 ? per - b * 8192 : 8192;
      qv_array_builder kb, vb;
      qv_array *cols[2];
      if (qv_array_builder_init(&kb, NULL, qv_field_type(f[0]), &err) ||
          qv_array_builder_init(&vb, NULL, qv_field_type(f[1]), &err))
        die("builder", &err);
      for (int64_t i = 0; i < n; i++) {
        uint64_t r = next_rand();
        char buf[32];
        qv_status st = key == KEY_UTF8 ? qv_array_builder_append_binary(&kb, buf, format_key(r, buf), &err)
                                       : qv_array_builder_append_int(&kb, (int64_t)r, &err);
        if (st || qv_array_builder_append_double(&vb, (double)(r >> 11), &err)) die("append", &err);
      }
      if (qv_array_builder_finish(&kb, &cols[0], &err) || qv_array_builder_finish(&vb, &cols[1], &err) ||
          qv_record_batch_create(*schema, n, cols, 2, &batches[p][b], &err))
        die("batch", &err);
      qv_array_unref(cols[0]);
      qv_array_unref(cols[1]);
    }
  }
  qv_exec_plan *scan;
  if (qv_plan_memory_scan(*schema, (qv_record_batch *const *const *)batches, counts, parts, &scan, &err))
    die("scan", &err);
  for (int32_t p = 0; p < parts; p++) {
    for (int64_t b = 0; b < n_batches; b++) qv_record_batch_unref(batches[p][b]);
    free(batches[p]);
  }
  free(batches);
  free(counts);
  qv_field_unref(f[0]);
  qv_field_unref(f[1]);
  return scan;
}

/* Seconds to drain partition 0 of plan; checks the row count. */
static double run(qv_exec_plan *plan, qv_task_context *ctx, int64_t expect_rows) {
  qv_error err = {0};
  double t0 = now();
  qv_batch_stream *s;
  if (qv_exec_plan_execute(plan, 0, ctx, &s, &err)) die("execute", &err);
  int64_t rows = 0;
  for (;;) {
    qv_record_batch *b;
    if (qv_batch_stream_next(s, &b, &err)) die("next", &err);
    if (!b) break;
    rows += qv_record_batch_num_rows(b);
    qv_record_batch_unref(b);
  }
  qv_batch_stream_destroy(s);
  double t = now() - t0;
  if (rows != expect_rows) {
    fprintf(stderr, "bench_sort: %lld rows out, expected %lld\n", (long long)rows, (long long)expect_rows);
    exit(1);
  }
  return t;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Seconds for qsort of n bare keys like the scan's. */
static double qsort_baseline(int64_t n, int key) {
  uint64_t saved = rng_state;
  double t;
  if (key == KEY_INT64) {
    int64_t *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = (int64_t)next_rand();
    t = now();
    qsort(v, (size_t)n, sizeof *v, cmp_i64);
    t = now() - t;
    free(v);
  } else {
    char *text = malloc((size_t)n * 32);
    char **v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++) {
      v[i] = text + i * 32;
      format_key(next_rand(), v[i]);
    }
    t = now();
    qsort(v, (size_t)n, sizeof *v, cmp_str);
    t = now() - t;
    free(v);
    free(text);
  }
  rng_state = saved;
  return t;
}

static void report(const char *name, int64_t rows, double t, double base) {
  double q = (double)rows / t / 1e6, b = (double)rows / base / 1e6;
  printf("BENCH suite=sort case=%s unit=Mrows/s quiver=%.2f baseline=qsort:%.2f efficiency=%.3f\n", name, q, b,
         q / b);
  fflush(stdout);
}

int main(int argc, char **argv) {
  int64_t n = argc > 1 ? atoll(argv[1]) : 10000000;
  if (n < 8) n = 8;
  qv_error err = {0};
  qv_session_state *session;
  qv_task_context *ctx;
  if (qv_session_state_create_default(&session, &err) || qv_task_context_create(session, 0, 1, &ctx, &err))
    die("context", &err);
  for (int key = KEY_INT64; key <= KEY_UTF8; key++) {
    const char *kname = key == KEY_INT64 ? "int64" : "utf8";
    double base = qsort_baseline(n, key);
    qv_schema *s1, *s8;
    qv_exec_plan *scan1 = make_scan(n, 1, key, &s1), *scan8 = make_scan(n, 8, key, &s8);
    qv_sort_key keys[2] = {{NULL, false, false}, {NULL, true, false}};
    if (qv_expr_column(s1, 0, &keys[0].expr, &err) || qv_expr_column(s1, 1, &keys[1].expr, &err)) die("expr", &err);
    qv_exec_plan *sort = NULL, *sort2 = NULL, *topk = NULL, *per_part = NULL, *merge = NULL;
    if (qv_plan_sort(scan1, keys, 1, -1, false, &sort, &err) || qv_plan_sort(scan1, keys, 2, -1, false, &sort2, &err) ||
        qv_plan_sort(scan1, keys, 1, 100, false, &topk, &err) ||
        qv_plan_sort(scan8, keys, 1, -1, true, &per_part, &err) ||
        qv_plan_sort_preserving_merge(per_part, keys, 1, -1, &merge, &err))
      die("plan", &err);
    char name[64];
    int64_t rows8 = n / 8 * 8;
    snprintf(name, sizeof name, "sort_%s", kname);
    report(name, n, run(sort, ctx, n), base);
    snprintf(name, sizeof name, "sort_%s_f64desc", kname);
    report(name, n, run(sort2, ctx, n), base);
    snprintf(name, sizeof name, "topk100_%s", kname);
    report(name, n, run(topk, ctx, 100), base);
    snprintf(name, sizeof name, "sort8_merge_%s", kname);
    report(name, rows8, run(merge, ctx, rows8), base);
    qv_exec_plan_unref(merge);
    qv_exec_plan_unref(per_part);
    qv_exec_plan_unref(topk);
    qv_exec_plan_unref(sort2);
    qv_exec_plan_unref(sort);
    qv_expr_unref(keys[0].expr);
    qv_expr_unref(keys[1].expr);
    qv_exec_plan_unref(scan8);
    qv_exec_plan_unref(scan1);
    qv_schema_unref(s8);
    qv_schema_unref(s1);
  }
  qv_task_context_unref(ctx);
  qv_session_state_unref(session);
  return 0;
}
