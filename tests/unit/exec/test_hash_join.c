/* HashJoinExec: every join type in both partition modes against a
 * brute-force reference over random small tables (duplicate keys, NULL keys,
 * null_equals_null, empty sides, int / string / two-column keys, a residual
 * filter, many batches and partitions, tiny batch sizes so that probes
 * resume mid-batch); mark join NULL semantics table by table; key types;
 * the memory limit; EXPLAIN; plan validation; sequential and repeated
 * execution of partitions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/join_internal.h"
#include "exec_test_util.h"
#include "join_test_util.h"
#include "quiver/compute.h"
#include "quiver/expr.h"
#include "test.h"

static const qv_join_type ALL_TYPES[] = {QV_JOIN_INNER,      QV_JOIN_LEFT,       QV_JOIN_RIGHT,
                                         QV_JOIN_FULL,       QV_JOIN_LEFT_SEMI,  QV_JOIN_LEFT_ANTI,
                                         QV_JOIN_RIGHT_SEMI, QV_JOIN_RIGHT_ANTI, QV_JOIN_LEFT_MARK};
#define N_TYPES 9

/* One random case; returns false with a message on any difference. */
static bool random_case(uint64_t seed, qv_join_type type, qv_join_partition_mode mode, jt_keys keys, bool nulls_equal,
                        bool with_filter, char *msg, size_t msg_size) {
  uint64_t rng = seed * 7919 + (uint64_t)type * 131 + (uint64_t)mode * 17 + (uint64_t)keys * 5 + nulls_equal * 3 +
                 with_filter;
  jt_table l, r;
  int64_t nl = (int64_t)(jt_rand(&rng) % 25), nr = (int64_t)(jt_rand(&rng) % 25);
  if (jt_rand(&rng) % 8 == 0) nl = 0;
  if (jt_rand(&rng) % 8 == 0) nr = 0;
  int32_t domain = 1 + (int32_t)(jt_rand(&rng) % 6), nulls = (int32_t)(jt_rand(&rng) % 30);
  jt_table_random(&l, &rng, nl, domain, nulls, 0, "l_");
  jt_table_random(&r, &rng, nr, domain, nulls, 1000, "r_");
  if (mode == QV_JOIN_PARTITIONED) {
    int32_t parts = 1 + (int32_t)(jt_rand(&rng) % 3);
    jt_table_partition(&l, &rng, parts, true, keys);
    jt_table_partition(&r, &rng, parts, true, keys);
  } else {
    jt_table_partition(&l, &rng, 1 + (int32_t)(jt_rand(&rng) % 3), false, keys);
    jt_table_partition(&r, &rng, 1 + (int32_t)(jt_rand(&rng) % 3), false, keys);
  }
  int32_t max_batch = 1 + (int32_t)(jt_rand(&rng) % 6), batch_size = 1 + (int32_t)(jt_rand(&rng) % 8);
  qv_exec_plan *ls = jt_table_scan(&l, &rng, max_batch), *rs = jt_table_scan(&r, &rng, max_batch), *join = NULL;
  qv_expr *lk[2], *rk[2], *filter = with_filter ? jt_filter(l.schema, r.schema) : NULL;
  int32_t n_keys;
  jt_key_exprs(l.schema, keys, lk, &n_keys);
  jt_key_exprs(r.schema, keys, rk, &n_keys);
  qv_task_context *ctx = jt_context(batch_size, NULL);
  qv_error err = {0};
  bool ok = true;
  qv_status st = qv_plan_hash_join(ls, rs, lk, rk, n_keys, filter, type, mode, nulls_equal, &join, &err);
  if (st != QV_OK) {
    snprintf(msg, msg_size, "plan: %s", err.message);
    ok = false;
  }
  qv_record_batch **out = NULL;
  int64_t n_out = 0;
  if (ok && (st = qv_exec_plan_collect(join, ctx, &out, &n_out, &err)) != QV_OK) {
    snprintf(msg, msg_size, "collect: %s: %s", qv_status_name(st), err.message);
    ok = false;
  }
  for (int64_t i = 0; ok && i < n_out; i++) {
    int64_t rows = qv_record_batch_num_rows(out[i]);
    if (rows == 0 || rows > (batch_size > max_batch ? batch_size : max_batch)) {
      snprintf(msg, msg_size, "batch %lld has %lld rows (batch_size %d)", (long long)i, (long long)rows, batch_size);
      ok = false;
    }
    if (ok && !qv_schema_equals(qv_record_batch_schema(out[i]), qv_exec_plan_schema(join))) {
      snprintf(msg, msg_size, "batch %lld has another schema", (long long)i);
      ok = false;
    }
  }
  if (ok) {
    int64_t ne, na;
    char **expected = jt_reference(&l, &r, type, keys, JT_HASH, nulls_equal, with_filter, &ne);
    char **actual = jt_rows_of(out, n_out, &na);
    ok = jt_same_rows(expected, ne, actual, na, msg, msg_size);
  }
  if (out) qv_test_free_batches(out, n_out);
  for (int32_t i = 0; i < n_keys; i++) {
    qv_expr_unref(lk[i]);
    qv_expr_unref(rk[i]);
  }
  qv_expr_unref(filter);
  qv_exec_plan_unref(join);
  qv_exec_plan_unref(ls);
  qv_exec_plan_unref(rs);
  qv_task_context_unref(ctx);
  jt_table_reset(&l);
  jt_table_reset(&r);
  return ok;
}

static void run_random(qv_join_partition_mode mode, int seeds) {
  char msg[1024];
  for (int t = 0; t < N_TYPES; t++) {
    qv_join_type type = ALL_TYPES[t];
    for (int keys = 0; keys < 3; keys++)
      for (int ne = 0; ne < 2; ne++)
        for (int f = 0; f < 2; f++) {
          /* A partitioned mark join needs non-nullable keys or
           * null_equals_null (checked in its own test). */
          if (mode == QV_JOIN_PARTITIONED && type == QV_JOIN_LEFT_MARK && !ne) continue;
          for (int seed = 0; seed < seeds; seed++) {
            if (!random_case((uint64_t)seed, type, mode, (jt_keys)keys, ne, f, msg, sizeof msg)) {
              qv_test_fail(__FILE__, __LINE__, "%s join, mode %d, keys %d, null_equals_null %d, filter %d, seed %d: %s",
                           qv__join_type_name(type), (int)mode, keys, ne, f, seed, msg);
              return;
            }
          }
        }
  }
}

QV_TEST(hash_join_collect_left_matches_reference) { run_random(QV_JOIN_COLLECT_LEFT, 30); }

QV_TEST(hash_join_partitioned_matches_reference) { run_random(QV_JOIN_PARTITIONED, 30); }

/* ---- bigger tables ------------------------------------------------------------ */

