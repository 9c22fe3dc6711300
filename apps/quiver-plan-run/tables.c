/* Tables of quiver-plan-run: an Arrow IPC file or stream mapped into memory
 * (the arrays reference the mapping wherever the file's buffers are aligned),
 * its rows split into contiguous ranges, one per memory-scan partition, each
 * range cut into batches of at most batch_size rows. Slicing copies nothing. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan_run.h"
#include "quiver/ipc.h"

typedef struct mapping {
  void *addr;
  size_t size;
} mapping;

static void unmap(void *ctx) {
  mapping *m = ctx;
  if (m->size) munmap(m->addr, m->size);
  free(m);
}

static qv_status map_file(const char *path, qv_buffer **out, qv_error *err) {
  *out = NULL;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return qv_error_set(err, QV_IO, "table file '%s': cannot open", path);
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    close(fd);
    return qv_error_set(err, QV_IO, "table file '%s': cannot stat", path);
  }
  mapping *m = calloc(1, sizeof *m);
  if (!m) {
    close(fd);
    return qv_error_set(err, QV_NOMEM, "table file '%s': out of memory", path);
  }
  static const uint8_t empty[8];
  const void *data = empty;
  if (sb.st_size > 0) {
    m->addr = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (m->addr == MAP_FAILED) {
      close(fd);
      free(m);
      return qv_error_set(err, QV_IO, "table file '%s': cannot map", path);
    }
    m->size = (size_t)sb.st_size;
    data = m->addr;
  }
  close(fd);
  qv_status st = qv_buffer_wrap(data, (int64_t)sb.st_size, unmap, m, out, err);
  if (st != QV_OK) unmap(m);
  return st;
}

/* Every batch of the file or stream in data, in order. */
static qv_status read_batches(qv_buffer *data, const char *path, bool validate, qv_schema **schema,
                              qv_record_batch ***batches, int64_t *n, qv_error *err) {
  *schema = NULL;
  *batches = NULL;
  *n = 0;
  qv_ipc_read_options opts;
  qv_ipc_read_options_init(&opts);
  opts.validate = validate;
  int64_t size = qv_buffer_size(data);
  const uint8_t *bytes = qv_buffer_data(data);
  bool is_file = size >= 12 && memcmp(bytes, "ARROW1", 6) == 0;
  qv_status st = QV_OK;
  int64_t cap = 0;
  qv_record_batch **list = NULL;
  if (is_file) {
    qv_ipc_file_reader *r = NULL;
    st = qv_ipc_file_reader_create(data, &opts, &r, err);
    if (st == QV_OK) {
      *schema = qv_schema_ref(qv_ipc_file_reader_schema(r));
      cap = qv_ipc_file_reader_num_batches(r);
      list = calloc((size_t)cap + 1, sizeof *list);
      if (!list) st = qv_error_set(err, QV_NOMEM, "out of memory");
      for (int64_t i = 0; st == QV_OK && i < cap; i++) {
        st = qv_ipc_file_reader_batch(r, i, &list[i], err);
        if (st == QV_OK) (*n)++;
      }
    }
    qv_ipc_file_reader_destroy(r);
  } else {
    qv_ipc_stream_reader *r = NULL;
    st = qv_ipc_stream_reader_create(data, &opts, &r, err);
    if (st == QV_OK) *schema = qv_schema_ref(qv_ipc_stream_reader_schema(r));
    while (st == QV_OK) {
      qv_record_batch *b = NULL;
      st = qv_ipc_stream_reader_next(r, &b, err);
      if (st != QV_OK || !b) break;
      if (*n == cap) {
        cap = cap ? cap * 2 : 64;
        qv_record_batch **grown = realloc(list, (size_t)cap * sizeof *grown);
        if (!grown) {
          qv_record_batch_unref(b);
          st = qv_error_set(err, QV_NOMEM, "out of memory");
          break;
        }
        list = grown;
      }
      list[(*n)++] = b;
    }
    qv_ipc_stream_reader_destroy(r);
  }
  if (st != QV_OK) {
    for (int64_t i = 0; i < *n; i++) qv_record_batch_unref(list[i]);
    free(list);
    qv_schema_unref(*schema);
    *schema = NULL;
    *n = 0;
    qv_error_prefix(err, "table file '%s'", path);
    return st;
  }
  *batches = list;
  return QV_OK;
}

