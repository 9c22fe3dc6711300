/* Output sinks of `quiver cat`, one per --format:
 *
 *  - table: qv_record_batch_print, one table per batch;
 *  - csv: RFC 4180 (CRLF line ends, a header line per input file, fields
 *    quoted when they hold a comma, quote, CR or LF; NULL is an empty field);
 *  - json: one JSON object per row (JSON Lines);
 *  - arrow: an Arrow IPC stream on the output (all inputs must share one
 *    schema), the exact form tests compare with pyarrow.
 *
 * Text is built per batch in one byte vector and written with one fwrite. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "quiver/ipc.h"
#include "quiver/pretty.h"

typedef enum sink_kind { SINK_TABLE, SINK_CSV, SINK_JSON, SINK_ARROW } sink_kind;

struct qv_cli_sink {
  sink_kind kind;
  FILE *out;
  qv_schema *schema;           /* current input's */
  qv_ipc_stream_writer *writer; /* arrow */
  qv_schema *stream_schema;    /* arrow: the schema of the stream */
  qv_bytes text;
};

qv_cli_sink *qv__cli_sink_create(const char *format, FILE *out) {
  sink_kind kind;
  if (strcmp(format, "table") == 0) kind = SINK_TABLE;
  else if (strcmp(format, "csv") == 0) kind = SINK_CSV;
  else if (strcmp(format, "json") == 0) kind = SINK_JSON;
  else if (strcmp(format, "arrow") == 0) kind = SINK_ARROW;
  else return NULL;
  qv_cli_sink *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->kind = kind;
  s->out = out;
  qv_bytes_init(&s->text, NULL);
  return s;
}

static qv_status flush_text(qv_cli_sink *s, qv_error *err) {
  if (s->text.size && fwrite(s->text.data, 1, (size_t)s->text.size, s->out) != (size_t)s->text.size)
    return qv_error_set(err, QV_IO, "cannot write the output");
  s->text.size = 0;
  return QV_OK;
}

/* Appends a CSV field, quoted when it must be. */
static qv_status csv_field(qv_bytes *out, const uint8_t *p, int64_t n, qv_error *err) {
  bool quote = false;
  for (int64_t i = 0; i < n && !quote; i++) quote = p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n';
  if (!quote) return qv_bytes_append(out, p, n, err);
  QV_RETURN_NOT_OK(qv_bytes_append(out, "\"", 1, err));
  int64_t start = 0;
  for (int64_t i = 0; i < n; i++) {
    if (p[i] != '"') continue;
    QV_RETURN_NOT_OK(qv_bytes_append(out, p + start, i + 1 - start, err));
    QV_RETURN_NOT_OK(qv_bytes_append(out, "\"", 1, err));
    start = i + 1;
  }
  QV_RETURN_NOT_OK(qv_bytes_append(out, p + start, n - start, err));
  return qv_bytes_append(out, "\"", 1, err);
}

qv_status qv__cli_sink_begin(qv_cli_sink *s, qv_schema *schema, qv_error *err) {
  s->schema = schema;
  if (s->kind == SINK_CSV) {
    for (int32_t c = 0; c < qv_schema_num_fields(schema); c++) {
      const char *name = qv_field_name(qv_schema_field(schema, c));
      if (c) QV_RETURN_NOT_OK(qv_bytes_append(&s->text, ",", 1, err));
      QV_RETURN_NOT_OK(csv_field(&s->text, (const uint8_t *)name, (int64_t)strlen(name), err));
    }
    QV_RETURN_NOT_OK(qv_bytes_append(&s->text, "\r\n", 2, err));
    return flush_text(s, err);
  }
  if (s->kind == SINK_ARROW) {
    if (s->writer) {
      if (!qv_schema_equals(s->stream_schema, schema))
        return qv_error_set(err, QV_INVALID, "--format arrow: the inputs have different schemas");
      return QV_OK;
    }
    QV_RETURN_NOT_OK(qv_ipc_stream_writer_create(schema, NULL, qv_ipc_sink_file(s->out), &s->writer, err));
    s->stream_schema = qv_schema_ref(schema);
  }
  return QV_OK;
}

