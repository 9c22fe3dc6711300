/* PLAIN and BYTE_STREAM_SPLIT values, RLE booleans, and dictionaries.
 *
 * PLAIN fixed-width values are copied in bulk (the page bytes are the
 * values); PLAIN booleans are a bitmap copied bit-range to bit-range; PLAIN
 * byte arrays (length-prefixed) are scanned once to build the offsets and
 * check every length, then their bytes are copied. BYTE_STREAM_SPLIT
 * transposes K streams back into K-byte values, with dedicated loops for 4
 * and 8 bytes. A dictionary page is decoded once into physical values;
 * data pages then gather from it by index, 1024 indices at a time: the
 * indices are range-checked as a block (one max per block), then fixed-width
 * values are copied with typed loads and byte arrays in two passes (lengths
 * into offsets, then the bytes). */
#include <string.h>

#include "io/parquet/encodings.h"
#include "io/parquet/metadata.h"

void qv__pq_values_init(qv_pq_values *v, qv_allocator *alloc, int32_t width) {
  qv_bytes_init(&v->data, alloc);
  qv_bytes_init(&v->offsets, alloc);
  v->count = 0;
  v->width = width;
}

void qv__pq_values_reset(qv_pq_values *v) {
  qv_bytes_reset(&v->data);
  qv_bytes_reset(&v->offsets);
  v->count = 0;
}

void qv__pq_values_clear(qv_pq_values *v) {
  v->data.size = 0;
  v->offsets.size = 0;
  v->count = 0;
}

qv_status qv__pq_values_start(qv_pq_values *v, qv_error *err) {
  if (v->width != 0 || v->offsets.size > 0) return QV_OK;
  int32_t zero = 0;
  return qv_bytes_append(&v->offsets, &zero, 4, err);
}

int32_t qv__pq_physical_width(int32_t physical_type, int32_t type_length) {
  switch (physical_type) {
    case QV_PARQUET_BOOLEAN: return -1;
    case QV_PARQUET_INT32:
    case QV_PARQUET_FLOAT: return 4;
    case QV_PARQUET_INT64:
    case QV_PARQUET_DOUBLE: return 8;
    case QV_PARQUET_INT96: return 12;
    case QV_PARQUET_BYTE_ARRAY: return 0;
    default: return type_length;
  }
}

void qv__pq_copy_bits(uint8_t *dst, int64_t dst_off, const uint8_t *src, int64_t src_off, int64_t n) {
  if ((dst_off & 7) == 0 && (src_off & 7) == 0) {
    int64_t bytes = n >> 3;
    memcpy(dst + (dst_off >> 3), src + (src_off >> 3), (size_t)bytes);
    dst_off += bytes * 8;
    src_off += bytes * 8;
    n -= bytes * 8;
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t s = src_off + i, d = dst_off + i;
    uint8_t bit = (uint8_t)((src[s >> 3] >> (s & 7)) & 1);
    dst[d >> 3] = (uint8_t)((dst[d >> 3] & ~(1u << (d & 7))) | (unsigned)(bit << (d & 7)));
  }
}

/* Makes room for n more bits in a bitmap vector of `count` bits. */
static qv_status reserve_bits(qv_pq_values *out, int64_t n, qv_error *err) {
  int64_t need = (out->count + n + 7) / 8;
  if (need > out->data.size) {
    QV_RETURN_NOT_OK(qv_bytes_reserve(&out->data, need - out->data.size, err));
    memset(out->data.data + out->data.size, 0, (size_t)(need - out->data.size));
    out->data.size = need;
  }
  return QV_OK;
}

/* ---- PLAIN ------------------------------------------------------------------- */

void qv__pq_plain_init(qv_pq_plain *p, const uint8_t *data, int64_t size) {
  memset(p, 0, sizeof *p);
  p->pos = data;
  p->end = data + size;
  p->base = data;
}

