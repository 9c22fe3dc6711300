/* The machinery the three file scans share (ParquetScanExec, CsvScanExec,
 * IpcScanExec): building a scan node (listing and grouping the files,
 * settling the file schema, checking projection and predicate), executing a
 * partition (opening its pieces one after another through the format's
 * reader, matching each file's columns to the scan's schema, evaluating the
 * predicate and keeping the projected columns of the rows that pass),
 * EXPLAIN, metrics and the accessors the plan codec uses. The formats
 * themselves live in parquet_scan.c, csv_scan.c and ipc_scan.c. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arrow/internal.h"
#include "exec/scan_internal.h"
#include "expr/expr_internal.h"
#include "quiver/compute.h"

void qv_file_scan_config_init(qv_file_scan_config *config) {
  memset(config, 0, sizeof *config);
  config->min_split_bytes = QV_FILE_SCAN_DEFAULT_MIN_SPLIT_BYTES;
}

/* ---- the payload ------------------------------------------------------------ */

static void scan_destroy(void *payload) {
  qv_file_scan *s = payload;
  if (!s) return;
  if (s->format_state && s->format->free_state) s->format->free_state(s->format_state);
  if (s->options && s->format->free_options) s->format->free_options(s->options);
  qv__file_groups_reset(&s->groups);
  qv_schema_unref(s->file_schema);
  qv_expr_unref(s->predicate);
  free(s->projection);
  free(s->read_fields);
  free(s->extension);
  free(s);
}

static qv_status collect_columns(const qv_expr *e, const qv_schema *schema, bool *used, int depth, const char *what,
                                 qv_error *err) {
  if (depth > 512) return qv_error_set(err, QV_INVALID, "%s: predicate nested too deeply", what);
  if (qv__expr_kind(e) == QV_EXPR_COLUMN) {
    int32_t i = qv__expr_column_index(e);
    if (i < 0 || i >= qv_schema_num_fields(schema))
      return qv_error_set(err, QV_TYPE_ERROR, "%s: predicate column %d is outside the file schema (%d fields)", what,
                          i, qv_schema_num_fields(schema));
    const qv_field *f = qv_schema_field(schema, i);
    if (!qv_type_equals(qv_field_type(f), qv_expr_type(e))) {
      char a[96], b[96];
      return qv_error_set(err, QV_TYPE_ERROR, "%s: predicate column %d is %s, the file schema's '%s' is %s", what, i,
                          qv_type_to_string(qv_expr_type(e), a, sizeof a), qv_field_name(f),
                          qv_type_to_string(qv_field_type(f), b, sizeof b));
    }
    used[i] = true;
  }
  for (int32_t c = 0; c < qv__expr_num_children(e); c++)
    QV_RETURN_NOT_OK(collect_columns(qv__expr_child(e, c), schema, used, depth + 1, what, err));
  return QV_OK;
}

/* Projection and read columns: the projection (without repeats) first, then
 * the predicate's other columns. */
static qv_status settle_columns(qv_file_scan *s, const qv_file_scan_config *c, qv_error *err) {
  const char *what = s->format->name;
  int32_t nf = qv_schema_num_fields(s->file_schema);
  s->n_projection = c->projection ? c->n_projection : nf;
  if (s->n_projection < 0) return qv_error_set(err, QV_INVALID, "%s: negative projection length", what);
  s->projection = malloc(sizeof *s->projection * (size_t)(s->n_projection ? s->n_projection : 1));
  s->read_fields = malloc(sizeof *s->read_fields * (size_t)(nf ? nf : 1));
  bool *used = calloc((size_t)(nf ? nf : 1), sizeof *used);
  bool *taken = calloc((size_t)(nf ? nf : 1), sizeof *taken);
  qv_status st = QV_OK;
  if (!s->projection || !s->read_fields || !used || !taken) st = qv_error_set(err, QV_NOMEM, "%s: out of memory", what);
  for (int32_t i = 0; st == QV_OK && i < s->n_projection; i++) {
    int32_t f = c->projection ? c->projection[i] : i;
    if (f < 0 || f >= nf) st = qv_error_set(err, QV_INVALID, "%s: projection index %d out of range (%d fields)", what, f, nf);
    else s->projection[i] = f;
  }
  if (st == QV_OK && s->predicate) st = collect_columns(s->predicate, s->file_schema, used, 0, what, err);
  if (st == QV_OK) {
    for (int32_t i = 0; i < s->n_projection; i++)
      if (!taken[s->projection[i]]) {
        taken[s->projection[i]] = true;
        s->read_fields[s->n_read++] = s->projection[i];
      }
    for (int32_t f = 0; f < nf; f++)
      if (used[f] && !taken[f]) {
        taken[f] = true;
        s->read_fields[s->n_read++] = f;
      }
  }
  free(used);
  free(taken);
  return st;
}

