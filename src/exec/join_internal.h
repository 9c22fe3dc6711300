/* What HashJoinExec and NestedLoopJoinExec share: join type rules and output
 * schemas (join_output.c), the build side collected once per execution and
 * shared by every probe partition (join_build.c), key columns, the hash
 * table and vectorised key equality (join_hash_table.c), and the code that
 * turns candidate (build row, probe row) pairs into output batches, applies
 * the residual filter and emits the build rows of outer, semi, anti and mark
 * joins at the end (join_output.c).
 *
 * Vocabulary: the build side is always the left input, the probe side the
 * right one. A "pair" is a (build row, probe row) candidate; its build row is
 * an index into the one concatenated build batch, its probe row an index into
 * the current probe batch. */
#ifndef QV_EXEC_JOIN_INTERNAL_H
#define QV_EXEC_JOIN_INTERNAL_H

#include "exec/exec_internal.h"
#include "quiver/compute.h"

/* ---- join types and schemas (join_output.c) ------------------------------ */

/* "Inner", "Left", ..., "LeftMark" (EXPLAIN). */
const char *qv__join_type_name(qv_join_type t);
/* Whether the join emits build rows once probing is over (left, full, left
 * semi, left anti, left mark): they need the visited flags of build rows. */
bool qv__join_emits_build_rows(qv_join_type t);
/* Whether the join needs per-probe-row match flags (right, full, right semi,
 * right anti). */
bool qv__join_tracks_probe_rows(qv_join_type t);
/* Whether the join outputs matched pairs (inner, left, right, full). */
bool qv__join_emits_pairs(qv_join_type t);
/* Whether an empty build side makes the output empty whatever the probe side
 * holds (inner, left, left semi/anti/mark, right semi): the probe input is
 * then not read at all. */
bool qv__join_empty_build_is_empty(qv_join_type t);

/* The output schema: left fields then right fields (the padded side of an
 * outer join made nullable); semi and anti joins one side's fields; mark
 * joins left fields plus a nullable boolean "mark". */
qv_status qv__join_output_schema(qv_schema *left, qv_schema *right, qv_join_type t, qv_schema **out,
                                 qv_error *err) QV_MUST_USE;
/* Left fields then right fields as they are: the schema a residual filter is
 * built against. */
qv_status qv__join_concat_schema(qv_schema *left, qv_schema *right, qv_schema **out, qv_error *err) QV_MUST_USE;
/* Checks the residual filter of a join (boolean over the concatenated
 * schema); op names the operator in errors. */
qv_status qv__join_check_filter(const char *op, qv_expr *filter, const qv_schema *concat, qv_error *err) QV_MUST_USE;
/* Marks in used[0..n) the input columns filter reads. */
void qv__join_filter_columns(const qv_expr *filter, bool *used, int32_t n);

/* ---- the build side (join_build.c) ------------------------------------------- */

typedef struct qv_join_build qv_join_build;
typedef struct qv_join_build_slot qv_join_build_slot;

/* The build side of one execution of a join: the left rows in one batch
 * (accounted to the query's memory pool), the operator's own structures (a
 * hash table), and the bookkeeping every probe partition shares: which build
 * rows found a match, whether the probe side had rows or NULL keys, and how
 * many probe partitions finished (the last one emits the build rows of
 * outer, semi, anti and mark joins). Everything above `private` is written
 * once while building and read-only afterwards, except the atomics. */
struct qv_join_build {
  qv_allocator *alloc;     /* the query's pool */
  qv_record_batch *batch;  /* every build row, in one batch */
  int64_t n_rows;
  void *data;              /* the operator's (HashJoinExec: keys and table) */
  void (*data_destroy)(void *data);
  /* Per build row (when the join emits build rows): a match was found. */
  atomic_uchar *visited;
  /* Per build row (mark joins): a pair's filter was NULL. */
  atomic_uchar *maybe;
  /* Per build row, 1 when a key is NULL (hash joins; NULL when none is). */
  const uint8_t *key_null;
  /* NULL keys never match (hash joins without null_equals_null), so they
   * make a mark unknown. */
  bool null_keys_unknown;
  atomic_bool probe_nonempty;
  atomic_bool probe_has_null_key;
  atomic_int probes_finished;
  int32_t n_probes;

  /* private (join_build.c) */
  atomic_int refs;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int state;          /* 0 new, 1 building, 2 ready, 3 failed */
  qv_status status;
  qv_error error;
  qv_join_build_slot *slot;
};

/* Flags for qv__join_build_wait. */
#define QV_JOIN_BUILD_VISITED 1u /* allocate visited */
#define QV_JOIN_BUILD_MAYBE 2u   /* allocate maybe */

/* Prepares the operator's structures once the rows are collected. */
typedef qv_status (*qv_join_prepare_fn)(void *arg, qv_join_build *b, qv_error *err);

/* Gets the build side of this execution without blocking: with key set (the
 * plan node of a CollectLeft join), the one build shared by the n_probes
 * probe partitions, created by the first caller; with key NULL, a private
 * one (a partitioned join, n_probes 1). The caller owns one reference. */
