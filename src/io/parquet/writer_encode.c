/* Value and level encoders of the Parquet writer, from the specification
 * (Encodings.md):
 *
 *  - the RLE / bit-packing hybrid for levels, dictionary indices and v2
 *    booleans: runs of 8 or more equal values become RLE runs (varint
 *    count << 1, then the value in ceil(width / 8) bytes); everything else
 *    is bit-packed LSB first in groups of 8 values (varint groups << 1 | 1,
 *    then width bytes per group). A literal run that a long run interrupts
 *    is first completed to a whole group with values of that run, so that
 *    only the stream's last group is ever padded;
 *  - PLAIN for every physical type, with the conversions Arrow values need
 *    on the way (narrow integers widened, seconds made milliseconds,
 *    decimals cut to INT32/INT64 or turned big-endian); fixed-width values
 *    that need no conversion are copied with one memcpy per run of slots;
 *  - the dictionary: distinct values kept PLAIN-encoded (they are the
 *    dictionary page) with an open-addressing hash table of entry indices,
 *    with specialised loops for 4- and 8-byte values. */
#include <string.h>
#include <xxhash.h>

#include "arrow/internal.h"
#include "io/parquet/writer_internal.h"

int qv__pqw_bit_width(uint64_t max_value) { return max_value ? 64 - __builtin_clzll(max_value) : 0; }

/* ---- RLE / bit-packing hybrid ---------------------------------------------------------- */

static uint8_t *put_varint(uint8_t *o, uint64_t v) {
  while (v >= 0x80) {
    *o++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *o++ = (uint8_t)v;
  return o;
}

/* Packs 8 values of w bits (0..32) into exactly w bytes at o. */
static uint8_t *pack8(const uint32_t *v, int w, uint8_t *o) {
  if (w <= 8) {
    uint64_t acc = 0;
    for (int j = 0; j < 8; j++) acc |= (uint64_t)v[j] << (j * w);
    memcpy(o, &acc, (size_t)w);
    return o + w;
  }
  uint64_t acc = 0;
  int bits = 0;
  for (int j = 0; j < 8; j++) {
    acc |= (uint64_t)v[j] << bits;
    bits += w;
    if (bits >= 32) {
      uint32_t lo = (uint32_t)acc;
      memcpy(o, &lo, 4);
      o += 4;
      acc >>= 32;
      bits -= 32;
    }
  }
  for (; bits > 0; bits -= 8) {
    *o++ = (uint8_t)acc;
    acc >>= 8;
  }
  return o;
}

/* Worst case of an encoding of n values of w bits: every group bit-packed,
 * plus a header for each possible run. */
static int64_t rle_bound(int64_t n, int w) { return (n + 7) / 8 * (w > 0 ? w : 1) + (n / 8 + 2) * 16; }

#define DEFINE_RLE_ENCODER(NAME, T)                                                                  \
  static uint8_t *NAME##_literals(uint8_t *o, const T *v, int64_t n, int w) {                       \
    int64_t groups = (n + 7) / 8;                                                                   \
    o = put_varint(o, (uint64_t)groups << 1 | 1);                                                   \
    uint32_t g[8];                                                                                  \
    for (int64_t k = 0; k < groups; k++) {                                                          \
      int64_t m = n - k * 8 < 8 ? n - k * 8 : 8;                                                    \
      for (int64_t j = 0; j < 8; j++) g[j] = j < m ? v[k * 8 + j] : 0;                              \
      o = pack8(g, w, o);                                                                           \
    }                                                                                               \
    return o;                                                                                       \
  }                                                                                                 \
  qv_status NAME(const T *v, int64_t n, int w, qv_bytes *out, qv_error *err) {                      \
    QV_RETURN_NOT_OK(qv_bytes_reserve(out, rle_bound(n, w), err));                                  \
    uint8_t *o = out->data + out->size;                                                             \
    int vbytes = (w + 7) / 8;                                                                       \
    int64_t i = 0, lit = 0; /* pending literals are v[lit, i) */                                    \
    while (i < n) {                                                                                 \
      T x = v[i];                                                                                   \
      int64_t j = i + 1;                                                                            \
      while (j < n && v[j] == x) j++;                                                               \
      int64_t run = j - i;                                                                          \
      if (run >= 8) {                                                                               \
        int64_t pad = (8 - ((i - lit) & 7)) & 7; /* completes the last literal group */            \
        if (run - pad < 8) {                                                                        \
          i = j; /* too short once the group is completed: literals too */                          \
          continue;                                                                                 \
        }                                                                                           \
        i += pad;                                                                                   \
        if (i > lit) o = NAME##_literals(o, v + lit, i - lit, w);                                   \
        o = put_varint(o, (uint64_t)(j - i) << 1);                                                  \
        uint32_t xv = (uint32_t)x;                                                                  \
        for (int b = 0; b < vbytes; b++) *o++ = (uint8_t)(xv >> (8 * b));                           \
        lit = j;                                                                                    \
      }                                                                                             \
      i = j;                                                                                        \
    }                                                                                               \
    if (n > lit) o = NAME##_literals(o, v + lit, n - lit, w);                                       \
    out->size = o - out->data;                                                                      \
    return QV_OK;                                                                                   \
  }

