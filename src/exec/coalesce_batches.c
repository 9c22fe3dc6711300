/* CoalesceBatchesExec: concatenates small batches (after selective filters or
 * joins) until they reach target_rows, so that downstream kernels work on
 * batches of a useful size. Batches already large enough pass through
 * untouched. */
#include <stdlib.h>

#include "arrow/internal.h"
#include "exec/exec_internal.h"
#include "quiver/compute.h"

typedef struct coalesce_batches_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  qv_batch_stream *input;
  qv_record_batch **pending;
  int32_t n_pending;
  int32_t cap_pending;
  int64_t pending_rows;
  bool input_done;
} coalesce_batches_stream;

static qv_status flush(coalesce_batches_stream *cs, qv_record_batch **out, qv_error *err) {
  qv_status st = QV_OK;
  if (cs->n_pending == 1) *out = qv_record_batch_ref(cs->pending[0]);
  else st = qv_record_batch_concat(qv_task_context_allocator(cs->ctx), cs->base.schema, cs->pending, cs->n_pending,
                                   out, err);
  for (int32_t i = 0; i < cs->n_pending; i++) qv_record_batch_unref(cs->pending[i]);
  cs->n_pending = 0;
  cs->pending_rows = 0;
  return st;
}

static qv_status coalesce_batches_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  coalesce_batches_stream *cs = (coalesce_batches_stream *)s;
  const int64_t target = *(const int64_t *)cs->plan->payload;
  while (!cs->input_done) {
    qv_record_batch *in = NULL;
    QV_RETURN_NOT_OK(qv_batch_stream_next(cs->input, &in, err));
    if (!in) {
      cs->input_done = true;
      break;
    }
    if (in->num_rows == 0) {
      qv_record_batch_unref(in);
      continue;
    }
    if (cs->n_pending == 0 && in->num_rows >= target) {
      *out = in;
      return QV_OK;
    }
    if (cs->n_pending == cs->cap_pending) {
      int32_t cap = cs->cap_pending ? cs->cap_pending * 2 : 16;
      qv_record_batch **p = realloc(cs->pending, (size_t)cap * sizeof *p);
      if (!p) {
        qv_record_batch_unref(in);
        return qv_error_set(err, QV_NOMEM, "CoalesceBatchesExec: out of memory");
      }
      cs->pending = p;
      cs->cap_pending = cap;
    }
    cs->pending[cs->n_pending++] = in;
    cs->pending_rows += in->num_rows;
    if (cs->pending_rows >= target) return flush(cs, out, err);
  }
  return cs->n_pending ? flush(cs, out, err) : QV_OK;
}

static void coalesce_batches_destroy(qv_batch_stream *s) {
  coalesce_batches_stream *cs = (coalesce_batches_stream *)s;
  for (int32_t i = 0; i < cs->n_pending; i++) qv_record_batch_unref(cs->pending[i]);
  free(cs->pending);
  qv_batch_stream_destroy(cs->input);
  qv_exec_plan_unref(cs->plan);
  qv_task_context_unref(cs->ctx);
  qv__stream_free(s);
}

static const qv_batch_stream_vtable coalesce_batches_vtable = {coalesce_batches_next, coalesce_batches_destroy};

static qv_status coalesce_batches_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx,
                                          qv_batch_stream **out, qv_error *err) {
  coalesce_batches_stream *cs = qv__stream_alloc(sizeof *cs, &coalesce_batches_vtable, self->schema);
  if (!cs) return qv_error_set(err, QV_NOMEM, "CoalesceBatchesExec: out of memory");
  cs->plan = qv_exec_plan_ref(self);
  cs->ctx = qv_task_context_ref(ctx);
  qv_status st = qv_exec_plan_execute(self->children[0], partition, ctx, &cs->input, err);
  if (st != QV_OK) {
    coalesce_batches_destroy(&cs->base);
    return st;
  }
  *out = &cs->base;
  return QV_OK;
}

static qv_status coalesce_batches_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  return qv__appendf(out, err, "target_batch_size=%lld", (long long)*(const int64_t *)self->payload);
}

static const qv_plan_ops coalesce_batches_ops = {"CoalesceBatchesExec", coalesce_batches_execute,
                                                 coalesce_batches_describe, free};

qv_status qv_plan_coalesce_batches(qv_exec_plan *input, int64_t target_rows, qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (target_rows < 1) return qv_error_set(err, QV_INVALID, "CoalesceBatchesExec: target %lld < 1", (long long)target_rows);
  int64_t *p = malloc(sizeof *p);
  if (!p) return qv_error_set(err, QV_NOMEM, "CoalesceBatchesExec: out of memory");
  *p = target_rows;
  return qv__plan_create(QV_PLAN_COALESCE_BATCHES, &coalesce_batches_ops, input->schema, input->n_partitions, &input,
                         1, p, out, err);
}
