/* Struct layouts of types, fields, schemas, arrays and record batches, for the
 * modules that read them on hot paths (kernels, IPC, validation). They are
 * immutable once shared; only their creators write them. */
#ifndef QV_ARROW_INTERNAL_H
#define QV_ARROW_INTERNAL_H

#include <stdatomic.h>

#include "core/buffer_internal.h"
#include "quiver/array.h"
#include "quiver/type.h"

struct qv_metadata {
  int64_t count;
  int64_t capacity;
  char **keys;     /* NUL-terminated copies */
  int64_t *key_lens;
  char **values;   /* NUL-terminated copies */
  int64_t *value_lens;
};

struct qv_data_type {
  atomic_int_fast64_t refcount; /* < 0: a static singleton, never freed */
  qv_type_id id;
  int32_t byte_width;  /* FIXED_SIZE_BINARY, and every fixed-width type */
  int32_t list_size;   /* FIXED_SIZE_LIST */
  int32_t precision;   /* decimals */
  int32_t scale;
  qv_time_unit unit;   /* TIME32/64, TIMESTAMP, DURATION */
  char *timezone;      /* TIMESTAMP; NULL if naive */
  bool keys_sorted;    /* MAP */
  bool dict_ordered;   /* DICTIONARY */
  int32_t n_children;
  qv_field **children; /* LIST/LARGE_LIST/FSL/MAP: 1; STRUCT, unions: n */
  int8_t *type_codes;  /* unions: one per child */
  qv_data_type *dict_index; /* DICTIONARY */
  qv_data_type *dict_value;
};

struct qv_field {
  atomic_int_fast64_t refcount;
  char *name;
  qv_data_type *type;
  bool nullable;
  int64_t dictionary_id;
  qv_metadata *metadata; /* NULL if none */
};

struct qv_schema {
  atomic_int_fast64_t refcount;
  int32_t n_fields;
  qv_field **fields;
  qv_metadata *metadata; /* NULL if none */
};

#define QV_MAX_BUFFERS 3

struct qv_array {
  atomic_int_fast64_t refcount;
  qv_data_type *type;
  int64_t length;
  int64_t offset;
  atomic_int_fast64_t null_count; /* -1: not yet computed */
  int32_t n_buffers;
  qv_buffer *buffers[QV_MAX_BUFFERS]; /* a NULL validity buffer means no nulls */
  int32_t n_children;
  qv_array **children;
  qv_array *dictionary;
};

struct qv_record_batch {
  atomic_int_fast64_t refcount;
  qv_schema *schema;
  int64_t num_rows;
  int32_t n_columns;
  qv_array **columns;
};

/* Data pointer of buffer i, or NULL when the buffer is absent. */
static inline const uint8_t *qv__array_data(const qv_array *a, int32_t i) {
  return a->buffers[i] ? a->buffers[i]->data : NULL;
}

#endif
