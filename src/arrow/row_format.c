/* The row format (specified in quiver/compute.h): key columns encoded into
 * byte strings that compare with memcmp in SQL order, so that hash tables
 * compare keys and sorts order rows without looking at types.
 *
 * Encoding works a column at a time. A first pass sizes every row (the fixed
 * widths of all columns, plus each variable-length value's escaped length);
 * a prefix sum turns sizes into positions; then each column writes its
 * encodings at a per-row cursor in one loop, branch-free for fixed-width
 * types (nulls are patched afterwards, word by word of the validity bitmap).
 * The cursors are the offsets array itself: after the last column each
 * cursor sits at the start of the next row, so shifting the array by one
 * gives the row offsets without scratch memory. Dictionary columns encode
 * their dictionary's values once and copy the encoding of each row's index.
 *
 * Decoding mirrors this: a cursor per row, one loop per column. */
#include <string.h>

#include "arrow/compute_internal.h"

typedef enum enc_kind {
  ENC_NONE,     /* NA: no bytes */
  ENC_BOOL,
  ENC_INT,      /* signed, width 1/2/4/8 */
  ENC_UINT,     /* unsigned, width 1/2/4/8 */
  ENC_F16,
  ENC_F32,
  ENC_F64,
  ENC_DECIMAL,  /* 16 or 32 bytes */
  ENC_DAY_TIME, /* int32 days, int32 ms */
  ENC_MDN,      /* int32 months, int32 days, int64 ns */
  ENC_BYTES,    /* fixed_size_binary */
  ENC_VAR32,    /* binary/utf8 */
  ENC_VAR64     /* large_binary/large_utf8 */
} enc_kind;

/* How one column is encoded. */
typedef struct col_enc {
  enc_kind kind;
  int32_t width;     /* value bytes of a fixed-width kind; -1 for ENC_VAR* */
  bool dictionary;   /* the column is dictionary-encoded (kind is the values') */
  bool desc;
  uint8_t null_byte; /* 0x00 (nulls first) or 0x02 (nulls last) */
} col_enc;

#define VALID_BYTE 0x01

static qv_status classify(const qv_data_type *t, const qv_sort_options *o, col_enc *ce,
                          qv_error *err) {
  memset(ce, 0, sizeof *ce);
  ce->desc = o && o->descending;
  ce->null_byte = o && o->nulls_first ? 0x00 : 0x02;
  if (t->id == QV_DICTIONARY) {
    ce->dictionary = true;
    t = t->dict_value;
  }
  ce->width = t->byte_width;
  switch (t->id) {
    case QV_NA: ce->kind = ENC_NONE; ce->width = 0; break;
    case QV_BOOL: ce->kind = ENC_BOOL; ce->width = 1; break;
    case QV_INT8: case QV_INT16: case QV_INT32: case QV_INT64:
    case QV_DATE32: case QV_DATE64: case QV_TIME32: case QV_TIME64:
    case QV_TIMESTAMP: case QV_DURATION: case QV_INTERVAL_MONTHS:
      ce->kind = ENC_INT;
      break;
    case QV_UINT8: case QV_UINT16: case QV_UINT32: case QV_UINT64: ce->kind = ENC_UINT; break;
    case QV_FLOAT16: ce->kind = ENC_F16; break;
    case QV_FLOAT32: ce->kind = ENC_F32; break;
    case QV_FLOAT64: ce->kind = ENC_F64; break;
    case QV_DECIMAL128: case QV_DECIMAL256: ce->kind = ENC_DECIMAL; break;
    case QV_INTERVAL_DAY_TIME: ce->kind = ENC_DAY_TIME; break;
    case QV_INTERVAL_MONTH_DAY_NANO: ce->kind = ENC_MDN; break;
    case QV_FIXED_SIZE_BINARY: ce->kind = ENC_BYTES; break;
    case QV_BINARY: case QV_UTF8: ce->kind = ENC_VAR32; ce->width = -1; break;
    case QV_LARGE_BINARY: case QV_LARGE_UTF8: ce->kind = ENC_VAR64; ce->width = -1; break;
    default: {
      char tbuf[128];
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "row format: %s keys are not supported",
                          qv_type_to_string(t, tbuf, sizeof tbuf));
    }
  }
  if (ce->dictionary && ce->kind == ENC_NONE)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "row format: dictionaries of null values are not supported");
  return QV_OK;
}

/* Bytes of one encoded value of a fixed-width kind (null byte included). */
static inline int64_t fixed_size(const col_enc *ce) {
  return ce->kind == ENC_NONE ? 0 : 1 + ce->width;
}

/* ---- big-endian stores and loads ------------------------------------------ */

static inline void store_be16(uint8_t *p, uint16_t v) {
  v = __builtin_bswap16(v);
  memcpy(p, &v, 2);
}
static inline void store_be32(uint8_t *p, uint32_t v) {
  v = __builtin_bswap32(v);
  memcpy(p, &v, 4);
}
static inline void store_be64(uint8_t *p, uint64_t v) {
  v = __builtin_bswap64(v);
  memcpy(p, &v, 8);
}
static inline uint16_t load_be16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
static inline uint32_t load_be32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
static inline uint64_t load_be64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

