/* File scans on the wire: ParquetScanExec, CsvScanExec and IpcScanExec <->
 * quiver.FileScanNode.
 *
 * A scan travels with the pieces (file, byte range) of each of its
 * partitions, its file schema, projection, predicate and format options, and
 * is rebuilt with its public constructor with every piece pinned to its
 * partition (qv_file_scan_config.partitions), so the decoded scan reads
 * exactly the same bytes in the same partitions without listing a directory
 * or reading a footer at decode time.
 *
 * Paths come from untrusted bytes and are opened on the decoding worker:
 * only plain paths of regular files are accepted (no glob patterns, which
 * would be expanded, and no directories, which would be listed), and IPC
 * files are always validated whatever the sender asks. Which files a worker
 * may read at all is the worker's policy, not the codec's. */
#include <stdlib.h>
#include <string.h>

#include "exec/scan_internal.h"
#include "plan/codec_internal.h"

static const char *const op_names[] = {"ParquetScanExec", "CsvScanExec", "IpcScanExec"};

/* ---- encoding ------------------------------------------------------------------------ */

static qv_status encode_options(qv__plan_enc *e, const qv_exec_plan *p, Quiver__FileScanNode *m, qv_error *err) {
  switch (qv__file_scan_format(p)) {
    case QV_FILE_FORMAT_PARQUET: {
      const qv_parquet_read_options *o = qv__parquet_scan_options(p);
      if (!o) return QV_OK;
      QV_RETURN_NOT_OK(
          QV__PLAN_NEW(e, Quiver__ParquetScanOptions, quiver__parquet_scan_options__init, &m->parquet, err));
      m->parquet->max_page_size = o->max_page_size;
      m->parquet->verify_checksums = o->verify_checksums;
      m->parquet->use_arrow_schema = o->use_arrow_schema;
      return QV_OK;
    }
    case QV_FILE_FORMAT_CSV: {
      const qv_csv_read_options *o = qv__csv_scan_options(p);
      if (!o) return QV_OK;
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__CsvScanOptions, quiver__csv_scan_options__init, &m->csv, err));
      Quiver__CsvScanOptions *c = m->csv;
      c->delimiter = (uint8_t)o->delimiter;
      c->quote = (uint8_t)o->quote;
      c->escape = (uint8_t)o->escape;
      c->header = o->header;
      if (o->null_string) {
        c->has_null_string = true;
        c->null_string.data = (uint8_t *)o->null_string; /* borrowed from the node */
        c->null_string.len = strlen(o->null_string);
      }
      c->newlines_in_values = o->newlines_in_values;
      c->trailing_delimiter = o->trailing_delimiter;
      c->ignore_empty_lines = o->ignore_empty_lines;
      c->infer_rows = o->infer_rows;
      return QV_OK;
    }
    default: {
      const qv_ipc_read_options *o = qv__ipc_scan_options(p);
      if (!o) return QV_OK;
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__IpcScanOptions, quiver__ipc_scan_options__init, &m->ipc, err));
      m->ipc->max_decompressed_size = o->max_decompressed_size;
      return QV_OK;
    }
  }
}

qv_status qv__encode_file_scan(qv__plan_enc *e, const qv_exec_plan *p, Quiver__PhysicalPlan *pm, qv_error *err) {
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__FileScanNode, quiver__file_scan_node__init, &pm->file_scan, err));
  pm->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_FILE_SCAN;
  Quiver__FileScanNode *m = pm->file_scan;
  qv_file_format format = qv__file_scan_format(p);
  m->format = (Quiver__FileScanNode__Format)format;
  QV_RETURN_NOT_OK(qv__encode_schema(e, qv__file_scan_file_schema(p), &m->file_schema, err));
  int32_t np = qv__file_scan_num_projection(p);
  const int32_t *proj = qv__file_scan_projection(p);
  QV_RETURN_NOT_OK(qv__plan_enc_alloc(e, (size_t)(np ? np : 1) * sizeof *m->projection, (void **)&m->projection, err));
  for (int32_t i = 0; i < np; i++) m->projection[i] = (uint32_t)proj[i];
  m->n_projection = (size_t)np;
  const qv_expr *pred = qv__file_scan_predicate(p);
  if (pred) {
    qv_status st = qv__encode_expr(e, pred, &m->predicate, err);
    if (st != QV_OK) {
      qv_error_prefix(err, "%s predicate", op_names[format]);
      return st;
    }
  }
  int32_t parts = qv_exec_plan_num_partitions(p);
  QV_RETURN_NOT_OK(qv__plan_enc_alloc(e, (size_t)parts * sizeof *m->partitions, (void **)&m->partitions, err));
  for (int32_t i = 0; i < parts; i++) {
    Quiver__FileScanPartition *fp;
    QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__FileScanPartition, quiver__file_scan_partition__init, &fp, err));
    m->partitions[i] = fp;
    int32_t n = qv__file_scan_num_pieces(p, i);
    QV_RETURN_NOT_OK(qv__plan_enc_alloc(e, (size_t)(n ? n : 1) * sizeof *fp->pieces, (void **)&fp->pieces, err));
    for (int32_t k = 0; k < n; k++) {
      Quiver__FilePiece *piece;
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__FilePiece, quiver__file_piece__init, &piece, err));
      const char *path;
      qv__file_scan_piece(p, i, k, &path, &piece->begin, &piece->end);
      piece->path.data = (uint8_t *)path; /* borrowed from the node */
      piece->path.len = strlen(path);
      fp->pieces[k] = piece;
    }
    fp->n_pieces = (size_t)n;
  }
  m->n_partitions = (size_t)parts;
  const char *ext = qv__file_scan_extension(p);
  if (ext) {
    m->has_extension = true;
    QV_RETURN_NOT_OK(qv__plan_enc_strdup(e, ext, &m->extension, err));
  }
  m->batch_size = qv__file_scan_batch_size(p);
  return encode_options(e, p, m, err);
}

