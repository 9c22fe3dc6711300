/* Array plumbing the expression kernels share: validity bitmaps combined a
 * byte (eight rows) at a time, zero-copy reuse of an input's validity,
 * take (gather rows by index, for dictionary decoding and CASE branches run
 * on a subset of rows), interleave (merge the results of CASE branches), a
 * builder for variable-length results, and 128-bit decimal helpers. */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

/* ---- bitmaps ---------------------------------------------------------------- */

void qv__bitmap_align(uint8_t *dst, const uint8_t *src, int64_t src_off, int64_t n) {
  int64_t nbytes = (n + 7) / 8;
  if (nbytes == 0) return;
  if (!src) {
    memset(dst, 0xff, (size_t)nbytes);
  } else {
    int shift = (int)(src_off & 7);
    const uint8_t *s = src + (src_off >> 3);
    if (shift == 0) {
      memcpy(dst, s, (size_t)nbytes);
    } else {
      /* Source bits span (shift + n + 7) / 8 bytes; never read past them. */
      int64_t src_bytes = (shift + n + 7) / 8;
      for (int64_t j = 0; j < nbytes; j++) {
        unsigned lo = (unsigned)s[j] >> shift;
        unsigned hi = j + 1 < src_bytes ? (unsigned)s[j + 1] << (8 - shift) : 0u;
        dst[j] = (uint8_t)(lo | hi);
      }
    }
  }
  if (n & 7) dst[nbytes - 1] &= (uint8_t)((1u << (n & 7)) - 1);
}

void qv__bitmap_and_into(uint8_t *dst, const uint8_t *src, int64_t src_off, int64_t n) {
  if (!src) return;
  int64_t nbytes = (n + 7) / 8;
  int shift = (int)(src_off & 7);
  const uint8_t *s = src + (src_off >> 3);
  if (shift == 0) {
    int64_t j = 0;
    for (; j + 8 <= nbytes; j += 8) {
      uint64_t a, b;
      memcpy(&a, dst + j, 8);
      memcpy(&b, s + j, 8);
      a &= b;
      memcpy(dst + j, &a, 8);
    }
    for (; j < nbytes; j++) dst[j] &= s[j];
  } else {
    int64_t src_bytes = (shift + n + 7) / 8;
    for (int64_t j = 0; j < nbytes; j++) {
      unsigned lo = (unsigned)s[j] >> shift;
      unsigned hi = j + 1 < src_bytes ? (unsigned)s[j + 1] << (8 - shift) : 0u;
      dst[j] &= (uint8_t)(lo | hi);
    }
  }
}

qv_status qv__buffer_new(qv_allocator *alloc, int64_t size, qv_buffer **out, qv_error *err) {
  return qv_buffer_allocate(alloc ? alloc : qv_default_allocator(), size, out, err);
}

qv_status qv__buffer_zeroed(qv_allocator *alloc, int64_t size, qv_buffer **out, qv_error *err) {
  QV_RETURN_NOT_OK(qv__buffer_new(alloc, size, out, err));
  if (size) memset((*out)->data, 0, (size_t)size);
  return QV_OK;
}

static bool has_validity(qv_type_id id) {
  return id != QV_NA && id != QV_SPARSE_UNION && id != QV_DENSE_UNION;
}

qv_status qv__validity_of(qv_allocator *alloc, qv_array *a, qv_buffer **out, int64_t *null_count, qv_error *err) {
  *out = NULL;
  *null_count = 0;
  int64_t nulls = qv_array_null_count(a);
  if (nulls == 0) return QV_OK;
  int64_t n = a->length, nbytes = (n + 7) / 8;
  if (a->type->id == QV_NA || !has_validity(a->type->id) || !a->buffers[0]) {
    /* Only NA reaches here (unions are not expression operands). */
    QV_RETURN_NOT_OK(qv__buffer_zeroed(alloc, nbytes, out, err));
    *null_count = n;
    return QV_OK;
  }
  if ((a->offset & 7) == 0) {
    /* Zero-copy: the input's own bits when they start on a byte (bits past
     * the last row may belong to other rows; nothing reads them). */
    QV_RETURN_NOT_OK(qv_buffer_slice(a->buffers[0], a->offset >> 3, nbytes, out, err));
  } else {
    QV_RETURN_NOT_OK(qv__buffer_new(alloc, nbytes, out, err));
    qv__bitmap_align((*out)->data, a->buffers[0]->data, a->offset, n);
  }
  *null_count = nulls;
  return QV_OK;
}

