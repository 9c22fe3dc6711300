/* Boolean kernels: AND and OR with SQL three-valued (Kleene) logic, NOT,
 * and IS [NOT] NULL. They work on whole bitmaps, eight rows a byte, with no
 * per-row branch. For AND a row is known when both sides are known, or when
 * either side is a known FALSE (FALSE AND NULL = FALSE); OR dually with TRUE:
 *   valid(AND) = (lv & rv) | (lv & ~l) | (rv & ~r),  value = l & r
 *   valid(OR)  = (lv & rv) | (lv & l)  | (rv & r),   value = l | r
 * Bits under null slots may hold anything; the formulas never let them
 * decide a valid result. */
#include <string.h>

#include "expr/expr_internal.h"

#define CHUNK_BYTES 64

/* Bytes of a datum's value (values) or validity bitmap for rows [row,
 * row + n), realigned to bit 0; a scalar repeats its row 0. */
static void datum_bits(const qv_datum *d, bool values, int64_t row, int64_t n, uint8_t *dst) {
  const qv_array *a = d->array;
  int64_t nbytes = (n + 7) / 8;
  if (a->type->id == QV_NA) {
    memset(dst, 0, (size_t)nbytes);
    return;
  }
  const uint8_t *bits = qv__array_data(a, values ? 1 : 0);
  if (d->scalar) {
    bool set = !bits || qv_bit_get(bits, a->offset);
    memset(dst, set ? 0xff : 0, (size_t)nbytes);
    return;
  }
  qv__bitmap_align(dst, bits, a->offset + row, n);
}

qv_status qv__kernel_logic(qv_eval_ctx *ctx, qv_binary_op op, const qv_datum *l, const qv_datum *r, qv_datum *out,
                           qv_error *err) {
  out->array = NULL;
  out->scalar = l->scalar && r->scalar;
  int64_t n = out->scalar ? 1 : ctx->n_rows;
  int64_t nbytes = (n + 7) / 8;
  qv_buffer *validity = NULL, *vals = NULL;
  QV_RETURN_NOT_OK(qv__buffer_new(ctx->alloc, nbytes, &validity, err));
  qv_status st = qv__buffer_new(ctx->alloc, nbytes, &vals, err);
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    return st;
  }
  uint8_t lv[CHUNK_BYTES], lb[CHUNK_BYTES], rv[CHUNK_BYTES], rb[CHUNK_BYTES];
  bool is_and = op == QV_OP_AND;
  for (int64_t j = 0; j < nbytes; j += CHUNK_BYTES) {
    int64_t row = j * 8;
    int64_t rows = n - row < CHUNK_BYTES * 8 ? n - row : CHUNK_BYTES * 8;
    int64_t cb = (rows + 7) / 8;
    datum_bits(l, false, row, rows, lv);
    datum_bits(l, true, row, rows, lb);
    datum_bits(r, false, row, rows, rv);
    datum_bits(r, true, row, rows, rb);
    uint8_t *ov = validity->data + j, *ob = vals->data + j;
    if (is_and) {
      for (int64_t k = 0; k < cb; k++) {
        unsigned a = lb[k], b = rb[k], va = lv[k], vb = rv[k];
        ov[k] = (uint8_t)((va & vb) | (va & ~a) | (vb & ~b));
        ob[k] = (uint8_t)(a & b);
      }
    } else {
      for (int64_t k = 0; k < cb; k++) {
        unsigned a = lb[k], b = rb[k], va = lv[k], vb = rv[k];
        ov[k] = (uint8_t)((va & vb) | (va & a) | (vb & b));
        ob[k] = (uint8_t)(a | b);
      }
    }
  }
  if (n & 7) validity->data[nbytes - 1] &= (uint8_t)((1u << (n & 7)) - 1);
  int64_t nulls = n - qv_bitmap_count_set(validity->data, 0, n);
  if (nulls == 0) {
    qv_buffer_unref(validity);
    validity = NULL;
  }
  return qv__array_from_buffers(qv_type_primitive(QV_BOOL), n, validity, nulls, vals, &out->array, err);
}

qv_status qv__kernel_not(qv_eval_ctx *ctx, const qv_datum *in, qv_datum *out, qv_error *err) {
  out->array = NULL;
  out->scalar = in->scalar;
  qv_array *a = in->array;
  int64_t n = a->length, nbytes = (n + 7) / 8;
  if (a->type->id == QV_NA) return qv_array_make_nulls(ctx->alloc, qv_type_primitive(QV_BOOL), n, &out->array, err);
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  QV_RETURN_NOT_OK(qv__validity_of(ctx->alloc, a, &validity, &nulls, err));
  qv_status st = qv__buffer_new(ctx->alloc, nbytes, &vals, err);
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    return st;
  }
  qv__bitmap_align(vals->data, qv__array_data(a, 1), a->offset, n);
  for (int64_t j = 0; j < nbytes; j++) vals->data[j] = (uint8_t)~vals->data[j];
  if (n & 7) vals->data[nbytes - 1] &= (uint8_t)((1u << (n & 7)) - 1);
  return qv__array_from_buffers(qv_type_primitive(QV_BOOL), n, validity, nulls, vals, &out->array, err);
}

qv_status qv__kernel_is_null(qv_eval_ctx *ctx, const qv_datum *in, bool negated, qv_datum *out, qv_error *err) {
  out->array = NULL;
  out->scalar = in->scalar;
  qv_array *a = in->array;
  qv_array *decoded = NULL;
  /* A dictionary row is null when its index or its value is. */
  if (a->type->id == QV_DICTIONARY && qv_array_null_count(a->dictionary) > 0) {
    QV_RETURN_NOT_OK(qv__dictionary_decode(ctx->alloc, a, &decoded, err));
    a = decoded;
  }
  int64_t n = a->length, nbytes = (n + 7) / 8;
  qv_buffer *vals = NULL;
  qv_status st = qv__buffer_new(ctx->alloc, nbytes, &vals, err);
  if (st == QV_OK) {
    if (a->type->id == QV_NA) memset(vals->data, 0, (size_t)nbytes);
    else qv__bitmap_align(vals->data, qv_array_null_count(a) ? qv__array_data(a, 0) : NULL, a->offset, n);
    /* vals now holds validity: IS NOT NULL as is, IS NULL inverted. */
    if (!negated)
      for (int64_t j = 0; j < nbytes; j++) vals->data[j] = (uint8_t)~vals->data[j];
    if (n & 7) vals->data[nbytes - 1] &= (uint8_t)((1u << (n & 7)) - 1);
    st = qv__array_from_buffers(qv_type_primitive(QV_BOOL), n, NULL, 0, vals, &out->array, err);
  }
  qv_array_unref(decoded);
  return st;
}

bool qv__datum_all_equal(const qv_datum *d, int64_t n, bool value) {
  qv_array *a = d->array;
  if (a->type->id != QV_BOOL) return false;
  if (d->scalar) return qv_array_is_valid(a, 0) && qv_bit_get(qv__array_data(a, 1), a->offset) == value;
  if (a->length != n || qv_array_null_count(a) != 0) return false;
  int64_t set = qv_bitmap_count_set(qv__array_data(a, 1), a->offset, n);
  return set == (value ? n : 0);
}
