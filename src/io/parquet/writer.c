/* The public Parquet writer (quiver/parquet.h, "Writing"): options, the
 * writer's life cycle, row groups and the footer. A file is "PAR1", the
 * row groups one after the other (each the column chunks of its leaf
 * columns in schema order, each chunk its dictionary page and data pages),
 * the FileMetaData (Thrift compact protocol), its 4-byte length and "PAR1".
 *
 * write() checks the batch first (types, nulls in non-nullable fields), so
 * that bad input leaves the writer as it was; it then cuts the batch at row
 * group boundaries and hands each leaf column's levels and values to its
 * column writer. A row group is written when full: every column chunk is
 * finished and copied to the sink, and its metadata (offsets, sizes,
 * statistics) goes into an arena that lives until the footer is written. */
#include <stdio.h>
#include <string.h>

#include "arrow/internal.h"
#include "io/parquet/thrift_write.h"
#include "io/parquet/writer_internal.h"
#include "quiver/parquet.h"

#define CREATED_BY "quiver version 0.1.0"

struct qv_parquet_writer {
  qv_parquet_write_options opts;
  qv_allocator *alloc;
  qv_schema *schema;
  qv_ipc_sink sink;
  qv_arena arena;          /* Parquet schema, footer metadata */
  qv_pqw_schema pq;
  qv_pqw_config config;
  qv_pqw_column *columns;  /* one per leaf */
  int32_t n_columns_init;  /* columns initialised (for destroy) */
  qv_pqw_scratch scratch;
  qv_pqw_levels levels;
  int64_t offset;          /* bytes written */
  int64_t rg_rows;         /* rows in the current row group */
  int64_t total_rows;
  qv_pq_row_group *row_groups;
  int32_t n_row_groups;
  int32_t rg_capacity;
  const char *arrow_schema;
  int64_t arrow_schema_len;
  const char *created_by;
  bool closed, broken;
};

void qv_parquet_write_options_init(qv_parquet_write_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->row_group_size = QV_PARQUET_DEFAULT_ROW_GROUP_SIZE;
  opts->data_page_size = QV_PARQUET_DEFAULT_DATA_PAGE_SIZE;
  opts->compression = QV_PARQUET_UNCOMPRESSED;
  opts->dictionary = true;
  opts->dictionary_page_size = QV_PARQUET_DEFAULT_DICTIONARY_PAGE_SIZE;
  opts->statistics = true;
  opts->max_statistics_size = QV_PARQUET_DEFAULT_MAX_STATISTICS_SIZE;
  opts->data_page_version = 1;
  opts->store_arrow_schema = true;
}

static qv_status nomem(qv_error *err) { return qv_error_set(err, QV_NOMEM, "parquet: out of memory writing"); }

static qv_status sink_write(qv_parquet_writer *w, const void *data, int64_t n, qv_error *err) {
  if (n == 0) return QV_OK;
  qv_status st = w->sink.write(w->sink.ctx, data, n, err);
  if (st != QV_OK) {
    w->broken = true;
    qv_error_prefix(err, "parquet: writing at byte %lld", (long long)w->offset);
    return st;
  }
  w->offset += n;
  return QV_OK;
}

/* ---- create / destroy ---------------------------------------------------------------- */

static qv_status check_options(const qv_parquet_write_options *o, qv_error *err) {
  if (o->row_group_size <= 0) return qv_error_set(err, QV_INVALID, "parquet: row_group_size must be positive");
  if (o->data_page_size <= 0) return qv_error_set(err, QV_INVALID, "parquet: data_page_size must be positive");
  if (o->dictionary_page_size <= 0)
    return qv_error_set(err, QV_INVALID, "parquet: dictionary_page_size must be positive");
  if (o->max_statistics_size < 0)
    return qv_error_set(err, QV_INVALID, "parquet: max_statistics_size must not be negative");
  if (o->data_page_version != 1 && o->data_page_version != 2)
    return qv_error_set(err, QV_INVALID, "parquet: data_page_version %d (1 or 2)", o->data_page_version);
  return QV_OK;
}

