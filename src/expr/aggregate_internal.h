/* Aggregate expression internals: what HashAggregateExec and the plan codec
 * read of an aggregate call (function, arguments, DISTINCT, user function),
 * the factory of grouped accumulators, and the pieces the built-in
 * accumulators (accumulators_*.c) share: a base struct whose per-group
 * vectors grow together, memory-limit errors, and array builders.
 *
 * Grouped accumulators use the public qv_group_accumulator interface of
 * session.h, for built-ins and user aggregates alike: the caller maps rows to
 * dense group ids and calls update/merge once per batch; the built-ins run
 * one typed loop over the whole batch (no per-row indirect calls).
 *
 * Built-in memory comes from the allocator given at creation (the task's
 * pool), so going over the memory limit surfaces as QV_RESOURCE_EXHAUSTED
 * with a message starting "memory limit of N bytes exceeded"; the operator
 * prefixes its own name. User accumulators allocate as they like and report
 * their size through size(). */
#ifndef QV_AGGREGATE_INTERNAL_H
#define QV_AGGREGATE_INTERNAL_H

#include <stdatomic.h>

#include "arrow/internal.h"
#include "quiver/expr.h"
#include "quiver/session.h"

typedef enum qv_aggregate_kind {
  QV_AGGREGATE_COUNT = 0, /* count(x); count(*) when it has no argument */
  QV_AGGREGATE_SUM = 1,
  QV_AGGREGATE_AVG = 2,
  QV_AGGREGATE_MIN = 3,
  QV_AGGREGATE_MAX = 4,
  QV_AGGREGATE_UDF = 5
} qv_aggregate_kind;

struct qv_aggregate_expr {
  atomic_int_fast64_t refcount;
  qv_aggregate_kind kind;
  char *function;            /* lower-case built-in name, or the UDF's registered name */
  char *name;                /* output column name */
  int32_t n_args;
  qv_expr **args;            /* one reference each */
  bool distinct;
  qv_data_type *input_type;  /* built-ins: the argument's type, dictionaries decoded; NULL for count(*) */
  qv_data_type *type;        /* final result type (one reference) */
  bool nullable;
  int32_t n_state;
  qv_field **state_fields;   /* one reference each; named "<name>[<part>]" */
  const qv_aggregate_udf *udf; /* UDF: borrowed from session */
  qv_session_state *session;   /* UDF: one reference, keeps udf alive */
};

/* ---- what the operator and the plan codec read --------------------------------- */

static inline qv_aggregate_kind qv__aggregate_kind(const qv_aggregate_expr *a) { return a->kind; }
/* "count", "sum", "avg", "min", "max", or the user function's name. */
static inline const char *qv__aggregate_function(const qv_aggregate_expr *a) { return a->function; }
static inline int32_t qv__aggregate_num_args(const qv_aggregate_expr *a) { return a->n_args; }
static inline qv_expr *qv__aggregate_arg(const qv_aggregate_expr *a, int32_t i) { return a->args[i]; }
static inline bool qv__aggregate_distinct(const qv_aggregate_expr *a) { return a->distinct; }
static inline bool qv__aggregate_nullable(const qv_aggregate_expr *a) { return a->nullable; }
/* The user function, or NULL for built-ins. */
static inline const qv_aggregate_udf *qv__aggregate_udf(const qv_aggregate_expr *a) { return a->udf; }
/* Whether the accumulators of a allocate from the allocator they are given
 * (built-ins, DISTINCT over anything); otherwise their size() must be
 * counted against the memory limit by the caller. */
static inline bool qv__aggregate_uses_allocator(const qv_aggregate_expr *a) {
  return a->kind != QV_AGGREGATE_UDF || a->distinct;
}

/* The call as SQL text ("sum(l_quantity)", "count(*)", "count(DISTINCT x)"),
 * appended to out. */
qv_status qv__aggregate_to_string(const qv_aggregate_expr *a, qv_bytes *out, qv_error *err) QV_MUST_USE;

/* Evaluates a's arguments over batch into out[0..n_args) (caller owns each);
 * built-ins see dictionary arguments decoded. On failure nothing is left in
 * out. */
qv_status qv__aggregate_eval_args(const qv_aggregate_expr *a, qv_record_batch *batch, qv_allocator *alloc,
                                  qv_array **out, qv_error *err) QV_MUST_USE;

/* A new, empty grouped accumulator for a (0 groups). Built-ins take their
 * memory from alloc, which must outlive the accumulator, as must a. The
 * caller destroys it with acc->destroy(acc). */
qv_status qv__aggregate_create_accumulator(const qv_aggregate_expr *a, qv_allocator *alloc,
                                           qv_group_accumulator **out, qv_error *err) QV_MUST_USE;

/* ---- for the built-in accumulators ------------------------------------------------- */

/* As qv__aggregate_create_accumulator, ignoring DISTINCT (the accumulator a
 * DISTINCT accumulator feeds its distinct values to). */
qv_status qv__aggregate_create_plain_accumulator(const qv_aggregate_expr *a, qv_allocator *alloc,
                                                 qv_group_accumulator **out, qv_error *err) QV_MUST_USE;

qv_status qv__count_accumulator_create(const qv_aggregate_expr *a, qv_allocator *alloc,
                                       qv_group_accumulator **out, qv_error *err) QV_MUST_USE;
/* sum and avg. */
qv_status qv__sum_accumulator_create(const qv_aggregate_expr *a, qv_allocator *alloc, qv_group_accumulator **out,
                                     qv_error *err) QV_MUST_USE;