QV_TEST(hash_join_larger_tables_match_reference) {
  /* Hundreds of rows, many partitions and default-sized batches: long chains
   * and many probe batches, checked against the reference. */
  char msg[1024];
  for (int t = 0; t < N_TYPES; t++) {
    for (int mode = 0; mode < 2; mode++) {
      uint64_t rng = 99 + (uint64_t)t * 10 + (uint64_t)mode;
      jt_table l, r;
      jt_table_random(&l, &rng, 700, 60, 5, 0, "l_");
      jt_table_random(&r, &rng, 900, 60, 5, 100000, "r_");
      bool by_hash = mode == QV_JOIN_PARTITIONED;
      jt_table_partition(&l, &rng, by_hash ? 4 : 3, by_hash, JT_KEY_BOTH);
      jt_table_partition(&r, &rng, 4, by_hash, JT_KEY_BOTH);
      qv_exec_plan *ls = jt_table_scan(&l, &rng, 64), *rs = jt_table_scan(&r, &rng, 64), *join = NULL;
      qv_expr *lk[2], *rk[2];
      int32_t nk;
      jt_key_exprs(l.schema, JT_KEY_BOTH, lk, &nk);
      jt_key_exprs(r.schema, JT_KEY_BOTH, rk, &nk);
      bool ne = ALL_TYPES[t] == QV_JOIN_LEFT_MARK && mode == QV_JOIN_PARTITIONED;
      qv_error err = {0};
      qv_task_context *ctx = jt_context(100, NULL);
      CHECK_OK(qv_plan_hash_join(ls, rs, lk, rk, nk, NULL, ALL_TYPES[t], (qv_join_partition_mode)mode, ne, &join, &err),
               &err);
      qv_record_batch **out;
      int64_t n, ne_rows, na;
      CHECK_OK(qv_exec_plan_collect(join, ctx, &out, &n, &err), &err);
      char **expected = jt_reference(&l, &r, ALL_TYPES[t], JT_KEY_BOTH, JT_HASH, ne, false, &ne_rows);
      char **actual = jt_rows_of(out, n, &na);
      bool same = jt_same_rows(expected, ne_rows, actual, na, msg, sizeof msg);
      if (!same) qv_test_fail(__FILE__, __LINE__, "%s mode %d: %s", qv__join_type_name(ALL_TYPES[t]), mode, msg);
      qv_test_free_batches(out, n);
      /* Every build side is gone once every partition finished. */
      int64_t left_over = qv_allocator_bytes_allocated(qv_task_context_allocator(ctx));
      for (int i = 0; i < nk; i++) {
        qv_expr_unref(lk[i]);
        qv_expr_unref(rk[i]);
      }
      qv_exec_plan_unref(join);
      qv_exec_plan_unref(ls);
      qv_exec_plan_unref(rs);
      qv_task_context_unref(ctx);
      jt_table_reset(&l);
      jt_table_reset(&r);
      if (!same) return;
      CHECK_EQ_INT(left_over, 0);
    }
  }
}

/* ---- single-column int64 tables --------------------------------------------------- */

/* A scan of one partition per entry of parts: column "k" int64 (INT64_MIN
 * stands for NULL) and "id" int64 numbered from first_id. */
static qv_exec_plan *int_scan(const int64_t *keys, int64_t n, int32_t parts, int64_t first_id, bool nullable) {
  qv_field *f[2];
  qv_schema *s;
  if (qv_field_create("k", qv_type_primitive(QV_INT64), nullable, NULL, &f[0], NULL)) return NULL;
  if (qv_field_create("id", qv_type_primitive(QV_INT64), false, NULL, &f[1], NULL)) return NULL;
  if (qv_schema_create(f, 2, NULL, &s, NULL)) return NULL;
  qv_field_unref(f[0]);
  qv_field_unref(f[1]);
  qv_record_batch ***all = calloc((size_t)parts, sizeof *all);
  int64_t *counts = calloc((size_t)parts, sizeof *counts);
  for (int32_t p = 0; p < parts; p++) {
    int64_t from = n * p / parts, to = n * (p + 1) / parts;
    qv_array_builder bk, bi;
    qv_array *cols[2];
    if (qv_array_builder_init(&bk, NULL, qv_type_primitive(QV_INT64), NULL)) return NULL;
    if (qv_array_builder_init(&bi, NULL, qv_type_primitive(QV_INT64), NULL)) return NULL;
    for (int64_t i = from; i < to; i++) {
      if ((keys[i] == INT64_MIN ? qv_array_builder_append_null(&bk, NULL)
                                : qv_array_builder_append_int(&bk, keys[i], NULL)) ||
          qv_array_builder_append_int(&bi, first_id + i, NULL))
        return NULL;
    }
    if (qv_array_builder_finish(&bk, &cols[0], NULL) || qv_array_builder_finish(&bi, &cols[1], NULL)) return NULL;
    all[p] = calloc(1, sizeof **all);
    if (qv_record_batch_create(s, to - from, cols, 2, &all[p][0], NULL)) return NULL;
    counts[p] = 1;
    qv_array_unref(cols[0]);
    qv_array_unref(cols[1]);
  }
  qv_exec_plan *plan = NULL;
  if (qv_plan_memory_scan(s, (qv_record_batch *const *const *)all, counts, parts, &plan, NULL)) plan = NULL;
  for (int32_t p = 0; p < parts; p++) {
    qv_record_batch_unref(all[p][0]);
    free(all[p]);
  }
  free(all);
  free(counts);
  qv_schema_unref(s);
  return plan;
}

#define NUL INT64_MIN

/* Joins k = k of two int scans; *out gets the batches. */
static qv_status int_join(qv_exec_plan *l, qv_exec_plan *r, qv_join_type type, qv_join_partition_mode mode, bool ne,
                          qv_task_context *ctx, qv_exec_plan **plan, qv_record_batch ***out, int64_t *n,
                          qv_error *err) {
  qv_expr *lk, *rk;
  if (qv_expr_column(qv_exec_plan_schema(l), 0, &lk, err) || qv_expr_column(qv_exec_plan_schema(r), 0, &rk, err))
    return QV_INTERNAL;
  qv_status st = qv_plan_hash_join(l, r, &lk, &rk, 1, NULL, type, mode, ne, plan, err);
  qv_expr_unref(lk);
  qv_expr_unref(rk);
  if (st == QV_OK && out) st = qv_exec_plan_collect(*plan, ctx, out, n, err);
  return st;
}