/* ---- float total order ------------------------------------------------------ */

/* IEEE bits to an unsigned integer of the same width ordered like the
 * numbers: negative numbers have every bit flipped, the others only the sign
 * bit. -0.0 and NaNs are canonicalised first. */
static inline uint16_t order_f16(uint16_t b) {
  if ((b & 0x7FFF) == 0) b = 0;
  if ((b & 0x7C00) == 0x7C00 && (b & 0x03FF)) b = 0x7E00;
  return (b & 0x8000) ? (uint16_t)~b : (uint16_t)(b | 0x8000);
}
static inline uint32_t order_f32(uint32_t b) {
  if ((b & 0x7FFFFFFF) == 0) b = 0;
  if ((b & 0x7F800000) == 0x7F800000 && (b & 0x007FFFFF)) b = 0x7FC00000;
  return (b & 0x80000000u) ? ~b : b | 0x80000000u;
}
static inline uint64_t order_f64(uint64_t b) {
  const uint64_t sign = UINT64_C(1) << 63;
  if ((b & ~sign) == 0) b = 0;
  if ((b & UINT64_C(0x7FF0000000000000)) == UINT64_C(0x7FF0000000000000) &&
      (b & UINT64_C(0x000FFFFFFFFFFFFF)))
    b = UINT64_C(0x7FF8000000000000);
  return (b & sign) ? ~b : b | sign;
}
/* The inverses (of the ordered form, for decoding). */
static inline uint16_t unorder_f16(uint16_t u) {
  return (u & 0x8000) ? (uint16_t)(u & 0x7FFF) : (uint16_t)~u;
}
static inline uint32_t unorder_f32(uint32_t u) {
  return (u & 0x80000000u) ? u & 0x7FFFFFFFu : ~u;
}
static inline uint64_t unorder_f64(uint64_t u) {
  const uint64_t sign = UINT64_C(1) << 63;
  return (u & sign) ? u & ~sign : ~u;
}

/* ---- encoding: fixed-width values ------------------------------------------ */

/* Writes each row's null byte and value at its cursor and advances it;
 * VALUE(i) computes the ordered unsigned value of slot i, XOR the descending
 * mask. Null rows are patched by patch_nulls. */
#define ENCODE_FIXED(T, UT, STORE, VALUE)                                  \
  do {                                                                     \
    const T *v = (const T *)qv__array_data(a, 1) + off;                    \
    for (int64_t i = 0; i < n; i++) {                                      \
      uint8_t *p = D + cur[i];                                             \
      p[0] = VALID_BYTE;                                                   \
      STORE(p + 1, (UT)(VALUE));                                           \
      cur[i] += 1 + (int64_t)sizeof(T);                                    \
    }                                                                      \
  } while (0)

static inline void store_8(uint8_t *p, uint8_t v) { p[0] = v; }
static inline uint8_t load_8(const uint8_t *p) { return p[0]; }

/* Rewrites the encodings of a's null slots (which the value loop wrote as
 * values): the null byte and zeros. Each cursor already points past it. */
static void patch_nulls(const qv_array *a, int64_t off, int64_t n, const col_enc *ce, uint8_t *D,
                        const int64_t *cur) {
  const uint8_t *bits = qv__array_data(a, 0);
  if (!bits || qv__null_count(a) == 0) return;
  int64_t size = fixed_size(ce);
  for (int64_t w = 0; w * 64 < n; w++) {
    uint64_t valid = qv__bits_load64(bits, off + 64 * w, off + n);
    int64_t m = n - 64 * w < 64 ? n - 64 * w : 64;
    uint64_t all = m == 64 ? ~UINT64_C(0) : (UINT64_C(1) << m) - 1;
    for (uint64_t nulls = ~valid & all; nulls; nulls &= nulls - 1) {
      uint8_t *p = D + cur[64 * w + __builtin_ctzll(nulls)] - size;
      p[0] = ce->null_byte;
      memset(p + 1, 0, (size_t)ce->width);
    }
  }
}

/* Encodes slots [off, off + n) of a plain (not dictionary) fixed-width
 * column at the cursors. */
