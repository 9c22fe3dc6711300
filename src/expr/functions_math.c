/* Numeric functions: abs, round(x[, digits]), floor, ceil/ceiling, trunc,
 * sign, and the float64 functions sqrt, cbrt, exp, ln, log10, log2 and
 * power/pow.
 *
 * Types follow DuckDB: abs keeps its argument's type (abs of the most
 * negative integer is an overflow error); round, floor, ceil and trunc of a
 * float stay floats, of an integer stay the integer, and of a
 * decimal(p, s) give decimal(p, min(s, max(digits, 0))) for round (digits
 * must then be a literal) and decimal(p, 0) for floor, ceil and trunc.
 * round rounds half away from zero for every type (round(2.5) = 3,
 * round(-2.5) = -3). The float64 functions take any number; a domain error
 * (sqrt(-1), ln(0)) gives NaN or an infinity, as IEEE does, not an error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

typedef enum math_op { M_ABS, M_ROUND, M_FLOOR, M_CEIL, M_TRUNC, M_SIGN, M_SQRT, M_CBRT, M_EXP, M_LN, M_LOG10, M_LOG2, M_POWER } math_op;

typedef struct math_state {
  math_op op;
  int64_t digits; /* round: literal digits (decimals and integers) */
} math_state;

static bool is_float(qv_type_id id) { return id == QV_FLOAT32 || id == QV_FLOAT64; }

static qv_status set_state(qv_expr *e, math_op op, int64_t digits, qv_error *err) {
  math_state *s = malloc(sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "%s: out of memory", e->name);
  s->op = op;
  s->digits = digits;
  e->state = s;
  e->state_free = free;
  return QV_OK;
}

static math_op op_of_name(const char *name) {
  static const struct {
    const char *n;
    math_op op;
  } names[] = {{"abs", M_ABS},     {"round", M_ROUND}, {"floor", M_FLOOR}, {"ceil", M_CEIL},
               {"ceiling", M_CEIL}, {"trunc", M_TRUNC}, {"sign", M_SIGN},   {"sqrt", M_SQRT},
               {"cbrt", M_CBRT},   {"exp", M_EXP},     {"ln", M_LN},       {"log10", M_LOG10},
               {"log2", M_LOG2},   {"power", M_POWER}, {"pow", M_POWER}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i].n, name) == 0) return names[i].op;
  return M_ABS;
}

/* The first argument must be a number (NULL becomes float64). */
static qv_status bind_number(qv_expr *e, int32_t i, qv_error *err) {
  qv_data_type *t = qv__type_logical(e->children[i]->type);
  if (t->id == QV_NA) return qv__expr_coerce(&e->children[i], qv_type_primitive(QV_FLOAT64), err);
  if (!qv__type_is_numeric(t->id)) {
    char why[64];
    snprintf(why, sizeof why, "argument %d must be a number", i + 1);
    return qv__function_type_error(e, err, why);
  }
  if (e->children[i]->type->id == QV_DICTIONARY) return qv__expr_coerce(&e->children[i], t, err);
  return QV_OK;
}

static qv_status bind_unary_same(qv_expr *e, qv_error *err) {
  QV_RETURN_NOT_OK(bind_number(e, 0, err));
  math_op op = op_of_name(e->name);
  qv_data_type *t = e->children[0]->type;
  if ((op == M_FLOOR || op == M_CEIL || op == M_TRUNC) && t->id == QV_DECIMAL128)
    QV_RETURN_NOT_OK(qv_type_decimal(QV_DECIMAL128, t->precision, 0, &e->type, err));
  else
    e->type = qv_type_ref(t);
  e->nullable = e->children[0]->nullable;
  return set_state(e, op, 0, err);
}

