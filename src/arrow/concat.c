/* Concatenation of any number of arrays of one type (and of record batches):
 * CoalesceBatches, dictionary deltas in IPC, and the kernels that grow an
 * array by a few slots (a dense union gaining a null).
 *
 * Every buffer is built with bulk copies: validity and boolean bitmaps with
 * bit-range copies, fixed-width values with one memcpy per piece, offsets
 * with one rebasing loop per piece. Nested children are concatenated from
 * slices of the range each piece covers (lists, structs, sparse unions);
 * dense unions concatenate their children whole and shift each piece's
 * offsets by what the earlier pieces contributed to the same child.
 * Dictionary arrays share one dictionary when they can (same, or prefixes of
 * the longest one: IPC deltas) and otherwise get the dictionaries appended
 * one after another, with each piece's indices shifted. */
#include <string.h>

#include "arrow/compute_internal.h"

/* Scratch memory of one concatenation level, freed together. */
typedef struct scratch {
  qv_allocator *alloc;
  int64_t *ranges;     /* 2 per piece: start, length in the child or data */
  qv_array **pieces;   /* one per piece */
  int64_t bytes;
} scratch;

static qv_status scratch_init(scratch *s, qv_allocator *alloc, int32_t n, qv_error *err) {
  s->alloc = alloc;
  s->bytes = (int64_t)(n ? n : 1) * (16 + (int64_t)sizeof(qv_array *));
  void *mem = qv_alloc_zeroed(alloc, s->bytes);
  if (!mem) return qv_error_set(err, QV_NOMEM, "concat: cannot allocate scratch for %d arrays", n);
  s->ranges = mem;
  s->pieces = (qv_array **)(s->ranges + 2 * (n ? n : 1));
  return QV_OK;
}

static void scratch_reset(scratch *s) {
  if (s->ranges) qv_free(s->alloc, s->ranges, s->bytes);
  s->ranges = NULL;
}

/* The first and one-past-last offset of x's slots (offset width w). */
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

/* Validity of the concatenation: NULL when no piece has nulls. */
static qv_status concat_validity(qv_allocator *alloc, qv_array *const *a, int32_t n,
                                 int64_t length, qv_buffer **out, int64_t *null_count,
                                 qv_error *err) {
  *out = NULL;
  int64_t nulls = 0;
  for (int32_t i = 0; i < n; i++) nulls += qv_array_null_count(a[i]);
  *null_count = nulls;
  if (nulls == 0) return QV_OK;
  uint8_t *d;
  QV_RETURN_NOT_OK(qv__new_buffer(alloc, (length + 7) / 8, out, &d, err));
  int64_t pos = 0;
  for (int32_t i = 0; i < n; pos += a[i]->length, i++) {
    const uint8_t *bits = qv__array_data(a[i], 0);
    if (bits) qv__bits_copy(d, pos, bits, a[i]->offset, a[i]->length);
    else qv__bits_fill(d, pos, a[i]->length, true);
  }
  return QV_OK;
}

/* Buffer `buf` of every piece, w bytes per slot, one after another. */
static qv_status concat_fixed(qv_allocator *alloc, qv_array *const *a, int32_t n, int32_t buf,
                              int64_t w, int64_t length, qv_buffer **out, qv_error *err) {
  uint8_t *d;
  QV_RETURN_NOT_OK(qv__new_buffer(alloc, length * w, out, &d, err));
  int64_t pos = 0;
  for (int32_t i = 0; i < n; i++) {
    int64_t bytes = a[i]->length * w;
    if (bytes) memcpy(d + pos, qv__array_data(a[i], buf) + a[i]->offset * w, (size_t)bytes);
    pos += bytes;
  }
  return QV_OK;
}

/* Offsets of the concatenation, each piece rebased to follow the previous
 * one; ranges[2i], ranges[2i+1] receive the data range piece i covers. */
