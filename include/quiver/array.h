/* Arrow arrays and record batches, their validation, and builders.
 *
 * An array is an immutable, reference-counted Arrow array: a type, a length, an
 * offset into its buffers, a null count, and the buffers and children of the
 * Arrow columnar layout. Buffer order is the C Data Interface's: validity first
 * for every type except NA (no buffers) and the unions (type ids, then offsets
 * for dense), then offsets and data. A dictionary array's own buffers hold the
 * indices; its values are a separate array. */
#ifndef QUIVER_ARRAY_H
#define QUIVER_ARRAY_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/memory.h"
#include "quiver/status.h"
#include "quiver/type.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qv_array qv_array;
typedef struct qv_record_batch qv_record_batch;

/* The number of buffers the layout of a type has (validity included). */
int32_t qv_type_num_buffers(qv_type_id id);

/* Assembles an array. Takes a reference to type, to each non-NULL buffer, child
 * and dictionary; the caller keeps its own. null_count may be -1 (unknown; it
 * is computed on demand). The layout is checked shallowly (buffer and child
 * counts); call qv_array_validate_full for untrusted data. */
qv_status qv_array_create(qv_data_type *type, int64_t length, int64_t offset, int64_t null_count,
                          qv_buffer *const *buffers, int32_t n_buffers, qv_array *const *children,
                          int32_t n_children, qv_array *dictionary, qv_array **out,
                          qv_error *err) QV_MUST_USE;
/* An all-null array of a type (any type) and length, with zeroed buffers. */
qv_status qv_array_make_nulls(qv_allocator *a, qv_data_type *type, int64_t length, qv_array **out,
                              qv_error *err) QV_MUST_USE;

qv_array *qv_array_ref(qv_array *a);
void qv_array_unref(qv_array *a);

qv_data_type *qv_array_type(const qv_array *a); /* borrowed */
int64_t qv_array_length(const qv_array *a);
int64_t qv_array_offset(const qv_array *a);
/* The number of nulls (computed from the validity bitmap once, then cached). */
int64_t qv_array_null_count(qv_array *a);
int32_t qv_array_num_buffers(const qv_array *a);
qv_buffer *qv_array_buffer(const qv_array *a, int32_t i); /* borrowed; may be NULL */
int32_t qv_array_num_children(const qv_array *a);
qv_array *qv_array_child(const qv_array *a, int32_t i);   /* borrowed */
qv_array *qv_array_dictionary(const qv_array *a);         /* borrowed; NULL unless dictionary */
/* Whether slot i (relative to the array's offset) is valid (non-null). Unions
 * and NA have no validity bitmap: NA slots are null, union slots ask their
 * child. */
bool qv_array_is_valid(const qv_array *a, int64_t i);

/* A zero-copy slice of [offset, offset+length); fails if out of bounds. */
qv_status qv_array_slice(qv_array *a, int64_t offset, int64_t length, qv_array **out,
                         qv_error *err) QV_MUST_USE;

/* Checks an array assembled from untrusted bytes so that any later read is in
 * bounds: buffer sizes, offsets monotonic and within their data, union type
 * ids and dense offsets valid, dictionary indices within the dictionary, UTF-8
 * valid for utf8 types, children lengths sufficient, recursion depth capped. */
qv_status qv_array_validate_full(const qv_array *a, qv_error *err) QV_MUST_USE;

/* Value equality of two arrays (type, length, validity and every valid value;
 * null slots' bytes are ignored). Dictionary arrays compare decoded values. */
bool qv_array_equals(const qv_array *a, const qv_array *b);

/* ---- record batches ------------------------------------------------------ */

/* Takes references to schema and columns. Fails if column count, types or
 * lengths disagree with the schema. */
qv_status qv_record_batch_create(qv_schema *schema, int64_t num_rows, qv_array *const *columns,
                                 int32_t n_columns, qv_record_batch **out,
                                 qv_error *err) QV_MUST_USE;
qv_record_batch *qv_record_batch_ref(qv_record_batch *b);
void qv_record_batch_unref(qv_record_batch *b);
qv_schema *qv_record_batch_schema(const qv_record_batch *b); /* borrowed */
int64_t qv_record_batch_num_rows(const qv_record_batch *b);
int32_t qv_record_batch_num_columns(const qv_record_batch *b);
qv_array *qv_record_batch_column(const qv_record_batch *b, int32_t i); /* borrowed */
qv_status qv_record_batch_slice(qv_record_batch *b, int64_t offset, int64_t length,
                                qv_record_batch **out, qv_error *err) QV_MUST_USE;
qv_status qv_record_batch_validate_full(const qv_record_batch *b, qv_error *err) QV_MUST_USE;
bool qv_record_batch_equals(const qv_record_batch *a, const qv_record_batch *b);

/* ---- builders ------------------------------------------------------------ */

/* Appends values one at a time to build an array of a fixed-width type (ints,
 * floats, decimals, dates, times, timestamps, durations, intervals,
 * fixed-size binary), BOOL, or a binary/utf8 type in either offset width.
 * Caller allocates the struct: _init, appends, _finish (which resets it), or
 * _reset to abandon. */
typedef struct qv_array_builder {
  qv_allocator *alloc;
  qv_data_type *type;
  int64_t length;
  int64_t null_count;
  int32_t byte_width; /* fixed-width: bytes per value; 0 for bool and binary */
  qv_bytes validity;
  qv_bytes offsets;   /* binary-like */
  qv_bytes values;    /* data */
} qv_array_builder;

qv_status qv_array_builder_init(qv_array_builder *b, qv_allocator *a, qv_data_type *type,
                                qv_error *err) QV_MUST_USE;
void qv_array_builder_reset(qv_array_builder *b);
qv_status qv_array_builder_append_null(qv_array_builder *b, qv_error *err) QV_MUST_USE;
/* Fixed-width: value points to byte_width bytes. */
qv_status qv_array_builder_append_fixed(qv_array_builder *b, const void *value,
                                        qv_error *err) QV_MUST_USE;
qv_status qv_array_builder_append_bool(qv_array_builder *b, bool value, qv_error *err) QV_MUST_USE;
qv_status qv_array_builder_append_int(qv_array_builder *b, int64_t value,
                                      qv_error *err) QV_MUST_USE; /* any integer-backed type */
qv_status qv_array_builder_append_double(qv_array_builder *b, double value,
                                         qv_error *err) QV_MUST_USE; /* FLOAT32/64 */
qv_status qv_array_builder_append_binary(qv_array_builder *b, const void *data, int64_t n,
                                         qv_error *err) QV_MUST_USE;
qv_status qv_array_builder_finish(qv_array_builder *b, qv_array **out, qv_error *err) QV_MUST_USE;

/* ---- bitmaps --------------------------------------------------------------- */

static inline bool qv_bit_get(const uint8_t *bits, int64_t i) {
  return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void qv_bit_set(uint8_t *bits, int64_t i) { bits[i >> 3] |= (uint8_t)(1u << (i & 7)); }
static inline void qv_bit_clear(uint8_t *bits, int64_t i) {
  bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}
/* Number of set bits in [offset, offset+length). */
int64_t qv_bitmap_count_set(const uint8_t *bits, int64_t offset, int64_t length);

#ifdef __cplusplus
}
#endif
#endif