static qv_status plain_byte_arrays(qv_pq_plain *p, int64_t n, qv_pq_values *out, qv_error *err) {
  QV_RETURN_NOT_OK(qv__pq_values_start(out, err));
  QV_RETURN_NOT_OK(qv_bytes_reserve(&out->offsets, n * 4, err));
  int32_t *off = (int32_t *)(out->offsets.data + out->offsets.size);
  /* Pass 1: lengths into offsets, every length checked against the page. */
  const uint8_t *q = p->pos, *end = p->end;
  int64_t acc = out->data.size, total = 0;
  for (int64_t i = 0; i < n; i++) {
    if (end - q < 4) return qv_error_set(err, QV_INVALID, "PLAIN byte array %lld of %lld truncated", (long long)i, (long long)n);
    uint32_t len;
    memcpy(&len, q, 4);
    q += 4;
    if (len > (uint64_t)(end - q))
      return qv_error_set(err, QV_INVALID, "PLAIN byte array of %u bytes runs past the page", len);
    q += len;
    acc += len;
    total += len;
    if (acc > INT32_MAX)
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "binary data of one batch exceeds 2 GiB; use a smaller batch size");
    off[i] = (int32_t)acc;
  }
  /* Pass 2: the bytes. */
  QV_RETURN_NOT_OK(qv_bytes_reserve(&out->data, total + 16, err));
  uint8_t *dst = out->data.data + out->data.size;
  q = p->pos;
  for (int64_t i = 0; i < n; i++) {
    uint32_t len;
    memcpy(&len, q, 4);
    /* Short values in one fixed-size move while the page has the bytes. */
    if (len <= 16 && end - (q + 4) >= 16) memcpy(dst, q + 4, 16);
    else memcpy(dst, q + 4, len);
    dst += len;
    q += 4 + len;
  }
  p->pos = q;
  out->data.size += total;
  out->offsets.size += n * 4;
  out->count += n;
  return QV_OK;
}

qv_status qv__pq_plain_get(qv_pq_plain *p, int64_t n, qv_pq_values *out, qv_error *err) {
  if (n <= 0) return QV_OK;
  if (out->width == 0) return plain_byte_arrays(p, n, out, err);
  if (out->width < 0) { /* booleans: a bitmap */
    int64_t avail = (p->end - p->pos) * 8 - p->bit;
    if (n > avail)
      return qv_error_set(err, QV_INVALID, "PLAIN booleans: %lld values asked, the page holds %lld",
                          (long long)n, (long long)avail);
    QV_RETURN_NOT_OK(reserve_bits(out, n, err));
    qv__pq_copy_bits(out->data.data, out->count, p->pos, p->bit, n);
    p->bit += n;
    p->pos += p->bit >> 3;
    p->bit &= 7;
    out->count += n;
    return QV_OK;
  }
  int64_t bytes = n * out->width;
  if (bytes > p->end - p->pos)
    return qv_error_set(err, QV_INVALID, "PLAIN values: %lld values of %d bytes asked, the page has %lld bytes",
                        (long long)n, out->width, (long long)(p->end - p->pos));
  QV_RETURN_NOT_OK(qv_bytes_append(&out->data, p->pos, bytes, err));
  p->pos += bytes;
  out->count += n;
  return QV_OK;
}

/* ---- BYTE_STREAM_SPLIT --------------------------------------------------------- */

qv_status qv__pq_bss_init(qv_pq_plain *p, const uint8_t *data, int64_t size, int32_t width, qv_error *err) {
  qv__pq_plain_init(p, data, size);
  if (width <= 0 || size % width != 0)
    return qv_error_set(err, QV_INVALID, "BYTE_STREAM_SPLIT section of %lld bytes is not a multiple of %d",
                        (long long)size, width);
  p->stream_len = size / width;
  return QV_OK;
}

