/* The IPC message decoder: Schema, DictionaryBatch and RecordBatch messages
 * to a schema, dictionaries and record batches.
 *
 * A RecordBatch body is read by walking the schema depth-first, taking one
 * field node and the buffers of the field's layout for each field (the
 * "record batch body structure" of the Arrow columnar spec). Buffers are
 * zero-copy slices of the body when stored uncompressed at an address aligned
 * for their values, copies otherwise, and freshly allocated when compressed
 * (after their declared size passed the reader's limit). Every span is checked
 * against the body before use; the assembled arrays are then validated in
 * full, so a hostile message cannot make any later reader go out of bounds.
 *
 * Dictionaries live in a table sorted by id, built from the schema (including
 * fields nested inside other dictionaries' values). A DictionaryBatch replaces
 * or (isDelta) extends an entry; record batch arrays reference the entry's
 * current array, so fields sharing an id share one dictionary object. */
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc_internal.h"

typedef struct dict_entry {
  int64_t id;
  qv_data_type *value_type; /* borrowed from the schema */
  const char *field_name;   /* borrowed from the schema; for messages */
  qv_array *dictionary;     /* NULL until a DictionaryBatch defines it */
} dict_entry;

struct qv_ipc_decoder {
  qv_allocator *alloc;
  qv_ipc_read_options opts;
  qv_schema *schema;
  dict_entry *dicts; /* sorted by id */
  int64_t n_dicts;
  int64_t dicts_capacity;
  bool file_mode;
  qv_codec_ctx codec;
};

/* State of the walk over one message body. */
typedef struct body_reader {
  qv_ipc_decoder *dec;
  const qv_ipc_batch_header *hdr;
  int16_t version;
  qv_buffer *body;
  const uint8_t *body_data;
  int64_t body_length;
  int64_t next_node;
  int64_t next_buffer;
  int64_t decompressed; /* total declared uncompressed bytes so far */
} body_reader;

/* ---- lifecycle ---------------------------------------------------------------- */

qv_status qv_ipc_decoder_create(const qv_ipc_read_options *opts, qv_ipc_decoder **out,
                                qv_error *err) {
  *out = NULL;
  qv_ipc_read_options o;
  if (opts) o = *opts;
  else qv_ipc_read_options_init(&o);
  if (!o.alloc) o.alloc = qv_default_allocator();
  if (o.max_decompressed_size < 0) o.max_decompressed_size = 0;
  qv_ipc_decoder *dec = qv_alloc_zeroed(o.alloc, (int64_t)sizeof *dec);
  if (!dec) return qv_error_set(err, QV_NOMEM, "ipc: cannot allocate a decoder");
  dec->alloc = o.alloc;
  dec->opts = o;
  qv__codec_ctx_init(&dec->codec);
  *out = dec;
  return QV_OK;
}

void qv_ipc_decoder_destroy(qv_ipc_decoder *dec) {
  if (!dec) return;
  for (int64_t i = 0; i < dec->n_dicts; i++) qv_array_unref(dec->dicts[i].dictionary);
  if (dec->dicts) qv_free(dec->alloc, dec->dicts, dec->dicts_capacity * (int64_t)sizeof(dict_entry));
  qv_schema_unref(dec->schema);
  qv__codec_ctx_reset(&dec->codec);
  qv_free(dec->alloc, dec, (int64_t)sizeof *dec);
}

qv_schema *qv_ipc_decoder_schema(const qv_ipc_decoder *dec) { return dec ? dec->schema : NULL; }

void qv__ipc_decoder_set_file_mode(qv_ipc_decoder *dec) { dec->file_mode = true; }

qv_allocator *qv__ipc_decoder_allocator(const qv_ipc_decoder *dec) { return dec->alloc; }

/* ---- the dictionary table -------------------------------------------------------- */

