/* Pieces every part of the IPC module shares: the physical-layout table of
 * the body, bitmap copying at bit offsets, option defaults, payload lists,
 * the sinks, and the encapsulated-message framing (continuation marker,
 * metadata length, padding) that the stream and file formats both use. */
#include <errno.h>
#include <string.h>

#include "ipc/ipc_internal.h"

const uint8_t qv__ipc_zeros[QV_IPC_ZEROS_SIZE];

qv_status qv__ipc_zero_buffer(int64_t size, qv_buffer **out, qv_error *err) {
  if (size < 0 || size > QV_IPC_ZEROS_SIZE)
    return qv_error_set(err, QV_INTERNAL, "ipc: zero buffer of %lld bytes", (long long)size);
  return qv_buffer_wrap(qv__ipc_zeros, size, NULL, NULL, out, err);
}

qv_ipc_layout qv__ipc_layout_of(qv_type_id id) {
  switch (id) {
    case QV_NA: return QV_IPC_LAYOUT_NA;
    case QV_BOOL: return QV_IPC_LAYOUT_BOOL;
    case QV_BINARY:
    case QV_UTF8: return QV_IPC_LAYOUT_BINARY;
    case QV_LARGE_BINARY:
    case QV_LARGE_UTF8: return QV_IPC_LAYOUT_LARGE_BINARY;
    case QV_LIST:
    case QV_MAP: return QV_IPC_LAYOUT_LIST;
    case QV_LARGE_LIST: return QV_IPC_LAYOUT_LARGE_LIST;
    case QV_FIXED_SIZE_LIST: return QV_IPC_LAYOUT_FIXED_LIST;
    case QV_STRUCT: return QV_IPC_LAYOUT_STRUCT;
    case QV_SPARSE_UNION: return QV_IPC_LAYOUT_SPARSE_UNION;
    case QV_DENSE_UNION: return QV_IPC_LAYOUT_DENSE_UNION;
    case QV_DICTIONARY: return QV_IPC_LAYOUT_DICTIONARY;
    default: return QV_IPC_LAYOUT_FIXED;
  }
}

int32_t qv__ipc_value_alignment(const qv_data_type *t) {
  int32_t w = t->byte_width;
  if (w >= 8) return 8;
  if (w == 1 || w == 2 || w == 4) return w;
  return 1;
}

void qv__bitmap_copy(uint8_t *dst, int64_t dst_off, const uint8_t *src, int64_t src_off,
                     int64_t n) {
  if (n <= 0) return;
  if ((dst_off & 7) == 0 && (src_off & 7) == 0) {
    int64_t whole = n >> 3;
    memcpy(dst + (dst_off >> 3), src + (src_off >> 3), (size_t)whole);
    dst_off += whole << 3;
    src_off += whole << 3;
    n -= whole << 3;
  } else {
    /* Bits up to the next destination byte boundary, one at a time. */
    while (n > 0 && (dst_off & 7) != 0) {
      if (qv_bit_get(src, src_off)) qv_bit_set(dst, dst_off);
      else qv_bit_clear(dst, dst_off);
      dst_off++, src_off++, n--;
    }
    /* Whole destination bytes, each gathered from at most two source bytes.
     * When the source is not byte-aligned its 8 bits always span two bytes,
     * both inside the range being copied. */
    int64_t whole = n >> 3;
    uint8_t *d = dst + (dst_off >> 3);
    const uint8_t *s = src + (src_off >> 3);
    unsigned r = (unsigned)(src_off & 7);
    if (r == 0) {
      memcpy(d, s, (size_t)whole);
    } else {
      for (int64_t i = 0; i < whole; i++)
        d[i] = (uint8_t)((s[i] >> r) | (s[i + 1] << (8 - r)));
    }
    dst_off += whole << 3;
    src_off += whole << 3;
    n -= whole << 3;
  }
  for (; n > 0; n--, dst_off++, src_off++) {
    if (qv_bit_get(src, src_off)) qv_bit_set(dst, dst_off);
    else qv_bit_clear(dst, dst_off);
  }
}

qv_status qv__ipc_codec_of(qv_ipc_compression c, qv_ipc_codec *out, qv_error *err) {
  switch (c) {
    case QV_IPC_COMPRESSION_NONE: *out = QV_IPC_CODEC_NONE; return QV_OK;
    case QV_IPC_COMPRESSION_LZ4_FRAME: *out = QV_IPC_CODEC_LZ4_FRAME; return QV_OK;
    case QV_IPC_COMPRESSION_ZSTD: *out = QV_IPC_CODEC_ZSTD; return QV_OK;
  }
  return qv_error_set(err, QV_INVALID, "ipc: unknown compression %d", (int)c);
}

/* ---- options ----------------------------------------------------------------- */

void qv_ipc_write_options_init(qv_ipc_write_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->compression = QV_IPC_COMPRESSION_NONE;
  opts->zstd_level = 1;
  opts->dictionary_deltas = true;
}

void qv_ipc_read_options_init(qv_ipc_read_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->max_decompressed_size = QV_IPC_DEFAULT_MAX_DECOMPRESSED_SIZE;
  opts->validate = true;
}

/* ---- payloads ---------------------------------------------------------------- */

