/* What the plan codec reads of a HashAggregateExec node to serialise it; it
 * rebuilds the node with qv_plan_hash_aggregate. Group names are the first
 * fields of the node's schema. */
#ifndef QV_EXEC_HASH_AGGREGATE_INTERNAL_H
#define QV_EXEC_HASH_AGGREGATE_INTERNAL_H

#include "quiver/plan.h"

/* p must be a HashAggregateExec node (qv_exec_plan_name "HashAggregateExec").
 * Returned objects are borrowed from the node. */
qv_aggregate_mode qv__hash_aggregate_mode(const qv_exec_plan *p);
int32_t qv__hash_aggregate_num_groups(const qv_exec_plan *p);
qv_expr *qv__hash_aggregate_group(const qv_exec_plan *p, int32_t i);
int32_t qv__hash_aggregate_num_aggs(const qv_exec_plan *p);
qv_aggregate_expr *qv__hash_aggregate_agg(const qv_exec_plan *p, int32_t i);

#endif
