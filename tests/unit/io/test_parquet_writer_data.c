/* The Parquet writer's test table (test_parquet_writer_data.h): one column
 * per type the writer maps, with pseudo-random values from a seed, extreme
 * values, and nulls at every level (null lists with non-empty ranges, null
 * struct slots whose non-nullable children are null too, null dictionary
 * values), and for each the array the reader must return. */
#include "test_parquet_writer_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quiver/compute.h"

static void must(qv_status st, const qv_error *err) {
  if (st != QV_OK) {
    fprintf(stderr, "test data: %s\n", err->message);
    abort();
  }
}

static uint64_t rng = 1;
static uint64_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void *xmalloc(size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (!p) abort();
  return p;
}

qv_field *pqw_field(const char *name, qv_data_type *type, bool nullable) {
  qv_field *f;
  qv_error err;
  must(qv_field_create(name, type, nullable, NULL, &f, &err), &err);
  return f;
}

qv_array *pqw_ints(qv_data_type *type, const int64_t *v, const bool *valid, int64_t n) {
  qv_array_builder b;
  qv_error err;
  must(qv_array_builder_init(&b, NULL, type, &err), &err);
  for (int64_t i = 0; i < n; i++) {
    if (valid && !valid[i]) must(qv_array_builder_append_null(&b, &err), &err);
    else if (qv_type_id_of(type) == QV_BOOL) must(qv_array_builder_append_bool(&b, v[i] != 0, &err), &err);
    else must(qv_array_builder_append_int(&b, v[i], &err), &err);
  }
  qv_array *a;
  must(qv_array_builder_finish(&b, &a, &err), &err);
  return a;
}

qv_array *pqw_doubles(qv_data_type *type, const double *v, const bool *valid, int64_t n) {
  qv_array_builder b;
  qv_error err;
  must(qv_array_builder_init(&b, NULL, type, &err), &err);
  for (int64_t i = 0; i < n; i++) {
    if (valid && !valid[i]) must(qv_array_builder_append_null(&b, &err), &err);
    else must(qv_array_builder_append_double(&b, v[i], &err), &err);
  }
  qv_array *a;
  must(qv_array_builder_finish(&b, &a, &err), &err);
  return a;
}

qv_array *pqw_strings(qv_data_type *type, const char *const *strs, int64_t n) {
  qv_array_builder b;
  qv_error err;
  must(qv_array_builder_init(&b, NULL, type, &err), &err);
  for (int64_t i = 0; i < n; i++) {
    if (!strs[i]) must(qv_array_builder_append_null(&b, &err), &err);
    else must(qv_array_builder_append_binary(&b, strs[i], (int64_t)strlen(strs[i]), &err), &err);
  }
  qv_array *a;
  must(qv_array_builder_finish(&b, &a, &err), &err);
  return a;
}

/* Fixed-width values given as raw bytes (decimals, float16). */
static qv_array *fixed_bytes(qv_data_type *type, const uint8_t *bytes, int32_t width, const bool *valid, int64_t n) {
  qv_array_builder b;
  qv_error err;
  must(qv_array_builder_init(&b, NULL, type, &err), &err);
  for (int64_t i = 0; i < n; i++) {
    if (valid && !valid[i]) must(qv_array_builder_append_null(&b, &err), &err);
    else must(qv_array_builder_append_fixed(&b, bytes + (int64_t)width * i, &err), &err);
  }
  qv_array *a;
  must(qv_array_builder_finish(&b, &a, &err), &err);
  return a;
}

static qv_buffer *copy_buffer(const void *p, int64_t n) {
  qv_buffer *b;
  qv_error err;
  must(qv_buffer_copy(qv_default_allocator(), p, n, &b, &err), &err);
  return b;
}

/* A validity bitmap, or NULL when every slot is valid. */
static qv_buffer *bitmap(const bool *valid, int64_t n) {
  if (!valid) return NULL;
  uint8_t *bits = calloc((size_t)(n + 8) / 8, 1);
  if (!bits) abort();
  for (int64_t i = 0; i < n; i++)
    if (valid[i]) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
  qv_buffer *b = copy_buffer(bits, (n + 7) / 8);
  free(bits);
  return b;
}

