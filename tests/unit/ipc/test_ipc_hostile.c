/* Hostile input for the IPC readers: every golden stream and file truncated
 * at many lengths and with random bytes changed; hand-made messages whose
 * lengths, spans, nodes and declared decompressed sizes lie; dictionaries
 * used before they are defined; big-endian schemas; V4 union layouts; and
 * allocation failures at every step. The readers must never crash or leak,
 * and must answer with a clear error or a valid result. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "arrow/sample_arrays.h"
#include "ipc/flatbuf.h"
#include "ipc/metadata.h"
#include "ipc_test_util.h"
#include "test.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* Reads data as a stream (or file), every batch. Returns the status; on
 * success *n_batches is set. Failures must carry a message and one of the
 * codes bad input may give. */
static bool read_all(qv_buffer *data, bool as_file, const qv_ipc_read_options *opts,
                     int64_t *n_batches, qv_status *status, qv_error *err) {
  batch_list l;
  qv_error_init(err);
  *status = as_file ? read_file(data, opts, &l, err) : read_stream(data, opts, &l, err);
  *n_batches = 0;
  if (*status == QV_OK) {
    *n_batches = l.count;
    batch_list_reset(&l);
    return true;
  }
  bool expected = *status == QV_INVALID || *status == QV_NOT_IMPLEMENTED ||
                  *status == QV_RESOURCE_EXHAUSTED || *status == QV_NOMEM;
  if (!expected || err->message[0] == '\0')
    qv_test_fail(__FILE__, __LINE__, "unexpected failure %s: '%s'", qv_status_name(*status),
                 err->message);
  return false;
}

QV_TEST(ipc_hostile_truncated_golden_inputs) {
  for (int as_file = 0; as_file < 2; as_file++) {
    char **paths;
    int n = golden_files(as_file ? ".arrow_file" : ".stream", &paths);
    CHECK(n > 0);
    for (int i = 0; i < n; i++) {
      qv_buffer *whole = load_file(paths[i]);
      CHECK(whole);
      int64_t size = qv_buffer_size(whole), full_batches = 0;
      qv_status st;
      qv_error err;
      CHECK(read_all(whole, as_file, NULL, &full_batches, &st, &err));
      int64_t step = size < 4096 ? 1 : size / 1500;
      for (int64_t len = 0; len < size; len += step) {
        qv_buffer *cut = NULL;
        CHECK_OK(qv_buffer_slice(whole, 0, len, &cut, &err), &err);
        /* A copy, so that ASan sees any read past the cut. */
        qv_buffer *copy = NULL;
        CHECK_OK(qv_buffer_copy(qv_default_allocator(), qv_buffer_data(cut), len, &copy, &err),
                 &err);
        qv_buffer_unref(cut);
        int64_t got;
        if (read_all(copy, as_file, NULL, &got, &st, &err)) {
          /* A cut stream may end cleanly between messages: fewer batches. */
          if (as_file || got > full_batches)
            qv_test_fail(__FILE__, __LINE__, "%s cut at %lld: read %lld batches", paths[i],
                         (long long)len, (long long)got);
        }
        qv_buffer_unref(copy);
      }
      qv_buffer_unref(whole);
    }
    free_paths(paths, n);
  }
}

QV_TEST(ipc_hostile_random_bytes_in_golden_inputs) {
  for (int as_file = 0; as_file < 2; as_file++) {
    char **paths;
    int n = golden_files(as_file ? ".arrow_file" : ".stream", &paths);
    CHECK(n > 0);
    for (int i = 0; i < n; i++) {
      qv_buffer *whole = load_file(paths[i]);
      CHECK(whole);
      int64_t size = qv_buffer_size(whole);
      int iterations = size > 100000 ? 30 : 150;
      for (int it = 0; it < iterations; it++) {
        qv_error err;
        qv_buffer *copy = NULL;
        CHECK_OK(qv_buffer_copy(qv_default_allocator(), qv_buffer_data(whole), size, &copy, &err),
                 &err);
        uint8_t *p = qv_buffer_mutable_data(copy);
        int flips = 1 + (int)(next_rand() % 4);
        for (int k = 0; k < flips; k++) {
          uint64_t r = next_rand();
          /* Mostly in the first KiB, where the metadata lives. */
          int64_t at = (int64_t)((r >> 8) % (uint64_t)(it % 2 ? size : (size < 1024 ? size : 1024)));
          p[at] = (r & 1) ? (uint8_t)(r >> 40) : (uint8_t)(p[at] ^ (1u << ((r >> 1) & 7)));
        }
        int64_t got;
        qv_status st;
        (void)read_all(copy, as_file, NULL, &got, &st, &err);
        qv_buffer_unref(copy);
      }
      qv_buffer_unref(whole);
    }
    free_paths(paths, n);
  }
}

/* ---- hand-made messages ------------------------------------------------------ */

