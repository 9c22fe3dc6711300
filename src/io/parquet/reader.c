/* The public Parquet reader (quiver/parquet.h): opening a file (magic,
 * footer length, footer decoding, schema), the metadata accessors, and the
 * batch reader that walks row groups, reads the selected columns batch_size
 * rows at a time through the column readers and assembles record batches.
 * Errors from below get their context here: "parquet: FILE: row group R: "
 * in front of "column 'c' page P: what went wrong". */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "io/file.h"
#include "io/parquet/assembly.h"
#include "io/parquet/column.h"
#include "io/parquet/metadata.h"
#include "io/parquet/schema.h"
#include "quiver/parquet.h"

struct qv_parquet_reader {
  qv_buffer *data;
  char *name;
  qv_parquet_read_options opts;
  qv_arena arena;
  qv_pq_file_meta meta;
  qv_pq_schema schema;
  int64_t data_end; /* where the footer starts */
  char *created_by;  /* NUL-terminated copy, in the arena; NULL when absent */
  int64_t num_rows;  /* sum over the row groups */
  qv_parquet_encoding **encodings; /* per chunk (row group major), from the arena */
  qv_metadata **chunk_metadata;    /* per chunk, NULL when none */
};

/* ---- names ------------------------------------------------------------------------ */

const char *qv_parquet_codec_name(qv_parquet_codec codec) {
  static const char *names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
  return (unsigned)codec < sizeof names / sizeof names[0] ? names[codec] : "UNKNOWN";
}

