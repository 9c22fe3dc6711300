/* LZ4 frame and ZSTD compression of IPC body buffers (see compression.h).
 *
 * Decompression is bounded by construction: the output buffer has exactly the
 * declared size, the libraries are told so, and any other outcome (corrupt
 * data, more or fewer bytes, trailing garbage) is an error. The library
 * contexts are kept in a qv_codec_ctx so that a batch with many small buffers
 * does not create one per buffer. */
#include "ipc/compression.h"

#include <lz4frame.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

void qv__codec_ctx_init(qv_codec_ctx *ctx) { memset(ctx, 0, sizeof *ctx); }

void qv__codec_ctx_reset(qv_codec_ctx *ctx) {
  if (!ctx) return;
  if (ctx->lz4_dctx) LZ4F_freeDecompressionContext((LZ4F_dctx *)ctx->lz4_dctx);
  if (ctx->zstd_cctx) ZSTD_freeCCtx((ZSTD_CCtx *)ctx->zstd_cctx);
  if (ctx->zstd_dctx) ZSTD_freeDCtx((ZSTD_DCtx *)ctx->zstd_dctx);
  memset(ctx, 0, sizeof *ctx);
}

const char *qv__codec_name(qv_ipc_codec codec) {
  switch (codec) {
    case QV_IPC_CODEC_LZ4_FRAME: return "LZ4_FRAME";
    case QV_IPC_CODEC_ZSTD: return "ZSTD";
    case QV_IPC_CODEC_NONE: return "NONE";
  }
  return "unknown";
}

/* Both libraries take size_t; the IPC format's sizes are int64. */
#define CODEC_MAX_INPUT ((int64_t)1 << 40)

int64_t qv__compress_bound(qv_ipc_codec codec, int64_t n) {
  if (n < 0 || n > CODEC_MAX_INPUT) return -1;
  switch (codec) {
    case QV_IPC_CODEC_LZ4_FRAME: {
      LZ4F_preferences_t prefs;
      memset(&prefs, 0, sizeof prefs);
      prefs.frameInfo.contentSize = (unsigned long long)n;
      return (int64_t)LZ4F_compressFrameBound((size_t)n, &prefs);
    }
    case QV_IPC_CODEC_ZSTD: {
      size_t b = ZSTD_compressBound((size_t)n);
      return ZSTD_isError(b) ? -1 : (int64_t)b;
    }
    case QV_IPC_CODEC_NONE: return n;
  }
  return -1;
}

qv_status qv__compress(qv_codec_ctx *ctx, qv_ipc_codec codec, int level, const uint8_t *src,
                       int64_t n, uint8_t *dst, int64_t dst_cap, int64_t *out_len,
                       qv_error *err) {
  *out_len = 0;
  switch (codec) {
    case QV_IPC_CODEC_LZ4_FRAME: {
      LZ4F_preferences_t prefs;
      memset(&prefs, 0, sizeof prefs);
      /* Record the size in the frame so readers can check it up front. */
      prefs.frameInfo.contentSize = (unsigned long long)n;
      size_t r = LZ4F_compressFrame(dst, (size_t)dst_cap, src, (size_t)n, &prefs);
      if (LZ4F_isError(r))
        return qv_error_set(err, QV_INTERNAL, "ipc: lz4 compression of %lld bytes failed: %s",
                            (long long)n, LZ4F_getErrorName(r));
      *out_len = (int64_t)r;
      return QV_OK;
    }
    case QV_IPC_CODEC_ZSTD: {
      if (!ctx->zstd_cctx) {
        ctx->zstd_cctx = ZSTD_createCCtx();
        if (!ctx->zstd_cctx)
          return qv_error_set(err, QV_NOMEM, "ipc: cannot create a zstd compression context");
      }
      size_t r = ZSTD_compressCCtx((ZSTD_CCtx *)ctx->zstd_cctx, dst, (size_t)dst_cap, src,
                                   (size_t)n, level);
      if (ZSTD_isError(r))
        return qv_error_set(err, QV_INTERNAL, "ipc: zstd compression of %lld bytes failed: %s",
                            (long long)n, ZSTD_getErrorName(r));
      *out_len = (int64_t)r;
      return QV_OK;
    }
    case QV_IPC_CODEC_NONE: break;
  }
  return qv_error_set(err, QV_INVALID, "ipc: unknown compression codec %d", (int)codec);
}

