/* The engine's one hash function (documented in quiver/compute.h): XXH3 over
 * values normalised so that equal SQL values hash equal whatever their
 * physical form (integer width, float width, -0.0, NaN payloads, offset
 * width, dictionary encoding), combined across columns with XXH3 seeded by
 * the running hash.
 *
 * hash_array computes the value hashes of one column into an array, one tight
 * loop per physical type, and then overwrites null slots with QV_HASH_NULL
 * word by word of the validity bitmap. Nested types and dictionaries recurse
 * into scratch arrays (children, dictionary values). qv_hash_columns folds the
 * columns' arrays into the row hashes. */
#include <math.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "arrow/compute_internal.h"

/* ---- the primitives: the one place they are defined ------------------------ */

/* An integer-like value, widened to 64 bits, as its 8 little-endian bytes. */
static inline uint64_t hash_u64(uint64_t v) { return XXH3_64bits_withSeed(&v, 8, QV_HASH_SEED); }

static inline uint64_t hash_bytes(const void *p, size_t n) {
  return XXH3_64bits_withSeed(p, n, QV_HASH_SEED);
}

static inline uint64_t combine(uint64_t acc, uint64_t h) { return XXH3_64bits_withSeed(&h, 8, acc); }

/* The bits of a double with -0.0 made 0.0 and every NaN the one quiet NaN. */
static inline uint64_t canonical_double_bits(double x) {
  if (x == 0.0) x = 0.0;
  uint64_t b;
  memcpy(&b, &x, 8);
  if (x != x) b = UINT64_C(0x7FF8000000000000);
  return b;
}

/* IEEE half-precision bits to double (exact). */
static inline double half_to_double(uint16_t h) {
  int exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  double v;
  if (exp == 0) v = ldexp((double)mant, -24);
  else if (exp == 31) v = mant ? NAN : INFINITY;
  else v = ldexp((double)(mant | 0x400), exp - 25);
  return (h & 0x8000) ? -v : v;
}

/* ---- one column ------------------------------------------------------------ */

static qv_status hash_array(const qv_array *a, int64_t start, int64_t n, uint64_t *out, int depth,
                            qv_error *err);

/* Scratch from the default allocator. */
static qv_status scratch_u64(int64_t n, uint64_t **out, qv_error *err) {
  *out = qv_alloc(qv_default_allocator(), (n ? n : 1) * 8);
  if (!*out) return qv_error_set(err, QV_NOMEM, "hash: cannot allocate %lld hashes", (long long)n);
  return QV_OK;
}

static void scratch_free(uint64_t *p, int64_t n) { qv_free(qv_default_allocator(), p, (n ? n : 1) * 8); }

#define HASH_SIGNED(T)                                                         \
  do {                                                                         \
    const T *v_ = (const T *)qv__array_data(a, 1) + off;                       \
    for (int64_t i = 0; i < n; i++) out[i] = hash_u64((uint64_t)(int64_t)v_[i]); \
  } while (0)

#define HASH_UNSIGNED(T)                                                       \
  do {                                                                         \
    const T *v_ = (const T *)qv__array_data(a, 1) + off;                       \
    for (int64_t i = 0; i < n; i++) out[i] = hash_u64((uint64_t)v_[i]);        \
  } while (0)

/* Dictionary slots: the hash of the value each index names; an index outside
 * the dictionary can only sit under a null slot and hashes as null. */
#define HASH_INDICES(T)                                                              \
  do {                                                                               \
    const T *x_ = (const T *)qv__array_data(a, 1) + off;                             \
    for (int64_t i = 0; i < n; i++) {                                                \
      uint64_t k_ = (uint64_t)(int64_t)x_[i];                                        \
      out[i] = k_ < (uint64_t)dlen ? dh[k_] : QV_HASH_NULL;                          \
    }                                                                                \
  } while (0)

static qv_status hash_dictionary(const qv_array *a, int64_t off, int64_t n, uint64_t *out,
                                 int depth, qv_error *err) {
  const qv_array *dict = a->dictionary;
  int64_t dlen = dict->length;
  uint64_t *dh;
  QV_RETURN_NOT_OK(scratch_u64(dlen, &dh, err));
  qv_status st = hash_array(dict, 0, dlen, dh, depth + 1, err);
  if (st == QV_OK) switch (a->type->dict_index->id) {
    case QV_INT8: HASH_INDICES(int8_t); break;
    case QV_UINT8: HASH_INDICES(uint8_t); break;
    case QV_INT16: HASH_INDICES(int16_t); break;
    case QV_UINT16: HASH_INDICES(uint16_t); break;
    case QV_INT32: HASH_INDICES(int32_t); break;
    case QV_UINT32: HASH_INDICES(uint32_t); break;
    case QV_UINT64: HASH_INDICES(uint64_t); break;
    default: HASH_INDICES(int64_t); break;
  }
  scratch_free(dh, dlen);
  return st;
}