static const qv_plan_ops *ops_of(qv_file_format f);
static qv_status count_files(qv_file_scan *s, qv_error *err);

qv_status qv__file_scan_create(const qv_scan_format *format, const qv_file_scan_config *config, void *options,
                               qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  const char *what = format->name;
  qv_file_scan *s = calloc(1, sizeof *s);
  if (!s) {
    if (options && format->free_options) format->free_options(options);
    return qv_error_set(err, QV_NOMEM, "%s: out of memory", what);
  }
  s->format = format;
  s->options = options;
  qv_status st = QV_OK;
  if (!config) st = qv_error_set(err, QV_INVALID, "%s: no configuration", what);
  int32_t target = config ? config->target_partitions : 0;
  if (st == QV_OK && target < 0) st = qv_error_set(err, QV_INVALID, "%s: %d target partitions", what, target);
  if (st == QV_OK && target == 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    target = cores < 1 ? 1 : cores > 4096 ? 4096 : (int32_t)cores;
  }
  if (st == QV_OK && config->batch_size < 0)
    st = qv_error_set(err, QV_INVALID, "%s: batch size %lld", what, (long long)config->batch_size);
  if (st == QV_OK) s->batch_size = config->batch_size;
  if (st == QV_OK && config->extension && !(s->extension = strdup(config->extension)))
    st = qv_error_set(err, QV_NOMEM, "%s: out of memory", what);
  if (st == QV_OK && config->predicate) {
    if (qv_type_id_of(qv_expr_type(config->predicate)) != QV_BOOL) {
      char buf[96];
      st = qv_error_set(err, QV_TYPE_ERROR, "%s: predicate is %s, not bool", what,
                        qv_type_to_string(qv_expr_type(config->predicate), buf, sizeof buf));
    } else {
      s->predicate = qv_expr_ref(config->predicate);
    }
  }
  qv_file_list files = {0};
  if (st == QV_OK) {
    qv_file_list_request req = {config->paths,      config->n_paths,   config->range_begin, config->range_end,
                                config->partitions, config->extension, what};
    st = qv__file_list_expand(&req, &files, err);
  }
  if (st == QV_OK) {
    if (config->file_schema) s->file_schema = qv_schema_ref(config->file_schema);
    else if (files.n == 0)
      st = qv_error_set(err, QV_INVALID, "%s: no file to take the schema from; give file_schema", what);
    else if ((st = format->infer_schema(s, files.files[0].path, &s->file_schema, err)) != QV_OK)
      qv_error_prefix(err, "%s", what);
  }
  if (st == QV_OK) st = settle_columns(s, config, err);
  if (st == QV_OK) {
    bool split = format->splittable(s);
    st = qv__file_groups_build(&files, target, split, config->min_split_bytes, config->partitions != NULL, what,
                               &s->groups, err);
  }
  qv__file_list_reset(&files);
  if (st == QV_OK) st = count_files(s, err);
  if (st == QV_OK && format->prepare) st = format->prepare(s, err);
  qv_schema *schema = NULL;
  if (st == QV_OK) {
    qv_field **fields = malloc(sizeof *fields * (size_t)(s->n_projection ? s->n_projection : 1));
    if (!fields) st = qv_error_set(err, QV_NOMEM, "%s: out of memory", what);
    for (int32_t i = 0; st == QV_OK && i < s->n_projection; i++)
      fields[i] = qv_schema_field(s->file_schema, s->projection[i]);
    if (st == QV_OK) st = qv_schema_create(fields, s->n_projection, NULL, &schema, err);
    free(fields);
  }
  if (st != QV_OK) {
    scan_destroy(s);
    return st;
  }
  atomic_init(&s->files_opened, 0);
  atomic_init(&s->row_groups_matched, 0);
  atomic_init(&s->row_groups_pruned, 0);
  atomic_init(&s->batches_read, 0);
  atomic_init(&s->rows_read, 0);
  atomic_init(&s->rows_output, 0);
  st = qv__plan_create(format->kind, ops_of(format->format), schema, s->groups.n_groups, NULL, 0, s, out, err);
  qv_schema_unref(schema);
  return st;
}

