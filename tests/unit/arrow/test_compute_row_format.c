/* The row format: memcmp order of encoded rows equals SQL order (ascending,
 * descending, nulls first or last) on random data of every supported type,
 * compared with a reference comparator written here over the values; rows
 * are equal exactly when the values are; multi-column rows order
 * lexicographically; encode -> decode gives the values back (every sample
 * type, sliced, and the random columns); appending to a buffer; decoding
 * rows in any order; errors for unsupported types. */
#include <math.h>

#include "arrow/internal.h"
#include "arrow/sample_arrays.h"
#include "compute_checks.h"
#include "test.h"

enum { ROWS = 160 };

static const qv_sort_options all_opts[4] = {{false, false}, {false, true}, {true, false}, {true, true}};

/* ---- the reference comparator ---------------------------------------------- */

static double half_value(uint16_t h) {
  int exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  double v = exp == 0 ? ldexp(mant, -24) : exp == 31 ? (mant ? NAN : INFINITY) : ldexp(mant | 0x400, exp - 25);
  return (h & 0x8000) ? -v : v;
}

static int cmp_double(double x, double y) {
  bool nx = x != x, ny = y != y;
  if (nx || ny) return nx - ny; /* NaN above everything, NaNs equal */
  return (x > y) - (x < y);
}

static int cmp_bytes(const uint8_t *a, int64_t la, const uint8_t *b, int64_t lb) {
  int64_t m = la < lb ? la : lb;
  int c = m ? memcmp(a, b, (size_t)m) : 0;
  if (c) return c < 0 ? -1 : 1;
  return (la > lb) - (la < lb);
}

static void var_slot(const qv_array *a, int64_t i, const uint8_t **p, int64_t *len) {
  bool large = a->type->id == QV_LARGE_UTF8 || a->type->id == QV_LARGE_BINARY;
  const uint8_t *o = qv__array_data(a, 1);
  int64_t s = large ? ((const int64_t *)o)[a->offset + i] : ((const int32_t *)o)[a->offset + i];
  int64_t e = large ? ((const int64_t *)o)[a->offset + i + 1] : ((const int32_t *)o)[a->offset + i + 1];
  *p = qv__array_data(a, 2) + s;
  *len = e - s;
}

static int64_t read_signed(const uint8_t *p, int w) {
  switch (w) {
    case 1: return *(const int8_t *)p;
    case 2: { int16_t v; memcpy(&v, p, 2); return v; }
    case 4: { int32_t v; memcpy(&v, p, 4); return v; }
    default: { int64_t v; memcpy(&v, p, 8); return v; }
  }
}

static uint64_t read_unsigned(const uint8_t *p, int w) {
  uint64_t v = 0;
  memcpy(&v, p, (size_t)w);
  return v;
}

/* Ascending SQL order of slot i of a and slot j of b (same type, both
 * valid): -1, 0 or 1. */
