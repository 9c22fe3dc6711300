/* The CSV writer: record batches to RFC 4180 text.
 *
 * Each value is rendered into a scratch vector (io/text_format.c gives the
 * text of every type), then copied to the output, quoted when it has to be:
 * when it holds the delimiter, the quote, CR or LF, when it is an empty
 * string that would otherwise read back as a null (null_string ""), when it
 * equals a non-empty null string, or when it starts with a UTF-8 byte order
 * mark (which readers drop at the start of a file). Nulls are written as the
 * null string, never quoted. qv_csv_write_batch formats the whole batch before one fwrite,
 * so a failed write never leaves half a record from this batch behind. */
#include <string.h>

#include "arrow/internal.h"
#include "io/text_format.h"
#include "quiver/csv.h"

void qv_csv_write_options_init(qv_csv_write_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->delimiter = ',';
  opts->quote = '"';
  opts->null_string = "";
  opts->crlf = false;
}

/* Appends one field's text, quoted when needed. */
static qv_status append_field(qv_bytes *out, const uint8_t *s, int64_t n, const qv_csv_write_options *o,
                              int64_t null_len, qv_error *err) {
  bool quote = n == 0 ? null_len == 0
                      : (null_len > 0 && n == null_len && memcmp(s, o->null_string, (size_t)n) == 0) ||
                            (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF);
  for (int64_t i = 0; i < n && !quote; i++) {
    uint8_t c = s[i];
    quote = c == (uint8_t)o->delimiter || c == (uint8_t)o->quote || c == '\n' || c == '\r';
  }
  if (!quote) return qv_bytes_append(out, s, n, err);
  if (n == 0) { /* s may be NULL */
    uint8_t empty[2] = {(uint8_t)o->quote, (uint8_t)o->quote};
    return qv_bytes_append(out, empty, 2, err);
  }
  QV_RETURN_NOT_OK(qv_bytes_reserve(out, n + 2, err));
  QV_RETURN_NOT_OK(qv_bytes_append(out, &o->quote, 1, err));
  int64_t run = 0;
  for (int64_t i = 0; i < n; i++) {
    if (s[i] != (uint8_t)o->quote) continue;
    /* Copy through the quote, then write it a second time. */
    QV_RETURN_NOT_OK(qv_bytes_append(out, s + run, i + 1 - run, err));
    QV_RETURN_NOT_OK(qv_bytes_append(out, &o->quote, 1, err));
    run = i + 1;
  }
  QV_RETURN_NOT_OK(qv_bytes_append(out, s + run, n - run, err));
  return qv_bytes_append(out, &o->quote, 1, err);
}

static qv_status end_record(qv_bytes *out, const qv_csv_write_options *o, qv_error *err) {
  return o->crlf ? qv_bytes_append(out, "\r\n", 2, err) : qv_bytes_append(out, "\n", 1, err);
}

qv_status qv_csv_format_batch(qv_bytes *out, const qv_record_batch *b, const qv_csv_write_options *opts,
                              bool write_header, qv_error *err) {
  qv_csv_write_options defaults;
  if (!opts) {
    qv_csv_write_options_init(&defaults);
    opts = &defaults;
  }
  if (opts->delimiter == '\n' || opts->delimiter == '\r' || opts->delimiter == opts->quote || !opts->quote)
    return qv_error_set(err, QV_INVALID, "csv: the delimiter and the quote must differ and not be CR or LF");
  const char *null_string = opts->null_string ? opts->null_string : "";
  qv_csv_write_options o = *opts;
  o.null_string = null_string;
  int64_t null_len = (int64_t)strlen(null_string);
  int32_t n_cols = b->n_columns;
  if (write_header) {
    for (int32_t c = 0; c < n_cols; c++) {
      if (c) QV_RETURN_NOT_OK(qv_bytes_append(out, &o.delimiter, 1, err));
      const char *name = b->schema->fields[c]->name;
      QV_RETURN_NOT_OK(append_field(out, (const uint8_t *)name, (int64_t)strlen(name), &o, null_len, err));
    }
    QV_RETURN_NOT_OK(end_record(out, &o, err));
  }
  qv_bytes text;
  qv_bytes_init(&text, out->alloc);
  qv_status st = QV_OK;
  for (int64_t r = 0; r < b->num_rows && st == QV_OK; r++) {
    for (int32_t c = 0; c < n_cols && st == QV_OK; c++) {
      if (c) st = qv_bytes_append(out, &o.delimiter, 1, err);
      const qv_array *col = b->columns[c];
      if (st != QV_OK) break;
      if (qv__text_is_null(col, r)) {
        st = qv_bytes_append(out, null_string, null_len, err);
        continue;
      }
      text.size = 0;
      st = qv__text_append_value(col, r, &text, err);
      if (st == QV_OK) st = append_field(out, text.data, text.size, &o, null_len, err);
    }
    if (st == QV_OK) st = end_record(out, &o, err);
  }
  qv_bytes_reset(&text);
  return st;
}

qv_status qv_csv_write_batch(FILE *out, const qv_record_batch *b, const qv_csv_write_options *opts,
                             bool write_header, qv_error *err) {
  qv_bytes buf;
  qv_bytes_init(&buf, NULL);
  qv_status st = qv_csv_format_batch(&buf, b, opts, write_header, err);
  if (st == QV_OK && buf.size > 0 && fwrite(buf.data, 1, (size_t)buf.size, out) != (size_t)buf.size)
    st = qv_error_set(err, QV_IO, "csv: writing failed");
  qv_bytes_reset(&buf);
  return st;
}
