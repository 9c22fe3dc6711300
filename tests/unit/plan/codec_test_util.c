/* Helpers for the plan codec tests (see codec_test_util.h). */
#include <stdlib.h>
#include <string.h>

#include "codec_test_util.h"
#include "quiver/pretty.h"

static qv_field *field(const char *name, qv_data_type *t, bool nullable) {
  qv_field *f = NULL;
  if (qv_field_create(name, t, nullable, NULL, &f, NULL) != QV_OK) return NULL;
  return f;
}

qv_schema *ct_schema(void) {
  qv_data_type *dec = NULL, *dict = NULL, *ts = NULL;
  if (qv_type_decimal(QV_DECIMAL128, 15, 2, &dec, NULL) != QV_OK) return NULL;
  if (qv_type_dictionary(qv_type_primitive(QV_INT32), qv_type_primitive(QV_UTF8), false, &dict, NULL) != QV_OK)
    return NULL;
  if (qv_type_timestamp(QV_MICRO, "UTC", &ts, NULL) != QV_OK) return NULL;
  qv_field *fields[CT_NCOLS] = {
      field("id", qv_type_primitive(QV_INT64), false), field("i32", qv_type_primitive(QV_INT32), true),
      field("f64", qv_type_primitive(QV_FLOAT64), true), field("s", qv_type_primitive(QV_UTF8), true),
      field("b", qv_type_primitive(QV_BOOL), true),      field("d", qv_type_primitive(QV_DATE32), true),
      field("dec", dec, true),                           field("cat", dict, true),
      field("ts", ts, true)};
  qv_schema *s = NULL;
  if (qv_schema_create(fields, CT_NCOLS, NULL, &s, NULL) != QV_OK) s = NULL;
  for (int i = 0; i < CT_NCOLS; i++) qv_field_unref(fields[i]);
  qv_type_unref(dec);
  qv_type_unref(dict);
  qv_type_unref(ts);
  return s;
}

static const char *const colors[] = {"red", "green", "blue"};

/* Column c, rows start..start+n-1. */
static qv_array *column(qv_data_type *type, int c, int64_t start, int64_t n) {
  qv_array_builder b;
  qv_data_type *build_type = c == CT_CAT ? qv_type_primitive(QV_INT32) : type;
  if (qv_array_builder_init(&b, NULL, build_type, NULL) != QV_OK) return NULL;
  qv_status st = QV_OK;
  for (int64_t k = 0; st == QV_OK && k < n; k++) {
    int64_t id = start + k;
    switch (c) {
      case CT_ID: st = qv_array_builder_append_int(&b, id, NULL); break;
      case CT_I32:
        st = id % 7 == 3 ? qv_array_builder_append_null(&b, NULL) : qv_array_builder_append_int(&b, id % 13 - 6, NULL);
        break;
      case CT_F64: st = qv_array_builder_append_double(&b, (double)id * 0.5 - 3.0, NULL); break;
      case CT_S: {
        char s[16];
        snprintf(s, sizeof s, "s%d", (int)(id % 5));
        st = id % 11 == 5 ? qv_array_builder_append_null(&b, NULL)
                          : qv_array_builder_append_binary(&b, s, (int64_t)strlen(s), NULL);
        break;
      }
      case CT_B: st = qv_array_builder_append_bool(&b, id % 3 == 0, NULL); break;
      case CT_D: st = qv_array_builder_append_int(&b, 10000 + id % 30, NULL); break;
      case CT_DEC: st = qv_array_builder_append_int(&b, id * 125 - 1000, NULL); break;
      case CT_CAT:
        st = id % 9 == 8 ? qv_array_builder_append_null(&b, NULL) : qv_array_builder_append_int(&b, id % 3, NULL);
        break;
      default: st = qv_array_builder_append_int(&b, id * 1000000 + 17, NULL); break;
    }
  }
  qv_array *a = NULL;
  if (st == QV_OK) st = qv_array_builder_finish(&b, &a, NULL);
  else qv_array_builder_reset(&b);
  if (st != QV_OK || c != CT_CAT) return st == QV_OK ? a : NULL;
  /* The indices become a dictionary array over the colors. */
  qv_array_builder vb;
  qv_array *values = NULL, *dict = NULL;
  if (qv_array_builder_init(&vb, NULL, qv_type_primitive(QV_UTF8), NULL) != QV_OK) return NULL;
  for (int i = 0; i < 3; i++)
    if (qv_array_builder_append_binary(&vb, colors[i], (int64_t)strlen(colors[i]), NULL) != QV_OK) return NULL;
  if (qv_array_builder_finish(&vb, &values, NULL) != QV_OK) return NULL;
  qv_buffer *bufs[2] = {qv_array_buffer(a, 0), qv_array_buffer(a, 1)};
  if (qv_array_create(type, n, 0, -1, bufs, 2, NULL, 0, values, &dict, NULL) != QV_OK) dict = NULL;
  qv_array_unref(a);
  qv_array_unref(values);
  return dict;
}

