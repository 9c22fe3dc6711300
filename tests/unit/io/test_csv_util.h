/* Helpers shared by the CSV unit tests: reading text through the CSV reader
 * into rendered rows, and building schemas from a compact spec. */
#ifndef QV_TEST_CSV_UTIL_H
#define QV_TEST_CSV_UTIL_H

#include <stdint.h>

#include "quiver/csv.h"

/* A schema from "name:type,..." where type is one of bool, int8, int16,
 * int32, int64, uint8, uint16, uint32, uint64, float32, float64, utf8,
 * large_utf8, binary, large_binary, date32, date64, null, dec(P;S) (decimal128),
 * dec256(P;S), ts_s/ts_ms/ts_us/ts_ns (naive), ts_s_utc .. ts_ns_utc,
 * time32_s, time32_ms, time64_us, time64_ns, fsb(N); a trailing '!' makes the
 * field non-nullable. NULL on a bad spec. */
qv_schema *csv_test_schema(const char *spec);

/* Reads the records of text (len bytes, or strlen when len < 0) that start in
 * [begin, end) and appends each row to rows as its values rendered by
 * qv_format_value, separated by '|', ending in '\n'. *n_rows (may be NULL)
 * gets the row count, *n_batches (may be NULL) the batch count. When
 * schema_out is not NULL it receives a reference to the reader's schema. */
qv_status csv_test_read(const char *text, int64_t len, const qv_csv_read_options *opts, qv_schema *schema,
                        int64_t begin, int64_t end, qv_bytes *rows, int64_t *n_rows, int64_t *n_batches,
                        qv_schema **schema_out, qv_error *err);

/* Reads all of text and returns the rendered rows as a malloc'd string (NULL
 * on failure, err set). */
char *csv_test_rows(const char *text, const qv_csv_read_options *opts, qv_schema *schema, qv_error *err);

/* The type of field i of s as text (a static buffer). */
const char *csv_test_type(const qv_schema *s, int32_t i);

#endif
