/* Internal layout of plan nodes and the runtime pieces operators share:
 * bounded batch queues, producer threads, shared per-execution state, and
 * helpers to implement streams. */
#ifndef QV_EXEC_INTERNAL_H
#define QV_EXEC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "quiver/exec.h"
#include "quiver/plan.h"

typedef enum qv_plan_kind {
  QV_PLAN_CUSTOM = 0,
  QV_PLAN_MEMORY_SCAN,
  QV_PLAN_VALUES,
  QV_PLAN_EMPTY,
  QV_PLAN_PROJECTION,
  QV_PLAN_FILTER,
  QV_PLAN_LIMIT,
  QV_PLAN_COALESCE_BATCHES,
  QV_PLAN_COALESCE_PARTITIONS,
  QV_PLAN_UNION,
  QV_PLAN_REPARTITION,
  QV_PLAN_HASH_AGGREGATE,
  QV_PLAN_HASH_JOIN,
  QV_PLAN_NESTED_LOOP_JOIN,
  QV_PLAN_SORT,
  QV_PLAN_SORT_PRESERVING_MERGE,
  QV_PLAN_PARQUET_SCAN,
  QV_PLAN_CSV_SCAN,
  QV_PLAN_IPC_SCAN,
  QV_PLAN_KIND_COUNT
} qv_plan_kind;

/* What each built-in operator implements. */
typedef struct qv_plan_ops {
  const char *name; /* "FilterExec" */
  qv_status (*execute)(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                       qv_error *err);
  /* Appends the operator's EXPLAIN details (after "Name: "). May be NULL. */
  qv_status (*describe)(const qv_exec_plan *self, qv_bytes *out, qv_error *err);
  void (*destroy_payload)(void *payload);
} qv_plan_ops;

struct qv_exec_plan {
  atomic_int_fast64_t refcount;
  qv_plan_kind kind;
  const qv_plan_ops *ops;
  qv_schema *schema;
  int32_t n_partitions;
  int32_t n_children;
  qv_exec_plan **children;
  void *payload;                  /* operator-specific, owned */
  qv_exec_plan_vtable custom;     /* QV_PLAN_CUSTOM only */
};

/* Creates a node; takes references to schema and children and ownership of
 * payload (destroyed with ops->destroy_payload, also on failure). */
qv_status qv__plan_create(qv_plan_kind kind, const qv_plan_ops *ops, qv_schema *schema, int32_t n_partitions,
                          qv_exec_plan *const *children, int32_t n_children, void *payload, qv_exec_plan **out,
                          qv_error *err) QV_MUST_USE;

/* ---- task context internals -------------------------------------------------- */

/* State shared by all partitions of one operator within one execution (the
 * producers of an exchange, the build side of a CollectLeft join). The first
 * caller for a key creates it with create(arg); later callers get the same
 * object. It is destroyed with the context. */
typedef struct qv_shared_state {
  void (*destroy)(struct qv_shared_state *s);
} qv_shared_state;

qv_status qv__task_context_shared(qv_task_context *ctx, const void *key,
                                  qv_status (*create)(void *arg, qv_shared_state **out, qv_error *err), void *arg,
                                  qv_shared_state **out, qv_error *err) QV_MUST_USE;

/* ---- bounded queues -------------------------------------------------------- */

/* A bounded multi-producer single-consumer queue of record batches. Producers
 * block while it is full, the consumer while it is empty; no busy-waiting.
 * Closing by the consumer (cancel) wakes and stops producers; each producer
 * calls _producer_done when it ends, and the consumer sees the end once every
 * producer is done. The first error any producer reports ends the stream. */
typedef struct qv_batch_queue qv_batch_queue;

qv_status qv__batch_queue_create(int64_t capacity, int32_t n_producers, qv_batch_queue **out,
                                 qv_error *err) QV_MUST_USE;
/* Takes one reference to b. Returns QV_CANCELLED (and drops b) once the
 * consumer has cancelled. */
qv_status qv__batch_queue_push(qv_batch_queue *q, qv_record_batch *b, qv_error *err) QV_MUST_USE;
/* A producer finished: with QV_OK normally, or with its error (copied). */
void qv__batch_queue_producer_done(qv_batch_queue *q, qv_status status, const qv_error *err);
/* Pops the next batch or NULL at the end; returns a producer's error. */
qv_status qv__batch_queue_pop(qv_batch_queue *q, qv_record_batch **out, qv_error *err) QV_MUST_USE;
/* The consumer stops: pending batches are dropped, producers unblock. */
void qv__batch_queue_cancel(qv_batch_queue *q);
void qv__batch_queue_destroy(qv_batch_queue *q);

/* ---- threads ---------------------------------------------------------------- */

/* Starts fn(arg) on a new detached-joinable thread; *out is joined by
 * qv__thread_join. */
typedef struct qv_thread {
  pthread_t id;
  bool started;
} qv_thread;
qv_status qv__thread_start(qv_thread *t, void *(*fn)(void *), void *arg, qv_error *err) QV_MUST_USE;
void qv__thread_join(qv_thread *t);

/* Appends printf-formatted text to out (EXPLAIN details). */
qv_status qv__appendf(qv_bytes *out, qv_error *err, const char *fmt, ...) QV_PRINTF(3, 4) QV_MUST_USE;

/* Turns a QV_NOMEM from the query pool into the error a memory limit should
 * give: QV_RESOURCE_EXHAUSTED naming the operator ("FilterExec: memory limit
 * of N bytes exceeded: ..."). Other statuses, and pools without a limit, are
 * returned unchanged. */
qv_status qv__exec_memory_error(qv_task_context *ctx, const char *op, qv_status st, qv_error *err);

/* ---- stream helpers ----------------------------------------------------------------- */

/* Allocates a stream struct of `size` bytes (the qv_batch_stream head first),
 * zeroed, with vtable and a reference to schema. */
void *qv__stream_alloc(size_t size, const qv_batch_stream_vtable *vtable, qv_schema *schema);
/* Frees the head's schema reference and the struct; for vtable->destroy. */
void qv__stream_free(qv_batch_stream *s);

#endif
