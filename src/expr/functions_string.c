/* String functions: substring/substr, upper, lower, trim/btrim/ltrim/rtrim,
 * length/char_length/character_length, octet_length, concat, starts_with,
 * ends_with, contains.
 *
 * Lengths and positions count UTF-8 characters. substring follows
 * PostgreSQL (and DataFusion): 1-based; a start below 1 eats into the
 * length (substring('hello', 0, 2) = 'h'); a negative length is an error.
 * (DuckDB counts a negative start from the end instead.) upper and lower map
 * ASCII letters only. concat skips NULL arguments, as PostgreSQL, DuckDB and
 * DataFusion do, so its result is never NULL; non-string arguments are cast
 * to text. The other functions are NULL when an argument is NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

/* ---- binding helpers ------------------------------------------------------------- */

/* Requires argument i to be a string (utf8 / large_utf8; dictionaries are
 * decoded, NULL becomes utf8). */
static qv_status bind_string(qv_expr *e, int32_t i, qv_error *err) {
  qv_data_type *t = e->children[i]->type;
  if (t->id == QV_NA) return qv__expr_coerce(&e->children[i], qv_type_primitive(QV_UTF8), err);
  if (t->id == QV_DICTIONARY && qv__type_is_string(t->dict_value->id))
    return qv__expr_coerce(&e->children[i], t->dict_value, err);
  if (!qv__type_is_string(t->id)) {
    char why[64];
    snprintf(why, sizeof why, "argument %d must be a string", i + 1);
    return qv__function_type_error(e, err, why);
  }
  return QV_OK;
}

static qv_status bind_integer(qv_expr *e, int32_t i, qv_error *err) {
  qv_type_id id = e->children[i]->type->id;
  if (!qv_type_is_integer(id) && id != QV_NA) {
    char why[64];
    snprintf(why, sizeof why, "argument %d must be an integer", i + 1);
    return qv__function_type_error(e, err, why);
  }
  return qv__expr_coerce(&e->children[i], qv_type_primitive(QV_INT64), err);
}

static bool any_nullable(const qv_expr *e) {
  for (int32_t i = 0; i < e->n_children; i++)
    if (e->children[i]->nullable) return true;
  return false;
}

/* ---- evaluation helpers ---------------------------------------------------------- */

/* The validity of n rows across all datums (NULL if none is null). */
static qv_status validity_all(qv_allocator *alloc, const qv_datum *d, int32_t nd, int64_t n, qv_buffer **out,
                              int64_t *nulls, qv_error *err) {
  *out = NULL;
  *nulls = 0;
  if (nd == 1) return qv__validity_and(alloc, &d[0], NULL, n, out, nulls, err);
  QV_RETURN_NOT_OK(qv__validity_and(alloc, &d[0], &d[1], n, out, nulls, err));
  for (int32_t i = 2; i < nd; i++) {
    qv_buffer *next = NULL;
    int64_t nn = 0;
    QV_RETURN_NOT_OK(qv__validity_and(alloc, &d[i], NULL, n, &next, &nn, err));
    if (!next) continue;
    if (!*out) {
      *out = next;
      *nulls = nn;
      continue;
    }
    qv__bitmap_and_into((*out)->data, next->data, 0, n);
    qv_buffer_unref(next);
    *nulls = n - qv_bitmap_count_set((*out)->data, 0, n);
  }
  return QV_OK;
}

static bool all_scalar(const qv_datum *d, int32_t nd) {
  for (int32_t i = 0; i < nd; i++)
    if (!d[i].scalar) return false;
  return true;
}

static void release_all(qv_datum *d, int32_t nd) {
  for (int32_t i = 0; i < nd; i++) qv__datum_release(&d[i]);
}

static inline int64_t i64_at(const qv_datum *d, int64_t i) {
  const qv_array *a = d->array;
  return ((const int64_t *)qv__array_data(a, 1))[a->offset + (d->scalar ? 0 : i)];
}

/* Bytes of the first `chars` UTF-8 characters of p[0..n) (all if fewer). */
static int64_t utf8_prefix_bytes(const uint8_t *p, int64_t n, int64_t chars) {
  int64_t i = 0;
  while (i < n && chars > 0) {
    i++;
    while (i < n && (p[i] & 0xC0) == 0x80) i++;
    chars--;
  }
  return i;
}