DEFINE_RLE_ENCODER(qv__pqw_rle_encode_u8, uint8_t)
DEFINE_RLE_ENCODER(qv__pqw_rle_encode_u32, uint32_t)

/* ---- conversions to physical values ------------------------------------------------------- */

/* Converts n Arrow values at src (leaf->src_width bytes each) into n
 * physical values at dst (leaf->width bytes each). Not for COPY, BOOL,
 * binary or null leaves. */
static void convert(const qv_pqw_leaf *leaf, const uint8_t *src, int64_t n, uint8_t *dst) {
  int32_t *d32 = (int32_t *)(void *)dst;
  int64_t *d64 = (int64_t *)(void *)dst;
  switch (leaf->conv) {
    case QV_PQW_CONV_I8:
      for (int64_t i = 0; i < n; i++) d32[i] = ((const int8_t *)src)[i];
      break;
    case QV_PQW_CONV_U8:
      for (int64_t i = 0; i < n; i++) d32[i] = src[i];
      break;
    case QV_PQW_CONV_I16:
      for (int64_t i = 0; i < n; i++) {
        int16_t v;
        memcpy(&v, src + 2 * i, 2);
        d32[i] = v;
      }
      break;
    case QV_PQW_CONV_U16:
      for (int64_t i = 0; i < n; i++) {
        uint16_t v;
        memcpy(&v, src + 2 * i, 2);
        d32[i] = v;
      }
      break;
    case QV_PQW_CONV_DATE64:
      for (int64_t i = 0; i < n; i++) {
        int64_t ms;
        memcpy(&ms, src + 8 * i, 8);
        int64_t days = ms / 86400000;
        if (ms % 86400000 < 0) days--; /* floor: dates before 1970 */
        d32[i] = (int32_t)days;
      }
      break;
    case QV_PQW_CONV_X1000_I32:
      for (int64_t i = 0; i < n; i++) {
        int32_t v;
        memcpy(&v, src + 4 * i, 4);
        d32[i] = (int32_t)((uint32_t)v * 1000u);
      }
      break;
    case QV_PQW_CONV_X1000_I64:
      for (int64_t i = 0; i < n; i++) {
        int64_t v;
        memcpy(&v, src + 8 * i, 8);
        d64[i] = (int64_t)((uint64_t)v * 1000u);
      }
      break;
    case QV_PQW_CONV_DEC_I32: {
      int32_t sw = leaf->src_width;
      for (int64_t i = 0; i < n; i++) memcpy(dst + 4 * i, src + sw * i, 4); /* the low bytes */
      break;
    }
    case QV_PQW_CONV_DEC_I64: {
      int32_t sw = leaf->src_width;
      for (int64_t i = 0; i < n; i++) memcpy(dst + 8 * i, src + sw * i, 8);
      break;
    }
    case QV_PQW_CONV_DEC_FLBA: {
      /* Little-endian two's complement, cut to the low w bytes, big-endian. */
      int32_t sw = leaf->src_width, w = leaf->width;
      for (int64_t i = 0; i < n; i++) {
        const uint8_t *s = src + sw * i;
        uint8_t *o = dst + w * i;
        for (int32_t b = 0; b < w; b++) o[b] = s[w - 1 - b];
      }
      break;
    }
    default: break;
  }
}

