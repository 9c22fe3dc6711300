/* Declarations shared by the selection, concatenation, hashing and row-format
 * kernels (filter.c, take.c, concat.c, hash.c, row_format.c, bits.c): the
 * selection that filter and take both apply, and bitmap helpers. */
#ifndef QV_ARROW_COMPUTE_INTERNAL_H
#define QV_ARROW_COMPUTE_INTERNAL_H

#include <string.h>

#include "arrow/internal.h"
#include "quiver/compute.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Quiver's kernels read Arrow's little-endian buffers in host order"
#endif

/* Deepest type nesting the kernels follow; deeper types are rejected rather
 * than risking the C stack. */
#define QV_COMPUTE_MAX_DEPTH 64

/* Which slots of a source array to gather, in output order. */
typedef enum qv_selection_kind {
  QV_SEL_IDX32, /* idx32[i]; UINT32_MAX is a null slot when n_null > 0 */
  QV_SEL_IDX64, /* idx64[i]; -1 is a null slot when n_null > 0 */
  QV_SEL_RUNS   /* runs[2k] = start, runs[2k+1] = length; never null */
} qv_selection_kind;

typedef struct qv_selection {
  qv_selection_kind kind;
  int64_t length; /* output slots (for runs: the sum of their lengths) */
  const uint32_t *idx32;
  const int64_t *idx64;
  const int64_t *runs;
  int64_t n_runs;
  int64_t n_null; /* null indices (index kinds only) */
} qv_selection;

/* Gathers the slots of values selected by sel into a new array. Selection
 * positions are relative to slot `base` of values (itself relative to the
 * array's offset): a struct's children are selected with base = the
 * struct's offset. Positions must be in bounds (the callers check them). */
qv_status qv__array_select(qv_allocator *alloc, const qv_array *values, int64_t base,
                           const qv_selection *sel, int depth, qv_array **out,
                           qv_error *err) QV_MUST_USE;

/* qv_array_concat below the top level (depth counts nesting). */
qv_status qv__array_concat(qv_allocator *alloc, qv_array *const *arrays, int32_t n, int depth,
                           qv_array **out, qv_error *err) QV_MUST_USE;

/* ---- bitmaps (bits.c) ------------------------------------------------------ */

/* Copies n bits from src at bit src_off to dst at bit dst_off; the other bits
 * of dst keep their values. */
void qv__bits_copy(uint8_t *dst, int64_t dst_off, const uint8_t *src, int64_t src_off, int64_t n);
/* Sets (value true) or clears n bits of dst from bit off. */
void qv__bits_fill(uint8_t *dst, int64_t off, int64_t n, bool value);
/* Loads 64 bits of bits starting at bit `off`, reading no byte at or past
 * bit `end` (bits past end read as 0). */
uint64_t qv__bits_load64(const uint8_t *bits, int64_t off, int64_t end);

/* The null count of an array whose count may not be cached yet. The count is
 * cached in the array (an atomic field), which is why a const array may be
 * asked. */
static inline int64_t qv__null_count(const qv_array *a) {
  return qv_array_null_count((qv_array *)a);
}

/* Whether the type's layout starts with a validity bitmap. */
static inline bool qv__has_validity(qv_type_id id) {
  return id != QV_NA && id != QV_SPARSE_UNION && id != QV_DENSE_UNION;
}

/* Allocates a buffer of size bytes and returns its writable data. */
static inline qv_status qv__new_buffer(qv_allocator *alloc, int64_t size, qv_buffer **out,
                                       uint8_t **data, qv_error *err) {
  QV_RETURN_NOT_OK(qv_buffer_allocate(alloc, size, out, err));
  *data = qv_buffer_mutable_data(*out);
  return QV_OK;
}

/* Copies n bytes, inline for short values (strings of a few bytes are the
 * common case, where a memcpy call costs more than the copy): overlapping
 * word copies that stay inside [s, s + n) and [d, d + n). */
static inline void qv__copy_small(uint8_t *d, const uint8_t *s, int64_t n) {
  if (n > 16) {
    memcpy(d, s, (size_t)n);
  } else if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, s, 8);
    memcpy(&b, s + n - 8, 8);
    memcpy(d, &a, 8);
    memcpy(d + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4);
    memcpy(&b, s + n - 4, 4);
    memcpy(d, &a, 4);
    memcpy(d + n - 4, &b, 4);
  } else if (n > 0) {
    d[0] = s[0];
    d[n / 2] = s[n / 2];
    d[n - 1] = s[n - 1];
  }
}

/* The child index of a union type code, -1 for an unknown code. */
void qv__union_child_of(const qv_data_type *t, int8_t child_of[128]);

#endif
