/* Concat: every sample type cut into many pieces (empty and sliced ones
 * included) and put back together; dictionaries that differ (merged) or
 * extend each other (shared); type and count errors; record batches (also
 * none at all); allocation failures. */
#include "arrow/sample_arrays.h"
#include "compute_checks.h"
#include "test.h"

/* Cuts [from, from + len) of a into pieces at pseudo-random points (some
 * empty), concatenates them and checks the result equals the range. */
static bool concat_checks(qv_array *a, int64_t from, int64_t len, uint64_t seed,
                          const char *name) {
  qv_error err = {0};
  qv_array *pieces[32];
  int n = 0;
  int64_t pos = from, end = from + len;
  while (n < 31 && pos < end) {
    int64_t take = (int64_t)(compute_rand(&seed) % 4); /* 0..3: empties too */
    if (take > end - pos) take = end - pos;
    pieces[n++] = compute_slice(a, pos, take);
    pos += take;
  }
  pieces[n++] = compute_slice(a, pos, end - pos);
  qv_array *whole = compute_slice(a, from, len), *out = NULL;
  bool ok = whole != NULL;
  for (int i = 0; i < n; i++) ok &= pieces[i] != NULL;
  if (ok && qv_array_concat(NULL, pieces, n, &out, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s: concat of %d pieces failed: %s", name, n, err.message);
    ok = false;
  }
  if (ok && qv_array_validate_full(out, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s: result does not validate: %s", name, err.message);
    ok = false;
  }
  if (ok && !qv_array_equals(out, whole)) {
    qv_test_fail(__FILE__, __LINE__, "%s: %d pieces do not concatenate to the range", name, n);
    ok = false;
  }
  if (ok && qv_array_null_count(out) != qv_array_null_count(whole)) {
    qv_test_fail(__FILE__, __LINE__, "%s: null count %lld, want %lld", name,
                 (long long)qv_array_null_count(out), (long long)qv_array_null_count(whole));
    ok = false;
  }
  qv_array_unref(out);
  qv_array_unref(whole);
  for (int i = 0; i < n; i++) qv_array_unref(pieces[i]);
  return ok;
}

QV_TEST(compute_concat_every_type) {
  for (int s = 0; s < sample_count(); s++) {
    qv_error err = {0};
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(s, &name, &a, &err), &err);
    int64_t len = qv_array_length(a);
    for (uint64_t seed = 1; seed <= 6; seed++) {
      int64_t from = (int64_t)(seed % 3), n = len - from - (int64_t)(seed % 2);
      if (!concat_checks(a, from, n, seed * 977, name)) break;
    }
    /* All pieces empty. */
    if (!concat_checks(a, 2, 0, 5, name)) qv_test_fail(__FILE__, __LINE__, "%s: empty", name);
    qv_array_unref(a);
  }
}

/* The same sample several times over: the result's slots repeat it. */
QV_TEST(compute_concat_repeats) {
  for (int s = 0; s < sample_count(); s++) {
    qv_error err = {0};
    const char *name;
    qv_array *a = NULL, *out = NULL;
    CHECK_OK(sample_array(s, &name, &a, &err), &err);
    qv_array *pieces[3] = {a, a, a};
    CHECK_OK(qv_array_concat(NULL, pieces, 3, &out, &err), &err);
    CHECK_OK(qv_array_validate_full(out, &err), &err);
    int64_t len = qv_array_length(a);
    CHECK_EQ_INT(qv_array_length(out), 3 * len);
    for (int r = 0; r < 3; r++) {
      qv_array *part = compute_slice(out, r * len, len);
      if (!qv_array_equals(part, a)) qv_test_fail(__FILE__, __LINE__, "%s: copy %d", name, r);
      qv_array_unref(part);
    }
    qv_array_unref(out);
    qv_array_unref(a);
  }
}

static qv_array *dict_array(qv_data_type *index_type, const char *const *values, int n_values,
                            const int64_t *idx, const bool *valid, int n) {
  qv_error err = {0};
  qv_array *dict = sample_strings(qv_type_primitive(QV_UTF8), values, n_values);
  qv_array *indices = sample_ints(index_type, idx, valid, n);
  qv_data_type *t = NULL;
  qv_array *out = NULL;
  if (dict && indices &&
      qv_type_dictionary(index_type, qv_type_primitive(QV_UTF8), false, &t, &err) == QV_OK) {
    qv_buffer *bufs[2] = {qv_array_buffer(indices, 0), qv_array_buffer(indices, 1)};
    if (qv_array_create(t, n, 0, -1, bufs, 2, NULL, 0, dict, &out, &err) != QV_OK) out = NULL;
  }
  qv_type_unref(t);
  qv_array_unref(dict);
  qv_array_unref(indices);
  return out;
}

QV_TEST(compute_concat_dictionaries) {
  qv_error err = {0};
  const char *d1[] = {"x", "y"}, *d2[] = {"z"}, *d3[] = {"x", "y", "w"};
  int64_t i1[] = {1, 0, 1}, i2[] = {0, 0}, i3[] = {2, 0};
  bool v2[] = {true, false};
  qv_data_type *i8 = qv_type_primitive(QV_INT8);
  qv_array *a = dict_array(i8, d1, 2, i1, NULL, 3);
  qv_array *b = dict_array(i8, d2, 1, i2, v2, 2);
  qv_array *c = dict_array(i8, d3, 3, i3, NULL, 2);
  CHECK(a && b && c);
  /* Different dictionaries: merged, indices shifted. */
  qv_array *ab[2] = {a, b}, *out = NULL;
  CHECK_OK(qv_array_concat(NULL, ab, 2, &out, &err), &err);
  CHECK_OK(qv_array_validate_full(out, &err), &err);
  const char *want[] = {"y", "x", "y", "z", NULL};
  qv_array *expect = sample_strings(qv_type_primitive(QV_UTF8), want, 5);
  for (int i = 0; i < 5; i++) {
    qv_array *slot = compute_slice(out, i, 1), *e = compute_slice(expect, i, 1);
    if (want[i]) {
      /* The decoded value: the dictionary entry its index names. */
      CHECK(qv_array_is_valid(out, i));
      const int8_t *idx = (const int8_t *)qv_buffer_data(qv_array_buffer(out, 1));
      qv_array *value = compute_slice(qv_array_dictionary(out), idx[qv_array_offset(out) + i], 1);
      CHECK(qv_array_equals(value, e));
      qv_array_unref(value);
    } else {
      CHECK(!qv_array_is_valid(out, i));
    }
    qv_array_unref(slot);
    qv_array_unref(e);
  }
  CHECK_EQ_INT(qv_array_length(qv_array_dictionary(out)), 3);
  qv_array_unref(out);
  /* A dictionary extending the other (a delta): shared, indices kept. */
  qv_array *ac[2] = {a, c};
  CHECK_OK(qv_array_concat(NULL, ac, 2, &out, &err), &err);
  CHECK(qv_array_dictionary(out) == qv_array_dictionary(c));
  CHECK_OK(qv_array_validate_full(out, &err), &err);
  CHECK(compute_slot_matches(out, 0, a, 0));
  CHECK(compute_slot_matches(out, 3, c, 0));
  qv_array_unref(out);
  /* More than int8 indices address: an error. */
  static const char *many[200];
  static char text[200][8];
  for (int i = 0; i < 200; i++) {
    snprintf(text[i], sizeof text[i], "v%d", i);
    many[i] = text[i];
  }
  int64_t zero[1] = {0};
  qv_array *big1 = dict_array(i8, many, 100, zero, NULL, 1);
  qv_array *big2 = dict_array(i8, many + 100, 100, zero, NULL, 1);
  qv_array *big[2] = {big1, big2};
  CHECK_STATUS(qv_array_concat(NULL, big, 2, &out, &err), QV_INVALID);
  CHECK(out == NULL);
  qv_array_unref(big1);
  qv_array_unref(big2);
  qv_array_unref(expect);
  qv_array_unref(a);
  qv_array_unref(b);
  qv_array_unref(c);
}

QV_TEST(compute_concat_errors) {
  qv_error err = {0};
  const char *name;
  qv_array *a = NULL, *b = NULL, *out = NULL;
  CHECK_OK(sample_array(4, &name, &a, &err), &err); /* int32 */
  CHECK_OK(sample_array(5, &name, &b, &err), &err); /* int64 */
  qv_array *ab[2] = {a, b};
  CHECK_STATUS(qv_array_concat(NULL, ab, 2, &out, &err), QV_INVALID);
  CHECK(out == NULL);
  CHECK_STATUS(qv_array_concat(NULL, ab, 0, &out, &err), QV_INVALID);
  CHECK_OK(qv_array_concat(NULL, ab, 1, &out, &err), &err);
  CHECK(out == a);
  qv_array_unref(out);
  qv_array_unref(a);
  qv_array_unref(b);
}

QV_TEST(compute_concat_record_batches) {
  qv_error err = {0};
  const char *name;
  qv_array *cols[2] = {NULL, NULL};
  CHECK_OK(sample_array(39, &name, &cols[0], &err), &err); /* list<struct>, 6 slots */
  CHECK_OK(sample_array(37, &name, &cols[1], &err), &err); /* dictionary, 10 slots */
  qv_array *d6 = compute_slice(cols[1], 2, 6);
  qv_array_unref(cols[1]);
  cols[1] = d6;
  qv_field *f[2];
  CHECK_OK(qv_field_create("l", qv_array_type(cols[0]), true, NULL, &f[0], &err), &err);
  CHECK_OK(qv_field_create("d", qv_array_type(cols[1]), true, NULL, &f[1], &err), &err);
  qv_schema *schema = NULL;
  CHECK_OK(qv_schema_create(f, 2, NULL, &schema, &err), &err);
  qv_record_batch *whole = NULL, *parts[3] = {NULL, NULL, NULL}, *out = NULL;
  CHECK_OK(qv_record_batch_create(schema, 6, cols, 2, &whole, &err), &err);
  CHECK_OK(qv_record_batch_slice(whole, 0, 1, &parts[0], &err), &err);
  CHECK_OK(qv_record_batch_slice(whole, 1, 0, &parts[1], &err), &err);
  CHECK_OK(qv_record_batch_slice(whole, 1, 5, &parts[2], &err), &err);
  CHECK_OK(qv_record_batch_concat(NULL, schema, parts, 3, &out, &err), &err);
  CHECK_OK(qv_record_batch_validate_full(out, &err), &err);
  CHECK(qv_record_batch_equals(out, whole));
  qv_record_batch_unref(out);
  /* No batches: an empty batch of the schema. */
  CHECK_OK(qv_record_batch_concat(NULL, schema, NULL, 0, &out, &err), &err);
  CHECK_EQ_INT(qv_record_batch_num_rows(out), 0);
  CHECK_EQ_INT(qv_record_batch_num_columns(out), 2);
  CHECK_OK(qv_record_batch_validate_full(out, &err), &err);
  qv_record_batch_unref(out);
  for (int i = 0; i < 3; i++) qv_record_batch_unref(parts[i]);
  qv_record_batch_unref(whole);
  qv_schema_unref(schema);
  for (int c = 0; c < 2; c++) {
    qv_field_unref(f[c]);
    qv_array_unref(cols[c]);
  }
}

QV_TEST(compute_concat_allocation_failures) {
  int samples[] = {31, 32, 34, 36, 37, 39};
  for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
    qv_error err = {0};
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(samples[s], &name, &a, &err), &err);
    int64_t len = qv_array_length(a);
    qv_array *pieces[3] = {compute_slice(a, 1, len - 1), a, compute_slice(a, 0, 2)};
    CHECK(pieces[0] && pieces[2]);
    qv_allocator *alloc = NULL;
    CHECK_OK(qv_allocator_create(0, &alloc, &err), &err);
    bool done = false;
    for (int64_t k = 1; k < 300 && !done; k++) {
      qv_array *out = NULL;
      qv_allocator_fail_after(alloc, k);
      qv_status st = qv_array_concat(alloc, pieces, 3, &out, &err);
      qv_allocator_fail_after(alloc, 0);
      if (st == QV_OK) {
        done = true;
        qv_array_unref(out);
      } else {
        CHECK_EQ_INT(st, QV_NOMEM);
        CHECK(out == NULL);
      }
      CHECK_EQ_INT(qv_allocator_bytes_allocated(alloc), 0);
    }
    CHECK(done);
    qv_allocator_destroy(alloc);
    qv_array_unref(pieces[0]);
    qv_array_unref(pieces[2]);
    qv_array_unref(a);
  }
}
