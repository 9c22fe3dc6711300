/* The Parquet source of the `quiver` tool: a qv_parquet_reader over the
 * mapped file and one batch reader over all its row groups, reading only the
 * selected top-level columns (projection happens in the reader, so unread
 * columns are never decoded). */
#include <stdlib.h>

#include "cli.h"

typedef struct parquet_state {
  qv_parquet_reader *reader;
  qv_parquet_batch_reader *batches;
} parquet_state;

static void parquet_destroy(void *state) {
  parquet_state *s = state;
  if (!s) return;
  qv_parquet_batch_reader_destroy(s->batches);
  qv_parquet_reader_destroy(s->reader);
  free(s);
}

static qv_status parquet_open(qv_buffer *data, const char *name, const char *const *columns, int32_t n_columns,
                              int64_t batch_size, void **state, qv_schema **schema, qv_error *err) {
  parquet_state *s = calloc(1, sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "out of memory");
  int32_t *idx = NULL;
  qv_parquet_read_options opts;
  qv_parquet_read_options_init(&opts);
  if (batch_size > 0) opts.batch_size = batch_size;
  qv_status st = qv_parquet_reader_create(data, name, &opts, &s->reader, err);
  if (st == QV_OK && columns) {
    st = qv__cli_column_indices(qv_parquet_reader_schema(s->reader), columns, n_columns, &idx, err);
    if (st != QV_OK) qv_error_prefix(err, "%s", name);
  }
  if (st == QV_OK) st = qv_parquet_reader_scan(s->reader, NULL, 0, idx, n_columns, &s->batches, err);
  free(idx);
  if (st != QV_OK) {
    parquet_destroy(s);
    return st;
  }
  *schema = qv_parquet_batch_reader_schema(s->batches);
  *state = s;
  return QV_OK;
}

static qv_status parquet_next(void *state, qv_record_batch **out, qv_error *err) {
  parquet_state *s = state;
  return qv_parquet_batch_reader_next(s->batches, out, err);
}

const qv_cli_source_ops qv__cli_parquet_source = {"parquet", parquet_open, parquet_next, parquet_destroy};
