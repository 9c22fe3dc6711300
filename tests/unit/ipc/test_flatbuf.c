/* Tests of the flatbuffer reader and builder: round trips of every kind of
 * field, vtable sharing, alignment, and hostile buffers (truncations, byte
 * flips, out-of-bounds vtables, huge vectors, deep nesting, shared subobjects
 * that would amplify work) which must fail cleanly, never read out of bounds. */
#include <stdlib.h>

#include "ipc/flatbuf.h"
#include "test.h"

/* The test schema:
 *   struct Point { x: long; y: int; (4 bytes padding) }
 *   table Inner { a: int; name: string; }
 *   table Root { b: bool; i8: byte; u8: ubyte; i16: short; i32: int; i64: long;
 *                s: string; pt: Point; ints: [int]; points: [Point];
 *                inners: [Inner]; strs: [string]; u: (union of Inner) ;
 *                child: Inner; }
 * Slot numbers: 0..11 as listed, the union takes 12 (type) and 13 (value),
 * child is 14. */
enum { R_B, R_I8, R_U8, R_I16, R_I32, R_I64, R_S, R_PT, R_INTS, R_POINTS, R_INNERS, R_STRS,
       R_U_TYPE, R_U, R_CHILD };

static qv_status build_inner(qv_fb_builder *b, int32_t a, const char *name, qv_fb_ref *out,
                             qv_error *err) {
  qv_fb_ref s;
  QV_RETURN_NOT_OK(qv__fb_create_string(b, name, (int64_t)strlen(name), &s, err));
  QV_RETURN_NOT_OK(qv__fb_table_start(b, err));
  QV_RETURN_NOT_OK(qv__fb_add_int32(b, 0, a, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, 1, s, err));
  return qv__fb_table_end(b, out, err);
}

static void put_point(uint8_t *p, int64_t x, int32_t y) {
  memset(p, 0, 16);
  qv__fb_store_i64(p, x);
  qv__fb_store_i32(p + 8, y);
}

/* Builds the full Root into out. */
static qv_status build_root(qv_allocator *a, qv_bytes *out, qv_error *err) {
  qv_fb_builder b;
  qv__fb_builder_init(&b, a);
  qv_fb_ref s, ints, points, inners, strs, u, child, root, inner_refs[3], str_refs[2];
  uint8_t *p;
  qv_status st = qv__fb_create_string(&b, "hello", 5, &s, err);
  if (st == QV_OK) st = qv__fb_create_vector(&b, 3, 4, 4, &p, &ints, err);
  if (st == QV_OK)
    for (int i = 0; i < 3; i++) qv__fb_store_i32(p + 4 * i, -10 * (i + 1));
  if (st == QV_OK) st = qv__fb_create_vector(&b, 2, 16, 8, &p, &points, err);
  if (st == QV_OK) {
    put_point(p, INT64_C(1) << 40, 7);
    put_point(p + 16, -3, -4);
  }
  for (int i = 0; i < 3 && st == QV_OK; i++) {
    char name[32];
    snprintf(name, sizeof name, "inner%d", i);
    st = build_inner(&b, 100 + i, name, &inner_refs[i], err);
  }
  if (st == QV_OK) st = qv__fb_create_offset_vector(&b, inner_refs, 3, &inners, err);
  if (st == QV_OK) st = qv__fb_create_string(&b, "", 0, &str_refs[0], err);
  if (st == QV_OK) st = qv__fb_create_string(&b, "with\0nul", 8, &str_refs[1], err);
  if (st == QV_OK) st = qv__fb_create_offset_vector(&b, str_refs, 2, &strs, err);
  if (st == QV_OK) st = build_inner(&b, 55, "union", &u, err);
  if (st == QV_OK) st = build_inner(&b, 66, "child", &child, err);
  if (st == QV_OK) st = qv__fb_table_start(&b, err);
  if (st == QV_OK) st = qv__fb_add_bool(&b, R_B, true, err);
  if (st == QV_OK) st = qv__fb_add_int8(&b, R_I8, -5, err);
  if (st == QV_OK) st = qv__fb_add_uint8(&b, R_U8, 250, err);
  if (st == QV_OK) st = qv__fb_add_int16(&b, R_I16, -30000, err);
  if (st == QV_OK) st = qv__fb_add_int32(&b, R_I32, -2000000000, err);
  if (st == QV_OK) st = qv__fb_add_int64(&b, R_I64, INT64_MIN + 1, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, R_S, s, err);
  uint8_t pt[16];
  put_point(pt, 123456789012345, 99);
  if (st == QV_OK) st = qv__fb_add_struct(&b, R_PT, pt, 16, 8, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, R_INTS, ints, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, R_POINTS, points, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, R_INNERS, inners, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, R_STRS, strs, err);
  if (st == QV_OK) st = qv__fb_add_uint8(&b, R_U_TYPE, 1, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, R_U, u, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, R_CHILD, child, err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &root, err);
  if (st == QV_OK) st = qv__fb_finish(&b, root, out, err);
  qv__fb_builder_reset(&b);
  return st;
}

