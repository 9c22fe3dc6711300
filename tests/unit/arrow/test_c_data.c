/* The C Data and C Stream interfaces: export -> import round trips of every
 * type (whole, sliced, nested, dictionary), format strings and metadata bytes
 * as the specification spells them, move semantics (a struct moved by memcpy,
 * a child moved out of its parent, children released before their parent),
 * imports of hand-made producer structs (offsets, NULL buffers, unaligned
 * buffers, release exactly once when the last buffer goes, structural errors),
 * record batches, and streams (several batches, producer errors, sticky
 * failure). ASan checks that everything is freed exactly once. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "arrow/internal.h"
#include "quiver/c_data.h"
#include "sample_arrays.h"
#include "test.h"

/* Whether buffer i of a starts at p (zero-copy). */
static bool data_is(const qv_array *a, int32_t i, const void *p) {
  return qv__array_data(a, i) == (const uint8_t *)p;
}

/* Exports a's type and a, imports both back. */
static qv_status roundtrip(qv_array *a, qv_array **out, qv_error *err) {
  struct ArrowSchema cs;
  struct ArrowArray ca;
  QV_RETURN_NOT_OK(qv_type_export(a->type, &cs, err));
  qv_status st = qv_array_export(a, &ca, err);
  if (st != QV_OK) {
    cs.release(&cs);
    return st;
  }
  qv_data_type *t;
  st = qv_type_import(&cs, &t, err);
  if (st != QV_OK) {
    ca.release(&ca);
    return st;
  }
  st = qv_array_import(&ca, t, out, err);
  qv_type_unref(t);
  return st;
}

QV_TEST(c_data_roundtrip_every_type) {
  qv_error err = {0};
  for (int i = 0; i < sample_count(); i++) {
    const char *name;
    qv_array *a, *b = NULL, *s = NULL, *sb = NULL;
    CHECK_OK(sample_array(i, &name, &a, &err), &err);
    qv_status st = roundtrip(a, &b, &err);
    if (st != QV_OK) {
      qv_test_fail(__FILE__, __LINE__, "%s: %s", name, err.message);
    } else if (!qv_type_equals(a->type, b->type) || !qv_array_equals(a, b)) {
      qv_test_fail(__FILE__, __LINE__, "%s: round trip differs", name);
      st = QV_INTERNAL;
    } else if ((st = qv_array_validate_full(b, &err)) != QV_OK) {
      qv_test_fail(__FILE__, __LINE__, "%s: imported array invalid: %s", name, err.message);
    }
    /* Sliced: the offset travels through the interface. */
    if (st == QV_OK && a->length >= 3) {
      st = qv_array_slice(a, 1, a->length - 2, &s, &err);
      if (st == QV_OK) st = roundtrip(s, &sb, &err);
      if (st != QV_OK) {
        qv_test_fail(__FILE__, __LINE__, "%s sliced: %s", name, err.message);
      } else if (sb->offset != 1 || !qv_array_equals(s, sb)) {
        qv_test_fail(__FILE__, __LINE__, "%s sliced: round trip differs", name);
        st = QV_INTERNAL;
      }
    }
    qv_array_unref(a);
    qv_array_unref(b);
    qv_array_unref(s);
    qv_array_unref(sb);
    if (st != QV_OK) return;
  }
}

QV_TEST(c_data_import_is_zero_copy) {
  qv_error err = {0};
  const char *name;
  qv_array *a, *b;
  CHECK_OK(sample_array(27, &name, &a, &err), &err); /* utf8 */
  CHECK_OK(roundtrip(a, &b, &err), &err);
  for (int i = 0; i < 3; i++) CHECK(data_is(b, i, qv__array_data(a, i)));
  qv_array_unref(a);
  qv_array_unref(b);
}

/* ---- format strings and metadata ------------------------------------------ */

static const char *format_of_sample(int i, struct ArrowSchema *cs) {
  qv_error err = {0};
  const char *name;
  qv_array *a;
  if (sample_array(i, &name, &a, &err) != QV_OK) return NULL;
  qv_status st = qv_type_export(a->type, cs, &err);
  qv_array_unref(a);
  return st == QV_OK ? cs->format : NULL;
}

