/* Tests of the IPC metadata codec: every type, dictionary ids and metadata
 * through schema encode and decode; record-batch, dictionary-batch and footer
 * round trips; hostile messages (truncations, byte flips, unknown union tags
 * and enum values, negative lengths); and the Arrow integration golden files,
 * whose every message and footer must decode. */
#include <dirent.h>
#include <stdlib.h>

#include "ipc/flatbuf.h"
#include "ipc/metadata.h"
#include "quiver/type.h"
#include "test.h"

/* ---- building schemas: each helper takes ownership of the objects passed
 * and returns NULL when anything failed, so that a chain of them needs one
 * check at the end. -------------------------------------------------------- */

static qv_field *fld(const char *name, qv_data_type *t, bool nullable) {
  qv_field *f = NULL;
  if (t && qv_field_create(name, t, nullable, NULL, &f, NULL) != QV_OK) f = NULL;
  qv_type_unref(t);
  return f;
}

static qv_field *fld_md(const char *name, qv_data_type *t, const char *key, const char *value) {
  qv_metadata *m = NULL;
  qv_field *f = NULL;
  if (qv_metadata_create(&m, NULL) == QV_OK &&
      qv_metadata_append(m, key, (int64_t)strlen(key), value, (int64_t)strlen(value), NULL) == QV_OK &&
      t && qv_field_create(name, t, true, m, &f, NULL) != QV_OK)
    f = NULL;
  qv_metadata_destroy(m);
  qv_type_unref(t);
  return f;
}

static qv_field *dict_fld(const char *name, qv_type_id index, qv_data_type *value, bool ordered,
                          int64_t id) {
  qv_data_type *t = NULL;
  if (value && qv_type_dictionary(qv_type_primitive(index), value, ordered, &t, NULL) != QV_OK)
    t = NULL;
  qv_type_unref(value);
  qv_field *f = fld(name, t, true);
  if (f) qv_field_set_dictionary_id(f, id);
  return f;
}

static qv_data_type *prim(qv_type_id id) { return qv_type_primitive(id); }

static qv_data_type *decimal(qv_type_id id, int32_t p, int32_t s) {
  qv_data_type *t;
  return qv_type_decimal(id, p, s, &t, NULL) == QV_OK ? t : NULL;
}

static qv_data_type *time_t_(qv_type_id id, qv_time_unit u) {
  qv_data_type *t;
  return qv_type_time(id, u, &t, NULL) == QV_OK ? t : NULL;
}

static qv_data_type *timestamp(qv_time_unit u, const char *tz) {
  qv_data_type *t;
  return qv_type_timestamp(u, tz, &t, NULL) == QV_OK ? t : NULL;
}

static qv_data_type *fsb(int32_t w) {
  qv_data_type *t;
  return qv_type_fixed_size_binary(w, &t, NULL) == QV_OK ? t : NULL;
}

static qv_data_type *list_of(qv_type_id id, qv_field *item) {
  qv_data_type *t = NULL;
  if (item && qv_type_list(id, item, &t, NULL) != QV_OK) t = NULL;
  qv_field_unref(item);
  return t;
}

static qv_data_type *fsl_of(qv_field *item, int32_t n) {
  qv_data_type *t = NULL;
  if (item && qv_type_fixed_size_list(item, n, &t, NULL) != QV_OK) t = NULL;
  qv_field_unref(item);
  return t;
}

/* Takes the n fields (n <= 8). */
static qv_data_type *struct_of(int32_t n, qv_field *f0, qv_field *f1) {
  qv_field *fs[2] = {f0, f1};
  qv_data_type *t = NULL;
  bool ok = true;
  for (int32_t i = 0; i < n; i++) ok = ok && fs[i];
  if (ok && qv_type_struct(fs, n, &t, NULL) != QV_OK) t = NULL;
  for (int32_t i = 0; i < 2; i++) qv_field_unref(fs[i]);
  return t;
}

static qv_data_type *map_of(qv_field *key, qv_field *value, bool sorted) {
  qv_field *entries = fld("entries", struct_of(2, key, value), false);
  qv_data_type *t = NULL;
  if (entries && qv_type_map(entries, sorted, &t, NULL) != QV_OK) t = NULL;
  qv_field_unref(entries);
  return t;
}

static qv_data_type *union_of(qv_type_id id, int32_t n, qv_field *f0, qv_field *f1, int8_t c0,
                              int8_t c1) {
  qv_field *fs[2] = {f0, f1};
  int8_t codes[2] = {c0, c1};
  qv_data_type *t = NULL;
  bool ok = true;
  for (int32_t i = 0; i < n; i++) ok = ok && fs[i];
  if (ok && qv_type_union(id, fs, codes, n, &t, NULL) != QV_OK) t = NULL;
  for (int32_t i = 0; i < 2; i++) qv_field_unref(fs[i]);
  return t;
}

#define MAX_FIELDS 96

/* A schema of every type Quiver has, with metadata on the schema and on a
 * field, dictionary fields (one nested in a list), odd names. */