qv_status qv__pqw_physical(const qv_pqw_leaf *leaf, const qv_array *values, int64_t start, int64_t n, qv_bytes *out,
                           const uint8_t **data, qv_error *err) {
  const uint8_t *src = qv__array_data(values, 1) + start * leaf->src_width;
  out->size = 0;
  if (leaf->conv == QV_PQW_CONV_COPY) {
    *data = src;
    return QV_OK;
  }
  QV_RETURN_NOT_OK(qv_bytes_reserve(out, n * leaf->width, err));
  convert(leaf, src, n, out->data);
  out->size = n * leaf->width;
  *data = out->data;
  return QV_OK;
}

/* ---- PLAIN ------------------------------------------------------------------------------ */

/* Appends n bits of src from bit s at bit d of dst, whose bits from d on
 * are zero. */
static void append_bits(uint8_t *dst, int64_t d, const uint8_t *src, int64_t s, int64_t n) {
  while (n > 0) {
    int64_t m = n < 56 ? n : 56;
    uint64_t v = qv__pqw_load_bits(src, s, m) << (d & 7);
    uint8_t *p = dst + (d >> 3);
    int64_t nbytes = ((d & 7) + m + 7) >> 3;
    for (int64_t j = 0; j < nbytes; j++) p[j] |= (uint8_t)(v >> (8 * j));
    d += m;
    s += m;
    n -= m;
  }
}

static qv_status value_too_large(const qv_pqw_leaf *leaf, int64_t len, qv_error *err) {
  return qv_error_set(err, QV_INVALID, "parquet: column '%s': a value of %lld bytes exceeds Parquet's 2 GiB limit",
                      leaf->path, (long long)len);
}

#define DEFINE_PLAIN_BINARY(NAME, OFF_T)                                                                    \
  static qv_status NAME(const qv_pqw_leaf *leaf, const qv_array *values, const qv_pqw_run *runs,           \
                        int64_t n_runs, qv_bytes *out, qv_error *err) {                                    \
    const OFF_T *off = (const OFF_T *)(const void *)qv__array_data(values, 1);                             \
    const uint8_t *data = qv__array_data(values, 2);                                                       \
    int64_t need = 0;                                                                                      \
    for (int64_t r = 0; r < n_runs; r++)                                                                   \
      need += (int64_t)(off[runs[r].start + runs[r].length] - off[runs[r].start]) + 4 * runs[r].length;   \
    QV_RETURN_NOT_OK(qv_bytes_reserve(out, need, err));                                                    \
    uint8_t *o = out->data + out->size;                                                                    \
    for (int64_t r = 0; r < n_runs; r++) {                                                                 \
      for (int64_t i = runs[r].start, end = i + runs[r].length; i < end; i++) {                            \
        int64_t len = (int64_t)(off[i + 1] - off[i]);                                                      \
        if (len > INT32_MAX) return value_too_large(leaf, len, err);                                       \
        uint32_t l32 = (uint32_t)len;                                                                      \
        memcpy(o, &l32, 4);                                                                                \
        memcpy(o + 4, data + off[i], (size_t)len);                                                         \
        o += 4 + len;                                                                                      \
      }                                                                                                    \
    }                                                                                                      \
    out->size = o - out->data;                                                                             \
    return QV_OK;                                                                                          \
  }

DEFINE_PLAIN_BINARY(plain_binary32, int32_t)
DEFINE_PLAIN_BINARY(plain_binary64, int64_t)

qv_status qv__pqw_plain_append(const qv_pqw_leaf *leaf, const qv_array *values, const qv_pqw_run *runs,
                               int64_t n_runs, qv_bytes *out, int64_t *nbits, qv_error *err) {
  switch (leaf->conv) {
    case QV_PQW_CONV_NULL: return QV_OK;
    case QV_PQW_CONV_BINARY: return plain_binary32(leaf, values, runs, n_runs, out, err);
    case QV_PQW_CONV_LARGE_BINARY: return plain_binary64(leaf, values, runs, n_runs, out, err);
    case QV_PQW_CONV_BOOL: {
      int64_t total = 0;
      for (int64_t r = 0; r < n_runs; r++) total += runs[r].length;
      int64_t need = (*nbits + total + 7) / 8;
      if (need > out->size) {
        QV_RETURN_NOT_OK(qv_bytes_reserve(out, need - out->size, err));
        memset(out->data + out->size, 0, (size_t)(need - out->size));
        out->size = need;
      }
      const uint8_t *src = qv__array_data(values, 1);
      for (int64_t r = 0; r < n_runs; r++) {
        append_bits(out->data, *nbits, src, runs[r].start, runs[r].length);
        *nbits += runs[r].length;
      }
      return QV_OK;
    }
    default: {
      int64_t total = 0;
      for (int64_t r = 0; r < n_runs; r++) total += runs[r].length;
      int32_t w = leaf->width, sw = leaf->src_width;
      QV_RETURN_NOT_OK(qv_bytes_reserve(out, total * w, err));
      const uint8_t *src = qv__array_data(values, 1);
      uint8_t *o = out->data + out->size;
      if (leaf->conv == QV_PQW_CONV_COPY) {
        for (int64_t r = 0; r < n_runs; r++) {
          memcpy(o, src + runs[r].start * sw, (size_t)(runs[r].length * w));
          o += runs[r].length * w;
        }
      } else {
        for (int64_t r = 0; r < n_runs; r++) {
          convert(leaf, src + runs[r].start * sw, runs[r].length, o);
          o += runs[r].length * w;
        }
      }
      out->size = o - out->data;
      return QV_OK;
    }
  }
}

