/* Types, fields, schemas, arrays, builders, slicing and equality. */
#include "quiver/array.h"
#include "test.h"

static qv_array *build_int32(const int32_t *v, const bool *valid, int n) {
  qv_array_builder b;
  qv_error err = {0};
  qv_array *out = NULL;
  if (qv_array_builder_init(&b, NULL, qv_type_primitive(QV_INT32), &err)) return NULL;
  for (int i = 0; i < n; i++) {
    qv_status st = valid && !valid[i] ? qv_array_builder_append_null(&b, &err)
                                      : qv_array_builder_append_int(&b, v[i], &err);
    if (st) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  }
  if (qv_array_builder_finish(&b, &out, &err)) return NULL;
  return out;
}

static qv_array *build_utf8(const char *const *v, int n) {
  qv_array_builder b;
  qv_error err = {0};
  qv_array *out = NULL;
  if (qv_array_builder_init(&b, NULL, qv_type_primitive(QV_UTF8), &err)) return NULL;
  for (int i = 0; i < n; i++) {
    qv_status st = v[i] ? qv_array_builder_append_binary(&b, v[i], (int64_t)strlen(v[i]), &err)
                        : qv_array_builder_append_null(&b, &err);
    if (st) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  }
  if (qv_array_builder_finish(&b, &out, &err)) return NULL;
  return out;
}

QV_TEST(type_strings_and_equality) {
  qv_error err = {0};
  char buf[256];
  qv_data_type *d, *d2, *ts, *lst;
  qv_field *item;
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 15, 2, &d, &err), &err);
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 15, 3, &d2, &err), &err);
  CHECK_STR_EQ(qv_type_to_string(d, buf, sizeof buf), "decimal128(15, 2)");
  CHECK(!qv_type_equals(d, d2));
  CHECK_OK(qv_type_timestamp(QV_MICRO, "UTC", &ts, &err), &err);
  CHECK_STR_EQ(qv_type_to_string(ts, buf, sizeof buf), "timestamp[us, UTC]");
  CHECK_OK(qv_field_create("item", d, true, NULL, &item, &err), &err);
  CHECK_OK(qv_type_list(QV_LIST, item, &lst, &err), &err);
  CHECK_STR_EQ(qv_type_to_string(lst, buf, sizeof buf), "list<item: decimal128(15, 2)>");
  qv_data_type *bad = NULL;
  CHECK_STATUS(qv_type_decimal(QV_DECIMAL128, 39, 0, &bad, &err), QV_INVALID);
  CHECK_STATUS(qv_type_time(QV_TIME32, QV_NANO, &bad, &err), QV_INVALID);
  CHECK(bad == NULL);
  qv_field_unref(item);
  qv_type_unref(lst);
  qv_type_unref(ts);
  qv_type_unref(d);
  qv_type_unref(d2);
}

QV_TEST(schema_metadata_and_lookup) {
  qv_error err = {0};
  qv_metadata *m;
  CHECK_OK(qv_metadata_create(&m, &err), &err);
  CHECK_OK(qv_metadata_append(m, "k", 1, "v\0w", 3, &err), &err);
  qv_field *a, *b;
  CHECK_OK(qv_field_create("a", qv_type_primitive(QV_INT64), false, m, &a, &err), &err);
  CHECK_OK(qv_field_create("b", qv_type_primitive(QV_UTF8), true, NULL, &b, &err), &err);
  qv_field *fields[] = {a, b};
  qv_schema *s;
  CHECK_OK(qv_schema_create(fields, 2, m, &s, &err), &err);
  qv_metadata_destroy(m);
  int64_t len = 0;
  CHECK(qv_metadata_find(qv_field_metadata(a), "k", &len) != NULL);
  CHECK_EQ_INT(len, 3);
  CHECK_EQ_INT(qv_schema_field_index(s, "b"), 1);
  CHECK_EQ_INT(qv_schema_field_index(s, "zz"), -1);
  CHECK(qv_schema_equals(s, s));
  qv_field_unref(a);
  qv_field_unref(b);
  qv_schema_unref(s);
}

