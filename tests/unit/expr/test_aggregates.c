/* Aggregate functions: name resolution and type rules, the partial-state
 * layout, and every built-in grouped accumulator over every supported type
 * with nulls. Each run goes two ways, one accumulator over all rows and two
 * partial accumulators whose states are merged into a third, and both must
 * agree with each other and with the values computed here. Accumulator
 * memory comes from an accounted allocator that must be back to zero at the
 * end of every run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr/aggregate_internal.h"
#include "quiver/expr.h"
#include "test.h"

typedef __int128 i128;

/* ---- building inputs ------------------------------------------------------ */

/* mask: '0' marks a null slot; NULL means all valid. */
static qv_array *ints(qv_data_type *t, const int64_t *v, int64_t n, const char *mask) {
  qv_array_builder b;
  qv_array *a = NULL;
  if (qv_array_builder_init(&b, NULL, t, NULL)) return NULL;
  for (int64_t i = 0; i < n; i++) {
    qv_status st = mask && mask[i] == '0' ? qv_array_builder_append_null(&b, NULL)
                                          : qv_array_builder_append_int(&b, v[i], NULL);
    if (st) return NULL;
  }
  return qv_array_builder_finish(&b, &a, NULL) ? NULL : a;
}

static qv_array *doubles(qv_data_type *t, const double *v, int64_t n, const char *mask) {
  qv_array_builder b;
  qv_array *a = NULL;
  if (qv_array_builder_init(&b, NULL, t, NULL)) return NULL;
  for (int64_t i = 0; i < n; i++) {
    qv_status st = mask && mask[i] == '0' ? qv_array_builder_append_null(&b, NULL)
                                          : qv_array_builder_append_double(&b, v[i], NULL);
    if (st) return NULL;
  }
  return qv_array_builder_finish(&b, &a, NULL) ? NULL : a;
}

/* A NULL string is a null slot. */
static qv_array *strs(qv_data_type *t, const char *const *v, int64_t n) {
  qv_array_builder b;
  qv_array *a = NULL;
  if (qv_array_builder_init(&b, NULL, t, NULL)) return NULL;
  for (int64_t i = 0; i < n; i++) {
    qv_status st = v[i] ? qv_array_builder_append_binary(&b, v[i], (int64_t)strlen(v[i]), NULL)
                        : qv_array_builder_append_null(&b, NULL);
    if (st) return NULL;
  }
  return qv_array_builder_finish(&b, &a, NULL) ? NULL : a;
}

/* -1 is a null slot. */
static qv_array *bools(const int *v, int64_t n) {
  qv_array_builder b;
  qv_array *a = NULL;
  if (qv_array_builder_init(&b, NULL, qv_type_primitive(QV_BOOL), NULL)) return NULL;
  for (int64_t i = 0; i < n; i++) {
    qv_status st = v[i] < 0 ? qv_array_builder_append_null(&b, NULL) : qv_array_builder_append_bool(&b, v[i], NULL);
    if (st) return NULL;
  }
  return qv_array_builder_finish(&b, &a, NULL) ? NULL : a;
}

/* ---- reading results ------------------------------------------------------ */

static const uint8_t *vals(const qv_array *a) { return qv_buffer_data(qv_array_buffer(a, 1)); }
#define AT(T, a, i) (((const T *)(const void *)vals(a))[qv_array_offset(a) + (i)])
static int64_t i64_at(const qv_array *a, int64_t i) { return AT(int64_t, a, i); }
static uint64_t u64_at(const qv_array *a, int64_t i) { return AT(uint64_t, a, i); }
static double f64_at(const qv_array *a, int64_t i) { return AT(double, a, i); }
static float f32_at(const qv_array *a, int64_t i) { return AT(float, a, i); }
static i128 dec_at(const qv_array *a, int64_t i) {
  i128 v;
  memcpy(&v, vals(a) + (qv_array_offset(a) + i) * 16, 16);
  return v;
}
static bool str_is(const qv_array *a, int64_t i, const char *s) {
  const int32_t *o = (const int32_t *)(const void *)vals(a) + qv_array_offset(a);
  const uint8_t *d = qv_buffer_data(qv_array_buffer(a, 2));
  size_t n = strlen(s);
  return (size_t)(o[i + 1] - o[i]) == n && memcmp(d + o[i], s, n) == 0;
}
static bool valid(const qv_array *a, int64_t i) { return qv_array_is_valid(a, i); }

/* ---- running ------------------------------------------------------------- */

static qv_aggregate_expr *make_agg(const qv_session_state *session, const char *fn, qv_data_type *t, bool distinct,
                                   qv_error *err) {
  qv_field *f = NULL;
  qv_schema *s = NULL;
  qv_expr *col = NULL;
  qv_aggregate_expr *agg = NULL;
  if (qv_field_create("x", t ? t : qv_type_primitive(QV_INT64), true, NULL, &f, err) == QV_OK &&
      qv_schema_create(&f, 1, NULL, &s, err) == QV_OK && qv_expr_column(s, 0, &col, err) == QV_OK) {
    bool star = t == NULL;
    if (qv_aggregate_create(session, fn, &col, star ? 0 : 1, distinct, NULL, &agg, err) != QV_OK) agg = NULL;
  }
  qv_expr_unref(col);
  qv_schema_unref(s);
  qv_field_unref(f);
  return agg;
}

static void destroy_acc(qv_group_accumulator *a) {
  if (a) a->destroy(a);
}

/* Runs agg over values (NULL: count(*)) with group ids g in one accumulator,
 * and again split in two partial accumulators merged into a third; both
 * results must be equal. *out gets the first; its memory comes from alloc,
 * which holds nothing else once the run returns. */
