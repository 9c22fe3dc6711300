/* Private declarations of the CSV reader, shared by its files:
 *
 *   csv_tokenize.c  options, record boundaries, the tokenizer (bytes to field
 *                   spans), line numbers and error messages;
 *   csv_convert.c   field spans of one column to an Arrow array;
 *   csv_infer.c     the header and type inference;
 *   csv_reader.c    the public reader (ranges, batches, files);
 *   csv_values.h    the value parsers (inline: they sit in the column loops).
 *
 * The reader works in two passes per batch: the tokenizer finds the spans of
 * up to batch_size records and stores them column by column; each column is
 * then converted in one tight loop for its type. */
#ifndef QV_IO_CSV_INTERNAL_H
#define QV_IO_CSV_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "quiver/csv.h"

/* One field of one record: bytes [start, start+len) of the input. For a
 * quoted field the span excludes the quotes. */
typedef struct qv_csv_field {
  int64_t start;
  int32_t len;
  uint32_t flags;
} qv_csv_field;

#define QV_CSV_QUOTED 1u   /* the field was enclosed in quotes */
#define QV_CSV_UNESCAPE 2u /* the span holds doubled quotes or escapes to undo */

/* Fields stored per batch at most (rows x columns): bounds the scratch space
 * of very wide files. */
#define QV_CSV_MAX_BATCH_FIELDS ((int64_t)1 << 20)

/* The input and the options in the form the hot loops use. */
typedef struct qv_csv_ctx {
  const uint8_t *data;
  int64_t size;
  qv_allocator *alloc;
  uint8_t delimiter;
  uint8_t quote;  /* meaningful only when has_quote */
  uint8_t escape; /* meaningful only when has_escape */
  bool has_quote;
  bool has_escape;
  bool header;
  bool newlines_in_values;
  bool trailing_delimiter;
  bool ignore_empty_lines;
  bool has_null_string;
  const char *null_string; /* borrowed from the owner of the ctx */
  int64_t null_len;
  const char *file_name;   /* borrowed; may be NULL */
  int64_t infer_rows;
  int64_t batch_size;
} qv_csv_ctx;

/* What qv__csv_parse_record found. */
typedef struct qv_csv_record {
  int64_t next;       /* offset of the byte after the record's line end */
  int32_t n_fields;   /* fields found (including a trailing empty one) */
  bool last_empty;    /* the last field is empty and unquoted */
} qv_csv_record;

/* ---- csv_tokenize.c ------------------------------------------------------- */

/* Checks opts and fills ctx for data (borrowed; the strings of opts too).
 * Errors: QV_INVALID for an impossible combination of characters. */
qv_status qv__csv_ctx_init(qv_csv_ctx *ctx, const uint8_t *data, int64_t size,
                           const qv_csv_read_options *opts, qv_error *err) QV_MUST_USE;

/* Offset of the first record: 0, or 3 after a UTF-8 byte order mark. */
int64_t qv__csv_data_begin(const qv_csv_ctx *ctx);

/* The 1-based line of byte offset pos (counts LFs before it). Only for error
 * messages: it reads the input from its start. */
int64_t qv__csv_line_of(const qv_csv_ctx *ctx, int64_t pos);

/* Sets err to "csv: <file> line N[ column 'c']: <message>" for the byte at
 * pos; column may be NULL. Returns code. */
qv_status qv__csv_error(const qv_csv_ctx *ctx, qv_error *err, qv_status code, int64_t pos,
                        const char *column, const char *fmt, ...) QV_PRINTF(6, 7);

/* If an empty line (only "\r" allowed) starts at pos and empty lines are
 * ignored, returns true and sets *next past it. */
bool qv__csv_skip_empty_line(const qv_csv_ctx *ctx, int64_t pos, int64_t *next);

/* The first record boundary at or after `begin` (> 0) when values hold no
 * newlines: the byte after the first LF at or after begin - 1, or size. */
int64_t qv__csv_next_record_start(const qv_csv_ctx *ctx, int64_t begin);

/* Parses the record starting at pos (which must be < size). Field c is stored
 * at out[c * stride] for c < n_store (out may be NULL when n_store is 0).
 * Errors: QV_INVALID for an unterminated quote, a character after a closing
 * quote, an escape at the end of the input, a newline inside a value without
 * newlines_in_values, a field over 2 GiB. */
qv_status qv__csv_parse_record(const qv_csv_ctx *ctx, int64_t pos, qv_csv_field *out,
                               int64_t stride, int32_t n_store, qv_csv_record *rec,
                               qv_error *err) QV_MUST_USE;

/* Tokenizes records starting at *pos while *pos < end and fewer than cap rows
 * were read, skipping empty lines. Row r's field c goes to fields[c * cap +
 * r]. Every record must have n_cols fields (or n_cols + 1 with an empty last
 * one when trailing delimiters are allowed). Sets *rows and advances *pos.
 * Errors: those of qv__csv_parse_record; QV_INVALID for a wrong field count. */
qv_status qv__csv_tokenize(const qv_csv_ctx *ctx, int64_t *pos, int64_t end, int32_t n_cols,
                           qv_csv_field *fields, int64_t cap, int64_t *rows,
                           qv_error *err) QV_MUST_USE;

/* Writes the value of a field with QV_CSV_UNESCAPE into dst (at least f->len
 * bytes): doubled quotes of a quoted field become one, an escape character is
 * dropped and the byte after it kept. Returns the length written. */
int64_t qv__csv_unescape(const qv_csv_ctx *ctx, const qv_csv_field *f, uint8_t *dst);

/* ---- csv_convert.c -------------------------------------------------------- */

/* Whether the field is null in a column whose values are strings (utf8 or
 * binary) or not (see null_string in quiver/csv.h). Inline: it runs for
 * every field. */
static inline bool qv__csv_is_null(const qv_csv_ctx *ctx, const qv_csv_field *f, bool string_column) {
  if (f->len == 0) return !string_column || (!(f->flags & QV_CSV_QUOTED) && ctx->has_null_string && ctx->null_len == 0);
  return ctx->has_null_string && f->len == ctx->null_len && !(f->flags & QV_CSV_QUOTED) &&
         memcmp(ctx->data + f->start, ctx->null_string, (size_t)f->len) == 0;
}

/* Whether n bytes are valid UTF-8. */
bool qv__csv_utf8_valid(const uint8_t *s, int64_t n);

/* Checks that a column of this field's type can be read from CSV.
 * Errors: QV_NOT_IMPLEMENTED naming the column and type. */
qv_status qv__csv_check_field(const qv_field *field, qv_error *err) QV_MUST_USE;

/* Converts rows fields (consecutive, one column) to an array of the field's
 * type. scratch holds unescaped values. Errors name line and column. */
qv_status qv__csv_convert_column(const qv_csv_ctx *ctx, const qv_csv_field *fields, int64_t rows,
                                 const qv_field *field, qv_bytes *scratch, qv_array **out,
                                 qv_error *err) QV_MUST_USE;

/* ---- csv_infer.c ---------------------------------------------------------- */

/* Reads the header, if any, and decides the schema: `schema` when given
 * (*out takes a reference), else inferred from the first ctx->infer_rows
 * records. Sets *data_start to the offset of the first data record.
 * Errors: those of the tokenizer; QV_NOMEM. */
qv_status qv__csv_prepare(const qv_csv_ctx *ctx, qv_schema *schema, qv_schema **out,
                          int64_t *data_start, qv_error *err) QV_MUST_USE;

#endif
