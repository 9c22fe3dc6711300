/* Bit unpacking for Parquet's bit-packed runs and delta miniblocks. Values
 * are packed LSB first; 32 values of width w occupy exactly w 32-bit
 * little-endian words, so each of the 33 (and 65) widths gets its own
 * function in which the loop over the 32 values is fully unrolled with
 * constant shifts: every value is one or two (three for 64-bit output) word
 * loads, a shift and a mask, and nothing is read past the 4*w input bytes.
 * A switch picks the function once per 32 values. Tails shorter than 32
 * values go through a byte-at-a-time accumulator that reads exactly the bytes
 * it needs. */
#include <string.h>

#include "io/parquet/encodings.h"

static inline uint32_t load32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

#define QV_ALWAYS_INLINE inline __attribute__((always_inline))

static QV_ALWAYS_INLINE void unpack32_w(const uint8_t *in, uint32_t *out, const int w) {
  if (w == 0) {
    memset(out, 0, 32 * sizeof *out);
    return;
  }
  if (w == 32) {
    memcpy(out, in, 32 * sizeof *out);
    return;
  }
  const uint32_t mask = (1u << w) - 1;
#pragma GCC unroll 32
  for (int i = 0; i < 32; i++) {
    const int bit = i * w, word = bit >> 5, shift = bit & 31;
    uint32_t v = load32(in + 4 * word) >> shift;
    if (shift + w > 32) v |= load32(in + 4 * (word + 1)) << (32 - shift);
    out[i] = v & mask;
  }
}

static QV_ALWAYS_INLINE void unpack32_64_w(const uint8_t *in, uint64_t *out, const int w) {
  if (w == 0) {
    memset(out, 0, 32 * sizeof *out);
    return;
  }
  if (w == 64) {
    memcpy(out, in, 32 * sizeof *out);
    return;
  }
  const uint64_t mask = w == 64 ? ~(uint64_t)0 : (((uint64_t)1 << w) - 1);
#pragma GCC unroll 32
  for (int i = 0; i < 32; i++) {
    const int bit = i * w, word = bit >> 5, shift = bit & 31;
    uint64_t v = (uint64_t)load32(in + 4 * word) >> shift;
    if (shift + w > 32) v |= (uint64_t)load32(in + 4 * (word + 1)) << (32 - shift);
    if (shift + w > 64) v |= (uint64_t)load32(in + 4 * (word + 2)) << (64 - shift);
    out[i] = v & mask;
  }
}

#define UNPACK32(w) \
  static void unpack32_##w(const uint8_t *in, uint32_t *out) { unpack32_w(in, out, w); }
#define UNPACK64(w) \
  static void unpack64_##w(const uint8_t *in, uint64_t *out) { unpack32_64_w(in, out, w); }

#define WIDTHS_1_32(X)                                                                           \
  X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16) X(17) \
  X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31)
#define WIDTHS_33_63(X)                                                                          \
  X(33) X(34) X(35) X(36) X(37) X(38) X(39) X(40) X(41) X(42) X(43) X(44) X(45) X(46) X(47)     \
  X(48) X(49) X(50) X(51) X(52) X(53) X(54) X(55) X(56) X(57) X(58) X(59) X(60) X(61) X(62) X(63)

WIDTHS_1_32(UNPACK32)
WIDTHS_1_32(UNPACK64)
UNPACK64(32)
WIDTHS_33_63(UNPACK64)

#define CASE32(w) case w: unpack32_##w(in, out); return;
#define CASE64(w) case w: unpack64_##w(in, out); return;

void qv__pq_unpack32(const uint8_t *in, uint32_t *out, int bit_width) {
  switch (bit_width) {
    WIDTHS_1_32(CASE32)
    case 32: memcpy(out, in, 32 * sizeof *out); return;
    default: memset(out, 0, 32 * sizeof *out); return; /* 0 (wider widths are rejected earlier) */
  }
}

void qv__pq_unpack32_64(const uint8_t *in, uint64_t *out, int bit_width) {
  switch (bit_width) {
    WIDTHS_1_32(CASE64)
    CASE64(32)
    WIDTHS_33_63(CASE64)
    case 64: memcpy(out, in, 32 * sizeof *out); return;
    default: memset(out, 0, 32 * sizeof *out); return;
  }
}

void qv__pq_unpack_tail(const uint8_t *in, uint32_t *out, int64_t n, int bit_width) {
  if (bit_width == 0) {
    memset(out, 0, (size_t)n * sizeof *out);
    return;
  }
  const uint64_t mask = ((uint64_t)1 << bit_width) - 1;
  uint64_t acc = 0;
  int bits = 0;
  for (int64_t i = 0; i < n; i++) {
    while (bits < bit_width) {
      acc |= (uint64_t)*in++ << bits;
      bits += 8;
    }
    out[i] = (uint32_t)(acc & mask);
    acc >>= bit_width;
    bits -= bit_width;
  }
}

void qv__pq_unpack_tail_64(const uint8_t *in, uint64_t *out, int64_t n, int bit_width) {
  if (bit_width == 0) {
    memset(out, 0, (size_t)n * sizeof *out);
    return;
  }
  /* An accumulator of 128 bits as two words: at most 64 + 7 bits are live. */
  const uint64_t mask = bit_width == 64 ? ~(uint64_t)0 : (((uint64_t)1 << bit_width) - 1);
  uint64_t lo = 0, hi = 0;
  int bits = 0;
  for (int64_t i = 0; i < n; i++) {
    while (bits < bit_width) {
      uint64_t b = *in++;
      if (bits < 64) {
        lo |= b << bits;
        if (bits > 56) hi |= b >> (64 - bits);
      } else {
        hi |= b << (bits - 64);
      }
      bits += 8;
    }
    out[i] = lo & mask;
    /* Shift the 128-bit accumulator right by bit_width. */
    if (bit_width == 64) {
      lo = hi;
      hi = 0;
    } else {
      lo = (lo >> bit_width) | (hi << (64 - bit_width));
      hi >>= bit_width;
    }
    bits -= bit_width;
  }
}

int qv__pq_bit_width(uint64_t max_value) {
  int w = 0;
  while (w < 64 && (max_value >> w) != 0) w++;
  return w;
}
