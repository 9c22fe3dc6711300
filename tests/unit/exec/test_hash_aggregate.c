/* HashAggregateExec: global and grouped aggregation in every mode. Single,
 * Partial -> coalesce -> Final, and Partial -> hash split by the group keys ->
 * FinalPartitioned must all give the answer computed here from the input
 * rows; keys of every kind (fixed-width fast path, strings, several columns,
 * NULLs, floats, dictionaries), empty inputs, 4 and a million groups,
 * DISTINCT, user aggregates, memory limits, batch sizes and EXPLAIN. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/hash_aggregate_internal.h"
#include "exec_test_util.h"
#include "quiver/compute.h"
#include "test.h"

typedef __int128 i128;

/* ---- contexts and plans ---------------------------------------------------------- */

static qv_task_context *context_with(const char *key, const char *value, qv_session_state_builder *b_in) {
  qv_session_state_builder *b = b_in;
  qv_session_state *s = NULL;
  qv_task_context *ctx = NULL;
  if (!b && qv_session_state_builder_create(&b, NULL)) return NULL;
  if (key && qv_session_state_builder_set_config(b, key, value, NULL)) ctx = NULL;
  else if (qv_session_state_builder_build(b, &s, NULL) == QV_OK) {
    if (qv_task_context_create(s, 0, 1, &ctx, NULL)) ctx = NULL;
  }
  qv_session_state_unref(s);
  if (!b_in) qv_session_state_builder_destroy(b);
  return ctx;
}

static uint64_t rng_next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* A memory scan of batches[p][0..per_part) for p < parts. Takes the batches. */
static qv_exec_plan *scan_of(qv_schema *schema, qv_record_batch **batches, int32_t parts, int64_t per_part) {
  qv_record_batch ***all = calloc((size_t)parts, sizeof *all);
  int64_t *counts = calloc((size_t)parts, sizeof *counts);
  for (int32_t p = 0; p < parts; p++) {
    all[p] = batches + p * per_part;
    counts[p] = per_part;
  }
  qv_exec_plan *plan = NULL;
  if (qv_plan_memory_scan(schema, (qv_record_batch *const *const *)all, counts, parts, &plan, NULL)) plan = NULL;
  for (int64_t i = 0; i < parts * per_part; i++) qv_record_batch_unref(batches[i]);
  free(all);
  free(counts);
  return plan;
}

static qv_schema *schema_of(int32_t n, const char *const *names, qv_data_type *const *types) {
  qv_field *f[8];
  qv_schema *s = NULL;
  for (int32_t i = 0; i < n; i++)
    if (qv_field_create(names[i], types[i], true, NULL, &f[i], NULL)) return NULL;
  if (qv_schema_create(f, n, NULL, &s, NULL)) s = NULL;
  for (int32_t i = 0; i < n; i++) qv_field_unref(f[i]);
  return s;
}

static qv_expr *col(qv_exec_plan *p, const char *name) {
  qv_expr *e = NULL;
  return qv_expr_column_named(qv_exec_plan_schema(p), name, &e, NULL) == QV_OK ? e : NULL;
}

static qv_aggregate_expr *agg(const qv_session_state *s, const char *fn, qv_expr *arg, bool distinct) {
  qv_aggregate_expr *a = NULL;
  qv_error err = {0};
  if (qv_aggregate_create(s, fn, arg ? &arg : NULL, arg ? 1 : 0, distinct, NULL, &a, &err)) {
    fprintf(stderr, "  aggregate %s: %s\n", fn, err.message);
    return NULL;
  }
  return a;
}

/* ---- rows as text ------------------------------------------------------------------- */

static void fmt_i128(i128 v, char *buf, size_t size) {
  char digits[48];
  int n = 0;
  bool neg = v < 0;
  unsigned __int128 m = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
  do {
    digits[n++] = (char)('0' + (int)(m % 10));
    m /= 10;
  } while (m);
  size_t at = 0;
  if (neg && at + 1 < size) buf[at++] = '-';
  while (n && at + 1 < size) buf[at++] = digits[--n];
  buf[at] = 0;
}

static void fmt_value(const qv_array *a, int64_t i, char *buf, size_t size) {
  qv_type_id id = qv_type_id_of(qv_array_type(a));
  if (id == QV_NA || !qv_array_is_valid(a, i)) {
    snprintf(buf, size, "NULL");
    return;
  }
  const uint8_t *v = qv_buffer_data(qv_array_buffer(a, 1));
  int64_t j = qv_array_offset(a) + i;
  switch (id) {
    case QV_BOOL: snprintf(buf, size, "%s", qv_bit_get(v, j) ? "true" : "false"); return;
    case QV_INT8: snprintf(buf, size, "%d", ((const int8_t *)v)[j]); return;
    case QV_INT16: snprintf(buf, size, "%d", ((const int16_t *)(const void *)v)[j]); return;
    case QV_INT32: case QV_DATE32: snprintf(buf, size, "%d", ((const int32_t *)(const void *)v)[j]); return;
    case QV_INT64: case QV_DATE64: case QV_TIMESTAMP:
      snprintf(buf, size, "%lld", (long long)((const int64_t *)(const void *)v)[j]);
      return;
    case QV_UINT8: snprintf(buf, size, "%u", ((const uint8_t *)v)[j]); return;
    case QV_UINT16: snprintf(buf, size, "%u", ((const uint16_t *)(const void *)v)[j]); return;
    case QV_UINT32: snprintf(buf, size, "%u", ((const uint32_t *)(const void *)v)[j]); return;
    case QV_UINT64: snprintf(buf, size, "%llu", (unsigned long long)((const uint64_t *)(const void *)v)[j]); return;
    case QV_FLOAT32: snprintf(buf, size, "%.9g", ((const float *)(const void *)v)[j]); return;
    case QV_FLOAT64: snprintf(buf, size, "%.9g", ((const double *)(const void *)v)[j]); return;
    case QV_DECIMAL128: {
      i128 d;
      memcpy(&d, v + j * 16, 16);
      fmt_i128(d, buf, size);
      return;
    }
    case QV_UTF8: case QV_BINARY: case QV_LARGE_UTF8: {
      int64_t b, e;
      if (id == QV_LARGE_UTF8) {
        b = ((const int64_t *)(const void *)v)[j];
        e = ((const int64_t *)(const void *)v)[j + 1];
      } else {
        b = ((const int32_t *)(const void *)v)[j];
        e = ((const int32_t *)(const void *)v)[j + 1];
      }
      const uint8_t *d = qv_buffer_data(qv_array_buffer(a, 2));
      size_t at = 0;
      buf[at++] = '\'';
      for (int64_t c = b; c < e && at + 6 < size; c++) {
        if (d[c] >= 0x20 && d[c] < 0x7f) buf[at++] = (char)d[c];
        else at += (size_t)snprintf(buf + at, size - at, "\\x%02x", d[c]);
      }
      buf[at++] = '\'';
      buf[at] = 0;
      return;
    }
    case QV_DICTIONARY: {
      int64_t k = ((const int32_t *)(const void *)v)[j];
      fmt_value(qv_array_dictionary(a), k, buf, size);
      return;
    }
    default: snprintf(buf, size, "?"); return;
  }
}

typedef struct rows {
  char **s;
  int64_t n, cap;
} rows;

static void rows_add(rows *r, const char *s) {
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 64;
    r->s = realloc(r->s, (size_t)r->cap * sizeof *r->s);
  }
  r->s[r->n++] = strdup(s);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void rows_sort(rows *r) {
  if (r->n > 1) qsort(r->s, (size_t)r->n, sizeof *r->s, cmp_str);
}

static void rows_reset(rows *r) {
  for (int64_t i = 0; i < r->n; i++) free(r->s[i]);
  free(r->s);
  memset(r, 0, sizeof *r);
}

