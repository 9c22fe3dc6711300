/* Take, and the gather engine behind both take and filter.
 *
 * qv__array_select builds a new array from the slots of a source array named
 * by a selection: indices (32- or 64-bit, possibly with a null sentinel) for
 * take and sparse filters, or runs of consecutive slots for dense filters.
 * Each layout has one tight loop per selection kind: fixed-width values are
 * gathered with typed loads (or one memcpy per run), bitmaps a byte at a time
 * (or with a bit-range copy per run), and variable-length values first get
 * their new offsets and then their bytes, copied per run of contiguous source
 * bytes. Nested types recurse: a list's child is selected with the runs of
 * child slots its selected lists cover, a struct's children with the
 * struct's own selection. Dense unions keep their children and gather only
 * type ids and offsets.
 *
 * The public take functions check every index once, then call the engine. */
#include <string.h>

#include "arrow/compute_internal.h"

/* Byte byte_off of buffer i, or NULL when the buffer is absent (possible
 * only for empty arrays, which no selection reads). */
static inline const uint8_t *data_at(const qv_array *a, int32_t i, int64_t byte_off) {
  const uint8_t *p = qv__array_data(a, i);
  return p ? p + byte_off : NULL;
}

/* ---- fixed-width values --------------------------------------------------- */

typedef struct u128 {
  uint64_t w[2];
} u128;
typedef struct u256 {
  uint64_t w[4];
} u256;

/* d[i] = s[index i] for one element type T, one loop per index kind, null
 * indices writing zeros. */
#define GATHER_TYPED(T)                                                                  \
  do {                                                                                   \
    T *restrict d_ = (T *)dst;                                                           \
    const T *restrict s_ = (const T *)src;                                               \
    T zero_;                                                                             \
    memset(&zero_, 0, sizeof zero_);                                                     \
    int64_t n_ = sel->length;                                                            \
    if (sel->kind == QV_SEL_IDX32) {                                                     \
      const uint32_t *x_ = sel->idx32;                                                   \
      if (sel->n_null)                                                                   \
        for (int64_t i = 0; i < n_; i++) d_[i] = x_[i] == UINT32_MAX ? zero_ : s_[x_[i]]; \
      else                                                                               \
        for (int64_t i = 0; i < n_; i++) d_[i] = s_[x_[i]];                              \
    } else {                                                                             \
      const int64_t *x_ = sel->idx64;                                                    \
      if (sel->n_null)                                                                   \
        for (int64_t i = 0; i < n_; i++) d_[i] = x_[i] < 0 ? zero_ : s_[x_[i]];          \
      else                                                                               \
        for (int64_t i = 0; i < n_; i++) d_[i] = s_[x_[i]];                              \
    }                                                                                    \
  } while (0)

/* Index i of an index selection, -1 for a null slot. */
static inline int64_t index_at(const qv_selection *sel, int64_t i) {
  if (sel->kind == QV_SEL_IDX32) {
    uint32_t k = sel->idx32[i];
    return sel->n_null && k == UINT32_MAX ? -1 : (int64_t)k;
  }
  return sel->idx64[i];
}

/* Gathers elements of w bytes; src points at the element of selection
 * position 0. */
static void gather_fixed(uint8_t *dst, const uint8_t *src, int64_t w, const qv_selection *sel) {
  if (sel->kind == QV_SEL_RUNS) {
    int64_t pos = 0;
    for (int64_t r = 0; r < sel->n_runs; r++) {
      int64_t start = sel->runs[2 * r], len = sel->runs[2 * r + 1];
      if (len > 0 && w > 0) memcpy(dst + pos * w, src + start * w, (size_t)(len * w));
      pos += len;
    }
    return;
  }
  switch (w) {
    case 0: return;
    case 1: GATHER_TYPED(uint8_t); return;
    case 2: GATHER_TYPED(uint16_t); return;
    case 4: GATHER_TYPED(uint32_t); return;
    case 8: GATHER_TYPED(uint64_t); return;
    case 16: GATHER_TYPED(u128); return;
    case 32: GATHER_TYPED(u256); return;
    default:
      for (int64_t i = 0; i < sel->length; i++) {
        int64_t k = index_at(sel, i);
        if (k < 0) memset(dst + i * w, 0, (size_t)w);
        else memcpy(dst + i * w, src + k * w, (size_t)w);
      }
      return;
  }
}

