/* IN (list) with SQL semantics: x IN (a, b, ...) is TRUE when x equals an
 * item, NULL when it does not but x or an item is NULL, FALSE otherwise; NOT
 * IN negates the known answers (so NOT IN over a list holding a NULL is
 * never TRUE).
 *
 * A list of literals (the usual case) becomes an open-addressing hash set
 * when the node is built: integers, dates, timestamps and decimals keyed as
 * 128-bit integers (all items share the column's type after coercion),
 * floats as normalised doubles (-0.0 = 0.0, NaN = NaN), strings as bytes;
 * each row then costs one hash and a probe or two, whatever the list's
 * length. A list with non-literal items is evaluated as x = a OR x = b ... */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

typedef enum key_kind { KEY_INT, KEY_FLOAT, KEY_BYTES } key_kind;

typedef struct in_set {
  key_kind kind;
  bool has_null;
  int64_t n;        /* distinct non-null items */
  qv_i128 *ints;
  double *floats;
  uint8_t **bytes;
  int64_t *lens;
  int64_t cap;      /* power of two, at least twice n */
  int64_t *slots;   /* item index or -1 */
} in_set;

static void in_set_free(void *p) {
  in_set *s = p;
  if (!s) return;
  for (int64_t i = 0; s->bytes && i < s->n; i++) free(s->bytes[i]);
  free(s->bytes);
  free(s->lens);
  free(s->ints);
  free(s->floats);
  free(s->slots);
  free(s);
}

static inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static inline uint64_t hash_int(qv_i128 v) {
  return mix64((uint64_t)v ^ mix64((uint64_t)((unsigned __int128)v >> 64)));
}

static inline double norm_double(double d) { return d == 0.0 ? 0.0 : isnan(d) ? NAN : d; }

static inline uint64_t hash_double(double d) {
  uint64_t bits;
  d = norm_double(d);
  memcpy(&bits, &d, 8);
  return mix64(bits);
}

static inline uint64_t hash_bytes(const uint8_t *p, int64_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = mix64(h ^ w) * 0x9e3779b97f4a7c15ULL;
  }
  uint64_t tail = 0;
  if (n > i) memcpy(&tail, p + i, (size_t)(n - i));
  return mix64(h ^ tail);
}

static inline bool float_eq(double a, double b) {
  a = norm_double(a);
  b = norm_double(b);
  return a == b || (isnan(a) && isnan(b));
}

/* Probes for a key; returns its slot (holding -1 when absent). */
static inline int64_t probe_int(const in_set *s, qv_i128 v) {
  int64_t mask = s->cap - 1, h = (int64_t)(hash_int(v) & (uint64_t)mask);
  while (s->slots[h] >= 0 && s->ints[s->slots[h]] != v) h = (h + 1) & mask;
  return h;
}

static inline int64_t probe_float(const in_set *s, double v) {
  int64_t mask = s->cap - 1, h = (int64_t)(hash_double(v) & (uint64_t)mask);
  while (s->slots[h] >= 0 && !float_eq(s->floats[s->slots[h]], v)) h = (h + 1) & mask;
  return h;
}

static inline int64_t probe_bytes(const in_set *s, const uint8_t *p, int64_t n) {
  int64_t mask = s->cap - 1, h = (int64_t)(hash_bytes(p, n) & (uint64_t)mask);
  while (s->slots[h] >= 0) {
    int64_t k = s->slots[h];
    if (s->lens[k] == n && (n == 0 || memcmp(s->bytes[k], p, (size_t)n) == 0)) break;
    h = (h + 1) & mask;
  }
  return h;
}

static key_kind kind_of(qv_type_id id) {
  if (id == QV_FLOAT32 || id == QV_FLOAT64) return KEY_FLOAT;
  if (qv_type_is_binary_like(id)) return KEY_BYTES;
  return KEY_INT;
}

/* Row i (offset applied) of a fixed-width or bool array as an integer key. */
static qv_i128 int_key(const qv_array *a, int64_t i) {
  const uint8_t *p = qv__array_data(a, 1);
  int64_t k = a->offset + i;
  switch (a->type->id) {
    case QV_BOOL: return qv_bit_get(p, k);
    case QV_INT8: return ((const int8_t *)p)[k];
    case QV_INT16: return ((const int16_t *)p)[k];
    case QV_INT32: case QV_DATE32: return ((const int32_t *)p)[k];
    case QV_INT64: case QV_TIMESTAMP: return ((const int64_t *)p)[k];
    case QV_UINT8: return ((const uint8_t *)p)[k];
    case QV_UINT16: return ((const uint16_t *)p)[k];
    case QV_UINT32: return ((const uint32_t *)p)[k];
    case QV_UINT64: return ((const uint64_t *)p)[k];
    default: return qv__dec_load(p, k);
  }
}

