/* Record batches: a schema and equally long columns. */
#include <stdlib.h>

#include "arrow/internal.h"

qv_status qv_record_batch_create(qv_schema *schema, int64_t num_rows, qv_array *const *columns, int32_t n_columns,
                                 qv_record_batch **out, qv_error *err) {
  *out = NULL;
  if (!schema) return qv_error_set(err, QV_INVALID, "record batch: no schema");
  if (num_rows < 0) return qv_error_set(err, QV_INVALID, "record batch: negative row count");
  if (n_columns != schema->n_fields)
    return qv_error_set(err, QV_INVALID, "record batch: %d columns for a schema of %d fields", n_columns,
                        schema->n_fields);
  for (int32_t i = 0; i < n_columns; i++) {
    const qv_field *f = schema->fields[i];
    if (!columns[i]) return qv_error_set(err, QV_INVALID, "record batch: column %d ('%s') is NULL", i, f->name);
    if (columns[i]->length != num_rows)
      return qv_error_set(err, QV_INVALID, "record batch: column %d ('%s') has %lld rows, batch has %lld", i,
                          f->name, (long long)columns[i]->length, (long long)num_rows);
    if (!qv_type_equals(columns[i]->type, f->type)) {
      char a[256], b[256];
      return qv_error_set(err, QV_INVALID, "record batch: column %d ('%s') is %s, schema says %s", i, f->name,
                          qv_type_to_string(columns[i]->type, a, sizeof a), qv_type_to_string(f->type, b, sizeof b));
    }
  }
  qv_record_batch *b = calloc(1, sizeof *b);
  if (!b) return qv_error_set(err, QV_NOMEM, "record batch: out of memory");
  b->columns = calloc((size_t)(n_columns ? n_columns : 1), sizeof *b->columns);
  if (!b->columns) {
    free(b);
    return qv_error_set(err, QV_NOMEM, "record batch: out of memory");
  }
  atomic_init(&b->refcount, 1);
  b->schema = qv_schema_ref(schema);
  b->num_rows = num_rows;
  b->n_columns = n_columns;
  for (int32_t i = 0; i < n_columns; i++) b->columns[i] = qv_array_ref(columns[i]);
  *out = b;
  return QV_OK;
}

qv_record_batch *qv_record_batch_ref(qv_record_batch *b) {
  if (b) atomic_fetch_add_explicit(&b->refcount, 1, memory_order_relaxed);
  return b;
}

void qv_record_batch_unref(qv_record_batch *b) {
  if (!b || atomic_fetch_sub_explicit(&b->refcount, 1, memory_order_acq_rel) != 1) return;
  for (int32_t i = 0; i < b->n_columns; i++) qv_array_unref(b->columns[i]);
  free(b->columns);
  qv_schema_unref(b->schema);
  free(b);
}

qv_schema *qv_record_batch_schema(const qv_record_batch *b) { return b->schema; }
int64_t qv_record_batch_num_rows(const qv_record_batch *b) { return b->num_rows; }
int32_t qv_record_batch_num_columns(const qv_record_batch *b) { return b->n_columns; }
qv_array *qv_record_batch_column(const qv_record_batch *b, int32_t i) { return b->columns[i]; }

qv_status qv_record_batch_slice(qv_record_batch *b, int64_t offset, int64_t length, qv_record_batch **out,
                                qv_error *err) {
  *out = NULL;
  if (offset < 0 || length < 0 || offset > b->num_rows || length > b->num_rows - offset)
    return qv_error_set(err, QV_INVALID, "record batch: slice [%lld, +%lld) outside %lld rows", (long long)offset,
                        (long long)length, (long long)b->num_rows);
  qv_array **cols = calloc((size_t)(b->n_columns ? b->n_columns : 1), sizeof *cols);
  if (!cols) return qv_error_set(err, QV_NOMEM, "record batch: out of memory");
  qv_status st = QV_OK;
  for (int32_t i = 0; st == QV_OK && i < b->n_columns; i++) st = qv_array_slice(b->columns[i], offset, length, &cols[i], err);
  if (st == QV_OK) st = qv_record_batch_create(b->schema, length, cols, b->n_columns, out, err);
  for (int32_t i = 0; i < b->n_columns; i++) qv_array_unref(cols[i]);
  free(cols);
  return st;
}

bool qv_record_batch_equals(const qv_record_batch *a, const qv_record_batch *b) {
  if (a->num_rows != b->num_rows || a->n_columns != b->n_columns || !qv_schema_equals(a->schema, b->schema))
    return false;
  for (int32_t i = 0; i < a->n_columns; i++)
    if (!qv_array_equals(a->columns[i], b->columns[i])) return false;
  return true;
}
