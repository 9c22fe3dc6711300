/* Data types, fields, schemas and values on the wire: qv_data_type <->
 * quiver.DataType (every type of type.h, parameters checked and rebuilt
 * through the type constructors), fields and schemas with their metadata,
 * and record batches and literal values as Arrow IPC streams, which carry
 * any Arrow type exactly and are fully validated when read back. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "plan/codec_internal.h"
#include "quiver/ipc.h"

/* ---- metadata ------------------------------------------------------------------------ */

static qv_status encode_metadata(qv__plan_enc *e, const qv_metadata *md, size_t *n_out, Quiver__KeyValue ***out,
                                 qv_error *err) {
  *n_out = 0;
  *out = NULL;
  int64_t n = qv_metadata_count(md);
  if (!n) return QV_OK;
  QV_RETURN_NOT_OK(qv__plan_enc_alloc(e, (size_t)n * sizeof **out, (void **)out, err));
  for (int64_t i = 0; i < n; i++) {
    const char *k, *v;
    int64_t kl, vl;
    qv_metadata_get(md, i, &k, &kl, &v, &vl);
    Quiver__KeyValue *kv;
    QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__KeyValue, quiver__key_value__init, &kv, err));
    kv->key.data = (uint8_t *)k; /* borrowed from md, which outlives the packing */
    kv->key.len = (size_t)kl;
    kv->value.data = (uint8_t *)v;
    kv->value.len = (size_t)vl;
    (*out)[i] = kv;
  }
  *n_out = (size_t)n;
  return QV_OK;
}

static qv_status decode_metadata(Quiver__KeyValue *const *kvs, size_t n, qv_metadata **out, qv_error *err) {
  *out = NULL;
  if (!n) return QV_OK;
  qv_metadata *md = NULL;
  QV_RETURN_NOT_OK(qv_metadata_create(&md, err));
  for (size_t i = 0; i < n; i++) {
    const Quiver__KeyValue *kv = kvs[i];
    static const char none[1] = {0};
    qv_status st = qv_metadata_append(md, kv->key.len ? (const char *)kv->key.data : none, (int64_t)kv->key.len,
                                      kv->value.len ? (const char *)kv->value.data : none, (int64_t)kv->value.len,
                                      err);
    if (st != QV_OK) {
      qv_metadata_destroy(md);
      return st;
    }
  }
  *out = md;
  return QV_OK;
}

/* ---- types and fields ----------------------------------------------------------------- */

static qv_status encode_field(qv__plan_enc *e, const qv_field *f, int32_t depth, Quiver__Field **out,
                              qv_error *err) {
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__Field, quiver__field__init, out, err));
  Quiver__Field *m = *out;
  QV_RETURN_NOT_OK(qv__plan_enc_strdup(e, qv_field_name(f), &m->name, err));
  QV_RETURN_NOT_OK(qv__encode_type(e, qv_field_type(f), depth, &m->type, err));
  m->nullable = qv_field_nullable(f);
  m->dictionary_id = qv_field_dictionary_id(f);
  return encode_metadata(e, qv_field_metadata(f), &m->n_metadata, &m->metadata, err);
}

static qv_status decode_field(const Quiver__Field *m, int32_t depth, qv_field **out, qv_error *err) {
  *out = NULL;
  const char *name = m->name ? m->name : "";
  if (!m->type) return qv_error_set(err, QV_INVALID, "field '%s': no type", name);
  qv_data_type *type = NULL;
  qv_status st = qv__decode_type(m->type, depth, &type, err);
  qv_metadata *md = NULL;
  if (st == QV_OK) st = decode_metadata(m->metadata, m->n_metadata, &md, err);
  if (st == QV_OK) st = qv_field_create(name, type, m->nullable, md, out, err);
  qv_metadata_destroy(md);
  qv_type_unref(type);
  if (st != QV_OK) return st;
  if (qv_type_id_of(qv_field_type(*out)) == QV_DICTIONARY) qv_field_set_dictionary_id(*out, m->dictionary_id);
  return QV_OK;
}

