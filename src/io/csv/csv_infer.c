/* The header and type inference of the CSV reader.
 *
 * The header (when the options say there is one) is the first non-empty
 * record of the file; its fields, unescaped, are the column names. Without a
 * header the first record gives the number of columns and the names are f0,
 * f1, ... Types are inferred from the first infer_rows records after the
 * header: each column starts with every candidate type and drops those a
 * non-null value does not parse as; the first survivor in the order bool,
 * int64, float64, date32, timestamp wins, else utf8 (binary when a value is
 * not valid UTF-8). Bool is inferred only from the words true and false, so
 * 0/1 columns stay integers. A timestamp column gets the coarsest unit that
 * holds every fraction seen (s, ms, us, ns) and the time zone "UTC" when any
 * value carries a zone (values are converted to UTC). A column with no
 * non-null value is utf8, not null: rows past the inference window may hold
 * values. Inference always reads from the start of the file, so readers of
 * different byte ranges of one file agree on the schema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "io/csv/csv_internal.h"
#include "io/csv/csv_values.h"

enum { CAND_BOOL = 1, CAND_INT = 2, CAND_DOUBLE = 4, CAND_DATE = 8, CAND_TIMESTAMP = 16 };

typedef struct col_guess {
  unsigned cand;
  bool any_value;
  bool bad_utf8;
  bool zone;
  int32_t frac_digits;
  int64_t min_seconds, max_seconds;
} col_guess;

static void guess_value(col_guess *g, const uint8_t *s, int64_t n) {
  if (!g->any_value) {
    g->any_value = true;
    g->min_seconds = INT64_MAX;
    g->max_seconds = INT64_MIN;
  }
  if ((g->cand & CAND_BOOL) && !csv_ieq(s, n, "true") && !csv_ieq(s, n, "false")) g->cand &= ~(unsigned)CAND_BOOL;
  if (g->cand & CAND_INT) {
    int64_t v;
    if (qv__csv_parse_int(s, n, INT64_MIN, INT64_MAX, &v) != QV_OK) g->cand &= ~(unsigned)CAND_INT;
  }
  if (g->cand & CAND_DOUBLE) {
    double v;
    if (qv__csv_parse_double(s, n, &v) != QV_OK) g->cand &= ~(unsigned)CAND_DOUBLE;
  }
  if (g->cand & CAND_DATE) {
    int32_t v;
    if (qv__csv_parse_date(s, n, &v) != QV_OK) g->cand &= ~(unsigned)CAND_DATE;
  }
  if (g->cand & CAND_TIMESTAMP) {
    qv_csv_ts ts;
    if (qv__csv_parse_timestamp(s, n, &ts) != QV_OK) {
      g->cand &= ~(unsigned)CAND_TIMESTAMP;
    } else {
      if (ts.frac_digits > g->frac_digits) g->frac_digits = ts.frac_digits;
      g->zone = g->zone || ts.has_zone;
      if (ts.seconds < g->min_seconds) g->min_seconds = ts.seconds;
      if (ts.seconds > g->max_seconds) g->max_seconds = ts.seconds;
    }
  }
  if (!g->bad_utf8 && !qv__csv_utf8_valid(s, n)) g->bad_utf8 = true;
}

/* The type a column's guesses settle on; *out is a new reference. */
static qv_status guessed_type(const col_guess *g, qv_data_type **out, qv_error *err) {
  if (g->any_value) {
    if (g->cand & CAND_BOOL) return *out = qv_type_primitive(QV_BOOL), QV_OK;
    if (g->cand & CAND_INT) return *out = qv_type_primitive(QV_INT64), QV_OK;
    if (g->cand & CAND_DOUBLE) return *out = qv_type_primitive(QV_FLOAT64), QV_OK;
    if (g->cand & CAND_DATE) return *out = qv_type_primitive(QV_DATE32), QV_OK;
    if (g->cand & CAND_TIMESTAMP) {
      qv_time_unit unit = g->frac_digits == 0 ? QV_SECOND
                          : g->frac_digits <= 3 ? QV_MILLI
                          : g->frac_digits <= 6 ? QV_MICRO
                                                : QV_NANO;
      static const int64_t per_second[] = {1, 1000, 1000000, 1000000000};
      int64_t lo, hi;
      /* One more second of headroom for the fraction. */
      if (!__builtin_mul_overflow(g->min_seconds - 1, per_second[unit], &lo) &&
          !__builtin_mul_overflow(g->max_seconds + 1, per_second[unit], &hi))
        return qv_type_timestamp(unit, g->zone ? "UTC" : NULL, out, err);
    }
    if (g->bad_utf8) return *out = qv_type_primitive(QV_BINARY), QV_OK;
  }
  *out = qv_type_primitive(QV_UTF8);
  return QV_OK;
}

