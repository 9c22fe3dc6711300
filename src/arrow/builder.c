/* Array builders for flat types: fixed-width values, booleans and
 * variable-length binary/utf8, appended one value at a time. The validity
 * bitmap is dropped at finish when no value was null. */
#include <string.h>

#include "arrow/internal.h"

static bool large_offsets(qv_type_id id) { return id == QV_LARGE_BINARY || id == QV_LARGE_UTF8; }

qv_status qv_array_builder_init(qv_array_builder *b, qv_allocator *a, qv_data_type *type, qv_error *err) {
  memset(b, 0, sizeof *b);
  qv_type_id id = type->id;
  bool ok = id == QV_BOOL || qv_type_is_binary_like(id) || (type->byte_width > 0 && id != QV_DICTIONARY &&
                                                            !qv_type_is_nested(id));
  if (!ok) {
    char buf[128];
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "builder: no builder for %s", qv_type_to_string(type, buf, sizeof buf));
  }
  b->alloc = a ? a : qv_default_allocator();
  b->type = qv_type_ref(type);
  b->byte_width = qv_type_is_binary_like(id) || id == QV_BOOL ? 0 : type->byte_width;
  qv_bytes_init(&b->validity, b->alloc);
  qv_bytes_init(&b->offsets, b->alloc);
  qv_bytes_init(&b->values, b->alloc);
  if (qv_type_is_binary_like(id)) {
    int64_t zero = 0;
    QV_RETURN_NOT_OK(qv_bytes_append(&b->offsets, &zero, large_offsets(id) ? 8 : 4, err));
  }
  return QV_OK;
}

void qv_array_builder_reset(qv_array_builder *b) {
  qv_bytes_reset(&b->validity);
  qv_bytes_reset(&b->offsets);
  qv_bytes_reset(&b->values);
  qv_type_unref(b->type);
  memset(b, 0, sizeof *b);
}

/* Records slot validity, growing the bitmap a byte at a time. */
static qv_status push_validity(qv_array_builder *b, bool valid, qv_error *err) {
  if ((b->length & 7) == 0) {
    uint8_t zero = 0;
    QV_RETURN_NOT_OK(qv_bytes_append(&b->validity, &zero, 1, err));
  }
  if (valid) qv_bit_set(b->validity.data, b->length);
  else b->null_count++;
  return QV_OK;
}

static qv_status push_offset(qv_array_builder *b, qv_error *err) {
  if (large_offsets(b->type->id)) {
    int64_t end = b->values.size;
    return qv_bytes_append(&b->offsets, &end, 8, err);
  }
  if (b->values.size > INT32_MAX)
    return qv_error_set(err, QV_RESOURCE_EXHAUSTED, "builder: more than 2 GiB of data in a 32-bit offset array");
  int32_t end = (int32_t)b->values.size;
  return qv_bytes_append(&b->offsets, &end, 4, err);
}

qv_status qv_array_builder_append_null(qv_array_builder *b, qv_error *err) {
  QV_RETURN_NOT_OK(push_validity(b, false, err));
  qv_type_id id = b->type->id;
  if (qv_type_is_binary_like(id)) QV_RETURN_NOT_OK(push_offset(b, err));
  else if (id == QV_BOOL) {
    if ((b->length & 7) == 0) QV_RETURN_NOT_OK(qv_bytes_append_zeros(&b->values, 1, err));
  } else QV_RETURN_NOT_OK(qv_bytes_append_zeros(&b->values, b->byte_width, err));
  b->length++;
  return QV_OK;
}

qv_status qv_array_builder_append_fixed(qv_array_builder *b, const void *value, qv_error *err) {
  if (b->byte_width == 0) return qv_error_set(err, QV_INVALID, "builder: append_fixed on a variable-width type");
  QV_RETURN_NOT_OK(push_validity(b, true, err));
  QV_RETURN_NOT_OK(qv_bytes_append(&b->values, value, b->byte_width, err));
  b->length++;
  return QV_OK;
}

qv_status qv_array_builder_append_bool(qv_array_builder *b, bool value, qv_error *err) {
  if (b->type->id != QV_BOOL) return qv_error_set(err, QV_INVALID, "builder: append_bool on a non-bool type");
  QV_RETURN_NOT_OK(push_validity(b, true, err));
  if ((b->length & 7) == 0) QV_RETURN_NOT_OK(qv_bytes_append_zeros(&b->values, 1, err));
  if (value) qv_bit_set(b->values.data, b->length);
  b->length++;
  return QV_OK;
}

qv_status qv_array_builder_append_int(qv_array_builder *b, int64_t value, qv_error *err) {
  switch (b->byte_width) {
    case 1: { int8_t v = (int8_t)value; return qv_array_builder_append_fixed(b, &v, err); }
    case 2: { int16_t v = (int16_t)value; return qv_array_builder_append_fixed(b, &v, err); }
    case 4: { int32_t v = (int32_t)value; return qv_array_builder_append_fixed(b, &v, err); }
    case 8: return qv_array_builder_append_fixed(b, &value, err);
    case 16: case 32: {
      /* Decimals: sign-extend the integer to the full width (little endian). */
      uint8_t v[32];
      memset(v, value < 0 ? 0xff : 0, sizeof v);
      memcpy(v, &value, 8);
      return qv_array_builder_append_fixed(b, v, err);
    }
    default: return qv_error_set(err, QV_INVALID, "builder: append_int on a type of width %d", b->byte_width);
  }
}

qv_status qv_array_builder_append_double(qv_array_builder *b, double value, qv_error *err) {
  if (b->type->id == QV_FLOAT64) return qv_array_builder_append_fixed(b, &value, err);
  if (b->type->id == QV_FLOAT32) {
    float f = (float)value;
    return qv_array_builder_append_fixed(b, &f, err);
  }
  return qv_error_set(err, QV_INVALID, "builder: append_double on a non-float type");
}

qv_status qv_array_builder_append_binary(qv_array_builder *b, const void *data, int64_t n, qv_error *err) {
  if (b->type->id == QV_FIXED_SIZE_BINARY) {
    if (n != b->byte_width)
      return qv_error_set(err, QV_INVALID, "builder: %lld bytes for fixed_size_binary(%d)", (long long)n, b->byte_width);
    return qv_array_builder_append_fixed(b, data, err);
  }
  if (!qv_type_is_binary_like(b->type->id)) return qv_error_set(err, QV_INVALID, "builder: append_binary on a non-binary type");
  QV_RETURN_NOT_OK(push_validity(b, true, err));
  QV_RETURN_NOT_OK(qv_bytes_append(&b->values, data, n, err));
  QV_RETURN_NOT_OK(push_offset(b, err));
  b->length++;
  return QV_OK;
}

qv_status qv_array_builder_finish(qv_array_builder *b, qv_array **out, qv_error *err) {
  *out = NULL;
  qv_buffer *bufs[3] = {0};
  int32_t n = 0;
  qv_status st = QV_OK;
  if (b->null_count > 0) st = qv_bytes_finish(&b->validity, &bufs[0], err);
  n = 1;
  if (st == QV_OK && qv_type_is_binary_like(b->type->id)) st = qv_bytes_finish(&b->offsets, &bufs[n++], err);
  if (st == QV_OK) st = qv_bytes_finish(&b->values, &bufs[n++], err);
  if (st == QV_OK) st = qv_array_create(b->type, b->length, 0, b->null_count, bufs, n, NULL, 0, NULL, out, err);
  for (int32_t i = 0; i < 3; i++) qv_buffer_unref(bufs[i]);
  qv_array_builder_reset(b);
  return st;
}
