/* Growable byte vectors: the scratch space of builders and writers. Growth is
 * geometric; finishing hands the allocation to a buffer without copying. */
#include <string.h>

#include "core/buffer_internal.h"

void qv_bytes_init(qv_bytes *v, qv_allocator *a) {
  v->alloc = a ? a : qv_default_allocator();
  v->data = NULL;
  v->size = 0;
  v->capacity = 0;
}

void qv_bytes_reset(qv_bytes *v) {
  if (v->data) qv_free(v->alloc, v->data, v->capacity);
  v->data = NULL;
  v->size = 0;
  v->capacity = 0;
}

qv_status qv_bytes_reserve(qv_bytes *v, int64_t extra, qv_error *err) {
  if (extra < 0 || v->size > INT64_MAX / 4 - extra)
    return qv_error_set(err, QV_RESOURCE_EXHAUSTED, "bytes: cannot grow by %lld bytes", (long long)extra);
  int64_t need = v->size + extra;
  if (need <= v->capacity) return QV_OK;
  int64_t cap = v->capacity ? v->capacity : 64;
  while (cap < need) cap *= 2;
  uint8_t *p = qv_realloc(v->alloc, v->data, v->capacity, cap);
  if (!p) return qv_error_set(err, QV_NOMEM, "bytes: cannot allocate %lld bytes", (long long)cap);
  v->data = p;
  v->capacity = cap;
  return QV_OK;
}

qv_status qv_bytes_append(qv_bytes *v, const void *data, int64_t n, qv_error *err) {
  QV_RETURN_NOT_OK(qv_bytes_reserve(v, n, err));
  if (n) memcpy(v->data + v->size, data, (size_t)n);
  v->size += n;
  return QV_OK;
}

qv_status qv_bytes_append_zeros(qv_bytes *v, int64_t n, qv_error *err) {
  QV_RETURN_NOT_OK(qv_bytes_reserve(v, n, err));
  if (n) memset(v->data + v->size, 0, (size_t)n);
  v->size += n;
  return QV_OK;
}

qv_status qv_bytes_finish(qv_bytes *v, qv_buffer **out, qv_error *err) {
  *out = NULL;
  if (!v->data) {
    QV_RETURN_NOT_OK(qv_buffer_allocate(v->alloc, 0, out, err));
    return QV_OK;
  }
  qv_buffer *b;
  QV_RETURN_NOT_OK(qv_buffer_wrap(v->data, v->size, NULL, NULL, &b, err));
  /* Turn the wrapper into an owner of the vector's allocation. */
  b->alloc = v->alloc;
  b->capacity = v->capacity;
  memset(v->data + v->size, 0, (size_t)(v->capacity - v->size));
  v->data = NULL;
  v->size = 0;
  v->capacity = 0;
  *out = b;
  return QV_OK;
}