static int compare_paths(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Distinct paths of the list (a path may come several times, one range
 * each, in a scan rebuilt from its pieces). */
static qv_status count_files(qv_file_scan *s, qv_error *err) {
  const qv_file_list *l = &s->groups.files;
  char **paths = malloc(sizeof *paths * (size_t)(l->n ? l->n : 1));
  if (!paths) return qv_error_set(err, QV_NOMEM, "%s: out of memory", s->format->name);
  for (int32_t i = 0; i < l->n; i++) paths[i] = l->files[i].path;
  qsort(paths, (size_t)l->n, sizeof *paths, compare_paths);
  s->n_files = 0;
  for (int32_t i = 0; i < l->n; i++) s->n_files += i == 0 || strcmp(paths[i], paths[i - 1]) != 0;
  free(paths);
  return QV_OK;
}

/* ---- execution ---------------------------------------------------------------- */

typedef struct scan_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  const qv_file_scan *s;
  qv_allocator *alloc;
  int64_t batch_size;
  int32_t next_piece, end_piece;
  const qv_scan_file *file; /* of the open piece */
  void *reader;             /* the open piece's reader, or NULL */
  int32_t *local_of;        /* per file schema field: its index in the open file, or -1 */
  int32_t *batch_col;       /* per read field: its column in the reader's batches, or -1 (missing: nulls) */
  int32_t *present;         /* the file's columns asked of the reader */
  qv_array **wide;          /* per file schema field: the batch's column while it is processed */
  qv_array **out_cols;
} scan_stream;

static void close_piece(scan_stream *ss) {
  if (ss->reader) ss->s->format->close(ss->reader);
  ss->reader = NULL;
  ss->file = NULL;
}

static void scan_stream_destroy(qv_batch_stream *base) {
  scan_stream *ss = (scan_stream *)base;
  close_piece(ss);
  free(ss->local_of);
  free(ss->batch_col);
  free(ss->present);
  free(ss->wide);
  free(ss->out_cols);
  qv_exec_plan_unref(ss->plan);
  qv_task_context_unref(ss->ctx);
  qv__stream_free(base);
}

/* Maps the open file's columns onto the scan's schema, checks their types
 * and starts the reader. */
static qv_status map_columns(scan_stream *ss, const qv_schema *fs, qv_error *err) {
  const qv_file_scan *s = ss->s;
  const qv_schema *scan = s->file_schema;
  int32_t nf = qv_schema_num_fields(scan), nl = qv_schema_num_fields(fs);
  bool same = nf == nl;
  for (int32_t f = 0; same && f < nf; f++)
    same = strcmp(qv_field_name(qv_schema_field(scan, f)), qv_field_name(qv_schema_field(fs, f))) == 0;
  for (int32_t f = 0; f < nf; f++)
    ss->local_of[f] = same ? f : qv_schema_field_index(fs, qv_field_name(qv_schema_field(scan, f)));
  int32_t n_present = 0;
  for (int32_t r = 0; r < s->n_read; r++) {
    int32_t f = s->read_fields[r], l = ss->local_of[f];
    const qv_field *want = qv_schema_field(scan, f);
    if (l < 0) {
      if (!qv_field_nullable(want))
        return qv_error_set(err, QV_INVALID, "%s: column '%s' is missing from the file and is not nullable",
                            ss->file->path, qv_field_name(want));
      ss->batch_col[r] = -1;
      continue;
    }
    const qv_data_type *have = qv_field_type(qv_schema_field(fs, l));
    if (!qv_type_equals(have, qv_field_type(want))) {
      char a[96], b[96];
      return qv_error_set(err, QV_TYPE_ERROR, "%s: column '%s' is %s in the file but %s in the scan's schema",
                          ss->file->path, qv_field_name(want), qv_type_to_string(have, a, sizeof a),
                          qv_type_to_string(qv_field_type(want), b, sizeof b));
    }
    ss->batch_col[r] = n_present;
    ss->present[n_present++] = l;
  }
  return s->format->start(ss->reader, s, ss->local_of, ss->present, n_present, err);
}