/* The mark of every left row, in id order, as "TFN" characters. */
static void marks_of(qv_record_batch **out, int64_t n, int64_t n_left, char *marks) {
  memset(marks, '?', (size_t)n_left);
  marks[n_left] = '\0';
  for (int64_t b = 0; b < n; b++) {
    qv_array *ids = qv_record_batch_column(out[b], 1), *m = qv_record_batch_column(out[b], 2);
    const int64_t *id = (const int64_t *)qv_buffer_data(qv_array_buffer(ids, 1)) + qv_array_offset(ids);
    const uint8_t *bits = qv_buffer_data(qv_array_buffer(m, 1));
    for (int64_t i = 0; i < qv_record_batch_num_rows(out[b]); i++) {
      if (id[i] < 0 || id[i] >= n_left) continue;
      marks[id[i]] = !qv_array_is_valid(m, i) ? 'N' : qv_bit_get(bits, qv_array_offset(m) + i) ? 'T' : 'F';
    }
  }
}

QV_TEST(hash_join_mark_null_semantics_table) {
  /* x IN (subquery) for each left x against a right set; NOT IN is NOT of
   * the mark. Left rows: 1, 3, NULL. */
  static const struct {
    int64_t right[4];
    int n_right;
    bool nulls_equal;
    const char *marks; /* for left 1, 3, NULL */
  } cases[] = {
      {{1, 2}, 2, false, "TFN"},          /* NULL IN (1,2) is NULL */
      {{1, NUL}, 2, false, "TNN"},        /* 3 IN (1,NULL) is NULL; 1 is found */
      {{NUL}, 1, false, "NNN"},           /* only a NULL: nothing is known */
      {{0}, 0, false, "FFF"},             /* empty subquery: false, even for NULL */
      {{3, 3, 3}, 3, false, "FTN"},       /* duplicates */
      {{2, 4}, 2, false, "FFN"},
      {{NUL, 1}, 2, true, "TFT"},         /* null_equals_null: NULL matches NULL */
      {{1, 2}, 2, true, "TFF"},
  };
  int64_t left[3] = {1, 3, NUL};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    for (int parts = 1; parts <= 3; parts += 2) {
      qv_error err = {0};
      qv_task_context *ctx = jt_context(2, NULL);
      qv_exec_plan *l = int_scan(left, 3, 2, 0, true);
      qv_exec_plan *r = int_scan(cases[c].right, cases[c].n_right, parts, 100, true);
      qv_exec_plan *join = NULL;
      qv_record_batch **out;
      int64_t n;
      bool ne = cases[c].nulls_equal;
      CHECK_OK(int_join(l, r, QV_JOIN_LEFT_MARK, QV_JOIN_COLLECT_LEFT, ne, ctx, &join, &out, &n, &err), &err);
      char marks[8];
      marks_of(out, n, 3, marks);
      if (strcmp(marks, cases[c].marks) != 0) {
        qv_test_fail(__FILE__, __LINE__, "case %zu (%d right partitions): marks %s, want %s", c, parts, marks,
                     cases[c].marks);
        return;
      }
      qv_field *mf = qv_schema_field(qv_exec_plan_schema(join), 2);
      CHECK_STR_EQ(qv_field_name(mf), "mark");
      CHECK(qv_field_nullable(mf));
      CHECK_EQ_INT(qv_type_id_of(qv_field_type(mf)), QV_BOOL);
      qv_test_free_batches(out, n);
      qv_exec_plan_unref(join);
      qv_exec_plan_unref(l);
      qv_exec_plan_unref(r);
      qv_task_context_unref(ctx);
    }
  }
}

QV_TEST(hash_join_partitioned_mark_needs_non_nullable_keys) {
  qv_error err = {0};
  int64_t keys[3] = {1, 2, 3};
  qv_exec_plan *nl = int_scan(keys, 3, 2, 0, true), *nr = int_scan(keys, 3, 2, 10, true);
  qv_exec_plan *l = int_scan(keys, 3, 2, 0, false), *r = int_scan(keys, 3, 2, 10, false), *join = NULL;
  CHECK_STATUS(int_join(nl, nr, QV_JOIN_LEFT_MARK, QV_JOIN_PARTITIONED, false, NULL, &join, NULL, NULL, &err),
               QV_NOT_IMPLEMENTED);
  CHECK(strstr(err.message, "CollectLeft") != NULL);
  /* Non-nullable keys, or null_equals_null, make marks local to a partition. */
  CHECK_OK(int_join(l, r, QV_JOIN_LEFT_MARK, QV_JOIN_PARTITIONED, false, NULL, &join, NULL, NULL, &err), &err);
  qv_exec_plan_unref(join);
  CHECK_OK(int_join(nl, nr, QV_JOIN_LEFT_MARK, QV_JOIN_PARTITIONED, true, NULL, &join, NULL, NULL, &err), &err);
  qv_exec_plan_unref(join);
  qv_exec_plan_unref(nl);
  qv_exec_plan_unref(nr);
  qv_exec_plan_unref(l);
  qv_exec_plan_unref(r);
}

QV_TEST(hash_join_many_duplicates_come_out_in_bounded_batches) {
  /* 3000 build rows share key 7; 50 probe rows have it: 150000 pairs, in
   * batches of at most 1000 rows, the probe resuming mid-batch. */
  int64_t *lk = malloc(3010 * sizeof *lk), rk[60];
  for (int i = 0; i < 3010; i++) lk[i] = i < 3000 ? 7 : 100 + i;
  for (int i = 0; i < 60; i++) rk[i] = i < 50 ? 7 : -i;
  for (int t = 0; t < N_TYPES; t++) {
    qv_error err = {0};
    qv_task_context *ctx = jt_context(1000, NULL);
    qv_exec_plan *l = int_scan(lk, 3010, 3, 0, false), *r = int_scan(rk, 60, 2, 10000, false), *join = NULL;
    qv_record_batch **out;
    int64_t n, rows = 0;
    CHECK_OK(int_join(l, r, ALL_TYPES[t], QV_JOIN_COLLECT_LEFT, false, ctx, &join, &out, &n, &err), &err);
    for (int64_t b = 0; b < n; b++) {
      CHECK(qv_record_batch_num_rows(out[b]) <= 1000);
      rows += qv_record_batch_num_rows(out[b]);
    }
    int64_t want[N_TYPES] = {150000, 150010, 150010, 150020, 3000, 10, 50, 10, 3010};
    if (rows != want[t]) {
      qv_test_fail(__FILE__, __LINE__, "%s: %lld rows, want %lld", qv__join_type_name(ALL_TYPES[t]), (long long)rows,
                   (long long)want[t]);
      return;
    }
    qv_test_free_batches(out, n);
    qv_exec_plan_unref(join);
    qv_exec_plan_unref(l);
    qv_exec_plan_unref(r);
    qv_task_context_unref(ctx);
  }
  free(lk);
}