qv_status qv__validity_and(qv_allocator *alloc, const qv_datum *a, const qv_datum *b, int64_t n, qv_buffer **out,
                           int64_t *null_count, qv_error *err) {
  *out = NULL;
  *null_count = 0;
  int64_t nbytes = (n + 7) / 8;
  if (qv__datum_is_null_scalar(a) || (b && qv__datum_is_null_scalar(b))) {
    QV_RETURN_NOT_OK(qv__buffer_zeroed(alloc, nbytes, out, err));
    *null_count = n;
    return QV_OK;
  }
  qv_array *arrs[2];
  int k = 0;
  if (!a->scalar && qv_array_null_count(a->array) > 0) arrs[k++] = a->array;
  if (b && !b->scalar && qv_array_null_count(b->array) > 0) arrs[k++] = b->array;
  if (k == 0) return QV_OK;
  if (k == 1) return qv__validity_of(alloc, arrs[0], out, null_count, err);
  QV_RETURN_NOT_OK(qv__buffer_new(alloc, nbytes, out, err));
  uint8_t *bits = (*out)->data;
  if (arrs[0]->type->id == QV_NA || arrs[1]->type->id == QV_NA) {
    memset(bits, 0, (size_t)nbytes);
  } else {
    qv__bitmap_align(bits, qv__array_data(arrs[0], 0), arrs[0]->offset, n);
    qv__bitmap_and_into(bits, qv__array_data(arrs[1], 0), arrs[1]->offset, n);
  }
  *null_count = n - qv_bitmap_count_set(bits, 0, n);
  if (*null_count == 0) {
    qv_buffer_unref(*out);
    *out = NULL;
  }
  return QV_OK;
}

qv_status qv__array_from_buffers(qv_data_type *type, int64_t n, qv_buffer *validity, int64_t null_count,
                                 qv_buffer *values, qv_array **out, qv_error *err) {
  qv_buffer *bufs[2] = {validity, values};
  qv_status st = qv_array_create(type, n, 0, validity ? null_count : 0, bufs, 2, NULL, 0, NULL, out, err);
  qv_buffer_unref(validity);
  qv_buffer_unref(values);
  return st;
}

/* ---- strings ----------------------------------------------------------------- */

void qv__str_view_init(qv_str_view *v, const qv_array *a) {
  bool large = a->type->id == QV_LARGE_UTF8 || a->type->id == QV_LARGE_BINARY;
  v->validity = qv__array_data(a, 0);
  v->offset = a->offset;
  v->data = qv__array_data(a, 2);
  const uint8_t *offs = qv__array_data(a, 1);
  v->off32 = NULL;
  v->off64 = NULL;
  if (large) v->off64 = (const int64_t *)offs + a->offset;
  else v->off32 = (const int32_t *)offs + a->offset;
}

qv_status qv__str_builder_init(qv_str_builder *b, qv_allocator *alloc, qv_data_type *type, int64_t rows,
                               int64_t data_hint, qv_error *err) {
  memset(b, 0, sizeof *b);
  alloc = alloc ? alloc : qv_default_allocator();
  b->type = type;
  b->large = type->id == QV_LARGE_UTF8 || type->id == QV_LARGE_BINARY;
  qv_bytes_init(&b->offsets, alloc);
  qv_bytes_init(&b->data, alloc);
  int64_t w = b->large ? 8 : 4;
  qv_status st = qv_bytes_reserve(&b->offsets, (rows + 1) * w, err);
  if (st == QV_OK && data_hint > 0) st = qv_bytes_reserve(&b->data, data_hint, err);
  if (st != QV_OK) {
    qv__str_builder_reset(b);
    return st;
  }
  memset(b->offsets.data, 0, (size_t)w);
  b->offsets.size = w;
  return QV_OK;
}