typedef struct inner_value {
  int32_t a;
  const char *name;
  int64_t name_len;
} inner_value;

static qv_status read_inner(const qv_fb_table *t, inner_value *out, qv_error *err) {
  QV_RETURN_NOT_OK(qv__fb_table_int32(t, 0, -1, &out->a, err));
  return qv__fb_table_string(t, 1, &out->name, &out->name_len, err);
}

/* Everything the walk read, for the round-trip checks. */
typedef struct root_value {
  bool b;
  int8_t i8;
  uint8_t u8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  const char *s;
  int64_t s_len;
  int64_t pt_x;
  int32_t pt_y;
  int64_t n_ints, n_points, n_inners, n_strs;
  int32_t ints[8];
  int64_t point_x[8];
  inner_value inners[8];
  const char *strs[8];
  int64_t str_lens[8];
  uint8_t u_type;
  inner_value u, child;
  bool has_child;
} root_value;

/* Reads every field of a Root; the hostile-input tests run it on damaged
 * buffers, where it must fail or succeed but never read out of bounds. */
static qv_status walk_root(const uint8_t *data, int64_t size, root_value *v, qv_error *err) {
  qv_fb_reader r;
  qv_fb_table root, t;
  qv_fb_vector vec;
  bool present;
  const uint8_t *p;
  memset(v, 0, sizeof *v);
  QV_RETURN_NOT_OK(qv__fb_reader_init(&r, data, size, err));
  QV_RETURN_NOT_OK(qv__fb_reader_root(&r, &root, err));
  QV_RETURN_NOT_OK(qv__fb_table_bool(&root, R_B, false, &v->b, err));
  QV_RETURN_NOT_OK(qv__fb_table_int8(&root, R_I8, 0, &v->i8, err));
  QV_RETURN_NOT_OK(qv__fb_table_uint8(&root, R_U8, 0, &v->u8, err));
  QV_RETURN_NOT_OK(qv__fb_table_int16(&root, R_I16, 0, &v->i16, err));
  QV_RETURN_NOT_OK(qv__fb_table_int32(&root, R_I32, 0, &v->i32, err));
  QV_RETURN_NOT_OK(qv__fb_table_int64(&root, R_I64, 0, &v->i64, err));
  QV_RETURN_NOT_OK(qv__fb_table_string(&root, R_S, &v->s, &v->s_len, err));
  QV_RETURN_NOT_OK(qv__fb_table_struct(&root, R_PT, 16, 8, &p, err));
  if (p) {
    v->pt_x = qv__fb_load_i64(p);
    v->pt_y = qv__fb_load_i32(p + 8);
  }
  QV_RETURN_NOT_OK(qv__fb_table_vector(&root, R_INTS, 4, 4, &vec, &present, err));
  for (int64_t i = 0; present && i < vec.length; i++) {
    QV_RETURN_NOT_OK(qv__fb_vector_at(&vec, i, &p, err));
    if (i < 8) v->ints[i] = qv__fb_load_i32(p);
    v->n_ints++;
  }
  QV_RETURN_NOT_OK(qv__fb_table_vector(&root, R_POINTS, 16, 8, &vec, &present, err));
  for (int64_t i = 0; present && i < vec.length; i++) {
    QV_RETURN_NOT_OK(qv__fb_vector_at(&vec, i, &p, err));
    if (i < 8) v->point_x[i] = qv__fb_load_i64(p);
    v->n_points++;
  }
  QV_RETURN_NOT_OK(qv__fb_table_vector(&root, R_INNERS, 4, 4, &vec, &present, err));
  for (int64_t i = 0; present && i < vec.length; i++) {
    inner_value iv;
    QV_RETURN_NOT_OK(qv__fb_vector_table(&vec, i, &t, err));
    QV_RETURN_NOT_OK(read_inner(&t, &iv, err));
    if (i < 8) v->inners[i] = iv;
    v->n_inners++;
  }
  QV_RETURN_NOT_OK(qv__fb_table_vector(&root, R_STRS, 4, 4, &vec, &present, err));
  for (int64_t i = 0; present && i < vec.length; i++) {
    const char *s;
    int64_t len;
    QV_RETURN_NOT_OK(qv__fb_vector_string(&vec, i, &s, &len, err));
    if (i < 8) {
      v->strs[i] = s;
      v->str_lens[i] = len;
    }
    v->n_strs++;
  }
  QV_RETURN_NOT_OK(qv__fb_table_union(&root, R_U_TYPE, &v->u_type, &t, err));
  if (v->u_type == 1) QV_RETURN_NOT_OK(read_inner(&t, &v->u, err));
  QV_RETURN_NOT_OK(qv__fb_table_table(&root, R_CHILD, &t, &v->has_child, err));
  if (v->has_child) QV_RETURN_NOT_OK(read_inner(&t, &v->child, err));
  return QV_OK;
}