static void encode_fixed(const qv_array *a, int64_t off, int64_t n, const col_enc *ce, uint8_t *D,
                         int64_t *cur) {
  const uint64_t m64 = ce->desc ? ~UINT64_C(0) : 0;
  const uint32_t m32 = (uint32_t)m64;
  const uint16_t m16 = (uint16_t)m64;
  const uint8_t m8 = (uint8_t)m64;
  switch (ce->kind) {
    case ENC_NONE: return;
    case ENC_BOOL: {
      const uint8_t *bits = qv__array_data(a, 1);
      for (int64_t i = 0; i < n; i++) {
        uint8_t *p = D + cur[i];
        p[0] = VALID_BYTE;
        p[1] = (uint8_t)(qv_bit_get(bits, off + i) ^ m8);
        cur[i] += 2;
      }
      break;
    }
    case ENC_INT:
      switch (ce->width) {
        case 1: ENCODE_FIXED(int8_t, uint8_t, store_8, ((uint8_t)v[i] ^ 0x80u) ^ m8); break;
        case 2: ENCODE_FIXED(int16_t, uint16_t, store_be16, ((uint16_t)v[i] ^ 0x8000u) ^ m16); break;
        case 4:
          ENCODE_FIXED(int32_t, uint32_t, store_be32, ((uint32_t)v[i] ^ 0x80000000u) ^ m32);
          break;
        default:
          ENCODE_FIXED(int64_t, uint64_t, store_be64, ((uint64_t)v[i] ^ (UINT64_C(1) << 63)) ^ m64);
          break;
      }
      break;
    case ENC_UINT:
      switch (ce->width) {
        case 1: ENCODE_FIXED(uint8_t, uint8_t, store_8, v[i] ^ m8); break;
        case 2: ENCODE_FIXED(uint16_t, uint16_t, store_be16, v[i] ^ m16); break;
        case 4: ENCODE_FIXED(uint32_t, uint32_t, store_be32, v[i] ^ m32); break;
        default: ENCODE_FIXED(uint64_t, uint64_t, store_be64, v[i] ^ m64); break;
      }
      break;
    case ENC_F16: ENCODE_FIXED(uint16_t, uint16_t, store_be16, order_f16(v[i]) ^ m16); break;
    case ENC_F32: ENCODE_FIXED(uint32_t, uint32_t, store_be32, order_f32(v[i]) ^ m32); break;
    case ENC_F64: ENCODE_FIXED(uint64_t, uint64_t, store_be64, order_f64(v[i]) ^ m64); break;
    case ENC_DECIMAL: {
      /* Little-endian 64-bit words, most significant last: stored from the
       * last word down, the sign bit of the top word flipped. */
      int32_t words = ce->width / 8;
      const uint8_t *src = qv__array_data(a, 1) + off * ce->width;
      for (int64_t i = 0; i < n; i++) {
        uint8_t *p = D + cur[i];
        const uint8_t *s = src + i * ce->width;
        p[0] = VALID_BYTE;
        for (int32_t k = 0; k < words; k++) {
          uint64_t wd;
          memcpy(&wd, s + 8 * (words - 1 - k), 8);
          if (k == 0) wd ^= UINT64_C(1) << 63;
          store_be64(p + 1 + 8 * k, wd ^ m64);
        }
        cur[i] += 1 + ce->width;
      }
      break;
    }
    case ENC_DAY_TIME:
    case ENC_MDN: {
      const uint8_t *src = qv__array_data(a, 1) + off * ce->width;
      for (int64_t i = 0; i < n; i++) {
        uint8_t *p = D + cur[i];
        const uint8_t *s = src + i * ce->width;
        int32_t f0, f1;
        memcpy(&f0, s, 4);
        memcpy(&f1, s + 4, 4);
        p[0] = VALID_BYTE;
        store_be32(p + 1, ((uint32_t)f0 ^ 0x80000000u) ^ m32);
        store_be32(p + 5, ((uint32_t)f1 ^ 0x80000000u) ^ m32);
        if (ce->kind == ENC_MDN) {
          int64_t f2;
          memcpy(&f2, s + 8, 8);
          store_be64(p + 9, ((uint64_t)f2 ^ (UINT64_C(1) << 63)) ^ m64);
        }
        cur[i] += 1 + ce->width;
      }
      break;
    }
    case ENC_BYTES: {
      int64_t w = ce->width;
      const uint8_t *src = qv__array_data(a, 1);
      for (int64_t i = 0; i < n; i++) {
        uint8_t *p = D + cur[i];
        p[0] = VALID_BYTE;
        if (w) memcpy(p + 1, src + (off + i) * w, (size_t)w);
        if (m8)
          for (int64_t k = 0; k < w; k++) p[1 + k] = (uint8_t)~p[1 + k];
        cur[i] += 1 + w;
      }
      break;
    }
    default: return;
  }
  patch_nulls(a, off, n, ce, D, cur);
}

/* ---- encoding: variable-length values --------------------------------------- */

/* The first byte c in p[0..n), or NULL; short ranges are scanned inline,
 * where a memchr call would cost more than the scan. */
static inline const uint8_t *find_byte(const uint8_t *p, uint8_t c, int64_t n) {
  if (n > 16) return memchr(p, c, (size_t)n);
  for (int64_t i = 0; i < n; i++)
    if (p[i] == c) return p + i;
  return NULL;
}

/* The number of 0x00 bytes in p[0..n). */
static inline int64_t count_zeros(const uint8_t *p, int64_t n) {
  int64_t z = 0;
  const uint8_t *end = p + n;
  while (p < end && (p = find_byte(p, 0, end - p)) != NULL) z++, p++;
  return z;
}

