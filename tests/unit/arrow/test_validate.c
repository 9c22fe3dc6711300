/* qv_array_validate_full and qv_record_batch_validate_full: valid arrays of
 * every type (whole and sliced) pass, and each kind of corruption an untrusted
 * producer could send fails with QV_INVALID and a message naming the array and
 * the problem. Corruptions are made by editing arrays this test owns alone. */
#include <limits.h>

#include "arrow/internal.h"
#include "sample_arrays.h"
#include "test.h"

/* Assembles an array; bufs/kids are borrowed (qv_array_create takes its own
 * references). */
static qv_array *assemble(qv_data_type *t, int64_t length, int64_t null_count, qv_buffer **bufs,
                          int nb, qv_array **kids, int nk, qv_array *dict) {
  qv_array *out = NULL;
  qv_error err = {0};
  if (qv_array_create(t, length, 0, null_count, bufs, nb, kids, nk, dict, &out, &err) != QV_OK) {
    fprintf(stderr, "assemble: %s\n", err.message);
    return NULL;
  }
  return out;
}

/* Expects validation to fail with QV_INVALID and a message containing want. */
#define CHECK_INVALID(a, want)                                                        \
  do {                                                                                \
    qv_error e_ = {0};                                                                \
    CHECK_STATUS(qv_array_validate_full((a), &e_), QV_INVALID);                       \
    if (!strstr(e_.message, (want))) {                                                \
      qv_test_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", e_.message, (want)); \
      return;                                                                         \
    }                                                                                 \
  } while (0)

#define CHECK_VALID(a)                                   \
  do {                                                   \
    qv_error e_ = {0};                                   \
    CHECK_OK(qv_array_validate_full((a), &e_), &e_);     \
  } while (0)

QV_TEST(validate_every_sample_type_passes) {
  qv_error err = {0};
  for (int i = 0; i < sample_count(); i++) {
    const char *name;
    qv_array *a;
    CHECK_OK(sample_array(i, &name, &a, &err), &err);
    qv_status st = qv_array_validate_full(a, &err);
    if (st != QV_OK) qv_test_fail(__FILE__, __LINE__, "%s: %s", name, err.message);
    int64_t n = a->length;
    qv_array *s = NULL;
    if (st == QV_OK && n >= 3) {
      CHECK_OK(qv_array_slice(a, 1, n - 2, &s, &err), &err);
      st = qv_array_validate_full(s, &err);
      if (st != QV_OK) qv_test_fail(__FILE__, __LINE__, "%s sliced: %s", name, err.message);
      qv_array_unref(s);
    }
    qv_array_unref(a);
    if (st != QV_OK) return;
  }
}

QV_TEST(validate_lengths_offsets_and_null_counts) {
  const int64_t v[] = {1, 2, 3, 4};
  const bool valid[] = {true, false, true, true};
  qv_array *a = sample_ints(qv_type_primitive(QV_INT32), v, valid, 4);
  CHECK(a);
  CHECK_VALID(a);
  a->length = -1;
  CHECK_INVALID(a, "length -1 is negative");
  a->length = 4;
  a->offset = -2;
  CHECK_INVALID(a, "offset -2 is negative");
  a->offset = INT64_MAX - 1;
  CHECK_INVALID(a, "overflows");
  a->offset = 1;
  atomic_store(&a->null_count, -1);
  CHECK_INVALID(a, "data buffer (buffer 1) has 16 bytes, needs 20");
  a->offset = 0;
  atomic_store(&a->null_count, 2);
  CHECK_INVALID(a, "null_count 2 but the validity bitmap has 1 nulls");
  atomic_store(&a->null_count, 0);
  CHECK_INVALID(a, "null_count 0 but the validity bitmap has 1 nulls");
  atomic_store(&a->null_count, 5);
  CHECK_INVALID(a, "null_count 5 is outside");
  atomic_store(&a->null_count, -1);
  CHECK_VALID(a);
  qv_buffer_set_size(a->buffers[0], 0);
  CHECK_INVALID(a, "validity buffer (buffer 0) has 0 bytes, needs 1");
  qv_buffer *validity = a->buffers[0];
  a->buffers[0] = NULL;
  atomic_store(&a->null_count, 1);
  CHECK_INVALID(a, "null_count 1 but no validity bitmap");
  a->buffers[0] = validity;
  /* A wrong buffer count (restored before the array is freed). */
  a->n_buffers = 1;
  CHECK_INVALID(a, "have 2 buffers, this one has 1");
  a->n_buffers = 2;
  qv_array_unref(a);

  qv_array *na = NULL;
  qv_error err = {0};
  CHECK_OK(qv_array_create(qv_type_primitive(QV_NA), 3, 0, 3, NULL, 0, NULL, 0, NULL, &na, &err),
           &err);
  CHECK_VALID(na);
  atomic_store(&na->null_count, 1);
  CHECK_INVALID(na, "null-type array differs from its length");
  qv_array_unref(na);
}

QV_TEST(validate_fixed_width_buffer_sizes) {
  const int64_t v[] = {1, 0, 1, 1, 0, 1, 1, 1, 1};
  qv_array *b = sample_ints(qv_type_primitive(QV_BOOL), v, NULL, 9);
  CHECK(b);
  CHECK_VALID(b);
  qv_buffer_set_size(b->buffers[1], 1);
  CHECK_INVALID(b, "data buffer (buffer 1) has 1 bytes, needs 2");
  qv_array_unref(b);

  qv_error err = {0};
  qv_data_type *dec;
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 10, 2, &dec, &err), &err);
  qv_array *d = sample_ints(dec, v, NULL, 3);
  CHECK(d);
  CHECK_VALID(d);
  dec->precision = 39; /* this test holds the only references to dec */
  CHECK_INVALID(d, "decimal128 precision 39 is outside [1, 38]");
  dec->precision = 10;
  qv_buffer_set_size(d->buffers[1], 47);
  CHECK_INVALID(d, "has 47 bytes, needs 48");
  qv_array_unref(d);
  qv_type_unref(dec);
}