static int ref_value(const qv_array *a, int64_t i, const qv_array *b, int64_t j) {
  const qv_data_type *t = a->type;
  if (t->id == QV_DICTIONARY) {
    int w = t->dict_index->byte_width;
    int64_t ki = read_signed(qv__array_data(a, 1) + (a->offset + i) * w, w);
    int64_t kj = read_signed(qv__array_data(b, 1) + (b->offset + j) * w, w);
    const qv_array *da = a->dictionary, *db = b->dictionary;
    bool vi = qv_array_is_valid(da, ki), vj = qv_array_is_valid(db, kj);
    if (!vi || !vj) return vi - vj; /* only used with valid dictionary values */
    return ref_value(da, ki, db, kj);
  }
  int w = t->byte_width;
  const uint8_t *pa = qv__array_data(a, 1), *pb = qv__array_data(b, 1);
  const uint8_t *x = pa ? pa + (a->offset + i) * w : NULL, *y = pb ? pb + (b->offset + j) * w : NULL;
  switch (t->id) {
    case QV_BOOL: {
      int u = qv_bit_get(pa, a->offset + i), v = qv_bit_get(pb, b->offset + j);
      return (u > v) - (u < v);
    }
    case QV_INT8: case QV_INT16: case QV_INT32: case QV_INT64: case QV_DATE32: case QV_DATE64:
    case QV_TIME32: case QV_TIME64: case QV_TIMESTAMP: case QV_DURATION: case QV_INTERVAL_MONTHS: {
      int64_t u = read_signed(x, w), v = read_signed(y, w);
      return (u > v) - (u < v);
    }
    case QV_UINT8: case QV_UINT16: case QV_UINT32: case QV_UINT64: {
      uint64_t u = read_unsigned(x, w), v = read_unsigned(y, w);
      return (u > v) - (u < v);
    }
    case QV_FLOAT16: {
      uint16_t u, v;
      memcpy(&u, x, 2);
      memcpy(&v, y, 2);
      return cmp_double(half_value(u), half_value(v));
    }
    case QV_FLOAT32: {
      float u, v;
      memcpy(&u, x, 4);
      memcpy(&v, y, 4);
      return cmp_double(u, v);
    }
    case QV_FLOAT64: {
      double u, v;
      memcpy(&u, x, 8);
      memcpy(&v, y, 8);
      return cmp_double(u, v);
    }
    case QV_DECIMAL128: case QV_DECIMAL256: {
      int words = w / 8;
      for (int k = words - 1; k >= 0; k--) {
        uint64_t u, v;
        memcpy(&u, x + 8 * k, 8);
        memcpy(&v, y + 8 * k, 8);
        if (k == words - 1) {
          int64_t su = (int64_t)u, sv = (int64_t)v;
          if (su != sv) return su < sv ? -1 : 1;
        } else if (u != v) {
          return u < v ? -1 : 1;
        }
      }
      return 0;
    }
    case QV_INTERVAL_DAY_TIME: case QV_INTERVAL_MONTH_DAY_NANO: {
      int64_t f[2][3] = {{read_signed(x, 4), read_signed(x + 4, 4), w == 16 ? read_signed(x + 8, 8) : 0},
                         {read_signed(y, 4), read_signed(y + 4, 4), w == 16 ? read_signed(y + 8, 8) : 0}};
      for (int k = 0; k < 3; k++)
        if (f[0][k] != f[1][k]) return f[0][k] < f[1][k] ? -1 : 1;
      return 0;
    }
    case QV_FIXED_SIZE_BINARY: return cmp_bytes(x, w, y, w);
    default: {
      const uint8_t *u, *v;
      int64_t lu, lv;
      var_slot(a, i, &u, &lu);
      var_slot(b, j, &v, &lv);
      return cmp_bytes(u, lu, v, lv);
    }
  }
}

/* Whether slot i counts as null (a null index, or a null dictionary value). */
static bool ref_null(const qv_array *a, int64_t i) {
  if (!qv_array_is_valid(a, i)) return true;
  if (a->type->id != QV_DICTIONARY) return false;
  int w = a->type->dict_index->byte_width;
  int64_t k = read_signed(qv__array_data(a, 1) + (a->offset + i) * w, w);
  return !qv_array_is_valid(a->dictionary, k);
}

/* SQL order of slot i of a and slot j of b under o. */
static int ref_compare(const qv_array *a, int64_t i, const qv_array *b, int64_t j, const qv_sort_options *o) {
  bool ni = ref_null(a, i), nj = ref_null(b, j);
  if (ni || nj) {
    if (ni && nj) return 0;
    int null_low = o->nulls_first ? -1 : 1;
    return ni ? null_low : -null_low;
  }
  int c = ref_value(a, i, b, j);
  return o->descending ? -c : c;
}

static int sign(int64_t x) { return (x > 0) - (x < 0); }

static int row_compare(const qv_bytes *d, const int64_t *off, int64_t i, int64_t j) {
  int64_t li = off[i + 1] - off[i], lj = off[j + 1] - off[j];
  int c = memcmp(d->data + off[i], d->data + off[j], (size_t)(li < lj ? li : lj));
  return c ? sign(c) : sign(li - lj);
}

/* ---- random columns ----------------------------------------------------------- */

