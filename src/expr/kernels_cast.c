/* CAST between engine types (the matrix of qv__can_cast): numbers, booleans
 * and decimals among themselves, dates and timestamps, binary-like types,
 * dictionaries (decoded) and null; strings are parsed and printed in
 * cast_string.c.
 *
 * Numeric casts go through one wide intermediate per row (a 128-bit integer
 * with a scale, or a double), so there are two loops per type instead of one
 * per pair of types. Rules:
 *   - narrowing that loses the value is an error naming it (QV_OUT_OF_RANGE),
 *     never a wrap; only valid rows are checked;
 *   - decimal to integer and decimal to a smaller scale round half away from
 *     zero (2.5 -> 3, -2.5 -> -3, as DuckDB); float to decimal likewise;
 *   - float to integer rounds to the nearest integer, ties to even (DuckDB
 *     and PostgreSQL); NaN and infinities are out of range;
 *   - numbers to boolean: zero is false, anything else true;
 *   - timestamps to a coarser unit or to dates round down (floor), so
 *     instants before 1970 land on the right day.
 * Binary-like casts share the data buffer and only rewrite offsets (binary
 * to utf8 validates the UTF-8). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

static bool is_float(qv_type_id id) { return id == QV_FLOAT32 || id == QV_FLOAT64; }

static int int_bits(qv_type_id id) { return qv_type_primitive(id)->byte_width * 8; }

/* Integer range of a type, inclusive. */
static void int_range(qv_type_id id, qv_i128 *lo, qv_i128 *hi) {
  int bits = int_bits(id);
  if (qv_type_is_signed_integer(id)) {
    *lo = -((qv_i128)1 << (bits - 1));
    *hi = ((qv_i128)1 << (bits - 1)) - 1;
  } else {
    *lo = 0;
    *hi = ((qv_i128)1 << bits) - 1;
  }
}

/* ---- phase 1: load into the wide form ------------------------------------------------ */

static void load_ints(const qv_array *a, qv_i128 *out) {
  const uint8_t *p = qv__array_data(a, 1);
  int64_t n = a->length, o = a->offset;
#define LOAD(T) for (int64_t i = 0; i < n; i++) out[i] = ((const T *)p)[o + i]
  switch (a->type->id) {
    case QV_INT8: LOAD(int8_t); break;
    case QV_INT16: LOAD(int16_t); break;
    case QV_INT32: LOAD(int32_t); break;
    case QV_INT64: LOAD(int64_t); break;
    case QV_UINT8: LOAD(uint8_t); break;
    case QV_UINT16: LOAD(uint16_t); break;
    case QV_UINT32: LOAD(uint32_t); break;
    case QV_UINT64: LOAD(uint64_t); break;
    case QV_BOOL:
      for (int64_t i = 0; i < n; i++) out[i] = qv_bit_get(p, o + i);
      break;
    default: /* decimal128 */
      for (int64_t i = 0; i < n; i++) out[i] = qv__dec_load(p, o + i);
      break;
  }
#undef LOAD
}

static void load_floats(const qv_array *a, double *out) {
  const uint8_t *p = qv__array_data(a, 1);
  int64_t n = a->length, o = a->offset;
  if (a->type->id == QV_FLOAT32)
    for (int64_t i = 0; i < n; i++) out[i] = ((const float *)p)[o + i];
  else
    memcpy(out, (const double *)p + o, (size_t)n * sizeof *out);
}

/* ---- phase 2: store into the target --------------------------------------------------------- */

static void store_ints(qv_type_id id, const qv_i128 *v, uint8_t *dst, int64_t n) {
#define STORE(T) for (int64_t i = 0; i < n; i++) ((T *)dst)[i] = (T)v[i]
  switch (id) {
    case QV_INT8: STORE(int8_t); break;
    case QV_INT16: STORE(int16_t); break;
    case QV_INT32: STORE(int32_t); break;
    case QV_INT64: STORE(int64_t); break;
    case QV_UINT8: STORE(uint8_t); break;
    case QV_UINT16: STORE(uint16_t); break;
    case QV_UINT32: STORE(uint32_t); break;
    case QV_UINT64: STORE(uint64_t); break;
    default:
      for (int64_t i = 0; i < n; i++) qv__dec_store(dst, i, v[i]);
      break;
  }
#undef STORE
}

