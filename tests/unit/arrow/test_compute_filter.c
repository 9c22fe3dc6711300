/* Filter: every sample type, whole and sliced, under sparse masks (gathered
 * by index), dense masks (copied by runs), masks with nulls and sliced
 * masks; all-true (the input comes back) and all-false (empty) masks; long
 * arrays whose runs cross 64-bit words; record batches; argument errors and
 * allocation failures. */
#include "arrow/sample_arrays.h"
#include "compute_checks.h"
#include "test.h"

enum { MAX_ROWS = 4096 };

/* Mask patterns over n rows. */
typedef enum pattern { SPARSE, DENSE, WITH_NULLS, ALL_TRUE, ALL_FALSE } pattern;

static void make_mask(pattern p, int64_t n, uint64_t seed, bool *v, bool *valid) {
  for (int64_t i = 0; i < n; i++) {
    uint64_t r = compute_rand(&seed);
    valid[i] = true;
    switch (p) {
      case SPARSE: v[i] = r % 3 == 0; break;
      case DENSE: v[i] = i >= 1 && (i / 16) % 4 != 3; break; /* runs of 47-48, gaps of 16 */
      case WITH_NULLS: v[i] = r % 2 == 0; valid[i] = r % 5 != 0; break;
      case ALL_TRUE: v[i] = true; break;
      case ALL_FALSE: v[i] = false; break;
    }
  }
}

/* Filters values with the mask (mask_off extra leading slots in the mask
 * array, sliced away) and checks every output slot. */
