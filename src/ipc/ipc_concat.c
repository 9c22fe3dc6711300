/* Concatenation of two arrays of the same type, for delta dictionaries: a
 * DictionaryBatch with isDelta appends its values to the dictionary already
 * known for its id. Works on any layout and on sliced inputs; every buffer is
 * built with bulk copies (memcpy, bitmap shifts, one loop per offsets
 * buffer). Offsets that would overflow their 32-bit width are an error.
 *
 * (Kept in the IPC module because only it needs concatenation so far; it
 * belongs in src/arrow once a kernel wants it too.) */
#include <string.h>

#include "ipc/ipc_internal.h"

static qv_status concat(qv_allocator *alloc, qv_array *a, qv_array *b, int depth, qv_array **out,
                        qv_error *err);

static qv_status new_buffer(qv_allocator *alloc, int64_t size, qv_buffer **out, uint8_t **data,
                            qv_error *err) {
  QV_RETURN_NOT_OK(qv_buffer_allocate(alloc, size, out, err));
  *data = qv_buffer_mutable_data(*out);
  return QV_OK;
}

static void set_bits(uint8_t *dst, int64_t off, int64_t n) {
  while (n > 0 && (off & 7)) {
    qv_bit_set(dst, off);
    off++, n--;
  }
  memset(dst + (off >> 3), 0xFF, (size_t)(n >> 3));
  off += n & ~(int64_t)7;
  for (n &= 7; n > 0; n--, off++) qv_bit_set(dst, off);
}

static void append_bits(uint8_t *dst, int64_t dst_off, const qv_array *x, int32_t buf) {
  const uint8_t *bits = qv__array_data(x, buf);
  if (bits) qv__bitmap_copy(dst, dst_off, bits, x->offset, x->length);
  else set_bits(dst, dst_off, x->length);
}

/* The validity bitmap of a ++ b: NULL when neither has nulls. */
static qv_status concat_validity(qv_allocator *alloc, qv_array *a, qv_array *b, qv_buffer **out,
                                 int64_t *null_count, qv_error *err) {
  *out = NULL;
  int64_t na = qv_array_null_count(a), nb = qv_array_null_count(b);
  *null_count = na + nb;
  if (na + nb == 0) return QV_OK;
  uint8_t *d;
  QV_RETURN_NOT_OK(new_buffer(alloc, (a->length + b->length + 7) / 8, out, &d, err));
  append_bits(d, 0, a, 0);
  append_bits(d, a->length, b, 0);
  return QV_OK;
}

static qv_status concat_fixed(qv_allocator *alloc, const qv_array *a, const qv_array *b,
                              int32_t buf, int64_t w, qv_buffer **out, qv_error *err) {
  uint8_t *d;
  QV_RETURN_NOT_OK(new_buffer(alloc, (a->length + b->length) * w, out, &d, err));
  if (a->length) memcpy(d, qv__array_data(a, buf) + a->offset * w, (size_t)(a->length * w));
  if (b->length)
    memcpy(d + a->length * w, qv__array_data(b, buf) + b->offset * w, (size_t)(b->length * w));
  return QV_OK;
}

/* The first and one-past-last offset of x's slots. */
static void offset_range(const qv_array *x, int32_t w, int64_t *start, int64_t *end) {
  const uint8_t *p = qv__array_data(x, 1);
  if (x->length == 0 || !p) {
    *start = *end = 0;
    return;
  }
  if (w == 4) {
    const int32_t *o = (const int32_t *)p + x->offset;
    *start = o[0];
    *end = o[x->length];
  } else {
    const int64_t *o = (const int64_t *)p + x->offset;
    *start = o[0];
    *end = o[x->length];
  }
}

