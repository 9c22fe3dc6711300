/* Text forms of Arrow values for the CSV and JSON Lines writers.
 *
 * Where the pretty printer (quiver/pretty.h) already writes the form we want
 * (decimals with their scale, dates, times, binary as hex, intervals) this
 * file calls qv_format_value; it differs for floats (shortest round-trip form
 * instead of 17 digits), timestamps with a time zone (the UTC instant and 'Z'
 * instead of a "[zone]" suffix), integers (a direct conversion, the common
 * case) and nested values (JSON instead of the pretty printer's
 * {name: value} notation). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "io/text_format.h"
#include "quiver/pretty.h"

static qv_status append_str(qv_bytes *out, const char *s, qv_error *err) {
  return qv_bytes_append(out, s, (int64_t)strlen(s), err);
}

static qv_status append_byte(qv_bytes *out, char c, qv_error *err) { return qv_bytes_append(out, &c, 1, err); }

static qv_status append_i64(qv_bytes *out, int64_t v, qv_error *err) {
  char buf[24];
  int p = (int)sizeof buf;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    buf[--p] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) buf[--p] = '-';
  return qv_bytes_append(out, buf + p, (int64_t)sizeof buf - p, err);
}

static qv_status append_u64(qv_bytes *out, uint64_t u, qv_error *err) {
  char buf[24];
  int p = (int)sizeof buf;
  do {
    buf[--p] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  return qv_bytes_append(out, buf + p, (int64_t)sizeof buf - p, err);
}

/* Writes v with `digits` significant digits the way Python's repr does:
 * positional notation for decimal exponents in [-4, 16) with at least one
 * fractional digit ("100.0", "0.0001"), scientific notation otherwise
 * ("1e+22", "1.5e-07"). */
static qv_status append_digits(qv_bytes *out, double v, int digits, qv_error *err) {
  char buf[512];
  snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
  const char *e = strchr(buf, 'e');
  int exp10 = e ? atoi(e + 1) : 0;
  if (exp10 < -4 || exp10 >= 16) return append_str(out, buf, err);
  int decimals = digits - 1 - exp10;
  snprintf(buf, sizeof buf, "%.*f", decimals > 0 ? decimals : 0, v);
  QV_RETURN_NOT_OK(append_str(out, buf, err));
  return decimals > 0 ? QV_OK : append_str(out, ".0", err);
}

qv_status qv__text_append_double(qv_bytes *out, double v, qv_error *err) {
  if (isnan(v)) return append_str(out, "NaN", err);
  if (isinf(v)) return append_str(out, v > 0 ? "inf" : "-inf", err);
  char buf[40];
  /* The fewest significant digits that read back exactly; 17 always do. */
  int digits = 1;
  for (; digits < 17; digits++) {
    snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
    if (strtod(buf, NULL) == v) break;
  }
  return append_digits(out, v, digits, err);
}

qv_status qv__text_append_float(qv_bytes *out, float v, qv_error *err) {
  if (isnan(v)) return append_str(out, "NaN", err);
  if (isinf(v)) return append_str(out, v > 0 ? "inf" : "-inf", err);
  char buf[40];
  int digits = 1;
  for (; digits < 9; digits++) {
    snprintf(buf, sizeof buf, "%.*e", digits - 1, (double)v);
    if (strtof(buf, NULL) == v) break;
  }
  return append_digits(out, (double)v, digits, err);
}

static float half_to_float(uint16_t h) {
  unsigned exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  float v;
  if (exp == 0) v = ldexpf((float)mant, -24);
  else if (exp == 31) v = mant ? NAN : INFINITY;
  else v = ldexpf((float)(mant | 0x400), (int)exp - 25);
  return (h & 0x8000) ? -v : v;
}

