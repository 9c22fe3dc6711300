/* Producer threads: run one input partition of an exchange on a thread of its
 * own and push its batches into a queue, stopping when the consumer cancels
 * or the query is cancelled. Shared by CoalescePartitionsExec and others that
 * fan partitions in. */
#include <stdlib.h>

#include "exec/exec_internal.h"
#include "exec/producers.h"

typedef struct producer {
  qv_exec_plan *input;
  int32_t partition;
  qv_task_context *ctx;
  qv_batch_queue *queue;
  qv_thread thread;
} producer;

struct qv_producer_set {
  int32_t n;
  producer *items;
  qv_batch_queue *queue;
};

static void *produce(void *arg) {
  producer *p = arg;
  qv_error err;
  qv_error_init(&err);
  qv_batch_stream *s = NULL;
  qv_status st = qv_exec_plan_execute(p->input, p->partition, p->ctx, &s, &err);
  while (st == QV_OK) {
    if (qv_task_context_is_cancelled(p->ctx)) {
      st = qv_error_set(&err, QV_CANCELLED, "query cancelled");
      break;
    }
    qv_record_batch *b = NULL;
    st = qv_batch_stream_next(s, &b, &err);
    if (st != QV_OK || !b) break;
    st = qv__batch_queue_push(p->queue, b, &err);
  }
  /* Free the input (and so stop everything under it) before reporting. */
  qv_batch_stream_destroy(s);
  qv__batch_queue_producer_done(p->queue, st, &err);
  return NULL;
}

qv_status qv__producers_start(qv_exec_plan *input, qv_task_context *ctx, int64_t queue_capacity,
                              qv_producer_set **out, qv_error *err) {
  *out = NULL;
  int32_t n = qv_exec_plan_num_partitions(input);
  qv_producer_set *set = calloc(1, sizeof *set);
  if (set) set->items = calloc((size_t)n, sizeof *set->items);
  if (!set || !set->items) {
    free(set);
    return qv_error_set(err, QV_NOMEM, "exchange: out of memory");
  }
  qv_status st = qv__batch_queue_create(queue_capacity, n, &set->queue, err);
  for (int32_t i = 0; st == QV_OK && i < n; i++) {
    producer *p = &set->items[i];
    *p = (producer){.input = input, .partition = i, .ctx = ctx, .queue = set->queue};
    st = qv__thread_start(&p->thread, produce, p, err);
    if (st != QV_OK) {
      /* The producers that will never start count as done. */
      for (int32_t j = i; j < n; j++) qv__batch_queue_producer_done(set->queue, QV_CANCELLED, NULL);
    }
    set->n = i + 1;
  }
  if (st != QV_OK) {
    qv__producers_stop(set);
    return st;
  }
  *out = set;
  return QV_OK;
}

qv_batch_queue *qv__producers_queue(qv_producer_set *set) { return set->queue; }

void qv__producers_stop(qv_producer_set *set) {
  if (!set) return;
  if (set->queue) qv__batch_queue_cancel(set->queue);
  for (int32_t i = 0; i < set->n; i++) qv__thread_join(&set->items[i].thread);
  qv__batch_queue_destroy(set->queue);
  free(set->items);
  free(set);
}