QV_TEST(flatbuf_round_trip_every_field_kind) {
  qv_error err = {0};
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  CHECK_OK(build_root(NULL, &out, &err), &err);
  CHECK(out.size % 8 == 0); /* padded to the largest alignment */
  root_value v;
  qv_status st = walk_root(out.data, out.size, &v, &err);
  if (st != QV_OK) qv_bytes_reset(&out);
  CHECK_OK(st, &err);
  CHECK(v.b);
  CHECK_EQ_INT(v.i8, -5);
  CHECK_EQ_INT(v.u8, 250);
  CHECK_EQ_INT(v.i16, -30000);
  CHECK_EQ_INT(v.i32, -2000000000);
  CHECK(v.i64 == INT64_MIN + 1);
  CHECK_EQ_INT(v.s_len, 5);
  CHECK(memcmp(v.s, "hello", 6) == 0);
  CHECK_EQ_INT(v.pt_x, 123456789012345);
  CHECK_EQ_INT(v.pt_y, 99);
  CHECK_EQ_INT(v.n_ints, 3);
  CHECK_EQ_INT(v.ints[0], -10);
  CHECK_EQ_INT(v.ints[2], -30);
  CHECK_EQ_INT(v.n_points, 2);
  CHECK_EQ_INT(v.point_x[0], INT64_C(1) << 40);
  CHECK_EQ_INT(v.point_x[1], -3);
  CHECK_EQ_INT(v.n_inners, 3);
  for (int i = 0; i < 3; i++) {
    char name[32];
    snprintf(name, sizeof name, "inner%d", i);
    CHECK_EQ_INT(v.inners[i].a, 100 + i);
    CHECK_STR_EQ(v.inners[i].name, name);
  }
  CHECK_EQ_INT(v.n_strs, 2);
  CHECK_EQ_INT(v.str_lens[0], 0);
  CHECK_EQ_INT(v.str_lens[1], 8);
  CHECK(memcmp(v.strs[1], "with\0nul", 9) == 0);
  CHECK_EQ_INT(v.u_type, 1);
  CHECK_EQ_INT(v.u.a, 55);
  CHECK_STR_EQ(v.u.name, "union");
  CHECK(v.has_child);
  CHECK_EQ_INT(v.child.a, 66);
  CHECK_STR_EQ(v.child.name, "child");
  qv_bytes_reset(&out);
}