static int64_t dict_index(const qv_array *a, int64_t i) {
  const uint8_t *p = qv__array_data(a, 1);
  int64_t k = a->offset + i;
  switch (a->type->dict_index->id) {
    case QV_INT8: return ((const int8_t *)p)[k];
    case QV_UINT8: return p[k];
    case QV_INT16: return ((const int16_t *)(const void *)p)[k];
    case QV_UINT16: return ((const uint16_t *)(const void *)p)[k];
    case QV_INT32: return ((const int32_t *)(const void *)p)[k];
    case QV_UINT32: return ((const uint32_t *)(const void *)p)[k];
    default: return ((const int64_t *)(const void *)p)[k];
  }
}

/* Offsets entry j (absolute) of a list-like or binary-like array. */
static int64_t offset_at(const qv_array *a, int64_t j, bool large) {
  const uint8_t *p = qv__array_data(a, 1);
  return large ? ((const int64_t *)(const void *)p)[j] : ((const int32_t *)(const void *)p)[j];
}

/* The union child and child slot selected by slot i. */
static const qv_array *union_child(const qv_array *a, int64_t i, int64_t *slot) {
  const qv_data_type *t = a->type;
  int64_t k = a->offset + i;
  int8_t code = ((const int8_t *)qv__array_data(a, 0))[k];
  *slot = t->id == QV_DENSE_UNION ? ((const int32_t *)(const void *)qv__array_data(a, 1))[k] : k;
  for (int32_t c = 0; c < t->n_children; c++)
    if (t->type_codes[c] == code) return a->children[c];
  return NULL;
}

bool qv__text_is_null(const qv_array *a, int64_t i) {
  qv_type_id id = a->type->id;
  if (id == QV_SPARSE_UNION || id == QV_DENSE_UNION) {
    int64_t slot;
    const qv_array *child = union_child(a, i, &slot);
    return !child || qv__text_is_null(child, slot);
  }
  if (id == QV_NA || !qv_array_is_valid(a, i)) return true;
  return id == QV_DICTIONARY && qv__text_is_null(a->dictionary, dict_index(a, i));
}