static qv_status setup(qv_parquet_writer *w, qv_error *err) {
  QV_RETURN_NOT_OK(qv__pqw_schema_build(w->schema, &w->arena, &w->pq, err));
  QV_RETURN_NOT_OK(qv__pqw_compressor_init(&w->scratch.compressor, w->opts.compression, w->opts.compression_level, err));
  int32_t n = w->pq.n_leaves;
  w->columns = qv_alloc_zeroed(w->alloc, (int64_t)(n ? n : 1) * (int64_t)sizeof *w->columns);
  if (!w->columns) return nomem(err);
  for (int32_t i = 0; i < n; i++) qv__pqw_column_init(&w->columns[i], &w->pq.leaves[i], &w->config, w->alloc);
  w->n_columns_init = n;
  if (w->opts.store_arrow_schema)
    QV_RETURN_NOT_OK(qv__pqw_arrow_schema_b64(w->schema, &w->arena, &w->arrow_schema, &w->arrow_schema_len, err));
  const char *by = w->opts.created_by ? w->opts.created_by : CREATED_BY;
  if (!(w->created_by = qv_arena_strndup(&w->arena, by, (int64_t)strlen(by)))) return nomem(err);
  w->opts.created_by = NULL; /* not kept: the caller's string */
  return sink_write(w, "PAR1", 4, err);
}

qv_status qv_parquet_writer_create(qv_schema *schema, const qv_parquet_write_options *opts, qv_ipc_sink sink,
                                   qv_parquet_writer **out, qv_error *err) {
  *out = NULL;
  if (!sink.write) return qv_error_set(err, QV_INVALID, "parquet: the writer needs a sink");
  qv_parquet_write_options o;
  if (opts) o = *opts;
  else qv_parquet_write_options_init(&o);
  QV_RETURN_NOT_OK(check_options(&o, err));
  qv_allocator *alloc = o.alloc ? o.alloc : qv_default_allocator();
  qv_parquet_writer *w = qv_alloc_zeroed(alloc, (int64_t)sizeof *w);
  if (!w) return nomem(err);
  w->opts = o;
  w->alloc = alloc;
  w->schema = qv_schema_ref(schema);
  w->sink = sink;
  qv_arena_init(&w->arena, alloc);
  qv__pqw_scratch_init(&w->scratch, alloc);
  qv__pqw_levels_init(&w->levels, alloc);
  w->config = (qv_pqw_config){
      .data_page_size = o.data_page_size,
      .dictionary = o.dictionary,
      .dictionary_page_size = o.dictionary_page_size,
      .statistics = o.statistics,
      .max_statistics_size = o.max_statistics_size,
      .data_page_version = o.data_page_version,
      .page_checksums = o.page_checksums,
      .codec = o.compression,
  };
  qv_status st = setup(w, err);
  if (st != QV_OK) {
    qv_parquet_writer_destroy(w);
    return st;
  }
  *out = w;
  return QV_OK;
}

void qv_parquet_writer_destroy(qv_parquet_writer *w) {
  if (!w) return;
  for (int32_t i = 0; i < w->n_columns_init; i++) qv__pqw_column_reset(&w->columns[i]);
  qv_free(w->alloc, w->columns, (int64_t)(w->pq.n_leaves ? w->pq.n_leaves : 1) * (int64_t)sizeof *w->columns);
  qv_free(w->alloc, w->row_groups, (int64_t)w->rg_capacity * (int64_t)sizeof *w->row_groups);
  qv__pqw_scratch_reset(&w->scratch);
  qv__pqw_levels_reset(&w->levels);
  qv_arena_reset(&w->arena);
  qv_schema_unref(w->schema);
  qv_free(w->alloc, w, (int64_t)sizeof *w);
}

int64_t qv_parquet_writer_bytes_written(const qv_parquet_writer *w) { return w->offset; }

/* ---- row groups ------------------------------------------------------------------------ */

static qv_status flush_row_group(qv_parquet_writer *w, qv_error *err) {
  if (w->rg_rows == 0) return QV_OK;
  if (w->n_row_groups == w->rg_capacity) {
    int32_t cap = w->rg_capacity ? w->rg_capacity * 2 : 8;
    qv_pq_row_group *g = qv_realloc(w->alloc, w->row_groups, (int64_t)w->rg_capacity * (int64_t)sizeof *g,
                                    (int64_t)cap * (int64_t)sizeof *g);
    if (!g) return nomem(err);
    w->row_groups = g;
    w->rg_capacity = cap;
  }
  int32_t n = w->pq.n_leaves;
  qv_pq_row_group *rg = &w->row_groups[w->n_row_groups];
  memset(rg, 0, sizeof *rg);
  rg->columns = qv_arena_alloc(&w->arena, (int64_t)(n ? n : 1) * (int64_t)sizeof *rg->columns);
  if (!rg->columns) return nomem(err);
  memset(rg->columns, 0, (size_t)(n ? n : 1) * sizeof *rg->columns);
  int64_t start = w->offset;
  for (int32_t i = 0; i < n; i++) {
    qv_pqw_column *c = &w->columns[i];
    QV_RETURN_NOT_OK(qv__pqw_column_finish(c, &w->scratch, err));
    int64_t chunk_offset = w->offset;
    QV_RETURN_NOT_OK(sink_write(w, c->dict_page.data, c->dict_page.size, err));
    QV_RETURN_NOT_OK(sink_write(w, c->pages.data, c->pages.size, err));
    qv_pq_column_chunk *ch = &rg->columns[i];
    ch->file_offset = chunk_offset;
    ch->has_meta = true;
    QV_RETURN_NOT_OK(qv__pqw_column_meta(c, chunk_offset, &w->arena, &ch->meta, err));
    rg->total_byte_size += ch->meta.total_uncompressed_size;
    qv__pqw_column_clear(c);
  }
  rg->n_columns = n;
  rg->num_rows = w->rg_rows;
  rg->has_file_offset = true;
  rg->file_offset = start;
  rg->has_total_compressed_size = true;
  rg->total_compressed_size = w->offset - start;
  w->n_row_groups++;
  w->total_rows += w->rg_rows;
  w->rg_rows = 0;
  return QV_OK;
}

