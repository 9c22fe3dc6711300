/* Dates and timestamps: the functions date_part/extract, date_trunc,
 * date_add/date_sub (days), add_months, add_years, and the kernel of the
 * temporal operators qv_expr_binary builds:
 *   date32 + int, date32 - int          -> date32 (days)
 *   date32 - date32                     -> int64 (days between, as DuckDB)
 *   date32 / timestamp +- interval      -> the same type
 * An interval (interval_months, interval_day_time, interval_month_day_nano)
 * is applied months first (clamping the day to the month's end: Jan 31 + 1
 * month = Feb 28/29), then days, then the time part. A date stays a date, as
 * in DataFusion: a time part is added and the result rounded down to its day
 * (DuckDB would return a timestamp). So the SQL planner can translate
 * "date '1998-12-01' - interval '90' day" into date - interval, or into
 * date_add(d, -90).
 *
 * date_part fields: year, quarter, month, week (ISO), day, dow (0 = Sunday),
 * isodow (1 = Monday), doy, hour, minute, second, millisecond, microsecond,
 * epoch; results are int64 except epoch (float64 seconds). date_trunc units:
 * year, quarter, month, week (to Monday), day, hour, minute, second; the
 * result keeps the argument's type (DuckDB returns a timestamp for dates).
 * Field and unit must be string literals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int32_t days_in_month(int64_t y, int32_t m) {
  static const int32_t dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* days + months, with the day clamped to the target month's length. */
static int64_t add_months_days(int64_t days, int64_t months) {
  int64_t y;
  int32_t m, d;
  qv__civil_from_days(days, &y, &m, &d);
  int64_t total = y * 12 + (m - 1) + months;
  int64_t ny = floor_div(total, 12);
  int32_t nm = (int32_t)(total - ny * 12) + 1;
  int32_t dim = days_in_month(ny, nm);
  return qv__days_from_civil(ny, nm, d > dim ? dim : d);
}

/* A temporal value split into day and time-of-day (in the unit). */
static inline void split_ts(int64_t v, int64_t per_day, int64_t *day, int64_t *tod) {
  *day = floor_div(v, per_day);
  *tod = v - *day * per_day;
}

/* ---- operators ------------------------------------------------------------------ */

typedef struct interval {
  int64_t months, days, nanos;
} interval;

static interval interval_at(const qv_array *a, int64_t i) {
  const uint8_t *p = qv__array_data(a, 1);
  int64_t k = a->offset + i;
  interval v = {0, 0, 0};
  switch (a->type->id) {
    case QV_INTERVAL_MONTHS: v.months = ((const int32_t *)p)[k]; break;
    case QV_INTERVAL_DAY_TIME:
      v.days = ((const int32_t *)p)[2 * k];
      v.nanos = (int64_t)((const int32_t *)p)[2 * k + 1] * 1000000;
      break;
    default: {
      int32_t md[2];
      memcpy(md, p + k * 16, 8);
      memcpy(&v.nanos, p + k * 16 + 8, 8);
      v.months = md[0];
      v.days = md[1];
      break;
    }
  }
  return v;
}

static bool is_interval(qv_type_id id) {
  return id == QV_INTERVAL_MONTHS || id == QV_INTERVAL_DAY_TIME || id == QV_INTERVAL_MONTH_DAY_NANO;
}

