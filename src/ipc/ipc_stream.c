/* The IPC stream format: a sequence of framed messages (Schema first, then
 * dictionaries and record batches) ending with an end-of-stream marker.
 *
 * The writer frames the encoder's payloads straight into a sink, so the
 * batch data is copied once, by the sink. The reader works on one buffer
 * holding the whole stream: each message's body becomes a zero-copy slice of
 * it, and every length the input states is checked against the bytes that
 * remain before it is used. */
#include <string.h>

#include "ipc/ipc_internal.h"

/* ---- writer ------------------------------------------------------------------- */

struct qv_ipc_stream_writer {
  qv_allocator *alloc;
  qv_ipc_encoder *enc;
  qv_ipc_sink sink;
  bool closed;
  bool broken; /* a sink write failed: the stream is cut mid-message */
};

static qv_status write_payloads(qv_ipc_stream_writer *w, qv_ipc_payload_list *list,
                                qv_error *err) {
  for (int64_t i = 0; i < list->count; i++) {
    int32_t meta_len;
    int64_t written;
    qv_status st = qv__ipc_write_payload(&w->sink, &list->items[i], &meta_len, &written, err);
    if (st != QV_OK) {
      w->broken = true;
      return st;
    }
  }
  return QV_OK;
}

qv_status qv_ipc_stream_writer_create(qv_schema *schema, const qv_ipc_write_options *opts,
                                      qv_ipc_sink sink, qv_ipc_stream_writer **out,
                                      qv_error *err) {
  *out = NULL;
  if (!sink.write) return qv_error_set(err, QV_INVALID, "ipc: stream writer needs a sink");
  qv_ipc_encoder *enc = NULL;
  QV_RETURN_NOT_OK(qv_ipc_encoder_create(schema, opts, &enc, err));
  qv_allocator *alloc = qv__ipc_encoder_allocator(enc);
  qv_ipc_stream_writer *w = qv_alloc_zeroed(alloc, (int64_t)sizeof *w);
  if (!w) {
    qv_ipc_encoder_destroy(enc);
    return qv_error_set(err, QV_NOMEM, "ipc: cannot allocate a stream writer");
  }
  w->alloc = alloc;
  w->enc = enc;
  w->sink = sink;
  qv_ipc_payload_list list;
  qv_ipc_payload_list_init(&list, alloc);
  qv_status st = qv_ipc_encoder_encode_schema(enc, &list, err);
  if (st == QV_OK) st = write_payloads(w, &list, err);
  qv_ipc_payload_list_reset(&list);
  if (st != QV_OK) {
    qv_ipc_stream_writer_destroy(w);
    return st;
  }
  *out = w;
  return QV_OK;
}

qv_status qv_ipc_stream_writer_write(qv_ipc_stream_writer *w, qv_record_batch *batch,
                                     qv_error *err) {
  if (w->closed) return qv_error_set(err, QV_INVALID, "ipc: write to a closed stream writer");
  if (w->broken)
    return qv_error_set(err, QV_INVALID, "ipc: write to a stream writer whose sink failed");
  qv_ipc_payload_list list;
  qv_ipc_payload_list_init(&list, w->alloc);
  qv_status st = qv_ipc_encoder_encode_batch(w->enc, batch, &list, err);
  if (st == QV_OK) st = write_payloads(w, &list, err);
  qv_ipc_payload_list_reset(&list);
  return st;
}

qv_status qv_ipc_stream_writer_close(qv_ipc_stream_writer *w, qv_error *err) {
  if (w->closed) return qv_error_set(err, QV_INVALID, "ipc: stream writer closed twice");
  if (w->broken)
    return qv_error_set(err, QV_INVALID, "ipc: closing a stream writer whose sink failed");
  w->closed = true;
  qv_status st = qv__ipc_write_eos(&w->sink, err);
  if (st != QV_OK) w->broken = true;
  return st;
}

void qv_ipc_stream_writer_destroy(qv_ipc_stream_writer *w) {
  if (!w) return;
  qv_ipc_encoder_destroy(w->enc);
  qv_free(w->alloc, w, (int64_t)sizeof *w);
}

/* ---- reader ------------------------------------------------------------------- */

struct qv_ipc_stream_reader {
  qv_allocator *alloc;
  qv_buffer *data;
  int64_t pos;
  qv_ipc_decoder *dec;
  bool done;
  bool failed;
};

/* Reads the message at r->pos. *eos is set at the end of the stream; otherwise
 * the message is decoded (and *out set for a record batch). want_schema: the
 * message must be the Schema. */