QV_TEST(c_data_format_strings) {
  static const struct {
    int sample;
    const char *format;
  } want[] = {{0, "n"},        {1, "b"},          {2, "c"},         {3, "s"},
              {4, "i"},        {5, "l"},          {6, "C"},         {7, "S"},
              {8, "I"},        {9, "L"},          {10, "e"},        {11, "f"},
              {12, "g"},       {13, "d:10,2"},    {14, "d:40,5,256"}, {15, "tdD"},
              {16, "tdm"},     {17, "ttm"},       {18, "ttn"},      {19, "tsu:UTC"},
              {20, "tss:"},    {21, "tDm"},       {22, "tiM"},      {23, "tiD"},
              {24, "tin"},     {25, "z"},         {26, "Z"},        {27, "u"},
              {28, "U"},       {29, "w:3"},       {30, "+l"},       {31, "+L"},
              {32, "+w:2"},    {33, "+s"},        {34, "+m"},       {35, "+us:5,7"},
              {36, "+ud:5,7"}, {37, "i"},         {38, "C"}};
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    struct ArrowSchema cs;
    const char *f = format_of_sample(want[k].sample, &cs);
    CHECK(f != NULL);
    bool same = strcmp(f, want[k].format) == 0;
    if (!same) qv_test_fail(__FILE__, __LINE__, "sample %d: '%s' != '%s'", want[k].sample, f,
                            want[k].format);
    cs.release(&cs);
    CHECK(cs.release == NULL);
    if (!same) return;
  }

  /* Details of nested nodes: map entries and flags, dictionaries, unions. */
  struct ArrowSchema m;
  CHECK(format_of_sample(34, &m));
  CHECK_EQ_INT(m.flags, ARROW_FLAG_NULLABLE | ARROW_FLAG_MAP_KEYS_SORTED);
  CHECK_EQ_INT(m.n_children, 1);
  CHECK_STR_EQ(m.children[0]->name, "entries");
  CHECK_STR_EQ(m.children[0]->format, "+s");
  CHECK_EQ_INT(m.children[0]->flags, 0);
  CHECK_STR_EQ(m.children[0]->children[0]->name, "key");
  CHECK_EQ_INT(m.children[0]->children[0]->flags, 0);
  CHECK_STR_EQ(m.children[0]->children[1]->format, "i");
  CHECK_EQ_INT(m.children[0]->children[1]->flags, ARROW_FLAG_NULLABLE);
  m.release(&m);

  struct ArrowSchema d;
  CHECK(format_of_sample(38, &d)); /* dictionary<uint8, int64, ordered> */
  CHECK(d.dictionary != NULL);
  CHECK_STR_EQ(d.dictionary->format, "l");
  CHECK_EQ_INT(d.flags, ARROW_FLAG_NULLABLE | ARROW_FLAG_DICTIONARY_ORDERED);
  CHECK_EQ_INT(d.n_children, 0);
  d.release(&d);

  struct ArrowSchema u;
  CHECK(format_of_sample(36, &u));
  CHECK_EQ_INT(u.n_children, 2);
  CHECK_STR_EQ(u.children[1]->name, "s");
  CHECK_STR_EQ(u.children[1]->format, "u");
  u.release(&u);
}

QV_TEST(c_data_schema_metadata_and_nullability) {
  qv_error err = {0};
  qv_metadata *m;
  CHECK_OK(qv_metadata_create(&m, &err), &err);
  CHECK_OK(qv_metadata_append(m, "key1", 4, "value1", 6, &err), &err);
  qv_field *f[2];
  CHECK_OK(qv_field_create("x", qv_type_primitive(QV_INT64), false, m, &f[0], &err), &err);
  CHECK_OK(qv_metadata_append(m, "bin", 3, "a\0b", 3, &err), &err);
  CHECK_OK(qv_field_create("y", qv_type_primitive(QV_UTF8), true, NULL, &f[1], &err), &err);
  qv_schema *s;
  CHECK_OK(qv_schema_create(f, 2, m, &s, &err), &err);

  struct ArrowSchema cs;
  CHECK_OK(qv_schema_export(s, &cs, &err), &err);
  CHECK_STR_EQ(cs.format, "+s");
  CHECK_EQ_INT(cs.n_children, 2);
  CHECK_EQ_INT(cs.children[0]->flags, 0);
  CHECK_EQ_INT(cs.children[1]->flags, ARROW_FLAG_NULLABLE);
  CHECK(cs.children[1]->metadata == NULL);
  /* The specification's example bytes (little-endian). */
  static const char field_md[] = "\x01\x00\x00\x00\x04\x00\x00\x00key1\x06\x00\x00\x00value1";
  CHECK(memcmp(cs.children[0]->metadata, field_md, sizeof field_md - 1) == 0);

  qv_schema *back;
  CHECK_OK(qv_schema_import(&cs, &back, &err), &err);
  CHECK(cs.release == NULL);
  CHECK(qv_schema_equals(s, back));
  int64_t len = 0;
  const char *v = qv_metadata_find(qv_schema_metadata(back), "bin", &len);
  CHECK(v && len == 3 && memcmp(v, "a\0b", 3) == 0);
  CHECK(!qv_field_nullable(qv_schema_field(back, 0)));

  /* A field on its own keeps its name. */
  struct ArrowSchema cf;
  qv_field *fb;
  CHECK_OK(qv_field_export(f[1], &cf, &err), &err);
  CHECK_STR_EQ(cf.name, "y");
  CHECK_OK(qv_field_import(&cf, &fb, &err), &err);
  CHECK(qv_field_equals(f[1], fb));

  qv_field_unref(fb);
  qv_schema_unref(back);
  qv_schema_unref(s);
  qv_field_unref(f[0]);
  qv_field_unref(f[1]);
  qv_metadata_destroy(m);
}

