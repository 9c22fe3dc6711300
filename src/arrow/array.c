/* Arrays: assembly from buffers and children, reference counting, slicing,
 * null counts, and all-null arrays of any type. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"

int32_t qv_type_num_buffers(qv_type_id id) {
  switch (id) {
    case QV_NA: return 0;
    case QV_BINARY:
    case QV_LARGE_BINARY:
    case QV_UTF8:
    case QV_LARGE_UTF8: return 3;
    case QV_FIXED_SIZE_LIST:
    case QV_STRUCT:
    case QV_SPARSE_UNION: return 1;
    default: return 2; /* validity + values/offsets/type ids */
  }
}

/* The number of child arrays the layout of t has. */
static int32_t expected_children(const qv_data_type *t) {
  switch (t->id) {
    case QV_LIST:
    case QV_LARGE_LIST:
    case QV_FIXED_SIZE_LIST:
    case QV_MAP: return 1;
    case QV_STRUCT:
    case QV_SPARSE_UNION:
    case QV_DENSE_UNION: return t->n_children;
    default: return 0;
  }
}

qv_status qv_array_create(qv_data_type *type, int64_t length, int64_t offset, int64_t null_count,
                          qv_buffer *const *buffers, int32_t n_buffers, qv_array *const *children, int32_t n_children,
                          qv_array *dictionary, qv_array **out, qv_error *err) {
  *out = NULL;
  char tbuf[128];
  if (!type) return qv_error_set(err, QV_INVALID, "array: no type");
  if (length < 0 || offset < 0 || offset > INT64_MAX - length)
    return qv_error_set(err, QV_INVALID, "array: bad length %lld or offset %lld", (long long)length, (long long)offset);
  if (n_buffers != qv_type_num_buffers(type->id))
    return qv_error_set(err, QV_INVALID, "array of %s: %d buffers, layout has %d",
                        qv_type_to_string(type, tbuf, sizeof tbuf), n_buffers, qv_type_num_buffers(type->id));
  if (n_children != expected_children(type))
    return qv_error_set(err, QV_INVALID, "array of %s: %d children, type has %d",
                        qv_type_to_string(type, tbuf, sizeof tbuf), n_children, expected_children(type));
  if ((type->id == QV_DICTIONARY) != (dictionary != NULL))
    return qv_error_set(err, QV_INVALID, "array of %s: dictionary %s", qv_type_to_string(type, tbuf, sizeof tbuf),
                        dictionary ? "given for a non-dictionary type" : "missing");
  for (int32_t i = 0; i < n_children; i++)
    if (!children[i]) return qv_error_set(err, QV_INVALID, "array: child %d is NULL", i);
  if (null_count > length) return qv_error_set(err, QV_INVALID, "array: null count %lld > length %lld",
                                               (long long)null_count, (long long)length);
  qv_array *a = calloc(1, sizeof *a);
  if (!a) return qv_error_set(err, QV_NOMEM, "array: out of memory");
  if (n_children) {
    a->children = calloc((size_t)n_children, sizeof *a->children);
    if (!a->children) {
      free(a);
      return qv_error_set(err, QV_NOMEM, "array: out of memory");
    }
  }
  atomic_init(&a->refcount, 1);
  a->type = qv_type_ref(type);
  a->length = length;
  a->offset = offset;
  atomic_init(&a->null_count, null_count < 0 ? -1 : null_count);
  a->n_buffers = n_buffers;
  for (int32_t i = 0; i < n_buffers; i++) a->buffers[i] = qv_buffer_ref(buffers[i]);
  a->n_children = n_children;
  for (int32_t i = 0; i < n_children; i++) a->children[i] = qv_array_ref(children[i]);
  a->dictionary = qv_array_ref(dictionary);
  *out = a;
  return QV_OK;
}

qv_array *qv_array_ref(qv_array *a) {
  if (a) atomic_fetch_add_explicit(&a->refcount, 1, memory_order_relaxed);
  return a;
}