static qv_status run_agg(qv_allocator *alloc, qv_aggregate_expr *agg, qv_array *values, const uint32_t *g, int64_t n,
                         int64_t n_groups, qv_array **out, qv_error *err) {
  *out = NULL;
  qv_group_accumulator *one = NULL, *p1 = NULL, *p2 = NULL, *m = NULL;
  qv_array *half[2] = {NULL, NULL}, *s1[4] = {0}, *s2[4] = {0}, *merged = NULL;
  int32_t n_args = values ? 1 : 0, ns = qv_aggregate_num_state_fields(agg);
  int64_t h = n / 2;
  uint32_t *ids = calloc((size_t)(n_groups ? n_groups : 1), sizeof *ids);
  for (int64_t i = 0; i < n_groups; i++) ids[i] = (uint32_t)i;
  qv_status st = qv__aggregate_create_accumulator(agg, alloc, &one, err);
  if (st == QV_OK) st = one->update(one, &values, n_args, g, n, n_groups, err);
  if (st == QV_OK) st = one->finish(one, out, err);
  if (st == QV_OK && values) st = qv_array_slice(values, 0, h, &half[0], err);
  if (st == QV_OK && values) st = qv_array_slice(values, h, n - h, &half[1], err);
  if (st == QV_OK) st = qv__aggregate_create_accumulator(agg, alloc, &p1, err);
  if (st == QV_OK) st = qv__aggregate_create_accumulator(agg, alloc, &p2, err);
  if (st == QV_OK) st = qv__aggregate_create_accumulator(agg, alloc, &m, err);
  if (st == QV_OK) st = p1->update(p1, &half[0], n_args, g, h, n_groups, err);
  if (st == QV_OK) st = p2->update(p2, &half[1], n_args, g + h, n - h, n_groups, err);
  if (st == QV_OK) st = p1->state(p1, s1, err);
  if (st == QV_OK) st = p2->state(p2, s2, err);
  for (int32_t i = 0; st == QV_OK && i < ns; i++)
    if (!qv_type_equals(qv_array_type(s1[i]), qv_field_type(qv_aggregate_state_field(agg, i))))
      st = qv_error_set(err, QV_INTERNAL, "%s: state column %d has the wrong type", qv_aggregate_name(agg), i);
  if (st == QV_OK) st = m->merge(m, s1, ns, ids, n_groups, n_groups, err);
  if (st == QV_OK) st = m->merge(m, s2, ns, ids, n_groups, n_groups, err);
  if (st == QV_OK) st = m->finish(m, &merged, err);
  if (st == QV_OK && !qv_type_equals(qv_array_type(*out), qv_aggregate_type(agg)))
    st = qv_error_set(err, QV_INTERNAL, "%s: result has the wrong type", qv_aggregate_name(agg));
  if (st == QV_OK && !qv_array_equals(*out, merged))
    st = qv_error_set(err, QV_INTERNAL, "%s: the partial path gives a different result", qv_aggregate_name(agg));
  if (st == QV_OK && qv_array_length(*out) != n_groups)
    st = qv_error_set(err, QV_INTERNAL, "%s: %lld rows for %lld groups", qv_aggregate_name(agg),
                      (long long)qv_array_length(*out), (long long)n_groups);
  destroy_acc(one);
  destroy_acc(p1);
  destroy_acc(p2);
  destroy_acc(m);
  for (int i = 0; i < 4; i++) {
    qv_array_unref(s1[i]);
    qv_array_unref(s2[i]);
  }
  qv_array_unref(half[0]);
  qv_array_unref(half[1]);
  qv_array_unref(merged);
  free(ids);
  if (st != QV_OK) {
    qv_array_unref(*out);
    *out = NULL;
  }
  return st;
}

static qv_allocator *new_alloc(int64_t limit) {
  qv_allocator *a = NULL;
  return qv_allocator_create(limit, &a, NULL) == QV_OK ? a : NULL;
}

/* Group ids i % k. */
static uint32_t *mod_ids(int64_t n, int64_t k) {
  uint32_t *g = malloc((size_t)(n ? n : 1) * sizeof *g);
  for (int64_t i = 0; i < n; i++) g[i] = (uint32_t)(i % k);
  return g;
}

/* ---- type rules ------------------------------------------------------------ */

static bool type_is(const qv_data_type *t, const char *want) {
  char buf[96];
  return strcmp(qv_type_to_string(t, buf, sizeof buf), want) == 0;
}

QV_TEST(aggregate_result_and_state_types) {
  qv_error err = {0};
  qv_data_type *dec = NULL;
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 15, 2, &dec, &err), &err);
  struct {
    const char *fn;
    qv_data_type *in;
    bool distinct;
    const char *result;
    const char *states; /* "name:type;..." */
  } cases[] = {
      {"count", NULL, false, "int64", "count(*)[count]:int64"},
      {"COUNT", qv_type_primitive(QV_UTF8), false, "int64", "count(x)[count]:int64"},
      {"count", qv_type_primitive(QV_INT32), true, "int64", "count(DISTINCT x)[distinct]:list<item: int32>"},
      {"sum", qv_type_primitive(QV_INT8), false, "int64", "sum(x)[sum]:int64"},
      {"sum", qv_type_primitive(QV_UINT16), false, "uint64", "sum(x)[sum]:uint64"},
      {"sum", qv_type_primitive(QV_FLOAT32), false, "float64", "sum(x)[sum]:float64"},
      {"sum", dec, false, "decimal128(38, 2)", "sum(x)[sum]:decimal128(38, 2)"},
      {"avg", dec, false, "decimal128(19, 6)", "avg(x)[sum]:decimal128(38, 2);avg(x)[count]:int64"},
      {"mean", qv_type_primitive(QV_INT64), false, "float64", "avg(x)[sum]:decimal128(38, 0);avg(x)[count]:int64"},
      {"avg", qv_type_primitive(QV_FLOAT64), false, "float64", "avg(x)[sum]:float64;avg(x)[count]:int64"},
      {"min", qv_type_primitive(QV_UTF8), false, "utf8", "min(x)[min]:utf8"},
      {"max", qv_type_primitive(QV_DATE32), true, "date32", "max(DISTINCT x)[max]:date32"},
      {"sum", qv_type_primitive(QV_INT64), true, "int64", "sum(DISTINCT x)[distinct]:list<item: int64>"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    qv_aggregate_expr *a = make_agg(NULL, cases[c].fn, cases[c].in, cases[c].distinct, &err);
    if (!a) qv_test_fail(__FILE__, __LINE__, "case %zu (%s): %s", c, cases[c].fn, err.message);
    CHECK(a);
    char buf[96];
    if (!type_is(qv_aggregate_type(a), cases[c].result))
      qv_test_fail(__FILE__, __LINE__, "case %zu: result %s", c,
                   qv_type_to_string(qv_aggregate_type(a), buf, sizeof buf));
    char states[512] = "";
    for (int32_t i = 0; i < qv_aggregate_num_state_fields(a); i++) {
      qv_field *f = qv_aggregate_state_field(a, i);
      size_t at = strlen(states);
      snprintf(states + at, sizeof states - at, "%s%s:%s", i ? ";" : "", qv_field_name(f),
               qv_type_to_string(qv_field_type(f), buf, sizeof buf));
    }
    if (strcmp(states, cases[c].states) != 0) qv_test_fail(__FILE__, __LINE__, "case %zu: states %s", c, states);
    qv_aggregate_unref(a);
  }
  qv_type_unref(dec);
}

