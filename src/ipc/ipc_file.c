/* The IPC file format: "ARROW1\0\0", the stream format (end-of-stream marker
 * included), a footer flatbuffer with the schema and the offset and sizes of
 * every dictionary and record batch message, the footer's int32 length and
 * "ARROW1" again.
 *
 * The writer records a block for each message as it frames it into the sink.
 * The reader works on one buffer holding the whole file: it checks both
 * magics and the footer, reads every dictionary up front (in footer order,
 * deltas applied as they come; the format allows no replacement), and then
 * decodes any record batch on demand, bounds-checking each block against the
 * area before the footer. */
#include <string.h>

#include "ipc/ipc_internal.h"

static const uint8_t magic[8] = {'A', 'R', 'R', 'O', 'W', '1', 0, 0};
#define MAGIC_LEN 6

/* ---- writer ------------------------------------------------------------------- */

typedef struct block_list {
  qv_ipc_block *items;
  int64_t count, capacity;
} block_list;

struct qv_ipc_file_writer {
  qv_allocator *alloc;
  qv_ipc_encoder *enc;
  qv_ipc_sink sink;
  int64_t pos; /* bytes written so far */
  block_list dictionaries;
  block_list batches;
  bool closed;
  bool broken;
};

static qv_status reserve_block(qv_allocator *alloc, block_list *l, qv_error *err) {
  if (l->count < l->capacity) return QV_OK;
  int64_t cap = l->capacity ? l->capacity * 2 : 16;
  qv_ipc_block *p = qv_realloc(alloc, l->items, l->capacity * (int64_t)sizeof *p,
                               cap * (int64_t)sizeof *p);
  if (!p) return qv_error_set(err, QV_NOMEM, "ipc: out of memory recording file blocks");
  l->items = p;
  l->capacity = cap;
  return QV_OK;
}

static qv_status sink_write(qv_ipc_file_writer *w, const void *data, int64_t n, qv_error *err) {
  qv_status st = w->sink.write(w->sink.ctx, data, n, err);
  if (st != QV_OK) w->broken = true;
  else w->pos += n;
  return st;
}

/* Frames each payload into the sink, recording dictionary and record batch
 * blocks (the Schema message has none). */
static qv_status write_payloads(qv_ipc_file_writer *w, qv_ipc_payload_list *list, qv_error *err) {
  for (int64_t i = 0; i < list->count; i++) {
    const qv_ipc_payload *p = &list->items[i];
    block_list *l = p->kind == QV_IPC_MESSAGE_DICTIONARY_BATCH ? &w->dictionaries
                    : p->kind == QV_IPC_MESSAGE_RECORD_BATCH   ? &w->batches
                                                               : NULL;
    if (l) QV_RETURN_NOT_OK(reserve_block(w->alloc, l, err));
    int32_t meta_len;
    int64_t written;
    qv_status st = qv__ipc_write_payload(&w->sink, p, &meta_len, &written, err);
    if (st != QV_OK) {
      w->broken = true;
      return st;
    }
    if (l) {
      qv_ipc_block *b = &l->items[l->count++];
      b->offset = w->pos;
      b->metadata_length = meta_len;
      b->body_length = p->body_length;
    }
    w->pos += written;
  }
  return QV_OK;
}

qv_status qv_ipc_file_writer_create(qv_schema *schema, const qv_ipc_write_options *opts,
                                    qv_ipc_sink sink, qv_ipc_file_writer **out, qv_error *err) {
  *out = NULL;
  if (!sink.write) return qv_error_set(err, QV_INVALID, "ipc: file writer needs a sink");
  qv_ipc_encoder *enc = NULL;
  QV_RETURN_NOT_OK(qv_ipc_encoder_create(schema, opts, &enc, err));
  qv__ipc_encoder_set_file_mode(enc);
  qv_allocator *alloc = qv__ipc_encoder_allocator(enc);
  qv_ipc_file_writer *w = qv_alloc_zeroed(alloc, (int64_t)sizeof *w);
  if (!w) {
    qv_ipc_encoder_destroy(enc);
    return qv_error_set(err, QV_NOMEM, "ipc: cannot allocate a file writer");
  }
  w->alloc = alloc;
  w->enc = enc;
  w->sink = sink;
  qv_ipc_payload_list list;
  qv_ipc_payload_list_init(&list, alloc);
  qv_status st = sink_write(w, magic, sizeof magic, err);
  if (st == QV_OK) st = qv_ipc_encoder_encode_schema(enc, &list, err);
  if (st == QV_OK) st = write_payloads(w, &list, err);
  qv_ipc_payload_list_reset(&list);
  if (st != QV_OK) {
    qv_ipc_file_writer_destroy(w);
    return st;
  }
  *out = w;
  return QV_OK;
}