/* A utf8/binary array over raw bytes and offsets. */
static qv_array *raw_binary(qv_type_id id, const char *data, int64_t data_len, const void *offsets,
                            int64_t n, const uint8_t *validity) {
  bool large = id == QV_LARGE_BINARY || id == QV_LARGE_UTF8;
  qv_buffer *bufs[3] = {validity ? sample_buffer(validity, (n + 7) / 8) : NULL,
                        sample_buffer(offsets, (n + 1) * (large ? 8 : 4)),
                        sample_buffer(data, data_len)};
  qv_array *a = assemble(qv_type_primitive(id), n, -1, bufs, 3, NULL, 0, NULL);
  for (int i = 0; i < 3; i++) qv_buffer_unref(bufs[i]);
  return a;
}

QV_TEST(validate_binary_offsets) {
  const char data[] = "abcdefgh";
  int32_t good[] = {0, 2, 2, 5, 8};
  qv_array *a = raw_binary(QV_BINARY, data, 8, good, 4, NULL);
  CHECK(a);
  CHECK_VALID(a);
  int32_t *o = (int32_t *)qv_buffer_mutable_data(a->buffers[1]);
  o[0] = -3;
  CHECK_INVALID(a, "offset 0 (=-3) is negative");
  o[0] = 0;
  o[3] = 1;
  CHECK_INVALID(a, "offset 3 (=1) is less than offset 2 (=2)");
  o[3] = 5;
  o[4] = 9;
  CHECK_INVALID(a, "offset 4 (=9) is beyond the end of the data buffer (8)");
  o[4] = 8;
  /* A slice is checked from its own first offset. */
  a->offset = 2;
  a->length = 2;
  o[1] = 7; /* outside the slice: ignored */
  CHECK_VALID(a);
  o[1] = 2;
  a->offset = 0;
  a->length = 4;
  qv_buffer_set_size(a->buffers[1], 16);
  CHECK_INVALID(a, "offsets buffer (buffer 1) has 16 bytes, needs 20");
  qv_array_unref(a);

  int64_t good64[] = {0, 4, 8};
  qv_array *l = raw_binary(QV_LARGE_BINARY, data, 8, good64, 2, NULL);
  CHECK(l);
  CHECK_VALID(l);
  int64_t *o64 = (int64_t *)qv_buffer_mutable_data(l->buffers[1]);
  o64[1] = 9;
  CHECK_INVALID(l, "offset 2 (=8) is less than offset 1 (=9)");
  o64[1] = -1;
  CHECK_INVALID(l, "offset 1 (=-1) is less than offset 0 (=0)");
  o64[0] = -1;
  CHECK_INVALID(l, "offset 0 (=-1) is negative");
  qv_array_unref(l);
}

