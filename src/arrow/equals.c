/* Value equality of arrays: same type and length, same validity, and equal
 * values in every valid slot. Bytes under null slots and physical offsets do
 * not matter, so a sliced array equals a compact copy of the same values. */
#include <string.h>

#include "arrow/internal.h"

static bool range_equals(const qv_array *a, int64_t ai, const qv_array *b, int64_t bi, int64_t n);

static int64_t offset_at(const qv_array *x, int64_t i, bool large) {
  const uint8_t *p = qv__array_data(x, 1);
  return large ? ((const int64_t *)p)[x->offset + i] : ((const int32_t *)p)[x->offset + i];
}

static int32_t union_child(const qv_data_type *t, int8_t code) {
  for (int32_t c = 0; c < t->n_children; c++)
    if (t->type_codes[c] == code) return c;
  return -1;
}

/* Compares slot ai of a with slot bi of b; both valid, same type. */
static bool slot_equals(const qv_array *a, int64_t ai, const qv_array *b, int64_t bi) {
  const qv_data_type *t = a->type;
  switch (t->id) {
    case QV_BOOL:
      return qv_bit_get(qv__array_data(a, 1), a->offset + ai) == qv_bit_get(qv__array_data(b, 1), b->offset + bi);
    case QV_BINARY: case QV_UTF8: case QV_LARGE_BINARY: case QV_LARGE_UTF8: {
      bool large = t->id == QV_LARGE_BINARY || t->id == QV_LARGE_UTF8;
      int64_t as = offset_at(a, ai, large), ae = offset_at(a, ai + 1, large);
      int64_t bs = offset_at(b, bi, large), be = offset_at(b, bi + 1, large);
      return ae - as == be - bs &&
             (ae == as || memcmp(qv__array_data(a, 2) + as, qv__array_data(b, 2) + bs, (size_t)(ae - as)) == 0);
    }
    case QV_LIST: case QV_LARGE_LIST: case QV_MAP: {
      bool large = t->id == QV_LARGE_LIST;
      int64_t as = offset_at(a, ai, large), ae = offset_at(a, ai + 1, large);
      int64_t bs = offset_at(b, bi, large), be = offset_at(b, bi + 1, large);
      return ae - as == be - bs && range_equals(a->children[0], as, b->children[0], bs, ae - as);
    }
    case QV_FIXED_SIZE_LIST: {
      int64_t k = t->list_size;
      return range_equals(a->children[0], (a->offset + ai) * k, b->children[0], (b->offset + bi) * k, k);
    }
    case QV_STRUCT:
      for (int32_t c = 0; c < t->n_children; c++)
        if (!range_equals(a->children[c], a->offset + ai, b->children[c], b->offset + bi, 1)) return false;
      return true;
    case QV_SPARSE_UNION: case QV_DENSE_UNION: {
      int8_t ac = ((const int8_t *)qv__array_data(a, 0))[a->offset + ai];
      int8_t bc = ((const int8_t *)qv__array_data(b, 0))[b->offset + bi];
      int32_t c = union_child(t, ac);
      if (ac != bc || c < 0) return false;
      int64_t ax = a->offset + ai, bx = b->offset + bi;
      if (t->id == QV_DENSE_UNION) {
        ax = ((const int32_t *)qv__array_data(a, 1))[ax];
        bx = ((const int32_t *)qv__array_data(b, 1))[bx];
      }
      return range_equals(a->children[c], ax, b->children[c], bx, 1);
    }
    case QV_DICTIONARY: {
      int64_t ax = a->offset + ai, bx = b->offset + bi, ak = 0, bk = 0;
      const uint8_t *ap = qv__array_data(a, 1), *bp = qv__array_data(b, 1);
      switch (t->dict_index->id) {
        case QV_INT8: ak = ((const int8_t *)ap)[ax]; bk = ((const int8_t *)bp)[bx]; break;
        case QV_UINT8: ak = ap[ax]; bk = bp[bx]; break;
        case QV_INT16: ak = ((const int16_t *)ap)[ax]; bk = ((const int16_t *)bp)[bx]; break;
        case QV_UINT16: ak = ((const uint16_t *)ap)[ax]; bk = ((const uint16_t *)bp)[bx]; break;
        case QV_INT32: ak = ((const int32_t *)ap)[ax]; bk = ((const int32_t *)bp)[bx]; break;
        case QV_UINT32: ak = ((const uint32_t *)ap)[ax]; bk = ((const uint32_t *)bp)[bx]; break;
        default: ak = ((const int64_t *)ap)[ax]; bk = ((const int64_t *)bp)[bx]; break;
      }
      return range_equals(a->dictionary, ak, b->dictionary, bk, 1);
    }
    default: {
      int64_t w = t->byte_width;
      return memcmp(qv__array_data(a, 1) + (a->offset + ai) * w, qv__array_data(b, 1) + (b->offset + bi) * w,
                    (size_t)w) == 0;
    }
  }
}

static bool is_fixed_width(qv_type_id id) {
  return id != QV_BOOL && id != QV_NA && id != QV_DICTIONARY && !qv_type_is_binary_like(id) && !qv_type_is_nested(id);
}

static bool range_equals(const qv_array *a, int64_t ai, const qv_array *b, int64_t bi, int64_t n) {
  if (a->type->id == QV_NA) return true;
  bool no_nulls = !a->buffers[0] && !b->buffers[0];
  /* Fast path: fixed-width data without validity bitmaps compares as bytes. */
  if (no_nulls && is_fixed_width(a->type->id)) {
    int64_t w = a->type->byte_width;
    return n == 0 || memcmp(qv__array_data(a, 1) + (a->offset + ai) * w, qv__array_data(b, 1) + (b->offset + bi) * w,
                            (size_t)(n * w)) == 0;
  }
  bool unions = a->type->id == QV_SPARSE_UNION || a->type->id == QV_DENSE_UNION;
  for (int64_t i = 0; i < n; i++) {
    if (!unions) {
      bool av = qv_array_is_valid(a, ai + i), bv = qv_array_is_valid(b, bi + i);
      if (av != bv) return false;
      if (!av) continue;
    }
    if (!slot_equals(a, ai + i, b, bi + i)) return false;
  }
  return true;
}

bool qv_array_equals(const qv_array *a, const qv_array *b) {
  if (a == b) return true;
  if (!a || !b || a->length != b->length || !qv_type_equals(a->type, b->type)) return false;
  return range_equals(a, 0, b, 0, a->length);
}
