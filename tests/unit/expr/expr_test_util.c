/* Helpers for the scalar expression tests (see expr_test_util.h). */
#include "expr_test_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

qv_error et_err;

typedef enum kind { K_ARRAY, K_EXPR, K_TYPE, K_BATCH, K_SCHEMA } kind;
typedef struct tracked {
  kind k;
  void *p;
} tracked;

static tracked *items;
static int n_items, cap_items;
static bool atexit_done;

static void *track(kind k, void *p) {
  if (!p) return NULL;
  if (!atexit_done) {
    atexit(et_free_all);
    atexit_done = true;
  }
  if (n_items == cap_items) {
    cap_items = cap_items ? cap_items * 2 : 64;
    items = realloc(items, (size_t)cap_items * sizeof *items);
  }
  items[n_items].k = k;
  items[n_items].p = p;
  n_items++;
  return p;
}

void et_free_all(void) {
  for (int i = n_items - 1; i >= 0; i--) {
    switch (items[i].k) {
      case K_ARRAY: qv_array_unref(items[i].p); break;
      case K_EXPR: qv_expr_unref(items[i].p); break;
      case K_TYPE: qv_type_unref(items[i].p); break;
      case K_BATCH: qv_record_batch_unref(items[i].p); break;
      case K_SCHEMA: qv_schema_unref(items[i].p); break;
    }
  }
  n_items = 0;
  free(items);
  items = NULL;
  cap_items = 0;
}

qv_array *et_track_array(qv_array *a) { return track(K_ARRAY, a); }
qv_expr *et_track_expr(qv_expr *e) { return track(K_EXPR, e); }
qv_data_type *et_track_type(qv_data_type *t) { return track(K_TYPE, t); }

qv_data_type *et_t(qv_type_id id) { return qv_type_primitive(id); }

qv_data_type *et_dec(int32_t p, int32_t s) {
  qv_data_type *t = NULL;
  if (qv_type_decimal(QV_DECIMAL128, p, s, &t, &et_err)) return NULL;
  return et_track_type(t);
}

qv_data_type *et_ts(qv_time_unit u, const char *tz) {
  qv_data_type *t = NULL;
  if (qv_type_timestamp(u, tz, &t, &et_err)) return NULL;
  return et_track_type(t);
}

static qv_array *build_strs(int n, const char *const *v) {
  qv_array_builder b;
  qv_array *a = NULL;
  if (qv_array_builder_init(&b, NULL, qv_type_primitive(QV_UTF8), &et_err)) return NULL;
  for (int i = 0; i < n; i++) {
    qv_status st = v[i] ? qv_array_builder_append_binary(&b, v[i], (int64_t)strlen(v[i]), &et_err)
                        : qv_array_builder_append_null(&b, &et_err);
    if (st) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  }
  if (qv_array_builder_finish(&b, &a, &et_err)) return NULL;
  return a;
}

qv_array *et_arr(qv_data_type *t, const char *csv) {
  if (!t) return NULL;
  char *copy = strdup(csv);
  size_t cap = 1;
  for (const char *c = csv; *c; c++) cap += *c == ',';
  const char **vals = malloc(cap * sizeof *vals);
  int n = 0;
  if (*csv) {
    for (char *tok = strtok(copy, ","); tok && (size_t)n < cap; tok = strtok(NULL, ",")) {
      while (*tok == ' ') tok++;
      char *end = tok + strlen(tok);
      while (end > tok && end[-1] == ' ') *--end = '\0';
      vals[n++] = strcmp(tok, "NULL") == 0 ? NULL : tok;
    }
  }
  qv_array *s = build_strs(n, vals);
  free(vals);
  free(copy);
  if (!s) return NULL;
  qv_array *out = NULL;
  qv_status st = qv__cast_array(NULL, s, t, &out, &et_err);
  qv_array_unref(s);
  return st ? NULL : et_track_array(out);
}

