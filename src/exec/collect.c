/* Collecting a plan's output: every partition runs on its own thread and
 * keeps its batches; the first failure stops the other partitions. */
#include <stdlib.h>
#include <string.h>

#include "exec/exec_internal.h"

typedef struct partition_run {
  qv_exec_plan *plan;
  qv_task_context *ctx;
  int32_t partition;
  atomic_bool *failed;
  qv_record_batch **batches;
  int64_t n;
  int64_t cap;
  qv_status status;
  qv_error err;
  qv_thread thread;
} partition_run;

static qv_status keep(partition_run *r, qv_record_batch *b) {
  if (r->n == r->cap) {
    int64_t cap = r->cap ? r->cap * 2 : 16;
    qv_record_batch **v = realloc(r->batches, (size_t)cap * sizeof *v);
    if (!v) {
      qv_record_batch_unref(b);
      return qv_error_set(&r->err, QV_NOMEM, "collect: out of memory");
    }
    r->batches = v;
    r->cap = cap;
  }
  r->batches[r->n++] = b;
  return QV_OK;
}

static void *run_partition(void *arg) {
  partition_run *r = arg;
  qv_batch_stream *s = NULL;
  r->status = qv_exec_plan_execute(r->plan, r->partition, r->ctx, &s, &r->err);
  while (r->status == QV_OK) {
    if (atomic_load(r->failed)) break; /* another partition failed: stop early */
    qv_record_batch *b = NULL;
    r->status = qv_batch_stream_next(s, &b, &r->err);
    if (r->status != QV_OK || !b) break;
    r->status = keep(r, b);
  }
  qv_batch_stream_destroy(s);
  if (r->status != QV_OK) atomic_store(r->failed, true);
  return NULL;
}

qv_status qv_exec_plan_collect(qv_exec_plan *p, qv_task_context *ctx, qv_record_batch ***out, int64_t *n_out,
                               qv_error *err) {
  *out = NULL;
  *n_out = 0;
  int32_t n = p->n_partitions;
  partition_run *runs = calloc((size_t)n, sizeof *runs);
  if (!runs) return qv_error_set(err, QV_NOMEM, "collect: out of memory");
  atomic_bool failed;
  atomic_init(&failed, false);
  qv_status st = QV_OK;
  for (int32_t i = 0; i < n; i++) {
    runs[i] = (partition_run){.plan = p, .ctx = ctx, .partition = i, .failed = &failed};
    /* The last partition runs on the calling thread. */
    if (i == n - 1) run_partition(&runs[i]);
    else if ((st = qv__thread_start(&runs[i].thread, run_partition, &runs[i], err)) != QV_OK) {
      atomic_store(&failed, true);
      break;
    }
  }
  for (int32_t i = 0; i < n; i++) qv__thread_join(&runs[i].thread);
  /* Report the first real error (partitions stopped because of it report
   * nothing or a cancellation). */
  for (int32_t i = 0; st == QV_OK && i < n; i++)
    if (runs[i].status != QV_OK && runs[i].status != QV_CANCELLED) {
      st = runs[i].status;
      if (err) *err = runs[i].err;
    }
  for (int32_t i = 0; st == QV_OK && i < n; i++)
    if (runs[i].status != QV_OK) {
      st = runs[i].status;
      if (err) *err = runs[i].err;
    }
  int64_t total = 0;
  for (int32_t i = 0; i < n; i++) total += runs[i].n;
  qv_record_batch **all = NULL;
  if (st == QV_OK) {
    all = malloc((size_t)(total ? total : 1) * sizeof *all);
    if (!all) st = qv_error_set(err, QV_NOMEM, "collect: out of memory");
  }
  int64_t k = 0;
  for (int32_t i = 0; i < n; i++) {
    for (int64_t j = 0; j < runs[i].n; j++) {
      if (st == QV_OK) all[k++] = runs[i].batches[j];
      else qv_record_batch_unref(runs[i].batches[j]);
    }
    free(runs[i].batches);
  }
  free(runs);
  if (st == QV_OK) {
    *out = all;
    *n_out = total;
  }
  return st;
}