/* A hand-made ArrowSchema node with no children, counting its releases. */
typedef struct fake_schema {
  struct ArrowSchema s;
  struct ArrowSchema kids[2];
  struct ArrowSchema *kid_ptrs[2];
  struct ArrowSchema dict;
  int released;
} fake_schema;

static void fake_schema_release(struct ArrowSchema *s) {
  fake_schema *f = s->private_data;
  f->released++;
  s->release = NULL;
}

static void fake_schema_init(fake_schema *f, const char *format, int n_kids,
                             const char *kid_format) {
  memset(f, 0, sizeof *f);
  f->s.format = format;
  f->s.release = fake_schema_release;
  f->s.private_data = f;
  f->s.n_children = n_kids;
  for (int i = 0; i < n_kids; i++) {
    f->kids[i].format = kid_format;
    f->kid_ptrs[i] = &f->kids[i];
  }
  f->s.children = n_kids ? f->kid_ptrs : NULL;
}

static qv_status import_format(const char *format, int n_kids, const char *kid_format,
                               qv_error *err) {
  fake_schema f;
  fake_schema_init(&f, format, n_kids, kid_format);
  qv_data_type *t = NULL;
  qv_status st = qv_type_import(&f.s, &t, err);
  if (f.released != 1 || f.s.release != NULL) st = QV_INTERNAL; /* released once, either way */
  qv_type_unref(t);
  return st;
}

QV_TEST(c_data_import_rejects_bad_formats) {
  qv_error err = {0};
  static const char *const invalid[] = {"", "q", "ii", "d:", "d:10", "d:10,", "d:0,1",
                                        "d:10,2,", "w:", "w:-1", "w:3x", "t", "tdx", "tsx:",
                                        "ttq", "tD", "ti", "+", "+q", "+w:", "+s2", "+us",
                                        "+us:1,", "+ud:200", "+ud:1,,2", "+ux:1"};
  for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
    qv_status st = import_format(invalid[i], 0, NULL, &err);
    if (st != QV_INVALID)
      qv_test_fail(__FILE__, __LINE__, "format '%s': got %s", invalid[i], qv_status_name(st));
  }
  static const char *const unsupported[] = {"vu", "vz", "+vl", "+vL", "d:10,2,64", "d:5,2,32"};
  for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
    CHECK_STATUS(import_format(unsupported[i], 0, NULL, &err), QV_NOT_IMPLEMENTED);
  CHECK_STATUS(import_format("+r", 2, "i", &err), QV_NOT_IMPLEMENTED);
  /* Children counts. */
  CHECK_STATUS(import_format("+l", 0, NULL, &err), QV_INVALID);
  CHECK_STATUS(import_format("+l", 2, "i", &err), QV_INVALID);
  CHECK_STATUS(import_format("i", 1, "i", &err), QV_INVALID);
  CHECK_STATUS(import_format("+us:1,2", 1, "i", &err), QV_INVALID);
  CHECK_OK(import_format("+us:1,2", 2, "i", &err), &err);
  CHECK_OK(import_format("+ud:", 0, NULL, &err), &err);
  CHECK_OK(import_format("tsn:Europe/Paris", 0, NULL, &err), &err);
  CHECK_STATUS(import_format("+s", 2, "bogus", &err), QV_INVALID);
  CHECK(strstr(err.message, "malformed format string 'bogus'") != NULL);
  /* Map entries must be a struct of two. */
  CHECK_STATUS(import_format("+m", 1, "i", &err), QV_INVALID);
  /* A dictionary with a non-integer index type. */
  fake_schema f;
  fake_schema_init(&f, "u", 0, NULL);
  f.dict.format = "u";
  f.s.dictionary = &f.dict;
  qv_data_type *t = NULL;
  CHECK_STATUS(qv_type_import(&f.s, &t, &err), QV_INVALID);
  CHECK(t == NULL);
  CHECK_EQ_INT(f.released, 1);
  /* A released struct is refused. */
  CHECK_STATUS(qv_type_import(&f.s, &t, &err), QV_INVALID);
  /* A schema must be a struct. */
  fake_schema_init(&f, "i", 0, NULL);
  qv_schema *s = NULL;
  CHECK_STATUS(qv_schema_import(&f.s, &s, &err), QV_INVALID);
  CHECK_EQ_INT(f.released, 1);
}

