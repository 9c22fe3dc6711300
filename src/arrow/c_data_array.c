/* The ArrowArray half of the C Data Interface: arrays and record batches,
 * exported zero-copy and imported zero-copy.
 *
 * Export: every ArrowArray node (children and dictionary included) has its own
 * private block holding a reference to the Quiver array it describes, so a
 * node moved out of its parent stays valid on its own, and the parent's
 * release skips children already released or moved (release == NULL).
 *
 * Import: the ArrowArray is moved into a reference-counted holder; each Quiver
 * buffer made from the producer's memory holds one reference to it, and the
 * producer's release runs once, when the last such buffer goes (children's
 * release callbacks are never called: the specification leaves that to the
 * root's). Buffer sizes are not part of the ABI, so they are computed from the
 * type, offset and length (and the last offset for binary data). Buffers that
 * are not aligned for their element type are copied, so kernels can read them
 * through typed pointers. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "quiver/c_data.h"

#define MAX_DEPTH 64

/* ---- export ------------------------------------------------------------- */

typedef struct array_private {
  qv_array *array;        /* the node's array, or NULL for a record batch */
  qv_record_batch *batch; /* the record batch a top-level struct node stands for */
  const void *buffers[QV_MAX_BUFFERS];
  struct ArrowArray **child_ptrs;
  struct ArrowArray *child_structs;
  struct ArrowArray *dictionary;
} array_private;

static void release_array(struct ArrowArray *a) {
  if (!a || !a->release) return;
  for (int64_t i = 0; i < a->n_children; i++) {
    struct ArrowArray *child = a->children[i];
    if (child->release) child->release(child);
  }
  if (a->dictionary && a->dictionary->release) a->dictionary->release(a->dictionary);
  array_private *p = a->private_data;
  if (p) {
    qv_array_unref(p->array);
    qv_record_batch_unref(p->batch);
    free(p->child_ptrs);
    free(p->child_structs);
    free(p->dictionary);
    free(p);
  }
  a->release = NULL;
  a->private_data = NULL;
}

static qv_status export_nomem(qv_error *err) {
  return qv_error_set(err, QV_NOMEM, "c data: out of memory exporting an array");
}

static qv_status export_node(qv_array *a, int depth, struct ArrowArray *out, qv_error *err);

/* Starts a node in *tmp; release_array(tmp) undoes a partial node. */
static qv_status begin_node(struct ArrowArray *tmp, qv_error *err) {
  memset(tmp, 0, sizeof *tmp);
  array_private *p = calloc(1, sizeof *p);
  if (!p) return export_nomem(err);
  tmp->release = release_array;
  tmp->private_data = p;
  tmp->buffers = p->buffers;
  return QV_OK;
}

static qv_status export_children(qv_array *const *children, int32_t n, int depth,
                                 struct ArrowArray *tmp, qv_error *err) {
  if (n == 0) return QV_OK;
  array_private *p = tmp->private_data;
  p->child_ptrs = calloc((size_t)n, sizeof *p->child_ptrs);
  p->child_structs = calloc((size_t)n, sizeof *p->child_structs);
  if (!p->child_ptrs || !p->child_structs) return export_nomem(err);
  for (int32_t i = 0; i < n; i++) p->child_ptrs[i] = &p->child_structs[i];
  tmp->children = p->child_ptrs;
  tmp->n_children = n; /* unfilled children have release == NULL and are skipped */
  for (int32_t i = 0; i < n; i++)
    QV_RETURN_NOT_OK(export_node(children[i], depth + 1, &p->child_structs[i], err));
  return QV_OK;
}

static qv_status export_node(qv_array *a, int depth, struct ArrowArray *out, qv_error *err) {
  if (depth > MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "c data: array nested deeper than %d levels",
                        MAX_DEPTH);
  if (a->n_buffers < 0 || a->n_buffers > QV_MAX_BUFFERS)
    return qv_error_set(err, QV_INTERNAL, "c data: array with %d buffers", (int)a->n_buffers);
  struct ArrowArray tmp;
  qv_status st = begin_node(&tmp, err);
  if (st != QV_OK) goto fail;
  array_private *p = tmp.private_data;
  p->array = qv_array_ref(a);
  qv_type_id id = a->type->id;
  tmp.length = a->length;
  tmp.offset = a->offset;
  /* NA has no bitmap and every slot null; unions have no bitmap of their own
   * and export 0, as Arrow C++ does. */
  tmp.null_count = id == QV_NA ? a->length
                   : (id == QV_SPARSE_UNION || id == QV_DENSE_UNION) ? 0
                                                                     : qv_array_null_count(a);
  tmp.n_buffers = a->n_buffers;
  for (int32_t i = 0; i < a->n_buffers; i++)
    p->buffers[i] = a->buffers[i] ? qv_buffer_data(a->buffers[i]) : NULL;
  st = export_children(a->children, a->n_children, depth, &tmp, err);
  if (st != QV_OK) goto fail;
  if (a->dictionary) {
    p->dictionary = calloc(1, sizeof *p->dictionary);
    if (!p->dictionary) {
      st = export_nomem(err);
      goto fail;
    }
    st = export_node(a->dictionary, depth + 1, p->dictionary, err);
    if (st != QV_OK) goto fail;
    tmp.dictionary = p->dictionary;
  }
  *out = tmp;
  return QV_OK;
fail:
  release_array(&tmp);
  return st;
}