static qv_status add_dict_entry(qv_ipc_decoder *dec, int64_t id, qv_data_type *value_type,
                                const char *name, qv_error *err) {
  if (dec->n_dicts == dec->dicts_capacity) {
    int64_t cap = dec->dicts_capacity ? dec->dicts_capacity * 2 : 8;
    dict_entry *d = qv_realloc(dec->alloc, dec->dicts,
                               dec->dicts_capacity * (int64_t)sizeof(dict_entry),
                               cap * (int64_t)sizeof(dict_entry));
    if (!d) return qv_error_set(err, QV_NOMEM, "ipc: cannot grow the dictionary table");
    dec->dicts = d;
    dec->dicts_capacity = cap;
  }
  dict_entry *e = &dec->dicts[dec->n_dicts++];
  e->id = id;
  e->value_type = value_type;
  e->field_name = name;
  e->dictionary = NULL;
  return QV_OK;
}

static qv_status collect_type_dicts(qv_ipc_decoder *dec, const qv_data_type *t, int depth,
                                    qv_error *err);

static qv_status collect_field_dicts(qv_ipc_decoder *dec, const qv_field *f, int depth,
                                     qv_error *err) {
  if (depth > QV_IPC_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "ipc: schema nests deeper than %d levels",
                        QV_IPC_MAX_DEPTH);
  const qv_data_type *t = f->type;
  if (t->id == QV_DICTIONARY) {
    if (f->dictionary_id < 0)
      return qv_error_set(err, QV_INVALID, "ipc: dictionary field '%s' has no dictionary id",
                          f->name);
    if (!t->dict_value || t->dict_value->id == QV_DICTIONARY)
      return qv_error_set(err, QV_INVALID,
                          "ipc: dictionary field '%s' has a dictionary value type", f->name);
    QV_RETURN_NOT_OK(add_dict_entry(dec, f->dictionary_id, t->dict_value, f->name, err));
    return collect_type_dicts(dec, t->dict_value, depth + 1, err);
  }
  return collect_type_dicts(dec, t, depth + 1, err);
}

static qv_status collect_type_dicts(qv_ipc_decoder *dec, const qv_data_type *t, int depth,
                                    qv_error *err) {
  for (int32_t i = 0; i < t->n_children; i++)
    QV_RETURN_NOT_OK(collect_field_dicts(dec, t->children[i], depth, err));
  return QV_OK;
}

static int by_id(const void *a, const void *b) {
  int64_t x = ((const dict_entry *)a)->id, y = ((const dict_entry *)b)->id;
  return (x > y) - (x < y);
}

static dict_entry *find_dict(qv_ipc_decoder *dec, int64_t id) {
  int64_t lo = 0, hi = dec->n_dicts;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (dec->dicts[mid].id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < dec->n_dicts && dec->dicts[lo].id == id ? &dec->dicts[lo] : NULL;
}

/* Sorts the table and merges the entries of fields sharing an id, which must
 * agree on the value type. */
static qv_status finish_dict_table(qv_ipc_decoder *dec, qv_error *err) {
  if (dec->n_dicts == 0) return QV_OK;
  qsort(dec->dicts, (size_t)dec->n_dicts, sizeof(dict_entry), by_id);
  int64_t w = 0;
  for (int64_t r = 0; r < dec->n_dicts; r++) {
    if (w > 0 && dec->dicts[w - 1].id == dec->dicts[r].id) {
      if (!qv_type_equals(dec->dicts[w - 1].value_type, dec->dicts[r].value_type))
        return qv_error_set(err, QV_INVALID,
                            "ipc: fields '%s' and '%s' share dictionary id %lld but their "
                            "value types differ",
                            dec->dicts[w - 1].field_name, dec->dicts[r].field_name,
                            (long long)dec->dicts[r].id);
      continue;
    }
    dec->dicts[w++] = dec->dicts[r];
  }
  dec->n_dicts = w;
  return QV_OK;
}

qv_status qv__ipc_decoder_set_schema(qv_ipc_decoder *dec, qv_schema *schema, bool big_endian,
                                     qv_error *err) {
  if (dec->schema)
    return qv_error_set(err, QV_INVALID, "ipc: a second Schema message in one stream");
  if (big_endian)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "ipc: big-endian data is not supported");
  if (!schema) return qv_error_set(err, QV_INVALID, "ipc: Schema message without a schema");
  qv_status st = QV_OK;
  for (int32_t i = 0; i < schema->n_fields && st == QV_OK; i++)
    st = collect_field_dicts(dec, schema->fields[i], 0, err);
  if (st == QV_OK) st = finish_dict_table(dec, err);
  if (st != QV_OK) {
    dec->n_dicts = 0;
    return st;
  }
  dec->schema = qv_schema_ref(schema);
  return QV_OK;
}

