/* Round trips through the IPC writers and readers: every type (with nulls,
 * sliced at byte and bit offsets), in the stream and file formats, plain and
 * LZ4/ZSTD compressed; dictionaries (replacement, delta, shared between
 * fields, nested); the message-level encoder and decoder; zero-copy reads;
 * the pre-0.15 framing and a missing end-of-stream marker. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "arrow/sample_arrays.h"
#include "ipc/metadata.h"
#include "ipc_test_util.h"
#include "test.h"

static const qv_ipc_compression all_codecs[] = {
    QV_IPC_COMPRESSION_NONE, QV_IPC_COMPRESSION_LZ4_FRAME, QV_IPC_COMPRESSION_ZSTD};

/* A one-column batch; the field is nullable and named "c". */
static qv_status one_column(qv_array *a, qv_record_batch **out, qv_error *err) {
  qv_field *f = NULL;
  qv_schema *s = NULL;
  qv_status st = qv_field_create("c", qv_array_type(a), true, NULL, &f, err);
  if (st == QV_OK) st = qv_schema_create(&f, 1, NULL, &s, err);
  if (st == QV_OK) st = qv_record_batch_create(s, qv_array_length(a), &a, 1, out, err);
  qv_field_unref(f);
  qv_schema_unref(s);
  return st;
}

/* Writes the batches (stream or file, with codec) and checks they read back
 * equal. Returns false after reporting a failure. */
static bool round_trips(const char *what, qv_record_batch *const *batches, int64_t n,
                        qv_ipc_compression codec, bool as_file) {
  qv_error err;
  qv_error_init(&err);
  qv_ipc_write_options wo;
  qv_ipc_write_options_init(&wo);
  wo.compression = codec;
  qv_buffer *data = NULL;
  batch_list back;
  qv_schema *schema = qv_record_batch_schema(batches[0]);
  qv_status st = as_file ? write_file(schema, batches, n, &wo, &data, &err)
                         : write_stream(schema, batches, n, &wo, &data, &err);
  if (st == QV_OK)
    st = as_file ? read_file(data, NULL, &back, &err) : read_stream(data, NULL, &back, &err);
  qv_buffer_unref(data);
  if (st != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s (codec %d, %s): %s", what, (int)codec,
                 as_file ? "file" : "stream", err.message);
    return false;
  }
  bool ok = back.count == n;
  for (int64_t i = 0; ok && i < n; i++) ok = qv_record_batch_equals(batches[i], back.items[i]);
  batch_list_reset(&back);
  if (!ok)
    qv_test_fail(__FILE__, __LINE__, "%s (codec %d, %s): read back different batches", what,
                 (int)codec, as_file ? "file" : "stream");
  return ok;
}

static bool round_trips_everywhere(const char *what, qv_record_batch *const *batches, int64_t n) {
  bool ok = true;
  for (int c = 0; c < 3; c++)
    for (int f = 0; f < 2; f++) ok &= round_trips(what, batches, n, all_codecs[c], f);
  return ok;
}

/* Longer arrays than the samples, so that bit offsets and 64-bit words are
 * exercised: ints, strings and booleans with a null every 7th slot. */
static qv_array *long_array(qv_type_id id, int64_t n) {
  qv_array_builder b;
  qv_error err;
  qv_array *out = NULL;
  if (qv_array_builder_init(&b, NULL, qv_type_primitive(id), &err) != QV_OK) return NULL;
  for (int64_t i = 0; i < n; i++) {
    char s[32];
    qv_status st;
    if (i % 7 == 3) st = qv_array_builder_append_null(&b, &err);
    else if (id == QV_BOOL) st = qv_array_builder_append_bool(&b, (i * 2654435761u) & 4, &err);
    else if (id == QV_UTF8 || id == QV_LARGE_BINARY)
      st = qv_array_builder_append_binary(&b, s, snprintf(s, sizeof s, "v%lld", (long long)i),
                                          &err);
    else st = qv_array_builder_append_int(&b, i * 31 - 500, &err);
    if (st != QV_OK) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  }
  if (qv_array_builder_finish(&b, &out, &err) != QV_OK) return NULL;
  return out;
}