/* Row i of batch as "v0|v1|...". */
static void row_text(qv_record_batch *b, int64_t i, char *buf, size_t size) {
  size_t at = 0;
  buf[0] = 0;
  for (int32_t c = 0; c < qv_record_batch_num_columns(b); c++) {
    char v[256];
    fmt_value(qv_record_batch_column(b, c), i, v, sizeof v);
    at += (size_t)snprintf(buf + at, size - at, "%s%s", c ? "|" : "", v);
    if (at >= size) at = size - 1;
  }
}

/* Collects plan and returns its rows, sorted; checks that no batch exceeds
 * max_batch rows (0: any). */
static qv_status collect_rows(qv_exec_plan *plan, qv_task_context *ctx, int64_t max_batch, rows *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  qv_record_batch **bs = NULL;
  int64_t n = 0;
  QV_RETURN_NOT_OK(qv_exec_plan_collect(plan, ctx, &bs, &n, err));
  qv_status st = QV_OK;
  for (int64_t i = 0; i < n; i++) {
    if (max_batch && qv_record_batch_num_rows(bs[i]) > max_batch)
      st = qv_error_set(err, QV_INTERNAL, "a batch of %lld rows", (long long)qv_record_batch_num_rows(bs[i]));
    for (int64_t r = 0; r < qv_record_batch_num_rows(bs[i]); r++) {
      char buf[1024];
      row_text(bs[i], r, buf, sizeof buf);
      rows_add(out, buf);
    }
  }
  qv_test_free_batches(bs, n);
  rows_sort(out);
  return st;
}

static bool rows_equal(const rows *a, const rows *b, const char *what) {
  if (a->n != b->n) {
    fprintf(stderr, "  %s: %lld rows, expected %lld\n", what, (long long)a->n, (long long)b->n);
    return false;
  }
  for (int64_t i = 0; i < a->n; i++) {
    if (strcmp(a->s[i], b->s[i]) != 0) {
      fprintf(stderr, "  %s: row %lld is '%s', expected '%s'\n", what, (long long)i, a->s[i], b->s[i]);
      return false;
    }
  }
  return true;
}

/* ---- the three ways to aggregate ---------------------------------------------------- */

typedef struct agg_spec {
  qv_expr **groups;
  const char *const *names;
  int32_t n_groups;
  qv_aggregate_expr **aggs;
  int32_t n_aggs;
} agg_spec;

/* Partial output of input, hash-split by its first n_keys columns into parts
 * partitions (what a RepartitionExec between the two steps would do). */
static qv_status split_by_keys(qv_exec_plan *partial, int32_t n_keys, int32_t parts, qv_task_context *ctx,
                               qv_exec_plan **out, qv_error *err) {
  qv_record_batch **bs = NULL;
  int64_t n = 0;
  QV_RETURN_NOT_OK(qv_exec_plan_collect(partial, ctx, &bs, &n, err));
  qv_record_batch **split = calloc((size_t)(parts * (n ? n : 1)), sizeof *split);
  qv_status st = QV_OK;
  for (int64_t i = 0; st == QV_OK && i < n; i++) {
    int64_t rows_n = qv_record_batch_num_rows(bs[i]);
    uint64_t *h = malloc((size_t)(rows_n ? rows_n : 1) * 8);
    uint32_t *idx = malloc((size_t)(rows_n ? rows_n : 1) * 4);
    qv_array *keys[8];
    for (int32_t k = 0; k < n_keys; k++) keys[k] = qv_record_batch_column(bs[i], k);
    st = qv_hash_columns((const qv_array *const *)keys, n_keys, rows_n, h, err);
    for (int32_t p = 0; st == QV_OK && p < parts; p++) {
      int64_t m = 0;
      for (int64_t r = 0; r < rows_n; r++)
        if (qv_hash_partition(h[r], parts) == p) idx[m++] = (uint32_t)r;
      st = qv_record_batch_take(NULL, bs[i], idx, m, &split[p * n + i], err);
    }
    free(h);
    free(idx);
  }
  if (st == QV_OK) *out = scan_of(qv_exec_plan_schema(partial), split, parts, n);
  else
    for (int64_t i = 0; i < parts * n; i++) qv_record_batch_unref(split[i]);
  free(split);
  qv_test_free_batches(bs, n);
  return st;
}

/* Runs spec over input as Single (after a coalesce), Partial -> coalesce ->
 * Final, Partial -> split by hand -> FinalPartitioned, and Partial ->
 * RepartitionExec -> FinalPartitioned; each must give want. */
static bool check_all_modes(qv_exec_plan *input, const agg_spec *sp, qv_task_context *ctx, const rows *want) {
  qv_error err = {0};
  qv_exec_plan *co = NULL, *single = NULL, *partial = NULL, *co2 = NULL, *final = NULL, *split = NULL, *fp = NULL;
  qv_exec_plan *rep = NULL, *fp2 = NULL;
  qv_expr *rkeys[8] = {NULL};
  rows got[4] = {{0}};
  bool ok = false;
  qv_status st = qv_plan_coalesce_partitions(input, &co, &err);
#define AGG(mode, in, out) qv_plan_hash_aggregate(mode, in, sp->groups, sp->names, sp->n_groups, sp->aggs, sp->n_aggs, out, &err)
  if (!st) st = AGG(QV_AGG_SINGLE, co, &single);
  if (!st) st = AGG(QV_AGG_PARTIAL, input, &partial);
  if (!st) st = qv_plan_coalesce_partitions(partial, &co2, &err);
  if (!st) st = AGG(QV_AGG_FINAL, co2, &final);
  /* FinalPartitioned needs keys to partition by. */
  bool by_keys = sp->n_groups > 0;
  if (!st && by_keys) st = split_by_keys(partial, sp->n_groups, 3, ctx, &split, &err);
  if (!st && by_keys) st = AGG(QV_AGG_FINAL_PARTITIONED, split, &fp);
  if (!st) st = collect_rows(single, ctx, 0, &got[0], &err);
  if (!st) st = collect_rows(final, ctx, 0, &got[1], &err);
  /* ... and the same through RepartitionExec, which must hash alike. */
  for (int32_t k = 0; !st && by_keys && k < sp->n_groups; k++)
    st = qv_expr_column(qv_exec_plan_schema(partial), k, &rkeys[k], &err);
  if (!st && by_keys) st = qv_plan_repartition_hash(partial, rkeys, sp->n_groups, 4, &rep, &err);
  if (!st && by_keys) st = AGG(QV_AGG_FINAL_PARTITIONED, rep, &fp2);
#undef AGG
  if (!st && by_keys) st = collect_rows(fp, ctx, 0, &got[2], &err);
  if (!st && by_keys) st = collect_rows(fp2, ctx, 0, &got[3], &err);
  if (st) fprintf(stderr, "  aggregation failed: %s: %s\n", qv_status_name(st), err.message);
  else ok = rows_equal(&got[0], want, "Single") && rows_equal(&got[1], want, "Partial+Final") &&
            (!by_keys || (rows_equal(&got[2], want, "Partial+FinalPartitioned") &&
                          rows_equal(&got[3], want, "Partial+Repartition+FinalPartitioned")));
  if (!st && by_keys && qv_exec_plan_num_partitions(fp) != 3) ok = false;
  for (int i = 0; i < 4; i++) rows_reset(&got[i]);
  for (int i = 0; i < 8; i++) qv_expr_unref(rkeys[i]);
  qv_exec_plan_unref(rep);
  qv_exec_plan_unref(fp2);
  qv_exec_plan_unref(co);
  qv_exec_plan_unref(single);
  qv_exec_plan_unref(partial);
  qv_exec_plan_unref(co2);
  qv_exec_plan_unref(final);
  qv_exec_plan_unref(split);
  qv_exec_plan_unref(fp);
  return ok;
}