static qv_data_type *random_types[20];
static int n_random_types;

static void make_types(void) {
  if (n_random_types) return;
  qv_error err = {0};
  qv_type_id prims[] = {QV_BOOL, QV_INT8, QV_INT16, QV_INT32, QV_INT64, QV_UINT8, QV_UINT16, QV_UINT32,
                        QV_UINT64, QV_FLOAT16, QV_FLOAT32, QV_FLOAT64, QV_DATE32, QV_INTERVAL_DAY_TIME,
                        QV_INTERVAL_MONTH_DAY_NANO, QV_BINARY, QV_LARGE_BINARY};
  for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) random_types[n_random_types++] = qv_type_primitive(prims[i]);
  qv_data_type *t = NULL;
  if (qv_type_decimal(QV_DECIMAL128, 38, 0, &t, &err) == QV_OK) random_types[n_random_types++] = t;
  if (qv_type_decimal(QV_DECIMAL256, 76, 0, &t, &err) == QV_OK) random_types[n_random_types++] = t;
  if (qv_type_fixed_size_binary(3, &t, &err) == QV_OK) random_types[n_random_types++] = t;
}

static const uint8_t alphabet[] = {0x00, 0x01, 'a', 'b', 0xFE, 0xFF};

/* A random column of type t: values drawn from small sets with extremes so
 * that ties, signs and edge cases all occur, 20% nulls. */
static qv_array *random_column(qv_data_type *t, int64_t n, uint64_t seed) {
  static uint8_t raw[ROWS * 32];
  static bool valid[ROWS];
  static uint8_t strbuf[ROWS][6];
  static const uint8_t *strs[ROWS];
  static int64_t lens[ROWS];
  int w = t->byte_width;
  for (int64_t i = 0; i < n; i++) {
    uint64_t r = compute_rand(&seed), r2 = compute_rand(&seed);
    valid[i] = r % 5 != 0;
    uint8_t *p = raw + i * (w ? w : 1);
    switch (t->id) {
      case QV_FLOAT32: {
        const float pick[] = {0.0f, -0.0f, NAN, -NAN, INFINITY, -INFINITY, 1.5f, -1.5f, 1e-40f, (float)(int64_t)r2 / 1e9f};
        memcpy(p, &pick[(r >> 8) % 10], 4);
        break;
      }
      case QV_FLOAT64: {
        const double pick[] = {0.0, -0.0, NAN, -NAN, INFINITY, -INFINITY, 1.5, -1.5, 5e-324, (double)(int64_t)r2 / 1e9};
        memcpy(p, &pick[(r >> 8) % 10], 8);
        break;
      }
      case QV_BINARY: case QV_LARGE_BINARY: case QV_FIXED_SIZE_BINARY: {
        int64_t len = t->id == QV_FIXED_SIZE_BINARY ? 3 : (int64_t)((r >> 8) % 5);
        uint8_t *dst = t->id == QV_FIXED_SIZE_BINARY ? p : strbuf[i];
        for (int64_t k = 0; k < len; k++) dst[k] = alphabet[(r2 >> (4 * k)) % sizeof alphabet];
        strs[i] = valid[i] ? strbuf[i] : NULL;
        lens[i] = len;
        break;
      }
      default:
        /* Integers, decimals, intervals: every byte random, or a small value
         * sign-extended (ties and sign changes). */
        if ((r >> 8) % 2) {
          for (int k = 0; k < w; k++) p[k] = (uint8_t)(compute_rand(&seed) >> 24);
        } else {
          int64_t small = (int64_t)((r >> 16) % 7) - 3;
          memset(p, small < 0 ? 0xFF : 0, (size_t)w);
          memcpy(p, &small, (size_t)(w < 8 ? w : 8));
          if (t->id == QV_INTERVAL_DAY_TIME || t->id == QV_INTERVAL_MONTH_DAY_NANO) {
            int32_t f = (int32_t)small;
            memcpy(p, &f, 4);
            memcpy(p + 4, &f, 4);
          }
        }
        break;
    }
  }
  if (t->id == QV_BINARY || t->id == QV_LARGE_BINARY) return compute_binary(t, strs, lens, n);
  if (t->id == QV_BOOL) {
    bool bv[ROWS];
    for (int64_t i = 0; i < n; i++) bv[i] = raw[i] & 1;
    return compute_bools(bv, valid, n);
  }
  return compute_fixed(t, raw, valid, n);
}

