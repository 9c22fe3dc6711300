/* Page decompression for every Parquet codec Quiver reads: SNAPPY
 * (snappy-c), GZIP (zlib, gzip or zlib headers, several concatenated
 * members), BROTLI (libbrotlidec), ZSTD (one or more frames), LZ4_RAW (an LZ4
 * block) and the deprecated LZ4, which Hadoop wrote as a sequence of blocks
 * each prefixed by big-endian decompressed and compressed sizes, and some
 * older writers as one bare LZ4 block: the Hadoop framing is tried first,
 * then the bare block.
 *
 * The caller allocates exactly the page's declared uncompressed size (after
 * checking it against its limit); every codec must fill it exactly, so a page
 * that lies about its size fails instead of over- or under-running. */
#include "io/parquet/compression.h"

#include <brotli/decode.h>
#include <lz4.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

void qv__pq_codec_ctx_init(qv_pq_codec_ctx *ctx) { ctx->zstd = NULL; }

void qv__pq_codec_ctx_reset(qv_pq_codec_ctx *ctx) {
  if (ctx->zstd) ZSTD_freeDCtx(ctx->zstd);
  ctx->zstd = NULL;
}

static qv_status size_mismatch(const char *codec, int64_t got, int64_t expected, qv_error *err) {
  return qv_error_set(err, QV_INVALID, "%s data decompresses to %lld bytes, the page header says %lld", codec,
                      (long long)got, (long long)expected);
}

static qv_status gunzip(const uint8_t *src, int64_t n, uint8_t *dst, int64_t expected, qv_error *err) {
  z_stream z;
  memset(&z, 0, sizeof z);
  /* 15 + 32: a gzip or zlib header, detected automatically. */
  if (inflateInit2(&z, 15 + 32) != Z_OK) return qv_error_set(err, QV_NOMEM, "GZIP: cannot initialise zlib");
  z.next_in = (Bytef *)src;
  int64_t in_left = n, out_pos = 0;
  qv_status st = QV_OK;
  for (;;) {
    uInt in_chunk = in_left > (int64_t)UINT32_MAX ? UINT32_MAX : (uInt)in_left;
    int64_t out_room = expected - out_pos;
    uInt out_chunk = out_room > (int64_t)UINT32_MAX ? UINT32_MAX : (uInt)out_room;
    z.avail_in = in_chunk;
    z.next_out = dst + out_pos;
    z.avail_out = out_chunk;
    int rc = inflate(&z, Z_NO_FLUSH);
    in_left -= in_chunk - z.avail_in;
    out_pos += out_chunk - z.avail_out;
    if (rc == Z_STREAM_END) {
      if (in_left == 0) break;
      /* Another gzip member follows. */
      if (inflateReset(&z) != Z_OK) {
        st = qv_error_set(err, QV_INVALID, "GZIP: cannot restart for the next member");
        break;
      }
      continue;
    }
    if (rc == Z_OK) continue; /* progress was made */
    if (rc == Z_BUF_ERROR && out_pos == expected)
      st = qv_error_set(err, QV_INVALID, "GZIP data decompresses to more than the %lld bytes the page header says",
                        (long long)expected);
    else if (rc == Z_BUF_ERROR)
      st = qv_error_set(err, QV_INVALID, "GZIP data is truncated");
    else
      st = qv_error_set(err, QV_INVALID, "GZIP data is corrupt (%s)", z.msg ? z.msg : "bad data");
    break;
  }
  inflateEnd(&z);
  if (st == QV_OK && out_pos != expected) st = size_mismatch("GZIP", out_pos, expected, err);
  return st;
}

static uint32_t load_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop's framing: blocks of [be32 decompressed][be32 compressed][data].
 * False when the input does not follow it exactly. */
static bool lz4_hadoop(const uint8_t *src, int64_t n, uint8_t *dst, int64_t expected) {
  int64_t in = 0, out = 0;
  while (in < n) {
    if (n - in < 8) return false;
    uint32_t dsize = load_be32(src + in), csize = load_be32(src + in + 4);
    in += 8;
    if (csize > n - in || dsize > expected - out || csize > INT32_MAX || dsize > INT32_MAX) return false;
    int got = LZ4_decompress_safe((const char *)src + in, (char *)dst + out, (int)csize, (int)dsize);
    if (got < 0 || (uint32_t)got != dsize) return false;
    in += csize;
    out += dsize;
  }
  return out == expected;
}

