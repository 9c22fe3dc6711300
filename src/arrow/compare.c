/* Explaining comparison of schemas, arrays and record batches.
 *
 * qv_array_equals answers "equal or not"; a validator also needs to say where
 * and how two results differ. The walk here compares slot by slot through
 * every layout (offsets, children, union type ids, dictionary indices), keeps
 * the nested path of the slot it is on ("col[3][1].f2"), and stops at the
 * first difference with a message naming it. It reads physical buffers the way
 * qv_array_equals does, so slicing and null slots' bytes never matter. */
#include "arrow/compare.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arrow/internal.h"
#include "quiver/pretty.h"

typedef struct cmp {
  qv_error *err;
  unsigned flags;
  const char *prefix; /* "schema: ", "batch 2: " or "" */
  char column[300];   /* "column 3 'a'" while comparing a column's values */
  char path[600];     /* "a[3][1].f2", or a field path "a.b" in a schema */
  size_t path_len;
  int64_t row;        /* top-level row being compared, -1 when none */
} cmp;

static size_t path_push(cmp *c, const char *fmt, ...) QV_PRINTF(2, 3);
static size_t path_push(cmp *c, const char *fmt, ...) {
  size_t old = c->path_len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(c->path + old, sizeof c->path - old, fmt, ap);
  va_end(ap);
  if (n > 0) c->path_len = old + (size_t)n < sizeof c->path ? old + (size_t)n : sizeof c->path - 1;
  return old;
}

static void path_pop(cmp *c, size_t old) {
  c->path_len = old;
  c->path[old] = '\0';
}

/* ---- messages ---------------------------------------------------------------- */