/* A dictionary<int16, binary> column over entries with zeros and a null entry. */
static qv_array *random_dictionary(int64_t n, uint64_t seed) {
  qv_error err = {0};
  const uint8_t *entries[] = {(const uint8_t *)"b", (const uint8_t *)"", (const uint8_t *)"a\0", NULL,
                              (const uint8_t *)"a", (const uint8_t *)"\xff"};
  int64_t lens[] = {1, 0, 2, 0, 1, 1};
  qv_array *dict = compute_binary(qv_type_primitive(QV_BINARY), entries, lens, 6);
  int64_t idx[ROWS];
  bool valid[ROWS];
  for (int64_t i = 0; i < n; i++) {
    uint64_t r = compute_rand(&seed);
    idx[i] = (int64_t)(r % 6);
    valid[i] = (r >> 8) % 6 != 0;
  }
  qv_array *indices = sample_ints(qv_type_primitive(QV_INT16), idx, valid, (int)n);
  qv_data_type *t = NULL;
  qv_array *out = NULL;
  if (dict && indices && qv_type_dictionary(qv_type_primitive(QV_INT16), qv_type_primitive(QV_BINARY), false, &t, &err) == QV_OK) {
    qv_buffer *bufs[2] = {indices->buffers[0], indices->buffers[1]};
    if (qv_array_create(t, n, 0, -1, bufs, 2, NULL, 0, dict, &out, &err) != QV_OK) out = NULL;
  }
  qv_type_unref(t);
  qv_array_unref(dict);
  qv_array_unref(indices);
  return out;
}

/* Encodes cols, checks memcmp order against the reference for every pair of
 * rows, decodes and checks every value comes back (up to the documented
 * normalisation). */