static qv_status concat_offsets(qv_allocator *alloc, qv_array *const *a, int32_t n, int32_t w,
                                int64_t length, int64_t *ranges, int64_t *total,
                                qv_buffer **out, qv_error *err) {
  int64_t sum = 0;
  for (int32_t i = 0; i < n; i++) {
    int64_t s, e;
    offset_range(a[i], w, &s, &e);
    ranges[2 * i] = s;
    ranges[2 * i + 1] = e - s;
    sum += e - s;
  }
  *total = sum;
  if (w == 4 && sum > INT32_MAX)
    return qv_error_set(err, QV_INVALID,
                        "concat: %lld bytes or elements, more than 32-bit offsets address",
                        (long long)sum);
  uint8_t *d;
  QV_RETURN_NOT_OK(qv__new_buffer(alloc, (length + 1) * w, out, &d, err));
  int64_t pos = 0, acc = 0;
  if (w == 4) {
    int32_t *o = (int32_t *)d;
    o[0] = 0;
    for (int32_t i = 0; i < n; i++) {
      int64_t len = a[i]->length;
      if (!len) continue;
      const int32_t *src = (const int32_t *)qv__array_data(a[i], 1) + a[i]->offset;
      int32_t shift = (int32_t)(acc - ranges[2 * i]);
      for (int64_t j = 1; j <= len; j++) o[pos + j] = src[j] + shift;
      pos += len;
      acc += ranges[2 * i + 1];
    }
  } else {
    int64_t *o = (int64_t *)d;
    o[0] = 0;
    for (int32_t i = 0; i < n; i++) {
      int64_t len = a[i]->length;
      if (!len) continue;
      const int64_t *src = (const int64_t *)qv__array_data(a[i], 1) + a[i]->offset;
      int64_t shift = acc - ranges[2 * i];
      for (int64_t j = 1; j <= len; j++) o[pos + j] = src[j] + shift;
      pos += len;
      acc += ranges[2 * i + 1];
    }
  }
  return QV_OK;
}

/* Concatenates child c of every piece, restricted to ranges (start, length
 * pairs, one per piece). */
static qv_status concat_child_ranges(qv_allocator *alloc, qv_array *const *a, int32_t n, int32_t c,
                                     const int64_t *ranges, qv_array **pieces, int depth,
                                     qv_array **out, qv_error *err) {
  qv_status st = QV_OK;
  int32_t made = 0;
  for (; made < n && st == QV_OK; made++)
    st = qv_array_slice(a[made]->children[c], ranges[2 * made], ranges[2 * made + 1],
                        &pieces[made], err);
  if (st == QV_OK) st = qv__array_concat(alloc, pieces, n, depth + 1, out, err);
  for (int32_t i = 0; i < made; i++) {
    qv_array_unref(pieces[i]);
    pieces[i] = NULL;
  }
  return st;
}

/* ---- dictionaries ---------------------------------------------------------- */

/* The largest index value an index type can hold. */
static int64_t index_max(qv_type_id id) {
  switch (id) {
    case QV_INT8: return INT8_MAX;
    case QV_UINT8: return UINT8_MAX;
    case QV_INT16: return INT16_MAX;
    case QV_UINT16: return UINT16_MAX;
    case QV_INT32: return INT32_MAX;
    case QV_UINT32: return UINT32_MAX;
    default: return INT64_MAX;
  }
}

/* Adds shift to n indices; a result outside [0, dict_len) can only come
 * from the unspecified bytes under a null slot and is written as 0. */
#define SHIFT_INDICES(T)                                              \
  do {                                                                \
    T *p_ = (T *)d;                                                   \
    for (int64_t i = 0; i < n; i++) {                                 \
      int64_t v_ = (int64_t)p_[i] + shift;                            \
      p_[i] = (T)(v_ >= 0 && v_ < dict_len ? v_ : 0);                 \
    }                                                                 \
  } while (0)