qv_status qv_ipc_file_writer_write(qv_ipc_file_writer *w, qv_record_batch *batch, qv_error *err) {
  if (w->closed) return qv_error_set(err, QV_INVALID, "ipc: write to a closed file writer");
  if (w->broken)
    return qv_error_set(err, QV_INVALID, "ipc: write to a file writer whose sink failed");
  qv_ipc_payload_list list;
  qv_ipc_payload_list_init(&list, w->alloc);
  qv_status st = qv_ipc_encoder_encode_batch(w->enc, batch, &list, err);
  if (st == QV_OK) st = write_payloads(w, &list, err);
  qv_ipc_payload_list_reset(&list);
  return st;
}

qv_status qv_ipc_file_writer_close(qv_ipc_file_writer *w, qv_error *err) {
  if (w->closed) return qv_error_set(err, QV_INVALID, "ipc: file writer closed twice");
  if (w->broken)
    return qv_error_set(err, QV_INVALID, "ipc: closing a file writer whose sink failed");
  w->closed = true;
  qv_ipc_footer footer;
  memset(&footer, 0, sizeof footer);
  footer.version = QV_IPC_METADATA_V5;
  footer.schema = qv_ipc_encoder_schema(w->enc);
  footer.n_dictionaries = w->dictionaries.count;
  footer.dictionaries = w->dictionaries.items;
  footer.n_record_batches = w->batches.count;
  footer.record_batches = w->batches.items;
  qv_bytes fb;
  qv_bytes_init(&fb, w->alloc);
  qv_status st = qv__ipc_write_eos(&w->sink, err);
  if (st == QV_OK) w->pos += 8;
  else w->broken = true;
  if (st == QV_OK) st = qv__ipc_footer_encode(&footer, &fb, err);
  if (st == QV_OK && fb.size > INT32_MAX)
    st = qv_error_set(err, QV_INVALID, "ipc: file footer of %lld bytes is too large",
                      (long long)fb.size);
  if (st == QV_OK) st = sink_write(w, fb.data, fb.size, err);
  if (st == QV_OK) {
    int32_t len = (int32_t)fb.size;
    st = sink_write(w, &len, 4, err);
  }
  if (st == QV_OK) st = sink_write(w, magic, MAGIC_LEN, err);
  qv_bytes_reset(&fb);
  return st;
}

void qv_ipc_file_writer_destroy(qv_ipc_file_writer *w) {
  if (!w) return;
  qv_ipc_encoder_destroy(w->enc);
  if (w->dictionaries.items)
    qv_free(w->alloc, w->dictionaries.items, w->dictionaries.capacity * (int64_t)sizeof(qv_ipc_block));
  if (w->batches.items)
    qv_free(w->alloc, w->batches.items, w->batches.capacity * (int64_t)sizeof(qv_ipc_block));
  qv_free(w->alloc, w, (int64_t)sizeof *w);
}

/* ---- reader ------------------------------------------------------------------- */

struct qv_ipc_file_reader {
  qv_allocator *alloc;
  qv_buffer *data;
  qv_ipc_decoder *dec;
  qv_ipc_footer footer;
  bool footer_decoded;
  int64_t footer_start; /* messages must lie before it */
};

/* Decodes the message of one footer block, which must be of type `want`. */
static qv_status read_block(qv_ipc_file_reader *r, const qv_ipc_block *b, qv_ipc_message_type want,
                            qv_record_batch **out, qv_error *err) {
  *out = NULL;
  const uint8_t *data = qv_buffer_data(r->data);
  int64_t limit = r->footer_start;
  if (b->offset < (int64_t)sizeof magic || b->offset >= limit || b->metadata_length <= 0 ||
      b->metadata_length > limit - b->offset || b->body_length < 0 ||
      b->body_length > limit - b->offset - b->metadata_length)
    return qv_error_set(err, QV_INVALID,
                        "block [offset %lld, metadata %d, body %lld] lies outside the %lld bytes "
                        "before the footer",
                        (long long)b->offset, (int)b->metadata_length, (long long)b->body_length,
                        (long long)limit);
  /* The frame must fit in the block's metadata length. */
  qv_ipc_frame frame;
  QV_RETURN_NOT_OK(qv__ipc_read_frame(data, b->offset + b->metadata_length, b->offset, &frame,
                                      err));
  if (frame.eos)
    return qv_error_set(err, QV_INVALID, "block at offset %lld holds no message",
                        (long long)b->offset);
  qv_ipc_message msg;
  memset(&msg, 0, sizeof msg);
  QV_RETURN_NOT_OK(qv__ipc_message_decode(data + frame.metadata_offset, frame.metadata_length,
                                          r->alloc, &msg, err));
  qv_status st = QV_OK;
  qv_buffer *body = NULL;
  int64_t body_at = b->offset + b->metadata_length;
  if (msg.type != want)
    st = qv_error_set(err, QV_INVALID, "block at offset %lld holds a message of type %d, not %d",
                      (long long)b->offset, (int)msg.type, (int)want);
  else if (msg.body_length < 0 || msg.body_length > b->body_length)
    st = qv_error_set(err, QV_INVALID,
                      "block at offset %lld: the message's body of %lld bytes exceeds the "
                      "block's %lld",
                      (long long)b->offset, (long long)msg.body_length, (long long)b->body_length);
  else if (msg.body_length > 0)
    st = qv_buffer_slice(r->data, body_at, msg.body_length, &body, err);
  if (st == QV_OK) st = qv__ipc_decoder_decode_message(r->dec, &msg, body, out, err);
  qv_buffer_unref(body);
  qv__ipc_message_reset(&msg);
  return st;
}

