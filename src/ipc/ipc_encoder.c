/* The IPC message encoder: a schema and record batches to Schema,
 * DictionaryBatch and RecordBatch payloads.
 *
 * A body is described, not built: each buffer becomes a part pointing into
 * the array's own memory (with a reference on its qv_buffer), followed by a
 * padding part of static zeros, so the only copy of the data is the one a
 * sink makes. Bytes are produced only where the format needs different bytes
 * than memory holds: bitmaps of arrays sliced at a bit offset that is not a
 * multiple of 8 (shifted), offsets of sliced variable-size arrays (rebased to
 * 0), and compressed buffers.
 *
 * Dictionaries: the encoder keeps, per dictionary id, the dictionary array it
 * last sent (a reference, so the pointer identifies it). A batch whose
 * dictionary is another object triggers a delta (when the old one is a prefix
 * of the new) or a replacement; changes are staged and committed only when
 * the whole batch encoded, so a failed call leaves the encoder as it was. */
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc_internal.h"

typedef struct enc_dict {
  int64_t id;
  qv_data_type *value_type; /* borrowed from the wire schema */
  bool nested;              /* the values contain dictionary-encoded fields */
  qv_array *sent;           /* last dictionary written, NULL before the first */
  qv_array *pending;        /* the one the batch being encoded uses */
} enc_dict;

struct qv_ipc_encoder {
  qv_allocator *alloc;
  qv_ipc_write_options opts;
  qv_ipc_codec codec;
  qv_schema *schema;      /* as given */
  qv_schema *wire_schema; /* with dictionary ids assigned */
  enc_dict *dicts;        /* sorted by id */
  int64_t n_dicts;
  bool file_mode;
  qv_codec_ctx codec_ctx;
};

/* ---- growable arrays ---------------------------------------------------------- */

static qv_status grow(qv_allocator *alloc, void **items, int64_t *capacity, int64_t need,
                      int64_t item_size, qv_error *err) {
  if (need <= *capacity) return QV_OK;
  int64_t cap = *capacity ? *capacity * 2 : 16;
  while (cap < need) cap *= 2;
  void *p = qv_realloc(alloc, *items, *capacity * item_size, cap * item_size);
  if (!p) return qv_error_set(err, QV_NOMEM, "ipc: out of memory growing an encoder list");
  *items = p;
  *capacity = cap;
  return QV_OK;
}

/* ---- dictionary ids ----------------------------------------------------------- */

static int64_t max_dictionary_id(const qv_data_type *t, int depth);

static int64_t field_max_dictionary_id(const qv_field *f, int depth) {
  int64_t m = f->type->id == QV_DICTIONARY ? f->dictionary_id : -1;
  int64_t c = max_dictionary_id(f->type, depth + 1);
  return c > m ? c : m;
}

static int64_t max_dictionary_id(const qv_data_type *t, int depth) {
  int64_t m = -1;
  if (depth > QV_IPC_MAX_DEPTH) return m;
  if (t->id == QV_DICTIONARY) return max_dictionary_id(t->dict_value, depth + 1);
  for (int32_t i = 0; i < t->n_children; i++) {
    int64_t c = field_max_dictionary_id(t->children[i], depth);
    if (c > m) m = c;
  }
  return m;
}

static bool type_needs_ids(const qv_data_type *t, int depth);

static bool field_needs_ids(const qv_field *f, int depth) {
  if (f->type->id == QV_DICTIONARY && f->dictionary_id < 0) return true;
  return type_needs_ids(f->type, depth + 1);
}

static bool type_needs_ids(const qv_data_type *t, int depth) {
  if (depth > QV_IPC_MAX_DEPTH) return false;
  if (t->id == QV_DICTIONARY) return type_needs_ids(t->dict_value, depth + 1);
  for (int32_t i = 0; i < t->n_children; i++)
    if (field_needs_ids(t->children[i], depth)) return true;
  return false;
}

static qv_status assign_field(qv_field *f, int64_t *next_id, int depth, qv_field **out,
                              qv_error *err);