static int64_t utf8_count(const uint8_t *p, int64_t n) {
  int64_t c = 0;
  for (int64_t i = 0; i < n; i++) c += (p[i] & 0xC0) != 0x80;
  return c;
}

/* Common frame of functions that map string rows to string rows. */
typedef qv_status (*row_fn)(const qv_datum *d, int64_t i, qv_str_builder *b, qv_error *err);

static qv_status map_strings(const qv_expr *e, qv_eval_ctx *ctx, row_fn fn, qv_datum *out, qv_error *err) {
  out->array = NULL;
  int32_t nd = e->n_children;
  qv_datum d[4] = {{0}};
  QV_RETURN_NOT_OK(qv__expr_eval_children(e, ctx, d, err));
  out->scalar = all_scalar(d, nd);
  int64_t n = out->scalar ? 1 : ctx->n_rows;
  qv_buffer *validity = NULL;
  int64_t nulls = 0;
  qv_str_builder b;
  bool inited = false;
  qv_status st = validity_all(ctx->alloc, d, nd, n, &validity, &nulls, err);
  if (st == QV_OK) {
    qv_buffer *data = d[0].array->type->id == QV_NA ? NULL : d[0].array->buffers[2];
    int64_t hint = data ? qv_buffer_size(data) : 0;
    st = qv__str_builder_init(&b, ctx->alloc, e->type, n, d[0].scalar ? 0 : hint, err);
    inited = st == QV_OK;
  }
  const uint8_t *vbits = validity ? validity->data : NULL;
  for (int64_t i = 0; st == QV_OK && i < n; i++) {
    if (!qv__valid_at(vbits, i)) st = qv__str_builder_append(&b, NULL, 0, err);
    else st = fn(d, i, &b, err);
  }
  if (st == QV_OK) {
    st = qv__str_builder_finish(&b, validity, nulls, &out->array, err);
    validity = NULL;
  } else if (inited) {
    qv__str_builder_reset(&b);
  }
  qv_buffer_unref(validity);
  release_all(d, nd);
  return st;
}

static const uint8_t *str_of(const qv_datum *d, int64_t i, int64_t *len) {
  qv_str_view v;
  qv__str_view_init(&v, d->array);
  return qv__str_at(&v, d->scalar ? 0 : i, len);
}

/* ---- substring ------------------------------------------------------------------------ */

static qv_status bind_substring(qv_expr *e, qv_error *err) {
  QV_RETURN_NOT_OK(bind_string(e, 0, err));
  for (int32_t i = 1; i < e->n_children; i++) QV_RETURN_NOT_OK(bind_integer(e, i, err));
  e->type = qv_type_ref(e->children[0]->type);
  e->nullable = any_nullable(e);
  return QV_OK;
}

static qv_status substring_row(const qv_datum *d, int64_t i, qv_str_builder *b, qv_error *err) {
  int64_t len;
  const uint8_t *p = str_of(d, i, &len);
  int64_t start = i64_at(&d[1], i);
  int64_t begin = start < 1 ? 1 : start;
  int64_t skip = utf8_prefix_bytes(p, len, begin - 1);
  int64_t take = len - skip;
  if (d[2].array) {
    int64_t count = i64_at(&d[2], i);
    if (count < 0)
      return qv_error_set(err, QV_INVALID, "substring: negative length %lld", (long long)count);
    /* Characters [start, start + count) clipped to [1, ...). */
    int64_t end;
    if (__builtin_add_overflow(start, count, &end)) end = INT64_MAX;
    int64_t chars = end - begin;
    take = chars <= 0 ? 0 : utf8_prefix_bytes(p + skip, len - skip, chars);
  }
  return qv__str_builder_append(b, p + skip, take, err);
}

static qv_status eval_substring(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return map_strings(e, ctx, substring_row, out, err);
}

/* ---- upper, lower ----------------------------------------------------------------------- */

static qv_status bind_same_string(qv_expr *e, qv_error *err) {
  for (int32_t i = 0; i < e->n_children; i++) QV_RETURN_NOT_OK(bind_string(e, i, err));
  e->type = qv_type_ref(e->children[0]->type);
  e->nullable = any_nullable(e);
  return QV_OK;
}

