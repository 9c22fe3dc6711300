/* Helpers for the join tests: random small tables with NULLs and duplicate
 * keys, memory scans over them (split into partitions and batches, or
 * hash-partitioned by the join keys), a brute-force reference join, and the
 * comparison of a plan's output with the reference as sorted row strings. */
#ifndef QV_JOIN_TEST_UTIL_H
#define QV_JOIN_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/exec.h"
#include "quiver/plan.h"

/* One row of a test table: columns k1 int64?, k2 utf8?, id int64, f int64?
 * (k2 is an index into a small set of strings). */
typedef struct jt_row {
  int64_t k1, id, f;
  int32_t k2;
  bool k1_null, k2_null, f_null;
  int32_t part;
} jt_row;

typedef struct jt_table {
  jt_row *rows;
  int64_t n;
  int32_t n_parts;
  qv_schema *schema;
} jt_table;

/* Which key columns a test joins on. */
typedef enum jt_keys { JT_KEY_INT = 0, JT_KEY_STR = 1, JT_KEY_BOTH = 2 } jt_keys;

/* A deterministic pseudo-random generator. */
uint64_t jt_rand(uint64_t *state);

/* n rows with keys in [0, domain) (NULL with probability null_pct%), ids
 * first_id, first_id+1, ...; prefix names the columns ("l_" or "r_"). */
void jt_table_random(jt_table *t, uint64_t *rng, int64_t n, int32_t domain, int32_t null_pct, int64_t first_id,
                     const char *prefix);
void jt_table_reset(jt_table *t);
/* Assigns rows to n_parts partitions: at random, or (by_hash) with
 * qv_hash_partition of the hash of the key columns, as a hash repartition
 * would. */
void jt_table_partition(jt_table *t, uint64_t *rng, int32_t n_parts, bool by_hash, jt_keys keys);
/* A memory scan of the table's partitions, each cut into batches of 0 to
 * max_batch rows. */
qv_exec_plan *jt_table_scan(const jt_table *t, uint64_t *rng, int32_t max_batch);

/* Key expressions over a table schema (n written to *n). */
void jt_key_exprs(qv_schema *s, jt_keys keys, qv_expr **out, int32_t *n);
/* The filter l_f < r_f over left ++ right (4 + 4 columns). */
qv_expr *jt_filter(qv_schema *left, qv_schema *right);
/* (l.k = r.k for the key columns, when with_keys) AND l_f < r_f. */
qv_expr *jt_condition(qv_schema *left, qv_schema *right, bool with_keys, jt_keys keys);

/* How the reference matches rows: a hash join (equal keys, then the
 * filter; marks NULL for NULL keys as HashJoinExec documents), or a nested
 * loop join whose condition is the filter alone or (keys equal) AND filter,
 * with exact three-valued marks. */
typedef enum jt_semantics { JT_HASH = 0, JT_NLJ_FILTER = 1, JT_NLJ_KEYS_AND_FILTER = 2 } jt_semantics;

/* The reference join: the expected output rows as strings (caller frees
 * each and the array). with_filter adds l_f < r_f (without it and without
 * keys: a cross join). */
char **jt_reference(const jt_table *l, const jt_table *r, qv_join_type type, jt_keys keys, jt_semantics semantics,
                    bool nulls_equal, bool with_filter, int64_t *n_out);

/* Row strings of a plan's output batches. */
char **jt_rows_of(qv_record_batch **batches, int64_t n, int64_t *n_out);
/* Compares two lists of row strings as multisets; on a difference writes a
 * description into msg and returns false. Frees both lists. */
bool jt_same_rows(char **expected, int64_t n_expected, char **actual, int64_t n_actual, char *msg, size_t msg_size);

/* A context whose session has batch_size and memory_limit (NULL: none). */
qv_task_context *jt_context(int32_t batch_size, const char *memory_limit);

#endif