/* The first valid row flagged in bad[], or -1. */
static int64_t first_bad(const qv_array *a, const uint8_t *bad, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (bad[i] && qv_array_is_valid(a, i)) return i;
  return -1;
}

static qv_status out_of_range(const qv_array *in, int64_t row, const qv_data_type *to, qv_error *err) {
  char vb[64], tb[64];
  qv__format_value(in, row, vb, sizeof vb);
  return qv_error_set(err, QV_OUT_OF_RANGE, "cast: value %s is out of range for %s", vb,
                      qv_type_to_string(to, tb, sizeof tb));
}

/* Numbers, booleans and decimals to one another. */
static qv_status cast_numeric(qv_allocator *alloc, qv_array *in, qv_data_type *to, qv_buffer **values,
                              qv_error *err) {
  *values = NULL;
  int64_t n = in->length;
  qv_type_id f = in->type->id, t = to->id;
  size_t rows = (size_t)(n ? n : 1);
  qv_i128 *iv = NULL;
  double *dv = NULL;
  uint8_t *bad = calloc(rows, 1);
  int32_t scale = f == QV_DECIMAL128 ? in->type->scale : 0;
  if (bad && is_float(f)) dv = malloc(rows * sizeof *dv);
  else if (bad) iv = malloc(rows * sizeof *iv);
  if (!bad || (!iv && !dv)) {
    free(bad);
    return qv_error_set(err, QV_NOMEM, "cast: out of memory");
  }
  if (dv) load_floats(in, dv);
  else load_ints(in, iv);
  qv_status st = QV_OK;
  qv_buffer *out = NULL;
  if (t == QV_BOOL) {
    st = qv__buffer_zeroed(alloc, (n + 7) / 8, &out, err);
    for (int64_t i = 0; st == QV_OK && i < n; i++)
      if (dv ? dv[i] != 0.0 : iv[i] != 0) qv_bit_set(out->data, i);
  } else if (is_float(t)) {
    st = qv__buffer_new(alloc, n * to->byte_width, &out, err);
    if (st == QV_OK && !dv) {
      long double div = powl(10.0L, (long double)scale);
      if (t == QV_FLOAT64)
        for (int64_t i = 0; i < n; i++) ((double *)out->data)[i] = (double)((long double)iv[i] / div);
      else
        for (int64_t i = 0; i < n; i++) ((float *)out->data)[i] = (float)((long double)iv[i] / div);
    } else if (st == QV_OK && t == QV_FLOAT64) {
      memcpy(out->data, dv, (size_t)n * sizeof *dv);
    } else if (st == QV_OK) {
      for (int64_t i = 0; i < n; i++) {
        bad[i] = isfinite(dv[i]) && fabs(dv[i]) > 3.4028234663852886e38;
        ((float *)out->data)[i] = (float)dv[i];
      }
    }
  } else {
    /* Integer or decimal target: bring every value to the target scale as a
     * 128-bit integer, then check the range. */
    int32_t tscale = t == QV_DECIMAL128 ? to->scale : 0;
    qv_i128 lo, hi;
    if (t == QV_DECIMAL128) {
      hi = qv__pow10_i128(to->precision) - 1;
      lo = -hi;
    } else {
      int_range(t, &lo, &hi);
    }
    if (dv) {
      iv = malloc(rows * sizeof *iv);
      if (!iv) st = qv_error_set(err, QV_NOMEM, "cast: out of memory");
      long double mul = powl(10.0L, (long double)tscale);
      for (int64_t i = 0; st == QV_OK && i < n; i++) {
        long double x = t == QV_DECIMAL128 ? roundl((long double)dv[i] * mul) : (long double)nearbyint(dv[i]);
        /* |x| < 2^126 keeps the conversion defined; the range check follows. */
        bool ok = isfinite(x) && fabsl(x) < 8.5e37L;
        iv[i] = ok ? (qv_i128)x : 0;
        bad[i] = !ok || iv[i] < lo || iv[i] > hi;
      }
    } else if (tscale >= scale) {
      qv_i128 mul = qv__pow10_i128(tscale - scale);
      for (int64_t i = 0; i < n; i++) {
        qv_i128 x;
        bool ovf = __builtin_mul_overflow(iv[i], mul, &x);
        iv[i] = ovf ? 0 : x;
        bad[i] = ovf || x < lo || x > hi;
      }
    } else {
      qv_i128 div = qv__pow10_i128(scale - tscale);
      for (int64_t i = 0; i < n; i++) {
        iv[i] = qv__dec_div_round(iv[i], div);
        bad[i] = iv[i] < lo || iv[i] > hi;
      }
    }
    if (st == QV_OK) st = qv__buffer_new(alloc, n * to->byte_width, &out, err);
    if (st == QV_OK) store_ints(t, iv, out->data, n);
  }
  if (st == QV_OK) {
    int64_t row = first_bad(in, bad, n);
    if (row >= 0) st = out_of_range(in, row, to, err);
  }
  free(bad);
  free(iv);
  free(dv);
  if (st != QV_OK) {
    qv_buffer_unref(out);
    return st;
  }
  *values = out;
  return QV_OK;
}

