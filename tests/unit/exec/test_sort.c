/* SortExec (full sort and TopK) and SortPreservingMergeExec, checked against
 * a reference: random tables of every key type (with nulls, NaN, -0.0,
 * strings sharing long prefixes and holding zero bytes) are sorted by the
 * engine and by qsort with a plain comparator written from SQL's rules, over
 * many seeds, key combinations, directions and null placements. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec_test_util.h"
#include "quiver/compute.h"
#include "test.h"

/* ---- random tables ------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static int64_t rng_range(uint64_t *s, int64_t lo, int64_t hi) { return lo + (int64_t)(rng_next(s) % (uint64_t)(hi - lo + 1)); }

/* The columns of the test table; "id" numbers the rows 0..n-1. */
enum {
  C_ID, C_I8, C_I16, C_I32, C_I64, C_U8, C_U16, C_U32, C_U64, C_F32, C_F64, C_DEC, C_DATE, C_TS, C_TIME,
  C_STR, C_LSTR, C_BIN, C_BOOL, C_COUNT
};
static const char *const col_names[C_COUNT] = {"id", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32",
                                               "f64", "dec", "date", "ts", "time", "s", "ls", "bin", "b"};

static qv_data_type *col_type(int c) {
  qv_data_type *t = NULL;
  switch (c) {
    case C_ID: case C_I64: return qv_type_primitive(QV_INT64);
    case C_I8: return qv_type_primitive(QV_INT8);
    case C_I16: return qv_type_primitive(QV_INT16);
    case C_I32: return qv_type_primitive(QV_INT32);
    case C_U8: return qv_type_primitive(QV_UINT8);
    case C_U16: return qv_type_primitive(QV_UINT16);
    case C_U32: return qv_type_primitive(QV_UINT32);
    case C_U64: return qv_type_primitive(QV_UINT64);
    case C_F32: return qv_type_primitive(QV_FLOAT32);
    case C_F64: return qv_type_primitive(QV_FLOAT64);
    case C_DEC: return qv_type_decimal(QV_DECIMAL128, 38, 2, &t, NULL) ? NULL : t;
    case C_DATE: return qv_type_primitive(QV_DATE32);
    case C_TS: return qv_type_timestamp(QV_MICRO, "UTC", &t, NULL) ? NULL : t;
    case C_TIME: return qv_type_time(QV_TIME64, QV_NANO, &t, NULL) ? NULL : t;
    case C_STR: return qv_type_primitive(QV_UTF8);
    case C_LSTR: return qv_type_primitive(QV_LARGE_UTF8);
    case C_BIN: return qv_type_primitive(QV_BINARY);
    case C_BOOL: return qv_type_primitive(QV_BOOL);
  }
  return NULL;
}

static qv_schema *table_schema(void) {
  qv_field *f[C_COUNT];
  for (int c = 0; c < C_COUNT; c++) {
    qv_data_type *t = col_type(c);
    if (qv_field_create(col_names[c], t, c != C_ID, NULL, &f[c], NULL)) return NULL;
    qv_type_unref(t);
  }
  qv_schema *s = NULL;
  if (qv_schema_create(f, C_COUNT, NULL, &s, NULL)) s = NULL;
  for (int c = 0; c < C_COUNT; c++) qv_field_unref(f[c]);
  return s;
}

/* A random value of column c (mixing narrow ranges, for ties, with full ones). */
static qv_status append_random(qv_array_builder *b, int c, int64_t id, uint64_t *rng, qv_error *err) {
  if (c != C_ID && rng_next(rng) % 10 == 0) return qv_array_builder_append_null(b, err);
  bool narrow = rng_next(rng) % 2;
  uint64_t r = rng_next(rng);
  switch (c) {
    case C_ID: return qv_array_builder_append_int(b, id, err);
    case C_I8: return qv_array_builder_append_int(b, narrow ? rng_range(rng, -3, 3) : (int8_t)r, err);
    case C_I16: return qv_array_builder_append_int(b, narrow ? rng_range(rng, -300, 300) : (int16_t)r, err);
    case C_I32: case C_DATE: return qv_array_builder_append_int(b, narrow ? rng_range(rng, -5, 5) : (int32_t)r, err);
    case C_I64: case C_TS: return qv_array_builder_append_int(b, narrow ? rng_range(rng, -1000, 1000) : (int64_t)r, err);
    case C_TIME: return qv_array_builder_append_int(b, (int64_t)(r % UINT64_C(86400000000000)), err);
    case C_U8: return qv_array_builder_append_int(b, (uint8_t)r, err);
    case C_U16: return qv_array_builder_append_int(b, narrow ? (int64_t)(r % 5) : (uint16_t)r, err);
    case C_U32: return qv_array_builder_append_int(b, (uint32_t)r, err);
    case C_U64: {
      uint64_t v = narrow ? r % 7 : r; /* values above INT64_MAX too */
      return qv_array_builder_append_fixed(b, &v, err);
    }
    case C_F32: case C_F64: {
      static const double specials[] = {0.0, -0.0, 1.0, -1.0, INFINITY, -INFINITY, NAN, -NAN, 1e-300, -1e300};
      double d = narrow ? specials[r % 10] : ((double)(int64_t)r) / 1e9;
      return qv_array_builder_append_double(b, d, err);
    }
    case C_DEC: {
      int64_t lo = narrow ? rng_range(rng, -100, 100) : (int64_t)r;
      int64_t hi = narrow ? (lo < 0 ? -1 : 0) : rng_range(rng, -2, 2);
      uint8_t v[16];
      memcpy(v, &lo, 8);
      memcpy(v + 8, &hi, 8);
      return qv_array_builder_append_fixed(b, v, err);
    }
    case C_STR: case C_LSTR: case C_BIN: {
      /* Short strings over a small alphabet with zero bytes, sometimes after
       * a long shared prefix (so keys differ only past 8 and 16 bytes). */
      static const char alpha[] = {'a', 'b', '\0', 'z'};
      static const char bin_alpha[] = {'\0', '\x01', '\xff', 'a'};
      char buf[64];
      int n = 0;
      if (r % 3 == 0) {
        memcpy(buf, "a shared prefix_", 16);
        n = 16 + (int)(r >> 8) % 5;
      } else {
        n = (int)((r >> 8) % 12);
      }
      for (int i = (r % 3 == 0) ? 16 : 0; i < n; i++)
        buf[i] = c == C_BIN ? bin_alpha[rng_next(rng) % 4] : alpha[rng_next(rng) % 4];
      return qv_array_builder_append_binary(b, buf, n, err);
    }
    case C_BOOL: return qv_array_builder_append_bool(b, r & 1, err);
  }
  return qv_error_set(err, QV_INTERNAL, "no column %d", c);
}

static qv_record_batch *random_batch(qv_schema *s, int64_t first_id, int64_t n, uint64_t *rng) {
  qv_array *cols[C_COUNT] = {0};
  qv_record_batch *batch = NULL;
  qv_error err = {0};
  bool ok = true;
  for (int c = 0; ok && c < C_COUNT; c++) {
    qv_array_builder b;
    ok = qv_array_builder_init(&b, NULL, qv_field_type(qv_schema_field(s, c)), &err) == QV_OK;
    for (int64_t i = 0; ok && i < n; i++) ok = append_random(&b, c, first_id + i, rng, &err) == QV_OK;
    if (ok) ok = qv_array_builder_finish(&b, &cols[c], &err) == QV_OK;
    else qv_array_builder_reset(&b);
  }
  if (ok && qv_record_batch_create(s, n, cols, C_COUNT, &batch, &err)) batch = NULL;
  if (!ok) fprintf(stderr, "random_batch: %s\n", err.message);
  for (int c = 0; c < C_COUNT; c++) qv_array_unref(cols[c]);
  return batch;
}