/* The offset of slot i of a binary-like array (width w). */
static inline int64_t var_offset(const uint8_t *offs, int32_t w, int64_t i) {
  return w == 4 ? ((const int32_t *)offs)[i] : ((const int64_t *)offs)[i];
}

/* Adds each row's encoded length of a variable-length column to sizes. */
static void size_var(const qv_array *a, int64_t off, int64_t n, const col_enc *ce,
                     int64_t *sizes) {
  int32_t w = ce->kind == ENC_VAR32 ? 4 : 8;
  const uint8_t *offs = qv__array_data(a, 1);
  const uint8_t *data = qv__array_data(a, 2);
  const uint8_t *bits = qv__null_count(a) ? qv__array_data(a, 0) : NULL;
  for (int64_t i = 0; i < n; i++) {
    if (bits && !qv_bit_get(bits, off + i)) {
      sizes[i] += 1;
      continue;
    }
    int64_t s = var_offset(offs, w, off + i), len = var_offset(offs, w, off + i + 1) - s;
    sizes[i] += 1 + len + (len ? count_zeros(data + s, len) : 0) + 2;
  }
}

/* Writes the escaped bytes of one value and its terminator at p (after the
 * null byte); returns the bytes written. */
static inline int64_t escape_value(uint8_t *p, const uint8_t *s, int64_t len, bool desc) {
  int64_t o = 0;
  const uint8_t *end = s + len;
  while (s < end) {
    const uint8_t *z = find_byte(s, 0, end - s);
    int64_t run = (z ? z : end) - s;
    qv__copy_small(p + o, s, run);
    o += run;
    s += run;
    if (z) {
      p[o++] = 0x00;
      p[o++] = 0xFF;
      s++;
    }
  }
  p[o++] = 0x00;
  p[o++] = 0x00;
  if (desc)
    for (int64_t k = 0; k < o; k++) p[k] = (uint8_t)~p[k];
  return o;
}

static void encode_var(const qv_array *a, int64_t off, int64_t n, const col_enc *ce, uint8_t *D,
                       int64_t *cur) {
  int32_t w = ce->kind == ENC_VAR32 ? 4 : 8;
  const uint8_t *offs = qv__array_data(a, 1);
  const uint8_t *data = qv__array_data(a, 2);
  const uint8_t *bits = qv__null_count(a) ? qv__array_data(a, 0) : NULL;
  for (int64_t i = 0; i < n; i++) {
    uint8_t *p = D + cur[i];
    if (bits && !qv_bit_get(bits, off + i)) {
      p[0] = ce->null_byte;
      cur[i] += 1;
      continue;
    }
    int64_t s = var_offset(offs, w, off + i), len = var_offset(offs, w, off + i + 1) - s;
    p[0] = VALID_BYTE;
    cur[i] += 1 + escape_value(p + 1, len ? data + s : p, len, ce->desc);
  }
}

/* ---- encoding: dictionaries ------------------------------------------------- */

/* A dictionary's values encoded once: entry k is at bytes[offs[k]..offs[k+1]). */
typedef struct dict_enc {
  qv_bytes bytes;
  int64_t *offs;
  int64_t n; /* entries */
} dict_enc;

static void dict_enc_reset(dict_enc *de) {
  qv_bytes_reset(&de->bytes);
  if (de->offs) qv_free(de->bytes.alloc, de->offs, (de->n + 1) * 8);
  de->offs = NULL;
}

static qv_status encode_rows(const qv_array *const *cols, const col_enc *ces, int32_t n_cols,
                             int64_t n_rows, qv_bytes *data, int64_t *offsets, qv_error *err);

static qv_status dict_enc_init(dict_enc *de, const qv_array *dict, const col_enc *ce,
                               qv_error *err) {
  qv_allocator *alloc = qv_default_allocator();
  qv_bytes_init(&de->bytes, alloc);
  de->n = dict->length;
  de->offs = qv_alloc(alloc, (de->n + 1) * 8);
  if (!de->offs) return qv_error_set(err, QV_NOMEM, "row format: cannot encode a dictionary");
  col_enc plain = *ce;
  plain.dictionary = false;
  return encode_rows(&dict, &plain, 1, de->n, &de->bytes, de->offs, err);
}

/* Reads dictionary index i as int64 (out-of-range values only under nulls). */
static inline int64_t dict_index(const uint8_t *p, qv_type_id id, int64_t i) {
  switch (id) {
    case QV_INT8: return ((const int8_t *)p)[i];
    case QV_UINT8: return p[i];
    case QV_INT16: return ((const int16_t *)p)[i];
    case QV_UINT16: return ((const uint16_t *)p)[i];
    case QV_INT32: return ((const int32_t *)p)[i];
    case QV_UINT32: return ((const uint32_t *)p)[i];
    default: return ((const int64_t *)p)[i];
  }
}