/* ---- buffers ------------------------------------------------------------------ */

static qv_status next_span(body_reader *br, qv_ipc_buffer_span *span, qv_error *err) {
  if (br->next_buffer >= br->hdr->n_buffers)
    return qv_error_set(err, QV_INVALID,
                        "the message lists %lld buffers, fewer than the schema needs",
                        (long long)br->hdr->n_buffers);
  int64_t i = br->next_buffer++;
  *span = br->hdr->buffers[i];
  if (span->offset < 0 || span->length < 0 || span->offset > br->body_length ||
      span->length > br->body_length - span->offset)
    return qv_error_set(err, QV_INVALID,
                        "buffer %lld [offset %lld, length %lld] lies outside the body of %lld "
                        "bytes",
                        (long long)i, (long long)span->offset, (long long)span->length,
                        (long long)br->body_length);
  return QV_OK;
}

static qv_status empty_buffer(body_reader *br, int64_t at, qv_buffer **out, qv_error *err) {
  if (br->body) return qv_buffer_slice(br->body, at, 0, out, err);
  return qv__ipc_zero_buffer(0, out, err);
}

/* Reads the next buffer: a slice of the body, an aligned copy, or the
 * decompressed data. Zero-length buffers come back as empty buffers. */
static qv_status read_buffer(body_reader *br, int32_t align, qv_buffer **out, qv_error *err) {
  *out = NULL;
  qv_ipc_buffer_span span;
  QV_RETURN_NOT_OK(next_span(br, &span, err));
  int64_t off = span.offset, len = span.length;
  if (len == 0) return empty_buffer(br, off, out, err);
  if (br->hdr->codec != QV_IPC_CODEC_NONE) {
    if (len < 8)
      return qv_error_set(err, QV_INVALID,
                          "compressed buffer %lld has %lld bytes, less than its 8-byte length "
                          "prefix",
                          (long long)(br->next_buffer - 1), (long long)len);
    int64_t declared;
    memcpy(&declared, br->body_data + off, 8);
    off += 8;
    len -= 8;
    if (declared != -1) {
      const qv_ipc_read_options *o = &br->dec->opts;
      if (declared < 0)
        return qv_error_set(err, QV_INVALID, "compressed buffer %lld declares %lld bytes",
                            (long long)(br->next_buffer - 1), (long long)declared);
      if (declared > o->max_decompressed_size ||
          declared > o->max_decompressed_size - br->decompressed)
        return qv_error_set(err, QV_RESOURCE_EXHAUSTED,
                            "compressed buffer %lld declares %lld uncompressed bytes, which "
                            "takes the message over the limit of %lld "
                            "(qv_ipc_read_options.max_decompressed_size)",
                            (long long)(br->next_buffer - 1), (long long)declared,
                            (long long)o->max_decompressed_size);
      QV_RETURN_NOT_OK(
          qv__decompress_precheck(br->hdr->codec, br->body_data + off, len, declared, err));
      br->decompressed += declared;
      qv_buffer *b = NULL;
      QV_RETURN_NOT_OK(qv_buffer_allocate(br->dec->alloc, declared, &b, err));
      qv_status st = qv__decompress(&br->dec->codec, br->hdr->codec, br->body_data + off, len,
                                    qv_buffer_mutable_data(b), declared, err);
      if (st != QV_OK) {
        qv_buffer_unref(b);
        return st;
      }
      *out = b;
      return QV_OK;
    }
    if (len == 0) return empty_buffer(br, off, out, err);
  }
  const uint8_t *p = br->body_data + off;
  if (((uintptr_t)p & (uintptr_t)(align - 1)) == 0)
    return qv_buffer_slice(br->body, off, len, out, err);
  return qv_buffer_copy(br->dec->alloc, p, len, out, err);
}

