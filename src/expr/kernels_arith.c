/* Arithmetic kernels: + - * / % and negation over integers, floats and
 * 128-bit decimals.
 *
 * Each (operator, type) pair is one loop over the whole column, in three
 * shapes (column-column, column-scalar, scalar-column) so that a literal is
 * never broadcast. Loops run over every slot, nulls included, without a
 * branch per row: overflow and division by zero only raise a flag (a zero
 * divisor is replaced by 1 so that nothing traps). When the flag is set, a
 * slow pass looks for the first row that is valid and really fails, and
 * reports it with its values ("integer overflow: 2147483647 + 1 in int32");
 * garbage under null slots never causes an error.
 *
 * Integer division truncates toward zero and % takes the sign of the
 * dividend (C, SQL and DataFusion semantics; DuckDB's / on integers returns
 * a double instead). Float arithmetic is IEEE: x / 0.0 is an infinity or
 * NaN, not an error. Decimal division rounds half away from zero. */
#include <math.h>
#include <string.h>

#include "expr/expr_internal.h"

/* One loop body over n rows; `a` and `b` are the operands, `o` the output,
 * `bad` the failure flag. The three shapes let the compiler vectorise. */
#define DEFINE_KERNEL(NAME, T, BODY)                                                    \
  static bool NAME(const void *lp, bool ls, const void *rp, bool rs, void *op_, int64_t n) { \
    const T *l = (const T *)lp;                                                         \
    const T *r = (const T *)rp;                                                         \
    T *o = (T *)op_;                                                                    \
    bool bad = false;                                                                   \
    if (!ls && !rs) {                                                                   \
      for (int64_t i = 0; i < n; i++) {                                                 \
        T a = l[i], b = r[i];                                                           \
        BODY;                                                                           \
      }                                                                                 \
    } else if (!ls) {                                                                   \
      T b = r[0];                                                                       \
      for (int64_t i = 0; i < n; i++) {                                                 \
        T a = l[i];                                                                     \
        BODY;                                                                           \
      }                                                                                 \
    } else if (!rs) {                                                                   \
      T a = l[0];                                                                       \
      for (int64_t i = 0; i < n; i++) {                                                 \
        T b = r[i];                                                                     \
        BODY;                                                                           \
      }                                                                                 \
    } else {                                                                            \
      T a = l[0], b = r[0];                                                             \
      for (int64_t i = 0; i < n; i++) {                                                 \
        BODY;                                                                           \
      }                                                                                 \
    }                                                                                   \
    return bad;                                                                         \
  }

typedef bool (*arith_fn)(const void *l, bool ls, const void *r, bool rs, void *o, int64_t n);

#define ADD_BODY bad |= __builtin_add_overflow(a, b, &o[i])
#define SUB_BODY bad |= __builtin_sub_overflow(a, b, &o[i])
#define MUL_BODY bad |= __builtin_mul_overflow(a, b, &o[i])
#define SDIV_BODY(MIN)                                   \
  bool z = (b == 0) | ((a == (MIN)) & (b == -1));       \
  bad |= z;                                             \
  o[i] = a / (z ? 1 : b)
#define UDIV_BODY        \
  bool z = b == 0;       \
  bad |= z;              \
  o[i] = a / (z ? 1 : b)
/* x % -1 is 0 for every x; skipping it avoids MIN % -1 trapping. */
#define SMOD_BODY                    \
  bool z = b == 0;                   \
  bad |= z;                          \
  o[i] = b == -1 ? 0 : a % (z ? 1 : b)
#define UMOD_BODY        \
  bool z = b == 0;       \
  bad |= z;              \
  o[i] = a % (z ? 1 : b)

