/* Tests of the Parquet value and level decoders against reference encoders
 * written from the specification (test_parquet_util.c): bit unpacking at
 * every width, the RLE / bit-packing hybrid with runs crossing the request
 * boundaries, DELTA_BINARY_PACKED with wrapping values and odd block
 * endings, the delta byte-array encodings, PLAIN, BYTE_STREAM_SPLIT and
 * dictionaries, plus malformed inputs of each. */
#include <stdlib.h>
#include <string.h>

#include "io/parquet/encodings.h"
#include "test.h"
#include "test_parquet_util.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static uint64_t mask(int w) { return w == 64 ? ~(uint64_t)0 : (((uint64_t)1 << w) - 1); }

QV_TEST(pq_unpack_every_width) {
  for (int w = 0; w <= 64; w++) {
    uint64_t vals[40];
    for (int i = 0; i < 40; i++) vals[i] = rnd() & mask(w);
    if (w > 0) vals[3] = mask(w); /* all ones */
    qv_bytes packed;
    qv_bytes_init(&packed, NULL);
    pqt_pack_bits(&packed, vals, 40, w);
    /* An exact-size copy: the fast unpackers must not read past 4*w bytes. */
    uint8_t *exact = malloc((size_t)(4 * w + 1));
    if (w) memcpy(exact, packed.data, (size_t)(4 * w));
    uint64_t out64[32];
    qv__pq_unpack32_64(exact, out64, w);
    bool ok = true;
    for (int i = 0; i < 32; i++) ok &= out64[i] == vals[i];
    if (w <= 32) {
      uint32_t out32[32];
      qv__pq_unpack32(exact, out32, w);
      for (int i = 0; i < 32; i++) ok &= out32[i] == vals[i];
      /* Tails of any length. */
      for (int n = 0; n <= 40; n++) {
        uint32_t t[40];
        qv__pq_unpack_tail(packed.data, t, n, w);
        for (int i = 0; i < n; i++) ok &= t[i] == vals[i];
      }
    }
    for (int n = 0; n <= 40; n++) {
      uint64_t t[40];
      qv__pq_unpack_tail_64(packed.data, t, n, w);
      for (int i = 0; i < n; i++) ok &= t[i] == vals[i];
    }
    free(exact);
    qv_bytes_reset(&packed);
    if (!ok) qv_test_fail(__FILE__, __LINE__, "bit width %d", w);
    CHECK(ok);
  }
  CHECK_EQ_INT(qv__pq_bit_width(0), 0);
  CHECK_EQ_INT(qv__pq_bit_width(1), 1);
  CHECK_EQ_INT(qv__pq_bit_width(255), 8);
  CHECK_EQ_INT(qv__pq_bit_width(256), 9);
  CHECK_EQ_INT(qv__pq_bit_width(UINT64_MAX), 64);
}

/* Builds an RLE/bit-packed stream of `n` values alternating run kinds and
 * decodes it in chunks of `step`. */
static bool rle_roundtrip(int w, int64_t step) {
  enum { N = 1000 };
  uint32_t want[N];
  qv_bytes data;
  qv_bytes_init(&data, NULL);
  int64_t n = 0;
  while (n < N) {
    int64_t len = (int64_t)(rnd() % 70) + 1;
    if (n + len > N) len = N - n;
    if (rnd() & 1) {
      uint32_t v = (uint32_t)(rnd() & mask(w));
      pqt_rle_run(&data, v, len, w);
      for (int64_t i = 0; i < len; i++) want[n + i] = v;
      n += len;
    } else {
      int64_t groups = (len + 7) / 8;
      uint32_t vals[80];
      for (int64_t i = 0; i < groups * 8; i++) vals[i] = (uint32_t)(rnd() & mask(w));
      pqt_bitpacked_run(&data, vals, groups * 8, w);
      for (int64_t i = 0; i < groups * 8 && n < N; i++) want[n++] = vals[i];
    }
  }
  qv_pq_rle d;
  qv__pq_rle_init(&d, data.data, data.size, w);
  uint32_t got[N];
  qv_error err;
  bool ok = true;
  for (int64_t i = 0; i < N && ok; i += step) {
    int64_t k = N - i < step ? N - i : step;
    ok = qv__pq_rle_get(&d, got + i, k, &err) == QV_OK;
  }
  for (int64_t i = 0; i < N && ok; i++) ok = got[i] == want[i];
  /* Levels too (narrow widths). */
  if (ok && w <= 7) {
    uint8_t lv[N];
    qv__pq_rle_init(&d, data.data, data.size, w);
    for (int64_t i = 0; i < N && ok; i += step) {
      int64_t k = N - i < step ? N - i : step;
      ok = qv__pq_rle_get_levels(&d, lv + i, k, (int)mask(w), &err) == QV_OK;
    }
    for (int64_t i = 0; i < N && ok; i++) ok = lv[i] == want[i];
  }
  qv_bytes_reset(&data);
  return ok;
}