/* ---- bitmaps ------------------------------------------------------------- */

/* Assembles output bytes 8 bits at a time; BIT(k) reads source bit k. */
#define GATHER_BITS(X, IS_NULL, BIT)                                        \
  do {                                                                      \
    int64_t n_ = sel->length, i = 0;                                        \
    for (; i + 8 <= n_; i += 8) {                                           \
      unsigned byte_ = 0;                                                   \
      for (int j = 0; j < 8; j++) {                                         \
        int64_t k_ = (int64_t)(X)[i + j];                                   \
        byte_ |= (unsigned)(!(IS_NULL) && (BIT)) << j;                      \
      }                                                                     \
      dst[i >> 3] = (uint8_t)byte_;                                         \
    }                                                                       \
    if (i < n_) {                                                           \
      unsigned byte_ = 0;                                                   \
      for (int j = 0; i + j < n_; j++) {                                    \
        int64_t k_ = (int64_t)(X)[i + j];                                   \
        byte_ |= (unsigned)(!(IS_NULL) && (BIT)) << j;                      \
      }                                                                     \
      dst[i >> 3] = (uint8_t)byte_;                                         \
    }                                                                       \
  } while (0)

/* Writes sel->length bits to dst from bit 0: source bit (src_off + position)
 * of src, or 1 when src is NULL (all valid); null indices give 0. */
static void gather_bits(uint8_t *dst, const uint8_t *src, int64_t src_off,
                        const qv_selection *sel) {
  if (sel->kind == QV_SEL_RUNS) {
    int64_t pos = 0;
    for (int64_t r = 0; r < sel->n_runs; r++) {
      int64_t start = sel->runs[2 * r], len = sel->runs[2 * r + 1];
      if (src) qv__bits_copy(dst, pos, src, src_off + start, len);
      else qv__bits_fill(dst, pos, len, true);
      pos += len;
    }
    return;
  }
  bool nulls = sel->n_null > 0;
  if (sel->kind == QV_SEL_IDX32) {
    const uint32_t *x = sel->idx32;
    if (!src) GATHER_BITS(x, nulls && k_ == UINT32_MAX, 1);
    else if (nulls) GATHER_BITS(x, k_ == UINT32_MAX, qv_bit_get(src, src_off + k_));
    else GATHER_BITS(x, 0, qv_bit_get(src, src_off + k_));
  } else {
    const int64_t *x = sel->idx64;
    if (!src) GATHER_BITS(x, k_ < 0, 1);
    else GATHER_BITS(x, k_ < 0, qv_bit_get(src, src_off + k_));
  }
}

/* The selected validity: NULL when neither the source nor the selection has
 * nulls. */
static qv_status select_validity(qv_allocator *alloc, const qv_array *values, int64_t off,
                                 const qv_selection *sel, qv_buffer **out, int64_t *null_count,
                                 qv_error *err) {
  *out = NULL;
  *null_count = 0;
  const uint8_t *bits = qv__array_data(values, 0);
  if (bits && qv__null_count(values) == 0) bits = NULL;
  if (!bits && sel->n_null == 0) return QV_OK;
  uint8_t *d;
  QV_RETURN_NOT_OK(qv__new_buffer(alloc, (sel->length + 7) / 8, out, &d, err));
  gather_bits(d, bits, off, sel);
  *null_count = sel->length - qv_bitmap_count_set(d, 0, sel->length);
  return QV_OK;
}

/* ---- offsets ------------------------------------------------------------- */

/* Appends the source range [start, start+len) to runs, merging it into the
 * last run when contiguous; empty ranges are skipped. */