/* A memory scan of random batches: `parts` partitions of up to max_batches
 * batches of 0..max_rows rows each. */
typedef struct table {
  qv_schema *schema;
  qv_exec_plan *scan;
  int64_t n_rows;
  /* every input row, for the reference sort */
  qv_record_batch **batches;
  int64_t n_batches;
} table;

static bool table_make(table *t, uint64_t seed, int32_t parts, int max_batches, int64_t max_rows) {
  memset(t, 0, sizeof *t);
  uint64_t rng = seed;
  t->schema = table_schema();
  qv_record_batch ***per = calloc((size_t)parts, sizeof *per);
  int64_t *counts = calloc((size_t)parts, sizeof *counts);
  t->batches = calloc((size_t)parts * (size_t)max_batches + 1, sizeof *t->batches);
  bool ok = t->schema && per && counts && t->batches;
  for (int32_t p = 0; ok && p < parts; p++) {
    counts[p] = rng_range(&rng, 0, max_batches);
    per[p] = calloc((size_t)counts[p] + 1, sizeof **per);
    for (int64_t i = 0; ok && i < counts[p]; i++) {
      int64_t n = rng_range(&rng, 0, max_rows);
      per[p][i] = random_batch(t->schema, t->n_rows, n, &rng);
      ok = per[p][i] != NULL;
      if (ok) {
        t->batches[t->n_batches++] = qv_record_batch_ref(per[p][i]);
        t->n_rows += n;
      }
    }
  }
  if (ok && qv_plan_memory_scan(t->schema, (qv_record_batch *const *const *)per, counts, parts, &t->scan, NULL))
    ok = false;
  for (int32_t p = 0; per && p < parts; p++) {
    for (int64_t i = 0; per[p] && i < counts[p]; i++) qv_record_batch_unref(per[p][i]);
    free(per[p]);
  }
  free(per);
  free(counts);
  return ok;
}

static void table_free(table *t) {
  for (int64_t i = 0; i < t->n_batches; i++) qv_record_batch_unref(t->batches[i]);
  free(t->batches);
  qv_exec_plan_unref(t->scan);
  qv_schema_unref(t->schema);
}

/* ---- the reference order ---------------------------------------------------------- */

typedef struct key_def {
  int col;
  bool desc;
  bool nulls_first;
} key_def;

static const void *buf_data(const qv_array *a, int i) { return qv_buffer_data(qv_array_buffer(a, i)); }

static int cmp_i(int64_t x, int64_t y) { return (x > y) - (x < y); }
static int cmp_u(uint64_t x, uint64_t y) { return (x > y) - (x < y); }

/* SQL order of two non-null values of the same type (floats as DuckDB: NaN
 * above everything, -0.0 equal to 0.0). */
static int cmp_values(const qv_array *a, int64_t i, const qv_array *b, int64_t j) {
  i += qv_array_offset(a);
  j += qv_array_offset(b);
  switch (qv_type_id_of(qv_array_type(a))) {
    case QV_INT8: return cmp_i(((const int8_t *)buf_data(a, 1))[i], ((const int8_t *)buf_data(b, 1))[j]);
    case QV_INT16: return cmp_i(((const int16_t *)buf_data(a, 1))[i], ((const int16_t *)buf_data(b, 1))[j]);
    case QV_INT32: case QV_DATE32:
      return cmp_i(((const int32_t *)buf_data(a, 1))[i], ((const int32_t *)buf_data(b, 1))[j]);
    case QV_INT64: case QV_TIMESTAMP: case QV_TIME64:
      return cmp_i(((const int64_t *)buf_data(a, 1))[i], ((const int64_t *)buf_data(b, 1))[j]);
    case QV_UINT8: return cmp_u(((const uint8_t *)buf_data(a, 1))[i], ((const uint8_t *)buf_data(b, 1))[j]);
    case QV_UINT16: return cmp_u(((const uint16_t *)buf_data(a, 1))[i], ((const uint16_t *)buf_data(b, 1))[j]);
    case QV_UINT32: return cmp_u(((const uint32_t *)buf_data(a, 1))[i], ((const uint32_t *)buf_data(b, 1))[j]);
    case QV_UINT64: return cmp_u(((const uint64_t *)buf_data(a, 1))[i], ((const uint64_t *)buf_data(b, 1))[j]);
    case QV_FLOAT32: case QV_FLOAT64: {
      bool f32 = qv_type_id_of(qv_array_type(a)) == QV_FLOAT32;
      double x = f32 ? ((const float *)buf_data(a, 1))[i] : ((const double *)buf_data(a, 1))[i];
      double y = f32 ? ((const float *)buf_data(b, 1))[j] : ((const double *)buf_data(b, 1))[j];
      if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
      return (x > y) - (x < y);
    }
    case QV_DECIMAL128: {
      const int64_t *x = (const int64_t *)buf_data(a, 1) + 2 * i, *y = (const int64_t *)buf_data(b, 1) + 2 * j;
      int c = cmp_i(x[1], y[1]);
      return c ? c : cmp_u((uint64_t)x[0], (uint64_t)y[0]);
    }
    case QV_UTF8: case QV_BINARY: case QV_LARGE_UTF8: {
      bool large = qv_type_id_of(qv_array_type(a)) == QV_LARGE_UTF8;
      int64_t sa, la, sb, lb;
      if (large) {
        const int64_t *oa = buf_data(a, 1), *ob = buf_data(b, 1);
        sa = oa[i], la = oa[i + 1] - oa[i], sb = ob[j], lb = ob[j + 1] - ob[j];
      } else {
        const int32_t *oa = buf_data(a, 1), *ob = buf_data(b, 1);
        sa = oa[i], la = oa[i + 1] - oa[i], sb = ob[j], lb = ob[j + 1] - ob[j];
      }
      int c = memcmp((const uint8_t *)buf_data(a, 2) + sa, (const uint8_t *)buf_data(b, 2) + sb,
                     (size_t)(la < lb ? la : lb));
      return c ? (c > 0) - (c < 0) : cmp_i(la, lb);
    }
    case QV_BOOL: return cmp_i(qv_bit_get(buf_data(a, 1), i), qv_bit_get(buf_data(b, 1), j));
    default: return 0;
  }
}

static int cmp_rows(const key_def *keys, int n_keys, const qv_record_batch *a, int64_t i, const qv_record_batch *b,
                    int64_t j) {
  for (int k = 0; k < n_keys; k++) {
    const qv_array *x = qv_record_batch_column(a, keys[k].col), *y = qv_record_batch_column(b, keys[k].col);
    bool nx = !qv_array_is_valid(x, i), ny = !qv_array_is_valid(y, j);
    if (nx && ny) continue;
    if (nx || ny) return (nx ? -1 : 1) * (keys[k].nulls_first ? 1 : -1);
    int c = cmp_values(x, i, y, j);
    if (c) return keys[k].desc ? -c : c;
  }
  return 0;
}

typedef struct row_ref {
  const qv_record_batch *batch;
  int64_t row;
} row_ref;

static const key_def *ref_keys;
static int ref_n_keys;

static int cmp_refs(const void *a, const void *b) {
  const row_ref *x = a, *y = b;
  return cmp_rows(ref_keys, ref_n_keys, x->batch, x->row, y->batch, y->row);
}

/* Every row of batches, in reference order. */
static row_ref *reference_sort(qv_record_batch *const *batches, int64_t n_batches, const key_def *keys, int n_keys,
                               int64_t *n_out) {
  int64_t n = 0;
  for (int64_t i = 0; i < n_batches; i++) n += qv_record_batch_num_rows(batches[i]);
  row_ref *r = malloc((size_t)(n ? n : 1) * sizeof *r);
  int64_t k = 0;
  for (int64_t i = 0; i < n_batches; i++)
    for (int64_t j = 0; j < qv_record_batch_num_rows(batches[i]); j++) r[k++] = (row_ref){batches[i], j};
  ref_keys = keys;
  ref_n_keys = n_keys;
  qsort(r, (size_t)n, sizeof *r, cmp_refs);
  *n_out = n;
  return r;
}