void qv__str_builder_reset(qv_str_builder *b) {
  qv_bytes_reset(&b->offsets);
  qv_bytes_reset(&b->data);
}

static qv_status str_builder_push_offset(qv_str_builder *b, qv_error *err) {
  int64_t end = b->data.size;
  if (b->large) return qv_bytes_append(&b->offsets, &end, 8, err);
  if (end > INT32_MAX)
    return qv_error_set(err, QV_RESOURCE_EXHAUSTED, "expression result: more than 2 GiB of string data in one batch");
  int32_t e32 = (int32_t)end;
  return qv_bytes_append(&b->offsets, &e32, 4, err);
}

qv_status qv__str_builder_append(qv_str_builder *b, const void *p, int64_t len, qv_error *err) {
  if (len) QV_RETURN_NOT_OK(qv_bytes_append(&b->data, p, len, err));
  b->n++;
  return str_builder_push_offset(b, err);
}

qv_status qv__str_builder_reserve(qv_str_builder *b, int64_t len, uint8_t **dst, qv_error *err) {
  QV_RETURN_NOT_OK(qv_bytes_reserve(&b->data, len, err));
  *dst = b->data.data + b->data.size;
  return QV_OK;
}

qv_status qv__str_builder_commit(qv_str_builder *b, int64_t len, qv_error *err) {
  b->data.size += len;
  b->n++;
  return str_builder_push_offset(b, err);
}

qv_status qv__str_builder_finish(qv_str_builder *b, qv_buffer *validity, int64_t null_count, qv_array **out,
                                 qv_error *err) {
  *out = NULL;
  qv_buffer *bufs[3] = {validity, NULL, NULL};
  qv_status st = qv_bytes_finish(&b->offsets, &bufs[1], err);
  if (st == QV_OK) st = qv_bytes_finish(&b->data, &bufs[2], err);
  if (st == QV_OK)
    st = qv_array_create(b->type, b->n, 0, validity ? null_count : 0, bufs, 3, NULL, 0, NULL, out, err);
  for (int i = 0; i < 3; i++) qv_buffer_unref(bufs[i]);
  qv__str_builder_reset(b);
  return st;
}

/* ---- take ----------------------------------------------------------------------- */

/* Validity of rows idx of a: a new bitmap, or NULL when every row is valid. */
static qv_status take_validity(qv_allocator *alloc, const qv_array *a, const int64_t *idx, int64_t n,
                               qv_buffer **out, int64_t *null_count, qv_error *err) {
  *out = NULL;
  *null_count = 0;
  const uint8_t *v = has_validity(a->type->id) ? qv__array_data(a, 0) : NULL;
  bool any_neg = false;
  for (int64_t i = 0; i < n; i++) any_neg |= idx[i] < 0;
  if (!v && !any_neg) return QV_OK;
  QV_RETURN_NOT_OK(qv__buffer_zeroed(alloc, (n + 7) / 8, out, err));
  uint8_t *bits = (*out)->data;
  int64_t nulls = 0;
  for (int64_t i = 0; i < n; i++) {
    bool ok = idx[i] >= 0 && qv__valid_at(v, a->offset + idx[i]);
    if (ok) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
    else nulls++;
  }
  *null_count = nulls;
  if (nulls == 0) {
    qv_buffer_unref(*out);
    *out = NULL;
  }
  return QV_OK;
}

static qv_status take_fixed(qv_allocator *alloc, const uint8_t *src, int32_t w, const int64_t *idx, int64_t n,
                            qv_buffer **out, qv_error *err) {
  QV_RETURN_NOT_OK(qv__buffer_new(alloc, n * w, out, err));
  uint8_t *dst = (*out)->data;
  /* Null rows (idx < 0) read row 0 so the loops stay branch-free; their
   * bytes are never looked at. */
#define TAKE_LOOP(T)                                                                  \
  do {                                                                                \
    const T *s_ = (const T *)src;                                                     \
    T *d_ = (T *)dst;                                                                 \
    for (int64_t i = 0; i < n; i++) d_[i] = s_[idx[i] < 0 ? 0 : idx[i]];              \
  } while (0)
  switch (w) {
    case 1: TAKE_LOOP(uint8_t); break;
    case 2: TAKE_LOOP(uint16_t); break;
    case 4: TAKE_LOOP(uint32_t); break;
    case 8: TAKE_LOOP(uint64_t); break;
    default:
      for (int64_t i = 0; i < n; i++) memcpy(dst + i * w, src + (idx[i] < 0 ? 0 : idx[i]) * w, (size_t)w);
  }
#undef TAKE_LOOP
  return QV_OK;
}