QV_TEST(c_data_map_entries_forced_non_nullable) {
  /* Some producers flag map entries and keys nullable; import fixes them. */
  qv_error err = {0};
  fake_schema map, entries;
  fake_schema_init(&entries, "+s", 2, "i");
  entries.kids[0].name = "key";
  entries.kids[0].flags = ARROW_FLAG_NULLABLE;
  entries.kids[1].name = "value";
  entries.s.flags = ARROW_FLAG_NULLABLE;
  fake_schema_init(&map, "+m", 1, NULL);
  map.kid_ptrs[0] = &entries.s;
  map.s.flags = ARROW_FLAG_MAP_KEYS_SORTED;
  qv_data_type *t;
  CHECK_OK(qv_type_import(&map.s, &t, &err), &err);
  CHECK_EQ_INT(qv_type_id_of(t), QV_MAP);
  CHECK(qv_type_keys_sorted(t));
  qv_field *e = qv_type_child(t, 0);
  CHECK(!qv_field_nullable(e));
  CHECK(!qv_field_nullable(qv_type_child(qv_field_type(e), 0)));
  CHECK_EQ_INT(entries.released, 0); /* a child is the producer's to release */
  qv_type_unref(t);
}

/* ---- move semantics of exported arrays ------------------------------------ */

QV_TEST(c_data_export_moved_struct_releases_once) {
  qv_error err = {0};
  const char *name;
  qv_array *a;
  CHECK_OK(sample_array(39, &name, &a, &err), &err); /* list<struct<a, b>> */
  int64_t refs = atomic_load(&a->refcount);
  struct ArrowArray src, moved;
  CHECK_OK(qv_array_export(a, &src, &err), &err);
  CHECK_EQ_INT(atomic_load(&a->refcount), refs + 1);
  memcpy(&moved, &src, sizeof moved);
  src.release = NULL;
  memset(&src, 0xAB, offsetof(struct ArrowArray, release)); /* the old copy is garbage now */
  qv_array_unref(a); /* the export keeps the array alive on its own */
  CHECK_EQ_INT(moved.length, 6);
  CHECK_EQ_INT(moved.n_children, 1);
  CHECK_EQ_INT(moved.children[0]->n_children, 2);
  CHECK_EQ_INT(moved.children[0]->children[1]->n_buffers, 3);
  moved.release(&moved);
  CHECK(moved.release == NULL);
}

QV_TEST(c_data_export_child_moved_out_of_parent) {
  qv_error err = {0};
  const char *name;
  qv_array *a;
  CHECK_OK(sample_array(33, &name, &a, &err), &err); /* struct<a: int32, b: utf8> */
  qv_array *b_col = qv_array_ref(a->children[1]);
  struct ArrowArray parent, child;
  CHECK_OK(qv_array_export(a, &parent, &err), &err);
  qv_array_unref(a);
  /* Keep column b, drop everything else (the specification's use case). */
  memcpy(&child, parent.children[1], sizeof child);
  parent.children[1]->release = NULL;
  parent.release(&parent);
  qv_array *imported;
  CHECK_OK(qv_array_import(&child, b_col->type, &imported, &err), &err);
  CHECK(qv_array_equals(imported, b_col));
  qv_array_unref(imported);
  qv_array_unref(b_col);
}

QV_TEST(c_data_export_children_released_before_parent) {
  qv_error err = {0};
  const char *name;
  qv_array *a;
  CHECK_OK(sample_array(40, &name, &a, &err), &err); /* list<dictionary> */
  struct ArrowArray ca;
  CHECK_OK(qv_array_export(a, &ca, &err), &err);
  qv_array_unref(a);
  struct ArrowArray *dict_arr = ca.children[0];
  CHECK(dict_arr->dictionary != NULL);
  dict_arr->dictionary->release(dict_arr->dictionary);
  dict_arr->release(dict_arr);
  CHECK(dict_arr->release == NULL);
  ca.release(&ca);
  CHECK(ca.release == NULL);
}

/* ---- imports of hand-made producer structs ------------------------------ */

/* An int32 producer array over caller memory, counting its releases. */
typedef struct fake_array {
  struct ArrowArray a;
  const void *bufs[3];
  const void *kid_bufs[2];
  struct ArrowArray kid;
  struct ArrowArray *kid_ptr;
  int released;
  int kid_released;
} fake_array;

static void fake_release(struct ArrowArray *a) {
  fake_array *f = a->private_data;
  f->released++;
  a->release = NULL;
}

static void fake_kid_release(struct ArrowArray *a) {
  fake_array *f = a->private_data;
  f->kid_released++;
  a->release = NULL;
}

static void fake_init(fake_array *f, int64_t length, int64_t offset, int64_t null_count,
                      const void *b0, const void *b1, const void *b2, int64_t n_buffers) {
  memset(f, 0, sizeof *f);
  f->bufs[0] = b0;
  f->bufs[1] = b1;
  f->bufs[2] = b2;
  f->a.length = length;
  f->a.offset = offset;
  f->a.null_count = null_count;
  f->a.n_buffers = n_buffers;
  f->a.buffers = f->bufs;
  f->a.release = fake_release;
  f->a.private_data = f;
}