qv_status qv__pq_bss_get(qv_pq_plain *p, int64_t n, qv_pq_values *out, qv_error *err) {
  int32_t w = out->width;
  if (n > p->stream_len - p->next)
    return qv_error_set(err, QV_INVALID, "BYTE_STREAM_SPLIT: %lld values asked, %lld left", (long long)n,
                        (long long)(p->stream_len - p->next));
  QV_RETURN_NOT_OK(qv_bytes_reserve(&out->data, n * w, err));
  uint8_t *dst = out->data.data + out->data.size;
  const uint8_t *src = p->base + p->next;
  int64_t stride = p->stream_len;
  if (w == 4) {
    const uint8_t *s0 = src, *s1 = src + stride, *s2 = src + 2 * stride, *s3 = src + 3 * stride;
    for (int64_t i = 0; i < n; i++) {
      uint32_t v = (uint32_t)s0[i] | (uint32_t)s1[i] << 8 | (uint32_t)s2[i] << 16 | (uint32_t)s3[i] << 24;
      memcpy(dst + 4 * i, &v, 4);
    }
  } else if (w == 8) {
    for (int64_t i = 0; i < n; i++) {
      uint64_t v = 0;
      for (int b = 0; b < 8; b++) v |= (uint64_t)src[b * stride + i] << (8 * b);
      memcpy(dst + 8 * i, &v, 8);
    }
  } else {
    for (int32_t b = 0; b < w; b++) {
      const uint8_t *s = src + b * stride;
      for (int64_t i = 0; i < n; i++) dst[i * w + b] = s[i];
    }
  }
  out->data.size += n * w;
  out->count += n;
  p->next += n;
  return QV_OK;
}

/* ---- RLE booleans ----------------------------------------------------------------- */

qv_status qv__pq_rle_bools_get(qv_pq_rle *d, int64_t n, qv_pq_values *out, qv_error *err) {
  QV_RETURN_NOT_OK(reserve_bits(out, n, err));
  uint32_t tmp[1024];
  uint8_t *bits = out->data.data;
  while (n > 0) {
    int64_t k = n < 1024 ? n : 1024;
    QV_RETURN_NOT_OK(qv__pq_rle_get(d, tmp, k, err));
    for (int64_t i = 0; i < k; i++) {
      int64_t b = out->count + i;
      if (tmp[i]) bits[b >> 3] |= (uint8_t)(1u << (b & 7));
      else bits[b >> 3] &= (uint8_t)~(1u << (b & 7));
    }
    out->count += k;
    n -= k;
  }
  return QV_OK;
}

/* ---- dictionaries ------------------------------------------------------------------- */

qv_status qv__pq_dict_decode(qv_pq_dict *d, const uint8_t *data, int64_t size, int64_t n, qv_error *err) {
  qv__pq_values_clear(&d->values);
  d->count = 0;
  if (n < 0) return qv_error_set(err, QV_INVALID, "dictionary of %lld values", (long long)n);
  /* Every value takes at least one bit (booleans), a byte, or 4 bytes. */
  int32_t w = d->values.width;
  int64_t bound = w < 0 ? size * 8 : w == 0 ? size / 4 : size / w;
  if (n > bound)
    return qv_error_set(err, QV_INVALID, "dictionary page of %lld bytes cannot hold %lld values", (long long)size,
                        (long long)n);
  qv_pq_plain p;
  qv__pq_plain_init(&p, data, size);
  if (w >= 0) {
    QV_RETURN_NOT_OK(qv__pq_values_start(&d->values, err));
    QV_RETURN_NOT_OK(qv__pq_plain_get(&p, n, &d->values, err));
    /* Readable slack for the gather's fixed-size copies of short values. */
    QV_RETURN_NOT_OK(qv_bytes_reserve(&d->values.data, 16, err));
    memset(d->values.data.data + d->values.data.size, 0, 16);
  } else {
    /* Booleans: one byte per entry, for a simple gather. */
    QV_RETURN_NOT_OK(qv_bytes_reserve(&d->values.data, n, err));
    for (int64_t i = 0; i < n; i++) d->values.data.data[i] = (data[i >> 3] >> (i & 7)) & 1;
    d->values.data.size = n;
    d->values.count = n;
  }
  d->count = n;
  return QV_OK;
}