/* Whether a one-string utf8 array over s[0..n), and its large form, pass. */
static bool utf8_accepts(const char *s, int64_t n) {
  int32_t o[2] = {0, (int32_t)n};
  int64_t o64[2] = {0, n};
  qv_array *a = raw_binary(QV_UTF8, s, n, o, 1, NULL);
  qv_array *l = raw_binary(QV_LARGE_UTF8, s, n, o64, 1, NULL);
  qv_error err = {0};
  bool ok = a && qv_array_validate_full(a, &err) == QV_OK;
  bool ok_large = l && qv_array_validate_full(l, &err) == QV_OK;
  qv_array_unref(a);
  qv_array_unref(l);
  return ok && ok_large;
}

#define ACCEPTS(lit) utf8_accepts(lit, (int64_t)sizeof(lit) - 1)

QV_TEST(validate_utf8) {
  CHECK(ACCEPTS("plain ascii"));
  CHECK(ACCEPTS("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9D\x84\x9E"));
  CHECK(ACCEPTS("\xEF\xBF\xBF\xF4\x8F\xBF\xBF")); /* U+FFFF, U+10FFFF */
  CHECK(!ACCEPTS("\x80"));                        /* stray continuation */
  CHECK(!ACCEPTS("\xC0\xAF"));                    /* overlong '/' */
  CHECK(!ACCEPTS("\xE0\x80\xAF"));                /* overlong */
  CHECK(!ACCEPTS("\xED\xA0\x80"));                /* surrogate U+D800 */
  CHECK(!ACCEPTS("\xF4\x90\x80\x80"));            /* above U+10FFFF */
  CHECK(!ACCEPTS("\xF5\x80\x80\x80"));
  CHECK(!ACCEPTS("ab\xE2\x82"));                  /* truncated at the end */
  CHECK(!ACCEPTS("\xC3" "a"));                    /* bad continuation */
  CHECK(!ACCEPTS("\xFF"));

  /* Long ASCII runs go through the 16/8-byte fast path; an error deep inside
   * is still found, at any alignment. */
  char big[1100];
  memset(big, 'x', sizeof big);
  CHECK(utf8_accepts(big, sizeof big));
  /* Runs that end exactly on a 16- or 8-byte step: nothing past the end is
   * read (a 64-byte buffer has no padding for ASan to hide an overread in). */
  CHECK(utf8_accepts(big, 64));
  CHECK(utf8_accepts(big, 16));
  CHECK(utf8_accepts(big, 8));
  for (int pos = 1000; pos < 1017; pos++) {
    big[pos] = (char)0xC3;
    CHECK(!utf8_accepts(big, sizeof big));
    big[pos + 1] = (char)0xA9;
    CHECK(utf8_accepts(big, sizeof big));
    big[pos] = big[pos + 1] = 'x';
  }

  /* Each string must be valid on its own, even when the concatenation is:
   * "\xC3" + "\xA9" splits one character across two slots. */
  const char split[] = "a\xC3\xA9z";
  int32_t o[] = {0, 2, 4};
  qv_array *a = raw_binary(QV_UTF8, split, 4, o, 2, NULL);
  CHECK(a);
  CHECK_INVALID(a, "slot 0 (bytes 0..2) is not valid UTF-8");
  /* The same bytes in a null slot are not checked. */
  uint8_t validity = 0x2;
  qv_array *b = raw_binary(QV_UTF8, split, 4, o, 2, &validity);
  CHECK(b);
  CHECK_INVALID(b, "slot 1 (bytes 2..4)");
  validity = 0x0;
  qv_array *c = raw_binary(QV_UTF8, split, 4, o, 2, &validity);
  CHECK(c);
  CHECK_VALID(c);
  qv_array_unref(a);
  qv_array_unref(b);
  qv_array_unref(c);
}