qv_status qv_array_export(qv_array *array, struct ArrowArray *out, qv_error *err) {
  if (!array || !out) return qv_error_set(err, QV_INVALID, "c data: NULL argument");
  return export_node(array, 0, out, err);
}

qv_status qv_record_batch_export(qv_record_batch *batch, struct ArrowArray *out,
                                 struct ArrowSchema *schema_out, qv_error *err) {
  if (!batch || !out) return qv_error_set(err, QV_INVALID, "c data: NULL argument");
  struct ArrowArray tmp;
  qv_status st = begin_node(&tmp, err);
  if (st == QV_OK) {
    array_private *p = tmp.private_data;
    p->batch = qv_record_batch_ref(batch);
    tmp.length = batch->num_rows;
    tmp.null_count = 0;
    tmp.offset = 0;
    tmp.n_buffers = 1; /* a struct's validity bitmap, absent */
    st = export_children(batch->columns, batch->n_columns, 0, &tmp, err);
  }
  struct ArrowSchema schema;
  if (st == QV_OK && schema_out) st = qv_schema_export(batch->schema, &schema, err);
  if (st != QV_OK) {
    release_array(&tmp);
    return st;
  }
  *out = tmp;
  if (schema_out) *schema_out = schema;
  return QV_OK;
}

/* ---- import ------------------------------------------------------------- */

/* Owns the moved-in root ArrowArray; one reference per Quiver buffer that
 * points into the producer's memory, plus one held while importing. */
typedef struct import_holder {
  atomic_int_fast64_t refs;
  struct ArrowArray array;
} import_holder;

static void holder_unref(void *ctx) {
  import_holder *h = ctx;
  if (atomic_fetch_sub(&h->refs, 1) != 1) return;
  if (h->array.release) h->array.release(&h->array);
  free(h);
}

/* Zero bytes standing in for NULL buffers of zero size (and for the single
 * offset of an empty binary or list array, which producers may omit). */
static const uint64_t zeros[8];

static int64_t bitmap_bytes(int64_t bits) { return bits / 8 + (bits % 8 != 0); }

static int32_t expected_children(const qv_data_type *t) {
  switch (t->id) {
    case QV_LIST: case QV_LARGE_LIST: case QV_FIXED_SIZE_LIST: case QV_MAP: return 1;
    case QV_STRUCT: case QV_SPARSE_UNION: case QV_DENSE_UNION: return t->n_children;
    default: return 0;
  }
}

typedef struct buffer_spec {
  int64_t size;    /* bytes the layout needs */
  int64_t align;   /* alignment the element type needs */
  bool offsets;    /* an offsets buffer (one entry even when empty) */
} buffer_spec;

/* The size of buffer i of a node of type t with `end` = offset + length slots;
 * -1 on overflow. Binary data (buffer 2) is sized by the caller from the last
 * offset. */
static buffer_spec spec_of(const qv_data_type *t, int32_t i, int64_t end) {
  buffer_spec s = {0, 1, false};
  qv_type_id id = t->id;
  int64_t width = 0;
  if (id == QV_SPARSE_UNION || id == QV_DENSE_UNION) {
    if (i == 0) {
      s.size = end; /* int8 type ids */
    } else {
      width = 4;  /* int32 offsets */
    }
  } else if (i == 0) {
    s.size = bitmap_bytes(end);
  } else {
    switch (id) {
      case QV_BOOL: s.size = bitmap_bytes(end); break;
      case QV_BINARY: case QV_UTF8: case QV_LIST: case QV_MAP:
        width = 4;
        s.offsets = true;
        end += 1;
        break;
      case QV_LARGE_BINARY: case QV_LARGE_UTF8: case QV_LARGE_LIST:
        width = 8;
        s.offsets = true;
        end += 1;
        break;
      case QV_DICTIONARY: width = t->dict_index->byte_width; break;
      default: width = t->byte_width; break;
    }
  }
  if (width > 0) {
    if (__builtin_mul_overflow(end, width, &s.size)) s.size = -1;
    /* Natural alignment, at most 8 (decimals and month-day-nano intervals are
     * read as 8-byte words); fixed-size binary has none. */
    s.align = id == QV_FIXED_SIZE_BINARY ? 1 : width >= 8 ? 8 : width;
  }
  return s;
}

