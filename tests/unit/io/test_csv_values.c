/* The CSV value parsers against references: floats against strtod (fast path
 * and slow path), decimals against their unscaled integers, every date of
 * years 1..9999 against a day counter, UTF-8 validation against a simple
 * decoder, shortest float text against strtod. */
#include <math.h>
#include <stdlib.h>

#include "io/csv/csv_internal.h"
#include "io/csv/csv_values.h"
#include "io/text_format.h"
#include "test.h"

QV_TEST(csv_parse_double_matches_strtod) {
  unsigned seed = 99;
  char text[256];
  for (int i = 0; i < 200000; i++) {
    int len = 0;
    if (rand_r(&seed) % 4 == 0) text[len++] = '-';
    int digits = 1 + (int)(rand_r(&seed) % 20), point = (int)(rand_r(&seed) % (digits + 2)) - 1;
    for (int d = 0; d < digits; d++) {
      if (d == point) text[len++] = '.';
      text[len++] = (char)('0' + rand_r(&seed) % 10);
    }
    if (rand_r(&seed) % 2) len += snprintf(text + len, 16, "e%d", (int)(rand_r(&seed) % 70) - 35);
    text[len] = '\0';
    double got = 0, want = strtod(text, NULL);
    CHECK_OK(qv__csv_parse_double((const uint8_t *)text, len, &got), NULL);
    if (memcmp(&got, &want, 8) != 0) fprintf(stderr, "  '%s': %.17g != %.17g\n", text, got, want);
    CHECK(memcmp(&got, &want, 8) == 0);
  }
}

QV_TEST(csv_shortest_double_round_trips) {
  unsigned seed = 5;
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  qv_error err = {0};
  for (int i = 0; i < 100000; i++) {
    uint64_t bits = ((uint64_t)rand_r(&seed) << 42) ^ ((uint64_t)rand_r(&seed) << 21) ^ (uint64_t)rand_r(&seed);
    double v;
    memcpy(&v, &bits, 8);
    if (i % 3 == 0) v = (double)(rand_r(&seed) % 100000) / 100.0; /* "nice" decimals */
    if (!isfinite(v)) continue;
    out.size = 0;
    CHECK_OK(qv__text_append_double(&out, v, &err), &err);
    double back = 0;
    CHECK_OK(qv__csv_parse_double(out.data, out.size, &back), NULL);
    CHECK(memcmp(&v, &back, 8) == 0);
    /* Shortest: one digit fewer does not read back (checked on nice values). */
    if (i % 3 == 0) CHECK(out.size <= 10);
  }
  out.size = 0;
  CHECK_OK(qv__text_append_double(&out, 24710.35, &err), &err);
  CHECK(out.size == 8 && memcmp(out.data, "24710.35", 8) == 0);
  qv_bytes_reset(&out);
}

QV_TEST(csv_parse_decimal_matches_integers) {
  unsigned seed = 3;
  char text[80];
  for (int i = 0; i < 100000; i++) {
    int64_t v = ((int64_t)rand_r(&seed) << 31 ^ rand_r(&seed)) % 1000000000000000000LL;
    if (rand_r(&seed) % 2) v = -v;
    int scale = (int)(rand_r(&seed) % 10);
    uint64_t mag = v < 0 ? (uint64_t)-v : (uint64_t)v;
    uint64_t p10 = 1;
    for (int k = 0; k < scale; k++) p10 *= 10;
    int len = snprintf(text, sizeof text, "%s%llu.%0*llu", v < 0 ? "-" : "", (unsigned long long)(mag / p10), scale,
                       (unsigned long long)(mag % p10));
    if (scale == 0) len--; /* "123." is accepted too, but test the plain form */
    text[len] = '\0';
    if (rand_r(&seed) % 3 == 0) len += snprintf(text + len, 8, "000"); /* extra zero digits are exact */
    uint64_t w[2];
    qv_status st = qv__csv_parse_decimal((const uint8_t *)text, len, 18, scale, 2, w);
    if (st != QV_OK || (int64_t)w[0] != v || w[1] != (v < 0 ? UINT64_MAX : 0))
      fprintf(stderr, "  '%s' scale %d: %s %lld\n", text, scale, qv_status_name(st), (long long)w[0]);
    CHECK(st == QV_OK && (int64_t)w[0] == v);
    /* The same value with an exponent: digits shifted left by 3. */
    len = snprintf(text, sizeof text, "%s%llue-%d", v < 0 ? "-" : "", (unsigned long long)mag, scale);
    st = qv__csv_parse_decimal((const uint8_t *)text, len, 18, scale, 2, w);
    CHECK(st == QV_OK && (int64_t)w[0] == v);
  }
  /* 38 digits fit decimal128(38, 0); 39 do not. */
  uint64_t w[4];
  const char *max38 = "99999999999999999999999999999999999999";
  CHECK_OK(qv__csv_parse_decimal((const uint8_t *)max38, 38, 38, 0, 2, w), NULL);
  CHECK(w[1] == 0x4B3B4CA85A86C47AULL && w[0] == 0x098A223FFFFFFFFFULL);
  CHECK_STATUS(qv__csv_parse_decimal((const uint8_t *)"999999999999999999999999999999999999999", 39, 38, 0, 2, w),
               QV_OUT_OF_RANGE);
  CHECK_OK(qv__csv_parse_decimal((const uint8_t *)"-1", 2, 76, 0, 4, w), NULL);
  CHECK(w[0] == UINT64_MAX && w[1] == UINT64_MAX && w[2] == UINT64_MAX && w[3] == UINT64_MAX);
  CHECK_STATUS(qv__csv_parse_decimal((const uint8_t *)"1e100000", 8, 38, 0, 2, w), QV_OUT_OF_RANGE);
  CHECK_OK(qv__csv_parse_decimal((const uint8_t *)"0e100000", 8, 38, 0, 2, w), NULL);
  CHECK_STATUS(qv__csv_parse_decimal((const uint8_t *)"1e-100000", 9, 38, 0, 2, w), QV_INVALID);
}

