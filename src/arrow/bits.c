/* Bit-range helpers for the kernels: copying a run of bits between arbitrary
 * bit offsets (validity and boolean bitmaps of sliced arrays), filling a
 * range, and loading 64 bits at a bit offset without reading past the end of
 * a bitmap (buffers from IPC or the C Data Interface are not padded). Whole
 * bytes move 64 bits at a time; only the edges go bit by bit. */
#include <string.h>

#include "arrow/compute_internal.h"

static inline uint64_t load_le64(const uint8_t *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  return w;
}

static inline void store_le64(uint8_t *p, uint64_t w) { memcpy(p, &w, 8); }

void qv__bits_copy(uint8_t *dst, int64_t dst_off, const uint8_t *src, int64_t src_off,
                   int64_t n) {
  if (n <= 0) return;
  /* Head: single bits up to a destination byte boundary. */
  while (n > 0 && (dst_off & 7)) {
    if (qv_bit_get(src, src_off)) qv_bit_set(dst, dst_off);
    else qv_bit_clear(dst, dst_off);
    dst_off++, src_off++, n--;
  }
  uint8_t *d = dst + (dst_off >> 3);
  const uint8_t *s = src + (src_off >> 3);
  unsigned r = (unsigned)(src_off & 7);
  int64_t whole = n >> 3;
  if (r == 0) {
    memcpy(d, s, (size_t)whole);
  } else {
    /* Each destination byte takes bits r..7 of s[i] and 0..r-1 of s[i+1],
     * all inside the copied range; eight bytes per step. */
    int64_t i = 0;
    for (; i + 8 <= whole; i += 8)
      store_le64(d + i, (load_le64(s + i) >> r) | ((uint64_t)s[i + 8] << (64 - r)));
    for (; i < whole; i++) d[i] = (uint8_t)((s[i] >> r) | (s[i + 1] << (8 - r)));
  }
  dst_off += whole << 3;
  src_off += whole << 3;
  for (n -= whole << 3; n > 0; n--, dst_off++, src_off++) {
    if (qv_bit_get(src, src_off)) qv_bit_set(dst, dst_off);
    else qv_bit_clear(dst, dst_off);
  }
}

void qv__bits_fill(uint8_t *dst, int64_t off, int64_t n, bool value) {
  while (n > 0 && (off & 7)) {
    if (value) qv_bit_set(dst, off);
    else qv_bit_clear(dst, off);
    off++, n--;
  }
  memset(dst + (off >> 3), value ? 0xFF : 0, (size_t)(n >> 3));
  off += n & ~(int64_t)7;
  for (n &= 7; n > 0; n--, off++) {
    if (value) qv_bit_set(dst, off);
    else qv_bit_clear(dst, off);
  }
}

uint64_t qv__bits_load64(const uint8_t *bits, int64_t off, int64_t end) {
  int64_t avail = end - off;
  if (avail <= 0) return 0;
  const uint8_t *p = bits + (off >> 3);
  unsigned r = (unsigned)(off & 7);
  /* Bytes holding bits [off, min(off + 64, end)). */
  int64_t nbits = avail < 64 ? avail : 64;
  int64_t nbytes = (r + nbits + 7) >> 3;
  uint64_t w;
  if (nbytes >= 8) {
    w = load_le64(p) >> r;
    if (nbytes == 9) w |= (uint64_t)p[8] << (64 - r);
  } else {
    w = 0;
    for (int64_t i = 0; i < nbytes; i++) w |= (uint64_t)p[i] << (8 * i);
    w >>= r;
  }
  if (nbits < 64) w &= (UINT64_C(1) << nbits) - 1;
  return w;
}

void qv__union_child_of(const qv_data_type *t, int8_t child_of[128]) {
  memset(child_of, -1, 128);
  for (int32_t i = 0; i < t->n_children; i++) {
    int8_t code = t->type_codes[i];
    if (code >= 0) child_of[code] = (int8_t)i;
  }
}