/* Skips a buffer without reading it (a validity bitmap of a field without
 * nulls, the V4 union validity bitmap). The span is still checked. */
static qv_status skip_buffer(body_reader *br, qv_error *err) {
  qv_ipc_buffer_span span;
  return next_span(br, &span, err);
}

/* The validity bitmap of a node: NULL when the node has no nulls. */
static qv_status read_validity(body_reader *br, const qv_ipc_field_node *node, qv_buffer **out,
                               qv_error *err) {
  *out = NULL;
  if (node->null_count == 0) return skip_buffer(br, err);
  QV_RETURN_NOT_OK(read_buffer(br, 1, out, err));
  if (qv_buffer_size(*out) == 0) {
    qv_buffer_unref(*out);
    *out = NULL;
    return qv_error_set(err, QV_INVALID, "null count %lld but no validity bitmap",
                        (long long)node->null_count);
  }
  return QV_OK;
}

/* Offsets of a variable-size layout. Writers may leave the offsets of an empty
 * array out; give such arrays the single offset 0 they need. */
static qv_status read_offsets(body_reader *br, const qv_ipc_field_node *node, int32_t width,
                              qv_buffer **out, qv_error *err) {
  QV_RETURN_NOT_OK(read_buffer(br, width, out, err));
  if (node->length == 0 && qv_buffer_size(*out) < width) {
    qv_buffer_unref(*out);
    *out = NULL;
    return qv__ipc_zero_buffer(width, out, err);
  }
  return QV_OK;
}

/* ---- arrays ------------------------------------------------------------------- */

static qv_status read_array(body_reader *br, qv_data_type *type, int64_t dict_id,
                            const char *name, int depth, qv_array **out, qv_error *err);

/* Reads n children of type t into the caller's zeroed array. */
static qv_status read_children(body_reader *br, const qv_data_type *t, int depth,
                               qv_array **children, qv_error *err) {
  for (int32_t i = 0; i < t->n_children; i++) {
    qv_field *f = t->children[i];
    QV_RETURN_NOT_OK(read_array(br, f->type, f->dictionary_id, f->name, depth + 1, &children[i],
                                err));
  }
  return QV_OK;
}

/* The dictionary a dictionary-encoded node uses. A node that is all null may
 * come before its dictionary (the Arrow spec allows it); it gets an empty
 * one. */
static qv_status lookup_dictionary(body_reader *br, int64_t dict_id,
                                   const qv_ipc_field_node *node, qv_array **out, qv_error *err) {
  *out = NULL;
  dict_entry *e = find_dict(br->dec, dict_id);
  if (!e)
    return qv_error_set(err, QV_INVALID, "dictionary id %lld is not in the schema",
                        (long long)dict_id);
  if (e->dictionary) {
    *out = qv_array_ref(e->dictionary);
    return QV_OK;
  }
  if (node->null_count == node->length)
    return qv_array_make_nulls(br->dec->alloc, e->value_type, 0, out, err);
  return qv_error_set(err, QV_INVALID,
                      "uses dictionary id %lld before any DictionaryBatch defined it",
                      (long long)dict_id);
}