qv_status qv__kernel_temporal_arith(qv_eval_ctx *ctx, qv_binary_op op, const qv_datum *l, const qv_datum *r,
                                    qv_data_type *type, qv_datum *out, qv_error *err) {
  out->array = NULL;
  out->scalar = l->scalar && r->scalar;
  int64_t n = out->scalar ? 1 : ctx->n_rows;
  if (qv__datum_is_null_scalar(l) || qv__datum_is_null_scalar(r) || r->array->type->id == QV_NA)
    return qv_array_make_nulls(ctx->alloc, type, n, &out->array, err);
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  QV_RETURN_NOT_OK(qv__validity_and(ctx->alloc, l, r, n, &validity, &nulls, err));
  qv_status st = qv__buffer_new(ctx->alloc, n * type->byte_width, &vals, err);
  const qv_array *la = l->array, *ra = r->array;
  qv_type_id lt = la->type->id, rt = ra->type->id;
  int64_t sign = op == QV_OP_SUB ? -1 : 1;
  int64_t bad_row = -1;
  const uint8_t *lp = qv__array_data(la, 1), *rp = qv__array_data(ra, 1);
  int64_t lo = la->offset, ro = ra->offset;
  for (int64_t i = 0; st == QV_OK && i < n; i++) {
    int64_t li = l->scalar ? 0 : i, ri = r->scalar ? 0 : i;
    bool ok = true;
    if (lt == QV_DATE32 && rt == QV_DATE32) {
      ((int64_t *)vals->data)[i] = (int64_t)((const int32_t *)lp)[lo + li] - ((const int32_t *)rp)[ro + ri];
    } else if (lt == QV_DATE32 && !is_interval(rt)) {
      int64_t v = (int64_t)((const int32_t *)lp)[lo + li] + sign * ((const int64_t *)rp)[ro + ri];
      ok = v >= INT32_MIN && v <= INT32_MAX;
      ((int32_t *)vals->data)[i] = ok ? (int32_t)v : 0;
    } else if (lt == QV_DATE32) {
      interval iv = interval_at(ra, ri);
      int64_t day = add_months_days(((const int32_t *)lp)[lo + li], sign * iv.months) + sign * iv.days;
      day += floor_div(sign * iv.nanos, 86400LL * 1000000000LL);
      ok = day >= INT32_MIN && day <= INT32_MAX;
      ((int32_t *)vals->data)[i] = ok ? (int32_t)day : 0;
    } else {
      /* timestamp +- interval */
      int64_t ups = qv__unit_per_second(la->type->unit), per_day = 86400 * ups;
      interval iv = interval_at(ra, ri);
      int64_t day, tod, v;
      split_ts(((const int64_t *)lp)[lo + li], per_day, &day, &tod);
      day = add_months_days(day, sign * iv.months) + sign * iv.days;
      /* The time part in the timestamp's unit (rounded down below ns). */
      int64_t t = floor_div(sign * iv.nanos, 1000000000 / ups);
      ok = !__builtin_mul_overflow(day, per_day, &v) && !__builtin_add_overflow(v, tod, &v) &&
           !__builtin_add_overflow(v, t, &v);
      ((int64_t *)vals->data)[i] = ok ? v : 0;
    }
    if (!ok && bad_row < 0 && (!validity || qv_bit_get(validity->data, i))) bad_row = i;
  }
  if (st == QV_OK && bad_row >= 0) {
    char a[64], b[64];
    qv__format_value(la, l->scalar ? 0 : bad_row, a, sizeof a);
    qv__format_value(ra, r->scalar ? 0 : bad_row, b, sizeof b);
    st = qv_error_set(err, QV_OUT_OF_RANGE, "date arithmetic overflow: %s %s %s", a, qv__binary_op_symbol(op), b);
  }
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    qv_buffer_unref(vals);
    return st;
  }
  return qv__array_from_buffers(type, n, validity, nulls, vals, &out->array, err);
}

/* ---- binding helpers ------------------------------------------------------------------------ */

static qv_status bind_temporal(qv_expr *e, int32_t i, qv_error *err) {
  qv_data_type *t = e->children[i]->type;
  if (t->id == QV_NA) return qv__expr_coerce(&e->children[i], qv_type_primitive(QV_DATE32), err);
  if (qv__type_is_string(t->id) && e->children[i]->kind == QV_EXPR_LITERAL)
    return qv__expr_coerce(&e->children[i], qv_type_primitive(QV_DATE32), err);
  if (!qv__type_is_temporal(t->id)) {
    char why[64];
    snprintf(why, sizeof why, "argument %d must be a date or timestamp", i + 1);
    return qv__function_type_error(e, err, why);
  }
  return QV_OK;
}