QV_TEST(aggregate_resolution_errors) {
  qv_error err = {0};
  qv_aggregate_expr *a = make_agg(NULL, "median_of_nothing", qv_type_primitive(QV_INT64), false, &err);
  CHECK(!a);
  CHECK_EQ_INT(err.code, QV_NOT_FOUND);
  CHECK(strstr(err.message, "median_of_nothing"));
  a = make_agg(NULL, "sum", qv_type_primitive(QV_UTF8), false, &err);
  CHECK(!a);
  CHECK_EQ_INT(err.code, QV_TYPE_ERROR);
  CHECK(strstr(err.message, "sum(utf8)"));
  a = make_agg(NULL, "avg", qv_type_primitive(QV_BOOL), false, &err);
  CHECK(!a);
  CHECK_EQ_INT(err.code, QV_TYPE_ERROR);
  a = make_agg(NULL, "count", NULL, true, &err);
  CHECK(!a);
  CHECK_EQ_INT(err.code, QV_INVALID);
  qv_field *item = NULL;
  qv_data_type *list = NULL;
  CHECK_OK(qv_field_create("item", qv_type_primitive(QV_INT32), true, NULL, &item, &err), &err);
  CHECK_OK(qv_type_list(QV_LIST, item, &list, &err), &err);
  a = make_agg(NULL, "min", list, false, &err);
  CHECK(!a);
  CHECK_EQ_INT(err.code, QV_TYPE_ERROR);
  a = make_agg(NULL, "count", list, true, &err); /* DISTINCT over lists is not kept */
  CHECK(!a);
  CHECK_EQ_INT(err.code, QV_TYPE_ERROR);
  a = make_agg(NULL, "count", list, false, &err); /* plain count takes anything */
  CHECK(a);
  qv_aggregate_unref(a);
  qv_type_unref(list);
  qv_field_unref(item);
  /* An explicit output name names the state fields too. */
  qv_field *f;
  qv_schema *s;
  qv_expr *col;
  CHECK_OK(qv_field_create("v", qv_type_primitive(QV_INT64), true, NULL, &f, &err), &err);
  CHECK_OK(qv_schema_create(&f, 1, NULL, &s, &err), &err);
  CHECK_OK(qv_expr_column(s, 0, &col, &err), &err);
  CHECK_OK(qv_aggregate_create(NULL, "avg", &col, 1, false, "revenue", &a, &err), &err);
  CHECK_STR_EQ(qv_aggregate_name(a), "revenue");
  CHECK_STR_EQ(qv_field_name(qv_aggregate_state_field(a, 1)), "revenue[count]");
  CHECK_STR_EQ(qv__aggregate_function(a), "avg");
  CHECK(qv__aggregate_arg(a, 0) == col);
  qv_aggregate_unref(a);
  qv_expr *two[2] = {col, col};
  CHECK_STATUS(qv_aggregate_create(NULL, "sum", two, 2, false, NULL, &a, &err), QV_INVALID);
  qv_expr_unref(col);
  qv_schema_unref(s);
  qv_field_unref(f);
}

/* ---- count -------------------------------------------------------------------- */

QV_TEST(count_star_and_count_ignore_nulls_per_group) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(0);
  int64_t v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  /* group 2 (rows 2, 5, 8) is all null */
  qv_array *x = ints(qv_type_primitive(QV_INT32), v, 9, "110110110");
  uint32_t *g = mod_ids(9, 4);
  qv_aggregate_expr *star = make_agg(NULL, "count", NULL, false, &err);
  qv_aggregate_expr *cx = make_agg(NULL, "count", qv_type_primitive(QV_INT32), false, &err);
  CHECK(alloc && x && star && cx);
  qv_array *r1, *r2;
  CHECK_OK(run_agg(alloc, star, NULL, g, 9, 4, &r1, &err), &err);
  CHECK_OK(run_agg(alloc, cx, x, g, 9, 4, &r2, &err), &err);
  /* groups: 0 -> rows 0,4,8; 1 -> 1,5; 2 -> 2,6; 3 -> 3,7 */
  int64_t want_star[] = {3, 2, 2, 2}, want_x[] = {2, 1, 1, 2};
  for (int i = 0; i < 4; i++) {
    CHECK(valid(r1, i) && valid(r2, i));
    CHECK_EQ_INT(i64_at(r1, i), want_star[i]);
    CHECK_EQ_INT(i64_at(r2, i), want_x[i]);
  }
  qv_array_unref(r1);
  qv_array_unref(r2);
  /* count(NULL): the null type counts nothing. */
  qv_array *nulls = NULL;
  CHECK_OK(qv_array_make_nulls(NULL, qv_type_primitive(QV_NA), 9, &nulls, &err), &err);
  qv_aggregate_expr *cn = make_agg(NULL, "count", qv_type_primitive(QV_NA), false, &err);
  CHECK(cn);
  CHECK_OK(run_agg(alloc, cn, nulls, g, 9, 4, &r1, &err), &err);
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(i64_at(r1, i), 0);
  qv_array_unref(r1);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_array_unref(nulls);
  qv_aggregate_unref(cn);
  qv_aggregate_unref(star);
  qv_aggregate_unref(cx);
  qv_array_unref(x);
  free(g);
  qv_allocator_destroy(alloc);
}

