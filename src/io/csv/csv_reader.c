/* The public CSV reader: options, byte ranges, batches and files.
 *
 * A reader owns copies of its options' strings, a reference to the input and
 * the schema, and one scratch array of field spans sized for a batch. Each
 * qv_csv_reader_next tokenizes up to a batch of records that start before the
 * range's end and converts them column by column (csv_convert.c). Errors are
 * sticky: the first one is kept and returned by every later call. Files are
 * mapped through io/file.h. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "io/csv/csv_internal.h"
#include "io/file.h"

struct qv_csv_reader {
  qv_csv_ctx ctx;
  char *null_string; /* owned copies of the option strings */
  char *file_name;
  qv_buffer *data;
  qv_schema *schema;
  int64_t pos;       /* start of the next record */
  int64_t end;       /* records must start before this offset */
  int64_t cap;       /* rows per batch */
  qv_csv_field *fields;
  int64_t fields_bytes;
  qv_bytes scratch;
  qv_status failed;  /* sticky error */
  qv_error saved;
};

void qv_csv_read_options_init(qv_csv_read_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->delimiter = ',';
  opts->quote = '"';
  opts->escape = '\0';
  opts->header = true;
  opts->null_string = "";
  opts->newlines_in_values = true;
  opts->trailing_delimiter = false;
  opts->ignore_empty_lines = true;
  opts->infer_rows = QV_CSV_DEFAULT_INFER_ROWS;
  opts->batch_size = QV_CSV_DEFAULT_BATCH_SIZE;
}

void qv_csv_read_options_init_tbl(qv_csv_read_options *opts) {
  qv_csv_read_options_init(opts);
  opts->delimiter = '|';
  opts->quote = '\0';
  opts->header = false;
  opts->null_string = NULL;
  opts->newlines_in_values = false;
  opts->trailing_delimiter = true;
}

bool qv_csv_splittable(const qv_csv_read_options *opts) { return opts && !opts->newlines_in_values; }

qv_status qv_csv_infer_schema(qv_buffer *data, const qv_csv_read_options *opts, qv_schema **out, qv_error *err) {
  *out = NULL;
  qv_csv_read_options defaults;
  if (!opts) {
    qv_csv_read_options_init(&defaults);
    opts = &defaults;
  }
  qv_csv_ctx ctx;
  QV_RETURN_NOT_OK(qv__csv_ctx_init(&ctx, qv_buffer_data(data), qv_buffer_size(data), opts, err));
  int64_t start;
  return qv__csv_prepare(&ctx, NULL, out, &start, err);
}

static char *dup_string(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c) memcpy(c, s, n);
  return c;
}

void qv_csv_reader_destroy(qv_csv_reader *r) {
  if (!r) return;
  if (r->fields) qv_free(r->ctx.alloc, r->fields, r->fields_bytes);
  qv_bytes_reset(&r->scratch);
  qv_schema_unref(r->schema);
  qv_buffer_unref(r->data);
  free(r->null_string);
  free(r->file_name);
  free(r);
}

