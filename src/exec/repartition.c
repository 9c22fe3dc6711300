/* RepartitionExec: moves rows from N input partitions to M output partitions,
 * by hash of key expressions (row r goes to qv_hash_partition(hash(keys of
 * r), M), the engine's one partitioning function) or round robin (whole
 * batches dealt in turn).
 *
 * One producer thread per input partition pushes into M bounded queues, one
 * per output partition, so memory stays bounded and a slow consumer slows the
 * producers. This requires every output partition to be consumed
 * concurrently, which is how the runtime drives partitions (one thread each).
 * The producers and queues of one execution are shared by its M output
 * streams through the task context; an output whose consumer goes away early
 * (a satisfied LIMIT) is skipped from then on, and when every output stream is
 * closed the producers are stopped and joined. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/exec_internal.h"
#include "quiver/compute.h"

#define QUEUE_BATCHES 4

typedef struct repartition_payload {
  int32_t n_keys; /* 0: round robin */
  qv_expr **keys;
} repartition_payload;

static void payload_destroy(void *p) {
  repartition_payload *rp = p;
  for (int32_t i = 0; i < rp->n_keys; i++) qv_expr_unref(rp->keys[i]);
  free(rp->keys);
  free(rp);
}

typedef struct exchange exchange;

typedef struct producer {
  exchange *x;
  int32_t partition;
  qv_thread thread;
} producer;

struct exchange {
  qv_shared_state base;
  qv_exec_plan *plan;
  qv_task_context *ctx; /* borrowed: the exchange lives inside it */
  int32_t n_in, n_out;
  qv_batch_queue **queues;
  producer *producers;
  pthread_mutex_t lock;
  bool started;
  bool stopped;
  bool *opened;
  int32_t n_closed;
};

static void exchange_stop(exchange *x) {
  if (x->stopped || !x->started) return;
  x->stopped = true;
  for (int32_t j = 0; j < x->n_out; j++) qv__batch_queue_cancel(x->queues[j]);
  for (int32_t i = 0; i < x->n_in; i++) qv__thread_join(&x->producers[i].thread);
}

static void exchange_destroy(qv_shared_state *s) {
  exchange *x = (exchange *)s;
  exchange_stop(x);
  for (int32_t j = 0; x->queues && j < x->n_out; j++) qv__batch_queue_destroy(x->queues[j]);
  free(x->queues);
  free(x->producers);
  free(x->opened);
  pthread_mutex_destroy(&x->lock);
  free(x);
}

/* Splits batch b by the hash of the keys into per-output batches and pushes
 * them; outputs whose consumer is gone are skipped. */
static qv_status push_hashed(exchange *x, qv_record_batch *b, bool *alive, qv_error *err) {
  const repartition_payload *p = x->plan->payload;
  qv_allocator *alloc = qv_task_context_allocator(x->ctx);
  int64_t n = b->num_rows;
  qv_array **keys = calloc((size_t)p->n_keys, sizeof *keys);
  uint64_t *hashes = malloc((size_t)(n ? n : 1) * sizeof *hashes);
  uint32_t *order = malloc((size_t)(n ? n : 1) * sizeof *order);
  int64_t *counts = calloc((size_t)x->n_out + 1, sizeof *counts);
  qv_status st = keys && hashes && order && counts ? QV_OK : qv_error_set(err, QV_NOMEM, "RepartitionExec: out of memory");
  for (int32_t i = 0; st == QV_OK && i < p->n_keys; i++) st = qv_expr_evaluate(p->keys[i], b, alloc, &keys[i], err);
  if (st == QV_OK) st = qv_hash_columns((const qv_array *const *)keys, p->n_keys, n, hashes, err);
  if (st == QV_OK) {
    /* Counting sort of row indices by target partition: one pass to count,
     * one to place, so each output's rows are contiguous in `order`. */
    for (int64_t r = 0; r < n; r++) {
      int32_t part = qv_hash_partition(hashes[r], x->n_out);
      hashes[r] = (uint64_t)part;
      counts[part + 1]++;
    }
    for (int32_t j = 0; j < x->n_out; j++) counts[j + 1] += counts[j];
    int64_t *fill = malloc((size_t)x->n_out * sizeof *fill);
    if (!fill) st = qv_error_set(err, QV_NOMEM, "RepartitionExec: out of memory");
    else {
      memcpy(fill, counts, (size_t)x->n_out * sizeof *fill);
      for (int64_t r = 0; r < n; r++) order[fill[hashes[r]]++] = (uint32_t)r;
      free(fill);
    }
  }
  for (int32_t j = 0; st == QV_OK && j < x->n_out; j++) {
    int64_t start = counts[j], len = counts[j + 1] - counts[j];
    if (len == 0 || !alive[j]) continue;
    qv_record_batch *part = NULL;
    if (len == n) part = qv_record_batch_ref(b);
    else st = qv_record_batch_take(alloc, b, order + start, len, &part, err);
    if (st != QV_OK) break;
    qv_error push_err;
    if (qv__batch_queue_push(x->queues[j], part, &push_err) != QV_OK) alive[j] = false;
  }
  for (int32_t i = 0; keys && i < p->n_keys; i++) qv_array_unref(keys[i]);
  free(keys);
  free(hashes);
  free(order);
  free(counts);
  return st;
}

