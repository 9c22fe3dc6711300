/* Task contexts: the session, the query's memory pool, cancellation, the task
 * identity, and the registry of state shared by the partitions of one
 * operator within one execution. */
#include <stdlib.h>
#include <string.h>

#include "exec/exec_internal.h"

typedef struct shared_entry {
  const void *key;
  qv_shared_state *state;
  struct shared_entry *next;
} shared_entry;

struct qv_task_context {
  atomic_int_fast64_t refcount;
  qv_session_state *session;
  qv_allocator *pool;
  int32_t task_index;
  int32_t task_count;
  atomic_bool cancelled;
  pthread_mutex_t lock;
  shared_entry *shared;
};

qv_status qv_task_context_create(qv_session_state *session, int32_t task_index, int32_t task_count,
                                 qv_task_context **out, qv_error *err) {
  *out = NULL;
  if (!session) return qv_error_set(err, QV_INVALID, "task context: no session");
  if (task_count < 1 || task_index < 0 || task_index >= task_count)
    return qv_error_set(err, QV_INVALID, "task context: task %d of %d", task_index, task_count);
  qv_task_context *c = calloc(1, sizeof *c);
  if (!c) return qv_error_set(err, QV_NOMEM, "task context: out of memory");
  qv_status st = qv_allocator_create(qv_session_memory_limit(session), &c->pool, err);
  if (st != QV_OK) {
    free(c);
    return st;
  }
  atomic_init(&c->refcount, 1);
  atomic_init(&c->cancelled, false);
  pthread_mutex_init(&c->lock, NULL);
  c->session = qv_session_state_ref(session);
  c->task_index = task_index;
  c->task_count = task_count;
  *out = c;
  return QV_OK;
}

qv_task_context *qv_task_context_ref(qv_task_context *ctx) {
  if (ctx) atomic_fetch_add(&ctx->refcount, 1);
  return ctx;
}

void qv_task_context_unref(qv_task_context *ctx) {
  if (!ctx || atomic_fetch_sub(&ctx->refcount, 1) != 1) return;
  for (shared_entry *e = ctx->shared; e;) {
    shared_entry *next = e->next;
    e->state->destroy(e->state);
    free(e);
    e = next;
  }
  pthread_mutex_destroy(&ctx->lock);
  /* Everything allocated from the pool has been freed by now; the pool's
   * counters say so in tests. */
  qv_allocator_destroy(ctx->pool);
  qv_session_state_unref(ctx->session);
  free(ctx);
}

qv_session_state *qv_task_context_session(const qv_task_context *ctx) { return ctx->session; }
qv_allocator *qv_task_context_allocator(const qv_task_context *ctx) { return ctx->pool; }
int32_t qv_task_context_task_index(const qv_task_context *ctx) { return ctx->task_index; }
int32_t qv_task_context_task_count(const qv_task_context *ctx) { return ctx->task_count; }
void qv_task_context_cancel(qv_task_context *ctx) { atomic_store(&ctx->cancelled, true); }
bool qv_task_context_is_cancelled(const qv_task_context *ctx) {
  return atomic_load(&((qv_task_context *)ctx)->cancelled);
}

qv_status qv__task_context_shared(qv_task_context *ctx, const void *key,
                                  qv_status (*create)(void *arg, qv_shared_state **out, qv_error *err), void *arg,
                                  qv_shared_state **out, qv_error *err) {
  *out = NULL;
  /* Creation happens under the lock so that concurrent partitions wait for a
   * single creation; creators must not call back into this function. */
  pthread_mutex_lock(&ctx->lock);
  qv_status st = QV_OK;
  shared_entry *e = ctx->shared;
  while (e && e->key != key) e = e->next;
  if (!e) {
    e = calloc(1, sizeof *e);
    if (!e) st = qv_error_set(err, QV_NOMEM, "task context: out of memory");
    if (st == QV_OK) st = create(arg, &e->state, err);
    if (st == QV_OK) {
      e->key = key;
      e->next = ctx->shared;
      ctx->shared = e;
    } else {
      free(e);
      e = NULL;
    }
  }
  if (e) *out = e->state;
  pthread_mutex_unlock(&ctx->lock);
  return st;
}

qv_status qv__exec_memory_error(qv_task_context *ctx, const char *op, qv_status st, qv_error *err) {
  int64_t limit = qv_allocator_limit(ctx->pool);
  if (st != QV_NOMEM || limit <= 0) return st;
  if (err) {
    err->code = QV_RESOURCE_EXHAUSTED;
    qv_error_prefix(err, "%s: memory limit of %lld bytes exceeded", op, (long long)limit);
  }
  return QV_RESOURCE_EXHAUSTED;
}
