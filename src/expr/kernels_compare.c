/* Comparison kernels (= <> < <= > >=) for numbers, decimals of any scales,
 * strings and binaries (byte-wise), dates, timestamps and booleans.
 *
 * The result is a boolean array whose values are packed eight rows a byte
 * straight from the loop, and whose validity is the AND of the operands'
 * validity bitmaps. A scalar on the left is turned into a scalar on the
 * right by mirroring the operator, so every type has two loop shapes. Floats
 * compare with a total order in which NaN equals NaN and sorts above every
 * number (DuckDB and DataFusion). A dictionary column compared with a scalar
 * is compared once per dictionary value and the answer mapped through the
 * indices, so a low-cardinality string column costs one integer gather. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

static qv_binary_op mirror(qv_binary_op op) {
  switch (op) {
    case QV_OP_LT: return QV_OP_GT;
    case QV_OP_LE: return QV_OP_GE;
    case QV_OP_GT: return QV_OP_LT;
    case QV_OP_GE: return QV_OP_LE;
    default: return op;
  }
}

/* Packs PRED(a, b) for rows [0, n) into out, eight rows a byte. */
#define PACK_LOOP(T, PRED, LOAD_B)                                  \
  for (int64_t i = 0; i < n; i += 8) {                              \
    int64_t m_ = n - i < 8 ? n - i : 8;                             \
    unsigned byte_ = 0;                                             \
    for (int64_t k = 0; k < m_; k++) {                              \
      T a = l[i + k];                                               \
      T b = LOAD_B;                                                 \
      byte_ |= (unsigned)(PRED) << k;                               \
    }                                                               \
    out[i >> 3] = (uint8_t)byte_;                                   \
  }

#define CMP_SWITCH(T, EQ, LT)                                                        \
  switch (op) {                                                                      \
    case QV_OP_EQ: if (rs) { PACK_LOOP(T, EQ(a, b), r[0]) } else { PACK_LOOP(T, EQ(a, b), r[i + k]) } break; \
    case QV_OP_NE: if (rs) { PACK_LOOP(T, !EQ(a, b), r[0]) } else { PACK_LOOP(T, !EQ(a, b), r[i + k]) } break; \
    case QV_OP_LT: if (rs) { PACK_LOOP(T, LT(a, b), r[0]) } else { PACK_LOOP(T, LT(a, b), r[i + k]) } break; \
    case QV_OP_LE: if (rs) { PACK_LOOP(T, !LT(b, a), r[0]) } else { PACK_LOOP(T, !LT(b, a), r[i + k]) } break; \
    case QV_OP_GT: if (rs) { PACK_LOOP(T, LT(b, a), r[0]) } else { PACK_LOOP(T, LT(b, a), r[i + k]) } break; \
    default: if (rs) { PACK_LOOP(T, !LT(a, b), r[0]) } else { PACK_LOOP(T, !LT(a, b), r[i + k]) } break; \
  }

#define EQ_PLAIN(a, b) ((a) == (b))
#define LT_PLAIN(a, b) ((a) < (b))
/* Total order: NaN = NaN, NaN > every number. */
#define EQ_FLOAT(a, b) (((a) == (b)) | ((isnan(a) != 0) & (isnan(b) != 0)))
#define LT_FLOAT(a, b) (((a) < (b)) | ((isnan(a) == 0) & (isnan(b) != 0)))

#define DEFINE_CMP(SUFFIX, T, EQ, LT)                                                                  \
  static void cmp_##SUFFIX(qv_binary_op op, const void *lp, const void *rp, bool rs, uint8_t *out, int64_t n) { \
    const T *l = (const T *)lp;                                                                        \
    const T *r = (const T *)rp;                                                                        \
    CMP_SWITCH(T, EQ, LT)                                                                              \
  }