qv_status qv_ipc_file_reader_create(qv_buffer *data, const qv_ipc_read_options *opts,
                                    qv_ipc_file_reader **out, qv_error *err) {
  *out = NULL;
  if (!data) return qv_error_set(err, QV_INVALID, "ipc: file reader needs data");
  const uint8_t *p = qv_buffer_data(data);
  int64_t size = qv_buffer_size(data);
  if (size < (int64_t)sizeof magic + 4 + MAGIC_LEN)
    return qv_error_set(err, QV_INVALID, "ipc: %lld bytes are too few for an Arrow file",
                        (long long)size);
  if (memcmp(p, magic, MAGIC_LEN) != 0)
    return qv_error_set(err, QV_INVALID, "ipc: not an Arrow file (no leading ARROW1 magic)");
  if (memcmp(p + size - MAGIC_LEN, magic, MAGIC_LEN) != 0)
    return qv_error_set(err, QV_INVALID,
                        "ipc: Arrow file without its trailing ARROW1 magic (truncated?)");
  int32_t footer_len;
  memcpy(&footer_len, p + size - MAGIC_LEN - 4, 4);
  int64_t footer_end = size - MAGIC_LEN - 4;
  if (footer_len <= 0 || footer_len > footer_end - (int64_t)sizeof magic)
    return qv_error_set(err, QV_INVALID,
                        "ipc: Arrow file footer length %d does not fit in the %lld-byte file",
                        (int)footer_len, (long long)size);
  qv_ipc_decoder *dec = NULL;
  QV_RETURN_NOT_OK(qv_ipc_decoder_create(opts, &dec, err));
  qv_allocator *alloc = qv__ipc_decoder_allocator(dec);
  qv_ipc_file_reader *r = qv_alloc_zeroed(alloc, (int64_t)sizeof *r);
  if (!r) {
    qv_ipc_decoder_destroy(dec);
    return qv_error_set(err, QV_NOMEM, "ipc: cannot allocate a file reader");
  }
  r->alloc = alloc;
  r->dec = dec;
  r->data = qv_buffer_ref(data);
  r->footer_start = footer_end - footer_len;
  qv__ipc_decoder_set_file_mode(dec);
  qv_status st = qv__ipc_footer_decode(p + r->footer_start, footer_len, alloc, &r->footer, err);
  if (st == QV_OK) {
    r->footer_decoded = true;
    st = qv__ipc_decoder_set_schema(dec, r->footer.schema, r->footer.big_endian, err);
  }
  for (int64_t i = 0; st == QV_OK && i < r->footer.n_dictionaries; i++) {
    qv_record_batch *none = NULL;
    st = read_block(r, &r->footer.dictionaries[i], QV_IPC_MSG_DICTIONARY_BATCH, &none, err);
    if (st != QV_OK) qv_error_prefix(err, "ipc file: dictionary block %lld", (long long)i);
  }
  if (st != QV_OK) {
    qv_ipc_file_reader_destroy(r);
    return st;
  }
  *out = r;
  return QV_OK;
}

qv_schema *qv_ipc_file_reader_schema(const qv_ipc_file_reader *r) {
  return qv_ipc_decoder_schema(r->dec);
}

const qv_metadata *qv_ipc_file_reader_metadata(const qv_ipc_file_reader *r) {
  return r->footer.custom_metadata;
}

int64_t qv_ipc_file_reader_num_batches(const qv_ipc_file_reader *r) {
  return r->footer.n_record_batches;
}

qv_status qv_ipc_file_reader_batch(qv_ipc_file_reader *r, int64_t i, qv_record_batch **out,
                                   qv_error *err) {
  *out = NULL;
  if (i < 0 || i >= r->footer.n_record_batches)
    return qv_error_set(err, QV_INVALID, "ipc file: batch %lld of %lld", (long long)i,
                        (long long)r->footer.n_record_batches);
  qv_status st = read_block(r, &r->footer.record_batches[i], QV_IPC_MSG_RECORD_BATCH, out, err);
  if (st != QV_OK) qv_error_prefix(err, "ipc file: record batch block %lld", (long long)i);
  return st;
}

void qv_ipc_file_reader_destroy(qv_ipc_file_reader *r) {
  if (!r) return;
  qv_ipc_decoder_destroy(r->dec);
  if (r->footer_decoded) qv__ipc_footer_reset(&r->footer);
  qv_buffer_unref(r->data);
  qv_free(r->alloc, r, (int64_t)sizeof *r);
}
