/* Helpers shared by the compute kernel tests (test_compute_*.c): a seeded
 * random generator, slot-by-slot comparison of a kernel's output against the
 * source slots it should hold, and small array builders. */
#ifndef QV_TEST_COMPUTE_CHECKS_H
#define QV_TEST_COMPUTE_CHECKS_H

#include "quiver/array.h"
#include "quiver/compute.h"

/* xorshift64*: deterministic, good enough for test data. */
uint64_t compute_rand(uint64_t *state);

/* Whether slot i of out holds the value of slot k of values (k < 0: slot i
 * of out is null). Compares decoded values through qv_array_equals on one-
 * slot slices, so it is independent of the kernels under test. */
bool compute_slot_matches(qv_array *out, int64_t i, qv_array *values, int64_t k);

/* A slice, or NULL on failure. */
qv_array *compute_slice(qv_array *a, int64_t offset, int64_t length);

/* The cuts of a sample each test runs on: the whole array, a slice starting
 * at slot 1 and one at slot 3 (bit offsets inside a bitmap byte). Returns the
 * number of cuts (3) and writes new references to out. */
int compute_cuts(qv_array *a, qv_array *out[3]);

/* A bool array of n slots: values[i] and, when valid is not NULL, valid[i]. */
qv_array *compute_bools(const bool *values, const bool *valid, int64_t n);

/* An array of a fixed-width type from n values of byte_width bytes each
 * (raw little-endian bytes); valid may be NULL. */
qv_array *compute_fixed(qv_data_type *type, const void *values, const bool *valid, int64_t n);

/* A binary-like array from n byte strings (which may hold zeros); data[i]
 * NULL is a null slot. */
qv_array *compute_binary(qv_data_type *type, const uint8_t *const *data, const int64_t *lens,
                         int64_t n);

#endif
