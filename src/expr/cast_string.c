/* Values as text: CAST from strings (parsing integers, floats, decimals,
 * booleans, dates and timestamps) and to strings (printing them), the
 * calendar arithmetic behind dates, and the one-value formatter used by
 * error messages and to_string.
 *
 * Accepted input (surrounding blanks are ignored):
 *   integers   [+-]digits
 *   floats     whatever strtod accepts, fully consumed (incl. inf, nan)
 *   decimals   [+-]digits[.digits][e[+-]digits], rounded half away from zero
 *              to the target scale
 *   booleans   true/false, t/f, yes/no, y/n, on/off, 1/0 (any case)
 *   dates      [-]Y...Y-MM-DD
 *   timestamps date[( |T)HH:MM[:SS[.fraction]]][ ][Z|UTC|(+|-)HH[:MM]]; an
 *              offset is converted to UTC; fraction digits finer than the
 *              unit are dropped
 * Floats print in the shortest form that reads back to the same value;
 * timestamps as "YYYY-MM-DD HH:MM:SS[.fraction]" (no zone suffix). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr/expr_internal.h"

/* ---- calendar ---------------------------------------------------------------- */

/* Days from 1970-01-01 of a proleptic Gregorian date, by counting whole
 * 400-year eras (146097 days) from 0000-03-01, with March as the first
 * month so that the leap day ends the year. */