/* ---- integers ------------------------------------------------------------------ */

/* sum, avg, min, max and count of an integer column checked against values
 * computed here, for every integer type. */
static void check_integer_type(qv_type_id id) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(0);
  bool is_signed = qv_type_is_signed_integer(id);
  enum { N = 41, G = 5 };
  int64_t v[N];
  char mask[N + 1];
  for (int i = 0; i < N; i++) {
    v[i] = is_signed ? (i * 37) % 101 - 50 : (i * 37) % 101;
    mask[i] = i % 7 == 3 ? '0' : '1';
  }
  mask[N] = 0;
  /* group 4 gets only null rows */
  uint32_t g[N];
  for (int i = 0; i < N; i++) g[i] = mask[i] == '0' ? 4 : (uint32_t)(i % 4);
  qv_data_type *t = qv_type_primitive(id);
  qv_array *x = ints(t, v, N, mask);
  CHECK(x && alloc);
  int64_t sum[G] = {0}, cnt[G] = {0}, mn[G], mx[G];
  for (int k = 0; k < G; k++) {
    mn[k] = INT64_MAX;
    mx[k] = INT64_MIN;
  }
  for (int i = 0; i < N; i++) {
    if (mask[i] == '0') continue;
    sum[g[i]] += v[i];
    cnt[g[i]]++;
    if (v[i] < mn[g[i]]) mn[g[i]] = v[i];
    if (v[i] > mx[g[i]]) mx[g[i]] = v[i];
  }
  const char *fns[] = {"sum", "avg", "min", "max", "count"};
  for (int f = 0; f < 5; f++) {
    qv_aggregate_expr *a = make_agg(NULL, fns[f], t, false, &err);
    CHECK(a);
    qv_array *r;
    qv_status st = run_agg(alloc, a, x, g, N, G, &r, &err);
    if (st) qv_test_fail(__FILE__, __LINE__, "%s over type %d: %s", fns[f], (int)id, err.message);
    CHECK_OK(st, &err);
    for (int k = 0; k < G; k++) {
      bool has = cnt[k] > 0;
      if (f == 4) {
        CHECK_EQ_INT(i64_at(r, k), cnt[k]);
        continue;
      }
      CHECK_EQ_INT(valid(r, k), has);
      if (!has) continue;
      switch (f) {
        case 0: CHECK_EQ_INT(is_signed ? i64_at(r, k) : (int64_t)u64_at(r, k), sum[k]); break;
        case 1: CHECK(fabs(f64_at(r, k) - (double)sum[k] / (double)cnt[k]) < 1e-12); break;
        default: {
          int64_t got = 0;
          const uint8_t *p = vals(r) + (qv_array_offset(r) + k) * qv_type_byte_width(t);
          switch (qv_type_byte_width(t)) {
            case 1: got = is_signed ? (int64_t) * (const int8_t *)p : (int64_t) * (const uint8_t *)p; break;
            case 2: {
              int16_t s16;
              uint16_t u16;
              memcpy(&s16, p, 2);
              memcpy(&u16, p, 2);
              got = is_signed ? (int64_t)s16 : (int64_t)u16;
              break;
            }
            case 4: {
              int32_t s32;
              uint32_t u32;
              memcpy(&s32, p, 4);
              memcpy(&u32, p, 4);
              got = is_signed ? (int64_t)s32 : (int64_t)u32;
              break;
            }
            default: got = *(const int64_t *)(const void *)p; break;
          }
          CHECK_EQ_INT(got, f == 2 ? mn[k] : mx[k]);
        }
      }
    }
    qv_array_unref(r);
    qv_aggregate_unref(a);
  }
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_array_unref(x);
  qv_allocator_destroy(alloc);
}

QV_TEST(integer_aggregates_every_width) {
  qv_type_id ids[] = {QV_INT8, QV_INT16, QV_INT32, QV_INT64, QV_UINT8, QV_UINT16, QV_UINT32, QV_UINT64};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) check_integer_type(ids[i]);
}

QV_TEST(integer_sum_overflow_is_an_error_and_avg_is_exact) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(0);
  int64_t v[] = {INT64_MAX, 1, INT64_MAX - 1, INT64_MAX};
  qv_array *x = ints(qv_type_primitive(QV_INT64), v, 4, NULL);
  uint32_t g[4] = {0, 0, 0, 0};
  qv_aggregate_expr *s = make_agg(NULL, "sum", qv_type_primitive(QV_INT64), false, &err);
  qv_aggregate_expr *a = make_agg(NULL, "avg", qv_type_primitive(QV_INT64), false, &err);
  CHECK(x && s && a);
  qv_array *r = NULL;
  CHECK_STATUS(run_agg(alloc, s, x, g, 4, 1, &r, &err), QV_OUT_OF_RANGE);
  CHECK(strstr(err.message, "sum(x)"));
  /* avg keeps a 128-bit sum: (3 * INT64_MAX) / 4 exactly representable as a double. */
  qv_array *x3 = NULL;
  CHECK_OK(qv_array_slice(x, 2, 2, &x3, &err), &err);
  CHECK_OK(run_agg(alloc, a, x3, g, 2, 1, &r, &err), &err);
  CHECK(f64_at(r, 0) == (double)INT64_MAX - 0.5);
  qv_array_unref(r);
  uint64_t big = UINT64_MAX;
  int64_t uv[] = {(int64_t)big, 1};
  qv_array *u = ints(qv_type_primitive(QV_UINT64), uv, 2, NULL);
  qv_aggregate_expr *su = make_agg(NULL, "sum", qv_type_primitive(QV_UINT64), false, &err);
  CHECK(u && su);
  CHECK_STATUS(run_agg(alloc, su, u, g, 2, 1, &r, &err), QV_OUT_OF_RANGE);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_aggregate_unref(su);
  qv_array_unref(u);
  qv_array_unref(x3);
  qv_aggregate_unref(s);
  qv_aggregate_unref(a);
  qv_array_unref(x);
  qv_allocator_destroy(alloc);
}