static inline void push_run(int64_t *runs, int64_t *n_runs, int64_t start, int64_t len) {
  if (len <= 0) return;
  int64_t n = *n_runs;
  if (n && runs[2 * n - 2] + runs[2 * n - 1] == start) {
    runs[2 * n - 1] += len;
    return;
  }
  runs[2 * n] = start;
  runs[2 * n + 1] = len;
  *n_runs = n + 1;
}

/* Output offsets o[1..n] of an index selection over source offsets s (type
 * OT), pushing the source ranges to runs when runs is not NULL. */
#define INDEX_OFFSETS(OT, X, IS_NULL)                                    \
  do {                                                                   \
    for (int64_t i = 0; i < n; i++) {                                    \
      int64_t k_ = (int64_t)(X)[i];                                      \
      int64_t len_ = (IS_NULL) ? 0 : (int64_t)s[k_ + 1] - s[k_];         \
      if (runs && len_) push_run(runs, n_runs, s[k_], len_);             \
      acc += len_;                                                       \
      o[i + 1] = (OT)acc;                                                \
    }                                                                    \
  } while (0)

/* Output offsets of a selection over source offsets s of type OT (the
 * offset of selection position 0); returns the total length. */
#define DEFINE_SELECT_OFFSETS(NAME, OT)                                                   \
  static int64_t NAME(const OT *s, const qv_selection *sel, OT *o, int64_t *runs,         \
                      int64_t *n_runs) {                                                  \
    int64_t n = sel->length, acc = 0;                                                     \
    o[0] = 0;                                                                             \
    if (sel->kind == QV_SEL_RUNS) {                                                       \
      int64_t pos = 0;                                                                    \
      for (int64_t r = 0; r < sel->n_runs; r++) {                                         \
        int64_t start = sel->runs[2 * r], len = sel->runs[2 * r + 1];                     \
        int64_t shift = acc - s[start];                                                   \
        for (int64_t j = 1; j <= len; j++) o[pos + j] = (OT)(s[start + j] + shift);       \
        if (runs) push_run(runs, n_runs, s[start], (int64_t)s[start + len] - s[start]);   \
        acc += (int64_t)s[start + len] - s[start];                                        \
        pos += len;                                                                       \
      }                                                                                   \
    } else if (sel->kind == QV_SEL_IDX32) {                                               \
      const uint32_t *x = sel->idx32;                                                     \
      if (sel->n_null) INDEX_OFFSETS(OT, x, k_ == UINT32_MAX);                            \
      else INDEX_OFFSETS(OT, x, 0);                                                       \
    } else {                                                                              \
      INDEX_OFFSETS(OT, sel->idx64, k_ < 0);                                              \
    }                                                                                     \
    return acc;                                                                           \
  }

DEFINE_SELECT_OFFSETS(select_offsets32, int32_t)
DEFINE_SELECT_OFFSETS(select_offsets64, int64_t)

/* The output offsets (width w: 4 or 8) of selecting variable-length slots
 * whose source offsets start at so (the offset of selection position 0).
 * With want_runs, also the runs of the source data (bytes or child slots)
 * the result is made of, in *runs (allocated from alloc, *runs_bytes bytes,
 * owned by the caller even on failure). */
static qv_status select_offsets(qv_allocator *alloc, const uint8_t *so, int32_t w,
                                const qv_selection *sel, bool want_runs, qv_buffer **out,
                                int64_t **runs, int64_t *runs_bytes, int64_t *n_runs,
                                int64_t *total, qv_error *err) {
  *out = NULL;
  *n_runs = 0;
  *total = 0;
  int64_t n = sel->length;
  if (want_runs) {
    int64_t max_runs = sel->kind == QV_SEL_RUNS ? sel->n_runs : n;
    *runs_bytes = (max_runs ? max_runs : 1) * 16;
    *runs = qv_alloc(alloc, *runs_bytes);
    if (!*runs)
      return qv_error_set(err, QV_NOMEM, "cannot allocate %lld bytes of selection runs",
                          (long long)*runs_bytes);
  }
  uint8_t *d;
  QV_RETURN_NOT_OK(qv__new_buffer(alloc, (n + 1) * w, out, &d, err));
  if (w == 4) {
    /* Summed in 64 bits: a 32-bit overflow shows in the total. */
    *total = select_offsets32((const int32_t *)so, sel, (int32_t *)d, *runs, n_runs);
    if (*total > INT32_MAX)
      return qv_error_set(err, QV_INVALID,
                          "the selection holds more than 2^31-1 bytes or elements, more than "
                          "32-bit offsets address; use a large type");
  } else {
    *total = select_offsets64((const int64_t *)so, sel, (int64_t *)d, *runs, n_runs);
  }
  return QV_OK;
}