/* A literal string argument (a field or unit name), lower-cased into buf. */
static qv_status literal_name(qv_expr *e, int32_t i, char *buf, size_t size, qv_error *err) {
  qv_expr *a = e->children[i];
  if (a->kind != QV_EXPR_LITERAL || !qv__type_is_string(a->type->id) || !qv_array_is_valid(a->literal, 0)) {
    char why[64];
    snprintf(why, sizeof why, "argument %d must be a string literal", i + 1);
    return qv__function_type_error(e, err, why);
  }
  qv_str_view v;
  qv__str_view_init(&v, a->literal);
  int64_t len;
  const uint8_t *p = qv__str_at(&v, 0, &len);
  if (len >= (int64_t)size) len = (int64_t)size - 1;
  for (int64_t k = 0; k < len; k++) buf[k] = (char)(p[k] >= 'A' && p[k] <= 'Z' ? p[k] + 32 : p[k]);
  buf[len] = '\0';
  return QV_OK;
}

/* ---- date_part / extract ------------------------------------------------------------------------ */

typedef enum field {
  F_YEAR, F_QUARTER, F_MONTH, F_WEEK, F_DAY, F_DOW, F_ISODOW, F_DOY, F_HOUR, F_MINUTE, F_SECOND, F_MILLI, F_MICRO,
  F_EPOCH
} field;

static const struct {
  const char *name;
  field f;
} field_names[] = {{"year", F_YEAR},      {"years", F_YEAR},         {"quarter", F_QUARTER},
                   {"month", F_MONTH},    {"months", F_MONTH},       {"week", F_WEEK},
                   {"day", F_DAY},        {"days", F_DAY},           {"dow", F_DOW},
                   {"isodow", F_ISODOW},  {"doy", F_DOY},            {"hour", F_HOUR},
                   {"minute", F_MINUTE},  {"second", F_SECOND},      {"millisecond", F_MILLI},
                   {"milliseconds", F_MILLI}, {"microsecond", F_MICRO}, {"microseconds", F_MICRO},
                   {"epoch", F_EPOCH}};

typedef struct part_state {
  field f;
} part_state;

static qv_status bind_date_part(qv_expr *e, qv_error *err) {
  char name[32];
  QV_RETURN_NOT_OK(literal_name(e, 0, name, sizeof name, err));
  QV_RETURN_NOT_OK(bind_temporal(e, 1, err));
  int found = -1;
  for (size_t k = 0; k < sizeof field_names / sizeof field_names[0]; k++)
    if (strcmp(field_names[k].name, name) == 0) found = (int)k;
  if (found < 0) {
    char why[96];
    snprintf(why, sizeof why, "unknown field '%s'", name);
    return qv__function_type_error(e, err, why);
  }
  part_state *s = malloc(sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "date_part: out of memory");
  s->f = field_names[found].f;
  e->state = s;
  e->state_free = free;
  e->type = qv_type_primitive(s->f == F_EPOCH ? QV_FLOAT64 : QV_INT64);
  e->nullable = e->children[1]->nullable;
  return QV_OK;
}

/* ISO 8601 week number of a day. */
static int64_t iso_week(int64_t days) {
  int64_t isodow = ((days % 7) + 7 + 3) % 7 + 1; /* 1970-01-01 was a Thursday (4) */
  int64_t thursday = days + (4 - isodow);        /* the Thursday of this ISO week */
  int64_t y;
  int32_t m, d;
  qv__civil_from_days(thursday, &y, &m, &d);
  int64_t jan1 = qv__days_from_civil(y, 1, 1);
  return (thursday - jan1) / 7 + 1;
}