DEFINE_CMP(i8, int8_t, EQ_PLAIN, LT_PLAIN)
DEFINE_CMP(i16, int16_t, EQ_PLAIN, LT_PLAIN)
DEFINE_CMP(i32, int32_t, EQ_PLAIN, LT_PLAIN)
DEFINE_CMP(i64, int64_t, EQ_PLAIN, LT_PLAIN)
DEFINE_CMP(u8, uint8_t, EQ_PLAIN, LT_PLAIN)
DEFINE_CMP(u16, uint16_t, EQ_PLAIN, LT_PLAIN)
DEFINE_CMP(u32, uint32_t, EQ_PLAIN, LT_PLAIN)
DEFINE_CMP(u64, uint64_t, EQ_PLAIN, LT_PLAIN)
DEFINE_CMP(f32, float, EQ_FLOAT, LT_FLOAT)
DEFINE_CMP(f64, double, EQ_FLOAT, LT_FLOAT)

typedef void (*cmp_fn)(qv_binary_op op, const void *l, const void *r, bool rs, uint8_t *out, int64_t n);

static cmp_fn fixed_kernel(qv_type_id id) {
  switch (id) {
    case QV_INT8: return cmp_i8;
    case QV_INT16: return cmp_i16;
    case QV_INT32: case QV_DATE32: return cmp_i32;
    case QV_INT64: case QV_TIMESTAMP: return cmp_i64;
    case QV_UINT8: return cmp_u8;
    case QV_UINT16: return cmp_u16;
    case QV_UINT32: return cmp_u32;
    case QV_UINT64: return cmp_u64;
    case QV_FLOAT32: return cmp_f32;
    case QV_FLOAT64: return cmp_f64;
    default: return NULL;
  }
}

static bool pred_of(qv_binary_op op, int c) {
  switch (op) {
    case QV_OP_EQ: return c == 0;
    case QV_OP_NE: return c != 0;
    case QV_OP_LT: return c < 0;
    case QV_OP_LE: return c <= 0;
    case QV_OP_GT: return c > 0;
    default: return c >= 0;
  }
}

/* ---- decimals ------------------------------------------------------------------ */

/* Exact three-way comparison of a / 10^s1 and b / 10^s2 without overflow:
 * integer parts first, then fractions at the larger scale. */
static int dec_cmp_exact(qv_i128 a, qv_i128 pa, qv_i128 b, qv_i128 pb, qv_i128 fa_mul, qv_i128 fb_mul) {
  qv_i128 ia = a / pa, ib = b / pb;
  if (ia != ib) return ia < ib ? -1 : 1;
  qv_i128 fa = (a % pa) * fa_mul, fb = (b % pb) * fb_mul;
  return fa < fb ? -1 : fa > fb;
}

static void cmp_decimal(qv_binary_op op, const qv_array *la, const uint8_t *l, const qv_array *ra, const uint8_t *r,
                        bool rs, uint8_t *out, int64_t n) {
  int32_t s1 = la->type->scale, s2 = ra->type->scale;
  int32_t p1 = la->type->precision, p2 = ra->type->precision;
  int32_t s = s1 > s2 ? s1 : s2;
  qv_i128 ml = qv__pow10_i128(s - s1), mr = qv__pow10_i128(s - s2);
  bool safe = p1 + (s - s1) <= 38 && p2 + (s - s2) <= 38;
  qv_i128 pa = qv__pow10_i128(s1), pb = qv__pow10_i128(s2);
  for (int64_t i = 0; i < n; i += 8) {
    int64_t m = n - i < 8 ? n - i : 8;
    unsigned byte = 0;
    for (int64_t k = 0; k < m; k++) {
      qv_i128 a = qv__dec_load(l, i + k), b = qv__dec_load(r, rs ? 0 : i + k);
      int c;
      if (safe) {
        qv_i128 x = a * ml, y = b * mr;
        c = x < y ? -1 : x > y;
      } else {
        c = dec_cmp_exact(a, pa, b, pb, ml, mr);
      }
      byte |= (unsigned)pred_of(op, c) << k;
    }
    out[i >> 3] = (uint8_t)byte;
  }
}

/* ---- strings, booleans ------------------------------------------------------------- */