static void shift_indices(uint8_t *d, qv_type_id index_id, int64_t n, int64_t shift,
                          int64_t dict_len) {
  switch (index_id) {
    case QV_INT8: SHIFT_INDICES(int8_t); break;
    case QV_UINT8: SHIFT_INDICES(uint8_t); break;
    case QV_INT16: SHIFT_INDICES(int16_t); break;
    case QV_UINT16: SHIFT_INDICES(uint16_t); break;
    case QV_INT32: SHIFT_INDICES(int32_t); break;
    case QV_UINT32: SHIFT_INDICES(uint32_t); break;
    case QV_UINT64: SHIFT_INDICES(uint64_t); break;
    default: SHIFT_INDICES(int64_t); break;
  }
}

/* Whether dictionary d is the longest dictionary D or a prefix of it. */
static qv_status is_prefix(qv_array *d, qv_array *longest, bool *out, qv_error *err) {
  *out = d == longest;
  if (*out || d->length > longest->length) return QV_OK;
  qv_array *head = NULL;
  QV_RETURN_NOT_OK(qv_array_slice(longest, 0, d->length, &head, err));
  *out = qv_array_equals(d, head);
  qv_array_unref(head);
  return QV_OK;
}

/* Concatenates dictionary-encoded pieces: the indices buffer (bufs[1]) and
 * the dictionary of the result. */
static qv_status concat_dictionary(qv_allocator *alloc, qv_array *const *a, int32_t n,
                                   int64_t length, scratch *s, int depth, qv_buffer **indices,
                                   qv_array **dict, qv_error *err) {
  const qv_data_type *t = a[0]->type;
  int64_t w = t->dict_index->byte_width;
  QV_RETURN_NOT_OK(concat_fixed(alloc, a, n, 1, w, length, indices, err));
  qv_array *longest = NULL;
  for (int32_t i = 0; i < n; i++)
    if (a[i]->length && (!longest || a[i]->dictionary->length > longest->length))
      longest = a[i]->dictionary;
  if (!longest) longest = a[0]->dictionary; /* every piece is empty */
  bool shared = true;
  for (int32_t i = 0; i < n && shared; i++)
    if (a[i]->length) QV_RETURN_NOT_OK(is_prefix(a[i]->dictionary, longest, &shared, err));
  if (shared) {
    *dict = qv_array_ref(longest);
    return QV_OK;
  }
  /* Append the dictionaries (consecutive pieces sharing one count once). */
  int64_t *shift = s->ranges; /* ranges[2i] = shift of piece i */
  int32_t nd = 0;
  int64_t dict_len = 0;
  qv_array *last = NULL;
  for (int32_t i = 0; i < n; i++) {
    if (!a[i]->length) continue;
    if (a[i]->dictionary != last) {
      last = a[i]->dictionary;
      s->pieces[nd++] = last;
      dict_len += last->length;
    }
    shift[2 * i] = dict_len - last->length;
  }
  if (dict_len - 1 > index_max(t->dict_index->id)) {
    char tbuf[128];
    return qv_error_set(err, QV_INVALID,
                        "concat: the merged dictionary has %lld values, more than %s indices "
                        "address",
                        (long long)dict_len, qv_type_to_string(t->dict_index, tbuf, sizeof tbuf));
  }
  qv_status st = qv__array_concat(alloc, s->pieces, nd, depth + 1, dict, err);
  memset(s->pieces, 0, (size_t)n * sizeof *s->pieces); /* borrowed, not to be unref'd */
  QV_RETURN_NOT_OK(st);
  uint8_t *d = qv_buffer_mutable_data(*indices);
  for (int32_t i = 0; i < n; d += a[i]->length * w, i++)
    if (a[i]->length && shift[2 * i])
      shift_indices(d, t->dict_index->id, a[i]->length, shift[2 * i], dict_len);
  return QV_OK;
}

/* ---- dense unions --------------------------------------------------------- */

/* Type ids (bufs[0]) and offsets (bufs[1]): each piece's offsets shifted by
 * the lengths of the same child in the earlier pieces; kids[c] = the
 * concatenation of every piece's child c, whole. */
