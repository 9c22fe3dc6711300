/* Arrow IPC: record batches to and from bytes.
 *
 * Three levels, each built on the one before:
 *
 *  - Messages. A qv_ipc_decoder turns one IPC message (its flatbuffer metadata
 *    plus its body) into a schema, a dictionary update or a record batch; a
 *    qv_ipc_encoder turns a schema and record batches into messages
 *    ("payloads": metadata bytes plus a body given as a list of parts that
 *    reference the arrays' own memory). Arrow Flight uses this level directly:
 *    a FlightData carries one message's metadata in data_header and its body
 *    in data_body.
 *  - The stream format: each message framed as 0xFFFFFFFF, an int32 metadata
 *    length, the metadata padded to 8 bytes, then the body; an end-of-stream
 *    marker (0xFFFFFFFF 0x00000000) at the end.
 *  - The file format: "ARROW1\0\0", the stream format, a footer locating
 *    every dictionary and record batch, the footer's int32 length, "ARROW1".
 *
 * Reading is zero-copy: arrays reference the input buffer wherever a buffer is
 * stored uncompressed at an offset aligned for its type (8 bytes is what
 * writers guarantee); misaligned buffers are copied to aligned memory and
 * compressed ones are decompressed. Every read checks lengths against the
 * bytes present and, by default, fully validates the decoded arrays, so input
 * from the network or from disk can be untrusted: bad input gives QV_INVALID
 * (or QV_RESOURCE_EXHAUSTED for declared sizes over a limit), never a crash.
 *
 * Writing costs at most one copy of the data: bodies reference the arrays'
 * buffers, and only the final write into a sink copies them. The exceptions
 * are the bytes that must change: validity and boolean bitmaps of arrays
 * sliced at an offset that is not a multiple of 8, offsets of sliced
 * variable-size arrays (rebased to start at 0), and compressed buffers.
 * Bodies are laid out with every buffer padded to QV_IPC_ALIGNMENT bytes.
 *
 * Supported: metadata versions V4 and V5, every type of quiver/type.h,
 * dictionaries (shared between fields, nested, replacement and delta batches),
 * LZ4_FRAME and ZSTD body compression, the pre-0.15 stream framing (no
 * continuation marker) on read. Not supported: big-endian data, tensors.
 *
 * None of the objects here is thread-safe; use one per thread. */