QV_TEST(builder_int32_with_nulls) {
  int32_t v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  bool valid[] = {1, 0, 1, 1, 0, 1, 1, 1, 1, 0};
  qv_array *a = build_int32(v, valid, 10);
  CHECK(a != NULL);
  CHECK_EQ_INT(qv_array_length(a), 10);
  CHECK_EQ_INT(qv_array_null_count(a), 3);
  CHECK(!qv_array_is_valid(a, 1));
  CHECK(qv_array_is_valid(a, 2));
  CHECK_EQ_INT(((const int32_t *)qv_buffer_data(qv_array_buffer(a, 1)))[9], 0);
  qv_array *s;
  qv_error err = {0};
  CHECK_OK(qv_array_slice(a, 2, 5, &s, &err), &err);
  CHECK_EQ_INT(qv_array_null_count(s), 1);
  qv_array *direct = build_int32(v + 2, valid + 2, 5);
  CHECK(qv_array_equals(s, direct));
  CHECK(!qv_array_equals(a, direct));
  qv_array *bad = NULL;
  CHECK_STATUS(qv_array_slice(a, 8, 3, &bad, &err), QV_INVALID);
  qv_array_unref(direct);
  qv_array_unref(s);
  qv_array_unref(a);
}

QV_TEST(builder_utf8_and_slice_equality) {
  const char *v[] = {"alpha", NULL, "", "gamma", "delta"};
  qv_array *a = build_utf8(v, 5);
  CHECK(a != NULL);
  CHECK_EQ_INT(qv_array_null_count(a), 1);
  qv_array *s;
  qv_error err = {0};
  CHECK_OK(qv_array_slice(a, 3, 2, &s, &err), &err);
  qv_array *direct = build_utf8(v + 3, 2);
  CHECK(qv_array_equals(s, direct));
  const char *w[] = {"gamma", "deltb"};
  qv_array *other = build_utf8(w, 2);
  CHECK(!qv_array_equals(s, other));
  qv_array_unref(other);
  qv_array_unref(direct);
  qv_array_unref(s);
  qv_array_unref(a);
}

QV_TEST(null_arrays_of_nested_types) {
  qv_error err = {0};
  qv_field *x, *y;
  CHECK_OK(qv_field_create("x", qv_type_primitive(QV_UTF8), true, NULL, &x, &err), &err);
  CHECK_OK(qv_field_create("y", qv_type_primitive(QV_INT16), true, NULL, &y, &err), &err);
  qv_field *kids[] = {x, y};
  qv_data_type *st, *un;
  CHECK_OK(qv_type_struct(kids, 2, &st, &err), &err);
  int8_t codes[] = {3, 9};
  CHECK_OK(qv_type_union(QV_DENSE_UNION, kids, codes, 2, &un, &err), &err);
  qv_array *a, *u;
  CHECK_OK(qv_array_make_nulls(qv_default_allocator(), st, 17, &a, &err), &err);
  CHECK_OK(qv_array_make_nulls(qv_default_allocator(), un, 5, &u, &err), &err);
  CHECK_EQ_INT(qv_array_null_count(a), 17);
  CHECK(!qv_array_is_valid(u, 4));
  CHECK(qv_array_equals(a, a));
  qv_array_unref(a);
  qv_array_unref(u);
  qv_type_unref(st);
  qv_type_unref(un);
  qv_field_unref(x);
  qv_field_unref(y);
}

QV_TEST(record_batch_checks_columns) {
  qv_error err = {0};
  int32_t v[] = {1, 2, 3};
  qv_array *col = build_int32(v, NULL, 3);
  qv_field *f;
  CHECK_OK(qv_field_create("n", qv_type_primitive(QV_INT32), true, NULL, &f, &err), &err);
  qv_schema *s;
  CHECK_OK(qv_schema_create(&f, 1, NULL, &s, &err), &err);
  qv_record_batch *b = NULL;
  CHECK_STATUS(qv_record_batch_create(s, 4, &col, 1, &b, &err), QV_INVALID);
  CHECK_OK(qv_record_batch_create(s, 3, &col, 1, &b, &err), &err);
  qv_record_batch *sl;
  CHECK_OK(qv_record_batch_slice(b, 1, 2, &sl, &err), &err);
  CHECK_EQ_INT(qv_record_batch_num_rows(sl), 2);
  CHECK(qv_record_batch_equals(b, b));
  CHECK(!qv_record_batch_equals(b, sl));
  qv_record_batch_unref(sl);
  qv_record_batch_unref(b);
  qv_schema_unref(s);
  qv_field_unref(f);
  qv_array_unref(col);
}

QV_TEST(bitmap_count_set_over_offsets) {
  uint8_t bits[32];
  memset(bits, 0xAA, sizeof bits);
  for (int64_t off = 0; off < 17; off++)
    for (int64_t len = 0; len < 200; len += 7) {
      int64_t want = 0;
      for (int64_t i = off; i < off + len; i++) want += qv_bit_get(bits, i);
      CHECK_EQ_INT(qv_bitmap_count_set(bits, off, len), want);
    }
}