/* A nested array: validity, an optional offsets buffer (list, map), and
 * children. Takes ownership of the children passed. */
static qv_array *nested(qv_data_type *type, int64_t n, const bool *valid, qv_buffer *offsets, qv_array **children,
                        int32_t n_children) {
  qv_buffer *bufs[2] = {bitmap(valid, n), offsets};
  qv_array *a;
  qv_error err;
  must(qv_array_create(type, n, 0, -1, bufs, offsets ? 2 : 1, children, n_children, NULL, &a, &err), &err);
  qv_buffer_unref(bufs[0]);
  qv_buffer_unref(offsets);
  for (int32_t i = 0; i < n_children; i++) qv_array_unref(children[i]);
  return a;
}

static qv_data_type *list_type(qv_type_id id, qv_data_type *item, bool nullable) {
  qv_field *f = pqw_field("element", item, nullable);
  qv_data_type *t;
  qv_error err;
  must(qv_type_list(id, f, &t, &err), &err);
  qv_field_unref(f);
  return t;
}

/* ---- the table ------------------------------------------------------------------------- */

typedef struct builder {
  pqw_table *t;
  qv_field **fields;
  int32_t cap;
} builder;

/* Adds a column (takes the arrays and the type references passed). */
static void add(builder *b, const char *name, bool nullable, qv_array *in, qv_array *want) {
  pqw_table *t = b->t;
  if (t->n_columns == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 32;
    b->fields = realloc(b->fields, (size_t)b->cap * sizeof *b->fields);
    t->in = realloc(t->in, (size_t)b->cap * sizeof *t->in);
    t->want = realloc(t->want, (size_t)b->cap * sizeof *t->want);
    if (!b->fields || !t->in || !t->want) abort();
  }
  b->fields[t->n_columns] = pqw_field(name, qv_array_type(in), nullable);
  t->in[t->n_columns] = in;
  t->want[t->n_columns] = want ? want : qv_array_ref(in);
  t->n_columns++;
}

/* Random values of `bits` bits, sign-extended to width bytes. */
static void random_twos(uint8_t *out, int32_t width, int bits) {
  for (int32_t k = 0; k < width; k += 8) {
    uint64_t r = next_random();
    memcpy(out + k, &r, (size_t)(width - k < 8 ? width - k : 8));
  }
  bool neg = (out[(bits - 1) / 8] >> ((bits - 1) % 8)) & 1;
  for (int b = bits; b < width * 8; b++) {
    if (neg) out[b / 8] |= (uint8_t)(1u << (b % 8));
    else out[b / 8] &= (uint8_t) ~(1u << (b % 8));
  }
}

