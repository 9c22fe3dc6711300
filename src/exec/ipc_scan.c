/* IpcScanExec: reads Arrow IPC files (the file format, with its footer)
 * through quiver/ipc.h. Files are read whole, batch after batch; a batch is
 * decoded with all its columns (uncompressed buffers are zero-copy slices of
 * the mapped file, so decoding columns nobody asked for costs little beyond
 * validation) and the columns the scan needs are picked from it. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/scan_internal.h"
#include "io/file.h"

static void options_free(void *p) { free(p); }

static bool ipc_splittable(const qv_file_scan *s) { return false; }

typedef struct ipc_piece {
  const qv_scan_file *file;
  qv_ipc_file_reader *r;
  int64_t batch_size;
  int64_t next_batch;
  qv_record_batch *current; /* the file's batch being sliced, or NULL */
  int64_t offset;           /* rows of it already returned */
  int32_t n_read;
  int32_t *cols;
  qv_array **arrays;
  qv_schema *read_schema;
} ipc_piece;

static void ipc_close(void *reader) {
  ipc_piece *p = reader;
  qv_record_batch_unref(p->current);
  qv_ipc_file_reader_destroy(p->r);
  qv_schema_unref(p->read_schema);
  free(p->cols);
  free(p->arrays);
  free(p);
}

static qv_status open_reader(const qv_file_scan *s, const char *path, qv_allocator *alloc, qv_ipc_file_reader **out,
                             qv_error *err) {
  qv_ipc_read_options opts = *(const qv_ipc_read_options *)s->options;
  opts.alloc = alloc;
  qv_buffer *data;
  QV_RETURN_NOT_OK(qv__file_read_all(path, alloc, &data, err));
  qv_status st = qv_ipc_file_reader_create(data, &opts, out, err);
  qv_buffer_unref(data);
  if (st != QV_OK) qv_error_prefix(err, "ipc: %s", path);
  return st;
}

static qv_status ipc_infer_schema(const qv_file_scan *s, const char *path, qv_schema **out, qv_error *err) {
  qv_ipc_file_reader *r;
  QV_RETURN_NOT_OK(open_reader(s, path, NULL, &r, err));
  *out = qv_schema_ref(qv_ipc_file_reader_schema(r));
  qv_ipc_file_reader_destroy(r);
  return QV_OK;
}

static qv_status ipc_open(const qv_file_scan *s, const qv_scan_file *file, const qv_file_piece *piece,
                          qv_allocator *alloc, int64_t batch_size, void **reader, qv_schema **file_schema,
                          qv_error *err) {
  ipc_piece *p = calloc(1, sizeof *p);
  if (!p) return qv_error_set(err, QV_NOMEM, "out of memory");
  p->file = file;
  p->batch_size = batch_size;
  qv_status st = open_reader(s, file->path, alloc, &p->r, err);
  if (st != QV_OK) {
    ipc_close(p);
    return st;
  }
  *reader = p;
  *file_schema = qv_ipc_file_reader_schema(p->r);
  return QV_OK;
}

static qv_status ipc_start(void *reader, const qv_file_scan *s, const int32_t *local_of, const int32_t *local_read,
                           int32_t n_read, qv_error *err) {
  ipc_piece *p = reader;
  p->n_read = n_read;
  p->cols = malloc(sizeof *p->cols * (size_t)(n_read ? n_read : 1));
  p->arrays = malloc(sizeof *p->arrays * (size_t)(n_read ? n_read : 1));
  qv_field **fields = malloc(sizeof *fields * (size_t)(n_read ? n_read : 1));
  qv_status st = QV_OK;
  if (!p->cols || !p->arrays || !fields) st = qv_error_set(err, QV_NOMEM, "out of memory");
  const qv_schema *fs = qv_ipc_file_reader_schema(p->r);
  for (int32_t i = 0; st == QV_OK && i < n_read; i++) {
    p->cols[i] = local_read[i];
    fields[i] = qv_schema_field(fs, local_read[i]);
  }
  if (st == QV_OK) st = qv_schema_create(fields, n_read, NULL, &p->read_schema, err);
  free(fields);
  return st;
}

/* Batches longer than batch_size are handed out in zero-copy slices. */
static qv_status ipc_next(void *reader, qv_record_batch **out, qv_error *err) {
  ipc_piece *p = reader;
  *out = NULL;
  while (!p->current || p->offset >= p->current->num_rows) {
    qv_record_batch_unref(p->current);
    p->current = NULL;
    if (p->next_batch >= qv_ipc_file_reader_num_batches(p->r)) return QV_OK;
    qv_record_batch *b = NULL;
    qv_status st = qv_ipc_file_reader_batch(p->r, p->next_batch, &b, err);
    if (st != QV_OK) {
      qv_error_prefix(err, "ipc: %s: batch %lld", p->file->path, (long long)p->next_batch);
      return st;
    }
    p->next_batch++;
    for (int32_t i = 0; i < p->n_read; i++) p->arrays[i] = b->columns[p->cols[i]];
    st = qv_record_batch_create(p->read_schema, b->num_rows, p->arrays, p->n_read, &p->current, err);
    qv_record_batch_unref(b);
    if (st != QV_OK) return st;
    p->offset = 0;
  }
  int64_t n = p->current->num_rows - p->offset;
  if (n > p->batch_size) n = p->batch_size;
  if (p->offset == 0 && n == p->current->num_rows) {
    *out = p->current;
    p->current = NULL;
    return QV_OK;
  }
  qv_status st = qv_record_batch_slice(p->current, p->offset, n, out, err);
  p->offset += n;
  return st;
}

static const qv_scan_format ipc_format = {
    "IpcScanExec", QV_FILE_FORMAT_IPC, QV_PLAN_IPC_SCAN, ipc_splittable, ipc_infer_schema, NULL,
    ipc_open,      ipc_start,          ipc_next,         ipc_close,      NULL,             options_free,
    NULL};

qv_status qv_plan_ipc_scan(const qv_file_scan_config *config, const qv_ipc_read_options *opts, qv_exec_plan **out,
                           qv_error *err) {
  *out = NULL;
  qv_ipc_read_options *copy = malloc(sizeof *copy);
  if (!copy) return qv_error_set(err, QV_NOMEM, "IpcScanExec: out of memory");
  if (opts) *copy = *opts;
  else qv_ipc_read_options_init(copy);
  copy->alloc = NULL;
  return qv__file_scan_create(&ipc_format, config, copy, out, err);
}