qv_status qv__encode_type(qv__plan_enc *e, const qv_data_type *t, int32_t depth, Quiver__DataType **out,
                          qv_error *err) {
  if (depth > QV_PLAN_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "data type nested deeper than %d levels", QV_PLAN_MAX_DEPTH);
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__DataType, quiver__data_type__init, out, err));
  Quiver__DataType *m = *out;
  qv_type_id id = qv_type_id_of(t);
  m->id = (uint32_t)id;
  switch (id) {
    case QV_DECIMAL128:
    case QV_DECIMAL256:
      m->precision = t->precision;
      m->scale = t->scale;
      break;
    case QV_TIME32:
    case QV_TIME64:
    case QV_DURATION: m->unit = (Quiver__TimeUnit)t->unit; break;
    case QV_TIMESTAMP:
      m->unit = (Quiver__TimeUnit)t->unit;
      if (t->timezone) {
        m->has_timezone = true;
        QV_RETURN_NOT_OK(qv__plan_enc_strdup(e, t->timezone, &m->timezone, err));
      }
      break;
    case QV_FIXED_SIZE_BINARY: m->byte_width = t->byte_width; break;
    case QV_FIXED_SIZE_LIST: m->list_size = t->list_size; break;
    case QV_MAP: m->keys_sorted = t->keys_sorted; break;
    case QV_DICTIONARY:
      m->dict_ordered = t->dict_ordered;
      QV_RETURN_NOT_OK(qv__encode_type(e, t->dict_index, depth + 1, &m->dict_index, err));
      QV_RETURN_NOT_OK(qv__encode_type(e, t->dict_value, depth + 1, &m->dict_value, err));
      break;
    default: break;
  }
  if (t->n_children > 0) {
    QV_RETURN_NOT_OK(qv__plan_enc_alloc(e, (size_t)t->n_children * sizeof *m->children, (void **)&m->children, err));
    for (int32_t i = 0; i < t->n_children; i++)
      QV_RETURN_NOT_OK(encode_field(e, t->children[i], depth + 1, &m->children[i], err));
    m->n_children = (size_t)t->n_children;
  }
  if ((id == QV_SPARSE_UNION || id == QV_DENSE_UNION) && t->n_children > 0) {
    QV_RETURN_NOT_OK(
        qv__plan_enc_alloc(e, (size_t)t->n_children * sizeof *m->type_codes, (void **)&m->type_codes, err));
    for (int32_t i = 0; i < t->n_children; i++) m->type_codes[i] = t->type_codes[i];
    m->n_type_codes = (size_t)t->n_children;
  }
  return QV_OK;
}

static bool unit_ok(Quiver__TimeUnit u) { return (int)u >= QV_SECOND && (int)u <= QV_NANO; }

/* The child fields of m (n of them expected; -1: any number up to 4096). */
static qv_status decode_children(const Quiver__DataType *m, int32_t depth, int32_t want, qv_field ***out,
                                 int32_t *n_out, qv_error *err) {
  *out = NULL;
  *n_out = 0;
  if (want >= 0 && m->n_children != (size_t)want)
    return qv_error_set(err, QV_INVALID, "type id %u: %zu child fields, expected %d", m->id, m->n_children, want);
  if (m->n_children > 4096)
    return qv_error_set(err, QV_INVALID, "type: %zu child fields (at most 4096)", m->n_children);
  int32_t n = (int32_t)m->n_children;
  qv_field **fields = calloc((size_t)(n ? n : 1), sizeof *fields);
  if (!fields) return qv_error_set(err, QV_NOMEM, "out of memory");
  for (int32_t i = 0; i < n; i++) {
    qv_status st = decode_field(m->children[i], depth + 1, &fields[i], err);
    if (st != QV_OK) {
      for (int32_t j = 0; j < i; j++) qv_field_unref(fields[j]);
      free(fields);
      return st;
    }
  }
  *out = fields;
  *n_out = n;
  return QV_OK;
}

