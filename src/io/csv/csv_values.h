/* Parsers of CSV field text into values, shared by the column converters and
 * type inference. They are inline because each is called once per value from
 * a loop over one column. Each returns QV_OK, QV_INVALID (not the syntax of
 * the type, or digits that the type cannot hold without loss) or
 * QV_OUT_OF_RANGE (the syntax is right but the value does not fit); the caller
 * writes the message, which names line and column. Nothing here allocates,
 * except the float parser for literals over 255 bytes. */
#ifndef QV_IO_CSV_VALUES_H
#define QV_IO_CSV_VALUES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quiver/status.h"
#include "quiver/type.h"

static inline bool csv_is_digit(uint8_t c) { return (unsigned)(c - '0') < 10u; }

static inline uint8_t csv_lower(uint8_t c) { return (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c); }

/* Case-insensitive comparison of n bytes with a lowercase word. */
static inline bool csv_ieq(const uint8_t *s, int64_t n, const char *word) {
  for (int64_t i = 0; i < n; i++)
    if (!word[i] || csv_lower(s[i]) != (uint8_t)word[i]) return false;
  return word[n] == '\0';
}

/* true/false (any case), 1/0. */
static inline qv_status qv__csv_parse_bool(const uint8_t *s, int64_t n, bool *out) {
  if (n == 1 && (s[0] == '1' || s[0] == '0')) {
    *out = s[0] == '1';
    return QV_OK;
  }
  if (csv_ieq(s, n, "true")) {
    *out = true;
    return QV_OK;
  }
  if (csv_ieq(s, n, "false")) {
    *out = false;
    return QV_OK;
  }
  return QV_INVALID;
}

/* [+-]digits into a magnitude and a sign; QV_OUT_OF_RANGE above UINT64_MAX. */
static inline qv_status csv_parse_magnitude(const uint8_t *s, int64_t n, bool *neg, uint64_t *mag) {
  int64_t i = 0;
  *neg = false;
  if (n > 0 && (s[0] == '-' || s[0] == '+')) {
    *neg = s[0] == '-';
    i = 1;
  }
  if (i == n) return QV_INVALID;
  uint64_t v = 0;
  /* Up to 19 digits cannot overflow. */
  int64_t fast_end = n - i > 19 ? i + 19 : n;
  for (; i < fast_end; i++) {
    unsigned dgt = (unsigned)(s[i] - '0');
    if (dgt > 9) return QV_INVALID;
    v = v * 10 + dgt;
  }
  for (; i < n; i++) {
    unsigned dgt = (unsigned)(s[i] - '0');
    if (dgt > 9) return QV_INVALID;
    if (v > (UINT64_MAX - dgt) / 10) {
      for (i++; i < n; i++)
        if (!csv_is_digit(s[i])) return QV_INVALID;
      return QV_OUT_OF_RANGE;
    }
    v = v * 10 + dgt;
  }
  *mag = v;
  return QV_OK;
}

/* A signed integer within [lo, hi]. */
static inline qv_status qv__csv_parse_int(const uint8_t *s, int64_t n, int64_t lo, int64_t hi, int64_t *out) {
  bool neg;
  uint64_t mag;
  qv_status st = csv_parse_magnitude(s, n, &neg, &mag);
  if (st != QV_OK) return st;
  if (neg) {
    if (mag > (uint64_t)INT64_MAX + 1) return QV_OUT_OF_RANGE;
    int64_t v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    if (v < lo) return QV_OUT_OF_RANGE;
    *out = v;
    return QV_OK;
  }
  if (mag > (uint64_t)hi) return QV_OUT_OF_RANGE;
  *out = (int64_t)mag;
  return QV_OK;
}

/* An unsigned integer up to hi ("-0" is accepted as 0). */
static inline qv_status qv__csv_parse_uint(const uint8_t *s, int64_t n, uint64_t hi, uint64_t *out) {
  bool neg;
  uint64_t mag;
  qv_status st = csv_parse_magnitude(s, n, &neg, &mag);
  if (st != QV_OK) return st;
  if ((neg && mag != 0) || mag > hi) return QV_OUT_OF_RANGE;
  *out = mag;
  return QV_OK;
}

