/* Type rules: which types two operands are converted to before a kernel
 * runs, the result types of decimal arithmetic, and which casts exist.
 *
 * Numeric coercion (DuckDB and DataFusion agree on the shape):
 *   - integers of one signedness widen to the larger; a signed and an
 *     unsigned integer become the smallest signed integer holding both
 *     (int64 with uint64: decimal(20, 0));
 *   - an integer and a decimal combine as decimals, the integer becoming
 *     decimal(digits, 0) (int32: 10 digits; an integer literal: the digits
 *     of its value, so "1 - l_discount" stays decimal(16, 2) as in DuckDB);
 *   - anything with a float becomes float64 (float32 with float32, or with
 *     an integer literal, stays float32);
 *   - a literal adapts to the other side: an integer literal to the other
 *     side's integer type when its value fits, a string literal to any type
 *     it can be cast to ("l_shipdate <= '1998-09-02'");
 *   - date32 with timestamp compares as timestamp; timestamps of different
 *     units as the finer unit; utf8 with large_utf8 as large_utf8.
 *
 * Decimal arithmetic result types (the Hive/Spark rule that DataFusion
 * follows), for decimal(p1, s1) op decimal(p2, s2):
 *   +, -  scale max(s1, s2), precision max(p1 - s1, p2 - s2) + max(s1, s2) + 1
 *   *     scale s1 + s2,     precision p1 + p2 + 1
 *   /     scale max(6, s1 + p2 + 1), precision p1 - s1 + s2 + scale
 *   %     scale max(s1, s2), precision min(p1 - s1, p2 - s2) + max(s1, s2)
 * When the precision exceeds 38 it becomes 38 and the scale shrinks to
 * max(38 - integer digits, min(scale, 6)), keeping the integer digits; a
 * value that does not fit the result type at run time is a QV_OUT_OF_RANGE
 * error. (DuckDB differs only in division, which it does in double.) */
#include <string.h>

#include "expr/expr_internal.h"

bool qv__type_is_numeric(qv_type_id id) {
  return qv_type_is_integer(id) || id == QV_FLOAT32 || id == QV_FLOAT64 || id == QV_DECIMAL128;
}

bool qv__type_is_string(qv_type_id id) { return id == QV_UTF8 || id == QV_LARGE_UTF8; }

bool qv__type_is_temporal(qv_type_id id) { return id == QV_DATE32 || id == QV_TIMESTAMP; }

qv_data_type *qv__type_logical(qv_data_type *t) {
  return t && t->id == QV_DICTIONARY ? t->dict_value : t;
}

int32_t qv__integer_digits(qv_type_id id) {
  switch (id) {
    case QV_INT8: case QV_UINT8: return 3;
    case QV_INT16: case QV_UINT16: return 5;
    case QV_INT32: case QV_UINT32: return 10;
    case QV_INT64: return 19;
    case QV_UINT64: return 20;
    default: return 0;
  }
}