static qv_status concat_dense_union(qv_allocator *alloc, qv_array *const *a, int32_t n,
                                    int64_t length, scratch *s, int depth, qv_buffer **bufs,
                                    qv_array **kids, int32_t *n_kids, qv_error *err) {
  const qv_data_type *t = a[0]->type;
  if (t->n_children > 128)
    return qv_error_set(err, QV_INVALID, "concat: a union of %d children", t->n_children);
  QV_RETURN_NOT_OK(concat_fixed(alloc, a, n, 0, 1, length, &bufs[0], err));
  uint8_t *d;
  QV_RETURN_NOT_OK(qv__new_buffer(alloc, length * 4, &bufs[1], &d, err));
  int8_t child_of[128];
  qv__union_child_of(t, child_of);
  int64_t before[128] = {0}; /* child lengths of the earlier pieces */
  int32_t *o = (int32_t *)d;
  int64_t pos = 0;
  for (int32_t i = 0; i < n; i++) {
    int64_t len = a[i]->length;
    const int8_t *ids = len ? (const int8_t *)qv__array_data(a[i], 0) + a[i]->offset : NULL;
    const int32_t *src = len ? (const int32_t *)qv__array_data(a[i], 1) + a[i]->offset : NULL;
    for (int64_t j = 0; j < len; j++) {
      int8_t code = ids[j];
      int8_t k = code >= 0 ? child_of[code] : -1;
      if (k < 0)
        return qv_error_set(err, QV_INVALID, "concat: union slot %lld has unknown type id %d",
                            (long long)j, (int)code);
      int64_t v = (int64_t)src[j] + before[k];
      if (v > INT32_MAX)
        return qv_error_set(err, QV_INVALID, "concat: union offsets overflow 32 bits");
      o[pos + j] = (int32_t)v;
    }
    pos += len;
    for (int32_t c = 0; c < t->n_children; c++) before[c] += a[i]->children[c]->length;
  }
  for (int32_t c = 0; c < t->n_children; c++, (*n_kids)++) {
    for (int32_t i = 0; i < n; i++) s->pieces[i] = a[i]->children[c];
    qv_status st = qv__array_concat(alloc, s->pieces, n, depth + 1, &kids[c], err);
    memset(s->pieces, 0, (size_t)n * sizeof *s->pieces); /* borrowed */
    QV_RETURN_NOT_OK(st);
  }
  return QV_OK;
}

/* ---- the kernel ----------------------------------------------------------- */