QV_TEST(hash_join_empty_sides) {
  int64_t keys[4] = {1, 2, NUL, 2};
  /* rows of each type for (left empty, right empty) */
  static const int64_t want_left_empty[N_TYPES] = {0, 0, 4, 4, 0, 0, 0, 4, 0};
  static const int64_t want_right_empty[N_TYPES] = {0, 4, 0, 4, 0, 4, 0, 0, 4};
  for (int side = 0; side < 2; side++) {
    for (int t = 0; t < N_TYPES; t++) {
      for (int mode = 0; mode < 2; mode++) {
        qv_error err = {0};
        qv_task_context *ctx = jt_context(3, NULL);
        qv_exec_plan *l = int_scan(keys, side == 0 ? 0 : 4, 2, 0, true);
        qv_exec_plan *r = int_scan(keys, side == 1 ? 0 : 4, 2, 10, true), *join = NULL;
        qv_record_batch **out;
        int64_t n, rows = 0;
        bool ne = ALL_TYPES[t] == QV_JOIN_LEFT_MARK && mode == QV_JOIN_PARTITIONED;
        CHECK_OK(int_join(l, r, ALL_TYPES[t], (qv_join_partition_mode)mode, ne, ctx, &join, &out, &n, &err), &err);
        for (int64_t b = 0; b < n; b++) rows += qv_record_batch_num_rows(out[b]);
        int64_t want = side == 0 ? want_left_empty[t] : want_right_empty[t];
        if (rows != want) {
          qv_test_fail(__FILE__, __LINE__, "%s mode %d, %s side empty: %lld rows, want %lld",
                       qv__join_type_name(ALL_TYPES[t]), mode, side ? "right" : "left", (long long)rows,
                       (long long)want);
          return;
        }
        if (ALL_TYPES[t] == QV_JOIN_LEFT_MARK && side == 1) {
          char marks[8];
          marks_of(out, n, 4, marks);
          CHECK_STR_EQ(marks, "FFFF"); /* an empty subquery: false, NULL key or not */
        }
        qv_test_free_batches(out, n);
        qv_exec_plan_unref(join);
        qv_exec_plan_unref(l);
        qv_exec_plan_unref(r);
        qv_task_context_unref(ctx);
      }
    }
  }
}

/* ---- key types ----------------------------------------------------------------------- */

/* A one-partition scan of columns "k" (the given array) and "id" (first_id,
 * first_id+1, ...), in batches of two rows. */
static qv_exec_plan *typed_scan(qv_array *keys, int64_t first_id) {
  int64_t n = qv_array_length(keys);
  qv_field *f[2];
  qv_schema *s;
  if (qv_field_create("k", qv_array_type(keys), true, NULL, &f[0], NULL)) return NULL;
  if (qv_field_create("id", qv_type_primitive(QV_INT64), false, NULL, &f[1], NULL)) return NULL;
  if (qv_schema_create(f, 2, NULL, &s, NULL)) return NULL;
  qv_field_unref(f[0]);
  qv_field_unref(f[1]);
  qv_record_batch **batches = calloc((size_t)n / 2 + 2, sizeof *batches);
  int64_t nb = 0;
  for (int64_t at = 0; at < n; at += 2) {
    int64_t len = n - at < 2 ? n - at : 2;
    qv_array *cols[2];
    qv_array_builder b;
    if (qv_array_builder_init(&b, NULL, qv_type_primitive(QV_INT64), NULL)) return NULL;
    for (int64_t i = 0; i < len; i++)
      if (qv_array_builder_append_int(&b, first_id + at + i, NULL)) return NULL;
    if (qv_array_builder_finish(&b, &cols[1], NULL) || qv_array_slice(keys, at, len, &cols[0], NULL)) return NULL;
    if (qv_record_batch_create(s, len, cols, 2, &batches[nb++], NULL)) return NULL;
    qv_array_unref(cols[0]);
    qv_array_unref(cols[1]);
  }
  qv_record_batch **parts[1] = {batches};
  qv_exec_plan *plan = NULL;
  if (qv_plan_memory_scan(s, (qv_record_batch *const *const *)parts, &nb, 1, &plan, NULL)) plan = NULL;
  for (int64_t i = 0; i < nb; i++) qv_record_batch_unref(batches[i]);
  free(batches);
  qv_schema_unref(s);
  return plan;
}

/* Inner-joins the key arrays and checks the sorted "left id-right id" pairs
 * against want (a sorted, comma-separated list). */
static bool typed_join_gives(qv_array *lk, qv_array *rk, bool nulls_equal, const char *want, char *msg, size_t size) {
  qv_error err = {0};
  qv_task_context *ctx = jt_context(3, NULL);
  qv_exec_plan *l = typed_scan(lk, 0), *r = typed_scan(rk, 10), *join = NULL;
  qv_expr *le, *re;
  bool ok = false;
  if (qv_expr_column(qv_exec_plan_schema(l), 0, &le, &err) || qv_expr_column(qv_exec_plan_schema(r), 0, &re, &err)) {
    snprintf(msg, size, "expr: %s", err.message);
    return false;
  }
  qv_record_batch **out = NULL;
  int64_t n = 0;
  if (qv_plan_hash_join(l, r, &le, &re, 1, NULL, QV_JOIN_INNER, QV_JOIN_COLLECT_LEFT, nulls_equal, &join, &err) ||
      qv_exec_plan_collect(join, ctx, &out, &n, &err)) {
    snprintf(msg, size, "join: %s", err.message);
  } else {
    char **pairs = NULL;
    int64_t np = 0;
    for (int64_t b = 0; b < n; b++) {
      qv_array *li = qv_record_batch_column(out[b], 1), *ri = qv_record_batch_column(out[b], 3);
      const int64_t *lv = (const int64_t *)qv_buffer_data(qv_array_buffer(li, 1)) + qv_array_offset(li);
      const int64_t *rv = (const int64_t *)qv_buffer_data(qv_array_buffer(ri, 1)) + qv_array_offset(ri);
      for (int64_t i = 0; i < qv_record_batch_num_rows(out[b]); i++) {
        pairs = realloc(pairs, (size_t)(np + 1) * sizeof *pairs);
        pairs[np] = malloc(32);
        snprintf(pairs[np++], 32, "%lld-%lld", (long long)lv[i], (long long)rv[i]);
      }
    }
    char **expected = NULL;
    int64_t ne = 0;
    char *copy = strdup(want);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
      expected = realloc(expected, (size_t)(ne + 1) * sizeof *expected);
      expected[ne++] = strdup(tok);
    }
    free(copy);
    ok = jt_same_rows(expected, ne, pairs, np, msg, size);
  }
  if (out) qv_test_free_batches(out, n);
  qv_expr_unref(le);
  qv_expr_unref(re);
  qv_exec_plan_unref(join);
  qv_exec_plan_unref(l);
  qv_exec_plan_unref(r);
  qv_task_context_unref(ctx);
  return ok;
}

