/* Text forms of Arrow values shared by the CSV and JSON Lines writers
 * (quiver/csv.h and quiver/jsonl.h describe the forms). Slot indexes are
 * relative to the array's offset, as in qv_format_value. */
#ifndef QV_IO_TEXT_FORMAT_H
#define QV_IO_TEXT_FORMAT_H

#include <stdint.h>

#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/status.h"

/* The shortest decimal text that reads back (strtod) to v, with ".0" added
 * when it would otherwise read as an integer; "NaN", "inf", "-inf". */
qv_status qv__text_append_double(qv_bytes *out, double v, qv_error *err) QV_MUST_USE;
/* The same for a float32 (shortest text that strtof reads back to v). */
qv_status qv__text_append_float(qv_bytes *out, float v, qv_error *err) QV_MUST_USE;

/* Whether slot i is null, looking through unions (the selected child's
 * slot) and dictionaries (the index and the value it selects). */
bool qv__text_is_null(const qv_array *a, int64_t i);

/* The CSV text of valid slot i of a: scalars as described in quiver/csv.h,
 * strings as their bytes, binary as hex, nested values as JSON text. */
qv_status qv__text_append_value(const qv_array *a, int64_t i, qv_bytes *out, qv_error *err) QV_MUST_USE;

/* s[0..n) as a JSON string with its quotes; invalid UTF-8 becomes U+FFFD. */
qv_status qv__json_append_string(qv_bytes *out, const uint8_t *s, int64_t n, qv_error *err) QV_MUST_USE;

/* Slot i of a (null or not) as a JSON value. */
qv_status qv__json_append_value(const qv_array *a, int64_t i, qv_bytes *out, qv_error *err) QV_MUST_USE;

#endif