void qv_array_unref(qv_array *a) {
  if (!a || atomic_fetch_sub_explicit(&a->refcount, 1, memory_order_acq_rel) != 1) return;
  for (int32_t i = 0; i < a->n_buffers; i++) qv_buffer_unref(a->buffers[i]);
  for (int32_t i = 0; i < a->n_children; i++) qv_array_unref(a->children[i]);
  free(a->children);
  qv_array_unref(a->dictionary);
  qv_type_unref(a->type);
  free(a);
}

qv_data_type *qv_array_type(const qv_array *a) { return a->type; }
int64_t qv_array_length(const qv_array *a) { return a->length; }
int64_t qv_array_offset(const qv_array *a) { return a->offset; }
int32_t qv_array_num_buffers(const qv_array *a) { return a->n_buffers; }
qv_buffer *qv_array_buffer(const qv_array *a, int32_t i) { return a->buffers[i]; }
int32_t qv_array_num_children(const qv_array *a) { return a->n_children; }
qv_array *qv_array_child(const qv_array *a, int32_t i) { return a->children[i]; }
qv_array *qv_array_dictionary(const qv_array *a) { return a->dictionary; }

static bool has_validity_buffer(qv_type_id id) {
  return id != QV_NA && id != QV_SPARSE_UNION && id != QV_DENSE_UNION;
}

int64_t qv_array_null_count(qv_array *a) {
  int64_t n = atomic_load_explicit(&a->null_count, memory_order_relaxed);
  if (n >= 0) return n;
  if (a->type->id == QV_NA) n = a->length;
  else if (!has_validity_buffer(a->type->id) || !a->buffers[0]) n = 0;
  else n = a->length - qv_bitmap_count_set(a->buffers[0]->data, a->offset, a->length);
  atomic_store_explicit(&a->null_count, n, memory_order_relaxed);
  return n;
}

bool qv_array_is_valid(const qv_array *a, int64_t i) {
  switch (a->type->id) {
    case QV_NA: return false;
    case QV_SPARSE_UNION: {
      int8_t code = ((const int8_t *)a->buffers[0]->data)[a->offset + i];
      for (int32_t c = 0; c < a->n_children; c++)
        if (a->type->type_codes[c] == code) return qv_array_is_valid(a->children[c], a->offset + i);
      return false;
    }
    case QV_DENSE_UNION: {
      int8_t code = ((const int8_t *)a->buffers[0]->data)[a->offset + i];
      int32_t off = ((const int32_t *)a->buffers[1]->data)[a->offset + i];
      for (int32_t c = 0; c < a->n_children; c++)
        if (a->type->type_codes[c] == code) return qv_array_is_valid(a->children[c], off);
      return false;
    }
    default: return !a->buffers[0] || qv_bit_get(a->buffers[0]->data, a->offset + i);
  }
}

qv_status qv_array_slice(qv_array *a, int64_t offset, int64_t length, qv_array **out, qv_error *err) {
  *out = NULL;
  if (offset < 0 || length < 0 || offset > a->length || length > a->length - offset)
    return qv_error_set(err, QV_INVALID, "array: slice [%lld, +%lld) outside an array of %lld",
                        (long long)offset, (long long)length, (long long)a->length);
  int64_t nulls = qv_array_null_count(a) == 0 ? 0 : -1;
  if (a->type->id == QV_NA) nulls = length;
  return qv_array_create(a->type, length, a->offset + offset, nulls, a->buffers, a->n_buffers, a->children,
                         a->n_children, a->dictionary, out, err);
}

/* ---- all-null arrays ------------------------------------------------------ */

static qv_status zeroed(qv_allocator *alloc, int64_t size, qv_buffer **out, qv_error *err) {
  QV_RETURN_NOT_OK(qv_buffer_allocate(alloc, size, out, err));
  memset((*out)->data, 0, (size_t)size);
  return QV_OK;
}