static qv_status take_binary(qv_allocator *alloc, qv_array *a, const int64_t *idx, int64_t n, qv_buffer *validity,
                             int64_t nulls, qv_array **out, qv_error *err) {
  qv_str_view v;
  qv__str_view_init(&v, a);
  int64_t total = 0;
  for (int64_t i = 0; i < n; i++) {
    if (idx[i] < 0) continue;
    int64_t len;
    (void)qv__str_at(&v, idx[i], &len);
    total += len;
  }
  qv_str_builder b;
  qv_status st = qv__str_builder_init(&b, alloc, a->type, n, total, err);
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    return st;
  }
  for (int64_t i = 0; i < n && st == QV_OK; i++) {
    int64_t len = 0;
    const uint8_t *p = idx[i] < 0 ? NULL : qv__str_at(&v, idx[i], &len);
    st = qv__str_builder_append(&b, p, len, err);
  }
  if (st != QV_OK) {
    qv__str_builder_reset(&b);
    qv_buffer_unref(validity);
    return st;
  }
  return qv__str_builder_finish(&b, validity, nulls, out, err);
}

static int64_t offset_at(const qv_array *a, int64_t i) {
  const uint8_t *o = qv__array_data(a, 1);
  if (a->type->id == QV_LARGE_LIST) return ((const int64_t *)o)[a->offset + i];
  return ((const int32_t *)o)[a->offset + i];
}

/* Lists: new offsets, and the child rows of every taken list. */
static qv_status take_list(qv_allocator *alloc, qv_array *a, const int64_t *idx, int64_t n, qv_buffer *validity,
                           int64_t nulls, qv_array **out, qv_error *err) {
  bool large = a->type->id == QV_LARGE_LIST;
  int64_t total = 0;
  for (int64_t i = 0; i < n; i++)
    if (idx[i] >= 0) total += offset_at(a, idx[i] + 1) - offset_at(a, idx[i]);
  qv_buffer *offs = NULL;
  int64_t *child_idx = malloc((size_t)(total ? total : 1) * sizeof *child_idx);
  qv_status st = child_idx ? qv__buffer_new(alloc, (n + 1) * (large ? 8 : 4), &offs, err)
                           : qv_error_set(err, QV_NOMEM, "take: out of memory");
  if (st == QV_OK) {
    int64_t pos = 0;
    for (int64_t i = 0; i <= n; i++) {
      if (large) ((int64_t *)offs->data)[i] = pos;
      else ((int32_t *)offs->data)[i] = (int32_t)pos;
      if (i == n || idx[i] < 0) continue;
      for (int64_t r = offset_at(a, idx[i]); r < offset_at(a, idx[i] + 1); r++) child_idx[pos++] = r;
    }
    if (!large && total > INT32_MAX) st = qv_error_set(err, QV_RESOURCE_EXHAUSTED, "take: list child too long");
  }
  qv_array *child = NULL;
  if (st == QV_OK) st = qv__array_take(alloc, a->children[0], child_idx, total, &child, err);
  free(child_idx);
  if (st == QV_OK) {
    qv_buffer *bufs[2] = {validity, offs};
    st = qv_array_create(a->type, n, 0, validity ? nulls : 0, bufs, 2, &child, 1, NULL, out, err);
  }
  qv_array_unref(child);
  qv_buffer_unref(offs);
  qv_buffer_unref(validity);
  return st;
}

