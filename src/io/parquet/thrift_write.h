/* The write side of the Thrift compact protocol, and the encoders of the
 * Parquet structures the writer produces: PageHeader and FileMetaData (with
 * everything they contain). The encoders take the reader's structs
 * (metadata.h), so that what the writer encodes is exactly what the reader
 * decodes, and a round trip through both checks each against the other.
 *
 * Only the fields the writer fills are written: optional fields follow
 * their has_* flags (or a non-NULL pointer for byte strings); fields the
 * structs do not carry (page statistics, encoding_stats, bloom filters,
 * page indexes, sorting columns) are never written. */
#ifndef QV_IO_PARQUET_THRIFT_WRITE_H
#define QV_IO_PARQUET_THRIFT_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "io/parquet/metadata.h"
#include "io/parquet/thrift.h"
#include "quiver/memory.h"
#include "quiver/status.h"

/* A compact-protocol writer appending to a qv_bytes. Writes are void and the
 * first allocation failure is remembered ("sticky"): a struct encoder is a
 * long list of field writes, and checking each would hide its shape; the
 * outcome is read once, by qv__pq_tw_finish. */
typedef struct qv_pq_tw {
  qv_bytes *out;
  int16_t last[QV_PQ_THRIFT_MAX_DEPTH + 1]; /* previous field id per nesting level */
  int depth;
  bool failed;
} qv_pq_tw;

void qv__pq_tw_init(qv_pq_tw *w, qv_bytes *out);
/* QV_OK when every write succeeded and every struct was closed; QV_NOMEM
 * after an allocation failure; QV_INTERNAL for unbalanced nesting. */
qv_status qv__pq_tw_finish(qv_pq_tw *w, qv_error *err) QV_MUST_USE;

void qv__pq_tw_varint(qv_pq_tw *w, uint64_t v);
/* A field header of the current struct (short form when the id delta is
 * 1..15). */
void qv__pq_tw_field(qv_pq_tw *w, int16_t id, int type);
void qv__pq_tw_i32(qv_pq_tw *w, int16_t id, int32_t v);
void qv__pq_tw_i64(qv_pq_tw *w, int16_t id, int64_t v);
void qv__pq_tw_bool(qv_pq_tw *w, int16_t id, bool v);
void qv__pq_tw_binary(qv_pq_tw *w, int16_t id, const void *data, int64_t len);
void qv__pq_tw_string(qv_pq_tw *w, int16_t id, const char *s);
/* A struct-valued field: header, then the nested fields, then _end. */
void qv__pq_tw_struct_begin(qv_pq_tw *w, int16_t id);
/* A struct element of a list (no field header), then _end. */
void qv__pq_tw_element_begin(qv_pq_tw *w);
/* Writes the struct's STOP and returns to the enclosing struct. */
void qv__pq_tw_struct_end(qv_pq_tw *w);
/* A list-valued field header of count elements of elem_type; the elements
 * follow (qv__pq_tw_list_i32, qv__pq_tw_list_binary or structs). */
void qv__pq_tw_list_begin(qv_pq_tw *w, int16_t id, int elem_type, int64_t count);
void qv__pq_tw_list_i32(qv_pq_tw *w, int32_t v);
void qv__pq_tw_list_binary(qv_pq_tw *w, const void *data, int64_t len);

/* Appends the encoding of a PageHeader (type, sizes, crc when has_crc, and
 * the header of its kind: has_data, has_dict or has_data_v2).
 * Errors: QV_NOMEM. */
qv_status qv__pq_encode_page_header(const qv_pq_page_header *h, qv_bytes *out,
                                    qv_error *err) QV_MUST_USE;

/* Appends the encoding of a FileMetaData.
 * Errors: QV_NOMEM. */
qv_status qv__pq_encode_file_meta(const qv_pq_file_meta *m, qv_bytes *out, qv_error *err) QV_MUST_USE;

#endif