static qv_schema *all_types_schema(void) {
  qv_field *f[MAX_FIELDS];
  int n = 0;
  static const qv_type_id prims[] = {
      QV_NA, QV_BOOL, QV_INT8, QV_INT16, QV_INT32, QV_INT64, QV_UINT8, QV_UINT16, QV_UINT32,
      QV_UINT64, QV_FLOAT16, QV_FLOAT32, QV_FLOAT64, QV_DATE32, QV_DATE64, QV_INTERVAL_MONTHS,
      QV_INTERVAL_DAY_TIME, QV_INTERVAL_MONTH_DAY_NANO, QV_BINARY, QV_LARGE_BINARY, QV_UTF8,
      QV_LARGE_UTF8};
  for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
    char name[32];
    snprintf(name, sizeof name, "p%zu", i);
    f[n++] = fld(name, prim(prims[i]), i % 2 == 0);
  }
  f[n++] = fld("dec", decimal(QV_DECIMAL128, 38, 10), true);
  f[n++] = fld("dec_small", decimal(QV_DECIMAL128, 5, 2), true);
  f[n++] = fld("dec256", decimal(QV_DECIMAL256, 76, -5), true);
  f[n++] = fld("t32s", time_t_(QV_TIME32, QV_SECOND), true);
  f[n++] = fld("t32ms", time_t_(QV_TIME32, QV_MILLI), true);
  f[n++] = fld("t64us", time_t_(QV_TIME64, QV_MICRO), true);
  f[n++] = fld("t64ns", time_t_(QV_TIME64, QV_NANO), true);
  for (int u = QV_SECOND; u <= QV_NANO; u++) {
    char name[32];
    snprintf(name, sizeof name, "dur%d", u);
    f[n++] = fld(name, time_t_(QV_DURATION, (qv_time_unit)u), true);
  }
  f[n++] = fld("ts_s", timestamp(QV_SECOND, NULL), true);
  f[n++] = fld("ts_ms_utc", timestamp(QV_MILLI, "UTC"), true);
  f[n++] = fld("ts_us_ny", timestamp(QV_MICRO, "America/New_York"), false);
  f[n++] = fld("ts_ns_empty_tz", timestamp(QV_NANO, ""), true);
  f[n++] = fld("ts_offset", timestamp(QV_NANO, "+07:30"), true);
  f[n++] = fld("fsb0", fsb(0), true);
  f[n++] = fld("fsb16", fsb(16), true);
  f[n++] = fld("list", list_of(QV_LIST, fld("item", prim(QV_INT32), true)), true);
  f[n++] = fld("large_list", list_of(QV_LARGE_LIST, fld("", prim(QV_UTF8), false)), true);
  f[n++] = fld("fsl", fsl_of(fld("item", prim(QV_FLOAT64), true), 3), true);
  f[n++] = fld("struct", struct_of(2, fld("a", prim(QV_INT8), true),
                                   fld("b", struct_of(1, fld("c", prim(QV_BOOL), false), NULL), true)),
               true);
  f[n++] = fld("empty_struct", struct_of(0, NULL, NULL), true);
  f[n++] = fld("map", map_of(fld("key", prim(QV_UTF8), false), fld("value", prim(QV_INT64), true),
                             true), true);
  f[n++] = fld("map_unsorted", map_of(fld("k", prim(QV_INT32), false),
                                      fld("v", list_of(QV_LIST, fld("item", prim(QV_BOOL), true)), true),
                                      false), true);
  f[n++] = fld("sparse", union_of(QV_SPARSE_UNION, 2, fld("a", prim(QV_INT32), true),
                                  fld("b", prim(QV_UTF8), true), 0, 1), true);
  f[n++] = fld("dense", union_of(QV_DENSE_UNION, 2, fld("x", prim(QV_FLOAT32), true),
                                 fld("y", prim(QV_BINARY), true), 5, 127), true);
  f[n++] = fld("empty_union", union_of(QV_DENSE_UNION, 0, NULL, NULL, 0, 0), true);
  f[n++] = dict_fld("dict", QV_INT32, prim(QV_UTF8), false, 0);
  f[n++] = dict_fld("dict_ordered_u8", QV_UINT8, prim(QV_LARGE_UTF8), true, 1);
  f[n++] = dict_fld("dict_i64_list", QV_INT64, list_of(QV_LIST, fld("item", prim(QV_INT16), true)),
                    false, 2);
  /* A dictionary nested in a list item, and a list of dictionaries' values. */
  qv_field *inner_dict = dict_fld("item", QV_INT16, prim(QV_UTF8), false, 3);
  f[n++] = fld("list_of_dict", list_of(QV_LIST, inner_dict), true);
  f[n++] = dict_fld("dict_of_struct_with_dict", QV_INT8,
                    struct_of(1, dict_fld("s", QV_INT32, prim(QV_BINARY), false, 5), NULL), false, 4);
  f[n++] = fld_md("ext", prim(QV_BINARY),
                  "ARROW:extension:name", "quiver.test_extension");
  f[n++] = fld("", prim(QV_INT32), true);
  f[n++] = fld("unicode \xc3\xbc\xe2\x82\xac name with spaces", prim(QV_FLOAT64), true);

  qv_schema *s = NULL;
  qv_metadata *m = NULL;
  bool ok = qv_metadata_create(&m, NULL) == QV_OK &&
            qv_metadata_append(m, "k1", 2, "v1", 2, NULL) == QV_OK &&
            qv_metadata_append(m, "dup", 3, "a", 1, NULL) == QV_OK &&
            qv_metadata_append(m, "dup", 3, "b\0c", 3, NULL) == QV_OK &&
            qv_metadata_append(m, "", 0, "", 0, NULL) == QV_OK;
  for (int i = 0; i < n; i++) ok = ok && f[i];
  if (ok && qv_schema_create(f, n, m, &s, NULL) != QV_OK) s = NULL;
  for (int i = 0; i < n; i++) qv_field_unref(f[i]);
  qv_metadata_destroy(m);
  return s;
}

/* Dictionary ids are not part of qv_field_equals: compare them separately. */
static bool field_ids_equal(const qv_field *a, const qv_field *b) {
  if (qv_field_dictionary_id(a) != qv_field_dictionary_id(b)) return false;
  const qv_data_type *ta = qv_field_type(a), *tb = qv_field_type(b);
  if (qv_type_id_of(ta) == QV_DICTIONARY) {
    ta = qv_type_dict_value(ta);
    tb = qv_type_dict_value(tb);
  }
  if (qv_type_num_children(ta) != qv_type_num_children(tb)) return false;
  for (int32_t i = 0; i < qv_type_num_children(ta); i++)
    if (!field_ids_equal(qv_type_child(ta, i), qv_type_child(tb, i))) return false;
  return true;
}

static bool schemas_equal(const qv_schema *a, const qv_schema *b) {
  if (!qv_schema_equals(a, b)) return false;
  for (int32_t i = 0; i < qv_schema_num_fields(a); i++)
    if (!field_ids_equal(qv_schema_field(a, i), qv_schema_field(b, i))) return false;
  return true;
}

static qv_metadata *make_metadata(const char *k, const char *v) {
  qv_metadata *m = NULL;
  if (qv_metadata_create(&m, NULL) != QV_OK) return NULL;
  if (qv_metadata_append(m, k, (int64_t)strlen(k), v, (int64_t)strlen(v), NULL) != QV_OK) {
    qv_metadata_destroy(m);
    return NULL;
  }
  return m;
}

/* ---- round trips -------------------------------------------------------------- */

QV_TEST(metadata_schema_round_trip_every_type) {
  qv_error err = {0};
  qv_schema *s = all_types_schema();
  CHECK(s != NULL);
  qv_metadata *msg_md = make_metadata("message key", "message value");
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  qv_status st = qv__ipc_schema_message_encode(s, msg_md, &out, &err);
  qv_ipc_message msg;
  if (st == QV_OK) st = qv__ipc_message_decode(out.data, out.size, NULL, &msg, &err);
  bool ok = st == QV_OK;
  if (ok) {
    ok = msg.type == QV_IPC_MSG_SCHEMA && msg.version == QV_IPC_METADATA_V5 && !msg.big_endian &&
         msg.body_length == 0 && schemas_equal(s, msg.schema) &&
         qv_metadata_equals(msg_md, msg.custom_metadata) && msg.custom_metadata != NULL;
    if (!ok) {
      char a[4096], b[4096];
      for (int32_t i = 0; i < qv_schema_num_fields(s); i++) {
        const qv_field *fa = qv_schema_field(s, i), *fb = qv_schema_field(msg.schema, i);
        if (!qv_field_equals(fa, fb) || !field_ids_equal(fa, fb))
          fprintf(stderr, "  field %d differs: %s / %s\n", (int)i,
                  qv_type_to_string(qv_field_type(fa), a, sizeof a),
                  qv_type_to_string(qv_field_type(fb), b, sizeof b));
      }
    }
    qv__ipc_message_reset(&msg);
  }
  qv_metadata_destroy(msg_md);
  qv_schema_unref(s);
  qv_bytes_reset(&out);
  CHECK_OK(st, &err);
  CHECK(ok);
}

QV_TEST(metadata_dictionary_fields_keep_ids) {
  qv_error err = {0};
  qv_schema *s = all_types_schema();
  CHECK(s != NULL);
  qv_bytes out;
  qv_ipc_message msg;
  qv_bytes_init(&out, NULL);
  CHECK_OK(qv__ipc_schema_message_encode(s, NULL, &out, &err), &err);
  qv_status st = qv__ipc_message_decode(out.data, out.size, NULL, &msg, &err);
  qv_bytes_reset(&out);
  int32_t i = st == QV_OK ? qv_schema_field_index(msg.schema, "dict_ordered_u8") : -1;
  int32_t j = st == QV_OK ? qv_schema_field_index(msg.schema, "list_of_dict") : -1;
  qv_field *d = i >= 0 ? qv_schema_field(msg.schema, i) : NULL;
  qv_field *l = j >= 0 ? qv_schema_field(msg.schema, j) : NULL;
  bool ok = d && l && qv_field_dictionary_id(d) == 1 &&
            qv_type_id_of(qv_field_type(d)) == QV_DICTIONARY &&
            qv_type_dict_ordered(qv_field_type(d)) &&
            qv_type_id_of(qv_type_dict_index(qv_field_type(d))) == QV_UINT8 &&
            qv_type_id_of(qv_type_dict_value(qv_field_type(d))) == QV_LARGE_UTF8 &&
            qv_field_dictionary_id(qv_type_child(qv_field_type(l), 0)) == 3 &&
            qv_field_dictionary_id(l) == -1;
  if (st == QV_OK) qv__ipc_message_reset(&msg);
  qv_schema_unref(s);
  CHECK_OK(st, &err);
  CHECK(ok);
}

