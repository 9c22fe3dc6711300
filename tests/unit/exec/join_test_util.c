/* Helpers for the join tests (see join_test_util.h). The reference join is a
 * plain double loop over rows written from the definitions of each join
 * type, independent of the operators' code. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "join_test_util.h"
#include "quiver/compute.h"
#include "quiver/expr.h"

static const char *const STRINGS[] = {"", "x", "y", "xy", "a longer string value, 0123456789"};
#define N_STRINGS 5

uint64_t jt_rand(uint64_t *state) {
  uint64_t x = *state += UINT64_C(0x9E3779B97F4A7C15);
  x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
  return x ^ (x >> 31);
}

static qv_schema *table_schema(const char *prefix) {
  char names[4][32];
  const char *base[4] = {"k1", "k2", "id", "f"};
  qv_type_id types[4] = {QV_INT64, QV_UTF8, QV_INT64, QV_INT64};
  bool nullable[4] = {true, true, false, true};
  qv_field *fields[4];
  for (int i = 0; i < 4; i++) {
    snprintf(names[i], sizeof names[i], "%s%s", prefix, base[i]);
    if (qv_field_create(names[i], qv_type_primitive(types[i]), nullable[i], NULL, &fields[i], NULL)) return NULL;
  }
  qv_schema *s = NULL;
  if (qv_schema_create(fields, 4, NULL, &s, NULL)) s = NULL;
  for (int i = 0; i < 4; i++) qv_field_unref(fields[i]);
  return s;
}

void jt_table_random(jt_table *t, uint64_t *rng, int64_t n, int32_t domain, int32_t null_pct, int64_t first_id,
                     const char *prefix) {
  memset(t, 0, sizeof *t);
  t->rows = calloc((size_t)(n ? n : 1), sizeof *t->rows);
  t->n = n;
  t->n_parts = 1;
  t->schema = table_schema(prefix);
  for (int64_t i = 0; i < n; i++) {
    jt_row *r = &t->rows[i];
    r->k1 = (int64_t)(jt_rand(rng) % (uint64_t)domain) - 1; /* negative keys too */
    r->k2 = (int32_t)(jt_rand(rng) % (uint64_t)(domain < N_STRINGS ? domain : N_STRINGS));
    r->f = (int64_t)(jt_rand(rng) % 10);
    r->k1_null = (int32_t)(jt_rand(rng) % 100) < null_pct;
    r->k2_null = (int32_t)(jt_rand(rng) % 100) < null_pct;
    r->f_null = (int32_t)(jt_rand(rng) % 100) < 15;
    r->id = first_id + i;
  }
}

void jt_table_reset(jt_table *t) {
  free(t->rows);
  qv_schema_unref(t->schema);
  memset(t, 0, sizeof *t);
}

/* The columns of rows idx[0..n) of t. */
static void build_columns(const jt_table *t, const int64_t *idx, int64_t n, qv_array **cols) {
  qv_array_builder b[4];
  qv_type_id types[4] = {QV_INT64, QV_UTF8, QV_INT64, QV_INT64};
  for (int c = 0; c < 4; c++) {
    if (qv_array_builder_init(&b[c], NULL, qv_type_primitive(types[c]), NULL)) abort();
  }
  for (int64_t i = 0; i < n; i++) {
    const jt_row *r = &t->rows[idx[i]];
    qv_status st = r->k1_null ? qv_array_builder_append_null(&b[0], NULL)
                              : qv_array_builder_append_int(&b[0], r->k1, NULL);
    if (!st) {
      st = r->k2_null ? qv_array_builder_append_null(&b[1], NULL)
                      : qv_array_builder_append_binary(&b[1], STRINGS[r->k2], (int64_t)strlen(STRINGS[r->k2]), NULL);
    }
    if (!st) st = qv_array_builder_append_int(&b[2], r->id, NULL);
    if (!st)
      st = r->f_null ? qv_array_builder_append_null(&b[3], NULL) : qv_array_builder_append_int(&b[3], r->f, NULL);
    if (st) abort();
  }
  for (int c = 0; c < 4; c++)
    if (qv_array_builder_finish(&b[c], &cols[c], NULL)) abort();
}

