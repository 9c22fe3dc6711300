/* Decoders for Parquet's FileMetaData and PageHeader (parquet.thrift) on top
 * of the compact-protocol primitives of thrift.c. Each Thrift struct has one
 * function that walks its fields, keeps the ones the reader needs, checks
 * their wire types (a field with an unexpected type is skipped, as Thrift's
 * generated code does) and skips everything else, so files written by newer
 * writers with fields we do not know still decode. Required fields that are
 * missing are errors. Lists are allocated from the caller's arena with their
 * element count, which thrift.c has already checked against the bytes left. */
#include "io/parquet/metadata.h"

#include <string.h>

#include "io/parquet/thrift.h"

/* ---- field readers: skip when the wire type is not the expected one -------- */

static qv_status rd_i32(qv_pq_thrift *t, int ft, int32_t *out, bool *has, qv_error *err) {
  if (!qv__pq_thrift_is(ft, QV_PQ_T_I32)) return qv__pq_thrift_skip(t, ft, err);
  QV_RETURN_NOT_OK(qv__pq_thrift_i32(t, out, err));
  if (has) *has = true;
  return QV_OK;
}

static qv_status rd_i64(qv_pq_thrift *t, int ft, int64_t *out, bool *has, qv_error *err) {
  if (!qv__pq_thrift_is(ft, QV_PQ_T_I64)) return qv__pq_thrift_skip(t, ft, err);
  QV_RETURN_NOT_OK(qv__pq_thrift_i64(t, out, err));
  if (has) *has = true;
  return QV_OK;
}

static qv_status rd_bool(qv_pq_thrift *t, int ft, bool *out, bool *has, qv_error *err) {
  if (!qv__pq_thrift_is(ft, QV_PQ_T_TRUE)) return qv__pq_thrift_skip(t, ft, err);
  *out = ft == QV_PQ_T_TRUE;
  if (has) *has = true;
  return QV_OK;
}

static qv_status rd_binary(qv_pq_thrift *t, int ft, qv_pq_bytes *out, qv_error *err) {
  if (!qv__pq_thrift_is(ft, QV_PQ_T_BINARY)) return qv__pq_thrift_skip(t, ft, err);
  return qv__pq_thrift_binary(t, &out->data, &out->len, err);
}

/* Starts a list field expecting elements of type `want`. *ok is false when the
 * field was something else (and has been skipped); otherwise the caller reads
 * *count elements and calls qv__pq_thrift_leave. */
static qv_status rd_list(qv_pq_thrift *t, int ft, int want, int64_t *count, bool *ok, qv_error *err) {
  *ok = false;
  if (ft != QV_PQ_T_LIST && ft != QV_PQ_T_SET) return qv__pq_thrift_skip(t, ft, err);
  int et;
  QV_RETURN_NOT_OK(qv__pq_thrift_list(t, &et, count, err));
  bool match = et == want || (want == QV_PQ_T_TRUE && et == QV_PQ_T_FALSE);
  if (!match) {
    for (int64_t i = 0; i < *count; i++) {
      /* Bools in collections are one byte; skip them as i8. */
      int st_type = (et == QV_PQ_T_TRUE || et == QV_PQ_T_FALSE) ? QV_PQ_T_I8 : et;
      QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, st_type, err));
    }
    qv__pq_thrift_leave(t);
    return QV_OK;
  }
  *ok = true;
  return QV_OK;
}

static void *arena_array(qv_arena *arena, int64_t n, int64_t elem_size) {
  void *p = qv_arena_alloc(arena, n * elem_size > 0 ? n * elem_size : 1);
  if (p) memset(p, 0, (size_t)(n * elem_size));
  return p;
}

static qv_status nomem(qv_error *err) { return qv_error_set(err, QV_NOMEM, "parquet: out of memory decoding metadata"); }

static qv_status missing(const char *strct, const char *field, qv_error *err) {
  return qv_error_set(err, QV_INVALID, "thrift: %s without required field %s", strct, field);
}

/* Runs `body` for each field of a struct, with `fid` and `ft` in scope. */
#define STRUCT_FIELDS(t, err, body)                                   \
  do {                                                                \
    QV_RETURN_NOT_OK(qv__pq_thrift_enter(t, err));                    \
    int16_t fid = 0;                                                  \
    for (;;) {                                                        \
      int ft;                                                         \
      QV_RETURN_NOT_OK(qv__pq_thrift_field(t, &fid, &ft, err));       \
      if (ft == QV_PQ_T_STOP) break;                                  \
      body                                                            \
    }                                                                 \
    qv__pq_thrift_leave(t);                                           \
  } while (0)