static qv_array *build_ints(qv_data_type *t, const int64_t *v, int n) {
  qv_array_builder b;
  qv_array *a = NULL;
  if (qv_array_builder_init(&b, NULL, t, NULL)) return NULL;
  for (int i = 0; i < n; i++)
    if (v[i] == NUL ? qv_array_builder_append_null(&b, NULL) : qv_array_builder_append_int(&b, v[i], NULL))
      return NULL;
  if (qv_array_builder_finish(&b, &a, NULL)) return NULL;
  return a;
}

static qv_array *build_strings(qv_type_id id, const char *const *v, int n) {
  qv_array_builder b;
  qv_array *a = NULL;
  if (qv_array_builder_init(&b, NULL, qv_type_primitive(id), NULL)) return NULL;
  for (int i = 0; i < n; i++)
    if (!v[i] ? qv_array_builder_append_null(&b, NULL)
              : qv_array_builder_append_binary(&b, v[i], (int64_t)strlen(v[i]), NULL))
      return NULL;
  if (qv_array_builder_finish(&b, &a, NULL)) return NULL;
  return a;
}

#define CHECK_JOIN(lk, rk, ne, want)                                                          \
  do {                                                                                        \
    char msg_[512];                                                                           \
    qv_array *lk_ = (lk), *rk_ = (rk);                                                        \
    bool ok_ = typed_join_gives(lk_, rk_, ne, want, msg_, sizeof msg_);                       \
    qv_array_unref(lk_);                                                                      \
    qv_array_unref(rk_);                                                                      \
    if (!ok_) {                                                                               \
      qv_test_fail(__FILE__, __LINE__, "%s", msg_);                                           \
      return;                                                                                 \
    }                                                                                         \
  } while (0)

QV_TEST(hash_join_key_types) {
  qv_data_type *t;
  /* int32, with NULLs that match only under null_equals_null */
  int64_t a[] = {1, 2, NUL, 2}, b[] = {2, NUL, 3, 1};
  CHECK_JOIN(build_ints(qv_type_primitive(QV_INT32), a, 4), build_ints(qv_type_primitive(QV_INT32), b, 4), false,
             "0-13,1-10,3-10");
  CHECK_JOIN(build_ints(qv_type_primitive(QV_INT32), a, 4), build_ints(qv_type_primitive(QV_INT32), b, 4), true,
             "0-13,1-10,2-11,3-10");
  /* date32 and timestamps */
  int64_t d1[] = {19000, 19001, 0}, d2[] = {0, 19001, 19001};
  CHECK_JOIN(build_ints(qv_type_primitive(QV_DATE32), d1, 3), build_ints(qv_type_primitive(QV_DATE32), d2, 3), false,
             "1-11,1-12,2-10");
  CHECK_OK(qv_type_timestamp(QV_MICRO, "UTC", &t, NULL), NULL);
  CHECK_JOIN(build_ints(t, d1, 3), build_ints(t, d2, 3), false, "1-11,1-12,2-10");
  qv_type_unref(t);
  /* int8 and uint16 widths */
  int64_t s1[] = {-1, 5, 127}, s2[] = {127, -1};
  CHECK_JOIN(build_ints(qv_type_primitive(QV_INT8), s1, 3), build_ints(qv_type_primitive(QV_INT8), s2, 2), false,
             "0-11,2-10");
  int64_t u1[] = {65535, 5}, u2[] = {5, 65535, 65535};
  CHECK_JOIN(build_ints(qv_type_primitive(QV_UINT16), u1, 2), build_ints(qv_type_primitive(QV_UINT16), u2, 3), false,
             "0-11,0-12,1-10");
  /* float64: -0.0 equals 0.0, NaN equals NaN */
  {
    qv_array_builder bl, br;
    qv_array *l, *r;
    double lv[] = {0.0, NAN, 1.5, 2.5}, rv[] = {-0.0, 1.5, -NAN, 3.5};
    CHECK_OK(qv_array_builder_init(&bl, NULL, qv_type_primitive(QV_FLOAT64), NULL), NULL);
    CHECK_OK(qv_array_builder_init(&br, NULL, qv_type_primitive(QV_FLOAT64), NULL), NULL);
    for (int i = 0; i < 4; i++) {
      CHECK_OK(qv_array_builder_append_double(&bl, lv[i], NULL), NULL);
      CHECK_OK(qv_array_builder_append_double(&br, rv[i], NULL), NULL);
    }
    CHECK_OK(qv_array_builder_append_null(&bl, NULL), NULL);
    CHECK_OK(qv_array_builder_finish(&bl, &l, NULL), NULL);
    CHECK_OK(qv_array_builder_finish(&br, &r, NULL), NULL);
    CHECK_JOIN(l, r, false, "0-10,1-12,2-11");
  }
  /* decimal128(20, 2), values beyond 64 bits */
  {
    CHECK_OK(qv_type_decimal(QV_DECIMAL128, 20, 2, &t, NULL), NULL);
    qv_array_builder bl, br;
    qv_array *l, *r;
    __int128 big = (__int128)1 << 70, lv[] = {big, -5, 12345}, rv[] = {12345, big, big + 1};
    CHECK_OK(qv_array_builder_init(&bl, NULL, t, NULL), NULL);
    CHECK_OK(qv_array_builder_init(&br, NULL, t, NULL), NULL);
    for (int i = 0; i < 3; i++) {
      CHECK_OK(qv_array_builder_append_fixed(&bl, &lv[i], NULL), NULL);
      CHECK_OK(qv_array_builder_append_fixed(&br, &rv[i], NULL), NULL);
    }
    CHECK_OK(qv_array_builder_finish(&bl, &l, NULL), NULL);
    CHECK_OK(qv_array_builder_finish(&br, &r, NULL), NULL);
    qv_type_unref(t);
    CHECK_JOIN(l, r, false, "0-11,2-10");
  }
  /* bool */
  {
    qv_array_builder bl, br;
    qv_array *l, *r;
    CHECK_OK(qv_array_builder_init(&bl, NULL, qv_type_primitive(QV_BOOL), NULL), NULL);
    CHECK_OK(qv_array_builder_init(&br, NULL, qv_type_primitive(QV_BOOL), NULL), NULL);
    CHECK_OK(qv_array_builder_append_bool(&bl, true, NULL), NULL);
    CHECK_OK(qv_array_builder_append_bool(&bl, false, NULL), NULL);
    CHECK_OK(qv_array_builder_append_bool(&br, false, NULL), NULL);
    CHECK_OK(qv_array_builder_append_null(&br, NULL), NULL);
    CHECK_OK(qv_array_builder_append_bool(&br, false, NULL), NULL);
    CHECK_OK(qv_array_builder_finish(&bl, &l, NULL), NULL);
    CHECK_OK(qv_array_builder_finish(&br, &r, NULL), NULL);
    CHECK_JOIN(l, r, false, "1-10,1-12");
  }
  /* strings: utf8 with utf8, utf8 with large_utf8, binary with embedded NULs */
  const char *x[] = {"apple", "", "pear", NULL, "apple"}, *y[] = {"pear", "apple", "", "app", NULL};
  CHECK_JOIN(build_strings(QV_UTF8, x, 5), build_strings(QV_UTF8, y, 5), false, "0-11,1-12,2-10,4-11");
  CHECK_JOIN(build_strings(QV_UTF8, x, 5), build_strings(QV_LARGE_UTF8, y, 5), false, "0-11,1-12,2-10,4-11");
  CHECK_JOIN(build_strings(QV_LARGE_UTF8, x, 5), build_strings(QV_UTF8, y, 5), true, "0-11,1-12,2-10,3-14,4-11");
  {
    qv_array_builder bl, br;
    qv_array *l, *r;
    CHECK_OK(qv_array_builder_init(&bl, NULL, qv_type_primitive(QV_BINARY), NULL), NULL);
    CHECK_OK(qv_array_builder_init(&br, NULL, qv_type_primitive(QV_BINARY), NULL), NULL);
    CHECK_OK(qv_array_builder_append_binary(&bl, "a\0b", 3, NULL), NULL);
    CHECK_OK(qv_array_builder_append_binary(&bl, "a\0c", 3, NULL), NULL);
    CHECK_OK(qv_array_builder_append_binary(&br, "a\0c", 3, NULL), NULL);
    CHECK_OK(qv_array_builder_append_binary(&br, "a", 1, NULL), NULL);
    CHECK_OK(qv_array_builder_finish(&bl, &l, NULL), NULL);
    CHECK_OK(qv_array_builder_finish(&br, &r, NULL), NULL);
    CHECK_JOIN(l, r, false, "1-10");
  }
  /* dictionary(int32 -> utf8) against plain utf8, and against another
   * dictionary with a different value order */
  {
    const char *vals[] = {"b", "a", "c"}, *vals2[] = {"c", "a"};
    int64_t idx[] = {0, 1, NUL, 2, 1}, idx2[] = {1, 0, 1};
    qv_array *dv = build_strings(QV_UTF8, vals, 3), *dv2 = build_strings(QV_UTF8, vals2, 2);
    qv_array *ia = build_ints(qv_type_primitive(QV_INT32), idx, 5);
    qv_array *ib = build_ints(qv_type_primitive(QV_INT32), idx2, 3);
    CHECK_OK(qv_type_dictionary(qv_type_primitive(QV_INT32), qv_type_primitive(QV_UTF8), false, &t, NULL), NULL);
    qv_buffer *bufs[2] = {qv_array_buffer(ia, 0), qv_array_buffer(ia, 1)}, *bufs2[2] = {NULL, qv_array_buffer(ib, 1)};
    qv_array *l, *r, *l2;
    CHECK_OK(qv_array_create(t, 5, 0, -1, bufs, 2, NULL, 0, dv, &l, NULL), NULL);
    CHECK_OK(qv_array_create(t, 5, 0, -1, bufs, 2, NULL, 0, dv, &l2, NULL), NULL);
    CHECK_OK(qv_array_create(t, 3, 0, 0, bufs2, 2, NULL, 0, dv2, &r, NULL), NULL);
    const char *plain[] = {"a", "c", "zz"};
    CHECK_JOIN(l, build_strings(QV_UTF8, plain, 3), false, "1-10,3-11,4-10");
    CHECK_JOIN(l2, r, false, "1-10,1-12,3-11,4-10,4-12");
    qv_type_unref(t);
    qv_array_unref(dv);
    qv_array_unref(dv2);
    qv_array_unref(ia);
    qv_array_unref(ib);
  }
}