static bool filter_checks(qv_array *values, pattern p, int64_t mask_off, uint64_t seed,
                          const char *name) {
  static bool v[MAX_ROWS], valid[MAX_ROWS];
  qv_error err = {0};
  int64_t n = qv_array_length(values);
  make_mask(p, n + mask_off, seed, v, valid);
  qv_array *full = compute_bools(v, valid, n + mask_off);
  qv_array *mask = full ? compute_slice(full, mask_off, n) : NULL;
  qv_array *out = NULL;
  bool ok = mask != NULL;
  if (ok && qv_array_filter(NULL, values, mask, &out, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s: filter failed: %s", name, err.message);
    ok = false;
  }
  int64_t k = 0;
  for (int64_t i = 0; ok && i < n; i++) {
    if (!v[mask_off + i] || !valid[mask_off + i]) continue;
    if (k >= qv_array_length(out) || !compute_slot_matches(out, k, values, i)) {
      qv_test_fail(__FILE__, __LINE__, "%s: slot %lld should hold source slot %lld", name,
                   (long long)k, (long long)i);
      ok = false;
    }
    k++;
  }
  if (ok && qv_array_length(out) != k) {
    qv_test_fail(__FILE__, __LINE__, "%s: %lld slots, want %lld", name,
                 (long long)qv_array_length(out), (long long)k);
    ok = false;
  }
  if (ok && qv_array_validate_full(out, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s: result does not validate: %s", name, err.message);
    ok = false;
  }
  if (ok && p == ALL_TRUE && out != values) {
    qv_test_fail(__FILE__, __LINE__, "%s: an all-true mask should return the input", name);
    ok = false;
  }
  qv_array_unref(out);
  qv_array_unref(mask);
  qv_array_unref(full);
  return ok;
}

QV_TEST(compute_filter_every_type) {
  for (int s = 0; s < sample_count(); s++) {
    qv_error err = {0};
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(s, &name, &a, &err), &err);
    qv_array *cuts[3];
    int nc = compute_cuts(a, cuts);
    for (int c = 0; c < nc; c++) {
      CHECK(cuts[c] != NULL);
      for (int p = SPARSE; p <= ALL_FALSE; p++)
        for (int64_t mask_off = 0; mask_off <= 3; mask_off += 3)
          if (!filter_checks(cuts[c], (pattern)p, mask_off, (uint64_t)(s * 31 + c + 1), name))
            qv_test_fail(__FILE__, __LINE__, "sample %s cut %d pattern %d mask offset %lld",
                         name, c, p, (long long)mask_off);
      qv_array_unref(cuts[c]);
    }
    qv_array_unref(a);
  }
}

/* Long columns: masks whose words are all ones, all zeros, runs crossing
 * word boundaries, a run ending exactly at a word boundary, and a sliced
 * source at an odd bit offset. */
QV_TEST(compute_filter_long_columns) {
  static int64_t v[MAX_ROWS];
  static bool valid[MAX_ROWS];
  static const char *strs[MAX_ROWS];
  static char text[MAX_ROWS][8];
  int n = 1000;
  for (int i = 0; i < n; i++) {
    v[i] = (int64_t)i * 7 - 3000;
    valid[i] = i % 11 != 0;
    snprintf(text[i], sizeof text[i], "%d", i);
    strs[i] = valid[i] ? text[i] : NULL;
  }
  qv_data_type *types[] = {qv_type_primitive(QV_INT64), qv_type_primitive(QV_INT16),
                           qv_type_primitive(QV_BOOL), qv_type_primitive(QV_FLOAT64)};
  qv_array *cols[5];
  for (int t = 0; t < 4; t++) cols[t] = sample_ints(types[t], v, valid, n);
  cols[4] = sample_strings(qv_type_primitive(QV_LARGE_UTF8), strs, n);
  for (int c = 0; c < 5; c++) {
    CHECK(cols[c] != NULL);
    qv_array *sliced = compute_slice(cols[c], 5, 640); /* ends a run at slot 640 = 10 words */
    for (int p = SPARSE; p <= ALL_FALSE; p++) {
      CHECK(filter_checks(cols[c], (pattern)p, 0, 77, "long"));
      CHECK(filter_checks(cols[c], (pattern)p, 13, 78, "long, sliced mask"));
      CHECK(filter_checks(sliced, (pattern)p, 0, 79, "long, sliced source"));
    }
    qv_array_unref(sliced);
  }
  /* Masks of whole-word runs: 64 true, 64 false, ... ending on a word edge. */
  static bool mv[MAX_ROWS];
  for (int i = 0; i < 640; i++) mv[i] = (i / 64) % 2 == 0 || i >= 576;
  qv_array *mask = compute_bools(mv, NULL, 640), *src = compute_slice(cols[0], 0, 640), *out = NULL;
  qv_error err = {0};
  CHECK_OK(qv_array_filter(NULL, src, mask, &out, &err), &err);
  int64_t k = 0;
  for (int i = 0; i < 640; i++)
    if (mv[i]) CHECK(compute_slot_matches(out, k++, src, i));
  CHECK_EQ_INT(qv_array_length(out), k);
  qv_array_unref(out);
  qv_array_unref(mask);
  qv_array_unref(src);
  for (int c = 0; c < 5; c++) qv_array_unref(cols[c]);
}

QV_TEST(compute_filter_errors) {
  qv_error err = {0};
  const char *name;
  qv_array *a = NULL, *out = NULL;
  CHECK_OK(sample_array(4, &name, &a, &err), &err); /* int32, 10 slots */
  bool t[11] = {true, true, true, true, true, true, true, true, true, true, true};
  qv_array *short_mask = compute_bools(t, NULL, 9);
  CHECK_STATUS(qv_array_filter(NULL, a, short_mask, &out, &err), QV_INVALID);
  CHECK(out == NULL);
  CHECK_STATUS(qv_array_filter(NULL, a, a, &out, &err), QV_INVALID); /* not bool */
  CHECK(strstr(err.message, "bool") != NULL);
  CHECK(out == NULL);
  qv_array_unref(short_mask);
  qv_array_unref(a);
}

QV_TEST(compute_filter_empty_input) {
  qv_error err = {0};
  const char *name;
  qv_array *a = NULL, *empty = NULL, *mask = NULL, *out = NULL;
  CHECK_OK(sample_array(37, &name, &a, &err), &err); /* dictionary */
  CHECK_OK(qv_array_slice(a, 4, 0, &empty, &err), &err);
  mask = compute_bools(NULL, NULL, 0);
  CHECK(mask != NULL);
  CHECK_OK(qv_array_filter(NULL, empty, mask, &out, &err), &err);
  CHECK_EQ_INT(qv_array_length(out), 0);
  qv_array_unref(out);
  /* All false over a dictionary keeps the dictionary. */
  bool f[10] = {false};
  qv_array *none = compute_bools(f, NULL, 10);
  CHECK_OK(qv_array_filter(NULL, a, none, &out, &err), &err);
  CHECK_EQ_INT(qv_array_length(out), 0);
  CHECK(qv_array_dictionary(out) == qv_array_dictionary(a));
  CHECK_OK(qv_array_validate_full(out, &err), &err);
  qv_array_unref(out);
  qv_array_unref(none);
  qv_array_unref(mask);
  qv_array_unref(empty);
  qv_array_unref(a);
}

QV_TEST(compute_filter_record_batch) {
  qv_error err = {0};
  const char *name;
  qv_array *cols[3] = {NULL, NULL, NULL};
  CHECK_OK(sample_array(1, &name, &cols[0], &err), &err);  /* bool */
  CHECK_OK(sample_array(30, &name, &cols[1], &err), &err); /* list<int32>, 6 slots */
  CHECK_OK(sample_array(28, &name, &cols[2], &err), &err); /* large_utf8 */
  for (int c = 0; c < 3; c++) {
    qv_array *s = compute_slice(cols[c], 0, 6);
    qv_array_unref(cols[c]);
    cols[c] = s;
  }
  qv_field *f[3];
  const char *names[] = {"b", "l", "s"};
  for (int c = 0; c < 3; c++)
    CHECK_OK(qv_field_create(names[c], qv_array_type(cols[c]), true, NULL, &f[c], &err), &err);
  qv_schema *schema = NULL;
  CHECK_OK(qv_schema_create(f, 3, NULL, &schema, &err), &err);
  qv_record_batch *b = NULL, *out = NULL;
  CHECK_OK(qv_record_batch_create(schema, 6, cols, 3, &b, &err), &err);
  bool mv[6] = {true, false, true, true, false, true};
  bool mvalid[6] = {true, true, true, false, true, true};
  qv_array *mask = compute_bools(mv, mvalid, 6);
  CHECK_OK(qv_record_batch_filter(NULL, b, mask, &out, &err), &err);
  CHECK_EQ_INT(qv_record_batch_num_rows(out), 3);
  CHECK_OK(qv_record_batch_validate_full(out, &err), &err);
  int64_t kept[] = {0, 2, 5};
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 3; i++)
      CHECK(compute_slot_matches(qv_record_batch_column(out, c), i, cols[c], kept[i]));
  qv_record_batch_unref(out);
  bool all[6] = {true, true, true, true, true, true};
  qv_array *all_mask = compute_bools(all, NULL, 6);
  CHECK_OK(qv_record_batch_filter(NULL, b, all_mask, &out, &err), &err);
  CHECK(out == b);
  qv_record_batch_unref(out);
  qv_array_unref(all_mask);
  qv_array_unref(mask);
  qv_record_batch_unref(b);
  qv_schema_unref(schema);
  for (int c = 0; c < 3; c++) {
    qv_field_unref(f[c]);
    qv_array_unref(cols[c]);
  }
}

QV_TEST(compute_filter_allocation_failures) {
  int samples[] = {30, 33, 35, 36, 40};
  for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
    qv_error err = {0};
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(samples[s], &name, &a, &err), &err);
    int64_t n = qv_array_length(a);
    bool mv[16], mvalid[16];
    for (int64_t i = 0; i < n; i++) mv[i] = i % 3 != 1, mvalid[i] = i != 2;
    qv_array *mask = compute_bools(mv, mvalid, n);
    CHECK(mask != NULL);
    qv_allocator *alloc = NULL;
    CHECK_OK(qv_allocator_create(0, &alloc, &err), &err);
    bool done = false;
    for (int64_t k = 1; k < 200 && !done; k++) {
      qv_array *out = NULL;
      qv_allocator_fail_after(alloc, k);
      qv_status st = qv_array_filter(alloc, a, mask, &out, &err);
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
    qv_array_unref(mask);
    qv_array_unref(a);
  }
}
