/* A reader of the Thrift compact protocol, the encoding of Parquet's
 * FileMetaData and PageHeader. It decodes primitives, field and collection
 * headers and skips whole values of any type, on bytes that may be hostile:
 * every read is bounds-checked, collection sizes are capped by the bytes
 * left (every element takes at least one byte), and nesting depth is capped
 * so that skipping deeply nested garbage cannot exhaust the C stack. */
#ifndef QV_IO_PARQUET_THRIFT_H
#define QV_IO_PARQUET_THRIFT_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/status.h"

/* Wire types of the compact protocol (field headers and collection element
 * types share the numbering; in collections a bool is 1 or 2). */
enum {
  QV_PQ_T_STOP = 0,
  QV_PQ_T_TRUE = 1,
  QV_PQ_T_FALSE = 2,
  QV_PQ_T_I8 = 3,
  QV_PQ_T_I16 = 4,
  QV_PQ_T_I32 = 5,
  QV_PQ_T_I64 = 6,
  QV_PQ_T_DOUBLE = 7,
  QV_PQ_T_BINARY = 8,
  QV_PQ_T_LIST = 9,
  QV_PQ_T_SET = 10,
  QV_PQ_T_MAP = 11,
  QV_PQ_T_STRUCT = 12,
  QV_PQ_T_UUID = 13
};

/* Deepest nesting of structs and collections accepted. Parquet's own
 * structures nest at most 7 deep; the margin is for unknown extensions. */
#define QV_PQ_THRIFT_MAX_DEPTH 32

typedef struct qv_pq_thrift {
  const uint8_t *start; /* for offsets in error messages */
  const uint8_t *pos;
  const uint8_t *end;
  int depth;
} qv_pq_thrift;

void qv__pq_thrift_init(qv_pq_thrift *t, const uint8_t *data, int64_t size);

/* Byte offset of the read position from the start. */
static inline int64_t qv__pq_thrift_offset(const qv_pq_thrift *t) { return t->pos - t->start; }

/* An unsigned LEB128 varint of at most 10 bytes. */
qv_status qv__pq_thrift_varint(qv_pq_thrift *t, uint64_t *out, qv_error *err) QV_MUST_USE;
/* Zigzag varints; out-of-range values are errors. */
qv_status qv__pq_thrift_i16(qv_pq_thrift *t, int16_t *out, qv_error *err) QV_MUST_USE;
qv_status qv__pq_thrift_i32(qv_pq_thrift *t, int32_t *out, qv_error *err) QV_MUST_USE;
qv_status qv__pq_thrift_i64(qv_pq_thrift *t, int64_t *out, qv_error *err) QV_MUST_USE;
qv_status qv__pq_thrift_i8(qv_pq_thrift *t, int8_t *out, qv_error *err) QV_MUST_USE;
qv_status qv__pq_thrift_double(qv_pq_thrift *t, double *out, qv_error *err) QV_MUST_USE;
/* A length-prefixed byte string; *data points into the input. */
qv_status qv__pq_thrift_binary(qv_pq_thrift *t, const uint8_t **data, int64_t *len,
                               qv_error *err) QV_MUST_USE;
/* A bool element of a collection (one byte, 1 = true). */
qv_status qv__pq_thrift_bool_element(qv_pq_thrift *t, bool *out, qv_error *err) QV_MUST_USE;

/* Reads the next field header of a struct. *id holds the previous field's id
 * on entry (0 at the start of a struct) and the new one on return; *type is
 * QV_PQ_T_STOP at the end of the struct. For bool fields the value is the
 * type itself (QV_PQ_T_TRUE or QV_PQ_T_FALSE) and has no bytes. */
qv_status qv__pq_thrift_field(qv_pq_thrift *t, int16_t *id, int *type, qv_error *err) QV_MUST_USE;

/* Reads a list or set header: element type and count (checked against the
 * bytes left: count <= bytes left). Enters one nesting level; call
 * qv__pq_thrift_leave after the elements. */
qv_status qv__pq_thrift_list(qv_pq_thrift *t, int *elem_type, int64_t *count,
                             qv_error *err) QV_MUST_USE;

/* Enters a nested struct (depth check) / leaves it. */
qv_status qv__pq_thrift_enter(qv_pq_thrift *t, qv_error *err) QV_MUST_USE;
void qv__pq_thrift_leave(qv_pq_thrift *t);

/* Skips one value of the given wire type, including nested structs,
 * collections and maps. */
qv_status qv__pq_thrift_skip(qv_pq_thrift *t, int type, qv_error *err) QV_MUST_USE;

/* Whether a field of wire type `got` holds a value of the wanted type
 * (bools match either bool type). */
static inline bool qv__pq_thrift_is(int got, int want) {
  if (want == QV_PQ_T_TRUE || want == QV_PQ_T_FALSE) return got == QV_PQ_T_TRUE || got == QV_PQ_T_FALSE;
  return got == want;
}

#endif