/* Offsets of a ++ b, both rebased so the result starts at 0. */
static qv_status concat_offsets(qv_allocator *alloc, const qv_array *a, const qv_array *b,
                                int32_t w, qv_buffer **out, qv_error *err) {
  int64_t as, ae, bs, be;
  offset_range(a, w, &as, &ae);
  offset_range(b, w, &bs, &be);
  int64_t total = (ae - as) + (be - bs);
  if (w == 4 && total > INT32_MAX)
    return qv_error_set(err, QV_INVALID,
                        "concatenated dictionary needs %lld elements, more than 32-bit offsets "
                        "address",
                        (long long)total);
  int64_t la = a->length, lb = b->length;
  uint8_t *d;
  QV_RETURN_NOT_OK(new_buffer(alloc, (la + lb + 1) * w, out, &d, err));
  if (w == 4) {
    int32_t *o = (int32_t *)d;
    o[0] = 0;
    if (la) {
      const int32_t *src = (const int32_t *)qv__array_data(a, 1) + a->offset;
      int32_t base = (int32_t)as;
      for (int64_t i = 0; i <= la; i++) o[i] = src[i] - base;
    }
    if (lb) {
      const int32_t *src = (const int32_t *)qv__array_data(b, 1) + b->offset;
      int32_t shift = (int32_t)((ae - as) - bs);
      for (int64_t i = 0; i <= lb; i++) o[la + i] = src[i] + shift;
    }
  } else {
    int64_t *o = (int64_t *)d;
    o[0] = 0;
    if (la) {
      const int64_t *src = (const int64_t *)qv__array_data(a, 1) + a->offset;
      for (int64_t i = 0; i <= la; i++) o[i] = src[i] - as;
    }
    if (lb) {
      const int64_t *src = (const int64_t *)qv__array_data(b, 1) + b->offset;
      int64_t shift = (ae - as) - bs;
      for (int64_t i = 0; i <= lb; i++) o[la + i] = src[i] + shift;
    }
  }
  return QV_OK;
}

static qv_status concat_slices(qv_allocator *alloc, qv_array *ca, int64_t a_off, int64_t a_len,
                               qv_array *cb, int64_t b_off, int64_t b_len, int depth,
                               qv_array **out, qv_error *err) {
  qv_array *sa = NULL, *sb = NULL;
  qv_status st = qv_array_slice(ca, a_off, a_len, &sa, err);
  if (st == QV_OK) st = qv_array_slice(cb, b_off, b_len, &sb, err);
  if (st == QV_OK) st = concat(alloc, sa, sb, depth + 1, out, err);
  qv_array_unref(sa);
  qv_array_unref(sb);
  return st;
}

/* Dense union offsets: a's as they are, b's shifted by the length of a's
 * child each slot points into; the children are concatenated whole. */
static qv_status concat_dense_offsets(qv_allocator *alloc, const qv_array *a, const qv_array *b,
                                      qv_buffer **out, qv_error *err) {
  const qv_data_type *t = a->type;
  int8_t child_of[128];
  memset(child_of, -1, sizeof child_of);
  for (int32_t i = 0; i < t->n_children; i++) {
    int8_t code = t->type_codes[i];
    if (code >= 0) child_of[code] = (int8_t)i;
  }
  int64_t la = a->length, lb = b->length;
  uint8_t *d;
  QV_RETURN_NOT_OK(new_buffer(alloc, (la + lb) * 4, out, &d, err));
  int32_t *o = (int32_t *)d;
  if (la) memcpy(o, (const int32_t *)qv__array_data(a, 1) + a->offset, (size_t)la * 4);
  const int8_t *ids = (const int8_t *)qv__array_data(b, 0) + b->offset;
  const int32_t *src = lb ? (const int32_t *)qv__array_data(b, 1) + b->offset : NULL;
  for (int64_t i = 0; i < lb; i++) {
    int8_t code = ids[i];
    int8_t k = code >= 0 ? child_of[code] : -1;
    if (k < 0) {
      qv_buffer_unref(*out);
      *out = NULL;
      return qv_error_set(err, QV_INVALID, "union slot %lld has unknown type id %d", (long long)i,
                          (int)code);
    }
    int64_t v = (int64_t)src[i] + a->children[k]->length;
    if (v > INT32_MAX) {
      qv_buffer_unref(*out);
      *out = NULL;
      return qv_error_set(err, QV_INVALID, "concatenated union offsets overflow 32 bits");
    }
    o[la + i] = (int32_t)v;
  }
  return QV_OK;
}