/* ---- statistics ------------------------------------------------------------ */

static qv_status decode_statistics(qv_pq_thrift *t, qv_pq_statistics *s, qv_error *err) {
  memset(s, 0, sizeof *s);
  STRUCT_FIELDS(t, err, {
    switch (fid) {
      case 1: QV_RETURN_NOT_OK(rd_binary(t, ft, &s->max, err)); break;
      case 2: QV_RETURN_NOT_OK(rd_binary(t, ft, &s->min, err)); break;
      case 3: QV_RETURN_NOT_OK(rd_i64(t, ft, &s->null_count, &s->has_null_count, err)); break;
      case 4: QV_RETURN_NOT_OK(rd_i64(t, ft, &s->distinct_count, &s->has_distinct_count, err)); break;
      case 5: QV_RETURN_NOT_OK(rd_binary(t, ft, &s->max_value, err)); break;
      case 6: QV_RETURN_NOT_OK(rd_binary(t, ft, &s->min_value, err)); break;
      case 7: QV_RETURN_NOT_OK(rd_bool(t, ft, &s->max_exact, &s->has_max_exact, err)); break;
      case 8: QV_RETURN_NOT_OK(rd_bool(t, ft, &s->min_exact, &s->has_min_exact, err)); break;
      case 9: QV_RETURN_NOT_OK(rd_i64(t, ft, &s->nan_count, &s->has_nan_count, err)); break;
      default: QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
    }
  });
  return QV_OK;
}

/* ---- logical types --------------------------------------------------------- */

/* A union of empty structs (TimeUnit, ColumnOrder): the id of its member. */
static qv_status decode_union_member(qv_pq_thrift *t, int32_t *member, qv_error *err) {
  *member = 0;
  STRUCT_FIELDS(t, err, {
    if (ft == QV_PQ_T_STRUCT) *member = fid;
    QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
  });
  return QV_OK;
}

/* TimeType and TimestampType: {1: isAdjustedToUTC, 2: unit}. */
static qv_status decode_time_like(qv_pq_thrift *t, qv_pq_logical_type *lt, qv_error *err) {
  STRUCT_FIELDS(t, err, {
    if (fid == 1) QV_RETURN_NOT_OK(rd_bool(t, ft, &lt->adjusted_to_utc, NULL, err));
    else if (fid == 2 && ft == QV_PQ_T_STRUCT) QV_RETURN_NOT_OK(decode_union_member(t, &lt->unit, err));
    else QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
  });
  return QV_OK;
}

static qv_status decode_decimal_type(qv_pq_thrift *t, qv_pq_logical_type *lt, qv_error *err) {
  STRUCT_FIELDS(t, err, {
    if (fid == 1) QV_RETURN_NOT_OK(rd_i32(t, ft, &lt->scale, NULL, err));
    else if (fid == 2) QV_RETURN_NOT_OK(rd_i32(t, ft, &lt->precision, NULL, err));
    else QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
  });
  return QV_OK;
}

static qv_status decode_int_type(qv_pq_thrift *t, qv_pq_logical_type *lt, qv_error *err) {
  STRUCT_FIELDS(t, err, {
    if (fid == 1 && ft == QV_PQ_T_I8) {
      int8_t bw;
      QV_RETURN_NOT_OK(qv__pq_thrift_i8(t, &bw, err));
      lt->bit_width = bw;
    } else if (fid == 2) {
      QV_RETURN_NOT_OK(rd_bool(t, ft, &lt->is_signed, NULL, err));
    } else {
      QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
    }
  });
  return QV_OK;
}

static qv_status decode_logical_type(qv_pq_thrift *t, qv_pq_logical_type *lt, qv_error *err) {
  memset(lt, 0, sizeof *lt);
  STRUCT_FIELDS(t, err, {
    if (ft != QV_PQ_T_STRUCT) {
      QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
      continue;
    }
    lt->kind = fid;
    switch (fid) {
      case QV_PQ_LT_DECIMAL: QV_RETURN_NOT_OK(decode_decimal_type(t, lt, err)); break;
      case QV_PQ_LT_TIME:
      case QV_PQ_LT_TIMESTAMP: QV_RETURN_NOT_OK(decode_time_like(t, lt, err)); break;
      case QV_PQ_LT_INTEGER: QV_RETURN_NOT_OK(decode_int_type(t, lt, err)); break;
      default: QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err)); /* empty or unknown member */
    }
  });
  return QV_OK;
}