static qv_status bind_round(qv_expr *e, qv_error *err) {
  QV_RETURN_NOT_OK(bind_number(e, 0, err));
  qv_data_type *t = e->children[0]->type;
  int64_t digits = 0;
  if (e->n_children == 2) {
    qv_type_id id = e->children[1]->type->id;
    if (!qv_type_is_integer(id) && id != QV_NA) return qv__function_type_error(e, err, "digits must be an integer");
    QV_RETURN_NOT_OK(qv__expr_coerce(&e->children[1], qv_type_primitive(QV_INT64), err));
    qv_expr *d = e->children[1];
    bool literal = d->kind == QV_EXPR_LITERAL && qv_array_is_valid(d->literal, 0);
    if (literal) digits = ((const int64_t *)qv__array_data(d->literal, 1))[d->literal->offset];
    if (!literal && !is_float(t->id))
      return qv__function_type_error(e, err, "digits must be a literal for integers and decimals");
    if (digits < -38 || digits > 38) return qv__function_type_error(e, err, "digits must be within [-38, 38]");
  }
  if (t->id == QV_DECIMAL128) {
    int64_t s = digits < 0 ? 0 : digits < t->scale ? digits : t->scale;
    QV_RETURN_NOT_OK(qv_type_decimal(QV_DECIMAL128, t->precision, (int32_t)s, &e->type, err));
  } else {
    e->type = qv_type_ref(t);
  }
  e->nullable = e->children[0]->nullable || (e->n_children == 2 && e->children[1]->nullable);
  return set_state(e, M_ROUND, digits, err);
}

static qv_status bind_float_fn(qv_expr *e, qv_error *err) {
  for (int32_t i = 0; i < e->n_children; i++) {
    QV_RETURN_NOT_OK(bind_number(e, i, err));
    QV_RETURN_NOT_OK(qv__expr_coerce(&e->children[i], qv_type_primitive(QV_FLOAT64), err));
  }
  e->type = qv_type_primitive(QV_FLOAT64);
  e->nullable = false;
  for (int32_t i = 0; i < e->n_children; i++) e->nullable |= e->children[i]->nullable;
  return set_state(e, op_of_name(e->name), 0, err);
}

/* ---- evaluation ----------------------------------------------------------------------- */

static inline double round_half_away(double x) { return round(x); }

/* Rounds v (scale s) to `keep` fractional digits, half away from zero,
 * returning the value at scale max(keep, 0) when rescale, else at scale s. */
static qv_i128 dec_round_to(qv_i128 v, int32_t s, int64_t keep) {
  if (keep >= s) return v;
  int64_t drop = s - keep; /* digits to drop (keep may be negative) */
  if (drop > 38) return 0;
  qv_i128 q = qv__dec_div_round(v, qv__pow10_i128((int32_t)drop));
  if (keep < 0) q *= qv__pow10_i128((int32_t)-keep); /* back to scale 0 */
  return q;
}

static qv_i128 dec_floor_ceil(qv_i128 v, qv_i128 pow, math_op op) {
  qv_i128 q = v / pow, r = v % pow;
  if (op == M_FLOOR && r < 0) q--;
  if (op == M_CEIL && r > 0) q++;
  return q;
}