/* The index of a dictionary slot that is valid, or -1 for a null slot. */
static inline int64_t dict_slot(const qv_array *a, const uint8_t *bits, int64_t off, int64_t i,
                                int64_t n_entries) {
  if (bits && !qv_bit_get(bits, off + i)) return -1;
  int64_t k = dict_index(qv__array_data(a, 1), a->type->dict_index->id, off + i);
  return k >= 0 && k < n_entries ? k : -1;
}

static void size_dict(const qv_array *a, int64_t off, int64_t n, const dict_enc *de,
                      int64_t *sizes) {
  const uint8_t *bits = qv__null_count(a) ? qv__array_data(a, 0) : NULL;
  for (int64_t i = 0; i < n; i++) {
    int64_t k = dict_slot(a, bits, off, i, de->n);
    sizes[i] += k < 0 ? 1 : de->offs[k + 1] - de->offs[k];
  }
}

static void encode_dict(const qv_array *a, int64_t off, int64_t n, const col_enc *ce,
                        const dict_enc *de, uint8_t *D, int64_t *cur) {
  const uint8_t *bits = qv__null_count(a) ? qv__array_data(a, 0) : NULL;
  int64_t null_size = ce->width < 0 ? 1 : fixed_size(ce);
  for (int64_t i = 0; i < n; i++) {
    uint8_t *p = D + cur[i];
    int64_t k = dict_slot(a, bits, off, i, de->n);
    if (k < 0) {
      p[0] = ce->null_byte;
      if (null_size > 1) memset(p + 1, 0, (size_t)(null_size - 1));
      cur[i] += null_size;
    } else {
      int64_t len = de->offs[k + 1] - de->offs[k];
      memcpy(p, de->bytes.data + de->offs[k], (size_t)len);
      cur[i] += len;
    }
  }
}

/* ---- encoding: rows ------------------------------------------------------------ */

static qv_status encode_rows(const qv_array *const *cols, const col_enc *ces, int32_t n_cols,
                             int64_t n_rows, qv_bytes *data, int64_t *offsets, qv_error *err) {
  int64_t base = data->size;
  qv_status st = QV_OK;
  dict_enc small[4];
  dict_enc *dicts = small;
  int64_t dicts_bytes = 0;
  if (n_cols > 4) {
    dicts_bytes = (int64_t)n_cols * (int64_t)sizeof *dicts;
    dicts = qv_alloc_zeroed(qv_default_allocator(), dicts_bytes);
    if (!dicts) return qv_error_set(err, QV_NOMEM, "row format: out of memory");
  } else {
    memset(small, 0, sizeof small);
  }
  /* Sizes: offsets[1 + r] = size of row r. */
  int64_t fixed = 0;
  for (int32_t c = 0; c < n_cols; c++)
    if (ces[c].width >= 0) fixed += fixed_size(&ces[c]);
  int64_t *sizes = offsets + 1;
  for (int64_t r = 0; r < n_rows; r++) sizes[r] = fixed;
  for (int32_t c = 0; c < n_cols && st == QV_OK; c++) {
    const qv_array *a = cols[c];
    if (ces[c].dictionary) {
      st = dict_enc_init(&dicts[c], a->dictionary, &ces[c], err);
      if (st == QV_OK && ces[c].width < 0) size_dict(a, a->offset, n_rows, &dicts[c], sizes);
    } else if (ces[c].width < 0) {
      size_var(a, a->offset, n_rows, &ces[c], sizes);
    }
  }
  /* Positions; then each column writes at the cursors offsets[0..n_rows). */
  int64_t total = 0;
  if (st == QV_OK) {
    int64_t pos = base;
    for (int64_t r = 0; r < n_rows; r++) {
      int64_t size = sizes[r];
      offsets[r] = pos;
      pos += size;
    }
    total = pos - base;
    offsets[n_rows] = pos;
    st = qv_bytes_reserve(data, total, err);
  }
  if (st == QV_OK) {
    uint8_t *D = data->data;
    int64_t *cur = offsets;
    for (int32_t c = 0; c < n_cols; c++) {
      const qv_array *a = cols[c];
      if (ces[c].dictionary) encode_dict(a, a->offset, n_rows, &ces[c], &dicts[c], D, cur);
      else if (ces[c].width < 0) encode_var(a, a->offset, n_rows, &ces[c], D, cur);
      else encode_fixed(a, a->offset, n_rows, &ces[c], D, cur);
    }
    /* cur[r] is now the end of row r = the start of row r + 1. */
    if (n_rows) memmove(offsets + 1, offsets, (size_t)n_rows * sizeof *offsets);
    offsets[0] = base;
    data->size = base + total;
  }
  for (int32_t c = 0; c < n_cols; c++)
    if (ces[c].dictionary) dict_enc_reset(&dicts[c]);
  if (dicts != small) qv_free(qv_default_allocator(), dicts, dicts_bytes);
  return st;
}

