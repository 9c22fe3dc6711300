/* Input sources of the `quiver` tool. A file is read whole (memory-mapped)
 * and its format recognised from its first bytes, never from its name:
 * "PAR1" is Parquet, "ARROW1" an Arrow IPC file, 0xFFFFFFFF an Arrow IPC
 * stream, and text (no NUL byte) delimited text. Each format is a qv_cli_source_ops (open / next batch / destroy);
 * this file holds the dispatch, the column projection helpers and the two
 * IPC sources; the Parquet source is in source_parquet.c. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/file.h"
#include "quiver/ipc.h"

qv_cli_format qv__cli_detect_format(const uint8_t *data, int64_t size) {
  if (size >= 4 && memcmp(data, "PAR1", 4) == 0) return QV_CLI_FORMAT_PARQUET;
  if (size >= 6 && memcmp(data, "ARROW1", 6) == 0) return QV_CLI_FORMAT_ARROW_FILE;
  if (size >= 4 && memcmp(data, "\xff\xff\xff\xff", 4) == 0) return QV_CLI_FORMAT_ARROW_STREAM;
  if (qv__cli_looks_like_text(data, size)) return QV_CLI_FORMAT_CSV;
  return QV_CLI_FORMAT_UNKNOWN;
}

qv_status qv__cli_column_indices(const qv_schema *schema, const char *const *columns, int32_t n_columns,
                                 int32_t **out, qv_error *err) {
  *out = malloc(sizeof(int32_t) * (size_t)(n_columns ? n_columns : 1));
  if (!*out) return qv_error_set(err, QV_NOMEM, "out of memory");
  for (int32_t i = 0; i < n_columns; i++) {
    int32_t k = qv_schema_field_index(schema, columns[i]);
    if (k < 0) {
      char names[512] = "";
      size_t used = 0;
      for (int32_t f = 0; f < qv_schema_num_fields(schema) && used < sizeof names - 1; f++) {
        int n = snprintf(names + used, sizeof names - used, "%s%s", f ? ", " : "",
                         qv_field_name(qv_schema_field(schema, f)));
        if (n < 0) break;
        used += (size_t)n;
      }
      free(*out);
      *out = NULL;
      return qv_error_set(err, QV_NOT_FOUND, "no column '%s' (columns: %s)", columns[i], names);
    }
    (*out)[i] = k;
  }
  return QV_OK;
}

qv_status qv__cli_project(qv_record_batch *b, qv_schema *schema, const int32_t *idx, int32_t n,
                          qv_record_batch **out, qv_error *err) {
  qv_array **cols = calloc((size_t)(n ? n : 1), sizeof *cols);
  if (!cols) return qv_error_set(err, QV_NOMEM, "out of memory");
  for (int32_t i = 0; i < n; i++) cols[i] = qv_record_batch_column(b, idx[i]);
  qv_status st = qv_record_batch_create(schema, qv_record_batch_num_rows(b), cols, n, out, err);
  free(cols);
  return st;
}

/* ---- sources -------------------------------------------------------------------- */

qv_status qv__cli_source_open(const char *path, const char *const *columns, int32_t n_columns, int64_t batch_size,
                              qv_cli_source **out, qv_error *err) {
  *out = NULL;
  qv_buffer *data;
  QV_RETURN_NOT_OK(qv__file_read_all(path, NULL, &data, err));
  const qv_cli_source_ops *ops = NULL;
  switch (qv__cli_detect_format(qv_buffer_data(data), qv_buffer_size(data))) {
    case QV_CLI_FORMAT_PARQUET: ops = &qv__cli_parquet_source; break;
    case QV_CLI_FORMAT_ARROW_FILE: ops = &qv__cli_ipc_file_source; break;
    case QV_CLI_FORMAT_ARROW_STREAM: ops = &qv__cli_ipc_stream_source; break;
    case QV_CLI_FORMAT_CSV: ops = &qv__cli_csv_source; break;
    default:
      qv_buffer_unref(data);
      return qv_error_set(err, QV_INVALID, "%s: unknown file format (not Parquet, Arrow IPC or text)", path);
  }
  qv_cli_source *s = calloc(1, sizeof *s);
  if (!s) {
    qv_buffer_unref(data);
    return qv_error_set(err, QV_NOMEM, "out of memory");
  }
  s->ops = ops;
  s->data = data;
  qv_status st = ops->open(data, path, columns, n_columns, batch_size, &s->state, &s->schema, err);
  if (st != QV_OK) {
    qv_buffer_unref(data);
    free(s);
    return st;
  }
  *out = s;
  return QV_OK;
}

qv_status qv__cli_source_next(qv_cli_source *s, qv_record_batch **out, qv_error *err) {
  return s->ops->next(s->state, out, err);
}