qv_record_batch *ct_batch(int64_t start, int64_t n) {
  qv_schema *s = ct_schema();
  if (!s) return NULL;
  qv_array *cols[CT_NCOLS] = {0};
  bool ok = true;
  for (int c = 0; c < CT_NCOLS; c++)
    ok &= (cols[c] = column(qv_field_type(qv_schema_field(s, c)), c, start, n)) != NULL;
  qv_record_batch *batch = NULL;
  if (!ok || qv_record_batch_create(s, n, cols, CT_NCOLS, &batch, NULL) != QV_OK) batch = NULL;
  for (int c = 0; c < CT_NCOLS; c++) qv_array_unref(cols[c]);
  qv_schema_unref(s);
  return batch;
}

qv_exec_plan *ct_scan(int32_t parts, int32_t batches, int64_t rows) {
  qv_schema *s = ct_schema();
  qv_record_batch ***all = calloc((size_t)parts, sizeof *all);
  int64_t *counts = calloc((size_t)parts, sizeof *counts);
  int64_t next = 0;
  for (int32_t p = 0; p < parts; p++) {
    all[p] = calloc((size_t)batches + 1, sizeof **all);
    counts[p] = batches;
    for (int32_t b = 0; b < batches; b++, next += rows) all[p][b] = ct_batch(next, rows);
  }
  qv_exec_plan *plan = NULL;
  if (qv_plan_memory_scan(s, (qv_record_batch *const *const *)all, counts, parts, &plan, NULL) != QV_OK) plan = NULL;
  for (int32_t p = 0; p < parts; p++) {
    for (int32_t b = 0; b < batches; b++) qv_record_batch_unref(all[p][b]);
    free(all[p]);
  }
  free(all);
  free(counts);
  qv_schema_unref(s);
  return plan;
}

qv_session_state *ct_session(void) {
  qv_session_state *s = NULL;
  if (qv_session_state_create_default(&s, NULL) != QV_OK) return NULL;
  return s;
}

qv_expr *ct_col(const qv_exec_plan *over, int32_t i) {
  qv_expr *e = NULL;
  if (qv_expr_column(qv_exec_plan_schema(over), i, &e, NULL) != QV_OK) return NULL;
  return e;
}

qv_expr *ct_i64(int64_t v) {
  qv_expr *e = NULL;
  if (qv_expr_literal_int64(v, &e, NULL) != QV_OK) return NULL;
  return e;
}

qv_expr *ct_str(const char *s) {
  qv_expr *e = NULL;
  if (qv_expr_literal_string(s, &e, NULL) != QV_OK) return NULL;
  return e;
}

qv_expr *ct_bin(qv_binary_op op, qv_expr *l, qv_expr *r) {
  qv_expr *e = NULL;
  qv_error err;
  qv_error_init(&err);
  if (l && r && qv_expr_binary(op, l, r, &e, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "ct_bin: %s", err.message);
    e = NULL;
  }
  qv_expr_unref(l);
  qv_expr_unref(r);
  return e;
}

/* ---- results ------------------------------------------------------------------ */

static int by_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void ct_free_rows(char **rows, int64_t n) {
  for (int64_t i = 0; rows && i < n; i++) free(rows[i]);
  free(rows);
}

char **ct_rows(qv_exec_plan *p, qv_session_state *s, int64_t *n) {
  *n = 0;
  qv_error err;
  qv_error_init(&err);
  qv_task_context *ctx = NULL;
  qv_record_batch **batches = NULL;
  int64_t nb = 0;
  if (qv_task_context_create(s, 0, 1, &ctx, &err) != QV_OK ||
      qv_exec_plan_collect(p, ctx, &batches, &nb, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "executing the plan: %s", err.message);
    qv_task_context_unref(ctx);
    return NULL;
  }
  /* The batches may come from the context's memory pool: it goes last. */
  int64_t total = 0;
  for (int64_t i = 0; i < nb; i++) total += qv_record_batch_num_rows(batches[i]);
  char **rows = calloc((size_t)(total ? total : 1), sizeof *rows);
  int64_t at = 0;
  for (int64_t i = 0; i < nb; i++) {
    qv_record_batch *b = batches[i];
    for (int64_t r = 0; r < qv_record_batch_num_rows(b); r++) {
      qv_bytes line;
      qv_bytes_init(&line, NULL);
      for (int32_t c = 0; c < qv_record_batch_num_columns(b); c++) {
        if (c && qv_bytes_append(&line, "|", 1, NULL) != QV_OK) break;
        if (qv_format_value(qv_record_batch_column(b, c), r, &line, NULL) != QV_OK) break;
      }
      rows[at] = strndup(line.data ? (const char *)line.data : "", (size_t)line.size);
      at++;
      qv_bytes_reset(&line);
    }
    qv_record_batch_unref(b);
  }
  free(batches);
  qv_task_context_unref(ctx);
  qsort(rows, (size_t)at, sizeof *rows, by_text);
  *n = at;
  return rows;
}

