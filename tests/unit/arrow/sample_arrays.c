/* Sample arrays of every type for the validation and C Data tests: flat types
 * come from qv_array_builder, nested ones are assembled with qv_array_create
 * over hand-written offsets, type ids and bitmaps. Every sample has at least
 * one null (where the type can hold one) so that slicing, bitmaps and null
 * counts are exercised. */
#include <string.h>

#include "arrow/internal.h"
#include "sample_arrays.h"

static qv_error scratch;

/* Constructors leave their output NULL on failure, which the sample builders
 * check (and report through `scratch`); this only marks the status as seen. */
static void tolerate(qv_status st) { (void)st; }

qv_buffer *sample_buffer(const void *data, int64_t n) {
  qv_buffer *b = NULL;
  if (qv_buffer_copy(qv_default_allocator(), data, n, &b, &scratch) != QV_OK) return NULL;
  return b;
}

qv_array *sample_ints(qv_data_type *type, const int64_t *v, const bool *valid, int n) {
  qv_array_builder b;
  qv_array *out = NULL;
  if (qv_array_builder_init(&b, NULL, type, &scratch) != QV_OK) return NULL;
  for (int i = 0; i < n; i++) {
    qv_status st;
    if (valid && !valid[i]) st = qv_array_builder_append_null(&b, &scratch);
    else if (type->id == QV_BOOL) st = qv_array_builder_append_bool(&b, v[i] != 0, &scratch);
    else if (type->id == QV_FLOAT32 || type->id == QV_FLOAT64)
      st = qv_array_builder_append_double(&b, (double)v[i] / 4, &scratch);
    else st = qv_array_builder_append_int(&b, v[i], &scratch);
    if (st != QV_OK) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  }
  if (qv_array_builder_finish(&b, &out, &scratch) != QV_OK) return NULL;
  return out;
}

qv_array *sample_strings(qv_data_type *type, const char *const *strs, int n) {
  qv_array_builder b;
  qv_array *out = NULL;
  if (qv_array_builder_init(&b, NULL, type, &scratch) != QV_OK) return NULL;
  for (int i = 0; i < n; i++) {
    qv_status st = strs[i] ? qv_array_builder_append_binary(&b, strs[i], (int64_t)strlen(strs[i]),
                                                            &scratch)
                           : qv_array_builder_append_null(&b, &scratch);
    if (st != QV_OK) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  }
  if (qv_array_builder_finish(&b, &out, &scratch) != QV_OK) return NULL;
  return out;
}

static const int64_t ints[] = {1, -2, 3, 0, 5, 6, 7, -8, 9, 10};
static const bool valid10[] = {true, true, false, true, true, true, false, true, true, true};
static const char *const strs[] = {"a", "héllo", NULL, "", "wörld €", "x", NULL, "𝄞 clef", "zz",
                                   "end"};

static qv_field *field(const char *name, qv_data_type *t, bool nullable) {
  qv_field *f = NULL;
  if (!t || qv_field_create(name, t, nullable, NULL, &f, &scratch) != QV_OK) return NULL;
  return f;
}

static int64_t count_nulls(int n) {
  int64_t k = 0;
  for (int i = 0; i < n; i++) k += !valid10[i % 10];
  return k;
}

/* Assembles an array from owned parts and drops them. */
static qv_array *make(qv_data_type *t, int64_t length, int64_t null_count, qv_buffer **bufs, int nb,
                      qv_array **kids, int nk, qv_array *dict) {
  qv_array *out = NULL;
  bool ok = t != NULL;
  for (int i = 0; i < nk; i++) ok &= kids[i] != NULL;
  if (ok && (t->id != QV_DICTIONARY || dict))
    tolerate(qv_array_create(t, length, 0, null_count, bufs, nb, kids, nk, dict, &out, &scratch));
  for (int i = 0; i < nb; i++) qv_buffer_unref(bufs[i]);
  for (int i = 0; i < nk; i++) qv_array_unref(kids[i]);
  qv_array_unref(dict);
  qv_type_unref(t);
  return out;
}

/* Values other implementations accept under full validation: times within a
 * day, date64 in whole days, float16 bit patterns that are not NaN. */
