/* The Arrow C Stream Interface: ArrowArrayStream export from a batch iterator
 * (or a fixed list of batches) and import as a pull-based reader.
 *
 * The two sides translate between qv_status + qv_error and the stream's errno
 * codes + get_last_error string. Both sides are sticky after an error: the
 * exported stream answers every later get_next with the same error, and the
 * reader never calls a failed producer again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "quiver/c_data.h"

static int errno_of(qv_status st) {
  switch (st) {
    case QV_OK: return 0;
    case QV_INVALID: case QV_TYPE_ERROR: case QV_OUT_OF_RANGE: return EINVAL;
    case QV_NOMEM: case QV_RESOURCE_EXHAUSTED: return ENOMEM;
    case QV_NOT_IMPLEMENTED: return ENOSYS;
    case QV_CANCELLED: return ECANCELED;
    case QV_NOT_FOUND: return ENOENT;
    default: return EIO;
  }
}

static qv_status status_of(int code) {
  switch (code) {
    case EINVAL: return QV_INVALID;
    case ENOMEM: return QV_NOMEM;
    case ENOSYS: return QV_NOT_IMPLEMENTED;
#if defined(ENOTSUP) && ENOTSUP != ENOSYS
    case ENOTSUP: return QV_NOT_IMPLEMENTED;
#endif
    case ECANCELED: return QV_CANCELLED;
    case ENOENT: return QV_NOT_FOUND;
    default: return QV_IO;
  }
}

/* ---- export ------------------------------------------------------------- */

typedef struct stream_private {
  qv_schema *schema;
  qv_batch_iterator iter;
  bool ended;
  int failed;     /* errno of the error that ended the stream, or 0 */
  qv_error error; /* the last error's message */
} stream_private;

static int stream_fail(stream_private *p, qv_status st) {
  p->error.code = st;
  return errno_of(st);
}

static int stream_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  stream_private *p = s->private_data;
  qv_status st = qv_schema_export(p->schema, out, &p->error);
  return st == QV_OK ? 0 : stream_fail(p, st);
}

/* A batch must match the stream's schema column for column. */
static qv_status check_batch(const qv_schema *schema, const qv_record_batch *b, qv_error *err) {
  if (b->n_columns != schema->n_fields)
    return qv_error_set(err, QV_INVALID, "stream: batch has %d columns, the schema %d fields",
                        (int)b->n_columns, (int)schema->n_fields);
  for (int32_t i = 0; i < b->n_columns; i++) {
    const qv_data_type *want = schema->fields[i]->type, *got = b->columns[i]->type;
    if (want != got && !qv_type_equals(want, got)) {
      char w[128], g[128];
      return qv_error_set(err, QV_INVALID, "stream: column '%s' has type %s, the schema %s",
                          schema->fields[i]->name, qv_type_to_string(got, g, sizeof g),
                          qv_type_to_string(want, w, sizeof w));
    }
  }
  return QV_OK;
}

static int stream_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  stream_private *p = s->private_data;
  if (p->failed) return p->failed;
  memset(out, 0, sizeof *out); /* release == NULL: the end of the stream */
  if (p->ended) return 0;
  qv_record_batch *b = NULL;
  qv_status st = p->iter.next(p->iter.state, &b, &p->error);
  if (st == QV_OK && !b) {
    p->ended = true;
    return 0;
  }
  if (st == QV_OK) st = check_batch(p->schema, b, &p->error);
  if (st == QV_OK) st = qv_record_batch_export(b, out, NULL, &p->error);
  qv_record_batch_unref(b);
  if (st == QV_OK) return 0;
  p->failed = stream_fail(p, st);
  return p->failed;
}

static const char *stream_get_last_error(struct ArrowArrayStream *s) {
  stream_private *p = s->private_data;
  return p->error.message[0] ? p->error.message : NULL;
}

static void stream_release(struct ArrowArrayStream *s) {
  if (!s || !s->release) return;
  stream_private *p = s->private_data;
  if (p->iter.destroy) p->iter.destroy(p->iter.state);
  qv_schema_unref(p->schema);
  free(p);
  s->release = NULL;
  s->private_data = NULL;
}

qv_status qv_array_stream_export(qv_schema *schema, const qv_batch_iterator *iter,
                                 struct ArrowArrayStream *out, qv_error *err) {
  if (!schema || !iter || !iter->next || !out) {
    if (iter && iter->destroy) iter->destroy(iter->state);
    return qv_error_set(err, QV_INVALID, "stream: NULL argument");
  }
  stream_private *p = calloc(1, sizeof *p);
  if (!p) {
    if (iter->destroy) iter->destroy(iter->state);
    return qv_error_set(err, QV_NOMEM, "stream: out of memory exporting a stream");
  }
  p->schema = qv_schema_ref(schema);
  p->iter = *iter;
  memset(out, 0, sizeof *out);
  out->get_schema = stream_get_schema;
  out->get_next = stream_get_next;
  out->get_last_error = stream_get_last_error;
  out->release = stream_release;
  out->private_data = p;
  return QV_OK;
}