QV_TEST(flatbuf_absent_fields_give_defaults) {
  qv_error err = {0};
  qv_fb_builder b;
  qv_bytes out;
  qv_fb_ref root;
  qv__fb_builder_init(&b, NULL);
  qv_bytes_init(&out, NULL);
  CHECK_OK(qv__fb_table_start(&b, &err), &err);
  CHECK_OK(qv__fb_add_int32(&b, 2, 42, &err), &err);
  CHECK_OK(qv__fb_table_end(&b, &root, &err), &err);
  CHECK_OK(qv__fb_finish(&b, root, &out, &err), &err);
  qv__fb_builder_reset(&b);

  qv_fb_reader r;
  qv_fb_table t, sub;
  qv_fb_vector vec;
  bool present = true;
  int32_t x;
  int64_t y, len;
  const char *s;
  const uint8_t *p;
  uint8_t tag;
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK(!qv__fb_table_has(&t, 0));
  CHECK(qv__fb_table_has(&t, 2));
  CHECK(!qv__fb_table_has(&t, 50)); /* beyond the vtable */
  CHECK_OK(qv__fb_table_int32(&t, 2, 0, &x, &err), &err);
  CHECK_EQ_INT(x, 42);
  CHECK_OK(qv__fb_table_int32(&t, 1, 7, &x, &err), &err);
  CHECK_EQ_INT(x, 7);
  CHECK_OK(qv__fb_table_int64(&t, 9, -9, &y, &err), &err);
  CHECK_EQ_INT(y, -9);
  CHECK_OK(qv__fb_table_string(&t, 3, &s, &len, &err), &err);
  CHECK(s == NULL && len == 0);
  CHECK_OK(qv__fb_table_struct(&t, 3, 16, 8, &p, &err), &err);
  CHECK(p == NULL);
  CHECK_OK(qv__fb_table_vector(&t, 4, 4, 4, &vec, &present, &err), &err);
  CHECK(!present);
  present = true;
  CHECK_OK(qv__fb_table_table(&t, 5, &sub, &present, &err), &err);
  CHECK(!present);
  CHECK_OK(qv__fb_table_union(&t, 6, &tag, &sub, &err), &err);
  CHECK_EQ_INT(tag, 0);
  /* Reading the int32 field as a wider type runs past the table. */
  CHECK_STATUS(qv__fb_table_int64(&t, 2, 0, &y, &err), QV_INVALID);
  qv_bytes_reset(&out);
}

QV_TEST(flatbuf_vtables_are_shared) {
  qv_error err = {0};
  qv_fb_builder b;
  qv_bytes out;
  qv_fb_ref refs[3], vec, root;
  qv__fb_builder_init(&b, NULL);
  qv_bytes_init(&out, NULL);
  for (int i = 0; i < 3; i++) {
    CHECK_OK(qv__fb_table_start(&b, &err), &err);
    CHECK_OK(qv__fb_add_int32(&b, 0, i, &err), &err);
    CHECK_OK(qv__fb_table_end(&b, &refs[i], &err), &err);
  }
  CHECK_OK(qv__fb_create_offset_vector(&b, refs, 3, &vec, &err), &err);
  CHECK_OK(qv__fb_table_start(&b, &err), &err);
  CHECK_OK(qv__fb_add_offset(&b, 0, vec, &err), &err);
  CHECK_OK(qv__fb_table_end(&b, &root, &err), &err);
  CHECK_OK(qv__fb_finish(&b, root, &out, &err), &err);
  qv__fb_builder_reset(&b);

  qv_fb_reader r;
  qv_fb_table t, e[3];
  qv_fb_vector v;
  bool present;
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK_OK(qv__fb_table_vector(&t, 0, 4, 4, &v, &present, &err), &err);
  CHECK(present && v.length == 3);
  for (int i = 0; i < 3; i++) {
    int32_t x;
    CHECK_OK(qv__fb_vector_table(&v, i, &e[i], &err), &err);
    CHECK_OK(qv__fb_table_int32(&e[i], 0, -1, &x, &err), &err);
    CHECK_EQ_INT(x, i);
  }
  CHECK(e[0].vtable == e[1].vtable && e[1].vtable == e[2].vtable);
  qv_bytes_reset(&out);
}

QV_TEST(flatbuf_builder_rejects_misuse) {
  qv_error err = {0};
  qv_fb_builder b;
  qv_fb_ref ref;
  uint8_t *p;
  qv__fb_builder_init(&b, NULL);
  CHECK_STATUS(qv__fb_add_int32(&b, 0, 1, &err), QV_INTERNAL);
  CHECK_OK(qv__fb_table_start(&b, &err), &err);
  CHECK_STATUS(qv__fb_table_start(&b, &err), QV_INTERNAL);
  CHECK_STATUS(qv__fb_create_string(&b, "x", 1, &ref, &err), QV_INTERNAL);
  CHECK_STATUS(qv__fb_create_vector(&b, 1, 4, 4, &p, &ref, &err), QV_INTERNAL);
  CHECK_STATUS(qv__fb_add_int32(&b, 1000, 1, &err), QV_INTERNAL);
  CHECK_STATUS(qv__fb_add_offset(&b, 0, 123456, &err), QV_INTERNAL);
  qv__fb_builder_reset(&b);
  qv_fb_ref zero = 0;
  CHECK_STATUS(qv__fb_create_offset_vector(&b, &zero, 1, &ref, &err), QV_INTERNAL);
  qv__fb_builder_reset(&b);
}

