/* Execution: batch streams, task contexts and physical plans.
 *
 * A physical plan is a tree of immutable, reference-counted operators. Each has
 * an output schema, a number of output partitions, and execute(partition,
 * task context), which returns a pull-based stream of record batches for that
 * partition. Partitions are the unit of parallelism: a consumer pulls each
 * partition from its own thread; operators that exchange data between
 * partitions (repartition, coalesce) run their inputs on threads of their own
 * and hand batches over through bounded queues, so memory stays bounded and a
 * slow consumer slows its producers. Destroying a stream cancels everything
 * under it and frees its memory. */
#ifndef QUIVER_EXEC_H
#define QUIVER_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/session.h"
#include "quiver/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- batch streams -------------------------------------------------------- */

typedef struct qv_batch_stream qv_batch_stream;

/* How a stream is implemented (built-in operators and user operators alike). */
typedef struct qv_batch_stream_vtable {
  /* Sets *out to the next batch (caller owns one reference) or to NULL at the
   * end of the stream. After an error, the stream is only destroyed. */
  qv_status (*next)(qv_batch_stream *s, qv_record_batch **out, qv_error *err);
  /* Stops the stream's producers and frees everything it holds. */
  void (*destroy)(qv_batch_stream *s);
} qv_batch_stream_vtable;

/* The common head of every stream; implementations embed it first. */
struct qv_batch_stream {
  const qv_batch_stream_vtable *vtable;
  qv_schema *schema; /* one reference, released by qv_batch_stream_destroy */
};

qv_status qv_batch_stream_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) QV_MUST_USE;
/* s may be NULL. Cancels producers that are still running. */
void qv_batch_stream_destroy(qv_batch_stream *s);
qv_schema *qv_batch_stream_schema(const qv_batch_stream *s); /* borrowed */

/* ---- task context ------------------------------------------------------- */

/* What one execution of a plan shares: the session, a memory pool limited by
 * the session's memory_limit, a cancellation flag, and which task of a
 * distributed stage this is. Thread-safe; reference counted. */
typedef struct qv_task_context qv_task_context;

/* Creates a context for a session (takes a reference). task_index/task_count
 * are 0/1 outside distributed execution. */
qv_status qv_task_context_create(qv_session_state *session, int32_t task_index, int32_t task_count,
                                 qv_task_context **out, qv_error *err) QV_MUST_USE;
qv_task_context *qv_task_context_ref(qv_task_context *ctx);
void qv_task_context_unref(qv_task_context *ctx);
qv_session_state *qv_task_context_session(const qv_task_context *ctx); /* borrowed */
/* The query's memory pool: operators allocate big structures from it, so that
 * going over memory_limit fails the query with QV_RESOURCE_EXHAUSTED. */
qv_allocator *qv_task_context_allocator(const qv_task_context *ctx);
int32_t qv_task_context_task_index(const qv_task_context *ctx);
int32_t qv_task_context_task_count(const qv_task_context *ctx);
/* Asks every stream of this context to stop; their next() returns
 * QV_CANCELLED. */
void qv_task_context_cancel(qv_task_context *ctx);
bool qv_task_context_is_cancelled(const qv_task_context *ctx);

/* ---- plans ------------------------------------------------------------------ */

typedef struct qv_exec_plan qv_exec_plan;

qv_exec_plan *qv_exec_plan_ref(qv_exec_plan *p);
void qv_exec_plan_unref(qv_exec_plan *p);
const char *qv_exec_plan_name(const qv_exec_plan *p);
qv_schema *qv_exec_plan_schema(const qv_exec_plan *p); /* borrowed */
int32_t qv_exec_plan_num_partitions(const qv_exec_plan *p);
int32_t qv_exec_plan_num_children(const qv_exec_plan *p);
qv_exec_plan *qv_exec_plan_child(const qv_exec_plan *p, int32_t i); /* borrowed */

/* Starts partition `partition` (0 <= partition < num_partitions). The stream
 * holds references to the plan and the context; the caller destroys it.
 * Errors: QV_INVALID for a partition out of range; the operator's own. */
qv_status qv_exec_plan_execute(qv_exec_plan *p, int32_t partition, qv_task_context *ctx,
                               qv_batch_stream **out, qv_error *err) QV_MUST_USE;

/* Runs every partition concurrently (one thread each) and returns all their
 * batches in *out (an array of *n_out references; free each with
 * qv_record_batch_unref and the array with free()). The first error cancels
 * the other partitions and is returned. */
qv_status qv_exec_plan_collect(qv_exec_plan *p, qv_task_context *ctx, qv_record_batch ***out,
                               int64_t *n_out, qv_error *err) QV_MUST_USE;

/* An indented tree of the plan, one operator a line, like DataFusion's EXPLAIN
 * ("FilterExec: l_tax > 0.05\n  MemoryScanExec: partitions=2"). The caller
 * frees the string with free(). */
qv_status qv_exec_plan_explain(const qv_exec_plan *p, char **out, qv_error *err) QV_MUST_USE;

/* ---- user-defined operators ------------------------------------------------ */

typedef struct qv_exec_plan_vtable {
  const char *name;
  /* Starts one partition; `state` is the operator's own (see _create_custom). */
  qv_status (*execute)(void *state, qv_exec_plan *self, int32_t partition, qv_task_context *ctx,
                       qv_batch_stream **out, qv_error *err);
  /* One line describing the operator for EXPLAIN, without the name; may be
   * NULL. Appends to out. */
  qv_status (*describe)(void *state, qv_bytes *out, qv_error *err);
  /* Frees state when the plan node goes; may be NULL. */
  void (*destroy)(void *state);
} qv_exec_plan_vtable;

/* Creates an operator node from a user vtable (copied) and state (owned by the
 * node from now on, also on failure). Takes references to schema and the
 * children. Extension codecs carry such nodes over the wire. */
qv_status qv_exec_plan_create_custom(const qv_exec_plan_vtable *vtable, void *state, qv_schema *schema,
                                     int32_t n_partitions, qv_exec_plan *const *children, int32_t n_children,
                                     qv_exec_plan **out, qv_error *err) QV_MUST_USE;
/* The state given to _create_custom (borrowed), or NULL for built-in nodes. */
void *qv_exec_plan_custom_state(const qv_exec_plan *p);

#ifdef __cplusplus
}
#endif
#endif
