/* Sample arrays of every Quiver type (nested, dictionary and union included),
 * shared by the validation and C Data Interface tests. */
#ifndef QV_TEST_SAMPLE_ARRAYS_H
#define QV_TEST_SAMPLE_ARRAYS_H

#include "quiver/array.h"

/* The number of samples. */
int sample_count(void);
/* Builds sample i (0 <= i < sample_count()); *name is a static description.
 * The caller owns one reference to *out. */
qv_status sample_array(int i, const char **name, qv_array **out, qv_error *err);

/* Builders for tests: n values; valid may be NULL (all valid). */
qv_array *sample_ints(qv_data_type *type, const int64_t *v, const bool *valid, int n);
/* strs[i] == NULL is a null slot; works for any binary-like type. */
qv_array *sample_strings(qv_data_type *type, const char *const *strs, int n);
/* A buffer holding a copy of n bytes. */
qv_buffer *sample_buffer(const void *data, int64_t n);

#endif
