/* Tests of the Thrift compact-protocol decoder and of the FileMetaData and
 * PageHeader decoders on hand-made bytes: valid structures with unknown
 * fields of every wire type, then hostile ones (truncation at every byte,
 * lying lengths and counts, deep nesting, overflowing varints). */
#include <stdlib.h>
#include <string.h>

#include "io/parquet/metadata.h"
#include "io/parquet/thrift.h"
#include "test.h"
#include "test_parquet_util.h"

/* A FileMetaData with one INT64 column, key-value metadata and unknown
 * fields sprinkled everywhere (nested struct, list of lists, map, double,
 * uuid, bools in a list). */
static void sample_file_meta(pqt_writer *w, bool unknown) {
  pqt_struct_begin(w);
  pqt_i32(w, 1, 2);
  if (unknown) { /* field 50: struct { list<list<i32>>, map<string,bool>, double } */
    pqt_field(w, 50, 12);
    pqt_struct_begin(w);
    pqt_field(w, 1, 9);
    pqt_list(w, 9, 2);
    pqt_list(w, 5, 2);
    pqt_zigzag(w, 1);
    pqt_zigzag(w, -7);
    pqt_list(w, 5, 0);
    pqt_field(w, 2, 11);
    pqt_varint(w, 2);
    pqt_byte(w, 0x81); /* string -> bool */
    pqt_varint(w, 1);
    pqt_byte(w, 'a');
    pqt_byte(w, 1);
    pqt_varint(w, 1);
    pqt_byte(w, 'b');
    pqt_byte(w, 2);
    pqt_field(w, 3, 7);
    double d = 2.5;
    pqt_raw(w, &d, 8);
    pqt_field(w, 4, 13);
    pqt_raw(w, "0123456789abcdef", 16);
    pqt_field(w, 5, 9);
    pqt_list(w, 1, 3);
    pqt_byte(w, 1);
    pqt_byte(w, 0);
    pqt_byte(w, 1);
    pqt_field(w, 300, 4); /* long-form field id, i16 */
    pqt_zigzag(w, -5);
    pqt_stop(w);
  }
  pqt_field(w, 2, 9);
  pqt_list(w, 12, 2);
  pqt_struct_begin(w);
  pqt_string(w, 4, "root");
  pqt_i32(w, 5, 1);
  pqt_stop(w);
  pqt_struct_begin(w);
  pqt_i32(w, 1, 2);
  pqt_i32(w, 3, 1);
  pqt_string(w, 4, "x");
  if (unknown) pqt_i32(w, 40, 12345);
  pqt_field(w, 10, 12); /* logicalType: INTEGER(64, true) */
  pqt_struct_begin(w);
  pqt_field(w, 10, 12);
  pqt_struct_begin(w);
  pqt_field(w, 1, 3);
  pqt_byte(w, 64);
  pqt_bool(w, 2, true);
  pqt_stop(w);
  pqt_stop(w);
  pqt_stop(w);
  pqt_i64(w, 3, 3);
  pqt_field(w, 4, 9);
  pqt_list(w, 12, 1);
  pqt_struct_begin(w);
  pqt_field(w, 1, 9);
  pqt_list(w, 12, 1);
  pqt_struct_begin(w);
  pqt_i64(w, 2, 4);
  pqt_field(w, 3, 12);
  pqt_struct_begin(w);
  pqt_i32(w, 1, 2);
  pqt_field(w, 2, 9);
  pqt_list(w, 5, 2);
  pqt_zigzag(w, 0);
  pqt_zigzag(w, 4);
  pqt_field(w, 3, 9);
  pqt_list(w, 8, 1);
  pqt_varint(w, 1);
  pqt_byte(w, 'x');
  pqt_i32(w, 4, 1);
  pqt_i64(w, 5, 3);
  pqt_i64(w, 6, 100);
  pqt_i64(w, 7, 90);
  pqt_i64(w, 9, 4);
  pqt_field(w, 12, 12); /* statistics */
  pqt_struct_begin(w);
  pqt_i64(w, 3, 1);
  pqt_binary(w, 5, "\x09\0\0\0\0\0\0\0", 8);
  pqt_binary(w, 6, "\x01\0\0\0\0\0\0\0", 8);
  pqt_bool(w, 7, true);
  if (unknown) pqt_string(w, 20, "future");
  pqt_stop(w);
  pqt_stop(w);
  pqt_stop(w);
  pqt_i64(w, 2, 100);
  pqt_i64(w, 3, 3);
  pqt_stop(w);
  pqt_field(w, 5, 9);
  pqt_list(w, 12, 2);
  pqt_struct_begin(w);
  pqt_string(w, 1, "k");
  pqt_string(w, 2, "v");
  pqt_stop(w);
  pqt_struct_begin(w);
  pqt_string(w, 1, "novalue");
  pqt_stop(w);
  pqt_string(w, 6, "quiver test");
  pqt_stop(w);
}