#define DEFINE_SIGNED(SUFFIX, T, MIN)                \
  DEFINE_KERNEL(add_##SUFFIX, T, ADD_BODY)           \
  DEFINE_KERNEL(sub_##SUFFIX, T, SUB_BODY)           \
  DEFINE_KERNEL(mul_##SUFFIX, T, MUL_BODY)           \
  DEFINE_KERNEL(div_##SUFFIX, T, SDIV_BODY(MIN))     \
  DEFINE_KERNEL(mod_##SUFFIX, T, SMOD_BODY)
#define DEFINE_UNSIGNED(SUFFIX, T)                   \
  DEFINE_KERNEL(add_##SUFFIX, T, ADD_BODY)           \
  DEFINE_KERNEL(sub_##SUFFIX, T, SUB_BODY)           \
  DEFINE_KERNEL(mul_##SUFFIX, T, MUL_BODY)           \
  DEFINE_KERNEL(div_##SUFFIX, T, UDIV_BODY)          \
  DEFINE_KERNEL(mod_##SUFFIX, T, UMOD_BODY)

DEFINE_SIGNED(i8, int8_t, INT8_MIN)
DEFINE_SIGNED(i16, int16_t, INT16_MIN)
DEFINE_SIGNED(i32, int32_t, INT32_MIN)
DEFINE_SIGNED(i64, int64_t, INT64_MIN)
DEFINE_UNSIGNED(u8, uint8_t)
DEFINE_UNSIGNED(u16, uint16_t)
DEFINE_UNSIGNED(u32, uint32_t)
DEFINE_UNSIGNED(u64, uint64_t)

#define DEFINE_FLOAT(SUFFIX, T, FMOD)                \
  DEFINE_KERNEL(add_##SUFFIX, T, o[i] = a + b)       \
  DEFINE_KERNEL(sub_##SUFFIX, T, o[i] = a - b)       \
  DEFINE_KERNEL(mul_##SUFFIX, T, o[i] = a * b)       \
  DEFINE_KERNEL(div_##SUFFIX, T, o[i] = a / b)       \
  DEFINE_KERNEL(mod_##SUFFIX, T, o[i] = FMOD(a, b))

DEFINE_FLOAT(f32, float, fmodf)
DEFINE_FLOAT(f64, double, fmod)

#define KERNEL_ROW(SUFFIX) {add_##SUFFIX, sub_##SUFFIX, mul_##SUFFIX, div_##SUFFIX, mod_##SUFFIX}

/* The kernel of an operator on a primitive type, or NULL. */
static arith_fn primitive_kernel(qv_binary_op op, qv_type_id id) {
  static const arith_fn table[][5] = {KERNEL_ROW(i8),  KERNEL_ROW(i16), KERNEL_ROW(i32), KERNEL_ROW(i64),
                                      KERNEL_ROW(u8),  KERNEL_ROW(u16), KERNEL_ROW(u32), KERNEL_ROW(u64),
                                      KERNEL_ROW(f32), KERNEL_ROW(f64)};
  int row;
  switch (id) {
    case QV_INT8: row = 0; break;
    case QV_INT16: row = 1; break;
    case QV_INT32: row = 2; break;
    case QV_INT64: row = 3; break;
    case QV_UINT8: row = 4; break;
    case QV_UINT16: row = 5; break;
    case QV_UINT32: row = 6; break;
    case QV_UINT64: row = 7; break;
    case QV_FLOAT32: row = 8; break;
    case QV_FLOAT64: row = 9; break;
    default: return NULL;
  }
  return table[row][op];
}

/* ---- error reporting (slow path) --------------------------------------------- */

/* The value of row i of an integer array as a 128-bit integer. */
static qv_i128 int_value(const qv_array *a, int64_t i) {
  const uint8_t *p = qv__array_data(a, 1);
  int64_t k = a->offset + i;
  switch (a->type->id) {
    case QV_INT8: return ((const int8_t *)p)[k];
    case QV_INT16: return ((const int16_t *)p)[k];
    case QV_INT32: return ((const int32_t *)p)[k];
    case QV_INT64: return ((const int64_t *)p)[k];
    case QV_UINT8: return ((const uint8_t *)p)[k];
    case QV_UINT16: return ((const uint16_t *)p)[k];
    case QV_UINT32: return ((const uint32_t *)p)[k];
    case QV_UINT64: return ((const uint64_t *)p)[k];
    default: return qv__dec_load(p, k);
  }
}

static bool row_valid(const qv_datum *d, int64_t i) {
  return qv_array_is_valid(d->array, d->scalar ? 0 : i);
}

/* Describes the first valid failing row of an integer operation whose fast
 * loop raised its flag. */
static qv_status integer_error(qv_binary_op op, const qv_datum *l, const qv_datum *r, qv_data_type *type, int64_t n,
                               qv_error *err) {
  char tb[64];
  qv_type_to_string(type, tb, sizeof tb);
  bool is_signed = qv_type_is_signed_integer(type->id);
  int bits = type->byte_width * 8;
  qv_i128 lo = is_signed ? -((qv_i128)1 << (bits - 1)) : 0;
  qv_i128 hi = is_signed ? ((qv_i128)1 << (bits - 1)) - 1 : ((qv_i128)1 << bits) - 1;
  for (int64_t i = 0; i < n; i++) {
    if (!row_valid(l, i) || !row_valid(r, i)) continue;
    qv_i128 a = int_value(l->array, l->scalar ? 0 : i), b = int_value(r->array, r->scalar ? 0 : i);
    char as[48], bs[48];
    qv__dec_format(a, 0, as, sizeof as);
    qv__dec_format(b, 0, bs, sizeof bs);
    if ((op == QV_OP_DIV || op == QV_OP_MOD) && b == 0)
      return qv_error_set(err, QV_OUT_OF_RANGE, "division by zero: %s %s %s", as, qv__binary_op_symbol(op), bs);
    qv_i128 v;
    bool overflow = false;
    switch (op) {
      case QV_OP_ADD: v = a + b; break;
      case QV_OP_SUB: v = a - b; break;
      case QV_OP_MUL: overflow = __builtin_mul_overflow(a, b, &v); break;
      case QV_OP_DIV: v = a / b; break;
      default: v = 0; break;
    }
    if (overflow || v < lo || v > hi)
      return qv_error_set(err, QV_OUT_OF_RANGE, "integer overflow in '%s': %s %s %s does not fit %s",
                          qv__binary_op_symbol(op), as, qv__binary_op_symbol(op), bs, tb);
  }
  return QV_OK;
}

/* ---- decimals ------------------------------------------------------------------- */

typedef struct dec_params {
  qv_binary_op op;
  qv_i128 ml, mr;     /* +, -, %: scale alignment multipliers */
  qv_i128 down;       /* *: 10^(s1 + s2 - s) when the result scale was reduced */
  qv_i128 up;         /* /: dividend multiplier 10^k (k >= 0) */
  qv_i128 div_extra;  /* /: divisor multiplier 10^-k (k < 0) */
  qv_i128 bound;      /* 10^precision of the result */
} dec_params;

/* a / b rounded half away from zero; b != 0. */
static inline qv_i128 div_round(qv_i128 a, qv_i128 b) {
  qv_i128 q = a / b, rem = a % b;
  unsigned __int128 ar = rem < 0 ? (unsigned __int128)0 - (unsigned __int128)rem : (unsigned __int128)rem;
  unsigned __int128 ab = b < 0 ? (unsigned __int128)0 - (unsigned __int128)b : (unsigned __int128)b;
  if (ar >= ab - ar) q += ((a < 0) != (b < 0)) ? -1 : 1;
  return q;
}

/* One decimal operation; false on overflow or division by zero. */
static inline bool dec_op(const dec_params *p, qv_i128 a, qv_i128 b, qv_i128 *out) {
  qv_i128 x, y, v = 0;
  bool bad = false;
  switch (p->op) {
    case QV_OP_ADD:
      bad = __builtin_mul_overflow(a, p->ml, &x);
      bad |= __builtin_mul_overflow(b, p->mr, &y);
      bad |= __builtin_add_overflow(x, y, &v);
      break;
    case QV_OP_SUB:
      bad = __builtin_mul_overflow(a, p->ml, &x);
      bad |= __builtin_mul_overflow(b, p->mr, &y);
      bad |= __builtin_sub_overflow(x, y, &v);
      break;
    case QV_OP_MUL:
      bad = __builtin_mul_overflow(a, b, &v);
      if (!bad && p->down != 1) v = div_round(v, p->down);
      break;
    case QV_OP_DIV:
      bad = __builtin_mul_overflow(a, p->up, &x);
      bad |= __builtin_mul_overflow(b, p->div_extra, &y);
      if (y == 0) return false;
      if (!bad) v = div_round(x, y);
      break;
    default: /* MOD */
      bad = __builtin_mul_overflow(a, p->ml, &x);
      bad |= __builtin_mul_overflow(b, p->mr, &y);
      if (y == 0) return false;
      if (!bad) v = x % y;
      break;
  }
  if (bad || v >= p->bound || v <= -p->bound) return false;
  *out = v;
  return true;
}

static bool dec_kernel(const dec_params *p, const uint8_t *l, bool ls, const uint8_t *r, bool rs, uint8_t *o,
                       int64_t n) {
  bool bad = false;
  for (int64_t i = 0; i < n; i++) {
    qv_i128 a = qv__dec_load(l, ls ? 0 : i), b = qv__dec_load(r, rs ? 0 : i), v = 0;
    bad |= !dec_op(p, a, b, &v);
    qv__dec_store(o, i, v);
  }
  return bad;
}

static dec_params make_dec_params(qv_binary_op op, const qv_data_type *lt, const qv_data_type *rt,
                                  const qv_data_type *type) {
  dec_params p = {op, 1, 1, 1, 1, 1, qv__pow10_i128(type->precision)};
  int32_t s1 = lt->scale, s2 = rt->scale, s = type->scale;
  if (op == QV_OP_ADD || op == QV_OP_SUB || op == QV_OP_MOD) {
    int32_t m = s1 > s2 ? s1 : s2;
    p.ml = qv__pow10_i128(m - s1);
    p.mr = qv__pow10_i128(m - s2);
  } else if (op == QV_OP_MUL) {
    p.down = qv__pow10_i128(s1 + s2 - s);
  } else {
    /* a / 10^s1 / (b / 10^s2) * 10^s = a * 10^(s - s1 + s2) / b. */
    int32_t k = s - s1 + s2;
    if (k >= 0) p.up = qv__pow10_i128(k);
    else p.div_extra = qv__pow10_i128(-k);
  }
  return p;
}

static qv_status decimal_error(const dec_params *p, const qv_datum *l, const qv_datum *r, qv_data_type *type,
                               int64_t n, qv_error *err) {
  const qv_data_type *lt = l->array->type, *rt = r->array->type;
  for (int64_t i = 0; i < n; i++) {
    if (!row_valid(l, i) || !row_valid(r, i)) continue;
    const qv_array *la = l->array, *ra = r->array;
    qv_i128 a = qv__dec_load(qv__array_data(la, 1), la->offset + (l->scalar ? 0 : i));
    qv_i128 b = qv__dec_load(qv__array_data(ra, 1), ra->offset + (r->scalar ? 0 : i));
    qv_i128 v;
    if (dec_op(p, a, b, &v)) continue;
    char as[64], bs[64], tb[64];
    qv__dec_format(a, lt->scale, as, sizeof as);
    qv__dec_format(b, rt->scale, bs, sizeof bs);
    const char *sym = qv__binary_op_symbol(p->op);
    if ((p->op == QV_OP_DIV || p->op == QV_OP_MOD) && b == 0)
      return qv_error_set(err, QV_OUT_OF_RANGE, "division by zero: %s %s %s", as, sym, bs);
    return qv_error_set(err, QV_OUT_OF_RANGE, "decimal overflow in '%s': %s %s %s does not fit %s", sym, as, sym, bs,
                        qv_type_to_string(type, tb, sizeof tb));
  }
  return QV_OK;
}

/* ---- entry points --------------------------------------------------------------------- */

static const uint8_t *values_of(const qv_datum *d, int32_t w) {
  return qv__array_data(d->array, 1) + d->array->offset * w;
}

qv_status qv__kernel_arith(qv_eval_ctx *ctx, qv_binary_op op, const qv_datum *l, const qv_datum *r,
                           qv_data_type *type, qv_datum *out, qv_error *err) {
  out->array = NULL;
  bool scalar = l->scalar && r->scalar;
  int64_t n = scalar ? 1 : ctx->n_rows;
  out->scalar = scalar;
  if (type->id == QV_NA || qv__datum_is_null_scalar(l) || qv__datum_is_null_scalar(r))
    return qv_array_make_nulls(ctx->alloc, type, n, &out->array, err);
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  QV_RETURN_NOT_OK(qv__validity_and(ctx->alloc, l, r, n, &validity, &nulls, err));
  int32_t w = type->byte_width;
  qv_status st = qv__buffer_new(ctx->alloc, n * w, &vals, err);
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    return st;
  }
  bool bad;
  if (type->id == QV_DECIMAL128) {
    dec_params p = make_dec_params(op, l->array->type, r->array->type, type);
    bad = dec_kernel(&p, values_of(l, 16), l->scalar, values_of(r, 16), r->scalar, vals->data, n);
    if (bad) st = decimal_error(&p, l, r, type, n, err);
  } else {
    arith_fn fn = primitive_kernel(op, type->id);
    if (!fn) {
      char tb[64];
      st = qv_error_set(err, QV_INTERNAL, "no arithmetic kernel for %s", qv_type_to_string(type, tb, sizeof tb));
    } else {
      bad = fn(values_of(l, w), l->scalar, values_of(r, w), r->scalar, vals->data, n);
      if (bad) st = integer_error(op, l, r, type, n, err);
    }
  }
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    qv_buffer_unref(vals);
    return st;
  }
  return qv__array_from_buffers(type, n, validity, nulls, vals, &out->array, err);
}

qv_status qv__kernel_negate(qv_eval_ctx *ctx, const qv_datum *in, qv_datum *out, qv_error *err) {
  out->array = NULL;
  out->scalar = in->scalar;
  qv_array *a = in->array;
  qv_data_type *type = a->type;
  int64_t n = a->length;
  if (type->id == QV_NA || qv__datum_is_null_scalar(in)) return qv_array_make_nulls(ctx->alloc, type, n, &out->array, err);
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  QV_RETURN_NOT_OK(qv__validity_of(ctx->alloc, a, &validity, &nulls, err));
  int32_t w = type->byte_width;
  qv_status st = qv__buffer_new(ctx->alloc, n * w, &vals, err);
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    return st;
  }
  const uint8_t *src = values_of(in, w);
  int64_t bad_row = -1;
#define NEG_INT(T, MIN)                                                          \
  do {                                                                           \
    const T *s_ = (const T *)src;                                                \
    T *d_ = (T *)vals->data;                                                     \
    bool bad_ = false;                                                           \
    for (int64_t i = 0; i < n; i++) {                                            \
      bad_ |= s_[i] == (MIN);                                                    \
      d_[i] = (T)(s_[i] == (MIN) ? 0 : -s_[i]);                                  \
    }                                                                            \
    if (bad_)                                                                    \
      for (int64_t i = 0; i < n && bad_row < 0; i++)                             \
        if (s_[i] == (MIN) && qv_array_is_valid(a, i)) bad_row = i;              \
  } while (0)
  switch (type->id) {
    case QV_INT8: NEG_INT(int8_t, INT8_MIN); break;
    case QV_INT16: NEG_INT(int16_t, INT16_MIN); break;
    case QV_INT32: NEG_INT(int32_t, INT32_MIN); break;
    case QV_INT64: NEG_INT(int64_t, INT64_MIN); break;
    case QV_FLOAT32:
      for (int64_t i = 0; i < n; i++) ((float *)vals->data)[i] = -((const float *)src)[i];
      break;
    case QV_FLOAT64:
      for (int64_t i = 0; i < n; i++) ((double *)vals->data)[i] = -((const double *)src)[i];
      break;
    case QV_DECIMAL128:
      for (int64_t i = 0; i < n; i++) qv__dec_store(vals->data, i, -qv__dec_load(src, i));
      break;
    default: {
      char tb[64];
      st = qv_error_set(err, QV_INTERNAL, "no negation kernel for %s", qv_type_to_string(type, tb, sizeof tb));
    }
  }
#undef NEG_INT
  if (st == QV_OK && bad_row >= 0) {
    char vb[48], tb[64];
    qv__format_value(a, bad_row, vb, sizeof vb);
    st = qv_error_set(err, QV_OUT_OF_RANGE, "integer overflow in '-': -(%s) does not fit %s", vb,
                      qv_type_to_string(type, tb, sizeof tb));
  }
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    qv_buffer_unref(vals);
    return st;
  }
  return qv__array_from_buffers(type, n, validity, nulls, vals, &out->array, err);
}