/* ---- schema ---------------------------------------------------------------- */

static qv_status decode_schema_element(qv_pq_thrift *t, qv_arena *arena, qv_pq_schema_element *e,
                                       qv_error *err) {
  memset(e, 0, sizeof *e);
  bool has_name = false;
  STRUCT_FIELDS(t, err, {
    switch (fid) {
      case 1: QV_RETURN_NOT_OK(rd_i32(t, ft, &e->type, &e->has_type, err)); break;
      case 2: QV_RETURN_NOT_OK(rd_i32(t, ft, &e->type_length, NULL, err)); break;
      case 3: QV_RETURN_NOT_OK(rd_i32(t, ft, &e->repetition, &e->has_repetition, err)); break;
      case 4: {
        qv_pq_bytes name = {0};
        QV_RETURN_NOT_OK(rd_binary(t, ft, &name, err));
        if (name.data) {
          e->name = qv_arena_strndup(arena, (const char *)name.data, name.len);
          if (!e->name) return nomem(err);
          has_name = true;
        }
        break;
      }
      case 5: QV_RETURN_NOT_OK(rd_i32(t, ft, &e->num_children, &e->has_num_children, err)); break;
      case 6: QV_RETURN_NOT_OK(rd_i32(t, ft, &e->converted_type, &e->has_converted_type, err)); break;
      case 7: QV_RETURN_NOT_OK(rd_i32(t, ft, &e->scale, NULL, err)); break;
      case 8: QV_RETURN_NOT_OK(rd_i32(t, ft, &e->precision, NULL, err)); break;
      case 9: QV_RETURN_NOT_OK(rd_i32(t, ft, &e->field_id, &e->has_field_id, err)); break;
      case 10:
        if (ft == QV_PQ_T_STRUCT) QV_RETURN_NOT_OK(decode_logical_type(t, &e->logical, err));
        else QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
        break;
      default: QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
    }
  });
  if (!has_name) return missing("SchemaElement", "name", err);
  return QV_OK;
}

/* ---- key-value metadata ---------------------------------------------------- */

static qv_status decode_key_values(qv_pq_thrift *t, int list_type, qv_arena *arena,
                                   qv_pq_key_value **out, int32_t *n_out, qv_error *err) {
  int64_t n;
  bool ok;
  QV_RETURN_NOT_OK(rd_list(t, list_type, QV_PQ_T_STRUCT, &n, &ok, err));
  if (!ok) return QV_OK;
  qv_pq_key_value *kv = arena_array(arena, n, sizeof *kv);
  if (!kv) return nomem(err);
  for (int64_t i = 0; i < n; i++) {
    bool has_key = false;
    STRUCT_FIELDS(t, err, {
      if (fid == 1) {
        QV_RETURN_NOT_OK(rd_binary(t, ft, &kv[i].key, err));
        has_key = kv[i].key.data != NULL;
      } else if (fid == 2) {
        QV_RETURN_NOT_OK(rd_binary(t, ft, &kv[i].value, err));
      } else {
        QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
      }
    });
    if (!has_key) return missing("KeyValue", "key", err);
  }
  qv__pq_thrift_leave(t);
  *out = kv;
  *n_out = (int32_t)n;
  return QV_OK;
}

/* ---- column chunks --------------------------------------------------------- */