static void add_scalars(builder *b, int64_t n, int64_t *v, bool *ok) {
  qv_error err;
  /* Integers: random, with each type's extremes now and then. */
  static const struct {
    const char *name;
    qv_type_id id;
    int64_t lo, hi;
  } ints[] = {{"int8", QV_INT8, INT8_MIN, INT8_MAX},     {"int16", QV_INT16, INT16_MIN, INT16_MAX},
              {"int32", QV_INT32, INT32_MIN, INT32_MAX}, {"int64", QV_INT64, INT64_MIN, INT64_MAX},
              {"uint8", QV_UINT8, 0, UINT8_MAX},         {"uint16", QV_UINT16, 0, UINT16_MAX},
              {"uint32", QV_UINT32, 0, UINT32_MAX},      {"uint64", QV_UINT64, 0, -1}};
  for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
    for (int64_t i = 0; i < n; i++) {
      v[i] = (int64_t)next_random();
      if (i % 50 == 1) v[i] = ints[k].lo;
      if (i % 50 == 2) v[i] = ints[k].hi;
      ok[i] = (i + (int64_t)k) % 7 != 3;
    }
    add(b, ints[k].name, true, pqw_ints(qv_type_primitive(ints[k].id), v, ok, n), NULL);
  }
  for (int64_t i = 0; i < n; i++) {
    v[i] = (int64_t)(next_random() & 1);
    ok[i] = i % 5 != 2;
  }
  add(b, "bool", true, pqw_ints(qv_type_primitive(QV_BOOL), v, ok, n), NULL);
  /* Floats with NaN, infinities and both zeros. */
  double *d = xmalloc((size_t)n * sizeof *d);
  for (int64_t i = 0; i < n; i++) {
    d[i] = ((double)(int64_t)(next_random() % 2000001) - 1000000) / 64.0;
    if (i % 13 == 5) d[i] = 0.0 / 0.0;
    if (i % 97 == 9) d[i] = 1.0 / 0.0;
    if (i % 31 == 4) d[i] = -0.0;
    ok[i] = i % 9 != 1;
  }
  add(b, "float32", true, pqw_doubles(qv_type_primitive(QV_FLOAT32), d, ok, n), NULL);
  add(b, "float64", true, pqw_doubles(qv_type_primitive(QV_FLOAT64), d, ok, n), NULL);
  free(d);
  /* float16: finite values of either sign. */
  uint8_t *raw = xmalloc((size_t)n * 32);
  for (int64_t i = 0; i < n; i++) {
    uint16_t h = (uint16_t)(next_random() & 0xfbff);
    memcpy(raw + 2 * i, &h, 2);
  }
  add(b, "float16", true, fixed_bytes(qv_type_primitive(QV_FLOAT16), raw, 2, ok, n), NULL);
  /* Decimals on INT32, INT64 and FIXED_LEN_BYTE_ARRAY of both widths. */
  static const struct {
    const char *name;
    qv_type_id id;
    int32_t precision, scale, bits;
  } decs[] = {{"dec9", QV_DECIMAL128, 9, 2, 29},     {"dec18", QV_DECIMAL128, 18, 3, 59},
              {"dec38", QV_DECIMAL128, 38, 10, 125}, {"dec25", QV_DECIMAL128, 25, 0, 83},
              {"dec50", QV_DECIMAL256, 50, 5, 160}};
  for (size_t k = 0; k < sizeof decs / sizeof decs[0]; k++) {
    int32_t w = decs[k].id == QV_DECIMAL128 ? 16 : 32;
    for (int64_t i = 0; i < n; i++) {
      random_twos(raw + w * i, w, decs[k].bits);
      ok[i] = (i + (int64_t)k) % 6 != 0;
    }
    qv_data_type *t;
    must(qv_type_decimal(decs[k].id, decs[k].precision, decs[k].scale, &t, &err), &err);
    add(b, decs[k].name, true, fixed_bytes(t, raw, w, ok, n), NULL);
    qv_type_unref(t);
  }
  free(raw);
}

