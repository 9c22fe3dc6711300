/* The plan builder: a C API to build physical plans without SQL. Every
 * constructor type-checks its inputs and returns a node (caller owns one
 * reference) that takes references to its children and expressions; a plan
 * that would not type-check is never built (QV_TYPE_ERROR / QV_INVALID with a
 * message naming the operator). */
#ifndef QUIVER_PLAN_H
#define QUIVER_PLAN_H

#include "quiver/exec.h"
#include "quiver/expr.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sources -------------------------------------------------------------- */

/* In-memory batches: partition p yields batches[p][0..n_batches[p]). Every
 * batch must have `schema`. */
qv_status qv_plan_memory_scan(qv_schema *schema, qv_record_batch *const *const *batches,
                              const int64_t *n_batches, int32_t n_partitions, qv_exec_plan **out,
                              qv_error *err) QV_MUST_USE;
/* One partition yielding the given batch (literal rows). */
qv_status qv_plan_values(qv_record_batch *rows, qv_exec_plan **out, qv_error *err) QV_MUST_USE;
/* No rows (or, with one_row, a single row of no columns, for SELECT 1). */
qv_status qv_plan_empty(qv_schema *schema, bool one_row, qv_exec_plan **out, qv_error *err) QV_MUST_USE;

/* ---- row-wise operators ------------------------------------------------------- */

qv_status qv_plan_projection(qv_exec_plan *input, qv_expr *const *exprs, const char *const *names, int32_t n,
                             qv_exec_plan **out, qv_error *err) QV_MUST_USE;
/* predicate must be boolean; rows where it is NULL are dropped. */
qv_status qv_plan_filter(qv_exec_plan *input, qv_expr *predicate, qv_exec_plan **out, qv_error *err) QV_MUST_USE;
/* Skips `offset` rows then passes at most `fetch` (-1: all). global: over the
 * whole input, which must have one partition; otherwise per partition. */
qv_status qv_plan_limit(qv_exec_plan *input, int64_t offset, int64_t fetch, bool global, qv_exec_plan **out,
                        qv_error *err) QV_MUST_USE;
/* Concatenates small batches up to target_rows rows. */
qv_status qv_plan_coalesce_batches(qv_exec_plan *input, int64_t target_rows, qv_exec_plan **out,
                                   qv_error *err) QV_MUST_USE;

/* ---- exchanges ------------------------------------------------------------------ */

/* Merges all input partitions into one, reading them concurrently. */
qv_status qv_plan_coalesce_partitions(qv_exec_plan *input, qv_exec_plan **out, qv_error *err) QV_MUST_USE;
/* The partitions of all inputs, one after another (inputs must have equal
 * schemas, up to field names and nullability). */
qv_status qv_plan_union(qv_exec_plan *const *inputs, int32_t n, qv_exec_plan **out, qv_error *err) QV_MUST_USE;
/* Hash repartitioning: row r goes to partition qv_hash_partition(hash of the
 * key values) (see docs/architecture.md for the one hash function every
 * operator that partitions by hash uses). */
qv_status qv_plan_repartition_hash(qv_exec_plan *input, qv_expr *const *keys, int32_t n_keys,
                                   int32_t n_partitions, qv_exec_plan **out, qv_error *err) QV_MUST_USE;
qv_status qv_plan_repartition_round_robin(qv_exec_plan *input, int32_t n_partitions, qv_exec_plan **out,
                                          qv_error *err) QV_MUST_USE;

/* ---- aggregation --------------------------------------------------------------- */

typedef enum qv_aggregate_mode {
  QV_AGG_SINGLE = 0,            /* whole aggregation in one step (input in one partition, or per partition) */
  QV_AGG_PARTIAL = 1,           /* per partition: groups + partial states */
  QV_AGG_FINAL = 2,             /* merges partial states; input has one partition */
  QV_AGG_FINAL_PARTITIONED = 3  /* merges partial states, input hash-partitioned by the groups */
} qv_aggregate_mode;