static qv_status decode_column_meta(qv_pq_thrift *t, qv_arena *arena, qv_pq_column_meta *m,
                                    qv_error *err) {
  memset(m, 0, sizeof *m);
  unsigned seen = 0;
  STRUCT_FIELDS(t, err, {
    bool has = false;
    switch (fid) {
      case 1: QV_RETURN_NOT_OK(rd_i32(t, ft, &m->type, &has, err)); break;
      case 2: {
        int64_t n;
        bool ok;
        QV_RETURN_NOT_OK(rd_list(t, ft, QV_PQ_T_I32, &n, &ok, err));
        if (!ok) break;
        m->encodings = arena_array(arena, n, sizeof *m->encodings);
        if (!m->encodings) return nomem(err);
        for (int64_t i = 0; i < n; i++) QV_RETURN_NOT_OK(qv__pq_thrift_i32(t, &m->encodings[i], err));
        qv__pq_thrift_leave(t);
        m->n_encodings = (int32_t)n;
        has = true;
        break;
      }
      case 3: {
        int64_t n;
        bool ok;
        QV_RETURN_NOT_OK(rd_list(t, ft, QV_PQ_T_BINARY, &n, &ok, err));
        if (!ok) break;
        m->path = arena_array(arena, n, sizeof *m->path);
        if (!m->path) return nomem(err);
        for (int64_t i = 0; i < n; i++)
          QV_RETURN_NOT_OK(qv__pq_thrift_binary(t, &m->path[i].data, &m->path[i].len, err));
        qv__pq_thrift_leave(t);
        m->n_path = (int32_t)n;
        has = true;
        break;
      }
      case 4: QV_RETURN_NOT_OK(rd_i32(t, ft, &m->codec, &has, err)); break;
      case 5: QV_RETURN_NOT_OK(rd_i64(t, ft, &m->num_values, &has, err)); break;
      case 6: QV_RETURN_NOT_OK(rd_i64(t, ft, &m->total_uncompressed_size, &has, err)); break;
      case 7: QV_RETURN_NOT_OK(rd_i64(t, ft, &m->total_compressed_size, &has, err)); break;
      case 8: QV_RETURN_NOT_OK(decode_key_values(t, ft, arena, &m->key_values, &m->n_key_values, err)); break;
      case 9: QV_RETURN_NOT_OK(rd_i64(t, ft, &m->data_page_offset, &has, err)); break;
      case 11:
        QV_RETURN_NOT_OK(rd_i64(t, ft, &m->dictionary_page_offset, &m->has_dictionary_page_offset, err));
        break;
      case 12:
        if (ft == QV_PQ_T_STRUCT) {
          QV_RETURN_NOT_OK(decode_statistics(t, &m->statistics, err));
          m->has_statistics = true;
        } else {
          QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
        }
        break;
      default: QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
    }
    if (has && fid < 32) seen |= 1u << fid;
  });
  static const struct {
    int id;
    const char *name;
  } required[] = {{1, "type"}, {2, "encodings"}, {3, "path_in_schema"}, {4, "codec"},
                  {5, "num_values"}, {6, "total_uncompressed_size"},
                  {7, "total_compressed_size"}, {9, "data_page_offset"}};
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
    if (!(seen & (1u << required[i].id))) return missing("ColumnMetaData", required[i].name, err);
  return QV_OK;
}

static qv_status decode_column_chunk(qv_pq_thrift *t, qv_arena *arena, qv_pq_column_chunk *c,
                                     qv_error *err) {
  memset(c, 0, sizeof *c);
  STRUCT_FIELDS(t, err, {
    switch (fid) {
      case 1: {
        qv_pq_bytes path = {0};
        QV_RETURN_NOT_OK(rd_binary(t, ft, &path, err));
        c->has_file_path = path.data != NULL && path.len > 0;
        break;
      }
      case 2: QV_RETURN_NOT_OK(rd_i64(t, ft, &c->file_offset, NULL, err)); break;
      case 3:
        if (ft == QV_PQ_T_STRUCT) {
          QV_RETURN_NOT_OK(decode_column_meta(t, arena, &c->meta, err));
          c->has_meta = true;
        } else {
          QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
        }
        break;
      case 8:
      case 9:
        c->encrypted = true;
        QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
        break;
      default: QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
    }
  });
  return QV_OK;
}