static int64_t part_of(field f, int64_t day, int64_t tod, int64_t ups) {
  int64_t y;
  int32_t m, d;
  switch (f) {
    case F_HOUR: return tod / (3600 * ups);
    case F_MINUTE: return tod / (60 * ups) % 60;
    case F_SECOND: return tod / ups % 60;
    case F_MILLI: return tod % (60 * ups) * 1000 / ups;
    case F_MICRO: return tod % (60 * ups) * 1000000 / ups;
    case F_DOW: return ((day % 7) + 7 + 4) % 7;
    case F_ISODOW: return ((day % 7) + 7 + 3) % 7 + 1;
    case F_WEEK: return iso_week(day);
    default: break;
  }
  qv__civil_from_days(day, &y, &m, &d);
  switch (f) {
    case F_YEAR: return y;
    case F_QUARTER: return (m - 1) / 3 + 1;
    case F_MONTH: return m;
    case F_DAY: return d;
    default: return day - qv__days_from_civil(y, 1, 1) + 1; /* F_DOY */
  }
}

static qv_status eval_date_part(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  out->array = NULL;
  field f = ((const part_state *)e->state)->f;
  qv_datum d = {0};
  QV_RETURN_NOT_OK(qv__expr_eval(e->children[1], ctx, &d, err));
  out->scalar = d.scalar;
  const qv_array *a = d.array;
  int64_t n = a->length;
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  qv_status st = qv__validity_of(ctx->alloc, d.array, &validity, &nulls, err);
  if (st == QV_OK) st = qv__buffer_new(ctx->alloc, n * 8, &vals, err);
  if (st == QV_OK) {
    const uint8_t *p = qv__array_data(a, 1);
    bool is_date = a->type->id == QV_DATE32;
    int64_t ups = is_date ? 1 : qv__unit_per_second(a->type->unit);
    for (int64_t i = 0; i < n; i++) {
      int64_t day, tod;
      if (is_date) {
        day = ((const int32_t *)p)[a->offset + i];
        tod = 0;
      } else {
        split_ts(((const int64_t *)p)[a->offset + i], 86400 * ups, &day, &tod);
      }
      if (f == F_EPOCH)
        ((double *)vals->data)[i] = (double)day * 86400.0 + (double)tod / (double)ups;
      else
        ((int64_t *)vals->data)[i] = part_of(f, day, tod, ups);
    }
    st = qv__array_from_buffers(e->type, n, validity, nulls, vals, &out->array, err);
    validity = vals = NULL;
  }
  qv_buffer_unref(validity);
  qv_buffer_unref(vals);
  qv__datum_release(&d);
  return st;
}

/* ---- date_trunc ----------------------------------------------------------------------------------- */

static qv_status bind_date_trunc(qv_expr *e, qv_error *err) {
  char name[32];
  QV_RETURN_NOT_OK(literal_name(e, 0, name, sizeof name, err));
  QV_RETURN_NOT_OK(bind_temporal(e, 1, err));
  static const char *const units[] = {"year", "quarter", "month", "week", "day", "hour", "minute", "second"};
  int found = -1;
  for (int k = 0; k < 8; k++)
    if (strcmp(units[k], name) == 0) found = k;
  if (found < 0) {
    char why[96];
    snprintf(why, sizeof why, "unknown unit '%s'", name);
    return qv__function_type_error(e, err, why);
  }
  part_state *s = malloc(sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "date_trunc: out of memory");
  static const field as_field[] = {F_YEAR, F_QUARTER, F_MONTH, F_WEEK, F_DAY, F_HOUR, F_MINUTE, F_SECOND};
  s->f = as_field[found];
  e->state = s;
  e->state_free = free;
  e->type = qv_type_ref(e->children[1]->type);
  e->nullable = e->children[1]->nullable;
  return QV_OK;
}

