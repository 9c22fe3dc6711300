/* CsvScanExec: reads delimited text files through quiver/csv.h.
 *
 * With newlines_in_values = false a file is split into byte ranges, each
 * read by its own reader (a record belongs to the range where it starts,
 * and every reader takes the header from the beginning of the file);
 * otherwise files are read whole. Every reader is given the scan's file
 * schema, by position, except that the columns the scan does not need are
 * declared binary: their fields are still delimited and copied, but never
 * parsed or checked, which is what makes projection cheap for CSV. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/scan_internal.h"
#include "io/file.h"

/* The options with owned copies of their strings. */
typedef struct csv_options {
  qv_csv_read_options opts;
  char *null_string;
} csv_options;

static void csv_options_free(void *p) {
  csv_options *o = p;
  if (!o) return;
  free(o->null_string);
  free(o);
}

/* What prepare settles: the schema handed to every reader. */
typedef struct csv_state {
  qv_schema *reader_schema; /* the file schema with unread columns as binary */
  qv_schema *read_schema;   /* the read columns, as the scan core asks for them */
} csv_state;

static void csv_state_free(void *p) {
  csv_state *c = p;
  if (!c) return;
  qv_schema_unref(c->reader_schema);
  qv_schema_unref(c->read_schema);
  free(c);
}

static bool csv_splittable(const qv_file_scan *s) {
  return qv_csv_splittable(&((const csv_options *)s->options)->opts);
}

static qv_status csv_infer_schema(const qv_file_scan *s, const char *path, qv_schema **out, qv_error *err) {
  qv_csv_read_options opts = ((const csv_options *)s->options)->opts;
  opts.file_name = path;
  qv_buffer *data;
  QV_RETURN_NOT_OK(qv__file_read_all(path, NULL, &data, err));
  qv_status st = qv_csv_infer_schema(data, &opts, out, err);
  qv_buffer_unref(data);
  return st;
}

static qv_status csv_prepare(qv_file_scan *s, qv_error *err) {
  int32_t nf = qv_schema_num_fields(s->file_schema);
  csv_state *c = calloc(1, sizeof *c);
  bool *read = calloc((size_t)(nf ? nf : 1), sizeof *read);
  qv_field **fields = calloc((size_t)(nf ? nf : 1), sizeof *fields);
  qv_status st = QV_OK;
  if (!c || !read || !fields) st = qv_error_set(err, QV_NOMEM, "CsvScanExec: out of memory");
  for (int32_t r = 0; st == QV_OK && r < s->n_read; r++) read[s->read_fields[r]] = true;
  for (int32_t f = 0; st == QV_OK && f < nf; f++) {
    qv_field *orig = qv_schema_field(s->file_schema, f);
    if (read[f]) fields[f] = qv_field_ref(orig);
    else st = qv_field_create(qv_field_name(orig), qv_type_primitive(QV_BINARY), true, NULL, &fields[f], err);
  }
  if (st == QV_OK) st = qv_schema_create(fields, nf, NULL, &c->reader_schema, err);
  for (int32_t f = 0; fields && f < nf; f++) qv_field_unref(fields[f]);
  for (int32_t r = 0; st == QV_OK && r < s->n_read; r++) fields[r] = qv_schema_field(s->file_schema, s->read_fields[r]);
  if (st == QV_OK) st = qv_schema_create(fields, s->n_read, NULL, &c->read_schema, err);
  free(read);
  free(fields);
  if (st != QV_OK) {
    csv_state_free(c);
    return st;
  }
  s->format_state = c;
  return QV_OK;
}

typedef struct csv_piece {
  const qv_file_scan *s;
  const qv_scan_file *file;
  const qv_file_piece *piece;
  qv_allocator *alloc;
  int64_t batch_size;
  qv_buffer *data;
  qv_csv_reader *r;
  int32_t n_read;
  int32_t *cols;
  qv_array **arrays;
} csv_piece;