/* ---- running plans --------------------------------------------------------------- */

static qv_task_context *context_with(const char *batch_size, const char *memory_limit) {
  qv_session_state_builder *b;
  qv_session_state *s = NULL;
  qv_task_context *ctx = NULL;
  if (qv_session_state_builder_create(&b, NULL)) return NULL;
  bool ok = (!batch_size || !qv_session_state_builder_set_config(b, "batch_size", batch_size, NULL)) &&
            (!memory_limit || !qv_session_state_builder_set_config(b, "memory_limit", memory_limit, NULL)) &&
            !qv_session_state_builder_build(b, &s, NULL);
  qv_session_state_builder_destroy(b);
  if (ok && qv_task_context_create(s, 0, 1, &ctx, NULL)) ctx = NULL;
  qv_session_state_unref(s);
  return ctx;
}

/* All batches of one partition, in order. */
static qv_status drain(qv_exec_plan *p, int32_t partition, qv_task_context *ctx, qv_record_batch ***out, int64_t *n,
                       qv_error *err) {
  *out = NULL;
  *n = 0;
  qv_batch_stream *s;
  QV_RETURN_NOT_OK(qv_exec_plan_execute(p, partition, ctx, &s, err));
  int64_t cap = 0;
  qv_status st = QV_OK;
  for (;;) {
    qv_record_batch *b;
    st = qv_batch_stream_next(s, &b, err);
    if (st != QV_OK || !b) break;
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      *out = realloc(*out, (size_t)cap * sizeof **out);
    }
    (*out)[(*n)++] = b;
  }
  qv_batch_stream_destroy(s);
  if (st != QV_OK) {
    qv_test_free_batches(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return st;
}

static qv_status make_keys(qv_schema *s, const key_def *keys, int n_keys, qv_sort_key *out, qv_error *err) {
  for (int k = 0; k < n_keys; k++) {
    QV_RETURN_NOT_OK(qv_expr_column(s, keys[k].col, &out[k].expr, err));
    out[k].descending = keys[k].desc;
    out[k].nulls_first = keys[k].nulls_first;
  }
  return QV_OK;
}

static void free_keys(qv_sort_key *keys, int n) {
  for (int k = 0; k < n; k++) qv_expr_unref(keys[k].expr);
}

/* Checks that the output batches hold `expect` rows in key order, with
 * distinct ids (all of the input's when expect is every row), each row's key
 * equal to the reference's row at the same position. Returns false after
 * reporting the first difference. */
static bool check_output(qv_record_batch **out, int64_t n_out, const row_ref *ref, int64_t expect,
                         int64_t max_batch, const key_def *keys, int n_keys, int64_t n_ids) {
  char *seen = calloc((size_t)(n_ids ? n_ids : 1), 1);
  int64_t pos = 0;
  bool ok = true;
  const qv_record_batch *prev = NULL;
  int64_t prev_row = 0;
  for (int64_t b = 0; ok && b < n_out; b++) {
    int64_t rows = qv_record_batch_num_rows(out[b]);
    if (rows > max_batch || rows == 0) {
      qv_test_fail(__FILE__, __LINE__, "output batch %lld has %lld rows (max %lld)", (long long)b, (long long)rows,
                   (long long)max_batch);
      ok = false;
    }
    const qv_array *ids = qv_record_batch_column(out[b], C_ID);
    for (int64_t r = 0; ok && r < rows; r++, pos++) {
      int64_t id = ((const int64_t *)buf_data(ids, 1))[qv_array_offset(ids) + r];
      if (id < 0 || id >= n_ids || seen[id]) {
        qv_test_fail(__FILE__, __LINE__, "row %lld: id %lld repeated or unknown", (long long)pos, (long long)id);
        ok = false;
        break;
      }
      seen[id] = 1;
      if (prev && cmp_rows(keys, n_keys, prev, prev_row, out[b], r) > 0) {
        qv_test_fail(__FILE__, __LINE__, "row %lld (id %lld) is out of order", (long long)pos, (long long)id);
        ok = false;
      } else if (pos < expect && cmp_rows(keys, n_keys, ref[pos].batch, ref[pos].row, out[b], r) != 0) {
        qv_test_fail(__FILE__, __LINE__, "row %lld (id %lld) differs from the reference", (long long)pos,
                     (long long)id);
        ok = false;
      }
      prev = out[b];
      prev_row = r;
    }
  }
  if (ok && pos != expect) {
    qv_test_fail(__FILE__, __LINE__, "%lld rows, expected %lld", (long long)pos, (long long)expect);
    ok = false;
  }
  free(seen);
  return ok;
}

/* Sorts t (one partition) by keys with fetch, checks the result. */
static bool sort_and_check(const table *t, qv_task_context *ctx, int64_t batch_size, const key_def *keys, int n_keys,
                           int64_t fetch) {
  qv_error err = {0};
  qv_sort_key sk[8];
  qv_exec_plan *sort = NULL;
  qv_record_batch **out = NULL;
  int64_t n_out = 0, n_ref = 0;
  bool ok = make_keys(t->schema, keys, n_keys, sk, &err) == QV_OK &&
            qv_plan_sort(t->scan, sk, n_keys, fetch, false, &sort, &err) == QV_OK &&
            drain(sort, 0, ctx, &out, &n_out, &err) == QV_OK;
  if (!ok) qv_test_fail(__FILE__, __LINE__, "sort failed: %s", err.message);
  row_ref *ref = ok ? reference_sort(t->batches, t->n_batches, keys, n_keys, &n_ref) : NULL;
  int64_t expect = fetch >= 0 && fetch < n_ref ? fetch : n_ref;
  if (ok) ok = check_output(out, n_out, ref, expect, batch_size, keys, n_keys, t->n_rows);
  free(ref);
  qv_test_free_batches(out, n_out);
  qv_exec_plan_unref(sort);
  free_keys(sk, n_keys);
  return ok;
}

/* ---- full sorts ----------------------------------------------------------------------- */

QV_TEST(sort_every_key_type_both_directions_and_null_placements) {
  qv_task_context *ctx = context_with("300", NULL);
  CHECK(ctx);
  for (uint64_t seed = 1; seed <= 6; seed++) {
    table t;
    CHECK(table_make(&t, seed, 1, 6, 700));
    for (int c = C_I8; c < C_COUNT; c++)
      for (int dir = 0; dir < 4; dir++) {
        key_def k = {c, dir & 1, dir >> 1};
        if (!sort_and_check(&t, ctx, 300, &k, 1, -1)) {
          qv_test_fail(__FILE__, __LINE__, "seed %llu column %s dir %d", (unsigned long long)seed, col_names[c], dir);
          table_free(&t);
          qv_task_context_unref(ctx);
          return;
        }
      }
    table_free(&t);
  }
  qv_task_context_unref(ctx);
}

QV_TEST(sort_multiple_keys_against_reference_many_seeds) {
  qv_task_context *ctx = context_with("1000", NULL);
  CHECK(ctx);
  for (uint64_t seed = 100; seed < 160; seed++) {
    uint64_t rng = seed * 7919;
    table t;
    CHECK(table_make(&t, seed, 1, 5, 900));
    /* 2 or 3 keys, the first ones narrow so that later keys break ties. */
    static const int firsts[] = {C_I8, C_BOOL, C_U16, C_I32, C_STR, C_F64, C_DEC, C_BIN};
    key_def keys[3];
    int n_keys = 2 + (int)(rng_next(&rng) % 2);
    keys[0] = (key_def){firsts[rng_next(&rng) % 8], rng_next(&rng) & 1, rng_next(&rng) & 1};
    for (int k = 1; k < n_keys; k++)
      keys[k] = (key_def){(int)rng_range(&rng, C_I8, C_COUNT - 1), rng_next(&rng) & 1, rng_next(&rng) & 1};
    bool ok = sort_and_check(&t, ctx, 1000, keys, n_keys, -1);
    table_free(&t);
    if (!ok) qv_test_fail(__FILE__, __LINE__, "seed %llu", (unsigned long long)seed);
    CHECK(ok);
  }
  qv_task_context_unref(ctx);
}

QV_TEST(sort_float_specials_order_as_duckdb) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_field *f;
  qv_schema *s;
  CHECK_OK(qv_field_create("x", qv_type_primitive(QV_FLOAT64), true, NULL, &f, &err), &err);
  CHECK_OK(qv_schema_create(&f, 1, NULL, &s, &err), &err);
  qv_field_unref(f);
  const double in[] = {NAN, 1.5, -0.0, 0.0, -INFINITY, INFINITY, 0 /* null */, -1.0, -NAN};
  qv_array_builder b;
  CHECK_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_FLOAT64), &err), &err);
  for (int i = 0; i < 9; i++) {
    if (i == 6) CHECK_OK(qv_array_builder_append_null(&b, &err), &err);
    else CHECK_OK(qv_array_builder_append_double(&b, in[i], &err), &err);
  }
  qv_array *a;
  CHECK_OK(qv_array_builder_finish(&b, &a, &err), &err);
  qv_record_batch *batch;
  CHECK_OK(qv_record_batch_create(s, 9, &a, 1, &batch, &err), &err);
  qv_array_unref(a);
  qv_exec_plan *values, *sort;
  CHECK_OK(qv_plan_values(batch, &values, &err), &err);
  for (int desc = 0; desc < 2; desc++) {
    qv_sort_key key = {NULL, desc, false};
    CHECK_OK(qv_expr_column(s, 0, &key.expr, &err), &err);
    CHECK_OK(qv_plan_sort(values, &key, 1, -1, false, &sort, &err), &err);
    qv_expr_unref(key.expr);
    qv_record_batch **out;
    int64_t n;
    CHECK_OK(drain(sort, 0, ctx, &out, &n, &err), &err);
    CHECK_EQ_INT(n, 1);
    const qv_array *col = qv_record_batch_column(out[0], 0);
    const double *v = (const double *)buf_data(col, 1) + qv_array_offset(col);
    /* ASC: -inf, -1, (-0, 0), 1.5, inf, NaN, NaN, NULL; DESC mirrors the values. */
    if (!desc) {
      CHECK(v[0] == -INFINITY && v[1] == -1.0 && v[2] == 0 && v[3] == 0 && v[4] == 1.5 && v[5] == INFINITY);
      CHECK(isnan(v[6]) && isnan(v[7]));
    } else {
      CHECK(isnan(v[0]) && isnan(v[1]) && v[2] == INFINITY && v[3] == 1.5 && v[4] == 0 && v[5] == 0);
      CHECK(v[6] == -1.0 && v[7] == -INFINITY);
    }
    CHECK(!qv_array_is_valid(col, 8) && qv_array_is_valid(col, 7));
    qv_test_free_batches(out, n);
    qv_exec_plan_unref(sort);
  }
  qv_exec_plan_unref(values);
  qv_record_batch_unref(batch);
  qv_schema_unref(s);
  qv_task_context_unref(ctx);
}