/* A copy of t whose dictionary-encoded descendants all have ids. */
static qv_status assign_type(qv_data_type *t, int64_t *next_id, int depth, qv_data_type **out,
                             qv_error *err) {
  *out = NULL;
  if (depth > QV_IPC_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "ipc: schema nests deeper than %d levels",
                        QV_IPC_MAX_DEPTH);
  if (!type_needs_ids(t, depth)) {
    *out = qv_type_ref(t);
    return QV_OK;
  }
  if (t->id == QV_DICTIONARY) {
    qv_data_type *value = NULL;
    QV_RETURN_NOT_OK(assign_type(t->dict_value, next_id, depth + 1, &value, err));
    qv_status st = qv_type_dictionary(t->dict_index, value, t->dict_ordered, out, err);
    qv_type_unref(value);
    return st;
  }
  int32_t n = t->n_children;
  qv_field **kids = calloc((size_t)n, sizeof *kids);
  if (!kids) return qv_error_set(err, QV_NOMEM, "ipc: out of memory copying a schema");
  qv_status st = QV_OK;
  for (int32_t i = 0; i < n && st == QV_OK; i++)
    st = assign_field(t->children[i], next_id, depth + 1, &kids[i], err);
  if (st == QV_OK) {
    switch (t->id) {
      case QV_LIST:
      case QV_LARGE_LIST: st = qv_type_list(t->id, kids[0], out, err); break;
      case QV_FIXED_SIZE_LIST: st = qv_type_fixed_size_list(kids[0], t->list_size, out, err); break;
      case QV_STRUCT: st = qv_type_struct(kids, n, out, err); break;
      case QV_MAP: st = qv_type_map(kids[0], t->keys_sorted, out, err); break;
      case QV_SPARSE_UNION:
      case QV_DENSE_UNION: st = qv_type_union(t->id, kids, t->type_codes, n, out, err); break;
      default:
        st = qv_error_set(err, QV_INTERNAL, "ipc: type %d has children", (int)t->id);
        break;
    }
  }
  for (int32_t i = 0; i < n; i++) qv_field_unref(kids[i]);
  free(kids);
  return st;
}

/* Ids go to fields in depth-first pre-order (a field before the fields inside
 * its dictionary's values), as Arrow C++ numbers them. */
static qv_status assign_field(qv_field *f, int64_t *next_id, int depth, qv_field **out,
                              qv_error *err) {
  *out = NULL;
  if (!field_needs_ids(f, depth)) {
    *out = qv_field_ref(f);
    return QV_OK;
  }
  int64_t id = f->dictionary_id;
  if (f->type->id == QV_DICTIONARY && id < 0) id = (*next_id)++;
  qv_data_type *t = NULL;
  QV_RETURN_NOT_OK(assign_type(f->type, next_id, depth, &t, err));
  qv_status st = qv_field_create(f->name, t, f->nullable, f->metadata, out, err);
  qv_type_unref(t);
  if (st == QV_OK && f->type->id == QV_DICTIONARY) qv_field_set_dictionary_id(*out, id);
  return st;
}

static qv_status make_wire_schema(qv_schema *schema, qv_schema **out, qv_error *err) {
  *out = NULL;
  int32_t n = schema->n_fields;
  bool needed = false;
  int64_t max_id = -1;
  for (int32_t i = 0; i < n; i++) {
    needed |= field_needs_ids(schema->fields[i], 0);
    int64_t m = field_max_dictionary_id(schema->fields[i], 0);
    if (m > max_id) max_id = m;
  }
  if (!needed) {
    *out = qv_schema_ref(schema);
    return QV_OK;
  }
  int64_t next_id = max_id + 1;
  qv_field **fields = calloc((size_t)(n ? n : 1), sizeof *fields);
  if (!fields) return qv_error_set(err, QV_NOMEM, "ipc: out of memory copying a schema");
  qv_status st = QV_OK;
  for (int32_t i = 0; i < n && st == QV_OK; i++)
    st = assign_field(schema->fields[i], &next_id, 0, &fields[i], err);
  if (st == QV_OK) st = qv_schema_create(fields, n, schema->metadata, out, err);
  for (int32_t i = 0; i < n; i++) qv_field_unref(fields[i]);
  free(fields);
  return st;
}

/* ---- the dictionary table -------------------------------------------------------- */

typedef struct dict_list {
  enc_dict *items;
  int64_t count, capacity;
} dict_list;

static qv_status collect_type(qv_ipc_encoder *enc, dict_list *l, const qv_data_type *t,
                              int depth, qv_error *err);

static qv_status collect_field(qv_ipc_encoder *enc, dict_list *l, const qv_field *f, int depth,
                               qv_error *err) {
  if (depth > QV_IPC_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "ipc: schema nests deeper than %d levels",
                        QV_IPC_MAX_DEPTH);
  const qv_data_type *t = f->type;
  if (t->id != QV_DICTIONARY) return collect_type(enc, l, t, depth + 1, err);
  if (t->dict_value->id == QV_DICTIONARY)
    return qv_error_set(err, QV_INVALID,
                        "ipc: field '%s': a dictionary whose values are dictionary-encoded needs "
                        "a field in between",
                        f->name);
  QV_RETURN_NOT_OK(grow(enc->alloc, (void **)&l->items, &l->capacity, l->count + 1,
                        (int64_t)sizeof(enc_dict), err));
  enc_dict *d = &l->items[l->count++];
  memset(d, 0, sizeof *d);
  d->id = f->dictionary_id;
  d->value_type = t->dict_value;
  d->nested = type_needs_ids(t->dict_value, 0) || max_dictionary_id(t->dict_value, 0) >= 0;
  return collect_type(enc, l, t->dict_value, depth + 1, err);
}