/* ---- dates and timestamps --------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

static qv_status cast_temporal(qv_allocator *alloc, qv_array *in, qv_data_type *to, qv_buffer **values,
                               qv_error *err) {
  int64_t n = in->length;
  qv_type_id f = in->type->id, t = to->id;
  QV_RETURN_NOT_OK(qv__buffer_new(alloc, n * to->byte_width, values, err));
  const uint8_t *src = qv__array_data(in, 1);
  int64_t bad_row = -1;
  if (f == QV_DATE32 && t == QV_TIMESTAMP) {
    int64_t per_day = 86400 * qv__unit_per_second(to->unit);
    const int32_t *d = (const int32_t *)src + in->offset;
    int64_t *o = (int64_t *)(*values)->data;
    for (int64_t i = 0; i < n; i++) {
      bool ovf = __builtin_mul_overflow((int64_t)d[i], per_day, &o[i]);
      if (ovf && bad_row < 0 && qv_array_is_valid(in, i)) bad_row = i;
    }
  } else if (f == QV_TIMESTAMP && t == QV_DATE32) {
    int64_t per_day = 86400 * qv__unit_per_second(in->type->unit);
    const int64_t *s = (const int64_t *)src + in->offset;
    int32_t *o = (int32_t *)(*values)->data;
    for (int64_t i = 0; i < n; i++) o[i] = (int32_t)floor_div(s[i], per_day);
  } else {
    /* timestamp to timestamp: unit change; the time zone is metadata only
     * (values are UTC instants). */
    int64_t fu = qv__unit_per_second(in->type->unit), tu = qv__unit_per_second(to->unit);
    const int64_t *s = (const int64_t *)src + in->offset;
    int64_t *o = (int64_t *)(*values)->data;
    if (tu >= fu) {
      int64_t mul = tu / fu;
      for (int64_t i = 0; i < n; i++) {
        bool ovf = __builtin_mul_overflow(s[i], mul, &o[i]);
        if (ovf && bad_row < 0 && qv_array_is_valid(in, i)) bad_row = i;
      }
    } else {
      int64_t div = fu / tu;
      for (int64_t i = 0; i < n; i++) o[i] = floor_div(s[i], div);
    }
  }
  if (bad_row >= 0) {
    qv_buffer_unref(*values);
    *values = NULL;
    return out_of_range(in, bad_row, to, err);
  }
  return QV_OK;
}

/* ---- binary-like -------------------------------------------------------------------------- */