QV_TEST(hash_join_rejects_bad_plans) {
  qv_error err = {0};
  int64_t keys[2] = {1, 2};
  qv_exec_plan *l = int_scan(keys, 2, 2, 0, true), *r = int_scan(keys, 2, 3, 10, true), *join = NULL;
  qv_expr *lk, *rk, *rid;
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(l), 0, &lk, &err), &err);
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(r), 0, &rk, &err), &err);
  const char *s[] = {"a"};
  qv_array *str = build_strings(QV_UTF8, s, 1);
  qv_expr *lit;
  CHECK_OK(qv_expr_literal(str, &lit, &err), &err);
  qv_array_unref(str);
  CHECK_STATUS(qv_plan_hash_join(l, r, &lk, &lit, 1, NULL, QV_JOIN_INNER, QV_JOIN_COLLECT_LEFT, false, &join, &err),
               QV_TYPE_ERROR);
  CHECK(strstr(err.message, "HashJoinExec: key 0 compares int64 with utf8") != NULL);
  CHECK_STATUS(qv_plan_hash_join(l, r, &lk, &rk, 0, NULL, QV_JOIN_INNER, QV_JOIN_COLLECT_LEFT, false, &join, &err),
               QV_INVALID);
  CHECK_STATUS(qv_plan_hash_join(l, r, &lk, &rk, 1, NULL, QV_JOIN_INNER, QV_JOIN_PARTITIONED, false, &join, &err),
               QV_INVALID);
  CHECK(strstr(err.message, "as many left partitions (2) as right (3)") != NULL);
  CHECK_STATUS(qv_plan_hash_join(l, r, &lk, &rk, 1, NULL, (qv_join_type)42, QV_JOIN_COLLECT_LEFT, false, &join, &err),
               QV_INVALID);
  /* A filter must be boolean. */
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(r), 1, &rid, &err), &err);
  CHECK_STATUS(qv_plan_hash_join(l, r, &lk, &rk, 1, rid, QV_JOIN_INNER, QV_JOIN_COLLECT_LEFT, false, &join, &err),
               QV_TYPE_ERROR);
  CHECK(join == NULL);
  qv_expr_unref(lk);
  qv_expr_unref(rk);
  qv_expr_unref(rid);
  qv_expr_unref(lit);
  qv_exec_plan_unref(l);
  qv_exec_plan_unref(r);
}

/* ---- memory, EXPLAIN, execution patterns ---------------------------------------------- */