/* Checks float syntax: [+-](digits[.digits]|.digits)([eE][+-]digits), or
 * nan / inf / infinity in any case. Collects up to 19 significant digits into
 * *mant with their count in *n_sig (0 for a zero mantissa; more than 19 sets
 * *n_sig to 20) and the power of ten that scales them into *exp10. *special:
 * 0 for a number, 1 for NaN, 2 for an infinity. */
static inline qv_status csv_scan_float(const uint8_t *s, int64_t n, bool *neg, uint64_t *mant, int *n_sig,
                                       int64_t *exp10, int *special) {
  int64_t i = 0;
  *neg = false;
  *special = 0;
  if (n > 0 && (s[0] == '-' || s[0] == '+')) {
    *neg = s[0] == '-';
    i = 1;
  }
  if (i < n && !csv_is_digit(s[i]) && s[i] != '.') {
    if (csv_ieq(s + i, n - i, "nan")) *special = 1;
    else if (csv_ieq(s + i, n - i, "inf") || csv_ieq(s + i, n - i, "infinity")) *special = 2;
    else return QV_INVALID;
    return QV_OK;
  }
  uint64_t m = 0;
  int sig = 0;
  int64_t e = 0, digits = 0;
  for (; i < n && csv_is_digit(s[i]); i++, digits++) {
    if (sig == 0 && s[i] == '0') continue;
    if (sig < 19) m = m * 10 + (unsigned)(s[i] - '0');
    else e++;
    sig++;
  }
  if (i < n && s[i] == '.') {
    for (i++; i < n && csv_is_digit(s[i]); i++, digits++) {
      if (sig == 0 && s[i] == '0') {
        e--;
        continue;
      }
      if (sig < 19) {
        m = m * 10 + (unsigned)(s[i] - '0');
        e--;
      }
      sig++;
    }
  }
  if (digits == 0) return QV_INVALID;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    bool eneg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
    if (i == n) return QV_INVALID;
    int64_t ev = 0;
    for (; i < n && csv_is_digit(s[i]); i++)
      if (ev < 100000) ev = ev * 10 + (s[i] - '0');
    e += eneg ? -ev : ev;
  }
  if (i != n) return QV_INVALID;
  *mant = m;
  *n_sig = sig > 19 ? 20 : sig;
  *exp10 = e;
  return QV_OK;
}

/* Copies n bytes into a NUL-terminated buffer for strtod/strtof: buf when it
 * fits, else a malloc'd block the caller frees (NULL when out of memory). */
static inline char *csv_cstr(const uint8_t *s, int64_t n, char *buf, size_t buf_size) {
  char *c = (size_t)n < buf_size ? buf : malloc((size_t)n + 1);
  if (c) {
    memcpy(c, s, (size_t)n);
    c[n] = '\0';
  }
  return c;
}

static inline qv_status qv__csv_parse_double(const uint8_t *s, int64_t n, double *out) {
  static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  bool neg;
  uint64_t m;
  int sig, special;
  int64_t e;
  qv_status st = csv_scan_float(s, n, &neg, &m, &sig, &e, &special);
  if (st != QV_OK) return st;
  double v;
  if (special) {
    v = special == 1 ? __builtin_nan("") : __builtin_inf();
  } else if (m == 0) {
    v = 0.0;
  } else if (sig <= 15 && e >= -22 && e <= 22) {
    /* Both the mantissa (< 10^15 < 2^53) and the power of ten are exact
     * doubles, so one correctly rounded operation gives the right result. */
    v = e < 0 ? (double)m / pow10[-e] : (double)m * pow10[e];
  } else {
    char buf[256];
    char *c = csv_cstr(s, n, buf, sizeof buf);
    if (!c) return QV_INVALID;
    v = strtod(c, NULL);
    if (c != buf) free(c);
    *out = v; /* strtod applied the sign */
    return QV_OK;
  }
  *out = neg ? -v : v;
  return QV_OK;
}