void jt_table_partition(jt_table *t, uint64_t *rng, int32_t n_parts, bool by_hash, jt_keys keys) {
  t->n_parts = n_parts;
  if (!by_hash) {
    for (int64_t i = 0; i < t->n; i++) t->rows[i].part = (int32_t)(jt_rand(rng) % (uint64_t)n_parts);
    return;
  }
  if (t->n == 0) return;
  int64_t *idx = malloc((size_t)t->n * sizeof *idx);
  for (int64_t i = 0; i < t->n; i++) idx[i] = i;
  qv_array *cols[4];
  build_columns(t, idx, t->n, cols);
  const qv_array *key_cols[2];
  int32_t nk = 0;
  if (keys != JT_KEY_STR) key_cols[nk++] = cols[0];
  if (keys != JT_KEY_INT) key_cols[nk++] = cols[1];
  uint64_t *h = malloc((size_t)t->n * sizeof *h);
  if (qv_hash_columns(key_cols, nk, t->n, h, NULL)) abort();
  for (int64_t i = 0; i < t->n; i++) t->rows[i].part = qv_hash_partition(h[i], n_parts);
  free(h);
  free(idx);
  for (int c = 0; c < 4; c++) qv_array_unref(cols[c]);
}

qv_exec_plan *jt_table_scan(const jt_table *t, uint64_t *rng, int32_t max_batch) {
  int32_t P = t->n_parts;
  qv_record_batch ***all = calloc((size_t)P, sizeof *all);
  int64_t *counts = calloc((size_t)P, sizeof *counts);
  int64_t *idx = malloc((size_t)(t->n + 1) * sizeof *idx);
  for (int32_t p = 0; p < P; p++) {
    int64_t n = 0;
    for (int64_t i = 0; i < t->n; i++)
      if (t->rows[i].part == p) idx[n++] = i;
    /* Every row once, in batches of 1..max_batch rows, with an empty batch
     * now and then. */
    all[p] = calloc((size_t)(2 * n + 2), sizeof **all);
    int64_t at = 0;
    do {
      int64_t size = jt_rand(rng) % 5 == 0 && counts[p] < n ? 0 : 1 + (int64_t)(jt_rand(rng) % (uint64_t)max_batch);
      if (size > n - at) size = n - at;
      qv_array *cols[4];
      build_columns(t, idx + at, size, cols);
      if (qv_record_batch_create(t->schema, size, cols, 4, &all[p][counts[p]], NULL)) abort();
      for (int c = 0; c < 4; c++) qv_array_unref(cols[c]);
      counts[p]++;
      at += size;
    } while (at < n && counts[p] < 2 * n + 1);
    if (at < n) abort();
  }
  qv_exec_plan *plan = NULL;
  if (qv_plan_memory_scan(t->schema, (qv_record_batch *const *const *)all, counts, P, &plan, NULL)) plan = NULL;
  for (int32_t p = 0; p < P; p++) {
    for (int64_t b = 0; b < counts[p]; b++) qv_record_batch_unref(all[p][b]);
    free(all[p]);
  }
  free(all);
  free(counts);
  free(idx);
  return plan;
}

void jt_key_exprs(qv_schema *s, jt_keys keys, qv_expr **out, int32_t *n) {
  *n = 0;
  if (keys != JT_KEY_STR && qv_expr_column(s, 0, &out[(*n)++], NULL)) abort();
  if (keys != JT_KEY_INT && qv_expr_column(s, 1, &out[(*n)++], NULL)) abort();
}

qv_expr *jt_filter(qv_schema *left, qv_schema *right) { return jt_condition(left, right, false, JT_KEY_INT); }

