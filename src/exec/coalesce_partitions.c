/* CoalescePartitionsExec: merges every input partition into one output
 * partition. All inputs are read concurrently, each on its own thread,
 * through a bounded queue, so a slow input never stalls the others and memory
 * stays bounded. Destroying the stream stops the producers. */
#include <stdlib.h>

#include "arrow/internal.h"
#include "exec/exec_internal.h"
#include "exec/producers.h"

/* Batches buffered per input partition: enough to keep producers busy. */
#define QUEUE_BATCHES_PER_INPUT 2

typedef struct coalesce_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  qv_producer_set *producers;
} coalesce_stream;

static qv_status coalesce_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  coalesce_stream *cs = (coalesce_stream *)s;
  return qv__batch_queue_pop(qv__producers_queue(cs->producers), out, err);
}

static void coalesce_destroy(qv_batch_stream *s) {
  coalesce_stream *cs = (coalesce_stream *)s;
  qv__producers_stop(cs->producers);
  qv_exec_plan_unref(cs->plan);
  qv_task_context_unref(cs->ctx);
  qv__stream_free(s);
}

static const qv_batch_stream_vtable coalesce_vtable = {coalesce_next, coalesce_destroy};

static qv_status coalesce_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                                  qv_error *err) {
  qv_exec_plan *input = self->children[0];
  if (input->n_partitions == 1) return qv_exec_plan_execute(input, 0, ctx, out, err);
  coalesce_stream *cs = qv__stream_alloc(sizeof *cs, &coalesce_vtable, self->schema);
  if (!cs) return qv_error_set(err, QV_NOMEM, "CoalescePartitionsExec: out of memory");
  cs->plan = qv_exec_plan_ref(self);
  cs->ctx = qv_task_context_ref(ctx);
  qv_status st = qv__producers_start(input, cs->ctx, (int64_t)input->n_partitions * QUEUE_BATCHES_PER_INPUT,
                                     &cs->producers, err);
  if (st != QV_OK) {
    coalesce_destroy(&cs->base);
    return st;
  }
  *out = &cs->base;
  return QV_OK;
}

static const qv_plan_ops coalesce_ops = {"CoalescePartitionsExec", coalesce_execute, NULL, NULL};

qv_status qv_plan_coalesce_partitions(qv_exec_plan *input, qv_exec_plan **out, qv_error *err) {
  return qv__plan_create(QV_PLAN_COALESCE_PARTITIONS, &coalesce_ops, input->schema, 1, &input, 1, NULL, out, err);
}
