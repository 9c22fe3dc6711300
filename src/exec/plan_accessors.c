/* Read access to the payloads of built-in operators for the plan codec
 * (see plan_accessors.h).
 *
 * Each operator keeps its payload struct private to its own file. Until the
 * accessors move next to them (as HashAggregateExec's did), this file mirrors
 * those layouts: every struct below must stay identical to the one named in
 * its comment. The codec's round-trip tests (tests/unit/plan) compare the
 * EXPLAIN text and the results of every operator before and after encoding,
 * so a layout that drifts fails them. */
#include "exec/exec_internal.h"
#include "exec/plan_accessors.h"

/* memory_scan.c: memory_payload */
typedef struct memory_payload_view {
  int32_t n_partitions;
  int64_t *n_batches;
  qv_record_batch ***batches;
  bool one_empty_row;
} memory_payload_view;

/* projection.c: projection_payload */
typedef struct projection_payload_view {
  int32_t n;
  qv_expr **exprs;
} projection_payload_view;

/* limit.c: limit_payload */
typedef struct limit_payload_view {
  int64_t offset;
  int64_t fetch;
  bool global;
} limit_payload_view;

/* repartition.c: repartition_payload */
typedef struct repartition_payload_view {
  int32_t n_keys;
  qv_expr **keys;
} repartition_payload_view;

/* hash_join.c: hash_join_payload */
typedef struct hash_join_payload_view {
  int32_t n_keys;
  qv_expr **left_keys;
  qv_expr **right_keys;
  qv_expr *filter;
  qv_join_type type;
  qv_join_partition_mode mode;
  bool null_equals_null;
  qv_schema *concat_schema;
} hash_join_payload_view;

/* nested_loop_join.c: nlj_payload */
typedef struct nlj_payload_view {
  qv_expr *filter;
  qv_join_type type;
  qv_schema *concat_schema;
} nlj_payload_view;

/* sort.c: sort_payload */
typedef struct sort_payload_view {
  qv_sort_spec spec;
  int64_t fetch;
  bool preserve_partitioning;
} sort_payload_view;

/* sort_preserving_merge.c: merge_payload */
typedef struct merge_payload_view {
  qv_sort_spec spec;
  int64_t fetch;
} merge_payload_view;

#define VIEW(type, p) ((const type *)(p)->payload)

int64_t qv__memory_scan_num_batches(const qv_exec_plan *p, int32_t partition) {
  return VIEW(memory_payload_view, p)->n_batches[partition];
}
qv_record_batch *qv__memory_scan_batch(const qv_exec_plan *p, int32_t partition, int64_t i) {
  return VIEW(memory_payload_view, p)->batches[partition][i];
}
bool qv__empty_one_row(const qv_exec_plan *p) { return VIEW(memory_payload_view, p)->one_empty_row; }

int32_t qv__projection_num_exprs(const qv_exec_plan *p) { return VIEW(projection_payload_view, p)->n; }
qv_expr *qv__projection_expr(const qv_exec_plan *p, int32_t i) { return VIEW(projection_payload_view, p)->exprs[i]; }

/* filter.c: the payload is the predicate itself. */
qv_expr *qv__filter_predicate(const qv_exec_plan *p) { return (qv_expr *)p->payload; }

int64_t qv__limit_offset(const qv_exec_plan *p) { return VIEW(limit_payload_view, p)->offset; }
int64_t qv__limit_fetch(const qv_exec_plan *p) { return VIEW(limit_payload_view, p)->fetch; }
bool qv__limit_global(const qv_exec_plan *p) { return VIEW(limit_payload_view, p)->global; }

/* coalesce_batches.c: the payload is the int64_t target. */
int64_t qv__coalesce_batches_target(const qv_exec_plan *p) { return *(const int64_t *)p->payload; }

int32_t qv__repartition_num_keys(const qv_exec_plan *p) { return VIEW(repartition_payload_view, p)->n_keys; }
qv_expr *qv__repartition_key(const qv_exec_plan *p, int32_t i) { return VIEW(repartition_payload_view, p)->keys[i]; }

int32_t qv__hash_join_num_keys(const qv_exec_plan *p) { return VIEW(hash_join_payload_view, p)->n_keys; }
qv_expr *qv__hash_join_left_key(const qv_exec_plan *p, int32_t i) {
  return VIEW(hash_join_payload_view, p)->left_keys[i];
}
qv_expr *qv__hash_join_right_key(const qv_exec_plan *p, int32_t i) {
  return VIEW(hash_join_payload_view, p)->right_keys[i];
}
qv_expr *qv__hash_join_filter(const qv_exec_plan *p) { return VIEW(hash_join_payload_view, p)->filter; }
qv_join_type qv__hash_join_type(const qv_exec_plan *p) { return VIEW(hash_join_payload_view, p)->type; }
qv_join_partition_mode qv__hash_join_mode(const qv_exec_plan *p) { return VIEW(hash_join_payload_view, p)->mode; }
bool qv__hash_join_null_equals_null(const qv_exec_plan *p) {
  return VIEW(hash_join_payload_view, p)->null_equals_null;
}

qv_expr *qv__nested_loop_join_filter(const qv_exec_plan *p) { return VIEW(nlj_payload_view, p)->filter; }
qv_join_type qv__nested_loop_join_type(const qv_exec_plan *p) { return VIEW(nlj_payload_view, p)->type; }

const qv_sort_spec *qv__sort_spec_of(const qv_exec_plan *p) { return &VIEW(sort_payload_view, p)->spec; }
int64_t qv__sort_fetch(const qv_exec_plan *p) { return VIEW(sort_payload_view, p)->fetch; }
bool qv__sort_preserve_partitioning(const qv_exec_plan *p) {
  return VIEW(sort_payload_view, p)->preserve_partitioning;
}

const qv_sort_spec *qv__sort_merge_spec(const qv_exec_plan *p) { return &VIEW(merge_payload_view, p)->spec; }
int64_t qv__sort_merge_fetch(const qv_exec_plan *p) { return VIEW(merge_payload_view, p)->fetch; }