const char *qv_parquet_encoding_name(qv_parquet_encoding encoding) {
  static const char *names[] = {"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED",
                                "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
                                "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
  return (unsigned)encoding < sizeof names / sizeof names[0] && encoding != 1 ? names[encoding] : "UNKNOWN";
}

const char *qv_parquet_physical_type_name(qv_parquet_physical_type type) {
  static const char *names[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY",
                                "FIXED_LEN_BYTE_ARRAY"};
  return (unsigned)type < sizeof names / sizeof names[0] ? names[type] : "UNKNOWN";
}

void qv_parquet_read_options_init(qv_parquet_read_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->batch_size = QV_PARQUET_DEFAULT_BATCH_SIZE;
  opts->max_page_size = QV_PARQUET_DEFAULT_MAX_PAGE_SIZE;
  opts->verify_checksums = true;
  opts->use_arrow_schema = true;
}

/* ---- opening ----------------------------------------------------------------------- */

qv_status qv_parquet_reader_open(const char *path, const qv_parquet_read_options *opts, qv_parquet_reader **out,
                                 qv_error *err) {
  *out = NULL;
  qv_buffer *data;
  qv_status st = qv__file_read_all(path, opts ? opts->alloc : NULL, &data, err);
  if (st != QV_OK) {
    qv_error_prefix(err, "parquet");
    return st;
  }
  st = qv_parquet_reader_create(data, path, opts, out, err);
  qv_buffer_unref(data);
  return st;
}

static uint32_t load_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Checks row groups against the schema and prepares the per-chunk views. */
static qv_status check_row_groups(qv_parquet_reader *r, qv_error *err) {
  const qv_pq_file_meta *m = &r->meta;
  int32_t nc = r->schema.n_columns;
  int64_t n_chunks = (int64_t)m->n_row_groups * nc;
  r->encodings = qv_arena_alloc(&r->arena, (n_chunks ? n_chunks : 1) * (int64_t)sizeof *r->encodings);
  r->chunk_metadata = calloc((size_t)(n_chunks ? n_chunks : 1), sizeof *r->chunk_metadata);
  if (!r->encodings || !r->chunk_metadata) return qv_error_set(err, QV_NOMEM, "parquet: out of memory");
  for (int32_t g = 0; g < m->n_row_groups; g++) {
    const qv_pq_row_group *rg = &m->row_groups[g];
    if (rg->n_columns != nc)
      return qv_error_set(err, QV_INVALID, "row group %d has %d column chunks, the schema has %d columns", g,
                          rg->n_columns, nc);
    if (rg->num_rows < 0 || rg->num_rows > INT64_MAX / 2 - r->num_rows)
      return qv_error_set(err, QV_INVALID, "row group %d has %lld rows", g, (long long)rg->num_rows);
    r->num_rows += rg->num_rows;
    for (int32_t c = 0; c < nc; c++) {
      const qv_pq_column_chunk *ch = &rg->columns[c];
      int64_t k = (int64_t)g * nc + c;
      if (!ch->has_meta) {
        r->encodings[k] = NULL;
        continue;
      }
      const qv_pq_column_meta *cm = &ch->meta;
      qv_parquet_encoding *enc = qv_arena_alloc(&r->arena, (cm->n_encodings ? cm->n_encodings : 1) * (int64_t)sizeof *enc);
      if (!enc) return qv_error_set(err, QV_NOMEM, "parquet: out of memory");
      for (int32_t i = 0; i < cm->n_encodings; i++) enc[i] = (qv_parquet_encoding)cm->encodings[i];
      r->encodings[k] = enc;
      if (cm->n_key_values > 0) {
        QV_RETURN_NOT_OK(qv_metadata_create(&r->chunk_metadata[k], err));
        for (int32_t i = 0; i < cm->n_key_values; i++) {
          const qv_pq_key_value *kv = &cm->key_values[i];
          QV_RETURN_NOT_OK(qv_metadata_append(r->chunk_metadata[k], (const char *)kv->key.data, kv->key.len,
                                              kv->value.data ? (const char *)kv->value.data : "", kv->value.len, err));
        }
      }
    }
  }
  return QV_OK;
}

static qv_status open_bytes(qv_parquet_reader *r, qv_error *err) {
  const uint8_t *d = qv_buffer_data(r->data);
  int64_t size = qv_buffer_size(r->data);
  if (size < 12 || memcmp(d, "PAR1", 4) != 0 || (memcmp(d + size - 4, "PAR1", 4) != 0 && memcmp(d + size - 4, "PARE", 4) != 0))
    return qv_error_set(err, QV_INVALID, "not a Parquet file (no PAR1 magic)");
  if (memcmp(d + size - 4, "PARE", 4) == 0)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "the file is encrypted (PARE magic); encryption is not supported");
  uint32_t flen = load_le32(d + size - 8);
  if (flen > (uint64_t)(size - 12))
    return qv_error_set(err, QV_INVALID, "footer of %u bytes does not fit in a file of %lld bytes", flen, (long long)size);
  r->data_end = size - 8 - flen;
  qv_status st = qv__pq_decode_file_meta(d + r->data_end, flen, &r->arena, &r->meta, err);
  if (st != QV_OK) {
    qv_error_prefix(err, "footer");
    return st;
  }
  if (r->meta.encrypted)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "the file has encrypted columns; encryption is not supported");
  if (r->meta.created_by.data &&
      !(r->created_by = qv_arena_strndup(&r->arena, (const char *)r->meta.created_by.data, r->meta.created_by.len)))
    return qv_error_set(err, QV_NOMEM, "parquet: out of memory");
  QV_RETURN_NOT_OK(qv__pq_schema_build(&r->meta, &r->arena, r->opts.use_arrow_schema, &r->schema, err));
  return check_row_groups(r, err);
}

qv_status qv_parquet_reader_create(qv_buffer *data, const char *name, const qv_parquet_read_options *opts,
                                   qv_parquet_reader **out, qv_error *err) {
  *out = NULL;
  qv_parquet_reader *r = calloc(1, sizeof *r);
  if (!r) return qv_error_set(err, QV_NOMEM, "parquet: out of memory");
  if (opts) r->opts = *opts;
  else qv_parquet_read_options_init(&r->opts);
  if (!r->opts.alloc) r->opts.alloc = qv_default_allocator();
  if (r->opts.batch_size <= 0) r->opts.batch_size = QV_PARQUET_DEFAULT_BATCH_SIZE;
  if (r->opts.max_page_size <= 0) r->opts.max_page_size = QV_PARQUET_DEFAULT_MAX_PAGE_SIZE;
  r->data = qv_buffer_ref(data);
  qv_arena_init(&r->arena, r->opts.alloc);
  if (name && !(r->name = strdup(name))) {
    qv_parquet_reader_destroy(r);
    return qv_error_set(err, QV_NOMEM, "parquet: out of memory");
  }
  qv_status st = open_bytes(r, err);
  if (st != QV_OK) {
    if (r->name) qv_error_prefix(err, "parquet: %s", r->name);
    else qv_error_prefix(err, "parquet");
    qv_parquet_reader_destroy(r);
    return st;
  }
  *out = r;
  return QV_OK;
}