static bool order_checks(qv_array *const *cols, const qv_sort_options *opts, int n_cols, int64_t n,
                         const char *what) {
  qv_error err = {0};
  qv_bytes data;
  qv_bytes_init(&data, NULL);
  static int64_t off[ROWS + 1];
  bool ok = true;
  if (qv_row_encode((const qv_array *const *)cols, opts, n_cols, n, &data, off, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s: encode: %s", what, err.message);
    return false;
  }
  for (int64_t i = 0; ok && i < n; i++)
    for (int64_t j = 0; ok && j < n; j++) {
      int want = 0;
      for (int c = 0; c < n_cols && want == 0; c++) want = ref_compare(cols[c], i, cols[c], j, &opts[c]);
      int got = row_compare(&data, off, i, j);
      if (got != want) {
        qv_test_fail(__FILE__, __LINE__, "%s: rows %lld and %lld compare %d, SQL says %d", what, (long long)i,
                     (long long)j, got, want);
        ok = false;
      }
    }
  qv_data_type *types[4];
  qv_array *back[4] = {NULL, NULL, NULL, NULL};
  for (int c = 0; c < n_cols; c++) types[c] = cols[c]->type;
  if (ok && qv_row_decode(NULL, types, opts, n_cols, data.data, off, n, back, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s: decode: %s", what, err.message);
    ok = false;
  }
  for (int c = 0; ok && c < n_cols; c++) {
    if (qv_array_validate_full(back[c], &err) != QV_OK || !qv_type_equals(back[c]->type, types[c])) {
      qv_test_fail(__FILE__, __LINE__, "%s: decoded column %d: %s", what, c, err.message);
      ok = false;
    }
    for (int64_t i = 0; ok && i < n; i++) {
      qv_sort_options asc = {false, false};
      if (ref_compare(back[c], i, cols[c], i, &asc) != 0) {
        qv_test_fail(__FILE__, __LINE__, "%s: column %d row %lld decodes to another value", what, c, (long long)i);
        ok = false;
      }
    }
  }
  for (int c = 0; c < n_cols; c++) qv_array_unref(back[c]);
  qv_bytes_reset(&data);
  return ok;
}

QV_TEST(compute_row_format_order_every_type) {
  make_types();
  char what[160];
  for (int t = 0; t <= n_random_types; t++) {
    qv_array *col = t < n_random_types ? random_column(random_types[t], ROWS, 17u + (uint64_t)t)
                                       : random_dictionary(ROWS, 99);
    CHECK(col != NULL);
    for (int o = 0; o < 4; o++) {
      char tbuf[64];
      snprintf(what, sizeof what, "%s desc=%d nulls_first=%d",
               qv_type_to_string(col->type, tbuf, sizeof tbuf), all_opts[o].descending, all_opts[o].nulls_first);
      if (!order_checks(&col, &all_opts[o], 1, ROWS, what)) break;
    }
    qv_array_unref(col);
  }
}

QV_TEST(compute_row_format_order_multi_column) {
  make_types();
  uint64_t seed = 5;
  for (int round = 0; round < 12; round++) {
    /* int16 (many ties), binary with zeros, float64 with NaN / -0.0, dictionary. */
    qv_array *cols[4] = {random_column(qv_type_primitive(QV_INT16), ROWS, seed + 1),
                         random_column(qv_type_primitive(QV_BINARY), ROWS, seed + 2),
                         random_column(qv_type_primitive(QV_FLOAT64), ROWS, seed + 3),
                         random_dictionary(ROWS, seed + 4)};
    /* Few distinct int16 values, so that later columns decide. */
    int16_t *v = (int16_t *)qv_buffer_mutable_data(cols[0]->buffers[1]);
    for (int i = 0; i < ROWS; i++) v[i] = (int16_t)(v[i] % 3);
    qv_sort_options opts[4];
    for (int c = 0; c < 4; c++) opts[c] = all_opts[compute_rand(&seed) % 4];
    char what[64];
    snprintf(what, sizeof what, "multi-column round %d", round);
    bool ok = order_checks(cols, opts, 4, ROWS, what);
    for (int c = 0; c < 4; c++) qv_array_unref(cols[c]);
    CHECK(ok);
    seed += 10;
  }
}

/* Every sample type, whole and sliced: supported ones round-trip under every
 * option, nested and union ones are refused. */
QV_TEST(compute_row_format_round_trip_samples) {
  for (int s = 0; s < sample_count(); s++) {
    qv_error err = {0};
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(s, &name, &a, &err), &err);
    qv_type_id id = a->type->id;
    bool nested = qv_type_is_nested(id) || id == QV_SPARSE_UNION || id == QV_DENSE_UNION;
    if (nested) {
      qv_bytes data;
      qv_bytes_init(&data, NULL);
      int64_t off[16];
      const qv_array *cols[1] = {a};
      CHECK_STATUS(qv_row_encode(cols, NULL, 1, a->length, &data, off, &err), QV_NOT_IMPLEMENTED);
      CHECK_EQ_INT(data.size, 0);
      qv_array_unref(a);
      continue;
    }
    qv_array *cuts[3];
    int nc = compute_cuts(a, cuts);
    for (int c = 0; c < nc; c++) {
      for (int o = 0; o < 4; o++) {
        char what[96];
        snprintf(what, sizeof what, "%s cut %d options %d", name, c, o);
        if (id == QV_NA) {
          /* No bytes at all; decodes to nulls. */
          qv_bytes data;
          qv_bytes_init(&data, NULL);
          int64_t off[16];
          qv_array *back = NULL;
          qv_data_type *types[1] = {a->type};
          CHECK_OK(qv_row_encode((const qv_array *const *)&cuts[c], &all_opts[o], 1, cuts[c]->length, &data, off, &err), &err);
          CHECK_EQ_INT(data.size, 0);
          CHECK_OK(qv_row_decode(NULL, types, &all_opts[o], 1, data.data, off, cuts[c]->length, &back, &err), &err);
          CHECK(qv_array_equals(back, cuts[c]));
          qv_array_unref(back);
          qv_bytes_reset(&data);
        } else if (!order_checks(&cuts[c], &all_opts[o], 1, cuts[c]->length, what)) {
          break;
        }
        /* Byte-exact round trip where no normalisation applies. */
        if (id != QV_NA && id != QV_FLOAT16) {
          qv_bytes data;
          qv_bytes_init(&data, NULL);
          int64_t off[16];
          qv_array *back = NULL;
          qv_data_type *types[1] = {a->type};
          CHECK_OK(qv_row_encode((const qv_array *const *)&cuts[c], &all_opts[o], 1, cuts[c]->length, &data, off, &err), &err);
          CHECK_OK(qv_row_decode(NULL, types, &all_opts[o], 1, data.data, off, cuts[c]->length, &back, &err), &err);
          if (!qv_array_equals(back, cuts[c])) qv_test_fail(__FILE__, __LINE__, "%s: round trip differs", what);
          qv_array_unref(back);
          qv_bytes_reset(&data);
        }
      }
      qv_array_unref(cuts[c]);
    }
    qv_array_unref(a);
  }
}

/* Fixed-width keys give rows of one length; a second batch appends after the
 * first; rows decode from starts in any order; nulls of a fixed-width type
 * keep the width. */
QV_TEST(compute_row_format_layout) {
  qv_error err = {0};
  int64_t v[] = {3, -1, 0, 7, 2};
  bool valid[] = {true, false, true, true, false};
  qv_array *ints = sample_ints(qv_type_primitive(QV_INT32), v, valid, 5);
  qv_array *dbl = sample_ints(qv_type_primitive(QV_FLOAT64), v, NULL, 5);
  qv_array *cols[2] = {ints, dbl};
  qv_bytes data;
  qv_bytes_init(&data, NULL);
  int64_t off1[6], off2[6];
  CHECK_OK(qv_row_encode((const qv_array *const *)cols, NULL, 2, 5, &data, off1, &err), &err);
  CHECK_EQ_INT(off1[0], 0);
  for (int i = 0; i < 5; i++) CHECK_EQ_INT(off1[i + 1] - off1[i], (1 + 4) + (1 + 8));
  /* The null int32 encodes as 0x02 then zeros (nulls last). */
  CHECK_EQ_INT(data.data[off1[1]], 0x02);
  CHECK_EQ_INT(data.data[off1[1] + 1] | data.data[off1[1] + 4], 0);
  CHECK_EQ_INT(data.data[off1[0]], 0x01);
  /* Ascending int32 3: 0x80000003 big-endian. */
  CHECK_EQ_INT(data.data[off1[0] + 1], 0x80);
  CHECK_EQ_INT(data.data[off1[0] + 4], 0x03);
  CHECK_OK(qv_row_encode((const qv_array *const *)cols, NULL, 2, 5, &data, off2, &err), &err);
  CHECK_EQ_INT(off2[0], off1[5]);
  CHECK_EQ_INT(data.size, 2 * off1[5]);
  CHECK(memcmp(data.data, data.data + off2[0], (size_t)off1[5]) == 0);
  /* Decode rows 4, 3, 2, 1, 0 of the second copy. */
  int64_t starts[5];
  for (int i = 0; i < 5; i++) starts[i] = off2[4 - i];
  qv_data_type *types[2] = {ints->type, dbl->type};
  qv_array *back[2] = {NULL, NULL};
  CHECK_OK(qv_row_decode(NULL, types, NULL, 2, data.data, starts, 5, back, &err), &err);
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < 5; i++) CHECK(compute_slot_matches(back[c], i, cols[c], qv_array_is_valid(cols[c], 4 - i) ? 4 - i : -1));
  for (int c = 0; c < 2; c++) qv_array_unref(back[c]);
  /* Strings: the escape and terminator bytes. */
  const uint8_t *s[] = {(const uint8_t *)"a\0b"};
  int64_t l[] = {3};
  qv_array *str = compute_binary(qv_type_primitive(QV_BINARY), s, l, 1);
  qv_bytes_reset(&data);
  qv_bytes_init(&data, NULL);
  const qv_array *one[1] = {str};
  CHECK_OK(qv_row_encode(one, NULL, 1, 1, &data, off1, &err), &err);
  const uint8_t want[] = {0x01, 'a', 0x00, 0xFF, 'b', 0x00, 0x00};
  CHECK_EQ_INT(data.size, (int64_t)sizeof want);
  CHECK(memcmp(data.data, want, sizeof want) == 0);
  qv_bytes_reset(&data);
  qv_array_unref(str);
  qv_array_unref(ints);
  qv_array_unref(dbl);
}