static bool valid_utf8(const uint8_t *s, int64_t n) {
  int64_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    int64_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int64_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    /* Overlong forms, surrogates and code points past U+10FFFF. */
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

static qv_status cast_binary_like(qv_allocator *alloc, qv_array *in, qv_data_type *to, qv_array **out,
                                  qv_error *err) {
  int64_t n = in->length;
  qv_type_id t = to->id;
  qv_str_view v;
  qv__str_view_init(&v, in);
  if (qv__type_is_string(t) && !qv__type_is_string(in->type->id)) {
    for (int64_t i = 0; i < n; i++) {
      if (!qv_array_is_valid(in, i)) continue;
      int64_t len;
      const uint8_t *p = qv__str_at(&v, i, &len);
      if (!valid_utf8(p, len))
        return qv_error_set(err, QV_INVALID, "cast: row %lld is not valid UTF-8, cannot cast binary to a string",
                            (long long)i);
    }
  }
  bool from_large = v.off64 != NULL;
  bool to_large = t == QV_LARGE_UTF8 || t == QV_LARGE_BINARY;
  qv_buffer *validity = NULL, *offsets = NULL;
  int64_t nulls = 0;
  QV_RETURN_NOT_OK(qv__validity_of(alloc, in, &validity, &nulls, err));
  qv_status st = qv__buffer_new(alloc, (n + 1) * (to_large ? 8 : 4), &offsets, err);
  if (st == QV_OK) {
    /* Offsets keep their absolute values, so the data buffer is shared. */
    for (int64_t i = 0; i <= n; i++) {
      int64_t o = from_large ? v.off64[i] : v.off32[i];
      if (!to_large && o > INT32_MAX) {
        st = qv_error_set(err, QV_OUT_OF_RANGE, "cast: more than 2 GiB of data for a 32-bit offset type");
        break;
      }
      if (to_large) ((int64_t *)offsets->data)[i] = o;
      else ((int32_t *)offsets->data)[i] = (int32_t)o;
    }
  }
  if (st == QV_OK) {
    qv_buffer *bufs[3] = {validity, offsets, in->buffers[2]};
    st = qv_array_create(to, n, 0, validity ? nulls : 0, bufs, 3, NULL, 0, NULL, out, err);
  }
  qv_buffer_unref(validity);
  qv_buffer_unref(offsets);
  return st;
}

/* ---- entry point ------------------------------------------------------------------------------- */

static bool numeric_or_bool(qv_type_id id) { return qv__type_is_numeric(id) || id == QV_BOOL; }

qv_status qv__cast_array(qv_allocator *alloc, qv_array *in, qv_data_type *to, qv_array **out, qv_error *err) {
  *out = NULL;
  alloc = alloc ? alloc : qv_default_allocator();
  qv_data_type *from = in->type;
  if (from == to || qv_type_equals(from, to)) {
    *out = qv_array_ref(in);
    return QV_OK;
  }
  char fb[96], tb[96];
  if (!qv__can_cast(from, to))
    return qv_error_set(err, QV_TYPE_ERROR, "cast: no cast from %s to %s", qv_type_to_string(from, fb, sizeof fb),
                        qv_type_to_string(to, tb, sizeof tb));
  qv_type_id f = from->id, t = to->id;
  if (f == QV_NA) return qv_array_make_nulls(alloc, to, in->length, out, err);
  if (f == QV_DICTIONARY) {
    qv_array *decoded = NULL;
    QV_RETURN_NOT_OK(qv__dictionary_decode(alloc, in, &decoded, err));
    qv_status st = qv__cast_array(alloc, decoded, to, out, err);
    qv_array_unref(decoded);
    return st;
  }
  if (qv__type_is_string(f) && !qv_type_is_binary_like(t)) return qv__cast_from_string(alloc, in, to, out, err);
  if (qv__type_is_string(t) && !qv_type_is_binary_like(f)) return qv__cast_to_string(alloc, in, to, out, err);
  if (qv_type_is_binary_like(f) && qv_type_is_binary_like(t)) return cast_binary_like(alloc, in, to, out, err);
  if (f == QV_DECIMAL128 && t == QV_DECIMAL128 && from->scale == to->scale && to->precision >= from->precision) {
    /* Only the precision grows: same bytes, new type. */
    return qv_array_create(to, in->length, in->offset, -1, in->buffers, 2, NULL, 0, NULL, out, err);
  }
  qv_buffer *values = NULL;
  qv_status st;
  if (numeric_or_bool(f) && numeric_or_bool(t)) st = cast_numeric(alloc, in, to, &values, err);
  else if (qv__type_is_temporal(f) && qv__type_is_temporal(t)) st = cast_temporal(alloc, in, to, &values, err);
  else
    st = qv_error_set(err, QV_NOT_IMPLEMENTED, "cast: from %s to %s is not implemented",
                      qv_type_to_string(from, fb, sizeof fb), qv_type_to_string(to, tb, sizeof tb));
  if (st != QV_OK) return st;
  qv_buffer *validity = NULL;
  int64_t nulls = 0;
  st = qv__validity_of(alloc, in, &validity, &nulls, err);
  if (st != QV_OK) {
    qv_buffer_unref(values);
    return st;
  }
  return qv__array_from_buffers(to, in->length, validity, nulls, values, out, err);
}
