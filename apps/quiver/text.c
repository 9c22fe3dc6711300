/* Value text for the CSV and JSON outputs of `quiver cat`: ISO 8601 dates,
 * times and timestamps, decimals with their scale, floats in the shortest
 * form that reads back exactly, binary as lowercase hex, and nested values
 * as JSON. Strings are written as they are (CSV; the sink quotes) or
 * JSON-escaped. Types without a rule here fall back to qv_format_value. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "cli.h"
#include "quiver/pretty.h"

static qv_status put(qv_bytes *out, const char *s, qv_error *err) { return qv_bytes_append(out, s, (int64_t)strlen(s), err); }

static qv_status putf(qv_bytes *out, qv_error *err, const char *fmt, ...) QV_PRINTF(3, 4);
static qv_status putf(qv_bytes *out, qv_error *err, const char *fmt, ...) {
  char tmp[160];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return qv_error_set(err, QV_INTERNAL, "format failed");
  return qv_bytes_append(out, tmp, n < (int)sizeof tmp ? n : (int)sizeof tmp - 1, err);
}

/* ---- numbers -------------------------------------------------------------------- */

/* Appends ".0" to integral text ("1", "-0") so that it reads as a float. */
static void mark_float(char *buf, size_t size) {
  size_t n = strlen(buf);
  if (strpbrk(buf, ".eEnN") == NULL && n + 3 <= size) memcpy(buf + n, ".0", 3);
}

void qv__cli_format_double(double v, char *buf, size_t size) {
  if (isnan(v)) {
    snprintf(buf, size, "NaN");
    return;
  }
  if (isinf(v)) {
    snprintf(buf, size, v > 0 ? "Infinity" : "-Infinity");
    return;
  }
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, size, "%.*g", p, v);
    if (strtod(buf, NULL) == v) break;
  }
  mark_float(buf, size);
}

void qv__cli_format_float(float v, char *buf, size_t size) {
  if (isnan(v) || isinf(v)) {
    qv__cli_format_double(v, buf, size);
    return;
  }
  for (int p = 1; p <= 9; p++) {
    snprintf(buf, size, "%.*g", p, (double)v);
    if (strtof(buf, NULL) == v) break;
  }
  mark_float(buf, size);
}

static double half_to_double(uint16_t h) {
  int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  double v;
  if (exp == 0) v = ldexp(man, -24);
  else if (exp == 31) v = man ? NAN : INFINITY;
  else v = ldexp(man | 0x400, exp - 25);
  return sign ? -v : v;
}