QV_TEST(compute_row_format_errors) {
  qv_error err = {0};
  const char *name;
  qv_array *a = NULL;
  CHECK_OK(sample_array(4, &name, &a, &err), &err);
  qv_bytes data;
  qv_bytes_init(&data, NULL);
  int64_t off[16];
  const qv_array *cols[1] = {a};
  CHECK_STATUS(qv_row_encode(cols, NULL, 1, 11, &data, off, &err), QV_INVALID);
  CHECK_EQ_INT(data.size, 0);
  /* Dictionary indices too narrow for the decoded rows. */
  qv_data_type *t = NULL;
  CHECK_OK(qv_type_dictionary(qv_type_primitive(QV_INT8), qv_type_primitive(QV_INT32), false, &t, &err), &err);
  enum { N = 200 };
  static int64_t starts[N];
  qv_bytes_reset(&data);
  qv_bytes_init(&data, NULL);
  CHECK_OK(qv_bytes_append_zeros(&data, N * 5, &err), &err);
  for (int i = 0; i < N; i++) starts[i] = i * 5;
  qv_array *back = NULL;
  qv_data_type *types[1] = {t};
  CHECK_STATUS(qv_row_decode(NULL, types, NULL, 1, data.data, starts, N, &back, &err), QV_INVALID);
  CHECK(back == NULL);
  qv_type_unref(t);
  qv_bytes_reset(&data);
  qv_array_unref(a);
}