QV_TEST(pq_rle_hybrid_runs_across_requests) {
  static const int64_t steps[] = {1, 3, 7, 8, 31, 32, 33, 100, 1000};
  for (int w = 0; w <= 32; w++)
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
      bool ok = rle_roundtrip(w, steps[s]);
      if (!ok) qv_test_fail(__FILE__, __LINE__, "width %d step %lld", w, (long long)steps[s]);
      CHECK(ok);
    }
}

QV_TEST(pq_rle_malformed) {
  qv_error err;
  uint32_t out[64];
  qv_pq_rle d;
  /* Data ends before the values asked for. */
  qv_bytes b;
  qv_bytes_init(&b, NULL);
  pqt_rle_run(&b, 5, 10, 3);
  qv__pq_rle_init(&d, b.data, b.size, 3);
  CHECK_STATUS(qv__pq_rle_get(&d, out, 11, &err), QV_INVALID);
  /* A run value wider than the bit width. */
  b.size = 0;
  pqt_rle_run(&b, 9, 4, 3);
  qv__pq_rle_init(&d, b.data, b.size, 3);
  CHECK_STATUS(qv__pq_rle_get(&d, out, 4, &err), QV_INVALID);
  /* Runs of zero values. */
  static const uint8_t zero_rle[] = {0x00, 0x01}, zero_packed[] = {0x01};
  qv__pq_rle_init(&d, zero_rle, 2, 3);
  CHECK_STATUS(qv__pq_rle_get(&d, out, 1, &err), QV_INVALID);
  qv__pq_rle_init(&d, zero_packed, 1, 3);
  CHECK_STATUS(qv__pq_rle_get(&d, out, 1, &err), QV_INVALID);
  /* A bit-packed run announcing 2^20 groups with 3 bytes: cut to what is
   * there, then an error, without reading past the data. */
  static const uint8_t big[] = {0x81, 0x80, 0x80, 0x01, 0xff, 0xff, 0xff};
  uint8_t *exact = malloc(sizeof big);
  memcpy(exact, big, sizeof big);
  qv__pq_rle_init(&d, exact, sizeof big, 8);
  CHECK_OK(qv__pq_rle_get(&d, out, 3, &err), &err);
  CHECK(out[0] == 255 && out[2] == 255);
  CHECK_STATUS(qv__pq_rle_get(&d, out, 1, &err), QV_INVALID);
  free(exact);
  /* Levels above the maximum. */
  b.size = 0;
  pqt_rle_run(&b, 3, 10, 2);
  qv__pq_rle_init(&d, b.data, b.size, 2);
  uint8_t lv[10];
  CHECK_STATUS(qv__pq_rle_get_levels(&d, lv, 10, 2, &err), QV_INVALID);
  b.size = 0;
  uint32_t vals[8] = {0, 1, 2, 3, 0, 1, 2, 3};
  pqt_bitpacked_run(&b, vals, 8, 2);
  qv__pq_rle_init(&d, b.data, b.size, 2);
  CHECK_STATUS(qv__pq_rle_get_levels(&d, lv, 8, 2, &err), QV_INVALID);
  /* A varint header that never ends. */
  static const uint8_t endless[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
  qv__pq_rle_init(&d, endless, sizeof endless, 1);
  CHECK_STATUS(qv__pq_rle_get(&d, out, 1, &err), QV_INVALID);
  qv_bytes_reset(&b);
}

QV_TEST(pq_bitpacked_levels_msb_first) {
  /* The specification's example: 0..7 with width 3. */
  static const uint8_t data[] = {0x05, 0x39, 0x77};
  uint8_t out[8];
  qv_error err;
  CHECK_OK(qv__pq_bitpacked_levels(data, 3, 0, out, 8, 7, &err), &err);
  for (int i = 0; i < 8; i++) CHECK_EQ_INT(out[i], i);
  CHECK_OK(qv__pq_bitpacked_levels(data, 3, 5, out, 3, 7, &err), &err);
  CHECK_EQ_INT(out[0], 5);
  CHECK_STATUS(qv__pq_bitpacked_levels(data, 3, 0, out, 9, 7, &err), QV_INVALID);
  CHECK_STATUS(qv__pq_bitpacked_levels(data, 3, 0, out, 8, 6, &err), QV_INVALID);
}

static bool delta_roundtrip(const int64_t *vals, int64_t n, bool is32, int64_t step) {
  qv_bytes enc;
  qv_bytes_init(&enc, NULL);
  pqt_delta_encode_bits(&enc, vals, n, is32 ? 32 : 64);
  /* Trailing garbage after the stream must be left alone. */
  qv_status st = qv_bytes_append(&enc, "TAIL", 4, NULL);
  qv_pq_delta d;
  qv_error err;
  bool ok = st == QV_OK && qv__pq_delta_init(&d, enc.data, enc.size, is32 ? 32 : 64, &err) == QV_OK;
  ok = ok && d.total == n;
  int64_t *got = malloc(sizeof *got * (size_t)(n + 1));
  int32_t *got32 = malloc(sizeof *got32 * (size_t)(n + 1));
  for (int64_t i = 0; ok && i < n; i += step) {
    int64_t k = n - i < step ? n - i : step;
    ok = is32 ? qv__pq_delta_get32(&d, got32 + i, k, &err) == QV_OK : qv__pq_delta_get64(&d, got + i, k, &err) == QV_OK;
  }
  for (int64_t i = 0; ok && i < n; i++) ok = is32 ? got32[i] == (int32_t)vals[i] : got[i] == vals[i];
  ok = ok && memcmp(qv__pq_delta_end(&d), "TAIL", 4) == 0;
  /* Asking for more than there is fails. */
  ok = ok && qv__pq_delta_get64(&d, got ? got : NULL, 1, &err) == QV_INVALID;
  free(got);
  free(got32);
  qv_bytes_reset(&enc);
  return ok;
}

QV_TEST(pq_delta_binary_packed) {
  enum { N = 1000 };
  int64_t v[N];
  static const int64_t sizes[] = {0, 1, 2, 31, 32, 33, 128, 129, 130, 257, 1000};
  static const int64_t steps[] = {1, 5, 32, 100, 1000};
  for (int kind = 0; kind < 6; kind++) {
    for (int i = 0; i < N; i++) {
      switch (kind) {
        case 0: v[i] = i; break;                                     /* width 0 deltas */
        case 1: v[i] = (int64_t)(rnd() % 1000) - 500; break;         /* small */
        case 2: v[i] = (int64_t)rnd(); break;                         /* 64-bit, wrapping */
        case 3: v[i] = i % 2 ? INT64_MAX : INT64_MIN; break;          /* extremes */
        case 4: v[i] = (int32_t)rnd(); break;                         /* 32-bit */
        default: v[i] = i % 2 ? INT32_MAX : INT32_MIN; break;
      }
    }
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
      for (size_t t = 0; t < sizeof steps / sizeof steps[0]; t++) {
        bool is32 = kind >= 4;
        bool ok = delta_roundtrip(v, sizes[s], is32, steps[t]) && (is32 || delta_roundtrip(v, sizes[s], false, steps[t]));
        if (!ok) qv_test_fail(__FILE__, __LINE__, "kind %d size %lld step %lld", kind, (long long)sizes[s], (long long)steps[t]);
        CHECK(ok);
      }
  }
}

QV_TEST(pq_delta_binary_packed_malformed) {
  qv_pq_delta d;
  qv_error err;
  /* Block size not a multiple of 128 (the specification's own 8-value
   * examples are invalid streams). */
  static const uint8_t small_block[] = {8, 1, 5, 2, 2, 0};
  CHECK_STATUS(qv__pq_delta_init(&d, small_block, sizeof small_block, 64, &err), QV_INVALID);
  static const uint8_t bad_mini[] = {0x80, 0x01, 3, 5, 2};
  CHECK_STATUS(qv__pq_delta_init(&d, bad_mini, sizeof bad_mini, 64, &err), QV_INVALID);
  static const uint8_t zero_mini[] = {0x80, 0x01, 0, 5, 2};
  CHECK_STATUS(qv__pq_delta_init(&d, zero_mini, sizeof zero_mini, 64, &err), QV_INVALID);
  /* A 33-bit miniblock in an INT32 column. */
  static const uint8_t wide[] = {0x80, 0x01, 4, 5, 2, 0, 33, 0, 0, 0};
  CHECK_OK(qv__pq_delta_init(&d, wide, sizeof wide, 32, &err), &err);
  int32_t out[5];
  CHECK_STATUS(qv__pq_delta_get32(&d, out, 5, &err), QV_INVALID);
  /* Truncated miniblock data. */
  static const uint8_t cut[] = {0x80, 0x01, 4, 100, 2, 0, 8, 8, 8, 8, 1, 2, 3};
  CHECK_OK(qv__pq_delta_init(&d, cut, sizeof cut, 32, &err), &err);
  int32_t many[100];
  CHECK_STATUS(qv__pq_delta_get32(&d, many, 100, &err), QV_INVALID);
  /* Truncated header. */
  CHECK_STATUS(qv__pq_delta_init(&d, cut, 2, 32, &err), QV_INVALID);
}

static qv_status dlba(qv_pq_delta_bytes *d, const char *const *strs, int n, bool incremental, qv_bytes *enc) {
  int64_t lens[16], pre[16];
  for (int i = 0; i < n; i++) {
    int64_t p = 0;
    if (incremental && i > 0)
      while (strs[i][p] && strs[i][p] == strs[i - 1][p]) p++;
    pre[i] = p;
    lens[i] = (int64_t)strlen(strs[i]) - p;
  }
  if (incremental) pqt_delta_encode(enc, pre, n);
  pqt_delta_encode(enc, lens, n);
  for (int i = 0; i < n; i++) QV_RETURN_NOT_OK(qv_bytes_append(enc, strs[i] + pre[i], lens[i], NULL));
  return qv__pq_delta_bytes_start(d, enc->data, enc->size, incremental, 0, n, NULL);
}

QV_TEST(pq_delta_byte_arrays) {
  static const char *const hello[] = {"Hello", "World", "Foobar", "ABCDEF"};
  static const char *const axis[] = {"axis", "axle", "babble", "babyhood", "", "b"};
  for (int incremental = 0; incremental < 2; incremental++) {
    const char *const *strs = incremental ? axis : hello;
    int n = incremental ? 6 : 4;
    qv_pq_delta_bytes d;
    qv__pq_delta_bytes_init(&d, NULL);
    qv_bytes enc;
    qv_bytes_init(&enc, NULL);
    qv_pq_values out;
    qv__pq_values_init(&out, NULL, 0);
    qv_error err;
    bool ok = dlba(&d, strs, n, incremental, &enc) == QV_OK && qv__pq_values_start(&out, &err) == QV_OK &&
              qv__pq_delta_bytes_get(&d, 1, &out, &err) == QV_OK &&
              qv__pq_delta_bytes_get(&d, n - 1, &out, &err) == QV_OK && out.count == n;
    const int32_t *off = (const int32_t *)out.offsets.data;
    for (int i = 0; ok && i < n; i++)
      ok = off[i + 1] - off[i] == (int32_t)strlen(strs[i]) &&
           memcmp(out.data.data + off[i], strs[i], strlen(strs[i])) == 0;
    ok = ok && qv__pq_delta_bytes_get(&d, 1, &out, &err) == QV_INVALID;
    qv__pq_values_reset(&out);
    qv_bytes_reset(&enc);
    qv__pq_delta_bytes_reset(&d);
    CHECK(ok);
  }
}

/* Starts a page and reads all n values: the status of the first failure. */
static qv_status delta_bytes_read(qv_pq_delta_bytes *d, const qv_bytes *enc, bool incremental, int64_t n,
                                  int64_t max_values, qv_error *err) {
  QV_RETURN_NOT_OK(qv__pq_delta_bytes_start(d, enc->data, enc->size, incremental, 0, max_values, err));
  qv_pq_values out;
  qv__pq_values_init(&out, NULL, 0);
  qv_status st = qv__pq_values_start(&out, err);
  if (st == QV_OK) st = qv__pq_delta_bytes_get(d, n, &out, err);
  qv__pq_values_reset(&out);
  return st;
}

QV_TEST(pq_delta_byte_arrays_malformed) {
  qv_error err;
  qv_pq_delta_bytes d;
  qv__pq_delta_bytes_init(&d, NULL);
  qv_bytes enc;
  qv_bytes_init(&enc, NULL);
  /* Lengths adding up to more bytes than present. */
  int64_t lens[3] = {5, 5, 100};
  pqt_delta_encode(&enc, lens, 3);
  CHECK_OK(qv_bytes_append(&enc, "0123456789", 10, &err), &err);
  CHECK_STATUS(delta_bytes_read(&d, &enc, false, 3, 3, &err), QV_INVALID);
  CHECK(strstr(err.message, "past the page") != NULL);
  /* A negative length. */
  enc.size = 0;
  int64_t neg[2] = {3, -1};
  pqt_delta_encode(&enc, neg, 2);
  CHECK_OK(qv_bytes_append(&enc, "abcdef", 6, &err), &err);
  CHECK_STATUS(delta_bytes_read(&d, &enc, false, 2, 2, &err), QV_INVALID);
  CHECK(strstr(err.message, "negative") != NULL);
  /* More values than the page may hold. */
  enc.size = 0;
  pqt_delta_encode(&enc, lens, 3);
  CHECK_STATUS(delta_bytes_read(&d, &enc, false, 3, 2, &err), QV_INVALID);
  /* A billion lengths of width 0 in a few bytes: nothing is allocated for
   * them, and the page's bytes run out when they are read. */
  enc.size = 0;
  static const uint8_t billion[] = {0x80, 0x01, 0x01, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0x02};
  CHECK_OK(qv_bytes_append(&enc, billion, sizeof billion, &err), &err);
  qv_status st = qv__pq_delta_bytes_start(&d, enc.data, enc.size, false, 0, INT32_MAX, &err);
  CHECK_STATUS(st, QV_INVALID); /* the stream announces blocks that are not there */
  /* A prefix longer than the previous value. */
  enc.size = 0;
  int64_t pre[2] = {0, 9}, suf[2] = {2, 1};
  pqt_delta_encode(&enc, pre, 2);
  pqt_delta_encode(&enc, suf, 2);
  CHECK_OK(qv_bytes_append(&enc, "abc", 3, &err), &err);
  st = delta_bytes_read(&d, &enc, true, 2, 2, &err);
  CHECK_STATUS(st, QV_INVALID);
  CHECK(strstr(err.message, "prefix of 9 bytes") != NULL);
  /* Prefix and suffix streams of different lengths. */
  enc.size = 0;
  pqt_delta_encode(&enc, pre, 2);
  pqt_delta_encode(&enc, lens, 3);
  CHECK_STATUS(delta_bytes_read(&d, &enc, true, 2, 10, &err), QV_INVALID);
  qv_bytes_reset(&enc);
  qv__pq_delta_bytes_reset(&d);
}

QV_TEST(pq_delta_skip_finds_the_end) {
  static const int64_t sizes[] = {0, 1, 2, 33, 128, 129, 300};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    int64_t v[300];
    for (int i = 0; i < 300; i++) v[i] = (int64_t)(rnd() % 100000);
    qv_bytes enc;
    qv_bytes_init(&enc, NULL);
    pqt_delta_encode(&enc, v, sizes[s]);
    int64_t len = enc.size;
    qv_error err;
    CHECK_OK(qv_bytes_append(&enc, "rest", 4, &err), &err);
    const uint8_t *end;
    int64_t total;
    qv_status st = qv__pq_delta_skip(enc.data, enc.size, 64, &end, &total, &err);
    bool ok = st == QV_OK && total == sizes[s] && end == enc.data + len;
    qv_bytes_reset(&enc);
    CHECK(ok);
  }
}