typedef struct batch_list {
  qv_record_batch **batches;
  int64_t n;
  int64_t next;
} batch_list;

static qv_status batch_list_next(void *state, qv_record_batch **out, qv_error *err) {
  batch_list *l = state;
  *out = l->next < l->n ? qv_record_batch_ref(l->batches[l->next++]) : NULL;
  return QV_OK;
}

static void batch_list_destroy(void *state) {
  batch_list *l = state;
  for (int64_t i = 0; i < l->n; i++) qv_record_batch_unref(l->batches[i]);
  free(l->batches);
  free(l);
}

qv_status qv_array_stream_export_batches(qv_schema *schema, qv_record_batch *const *batches,
                                         int64_t n_batches, struct ArrowArrayStream *out,
                                         qv_error *err) {
  if (!schema || !out || n_batches < 0 || (n_batches > 0 && !batches))
    return qv_error_set(err, QV_INVALID, "stream: bad arguments");
  batch_list *l = calloc(1, sizeof *l);
  if (l && n_batches > 0) l->batches = calloc((size_t)n_batches, sizeof *l->batches);
  if (!l || (n_batches > 0 && !l->batches)) {
    free(l);
    return qv_error_set(err, QV_NOMEM, "stream: out of memory exporting a stream");
  }
  for (int64_t i = 0; i < n_batches; i++) l->batches[i] = qv_record_batch_ref(batches[i]);
  l->n = n_batches;
  qv_batch_iterator it = {batch_list_next, batch_list_destroy, l};
  return qv_array_stream_export(schema, &it, out, err);
}

/* ---- import ------------------------------------------------------------- */

struct qv_array_stream_reader {
  struct ArrowArrayStream stream;
  qv_schema *schema;
  bool ended;
  qv_error failure; /* code QV_OK until the producer fails */
};

/* Records a producer error (errno `code`) in err, prefixed by what failed. */
static qv_status producer_error(struct ArrowArrayStream *s, int code, const char *what,
                                qv_error *err) {
  const char *msg = s->get_last_error ? s->get_last_error(s) : NULL;
  return qv_error_set(err, status_of(code), "stream: %s failed (%s): %s", what, strerror(code),
                      msg ? msg : "no message");
}

void qv_array_stream_reader_destroy(qv_array_stream_reader *r) {
  if (!r) return;
  if (r->stream.release) r->stream.release(&r->stream);
  qv_schema_unref(r->schema);
  free(r);
}

qv_status qv_array_stream_import(struct ArrowArrayStream *in, qv_array_stream_reader **out,
                                 qv_error *err) {
  *out = NULL;
  if (!in) return qv_error_set(err, QV_INVALID, "stream: NULL ArrowArrayStream");
  if (!in->release) return qv_error_set(err, QV_INVALID, "stream: ArrowArrayStream is released");
  qv_array_stream_reader *r = calloc(1, sizeof *r);
  if (!r) {
    in->release(in);
    in->release = NULL;
    return qv_error_set(err, QV_NOMEM, "stream: out of memory importing a stream");
  }
  r->stream = *in;
  in->release = NULL;
  if (!r->stream.get_schema || !r->stream.get_next) {
    qv_array_stream_reader_destroy(r);
    return qv_error_set(err, QV_INVALID, "stream: missing callbacks");
  }
  struct ArrowSchema cs;
  memset(&cs, 0, sizeof cs);
  int code = r->stream.get_schema(&r->stream, &cs);
  qv_status st;
  if (code != 0) {
    st = producer_error(&r->stream, code, "get_schema", err);
  } else {
    st = qv_schema_import(&cs, &r->schema, err);
  }
  if (st != QV_OK) {
    qv_array_stream_reader_destroy(r);
    return st;
  }
  *out = r;
  return QV_OK;
}

qv_schema *qv_array_stream_reader_schema(const qv_array_stream_reader *r) { return r->schema; }

qv_status qv_array_stream_reader_next(qv_array_stream_reader *r, qv_record_batch **out,
                                      qv_error *err) {
  *out = NULL;
  if (r->failure.code != QV_OK)
    return qv_error_set(err, r->failure.code, "%s", r->failure.message);
  if (r->ended) return QV_OK;
  struct ArrowArray a;
  memset(&a, 0, sizeof a);
  int code = r->stream.get_next(&r->stream, &a);
  if (code != 0) {
    producer_error(&r->stream, code, "get_next", &r->failure);
    if (a.release) a.release(&a); /* a misbehaving producer's partial output */
    return qv_error_set(err, r->failure.code, "%s", r->failure.message);
  }
  if (!a.release) {
    r->ended = true;
    return QV_OK;
  }
  return qv_record_batch_import(&a, r->schema, out, err);
}