/* A RecordBatch Message flatbuffer written directly, so that it can say
 * anything (the metadata encoder refuses inconsistent headers). */
static qv_status raw_batch_message(int16_t version, qv_ipc_message_type type, int64_t dict_id,
                                   const qv_ipc_batch_header *h, int64_t body_length,
                                   qv_bytes *out, qv_error *err) {
  qv_fb_builder b;
  qv__fb_builder_init(&b, NULL);
  qv_fb_ref nodes = 0, buffers = 0, comp = 0, batch = 0, header = 0, root = 0;
  uint8_t *p;
  qv_status st = qv__fb_create_vector(&b, h->n_nodes, 16, 8, &p, &nodes, err);
  for (int64_t i = 0; st == QV_OK && i < h->n_nodes; i++) {
    qv__fb_store_i64(p + 16 * i, h->nodes[i].length);
    qv__fb_store_i64(p + 16 * i + 8, h->nodes[i].null_count);
  }
  if (st == QV_OK) st = qv__fb_create_vector(&b, h->n_buffers, 16, 8, &p, &buffers, err);
  for (int64_t i = 0; st == QV_OK && i < h->n_buffers; i++) {
    qv__fb_store_i64(p + 16 * i, h->buffers[i].offset);
    qv__fb_store_i64(p + 16 * i + 8, h->buffers[i].length);
  }
  if (st == QV_OK && h->codec != QV_IPC_CODEC_NONE) {
    st = qv__fb_table_start(&b, err);
    if (st == QV_OK) st = qv__fb_add_int8(&b, 0, (int8_t)h->codec, err);
    if (st == QV_OK) st = qv__fb_table_end(&b, &comp, err);
  }
  if (st == QV_OK) st = qv__fb_table_start(&b, err);
  if (st == QV_OK) st = qv__fb_add_int64(&b, 0, h->length, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 1, nodes, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 2, buffers, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 3, comp, err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &batch, err);
  header = batch;
  if (st == QV_OK && type == QV_IPC_MSG_DICTIONARY_BATCH) {
    st = qv__fb_table_start(&b, err);
    if (st == QV_OK) st = qv__fb_add_int64(&b, 0, dict_id, err);
    if (st == QV_OK) st = qv__fb_add_offset(&b, 1, batch, err);
    if (st == QV_OK) st = qv__fb_table_end(&b, &header, err);
  }
  if (st == QV_OK) st = qv__fb_table_start(&b, err);
  if (st == QV_OK) st = qv__fb_add_int16(&b, 0, version, err);
  if (st == QV_OK) st = qv__fb_add_uint8(&b, 1, (uint8_t)type, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 2, header, err);
  if (st == QV_OK) st = qv__fb_add_int64(&b, 3, body_length, err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &root, err);
  if (st == QV_OK) st = qv__fb_finish(&b, root, out, err);
  qv__fb_builder_reset(&b);
  return st;
}

/* Encodes a one-column batch of `a` with the given compression: the schema
 * payload, and the payloads of the batch (dictionaries, then the batch). */
typedef struct encoded {
  qv_record_batch *batch;
  qv_ipc_payload_list payloads;
} encoded;

static qv_status encode_column(qv_array *a, qv_ipc_compression codec, encoded *out,
                               qv_error *err) {
  memset(out, 0, sizeof *out);
  qv_ipc_payload_list_init(&out->payloads, NULL);
  qv_field *f = NULL;
  qv_schema *s = NULL;
  qv_ipc_encoder *enc = NULL;
  qv_ipc_write_options wo;
  qv_ipc_write_options_init(&wo);
  wo.compression = codec;
  qv_status st = qv_field_create("c", qv_array_type(a), true, NULL, &f, err);
  if (st == QV_OK) st = qv_schema_create(&f, 1, NULL, &s, err);
  if (st == QV_OK) st = qv_record_batch_create(s, qv_array_length(a), &a, 1, &out->batch, err);
  if (st == QV_OK) st = qv_ipc_encoder_create(s, &wo, &enc, err);
  if (st == QV_OK) st = qv_ipc_encoder_encode_schema(enc, &out->payloads, err);
  if (st == QV_OK) st = qv_ipc_encoder_encode_batch(enc, out->batch, &out->payloads, err);
  qv_ipc_encoder_destroy(enc);
  qv_schema_unref(s);
  qv_field_unref(f);
  return st;
}

static void encoded_reset(encoded *e) {
  qv_record_batch_unref(e->batch);
  qv_ipc_payload_list_reset(&e->payloads);
}

static qv_buffer *gather_body(const qv_ipc_payload *p) {
  qv_buffer *b = NULL;
  qv_error err;
  if (qv_buffer_allocate(qv_default_allocator(), p->body_length, &b, &err) != QV_OK) return NULL;
  int64_t at = 0;
  for (int64_t i = 0; i < p->n_parts; i++) {
    memcpy(qv_buffer_mutable_data(b) + at, p->parts[i].data, (size_t)p->parts[i].size);
    at += p->parts[i].size;
  }
  return b;
}