static qv_status read_array(body_reader *br, qv_data_type *type, int64_t dict_id,
                            const char *name, int depth, qv_array **out, qv_error *err) {
  *out = NULL;
  if (depth > QV_IPC_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "nesting deeper than %d levels", QV_IPC_MAX_DEPTH);
  if (br->next_node >= br->hdr->n_nodes)
    return qv_error_set(err, QV_INVALID,
                        "the message lists %lld field nodes, fewer than the schema needs",
                        (long long)br->hdr->n_nodes);
  const qv_ipc_field_node node = br->hdr->nodes[br->next_node++];
  if (node.length < 0 || node.null_count < 0 || node.null_count > node.length)
    return qv_error_set(err, QV_INVALID, "bad field node (length %lld, nulls %lld)",
                        (long long)node.length, (long long)node.null_count);

  qv_buffer *bufs[QV_MAX_BUFFERS] = {NULL, NULL, NULL};
  int32_t n_bufs = 0;
  qv_array *children_small[4] = {NULL, NULL, NULL, NULL};
  qv_array **children = children_small;
  int32_t n_children = 0;
  qv_array *dictionary = NULL;
  int64_t null_count = -1;
  bool v4 = br->version < QV_IPC_METADATA_V5;
  qv_status st = QV_OK;

  switch (qv__ipc_layout_of(type->id)) {
    case QV_IPC_LAYOUT_NA:
      null_count = node.length;
      break;
    case QV_IPC_LAYOUT_BOOL:
      n_bufs = 2;
      st = read_validity(br, &node, &bufs[0], err);
      if (st == QV_OK) st = read_buffer(br, 1, &bufs[1], err);
      break;
    case QV_IPC_LAYOUT_FIXED:
      n_bufs = 2;
      st = read_validity(br, &node, &bufs[0], err);
      if (st == QV_OK) st = read_buffer(br, qv__ipc_value_alignment(type), &bufs[1], err);
      break;
    case QV_IPC_LAYOUT_DICTIONARY:
      n_bufs = 2;
      st = read_validity(br, &node, &bufs[0], err);
      if (st == QV_OK)
        st = read_buffer(br, qv__ipc_value_alignment(type->dict_index), &bufs[1], err);
      if (st == QV_OK) st = lookup_dictionary(br, dict_id, &node, &dictionary, err);
      break;
    case QV_IPC_LAYOUT_BINARY:
    case QV_IPC_LAYOUT_LARGE_BINARY: {
      int32_t w = qv__ipc_layout_of(type->id) == QV_IPC_LAYOUT_BINARY ? 4 : 8;
      n_bufs = 3;
      st = read_validity(br, &node, &bufs[0], err);
      if (st == QV_OK) st = read_offsets(br, &node, w, &bufs[1], err);
      if (st == QV_OK) st = read_buffer(br, 1, &bufs[2], err);
      break;
    }
    case QV_IPC_LAYOUT_LIST:
    case QV_IPC_LAYOUT_LARGE_LIST: {
      int32_t w = qv__ipc_layout_of(type->id) == QV_IPC_LAYOUT_LIST ? 4 : 8;
      n_bufs = 2;
      st = read_validity(br, &node, &bufs[0], err);
      if (st == QV_OK) st = read_offsets(br, &node, w, &bufs[1], err);
      break;
    }
    case QV_IPC_LAYOUT_FIXED_LIST:
    case QV_IPC_LAYOUT_STRUCT:
      n_bufs = 1;
      st = read_validity(br, &node, &bufs[0], err);
      break;
    case QV_IPC_LAYOUT_SPARSE_UNION:
      null_count = 0;
      if (v4) st = skip_buffer(br, err); /* V4 unions had a validity bitmap */
      n_bufs = 1;
      if (st == QV_OK) st = read_buffer(br, 1, &bufs[0], err);
      break;
    case QV_IPC_LAYOUT_DENSE_UNION:
      null_count = 0;
      if (v4) st = skip_buffer(br, err);
      n_bufs = 2;
      if (st == QV_OK) st = read_buffer(br, 1, &bufs[0], err);
      if (st == QV_OK) st = read_buffer(br, 4, &bufs[1], err);
      break;
  }
  if (st == QV_OK && node.null_count == 0 && null_count < 0) null_count = 0;

  if (st == QV_OK && type->id != QV_DICTIONARY && type->n_children > 0) {
    n_children = type->n_children;
    if (n_children > (int32_t)(sizeof children_small / sizeof children_small[0])) {
      children = qv_alloc_zeroed(br->dec->alloc, (int64_t)n_children * (int64_t)sizeof *children);
      if (!children) {
        children = children_small;
        n_children = 0;
        st = qv_error_set(err, QV_NOMEM, "cannot allocate %d children", (int)type->n_children);
      }
    }
    if (st == QV_OK) st = read_children(br, type, depth, children, err);
  }
  if (st == QV_OK)
    st = qv_array_create(type, node.length, 0, null_count, bufs, n_bufs, children, n_children,
                         dictionary, out, err);

  for (int32_t i = 0; i < QV_MAX_BUFFERS; i++) qv_buffer_unref(bufs[i]);
  for (int32_t i = 0; i < n_children; i++) qv_array_unref(children[i]);
  if (children != children_small)
    qv_free(br->dec->alloc, children, (int64_t)n_children * (int64_t)sizeof *children);
  qv_array_unref(dictionary);
  if (st != QV_OK && depth > 0) qv_error_prefix(err, "field '%s'", name);
  return st;
}