static const int64_t times[] = {0, 1, 2, 3000, 4, 5, 6, 7, 8, 86399};
static const int64_t days_ms[] = {0, 86400000, -86400000, 0, 172800000, 0, 0, 0, 0, 0};
static const int64_t halves[] = {0x3C00, 0xC000, 0x3800, 0, 0x4200, 0x7BFF, 0, 0x0001, 0x8000,
                                 0x3555};

static qv_array *flat(qv_data_type *t) {
  qv_array *a = NULL;
  if (!t) return NULL;
  if (qv_type_is_binary_like(t->id)) a = sample_strings(t, strs, 10);
  else if (t->id == QV_TIME32 || t->id == QV_TIME64) a = sample_ints(t, times, valid10, 10);
  else if (t->id == QV_DATE64) a = sample_ints(t, days_ms, valid10, 10);
  else if (t->id == QV_FLOAT16) a = sample_ints(t, halves, valid10, 10);
  else a = sample_ints(t, ints, valid10, 10);
  qv_type_unref(t);
  return a;
}

static qv_array *fixed_bytes(qv_data_type *t) {
  qv_array_builder b;
  qv_array *out = NULL;
  if (!t || qv_array_builder_init(&b, NULL, t, &scratch) != QV_OK) {
    qv_type_unref(t);
    return NULL;
  }
  for (int i = 0; i < 10; i++) {
    char v[4] = {(char)('a' + i), (char)('0' + i), (char)i, 0};
    qv_status st = valid10[i] ? qv_array_builder_append_binary(&b, v, 3, &scratch)
                              : qv_array_builder_append_null(&b, &scratch);
    if (st != QV_OK) break;
  }
  tolerate(qv_array_builder_finish(&b, &out, &scratch));
  qv_type_unref(t);
  return out;
}

/* list<item: child type> of 6 slots over a 10-element child; large selects
 * 64-bit offsets. */
static qv_array *list_of(qv_array *child, bool large) {
  qv_data_type *t = NULL;
  qv_field *item = child ? field("item", child->type, true) : NULL;
  if (item) tolerate(qv_type_list(large ? QV_LARGE_LIST : QV_LIST, item, &t, &scratch));
  qv_field_unref(item);
  int32_t o32[] = {0, 2, 2, 5, 5, 9, 10};
  int64_t o64[] = {0, 2, 2, 5, 5, 9, 10};
  uint8_t bits = 0x3B; /* slot 2 null */
  qv_buffer *bufs[2] = {sample_buffer(&bits, 1),
                        large ? sample_buffer(o64, sizeof o64) : sample_buffer(o32, sizeof o32)};
  return make(t, 6, 1, bufs, 2, &child, 1, NULL);
}

static qv_array *struct_of(int n) {
  qv_array *kids[2] = {sample_ints(qv_type_primitive(QV_INT32), ints, valid10, n),
                       sample_strings(qv_type_primitive(QV_UTF8), strs, n)};
  qv_field *f[2] = {field("a", qv_type_primitive(QV_INT32), true),
                    field("b", qv_type_primitive(QV_UTF8), true)};
  qv_data_type *t = NULL;
  if (f[0] && f[1]) tolerate(qv_type_struct(f, 2, &t, &scratch));
  qv_field_unref(f[0]);
  qv_field_unref(f[1]);
  uint8_t bits[2] = {0xFE, 0x03}; /* slot 0 null */
  qv_buffer *bufs[1] = {sample_buffer(bits, 2)};
  return make(t, n, 1, bufs, 1, kids, 2, NULL);
}