QV_TEST(pq_plain_values) {
  qv_error err;
  qv_pq_plain p;
  qv_pq_values v;
  /* Byte arrays: two values, then one truncated. */
  static const uint8_t ba[] = {2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0, 5, 0, 0, 0, 'x'};
  qv__pq_plain_init(&p, ba, sizeof ba);
  qv__pq_values_init(&v, NULL, 0);
  CHECK_OK(qv__pq_plain_get(&p, 2, &v, &err), &err);
  CHECK(v.count == 2 && v.data.size == 2 && ((int32_t *)v.offsets.data)[2] == 2);
  CHECK_STATUS(qv__pq_plain_get(&p, 1, &v, &err), QV_INVALID);
  qv__pq_values_reset(&v);
  /* Booleans across byte boundaries and calls. */
  static const uint8_t bits[] = {0xa5, 0x0f, 0x81};
  qv__pq_plain_init(&p, bits, sizeof bits);
  qv__pq_values_init(&v, NULL, -1);
  int64_t steps[] = {3, 7, 1, 9, 4};
  for (int s = 0; s < 5; s++) CHECK_OK(qv__pq_plain_get(&p, steps[s], &v, &err), &err);
  bool ok = v.count == 24;
  for (int i = 0; i < 24 && ok; i++) ok = ((v.data.data[i >> 3] >> (i & 7)) & 1) == ((bits[i >> 3] >> (i & 7)) & 1);
  CHECK_STATUS(qv__pq_plain_get(&p, 1, &v, &err), QV_INVALID);
  qv__pq_values_reset(&v);
  CHECK(ok);
  /* Fixed width: exact, then short. */
  static const uint8_t i32s[] = {1, 0, 0, 0, 2, 0, 0, 0, 3};
  qv__pq_plain_init(&p, i32s, sizeof i32s);
  qv__pq_values_init(&v, NULL, 4);
  CHECK_OK(qv__pq_plain_get(&p, 2, &v, &err), &err);
  CHECK_EQ_INT(((int32_t *)v.data.data)[1], 2);
  CHECK_STATUS(qv__pq_plain_get(&p, 1, &v, &err), QV_INVALID);
  qv__pq_values_reset(&v);
}