/* ---- dictionary ---------------------------------------------------------------------------- */

void qv__pqw_dict_init(qv_pqw_dict *d, qv_allocator *alloc, int32_t width) {
  memset(d, 0, sizeof *d);
  d->alloc = alloc;
  d->width = width;
  qv_bytes_init(&d->plain, alloc);
  qv_bytes_init(&d->starts, alloc);
}

void qv__pqw_dict_clear(qv_pqw_dict *d) {
  d->plain.size = 0;
  d->starts.size = 0;
  d->count = 0;
  if (d->table) memset(d->table, 0, (size_t)d->capacity * sizeof *d->table);
}

void qv__pqw_dict_reset(qv_pqw_dict *d) {
  qv_bytes_reset(&d->plain);
  qv_bytes_reset(&d->starts);
  qv_free(d->alloc, d->table, d->capacity * (int64_t)sizeof *d->table);
  d->table = NULL;
  d->capacity = 0;
  d->count = 0;
}

static inline uint32_t hash_u64(uint64_t x) { return (uint32_t)((x * 0x9E3779B97F4A7C15ull) >> 32); }

/* Makes room for one more entry at a load factor of at most 1/2. */
static qv_status dict_grow(qv_pqw_dict *d, qv_error *err) {
  if ((d->count + 1) * 2 <= d->capacity) return QV_OK;
  if (d->count >= INT32_MAX - 1)
    return qv_error_set(err, QV_INVALID, "parquet: a dictionary of more than 2^31 entries");
  int64_t cap = d->capacity ? d->capacity * 2 : 1024;
  uint64_t *t = qv_alloc_zeroed(d->alloc, cap * (int64_t)sizeof *t);
  if (!t) return qv_error_set(err, QV_NOMEM, "parquet: out of memory growing a dictionary");
  uint64_t mask = (uint64_t)cap - 1;
  for (int64_t i = 0; i < d->capacity; i++) {
    uint64_t s = d->table[i];
    if (!s) continue;
    uint64_t j = (s >> 32) & mask;
    while (t[j]) j = (j + 1) & mask;
    t[j] = s;
  }
  qv_free(d->alloc, d->table, d->capacity * (int64_t)sizeof *d->table);
  d->table = t;
  d->capacity = cap;
  return QV_OK;
}

/* The probing loop of one value: KEY_EQ(entry) compares the stored entry
 * with the value, INSERT appends it to d->plain (and d->starts). */
#define DICT_LOOKUP(h, KEY_EQ, INSERT, result)                                                 \
  do {                                                                                         \
    uint64_t mask_ = (uint64_t)d->capacity - 1, j_ = (h) & mask_;                              \
    for (;;) {                                                                                 \
      uint64_t s_ = d->table[j_];                                                              \
      if (!s_) {                                                                               \
        QV_RETURN_NOT_OK(dict_grow(d, err));                                                   \
        INSERT;                                                                                \
        uint64_t m2_ = (uint64_t)d->capacity - 1, k_ = (h) & m2_;                              \
        while (d->table[k_]) k_ = (k_ + 1) & m2_;                                              \
        d->table[k_] = (uint64_t)(h) << 32 | (uint64_t)(d->count + 1);                         \
        (result) = (uint32_t)d->count++;                                                       \
        break;                                                                                 \
      }                                                                                        \
      if ((uint32_t)(s_ >> 32) == (h)) {                                                       \
        int64_t e_ = (int64_t)(uint32_t)s_ - 1;                                                \
        if (KEY_EQ(e_)) {                                                                      \
          (result) = (uint32_t)e_;                                                             \
          break;                                                                               \
        }                                                                                      \
      }                                                                                        \
      j_ = (j_ + 1) & mask_;                                                                   \
    }                                                                                          \
  } while (0)