static qv_status decode_row_group(qv_pq_thrift *t, qv_arena *arena, qv_pq_row_group *g, qv_error *err) {
  memset(g, 0, sizeof *g);
  bool has_columns = false, has_size = false, has_rows = false;
  STRUCT_FIELDS(t, err, {
    switch (fid) {
      case 1: {
        int64_t n;
        bool ok;
        QV_RETURN_NOT_OK(rd_list(t, ft, QV_PQ_T_STRUCT, &n, &ok, err));
        if (!ok) break;
        g->columns = arena_array(arena, n, sizeof *g->columns);
        if (!g->columns) return nomem(err);
        for (int64_t i = 0; i < n; i++) QV_RETURN_NOT_OK(decode_column_chunk(t, arena, &g->columns[i], err));
        qv__pq_thrift_leave(t);
        g->n_columns = (int32_t)n;
        has_columns = true;
        break;
      }
      case 2: QV_RETURN_NOT_OK(rd_i64(t, ft, &g->total_byte_size, &has_size, err)); break;
      case 3: QV_RETURN_NOT_OK(rd_i64(t, ft, &g->num_rows, &has_rows, err)); break;
      case 5: QV_RETURN_NOT_OK(rd_i64(t, ft, &g->file_offset, &g->has_file_offset, err)); break;
      case 6:
        QV_RETURN_NOT_OK(rd_i64(t, ft, &g->total_compressed_size, &g->has_total_compressed_size, err));
        break;
      default: QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
    }
  });
  if (!has_columns) return missing("RowGroup", "columns", err);
  if (!has_size) return missing("RowGroup", "total_byte_size", err);
  if (!has_rows) return missing("RowGroup", "num_rows", err);
  return QV_OK;
}

/* ---- file metadata --------------------------------------------------------- */

qv_status qv__pq_decode_file_meta(const uint8_t *data, int64_t size, qv_arena *arena,
                                  qv_pq_file_meta *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  qv_pq_thrift tt;
  qv_pq_thrift *t = &tt;
  qv__pq_thrift_init(t, data, size);
  bool has_version = false, has_schema = false, has_rows = false, has_groups = false;
  STRUCT_FIELDS(t, err, {
    switch (fid) {
      case 1: QV_RETURN_NOT_OK(rd_i32(t, ft, &out->version, &has_version, err)); break;
      case 2: {
        int64_t n;
        bool ok;
        QV_RETURN_NOT_OK(rd_list(t, ft, QV_PQ_T_STRUCT, &n, &ok, err));
        if (!ok) break;
        out->schema = arena_array(arena, n, sizeof *out->schema);
        if (!out->schema) return nomem(err);
        for (int64_t i = 0; i < n; i++)
          QV_RETURN_NOT_OK(decode_schema_element(t, arena, &out->schema[i], err));
        qv__pq_thrift_leave(t);
        out->n_schema = (int32_t)n;
        has_schema = true;
        break;
      }
      case 3: QV_RETURN_NOT_OK(rd_i64(t, ft, &out->num_rows, &has_rows, err)); break;
      case 4: {
        int64_t n;
        bool ok;
        QV_RETURN_NOT_OK(rd_list(t, ft, QV_PQ_T_STRUCT, &n, &ok, err));
        if (!ok) break;
        out->row_groups = arena_array(arena, n, sizeof *out->row_groups);
        if (!out->row_groups) return nomem(err);
        for (int64_t i = 0; i < n; i++)
          QV_RETURN_NOT_OK(decode_row_group(t, arena, &out->row_groups[i], err));
        qv__pq_thrift_leave(t);
        out->n_row_groups = (int32_t)n;
        has_groups = true;
        break;
      }
      case 5:
        QV_RETURN_NOT_OK(decode_key_values(t, ft, arena, &out->key_values, &out->n_key_values, err));
        break;
      case 6: QV_RETURN_NOT_OK(rd_binary(t, ft, &out->created_by, err)); break;
      case 7: {
        int64_t n;
        bool ok;
        QV_RETURN_NOT_OK(rd_list(t, ft, QV_PQ_T_STRUCT, &n, &ok, err));
        if (!ok) break;
        out->column_orders = arena_array(arena, n, sizeof *out->column_orders);
        if (!out->column_orders) return nomem(err);
        for (int64_t i = 0; i < n; i++) QV_RETURN_NOT_OK(decode_union_member(t, &out->column_orders[i], err));
        qv__pq_thrift_leave(t);
        out->n_column_orders = (int32_t)n;
        break;
      }
      case 8:
        out->encrypted = true;
        QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
        break;
      default: QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
    }
  });
  if (!has_version) return missing("FileMetaData", "version", err);
  if (!has_schema) return missing("FileMetaData", "schema", err);
  if (!has_rows) return missing("FileMetaData", "num_rows", err);
  if (!has_groups) return missing("FileMetaData", "row_groups", err);
  return QV_OK;
}