static void csv_close(void *reader) {
  csv_piece *p = reader;
  qv_csv_reader_destroy(p->r);
  qv_buffer_unref(p->data);
  free(p->cols);
  free(p->arrays);
  free(p);
}

static qv_status csv_open(const qv_file_scan *s, const qv_scan_file *file, const qv_file_piece *piece,
                          qv_allocator *alloc, int64_t batch_size, void **reader, qv_schema **file_schema,
                          qv_error *err) {
  csv_piece *p = calloc(1, sizeof *p);
  if (!p) return qv_error_set(err, QV_NOMEM, "out of memory");
  p->s = s;
  p->file = file;
  p->piece = piece;
  p->alloc = alloc;
  p->batch_size = batch_size;
  qv_status st = qv__file_read_all(file->path, alloc, &p->data, err);
  if (st != QV_OK) {
    csv_close(p);
    return st;
  }
  *reader = p;
  *file_schema = s->file_schema; /* CSV columns are taken by position */
  return QV_OK;
}

static qv_status csv_start(void *reader, const qv_file_scan *s, const int32_t *local_of, const int32_t *local_read,
                           int32_t n_read, qv_error *err) {
  csv_piece *p = reader;
  const csv_state *c = s->format_state;
  qv_csv_read_options opts = ((const csv_options *)s->options)->opts;
  opts.alloc = p->alloc;
  opts.file_name = p->file->path;
  opts.batch_size = p->batch_size;
  p->n_read = n_read;
  p->cols = malloc(sizeof *p->cols * (size_t)(n_read ? n_read : 1));
  p->arrays = malloc(sizeof *p->arrays * (size_t)(n_read ? n_read : 1));
  if (!p->cols || !p->arrays) return qv_error_set(err, QV_NOMEM, "out of memory");
  memcpy(p->cols, local_read, sizeof *p->cols * (size_t)n_read);
  int64_t end = p->piece->end >= p->file->size ? -1 : p->piece->end;
  /* A piece starting past the data's end would be refused; it holds no record. */
  if (p->piece->begin > 0 && p->piece->begin >= qv_buffer_size(p->data)) return QV_OK;
  return qv_csv_reader_create(p->data, p->piece->begin, end, &opts, c->reader_schema, &p->r, err);
}

static qv_status csv_next(void *reader, qv_record_batch **out, qv_error *err) {
  csv_piece *p = reader;
  *out = NULL;
  if (!p->r) return QV_OK;
  qv_record_batch *b = NULL;
  QV_RETURN_NOT_OK(qv_csv_reader_next(p->r, &b, err));
  if (!b) return QV_OK;
  for (int32_t i = 0; i < p->n_read; i++) p->arrays[i] = b->columns[p->cols[i]];
  const csv_state *c = p->s->format_state;
  qv_status st = qv_record_batch_create(c->read_schema, b->num_rows, p->arrays, p->n_read, out, err);
  qv_record_batch_unref(b);
  return st;
}

static const qv_scan_format csv_format = {
    "CsvScanExec", QV_FILE_FORMAT_CSV, QV_PLAN_CSV_SCAN, csv_splittable, csv_infer_schema, csv_prepare,
    csv_open,      csv_start,          csv_next,         csv_close,      NULL,             csv_options_free,
    csv_state_free};

qv_status qv_plan_csv_scan(const qv_file_scan_config *config, const qv_csv_read_options *opts, qv_exec_plan **out,
                           qv_error *err) {
  *out = NULL;
  csv_options *o = calloc(1, sizeof *o);
  if (!o) return qv_error_set(err, QV_NOMEM, "CsvScanExec: out of memory");
  if (opts) o->opts = *opts;
  else qv_csv_read_options_init(&o->opts);
  o->opts.alloc = NULL;
  o->opts.file_name = NULL;
  if (o->opts.null_string && !(o->null_string = strdup(o->opts.null_string))) {
    csv_options_free(o);
    return qv_error_set(err, QV_NOMEM, "CsvScanExec: out of memory");
  }
  o->opts.null_string = o->null_string;
  return qv__file_scan_create(&csv_format, config, o, out, err);
}