/* ---- dates and times ------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/* Days since 1970-01-01 to a proleptic Gregorian date. */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
  days += 719468;
  int64_t era = floor_div(days, 146097);
  unsigned doe = (unsigned)(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static qv_status put_date(qv_bytes *out, int64_t days, qv_error *err) {
  int64_t y;
  unsigned m, d;
  civil(days, &y, &m, &d);
  if (y < 0) return putf(out, err, "-%04" PRId64 "-%02u-%02u", -y, m, d);
  return putf(out, err, "%04" PRId64 "-%02u-%02u", y, m, d);
}

static const int64_t per_second[] = {1, 1000, 1000000, 1000000000};
static const int frac_digits[] = {0, 3, 6, 9};

static qv_status put_clock(qv_bytes *out, int64_t secs_of_day, int64_t frac, qv_time_unit unit, qv_error *err) {
  QV_RETURN_NOT_OK(putf(out, err, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, secs_of_day / 3600, secs_of_day / 60 % 60,
                        secs_of_day % 60));
  if (unit != QV_SECOND) QV_RETURN_NOT_OK(putf(out, err, ".%0*" PRId64, frac_digits[unit], frac));
  return QV_OK;
}

static qv_status put_timestamp(qv_bytes *out, int64_t v, qv_time_unit unit, const char *tz, qv_error *err) {
  int64_t per = per_second[unit];
  int64_t secs = floor_div(v, per), frac = v - secs * per;
  int64_t days = floor_div(secs, 86400), sod = secs - days * 86400;
  QV_RETURN_NOT_OK(put_date(out, days, err));
  QV_RETURN_NOT_OK(put(out, "T", err));
  QV_RETURN_NOT_OK(put_clock(out, sod, frac, unit, err));
  return tz ? put(out, "Z", err) : QV_OK;
}

static qv_status put_time(qv_bytes *out, int64_t v, qv_time_unit unit, qv_error *err) {
  int64_t per = per_second[unit];
  int64_t secs = floor_div(v, per), frac = v - secs * per;
  return put_clock(out, secs, frac, unit, err);
}

/* ---- strings ------------------------------------------------------------------------ */

static qv_status put_hex(qv_bytes *out, const uint8_t *p, int64_t n, qv_error *err) {
  static const char hex[] = "0123456789abcdef";
  QV_RETURN_NOT_OK(qv_bytes_reserve(out, 2 * n, err));
  for (int64_t i = 0; i < n; i++) {
    out->data[out->size++] = (uint8_t)hex[p[i] >> 4];
    out->data[out->size++] = (uint8_t)hex[p[i] & 15];
  }
  return QV_OK;
}

static qv_status put_json_string(qv_bytes *out, const uint8_t *p, int64_t n, qv_error *err) {
  QV_RETURN_NOT_OK(qv_bytes_reserve(out, n + 2, err));
  out->data[out->size++] = '"';
  int64_t start = 0;
  for (int64_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    QV_RETURN_NOT_OK(qv_bytes_append(out, p + start, i - start, err));
    start = i + 1;
    switch (c) {
      case '"': QV_RETURN_NOT_OK(put(out, "\\\"", err)); break;
      case '\\': QV_RETURN_NOT_OK(put(out, "\\\\", err)); break;
      case '\n': QV_RETURN_NOT_OK(put(out, "\\n", err)); break;
      case '\r': QV_RETURN_NOT_OK(put(out, "\\r", err)); break;
      case '\t': QV_RETURN_NOT_OK(put(out, "\\t", err)); break;
      default: QV_RETURN_NOT_OK(putf(out, err, "\\u%04x", c));
    }
  }
  QV_RETURN_NOT_OK(qv_bytes_append(out, p + start, n - start, err));
  return put(out, "\"", err);
}

/* ---- values ------------------------------------------------------------------------ */

static int64_t offset_at(const qv_array *a, int64_t k, bool large) {
  const uint8_t *p = qv__array_data(a, 1);
  return large ? ((const int64_t *)p)[k] : ((const int32_t *)p)[k];
}

static int64_t dict_index(const qv_array *a, int64_t k) {
  const uint8_t *p = qv__array_data(a, 1);
  switch (a->type->dict_index->id) {
    case QV_INT8: return ((const int8_t *)p)[k];
    case QV_UINT8: return p[k];
    case QV_INT16: return ((const int16_t *)p)[k];
    case QV_UINT16: return ((const uint16_t *)p)[k];
    case QV_INT32: return ((const int32_t *)p)[k];
    case QV_UINT32: return ((const uint32_t *)p)[k];
    default: return ((const int64_t *)p)[k];
  }
}

/* Appends slot i of a: as JSON when json, else as CSV field text. */
static qv_status put_value(const qv_array *a, int64_t i, bool json, qv_bytes *out, qv_error *err) {
  const qv_data_type *t = a->type;
  if (t->id != QV_SPARSE_UNION && t->id != QV_DENSE_UNION && !qv_array_is_valid(a, i))
    return json ? put(out, "null", err) : QV_OK;
  int64_t k = a->offset + i;
  const uint8_t *v = qv__array_data(a, 1);
  char buf[64];
  switch (t->id) {
    case QV_NA: return json ? put(out, "null", err) : QV_OK;
    case QV_BOOL: return put(out, qv_bit_get(v, k) ? "true" : "false", err);
    case QV_INT8: return putf(out, err, "%d", ((const int8_t *)v)[k]);
    case QV_INT16: return putf(out, err, "%d", ((const int16_t *)v)[k]);
    case QV_INT32: return putf(out, err, "%" PRId32, ((const int32_t *)v)[k]);
    case QV_INT64: return putf(out, err, "%" PRId64, ((const int64_t *)v)[k]);
    case QV_UINT8: return putf(out, err, "%u", v[k]);
    case QV_UINT16: return putf(out, err, "%u", ((const uint16_t *)v)[k]);
    case QV_UINT32: return putf(out, err, "%" PRIu32, ((const uint32_t *)v)[k]);
    case QV_UINT64: return putf(out, err, "%" PRIu64, ((const uint64_t *)v)[k]);
    case QV_DURATION: return putf(out, err, "%" PRId64, ((const int64_t *)v)[k]);
    case QV_FLOAT16: {
      double d = half_to_double(((const uint16_t *)v)[k]);
      qv__cli_format_float((float)d, buf, sizeof buf);
      return put(out, buf, err);
    }
    case QV_FLOAT32: qv__cli_format_float(((const float *)v)[k], buf, sizeof buf); return put(out, buf, err);
    case QV_FLOAT64: qv__cli_format_double(((const double *)v)[k], buf, sizeof buf); return put(out, buf, err);
    case QV_DECIMAL128: return qv_format_decimal(out, v + k * 16, 2, t->scale, err);
    case QV_DECIMAL256: return qv_format_decimal(out, v + k * 32, 4, t->scale, err);
    default: break;
  }
  /* Everything else is a string in JSON. */
  qv_bytes text;
  /* In JSON, scalars that are not numbers are strings; nested values are not. */
  bool quote = json && t->id != QV_LIST && t->id != QV_LARGE_LIST && t->id != QV_FIXED_SIZE_LIST &&
               t->id != QV_MAP && t->id != QV_STRUCT;
  switch (t->id) {
    case QV_UTF8: case QV_LARGE_UTF8: case QV_BINARY: case QV_LARGE_BINARY: case QV_FIXED_SIZE_BINARY: {
      const uint8_t *data;
      int64_t s, e;
      if (t->id == QV_FIXED_SIZE_BINARY) {
        data = v;
        s = k * t->byte_width;
        e = s + t->byte_width;
      } else {
        bool large = t->id == QV_LARGE_UTF8 || t->id == QV_LARGE_BINARY;
        data = qv__array_data(a, 2);
        s = offset_at(a, k, large);
        e = offset_at(a, k + 1, large);
      }
      if (t->id == QV_UTF8 || t->id == QV_LARGE_UTF8)
        return json ? put_json_string(out, data + s, e - s, err) : qv_bytes_append(out, data + s, e - s, err);
      if (json) QV_RETURN_NOT_OK(put(out, "\"", err));
      QV_RETURN_NOT_OK(put_hex(out, data + s, e - s, err));
      return json ? put(out, "\"", err) : QV_OK;
    }
    case QV_LIST: case QV_LARGE_LIST: case QV_FIXED_SIZE_LIST: case QV_MAP: case QV_STRUCT:
      if (!json) { /* nested values in a CSV field: their JSON text */
        qv_bytes_init(&text, out->alloc);
        qv_status st = put_value(a, i, true, &text, err);
        if (st == QV_OK) st = qv_bytes_append(out, text.data, text.size, err);
        qv_bytes_reset(&text);
        return st;
      }
      break;
    case QV_DICTIONARY: return put_value(a->dictionary, dict_index(a, k), json, out, err);
    default: break;
  }
  if (quote) QV_RETURN_NOT_OK(put(out, "\"", err));
  qv_status st = QV_OK;
  switch (t->id) {
    case QV_DATE32: st = put_date(out, ((const int32_t *)v)[k], err); break;
    case QV_DATE64: st = put_date(out, floor_div(((const int64_t *)v)[k], 86400000), err); break;
    case QV_TIME32: st = put_time(out, ((const int32_t *)v)[k], t->unit, err); break;
    case QV_TIME64: st = put_time(out, ((const int64_t *)v)[k], t->unit, err); break;
    case QV_TIMESTAMP: st = put_timestamp(out, ((const int64_t *)v)[k], t->unit, t->timezone, err); break;
    case QV_LIST: case QV_LARGE_LIST: case QV_FIXED_SIZE_LIST: {
      int64_t s, e;
      if (t->id == QV_FIXED_SIZE_LIST) {
        s = k * t->list_size;
        e = s + t->list_size;
      } else {
        s = offset_at(a, k, t->id == QV_LARGE_LIST);
        e = offset_at(a, k + 1, t->id == QV_LARGE_LIST);
      }
      st = put(out, "[", err);
      for (int64_t j = s; j < e && st == QV_OK; j++) {
        if (j > s) st = put(out, ",", err);
        if (st == QV_OK) st = put_value(a->children[0], j, true, out, err);
      }
      if (st == QV_OK) st = put(out, "]", err);
      return st;
    }
    case QV_MAP: {
      const qv_array *entries = a->children[0];
      int64_t s = offset_at(a, k, false), e = offset_at(a, k + 1, false);
      st = put(out, "[", err);
      for (int64_t j = s; j < e && st == QV_OK; j++) {
        int64_t slot = entries->offset + j; /* struct children are not sliced with the struct */
        st = put(out, j > s ? ",{\"key\":" : "{\"key\":", err);
        if (st == QV_OK) st = put_value(entries->children[0], slot, true, out, err);
        if (st == QV_OK) st = put(out, ",\"value\":", err);
        if (st == QV_OK) st = put_value(entries->children[1], slot, true, out, err);
        if (st == QV_OK) st = put(out, "}", err);
      }
      if (st == QV_OK) st = put(out, "]", err);
      return st;
    }
    case QV_STRUCT:
      st = put(out, "{", err);
      for (int32_t c = 0; c < t->n_children && st == QV_OK; c++) {
        if (c) st = put(out, ",", err);
        const char *name = t->children[c]->name;
        if (st == QV_OK) st = put_json_string(out, (const uint8_t *)name, (int64_t)strlen(name), err);
        if (st == QV_OK) st = put(out, ":", err);
        if (st == QV_OK) st = put_value(a->children[c], k, true, out, err);
      }
      if (st == QV_OK) st = put(out, "}", err);
      return st;
    default:
      qv_bytes_init(&text, out->alloc);
      st = qv_format_value(a, i, &text, err);
      if (st == QV_OK)
        st = json ? put_json_string(out, text.data, text.size, err) : qv_bytes_append(out, text.data, text.size, err);
      qv_bytes_reset(&text);
      return st;
  }
  if (st == QV_OK && quote) st = put(out, "\"", err);
  return st;
}

qv_status qv__cli_append_text(const qv_array *a, int64_t i, qv_bytes *out, qv_error *err) {
  return put_value(a, i, false, out, err);
}

qv_status qv__cli_append_json(const qv_array *a, int64_t i, qv_bytes *out, qv_error *err) {
  return put_value(a, i, true, out, err);
}