static qv_status import_buffer(import_holder *h, const void *ptr, buffer_spec spec, int64_t length,
                               int32_t index, qv_buffer **out, qv_error *err) {
  *out = NULL;
  if (spec.size < 0)
    return qv_error_set(err, QV_INVALID, "c data: buffer %d size overflows", (int)index);
  if (!ptr) {
    if (spec.size == 0) return QV_OK;
    if (spec.offsets && length == 0 && spec.size <= (int64_t)sizeof zeros)
      return qv_buffer_wrap(zeros, spec.size, NULL, NULL, out, err);
    return qv_error_set(err, QV_INVALID,
                        "c data: buffer %d is NULL but the array needs %lld bytes there",
                        (int)index, (long long)spec.size);
  }
  if ((uintptr_t)ptr % (uintptr_t)spec.align != 0)
    return qv_buffer_copy(qv_default_allocator(), ptr, spec.size, out, err);
  QV_RETURN_NOT_OK(qv_buffer_wrap(ptr, spec.size, holder_unref, h, out, err));
  atomic_fetch_add(&h->refs, 1);
  return QV_OK;
}

static qv_status import_node(import_holder *h, const struct ArrowArray *c, qv_data_type *type,
                             int depth, qv_array **out, qv_error *err);

/* Imports the parts of node c into bufs/children/dict; the caller unrefs them
 * whether or not this succeeds. */
static qv_status import_parts(import_holder *h, const struct ArrowArray *c, qv_data_type *t,
                              int depth, qv_buffer **bufs, int32_t nb, qv_array **children,
                              int32_t nc, qv_array **dict, qv_error *err) {
  qv_type_id id = t->id;
  int64_t end = c->offset + c->length;
  for (int32_t i = 0; i < nb; i++) {
    buffer_spec spec = spec_of(t, i, end);
    if (i == 2) {
      /* Binary data: as long as the last offset says. */
      const uint8_t *o = bufs[1] ? qv_buffer_data(bufs[1]) : NULL;
      bool large = id == QV_LARGE_BINARY || id == QV_LARGE_UTF8;
      int64_t last = !o ? 0 : large ? ((const int64_t *)o)[end] : ((const int32_t *)o)[end];
      if (last < 0)
        return qv_error_set(err, QV_INVALID, "c data: last offset %lld is negative",
                            (long long)last);
      spec.size = last;
    }
    if (i == 0 && id != QV_SPARSE_UNION && id != QV_DENSE_UNION && !c->buffers[0]) {
      if (c->null_count > 0)
        return qv_error_set(err, QV_INVALID,
                            "c data: null_count %lld but no validity bitmap",
                            (long long)c->null_count);
      continue;
    }
    QV_RETURN_NOT_OK(import_buffer(h, c->buffers[i], spec, c->length, i, &bufs[i], err));
  }
  for (int32_t i = 0; i < nc; i++) {
    if (!c->children[i])
      return qv_error_set(err, QV_INVALID, "c data: child %d is NULL", (int)i);
    qv_status st = import_node(h, c->children[i], t->children[i]->type, depth + 1, &children[i],
                               err);
    if (st != QV_OK) {
      qv_error_prefix(err, "child '%s'", t->children[i]->name);
      return st;
    }
  }
  if (id == QV_DICTIONARY) {
    qv_status st = import_node(h, c->dictionary, t->dict_value, depth + 1, dict, err);
    if (st != QV_OK) {
      qv_error_prefix(err, "dictionary");
      return st;
    }
  }
  return QV_OK;
}

