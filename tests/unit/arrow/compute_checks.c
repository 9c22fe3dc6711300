/* Helpers of the compute kernel tests; see compute_checks.h. */
#include "compute_checks.h"

uint64_t compute_rand(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * UINT64_C(0x2545F4914F6CDD1D);
}

qv_array *compute_slice(qv_array *a, int64_t offset, int64_t length) {
  qv_array *s = NULL;
  qv_error err = {0};
  if (qv_array_slice(a, offset, length, &s, &err) != QV_OK) return NULL;
  return s;
}

bool compute_slot_matches(qv_array *out, int64_t i, qv_array *values, int64_t k) {
  if (k < 0) return !qv_array_is_valid(out, i);
  qv_array *x = compute_slice(out, i, 1), *y = compute_slice(values, k, 1);
  bool same = x && y && qv_array_equals(x, y);
  qv_array_unref(x);
  qv_array_unref(y);
  return same;
}

int compute_cuts(qv_array *a, qv_array *out[3]) {
  int64_t len = qv_array_length(a);
  out[0] = qv_array_ref(a);
  out[1] = compute_slice(a, len >= 1 ? 1 : 0, len >= 2 ? len - 2 : 0);
  out[2] = compute_slice(a, len >= 3 ? 3 : len, len >= 3 ? len - 3 : 0);
  return 3;
}

qv_array *compute_bools(const bool *values, const bool *valid, int64_t n) {
  qv_array_builder b;
  qv_error err = {0};
  qv_array *out = NULL;
  if (qv_array_builder_init(&b, NULL, qv_type_primitive(QV_BOOL), &err) != QV_OK) return NULL;
  for (int64_t i = 0; i < n; i++) {
    qv_status st = valid && !valid[i] ? qv_array_builder_append_null(&b, &err)
                                      : qv_array_builder_append_bool(&b, values[i], &err);
    if (st != QV_OK) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  }
  if (qv_array_builder_finish(&b, &out, &err) != QV_OK) return NULL;
  return out;
}

qv_array *compute_fixed(qv_data_type *type, const void *values, const bool *valid, int64_t n) {
  qv_array_builder b;
  qv_error err = {0};
  qv_array *out = NULL;
  if (qv_array_builder_init(&b, NULL, type, &err) != QV_OK) return NULL;
  const uint8_t *v = values;
  for (int64_t i = 0; i < n; i++) {
    qv_status st = valid && !valid[i]
                       ? qv_array_builder_append_null(&b, &err)
                       : qv_array_builder_append_fixed(&b, v + i * b.byte_width, &err);
    if (st != QV_OK) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  }
  if (qv_array_builder_finish(&b, &out, &err) != QV_OK) return NULL;
  return out;
}

qv_array *compute_binary(qv_data_type *type, const uint8_t *const *data, const int64_t *lens,
                         int64_t n) {
  qv_array_builder b;
  qv_error err = {0};
  qv_array *out = NULL;
  if (qv_array_builder_init(&b, NULL, type, &err) != QV_OK) return NULL;
  for (int64_t i = 0; i < n; i++) {
    qv_status st = data[i] ? qv_array_builder_append_binary(&b, data[i], lens[i], &err)
                           : qv_array_builder_append_null(&b, &err);
    if (st != QV_OK) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  }
  if (qv_array_builder_finish(&b, &out, &err) != QV_OK) return NULL;
  return out;
}
