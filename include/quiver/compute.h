/* Selection, concatenation, hashing and the row format: the vectorised kernels
 * every operator of the engine is built on.
 *
 * - Filter keeps the slots of an array (or of every column of a batch) where a
 *   boolean mask is true. The selection is computed once from the mask, as
 *   runs of consecutive rows when the mask is dense or as row indices when it
 *   is sparse, and applied to every column with bulk copies.
 * - Take gathers slots by index; the _nullable variants read a sentinel index
 *   as "a null output slot" (the unmatched side of an outer join).
 * - Concat appends any number of arrays (or batches) of one type.
 * - qv_hash_columns is the one hash function of the engine: every operator
 *   that partitions, groups or joins by hash uses it, so equal keys land in
 *   the same partition on every worker.
 * - The row format encodes key columns into byte strings that compare with
 *   memcmp in SQL order, for hash tables (equality) and sorts (order).
 *
 * Every kernel works on every layout (nested, dictionary and union types
 * included) unless its comment says otherwise, and on sliced inputs. Results
 * are new arrays the caller owns one reference to; they may share buffers,
 * children and dictionaries with the inputs (reference counted), so inputs
 * may be dropped at any time. A failing call leaves *out NULL and frees what
 * it allocated. An allocator of NULL means qv_default_allocator(). */
#ifndef QUIVER_COMPUTE_H
#define QUIVER_COMPUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/status.h"
#include "quiver/type.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- filter --------------------------------------------------------------- */

/* The slots of values where mask (BOOL, same length) is true; a null mask
 * slot drops its row, as SQL's WHERE does.
 *
 * An all-true mask returns a new reference to values itself (no copy); an
 * all-false mask returns an empty array of values' type (dictionary arrays
 * keep their dictionary). Dense unions keep their children whole and select
 * only type ids and offsets.
 *
 * Errors: QV_INVALID when mask is not BOOL or its length differs from
 * values'; QV_INVALID when 32-bit offsets of the result would overflow;
 * QV_NOMEM; QV_NOT_IMPLEMENTED for nesting deeper than 64 levels. */
qv_status qv_array_filter(qv_allocator *alloc, qv_array *values, const qv_array *mask,
                          qv_array **out, qv_error *err) QV_MUST_USE;

/* Filters every column of batch with one mask: the selection is computed once
 * and applied to each column. An all-true mask returns a new reference to
 * batch. The result has batch's schema. Errors as qv_array_filter, the
 * message naming the failing column. */
qv_status qv_record_batch_filter(qv_allocator *alloc, qv_record_batch *batch, const qv_array *mask,
                                 qv_record_batch **out, qv_error *err) QV_MUST_USE;

/* ---- take ----------------------------------------------------------------- */

/* Gathers values[indices[0]], ..., values[indices[n-1]] (relative to values'
 * offset) into a new array of length n. Indices may repeat and come in any
 * order. The caller keeps indices; they are not referenced after the call.
 * Dense unions keep their children whole and gather type ids and offsets.
 *
 * Errors: QV_OUT_OF_RANGE for an index >= length(values) (the message names
 * it and its position), QV_INVALID for n < 0 or 32-bit offsets that would
 * overflow, QV_NOMEM. */
qv_status qv_array_take(qv_allocator *alloc, const qv_array *values, const uint32_t *indices,
                        int64_t n, qv_array **out, qv_error *err) QV_MUST_USE;
/* qv_array_take with 64-bit indices; a negative index is QV_OUT_OF_RANGE. */
qv_status qv_array_take_i64(qv_allocator *alloc, const qv_array *values, const int64_t *indices,
                            int64_t n, qv_array **out, qv_error *err) QV_MUST_USE;

/* The null index of qv_array_take_nullable: its output slot is null. */
#define QV_TAKE_NULL_U32 UINT32_MAX
/* The null index of qv_array_take_i64_nullable. */
#define QV_TAKE_NULL_I64 (-1)

/* qv_array_take where an index of QV_TAKE_NULL_U32 yields a null slot (the
 * padding side of an outer join). Works for every type: NA, unions (the slot
 * selects the first child, null there; a dense union's first child gains one
 * null value) and nested types (null struct / list slots). */
qv_status qv_array_take_nullable(qv_allocator *alloc, const qv_array *values,
                                 const uint32_t *indices, int64_t n, qv_array **out,
                                 qv_error *err) QV_MUST_USE;
/* qv_array_take_i64 where QV_TAKE_NULL_I64 (-1) yields a null slot; other
 * negative indices are QV_OUT_OF_RANGE. */
qv_status qv_array_take_i64_nullable(qv_allocator *alloc, const qv_array *values,
                                     const int64_t *indices, int64_t n, qv_array **out,
                                     qv_error *err) QV_MUST_USE;

/* Takes the same indices from every column of batch; the indices are checked
 * once. The result has batch's schema and n rows. Errors as qv_array_take;
 * note that a null slot in a column whose field is declared non-nullable is
 * the caller's concern (an outer join must make the padded side nullable). */