static qv_status import_node(import_holder *h, const struct ArrowArray *c, qv_data_type *t,
                             int depth, qv_array **out, qv_error *err) {
  *out = NULL;
  if (depth > MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "c data: array nested deeper than %d levels",
                        MAX_DEPTH);
  if (c->length < 0 || c->offset < 0 || c->offset > INT64_MAX - c->length - 1)
    return qv_error_set(err, QV_INVALID, "c data: bad length %lld or offset %lld",
                        (long long)c->length, (long long)c->offset);
  if (c->null_count < -1 || c->null_count > c->length)
    return qv_error_set(err, QV_INVALID, "c data: null_count %lld for length %lld",
                        (long long)c->null_count, (long long)c->length);
  qv_type_id id = t->id;
  int32_t nb = qv_type_num_buffers(id);
  int64_t given_nb = c->n_buffers;
  if (id == QV_NA && given_nb == 1) given_nb = 0; /* pre-1.0 exporters sent a NULL bitmap */
  if (given_nb != nb || nb > QV_MAX_BUFFERS)
    return qv_error_set(err, QV_INVALID, "c data: %lld buffers where the type needs %d",
                        (long long)c->n_buffers, (int)nb);
  if (nb > 0 && !c->buffers) return qv_error_set(err, QV_INVALID, "c data: buffers is NULL");
  int32_t nc = expected_children(t);
  if (c->n_children != nc || (nc > 0 && !c->children))
    return qv_error_set(err, QV_INVALID, "c data: %lld children where the type needs %d",
                        (long long)c->n_children, (int)nc);
  if ((id == QV_DICTIONARY) != (c->dictionary != NULL))
    return qv_error_set(err, QV_INVALID, "%s",
                        id == QV_DICTIONARY ? "c data: dictionary array without a dictionary"
                                            : "c data: dictionary on a non-dictionary array");

  qv_buffer *bufs[QV_MAX_BUFFERS] = {NULL, NULL, NULL};
  qv_array **children = NULL;
  qv_array *dict = NULL;
  qv_status st = QV_OK;
  if (nc > 0) {
    children = calloc((size_t)nc, sizeof *children);
    if (!children) st = qv_error_set(err, QV_NOMEM, "c data: out of memory importing an array");
  }
  if (st == QV_OK) st = import_parts(h, c, t, depth, bufs, nb, children, nc, &dict, err);
  int64_t null_count = id == QV_NA ? c->length : c->null_count;
  if (st == QV_OK)
    st = qv_array_create(t, c->length, c->offset, null_count, bufs, nb, children, nc, dict, out,
                         err);
  for (int32_t i = 0; i < nb; i++) qv_buffer_unref(bufs[i]);
  for (int32_t i = 0; i < nc; i++) qv_array_unref(children[i]);
  free(children);
  qv_array_unref(dict);
  return st;
}

qv_status qv_array_import(struct ArrowArray *in, qv_data_type *type, qv_array **out,
                          qv_error *err) {
  *out = NULL;
  if (!in) return qv_error_set(err, QV_INVALID, "c data: NULL ArrowArray");
  if (!in->release) return qv_error_set(err, QV_INVALID, "c data: ArrowArray is released");
  if (!type) {
    in->release(in);
    in->release = NULL;
    return qv_error_set(err, QV_INVALID, "c data: NULL type");
  }
  import_holder *h = malloc(sizeof *h);
  if (!h) {
    in->release(in);
    in->release = NULL;
    return qv_error_set(err, QV_NOMEM, "c data: out of memory importing an array");
  }
  atomic_init(&h->refs, 1);
  h->array = *in;
  in->release = NULL;
  qv_status st = import_node(h, &h->array, type, 0, out, err);
  holder_unref(h); /* the array's buffers now hold the producer's memory */
  return st;
}

qv_status qv_record_batch_import(struct ArrowArray *in, qv_schema *schema, qv_record_batch **out,
                                 qv_error *err) {
  *out = NULL;
  if (!in) return qv_error_set(err, QV_INVALID, "c data: NULL ArrowArray");
  if (!schema) {
    if (in->release) in->release(in);
    in->release = NULL;
    return qv_error_set(err, QV_INVALID, "c data: NULL schema");
  }
  qv_data_type *st_type;
  qv_status st = qv_type_struct(schema->fields, schema->n_fields, &st_type, err);
  if (st != QV_OK) {
    if (in->release) in->release(in);
    in->release = NULL;
    return st;
  }
  qv_array *a;
  st = qv_array_import(in, st_type, &a, err);
  qv_type_unref(st_type);
  if (st != QV_OK) return st;
  int64_t nulls = qv_array_null_count(a);
  if (nulls != 0) {
    qv_array_unref(a);
    return qv_error_set(err, QV_INVALID,
                        "c data: a record batch's struct array has %lld top-level nulls",
                        (long long)nulls);
  }
  qv_array **cols = NULL;
  if (a->n_children > 0) {
    cols = calloc((size_t)a->n_children, sizeof *cols);
    if (!cols) st = qv_error_set(err, QV_NOMEM, "c data: out of memory importing a batch");
  }
  /* The struct's offset and length apply to every column. */
  for (int32_t i = 0; st == QV_OK && i < a->n_children; i++) {
    qv_array *child = a->children[i];
    if (a->offset == 0 && child->length == a->length) {
      cols[i] = qv_array_ref(child);
    } else if (child->length < a->offset + a->length) {
      st = qv_error_set(err, QV_INVALID,
                        "c data: column %d has length %lld, the batch needs %lld", (int)i,
                        (long long)child->length, (long long)(a->offset + a->length));
    } else {
      st = qv_array_slice(child, a->offset, a->length, &cols[i], err);
    }
  }
  if (st == QV_OK) st = qv_record_batch_create(schema, a->length, cols, a->n_children, out, err);
  for (int32_t i = 0; cols && i < a->n_children; i++) qv_array_unref(cols[i]);
  free(cols);
  qv_array_unref(a);
  return st;
}