/* ---- writing ------------------------------------------------------------------------------- */

static qv_status check_usable(const qv_parquet_writer *w, qv_error *err) {
  if (w->closed) return qv_error_set(err, QV_INVALID, "parquet: the writer is closed");
  if (w->broken) return qv_error_set(err, QV_INVALID, "parquet: the writer failed earlier and cannot continue");
  return QV_OK;
}

static bool array_has_nulls(const qv_array *a) {
  return a->type->id == QV_NA ? a->length > 0 : a->buffers[0] && qv_array_null_count((qv_array *)a) > 0;
}

/* Whether a non-nullable array on leaf's path holds nulls: only then can
 * the levels fail, and they are computed once up front to find out. */
static bool may_hold_required_null(const qv_pqw_leaf *leaf, const qv_array *a) {
  for (int32_t k = 0; k < leaf->depth; k++) {
    const qv_pqw_node *node = leaf->nodes[k];
    if (!node->optional && array_has_nulls(a)) return true;
    if (k == leaf->depth - 1) {
      if (leaf->arrow_dictionary && a->dictionary && array_has_nulls(a->dictionary) && !node->optional) return true;
      break;
    }
    a = a->children[node->kind == QV_PQW_STRUCT ? leaf->child_index[k] : 0];
  }
  return false;
}

static qv_status check_batch(qv_parquet_writer *w, qv_record_batch *batch, qv_error *err) {
  const qv_schema *bs = batch->schema;
  if (bs->n_fields != w->schema->n_fields)
    return qv_error_set(err, QV_INVALID, "parquet: batch has %d columns, the writer's schema %d", bs->n_fields,
                        w->schema->n_fields);
  for (int32_t i = 0; i < bs->n_fields; i++) {
    if (!qv_type_equals(batch->columns[i]->type, w->schema->fields[i]->type)) {
      char a[128], b[128];
      return qv_error_set(err, QV_INVALID, "parquet: column %d ('%s') is %s, the writer's schema says %s", i,
                          w->schema->fields[i]->name, qv_type_to_string(batch->columns[i]->type, a, sizeof a),
                          qv_type_to_string(w->schema->fields[i]->type, b, sizeof b));
    }
  }
  for (int32_t i = 0; i < w->pq.n_leaves; i++) {
    const qv_pqw_leaf *leaf = &w->pq.leaves[i];
    const qv_array *col = batch->columns[leaf->field];
    if (may_hold_required_null(leaf, col))
      QV_RETURN_NOT_OK(qv__pqw_levels_compute(&w->levels, leaf, col, 0, batch->num_rows, err));
  }
  return QV_OK;
}

static qv_status append_rows(qv_parquet_writer *w, qv_record_batch *batch, int64_t start, int64_t n, qv_error *err) {
  for (int32_t i = 0; i < w->pq.n_leaves; i++) {
    const qv_pqw_leaf *leaf = &w->pq.leaves[i];
    QV_RETURN_NOT_OK(qv__pqw_levels_compute(&w->levels, leaf, batch->columns[leaf->field], start, n, err));
    QV_RETURN_NOT_OK(qv__pqw_column_append(&w->columns[i], &w->levels, &w->scratch, err));
  }
  w->rg_rows += n;
  return QV_OK;
}

qv_status qv_parquet_writer_write(qv_parquet_writer *w, qv_record_batch *batch, qv_error *err) {
  QV_RETURN_NOT_OK(check_usable(w, err));
  qv_status st = check_batch(w, batch, err);
  if (st != QV_OK) return st; /* nothing written: the writer stays usable */
  int64_t rows = batch->num_rows, done = 0;
  while (st == QV_OK && done < rows) {
    int64_t n = w->opts.row_group_size - w->rg_rows;
    if (n > rows - done) n = rows - done;
    st = append_rows(w, batch, done, n, err);
    done += n;
    if (st == QV_OK && w->rg_rows >= w->opts.row_group_size) st = flush_row_group(w, err);
  }
  if (st != QV_OK) w->broken = true;
  return st;
}