QV_TEST(metadata_dictionary_field_without_id_is_rejected) {
  qv_error err = {0};
  qv_field *f = dict_fld("d", QV_INT32, prim(QV_UTF8), false, -1);
  CHECK(f != NULL);
  qv_schema *s = NULL;
  qv_status st = qv_schema_create(&f, 1, NULL, &s, &err);
  qv_field_unref(f);
  CHECK_OK(st, &err);
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  st = qv__ipc_schema_message_encode(s, NULL, &out, &err);
  qv_bytes_reset(&out);
  qv_schema_unref(s);
  CHECK_STATUS(st, QV_INVALID);
  CHECK(strstr(err.message, "'d'") != NULL);
}

QV_TEST(metadata_empty_schema_round_trip) {
  qv_error err = {0};
  qv_schema *s = NULL;
  CHECK_OK(qv_schema_create(NULL, 0, NULL, &s, &err), &err);
  qv_bytes out;
  qv_ipc_message msg;
  qv_bytes_init(&out, NULL);
  CHECK_OK(qv__ipc_schema_message_encode(s, NULL, &out, &err), &err);
  qv_status st = qv__ipc_message_decode(out.data, out.size, NULL, &msg, &err);
  qv_bytes_reset(&out);
  bool ok = st == QV_OK && qv_schema_num_fields(msg.schema) == 0 && msg.custom_metadata == NULL &&
            qv_schema_equals(s, msg.schema);
  if (st == QV_OK) qv__ipc_message_reset(&msg);
  qv_schema_unref(s);
  CHECK_OK(st, &err);
  CHECK(ok);
}

QV_TEST(metadata_record_batch_round_trip) {
  qv_error err = {0};
  qv_ipc_field_node nodes[3] = {{10, 0}, {10, 3}, {INT64_C(1) << 40, 7}};
  qv_ipc_buffer_span spans[4] = {{0, 0}, {0, 64}, {64, 8}, {72, 1000}};
  qv_ipc_batch_header h = {.length = 10, .n_nodes = 3, .nodes = nodes, .n_buffers = 4,
                           .buffers = spans, .codec = QV_IPC_CODEC_NONE};
  qv_ipc_codec codecs[] = {QV_IPC_CODEC_NONE, QV_IPC_CODEC_LZ4_FRAME, QV_IPC_CODEC_ZSTD};
  for (size_t c = 0; c < 3; c++) {
    h.codec = codecs[c];
    qv_metadata *md = c == 1 ? make_metadata("batch", "meta") : NULL;
    qv_bytes out;
    qv_ipc_message msg;
    qv_bytes_init(&out, NULL);
    qv_status st = qv__ipc_batch_message_encode(QV_IPC_MSG_RECORD_BATCH, &h, 1072, -1, false, md,
                                                &out, &err);
    if (st == QV_OK) st = qv__ipc_message_decode(out.data, out.size, NULL, &msg, &err);
    qv_bytes_reset(&out);
    bool ok = false;
    if (st == QV_OK) {
      ok = msg.type == QV_IPC_MSG_RECORD_BATCH && msg.body_length == 1072 &&
           msg.batch.length == 10 && msg.batch.n_nodes == 3 && msg.batch.n_buffers == 4 &&
           msg.batch.codec == codecs[c] && memcmp(msg.batch.nodes, nodes, sizeof nodes) == 0 &&
           memcmp(msg.batch.buffers, spans, sizeof spans) == 0 && msg.schema == NULL &&
           qv_metadata_equals(md, msg.custom_metadata);
      qv__ipc_message_reset(&msg);
    }
    qv_metadata_destroy(md);
    CHECK_OK(st, &err);
    CHECK(ok);
  }
}

QV_TEST(metadata_dictionary_batch_round_trip) {
  qv_error err = {0};
  qv_ipc_field_node node = {5, 1};
  qv_ipc_buffer_span spans[3] = {{0, 8}, {8, 24}, {32, 40}};
  qv_ipc_batch_header h = {.length = 5, .n_nodes = 1, .nodes = &node, .n_buffers = 3,
                           .buffers = spans, .codec = QV_IPC_CODEC_ZSTD};
  for (int delta = 0; delta < 2; delta++) {
    qv_bytes out;
    qv_ipc_message msg;
    qv_bytes_init(&out, NULL);
    CHECK_OK(qv__ipc_batch_message_encode(QV_IPC_MSG_DICTIONARY_BATCH, &h, 72, 42 + delta,
                                          delta == 1, NULL, &out, &err), &err);
    qv_status st = qv__ipc_message_decode(out.data, out.size, NULL, &msg, &err);
    qv_bytes_reset(&out);
    CHECK_OK(st, &err);
    bool ok = msg.type == QV_IPC_MSG_DICTIONARY_BATCH && msg.dictionary_id == 42 + delta &&
              msg.is_delta == (delta == 1) && msg.batch.length == 5 && msg.batch.n_nodes == 1 &&
              msg.batch.nodes[0].null_count == 1 && msg.batch.n_buffers == 3 &&
              msg.batch.buffers[2].length == 40 && msg.batch.codec == QV_IPC_CODEC_ZSTD &&
              msg.body_length == 72;
    qv__ipc_message_reset(&msg);
    CHECK(ok);
  }
  /* Bad encode arguments. */
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  CHECK_STATUS(qv__ipc_batch_message_encode(QV_IPC_MSG_DICTIONARY_BATCH, &h, 72, -1, false, NULL,
                                            &out, &err), QV_INVALID);
  CHECK_STATUS(qv__ipc_batch_message_encode(QV_IPC_MSG_SCHEMA, &h, 72, 1, false, NULL, &out, &err),
               QV_INVALID);
  h.codec = (qv_ipc_codec)9;
  CHECK_STATUS(qv__ipc_batch_message_encode(QV_IPC_MSG_RECORD_BATCH, &h, 72, 1, false, NULL, &out,
                                            &err), QV_INVALID);
  qv_bytes_reset(&out);
}

QV_TEST(metadata_empty_record_batch) {
  qv_error err = {0};
  qv_ipc_batch_header h = {.codec = QV_IPC_CODEC_NONE};
  qv_bytes out;
  qv_ipc_message msg;
  qv_bytes_init(&out, NULL);
  CHECK_OK(qv__ipc_batch_message_encode(QV_IPC_MSG_RECORD_BATCH, &h, 0, -1, false, NULL, &out,
                                        &err), &err);
  qv_status st = qv__ipc_message_decode(out.data, out.size, NULL, &msg, &err);
  qv_bytes_reset(&out);
  CHECK_OK(st, &err);
  bool ok = msg.batch.n_nodes == 0 && msg.batch.nodes == NULL && msg.batch.n_buffers == 0 &&
            msg.batch.codec == QV_IPC_CODEC_NONE;
  qv__ipc_message_reset(&msg);
  CHECK(ok);
}

/* Field by field: the struct has padding. */
static bool blocks_equal(const qv_ipc_block *a, const qv_ipc_block *b, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (a[i].offset != b[i].offset || a[i].metadata_length != b[i].metadata_length ||
        a[i].body_length != b[i].body_length)
      return false;
  return true;
}