void qv_ipc_payload_reset(qv_ipc_payload *p) {
  if (!p) return;
  qv_allocator *a = p->metadata.alloc;
  for (int64_t i = 0; i < p->n_parts; i++) qv_buffer_unref(p->parts[i].owner);
  if (p->parts) qv_free(a, p->parts, p->parts_capacity * (int64_t)sizeof *p->parts);
  if (a) qv_bytes_reset(&p->metadata);
  memset(p, 0, sizeof *p);
}

void qv_ipc_payload_list_init(qv_ipc_payload_list *list, qv_allocator *alloc) {
  memset(list, 0, sizeof *list);
  list->alloc = alloc ? alloc : qv_default_allocator();
}

void qv_ipc_payload_list_reset(qv_ipc_payload_list *list) {
  if (!list) return;
  for (int64_t i = 0; i < list->count; i++) qv_ipc_payload_reset(&list->items[i]);
  if (list->items)
    qv_free(list->alloc, list->items, list->capacity * (int64_t)sizeof *list->items);
  qv_allocator *a = list->alloc;
  memset(list, 0, sizeof *list);
  list->alloc = a;
}

/* ---- sinks ------------------------------------------------------------------- */

static qv_status bytes_sink_write(void *ctx, const void *data, int64_t n, qv_error *err) {
  return qv_bytes_append((qv_bytes *)ctx, data, n, err);
}

qv_ipc_sink qv_ipc_sink_bytes(qv_bytes *out) {
  qv_ipc_sink s = {bytes_sink_write, out};
  return s;
}

static qv_status file_sink_write(void *ctx, const void *data, int64_t n, qv_error *err) {
  if (n <= 0) return QV_OK;
  if (fwrite(data, 1, (size_t)n, (FILE *)ctx) != (size_t)n)
    return qv_error_set(err, QV_IO, "ipc: writing %lld bytes failed: %s", (long long)n,
                        strerror(errno));
  return QV_OK;
}

qv_ipc_sink qv_ipc_sink_file(FILE *f) {
  qv_ipc_sink s = {file_sink_write, f};
  return s;
}

/* ---- framing ----------------------------------------------------------------- */

#define CONTINUATION 0xFFFFFFFFu

static uint32_t load_u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

qv_status qv__ipc_read_frame(const uint8_t *data, int64_t size, int64_t pos, qv_ipc_frame *frame,
                             qv_error *err) {
  memset(frame, 0, sizeof *frame);
  int64_t rem = size - pos;
  if (rem == 0) {
    frame->eos = true; /* input ends without the marker: allowed */
    return QV_OK;
  }
  if (rem < 4)
    return qv_error_set(err, QV_INVALID,
                        "ipc: truncated message prefix at offset %lld: %lld bytes left, need 4",
                        (long long)pos, (long long)rem);
  uint32_t first = load_u32(data + pos);
  int32_t len;
  if (first == CONTINUATION) {
    if (rem < 8)
      return qv_error_set(err, QV_INVALID,
                          "ipc: truncated message prefix at offset %lld: %lld bytes left, need 8",
                          (long long)pos, (long long)rem);
    len = (int32_t)load_u32(data + pos + 4);
    frame->prefix_length = 8;
  } else {
    len = (int32_t)first; /* pre-0.15 framing: the length alone */
    frame->prefix_length = 4;
  }
  if (len == 0) {
    frame->eos = true;
    return QV_OK;
  }
  if (len < 0)
    return qv_error_set(err, QV_INVALID, "ipc: negative metadata length %d at offset %lld",
                        (int)len, (long long)pos);
  if ((int64_t)len > rem - frame->prefix_length)
    return qv_error_set(err, QV_INVALID,
                        "ipc: message at offset %lld declares %d metadata bytes but only %lld "
                        "remain",
                        (long long)pos, (int)len, (long long)(rem - frame->prefix_length));
  frame->metadata_offset = pos + frame->prefix_length;
  frame->metadata_length = len;
  return QV_OK;
}

qv_status qv__ipc_write_payload(const qv_ipc_sink *sink, const qv_ipc_payload *p,
                                int32_t *metadata_length, int64_t *written, qv_error *err) {
  int64_t m = p->metadata.size;
  int64_t padded = (m + 7) & ~(int64_t)7;
  if (padded > INT32_MAX - 8)
    return qv_error_set(err, QV_INVALID, "ipc: message metadata of %lld bytes is too large",
                        (long long)m);
  uint8_t prefix[8];
  uint32_t cont = CONTINUATION, len = (uint32_t)padded;
  memcpy(prefix, &cont, 4);
  memcpy(prefix + 4, &len, 4);
  QV_RETURN_NOT_OK(sink->write(sink->ctx, prefix, 8, err));
  QV_RETURN_NOT_OK(sink->write(sink->ctx, p->metadata.data, m, err));
  if (padded > m) QV_RETURN_NOT_OK(sink->write(sink->ctx, qv__ipc_zeros, padded - m, err));
  for (int64_t i = 0; i < p->n_parts; i++) {
    if (p->parts[i].size > 0)
      QV_RETURN_NOT_OK(sink->write(sink->ctx, p->parts[i].data, p->parts[i].size, err));
  }
  *metadata_length = (int32_t)(8 + padded);
  *written = 8 + padded + p->body_length;
  return QV_OK;
}

qv_status qv__ipc_write_eos(const qv_ipc_sink *sink, qv_error *err) {
  uint8_t eos[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
  return sink->write(sink->ctx, eos, 8, err);
}