static qv_status open_piece(scan_stream *ss, qv_error *err) {
  const qv_file_scan *s = ss->s;
  const qv_file_piece *piece = &s->groups.pieces[ss->next_piece++];
  ss->file = &s->groups.files.files[piece->file];
  qv_schema *fs = NULL;
  QV_RETURN_NOT_OK(s->format->open(s, ss->file, piece, ss->alloc, ss->batch_size, &ss->reader, &fs, err));
  atomic_fetch_add(&((qv_file_scan *)s)->files_opened, 1);
  return map_columns(ss, fs, err);
}

/* Turns one reader batch into the scan's output: columns in place, the
 * predicate evaluated, the projection kept of the rows that pass. */
static qv_status process_batch(scan_stream *ss, qv_record_batch *in, qv_record_batch **out, qv_error *err) {
  const qv_file_scan *s = ss->s;
  int64_t n = in->num_rows;
  qv_status st = QV_OK;
  int32_t r = 0;
  for (; r < s->n_read && st == QV_OK; r++) {
    int32_t f = s->read_fields[r];
    if (ss->batch_col[r] >= 0) ss->wide[f] = qv_array_ref(in->columns[ss->batch_col[r]]);
    else st = qv_array_make_nulls(ss->alloc, qv_field_type(qv_schema_field(s->file_schema, f)), n, &ss->wide[f], err);
  }
  qv_array *mask = NULL;
  if (st == QV_OK && s->predicate) {
    qv_eval_ctx ctx = {ss->alloc, n, qv_schema_num_fields(s->file_schema), ss->wide, NULL, NULL};
    qv_datum d = {0};
    st = qv__expr_eval(s->predicate, &ctx, &d, err);
    if (st == QV_OK) st = qv__datum_to_array(ss->alloc, &d, n, &mask, err);
    qv__datum_release(&d);
  }
  qv_record_batch *projected = NULL;
  if (st == QV_OK) {
    for (int32_t i = 0; i < s->n_projection; i++) ss->out_cols[i] = ss->wide[s->projection[i]];
    st = qv_record_batch_create(ss->plan->schema, n, ss->out_cols, s->n_projection, &projected, err);
  }
  if (st == QV_OK && mask) {
    st = qv_record_batch_filter(ss->alloc, projected, mask, out, err);
    qv_record_batch_unref(projected);
  } else if (st == QV_OK) {
    *out = projected;
  }
  qv_array_unref(mask);
  for (int32_t k = 0; k < r; k++) {
    qv_array_unref(ss->wide[s->read_fields[k]]);
    ss->wide[s->read_fields[k]] = NULL;
  }
  return st;
}

static qv_status scan_stream_next(qv_batch_stream *base, qv_record_batch **out, qv_error *err) {
  scan_stream *ss = (scan_stream *)base;
  qv_file_scan *s = (qv_file_scan *)ss->s;
  const char *what = s->format->name;
  for (;;) {
    if (qv_task_context_is_cancelled(ss->ctx)) return qv_error_set(err, QV_CANCELLED, "query cancelled");
    if (!ss->reader) {
      if (ss->next_piece >= ss->end_piece) return QV_OK;
      qv_status st = open_piece(ss, err);
      if (st != QV_OK) {
        qv_error_prefix(err, "%s", what);
        close_piece(ss);
        return st;
      }
    }
    qv_record_batch *in = NULL;
    qv_status st = s->format->next(ss->reader, &in, err);
    if (st != QV_OK) {
      qv_error_prefix(err, "%s", what);
      return st;
    }
    if (!in) {
      close_piece(ss);
      continue;
    }
    atomic_fetch_add(&s->batches_read, 1);
    atomic_fetch_add(&s->rows_read, in->num_rows);
    st = process_batch(ss, in, out, err);
    qv_record_batch_unref(in);
    if (st != QV_OK) {
      qv_error_prefix(err, "%s: %s", what, ss->file->path);
      return st;
    }
    if ((*out)->num_rows > 0) {
      atomic_fetch_add(&s->rows_output, (*out)->num_rows);
      return QV_OK;
    }
    qv_record_batch_unref(*out);
    *out = NULL;
  }
}