/* Skips empty lines from *pos; false when the data ends first. */
static bool first_record(const qv_csv_ctx *ctx, int64_t *pos) {
  int64_t next;
  while (*pos < ctx->size && qv__csv_skip_empty_line(ctx, *pos, &next)) *pos = next;
  return *pos < ctx->size;
}

/* The number of columns of the record at pos, a trailing empty field dropped
 * when trailing delimiters are allowed. */
static qv_status count_columns(const qv_csv_ctx *ctx, int64_t pos, int32_t *n, qv_csv_record *rec,
                               qv_error *err) {
  QV_RETURN_NOT_OK(qv__csv_parse_record(ctx, pos, NULL, 0, 0, rec, err));
  *n = rec->n_fields;
  if (ctx->trailing_delimiter && rec->last_empty && *n > 1) (*n)--;
  return QV_OK;
}

static void free_names(char **names, int32_t n) {
  for (int32_t i = 0; names && i < n; i++) free(names[i]);
  free(names);
}

/* Reads the header record at *pos into n malloc'd names. */
static qv_status read_header(const qv_csv_ctx *ctx, int64_t *pos, char ***names_out, int32_t *n_out,
                             qv_error *err) {
  qv_csv_record rec;
  int32_t n;
  QV_RETURN_NOT_OK(count_columns(ctx, *pos, &n, &rec, err));
  qv_csv_field *fields = calloc((size_t)n, sizeof *fields);
  char **names = calloc((size_t)n, sizeof *names);
  qv_status st = fields && names ? QV_OK : qv_error_set(err, QV_NOMEM, "csv: out of memory reading the header");
  if (st == QV_OK) st = qv__csv_parse_record(ctx, *pos, fields, 1, n, &rec, err);
  for (int32_t i = 0; st == QV_OK && i < n; i++) {
    names[i] = malloc((size_t)fields[i].len + 1);
    if (!names[i]) {
      st = qv_error_set(err, QV_NOMEM, "csv: out of memory reading the header");
      break;
    }
    int64_t len = fields[i].len;
    if (fields[i].flags & QV_CSV_UNESCAPE) len = qv__csv_unescape(ctx, &fields[i], (uint8_t *)names[i]);
    else memcpy(names[i], ctx->data + fields[i].start, (size_t)len);
    names[i][len] = '\0';
  }
  free(fields);
  if (st != QV_OK) {
    free_names(names, n);
    return st;
  }
  *pos = rec.next;
  *names_out = names;
  *n_out = n;
  return QV_OK;
}

