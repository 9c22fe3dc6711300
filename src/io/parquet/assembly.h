/* Record assembly (assembly.c): Arrow arrays of a schema node from the
 * column batches of its leaves. */
#ifndef QV_IO_PARQUET_ASSEMBLY_H
#define QV_IO_PARQUET_ASSEMBLY_H

#include "io/parquet/column.h"
#include "io/parquet/schema.h"
#include "quiver/array.h"

typedef struct qv_pq_assembly {
  const qv_pq_schema *schema;
  qv_pq_column_batch *batches; /* indexed by column; those below the node are filled */
  qv_allocator *alloc;
  qv_bytes scratch;            /* compacted slot levels */
} qv_pq_assembly;

/* Builds the array of top-level field `field` for a batch of n_rows rows.
 * Moves decoded value vectors out of the batches where it can (they are left
 * empty). Errors: QV_INVALID when levels and values of the leaves disagree
 * (with each other or with n_rows), for invalid UTF-8 in a string column, a
 * null map key or a decimal that does not fit; QV_NOMEM. */
qv_status qv__pq_assemble(qv_pq_assembly *as, const qv_pq_node *field, int64_t n_rows, qv_array **out,
                          qv_error *err) QV_MUST_USE;

/* A one-element array of column col's Arrow type from one PLAIN-encoded
 * value (BYTE_ARRAY without its length prefix), as statistics store them.
 * Errors: QV_INVALID for a size the physical type does not allow;
 * QV_NOT_IMPLEMENTED for null-typed columns; QV_NOMEM. */
qv_status qv__pq_plain_value_array(const qv_pq_column *col, const uint8_t *bytes, int64_t len,
                                   qv_allocator *alloc, qv_array **out, qv_error *err) QV_MUST_USE;

#endif