const char *qv__binary_op_symbol(qv_binary_op op) {
  static const char *const symbols[] = {"+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">=", "AND", "OR"};
  return (unsigned)op < sizeof symbols / sizeof symbols[0] ? symbols[op] : "?";
}

/* ---- integer helpers ----------------------------------------------------------- */

static int int_bits(qv_type_id id) {
  switch (id) {
    case QV_INT8: case QV_UINT8: return 8;
    case QV_INT16: case QV_UINT16: return 16;
    case QV_INT32: case QV_UINT32: return 32;
    default: return 64;
  }
}

static qv_type_id signed_of_bits(int bits) {
  return bits <= 8 ? QV_INT8 : bits <= 16 ? QV_INT16 : bits <= 32 ? QV_INT32 : QV_INT64;
}

/* The value of a non-null integer literal as a 128-bit integer. */
static bool literal_integer(const qv_array *lit, qv_i128 *v) {
  if (!lit || lit->length != 1 || !qv_type_is_integer(lit->type->id) || !qv_array_is_valid(lit, 0)) return false;
  const uint8_t *p = qv__array_data(lit, 1);
  int64_t o = lit->offset;
  switch (lit->type->id) {
    case QV_INT8: *v = ((const int8_t *)p)[o]; break;
    case QV_INT16: *v = ((const int16_t *)p)[o]; break;
    case QV_INT32: *v = ((const int32_t *)p)[o]; break;
    case QV_INT64: *v = ((const int64_t *)p)[o]; break;
    case QV_UINT8: *v = ((const uint8_t *)p)[o]; break;
    case QV_UINT16: *v = ((const uint16_t *)p)[o]; break;
    case QV_UINT32: *v = ((const uint32_t *)p)[o]; break;
    default: *v = ((const uint64_t *)p)[o]; break;
  }
  return true;
}

static bool integer_fits(qv_i128 v, qv_type_id id) {
  int bits = int_bits(id);
  if (qv_type_is_signed_integer(id)) {
    qv_i128 lim = (qv_i128)1 << (bits - 1);
    return v >= -lim && v < lim;
  }
  return v >= 0 && v < ((qv_i128)1 << bits);
}

static int32_t digits_of(qv_i128 v) {
  if (v < 0) v = -v;
  int32_t d = 1;
  while (v >= 10 && d < 39) {
    v /= 10;
    d++;
  }
  return d;
}

int32_t qv__literal_digits(const qv_array *lit) {
  qv_i128 v;
  return literal_integer(lit, &v) ? digits_of(v) : 0;
}

static qv_data_type *make_decimal(int32_t p, int32_t s) {
  if (p > 38) p = 38;
  if (p < 1) p = 1;
  if (s > p) s = p;
  qv_data_type *t = NULL;
  if (qv_type_decimal(QV_DECIMAL128, p, s, &t, NULL) != QV_OK) return NULL;
  return t;
}

/* The decimal an integer side becomes next to a decimal. */
static void integer_as_decimal(qv_data_type *t, const qv_array *lit, int32_t *p, int32_t *s) {
  qv_i128 v;
  *p = literal_integer(lit, &v) ? digits_of(v) : qv__integer_digits(t->id);
  *s = 0;
}

static qv_data_type *common_integer(qv_type_id a, qv_type_id b) {
  bool sa = qv_type_is_signed_integer(a), sb = qv_type_is_signed_integer(b);
  int ba = int_bits(a), bb = int_bits(b);
  if (sa == sb) return qv_type_primitive(ba >= bb ? a : b);
  /* Mixed signedness: a signed type one step wider than the unsigned side. */
  int ub = sa ? bb : ba, sbits = sa ? ba : bb;
  int need = ub * 2 > sbits ? ub * 2 : sbits;
  if (need > 64) return make_decimal(20, 0);
  return qv_type_primitive(signed_of_bits(need));
}

qv_data_type *qv__common_type(qv_data_type *a, qv_data_type *b, const qv_array *lit_a, const qv_array *lit_b) {
  a = qv__type_logical(a);
  b = qv__type_logical(b);
  if (qv_type_equals(a, b)) return qv_type_ref(a);
  qv_type_id ia = a->id, ib = b->id;
  if (ia == QV_NA) return qv_type_ref(b);
  if (ib == QV_NA) return qv_type_ref(a);
  /* A string literal takes the other side's type (cast when the node is
   * built, so a bad literal fails early). */
  if (lit_a && qv__type_is_string(ia) && !qv__type_is_string(ib) && qv__can_cast(a, b)) return qv_type_ref(b);
  if (lit_b && qv__type_is_string(ib) && !qv__type_is_string(ia) && qv__can_cast(b, a)) return qv_type_ref(a);
  bool inta = qv_type_is_integer(ia), intb = qv_type_is_integer(ib);
  if (inta && intb) {
    qv_i128 v;
    if (literal_integer(lit_a, &v) && integer_fits(v, ib)) return qv_type_ref(b);
    if (literal_integer(lit_b, &v) && integer_fits(v, ia)) return qv_type_ref(a);
    return common_integer(ia, ib);
  }
  bool fa = ia == QV_FLOAT32 || ia == QV_FLOAT64, fb = ib == QV_FLOAT32 || ib == QV_FLOAT64;
  if (qv__type_is_numeric(ia) && qv__type_is_numeric(ib)) {
    if (fa || fb) {
      if (fa && ia == QV_FLOAT32 && intb && lit_b) return qv_type_ref(a);
      if (fb && ib == QV_FLOAT32 && inta && lit_a) return qv_type_ref(b);
      return qv_type_primitive(QV_FLOAT64);
    }
    int32_t pa = a->precision, sa = a->scale, pb = b->precision, sb = b->scale;
    if (inta) integer_as_decimal(a, lit_a, &pa, &sa);
    if (intb) integer_as_decimal(b, lit_b, &pb, &sb);
    int32_t s = sa > sb ? sa : sb;
    int32_t ia_d = pa - sa, ib_d = pb - sb;
    return make_decimal((ia_d > ib_d ? ia_d : ib_d) + s, s);
  }
  if (qv__type_is_string(ia) && qv__type_is_string(ib)) return qv_type_primitive(QV_LARGE_UTF8);
  if (qv_type_is_binary_like(ia) && qv_type_is_binary_like(ib)) {
    bool large = ia == QV_LARGE_BINARY || ia == QV_LARGE_UTF8 || ib == QV_LARGE_BINARY || ib == QV_LARGE_UTF8;
    return qv_type_primitive(large ? QV_LARGE_BINARY : QV_BINARY);
  }
  if (qv__type_is_temporal(ia) && qv__type_is_temporal(ib)) {
    qv_data_type *ts = NULL;
    if (ia == QV_TIMESTAMP && ib == QV_TIMESTAMP) {
      qv_data_type *finer = a->unit >= b->unit ? a : b;
      if (qv_type_timestamp(finer->unit, a->timezone ? a->timezone : b->timezone, &ts, NULL) != QV_OK) return NULL;
      return ts;
    }
    return qv_type_ref(ia == QV_TIMESTAMP ? a : b);
  }
  return NULL;
}

qv_status qv__decimal_result_type(qv_binary_op op, int32_t p1, int32_t s1, int32_t p2, int32_t s2, qv_data_type **out,
                                  qv_error *err) {
  *out = NULL;
  int32_t p, s;
  switch (op) {
    case QV_OP_ADD:
    case QV_OP_SUB: {
      s = s1 > s2 ? s1 : s2;
      int32_t i1 = p1 - s1, i2 = p2 - s2;
      p = (i1 > i2 ? i1 : i2) + s + 1;
      break;
    }
    case QV_OP_MUL:
      s = s1 + s2;
      p = p1 + p2 + 1;
      break;
    case QV_OP_DIV:
      s = s1 + p2 + 1 > 6 ? s1 + p2 + 1 : 6;
      p = p1 - s1 + s2 + s;
      break;
    case QV_OP_MOD: {
      s = s1 > s2 ? s1 : s2;
      int32_t i1 = p1 - s1, i2 = p2 - s2;
      p = (i1 < i2 ? i1 : i2) + s;
      break;
    }
    default: return qv_error_set(err, QV_INTERNAL, "decimal result type of a non-arithmetic operator");
  }
  if (p > 38) {
    int32_t int_digits = p - s;
    int32_t min_scale = s < 6 ? s : 6;
    s = 38 - int_digits > min_scale ? 38 - int_digits : min_scale;
    p = 38;
  }
  if (p < 1) p = 1;
  if (s > p)
    return qv_error_set(err, QV_TYPE_ERROR, "decimal(%d, %d) %s decimal(%d, %d): result scale %d exceeds 38 digits",
                        p1, s1, qv__binary_op_symbol(op), p2, s2, s);
  return qv_type_decimal(QV_DECIMAL128, p, s, out, err);
}

/* ---- implicit conversions ---------------------------------------------------------- */

bool qv__can_coerce_implicitly(const qv_data_type *from, const qv_data_type *to) {
  if (qv_type_equals(from, to)) return true;
  qv_type_id f = from->id, t = to->id;
  if (f == QV_NA) return true;
  if (f == QV_DICTIONARY) return qv__can_coerce_implicitly(from->dict_value, to);
  if (qv_type_is_integer(f)) {
    if (t == QV_FLOAT32 || t == QV_FLOAT64) return true;
    if (t == QV_DECIMAL128) return to->precision - to->scale >= qv__integer_digits(f);
    if (!qv_type_is_integer(t)) return false;
    bool fs = qv_type_is_signed_integer(f), ts = qv_type_is_signed_integer(t);
    int fb = int_bits(f), tb = int_bits(t);
    if (fs == ts) return tb >= fb;
    return ts && tb > fb; /* unsigned into a wider signed type */
  }
  if (f == QV_DECIMAL128) {
    if (t == QV_FLOAT64) return true;
    return t == QV_DECIMAL128 && to->scale >= from->scale &&
           to->precision - to->scale >= from->precision - from->scale;
  }
  if (f == QV_FLOAT32) return t == QV_FLOAT64;
  if (f == QV_UTF8) return t == QV_LARGE_UTF8;
  if (f == QV_BINARY) return t == QV_LARGE_BINARY;
  if (f == QV_DATE32) return t == QV_TIMESTAMP;
  return false;
}

/* ---- casts ------------------------------------------------------------------------ */

static bool numeric_or_bool(qv_type_id id) { return qv__type_is_numeric(id) || id == QV_BOOL; }

bool qv__can_cast(const qv_data_type *from, const qv_data_type *to) {
  if (qv_type_equals(from, to)) return true;
  qv_type_id f = from->id, t = to->id;
  if (f == QV_NA) return true;
  if (t == QV_DICTIONARY) return false;
  if (f == QV_DICTIONARY) return qv__can_cast(from->dict_value, to);
  if (numeric_or_bool(f) && numeric_or_bool(t)) return true;
  if (qv__type_is_string(f))
    return numeric_or_bool(t) || qv__type_is_temporal(t) || qv_type_is_binary_like(t);
  if (qv__type_is_string(t))
    return numeric_or_bool(f) || qv__type_is_temporal(f) || qv_type_is_binary_like(f);
  if (qv_type_is_binary_like(f) && qv_type_is_binary_like(t)) return true;
  if (qv__type_is_temporal(f) && qv__type_is_temporal(t)) return true;
  return false;
}