QV_TEST(ipc_roundtrip_every_type_whole_and_sliced) {
  for (int i = 0; i < sample_count(); i++) {
    qv_error err;
    qv_error_init(&err);
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(i, &name, &a, &err), &err);
    int64_t len = qv_array_length(a);
    /* whole, from a bit offset, from a byte offset, an empty slice */
    int64_t slices[][2] = {{0, len}, {1, len - 1}, {3, len > 5 ? len - 5 : 0}, {len, 0}};
    for (int s = 0; s < 4; s++) {
      if (slices[s][1] < 0) continue;
      qv_array *sl = NULL;
      qv_record_batch *batch = NULL;
      CHECK_OK(qv_array_slice(a, slices[s][0], slices[s][1], &sl, &err), &err);
      CHECK_OK(one_column(sl, &batch, &err), &err);
      char what[128];
      snprintf(what, sizeof what, "%s [%lld, +%lld)", name, (long long)slices[s][0],
               (long long)slices[s][1]);
      round_trips_everywhere(what, &batch, 1);
      qv_record_batch_unref(batch);
      qv_array_unref(sl);
    }
    qv_array_unref(a);
  }
}

QV_TEST(ipc_roundtrip_long_arrays_at_bit_offsets) {
  static const qv_type_id ids[] = {QV_BOOL, QV_INT32, QV_INT64, QV_UTF8, QV_LARGE_BINARY};
  for (int t = 0; t < 5; t++) {
    qv_array *a = long_array(ids[t], 1000);
    CHECK(a);
    static const int64_t offsets[] = {0, 1, 7, 8, 13, 64, 999};
    for (int o = 0; o < 7; o++) {
      qv_error err;
      qv_array *sl = NULL;
      qv_record_batch *batch = NULL;
      CHECK_OK(qv_array_slice(a, offsets[o], 1000 - offsets[o] - (o % 2), &sl, &err), &err);
      CHECK_OK(one_column(sl, &batch, &err), &err);
      char what[64];
      snprintf(what, sizeof what, "type %d offset %lld", (int)ids[t], (long long)offsets[o]);
      round_trips_everywhere(what, &batch, 1);
      qv_record_batch_unref(batch);
      qv_array_unref(sl);
    }
    qv_array_unref(a);
  }
}

/* All the samples as the columns of one batch (each cut to 3 rows), several
 * batches in one stream. */
QV_TEST(ipc_roundtrip_all_types_in_one_batch) {
  qv_error err;
  qv_error_init(&err);
  int n = sample_count();
  qv_array **cols = calloc((size_t)n, sizeof *cols);
  qv_field **fields = calloc((size_t)n, sizeof *fields);
  CHECK(cols && fields);
  for (int i = 0; i < n; i++) {
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(i, &name, &a, &err), &err);
    CHECK_OK(qv_array_slice(a, 1, 3, &cols[i], &err), &err);
    qv_array_unref(a);
    CHECK_OK(qv_field_create(name, qv_array_type(cols[i]), true, NULL, &fields[i], &err), &err);
  }
  qv_schema *schema = NULL;
  qv_record_batch *batches[3] = {NULL, NULL, NULL};
  CHECK_OK(qv_schema_create(fields, n, NULL, &schema, &err), &err);
  CHECK_OK(qv_record_batch_create(schema, 3, cols, n, &batches[0], &err), &err);
  CHECK_OK(qv_record_batch_slice(batches[0], 1, 2, &batches[1], &err), &err);
  CHECK_OK(qv_record_batch_slice(batches[0], 0, 0, &batches[2], &err), &err);
  round_trips_everywhere("all types", batches, 3);
  for (int i = 0; i < 3; i++) qv_record_batch_unref(batches[i]);
  for (int i = 0; i < n; i++) {
    qv_array_unref(cols[i]);
    qv_field_unref(fields[i]);
  }
  qv_schema_unref(schema);
  free(cols);
  free(fields);
}

/* ---- dictionaries -------------------------------------------------------------- */

static qv_array *strings(const char *const *v, int n) {
  return sample_strings(qv_type_primitive(QV_UTF8), v, n);
}

/* A dictionary<int32, utf8> array with the given indices over dict. */
static qv_array *dict_array(qv_array *dict, const int64_t *idx, int n) {
  qv_error err;
  qv_data_type *t = NULL;
  qv_array *out = NULL;
  qv_array *ix = sample_ints(qv_type_primitive(QV_INT32), idx, NULL, n);
  if (!ix || qv_type_dictionary(qv_type_primitive(QV_INT32), qv_array_type(dict), false, &t,
                                &err) != QV_OK) {
    qv_array_unref(ix);
    return NULL;
  }
  qv_buffer *bufs[2] = {NULL, qv_array_buffer(ix, 1)};
  if (qv_array_create(t, n, 0, 0, bufs, 2, NULL, 0, dict, &out, &err) != QV_OK) out = NULL;
  qv_array_unref(ix);
  qv_type_unref(t);
  return out;
}

