/* Parquet's delta encodings (Encodings.md):
 *
 *  - DELTA_BINARY_PACKED: a header (block size, miniblocks per block, value
 *    count, first value), then blocks of a min delta and per-miniblock bit
 *    widths followed by bit-packed deltas. Decoded incrementally, 32 deltas
 *    at a time with the specialised unpackers of bitpack.c, in wrapping
 *    unsigned arithmetic as the specification asks. Bit widths of miniblocks
 *    past the last value are ignored, and the last miniblock may be cut short.
 *  - DELTA_LENGTH_BYTE_ARRAY: the lengths (DELTA_BINARY_PACKED) then the
 *    concatenated bytes. The bytes start where the length stream ends, which
 *    a skipping pass over the block headers finds; lengths are then decoded
 *    a chunk at a time and the bytes of each chunk copied in bulk.
 *  - DELTA_BYTE_ARRAY: prefix lengths, then the suffixes as
 *    DELTA_LENGTH_BYTE_ARRAY; each value is the previous value's prefix plus
 *    its suffix. Also for FIXED_LEN_BYTE_ARRAY.
 *
 * Header fields are untrusted: block geometry is validated, nothing is
 * allocated in proportion to a stated value count, and lengths are checked
 * against the bytes present. */
#include <string.h>

#include "io/parquet/encodings.h"

static qv_status uvarint(const uint8_t **pos, const uint8_t *end, uint64_t *out, qv_error *err) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= end) return qv_error_set(err, QV_INVALID, "DELTA_BINARY_PACKED data truncated");
    uint8_t b = *(*pos)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return QV_OK;
    }
  }
  return qv_error_set(err, QV_INVALID, "DELTA_BINARY_PACKED varint longer than 10 bytes");
}

static uint64_t unzigzag(uint64_t v) { return (v >> 1) ^ (0 - (v & 1)); }

qv_status qv__pq_delta_init(qv_pq_delta *d, const uint8_t *data, int64_t size, int width_cap, qv_error *err) {
  memset(d, 0, sizeof *d);
  d->pos = data;
  d->end = data + size;
  d->width_cap = width_cap;
  uint64_t block, mini, total, first;
  QV_RETURN_NOT_OK(uvarint(&d->pos, d->end, &block, err));
  QV_RETURN_NOT_OK(uvarint(&d->pos, d->end, &mini, err));
  QV_RETURN_NOT_OK(uvarint(&d->pos, d->end, &total, err));
  QV_RETURN_NOT_OK(uvarint(&d->pos, d->end, &first, err));
  if (block == 0 || block % 128 != 0 || block > ((uint64_t)1 << 30) || mini == 0 || block % mini != 0 ||
      (block / mini) % 32 != 0)
    return qv_error_set(err, QV_INVALID,
                        "DELTA_BINARY_PACKED: invalid block size %llu with %llu miniblocks",
                        (unsigned long long)block, (unsigned long long)mini);
  if (total > (uint64_t)INT32_MAX)
    return qv_error_set(err, QV_INVALID, "DELTA_BINARY_PACKED: value count %llu out of range",
                        (unsigned long long)total);
  d->per_block = (int64_t)block;
  d->n_mini = (int64_t)mini;
  d->per_mini = (int64_t)(block / mini);
  d->total = (int64_t)total;
  d->last = unzigzag(first);
  d->mini = d->n_mini; /* no block read yet */
  return QV_OK;
}

/* Moves to the next miniblock (reading a block header when needed). */
static qv_status next_miniblock(qv_pq_delta *d, qv_error *err) {
  if (d->mini_end && d->pos < d->mini_end) d->pos = d->mini_end;
  d->mini++;
  if (d->mini >= d->n_mini) {
    uint64_t md;
    QV_RETURN_NOT_OK(uvarint(&d->pos, d->end, &md, err));
    d->min_delta = unzigzag(md);
    if (d->end - d->pos < d->n_mini)
      return qv_error_set(err, QV_INVALID, "DELTA_BINARY_PACKED: miniblock widths truncated");
    d->widths = d->pos;
    d->pos += d->n_mini;
    d->mini = 0;
  }
  int w = d->widths[d->mini];
  if (w > d->width_cap)
    return qv_error_set(err, QV_INVALID, "DELTA_BINARY_PACKED: miniblock bit width %d exceeds %d", w,
                        d->width_cap);
  int64_t bytes = d->per_mini / 8 * w;
  d->mini_end = d->end - d->pos < bytes ? d->end : d->pos + bytes; /* the last one may be cut */
  d->mini_left = d->per_mini;
  return QV_OK;
}