static inline qv_status qv__csv_parse_float(const uint8_t *s, int64_t n, float *out) {
  bool neg;
  uint64_t m;
  int sig, special;
  int64_t e;
  qv_status st = csv_scan_float(s, n, &neg, &m, &sig, &e, &special);
  if (st != QV_OK) return st;
  if (special) {
    float v = special == 1 ? __builtin_nanf("") : __builtin_inff();
    *out = neg ? -v : v;
    return QV_OK;
  }
  char buf[256];
  char *c = csv_cstr(s, n, buf, sizeof buf);
  if (!c) return QV_INVALID;
  *out = strtof(c, NULL);
  if (c != buf) free(c);
  return QV_OK;
}

/* Multiplies the little-endian n-word magnitude w by 10 and adds d. */
static inline void csv_wide_mul10_add(uint64_t *w, int n, unsigned d) {
  unsigned __int128 carry = d;
  for (int i = 0; i < n; i++) {
    unsigned __int128 cur = (unsigned __int128)w[i] * 10 + carry;
    w[i] = (uint64_t)cur;
    carry = cur >> 64;
  }
}

/* A decimal of the given precision and scale, exactly, into n_words (2 or 4)
 * little-endian two's complement 64-bit words. Accepts
 * [+-](digits[.digits]|.digits)([eE][+-]digits). Digits beyond the scale must
 * be zeros (QV_INVALID otherwise: the value would be rounded); more than
 * `precision` significant digits is QV_OUT_OF_RANGE. */
static inline qv_status qv__csv_parse_decimal(const uint8_t *s, int64_t n, int32_t precision, int32_t scale,
                                              int n_words, uint64_t *out) {
  /* Fast path, one pass in 64 bits: [+-]digits[.digits] (up to 18 digits,
   * no more fractional digits than the scale, the result below 10^18). */
  if (n <= 20) {
    static const uint64_t p10[19] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
                                     10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
                                     100000000000ULL, 1000000000000ULL, 10000000000000ULL,
                                     100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
                                     100000000000000000ULL, 1000000000000000000ULL};
    int64_t k = 0;
    bool negative = false;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
      negative = s[0] == '-';
      k = 1;
    }
    uint64_t v = 0;
    int digits = 0, frac = -1;
    for (; k < n; k++) {
      unsigned dgt = (unsigned)(s[k] - '0');
      if (dgt <= 9) {
        v = v * 10 + dgt;
        digits++;
        frac += frac >= 0;
      } else if (s[k] == '.' && frac < 0) {
        frac = 0;
      } else {
        break;
      }
    }
    int f = frac < 0 ? 0 : frac;
    if (k == n && digits > 0 && digits <= 18 && f <= scale && digits + (scale - f) <= 18) {
      v *= p10[scale - f];
      if (precision < 19 && v >= p10[precision]) return QV_OUT_OF_RANGE;
      uint64_t fill = negative && v ? UINT64_MAX : 0;
      out[0] = negative ? (uint64_t)0 - v : v;
      for (int j = 1; j < n_words; j++) out[j] = fill;
      return QV_OK;
    }
  }
  int64_t i = 0;
  bool neg = false;
  if (n > 0 && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    i = 1;
  }
  int64_t int_begin = i;
  while (i < n && csv_is_digit(s[i])) i++;
  int64_t n_int = i - int_begin, frac_begin = i, n_frac = 0;
  if (i < n && s[i] == '.') {
    frac_begin = ++i;
    while (i < n && csv_is_digit(s[i])) i++;
    n_frac = i - frac_begin;
  }
  if (n_int + n_frac == 0) return QV_INVALID;
  int64_t exp10 = 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    bool eneg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
    if (i == n) return QV_INVALID;
    for (; i < n && csv_is_digit(s[i]); i++)
      if (exp10 < 100000) exp10 = exp10 * 10 + (s[i] - '0');
    if (eneg) exp10 = -exp10;
  }
  if (i != n) return QV_INVALID;
  /* The digits d_0 .. d_{total-1} (integer then fraction) times
   * 10^(scale + exp10 - n_frac) is the unscaled value. */
  int64_t total = n_int + n_frac;
  int64_t shift = (int64_t)scale + exp10 - n_frac;
  int64_t keep = total;
  if (shift < 0) {
    keep = total + shift > 0 ? total + shift : 0;
    for (int64_t k = keep; k < total; k++) {
      uint8_t ch = k < n_int ? s[int_begin + k] : s[frac_begin + k - n_int];
      if (ch != '0') return QV_INVALID;
    }
    shift = 0;
  }
  int64_t first = 0; /* first non-zero digit among those kept */
  while (first < keep && (first < n_int ? s[int_begin + first] : s[frac_begin + first - n_int]) == '0') first++;
  int64_t sig = keep - first;
  if (sig > 0 && sig + shift > precision) return QV_OUT_OF_RANGE;
  uint64_t w[4] = {0, 0, 0, 0};
  if (sig > 0) {
    uint64_t small = 0;
    int64_t k = first;
    /* Up to 19 digits in one word, then the wide path. */
    for (int64_t stop = sig > 19 ? first + 19 : keep; k < stop; k++)
      small = small * 10 + (unsigned)((k < n_int ? s[int_begin + k] : s[frac_begin + k - n_int]) - '0');
    w[0] = small;
    for (; k < keep; k++)
      csv_wide_mul10_add(w, n_words, (unsigned)((k < n_int ? s[int_begin + k] : s[frac_begin + k - n_int]) - '0'));
    for (int64_t z = 0; z < shift; z++) csv_wide_mul10_add(w, n_words, 0);
  }
  if (neg) {
    unsigned carry = 1;
    for (int j = 0; j < n_words; j++) {
      w[j] = ~w[j] + carry;
      carry = carry && w[j] == 0;
    }
  }
  memcpy(out, w, (size_t)n_words * 8);
  return QV_OK;
}