qv_status qv__array_take(qv_allocator *alloc, qv_array *a, const int64_t *idx, int64_t n, qv_array **out,
                         qv_error *err) {
  *out = NULL;
  alloc = alloc ? alloc : qv_default_allocator();
  qv_type_id id = a->type->id;
  if (id == QV_NA) return qv_array_make_nulls(alloc, a->type, n, out, err);
  if (id == QV_SPARSE_UNION || id == QV_DENSE_UNION)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "take: union arrays are not supported in expressions");
  qv_buffer *validity = NULL;
  int64_t nulls = 0;
  QV_RETURN_NOT_OK(take_validity(alloc, a, idx, n, &validity, &nulls, err));
  qv_status st = QV_OK;
  if (qv_type_is_binary_like(id)) return take_binary(alloc, a, idx, n, validity, nulls, out, err);
  if (id == QV_LIST || id == QV_LARGE_LIST || id == QV_MAP) return take_list(alloc, a, idx, n, validity, nulls, out, err);
  if (id == QV_BOOL) {
    qv_buffer *vals = NULL;
    st = qv__buffer_zeroed(alloc, (n + 7) / 8, &vals, err);
    if (st == QV_OK) {
      const uint8_t *src = qv__array_data(a, 1);
      for (int64_t i = 0; i < n; i++)
        if (idx[i] >= 0 && qv_bit_get(src, a->offset + idx[i])) qv_bit_set(vals->data, i);
      return qv__array_from_buffers(a->type, n, validity, nulls, vals, out, err);
    }
    qv_buffer_unref(validity);
    return st;
  }
  if (id == QV_STRUCT || id == QV_FIXED_SIZE_LIST) {
    int64_t per = id == QV_STRUCT ? 1 : a->type->list_size;
    int64_t m = n * per;
    int64_t *cidx = malloc((size_t)(m ? m : 1) * sizeof *cidx);
    qv_array **kids = calloc((size_t)(a->n_children ? a->n_children : 1), sizeof *kids);
    if (!cidx || !kids) st = qv_error_set(err, QV_NOMEM, "take: out of memory");
    for (int64_t i = 0; st == QV_OK && i < n; i++)
      for (int64_t j = 0; j < per; j++) cidx[i * per + j] = idx[i] < 0 ? -1 : (a->offset + idx[i]) * per + j;
    for (int32_t c = 0; st == QV_OK && c < a->n_children; c++)
      st = qv__array_take(alloc, a->children[c], cidx, m, &kids[c], err);
    if (st == QV_OK) {
      qv_buffer *bufs[1] = {validity};
      st = qv_array_create(a->type, n, 0, validity ? nulls : 0, bufs, 1, kids, a->n_children, NULL, out, err);
    }
    for (int32_t c = 0; kids && c < a->n_children; c++) qv_array_unref(kids[c]);
    free(kids);
    free(cidx);
    qv_buffer_unref(validity);
    return st;
  }
  /* Fixed width, including a dictionary's indices. */
  int32_t w = id == QV_DICTIONARY ? a->type->dict_index->byte_width : a->type->byte_width;
  if (w <= 0) {
    qv_buffer_unref(validity);
    char tb[96];
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "take: arrays of %s are not supported",
                        qv_type_to_string(a->type, tb, sizeof tb));
  }
  qv_buffer *vals = NULL;
  st = take_fixed(alloc, qv__array_data(a, 1) + a->offset * w, w, idx, n, &vals, err);
  if (st != QV_OK) {
    qv_buffer_unref(validity);
    return st;
  }
  if (id != QV_DICTIONARY) return qv__array_from_buffers(a->type, n, validity, nulls, vals, out, err);
  qv_buffer *bufs[2] = {validity, vals};
  st = qv_array_create(a->type, n, 0, validity ? nulls : 0, bufs, 2, NULL, 0, a->dictionary, out, err);
  qv_buffer_unref(validity);
  qv_buffer_unref(vals);
  return st;
}