qv_array *et_strs(int n, ...) {
  const char *vals[512];
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n && i < 512; i++) vals[i] = va_arg(ap, const char *);
  va_end(ap);
  return et_track_array(build_strs(n, vals));
}

qv_array *et_dict(const int32_t *idx, int n, int n_values, ...) {
  const char *vals[512];
  va_list ap;
  va_start(ap, n_values);
  for (int i = 0; i < n_values && i < 512; i++) vals[i] = va_arg(ap, const char *);
  va_end(ap);
  qv_array *values = build_strs(n_values, vals);
  if (!values) return NULL;
  qv_array_builder b;
  qv_array *indices = NULL;
  if (qv_array_builder_init(&b, NULL, qv_type_primitive(QV_INT32), &et_err)) return NULL;
  for (int i = 0; i < n; i++) {
    qv_status st = idx[i] < 0 ? qv_array_builder_append_null(&b, &et_err)
                              : qv_array_builder_append_int(&b, idx[i], &et_err);
    if (st) return NULL;
  }
  if (qv_array_builder_finish(&b, &indices, &et_err)) return NULL;
  qv_data_type *dt = NULL;
  qv_array *out = NULL;
  if (qv_type_dictionary(qv_type_primitive(QV_INT32), qv_type_primitive(QV_UTF8), false, &dt, &et_err) == QV_OK) {
    qv_buffer *bufs[2] = {qv_array_buffer(indices, 0), qv_array_buffer(indices, 1)};
    if (qv_array_create(dt, n, 0, -1, bufs, 2, NULL, 0, values, &out, &et_err)) out = NULL;
  }
  qv_type_unref(dt);
  qv_array_unref(indices);
  qv_array_unref(values);
  return et_track_array(out);
}

qv_record_batch *et_batch(int n, ...) {
  qv_array *cols[32];
  qv_field *fields[32];
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) cols[i] = va_arg(ap, qv_array *);
  va_end(ap);
  int64_t rows = n ? qv_array_length(cols[0]) : 0;
  for (int i = 0; i < n; i++) {
    char name[16];
    snprintf(name, sizeof name, "c%d", i);
    if (!cols[i] || qv_field_create(name, qv_array_type(cols[i]), true, NULL, &fields[i], &et_err)) {
      for (int j = 0; j < i; j++) qv_field_unref(fields[j]);
      return NULL;
    }
  }
  qv_schema *s = NULL;
  qv_record_batch *b = NULL;
  if (qv_schema_create(fields, n, NULL, &s, &et_err) == QV_OK)
    if (qv_record_batch_create(s, rows, cols, n, &b, &et_err)) b = NULL;
  for (int i = 0; i < n; i++) qv_field_unref(fields[i]);
  qv_schema_unref(s);
  return track(K_BATCH, b);
}

qv_schema *et_schema(qv_record_batch *b) { return qv_record_batch_schema(b); }

qv_expr *et_col(qv_record_batch *b, int i) {
  qv_expr *e = NULL;
  if (!b || qv_expr_column(qv_record_batch_schema(b), i, &e, &et_err)) return NULL;
  return et_track_expr(e);
}

