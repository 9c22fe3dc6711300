/* CSV: reading delimited text into record batches, and writing batches as CSV.
 *
 * Reading follows RFC 4180 (fields separated by a delimiter, records by LF or
 * CRLF, fields optionally enclosed in quotes, a quote inside a quoted field
 * doubled) with the usual extensions: any one-byte delimiter, an optional
 * escape character, a configurable null string, a tolerated trailing
 * delimiter (TPC-H `.tbl` files end every line with '|'), a UTF-8 byte order
 * mark at the start of the file, and empty lines skipped.
 *
 * Column types come from an explicit schema (applied by position) or are
 * inferred from the first rows of the file: bool, int64, float64, date32
 * (YYYY-MM-DD), timestamp (ISO 8601), utf8; binary when a column holds
 * invalid UTF-8. Explicit schemas may also use the other integer widths,
 * float32, decimal128/256 (parsed exactly, never through a double), date64,
 * time32/64, duration (an integer count), binary, large_utf8/large_binary,
 * fixed_size_binary and null.
 *
 * Parallel reading: a reader covers the records that START in a byte range
 * [begin, end) of the file, so that splitting a file into adjacent ranges and
 * reading each gives every record exactly once. Where a record starts can only
 * be known without reading from the beginning when no value contains a
 * newline: a reader of a range with begin > 0 therefore requires
 * newlines_in_values = false, and then a record starts at the beginning of the
 * data and after every LF (a record that starts in the range is read to its
 * end even if that lies beyond `end`). With newlines_in_values = false a
 * quoted or escaped newline is an error, so a file that breaks the rule fails
 * loudly instead of being split in the wrong place. Every range reader takes
 * the header and the inferred schema from the beginning of the file, so all
 * ranges agree on the schema.
 *
 * Errors name the input, the line (1-based, counted in the file) and the
 * column: "csv: lineitem.tbl line 17 column 'l_quantity': cannot parse 'x1'
 * as decimal128(15, 2)". */
#ifndef QUIVER_CSV_H
#define QUIVER_CSV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/status.h"
#include "quiver/type.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default of qv_csv_read_options.batch_size. */
#define QV_CSV_DEFAULT_BATCH_SIZE 8192
/* Default of qv_csv_read_options.infer_rows. */
#define QV_CSV_DEFAULT_INFER_ROWS 10000

/* ---- reading -------------------------------------------------------------- */

typedef struct qv_csv_read_options {
  /* Allocator for the batches and the reader's scratch space. NULL:
   * qv_default_allocator(). Give one with a limit to bound what an untrusted
   * file can make the reader take. */
  qv_allocator *alloc;
  /* Field separator (default ','). Must not be '\n', '\r', the quote or the
   * escape character. */
  char delimiter;
  /* Quote character (default '"'); '\0' disables quoting. A field is quoted
   * only when it starts with the quote; a quote inside an unquoted field is an
   * ordinary character. After a closing quote only a delimiter or the end of
   * the record may follow. */
  char quote;
  /* Escape character (default '\0': none). When set, it makes the next byte
   * literal, in quoted and unquoted fields alike ("\," is a comma, "\"" a
   * quote); it does not translate "\n" into a newline. */
  char escape;
  /* Whether the first record holds the column names (default true). Without
   * a header, columns are named f0, f1, ... unless a schema is given. With a
   * schema and a header, the header record is skipped and the schema's names
   * are used. */
  bool header;
  /* An unquoted field equal to this string is null, in any column (default
   * "": an unquoted empty field). NULL: no such string. Besides it, an empty
   * field (quoted or not) is null in every column that is not a string or
   * binary column, since no other value could be meant; a quoted empty field
   * in a string column is the empty string. The string is copied. */
  const char *null_string;
  /* Whether values may contain newlines (quoted, or escaped) (default true,
   * as RFC 4180 allows). false makes the file splittable into byte ranges
   * (see above) and turns a newline inside a value into an error. */
  bool newlines_in_values;
  /* Accept one more field than there are columns when it is empty and
   * unquoted, i.e. a delimiter at the end of the record (default false). The
   * header, or the first record when there is no header, then has its empty
   * last field dropped as well. */
  bool trailing_delimiter;
  /* Skip lines that are empty or hold only "\r" (default true). */
  bool ignore_empty_lines;
  /* Rows read from the beginning of the data to infer column types (default
   * QV_CSV_DEFAULT_INFER_ROWS). A later value that does not fit the inferred
   * type fails the read with an error naming the type; give a schema then. */
  int64_t infer_rows;
  /* Rows per record batch (default QV_CSV_DEFAULT_BATCH_SIZE). Batches of
   * very wide files (more than 2^20 / batch_size columns) hold fewer rows, to
   * bound the reader's scratch space. The last batch may be shorter. */
  int64_t batch_size;
  /* Name of the input in error messages (e.g. its path); copied. NULL:
   * messages say "csv: line N ...". qv_csv_reader_open sets it to the path
   * when it is NULL. */
  const char *file_name;
} qv_csv_read_options;

/* Sets the defaults described above: RFC 4180 with a header. */
void qv_csv_read_options_init(qv_csv_read_options *opts);

/* Sets the options for TPC-H dbgen `.tbl` files: '|' delimiter, a trailing
 * delimiter on every line, no header, no quoting, no escape, no newlines in
 * values (splittable), null_string NULL. Give the reader the TPC-H schema. */
void qv_csv_read_options_init_tbl(qv_csv_read_options *opts);

/* Whether byte ranges with begin > 0 can be read with these options (that is,
 * newlines_in_values is false). A caller splitting a file for parallel
 * reading checks this and reads the whole file as one range otherwise. */