/* ---- floats --------------------------------------------------------------------- */

QV_TEST(float_aggregates_with_nan_and_nulls) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(0);
  /* group 0: 1.5, -2.25, NaN; group 1: 4, null, -0.5; group 2: null only */
  double v[] = {1.5, 4.0, 0, -2.25, 0, 0, NAN, -0.5, 0};
  const char *mask = "110100110";
  uint32_t g[] = {0, 1, 2, 0, 1, 2, 0, 1, 2};
  for (int t = 0; t < 2; t++) {
    qv_data_type *type = qv_type_primitive(t ? QV_FLOAT64 : QV_FLOAT32);
    qv_array *x = doubles(type, v, 9, mask);
    CHECK(x);
    qv_aggregate_expr *sum = make_agg(NULL, "sum", type, false, &err), *avg = make_agg(NULL, "avg", type, false, &err),
                      *mn = make_agg(NULL, "min", type, false, &err), *mx = make_agg(NULL, "max", type, false, &err);
    CHECK(sum && avg && mn && mx);
    qv_array *rs, *ra, *rn, *rx;
    CHECK_OK(run_agg(alloc, sum, x, g, 9, 3, &rs, &err), &err);
    CHECK_OK(run_agg(alloc, avg, x, g, 9, 3, &ra, &err), &err);
    CHECK_OK(run_agg(alloc, mn, x, g, 9, 3, &rn, &err), &err);
    CHECK_OK(run_agg(alloc, mx, x, g, 9, 3, &rx, &err), &err);
    CHECK(isnan(f64_at(rs, 0)) && f64_at(rs, 1) == 3.5 && !valid(rs, 2));
    CHECK(isnan(f64_at(ra, 0)) && f64_at(ra, 1) == 1.75 && !valid(ra, 2));
    /* NaN is the greatest float: min ignores it, max returns it. */
    double n0 = t ? f64_at(rn, 0) : f32_at(rn, 0), x0 = t ? f64_at(rx, 0) : f32_at(rx, 0);
    double n1 = t ? f64_at(rn, 1) : f32_at(rn, 1), x1 = t ? f64_at(rx, 1) : f32_at(rx, 1);
    CHECK(n0 == -2.25 && isnan(x0));
    CHECK(n1 == -0.5 && x1 == 4.0);
    CHECK(!valid(rn, 2) && !valid(rx, 2));
    qv_array_unref(rs);
    qv_array_unref(ra);
    qv_array_unref(rn);
    qv_array_unref(rx);
    qv_aggregate_unref(sum);
    qv_aggregate_unref(avg);
    qv_aggregate_unref(mn);
    qv_aggregate_unref(mx);
    qv_array_unref(x);
  }
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_allocator_destroy(alloc);
}

/* ---- decimals ------------------------------------------------------------------------ */

QV_TEST(decimal_sum_keeps_scale_and_avg_rounds_half_away_from_zero) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(0);
  qv_data_type *dec = NULL;
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 15, 2, &dec, &err), &err);
  /* group 0: 1.00, 2.00, 2.00 -> avg 1.666667; group 1: the negatives;
   * group 2: 0.01, 0.02 -> avg 0.015000; group 3: null */
  int64_t v[] = {100, -100, 1, 0, 200, -200, 2, 0, 200, -200};
  uint32_t g[] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1};
  qv_array *x = ints(dec, v, 10, "1110111011");
  qv_aggregate_expr *sum = make_agg(NULL, "sum", dec, false, &err), *avg = make_agg(NULL, "avg", dec, false, &err),
                    *mn = make_agg(NULL, "min", dec, false, &err), *mx = make_agg(NULL, "max", dec, false, &err);
  CHECK(x && sum && avg && mn && mx);
  qv_array *rs, *ra, *rn, *rx;
  CHECK_OK(run_agg(alloc, sum, x, g, 10, 4, &rs, &err), &err);
  CHECK_OK(run_agg(alloc, avg, x, g, 10, 4, &ra, &err), &err);
  CHECK_OK(run_agg(alloc, mn, x, g, 10, 4, &rn, &err), &err);
  CHECK_OK(run_agg(alloc, mx, x, g, 10, 4, &rx, &err), &err);
  CHECK(dec_at(rs, 0) == 500 && dec_at(rs, 1) == -500 && dec_at(rs, 2) == 3 && !valid(rs, 3));
  CHECK(dec_at(ra, 0) == 1666667 && dec_at(ra, 1) == -1666667 && dec_at(ra, 2) == 15000 && !valid(ra, 3));
  CHECK(dec_at(rn, 0) == 100 && dec_at(rx, 0) == 200 && dec_at(rn, 1) == -200 && dec_at(rx, 1) == -100);
  CHECK(!valid(rn, 3) && !valid(rx, 3));
  qv_array_unref(rs);
  qv_array_unref(ra);
  qv_array_unref(rn);
  qv_array_unref(rx);
  /* A sum past 38 digits is an error. */
  qv_data_type *wide = NULL;
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 38, 0, &wide, &err), &err);
  qv_array_builder b;
  CHECK_OK(qv_array_builder_init(&b, NULL, wide, &err), &err);
  i128 nines = 1;
  for (int i = 0; i < 38; i++) nines *= 10;
  nines -= 1;
  CHECK_OK(qv_array_builder_append_fixed(&b, &nines, &err), &err);
  CHECK_OK(qv_array_builder_append_fixed(&b, &nines, &err), &err);
  qv_array *big = NULL;
  CHECK_OK(qv_array_builder_finish(&b, &big, &err), &err);
  qv_aggregate_expr *sw = make_agg(NULL, "sum", wide, false, &err);
  CHECK(sw);
  qv_array *r = NULL;
  uint32_t g0[2] = {0, 0};
  CHECK_STATUS(run_agg(alloc, sw, big, g0, 2, 1, &r, &err), QV_OUT_OF_RANGE);
  CHECK(strstr(err.message, "38 digits"));
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_aggregate_unref(sw);
  qv_array_unref(big);
  qv_type_unref(wide);
  qv_aggregate_unref(sum);
  qv_aggregate_unref(avg);
  qv_aggregate_unref(mn);
  qv_aggregate_unref(mx);
  qv_array_unref(x);
  qv_type_unref(dec);
  qv_allocator_destroy(alloc);
}