static void trunc_day_tod(field f, int64_t *day, int64_t *tod, int64_t ups) {
  int64_t y;
  int32_t m, d;
  switch (f) {
    case F_HOUR: *tod -= *tod % (3600 * ups); return;
    case F_MINUTE: *tod -= *tod % (60 * ups); return;
    case F_SECOND: *tod -= *tod % ups; return;
    case F_DAY: *tod = 0; return;
    case F_WEEK: *tod = 0; *day -= ((*day % 7) + 7 + 3) % 7; return; /* back to Monday */
    default: break;
  }
  *tod = 0;
  qv__civil_from_days(*day, &y, &m, &d);
  if (f == F_YEAR) m = 1;
  else if (f == F_QUARTER) m = (m - 1) / 3 * 3 + 1;
  *day = qv__days_from_civil(y, m, 1);
}

static qv_status eval_date_trunc(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  out->array = NULL;
  field f = ((const part_state *)e->state)->f;
  qv_datum d = {0};
  QV_RETURN_NOT_OK(qv__expr_eval(e->children[1], ctx, &d, err));
  out->scalar = d.scalar;
  const qv_array *a = d.array;
  int64_t n = a->length;
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  qv_status st = qv__validity_of(ctx->alloc, d.array, &validity, &nulls, err);
  if (st == QV_OK) st = qv__buffer_new(ctx->alloc, n * e->type->byte_width, &vals, err);
  if (st == QV_OK) {
    const uint8_t *p = qv__array_data(a, 1);
    if (a->type->id == QV_DATE32) {
      for (int64_t i = 0; i < n; i++) {
        int64_t day = ((const int32_t *)p)[a->offset + i], tod = 0;
        trunc_day_tod(f, &day, &tod, 1);
        ((int32_t *)vals->data)[i] = (int32_t)day;
      }
    } else {
      int64_t ups = qv__unit_per_second(a->type->unit);
      for (int64_t i = 0; i < n; i++) {
        int64_t day, tod;
        split_ts(((const int64_t *)p)[a->offset + i], 86400 * ups, &day, &tod);
        trunc_day_tod(f, &day, &tod, ups);
        ((int64_t *)vals->data)[i] = day * 86400 * ups + tod;
      }
    }
    st = qv__array_from_buffers(e->type, n, validity, nulls, vals, &out->array, err);
    validity = vals = NULL;
  }
  qv_buffer_unref(validity);
  qv_buffer_unref(vals);
  qv__datum_release(&d);
  return st;
}

/* ---- date_add, date_sub, add_months, add_years ----------------------------------------------------- */

typedef enum shift_kind { SHIFT_DAYS, SHIFT_DAYS_NEG, SHIFT_MONTHS, SHIFT_YEARS } shift_kind;

static qv_status bind_shift(qv_expr *e, qv_error *err) {
  QV_RETURN_NOT_OK(bind_temporal(e, 0, err));
  qv_type_id id = e->children[1]->type->id;
  if (!qv_type_is_integer(id) && id != QV_NA) return qv__function_type_error(e, err, "argument 2 must be an integer");
  QV_RETURN_NOT_OK(qv__expr_coerce(&e->children[1], qv_type_primitive(QV_INT64), err));
  e->type = qv_type_ref(e->children[0]->type);
  e->nullable = e->children[0]->nullable || e->children[1]->nullable;
  return QV_OK;
}