void qv_parquet_reader_destroy(qv_parquet_reader *r) {
  if (!r) return;
  if (r->chunk_metadata) {
    int64_t n = (int64_t)r->meta.n_row_groups * r->schema.n_columns;
    for (int64_t i = 0; i < n; i++) qv_metadata_destroy(r->chunk_metadata[i]);
    free(r->chunk_metadata);
  }
  qv__pq_schema_reset(&r->schema);
  qv_arena_reset(&r->arena);
  qv_buffer_unref(r->data);
  free(r->name);
  free(r);
}

/* ---- metadata accessors -------------------------------------------------------------- */

qv_schema *qv_parquet_reader_schema(const qv_parquet_reader *r) { return r->schema.arrow; }
int64_t qv_parquet_reader_num_rows(const qv_parquet_reader *r) { return r->num_rows; }
int32_t qv_parquet_reader_num_row_groups(const qv_parquet_reader *r) { return r->meta.n_row_groups; }
int32_t qv_parquet_reader_num_columns(const qv_parquet_reader *r) { return r->schema.n_columns; }
int32_t qv_parquet_reader_version(const qv_parquet_reader *r) { return r->meta.version; }

const char *qv_parquet_reader_created_by(const qv_parquet_reader *r) { return r->created_by; }

qv_status qv_parquet_reader_column(const qv_parquet_reader *r, int32_t column, qv_parquet_column_info *out,
                                   qv_error *err) {
  if (column < 0 || column >= r->schema.n_columns)
    return qv_error_set(err, QV_INVALID, "parquet: column %d out of range (%d columns)", column, r->schema.n_columns);
  const qv_pq_column *c = &r->schema.columns[column];
  out->path = c->path;
  out->physical_type = (qv_parquet_physical_type)c->physical_type;
  out->type_length = c->physical_type == QV_PARQUET_FIXED_LEN_BYTE_ARRAY ? c->type_length : 0;
  out->max_definition_level = c->max_def;
  out->max_repetition_level = c->max_rep;
  out->field_index = c->field_index;
  out->type = c->type;
  out->logical_type = c->logical;
  return QV_OK;
}

qv_status qv_parquet_reader_row_group(const qv_parquet_reader *r, int32_t row_group, qv_parquet_row_group_info *out,
                                      qv_error *err) {
  if (row_group < 0 || row_group >= r->meta.n_row_groups)
    return qv_error_set(err, QV_INVALID, "parquet: row group %d out of range (%d row groups)", row_group,
                        r->meta.n_row_groups);
  const qv_pq_row_group *rg = &r->meta.row_groups[row_group];
  int64_t lo = INT64_MAX, hi = 0;
  for (int32_t c = 0; c < rg->n_columns; c++) {
    if (!rg->columns[c].has_meta) continue;
    int64_t off, len;
    qv__pq_chunk_range(&rg->columns[c].meta, &off, &len);
    if (off < lo) lo = off;
    if (off + len > hi) hi = off + len;
  }
  if (lo == INT64_MAX) lo = hi = rg->has_file_offset ? rg->file_offset : 0;
  out->num_rows = rg->num_rows;
  out->offset = lo;
  out->compressed_size = hi - lo;
  out->uncompressed_size = rg->total_byte_size;
  return QV_OK;
}

bool qv_parquet_row_group_in_range(const qv_parquet_row_group_info *rg, int64_t offset, int64_t length) {
  int64_t mid = rg->offset + rg->compressed_size / 2;
  return mid >= offset && mid - offset < length;
}