int64_t qv__days_from_civil(int64_t y, int32_t m, int32_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = m > 2 ? m - 3 : m + 9;
  int64_t doy = (153 * mp + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void qv__civil_from_days(int64_t z, int64_t *y, int32_t *m, int32_t *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int32_t)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int32_t)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

int64_t qv__unit_per_second(qv_time_unit u) {
  switch (u) {
    case QV_SECOND: return 1;
    case QV_MILLI: return 1000;
    case QV_MICRO: return 1000000;
    default: return 1000000000;
  }
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int32_t days_in_month(int64_t y, int32_t m) {
  static const int32_t dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* ---- parsing ----------------------------------------------------------------------- */

static bool blank(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void trim(const uint8_t **s, int64_t *n) {
  while (*n > 0 && blank((*s)[0])) {
    (*s)++;
    (*n)--;
  }
  while (*n > 0 && blank((*s)[*n - 1])) (*n)--;
}

/* Reads exactly `width` digits (width 0: 1 or more) at *pos. */
static bool digits(const uint8_t *s, int64_t n, int64_t *pos, int width, int64_t *out) {
  int64_t v = 0, k = 0;
  while (*pos < n && isdigit(s[*pos]) && (width == 0 || k < width) && k < 18) {
    v = v * 10 + (s[*pos] - '0');
    (*pos)++;
    k++;
  }
  if (k == 0 || (width && k != width)) return false;
  *out = v;
  return true;
}

static bool parse_int(const uint8_t *s, int64_t n, qv_i128 *out) {
  trim(&s, &n);
  int64_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i == n) return false;
  qv_i128 v = 0;
  for (; i < n; i++) {
    if (!isdigit(s[i])) return false;
    if (v > ((qv_i128)1 << 100)) return false; /* far beyond any integer type: out of range */
    v = v * 10 + (s[i] - '0');
  }
  *out = neg ? -v : v;
  return true;
}

static bool parse_double(const uint8_t *s, int64_t n, double *out) {
  trim(&s, &n);
  if (n == 0 || n > 400) return false;
  char buf[401];
  memcpy(buf, s, (size_t)n);
  buf[n] = '\0';
  char *end = NULL;
  *out = strtod(buf, &end);
  return end == buf + n;
}

/* Decimal text to an unscaled value at `scale`. Returns 0 ok, 1 malformed,
 * 2 too large for `precision`. */
static int parse_decimal(const uint8_t *s, int64_t n, int32_t precision, int32_t scale, qv_i128 *out) {
  trim(&s, &n);
  int64_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  /* Significant digits (leading zeros dropped; the first 80 are plenty for
   * 38 digits and the rounding digit) and where the point falls. */
  char dig[80];
  int64_t nd = 0, n_digits = 0, lead_zeros = 0, point = -1, exp10 = 0;
  bool any = false;
  for (; i < n; i++) {
    uint8_t c = s[i];
    if (c == '.') {
      if (point >= 0) return 1;
      point = n_digits;
      continue;
    }
    if (!isdigit(c)) break;
    any = true;
    n_digits++;
    if (nd == 0 && c == '0') {
      lead_zeros++;
      continue;
    }
    if (nd < (int64_t)sizeof dig) dig[nd++] = (char)c;
  }
  if (point < 0) point = n_digits;
  if (!any) return 1;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    bool eneg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    int64_t e = 0;
    if (!digits(s, n, &i, 0, &e) || e > 1000) return 1;
    exp10 += eneg ? -e : e;
  }
  if (i != n) return 1;
  /* The value is 0.dig * 10^int_digits. */
  int64_t int_digits = point - lead_zeros + exp10;
  if (nd == 0) {
    *out = 0;
    return 0;
  }
  int64_t m = int_digits + scale; /* digits of the result before rounding */
  if (m > precision) return 2;
  qv_i128 v = 0;
  for (int64_t k = 0; k < m; k++) v = v * 10 + (k < nd ? dig[k] - '0' : 0);
  if (m >= 0 && m < nd && dig[m] >= '5') v += 1; /* half away from zero */
  if (v >= qv__pow10_i128(precision)) return 2;
  *out = neg ? -v : v;
  return 0;
}

static bool parse_bool(const uint8_t *s, int64_t n, bool *out) {
  trim(&s, &n);
  static const char *const t[] = {"true", "t", "yes", "y", "on", "1"};
  static const char *const f[] = {"false", "f", "no", "n", "off", "0"};
  for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
    if ((int64_t)strlen(t[k]) == n && strncasecmp((const char *)s, t[k], (size_t)n) == 0) {
      *out = true;
      return true;
    }
    if ((int64_t)strlen(f[k]) == n && strncasecmp((const char *)s, f[k], (size_t)n) == 0) {
      *out = false;
      return true;
    }
  }
  return false;
}

/* Date part at *pos: [-]Y+-MM-DD; days since the epoch. */
static bool parse_date_at(const uint8_t *s, int64_t n, int64_t *pos, int64_t *days) {
  bool neg = false;
  if (*pos < n && s[*pos] == '-') {
    neg = true;
    (*pos)++;
  }
  int64_t y, m, d;
  int64_t start = *pos;
  if (!digits(s, n, pos, 0, &y) || *pos - start > 7) return false;
  if (*pos >= n || s[*pos] != '-') return false;
  (*pos)++;
  if (!digits(s, n, pos, 2, &m) || *pos >= n || s[*pos] != '-') return false;
  (*pos)++;
  if (!digits(s, n, pos, 2, &d)) return false;
  if (neg) y = -y;
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, (int32_t)m)) return false;
  *days = qv__days_from_civil(y, (int32_t)m, (int32_t)d);
  return true;
}

bool qv__parse_date(const char *str, int64_t n, int32_t *days) {
  const uint8_t *s = (const uint8_t *)str;
  trim(&s, &n);
  int64_t pos = 0, d;
  if (!parse_date_at(s, n, &pos, &d) || pos != n || d < INT32_MIN || d > INT32_MAX) return false;
  *days = (int32_t)d;
  return true;
}