/* ---- page headers ---------------------------------------------------------- */

static qv_status decode_data_page_header(qv_pq_thrift *t, qv_pq_page_header *h, qv_error *err) {
  unsigned seen = 0;
  STRUCT_FIELDS(t, err, {
    bool has = false;
    switch (fid) {
      case 1: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->data.num_values, &has, err)); break;
      case 2: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->data.encoding, &has, err)); break;
      case 3: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->data.def_encoding, &has, err)); break;
      case 4: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->data.rep_encoding, &has, err)); break;
      default: QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
    }
    if (has) seen |= 1u << fid;
  });
  if (seen != 0x1e) return missing("DataPageHeader", "num_values/encodings", err);
  h->has_data = true;
  return QV_OK;
}

static qv_status decode_dict_page_header(qv_pq_thrift *t, qv_pq_page_header *h, qv_error *err) {
  bool has_n = false, has_e = false;
  STRUCT_FIELDS(t, err, {
    if (fid == 1) QV_RETURN_NOT_OK(rd_i32(t, ft, &h->dict.num_values, &has_n, err));
    else if (fid == 2) QV_RETURN_NOT_OK(rd_i32(t, ft, &h->dict.encoding, &has_e, err));
    else QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
  });
  if (!has_n || !has_e) return missing("DictionaryPageHeader", "num_values/encoding", err);
  h->has_dict = true;
  return QV_OK;
}

static qv_status decode_data_page_header_v2(qv_pq_thrift *t, qv_pq_page_header *h, qv_error *err) {
  unsigned seen = 0;
  h->v2.is_compressed = true;
  STRUCT_FIELDS(t, err, {
    bool has = false;
    switch (fid) {
      case 1: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->v2.num_values, &has, err)); break;
      case 2: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->v2.num_nulls, &has, err)); break;
      case 3: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->v2.num_rows, &has, err)); break;
      case 4: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->v2.encoding, &has, err)); break;
      case 5: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->v2.def_length, &has, err)); break;
      case 6: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->v2.rep_length, &has, err)); break;
      case 7: QV_RETURN_NOT_OK(rd_bool(t, ft, &h->v2.is_compressed, NULL, err)); break;
      default: QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
    }
    if (has) seen |= 1u << fid;
  });
  if (seen != 0x7e) return missing("DataPageHeaderV2", "counts/encoding/lengths", err);
  h->has_data_v2 = true;
  return QV_OK;
}

qv_status qv__pq_decode_page_header(const uint8_t *data, int64_t size, qv_pq_page_header *h,
                                    int64_t *header_len, qv_error *err) {
  memset(h, 0, sizeof *h);
  qv_pq_thrift tt;
  qv_pq_thrift *t = &tt;
  qv__pq_thrift_init(t, data, size);
  bool has_type = false, has_usize = false, has_csize = false;
  STRUCT_FIELDS(t, err, {
    switch (fid) {
      case 1: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->type, &has_type, err)); break;
      case 2: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->uncompressed_page_size, &has_usize, err)); break;
      case 3: QV_RETURN_NOT_OK(rd_i32(t, ft, &h->compressed_page_size, &has_csize, err)); break;
      case 4: {
        int32_t crc = 0;
        QV_RETURN_NOT_OK(rd_i32(t, ft, &crc, &h->has_crc, err));
        h->crc = (uint32_t)crc;
        break;
      }
      case 5:
        if (ft == QV_PQ_T_STRUCT) QV_RETURN_NOT_OK(decode_data_page_header(t, h, err));
        else QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
        break;
      case 7:
        if (ft == QV_PQ_T_STRUCT) QV_RETURN_NOT_OK(decode_dict_page_header(t, h, err));
        else QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
        break;
      case 8:
        if (ft == QV_PQ_T_STRUCT) QV_RETURN_NOT_OK(decode_data_page_header_v2(t, h, err));
        else QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
        break;
      default: QV_RETURN_NOT_OK(qv__pq_thrift_skip(t, ft, err));
    }
  });
  if (!has_type) return missing("PageHeader", "type", err);
  if (!has_usize) return missing("PageHeader", "uncompressed_page_size", err);
  if (!has_csize) return missing("PageHeader", "compressed_page_size", err);
  *header_len = qv__pq_thrift_offset(t);
  return QV_OK;
}