static void add_temporal(builder *b, int64_t n, int64_t *v, bool *ok) {
  qv_error err;
  int64_t *w = xmalloc((size_t)n * sizeof *w);
  for (int64_t i = 0; i < n; i++) {
    v[i] = (int64_t)(next_random() % 80000) - 40000;
    ok[i] = i % 8 != 7;
  }
  add(b, "date32", true, pqw_ints(qv_type_primitive(QV_DATE32), v, ok, n), NULL);
  for (int64_t i = 0; i < n; i++) w[i] = v[i] * 86400000;
  add(b, "date64", true, pqw_ints(qv_type_primitive(QV_DATE64), w, ok, n),
      pqw_ints(qv_type_primitive(QV_DATE32), v, ok, n));
  qv_data_type *t, *t2;
  /* time32(s) is written as milliseconds. */
  for (int64_t i = 0; i < n; i++) {
    v[i] = (int64_t)(next_random() % 86400);
    w[i] = v[i] * 1000;
  }
  must(qv_type_time(QV_TIME32, QV_SECOND, &t, &err), &err);
  must(qv_type_time(QV_TIME32, QV_MILLI, &t2, &err), &err);
  add(b, "time_s", true, pqw_ints(t, v, ok, n), pqw_ints(t2, w, ok, n));
  for (int64_t i = 0; i < n; i++) v[i] = (int64_t)(next_random() % 86400000);
  add(b, "time_ms", true, pqw_ints(t2, v, ok, n), NULL);
  qv_type_unref(t);
  qv_type_unref(t2);
  static const struct {
    const char *name;
    qv_type_id id;
    qv_time_unit unit;
    int64_t range;
  } t64[] = {{"time_us", QV_TIME64, QV_MICRO, 86400000000LL}, {"time_ns", QV_TIME64, QV_NANO, 86400000000000LL}};
  for (int k = 0; k < 2; k++) {
    for (int64_t i = 0; i < n; i++) v[i] = (int64_t)(next_random() % (uint64_t)t64[k].range);
    must(qv_type_time(t64[k].id, t64[k].unit, &t, &err), &err);
    add(b, t64[k].name, true, pqw_ints(t, v, ok, n), NULL);
    qv_type_unref(t);
  }
  /* Timestamps: seconds become milliseconds; zones survive via ARROW:schema. */
  for (int64_t i = 0; i < n; i++) {
    v[i] = (int64_t)(next_random() % 4000000000ULL) - 2000000000;
    w[i] = v[i] * 1000;
  }
  must(qv_type_timestamp(QV_SECOND, "UTC", &t, &err), &err);
  must(qv_type_timestamp(QV_MILLI, "UTC", &t2, &err), &err);
  add(b, "ts_s", true, pqw_ints(t, v, ok, n), pqw_ints(t2, w, ok, n));
  qv_type_unref(t);
  qv_type_unref(t2);
  static const struct {
    const char *name;
    qv_time_unit unit;
    const char *tz;
  } ts[] = {{"ts_ms", QV_MILLI, NULL}, {"ts_us_utc", QV_MICRO, "UTC"}, {"ts_ns_paris", QV_NANO, "Europe/Paris"}};
  for (int k = 0; k < 3; k++) {
    for (int64_t i = 0; i < n; i++) v[i] = (int64_t)next_random() >> 4;
    must(qv_type_timestamp(ts[k].unit, ts[k].tz, &t, &err), &err);
    add(b, ts[k].name, true, pqw_ints(t, v, ok, n), NULL);
    qv_type_unref(t);
  }
  for (int64_t i = 0; i < n; i++) v[i] = (int64_t)next_random() >> 8;
  must(qv_type_time(QV_DURATION, QV_MICRO, &t, &err), &err);
  add(b, "duration", true, pqw_ints(t, v, ok, n), NULL);
  qv_type_unref(t);
  free(w);
}

static void add_binaries(builder *b, int64_t n) {
  qv_error err;
  char **s = xmalloc((size_t)n * sizeof *s);
  static const char *const words[] = {"", "a", "zebra", "\xc3\xa9t\xc3\xa9", "Apple", "apple pie", "~~~"};
  for (int64_t i = 0; i < n; i++) {
    s[i] = xmalloc(64);
    if (i % 6 == 1) {
      free(s[i]);
      s[i] = NULL;
    } else {
      snprintf(s[i], 64, "%s-%llu", words[next_random() % 7], (unsigned long long)(next_random() % (i % 3 ? 40 : 400000)));
      if (i % 29 == 0) s[i][0] = '\0';
    }
  }
  add(b, "utf8", true, pqw_strings(qv_type_primitive(QV_UTF8), (const char *const *)s, n), NULL);
  add(b, "large_utf8", true, pqw_strings(qv_type_primitive(QV_LARGE_UTF8), (const char *const *)s, n), NULL);
  add(b, "binary", true, pqw_strings(qv_type_primitive(QV_BINARY), (const char *const *)s, n), NULL);
  add(b, "large_binary", true, pqw_strings(qv_type_primitive(QV_LARGE_BINARY), (const char *const *)s, n), NULL);
  for (int64_t i = 0; i < n; i++)
    if (s[i]) snprintf(s[i], 64, "%05llu", (unsigned long long)(next_random() % 100000));
  qv_data_type *t;
  must(qv_type_fixed_size_binary(5, &t, &err), &err);
  add(b, "fixed5", true, pqw_strings(t, (const char *const *)s, n), NULL);
  qv_type_unref(t);
  for (int64_t i = 0; i < n; i++) free(s[i]);
  free(s);
  qv_array *nulls;
  must(qv_array_make_nulls(NULL, qv_type_primitive(QV_NA), n, &nulls, &err), &err);
  add(b, "null", true, nulls, NULL);
}