/* list<int32> over a child of child_len values with the given offsets. */
static qv_array *int_list(const int32_t *offsets, int64_t n, int child_len) {
  const int64_t v[] = {1, 2, 3, 4, 5, 6, 7, 8};
  qv_array *child = sample_ints(qv_type_primitive(QV_INT32), v, NULL, child_len);
  qv_field *item = NULL;
  qv_data_type *t = NULL;
  qv_error err = {0};
  if (!child || qv_field_create("item", child->type, true, NULL, &item, &err) != QV_OK ||
      qv_type_list(QV_LIST, item, &t, &err) != QV_OK) {
    qv_array_unref(child);
    qv_field_unref(item);
    return NULL;
  }
  qv_buffer *bufs[2] = {NULL, sample_buffer(offsets, (n + 1) * 4)};
  qv_array *a = assemble(t, n, 0, bufs, 2, &child, 1, NULL);
  qv_buffer_unref(bufs[1]);
  qv_array_unref(child);
  qv_field_unref(item);
  qv_type_unref(t);
  return a;
}

QV_TEST(validate_nested_lengths) {
  int32_t offs[] = {0, 3, 3, 8};
  qv_array *l = int_list(offs, 3, 8);
  CHECK(l);
  CHECK_VALID(l);
  ((int32_t *)qv_buffer_mutable_data(l->buffers[1]))[3] = 9;
  CHECK_INVALID(l, "offset 3 (=9) is beyond the end of the child array (8)");
  ((int32_t *)qv_buffer_mutable_data(l->buffers[1]))[3] = 8;
  /* Corruption inside the child is found through the parent, with its path. */
  qv_buffer_set_size(l->children[0]->buffers[1], 31);
  CHECK_INVALID(l, "array '[item]': data buffer (buffer 1) has 31 bytes, needs 32");
  qv_array_unref(l);

  const char *name;
  qv_array *fsl, *st;
  qv_error err = {0};
  CHECK_OK(sample_array(32, &name, &fsl, &err), &err); /* fixed_size_list<int16, 2> x 5 */
  CHECK_VALID(fsl);
  fsl->children[0]->length = 9;
  CHECK_INVALID(fsl, "child length 9 is less than (offset + length) * list_size = 10");
  fsl->children[0]->length = 10;
  qv_array_unref(fsl);

  CHECK_OK(sample_array(33, &name, &st, &err), &err); /* struct<a: int32, b: utf8> x 10 */
  CHECK_VALID(st);
  st->offset = 1;
  CHECK_INVALID(st, "child 0 ('a') has length 10, needs offset + length = 11");
  st->offset = 0;
  /* A child whose type is not the declared one. */
  qv_array *swapped = st->children[0];
  st->children[0] = st->children[1];
  CHECK_INVALID(st, "array 'a': child array has type utf8");
  st->children[0] = swapped;
  qv_array_unref(st);
}