QV_TEST(metadata_footer_round_trip) {
  qv_error err = {0};
  qv_schema *s = all_types_schema();
  CHECK(s != NULL);
  qv_ipc_block dicts[2] = {{8, 200, 64}, {272, 136, 0}};
  qv_ipc_block batches[3] = {{408, 256, 1 << 20}, {INT64_C(1) << 33, 8, 8}, {0, 0, 0}};
  qv_ipc_footer f = {.schema = s, .n_dictionaries = 2, .dictionaries = dicts,
                     .n_record_batches = 3, .record_batches = batches,
                     .custom_metadata = make_metadata("footer", "yes")};
  qv_bytes out;
  qv_ipc_footer g;
  qv_bytes_init(&out, NULL);
  qv_status st = qv__ipc_footer_encode(&f, &out, &err);
  if (st == QV_OK) st = qv__ipc_footer_decode(out.data, out.size, NULL, &g, &err);
  qv_bytes_reset(&out);
  bool ok = false;
  if (st == QV_OK) {
    ok = g.version == QV_IPC_METADATA_V5 && !g.big_endian && schemas_equal(s, g.schema) &&
         g.n_dictionaries == 2 && blocks_equal(g.dictionaries, dicts, 2) &&
         g.n_record_batches == 3 && blocks_equal(g.record_batches, batches, 3) &&
         qv_metadata_equals(f.custom_metadata, g.custom_metadata) && g.custom_metadata;
    qv__ipc_footer_reset(&g);
  }
  qv_metadata_destroy(f.custom_metadata);
  qv_schema_unref(s);
  CHECK_OK(st, &err);
  CHECK(ok);

  /* A footer without blocks. */
  CHECK_OK(qv_schema_create(NULL, 0, NULL, &s, &err), &err);
  qv_ipc_footer e = {.schema = s};
  qv_bytes_init(&out, NULL);
  st = qv__ipc_footer_encode(&e, &out, &err);
  if (st == QV_OK) st = qv__ipc_footer_decode(out.data, out.size, NULL, &g, &err);
  qv_bytes_reset(&out);
  qv_schema_unref(s);
  CHECK_OK(st, &err);
  ok = g.n_dictionaries == 0 && g.n_record_batches == 0 && g.dictionaries == NULL &&
       g.custom_metadata == NULL;
  qv__ipc_footer_reset(&g);
  CHECK(ok);
  e.schema = NULL;
  qv_bytes_init(&out, NULL);
  CHECK_STATUS(qv__ipc_footer_encode(&e, &out, &err), QV_INVALID);
  qv_bytes_reset(&out);
}

QV_TEST(metadata_out_of_memory_leaks_nothing) {
  qv_error err = {0};
  qv_allocator *a;
  qv_schema *s = all_types_schema();
  CHECK(s != NULL);
  CHECK_OK(qv_allocator_create(0, &a, &err), &err);
  qv_ipc_field_node nodes[2] = {{1, 0}, {1, 0}};
  qv_ipc_buffer_span spans[2] = {{0, 8}, {8, 8}};
  qv_ipc_batch_header h = {.length = 1, .n_nodes = 2, .nodes = nodes, .n_buffers = 2,
                           .buffers = spans, .codec = QV_IPC_CODEC_NONE};
  bool enc_ok = false, dec_ok = false, batch_ok = false;
  for (int64_t n = 1; n < 400 && !(enc_ok && dec_ok && batch_ok); n++) {
    qv_bytes out;
    qv_ipc_message msg;
    qv_bytes_init(&out, a);
    qv_allocator_fail_after(a, n);
    qv_status st = qv__ipc_schema_message_encode(s, NULL, &out, &err);
    if (st == QV_OK) {
      enc_ok = true;
      st = qv__ipc_message_decode(out.data, out.size, a, &msg, &err);
      if (st == QV_OK) {
        dec_ok = true;
        qv__ipc_message_reset(&msg);
      }
    }
    qv_allocator_fail_after(a, 0);
    if (st != QV_OK && st != QV_NOMEM) break;
    qv_bytes_reset(&out);
    qv_bytes_init(&out, a);
    qv_allocator_fail_after(a, n);
    st = qv__ipc_batch_message_encode(QV_IPC_MSG_RECORD_BATCH, &h, 16, -1, false, NULL, &out, &err);
    if (st == QV_OK) st = qv__ipc_message_decode(out.data, out.size, a, &msg, &err);
    if (st == QV_OK) {
      batch_ok = true;
      qv__ipc_message_reset(&msg);
    }
    qv_allocator_fail_after(a, 0);
    qv_bytes_reset(&out);
    if (st != QV_OK && st != QV_NOMEM) break;
    if (qv_allocator_bytes_allocated(a) != 0) break;
  }
  int64_t leaked = qv_allocator_bytes_allocated(a);
  qv_allocator_destroy(a);
  qv_schema_unref(s);
  CHECK_EQ_INT(leaked, 0);
  CHECK(enc_ok && dec_ok && batch_ok);
}

/* ---- hand-crafted messages ------------------------------------------------------ */

/* Adds the fields of a type table (already started). */
typedef qv_status (*type_fields_fn)(qv_fb_builder *b, qv_error *err);

static qv_status no_fields(qv_fb_builder *b, qv_error *err) {
  (void)b;
  (void)err;
  return QV_OK;
}
static qv_status int_width_12(qv_fb_builder *b, qv_error *err) {
  QV_RETURN_NOT_OK(qv__fb_add_int32(b, 0, 12, err));
  return qv__fb_add_bool(b, 1, true, err);
}
static qv_status unit_7(qv_fb_builder *b, qv_error *err) { return qv__fb_add_int16(b, 0, 7, err); }
static qv_status time_ms_64(qv_fb_builder *b, qv_error *err) {
  QV_RETURN_NOT_OK(qv__fb_add_int16(b, 0, 1, err));
  return qv__fb_add_int32(b, 1, 64, err);
}
static qv_status decimal_bits_100(qv_fb_builder *b, qv_error *err) {
  QV_RETURN_NOT_OK(qv__fb_add_int32(b, 0, 10, err));
  return qv__fb_add_int32(b, 2, 100, err);
}
static qv_status decimal_default_bits(qv_fb_builder *b, qv_error *err) {
  QV_RETURN_NOT_OK(qv__fb_add_int32(b, 0, 12, err));
  return qv__fb_add_int32(b, 1, 3, err);
}
static qv_status negative_width(qv_fb_builder *b, qv_error *err) {
  return qv__fb_add_int32(b, 0, -4, err);
}

typedef struct crafted {
  int16_t version;
  uint8_t header_type;   /* 1: Schema */
  int64_t body_length;
  int16_t endianness;
  uint8_t type_tag;      /* of the single field "bad" */
  type_fields_fn type_fields;
  int n_children;        /* int32 children named "c" */
  bool dictionary;       /* with indexType Int(bitWidth dict_bits) */
  int32_t dict_bits;
  int64_t dict_id;
  const char *name;
  int64_t name_len;
} crafted;

static crafted good_crafted(void) {
  crafted c = {.version = QV_IPC_METADATA_V5, .header_type = 1, .type_tag = 5 /* Utf8 */,
               .type_fields = no_fields, .dict_bits = 16, .name = "bad", .name_len = 3};
  return c;
}

static qv_status craft_int_table(qv_fb_builder *b, int32_t bits, qv_fb_ref *out, qv_error *err) {
  QV_RETURN_NOT_OK(qv__fb_table_start(b, err));
  QV_RETURN_NOT_OK(qv__fb_add_int32(b, 0, bits, err));
  QV_RETURN_NOT_OK(qv__fb_add_bool(b, 1, true, err));
  return qv__fb_table_end(b, out, err);
}

