/* What SortExec (sort.c) and SortPreservingMergeExec (sort_preserving_merge.c)
 * share (sort_keys.c): the sort specification (key expressions and their
 * directions), evaluating and encoding keys, and the radix sort of key
 * entries.
 *
 * Keys are ordered as byte strings. A multi-column or variable-width key is
 * encoded with the row format of compute.h, whose rows compare with memcmp
 * (then length) in SQL order. A single key of a fixed-width type of at most 8
 * bytes (ints, floats, dates, times, timestamps, durations, bool) skips the
 * row format: it is "normalised" straight into an unsigned 64-bit integer
 * whose order is the SQL order, plus a null rank, and sorts without touching
 * row bytes at all. */
#ifndef QV_EXEC_SORT_INTERNAL_H
#define QV_EXEC_SORT_INTERNAL_H

#include <string.h>

#include "exec/exec_internal.h"
#include "quiver/compute.h"

/* The keys of a sort, fixed when the plan is built. */
typedef struct qv_sort_spec {
  int32_t n_keys;
  qv_sort_key *keys;     /* one reference to each expression */
  qv_sort_options *opts; /* the row-format options of each key */
  bool normalized;       /* one fixed-width key: the uint64 path */
} qv_sort_spec;

/* Copies keys (taking references to their expressions) and checks that every
 * key type can be ordered. op names the operator in messages. Errors:
 * QV_INVALID (no keys, a NULL expression), QV_NOT_IMPLEMENTED (nested and
 * union key types), QV_NOMEM. On failure spec is left reset. */
qv_status qv__sort_spec_init(qv_sort_spec *spec, const char *op, const qv_sort_key *keys, int32_t n_keys,
                             qv_error *err) QV_MUST_USE;
void qv__sort_spec_reset(qv_sort_spec *spec);
/* Appends "a DESC NULLS LAST, b ASC" (the NULLS clause only where it differs
 * from the default: NULLS LAST for ASC, NULLS FIRST for DESC). */
qv_status qv__sort_spec_describe(const qv_sort_spec *spec, qv_bytes *out, qv_error *err) QV_MUST_USE;
/* Evaluates every key over batch into cols[0..n_keys) (caller unrefs each).
 * On failure no column is left. */
qv_status qv__sort_spec_evaluate(const qv_sort_spec *spec, qv_record_batch *batch, qv_allocator *alloc,
                                 qv_array **cols, qv_error *err) QV_MUST_USE;

/* ---- entries and the radix sort ---------------------------------------------- */

/* One row to sort. Row-format keys: `key` holds 8 bytes of the row read
 * big-endian (so integer order is memcmp order; short rows are padded with
 * zeros) and `aux` how many bytes of the row are left from there, capped at
 * 9 ("more than this window"). Normalised keys: `key` is the normalised value
 * and `aux` the null rank (0 nulls first, 1 values, 2 nulls last). `row`
 * says which row it is (the caller's numbering). */
typedef struct qv_sort_entry {
  uint64_t key;
  uint32_t row;
  uint32_t aux;
} qv_sort_entry;

#define QV_SORT_RANK_NULLS_FIRST 0u
#define QV_SORT_RANK_VALUE 1u
#define QV_SORT_RANK_NULLS_LAST 2u

/* Row-format keys: row r occupies data[offsets[r] .. offsets[r+1]). */
typedef struct qv_sort_rows {
  const uint8_t *data;
  const int64_t *offsets;
} qv_sort_rows;

/* Writes e[i] = the first window of row i of rows, numbered first_number + i,
 * for i < n. */
void qv__sort_entries_from_rows(const qv_sort_rows *rows, int64_t n, uint32_t first_number, qv_sort_entry *e);

/* Normalises a key column (one the spec marks `normalized`) into e[i].key
 * and e[i].aux for rows 0..n-1, numbering them e[i].row = first_row + i. */
void qv__sort_normalize(const qv_sort_spec *spec, const qv_array *col, int64_t n, uint32_t first_row,
                        qv_sort_entry *e);

/* Sorts e[0..n) by key order: normalised entries by (aux, key); row-format
 * entries by their whole rows, reading rows for ties beyond the first 8
 * bytes (rows NULL means the entries are normalised). Scratch comes from
 * alloc; the only error is running out of it (QV_NOMEM). Not stable. */
qv_status qv__sort_entries(qv_sort_entry *e, int64_t n, const qv_sort_rows *rows, qv_allocator *alloc,
                           qv_error *err) QV_MUST_USE;

/* qv__sort_entries for entries that sit in pieces (pieces[i] holds
 * counts[i] entries, n in all): sorts them into out, whose first pass reads
 * the pieces directly, so they need not be copied together first and the
 * scratch is only as large as the largest first-level bucket. */
qv_status qv__sort_entries_gather(qv_sort_entry *const *pieces, const int64_t *counts, int32_t n_pieces,
                                  qv_sort_entry *out, int64_t n, const qv_sort_rows *rows, qv_allocator *alloc,
                                  qv_error *err) QV_MUST_USE;

/* Orders two row-format rows: <0, 0, >0. */
static inline int qv__sort_row_compare(const uint8_t *a, int64_t la, const uint8_t *b, int64_t lb) {
  int c = memcmp(a, b, (size_t)(la < lb ? la : lb));
  if (c != 0) return c;
  return la < lb ? -1 : la > lb;
}

/* Up to 8 bytes at p (n of them) as a big-endian integer, zero-padded. */
static inline uint64_t qv__sort_load_prefix(const uint8_t *p, int64_t n) {
  uint64_t v = 0;
  if (n >= 8) {
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
  }
  uint8_t buf[8] = {0};
  if (n > 0) memcpy(buf, p, (size_t)n);
  memcpy(&v, buf, 8);
  return __builtin_bswap64(v);
}

/* The status to report when an allocation from the query's pool failed: with
 * a memory limit, QV_RESOURCE_EXHAUSTED "<op>: memory limit of N bytes
 * exceeded (<what>)"; otherwise QV_NOMEM. */
qv_status qv__sort_memory_error(qv_allocator *pool, const char *op, const char *what, qv_error *err);
/* Turns a QV_NOMEM that a kernel reported while allocating from pool into
 * the error above (keeping the kernel's message as context); other statuses
 * pass through. */
qv_status qv__sort_check_nomem(qv_status st, qv_allocator *pool, const char *op, qv_error *err);

#endif