qv_status qv__join_build_acquire(qv_task_context *ctx, const void *key, int32_t n_probes, qv_join_build **out,
                                 qv_error *err) QV_MUST_USE;
/* Makes sure the build side is ready: the first caller reads `input`
 * (partition < 0: every partition, concurrently) into one batch and runs
 * prepare(arg); concurrent callers wait for it, and all get its error.
 * Errors: QV_RESOURCE_EXHAUSTED "<op>: memory limit of N bytes exceeded
 * while building ...", the input's and prepare's errors. */
qv_status qv__join_build_wait(qv_join_build *b, qv_exec_plan *input, int32_t partition, qv_task_context *ctx,
                              const char *op, unsigned flags, qv_join_prepare_fn prepare, void *arg,
                              qv_error *err) QV_MUST_USE;
/* A probe partition read its whole input: true for the last of n_probes
 * (which then sees every other partition's marks). */
bool qv__join_build_probe_finished(qv_join_build *b);
/* Drops a reference; b may be NULL. */
void qv__join_build_release(qv_join_build *b);
/* Rewrites a failed pool allocation as the operator's memory-limit error
 * when the pool has a limit; returns the status to propagate. */
qv_status qv__join_memory_error(qv_allocator *pool, qv_status st, const char *op, const char *what,
                                qv_error *err) QV_MUST_USE;

/* ---- keys and the hash table (join_hash_table.c) ---------------------------- */

/* The evaluated join keys of a batch: dictionary columns decoded, the row
 * hashes (qv_hash_columns) and which rows have a NULL key. */
typedef struct qv_join_keys {
  int32_t n_cols;
  qv_array **cols;    /* one reference each */
  int64_t n_rows;
  uint64_t *hashes;   /* n_rows, from alloc */
  uint8_t *null_rows; /* n_rows bytes (1: some key is NULL), NULL when no key is */
  int64_t n_null_rows;
  qv_allocator *alloc;
} qv_join_keys;

/* Evaluates exprs over batch. On failure k is left empty. */
qv_status qv__join_keys_evaluate(qv_expr *const *exprs, int32_t n, qv_record_batch *batch, qv_allocator *alloc,
                                 qv_join_keys *k, qv_error *err) QV_MUST_USE;
void qv__join_keys_reset(qv_join_keys *k);
/* Keeps the pairs whose keys are equal in every column (a's row a_idx[i]
 * against b's row b_idx[i]; NULL equals NULL when nulls_equal) in place and
 * in order; returns how many were kept. */
int64_t qv__join_keys_compact_equal(const qv_join_keys *a, const qv_join_keys *b, bool nulls_equal, uint32_t *a_idx,
                                    uint32_t *b_idx, int64_t n);
/* Whether join keys of type t are supported (every type but nested ones and
 * unions; dictionaries through their values). */
bool qv__join_key_type_supported(const qv_data_type *t);

#define QV_JOIN_NO_SLOT UINT32_MAX

/* A hash table over the build keys: open addressing on 8-byte slots, each
 * holding a 32-bit tag of the row hash and the head of the chain (through
 * next) of the build rows with that tag, in ascending row order. A slot is
 * "uniform" when all its rows have equal keys (always, short of a tag
 * collision): a probe row equal to the head then matches the whole chain
 * without further checks. */
typedef struct qv_join_slot {
  uint32_t tag;  /* low 32 bits of the row hash */
  uint32_t head; /* first build row + 1 (0: empty slot), with QV_JOIN_SLOT_* flags */
} qv_join_slot;

#define QV_JOIN_SLOT_UNIFORM (1u << 31) /* every row of the chain has the same key */
#define QV_JOIN_SLOT_SINGLE (1u << 30)  /* the chain is one row: no need to read next */
#define QV_JOIN_SLOT_ROW_MASK (QV_JOIN_SLOT_SINGLE - 1)

/* The first build row + 1 of a slot's chain (0: empty). */
static inline uint32_t qv__join_slot_head(const qv_join_slot *s) { return s->head & QV_JOIN_SLOT_ROW_MASK; }

/* The slot of a table over one integer-like key column (integers, dates,
 * times, timestamps, durations): the key itself replaces the tag, so a probe
 * finds, compares and marks in one cache line and never reads the build
 * key column. */
typedef struct qv_join_int_slot {
  int64_t key;         /* widened to 64 bits */
  uint32_t head;       /* as qv_join_slot.head; always uniform */
  atomic_uint matched; /* existence joins: see slot_matched */
} qv_join_int_slot;

typedef struct qv_join_hash_table {
  qv_allocator *alloc;
  int64_t n_slots;      /* power of two */
  int shift;            /* 64 - log2(n_slots) */
  bool int_keys;        /* int_slots instead of slots */
  qv_join_slot *slots;
  qv_join_int_slot *int_slots;
  uint32_t *next;       /* per build row: next row + 1 of its chain, 0 at the end */
  int64_t n_rows;
  /* Integer keys with null_equals_null: the chain of the rows whose key is
   * NULL (a head word, 0 if none), found at slot QV_JOIN_NULL_SLOT. */
  uint32_t null_head;
  atomic_uint null_matched;
  /* Per slot: a probe row matched the whole (uniform) chain. Existence joins
   * mark slots instead of every row of a chain (see qv__join_fold_slots). */
  atomic_uchar *slot_matched;
} qv_join_hash_table;