static void free_fields(qv_field **fields, int32_t n) {
  for (int32_t i = 0; i < n; i++) qv_field_unref(fields[i]);
  free(fields);
}

static qv_status decode_nested(const Quiver__DataType *m, qv_type_id id, int32_t depth, qv_data_type **out,
                               qv_error *err) {
  int32_t want = id == QV_STRUCT || id == QV_SPARSE_UNION || id == QV_DENSE_UNION ? -1 : 1;
  qv_field **fields = NULL;
  int32_t n = 0;
  QV_RETURN_NOT_OK(decode_children(m, depth, want, &fields, &n, err));
  qv_status st;
  switch (id) {
    case QV_LIST:
    case QV_LARGE_LIST: st = qv_type_list(id, fields[0], out, err); break;
    case QV_FIXED_SIZE_LIST: st = qv_type_fixed_size_list(fields[0], m->list_size, out, err); break;
    case QV_MAP: st = qv_type_map(fields[0], m->keys_sorted, out, err); break;
    case QV_STRUCT: st = qv_type_struct(fields, n, out, err); break;
    default: {
      int8_t codes[128];
      st = QV_OK;
      if (m->n_type_codes != (size_t)n)
        st = qv_error_set(err, QV_INVALID, "union type: %zu type codes for %d fields", m->n_type_codes, n);
      else if (n > 128)
        st = qv_error_set(err, QV_INVALID, "union type: %d fields (at most 128)", n);
      for (int32_t i = 0; st == QV_OK && i < n; i++) {
        if (m->type_codes[i] < 0 || m->type_codes[i] > 127)
          st = qv_error_set(err, QV_INVALID, "union type: type code %d outside [0, 127]", m->type_codes[i]);
        else codes[i] = (int8_t)m->type_codes[i];
      }
      if (st == QV_OK) st = qv_type_union(id, fields, codes, n, out, err);
      break;
    }
  }
  free_fields(fields, n);
  return st;
}

qv_status qv__decode_type(const Quiver__DataType *m, int32_t depth, qv_data_type **out, qv_error *err) {
  *out = NULL;
  if (!m) return qv_error_set(err, QV_INVALID, "missing data type");
  if (depth > QV_PLAN_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "data type nested deeper than %d levels", QV_PLAN_MAX_DEPTH);
  if (m->id >= (uint32_t)QV_TYPE_ID_COUNT) return qv_error_set(err, QV_INVALID, "unknown type id %u", m->id);
  qv_type_id id = (qv_type_id)m->id;
  qv_data_type *prim = qv_type_primitive(id);
  if (prim) {
    *out = prim;
    return QV_OK;
  }
  switch (id) {
    case QV_DECIMAL128:
    case QV_DECIMAL256: return qv_type_decimal(id, m->precision, m->scale, out, err);
    case QV_TIME32:
    case QV_TIME64:
    case QV_DURATION:
      if (!unit_ok(m->unit)) return qv_error_set(err, QV_INVALID, "unknown time unit %d", (int)m->unit);
      return qv_type_time(id, (qv_time_unit)m->unit, out, err);
    case QV_TIMESTAMP:
      if (!unit_ok(m->unit)) return qv_error_set(err, QV_INVALID, "unknown time unit %d", (int)m->unit);
      return qv_type_timestamp((qv_time_unit)m->unit, m->has_timezone ? (m->timezone ? m->timezone : "") : NULL, out,
                               err);
    case QV_FIXED_SIZE_BINARY: return qv_type_fixed_size_binary(m->byte_width, out, err);
    case QV_LIST:
    case QV_LARGE_LIST:
    case QV_FIXED_SIZE_LIST:
    case QV_STRUCT:
    case QV_MAP:
    case QV_SPARSE_UNION:
    case QV_DENSE_UNION: return decode_nested(m, id, depth, out, err);
    case QV_DICTIONARY: {
      if (!m->dict_index || !m->dict_value)
        return qv_error_set(err, QV_INVALID, "dictionary type: missing index or value type");
      qv_data_type *index = NULL, *value = NULL;
      qv_status st = qv__decode_type(m->dict_index, depth + 1, &index, err);
      if (st == QV_OK) st = qv__decode_type(m->dict_value, depth + 1, &value, err);
      if (st == QV_OK) st = qv_type_dictionary(index, value, m->dict_ordered, out, err);
      qv_type_unref(index);
      qv_type_unref(value);
      return st;
    }
    default: return qv_error_set(err, QV_INVALID, "type id %u has no parameters to decode", m->id);
  }
}