/* Timestamp text to a count of `unit` since the epoch (UTC). */
static bool parse_timestamp(const uint8_t *s, int64_t n, qv_time_unit unit, int64_t *out) {
  trim(&s, &n);
  int64_t pos = 0, days, hh = 0, mi = 0, ss = 0, frac = 0, offset_s = 0;
  if (!parse_date_at(s, n, &pos, &days)) return false;
  int64_t per_sec = qv__unit_per_second(unit);
  if (pos < n && (s[pos] == ' ' || s[pos] == 'T')) {
    pos++;
    if (!digits(s, n, &pos, 2, &hh) || pos >= n || s[pos] != ':') return false;
    pos++;
    if (!digits(s, n, &pos, 2, &mi)) return false;
    if (pos < n && s[pos] == ':') {
      pos++;
      if (!digits(s, n, &pos, 2, &ss)) return false;
      if (pos < n && s[pos] == '.') {
        pos++;
        int64_t scale = per_sec, k = 0;
        while (pos < n && isdigit(s[pos])) {
          if (scale > 1) {
            scale /= 10;
            frac += (s[pos] - '0') * scale;
          }
          pos++;
          k++;
        }
        if (k == 0) return false;
      }
    }
    if (hh > 24 || mi > 59 || ss > 60 || (hh == 24 && (mi || ss || frac))) return false;
    while (pos < n && s[pos] == ' ') pos++;
    if (pos < n && (s[pos] == 'Z' || s[pos] == 'z')) {
      pos++;
    } else if (pos + 3 <= n && strncasecmp((const char *)s + pos, "UTC", 3) == 0) {
      pos += 3;
    } else if (pos < n && (s[pos] == '+' || s[pos] == '-')) {
      bool neg = s[pos++] == '-';
      int64_t oh, om = 0;
      if (!digits(s, n, &pos, 2, &oh)) return false;
      if (pos < n && s[pos] == ':') pos++;
      if (pos < n && isdigit(s[pos]) && !digits(s, n, &pos, 2, &om)) return false;
      offset_s = (oh * 3600 + om * 60) * (neg ? -1 : 1);
    }
  }
  if (pos != n) return false;
  int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - offset_s, v;
  if (__builtin_mul_overflow(secs, per_sec, &v) || __builtin_add_overflow(v, frac, &v)) return false;
  *out = v;
  return true;
}

/* ---- CAST from strings ----------------------------------------------------------------- */

static qv_status parse_error(qv_status code, const uint8_t *p, int64_t len, const qv_data_type *to, qv_error *err) {
  char tb[64];
  int shown = len > 100 ? 100 : (int)len;
  return qv_error_set(err, code, "cast: cannot convert '%.*s'%s to %s%s", shown, (const char *)p,
                      len > 100 ? "..." : "", qv_type_to_string(to, tb, sizeof tb),
                      code == QV_OUT_OF_RANGE ? " (out of range)" : "");
}

static bool int_in_range(qv_i128 v, qv_type_id id) {
  int bits = qv_type_primitive(id)->byte_width * 8;
  if (qv_type_is_signed_integer(id)) return v >= -((qv_i128)1 << (bits - 1)) && v < ((qv_i128)1 << (bits - 1));
  return v >= 0 && v < ((qv_i128)1 << bits);
}