/* Lists: each row folds its elements' hashes, starting from h(length).
 * offs(i) is the child position of the list at row i (width w). */
static qv_status hash_list(const qv_array *a, int64_t off, int64_t n, uint64_t *out, int depth,
                           qv_error *err) {
  const qv_data_type *t = a->type;
  const qv_array *child = a->children[0];
  int64_t first, last, size = 0;
  const int32_t *o32 = NULL;
  const int64_t *o64 = NULL;
  if (t->id == QV_FIXED_SIZE_LIST) {
    size = t->list_size;
    first = off * size;
    last = (off + n) * size;
  } else if (t->id == QV_LARGE_LIST) {
    o64 = (const int64_t *)qv__array_data(a, 1) + off;
    first = n ? o64[0] : 0;
    last = n ? o64[n] : 0;
  } else {
    o32 = (const int32_t *)qv__array_data(a, 1) + off;
    first = n ? o32[0] : 0;
    last = n ? o32[n] : 0;
  }
  int64_t count = last - first;
  uint64_t *eh;
  QV_RETURN_NOT_OK(scratch_u64(count, &eh, err));
  qv_status st = hash_array(child, first, count, eh, depth + 1, err);
  if (st == QV_OK) {
    for (int64_t i = 0; i < n; i++) {
      int64_t s, e;
      if (o32) s = o32[i], e = o32[i + 1];
      else if (o64) s = o64[i], e = o64[i + 1];
      else s = (off + i) * size, e = s + size;
      uint64_t h = hash_u64((uint64_t)(e - s));
      for (int64_t j = s; j < e; j++) h = combine(h, eh[j - first]);
      out[i] = h;
    }
  }
  scratch_free(eh, count);
  return st;
}

static qv_status hash_struct(const qv_array *a, int64_t off, int64_t n, uint64_t *out, int depth,
                             qv_error *err) {
  int32_t nc = a->n_children;
  uint64_t h0 = hash_u64((uint64_t)nc);
  for (int64_t i = 0; i < n; i++) out[i] = h0;
  if (nc == 0) return QV_OK;
  uint64_t *ch;
  QV_RETURN_NOT_OK(scratch_u64(n, &ch, err));
  qv_status st = QV_OK;
  for (int32_t c = 0; c < nc && st == QV_OK; c++) {
    st = hash_array(a->children[c], off, n, ch, depth + 1, err);
    if (st == QV_OK)
      for (int64_t i = 0; i < n; i++) out[i] = combine(out[i], ch[i]);
  }
  scratch_free(ch, n);
  return st;
}

/* Writes QV_HASH_NULL over the null slots of a. */
static void hash_nulls(const qv_array *a, int64_t start, int64_t n, uint64_t *out) {
  const uint8_t *bits = qv__array_data(a, 0);
  if (!bits || qv__null_count(a) == 0) return;
  int64_t off = a->offset + start;
  for (int64_t w = 0; w * 64 < n; w++) {
    uint64_t valid = qv__bits_load64(bits, off + 64 * w, off + n);
    int64_t m = n - 64 * w < 64 ? n - 64 * w : 64;
    uint64_t all = m == 64 ? ~UINT64_C(0) : (UINT64_C(1) << m) - 1;
    for (uint64_t nulls = ~valid & all; nulls; nulls &= nulls - 1)
      out[64 * w + __builtin_ctzll(nulls)] = QV_HASH_NULL;
  }
}