/* ---- decoding ------------------------------------------------------------------------ */

/* A NUL-terminated copy of protobuf bytes that must not hold a NUL. */
static qv_status c_string(const ProtobufCBinaryData *b, const char *what, char **out, qv_error *err) {
  *out = NULL;
  if (b->len && memchr(b->data, '\0', b->len)) return qv_error_set(err, QV_INVALID, "%s holds a NUL byte", what);
  *out = malloc(b->len + 1);
  if (!*out) return qv_error_set(err, QV_NOMEM, "out of memory");
  if (b->len) memcpy(*out, b->data, b->len);
  (*out)[b->len] = '\0';
  return QV_OK;
}

/* The flattened pieces of every partition, as qv_file_scan_config wants them. */
typedef struct pieces {
  int32_t n;
  char **paths;
  int64_t *begin, *end;
  int32_t *partition;
} pieces;

static void pieces_reset(pieces *ps) {
  for (int32_t i = 0; ps->paths && i < ps->n; i++) free(ps->paths[i]);
  free(ps->paths);
  free(ps->begin);
  free(ps->end);
  free(ps->partition);
  memset(ps, 0, sizeof *ps);
}

static qv_status decode_pieces(const Quiver__FileScanNode *m, const char *op, pieces *ps, qv_error *err) {
  memset(ps, 0, sizeof *ps);
  if (m->n_partitions < 1 || m->n_partitions > QV__PLAN_MAX_PARTITIONS)
    return qv_error_set(err, QV_INVALID, "%s: %zu partitions (expected 1 to %d)", op, m->n_partitions,
                        QV__PLAN_MAX_PARTITIONS);
  size_t total = 0;
  for (size_t i = 0; i < m->n_partitions; i++) {
    total += m->partitions[i]->n_pieces;
    if (total > (size_t)INT32_MAX) return qv_error_set(err, QV_INVALID, "%s: too many file pieces", op);
  }
  size_t slots = total ? total : 1;
  ps->paths = calloc(slots, sizeof *ps->paths);
  ps->begin = calloc(slots, sizeof *ps->begin);
  ps->end = calloc(slots, sizeof *ps->end);
  ps->partition = calloc(slots, sizeof *ps->partition);
  if (!ps->paths || !ps->begin || !ps->end || !ps->partition) {
    pieces_reset(ps);
    return qv_error_set(err, QV_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < m->n_partitions; i++) {
    const Quiver__FileScanPartition *fp = m->partitions[i];
    for (size_t k = 0; k < fp->n_pieces; k++) {
      const Quiver__FilePiece *piece = fp->pieces[k];
      int32_t at = ps->n;
      qv_status st = c_string(&piece->path, "file path", &ps->paths[at], err);
      if (st == QV_OK) ps->n++;
      if (st == QV_OK && (!*ps->paths[at] || strpbrk(ps->paths[at], "*?[")))
        st = qv_error_set(err, QV_INVALID, "'%s' is not the path of a file", ps->paths[at]);
      if (st == QV_OK && (piece->begin < 0 || piece->end < piece->begin))
        st = qv_error_set(err, QV_INVALID, "bad byte range [%lld, %lld) of '%s'", (long long)piece->begin,
                          (long long)piece->end, ps->paths[at]);
      if (st != QV_OK) {
        qv_error_prefix(err, "%s partition %zu piece %zu", op, i, k);
        pieces_reset(ps);
        return st;
      }
      ps->begin[at] = piece->begin;
      ps->end[at] = piece->end;
      ps->partition[at] = (int32_t)i;
    }
  }
  return QV_OK;
}

static qv_status build_scan(const Quiver__FileScanNode *m, const qv_file_scan_config *cfg, qv_exec_plan **out,
                            qv_error *err) {
  switch (m->format) {
    case QUIVER__FILE_SCAN_NODE__FORMAT__PARQUET: {
      qv_parquet_read_options o;
      qv_parquet_read_options_init(&o);
      if (m->parquet) {
        if (m->parquet->max_page_size > 0) o.max_page_size = m->parquet->max_page_size;
        o.verify_checksums = m->parquet->verify_checksums;
        o.use_arrow_schema = m->parquet->use_arrow_schema;
      }
      return qv_plan_parquet_scan(cfg, &o, out, err);
    }
    case QUIVER__FILE_SCAN_NODE__FORMAT__CSV: {
      qv_csv_read_options o;
      qv_csv_read_options_init(&o);
      char *null_string = NULL;
      if (m->csv) {
        const Quiver__CsvScanOptions *c = m->csv;
        if (c->delimiter > 255 || c->quote > 255 || c->escape > 255)
          return qv_error_set(err, QV_INVALID, "CsvScanExec: delimiter, quote and escape must be single bytes");
        o.delimiter = (char)c->delimiter;
        o.quote = (char)c->quote;
        o.escape = (char)c->escape;
        o.header = c->header;
        o.newlines_in_values = c->newlines_in_values;
        o.trailing_delimiter = c->trailing_delimiter;
        o.ignore_empty_lines = c->ignore_empty_lines;
        if (c->infer_rows > 0) o.infer_rows = c->infer_rows;
        if (c->has_null_string)
          QV_RETURN_NOT_OK(c_string(&c->null_string, "CsvScanExec: null string", &null_string, err));
        o.null_string = null_string;
      }
      qv_status st = qv_plan_csv_scan(cfg, &o, out, err);
      free(null_string);
      return st;
    }
    default: {
      qv_ipc_read_options o;
      qv_ipc_read_options_init(&o);
      if (m->ipc && m->ipc->max_decompressed_size > 0) o.max_decompressed_size = m->ipc->max_decompressed_size;
      o.validate = true;
      return qv_plan_ipc_scan(cfg, &o, out, err);
    }
  }
}

qv_status qv__decode_file_scan(const Quiver__FileScanNode *m, qv_session_state *session, qv_exec_plan **out,
                               qv_error *err) {
  *out = NULL;
  if ((unsigned)m->format > QUIVER__FILE_SCAN_NODE__FORMAT__IPC)
    return qv_error_set(err, QV_INVALID, "file scan: unknown format %d", (int)m->format);
  const char *op = op_names[m->format];
  qv_schema *schema = NULL;
  qv_status st = qv__decode_schema(m->file_schema, &schema, err);
  if (st != QV_OK) {
    qv_error_prefix(err, "%s file schema", op);
    return st;
  }
  int32_t nf = qv_schema_num_fields(schema);
  int32_t *proj = NULL;
  if (m->n_projection > (size_t)nf * 4 + 16)
    st = qv_error_set(err, QV_INVALID, "%s: %zu projected columns of %d", op, m->n_projection, nf);
  if (st == QV_OK && !(proj = malloc((m->n_projection ? m->n_projection : 1) * sizeof *proj)))
    st = qv_error_set(err, QV_NOMEM, "out of memory");
  for (size_t i = 0; st == QV_OK && i < m->n_projection; i++) {
    if (m->projection[i] >= (uint32_t)nf)
      st = qv_error_set(err, QV_INVALID, "%s: projected column %u out of range for %d file columns", op,
                        m->projection[i], nf);
    else proj[i] = (int32_t)m->projection[i];
  }
  qv_expr *pred = NULL;
  if (st == QV_OK && m->predicate) {
    st = qv__decode_expr(m->predicate, schema, session, &pred, err);
    if (st != QV_OK) qv_error_prefix(err, "%s predicate", op);
  }
  pieces ps = {0};
  if (st == QV_OK) st = decode_pieces(m, op, &ps, err);
  if (st == QV_OK) {
    qv_file_scan_config cfg;
    qv_file_scan_config_init(&cfg);
    cfg.paths = (const char *const *)ps.paths;
    cfg.n_paths = ps.n;
    cfg.range_begin = ps.begin;
    cfg.range_end = ps.end;
    cfg.partitions = ps.partition;
    cfg.extension = m->has_extension ? (m->extension ? m->extension : "") : NULL;
    cfg.file_schema = schema;
    cfg.projection = proj;
    cfg.n_projection = (int32_t)m->n_projection;
    cfg.predicate = pred;
    cfg.target_partitions = (int32_t)m->n_partitions;
    cfg.batch_size = m->batch_size;
    st = build_scan(m, &cfg, out, err);
  }
  pieces_reset(&ps);
  qv_expr_unref(pred);
  free(proj);
  qv_schema_unref(schema);
  return st;
}