/* dictionary(index -> values), indices random with nulls; want: decoded. */
static void add_dictionary(builder *b, const char *name, qv_data_type *index_type, qv_array *dict, int64_t n) {
  qv_error err;
  int64_t *v = xmalloc((size_t)n * sizeof *v);
  bool *ok = xmalloc((size_t)n);
  uint32_t *take = xmalloc((size_t)n * sizeof *take);
  for (int64_t i = 0; i < n; i++) {
    v[i] = (int64_t)(next_random() % (uint64_t)qv_array_length(dict));
    ok[i] = i % 9 != 4;
    take[i] = ok[i] ? (uint32_t)v[i] : QV_TAKE_NULL_U32;
  }
  qv_array *idx = pqw_ints(index_type, v, ok, n);
  qv_data_type *t;
  must(qv_type_dictionary(index_type, qv_array_type(dict), false, &t, &err), &err);
  qv_buffer *bufs[2] = {qv_array_buffer(idx, 0), qv_array_buffer(idx, 1)};
  qv_array *in, *want;
  must(qv_array_create(t, n, 0, -1, bufs, 2, NULL, 0, dict, &in, &err), &err);
  must(qv_array_take_nullable(NULL, dict, take, n, &want, &err), &err);
  add(b, name, true, in, want);
  qv_type_unref(t);
  qv_array_unref(idx);
  qv_array_unref(dict);
  free(v);
  free(ok);
  free(take);
}

static void add_dictionaries(builder *b, int64_t n) {
  const char *words[24];
  char buf[24][16];
  for (int i = 0; i < 24; i++) {
    snprintf(buf[i], sizeof buf[i], "word%02d", (i * 7) % 24);
    words[i] = buf[i];
  }
  add_dictionary(b, "dict_utf8", qv_type_primitive(QV_INT32),
                 pqw_strings(qv_type_primitive(QV_UTF8), words, 24), n);
  int64_t vals[10] = {5, -3, 1000000000000LL, 0, 7, 99, -42, 8, 1, 2};
  bool ok[10] = {true, true, true, true, true, false, true, true, true, true};
  add_dictionary(b, "dict_int64", qv_type_primitive(QV_INT16), pqw_ints(qv_type_primitive(QV_INT64), vals, ok, 10), n);
}

