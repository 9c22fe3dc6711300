/* What the plan codec (src/plan/) reads of built-in operator nodes to
 * serialise them; it rebuilds each node with its public constructor
 * (plan.h). HashAggregateExec has its own header
 * (exec/hash_aggregate_internal.h).
 *
 * Each function requires a node of the named operator (check
 * qv_exec_plan_name or the node's kind first). Returned objects are borrowed
 * from the node. */
#ifndef QV_EXEC_PLAN_ACCESSORS_H
#define QV_EXEC_PLAN_ACCESSORS_H

#include "exec/sort_internal.h"
#include "quiver/plan.h"

/* MemoryScanExec, ValuesExec, EmptyExec: the batches of each partition. */
int64_t qv__memory_scan_num_batches(const qv_exec_plan *p, int32_t partition);
qv_record_batch *qv__memory_scan_batch(const qv_exec_plan *p, int32_t partition, int64_t i);
/* EmptyExec: whether it produces one row of no columns. */
bool qv__empty_one_row(const qv_exec_plan *p);

/* ProjectionExec: one expression per output column (names: the schema's). */
int32_t qv__projection_num_exprs(const qv_exec_plan *p);
qv_expr *qv__projection_expr(const qv_exec_plan *p, int32_t i);

/* FilterExec. */
qv_expr *qv__filter_predicate(const qv_exec_plan *p);

/* LimitExec. */
int64_t qv__limit_offset(const qv_exec_plan *p);
int64_t qv__limit_fetch(const qv_exec_plan *p); /* -1: none */
bool qv__limit_global(const qv_exec_plan *p);

/* CoalesceBatchesExec. */
int64_t qv__coalesce_batches_target(const qv_exec_plan *p);

/* RepartitionExec: the hash keys; none for round robin. */
int32_t qv__repartition_num_keys(const qv_exec_plan *p);
qv_expr *qv__repartition_key(const qv_exec_plan *p, int32_t i);

/* HashJoinExec. */
int32_t qv__hash_join_num_keys(const qv_exec_plan *p);
qv_expr *qv__hash_join_left_key(const qv_exec_plan *p, int32_t i);
qv_expr *qv__hash_join_right_key(const qv_exec_plan *p, int32_t i);
qv_expr *qv__hash_join_filter(const qv_exec_plan *p); /* NULL if none */
qv_join_type qv__hash_join_type(const qv_exec_plan *p);
qv_join_partition_mode qv__hash_join_mode(const qv_exec_plan *p);
bool qv__hash_join_null_equals_null(const qv_exec_plan *p);

/* NestedLoopJoinExec. */
qv_expr *qv__nested_loop_join_filter(const qv_exec_plan *p); /* NULL if none */
qv_join_type qv__nested_loop_join_type(const qv_exec_plan *p);

/* SortExec. */
const qv_sort_spec *qv__sort_spec_of(const qv_exec_plan *p);
int64_t qv__sort_fetch(const qv_exec_plan *p); /* -1: none */
bool qv__sort_preserve_partitioning(const qv_exec_plan *p);

/* SortPreservingMergeExec. */
const qv_sort_spec *qv__sort_merge_spec(const qv_exec_plan *p);
int64_t qv__sort_merge_fetch(const qv_exec_plan *p); /* -1: none */

#endif