qv_status qv_row_encode(const qv_array *const *cols, const qv_sort_options *opts, int32_t n_cols,
                        int64_t n_rows, qv_bytes *data, int64_t *offsets, qv_error *err) {
  if (n_rows < 0 || n_cols < 0)
    return qv_error_set(err, QV_INVALID, "row format: %lld rows of %d columns", (long long)n_rows,
                        n_cols);
  col_enc small[8];
  col_enc *ces = small;
  int64_t ces_bytes = 0;
  if (n_cols > 8) {
    ces_bytes = (int64_t)n_cols * (int64_t)sizeof *ces;
    ces = qv_alloc(qv_default_allocator(), ces_bytes);
    if (!ces) return qv_error_set(err, QV_NOMEM, "row format: out of memory");
  }
  qv_status st = QV_OK;
  for (int32_t c = 0; c < n_cols && st == QV_OK; c++) {
    if (!cols[c] || cols[c]->length < n_rows) {
      st = qv_error_set(err, QV_INVALID, "row format: column %d has %lld slots, fewer than %lld rows",
                        c, cols[c] ? (long long)cols[c]->length : 0LL, (long long)n_rows);
      break;
    }
    st = classify(cols[c]->type, opts ? &opts[c] : NULL, &ces[c], err);
    if (st != QV_OK) qv_error_prefix(err, "column %d", c);
  }
  if (st == QV_OK) st = encode_rows(cols, ces, n_cols, n_rows, data, offsets, err);
  if (ces != small) qv_free(qv_default_allocator(), ces, ces_bytes);
  return st;
}

/* ---- decoding ----------------------------------------------------------------- */

/* The validity bitmap of one column from each row's null byte (at the
 * cursors), eight rows per output byte; returns the null count. */
static int64_t decode_validity(const uint8_t *data, const int64_t *cur, int64_t n, uint8_t *bits) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    unsigned byte = 0;
    for (int j = 0; j < 8; j++) byte |= (unsigned)(data[cur[i + j]] == VALID_BYTE) << j;
    bits[i >> 3] = (uint8_t)byte;
  }
  if (i < n) {
    unsigned byte = 0;
    for (int j = 0; i + j < n; j++) byte |= (unsigned)(data[cur[i + j]] == VALID_BYTE) << j;
    bits[i >> 3] = (uint8_t)byte;
  }
  return n - qv_bitmap_count_set(bits, 0, n);
}

#define DECODE_FIXED(T, UT, LOAD, VALUE)                                   \
  do {                                                                     \
    T *v = (T *)d;                                                         \
    for (int64_t i = 0; i < n; i++) {                                      \
      const uint8_t *p = data + cur[i];                                    \
      UT u = (UT)(LOAD(p + 1));                                            \
      v[i] = (T)(VALUE);                                                   \
      cur[i] += 1 + (int64_t)sizeof(T);                                    \
    }                                                                      \
  } while (0)

/* Decodes a fixed-width column into d (n * width bytes; for bool a bitmap). */
static void decode_fixed(const col_enc *ce, const uint8_t *data, int64_t *cur, int64_t n,
                         uint8_t *d) {
  const uint64_t m64 = ce->desc ? ~UINT64_C(0) : 0;
  const uint32_t m32 = (uint32_t)m64;
  const uint16_t m16 = (uint16_t)m64;
  const uint8_t m8 = (uint8_t)m64;
  switch (ce->kind) {
    case ENC_BOOL:
      for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = data + cur[i];
        if ((p[1] ^ m8) & 1) qv_bit_set(d, i);
        else qv_bit_clear(d, i);
        cur[i] += 2;
      }
      break;
    case ENC_INT:
      switch (ce->width) {
        case 1: DECODE_FIXED(int8_t, uint8_t, load_8, (uint8_t)((u ^ m8) ^ 0x80u)); break;
        case 2: DECODE_FIXED(int16_t, uint16_t, load_be16, (uint16_t)((u ^ m16) ^ 0x8000u)); break;
        case 4: DECODE_FIXED(int32_t, uint32_t, load_be32, (u ^ m32) ^ 0x80000000u); break;
        default: DECODE_FIXED(int64_t, uint64_t, load_be64, (u ^ m64) ^ (UINT64_C(1) << 63)); break;
      }
      break;
    case ENC_UINT:
      switch (ce->width) {
        case 1: DECODE_FIXED(uint8_t, uint8_t, load_8, u ^ m8); break;
        case 2: DECODE_FIXED(uint16_t, uint16_t, load_be16, u ^ m16); break;
        case 4: DECODE_FIXED(uint32_t, uint32_t, load_be32, u ^ m32); break;
        default: DECODE_FIXED(uint64_t, uint64_t, load_be64, u ^ m64); break;
      }
      break;
    case ENC_F16: DECODE_FIXED(uint16_t, uint16_t, load_be16, unorder_f16((uint16_t)(u ^ m16))); break;
    case ENC_F32: DECODE_FIXED(uint32_t, uint32_t, load_be32, unorder_f32(u ^ m32)); break;
    case ENC_F64: DECODE_FIXED(uint64_t, uint64_t, load_be64, unorder_f64(u ^ m64)); break;
    case ENC_DECIMAL: {
      int32_t words = ce->width / 8;
      for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = data + cur[i];
        uint8_t *o = d + i * ce->width;
        for (int32_t k = 0; k < words; k++) {
          uint64_t wd = load_be64(p + 1 + 8 * k) ^ m64;
          if (k == 0) wd ^= UINT64_C(1) << 63;
          memcpy(o + 8 * (words - 1 - k), &wd, 8);
        }
        cur[i] += 1 + ce->width;
      }
      break;
    }
    case ENC_DAY_TIME:
    case ENC_MDN:
      for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = data + cur[i];
        uint8_t *o = d + i * ce->width;
        uint32_t f0 = (load_be32(p + 1) ^ m32) ^ 0x80000000u;
        uint32_t f1 = (load_be32(p + 5) ^ m32) ^ 0x80000000u;
        memcpy(o, &f0, 4);
        memcpy(o + 4, &f1, 4);
        if (ce->kind == ENC_MDN) {
          uint64_t f2 = (load_be64(p + 9) ^ m64) ^ (UINT64_C(1) << 63);
          memcpy(o + 8, &f2, 8);
        }
        cur[i] += 1 + ce->width;
      }
      break;
    case ENC_BYTES: {
      int64_t w = ce->width;
      for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = data + cur[i];
        for (int64_t k = 0; k < w; k++) d[i * w + k] = p[1 + k] ^ m8;
        cur[i] += 1 + w;
      }
      break;
    }
    default: break;
  }
}

