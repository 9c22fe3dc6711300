/* Bitmap helpers over Arrow's LSB-first validity and boolean bitmaps. */
#include <string.h>

#include "quiver/array.h"

int64_t qv_bitmap_count_set(const uint8_t *bits, int64_t offset, int64_t length) {
  int64_t count = 0, i = offset, end = offset + length;
  /* Head bits up to a byte boundary, whole 64-bit words, then the tail. */
  while (i < end && (i & 7)) count += qv_bit_get(bits, i++);
  while (end - i >= 64) {
    uint64_t w;
    memcpy(&w, bits + (i >> 3), 8);
    count += __builtin_popcountll(w);
    i += 64;
  }
  while (end - i >= 8) {
    count += __builtin_popcount(bits[i >> 3]);
    i += 8;
  }
  while (i < end) count += qv_bit_get(bits, i++);
  return count;
}