static inline int bytes_cmp(const uint8_t *a, int64_t la, const uint8_t *b, int64_t lb) {
  int64_t m = la < lb ? la : lb;
  int c = m ? memcmp(a, b, (size_t)m) : 0;
  if (c) return c;
  return la < lb ? -1 : la > lb;
}

static void cmp_strings(qv_binary_op op, const qv_array *la, const qv_array *ra, bool rs, uint8_t *out, int64_t n) {
  qv_str_view lv, rv;
  qv__str_view_init(&lv, la);
  qv__str_view_init(&rv, ra);
  int64_t blen = 0;
  const uint8_t *bscalar = rs ? qv__str_at(&rv, 0, &blen) : NULL;
  bool eq_only = op == QV_OP_EQ || op == QV_OP_NE;
  for (int64_t i = 0; i < n; i += 8) {
    int64_t m = n - i < 8 ? n - i : 8;
    unsigned byte = 0;
    for (int64_t k = 0; k < m; k++) {
      int64_t alen, bl = blen;
      const uint8_t *a = qv__str_at(&lv, i + k, &alen);
      const uint8_t *b = rs ? bscalar : qv__str_at(&rv, i + k, &bl);
      bool p;
      if (eq_only) {
        bool eq = alen == bl && (alen == 0 || memcmp(a, b, (size_t)alen) == 0);
        p = (op == QV_OP_EQ) == eq;
      } else {
        p = pred_of(op, bytes_cmp(a, alen, b, bl));
      }
      byte |= (unsigned)p << k;
    }
    out[i >> 3] = (uint8_t)byte;
  }
}

static void cmp_bools(qv_binary_op op, const qv_array *la, const qv_array *ra, bool rs, uint8_t *out, int64_t n) {
  int64_t nbytes = (n + 7) / 8;
  /* l's bits at offset 0 in out, then combined with r's byte by byte. */
  qv__bitmap_align(out, qv__array_data(la, 1), la->offset, n);
  uint8_t rscalar = rs && qv_bit_get(qv__array_data(ra, 1), ra->offset) ? 0xff : 0;
  uint8_t tmp[64];
  for (int64_t j = 0; j < nbytes; j += 64) {
    int64_t chunk = nbytes - j < 64 ? nbytes - j : 64;
    if (rs) memset(tmp, rscalar, (size_t)chunk);
    else qv__bitmap_align(tmp, qv__array_data(ra, 1), ra->offset + j * 8, (n - j * 8) < chunk * 8 ? n - j * 8 : chunk * 8);
    for (int64_t k = 0; k < chunk; k++) {
      unsigned a = out[j + k], b = tmp[k], v;
      switch (op) {
        case QV_OP_EQ: v = ~(a ^ b); break;
        case QV_OP_NE: v = a ^ b; break;
        case QV_OP_LT: v = ~a & b; break;   /* false < true */
        case QV_OP_LE: v = ~a | b; break;
        case QV_OP_GT: v = a & ~b; break;
        default: v = a | ~b; break;
      }
      out[j + k] = (uint8_t)v;
    }
  }
  if (n & 7) out[nbytes - 1] &= (uint8_t)((1u << (n & 7)) - 1);
}

/* ---- entry point ------------------------------------------------------------------------ */

/* Compares n rows of l with r (r may be a scalar; l is a column unless both
 * are scalars) into a boolean array. */