/* Copies the bytes of each selected slot to its output offset o[i]. */
#define COPY_INDEXED(OT, X, IS_NULL)                                          \
  do {                                                                        \
    const OT *s_ = (const OT *)so;                                            \
    const OT *o_ = (const OT *)o;                                             \
    for (int64_t i = 0; i < n; i++) {                                         \
      int64_t k_ = (int64_t)(X)[i];                                           \
      if (IS_NULL) continue;                                                  \
      qv__copy_small(dst + o_[i], src + s_[k_], (int64_t)s_[k_ + 1] - s_[k_]); \
    }                                                                         \
  } while (0)

/* The data of an index selection of binary slots, value by value. */
static void copy_indexed_bytes(uint8_t *dst, const uint8_t *src, const uint8_t *so,
                               const uint8_t *o, int32_t w, const qv_selection *sel) {
  int64_t n = sel->length;
  bool nulls = sel->n_null > 0;
  if (w == 4) {
    if (sel->kind == QV_SEL_IDX32) COPY_INDEXED(int32_t, sel->idx32, nulls && k_ == UINT32_MAX);
    else COPY_INDEXED(int32_t, sel->idx64, k_ < 0);
  } else {
    if (sel->kind == QV_SEL_IDX32) COPY_INDEXED(int64_t, sel->idx32, nulls && k_ == UINT32_MAX);
    else COPY_INDEXED(int64_t, sel->idx64, k_ < 0);
  }
}

/* ---- nested layouts ------------------------------------------------------- */

/* The children of a fixed-size list: for runs, the runs scaled by the list
 * size; for indices, size consecutive child slots per index (null indices
 * give null child slots). */
static qv_status select_fixed_list_child(qv_allocator *alloc, const qv_array *values, int64_t off,
                                         const qv_selection *sel, int depth, qv_array **out,
                                         qv_error *err) {
  int64_t size = values->type->list_size;
  qv_selection child = {0};
  int64_t mem_bytes = 0;
  void *mem = NULL;
  if (sel->kind == QV_SEL_RUNS) {
    mem_bytes = (sel->n_runs ? sel->n_runs : 1) * 16;
    int64_t *runs = mem = qv_alloc(alloc, mem_bytes);
    if (!runs) return qv_error_set(err, QV_NOMEM, "cannot allocate fixed-size list runs");
    int64_t nr = 0;
    for (int64_t r = 0; r < sel->n_runs; r++)
      push_run(runs, &nr, (off + sel->runs[2 * r]) * size, sel->runs[2 * r + 1] * size);
    child.kind = QV_SEL_RUNS;
    child.runs = runs;
    child.n_runs = nr;
  } else if (sel->n_null == 0) {
    mem_bytes = (sel->length ? sel->length : 1) * 16;
    int64_t *runs = mem = qv_alloc(alloc, mem_bytes);
    if (!runs) return qv_error_set(err, QV_NOMEM, "cannot allocate fixed-size list runs");
    int64_t nr = 0;
    for (int64_t i = 0; i < sel->length; i++)
      push_run(runs, &nr, (off + index_at(sel, i)) * size, size);
    child.kind = QV_SEL_RUNS;
    child.runs = runs;
    child.n_runs = nr;
  } else {
    mem_bytes = (sel->length * size > 0 ? sel->length * size : 1) * 8;
    int64_t *idx = mem = qv_alloc(alloc, mem_bytes);
    if (!idx) return qv_error_set(err, QV_NOMEM, "cannot allocate fixed-size list indices");
    for (int64_t i = 0; i < sel->length; i++) {
      int64_t k = index_at(sel, i);
      for (int64_t j = 0; j < size; j++) idx[i * size + j] = k < 0 ? -1 : (off + k) * size + j;
    }
    child.kind = QV_SEL_IDX64;
    child.idx64 = idx;
    child.n_null = sel->n_null * size;
  }
  child.length = sel->length * size;
  qv_status st = qv__array_select(alloc, values->children[0], 0, &child, depth + 1, out, err);
  qv_free(alloc, mem, mem_bytes);
  return st;
}

