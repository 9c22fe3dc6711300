/* Flight tickets (quiver.DoGet): round trips with a plan or with plan bytes
 * encoded once, agreement with protobuf-c (the generated code of
 * proto/quiver.proto) in both directions, and hostile tickets. */
#include <stdlib.h>
#include <string.h>

#include "codec_test_util.h"
#include "quiver.pb-c.h"

static void sample_key(qv_stage_key *k) {
  for (int i = 0; i < 16; i++) k->query_id[i] = (uint8_t)(0xA0 + i);
  k->stage_id = 3;
  k->task_number = 1ull << 40;
}

QV_TEST(codec_ticket_round_trip) {
  qv_error err;
  qv_error_init(&err);
  qv_session_state *s = ct_session();
  qv_exec_plan *plan = ct_scan(2, 1, 5);
  CHECK(s && plan);
  qv_ticket t;
  qv_ticket_init(&t);
  CHECK_EQ_INT(t.task_count, 1);
  t.plan = plan;
  t.task_index = 2;
  t.task_count = 4;
  t.partition = 1;
  sample_key(&t.stage_key);
  qv_bytes a, b;
  qv_bytes_init(&a, NULL);
  qv_bytes_init(&b, NULL);
  CHECK_OK(qv_ticket_encode(&t, s, &a, &err), &err);

  qv_ticket back;
  CHECK_OK(qv_ticket_decode(a.data, a.size, &back, &err), &err);
  CHECK(back.plan == NULL);
  CHECK_EQ_INT(back.task_index, 2);
  CHECK_EQ_INT(back.task_count, 4);
  CHECK_EQ_INT(back.partition, 1);
  CHECK(memcmp(&back.stage_key, &t.stage_key, sizeof t.stage_key) == 0);
  CHECK(back.plan_bytes >= a.data && back.plan_bytes + back.plan_len <= a.data + a.size);
  qv_exec_plan *decoded = NULL;
  CHECK_OK(qv_plan_decode(back.plan_bytes, back.plan_len, s, &decoded, &err), &err);
  char *x1 = NULL, *x2 = NULL;
  CHECK_OK(qv_exec_plan_explain(plan, &x1, &err), &err);
  CHECK_OK(qv_exec_plan_explain(decoded, &x2, &err), &err);
  CHECK_STR_EQ(x1, x2);
  free(x1);
  free(x2);
  qv_exec_plan_unref(decoded);

  /* A plan encoded once, embedded as bytes: the same ticket. */
  int64_t len = 0;
  uint8_t *pb = ct_encode(plan, s, &len);
  CHECK(pb);
  t.plan = NULL;
  t.plan_bytes = pb;
  t.plan_len = len;
  CHECK_OK(qv_ticket_encode(&t, s, &b, &err), &err);
  CHECK_EQ_INT(a.size, b.size);
  CHECK(memcmp(a.data, b.data, (size_t)a.size) == 0);
  free(pb);
  qv_bytes_reset(&a);
  qv_bytes_reset(&b);
  qv_exec_plan_unref(plan);
  qv_session_state_unref(s);
}

/* Our bytes read by protobuf-c, and protobuf-c's bytes read by us. */
QV_TEST(codec_ticket_agrees_with_protobuf_c) {
  qv_error err;
  qv_error_init(&err);
  qv_session_state *s = ct_session();
  qv_exec_plan *plan = ct_scan(1, 1, 3);
  CHECK(s && plan);
  qv_ticket t;
  qv_ticket_init(&t);
  t.plan = plan;
  t.task_index = 0;
  t.task_count = 7;
  t.partition = 5;
  sample_key(&t.stage_key);
  qv_bytes ours;
  qv_bytes_init(&ours, NULL);
  CHECK_OK(qv_ticket_encode(&t, s, &ours, &err), &err);
  Quiver__DoGet *m = quiver__do_get__unpack(NULL, (size_t)ours.size, ours.data);
  CHECK(m);
  CHECK(m->plan && m->plan->plan_case == QUIVER__PHYSICAL_PLAN__PLAN_MEMORY_SCAN);
  CHECK_EQ_INT(m->task_index, 0);
  CHECK_EQ_INT(m->task_count, 7);
  CHECK_EQ_INT(m->partition, 5);
  CHECK(m->stage_key && m->stage_key->query_id.len == 16);
  CHECK(memcmp(m->stage_key->query_id.data, t.stage_key.query_id, 16) == 0);
  CHECK(m->stage_key->stage_id == 3 && m->stage_key->task_number == 1ull << 40);

  /* protobuf-c packs the same message (with other values); we read it. */
  m->task_index = 6;
  m->partition = 0;
  m->stage_key->stage_id = 0;
  size_t size = quiver__do_get__get_packed_size(m);
  uint8_t *theirs = malloc(size);
  CHECK(quiver__do_get__pack(m, theirs) == size);
  qv_ticket back;
  CHECK_OK(qv_ticket_decode(theirs, (int64_t)size, &back, &err), &err);
  CHECK_EQ_INT(back.task_index, 6);
  CHECK_EQ_INT(back.task_count, 7);
  CHECK_EQ_INT(back.partition, 0);
  CHECK(back.stage_key.stage_id == 0 && back.stage_key.task_number == 1ull << 40);
  qv_exec_plan *decoded = NULL;
  CHECK_OK(qv_plan_decode(back.plan_bytes, back.plan_len, s, &decoded, &err), &err);
  CHECK_EQ_INT(qv_exec_plan_num_partitions(decoded), 1);
  qv_exec_plan_unref(decoded);
  free(theirs);
  quiver__do_get__free_unpacked(m, NULL);
  qv_bytes_reset(&ours);
  qv_exec_plan_unref(plan);
  qv_session_state_unref(s);
}