/* The dictionary of concatenated dictionary-encoded values: shared, or b's
 * when a's is a prefix of it (a delta arrived for the inner dictionary). */
static qv_status merged_dictionary(qv_array *a, qv_array *b, qv_array **out, qv_error *err) {
  *out = NULL;
  qv_array *da = a->dictionary, *db = b->dictionary;
  if (da == db || a->length == 0) {
    *out = qv_array_ref(db);
    return QV_OK;
  }
  if (b->length == 0) {
    *out = qv_array_ref(da);
    return QV_OK;
  }
  if (da && db && da->length <= db->length) {
    qv_array *prefix = NULL;
    QV_RETURN_NOT_OK(qv_array_slice(db, 0, da->length, &prefix, err));
    bool same = qv_array_equals(da, prefix);
    qv_array_unref(prefix);
    if (same) {
      *out = qv_array_ref(db);
      return QV_OK;
    }
  }
  return qv_error_set(err, QV_NOT_IMPLEMENTED,
                      "cannot append to dictionary-encoded values whose inner dictionary was "
                      "replaced");
}

static qv_status concat(qv_allocator *alloc, qv_array *a, qv_array *b, int depth, qv_array **out,
                        qv_error *err) {
  *out = NULL;
  if (depth > QV_IPC_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "nesting deeper than %d levels", QV_IPC_MAX_DEPTH);
  qv_data_type *t = a->type;
  if (t->id != b->type->id)
    return qv_error_set(err, QV_INTERNAL, "concatenating arrays of different types");
  int64_t length = a->length + b->length;
  qv_buffer *bufs[QV_MAX_BUFFERS] = {NULL, NULL, NULL};
  int32_t n_bufs = 0;
  qv_array *children_small[4] = {NULL, NULL, NULL, NULL};
  qv_array **children = children_small;
  int32_t n_children = 0;
  qv_array *dictionary = NULL;
  int64_t null_count = 0;
  qv_status st = QV_OK;
  qv_ipc_layout layout = qv__ipc_layout_of(t->id);

  if (layout != QV_IPC_LAYOUT_NA && layout != QV_IPC_LAYOUT_SPARSE_UNION &&
      layout != QV_IPC_LAYOUT_DENSE_UNION)
    st = concat_validity(alloc, a, b, &bufs[0], &null_count, err);
  if (st == QV_OK && t->n_children > 4) {
    children = qv_alloc_zeroed(alloc, (int64_t)t->n_children * (int64_t)sizeof *children);
    if (!children) {
      children = children_small;
      st = qv_error_set(err, QV_NOMEM, "cannot allocate %d children", (int)t->n_children);
    }
  }
  if (st == QV_OK) switch (layout) {
    case QV_IPC_LAYOUT_NA:
      null_count = length;
      break;
    case QV_IPC_LAYOUT_BOOL: {
      n_bufs = 2;
      uint8_t *d;
      st = new_buffer(alloc, (length + 7) / 8, &bufs[1], &d, err);
      if (st == QV_OK) {
        append_bits(d, 0, a, 1);
        append_bits(d, a->length, b, 1);
      }
      break;
    }
    case QV_IPC_LAYOUT_FIXED:
      n_bufs = 2;
      st = concat_fixed(alloc, a, b, 1, t->byte_width, &bufs[1], err);
      break;
    case QV_IPC_LAYOUT_DICTIONARY:
      n_bufs = 2;
      st = concat_fixed(alloc, a, b, 1, t->dict_index->byte_width, &bufs[1], err);
      if (st == QV_OK) st = merged_dictionary(a, b, &dictionary, err);
      break;
    case QV_IPC_LAYOUT_BINARY:
    case QV_IPC_LAYOUT_LARGE_BINARY: {
      int32_t w = layout == QV_IPC_LAYOUT_BINARY ? 4 : 8;
      n_bufs = 3;
      st = concat_offsets(alloc, a, b, w, &bufs[1], err);
      if (st == QV_OK) {
        int64_t as, ae, bs, be;
        offset_range(a, w, &as, &ae);
        offset_range(b, w, &bs, &be);
        uint8_t *d;
        st = new_buffer(alloc, (ae - as) + (be - bs), &bufs[2], &d, err);
        if (st == QV_OK && ae > as) memcpy(d, qv__array_data(a, 2) + as, (size_t)(ae - as));
        if (st == QV_OK && be > bs)
          memcpy(d + (ae - as), qv__array_data(b, 2) + bs, (size_t)(be - bs));
      }
      break;
    }
    case QV_IPC_LAYOUT_LIST:
    case QV_IPC_LAYOUT_LARGE_LIST: {
      int32_t w = layout == QV_IPC_LAYOUT_LIST ? 4 : 8;
      n_bufs = 2;
      st = concat_offsets(alloc, a, b, w, &bufs[1], err);
      if (st == QV_OK) {
        int64_t as, ae, bs, be;
        offset_range(a, w, &as, &ae);
        offset_range(b, w, &bs, &be);
        n_children = 1;
        st = concat_slices(alloc, a->children[0], as, ae - as, b->children[0], bs, be - bs, depth,
                           &children[0], err);
      }
      break;
    }
    case QV_IPC_LAYOUT_FIXED_LIST: {
      int64_t size = t->list_size;
      n_bufs = 1;
      n_children = 1;
      st = concat_slices(alloc, a->children[0], a->offset * size, a->length * size, b->children[0],
                         b->offset * size, b->length * size, depth, &children[0], err);
      break;
    }
    case QV_IPC_LAYOUT_STRUCT:
      n_bufs = 1;
      for (int32_t i = 0; i < t->n_children && st == QV_OK; i++, n_children++)
        st = concat_slices(alloc, a->children[i], a->offset, a->length, b->children[i], b->offset,
                           b->length, depth, &children[i], err);
      break;
    case QV_IPC_LAYOUT_SPARSE_UNION:
      n_bufs = 1;
      st = concat_fixed(alloc, a, b, 0, 1, &bufs[0], err);
      for (int32_t i = 0; i < t->n_children && st == QV_OK; i++, n_children++)
        st = concat_slices(alloc, a->children[i], a->offset, a->length, b->children[i], b->offset,
                           b->length, depth, &children[i], err);
      break;
    case QV_IPC_LAYOUT_DENSE_UNION:
      n_bufs = 2;
      st = concat_fixed(alloc, a, b, 0, 1, &bufs[0], err);
      if (st == QV_OK) st = concat_dense_offsets(alloc, a, b, &bufs[1], err);
      for (int32_t i = 0; i < t->n_children && st == QV_OK; i++, n_children++)
        st = concat(alloc, a->children[i], b->children[i], depth + 1, &children[i], err);
      break;
  }
  if (st == QV_OK)
    st = qv_array_create(t, length, 0, null_count, bufs, n_bufs, children, n_children, dictionary,
                         out, err);
  for (int32_t i = 0; i < QV_MAX_BUFFERS; i++) qv_buffer_unref(bufs[i]);
  for (int32_t i = 0; i < n_children; i++) qv_array_unref(children[i]);
  if (children != children_small)
    qv_free(alloc, children, (int64_t)t->n_children * (int64_t)sizeof *children);
  qv_array_unref(dictionary);
  return st;
}

qv_status qv__ipc_array_concat(qv_allocator *alloc, qv_array *a, qv_array *b, qv_array **out,
                               qv_error *err) {
  return concat(alloc, a, b, 0, out, err);
}
