/* Producer threads feeding one bounded queue from every partition of an
 * input plan (see producers.c). */
#ifndef QV_EXEC_PRODUCERS_H
#define QV_EXEC_PRODUCERS_H

#include "exec/exec_internal.h"

typedef struct qv_producer_set qv_producer_set;

/* Starts one thread per partition of input, each pushing into a shared queue
 * of queue_capacity batches. input and ctx must outlive the set. */
qv_status qv__producers_start(qv_exec_plan *input, qv_task_context *ctx, int64_t queue_capacity,
                              qv_producer_set **out, qv_error *err) QV_MUST_USE;
/* The queue to pop from (ends when every producer is done). */
qv_batch_queue *qv__producers_queue(qv_producer_set *set);
/* Cancels the queue, joins every thread and frees the set. set may be NULL. */
void qv__producers_stop(qv_producer_set *set);

#endif