#define GATHER_CHUNK 1024

qv_status qv__pq_dict_gather(const qv_pq_dict *d, qv_pq_rle *indices, int64_t n, qv_pq_values *out,
                             qv_error *err) {
  uint32_t idx[GATHER_CHUNK];
  int32_t w = out->width;
  const uint8_t *dv = d->values.data.data;
  const int32_t *doff = (const int32_t *)d->values.offsets.data;
  if (w < 0) QV_RETURN_NOT_OK(reserve_bits(out, n, err));
  else if (w > 0) QV_RETURN_NOT_OK(qv_bytes_reserve(&out->data, n * w, err));
  else {
    QV_RETURN_NOT_OK(qv__pq_values_start(out, err));
    QV_RETURN_NOT_OK(qv_bytes_reserve(&out->offsets, n * 4, err));
  }
  while (n > 0) {
    int64_t k = n < GATHER_CHUNK ? n : GATHER_CHUNK;
    QV_RETURN_NOT_OK(qv__pq_rle_get(indices, idx, k, err));
    uint32_t max = 0;
    for (int64_t i = 0; i < k; i++) max = idx[i] > max ? idx[i] : max;
    if ((int64_t)max >= d->count)
      return qv_error_set(err, QV_INVALID, "dictionary index %u out of range (the dictionary has %lld values)", max,
                          (long long)d->count);
    if (w == 4) {
      const uint32_t *src = (const uint32_t *)dv;
      uint32_t *dst = (uint32_t *)(out->data.data + out->data.size);
      for (int64_t i = 0; i < k; i++) dst[i] = src[idx[i]];
      out->data.size += k * 4;
    } else if (w == 8) {
      const uint64_t *src = (const uint64_t *)dv;
      uint64_t *dst = (uint64_t *)(out->data.data + out->data.size);
      for (int64_t i = 0; i < k; i++) dst[i] = src[idx[i]];
      out->data.size += k * 8;
    } else if (w > 0) {
      uint8_t *dst = out->data.data + out->data.size;
      for (int64_t i = 0; i < k; i++) memcpy(dst + i * w, dv + (int64_t)idx[i] * w, (size_t)w);
      out->data.size += k * w;
    } else if (w < 0) {
      uint8_t *bits = out->data.data;
      for (int64_t i = 0; i < k; i++) {
        int64_t b = out->count + i;
        if (dv[idx[i]]) bits[b >> 3] |= (uint8_t)(1u << (b & 7));
        else bits[b >> 3] &= (uint8_t)~(1u << (b & 7));
      }
    } else {
      /* Byte arrays: offsets first (which gives the size), then the bytes. */
      int32_t *off = (int32_t *)(out->offsets.data + out->offsets.size);
      int64_t acc = out->data.size;
      for (int64_t i = 0; i < k; i++) {
        acc += doff[idx[i] + 1] - doff[idx[i]];
        off[i] = (int32_t)acc;
        if (acc > INT32_MAX)
          return qv_error_set(err, QV_NOT_IMPLEMENTED, "binary data of one batch exceeds 2 GiB; use a smaller batch size");
      }
      /* 16 bytes of slack on both sides let short values (most strings) be
       * copied with one fixed-size move instead of a memcpy call each. */
      QV_RETURN_NOT_OK(qv_bytes_reserve(&out->data, acc - out->data.size + 16, err));
      uint8_t *dst = out->data.data + out->data.size;
      for (int64_t i = 0; i < k; i++) {
        int32_t s = doff[idx[i]], len = doff[idx[i] + 1] - s;
        if (len <= 16) memcpy(dst, dv + s, 16);
        else memcpy(dst, dv + s, (size_t)len);
        dst += len;
      }
      out->data.size = acc;
      out->offsets.size += k * 4;
    }
    out->count += k;
    n -= k;
  }
  return QV_OK;
}