qv_status qv_record_batch_take(qv_allocator *alloc, const qv_record_batch *batch,
                               const uint32_t *indices, int64_t n, qv_record_batch **out,
                               qv_error *err) QV_MUST_USE;
/* qv_record_batch_take where QV_TAKE_NULL_U32 yields a row of nulls. */
qv_status qv_record_batch_take_nullable(qv_allocator *alloc, const qv_record_batch *batch,
                                        const uint32_t *indices, int64_t n,
                                        qv_record_batch **out, qv_error *err) QV_MUST_USE;

/* ---- concat --------------------------------------------------------------- */

/* The values of arrays[0], then arrays[1], ..., in one new array. All arrays
 * must have equal types (qv_type_equals); they may be sliced or empty. n == 1
 * returns a new reference to arrays[0].
 *
 * Dictionary arrays: when every dictionary is the same, or each is a prefix
 * of the longest (dictionary deltas), the result shares that dictionary;
 * otherwise the result's dictionary is the dictionaries appended one after
 * another and the indices are shifted accordingly (no deduplication).
 *
 * Errors: QV_INVALID for n < 1, differing types, 32-bit offsets (or
 * dictionary indices) that would overflow; QV_NOMEM. */
qv_status qv_array_concat(qv_allocator *alloc, qv_array *const *arrays, int32_t n, qv_array **out,
                          qv_error *err) QV_MUST_USE;

/* The rows of batches[0], then batches[1], ..., in one batch of the given
 * schema (CoalesceBatches). Every batch's columns must have the schema's
 * types; n may be 0 (an empty batch). The caller keeps its references.
 * Errors as qv_array_concat, naming the column. */
qv_status qv_record_batch_concat(qv_allocator *alloc, qv_schema *schema,
                                 qv_record_batch *const *batches, int32_t n,
                                 qv_record_batch **out, qv_error *err) QV_MUST_USE;

/* ---- hashing -------------------------------------------------------------- */

/* THE hash of the engine (XXH3, 64 bits). Every operator that partitions,
 * groups or joins by hash uses qv_hash_columns and qv_hash_partition, so a
 * row lands in the same partition on every worker.
 *
 * Value hash h(v), seed QV_HASH_SEED:
 *  - null (in any type, including nulls inside dictionaries): QV_HASH_NULL;
 *  - integers of every width, bool (0/1), dates, times, timestamps,
 *    durations, interval_months: the value widened to 64 bits (signed types
 *    sign-extend, unsigned zero-extend) and hashed as its 8 little-endian
 *    bytes with XXH3_64bits_withSeed, so equal values hash equal whatever
 *    the integer width;
 *  - float16/32/64: converted to double, -0.0 made 0.0 and every NaN the one
 *    quiet NaN 0x7FF8000000000000, then hashed as the 8 bytes of the double;
 *  - decimal128/256, interval day_time / month_day_nano, fixed_size_binary:
 *    XXH3_64bits_withSeed of their bytes (16, 32, 8, 16, byte_width);
 *  - binary and utf8 (both offset widths): XXH3_64bits_withSeed of their
 *    bytes, so utf8 and large_utf8 hash alike;
 *  - dictionary: the hash of the decoded value (equal to the plain column's);
 *  - struct: combine over the children in order, starting from
 *    h(number of children); list, large_list, fixed_size_list and map:
 *    combine over the elements, starting from h(number of elements);
 *  - unions: not supported (QV_NOT_IMPLEMENTED).
 *
 * Combining (columns of a row, children, elements):
 *    combine(acc, x) = XXH3_64bits_withSeed(8 little-endian bytes of x, seed=acc)
 * and a row's hash is h(c0), then acc = combine(acc, h(c1)), and so on. */
#define QV_HASH_SEED UINT64_C(0)
#define QV_HASH_NULL UINT64_C(0x9E3779B97F4A7C15)

/* Writes the combined hash of row r of cols (slot r of every column,
 * relative to its offset) to hashes_out[r], for r < n_rows. Every column
 * must have at least n_rows slots; columns may be of different types and
 * sliced. n_cols == 0 writes h(0) to every row. Scratch memory (dictionary
 * and nested child hashes) comes from the default allocator and is freed
 * before returning.
 *
 * Errors: QV_INVALID for a column shorter than n_rows or n_rows < 0;
 * QV_NOT_IMPLEMENTED for union columns; QV_NOMEM. On failure the contents
 * of hashes_out are unspecified. */
qv_status qv_hash_columns(const qv_array *const *cols, int32_t n_cols, int64_t n_rows,
                          uint64_t *hashes_out, qv_error *err) QV_MUST_USE;

/* The partition (0 <= p < n_partitions) of a row hash: the high 32 bits of
 * the hash scaled into [0, n) by multiply-shift, ((hash >> 32) * n) >> 32.
 * High bits, not the low ones, so that a hash table indexed by the low bits
 * of the same hash stays evenly filled inside each partition; multiply-shift
 * rather than modulo because it costs one multiplication. n_partitions must
 * be >= 1. */
