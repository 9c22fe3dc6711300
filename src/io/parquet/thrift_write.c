/* The Thrift compact protocol, write side, and the encoders of Parquet's
 * PageHeader and FileMetaData written from parquet.thrift: field headers
 * carry the id delta in their high nibble when it is 1..15 (else the type
 * byte is followed by the zigzag id), integers are zigzag varints, bools
 * live in the field header's type, binaries are a varint length and the
 * bytes, lists a size/type byte (or 0xF_ and a varint size). Each struct
 * encoder writes its fields in increasing id order, as Thrift's generated
 * code does, so that every header but the first of a struct is one byte. */
#include "io/parquet/thrift_write.h"

#include <string.h>

void qv__pq_tw_init(qv_pq_tw *w, qv_bytes *out) {
  memset(w, 0, sizeof *w);
  w->out = out;
}

qv_status qv__pq_tw_finish(qv_pq_tw *w, qv_error *err) {
  if (w->failed) return qv_error_set(err, QV_NOMEM, "parquet: out of memory encoding metadata");
  if (w->depth != 0)
    return qv_error_set(err, QV_INTERNAL, "parquet: metadata encoder left %d structs open", w->depth);
  return QV_OK;
}

/* Room for n more bytes, or NULL (and the writer failed). */
static uint8_t *room(qv_pq_tw *w, int64_t n) {
  if (w->failed) return NULL;
  if (w->out->capacity - w->out->size < n && qv_bytes_reserve(w->out, n, NULL) != QV_OK) {
    w->failed = true;
    return NULL;
  }
  return w->out->data + w->out->size;
}

static void put_byte(qv_pq_tw *w, uint8_t b) {
  uint8_t *p = room(w, 1);
  if (!p) return;
  *p = b;
  w->out->size++;
}

void qv__pq_tw_varint(qv_pq_tw *w, uint64_t v) {
  uint8_t *p = room(w, 10);
  if (!p) return;
  int n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  w->out->size += n;
}