/* ---- schemas --------------------------------------------------------------------------- */

qv_status qv__encode_schema(qv__plan_enc *e, const qv_schema *s, Quiver__Schema **out, qv_error *err) {
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__Schema, quiver__schema__init, out, err));
  Quiver__Schema *m = *out;
  int32_t n = qv_schema_num_fields(s);
  if (n > 0) {
    QV_RETURN_NOT_OK(qv__plan_enc_alloc(e, (size_t)n * sizeof *m->fields, (void **)&m->fields, err));
    for (int32_t i = 0; i < n; i++) QV_RETURN_NOT_OK(encode_field(e, qv_schema_field(s, i), 1, &m->fields[i], err));
    m->n_fields = (size_t)n;
  }
  return encode_metadata(e, qv_schema_metadata(s), &m->n_metadata, &m->metadata, err);
}

qv_status qv__decode_schema(const Quiver__Schema *m, qv_schema **out, qv_error *err) {
  *out = NULL;
  if (!m) return qv_error_set(err, QV_INVALID, "missing schema");
  if (m->n_fields > (size_t)INT32_MAX) return qv_error_set(err, QV_INVALID, "schema: too many fields");
  int32_t n = (int32_t)m->n_fields;
  qv_field **fields = calloc((size_t)(n ? n : 1), sizeof *fields);
  if (!fields) return qv_error_set(err, QV_NOMEM, "out of memory");
  qv_status st = QV_OK;
  int32_t done = 0;
  for (; st == QV_OK && done < n; done++) {
    st = decode_field(m->fields[done], 1, &fields[done], err);
    if (st != QV_OK)
      qv_error_prefix(err, "schema field %d ('%s')", done, m->fields[done]->name ? m->fields[done]->name : "");
  }
  if (st != QV_OK) done--;
  qv_metadata *md = NULL;
  if (st == QV_OK) st = decode_metadata(m->metadata, m->n_metadata, &md, err);
  if (st == QV_OK) st = qv_schema_create(fields, n, md, out, err);
  qv_metadata_destroy(md);
  free_fields(fields, done);
  return st;
}

/* ---- IPC streams ------------------------------------------------------------------------ */

qv_status qv__encode_ipc(qv__plan_enc *e, qv_schema *schema, qv_record_batch *const *batches, int64_t n,
                         ProtobufCBinaryData *out, qv_error *err) {
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  qv_ipc_stream_writer *w = NULL;
  qv_status st = qv_ipc_stream_writer_create(schema, NULL, qv_ipc_sink_bytes(&bytes), &w, err);
  for (int64_t i = 0; st == QV_OK && i < n; i++) st = qv_ipc_stream_writer_write(w, batches[i], err);
  if (st == QV_OK) st = qv_ipc_stream_writer_close(w, err);
  qv_ipc_stream_writer_destroy(w);
  qv_buffer *buf = NULL;
  if (st == QV_OK) st = qv_bytes_finish(&bytes, &buf, err);
  qv_bytes_reset(&bytes);
  if (st != QV_OK) return st;
  return qv__plan_enc_keep(e, buf, out, err);
}

void qv__free_batches(qv_record_batch **batches, int64_t n) {
  for (int64_t i = 0; i < n; i++) qv_record_batch_unref(batches[i]);
  free(batches);
}