qv_status qv_parquet_writer_flush(qv_parquet_writer *w, qv_error *err) {
  QV_RETURN_NOT_OK(check_usable(w, err));
  qv_status st = flush_row_group(w, err);
  if (st != QV_OK) w->broken = true;
  return st;
}

/* ---- footer ------------------------------------------------------------------------------------- */

static qv_status write_footer(qv_parquet_writer *w, qv_error *err) {
  qv_pq_file_meta m;
  memset(&m, 0, sizeof m);
  m.version = 2;
  m.n_schema = w->pq.n_elements;
  m.schema = w->pq.elements;
  m.num_rows = w->total_rows;
  m.n_row_groups = w->n_row_groups;
  m.row_groups = w->row_groups;
  const qv_metadata *md = w->schema->metadata;
  int64_t n_kv = qv_metadata_count(md) + 1;
  m.key_values = qv_arena_alloc(&w->arena, n_kv * (int64_t)sizeof *m.key_values);
  m.column_orders = qv_arena_alloc(&w->arena, (int64_t)(w->pq.n_leaves ? w->pq.n_leaves : 1) * (int64_t)sizeof(int32_t));
  if (!m.key_values || !m.column_orders) return nomem(err);
  for (int64_t i = 0; i < qv_metadata_count(md); i++) {
    const char *k, *v;
    int64_t kl, vl;
    qv_metadata_get(md, i, &k, &kl, &v, &vl);
    if (w->arrow_schema && kl == 12 && memcmp(k, "ARROW:schema", 12) == 0) continue; /* ours replaces it */
    m.key_values[m.n_key_values++] = (qv_pq_key_value){{(const uint8_t *)k, kl}, {(const uint8_t *)v, vl}};
  }
  if (w->arrow_schema)
    m.key_values[m.n_key_values++] = (qv_pq_key_value){{(const uint8_t *)"ARROW:schema", 12},
                                                       {(const uint8_t *)w->arrow_schema, w->arrow_schema_len}};
  m.created_by = (qv_pq_bytes){(const uint8_t *)w->created_by, (int64_t)strlen(w->created_by)};
  /* TYPE_ORDER for every column: min_value/max_value follow the logical type. */
  m.n_column_orders = w->pq.n_leaves;
  for (int32_t i = 0; i < w->pq.n_leaves; i++) m.column_orders[i] = 1;
  qv_bytes footer;
  qv_bytes_init(&footer, w->alloc);
  qv_status st = qv__pq_encode_file_meta(&m, &footer, err);
  if (st == QV_OK && footer.size > UINT32_MAX)
    st = qv_error_set(err, QV_INVALID, "parquet: a footer of %lld bytes", (long long)footer.size);
  if (st == QV_OK) {
    uint8_t tail[8];
    uint32_t len = (uint32_t)footer.size;
    memcpy(tail, &len, 4);
    memcpy(tail + 4, "PAR1", 4);
    st = sink_write(w, footer.data, footer.size, err);
    if (st == QV_OK) st = sink_write(w, tail, 8, err);
  }
  qv_bytes_reset(&footer);
  return st;
}

qv_status qv_parquet_writer_close(qv_parquet_writer *w, qv_error *err) {
  QV_RETURN_NOT_OK(check_usable(w, err));
  qv_status st = flush_row_group(w, err);
  if (st == QV_OK) st = write_footer(w, err);
  if (st != QV_OK) {
    w->broken = true;
    return st;
  }
  w->closed = true;
  return QV_OK;
}

/* ---- whole files ------------------------------------------------------------------------------- */

qv_status qv_parquet_write_file(const char *path, qv_schema *schema, qv_record_batch *const *batches, int64_t n,
                                const qv_parquet_write_options *opts, qv_error *err) {
  FILE *f = fopen(path, "wb");
  if (!f) return qv_error_set(err, QV_IO, "parquet: cannot create %s", path);
  qv_parquet_writer *w = NULL;
  qv_status st = qv_parquet_writer_create(schema, opts, qv_ipc_sink_file(f), &w, err);
  for (int64_t i = 0; st == QV_OK && i < n; i++) st = qv_parquet_writer_write(w, batches[i], err);
  if (st == QV_OK) st = qv_parquet_writer_close(w, err);
  qv_parquet_writer_destroy(w);
  if (fclose(f) != 0 && st == QV_OK) st = qv_error_set(err, QV_IO, "parquet: cannot finish writing %s", path);
  if (st != QV_OK) {
    qv_error_prefix(err, "%s", path);
    remove(path);
  }
  return st;
}