static double float_key(const qv_array *a, int64_t i) {
  const uint8_t *p = qv__array_data(a, 1);
  if (a->type->id == QV_FLOAT32) return ((const float *)p)[a->offset + i];
  return ((const double *)p)[a->offset + i];
}

qv_status qv__in_list_prepare(qv_expr *e, qv_error *err) {
  int32_t n_items = e->n_children - 1;
  for (int32_t i = 1; i <= n_items; i++)
    if (e->children[i]->kind != QV_EXPR_LITERAL) return QV_OK; /* evaluated as an OR chain */
  in_set *s = calloc(1, sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "IN: out of memory");
  s->kind = kind_of(e->children[0]->type->id);
  s->cap = 16;
  while (s->cap < 2 * (int64_t)n_items) s->cap *= 2;
  size_t k = (size_t)n_items + 1;
  s->slots = malloc((size_t)s->cap * sizeof *s->slots);
  if (s->kind == KEY_INT) s->ints = calloc(k, sizeof *s->ints);
  if (s->kind == KEY_FLOAT) s->floats = calloc(k, sizeof *s->floats);
  if (s->kind == KEY_BYTES) {
    s->bytes = calloc(k, sizeof *s->bytes);
    s->lens = calloc(k, sizeof *s->lens);
  }
  if (!s->slots || (!s->ints && !s->floats && !s->bytes) || (s->bytes && !s->lens)) {
    in_set_free(s);
    return qv_error_set(err, QV_NOMEM, "IN: out of memory");
  }
  for (int64_t i = 0; i < s->cap; i++) s->slots[i] = -1;
  for (int32_t i = 1; i <= n_items; i++) {
    const qv_array *v = e->children[i]->literal;
    if (v->type->id == QV_NA || !qv_array_is_valid(v, 0)) {
      s->has_null = true;
      continue;
    }
    int64_t h;
    if (s->kind == KEY_INT) {
      qv_i128 key = int_key(v, 0);
      h = probe_int(s, key);
      if (s->slots[h] < 0) s->ints[s->n] = key;
    } else if (s->kind == KEY_FLOAT) {
      double key = float_key(v, 0);
      h = probe_float(s, key);
      if (s->slots[h] < 0) s->floats[s->n] = key;
    } else {
      qv_str_view sv;
      qv__str_view_init(&sv, v);
      int64_t len;
      const uint8_t *p = qv__str_at(&sv, 0, &len);
      h = probe_bytes(s, p, len);
      if (s->slots[h] < 0) {
        s->bytes[s->n] = malloc((size_t)(len ? len : 1));
        if (!s->bytes[s->n]) {
          in_set_free(s);
          return qv_error_set(err, QV_NOMEM, "IN: out of memory");
        }
        memcpy(s->bytes[s->n], p, (size_t)len);
        s->lens[s->n] = len;
      }
    }
    if (s->slots[h] < 0) s->slots[h] = s->n++;
  }
  e->state = s;
  e->state_free = in_set_free;
  return QV_OK;
}