QV_TEST(c_data_import_releases_once_after_last_buffer) {
  qv_error err = {0};
  static const int32_t values[] = {10, 20, 30, 40, 50};
  static const uint8_t validity = 0x1B; /* slot 2 null */
  fake_array f;
  fake_init(&f, 4, 1, -1, &validity, values, NULL, 2);
  qv_array *a;
  CHECK_OK(qv_array_import(&f.a, qv_type_primitive(QV_INT32), &a, &err), &err);
  CHECK(f.a.release == NULL); /* moved */
  CHECK_EQ_INT(f.released, 0);
  CHECK_EQ_INT(a->offset, 1);
  CHECK_EQ_INT(qv_array_null_count(a), 1); /* slot 2 of the physical bitmap */
  CHECK(!qv_array_is_valid(a, 1));
  CHECK(data_is(a, 1, values));
  CHECK_OK(qv_array_validate_full(a, &err), &err);
  qv_array *s;
  CHECK_OK(qv_array_slice(a, 2, 2, &s, &err), &err);
  qv_array_unref(a);
  CHECK_EQ_INT(f.released, 0);
  CHECK_EQ_INT(((const int32_t *)qv__array_data(s, 1))[s->offset], 40);
  qv_buffer *keep = qv_buffer_ref(s->buffers[1]);
  qv_array_unref(s);
  CHECK_EQ_INT(f.released, 0);
  qv_buffer_unref(keep);
  CHECK_EQ_INT(f.released, 1);
}

QV_TEST(c_data_import_null_and_unaligned_buffers) {
  qv_error err = {0};
  /* An empty utf8 array may come with no buffers at all. */
  fake_array f;
  fake_init(&f, 0, 0, 0, NULL, NULL, NULL, 3);
  qv_array *a;
  CHECK_OK(qv_array_import(&f.a, qv_type_primitive(QV_UTF8), &a, &err), &err);
  CHECK_OK(qv_array_validate_full(a, &err), &err);
  CHECK_EQ_INT(a->length, 0);
  qv_array_unref(a);
  CHECK_EQ_INT(f.released, 1);

  /* int64 values at an odd address are copied, so they can be read typed. */
  _Alignas(8) uint8_t raw[8 * 4 + 1];
  int64_t v[4] = {1, -2, 3, 1LL << 40};
  memcpy(raw + 1, v, sizeof v);
  fake_init(&f, 4, 0, 0, NULL, raw + 1, NULL, 2);
  CHECK_OK(qv_array_import(&f.a, qv_type_primitive(QV_INT64), &a, &err), &err);
  const int64_t *got = (const int64_t *)qv__array_data(a, 1);
  CHECK((uintptr_t)got % 8 == 0);
  CHECK(got[3] == (1LL << 40) && got[1] == -2);
  CHECK_EQ_INT(f.released, 1); /* nothing refers to the producer's memory any more */
  qv_array_unref(a);

  /* A NULL data buffer where bytes are needed is an error; a NULL bitmap with
   * nulls too. Either way the producer is released once. */
  fake_init(&f, 3, 0, 0, NULL, NULL, NULL, 2);
  CHECK_STATUS(qv_array_import(&f.a, qv_type_primitive(QV_INT32), &a, &err), QV_INVALID);
  CHECK(a == NULL);
  CHECK_EQ_INT(f.released, 1);
  fake_init(&f, 3, 0, 2, NULL, v, NULL, 2);
  CHECK_STATUS(qv_array_import(&f.a, qv_type_primitive(QV_INT64), &a, &err), QV_INVALID);
  CHECK(strstr(err.message, "null_count 2 but no validity bitmap") != NULL);
  CHECK_EQ_INT(f.released, 1);
}