/* A schema of n dictionary<int32, utf8> fields; ids[i] < 0 leaves it unset. */
static qv_schema *dict_schema(int n, const int64_t *ids) {
  qv_error err;
  qv_data_type *t = NULL;
  qv_field *f[4] = {NULL, NULL, NULL, NULL};
  qv_schema *s = NULL;
  if (qv_type_dictionary(qv_type_primitive(QV_INT32), qv_type_primitive(QV_UTF8), false, &t,
                         &err) != QV_OK)
    return NULL;
  for (int i = 0; i < n; i++) {
    char name[3] = {'d', (char)('0' + i), 0};
    if (qv_field_create(name, t, true, NULL, &f[i], &err) != QV_OK) break;
    if (ids && ids[i] >= 0) qv_field_set_dictionary_id(f[i], ids[i]);
  }
  if (qv_schema_create(f, n, NULL, &s, &err) != QV_OK) s = NULL;
  for (int i = 0; i < n; i++) qv_field_unref(f[i]);
  qv_type_unref(t);
  return s;
}

/* Counts the dictionary payloads an encoder emits and how many are deltas. */
static void count_dictionary_messages(const qv_ipc_payload_list *l, int *full, int *delta) {
  *full = *delta = 0;
  for (int64_t i = 0; i < l->count; i++) {
    if (l->items[i].kind != QV_IPC_MESSAGE_DICTIONARY_BATCH) continue;
    qv_ipc_message msg;
    qv_error err;
    memset(&msg, 0, sizeof msg);
    if (qv__ipc_message_decode(l->items[i].metadata.data, l->items[i].metadata.size,
                               qv_default_allocator(), &msg, &err) != QV_OK)
      continue;
    if (msg.is_delta) ++*delta;
    else ++*full;
    qv__ipc_message_reset(&msg);
  }
}

QV_TEST(ipc_dictionary_replacement_and_delta) {
  qv_error err;
  qv_error_init(&err);
  const char *v1[] = {"a", "b"}, *v2[] = {"a", "b", "c", "d"}, *v3[] = {"x", "y", "z"};
  qv_array *d1 = strings(v1, 2), *d2 = strings(v2, 4), *d3 = strings(v3, 3);
  qv_array *d1_again = strings(v1, 2); /* same values, another object */
  int64_t i1[] = {0, 1, 1}, i2[] = {3, 2, 0, 1}, i3[] = {2, 2, 0};
  qv_array *cols[4] = {dict_array(d1, i1, 3), dict_array(d2, i2, 4), dict_array(d3, i3, 3),
                       dict_array(d1_again, i1, 3)};
  qv_schema *schema = dict_schema(1, NULL);
  CHECK(d1 && d2 && d3 && cols[0] && cols[1] && cols[2] && cols[3] && schema);
  qv_record_batch *b[4];
  int64_t rows[4] = {3, 4, 3, 3};
  for (int i = 0; i < 4; i++) CHECK_OK(qv_record_batch_create(schema, rows[i], &cols[i], 1, &b[i], &err), &err);

  /* Stream: full, delta, replacement, replacement. */
  qv_ipc_encoder *enc = NULL;
  CHECK_OK(qv_ipc_encoder_create(schema, NULL, &enc, &err), &err);
  int expect_full[4] = {1, 0, 1, 1}, expect_delta[4] = {0, 1, 0, 0};
  for (int i = 0; i < 4; i++) {
    qv_ipc_payload_list l;
    qv_ipc_payload_list_init(&l, NULL);
    CHECK_OK(qv_ipc_encoder_encode_batch(enc, b[i], &l, &err), &err);
    int full, delta;
    count_dictionary_messages(&l, &full, &delta);
    CHECK_EQ_INT(full, expect_full[i]);
    CHECK_EQ_INT(delta, expect_delta[i]);
    CHECK_EQ_INT(l.items[l.count - 1].kind, QV_IPC_MESSAGE_RECORD_BATCH);
    qv_ipc_payload_list_reset(&l);
  }
  qv_ipc_encoder_destroy(enc);
  /* Deltas switched off: the grown dictionary is sent whole. */
  qv_ipc_write_options wo;
  qv_ipc_write_options_init(&wo);
  wo.dictionary_deltas = false;
  CHECK_OK(qv_ipc_encoder_create(schema, &wo, &enc, &err), &err);
  for (int i = 0; i < 2; i++) {
    qv_ipc_payload_list l;
    qv_ipc_payload_list_init(&l, NULL);
    CHECK_OK(qv_ipc_encoder_encode_batch(enc, b[i], &l, &err), &err);
    int full, delta;
    count_dictionary_messages(&l, &full, &delta);
    CHECK_EQ_INT(full, 1);
    CHECK_EQ_INT(delta, 0);
    qv_ipc_payload_list_reset(&l);
  }
  qv_ipc_encoder_destroy(enc);

  for (int c = 0; c < 3; c++) {
    round_trips("dictionary stream", b, 4, all_codecs[c], false);
    /* Files allow the delta but not the replacement. */
    round_trips("dictionary file", b, 2, all_codecs[c], true);
  }
  qv_buffer *out = NULL;
  CHECK_STATUS(write_file(schema, b, 3, NULL, &out, &err), QV_INVALID);
  CHECK(strstr(err.message, "cannot replace") != NULL);
  CHECK(out == NULL);

  for (int i = 0; i < 4; i++) {
    qv_record_batch_unref(b[i]);
    qv_array_unref(cols[i]);
  }
  qv_array_unref(d1);
  qv_array_unref(d2);
  qv_array_unref(d3);
  qv_array_unref(d1_again);
  qv_schema_unref(schema);
}