static void spec_reset(agg_spec *sp) {
  for (int32_t i = 0; i < sp->n_groups; i++) qv_expr_unref(sp->groups[i]);
  for (int32_t i = 0; i < sp->n_aggs; i++) qv_aggregate_unref(sp->aggs[i]);
}

/* ---- inputs with a reference answer --------------------------------------------------- */

/* A table of key columns (from the callback) and v int64 (nulls 1 in 8),
 * spread over parts x per_part batches of `rows` rows. */
typedef void (*key_fn)(uint64_t *rng, int64_t row, qv_array_builder *keys, int32_t n_keys);

static qv_exec_plan *keyed_table(qv_data_type *const *key_types, const char *const *key_names, int32_t n_keys,
                                 key_fn keys, int32_t parts, int64_t per_part, int64_t rows_n, uint64_t seed) {
  const char *names[8];
  qv_data_type *types[8];
  for (int32_t k = 0; k < n_keys; k++) {
    names[k] = key_names[k];
    types[k] = key_types[k];
  }
  names[n_keys] = "v";
  types[n_keys] = qv_type_primitive(QV_INT64);
  qv_schema *s = schema_of(n_keys + 1, names, types);
  qv_record_batch **bs = calloc((size_t)(parts * per_part), sizeof *bs);
  uint64_t rng = seed;
  int64_t row = 0;
  for (int64_t b = 0; b < parts * per_part; b++) {
    qv_array_builder bld[8];
    for (int32_t k = 0; k <= n_keys; k++)
      if (qv_array_builder_init(&bld[k], NULL, types[k], NULL)) return NULL;
    for (int64_t r = 0; r < rows_n; r++, row++) {
      keys(&rng, row, bld, n_keys);
      uint64_t x = rng_next(&rng);
      if (x % 8 == 0) (void)!qv_array_builder_append_null(&bld[n_keys], NULL);
      else (void)!qv_array_builder_append_int(&bld[n_keys], (int64_t)(x % 2001) - 1000, NULL);
    }
    qv_array *cols[8];
    for (int32_t k = 0; k <= n_keys; k++)
      if (qv_array_builder_finish(&bld[k], &cols[k], NULL)) return NULL;
    if (qv_record_batch_create(s, rows_n, cols, n_keys + 1, &bs[b], NULL)) return NULL;
    for (int32_t k = 0; k <= n_keys; k++) qv_array_unref(cols[k]);
  }
  qv_exec_plan *plan = scan_of(s, bs, parts, per_part);
  free(bs);
  qv_schema_unref(s);
  return plan;
}

typedef struct ref_row {
  char *key;
  int64_t v;
  bool v_null;
} ref_row;

static int cmp_ref(const void *a, const void *b) {
  return strcmp(((const ref_row *)a)->key, ((const ref_row *)b)->key);
}

/* The expected "keys|count(*)|count(v)|sum(v)|min(v)|max(v)|avg(v)" rows of
 * every group of the input (keys are its first n_keys columns, then v). */
static qv_status reference_rows(qv_exec_plan *input, int32_t n_keys, qv_task_context *ctx, rows *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  qv_record_batch **bs = NULL;
  int64_t n = 0;
  QV_RETURN_NOT_OK(qv_exec_plan_collect(input, ctx, &bs, &n, err));
  int64_t total = 0;
  for (int64_t i = 0; i < n; i++) total += qv_record_batch_num_rows(bs[i]);
  ref_row *rr = calloc((size_t)(total ? total : 1), sizeof *rr);
  int64_t at = 0;
  for (int64_t i = 0; i < n; i++) {
    qv_array *v = qv_record_batch_column(bs[i], n_keys);
    const int64_t *vv = (const int64_t *)(const void *)qv_buffer_data(qv_array_buffer(v, 1)) + qv_array_offset(v);
    for (int64_t r = 0; r < qv_record_batch_num_rows(bs[i]); r++, at++) {
      char key[512] = "";
      size_t k_at = 0;
      for (int32_t k = 0; k < n_keys; k++) {
        char one[256];
        fmt_value(qv_record_batch_column(bs[i], k), r, one, sizeof one);
        k_at += (size_t)snprintf(key + k_at, sizeof key - k_at, "%s%s", k ? "|" : "", one);
      }
      rr[at].key = strdup(key);
      rr[at].v_null = !qv_array_is_valid(v, r);
      rr[at].v = vv[r];
    }
  }
  if (total > 1) qsort(rr, (size_t)total, sizeof *rr, cmp_ref);
  for (int64_t i = 0; i < total;) {
    int64_t j = i, cnt = 0, sum = 0, mn = INT64_MAX, mx = INT64_MIN;
    for (; j < total && strcmp(rr[j].key, rr[i].key) == 0; j++) {
      if (rr[j].v_null) continue;
      cnt++;
      sum += rr[j].v;
      if (rr[j].v < mn) mn = rr[j].v;
      if (rr[j].v > mx) mx = rr[j].v;
    }
    char line[1024];
    if (cnt)
      snprintf(line, sizeof line, "%s|%lld|%lld|%lld|%lld|%lld|%.9g", rr[i].key, (long long)(j - i), (long long)cnt,
               (long long)sum, (long long)mn, (long long)mx, (double)sum / (double)cnt);
    else
      snprintf(line, sizeof line, "%s|%lld|0|NULL|NULL|NULL|NULL", rr[i].key, (long long)(j - i));
    rows_add(out, line);
    i = j;
  }
  for (int64_t i = 0; i < total; i++) free(rr[i].key);
  free(rr);
  qv_test_free_batches(bs, n);
  rows_sort(out);
  return QV_OK;
}

/* The six aggregates of reference_rows over column v of input, grouped by its
 * first n_keys columns. */
static void standard_spec(qv_exec_plan *input, int32_t n_keys, const char *const *key_names, agg_spec *sp,
                          qv_expr **groups, qv_aggregate_expr **aggs) {
  for (int32_t k = 0; k < n_keys; k++) groups[k] = col(input, key_names[k]);
  qv_expr *v = col(input, "v");
  aggs[0] = agg(NULL, "count", NULL, false);
  aggs[1] = agg(NULL, "count", v, false);
  aggs[2] = agg(NULL, "sum", v, false);
  aggs[3] = agg(NULL, "min", v, false);
  aggs[4] = agg(NULL, "max", v, false);
  aggs[5] = agg(NULL, "avg", v, false);
  qv_expr_unref(v);
  *sp = (agg_spec){groups, key_names, n_keys, aggs, 6};
}

static bool run_standard(qv_data_type *const *key_types, const char *const *key_names, int32_t n_keys, key_fn keys,
                         int32_t parts, int64_t per_part, int64_t rows_n) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_exec_plan *in = keyed_table(key_types, key_names, n_keys, keys, parts, per_part, rows_n, 0x1234567);
  if (!ctx || !in) return false;
  rows want;
  if (reference_rows(in, n_keys, ctx, &want, &err)) return false;
  agg_spec sp;
  qv_expr *groups[8];
  qv_aggregate_expr *aggs[6];
  standard_spec(in, n_keys, key_names, &sp, groups, aggs);
  bool ok = check_all_modes(in, &sp, ctx, &want);
  spec_reset(&sp);
  rows_reset(&want);
  qv_exec_plan_unref(in);
  qv_task_context_unref(ctx);
  return ok;
}

/* ---- key generators ---------------------------------------------------------------------- */

static void keys_mod4(uint64_t *rng, int64_t row, qv_array_builder *b, int32_t n) {
  (void)!qv_array_builder_append_int(&b[0], (int64_t)(rng_next(rng) % 4) - 1, NULL);
}

static void keys_int_with_nulls(uint64_t *rng, int64_t row, qv_array_builder *b, int32_t n) {
  uint64_t x = rng_next(rng) % 50;
  if (x < 5) (void)!qv_array_builder_append_null(&b[0], NULL);
  else (void)!qv_array_builder_append_int(&b[0], (int64_t)x * 1000003, NULL);
}