/* ---- temporal, bool, strings ------------------------------------------------------------ */

QV_TEST(min_max_of_dates_timestamps_and_bools) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(0);
  int64_t days[] = {10957, -365, 19000, 0, 5};
  uint32_t g[] = {0, 0, 1, 1, 0};
  qv_data_type *ts = NULL;
  CHECK_OK(qv_type_timestamp(QV_MICRO, "UTC", &ts, &err), &err);
  qv_data_type *types[] = {qv_type_primitive(QV_DATE32), qv_type_primitive(QV_DATE64), ts};
  for (int t = 0; t < 3; t++) {
    qv_array *x = ints(types[t], days, 5, "11101");
    qv_aggregate_expr *mn = make_agg(NULL, "min", types[t], false, &err);
    qv_aggregate_expr *mx = make_agg(NULL, "max", types[t], false, &err);
    CHECK(x && mn && mx);
    qv_array *rn, *rx;
    CHECK_OK(run_agg(alloc, mn, x, g, 5, 2, &rn, &err), &err);
    CHECK_OK(run_agg(alloc, mx, x, g, 5, 2, &rx, &err), &err);
    CHECK(qv_type_equals(qv_array_type(rn), types[t]));
    int64_t n0, x0, n1, x1;
    if (t == 0) {
      const int32_t *pn = (const int32_t *)(const void *)vals(rn), *px = (const int32_t *)(const void *)vals(rx);
      n0 = pn[0], x0 = px[0], n1 = pn[1], x1 = px[1];
    } else {
      n0 = i64_at(rn, 0), x0 = i64_at(rx, 0), n1 = i64_at(rn, 1), x1 = i64_at(rx, 1);
    }
    CHECK(n0 == -365 && x0 == 10957 && n1 == 19000 && x1 == 19000);
    qv_array_unref(rn);
    qv_array_unref(rx);
    qv_aggregate_unref(mn);
    qv_aggregate_unref(mx);
    qv_array_unref(x);
  }
  int bv[] = {1, 0, -1, 1, 1, -1};
  uint32_t bg[] = {0, 0, 2, 1, 1, 2};
  qv_array *b = bools(bv, 6);
  qv_aggregate_expr *bn = make_agg(NULL, "min", qv_type_primitive(QV_BOOL), false, &err),
                    *bx = make_agg(NULL, "max", qv_type_primitive(QV_BOOL), false, &err);
  CHECK(b && bn && bx);
  qv_array *rn, *rx;
  CHECK_OK(run_agg(alloc, bn, b, bg, 6, 3, &rn, &err), &err);
  CHECK_OK(run_agg(alloc, bx, b, bg, 6, 3, &rx, &err), &err);
  const uint8_t *pn = vals(rn), *px = vals(rx);
  CHECK(!qv_bit_get(pn, 0) && qv_bit_get(px, 0));
  CHECK(qv_bit_get(pn, 1) && qv_bit_get(px, 1));
  CHECK(!valid(rn, 2) && !valid(rx, 2));
  qv_array_unref(rn);
  qv_array_unref(rx);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_aggregate_unref(bn);
  qv_aggregate_unref(bx);
  qv_array_unref(b);
  qv_type_unref(ts);
  qv_allocator_destroy(alloc);
}

QV_TEST(min_max_of_strings_in_byte_order) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(0);
  const char *v[] = {"pear", "apple", NULL, "apples", "", "zebra", "app", NULL, "Ã©tÃ©", "Zoo"};
  uint32_t g[] = {0, 0, 2, 0, 1, 1, 0, 3, 1, 1};
  qv_data_type *types[] = {qv_type_primitive(QV_UTF8), qv_type_primitive(QV_LARGE_UTF8), qv_type_primitive(QV_BINARY)};
  for (int t = 0; t < 3; t++) {
    qv_array *x = strs(types[t], v, 10);
    qv_aggregate_expr *mn = make_agg(NULL, "min", types[t], false, &err);
    qv_aggregate_expr *mx = make_agg(NULL, "max", types[t], false, &err);
    CHECK(x && mn && mx);
    qv_array *rn, *rx;
    CHECK_OK(run_agg(alloc, mn, x, g, 10, 4, &rn, &err), &err);
    CHECK_OK(run_agg(alloc, mx, x, g, 10, 4, &rx, &err), &err);
    if (t != 1) {
      CHECK(str_is(rn, 0, "app") && str_is(rx, 0, "pear"));
      CHECK(str_is(rn, 1, "") && str_is(rx, 1, "Ã©tÃ©"));
    } else {
      const int64_t *o = (const int64_t *)(const void *)vals(rn);
      CHECK(o[1] - o[0] == 3);
    }
    CHECK(!valid(rn, 2) && !valid(rx, 2) && !valid(rn, 3));
    qv_array_unref(rn);
    qv_array_unref(rx);
    qv_aggregate_unref(mn);
    qv_aggregate_unref(mx);
    qv_array_unref(x);
  }
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_allocator_destroy(alloc);
}

