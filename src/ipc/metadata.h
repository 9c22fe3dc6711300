/* The IPC metadata codec: Arrow's flatbuffer Message (Schema, RecordBatch,
 * DictionaryBatch) and the file Footer, to and from plain C structs. This is
 * the seam between the flatbuffer layer (flatbuf.c, metadata.c) and the IPC
 * readers and writers (which deal with bodies, dictionaries and framing).
 * Decoding checks every byte before reading it (the checked accessors of
 * flatbuf.h double as the verifier); nothing is read out of bounds. */
#ifndef QV_IPC_METADATA_H
#define QV_IPC_METADATA_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/memory.h"
#include "quiver/status.h"
#include "quiver/type.h"

/* MetadataVersion of Schema.fbs: V4 (0.8-0.17) and V5 (1.0+) are accepted. */
enum { QV_IPC_METADATA_V4 = 3, QV_IPC_METADATA_V5 = 4 };

typedef enum qv_ipc_message_type {
  QV_IPC_MSG_NONE = 0,
  QV_IPC_MSG_SCHEMA = 1,
  QV_IPC_MSG_DICTIONARY_BATCH = 2,
  QV_IPC_MSG_RECORD_BATCH = 3,
  QV_IPC_MSG_TENSOR = 4,
  QV_IPC_MSG_SPARSE_TENSOR = 5
} qv_ipc_message_type;

/* BodyCompression.codec; NONE when the message has no compression. */
typedef enum qv_ipc_codec { QV_IPC_CODEC_NONE = -1, QV_IPC_CODEC_LZ4_FRAME = 0, QV_IPC_CODEC_ZSTD = 1 } qv_ipc_codec;

typedef struct qv_ipc_field_node {
  int64_t length;
  int64_t null_count;
} qv_ipc_field_node;

typedef struct qv_ipc_buffer_span {
  int64_t offset; /* relative to the start of the message body */
  int64_t length;
} qv_ipc_buffer_span;

/* RecordBatch table (also the `data` of a DictionaryBatch). Arrays are owned by
 * the qv_ipc_message that holds this. */
typedef struct qv_ipc_batch_header {
  int64_t length;
  int64_t n_nodes;
  qv_ipc_field_node *nodes;
  int64_t n_buffers;
  qv_ipc_buffer_span *buffers;
  qv_ipc_codec codec;
} qv_ipc_batch_header;

typedef struct qv_ipc_message {
  int16_t version;
  qv_ipc_message_type type;
  int64_t body_length;
  /* SCHEMA: the decoded schema (one reference, owned by this struct). Dictionary
   * fields carry their ids (qv_field_dictionary_id) and a DICTIONARY type whose
   * value type is the Field.type. */
  qv_schema *schema;
  bool big_endian;            /* SCHEMA: Schema.endianness == Big */
  /* RECORD_BATCH and DICTIONARY_BATCH */
  qv_ipc_batch_header batch;
  int64_t dictionary_id;      /* DICTIONARY_BATCH */
  bool is_delta;              /* DICTIONARY_BATCH */
  qv_metadata *custom_metadata; /* Message.custom_metadata; NULL if none */
  /* The allocator batch.nodes and batch.buffers come from (set by decode; the
   * default allocator when NULL). */
  qv_allocator *alloc;
} qv_ipc_message;

/* Decodes a Message flatbuffer of `size` bytes; trailing padding is allowed.
 * Every byte read is bounds-checked first, and values are checked against what
 * Arrow allows (known union tags and enums, non-negative lengths and counts,
 * buffers inside body_length). Tensor and SparseTensor messages, and the view
 * and run-end-encoded types, give QV_NOT_IMPLEMENTED; malformed input gives
 * QV_INVALID. alloc (NULL: the default) provides the node and buffer arrays.
 * On failure *out is left reset. Release with qv__ipc_message_reset. */
qv_status qv__ipc_message_decode(const uint8_t *data, int64_t size, qv_allocator *alloc,
                                 qv_ipc_message *out, qv_error *err) QV_MUST_USE;
void qv__ipc_message_reset(qv_ipc_message *msg);

/* Appends a Message flatbuffer holding `schema` (version V5, little endian) to
 * out. Dictionary-typed fields must have dictionary ids assigned. */
qv_status qv__ipc_schema_message_encode(const qv_schema *schema, const qv_metadata *custom_metadata,
                                        qv_bytes *out, qv_error *err) QV_MUST_USE;

/* Appends a RecordBatch (type RECORD_BATCH) or DictionaryBatch (type
 * DICTIONARY_BATCH, with dictionary_id and is_delta) Message flatbuffer. */
qv_status qv__ipc_batch_message_encode(qv_ipc_message_type type, const qv_ipc_batch_header *batch,
                                       int64_t body_length, int64_t dictionary_id, bool is_delta,
                                       const qv_metadata *custom_metadata, qv_bytes *out,
                                       qv_error *err) QV_MUST_USE;

/* A Block of the file footer. */
typedef struct qv_ipc_block {
  int64_t offset;          /* file offset of the message (its continuation marker) */
  int32_t metadata_length; /* prefix + flatbuffer + padding */
  int64_t body_length;
} qv_ipc_block;

typedef struct qv_ipc_footer {
  int16_t version;
  qv_schema *schema;   /* owned */
  bool big_endian;
  int64_t n_dictionaries;
  qv_ipc_block *dictionaries;
  int64_t n_record_batches;
  qv_ipc_block *record_batches;
  qv_metadata *custom_metadata; /* Footer.custom_metadata; NULL if none */
  /* The allocator of the block arrays: set by decode; qv__ipc_footer_reset
   * frees them with it (the default allocator when NULL). */
  qv_allocator *alloc;
} qv_ipc_footer;

/* Decodes a Footer flatbuffer, checked like qv__ipc_message_decode. Release with
 * qv__ipc_footer_reset. */
qv_status qv__ipc_footer_decode(const uint8_t *data, int64_t size, qv_allocator *alloc,
                                qv_ipc_footer *out, qv_error *err) QV_MUST_USE;
void qv__ipc_footer_reset(qv_ipc_footer *footer);
/* Appends a Footer flatbuffer. Writes version V5 and little endian whatever
 * footer->version and footer->big_endian say; alloc is not used. */
qv_status qv__ipc_footer_encode(const qv_ipc_footer *footer, qv_bytes *out,
                                qv_error *err) QV_MUST_USE;

#endif
