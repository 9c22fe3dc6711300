/* The accounted allocator: 64-byte aligned memory, live-byte accounting against
 * an optional limit, peak tracking, and fault injection for tests. The default
 * allocator is a process-wide instance with no limit. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "quiver/memory.h"

struct qv_allocator {
  atomic_int_fast64_t bytes;
  atomic_int_fast64_t peak;
  int64_t limit;                   /* 0: none */
  atomic_int_fast64_t fail_countdown; /* 0: off; otherwise fail when it reaches 1 */
  bool is_default;
};

static qv_allocator default_allocator = {.is_default = true};

qv_allocator *qv_default_allocator(void) { return &default_allocator; }

qv_status qv_allocator_create(int64_t limit_bytes, qv_allocator **out, qv_error *err) {
  *out = NULL;
  if (limit_bytes < 0) return qv_error_set(err, QV_INVALID, "allocator: negative limit %lld", (long long)limit_bytes);
  qv_allocator *a = calloc(1, sizeof *a);
  if (!a) return qv_error_set(err, QV_NOMEM, "allocator: out of memory");
  a->limit = limit_bytes;
  *out = a;
  return QV_OK;
}

void qv_allocator_destroy(qv_allocator *a) {
  if (a && !a->is_default) free(a);
}

static int64_t rounded(int64_t size) { return (size + QV_ALIGNMENT - 1) & ~(int64_t)(QV_ALIGNMENT - 1); }

/* Charges size bytes; false when the limit or the injected fault refuses. */
static bool charge(qv_allocator *a, int64_t size) {
  int64_t countdown = atomic_load(&a->fail_countdown);
  if (countdown > 0) {
    if (countdown == 1) return false;
    atomic_fetch_sub(&a->fail_countdown, 1);
  }
  int64_t now = atomic_fetch_add(&a->bytes, size) + size;
  if (a->limit > 0 && now > a->limit) {
    atomic_fetch_sub(&a->bytes, size);
    return false;
  }
  int64_t peak = atomic_load(&a->peak);
  while (now > peak && !atomic_compare_exchange_weak(&a->peak, &peak, now)) {
  }
  return true;
}

void *qv_alloc(qv_allocator *a, int64_t size) {
  if (size < 0 || size > INT64_MAX / 2) return NULL;
  int64_t n = rounded(size ? size : 1);
  if (!charge(a, n)) return NULL;
  void *p = aligned_alloc(QV_ALIGNMENT, (size_t)n);
  if (!p) atomic_fetch_sub(&a->bytes, n);
  return p;
}

void *qv_alloc_zeroed(qv_allocator *a, int64_t size) {
  void *p = qv_alloc(a, size);
  if (p) memset(p, 0, (size_t)rounded(size ? size : 1));
  return p;
}

void *qv_realloc(qv_allocator *a, void *p, int64_t old_size, int64_t new_size) {
  if (!p) return qv_alloc(a, new_size);
  if (rounded(old_size ? old_size : 1) == rounded(new_size ? new_size : 1)) return p;
  void *q = qv_alloc(a, new_size);
  if (!q) return NULL;
  memcpy(q, p, (size_t)(old_size < new_size ? old_size : new_size));
  qv_free(a, p, old_size);
  return q;
}

void qv_free(qv_allocator *a, void *p, int64_t size) {
  if (!p) return;
  atomic_fetch_sub(&a->bytes, rounded(size ? size : 1));
  free(p);
}

int64_t qv_allocator_bytes_allocated(const qv_allocator *a) { return atomic_load(&((qv_allocator *)a)->bytes); }
int64_t qv_allocator_peak_bytes(const qv_allocator *a) { return atomic_load(&((qv_allocator *)a)->peak); }
int64_t qv_allocator_limit(const qv_allocator *a) { return a->limit; }
void qv_allocator_fail_after(qv_allocator *a, int64_t n) { atomic_store(&a->fail_countdown, n); }