QV_TEST(hash_join_memory_limit_fails_the_build) {
  int64_t n = 200000;
  int64_t *keys = malloc((size_t)n * sizeof *keys);
  for (int64_t i = 0; i < n; i++) keys[i] = i;
  for (int mode = 0; mode < 2; mode++) {
    qv_error err = {0};
    qv_task_context *ctx = jt_context(8192, "256k");
    qv_exec_plan *l = int_scan(keys, n, 2, 0, false), *r = int_scan(keys, 10, 2, 0, false), *join = NULL;
    qv_record_batch **out = NULL;
    int64_t nb = 0;
    CHECK_STATUS(int_join(l, r, QV_JOIN_INNER, (qv_join_partition_mode)mode, false, ctx, &join, &out, &nb, &err),
                 QV_RESOURCE_EXHAUSTED);
    if (!strstr(err.message, "HashJoinExec: memory limit of 262144 bytes exceeded while building")) {
      qv_test_fail(__FILE__, __LINE__, "message: %s", err.message);
      return;
    }
    CHECK(out == NULL);
    /* What the failed build held is back in the pool. */
    CHECK_EQ_INT(qv_allocator_bytes_allocated(qv_task_context_allocator(ctx)), 0);
    qv_exec_plan_unref(join);
    qv_exec_plan_unref(l);
    qv_exec_plan_unref(r);
    qv_task_context_unref(ctx);
  }
  /* The same join fits in 16 MB. */
  qv_error err = {0};
  qv_task_context *ctx = jt_context(8192, "16m");
  qv_exec_plan *l = int_scan(keys, n, 2, 0, false), *r = int_scan(keys, 10, 2, 0, false), *join = NULL;
  qv_record_batch **out = NULL;
  int64_t nb = 0, rows = 0;
  CHECK_OK(int_join(l, r, QV_JOIN_INNER, QV_JOIN_COLLECT_LEFT, false, ctx, &join, &out, &nb, &err), &err);
  for (int64_t b = 0; b < nb; b++) rows += qv_record_batch_num_rows(out[b]);
  CHECK_EQ_INT(rows, 10);
  qv_test_free_batches(out, nb);
  qv_exec_plan_unref(join);
  qv_exec_plan_unref(l);
  qv_exec_plan_unref(r);
  qv_task_context_unref(ctx);
  free(keys);
}

QV_TEST(hash_join_explain) {
  qv_error err = {0};
  jt_table l, r;
  uint64_t rng = 1;
  jt_table_random(&l, &rng, 3, 3, 0, 0, "l_");
  jt_table_random(&r, &rng, 3, 3, 0, 0, "o_");
  qv_exec_plan *ls = jt_table_scan(&l, &rng, 2), *rs = jt_table_scan(&r, &rng, 2), *join;
  qv_expr *lk[2], *rk[2], *filter = jt_filter(l.schema, r.schema);
  int32_t nk;
  jt_key_exprs(l.schema, JT_KEY_BOTH, lk, &nk);
  jt_key_exprs(r.schema, JT_KEY_BOTH, rk, &nk);
  CHECK_OK(qv_plan_hash_join(ls, rs, lk, rk, nk, NULL, QV_JOIN_INNER, QV_JOIN_COLLECT_LEFT, false, &join, &err), &err);
  char *text;
  CHECK_OK(qv_exec_plan_explain(join, &text, &err), &err);
  CHECK(strncmp(text, "HashJoinExec: mode=CollectLeft, join_type=Inner, on=[(l_k1, o_k1), (l_k2, o_k2)]\n",
                strlen("HashJoinExec: mode=CollectLeft, join_type=Inner, on=[(l_k1, o_k1), (l_k2, o_k2)]\n")) == 0);
  free(text);
  qv_exec_plan_unref(join);
  CHECK_OK(qv_plan_hash_join(ls, rs, lk, rk, 1, filter, QV_JOIN_LEFT_MARK, QV_JOIN_PARTITIONED, true, &join, &err),
           &err);
  CHECK_OK(qv_exec_plan_explain(join, &text, &err), &err);
  const char *want =
      "HashJoinExec: mode=Partitioned, join_type=LeftMark, on=[(l_k1, o_k1)], filter=l_f < o_f, null_equals_null=true\n";
  CHECK(strncmp(text, want, strlen(want)) == 0);
  free(text);
  qv_exec_plan_unref(join);
  for (int i = 0; i < nk; i++) {
    qv_expr_unref(lk[i]);
    qv_expr_unref(rk[i]);
  }
  qv_expr_unref(filter);
  qv_exec_plan_unref(ls);
  qv_exec_plan_unref(rs);
  jt_table_reset(&l);
  jt_table_reset(&r);
}

/* Runs every partition of plan one after another on this thread. */
static qv_status collect_sequential(qv_exec_plan *plan, qv_task_context *ctx, qv_record_batch ***out, int64_t *n,
                                    qv_error *err) {
  *out = NULL;
  *n = 0;
  for (int32_t p = 0; p < qv_exec_plan_num_partitions(plan); p++) {
    qv_batch_stream *s;
    QV_RETURN_NOT_OK(qv_exec_plan_execute(plan, p, ctx, &s, err));
    for (;;) {
      qv_record_batch *b;
      qv_status st = qv_batch_stream_next(s, &b, err);
      if (st != QV_OK) {
        qv_batch_stream_destroy(s);
        return st;
      }
      if (!b) break;
      *out = realloc(*out, (size_t)(*n + 1) * sizeof **out);
      (*out)[(*n)++] = b;
    }
    qv_batch_stream_destroy(s);
  }
  return QV_OK;
}

QV_TEST(hash_join_collect_left_partitions_run_one_after_another) {
  /* A consumer that runs partitions one at a time (and twice, in one
   * context): the build is shared, and unmatched left rows come out once,
   * from the last partition, every time. */
  char msg[1024];
  for (int t = 0; t < N_TYPES; t++) {
    uint64_t rng = 5 + (uint64_t)t;
    jt_table l, r;
    jt_table_random(&l, &rng, 40, 8, 10, 0, "l_");
    jt_table_random(&r, &rng, 40, 8, 10, 1000, "r_");
    jt_table_partition(&l, &rng, 3, false, JT_KEY_INT);
    jt_table_partition(&r, &rng, 4, false, JT_KEY_INT);
    qv_exec_plan *ls = jt_table_scan(&l, &rng, 5), *rs = jt_table_scan(&r, &rng, 5), *join;
    qv_expr *lk[2], *rk[2], *filter = jt_filter(l.schema, r.schema);
    int32_t nk;
    jt_key_exprs(l.schema, JT_KEY_INT, lk, &nk);
    jt_key_exprs(r.schema, JT_KEY_INT, rk, &nk);
    qv_error err = {0};
    qv_task_context *ctx = jt_context(4, NULL);
    CHECK_OK(qv_plan_hash_join(ls, rs, lk, rk, nk, filter, ALL_TYPES[t], QV_JOIN_COLLECT_LEFT, false, &join, &err),
             &err);
    for (int round = 0; round < 2; round++) {
      qv_record_batch **out;
      int64_t n, ne, na;
      CHECK_OK(collect_sequential(join, ctx, &out, &n, &err), &err);
      char **expected = jt_reference(&l, &r, ALL_TYPES[t], JT_KEY_INT, JT_HASH, false, true, &ne);
      char **actual = jt_rows_of(out, n, &na);
      if (!jt_same_rows(expected, ne, actual, na, msg, sizeof msg)) {
        qv_test_fail(__FILE__, __LINE__, "%s round %d: %s", qv__join_type_name(ALL_TYPES[t]), round, msg);
        return;
      }
      qv_test_free_batches(out, n);
    }
    for (int i = 0; i < nk; i++) {
      qv_expr_unref(lk[i]);
      qv_expr_unref(rk[i]);
    }
    qv_expr_unref(filter);
    qv_exec_plan_unref(join);
    qv_exec_plan_unref(ls);
    qv_exec_plan_unref(rs);
    qv_task_context_unref(ctx);
    jt_table_reset(&l);
    jt_table_reset(&r);
  }
}