/* Every node and buffer the message lists must have been used: a mismatch
 * means the message and the schema disagree on the layout. */
static qv_status check_all_used(const body_reader *br, qv_error *err) {
  if (br->next_node != br->hdr->n_nodes)
    return qv_error_set(err, QV_INVALID, "the message lists %lld field nodes, the schema uses %lld",
                        (long long)br->hdr->n_nodes, (long long)br->next_node);
  if (br->next_buffer != br->hdr->n_buffers)
    return qv_error_set(err, QV_INVALID, "the message lists %lld buffers, the schema uses %lld",
                        (long long)br->hdr->n_buffers, (long long)br->next_buffer);
  return QV_OK;
}

static qv_status init_body_reader(qv_ipc_decoder *dec, const qv_ipc_message *msg, qv_buffer *body,
                                  body_reader *br, qv_error *err) {
  memset(br, 0, sizeof *br);
  br->dec = dec;
  br->hdr = &msg->batch;
  br->version = msg->version;
  if (msg->body_length < 0)
    return qv_error_set(err, QV_INVALID, "negative body length %lld", (long long)msg->body_length);
  int64_t have = body ? qv_buffer_size(body) : 0;
  if (have < msg->body_length)
    return qv_error_set(err, QV_INVALID, "the message declares a body of %lld bytes but has %lld",
                        (long long)msg->body_length, (long long)have);
  if (msg->batch.length < 0)
    return qv_error_set(err, QV_INVALID, "negative length %lld", (long long)msg->batch.length);
  if (msg->batch.n_nodes < 0 || msg->batch.n_buffers < 0)
    return qv_error_set(err, QV_INVALID, "negative node or buffer count");
  if (msg->batch.codec != QV_IPC_CODEC_NONE && msg->batch.codec != QV_IPC_CODEC_LZ4_FRAME &&
      msg->batch.codec != QV_IPC_CODEC_ZSTD)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "unknown compression codec %d",
                        (int)msg->batch.codec);
  br->body = body;
  br->body_data = body ? qv_buffer_data(body) : NULL;
  br->body_length = msg->body_length;
  return QV_OK;
}

static qv_status read_record_batch(qv_ipc_decoder *dec, const qv_ipc_message *msg,
                                   qv_buffer *body, qv_record_batch **out, qv_error *err) {
  body_reader br;
  QV_RETURN_NOT_OK(init_body_reader(dec, msg, body, &br, err));
  qv_schema *schema = dec->schema;
  int32_t n = schema->n_fields;
  qv_array **columns = qv_alloc_zeroed(dec->alloc, (int64_t)(n ? n : 1) * (int64_t)sizeof *columns);
  if (!columns) return qv_error_set(err, QV_NOMEM, "cannot allocate %d columns", (int)n);
  qv_status st = QV_OK;
  for (int32_t i = 0; i < n && st == QV_OK; i++) {
    qv_field *f = schema->fields[i];
    st = read_array(&br, f->type, f->dictionary_id, f->name, 0, &columns[i], err);
    if (st != QV_OK) qv_error_prefix(err, "field '%s'", f->name);
  }
  if (st == QV_OK) st = check_all_used(&br, err);
  if (st == QV_OK) st = qv_record_batch_create(schema, msg->batch.length, columns, n, out, err);
  for (int32_t i = 0; i < n; i++) qv_array_unref(columns[i]);
  qv_free(dec->alloc, columns, (int64_t)(n ? n : 1) * (int64_t)sizeof *columns);
  if (st == QV_OK && dec->opts.validate) {
    st = qv_record_batch_validate_full(*out, err);
    if (st != QV_OK) {
      qv_record_batch_unref(*out);
      *out = NULL;
    }
  }
  return st;
}