QV_TEST(pq_byte_stream_split) {
  static const int32_t widths[] = {2, 4, 5, 8, 12};
  for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
    int32_t w = widths[k];
    enum { N = 37 };
    uint8_t values[N * 12], enc[N * 12];
    for (int i = 0; i < N * w; i++) values[i] = (uint8_t)rnd();
    for (int i = 0; i < N; i++)
      for (int b = 0; b < w; b++) enc[b * N + i] = values[i * w + b];
    qv_pq_plain p;
    qv_error err;
    CHECK_OK(qv__pq_bss_init(&p, enc, N * w, w, &err), &err);
    qv_pq_values v;
    qv__pq_values_init(&v, NULL, w);
    CHECK_OK(qv__pq_bss_get(&p, 10, &v, &err), &err);
    CHECK_OK(qv__pq_bss_get(&p, N - 10, &v, &err), &err);
    bool ok = v.count == N && memcmp(v.data.data, values, (size_t)(N * w)) == 0;
    ok = ok && qv__pq_bss_get(&p, 1, &v, &err) == QV_INVALID;
    qv__pq_values_reset(&v);
    CHECK(ok);
    CHECK_STATUS(qv__pq_bss_init(&p, enc, N * w - 1, w, &err), w == 1 ? QV_OK : QV_INVALID);
  }
}