/* GROUP BY groups (expressions over input) computing aggs. For PARTIAL and
 * SINGLE, groups and aggs are built against input's schema; the PARTIAL output
 * is the group columns followed by each aggregate's state fields. For FINAL
 * and FINAL_PARTITIONED, input must be a PARTIAL aggregate's output (possibly
 * repartitioned or coalesced) and groups/aggs are the same objects that built
 * the partial step. */
qv_status qv_plan_hash_aggregate(qv_aggregate_mode mode, qv_exec_plan *input, qv_expr *const *groups,
                                 const char *const *group_names, int32_t n_groups, qv_aggregate_expr *const *aggs,
                                 int32_t n_aggs, qv_exec_plan **out, qv_error *err) QV_MUST_USE;

/* ---- joins ---------------------------------------------------------------------- */

typedef enum qv_join_type {
  QV_JOIN_INNER = 0, QV_JOIN_LEFT = 1, QV_JOIN_RIGHT = 2, QV_JOIN_FULL = 3,
  QV_JOIN_LEFT_SEMI = 4, QV_JOIN_LEFT_ANTI = 5, QV_JOIN_RIGHT_SEMI = 6, QV_JOIN_RIGHT_ANTI = 7,
  /* Left rows plus a boolean "mark" column: true when a match exists, NULL
   * when none does but a NULL key or filter made it unknown (EXISTS / IN /
   * NOT IN with SQL NULL semantics), false otherwise. */
  QV_JOIN_LEFT_MARK = 8
} qv_join_type;

typedef enum qv_join_partition_mode {
  QV_JOIN_COLLECT_LEFT = 0,  /* build the left side once (all partitions), probe each right partition */
  QV_JOIN_PARTITIONED = 1    /* both sides hash-partitioned alike; partition p joins with p */
} qv_join_partition_mode;

/* Equi-join on left_keys[i] = right_keys[i] (expressions over each side's
 * schema), plus an optional residual filter over the concatenation of the
 * left and right schemas (NULL if none). NULL keys never match unless
 * null_equals_null. Output: left columns then right columns (semi/anti: one
 * side only; mark: left columns and "mark"). */
qv_status qv_plan_hash_join(qv_exec_plan *left, qv_exec_plan *right, qv_expr *const *left_keys,
                            qv_expr *const *right_keys, int32_t n_keys, qv_expr *filter, qv_join_type type,
                            qv_join_partition_mode mode, bool null_equals_null, qv_exec_plan **out,
                            qv_error *err) QV_MUST_USE;
/* Non-equi joins and cross joins (filter NULL). The left side is collected. */
qv_status qv_plan_nested_loop_join(qv_exec_plan *left, qv_exec_plan *right, qv_expr *filter, qv_join_type type,
                                   qv_exec_plan **out, qv_error *err) QV_MUST_USE;

/* ---- sorting ------------------------------------------------------------------------ */

typedef struct qv_sort_key {
  qv_expr *expr;
  bool descending;
  bool nulls_first;
} qv_sort_key;

/* Sorts each partition (preserve_partitioning) or the whole input (which must
 * then have one partition). fetch >= 0 keeps only the first fetch rows: a
 * TopK that never sorts everything. */
qv_status qv_plan_sort(qv_exec_plan *input, const qv_sort_key *keys, int32_t n_keys, int64_t fetch,
                       bool preserve_partitioning, qv_exec_plan **out, qv_error *err) QV_MUST_USE;
/* Merges partitions that are each sorted by keys into one sorted partition. */
qv_status qv_plan_sort_preserving_merge(qv_exec_plan *input, const qv_sort_key *keys, int32_t n_keys,
                                        int64_t fetch, qv_exec_plan **out, qv_error *err) QV_MUST_USE;

#ifdef __cplusplus
}
#endif
#endif