static qv_status differ(cmp *c, const char *fmt, ...) QV_PRINTF(2, 3);
static qv_status differ(cmp *c, const char *fmt, ...) {
  char msg[700], where[1000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t n = 0;
  where[0] = '\0';
  if (c->column[0]) {
    n += (size_t)snprintf(where + n, sizeof where - n, "%s", c->column);
    if (c->row >= 0 && n < sizeof where)
      n += (size_t)snprintf(where + n, sizeof where - n, " row %lld", (long long)c->row);
    if (n < sizeof where) n += (size_t)snprintf(where + n, sizeof where - n, ": ");
    if (c->path_len && n < sizeof where) snprintf(where + n, sizeof where - n, "at %s: ", c->path);
  } else if (c->path_len) {
    snprintf(where, sizeof where, "field '%s': ", c->path);
  }
  return qv_error_set(c->err, QV_INVALID, "%s%s%s", c->prefix, where, msg);
}

static float half_to_float(uint16_t h) {
  int exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  float v = exp == 0    ? ldexpf((float)mant, -24)
            : exp == 31 ? (mant ? NAN : INFINITY)
                        : ldexpf((float)(mant | 0x400), exp - 25);
  return (h & 0x8000) ? -v : v;
}

/* The text of slot i of a, cut to fit buf. Integer-backed temporal values
 * are shown raw, since two timestamps differing by a nanosecond would render
 * alike in a rounded calendar form. */
static const char *value_text(const qv_array *a, int64_t i, char *buf, size_t size) {
  const qv_data_type *t = a->type;
  int64_t k = a->offset + i;
  const uint8_t *v = qv__array_data(a, 1);
  bool valid = t->id != QV_NA && (!a->buffers[0] || qv_bit_get(a->buffers[0]->data, k));
  if (t->id == QV_SPARSE_UNION || t->id == QV_DENSE_UNION) valid = true;
  if (!valid) {
    snprintf(buf, size, "null");
    return buf;
  }
  switch (t->id) {
    case QV_DATE32: case QV_TIME32: case QV_INTERVAL_MONTHS:
      snprintf(buf, size, "%" PRId32, ((const int32_t *)v)[k]);
      return buf;
    case QV_DATE64: case QV_TIME64: case QV_TIMESTAMP: case QV_DURATION:
      snprintf(buf, size, "%" PRId64, ((const int64_t *)v)[k]);
      return buf;
    case QV_FLOAT16: {
      uint16_t h = ((const uint16_t *)v)[k];
      snprintf(buf, size, "%.5g (0x%04x)", (double)half_to_float(h), h);
      return buf;
    }
    case QV_INTERVAL_DAY_TIME: {
      const int32_t *p = (const int32_t *)v + 2 * k;
      snprintf(buf, size, "{days: %" PRId32 ", ms: %" PRId32 "}", p[0], p[1]);
      return buf;
    }
    case QV_INTERVAL_MONTH_DAY_NANO: {
      const uint8_t *p = v + 16 * k;
      int32_t m, d;
      int64_t ns;
      memcpy(&m, p, 4);
      memcpy(&d, p + 4, 4);
      memcpy(&ns, p + 8, 8);
      snprintf(buf, size, "{months: %" PRId32 ", days: %" PRId32 ", ns: %" PRId64 "}", m, d, ns);
      return buf;
    }
    case QV_UTF8: case QV_LARGE_UTF8: {
      /* Quoted, so that "" and " " are told apart; control bytes escaped. */
      bool large = t->id == QV_LARGE_UTF8;
      int64_t start, end;
      if (large) {
        memcpy(&start, v + 8 * k, 8);
        memcpy(&end, v + 8 * (k + 1), 8);
      } else {
        int32_t s32, e32;
        memcpy(&s32, v + 4 * k, 4);
        memcpy(&e32, v + 4 * (k + 1), 4);
        start = s32;
        end = e32;
      }
      const uint8_t *s = qv__array_data(a, 2) + start;
      size_t n = 0;
      buf[n++] = '"';
      for (int64_t j = 0; j < end - start && n + 8 < size; j++) {
        uint8_t ch = s[j];
        if (ch == '"' || ch == '\\') {
          buf[n++] = '\\';
          buf[n++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7F) {
          n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
        } else {
          buf[n++] = (char)ch;
        }
      }
      if (n + 8 >= size) {
        memcpy(buf + n, "...", 3);
        n += 3;
      }
      buf[n++] = '"';
      buf[n] = '\0';
      return buf;
    }
    default: break;
  }
  qv_bytes b;
  qv_bytes_init(&b, NULL);
  if (qv_format_value(a, i, &b, NULL) == QV_OK) {
    size_t n = (size_t)b.size < size - 1 ? (size_t)b.size : size - 1;
    memcpy(buf, b.data, n);
    buf[n] = '\0';
    if ((size_t)b.size > n && size > 4) memcpy(buf + size - 4, "...", 4);
  } else {
    snprintf(buf, size, "(unprintable)");
  }
  qv_bytes_reset(&b);
  return buf;
}

static qv_status value_differs(cmp *c, const qv_array *e, int64_t ei, const qv_array *a,
                               int64_t ai) {
  char ev[200], av[200];
  return differ(c, "expected %s, actual %s", value_text(e, ei, ev, sizeof ev),
                value_text(a, ai, av, sizeof av));
}

/* ---- types ---------------------------------------------------------------- */

static qv_status compare_field(cmp *c, const qv_field *e, const qv_field *a, bool check_name,
                               bool map_entries);

static const char *type_text(const qv_data_type *t, char *buf, size_t size) {
  return qv_type_to_string(t, buf, size);
}

static qv_status type_differs(cmp *c, const char *what, const qv_data_type *e,
                              const qv_data_type *a) {
  char et[256], at[256];
  return differ(c, "%s: expected %s, actual %s", what, type_text(e, et, sizeof et),
                type_text(a, at, sizeof at));
}

static bool str_eq(const char *x, const char *y) {
  if (!x || !y) return x == y;
  return strcmp(x, y) == 0;
}

/* map_entries: e is the entries struct of a map, whose child names (like the
 * entries field's own name) the format leaves free ("entries", "key" and
 * "value" are conventions, and writers differ), so they are not compared. */
static qv_status compare_type(cmp *c, const qv_data_type *e, const qv_data_type *a,
                              bool map_entries) {
  if (e->id != a->id) return type_differs(c, "type", e, a);
  switch (e->id) {
    case QV_DECIMAL128:
    case QV_DECIMAL256:
      if (e->precision != a->precision || e->scale != a->scale) return type_differs(c, "type", e, a);
      break;
    case QV_TIME32: case QV_TIME64: case QV_DURATION:
      if (e->unit != a->unit) return type_differs(c, "type", e, a);
      break;
    case QV_TIMESTAMP:
      if (e->unit != a->unit) return type_differs(c, "type", e, a);
      if (!str_eq(e->timezone, a->timezone))
        return differ(c, "timestamp timezone: expected %s%s%s, actual %s%s%s",
                      e->timezone ? "'" : "", e->timezone ? e->timezone : "none",
                      e->timezone ? "'" : "", a->timezone ? "'" : "",
                      a->timezone ? a->timezone : "none", a->timezone ? "'" : "");
      break;
    case QV_FIXED_SIZE_BINARY:
      if (e->byte_width != a->byte_width) return type_differs(c, "type", e, a);
      break;
    case QV_FIXED_SIZE_LIST:
      if (e->list_size != a->list_size) return type_differs(c, "type", e, a);
      break;
    case QV_MAP:
      if (e->keys_sorted != a->keys_sorted)
        return differ(c, "map keys_sorted: expected %s, actual %s", e->keys_sorted ? "true" : "false",
                      a->keys_sorted ? "true" : "false");
      break;
    case QV_DICTIONARY:
      if (e->dict_index->id != a->dict_index->id)
        return type_differs(c, "dictionary index type", e->dict_index, a->dict_index);
      if (e->dict_ordered != a->dict_ordered)
        return differ(c, "dictionary ordered: expected %s, actual %s",
                      e->dict_ordered ? "true" : "false", a->dict_ordered ? "true" : "false");
      return compare_type(c, e->dict_value, a->dict_value, false);
    default:
      break;
  }
  if (e->n_children != a->n_children)
    return differ(c, "%s has %d children, expected %d", qv_type_id_of(e) == QV_STRUCT ? "struct" : "type",
                  (int)a->n_children, (int)e->n_children);
  for (int32_t i = 0; i < e->n_children; i++) {
    if ((e->id == QV_SPARSE_UNION || e->id == QV_DENSE_UNION) &&
        e->type_codes[i] != a->type_codes[i])
      return differ(c, "union type code %d: expected %d, actual %d", (int)i, (int)e->type_codes[i],
                    (int)a->type_codes[i]);
    size_t old = path_push(c, ".%s", e->children[i]->name);
    bool free_name = map_entries || e->id == QV_MAP;
    qv_status st = compare_field(c, e->children[i], a->children[i], !free_name, e->id == QV_MAP);
    path_pop(c, old);
    QV_RETURN_NOT_OK(st);
  }
  return QV_OK;
}

/* How many times the pair occurs in m. Metadata compare as multisets of
 * pairs: their order does not matter, repeated pairs do. */
static int64_t pair_count(const qv_metadata *m, const char *key, int64_t klen, const char *val,
                          int64_t vlen) {
  int64_t n = 0;
  for (int64_t i = 0; i < qv_metadata_count(m); i++) {
    const char *k, *v;
    int64_t kl, vl;
    qv_metadata_get(m, i, &k, &kl, &v, &vl);
    if (kl == klen && vl == vlen && memcmp(k, key, (size_t)kl) == 0 && memcmp(v, val, (size_t)vl) == 0)
      n++;
  }
  return n;
}

static qv_status compare_metadata(cmp *c, const char *what, const qv_metadata *e,
                                  const qv_metadata *a) {
  for (int pass = 0; pass < 2; pass++) {
    const qv_metadata *x = pass ? a : e, *y = pass ? e : a;
    for (int64_t i = 0; i < qv_metadata_count(x); i++) {
      const char *k, *v;
      int64_t kl, vl;
      qv_metadata_get(x, i, &k, &kl, &v, &vl);
      if (pair_count(x, k, kl, v, vl) == pair_count(y, k, kl, v, vl)) continue;
      int64_t yl;
      const char *yv = qv_metadata_find(y, k, &yl);
      const char *ev = pass ? yv : v, *av = pass ? v : yv;
      int64_t evl = pass ? yl : vl, avl = pass ? vl : yl;
      return differ(c, "%s key '%.*s': expected %s%.*s%s, actual %s%.*s%s", what, (int)kl, k,
                    ev ? "'" : "", ev ? (int)(evl > 200 ? 200 : evl) : 7, ev ? ev : "missing",
                    ev ? "'" : "", av ? "'" : "", av ? (int)(avl > 200 ? 200 : avl) : 7,
                    av ? av : "missing", av ? "'" : "");
    }
  }
  return QV_OK;
}

static qv_status compare_field(cmp *c, const qv_field *e, const qv_field *a, bool check_name,
                               bool map_entries) {
  if (check_name && !str_eq(e->name, a->name))
    return differ(c, "field name: expected '%s', actual '%s'", e->name, a->name);
  if (e->nullable != a->nullable)
    return differ(c, "nullable: expected %s, actual %s", e->nullable ? "true" : "false",
                  a->nullable ? "true" : "false");
  QV_RETURN_NOT_OK(compare_metadata(c, "field metadata", e->metadata, a->metadata));
  return compare_type(c, e->type, a->type, map_entries);
}

qv_status qv__compare_schemas(const qv_schema *expected, const qv_schema *actual, qv_error *err) {
  cmp c = {.err = err, .prefix = "schema: ", .row = -1};
  if (expected->n_fields != actual->n_fields)
    return differ(&c, "%d fields, expected %d", (int)actual->n_fields, (int)expected->n_fields);
  for (int32_t i = 0; i < expected->n_fields; i++) {
    path_pop(&c, 0);
    path_push(&c, "%s", expected->fields[i]->name);
    if (!str_eq(expected->fields[i]->name, actual->fields[i]->name)) {
      path_pop(&c, 0);
      return differ(&c, "field %d name: expected '%s', actual '%s'", (int)i,
                    expected->fields[i]->name, actual->fields[i]->name);
    }
    QV_RETURN_NOT_OK(compare_field(&c, expected->fields[i], actual->fields[i], true, false));
  }
  path_pop(&c, 0);
  return compare_metadata(&c, "schema metadata", expected->metadata, actual->metadata);
}

/* ---- values --------------------------------------------------------------- */

static qv_status compare_slot(cmp *c, const qv_array *e, int64_t ei, const qv_array *a, int64_t ai);

static int64_t offset_at(const qv_array *x, int64_t i, bool large) {
  const uint8_t *p = qv__array_data(x, 1);
  int64_t k = x->offset + i;
  if (large) {
    int64_t v;
    memcpy(&v, p + 8 * k, 8);
    return v;
  }
  int32_t v;
  memcpy(&v, p + 4 * k, 4);
  return v;
}

static int64_t dict_index(const qv_array *x, int64_t i) {
  const uint8_t *p = qv__array_data(x, 1);
  int64_t k = x->offset + i;
  switch (x->type->dict_index->id) {
    case QV_INT8: return ((const int8_t *)p)[k];
    case QV_UINT8: return p[k];
    case QV_INT16: return ((const int16_t *)p)[k];
    case QV_UINT16: return ((const uint16_t *)p)[k];
    case QV_INT32: return ((const int32_t *)p)[k];
    case QV_UINT32: return ((const uint32_t *)p)[k];
    default: return ((const int64_t *)p)[k];
  }
}

static int32_t union_child(const qv_data_type *t, int8_t code) {
  for (int32_t i = 0; i < t->n_children; i++)
    if (t->type_codes[i] == code) return i;
  return -1;
}

static bool floats_equal(double x, double y, unsigned flags) {
  if (x == y || (isnan(x) && isnan(y))) return true;
  if (!(flags & QV_COMPARE_APPROX_FLOATS) || isnan(x) || isnan(y) || isinf(x) || isinf(y))
    return false;
  double diff = fabs(x - y), mag = fmax(fabs(x), fabs(y));
  return diff <= 1e-5 || diff <= 1e-5 * mag;
}

static bool slot_valid(const qv_array *x, int64_t i) {
  if (x->type->id == QV_NA) return false;
  return !x->buffers[0] || qv_bit_get(x->buffers[0]->data, x->offset + i);
}

/* Compares n consecutive child slots as the elements [0, n) of a list. */
static qv_status compare_elements(cmp *c, const qv_array *e, int64_t es, const qv_array *a,
                                  int64_t as, int64_t n) {
  for (int64_t k = 0; k < n; k++) {
    size_t old = path_push(c, "[%lld]", (long long)k);
    qv_status st = compare_slot(c, e, es + k, a, as + k);
    path_pop(c, old);
    QV_RETURN_NOT_OK(st);
  }
  return QV_OK;
}

/* Slot ei of e against slot ai of a; both of the same type (checked before). */
static qv_status compare_slot(cmp *c, const qv_array *e, int64_t ei, const qv_array *a, int64_t ai) {
  const qv_data_type *t = e->type;
  int64_t ek = e->offset + ei, ak = a->offset + ai;
  if (t->id == QV_SPARSE_UNION || t->id == QV_DENSE_UNION) {
    int8_t ec = ((const int8_t *)qv__array_data(e, 0))[ek];
    int8_t ac = ((const int8_t *)qv__array_data(a, 0))[ak];
    if (ec != ac) return differ(c, "union type code: expected %d, actual %d", (int)ec, (int)ac);
    int32_t child = union_child(t, ec);
    if (child < 0) return differ(c, "union type code %d is not in the type", (int)ec);
    int64_t ex = ek, ax = ak;
    if (t->id == QV_DENSE_UNION) {
      ex = ((const int32_t *)qv__array_data(e, 1))[ek];
      ax = ((const int32_t *)qv__array_data(a, 1))[ak];
    }
    size_t old = path_push(c, "<%s>", t->children[child]->name);
    qv_status st = compare_slot(c, e->children[child], ex, a->children[child], ax);
    path_pop(c, old);
    return st;
  }
  bool ev = slot_valid(e, ei), av = slot_valid(a, ai);
  if (!ev || !av) return ev == av ? QV_OK : value_differs(c, e, ei, a, ai);
  const uint8_t *ed = qv__array_data(e, 1), *ad = qv__array_data(a, 1);
  switch (t->id) {
    case QV_BOOL:
      if (qv_bit_get(ed, ek) != qv_bit_get(ad, ak)) return value_differs(c, e, ei, a, ai);
      return QV_OK;
    case QV_FLOAT16: {
      uint16_t x, y;
      memcpy(&x, ed + 2 * ek, 2);
      memcpy(&y, ad + 2 * ak, 2);
      if (!floats_equal(half_to_float(x), half_to_float(y), c->flags))
        return value_differs(c, e, ei, a, ai);
      return QV_OK;
    }
    case QV_FLOAT32: {
      float x, y;
      memcpy(&x, ed + 4 * ek, 4);
      memcpy(&y, ad + 4 * ak, 4);
      if (!floats_equal(x, y, c->flags)) return value_differs(c, e, ei, a, ai);
      return QV_OK;
    }
    case QV_FLOAT64: {
      double x, y;
      memcpy(&x, ed + 8 * ek, 8);
      memcpy(&y, ad + 8 * ak, 8);
      if (!floats_equal(x, y, c->flags)) return value_differs(c, e, ei, a, ai);
      return QV_OK;
    }
    case QV_BINARY: case QV_LARGE_BINARY: case QV_UTF8: case QV_LARGE_UTF8: {
      bool large = t->id == QV_LARGE_BINARY || t->id == QV_LARGE_UTF8;
      int64_t es = offset_at(e, ei, large), el = offset_at(e, ei + 1, large) - es;
      int64_t as = offset_at(a, ai, large), al = offset_at(a, ai + 1, large) - as;
      if (el != al ||
          (el && memcmp(qv__array_data(e, 2) + es, qv__array_data(a, 2) + as, (size_t)el) != 0))
        return value_differs(c, e, ei, a, ai);
      return QV_OK;
    }
    case QV_LIST: case QV_LARGE_LIST: case QV_MAP: {
      bool large = t->id == QV_LARGE_LIST;
      int64_t es = offset_at(e, ei, large), el = offset_at(e, ei + 1, large) - es;
      int64_t as = offset_at(a, ai, large), al = offset_at(a, ai + 1, large) - as;
      if (el != al) {
        char evt[200], avt[200];
        return differ(c, "list length: expected %lld, actual %lld (expected %s, actual %s)",
                      (long long)el, (long long)al, value_text(e, ei, evt, sizeof evt),
                      value_text(a, ai, avt, sizeof avt));
      }
      return compare_elements(c, e->children[0], es, a->children[0], as, el);
    }
    case QV_FIXED_SIZE_LIST: {
      int64_t n = t->list_size;
      return compare_elements(c, e->children[0], ek * n, a->children[0], ak * n, n);
    }
    case QV_STRUCT:
      for (int32_t i = 0; i < t->n_children; i++) {
        size_t old = path_push(c, ".%s", t->children[i]->name);
        qv_status st = compare_slot(c, e->children[i], ek, a->children[i], ak);
        path_pop(c, old);
        QV_RETURN_NOT_OK(st);
      }
      return QV_OK;
    case QV_DICTIONARY: {
      int64_t x = dict_index(e, ei), y = dict_index(a, ai);
      if (x < 0 || x >= e->dictionary->length || y < 0 || y >= a->dictionary->length)
        return differ(c, "dictionary index out of range: expected %lld of %lld, actual %lld of %lld",
                      (long long)x, (long long)e->dictionary->length, (long long)y,
                      (long long)a->dictionary->length);
      return compare_slot(c, e->dictionary, x, a->dictionary, y);
    }
    default: { /* fixed width: integers, temporal, decimals, intervals, fixed-size binary */
      int64_t w = t->byte_width;
      if (memcmp(ed + ek * w, ad + ak * w, (size_t)w) != 0) return value_differs(c, e, ei, a, ai);
      return QV_OK;
    }
  }
}

/* Compares two arrays of the same logical type, column label in c->path. */
static qv_status compare_columns(cmp *c, const qv_array *e, const qv_array *a) {
  QV_RETURN_NOT_OK(compare_type(c, e->type, a->type, false));
  if (e->length != a->length)
    return differ(c, "length: expected %lld, actual %lld", (long long)e->length,
                  (long long)a->length);
  size_t base = c->path_len;
  for (int64_t i = 0; i < e->length; i++) {
    c->row = i;
    path_push(c, "[%lld]", (long long)i);
    qv_status st = compare_slot(c, e, i, a, i);
    path_pop(c, base);
    if (st != QV_OK) return st;
  }
  c->row = -1;
  return QV_OK;
}

qv_status qv__compare_arrays(const qv_array *expected, const qv_array *actual, const char *name,
                             unsigned flags, qv_error *err) {
  cmp c = {.err = err, .flags = flags, .prefix = "", .row = -1};
  snprintf(c.column, sizeof c.column, "%s", name ? name : "array");
  path_push(&c, "%s", name ? name : "array");
  return compare_columns(&c, expected, actual);
}

static qv_status compare_batches(cmp *c, const qv_record_batch *e, const qv_record_batch *a) {
  if (e->n_columns != a->n_columns)
    return differ(c, "%d columns, expected %d", (int)a->n_columns, (int)e->n_columns);
  if (e->num_rows != a->num_rows)
    return differ(c, "%lld rows, expected %lld", (long long)a->num_rows, (long long)e->num_rows);
  for (int32_t i = 0; i < e->n_columns; i++) {
    const char *name = e->schema->fields[i]->name;
    snprintf(c->column, sizeof c->column, "column %d '%s'", (int)i, name);
    path_pop(c, 0);
    path_push(c, "%s", name);
    QV_RETURN_NOT_OK(compare_columns(c, e->columns[i], a->columns[i]));
  }
  c->column[0] = '\0';
  path_pop(c, 0);
  return QV_OK;
}

qv_status qv__compare_batches(const qv_record_batch *expected, const qv_record_batch *actual,
                              unsigned flags, qv_error *err) {
  cmp c = {.err = err, .flags = flags, .prefix = "", .row = -1};
  return compare_batches(&c, expected, actual);
}

qv_status qv__compare_files(const qv_schema *expected_schema, qv_record_batch *const *expected,
                            int64_t n_expected, const qv_schema *actual_schema,
                            qv_record_batch *const *actual, int64_t n_actual, unsigned flags,
                            qv_error *err) {
  QV_RETURN_NOT_OK(qv__compare_schemas(expected_schema, actual_schema, err));
  if (n_expected != n_actual)
    return qv_error_set(err, QV_INVALID, "%lld record batches, expected %lld", (long long)n_actual,
                        (long long)n_expected);
  for (int64_t b = 0; b < n_expected; b++) {
    char prefix[48];
    snprintf(prefix, sizeof prefix, "batch %lld: ", (long long)b);
    cmp c = {.err = err, .flags = flags, .prefix = prefix, .row = -1};
    QV_RETURN_NOT_OK(compare_batches(&c, expected[b], actual[b]));
  }
  return QV_OK;
}