QV_TEST(codec_ticket_rejects_bad_input) {
  qv_error err;
  qv_error_init(&err);
  qv_ticket t;
  qv_ticket_init(&t);
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  /* Encoding: no plan, no tasks, index out of range. */
  CHECK_STATUS(qv_ticket_encode(&t, NULL, &out, &err), QV_INVALID);
  static const uint8_t fake_plan[] = {0x1a, 0x00}; /* PhysicalPlan{empty: {}} */
  t.plan_bytes = fake_plan;
  t.plan_len = sizeof fake_plan;
  t.task_count = 0;
  CHECK_STATUS(qv_ticket_encode(&t, NULL, &out, &err), QV_INVALID);
  t.task_count = 2;
  t.task_index = 2;
  CHECK_STATUS(qv_ticket_encode(&t, NULL, &out, &err), QV_INVALID);
  CHECK(strstr(err.message, "task_index 2 is not below task_count 2"));
  CHECK_EQ_INT(out.size, 0);
  t.task_index = 1;
  sample_key(&t.stage_key);
  CHECK_OK(qv_ticket_encode(&t, NULL, &out, &err), &err);
  qv_ticket back;
  CHECK_OK(qv_ticket_decode(out.data, out.size, &back, &err), &err);

  /* Every truncation fails cleanly (the stage key comes last, so none is a
   * valid ticket), and leaves the output zeroed. */
  for (int64_t n = 0; n < out.size; n++) {
    uint8_t *copy = malloc((size_t)(n ? n : 1));
    memcpy(copy, out.data, (size_t)n);
    CHECK_STATUS(qv_ticket_decode(copy, n, &back, &err), QV_INVALID);
    CHECK(back.plan_bytes == NULL && back.task_count == 0);
    free(copy);
  }
  /* An unknown field is skipped; a known one with the wrong wire type is
   * not; a uint32 field with a 64-bit value is not. */
  uint8_t buf[256];
  memcpy(buf, out.data, (size_t)out.size);
  int64_t n = out.size;
  buf[n] = 0x98; /* field 99, varint: a two-byte key, then 42 */
  buf[n + 1] = 0x06;
  buf[n + 2] = 0x2a;
  CHECK_OK(qv_ticket_decode(buf, n + 3, &back, &err), &err);
  CHECK_EQ_INT(back.task_count, 2);
  static const uint8_t wrong_type[] = {0x10 | 2, 0x00};
  memcpy(buf + n, wrong_type, sizeof wrong_type);
  CHECK_STATUS(qv_ticket_decode(buf, n + 2, &back, &err), QV_INVALID);
  CHECK(strstr(err.message, "field 2 has wire type 2"));
  static const uint8_t big[] = {0x18, 0x80, 0x80, 0x80, 0x80, 0x10}; /* task_count = 2^32 */
  memcpy(buf + n, big, sizeof big);
  CHECK_STATUS(qv_ticket_decode(buf, n + (int64_t)sizeof big, &back, &err), QV_INVALID);
  CHECK(strstr(err.message, "does not fit 32 bits"));
  /* A second plan field. */
  memcpy(buf + n, fake_plan, sizeof fake_plan);
  buf[n] = 0x0a;
  CHECK_STATUS(qv_ticket_decode(buf, n + 2, &back, &err), QV_INVALID);
  CHECK(strstr(err.message, "twice"));
  /* A query id of 15 bytes. */
  static const uint8_t short_id[] = {0x0a, 0x02, 0x1a, 0x00, 0x18, 0x01, 0x2a, 0x11, 0x0a, 0x0f,
                                     1,    2,    3,    4,    5,    6,    7,    8,    9,    10,
                                     11,   12,   13,   14,   15};
  CHECK_STATUS(qv_ticket_decode(short_id, sizeof short_id, &back, &err), QV_INVALID);
  CHECK(strstr(err.message, "query id of 15 bytes"));
  /* No stage key. */
  static const uint8_t no_key[] = {0x0a, 0x02, 0x1a, 0x00, 0x18, 0x01};
  CHECK_STATUS(qv_ticket_decode(no_key, sizeof no_key, &back, &err), QV_INVALID);
  CHECK(strstr(err.message, "no stage key"));
  CHECK_STATUS(qv_ticket_decode(NULL, 0, &back, &err), QV_INVALID);
  qv_bytes_reset(&out);
}