/* The first byte c at or after p; the bytes are trusted to hold one (every
 * encoded value ends with a terminator). Short values are scanned inline. */
static inline const uint8_t *find_trusted(const uint8_t *p, uint8_t c) {
  for (int i = 0; i < 16; i++)
    if (p[i] == c) return p + i;
  return rawmemchr(p + 16, c);
}

/* Unescapes one variable-length value at p (after its null byte) into out;
 * returns the encoded bytes consumed (terminator included). */
static qv_status unescape_value(const uint8_t *p, bool desc, qv_bytes *out, int64_t *consumed,
                                qv_error *err) {
  const uint8_t zero = desc ? 0xFF : 0x00, esc = desc ? 0x00 : 0xFF;
  const uint8_t *s = p;
  for (;;) {
    const uint8_t *z = find_trusted(s, zero);
    int64_t run = z - s;
    if (out->size + run + 1 > out->capacity) QV_RETURN_NOT_OK(qv_bytes_reserve(out, run + 1, err));
    uint8_t *o = out->data + out->size;
    if (desc)
      for (int64_t k = 0; k < run; k++) o[k] = (uint8_t)~s[k];
    else
      qv__copy_small(o, s, run);
    out->size += run;
    s = z + 2;
    if (z[1] != esc) break; /* the terminator */
    out->data[out->size++] = 0x00;
  }
  *consumed = s - p;
  return QV_OK;
}

static qv_status decode_var(const col_enc *ce, const uint8_t *data, int64_t *cur, int64_t n,
                            const uint8_t *valid, qv_allocator *alloc, qv_buffer **offsets_out,
                            qv_buffer **data_out, qv_error *err) {
  int32_t w = ce->kind == ENC_VAR32 ? 4 : 8;
  uint8_t *o;
  QV_RETURN_NOT_OK(qv__new_buffer(alloc, (n + 1) * w, offsets_out, &o, err));
  qv_bytes bytes;
  qv_bytes_init(&bytes, alloc);
  qv_status st = QV_OK;
  if (w == 4) ((int32_t *)o)[0] = 0;
  else ((int64_t *)o)[0] = 0;
  for (int64_t i = 0; i < n && st == QV_OK; i++) {
    int64_t used = 0;
    if (qv_bit_get(valid, i)) st = unescape_value(data + cur[i] + 1, ce->desc, &bytes, &used, err);
    cur[i] += 1 + used;
    if (w == 4) {
      if (bytes.size > INT32_MAX)
        st = qv_error_set(err, QV_INVALID,
                          "row format: more than 2^31-1 bytes of values for 32-bit offsets");
      ((int32_t *)o)[i + 1] = (int32_t)bytes.size;
    } else {
      ((int64_t *)o)[i + 1] = bytes.size;
    }
  }
  if (st == QV_OK) st = qv_bytes_finish(&bytes, data_out, err);
  qv_bytes_reset(&bytes);
  return st;
}