qv_status qv__minmax_accumulator_create(const qv_aggregate_expr *a, qv_allocator *alloc,
                                        qv_group_accumulator **out, qv_error *err) QV_MUST_USE;
/* DISTINCT over any one-argument aggregate: keeps the distinct (group, value)
 * pairs; state is one list per group. */
qv_status qv__distinct_accumulator_create(const qv_aggregate_expr *a, qv_allocator *alloc,
                                          qv_group_accumulator **out, qv_error *err) QV_MUST_USE;
/* Whether DISTINCT can keep values of type t (fixed-width primitives, bool,
 * binary and utf8). */
bool qv__distinct_supports(const qv_data_type *t);

/* How many per-group vectors an accumulator base can hold. */
#define QV_ACC_MAX_VECS 4

/* The head of every built-in accumulator: the public function table, where
 * memory comes from, and per-group vectors that grow together (doubling,
 * new groups zero-filled or set by the accumulator's init hook). */
typedef struct qv_acc_base {
  qv_group_accumulator vt;
  qv_allocator *alloc;
  const qv_aggregate_expr *agg; /* borrowed; for messages */
  int64_t n_groups;             /* groups covered by the state */
  int64_t cap;                  /* groups allocated */
  int32_t n_vecs;
  uint8_t *vecs[QV_ACC_MAX_VECS];
  int32_t elem_size[QV_ACC_MAX_VECS]; /* bytes per group; 0: a bitmap, one bit per group */
  /* Optional: sets groups [from, to) of the vectors to their initial value
   * after a growth (vectors are zero-filled before it runs). */
  void (*init)(struct qv_acc_base *b, int64_t from, int64_t to);
  int64_t extra_bytes; /* memory held outside vecs (heaps, hash sets) */
  int64_t self_size;   /* bytes of the accumulator struct itself */
} qv_acc_base;

/* Allocates a zeroed accumulator struct of `size` bytes (a qv_acc_base
 * first) from alloc, with alloc, agg and self_size set. */
qv_status qv__acc_alloc(qv_allocator *alloc, int64_t size, const qv_aggregate_expr *agg, qv_acc_base **out,
                        qv_error *err) QV_MUST_USE;
/* Frees the vectors and the struct: the destroy of accumulators that hold
 * nothing else. */
void qv__acc_destroy(qv_group_accumulator *acc);

/* Registers a per-group vector; returns its index. */
int32_t qv__acc_add_vec(qv_acc_base *b, int32_t elem_size);
/* Grows every vector to hold n_groups groups (no-op when they already do)
 * and sets b->n_groups to the larger of the two. */
qv_status qv__acc_resize(qv_acc_base *b, int64_t n_groups, qv_error *err) QV_MUST_USE;
/* Frees the vectors. */
void qv__acc_free_vecs(qv_acc_base *b);
/* Bytes held: vectors plus extra_bytes (the size() of built-ins). */
int64_t qv__acc_size(const qv_group_accumulator *acc);

/* The error for a failed allocation of `bytes` from alloc: QV_RESOURCE_EXHAUSTED
 * "memory limit of N bytes exceeded <doing what>" when alloc has a limit,
 * else QV_NOMEM. */
qv_status qv__agg_alloc_error(qv_allocator *alloc, int64_t bytes, qv_error *err, const char *fmt, ...)
    QV_PRINTF(4, 5);

/* Allocates a values buffer of n elements of elem_size bytes (bitmaps when
 * elem_size is 0), contents undefined. */
qv_status qv__agg_buffer(qv_allocator *alloc, int64_t n, int32_t elem_size, qv_buffer **out,
                         qv_error *err) QV_MUST_USE;
/* An offset-0 array of a fixed-width or bool type holding n values from
 * `values` (takes over the reference, also on failure) and the validity bits
 * [0, n) of `valid` (copied; NULL: all valid). */
qv_status qv__agg_fixed_array(qv_allocator *alloc, qv_data_type *type, int64_t n, qv_buffer *values,
                              const uint8_t *valid, qv_array **out, qv_error *err) QV_MUST_USE;
/* An offset-0 array of type (fixed-width, bool, or binary-like) whose row i
 * holds the bytes heap[pos[i] .. pos[i]+len[i]) (fixed width: byte_width
 * bytes, len ignored; bool: one byte 0/1), null where `valid` (may be NULL)
 * has a clear bit. */
qv_status qv__agg_array_from_heap(qv_allocator *alloc, qv_data_type *type, const uint8_t *heap, const int64_t *pos,
                                  const int64_t *len, const uint8_t *valid, int64_t n, qv_array **out,
                                  qv_error *err) QV_MUST_USE;

/* Reading arguments in the typed loops. */
typedef struct qv_agg_input {
  const uint8_t *values;   /* buffer 1, not advanced by the offset */
  const uint8_t *validity; /* NULL when the array has no nulls */
  int64_t offset;
  int64_t length;
  const int32_t *off32;    /* binary-like: offsets (not advanced) */
  const int64_t *off64;
  const uint8_t *data;     /* binary-like: bytes */
  bool all_null;           /* the null type: every slot is null */
} qv_agg_input;

void qv__agg_input_init(qv_agg_input *in, qv_array *a);
static inline const uint8_t *qv__agg_input_str(const qv_agg_input *in, int64_t i, int64_t *len) {
  int64_t j = in->offset + i, b, e;
  if (in->off32) {
    b = in->off32[j];
    e = in->off32[j + 1];
  } else {
    b = in->off64[j];
    e = in->off64[j + 1];
  }
  *len = e - b;
  return in->data + b;
}

#endif
