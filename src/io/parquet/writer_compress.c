/* Page compression for the Parquet writer: SNAPPY (snappy-c), GZIP (zlib
 * with a gzip header, one member per page), BROTLI, ZSTD (one frame per
 * page, its content size recorded), LZ4_RAW (one LZ4 block) and the
 * deprecated LZ4, written the way Hadoop and Arrow write it: one block
 * prefixed by its big-endian decompressed and compressed sizes. The ZSTD
 * context and the zlib stream live as long as the writer, so that pages do
 * not pay for their setup. Levels: 0 means the codec's default (ZSTD 1 and
 * BROTLI 8 as in Arrow, GZIP zlib's 6). */
#include <brotli/encode.h>
#include <lz4.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "io/parquet/writer_internal.h"

qv_status qv__pqw_compressor_init(qv_pqw_compressor *c, int codec, int level, qv_error *err) {
  memset(c, 0, sizeof *c);
  switch (codec) {
    case QV_PARQUET_UNCOMPRESSED: case QV_PARQUET_SNAPPY: case QV_PARQUET_GZIP: case QV_PARQUET_BROTLI:
    case QV_PARQUET_ZSTD: case QV_PARQUET_LZ4: case QV_PARQUET_LZ4_RAW: break;
    default:
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "parquet: cannot write with codec %s (%d)",
                          qv_parquet_codec_name((qv_parquet_codec)codec), codec);
  }
  c->codec = codec;
  c->level = level;
  return QV_OK;
}

void qv__pqw_compressor_reset(qv_pqw_compressor *c) {
  if (c->zstd) ZSTD_freeCCtx(c->zstd);
  if (c->zlib) {
    deflateEnd(c->zlib);
    free(c->zlib);
  }
  c->zstd = NULL;
  c->zlib = NULL;
}

static qv_status room(qv_bytes *out, int64_t n, qv_error *err) {
  out->size = 0;
  return qv_bytes_reserve(out, n, err);
}

static qv_status gzip(qv_pqw_compressor *c, const uint8_t *src, int64_t n, qv_bytes *out, qv_error *err) {
  z_stream *z = c->zlib;
  if (!z) {
    z = calloc(1, sizeof *z);
    if (!z) return qv_error_set(err, QV_NOMEM, "parquet: out of memory for GZIP");
    int level = c->level ? c->level : Z_DEFAULT_COMPRESSION;
    /* 15 + 16: a gzip header and trailer around the deflate stream. */
    if (deflateInit2(z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      free(z);
      return qv_error_set(err, QV_NOMEM, "parquet: cannot initialise zlib");
    }
    c->zlib = z;
  } else if (deflateReset(z) != Z_OK) {
    return qv_error_set(err, QV_INTERNAL, "parquet: zlib cannot reset its stream");
  }
  if (n > UINT32_MAX / 2) return qv_error_set(err, QV_INVALID, "parquet: GZIP page of %lld bytes", (long long)n);
  int64_t bound = (int64_t)deflateBound(z, (uLong)n);
  QV_RETURN_NOT_OK(room(out, bound, err));
  z->next_in = (Bytef *)src;
  z->avail_in = (uInt)n;
  z->next_out = out->data;
  z->avail_out = (uInt)bound;
  if (deflate(z, Z_FINISH) != Z_STREAM_END) return qv_error_set(err, QV_INTERNAL, "parquet: zlib deflate failed");
  out->size = bound - z->avail_out;
  return QV_OK;
}

qv_status qv__pqw_compress(qv_pqw_compressor *c, const uint8_t *src, int64_t n, qv_bytes *out, qv_error *err) {
  switch (c->codec) {
    case QV_PARQUET_SNAPPY: {
      size_t cap = snappy_max_compressed_length((size_t)n);
      QV_RETURN_NOT_OK(room(out, (int64_t)cap, err));
      if (snappy_compress((const char *)src, (size_t)n, (char *)out->data, &cap) != SNAPPY_OK)
        return qv_error_set(err, QV_INTERNAL, "parquet: snappy compression failed");
      out->size = (int64_t)cap;
      return QV_OK;
    }
    case QV_PARQUET_GZIP: return gzip(c, src, n, out, err);
    case QV_PARQUET_BROTLI: {
      size_t cap = BrotliEncoderMaxCompressedSize((size_t)n);
      if (cap == 0) cap = (size_t)n + 1024;
      QV_RETURN_NOT_OK(room(out, (int64_t)cap, err));
      int quality = c->level ? c->level : 8;
      if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, (size_t)n, src, &cap, out->data))
        return qv_error_set(err, QV_INTERNAL, "parquet: brotli compression failed");
      out->size = (int64_t)cap;
      return QV_OK;
    }
    case QV_PARQUET_ZSTD: {
      if (!c->zstd && !(c->zstd = ZSTD_createCCtx()))
        return qv_error_set(err, QV_NOMEM, "parquet: cannot create a ZSTD context");
      size_t cap = ZSTD_compressBound((size_t)n);
      QV_RETURN_NOT_OK(room(out, (int64_t)cap, err));
      size_t r = ZSTD_compressCCtx(c->zstd, out->data, cap, src, (size_t)n, c->level ? c->level : 1);
      if (ZSTD_isError(r)) return qv_error_set(err, QV_INTERNAL, "parquet: ZSTD: %s", ZSTD_getErrorName(r));
      out->size = (int64_t)r;
      return QV_OK;
    }
    case QV_PARQUET_LZ4_RAW:
    case QV_PARQUET_LZ4: {
      if (n > LZ4_MAX_INPUT_SIZE) return qv_error_set(err, QV_INVALID, "parquet: LZ4 page of %lld bytes", (long long)n);
      int prefix = c->codec == QV_PARQUET_LZ4 ? 8 : 0;
      int cap = LZ4_compressBound((int)n);
      QV_RETURN_NOT_OK(room(out, cap + prefix, err));
      int got = LZ4_compress_default((const char *)src, (char *)out->data + prefix, (int)n, cap);
      if (got <= 0 && n > 0) return qv_error_set(err, QV_INTERNAL, "parquet: LZ4 compression failed");
      if (prefix) {
        uint32_t sizes[2] = {(uint32_t)n, (uint32_t)got};
        for (int k = 0; k < 2; k++)
          for (int b = 0; b < 4; b++) out->data[4 * k + b] = (uint8_t)(sizes[k] >> (24 - 8 * b));
      }
      out->size = got + prefix;
      return QV_OK;
    }
    default: /* UNCOMPRESSED: callers do not compress */
      QV_RETURN_NOT_OK(room(out, n, err));
      memcpy(out->data, src, (size_t)n);
      out->size = n;
      return QV_OK;
  }
}
