/* Helpers shared by the IPC tests (see ipc_test_util.h). */
#include "ipc_test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void batch_list_reset(batch_list *l) {
  for (int64_t i = 0; i < l->count; i++) qv_record_batch_unref(l->items[i]);
  qv_schema_unref(l->schema);
  memset(l, 0, sizeof *l);
}

qv_buffer *load_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  qv_buffer *b = NULL;
  qv_error err;
  if (n < 0 || qv_buffer_allocate(qv_default_allocator(), n, &b, &err) != QV_OK) {
    fclose(f);
    return NULL;
  }
  size_t got = fread(qv_buffer_mutable_data(b), 1, (size_t)n, f);
  fclose(f);
  if (got != (size_t)n) {
    qv_buffer_unref(b);
    return NULL;
  }
  return b;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int golden_files(const char *suffix, char ***paths) {
  const char *root = QV_TESTDATA_DIR "/arrow-ipc";
  int n = 0, cap = 64;
  char **out = malloc(sizeof *out * (size_t)cap);
  DIR *top = opendir(root);
  struct dirent *d;
  while (top && (d = readdir(top))) {
    if (d->d_name[0] == '.') continue;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", root, d->d_name);
    DIR *sub = opendir(dir);
    struct dirent *e;
    while (sub && (e = readdir(sub))) {
      size_t l = strlen(e->d_name), sl = strlen(suffix);
      if (l < sl || strcmp(e->d_name + l - sl, suffix) != 0) continue;
      if (n == cap) out = realloc(out, sizeof *out * (size_t)(cap *= 2));
      size_t need = strlen(dir) + l + 2;
      out[n] = malloc(need);
      snprintf(out[n], need, "%s/%s", dir, e->d_name);
      n++;
    }
    if (sub) closedir(sub);
  }
  if (top) closedir(top);
  qsort(out, (size_t)n, sizeof *out, cmp_str);
  *paths = out;
  return n;
}

void free_paths(char **paths, int n) {
  for (int i = 0; i < n; i++) free(paths[i]);
  free(paths);
}

qv_status read_stream(qv_buffer *data, const qv_ipc_read_options *opts, batch_list *out,
                      qv_error *err) {
  memset(out, 0, sizeof *out);
  qv_ipc_stream_reader *r = NULL;
  QV_RETURN_NOT_OK(qv_ipc_stream_reader_create(data, opts, &r, err));
  out->schema = qv_schema_ref(qv_ipc_stream_reader_schema(r));
  qv_status st = QV_OK;
  for (;;) {
    qv_record_batch *b = NULL;
    st = qv_ipc_stream_reader_next(r, &b, err);
    if (st != QV_OK || !b) break;
    if (out->count == (int64_t)(sizeof out->items / sizeof out->items[0])) {
      qv_record_batch_unref(b);
      st = qv_error_set(err, QV_INTERNAL, "test: too many batches");
      break;
    }
    out->items[out->count++] = b;
  }
  qv_ipc_stream_reader_destroy(r);
  if (st != QV_OK) batch_list_reset(out);
  return st;
}

qv_status read_file(qv_buffer *data, const qv_ipc_read_options *opts, batch_list *out,
                    qv_error *err) {
  memset(out, 0, sizeof *out);
  qv_ipc_file_reader *r = NULL;
  QV_RETURN_NOT_OK(qv_ipc_file_reader_create(data, opts, &r, err));
  out->schema = qv_schema_ref(qv_ipc_file_reader_schema(r));
  qv_status st = QV_OK;
  int64_t n = qv_ipc_file_reader_num_batches(r);
  if (n > (int64_t)(sizeof out->items / sizeof out->items[0]))
    st = qv_error_set(err, QV_INTERNAL, "test: too many batches");
  for (int64_t i = 0; i < n && st == QV_OK; i++) {
    st = qv_ipc_file_reader_batch(r, i, &out->items[i], err);
    if (st == QV_OK) out->count++;
  }
  qv_ipc_file_reader_destroy(r);
  if (st != QV_OK) batch_list_reset(out);
  return st;
}