QV_TEST(ipc_dictionary_shared_between_fields) {
  qv_error err;
  qv_error_init(&err);
  const char *v[] = {"p", "q", "r"};
  qv_array *d = strings(v, 3);
  int64_t ia[] = {0, 1, 2, 2}, ib[] = {2, 2, 1, 0};
  qv_array *cols[2] = {dict_array(d, ia, 4), dict_array(d, ib, 4)};
  int64_t ids[2] = {7, 7};
  qv_schema *schema = dict_schema(2, ids);
  CHECK(d && cols[0] && cols[1] && schema);
  qv_record_batch *b = NULL;
  CHECK_OK(qv_record_batch_create(schema, 4, cols, 2, &b, &err), &err);

  qv_ipc_encoder *enc = NULL;
  qv_ipc_payload_list l;
  qv_ipc_payload_list_init(&l, NULL);
  CHECK_OK(qv_ipc_encoder_create(schema, NULL, &enc, &err), &err);
  CHECK_OK(qv_ipc_encoder_encode_batch(enc, b, &l, &err), &err);
  int full, delta;
  count_dictionary_messages(&l, &full, &delta);
  CHECK_EQ_INT(full, 1); /* one dictionary for both fields */
  CHECK_EQ_INT(l.count, 2);
  qv_ipc_payload_list_reset(&l);
  qv_ipc_encoder_destroy(enc);

  for (int f = 0; f < 2; f++) {
    qv_buffer *data = NULL;
    batch_list back;
    CHECK_OK(f ? write_file(schema, &b, 1, NULL, &data, &err)
               : write_stream(schema, &b, 1, NULL, &data, &err),
             &err);
    CHECK_OK(f ? read_file(data, NULL, &back, &err) : read_stream(data, NULL, &back, &err), &err);
    qv_buffer_unref(data);
    CHECK_EQ_INT(back.count, 1);
    CHECK(qv_record_batch_equals(b, back.items[0]));
    /* Both columns point at the one decoded dictionary. */
    CHECK(qv_array_dictionary(qv_record_batch_column(back.items[0], 0)) ==
          qv_array_dictionary(qv_record_batch_column(back.items[0], 1)));
    CHECK_EQ_INT(qv_field_dictionary_id(qv_schema_field(back.schema, 1)), 7);
    batch_list_reset(&back);
  }

  /* Fields sharing an id but carrying different dictionaries: refused. */
  const char *w[] = {"other"};
  qv_array *d2 = strings(w, 1);
  int64_t iz[] = {0, 0, 0, 0};
  qv_array *cols2[2] = {cols[0], dict_array(d2, iz, 4)};
  qv_record_batch *bad = NULL;
  CHECK_OK(qv_record_batch_create(schema, 4, cols2, 2, &bad, &err), &err);
  CHECK_OK(qv_ipc_encoder_create(schema, NULL, &enc, &err), &err);
  qv_ipc_payload_list_init(&l, NULL);
  CHECK_STATUS(qv_ipc_encoder_encode_batch(enc, bad, &l, &err), QV_INVALID);
  CHECK_EQ_INT(l.count, 0);
  /* The failed call left no trace: the good batch still sends its dictionary. */
  CHECK_OK(qv_ipc_encoder_encode_batch(enc, b, &l, &err), &err);
  CHECK_EQ_INT(l.count, 2);
  qv_ipc_payload_list_reset(&l);
  qv_ipc_encoder_destroy(enc);

  qv_record_batch_unref(bad);
  qv_array_unref(cols2[1]);
  qv_array_unref(d2);
  qv_record_batch_unref(b);
  qv_array_unref(cols[0]);
  qv_array_unref(cols[1]);
  qv_array_unref(d);
  qv_schema_unref(schema);
}