static void put_zigzag(qv_pq_tw *w, int64_t v) {
  qv__pq_tw_varint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void qv__pq_tw_field(qv_pq_tw *w, int16_t id, int type) {
  int delta = id - w->last[w->depth];
  if (delta > 0 && delta <= 15) {
    put_byte(w, (uint8_t)(delta << 4 | type));
  } else {
    put_byte(w, (uint8_t)type);
    put_zigzag(w, id);
  }
  w->last[w->depth] = id;
}

void qv__pq_tw_i32(qv_pq_tw *w, int16_t id, int32_t v) {
  qv__pq_tw_field(w, id, QV_PQ_T_I32);
  put_zigzag(w, v);
}

void qv__pq_tw_i64(qv_pq_tw *w, int16_t id, int64_t v) {
  qv__pq_tw_field(w, id, QV_PQ_T_I64);
  put_zigzag(w, v);
}

void qv__pq_tw_bool(qv_pq_tw *w, int16_t id, bool v) {
  qv__pq_tw_field(w, id, v ? QV_PQ_T_TRUE : QV_PQ_T_FALSE);
}

void qv__pq_tw_list_binary(qv_pq_tw *w, const void *data, int64_t len) {
  qv__pq_tw_varint(w, (uint64_t)len);
  uint8_t *p = room(w, len);
  if (!p) return;
  if (len) memcpy(p, data, (size_t)len);
  w->out->size += len;
}

void qv__pq_tw_binary(qv_pq_tw *w, int16_t id, const void *data, int64_t len) {
  qv__pq_tw_field(w, id, QV_PQ_T_BINARY);
  qv__pq_tw_list_binary(w, data, len);
}

void qv__pq_tw_string(qv_pq_tw *w, int16_t id, const char *s) {
  qv__pq_tw_binary(w, id, s, (int64_t)strlen(s));
}

static void push(qv_pq_tw *w) {
  if (w->depth >= QV_PQ_THRIFT_MAX_DEPTH) {
    w->failed = true; /* reported as NOMEM by finish; the encoders never nest this deep */
    return;
  }
  w->depth++;
  w->last[w->depth] = 0;
}

void qv__pq_tw_struct_begin(qv_pq_tw *w, int16_t id) {
  qv__pq_tw_field(w, id, QV_PQ_T_STRUCT);
  push(w);
}

void qv__pq_tw_element_begin(qv_pq_tw *w) { push(w); }

void qv__pq_tw_struct_end(qv_pq_tw *w) {
  put_byte(w, QV_PQ_T_STOP);
  if (w->depth > 0) w->depth--;
}

void qv__pq_tw_list_begin(qv_pq_tw *w, int16_t id, int elem_type, int64_t count) {
  qv__pq_tw_field(w, id, QV_PQ_T_LIST);
  if (count < 15) {
    put_byte(w, (uint8_t)(count << 4 | elem_type));
  } else {
    put_byte(w, (uint8_t)(0xf0 | elem_type));
    qv__pq_tw_varint(w, (uint64_t)count);
  }
}

void qv__pq_tw_list_i32(qv_pq_tw *w, int32_t v) { put_zigzag(w, v); }

/* ---- page headers ------------------------------------------------------------------ */

qv_status qv__pq_encode_page_header(const qv_pq_page_header *h, qv_bytes *out, qv_error *err) {
  qv_pq_tw tw;
  qv_pq_tw *w = &tw;
  qv__pq_tw_init(w, out);
  qv__pq_tw_i32(w, 1, h->type);
  qv__pq_tw_i32(w, 2, h->uncompressed_page_size);
  qv__pq_tw_i32(w, 3, h->compressed_page_size);
  if (h->has_crc) qv__pq_tw_i32(w, 4, (int32_t)h->crc);
  if (h->has_data) {
    qv__pq_tw_struct_begin(w, 5);
    qv__pq_tw_i32(w, 1, h->data.num_values);
    qv__pq_tw_i32(w, 2, h->data.encoding);
    qv__pq_tw_i32(w, 3, h->data.def_encoding);
    qv__pq_tw_i32(w, 4, h->data.rep_encoding);
    qv__pq_tw_struct_end(w);
  }
  if (h->has_dict) {
    qv__pq_tw_struct_begin(w, 7);
    qv__pq_tw_i32(w, 1, h->dict.num_values);
    qv__pq_tw_i32(w, 2, h->dict.encoding);
    qv__pq_tw_struct_end(w);
  }
  if (h->has_data_v2) {
    qv__pq_tw_struct_begin(w, 8);
    qv__pq_tw_i32(w, 1, h->v2.num_values);
    qv__pq_tw_i32(w, 2, h->v2.num_nulls);
    qv__pq_tw_i32(w, 3, h->v2.num_rows);
    qv__pq_tw_i32(w, 4, h->v2.encoding);
    qv__pq_tw_i32(w, 5, h->v2.def_length);
    qv__pq_tw_i32(w, 6, h->v2.rep_length);
    qv__pq_tw_bool(w, 7, h->v2.is_compressed);
    qv__pq_tw_struct_end(w);
  }
  qv__pq_tw_struct_end(w); /* the PageHeader itself: depth 0 */
  return qv__pq_tw_finish(w, err);
}

/* ---- file metadata ----------------------------------------------------------------- */

/* An empty struct as a union member (TimeUnit, LogicalType members without
 * parameters, ColumnOrder's TypeDefinedOrder). */
static void empty_struct(qv_pq_tw *w, int16_t id) {
  qv__pq_tw_struct_begin(w, id);
  qv__pq_tw_struct_end(w);
}

static void encode_logical_type(qv_pq_tw *w, const qv_pq_logical_type *lt) {
  qv__pq_tw_struct_begin(w, 10);
  switch (lt->kind) {
    case QV_PQ_LT_DECIMAL:
      qv__pq_tw_struct_begin(w, QV_PQ_LT_DECIMAL);
      qv__pq_tw_i32(w, 1, lt->scale);
      qv__pq_tw_i32(w, 2, lt->precision);
      qv__pq_tw_struct_end(w);
      break;
    case QV_PQ_LT_TIME:
    case QV_PQ_LT_TIMESTAMP:
      qv__pq_tw_struct_begin(w, (int16_t)lt->kind);
      qv__pq_tw_bool(w, 1, lt->adjusted_to_utc);
      qv__pq_tw_struct_begin(w, 2);
      empty_struct(w, (int16_t)lt->unit);
      qv__pq_tw_struct_end(w);
      qv__pq_tw_struct_end(w);
      break;
    case QV_PQ_LT_INTEGER:
      qv__pq_tw_struct_begin(w, QV_PQ_LT_INTEGER);
      qv__pq_tw_field(w, 1, QV_PQ_T_I8);
      put_byte(w, (uint8_t)lt->bit_width); /* an i8 is one raw byte */
      qv__pq_tw_bool(w, 2, lt->is_signed);
      qv__pq_tw_struct_end(w);
      break;
    default: empty_struct(w, (int16_t)lt->kind); /* STRING, MAP, LIST, DATE, UNKNOWN, FLOAT16, ... */
  }
  qv__pq_tw_struct_end(w);
}

static void encode_schema_element(qv_pq_tw *w, const qv_pq_schema_element *e) {
  qv__pq_tw_element_begin(w);
  if (e->has_type) qv__pq_tw_i32(w, 1, e->type);
  if (e->has_type && e->type == QV_PARQUET_FIXED_LEN_BYTE_ARRAY) qv__pq_tw_i32(w, 2, e->type_length);
  if (e->has_repetition) qv__pq_tw_i32(w, 3, e->repetition);
  qv__pq_tw_string(w, 4, e->name);
  if (e->has_num_children) qv__pq_tw_i32(w, 5, e->num_children);
  if (e->has_converted_type) {
    qv__pq_tw_i32(w, 6, e->converted_type);
    if (e->converted_type == QV_PQ_CT_DECIMAL) {
      qv__pq_tw_i32(w, 7, e->scale);
      qv__pq_tw_i32(w, 8, e->precision);
    }
  }
  if (e->has_field_id) qv__pq_tw_i32(w, 9, e->field_id);
  if (e->logical.kind != QV_PQ_LT_NONE) encode_logical_type(w, &e->logical);
  qv__pq_tw_struct_end(w);
}

static void encode_key_values(qv_pq_tw *w, int16_t id, const qv_pq_key_value *kv, int32_t n) {
  qv__pq_tw_list_begin(w, id, QV_PQ_T_STRUCT, n);
  for (int32_t i = 0; i < n; i++) {
    qv__pq_tw_element_begin(w);
    qv__pq_tw_binary(w, 1, kv[i].key.data, kv[i].key.len);
    if (kv[i].value.data) qv__pq_tw_binary(w, 2, kv[i].value.data, kv[i].value.len);
    qv__pq_tw_struct_end(w);
  }
}

static void encode_statistics(qv_pq_tw *w, const qv_pq_statistics *s) {
  qv__pq_tw_struct_begin(w, 12);
  if (s->max.data) qv__pq_tw_binary(w, 1, s->max.data, s->max.len);
  if (s->min.data) qv__pq_tw_binary(w, 2, s->min.data, s->min.len);
  if (s->has_null_count) qv__pq_tw_i64(w, 3, s->null_count);
  if (s->has_distinct_count) qv__pq_tw_i64(w, 4, s->distinct_count);
  if (s->max_value.data) qv__pq_tw_binary(w, 5, s->max_value.data, s->max_value.len);
  if (s->min_value.data) qv__pq_tw_binary(w, 6, s->min_value.data, s->min_value.len);
  if (s->has_max_exact) qv__pq_tw_bool(w, 7, s->max_exact);
  if (s->has_min_exact) qv__pq_tw_bool(w, 8, s->min_exact);
  qv__pq_tw_struct_end(w);
}

static void encode_column_meta(qv_pq_tw *w, const qv_pq_column_meta *m) {
  qv__pq_tw_struct_begin(w, 3);
  qv__pq_tw_i32(w, 1, m->type);
  qv__pq_tw_list_begin(w, 2, QV_PQ_T_I32, m->n_encodings);
  for (int32_t i = 0; i < m->n_encodings; i++) qv__pq_tw_list_i32(w, m->encodings[i]);
  qv__pq_tw_list_begin(w, 3, QV_PQ_T_BINARY, m->n_path);
  for (int32_t i = 0; i < m->n_path; i++) qv__pq_tw_list_binary(w, m->path[i].data, m->path[i].len);
  qv__pq_tw_i32(w, 4, m->codec);
  qv__pq_tw_i64(w, 5, m->num_values);
  qv__pq_tw_i64(w, 6, m->total_uncompressed_size);
  qv__pq_tw_i64(w, 7, m->total_compressed_size);
  if (m->n_key_values > 0) encode_key_values(w, 8, m->key_values, m->n_key_values);
  qv__pq_tw_i64(w, 9, m->data_page_offset);
  if (m->has_dictionary_page_offset) qv__pq_tw_i64(w, 11, m->dictionary_page_offset);
  if (m->has_statistics) encode_statistics(w, &m->statistics);
  qv__pq_tw_struct_end(w);
}

static void encode_row_group(qv_pq_tw *w, const qv_pq_row_group *g) {
  qv__pq_tw_element_begin(w);
  qv__pq_tw_list_begin(w, 1, QV_PQ_T_STRUCT, g->n_columns);
  for (int32_t i = 0; i < g->n_columns; i++) {
    const qv_pq_column_chunk *c = &g->columns[i];
    qv__pq_tw_element_begin(w);
    qv__pq_tw_i64(w, 2, c->file_offset);
    if (c->has_meta) encode_column_meta(w, &c->meta);
    qv__pq_tw_struct_end(w);
  }
  qv__pq_tw_i64(w, 2, g->total_byte_size);
  qv__pq_tw_i64(w, 3, g->num_rows);
  if (g->has_file_offset) qv__pq_tw_i64(w, 5, g->file_offset);
  if (g->has_total_compressed_size) qv__pq_tw_i64(w, 6, g->total_compressed_size);
  qv__pq_tw_struct_end(w);
}

qv_status qv__pq_encode_file_meta(const qv_pq_file_meta *m, qv_bytes *out, qv_error *err) {
  qv_pq_tw tw;
  qv_pq_tw *w = &tw;
  qv__pq_tw_init(w, out);
  qv__pq_tw_i32(w, 1, m->version);
  qv__pq_tw_list_begin(w, 2, QV_PQ_T_STRUCT, m->n_schema);
  for (int32_t i = 0; i < m->n_schema; i++) encode_schema_element(w, &m->schema[i]);
  qv__pq_tw_i64(w, 3, m->num_rows);
  qv__pq_tw_list_begin(w, 4, QV_PQ_T_STRUCT, m->n_row_groups);
  for (int32_t i = 0; i < m->n_row_groups; i++) encode_row_group(w, &m->row_groups[i]);
  if (m->n_key_values > 0) encode_key_values(w, 5, m->key_values, m->n_key_values);
  if (m->created_by.data) qv__pq_tw_binary(w, 6, m->created_by.data, m->created_by.len);
  if (m->n_column_orders > 0) {
    qv__pq_tw_list_begin(w, 7, QV_PQ_T_STRUCT, m->n_column_orders);
    for (int32_t i = 0; i < m->n_column_orders; i++) {
      qv__pq_tw_element_begin(w);
      empty_struct(w, (int16_t)m->column_orders[i]);
      qv__pq_tw_struct_end(w);
    }
  }
  qv__pq_tw_struct_end(w);
  return qv__pq_tw_finish(w, err);
}
