/* Allocator, buffers, byte vectors and arena. */
#include "quiver/memory.h"
#include "test.h"

QV_TEST(allocator_aligns_and_accounts) {
  qv_allocator *a;
  qv_error err = {0};
  CHECK_OK(qv_allocator_create(0, &a, &err), &err);
  void *p = qv_alloc(a, 100);
  CHECK(p != NULL);
  CHECK_EQ_INT((uintptr_t)p % QV_ALIGNMENT, 0);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(a), 128);
  p = qv_realloc(a, p, 100, 1000);
  CHECK(p != NULL);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(a), 1024);
  qv_free(a, p, 1000);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(a), 0);
  CHECK_EQ_INT(qv_allocator_peak_bytes(a), 1024 + 128);
  qv_allocator_destroy(a);
}

QV_TEST(allocator_limit_refuses) {
  qv_allocator *a;
  qv_error err = {0};
  CHECK_OK(qv_allocator_create(1000, &a, &err), &err);
  void *p = qv_alloc(a, 960);
  CHECK(p != NULL);
  CHECK(qv_alloc(a, 64) == NULL);
  qv_buffer *b = NULL;
  CHECK_STATUS(qv_buffer_allocate(a, 64, &b, &err), QV_NOMEM);
  CHECK(b == NULL);
  qv_free(a, p, 960);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(a), 0);
  qv_allocator_destroy(a);
}

QV_TEST(allocator_fault_injection) {
  qv_allocator *a;
  qv_error err = {0};
  CHECK_OK(qv_allocator_create(0, &a, &err), &err);
  qv_allocator_fail_after(a, 3);
  void *p1 = qv_alloc(a, 8), *p2 = qv_alloc(a, 8), *p3 = qv_alloc(a, 8);
  CHECK(p1 && p2 && !p3);
  qv_allocator_fail_after(a, 0);
  p3 = qv_alloc(a, 8);
  CHECK(p3 != NULL);
  qv_free(a, p1, 8);
  qv_free(a, p2, 8);
  qv_free(a, p3, 8);
  qv_allocator_destroy(a);
}

static int released;
static void count_release(void *ctx) { released += *(int *)ctx; }

QV_TEST(buffer_slices_keep_parent_alive) {
  qv_error err = {0};
  qv_buffer *b, *s1, *s2;
  CHECK_OK(qv_buffer_copy(qv_default_allocator(), "hello world", 11, &b, &err), &err);
  CHECK_OK(qv_buffer_slice(b, 6, 5, &s1, &err), &err);
  CHECK_OK(qv_buffer_slice(s1, 1, 3, &s2, &err), &err);
  qv_buffer_unref(b);
  qv_buffer_unref(s1);
  CHECK(memcmp(qv_buffer_data(s2), "orl", 3) == 0);
  CHECK_EQ_INT(qv_buffer_size(s2), 3);
  qv_buffer *bad = NULL;
  CHECK_STATUS(qv_buffer_slice(s2, 2, 2, &bad, &err), QV_INVALID);
  CHECK(bad == NULL);
  qv_buffer_unref(s2);
}

QV_TEST(buffer_wrap_releases_once) {
  qv_error err = {0};
  static const char data[] = "abc";
  int one = 1;
  released = 0;
  qv_buffer *b, *s;
  CHECK_OK(qv_buffer_wrap(data, 3, count_release, &one, &b, &err), &err);
  CHECK_OK(qv_buffer_slice(b, 1, 1, &s, &err), &err);
  qv_buffer_unref(b);
  CHECK_EQ_INT(released, 0);
  qv_buffer_unref(s);
  CHECK_EQ_INT(released, 1);
}

QV_TEST(bytes_grow_and_finish_without_copy) {
  qv_error err = {0};
  qv_bytes v;
  qv_bytes_init(&v, NULL);
  for (int i = 0; i < 1000; i++) CHECK_OK(qv_bytes_append(&v, &i, sizeof i, &err), &err);
  const uint8_t *before = v.data;
  qv_buffer *b;
  CHECK_OK(qv_bytes_finish(&v, &b, &err), &err);
  CHECK(qv_buffer_data(b) == before);
  CHECK_EQ_INT(qv_buffer_size(b), 4000);
  CHECK_EQ_INT(((const int *)qv_buffer_data(b))[999], 999);
  CHECK(v.data == NULL);
  qv_buffer_unref(b);
}

QV_TEST(arena_allocates_and_resets) {
  qv_allocator *a;
  qv_error err = {0};
  CHECK_OK(qv_allocator_create(0, &a, &err), &err);
  qv_arena arena;
  qv_arena_init(&arena, a);
  for (int i = 0; i < 10000; i++) {
    char *s = qv_arena_strndup(&arena, "quiver", 6);
    CHECK(s && strcmp(s, "quiver") == 0 && ((uintptr_t)s & 15) == 0);
  }
  void *big = qv_arena_alloc(&arena, 5 << 20);
  CHECK(big != NULL);
  qv_arena_reset(&arena);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(a), 0);
  qv_allocator_destroy(a);
}

QV_TEST(error_messages_and_prefix) {
  qv_error err;
  qv_error_init(&err);
  CHECK_EQ_INT(qv_error_set(&err, QV_INVALID, "bad value %d", 7), QV_INVALID);
  qv_error_prefix(&err, "column '%s'", "x");
  CHECK_STR_EQ(err.message, "column 'x': bad value 7");
  CHECK_EQ_INT(err.code, QV_INVALID);
  CHECK_STR_EQ(qv_status_name(QV_NOMEM), "NOMEM");
}
