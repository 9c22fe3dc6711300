/* LimitExec: skips `offset` rows and passes at most `fetch`, slicing batches
 * without copying. Once the limit is reached the input stream is destroyed at
 * once, which stops its producers (a satisfied LIMIT cancels its input). */
#include <stdlib.h>

#include "arrow/internal.h"
#include "exec/exec_internal.h"

typedef struct limit_payload {
  int64_t offset;
  int64_t fetch; /* -1: no limit */
  bool global;
} limit_payload;

typedef struct limit_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_batch_stream *input;
  int64_t to_skip;
  int64_t remaining; /* -1: unlimited */
} limit_stream;

static qv_status limit_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  limit_stream *ls = (limit_stream *)s;
  while (ls->input && ls->remaining != 0) {
    qv_record_batch *in = NULL;
    QV_RETURN_NOT_OK(qv_batch_stream_next(ls->input, &in, err));
    if (!in) break;
    int64_t start = ls->to_skip < in->num_rows ? ls->to_skip : in->num_rows;
    ls->to_skip -= start;
    int64_t take = in->num_rows - start;
    if (ls->remaining >= 0 && take > ls->remaining) take = ls->remaining;
    if (take == 0) {
      qv_record_batch_unref(in);
      continue;
    }
    qv_status st = QV_OK;
    if (start == 0 && take == in->num_rows) *out = qv_record_batch_ref(in);
    else st = qv_record_batch_slice(in, start, take, out, err);
    qv_record_batch_unref(in);
    if (st != QV_OK) return st;
    if (ls->remaining > 0) ls->remaining -= take;
    break;
  }
  if (ls->remaining == 0 && ls->input) {
    qv_batch_stream_destroy(ls->input);
    ls->input = NULL;
  }
  return QV_OK;
}

static void limit_destroy(qv_batch_stream *s) {
  limit_stream *ls = (limit_stream *)s;
  qv_batch_stream_destroy(ls->input);
  qv_exec_plan_unref(ls->plan);
  qv__stream_free(s);
}

static const qv_batch_stream_vtable limit_vtable = {limit_next, limit_destroy};

static qv_status limit_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                               qv_error *err) {
  const limit_payload *p = self->payload;
  limit_stream *ls = qv__stream_alloc(sizeof *ls, &limit_vtable, self->schema);
  if (!ls) return qv_error_set(err, QV_NOMEM, "LimitExec: out of memory");
  ls->plan = qv_exec_plan_ref(self);
  ls->to_skip = p->offset;
  ls->remaining = p->fetch;
  if (p->fetch != 0) {
    qv_status st = qv_exec_plan_execute(self->children[0], partition, ctx, &ls->input, err);
    if (st != QV_OK) {
      limit_destroy(&ls->base);
      return st;
    }
  }
  *out = &ls->base;
  return QV_OK;
}

static qv_status limit_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  const limit_payload *p = self->payload;
  QV_RETURN_NOT_OK(qv__appendf(out, err, "%s, skip=%lld", p->global ? "global" : "local", (long long)p->offset));
  if (p->fetch >= 0) QV_RETURN_NOT_OK(qv__appendf(out, err, ", fetch=%lld", (long long)p->fetch));
  return QV_OK;
}

static const qv_plan_ops limit_ops = {"LimitExec", limit_execute, limit_describe, free};

qv_status qv_plan_limit(qv_exec_plan *input, int64_t offset, int64_t fetch, bool global, qv_exec_plan **out,
                        qv_error *err) {
  *out = NULL;
  if (offset < 0 || fetch < -1) return qv_error_set(err, QV_INVALID, "LimitExec: negative offset or fetch");
  if (global && input->n_partitions != 1)
    return qv_error_set(err, QV_INVALID, "LimitExec: a global limit needs one input partition, input has %d",
                        input->n_partitions);
  limit_payload *p = malloc(sizeof *p);
  if (!p) return qv_error_set(err, QV_NOMEM, "LimitExec: out of memory");
  *p = (limit_payload){offset, fetch, global};
  return qv__plan_create(QV_PLAN_LIMIT, &limit_ops, input->schema, input->n_partitions, &input, 1, p, out, err);
}