QV_TEST(pq_thrift_file_meta_valid_with_unknown_fields) {
  for (int unknown = 0; unknown < 2; unknown++) {
    pqt_writer w;
    pqt_init(&w);
    sample_file_meta(&w, unknown);
    qv_arena arena;
    qv_arena_init(&arena, NULL);
    qv_pq_file_meta m;
    qv_error err;
    qv_status st = qv__pq_decode_file_meta(w.b.data, w.b.size, &arena, &m, &err);
    if (st != QV_OK) {
      pqt_reset(&w);
      qv_arena_reset(&arena);
      CHECK_OK(st, &err);
    }
    bool ok = m.version == 2 && m.n_schema == 2 && m.num_rows == 3 && m.n_row_groups == 1 &&
              strcmp(m.schema[1].name, "x") == 0 && m.schema[1].logical.kind == QV_PQ_LT_INTEGER &&
              m.schema[1].logical.bit_width == 64 && m.schema[1].logical.is_signed &&
              m.row_groups[0].n_columns == 1 && m.row_groups[0].columns[0].meta.n_encodings == 2 &&
              m.row_groups[0].columns[0].meta.encodings[1] == 4 &&
              m.row_groups[0].columns[0].meta.statistics.has_null_count &&
              m.row_groups[0].columns[0].meta.statistics.min_value.len == 8 && m.n_key_values == 2 &&
              m.key_values[1].value.data == NULL && m.created_by.len == 11 &&
              memcmp(m.created_by.data, "quiver test", 11) == 0;
    qv_arena_reset(&arena);
    pqt_reset(&w);
    CHECK(ok);
  }
}

QV_TEST(pq_thrift_file_meta_truncated_everywhere) {
  pqt_writer w;
  pqt_init(&w);
  sample_file_meta(&w, true);
  for (int64_t n = 0; n < w.b.size; n++) {
    qv_arena arena;
    qv_arena_init(&arena, NULL);
    qv_pq_file_meta m;
    qv_error err;
    /* A copy of exactly n bytes, so ASan sees any read past them. */
    uint8_t *copy = malloc((size_t)(n ? n : 1));
    memcpy(copy, w.b.data, (size_t)n);
    qv_status st = qv__pq_decode_file_meta(copy, n, &arena, &m, &err);
    free(copy);
    qv_arena_reset(&arena);
    if (st != QV_INVALID) {
      pqt_reset(&w);
      CHECK_EQ_INT(st, QV_INVALID);
    }
  }
  pqt_reset(&w);
}

static qv_status decode(pqt_writer *w, qv_error *err) {
  qv_arena arena;
  qv_arena_init(&arena, NULL);
  qv_pq_file_meta m;
  qv_status st = qv__pq_decode_file_meta(w->b.data, w->b.size, &arena, &m, err);
  qv_arena_reset(&arena);
  pqt_reset(w);
  return st;
}