qv_status qv__cast_from_string(qv_allocator *alloc, qv_array *in, qv_data_type *to, qv_array **out, qv_error *err) {
  *out = NULL;
  int64_t n = in->length;
  qv_type_id t = to->id;
  qv_str_view v;
  qv__str_view_init(&v, in);
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  QV_RETURN_NOT_OK(qv__validity_of(alloc, in, &validity, &nulls, err));
  int64_t size = t == QV_BOOL ? (n + 7) / 8 : n * to->byte_width;
  qv_status st = qv__buffer_zeroed(alloc, size, &vals, err);
  uint8_t *dst = vals ? vals->data : NULL;
  for (int64_t i = 0; st == QV_OK && i < n; i++) {
    if (!qv_array_is_valid(in, i)) continue;
    int64_t len;
    const uint8_t *p = qv__str_at(&v, i, &len);
    bool ok = true;
    qv_status bad = QV_INVALID;
    switch (t) {
      case QV_BOOL: {
        bool b;
        ok = parse_bool(p, len, &b);
        if (ok && b) qv_bit_set(dst, i);
        break;
      }
      case QV_FLOAT32:
      case QV_FLOAT64: {
        double d;
        ok = parse_double(p, len, &d);
        if (ok && t == QV_FLOAT64) ((double *)dst)[i] = d;
        if (ok && t == QV_FLOAT32) {
          if (isfinite(d) && fabs(d) > 3.4028234663852886e38) {
            ok = false;
            bad = QV_OUT_OF_RANGE;
          }
          ((float *)dst)[i] = (float)d;
        }
        break;
      }
      case QV_DECIMAL128: {
        qv_i128 d = 0;
        int r = parse_decimal(p, len, to->precision, to->scale, &d);
        ok = r == 0;
        if (r == 2) bad = QV_OUT_OF_RANGE;
        if (ok) qv__dec_store(dst, i, d);
        break;
      }
      case QV_DATE32: {
        int32_t d;
        ok = qv__parse_date((const char *)p, len, &d);
        if (ok) ((int32_t *)dst)[i] = d;
        break;
      }
      case QV_TIMESTAMP: {
        int64_t ts;
        ok = parse_timestamp(p, len, to->unit, &ts);
        if (ok) ((int64_t *)dst)[i] = ts;
        break;
      }
      default: {
        qv_i128 x;
        ok = parse_int(p, len, &x);
        if (ok && !int_in_range(x, t)) {
          ok = false;
          bad = QV_OUT_OF_RANGE;
        }
        if (!ok) break;
        switch (t) {
          case QV_INT8: ((int8_t *)dst)[i] = (int8_t)x; break;
          case QV_INT16: ((int16_t *)dst)[i] = (int16_t)x; break;
          case QV_INT32: ((int32_t *)dst)[i] = (int32_t)x; break;
          case QV_INT64: ((int64_t *)dst)[i] = (int64_t)x; break;
          case QV_UINT8: ((uint8_t *)dst)[i] = (uint8_t)x; break;
          case QV_UINT16: ((uint16_t *)dst)[i] = (uint16_t)x; break;
          case QV_UINT32: ((uint32_t *)dst)[i] = (uint32_t)x; break;
          default: ((uint64_t *)dst)[i] = (uint64_t)x; break;
        }
      }
    }
    if (!ok) st = parse_error(bad, p, len, to, err);
  }
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    qv_buffer_unref(vals);
    return st;
  }
  return qv__array_from_buffers(to, n, validity, nulls, vals, out, err);
}

/* ---- printing -------------------------------------------------------------------------------- */

static int format_double(double x, bool single, char *buf, size_t size) {
  if (isnan(x)) return snprintf(buf, size, "NaN");
  if (isinf(x)) return snprintf(buf, size, x < 0 ? "-inf" : "inf");
  /* Whole numbers print as integers; others in the shortest %g form that
   * reads back to the same value. */
  if (x == floor(x) && fabs(x) < 1e15) return snprintf(buf, size, "%.0f", x);
  int max_digits = single ? 9 : 17;
  for (int p = 1; p <= max_digits; p++) {
    int len = snprintf(buf, size, "%.*g", p, x);
    double back = strtod(buf, NULL);
    if (single ? (float)back == (float)x : back == x) return len;
  }
  return snprintf(buf, size, "%.17g", x);
}

static int format_date(int64_t days, char *buf, size_t size) {
  int64_t y;
  int32_t m, d;
  qv__civil_from_days(days, &y, &m, &d);
  return snprintf(buf, size, "%04lld-%02d-%02d", (long long)y, m, d);
}

static int format_timestamp(int64_t v, qv_time_unit unit, char *buf, size_t size) {
  int64_t per_sec = qv__unit_per_second(unit);
  int64_t secs = v / per_sec, frac = v % per_sec;
  if (frac < 0) {
    frac += per_sec;
    secs--;
  }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  int len = format_date(days, buf, size);
  if (len < 0 || (size_t)len >= size) return len;
  len += snprintf(buf + len, size - (size_t)len, " %02d:%02d:%02d", (int)(rem / 3600), (int)(rem / 60 % 60),
                  (int)(rem % 60));
  if (frac && (size_t)len < size) {
    int width = unit == QV_MILLI ? 3 : unit == QV_MICRO ? 6 : 9;
    char f[16];
    snprintf(f, sizeof f, "%0*lld", width, (long long)frac);
    int fl = width;
    while (fl > 1 && f[fl - 1] == '0') fl--;
    len += snprintf(buf + len, size - (size_t)len, ".%.*s", fl, f);
  }
  return len;
}