static const char *const words[] = {"", "a", "apple", "apples", "banana", "cherry", "dates and figs",
                                    "\xc3\xa9l\xc3\xa9phant", "a\0b", "zz"};

static void keys_string(uint64_t *rng, int64_t row, qv_array_builder *b, int32_t n) {
  uint64_t x = rng_next(rng) % 11;
  if (x == 10) (void)!qv_array_builder_append_null(&b[0], NULL);
  else (void)!qv_array_builder_append_binary(&b[0], words[x], x == 8 ? 3 : (int64_t)strlen(words[x]), NULL);
}

static void keys_string_int(uint64_t *rng, int64_t row, qv_array_builder *b, int32_t n) {
  keys_string(rng, row, b, 1);
  uint64_t x = rng_next(rng) % 6;
  if (x == 5) (void)!qv_array_builder_append_null(&b[1], NULL);
  else (void)!qv_array_builder_append_int(&b[1], (int64_t)x - 2, NULL);
}

static void keys_small(uint64_t *rng, int64_t row, qv_array_builder *b, int32_t n) {
  uint64_t x = rng_next(rng);
  for (int32_t k = 0; k < n; k++, x >>= 5) {
    if (x % 13 == 0) {
      (void)!qv_array_builder_append_null(&b[k], NULL);
      continue;
    }
    qv_type_id id = qv_type_id_of(b[k].type);
    if (id == QV_BOOL) (void)!qv_array_builder_append_bool(&b[k], x & 1, NULL);
    else if (id == QV_FLOAT64 || id == QV_FLOAT32)
      (void)!qv_array_builder_append_double(&b[k], (double)(x % 7) / 4, NULL);
    else (void)!qv_array_builder_append_int(&b[k], (int64_t)(x % 7) * 3 - 9, NULL);
  }
}

/* ---- tests ------------------------------------------------------------------------------- */

QV_TEST(hash_aggregate_four_groups_every_mode) {
  qv_data_type *t = qv_type_primitive(QV_INT64);
  const char *names[] = {"k"};
  CHECK(run_standard(&t, names, 1, keys_mod4, 4, 5, 1000));
}

QV_TEST(hash_aggregate_null_keys_form_their_own_group) {
  qv_data_type *t = qv_type_primitive(QV_INT64);
  const char *names[] = {"k"};
  CHECK(run_standard(&t, names, 1, keys_int_with_nulls, 3, 4, 777));
}

QV_TEST(hash_aggregate_string_keys) {
  qv_data_type *types[] = {qv_type_primitive(QV_UTF8)};
  const char *names[] = {"s"};
  CHECK(run_standard(types, names, 1, keys_string, 2, 3, 500));
  qv_data_type *large[] = {qv_type_primitive(QV_LARGE_UTF8)};
  CHECK(run_standard(large, names, 1, keys_string, 2, 3, 500));
}

QV_TEST(hash_aggregate_multi_column_keys) {
  qv_data_type *types[] = {qv_type_primitive(QV_UTF8), qv_type_primitive(QV_INT32)};
  const char *names[] = {"s", "i"};
  CHECK(run_standard(types, names, 2, keys_string_int, 3, 2, 900));
}

QV_TEST(hash_aggregate_keys_of_every_fixed_width_type) {
  qv_data_type *dec = NULL, *ts = NULL;
  qv_error err = {0};
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 12, 3, &dec, &err), &err);
  CHECK_OK(qv_type_timestamp(QV_MILLI, NULL, &ts, &err), &err);
  qv_data_type *singles[] = {qv_type_primitive(QV_BOOL),   qv_type_primitive(QV_INT8),  qv_type_primitive(QV_UINT8),
                             qv_type_primitive(QV_INT16),  qv_type_primitive(QV_UINT32), qv_type_primitive(QV_DATE32),
                             qv_type_primitive(QV_FLOAT32), qv_type_primitive(QV_FLOAT64), dec, ts};
  const char *names[] = {"a", "b", "c"};
  for (size_t i = 0; i < sizeof singles / sizeof singles[0]; i++) {
    bool ok = run_standard(&singles[i], names, 1, keys_small, 2, 2, 300);
    if (!ok) fprintf(stderr, "  key type #%zu\n", i);
    CHECK(ok);
  }
  qv_data_type *three[] = {qv_type_primitive(QV_BOOL), dec, qv_type_primitive(QV_INT16)};
  CHECK(run_standard(three, names, 3, keys_small, 2, 2, 300));
  qv_type_unref(dec);
  qv_type_unref(ts);
}

QV_TEST(hash_aggregate_global_over_empty_input_is_one_row) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_data_type *t = qv_type_primitive(QV_INT64);
  const char *names[] = {"k"};
  /* two partitions of one empty batch each */
  qv_exec_plan *in = keyed_table(&t, names, 1, keys_mod4, 2, 1, 0, 1);
  CHECK(ctx && in);
  agg_spec sp;
  qv_expr *groups[1];
  qv_aggregate_expr *aggs[6];
  standard_spec(in, 1, names, &sp, groups, aggs);
  sp.n_groups = 0;
  qv_expr_unref(groups[0]);
  rows want = {0};
  rows_add(&want, "0|0|NULL|NULL|NULL|NULL");
  CHECK(check_all_modes(in, &sp, ctx, &want));
  /* Grouped, the same input gives no rows at all. */
  sp.n_groups = 1;
  groups[0] = col(in, "k");
  rows none = {0};
  CHECK(check_all_modes(in, &sp, ctx, &none));
  /* And a Partial global aggregate emits one state row per partition. */
  qv_exec_plan *partial = NULL;
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_PARTIAL, in, NULL, NULL, 0, aggs, 6, &partial, &err), &err);
  rows got;
  CHECK_OK(collect_rows(partial, ctx, 0, &got, &err), &err);
  CHECK_EQ_INT(got.n, 2);
  CHECK_EQ_INT(qv_schema_num_fields(qv_exec_plan_schema(partial)), 7);
  rows_reset(&got);
  qv_exec_plan_unref(partial);
  spec_reset(&sp);
  rows_reset(&want);
  qv_exec_plan_unref(in);
  qv_task_context_unref(ctx);
}

