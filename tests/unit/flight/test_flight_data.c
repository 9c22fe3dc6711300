/* FlightData framing: zero-copy encoding into gRPC slices, one-copy parsing
 * of messages split anywhere, unknown fields, hostile bytes; status mapping. */
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>

#include "flight/flight_internal.h"
#include "flight_test_util.h"
#include "test.h"

/* The slices of a raw byte buffer. */
static size_t bb_count(grpc_byte_buffer *bb) { return bb->data.raw.slice_buffer.count; }
static grpc_slice *bb_slice(grpc_byte_buffer *bb, size_t i) {
  return &bb->data.raw.slice_buffer.slices[i];
}

/* Concatenates a payload's body parts. */
static uint8_t *body_bytes(const qv_ipc_payload *p) {
  uint8_t *b = malloc((size_t)p->body_length + 1);
  int64_t w = 0;
  for (int64_t i = 0; i < p->n_parts; i++) {
    memcpy(b + w, p->parts[i].data, (size_t)p->parts[i].size);
    w += p->parts[i].size;
  }
  return b;
}

QV_TEST(flight_data_round_trip_through_slices) {
  grpc_init();
  qv_error err = {0};
  qv_record_batch *batch = NULL;
  CHECK_OK(ft_sample_batch(5000, 3, &batch, &err), &err);
  qv_ipc_encoder *enc = NULL;
  CHECK_OK(qv_ipc_encoder_create(qv_record_batch_schema(batch), NULL, &enc, &err), &err);
  qv_ipc_payload_list list;
  qv_ipc_payload_list_init(&list, NULL);
  CHECK_OK(qv_ipc_encoder_encode_schema(enc, &list, &err), &err);
  CHECK_OK(qv_ipc_encoder_encode_batch(enc, batch, &list, &err), &err);
  CHECK(list.count == 3); /* schema, dictionary, batch */
  qv_ipc_decoder *dec = NULL;
  CHECK_OK(qv_ipc_decoder_create(NULL, &dec, &err), &err);
  qv_record_batch *got = NULL;
  int zero_copy_parts = 0;
  for (int64_t m = 0; m < list.count; m++) {
    const qv_ipc_payload *p = &list.items[m];
    grpc_byte_buffer *bb = NULL;
    const uint8_t app[3] = {'a', 'p', 'p'};
    CHECK_OK(qv__flight_data_encode(p, app, 3, &bb, &err), &err);
    /* No empty slice; every large part is sent from its own memory. */
    for (size_t i = 0; i < bb_count(bb); i++) CHECK(GRPC_SLICE_LENGTH(*bb_slice(bb, i)) > 0);
    for (int64_t k = 0; k < p->n_parts; k++) {
      if (p->parts[k].size < QV__FLIGHT_COPY_BELOW) continue;
      bool found = false;
      for (size_t i = 0; i < bb_count(bb); i++)
        found |= GRPC_SLICE_START_PTR(*bb_slice(bb, i)) == p->parts[k].data;
      CHECK(found);
      zero_copy_parts++;
    }
    qv__flight_data fd;
    CHECK_OK(qv__flight_data_read(bb, NULL, &fd, &err), &err);
    grpc_byte_buffer_destroy(bb);
    CHECK(fd.header && qv_buffer_size(fd.header) == p->metadata.size);
    CHECK(memcmp(qv_buffer_data(fd.header), p->metadata.data, (size_t)p->metadata.size) == 0);
    CHECK(fd.app_metadata && qv_buffer_size(fd.app_metadata) == 3);
    CHECK(!fd.descriptor);
    if (p->body_length == 0) {
      CHECK(!fd.body);
    } else {
      CHECK(fd.body && qv_buffer_size(fd.body) == p->body_length);
      CHECK(((uintptr_t)qv_buffer_data(fd.body) & 63) == 0);
      uint8_t *want = body_bytes(p);
      bool same = memcmp(want, qv_buffer_data(fd.body), (size_t)p->body_length) == 0;
      free(want);
      CHECK(same);
    }
    qv_record_batch *out = NULL;
    qv_status st = qv_ipc_decoder_decode(dec, qv_buffer_data(fd.header), qv_buffer_size(fd.header),
                                         fd.body, &out, &err);
    qv__flight_data_reset(&fd);
    CHECK_OK(st, &err);
    if (out) got = out;
  }
  CHECK(zero_copy_parts > 0);
  CHECK(got && qv_record_batch_equals(got, batch));
  qv_record_batch_unref(got);
  qv_ipc_decoder_destroy(dec);
  qv_ipc_payload_list_reset(&list);
  qv_ipc_encoder_destroy(enc);
  qv_record_batch_unref(batch);
  grpc_shutdown();
}