/* A Message {Schema {fields: [Field "bad"]}} (or another header type, with an
 * empty table as its value), with the knobs of c. */
static qv_status craft_message(const crafted *c, qv_bytes *out, qv_error *err) {
  qv_fb_builder b;
  qv_fb_ref children[4], child_vec = 0, type_ref, name, field, fields, schema, dict = 0, root;
  qv__fb_builder_init(&b, NULL);
  qv_status st = QV_OK;
  for (int i = 0; i < c->n_children && st == QV_OK; i++) {
    qv_fb_ref cname, ctype, cv;
    st = qv__fb_create_string(&b, "c", 1, &cname, err);
    if (st == QV_OK) st = craft_int_table(&b, 32, &ctype, err);
    if (st == QV_OK) st = qv__fb_create_offset_vector(&b, NULL, 0, &cv, err);
    if (st == QV_OK) st = qv__fb_table_start(&b, err);
    if (st == QV_OK) st = qv__fb_add_offset(&b, 0, cname, err);
    if (st == QV_OK) st = qv__fb_add_bool(&b, 1, true, err);
    if (st == QV_OK) st = qv__fb_add_uint8(&b, 2, 2, err);
    if (st == QV_OK) st = qv__fb_add_offset(&b, 3, ctype, err);
    if (st == QV_OK) st = qv__fb_add_offset(&b, 5, cv, err);
    if (st == QV_OK) st = qv__fb_table_end(&b, &children[i], err);
  }
  if (st == QV_OK) st = qv__fb_create_offset_vector(&b, children, c->n_children, &child_vec, err);
  if (st == QV_OK && c->dictionary) {
    qv_fb_ref index;
    st = craft_int_table(&b, c->dict_bits, &index, err);
    if (st == QV_OK) st = qv__fb_table_start(&b, err);
    if (st == QV_OK) st = qv__fb_add_int64(&b, 0, c->dict_id, err);
    if (st == QV_OK) st = qv__fb_add_offset(&b, 1, index, err);
    if (st == QV_OK) st = qv__fb_table_end(&b, &dict, err);
  }
  if (st == QV_OK) st = qv__fb_table_start(&b, err);
  if (st == QV_OK) st = c->type_fields(&b, err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &type_ref, err);
  if (st == QV_OK) st = qv__fb_create_string(&b, c->name, c->name_len, &name, err);
  if (st == QV_OK) st = qv__fb_table_start(&b, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 0, name, err);
  if (st == QV_OK && c->type_tag) st = qv__fb_add_uint8(&b, 2, c->type_tag, err);
  if (st == QV_OK && c->type_tag) st = qv__fb_add_offset(&b, 3, type_ref, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 4, dict, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 5, child_vec, err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &field, err);
  if (st == QV_OK) st = qv__fb_create_offset_vector(&b, &field, 1, &fields, err);
  if (st == QV_OK) st = qv__fb_table_start(&b, err);
  if (st == QV_OK && c->header_type == 1) st = qv__fb_add_offset(&b, 1, fields, err);
  if (st == QV_OK) st = qv__fb_add_int16(&b, 0, c->endianness, err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &schema, err);
  if (st == QV_OK) st = qv__fb_table_start(&b, err);
  if (st == QV_OK) st = qv__fb_add_int16(&b, 0, c->version, err);
  if (st == QV_OK && c->header_type) st = qv__fb_add_uint8(&b, 1, c->header_type, err);
  if (st == QV_OK && c->header_type) st = qv__fb_add_offset(&b, 2, schema, err);
  if (st == QV_OK) st = qv__fb_add_int64(&b, 3, c->body_length, err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &root, err);
  if (st == QV_OK) st = qv__fb_finish(&b, root, out, err);
  qv__fb_builder_reset(&b);
  return st;
}

/* Decodes the crafted message; returns its status and leaves the message in
 * *msg only when it succeeded (the caller resets it). */
static qv_status decode_crafted(const crafted *c, qv_ipc_message *msg, qv_error *err) {
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  qv_status st = craft_message(c, &out, err);
  if (st == QV_OK) st = qv__ipc_message_decode(out.data, out.size, NULL, msg, err);
  qv_bytes_reset(&out);
  return st;
}

/* Expects the crafted message to fail with code and a message containing
 * `text`. */
static bool crafted_fails(const crafted *c, qv_status code, const char *text) {
  qv_error err = {0};
  qv_ipc_message msg;
  qv_status st = decode_crafted(c, &msg, &err);
  if (st == QV_OK) qv__ipc_message_reset(&msg);
  if (st != code || !strstr(err.message, text)) {
    fprintf(stderr, "  got %s \"%s\", want %s with \"%s\"\n", qv_status_name(st), err.message,
            qv_status_name(code), text);
    return false;
  }
  return true;
}

QV_TEST(metadata_crafted_good_message_decodes) {
  qv_error err = {0};
  qv_ipc_message msg;
  crafted c = good_crafted();
  c.type_fields = int_width_12;
  c.type_tag = 13; /* Struct_ with two children */
  c.n_children = 2;
  c.dictionary = true;
  c.dict_id = 9;
  c.endianness = 1;
  CHECK_OK(decode_crafted(&c, &msg, &err), &err);
  qv_field *f = qv_schema_field(msg.schema, 0);
  bool ok = msg.big_endian && qv_field_dictionary_id(f) == 9 &&
            qv_type_id_of(qv_field_type(f)) == QV_DICTIONARY &&
            qv_type_id_of(qv_type_dict_index(qv_field_type(f))) == QV_INT16 &&
            qv_type_num_children(qv_type_dict_value(qv_field_type(f))) == 2 &&
            !qv_field_nullable(f) && strcmp(qv_field_name(f), "bad") == 0;
  qv__ipc_message_reset(&msg);
  CHECK(ok);

  /* Defaults: an absent name is "", an absent indexType is int32, an absent
   * Decimal bitWidth is 128. */
  c = good_crafted();
  c.name = NULL;
  c.name_len = 0;
  c.dictionary = true;
  c.dict_bits = 32;
  c.type_tag = 7;
  c.type_fields = decimal_default_bits;
  CHECK_OK(decode_crafted(&c, &msg, &err), &err);
  f = qv_schema_field(msg.schema, 0);
  const qv_data_type *v = qv_type_dict_value(qv_field_type(f));
  ok = qv_type_id_of(v) == QV_DECIMAL128 && qv_type_precision(v) == 12 && qv_type_scale(v) == 3 &&
       strcmp(qv_field_name(f), "") == 0;
  qv__ipc_message_reset(&msg);
  CHECK(ok);
}

