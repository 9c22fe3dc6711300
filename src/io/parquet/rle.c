/* The RLE / bit-packing hybrid encoding of Parquet (Encodings.md, RLE = 3):
 * a sequence of runs, each either a repeated value (header = count << 1,
 * then the value in ceil(width / 8) bytes) or bit-packed groups of 8 values
 * (header = groups << 1 | 1, then groups * width bytes). It carries
 * definition and repetition levels, dictionary indices and RLE-encoded
 * booleans. The decoder is incremental and hands out exactly the number of
 * values asked for: RLE runs are filled with memset-like loops, bit-packed
 * runs are unpacked 32 values at a time straight into the output, and a
 * 32-value buffer holds what a partial group leaves over. A bit-packed run
 * longer than the bytes left (a writer's last, padded run) is cut to the
 * values the bytes hold. Also here: the deprecated BIT_PACKED level encoding
 * (MSB first). */
#include <string.h>

#include "io/parquet/encodings.h"

void qv__pq_rle_init(qv_pq_rle *d, const uint8_t *data, int64_t size, int bit_width) {
  d->pos = data;
  d->end = data + size;
  d->bit_width = bit_width;
  d->rle_left = 0;
  d->rle_value = 0;
  d->packed_left = 0;
  d->buf_pos = d->buf_len = 0;
}

/* Reads the next run header. */
static qv_status next_run(qv_pq_rle *d, qv_error *err) {
  uint64_t header = 0;
  int shift = 0;
  for (;;) {
    if (d->pos >= d->end) return qv_error_set(err, QV_INVALID, "RLE data ends before its last value");
    uint8_t b = *d->pos++;
    if (shift > 35) return qv_error_set(err, QV_INVALID, "RLE run header is not a valid varint");
    header |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if (header & 1) {
    uint64_t values = (header >> 1) * 8;
    if (values == 0) return qv_error_set(err, QV_INVALID, "RLE bit-packed run of 0 values");
    /* Writers pad the last run; keep to what the bytes hold. */
    int64_t avail = d->bit_width ? (d->end - d->pos) * 8 / d->bit_width : (int64_t)values;
    if ((int64_t)values > avail) values = (uint64_t)avail;
    if (values == 0) return qv_error_set(err, QV_INVALID, "RLE bit-packed run without data");
    d->packed_left = (int64_t)values;
  } else {
    uint64_t count = header >> 1;
    if (count == 0) return qv_error_set(err, QV_INVALID, "RLE run of 0 values");
    int nbytes = (d->bit_width + 7) / 8;
    if (d->end - d->pos < nbytes) return qv_error_set(err, QV_INVALID, "RLE run value truncated");
    uint32_t v = 0;
    for (int i = 0; i < nbytes; i++) v |= (uint32_t)d->pos[i] << (8 * i);
    d->pos += nbytes;
    if (d->bit_width < 32 && (v >> d->bit_width) != 0)
      return qv_error_set(err, QV_INVALID, "RLE run value %u wider than %d bits", v, d->bit_width);
    d->rle_value = v;
    d->rle_left = (int64_t)count;
  }
  return QV_OK;
}

/* Refills buf with the next min(32, packed_left) bit-packed values. */
static void fill_buf(qv_pq_rle *d) {
  int w = d->bit_width;
  int64_t n = d->packed_left < 32 ? d->packed_left : 32;
  if (n == 32) {
    qv__pq_unpack32(d->pos, d->buf, w);
    d->pos += 4 * w;
  } else {
    qv__pq_unpack_tail(d->pos, d->buf, n, w);
    /* The rest of a group of 8 is padding. */
    d->pos += (n * w + 7) / 8;
  }
  d->packed_left -= n;
  d->buf_pos = 0;
  d->buf_len = (int)n;
}

qv_status qv__pq_rle_get(qv_pq_rle *d, uint32_t *out, int64_t n, qv_error *err) {
  while (n > 0) {
    if (d->buf_pos < d->buf_len) {
      int64_t k = d->buf_len - d->buf_pos;
      if (k > n) k = n;
      memcpy(out, d->buf + d->buf_pos, (size_t)k * sizeof *out);
      d->buf_pos += (int)k;
      out += k;
      n -= k;
    } else if (d->rle_left > 0) {
      int64_t k = d->rle_left < n ? d->rle_left : n;
      uint32_t v = d->rle_value;
      for (int64_t i = 0; i < k; i++) out[i] = v;
      d->rle_left -= k;
      out += k;
      n -= k;
    } else if (d->packed_left > 0) {
      int w = d->bit_width;
      while (n >= 32 && d->packed_left >= 32) {
        qv__pq_unpack32(d->pos, out, w);
        d->pos += 4 * w;
        d->packed_left -= 32;
        out += 32;
        n -= 32;
      }
      if (n > 0 && d->packed_left > 0) fill_buf(d);
    } else {
      QV_RETURN_NOT_OK(next_run(d, err));
    }
  }
  return QV_OK;
}

qv_status qv__pq_rle_get_levels(qv_pq_rle *d, uint8_t *out, int64_t n, int max_level, qv_error *err) {
  uint32_t tmp[256];
  while (n > 0) {
    if (d->buf_pos == d->buf_len && d->rle_left == 0 && d->packed_left == 0)
      QV_RETURN_NOT_OK(next_run(d, err));
    if (d->rle_left > 0 && d->buf_pos == d->buf_len) {
      if (d->rle_value > (uint32_t)max_level)
        return qv_error_set(err, QV_INVALID, "level %u exceeds the maximum %d", d->rle_value, max_level);
      int64_t k = d->rle_left < n ? d->rle_left : n;
      memset(out, (int)d->rle_value, (size_t)k);
      d->rle_left -= k;
      out += k;
      n -= k;
      continue;
    }
    /* Bit-packed values (or leftovers): through a small buffer. */
    int64_t k = n < 256 ? n : 256;
    int64_t avail = (d->buf_len - d->buf_pos) + d->packed_left;
    if (k > avail) k = avail;
    QV_RETURN_NOT_OK(qv__pq_rle_get(d, tmp, k, err));
    uint32_t bad = 0;
    for (int64_t i = 0; i < k; i++) {
      bad |= tmp[i] > (uint32_t)max_level;
      out[i] = (uint8_t)tmp[i];
    }
    if (bad) return qv_error_set(err, QV_INVALID, "level exceeds the maximum %d", max_level);
    out += k;
    n -= k;
  }
  return QV_OK;
}

qv_status qv__pq_bitpacked_levels(const uint8_t *data, int64_t size, int64_t skip, uint8_t *out, int64_t n,
                                  int max_level, qv_error *err) {
  int w = qv__pq_bit_width((uint64_t)max_level);
  if (w == 0) {
    memset(out, 0, (size_t)n);
    return QV_OK;
  }
  if ((skip + n) * w > size * 8)
    return qv_error_set(err, QV_INVALID, "BIT_PACKED levels need %lld bytes, the page has %lld",
                        (long long)(((skip + n) * w + 7) / 8), (long long)size);
  int64_t bit = skip * w;
  for (int64_t i = 0; i < n; i++) {
    unsigned v = 0;
    for (int b = 0; b < w; b++, bit++) v = (v << 1) | ((data[bit >> 3] >> (7 - (bit & 7))) & 1);
    if (v > (unsigned)max_level) return qv_error_set(err, QV_INVALID, "level %u exceeds the maximum %d", v, max_level);
    out[i] = (uint8_t)v;
  }
  return QV_OK;
}