qv_expr *et_i64(int64_t v) {
  qv_expr *e = NULL;
  return qv_expr_literal_int64(v, &e, &et_err) ? NULL : et_track_expr(e);
}
qv_expr *et_f64(double v) {
  qv_expr *e = NULL;
  return qv_expr_literal_double(v, &e, &et_err) ? NULL : et_track_expr(e);
}
qv_expr *et_str(const char *s) {
  qv_expr *e = NULL;
  return qv_expr_literal_string(s, &e, &et_err) ? NULL : et_track_expr(e);
}
qv_expr *et_bool(bool v) {
  qv_expr *e = NULL;
  return qv_expr_literal_bool(v, &e, &et_err) ? NULL : et_track_expr(e);
}
qv_expr *et_decl(int64_t v, int32_t p, int32_t s) {
  qv_expr *e = NULL;
  return qv_expr_literal_decimal(v, p, s, &e, &et_err) ? NULL : et_track_expr(e);
}
qv_expr *et_date(const char *ymd) {
  int32_t days;
  if (!qv__parse_date(ymd, (int64_t)strlen(ymd), &days)) return NULL;
  qv_expr *e = NULL;
  return qv_expr_literal_date32(days, &e, &et_err) ? NULL : et_track_expr(e);
}
qv_expr *et_null(qv_data_type *t) {
  qv_expr *e = NULL;
  return qv_expr_literal_null(t, &e, &et_err) ? NULL : et_track_expr(e);
}
qv_expr *et_lit(qv_data_type *t, const char *text) {
  qv_array *a = et_arr(t, text);
  qv_expr *e = NULL;
  if (!a || qv_expr_literal(a, &e, &et_err)) return NULL;
  return et_track_expr(e);
}
qv_expr *et_bin(qv_binary_op op, qv_expr *l, qv_expr *r) {
  qv_expr *e = NULL;
  if (!l || !r || qv_expr_binary(op, l, r, &e, &et_err)) return NULL;
  return et_track_expr(e);
}
qv_expr *et_fn(const char *name, int n, ...) {
  qv_expr *args[16];
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) args[i] = va_arg(ap, qv_expr *);
  va_end(ap);
  for (int i = 0; i < n; i++)
    if (!args[i]) return NULL;
  qv_expr *e = NULL;
  if (qv_expr_function(NULL, name, args, n, &e, &et_err)) return NULL;
  return et_track_expr(e);
}
qv_expr *et_cast(qv_expr *x, qv_data_type *t) {
  qv_expr *e = NULL;
  if (!x || !t || qv_expr_cast(x, t, &e, &et_err)) return NULL;
  return et_track_expr(e);
}

qv_array *et_eval(qv_expr *e, qv_record_batch *b) {
  if (!e || !b) {
    if (!e) qv_error_prefix(&et_err, "no expression (its construction failed)");
    return NULL;
  }
  qv_array *out = NULL;
  qv_error_init(&et_err);
  if (qv_expr_evaluate(e, b, NULL, &out, &et_err)) return NULL;
  /* Every result must be a valid array of the declared type. */
  qv_error verr;
  if (qv_array_validate_full(out, &verr) != QV_OK) {
    qv_error_set(&et_err, QV_INTERNAL, "result fails validation: %.900s", verr.message);
    qv_array_unref(out);
    return NULL;
  }
  if (!qv_type_equals(qv_array_type(out), qv_expr_type(e))) {
    qv_error_set(&et_err, QV_INTERNAL, "result type %s differs from the declared type", et_type(qv_array_type(out)));
    qv_array_unref(out);
    return NULL;
  }
  return et_track_array(out);
}

const char *et_fmt(const qv_array *a) {
  static char buf[8192];
  size_t pos = 0;
  buf[0] = '\0';
  for (int64_t i = 0; i < qv_array_length(a) && pos < sizeof buf - 200; i++) {
    char v[160];
    qv__format_value(a, i, v, sizeof v);
    pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%s", i ? ", " : "", v);
  }
  return buf;
}

const char *et_type(const qv_data_type *t) {
  static char buf[128];
  return qv_type_to_string(t, buf, sizeof buf);
}

const char *et_sql(const qv_expr *e) {
  static char buf[2048];
  qv_bytes b;
  qv_bytes_init(&b, NULL);
  buf[0] = '\0';
  if (e && qv_expr_to_string(e, &b, &et_err) == QV_OK) {
    size_t n = (size_t)b.size < sizeof buf - 1 ? (size_t)b.size : sizeof buf - 1;
    memcpy(buf, b.data, n);
    buf[n] = '\0';
  }
  qv_bytes_reset(&b);
  return buf;
}