QV_TEST(pq_dictionary_gather) {
  qv_error err;
  /* Strings. */
  static const uint8_t dict_page[] = {1, 0, 0, 0, 'a', 0, 0, 0, 0, 3, 0, 0, 0, 'x', 'y', 'z'};
  qv_pq_dict d;
  qv__pq_values_init(&d.values, NULL, 0);
  CHECK_OK(qv__pq_dict_decode(&d, dict_page, sizeof dict_page, 3, &err), &err);
  CHECK_EQ_INT(d.count, 3);
  qv_bytes idx;
  qv_bytes_init(&idx, NULL);
  uint32_t want[16] = {2, 0, 1, 2, 2, 2, 0, 1, 1, 0, 2, 2, 0, 0, 1, 2};
  pqt_bitpacked_run(&idx, want, 16, 2);
  pqt_rle_run(&idx, 2, 2000, 2);
  qv_pq_rle r;
  qv__pq_rle_init(&r, idx.data, idx.size, 2);
  qv_pq_values out;
  qv__pq_values_init(&out, NULL, 0);
  CHECK_OK(qv__pq_dict_gather(&d, &r, 2016, &out, &err), &err);
  const int32_t *off = (const int32_t *)out.offsets.data;
  static const int32_t lens[3] = {1, 0, 3};
  bool ok = out.count == 2016;
  for (int i = 0; i < 2016 && ok; i++) ok = off[i + 1] - off[i] == lens[i < 16 ? want[i] : 2];
  ok = ok && memcmp(out.data.data, "xyza", 4) == 0;
  qv__pq_values_reset(&out);
  CHECK(ok);
  /* An index past the dictionary. */
  idx.size = 0;
  pqt_rle_run(&idx, 3, 5, 2);
  qv__pq_rle_init(&r, idx.data, idx.size, 2);
  qv__pq_values_init(&out, NULL, 0);
  CHECK_STATUS(qv__pq_dict_gather(&d, &r, 5, &out, &err), QV_INVALID);
  CHECK(strstr(err.message, "dictionary index 3 out of range") != NULL);
  qv__pq_values_reset(&out);
  /* A dictionary page that cannot hold what it claims. */
  CHECK_STATUS(qv__pq_dict_decode(&d, dict_page, sizeof dict_page, 1000000000, &err), QV_INVALID);
  qv__pq_values_reset(&d.values);
  /* Booleans and fixed width (12 bytes, INT96). */
  qv_pq_dict b;
  qv__pq_values_init(&b.values, NULL, -1);
  static const uint8_t bools[] = {0x02};
  CHECK_OK(qv__pq_dict_decode(&b, bools, 1, 2, &err), &err);
  idx.size = 0;
  uint32_t bi[8] = {1, 0, 0, 1, 1, 1, 0, 1};
  pqt_bitpacked_run(&idx, bi, 8, 1);
  qv__pq_rle_init(&r, idx.data, idx.size, 1);
  qv__pq_values_init(&out, NULL, -1);
  CHECK_OK(qv__pq_dict_gather(&b, &r, 8, &out, &err), &err);
  /* entry 0 is false, entry 1 true: bits are the indices. */
  CHECK_EQ_INT(out.data.data[0], 0xb9);
  qv__pq_values_reset(&out);
  qv__pq_values_reset(&b.values);
  qv_bytes_reset(&idx);
}