/* Value hashes of slots [start, start + n) of a (relative to its offset). */
static qv_status hash_array(const qv_array *a, int64_t start, int64_t n, uint64_t *out, int depth,
                            qv_error *err) {
  if (depth > QV_COMPUTE_MAX_DEPTH)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "hash: nesting deeper than %d levels",
                        QV_COMPUTE_MAX_DEPTH);
  if (n == 0) return QV_OK;
  const qv_data_type *t = a->type;
  int64_t off = a->offset + start;
  qv_status st = QV_OK;
  switch (t->id) {
    case QV_NA:
      for (int64_t i = 0; i < n; i++) out[i] = QV_HASH_NULL;
      return QV_OK;
    case QV_BOOL: {
      const uint8_t *bits = qv__array_data(a, 1);
      uint64_t h[2] = {hash_u64(0), hash_u64(1)};
      for (int64_t i = 0; i < n; i++) out[i] = h[qv_bit_get(bits, off + i)];
      break;
    }
    case QV_INT8: HASH_SIGNED(int8_t); break;
    case QV_INT16: HASH_SIGNED(int16_t); break;
    case QV_INT32:
    case QV_DATE32:
    case QV_TIME32:
    case QV_INTERVAL_MONTHS: HASH_SIGNED(int32_t); break;
    case QV_INT64:
    case QV_DATE64:
    case QV_TIME64:
    case QV_TIMESTAMP:
    case QV_DURATION: HASH_SIGNED(int64_t); break;
    case QV_UINT8: HASH_UNSIGNED(uint8_t); break;
    case QV_UINT16: HASH_UNSIGNED(uint16_t); break;
    case QV_UINT32: HASH_UNSIGNED(uint32_t); break;
    case QV_UINT64: HASH_UNSIGNED(uint64_t); break;
    case QV_FLOAT16: {
      const uint16_t *v = (const uint16_t *)qv__array_data(a, 1) + off;
      for (int64_t i = 0; i < n; i++) out[i] = hash_u64(canonical_double_bits(half_to_double(v[i])));
      break;
    }
    case QV_FLOAT32: {
      const float *v = (const float *)qv__array_data(a, 1) + off;
      for (int64_t i = 0; i < n; i++) out[i] = hash_u64(canonical_double_bits((double)v[i]));
      break;
    }
    case QV_FLOAT64: {
      const double *v = (const double *)qv__array_data(a, 1) + off;
      for (int64_t i = 0; i < n; i++) out[i] = hash_u64(canonical_double_bits(v[i]));
      break;
    }
    case QV_BINARY:
    case QV_UTF8: {
      const int32_t *o = (const int32_t *)qv__array_data(a, 1) + off;
      const uint8_t *d = qv__array_data(a, 2);
      for (int64_t i = 0; i < n; i++)
        out[i] = o[i + 1] > o[i] ? hash_bytes(d + o[i], (size_t)(o[i + 1] - o[i])) : hash_bytes("", 0);
      break;
    }
    case QV_LARGE_BINARY:
    case QV_LARGE_UTF8: {
      const int64_t *o = (const int64_t *)qv__array_data(a, 1) + off;
      const uint8_t *d = qv__array_data(a, 2);
      for (int64_t i = 0; i < n; i++)
        out[i] = o[i + 1] > o[i] ? hash_bytes(d + o[i], (size_t)(o[i + 1] - o[i])) : hash_bytes("", 0);
      break;
    }
    case QV_DICTIONARY:
      st = hash_dictionary(a, off, n, out, depth, err);
      break;
    case QV_LIST:
    case QV_LARGE_LIST:
    case QV_MAP:
    case QV_FIXED_SIZE_LIST:
      st = hash_list(a, off, n, out, depth, err);
      break;
    case QV_STRUCT:
      st = hash_struct(a, off, n, out, depth, err);
      break;
    case QV_SPARSE_UNION:
    case QV_DENSE_UNION: {
      char tbuf[128];
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "hash: %s columns are not supported",
                          qv_type_to_string(t, tbuf, sizeof tbuf));
    }
    default: { /* decimals, intervals of two or three fields, fixed_size_binary */
      int64_t w = t->byte_width;
      const uint8_t *d = qv__array_data(a, 1);
      if (!d) {
        for (int64_t i = 0; i < n; i++) out[i] = hash_bytes("", 0);
        break;
      }
      d += off * w;
      for (int64_t i = 0; i < n; i++) out[i] = hash_bytes(d + i * w, (size_t)w);
      break;
    }
  }
  if (st == QV_OK) hash_nulls(a, start, n, out);
  return st;
}

qv_status qv_hash_columns(const qv_array *const *cols, int32_t n_cols, int64_t n_rows,
                          uint64_t *hashes_out, qv_error *err) {
  if (n_rows < 0) return qv_error_set(err, QV_INVALID, "hash: negative row count");
  if (n_cols < 0) return qv_error_set(err, QV_INVALID, "hash: negative column count");
  for (int32_t c = 0; c < n_cols; c++)
    if (!cols[c] || cols[c]->length < n_rows)
      return qv_error_set(err, QV_INVALID, "hash: column %d has %lld slots, fewer than %lld rows",
                          c, cols[c] ? (long long)cols[c]->length : 0LL, (long long)n_rows);
  if (n_rows == 0) return QV_OK;
  if (n_cols == 0) {
    uint64_t h = hash_u64(0);
    for (int64_t i = 0; i < n_rows; i++) hashes_out[i] = h;
    return QV_OK;
  }
  qv_status st = hash_array(cols[0], 0, n_rows, hashes_out, 0, err);
  if (st != QV_OK || n_cols == 1) {
    if (st != QV_OK) qv_error_prefix(err, "column 0");
    return st;
  }
  uint64_t *col;
  QV_RETURN_NOT_OK(scratch_u64(n_rows, &col, err));
  for (int32_t c = 1; c < n_cols && st == QV_OK; c++) {
    st = hash_array(cols[c], 0, n_rows, col, 0, err);
    if (st != QV_OK) {
      qv_error_prefix(err, "column %d", c);
      break;
    }
    for (int64_t i = 0; i < n_rows; i++) hashes_out[i] = combine(hashes_out[i], col[i]);
  }
  scratch_free(col, n_rows);
  return st;
}