static inline int32_t qv_hash_partition(uint64_t hash, int32_t n_partitions) {
  return (int32_t)(((hash >> 32) * (uint64_t)(uint32_t)n_partitions) >> 32);
}

/* ---- row format ----------------------------------------------------------- */

/* How a key column orders in the row format. */
typedef struct qv_sort_options {
  bool descending;  /* values in descending order (nulls are placed by nulls_first) */
  bool nulls_first; /* nulls before every value, else after */
} qv_sort_options;

/* The row format.
 *
 * Each row is the concatenation of its columns' encodings, in column order.
 * Two rows of one set of key types and options compare as their SQL
 * ORDER BY does with
 *     c = memcmp(a, b, min(len_a, len_b)); if (c == 0) c = len_a - len_b;
 * and are equal (GROUP BY / join equality: nulls equal each other, -0.0
 * equals 0.0, all NaNs are equal and greater than every other float) exactly
 * when their bytes are equal.
 *
 * A column's encoding is one null byte, then the value:
 *    null byte: 0x01 for a value; for a null 0x00 with nulls_first, else 0x02;
 *    value (ascending; descending inverts every value byte, never the null
 *    byte):
 *  - bool: one byte 0/1;
 *  - signed integers, dates, times, timestamps, durations, interval_months:
 *    big-endian two's complement at the type's width with the sign bit
 *    flipped; unsigned integers: big-endian;
 *  - floats (16/32/64): -0.0 made 0.0 and NaNs one positive quiet NaN, then
 *    the IEEE bits, big-endian, with every bit flipped for negative numbers
 *    and only the sign bit for the others (a total order: -inf < ... < -0 =
 *    0 < ... < inf < NaN);
 *  - decimal128/256: big-endian two's complement, sign bit flipped;
 *  - interval day_time / month_day_nano: each field as a signed integer
 *    (days then ms; months, days, then nanoseconds);
 *  - fixed_size_binary: the bytes;
 *  - binary / utf8 (any offset width): the bytes with every 0x00 written as
 *    0x00 0xFF, then the terminator 0x00 0x00 (so a prefix sorts first);
 *  - dictionary: the encoding of the decoded value (in the value type);
 *  - null type: no bytes at all (no null byte either).
 * A null of a fixed-width type is its null byte and zero bytes of the value's
 * width, a null of a variable-length type its null byte alone. So when every
 * key is fixed-width, every row has the same length.
 * Nested types, unions and dictionaries of the null type are not supported
 * (QV_NOT_IMPLEMENTED).
 *
 * Decoding gives back the values with two deliberate losses: -0.0 becomes
 * 0.0 and NaN payloads become the one NaN; dictionary columns come back as
 * dictionary arrays of the same type whose dictionary holds the decoded
 * values (one per row, not deduplicated) and whose indices are 0, 1, 2... */

/* Appends the encoding of rows 0..n_rows-1 of cols (relative to each
 * column's offset) to data. opts has n_cols entries, or is NULL for
 * ascending with nulls last. offsets (n_rows + 1 entries, caller-allocated)
 * receives the position in data->data where each row starts, and
 * offsets[n_rows] = data->size after the call; rows encoded by earlier calls
 * stay where they are, so one qv_bytes can accumulate the keys of many
 * batches (data->data may move as it grows: keep positions, not pointers).
 * A dictionary column's values are encoded once into scratch memory from the
 * default allocator.
 *
 * Errors: QV_INVALID for a column shorter than n_rows; QV_NOT_IMPLEMENTED for
 * a nested or union column; QV_NOMEM. On failure data keeps exactly its
 * earlier rows and the contents of offsets are unspecified. */
qv_status qv_row_encode(const qv_array *const *cols, const qv_sort_options *opts, int32_t n_cols,
                        int64_t n_rows, qv_bytes *data, int64_t *offsets,
                        qv_error *err) QV_MUST_USE;

/* Decodes n_rows rows back to n_cols arrays of the given types (the types
 * and opts the rows were encoded with). Row r starts at data + row_starts[r];
 * the encoding is self-delimiting, so only starts are read: the offsets of
 * qv_row_encode work as they are, and a hash table can pass the starts of
 * its groups' keys in any order. out[0..n_cols-1] receive new arrays of
 * n_rows slots each, owned by the caller.
 *
 * The bytes are trusted (they must come from qv_row_encode): decoding does
 * not check bounds. Errors: QV_NOT_IMPLEMENTED for a nested or union type,
 * QV_INVALID when a dictionary's index type cannot address n_rows values,
 * QV_NOMEM. */
qv_status qv_row_decode(qv_allocator *alloc, qv_data_type *const *types,
                        const qv_sort_options *opts, int32_t n_cols, const uint8_t *data,
                        const int64_t *row_starts, int64_t n_rows, qv_array **out,
                        qv_error *err) QV_MUST_USE;

#ifdef __cplusplus
}
#endif
#endif
