/* Memory: the accounted allocator, reference-counted buffers and the arena.
 *
 * Every large allocation goes through a qv_allocator, which aligns to 64 bytes
 * (the Arrow recommendation, and a cache line), counts live bytes against an
 * optional limit, and can be told to fail its Nth allocation so tests can prove
 * every error path frees what it took. Buffers are immutable once shared,
 * reference counted, and sliced without copying. */
#ifndef QUIVER_MEMORY_H
#define QUIVER_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QV_ALIGNMENT 64

/* ---- allocator ---------------------------------------------------------- */

typedef struct qv_allocator qv_allocator;

/* The process-wide allocator: unlimited, thread-safe, never destroyed. */
qv_allocator *qv_default_allocator(void);

/* Creates an allocator that accounts its live bytes and refuses allocations that
 * would exceed limit_bytes (0 = no limit) with NULL. Caller destroys it after
 * every allocation from it was freed. */
qv_status qv_allocator_create(int64_t limit_bytes, qv_allocator **out, qv_error *err) QV_MUST_USE;
void qv_allocator_destroy(qv_allocator *a);

/* Returns 64-byte aligned memory of at least size bytes, or NULL when memory or
 * the limit is exhausted. size 0 returns a valid unique pointer. */
void *qv_alloc(qv_allocator *a, int64_t size);
/* Like qv_alloc, zero-filled. */
void *qv_alloc_zeroed(qv_allocator *a, int64_t size);
/* Grows or shrinks p (from qv_alloc on a, of old_size bytes); NULL on failure,
 * in which case p is untouched. */
void *qv_realloc(qv_allocator *a, void *p, int64_t old_size, int64_t new_size);
/* Frees p, which was allocated from a with the given size. p may be NULL. */
void qv_free(qv_allocator *a, void *p, int64_t size);

int64_t qv_allocator_bytes_allocated(const qv_allocator *a);
int64_t qv_allocator_peak_bytes(const qv_allocator *a);
int64_t qv_allocator_limit(const qv_allocator *a);
/* Fault injection for tests: the nth allocation from now (1 = the next) and
 * every later one fail; n = 0 disables. */
void qv_allocator_fail_after(qv_allocator *a, int64_t n);

/* ---- buffers ------------------------------------------------------------ */

/* An immutable, reference-counted byte range. It owns memory from an
 * allocator, or borrows memory kept alive by a parent buffer (a slice) or by a
 * release callback (memory owned elsewhere: an imported C Data array, a network
 * message, a mapped file). */
typedef struct qv_buffer qv_buffer;

/* Allocates a buffer of size bytes (contents undefined; padding up to the next
 * multiple of 64 bytes is zeroed). The caller owns one reference. */
qv_status qv_buffer_allocate(qv_allocator *a, int64_t size, qv_buffer **out, qv_error *err) QV_MUST_USE;
/* Allocates and copies size bytes from data. */
qv_status qv_buffer_copy(qv_allocator *a, const void *data, int64_t size, qv_buffer **out,
                         qv_error *err) QV_MUST_USE;
/* Wraps foreign memory: release(release_ctx) is called when the last reference
 * goes. release may be NULL for static memory. */
qv_status qv_buffer_wrap(const void *data, int64_t size, void (*release)(void *ctx),
                         void *release_ctx, qv_buffer **out, qv_error *err) QV_MUST_USE;
/* A zero-copy view of bytes [offset, offset+length) of parent; keeps parent
 * alive. Fails with QV_INVALID if the range is out of parent's bounds. */
qv_status qv_buffer_slice(qv_buffer *parent, int64_t offset, int64_t length, qv_buffer **out,
                          qv_error *err) QV_MUST_USE;

/* Adds a reference; returns b. b may be NULL. */
qv_buffer *qv_buffer_ref(qv_buffer *b);
/* Drops a reference; the last one frees. b may be NULL. */
void qv_buffer_unref(qv_buffer *b);

const uint8_t *qv_buffer_data(const qv_buffer *b);
/* Writable access for the code that created the buffer and still holds the only
 * reference (builders, decoders). */
uint8_t *qv_buffer_mutable_data(qv_buffer *b);
int64_t qv_buffer_size(const qv_buffer *b);
/* Shrinks the visible size (never grows); used by builders once they know the
 * final length. */
void qv_buffer_set_size(qv_buffer *b, int64_t size);

/* ---- growable byte vector ------------------------------------------------ */

/* A growable, 64-byte aligned byte vector for builders and writers. Caller
 * allocates the struct; _init, then _reset to free. */
typedef struct qv_bytes {
  qv_allocator *alloc;
  uint8_t *data;
  int64_t size;
  int64_t capacity;
} qv_bytes;

void qv_bytes_init(qv_bytes *v, qv_allocator *a);
void qv_bytes_reset(qv_bytes *v);
/* Ensures capacity for size + extra bytes. */
qv_status qv_bytes_reserve(qv_bytes *v, int64_t extra, qv_error *err) QV_MUST_USE;
qv_status qv_bytes_append(qv_bytes *v, const void *data, int64_t n, qv_error *err) QV_MUST_USE;
/* Appends n zero bytes. */
qv_status qv_bytes_append_zeros(qv_bytes *v, int64_t n, qv_error *err) QV_MUST_USE;
/* Moves the contents into a new buffer (zero-copy) and leaves v empty. */
qv_status qv_bytes_finish(qv_bytes *v, qv_buffer **out, qv_error *err) QV_MUST_USE;

/* ---- arena -------------------------------------------------------------- */

/* Bump allocator for query-lifetime objects, freed all at once by _reset. */
typedef struct qv_arena_chunk qv_arena_chunk;
typedef struct qv_arena {
  qv_allocator *alloc;
  qv_arena_chunk *chunks;
  int64_t chunk_size;
  int64_t bytes;
} qv_arena;

void qv_arena_init(qv_arena *arena, qv_allocator *a);
/* 16-byte aligned memory valid until qv_arena_reset; NULL on failure. */
void *qv_arena_alloc(qv_arena *arena, int64_t size);
/* Copies a NUL-terminated string (n bytes of s, then a NUL) into the arena. */
char *qv_arena_strndup(qv_arena *arena, const char *s, int64_t n);
void qv_arena_reset(qv_arena *arena);

#ifdef __cplusplus
}
#endif
#endif