static void *produce(void *arg) {
  producer *pr = arg;
  exchange *x = pr->x;
  const repartition_payload *p = x->plan->payload;
  qv_error err;
  qv_error_init(&err);
  bool *alive = malloc((size_t)x->n_out * sizeof *alive);
  qv_batch_stream *in = NULL;
  qv_status st = alive ? qv_exec_plan_execute(x->plan->children[0], pr->partition, x->ctx, &in, &err)
                       : qv_error_set(&err, QV_NOMEM, "RepartitionExec: out of memory");
  if (alive)
    for (int32_t j = 0; j < x->n_out; j++) alive[j] = true;
  int32_t next_out = pr->partition % x->n_out; /* round robin start differs per producer */
  while (st == QV_OK) {
    if (qv_task_context_is_cancelled(x->ctx)) {
      st = qv_error_set(&err, QV_CANCELLED, "query cancelled");
      break;
    }
    bool any_alive = false;
    for (int32_t j = 0; j < x->n_out; j++) any_alive |= alive[j];
    if (!any_alive) break;
    qv_record_batch *b = NULL;
    st = qv_batch_stream_next(in, &b, &err);
    if (st != QV_OK || !b) break;
    if (p->n_keys == 0) {
      while (!alive[next_out]) next_out = (next_out + 1) % x->n_out;
      qv_error push_err;
      if (qv__batch_queue_push(x->queues[next_out], b, &push_err) != QV_OK) alive[next_out] = false;
      next_out = (next_out + 1) % x->n_out;
    } else {
      st = qv__exec_memory_error(x->ctx, "RepartitionExec", push_hashed(x, b, alive, &err), &err);
      qv_record_batch_unref(b);
    }
  }
  qv_batch_stream_destroy(in);
  for (int32_t j = 0; j < x->n_out; j++) qv__batch_queue_producer_done(x->queues[j], st, &err);
  free(alive);
  return NULL;
}

typedef struct create_args {
  qv_exec_plan *plan;
  qv_task_context *ctx;
} create_args;

static qv_status exchange_create(void *arg, qv_shared_state **out, qv_error *err) {
  create_args *a = arg;
  exchange *x = calloc(1, sizeof *x);
  if (!x) return qv_error_set(err, QV_NOMEM, "RepartitionExec: out of memory");
  x->base.destroy = exchange_destroy;
  x->plan = a->plan;
  x->ctx = a->ctx;
  x->n_in = a->plan->children[0]->n_partitions;
  x->n_out = a->plan->n_partitions;
  pthread_mutex_init(&x->lock, NULL);
  x->queues = calloc((size_t)x->n_out, sizeof *x->queues);
  x->producers = calloc((size_t)x->n_in, sizeof *x->producers);
  x->opened = calloc((size_t)x->n_out, sizeof *x->opened);
  qv_status st = x->queues && x->producers && x->opened ? QV_OK
                                                        : qv_error_set(err, QV_NOMEM, "RepartitionExec: out of memory");
  for (int32_t j = 0; st == QV_OK && j < x->n_out; j++) st = qv__batch_queue_create(QUEUE_BATCHES, x->n_in, &x->queues[j], err);
  if (st != QV_OK) {
    exchange_destroy(&x->base);
    return st;
  }
  *out = &x->base;
  return QV_OK;
}

/* Starts the producers on the first output's execution. */
static qv_status exchange_start(exchange *x, qv_error *err) {
  if (x->started) return QV_OK;
  x->started = true;
  for (int32_t i = 0; i < x->n_in; i++) {
    x->producers[i] = (producer){.x = x, .partition = i};
    qv_status st = qv__thread_start(&x->producers[i].thread, produce, &x->producers[i], err);
    if (st != QV_OK) {
      for (int32_t k = i; k < x->n_in; k++)
        for (int32_t j = 0; j < x->n_out; j++) qv__batch_queue_producer_done(x->queues[j], st, err);
      return st;
    }
  }
  return QV_OK;
}

typedef struct repartition_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  exchange *x;
  int32_t partition;
} repartition_stream;

static qv_status repartition_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  repartition_stream *rs = (repartition_stream *)s;
  return qv__batch_queue_pop(rs->x->queues[rs->partition], out, err);
}