/* A dictionary whose values are a struct holding a dictionary-encoded field:
 * the inner dictionary must be written before the outer one, and both read
 * back. */
QV_TEST(ipc_dictionary_nested_in_dictionary) {
  qv_error err;
  qv_error_init(&err);
  const char *iv[] = {"in0", "in1"};
  qv_array *inner_dict = strings(iv, 2);
  int64_t ii[] = {1, 0, 1};
  qv_array *inner = dict_array(inner_dict, ii, 3);
  CHECK(inner_dict && inner);
  qv_field *inner_field = NULL, *fields[1];
  CHECK_OK(qv_field_create("tag", qv_array_type(inner), true, NULL, &inner_field, &err), &err);
  fields[0] = inner_field;
  qv_data_type *st = NULL, *outer_t = NULL;
  CHECK_OK(qv_type_struct(fields, 1, &st, &err), &err);
  qv_array *values = NULL;
  qv_buffer *nob[1] = {NULL};
  CHECK_OK(qv_array_create(st, 3, 0, 0, nob, 1, &inner, 1, NULL, &values, &err), &err);
  CHECK_OK(qv_type_dictionary(qv_type_primitive(QV_INT16), st, false, &outer_t, &err), &err);
  int64_t oi[] = {2, 0, 1, 1, 2};
  bool ov[] = {true, true, false, true, true};
  qv_array *ix = sample_ints(qv_type_primitive(QV_INT16), oi, ov, 5);
  CHECK(ix);
  qv_buffer *bufs[2] = {qv_array_buffer(ix, 0), qv_array_buffer(ix, 1)};
  qv_array *outer = NULL;
  CHECK_OK(qv_array_create(outer_t, 5, 0, -1, bufs, 2, NULL, 0, values, &outer, &err), &err);
  qv_record_batch *b = NULL;
  CHECK_OK(one_column(outer, &b, &err), &err);
  qv_ipc_encoder *enc = NULL;
  qv_ipc_payload_list l;
  qv_ipc_payload_list_init(&l, NULL);
  CHECK_OK(qv_ipc_encoder_create(qv_record_batch_schema(b), NULL, &enc, &err), &err);
  CHECK_OK(qv_ipc_encoder_encode_batch(enc, b, &l, &err), &err);
  CHECK_EQ_INT(l.count, 3); /* inner dictionary, outer dictionary, batch */
  qv_ipc_payload_list_reset(&l);
  qv_ipc_encoder_destroy(enc);
  round_trips_everywhere("nested dictionary", &b, 1);

  qv_record_batch_unref(b);
  qv_array_unref(outer);
  qv_array_unref(ix);
  qv_array_unref(values);
  qv_type_unref(outer_t);
  qv_type_unref(st);
  qv_field_unref(inner_field);
  qv_array_unref(inner);
  qv_array_unref(inner_dict);
}

/* A stream whose dictionary grows by deltas over several batches decodes each
 * batch against the dictionary known at that point. */
QV_TEST(ipc_dictionary_deltas_accumulate) {
  qv_error err;
  qv_error_init(&err);
  const char *all[] = {"a", "b", "c", "d", "e", "f"};
  qv_schema *schema = dict_schema(1, NULL);
  qv_record_batch *b[5];
  qv_array *dicts[5], *cols[5];
  for (int i = 0; i < 5; i++) {
    dicts[i] = strings(all, 2 + i);
    int64_t idx[] = {1 + i, 0, i};
    cols[i] = dict_array(dicts[i], idx, 3);
    CHECK(cols[i]);
    CHECK_OK(qv_record_batch_create(schema, 3, &cols[i], 1, &b[i], &err), &err);
  }
  for (int c = 0; c < 3; c++)
    for (int f = 0; f < 2; f++) round_trips("growing dictionary", b, 5, all_codecs[c], f);
  for (int i = 0; i < 5; i++) {
    qv_record_batch_unref(b[i]);
    qv_array_unref(cols[i]);
    qv_array_unref(dicts[i]);
  }
  qv_schema_unref(schema);
}