/* Decodes the next (up to) 32 values into buf. */
static qv_status fill(qv_pq_delta *d, qv_error *err) {
  if (d->mini_left == 0) QV_RETURN_NOT_OK(next_miniblock(d, err));
  int w = d->widths[d->mini];
  int64_t want = d->total - d->produced;
  if (want > 32) want = 32;
  if (want > d->mini_left) want = d->mini_left;
  uint64_t *deltas = d->buf;
  int64_t avail_bytes = d->mini_end - d->pos;
  if (avail_bytes >= 4 * w) {
    qv__pq_unpack32_64(d->pos, deltas, w);
    d->pos += 4 * w;
    d->mini_left -= 32; /* per_mini is a multiple of 32 */
  } else {
    /* Only the last values of a miniblock cut short get here. */
    if (w > 0 && avail_bytes * 8 < want * w)
      return qv_error_set(err, QV_INVALID, "DELTA_BINARY_PACKED: miniblock truncated");
    qv__pq_unpack_tail_64(d->pos, deltas, want, w);
    d->pos += (want * w + 7) / 8;
    d->mini_left = 0;
  }
  uint64_t last = d->last, md = d->min_delta;
  for (int64_t i = 0; i < want; i++) {
    last += md + deltas[i];
    d->buf[i] = last;
  }
  d->last = last;
  d->buf_pos = 0;
  d->buf_len = (int)want;
  return QV_OK;
}

/* Hands out n values as uint64 through `emit`. */
#define DELTA_GET(T)                                                                        \
  if (n > d->total - d->produced)                                                           \
    return qv_error_set(err, QV_INVALID, "DELTA_BINARY_PACKED: %lld values asked, %lld left", \
                        (long long)n, (long long)(d->total - d->produced));                  \
  while (n > 0) {                                                                           \
    if (d->produced == 0) {                                                                 \
      *out++ = (T)d->last;                                                                  \
      d->produced++;                                                                        \
      n--;                                                                                  \
      continue;                                                                             \
    }                                                                                       \
    if (d->buf_pos == d->buf_len) QV_RETURN_NOT_OK(fill(d, err));                            \
    int64_t k = d->buf_len - d->buf_pos;                                                    \
    if (k > n) k = n;                                                                       \
    for (int64_t i = 0; i < k; i++) out[i] = (T)d->buf[d->buf_pos + i];                     \
    d->buf_pos += (int)k;                                                                   \
    d->produced += k;                                                                       \
    out += k;                                                                               \
    n -= k;                                                                                 \
  }                                                                                         \
  return QV_OK;

qv_status qv__pq_delta_get32(qv_pq_delta *d, int32_t *out, int64_t n, qv_error *err) {
  DELTA_GET(int32_t)
}

qv_status qv__pq_delta_get64(qv_pq_delta *d, int64_t *out, int64_t n, qv_error *err) {
  DELTA_GET(int64_t)
}

const uint8_t *qv__pq_delta_end(const qv_pq_delta *d) {
  /* Past the last miniblock used: its padding counts, the rest of the
   * block's miniblocks do not exist. */
  return d->mini_end ? d->mini_end : d->pos;
}

qv_status qv__pq_delta_skip(const uint8_t *data, int64_t size, int width_cap, const uint8_t **end, int64_t *total,
                            qv_error *err) {
  qv_pq_delta d;
  QV_RETURN_NOT_OK(qv__pq_delta_init(&d, data, size, width_cap, err));
  int64_t left = d.total > 0 ? d.total - 1 : 0; /* the first value is in the header */
  const uint8_t *p = d.pos;
  while (left > 0) {
    uint64_t md;
    QV_RETURN_NOT_OK(uvarint(&p, d.end, &md, err));
    if (d.end - p < d.n_mini) return qv_error_set(err, QV_INVALID, "DELTA_BINARY_PACKED: miniblock widths truncated");
    const uint8_t *widths = p;
    p += d.n_mini;
    for (int64_t m = 0; m < d.n_mini && left > 0; m++) {
      if (widths[m] > width_cap)
        return qv_error_set(err, QV_INVALID, "DELTA_BINARY_PACKED: miniblock bit width %d exceeds %d", widths[m],
                            width_cap);
      int64_t bytes = d.per_mini / 8 * widths[m];
      int64_t values = left < d.per_mini ? left : d.per_mini;
      if (bytes > d.end - p) {
        /* Only the last miniblock may be cut short, down to its values. */
        if (left > d.per_mini || (values * widths[m] + 7) / 8 > d.end - p)
          return qv_error_set(err, QV_INVALID, "DELTA_BINARY_PACKED: miniblock truncated");
        bytes = d.end - p;
      }
      p += bytes;
      left -= values;
    }
  }
  *end = p;
  *total = d.total;
  return QV_OK;
}

/* ---- DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY ------------------------------- */

void qv__pq_delta_bytes_init(qv_pq_delta_bytes *d, qv_allocator *alloc) {
  memset(d, 0, sizeof *d);
  qv_bytes_init(&d->last, alloc);
}

void qv__pq_delta_bytes_reset(qv_pq_delta_bytes *d) { qv_bytes_reset(&d->last); }