bool qv_csv_splittable(const qv_csv_read_options *opts);

/* Infers the schema of the CSV data in `data` (borrowed) from its header (if
 * opts->header) and its first opts->infer_rows records, as a reader created
 * without a schema would. Every field is nullable. *out is owned by the
 * caller. opts may be NULL (defaults).
 * Errors: QV_INVALID for bad options or malformed CSV in the rows read (the
 * message names the line); QV_NOMEM. */
qv_status qv_csv_infer_schema(qv_buffer *data, const qv_csv_read_options *opts, qv_schema **out,
                              qv_error *err) QV_MUST_USE;

typedef struct qv_csv_reader qv_csv_reader;

/* Creates a reader of the records of `data` (the whole file; the reader takes
 * a reference) that start in bytes [begin, end). end < 0 means the end of
 * data; the whole file is begin = 0, end = -1. schema (may be NULL: inferred
 * from the beginning of data) gives the column types by position; the reader
 * takes a reference. opts may be NULL (defaults); it is copied.
 * Errors: QV_INVALID for bad options, a range outside data, begin > 0 with
 * newlines_in_values, a malformed header or inference rows;
 * QV_NOT_IMPLEMENTED for a schema type CSV cannot hold (nested types,
 * dictionaries, intervals, float16); QV_NOMEM. */
qv_status qv_csv_reader_create(qv_buffer *data, int64_t begin, int64_t end,
                               const qv_csv_read_options *opts, qv_schema *schema,
                               qv_csv_reader **out, qv_error *err) QV_MUST_USE;

/* Opens the file at path (mapped into memory) and creates a reader of all of
 * it, as qv_csv_reader_create with begin = 0, end = -1.
 * Errors: QV_NOT_FOUND when the file does not exist, QV_IO when it cannot be
 * read, and those of qv_csv_reader_create. */
qv_status qv_csv_reader_open(const char *path, const qv_csv_read_options *opts, qv_schema *schema,
                             qv_csv_reader **out, qv_error *err) QV_MUST_USE;

/* The schema of the batches. Borrowed, valid while r lives. */
qv_schema *qv_csv_reader_schema(const qv_csv_reader *r);

/* Reads the next batch into *out (the caller owns one reference); *out is
 * NULL once every record of the range was returned. The batch's buffers are
 * new memory: they do not reference the input.
 * Errors: QV_INVALID for malformed CSV (an unterminated quote, a character
 * after a closing quote, a record with the wrong number of fields, a newline
 * in a value without newlines_in_values), a value that does not parse as its
 * column's type, a null in a non-nullable column, invalid UTF-8 in a utf8
 * column; QV_OUT_OF_RANGE for a number or date outside its type's range;
 * QV_NOMEM. The message names file, line and column. After an error every
 * later call fails the same way. */
qv_status qv_csv_reader_next(qv_csv_reader *r, qv_record_batch **out, qv_error *err) QV_MUST_USE;

/* Frees the reader; batches it returned stay valid. r may be NULL. */
void qv_csv_reader_destroy(qv_csv_reader *r);

/* ---- writing -------------------------------------------------------------- */

typedef struct qv_csv_write_options {
  /* Field separator (default ','). */
  char delimiter;
  /* Quote character (default '"'). A field is quoted when it contains the
   * delimiter, the quote, CR or LF, when it is an empty string while
   * null_string is empty, when it equals a non-empty null_string, or when it
   * starts with a UTF-8 byte order mark; quotes inside are doubled. */
  char quote;
  /* Text of a null (default "": an empty field). */
  const char *null_string;
  /* End records with "\r\n" instead of "\n" (default false). */
  bool crlf;
} qv_csv_write_options;

/* Sets the defaults described above. */
void qv_csv_write_options_init(qv_csv_write_options *opts);

/* Appends batch b as CSV text to out (initialised with qv_bytes_init; its
 * allocator is used for scratch space too): first, when write_header is true, a
 * record of the column names; then one record per row. Values are written as:
 * integers in decimal; floats with the fewest digits that read back to the
 * same value, laid out as Python's repr does (positional for decimal
 * exponents -4 to 15 with at least one fractional digit, "100.0", "0.0001";
 * scientific otherwise, "1e+22", "5e-324"; "NaN", "inf", "-inf");
 * decimals with exactly their scale ("123.40"); dates YYYY-MM-DD; timestamps
 * ISO 8601 ("2024-05-01T12:00:00.250") with the fraction of their unit, and
 * for a timestamp with any time zone the UTC instant followed by 'Z'; times
 * HH:MM:SS[.f]; bool true/false; strings as they are; binary as lowercase hex;
 * nested values (list, struct, map) as their JSON text (see quiver/jsonl.h);
 * union slots as the selected child's value; dictionary slots as their
 * decoded value; nulls as
 * opts->null_string. opts may be NULL (defaults).
 * Errors: QV_NOMEM; QV_NOT_IMPLEMENTED for a type that cannot be written. */
qv_status qv_csv_format_batch(qv_bytes *out, const qv_record_batch *b,
                              const qv_csv_write_options *opts, bool write_header,
                              qv_error *err) QV_MUST_USE;

/* Writes batch b as CSV to out, as qv_csv_format_batch (write_header: true
 * for the first batch of a file that wants a header line). f stays owned by
 * the caller. Errors: those of qv_csv_format_batch; QV_IO when writing
 * fails. */
qv_status qv_csv_write_batch(FILE *out, const qv_record_batch *b, const qv_csv_write_options *opts,
                             bool write_header, qv_error *err) QV_MUST_USE;

#ifdef __cplusplus
}
#endif
#endif