static qv_status case_row(const qv_datum *d, int64_t i, qv_str_builder *b, bool upper, qv_error *err) {
  int64_t len;
  const uint8_t *p = str_of(d, i, &len);
  uint8_t *dst;
  QV_RETURN_NOT_OK(qv__str_builder_reserve(b, len, &dst, err));
  if (upper)
    for (int64_t k = 0; k < len; k++) dst[k] = p[k] >= 'a' && p[k] <= 'z' ? (uint8_t)(p[k] - 32) : p[k];
  else
    for (int64_t k = 0; k < len; k++) dst[k] = p[k] >= 'A' && p[k] <= 'Z' ? (uint8_t)(p[k] + 32) : p[k];
  return qv__str_builder_commit(b, len, err);
}

static qv_status upper_row(const qv_datum *d, int64_t i, qv_str_builder *b, qv_error *err) {
  return case_row(d, i, b, true, err);
}
static qv_status lower_row(const qv_datum *d, int64_t i, qv_str_builder *b, qv_error *err) {
  return case_row(d, i, b, false, err);
}
static qv_status eval_upper(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return map_strings(e, ctx, upper_row, out, err);
}
static qv_status eval_lower(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return map_strings(e, ctx, lower_row, out, err);
}

/* ---- trim ------------------------------------------------------------------------------------- */

/* Whether the character at p (len bytes) is one of the characters of set. */
static bool in_char_set(const uint8_t *p, int64_t len, const uint8_t *set, int64_t set_len) {
  for (int64_t k = 0; k < set_len;) {
    int64_t cl = utf8_prefix_bytes(set + k, set_len - k, 1);
    if (cl == len && memcmp(set + k, p, (size_t)len) == 0) return true;
    k += cl;
  }
  return false;
}

static qv_status trim_row(const qv_datum *d, int64_t i, qv_str_builder *b, bool left, bool right, qv_error *err) {
  int64_t len, set_len = 1;
  const uint8_t *p = str_of(d, i, &len);
  const uint8_t *set = (const uint8_t *)" ";
  if (d[1].array) set = str_of(&d[1], i, &set_len);
  int64_t lo = 0, hi = len;
  while (left && lo < hi) {
    int64_t cl = utf8_prefix_bytes(p + lo, hi - lo, 1);
    if (!in_char_set(p + lo, cl, set, set_len)) break;
    lo += cl;
  }
  while (right && hi > lo) {
    int64_t s = hi - 1;
    while (s > lo && (p[s] & 0xC0) == 0x80) s--;
    if (!in_char_set(p + s, hi - s, set, set_len)) break;
    hi = s;
  }
  return qv__str_builder_append(b, p + lo, hi - lo, err);
}

static qv_status btrim_row(const qv_datum *d, int64_t i, qv_str_builder *b, qv_error *err) {
  return trim_row(d, i, b, true, true, err);
}
static qv_status ltrim_row(const qv_datum *d, int64_t i, qv_str_builder *b, qv_error *err) {
  return trim_row(d, i, b, true, false, err);
}
static qv_status rtrim_row(const qv_datum *d, int64_t i, qv_str_builder *b, qv_error *err) {
  return trim_row(d, i, b, false, true, err);
}
static qv_status eval_trim(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return map_strings(e, ctx, btrim_row, out, err);
}
static qv_status eval_ltrim(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return map_strings(e, ctx, ltrim_row, out, err);
}
static qv_status eval_rtrim(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return map_strings(e, ctx, rtrim_row, out, err);
}

/* ---- length ------------------------------------------------------------------------------------ */

static qv_status bind_length(qv_expr *e, qv_error *err) {
  qv_data_type *t = qv__type_logical(e->children[0]->type);
  if (qv_type_is_binary_like(t->id) && !qv__type_is_string(t->id) && e->children[0]->type->id != QV_DICTIONARY) {
    /* length of a binary counts bytes */
  } else {
    QV_RETURN_NOT_OK(bind_string(e, 0, err));
  }
  e->type = qv_type_primitive(QV_INT64);
  e->nullable = any_nullable(e);
  return QV_OK;
}