static qv_array *map_sample(void) {
  const char *keys[] = {"k1", "k2", "k3", "k1", "k2", "k9"};
  int64_t vals[] = {1, 2, 3, 4, 5, 6};
  bool vvalid[] = {true, false, true, true, true, true};
  qv_array *kids[2] = {sample_strings(qv_type_primitive(QV_UTF8), keys, 6),
                       sample_ints(qv_type_primitive(QV_INT32), vals, vvalid, 6)};
  qv_field *f[2] = {field("key", qv_type_primitive(QV_UTF8), false),
                    field("value", qv_type_primitive(QV_INT32), true)};
  qv_data_type *st = NULL, *mt = NULL;
  if (f[0] && f[1]) tolerate(qv_type_struct(f, 2, &st, &scratch));
  qv_field_unref(f[0]);
  qv_field_unref(f[1]);
  qv_field *entries = st ? field("entries", st, false) : NULL;
  qv_buffer *no_validity[1] = {NULL};
  qv_array *entries_arr = make(st ? qv_type_ref(st) : NULL, 6, 0, no_validity, 1, kids, 2, NULL);
  if (entries) tolerate(qv_type_map(entries, true, &mt, &scratch));
  qv_field_unref(entries);
  qv_type_unref(st);
  int32_t offs[] = {0, 2, 3, 3, 6};
  uint8_t bits = 0x0B; /* slot 2 null */
  qv_buffer *bufs[2] = {sample_buffer(&bits, 1), sample_buffer(offs, sizeof offs)};
  return make(mt, 4, 1, bufs, 2, &entries_arr, 1, NULL);
}

static qv_array *union_sample(bool dense) {
  qv_field *f[2] = {field("i", qv_type_primitive(QV_INT32), true),
                    field("s", qv_type_primitive(QV_UTF8), true)};
  int8_t codes[2] = {5, 7};
  qv_data_type *t = NULL;
  qv_type_id id = dense ? QV_DENSE_UNION : QV_SPARSE_UNION;
  if (f[0] && f[1]) tolerate(qv_type_union(id, f, codes, 2, &t, &scratch));
  qv_field_unref(f[0]);
  qv_field_unref(f[1]);
  int8_t ids[] = {5, 7, 7, 5, 5, 7, 5, 7};
  qv_array *kids[2];
  if (dense) {
    int32_t offs[] = {0, 0, 1, 1, 2, 2, 3, 3};
    kids[0] = sample_ints(qv_type_primitive(QV_INT32), ints, valid10, 4);
    kids[1] = sample_strings(qv_type_primitive(QV_UTF8), strs, 4);
    qv_buffer *bufs[2] = {sample_buffer(ids, 8), sample_buffer(offs, sizeof offs)};
    return make(t, 8, 0, bufs, 2, kids, 2, NULL);
  }
  kids[0] = sample_ints(qv_type_primitive(QV_INT32), ints, valid10, 8);
  kids[1] = sample_strings(qv_type_primitive(QV_UTF8), strs, 8);
  qv_buffer *bufs[1] = {sample_buffer(ids, 8)};
  return make(t, 8, 0, bufs, 1, kids, 2, NULL);
}

static qv_array *dictionary_sample(qv_type_id index_id, bool ordered) {
  qv_array *values;
  if (index_id == QV_UINT8) {
    const int64_t v[] = {100, 200, 300};
    values = sample_ints(qv_type_primitive(QV_INT64), v, NULL, 3);
  } else {
    const char *v[] = {"red", "green", "blue", "ünïcode"};
    values = sample_strings(qv_type_primitive(QV_UTF8), v, 4);
  }
  qv_data_type *t = NULL;
  if (values)
    tolerate(qv_type_dictionary(qv_type_primitive(index_id), values->type, ordered, &t, &scratch));
  int64_t idx[] = {0, 1, 2, 0, 2, 1, 1, 0, 1, 2};
  qv_array *indices = sample_ints(qv_type_primitive(index_id), idx, valid10, 10);
  qv_buffer *bufs[2] = {NULL, NULL};
  if (indices) {
    bufs[0] = qv_buffer_ref(indices->buffers[0]);
    bufs[1] = qv_buffer_ref(indices->buffers[1]);
  }
  qv_array_unref(indices);
  return make(t, 10, count_nulls(10), bufs, 2, NULL, 0, values);
}

static qv_array *fsl_sample(void) {
  qv_array *child = sample_ints(qv_type_primitive(QV_INT16), ints, valid10, 10);
  qv_field *item = field("item", qv_type_primitive(QV_INT16), true);
  qv_data_type *t = NULL;
  if (item) tolerate(qv_type_fixed_size_list(item, 2, &t, &scratch));
  qv_field_unref(item);
  uint8_t bits = 0x1D; /* slot 1 null */
  qv_buffer *bufs[1] = {sample_buffer(&bits, 1)};
  return make(t, 5, 1, bufs, 1, &child, 1, NULL);
}