QV_TEST(hash_aggregate_a_million_groups) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  enum { GROUPS = 1000000, PARTS = 2, BATCHES = 25, ROWS = 40000 };
  const char *names[] = {"k", "v"};
  qv_data_type *types[] = {qv_type_primitive(QV_INT64), qv_type_primitive(QV_INT64)};
  qv_schema *s = schema_of(2, names, types);
  int64_t *ref_count = calloc(GROUPS, sizeof *ref_count), *ref_sum = calloc(GROUPS, sizeof *ref_sum);
  qv_record_batch **bs = calloc(PARTS * BATCHES, sizeof *bs);
  uint64_t rng = 99;
  int64_t *k = malloc(ROWS * sizeof *k), *v = malloc(ROWS * sizeof *v);
  for (int b = 0; b < PARTS * BATCHES; b++) {
    for (int r = 0; r < ROWS; r++) {
      uint64_t x = rng_next(&rng);
      k[r] = (int64_t)(x % GROUPS) * 7 - 3000000; /* spread, some negative */
      v[r] = (int64_t)(x >> 40) % 1000;
      ref_count[x % GROUPS]++;
      ref_sum[x % GROUPS] += v[r];
    }
    qv_buffer *kb = NULL, *vb = NULL;
    qv_array *cols[2];
    CHECK_OK(qv_buffer_copy(qv_default_allocator(), k, ROWS * 8, &kb, &err), &err);
    CHECK_OK(qv_buffer_copy(qv_default_allocator(), v, ROWS * 8, &vb, &err), &err);
    qv_buffer *kbufs[2] = {NULL, kb}, *vbufs[2] = {NULL, vb};
    CHECK_OK(qv_array_create(types[0], ROWS, 0, 0, kbufs, 2, NULL, 0, NULL, &cols[0], &err), &err);
    CHECK_OK(qv_array_create(types[1], ROWS, 0, 0, vbufs, 2, NULL, 0, NULL, &cols[1], &err), &err);
    CHECK_OK(qv_record_batch_create(s, ROWS, cols, 2, &bs[b], &err), &err);
    qv_array_unref(cols[0]);
    qv_array_unref(cols[1]);
    qv_buffer_unref(kb);
    qv_buffer_unref(vb);
  }
  free(k);
  free(v);
  qv_exec_plan *in = scan_of(s, bs, PARTS, BATCHES), *partial = NULL, *co = NULL, *final = NULL;
  free(bs);
  qv_expr *g = col(in, "k"), *ve = col(in, "v");
  qv_aggregate_expr *aggs[2] = {agg(NULL, "count", NULL, false), agg(NULL, "sum", ve, false)};
  const char *gn[] = {"k"};
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_PARTIAL, in, &g, gn, 1, aggs, 2, &partial, &err), &err);
  CHECK_OK(qv_plan_coalesce_partitions(partial, &co, &err), &err);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_FINAL, co, &g, gn, 1, aggs, 2, &final, &err), &err);
  qv_record_batch **out = NULL;
  int64_t n_out = 0;
  CHECK_OK(qv_exec_plan_collect(final, ctx, &out, &n_out, &err), &err);
  int64_t groups_seen = 0, expected_groups = 0;
  for (int64_t i = 0; i < GROUPS; i++) expected_groups += ref_count[i] > 0;
  bool ok = true;
  for (int64_t i = 0; ok && i < n_out; i++) {
    CHECK(qv_record_batch_num_rows(out[i]) <= 8192);
#define COL64(c) ((const int64_t *)(const void *)qv_buffer_data(qv_array_buffer(qv_record_batch_column(out[i], c), 1)) + \
                  qv_array_offset(qv_record_batch_column(out[i], c)))
    const int64_t *kk = COL64(0), *cc = COL64(1), *ss = COL64(2);
#undef COL64
    int64_t o0 = 0, o1 = 0, o2 = 0;
    for (int64_t r = 0; r < qv_record_batch_num_rows(out[i]); r++) {
      int64_t key = (kk[o0 + r] + 3000000) / 7;
      if (key < 0 || key >= GROUPS || ref_count[key] != cc[o1 + r] || ref_sum[key] != ss[o2 + r]) {
        fprintf(stderr, "  group %lld: count %lld sum %lld\n", (long long)kk[o0 + r], (long long)cc[o1 + r],
                (long long)ss[o2 + r]);
        ok = false;
        break;
      }
      ref_count[key] = -1; /* each group once */
      groups_seen++;
    }
  }
  CHECK(ok);
  CHECK_EQ_INT(groups_seen, expected_groups);
  CHECK(expected_groups > 600000);
  qv_test_free_batches(out, n_out);
  qv_aggregate_unref(aggs[0]);
  qv_aggregate_unref(aggs[1]);
  qv_expr_unref(g);
  qv_expr_unref(ve);
  qv_exec_plan_unref(final);
  qv_exec_plan_unref(co);
  qv_exec_plan_unref(partial);
  qv_exec_plan_unref(in);
  qv_schema_unref(s);
  free(ref_count);
  free(ref_sum);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(qv_task_context_allocator(ctx)), 0);
  qv_task_context_unref(ctx);
}

QV_TEST(hash_aggregate_float_keys_group_zeros_and_nans) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  const char *names[] = {"f"};
  for (int t = 0; t < 2; t++) {
    qv_data_type *ft = qv_type_primitive(t ? QV_FLOAT64 : QV_FLOAT32);
    qv_schema *s = schema_of(1, names, &ft);
    qv_array_builder b;
    CHECK_OK(qv_array_builder_init(&b, NULL, ft, &err), &err);
    double vals[] = {0.0, -0.0, NAN, -NAN, 1.5, 0.0};
    for (int i = 0; i < 6; i++) CHECK_OK(qv_array_builder_append_double(&b, vals[i], &err), &err);
    qv_array *a;
    CHECK_OK(qv_array_builder_finish(&b, &a, &err), &err);
    qv_record_batch *batch;
    CHECK_OK(qv_record_batch_create(s, 6, &a, 1, &batch, &err), &err);
    qv_array_unref(a);
    qv_exec_plan *in = scan_of(s, &batch, 1, 1), *ha = NULL;
    qv_expr *g = col(in, "f");
    qv_aggregate_expr *c = agg(NULL, "count", NULL, false);
    CHECK_OK(qv_plan_hash_aggregate(QV_AGG_SINGLE, in, &g, names, 1, &c, 1, &ha, &err), &err);
    rows got;
    CHECK_OK(collect_rows(ha, ctx, 0, &got, &err), &err);
    CHECK_EQ_INT(got.n, 3);
    CHECK_STR_EQ(got.s[0], "0|3");
    CHECK_STR_EQ(got.s[1], "1.5|1");
    CHECK_STR_EQ(got.s[2], "nan|2");
    rows_reset(&got);
    qv_aggregate_unref(c);
    qv_expr_unref(g);
    qv_exec_plan_unref(ha);
    qv_exec_plan_unref(in);
    qv_schema_unref(s);
  }
  qv_task_context_unref(ctx);
}

QV_TEST(hash_aggregate_dictionary_keys_and_arguments) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_data_type *dt = NULL;
  CHECK_OK(qv_type_dictionary(qv_type_primitive(QV_INT32), qv_type_primitive(QV_UTF8), false, &dt, &err), &err);
  const char *dict_words[] = {"red", "green", "blue"};
  qv_array_builder b;
  CHECK_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_UTF8), &err), &err);
  for (int i = 0; i < 3; i++)
    CHECK_OK(qv_array_builder_append_binary(&b, dict_words[i], (int64_t)strlen(dict_words[i]), &err), &err);
  qv_array *dict;
  CHECK_OK(qv_array_builder_finish(&b, &dict, &err), &err);
  int32_t idx[] = {0, 1, 2, 1, 0, 0, 2, 1};
  uint8_t valid = 0xBF; /* row 6 is null */
  qv_buffer *ib, *vb;
  CHECK_OK(qv_buffer_copy(qv_default_allocator(), idx, sizeof idx, &ib, &err), &err);
  CHECK_OK(qv_buffer_copy(qv_default_allocator(), &valid, 1, &vb, &err), &err);
  qv_buffer *bufs[2] = {vb, ib};
  qv_array *da;
  CHECK_OK(qv_array_create(dt, 8, 0, 1, bufs, 2, NULL, 0, dict, &da, &err), &err);
  const char *names[] = {"color", "shade"};
  qv_data_type *types[] = {dt, dt};
  qv_schema *s = schema_of(2, names, types);
  qv_array *cols[2] = {da, da};
  qv_record_batch *batch;
  CHECK_OK(qv_record_batch_create(s, 8, cols, 2, &batch, &err), &err);
  qv_exec_plan *in = scan_of(s, &batch, 1, 1), *ha = NULL;
  qv_expr *g = col(in, "color"), *sh = col(in, "shade");
  qv_aggregate_expr *aggs[3] = {agg(NULL, "count", NULL, false), agg(NULL, "max", sh, false),
                                agg(NULL, "count", sh, true)};
  CHECK(aggs[1] && qv_type_id_of(qv_aggregate_type(aggs[1])) == QV_UTF8);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_SINGLE, in, &g, names, 1, aggs, 3, &ha, &err), &err);
  rows got;
  CHECK_OK(collect_rows(ha, ctx, 0, &got, &err), &err);
  CHECK_EQ_INT(got.n, 4);
  CHECK_STR_EQ(got.s[0], "'blue'|1|'blue'|1");
  CHECK_STR_EQ(got.s[1], "'green'|3|'green'|1");
  CHECK_STR_EQ(got.s[2], "'red'|3|'red'|1");
  CHECK_STR_EQ(got.s[3], "NULL|1|NULL|0");
  rows_reset(&got);
  for (int i = 0; i < 3; i++) qv_aggregate_unref(aggs[i]);
  qv_expr_unref(g);
  qv_expr_unref(sh);
  qv_exec_plan_unref(ha);
  qv_exec_plan_unref(in);
  qv_schema_unref(s);
  qv_array_unref(da);
  qv_array_unref(dict);
  qv_buffer_unref(ib);
  qv_buffer_unref(vb);
  qv_type_unref(dt);
  qv_task_context_unref(ctx);
}