QV_TEST(sort_large_int64_and_strings_match_reference) {
  /* Enough rows for the radix sort's big nodes (and several batches). */
  qv_task_context *ctx = context_with("4096", NULL);
  CHECK(ctx);
  table t;
  CHECK(table_make(&t, 4242, 1, 40, 5000));
  static const key_def cases[][2] = {{{C_I64, false, false}, {0}},
                                     {{C_U64, true, true}, {0}},
                                     {{C_F64, false, true}, {0}},
                                     {{C_STR, false, false}, {0}},
                                     {{C_LSTR, true, false}, {C_I64, false, false}},
                                     {{C_DEC, true, true}, {0}},
                                     {{C_I16, false, false}, {C_BIN, true, true}}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int n_keys = cases[i][1].col ? 2 : 1;
    if (!sort_and_check(&t, ctx, 4096, cases[i], n_keys, -1)) {
      qv_test_fail(__FILE__, __LINE__, "case %zu", i);
      break;
    }
  }
  table_free(&t);
  qv_task_context_unref(ctx);
}

QV_TEST(sort_empty_inputs) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_schema *s = table_schema();
  /* No batches at all, and batches of no rows. */
  qv_record_batch *empty = random_batch(s, 0, 0, &(uint64_t){1});
  qv_record_batch *parts[2][2] = {{empty, empty}, {NULL, NULL}};
  qv_record_batch *const *pp[2] = {parts[0], parts[1]};
  int64_t counts[2] = {2, 0};
  qv_exec_plan *scan, *one;
  CHECK_OK(qv_plan_memory_scan(s, pp, counts, 2, &scan, &err), &err);
  CHECK_OK(qv_plan_coalesce_partitions(scan, &one, &err), &err);
  qv_sort_key k = {NULL, true, false};
  CHECK_OK(qv_expr_column(s, C_STR, &k.expr, &err), &err);
  int64_t fetches[] = {-1, 0, 5};
  for (int i = 0; i < 3; i++) {
    qv_exec_plan *sort, *merge;
    CHECK_OK(qv_plan_sort(one, &k, 1, fetches[i], false, &sort, &err), &err);
    CHECK_OK(qv_plan_sort_preserving_merge(scan, &k, 1, fetches[i], &merge, &err), &err);
    qv_record_batch **out;
    int64_t n;
    CHECK_OK(drain(sort, 0, ctx, &out, &n, &err), &err);
    CHECK_EQ_INT(n, 0);
    free(out);
    CHECK_OK(drain(merge, 0, ctx, &out, &n, &err), &err);
    CHECK_EQ_INT(n, 0);
    free(out);
    qv_exec_plan_unref(sort);
    qv_exec_plan_unref(merge);
  }
  qv_expr_unref(k.expr);
  qv_exec_plan_unref(one);
  qv_exec_plan_unref(scan);
  qv_record_batch_unref(empty);
  qv_schema_unref(s);
  qv_task_context_unref(ctx);
}

QV_TEST(sort_preserving_partitioning_sorts_each_partition) {
  qv_error err = {0};
  qv_task_context *ctx = context_with("128", NULL);
  table t;
  CHECK(ctx && table_make(&t, 77, 4, 4, 300));
  key_def keys[2] = {{C_I8, true, false}, {C_STR, false, true}};
  qv_sort_key sk[2];
  CHECK_OK(make_keys(t.schema, keys, 2, sk, &err), &err);
  qv_exec_plan *sort;
  CHECK_OK(qv_plan_sort(t.scan, sk, 2, -1, true, &sort, &err), &err);
  CHECK_EQ_INT(qv_exec_plan_num_partitions(sort), 4);
  for (int32_t p = 0; p < 4; p++) {
    qv_record_batch **in, **out;
    int64_t n_in, n_out, n_ref;
    CHECK_OK(drain(t.scan, p, ctx, &in, &n_in, &err), &err);
    CHECK_OK(drain(sort, p, ctx, &out, &n_out, &err), &err);
    row_ref *ref = reference_sort(in, n_in, keys, 2, &n_ref);
    bool ok = check_output(out, n_out, ref, n_ref, 128, keys, 2, t.n_rows);
    free(ref);
    qv_test_free_batches(in, n_in);
    qv_test_free_batches(out, n_out);
    CHECK(ok);
  }
  qv_exec_plan *bad = NULL;
  CHECK_STATUS(qv_plan_sort(t.scan, sk, 2, -1, false, &bad, &err), QV_INVALID);
  qv_exec_plan_unref(sort);
  free_keys(sk, 2);
  table_free(&t);
  qv_task_context_unref(ctx);
}