qv_status qv__dictionary_indices(qv_array *a, int64_t **out, qv_error *err) {
  int64_t n = a->length;
  int64_t *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
  if (!idx) return qv_error_set(err, QV_NOMEM, "dictionary: out of memory");
  const uint8_t *raw = qv__array_data(a, 1);
  const uint8_t *v = qv__array_data(a, 0);
  int64_t off = a->offset;
  switch (a->type->dict_index->id) {
    case QV_INT8: for (int64_t i = 0; i < n; i++) idx[i] = ((const int8_t *)raw)[off + i]; break;
    case QV_UINT8: for (int64_t i = 0; i < n; i++) idx[i] = ((const uint8_t *)raw)[off + i]; break;
    case QV_INT16: for (int64_t i = 0; i < n; i++) idx[i] = ((const int16_t *)raw)[off + i]; break;
    case QV_UINT16: for (int64_t i = 0; i < n; i++) idx[i] = ((const uint16_t *)raw)[off + i]; break;
    case QV_INT32: for (int64_t i = 0; i < n; i++) idx[i] = ((const int32_t *)raw)[off + i]; break;
    case QV_UINT32: for (int64_t i = 0; i < n; i++) idx[i] = ((const uint32_t *)raw)[off + i]; break;
    case QV_INT64: for (int64_t i = 0; i < n; i++) idx[i] = ((const int64_t *)raw)[off + i]; break;
    case QV_UINT64: for (int64_t i = 0; i < n; i++) idx[i] = (int64_t)((const uint64_t *)raw)[off + i]; break;
    default: free(idx); return qv_error_set(err, QV_INVALID, "dictionary: index type is not an integer");
  }
  int64_t dict_len = a->dictionary->length;
  for (int64_t i = 0; i < n; i++) {
    if (!qv__valid_at(v, off + i)) idx[i] = -1;
    else if (idx[i] < 0 || idx[i] >= dict_len) {
      int64_t bad = idx[i];
      free(idx);
      return qv_error_set(err, QV_INVALID, "dictionary: index %lld outside a dictionary of %lld values",
                          (long long)bad, (long long)dict_len);
    }
  }
  *out = idx;
  return QV_OK;
}

qv_status qv__dictionary_decode(qv_allocator *alloc, qv_array *a, qv_array **out, qv_error *err) {
  *out = NULL;
  int64_t *idx = NULL;
  QV_RETURN_NOT_OK(qv__dictionary_indices(a, &idx, err));
  qv_status st = qv__array_take(alloc, a->dictionary, idx, a->length, out, err);
  free(idx);
  return st;
}

/* ---- interleave --------------------------------------------------------------------- */

typedef struct source_view {
  const qv_array *a;
  const uint8_t *validity;
  const uint8_t *values;
  int64_t offset;
  bool scalar;
  qv_str_view str;
} source_view;