qv_status qv_csv_reader_create(qv_buffer *data, int64_t begin, int64_t end, const qv_csv_read_options *opts,
                               qv_schema *schema, qv_csv_reader **out, qv_error *err) {
  *out = NULL;
  qv_csv_read_options defaults;
  if (!opts) {
    qv_csv_read_options_init(&defaults);
    opts = &defaults;
  }
  int64_t size = qv_buffer_size(data);
  if (end < 0 || end > size) end = size;
  if (begin < 0 || begin > size)
    return qv_error_set(err, QV_INVALID, "csv: range begin %lld is outside the %lld bytes of input",
                        (long long)begin, (long long)size);
  if (begin > 0 && opts->newlines_in_values)
    return qv_error_set(err, QV_INVALID,
                        "csv: reading from byte %lld needs newlines_in_values = false (record starts are "
                        "ambiguous otherwise)",
                        (long long)begin);
  qv_csv_reader *r = calloc(1, sizeof *r);
  if (!r) return qv_error_set(err, QV_NOMEM, "csv: out of memory");
  qv_bytes_init(&r->scratch, opts->alloc);
  r->null_string = dup_string(opts->null_string);
  r->file_name = dup_string(opts->file_name);
  qv_status st = (opts->null_string && !r->null_string) || (opts->file_name && !r->file_name)
                     ? qv_error_set(err, QV_NOMEM, "csv: out of memory")
                     : QV_OK;
  qv_csv_read_options copy = *opts;
  copy.null_string = r->null_string;
  copy.file_name = r->file_name;
  if (st == QV_OK) st = qv__csv_ctx_init(&r->ctx, qv_buffer_data(data), size, &copy, err);
  r->ctx.alloc = opts->alloc ? opts->alloc : qv_default_allocator();
  r->data = qv_buffer_ref(data);
  int64_t data_start = 0;
  if (st == QV_OK) st = qv__csv_prepare(&r->ctx, schema, &r->schema, &data_start, err);
  if (st == QV_OK) {
    /* Records start at data_start and after every later LF. */
    r->pos = begin <= data_start ? data_start : qv__csv_next_record_start(&r->ctx, begin);
    r->end = end;
    int32_t n_cols = r->schema->n_fields;
    r->cap = r->ctx.batch_size;
    if (n_cols > 0 && r->cap > QV_CSV_MAX_BATCH_FIELDS / n_cols) r->cap = QV_CSV_MAX_BATCH_FIELDS / n_cols;
    if (r->cap < 1) r->cap = 1;
    r->fields_bytes = r->cap * (n_cols > 0 ? n_cols : 1) * (int64_t)sizeof(qv_csv_field);
    r->fields = qv_alloc(r->ctx.alloc, r->fields_bytes);
    if (!r->fields)
      st = qv_error_set(err, QV_NOMEM, "csv: cannot allocate %lld bytes for a batch", (long long)r->fields_bytes);
  }
  if (st != QV_OK) {
    qv_csv_reader_destroy(r);
    return st;
  }
  *out = r;
  return QV_OK;
}

qv_schema *qv_csv_reader_schema(const qv_csv_reader *r) { return r->schema; }

static qv_status fail(qv_csv_reader *r, qv_status st, qv_error *err) {
  r->failed = st;
  if (err) r->saved = *err;
  else qv_error_set(&r->saved, st, "csv: read failed");
  return st;
}

qv_status qv_csv_reader_next(qv_csv_reader *r, qv_record_batch **out, qv_error *err) {
  *out = NULL;
  if (r->failed) {
    if (err) *err = r->saved;
    return r->failed;
  }
  int32_t n_cols = r->schema->n_fields;
  if (n_cols == 0 || r->pos >= r->end) return QV_OK;
  int64_t rows = 0;
  qv_status st = qv__csv_tokenize(&r->ctx, &r->pos, r->end, n_cols, r->fields, r->cap, &rows, err);
  if (st != QV_OK) return fail(r, st, err);
  if (rows == 0) return QV_OK;
  qv_array **cols = calloc((size_t)n_cols, sizeof *cols);
  if (!cols) return fail(r, qv_error_set(err, QV_NOMEM, "csv: out of memory"), err);
  for (int32_t c = 0; c < n_cols && st == QV_OK; c++)
    st = qv__csv_convert_column(&r->ctx, r->fields + c * r->cap, rows, r->schema->fields[c], &r->scratch, &cols[c],
                                err);
  if (st == QV_OK) st = qv_record_batch_create(r->schema, rows, cols, n_cols, out, err);
  for (int32_t c = 0; c < n_cols; c++) qv_array_unref(cols[c]);
  free(cols);
  return st == QV_OK ? QV_OK : fail(r, st, err);
}

/* ---- files ---------------------------------------------------------------- */

qv_status qv_csv_reader_open(const char *path, const qv_csv_read_options *opts, qv_schema *schema,
                             qv_csv_reader **out, qv_error *err) {
  *out = NULL;
  qv_csv_read_options copy;
  if (opts) copy = *opts;
  else qv_csv_read_options_init(&copy);
  if (!copy.file_name) copy.file_name = path;
  qv_buffer *data = NULL;
  QV_RETURN_NOT_OK(qv__file_read_all(path, copy.alloc, &data, err));
  qv_status st = qv_csv_reader_create(data, 0, -1, &copy, schema, out, err);
  qv_buffer_unref(data);
  return st;
}
