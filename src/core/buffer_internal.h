/* The buffer struct, shared by the modules that build buffers in place
 * (builders, decoders). Everything else uses the accessors of memory.h. */
#ifndef QV_CORE_BUFFER_INTERNAL_H
#define QV_CORE_BUFFER_INTERNAL_H

#include <stdatomic.h>

#include "quiver/memory.h"

struct qv_buffer {
  atomic_int_fast64_t refcount;
  uint8_t *data;
  int64_t size;
  /* Exactly one owner kind is set: alloc (owned memory of `capacity` bytes),
   * parent (a slice), or release (foreign memory; may be NULL for static). */
  qv_allocator *alloc;
  int64_t capacity;
  qv_buffer *parent;
  void (*release)(void *ctx);
  void *release_ctx;
};

#endif
