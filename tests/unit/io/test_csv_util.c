/* Helpers shared by the CSV unit tests (see test_csv_util.h). */
#include "test_csv_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quiver/pretty.h"

static qv_data_type *spec_type(const char *t) {
  qv_error err = {0};
  qv_data_type *out = NULL;
  static const struct {
    const char *name;
    qv_type_id id;
  } simple[] = {{"bool", QV_BOOL},       {"int8", QV_INT8},       {"int16", QV_INT16},
                {"int32", QV_INT32},     {"int64", QV_INT64},     {"uint8", QV_UINT8},
                {"uint16", QV_UINT16},   {"uint32", QV_UINT32},   {"uint64", QV_UINT64},
                {"float32", QV_FLOAT32}, {"float64", QV_FLOAT64}, {"utf8", QV_UTF8},
                {"large_utf8", QV_LARGE_UTF8}, {"binary", QV_BINARY}, {"large_binary", QV_LARGE_BINARY},
                {"date32", QV_DATE32},   {"date64", QV_DATE64},   {"null", QV_NA}};
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
    if (strcmp(t, simple[i].name) == 0) return qv_type_primitive(simple[i].id);
  int p, s;
  if (sscanf(t, "dec(%d;%d)", &p, &s) == 2 && qv_type_decimal(QV_DECIMAL128, p, s, &out, &err) == QV_OK) return out;
  if (sscanf(t, "dec256(%d;%d)", &p, &s) == 2 && qv_type_decimal(QV_DECIMAL256, p, s, &out, &err) == QV_OK)
    return out;
  if (sscanf(t, "fsb(%d)", &p) == 1 && qv_type_fixed_size_binary(p, &out, &err) == QV_OK) return out;
  static const char *units[] = {"s", "ms", "us", "ns"};
  for (int u = 0; u < 4; u++) {
    char name[32];
    snprintf(name, sizeof name, "ts_%s", units[u]);
    if (strcmp(t, name) == 0 && qv_type_timestamp((qv_time_unit)u, NULL, &out, &err) == QV_OK) return out;
    snprintf(name, sizeof name, "ts_%s_utc", units[u]);
    if (strcmp(t, name) == 0 && qv_type_timestamp((qv_time_unit)u, "UTC", &out, &err) == QV_OK) return out;
    snprintf(name, sizeof name, "time%d_%s", u < 2 ? 32 : 64, units[u]);
    if (strcmp(t, name) == 0 && qv_type_time(u < 2 ? QV_TIME32 : QV_TIME64, (qv_time_unit)u, &out, &err) == QV_OK)
      return out;
  }
  return NULL;
}

qv_schema *csv_test_schema(const char *spec) {
  qv_field *fields[256];
  int32_t n = 0;
  bool ok = true;
  const char *p = spec;
  while (ok && *p && n < 256) {
    const char *e = strchr(p, ',');
    if (!e) e = p + strlen(p);
    char item[128];
    snprintf(item, sizeof item, "%.*s", (int)(e - p), p);
    char *colon = strchr(item, ':');
    ok = colon != NULL;
    if (ok) {
      *colon = '\0';
      char *tname = colon + 1;
      size_t tl = strlen(tname);
      bool nullable = !(tl > 0 && tname[tl - 1] == '!');
      if (!nullable) tname[tl - 1] = '\0';
      qv_data_type *t = spec_type(tname);
      qv_error err = {0};
      ok = t && qv_field_create(item, t, nullable, NULL, &fields[n], &err) == QV_OK;
      if (ok) n++;
      qv_type_unref(t);
    }
    p = *e ? e + 1 : e;
  }
  qv_schema *s = NULL;
  qv_error err = {0};
  if (ok && qv_schema_create(fields, n, NULL, &s, &err) != QV_OK) s = NULL;
  for (int32_t i = 0; i < n; i++) qv_field_unref(fields[i]);
  return s;
}

static qv_status render_batch(qv_record_batch *b, qv_bytes *rows, qv_error *err) {
  for (int64_t r = 0; r < qv_record_batch_num_rows(b); r++) {
    for (int32_t c = 0; c < qv_record_batch_num_columns(b); c++) {
      if (c) QV_RETURN_NOT_OK(qv_bytes_append(rows, "|", 1, err));
      QV_RETURN_NOT_OK(qv_format_value(qv_record_batch_column(b, c), r, rows, err));
    }
    QV_RETURN_NOT_OK(qv_bytes_append(rows, "\n", 1, err));
  }
  return QV_OK;
}

qv_status csv_test_read(const char *text, int64_t len, const qv_csv_read_options *opts, qv_schema *schema,
                        int64_t begin, int64_t end, qv_bytes *rows, int64_t *n_rows, int64_t *n_batches,
                        qv_schema **schema_out, qv_error *err) {
  if (len < 0) len = (int64_t)strlen(text);
  qv_buffer *data = NULL;
  QV_RETURN_NOT_OK(qv_buffer_copy(opts && opts->alloc ? opts->alloc : qv_default_allocator(), text, len, &data, err));
  qv_csv_reader *r = NULL;
  qv_status st = qv_csv_reader_create(data, begin, end, opts, schema, &r, err);
  qv_buffer_unref(data);
  int64_t nr = 0, nb = 0;
  while (st == QV_OK) {
    qv_record_batch *b = NULL;
    st = qv_csv_reader_next(r, &b, err);
    if (st != QV_OK || !b) break;
    if (qv_record_batch_validate_full(b, err) != QV_OK) st = QV_INTERNAL;
    nr += qv_record_batch_num_rows(b);
    nb++;
    if (st == QV_OK && rows) st = render_batch(b, rows, err);
    qv_record_batch_unref(b);
  }
  if (st == QV_OK && schema_out) *schema_out = qv_schema_ref(qv_csv_reader_schema(r));
  qv_csv_reader_destroy(r);
  if (n_rows) *n_rows = nr;
  if (n_batches) *n_batches = nb;
  return st;
}

char *csv_test_rows(const char *text, const qv_csv_read_options *opts, qv_schema *schema, qv_error *err) {
  qv_bytes rows;
  qv_bytes_init(&rows, NULL);
  char *out = NULL;
  if (csv_test_read(text, -1, opts, schema, 0, -1, &rows, NULL, NULL, NULL, err) == QV_OK) {
    out = malloc((size_t)rows.size + 1);
    if (out) {
      if (rows.size) memcpy(out, rows.data, (size_t)rows.size);
      out[rows.size] = '\0';
    }
  }
  qv_bytes_reset(&rows);
  return out;
}

const char *csv_test_type(const qv_schema *s, int32_t i) {
  static char buf[128];
  return qv_type_to_string(qv_field_type(qv_schema_field(s, i)), buf, sizeof buf);
}
