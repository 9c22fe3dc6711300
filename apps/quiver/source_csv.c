/* The CSV source of the `quiver` tool. A file that is neither Parquet nor
 * Arrow IPC is read as delimited text when its first bytes look like text
 * (no NUL byte). The dialect comes from the first line: the delimiter is the
 * most frequent of ',', '\t', '|' and ';'; a '|'-separated line ending in '|'
 * is a TPC-H dbgen .tbl file (no header, trailing delimiter, no quoting);
 * otherwise the first line is the header. Column types are inferred. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "quiver/csv.h"

#define SNIFF_BYTES 4096

bool qv__cli_looks_like_text(const uint8_t *data, int64_t size) {
  int64_t n = size < SNIFF_BYTES ? size : SNIFF_BYTES;
  return n > 0 && memchr(data, 0, (size_t)n) == NULL;
}

/* Chooses the dialect from the first line. */
static void sniff(const uint8_t *data, int64_t size, qv_csv_read_options *opts) {
  int64_t end = 0;
  while (end < size && data[end] != '\n') end++;
  int64_t line_end = end > 0 && data[end - 1] == '\r' ? end - 1 : end;
  static const char candidates[] = {',', '\t', '|', ';'};
  int64_t best_count = 0;
  char best = ',';
  for (size_t c = 0; c < sizeof candidates; c++) {
    int64_t count = 0;
    for (int64_t i = 0; i < line_end; i++) count += data[i] == (uint8_t)candidates[c];
    if (count > best_count) {
      best_count = count;
      best = candidates[c];
    }
  }
  if (best == '|' && line_end > 0 && data[line_end - 1] == '|') {
    qv_csv_read_options_init_tbl(opts);
    return;
  }
  qv_csv_read_options_init(opts);
  opts->delimiter = best;
}

typedef struct csv_state {
  qv_csv_reader *reader;
  int32_t *idx; /* projection, NULL for all columns */
  int32_t n_idx;
  qv_schema *schema; /* what the source yields (owned) */
} csv_state;

static void csv_destroy(void *state) {
  csv_state *s = state;
  if (!s) return;
  qv_csv_reader_destroy(s->reader);
  qv_schema_unref(s->schema);
  free(s->idx);
  free(s);
}

static qv_status csv_open(qv_buffer *data, const char *name, const char *const *columns, int32_t n_columns,
                          int64_t batch_size, void **state, qv_schema **schema, qv_error *err) {
  csv_state *s = calloc(1, sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "out of memory");
  qv_csv_read_options opts;
  sniff(qv_buffer_data(data), qv_buffer_size(data), &opts);
  opts.file_name = name;
  if (batch_size > 0) opts.batch_size = batch_size;
  qv_status st = qv_csv_reader_create(data, 0, qv_buffer_size(data), &opts, NULL, &s->reader, err);
  qv_schema *full = st == QV_OK ? qv_csv_reader_schema(s->reader) : NULL;
  if (st == QV_OK && columns) {
    st = qv__cli_column_indices(full, columns, n_columns, &s->idx, err);
    s->n_idx = n_columns;
    qv_field **fields = st == QV_OK ? calloc((size_t)(n_columns ? n_columns : 1), sizeof *fields) : NULL;
    if (st == QV_OK && !fields) st = qv_error_set(err, QV_NOMEM, "out of memory");
    for (int32_t i = 0; st == QV_OK && i < n_columns; i++) fields[i] = qv_schema_field(full, s->idx[i]);
    if (st == QV_OK) st = qv_schema_create(fields, n_columns, NULL, &s->schema, err);
    free(fields);
  } else if (st == QV_OK) {
    s->schema = qv_schema_ref(full);
  }
  if (st != QV_OK) {
    csv_destroy(s);
    return st;
  }
  *state = s;
  *schema = s->schema;
  return QV_OK;
}

static qv_status csv_next(void *state, qv_record_batch **out, qv_error *err) {
  csv_state *s = state;
  *out = NULL;
  qv_record_batch *b = NULL;
  QV_RETURN_NOT_OK(qv_csv_reader_next(s->reader, &b, err));
  if (!b || !s->idx) {
    *out = b;
    return QV_OK;
  }
  qv_status st = qv__cli_project(b, s->schema, s->idx, s->n_idx, out, err);
  qv_record_batch_unref(b);
  return st;
}

const qv_cli_source_ops qv__cli_csv_source = {"csv", csv_open, csv_next, csv_destroy};