QV_TEST(compute_row_format_allocation_failures) {
  qv_error err = {0};
  qv_array *col = random_dictionary(40, 3);
  qv_array *s = random_column(qv_type_primitive(QV_LARGE_BINARY), 40, 4);
  CHECK(col && s);
  qv_array *cols[2] = {col, s};
  qv_allocator *alloc = NULL;
  CHECK_OK(qv_allocator_create(0, &alloc, &err), &err);
  int64_t off[41];
  qv_bytes data;
  qv_bytes_init(&data, NULL);
  CHECK_OK(qv_row_encode((const qv_array *const *)cols, NULL, 2, 40, &data, off, &err), &err);
  qv_data_type *types[2] = {col->type, s->type};
  bool done = false;
  for (int64_t k = 1; k < 100 && !done; k++) {
    qv_array *back[2] = {NULL, NULL};
    qv_allocator_fail_after(alloc, k);
    qv_status st = qv_row_decode(alloc, types, NULL, 2, data.data, off, 40, back, &err);
    qv_allocator_fail_after(alloc, 0);
    if (st == QV_OK) done = true;
    else CHECK(back[0] == NULL && back[1] == NULL);
    qv_array_unref(back[0]);
    qv_array_unref(back[1]);
    CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  }
  CHECK(done);
  /* Encoding into a vector whose allocator fails keeps its earlier rows. */
  qv_bytes small;
  qv_bytes_init(&small, alloc);
  int64_t off2[41];
  CHECK_OK(qv_row_encode((const qv_array *const *)cols, NULL, 2, 1, &small, off2, &err), &err);
  int64_t before = small.size;
  qv_allocator_fail_after(alloc, 1);
  qv_status st = qv_row_encode((const qv_array *const *)cols, NULL, 2, 40, &small, off2, &err);
  qv_allocator_fail_after(alloc, 0);
  CHECK_EQ_INT(st, QV_NOMEM);
  CHECK_EQ_INT(small.size, before);
  qv_bytes_reset(&small);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_allocator_destroy(alloc);
  qv_bytes_reset(&data);
  qv_array_unref(col);
  qv_array_unref(s);
}
