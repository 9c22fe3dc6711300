/* Text rendering of Arrow values and of record batches as tables. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "quiver/pretty.h"

static qv_status appendf(qv_bytes *out, qv_error *err, const char *fmt, ...) QV_PRINTF(3, 4);
static qv_status appendf(qv_bytes *out, qv_error *err, const char *fmt, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return qv_error_set(err, QV_INTERNAL, "format: vsnprintf failed");
  return qv_bytes_append(out, tmp, n < (int)sizeof tmp ? n : (int)sizeof tmp - 1, err);
}

static qv_status append_str(qv_bytes *out, const char *s, qv_error *err) {
  return qv_bytes_append(out, s, (int64_t)strlen(s), err);
}

/* Days since 1970-01-01 to a proleptic Gregorian date (era arithmetic on
 * 400-year cycles, valid for the whole int32 range). */
static void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  unsigned doe = (unsigned)(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static qv_status append_date(qv_bytes *out, int64_t days, qv_error *err) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 0) return appendf(out, err, "-%04" PRId64 "-%02u-%02u", -y, m, d);
  return appendf(out, err, "%04" PRId64 "-%02u-%02u", y, m, d);
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

static const int64_t unit_per_second[] = {1, 1000, 1000000, 1000000000};

/* Time of day (or timestamp) value in `unit`; with_date prints the date too. */
static qv_status append_time(qv_bytes *out, int64_t v, qv_time_unit unit, bool with_date, qv_error *err) {
  int64_t per = unit_per_second[unit];
  int64_t secs = floor_div(v, per), frac = v - secs * per;
  int64_t days = floor_div(secs, 86400), sod = secs - days * 86400;
  if (with_date) {
    QV_RETURN_NOT_OK(append_date(out, days, err));
    QV_RETURN_NOT_OK(append_str(out, "T", err));
  } else {
    sod = secs; /* times of day are in range already; keep their raw seconds */
  }
  QV_RETURN_NOT_OK(appendf(out, err, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, sod / 3600, sod / 60 % 60, sod % 60));
  static const int digits[] = {0, 3, 6, 9};
  if (unit != QV_SECOND) QV_RETURN_NOT_OK(appendf(out, err, ".%0*" PRId64, digits[unit], frac));
  return QV_OK;
}

qv_status qv_format_decimal(qv_bytes *out, const uint8_t *p, int n_words, int32_t scale, qv_error *err) {
  uint64_t w[4];
  memcpy(w, p, (size_t)n_words * 8);
  bool neg = (w[n_words - 1] >> 63) != 0;
  if (neg) { /* negate: invert and add one */
    unsigned carry = 1;
    for (int i = 0; i < n_words; i++) {
      w[i] = ~w[i] + carry;
      carry = carry && w[i] == 0;
    }
  }
  char digits[90];
  int nd = 0;
  for (;;) {
    bool zero = true;
    unsigned __int128 rem = 0;
    for (int i = n_words - 1; i >= 0; i--) {
      unsigned __int128 cur = (rem << 64) | w[i];
      w[i] = (uint64_t)(cur / 10);
      rem = cur % 10;
      zero = zero && w[i] == 0;
    }
    digits[nd++] = (char)('0' + (int)rem);
    if (zero) break;
  }
  while (scale > 0 && nd <= scale) digits[nd++] = '0';
  char text[100];
  int t = 0;
  if (neg) text[t++] = '-';
  for (int i = nd - 1; i >= 0; i--) {
    text[t++] = digits[i];
    if (scale > 0 && i == scale) text[t++] = '.';
  }
  bool zero = nd == 1 && digits[0] == '0';
  for (int32_t i = scale; i < 0 && !zero; i++) text[t++] = '0'; /* negative scale: value * 10^-scale */
  return qv_bytes_append(out, text, t, err);
}

static int64_t list_offset(const qv_array *a, int64_t i, bool large) {
  const uint8_t *p = qv__array_data(a, 1);
  return large ? ((const int64_t *)p)[a->offset + i] : ((const int32_t *)p)[a->offset + i];
}