static qv_status collect_type(qv_ipc_encoder *enc, dict_list *l, const qv_data_type *t,
                              int depth, qv_error *err) {
  for (int32_t i = 0; i < t->n_children; i++)
    QV_RETURN_NOT_OK(collect_field(enc, l, t->children[i], depth, err));
  return QV_OK;
}

static int by_id(const void *a, const void *b) {
  int64_t x = ((const enc_dict *)a)->id, y = ((const enc_dict *)b)->id;
  return (x > y) - (x < y);
}

static qv_status build_dict_table(qv_ipc_encoder *enc, qv_error *err) {
  dict_list l = {NULL, 0, 0};
  qv_status st = QV_OK;
  for (int32_t i = 0; i < enc->wire_schema->n_fields && st == QV_OK; i++)
    st = collect_field(enc, &l, enc->wire_schema->fields[i], 0, err);
  if (st == QV_OK && l.count > 1) {
    qsort(l.items, (size_t)l.count, sizeof(enc_dict), by_id);
    int64_t w = 1;
    for (int64_t r = 1; r < l.count && st == QV_OK; r++) {
      if (l.items[r].id != l.items[w - 1].id) {
        l.items[w++] = l.items[r];
      } else if (!qv_type_equals(l.items[r].value_type, l.items[w - 1].value_type)) {
        st = qv_error_set(err, QV_INVALID,
                          "ipc: fields sharing dictionary id %lld have different value types",
                          (long long)l.items[r].id);
      }
    }
    l.count = w;
  }
  if (st != QV_OK) {
    qv_free(enc->alloc, l.items, l.capacity * (int64_t)sizeof(enc_dict));
    return st;
  }
  enc->dicts = l.items;
  enc->n_dicts = l.count;
  /* Keep the capacity recoverable for qv_free: shrink bookkeeping to count. */
  if (l.items && l.capacity != l.count) {
    enc_dict *p = qv_realloc(enc->alloc, l.items, l.capacity * (int64_t)sizeof(enc_dict),
                             (l.count ? l.count : 1) * (int64_t)sizeof(enc_dict));
    if (!p) {
      qv_free(enc->alloc, l.items, l.capacity * (int64_t)sizeof(enc_dict));
      enc->dicts = NULL;
      enc->n_dicts = 0;
      return qv_error_set(err, QV_NOMEM, "ipc: out of memory");
    }
    enc->dicts = p;
  }
  return QV_OK;
}