qv_status qv_array_make_nulls(qv_allocator *alloc, qv_data_type *type, int64_t length, qv_array **out,
                              qv_error *err) {
  *out = NULL;
  if (length < 0) return qv_error_set(err, QV_INVALID, "array: negative length");
  qv_buffer *bufs[QV_MAX_BUFFERS] = {0};
  qv_array *kids[128] = {0};
  qv_array *dict = NULL;
  int32_t nb = qv_type_num_buffers(type->id), nk = expected_children(type);
  if (nk > 128) return qv_error_set(err, QV_NOT_IMPLEMENTED, "array: all-null struct of %d fields", nk);
  qv_status st = QV_OK;
  int64_t bitmap = (length + 7) / 8;
  int64_t child_len = 0;
  switch (type->id) {
    case QV_NA: break;
    case QV_BINARY: case QV_UTF8:
    case QV_LARGE_BINARY: case QV_LARGE_UTF8: {
      int64_t ow = (type->id == QV_BINARY || type->id == QV_UTF8) ? 4 : 8;
      st = zeroed(alloc, bitmap, &bufs[0], err);
      if (st == QV_OK) st = zeroed(alloc, (length + 1) * ow, &bufs[1], err);
      if (st == QV_OK) st = zeroed(alloc, 0, &bufs[2], err);
      break;
    }
    case QV_LIST: case QV_MAP: case QV_LARGE_LIST: {
      int64_t ow = type->id == QV_LARGE_LIST ? 8 : 4;
      st = zeroed(alloc, bitmap, &bufs[0], err);
      if (st == QV_OK) st = zeroed(alloc, (length + 1) * ow, &bufs[1], err);
      break;
    }
    case QV_FIXED_SIZE_LIST:
      st = zeroed(alloc, bitmap, &bufs[0], err);
      child_len = length * type->list_size;
      break;
    case QV_STRUCT:
      st = zeroed(alloc, bitmap, &bufs[0], err);
      child_len = length;
      break;
    case QV_SPARSE_UNION:
    case QV_DENSE_UNION:
      /* Every slot points at the first child, which is null there. */
      if (type->n_children == 0) {
        if (length) return qv_error_set(err, QV_INVALID, "array: union without children cannot hold nulls");
        st = zeroed(alloc, 0, &bufs[0], err);
        if (st == QV_OK && nb == 2) st = zeroed(alloc, 0, &bufs[1], err);
        break;
      }
      st = qv_buffer_allocate(alloc, length, &bufs[0], err);
      if (st == QV_OK) memset(bufs[0]->data, type->type_codes[0], (size_t)length);
      if (st == QV_OK && nb == 2) st = zeroed(alloc, length * 4, &bufs[1], err);
      child_len = type->id == QV_SPARSE_UNION ? length : (length ? 1 : 0);
      break;
    case QV_BOOL:
      st = zeroed(alloc, bitmap, &bufs[0], err);
      if (st == QV_OK) st = zeroed(alloc, bitmap, &bufs[1], err);
      break;
    default: /* fixed width, including dictionary indices */
      st = zeroed(alloc, bitmap, &bufs[0], err);
      if (st == QV_OK) st = zeroed(alloc, length * type->byte_width, &bufs[1], err);
      if (st == QV_OK && type->id == QV_DICTIONARY) st = qv_array_make_nulls(alloc, type->dict_value, 0, &dict, err);
      break;
  }
  for (int32_t i = 0; st == QV_OK && i < nk; i++) {
    qv_data_type *ct = type->children[i]->type;
    int64_t n = (type->id == QV_LIST || type->id == QV_LARGE_LIST || type->id == QV_MAP) ? 0 : child_len;
    st = qv_array_make_nulls(alloc, ct, n, &kids[i], err);
  }
  if (st == QV_OK) {
    int64_t nulls = (type->id == QV_SPARSE_UNION || type->id == QV_DENSE_UNION) ? 0 : length;
    st = qv_array_create(type, length, 0, nulls, bufs, nb, kids, nk, dict, out, err);
  }
  for (int32_t i = 0; i < nb; i++) qv_buffer_unref(bufs[i]);
  for (int32_t i = 0; i < nk; i++) qv_array_unref(kids[i]);
  qv_array_unref(dict);
  return st;
}