qv_status qv__pq_decompress_precheck(int codec, const uint8_t *src, int64_t n, int64_t expected, qv_error *err) {
  /* The most a byte of input can expand to: 255 for LZ4 (a match of up to
   * 255 extra bytes per length byte), 1032 for deflate. */
  int64_t ratio = 0;
  switch (codec) {
    case QV_PARQUET_SNAPPY: {
      size_t len;
      if (snappy_uncompressed_length((const char *)src, (size_t)n, &len) != SNAPPY_OK)
        return qv_error_set(err, QV_INVALID, "SNAPPY data is corrupt (bad length header)");
      if ((int64_t)len != expected) return size_mismatch("SNAPPY", (int64_t)len, expected, err);
      return QV_OK;
    }
    case QV_PARQUET_ZSTD: {
      unsigned long long size = ZSTD_getFrameContentSize(src, (size_t)n);
      if (size == ZSTD_CONTENTSIZE_ERROR) return qv_error_set(err, QV_INVALID, "ZSTD data is corrupt (bad frame header)");
      if (size != ZSTD_CONTENTSIZE_UNKNOWN && size > (unsigned long long)expected)
        return size_mismatch("ZSTD", (int64_t)size, expected, err);
      return QV_OK;
    }
    case QV_PARQUET_LZ4:
    case QV_PARQUET_LZ4_RAW: ratio = 255; break;
    case QV_PARQUET_GZIP: ratio = 1032; break;
    default: return QV_OK;
  }
  if (expected > (n + 1) * ratio + 64)
    return qv_error_set(err, QV_INVALID, "%lld compressed bytes cannot hold the %lld bytes the page header says",
                        (long long)n, (long long)expected);
  return QV_OK;
}

qv_status qv__pq_decompress(qv_pq_codec_ctx *ctx, int codec, const uint8_t *src, int64_t n, uint8_t *dst,
                            int64_t expected, qv_error *err) {
  switch (codec) {
    case QV_PARQUET_UNCOMPRESSED:
      if (n != expected) return size_mismatch("UNCOMPRESSED", n, expected, err);
      memcpy(dst, src, (size_t)n);
      return QV_OK;
    case QV_PARQUET_SNAPPY: {
      size_t len;
      if (snappy_uncompressed_length((const char *)src, (size_t)n, &len) != SNAPPY_OK)
        return qv_error_set(err, QV_INVALID, "SNAPPY data is corrupt (bad length header)");
      if ((int64_t)len != expected) return size_mismatch("SNAPPY", (int64_t)len, expected, err);
      if (snappy_uncompress((const char *)src, (size_t)n, (char *)dst, &len) != SNAPPY_OK || (int64_t)len != expected)
        return qv_error_set(err, QV_INVALID, "SNAPPY data is corrupt");
      return QV_OK;
    }
    case QV_PARQUET_GZIP: return gunzip(src, n, dst, expected, err);
    case QV_PARQUET_BROTLI: {
      size_t len = (size_t)expected;
      BrotliDecoderResult r = BrotliDecoderDecompress((size_t)n, src, &len, dst);
      if (r != BROTLI_DECODER_RESULT_SUCCESS)
        return qv_error_set(err, QV_INVALID, "BROTLI data is corrupt or decompresses to more than %lld bytes",
                            (long long)expected);
      if ((int64_t)len != expected) return size_mismatch("BROTLI", (int64_t)len, expected, err);
      return QV_OK;
    }
    case QV_PARQUET_ZSTD: {
      if (!ctx->zstd && !(ctx->zstd = ZSTD_createDCtx()))
        return qv_error_set(err, QV_NOMEM, "ZSTD: cannot create a context");
      size_t r = ZSTD_decompressDCtx(ctx->zstd, dst, (size_t)expected, src, (size_t)n);
      if (ZSTD_isError(r)) return qv_error_set(err, QV_INVALID, "ZSTD data is corrupt (%s)", ZSTD_getErrorName(r));
      if ((int64_t)r != expected) return size_mismatch("ZSTD", (int64_t)r, expected, err);
      return QV_OK;
    }
    case QV_PARQUET_LZ4_RAW: {
      if (n > INT32_MAX || expected > INT32_MAX) return qv_error_set(err, QV_INVALID, "LZ4_RAW page too large");
      int got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)expected);
      if (got < 0) return qv_error_set(err, QV_INVALID, "LZ4_RAW data is corrupt");
      if (got != expected) return size_mismatch("LZ4_RAW", got, expected, err);
      return QV_OK;
    }
    case QV_PARQUET_LZ4: {
      if (n > INT32_MAX || expected > INT32_MAX) return qv_error_set(err, QV_INVALID, "LZ4 page too large");
      if (lz4_hadoop(src, n, dst, expected)) return QV_OK;
      int got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)expected);
      if (got < 0) return qv_error_set(err, QV_INVALID, "LZ4 data is corrupt (neither Hadoop-framed nor a raw block)");
      if (got != expected) return size_mismatch("LZ4", got, expected, err);
      return QV_OK;
    }
    case QV_PARQUET_LZO: return qv_error_set(err, QV_NOT_IMPLEMENTED, "the LZO codec is not supported");
    default: return qv_error_set(err, QV_NOT_IMPLEMENTED, "unknown compression codec %d", codec);
  }
}