QV_TEST(flatbuf_builder_out_of_memory_leaks_nothing) {
  qv_error err = {0};
  qv_allocator *a;
  CHECK_OK(qv_allocator_create(0, &a, &err), &err);
  bool succeeded = false;
  for (int64_t n = 1; n < 64 && !succeeded; n++) {
    qv_bytes out;
    qv_bytes_init(&out, a);
    qv_allocator_fail_after(a, n);
    qv_status st = build_root(a, &out, &err);
    qv_allocator_fail_after(a, 0);
    if (st == QV_OK) succeeded = true;
    else CHECK_EQ_INT(st, QV_NOMEM);
    qv_bytes_reset(&out);
    CHECK_EQ_INT(qv_allocator_bytes_allocated(a), 0);
  }
  CHECK(succeeded);
  qv_allocator_destroy(a);
}

/* ---- hostile buffers ---------------------------------------------------------- */

/* A copy in an exact-size heap block, so that ASan sees any read past it. */
static uint8_t *exact_copy(const uint8_t *data, int64_t size) {
  uint8_t *p = malloc(size ? (size_t)size : 1);
  if (p && size) memcpy(p, data, (size_t)size);
  return p;
}

QV_TEST(flatbuf_truncated_at_every_length) {
  qv_error err = {0};
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  CHECK_OK(build_root(NULL, &out, &err), &err);
  int64_t failures = 0;
  for (int64_t n = 0; n < out.size; n++) {
    uint8_t *p = exact_copy(out.data, n);
    root_value v;
    if (walk_root(p, n, &v, &err) != QV_OK) failures++;
    free(p);
  }
  /* Every object of the buffer is needed, and the root is in front: the
   * leading bytes hold the root table and its fields, so almost every prefix
   * must fail. */
  CHECK(failures >= out.size - 8);
  qv_bytes_reset(&out);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

QV_TEST(flatbuf_random_byte_flips_never_crash) {
  qv_error err = {0};
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  CHECK_OK(build_root(NULL, &out, &err), &err);
  int64_t ok = 0, failed = 0;
  for (int iter = 0; iter < 20000; iter++) {
    uint8_t *p = exact_copy(out.data, out.size);
    int flips = 1 + (int)(next_random() % 4);
    for (int k = 0; k < flips; k++) {
      uint64_t x = next_random();
      p[x % (uint64_t)out.size] ^= (uint8_t)(1u << ((x >> 32) % 8));
      if ((x >> 40) % 4 == 0) p[(x >> 8) % (uint64_t)out.size] = (uint8_t)(x >> 48);
    }
    root_value v;
    if (walk_root(p, out.size, &v, &err) == QV_OK) ok++;
    else failed++;
    free(p);
  }
  CHECK(ok > 0 && failed > 0); /* both outcomes were exercised */
  qv_bytes_reset(&out);
}

/* A hand-written buffer: root offset 12; vtable at 4 {size 6, table size 8,
 * field 0 at 4}; table at 12 {soffset 8, int32 field}. */
static void small_buffer(uint8_t buf[20]) {
  memset(buf, 0, 20);
  qv__fb_store_u32(buf, 12);
  qv__fb_store_u16(buf + 4, 6);
  qv__fb_store_u16(buf + 6, 8);
  qv__fb_store_u16(buf + 8, 4);
  qv__fb_store_i32(buf + 12, 8);
  qv__fb_store_i32(buf + 16, 1234);
}

static qv_status read_small(const uint8_t *buf, int64_t size, int32_t *x, qv_error *err) {
  qv_fb_reader r;
  qv_fb_table t;
  QV_RETURN_NOT_OK(qv__fb_reader_init(&r, buf, size, err));
  QV_RETURN_NOT_OK(qv__fb_reader_root(&r, &t, err));
  return qv__fb_table_int32(&t, 0, 0, x, err);
}

QV_TEST(flatbuf_hand_written_buffer_and_broken_vtables) {
  qv_error err = {0};
  uint8_t buf[20];
  int32_t x;
  small_buffer(buf);
  CHECK_OK(read_small(buf, 20, &x, &err), &err);
  CHECK_EQ_INT(x, 1234);

  small_buffer(buf);
  qv__fb_store_i32(buf + 12, -1000); /* vtable past the end */
  CHECK_STATUS(read_small(buf, 20, &x, &err), QV_INVALID);
  CHECK(strstr(err.message, "vtable") != NULL);

  small_buffer(buf);
  qv__fb_store_i32(buf + 12, 1000); /* vtable before the start */
  CHECK_STATUS(read_small(buf, 20, &x, &err), QV_INVALID);

  small_buffer(buf);
  qv__fb_store_i32(buf + 12, 7); /* vtable misaligned */
  CHECK_STATUS(read_small(buf, 20, &x, &err), QV_INVALID);

  small_buffer(buf);
  qv__fb_store_u16(buf + 4, 0xFFF0); /* vtable larger than the buffer */
  CHECK_STATUS(read_small(buf, 20, &x, &err), QV_INVALID);

  small_buffer(buf);
  qv__fb_store_u16(buf + 6, 200); /* table larger than the buffer */
  CHECK_STATUS(read_small(buf, 20, &x, &err), QV_INVALID);

  small_buffer(buf);
  qv__fb_store_u16(buf + 8, 6); /* field runs past the table's 8 bytes */
  CHECK_STATUS(read_small(buf, 20, &x, &err), QV_INVALID);
  CHECK(strstr(err.message, "outside the table") != NULL);

  small_buffer(buf);
  qv__fb_store_u16(buf + 8, 0); /* absent: default */
  CHECK_OK(read_small(buf, 20, &x, &err), &err);
  CHECK_EQ_INT(x, 0);

  small_buffer(buf);
  qv__fb_store_u32(buf, 13); /* root misaligned */
  CHECK_STATUS(read_small(buf, 20, &x, &err), QV_INVALID);

  small_buffer(buf);
  qv__fb_store_u32(buf, 0xFFFFFFF0u); /* root out of bounds */
  CHECK_STATUS(read_small(buf, 20, &x, &err), QV_INVALID);

  CHECK_STATUS(read_small(buf, 3, &x, &err), QV_INVALID);
  CHECK_STATUS(read_small(NULL, 0, &x, &err), QV_INVALID);
  CHECK_STATUS(read_small(buf, -1, &x, &err), QV_INVALID);
}

/* Root { 0: [int] or string } for the vector and string checks. */
static qv_status build_vector_root(bool string, qv_bytes *out, qv_error *err) {
  qv_fb_builder b;
  qv_fb_ref v, root;
  uint8_t *p;
  qv__fb_builder_init(&b, NULL);
  qv_status st = string ? qv__fb_create_string(&b, "abcdefg", 7, &v, err)
                        : qv__fb_create_vector(&b, 2, 4, 4, &p, &v, err);
  if (st == QV_OK) st = qv__fb_table_start(&b, err);
  if (st == QV_OK) st = qv__fb_add_offset(&b, 0, v, err);
  if (st == QV_OK) st = qv__fb_table_end(&b, &root, err);
  if (st == QV_OK) st = qv__fb_finish(&b, root, out, err);
  qv__fb_builder_reset(&b);
  return st;
}

/* The position of the object field 0 of the root points at. */
static int64_t field0_target(const qv_bytes *buf) {
  qv_fb_reader r;
  qv_fb_table t;
  qv_error err = {0};
  if (qv__fb_reader_init(&r, buf->data, buf->size, &err) != QV_OK) return -1;
  if (qv__fb_reader_root(&r, &t, &err) != QV_OK) return -1;
  int64_t at = t.pos + qv__fb_load_u16(buf->data + t.vtable + 4);
  return at + qv__fb_load_u32(buf->data + at);
}

QV_TEST(flatbuf_huge_vector_and_unterminated_string) {
  qv_error err = {0};
  qv_bytes out;
  qv_fb_reader r;
  qv_fb_table t;
  qv_fb_vector v;
  bool present;
  const char *s;
  int64_t len;

  qv_bytes_init(&out, NULL);
  CHECK_OK(build_vector_root(false, &out, &err), &err);
  int64_t at = field0_target(&out);
  CHECK(at > 0);
  uint32_t lengths[] = {3, 1000, 0x40000000u, 0xFFFFFFFFu};
  for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
    qv__fb_store_u32(out.data + at, lengths[i]);
    CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
    CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
    CHECK_STATUS(qv__fb_table_vector(&t, 0, 4, 4, &v, &present, &err), QV_INVALID);
  }
  qv__fb_store_u32(out.data + at, 2);
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK_OK(qv__fb_table_vector(&t, 0, 4, 4, &v, &present, &err), &err);
  const uint8_t *p;
  CHECK_STATUS(qv__fb_vector_at(&v, 2, &p, &err), QV_INVALID);
  CHECK_STATUS(qv__fb_vector_at(&v, -1, &p, &err), QV_INVALID);
  /* Elements of 8-byte alignment at a 4-mod-8 position are rejected. */
  qv_status st8 = qv__fb_table_vector(&t, 0, 8, 8, &v, &present, &err);
  CHECK(st8 == QV_INVALID || (v.elems % 8) == 0);
  qv_bytes_reset(&out);

  qv_bytes_init(&out, NULL);
  CHECK_OK(build_vector_root(true, &out, &err), &err);
  at = field0_target(&out);
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK_OK(qv__fb_table_string(&t, 0, &s, &len, &err), &err);
  CHECK_EQ_INT(len, 7);
  out.data[at + 4 + 7] = 'x'; /* overwrite the NUL */
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK_STATUS(qv__fb_table_string(&t, 0, &s, &len, &err), QV_INVALID);
  CHECK(strstr(err.message, "NUL") != NULL);
  out.data[at + 4 + 7] = 0;
  qv__fb_store_u32(out.data + at, 0x7FFFFFF0u);
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK_STATUS(qv__fb_table_string(&t, 0, &s, &len, &err), QV_INVALID);
  qv_bytes_reset(&out);
}