/* ---- TopK ---------------------------------------------------------------------------- */

QV_TEST(topk_equals_sort_then_limit_for_many_fetches) {
  qv_task_context *ctx = context_with("500", NULL);
  CHECK(ctx);
  for (uint64_t seed = 900; seed < 912; seed++) {
    table t;
    CHECK(table_make(&t, seed, 1, 8, 1500));
    int64_t n = t.n_rows;
    int64_t fetches[] = {0, 1, 2, 10, 100, 999, n > 0 ? n - 1 : 0, n, n + 5, 5000};
    static const key_def single[] = {{C_I64, false, false}, {C_F32, true, true}, {C_BOOL, false, true},
                                     {C_STR, true, false}, {C_DEC, false, false}, {C_U8, true, false}};
    key_def multi[2] = {{C_I8, seed & 1, seed & 2}, {C_LSTR, seed & 4, seed & 8}};
    for (size_t f = 0; f < sizeof fetches / sizeof fetches[0]; f++) {
      bool ok = sort_and_check(&t, ctx, 500, &single[seed % 6], 1, fetches[f]) &&
                sort_and_check(&t, ctx, 500, multi, 2, fetches[f]);
      if (!ok) {
        qv_test_fail(__FILE__, __LINE__, "seed %llu fetch %lld", (unsigned long long)seed, (long long)fetches[f]);
        table_free(&t);
        qv_task_context_unref(ctx);
        return;
      }
    }
    table_free(&t);
  }
  qv_task_context_unref(ctx);
}

/* A single-partition scan of int64 column "v": `batches` batches of `rows`
 * rows whose values run downward (every batch beats the previous one for an
 * ascending TopK), upward, or at random. */
static qv_exec_plan *ordered_scan(int batches, int64_t rows, int order) {
  qv_schema *s = qv_test_int64_schema();
  qv_record_batch **b = calloc((size_t)batches, sizeof *b);
  uint64_t rng = 5;
  for (int i = 0; i < batches; i++) {
    qv_array_builder ab;
    qv_array *a = NULL;
    if (qv_array_builder_init(&ab, NULL, qv_type_primitive(QV_INT64), NULL)) return NULL;
    for (int64_t j = 0; j < rows; j++) {
      int64_t k = i * rows + j, v = order < 0 ? -k : order > 0 ? k : (int64_t)(rng_next(&rng) % 1000000);
      if (qv_array_builder_append_int(&ab, v, NULL)) return NULL;
    }
    if (qv_array_builder_finish(&ab, &a, NULL) || qv_record_batch_create(s, rows, &a, 1, &b[i], NULL)) return NULL;
    qv_array_unref(a);
  }
  qv_record_batch *const *pp = b;
  int64_t n = batches;
  qv_exec_plan *scan = NULL;
  if (qv_plan_memory_scan(s, &pp, &n, 1, &scan, NULL)) scan = NULL;
  for (int i = 0; i < batches; i++) qv_record_batch_unref(b[i]);
  free(b);
  qv_schema_unref(s);
  return scan;
}

QV_TEST(topk_adversarial_orders_keep_the_best_rows) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  for (int order = -1; order <= 1; order++) {
    /* 200 batches of 1000 rows: 200000 values. */
    qv_exec_plan *scan = ordered_scan(200, 1000, order);
    CHECK(scan);
    int64_t fetches[] = {1, 100, 5000, 70000};
    for (int two_keys = 0; two_keys < 2; two_keys++)
      for (size_t f = 0; f < 4; f++) {
        qv_sort_key k[2] = {{NULL, false, false}, {NULL, true, false}};
        CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), 0, &k[0].expr, &err), &err);
        CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), 0, &k[1].expr, &err), &err);
        qv_exec_plan *sort;
        CHECK_OK(qv_plan_sort(scan, k, 1 + two_keys, fetches[f], false, &sort, &err), &err);
        qv_expr_unref(k[0].expr);
        qv_expr_unref(k[1].expr);
        qv_record_batch **out;
        int64_t n, sum, rows;
        CHECK_OK(drain(sort, 0, ctx, &out, &n, &err), &err);
        qv_test_sum_int64(out, n, &sum, &rows);
        CHECK_EQ_INT(rows, fetches[f]);
        /* The smallest values, in order. */
        int64_t prev = INT64_MIN, expect_first = order < 0 ? -199999 : 0;
        for (int64_t b = 0; b < n; b++) {
          const qv_array *a = qv_record_batch_column(out[b], 0);
          const int64_t *v = (const int64_t *)buf_data(a, 1) + qv_array_offset(a);
          for (int64_t i = 0; i < qv_array_length(a); i++) {
            CHECK(v[i] >= prev);
            prev = v[i];
          }
        }
        const qv_array *a0 = qv_record_batch_column(out[0], 0);
        if (order != 0) {
          CHECK_EQ_INT(((const int64_t *)buf_data(a0, 1))[qv_array_offset(a0)], expect_first);
          CHECK_EQ_INT(prev, expect_first + fetches[f] - 1);
        }
        qv_test_free_batches(out, n);
        qv_exec_plan_unref(sort);
      }
    qv_exec_plan_unref(scan);
  }
  qv_task_context_unref(ctx);
}

/* ---- memory -------------------------------------------------------------------------- */

QV_TEST(sort_over_memory_limit_fails_and_topk_fits) {
  qv_error err = {0};
  qv_task_context *ctx = context_with(NULL, "2m");
  qv_exec_plan *scan = qv_test_int64_scan(1, 100, 10000); /* 8 MB of int64 */
  CHECK(ctx && scan);
  for (int two_keys = 0; two_keys < 2; two_keys++) {
    qv_sort_key k[2] = {{NULL, true, false}, {NULL, false, false}};
    CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), 0, &k[0].expr, &err), &err);
    CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), 0, &k[1].expr, &err), &err);
    qv_exec_plan *sort, *topk;
    CHECK_OK(qv_plan_sort(scan, k, 1 + two_keys, -1, false, &sort, &err), &err);
    CHECK_OK(qv_plan_sort(scan, k, 1 + two_keys, 10, false, &topk, &err), &err);
    qv_expr_unref(k[0].expr);
    qv_expr_unref(k[1].expr);
    qv_record_batch **out = NULL;
    int64_t n = 0, sum, rows;
    CHECK_STATUS(drain(sort, 0, ctx, &out, &n, &err), QV_RESOURCE_EXHAUSTED);
    CHECK(strncmp(err.message, "SortExec: memory limit of 2097152 bytes exceeded", 48) == 0);
    CHECK_OK(drain(topk, 0, ctx, &out, &n, &err), &err);
    qv_test_sum_int64(out, n, &sum, &rows);
    CHECK_EQ_INT(rows, 10);
    CHECK_EQ_INT(sum, 999999 * 10 - 45);
    qv_test_free_batches(out, n);
    qv_exec_plan_unref(sort);
    qv_exec_plan_unref(topk);
  }
  /* Everything the sorts took from the pool went back. */
  CHECK_EQ_INT(qv_allocator_bytes_allocated(qv_task_context_allocator(ctx)), 0);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
}