qv_status qv__decompress_precheck(qv_ipc_codec codec, const uint8_t *src, int64_t n,
                                  int64_t expected, qv_error *err) {
  if (codec == QV_IPC_CODEC_ZSTD) {
    unsigned long long first = ZSTD_getFrameContentSize(src, (size_t)n);
    if (first == ZSTD_CONTENTSIZE_ERROR)
      return qv_error_set(err, QV_INVALID, "ipc: zstd buffer of %lld bytes is not a zstd frame",
                          (long long)n);
    /* The first frame alone cannot hold more than the whole buffer. */
    if (first != ZSTD_CONTENTSIZE_UNKNOWN && first > (unsigned long long)expected)
      return qv_error_set(err, QV_INVALID,
                          "ipc: zstd frame holds %llu bytes but the buffer declares %lld", first,
                          (long long)expected);
  }
  return QV_OK;
}

static qv_status lz4_decompress(qv_codec_ctx *ctx, const uint8_t *src, int64_t n, uint8_t *dst,
                                int64_t expected, qv_error *err) {
  if (!ctx->lz4_dctx) {
    LZ4F_dctx *d = NULL;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)) || !d)
      return qv_error_set(err, QV_NOMEM, "ipc: cannot create an lz4 decompression context");
    ctx->lz4_dctx = d;
  }
  LZ4F_dctx *d = (LZ4F_dctx *)ctx->lz4_dctx;
  int64_t in = 0, produced = 0;
  /* A buffer may hold several frames back to back; decode until the input is
   * used up, each frame completely. */
  while (in < n) {
    LZ4F_resetDecompressionContext(d);
    for (;;) {
      size_t dst_size = (size_t)(expected - produced);
      size_t src_size = (size_t)(n - in);
      size_t r = LZ4F_decompress(d, dst + produced, &dst_size, src + in, &src_size, NULL);
      if (LZ4F_isError(r))
        return qv_error_set(err, QV_INVALID, "ipc: corrupt lz4 data at byte %lld: %s",
                            (long long)in, LZ4F_getErrorName(r));
      in += (int64_t)src_size;
      produced += (int64_t)dst_size;
      if (r == 0) break; /* frame complete */
      if (src_size == 0 && dst_size == 0) {
        if (produced == expected && in < n)
          return qv_error_set(err, QV_INVALID,
                              "ipc: lz4 data decompresses to more than the declared %lld bytes",
                              (long long)expected);
        return qv_error_set(err, QV_INVALID,
                            "ipc: lz4 data is truncated (%lld of %lld bytes decompressed)",
                            (long long)produced, (long long)expected);
      }
    }
  }
  if (produced != expected)
    return qv_error_set(err, QV_INVALID,
                        "ipc: lz4 data decompresses to %lld bytes, the buffer declares %lld",
                        (long long)produced, (long long)expected);
  return QV_OK;
}

qv_status qv__decompress(qv_codec_ctx *ctx, qv_ipc_codec codec, const uint8_t *src, int64_t n,
                         uint8_t *dst, int64_t expected, qv_error *err) {
  if (n < 0 || expected < 0 || n > CODEC_MAX_INPUT || expected > CODEC_MAX_INPUT)
    return qv_error_set(err, QV_INVALID, "ipc: compressed buffer sizes out of range");
  switch (codec) {
    case QV_IPC_CODEC_LZ4_FRAME: return lz4_decompress(ctx, src, n, dst, expected, err);
    case QV_IPC_CODEC_ZSTD: {
      if (!ctx->zstd_dctx) {
        ctx->zstd_dctx = ZSTD_createDCtx();
        if (!ctx->zstd_dctx)
          return qv_error_set(err, QV_NOMEM, "ipc: cannot create a zstd decompression context");
      }
      size_t r = ZSTD_decompressDCtx((ZSTD_DCtx *)ctx->zstd_dctx, dst, (size_t)expected, src,
                                     (size_t)n);
      if (ZSTD_isError(r)) {
        if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
          return qv_error_set(err, QV_INVALID,
                              "ipc: zstd data decompresses to more than the declared %lld bytes",
                              (long long)expected);
        return qv_error_set(err, QV_INVALID, "ipc: corrupt zstd data: %s", ZSTD_getErrorName(r));
      }
      if ((int64_t)r != expected)
        return qv_error_set(err, QV_INVALID,
                            "ipc: zstd data decompresses to %lld bytes, the buffer declares %lld",
                            (long long)r, (long long)expected);
      return QV_OK;
    }
    case QV_IPC_CODEC_NONE: break;
  }
  return qv_error_set(err, QV_INVALID, "ipc: unknown compression codec %d", (int)codec);
}
