/* Take: every sample type, whole and sliced, with random repeated indices in
 * both widths, null indices, empty inputs, bounds errors, record batches,
 * and allocation failures at every step. Each output slot is compared with
 * the source slot it should hold (through qv_array_equals on one-slot
 * slices, which does not share code with the kernel). */
#include "arrow/sample_arrays.h"
#include "compute_checks.h"
#include "test.h"

/* Runs one take variant over values with n indices derived from seed and
 * checks every slot; null_every > 0 makes every null_every-th index null. */
static bool take_checks(qv_array *values, uint64_t seed, int64_t n, int null_every, bool wide,
                        const char *name) {
  qv_error err = {0};
  int64_t len = qv_array_length(values);
  uint32_t idx32[64];
  int64_t idx64[64];
  int64_t want[64];
  for (int64_t i = 0; i < n; i++) {
    bool null = len == 0 || (null_every && i % null_every == 0);
    int64_t k = null ? -1 : (int64_t)(compute_rand(&seed) % (uint64_t)len);
    want[i] = k;
    idx32[i] = k < 0 ? QV_TAKE_NULL_U32 : (uint32_t)k;
    idx64[i] = k;
  }
  qv_array *out = NULL;
  qv_status st;
  if (wide)
    st = null_every ? qv_array_take_i64_nullable(NULL, values, idx64, n, &out, &err)
                    : qv_array_take_i64(NULL, values, idx64, n, &out, &err);
  else
    st = null_every ? qv_array_take_nullable(NULL, values, idx32, n, &out, &err)
                    : qv_array_take(NULL, values, idx32, n, &out, &err);
  if (st != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s: take failed: %s", name, err.message);
    return false;
  }
  bool ok = qv_array_length(out) == n && qv_type_equals(qv_array_type(out), qv_array_type(values));
  if (ok && qv_array_validate_full(out, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s: result does not validate: %s", name, err.message);
    ok = false;
  }
  for (int64_t i = 0; ok && i < n; i++)
    if (!compute_slot_matches(out, i, values, want[i])) {
      qv_test_fail(__FILE__, __LINE__, "%s: slot %lld should hold source slot %lld", name,
                   (long long)i, (long long)want[i]);
      ok = false;
    }
  qv_array_unref(out);
  return ok;
}

QV_TEST(compute_take_every_type) {
  for (int s = 0; s < sample_count(); s++) {
    qv_error err = {0};
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(s, &name, &a, &err), &err);
    qv_array *cuts[3];
    int nc = compute_cuts(a, cuts);
    for (int c = 0; c < nc; c++) {
      CHECK(cuts[c] != NULL);
      for (int variant = 0; variant < 4; variant++) {
        bool wide = variant & 1;
        int null_every = (variant & 2) ? 3 : 0;
        if (qv_array_length(cuts[c]) == 0 && !null_every) continue;
        if (!take_checks(cuts[c], 1000u + (uint64_t)(s * 7 + c), 20, null_every, wide, name)) {
          qv_test_fail(__FILE__, __LINE__, "sample %s cut %d variant %d", name, c, variant);
          break;
        }
      }
      qv_array_unref(cuts[c]);
    }
    qv_array_unref(a);
  }
}

QV_TEST(compute_take_empty_and_all_null) {
  for (int s = 0; s < sample_count(); s++) {
    qv_error err = {0};
    const char *name;
    qv_array *a = NULL, *empty = NULL, *out = NULL;
    CHECK_OK(sample_array(s, &name, &a, &err), &err);
    /* No indices: an empty array of the type. */
    CHECK_OK(qv_array_take(NULL, a, NULL, 0, &out, &err), &err);
    CHECK_EQ_INT(qv_array_length(out), 0);
    CHECK(qv_type_equals(qv_array_type(out), qv_array_type(a)));
    CHECK_OK(qv_array_validate_full(out, &err), &err);
    qv_array_unref(out);
    /* Only null indices over an empty source: all-null slots. */
    CHECK_OK(qv_array_slice(a, 0, 0, &empty, &err), &err);
    if (!take_checks(empty, 1, 5, 1, false, name) || !take_checks(empty, 2, 5, 1, true, name))
      qv_test_fail(__FILE__, __LINE__, "%s: all-null take", name);
    qv_array_unref(empty);
    qv_array_unref(a);
  }
}

QV_TEST(compute_take_bounds) {
  qv_error err = {0};
  const char *name;
  qv_array *a = NULL, *out = NULL;
  CHECK_OK(sample_array(27, &name, &a, &err), &err); /* utf8, 10 slots */
  uint32_t bad32[] = {0, 10};
  CHECK_STATUS(qv_array_take(NULL, a, bad32, 2, &out, &err), QV_OUT_OF_RANGE);
  CHECK(out == NULL);
  CHECK(strstr(err.message, "position 1") != NULL);
  uint32_t null32[] = {QV_TAKE_NULL_U32};
  CHECK_STATUS(qv_array_take(NULL, a, null32, 1, &out, &err), QV_OUT_OF_RANGE);
  int64_t neg[] = {1, -1};
  CHECK_STATUS(qv_array_take_i64(NULL, a, neg, 2, &out, &err), QV_OUT_OF_RANGE);
  int64_t neg2[] = {-1, -2};
  CHECK_STATUS(qv_array_take_i64_nullable(NULL, a, neg2, 2, &out, &err), QV_OUT_OF_RANGE);
  int64_t big[] = {10};
  CHECK_STATUS(qv_array_take_i64_nullable(NULL, a, big, 1, &out, &err), QV_OUT_OF_RANGE);
  CHECK_STATUS(qv_array_take(NULL, a, bad32, -1, &out, &err), QV_INVALID);
  CHECK(out == NULL);
  qv_array_unref(a);
}