QV_TEST(sort_survives_failing_allocations) {
  /* Fail the nth allocation from the pool for every n until the sort gets
   * through: each failure must be an error (no crash, no leak). */
  qv_error err = {0};
  table t;
  CHECK(table_make(&t, 31, 2, 3, 200));
  key_def keys[2] = {{C_STR, false, false}, {C_I64, true, true}};
  qv_sort_key sk[2];
  CHECK_OK(make_keys(t.schema, keys, 2, sk, &err), &err);
  qv_exec_plan *sorted, *merge, *one, *full, *topk;
  CHECK_OK(qv_plan_sort(t.scan, sk, 2, -1, true, &sorted, &err), &err);
  CHECK_OK(qv_plan_sort_preserving_merge(sorted, sk, 2, -1, &merge, &err), &err);
  CHECK_OK(qv_plan_coalesce_partitions(t.scan, &one, &err), &err);
  CHECK_OK(qv_plan_sort(one, sk, 2, -1, false, &full, &err), &err);
  CHECK_OK(qv_plan_sort(one, sk + 1, 1, 7, false, &topk, &err), &err);
  qv_exec_plan *plans[] = {merge, full, topk};
  for (int p = 0; p < 3; p++) {
    bool passed = false;
    for (int64_t nth = 1; nth < 2000 && !passed; nth++) {
      qv_task_context *ctx = qv_test_context();
      CHECK(ctx);
      qv_allocator_fail_after(qv_task_context_allocator(ctx), nth);
      qv_record_batch **out = NULL;
      int64_t n = 0;
      qv_status st = drain(plans[p], 0, ctx, &out, &n, &err);
      passed = st == QV_OK;
      if (!passed && st != QV_NOMEM) {
        qv_test_fail(__FILE__, __LINE__, "plan %d, allocation %lld: %s: %s", p, (long long)nth, qv_status_name(st),
                     err.message);
        qv_task_context_unref(ctx);
        return;
      }
      qv_test_free_batches(out, n);
      CHECK_EQ_INT(qv_allocator_bytes_allocated(qv_task_context_allocator(ctx)), 0);
      qv_task_context_unref(ctx);
    }
    CHECK(passed);
  }
  qv_exec_plan_unref(topk);
  qv_exec_plan_unref(full);
  qv_exec_plan_unref(one);
  qv_exec_plan_unref(merge);
  qv_exec_plan_unref(sorted);
  free_keys(sk, 2);
  table_free(&t);
}

/* ---- merge ------------------------------------------------------------------------------- */

QV_TEST(merge_of_sorted_partitions_equals_full_sort) {
  qv_error err = {0};
  for (uint64_t seed = 300; seed < 330; seed++) {
    uint64_t rng = seed;
    const char *bs = seed % 3 == 0 ? "7" : seed % 3 == 1 ? "100" : "8192";
    qv_task_context *ctx = context_with(bs, NULL);
    table t;
    int32_t parts = 1 + (int32_t)(seed % 9);
    CHECK(ctx && table_make(&t, seed, parts, 4, 400));
    key_def keys[2];
    int n_keys = 1 + (int)(rng_next(&rng) % 2);
    keys[0] = (key_def){(int)rng_range(&rng, C_I8, C_COUNT - 1), rng_next(&rng) & 1, rng_next(&rng) & 1};
    keys[1] = (key_def){(int)rng_range(&rng, C_I8, C_COUNT - 1), rng_next(&rng) & 1, rng_next(&rng) & 1};
    qv_sort_key sk[2];
    CHECK_OK(make_keys(t.schema, keys, n_keys, sk, &err), &err);
    int64_t fetch = seed % 4 == 0 ? -1 : (int64_t)(rng_next(&rng) % (uint64_t)(t.n_rows + 10));
    qv_exec_plan *sorted, *merge;
    /* Half the seeds cut each partition to its own TopK first, as a planner
     * does below a merge with a fetch. */
    CHECK_OK(qv_plan_sort(t.scan, sk, n_keys, seed % 2 ? fetch : -1, true, &sorted, &err), &err);
    CHECK_OK(qv_plan_sort_preserving_merge(sorted, sk, n_keys, fetch, &merge, &err), &err);
    CHECK_EQ_INT(qv_exec_plan_num_partitions(merge), 1);
    qv_record_batch **out;
    int64_t n_out, n_ref;
    CHECK_OK(drain(merge, 0, ctx, &out, &n_out, &err), &err);
    row_ref *ref = reference_sort(t.batches, t.n_batches, keys, n_keys, &n_ref);
    int64_t expect = fetch >= 0 && fetch < n_ref ? fetch : n_ref;
    bool ok = check_output(out, n_out, ref, expect, atoi(bs), keys, n_keys, t.n_rows);
    free(ref);
    qv_test_free_batches(out, n_out);
    qv_exec_plan_unref(merge);
    qv_exec_plan_unref(sorted);
    free_keys(sk, n_keys);
    table_free(&t);
    qv_task_context_unref(ctx);
    if (!ok) qv_test_fail(__FILE__, __LINE__, "seed %llu", (unsigned long long)seed);
    CHECK(ok);
  }
}

QV_TEST(merge_of_disjoint_ranges_and_early_stop) {
  qv_error err = {0};
  qv_task_context *ctx = context_with("1000", NULL);
  /* Partition p holds the contiguous range of values 5000p..5000p+4999. */
  qv_exec_plan *scan = qv_test_int64_scan(6, 5, 1000), *merge, *head;
  CHECK(ctx && scan);
  for (int desc = 0; desc < 2; desc++) {
    qv_sort_key k = {NULL, desc, false};
    CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), 0, &k.expr, &err), &err);
    qv_exec_plan *sorted;
    CHECK_OK(qv_plan_sort(scan, &k, 1, -1, true, &sorted, &err), &err);
    CHECK_OK(qv_plan_sort_preserving_merge(sorted, &k, 1, -1, &merge, &err), &err);
    CHECK_OK(qv_plan_sort_preserving_merge(sorted, &k, 1, 1500, &head, &err), &err);
    qv_expr_unref(k.expr);
    qv_record_batch **out;
    int64_t n;
    CHECK_OK(drain(merge, 0, ctx, &out, &n, &err), &err);
    CHECK_EQ_INT(n, 30);
    int64_t expect = desc ? 29999 : 0;
    for (int64_t b = 0; b < n; b++) {
      const qv_array *a = qv_record_batch_column(out[b], 0);
      const int64_t *v = (const int64_t *)buf_data(a, 1) + qv_array_offset(a);
      for (int64_t i = 0; i < qv_array_length(a); i++, expect += desc ? -1 : 1) CHECK_EQ_INT(v[i], expect);
    }
    qv_test_free_batches(out, n);
    /* The head stops after 1500 rows and its producers with it. */
    CHECK_OK(drain(head, 0, ctx, &out, &n, &err), &err);
    int64_t sum, rows;
    qv_test_sum_int64(out, n, &sum, &rows);
    CHECK_EQ_INT(rows, 1500);
    CHECK_EQ_INT(sum, desc ? 1500 * 29999 - 1499 * 1500 / 2 : 1499 * 1500 / 2);
    qv_test_free_batches(out, n);
    qv_exec_plan_unref(head);
    qv_exec_plan_unref(merge);
    qv_exec_plan_unref(sorted);
  }
  /* Destroying a merge stream midway stops its producers. */
  qv_sort_key k = {NULL, false, false};
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), 0, &k.expr, &err), &err);
  CHECK_OK(qv_plan_sort_preserving_merge(scan, &k, 1, -1, &merge, &err), &err);
  qv_expr_unref(k.expr);
  qv_batch_stream *s;
  qv_record_batch *b;
  CHECK_OK(qv_exec_plan_execute(merge, 0, ctx, &s, &err), &err);
  CHECK_OK(qv_batch_stream_next(s, &b, &err), &err);
  CHECK(b != NULL);
  qv_record_batch_unref(b);
  qv_batch_stream_destroy(s);
  qv_exec_plan_unref(merge);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
}