static qv_status eval_shift(const qv_expr *e, qv_eval_ctx *ctx, shift_kind kind, qv_datum *out, qv_error *err) {
  out->array = NULL;
  qv_datum d[2] = {{0}};
  QV_RETURN_NOT_OK(qv__expr_eval_children(e, ctx, d, err));
  out->scalar = d[0].scalar && d[1].scalar;
  int64_t n = out->scalar ? 1 : ctx->n_rows;
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  qv_status st = qv__validity_and(ctx->alloc, &d[0], &d[1], n, &validity, &nulls, err);
  if (st == QV_OK) st = qv__buffer_new(ctx->alloc, n * e->type->byte_width, &vals, err);
  int64_t bad_row = -1;
  if (st == QV_OK && !qv__datum_is_null_scalar(&d[0]) && !qv__datum_is_null_scalar(&d[1])) {
    const qv_array *a = d[0].array, *b = d[1].array;
    const uint8_t *p = qv__array_data(a, 1);
    const int64_t *k = (const int64_t *)qv__array_data(b, 1) + b->offset;
    bool is_date = a->type->id == QV_DATE32;
    int64_t ups = is_date ? 1 : qv__unit_per_second(a->type->unit), per_day = 86400 * ups;
    for (int64_t i = 0; i < n; i++) {
      int64_t ai = d[0].scalar ? 0 : i, amount = k[d[1].scalar ? 0 : i];
      int64_t day, tod = 0;
      if (is_date) day = ((const int32_t *)p)[a->offset + ai];
      else split_ts(((const int64_t *)p)[a->offset + ai], per_day, &day, &tod);
      bool ok = amount > -(1LL << 40) && amount < (1LL << 40); /* keeps the calendar math exact */
      if (ok) {
        switch (kind) {
          case SHIFT_DAYS: day += amount; break;
          case SHIFT_DAYS_NEG: day -= amount; break;
          case SHIFT_MONTHS: day = add_months_days(day, amount); break;
          default: day = add_months_days(day, amount * 12); break;
        }
      }
      int64_t v = 0;
      if (is_date) {
        ok = ok && day >= INT32_MIN && day <= INT32_MAX;
        ((int32_t *)vals->data)[i] = ok ? (int32_t)day : 0;
      } else {
        ok = ok && !__builtin_mul_overflow(day, per_day, &v) && !__builtin_add_overflow(v, tod, &v);
        ((int64_t *)vals->data)[i] = ok ? v : 0;
      }
      if (!ok && bad_row < 0 && (!validity || qv_bit_get(validity->data, i))) bad_row = i;
    }
  }
  if (st == QV_OK && bad_row >= 0) {
    char a[64];
    qv__format_value(d[0].array, d[0].scalar ? 0 : bad_row, a, sizeof a);
    st = qv_error_set(err, QV_OUT_OF_RANGE, "%s: result out of range for %s", e->name, a);
  }
  if (st == QV_OK) {
    if (qv__datum_is_null_scalar(&d[0]) || qv__datum_is_null_scalar(&d[1])) {
      qv_buffer_unref(validity);
      qv_buffer_unref(vals);
      validity = vals = NULL;
      st = qv_array_make_nulls(ctx->alloc, e->type, n, &out->array, err);
    } else {
      st = qv__array_from_buffers(e->type, n, validity, nulls, vals, &out->array, err);
      validity = vals = NULL;
    }
  }
  qv_buffer_unref(validity);
  qv_buffer_unref(vals);
  qv__datum_release(&d[0]);
  qv__datum_release(&d[1]);
  return st;
}

static qv_status eval_date_add(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return eval_shift(e, ctx, SHIFT_DAYS, out, err);
}
static qv_status eval_date_sub(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return eval_shift(e, ctx, SHIFT_DAYS_NEG, out, err);
}
static qv_status eval_add_months(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return eval_shift(e, ctx, SHIFT_MONTHS, out, err);
}
static qv_status eval_add_years(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return eval_shift(e, ctx, SHIFT_YEARS, out, err);
}

const qv_function_def qv__datetime_functions[] = {
    {"date_part", 2, 2, bind_date_part, eval_date_part, false},
    {"extract", 2, 2, bind_date_part, eval_date_part, false},
    {"date_trunc", 2, 2, bind_date_trunc, eval_date_trunc, false},
    {"date_add", 2, 2, bind_shift, eval_date_add, true},
    {"date_sub", 2, 2, bind_shift, eval_date_sub, true},
    {"add_months", 2, 2, bind_shift, eval_add_months, true},
    {"add_years", 2, 2, bind_shift, eval_add_years, true},
};
const int32_t qv__n_datetime_functions =
    (int32_t)(sizeof qv__datetime_functions / sizeof qv__datetime_functions[0]);