#ifndef QUIVER_IPC_H
#define QUIVER_IPC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/status.h"
#include "quiver/type.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Alignment and padding of every buffer in a body the encoder writes. The IPC
 * format requires 8; 8 keeps small batches small, and readers (Quiver's and
 * Arrow's) read 8-byte aligned data without copying. */
#define QV_IPC_ALIGNMENT 8

/* Default of qv_ipc_read_options.max_decompressed_size: 1 GiB. */
#define QV_IPC_DEFAULT_MAX_DECOMPRESSED_SIZE ((int64_t)1 << 30)

/* Body compression of written record batches and dictionaries. */
typedef enum qv_ipc_compression {
  QV_IPC_COMPRESSION_NONE = 0,
  QV_IPC_COMPRESSION_LZ4_FRAME = 1,
  QV_IPC_COMPRESSION_ZSTD = 2
} qv_ipc_compression;

/* The kind of an IPC message (the values are those of Arrow's MessageHeader). */
typedef enum qv_ipc_message_kind {
  QV_IPC_MESSAGE_SCHEMA = 1,
  QV_IPC_MESSAGE_DICTIONARY_BATCH = 2,
  QV_IPC_MESSAGE_RECORD_BATCH = 3
} qv_ipc_message_kind;

/* ---- options -------------------------------------------------------------- */

typedef struct qv_ipc_write_options {
  /* Allocator for metadata, rebased offsets, shifted bitmaps and compressed
   * buffers. NULL: qv_default_allocator(). */
  qv_allocator *alloc;
  /* Codec for body buffers (default NONE). Each buffer is compressed on its
   * own and stored after its uncompressed length as an int64; a buffer that
   * compression would not shrink is stored raw behind the length -1, as Arrow
   * does. */
  qv_ipc_compression compression;
  /* ZSTD level (default 1: fast, as Arrow's default). */
  int zstd_level;
  /* Streams only: when a dictionary changes by appending values to the
   * previous one, send only the new values as a delta DictionaryBatch instead
   * of the whole dictionary (default true). The file format always uses
   * deltas, since it cannot replace a dictionary. */
  bool dictionary_deltas;
} qv_ipc_write_options;

/* Sets the defaults described above. */
void qv_ipc_write_options_init(qv_ipc_write_options *opts);

typedef struct qv_ipc_read_options {
  /* Allocator for decoded metadata, decompressed and re-aligned buffers and
   * the arrays. NULL: qv_default_allocator(). Give an allocator with a limit
   * to bound the memory an untrusted input can make the reader take. */
  qv_allocator *alloc;
  /* Largest uncompressed size a compressed buffer may declare, and largest
   * total of the uncompressed sizes in one message (default
   * QV_IPC_DEFAULT_MAX_DECOMPRESSED_SIZE). Declared sizes are checked against
   * it before anything is allocated; over it the read fails with
   * QV_RESOURCE_EXHAUSTED. */
  int64_t max_decompressed_size;
  /* Fully validate every decoded array (qv_array_validate_full) so that any
   * later read of it is in bounds (default true). Turn it off only for bytes
   * this process wrote itself. */
  bool validate;
} qv_ipc_read_options;

/* Sets the defaults described above. */
void qv_ipc_read_options_init(qv_ipc_read_options *opts);

/* ---- message decoder ------------------------------------------------------ */

/* Decodes a sequence of IPC messages: first the Schema, then DictionaryBatch
 * and RecordBatch messages in any order, as in a stream or a Flight DoGet. */
typedef struct qv_ipc_decoder qv_ipc_decoder;

/* Creates a decoder. opts may be NULL (defaults); it is copied. The caller
 * destroys the decoder with qv_ipc_decoder_destroy.
 * Errors: QV_NOMEM. */
qv_status qv_ipc_decoder_create(const qv_ipc_read_options *opts, qv_ipc_decoder **out,
                                qv_error *err) QV_MUST_USE;

/* Frees the decoder and its dictionaries (arrays already returned keep the
 * dictionaries they use alive). dec may be NULL. */
void qv_ipc_decoder_destroy(qv_ipc_decoder *dec);

/* Decodes one message.
 *   metadata, metadata_len: the flatbuffer Message (trailing padding allowed);
 *     only read during the call.
 *   body: the message body, at least Message.bodyLength bytes; may be NULL for
 *     a message without body. Borrowed: the decoder takes its own references
 *     to the parts its arrays use, so the caller may drop body afterwards.
 *   out: set to the decoded record batch for a RecordBatch message (the caller
 *     owns one reference), to NULL for a Schema or DictionaryBatch message
 *     (which update the decoder's state).
 * Errors: QV_INVALID for malformed metadata, a body too short for the buffers
 * it declares, a message out of order (anything before the Schema, a second
 * Schema), a record batch that uses a dictionary no DictionaryBatch defined,
 * or arrays that fail validation; QV_RESOURCE_EXHAUSTED for a declared
 * decompressed size over opts.max_decompressed_size; QV_NOT_IMPLEMENTED for
 * big-endian schemas and tensor messages; QV_NOMEM. On failure *out is NULL
 * and the decoder's dictionaries are unchanged. */
qv_status qv_ipc_decoder_decode(qv_ipc_decoder *dec, const uint8_t *metadata, int64_t metadata_len,
                                qv_buffer *body, qv_record_batch **out, qv_error *err) QV_MUST_USE;

/* The schema of the decoded Schema message, or NULL before it. Borrowed: valid
 * while dec lives (take a reference with qv_schema_ref to keep it longer).
 * Dictionary-encoded fields carry their dictionary ids. */
qv_schema *qv_ipc_decoder_schema(const qv_ipc_decoder *dec);

/* ---- message encoder ------------------------------------------------------ */

/* One piece of a message body. owner keeps data alive (a reference owned by
 * the payload); NULL means data is static (padding, constant prefixes). */
typedef struct qv_ipc_body_part {
  const uint8_t *data;
  int64_t size;
  qv_buffer *owner;
} qv_ipc_body_part;

/* One encoded message, ready to be framed into a stream or file, or sent as a
 * FlightData (data_header = metadata, data_body = the parts in order). */
typedef struct qv_ipc_payload {
  qv_ipc_message_kind kind;
  qv_bytes metadata;       /* the flatbuffer Message, unpadded */
  int64_t body_length;     /* sum of the parts' sizes; a multiple of 8 */
  int64_t n_parts;
  qv_ipc_body_part *parts; /* owned; from metadata.alloc */
  int64_t parts_capacity;  /* allocated entries of parts */
} qv_ipc_payload;

/* Frees a payload's metadata and parts and drops its references. */
void qv_ipc_payload_reset(qv_ipc_payload *p);

/* A caller-owned list of payloads: _init, pass to the encoder, read items,
 * then _reset (which resets every payload). */
typedef struct qv_ipc_payload_list {
  qv_allocator *alloc;
  int64_t count;
  int64_t capacity;
  qv_ipc_payload *items;
} qv_ipc_payload_list;

/* alloc may be NULL (default allocator). */
void qv_ipc_payload_list_init(qv_ipc_payload_list *list, qv_allocator *alloc);
void qv_ipc_payload_list_reset(qv_ipc_payload_list *list);

/* Encodes the messages of one schema's stream. Remembers which dictionary was
 * last sent for each dictionary id, to send a dictionary again only when a
 * batch uses a different one. */
typedef struct qv_ipc_encoder qv_ipc_encoder;

/* Creates an encoder for batches of `schema` (the encoder takes a reference).
 * Dictionary-encoded fields without an id (qv_field_dictionary_id == -1) get
 * one, in depth-first order after the largest id already set; fields that
 * share an id share one dictionary. opts may be NULL (defaults); it is copied.
 * Errors: QV_INVALID for an unsupported compression or a dictionary type
 * whose values are themselves a dictionary type without a field; QV_NOMEM. */
qv_status qv_ipc_encoder_create(qv_schema *schema, const qv_ipc_write_options *opts,
                                qv_ipc_encoder **out, qv_error *err) QV_MUST_USE;

/* Frees the encoder. enc may be NULL. */
void qv_ipc_encoder_destroy(qv_ipc_encoder *enc);

/* The schema as it is written: the one given to _create with dictionary ids
 * assigned. Borrowed, valid while enc lives. */
qv_schema *qv_ipc_encoder_schema(const qv_ipc_encoder *enc);

/* Appends the Schema message to out.
 * Errors: QV_NOMEM, QV_INVALID (schema the metadata encoder rejects). */
qv_status qv_ipc_encoder_encode_schema(qv_ipc_encoder *enc, qv_ipc_payload_list *out,
                                       qv_error *err) QV_MUST_USE;

/* Appends the messages for one record batch to out: first a DictionaryBatch
 * for each dictionary the batch uses that differs from the one last sent for
 * its id (inner dictionaries before the dictionaries whose values use them),
 * then the RecordBatch. The payloads reference the batch's buffers; the batch
 * may be dropped while they live.
 * A dictionary is sent whole the first time its id is seen; afterwards, when
 * the batch's dictionary array is a different object, as a delta holding only
 * the appended values if the previous dictionary is a prefix of it
 * (opts.dictionary_deltas), else whole as a replacement.
 * Errors: QV_INVALID when the batch does not match the schema, when fields
 * that share a dictionary id carry different dictionaries, or when an encoder
 * used for the file format meets a dictionary that is not an extension of the
 * previous one; QV_NOMEM. On failure out and the encoder's state are as they
 * were before the call. */
qv_status qv_ipc_encoder_encode_batch(qv_ipc_encoder *enc, qv_record_batch *batch,
                                      qv_ipc_payload_list *out, qv_error *err) QV_MUST_USE;

/* ---- sinks ---------------------------------------------------------------- */

/* Where the stream and file writers put their bytes. write must consume all n
 * bytes or fail; data is only valid during the call. */
typedef struct qv_ipc_sink {
  qv_status (*write)(void *ctx, const void *data, int64_t n, qv_error *err);
  void *ctx;
} qv_ipc_sink;

/* A sink appending to out (which must stay alive while the sink is used). */
qv_ipc_sink qv_ipc_sink_bytes(qv_bytes *out);
/* A sink writing to f with fwrite (f stays owned by the caller). Failed
 * writes give QV_IO. */
qv_ipc_sink qv_ipc_sink_file(FILE *f);

/* ---- stream format -------------------------------------------------------- */

typedef struct qv_ipc_stream_writer qv_ipc_stream_writer;

/* Creates a writer and writes the Schema message to sink. The writer takes a
 * reference to schema; opts may be NULL (defaults).
 * Errors: those of qv_ipc_encoder_create, and the sink's. */
qv_status qv_ipc_stream_writer_create(qv_schema *schema, const qv_ipc_write_options *opts,
                                      qv_ipc_sink sink, qv_ipc_stream_writer **out,
                                      qv_error *err) QV_MUST_USE;

/* Writes the dictionaries the batch needs and the batch. Errors: those of
 * qv_ipc_encoder_encode_batch and the sink's; after a sink error the writer
 * refuses further writes (QV_INVALID), since the stream is broken. */
qv_status qv_ipc_stream_writer_write(qv_ipc_stream_writer *w, qv_record_batch *batch,
                                     qv_error *err) QV_MUST_USE;

/* Writes the end-of-stream marker. Further writes fail with QV_INVALID. */
qv_status qv_ipc_stream_writer_close(qv_ipc_stream_writer *w, qv_error *err) QV_MUST_USE;

/* Frees the writer without writing anything more. w may be NULL. */
void qv_ipc_stream_writer_destroy(qv_ipc_stream_writer *w);

typedef struct qv_ipc_stream_reader qv_ipc_stream_reader;

/* Opens a stream held whole in `data` (the reader takes a reference; arrays it
 * returns may reference it after the reader is gone) and reads up to the
 * Schema message. Accepts the pre-0.15 framing (int32 length, no 0xFFFFFFFF)
 * and input that ends without the end-of-stream marker. opts may be NULL.
 * Errors: QV_INVALID for empty, truncated or malformed input (the message
 * says at which byte offset), plus those of qv_ipc_decoder_decode. */
qv_status qv_ipc_stream_reader_create(qv_buffer *data, const qv_ipc_read_options *opts,
                                      qv_ipc_stream_reader **out, qv_error *err) QV_MUST_USE;

/* The stream's schema. Borrowed, valid while r lives. */
qv_schema *qv_ipc_stream_reader_schema(const qv_ipc_stream_reader *r);

/* Reads messages up to the next record batch and returns it in *out (the
 * caller owns one reference); *out is NULL at the end of the stream.
 * Errors: as for _create; after an error every later call fails too. */
qv_status qv_ipc_stream_reader_next(qv_ipc_stream_reader *r, qv_record_batch **out,
                                    qv_error *err) QV_MUST_USE;

/* r may be NULL. */
void qv_ipc_stream_reader_destroy(qv_ipc_stream_reader *r);

/* ---- file format ---------------------------------------------------------- */

typedef struct qv_ipc_file_writer qv_ipc_file_writer;

/* Creates a writer and writes the leading magic and the Schema message. The
 * writer takes a reference to schema; opts may be NULL. Dictionaries may only
 * grow between batches (written as deltas): the file format cannot replace
 * a dictionary.
 * Errors: those of qv_ipc_encoder_create, and the sink's. */
qv_status qv_ipc_file_writer_create(qv_schema *schema, const qv_ipc_write_options *opts,
                                    qv_ipc_sink sink, qv_ipc_file_writer **out,
                                    qv_error *err) QV_MUST_USE;

/* Writes a batch (and the dictionaries it needs). Errors: as for
 * qv_ipc_stream_writer_write. */
qv_status qv_ipc_file_writer_write(qv_ipc_file_writer *w, qv_record_batch *batch,
                                   qv_error *err) QV_MUST_USE;

/* Writes the end-of-stream marker, the footer (schema and the offset and size
 * of every message) and the trailing magic. Without it the file is not
 * readable as a file. Further writes fail with QV_INVALID. */
qv_status qv_ipc_file_writer_close(qv_ipc_file_writer *w, qv_error *err) QV_MUST_USE;

/* w may be NULL. */
void qv_ipc_file_writer_destroy(qv_ipc_file_writer *w);

typedef struct qv_ipc_file_reader qv_ipc_file_reader;

/* Opens a file held whole in `data` (the reader takes a reference): checks
 * both magics, decodes the footer and reads every dictionary. opts may be
 * NULL.
 * Errors: QV_INVALID for a missing magic, a footer or block that lies outside
 * the file, a malformed message; QV_NOT_IMPLEMENTED for big-endian files;
 * those of qv_ipc_decoder_decode. */
qv_status qv_ipc_file_reader_create(qv_buffer *data, const qv_ipc_read_options *opts,
                                    qv_ipc_file_reader **out, qv_error *err) QV_MUST_USE;

/* The schema of the footer. Borrowed, valid while r lives. */
qv_schema *qv_ipc_file_reader_schema(const qv_ipc_file_reader *r);

/* The footer's custom metadata, or NULL. Borrowed, valid while r lives. */
const qv_metadata *qv_ipc_file_reader_metadata(const qv_ipc_file_reader *r);

int64_t qv_ipc_file_reader_num_batches(const qv_ipc_file_reader *r);

/* Decodes record batch i (0 <= i < num_batches) into *out (the caller owns
 * one reference). Batches may be read in any order, any number of times.
 * Errors: QV_INVALID for i out of range or a malformed batch; those of
 * qv_ipc_decoder_decode. */
qv_status qv_ipc_file_reader_batch(qv_ipc_file_reader *r, int64_t i, qv_record_batch **out,
                                   qv_error *err) QV_MUST_USE;

/* r may be NULL. */
void qv_ipc_file_reader_destroy(qv_ipc_file_reader *r);

#ifdef __cplusplus
}
#endif
#endif