static void add_nested(builder *b, int64_t n) {
  qv_error err;
  bool *ok = xmalloc((size_t)n);
  int32_t *off = xmalloc((size_t)(n + 1) * sizeof *off);
  int64_t *off64 = xmalloc((size_t)(n + 1) * sizeof *off64);
  /* list<element: int32>: null lists keep a non-empty range. */
  off[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    ok[i] = i % 11 != 3;
    off[i + 1] = off[i] + (int32_t)(ok[i] ? i % 5 : 2);
  }
  int64_t m = off[n];
  int64_t *cv = xmalloc((size_t)(m * 3 + 8) * sizeof *cv);
  bool *cok = xmalloc((size_t)(m * 3 + 8));
  for (int64_t j = 0; j < m; j++) {
    cv[j] = (int64_t)(next_random() % 1000) - 500;
    cok[j] = j % 6 != 2;
  }
  qv_array *child = pqw_ints(qv_type_primitive(QV_INT32), cv, cok, m);
  qv_data_type *lt = list_type(QV_LIST, qv_type_primitive(QV_INT32), true);
  add(b, "list_int32", true, nested(lt, n, ok, copy_buffer(off, (n + 1) * 4), &child, 1), NULL);
  qv_type_unref(lt);
  /* large_list<element: utf8 not null>. */
  off64[0] = 0;
  for (int64_t i = 0; i < n; i++) off64[i + 1] = off64[i] + (i % 4 == 1 ? 0 : i % 3 + 1);
  m = off64[n];
  char **s = xmalloc((size_t)m * sizeof *s);
  for (int64_t j = 0; j < m; j++) {
    s[j] = xmalloc(16);
    snprintf(s[j], 16, "e%lld", (long long)(j % 97));
  }
  child = pqw_strings(qv_type_primitive(QV_UTF8), (const char *const *)s, m);
  for (int64_t j = 0; j < m; j++) free(s[j]);
  free(s);
  for (int64_t i = 0; i < n; i++) ok[i] = i % 10 != 5;
  lt = list_type(QV_LARGE_LIST, qv_type_primitive(QV_UTF8), false);
  add(b, "large_list_utf8", true, nested(lt, n, ok, copy_buffer(off64, (n + 1) * 8), &child, 1), NULL);
  qv_type_unref(lt);
  /* fixed_size_list<element: int16, 3>, read back as list<element: int16>. */
  for (int64_t j = 0; j < n * 3; j++) {
    cv[j] = (int64_t)(next_random() % 60000) - 30000;
    cok[j] = j % 7 != 1;
  }
  for (int64_t i = 0; i < n; i++) {
    ok[i] = i % 8 != 5;
    off[i] = (int32_t)(i * 3);
  }
  off[n] = (int32_t)(n * 3);
  qv_field *item = pqw_field("element", qv_type_primitive(QV_INT16), true);
  qv_data_type *fsl;
  must(qv_type_fixed_size_list(item, 3, &fsl, &err), &err);
  qv_field_unref(item);
  qv_array *c1 = pqw_ints(qv_type_primitive(QV_INT16), cv, cok, n * 3), *c2 = qv_array_ref(c1);
  lt = list_type(QV_LIST, qv_type_primitive(QV_INT16), true);
  add(b, "fixed_list", true, nested(fsl, n, ok, NULL, &c1, 1), nested(lt, n, ok, copy_buffer(off, (n + 1) * 4), &c2, 1));
  qv_type_unref(fsl);
  qv_type_unref(lt);
  /* struct<a: int32, b: utf8 not null>: b is null exactly where the struct is. */
  bool *aok = xmalloc((size_t)n);
  char **bs = xmalloc((size_t)n * sizeof *bs);
  for (int64_t i = 0; i < n; i++) {
    ok[i] = i % 10 != 7;
    aok[i] = i % 4 != 1;
    cv[i] = (int64_t)i * 3 - 700;
    bs[i] = ok[i] ? (i % 2 ? "odd" : "even") : NULL;
  }
  qv_array *kids[2] = {pqw_ints(qv_type_primitive(QV_INT32), cv, aok, n),
                       pqw_strings(qv_type_primitive(QV_UTF8), (const char *const *)bs, n)};
  qv_field *sf[2] = {pqw_field("a", qv_type_primitive(QV_INT32), true), pqw_field("b", qv_type_primitive(QV_UTF8), false)};
  qv_data_type *st;
  must(qv_type_struct(sf, 2, &st, &err), &err);
  add(b, "struct", true, nested(st, n, ok, NULL, kids, 2), NULL);
  qv_type_unref(st);
  qv_field_unref(sf[0]);
  qv_field_unref(sf[1]);
  free(bs);
  free(aok);
  /* map<utf8, int64>. */
  off[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    ok[i] = i % 13 != 6;
    off[i + 1] = off[i] + (int32_t)(i % 4);
  }
  m = off[n];
  char **keys = xmalloc((size_t)m * sizeof *keys);
  for (int64_t j = 0; j < m; j++) {
    keys[j] = xmalloc(8);
    snprintf(keys[j], 8, "k%lld", (long long)(j % 5));
    cv[j] = (int64_t)j * 1000;
    cok[j] = j % 5 != 3;
  }
  qv_array *ekids[2] = {pqw_strings(qv_type_primitive(QV_UTF8), (const char *const *)keys, m),
                        pqw_ints(qv_type_primitive(QV_INT64), cv, cok, m)};
  for (int64_t j = 0; j < m; j++) free(keys[j]);
  free(keys);
  qv_field *ef[2] = {pqw_field("key", qv_type_primitive(QV_UTF8), false),
                     pqw_field("value", qv_type_primitive(QV_INT64), true)};
  qv_data_type *et, *mt;
  must(qv_type_struct(ef, 2, &et, &err), &err);
  qv_field *entries = pqw_field("entries", et, false);
  must(qv_type_map(entries, false, &mt, &err), &err);
  qv_array *ent = nested(et, m, NULL, NULL, ekids, 2);
  add(b, "map", true, nested(mt, n, ok, copy_buffer(off, (n + 1) * 4), &ent, 1), NULL);
  qv_type_unref(et);
  qv_type_unref(mt);
  qv_field_unref(entries);
  qv_field_unref(ef[0]);
  qv_field_unref(ef[1]);
  /* list<element: struct<x: float64, y: list<element: int16>>>. */
  off[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    ok[i] = i % 11 != 8;
    off[i + 1] = off[i] + (int32_t)(i % 3);
  }
  m = off[n];
  int32_t *yoff = xmalloc((size_t)(m + 1) * sizeof *yoff);
  bool *eok = xmalloc((size_t)m + 1), *xok = xmalloc((size_t)m + 1), *yok = xmalloc((size_t)m + 1);
  double *xs = xmalloc((size_t)(m + 1) * sizeof *xs);
  yoff[0] = 0;
  for (int64_t j = 0; j < m; j++) {
    eok[j] = j % 7 != 3;
    xok[j] = j % 5 != 1;
    yok[j] = j % 4 != 2;
    xs[j] = (double)j * 1.5;
    yoff[j + 1] = yoff[j] + (int32_t)(j % 3);
  }
  int64_t ym = yoff[m];
  int64_t *yv = xmalloc((size_t)(ym + 1) * sizeof *yv);
  for (int64_t k = 0; k < ym; k++) yv[k] = (int64_t)(k % 300);
  qv_array *yitems = pqw_ints(qv_type_primitive(QV_INT16), yv, NULL, ym);
  qv_data_type *ylt = list_type(QV_LIST, qv_type_primitive(QV_INT16), false);
  qv_array *skids[2] = {pqw_doubles(qv_type_primitive(QV_FLOAT64), xs, xok, m),
                        nested(ylt, m, yok, copy_buffer(yoff, (m + 1) * 4), &yitems, 1)};
  qv_field *xf[2] = {pqw_field("x", qv_type_primitive(QV_FLOAT64), true), pqw_field("y", ylt, true)};
  must(qv_type_struct(xf, 2, &st, &err), &err);
  qv_array *elems = nested(st, m, eok, NULL, skids, 2);
  lt = list_type(QV_LIST, st, true);
  add(b, "list_struct", true, nested(lt, n, ok, copy_buffer(off, (n + 1) * 4), &elems, 1), NULL);
  qv_type_unref(lt);
  qv_type_unref(st);
  qv_type_unref(ylt);
  qv_field_unref(xf[0]);
  qv_field_unref(xf[1]);
  free(yoff);
  free(eok);
  free(xok);
  free(yok);
  free(xs);
  free(yv);
  /* list<element: dictionary(int8 -> utf8)>: dictionary values under a list. */
  {
    off[0] = 0;
    for (int64_t i = 0; i < n; i++) {
      ok[i] = i % 9 != 2;
      off[i + 1] = off[i] + (int32_t)(i % 4);
    }
    m = off[n];
    const char *colours[5] = {"cyan", "magenta", "yellow", "key", NULL};
    qv_array *dict = pqw_strings(qv_type_primitive(QV_UTF8), colours, 5);
    uint32_t *take = xmalloc((size_t)(m + 1) * sizeof *take);
    for (int64_t j = 0; j < m; j++) {
      cv[j] = (int64_t)(next_random() % 5);
      cok[j] = j % 8 != 6;
      take[j] = cok[j] ? (uint32_t)cv[j] : QV_TAKE_NULL_U32;
    }
    qv_array *idx = pqw_ints(qv_type_primitive(QV_INT8), cv, cok, m);
    qv_data_type *dt;
    must(qv_type_dictionary(qv_type_primitive(QV_INT8), qv_type_primitive(QV_UTF8), false, &dt, &err), &err);
    qv_buffer *bufs[2] = {qv_array_buffer(idx, 0), qv_array_buffer(idx, 1)};
    qv_array *din, *dwant;
    must(qv_array_create(dt, m, 0, -1, bufs, 2, NULL, 0, dict, &din, &err), &err);
    must(qv_array_take_nullable(NULL, dict, take, m, &dwant, &err), &err);
    qv_data_type *lin = list_type(QV_LIST, dt, true), *lwant = list_type(QV_LIST, qv_type_primitive(QV_UTF8), true);
    qv_buffer *ob = copy_buffer(off, (n + 1) * 4);
    add(b, "list_dict", true, nested(lin, n, ok, qv_buffer_ref(ob), &din, 1), nested(lwant, n, ok, ob, &dwant, 1));
    qv_type_unref(lin);
    qv_type_unref(lwant);
    qv_type_unref(dt);
    qv_array_unref(idx);
    qv_array_unref(dict);
    free(take);
  }
  /* A non-nullable column. */
  for (int64_t i = 0; i < n; i++) cv[i] = (int64_t)i * 7 + 1;
  add(b, "required", false, pqw_ints(qv_type_primitive(QV_INT64), cv, NULL, n), NULL);
  free(ok);
  free(off);
  free(off64);
  free(cv);
  free(cok);
}