QV_TEST(c_data_import_structural_errors) {
  qv_error err = {0};
  static const int32_t values[] = {1, 2, 3};
  fake_array f;
  qv_array *a = NULL;
  fake_init(&f, 3, 0, 0, NULL, values, NULL, 3);
  CHECK_STATUS(qv_array_import(&f.a, qv_type_primitive(QV_INT32), &a, &err), QV_INVALID);
  CHECK(strstr(err.message, "3 buffers where the type needs 2") != NULL);
  CHECK_EQ_INT(f.released, 1);
  fake_init(&f, -1, 0, 0, NULL, values, NULL, 2);
  CHECK_STATUS(qv_array_import(&f.a, qv_type_primitive(QV_INT32), &a, &err), QV_INVALID);
  fake_init(&f, 3, 0, 4, NULL, values, NULL, 2);
  CHECK_STATUS(qv_array_import(&f.a, qv_type_primitive(QV_INT32), &a, &err), QV_INVALID);
  fake_init(&f, 3, 0, 0, NULL, values, NULL, 2);
  f.a.n_children = 1;
  CHECK_STATUS(qv_array_import(&f.a, qv_type_primitive(QV_INT32), &a, &err), QV_INVALID);
  CHECK(strstr(err.message, "1 children where the type needs 0") != NULL);
  /* A released array is refused (and not released again). */
  CHECK_STATUS(qv_array_import(&f.a, qv_type_primitive(QV_INT32), &a, &err), QV_INVALID);
  CHECK_EQ_INT(f.released, 1);

  /* A list whose child fails: the child's release is never ours to call. */
  qv_field *item;
  qv_data_type *lt;
  CHECK_OK(qv_field_create("item", qv_type_primitive(QV_INT32), true, NULL, &item, &err), &err);
  CHECK_OK(qv_type_list(QV_LIST, item, &lt, &err), &err);
  static const int32_t offsets[] = {0, 1, 3};
  fake_init(&f, 2, 0, 0, NULL, offsets, NULL, 2);
  f.kid.length = 3;
  f.kid.n_buffers = 5; /* wrong */
  f.kid.buffers = f.bufs;
  f.kid.release = fake_kid_release;
  f.kid.private_data = &f;
  f.kid_ptr = &f.kid;
  f.a.n_children = 1;
  f.a.children = &f.kid_ptr;
  CHECK_STATUS(qv_array_import(&f.a, lt, &a, &err), QV_INVALID);
  CHECK(strstr(err.message, "child 'item'") != NULL);
  CHECK_EQ_INT(f.released, 1);
  CHECK_EQ_INT(f.kid_released, 0);
  /* Fixed, it imports; the producer's child is still never released by us. */
  fake_init(&f, 2, 0, 0, NULL, offsets, NULL, 2);
  f.kid.length = 3;
  f.kid.n_buffers = 2;
  f.kid_bufs[1] = values; /* {no validity, values} */
  f.kid.buffers = f.kid_bufs;
  f.kid.release = fake_kid_release;
  f.kid.private_data = &f;
  f.kid_ptr = &f.kid;
  f.a.n_children = 1;
  f.a.children = &f.kid_ptr;
  CHECK_OK(qv_array_import(&f.a, lt, &a, &err), &err);
  CHECK_EQ_INT(a->children[0]->length, 3);
  CHECK_OK(qv_array_validate_full(a, &err), &err);
  qv_array_unref(a);
  CHECK_EQ_INT(f.released, 1);
  CHECK_EQ_INT(f.kid_released, 0);
  qv_type_unref(lt);
  qv_field_unref(item);
}

/* ---- record batches --------------------------------------------------------- */

static qv_record_batch *sample_batch(int64_t rows_from, qv_error *err) {
  const char *name;
  qv_array *st = NULL, *cols[3] = {NULL, NULL, NULL};
  qv_record_batch *b = NULL;
  qv_schema *schema = NULL;
  qv_field *f[3] = {NULL, NULL, NULL};
  int samples[3] = {27, 33, 37}; /* utf8, struct, dictionary: 10 rows each */
  bool ok = true;
  for (int i = 0; i < 3 && ok; i++) {
    ok = sample_array(samples[i], &name, &st, err) == QV_OK;
    if (ok) ok = qv_array_slice(st, rows_from, 10 - rows_from, &cols[i], err) == QV_OK;
    if (ok) ok = qv_field_create(name, st->type, true, NULL, &f[i], err) == QV_OK;
    qv_array_unref(st);
  }
  if (ok) ok = qv_schema_create(f, 3, NULL, &schema, err) == QV_OK;
  if (ok && qv_record_batch_create(schema, 10 - rows_from, cols, 3, &b, err) != QV_OK) b = NULL;
  for (int i = 0; i < 3; i++) {
    qv_array_unref(cols[i]);
    qv_field_unref(f[i]);
  }
  qv_schema_unref(schema);
  return b;
}

QV_TEST(c_data_record_batch_roundtrip) {
  qv_error err = {0};
  qv_record_batch *b = sample_batch(0, &err);
  CHECK(b);
  struct ArrowArray ca;
  struct ArrowSchema cs;
  CHECK_OK(qv_record_batch_export(b, &ca, &cs, &err), &err);
  CHECK_STR_EQ(cs.format, "+s");
  CHECK_EQ_INT(ca.n_children, 3);
  CHECK_EQ_INT(ca.length, 10);
  qv_schema *schema;
  CHECK_OK(qv_schema_import(&cs, &schema, &err), &err);
  CHECK(qv_schema_equals(schema, b->schema));
  qv_record_batch *back;
  CHECK_OK(qv_record_batch_import(&ca, schema, &back, &err), &err);
  CHECK(qv_record_batch_equals(b, back));
  CHECK_OK(qv_record_batch_validate_full(back, &err), &err);
  qv_record_batch_unref(back);
  qv_schema_unref(schema);
  qv_record_batch_unref(b);
}