QV_TEST(csv_parse_every_date) {
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t expect = -719162; /* 0001-01-01 */
  char text[48];
  for (int y = 1; y <= 9999; y++) {
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    for (int m = 1; m <= 12; m++) {
      int dim = mdays[m - 1] + (m == 2 && leap);
      for (int d = 1; d <= dim + 1; d++) {
        snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
        int32_t days = 0;
        qv_status st = qv__csv_parse_date((const uint8_t *)text, 10, &days);
        if (d > dim) {
          CHECK_STATUS(st, QV_INVALID);
          continue;
        }
        if (st != QV_OK || days != expect) fprintf(stderr, "  %s: %d, want %lld\n", text, days, (long long)expect);
        CHECK(st == QV_OK && days == expect);
        expect++;
      }
    }
  }
  CHECK_EQ_INT(expect, 2932897); /* 10000-01-01 */
}

QV_TEST(csv_parse_timestamps) {
  qv_csv_ts t;
  int64_t v;
  const char *s = "2024-05-01T12:34:56.123456789+05:30";
  CHECK_OK(qv__csv_parse_timestamp((const uint8_t *)s, (int64_t)strlen(s), &t), NULL);
  CHECK(t.has_zone && t.frac_digits == 9 && t.nanos == 123456789);
  CHECK_OK(qv__csv_ts_to_unit(&t, QV_NANO, &v), NULL);
  CHECK_EQ_INT(v, 1714547096123456789LL);
  CHECK_STATUS(qv__csv_ts_to_unit(&t, QV_MICRO, &v), QV_INVALID);
  const char *bad[] = {"2024-05-01T", "2024-05-01T1:00", "2024-05-01T10:00:00.", "2024-05-01T10:00:00.1234567890",
                       "2024-05-01T10:00+5", "2024-05-01T10:00Zx", "2024-05-01X10:00", "2024-05-01T10:60",
                       "2024-05-01T10:00:00+24:00"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_STATUS(qv__csv_parse_timestamp((const uint8_t *)bad[i], (int64_t)strlen(bad[i]), &t), QV_INVALID);
}

/* A straightforward decoder as the reference for UTF-8 validity. */
static bool utf8_reference(const uint8_t *s, int n) {
  for (int i = 0; i < n;) {
    uint32_t c = s[i];
    int len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!len || i + len > n) return false;
    uint32_t cp = len == 1 ? c : c & (0x7Fu >> len);
    for (int k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

QV_TEST(csv_utf8_validation) {
  unsigned seed = 11;
  uint8_t buf[24];
  static const uint8_t pieces[] = {'a', 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF,
                                   0xF0, 0xF4, 0xF5, 0xFF, 0xA0, 0x9F, 0x8F, 0x90};
  for (int i = 0; i < 300000; i++) {
    int n = (int)(rand_r(&seed) % 24);
    for (int k = 0; k < n; k++) buf[k] = pieces[rand_r(&seed) % sizeof pieces];
    CHECK(qv__csv_utf8_valid(buf, n) == utf8_reference(buf, n));
  }
}