void pqw_table_build(pqw_table *t, int64_t n, uint64_t seed) {
  memset(t, 0, sizeof *t);
  t->n_rows = n;
  rng = seed * 2654435761u + 1;
  builder b = {.t = t};
  int64_t *v = xmalloc((size_t)n * sizeof *v);
  bool *ok = xmalloc((size_t)n);
  add_scalars(&b, n, v, ok);
  add_temporal(&b, n, v, ok);
  free(v);
  free(ok);
  add_binaries(&b, n);
  add_dictionaries(&b, n);
  add_nested(&b, n);
  qv_error err;
  must(qv_schema_create(b.fields, t->n_columns, NULL, &t->schema, &err), &err);
  for (int32_t i = 0; i < t->n_columns; i++) qv_field_unref(b.fields[i]);
  free(b.fields);
}

void pqw_table_reset(pqw_table *t) {
  for (int32_t i = 0; i < t->n_columns; i++) {
    qv_array_unref(t->in[i]);
    qv_array_unref(t->want[i]);
  }
  free(t->in);
  free(t->want);
  qv_schema_unref(t->schema);
  memset(t, 0, sizeof *t);
}

qv_record_batch *pqw_table_batch(const pqw_table *t, int64_t offset, int64_t length) {
  qv_error err;
  qv_array **cols = xmalloc((size_t)t->n_columns * sizeof *cols);
  for (int32_t i = 0; i < t->n_columns; i++) must(qv_array_slice(t->in[i], offset, length, &cols[i], &err), &err);
  qv_record_batch *rb;
  must(qv_record_batch_create(t->schema, length, cols, t->n_columns, &rb, &err), &err);
  for (int32_t i = 0; i < t->n_columns; i++) qv_array_unref(cols[i]);
  free(cols);
  return rb;
}