/* Decodes the schema payload of e, then (metadata, body) with a fresh decoder
 * built from opts. */
static qv_status decode_after_schema(const encoded *e, const qv_ipc_read_options *opts,
                                     const uint8_t *metadata, int64_t metadata_len,
                                     qv_buffer *body, qv_record_batch **out, qv_error *err) {
  qv_ipc_decoder *dec = NULL;
  *out = NULL;
  qv_status st = qv_ipc_decoder_create(opts, &dec, err);
  if (st == QV_OK)
    st = qv_ipc_decoder_decode(dec, e->payloads.items[0].metadata.data,
                               e->payloads.items[0].metadata.size, NULL, out, err);
  if (st == QV_OK) st = qv_ipc_decoder_decode(dec, metadata, metadata_len, body, out, err);
  qv_ipc_decoder_destroy(dec);
  return st;
}

/* Re-encodes the record batch payload's header after `edit` changed it and
 * decodes it against `body`. */
static qv_status decode_edited(const encoded *e, void (*edit)(qv_ipc_message *m), qv_buffer *body,
                               qv_error *err) {
  const qv_ipc_payload *p = &e->payloads.items[e->payloads.count - 1];
  qv_ipc_message msg;
  memset(&msg, 0, sizeof msg);
  qv_status st = qv__ipc_message_decode(p->metadata.data, p->metadata.size, NULL, &msg, err);
  if (st != QV_OK) return st;
  edit(&msg);
  qv_bytes meta;
  qv_bytes_init(&meta, NULL);
  st = raw_batch_message(msg.version, QV_IPC_MSG_RECORD_BATCH, -1, &msg.batch, msg.body_length,
                         &meta, err);
  qv__ipc_message_reset(&msg);
  qv_record_batch *out = NULL;
  if (st == QV_OK) st = decode_after_schema(e, NULL, meta.data, meta.size, body, &out, err);
  qv_record_batch_unref(out);
  qv_bytes_reset(&meta);
  return st;
}

static void edit_nothing(qv_ipc_message *m) { (void)m; }
static void edit_span_past_body(qv_ipc_message *m) { m->batch.buffers[1].offset = m->body_length; }
static void edit_span_huge(qv_ipc_message *m) { m->batch.buffers[1].length = INT64_MAX; }
static void edit_span_negative(qv_ipc_message *m) { m->batch.buffers[1].offset = -8; }
static void edit_node_longer(qv_ipc_message *m) {
  m->batch.nodes[0].length *= 1000;
  m->batch.length *= 1000;
}
static void edit_nulls_over_length(qv_ipc_message *m) {
  m->batch.nodes[0].null_count = m->batch.nodes[0].length + 1;
}
static void edit_fewer_buffers(qv_ipc_message *m) { m->batch.n_buffers--; }
static void edit_fewer_nodes(qv_ipc_message *m) { m->batch.n_nodes = 0; }
static void edit_more_buffers(qv_ipc_message *m) {
  /* Repeat the last buffer (reuses the allocation: n_buffers stays within). */
  m->batch.buffers[0] = m->batch.buffers[m->batch.n_buffers - 1];
  m->batch.n_nodes = 2;
  m->batch.nodes[1] = m->batch.nodes[0];
}
static void edit_body_longer(qv_ipc_message *m) { m->body_length += 64; }
static void edit_negative_length(qv_ipc_message *m) { m->batch.length = -1; }

QV_TEST(ipc_hostile_lying_headers) {
  qv_error err;
  qv_error_init(&err);
  const char *name;
  qv_array *a = NULL;
  CHECK_OK(sample_array(27, &name, &a, &err), &err); /* utf8: validity, offsets, data */
  encoded e;
  CHECK_OK(encode_column(a, QV_IPC_COMPRESSION_NONE, &e, &err), &err);
  qv_buffer *body = gather_body(&e.payloads.items[1]);
  CHECK(body);
  CHECK_OK(decode_edited(&e, edit_nothing, body, &err), &err);
  struct {
    const char *what;
    void (*edit)(qv_ipc_message *m);
  } cases[] = {{"span past body", edit_span_past_body},
               {"huge span", edit_span_huge},
               {"negative span", edit_span_negative},
               {"node longer than buffers", edit_node_longer},
               {"null count over length", edit_nulls_over_length},
               {"fewer buffers", edit_fewer_buffers},
               {"fewer nodes", edit_fewer_nodes},
               {"more nodes and buffers", edit_more_buffers},
               {"body length over the body", edit_body_longer},
               {"negative batch length", edit_negative_length}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qv_error_init(&err);
    qv_status st = decode_edited(&e, cases[i].edit, body, &err);
    if (st != QV_INVALID || err.message[0] == '\0')
      qv_test_fail(__FILE__, __LINE__, "%s: %s '%s'", cases[i].what, qv_status_name(st),
                   err.message);
  }
  qv_buffer_unref(body);
  encoded_reset(&e);
  qv_array_unref(a);
}