static void repartition_destroy(qv_batch_stream *s) {
  repartition_stream *rs = (repartition_stream *)s;
  if (rs->x) {
    exchange *x = rs->x;
    qv__batch_queue_cancel(x->queues[rs->partition]);
    pthread_mutex_lock(&x->lock);
    bool last = ++x->n_closed == x->n_out;
    if (last) exchange_stop(x);
    pthread_mutex_unlock(&x->lock);
  }
  qv_exec_plan_unref(rs->plan);
  qv_task_context_unref(rs->ctx);
  qv__stream_free(s);
}

static const qv_batch_stream_vtable repartition_vtable = {repartition_next, repartition_destroy};

static qv_status repartition_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx,
                                     qv_batch_stream **out, qv_error *err) {
  create_args args = {self, ctx};
  qv_shared_state *shared;
  QV_RETURN_NOT_OK(qv__task_context_shared(ctx, self, exchange_create, &args, &shared, err));
  exchange *x = (exchange *)shared;
  pthread_mutex_lock(&x->lock);
  qv_status st = QV_OK;
  if (x->opened[partition])
    st = qv_error_set(err, QV_INVALID, "RepartitionExec: partition %d was already executed in this context", partition);
  else if (x->stopped)
    st = qv_error_set(err, QV_CANCELLED, "RepartitionExec: the exchange was already stopped");
  if (st == QV_OK) {
    x->opened[partition] = true;
    st = exchange_start(x, err);
  }
  pthread_mutex_unlock(&x->lock);
  if (st != QV_OK) return st;
  repartition_stream *rs = qv__stream_alloc(sizeof *rs, &repartition_vtable, self->schema);
  if (!rs) {
    qv__batch_queue_cancel(x->queues[partition]);
    return qv_error_set(err, QV_NOMEM, "RepartitionExec: out of memory");
  }
  rs->plan = qv_exec_plan_ref(self);
  rs->ctx = qv_task_context_ref(ctx);
  rs->x = x;
  rs->partition = partition;
  *out = &rs->base;
  return QV_OK;
}

static qv_status repartition_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  const repartition_payload *p = self->payload;
  if (p->n_keys == 0)
    return qv__appendf(out, err, "partitioning=RoundRobinBatch(%d), input_partitions=%d", self->n_partitions,
                       self->children[0]->n_partitions);
  QV_RETURN_NOT_OK(qv__appendf(out, err, "partitioning=Hash(["));
  for (int32_t i = 0; i < p->n_keys; i++) {
    if (i) QV_RETURN_NOT_OK(qv__appendf(out, err, ", "));
    QV_RETURN_NOT_OK(qv_expr_to_string(p->keys[i], out, err));
  }
  return qv__appendf(out, err, "], %d), input_partitions=%d", self->n_partitions, self->children[0]->n_partitions);
}

static const qv_plan_ops repartition_ops = {"RepartitionExec", repartition_execute, repartition_describe,
                                            payload_destroy};

static qv_status repartition_new(qv_exec_plan *input, qv_expr *const *keys, int32_t n_keys, int32_t n_partitions,
                                 qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (n_partitions < 1) return qv_error_set(err, QV_INVALID, "RepartitionExec: %d partitions", n_partitions);
  repartition_payload *p = calloc(1, sizeof *p);
  if (p && n_keys) p->keys = calloc((size_t)n_keys, sizeof *p->keys);
  if (!p || (n_keys && !p->keys)) {
    free(p);
    return qv_error_set(err, QV_NOMEM, "RepartitionExec: out of memory");
  }
  for (int32_t i = 0; i < n_keys; i++) {
    if (!keys[i]) {
      payload_destroy(p);
      return qv_error_set(err, QV_INVALID, "RepartitionExec: key %d is NULL", i);
    }
    p->keys[i] = qv_expr_ref(keys[i]);
    p->n_keys = i + 1;
  }
  return qv__plan_create(QV_PLAN_REPARTITION, &repartition_ops, input->schema, n_partitions, &input, 1, p, out, err);
}

qv_status qv_plan_repartition_hash(qv_exec_plan *input, qv_expr *const *keys, int32_t n_keys, int32_t n_partitions,
                                   qv_exec_plan **out, qv_error *err) {
  if (n_keys < 1) return qv_error_set(err, QV_INVALID, "RepartitionExec: hash partitioning needs at least one key");
  return repartition_new(input, keys, n_keys, n_partitions, out, err);
}

qv_status qv_plan_repartition_round_robin(qv_exec_plan *input, int32_t n_partitions, qv_exec_plan **out,
                                          qv_error *err) {
  return repartition_new(input, NULL, 0, n_partitions, out, err);
}