void qv__table_reset(plan_table *t) {
  if (!t) return;
  for (int32_t p = 0; t->batches && p < t->n_partitions; p++) {
    for (int64_t i = 0; t->batches[p] && i < t->n_batches[p]; i++) qv_record_batch_unref(t->batches[p][i]);
    free(t->batches[p]);
  }
  free(t->batches);
  free(t->n_batches);
  free(t->name);
  qv_schema_unref(t->schema);
  memset(t, 0, sizeof *t);
}

/* Appends slices of rows [from, to) of the file (whose batches start at
 * starts[i]) to partition p, at most batch_size rows each. */
static qv_status add_range(plan_table *t, int32_t p, qv_record_batch **file, const int64_t *starts, int64_t n_file,
                           int64_t from, int64_t to, int64_t batch_size, qv_error *err) {
  int64_t cap = 0;
  for (int64_t i = 0; i < n_file; i++) {
    int64_t b_from = starts[i], b_to = starts[i + 1];
    int64_t lo = from > b_from ? from : b_from, hi = to < b_to ? to : b_to;
    if (lo < hi) cap += (hi - lo + batch_size - 1) / batch_size;
  }
  t->batches[p] = calloc((size_t)cap + 1, sizeof *t->batches[p]);
  if (!t->batches[p]) return qv_error_set(err, QV_NOMEM, "table '%s': out of memory", t->name);
  for (int64_t i = 0; i < n_file; i++) {
    int64_t b_from = starts[i], b_to = starts[i + 1];
    int64_t lo = from > b_from ? from : b_from, hi = to < b_to ? to : b_to;
    for (int64_t at = lo; at < hi; at += batch_size) {
      int64_t len = hi - at < batch_size ? hi - at : batch_size;
      qv_record_batch *slice = NULL;
      QV_RETURN_NOT_OK(qv_record_batch_slice(file[i], at - b_from, len, &slice, err));
      t->batches[p][t->n_batches[p]++] = slice;
    }
  }
  return QV_OK;
}

qv_status qv__table_load(const char *name, const char *path, int32_t n_partitions, int64_t batch_size,
                         bool validate, plan_table *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  if (n_partitions < 1) return qv_error_set(err, QV_INVALID, "table '%s': partitions must be >= 1", name);
  if (batch_size < 1) batch_size = 8192;
  qv_buffer *data = NULL;
  QV_RETURN_NOT_OK(map_file(path, &data, err));
  qv_schema *schema = NULL;
  qv_record_batch **file = NULL;
  int64_t n_file = 0;
  qv_status st = read_batches(data, path, validate, &schema, &file, &n_file, err);
  qv_buffer_unref(data);
  if (st != QV_OK) return st;
  int64_t *starts = calloc((size_t)n_file + 1, sizeof *starts);
  out->name = strdup(name);
  out->schema = schema;
  out->n_partitions = n_partitions;
  out->batches = calloc((size_t)n_partitions, sizeof *out->batches);
  out->n_batches = calloc((size_t)n_partitions, sizeof *out->n_batches);
  if (!starts || !out->name || !out->batches || !out->n_batches)
    st = qv_error_set(err, QV_NOMEM, "table '%s': out of memory", name);
  for (int64_t i = 0; st == QV_OK && i < n_file; i++) starts[i + 1] = starts[i] + qv_record_batch_num_rows(file[i]);
  if (st == QV_OK) out->n_rows = starts[n_file];
  for (int32_t p = 0; st == QV_OK && p < n_partitions; p++) {
    int64_t from = out->n_rows * p / n_partitions, to = out->n_rows * (p + 1) / n_partitions;
    st = add_range(out, p, file, starts, n_file, from, to, batch_size, err);
  }
  for (int64_t i = 0; i < n_file; i++) qv_record_batch_unref(file[i]);
  free(file);
  free(starts);
  if (st != QV_OK) qv__table_reset(out);
  return st;
}