/* A user operator whose partition 1 fails on its second batch. */
typedef struct flaky {
  qv_batch_stream base;
  int32_t partition;
  int calls;
} flaky;

static qv_status flaky_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  flaky *f = (flaky *)s;
  if (++f->calls == 2 && f->partition == 1) return qv_error_set(err, QV_OUT_OF_RANGE, "flaky: partition 1 broke");
  if (f->calls > 3) return QV_OK;
  *out = qv_test_int64_batch(s->schema, f->calls * 10, 10);
  return *out ? QV_OK : qv_error_set(err, QV_NOMEM, "flaky");
}

static void flaky_destroy(qv_batch_stream *s) {
  qv_schema_unref(s->schema);
  free(s);
}

static const qv_batch_stream_vtable flaky_vtable = {flaky_next, flaky_destroy};

static qv_status flaky_execute(void *state, qv_exec_plan *self, int32_t partition, qv_task_context *ctx,
                               qv_batch_stream **out, qv_error *err) {
  flaky *f = calloc(1, sizeof *f);
  if (!f) return qv_error_set(err, QV_NOMEM, "flaky");
  f->base.vtable = &flaky_vtable;
  f->base.schema = qv_schema_ref(qv_exec_plan_schema(self));
  f->partition = partition;
  *out = &f->base;
  return QV_OK;
}

QV_TEST(merge_and_sort_report_input_errors) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_schema *s = qv_test_int64_schema();
  qv_exec_plan_vtable vt = {"FlakyExec", flaky_execute, NULL, NULL};
  qv_exec_plan *flaky_plan, *sorted, *merge;
  CHECK_OK(qv_exec_plan_create_custom(&vt, NULL, s, 3, NULL, 0, &flaky_plan, &err), &err);
  qv_sort_key k = {NULL, true, false};
  CHECK_OK(qv_expr_column(s, 0, &k.expr, &err), &err);
  CHECK_OK(qv_plan_sort(flaky_plan, &k, 1, -1, true, &sorted, &err), &err);
  CHECK_OK(qv_plan_sort_preserving_merge(sorted, &k, 1, -1, &merge, &err), &err);
  qv_expr_unref(k.expr);
  qv_record_batch **out = NULL;
  int64_t n = 0;
  CHECK_STATUS(drain(merge, 0, ctx, &out, &n, &err), QV_OUT_OF_RANGE);
  CHECK_STR_EQ(err.message, "flaky: partition 1 broke");
  CHECK_STATUS(drain(sorted, 1, ctx, &out, &n, &err), QV_OUT_OF_RANGE);
  CHECK_OK(drain(sorted, 2, ctx, &out, &n, &err), &err);
  CHECK_EQ_INT(n, 1);
  qv_test_free_batches(out, n);
  qv_exec_plan_unref(merge);
  qv_exec_plan_unref(sorted);
  qv_exec_plan_unref(flaky_plan);
  qv_schema_unref(s);
  qv_task_context_unref(ctx);
}

/* ---- plans ------------------------------------------------------------------------------ */

QV_TEST(sort_plans_explain_and_reject_bad_keys) {
  qv_error err = {0};
  table t;
  CHECK(table_make(&t, 1, 2, 1, 10));
  key_def keys[2] = {{C_I64, true, false}, {C_STR, false, false}};
  qv_sort_key sk[2];
  CHECK_OK(make_keys(t.schema, keys, 2, sk, &err), &err);
  qv_exec_plan *one, *sort, *merge;
  CHECK_OK(qv_plan_coalesce_partitions(t.scan, &one, &err), &err);
  CHECK_OK(qv_plan_sort(one, sk, 2, 100, false, &sort, &err), &err);
  sk[1].nulls_first = true;
  sk[0].nulls_first = true;
  CHECK_OK(qv_plan_sort_preserving_merge(t.scan, sk, 2, -1, &merge, &err), &err);
  char *text;
  CHECK_OK(qv_exec_plan_explain(sort, &text, &err), &err);
  const char *want = "SortExec: expr=[i64 DESC NULLS LAST, s ASC], fetch=100, preserve_partitioning=false\n"
                     "  CoalescePartitionsExec\n";
  CHECK(strncmp(text, want, strlen(want)) == 0);
  free(text);
  CHECK_OK(qv_exec_plan_explain(merge, &text, &err), &err);
  want = "SortPreservingMergeExec: expr=[i64 DESC, s ASC NULLS FIRST]\n  MemoryScanExec";
  if (strncmp(text, want, strlen(want)) != 0) qv_test_fail(__FILE__, __LINE__, "explain: %s", text);
  free(text);
  qv_exec_plan *bad = NULL;
  CHECK_STATUS(qv_plan_sort(one, sk, 0, -1, false, &bad, &err), QV_INVALID);
  CHECK_STATUS(qv_plan_sort(one, sk, 1, -2, false, &bad, &err), QV_INVALID);
  CHECK_STATUS(qv_plan_sort_preserving_merge(one, sk, 1, -5, &bad, &err), QV_INVALID);
  CHECK(bad == NULL);
  /* Nested keys have no order. */
  qv_field *item, *lf;
  qv_data_type *lt;
  qv_schema *ls;
  CHECK_OK(qv_field_create("item", qv_type_primitive(QV_INT32), true, NULL, &item, &err), &err);
  CHECK_OK(qv_type_list(QV_LIST, item, &lt, &err), &err);
  CHECK_OK(qv_field_create("l", lt, true, NULL, &lf, &err), &err);
  CHECK_OK(qv_schema_create(&lf, 1, NULL, &ls, &err), &err);
  qv_exec_plan *empty;
  CHECK_OK(qv_plan_empty(ls, false, &empty, &err), &err);
  qv_sort_key lk = {NULL, false, false};
  CHECK_OK(qv_expr_column(ls, 0, &lk.expr, &err), &err);
  CHECK_STATUS(qv_plan_sort(empty, &lk, 1, -1, false, &bad, &err), QV_NOT_IMPLEMENTED);
  CHECK_STATUS(qv_plan_sort_preserving_merge(empty, &lk, 1, -1, &bad, &err), QV_NOT_IMPLEMENTED);
  qv_expr_unref(lk.expr);
  qv_exec_plan_unref(empty);
  qv_schema_unref(ls);
  qv_field_unref(lf);
  qv_type_unref(lt);
  qv_field_unref(item);
  qv_exec_plan_unref(merge);
  qv_exec_plan_unref(sort);
  qv_exec_plan_unref(one);
  free_keys(sk, 2);
  table_free(&t);
}

/* ---- computed and dictionary keys --------------------------------------------------- */

QV_TEST(sort_by_computed_expression) {
  qv_error err = {0};
  qv_task_context *ctx = context_with("256", NULL);
  table t;
  CHECK(ctx && table_make(&t, 555, 1, 6, 600));
  /* i16 + 1 (an int64 expression) orders as i16 itself. */
  qv_expr *col, *one, *sum;
  CHECK_OK(qv_expr_column(t.schema, C_I16, &col, &err), &err);
  CHECK_OK(qv_expr_literal_int64(1, &one, &err), &err);
  CHECK_OK(qv_expr_binary(QV_OP_ADD, col, one, &sum, &err), &err);
  qv_expr_unref(col);
  qv_expr_unref(one);
  for (int dir = 0; dir < 4; dir++) {
    key_def k = {C_I16, dir & 1, dir >> 1};
    qv_sort_key sk = {sum, k.desc, k.nulls_first};
    int64_t fetch = dir == 3 ? 50 : -1;
    qv_exec_plan *sort;
    CHECK_OK(qv_plan_sort(t.scan, &sk, 1, fetch, false, &sort, &err), &err);
    qv_record_batch **out;
    int64_t n, n_ref;
    CHECK_OK(drain(sort, 0, ctx, &out, &n, &err), &err);
    row_ref *ref = reference_sort(t.batches, t.n_batches, &k, 1, &n_ref);
    bool ok = check_output(out, n, ref, fetch >= 0 && fetch < n_ref ? fetch : n_ref, 256, &k, 1, t.n_rows);
    free(ref);
    qv_test_free_batches(out, n);
    qv_exec_plan_unref(sort);
    CHECK(ok);
  }
  qv_expr_unref(sum);
  table_free(&t);
  qv_task_context_unref(ctx);
}