uint8_t *ct_encode(const qv_exec_plan *p, qv_session_state *s, int64_t *len) {
  *len = 0;
  qv_error err;
  qv_error_init(&err);
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  if (qv_plan_encode(p, s, &bytes, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "encoding: %s: %s", qv_status_name(err.code), err.message);
    qv_bytes_reset(&bytes);
    return NULL;
  }
  uint8_t *copy = malloc((size_t)(bytes.size ? bytes.size : 1));
  memcpy(copy, bytes.data, (size_t)bytes.size);
  *len = bytes.size;
  qv_bytes_reset(&bytes);
  return copy;
}

static bool same_rows(qv_exec_plan *a, qv_session_state *sa, qv_exec_plan *b, qv_session_state *sb) {
  int64_t na = 0, nb = 0;
  char **ra = ct_rows(a, sa, &na);
  char **rb = ra ? ct_rows(b, sb, &nb) : NULL;
  bool ok = ra && rb;
  if (ok && na != nb) {
    qv_test_fail(__FILE__, __LINE__, "row counts differ: %lld before, %lld after", (long long)na, (long long)nb);
    ok = false;
  }
  for (int64_t i = 0; ok && i < na; i++) {
    if (strcmp(ra[i], rb[i]) != 0) {
      qv_test_fail(__FILE__, __LINE__, "row %lld differs: '%s' before, '%s' after", (long long)i, ra[i], rb[i]);
      ok = false;
    }
  }
  ct_free_rows(ra, na);
  ct_free_rows(rb, nb);
  return ok;
}

bool ct_ignore_file_count;

/* Drops the digits after "files=" when ct_ignore_file_count is set. */
static void normalize_explain(char *x) {
  if (!ct_ignore_file_count) return;
  for (char *at = x; (at = strstr(at, "files=")) != NULL;) {
    at += 6;
    char *digits_end = at;
    while (*digits_end >= '0' && *digits_end <= '9') digits_end++;
    memmove(at, digits_end, strlen(digits_end) + 1);
  }
}

bool ct_round_trip_sessions(qv_exec_plan *p, qv_session_state *enc, qv_session_state *dec, qv_exec_plan **out) {
  if (out) *out = NULL;
  if (!p) {
    qv_test_fail(__FILE__, __LINE__, "no plan to round-trip");
    return false;
  }
  int64_t len = 0, len2 = 0;
  uint8_t *bytes = ct_encode(p, enc, &len);
  if (!bytes) return false;
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *back = NULL;
  if (qv_plan_decode(bytes, len, dec, &back, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "decoding: %s: %s", qv_status_name(err.code), err.message);
    free(bytes);
    return false;
  }
  bool ok = true;
  char *x1 = NULL, *x2 = NULL;
  if (qv_exec_plan_explain(p, &x1, &err) != QV_OK || qv_exec_plan_explain(back, &x2, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "explain: %s", err.message);
    ok = false;
  } else if (normalize_explain(x1), normalize_explain(x2), strcmp(x1, x2) != 0) {
    qv_test_fail(__FILE__, __LINE__, "EXPLAIN differs after the round trip:\n--- before\n%s--- after\n%s", x1, x2);
    ok = false;
  }
  free(x1);
  free(x2);
  if (ok && !qv_schema_equals(qv_exec_plan_schema(p), qv_exec_plan_schema(back))) {
    qv_test_fail(__FILE__, __LINE__, "the output schema differs after the round trip");
    ok = false;
  }
  if (ok && qv_exec_plan_num_partitions(p) != qv_exec_plan_num_partitions(back)) {
    qv_test_fail(__FILE__, __LINE__, "partition count %d became %d", qv_exec_plan_num_partitions(p),
                 qv_exec_plan_num_partitions(back));
    ok = false;
  }
  if (ok) ok = same_rows(p, enc, back, dec);
  uint8_t *again = ok ? ct_encode(back, dec, &len2) : NULL;
  if (ok && (!again || len != len2 || memcmp(bytes, again, (size_t)len) != 0)) {
    qv_test_fail(__FILE__, __LINE__, "re-encoding the decoded plan gives other bytes (%lld, then %lld)", (long long)len,
                 (long long)len2);
    ok = false;
  }
  free(again);
  free(bytes);
  if (ok && out) *out = back;
  else qv_exec_plan_unref(back);
  return ok;
}

bool ct_round_trip(qv_exec_plan *p) {
  qv_session_state *s = ct_session();
  bool ok = ct_round_trip_sessions(p, s, s, NULL);
  qv_exec_plan_unref(p);
  qv_session_state_unref(s);
  return ok;
}