static void set_flag(void *ctx) { *(bool *)ctx = true; }

QV_TEST(flight_data_slices_hold_buffer_references) {
  grpc_init();
  qv_error err = {0};
  enum { ROWS = 100000 };
  int64_t *mem = aligned_alloc(64, ROWS * 8);
  for (int i = 0; i < ROWS; i++) mem[i] = i;
  bool released = false;
  qv_buffer *data = NULL;
  CHECK_OK(qv_buffer_wrap(mem, ROWS * 8, set_flag, &released, &data, &err), &err);
  qv_buffer *bufs[2] = {NULL, data};
  qv_array *col = NULL;
  CHECK_OK(qv_array_create(qv_type_primitive(QV_INT64), ROWS, 0, 0, bufs, 2, NULL, 0, NULL, &col, &err),
           &err);
  qv_buffer_unref(data);
  qv_field *f = NULL;
  CHECK_OK(qv_field_create("v", qv_type_primitive(QV_INT64), false, NULL, &f, &err), &err);
  qv_schema *schema = NULL;
  CHECK_OK(qv_schema_create(&f, 1, NULL, &schema, &err), &err);
  qv_record_batch *batch = NULL;
  CHECK_OK(qv_record_batch_create(schema, ROWS, &col, 1, &batch, &err), &err);
  qv_array_unref(col);
  qv_field_unref(f);
  qv_schema_unref(schema);

  qv_ipc_encoder *enc = NULL;
  CHECK_OK(qv_ipc_encoder_create(qv_record_batch_schema(batch), NULL, &enc, &err), &err);
  qv_ipc_payload_list list;
  qv_ipc_payload_list_init(&list, NULL);
  CHECK_OK(qv_ipc_encoder_encode_batch(enc, batch, &list, &err), &err);
  grpc_byte_buffer *bb = NULL;
  CHECK_OK(qv__flight_data_encode(&list.items[list.count - 1], NULL, 0, &bb, &err), &err);
  /* Everything but the slices lets go of the data... */
  qv_ipc_payload_list_reset(&list);
  qv_ipc_encoder_destroy(enc);
  qv_record_batch_unref(batch);
  CHECK(!released);
  /* ... which gRPC releases with its slices. */
  grpc_byte_buffer_destroy(bb);
  CHECK(released);
  free(mem);
  grpc_shutdown();
}

/* ---- parsing by hand-built messages ------------------------------------------- */

typedef struct msg {
  uint8_t b[512];
  size_t n;
} msg;

static void put_varint(msg *m, uint64_t v) { m->n += (size_t)qv__pb_varint_write(m->b + m->n, v); }
static void put_key(msg *m, uint32_t field, unsigned wire) {
  put_varint(m, ((uint64_t)field << 3) | wire);
}
static void put_bytes(msg *m, uint32_t field, const char *s, size_t n) {
  put_key(m, field, 2);
  put_varint(m, n);
  memcpy(m->b + m->n, s, n);
  m->n += n;
}

/* A FlightData with every field and unknown fields of every wire type. */
static void build_full(msg *m) {
  memset(m, 0, sizeof *m);
  put_key(m, 7, 0);
  put_varint(m, 300);                      /* unknown varint */
  put_bytes(m, 1, "\x08\x02\x12\x03cmd", 7); /* descriptor */
  put_key(m, 9, 1);
  memcpy(m->b + m->n, "12345678", 8);     /* unknown fixed64 */
  m->n += 8;
  put_bytes(m, 2, "HEADER", 6);
  put_key(m, 15, 5);
  memcpy(m->b + m->n, "1234", 4);         /* unknown fixed32 */
  m->n += 4;
  put_bytes(m, 3, "meta", 4);
  put_bytes(m, 999, "skipped", 7);        /* unknown length-delimited */
  put_bytes(m, 1000, "the body bytes", 14);
  put_key(m, 123456, 0);                  /* unknown, large field number */
  put_varint(m, UINT64_MAX);
}

static bool buffer_is(const qv_buffer *b, const char *s) {
  size_t n = strlen(s);
  return b && (size_t)qv_buffer_size(b) == n && memcmp(qv_buffer_data(b), s, n) == 0;
}

static bool full_ok(const qv__flight_data *fd) {
  return buffer_is(fd->header, "HEADER") && buffer_is(fd->app_metadata, "meta") &&
         buffer_is(fd->body, "the body bytes") && fd->descriptor &&
         qv_buffer_size(fd->descriptor) == 7 && ((uintptr_t)qv_buffer_data(fd->body) & 63) == 0;
}

