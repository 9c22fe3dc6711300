/* Comparison of schemas, arrays and record batches that explains the first
 * difference it finds, for tools and tests that check one producer's output
 * against an expected result (the integration harness's VALIDATE mode). Value
 * semantics are those of qv_array_equals: null slots' bytes, buffer offsets
 * and slicing do not matter, and dictionary-encoded columns compare by decoded
 * values (their dictionary ids and dictionary contents beyond the values used
 * do not matter; their index types do). */
#ifndef QV_ARROW_COMPARE_H
#define QV_ARROW_COMPARE_H

#include <stdint.h>

#include "quiver/array.h"
#include "quiver/status.h"
#include "quiver/type.h"

/* Floating-point values are equal within an absolute or relative difference
 * of 1e-5 (as Arrow's approximate equality) instead of exactly. Either way NaN
 * equals NaN and -0.0 equals 0.0. */
#define QV_COMPARE_APPROX_FLOATS 1u

/* Each function returns QV_OK when expected and actual are equal, and
 * QV_INVALID otherwise with a message in err naming the first difference:
 * the batch, the column and its nested path ("lists[3][1].f2"), the row, and
 * the expected and actual values, or the schema property that differs (field
 * count, name, type, nullability, field or schema metadata, dictionary index
 * type or ordered flag). QV_NOMEM is possible only while rendering a value for
 * the message. */

/* Names, types, nullability, field metadata (as a multiset of key-value pairs)
 * and schema metadata. Dictionary ids are not compared, nor are the names of a
 * map's entries, key and value fields: the format leaves them free and
 * writers differ (Arrow's own golden generated_map_non_canonical.stream
 * renames them to the canonical ones). */
qv_status qv__compare_schemas(const qv_schema *expected, const qv_schema *actual,
                              qv_error *err) QV_MUST_USE;

/* Types and values of two arrays; name labels the array in messages. */
qv_status qv__compare_arrays(const qv_array *expected, const qv_array *actual, const char *name,
                             unsigned flags, qv_error *err) QV_MUST_USE;

/* Row and column counts, then each column (labelled by the expected schema's
 * field names). Schemas are not compared; see qv__compare_schemas. */
qv_status qv__compare_batches(const qv_record_batch *expected, const qv_record_batch *actual,
                              unsigned flags, qv_error *err) QV_MUST_USE;

/* A whole file or stream: the schemas, the number of batches, then each batch
 * (messages start with "batch N: "). */
qv_status qv__compare_files(const qv_schema *expected_schema, qv_record_batch *const *expected,
                            int64_t n_expected, const qv_schema *actual_schema,
                            qv_record_batch *const *actual, int64_t n_actual, unsigned flags,
                            qv_error *err) QV_MUST_USE;

#endif
