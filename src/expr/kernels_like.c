/* LIKE and ILIKE. '%' matches any sequence of characters, '_' exactly one
 * (UTF-8) character, and '\' makes the next character literal ('\%', '\_',
 * '\\'); a pattern ending in a lone '\' is an error, as in PostgreSQL. ILIKE
 * folds ASCII letters only.
 *
 * A literal pattern is compiled once, when the node is built, into one of
 * the fast forms: an exact match, a prefix ('abc%'), a suffix ('%abc'), a
 * substring ('%abc%', found with memmem), or a chain of pieces
 * ('%special%requests%': each piece found after the previous one; greedy
 * leftmost matching is exact when the only wildcard is '%'). Patterns with
 * '_' use the general matcher, a backtracking scan that remembers only the
 * last '%' (linear for most patterns, O(n*m) at worst, no recursion). */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

typedef enum like_form { LIKE_EXACT, LIKE_PREFIX, LIKE_SUFFIX, LIKE_CONTAINS, LIKE_PIECES, LIKE_ANY, LIKE_GENERAL } like_form;

typedef struct like_state {
  like_form form;
  bool ci;
  bool null_pattern;      /* a NULL literal pattern: every row is NULL */
  bool anchored_start, anchored_end;
  int32_t n_pieces;
  uint8_t **pieces;       /* unescaped literal pieces between '%' (lower-cased for ILIKE) */
  int64_t *piece_lens;
  uint8_t *pattern;       /* LIKE_GENERAL: the raw pattern (lower-cased for ILIKE) */
  int64_t pattern_len;
} like_state;

static void like_state_free(void *p) {
  like_state *s = p;
  if (!s) return;
  for (int32_t i = 0; i < s->n_pieces; i++) free(s->pieces[i]);
  free(s->pieces);
  free(s->piece_lens);
  free(s->pattern);
  free(s);
}