/* A chain of `depth` tables, each holding the next in field 0. */
static qv_status build_chain(int depth, qv_bytes *out, qv_error *err) {
  qv_fb_builder b;
  qv_fb_ref ref = 0;
  qv__fb_builder_init(&b, NULL);
  qv_status st = QV_OK;
  for (int i = 0; i < depth && st == QV_OK; i++) {
    st = qv__fb_table_start(&b, err);
    if (st == QV_OK) st = qv__fb_add_offset(&b, 0, ref, err);
    if (st == QV_OK) st = qv__fb_add_int32(&b, 1, i, err);
    if (st == QV_OK) st = qv__fb_table_end(&b, &ref, err);
  }
  if (st == QV_OK) st = qv__fb_finish(&b, ref, out, err);
  qv__fb_builder_reset(&b);
  return st;
}

static qv_status walk_chain(const qv_fb_table *t, int *levels, qv_error *err) {
  qv_fb_table child;
  bool present;
  (*levels)++;
  QV_RETURN_NOT_OK(qv__fb_table_table(t, 0, &child, &present, err));
  return present ? walk_chain(&child, levels, err) : QV_OK;
}

QV_TEST(flatbuf_nesting_depth_is_capped) {
  qv_error err = {0};
  qv_bytes out;
  qv_fb_reader r;
  qv_fb_table t;
  int levels = 0;
  qv_bytes_init(&out, NULL);
  CHECK_OK(build_chain(QV_FB_MAX_DEPTH, &out, &err), &err);
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK_OK(walk_chain(&t, &levels, &err), &err);
  CHECK_EQ_INT(levels, QV_FB_MAX_DEPTH);
  qv_bytes_reset(&out);

  CHECK_OK(build_chain(QV_FB_MAX_DEPTH + 1, &out, &err), &err);
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  levels = 0;
  CHECK_STATUS(walk_chain(&t, &levels, &err), QV_INVALID);
  CHECK(strstr(err.message, "deeper") != NULL);
  /* The cap is adjustable. */
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  r.max_depth = QV_FB_MAX_DEPTH + 1;
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  levels = 0;
  CHECK_OK(walk_chain(&t, &levels, &err), &err);
  qv_bytes_reset(&out);
}

