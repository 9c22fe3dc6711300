/* Declarations shared by the IPC message decoder and encoder, the stream and
 * file formats and the dictionary-delta concatenation; nothing here is public.
 * The physical-layout table, the bitmap copy and the message framing live in
 * ipc_util.c. */
#ifndef QV_IPC_INTERNAL_H
#define QV_IPC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "arrow/internal.h"
#include "ipc/compression.h"
#include "ipc/metadata.h"
#include "quiver/ipc.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Quiver's IPC code reads and writes little-endian data in host order"
#endif

/* Deepest type nesting the readers and writers follow. Deeper schemas are
 * rejected rather than risking the C stack. */
#define QV_IPC_MAX_DEPTH 64

/* The buffer layouts of the IPC body: which buffers a field node has, in
 * order (validity first except for NA and unions; dictionaries are laid out
 * as their indices). */
typedef enum qv_ipc_layout {
  QV_IPC_LAYOUT_NA,           /* no buffers */
  QV_IPC_LAYOUT_BOOL,         /* validity, bit-packed values */
  QV_IPC_LAYOUT_FIXED,        /* validity, values of byte_width bytes */
  QV_IPC_LAYOUT_BINARY,       /* validity, int32 offsets, data */
  QV_IPC_LAYOUT_LARGE_BINARY, /* validity, int64 offsets, data */
  QV_IPC_LAYOUT_LIST,         /* validity, int32 offsets; one child (also MAP) */
  QV_IPC_LAYOUT_LARGE_LIST,   /* validity, int64 offsets; one child */
  QV_IPC_LAYOUT_FIXED_LIST,   /* validity; one child */
  QV_IPC_LAYOUT_STRUCT,       /* validity; n children */
  QV_IPC_LAYOUT_SPARSE_UNION, /* int8 type ids; n children (V4: validity first) */
  QV_IPC_LAYOUT_DENSE_UNION,  /* int8 type ids, int32 offsets (V4: validity first) */
  QV_IPC_LAYOUT_DICTIONARY    /* validity, indices */
} qv_ipc_layout;

qv_ipc_layout qv__ipc_layout_of(qv_type_id id);

/* Alignment that reading the values of a fixed-width type in place needs:
 * the element size for 1, 2, 4 and 8 bytes, 8 for wider ones, 1 for odd
 * widths (fixed-size binary). */
int32_t qv__ipc_value_alignment(const qv_data_type *t);

/* Copies n bits from src (starting at bit src_off) to dst (starting at bit
 * dst_off); the other bits of dst are left as they are. */
void qv__bitmap_copy(uint8_t *dst, int64_t dst_off, const uint8_t *src, int64_t src_off,
                     int64_t n);

/* The metadata codec for a public compression setting; QV_INVALID for an
 * unknown one. */
qv_status qv__ipc_codec_of(qv_ipc_compression c, qv_ipc_codec *out, qv_error *err) QV_MUST_USE;

/* A static zero-filled area for padding and empty buffers. */
#define QV_IPC_ZEROS_SIZE 64
extern const uint8_t qv__ipc_zeros[QV_IPC_ZEROS_SIZE];

/* A new buffer of size bytes (<= QV_IPC_ZEROS_SIZE) of static zeros. */
qv_status qv__ipc_zero_buffer(int64_t size, qv_buffer **out, qv_error *err) QV_MUST_USE;

/* ---- framing (ipc_util.c) --------------------------------------------------- */

/* The frame of one encapsulated message found at some offset of a byte range. */
typedef struct qv_ipc_frame {
  bool eos;                /* an end-of-stream marker, or the end of the input */
  int64_t prefix_length;   /* 8 (0xFFFFFFFF + length) or 4 (pre-0.15 framing) */
  int64_t metadata_offset; /* of the flatbuffer */
  int64_t metadata_length; /* flatbuffer plus padding, as the prefix states */
} qv_ipc_frame;

/* Reads the message prefix at data[pos..size): sets frame->eos at the end of
 * the input (pos == size) or on an end-of-stream marker. Fails with
 * QV_INVALID, naming the offset, when the prefix is truncated or states a
 * length beyond the input. */
qv_status qv__ipc_read_frame(const uint8_t *data, int64_t size, int64_t pos, qv_ipc_frame *frame,
                             qv_error *err) QV_MUST_USE;

/* Writes one payload in the stream framing; sets *metadata_length to the
 * prefix + flatbuffer + padding size and *written to all bytes written. */
qv_status qv__ipc_write_payload(const qv_ipc_sink *sink, const qv_ipc_payload *p,
                                int32_t *metadata_length, int64_t *written,
                                qv_error *err) QV_MUST_USE;

/* Writes the end-of-stream marker (8 bytes). */
qv_status qv__ipc_write_eos(const qv_ipc_sink *sink, qv_error *err) QV_MUST_USE;

/* ---- decoder internals (ipc_decoder.c) ------------------------------------- */

/* Installs the schema (from a Schema message or a file footer); the decoder
 * takes a reference. Fails if one is installed already or the data is
 * big-endian. */
qv_status qv__ipc_decoder_set_schema(qv_ipc_decoder *dec, qv_schema *schema, bool big_endian,
                                     qv_error *err) QV_MUST_USE;

/* File semantics: a dictionary id may be defined once (then only deltas). */
void qv__ipc_decoder_set_file_mode(qv_ipc_decoder *dec);

/* Decodes an already parsed message; see qv_ipc_decoder_decode. */
qv_status qv__ipc_decoder_decode_message(qv_ipc_decoder *dec, const qv_ipc_message *msg,
                                         qv_buffer *body, qv_record_batch **out,
                                         qv_error *err) QV_MUST_USE;

qv_allocator *qv__ipc_decoder_allocator(const qv_ipc_decoder *dec);

/* ---- encoder internals (ipc_encoder.c) ------------------------------------- */

/* File semantics: a changed dictionary must be written as a delta. */
void qv__ipc_encoder_set_file_mode(qv_ipc_encoder *enc);

qv_allocator *qv__ipc_encoder_allocator(const qv_ipc_encoder *enc);

/* ---- concatenation (ipc_concat.c) ------------------------------------------ */

/* A new array holding the values of a followed by those of b (same type);
 * used to apply delta dictionaries. A thin wrapper of qv_array_concat. */
qv_status qv__ipc_array_concat(qv_allocator *alloc, qv_array *a, qv_array *b, qv_array **out,
                               qv_error *err) QV_MUST_USE;

#endif