static qv_status eval_math(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  out->array = NULL;
  const math_state *ms = e->state;
  math_op op = ms->op;
  qv_datum d[2] = {{0}};
  QV_RETURN_NOT_OK(qv__expr_eval_children(e, ctx, d, err));
  bool two = e->n_children == 2;
  out->scalar = d[0].scalar && (!two || d[1].scalar);
  int64_t n = out->scalar ? 1 : ctx->n_rows;
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  qv_status st = qv__validity_and(ctx->alloc, &d[0], two ? &d[1] : NULL, n, &validity, &nulls, err);
  qv_data_type *type = e->type;
  if (st == QV_OK) st = qv__buffer_new(ctx->alloc, n * type->byte_width, &vals, err);
  if (st == QV_OK && (qv__datum_is_null_scalar(&d[0]) || (two && qv__datum_is_null_scalar(&d[1])))) {
    qv_buffer_unref(validity);
    qv_buffer_unref(vals);
    validity = vals = NULL;
    st = qv_array_make_nulls(ctx->alloc, type, n, &out->array, err);
    qv__datum_release(&d[0]);
    qv__datum_release(&d[1]);
    return st;
  }
  const qv_array *a = d[0].array;
  qv_type_id id = a->type->id;
  const uint8_t *src = st == QV_OK ? qv__array_data(a, 1) : NULL;
  int64_t off = a->offset, step = d[0].scalar ? 0 : 1;
  int64_t bad_row = -1;
  if (st == QV_OK && id == QV_FLOAT64 && type->id == QV_FLOAT64) {
    const double *x = (const double *)src + off;
    double *o = (double *)vals->data;
    const double *y = two && d[1].array->type->id == QV_FLOAT64
                          ? (const double *)qv__array_data(d[1].array, 1) + d[1].array->offset : NULL;
    int64_t ystep = two && !d[1].scalar ? 1 : 0;
    const int64_t *dig = two && d[1].array->type->id == QV_INT64
                             ? (const int64_t *)qv__array_data(d[1].array, 1) + d[1].array->offset : NULL;
    switch (op) {
      case M_ABS: for (int64_t i = 0; i < n; i++) o[i] = fabs(x[i * step]); break;
      case M_FLOOR: for (int64_t i = 0; i < n; i++) o[i] = floor(x[i * step]); break;
      case M_CEIL: for (int64_t i = 0; i < n; i++) o[i] = ceil(x[i * step]); break;
      case M_TRUNC: for (int64_t i = 0; i < n; i++) o[i] = trunc(x[i * step]); break;
      case M_SIGN: for (int64_t i = 0; i < n; i++) o[i] = x[i * step] > 0 ? 1.0 : x[i * step] < 0 ? -1.0 : 0.0; break;
      case M_SQRT: for (int64_t i = 0; i < n; i++) o[i] = sqrt(x[i * step]); break;
      case M_CBRT: for (int64_t i = 0; i < n; i++) o[i] = cbrt(x[i * step]); break;
      case M_EXP: for (int64_t i = 0; i < n; i++) o[i] = exp(x[i * step]); break;
      case M_LN: for (int64_t i = 0; i < n; i++) o[i] = log(x[i * step]); break;
      case M_LOG10: for (int64_t i = 0; i < n; i++) o[i] = log10(x[i * step]); break;
      case M_LOG2: for (int64_t i = 0; i < n; i++) o[i] = log2(x[i * step]); break;
      case M_POWER: for (int64_t i = 0; i < n; i++) o[i] = pow(x[i * step], y[i * ystep]); break;
      default: /* M_ROUND */
        for (int64_t i = 0; i < n; i++) {
          int64_t k = dig ? dig[i * ystep] : ms->digits;
          if (k == 0) {
            o[i] = round_half_away(x[i * step]);
          } else {
            double p = pow(10.0, (double)(k < -308 ? -308 : k > 308 ? 308 : k));
            double r = round_half_away(x[i * step] * p) / p;
            o[i] = isfinite(r) ? r : x[i * step];
          }
        }
        break;
    }
  } else if (st == QV_OK && id == QV_FLOAT32) {
    const float *x = (const float *)src + off;
    float *o = (float *)vals->data;
    const int64_t *dig = two ? (const int64_t *)qv__array_data(d[1].array, 1) + d[1].array->offset : NULL;
    int64_t ystep = two && !d[1].scalar ? 1 : 0;
    for (int64_t i = 0; i < n; i++) {
      float v = x[i * step];
      switch (op) {
        case M_ABS: o[i] = fabsf(v); break;
        case M_FLOOR: o[i] = floorf(v); break;
        case M_CEIL: o[i] = ceilf(v); break;
        case M_TRUNC: o[i] = truncf(v); break;
        case M_SIGN: o[i] = v > 0 ? 1.0f : v < 0 ? -1.0f : 0.0f; break;
        default: {
          int64_t k = dig ? dig[i * ystep] : ms->digits;
          double p = pow(10.0, (double)(k < -38 ? -38 : k > 38 ? 38 : k));
          o[i] = (float)(round((double)v * p) / p);
        }
      }
    }
  } else if (st == QV_OK && id == QV_DECIMAL128) {
    int32_t s = a->type->scale;
    qv_i128 pow = qv__pow10_i128(s), bound = qv__pow10_i128(type->precision);
    for (int64_t i = 0; i < n; i++) {
      qv_i128 v = qv__dec_load(src, off + i * step), r;
      switch (op) {
        case M_ABS: r = v < 0 ? -v : v; break;
        case M_SIGN: r = (v > 0) - (v < 0); r *= qv__pow10_i128(type->scale); break;
        case M_FLOOR:
        case M_CEIL: r = dec_floor_ceil(v, pow, op); break;
        case M_TRUNC: r = v / pow; break;
        default: r = dec_round_to(v, s, ms->digits); break;
      }
      if ((r >= bound || r <= -bound) && bad_row < 0 && (!validity || qv_bit_get(validity->data, i))) bad_row = i;
      qv__dec_store(vals->data, i, r);
    }
  } else if (st == QV_OK) {
    /* Integers: abs and sign compute; round with negative digits rounds to
     * tens, hundreds...; everything else is the value itself. */
    int32_t w = a->type->byte_width;
    qv_i128 lo, hi;
    int bits = w * 8;
    bool sgn = qv_type_is_signed_integer(id);
    lo = sgn ? -((qv_i128)1 << (bits - 1)) : 0;
    hi = sgn ? ((qv_i128)1 << (bits - 1)) - 1 : ((qv_i128)1 << bits) - 1;
    for (int64_t i = 0; i < n; i++) {
      int64_t k = off + i * step;
      qv_i128 v;
      switch (id) {
        case QV_INT8: v = ((const int8_t *)src)[k]; break;
        case QV_INT16: v = ((const int16_t *)src)[k]; break;
        case QV_INT32: v = ((const int32_t *)src)[k]; break;
        case QV_INT64: v = ((const int64_t *)src)[k]; break;
        case QV_UINT8: v = ((const uint8_t *)src)[k]; break;
        case QV_UINT16: v = ((const uint16_t *)src)[k]; break;
        case QV_UINT32: v = ((const uint32_t *)src)[k]; break;
        default: v = ((const uint64_t *)src)[k]; break;
      }
      qv_i128 r = v;
      if (op == M_ABS) r = v < 0 ? -v : v;
      else if (op == M_SIGN) r = (v > 0) - (v < 0);
      else if (op == M_ROUND && ms->digits < 0) r = dec_round_to(v, 0, ms->digits);
      if ((r < lo || r > hi) && bad_row < 0 && (!validity || qv_bit_get(validity->data, i))) bad_row = i;
      if (r < lo || r > hi) r = 0;
      switch (w) {
        case 1: ((int8_t *)vals->data)[i] = (int8_t)r; break;
        case 2: ((int16_t *)vals->data)[i] = (int16_t)r; break;
        case 4: ((int32_t *)vals->data)[i] = (int32_t)r; break;
        default: ((int64_t *)vals->data)[i] = (int64_t)r; break;
      }
    }
  }
  if (st == QV_OK && bad_row >= 0) {
    char vb[64], tb[64];
    qv__format_value(a, d[0].scalar ? 0 : bad_row, vb, sizeof vb);
    st = qv_error_set(err, QV_OUT_OF_RANGE, "%s(%s): result does not fit %s", e->name, vb,
                      qv_type_to_string(type, tb, sizeof tb));
  }
  if (st == QV_OK) {
    st = qv__array_from_buffers(type, n, validity, nulls, vals, &out->array, err);
    validity = vals = NULL;
  }
  qv_buffer_unref(validity);
  qv_buffer_unref(vals);
  qv__datum_release(&d[0]);
  qv__datum_release(&d[1]);
  return st;
}

const qv_function_def qv__math_functions[] = {
    {"abs", 1, 1, bind_unary_same, eval_math, true},
    {"floor", 1, 1, bind_unary_same, eval_math, false},
    {"ceil", 1, 1, bind_unary_same, eval_math, false},
    {"ceiling", 1, 1, bind_unary_same, eval_math, false},
    {"trunc", 1, 1, bind_unary_same, eval_math, false},
    {"sign", 1, 1, bind_unary_same, eval_math, false},
    {"round", 1, 2, bind_round, eval_math, true},
    {"sqrt", 1, 1, bind_float_fn, eval_math, false},
    {"cbrt", 1, 1, bind_float_fn, eval_math, false},
    {"exp", 1, 1, bind_float_fn, eval_math, false},
    {"ln", 1, 1, bind_float_fn, eval_math, false},
    {"log10", 1, 1, bind_float_fn, eval_math, false},
    {"log2", 1, 1, bind_float_fn, eval_math, false},
    {"power", 2, 2, bind_float_fn, eval_math, false},
    {"pow", 2, 2, bind_float_fn, eval_math, false},
};
const int32_t qv__n_math_functions = (int32_t)(sizeof qv__math_functions / sizeof qv__math_functions[0]);