void qv__cli_source_destroy(qv_cli_source *s) {
  if (!s) return;
  s->ops->destroy(s->state);
  qv_buffer_unref(s->data);
  free(s);
}

/* ---- Arrow IPC (file and stream) ------------------------------------------------------- */

typedef struct ipc_state {
  qv_ipc_file_reader *file;
  qv_ipc_stream_reader *stream;
  int64_t next;
  int32_t *idx;     /* projection, NULL for all columns */
  int32_t n_idx;
  qv_schema *schema; /* projected schema (owned) */
  char *name;
} ipc_state;

static void ipc_destroy(void *state) {
  ipc_state *s = state;
  if (!s) return;
  qv_ipc_file_reader_destroy(s->file);
  qv_ipc_stream_reader_destroy(s->stream);
  qv_schema_unref(s->schema);
  free(s->idx);
  free(s->name);
  free(s);
}

static qv_status ipc_setup(ipc_state *s, qv_schema *full, const char *const *columns, int32_t n_columns,
                           qv_schema **schema, qv_error *err) {
  if (!columns) {
    s->schema = qv_schema_ref(full);
    *schema = s->schema;
    return QV_OK;
  }
  QV_RETURN_NOT_OK(qv__cli_column_indices(full, columns, n_columns, &s->idx, err));
  s->n_idx = n_columns;
  qv_field **fields = calloc((size_t)(n_columns ? n_columns : 1), sizeof *fields);
  if (!fields) return qv_error_set(err, QV_NOMEM, "out of memory");
  for (int32_t i = 0; i < n_columns; i++) fields[i] = qv_schema_field(full, s->idx[i]);
  qv_status st = qv_schema_create(fields, n_columns, qv_schema_metadata(full), &s->schema, err);
  free(fields);
  *schema = s->schema;
  return st;
}

static qv_status ipc_open(qv_buffer *data, const char *name, const char *const *columns, int32_t n_columns, bool file,
                          void **state, qv_schema **schema, qv_error *err) {
  ipc_state *s = calloc(1, sizeof *s);
  if (!s || !(s->name = strdup(name))) {
    free(s);
    return qv_error_set(err, QV_NOMEM, "out of memory");
  }
  qv_status st;
  qv_schema *full;
  if (file) {
    st = qv_ipc_file_reader_create(data, NULL, &s->file, err);
    full = st == QV_OK ? qv_ipc_file_reader_schema(s->file) : NULL;
  } else {
    st = qv_ipc_stream_reader_create(data, NULL, &s->stream, err);
    full = st == QV_OK ? qv_ipc_stream_reader_schema(s->stream) : NULL;
  }
  if (st == QV_OK) st = ipc_setup(s, full, columns, n_columns, schema, err);
  if (st != QV_OK) {
    qv_error_prefix(err, "%s", name);
    ipc_destroy(s);
    return st;
  }
  *state = s;
  return QV_OK;
}

static qv_status ipc_file_open(qv_buffer *data, const char *name, const char *const *columns, int32_t n_columns,
                               int64_t batch_size, void **state, qv_schema **schema, qv_error *err) {
  (void)batch_size; /* IPC batches are read as they were written */
  return ipc_open(data, name, columns, n_columns, true, state, schema, err);
}

static qv_status ipc_stream_open(qv_buffer *data, const char *name, const char *const *columns, int32_t n_columns,
                                 int64_t batch_size, void **state, qv_schema **schema, qv_error *err) {
  (void)batch_size;
  return ipc_open(data, name, columns, n_columns, false, state, schema, err);
}

static qv_status ipc_next(void *state, qv_record_batch **out, qv_error *err) {
  ipc_state *s = state;
  *out = NULL;
  qv_record_batch *b = NULL;
  qv_status st;
  if (s->file) {
    if (s->next >= qv_ipc_file_reader_num_batches(s->file)) return QV_OK;
    st = qv_ipc_file_reader_batch(s->file, s->next++, &b, err);
  } else {
    st = qv_ipc_stream_reader_next(s->stream, &b, err);
  }
  if (st != QV_OK) {
    qv_error_prefix(err, "%s", s->name);
    return st;
  }
  if (!b || !s->idx) {
    *out = b;
    return QV_OK;
  }
  st = qv__cli_project(b, s->schema, s->idx, s->n_idx, out, err);
  qv_record_batch_unref(b);
  return st;
}

const qv_cli_source_ops qv__cli_ipc_file_source = {"arrow-file", ipc_file_open, ipc_next, ipc_destroy};
const qv_cli_source_ops qv__cli_ipc_stream_source = {"arrow-stream", ipc_stream_open, ipc_next, ipc_destroy};