QV_TEST(hash_aggregate_count_distinct_across_partitions) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  /* k = row % 3, s = a word; the same (k, s) pairs recur in every partition. */
  const char *names[] = {"k", "s"};
  qv_data_type *types[] = {qv_type_primitive(QV_INT64), qv_type_primitive(QV_UTF8)};
  qv_schema *s = schema_of(2, names, types);
  enum { PARTS = 3, ROWS = 300 };
  qv_record_batch *bs[PARTS];
  bool seen[3][10] = {{false}};
  for (int p = 0; p < PARTS; p++) {
    qv_array_builder kb, sb;
    CHECK_OK(qv_array_builder_init(&kb, NULL, types[0], &err), &err);
    CHECK_OK(qv_array_builder_init(&sb, NULL, types[1], &err), &err);
    for (int r = 0; r < ROWS; r++) {
      int k = r % 3, w = (r * 7 + p) % 10;
      CHECK_OK(qv_array_builder_append_int(&kb, k, &err), &err);
      if (w == 9) {
        CHECK_OK(qv_array_builder_append_null(&sb, &err), &err);
        continue;
      }
      CHECK_OK(qv_array_builder_append_binary(&sb, words[w], w == 8 ? 3 : (int64_t)strlen(words[w]), &err), &err);
      seen[k][w] = true;
    }
    qv_array *cols[2];
    CHECK_OK(qv_array_builder_finish(&kb, &cols[0], &err), &err);
    CHECK_OK(qv_array_builder_finish(&sb, &cols[1], &err), &err);
    CHECK_OK(qv_record_batch_create(s, ROWS, cols, 2, &bs[p], &err), &err);
    qv_array_unref(cols[0]);
    qv_array_unref(cols[1]);
  }
  qv_exec_plan *in = scan_of(s, bs, PARTS, 1);
  qv_expr *g = col(in, "k"), *se = col(in, "s");
  qv_aggregate_expr *aggs[2] = {agg(NULL, "count", se, true), agg(NULL, "count", se, false)};
  rows want = {0};
  for (int k = 0; k < 3; k++) {
    int d = 0;
    for (int w = 0; w < 10; w++) d += seen[k][w];
    char line[64];
    int nonnull = 0;
    for (int p = 0; p < PARTS; p++)
      for (int r = k; r < ROWS; r += 3) nonnull += (r * 7 + p) % 10 != 9;
    snprintf(line, sizeof line, "%d|%d|%d", k, d, nonnull);
    rows_add(&want, line);
  }
  rows_sort(&want);
  agg_spec sp = {&g, names, 1, aggs, 2};
  CHECK(check_all_modes(in, &sp, ctx, &want));
  rows_reset(&want);
  qv_aggregate_unref(aggs[0]);
  qv_aggregate_unref(aggs[1]);
  qv_expr_unref(g);
  qv_expr_unref(se);
  qv_exec_plan_unref(in);
  qv_schema_unref(s);
  qv_task_context_unref(ctx);
}

/* A user aggregate: sum of squares of int64, state [sumsq int64]. */
typedef struct sumsq_acc {
  qv_group_accumulator vt;
  int64_t *v;
  int64_t n;
} sumsq_acc;

static qv_status sumsq_add(qv_group_accumulator *acc, qv_array *const *a, int32_t n_a, const uint32_t *g, int64_t n,
                           int64_t n_groups, bool square, qv_error *err) {
  sumsq_acc *s = (sumsq_acc *)acc;
  if (n_groups > s->n) {
    int64_t *p = realloc(s->v, (size_t)n_groups * sizeof *p);
    if (!p) return qv_error_set(err, QV_NOMEM, "sumsq: out of memory");
    memset(p + s->n, 0, (size_t)(n_groups - s->n) * sizeof *p);
    s->v = p;
    s->n = n_groups;
  }
  const int64_t *x = (const int64_t *)(const void *)qv_buffer_data(qv_array_buffer(a[0], 1)) + qv_array_offset(a[0]);
  for (int64_t i = 0; i < n; i++)
    if (qv_array_is_valid(a[0], i)) s->v[g[i]] += square ? x[i] * x[i] : x[i];
  return QV_OK;
}

static qv_status sumsq_update(qv_group_accumulator *acc, qv_array *const *a, int32_t n_a, const uint32_t *g, int64_t n,
                              int64_t n_groups, qv_error *err) {
  return sumsq_add(acc, a, n_a, g, n, n_groups, true, err);
}

static qv_status sumsq_merge(qv_group_accumulator *acc, qv_array *const *a, int32_t n_a, const uint32_t *g, int64_t n,
                             int64_t n_groups, qv_error *err) {
  return sumsq_add(acc, a, n_a, g, n, n_groups, false, err);
}

static qv_status sumsq_out(qv_group_accumulator *acc, qv_array **out, qv_error *err) {
  sumsq_acc *s = (sumsq_acc *)acc;
  qv_buffer *b = NULL;
  QV_RETURN_NOT_OK(qv_buffer_copy(qv_default_allocator(), s->v, s->n * 8, &b, err));
  qv_buffer *bufs[2] = {NULL, b};
  qv_status st = qv_array_create(qv_type_primitive(QV_INT64), s->n, 0, 0, bufs, 2, NULL, 0, NULL, out, err);
  qv_buffer_unref(b);
  return st;
}

static int64_t sumsq_size(const qv_group_accumulator *acc) { return ((const sumsq_acc *)acc)->n * 8; }

static void sumsq_destroy(qv_group_accumulator *acc) {
  free(((sumsq_acc *)acc)->v);
  free(acc);
}

static qv_status sumsq_create(void *user_data, qv_group_accumulator **out, qv_error *err) {
  sumsq_acc *s = calloc(1, sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "sumsq: out of memory");
  s->vt = (qv_group_accumulator){sumsq_update, sumsq_merge, sumsq_out, sumsq_out, sumsq_size, sumsq_destroy};
  *out = &s->vt;
  return QV_OK;
}

static qv_session_state_builder *builder_with_sumsq(void) {
  qv_session_state_builder *b = NULL;
  qv_field *state = NULL;
  qv_data_type *arg = qv_type_primitive(QV_INT64);
  if (qv_session_state_builder_create(&b, NULL)) return NULL;
  if (qv_field_create("sumsq", arg, false, NULL, &state, NULL)) return NULL;
  qv_aggregate_udf udf = {.name = "sumsq", .n_args = 1, .arg_types = &arg, .return_type = arg,
                          .n_state_fields = 1, .state_fields = &state, .create_accumulator = sumsq_create};
  qv_status st = qv_session_state_builder_add_aggregate_udf(b, &udf, NULL);
  qv_field_unref(state);
  return st ? NULL : b;
}

