/* Fields (name, type, nullability, metadata, IPC dictionary id) and schemas
 * (an ordered list of fields plus metadata). */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"

qv_status qv_field_create(const char *name, qv_data_type *type, bool nullable, const qv_metadata *metadata,
                          qv_field **out, qv_error *err) {
  *out = NULL;
  if (!type) return qv_error_set(err, QV_INVALID, "field '%s': no type", name ? name : "");
  qv_field *f = calloc(1, sizeof *f);
  if (!f) return qv_error_set(err, QV_NOMEM, "field: out of memory");
  atomic_init(&f->refcount, 1);
  f->name = strdup(name ? name : "");
  f->dictionary_id = -1;
  f->nullable = nullable;
  qv_status st = f->name ? qv_metadata_copy(metadata, &f->metadata, err)
                         : qv_error_set(err, QV_NOMEM, "field: out of memory");
  if (st != QV_OK) {
    free(f->name);
    free(f);
    return st;
  }
  f->type = qv_type_ref(type);
  *out = f;
  return QV_OK;
}

qv_field *qv_field_ref(qv_field *f) {
  if (f) atomic_fetch_add_explicit(&f->refcount, 1, memory_order_relaxed);
  return f;
}

void qv_field_unref(qv_field *f) {
  if (!f || atomic_fetch_sub_explicit(&f->refcount, 1, memory_order_acq_rel) != 1) return;
  free(f->name);
  qv_type_unref(f->type);
  qv_metadata_destroy(f->metadata);
  free(f);
}

const char *qv_field_name(const qv_field *f) { return f->name; }
qv_data_type *qv_field_type(const qv_field *f) { return f->type; }
bool qv_field_nullable(const qv_field *f) { return f->nullable; }
const qv_metadata *qv_field_metadata(const qv_field *f) { return f->metadata; }
int64_t qv_field_dictionary_id(const qv_field *f) { return f->dictionary_id; }
void qv_field_set_dictionary_id(qv_field *f, int64_t id) { f->dictionary_id = id; }

bool qv_field_equals(const qv_field *a, const qv_field *b) {
  if (a == b) return true;
  if (!a || !b) return false;
  return a->nullable == b->nullable && strcmp(a->name, b->name) == 0 && qv_type_equals(a->type, b->type) &&
         qv_metadata_equals(a->metadata, b->metadata);
}

qv_status qv_schema_create(qv_field *const *fields, int32_t n_fields, const qv_metadata *metadata, qv_schema **out,
                           qv_error *err) {
  *out = NULL;
  if (n_fields < 0) return qv_error_set(err, QV_INVALID, "schema: negative field count");
  for (int32_t i = 0; i < n_fields; i++)
    if (!fields[i]) return qv_error_set(err, QV_INVALID, "schema: field %d is NULL", i);
  qv_schema *s = calloc(1, sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "schema: out of memory");
  atomic_init(&s->refcount, 1);
  s->fields = calloc((size_t)(n_fields ? n_fields : 1), sizeof *s->fields);
  qv_status st = s->fields ? qv_metadata_copy(metadata, &s->metadata, err)
                           : qv_error_set(err, QV_NOMEM, "schema: out of memory");
  if (st != QV_OK) {
    free(s->fields);
    free(s);
    return st;
  }
  for (int32_t i = 0; i < n_fields; i++) s->fields[i] = qv_field_ref(fields[i]);
  s->n_fields = n_fields;
  *out = s;
  return QV_OK;
}

qv_schema *qv_schema_ref(qv_schema *s) {
  if (s) atomic_fetch_add_explicit(&s->refcount, 1, memory_order_relaxed);
  return s;
}

void qv_schema_unref(qv_schema *s) {
  if (!s || atomic_fetch_sub_explicit(&s->refcount, 1, memory_order_acq_rel) != 1) return;
  for (int32_t i = 0; i < s->n_fields; i++) qv_field_unref(s->fields[i]);
  free(s->fields);
  qv_metadata_destroy(s->metadata);
  free(s);
}

int32_t qv_schema_num_fields(const qv_schema *s) { return s->n_fields; }
qv_field *qv_schema_field(const qv_schema *s, int32_t i) { return s->fields[i]; }
const qv_metadata *qv_schema_metadata(const qv_schema *s) { return s->metadata; }

int32_t qv_schema_field_index(const qv_schema *s, const char *name) {
  for (int32_t i = 0; i < s->n_fields; i++)
    if (strcmp(s->fields[i]->name, name) == 0) return i;
  return -1;
}

bool qv_schema_equals(const qv_schema *a, const qv_schema *b) {
  if (a == b) return true;
  if (!a || !b || a->n_fields != b->n_fields || !qv_metadata_equals(a->metadata, b->metadata)) return false;
  for (int32_t i = 0; i < a->n_fields; i++)
    if (!qv_field_equals(a->fields[i], b->fields[i])) return false;
  return true;
}