static enc_dict *find_dict(qv_ipc_encoder *enc, int64_t id) {
  int64_t lo = 0, hi = enc->n_dicts;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (enc->dicts[mid].id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < enc->n_dicts && enc->dicts[lo].id == id ? &enc->dicts[lo] : NULL;
}

/* ---- lifecycle ---------------------------------------------------------------- */

qv_status qv_ipc_encoder_create(qv_schema *schema, const qv_ipc_write_options *opts,
                                qv_ipc_encoder **out, qv_error *err) {
  *out = NULL;
  if (!schema) return qv_error_set(err, QV_INVALID, "ipc: encoder needs a schema");
  qv_ipc_write_options o;
  if (opts) o = *opts;
  else qv_ipc_write_options_init(&o);
  if (!o.alloc) o.alloc = qv_default_allocator();
  if (o.zstd_level == 0) o.zstd_level = 1;
  qv_ipc_codec codec;
  QV_RETURN_NOT_OK(qv__ipc_codec_of(o.compression, &codec, err));
  qv_ipc_encoder *enc = qv_alloc_zeroed(o.alloc, (int64_t)sizeof *enc);
  if (!enc) return qv_error_set(err, QV_NOMEM, "ipc: cannot allocate an encoder");
  enc->alloc = o.alloc;
  enc->opts = o;
  enc->codec = codec;
  qv__codec_ctx_init(&enc->codec_ctx);
  enc->schema = qv_schema_ref(schema);
  qv_status st = make_wire_schema(schema, &enc->wire_schema, err);
  if (st == QV_OK) st = build_dict_table(enc, err);
  if (st != QV_OK) {
    qv_ipc_encoder_destroy(enc);
    return st;
  }
  *out = enc;
  return QV_OK;
}

void qv_ipc_encoder_destroy(qv_ipc_encoder *enc) {
  if (!enc) return;
  for (int64_t i = 0; i < enc->n_dicts; i++) {
    qv_array_unref(enc->dicts[i].sent);
    qv_array_unref(enc->dicts[i].pending);
  }
  if (enc->dicts) qv_free(enc->alloc, enc->dicts, (enc->n_dicts ? enc->n_dicts : 1) *
                                                      (int64_t)sizeof(enc_dict));
  qv_schema_unref(enc->schema);
  qv_schema_unref(enc->wire_schema);
  qv__codec_ctx_reset(&enc->codec_ctx);
  qv_free(enc->alloc, enc, (int64_t)sizeof *enc);
}

qv_schema *qv_ipc_encoder_schema(const qv_ipc_encoder *enc) { return enc->wire_schema; }

void qv__ipc_encoder_set_file_mode(qv_ipc_encoder *enc) { enc->file_mode = true; }

qv_allocator *qv__ipc_encoder_allocator(const qv_ipc_encoder *enc) { return enc->alloc; }

/* ---- payload lists -------------------------------------------------------------- */

static qv_status list_push(qv_ipc_payload_list *list, qv_ipc_payload **out, qv_error *err) {
  if (!list->alloc) list->alloc = qv_default_allocator();
  QV_RETURN_NOT_OK(grow(list->alloc, (void **)&list->items, &list->capacity, list->count + 1,
                        (int64_t)sizeof(qv_ipc_payload), err));
  *out = &list->items[list->count++];
  memset(*out, 0, sizeof **out);
  return QV_OK;
}

/* Drops the payloads appended after `count`. */
static void list_truncate(qv_ipc_payload_list *list, int64_t count) {
  while (list->count > count) qv_ipc_payload_reset(&list->items[--list->count]);
}

qv_status qv_ipc_encoder_encode_schema(qv_ipc_encoder *enc, qv_ipc_payload_list *out,
                                       qv_error *err) {
  qv_ipc_payload *p;
  QV_RETURN_NOT_OK(list_push(out, &p, err));
  p->kind = QV_IPC_MESSAGE_SCHEMA;
  qv_bytes_init(&p->metadata, enc->alloc);
  qv_status st = qv__ipc_schema_message_encode(enc->wire_schema, NULL, &p->metadata, err);
  if (st != QV_OK) list_truncate(out, out->count - 1);
  return st;
}

/* ---- bodies ------------------------------------------------------------------- */

/* The body of one message under construction. */
typedef struct body_writer {
  qv_ipc_encoder *enc;
  qv_ipc_field_node *nodes;
  int64_t n_nodes, nodes_cap;
  qv_ipc_buffer_span *spans;
  int64_t n_spans, spans_cap;
  qv_ipc_body_part *parts;
  int64_t n_parts, parts_cap;
  int64_t length;
} body_writer;

static void bw_reset(body_writer *bw) {
  qv_allocator *a = bw->enc->alloc;
  for (int64_t i = 0; i < bw->n_parts; i++) qv_buffer_unref(bw->parts[i].owner);
  if (bw->nodes) qv_free(a, bw->nodes, bw->nodes_cap * (int64_t)sizeof *bw->nodes);
  if (bw->spans) qv_free(a, bw->spans, bw->spans_cap * (int64_t)sizeof *bw->spans);
  if (bw->parts) qv_free(a, bw->parts, bw->parts_cap * (int64_t)sizeof *bw->parts);
  memset(bw, 0, sizeof *bw);
}

static qv_status bw_node(body_writer *bw, int64_t length, int64_t null_count, qv_error *err) {
  QV_RETURN_NOT_OK(grow(bw->enc->alloc, (void **)&bw->nodes, &bw->nodes_cap, bw->n_nodes + 1,
                        (int64_t)sizeof *bw->nodes, err));
  bw->nodes[bw->n_nodes].length = length;
  bw->nodes[bw->n_nodes].null_count = null_count;
  bw->n_nodes++;
  return QV_OK;
}

/* Appends a part; takes a new reference to owner (may be NULL: static data). */
static qv_status bw_part(body_writer *bw, const uint8_t *data, int64_t size, qv_buffer *owner,
                         qv_error *err) {
  QV_RETURN_NOT_OK(grow(bw->enc->alloc, (void **)&bw->parts, &bw->parts_cap, bw->n_parts + 1,
                        (int64_t)sizeof *bw->parts, err));
  qv_ipc_body_part *p = &bw->parts[bw->n_parts++];
  p->data = data;
  p->size = size;
  p->owner = qv_buffer_ref(owner);
  bw->length += size;
  return QV_OK;
}

static const uint8_t uncompressed_prefix[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

/* Appends one body buffer: data[0..size) kept alive by owner (NULL for static
 * data), compressed when the encoder compresses, then padded. */
static qv_status bw_buffer(body_writer *bw, const uint8_t *data, int64_t size, qv_buffer *owner,
                           qv_error *err) {
  QV_RETURN_NOT_OK(grow(bw->enc->alloc, (void **)&bw->spans, &bw->spans_cap, bw->n_spans + 1,
                        (int64_t)sizeof *bw->spans, err));
  qv_ipc_buffer_span *span = &bw->spans[bw->n_spans++];
  span->offset = bw->length;
  span->length = 0;
  if (size == 0) return QV_OK; /* empty buffers stay empty, compressed or not */
  int64_t start = bw->length;
  if (bw->enc->codec == QV_IPC_CODEC_NONE) {
    QV_RETURN_NOT_OK(bw_part(bw, data, size, owner, err));
  } else {
    int64_t bound = qv__compress_bound(bw->enc->codec, size);
    if (bound < 0)
      return qv_error_set(err, QV_INVALID, "ipc: buffer of %lld bytes is too large to compress",
                          (long long)size);
    qv_buffer *c = NULL;
    QV_RETURN_NOT_OK(qv_buffer_allocate(bw->enc->alloc, 8 + bound, &c, err));
    uint8_t *cd = qv_buffer_mutable_data(c);
    int64_t clen = 0;
    qv_status st = qv__compress(&bw->enc->codec_ctx, bw->enc->codec, bw->enc->opts.zstd_level,
                                data, size, cd + 8, bound, &clen, err);
    if (st == QV_OK && clen < size) {
      memcpy(cd, &size, 8);
      qv_buffer_set_size(c, 8 + clen);
      st = bw_part(bw, cd, 8 + clen, c, err);
      qv_buffer_unref(c);
      QV_RETURN_NOT_OK(st);
    } else {
      /* Compression does not pay: store raw behind the -1 length. */
      qv_buffer_unref(c);
      QV_RETURN_NOT_OK(st);
      QV_RETURN_NOT_OK(bw_part(bw, uncompressed_prefix, 8, NULL, err));
      QV_RETURN_NOT_OK(bw_part(bw, data, size, owner, err));
    }
  }
  span->length = bw->length - start;
  int64_t pad = (-bw->length) & (QV_IPC_ALIGNMENT - 1);
  if (pad) QV_RETURN_NOT_OK(bw_part(bw, qv__ipc_zeros, pad, NULL, err));
  return QV_OK;
}

/* A bit range of a bitmap: in place when it starts on a byte, else shifted
 * into a new buffer. */
static qv_status bw_bitmap(body_writer *bw, qv_buffer *b, int64_t offset, int64_t length,
                           qv_error *err) {
  int64_t bytes = (length + 7) / 8;
  if (length == 0 || !b) return bw_buffer(bw, NULL, 0, NULL, err);
  if ((offset & 7) == 0) return bw_buffer(bw, b->data + offset / 8, bytes, b, err);
  qv_buffer *shifted = NULL;
  QV_RETURN_NOT_OK(qv_buffer_allocate(bw->enc->alloc, bytes, &shifted, err));
  uint8_t *d = qv_buffer_mutable_data(shifted);
  d[bytes - 1] = 0; /* bits past the end stay zero */
  qv__bitmap_copy(d, 0, b->data, offset, length);
  qv_status st = bw_buffer(bw, d, bytes, shifted, err);
  qv_buffer_unref(shifted);
  return st;
}

static qv_status bw_validity(body_writer *bw, qv_array *a, int64_t null_count, qv_error *err) {
  if (null_count == 0) return bw_buffer(bw, NULL, 0, NULL, err);
  return bw_bitmap(bw, a->buffers[0], a->offset, a->length, err);
}

/* Elements [offset, offset+length) of `width` bytes each. */
static qv_status bw_fixed(body_writer *bw, qv_buffer *b, int64_t offset, int64_t length,
                          int64_t width, qv_error *err) {
  if (length == 0 || !b || width == 0) return bw_buffer(bw, NULL, 0, NULL, err);
  return bw_buffer(bw, b->data + offset * width, length * width, b, err);
}

/* The offsets of a variable-size array, rebased to start at 0 when they do
 * not; sets [*first, *last) to the data or child range the slots use. */
static qv_status bw_offsets(body_writer *bw, qv_array *a, int32_t w, int64_t *first,
                            int64_t *last, qv_error *err) {
  *first = *last = 0;
  qv_buffer *b = a->buffers[1];
  if (a->length == 0 || !b) return bw_buffer(bw, qv__ipc_zeros, w, NULL, err);
  int64_t n = a->length + 1;
  const uint8_t *p = b->data + a->offset * w;
  if (w == 4) {
    *first = ((const int32_t *)p)[0];
    *last = ((const int32_t *)p)[a->length];
  } else {
    *first = ((const int64_t *)p)[0];
    *last = ((const int64_t *)p)[a->length];
  }
  if (*first == 0) return bw_buffer(bw, p, n * w, b, err);
  qv_buffer *r = NULL;
  QV_RETURN_NOT_OK(qv_buffer_allocate(bw->enc->alloc, n * w, &r, err));
  uint8_t *d = qv_buffer_mutable_data(r);
  if (w == 4) {
    const int32_t *src = (const int32_t *)p;
    int32_t *dst = (int32_t *)d, base = (int32_t)*first;
    for (int64_t i = 0; i < n; i++) dst[i] = src[i] - base;
  } else {
    const int64_t *src = (const int64_t *)p;
    int64_t *dst = (int64_t *)d, base = *first;
    for (int64_t i = 0; i < n; i++) dst[i] = src[i] - base;
  }
  qv_status st = bw_buffer(bw, d, n * w, r, err);
  qv_buffer_unref(r);
  return st;
}

static qv_status bw_array(body_writer *bw, qv_array *a, int depth, qv_error *err);

/* Writes child values [offset, offset+length) of a child array. */
static qv_status bw_child_range(body_writer *bw, qv_array *child, int64_t offset, int64_t length,
                                int depth, qv_error *err) {
  if (offset == 0 && length == child->length) return bw_array(bw, child, depth + 1, err);
  qv_array *s = NULL;
  QV_RETURN_NOT_OK(qv_array_slice(child, offset, length, &s, err));
  qv_status st = bw_array(bw, s, depth + 1, err);
  qv_array_unref(s);
  return st;
}

static qv_status bw_array(body_writer *bw, qv_array *a, int depth, qv_error *err) {
  if (depth > QV_IPC_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "ipc: array nests deeper than %d levels",
                        QV_IPC_MAX_DEPTH);
  qv_data_type *t = a->type;
  qv_ipc_layout layout = qv__ipc_layout_of(t->id);
  bool is_union = layout == QV_IPC_LAYOUT_SPARSE_UNION || layout == QV_IPC_LAYOUT_DENSE_UNION;
  int64_t nulls = is_union ? 0 : qv_array_null_count(a);
  int64_t off = a->offset, len = a->length;
  QV_RETURN_NOT_OK(bw_node(bw, len, nulls, err));
  switch (layout) {
    case QV_IPC_LAYOUT_NA:
      return QV_OK;
    case QV_IPC_LAYOUT_BOOL:
      QV_RETURN_NOT_OK(bw_validity(bw, a, nulls, err));
      return bw_bitmap(bw, a->buffers[1], off, len, err);
    case QV_IPC_LAYOUT_FIXED:
      QV_RETURN_NOT_OK(bw_validity(bw, a, nulls, err));
      return bw_fixed(bw, a->buffers[1], off, len, t->byte_width, err);
    case QV_IPC_LAYOUT_DICTIONARY:
      QV_RETURN_NOT_OK(bw_validity(bw, a, nulls, err));
      return bw_fixed(bw, a->buffers[1], off, len, t->dict_index->byte_width, err);
    case QV_IPC_LAYOUT_BINARY:
    case QV_IPC_LAYOUT_LARGE_BINARY: {
      int64_t first, last;
      QV_RETURN_NOT_OK(bw_validity(bw, a, nulls, err));
      QV_RETURN_NOT_OK(bw_offsets(bw, a, layout == QV_IPC_LAYOUT_BINARY ? 4 : 8, &first, &last,
                                  err));
      if (last == first) return bw_buffer(bw, NULL, 0, NULL, err);
      return bw_buffer(bw, a->buffers[2]->data + first, last - first, a->buffers[2], err);
    }
    case QV_IPC_LAYOUT_LIST:
    case QV_IPC_LAYOUT_LARGE_LIST: {
      int64_t first, last;
      QV_RETURN_NOT_OK(bw_validity(bw, a, nulls, err));
      QV_RETURN_NOT_OK(bw_offsets(bw, a, layout == QV_IPC_LAYOUT_LIST ? 4 : 8, &first, &last,
                                  err));
      return bw_child_range(bw, a->children[0], first, last - first, depth, err);
    }
    case QV_IPC_LAYOUT_FIXED_LIST: {
      int64_t size = t->list_size;
      QV_RETURN_NOT_OK(bw_validity(bw, a, nulls, err));
      return bw_child_range(bw, a->children[0], off * size, len * size, depth, err);
    }
    case QV_IPC_LAYOUT_STRUCT:
      QV_RETURN_NOT_OK(bw_validity(bw, a, nulls, err));
      for (int32_t i = 0; i < a->n_children; i++)
        QV_RETURN_NOT_OK(bw_child_range(bw, a->children[i], off, len, depth, err));
      return QV_OK;
    case QV_IPC_LAYOUT_SPARSE_UNION:
      QV_RETURN_NOT_OK(bw_fixed(bw, a->buffers[0], off, len, 1, err));
      for (int32_t i = 0; i < a->n_children; i++)
        QV_RETURN_NOT_OK(bw_child_range(bw, a->children[i], off, len, depth, err));
      return QV_OK;
    case QV_IPC_LAYOUT_DENSE_UNION:
      /* Offsets stay as they are; the children go whole. */
      QV_RETURN_NOT_OK(bw_fixed(bw, a->buffers[0], off, len, 1, err));
      QV_RETURN_NOT_OK(bw_fixed(bw, a->buffers[1], off, len, 4, err));
      for (int32_t i = 0; i < a->n_children; i++)
        QV_RETURN_NOT_OK(bw_array(bw, a->children[i], depth + 1, err));
      return QV_OK;
  }
  return qv_error_set(err, QV_INTERNAL, "ipc: unknown layout");
}

/* Moves the body writer's parts into a new payload of the given kind with its
 * metadata. */
static qv_status finish_payload(qv_ipc_encoder *enc, body_writer *bw, qv_ipc_message_type type,
                                int64_t length, int64_t dict_id, bool is_delta,
                                qv_ipc_payload_list *out, qv_error *err) {
  qv_ipc_batch_header h;
  memset(&h, 0, sizeof h);
  h.length = length;
  h.n_nodes = bw->n_nodes;
  h.nodes = bw->nodes;
  h.n_buffers = bw->n_spans;
  h.buffers = bw->spans;
  h.codec = enc->codec;
  qv_ipc_payload *p;
  QV_RETURN_NOT_OK(list_push(out, &p, err));
  p->kind = type == QV_IPC_MSG_RECORD_BATCH ? QV_IPC_MESSAGE_RECORD_BATCH
                                            : QV_IPC_MESSAGE_DICTIONARY_BATCH;
  qv_bytes_init(&p->metadata, enc->alloc);
  qv_status st = qv__ipc_batch_message_encode(type, &h, bw->length, dict_id, is_delta, NULL,
                                              &p->metadata, err);
  if (st != QV_OK) {
    list_truncate(out, out->count - 1);
    return st;
  }
  p->body_length = bw->length;
  p->parts = bw->parts;
  p->n_parts = bw->n_parts;
  p->parts_capacity = bw->parts_cap;
  bw->parts = NULL;
  bw->n_parts = bw->parts_cap = 0;
  return QV_OK;
}

/* ---- dictionaries ------------------------------------------------------------- */

static qv_status dictionary_payload(qv_ipc_encoder *enc, int64_t id, qv_array *values,
                                    bool is_delta, qv_ipc_payload_list *out, qv_error *err) {
  body_writer bw;
  memset(&bw, 0, sizeof bw);
  bw.enc = enc;
  qv_status st = bw_array(&bw, values, 0, err);
  if (st == QV_OK)
    st = finish_payload(enc, &bw, QV_IPC_MSG_DICTIONARY_BATCH, values->length, id, is_delta, out,
                        err);
  bw_reset(&bw);
  return st;
}

/* Whether `prefix` holds the same values as the first prefix->length of d. */
static qv_status is_prefix(qv_array *prefix, qv_array *d, bool *out, qv_error *err) {
  *out = false;
  if (prefix->length > d->length) return QV_OK;
  qv_array *head = NULL;
  QV_RETURN_NOT_OK(qv_array_slice(d, 0, prefix->length, &head, err));
  *out = qv_array_equals(prefix, head);
  qv_array_unref(head);
  return QV_OK;
}

/* Decides what id e needs for the batch's dictionary d and appends it. */
static qv_status emit_dictionary(qv_ipc_encoder *enc, enc_dict *e, qv_array *d,
                                 qv_ipc_payload_list *out, qv_error *err) {
  if (!e->sent) return dictionary_payload(enc, e->id, d, false, out, err);
  if (e->sent == d) return QV_OK;
  bool grown = false;
  QV_RETURN_NOT_OK(is_prefix(e->sent, d, &grown, err));
  int64_t old_len = e->sent->length;
  if (grown && d->length == old_len) return QV_OK; /* same values, another object */
  bool delta_ok = (enc->file_mode || enc->opts.dictionary_deltas) && !e->nested;
  if (grown && delta_ok) {
    qv_array *tail = NULL;
    QV_RETURN_NOT_OK(qv_array_slice(d, old_len, d->length - old_len, &tail, err));
    qv_status st = dictionary_payload(enc, e->id, tail, true, out, err);
    qv_array_unref(tail);
    return st;
  }
  if (enc->file_mode)
    return qv_error_set(err, QV_INVALID,
                        "ipc: dictionary id %lld changed to values that do not extend the "
                        "previous ones; the file format cannot replace a dictionary",
                        (long long)e->id);
  return dictionary_payload(enc, e->id, d, false, out, err);
}

static qv_status walk_type(qv_ipc_encoder *enc, const qv_data_type *t, qv_array *a, int depth,
                           qv_ipc_payload_list *out, qv_error *err);

static qv_status walk_field(qv_ipc_encoder *enc, const qv_field *f, qv_array *a, int depth,
                            qv_ipc_payload_list *out, qv_error *err) {
  if (depth > QV_IPC_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "ipc: array nests deeper than %d levels",
                        QV_IPC_MAX_DEPTH);
  if (f->type->id != QV_DICTIONARY) return walk_type(enc, f->type, a, depth + 1, out, err);
  enc_dict *e = find_dict(enc, f->dictionary_id);
  qv_array *d = a->dictionary;
  if (!e || !d)
    return qv_error_set(err, QV_INTERNAL, "ipc: field '%s': dictionary id %lld unknown",
                        f->name, (long long)f->dictionary_id);
  if (e->pending) {
    /* Another field of this batch shares the id. */
    if (e->pending == d || qv_array_equals(e->pending, d)) return QV_OK;
    return qv_error_set(err, QV_INVALID,
                        "ipc: field '%s': fields sharing dictionary id %lld carry different "
                        "dictionaries",
                        f->name, (long long)e->id);
  }
  /* Dictionaries used inside this one's values go first. */
  QV_RETURN_NOT_OK(walk_type(enc, f->type->dict_value, d, depth + 1, out, err));
  QV_RETURN_NOT_OK(emit_dictionary(enc, e, d, out, err));
  e->pending = qv_array_ref(d);
  return QV_OK;
}

static qv_status walk_type(qv_ipc_encoder *enc, const qv_data_type *t, qv_array *a, int depth,
                           qv_ipc_payload_list *out, qv_error *err) {
  if (a->n_children != t->n_children && t->id != QV_DICTIONARY)
    return qv_error_set(err, QV_INVALID, "ipc: array has %d children, its type %d",
                        (int)a->n_children, (int)t->n_children);
  for (int32_t i = 0; i < t->n_children; i++)
    QV_RETURN_NOT_OK(walk_field(enc, t->children[i], a->children[i], depth, out, err));
  return QV_OK;
}

qv_status qv_ipc_encoder_encode_batch(qv_ipc_encoder *enc, qv_record_batch *batch,
                                      qv_ipc_payload_list *out, qv_error *err) {
  qv_schema *ws = enc->wire_schema;
  if (batch->n_columns != ws->n_fields)
    return qv_error_set(err, QV_INVALID, "ipc: batch has %d columns, the schema %d",
                        (int)batch->n_columns, (int)ws->n_fields);
  for (int32_t i = 0; i < ws->n_fields; i++) {
    if (!qv_type_equals(batch->columns[i]->type, ws->fields[i]->type)) {
      char want[128], got[128];
      return qv_error_set(err, QV_INVALID, "ipc: column %d ('%s') is %s, the schema says %s",
                          (int)i, ws->fields[i]->name,
                          qv_type_to_string(batch->columns[i]->type, got, sizeof got),
                          qv_type_to_string(ws->fields[i]->type, want, sizeof want));
    }
  }
  int64_t start = out->count;
  qv_status st = QV_OK;
  if (enc->n_dicts > 0) {
    for (int32_t i = 0; i < ws->n_fields && st == QV_OK; i++)
      st = walk_field(enc, ws->fields[i], batch->columns[i], 0, out, err);
  }
  if (st == QV_OK) {
    body_writer bw;
    memset(&bw, 0, sizeof bw);
    bw.enc = enc;
    for (int32_t i = 0; i < batch->n_columns && st == QV_OK; i++)
      st = bw_array(&bw, batch->columns[i], 0, err);
    if (st == QV_OK)
      st = finish_payload(enc, &bw, QV_IPC_MSG_RECORD_BATCH, batch->num_rows, -1, false, out, err);
    bw_reset(&bw);
  }
  /* Commit (or forget) the dictionaries this batch used. */
  for (int64_t i = 0; i < enc->n_dicts; i++) {
    enc_dict *e = &enc->dicts[i];
    if (!e->pending) continue;
    if (st == QV_OK) {
      qv_array_unref(e->sent);
      e->sent = e->pending;
    } else {
      qv_array_unref(e->pending);
    }
    e->pending = NULL;
  }
  if (st != QV_OK) list_truncate(out, start);
  return st;
}