static qv_status eval_length_common(const qv_expr *e, qv_eval_ctx *ctx, bool bytes, qv_datum *out, qv_error *err) {
  out->array = NULL;
  qv_datum d = {0};
  QV_RETURN_NOT_OK(qv__expr_eval(e->children[0], ctx, &d, err));
  out->scalar = d.scalar;
  int64_t n = d.scalar ? 1 : ctx->n_rows;
  bool count_bytes = bytes || !qv__type_is_string(d.array->type->id);
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  qv_status st = qv__validity_and(ctx->alloc, &d, NULL, n, &validity, &nulls, err);
  if (st == QV_OK) st = qv__buffer_new(ctx->alloc, n * 8, &vals, err);
  if (st == QV_OK) {
    int64_t *o = (int64_t *)vals->data;
    if (d.array->type->id == QV_NA) {
      memset(o, 0, (size_t)n * 8);
    } else {
      qv_str_view v;
      qv__str_view_init(&v, d.array);
      for (int64_t i = 0; i < n; i++) {
        int64_t len;
        const uint8_t *p = qv__str_at(&v, i, &len);
        o[i] = count_bytes ? len : utf8_count(p, len);
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

static qv_status eval_length(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return eval_length_common(e, ctx, false, out, err);
}
static qv_status eval_octet_length(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return eval_length_common(e, ctx, true, out, err);
}

/* ---- concat -------------------------------------------------------------------------------------- */

static qv_status bind_concat(qv_expr *e, qv_error *err) {
  bool large = false;
  for (int32_t i = 0; i < e->n_children; i++) {
    qv_data_type *t = qv__type_logical(e->children[i]->type);
    if (t->id == QV_LARGE_UTF8) large = true;
    if (qv__type_is_string(t->id) && e->children[i]->type->id != QV_DICTIONARY) continue;
    qv_data_type *to = qv__type_is_string(t->id) ? t : qv_type_primitive(QV_UTF8);
    if (qv__expr_coerce(&e->children[i], to, err) != QV_OK) {
      char why[64];
      snprintf(why, sizeof why, "argument %d cannot be converted to a string", i + 1);
      return qv__function_type_error(e, err, why);
    }
  }
  e->type = qv_type_primitive(large ? QV_LARGE_UTF8 : QV_UTF8);
  e->nullable = false;
  return QV_OK;
}

static qv_status eval_concat(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  out->array = NULL;
  int32_t nd = e->n_children;
  qv_datum *d = calloc((size_t)nd, sizeof *d);
  qv_str_view *views = calloc((size_t)nd, sizeof *views);
  if (!d || !views) {
    free(d);
    free(views);
    return qv_error_set(err, QV_NOMEM, "concat: out of memory");
  }
  qv_status st = qv__expr_eval_children(e, ctx, d, err);
  if (st != QV_OK) {
    free(d);
    free(views);
    return st;
  }
  out->scalar = all_scalar(d, nd);
  int64_t n = out->scalar ? 1 : ctx->n_rows;
  int64_t hint = 0;
  for (int32_t k = 0; k < nd; k++) {
    if (d[k].array->type->id == QV_NA) continue;
    qv__str_view_init(&views[k], d[k].array);
    if (!d[k].scalar && d[k].array->buffers[2]) hint += qv_buffer_size(d[k].array->buffers[2]);
  }
  qv_str_builder b;
  st = qv__str_builder_init(&b, ctx->alloc, e->type, n, hint, err);
  for (int64_t i = 0; st == QV_OK && i < n; i++) {
    int64_t total = 0;
    for (int32_t k = 0; k < nd; k++) {
      int64_t r = d[k].scalar ? 0 : i, len;
      if (d[k].array->type->id == QV_NA || !qv_array_is_valid(d[k].array, r)) continue;
      (void)qv__str_at(&views[k], r, &len);
      total += len;
    }
    uint8_t *dst;
    st = qv__str_builder_reserve(&b, total, &dst, err);
    int64_t pos = 0;
    for (int32_t k = 0; st == QV_OK && k < nd; k++) {
      int64_t r = d[k].scalar ? 0 : i, len;
      if (d[k].array->type->id == QV_NA || !qv_array_is_valid(d[k].array, r)) continue;
      const uint8_t *p = qv__str_at(&views[k], r, &len);
      if (len) memcpy(dst + pos, p, (size_t)len);
      pos += len;
    }
    if (st == QV_OK) st = qv__str_builder_commit(&b, total, err);
  }
  if (st == QV_OK) st = qv__str_builder_finish(&b, NULL, 0, &out->array, err);
  else qv__str_builder_reset(&b);
  release_all(d, nd);
  free(d);
  free(views);
  return st;
}

/* ---- starts_with, ends_with, contains ---------------------------------------------------------- */

static qv_status bind_string_predicate(qv_expr *e, qv_error *err) {
  for (int32_t i = 0; i < e->n_children; i++) QV_RETURN_NOT_OK(bind_string(e, i, err));
  e->type = qv_type_primitive(QV_BOOL);
  e->nullable = any_nullable(e);
  return QV_OK;
}

typedef enum str_pred { PRED_STARTS, PRED_ENDS, PRED_CONTAINS } str_pred;

static qv_status eval_predicate(const qv_expr *e, qv_eval_ctx *ctx, str_pred which, qv_datum *out, qv_error *err) {
  out->array = NULL;
  qv_datum d[2] = {{0}};
  QV_RETURN_NOT_OK(qv__expr_eval_children(e, ctx, d, err));
  out->scalar = all_scalar(d, 2);
  int64_t n = out->scalar ? 1 : ctx->n_rows;
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  qv_status st = validity_all(ctx->alloc, d, 2, n, &validity, &nulls, err);
  if (st == QV_OK) st = qv__buffer_zeroed(ctx->alloc, (n + 7) / 8, &vals, err);
  bool na = d[0].array->type->id == QV_NA || d[1].array->type->id == QV_NA;
  for (int64_t i = 0; st == QV_OK && !na && i < n; i++) {
    int64_t sl, pl;
    const uint8_t *s = str_of(&d[0], i, &sl);
    const uint8_t *p = str_of(&d[1], i, &pl);
    bool hit;
    switch (which) {
      case PRED_STARTS: hit = sl >= pl && (pl == 0 || memcmp(s, p, (size_t)pl) == 0); break;
      case PRED_ENDS: hit = sl >= pl && (pl == 0 || memcmp(s + sl - pl, p, (size_t)pl) == 0); break;
      default: hit = pl == 0 || (sl > 0 && memmem(s, (size_t)sl, p, (size_t)pl) != NULL); break;
    }
    if (hit) qv_bit_set(vals->data, i);
  }
  if (st == QV_OK) {
    st = qv__array_from_buffers(e->type, n, validity, nulls, vals, &out->array, err);
    validity = vals = NULL;
  }
  qv_buffer_unref(validity);
  qv_buffer_unref(vals);
  release_all(d, 2);
  return st;
}

static qv_status eval_starts_with(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return eval_predicate(e, ctx, PRED_STARTS, out, err);
}
static qv_status eval_ends_with(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return eval_predicate(e, ctx, PRED_ENDS, out, err);
}
static qv_status eval_contains(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  return eval_predicate(e, ctx, PRED_CONTAINS, out, err);
}

const qv_function_def qv__string_functions[] = {
    {"substring", 2, 3, bind_substring, eval_substring, true},
    {"substr", 2, 3, bind_substring, eval_substring, true},
    {"upper", 1, 1, bind_same_string, eval_upper, false},
    {"lower", 1, 1, bind_same_string, eval_lower, false},
    {"trim", 1, 2, bind_same_string, eval_trim, false},
    {"btrim", 1, 2, bind_same_string, eval_trim, false},
    {"ltrim", 1, 2, bind_same_string, eval_ltrim, false},
    {"rtrim", 1, 2, bind_same_string, eval_rtrim, false},
    {"length", 1, 1, bind_length, eval_length, false},
    {"char_length", 1, 1, bind_length, eval_length, false},
    {"character_length", 1, 1, bind_length, eval_length, false},
    {"octet_length", 1, 1, bind_length, eval_octet_length, false},
    {"concat", 1, -1, bind_concat, eval_concat, false},
    {"starts_with", 2, 2, bind_string_predicate, eval_starts_with, false},
    {"ends_with", 2, 2, bind_string_predicate, eval_ends_with, false},
    {"contains", 2, 2, bind_string_predicate, eval_contains, false},
};
const int32_t qv__n_string_functions = (int32_t)(sizeof qv__string_functions / sizeof qv__string_functions[0]);