/* Days from 1970-01-01 of a proleptic Gregorian date (400-year eras). */
static inline int64_t qv__csv_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static inline bool csv_two_digits(const uint8_t *s, unsigned *v) {
  if (!csv_is_digit(s[0]) || !csv_is_digit(s[1])) return false;
  *v = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
  return true;
}

/* YYYY-MM-DD (a four-digit year) into days since the epoch. */
static inline qv_status qv__csv_parse_date(const uint8_t *s, int64_t n, int32_t *days) {
  if (n != 10 || s[4] != '-' || s[7] != '-') return QV_INVALID;
  unsigned y1, y2, m, d;
  if (!csv_two_digits(s, &y1) || !csv_two_digits(s + 2, &y2) || !csv_two_digits(s + 5, &m) ||
      !csv_two_digits(s + 8, &d))
    return QV_INVALID;
  unsigned y = y1 * 100 + y2;
  static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return QV_INVALID;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > (unsigned)mdays[m - 1] + (m == 2 && leap ? 1u : 0u)) return QV_INVALID;
  *days = (int32_t)qv__csv_days_from_civil(y, m, d);
  return QV_OK;
}

/* A parsed ISO 8601 timestamp or time of day. */
typedef struct qv_csv_ts {
  int64_t seconds;     /* since the epoch (UTC when a zone was given), or since midnight */
  int32_t nanos;       /* the fraction, in nanoseconds */
  int32_t frac_digits; /* digits of the fraction as written (0..9) */
  bool has_zone;       /* 'Z' or an offset was given */
} qv_csv_ts;