qv_status qv__cli_sink_write(qv_cli_sink *s, qv_record_batch *b, int64_t max_rows, qv_error *err) {
  int64_t rows = qv_record_batch_num_rows(b);
  if (max_rows >= 0 && max_rows < rows) rows = max_rows;
  int32_t ncol = qv_record_batch_num_columns(b);
  switch (s->kind) {
    case SINK_TABLE: return qv_record_batch_print(b, rows, s->out, err);
    case SINK_ARROW: {
      qv_record_batch *part = b;
      if (rows < qv_record_batch_num_rows(b)) QV_RETURN_NOT_OK(qv_record_batch_slice(b, 0, rows, &part, err));
      qv_status st = qv_ipc_stream_writer_write(s->writer, part, err);
      if (part != b) qv_record_batch_unref(part);
      return st;
    }
    case SINK_CSV: {
      qv_bytes field;
      qv_bytes_init(&field, NULL);
      qv_status st = QV_OK;
      for (int64_t r = 0; r < rows && st == QV_OK; r++) {
        for (int32_t c = 0; c < ncol && st == QV_OK; c++) {
          if (c) st = qv_bytes_append(&s->text, ",", 1, err);
          field.size = 0;
          if (st == QV_OK) st = qv__cli_append_text(qv_record_batch_column(b, c), r, &field, err);
          if (st == QV_OK) st = csv_field(&s->text, field.data, field.size, err);
        }
        if (st == QV_OK) st = qv_bytes_append(&s->text, "\r\n", 2, err);
        if (st == QV_OK && s->text.size > (1 << 20)) st = flush_text(s, err);
      }
      qv_bytes_reset(&field);
      return st == QV_OK ? flush_text(s, err) : st;
    }
    case SINK_JSON: {
      qv_status st = QV_OK;
      qv_schema *schema = qv_record_batch_schema(b);
      for (int64_t r = 0; r < rows && st == QV_OK; r++) {
        st = qv_bytes_append(&s->text, "{", 1, err);
        for (int32_t c = 0; c < ncol && st == QV_OK; c++) {
          qv_bytes *t = &s->text;
          const char *name = qv_field_name(qv_schema_field(schema, c));
          /* The name as a JSON string: reuse the value writer on a literal. */
          if (c) st = qv_bytes_append(t, ",", 1, err);
          if (st == QV_OK) st = qv_bytes_append(t, "\"", 1, err);
          for (const char *p = name; st == QV_OK && *p; p++) {
            char esc[8];
            int n = 1;
            esc[0] = *p;
            if (*p == '"' || *p == '\\') {
              esc[0] = '\\';
              esc[1] = *p;
              n = 2;
            } else if ((unsigned char)*p < 0x20) {
              n = snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)*p);
            }
            st = qv_bytes_append(t, esc, n, err);
          }
          if (st == QV_OK) st = qv_bytes_append(t, "\":", 2, err);
          if (st == QV_OK) st = qv__cli_append_json(qv_record_batch_column(b, c), r, t, err);
        }
        if (st == QV_OK) st = qv_bytes_append(&s->text, "}\n", 2, err);
        if (st == QV_OK && s->text.size > (1 << 20)) st = flush_text(s, err);
      }
      return st == QV_OK ? flush_text(s, err) : st;
    }
  }
  return QV_OK;
}

qv_status qv__cli_sink_end(qv_cli_sink *s, qv_error *err) {
  s->schema = NULL;
  return flush_text(s, err);
}

qv_status qv__cli_sink_finish(qv_cli_sink *s, qv_error *err) {
  if (s->writer) QV_RETURN_NOT_OK(qv_ipc_stream_writer_close(s->writer, err));
  if (fflush(s->out) != 0) return qv_error_set(err, QV_IO, "cannot write the output");
  return QV_OK;
}

void qv__cli_sink_destroy(qv_cli_sink *s) {
  if (!s) return;
  qv_ipc_stream_writer_destroy(s->writer);
  qv_schema_unref(s->stream_schema);
  qv_bytes_reset(&s->text);
  free(s);
}