/* ---- message level, zero copy, framing variants --------------------------------- */

/* Concatenates a payload's body parts into one buffer (as a Flight receiver
 * gets data_body). */
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

QV_TEST(ipc_encoder_decoder_messages) {
  qv_error err;
  qv_error_init(&err);
  const char *name;
  qv_array *a = NULL;
  CHECK_OK(sample_array(40, &name, &a, &err), &err); /* list<dictionary> */
  qv_record_batch *b = NULL;
  CHECK_OK(one_column(a, &b, &err), &err);
  for (int c = 0; c < 3; c++) {
    qv_ipc_write_options wo;
    qv_ipc_write_options_init(&wo);
    wo.compression = all_codecs[c];
    qv_ipc_encoder *enc = NULL;
    qv_ipc_decoder *dec = NULL;
    qv_ipc_payload_list l;
    qv_ipc_payload_list_init(&l, NULL);
    CHECK_OK(qv_ipc_encoder_create(qv_record_batch_schema(b), &wo, &enc, &err), &err);
    CHECK_OK(qv_ipc_encoder_encode_schema(enc, &l, &err), &err);
    CHECK_OK(qv_ipc_encoder_encode_batch(enc, b, &l, &err), &err);
    CHECK_OK(qv_ipc_encoder_encode_batch(enc, b, &l, &err), &err);
    /* schema, dictionary, batch, batch (the dictionary is unchanged) */
    CHECK_EQ_INT(l.count, 4);
    CHECK_EQ_INT(l.items[0].kind, QV_IPC_MESSAGE_SCHEMA);
    CHECK_EQ_INT(l.items[0].body_length, 0);
    CHECK_EQ_INT(l.items[1].kind, QV_IPC_MESSAGE_DICTIONARY_BATCH);
    CHECK_OK(qv_ipc_decoder_create(NULL, &dec, &err), &err);
    CHECK(qv_ipc_decoder_schema(dec) == NULL);
    int batches = 0;
    for (int64_t i = 0; i < l.count; i++) {
      const qv_ipc_payload *p = &l.items[i];
      CHECK_EQ_INT(p->body_length % 8, 0);
      qv_buffer *body = p->body_length ? gather_body(p) : NULL;
      qv_record_batch *got = NULL;
      qv_status st = qv_ipc_decoder_decode(dec, p->metadata.data, p->metadata.size, body, &got,
                                           &err);
      qv_buffer_unref(body); /* the decoder keeps what it needs */
      CHECK_OK(st, &err);
      if (p->kind == QV_IPC_MESSAGE_RECORD_BATCH) {
        CHECK(got && qv_record_batch_equals(b, got));
        batches++;
      } else {
        CHECK(got == NULL);
      }
      qv_record_batch_unref(got);
    }
    CHECK_EQ_INT(batches, 2);
    CHECK(qv_ipc_decoder_schema(dec) != NULL);
    /* A second Schema message is an error. */
    qv_record_batch *got = NULL;
    CHECK_STATUS(qv_ipc_decoder_decode(dec, l.items[0].metadata.data, l.items[0].metadata.size,
                                       NULL, &got, &err),
                 QV_INVALID);
    qv_ipc_decoder_destroy(dec);
    qv_ipc_payload_list_reset(&l);
    qv_ipc_encoder_destroy(enc);
  }
  qv_record_batch_unref(b);
  qv_array_unref(a);
}

static bool inside(const qv_buffer *outer, const qv_buffer *inner) {
  const uint8_t *o = qv_buffer_data(outer), *p = qv_buffer_data(inner);
  return p >= o && p + qv_buffer_size(inner) <= o + qv_buffer_size(outer);
}

static bool all_buffers_inside(const qv_buffer *data, const qv_array *a) {
  for (int32_t i = 0; i < qv_array_num_buffers(a); i++) {
    qv_buffer *b = qv_array_buffer(a, i);
    if (b && qv_buffer_size(b) > 0 && !inside(data, b)) return false;
  }
  for (int32_t i = 0; i < qv_array_num_children(a); i++)
    if (!all_buffers_inside(data, qv_array_child(a, i))) return false;
  if (qv_array_dictionary(a) && !all_buffers_inside(data, qv_array_dictionary(a))) return false;
  return true;
}