QV_TEST(c_data_record_batch_from_sliced_struct) {
  /* A struct array with an offset: the offset applies to every column. */
  qv_error err = {0};
  qv_record_batch *full = sample_batch(0, &err), *tail = sample_batch(3, &err);
  CHECK(full && tail);
  qv_data_type *st;
  CHECK_OK(qv_type_struct(full->schema->fields, 3, &st, &err), &err);
  qv_buffer *nob[1] = {NULL};
  qv_array *sa, *sliced;
  CHECK_OK(qv_array_create(st, 10, 0, 0, nob, 1, full->columns, 3, NULL, &sa, &err), &err);
  CHECK_OK(qv_array_slice(sa, 3, 7, &sliced, &err), &err);
  struct ArrowArray ca;
  CHECK_OK(qv_array_export(sliced, &ca, &err), &err);
  CHECK_EQ_INT(ca.offset, 3);
  qv_record_batch *got;
  CHECK_OK(qv_record_batch_import(&ca, full->schema, &got, &err), &err);
  CHECK_EQ_INT(got->num_rows, 7);
  CHECK(qv_record_batch_equals(got, tail));
  qv_record_batch_unref(got);

  /* Top-level nulls cannot become a record batch. */
  uint8_t bits[2] = {0xFF, 0x01};
  qv_buffer *validity = sample_buffer(bits, 2);
  qv_array *with_nulls;
  CHECK_OK(qv_array_create(st, 10, 0, -1, &validity, 1, full->columns, 3, NULL, &with_nulls, &err),
           &err);
  CHECK_OK(qv_array_export(with_nulls, &ca, &err), &err);
  CHECK_STATUS(qv_record_batch_import(&ca, full->schema, &got, &err), QV_INVALID);
  CHECK(strstr(err.message, "1 top-level nulls") != NULL);
  CHECK(ca.release == NULL);
  qv_array_unref(with_nulls);
  qv_buffer_unref(validity);
  qv_array_unref(sliced);
  qv_array_unref(sa);
  qv_type_unref(st);
  qv_record_batch_unref(full);
  qv_record_batch_unref(tail);
}

/* ---- streams -------------------------------------------------------------- */

QV_TEST(c_stream_roundtrip_of_several_batches) {
  qv_error err = {0};
  qv_record_batch *b[3] = {sample_batch(0, &err), sample_batch(4, &err), sample_batch(9, &err)};
  CHECK(b[0] && b[1] && b[2]);
  struct ArrowArrayStream cs;
  CHECK_OK(qv_array_stream_export_batches(b[0]->schema, b, 3, &cs, &err), &err);
  /* The exported stream holds its own references. */
  qv_schema *schema = qv_schema_ref(b[0]->schema);
  for (int i = 0; i < 3; i++) qv_record_batch_unref(b[i]);
  /* get_schema may be called any number of times. */
  struct ArrowSchema extra;
  CHECK_EQ_INT(cs.get_schema(&cs, &extra), 0);
  extra.release(&extra);
  qv_array_stream_reader *r;
  CHECK_OK(qv_array_stream_import(&cs, &r, &err), &err);
  CHECK(cs.release == NULL);
  CHECK(qv_schema_equals(qv_array_stream_reader_schema(r), schema));
  int64_t rows[3] = {10, 6, 1};
  qv_record_batch *expect[3] = {sample_batch(0, &err), sample_batch(4, &err),
                                sample_batch(9, &err)};
  for (int i = 0; i < 3; i++) {
    qv_record_batch *got;
    CHECK_OK(qv_array_stream_reader_next(r, &got, &err), &err);
    CHECK(got != NULL);
    CHECK_EQ_INT(got->num_rows, rows[i]);
    CHECK(qv_record_batch_equals(got, expect[i]));
    qv_record_batch_unref(got);
    qv_record_batch_unref(expect[i]);
  }
  for (int i = 0; i < 2; i++) {
    qv_record_batch *end = (qv_record_batch *)&err;
    CHECK_OK(qv_array_stream_reader_next(r, &end, &err), &err);
    CHECK(end == NULL);
  }
  qv_array_stream_reader_destroy(r);
  qv_schema_unref(schema);
}

/* An iterator yielding `good` batches, then failing (or ending). */
typedef struct flaky {
  qv_record_batch *batch;
  int good, calls, destroyed;
  qv_status fail_with;
} flaky;

static qv_status flaky_next(void *state, qv_record_batch **out, qv_error *err) {
  flaky *f = state;
  f->calls++;
  *out = NULL;
  if (f->calls <= f->good) {
    *out = qv_record_batch_ref(f->batch);
    return QV_OK;
  }
  if (f->fail_with == QV_OK) return QV_OK;
  return qv_error_set(err, f->fail_with, "disk on fire after %d batches", f->good);
}

static void flaky_destroy(void *state) { ((flaky *)state)->destroyed++; }