static const char *const names[] = {
    "null", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "decimal128", "decimal256", "date32", "date64",
    "time32[ms]", "time64[ns]", "timestamp[us, UTC]", "timestamp[s]", "duration[ms]",
    "interval_months", "interval_day_time", "interval_mdn", "binary", "large_binary", "utf8",
    "large_utf8", "fixed_size_binary(3)", "list<int32>", "large_list<utf8>",
    "fixed_size_list<int16, 2>", "struct<a, b>", "map<utf8, int32>", "sparse_union",
    "dense_union", "dictionary<int32, utf8>", "dictionary<uint8, int64, ordered>",
    "list<struct<a, b>>", "list<dictionary>"};

int sample_count(void) { return (int)(sizeof names / sizeof names[0]); }

static qv_array *build(int i) {
  static const qv_type_id prims[] = {QV_BOOL, QV_INT8, QV_INT16, QV_INT32, QV_INT64, QV_UINT8,
                                     QV_UINT16, QV_UINT32, QV_UINT64, QV_FLOAT16, QV_FLOAT32,
                                     QV_FLOAT64};
  qv_data_type *t = NULL;
  qv_status st = QV_OK;
  if (i == 0) {
    qv_array *a = NULL;
    tolerate(qv_array_create(qv_type_primitive(QV_NA), 7, 0, 7, NULL, 0, NULL, 0, NULL, &a,
                             &scratch));
    return a;
  }
  if (i >= 1 && i <= 12) return flat(qv_type_primitive(prims[i - 1]));
  switch (i) {
    case 13: st = qv_type_decimal(QV_DECIMAL128, 10, 2, &t, &scratch); break;
    case 14: st = qv_type_decimal(QV_DECIMAL256, 40, 5, &t, &scratch); break;
    case 15: return flat(qv_type_primitive(QV_DATE32));
    case 16: return flat(qv_type_primitive(QV_DATE64));
    case 17: st = qv_type_time(QV_TIME32, QV_MILLI, &t, &scratch); break;
    case 18: st = qv_type_time(QV_TIME64, QV_NANO, &t, &scratch); break;
    case 19: st = qv_type_timestamp(QV_MICRO, "UTC", &t, &scratch); break;
    case 20: st = qv_type_timestamp(QV_SECOND, NULL, &t, &scratch); break;
    case 21: st = qv_type_time(QV_DURATION, QV_MILLI, &t, &scratch); break;
    case 22: return flat(qv_type_primitive(QV_INTERVAL_MONTHS));
    case 23: return flat(qv_type_primitive(QV_INTERVAL_DAY_TIME));
    case 24: return flat(qv_type_primitive(QV_INTERVAL_MONTH_DAY_NANO));
    case 25: return flat(qv_type_primitive(QV_BINARY));
    case 26: return flat(qv_type_primitive(QV_LARGE_BINARY));
    case 27: return flat(qv_type_primitive(QV_UTF8));
    case 28: return flat(qv_type_primitive(QV_LARGE_UTF8));
    case 29:
      st = qv_type_fixed_size_binary(3, &t, &scratch);
      return fixed_bytes(st == QV_OK ? t : NULL);
    case 30: return list_of(sample_ints(qv_type_primitive(QV_INT32), ints, valid10, 10), false);
    case 31: return list_of(sample_strings(qv_type_primitive(QV_LARGE_UTF8), strs, 10), true);
    case 32: return fsl_sample();
    case 33: return struct_of(10);
    case 34: return map_sample();
    case 35: return union_sample(false);
    case 36: return union_sample(true);
    case 37: return dictionary_sample(QV_INT32, false);
    case 38: return dictionary_sample(QV_UINT8, true);
    case 39: return list_of(struct_of(10), false);
    case 40: return list_of(dictionary_sample(QV_INT32, false), false);
    default: return NULL;
  }
  return flat(st == QV_OK ? t : NULL);
}

qv_status sample_array(int i, const char **name, qv_array **out, qv_error *err) {
  *out = NULL;
  *name = i >= 0 && i < sample_count() ? names[i] : "?";
  qv_error_init(&scratch);
  *out = build(i);
  if (*out) return QV_OK;
  return qv_error_set(err, scratch.code ? scratch.code : QV_INTERNAL, "sample %d (%s): %s", i,
                      *name, scratch.message);
}
