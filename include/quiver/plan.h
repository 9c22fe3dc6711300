/* The plan builder: a C API to build physical plans without SQL. Every
 * constructor type-checks its inputs and returns a node (caller owns one
 * reference) that takes references to its children and expressions; a plan
 * that would not type-check is never built (QV_TYPE_ERROR / QV_INVALID with a
 * message naming the operator). */
#ifndef QUIVER_PLAN_H
#define QUIVER_PLAN_H

#include "quiver/csv.h"
#include "quiver/exec.h"
#include "quiver/expr.h"
#include "quiver/ipc.h"
#include "quiver/parquet.h"

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

/* ---- file scans --------------------------------------------------------------
 * ParquetScanExec, CsvScanExec and IpcScanExec read files into batches of
 * a projection of the file schema.
 *
 * Files: each path is a file, a directory (listed recursively; names
 * starting with '.' or '_' are skipped, and names not ending with
 * `extension` when it is set) or a glob(3) pattern; directories and
 * patterns expand in sorted order. A missing path or a pattern matching
 * nothing fails the constructor (QV_NOT_FOUND naming it); a directory
 * without files gives an empty scan.
 *
 * Partitions: the work is cut into groups of about equal bytes, one per
 * output partition (at most target_partitions; fewer for little data), and
 * partition p reads group p. Parquet files and CSV files read with
 * newlines_in_values = false are split into byte ranges: a Parquet row
 * group belongs to the range holding its midpoint
 * (qv_parquet_row_group_in_range), a CSV record to the range where it
 * starts, so every row is read exactly once whatever the split. Other
 * inputs (Arrow IPC files, CSV with newlines in values) are read as whole
 * files. `partitions` pins each path to a partition instead (the plan
 * codec uses it to rebuild a scan exactly).
 *
 * Schema: `file_schema` when given (CSV: applied by position; Parquet and
 * IPC: each file's columns are matched by name, a column missing from a
 * file reads as nulls when its field is nullable), otherwise the schema of
 * the first file (CSV: inferred from it). A file whose column has another
 * type than the scan's schema fails the read with QV_TYPE_ERROR naming the
 * file and column.
 *
 * Projection: only the projected columns (and those the predicate needs)
 * are decoded. Parquet reads no other column chunk; CSV parses no other
 * field (the others are delimited and copied as bytes, never parsed or
 * checked); IPC batches are decoded whole (their buffers are mostly
 * zero-copy) and the columns picked.
 *
 * Predicate: an optional boolean expression over the file schema. The scan
 * applies it itself: its output holds exactly the rows where it is true, so
 * a FilterExec above is not needed (keeping one is harmless). Parquet also
 * skips row groups whose statistics prove that no row can match: the
 * conjuncts of the form `column op literal` (op one of = < <= > >=, either
 * side), `column BETWEEN literal AND literal`, `column IS [NOT] NULL`, where
 * the column may be under a widening numeric or date cast. A row group is
 * skipped only on proof: missing or unordered statistics, NaN (which sorts
 * above every number) unless the file counts none, and nested columns never
 * prune; inexact (truncated) bounds are used as the bounds they are.
 *
 * Batches: of at most batch_size rows (after the predicate, possibly fewer;
 * empty batches are not returned). Memory comes from the task context's
 * pool; the options' allocator is ignored.
 *
 * Errors while reading name the file: "parquet: data/a.parquet: not a
 * Parquet file (no PAR1 magic)", "parquet: a.parquet: row group 2: column
 * 'l_tax' page 3: ...", "csv: a.csv line 17 column 'x': ...". */

/* Default of qv_file_scan_config.min_split_bytes: 4 MiB. */
#define QV_FILE_SCAN_DEFAULT_MIN_SPLIT_BYTES ((int64_t)4 << 20)

typedef struct qv_file_scan_config {
  /* n_paths paths (borrowed during the call; copied). */
  const char *const *paths;
  int32_t n_paths;
  /* Optional byte ranges, one per path (NULL: whole files): read bytes
   * [range_begin[i], range_end[i]) of path i, range_end[i] < 0 meaning the
   * end of the file. A path with a range must name one regular file. */
  const int64_t *range_begin;
  const int64_t *range_end;
  /* Optional: the partition (0 <= p < target_partitions) that reads each
   * path; NULL lets the scan balance the work itself. */
  const int32_t *partitions;
  /* Directory listings keep only names ending with this (".parquet");
   * NULL: every file. Copied. */
  const char *extension;
  /* The schema of the files (borrowed; the scan takes a reference), or
   * NULL to take the first file's. */
  qv_schema *file_schema;
  /* Indices of file schema fields to output, in order (copied); NULL:
   * every field (n_projection ignored). n_projection 0 with a non-NULL
   * pointer outputs no columns, only row counts. */
  const int32_t *projection;
  int32_t n_projection;
  /* Boolean expression over the file schema, or NULL (see above). The scan
   * takes a reference. */
  qv_expr *predicate;
  /* Most partitions (default 0: the number of online cores, as the
   * session's target_partitions). */
  int32_t target_partitions;
  /* Splitting stops at stretches of this many bytes (default
   * QV_FILE_SCAN_DEFAULT_MIN_SPLIT_BYTES): small inputs use fewer
   * partitions. */
  int64_t min_split_bytes;
  /* Rows per batch (default 0: the session's batch_size, read when the
   * plan executes). The batch_size of the format options is not used. */
  int64_t batch_size;
} qv_file_scan_config;

/* Sets the defaults: no paths, whole files, no schema, every column, no
 * predicate, automatic partitions, the session's batch size. */
void qv_file_scan_config_init(qv_file_scan_config *config);

/* A Parquet scan. opts may be NULL (defaults); it is copied. When no
 * file_schema is given, the first file's footer is read now.
 * Errors: QV_NOT_FOUND for a missing path; QV_INVALID for bad options,
 * ranges or projection indices, and for a first file that is not Parquet
 * (the reader's message names it); QV_TYPE_ERROR for a predicate that is
 * not boolean or not built over file_schema's types; QV_NOMEM. */
qv_status qv_plan_parquet_scan(const qv_file_scan_config *config, const qv_parquet_read_options *opts,
                               qv_exec_plan **out, qv_error *err) QV_MUST_USE;

/* A CSV scan. opts may be NULL (defaults: RFC 4180 with a header, not
 * splittable); it is copied with its strings. Without file_schema the
 * first file's schema is inferred now; every file must then have the same
 * columns. file_name in opts is ignored: messages name each file.
 * Errors: as qv_plan_parquet_scan, with the CSV reader's messages. */
qv_status qv_plan_csv_scan(const qv_file_scan_config *config, const qv_csv_read_options *opts,
                           qv_exec_plan **out, qv_error *err) QV_MUST_USE;

/* An Arrow IPC file-format scan (whole files; no byte ranges). opts may be
 * NULL (defaults: full validation); it is copied.
 * Errors: as qv_plan_parquet_scan, with the IPC reader's messages. */
qv_status qv_plan_ipc_scan(const qv_file_scan_config *config, const qv_ipc_read_options *opts,
                           qv_exec_plan **out, qv_error *err) QV_MUST_USE;

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