QV_TEST(flight_data_parse_skips_unknown_fields_split_anywhere) {
  qv_error err = {0};
  msg m;
  build_full(&m);
  qv__flight_data fd;
  qv__flight_chunk one = {m.b, m.n};
  CHECK_OK(qv__flight_data_parse(&one, 1, NULL, &fd, &err), &err);
  CHECK(full_ok(&fd));
  qv__flight_data_reset(&fd);
  /* Two chunks, split at every position (inside varints too), with an empty
   * chunk in the middle. */
  for (size_t cut = 0; cut <= m.n; cut++) {
    qv__flight_chunk parts[3] = {{m.b, cut}, {m.b + cut, 0}, {m.b + cut, m.n - cut}};
    CHECK_OK(qv__flight_data_parse(parts, 3, NULL, &fd, &err), &err);
    CHECK(full_ok(&fd));
    qv__flight_data_reset(&fd);
  }
  /* One byte per chunk. */
  qv__flight_chunk bytes[512];
  for (size_t i = 0; i < m.n; i++) bytes[i] = (qv__flight_chunk){m.b + i, 1};
  CHECK_OK(qv__flight_data_parse(bytes, m.n, NULL, &fd, &err), &err);
  CHECK(full_ok(&fd));
  qv__flight_data_reset(&fd);
}

QV_TEST(flight_data_parse_last_field_wins_and_empty_fields_are_null) {
  qv_error err = {0};
  msg m;
  memset(&m, 0, sizeof m);
  put_bytes(&m, 2, "first", 5);
  put_bytes(&m, 1000, "body", 4);
  put_bytes(&m, 2, "second", 6);
  put_bytes(&m, 1000, "", 0);
  qv__flight_data fd;
  qv__flight_chunk one = {m.b, m.n};
  CHECK_OK(qv__flight_data_parse(&one, 1, NULL, &fd, &err), &err);
  CHECK(buffer_is(fd.header, "second"));
  CHECK(!fd.body && !fd.app_metadata && !fd.descriptor);
  qv__flight_data_reset(&fd);
  /* The empty message is a FlightData with nothing set. */
  CHECK_OK(qv__flight_data_parse(NULL, 0, NULL, &fd, &err), &err);
  CHECK(!fd.header && !fd.body);
}

static qv_status parse_bytes(const uint8_t *b, size_t n, qv_error *err) {
  qv__flight_data fd;
  qv__flight_chunk one = {b, n};
  qv_status st = qv__flight_data_parse(&one, 1, NULL, &fd, err);
  qv__flight_data_reset(&fd);
  return st;
}

