/* libFuzzer target for the flatbuffer reader and the IPC metadata codec: the
 * input is decoded both as a Message and as a file Footer. Beyond "no crash,
 * no leak, no out-of-bounds read", whatever decodes must survive a round trip
 * through the encoder unchanged; a mismatch traps so the fuzzer reports it.
 *
 * Inputs are raw flatbuffers, but framed ones are understood as well, so that
 * whole IPC files seed the corpus (fuzz_flatbuf.seeds): an input starting with
 * a message frame (0xFFFFFFFF, int32 length, flatbuffer) also has that
 * flatbuffer decoded as a Message, after the 8-byte "ARROW1\0\0" magic too;
 * an input ending with "ARROW1" also has its footer (int32 length before the
 * magic) decoded. Better seeds still are the bare flatbuffers: each message's
 * metadata of the golden .stream files and each .arrow_file's footer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ipc/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_batch(const qv_ipc_batch_header *a, const qv_ipc_batch_header *b) {
  if (a->length != b->length || a->n_nodes != b->n_nodes || a->n_buffers != b->n_buffers ||
      a->codec != b->codec)
    return false;
  for (int64_t i = 0; i < a->n_nodes; i++)
    if (a->nodes[i].length != b->nodes[i].length || a->nodes[i].null_count != b->nodes[i].null_count)
      return false;
  for (int64_t i = 0; i < a->n_buffers; i++)
    if (a->buffers[i].offset != b->buffers[i].offset || a->buffers[i].length != b->buffers[i].length)
      return false;
  return true;
}

static bool same_fields_ids(const qv_field *a, const qv_field *b) {
  if (qv_field_dictionary_id(a) != qv_field_dictionary_id(b)) return false;
  const qv_data_type *ta = qv_field_type(a), *tb = qv_field_type(b);
  if (qv_type_id_of(ta) == QV_DICTIONARY) {
    ta = qv_type_dict_value(ta);
    tb = qv_type_dict_value(tb);
  }
  if (qv_type_num_children(ta) != qv_type_num_children(tb)) return false;
  for (int32_t i = 0; i < qv_type_num_children(ta); i++)
    if (!same_fields_ids(qv_type_child(ta, i), qv_type_child(tb, i))) return false;
  return true;
}

static bool same_schema(const qv_schema *a, const qv_schema *b) {
  if (!qv_schema_equals(a, b)) return false;
  for (int32_t i = 0; i < qv_schema_num_fields(a); i++)
    if (!same_fields_ids(qv_schema_field(a, i), qv_schema_field(b, i))) return false;
  return true;
}

static void check_message(const qv_ipc_message *msg) {
  qv_error err;
  qv_bytes out;
  qv_ipc_message again;
  qv_status st;
  qv_bytes_init(&out, NULL);
  if (msg->type == QV_IPC_MSG_SCHEMA)
    st = qv__ipc_schema_message_encode(msg->schema, msg->custom_metadata, &out, &err);
  else
    st = qv__ipc_batch_message_encode(msg->type, &msg->batch, msg->body_length,
                                      msg->dictionary_id, msg->is_delta, msg->custom_metadata,
                                      &out, &err);
  /* Anything decoded is encodable; only running out of memory may stop it. */
  if (st != QV_OK && st != QV_NOMEM) __builtin_trap();
  if (st == QV_OK) {
    st = qv__ipc_message_decode(out.data, out.size, NULL, &again, &err);
    if (st != QV_OK && st != QV_NOMEM) __builtin_trap();
    if (st == QV_OK) {
      /* The schema encoder writes bodyLength 0 and little endian, whatever
       * the decoded message said. */
      bool same = again.type == msg->type &&
                  qv_metadata_equals(again.custom_metadata, msg->custom_metadata) &&
                  (msg->type == QV_IPC_MSG_SCHEMA
                       ? same_schema(again.schema, msg->schema) && !again.big_endian &&
                             again.body_length == 0
                       : again.body_length == msg->body_length &&
                             same_batch(&again.batch, &msg->batch) &&
                             again.dictionary_id == msg->dictionary_id &&
                             again.is_delta == msg->is_delta);
      qv__ipc_message_reset(&again);
      if (!same) __builtin_trap();
    }
  }
  qv_bytes_reset(&out);
}

static void check_footer(const qv_ipc_footer *footer) {
  qv_error err;
  qv_bytes out;
  qv_ipc_footer again;
  qv_bytes_init(&out, NULL);
  qv_status st = qv__ipc_footer_encode(footer, &out, &err);
  if (st != QV_OK && st != QV_NOMEM) __builtin_trap();
  if (st == QV_OK) {
    st = qv__ipc_footer_decode(out.data, out.size, NULL, &again, &err);
    if (st != QV_OK && st != QV_NOMEM) __builtin_trap();
    if (st == QV_OK) {
      bool same = same_schema(again.schema, footer->schema) &&
                  again.n_dictionaries == footer->n_dictionaries &&
                  again.n_record_batches == footer->n_record_batches &&
                  qv_metadata_equals(again.custom_metadata, footer->custom_metadata);
      for (int64_t i = 0; same && i < footer->n_dictionaries; i++)
        same = again.dictionaries[i].offset == footer->dictionaries[i].offset &&
               again.dictionaries[i].metadata_length == footer->dictionaries[i].metadata_length &&
               again.dictionaries[i].body_length == footer->dictionaries[i].body_length;
      for (int64_t i = 0; same && i < footer->n_record_batches; i++)
        same = again.record_batches[i].offset == footer->record_batches[i].offset &&
               again.record_batches[i].metadata_length == footer->record_batches[i].metadata_length &&
               again.record_batches[i].body_length == footer->record_batches[i].body_length;
      qv__ipc_footer_reset(&again);
      if (!same) __builtin_trap();
    }
  }
  qv_bytes_reset(&out);
}

static void fuzz_message(const uint8_t *data, int64_t size) {
  qv_error err;
  qv_ipc_message msg;
  if (qv__ipc_message_decode(data, size, NULL, &msg, &err) == QV_OK) {
    check_message(&msg);
    qv__ipc_message_reset(&msg);
  }
}

static void fuzz_footer(const uint8_t *data, int64_t size) {
  qv_error err;
  qv_ipc_footer footer;
  if (qv__ipc_footer_decode(data, size, NULL, &footer, &err) == QV_OK) {
    check_footer(&footer);
    qv__ipc_footer_reset(&footer);
  }
}

static int32_t load_i32(const uint8_t *p) {
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* The flatbuffer of a message frame at data, if there is one. */
static void fuzz_frame(const uint8_t *data, int64_t size) {
  if (size < 8 || load_i32(data) != -1) return;
  int32_t len = load_i32(data + 4);
  if (len > 0 && len <= size - 8) fuzz_message(data + 8, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int64_t n = (int64_t)size;
  fuzz_message(data, n);
  fuzz_footer(data, n);
  fuzz_frame(data, n);
  if (n >= 8 && memcmp(data, "ARROW1", 6) == 0) fuzz_frame(data + 8, n - 8);
  if (n >= 10 && memcmp(data + n - 6, "ARROW1", 6) == 0) {
    int32_t len = load_i32(data + n - 10);
    if (len > 0 && len <= n - 10) fuzz_footer(data + n - 10 - len, len);
  }
  return 0;
}