static int64_t dict_index(const qv_array *a, int64_t i) {
  const uint8_t *p = qv__array_data(a, 1);
  int64_t k = a->offset + i;
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

qv_status qv_format_value(const qv_array *a, int64_t i, qv_bytes *out, qv_error *err) {
  const qv_data_type *t = a->type;
  if (!qv_array_is_valid(a, i) && t->id != QV_SPARSE_UNION && t->id != QV_DENSE_UNION)
    return append_str(out, "null", err);
  int64_t k = a->offset + i;
  const uint8_t *v = qv__array_data(a, 1);
  switch (t->id) {
    case QV_NA: return append_str(out, "null", err);
    case QV_BOOL: return append_str(out, qv_bit_get(v, k) ? "true" : "false", err);
    case QV_INT8: return appendf(out, err, "%d", ((const int8_t *)v)[k]);
    case QV_INT16: return appendf(out, err, "%d", ((const int16_t *)v)[k]);
    case QV_INT32: return appendf(out, err, "%" PRId32, ((const int32_t *)v)[k]);
    case QV_INT64: return appendf(out, err, "%" PRId64, ((const int64_t *)v)[k]);
    case QV_UINT8: return appendf(out, err, "%u", v[k]);
    case QV_UINT16: return appendf(out, err, "%u", ((const uint16_t *)v)[k]);
    case QV_UINT32: return appendf(out, err, "%" PRIu32, ((const uint32_t *)v)[k]);
    case QV_UINT64: return appendf(out, err, "%" PRIu64, ((const uint64_t *)v)[k]);
    case QV_FLOAT16: return appendf(out, err, "half(0x%04x)", ((const uint16_t *)v)[k]);
    case QV_FLOAT32: return appendf(out, err, "%.9g", ((const float *)v)[k]);
    case QV_FLOAT64: return appendf(out, err, "%.17g", ((const double *)v)[k]);
    case QV_DECIMAL128: return qv_format_decimal(out, v + k * 16, 2, t->scale, err);
    case QV_DECIMAL256: return qv_format_decimal(out, v + k * 32, 4, t->scale, err);
    case QV_DATE32: return append_date(out, ((const int32_t *)v)[k], err);
    case QV_DATE64: return append_date(out, floor_div(((const int64_t *)v)[k], 86400000), err);
    case QV_TIME32: return append_time(out, ((const int32_t *)v)[k], t->unit, false, err);
    case QV_TIME64: return append_time(out, ((const int64_t *)v)[k], t->unit, false, err);
    case QV_TIMESTAMP:
      QV_RETURN_NOT_OK(append_time(out, ((const int64_t *)v)[k], t->unit, true, err));
      return t->timezone ? appendf(out, err, "[%s]", t->timezone) : QV_OK;
    case QV_DURATION: {
      static const char *units[] = {"s", "ms", "us", "ns"};
      return appendf(out, err, "%" PRId64 "%s", ((const int64_t *)v)[k], units[t->unit]);
    }
    case QV_INTERVAL_MONTHS: return appendf(out, err, "%" PRId32 "M", ((const int32_t *)v)[k]);
    case QV_INTERVAL_DAY_TIME: {
      const int32_t *p = (const int32_t *)(v + k * 8);
      return appendf(out, err, "%" PRId32 "d%" PRId32 "ms", p[0], p[1]);
    }
    case QV_INTERVAL_MONTH_DAY_NANO: {
      int32_t mo, d;
      int64_t ns;
      memcpy(&mo, v + k * 16, 4);
      memcpy(&d, v + k * 16 + 4, 4);
      memcpy(&ns, v + k * 16 + 8, 8);
      return appendf(out, err, "%" PRId32 "M%" PRId32 "d%" PRId64 "ns", mo, d, ns);
    }
    case QV_UTF8: case QV_LARGE_UTF8: case QV_BINARY: case QV_LARGE_BINARY: case QV_FIXED_SIZE_BINARY: {
      int64_t s, e;
      const uint8_t *data;
      if (t->id == QV_FIXED_SIZE_BINARY) {
        data = v;
        s = k * t->byte_width;
        e = s + t->byte_width;
      } else {
        bool large = t->id == QV_LARGE_UTF8 || t->id == QV_LARGE_BINARY;
        data = qv__array_data(a, 2);
        s = list_offset(a, i, large);
        e = list_offset(a, i + 1, large);
      }
      if (t->id == QV_UTF8 || t->id == QV_LARGE_UTF8) return qv_bytes_append(out, data + s, e - s, err);
      for (int64_t j = s; j < e; j++) QV_RETURN_NOT_OK(appendf(out, err, "%02x", data[j]));
      return QV_OK;
    }
    case QV_LIST: case QV_LARGE_LIST: case QV_MAP: case QV_FIXED_SIZE_LIST: {
      int64_t s, e;
      if (t->id == QV_FIXED_SIZE_LIST) {
        s = k * t->list_size;
        e = s + t->list_size;
      } else {
        s = list_offset(a, i, t->id == QV_LARGE_LIST);
        e = list_offset(a, i + 1, t->id == QV_LARGE_LIST);
      }
      QV_RETURN_NOT_OK(append_str(out, t->id == QV_MAP ? "{" : "[", err));
      for (int64_t j = s; j < e; j++) {
        if (j > s) QV_RETURN_NOT_OK(append_str(out, ", ", err));
        if (t->id == QV_MAP) {
          const qv_array *entries = a->children[0];
          QV_RETURN_NOT_OK(qv_format_value(entries->children[0], entries->offset + j, out, err));
          QV_RETURN_NOT_OK(append_str(out, ": ", err));
          QV_RETURN_NOT_OK(qv_format_value(entries->children[1], entries->offset + j, out, err));
        } else {
          QV_RETURN_NOT_OK(qv_format_value(a->children[0], j, out, err));
        }
      }
      return append_str(out, t->id == QV_MAP ? "}" : "]", err);
    }
    case QV_STRUCT:
      QV_RETURN_NOT_OK(append_str(out, "{", err));
      for (int32_t c = 0; c < t->n_children; c++) {
        QV_RETURN_NOT_OK(appendf(out, err, "%s%s: ", c ? ", " : "", t->children[c]->name));
        QV_RETURN_NOT_OK(qv_format_value(a->children[c], k, out, err));
      }
      return append_str(out, "}", err);
    case QV_SPARSE_UNION: case QV_DENSE_UNION: {
      int8_t code = ((const int8_t *)qv__array_data(a, 0))[k];
      int64_t slot = t->id == QV_DENSE_UNION ? ((const int32_t *)v)[k] : k;
      for (int32_t c = 0; c < t->n_children; c++)
        if (t->type_codes[c] == code) return qv_format_value(a->children[c], slot, out, err);
      return appendf(out, err, "<bad type id %d>", code);
    }
    case QV_DICTIONARY: return qv_format_value(a->dictionary, dict_index(a, i), out, err);
    default: return qv_error_set(err, QV_NOT_IMPLEMENTED, "format: type id %d", (int)t->id);
  }
}

#define CELL_MAX 40

qv_status qv_record_batch_print(const qv_record_batch *b, int64_t max_rows, FILE *out, qv_error *err) {
  int64_t rows = max_rows < 0 || max_rows > b->num_rows ? b->num_rows : max_rows;
  int32_t ncol = b->n_columns;
  int64_t ncell = (rows + 2) * ncol;
  /* Cells as NUL-terminated strings, row-major, with two header rows. */
  char **cells = calloc((size_t)(ncell ? ncell : 1), sizeof *cells);
  int *width = calloc((size_t)(ncol ? ncol : 1), sizeof *width);
  qv_status st = cells && width ? QV_OK : qv_error_set(err, QV_NOMEM, "print: out of memory");
  qv_bytes text;
  qv_bytes_init(&text, NULL);
  for (int64_t r = 0; st == QV_OK && r < rows + 2; r++) {
    for (int32_t c = 0; st == QV_OK && c < ncol; c++) {
      text.size = 0;
      char tbuf[256];
      const qv_field *f = b->schema->fields[c];
      if (r == 0) st = append_str(&text, f->name, err);
      else if (r == 1) st = append_str(&text, qv_type_to_string(f->type, tbuf, sizeof tbuf), err);
      else st = qv_format_value(b->columns[c], r - 2, &text, err);
      if (st != QV_OK) break;
      int64_t n = text.size > CELL_MAX ? CELL_MAX : text.size;
      char *cell = malloc((size_t)n + 4);
      if (!cell) {
        st = qv_error_set(err, QV_NOMEM, "print: out of memory");
        break;
      }
      memcpy(cell, text.data, (size_t)n);
      if (text.size > CELL_MAX) memcpy(cell + n - 3, "...", 3);
      for (int64_t j = 0; j < n; j++)
        if (cell[j] == '\n' || cell[j] == '\t') cell[j] = ' ';
      cell[n] = '\0';
      cells[r * ncol + c] = cell;
      if (n > width[c]) width[c] = (int)n;
    }
  }
  for (int64_t r = 0; st == QV_OK && r < rows + 2; r++) {
    for (int32_t c = 0; c < ncol; c++) fprintf(out, "%s%-*s", c ? " | " : "", width[c], cells[r * ncol + c]);
    fputc('\n', out);
    if (r == 1) {
      for (int32_t c = 0; c < ncol; c++) {
        if (c) fputs("-+-", out);
        for (int w = 0; w < width[c]; w++) fputc('-', out);
      }
      fputc('\n', out);
    }
  }
  if (st == QV_OK && rows < b->num_rows) fprintf(out, "... %" PRId64 " more rows\n", b->num_rows - rows);
  qv_bytes_reset(&text);
  for (int64_t j = 0; cells && j < ncell; j++) free(cells[j]);
  free(cells);
  free(width);
  return st;
}
