/* JSON Lines output: one JSON object per row (`quiver cat --format jsonl`).
 *
 * Each row becomes {"column": value, ...} on its own line, members in column
 * order. Values:
 *   - null as null; bool as true/false;
 *   - integers as JSON numbers, exactly (int64 and uint64 included);
 *   - floats as numbers in the shortest form that reads back to the same
 *     value; NaN and the infinities, which JSON cannot write as numbers, as
 *     the strings "NaN", "inf" and "-inf";
 *   - decimals as numbers written with exactly their scale (123.40), so that
 *     no digit is lost to a double on our side; readers that parse numbers
 *     as doubles may round them;
 *   - dates, times, timestamps as strings in ISO 8601 form, as the CSV writer
 *     writes them (timestamps with a time zone as the UTC instant plus 'Z');
 *     durations and intervals as strings ("5ms", "1M2d3ns");
 *   - strings escaped per RFC 8259 (control characters as \n, \t, ... or
 *     \u00XX); bytes that are not valid UTF-8 become U+FFFD, so the output is
 *     always valid UTF-8; binary as a string of lowercase hex digits;
 *   - lists as arrays; structs as objects; maps as objects whose member names
 *     are the keys' text (string keys as they are, other keys formatted as
 *     they would be as values, unquoted); unions as the value of the selected
 *     child; dictionary slots as their decoded value. */
#ifndef QUIVER_JSONL_H
#define QUIVER_JSONL_H

#include <stdio.h>

#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends the rows of b to out (initialised with qv_bytes_init) as JSON
 * Lines, each line ending with "\n".
 * Errors: QV_NOMEM; QV_NOT_IMPLEMENTED for a type that cannot be written. */
qv_status qv_json_format_batch(qv_bytes *out, const qv_record_batch *b, qv_error *err) QV_MUST_USE;

/* Writes the rows of b to out as JSON Lines. out stays owned by the caller.
 * Errors: those of qv_json_format_batch; QV_IO when writing fails. */
qv_status qv_json_write_batch(FILE *out, const qv_record_batch *b, qv_error *err) QV_MUST_USE;

#ifdef __cplusplus
}
#endif
#endif