QV_TEST(flight_data_parse_rejects_malformed_messages) {
  qv_error err = {0};
  msg m;
  build_full(&m);
  /* Every truncation either ends between fields or is refused. */
  int refused = 0;
  for (size_t n = 0; n < m.n; n++) {
    qv_status st = parse_bytes(m.b, n, &err);
    CHECK(st == QV_OK || st == QV_INVALID);
    refused += st == QV_INVALID;
  }
  CHECK(refused > (int)m.n / 2);

  /* A length past the end. */
  const uint8_t too_long[] = {0x12, 0x05, 'a', 'b'};
  CHECK_STATUS(parse_bytes(too_long, sizeof too_long, &err), QV_INVALID);
  CHECK(strstr(err.message, "declares 5 bytes") != NULL);
  /* A body length near 2^64. */
  const uint8_t huge[] = {0xC2, 0x3E, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  CHECK_STATUS(parse_bytes(huge, sizeof huge, &err), QV_INVALID);
  /* A varint of 11 bytes, and one whose 10th byte overflows 64 bits. */
  const uint8_t long_varint[] = {0x38, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  CHECK_STATUS(parse_bytes(long_varint, sizeof long_varint, &err), QV_INVALID);
  const uint8_t overflow[] = {0x38, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02};
  CHECK_STATUS(parse_bytes(overflow, sizeof overflow, &err), QV_INVALID);
  /* Field number 0, a known field with the wrong wire type, groups, wire
   * types 6 and 7, truncated fixed-size values. */
  const uint8_t field0[] = {0x02, 0x00};
  CHECK_STATUS(parse_bytes(field0, sizeof field0, &err), QV_INVALID);
  const uint8_t wrong_wire[] = {0x10, 0x01};
  CHECK_STATUS(parse_bytes(wrong_wire, sizeof wrong_wire, &err), QV_INVALID);
  const uint8_t group[] = {0x3B, 0x3C};
  CHECK_STATUS(parse_bytes(group, sizeof group, &err), QV_INVALID);
  const uint8_t wire6[] = {0x3E};
  CHECK_STATUS(parse_bytes(wire6, sizeof wire6, &err), QV_INVALID);
  const uint8_t short64[] = {0x39, 1, 2, 3};
  CHECK_STATUS(parse_bytes(short64, sizeof short64, &err), QV_INVALID);
  const uint8_t short32[] = {0x3D, 1, 2};
  CHECK_STATUS(parse_bytes(short32, sizeof short32, &err), QV_INVALID);
  /* A tag beyond 32 bits. */
  const uint8_t big_tag[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00};
  CHECK_STATUS(parse_bytes(big_tag, sizeof big_tag, &err), QV_INVALID);
}

QV_TEST(flight_data_parse_fails_cleanly_without_memory) {
  qv_error err = {0};
  msg m;
  build_full(&m);
  qv_allocator *a = NULL;
  CHECK_OK(qv_allocator_create(0, &a, &err), &err);
  for (int n = 1; n <= 5; n++) {
    qv_allocator_fail_after(a, n);
    qv__flight_data fd;
    qv__flight_chunk one = {m.b, m.n};
    qv_status st = qv__flight_data_parse(&one, 1, a, &fd, &err);
    CHECK(n == 5 ? st == QV_OK : st == QV_NOMEM); /* four fields, four allocations */
    CHECK(st == QV_OK || (!fd.header && !fd.body && !fd.descriptor && !fd.app_metadata));
    qv__flight_data_reset(&fd);
    qv_allocator_fail_after(a, 0);
    CHECK_EQ_INT(qv_allocator_bytes_allocated(a), 0);
  }
  qv_allocator_destroy(a);
}

QV_TEST(flight_data_encode_refuses_messages_over_2_gib) {
  qv_error err = {0};
  static const uint8_t meta[8] = {1};
  qv_ipc_body_part parts[2] = {{meta, (int64_t)1 << 30, NULL}, {meta, (int64_t)1 << 30, NULL}};
  qv_ipc_payload p;
  memset(&p, 0, sizeof p);
  p.kind = QV_IPC_MESSAGE_RECORD_BATCH;
  p.metadata.data = (uint8_t *)meta;
  p.metadata.size = 8;
  p.body_length = (int64_t)1 << 31;
  p.n_parts = 2;
  p.parts = parts;
  grpc_byte_buffer *bb = NULL;
  CHECK_STATUS(qv__flight_data_encode(&p, NULL, 0, &bb, &err), QV_RESOURCE_EXHAUSTED);
  CHECK(bb == NULL);
}

QV_TEST(flight_status_codes_map_both_ways) {
  struct {
    qv_status qv;
    int grpc;
    qv_status back;
  } cases[] = {
      {QV_OK, GRPC_STATUS_OK, QV_OK},
      {QV_INVALID, GRPC_STATUS_INVALID_ARGUMENT, QV_INVALID},
      {QV_TYPE_ERROR, GRPC_STATUS_INVALID_ARGUMENT, QV_INVALID},
      {QV_NOT_FOUND, GRPC_STATUS_NOT_FOUND, QV_NOT_FOUND},
      {QV_NOMEM, GRPC_STATUS_RESOURCE_EXHAUSTED, QV_RESOURCE_EXHAUSTED},
      {QV_RESOURCE_EXHAUSTED, GRPC_STATUS_RESOURCE_EXHAUSTED, QV_RESOURCE_EXHAUSTED},
      {QV_CANCELLED, GRPC_STATUS_CANCELLED, QV_CANCELLED},
      {QV_UNAVAILABLE, GRPC_STATUS_UNAVAILABLE, QV_UNAVAILABLE},
      {QV_DEADLINE_EXCEEDED, GRPC_STATUS_DEADLINE_EXCEEDED, QV_DEADLINE_EXCEEDED},
      {QV_NOT_IMPLEMENTED, GRPC_STATUS_UNIMPLEMENTED, QV_NOT_IMPLEMENTED},
      {QV_OUT_OF_RANGE, GRPC_STATUS_OUT_OF_RANGE, QV_OUT_OF_RANGE},
      {QV_ALREADY_EXISTS, GRPC_STATUS_ALREADY_EXISTS, QV_ALREADY_EXISTS},
      {QV_IO, GRPC_STATUS_INTERNAL, QV_INTERNAL},
      {QV_INTERNAL, GRPC_STATUS_INTERNAL, QV_INTERNAL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    CHECK_EQ_INT(qv_flight_status_to_grpc(cases[i].qv), cases[i].grpc);
    CHECK_EQ_INT(qv_flight_status_from_grpc(cases[i].grpc), cases[i].back);
  }
  CHECK_EQ_INT(qv_flight_status_from_grpc(GRPC_STATUS_PERMISSION_DENIED), QV_INTERNAL);
  CHECK_STR_EQ(qv_flight_grpc_code_name(GRPC_STATUS_UNIMPLEMENTED), "UNIMPLEMENTED");
  CHECK_STR_EQ(qv_flight_grpc_code_name(99), "UNKNOWN_CODE");
}