qv_status qv__array_interleave(qv_allocator *alloc, qv_data_type *type, const qv_datum *sources, int32_t n_sources,
                               const int32_t *src, const int64_t *idx, int64_t n, qv_array **out, qv_error *err) {
  *out = NULL;
  alloc = alloc ? alloc : qv_default_allocator();
  qv_type_id id = type->id;
  if (id == QV_NA) return qv_array_make_nulls(alloc, type, n, out, err);
  bool bin = qv_type_is_binary_like(id);
  if (!bin && id != QV_BOOL && (type->byte_width <= 0 || qv_type_is_nested(id) || id == QV_DICTIONARY)) {
    char tb[96];
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "CASE/COALESCE results of type %s are not supported",
                        qv_type_to_string(type, tb, sizeof tb));
  }
  source_view *sv = calloc((size_t)(n_sources ? n_sources : 1), sizeof *sv);
  if (!sv) return qv_error_set(err, QV_NOMEM, "interleave: out of memory");
  for (int32_t s = 0; s < n_sources; s++) {
    const qv_array *a = sources[s].array;
    sv[s].a = a;
    sv[s].scalar = sources[s].scalar;
    sv[s].offset = a->offset;
    sv[s].validity = a->type->id == QV_NA ? NULL : qv__array_data(a, 0);
    if (a->type->id == QV_NA) continue;
    if (bin) qv__str_view_init(&sv[s].str, a);
    else sv[s].values = qv__array_data(a, 1);
  }
  /* Row i's source row, or -1 for a null row (no source, or a null value). */
  int64_t *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
  qv_buffer *validity = NULL, *vals = NULL;
  qv_status st = rows ? qv__buffer_zeroed(alloc, (n + 7) / 8, &validity, err)
                      : qv_error_set(err, QV_NOMEM, "interleave: out of memory");
  int64_t nulls = 0;
  for (int64_t i = 0; st == QV_OK && i < n; i++) {
    int32_t s = src[i];
    int64_t r = s < 0 ? -1 : (sv[s].scalar ? 0 : idx[i]);
    if (r >= 0 && (sv[s].a->type->id == QV_NA || !qv__valid_at(sv[s].validity, sv[s].offset + r))) r = -1;
    rows[i] = r;
    if (r >= 0) qv_bit_set(validity->data, i);
    else nulls++;
  }
  if (st == QV_OK && nulls == 0) {
    qv_buffer_unref(validity);
    validity = NULL;
  }
  if (st == QV_OK && bin) {
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++) {
      if (rows[i] < 0) continue;
      int64_t len;
      (void)qv__str_at(&sv[src[i]].str, rows[i], &len);
      total += len;
    }
    qv_str_builder b;
    st = qv__str_builder_init(&b, alloc, type, n, total, err);
    for (int64_t i = 0; st == QV_OK && i < n; i++) {
      int64_t len = 0;
      const uint8_t *p = rows[i] < 0 ? NULL : qv__str_at(&sv[src[i]].str, rows[i], &len);
      st = qv__str_builder_append(&b, p, len, err);
    }
    if (st == QV_OK) {
      st = qv__str_builder_finish(&b, validity, nulls, out, err);
      validity = NULL;
    } else {
      qv__str_builder_reset(&b);
    }
  } else if (st == QV_OK && id == QV_BOOL) {
    st = qv__buffer_zeroed(alloc, (n + 7) / 8, &vals, err);
    for (int64_t i = 0; st == QV_OK && i < n; i++)
      if (rows[i] >= 0 && qv_bit_get(sv[src[i]].values, sv[src[i]].offset + rows[i])) qv_bit_set(vals->data, i);
  } else if (st == QV_OK) {
    int32_t w = type->byte_width;
    st = qv__buffer_new(alloc, n * w, &vals, err);
    for (int64_t i = 0; st == QV_OK && i < n; i++) {
      if (rows[i] < 0) memset(vals->data + i * w, 0, (size_t)w);
      else memcpy(vals->data + i * w, sv[src[i]].values + (sv[src[i]].offset + rows[i]) * w, (size_t)w);
    }
  }
  if (st == QV_OK && !bin) {
    st = qv__array_from_buffers(type, n, validity, nulls, vals, out, err);
    validity = vals = NULL;
  }
  qv_buffer_unref(validity);
  qv_buffer_unref(vals);
  free(rows);
  free(sv);
  return st;
}

/* ---- decimals ---------------------------------------------------------------------- */

qv_i128 qv__pow10_i128(int32_t k) {
  qv_i128 p = 1;
  for (int32_t i = 0; i < k && i < 38; i++) p *= 10;
  return p;
}

qv_i128 qv__dec_div_round(qv_i128 v, qv_i128 pow) {
  if (pow == 1) return v;
  qv_i128 q = v / pow, r = v % pow;
  /* Half away from zero: |r| >= pow/2 moves one step away from zero. */
  qv_i128 ar = r < 0 ? -r : r;
  if (ar >= pow - ar) q += v < 0 ? -1 : 1; /* 2|r| >= pow without overflowing */
  return q;
}

int qv__dec_format(qv_i128 v, int32_t scale, char *buf, size_t size) {
  char digits[48];
  int nd = 0;
  bool neg = v < 0;
  /* Work on the magnitude as unsigned so that the most negative value prints. */
  unsigned __int128 m = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
  do {
    digits[nd++] = (char)('0' + (int)(m % 10));
    m /= 10;
  } while (m);
  while (nd <= scale) digits[nd++] = '0';
  char tmp[64];
  int pos = 0;
  if (neg) tmp[pos++] = '-';
  for (int i = nd - 1; i >= 0; i--) {
    tmp[pos++] = digits[i];
    if (i == scale && scale > 0) tmp[pos++] = '.';
  }
  tmp[pos] = '\0';
  if (size) {
    size_t n = (size_t)pos < size - 1 ? (size_t)pos : size - 1;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
  }
  return pos;
}