QV_TEST(hash_aggregate_user_aggregate_partial_and_final) {
  qv_error err = {0};
  qv_session_state_builder *b = builder_with_sumsq();
  CHECK(b);
  qv_task_context *ctx = context_with(NULL, NULL, b);
  qv_session_state_builder_destroy(b);
  CHECK(ctx);
  const qv_session_state *session = qv_task_context_session(ctx);
  qv_data_type *t = qv_type_primitive(QV_INT64);
  const char *names[] = {"k"};
  qv_exec_plan *in = keyed_table(&t, names, 1, keys_mod4, 3, 3, 400, 77);
  CHECK(in);
  /* Reference: sum(v*v) per key straight from the rows. */
  qv_record_batch **bs;
  int64_t n;
  CHECK_OK(qv_exec_plan_collect(in, ctx, &bs, &n, &err), &err);
  int64_t ref[4] = {0};
  for (int64_t i = 0; i < n; i++) {
    qv_array *k = qv_record_batch_column(bs[i], 0), *v = qv_record_batch_column(bs[i], 1);
    const int64_t *kk = (const int64_t *)(const void *)qv_buffer_data(qv_array_buffer(k, 1));
    const int64_t *vv = (const int64_t *)(const void *)qv_buffer_data(qv_array_buffer(v, 1));
    for (int64_t r = 0; r < qv_record_batch_num_rows(bs[i]); r++)
      if (qv_array_is_valid(v, r)) ref[kk[r] + 1] += vv[r] * vv[r];
  }
  qv_test_free_batches(bs, n);
  rows want = {0};
  for (int k = 0; k < 4; k++) {
    char line[64];
    snprintf(line, sizeof line, "%d|%lld", k - 1, (long long)ref[k]);
    rows_add(&want, line);
  }
  rows_sort(&want);
  qv_expr *g = col(in, "k"), *v = col(in, "v");
  qv_aggregate_expr *a = agg(session, "sumsq", v, false);
  CHECK(a);
  agg_spec sp = {&g, names, 1, &a, 1};
  CHECK(check_all_modes(in, &sp, ctx, &want));
  rows_reset(&want);
  qv_aggregate_unref(a);
  qv_expr_unref(g);
  qv_expr_unref(v);
  qv_exec_plan_unref(in);
  qv_task_context_unref(ctx);
}

QV_TEST(hash_aggregate_memory_limit_is_resource_exhausted) {
  qv_error err = {0};
  qv_task_context *ctx = context_with("memory_limit", "1m", NULL);
  CHECK(ctx);
  qv_data_type *t = qv_type_primitive(QV_INT64);
  const char *names[] = {"k"};
  /* 300k distinct keys: far more than 1 MiB of table and states. */
  qv_exec_plan *in = NULL, *ha = NULL, *ha2 = NULL;
  const char *n2[] = {"k", "v"};
  qv_data_type *t2[] = {t, t};
  qv_schema *s = schema_of(2, n2, t2);
  enum { ROWS = 300000 };
  int64_t *k = malloc(ROWS * 8);
  for (int64_t i = 0; i < ROWS; i++) k[i] = i * 31;
  qv_buffer *kb;
  CHECK_OK(qv_buffer_copy(qv_default_allocator(), k, ROWS * 8, &kb, &err), &err);
  free(k);
  qv_buffer *bufs[2] = {NULL, kb};
  qv_array *a;
  CHECK_OK(qv_array_create(t, ROWS, 0, 0, bufs, 2, NULL, 0, NULL, &a, &err), &err);
  qv_array *cols[2] = {a, a};
  qv_record_batch *batch;
  CHECK_OK(qv_record_batch_create(s, ROWS, cols, 2, &batch, &err), &err);
  in = scan_of(s, &batch, 1, 1);
  qv_expr *g = col(in, "k"), *v = col(in, "v");
  qv_aggregate_expr *sum = agg(NULL, "sum", v, false);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_SINGLE, in, &g, names, 1, &sum, 1, &ha, &err), &err);
  qv_record_batch **out = NULL;
  int64_t n = 0;
  CHECK_STATUS(qv_exec_plan_collect(ha, ctx, &out, &n, &err), QV_RESOURCE_EXHAUSTED);
  CHECK(strstr(err.message, "HashAggregateExec: memory limit of 1048576 bytes exceeded") == err.message);
  /* Two keys take the general (row format) path; it fails the same way. */
  qv_expr *g2[2] = {g, v};
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_PARTIAL, in, g2, n2, 2, &sum, 1, &ha2, &err), &err);
  CHECK_STATUS(qv_exec_plan_collect(ha2, ctx, &out, &n, &err), QV_RESOURCE_EXHAUSTED);
  CHECK(strstr(err.message, "HashAggregateExec: memory limit of 1048576 bytes exceeded") == err.message);
  qv_exec_plan_unref(ha2);
  /* Without groups the DISTINCT set is what grows past the limit (batches
   * of 30000 rows, so that the per-batch scratch fits). */
  qv_record_batch *slices[10];
  for (int i = 0; i < 10; i++) CHECK_OK(qv_record_batch_slice(batch, i * 30000, 30000, &slices[i], &err), &err);
  qv_exec_plan *in2 = scan_of(s, slices, 1, 10);
  qv_aggregate_expr *cd = agg(NULL, "count", v, true);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_SINGLE, in2, NULL, NULL, 0, &cd, 1, &ha2, &err), &err);
  qv_exec_plan_unref(in2);
  CHECK_STATUS(qv_exec_plan_collect(ha2, ctx, &out, &n, &err), QV_RESOURCE_EXHAUSTED);
  CHECK(strstr(err.message, "HashAggregateExec: memory limit of 1048576 bytes exceeded") == err.message);
  if (!strstr(err.message, "count(DISTINCT v)")) fprintf(stderr, "  message: %s\n", err.message);
  CHECK(strstr(err.message, "count(DISTINCT v)"));
  qv_exec_plan_unref(ha2);
  qv_aggregate_unref(cd);
  qv_aggregate_unref(sum);
  qv_expr_unref(g);
  qv_expr_unref(v);
  qv_exec_plan_unref(ha);
  qv_exec_plan_unref(in);
  qv_array_unref(a);
  qv_buffer_unref(kb);
  qv_schema_unref(s);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(qv_task_context_allocator(ctx)), 0);
  qv_task_context_unref(ctx);
}

QV_TEST(hash_aggregate_output_batches_respect_batch_size) {
  qv_error err = {0};
  qv_task_context *ctx = context_with("batch_size", "1000", NULL);
  CHECK(ctx);
  qv_exec_plan *in = qv_test_int64_scan(2, 5, 500), *ha = NULL, *co = NULL; /* 5000 distinct values */
  CHECK_OK(qv_plan_coalesce_partitions(in, &co, &err), &err);
  qv_expr *g = col(co, "v");
  const char *names[] = {"v"};
  qv_aggregate_expr *c = agg(NULL, "count", NULL, false);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_SINGLE, co, &g, names, 1, &c, 1, &ha, &err), &err);
  rows got;
  CHECK_OK(collect_rows(ha, ctx, 1000, &got, &err), &err);
  CHECK_EQ_INT(got.n, 5000);
  rows_reset(&got);
  /* Group by without aggregates: the distinct keys. */
  qv_exec_plan *distinct = NULL;
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_SINGLE, co, &g, names, 1, NULL, 0, &distinct, &err), &err);
  CHECK_OK(collect_rows(distinct, ctx, 1000, &got, &err), &err);
  CHECK_EQ_INT(got.n, 5000);
  rows_reset(&got);
  qv_exec_plan_unref(distinct);
  qv_aggregate_unref(c);
  qv_expr_unref(g);
  qv_exec_plan_unref(ha);
  qv_exec_plan_unref(co);
  qv_exec_plan_unref(in);
  qv_task_context_unref(ctx);
}