QV_TEST(pq_thrift_hostile_lengths_and_counts) {
  qv_error err;
  pqt_writer w;
  /* A binary whose length runs past the input. */
  pqt_init(&w);
  pqt_struct_begin(&w);
  pqt_field(&w, 6, 8);
  pqt_varint(&w, 1000);
  pqt_raw(&w, "abc", 3);
  CHECK_STATUS(decode(&w, &err), QV_INVALID);
  CHECK(strstr(err.message, "exceeds") != NULL);
  /* A list claiming 2^31 elements in a few bytes: refused before allocating. */
  pqt_init(&w);
  pqt_struct_begin(&w);
  pqt_field(&w, 2, 9);
  pqt_list(&w, 12, (int64_t)1 << 31);
  pqt_raw(&w, "\0\0\0\0", 4);
  CHECK_STATUS(decode(&w, &err), QV_INVALID);
  CHECK(strstr(err.message, "list of 2147483648 elements") != NULL);
  /* A map claiming more pairs than bytes, in an unknown field. */
  pqt_init(&w);
  pqt_struct_begin(&w);
  pqt_field(&w, 77, 11);
  pqt_varint(&w, 1000000);
  pqt_byte(&w, 0x55);
  CHECK_STATUS(decode(&w, &err), QV_INVALID);
  /* A varint longer than 10 bytes. */
  pqt_init(&w);
  pqt_struct_begin(&w);
  pqt_field(&w, 3, 6);
  pqt_raw(&w, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
  CHECK_STATUS(decode(&w, &err), QV_INVALID);
  /* An i32 field out of range. */
  pqt_init(&w);
  pqt_struct_begin(&w);
  pqt_field(&w, 1, 5);
  pqt_zigzag(&w, (int64_t)1 << 40);
  CHECK_STATUS(decode(&w, &err), QV_INVALID);
  CHECK(strstr(err.message, "out of range") != NULL);
  /* Field type 14 does not exist. */
  pqt_init(&w);
  pqt_struct_begin(&w);
  pqt_byte(&w, 0x1e);
  CHECK_STATUS(decode(&w, &err), QV_INVALID);
  /* Missing required fields. */
  pqt_init(&w);
  pqt_struct_begin(&w);
  pqt_i32(&w, 1, 1);
  pqt_stop(&w);
  CHECK_STATUS(decode(&w, &err), QV_INVALID);
  CHECK(strstr(err.message, "required field schema") != NULL);
}

QV_TEST(pq_thrift_deep_nesting_is_capped) {
  for (int depth = 10; depth <= 100000; depth *= 10) {
    pqt_writer w;
    pqt_init(&w);
    pqt_struct_begin(&w);
    for (int i = 0; i < depth; i++) pqt_byte(&w, 0x1c); /* field +1, struct */
    for (int i = 0; i < depth + 1; i++) pqt_byte(&w, 0);
    qv_error err;
    qv_status st = decode(&w, &err);
    if (depth < QV_PQ_THRIFT_MAX_DEPTH) {
      /* Well-formed but without required fields. */
      CHECK_STATUS(st, QV_INVALID);
      CHECK(strstr(err.message, "required") != NULL);
    } else {
      CHECK_STATUS(st, QV_INVALID);
      CHECK(strstr(err.message, "nesting deeper") != NULL);
    }
  }
  /* Lists of lists nest too. */
  pqt_writer w;
  pqt_init(&w);
  pqt_struct_begin(&w);
  pqt_field(&w, 90, 9);
  for (int i = 0; i < 1000; i++) pqt_byte(&w, 0x19);
  qv_error err;
  CHECK_STATUS(decode(&w, &err), QV_INVALID);
  CHECK(strstr(err.message, "nesting deeper") != NULL);
}

QV_TEST(pq_thrift_primitives) {
  static const uint8_t bytes[] = {0x01, 0x02, 0xe5, 0x8e, 0x26, 0x03, 0xff, 0xff, 0xff, 0xff, 0x0f};
  qv_pq_thrift t;
  qv__pq_thrift_init(&t, bytes, sizeof bytes);
  qv_error err;
  int64_t v;
  int32_t i32;
  CHECK_OK(qv__pq_thrift_i64(&t, &v, &err), &err);
  CHECK_EQ_INT(v, -1);
  CHECK_OK(qv__pq_thrift_i64(&t, &v, &err), &err);
  CHECK_EQ_INT(v, 1);
  uint64_t u;
  CHECK_OK(qv__pq_thrift_varint(&t, &u, &err), &err);
  CHECK_EQ_INT(u, 624485);
  CHECK_OK(qv__pq_thrift_i32(&t, &i32, &err), &err);
  CHECK_EQ_INT(i32, -2);
  CHECK_OK(qv__pq_thrift_i32(&t, &i32, &err), &err);
  CHECK_EQ_INT(i32, INT32_MIN);
  CHECK_STATUS(qv__pq_thrift_i32(&t, &i32, &err), QV_INVALID); /* end of input */
  /* Field id deltas and the long form. */
  static const uint8_t fields[] = {0x15, 0x00, 0x35, 0x00, 0x05, 0xe8, 0x07, 0x00, 0x00};
  qv__pq_thrift_init(&t, fields, sizeof fields);
  int16_t id = 0;
  int type;
  CHECK_OK(qv__pq_thrift_field(&t, &id, &type, &err), &err);
  CHECK_EQ_INT(id, 1);
  t.pos++;
  CHECK_OK(qv__pq_thrift_field(&t, &id, &type, &err), &err);
  CHECK_EQ_INT(id, 4);
  t.pos++;
  CHECK_OK(qv__pq_thrift_field(&t, &id, &type, &err), &err);
  CHECK_EQ_INT(id, 500);
  t.pos++;
  CHECK_OK(qv__pq_thrift_field(&t, &id, &type, &err), &err);
  CHECK_EQ_INT(type, QV_PQ_T_STOP);
}

static void page_header_v1(pqt_writer *w, int32_t num_values) {
  pqt_struct_begin(w);
  pqt_i32(w, 1, 0);
  pqt_i32(w, 2, 40);
  pqt_i32(w, 3, 30);
  pqt_i32(w, 4, -12345);
  pqt_field(w, 5, 12);
  pqt_struct_begin(w);
  pqt_i32(w, 1, num_values);
  pqt_i32(w, 2, 8);
  pqt_i32(w, 3, 3);
  pqt_i32(w, 4, 3);
  pqt_field(w, 5, 12); /* page statistics: skipped */
  pqt_struct_begin(w);
  pqt_binary(w, 1, "zz", 2);
  pqt_stop(w);
  pqt_stop(w);
  pqt_stop(w);
}

QV_TEST(pq_thrift_page_headers) {
  pqt_writer w;
  pqt_init(&w);
  page_header_v1(&w, 77);
  pqt_raw(&w, "payload", 7);
  qv_pq_page_header h;
  int64_t len;
  qv_error err;
  qv_status st = qv__pq_decode_page_header(w.b.data, w.b.size, &h, &len, &err);
  int64_t total = w.b.size;
  pqt_reset(&w);
  CHECK_OK(st, &err);
  CHECK_EQ_INT(len, total - 7);
  CHECK(h.has_data && !h.has_dict && !h.has_data_v2);
  CHECK_EQ_INT(h.data.num_values, 77);
  CHECK_EQ_INT(h.data.encoding, 8);
  CHECK(h.has_crc && h.crc == (uint32_t)-12345);
  /* v2 with is_compressed absent defaults to true. */
  pqt_init(&w);
  pqt_struct_begin(&w);
  pqt_i32(&w, 1, 3);
  pqt_i32(&w, 2, 10);
  pqt_i32(&w, 3, 10);
  pqt_field(&w, 8, 12);
  pqt_struct_begin(&w);
  for (int16_t f = 1; f <= 6; f++) pqt_i32(&w, f, f);
  pqt_stop(&w);
  pqt_stop(&w);
  st = qv__pq_decode_page_header(w.b.data, w.b.size, &h, &len, &err);
  pqt_reset(&w);
  CHECK_OK(st, &err);
  CHECK(h.has_data_v2 && h.v2.is_compressed && h.v2.num_rows == 3 && h.v2.rep_length == 6);
  /* A DataPageHeaderV2 without its lengths is refused. */
  pqt_init(&w);
  pqt_struct_begin(&w);
  pqt_i32(&w, 1, 3);
  pqt_i32(&w, 2, 10);
  pqt_i32(&w, 3, 10);
  pqt_field(&w, 8, 12);
  pqt_struct_begin(&w);
  pqt_i32(&w, 1, 1);
  pqt_stop(&w);
  pqt_stop(&w);
  st = qv__pq_decode_page_header(w.b.data, w.b.size, &h, &len, &err);
  pqt_reset(&w);
  CHECK_STATUS(st, QV_INVALID);
  /* Every truncation of a valid header fails cleanly. */
  pqt_init(&w);
  page_header_v1(&w, 5);
  for (int64_t n = 0; n < w.b.size; n++) {
    uint8_t *copy = malloc((size_t)(n ? n : 1));
    memcpy(copy, w.b.data, (size_t)n);
    st = qv__pq_decode_page_header(copy, n, &h, &len, &err);
    free(copy);
    if (st != QV_INVALID) {
      pqt_reset(&w);
      CHECK_STATUS(st, QV_INVALID);
    }
  }
  pqt_reset(&w);
}