QV_TEST(c_stream_producer_error_reaches_consumer) {
  qv_error err = {0};
  flaky f = {sample_batch(2, &err), 2, 0, 0, QV_IO};
  CHECK(f.batch);
  qv_batch_iterator it = {flaky_next, flaky_destroy, &f};
  struct ArrowArrayStream cs;
  CHECK_OK(qv_array_stream_export(f.batch->schema, &it, &cs, &err), &err);
  qv_array_stream_reader *r;
  CHECK_OK(qv_array_stream_import(&cs, &r, &err), &err);
  for (int i = 0; i < 2; i++) {
    qv_record_batch *got;
    CHECK_OK(qv_array_stream_reader_next(r, &got, &err), &err);
    CHECK(qv_record_batch_equals(got, f.batch));
    qv_record_batch_unref(got);
  }
  qv_record_batch *got = NULL;
  CHECK_STATUS(qv_array_stream_reader_next(r, &got, &err), QV_IO);
  CHECK(got == NULL);
  CHECK(strstr(err.message, "disk on fire after 2 batches") != NULL);
  CHECK(strstr(err.message, "get_next") != NULL);
  /* Sticky: the failed producer is not asked again. */
  qv_error err2 = {0};
  CHECK_STATUS(qv_array_stream_reader_next(r, &got, &err2), QV_IO);
  CHECK(strstr(err2.message, "disk on fire") != NULL);
  CHECK_EQ_INT(f.calls, 3);
  CHECK_EQ_INT(f.destroyed, 0);
  qv_array_stream_reader_destroy(r);
  CHECK_EQ_INT(f.destroyed, 1);
  qv_record_batch_unref(f.batch);
}

QV_TEST(c_stream_errno_codes_and_schema_mismatch) {
  qv_error err = {0};
  static const struct {
    qv_status st;
    int code;
  } map[] = {{QV_INVALID, EINVAL}, {QV_NOMEM, ENOMEM}, {QV_NOT_IMPLEMENTED, ENOSYS},
             {QV_CANCELLED, ECANCELED}, {QV_INTERNAL, EIO}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    flaky f = {sample_batch(0, &err), 0, 0, 0, map[i].st};
    CHECK(f.batch);
    qv_batch_iterator it = {flaky_next, flaky_destroy, &f};
    struct ArrowArrayStream cs;
    CHECK_OK(qv_array_stream_export(f.batch->schema, &it, &cs, &err), &err);
    struct ArrowArray out;
    CHECK_EQ_INT(cs.get_next(&cs, &out), map[i].code);
    CHECK(out.release == NULL);
    CHECK(strstr(cs.get_last_error(&cs), "disk on fire") != NULL);
    CHECK_EQ_INT(cs.get_next(&cs, &out), map[i].code); /* sticky */
    CHECK_EQ_INT(f.calls, 1);
    cs.release(&cs);
    CHECK_EQ_INT(f.destroyed, 1);
    qv_record_batch_unref(f.batch);
  }

  /* A batch that does not match the stream's schema ends it with EINVAL. */
  qv_record_batch *b = sample_batch(0, &err);
  CHECK(b);
  qv_field *other;
  qv_schema *other_schema;
  CHECK_OK(qv_field_create("x", qv_type_primitive(QV_INT8), true, NULL, &other, &err), &err);
  CHECK_OK(qv_schema_create(&other, 1, NULL, &other_schema, &err), &err);
  struct ArrowArrayStream cs;
  CHECK_OK(qv_array_stream_export_batches(other_schema, &b, 1, &cs, &err), &err);
  struct ArrowArray out;
  CHECK_EQ_INT(cs.get_next(&cs, &out), EINVAL);
  CHECK(strstr(cs.get_last_error(&cs), "batch has 3 columns, the schema 1 fields") != NULL);
  cs.release(&cs);
  qv_schema_unref(other_schema);
  qv_field_unref(other);
  qv_record_batch_unref(b);
}

/* A hand-made stream whose get_schema fails. */
static int broken_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) { return ENOMEM; }
static int broken_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) { return EIO; }
static const char *broken_last_error(struct ArrowArrayStream *s) { return "no schema for you"; }
static void broken_release(struct ArrowArrayStream *s) {
  (*(int *)s->private_data)++;
  s->release = NULL;
}

QV_TEST(c_stream_import_of_failing_producer) {
  qv_error err = {0};
  int released = 0;
  struct ArrowArrayStream s = {broken_get_schema, broken_get_next, broken_last_error,
                               broken_release, &released};
  qv_array_stream_reader *r = (qv_array_stream_reader *)&err;
  CHECK_STATUS(qv_array_stream_import(&s, &r, &err), QV_NOMEM);
  CHECK(r == NULL);
  CHECK(strstr(err.message, "get_schema failed") != NULL);
  CHECK(strstr(err.message, "no schema for you") != NULL);
  CHECK_EQ_INT(released, 1);
  CHECK(s.release == NULL);
}
