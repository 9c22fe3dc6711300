/* The engine's hash: the documented formula (checked against XXH3 called
 * directly), equal values hashing equal across integer widths, float widths,
 * -0.0 / NaNs, offset widths, dictionary encoding, slicing and physical
 * layout; nulls; every sample type; the spread of partitions and table
 * buckets; qv_hash_partition's range. */
#include <math.h>
#include <xxhash.h>

#include "arrow/sample_arrays.h"
#include "compute_checks.h"
#include "test.h"

static uint64_t ref_u64(uint64_t v) { return XXH3_64bits_withSeed(&v, 8, QV_HASH_SEED); }
static uint64_t ref_combine(uint64_t acc, uint64_t h) { return XXH3_64bits_withSeed(&h, 8, acc); }

/* Hashes one column of n rows into h. */
static qv_status hash1(const qv_array *a, int64_t n, uint64_t *h, qv_error *err) {
  const qv_array *cols[1] = {a};
  return qv_hash_columns(cols, 1, n, h, err);
}

QV_TEST(compute_hash_documented_formula) {
  qv_error err = {0};
  int64_t iv[] = {5, 0, -7};
  bool ivalid[] = {true, false, true};
  const char *sv[] = {"ab", "", NULL};
  qv_array *ints = sample_ints(qv_type_primitive(QV_INT32), iv, ivalid, 3);
  qv_array *strs = sample_strings(qv_type_primitive(QV_UTF8), sv, 3);
  CHECK(ints && strs);
  const qv_array *cols[2] = {ints, strs};
  uint64_t h[3];
  CHECK_OK(qv_hash_columns(cols, 2, 3, h, &err), &err);
  CHECK(h[0] == ref_combine(ref_u64(5), XXH3_64bits_withSeed("ab", 2, QV_HASH_SEED)));
  CHECK(h[1] == ref_combine(QV_HASH_NULL, XXH3_64bits_withSeed("", 0, QV_HASH_SEED)));
  CHECK(h[2] == ref_combine(ref_u64((uint64_t)(int64_t)-7), QV_HASH_NULL));
  /* Column order matters. */
  const qv_array *swapped[2] = {strs, ints};
  uint64_t g[3];
  CHECK_OK(qv_hash_columns(swapped, 2, 3, g, &err), &err);
  CHECK(g[0] != h[0]);
  /* No columns: h(0) for every row. */
  CHECK_OK(qv_hash_columns(NULL, 0, 3, g, &err), &err);
  CHECK(g[0] == ref_u64(0) && g[2] == ref_u64(0));
  /* Decimals hash their 16 bytes. */
  qv_data_type *dec = NULL;
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 20, 2, &dec, &err), &err);
  uint8_t bytes[32];
  for (int i = 0; i < 32; i++) bytes[i] = (uint8_t)(i * 37 + 1);
  qv_array *d = compute_fixed(dec, bytes, NULL, 2);
  CHECK(d != NULL);
  CHECK_OK(hash1(d, 2, g, &err), &err);
  CHECK(g[1] == XXH3_64bits_withSeed(bytes + 16, 16, QV_HASH_SEED));
  qv_array_unref(d);
  qv_type_unref(dec);
  qv_array_unref(ints);
  qv_array_unref(strs);
}

QV_TEST(compute_hash_integers_equal_across_widths) {
  qv_error err = {0};
  int64_t v[] = {0, 1, 5, 100, -3, -128, 127};
  qv_type_id signed_ids[] = {QV_INT8, QV_INT16, QV_INT32, QV_INT64, QV_DATE32, QV_INTERVAL_MONTHS};
  qv_type_id unsigned_ids[] = {QV_UINT8, QV_UINT16, QV_UINT32, QV_UINT64};
  uint64_t ref[7], h[7];
  qv_array *base = sample_ints(qv_type_primitive(QV_INT64), v, NULL, 7);
  CHECK_OK(hash1(base, 7, ref, &err), &err);
  for (int i = 0; i < 7; i++) CHECK(ref[i] == ref_u64((uint64_t)v[i]));
  for (size_t t = 0; t < sizeof signed_ids / sizeof signed_ids[0]; t++) {
    qv_array *a = sample_ints(qv_type_primitive(signed_ids[t]), v, NULL, 7);
    CHECK_OK(hash1(a, 7, h, &err), &err);
    for (int i = 0; i < 7; i++) CHECK(h[i] == ref[i]);
    qv_array_unref(a);
  }
  for (size_t t = 0; t < sizeof unsigned_ids / sizeof unsigned_ids[0]; t++) {
    qv_array *a = sample_ints(qv_type_primitive(unsigned_ids[t]), v, NULL, 4); /* non-negative */
    CHECK_OK(hash1(a, 4, h, &err), &err);
    for (int i = 0; i < 4; i++) CHECK(h[i] == ref[i]);
    qv_array_unref(a);
  }
  /* bool hashes as 0 / 1. */
  qv_array *b = sample_ints(qv_type_primitive(QV_BOOL), v, NULL, 3);
  CHECK_OK(hash1(b, 3, h, &err), &err);
  CHECK(h[0] == ref[0] && h[1] == ref[1] && h[2] == ref[1]);
  qv_array_unref(b);
  qv_array_unref(base);
}