QV_TEST(hash_join_stream_destroyed_mid_probe) {
  /* A consumer that stops early (a satisfied LIMIT): the other partitions
   * never run, the build side and every producer go with the streams. */
  int64_t n = 5000;
  int64_t *keys = malloc((size_t)n * sizeof *keys);
  for (int64_t i = 0; i < n; i++) keys[i] = i % 50;
  for (int t = 0; t < N_TYPES; t++) {
    qv_error err = {0};
    qv_task_context *ctx = jt_context(64, NULL);
    qv_exec_plan *l = int_scan(keys, n, 4, 0, false), *r = int_scan(keys, n, 3, 0, false), *join = NULL;
    CHECK_OK(int_join(l, r, ALL_TYPES[t], QV_JOIN_COLLECT_LEFT, false, ctx, &join, NULL, NULL, &err), &err);
    qv_batch_stream *s;
    CHECK_OK(qv_exec_plan_execute(join, 1, ctx, &s, &err), &err);
    qv_record_batch *b = NULL;
    CHECK_OK(qv_batch_stream_next(s, &b, &err), &err);
    qv_record_batch_unref(b);
    qv_batch_stream_destroy(s);
    /* Execute and destroy without pulling at all. */
    CHECK_OK(qv_exec_plan_execute(join, 2, ctx, &s, &err), &err);
    qv_batch_stream_destroy(s);
    qv_exec_plan_unref(join);
    qv_exec_plan_unref(l);
    qv_exec_plan_unref(r);
    qv_task_context_unref(ctx);
  }
  free(keys);
}

QV_TEST(hash_join_cancelled_context) {
  int64_t keys[4] = {1, 2, 3, 4};
  qv_error err = {0};
  qv_task_context *ctx = jt_context(64, NULL);
  qv_exec_plan *l = int_scan(keys, 4, 2, 0, false), *r = int_scan(keys, 4, 2, 0, false), *join = NULL;
  CHECK_OK(int_join(l, r, QV_JOIN_INNER, QV_JOIN_COLLECT_LEFT, false, ctx, &join, NULL, NULL, &err), &err);
  qv_batch_stream *s;
  CHECK_OK(qv_exec_plan_execute(join, 0, ctx, &s, &err), &err);
  qv_task_context_cancel(ctx);
  qv_record_batch *b = NULL;
  CHECK_STATUS(qv_batch_stream_next(s, &b, &err), QV_CANCELLED);
  qv_batch_stream_destroy(s);
  qv_exec_plan_unref(join);
  qv_exec_plan_unref(l);
  qv_exec_plan_unref(r);
  qv_task_context_unref(ctx);
}

QV_TEST(hash_join_computed_keys_and_one_sided_filter) {
  /* left.k + 1 = right.k, filter left.id > 1: ids 0..4 with keys 0..4 join
   * right keys 1..5 shifted by one; the filter drops left ids 0 and 1. */
  int64_t lkeys[5] = {0, 1, 2, 3, 4}, rkeys[5] = {5, 4, 3, 2, 1};
  qv_error err = {0};
  qv_task_context *ctx = jt_context(2, NULL);
  qv_exec_plan *l = int_scan(lkeys, 5, 2, 0, false), *r = int_scan(rkeys, 5, 1, 10, false), *join = NULL;
  qv_schema *ls = qv_exec_plan_schema(l), *rs = qv_exec_plan_schema(r);
  qv_expr *lk, *one, *plus, *rk, *lid, *bound, *gt;
  CHECK_OK(qv_expr_column(ls, 0, &lk, &err), &err);
  CHECK_OK(qv_expr_literal_int64(1, &one, &err), &err);
  CHECK_OK(qv_expr_binary(QV_OP_ADD, lk, one, &plus, &err), &err);
  CHECK_OK(qv_expr_column(rs, 0, &rk, &err), &err);
  qv_field *fields[4] = {qv_schema_field(ls, 0), qv_schema_field(ls, 1), qv_schema_field(rs, 0),
                         qv_schema_field(rs, 1)};
  qv_schema *concat;
  CHECK_OK(qv_schema_create(fields, 4, NULL, &concat, &err), &err);
  CHECK_OK(qv_expr_column(concat, 1, &lid, &err), &err);
  CHECK_OK(qv_expr_literal_int64(1, &bound, &err), &err);
  CHECK_OK(qv_expr_binary(QV_OP_GT, lid, bound, &gt, &err), &err);
  CHECK_OK(qv_plan_hash_join(l, r, &plus, &rk, 1, gt, QV_JOIN_LEFT, QV_JOIN_COLLECT_LEFT, false, &join, &err), &err);
  qv_record_batch **out;
  int64_t n;
  CHECK_OK(qv_exec_plan_collect(join, ctx, &out, &n, &err), &err);
  int64_t ne = 0, na;
  char **expected = malloc(5 * sizeof *expected);
  const char *rows[5] = {"0|0|N|N", "1|1|N|N", "2|2|3|12", "3|3|4|11", "4|4|5|10"};
  for (int i = 0; i < 5; i++) expected[ne++] = strdup(rows[i]);
  char **actual = jt_rows_of(out, n, &na);
  char msg[512];
  bool same = jt_same_rows(expected, ne, actual, na, msg, sizeof msg);
  if (!same) qv_test_fail(__FILE__, __LINE__, "%s", msg);
  qv_test_free_batches(out, n);
  qv_expr *all[] = {lk, one, plus, rk, lid, bound, gt};
  for (int i = 0; i < 7; i++) qv_expr_unref(all[i]);
  qv_schema_unref(concat);
  qv_exec_plan_unref(join);
  qv_exec_plan_unref(l);
  qv_exec_plan_unref(r);
  qv_task_context_unref(ctx);
}