qv_expr *jt_condition(qv_schema *left, qv_schema *right, bool with_keys, jt_keys keys) {
  qv_field *fields[8];
  for (int i = 0; i < 4; i++) {
    fields[i] = qv_schema_field(left, i);
    fields[4 + i] = qv_schema_field(right, i);
  }
  qv_schema *concat = NULL;
  qv_expr *a = NULL, *b = NULL, *f = NULL;
  if (qv_schema_create(fields, 8, NULL, &concat, NULL)) abort();
  if (qv_expr_column(concat, 3, &a, NULL) || qv_expr_column(concat, 7, &b, NULL)) abort();
  if (qv_expr_binary(QV_OP_LT, a, b, &f, NULL)) abort();
  qv_expr_unref(a);
  qv_expr_unref(b);
  for (int c = 0; with_keys && c < 2; c++) {
    if ((c == 0 && keys == JT_KEY_STR) || (c == 1 && keys == JT_KEY_INT)) continue;
    qv_expr *eq = NULL, *both = NULL;
    if (qv_expr_column(concat, c, &a, NULL) || qv_expr_column(concat, 4 + c, &b, NULL)) abort();
    if (qv_expr_binary(QV_OP_EQ, a, b, &eq, NULL) || qv_expr_binary(QV_OP_AND, eq, f, &both, NULL)) abort();
    qv_expr_unref(a);
    qv_expr_unref(b);
    qv_expr_unref(eq);
    qv_expr_unref(f);
    f = both;
  }
  qv_schema_unref(concat);
  return f;
}

/* ---- the reference -------------------------------------------------------- */

typedef struct strlist {
  char **v;
  int64_t n, cap;
} strlist;

static void push(strlist *l, char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
  }
  l->v[l->n++] = s;
}

static void fmt_row(char *buf, size_t size, const jt_row *r) {
  char k1[32], k2[64], f[32];
  if (r->k1_null) snprintf(k1, sizeof k1, "N");
  else snprintf(k1, sizeof k1, "%" PRId64, r->k1);
  if (r->k2_null) snprintf(k2, sizeof k2, "N");
  else snprintf(k2, sizeof k2, "'%s'", STRINGS[r->k2]);
  if (r->f_null) snprintf(f, sizeof f, "N");
  else snprintf(f, sizeof f, "%" PRId64, r->f);
  /* Rows are short; a truncated one would still compare consistently. */
  if (snprintf(buf, size, "%s|%s|%" PRId64 "|%s", k1, k2, r->id, f) >= (int)size) buf[size - 1] = '\0';
}

static const char NULL_ROW[] = "N|N|N|N";

static char *join_strings(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *s = malloc(n);
  if (!*b) snprintf(s, n, "%s", a);
  else snprintf(s, n, "%s|%s", a, b);
  return s;
}

static bool row_key_null(const jt_row *r, jt_keys keys) {
  return (keys != JT_KEY_STR && r->k1_null) || (keys != JT_KEY_INT && r->k2_null);
}

/* Whether the keys of l and r are equal (NULLs equal only with nulls_equal). */
static bool keys_equal(const jt_row *l, const jt_row *r, jt_keys keys, bool nulls_equal) {
  if (keys != JT_KEY_STR) {
    if (l->k1_null || r->k1_null) {
      if (!(nulls_equal && l->k1_null && r->k1_null)) return false;
    } else if (l->k1 != r->k1) {
      return false;
    }
  }
  if (keys != JT_KEY_INT) {
    if (l->k2_null || r->k2_null) {
      if (!(nulls_equal && l->k2_null && r->k2_null)) return false;
    } else if (l->k2 != r->k2) {
      return false;
    }
  }
  return true;
}

/* l_f < r_f: 1, 0, or -1 for NULL. */
static int filter_value(const jt_row *l, const jt_row *r, bool with_filter) {
  if (!with_filter) return 1;
  if (l->f_null || r->f_null) return -1;
  return l->f < r->f;
}