/* Dense union: type ids and offsets gathered, children kept. Null slots point
 * at a null appended to the first child. */
static qv_status select_dense_union(qv_allocator *alloc, const qv_array *values, int64_t off,
                                    const qv_selection *sel, int depth, qv_buffer **bufs,
                                    qv_array **kids, int32_t *n_kids, qv_error *err) {
  const qv_data_type *t = values->type;
  int64_t n = sel->length;
  uint8_t *ids, *offs;
  QV_RETURN_NOT_OK(qv__new_buffer(alloc, n, &bufs[0], &ids, err));
  QV_RETURN_NOT_OK(qv__new_buffer(alloc, n * 4, &bufs[1], &offs, err));
  gather_fixed(ids, data_at(values, 0, off), 1, sel);
  gather_fixed(offs, data_at(values, 1, off * 4), 4, sel);
  for (int32_t c = 0; c < t->n_children; c++, (*n_kids)++) kids[c] = qv_array_ref(values->children[c]);
  if (sel->n_null == 0) return QV_OK;
  if (t->n_children == 0)
    return qv_error_set(err, QV_INVALID, "a union without children cannot hold a null slot");
  qv_array *pair[2] = {values->children[0], NULL};
  QV_RETURN_NOT_OK(qv_array_make_nulls(alloc, t->children[0]->type, 1, &pair[1], err));
  qv_array *grown = NULL;
  qv_status st = qv__array_concat(alloc, pair, 2, depth + 1, &grown, err);
  qv_array_unref(pair[1]);
  QV_RETURN_NOT_OK(st);
  if (grown->length - 1 > INT32_MAX) {
    qv_array_unref(grown);
    return qv_error_set(err, QV_INVALID, "dense union child too long for 32-bit offsets");
  }
  qv_array_unref(kids[0]);
  kids[0] = grown;
  int32_t null_off = (int32_t)(grown->length - 1);
  int32_t *o = (int32_t *)offs;
  for (int64_t i = 0; i < n; i++)
    if (index_at(sel, i) < 0) {
      ids[i] = (uint8_t)t->type_codes[0];
      o[i] = null_off;
    }
  return QV_OK;
}

/* ---- the engine ----------------------------------------------------------- */