qv_status qv__text_append_value(const qv_array *a, int64_t i, qv_bytes *out, qv_error *err) {
  const qv_data_type *t = a->type;
  int64_t k = a->offset + i;
  const uint8_t *v = qv__array_data(a, 1);
  switch (t->id) {
    case QV_INT8: return append_i64(out, ((const int8_t *)v)[k], err);
    case QV_INT16: return append_i64(out, ((const int16_t *)(const void *)v)[k], err);
    case QV_INT32: return append_i64(out, ((const int32_t *)(const void *)v)[k], err);
    case QV_INT64: return append_i64(out, ((const int64_t *)(const void *)v)[k], err);
    case QV_UINT8: return append_u64(out, v[k], err);
    case QV_UINT16: return append_u64(out, ((const uint16_t *)(const void *)v)[k], err);
    case QV_UINT32: return append_u64(out, ((const uint32_t *)(const void *)v)[k], err);
    case QV_UINT64: return append_u64(out, ((const uint64_t *)(const void *)v)[k], err);
    case QV_FLOAT16: return qv__text_append_float(out, half_to_float(((const uint16_t *)(const void *)v)[k]), err);
    case QV_FLOAT32: return qv__text_append_float(out, ((const float *)(const void *)v)[k], err);
    case QV_FLOAT64: return qv__text_append_double(out, ((const double *)(const void *)v)[k], err);
    case QV_TIMESTAMP: {
      int64_t before = out->size;
      QV_RETURN_NOT_OK(qv_format_value(a, i, out, err));
      if (!t->timezone) return QV_OK;
      /* qv_format_value appends "[zone]" to the UTC instant: write 'Z'. */
      int64_t suffix = (int64_t)strlen(t->timezone) + 2;
      if (out->size - before > suffix && out->data[out->size - suffix] == '[') out->size -= suffix;
      return append_byte(out, 'Z', err);
    }
    case QV_UTF8: case QV_LARGE_UTF8: {
      bool large = t->id == QV_LARGE_UTF8;
      int64_t s = offset_at(a, k, large), e = offset_at(a, k + 1, large);
      return qv_bytes_append(out, qv__array_data(a, 2) + s, e - s, err);
    }
    case QV_LIST: case QV_LARGE_LIST: case QV_FIXED_SIZE_LIST: case QV_STRUCT: case QV_MAP:
      return qv__json_append_value(a, i, out, err);
    case QV_SPARSE_UNION: case QV_DENSE_UNION: {
      int64_t slot;
      const qv_array *child = union_child(a, i, &slot);
      if (!child) return qv_error_set(err, QV_INVALID, "text: union slot with an unknown type id");
      /* A null child slot is an empty field, like any null. */
      return qv_array_is_valid(child, slot) ? qv__text_append_value(child, slot, out, err) : QV_OK;
    }
    case QV_DICTIONARY: return qv__text_append_value(a->dictionary, dict_index(a, i), out, err);
    default: return qv_format_value(a, i, out, err);
  }
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if none. */
static int utf8_sequence(const uint8_t *s, int64_t n) {
  uint8_t c = s[0];
  int len;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1Fu, min = 0x80;
  else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0Fu, min = 0x800;
  else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07u, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  for (int k = 1; k < len; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

qv_status qv__json_append_string(qv_bytes *out, const uint8_t *s, int64_t n, qv_error *err) {
  if (n == 0) return qv_bytes_append(out, "\"\"", 2, err); /* s may be NULL */
  QV_RETURN_NOT_OK(qv_bytes_reserve(out, n + 2, err));
  QV_RETURN_NOT_OK(append_byte(out, '"', err));
  int64_t run = 0; /* start of the pending run of bytes copied as they are */
  for (int64_t i = 0; i < n;) {
    uint8_t c = s[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      i++;
      continue;
    }
    if (c >= 0x80) {
      int len = utf8_sequence(s + i, n - i);
      if (len) {
        i += len;
        continue;
      }
    }
    QV_RETURN_NOT_OK(qv_bytes_append(out, s + run, i - run, err));
    char esc[8];
    switch (c) {
      case '"': strcpy(esc, "\\\""); break;
      case '\\': strcpy(esc, "\\\\"); break;
      case '\n': strcpy(esc, "\\n"); break;
      case '\r': strcpy(esc, "\\r"); break;
      case '\t': strcpy(esc, "\\t"); break;
      case '\b': strcpy(esc, "\\b"); break;
      case '\f': strcpy(esc, "\\f"); break;
      default:
        if (c < 0x20) snprintf(esc, sizeof esc, "\\u%04x", c);
        else strcpy(esc, "\xEF\xBF\xBD"); /* U+FFFD for a byte that starts no valid sequence */
        break;
    }
    QV_RETURN_NOT_OK(append_str(out, esc, err));
    run = ++i;
  }
  QV_RETURN_NOT_OK(qv_bytes_append(out, s + run, n - run, err));
  return append_byte(out, '"', err);
}

/* The CSV text of a slot written as a JSON string. */
static qv_status append_text_as_string(const qv_array *a, int64_t i, qv_bytes *out, qv_error *err) {
  qv_bytes tmp;
  qv_bytes_init(&tmp, out->alloc);
  qv_status st = qv__text_append_value(a, i, &tmp, err);
  if (st == QV_OK) st = qv__json_append_string(out, tmp.data, tmp.size, err);
  qv_bytes_reset(&tmp);
  return st;
}

qv_status qv__json_append_value(const qv_array *a, int64_t i, qv_bytes *out, qv_error *err) {
  const qv_data_type *t = a->type;
  int64_t k = a->offset + i;
  if (t->id == QV_SPARSE_UNION || t->id == QV_DENSE_UNION) {
    int64_t slot;
    const qv_array *child = union_child(a, i, &slot);
    if (!child) return qv_error_set(err, QV_INVALID, "json: union slot with an unknown type id");
    return qv__json_append_value(child, slot, out, err);
  }
  if (t->id == QV_NA || !qv_array_is_valid(a, i)) return append_str(out, "null", err);
  switch (t->id) {
    case QV_BOOL:
    case QV_INT8: case QV_INT16: case QV_INT32: case QV_INT64:
    case QV_UINT8: case QV_UINT16: case QV_UINT32: case QV_UINT64:
    case QV_DECIMAL128: case QV_DECIMAL256:
      return qv__text_append_value(a, i, out, err);
    case QV_FLOAT16: case QV_FLOAT32: case QV_FLOAT64: {
      int64_t before = out->size;
      QV_RETURN_NOT_OK(qv__text_append_value(a, i, out, err));
      uint8_t first = out->data[before] == '-' ? out->data[before + 1] : out->data[before];
      if (first >= '0' && first <= '9') return QV_OK;
      /* NaN and the infinities are not JSON numbers: quote them. */
      char text[8];
      int64_t n = out->size - before;
      memcpy(text, out->data + before, (size_t)n);
      out->size = before;
      return qv__json_append_string(out, (const uint8_t *)text, n, err);
    }
    case QV_UTF8: case QV_LARGE_UTF8: {
      bool large = t->id == QV_LARGE_UTF8;
      int64_t s = offset_at(a, k, large), e = offset_at(a, k + 1, large);
      return qv__json_append_string(out, qv__array_data(a, 2) + s, e - s, err);
    }
    case QV_DICTIONARY: return qv__json_append_value(a->dictionary, dict_index(a, i), out, err);
    case QV_LIST: case QV_LARGE_LIST: case QV_FIXED_SIZE_LIST: {
      int64_t s, e;
      if (t->id == QV_FIXED_SIZE_LIST) {
        s = k * t->list_size;
        e = s + t->list_size;
      } else {
        s = offset_at(a, k, t->id == QV_LARGE_LIST);
        e = offset_at(a, k + 1, t->id == QV_LARGE_LIST);
      }
      QV_RETURN_NOT_OK(append_byte(out, '[', err));
      for (int64_t j = s; j < e; j++) {
        if (j > s) QV_RETURN_NOT_OK(append_byte(out, ',', err));
        QV_RETURN_NOT_OK(qv__json_append_value(a->children[0], j, out, err));
      }
      return append_byte(out, ']', err);
    }
    case QV_STRUCT:
      QV_RETURN_NOT_OK(append_byte(out, '{', err));
      for (int32_t c = 0; c < t->n_children; c++) {
        if (c) QV_RETURN_NOT_OK(append_byte(out, ',', err));
        const char *name = t->children[c]->name;
        QV_RETURN_NOT_OK(qv__json_append_string(out, (const uint8_t *)name, (int64_t)strlen(name), err));
        QV_RETURN_NOT_OK(append_byte(out, ':', err));
        QV_RETURN_NOT_OK(qv__json_append_value(a->children[c], k, out, err));
      }
      return append_byte(out, '}', err);
    case QV_MAP: {
      const qv_array *entries = a->children[0];
      int64_t s = offset_at(a, k, false), e = offset_at(a, k + 1, false);
      QV_RETURN_NOT_OK(append_byte(out, '{', err));
      for (int64_t j = s; j < e; j++) {
        if (j > s) QV_RETURN_NOT_OK(append_byte(out, ',', err));
        const qv_array *key = entries->children[0];
        int64_t kj = entries->offset + j;
        if (!qv_array_is_valid(key, kj)) QV_RETURN_NOT_OK(append_str(out, "\"null\"", err));
        else QV_RETURN_NOT_OK(append_text_as_string(key, kj, out, err));
        QV_RETURN_NOT_OK(append_byte(out, ':', err));
        QV_RETURN_NOT_OK(qv__json_append_value(entries->children[1], kj, out, err));
      }
      return append_byte(out, '}', err);
    }
    default: return append_text_as_string(a, i, out, err);
  }
}