/* The SQL value of l.k = r.k over the key columns: 1, 0, or -1 (NULL). */
static int keys_equal3(const jt_row *l, const jt_row *r, jt_keys keys) {
  int v = 1;
  if (keys != JT_KEY_STR) {
    if (l->k1_null || r->k1_null) v = -1;
    else if (l->k1 != r->k1) return 0;
  }
  if (keys != JT_KEY_INT) {
    if (l->k2_null || r->k2_null) v = -1;
    else if (l->k2 != r->k2) return 0;
  }
  return v;
}

char **jt_reference(const jt_table *l, const jt_table *r, qv_join_type type, jt_keys keys, jt_semantics semantics,
                    bool nulls_equal, bool with_filter, int64_t *n_out) {
  bool hash_semantics = semantics == JT_HASH;
  strlist out = {0};
  char lb[128], rb[128];
  bool *r_matched = calloc((size_t)(r->n + 1), 1);
  bool right_has_null_key = false;
  for (int64_t j = 0; j < r->n; j++) right_has_null_key |= row_key_null(&r->rows[j], keys);
  for (int64_t i = 0; i < l->n; i++) {
    const jt_row *lr = &l->rows[i];
    fmt_row(lb, sizeof lb, lr);
    bool matched = false, unknown = false;
    for (int64_t j = 0; j < r->n; j++) {
      const jt_row *rr = &r->rows[j];
      bool keq = !hash_semantics || keys_equal(lr, rr, keys, nulls_equal);
      if (!keq) continue;
      int fv = filter_value(lr, rr, with_filter);
      if (semantics == JT_NLJ_KEYS_AND_FILTER) {
        /* (keys equal) AND filter, three-valued */
        int kv = keys_equal3(lr, rr, keys);
        fv = kv == 0 || fv == 0 ? 0 : kv < 0 || fv < 0 ? -1 : 1;
      }
      if (fv < 0) unknown = true;
      if (fv != 1) continue;
      matched = true;
      r_matched[j] = true;
      if (type == QV_JOIN_INNER || type == QV_JOIN_LEFT || type == QV_JOIN_RIGHT || type == QV_JOIN_FULL) {
        fmt_row(rb, sizeof rb, rr);
        push(&out, join_strings(lb, rb));
      }
    }
    if (!matched && (type == QV_JOIN_LEFT || type == QV_JOIN_FULL)) push(&out, join_strings(lb, NULL_ROW));
    if (matched && type == QV_JOIN_LEFT_SEMI) push(&out, join_strings(lb, ""));
    if (!matched && type == QV_JOIN_LEFT_ANTI) push(&out, join_strings(lb, ""));
    if (type == QV_JOIN_LEFT_MARK) {
      if (hash_semantics && !nulls_equal && r->n > 0 && (row_key_null(lr, keys) || right_has_null_key))
        unknown = true;
      push(&out, join_strings(lb, matched ? "T" : unknown ? "N" : "F"));
    }
  }
  for (int64_t j = 0; j < r->n; j++) {
    fmt_row(rb, sizeof rb, &r->rows[j]);
    if (!r_matched[j] && (type == QV_JOIN_RIGHT || type == QV_JOIN_FULL)) push(&out, join_strings(NULL_ROW, rb));
    if (r_matched[j] && type == QV_JOIN_RIGHT_SEMI) push(&out, join_strings(rb, ""));
    if (!r_matched[j] && type == QV_JOIN_RIGHT_ANTI) push(&out, join_strings(rb, ""));
  }
  free(r_matched);
  *n_out = out.n;
  return out.v;
}

/* ---- actual rows ------------------------------------------------------------ */