QV_TEST(sort_dictionary_keys_by_value) {
  qv_error err = {0};
  qv_task_context *ctx = context_with("100", NULL);
  /* A dictionary whose order is not the values' order. */
  static const char *const words[] = {"pear", "apple", "fig", "apple pie", "", "zucchini"};
  qv_array_builder b;
  qv_array *dict, *idx, *col;
  CHECK_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_UTF8), &err), &err);
  for (int i = 0; i < 6; i++) CHECK_OK(qv_array_builder_append_binary(&b, words[i], (int64_t)strlen(words[i]), &err), &err);
  CHECK_OK(qv_array_builder_finish(&b, &dict, &err), &err);
  CHECK_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_INT32), &err), &err);
  uint64_t rng = 3;
  for (int i = 0; i < 1000; i++) {
    if (rng_next(&rng) % 8 == 0) CHECK_OK(qv_array_builder_append_null(&b, &err), &err);
    else CHECK_OK(qv_array_builder_append_int(&b, (int64_t)(rng_next(&rng) % 6), &err), &err);
  }
  CHECK_OK(qv_array_builder_finish(&b, &idx, &err), &err);
  qv_data_type *dt;
  CHECK_OK(qv_type_dictionary(qv_type_primitive(QV_INT32), qv_type_primitive(QV_UTF8), false, &dt, &err), &err);
  qv_buffer *bufs[2] = {qv_array_buffer(idx, 0), qv_array_buffer(idx, 1)};
  CHECK_OK(qv_array_create(dt, 1000, 0, -1, bufs, 2, NULL, 0, dict, &col, &err), &err);
  qv_field *f;
  qv_schema *s;
  CHECK_OK(qv_field_create("d", dt, true, NULL, &f, &err), &err);
  CHECK_OK(qv_schema_create(&f, 1, NULL, &s, &err), &err);
  qv_record_batch *batch;
  CHECK_OK(qv_record_batch_create(s, 1000, &col, 1, &batch, &err), &err);
  qv_exec_plan *values, *sort;
  CHECK_OK(qv_plan_values(batch, &values, &err), &err);
  qv_sort_key k = {NULL, true, true};
  CHECK_OK(qv_expr_column(s, 0, &k.expr, &err), &err);
  CHECK_OK(qv_plan_sort(values, &k, 1, -1, false, &sort, &err), &err);
  qv_record_batch **out;
  int64_t n;
  CHECK_OK(drain(sort, 0, ctx, &out, &n, &err), &err);
  /* DESC NULLS FIRST, by the words themselves. */
  const char *prev = NULL;
  int64_t rows = 0, nulls_seen = 0;
  bool values_started = false;
  for (int64_t i = 0; i < n; i++) {
    const qv_array *a = qv_record_batch_column(out[i], 0);
    const int32_t *ix = (const int32_t *)buf_data(a, 1) + qv_array_offset(a);
    const qv_array *d = qv_array_dictionary(a);
    for (int64_t r = 0; r < qv_array_length(a); r++, rows++) {
      if (!qv_array_is_valid(a, r)) {
        CHECK(!values_started);
        nulls_seen++;
        continue;
      }
      values_started = true;
      const int32_t *off = (const int32_t *)buf_data(d, 1) + qv_array_offset(d);
      int64_t len = off[ix[r] + 1] - off[ix[r]];
      char w[32];
      memcpy(w, (const char *)buf_data(d, 2) + off[ix[r]], (size_t)len);
      w[len] = '\0';
      if (prev) CHECK(strcmp(prev, w) >= 0);
      for (int j = 0; j < 6; j++)
        if (!strcmp(words[j], w)) prev = words[j];
    }
  }
  CHECK_EQ_INT(rows, 1000);
  CHECK_EQ_INT(nulls_seen, qv_array_null_count(col));
  qv_test_free_batches(out, n);
  qv_exec_plan_unref(sort);
  qv_exec_plan_unref(values);
  qv_expr_unref(k.expr);
  qv_record_batch_unref(batch);
  qv_schema_unref(s);
  qv_field_unref(f);
  qv_type_unref(dt);
  qv_array_unref(col);
  qv_array_unref(idx);
  qv_array_unref(dict);
  qv_task_context_unref(ctx);
}

QV_TEST(sort_strings_with_very_long_shared_prefixes) {
  /* Keys that agree on hundreds of bytes push the radix sort deep enough to
   * take its heap-sort fallback. */
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_field *f;
  qv_schema *s;
  CHECK_OK(qv_field_create("s", qv_type_primitive(QV_BINARY), false, NULL, &f, &err), &err);
  CHECK_OK(qv_schema_create(&f, 1, NULL, &s, &err), &err);
  qv_field_unref(f);
  qv_array_builder b;
  CHECK_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_BINARY), &err), &err);
  uint64_t rng = 11;
  char buf[1024];
  for (int i = 0; i < 3000; i++) {
    int shared = (int)rng_range(&rng, 600, 700), tail = (int)rng_range(&rng, 0, 3);
    memset(buf, 'x', (size_t)shared);
    for (int j = 0; j < tail; j++) buf[shared + j] = (char)"\0wxy"[rng_next(&rng) % 4];
    CHECK_OK(qv_array_builder_append_binary(&b, buf, shared + tail, &err), &err);
  }
  qv_array *a;
  CHECK_OK(qv_array_builder_finish(&b, &a, &err), &err);
  qv_record_batch *batch;
  CHECK_OK(qv_record_batch_create(s, 3000, &a, 1, &batch, &err), &err);
  qv_array_unref(a);
  qv_exec_plan *values, *sort;
  CHECK_OK(qv_plan_values(batch, &values, &err), &err);
  qv_sort_key k = {NULL, false, false};
  CHECK_OK(qv_expr_column(s, 0, &k.expr, &err), &err);
  int64_t fetches[] = {-1, 10};
  for (int fi = 0; fi < 2; fi++) {
    CHECK_OK(qv_plan_sort(values, &k, 1, fetches[fi], false, &sort, &err), &err);
    qv_record_batch **out;
    int64_t n, rows = 0;
    CHECK_OK(drain(sort, 0, ctx, &out, &n, &err), &err);
    const uint8_t *prev = NULL;
    int64_t prev_len = 0;
    for (int64_t i = 0; i < n; i++) {
      const qv_array *c = qv_record_batch_column(out[i], 0);
      const int32_t *off = (const int32_t *)buf_data(c, 1) + qv_array_offset(c);
      const uint8_t *data = buf_data(c, 2);
      for (int64_t r = 0; r < qv_array_length(c); r++, rows++) {
        const uint8_t *v = data + off[r];
        int64_t len = off[r + 1] - off[r];
        if (prev) {
          int cmp = memcmp(prev, v, (size_t)(prev_len < len ? prev_len : len));
          CHECK(cmp < 0 || (cmp == 0 && prev_len <= len));
        }
        prev = v;
        prev_len = len;
      }
    }
    CHECK_EQ_INT(rows, fetches[fi] < 0 ? 3000 : fetches[fi]);
    qv_test_free_batches(out, n);
    qv_exec_plan_unref(sort);
  }
  qv_expr_unref(k.expr);
  qv_exec_plan_unref(values);
  qv_record_batch_unref(batch);
  qv_schema_unref(s);
  qv_task_context_unref(ctx);
}