/* Level i holds a vector of two offsets, both to level i+1: a walk of the tree
 * the buffer describes would open 2^levels tables. */
static qv_status build_dag(int levels, qv_bytes *out, qv_error *err) {
  qv_fb_builder b;
  qv_fb_ref ref = 0, vec;
  qv__fb_builder_init(&b, NULL);
  qv_status st = QV_OK;
  for (int i = 0; i < levels && st == QV_OK; i++) {
    qv_fb_ref pair[2] = {ref, ref};
    vec = 0;
    if (ref) st = qv__fb_create_offset_vector(&b, pair, 2, &vec, err);
    if (st == QV_OK) st = qv__fb_table_start(&b, err);
    if (st == QV_OK) st = qv__fb_add_offset(&b, 0, vec, err);
    if (st == QV_OK) st = qv__fb_table_end(&b, &ref, err);
  }
  if (st == QV_OK) st = qv__fb_finish(&b, ref, out, err);
  qv__fb_builder_reset(&b);
  return st;
}

static qv_status walk_dag(const qv_fb_table *t, int64_t *opened, qv_error *err) {
  qv_fb_vector v;
  bool present;
  (*opened)++;
  QV_RETURN_NOT_OK(qv__fb_table_vector(t, 0, 4, 4, &v, &present, err));
  for (int64_t i = 0; present && i < v.length; i++) {
    qv_fb_table child;
    QV_RETURN_NOT_OK(qv__fb_vector_table(&v, i, &child, err));
    QV_RETURN_NOT_OK(walk_dag(&child, opened, err));
  }
  return QV_OK;
}