static void fmt_value(char *buf, size_t size, qv_array *a, int64_t i) {
  if (!qv_array_is_valid(a, i)) {
    snprintf(buf, size, "N");
    return;
  }
  int64_t at = qv_array_offset(a) + i;
  switch (qv_type_id_of(qv_array_type(a))) {
    case QV_INT64:
      snprintf(buf, size, "%" PRId64, ((const int64_t *)qv_buffer_data(qv_array_buffer(a, 1)))[at]);
      return;
    case QV_BOOL: {
      const uint8_t *bits = qv_buffer_data(qv_array_buffer(a, 1));
      snprintf(buf, size, "%s", qv_bit_get(bits, at) ? "T" : "F");
      return;
    }
    case QV_UTF8: {
      const int32_t *off = (const int32_t *)qv_buffer_data(qv_array_buffer(a, 1));
      const char *data = (const char *)qv_buffer_data(qv_array_buffer(a, 2));
      snprintf(buf, size, "'%.*s'", (int)(off[at + 1] - off[at]), data + off[at]);
      return;
    }
    default: snprintf(buf, size, "?"); return;
  }
}

char **jt_rows_of(qv_record_batch **batches, int64_t n, int64_t *n_out) {
  strlist out = {0};
  for (int64_t b = 0; b < n; b++) {
    qv_record_batch *batch = batches[b];
    for (int64_t i = 0; i < qv_record_batch_num_rows(batch); i++) {
      char row[512] = "", v[128];
      size_t len = 0;
      for (int32_t c = 0; c < qv_record_batch_num_columns(batch); c++) {
        fmt_value(v, sizeof v, qv_record_batch_column(batch, c), i);
        len += (size_t)snprintf(row + len, sizeof row - len, "%s%s", c ? "|" : "", v);
      }
      push(&out, strdup(row));
    }
  }
  *n_out = out.n;
  return out.v;
}

static int by_string(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

bool jt_same_rows(char **expected, int64_t n_expected, char **actual, int64_t n_actual, char *msg, size_t msg_size) {
  if (n_expected) qsort(expected, (size_t)n_expected, sizeof *expected, by_string);
  if (n_actual) qsort(actual, (size_t)n_actual, sizeof *actual, by_string);
  bool same = n_expected == n_actual;
  int64_t i = 0;
  for (; same && i < n_expected; i++) same = strcmp(expected[i], actual[i]) == 0;
  if (!same) {
    if (n_expected != n_actual) {
      /* The first row that differs helps more than the counts alone. */
      int64_t k = 0;
      while (k < n_expected && k < n_actual && strcmp(expected[k], actual[k]) == 0) k++;
      snprintf(msg, msg_size, "%lld rows expected, %lld produced; first difference at %lld: expected %s, got %s",
               (long long)n_expected, (long long)n_actual, (long long)k, k < n_expected ? expected[k] : "(end)",
               k < n_actual ? actual[k] : "(end)");
    } else {
      snprintf(msg, msg_size, "row %lld: expected %s, got %s", (long long)(i - 1), expected[i - 1], actual[i - 1]);
    }
  }
  for (int64_t k = 0; k < n_expected; k++) free(expected[k]);
  for (int64_t k = 0; k < n_actual; k++) free(actual[k]);
  free(expected);
  free(actual);
  return same;
}

qv_task_context *jt_context(int32_t batch_size, const char *memory_limit) {
  qv_session_state_builder *b = NULL;
  qv_session_state *s = NULL;
  qv_task_context *ctx = NULL;
  char buf[32];
  snprintf(buf, sizeof buf, "%d", batch_size);
  if (qv_session_state_builder_create(&b, NULL)) return NULL;
  if (qv_session_state_builder_set_config(b, "batch_size", buf, NULL)) abort();
  if (memory_limit && qv_session_state_builder_set_config(b, "memory_limit", memory_limit, NULL)) abort();
  if (qv_session_state_builder_build(b, &s, NULL)) abort();
  qv_session_state_builder_destroy(b);
  if (qv_task_context_create(s, 0, 1, &ctx, NULL)) ctx = NULL;
  qv_session_state_unref(s);
  return ctx;
}