QV_TEST(metadata_crafted_bad_types_give_clear_errors) {
  crafted c = good_crafted();
  c.type_tag = 99;
  CHECK(crafted_fails(&c, QV_INVALID, "schema field 0 'bad': unknown type union tag 99"));
  c.type_tag = 27;
  CHECK(crafted_fails(&c, QV_INVALID, "unknown type union tag 27"));
  c.type_tag = 0;
  CHECK(crafted_fails(&c, QV_INVALID, "field has no type"));
  c.type_tag = 23;
  CHECK(crafted_fails(&c, QV_NOT_IMPLEMENTED, "BinaryView"));
  c.type_tag = 22;
  CHECK(crafted_fails(&c, QV_NOT_IMPLEMENTED, "RunEndEncoded"));
  c.type_tag = 2;
  c.type_fields = int_width_12;
  CHECK(crafted_fails(&c, QV_INVALID, "unsupported Int bitWidth 12"));
  c.type_tag = 9; /* Time */
  c.type_fields = unit_7;
  CHECK(crafted_fails(&c, QV_INVALID, "unknown TimeUnit 7"));
  c.type_fields = time_ms_64;
  CHECK(crafted_fails(&c, QV_INVALID, "bitWidth 64"));
  c.type_tag = 3; /* FloatingPoint */
  c.type_fields = unit_7;
  CHECK(crafted_fails(&c, QV_INVALID, "precision 7"));
  c.type_tag = 8; /* Date */
  CHECK(crafted_fails(&c, QV_INVALID, "DateUnit 7"));
  c.type_tag = 11; /* Interval */
  CHECK(crafted_fails(&c, QV_INVALID, "IntervalUnit 7"));
  c.type_tag = 14; /* Union */
  CHECK(crafted_fails(&c, QV_INVALID, "UnionMode 7"));
  c.type_tag = 18; /* Duration */
  CHECK(crafted_fails(&c, QV_INVALID, "TimeUnit 7"));
  c.type_tag = 7; /* Decimal */
  c.type_fields = decimal_bits_100;
  CHECK(crafted_fails(&c, QV_INVALID, "Decimal bitWidth 100"));
  c.type_tag = 15; /* FixedSizeBinary */
  c.type_fields = negative_width;
  CHECK(crafted_fails(&c, QV_INVALID, "byteWidth -4"));
  c.type_tag = 16; /* FixedSizeList */
  c.n_children = 1;
  CHECK(crafted_fails(&c, QV_INVALID, "listSize -4"));
  c.type_fields = no_fields;
  c.type_tag = 12; /* List without children */
  c.n_children = 0;
  CHECK(crafted_fails(&c, QV_INVALID, "List has 0 children, expected 1"));
  c.type_tag = 2; /* Int with children */
  c.n_children = 2;
  CHECK(crafted_fails(&c, QV_INVALID, "expected 0"));
  c.type_tag = 17; /* Map whose child is not a struct */
  c.n_children = 1;
  CHECK(crafted_fails(&c, QV_INVALID, "map"));
  c = good_crafted();
  c.dictionary = true;
  c.dict_bits = 7;
  CHECK(crafted_fails(&c, QV_INVALID, "dictionary indexType: unsupported Int bitWidth 7"));
  c.dict_bits = 32;
  c.dict_id = -2;
  CHECK(crafted_fails(&c, QV_INVALID, "dictionary id -2"));
  c = good_crafted();
  c.name = "a\0b";
  c.name_len = 3;
  CHECK(crafted_fails(&c, QV_INVALID, "NUL"));
}

QV_TEST(metadata_crafted_bad_messages_give_clear_errors) {
  crafted c = good_crafted();
  c.version = 2;
  CHECK(crafted_fails(&c, QV_NOT_IMPLEMENTED, "metadata version V3"));
  c.version = 77;
  CHECK(crafted_fails(&c, QV_INVALID, "unknown metadata version 77"));
  c.version = -1;
  CHECK(crafted_fails(&c, QV_INVALID, "unknown metadata version -1"));
  c = good_crafted();
  c.header_type = 4;
  CHECK(crafted_fails(&c, QV_NOT_IMPLEMENTED, "Tensor"));
  c.header_type = 5;
  CHECK(crafted_fails(&c, QV_NOT_IMPLEMENTED, "SparseTensor"));
  c.header_type = 6;
  CHECK(crafted_fails(&c, QV_INVALID, "unknown message header union tag 6"));
  c.header_type = 0;
  CHECK(crafted_fails(&c, QV_INVALID, "no header"));
  c = good_crafted();
  c.body_length = -8;
  CHECK(crafted_fails(&c, QV_INVALID, "negative body length"));
  c = good_crafted();
  c.endianness = 2;
  CHECK(crafted_fails(&c, QV_INVALID, "Endianness 2"));
}

/* Overwrites RecordBatch.length (slot 0 of the header table) in place. */
static bool patch_batch_length(qv_bytes *buf, int64_t length) {
  qv_error err = {0};
  qv_fb_reader r;
  qv_fb_table root, header;
  uint8_t tag;
  if (qv__fb_reader_init(&r, buf->data, buf->size, &err) != QV_OK ||
      qv__fb_reader_root(&r, &root, &err) != QV_OK ||
      qv__fb_table_union(&root, 1, &tag, &header, &err) != QV_OK || tag != 3 ||
      !qv__fb_table_has(&header, 0))
    return false;
  uint16_t vo = qv__fb_load_u16(buf->data + header.vtable + 4);
  qv__fb_store_i64(buf->data + header.pos + vo, length);
  return true;
}