static qv_status read_dictionary_batch(qv_ipc_decoder *dec, const qv_ipc_message *msg,
                                       qv_buffer *body, qv_error *err) {
  dict_entry *e = find_dict(dec, msg->dictionary_id);
  if (!e)
    return qv_error_set(err, QV_INVALID, "no field of the schema uses dictionary id %lld",
                        (long long)msg->dictionary_id);
  if (dec->file_mode && e->dictionary && !msg->is_delta)
    return qv_error_set(err, QV_INVALID,
                        "dictionary id %lld is defined twice; the file format allows only "
                        "deltas after the first definition",
                        (long long)msg->dictionary_id);
  body_reader br;
  QV_RETURN_NOT_OK(init_body_reader(dec, msg, body, &br, err));
  qv_array *values = NULL;
  qv_status st = read_array(&br, e->value_type, -1, "dictionary", 0, &values, err);
  if (st == QV_OK) st = check_all_used(&br, err);
  if (st == QV_OK && qv_array_length(values) != msg->batch.length)
    st = qv_error_set(err, QV_INVALID, "the batch has length %lld but its values %lld",
                      (long long)msg->batch.length, (long long)qv_array_length(values));
  if (st == QV_OK && dec->opts.validate) st = qv_array_validate_full(values, err);
  if (st == QV_OK && msg->is_delta && e->dictionary) {
    qv_array *joined = NULL;
    st = qv__ipc_array_concat(dec->alloc, e->dictionary, values, &joined, err);
    qv_array_unref(values);
    values = joined;
  }
  if (st != QV_OK) {
    qv_array_unref(values);
    return st;
  }
  qv_array_unref(e->dictionary);
  e->dictionary = values;
  return QV_OK;
}

qv_status qv__ipc_decoder_decode_message(qv_ipc_decoder *dec, const qv_ipc_message *msg,
                                         qv_buffer *body, qv_record_batch **out,
                                         qv_error *err) {
  *out = NULL;
  if (msg->version < QV_IPC_METADATA_V4)
    return qv_error_set(err, QV_NOT_IMPLEMENTED,
                        "ipc: metadata version V%d (before Arrow 0.8) is not supported",
                        (int)msg->version + 1);
  qv_status st;
  switch (msg->type) {
    case QV_IPC_MSG_SCHEMA:
      return qv__ipc_decoder_set_schema(dec, msg->schema, msg->big_endian, err);
    case QV_IPC_MSG_DICTIONARY_BATCH:
      if (!dec->schema)
        return qv_error_set(err, QV_INVALID, "ipc: DictionaryBatch message before the Schema");
      st = read_dictionary_batch(dec, msg, body, err);
      if (st != QV_OK)
        qv_error_prefix(err, "ipc: dictionary batch (id %lld)", (long long)msg->dictionary_id);
      return st;
    case QV_IPC_MSG_RECORD_BATCH:
      if (!dec->schema)
        return qv_error_set(err, QV_INVALID, "ipc: RecordBatch message before the Schema");
      st = read_record_batch(dec, msg, body, out, err);
      if (st != QV_OK) qv_error_prefix(err, "ipc: record batch");
      return st;
    case QV_IPC_MSG_TENSOR:
    case QV_IPC_MSG_SPARSE_TENSOR:
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "ipc: tensor messages are not supported");
    case QV_IPC_MSG_NONE:
      break;
  }
  return qv_error_set(err, QV_INVALID, "ipc: message of unknown type %d", (int)msg->type);
}

qv_status qv_ipc_decoder_decode(qv_ipc_decoder *dec, const uint8_t *metadata, int64_t metadata_len,
                                qv_buffer *body, qv_record_batch **out, qv_error *err) {
  *out = NULL;
  if (!metadata || metadata_len <= 0)
    return qv_error_set(err, QV_INVALID, "ipc: empty message metadata");
  qv_ipc_message msg;
  memset(&msg, 0, sizeof msg);
  QV_RETURN_NOT_OK(qv__ipc_message_decode(metadata, metadata_len, dec->alloc, &msg, err));
  qv_status st = qv__ipc_decoder_decode_message(dec, &msg, body, out, err);
  qv__ipc_message_reset(&msg);
  return st;
}