QV_TEST(validate_map_keys_not_null) {
  const char *name;
  qv_array *m;
  qv_error err = {0};
  CHECK_OK(sample_array(34, &name, &m, &err), &err);
  CHECK_VALID(m);
  /* Give the keys a validity bitmap with a null inside a used entry. */
  qv_array *keys = m->children[0]->children[0];
  CHECK(keys->buffers[0] == NULL);
  uint8_t bits = 0x3B; /* entry 2 null */
  keys->buffers[0] = sample_buffer(&bits, 1);
  atomic_store(&keys->null_count, -1);
  CHECK_INVALID(m, "map has 1 null keys");
  qv_buffer_unref(keys->buffers[0]);
  keys->buffers[0] = NULL;
  atomic_store(&keys->null_count, 0);
  qv_array_unref(m);
}

QV_TEST(validate_unions) {
  const char *name;
  qv_array *s, *d;
  qv_error err = {0};
  CHECK_OK(sample_array(35, &name, &s, &err), &err);
  CHECK_VALID(s);
  int8_t *ids = (int8_t *)qv_buffer_mutable_data(s->buffers[0]);
  ids[3] = 6;
  CHECK_INVALID(s, "type id 6 at slot 3 is not one of the union's type codes");
  ids[3] = -1;
  CHECK_INVALID(s, "type id -1 at slot 3");
  ids[3] = 5;
  s->children[1]->length = 7;
  CHECK_INVALID(s, "sparse union child 1 has length 7, needs 8");
  s->children[1]->length = 8;
  qv_buffer_set_size(s->buffers[0], 7);
  CHECK_INVALID(s, "type ids buffer (buffer 0) has 7 bytes, needs 8");
  qv_array_unref(s);

  CHECK_OK(sample_array(36, &name, &d, &err), &err);
  CHECK_VALID(d);
  int32_t *offs = (int32_t *)qv_buffer_mutable_data(d->buffers[1]);
  offs[5] = -1;
  CHECK_INVALID(d, "dense union offset 5 (=-1) is negative");
  offs[5] = 4;
  CHECK_INVALID(d, "dense union offset 5 (=4) is beyond child 1's length 4");
  offs[5] = 2;
  qv_buffer_set_size(d->buffers[1], 28);
  CHECK_INVALID(d, "union offsets buffer (buffer 1) has 28 bytes, needs 32");
  qv_array_unref(d);
}

QV_TEST(validate_dictionary_indices) {
  const char *name;
  qv_array *a, *u;
  qv_error err = {0};
  CHECK_OK(sample_array(37, &name, &a, &err), &err); /* int32 indices, 4 values */
  CHECK_VALID(a);
  int32_t *ix = (int32_t *)qv_buffer_mutable_data(a->buffers[1]);
  ix[4] = 4;
  CHECK_INVALID(a, "dictionary index 4 at slot 4 is outside the dictionary (length 4)");
  ix[4] = -7;
  CHECK_INVALID(a, "dictionary index -7 at slot 4");
  ix[4] = 0;
  ix[2] = 1000; /* slot 2 is null: its index is never read */
  CHECK_VALID(a);
  /* Sliced past the bad slot. */
  ix[0] = 1000;
  CHECK_INVALID(a, "at slot 0");
  a->offset = 1;
  a->length = 9;
  atomic_store(&a->null_count, -1);
  CHECK_VALID(a);
  /* The dictionary itself is validated. */
  qv_buffer_set_size(a->dictionary->buffers[2], 3);
  CHECK_INVALID(a, "array '{dictionary}': offset 4 (=21) is beyond the end of the data buffer (3)");
  qv_array_unref(a);

  CHECK_OK(sample_array(38, &name, &u, &err), &err); /* uint8 indices, 3 values */
  CHECK_VALID(u);
  uint8_t *ux = qv_buffer_mutable_data(u->buffers[1]);
  ux[9] = 200;
  CHECK_INVALID(u, "dictionary index 200 at slot 9 is outside the dictionary (length 3)");
  ux[9] = 3;
  CHECK_INVALID(u, "dictionary index 3 at slot 9");
  qv_array_unref(u);
}