QV_TEST(compute_hash_floats_normalised) {
  qv_error err = {0};
  double d[] = {0.0, -0.0, NAN, -NAN, 1.5, INFINITY, -2.25, 0.0};
  uint64_t payload = UINT64_C(0x7FF0000000000ABC); /* a signalling NaN with a payload */
  memcpy(&d[7], &payload, 8);
  float f[] = {0.0f, -0.0f, NAN, -NAN, 1.5f, INFINITY, -2.25f, NAN};
  uint16_t half[] = {0x0000, 0x8000, 0x7E00, 0xFE01, 0x3E00, 0x7C00, 0xC080, 0x7C01};
  qv_array *a64 = compute_fixed(qv_type_primitive(QV_FLOAT64), d, NULL, 8);
  qv_array *a32 = compute_fixed(qv_type_primitive(QV_FLOAT32), f, NULL, 8);
  qv_array *a16 = compute_fixed(qv_type_primitive(QV_FLOAT16), half, NULL, 8);
  CHECK(a64 && a32 && a16);
  uint64_t h64[8], h32[8], h16[8];
  CHECK_OK(hash1(a64, 8, h64, &err), &err);
  CHECK_OK(hash1(a32, 8, h32, &err), &err);
  CHECK_OK(hash1(a16, 8, h16, &err), &err);
  CHECK(h64[0] == h64[1]); /* -0.0 == 0.0 */
  CHECK(h64[2] == h64[3] && h64[2] == h64[7]); /* one NaN */
  CHECK(h64[0] != h64[2] && h64[4] != h64[5]);
  for (int i = 0; i < 8; i++) {
    CHECK(h32[i] == h64[i]);
    CHECK(h16[i] == h64[i]);
  }
  double one_half = 1.5;
  uint64_t bits;
  memcpy(&bits, &one_half, 8);
  CHECK(h64[4] == ref_u64(bits));
  qv_array_unref(a64);
  qv_array_unref(a32);
  qv_array_unref(a16);
}

QV_TEST(compute_hash_strings_and_dictionaries) {
  qv_error err = {0};
  const char *name;
  qv_array *dict = NULL;
  CHECK_OK(sample_array(37, &name, &dict, &err), &err); /* dictionary<int32, utf8> */
  /* Its decoded values (indices 0 1 2 0 2 1 1 0 1 2, nulls at 2 and 6). */
  const char *plain[] = {"red", "green", NULL, "red", "blue", "green", NULL, "red", "green", "blue"};
  qv_type_id ids[] = {QV_UTF8, QV_LARGE_UTF8, QV_BINARY, QV_LARGE_BINARY};
  uint64_t hd[10], hp[10];
  CHECK_OK(hash1(dict, 10, hd, &err), &err);
  for (int t = 0; t < 4; t++) {
    qv_array *p = sample_strings(qv_type_primitive(ids[t]), plain, 10);
    CHECK_OK(hash1(p, 10, hp, &err), &err);
    for (int i = 0; i < 10; i++) CHECK(hp[i] == hd[i]);
    qv_array_unref(p);
  }
  CHECK(hd[2] == QV_HASH_NULL && hd[6] == QV_HASH_NULL);
  CHECK(hd[0] == XXH3_64bits_withSeed("red", 3, QV_HASH_SEED));
  /* A sliced dictionary column hashes its own slots. */
  qv_array *s = compute_slice(dict, 3, 5);
  uint64_t hs[5];
  CHECK_OK(hash1(s, 5, hs, &err), &err);
  for (int i = 0; i < 5; i++) CHECK(hs[i] == hd[3 + i]);
  qv_array_unref(s);
  qv_array_unref(dict);
}

/* For every sample: slots that are equal hash equal, nulls hash as
 * QV_HASH_NULL, a slice hashes like its range, and a copy with another
 * physical layout (reversed by take) gives the same hashes reversed. */
