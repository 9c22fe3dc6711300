/* Decompression of Parquet pages (compression.c): every codec of the
 * format except LZO, into a buffer of exactly the declared size. */
#ifndef QV_IO_PARQUET_COMPRESSION_H
#define QV_IO_PARQUET_COMPRESSION_H

#include <stdint.h>

#include "quiver/parquet.h"
#include "quiver/status.h"

/* Reusable decompression state (a ZSTD context, created on first use). */
typedef struct qv_pq_codec_ctx {
  void *zstd;
} qv_pq_codec_ctx;

void qv__pq_codec_ctx_init(qv_pq_codec_ctx *ctx);
void qv__pq_codec_ctx_reset(qv_pq_codec_ctx *ctx);

/* Decompresses src[0..n) with `codec` (qv_parquet_codec) into dst, which has
 * room for exactly `expected` bytes.
 * Errors: QV_INVALID for corrupt data or data that does not decompress to
 * exactly `expected` bytes; QV_NOT_IMPLEMENTED for LZO and unknown codecs;
 * QV_NOMEM. */
qv_status qv__pq_decompress(qv_pq_codec_ctx *ctx, int codec, const uint8_t *src, int64_t n, uint8_t *dst,
                            int64_t expected, qv_error *err) QV_MUST_USE;

/* Cheap checks of compressed data against the size it should decompress to,
 * before the caller allocates that size: the size SNAPPY and ZSTD frames
 * state, the largest expansion LZ4 and deflate allow. Passing does not mean
 * decompression will succeed. Errors: QV_INVALID. */
qv_status qv__pq_decompress_precheck(int codec, const uint8_t *src, int64_t n, int64_t expected,
                                     qv_error *err) QV_MUST_USE;

#endif