QV_TEST(flatbuf_shared_tables_cannot_amplify_work) {
  qv_error err = {0};
  qv_bytes out;
  qv_fb_reader r;
  qv_fb_table t;
  int64_t opened = 0;
  qv_bytes_init(&out, NULL);
  CHECK_OK(build_dag(40, &out, &err), &err);
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK_STATUS(walk_dag(&t, &opened, &err), QV_INVALID);
  CHECK(opened <= r.max_tables);
  CHECK(r.max_tables <= out.size / 4 + 64);
  qv_bytes_reset(&out);
}

QV_TEST(flatbuf_shared_strings_cannot_amplify_work) {
  qv_error err = {0};
  qv_fb_builder b;
  qv_bytes out;
  qv_fb_ref s, vec, root, refs[64];
  char big[4096];
  memset(big, 'z', sizeof big);
  qv__fb_builder_init(&b, NULL);
  qv_bytes_init(&out, NULL);
  CHECK_OK(qv__fb_create_string(&b, big, sizeof big, &s, &err), &err);
  for (int i = 0; i < 64; i++) refs[i] = s;
  CHECK_OK(qv__fb_create_offset_vector(&b, refs, 64, &vec, &err), &err);
  CHECK_OK(qv__fb_table_start(&b, &err), &err);
  CHECK_OK(qv__fb_add_offset(&b, 0, vec, &err), &err);
  CHECK_OK(qv__fb_table_end(&b, &root, &err), &err);
  CHECK_OK(qv__fb_finish(&b, root, &out, &err), &err);
  qv__fb_builder_reset(&b);

  qv_fb_reader r;
  qv_fb_table t;
  qv_fb_vector v;
  bool present;
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK_OK(qv__fb_table_vector(&t, 0, 4, 4, &v, &present, &err), &err);
  qv_status st = QV_OK;
  int64_t i = 0;
  for (; i < v.length && st == QV_OK; i++) {
    const char *str;
    int64_t len;
    st = qv__fb_vector_string(&v, i, &str, &len, &err);
  }
  CHECK_EQ_INT(st, QV_INVALID);
  CHECK(i < 64);
  qv_bytes_reset(&out);
}

QV_TEST(flatbuf_union_tag_without_value) {
  qv_error err = {0};
  qv_fb_builder b;
  qv_bytes out;
  qv_fb_ref root;
  qv__fb_builder_init(&b, NULL);
  qv_bytes_init(&out, NULL);
  CHECK_OK(qv__fb_table_start(&b, &err), &err);
  CHECK_OK(qv__fb_add_uint8(&b, 0, 3, &err), &err);
  CHECK_OK(qv__fb_table_end(&b, &root, &err), &err);
  CHECK_OK(qv__fb_finish(&b, root, &out, &err), &err);
  qv__fb_builder_reset(&b);
  qv_fb_reader r;
  qv_fb_table t, value;
  uint8_t tag;
  CHECK_OK(qv__fb_reader_init(&r, out.data, out.size, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK_STATUS(qv__fb_table_union(&t, 0, &tag, &value, &err), QV_INVALID);
  CHECK(strstr(err.message, "union") != NULL);
  qv_bytes_reset(&out);
}