/* HH:MM[:SS[.fraction]] at s (n bytes available); sets *used. */
static inline qv_status csv_parse_clock(const uint8_t *s, int64_t n, qv_csv_ts *t, int64_t *used) {
  unsigned h, mi, se = 0;
  if (n < 5 || !csv_two_digits(s, &h) || s[2] != ':' || !csv_two_digits(s + 3, &mi)) return QV_INVALID;
  int64_t i = 5;
  if (i < n && s[i] == ':') {
    if (n - i < 3 || !csv_two_digits(s + i + 1, &se)) return QV_INVALID;
    i += 3;
    if (i < n && s[i] == '.') {
      int64_t f0 = ++i;
      uint32_t frac = 0;
      while (i < n && csv_is_digit(s[i])) {
        if (i - f0 >= 9) return QV_INVALID;
        frac = frac * 10 + (uint32_t)(s[i] - '0');
        i++;
      }
      if (i == f0) return QV_INVALID;
      t->frac_digits = (int32_t)(i - f0);
      for (int64_t k = i - f0; k < 9; k++) frac *= 10;
      t->nanos = (int32_t)frac;
    }
  }
  if (h > 23 || mi > 59 || se > 59) return QV_INVALID;
  t->seconds = (int64_t)h * 3600 + mi * 60 + se;
  *used = i;
  return QV_OK;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.f{1,9}]][Z|(+|-)HH[[:]MM]]]. A zone offset is
 * subtracted, giving UTC. */
static inline qv_status qv__csv_parse_timestamp(const uint8_t *s, int64_t n, qv_csv_ts *t) {
  memset(t, 0, sizeof *t);
  int32_t days;
  if (n < 10) return QV_INVALID;
  qv_status st = qv__csv_parse_date(s, 10, &days);
  if (st != QV_OK) return st;
  int64_t i = 10;
  if (i < n) {
    if (s[i] != 'T' && s[i] != ' ' && s[i] != 't') return QV_INVALID;
    i++;
    int64_t used;
    st = csv_parse_clock(s + i, n - i, t, &used);
    if (st != QV_OK) return st;
    i += used;
    if (i < n) {
      t->has_zone = true;
      if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        i++;
      } else if (s[i] == '+' || s[i] == '-') {
        bool west = s[i] == '-';
        unsigned oh, om = 0;
        if (n - i < 3 || !csv_two_digits(s + i + 1, &oh)) return QV_INVALID;
        i += 3;
        if (i < n && s[i] == ':') i++;
        if (i < n) {
          if (n - i != 2 || !csv_two_digits(s + i, &om)) return QV_INVALID;
          i += 2;
        }
        if (oh > 23 || om > 59) return QV_INVALID;
        int64_t off = (int64_t)oh * 3600 + om * 60;
        t->seconds -= west ? -off : off;
      } else {
        return QV_INVALID;
      }
    }
  }
  if (i != n) return QV_INVALID;
  t->seconds += (int64_t)days * 86400;
  return QV_OK;
}

/* HH:MM[:SS[.f]] as a time of day. */
static inline qv_status qv__csv_parse_time(const uint8_t *s, int64_t n, qv_csv_ts *t) {
  memset(t, 0, sizeof *t);
  int64_t used;
  qv_status st = csv_parse_clock(s, n, t, &used);
  if (st != QV_OK) return st;
  return used == n ? QV_OK : QV_INVALID;
}

/* Seconds plus nanoseconds as a count of `unit`: QV_INVALID when the
 * fraction is finer than the unit (it would be cut), QV_OUT_OF_RANGE on
 * overflow. */
static inline qv_status qv__csv_ts_to_unit(const qv_csv_ts *t, qv_time_unit unit, int64_t *out) {
  static const int64_t per_second[] = {1, 1000, 1000000, 1000000000};
  static const int32_t nanos_per_unit[] = {1000000000, 1000000, 1000, 1};
  if (t->nanos % nanos_per_unit[unit]) return QV_INVALID;
  int64_t v;
  if (__builtin_mul_overflow(t->seconds, per_second[unit], &v) ||
      __builtin_add_overflow(v, (int64_t)(t->nanos / nanos_per_unit[unit]), &v))
    return QV_OUT_OF_RANGE;
  *out = v;
  return QV_OK;
}

#endif