QV_TEST(compute_hash_every_type) {
  for (int s = 0; s < sample_count(); s++) {
    qv_error err = {0};
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(s, &name, &a, &err), &err);
    int64_t n = qv_array_length(a);
    uint64_t h[16], hs[16], hr[16];
    qv_type_id id = qv_type_id_of(qv_array_type(a));
    if (id == QV_SPARSE_UNION || id == QV_DENSE_UNION) {
      CHECK_STATUS(hash1(a, n, h, &err), QV_NOT_IMPLEMENTED);
      qv_array_unref(a);
      continue;
    }
    CHECK_OK(hash1(a, n, h, &err), &err);
    for (int64_t i = 0; i < n; i++) {
      if (!qv_array_is_valid(a, i) && h[i] != QV_HASH_NULL)
        qv_test_fail(__FILE__, __LINE__, "%s: null slot %lld", name, (long long)i);
      for (int64_t j = 0; j < n; j++)
        if (compute_slot_matches(a, i, a, j) && qv_array_is_valid(a, i) && h[i] != h[j])
          qv_test_fail(__FILE__, __LINE__, "%s: equal slots %lld %lld", name, (long long)i,
                       (long long)j);
    }
    if (n >= 3) {
      qv_array *sl = compute_slice(a, 1, n - 2);
      CHECK_OK(hash1(sl, n - 2, hs, &err), &err);
      for (int64_t i = 0; i < n - 2; i++)
        if (hs[i] != h[i + 1]) qv_test_fail(__FILE__, __LINE__, "%s: sliced slot %lld", name, (long long)i);
      qv_array_unref(sl);
    }
    uint32_t rev[16];
    for (int64_t i = 0; i < n; i++) rev[i] = (uint32_t)(n - 1 - i);
    qv_array *r = NULL;
    CHECK_OK(qv_array_take(NULL, a, rev, n, &r, &err), &err);
    CHECK_OK(hash1(r, n, hr, &err), &err);
    for (int64_t i = 0; i < n; i++)
      if (hr[i] != h[n - 1 - i]) qv_test_fail(__FILE__, __LINE__, "%s: taken slot %lld", name, (long long)i);
    qv_array_unref(r);
    qv_array_unref(a);
  }
}

QV_TEST(compute_hash_distribution) {
  qv_error err = {0};
  enum { N = 1 << 16, P = 16, B = 1024 };
  static int64_t v[N];
  static uint64_t h[N];
  for (int i = 0; i < N; i++) v[i] = i;
  qv_array *a = sample_ints(qv_type_primitive(QV_INT64), v, NULL, N);
  CHECK(a != NULL);
  CHECK_OK(hash1(a, N, h, &err), &err);
  int64_t parts[P] = {0}, buckets[B] = {0};
  for (int i = 0; i < N; i++) {
    int32_t p = qv_hash_partition(h[i], P);
    CHECK(p >= 0 && p < P);
    parts[p]++;
    buckets[h[i] & (B - 1)]++;
  }
  /* Sequential keys spread evenly: within 5% per partition, and the table
   * buckets (low bits) no fuller than twice the mean. */
  for (int p = 0; p < P; p++) CHECK(parts[p] > N / P * 95 / 100 && parts[p] < N / P * 105 / 100);
  for (int b = 0; b < B; b++) CHECK(buckets[b] < 2 * N / B && buckets[b] > 0);
  /* Rows of one partition still fill the table buckets evenly. */
  int64_t in_part[B] = {0};
  int64_t count = 0;
  for (int i = 0; i < N; i++)
    if (qv_hash_partition(h[i], P) == 3) in_part[h[i] & 255]++, count++;
  for (int b = 0; b < 256; b++) CHECK(in_part[b] < 2 * count / 256 + 8);
  qv_array_unref(a);
}

QV_TEST(compute_hash_partition_range) {
  uint64_t seed = 42;
  CHECK_EQ_INT(qv_hash_partition(UINT64_MAX, 7), 6);
  CHECK_EQ_INT(qv_hash_partition(0, 7), 0);
  for (int i = 0; i < 10000; i++) {
    uint64_t h = compute_rand(&seed);
    CHECK_EQ_INT(qv_hash_partition(h, 1), 0);
    int32_t p = qv_hash_partition(h, 1000003);
    CHECK(p >= 0 && p < 1000003);
    CHECK_EQ_INT(qv_hash_partition(h, 8), (int32_t)(h >> 61)); /* the top bits */
  }
}

QV_TEST(compute_hash_errors) {
  qv_error err = {0};
  const char *name;
  qv_array *a = NULL;
  CHECK_OK(sample_array(4, &name, &a, &err), &err);
  uint64_t h[16];
  const qv_array *cols[1] = {a};
  CHECK_STATUS(qv_hash_columns(cols, 1, 11, h, &err), QV_INVALID);
  CHECK_STATUS(qv_hash_columns(cols, 1, -1, h, &err), QV_INVALID);
  CHECK_OK(qv_hash_columns(cols, 1, 0, h, &err), &err);
  qv_array_unref(a);
}