qv_status qv__array_select(qv_allocator *alloc, const qv_array *values, int64_t base,
                           const qv_selection *sel, int depth, qv_array **out, qv_error *err) {
  *out = NULL;
  if (depth > QV_COMPUTE_MAX_DEPTH)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "type nesting deeper than %d levels",
                        QV_COMPUTE_MAX_DEPTH);
  qv_data_type *t = values->type;
  int64_t n = sel->length;
  int64_t off = values->offset + base;
  qv_buffer *bufs[QV_MAX_BUFFERS] = {NULL, NULL, NULL};
  int32_t n_bufs = qv_type_num_buffers(t->id);
  qv_array *kids_small[4] = {NULL, NULL, NULL, NULL};
  qv_array **kids = kids_small;
  int32_t n_kids = 0;
  int64_t kids_bytes = 0;
  int64_t *runs = NULL;
  int64_t runs_bytes = 0;
  qv_array *dict = NULL;
  int64_t null_count = 0;
  qv_status st = QV_OK;

  if (t->n_children > 4) {
    kids_bytes = (int64_t)t->n_children * (int64_t)sizeof *kids;
    kids = qv_alloc_zeroed(alloc, kids_bytes);
    if (!kids) return qv_error_set(err, QV_NOMEM, "cannot allocate %d children", t->n_children);
  }
  if (qv__has_validity(t->id))
    st = select_validity(alloc, values, off, sel, &bufs[0], &null_count, err);
  if (st == QV_OK) switch (t->id) {
    case QV_NA:
      null_count = n;
      break;
    case QV_BOOL: {
      uint8_t *d;
      st = qv__new_buffer(alloc, (n + 7) / 8, &bufs[1], &d, err);
      if (st == QV_OK) gather_bits(d, qv__array_data(values, 1), off, sel);
      break;
    }
    case QV_BINARY:
    case QV_UTF8:
    case QV_LARGE_BINARY:
    case QV_LARGE_UTF8: {
      /* Runs of bytes for run selections; value by value for indices. */
      int32_t w = (t->id == QV_BINARY || t->id == QV_UTF8) ? 4 : 8;
      bool by_runs = sel->kind == QV_SEL_RUNS;
      const uint8_t *so = data_at(values, 1, off * w);
      int64_t nr, total;
      st = select_offsets(alloc, so, w, sel, by_runs, &bufs[1], &runs, &runs_bytes, &nr, &total,
                          err);
      uint8_t *d;
      if (st == QV_OK) st = qv__new_buffer(alloc, total, &bufs[2], &d, err);
      if (st == QV_OK && total) {
        const uint8_t *src = qv__array_data(values, 2);
        if (by_runs)
          for (int64_t r = 0, pos = 0; r < nr; pos += runs[2 * r + 1], r++)
            memcpy(d + pos, src + runs[2 * r], (size_t)runs[2 * r + 1]);
        else
          copy_indexed_bytes(d, src, so, qv_buffer_data(bufs[1]), w, sel);
      }
      break;
    }
    case QV_LIST:
    case QV_LARGE_LIST:
    case QV_MAP: {
      int32_t w = t->id == QV_LARGE_LIST ? 8 : 4;
      int64_t nr, total;
      st = select_offsets(alloc, data_at(values, 1, off * w), w, sel, true, &bufs[1], &runs,
                          &runs_bytes, &nr, &total, err);
      if (st == QV_OK) {
        qv_selection child = {.kind = QV_SEL_RUNS, .length = total, .runs = runs, .n_runs = nr};
        st = qv__array_select(alloc, values->children[0], 0, &child, depth + 1, &kids[0], err);
        n_kids = 1;
      }
      break;
    }
    case QV_FIXED_SIZE_LIST:
      st = select_fixed_list_child(alloc, values, off, sel, depth, &kids[0], err);
      n_kids = 1;
      break;
    case QV_STRUCT:
      for (int32_t c = 0; c < t->n_children && st == QV_OK; c++, n_kids++)
        st = qv__array_select(alloc, values->children[c], off, sel, depth + 1, &kids[c], err);
      break;
    case QV_SPARSE_UNION: {
      uint8_t *ids;
      if (sel->n_null && t->n_children == 0)
        st = qv_error_set(err, QV_INVALID, "a union without children cannot hold a null slot");
      if (st == QV_OK) st = qv__new_buffer(alloc, n, &bufs[0], &ids, err);
      if (st == QV_OK) {
        gather_fixed(ids, data_at(values, 0, off), 1, sel);
        if (sel->n_null)
          for (int64_t i = 0; i < n; i++)
            if (index_at(sel, i) < 0) ids[i] = (uint8_t)t->type_codes[0];
      }
      for (int32_t c = 0; c < t->n_children && st == QV_OK; c++, n_kids++)
        st = qv__array_select(alloc, values->children[c], off, sel, depth + 1, &kids[c], err);
      break;
    }
    case QV_DENSE_UNION:
      st = select_dense_union(alloc, values, off, sel, depth, bufs, kids, &n_kids, err);
      break;
    case QV_DICTIONARY: {
      int64_t w = t->dict_index->byte_width;
      uint8_t *d;
      st = qv__new_buffer(alloc, n * w, &bufs[1], &d, err);
      if (st == QV_OK) gather_fixed(d, data_at(values, 1, off * w), w, sel);
      dict = qv_array_ref(values->dictionary);
      break;
    }
    default: {
      int64_t w = t->byte_width;
      uint8_t *d;
      st = qv__new_buffer(alloc, n * w, &bufs[1], &d, err);
      if (st == QV_OK) gather_fixed(d, data_at(values, 1, off * w), w, sel);
      break;
    }
  }
  if (st == QV_OK)
    st = qv_array_create(t, n, 0, null_count, bufs, n_bufs, kids, n_kids, dict, out, err);
  for (int32_t i = 0; i < QV_MAX_BUFFERS; i++) qv_buffer_unref(bufs[i]);
  for (int32_t i = 0; i < n_kids; i++) qv_array_unref(kids[i]);
  if (kids != kids_small) qv_free(alloc, kids, kids_bytes);
  qv_free(alloc, runs, runs_bytes);
  qv_array_unref(dict);
  return st;
}