/* A take over a long array: 32-bit index loops, repeated and reversed. */
QV_TEST(compute_take_long_reversed) {
  qv_error err = {0};
  enum { N = 1000 };
  int64_t v[N];
  bool valid[N];
  const char *strs[N];
  char text[N][8];
  for (int i = 0; i < N; i++) {
    v[i] = i * 3 - 500;
    valid[i] = i % 7 != 0;
    snprintf(text[i], sizeof text[i], "s%d", i);
    strs[i] = valid[i] ? text[i] : NULL;
  }
  qv_array *ints = sample_ints(qv_type_primitive(QV_INT64), v, valid, N);
  qv_array *bools = sample_ints(qv_type_primitive(QV_BOOL), v, valid, N);
  qv_array *s = sample_strings(qv_type_primitive(QV_UTF8), strs, N);
  CHECK(ints && bools && s);
  uint32_t idx[N];
  for (int i = 0; i < N; i++) idx[i] = (uint32_t)(N - 1 - i);
  qv_array *cols[3] = {ints, bools, s};
  for (int c = 0; c < 3; c++) {
    qv_array *out = NULL;
    CHECK_OK(qv_array_take(NULL, cols[c], idx, N, &out, &err), &err);
    CHECK_OK(qv_array_validate_full(out, &err), &err);
    CHECK_EQ_INT(qv_array_null_count(out), qv_array_null_count(cols[c]));
    for (int i = 0; i < N; i++) CHECK(compute_slot_matches(out, i, cols[c], N - 1 - i));
    qv_array_unref(out);
  }
  qv_array_unref(ints);
  qv_array_unref(bools);
  qv_array_unref(s);
}

static qv_schema *schema_of(qv_array *const *cols, const char *const *names, int n) {
  qv_field *f[8];
  qv_error err = {0};
  qv_schema *s = NULL;
  for (int i = 0; i < n; i++)
    if (qv_field_create(names[i], qv_array_type(cols[i]), true, NULL, &f[i], &err) != QV_OK)
      return NULL;
  if (qv_schema_create(f, n, NULL, &s, &err) != QV_OK) s = NULL;
  for (int i = 0; i < n; i++) qv_field_unref(f[i]);
  return s;
}

QV_TEST(compute_take_record_batch) {
  qv_error err = {0};
  const char *name;
  qv_array *cols[3] = {NULL, NULL, NULL};
  CHECK_OK(sample_array(4, &name, &cols[0], &err), &err);  /* int32 */
  CHECK_OK(sample_array(27, &name, &cols[1], &err), &err); /* utf8 */
  CHECK_OK(sample_array(33, &name, &cols[2], &err), &err); /* struct */
  const char *names[] = {"i", "s", "st"};
  qv_schema *schema = schema_of(cols, names, 3);
  CHECK(schema != NULL);
  qv_record_batch *b = NULL, *out = NULL;
  CHECK_OK(qv_record_batch_create(schema, 10, cols, 3, &b, &err), &err);
  uint32_t idx[] = {9, 0, QV_TAKE_NULL_U32, 4, 4};
  CHECK_STATUS(qv_record_batch_take(NULL, b, idx, 5, &out, &err), QV_OUT_OF_RANGE);
  CHECK_OK(qv_record_batch_take_nullable(NULL, b, idx, 5, &out, &err), &err);
  CHECK_EQ_INT(qv_record_batch_num_rows(out), 5);
  CHECK(qv_record_batch_schema(out) == schema);
  CHECK_OK(qv_record_batch_validate_full(out, &err), &err);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 5; i++)
      CHECK(compute_slot_matches(qv_record_batch_column(out, c), i, cols[c],
                                 idx[i] == QV_TAKE_NULL_U32 ? -1 : (int64_t)idx[i]));
  qv_record_batch_unref(out);
  qv_record_batch_unref(b);
  qv_schema_unref(schema);
  for (int c = 0; c < 3; c++) qv_array_unref(cols[c]);
}

/* Every allocation of a take of nested samples fails in turn: the call
 * reports QV_NOMEM, leaves *out NULL, and the allocator ends with nothing
 * live. */
QV_TEST(compute_take_allocation_failures) {
  int samples[] = {31, 34, 36, 37, 39, 40};
  for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
    qv_error err = {0};
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(samples[s], &name, &a, &err), &err);
    qv_allocator *alloc = NULL;
    CHECK_OK(qv_allocator_create(0, &alloc, &err), &err);
    uint32_t idx[] = {1, QV_TAKE_NULL_U32, 0, 3, 3};
    bool done = false;
    for (int64_t n = 1; n < 200 && !done; n++) {
      qv_array *out = NULL;
      qv_allocator_fail_after(alloc, n);
      qv_status st = qv_array_take_nullable(alloc, a, idx, 5, &out, &err);
      qv_allocator_fail_after(alloc, 0);
      if (st == QV_OK) {
        done = true;
        qv_array_unref(out);
      } else {
        CHECK_EQ_INT(st, QV_NOMEM);
        CHECK(out == NULL);
      }
      if (qv_allocator_bytes_allocated(alloc) != 0) {
        qv_test_fail(__FILE__, __LINE__, "%s: failing allocation %lld leaks %lld bytes", name,
                     (long long)n, (long long)qv_allocator_bytes_allocated(alloc));
        return;
      }
    }
    CHECK(done);
    qv_allocator_destroy(alloc);
    qv_array_unref(a);
  }
}