QV_TEST(metadata_batch_values_are_checked) {
  qv_error err = {0};
  qv_ipc_field_node nodes[1] = {{4, 1}};
  qv_ipc_buffer_span spans[1] = {{0, 64}};
  qv_ipc_batch_header h = {.length = 4, .n_nodes = 1, .nodes = nodes, .n_buffers = 1,
                           .buffers = spans, .codec = QV_IPC_CODEC_NONE};
  struct {
    int64_t length, node_length, null_count, offset, span_length, body;
    const char *text;
  } cases[] = {
      {-1, 4, 1, 0, 64, 64, "negative record batch length"},
      {4, -4, 0, 0, 64, 64, "node 0"},
      {4, 4, -1, 0, 64, 64, "node 0"},
      {4, 4, 5, 0, 64, 64, "null count 5"},
      {4, 4, 1, -8, 64, 64, "buffer 0"},
      {4, 4, 1, 0, -64, 64, "buffer 0"},
      {4, 4, 1, INT64_MAX, 64, 64, "buffer 0"},
      {4, 4, 1, 8, 64, 64, "exceeds the 64-byte body"},
      {4, 4, 1, 0, 64, 63, "exceeds the 63-byte body"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qv_bytes out;
    qv_ipc_message msg;
    h.length = cases[i].length;
    nodes[0].length = cases[i].node_length;
    nodes[0].null_count = cases[i].null_count;
    spans[0].offset = cases[i].offset;
    spans[0].length = cases[i].span_length;
    qv_bytes_init(&out, NULL);
    /* The encoder refuses a negative batch length: patch it in afterwards. */
    if (h.length < 0) h.length = 4;
    qv_status st = qv__ipc_batch_message_encode(QV_IPC_MSG_RECORD_BATCH, &h, cases[i].body, -1,
                                                false, NULL, &out, &err);
    if (st == QV_OK && cases[i].length < 0 && !patch_batch_length(&out, cases[i].length))
      st = QV_INTERNAL;
    if (st != QV_OK) qv_bytes_reset(&out);
    CHECK_OK(st, &err);
    st = qv__ipc_message_decode(out.data, out.size, NULL, &msg, &err);
    qv_bytes_reset(&out);
    if (st == QV_OK) qv__ipc_message_reset(&msg);
    CHECK_STATUS(st, QV_INVALID);
    if (!strstr(err.message, cases[i].text)) {
      qv_test_fail(__FILE__, __LINE__, "case %zu: \"%s\" lacks \"%s\"", i, err.message,
                   cases[i].text);
      return;
    }
  }
}

/* ---- hostile bytes ---------------------------------------------------------------- */

static uint64_t rng = 0x2545F4914F6CDD1Du;
static uint64_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static uint8_t *exact_copy(const uint8_t *data, int64_t size) {
  uint8_t *p = malloc(size ? (size_t)size : 1);
  if (p && size) memcpy(p, data, (size_t)size);
  return p;
}

/* Decodes bytes as a message and as a footer; when either succeeds, encodes
 * the result again and checks that it decodes to the same thing. Returns
 * false only when that round trip breaks. */
static bool decode_any(const uint8_t *data, int64_t size, int *n_ok) {
  qv_error err = {0};
  qv_ipc_message msg;
  qv_ipc_footer footer;
  bool consistent = true;
  if (qv__ipc_message_decode(data, size, NULL, &msg, &err) == QV_OK) {
    (*n_ok)++;
    if (msg.type == QV_IPC_MSG_SCHEMA) {
      qv_bytes out;
      qv_ipc_message again;
      qv_bytes_init(&out, NULL);
      if (qv__ipc_schema_message_encode(msg.schema, msg.custom_metadata, &out, &err) != QV_OK ||
          qv__ipc_message_decode(out.data, out.size, NULL, &again, &err) != QV_OK) {
        consistent = false;
      } else {
        consistent = schemas_equal(msg.schema, again.schema) &&
                     qv_metadata_equals(msg.custom_metadata, again.custom_metadata);
        qv__ipc_message_reset(&again);
      }
      qv_bytes_reset(&out);
    }
    qv__ipc_message_reset(&msg);
  }
  if (qv__ipc_footer_decode(data, size, NULL, &footer, &err) == QV_OK) {
    (*n_ok)++;
    qv__ipc_footer_reset(&footer);
  }
  return consistent;
}

/* Valid encodings to damage: a schema message, a batch message, a footer. */
static bool sample_buffers(qv_bytes out[3]) {
  qv_error err = {0};
  qv_schema *s = all_types_schema();
  if (!s) return false;
  qv_ipc_field_node nodes[2] = {{3, 1}, {3, 0}};
  qv_ipc_buffer_span spans[3] = {{0, 8}, {8, 16}, {24, 8}};
  qv_ipc_batch_header h = {.length = 3, .n_nodes = 2, .nodes = nodes, .n_buffers = 3,
                           .buffers = spans, .codec = QV_IPC_CODEC_LZ4_FRAME};
  qv_ipc_block blocks[2] = {{8, 100, 200}, {308, 100, 16}};
  qv_ipc_footer f = {.schema = s, .n_dictionaries = 1, .dictionaries = blocks,
                     .n_record_batches = 2, .record_batches = blocks};
  for (int i = 0; i < 3; i++) qv_bytes_init(&out[i], NULL);
  bool ok = qv__ipc_schema_message_encode(s, NULL, &out[0], &err) == QV_OK &&
            qv__ipc_batch_message_encode(QV_IPC_MSG_DICTIONARY_BATCH, &h, 32, 3, true, NULL,
                                         &out[1], &err) == QV_OK &&
            qv__ipc_footer_encode(&f, &out[2], &err) == QV_OK;
  qv_schema_unref(s);
  return ok;
}

QV_TEST(metadata_truncated_at_every_length) {
  qv_bytes bufs[3];
  CHECK(sample_buffers(bufs));
  bool consistent = true;
  for (int k = 0; k < 3; k++) {
    int n_ok = 0;
    for (int64_t n = 0; n < bufs[k].size; n++) {
      uint8_t *p = exact_copy(bufs[k].data, n);
      consistent = decode_any(p, n, &n_ok) && consistent;
      free(p);
    }
    /* Only the last bytes (padding of the first object written) may go. */
    if (n_ok > 8) consistent = false;
    n_ok = 0;
    consistent = decode_any(bufs[k].data, bufs[k].size, &n_ok) && consistent && n_ok >= 1;
  }
  for (int k = 0; k < 3; k++) qv_bytes_reset(&bufs[k]);
  CHECK(consistent);
}

QV_TEST(metadata_random_byte_flips_never_crash) {
  qv_bytes bufs[3];
  CHECK(sample_buffers(bufs));
  bool consistent = true;
  int n_ok = 0, iterations = 0;
  for (int k = 0; k < 3; k++) {
    for (int iter = 0; iter < 8000; iter++, iterations++) {
      int64_t size = bufs[k].size;
      uint8_t *p = exact_copy(bufs[k].data, size);
      int flips = 1 + (int)(next_random() % 3);
      for (int j = 0; j < flips; j++) {
        uint64_t x = next_random();
        if (x % 3 == 0) p[(x >> 8) % (uint64_t)size] = (uint8_t)(x >> 56);
        else p[(x >> 8) % (uint64_t)size] ^= (uint8_t)(1u << ((x >> 40) % 8));
      }
      consistent = decode_any(p, size, &n_ok) && consistent;
      free(p);
    }
  }
  for (int k = 0; k < 3; k++) qv_bytes_reset(&bufs[k]);
  CHECK(consistent);
  CHECK(n_ok > 0 && n_ok < iterations); /* both outcomes were exercised */
}

/* Vectors of a million offsets to one Field table: decoding must stop at the
 * table cap instead of building a million fields. */
QV_TEST(metadata_shared_fields_cannot_amplify_work) {
  qv_error err = {0};
  qv_fb_builder b;
  qv_bytes out;
  qv_fb_ref name, type, field, vec, schema, root;
  enum { N = 1 << 18 };
  qv_fb_ref *refs = malloc(N * sizeof *refs);
  CHECK(refs != NULL);
  qv__fb_builder_init(&b, NULL);
  qv_bytes_init(&out, NULL);
  qv_status st = qv__fb_create_string(&b, "f", 1, &name, &err);
  if (st == QV_OK) st = qv__fb_table_start(&b, &err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &type, &err);
  if (st == QV_OK) st = qv__fb_table_start(&b, &err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 0, name, &err);
  if (st == QV_OK) st = qv__fb_add_uint8(&b, 2, 1, &err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 3, type, &err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &field, &err);
  for (int i = 0; i < N; i++) refs[i] = field;
  if (st == QV_OK) st = qv__fb_create_offset_vector(&b, refs, N, &vec, &err);
  if (st == QV_OK) st = qv__fb_table_start(&b, &err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 1, vec, &err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &schema, &err);
  if (st == QV_OK) st = qv__fb_table_start(&b, &err);
  if (st == QV_OK) st = qv__fb_add_int16(&b, 0, QV_IPC_METADATA_V5, &err);
  if (st == QV_OK) st = qv__fb_add_uint8(&b, 1, 1, &err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 2, schema, &err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &root, &err);
  if (st == QV_OK) st = qv__fb_finish(&b, root, &out, &err);
  qv__fb_builder_reset(&b);
  free(refs);
  CHECK_OK(st, &err);
  /* The buffer is about 4*N bytes, so the table cap is about N; each field
   * opens two tables (Field and its Null type), so decoding must stop about
   * half-way instead of creating N fields. */
  qv_ipc_message msg;
  st = qv__ipc_message_decode(out.data, out.size, NULL, &msg, &err);
  if (st == QV_OK) qv__ipc_message_reset(&msg);
  qv_bytes_reset(&out);
  CHECK_STATUS(st, QV_INVALID);
  CHECK(strstr(err.message, "tables") != NULL);
}

/* ---- Arrow's integration golden files ---------------------------------------------- */

static uint8_t *read_file(const char *path, int64_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *data = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) {
      data = malloc((size_t)n + 1);
      if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
      }
      *size = n;
    }
  }
  fclose(f);
  return data;
}

/* The message framed at data[pos]: continuation marker (or the pre-0.15 bare
 * length), int32 metadata length, flatbuffer. *meta_len is 0 at end of
 * stream. */