static qv_status compare_rows(qv_allocator *alloc, qv_binary_op op, const qv_datum *l, const qv_datum *r, int64_t n,
                              qv_array **out, qv_error *err) {
  qv_data_type *bool_t = qv_type_primitive(QV_BOOL);
  if (qv__datum_is_null_scalar(l) || qv__datum_is_null_scalar(r) || l->array->type->id == QV_NA ||
      r->array->type->id == QV_NA)
    return qv_array_make_nulls(alloc, bool_t, n, out, err);
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  QV_RETURN_NOT_OK(qv__validity_and(alloc, l, r, n, &validity, &nulls, err));
  qv_status st = qv__buffer_new(alloc, (n + 7) / 8, &vals, err);
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    return st;
  }
  const qv_array *la = l->array, *ra = r->array;
  qv_type_id id = la->type->id;
  bool rs = r->scalar;
  cmp_fn fn = fixed_kernel(id);
  if (fn) {
    int32_t w = la->type->byte_width;
    fn(op, qv__array_data(la, 1) + la->offset * w, qv__array_data(ra, 1) + ra->offset * w, rs, vals->data, n);
  } else if (id == QV_DECIMAL128 && ra->type->id == QV_DECIMAL128) {
    cmp_decimal(op, la, qv__array_data(la, 1) + la->offset * 16, ra, qv__array_data(ra, 1) + ra->offset * 16, rs,
                vals->data, n);
  } else if (qv_type_is_binary_like(id) && qv_type_is_binary_like(ra->type->id)) {
    cmp_strings(op, la, ra, rs, vals->data, n);
  } else if (id == QV_BOOL && ra->type->id == QV_BOOL) {
    cmp_bools(op, la, ra, rs, vals->data, n);
  } else {
    char a[64], b[64];
    st = qv_error_set(err, QV_INTERNAL, "no comparison kernel for %s and %s", qv_type_to_string(la->type, a, sizeof a),
                      qv_type_to_string(ra->type, b, sizeof b));
  }
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    qv_buffer_unref(vals);
    return st;
  }
  return qv__array_from_buffers(bool_t, n, validity, nulls, vals, out, err);
}

/* Compares a dictionary column with a scalar on the dictionary's values,
 * then gathers the answers by index. */
static qv_status compare_dictionary(qv_eval_ctx *ctx, qv_binary_op op, qv_array *dict, const qv_datum *scalar,
                                    qv_array **out, qv_error *err) {
  qv_datum values = {dict->dictionary, false};
  qv_array *per_value = NULL;
  QV_RETURN_NOT_OK(compare_rows(ctx->alloc, op, &values, scalar, dict->dictionary->length, &per_value, err));
  int64_t *idx = NULL;
  qv_status st = qv__dictionary_indices(dict, &idx, err);
  if (st == QV_OK) st = qv__array_take(ctx->alloc, per_value, idx, dict->length, out, err);
  free(idx);
  qv_array_unref(per_value);
  return st;
}

static qv_status decode_if_dictionary(qv_eval_ctx *ctx, const qv_datum *d, qv_datum *tmp, const qv_datum **use,
                                      qv_error *err) {
  *use = d;
  if (d->array->type->id != QV_DICTIONARY) return QV_OK;
  tmp->scalar = d->scalar;
  QV_RETURN_NOT_OK(qv__dictionary_decode(ctx->alloc, d->array, &tmp->array, err));
  *use = tmp;
  return QV_OK;
}

qv_status qv__kernel_compare(qv_eval_ctx *ctx, qv_binary_op op, const qv_datum *l, const qv_datum *r, qv_datum *out,
                             qv_error *err) {
  out->array = NULL;
  out->scalar = l->scalar && r->scalar;
  /* Keep the column on the left. */
  if (l->scalar && !r->scalar) {
    const qv_datum *t = l;
    l = r;
    r = t;
    op = mirror(op);
  }
  int64_t n = out->scalar ? 1 : ctx->n_rows;
  if (l->array->type->id == QV_DICTIONARY && !l->scalar && r->scalar && r->array->type->id != QV_DICTIONARY)
    return compare_dictionary(ctx, op, l->array, r, &out->array, err);
  qv_datum tl = {0}, tr = {0};
  const qv_datum *ul, *ur;
  qv_status st = decode_if_dictionary(ctx, l, &tl, &ul, err);
  if (st == QV_OK) st = decode_if_dictionary(ctx, r, &tr, &ur, err);
  if (st == QV_OK) st = compare_rows(ctx->alloc, op, ul, ur, n, &out->array, err);
  qv__datum_release(&tl);
  qv__datum_release(&tr);
  return st;
}
