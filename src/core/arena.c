/* The arena: a bump allocator over chunks, for objects that live exactly as
 * long as one query or one decode and are freed together. */
#include <string.h>

#include "quiver/memory.h"

struct qv_arena_chunk {
  qv_arena_chunk *next;
  int64_t size; /* usable bytes after the header */
  int64_t used;
};

#define CHUNK_HEADER ((int64_t)((sizeof(qv_arena_chunk) + 15) & ~(size_t)15))

void qv_arena_init(qv_arena *arena, qv_allocator *a) {
  arena->alloc = a ? a : qv_default_allocator();
  arena->chunks = NULL;
  arena->chunk_size = 16 * 1024;
  arena->bytes = 0;
}

void *qv_arena_alloc(qv_arena *arena, int64_t size) {
  if (size < 0 || size > INT64_MAX / 4) return NULL;
  size = (size + 15) & ~(int64_t)15;
  qv_arena_chunk *c = arena->chunks;
  if (!c || c->size - c->used < size) {
    int64_t want = size > arena->chunk_size ? size : arena->chunk_size;
    c = qv_alloc(arena->alloc, CHUNK_HEADER + want);
    if (!c) return NULL;
    c->next = arena->chunks;
    c->size = want;
    c->used = 0;
    arena->chunks = c;
    arena->bytes += CHUNK_HEADER + want;
    /* Grow chunk sizes so a large decode needs few chunks. */
    if (arena->chunk_size < 1024 * 1024) arena->chunk_size *= 2;
  }
  void *p = (uint8_t *)c + CHUNK_HEADER + c->used;
  c->used += size;
  return p;
}

char *qv_arena_strndup(qv_arena *arena, const char *s, int64_t n) {
  char *p = qv_arena_alloc(arena, n + 1);
  if (!p) return NULL;
  if (n) memcpy(p, s, (size_t)n);
  p[n] = '\0';
  return p;
}

void qv_arena_reset(qv_arena *arena) {
  qv_arena_chunk *c = arena->chunks;
  while (c) {
    qv_arena_chunk *next = c->next;
    qv_free(arena->alloc, c, CHUNK_HEADER + c->size);
    c = next;
  }
  arena->chunks = NULL;
  arena->bytes = 0;
  arena->chunk_size = 16 * 1024;
}