/* Runs inference over the first ctx->infer_rows records from pos. */
static qv_status infer_types(const qv_csv_ctx *ctx, int64_t pos, int32_t n_cols, col_guess *guesses,
                             qv_error *err) {
  for (int32_t c = 0; c < n_cols; c++) {
    memset(&guesses[c], 0, sizeof guesses[c]);
    guesses[c].cand = CAND_BOOL | CAND_INT | CAND_DOUBLE | CAND_DATE | CAND_TIMESTAMP;
  }
  if (n_cols == 0 || ctx->infer_rows == 0) return QV_OK;
  int64_t cap = QV_CSV_MAX_BATCH_FIELDS / n_cols;
  if (cap < 1) cap = 1;
  if (cap > ctx->infer_rows) cap = ctx->infer_rows;
  int64_t bytes = cap * n_cols * (int64_t)sizeof(qv_csv_field);
  qv_csv_field *fields = qv_alloc(ctx->alloc, bytes);
  if (!fields) return qv_error_set(err, QV_NOMEM, "csv: cannot allocate %lld bytes for inference", (long long)bytes);
  qv_bytes scratch;
  qv_bytes_init(&scratch, ctx->alloc);
  qv_status st = QV_OK;
  int64_t done = 0;
  while (st == QV_OK && done < ctx->infer_rows && pos < ctx->size) {
    int64_t want = ctx->infer_rows - done < cap ? ctx->infer_rows - done : cap, rows = 0;
    st = qv__csv_tokenize(ctx, &pos, ctx->size, n_cols, fields, want, &rows, err);
    if (st != QV_OK || rows == 0) break;
    for (int32_t c = 0; c < n_cols && st == QV_OK; c++) {
      col_guess *g = &guesses[c];
      for (int64_t r = 0; r < rows; r++) {
        const qv_csv_field *f = &fields[c * want + r];
        if (qv__csv_is_null(ctx, f, false)) continue;
        const uint8_t *s = ctx->data + f->start;
        int64_t n = f->len;
        if (f->flags & QV_CSV_UNESCAPE) {
          scratch.size = 0;
          if ((st = qv_bytes_reserve(&scratch, n, err)) != QV_OK) break;
          n = qv__csv_unescape(ctx, f, scratch.data);
          s = scratch.data;
        }
        guess_value(g, s, n);
      }
    }
    done += rows;
  }
  qv_bytes_reset(&scratch);
  qv_free(ctx->alloc, fields, bytes);
  return st;
}

static qv_status build_schema(const qv_csv_ctx *ctx, int64_t pos, char **names, int32_t n_cols,
                              qv_schema **out, qv_error *err) {
  col_guess *guesses = calloc((size_t)n_cols + 1, sizeof *guesses);
  qv_field **fields = calloc((size_t)n_cols + 1, sizeof *fields);
  qv_status st = guesses && fields ? QV_OK : qv_error_set(err, QV_NOMEM, "csv: out of memory inferring types");
  if (st == QV_OK) st = infer_types(ctx, pos, n_cols, guesses, err);
  for (int32_t c = 0; st == QV_OK && c < n_cols; c++) {
    qv_data_type *t = NULL;
    st = guessed_type(&guesses[c], &t, err);
    if (st != QV_OK) break;
    char auto_name[32];
    snprintf(auto_name, sizeof auto_name, "f%d", (int)c);
    st = qv_field_create(names ? names[c] : auto_name, t, true, NULL, &fields[c], err);
    qv_type_unref(t);
  }
  if (st == QV_OK) st = qv_schema_create(fields, n_cols, NULL, out, err);
  for (int32_t c = 0; fields && c < n_cols; c++) qv_field_unref(fields[c]);
  free(fields);
  free(guesses);
  return st;
}

qv_status qv__csv_prepare(const qv_csv_ctx *ctx, qv_schema *schema, qv_schema **out, int64_t *data_start,
                          qv_error *err) {
  *out = NULL;
  int64_t pos = qv__csv_data_begin(ctx);
  char **names = NULL;
  int32_t n_cols = 0;
  if (ctx->header && first_record(ctx, &pos)) QV_RETURN_NOT_OK(read_header(ctx, &pos, &names, &n_cols, err));
  *data_start = pos;
  qv_status st = QV_OK;
  if (schema) {
    for (int32_t c = 0; c < schema->n_fields && st == QV_OK; c++) st = qv__csv_check_field(schema->fields[c], err);
    if (st == QV_OK) *out = qv_schema_ref(schema);
    free_names(names, n_cols);
    return st;
  }
  if (!ctx->header) {
    int64_t p = pos;
    qv_csv_record rec;
    if (first_record(ctx, &p)) st = count_columns(ctx, p, &n_cols, &rec, err);
  }
  if (st == QV_OK) st = build_schema(ctx, pos, names, n_cols, out, err);
  free_names(names, n_cols);
  return st;
}
