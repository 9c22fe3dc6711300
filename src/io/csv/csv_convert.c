/* Conversion of one column of tokenized CSV fields into an Arrow array.
 *
 * Each type has its own loop over the column's fields: test for null, take the
 * field's bytes (straight from the input, or unescaped into a scratch buffer
 * when the tokenizer flagged doubled quotes or escapes), parse with the inline
 * parser of csv_values.h, store. There is no per-field indirect call. The
 * validity bitmap is allocated only when the first null appears. String
 * columns are sized in a first pass (the raw spans bound the unescaped
 * lengths) and copied in a second; their UTF-8 is validated over the whole
 * data buffer at once, and row by row only to name the bad row. */
#include <stdio.h>
#include <string.h>

#include "arrow/internal.h"
#include "io/csv/csv_internal.h"
#include "io/csv/csv_values.h"

/* The state of one column conversion. */
typedef struct conv {
  const qv_csv_ctx *ctx;
  const qv_csv_field *fields;
  int64_t rows;
  const qv_field *field;
  qv_bytes *scratch;
  bool string_column;
  qv_buffer *validity;
  int64_t null_count;
} conv;

bool qv__csv_utf8_valid(const uint8_t *s, int64_t n) {
  int64_t i = 0;
  while (i < n) {
    if (n - i >= 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (!(w & 0x8080808080808080ULL)) {
        i += 8;
        continue;
      }
    }
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    int len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1Fu, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0Fu, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07u, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (int k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

qv_status qv__csv_check_field(const qv_field *field, qv_error *err) {
  switch (field->type->id) {
    case QV_NA: case QV_BOOL:
    case QV_INT8: case QV_INT16: case QV_INT32: case QV_INT64:
    case QV_UINT8: case QV_UINT16: case QV_UINT32: case QV_UINT64:
    case QV_FLOAT32: case QV_FLOAT64: case QV_DECIMAL128: case QV_DECIMAL256:
    case QV_DATE32: case QV_DATE64: case QV_TIME32: case QV_TIME64: case QV_TIMESTAMP: case QV_DURATION:
    case QV_UTF8: case QV_LARGE_UTF8: case QV_BINARY: case QV_LARGE_BINARY: case QV_FIXED_SIZE_BINARY:
      return QV_OK;
    default: {
      char buf[128];
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "csv: column '%s': type %s cannot be read from CSV",
                          field->name, qv_type_to_string(field->type, buf, sizeof buf));
    }
  }
}

/* Records that row r is null, allocating the bitmap on the first null. */
static qv_status set_null(conv *c, int64_t r, qv_error *err) {
  if (!c->field->nullable)
    return qv__csv_error(c->ctx, err, QV_INVALID, c->fields[r].start, c->field->name,
                         "null in a non-nullable column");
  if (!c->validity) {
    int64_t bytes = (c->rows + 7) / 8;
    QV_RETURN_NOT_OK(qv_buffer_allocate(c->ctx->alloc, bytes, &c->validity, err));
    memset(qv_buffer_mutable_data(c->validity), 0xFF, (size_t)bytes);
  }
  qv_bit_clear(qv_buffer_mutable_data(c->validity), r);
  c->null_count++;
  return QV_OK;
}

/* Takes row r: 1 if it is null (recorded), 0 with its bytes in *s, *n, or -1
 * with *st set on failure. */
static inline int take(conv *c, int64_t r, const uint8_t **s, int64_t *n, qv_status *st, qv_error *err) {
  const qv_csv_field *f = &c->fields[r];
  if (qv__csv_is_null(c->ctx, f, c->string_column)) {
    *st = set_null(c, r, err);
    return *st == QV_OK ? 1 : -1;
  }
  if (!(f->flags & QV_CSV_UNESCAPE)) {
    *s = c->ctx->data + f->start;
    *n = f->len;
    return 0;
  }
  c->scratch->size = 0;
  *st = qv_bytes_reserve(c->scratch, f->len, err);
  if (*st != QV_OK) return -1;
  *n = qv__csv_unescape(c->ctx, f, c->scratch->data);
  *s = c->scratch->data;
  return 0;
}

/* The error for row r's text s[0..n) that failed with st. */
static qv_status bad_value(conv *c, int64_t r, const uint8_t *s, int64_t n, qv_status st, qv_error *err) {
  char tbuf[128];
  const char *tname = qv_type_to_string(c->field->type, tbuf, sizeof tbuf);
  int shown = n > 64 ? 61 : (int)n;
  const char *more = n > 64 ? "..." : "";
  if (st == QV_OUT_OF_RANGE)
    return qv__csv_error(c->ctx, err, QV_OUT_OF_RANGE, c->fields[r].start, c->field->name,
                         "'%.*s%s' is out of range for %s", shown, (const char *)s, more, tname);
  return qv__csv_error(c->ctx, err, QV_INVALID, c->fields[r].start, c->field->name, "cannot parse '%.*s%s' as %s",
                       shown, (const char *)s, more, tname);
}

/* Loops for the fixed-width types. Each takes the values buffer. */

static qv_status convert_signed(conv *c, uint8_t *values, int width, int64_t lo, int64_t hi, qv_error *err) {
  qv_status st = QV_OK;
  for (int64_t r = 0; r < c->rows; r++) {
    const uint8_t *s;
    int64_t n, v = 0;
    int k = take(c, r, &s, &n, &st, err);
    if (k < 0) return st;
    if (k == 0 && (st = qv__csv_parse_int(s, n, lo, hi, &v)) != QV_OK) return bad_value(c, r, s, n, st, err);
    switch (width) {
      case 1: ((int8_t *)values)[r] = (int8_t)v; break;
      case 2: ((int16_t *)values)[r] = (int16_t)v; break;
      case 4: ((int32_t *)values)[r] = (int32_t)v; break;
      default: ((int64_t *)values)[r] = v; break;
    }
  }
  return QV_OK;
}

static qv_status convert_unsigned(conv *c, uint8_t *values, int width, uint64_t hi, qv_error *err) {
  qv_status st = QV_OK;
  for (int64_t r = 0; r < c->rows; r++) {
    const uint8_t *s;
    int64_t n;
    uint64_t v = 0;
    int k = take(c, r, &s, &n, &st, err);
    if (k < 0) return st;
    if (k == 0 && (st = qv__csv_parse_uint(s, n, hi, &v)) != QV_OK) return bad_value(c, r, s, n, st, err);
    switch (width) {
      case 1: values[r] = (uint8_t)v; break;
      case 2: ((uint16_t *)values)[r] = (uint16_t)v; break;
      case 4: ((uint32_t *)values)[r] = (uint32_t)v; break;
      default: ((uint64_t *)values)[r] = v; break;
    }
  }
  return QV_OK;
}

static qv_status convert_int32_fast(conv *c, int32_t *values, qv_error *err) {
  qv_status st = QV_OK;
  for (int64_t r = 0; r < c->rows; r++) {
    const uint8_t *s;
    int64_t n, v = 0;
    int k = take(c, r, &s, &n, &st, err);
    if (k < 0) return st;
    if (k == 0 && (st = qv__csv_parse_int(s, n, INT32_MIN, INT32_MAX, &v)) != QV_OK)
      return bad_value(c, r, s, n, st, err);
    values[r] = (int32_t)v;
  }
  return QV_OK;
}

static qv_status convert_int64_fast(conv *c, int64_t *values, qv_error *err) {
  qv_status st = QV_OK;
  for (int64_t r = 0; r < c->rows; r++) {
    const uint8_t *s;
    int64_t n, v = 0;
    int k = take(c, r, &s, &n, &st, err);
    if (k < 0) return st;
    if (k == 0 && (st = qv__csv_parse_int(s, n, INT64_MIN, INT64_MAX, &v)) != QV_OK)
      return bad_value(c, r, s, n, st, err);
    values[r] = v;
  }
  return QV_OK;
}

static qv_status convert_double(conv *c, double *values, qv_error *err) {
  qv_status st = QV_OK;
  for (int64_t r = 0; r < c->rows; r++) {
    const uint8_t *s;
    int64_t n;
    double v = 0;
    int k = take(c, r, &s, &n, &st, err);
    if (k < 0) return st;
    if (k == 0 && (st = qv__csv_parse_double(s, n, &v)) != QV_OK) return bad_value(c, r, s, n, st, err);
    values[r] = v;
  }
  return QV_OK;
}

static qv_status convert_float(conv *c, float *values, qv_error *err) {
  qv_status st = QV_OK;
  for (int64_t r = 0; r < c->rows; r++) {
    const uint8_t *s;
    int64_t n;
    float v = 0;
    int k = take(c, r, &s, &n, &st, err);
    if (k < 0) return st;
    if (k == 0 && (st = qv__csv_parse_float(s, n, &v)) != QV_OK) return bad_value(c, r, s, n, st, err);
    values[r] = v;
  }
  return QV_OK;
}

static qv_status convert_decimal(conv *c, uint8_t *values, int n_words, qv_error *err) {
  const qv_data_type *t = c->field->type;
  qv_status st = QV_OK;
  for (int64_t r = 0; r < c->rows; r++) {
    const uint8_t *s;
    int64_t n;
    uint64_t w[4] = {0, 0, 0, 0};
    int k = take(c, r, &s, &n, &st, err);
    if (k < 0) return st;
    if (k == 0 && (st = qv__csv_parse_decimal(s, n, t->precision, t->scale, n_words, w)) != QV_OK)
      return bad_value(c, r, s, n, st, err);
    memcpy(values + r * 8 * n_words, w, (size_t)n_words * 8);
  }
  return QV_OK;
}

static qv_status convert_date(conv *c, uint8_t *values, bool date64, qv_error *err) {
  qv_status st = QV_OK;
  for (int64_t r = 0; r < c->rows; r++) {
    const uint8_t *s;
    int64_t n;
    int32_t days = 0;
    int k = take(c, r, &s, &n, &st, err);
    if (k < 0) return st;
    if (k == 0 && (st = qv__csv_parse_date(s, n, &days)) != QV_OK) return bad_value(c, r, s, n, st, err);
    if (date64) ((int64_t *)values)[r] = (int64_t)days * 86400000;
    else ((int32_t *)values)[r] = days;
  }
  return QV_OK;
}

/* Timestamps (time_of_day false) and TIME32/TIME64 (true). */
static qv_status convert_time(conv *c, uint8_t *values, bool time_of_day, qv_error *err) {
  const qv_data_type *t = c->field->type;
  bool narrow = t->id == QV_TIME32;
  qv_status st = QV_OK;
  for (int64_t r = 0; r < c->rows; r++) {
    const uint8_t *s;
    int64_t n, v = 0;
    qv_csv_ts ts;
    int k = take(c, r, &s, &n, &st, err);
    if (k < 0) return st;
    if (k == 0) {
      st = time_of_day ? qv__csv_parse_time(s, n, &ts) : qv__csv_parse_timestamp(s, n, &ts);
      if (st == QV_OK) st = qv__csv_ts_to_unit(&ts, t->unit, &v);
      if (st != QV_OK) return bad_value(c, r, s, n, st, err);
    }
    if (narrow) ((int32_t *)values)[r] = (int32_t)v;
    else ((int64_t *)values)[r] = v;
  }
  return QV_OK;
}

static qv_status convert_bool(conv *c, uint8_t *bits, qv_error *err) {
  qv_status st = QV_OK;
  memset(bits, 0, (size_t)((c->rows + 7) / 8));
  for (int64_t r = 0; r < c->rows; r++) {
    const uint8_t *s;
    int64_t n;
    bool v = false;
    int k = take(c, r, &s, &n, &st, err);
    if (k < 0) return st;
    if (k == 0 && (st = qv__csv_parse_bool(s, n, &v)) != QV_OK) return bad_value(c, r, s, n, st, err);
    if (v) qv_bit_set(bits, r);
  }
  return QV_OK;
}

static qv_status convert_fixed_binary(conv *c, uint8_t *values, int32_t width, qv_error *err) {
  qv_status st = QV_OK;
  for (int64_t r = 0; r < c->rows; r++) {
    const uint8_t *s;
    int64_t n;
    int k = take(c, r, &s, &n, &st, err);
    if (k < 0) return st;
    if (k == 1) {
      memset(values + r * width, 0, (size_t)width);
      continue;
    }
    if (n != width)
      return qv__csv_error(c->ctx, err, QV_INVALID, c->fields[r].start, c->field->name,
                           "value of %lld bytes in a fixed_size_binary(%d) column", (long long)n, (int)width);
    memcpy(values + r * width, s, (size_t)width);
  }
  return QV_OK;
}

/* utf8, binary and their large forms: [validity, offsets, data]. */
static qv_status convert_strings(conv *c, bool large, bool utf8, qv_buffer **offsets_out,
                                 qv_buffer **data_out, qv_error *err) {
  const qv_csv_ctx *ctx = c->ctx;
  int64_t total = 0;
  for (int64_t r = 0; r < c->rows; r++) {
    const qv_csv_field *f = &c->fields[r];
    if (!qv__csv_is_null(ctx, f, true)) total += f->len;
  }
  if (!large && total > INT32_MAX)
    return qv__csv_error(ctx, err, QV_RESOURCE_EXHAUSTED, c->fields[0].start, c->field->name,
                         "more than 2 GiB of string data in one batch (use large_utf8 or a smaller batch_size)");
  qv_buffer *offsets = NULL, *data = NULL;
  qv_status st = qv_buffer_allocate(ctx->alloc, (c->rows + 1) * (large ? 8 : 4), &offsets, err);
  /* 16 bytes of slack: short values are copied in whole 16-byte chunks. */
  if (st == QV_OK) st = qv_buffer_allocate(ctx->alloc, total + 16, &data, err);
  if (st != QV_OK) {
    qv_buffer_unref(offsets);
    return st;
  }
  uint8_t *d = qv_buffer_mutable_data(data);
  int32_t *o32 = (int32_t *)(void *)qv_buffer_mutable_data(offsets);
  int64_t *o64 = (int64_t *)(void *)o32;
  int64_t pos = 0;
  if (large) o64[0] = 0;
  else o32[0] = 0;
  for (int64_t r = 0; r < c->rows && st == QV_OK; r++) {
    const qv_csv_field *f = &c->fields[r];
    if (qv__csv_is_null(ctx, f, true)) {
      st = set_null(c, r, err);
    } else if (f->flags & QV_CSV_UNESCAPE) {
      pos += qv__csv_unescape(ctx, f, d + pos);
    } else {
      const uint8_t *src = ctx->data + f->start;
      if (f->len <= 16 && f->start + 16 <= ctx->size) {
        memcpy(d + pos, src, 16); /* a fixed-size copy compiles to two moves */
      } else {
        memcpy(d + pos, src, (size_t)f->len);
      }
      pos += f->len;
    }
    if (large) o64[r + 1] = pos;
    else o32[r + 1] = (int32_t)pos;
  }
  /* Valid text overall is valid per value only when no value starts inside
   * a character ("\xef\xab" then "\xbf" join into one). */
  bool utf8_ok = !utf8 || st != QV_OK || qv__csv_utf8_valid(d, pos);
  for (int64_t r = 0; utf8 && utf8_ok && st == QV_OK && r < c->rows; r++) {
    int64_t s = large ? o64[r] : o32[r];
    if (s < pos && (d[s] & 0xC0) == 0x80) utf8_ok = false;
  }
  if (!utf8_ok) {
    for (int64_t r = 0; r < c->rows; r++) {
      int64_t s = large ? o64[r] : o32[r], e = large ? o64[r + 1] : o32[r + 1];
      if (!qv__csv_utf8_valid(d + s, e - s)) {
        st = qv__csv_error(ctx, err, QV_INVALID, c->fields[r].start, c->field->name, "invalid UTF-8 in a %s column",
                           large ? "large_utf8" : "utf8");
        break;
      }
    }
    if (st == QV_OK) st = qv_error_set(err, QV_INTERNAL, "csv: UTF-8 check disagrees with itself");
  }
  if (st != QV_OK) {
    qv_buffer_unref(offsets);
    qv_buffer_unref(data);
    return st;
  }
  qv_buffer_set_size(data, pos);
  *offsets_out = offsets;
  *data_out = data;
  return QV_OK;
}

/* All fields of a null-typed column must be null. */
static qv_status convert_null(conv *c, qv_error *err) {
  for (int64_t r = 0; r < c->rows; r++)
    if (!qv__csv_is_null(c->ctx, &c->fields[r], false))
      return qv__csv_error(c->ctx, err, QV_INVALID, c->fields[r].start, c->field->name,
                           "value in a column of type null");
  return QV_OK;
}

qv_status qv__csv_convert_column(const qv_csv_ctx *ctx, const qv_csv_field *fields, int64_t rows,
                                 const qv_field *field, qv_bytes *scratch, qv_array **out, qv_error *err) {
  *out = NULL;
  qv_data_type *t = field->type;
  qv_type_id id = t->id;
  conv c = {ctx, fields, rows, field, scratch, qv_type_is_binary_like(id) || id == QV_FIXED_SIZE_BINARY, NULL, 0};
  if (id == QV_NA) {
    QV_RETURN_NOT_OK(convert_null(&c, err));
    return qv_array_make_nulls(ctx->alloc, t, rows, out, err);
  }
  qv_buffer *bufs[3] = {NULL, NULL, NULL};
  int32_t n_bufs = 2;
  qv_status st;
  if (qv_type_is_binary_like(id)) {
    bool large = id == QV_LARGE_UTF8 || id == QV_LARGE_BINARY;
    st = convert_strings(&c, large, id == QV_UTF8 || id == QV_LARGE_UTF8, &bufs[1], &bufs[2], err);
    n_bufs = 3;
  } else {
    int64_t bytes = id == QV_BOOL ? (rows + 7) / 8 : rows * qv_type_byte_width(t);
    st = qv_buffer_allocate(ctx->alloc, bytes, &bufs[1], err);
    if (st == QV_OK) {
      uint8_t *v = qv_buffer_mutable_data(bufs[1]);
      switch (id) {
        case QV_BOOL: st = convert_bool(&c, v, err); break;
        case QV_INT8: st = convert_signed(&c, v, 1, INT8_MIN, INT8_MAX, err); break;
        case QV_INT16: st = convert_signed(&c, v, 2, INT16_MIN, INT16_MAX, err); break;
        case QV_INT32: st = convert_int32_fast(&c, (int32_t *)(void *)v, err); break;
        case QV_INT64: case QV_DURATION: st = convert_int64_fast(&c, (int64_t *)(void *)v, err); break;
        case QV_UINT8: st = convert_unsigned(&c, v, 1, UINT8_MAX, err); break;
        case QV_UINT16: st = convert_unsigned(&c, v, 2, UINT16_MAX, err); break;
        case QV_UINT32: st = convert_unsigned(&c, v, 4, UINT32_MAX, err); break;
        case QV_UINT64: st = convert_unsigned(&c, v, 8, UINT64_MAX, err); break;
        case QV_FLOAT32: st = convert_float(&c, (float *)(void *)v, err); break;
        case QV_FLOAT64: st = convert_double(&c, (double *)(void *)v, err); break;
        case QV_DECIMAL128: st = convert_decimal(&c, v, 2, err); break;
        case QV_DECIMAL256: st = convert_decimal(&c, v, 4, err); break;
        case QV_DATE32: st = convert_date(&c, v, false, err); break;
        case QV_DATE64: st = convert_date(&c, v, true, err); break;
        case QV_TIMESTAMP: st = convert_time(&c, v, false, err); break;
        case QV_TIME32: case QV_TIME64: st = convert_time(&c, v, true, err); break;
        case QV_FIXED_SIZE_BINARY: st = convert_fixed_binary(&c, v, t->byte_width, err); break;
        default:
          st = qv__csv_check_field(field, err);
          if (st == QV_OK) st = qv_error_set(err, QV_INTERNAL, "csv: no converter for type id %d", (int)id);
          break;
      }
    }
  }
  if (st == QV_OK) {
    bufs[0] = c.validity;
    st = qv_array_create(t, rows, 0, c.null_count, bufs, n_bufs, NULL, 0, NULL, out, err);
  }
  qv_buffer_unref(c.validity);
  for (int i = 1; i < 3; i++) qv_buffer_unref(bufs[i]);
  return st;
}