qv_status qv__array_concat(qv_allocator *alloc, qv_array *const *a, int32_t n, int depth,
                           qv_array **out, qv_error *err) {
  *out = NULL;
  if (depth > QV_COMPUTE_MAX_DEPTH)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "concat: nesting deeper than %d levels",
                        QV_COMPUTE_MAX_DEPTH);
  if (n < 1) return qv_error_set(err, QV_INVALID, "concat: no arrays");
  if (n == 1) {
    *out = qv_array_ref(a[0]);
    return QV_OK;
  }
  qv_data_type *t = a[0]->type;
  int64_t length = 0;
  for (int32_t i = 0; i < n; i++) {
    if (a[i]->type != t && !qv_type_equals(a[i]->type, t)) {
      char x[128], y[128];
      return qv_error_set(err, QV_INVALID, "concat: array %d is %s, array 0 is %s", i,
                          qv_type_to_string(a[i]->type, x, sizeof x),
                          qv_type_to_string(t, y, sizeof y));
    }
    if (a[i]->length > INT64_MAX / 2 - length)
      return qv_error_set(err, QV_INVALID, "concat: total length overflows");
    length += a[i]->length;
  }
  qv_buffer *bufs[QV_MAX_BUFFERS] = {NULL, NULL, NULL};
  int32_t n_bufs = qv_type_num_buffers(t->id);
  qv_array *kids_small[4] = {NULL, NULL, NULL, NULL};
  qv_array **kids = kids_small;
  int64_t kids_bytes = 0;
  int32_t n_kids = 0;
  qv_array *dict = NULL;
  int64_t null_count = 0;
  scratch s = {0};
  qv_status st = scratch_init(&s, alloc, n, err);
  if (st == QV_OK && t->n_children > 4) {
    kids_bytes = (int64_t)t->n_children * (int64_t)sizeof *kids;
    kids = qv_alloc_zeroed(alloc, kids_bytes);
    if (!kids) {
      kids = kids_small;
      st = qv_error_set(err, QV_NOMEM, "concat: cannot allocate %d children", t->n_children);
    }
  }
  if (st == QV_OK && qv__has_validity(t->id))
    st = concat_validity(alloc, a, n, length, &bufs[0], &null_count, err);
  if (st == QV_OK) switch (t->id) {
    case QV_NA:
      null_count = length;
      break;
    case QV_BOOL: {
      uint8_t *d;
      st = qv__new_buffer(alloc, (length + 7) / 8, &bufs[1], &d, err);
      for (int64_t i = 0, pos = 0; st == QV_OK && i < n; pos += a[i]->length, i++)
        qv__bits_copy(d, pos, qv__array_data(a[i], 1), a[i]->offset, a[i]->length);
      break;
    }
    case QV_BINARY:
    case QV_UTF8:
    case QV_LARGE_BINARY:
    case QV_LARGE_UTF8: {
      int32_t w = (t->id == QV_BINARY || t->id == QV_UTF8) ? 4 : 8;
      int64_t total = 0;
      uint8_t *d;
      st = concat_offsets(alloc, a, n, w, length, s.ranges, &total, &bufs[1], err);
      if (st == QV_OK) st = qv__new_buffer(alloc, total, &bufs[2], &d, err);
      for (int64_t i = 0, pos = 0; st == QV_OK && i < n; pos += s.ranges[2 * i + 1], i++)
        if (s.ranges[2 * i + 1])
          memcpy(d + pos, qv__array_data(a[i], 2) + s.ranges[2 * i], (size_t)s.ranges[2 * i + 1]);
      break;
    }
    case QV_LIST:
    case QV_LARGE_LIST:
    case QV_MAP: {
      int64_t total;
      st = concat_offsets(alloc, a, n, t->id == QV_LARGE_LIST ? 8 : 4, length, s.ranges, &total,
                          &bufs[1], err);
      if (st == QV_OK) {
        n_kids = 1;
        st = concat_child_ranges(alloc, a, n, 0, s.ranges, s.pieces, depth, &kids[0], err);
      }
      break;
    }
    case QV_FIXED_SIZE_LIST: {
      int64_t size = t->list_size;
      for (int32_t i = 0; i < n; i++) {
        s.ranges[2 * i] = a[i]->offset * size;
        s.ranges[2 * i + 1] = a[i]->length * size;
      }
      n_kids = 1;
      st = concat_child_ranges(alloc, a, n, 0, s.ranges, s.pieces, depth, &kids[0], err);
      break;
    }
    case QV_STRUCT:
    case QV_SPARSE_UNION:
      if (t->id == QV_SPARSE_UNION) st = concat_fixed(alloc, a, n, 0, 1, length, &bufs[0], err);
      for (int32_t i = 0; i < n; i++) {
        s.ranges[2 * i] = a[i]->offset;
        s.ranges[2 * i + 1] = a[i]->length;
      }
      for (int32_t c = 0; c < t->n_children && st == QV_OK; c++, n_kids++)
        st = concat_child_ranges(alloc, a, n, c, s.ranges, s.pieces, depth, &kids[c], err);
      break;
    case QV_DENSE_UNION:
      st = concat_dense_union(alloc, a, n, length, &s, depth, bufs, kids, &n_kids, err);
      break;
    case QV_DICTIONARY:
      st = concat_dictionary(alloc, a, n, length, &s, depth, &bufs[1], &dict, err);
      break;
    default:
      st = concat_fixed(alloc, a, n, 1, t->byte_width, length, &bufs[1], err);
      break;
  }
  if (st == QV_OK)
    st = qv_array_create(t, length, 0, null_count, bufs, n_bufs, kids, n_kids, dict, out, err);
  for (int32_t i = 0; i < QV_MAX_BUFFERS; i++) qv_buffer_unref(bufs[i]);
  for (int32_t i = 0; i < n_kids; i++) qv_array_unref(kids[i]);
  if (kids != kids_small) qv_free(alloc, kids, kids_bytes);
  qv_array_unref(dict);
  scratch_reset(&s);
  return st;
}