/* Row i (offset applied) of a non-string scalar type as text. */
static int format_row(const qv_array *a, int64_t i, char *buf, size_t size) {
  const uint8_t *p = qv__array_data(a, 1);
  int64_t k = a->offset + i;
  switch (a->type->id) {
    case QV_BOOL: return snprintf(buf, size, "%s", qv_bit_get(p, k) ? "true" : "false");
    case QV_INT8: return snprintf(buf, size, "%d", ((const int8_t *)p)[k]);
    case QV_INT16: return snprintf(buf, size, "%d", ((const int16_t *)p)[k]);
    case QV_INT32: return snprintf(buf, size, "%d", ((const int32_t *)p)[k]);
    case QV_INT64: return snprintf(buf, size, "%lld", (long long)((const int64_t *)p)[k]);
    case QV_UINT8: return snprintf(buf, size, "%u", ((const uint8_t *)p)[k]);
    case QV_UINT16: return snprintf(buf, size, "%u", ((const uint16_t *)p)[k]);
    case QV_UINT32: return snprintf(buf, size, "%u", ((const uint32_t *)p)[k]);
    case QV_UINT64: return snprintf(buf, size, "%llu", (unsigned long long)((const uint64_t *)p)[k]);
    case QV_FLOAT32: return format_double(((const float *)p)[k], true, buf, size);
    case QV_FLOAT64: return format_double(((const double *)p)[k], false, buf, size);
    case QV_DECIMAL128: return qv__dec_format(qv__dec_load(p, k), a->type->scale, buf, size);
    case QV_DATE32: return format_date(((const int32_t *)p)[k], buf, size);
    case QV_TIMESTAMP: return format_timestamp(((const int64_t *)p)[k], a->type->unit, buf, size);
    default: {
      char tb[64];
      return snprintf(buf, size, "<%s>", qv_type_to_string(a->type, tb, sizeof tb));
    }
  }
}

void qv__format_value(const qv_array *a, int64_t i, char *buf, size_t size) {
  if (!size) return;
  buf[0] = '\0';
  if (a->type->id == QV_NA || !qv_array_is_valid(a, i)) {
    snprintf(buf, size, "NULL");
    return;
  }
  if (a->type->id == QV_DICTIONARY) {
    int64_t *idx = NULL;
    qv_array *one = NULL;
    if (qv_array_slice((qv_array *)a, i, 1, &one, NULL) == QV_OK && qv__dictionary_indices(one, &idx, NULL) == QV_OK)
      qv__format_value(a->dictionary, idx[0], buf, size);
    free(idx);
    qv_array_unref(one);
    return;
  }
  if (qv_type_is_binary_like(a->type->id)) {
    qv_str_view v;
    qv__str_view_init(&v, a);
    int64_t len;
    const uint8_t *p = qv__str_at(&v, i, &len);
    int shown = len > 100 ? 100 : (int)len;
    snprintf(buf, size, "%.*s%s", shown, (const char *)p, len > 100 ? "..." : "");
    return;
  }
  (void)format_row(a, i, buf, size);
}

qv_status qv__cast_to_string(qv_allocator *alloc, qv_array *in, qv_data_type *to, qv_array **out, qv_error *err) {
  *out = NULL;
  int64_t n = in->length;
  qv_buffer *validity = NULL;
  int64_t nulls = 0;
  QV_RETURN_NOT_OK(qv__validity_of(alloc, in, &validity, &nulls, err));
  qv_str_builder b;
  qv_status st = qv__str_builder_init(&b, alloc, to, n, n * 8, err);
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    return st;
  }
  for (int64_t i = 0; st == QV_OK && i < n; i++) {
    char buf[128];
    int len = 0;
    if (qv_array_is_valid(in, i)) len = format_row(in, i, buf, sizeof buf);
    if (len < 0) len = 0;
    if (len >= (int)sizeof buf) len = (int)sizeof buf - 1;
    st = qv__str_builder_append(&b, buf, len, err);
  }
  if (st != QV_OK) {
    qv__str_builder_reset(&b);
    qv_buffer_unref(validity);
    return st;
  }
  return qv__str_builder_finish(&b, validity, nulls, out, err);
}