qv_status qv__pqw_dict_put_fixed(qv_pqw_dict *d, const uint8_t *values, int64_t n, uint32_t *out, qv_error *err) {
  if (!d->table) QV_RETURN_NOT_OK(dict_grow(d, err));
  int32_t w = d->width;
  if (w == 4) {
    for (int64_t i = 0; i < n; i++) {
      uint32_t v;
      memcpy(&v, values + 4 * i, 4);
      uint32_t h = hash_u64(v);
#define EQ4(e) (memcmp(d->plain.data + (e) * 4, &v, 4) == 0)
#define PUT4 QV_RETURN_NOT_OK(qv_bytes_append(&d->plain, &v, 4, err))
      DICT_LOOKUP(h, EQ4, PUT4, out[i]);
    }
  } else if (w == 8) {
    for (int64_t i = 0; i < n; i++) {
      uint64_t v;
      memcpy(&v, values + 8 * i, 8);
      uint32_t h = hash_u64(v);
#define EQ8(e) (memcmp(d->plain.data + (e) * 8, &v, 8) == 0)
#define PUT8 QV_RETURN_NOT_OK(qv_bytes_append(&d->plain, &v, 8, err))
      DICT_LOOKUP(h, EQ8, PUT8, out[i]);
    }
  } else {
    for (int64_t i = 0; i < n; i++) {
      const uint8_t *v = values + (int64_t)w * i;
      uint32_t h = (uint32_t)XXH3_64bits(v, (size_t)w);
#define EQW(e) (memcmp(d->plain.data + (e) * w, v, (size_t)w) == 0)
#define PUTW QV_RETURN_NOT_OK(qv_bytes_append(&d->plain, v, w, err))
      DICT_LOOKUP(h, EQW, PUTW, out[i]);
    }
  }
  return QV_OK;
}

/* Whether entry e of a BYTE_ARRAY dictionary is the len bytes at v. */
static inline bool binary_equals(const qv_pqw_dict *d, int64_t e, const uint8_t *v, int64_t len) {
  int64_t at;
  uint32_t elen;
  memcpy(&at, d->starts.data + e * 8, 8);
  memcpy(&elen, d->plain.data + at - 4, 4);
  return elen == (uint32_t)len && memcmp(d->plain.data + at, v, (size_t)len) == 0;
}

qv_status qv__pqw_dict_put_binary(qv_pqw_dict *d, const void *offsets, bool large, const uint8_t *data,
                                  int64_t start, int64_t n, uint32_t *out, qv_error *err) {
  if (!d->table) QV_RETURN_NOT_OK(dict_grow(d, err));
  const int32_t *o32 = offsets;
  const int64_t *o64 = offsets;
  for (int64_t i = start; i < start + n; i++) {
    int64_t s = large ? o64[i] : o32[i];
    int64_t len = (large ? o64[i + 1] : o32[i + 1]) - s;
    if (len > INT32_MAX)
      return qv_error_set(err, QV_INVALID, "parquet: a value of %lld bytes exceeds Parquet's 2 GiB limit",
                          (long long)len);
    const uint8_t *v = data + s;
    uint32_t h = (uint32_t)XXH3_64bits(v, (size_t)len);
#define EQB(e) binary_equals(d, (e), v, len)
#define PUTB                                                                                   \
  do {                                                                                         \
    uint32_t l32_ = (uint32_t)len;                                                             \
    int64_t at_ = d->plain.size + 4;                                                           \
    QV_RETURN_NOT_OK(qv_bytes_reserve(&d->plain, 4 + len, err));                               \
    QV_RETURN_NOT_OK(qv_bytes_append(&d->starts, &at_, 8, err));                               \
    memcpy(d->plain.data + d->plain.size, &l32_, 4);                                           \
    memcpy(d->plain.data + d->plain.size + 4, v, (size_t)len);                                 \
    d->plain.size += 4 + len;                                                                  \
  } while (0)
    DICT_LOOKUP(h, EQB, PUTB, out[i - start]);
  }
  return QV_OK;
}