/* The slot index find reports for the NULL chain of an integer table. */
#define QV_JOIN_NULL_SLOT (UINT32_MAX - 1)

/* Builds the table over keys (rows with a NULL key are left out unless
 * nulls_equal). with_slot_marks prepares qv__join_hash_table_mark. Memory
 * from alloc. Errors: QV_NOMEM (the pool refused), QV_NOT_IMPLEMENTED
 * beyond 2^30 rows. */
qv_status qv__join_hash_table_build(qv_allocator *alloc, const qv_join_keys *keys, bool nulls_equal,
                                    bool with_slot_marks, qv_join_hash_table **out, qv_error *err) QV_MUST_USE;
void qv__join_hash_table_destroy(qv_join_hash_table *t);
/* For probe rows [from, from + n) of probe: the slot holding the row's key
 * (or hash tag), or QV_JOIN_NO_SLOT (also for NULL keys unless
 * nulls_equal), and that slot's head word (qv_join_slot.head, 0 for none),
 * so that a slot is read once. In an integer table a found chain always
 * holds the row's key; otherwise the caller compares keys. */
void qv__join_hash_table_find(const qv_join_hash_table *t, const qv_join_keys *probe, int64_t from, int64_t n,
                              bool nulls_equal, uint32_t *slots_out, uint32_t *heads_out);
/* Records that a probe row matched every row of a slot's chain (existence
 * joins; the table was built with_slot_marks). Thread-safe. */
void qv__join_hash_table_mark(qv_join_hash_table *t, uint32_t slot);
/* Sets visited for every row of the chains of marked slots. */
void qv__join_fold_slots(const qv_join_hash_table *t, atomic_uchar *visited);

/* ---- pairs to output (join_output.c) ----------------------------------------- */

/* What turning pairs into output needs; one per probe stream. */
typedef struct qv_join_output {
  qv_join_type type;
  qv_schema *out_schema;    /* borrowed from the plan */
  qv_schema *concat_schema; /* borrowed: left ++ right, the filter's input */
  qv_expr *filter;          /* borrowed; NULL when none */
  bool *filter_uses;        /* per concat column: the filter reads it */
  qv_array **placeholders;  /* per concat column the filter does not read: NULLs */
  int32_t n_left, n_right;
  qv_allocator *alloc;
  int64_t chunk_rows;       /* rows per output batch (batch_size) */
  qv_join_build *build;     /* borrowed */
  qv_record_batch *probe;   /* borrowed: the current probe batch */
  uint8_t *probe_matched;   /* per probe row, when the join tracks them */
  int64_t probe_cap;
  /* scratch */
  uint32_t *idx;
  int64_t idx_cap;
} qv_join_output;

qv_status qv__join_output_init(qv_join_output *o, qv_join_type type, qv_schema *out_schema, qv_schema *concat_schema,
                               qv_expr *filter, int32_t n_left, int32_t n_right, qv_allocator *alloc,
                               int64_t chunk_rows, qv_error *err) QV_MUST_USE;
void qv__join_output_reset(qv_join_output *o);
/* Starts a probe batch (borrowed until the next call): clears the per-row
 * match flags. */
qv_status qv__join_output_set_probe(qv_join_output *o, qv_record_batch *probe, qv_error *err) QV_MUST_USE;
/* Handles key-equal pairs: evaluates the filter (if any) on them, records
 * which build rows (visited / maybe) and probe rows found a match, and for
 * joins that output pairs sets *out to the matching pairs (NULL when there
 * are none). The index arrays may be reordered. */
qv_status qv__join_output_pairs(qv_join_output *o, uint32_t *bidx, uint32_t *pidx, int64_t n, qv_record_batch **out,
                                qv_error *err) QV_MUST_USE;
/* After every pair of the probe batch: the probe rows the join outputs on
 * their own (right/full: unmatched rows padded with NULLs; right semi:
 * matched rows; right anti: the others), or NULL. */
qv_status qv__join_output_probe_rows(qv_join_output *o, qv_record_batch **out, qv_error *err) QV_MUST_USE;
/* Once every probe partition is done: the next chunk of build rows the join
 * outputs (from *cursor, advanced), or NULL at the end. */
qv_status qv__join_output_build_rows(qv_join_output *o, int64_t *cursor, qv_record_batch **out,
                                     qv_error *err) QV_MUST_USE;

/* Whether build row r found a match (atomic read). */
static inline bool qv__join_visited(const qv_join_build *b, int64_t r) {
  return atomic_load_explicit(&b->visited[r], memory_order_relaxed) != 0;
}
/* Marks build row r as matched; skips the store (and the cache-line
 * transfer between partitions) when it already is. */
static inline void qv__join_visit(qv_join_build *b, int64_t r) {
  if (!atomic_load_explicit(&b->visited[r], memory_order_relaxed))
    atomic_store_explicit(&b->visited[r], 1, memory_order_relaxed);
}

#endif