/* Decodes one column (plain, in the kind's type) from the cursors. */
static qv_status decode_column(qv_allocator *alloc, qv_data_type *t, const col_enc *ce,
                               const uint8_t *data, int64_t *cur, int64_t n, qv_array **out,
                               qv_error *err) {
  *out = NULL;
  if (ce->kind == ENC_NONE)
    return qv_array_create(t, n, 0, n, NULL, 0, NULL, 0, NULL, out, err);
  qv_buffer *bufs[3] = {NULL, NULL, NULL};
  qv_buffer *validity = NULL;
  uint8_t *valid_bits;
  int64_t null_count = 0;
  qv_status st = qv__new_buffer(alloc, (n + 7) / 8, &validity, &valid_bits, err);
  if (st == QV_OK) {
    null_count = decode_validity(data, cur, n, valid_bits);
    if (ce->width < 0) {
      st = decode_var(ce, data, cur, n, valid_bits, alloc, &bufs[1], &bufs[2], err);
    } else {
      uint8_t *d;
      int64_t bytes = ce->kind == ENC_BOOL ? (n + 7) / 8 : n * ce->width;
      st = qv__new_buffer(alloc, bytes, &bufs[1], &d, err);
      if (st == QV_OK) decode_fixed(ce, data, cur, n, d);
    }
  }
  if (st == QV_OK) {
    bufs[0] = null_count ? validity : NULL;
    st = qv_array_create(t, n, 0, null_count, bufs, qv_type_num_buffers(t->id), NULL, 0, NULL,
                         out, err);
  }
  qv_buffer_unref(validity);
  qv_buffer_unref(bufs[1]);
  qv_buffer_unref(bufs[2]);
  return st;
}

/* The largest index an integer type holds. */
static int64_t index_max(qv_type_id id) {
  switch (id) {
    case QV_INT8: return INT8_MAX;
    case QV_UINT8: return UINT8_MAX;
    case QV_INT16: return INT16_MAX;
    case QV_UINT16: return UINT16_MAX;
    case QV_INT32: return INT32_MAX;
    case QV_UINT32: return UINT32_MAX;
    default: return INT64_MAX;
  }
}

/* Wraps decoded values as a dictionary array of type t: indices 0..n-1,
 * null where the value is null. */
static qv_status wrap_dictionary(qv_allocator *alloc, qv_data_type *t, qv_array *values,
                                 qv_array **out, qv_error *err) {
  int64_t n = values->length;
  if (n - 1 > index_max(t->dict_index->id)) {
    char tbuf[128];
    return qv_error_set(err, QV_INVALID, "row format: %lld rows do not fit %s dictionary indices",
                        (long long)n, qv_type_to_string(t->dict_index, tbuf, sizeof tbuf));
  }
  int32_t w = t->dict_index->byte_width;
  qv_buffer *bufs[2] = {qv_buffer_ref(values->buffers[0]), NULL};
  uint8_t *d;
  qv_status st = qv__new_buffer(alloc, n * w, &bufs[1], &d, err);
  if (st == QV_OK) {
    for (int64_t i = 0; i < n; i++) {
      switch (w) {
        case 1: d[i] = (uint8_t)i; break;
        case 2: ((uint16_t *)d)[i] = (uint16_t)i; break;
        case 4: ((uint32_t *)d)[i] = (uint32_t)i; break;
        default: ((uint64_t *)d)[i] = (uint64_t)i; break;
      }
    }
    st = qv_array_create(t, n, 0, qv_array_null_count(values), bufs, 2, NULL, 0, values, out, err);
  }
  qv_buffer_unref(bufs[0]);
  qv_buffer_unref(bufs[1]);
  return st;
}

qv_status qv_row_decode(qv_allocator *alloc, qv_data_type *const *types,
                        const qv_sort_options *opts, int32_t n_cols, const uint8_t *data,
                        const int64_t *row_starts, int64_t n_rows, qv_array **out,
                        qv_error *err) {
  if (!alloc) alloc = qv_default_allocator();
  for (int32_t c = 0; c < n_cols; c++) out[c] = NULL;
  if (n_rows < 0 || n_cols < 0)
    return qv_error_set(err, QV_INVALID, "row format: %lld rows of %d columns", (long long)n_rows,
                        n_cols);
  int64_t cur_bytes = (n_rows ? n_rows : 1) * 8;
  int64_t *cur = qv_alloc(alloc, cur_bytes);
  if (!cur) return qv_error_set(err, QV_NOMEM, "row format: cannot allocate %lld cursors", (long long)n_rows);
  if (n_rows) memcpy(cur, row_starts, (size_t)n_rows * 8);
  qv_status st = QV_OK;
  for (int32_t c = 0; c < n_cols && st == QV_OK; c++) {
    col_enc ce;
    st = classify(types[c], opts ? &opts[c] : NULL, &ce, err);
    if (st != QV_OK) break;
    qv_data_type *t = ce.dictionary ? types[c]->dict_value : types[c];
    qv_array *values = NULL;
    st = decode_column(alloc, t, &ce, data, cur, n_rows, &values, err);
    if (st == QV_OK && t != types[c]) {
      st = wrap_dictionary(alloc, types[c], values, &out[c], err);
      qv_array_unref(values);
    } else {
      out[c] = values;
    }
    if (st != QV_OK) qv_error_prefix(err, "column %d", c);
  }
  qv_free(alloc, cur, cur_bytes);
  if (st != QV_OK)
    for (int32_t c = 0; c < n_cols; c++) {
      qv_array_unref(out[c]);
      out[c] = NULL;
    }
  return st;
}