static bool frame_at(const uint8_t *data, int64_t size, int64_t pos, int64_t *meta_pos,
                     int64_t *meta_len) {
  if (pos + 4 > size) return false;
  uint32_t first = qv__fb_load_u32(data + pos);
  if (first == 0xFFFFFFFFu) {
    if (pos + 8 > size) return false;
    *meta_len = qv__fb_load_i32(data + pos + 4);
    *meta_pos = pos + 8;
  } else {
    *meta_len = (int32_t)first;
    *meta_pos = pos + 4;
  }
  return *meta_len >= 0 && *meta_pos + *meta_len <= size;
}

typedef struct golden_stats {
  int files, schemas, batches, dictionaries, compressed, footers, blocks;
} golden_stats;

/* Walks one stream: the schema message first, then batches. Returns the
 * decoded schema (a reference) through *schema. */
static bool walk_stream(const char *path, const uint8_t *data, int64_t size, int64_t start,
                        qv_schema **schema, golden_stats *stats) {
  qv_error err = {0};
  int64_t pos = start;
  int index = 0;
  *schema = NULL;
  for (;;) {
    int64_t meta_pos, meta_len;
    if (!frame_at(data, size, pos, &meta_pos, &meta_len)) {
      fprintf(stderr, "  %s: bad framing at %lld\n", path, (long long)pos);
      return false;
    }
    if (meta_len == 0) break;
    qv_ipc_message msg;
    if (qv__ipc_message_decode(data + meta_pos, meta_len, NULL, &msg, &err) != QV_OK) {
      fprintf(stderr, "  %s: message %d: %s\n", path, index, err.message);
      return false;
    }
    bool ok = index == 0 ? msg.type == QV_IPC_MSG_SCHEMA : msg.type != QV_IPC_MSG_SCHEMA;
    if (msg.type == QV_IPC_MSG_SCHEMA) {
      stats->schemas++;
      *schema = qv_schema_ref(msg.schema);
    }
    if (msg.type == QV_IPC_MSG_RECORD_BATCH) stats->batches++;
    if (msg.type == QV_IPC_MSG_DICTIONARY_BATCH) stats->dictionaries++;
    if (msg.batch.codec != QV_IPC_CODEC_NONE) stats->compressed++;
    pos = meta_pos + meta_len + msg.body_length;
    qv__ipc_message_reset(&msg);
    if (!ok || pos > size) {
      fprintf(stderr, "  %s: message %d: unexpected type or body past the end\n", path, index);
      return false;
    }
    index++;
  }
  return *schema != NULL;
}

/* An .arrow_file: "ARROW1\0\0", a stream, the footer, its int32 length,
 * "ARROW1". Checks that the footer's schema equals the stream's and that every
 * block points at a message of the right kind and body length. */
static bool walk_file(const char *path, const uint8_t *data, int64_t size, golden_stats *stats) {
  qv_error err = {0};
  qv_schema *stream_schema = NULL;
  if (size < 18 || memcmp(data, "ARROW1", 6) != 0 || memcmp(data + size - 6, "ARROW1", 6) != 0)
    return false;
  if (!walk_stream(path, data, size, 8, &stream_schema, stats)) return false;
  int64_t footer_len = qv__fb_load_i32(data + size - 10);
  bool ok = footer_len > 0 && footer_len <= size - 18;
  qv_ipc_footer footer;
  if (ok && qv__ipc_footer_decode(data + size - 10 - footer_len, footer_len, NULL, &footer,
                                  &err) != QV_OK) {
    fprintf(stderr, "  %s: footer: %s\n", path, err.message);
    ok = false;
  } else if (ok) {
    stats->footers++;
    ok = schemas_equal(stream_schema, footer.schema);
    for (int kind = 0; kind < 2 && ok; kind++) {
      int64_t n = kind ? footer.n_record_batches : footer.n_dictionaries;
      const qv_ipc_block *blocks = kind ? footer.record_batches : footer.dictionaries;
      for (int64_t i = 0; i < n && ok; i++) {
        int64_t meta_pos, meta_len;
        qv_ipc_message msg;
        stats->blocks++;
        ok = frame_at(data, size, blocks[i].offset, &meta_pos, &meta_len) &&
             meta_pos - blocks[i].offset + meta_len == blocks[i].metadata_length &&
             qv__ipc_message_decode(data + meta_pos, meta_len, NULL, &msg, &err) == QV_OK;
        if (ok) {
          ok = msg.type == (kind ? QV_IPC_MSG_RECORD_BATCH : QV_IPC_MSG_DICTIONARY_BATCH) &&
               msg.body_length == blocks[i].body_length;
          qv__ipc_message_reset(&msg);
        }
        if (!ok) fprintf(stderr, "  %s: block %d/%lld does not match\n", path, kind, (long long)i);
      }
    }
    qv__ipc_footer_reset(&footer);
  }
  qv_schema_unref(stream_schema);
  return ok;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

QV_TEST(metadata_golden_files_decode) {
  static const char *dirs[] = {"1.0.0-littleendian", "2.0.0-compression", "4.0.0-shareddict"};
  golden_stats stats = {0};
  bool ok = true;
  for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
    char dir_path[1024];
    snprintf(dir_path, sizeof dir_path, "%s/arrow-ipc/%s", QV_TESTDATA_DIR, dirs[d]);
    DIR *dir = opendir(dir_path);
    if (!dir) {
      fprintf(stderr, "  cannot open %s\n", dir_path);
      ok = false;
      continue;
    }
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
      bool is_stream = ends_with(e->d_name, ".stream");
      bool is_file = ends_with(e->d_name, ".arrow_file");
      if (!is_stream && !is_file) continue;
      char path[2048];
      snprintf(path, sizeof path, "%s/%s", dir_path, e->d_name);
      int64_t size = 0;
      uint8_t *data = read_file(path, &size);
      if (!data) {
        fprintf(stderr, "  cannot read %s\n", path);
        ok = false;
        continue;
      }
      stats.files++;
      if (is_stream) {
        qv_schema *s = NULL;
        if (!walk_stream(path, data, size, 0, &s, &stats)) ok = false;
        qv_schema_unref(s);
      } else if (!walk_file(path, data, size, &stats)) {
        ok = false;
      }
      free(data);
    }
    closedir(dir);
  }
  CHECK(ok);
  CHECK(stats.files >= 40);
  CHECK(stats.schemas >= stats.files);
  CHECK(stats.batches > 50);
  CHECK(stats.dictionaries > 0);
  CHECK(stats.compressed > 0);
  CHECK(stats.footers * 2 == stats.files);
  CHECK(stats.blocks > 0);
}

/* The golden schemas survive our encoder: decode, encode, decode again. */
QV_TEST(metadata_golden_schemas_reencode) {
  char path[1024];
  static const char *names[] = {"generated_primitive", "generated_nested", "generated_dictionary",
                                "generated_union", "generated_map", "generated_datetime",
                                "generated_decimal256", "generated_extension",
                                "generated_nested_dictionary", "generated_interval",
                                "generated_custom_metadata", "generated_recursive_nested"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(path, sizeof path, "%s/arrow-ipc/1.0.0-littleendian/%s.stream", QV_TESTDATA_DIR,
             names[i]);
    int64_t size = 0, meta_pos, meta_len;
    uint8_t *data = read_file(path, &size);
    CHECK(data != NULL);
    bool framed = frame_at(data, size, 0, &meta_pos, &meta_len);
    if (!framed) free(data);
    CHECK(framed);
    int n_ok = 0;
    bool consistent = decode_any(data + meta_pos, meta_len, &n_ok);
    free(data);
    if (!consistent || n_ok != 1) {
      qv_test_fail(__FILE__, __LINE__, "%s: schema does not re-encode identically", names[i]);
      return;
    }
  }
}