/* Membership of rows [0, n) of a into packed bits. */
static void probe_rows(const in_set *s, const qv_array *a, int64_t n, uint8_t *found) {
  memset(found, 0, (size_t)((n + 7) / 8));
  if (s->kind == KEY_BYTES) {
    qv_str_view v;
    qv__str_view_init(&v, a);
    for (int64_t i = 0; i < n; i++) {
      int64_t len;
      const uint8_t *p = qv__str_at(&v, i, &len);
      if (s->slots[probe_bytes(s, p, len)] >= 0) qv_bit_set(found, i);
    }
    return;
  }
  if (s->kind == KEY_FLOAT) {
    for (int64_t i = 0; i < n; i++)
      if (s->slots[probe_float(s, float_key(a, i))] >= 0) qv_bit_set(found, i);
    return;
  }
  /* Integer-like: one loop per physical width keeps the key load out of a
   * per-row switch for the common types. */
  const uint8_t *p = qv__array_data(a, 1);
  int64_t o = a->offset;
  switch (a->type->id) {
    case QV_INT32:
    case QV_DATE32:
      for (int64_t i = 0; i < n; i++)
        if (s->slots[probe_int(s, ((const int32_t *)p)[o + i])] >= 0) qv_bit_set(found, i);
      break;
    case QV_INT64:
    case QV_TIMESTAMP:
      for (int64_t i = 0; i < n; i++)
        if (s->slots[probe_int(s, ((const int64_t *)p)[o + i])] >= 0) qv_bit_set(found, i);
      break;
    default:
      for (int64_t i = 0; i < n; i++)
        if (s->slots[probe_int(s, int_key(a, i))] >= 0) qv_bit_set(found, i);
      break;
  }
}

static qv_status eval_or_chain(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  qv_datum v = {0}, acc = {0};
  QV_RETURN_NOT_OK(qv__expr_eval(e->children[0], ctx, &v, err));
  qv_status st = QV_OK;
  for (int32_t i = 1; st == QV_OK && i < e->n_children; i++) {
    qv_datum item = {0}, eq = {0};
    st = qv__expr_eval(e->children[i], ctx, &item, err);
    if (st == QV_OK) st = qv__kernel_compare(ctx, QV_OP_EQ, &v, &item, &eq, err);
    qv__datum_release(&item);
    if (st != QV_OK) break;
    if (!acc.array) {
      acc = eq;
      continue;
    }
    qv_datum next = {0};
    st = qv__kernel_logic(ctx, QV_OP_OR, &acc, &eq, &next, err);
    qv__datum_release(&eq);
    qv__datum_release(&acc);
    acc = next;
  }
  if (st == QV_OK && e->negated) st = qv__kernel_not(ctx, &acc, out, err);
  else if (st == QV_OK) {
    *out = acc;
    acc.array = NULL;
  }
  qv__datum_release(&acc);
  qv__datum_release(&v);
  return st;
}

qv_status qv__eval_in_list(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  out->array = NULL;
  const in_set *s = e->state;
  if (!s) return eval_or_chain(e, ctx, out, err);
  qv_datum v = {0};
  QV_RETURN_NOT_OK(qv__expr_eval(e->children[0], ctx, &v, err));
  out->scalar = v.scalar;
  int64_t n = v.scalar ? 1 : ctx->n_rows;
  qv_array *a = v.array, *decoded = NULL;
  qv_status st = QV_OK;
  if (a->type->id == QV_DICTIONARY) {
    st = qv__dictionary_decode(ctx->alloc, a, &decoded, err);
    a = decoded;
  }
  qv_buffer *validity = NULL, *vals = NULL;
  int64_t nbytes = (n + 7) / 8;
  if (st == QV_OK) st = qv__buffer_new(ctx->alloc, nbytes, &validity, err);
  if (st == QV_OK) st = qv__buffer_new(ctx->alloc, nbytes, &vals, err);
  if (st == QV_OK) {
    bool na = a->type->id == QV_NA;
    if (!na) probe_rows(s, a, n, vals->data);
    else memset(vals->data, 0, (size_t)nbytes);
    /* valid = value valid AND (found OR no NULL item); value = found XOR negated. */
    if (na) memset(validity->data, 0, (size_t)nbytes);
    else qv__bitmap_align(validity->data, qv__array_data(a, 0), a->offset, n);
    for (int64_t j = 0; j < nbytes; j++) {
      uint8_t f = vals->data[j];
      if (s->has_null) validity->data[j] &= f;
      vals->data[j] = e->negated ? (uint8_t)~f : f;
    }
    if (n & 7) validity->data[nbytes - 1] &= (uint8_t)((1u << (n & 7)) - 1);
    int64_t nulls = n - qv_bitmap_count_set(validity->data, 0, n);
    if (nulls == 0) {
      qv_buffer_unref(validity);
      validity = NULL;
    }
    st = qv__array_from_buffers(qv_type_primitive(QV_BOOL), n, validity, nulls, vals, &out->array, err);
    validity = vals = NULL;
  }
  qv_buffer_unref(validity);
  qv_buffer_unref(vals);
  qv_array_unref(decoded);
  qv__datum_release(&v);
  return st;
}
