/* Concatenation used for delta dictionaries: every sample type, sliced at
 * bit offsets, concatenated; the result validates and its two halves equal
 * the inputs. */
#include "arrow/sample_arrays.h"
#include "ipc/ipc_internal.h"
#include "test.h"

QV_TEST(ipc_concat_every_type) {
  for (int i = 0; i < sample_count(); i++) {
    qv_error err;
    qv_error_init(&err);
    const char *name;
    qv_array *a = NULL;
    CHECK_OK(sample_array(i, &name, &a, &err), &err);
    int64_t len = qv_array_length(a);
    int64_t cuts[][4] = {{0, len, 0, len}, {1, len - 2, 3, len - 3}, {0, 0, 2, 1}, {len, 0, 0, 0}};
    for (int c = 0; c < 4; c++) {
      qv_array *x = NULL, *y = NULL, *z = NULL, *zx = NULL, *zy = NULL;
      CHECK_OK(qv_array_slice(a, cuts[c][0], cuts[c][1], &x, &err), &err);
      CHECK_OK(qv_array_slice(a, cuts[c][2], cuts[c][3], &y, &err), &err);
      qv_status st = qv__ipc_array_concat(qv_default_allocator(), x, y, &z, &err);
      if (st != QV_OK) {
        qv_test_fail(__FILE__, __LINE__, "%s cut %d: %s", name, c, err.message);
      } else {
        CHECK_EQ_INT(qv_array_length(z), cuts[c][1] + cuts[c][3]);
        CHECK_OK(qv_array_validate_full(z, &err), &err);
        CHECK_OK(qv_array_slice(z, 0, cuts[c][1], &zx, &err), &err);
        CHECK_OK(qv_array_slice(z, cuts[c][1], cuts[c][3], &zy, &err), &err);
        if (!qv_array_equals(zx, x) || !qv_array_equals(zy, y))
          qv_test_fail(__FILE__, __LINE__, "%s cut %d: halves differ", name, c);
        CHECK_EQ_INT(qv_array_null_count(z), qv_array_null_count(x) + qv_array_null_count(y));
      }
      qv_array_unref(zx);
      qv_array_unref(zy);
      qv_array_unref(z);
      qv_array_unref(x);
      qv_array_unref(y);
    }
    qv_array_unref(a);
  }
}