qv_status qv__decode_ipc(const ProtobufCBinaryData *in, qv_schema **schema, qv_record_batch ***out, int64_t *n,
                         qv_error *err) {
  *schema = NULL;
  *out = NULL;
  *n = 0;
  if (!in->len) return qv_error_set(err, QV_INVALID, "empty IPC stream");
  /* A copy: the arrays read are zero-copy views of it, and outlive the
   * message the bytes came in. */
  qv_buffer *buf = NULL;
  QV_RETURN_NOT_OK(qv_buffer_copy(qv_default_allocator(), in->data, (int64_t)in->len, &buf, err));
  /* Quiver writes these streams uncompressed; a compressed one may expand,
   * but not beyond what is reasonable for its size. */
  qv_ipc_read_options opts;
  qv_ipc_read_options_init(&opts);
  opts.max_decompressed_size = ((int64_t)16 << 20) + 64 * (int64_t)in->len;
  qv_ipc_stream_reader *r = NULL;
  qv_status st = qv_ipc_stream_reader_create(buf, &opts, &r, err);
  qv_buffer_unref(buf);
  qv_record_batch **batches = NULL;
  int64_t count = 0, cap = 0;
  while (st == QV_OK) {
    qv_record_batch *b = NULL;
    st = qv_ipc_stream_reader_next(r, &b, err);
    if (st != QV_OK || !b) break;
    if (count == cap) {
      int64_t ncap = cap ? cap * 2 : 4;
      qv_record_batch **grown = realloc(batches, (size_t)ncap * sizeof *grown);
      if (!grown) {
        qv_record_batch_unref(b);
        st = qv_error_set(err, QV_NOMEM, "out of memory");
        break;
      }
      batches = grown;
      cap = ncap;
    }
    batches[count++] = b;
  }
  if (st == QV_OK) *schema = qv_schema_ref(qv_ipc_stream_reader_schema(r));
  qv_ipc_stream_reader_destroy(r);
  if (st != QV_OK) {
    qv__free_batches(batches, count);
    qv_error_prefix(err, "IPC stream");
    return st;
  }
  *out = batches;
  *n = count;
  return QV_OK;
}

/* ---- literal values ----------------------------------------------------------------------- */

qv_status qv__encode_scalar(qv__plan_enc *e, qv_array *value, Quiver__ScalarValue **out, qv_error *err) {
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__ScalarValue, quiver__scalar_value__init, out, err));
  qv_field *f = NULL;
  qv_schema *schema = NULL;
  qv_record_batch *batch = NULL;
  qv_status st = qv_field_create("value", value->type, true, NULL, &f, err);
  if (st == QV_OK) st = qv_schema_create(&f, 1, NULL, &schema, err);
  if (st == QV_OK) st = qv_record_batch_create(schema, value->length, &value, 1, &batch, err);
  if (st == QV_OK) st = qv__encode_ipc(e, schema, &batch, 1, &(*out)->ipc, err);
  qv_record_batch_unref(batch);
  qv_schema_unref(schema);
  qv_field_unref(f);
  return st;
}

qv_status qv__decode_scalar(const Quiver__ScalarValue *m, qv_array **out, qv_error *err) {
  *out = NULL;
  qv_schema *schema = NULL;
  qv_record_batch **batches = NULL;
  int64_t n = 0;
  QV_RETURN_NOT_OK(qv__decode_ipc(&m->ipc, &schema, &batches, &n, err));
  qv_status st = QV_OK;
  if (n != 1 || batches[0]->n_columns != 1 || batches[0]->num_rows != 1)
    st = qv_error_set(err, QV_INVALID, "literal: expected one batch of one column and one row, got %lld batches%s",
                      (long long)n, n == 1 ? " of another shape" : "");
  else *out = qv_array_ref(batches[0]->columns[0]);
  qv__free_batches(batches, n);
  qv_schema_unref(schema);
  return st;
}