QV_TEST(hash_aggregate_explain_and_plan_checks) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_data_type *t = qv_type_primitive(QV_INT64);
  const char *names[] = {"k"};
  qv_exec_plan *in = keyed_table(&t, names, 1, keys_mod4, 2, 1, 10, 3), *partial = NULL, *final = NULL, *bad = NULL;
  qv_expr *g = col(in, "k"), *v = col(in, "v");
  qv_aggregate_expr *aggs[2] = {agg(NULL, "sum", v, false), agg(NULL, "count", NULL, false)};
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_PARTIAL, in, &g, names, 1, aggs, 2, &partial, &err), &err);
  qv_schema *ps = qv_exec_plan_schema(partial);
  CHECK_EQ_INT(qv_schema_num_fields(ps), 3);
  CHECK_STR_EQ(qv_field_name(qv_schema_field(ps, 1)), "sum(v)[sum]");
  CHECK_STR_EQ(qv_field_name(qv_schema_field(ps, 2)), "count(*)[count]");
  char *text = NULL;
  CHECK_OK(qv_exec_plan_explain(partial, &text, &err), &err);
  bool shape = strstr(text, "HashAggregateExec: mode=Partial, gby=[") == text && strstr(text, "], aggr=[sum(") &&
               strstr(text, "count(*)]\n");
  if (!shape) fprintf(stderr, "  explain: %s", text);
  free(text);
  CHECK(shape);
  /* Final needs one input partition, and a Partial layout. */
  CHECK_STATUS(qv_plan_hash_aggregate(QV_AGG_FINAL, partial, &g, names, 1, aggs, 2, &bad, &err), QV_INVALID);
  CHECK(strstr(err.message, "HashAggregateExec"));
  CHECK_STATUS(qv_plan_hash_aggregate(QV_AGG_FINAL_PARTITIONED, in, &g, names, 1, aggs, 2, &bad, &err), QV_INVALID);
  qv_aggregate_expr *avg = agg(NULL, "avg", v, false); /* state: decimal sum, count */
  CHECK_STATUS(qv_plan_hash_aggregate(QV_AGG_FINAL_PARTITIONED, partial, &g, names, 1, &avg, 1, &bad, &err),
               QV_TYPE_ERROR);
  CHECK(strstr(err.message, "avg(v)[sum]"));
  qv_aggregate_unref(avg);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_FINAL_PARTITIONED, partial, &g, names, 1, aggs, 2, &final, &err), &err);
  CHECK_EQ_INT(qv_exec_plan_num_partitions(final), 2);
  /* What the plan codec reads back. */
  CHECK_EQ_INT(qv__hash_aggregate_mode(final), QV_AGG_FINAL_PARTITIONED);
  CHECK_EQ_INT(qv__hash_aggregate_num_groups(final), 1);
  CHECK(qv__hash_aggregate_group(final, 0) == g);
  CHECK_EQ_INT(qv__hash_aggregate_num_aggs(final), 2);
  CHECK(qv__hash_aggregate_agg(final, 1) == aggs[1]);
  CHECK_STR_EQ(qv_field_name(qv_schema_field(qv_exec_plan_schema(final), 1)), "sum(v)");
  CHECK(!qv_field_nullable(qv_schema_field(qv_exec_plan_schema(final), 2)));
  qv_exec_plan_unref(final);
  qv_aggregate_unref(aggs[0]);
  qv_aggregate_unref(aggs[1]);
  qv_expr_unref(g);
  qv_expr_unref(v);
  qv_exec_plan_unref(partial);
  qv_exec_plan_unref(in);
  qv_task_context_unref(ctx);
}

QV_TEST(hash_aggregate_errors_name_the_operator_and_aggregate) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_exec_plan *in = qv_test_int64_scan(1, 1, 4), *ha = NULL;
  /* Two batches whose sum overflows int64. */
  const char *n1[] = {"v"};
  qv_data_type *t = qv_type_primitive(QV_INT64);
  qv_schema *s = schema_of(1, n1, &t);
  qv_record_batch *bs[2] = {qv_test_int64_batch(s, INT64_MAX - 1, 1), qv_test_int64_batch(s, 5, 1)};
  qv_exec_plan_unref(in);
  in = scan_of(s, bs, 1, 2);
  qv_expr *v = col(in, "v");
  qv_aggregate_expr *sum = agg(NULL, "sum", v, false);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_SINGLE, in, NULL, NULL, 0, &sum, 1, &ha, &err), &err);
  qv_record_batch **out;
  int64_t n;
  CHECK_STATUS(qv_exec_plan_collect(ha, ctx, &out, &n, &err), QV_OUT_OF_RANGE);
  CHECK(strstr(err.message, "HashAggregateExec") == err.message);
  CHECK(strstr(err.message, "integer overflow"));
  qv_aggregate_unref(sum);
  qv_expr_unref(v);
  qv_exec_plan_unref(ha);
  qv_exec_plan_unref(in);
  qv_schema_unref(s);
  qv_task_context_unref(ctx);
}

QV_TEST(hash_aggregate_every_failed_allocation_is_reported_and_freed) {
  /* String and integer keys, DISTINCT, string min/max and avg: fail the
   * pool's 1st, 2nd, ... allocation until a run gets through. Each failing
   * run must report the failure and give every byte back. */
  qv_error err = {0};
  qv_data_type *types[] = {qv_type_primitive(QV_UTF8), qv_type_primitive(QV_INT32)};
  const char *names[] = {"s", "i"};
  qv_exec_plan *in = keyed_table(types, names, 2, keys_string_int, 2, 2, 200, 42);
  CHECK(in);
  qv_expr *gs[2] = {col(in, "s"), col(in, "i")}, *v = col(in, "v"), *s = col(in, "s");
  qv_aggregate_expr *aggs[4] = {agg(NULL, "count", v, true), agg(NULL, "max", s, false), agg(NULL, "avg", v, false),
                                agg(NULL, "min", v, false)};
  qv_exec_plan *partial = NULL, *co = NULL, *final = NULL, *single = NULL, *by_str = NULL;
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_PARTIAL, in, gs, names, 2, aggs, 4, &partial, &err), &err);
  CHECK_OK(qv_plan_coalesce_partitions(partial, &co, &err), &err);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_FINAL, co, gs, names, 2, aggs, 4, &final, &err), &err);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_SINGLE, in, &gs[1], &names[1], 1, aggs, 4, &single, &err), &err);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_SINGLE, in, gs, names, 1, aggs, 4, &by_str, &err), &err);
  qv_exec_plan *plans[3] = {final, single, by_str}; /* general, fast and string key paths */
  for (int p = 0; p < 3; p++) {
    bool passed = false;
    int failures = 0;
    for (int64_t nth = 1; nth < 5000 && !passed; nth++) {
      qv_task_context *ctx = qv_test_context();
      CHECK(ctx);
      qv_allocator_fail_after(qv_task_context_allocator(ctx), nth);
      qv_record_batch **out = NULL;
      int64_t n = 0;
      qv_status st = qv_exec_plan_collect(plans[p], ctx, &out, &n, &err);
      if (st == QV_OK) {
        passed = true;
        qv_test_free_batches(out, n);
      } else {
        failures++;
        if (st != QV_NOMEM)
          fprintf(stderr, "  allocation %lld: %s: %s\n", (long long)nth, qv_status_name(st), err.message);
        CHECK_EQ_INT(st, QV_NOMEM);
        CHECK(strstr(err.message, "HashAggregateExec") || strstr(err.message, "out of memory") ||
              strstr(err.message, "cannot allocate"));
      }
      CHECK_EQ_INT(qv_allocator_bytes_allocated(qv_task_context_allocator(ctx)), 0);
      qv_task_context_unref(ctx);
    }
    CHECK(passed);
    CHECK(failures > 20);
  }
  for (int i = 0; i < 4; i++) qv_aggregate_unref(aggs[i]);
  qv_expr_unref(gs[0]);
  qv_expr_unref(gs[1]);
  qv_expr_unref(v);
  qv_expr_unref(s);
  qv_exec_plan_unref(single);
  qv_exec_plan_unref(by_str);
  qv_exec_plan_unref(final);
  qv_exec_plan_unref(co);
  qv_exec_plan_unref(partial);
  qv_exec_plan_unref(in);
}