/* ---- take ------------------------------------------------------------------ */

/* Checks indices against length; counts null sentinels when nullable. */
static qv_status check_u32(const uint32_t *idx, int64_t n, int64_t length, bool nullable,
                           int64_t *n_null, qv_error *err) {
  *n_null = 0;
  if (n < 0) return qv_error_set(err, QV_INVALID, "take: negative index count %lld", (long long)n);
  if (n && !idx) return qv_error_set(err, QV_INVALID, "take: no indices");
  int64_t nulls = 0;
  bool bad = false;
  uint64_t len = (uint64_t)length;
  if (nullable) {
    for (int64_t i = 0; i < n; i++) {
      uint32_t k = idx[i];
      nulls += k == UINT32_MAX;
      bad |= k != UINT32_MAX && (uint64_t)k >= len;
    }
  } else {
    for (int64_t i = 0; i < n; i++) bad |= (uint64_t)idx[i] >= len;
  }
  if (bad)
    for (int64_t i = 0; i < n; i++)
      if ((!nullable || idx[i] != UINT32_MAX) && (uint64_t)idx[i] >= len)
        return qv_error_set(err, QV_OUT_OF_RANGE,
                            "take: index %lu at position %lld is out of bounds for %lld slots",
                            (unsigned long)idx[i], (long long)i, (long long)length);
  *n_null = nulls;
  return QV_OK;
}

static qv_status check_i64(const int64_t *idx, int64_t n, int64_t length, bool nullable,
                           int64_t *n_null, qv_error *err) {
  *n_null = 0;
  if (n < 0) return qv_error_set(err, QV_INVALID, "take: negative index count %lld", (long long)n);
  if (n && !idx) return qv_error_set(err, QV_INVALID, "take: no indices");
  int64_t nulls = 0;
  bool bad = false;
  for (int64_t i = 0; i < n; i++) {
    int64_t k = idx[i];
    bool is_null = nullable && k == -1;
    nulls += is_null;
    bad |= !is_null && (k < 0 || k >= length);
  }
  if (bad)
    for (int64_t i = 0; i < n; i++) {
      int64_t k = idx[i];
      if (!(nullable && k == -1) && (k < 0 || k >= length))
        return qv_error_set(err, QV_OUT_OF_RANGE,
                            "take: index %lld at position %lld is out of bounds for %lld slots",
                            (long long)k, (long long)i, (long long)length);
    }
  *n_null = nulls;
  return QV_OK;
}