/* A NaN as the PLAIN bytes of a float column's statistic. */
static bool is_nan_bytes(const qv_pq_column *c, const qv_pq_bytes *b) {
  if (c->physical_type == QV_PARQUET_FLOAT && b->len == 4) {
    uint32_t v;
    memcpy(&v, b->data, 4);
    return (v & 0x7f800000u) == 0x7f800000u && (v & 0x007fffffu);
  }
  if (c->physical_type == QV_PARQUET_DOUBLE && b->len == 8) {
    uint64_t v;
    memcpy(&v, b->data, 8);
    return (v & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (v & 0x000fffffffffffffull);
  }
  if (c->type && c->type->id == QV_FLOAT16 && b->len == 2) {
    uint16_t v;
    memcpy(&v, b->data, 2);
    return (v & 0x7c00) == 0x7c00 && (v & 0x03ff);
  }
  return false;
}

qv_status qv_parquet_reader_column_chunk(const qv_parquet_reader *r, int32_t row_group, int32_t column,
                                         qv_parquet_column_chunk_info *out, qv_error *err) {
  if (row_group < 0 || row_group >= r->meta.n_row_groups || column < 0 || column >= r->schema.n_columns)
    return qv_error_set(err, QV_INVALID, "parquet: column chunk (%d, %d) out of range", row_group, column);
  memset(out, 0, sizeof *out);
  const qv_pq_column_chunk *ch = &r->meta.row_groups[row_group].columns[column];
  const qv_pq_column *col = &r->schema.columns[column];
  int64_t k = (int64_t)row_group * r->schema.n_columns + column;
  out->physical_type = (qv_parquet_physical_type)col->physical_type;
  if (!ch->has_meta) return QV_OK;
  const qv_pq_column_meta *m = &ch->meta;
  out->codec = (qv_parquet_codec)m->codec;
  out->n_encodings = m->n_encodings;
  out->encodings = r->encodings[k];
  out->num_values = m->num_values;
  qv__pq_chunk_range(m, &out->offset, &out->compressed_size);
  out->uncompressed_size = m->total_uncompressed_size;
  out->has_dictionary_page = (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 &&
                              m->dictionary_page_offset < m->data_page_offset);
  for (int32_t i = 0; i < m->n_encodings && !out->has_dictionary_page; i++)
    out->has_dictionary_page = m->encodings[i] == QV_PARQUET_PLAIN_DICTIONARY || m->encodings[i] == QV_PARQUET_RLE_DICTIONARY;
  out->metadata = r->chunk_metadata[k];
  if (!m->has_statistics) return QV_OK;
  const qv_pq_statistics *s = &m->statistics;
  qv_parquet_statistics *o = &out->statistics;
  out->has_statistics = true;
  bool order_known = column >= r->meta.n_column_orders || r->meta.column_orders[column] == 1 ||
                     r->meta.column_orders[column] == 2;
  const qv_pq_bytes *mn = NULL, *mx = NULL;
  if (s->min_value.data && s->max_value.data && order_known) {
    mn = &s->min_value;
    mx = &s->max_value;
    o->min_exact = s->has_min_exact ? s->min_exact : true;
    o->max_exact = s->has_max_exact ? s->max_exact : true;
  } else if (s->min.data && s->max.data && col->signed_order) {
    mn = &s->min;
    mx = &s->max;
    o->min_exact = o->max_exact = true;
  }
  if (mn && col->is_float && (is_nan_bytes(col, mn) || is_nan_bytes(col, mx))) mn = mx = NULL;
  if (mn) {
    o->has_min_max = true;
    o->min = mn->data;
    o->min_length = mn->len;
    o->max = mx->data;
    o->max_length = mx->len;
  }
  o->has_null_count = s->has_null_count;
  o->null_count = s->null_count;
  o->has_distinct_count = s->has_distinct_count;
  o->distinct_count = s->distinct_count;
  o->has_nan_count = s->has_nan_count;
  o->nan_count = s->nan_count;
  return QV_OK;
}

qv_status qv_parquet_statistics_value(const qv_parquet_reader *r, int32_t column, const uint8_t *bytes,
                                      int64_t length, qv_array **out, qv_error *err) {
  *out = NULL;
  if (column < 0 || column >= r->schema.n_columns)
    return qv_error_set(err, QV_INVALID, "parquet: column %d out of range", column);
  qv_status st = qv__pq_plain_value_array(&r->schema.columns[column], bytes, length, r->opts.alloc, out, err);
  if (st != QV_OK) qv_error_prefix(err, "parquet: statistics of column '%s'", r->schema.columns[column].path);
  return st;
}

/* ---- batch reader ------------------------------------------------------------------------ */

struct qv_parquet_batch_reader {
  qv_parquet_reader *r;
  int32_t *row_groups;
  int32_t n_row_groups;
  int32_t next_group;
  int32_t *fields;
  int32_t n_fields;
  qv_schema *schema;
  bool *selected;                 /* per column */
  qv_pq_column_reader **readers;  /* per column; NULL when not selected or no row group open */
  qv_pq_column_batch *batches;    /* per column */
  qv_pq_assembly as;
  int32_t group;                  /* the open row group, -1 when none */
  int64_t rows_left;
  qv_array **arrays;
  bool failed;
};

static void close_group(qv_parquet_batch_reader *br) {
  for (int32_t c = 0; c < br->r->schema.n_columns; c++) {
    if (!br->readers[c]) continue;
    qv__pq_column_reader_reset(br->readers[c]);
    free(br->readers[c]);
    br->readers[c] = NULL;
  }
  br->group = -1;
}

void qv_parquet_batch_reader_destroy(qv_parquet_batch_reader *br) {
  if (!br) return;
  if (br->readers) close_group(br);
  if (br->batches)
    for (int32_t c = 0; c < br->r->schema.n_columns; c++)
      if (br->selected[c]) qv__pq_column_batch_reset(&br->batches[c]);
  qv_bytes_reset(&br->as.scratch);
  qv_schema_unref(br->schema);
  free(br->row_groups);
  free(br->fields);
  free(br->selected);
  free(br->readers);
  free(br->batches);
  free(br->arrays);
  free(br);
}

static void select_columns(qv_parquet_batch_reader *br, const qv_pq_node *n) {
  if (n->kind == QV_PQ_NODE_LEAF) br->selected[n->column] = true;
  for (int32_t i = 0; i < n->n_children; i++) select_columns(br, n->children[i]);
}

qv_status qv_parquet_reader_scan(qv_parquet_reader *r, const int32_t *row_groups, int32_t n_row_groups,
                                 const int32_t *fields, int32_t n_fields, qv_parquet_batch_reader **out,
                                 qv_error *err) {
  *out = NULL;
  const qv_pq_schema *s = &r->schema;
  if (!row_groups) n_row_groups = r->meta.n_row_groups;
  if (!fields) n_fields = s->n_fields;
  if (n_row_groups < 0 || n_fields < 0) return qv_error_set(err, QV_INVALID, "parquet: negative count");
  for (int32_t i = 0; row_groups && i < n_row_groups; i++)
    if (row_groups[i] < 0 || row_groups[i] >= r->meta.n_row_groups)
      return qv_error_set(err, QV_INVALID, "parquet: row group %d out of range (%d row groups)", row_groups[i],
                          r->meta.n_row_groups);
  qv_parquet_batch_reader *br = calloc(1, sizeof *br);
  if (!br) return qv_error_set(err, QV_NOMEM, "parquet: out of memory");
  br->r = r;
  br->group = -1;
  int32_t nc = s->n_columns;
  br->row_groups = malloc(sizeof(int32_t) * (size_t)(n_row_groups ? n_row_groups : 1));
  br->fields = malloc(sizeof(int32_t) * (size_t)(n_fields ? n_fields : 1));
  br->selected = calloc((size_t)(nc ? nc : 1), sizeof *br->selected);
  br->readers = calloc((size_t)(nc ? nc : 1), sizeof *br->readers);
  br->batches = calloc((size_t)(nc ? nc : 1), sizeof *br->batches);
  br->arrays = calloc((size_t)(n_fields ? n_fields : 1), sizeof *br->arrays);
  qv_field **sf = calloc((size_t)(n_fields ? n_fields : 1), sizeof *sf);
  qv_status st = QV_OK;
  if (!br->row_groups || !br->fields || !br->selected || !br->readers || !br->batches || !br->arrays || !sf)
    st = qv_error_set(err, QV_NOMEM, "parquet: out of memory");
  for (int32_t i = 0; st == QV_OK && i < n_row_groups; i++) br->row_groups[i] = row_groups ? row_groups[i] : i;
  br->n_row_groups = n_row_groups;
  for (int32_t i = 0; st == QV_OK && i < n_fields; i++) {
    int32_t f = fields ? fields[i] : i;
    if (f < 0 || f >= s->n_fields) {
      st = qv_error_set(err, QV_INVALID, "parquet: field %d out of range (%d fields)", f, s->n_fields);
      break;
    }
    for (int32_t j = 0; j < i; j++)
      if (br->fields[j] == f) st = qv_error_set(err, QV_INVALID, "parquet: field %d selected twice", f);
    br->fields[i] = f;
    sf[i] = s->fields[f]->field;
    select_columns(br, s->fields[f]);
  }
  br->n_fields = n_fields;
  if (st == QV_OK) st = qv_schema_create(sf, n_fields, qv_schema_metadata(s->arrow), &br->schema, err);
  free(sf);
  if (st == QV_OK) {
    for (int32_t c = 0; c < nc; c++)
      if (br->selected[c])
        qv__pq_column_batch_init(&br->batches[c], r->opts.alloc,
                                 qv__pq_physical_width(s->columns[c].physical_type, s->columns[c].type_length));
    br->as.schema = s;
    br->as.batches = br->batches;
    br->as.alloc = r->opts.alloc;
    qv_bytes_init(&br->as.scratch, r->opts.alloc);
  }
  if (st != QV_OK) {
    /* The batches were not initialised: do not reset them. */
    free(br->batches);
    br->batches = NULL;
    qv_parquet_batch_reader_destroy(br);
    return st;
  }
  *out = br;
  return QV_OK;
}

qv_status qv_parquet_reader_read_row_group(qv_parquet_reader *r, int32_t row_group, const int32_t *fields,
                                           int32_t n_fields, qv_parquet_batch_reader **out, qv_error *err) {
  return qv_parquet_reader_scan(r, &row_group, 1, fields, n_fields, out, err);
}

qv_schema *qv_parquet_batch_reader_schema(const qv_parquet_batch_reader *br) { return br->schema; }

static qv_status open_group(qv_parquet_batch_reader *br, int32_t g, qv_error *err) {
  qv_parquet_reader *r = br->r;
  const qv_pq_row_group *rg = &r->meta.row_groups[g];
  br->group = g;
  br->rows_left = rg->num_rows;
  for (int32_t c = 0; c < r->schema.n_columns; c++) {
    if (!br->selected[c]) continue;
    br->readers[c] = malloc(sizeof *br->readers[c]);
    if (!br->readers[c]) return qv_error_set(err, QV_NOMEM, "out of memory");
    qv_status st = qv__pq_column_reader_init(br->readers[c], &r->schema.columns[c], &rg->columns[c],
                                             qv_buffer_data(r->data), r->data_end, &r->opts, err);
    if (st != QV_OK) return st;
  }
  return QV_OK;
}

static qv_status read_batch(qv_parquet_batch_reader *br, qv_record_batch **out, qv_error *err) {
  qv_parquet_reader *r = br->r;
  for (;;) {
    if (br->group < 0) {
      if (br->next_group >= br->n_row_groups) return QV_OK;
      QV_RETURN_NOT_OK(open_group(br, br->row_groups[br->next_group++], err));
    }
    if (br->rows_left > 0) break;
    close_group(br);
  }
  int64_t n = br->rows_left < r->opts.batch_size ? br->rows_left : r->opts.batch_size;
  for (int32_t c = 0; c < r->schema.n_columns; c++) {
    if (!br->selected[c]) continue;
    QV_RETURN_NOT_OK(qv__pq_column_reader_read(br->readers[c], n, &br->batches[c], err));
    if (br->batches[c].n_rows != n)
      return qv_error_set(err, QV_INVALID, "column '%s' ends %lld rows before the row group does",
                          r->schema.columns[c].path, (long long)(br->rows_left - br->batches[c].n_rows));
  }
  qv_status st = QV_OK;
  for (int32_t i = 0; i < br->n_fields && st == QV_OK; i++)
    st = qv__pq_assemble(&br->as, r->schema.fields[br->fields[i]], n, &br->arrays[i], err);
  if (st == QV_OK) st = qv_record_batch_create(br->schema, n, br->arrays, br->n_fields, out, err);
  for (int32_t i = 0; i < br->n_fields; i++) {
    qv_array_unref(br->arrays[i]);
    br->arrays[i] = NULL;
  }
  if (st != QV_OK) return st;
  br->rows_left -= n;
  if (br->rows_left == 0) close_group(br);
  return QV_OK;
}

qv_status qv_parquet_batch_reader_next(qv_parquet_batch_reader *br, qv_record_batch **out, qv_error *err) {
  *out = NULL;
  if (br->failed) return qv_error_set(err, QV_INVALID, "parquet: the batch reader failed earlier");
  int32_t g = br->group >= 0 ? br->group : (br->next_group < br->n_row_groups ? br->row_groups[br->next_group] : -1);
  qv_status st = read_batch(br, out, err);
  if (st != QV_OK) {
    br->failed = true;
    if (br->group >= 0) g = br->group;
    if (br->r->name) qv_error_prefix(err, "parquet: %s: row group %d", br->r->name, g);
    else qv_error_prefix(err, "parquet: row group %d", g);
  }
  return st;
}