qv_status qv__pq_delta_bytes_start(qv_pq_delta_bytes *d, const uint8_t *data, int64_t size, bool incremental,
                                   int32_t fixed_width, int64_t max_values, qv_error *err) {
  const uint8_t *end = data + size, *p = data;
  int64_t n_prefix = 0, n;
  d->incremental = incremental;
  d->fixed_width = fixed_width;
  d->next = 0;
  d->last.size = 0;
  if (incremental) {
    QV_RETURN_NOT_OK(qv__pq_delta_init(&d->prefix, p, end - p, 32, err));
    QV_RETURN_NOT_OK(qv__pq_delta_skip(p, end - p, 32, &p, &n_prefix, err));
  }
  QV_RETURN_NOT_OK(qv__pq_delta_init(&d->lengths, p, end - p, 32, err));
  QV_RETURN_NOT_OK(qv__pq_delta_skip(p, end - p, 32, &p, &n, err));
  if (incremental && n_prefix != n)
    return qv_error_set(err, QV_INVALID, "DELTA_BYTE_ARRAY: %lld prefix lengths but %lld suffixes",
                        (long long)n_prefix, (long long)n);
  if (n > max_values)
    return qv_error_set(err, QV_INVALID, "delta byte array of %lld values in a page of %lld", (long long)n,
                        (long long)max_values);
  d->n = n;
  d->data = p;
  d->data_end = end;
  return QV_OK;
}

#define LENGTH_CHUNK 1024

qv_status qv__pq_delta_bytes_get(qv_pq_delta_bytes *d, int64_t n, qv_pq_values *out, qv_error *err) {
  if (n > d->n - d->next)
    return qv_error_set(err, QV_INVALID, "delta byte array: %lld values asked, %lld left", (long long)n,
                        (long long)(d->n - d->next));
  int32_t len[LENGTH_CHUNK], pre[LENGTH_CHUNK];
  int32_t fw = d->fixed_width;
  while (n > 0) {
    int64_t k = n < LENGTH_CHUNK ? n : LENGTH_CHUNK;
    QV_RETURN_NOT_OK(qv__pq_delta_get32(&d->lengths, len, k, err));
    if (d->incremental) QV_RETURN_NOT_OK(qv__pq_delta_get32(&d->prefix, pre, k, err));
    int64_t total = 0;
    int32_t neg = 0;
    for (int64_t i = 0; i < k; i++) {
      neg |= len[i];
      total += len[i];
      if (d->incremental) neg |= pre[i];
    }
    if (neg < 0) return qv_error_set(err, QV_INVALID, "delta byte array: negative length");
    if (total > d->data_end - d->data)
      return qv_error_set(err, QV_INVALID, "delta byte array: lengths run past the page's bytes");
    if (!d->incremental) {
      /* DELTA_LENGTH_BYTE_ARRAY: offsets from the lengths, bytes in one copy. */
      if (fw) {
        for (int64_t i = 0; i < k; i++)
          if (len[i] != fw) return qv_error_set(err, QV_INVALID, "value of %d bytes in a column of width %d", len[i], fw);
      } else {
        QV_RETURN_NOT_OK(qv_bytes_reserve(&out->offsets, k * 4, err));
        int32_t *off = (int32_t *)(out->offsets.data + out->offsets.size);
        int64_t acc = out->data.size;
        if (acc + total > INT32_MAX)
          return qv_error_set(err, QV_NOT_IMPLEMENTED, "binary data of one batch exceeds 2 GiB; use a smaller batch size");
        for (int64_t i = 0; i < k; i++) {
          acc += len[i];
          off[i] = (int32_t)acc;
        }
        out->offsets.size += k * 4;
      }
      QV_RETURN_NOT_OK(qv_bytes_append(&out->data, d->data, total, err));
      d->data += total;
    } else {
      /* DELTA_BYTE_ARRAY: the previous value's prefix, then the suffix. */
      if (!fw) QV_RETURN_NOT_OK(qv_bytes_reserve(&out->offsets, k * 4, err));
      for (int64_t i = 0; i < k; i++) {
        int64_t p = pre[i], s = len[i];
        if (p > d->last.size)
          return qv_error_set(err, QV_INVALID, "DELTA_BYTE_ARRAY: prefix of %lld bytes after a value of %lld",
                              (long long)p, (long long)d->last.size);
        if (fw && p + s != fw)
          return qv_error_set(err, QV_INVALID, "value of %lld bytes in a column of width %d", (long long)(p + s), fw);
        d->last.size = p;
        QV_RETURN_NOT_OK(qv_bytes_append(&d->last, d->data, s, err));
        d->data += s;
        QV_RETURN_NOT_OK(qv_bytes_append(&out->data, d->last.data, d->last.size, err));
        if (!fw) {
          if (out->data.size > INT32_MAX)
            return qv_error_set(err, QV_NOT_IMPLEMENTED, "binary data of one batch exceeds 2 GiB; use a smaller batch size");
          int32_t o = (int32_t)out->data.size;
          memcpy(out->offsets.data + out->offsets.size, &o, 4);
          out->offsets.size += 4;
        }
      }
    }
    d->next += k;
    out->count += k;
    n -= k;
  }
  return QV_OK;
}