QV_TEST(ipc_uncompressed_read_is_zero_copy) {
  qv_error err;
  qv_error_init(&err);
  int n = sample_count();
  for (int i = 0; i < n; i++) {
    const char *name;
    qv_array *a = NULL;
    qv_record_batch *b = NULL;
    CHECK_OK(sample_array(i, &name, &a, &err), &err);
    CHECK_OK(one_column(a, &b, &err), &err);
    for (int f = 0; f < 2; f++) {
      qv_buffer *data = NULL;
      batch_list back;
      CHECK_OK(f ? write_file(qv_record_batch_schema(b), &b, 1, NULL, &data, &err)
                 : write_stream(qv_record_batch_schema(b), &b, 1, NULL, &data, &err),
               &err);
      CHECK_OK(f ? read_file(data, NULL, &back, &err) : read_stream(data, NULL, &back, &err),
               &err);
      CHECK_EQ_INT(back.count, 1);
      if (!all_buffers_inside(data, qv_record_batch_column(back.items[0], 0)))
        qv_test_fail(__FILE__, __LINE__, "%s: a buffer was copied", name);
      batch_list_reset(&back);
      qv_buffer_unref(data);
    }
    qv_record_batch_unref(b);
    qv_array_unref(a);
  }
}

/* Writes a stream of three batches of the long int and string arrays. */
static qv_status three_batches(qv_record_batch **b, qv_buffer **stream, qv_error *err) {
  qv_array *cols[2] = {long_array(QV_INT64, 300), long_array(QV_UTF8, 300)};
  qv_field *f[2] = {NULL, NULL};
  qv_schema *s = NULL;
  qv_status st = cols[0] && cols[1] ? QV_OK : qv_error_set(err, QV_INTERNAL, "test arrays");
  if (st == QV_OK) st = qv_field_create("i", qv_array_type(cols[0]), true, NULL, &f[0], err);
  if (st == QV_OK) st = qv_field_create("s", qv_array_type(cols[1]), true, NULL, &f[1], err);
  if (st == QV_OK) st = qv_schema_create(f, 2, NULL, &s, err);
  qv_record_batch *whole = NULL;
  if (st == QV_OK) st = qv_record_batch_create(s, 300, cols, 2, &whole, err);
  for (int i = 0; i < 3 && st == QV_OK; i++) st = qv_record_batch_slice(whole, i * 100, 100, &b[i], err);
  if (st == QV_OK) st = write_stream(s, b, 3, NULL, stream, err);
  qv_record_batch_unref(whole);
  qv_schema_unref(s);
  for (int i = 0; i < 2; i++) {
    qv_field_unref(f[i]);
    qv_array_unref(cols[i]);
  }
  return st;
}

QV_TEST(ipc_stream_legacy_framing_and_missing_eos) {
  qv_error err;
  qv_error_init(&err);
  qv_record_batch *b[3] = {NULL, NULL, NULL};
  qv_buffer *stream = NULL;
  CHECK_OK(three_batches(b, &stream, &err), &err);
  const uint8_t *p = qv_buffer_data(stream);
  int64_t size = qv_buffer_size(stream);

  /* Without the end-of-stream marker. */
  qv_buffer *cut = NULL;
  batch_list back;
  CHECK_OK(qv_buffer_slice(stream, 0, size - 8, &cut, &err), &err);
  CHECK_OK(read_stream(cut, NULL, &back, &err), &err);
  CHECK_EQ_INT(back.count, 3);
  for (int i = 0; i < 3; i++) CHECK(qv_record_batch_equals(b[i], back.items[i]));
  batch_list_reset(&back);
  qv_buffer_unref(cut);

  /* Pre-0.15 framing: drop every continuation marker. Bodies then sit at 4
   * mod 8, so the reader must copy them to aligned memory. */
  qv_bytes legacy;
  qv_bytes_init(&legacy, NULL);
  int64_t pos = 0;
  int messages = 0;
  while (pos < size) {
    uint32_t cont, len;
    memcpy(&cont, p + pos, 4);
    memcpy(&len, p + pos + 4, 4);
    CHECK(cont == 0xFFFFFFFFu);
    if (len == 0) {
      CHECK_OK(qv_bytes_append(&legacy, p + pos + 4, 4, &err), &err);
      break;
    }
    qv_ipc_message msg;
    memset(&msg, 0, sizeof msg);
    CHECK_OK(qv__ipc_message_decode(p + pos + 8, len, qv_default_allocator(), &msg, &err), &err);
    int64_t total = 8 + len + msg.body_length;
    qv__ipc_message_reset(&msg);
    CHECK_OK(qv_bytes_append(&legacy, p + pos + 4, total - 4, &err), &err);
    pos += total;
    messages++;
  }
  CHECK_EQ_INT(messages, 4);
  qv_buffer *old = NULL;
  CHECK_OK(qv_bytes_finish(&legacy, &old, &err), &err);
  CHECK_OK(read_stream(old, NULL, &back, &err), &err);
  CHECK_EQ_INT(back.count, 3);
  for (int i = 0; i < 3; i++) CHECK(qv_record_batch_equals(b[i], back.items[i]));
  batch_list_reset(&back);
  qv_buffer_unref(old);

  for (int i = 0; i < 3; i++) qv_record_batch_unref(b[i]);
  qv_buffer_unref(stream);
}

