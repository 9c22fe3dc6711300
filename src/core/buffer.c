/* Reference-counted buffers: owned allocations, zero-copy slices of a parent,
 * and wrappers of foreign memory released through a callback. */
#include <stdlib.h>
#include <string.h>

#include "core/buffer_internal.h"

static qv_buffer *buffer_new(void) {
  qv_buffer *b = calloc(1, sizeof *b);
  if (b) atomic_init(&b->refcount, 1);
  return b;
}

qv_status qv_buffer_allocate(qv_allocator *a, int64_t size, qv_buffer **out, qv_error *err) {
  *out = NULL;
  if (size < 0) return qv_error_set(err, QV_INVALID, "buffer: negative size %lld", (long long)size);
  qv_buffer *b = buffer_new();
  if (!b) return qv_error_set(err, QV_NOMEM, "buffer: out of memory");
  int64_t cap = (size + QV_ALIGNMENT - 1) & ~(int64_t)(QV_ALIGNMENT - 1);
  if (cap == 0) cap = QV_ALIGNMENT;
  b->data = qv_alloc(a, cap);
  if (!b->data) {
    free(b);
    return qv_error_set(err, QV_NOMEM, "buffer: cannot allocate %lld bytes", (long long)size);
  }
  /* Zero the padding so that what we write to disk or the wire is deterministic. */
  memset(b->data + size, 0, (size_t)(cap - size));
  b->size = size;
  b->capacity = cap;
  b->alloc = a;
  *out = b;
  return QV_OK;
}

qv_status qv_buffer_copy(qv_allocator *a, const void *data, int64_t size, qv_buffer **out, qv_error *err) {
  QV_RETURN_NOT_OK(qv_buffer_allocate(a, size, out, err));
  if (size) memcpy((*out)->data, data, (size_t)size);
  return QV_OK;
}

qv_status qv_buffer_wrap(const void *data, int64_t size, void (*release)(void *ctx), void *release_ctx,
                         qv_buffer **out, qv_error *err) {
  *out = NULL;
  if (size < 0) return qv_error_set(err, QV_INVALID, "buffer: negative size %lld", (long long)size);
  qv_buffer *b = buffer_new();
  if (!b) return qv_error_set(err, QV_NOMEM, "buffer: out of memory");
  b->data = (uint8_t *)data;
  b->size = size;
  b->release = release;
  b->release_ctx = release_ctx;
  *out = b;
  return QV_OK;
}

qv_status qv_buffer_slice(qv_buffer *parent, int64_t offset, int64_t length, qv_buffer **out, qv_error *err) {
  *out = NULL;
  if (offset < 0 || length < 0 || offset > parent->size || length > parent->size - offset)
    return qv_error_set(err, QV_INVALID, "buffer: slice [%lld, +%lld) outside a buffer of %lld bytes",
                        (long long)offset, (long long)length, (long long)parent->size);
  qv_buffer *b = buffer_new();
  if (!b) return qv_error_set(err, QV_NOMEM, "buffer: out of memory");
  /* Slices point at the root owner so that chains of slices stay one level deep. */
  qv_buffer *root = parent->parent ? parent->parent : parent;
  b->data = parent->data + offset;
  b->size = length;
  b->parent = qv_buffer_ref(root);
  *out = b;
  return QV_OK;
}

qv_buffer *qv_buffer_ref(qv_buffer *b) {
  if (b) atomic_fetch_add_explicit(&b->refcount, 1, memory_order_relaxed);
  return b;
}

void qv_buffer_unref(qv_buffer *b) {
  if (!b) return;
  if (atomic_fetch_sub_explicit(&b->refcount, 1, memory_order_acq_rel) != 1) return;
  if (b->alloc) qv_free(b->alloc, b->data, b->capacity);
  else if (b->parent) qv_buffer_unref(b->parent);
  else if (b->release) b->release(b->release_ctx);
  free(b);
}

const uint8_t *qv_buffer_data(const qv_buffer *b) { return b->data; }
uint8_t *qv_buffer_mutable_data(qv_buffer *b) { return b->data; }
int64_t qv_buffer_size(const qv_buffer *b) { return b->size; }
void qv_buffer_set_size(qv_buffer *b, int64_t size) {
  if (size >= 0 && size <= b->size) b->size = size;
}