qv_status write_stream(qv_schema *schema, qv_record_batch *const *batches, int64_t n,
                       const qv_ipc_write_options *opts, qv_buffer **out, qv_error *err) {
  *out = NULL;
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  qv_ipc_stream_writer *w = NULL;
  qv_status st = qv_ipc_stream_writer_create(schema, opts, qv_ipc_sink_bytes(&bytes), &w, err);
  for (int64_t i = 0; i < n && st == QV_OK; i++) st = qv_ipc_stream_writer_write(w, batches[i], err);
  if (st == QV_OK) st = qv_ipc_stream_writer_close(w, err);
  qv_ipc_stream_writer_destroy(w);
  if (st == QV_OK) st = qv_bytes_finish(&bytes, out, err);
  qv_bytes_reset(&bytes);
  return st;
}

qv_status write_file(qv_schema *schema, qv_record_batch *const *batches, int64_t n,
                     const qv_ipc_write_options *opts, qv_buffer **out, qv_error *err) {
  *out = NULL;
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  qv_ipc_file_writer *w = NULL;
  qv_status st = qv_ipc_file_writer_create(schema, opts, qv_ipc_sink_bytes(&bytes), &w, err);
  for (int64_t i = 0; i < n && st == QV_OK; i++) st = qv_ipc_file_writer_write(w, batches[i], err);
  if (st == QV_OK) st = qv_ipc_file_writer_close(w, err);
  qv_ipc_file_writer_destroy(w);
  if (st == QV_OK) st = qv_bytes_finish(&bytes, out, err);
  qv_bytes_reset(&bytes);
  return st;
}

/* Whether every pair of a is in b and both have as many pairs. */
static bool metadata_same_pairs(const qv_metadata *a, const qv_metadata *b) {
  int64_t n = qv_metadata_count(a);
  if (n != qv_metadata_count(b)) return false;
  for (int64_t i = 0; i < n; i++) {
    const char *k, *v;
    int64_t kl, vl;
    qv_metadata_get(a, i, &k, &kl, &v, &vl);
    bool found = false;
    for (int64_t j = 0; j < n && !found; j++) {
      const char *k2, *v2;
      int64_t kl2, vl2;
      qv_metadata_get(b, j, &k2, &kl2, &v2, &vl2);
      found = kl == kl2 && vl == vl2 && memcmp(k, k2, (size_t)kl) == 0 &&
              memcmp(v, v2, (size_t)vl) == 0;
    }
    if (!found) return false;
  }
  return true;
}

bool schemas_equivalent(const qv_schema *a, const qv_schema *b) {
  if (qv_schema_num_fields(a) != qv_schema_num_fields(b)) return false;
  if (!metadata_same_pairs(qv_schema_metadata(a), qv_schema_metadata(b))) return false;
  for (int32_t i = 0; i < qv_schema_num_fields(a); i++) {
    qv_field *x = qv_schema_field(a, i), *y = qv_schema_field(b, i);
    if (strcmp(qv_field_name(x), qv_field_name(y)) != 0 ||
        qv_field_nullable(x) != qv_field_nullable(y) ||
        !qv_type_equals(qv_field_type(x), qv_field_type(y)) ||
        !metadata_same_pairs(qv_field_metadata(x), qv_field_metadata(y)))
      return false;
  }
  return true;
}

bool batches_equivalent(const qv_record_batch *a, const qv_record_batch *b) {
  if (qv_record_batch_num_rows(a) != qv_record_batch_num_rows(b) ||
      qv_record_batch_num_columns(a) != qv_record_batch_num_columns(b) ||
      !schemas_equivalent(qv_record_batch_schema(a), qv_record_batch_schema(b)))
    return false;
  for (int32_t i = 0; i < qv_record_batch_num_columns(a); i++)
    if (!qv_array_equals(qv_record_batch_column(a, i), qv_record_batch_column(b, i)))
      return false;
  return true;
}

bool batch_lists_equal(const batch_list *a, const batch_list *b) {
  if (a->count != b->count) return false;
  for (int64_t i = 0; i < a->count; i++)
    if (!batches_equivalent(a->items[i], b->items[i])) return false;
  return true;
}