static qv_status take_u32(qv_allocator *alloc, const qv_array *values, const uint32_t *indices,
                          int64_t n, bool nullable, qv_array **out, qv_error *err) {
  *out = NULL;
  if (!alloc) alloc = qv_default_allocator();
  qv_selection sel = {.kind = QV_SEL_IDX32, .length = n, .idx32 = indices};
  QV_RETURN_NOT_OK(check_u32(indices, n, values->length, nullable, &sel.n_null, err));
  qv_status st = qv__array_select(alloc, values, 0, &sel, 0, out, err);
  if (st != QV_OK) qv_error_prefix(err, "take");
  return st;
}

static qv_status take_i64(qv_allocator *alloc, const qv_array *values, const int64_t *indices,
                          int64_t n, bool nullable, qv_array **out, qv_error *err) {
  *out = NULL;
  if (!alloc) alloc = qv_default_allocator();
  qv_selection sel = {.kind = QV_SEL_IDX64, .length = n, .idx64 = indices};
  QV_RETURN_NOT_OK(check_i64(indices, n, values->length, nullable, &sel.n_null, err));
  qv_status st = qv__array_select(alloc, values, 0, &sel, 0, out, err);
  if (st != QV_OK) qv_error_prefix(err, "take");
  return st;
}

qv_status qv_array_take(qv_allocator *alloc, const qv_array *values, const uint32_t *indices,
                        int64_t n, qv_array **out, qv_error *err) {
  return take_u32(alloc, values, indices, n, false, out, err);
}

qv_status qv_array_take_nullable(qv_allocator *alloc, const qv_array *values,
                                 const uint32_t *indices, int64_t n, qv_array **out,
                                 qv_error *err) {
  return take_u32(alloc, values, indices, n, true, out, err);
}

qv_status qv_array_take_i64(qv_allocator *alloc, const qv_array *values, const int64_t *indices,
                            int64_t n, qv_array **out, qv_error *err) {
  return take_i64(alloc, values, indices, n, false, out, err);
}

qv_status qv_array_take_i64_nullable(qv_allocator *alloc, const qv_array *values,
                                     const int64_t *indices, int64_t n, qv_array **out,
                                     qv_error *err) {
  return take_i64(alloc, values, indices, n, true, out, err);
}

static qv_status batch_take(qv_allocator *alloc, const qv_record_batch *batch,
                            const uint32_t *indices, int64_t n, bool nullable,
                            qv_record_batch **out, qv_error *err) {
  *out = NULL;
  if (!alloc) alloc = qv_default_allocator();
  qv_selection sel = {.kind = QV_SEL_IDX32, .length = n, .idx32 = indices};
  QV_RETURN_NOT_OK(check_u32(indices, n, batch->num_rows, nullable, &sel.n_null, err));
  int32_t nc = batch->n_columns;
  int64_t cols_bytes = (int64_t)(nc ? nc : 1) * (int64_t)sizeof(qv_array *);
  qv_array **cols = qv_alloc_zeroed(alloc, cols_bytes);
  if (!cols) return qv_error_set(err, QV_NOMEM, "take: cannot allocate %d columns", nc);
  qv_status st = QV_OK;
  for (int32_t c = 0; c < nc && st == QV_OK; c++) {
    st = qv__array_select(alloc, batch->columns[c], 0, &sel, 0, &cols[c], err);
    if (st != QV_OK) qv_error_prefix(err, "take: column %d ('%s')", c, batch->schema->fields[c]->name);
  }
  if (st == QV_OK) st = qv_record_batch_create(batch->schema, n, cols, nc, out, err);
  for (int32_t c = 0; c < nc; c++) qv_array_unref(cols[c]);
  qv_free(alloc, cols, cols_bytes);
  return st;
}

qv_status qv_record_batch_take(qv_allocator *alloc, const qv_record_batch *batch,
                               const uint32_t *indices, int64_t n, qv_record_batch **out,
                               qv_error *err) {
  return batch_take(alloc, batch, indices, n, false, out, err);
}

qv_status qv_record_batch_take_nullable(qv_allocator *alloc, const qv_record_batch *batch,
                                        const uint32_t *indices, int64_t n,
                                        qv_record_batch **out, qv_error *err) {
  return batch_take(alloc, batch, indices, n, true, out, err);
}