static inline uint8_t fold(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

/* Bytes of the UTF-8 character starting with lead byte c (1 for stray bytes). */
static inline int64_t utf8_len(uint8_t c) {
  return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static bool ends_in_escape(const uint8_t *p, int64_t n) {
  int64_t k = 0;
  while (k < n && p[n - 1 - k] == '\\') k++;
  return k & 1;
}

/* The general matcher: '%' backtracking to the last star only. */
static bool like_general(const uint8_t *s, int64_t sn, const uint8_t *p, int64_t pn, bool ci) {
  int64_t si = 0, pi = 0, star_pi = -1, star_si = 0;
  while (si < sn) {
    if (pi < pn && p[pi] == '%') {
      while (pi < pn && p[pi] == '%') pi++;
      if (pi == pn) return true;
      star_pi = pi;
      star_si = si;
      continue;
    }
    if (pi < pn) {
      if (p[pi] == '_') {
        int64_t step = utf8_len(s[si]);
        si += step < sn - si ? step : sn - si;
        pi++;
        continue;
      }
      uint8_t pc = p[pi];
      int64_t step = 1;
      if (pc == '\\' && pi + 1 < pn) {
        pc = p[pi + 1];
        step = 2;
      }
      uint8_t sc = ci ? fold(s[si]) : s[si];
      if (ci) pc = fold(pc);
      if (pc == sc) {
        si++;
        pi += step;
        continue;
      }
    }
    if (star_pi < 0) return false;
    int64_t step = utf8_len(s[star_si]);
    star_si += step < sn - star_si ? step : sn - star_si;
    si = star_si;
    pi = star_pi;
  }
  while (pi < pn && p[pi] == '%') pi++;
  return pi == pn;
}

/* Compiles a pattern (n bytes). Errors: QV_INVALID for a trailing escape. */
static qv_status like_compile(const uint8_t *p, int64_t n, bool ci, like_state **out, qv_error *err) {
  *out = NULL;
  if (ends_in_escape(p, n))
    return qv_error_set(err, QV_INVALID, "LIKE pattern '%.*s' ends with the escape character", (int)(n > 200 ? 200 : n),
                        (const char *)p);
  like_state *s = calloc(1, sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "LIKE: out of memory");
  s->ci = ci;
  bool has_underscore = false, has_percent = false;
  for (int64_t i = 0; i < n; i++) {
    if (p[i] == '\\') {
      i++;
      continue;
    }
    has_underscore |= p[i] == '_';
    has_percent |= p[i] == '%';
  }
  if (has_underscore) {
    s->form = LIKE_GENERAL;
    s->pattern = malloc((size_t)(n ? n : 1));
    if (!s->pattern) {
      like_state_free(s);
      return qv_error_set(err, QV_NOMEM, "LIKE: out of memory");
    }
    for (int64_t i = 0; i < n; i++) s->pattern[i] = ci ? fold(p[i]) : p[i];
    s->pattern_len = n;
    *out = s;
    return QV_OK;
  }
  /* Split into unescaped pieces at each '%'. */
  s->pieces = calloc((size_t)n + 1, sizeof *s->pieces);
  s->piece_lens = calloc((size_t)n + 1, sizeof *s->piece_lens);
  uint8_t *buf = malloc((size_t)n + 1);
  if (!s->pieces || !s->piece_lens || !buf) {
    free(buf);
    like_state_free(s);
    return qv_error_set(err, QV_NOMEM, "LIKE: out of memory");
  }
  s->anchored_start = n == 0 || p[0] != '%';
  s->anchored_end = !has_percent || (n > 0 && (p[n - 1] != '%' || ends_in_escape(p, n - 1)));
  int64_t len = 0;
  for (int64_t i = 0; i <= n; i++) {
    if (i == n || p[i] == '%') {
      if (len > 0 || !has_percent) {
        uint8_t *piece = malloc((size_t)(len ? len : 1));
        if (!piece) {
          free(buf);
          like_state_free(s);
          return qv_error_set(err, QV_NOMEM, "LIKE: out of memory");
        }
        memcpy(piece, buf, (size_t)len);
        s->pieces[s->n_pieces] = piece;
        s->piece_lens[s->n_pieces++] = len;
      }
      len = 0;
      continue;
    }
    uint8_t c = p[i];
    if (c == '\\') c = p[++i];
    buf[len++] = ci ? fold(c) : c;
  }
  free(buf);
  if (!has_percent) s->form = LIKE_EXACT;
  else if (s->n_pieces == 0) s->form = LIKE_ANY;
  else if (s->n_pieces == 1 && s->anchored_start) s->form = LIKE_PREFIX;
  else if (s->n_pieces == 1 && s->anchored_end) s->form = LIKE_SUFFIX;
  else if (s->n_pieces == 1) s->form = LIKE_CONTAINS;
  else s->form = LIKE_PIECES;
  *out = s;
  return QV_OK;
}

/* Matches one value (already case-folded for ILIKE) against a compiled
 * pattern. */
static bool like_compiled(const like_state *s, const uint8_t *v, int64_t n) {
  if (!v) v = (const uint8_t *)""; /* an empty value may come without bytes */
  switch (s->form) {
    case LIKE_EXACT: return n == s->piece_lens[0] && (n == 0 || memcmp(v, s->pieces[0], (size_t)n) == 0);
    case LIKE_PREFIX: {
      int64_t k = s->piece_lens[0];
      return n >= k && memcmp(v, s->pieces[0], (size_t)k) == 0;
    }
    case LIKE_SUFFIX: {
      int64_t k = s->piece_lens[0];
      return n >= k && memcmp(v + n - k, s->pieces[0], (size_t)k) == 0;
    }
    case LIKE_CONTAINS: return memmem(v, (size_t)n, s->pieces[0], (size_t)s->piece_lens[0]) != NULL;
    case LIKE_ANY: return true;
    case LIKE_GENERAL: return like_general(v, n, s->pattern, s->pattern_len, false);
    default: break;
  }
  int64_t pos = 0, end = n;
  int32_t first = 0, last = s->n_pieces - 1;
  if (s->anchored_start) {
    int64_t k = s->piece_lens[0];
    if (n < k || memcmp(v, s->pieces[0], (size_t)k) != 0) return false;
    pos = k;
    first = 1;
  }
  if (s->anchored_end) {
    int64_t k = s->piece_lens[last];
    if (end - pos < k || memcmp(v + end - k, s->pieces[last], (size_t)k) != 0) return false;
    end -= k;
    last--;
  }
  for (int32_t i = first; i <= last; i++) {
    const uint8_t *hit = memmem(v + pos, (size_t)(end - pos), s->pieces[i], (size_t)s->piece_lens[i]);
    if (!hit) return false;
    pos = (hit - v) + s->piece_lens[i];
  }
  return true;
}

qv_status qv__like_prepare(qv_expr *e, qv_error *err) {
  qv_expr *pat = e->children[1];
  if (pat->kind != QV_EXPR_LITERAL) return QV_OK;
  like_state *s = NULL;
  if (!qv_array_is_valid(pat->literal, 0) || pat->literal->type->id == QV_NA) {
    s = calloc(1, sizeof *s);
    if (!s) return qv_error_set(err, QV_NOMEM, "LIKE: out of memory");
    s->null_pattern = true;
  } else {
    qv_str_view v;
    qv__str_view_init(&v, pat->literal);
    int64_t n;
    const uint8_t *p = qv__str_at(&v, 0, &n);
    QV_RETURN_NOT_OK(like_compile(p, n, e->case_insensitive, &s, err));
  }
  e->state = s;
  e->state_free = like_state_free;
  return QV_OK;
}

/* Matches rows [0, n) of a string array against a compiled pattern into
 * packed bits (negated for NOT LIKE). */
static qv_status like_rows(const like_state *s, const qv_array *a, int64_t n, bool negated, uint8_t *out,
                           qv_error *err) {
  qv_str_view v;
  qv__str_view_init(&v, a);
  uint8_t *scratch = NULL;
  int64_t scratch_cap = 0;
  unsigned flip = negated ? 1u : 0u;
  for (int64_t i = 0; i < n; i += 8) {
    int64_t m = n - i < 8 ? n - i : 8;
    unsigned byte = 0;
    for (int64_t k = 0; k < m; k++) {
      int64_t len;
      const uint8_t *p = qv__str_at(&v, i + k, &len);
      if (s->ci) {
        if (len > scratch_cap) {
          int64_t cap = len * 2 > 256 ? len * 2 : 256;
          uint8_t *grown = realloc(scratch, (size_t)cap);
          if (!grown) {
            free(scratch);
            return qv_error_set(err, QV_NOMEM, "ILIKE: out of memory");
          }
          scratch = grown;
          scratch_cap = cap;
        }
        for (int64_t j = 0; j < len; j++) scratch[j] = fold(p[j]);
        p = scratch;
      }
      byte |= ((unsigned)like_compiled(s, p, len) ^ flip) << k;
    }
    out[i >> 3] = (uint8_t)byte;
  }
  free(scratch);
  return QV_OK;
}

/* Rows of value against rows of a pattern column, one pattern per row. */
static qv_status like_rows_dynamic(const qv_datum *value, const qv_datum *pattern, int64_t n, bool ci, bool negated,
                                   uint8_t *out, qv_error *err) {
  qv_str_view v, p;
  qv__str_view_init(&v, value->array);
  qv__str_view_init(&p, pattern->array);
  memset(out, 0, (size_t)((n + 7) / 8));
  for (int64_t i = 0; i < n; i++) {
    int64_t vl, pl;
    const uint8_t *vs = qv__str_at(&v, value->scalar ? 0 : i, &vl);
    const uint8_t *ps = qv__str_at(&p, pattern->scalar ? 0 : i, &pl);
    bool valid = qv_array_is_valid(pattern->array, pattern->scalar ? 0 : i);
    if (valid && ends_in_escape(ps, pl))
      return qv_error_set(err, QV_INVALID, "LIKE pattern '%.*s' ends with the escape character",
                          (int)(pl > 200 ? 200 : pl), (const char *)ps);
    bool match = valid && like_general(vs, vl, ps, pl, ci);
    if (match != negated) qv_bit_set(out, i);
  }
  return QV_OK;
}

qv_status qv__kernel_like(qv_eval_ctx *ctx, const qv_expr *e, const qv_datum *value, const qv_datum *pattern,
                          qv_datum *out, qv_error *err) {
  out->array = NULL;
  out->scalar = value->scalar && pattern->scalar;
  int64_t n = out->scalar ? 1 : ctx->n_rows;
  qv_data_type *bool_t = qv_type_primitive(QV_BOOL);
  const like_state *s = e->state;
  like_state *tmp = NULL;
  if (!s && pattern->scalar && !qv__datum_is_null_scalar(pattern)) {
    /* A pattern computed once per batch (an expression of literals). */
    qv_str_view pv;
    qv__str_view_init(&pv, pattern->array);
    int64_t pl;
    const uint8_t *pp = qv__str_at(&pv, 0, &pl);
    QV_RETURN_NOT_OK(like_compile(pp, pl, e->case_insensitive, &tmp, err));
    s = tmp;
  }
  if ((s && s->null_pattern) || qv__datum_is_null_scalar(pattern) || qv__datum_is_null_scalar(value)) {
    like_state_free(tmp);
    return qv_array_make_nulls(ctx->alloc, bool_t, n, &out->array, err);
  }
  qv_status st = QV_OK;
  qv_array *dict = value->array->type->id == QV_DICTIONARY ? value->array : NULL;
  if (dict && s && !value->scalar) {
    /* Match each dictionary value once, then gather by index. */
    qv_array *dv = dict->dictionary;
    qv_buffer *bits = NULL, *dvalid = NULL;
    int64_t dnulls = 0;
    qv_array *per_value = NULL;
    int64_t *idx = NULL;
    st = qv__buffer_new(ctx->alloc, (dv->length + 7) / 8, &bits, err);
    if (st == QV_OK) st = like_rows(s, dv, dv->length, e->negated, bits->data, err);
    if (st == QV_OK) st = qv__validity_of(ctx->alloc, dv, &dvalid, &dnulls, err);
    if (st == QV_OK) {
      st = qv__array_from_buffers(bool_t, dv->length, dvalid, dnulls, bits, &per_value, err);
      bits = NULL;
    }
    if (st == QV_OK) st = qv__dictionary_indices(dict, &idx, err);
    if (st == QV_OK) st = qv__array_take(ctx->alloc, per_value, idx, n, &out->array, err);
    free(idx);
    qv_buffer_unref(bits);
    qv_array_unref(per_value);
    like_state_free(tmp);
    return st;
  }
  qv_datum decoded = {0};
  if (dict) {
    decoded.scalar = value->scalar;
    st = qv__dictionary_decode(ctx->alloc, dict, &decoded.array, err);
    value = &decoded;
  }
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nulls = 0;
  if (st == QV_OK) st = qv__validity_and(ctx->alloc, value, pattern, n, &validity, &nulls, err);
  if (st == QV_OK) st = qv__buffer_new(ctx->alloc, (n + 7) / 8, &vals, err);
  if (st == QV_OK) {
    if (s && value->scalar) {
      /* Scalar value with a compiled pattern: one match, repeated. */
      st = like_rows(s, value->array, 1, e->negated, vals->data, err);
      if (st == QV_OK) memset(vals->data, vals->data[0] & 1 ? 0xff : 0, (size_t)((n + 7) / 8));
    } else if (s) {
      st = like_rows(s, value->array, n, e->negated, vals->data, err);
    } else {
      st = like_rows_dynamic(value, pattern, n, e->case_insensitive, e->negated, vals->data, err);
    }
  }
  qv__datum_release(&decoded);
  like_state_free(tmp);
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    qv_buffer_unref(vals);
    return st;
  }
  return qv__array_from_buffers(bool_t, n, validity, nulls, vals, &out->array, err);
}
