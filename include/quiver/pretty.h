/* Human-readable rendering of values and record batches (the demo, `quiver
 * cat`, test failure messages). */
#ifndef QUIVER_PRETTY_H
#define QUIVER_PRETTY_H

#include <stdio.h>

#include "quiver/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends the text of slot i of a to out: "null" for nulls, decimals with their
 * scale, dates as YYYY-MM-DD, timestamps as ISO 8601, binary as hex, nested
 * values as [..] and {..}, dictionary slots as their decoded value. */
qv_status qv_format_value(const qv_array *a, int64_t i, qv_bytes *out, qv_error *err) QV_MUST_USE;

/* Appends the decimal text of a little-endian two's complement integer of
 * n_words (2: decimal128, 4: decimal256) 64-bit words at p, with `scale`
 * digits after the point (a negative scale appends zeros): "-123.45". */
qv_status qv_format_decimal(qv_bytes *out, const uint8_t *p, int n_words, int32_t scale,
                            qv_error *err) QV_MUST_USE;

/* Writes the batch as an aligned text table with a header of column names and
 * types, at most max_rows rows (negative: all), each cell cut to 40 columns. */
qv_status qv_record_batch_print(const qv_record_batch *b, int64_t max_rows, FILE *out,
                                qv_error *err) QV_MUST_USE;

#ifdef __cplusplus
}
#endif
#endif