/* Stream framing whose lengths lie about the bytes that follow. */
QV_TEST(ipc_hostile_stream_framing) {
  qv_error err;
  qv_error_init(&err);
  const char *name;
  qv_array *a = NULL;
  CHECK_OK(sample_array(4, &name, &a, &err), &err);
  encoded e;
  CHECK_OK(encode_column(a, QV_IPC_COMPRESSION_NONE, &e, &err), &err);
  qv_buffer *stream = NULL;
  CHECK_OK(write_stream(qv_record_batch_schema(e.batch), &e.batch, 1, NULL, &stream, &err), &err);
  int64_t size = qv_buffer_size(stream);
  int64_t schema_len = 8 + ((e.payloads.items[0].metadata.size + 7) & ~7);
  struct {
    const char *what;
    int64_t at;
    int32_t value;
  } cases[] = {
      {"schema metadata longer than the input", 4, (int32_t)size},
      {"negative metadata length", 4, -16},
      {"batch metadata longer than the input", schema_len + 4, 1 << 30},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qv_buffer *copy = NULL;
    CHECK_OK(qv_buffer_copy(qv_default_allocator(), qv_buffer_data(stream), size, &copy, &err),
             &err);
    memcpy(qv_buffer_mutable_data(copy) + cases[i].at, &cases[i].value, 4);
    int64_t got;
    qv_status st;
    if (read_all(copy, false, NULL, &got, &st, &err) || st != QV_INVALID)
      qv_test_fail(__FILE__, __LINE__, "%s: %s", cases[i].what, qv_status_name(st));
    qv_buffer_unref(copy);
  }
  /* A body length beyond the input: re-frame the batch with a larger one. */
  const qv_ipc_payload *p = &e.payloads.items[1];
  qv_ipc_message msg;
  memset(&msg, 0, sizeof msg);
  CHECK_OK(qv__ipc_message_decode(p->metadata.data, p->metadata.size, NULL, &msg, &err), &err);
  qv_bytes meta, s;
  qv_bytes_init(&meta, NULL);
  qv_bytes_init(&s, NULL);
  CHECK_OK(raw_batch_message(msg.version, QV_IPC_MSG_RECORD_BATCH, -1, &msg.batch,
                             msg.body_length + 4096, &meta, &err),
           &err);
  qv__ipc_message_reset(&msg);
  CHECK_OK(qv_bytes_append(&s, qv_buffer_data(stream), schema_len, &err), &err);
  uint32_t prefix[2] = {0xFFFFFFFFu, (uint32_t)((meta.size + 7) & ~7)};
  CHECK_OK(qv_bytes_append(&s, prefix, 8, &err), &err);
  CHECK_OK(qv_bytes_append(&s, meta.data, meta.size, &err), &err);
  CHECK_OK(qv_bytes_append_zeros(&s, (int64_t)prefix[1] - meta.size, &err), &err);
  for (int64_t i = 0; i < p->n_parts; i++)
    CHECK_OK(qv_bytes_append(&s, p->parts[i].data, p->parts[i].size, &err), &err);
  qv_buffer *lying = NULL;
  CHECK_OK(qv_bytes_finish(&s, &lying, &err), &err);
  int64_t got;
  qv_status st;
  CHECK(!read_all(lying, false, NULL, &got, &st, &err));
  CHECK_EQ_INT(st, QV_INVALID);
  CHECK(strstr(err.message, "body") != NULL);
  qv_buffer_unref(lying);
  qv_bytes_reset(&meta);
  qv_bytes_reset(&s);

  /* Nothing but an end-of-stream marker, or nothing at all. */
  static const uint8_t eos[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
  for (int n = 0; n <= 8; n += 8) {
    qv_buffer *b = NULL;
    CHECK_OK(qv_buffer_copy(qv_default_allocator(), eos, n, &b, &err), &err);
    qv_ipc_stream_reader *r = NULL;
    CHECK_STATUS(qv_ipc_stream_reader_create(b, NULL, &r, &err), QV_INVALID);
    CHECK(r == NULL);
    qv_buffer_unref(b);
  }
  qv_buffer_unref(stream);
  encoded_reset(&e);
  qv_array_unref(a);
}

/* Finds the first compressed buffer (span of at least 9 bytes) of a payload
 * and returns its body offset. */
static int64_t first_compressed_buffer(const qv_ipc_payload *p, int64_t *length) {
  qv_ipc_message msg;
  qv_error err;
  memset(&msg, 0, sizeof msg);
  if (qv__ipc_message_decode(p->metadata.data, p->metadata.size, NULL, &msg, &err) != QV_OK)
    return -1;
  int64_t at = -1;
  for (int64_t i = 0; i < msg.batch.n_buffers && at < 0; i++)
    if (msg.batch.buffers[i].length > 8) {
      at = msg.batch.buffers[i].offset;
      *length = msg.batch.buffers[i].length;
    }
  qv__ipc_message_reset(&msg);
  return at;
}

QV_TEST(ipc_hostile_decompressed_sizes) {
  qv_error err;
  qv_error_init(&err);
  int64_t zeros[4096];
  memset(zeros, 0, sizeof zeros);
  qv_array *a = sample_ints(qv_type_primitive(QV_INT64), zeros, NULL, 4096);
  CHECK(a);
  static const qv_ipc_compression codecs[] = {QV_IPC_COMPRESSION_LZ4_FRAME,
                                              QV_IPC_COMPRESSION_ZSTD};
  for (int c = 0; c < 2; c++) {
    encoded e;
    CHECK_OK(encode_column(a, codecs[c], &e, &err), &err);
    const qv_ipc_payload *p = &e.payloads.items[1];
    int64_t span_len = 0;
    int64_t at = first_compressed_buffer(p, &span_len);
    CHECK(at >= 0);
    int64_t real;
    qv_buffer *body = gather_body(p);
    CHECK(body);
    memcpy(&real, qv_buffer_data(body) + at, 8);
    CHECK_EQ_INT(real, 4096 * 8);

    /* An allocator that would refuse anything big proves that the absurd
     * sizes are refused before any allocation. */
    qv_allocator *limited = NULL;
    CHECK_OK(qv_allocator_create(1 << 20, &limited, &err), &err);
    qv_ipc_read_options ro;
    qv_ipc_read_options_init(&ro);
    ro.alloc = limited;
    struct {
      int64_t declared;
      int64_t cap;
      qv_status want;
    } cases[] = {
        {real, QV_IPC_DEFAULT_MAX_DECOMPRESSED_SIZE, QV_OK},
        {(int64_t)1 << 40, QV_IPC_DEFAULT_MAX_DECOMPRESSED_SIZE, QV_RESOURCE_EXHAUSTED},
        {INT64_MAX, QV_IPC_DEFAULT_MAX_DECOMPRESSED_SIZE, QV_RESOURCE_EXHAUSTED},
        {real, real - 1, QV_RESOURCE_EXHAUSTED},
        {real + 1, QV_IPC_DEFAULT_MAX_DECOMPRESSED_SIZE, QV_INVALID},
        {real - 1, QV_IPC_DEFAULT_MAX_DECOMPRESSED_SIZE, QV_INVALID},
        {0, QV_IPC_DEFAULT_MAX_DECOMPRESSED_SIZE, QV_INVALID},
        {-5, QV_IPC_DEFAULT_MAX_DECOMPRESSED_SIZE, QV_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      memcpy(qv_buffer_mutable_data(body) + at, &cases[i].declared, 8);
      ro.max_decompressed_size = cases[i].cap;
      qv_record_batch *out = NULL;
      qv_error_init(&err);
      qv_status st = decode_after_schema(&e, &ro, p->metadata.data, p->metadata.size, body, &out,
                                         &err);
      if (st != cases[i].want)
        qv_test_fail(__FILE__, __LINE__, "codec %d case %zu: got %s (%s), want %s", c, i,
                     qv_status_name(st), err.message, qv_status_name(cases[i].want));
      if (st == QV_OK) CHECK(qv_record_batch_equals(out, e.batch));
      qv_record_batch_unref(out);
      CHECK_EQ_INT(qv_allocator_bytes_allocated(limited), 0);
    }
    CHECK(qv_allocator_peak_bytes(limited) < 256 * 1024);
    /* Corrupt compressed bytes. */
    memcpy(qv_buffer_mutable_data(body) + at, &real, 8);
    for (int64_t k = 8; k < span_len; k += 3) qv_buffer_mutable_data(body)[at + k] ^= 0x5A;
    qv_record_batch *out = NULL;
    ro.max_decompressed_size = QV_IPC_DEFAULT_MAX_DECOMPRESSED_SIZE;
    CHECK_STATUS(decode_after_schema(&e, &ro, p->metadata.data, p->metadata.size, body, &out, &err),
                 QV_INVALID);
    CHECK_EQ_INT(qv_allocator_bytes_allocated(limited), 0);
    qv_allocator_destroy(limited);
    qv_buffer_unref(body);
    encoded_reset(&e);
  }
  qv_array_unref(a);
}

/* The per-message cap counts all buffers together. */
QV_TEST(ipc_hostile_decompressed_total_per_message) {
  qv_error err;
  qv_error_init(&err);
  int64_t zeros[4096];
  memset(zeros, 0, sizeof zeros);
  qv_array *a = sample_ints(qv_type_primitive(QV_INT64), zeros, NULL, 4096);
  qv_array *s = NULL;
  CHECK(a);
  /* A struct of two such columns: two 32 KiB buffers. */
  qv_field *f[2] = {NULL, NULL};
  CHECK_OK(qv_field_create("x", qv_array_type(a), true, NULL, &f[0], &err), &err);
  CHECK_OK(qv_field_create("y", qv_array_type(a), true, NULL, &f[1], &err), &err);
  qv_data_type *st = NULL;
  CHECK_OK(qv_type_struct(f, 2, &st, &err), &err);
  qv_array *kids[2] = {a, a};
  qv_buffer *nob[1] = {NULL};
  CHECK_OK(qv_array_create(st, 4096, 0, 0, nob, 1, kids, 2, NULL, &s, &err), &err);
  encoded e;
  CHECK_OK(encode_column(s, QV_IPC_COMPRESSION_ZSTD, &e, &err), &err);
  const qv_ipc_payload *p = &e.payloads.items[1];
  qv_buffer *body = gather_body(p);
  qv_ipc_read_options ro;
  qv_ipc_read_options_init(&ro);
  ro.max_decompressed_size = 4096 * 8 + 100; /* one buffer fits, two do not */
  qv_record_batch *out = NULL;
  CHECK_STATUS(decode_after_schema(&e, &ro, p->metadata.data, p->metadata.size, body, &out, &err),
               QV_RESOURCE_EXHAUSTED);
  ro.max_decompressed_size = 2 * 4096 * 8;
  CHECK_OK(decode_after_schema(&e, &ro, p->metadata.data, p->metadata.size, body, &out, &err), &err);
  CHECK(qv_record_batch_equals(out, e.batch));
  qv_record_batch_unref(out);
  qv_buffer_unref(body);
  encoded_reset(&e);
  qv_array_unref(s);
  qv_type_unref(st);
  qv_field_unref(f[0]);
  qv_field_unref(f[1]);
  qv_array_unref(a);
}

QV_TEST(ipc_hostile_dictionary_before_definition) {
  qv_error err;
  qv_error_init(&err);
  const char *name;
  qv_array *a = NULL;
  CHECK_OK(sample_array(37, &name, &a, &err), &err); /* dictionary<int32, utf8> */
  encoded e;
  CHECK_OK(encode_column(a, QV_IPC_COMPRESSION_NONE, &e, &err), &err);
  CHECK_EQ_INT(e.payloads.count, 3); /* schema, dictionary, batch */
  const qv_ipc_payload *p = &e.payloads.items[2];
  qv_buffer *body = gather_body(p);
  qv_record_batch *out = NULL;
  CHECK_STATUS(decode_after_schema(&e, NULL, p->metadata.data, p->metadata.size, body, &out, &err),
               QV_INVALID);
  CHECK(strstr(err.message, "before any DictionaryBatch") != NULL);
  CHECK(out == NULL);
  qv_buffer_unref(body);
  encoded_reset(&e);

  /* An all-null dictionary column may come before its dictionary (the spec
   * allows it): it decodes against an empty dictionary. */
  qv_array *nulls = NULL;
  CHECK_OK(qv_array_make_nulls(qv_default_allocator(), qv_array_type(a), 5, &nulls, &err), &err);
  CHECK_OK(encode_column(nulls, QV_IPC_COMPRESSION_NONE, &e, &err), &err);
  p = &e.payloads.items[e.payloads.count - 1];
  body = gather_body(p);
  CHECK_OK(decode_after_schema(&e, NULL, p->metadata.data, p->metadata.size, body, &out, &err),
           &err);
  CHECK(qv_record_batch_equals(out, e.batch));
  qv_record_batch_unref(out);
  qv_buffer_unref(body);
  encoded_reset(&e);
  qv_array_unref(nulls);

  /* A DictionaryBatch for an id no field uses. */
  CHECK_OK(encode_column(a, QV_IPC_COMPRESSION_NONE, &e, &err), &err);
  p = &e.payloads.items[1];
  qv_ipc_message msg;
  memset(&msg, 0, sizeof msg);
  CHECK_OK(qv__ipc_message_decode(p->metadata.data, p->metadata.size, NULL, &msg, &err), &err);
  qv_bytes meta;
  qv_bytes_init(&meta, NULL);
  CHECK_OK(raw_batch_message(msg.version, QV_IPC_MSG_DICTIONARY_BATCH, 99, &msg.batch,
                             msg.body_length, &meta, &err),
           &err);
  qv__ipc_message_reset(&msg);
  body = gather_body(p);
  CHECK_STATUS(decode_after_schema(&e, NULL, meta.data, meta.size, body, &out, &err), QV_INVALID);
  CHECK(strstr(err.message, "99") != NULL);
  qv_bytes_reset(&meta);
  qv_buffer_unref(body);
  encoded_reset(&e);
  qv_array_unref(a);
}

/* Messages out of order, and messages of unsupported kinds. */
QV_TEST(ipc_hostile_message_order_and_kinds) {
  qv_error err;
  qv_error_init(&err);
  const char *name;
  qv_array *a = NULL;
  CHECK_OK(sample_array(37, &name, &a, &err), &err);
  encoded e;
  CHECK_OK(encode_column(a, QV_IPC_COMPRESSION_NONE, &e, &err), &err);
  qv_ipc_decoder *dec = NULL;
  CHECK_OK(qv_ipc_decoder_create(NULL, &dec, &err), &err);
  qv_record_batch *out = NULL;
  for (int i = 1; i <= 2; i++) {
    const qv_ipc_payload *p = &e.payloads.items[i];
    qv_buffer *body = gather_body(p);
    CHECK_STATUS(qv_ipc_decoder_decode(dec, p->metadata.data, p->metadata.size, body, &out, &err),
                 QV_INVALID);
    CHECK(strstr(err.message, "before the Schema") != NULL);
    qv_buffer_unref(body);
  }
  CHECK_STATUS(qv_ipc_decoder_decode(dec, NULL, 0, NULL, &out, &err), QV_INVALID);
  static const uint8_t junk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  qv_status st = qv_ipc_decoder_decode(dec, junk, sizeof junk, NULL, &out, &err);
  CHECK(st == QV_INVALID || st == QV_NOT_IMPLEMENTED);
  CHECK(out == NULL);
  qv_ipc_decoder_destroy(dec);
  encoded_reset(&e);
  qv_array_unref(a);
}

/* A Schema message that says the data is big-endian. */
QV_TEST(ipc_hostile_big_endian_schema) {
  qv_error err;
  qv_error_init(&err);
  qv_fb_builder b;
  qv__fb_builder_init(&b, NULL);
  qv_fb_ref fields, schema, root;
  qv_bytes meta;
  qv_bytes_init(&meta, NULL);
  CHECK_OK(qv__fb_create_offset_vector(&b, NULL, 0, &fields, &err), &err);
  CHECK_OK(qv__fb_table_start(&b, &err), &err);
  CHECK_OK(qv__fb_add_int16(&b, 0, 1 /* Big */, &err), &err);
  CHECK_OK(qv__fb_add_offset(&b, 1, fields, &err), &err);
  CHECK_OK(qv__fb_table_end(&b, &schema, &err), &err);
  CHECK_OK(qv__fb_table_start(&b, &err), &err);
  CHECK_OK(qv__fb_add_int16(&b, 0, QV_IPC_METADATA_V5, &err), &err);
  CHECK_OK(qv__fb_add_uint8(&b, 1, 1 /* Schema */, &err), &err);
  CHECK_OK(qv__fb_add_offset(&b, 2, schema, &err), &err);
  CHECK_OK(qv__fb_add_int64(&b, 3, 0, &err), &err);
  CHECK_OK(qv__fb_table_end(&b, &root, &err), &err);
  CHECK_OK(qv__fb_finish(&b, root, &meta, &err), &err);
  qv__fb_builder_reset(&b);
  qv_ipc_decoder *dec = NULL;
  CHECK_OK(qv_ipc_decoder_create(NULL, &dec, &err), &err);
  qv_record_batch *out = NULL;
  CHECK_STATUS(qv_ipc_decoder_decode(dec, meta.data, meta.size, NULL, &out, &err),
               QV_NOT_IMPLEMENTED);
  CHECK_STR_EQ(err.message, "ipc: big-endian data is not supported");
  CHECK(qv_ipc_decoder_schema(dec) == NULL);
  qv_ipc_decoder_destroy(dec);
  qv_bytes_reset(&meta);
}

/* Metadata version V4 unions carried a validity buffer before their type ids;
 * it must be skipped. */
QV_TEST(ipc_v4_union_validity_buffer_is_skipped) {
  qv_error err;
  qv_error_init(&err);
  for (int dense = 0; dense < 2; dense++) {
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(35 + dense, &name, &a, &err), &err);
    encoded e;
    CHECK_OK(encode_column(a, QV_IPC_COMPRESSION_NONE, &e, &err), &err);
    const qv_ipc_payload *p = &e.payloads.items[1];
    qv_ipc_message msg;
    memset(&msg, 0, sizeof msg);
    CHECK_OK(qv__ipc_message_decode(p->metadata.data, p->metadata.size, NULL, &msg, &err), &err);
    /* Insert an empty validity span in front of the union's own buffers. */
    qv_ipc_buffer_span spans[32];
    CHECK(msg.batch.n_buffers < 31);
    spans[0].offset = 0;
    spans[0].length = 0;
    memcpy(spans + 1, msg.batch.buffers, (size_t)msg.batch.n_buffers * sizeof spans[0]);
    qv_ipc_batch_header h = msg.batch;
    h.buffers = spans;
    h.n_buffers = msg.batch.n_buffers + 1;
    qv_bytes meta;
    qv_bytes_init(&meta, NULL);
    CHECK_OK(raw_batch_message(QV_IPC_METADATA_V4, QV_IPC_MSG_RECORD_BATCH, -1, &h, msg.body_length,
                               &meta, &err),
             &err);
    qv_buffer *body = gather_body(p);
    qv_record_batch *out = NULL;
    CHECK_OK(decode_after_schema(&e, NULL, meta.data, meta.size, body, &out, &err), &err);
    CHECK(qv_record_batch_equals(out, e.batch));
    qv_record_batch_unref(out);
    /* The same header as V5 has one buffer too many. */
    qv_bytes_reset(&meta);
    qv_bytes_init(&meta, NULL);
    CHECK_OK(raw_batch_message(QV_IPC_METADATA_V5, QV_IPC_MSG_RECORD_BATCH, -1, &h, msg.body_length,
                               &meta, &err),
             &err);
    CHECK_STATUS(decode_after_schema(&e, NULL, meta.data, meta.size, body, &out, &err), QV_INVALID);
    qv__ipc_message_reset(&msg);
    qv_bytes_reset(&meta);
    qv_buffer_unref(body);
    encoded_reset(&e);
    qv_array_unref(a);
  }
}

/* Every allocation of reading (dictionaries, nested types, compression) and of
 * writing fails in turn: each run must end in QV_NOMEM (or succeed once the
 * failure point is past the end) and give back every byte. */
QV_TEST(ipc_allocation_failures_are_clean) {
  static const char *cases[] = {"1.0.0-littleendian/generated_nested_dictionary.stream",
                                "1.0.0-littleendian/generated_union.arrow_file",
                                "2.0.0-compression/generated_zstd.stream",
                                "2.0.0-compression/generated_lz4.arrow_file"};
  for (int c = 0; c < 4; c++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/arrow-ipc/%s", QV_TESTDATA_DIR, cases[c]);
    qv_buffer *data = load_file(path);
    CHECK(data);
    bool as_file = strstr(path, ".arrow_file") != NULL;
    batch_list ref;
    qv_error err;
    CHECK_OK(as_file ? read_file(data, NULL, &ref, &err) : read_stream(data, NULL, &ref, &err),
             &err);
    bool reached_success = false;
    for (int64_t n = 1; n < 5000 && !reached_success; n++) {
      qv_allocator *a = NULL;
      CHECK_OK(qv_allocator_create(0, &a, &err), &err);
      qv_allocator_fail_after(a, n);
      qv_ipc_read_options ro;
      qv_ipc_read_options_init(&ro);
      ro.alloc = a;
      batch_list got;
      qv_status st = as_file ? read_file(data, &ro, &got, &err) : read_stream(data, &ro, &got, &err);
      if (st == QV_OK) {
        reached_success = true;
        CHECK(batch_lists_equal(&ref, &got));
        batch_list_reset(&got);
      } else if (st != QV_NOMEM) {
        qv_test_fail(__FILE__, __LINE__, "%s, failing allocation %lld: %s: %s", cases[c],
                     (long long)n, qv_status_name(st), err.message);
      }
      /* Rewriting the batches with an allocator that fails. */
      if (reached_success) {
        for (int64_t m = 1; m < 5000; m++) {
          qv_allocator *wa = NULL;
          CHECK_OK(qv_allocator_create(0, &wa, &err), &err);
          qv_allocator_fail_after(wa, m);
          qv_ipc_write_options wo;
          qv_ipc_write_options_init(&wo);
          wo.alloc = wa;
          wo.compression = QV_IPC_COMPRESSION_ZSTD;
          qv_buffer *out = NULL;
          qv_status wst = as_file ? write_file(ref.schema, ref.items, ref.count, &wo, &out, &err)
                                  : write_stream(ref.schema, ref.items, ref.count, &wo, &out, &err);
          qv_buffer_unref(out);
          CHECK_EQ_INT(qv_allocator_bytes_allocated(wa), 0);
          qv_allocator_destroy(wa);
          if (wst == QV_OK) break;
          if (wst != QV_NOMEM)
            qv_test_fail(__FILE__, __LINE__, "%s, writing, failing allocation %lld: %s: %s",
                         cases[c], (long long)m, qv_status_name(wst), err.message);
        }
      }
      CHECK_EQ_INT(qv_allocator_bytes_allocated(a), 0);
      qv_allocator_destroy(a);
    }
    CHECK(reached_success);
    batch_list_reset(&ref);
    qv_buffer_unref(data);
  }
}