static qv_status read_message(qv_ipc_stream_reader *r, bool want_schema, bool *eos,
                              qv_record_batch **out, qv_error *err) {
  *eos = false;
  *out = NULL;
  const uint8_t *data = qv_buffer_data(r->data);
  int64_t size = qv_buffer_size(r->data);
  int64_t at = r->pos;
  qv_ipc_frame frame;
  QV_RETURN_NOT_OK(qv__ipc_read_frame(data, size, at, &frame, err));
  if (frame.eos) {
    *eos = true;
    return QV_OK;
  }
  qv_ipc_message msg;
  memset(&msg, 0, sizeof msg);
  qv_status st = qv__ipc_message_decode(data + frame.metadata_offset, frame.metadata_length,
                                        r->alloc, &msg, err);
  if (st != QV_OK) {
    qv_error_prefix(err, "ipc: message at offset %lld", (long long)at);
    return st;
  }
  int64_t body_at = frame.metadata_offset + frame.metadata_length;
  qv_buffer *body = NULL;
  if (want_schema && msg.type != QV_IPC_MSG_SCHEMA) {
    st = qv_error_set(err, QV_INVALID,
                      "ipc: the stream starts with a message of type %d, not a Schema",
                      (int)msg.type);
  } else if (msg.body_length < 0 || msg.body_length > size - body_at) {
    st = qv_error_set(err, QV_INVALID,
                      "ipc: message at offset %lld declares a body of %lld bytes but %lld remain",
                      (long long)at, (long long)msg.body_length, (long long)(size - body_at));
  } else if (msg.body_length > 0) {
    st = qv_buffer_slice(r->data, body_at, msg.body_length, &body, err);
  }
  if (st == QV_OK) {
    st = qv__ipc_decoder_decode_message(r->dec, &msg, body, out, err);
    if (st != QV_OK) qv_error_prefix(err, "at offset %lld", (long long)at);
  }
  if (st == QV_OK) r->pos = body_at + msg.body_length;
  qv_buffer_unref(body);
  qv__ipc_message_reset(&msg);
  return st;
}

qv_status qv_ipc_stream_reader_create(qv_buffer *data, const qv_ipc_read_options *opts,
                                      qv_ipc_stream_reader **out, qv_error *err) {
  *out = NULL;
  if (!data) return qv_error_set(err, QV_INVALID, "ipc: stream reader needs data");
  qv_ipc_decoder *dec = NULL;
  QV_RETURN_NOT_OK(qv_ipc_decoder_create(opts, &dec, err));
  qv_allocator *alloc = qv__ipc_decoder_allocator(dec);
  qv_ipc_stream_reader *r = qv_alloc_zeroed(alloc, (int64_t)sizeof *r);
  if (!r) {
    qv_ipc_decoder_destroy(dec);
    return qv_error_set(err, QV_NOMEM, "ipc: cannot allocate a stream reader");
  }
  r->alloc = alloc;
  r->dec = dec;
  r->data = qv_buffer_ref(data);
  bool eos;
  qv_record_batch *none = NULL;
  qv_status st = read_message(r, true, &eos, &none, err);
  if (st == QV_OK && eos)
    st = qv_error_set(err, QV_INVALID, "ipc: the stream has no Schema message (%lld bytes)",
                      (long long)qv_buffer_size(data));
  if (st != QV_OK) {
    qv_ipc_stream_reader_destroy(r);
    return st;
  }
  *out = r;
  return QV_OK;
}

qv_schema *qv_ipc_stream_reader_schema(const qv_ipc_stream_reader *r) {
  return qv_ipc_decoder_schema(r->dec);
}

qv_status qv_ipc_stream_reader_next(qv_ipc_stream_reader *r, qv_record_batch **out,
                                    qv_error *err) {
  *out = NULL;
  if (r->failed)
    return qv_error_set(err, QV_INVALID, "ipc: stream reading stopped after an earlier error");
  while (!r->done) {
    bool eos;
    qv_status st = read_message(r, false, &eos, out, err);
    if (st != QV_OK) {
      r->failed = true;
      return st;
    }
    if (eos) r->done = true;
    else if (*out) return QV_OK;
  }
  return QV_OK;
}

void qv_ipc_stream_reader_destroy(qv_ipc_stream_reader *r) {
  if (!r) return;
  qv_ipc_decoder_destroy(r->dec);
  qv_buffer_unref(r->data);
  qv_free(r->alloc, r, (int64_t)sizeof *r);
}