QV_TEST(string_max_over_growing_values_compacts_its_heap) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(0);
  /* Ever longer winners: each is appended, the old one becomes garbage; the
   * heap must be compacted rather than grow to the sum of all lengths. */
  enum { N = 3000 };
  char **v = calloc(N, sizeof *v);
  for (int i = 0; i < N; i++) {
    v[i] = malloc((size_t)i + 2);
    memset(v[i], 'a' + (i % 2), (size_t)i + 1);
    v[i][i + 1] = 0;
  }
  uint32_t *g = mod_ids(N, 2);
  qv_array *x = strs(qv_type_primitive(QV_UTF8), (const char *const *)v, N);
  qv_aggregate_expr *mx = make_agg(NULL, "max", qv_type_primitive(QV_UTF8), false, &err);
  CHECK(x && mx);
  qv_group_accumulator *acc = NULL;
  CHECK_OK(qv__aggregate_create_accumulator(mx, alloc, &acc, &err), &err);
  CHECK_OK(acc->update(acc, &x, 1, g, N, 2, &err), &err);
  CHECK(acc->size(acc) < 4 * 2 * N + (1 << 21)); /* far below the 4.5 MB appended */
  qv_array *r = NULL;
  CHECK_OK(acc->finish(acc, &r, &err), &err);
  CHECK(str_is(r, 0, v[N - 2]) && str_is(r, 1, v[N - 1]));
  qv_array_unref(r);
  acc->destroy(acc);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  for (int i = 0; i < N; i++) free(v[i]);
  free(v);
  free(g);
  qv_aggregate_unref(mx);
  qv_array_unref(x);
  qv_allocator_destroy(alloc);
}

/* ---- DISTINCT ------------------------------------------------------------------------------ */

QV_TEST(distinct_aggregates_over_ints_floats_and_strings) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(0);
  int64_t iv[] = {5, 5, 7, 5, 7, 9, 1, 1, 0, 3};
  uint32_t g[] = {0, 0, 0, 1, 1, 1, 2, 2, 0, 3};
  qv_array *x = ints(qv_type_primitive(QV_INT64), iv, 10, "1111111101");
  qv_aggregate_expr *cd = make_agg(NULL, "count", qv_type_primitive(QV_INT64), true, &err),
                    *sd = make_agg(NULL, "sum", qv_type_primitive(QV_INT64), true, &err),
                    *ad = make_agg(NULL, "avg", qv_type_primitive(QV_INT64), true, &err),
                    *md = make_agg(NULL, "max", qv_type_primitive(QV_INT64), true, &err);
  CHECK(x && cd && sd && ad && md);
  qv_array *rc, *rs, *ra, *rm;
  CHECK_OK(run_agg(alloc, cd, x, g, 10, 5, &rc, &err), &err);
  CHECK_OK(run_agg(alloc, sd, x, g, 10, 5, &rs, &err), &err);
  CHECK_OK(run_agg(alloc, ad, x, g, 10, 5, &ra, &err), &err);
  CHECK_OK(run_agg(alloc, md, x, g, 10, 5, &rm, &err), &err);
  int64_t want_c[] = {2, 3, 1, 1, 0}, want_s[] = {12, 21, 1, 3};
  for (int k = 0; k < 5; k++) {
    CHECK_EQ_INT(i64_at(rc, k), want_c[k]);
    CHECK_EQ_INT(valid(rs, k), k < 4);
    if (k < 4) {
      CHECK_EQ_INT(i64_at(rs, k), want_s[k]);
      CHECK(f64_at(ra, k) == (double)want_s[k] / (double)want_c[k]);
    }
  }
  CHECK_EQ_INT(i64_at(rm, 1), 9);
  qv_array_unref(rc);
  qv_array_unref(rs);
  qv_array_unref(ra);
  qv_array_unref(rm);
  /* -0.0 equals 0.0 and NaNs equal each other. */
  double fv[] = {0.0, -0.0, NAN, -NAN, 1.5, 1.5, 2.0};
  qv_array *f = doubles(qv_type_primitive(QV_FLOAT64), fv, 7, NULL);
  uint32_t fg[7] = {0};
  qv_aggregate_expr *cf = make_agg(NULL, "count", qv_type_primitive(QV_FLOAT64), true, &err);
  CHECK(f && cf);
  CHECK_OK(run_agg(alloc, cf, f, fg, 7, 1, &rc, &err), &err);
  CHECK_EQ_INT(i64_at(rc, 0), 4);
  qv_array_unref(rc);
  const char *sv[] = {"a", "b", "a", NULL, "", "", "b", "c", "a"};
  uint32_t sg[] = {0, 0, 0, 0, 1, 1, 1, 1, 1};
  qv_array *s = strs(qv_type_primitive(QV_UTF8), sv, 9);
  qv_aggregate_expr *cs = make_agg(NULL, "count", qv_type_primitive(QV_UTF8), true, &err);
  CHECK(s && cs);
  CHECK_OK(run_agg(alloc, cs, s, sg, 9, 2, &rc, &err), &err);
  CHECK_EQ_INT(i64_at(rc, 0), 2);
  CHECK_EQ_INT(i64_at(rc, 1), 4);
  qv_array_unref(rc);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_aggregate_unref(cs);
  qv_array_unref(s);
  qv_aggregate_unref(cf);
  qv_array_unref(f);
  qv_aggregate_unref(cd);
  qv_aggregate_unref(sd);
  qv_aggregate_unref(ad);
  qv_aggregate_unref(md);
  qv_array_unref(x);
  qv_allocator_destroy(alloc);
}

QV_TEST(distinct_set_grows_past_many_values) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(0);
  enum { N = 200000, G = 1000 };
  int64_t *v = malloc(N * sizeof *v);
  for (int i = 0; i < N; i++) v[i] = (i * 7919) % 50000; /* each value 4 times */
  uint32_t *g = malloc(N * sizeof *g);
  for (int i = 0; i < N; i++) g[i] = (uint32_t)(v[i] % G);
  qv_array *x = ints(qv_type_primitive(QV_INT64), v, N, NULL);
  qv_aggregate_expr *cd = make_agg(NULL, "count", qv_type_primitive(QV_INT64), true, &err);
  CHECK(x && cd);
  qv_array *r;
  CHECK_OK(run_agg(alloc, cd, x, g, N, G, &r, &err), &err);
  for (int k = 0; k < G; k++) CHECK_EQ_INT(i64_at(r, k), 50);
  qv_array_unref(r);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_aggregate_unref(cd);
  qv_array_unref(x);
  free(v);
  free(g);
  qv_allocator_destroy(alloc);
}

/* ---- memory limits ---------------------------------------------------------------------------- */

