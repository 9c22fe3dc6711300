/* Body-buffer codecs of Arrow IPC: LZ4 frame format and ZSTD, one buffer at a
 * time. Decompression writes into memory of exactly the declared uncompressed
 * size and fails unless the data decompresses to exactly that many bytes, so a
 * hostile input can never make it write or allocate more than it declared
 * (callers check the declared size against their limit before allocating). */
#ifndef QV_IPC_COMPRESSION_H
#define QV_IPC_COMPRESSION_H

#include <stdint.h>

#include "ipc/metadata.h"
#include "quiver/status.h"

/* Reusable codec contexts (created on first use). Caller allocates the
 * struct: zero it or _init, then _reset to free. */
typedef struct qv_codec_ctx {
  void *lz4_dctx;
  void *zstd_cctx;
  void *zstd_dctx;
} qv_codec_ctx;

void qv__codec_ctx_init(qv_codec_ctx *ctx);
void qv__codec_ctx_reset(qv_codec_ctx *ctx);

/* Upper bound of the compressed size of n bytes, or -1 if n is too large for
 * the codec. */
int64_t qv__compress_bound(qv_ipc_codec codec, int64_t n);

/* Compresses src[0..n) into dst (dst_cap bytes, at least qv__compress_bound)
 * and sets *out_len. level is used by ZSTD only.
 * Errors: QV_INVALID for an unknown codec, QV_INTERNAL when the library fails. */
qv_status qv__compress(qv_codec_ctx *ctx, qv_ipc_codec codec, int level, const uint8_t *src,
                       int64_t n, uint8_t *dst, int64_t dst_cap, int64_t *out_len,
                       qv_error *err) QV_MUST_USE;

/* Cheap pre-allocation check of compressed data against the declared size:
 * fails with QV_INVALID when the data's own header states a different size.
 * Passing it does not mean decompression will succeed. */
qv_status qv__decompress_precheck(qv_ipc_codec codec, const uint8_t *src, int64_t n,
                                  int64_t expected, qv_error *err) QV_MUST_USE;

/* Decompresses src[0..n) into dst, which has room for exactly `expected`
 * bytes. Fails with QV_INVALID if the data is corrupt or does not decompress
 * to exactly `expected` bytes. */
qv_status qv__decompress(qv_codec_ctx *ctx, qv_ipc_codec codec, const uint8_t *src, int64_t n,
                         uint8_t *dst, int64_t expected, qv_error *err) QV_MUST_USE;

/* "LZ4_FRAME", "ZSTD" or "NONE". */
const char *qv__codec_name(qv_ipc_codec codec);

#endif