QV_TEST(validate_depth_is_capped) {
  int32_t offs[] = {0, 1};
  qv_array *cur = int_list(offs, 1, 1);
  CHECK(cur);
  qv_error err = {0};
  for (int depth = 1; depth < 70; depth++) {
    qv_field *item = NULL;
    qv_data_type *t = NULL;
    CHECK_OK(qv_field_create("item", cur->type, true, NULL, &item, &err), &err);
    CHECK_OK(qv_type_list(QV_LIST, item, &t, &err), &err);
    qv_buffer *bufs[2] = {NULL, sample_buffer(offs, 8)};
    qv_array *next = assemble(t, 1, 0, bufs, 2, &cur, 1, NULL);
    qv_buffer_unref(bufs[1]);
    qv_field_unref(item);
    qv_type_unref(t);
    qv_array_unref(cur);
    cur = next;
    CHECK(cur);
    if (depth == 60) CHECK_VALID(cur);
  }
  CHECK_INVALID(cur, "nested deeper than 64 levels");
  qv_array_unref(cur);
}

QV_TEST(validate_record_batch_paths) {
  /* Column "a": struct<b: list<item: int32>>, with a corrupt item buffer. */
  qv_error err = {0};
  int32_t offs[] = {0, 2, 4};
  qv_array *list = int_list(offs, 2, 4);
  CHECK(list);
  qv_field *b = NULL, *a_field = NULL;
  qv_data_type *st = NULL;
  CHECK_OK(qv_field_create("b", list->type, true, NULL, &b, &err), &err);
  CHECK_OK(qv_type_struct(&b, 1, &st, &err), &err);
  qv_buffer *nob[1] = {NULL};
  qv_array *col = assemble(st, 2, 0, nob, 1, &list, 1, NULL);
  CHECK(col);
  CHECK_OK(qv_field_create("a", st, true, NULL, &a_field, &err), &err);
  qv_schema *schema;
  CHECK_OK(qv_schema_create(&a_field, 1, NULL, &schema, &err), &err);
  qv_record_batch *batch;
  CHECK_OK(qv_record_batch_create(schema, 2, &col, 1, &batch, &err), &err);
  CHECK_OK(qv_record_batch_validate_full(batch, &err), &err);
  qv_buffer_set_size(list->children[0]->buffers[1], 12);
  CHECK_STATUS(qv_record_batch_validate_full(batch, &err), QV_INVALID);
  CHECK(strstr(err.message, "array 'a.b[item]': data buffer (buffer 1) has 12 bytes") != NULL);
  list->children[0]->buffers[1]->size = 16; /* undo: set_size only shrinks */
  ((int32_t *)qv_buffer_mutable_data(list->buffers[1]))[1] = -3;
  CHECK_STATUS(qv_record_batch_validate_full(batch, &err), QV_INVALID);
  CHECK_STR_EQ(err.message, "array 'a.b': offset 1 (=-3) is less than offset 0 (=0)");
  ((int32_t *)qv_buffer_mutable_data(list->buffers[1]))[1] = 2;
  batch->num_rows = 3;
  CHECK_STATUS(qv_record_batch_validate_full(batch, &err), QV_INVALID);
  CHECK(strstr(err.message, "column length 2 differs from the batch's 3 rows") != NULL);
  batch->num_rows = 2;
  CHECK_OK(qv_record_batch_validate_full(batch, &err), &err);
  qv_record_batch_unref(batch);
  qv_schema_unref(schema);
  qv_field_unref(a_field);
  qv_array_unref(col);
  qv_type_unref(st);
  qv_field_unref(b);
  qv_array_unref(list);
}