qv_status qv_array_concat(qv_allocator *alloc, qv_array *const *arrays, int32_t n, qv_array **out,
                          qv_error *err) {
  *out = NULL;
  if (!alloc) alloc = qv_default_allocator();
  if (n < 1 || !arrays) return qv_error_set(err, QV_INVALID, "concat: no arrays");
  return qv__array_concat(alloc, arrays, n, 0, out, err);
}

qv_status qv_record_batch_concat(qv_allocator *alloc, qv_schema *schema,
                                 qv_record_batch *const *batches, int32_t n,
                                 qv_record_batch **out, qv_error *err) {
  *out = NULL;
  if (!alloc) alloc = qv_default_allocator();
  if (!schema) return qv_error_set(err, QV_INVALID, "concat: no schema");
  if (n < 0) return qv_error_set(err, QV_INVALID, "concat: %d batches", n);
  int32_t nc = schema->n_fields;
  int64_t rows = 0;
  for (int32_t i = 0; i < n; i++) {
    if (batches[i]->n_columns != nc)
      return qv_error_set(err, QV_INVALID, "concat: batch %d has %d columns, the schema %d", i,
                          batches[i]->n_columns, nc);
    rows += batches[i]->num_rows;
  }
  if (n == 1 && (batches[0]->schema == schema || qv_schema_equals(batches[0]->schema, schema))) {
    *out = qv_record_batch_ref(batches[0]);
    return QV_OK;
  }
  int64_t cols_bytes = (int64_t)(nc ? nc : 1) * (int64_t)sizeof(qv_array *);
  int64_t pieces_bytes = (int64_t)(n ? n : 1) * (int64_t)sizeof(qv_array *);
  qv_array **cols = qv_alloc_zeroed(alloc, cols_bytes);
  qv_array **pieces = qv_alloc_zeroed(alloc, pieces_bytes);
  qv_status st = QV_OK;
  if (!cols || !pieces) st = qv_error_set(err, QV_NOMEM, "concat: cannot allocate %d columns", nc);
  for (int32_t c = 0; c < nc && st == QV_OK; c++) {
    qv_field *f = schema->fields[c];
    if (n == 0) {
      st = qv_array_make_nulls(alloc, f->type, 0, &cols[c], err);
      continue;
    }
    for (int32_t i = 0; i < n; i++) pieces[i] = batches[i]->columns[c];
    if (!qv_type_equals(pieces[0]->type, f->type)) {
      char x[128], y[128];
      st = qv_error_set(err, QV_INVALID, "concat: column %d ('%s') is %s, the schema says %s", c,
                        f->name, qv_type_to_string(pieces[0]->type, x, sizeof x),
                        qv_type_to_string(f->type, y, sizeof y));
      break;
    }
    st = qv__array_concat(alloc, pieces, n, 0, &cols[c], err);
    if (st != QV_OK) qv_error_prefix(err, "column %d ('%s')", c, f->name);
  }
  if (st == QV_OK) st = qv_record_batch_create(schema, rows, cols, nc, out, err);
  if (cols)
    for (int32_t c = 0; c < nc; c++) qv_array_unref(cols[c]);
  qv_free(alloc, cols, cols_bytes);
  qv_free(alloc, pieces, pieces_bytes);
  return st;
}