QV_TEST(ipc_compression_shrinks_compressible_data) {
  qv_error err;
  qv_error_init(&err);
  int64_t zeros[4096];
  memset(zeros, 0, sizeof zeros);
  qv_array *a = sample_ints(qv_type_primitive(QV_INT64), zeros, NULL, 4096);
  qv_record_batch *b = NULL;
  CHECK(a);
  CHECK_OK(one_column(a, &b, &err), &err);
  int64_t sizes[3];
  for (int c = 0; c < 3; c++) {
    qv_ipc_write_options wo;
    qv_ipc_write_options_init(&wo);
    wo.compression = all_codecs[c];
    qv_buffer *data = NULL;
    CHECK_OK(write_stream(qv_record_batch_schema(b), &b, 1, &wo, &data, &err), &err);
    sizes[c] = qv_buffer_size(data);
    batch_list back;
    CHECK_OK(read_stream(data, NULL, &back, &err), &err);
    CHECK(qv_record_batch_equals(b, back.items[0]));
    batch_list_reset(&back);
    qv_buffer_unref(data);
  }
  CHECK(sizes[0] > 32768);
  CHECK(sizes[1] < sizes[0] / 10);
  CHECK(sizes[2] < sizes[0] / 10);
  qv_record_batch_unref(b);
  qv_array_unref(a);
}

QV_TEST(ipc_empty_streams_and_files) {
  qv_error err;
  qv_error_init(&err);
  qv_schema *schema = dict_schema(2, NULL);
  CHECK(schema);
  for (int f = 0; f < 2; f++) {
    qv_buffer *data = NULL;
    batch_list back;
    CHECK_OK(f ? write_file(schema, NULL, 0, NULL, &data, &err)
               : write_stream(schema, NULL, 0, NULL, &data, &err),
             &err);
    CHECK_OK(f ? read_file(data, NULL, &back, &err) : read_stream(data, NULL, &back, &err), &err);
    CHECK_EQ_INT(back.count, 0);
    CHECK(qv_schema_equals(schema, back.schema));
    batch_list_reset(&back);
    qv_buffer_unref(data);
  }
  qv_schema_unref(schema);
}

QV_TEST(ipc_writer_rejects_mismatched_batches) {
  qv_error err;
  qv_error_init(&err);
  qv_schema *schema = dict_schema(1, NULL);
  qv_array *a = long_array(QV_INT32, 10);
  qv_record_batch *b = NULL;
  CHECK(schema && a);
  CHECK_OK(one_column(a, &b, &err), &err);
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  qv_ipc_stream_writer *w = NULL;
  CHECK_OK(qv_ipc_stream_writer_create(schema, NULL, qv_ipc_sink_bytes(&bytes), &w, &err), &err);
  int64_t before = bytes.size;
  CHECK_STATUS(qv_ipc_stream_writer_write(w, b, &err), QV_INVALID);
  CHECK_EQ_INT(bytes.size, before);
  CHECK_OK(qv_ipc_stream_writer_close(w, &err), &err);
  CHECK_STATUS(qv_ipc_stream_writer_write(w, b, &err), QV_INVALID);
  CHECK_STATUS(qv_ipc_stream_writer_close(w, &err), QV_INVALID);
  qv_ipc_stream_writer_destroy(w);
  qv_bytes_reset(&bytes);
  qv_record_batch_unref(b);
  qv_array_unref(a);
  qv_schema_unref(schema);
}