static const qv_batch_stream_vtable scan_stream_vtable = {scan_stream_next, scan_stream_destroy};

static qv_status scan_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                              qv_error *err) {
  const qv_file_scan *s = self->payload;
  scan_stream *ss = qv__stream_alloc(sizeof *ss, &scan_stream_vtable, self->schema);
  if (!ss) return qv_error_set(err, QV_NOMEM, "%s: out of memory", s->format->name);
  ss->plan = qv_exec_plan_ref(self);
  ss->ctx = qv_task_context_ref(ctx);
  ss->s = s;
  ss->alloc = qv_task_context_allocator(ctx);
  ss->batch_size = s->batch_size > 0 ? s->batch_size : qv_session_batch_size(qv_task_context_session(ctx));
  if (ss->batch_size <= 0) ss->batch_size = 8192;
  ss->next_piece = s->groups.offsets[partition];
  ss->end_piece = s->groups.offsets[partition + 1];
  size_t nf = (size_t)qv_schema_num_fields(s->file_schema) + 1;
  ss->local_of = malloc(sizeof *ss->local_of * nf);
  ss->batch_col = malloc(sizeof *ss->batch_col * nf);
  ss->present = malloc(sizeof *ss->present * nf);
  ss->wide = calloc(nf, sizeof *ss->wide);
  ss->out_cols = malloc(sizeof *ss->out_cols * (size_t)(s->n_projection + 1));
  if (!ss->local_of || !ss->batch_col || !ss->present || !ss->wide || !ss->out_cols) {
    scan_stream_destroy(&ss->base);
    return qv_error_set(err, QV_NOMEM, "%s: out of memory", s->format->name);
  }
  *out = &ss->base;
  return QV_OK;
}

/* ---- EXPLAIN ------------------------------------------------------------------- */

/* Groups and pieces shown before "..." in EXPLAIN. */
#define DESCRIBE_GROUPS 8
#define DESCRIBE_PIECES 4

static qv_status describe_piece(const qv_file_scan *s, const qv_file_piece *p, qv_bytes *out, qv_error *err) {
  const qv_scan_file *f = &s->groups.files.files[p->file];
  if (p->begin == 0 && p->end == f->size) return qv__appendf(out, err, "%s", f->path);
  return qv__appendf(out, err, "%s:%lld..%lld", f->path, (long long)p->begin, (long long)p->end);
}

static qv_status scan_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  const qv_file_scan *s = self->payload;
  const qv_file_groups *g = &s->groups;
  QV_RETURN_NOT_OK(qv__appendf(out, err, "files=%d, partitions=%d, groups=[", s->n_files, g->n_groups));
  for (int32_t i = 0; i < g->n_groups; i++) {
    if (i == DESCRIBE_GROUPS) {
      QV_RETURN_NOT_OK(qv__appendf(out, err, ", ...%d more", g->n_groups - i));
      break;
    }
    QV_RETURN_NOT_OK(qv__appendf(out, err, "%s[", i ? ", " : ""));
    for (int32_t k = g->offsets[i]; k < g->offsets[i + 1]; k++) {
      if (k - g->offsets[i] == DESCRIBE_PIECES) {
        QV_RETURN_NOT_OK(qv__appendf(out, err, ", ...%d more", g->offsets[i + 1] - k));
        break;
      }
      if (k > g->offsets[i]) QV_RETURN_NOT_OK(qv__appendf(out, err, ", "));
      QV_RETURN_NOT_OK(describe_piece(s, &g->pieces[k], out, err));
    }
    QV_RETURN_NOT_OK(qv__appendf(out, err, "]"));
  }
  QV_RETURN_NOT_OK(qv__appendf(out, err, "], projection=["));
  for (int32_t i = 0; i < s->n_projection; i++)
    QV_RETURN_NOT_OK(
        qv__appendf(out, err, "%s%s", i ? ", " : "", qv_field_name(qv_schema_field(s->file_schema, s->projection[i]))));
  QV_RETURN_NOT_OK(qv__appendf(out, err, "]"));
  if (s->predicate) {
    QV_RETURN_NOT_OK(qv__appendf(out, err, ", predicate="));
    QV_RETURN_NOT_OK(qv_expr_to_string(s->predicate, out, err));
  }
  if (s->format->describe) QV_RETURN_NOT_OK(s->format->describe(s, out, err));
  return QV_OK;
}