QV_TEST(accumulator_over_the_memory_limit_is_resource_exhausted) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(64 * 1024);
  enum { N = 100000 };
  uint32_t *g = mod_ids(N, N);
  int64_t *v = calloc(N, sizeof *v);
  qv_array *x = ints(qv_type_primitive(QV_INT64), v, N, NULL);
  qv_aggregate_expr *s = make_agg(NULL, "sum", qv_type_primitive(QV_INT64), false, &err);
  CHECK(alloc && x && s);
  qv_group_accumulator *acc = NULL;
  CHECK_OK(qv__aggregate_create_accumulator(s, alloc, &acc, &err), &err);
  CHECK_STATUS(acc->update(acc, &x, 1, g, N, N, &err), QV_RESOURCE_EXHAUSTED);
  CHECK(strstr(err.message, "memory limit of 65536 bytes exceeded"));
  CHECK(strstr(err.message, "sum(x)"));
  acc->destroy(acc);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_aggregate_unref(s);
  qv_array_unref(x);
  free(v);
  free(g);
  qv_allocator_destroy(alloc);
}

/* ---- user aggregates ------------------------------------------------------------------------- */

/* "product" of int64 values per group, state [product int64]. */
typedef struct product_acc {
  qv_group_accumulator vt;
  int64_t *p;
  int64_t n;
} product_acc;

static qv_status product_grow(product_acc *a, int64_t n, qv_error *err) {
  if (n <= a->n) return QV_OK;
  int64_t *p = realloc(a->p, (size_t)n * sizeof *p);
  if (!p) return qv_error_set(err, QV_NOMEM, "product: out of memory");
  for (int64_t i = a->n; i < n; i++) p[i] = 1;
  a->p = p;
  a->n = n;
  return QV_OK;
}

static qv_status product_update(qv_group_accumulator *acc, qv_array *const *args, int32_t n_args,
                                const uint32_t *g, int64_t n, int64_t n_groups, qv_error *err) {
  product_acc *a = (product_acc *)acc;
  QV_RETURN_NOT_OK(product_grow(a, n_groups, err));
  for (int64_t i = 0; i < n; i++)
    if (valid(args[0], i)) a->p[g[i]] *= i64_at(args[0], i);
  return QV_OK;
}

static qv_status product_state(qv_group_accumulator *acc, qv_array **out, qv_error *err) {
  product_acc *a = (product_acc *)acc;
  *out = ints(qv_type_primitive(QV_INT64), a->p, a->n, NULL);
  return *out ? QV_OK : qv_error_set(err, QV_NOMEM, "product: out of memory");
}

static qv_status product_merge(qv_group_accumulator *acc, qv_array *const *states, int32_t n_states,
                               const uint32_t *g, int64_t n, int64_t n_groups, qv_error *err) {
  return product_update(acc, states, n_states, g, n, n_groups, err);
}

static int64_t product_size(const qv_group_accumulator *acc) { return ((const product_acc *)acc)->n * 8; }

static void product_destroy(qv_group_accumulator *acc) {
  free(((product_acc *)acc)->p);
  free(acc);
}

static qv_status product_create(void *user_data, qv_group_accumulator **out, qv_error *err) {
  product_acc *a = calloc(1, sizeof *a);
  if (!a) return qv_error_set(err, QV_NOMEM, "product: out of memory");
  a->vt = (qv_group_accumulator){product_update, product_merge, product_state, product_state, product_size,
                                 product_destroy};
  *out = &a->vt;
  return QV_OK;
}

QV_TEST(user_aggregate_resolves_by_name_and_supports_distinct) {
  qv_error err = {0};
  qv_allocator *alloc = new_alloc(0);
  qv_session_state_builder *b = NULL;
  qv_session_state *session = NULL;
  qv_field *state = NULL;
  CHECK_OK(qv_field_create("product", qv_type_primitive(QV_INT64), false, NULL, &state, &err), &err);
  qv_data_type *arg = qv_type_primitive(QV_INT64);
  qv_aggregate_udf udf = {.name = "product", .n_args = 1, .arg_types = &arg,
                          .return_type = qv_type_primitive(QV_INT64), .n_state_fields = 1, .state_fields = &state,
                          .create_accumulator = product_create};
  CHECK_OK(qv_session_state_builder_create(&b, &err), &err);
  CHECK_OK(qv_session_state_builder_add_aggregate_udf(b, &udf, &err), &err);
  CHECK_OK(qv_session_state_builder_build(b, &session, &err), &err);
  qv_session_state_builder_destroy(b);
  qv_field_unref(state);
  qv_aggregate_expr *p = make_agg(session, "PRODUCT", arg, false, &err);
  CHECK(p);
  CHECK_EQ_INT(qv__aggregate_kind(p), QV_AGGREGATE_UDF);
  CHECK_STR_EQ(qv_field_name(qv_aggregate_state_field(p, 0)), "product(x)[product]");
  qv_aggregate_expr *pd = make_agg(session, "product", arg, true, &err);
  CHECK(pd);
  CHECK(make_agg(session, "product", qv_type_primitive(QV_INT32), false, &err) == NULL);
  CHECK_EQ_INT(err.code, QV_TYPE_ERROR);
  int64_t v[] = {2, 3, 2, 5, 2, 7};
  uint32_t g[] = {0, 0, 0, 1, 1, 1};
  qv_array *x = ints(arg, v, 6, NULL);
  qv_array *r, *rd;
  CHECK_OK(run_agg(alloc, p, x, g, 6, 2, &r, &err), &err);
  CHECK_OK(run_agg(alloc, pd, x, g, 6, 2, &rd, &err), &err);
  CHECK_EQ_INT(i64_at(r, 0), 12);
  CHECK_EQ_INT(i64_at(r, 1), 70);
  CHECK_EQ_INT(i64_at(rd, 0), 6);
  CHECK_EQ_INT(i64_at(rd, 1), 70);
  qv_array_unref(r);
  qv_array_unref(rd);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
  qv_array_unref(x);
  qv_aggregate_unref(p);
  qv_aggregate_unref(pd);
  qv_session_state_unref(session);
  qv_allocator_destroy(alloc);
}