static const qv_plan_ops scan_ops[] = {
    {"ParquetScanExec", scan_execute, scan_describe, scan_destroy},
    {"CsvScanExec", scan_execute, scan_describe, scan_destroy},
    {"IpcScanExec", scan_execute, scan_describe, scan_destroy},
};

static const qv_plan_ops *ops_of(qv_file_format f) { return &scan_ops[f]; }

/* ---- accessors and metrics ---------------------------------------------------- */

bool qv__is_file_scan(const qv_exec_plan *p) {
  return p->kind == QV_PLAN_PARQUET_SCAN || p->kind == QV_PLAN_CSV_SCAN || p->kind == QV_PLAN_IPC_SCAN;
}

static const qv_file_scan *scan_of(const qv_exec_plan *p) { return p->payload; }

qv_file_format qv__file_scan_format(const qv_exec_plan *p) { return scan_of(p)->format->format; }
qv_schema *qv__file_scan_file_schema(const qv_exec_plan *p) { return scan_of(p)->file_schema; }
int32_t qv__file_scan_num_projection(const qv_exec_plan *p) { return scan_of(p)->n_projection; }
const int32_t *qv__file_scan_projection(const qv_exec_plan *p) { return scan_of(p)->projection; }
qv_expr *qv__file_scan_predicate(const qv_exec_plan *p) { return scan_of(p)->predicate; }
const char *qv__file_scan_extension(const qv_exec_plan *p) { return scan_of(p)->extension; }
int64_t qv__file_scan_batch_size(const qv_exec_plan *p) { return scan_of(p)->batch_size; }

int32_t qv__file_scan_num_pieces(const qv_exec_plan *p, int32_t partition) {
  const qv_file_groups *g = &scan_of(p)->groups;
  return g->offsets[partition + 1] - g->offsets[partition];
}

void qv__file_scan_piece(const qv_exec_plan *p, int32_t partition, int32_t i, const char **path, int64_t *begin,
                         int64_t *end) {
  const qv_file_groups *g = &scan_of(p)->groups;
  const qv_file_piece *piece = &g->pieces[g->offsets[partition] + i];
  *path = g->files.files[piece->file].path;
  *begin = piece->begin;
  *end = piece->end;
}

int64_t qv__file_scan_piece_file_size(const qv_exec_plan *p, int32_t partition, int32_t i) {
  const qv_file_groups *g = &scan_of(p)->groups;
  return g->files.files[g->pieces[g->offsets[partition] + i].file].size;
}

const qv_parquet_read_options *qv__parquet_scan_options(const qv_exec_plan *p) {
  return p->kind == QV_PLAN_PARQUET_SCAN ? scan_of(p)->options : NULL;
}
const qv_csv_read_options *qv__csv_scan_options(const qv_exec_plan *p) {
  return p->kind == QV_PLAN_CSV_SCAN ? scan_of(p)->options : NULL;
}
const qv_ipc_read_options *qv__ipc_scan_options(const qv_exec_plan *p) {
  return p->kind == QV_PLAN_IPC_SCAN ? scan_of(p)->options : NULL;
}

void qv__file_scan_metrics(const qv_exec_plan *p, qv_file_scan_metrics *out) {
  qv_file_scan *s = p->payload;
  out->files_opened = atomic_load(&s->files_opened);
  out->row_groups_matched = atomic_load(&s->row_groups_matched);
  out->row_groups_pruned = atomic_load(&s->row_groups_pruned);
  out->batches_read = atomic_load(&s->batches_read);
  out->rows_read = atomic_load(&s->rows_read);
  out->rows_output = atomic_load(&s->rows_output);
}

void qv__file_scan_metrics_reset(qv_exec_plan *p) {
  qv_file_scan *s = p->payload;
  atomic_store(&s->files_opened, 0);
  atomic_store(&s->row_groups_matched, 0);
  atomic_store(&s->row_groups_pruned, 0);
  atomic_store(&s->batches_read, 0);
  atomic_store(&s->rows_read, 0);
  atomic_store(&s->rows_output, 0);
}
