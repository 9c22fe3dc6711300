/* Internal layout of scalar expressions and the pieces their evaluation
 * shares: the expression node, the evaluation context and datums (an array or
 * a broadcast scalar), the built-in function table, and the kernels each
 * src/expr file implements. The plan codec walks trees through the
 * accessors at the end (kind, children, literal value, operator, function
 * name, cast type) and rebuilds them with the public constructors of expr.h,
 * which re-run the same (idempotent) type coercion. */
#ifndef QV_EXPR_INTERNAL_H
#define QV_EXPR_INTERNAL_H

#include <stdatomic.h>

#include "arrow/internal.h"
#include "quiver/expr.h"

/* ---- the tree ------------------------------------------------------------- */

typedef enum qv_expr_kind {
  QV_EXPR_COLUMN = 0, /* input column column_index */
  QV_EXPR_LITERAL,    /* literal: a length-1 array */
  QV_EXPR_BINARY,     /* children: left, right; op */
  QV_EXPR_NOT,        /* children: operand */
  QV_EXPR_NEGATE,     /* children: operand */
  QV_EXPR_IS_NULL,    /* children: operand; negated = IS NOT NULL */
  QV_EXPR_IN_LIST,    /* children: value, item 0, item 1, ...; negated */
  QV_EXPR_BETWEEN,    /* children: value, low, high; negated */
  QV_EXPR_LIKE,       /* children: value, pattern; negated, case_insensitive */
  QV_EXPR_CASE,       /* children: [base], when 0, then 0, ..., [else]; has_base, has_else */
  QV_EXPR_CAST,       /* children: operand; type is the target; implicit */
  QV_EXPR_FUNCTION,   /* a built-in function: fn, name; children are the arguments */
  QV_EXPR_UDF,        /* a user scalar function: udf, name; children are the arguments */
  QV_EXPR_KIND_COUNT
} qv_expr_kind;

typedef struct qv_eval_ctx qv_eval_ctx;
typedef struct qv_datum qv_datum;
typedef struct qv_function_def qv_function_def;

struct qv_expr {
  atomic_int_fast64_t refcount;
  qv_expr_kind kind;
  qv_data_type *type; /* result type (one reference) */
  bool nullable;
  int32_t n_children;
  qv_expr **children; /* one reference each */

  int32_t column_index;     /* COLUMN */
  char *name;               /* COLUMN: field name; FUNCTION, UDF: lower-case function name */
  qv_array *literal;        /* LITERAL: one reference to a length-1 array */
  qv_binary_op op;          /* BINARY */
  bool negated;             /* IS_NULL, IN_LIST, BETWEEN, LIKE */
  bool case_insensitive;    /* LIKE */
  bool has_base, has_else;  /* CASE */
  bool implicit;            /* CAST inserted by type coercion (to_string omits it) */
  const qv_function_def *fn;  /* FUNCTION */
  const qv_scalar_udf *udf;   /* UDF: borrowed from session */
  qv_session_state *session;  /* UDF: one reference, keeps udf alive */

  /* Private to the kernel of the node, prepared once when the node is built
   * (an IN list's hash set, a LIKE pattern's compiled form, a function's
   * parsed options). Freed with state_free. */
  void *state;
  void (*state_free)(void *state);
};

/* A node of `kind` with n_children slots, zeroed; refcount 1. NULL on OOM. */
qv_expr *qv__expr_alloc(qv_expr_kind kind, int32_t n_children);

/* Wraps e in an implicit cast to `to` unless it already has that type; a
 * literal is cast right away into a new literal (so "l_tax > 0.05" costs no
 * per-batch cast). Takes over the caller's reference to *e and replaces it.
 * Errors: QV_TYPE_ERROR when no cast exists, the cast's errors for literals. */
qv_status qv__expr_coerce(qv_expr **e, qv_data_type *to, qv_error *err) QV_MUST_USE;

/* Converts xs[0..n) (owned references, replaced in place) to their common
 * type (*common gets one reference). `what` names the construct in errors. */
qv_status qv__expr_coerce_all(qv_expr **xs, int32_t n, const char *what, qv_data_type **common,
                              qv_error *err) QV_MUST_USE;

/* A literal node holding a new reference to value (length 1). */
qv_status qv__expr_make_literal(qv_array *value, qv_expr **out, qv_error *err) QV_MUST_USE;

/* ---- type rules (coerce.c) --------------------------------------------------- */

bool qv__type_is_numeric(qv_type_id id);   /* ints, floats, decimal128 */
bool qv__type_is_string(qv_type_id id);    /* utf8, large_utf8 */
bool qv__type_is_temporal(qv_type_id id);  /* date32, timestamp */
/* The value type a dictionary column behaves as in expressions (its value
 * type); other types are returned unchanged. Borrowed. */
qv_data_type *qv__type_logical(qv_data_type *t);
/* Decimal precision needed for every value of an integer type (int32: 10). */
int32_t qv__integer_digits(qv_type_id id);
/* Digits of a non-null integer literal's value (0 when lit is not one). */
int32_t qv__literal_digits(const qv_array *lit);

/* The type both sides of a comparison (or the branches of CASE, the
 * arguments of COALESCE, an IN list) are converted to, or NULL when they do
 * not fit. For two decimals this is the decimal that holds both. New
 * reference. `lit_a`/`lit_b` are the literal values when a side is a
 * literal: integer literals adapt to the other side's integer type when they
 * fit, string literals to the other side's type (DuckDB's rule). */
qv_data_type *qv__common_type(qv_data_type *a, qv_data_type *b, const qv_array *lit_a, const qv_array *lit_b);

/* Result decimal type of left `op` right on decimal(p1,s1), decimal(p2,s2)
 * (see the rule in coerce.c). Errors: QV_TYPE_ERROR for an impossible scale. */
qv_status qv__decimal_result_type(qv_binary_op op, int32_t p1, int32_t s1, int32_t p2, int32_t s2,
                                  qv_data_type **out, qv_error *err) QV_MUST_USE;

/* Whether a value of `from` converts to `to` without loss, so that it may
 * be converted silently (function signatures): integer widening, integers
 * to floats and wide enough decimals, decimal widening, float32 to float64,
 * utf8 to large_utf8, date32 to timestamp, NULL and dictionaries to their
 * values. Literals may use any cast instead. */
bool qv__can_coerce_implicitly(const qv_data_type *from, const qv_data_type *to);

/* Whether CAST(from AS to) is supported (the cast kernel's matrix). */
bool qv__can_cast(const qv_data_type *from, const qv_data_type *to);

const char *qv__binary_op_symbol(qv_binary_op op);

/* ---- evaluation ----------------------------------------------------------------- */

/* An evaluated operand: an array of the context's row count, or (scalar) a
 * length-1 array standing for every row, so that literals never get
 * broadcast unless a kernel needs a full column. */
struct qv_datum {
  qv_array *array; /* one reference */
  bool scalar;
};

/* What evaluation reads: the input columns and the number of rows. A
 * selection context stands for the rows `selection` of its parent (CASE
 * evaluates a branch only on the rows that take it, so that `CASE WHEN x = 0
 * THEN 0 ELSE 1 / x END` does not fail); its columns are taken from the
 * parent on first use. */
struct qv_eval_ctx {
  qv_allocator *alloc;
  int64_t n_rows;
  int32_t n_columns;
  qv_array **columns;      /* batch columns (borrowed), or lazily taken (owned) in a selection */
  qv_eval_ctx *parent;     /* selection contexts only */
  const int64_t *selection;
};

/* Evaluates e. *out gets one reference. */
qv_status qv__expr_eval(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) QV_MUST_USE;
/* Evaluates every child of e into datums[0..n_children). On failure, the
 * datums evaluated so far are released. */
qv_status qv__expr_eval_children(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *datums,
                                 qv_error *err) QV_MUST_USE;
/* Evaluates e on rows `selection[0..n)` of ctx only. */
qv_status qv__expr_eval_selection(const qv_expr *e, qv_eval_ctx *ctx, const int64_t *selection, int64_t n,
                                  qv_datum *out, qv_error *err) QV_MUST_USE;
/* Column i of the context (borrowed). */
qv_status qv__eval_ctx_column(qv_eval_ctx *ctx, int32_t i, qv_array **out, qv_error *err) QV_MUST_USE;
/* Whether evaluating e can fail on some values (division, casts from strings,
 * integer arithmetic, UDFs): such branches of CASE run on their rows only. */
bool qv__expr_can_fail(const qv_expr *e);

void qv__datum_release(qv_datum *d);
/* A scalar datum whose value is null. */
bool qv__datum_is_null_scalar(const qv_datum *d);
/* An array of n rows: the array itself, or the scalar repeated. */
qv_status qv__datum_to_array(qv_allocator *alloc, const qv_datum *d, int64_t n, qv_array **out,
                             qv_error *err) QV_MUST_USE;
/* A scalar datum holding a null of type t. */
qv_status qv__datum_null(qv_allocator *alloc, qv_data_type *t, qv_datum *out, qv_error *err) QV_MUST_USE;

/* ---- array helpers (array_util.c) --------------------------------------------- */

/* Bit `i` (absolute, offset included) of a validity bitmap that may be NULL. */
static inline bool qv__valid_at(const uint8_t *validity, int64_t i) {
  return !validity || ((validity[i >> 3] >> (i & 7)) & 1);
}
/* Copies n bits from src at bit offset src_off to dst at bit 0 (dst holds
 * (n+7)/8 bytes; bits past n are cleared). A NULL src (no validity bitmap)
 * gives all ones. */
void qv__bitmap_align(uint8_t *dst, const uint8_t *src, int64_t src_off, int64_t n);
/* dst[0..n) &= src[src_off..src_off+n). */
void qv__bitmap_and_into(uint8_t *dst, const uint8_t *src, int64_t src_off, int64_t n);
/* The validity of n rows (offset 0) of datums a and b (b may be NULL): NULL
 * when no row is null, else a new buffer; *null_count gets the nulls. A null
 * scalar makes every row null. */
qv_status qv__validity_and(qv_allocator *alloc, const qv_datum *a, const qv_datum *b, int64_t n,
                           qv_buffer **out, int64_t *null_count, qv_error *err) QV_MUST_USE;
/* The validity of array a as an offset-0 bitmap: a reference to a's own
 * (sliced) buffer when a's offset is a multiple of 8, else a copy. NULL when
 * a has no nulls. */
qv_status qv__validity_of(qv_allocator *alloc, qv_array *a, qv_buffer **out, int64_t *null_count,
                          qv_error *err) QV_MUST_USE;
/* A new buffer of size bytes (contents undefined); zeroed variant. */
qv_status qv__buffer_new(qv_allocator *alloc, int64_t size, qv_buffer **out, qv_error *err) QV_MUST_USE;
qv_status qv__buffer_zeroed(qv_allocator *alloc, int64_t size, qv_buffer **out, qv_error *err) QV_MUST_USE;
/* An offset-0 array of a fixed-width or bool type from its validity (may be
 * NULL) and values buffer. Takes over both references (also on failure). */
qv_status qv__array_from_buffers(qv_data_type *type, int64_t n, qv_buffer *validity, int64_t null_count,
                                 qv_buffer *values, qv_array **out, qv_error *err) QV_MUST_USE;
/* Rows idx[0..n) of a (an index < 0 makes a null row). Supports every type
 * but unions. */
qv_status qv__array_take(qv_allocator *alloc, qv_array *a, const int64_t *idx, int64_t n, qv_array **out,
                         qv_error *err) QV_MUST_USE;
/* A dictionary array decoded into an array of its value type. */
qv_status qv__dictionary_decode(qv_allocator *alloc, qv_array *a, qv_array **out, qv_error *err) QV_MUST_USE;
/* The indices of a dictionary array widened to int64 (-1 for null rows);
 * caller frees with free(). */
qv_status qv__dictionary_indices(qv_array *a, int64_t **out, qv_error *err) QV_MUST_USE;
/* Row i of output takes row idx[i] of sources[src[i]] (a scalar source: row
 * 0). src[i] < 0 makes a null row. Sources all have type `type`; fixed-width,
 * bool, binary-like and null types. */
qv_status qv__array_interleave(qv_allocator *alloc, qv_data_type *type, const qv_datum *sources,
                               int32_t n_sources, const int32_t *src, const int64_t *idx, int64_t n,
                               qv_array **out, qv_error *err) QV_MUST_USE;

/* Binary-like values (utf8, large_utf8, binary, large_binary) read without
 * a per-row branch on the offset width in the hot loops that care. */
typedef struct qv_str_view {
  const uint8_t *data;
  const int32_t *off32; /* one of off32/off64 is set, already advanced by the array offset */
  const int64_t *off64;
  const uint8_t *validity; /* absolute bits; use with offset */
  int64_t offset;
} qv_str_view;

void qv__str_view_init(qv_str_view *v, const qv_array *a);
static inline const uint8_t *qv__str_at(const qv_str_view *v, int64_t i, int64_t *len) {
  int64_t b, e;
  if (v->off32) {
    b = v->off32[i];
    e = v->off32[i + 1];
  } else {
    b = v->off64[i];
    e = v->off64[i + 1];
  }
  *len = e - b;
  return v->data + b;
}

/* Builds a binary-like array row by row (offsets and data; validity is the
 * caller's, given at finish). */
typedef struct qv_str_builder {
  qv_data_type *type; /* borrowed */
  bool large;
  int64_t n, cap_rows;
  qv_bytes offsets;
  qv_bytes data;
} qv_str_builder;

qv_status qv__str_builder_init(qv_str_builder *b, qv_allocator *alloc, qv_data_type *type, int64_t rows,
                               int64_t data_hint, qv_error *err) QV_MUST_USE;
/* Appends a value (an empty one for null rows). */
qv_status qv__str_builder_append(qv_str_builder *b, const void *p, int64_t len, qv_error *err) QV_MUST_USE;
/* Reserves len bytes at the end of the data and returns where to write them;
 * then call _commit with the bytes actually written. */
qv_status qv__str_builder_reserve(qv_str_builder *b, int64_t len, uint8_t **dst, qv_error *err) QV_MUST_USE;
qv_status qv__str_builder_commit(qv_str_builder *b, int64_t len, qv_error *err) QV_MUST_USE;
/* Takes over validity (may be NULL). */
qv_status qv__str_builder_finish(qv_str_builder *b, qv_buffer *validity, int64_t null_count, qv_array **out,
                                 qv_error *err) QV_MUST_USE;
void qv__str_builder_reset(qv_str_builder *b);

/* ---- 128-bit decimals ------------------------------------------------------------ */

typedef __int128 qv_i128;

static inline qv_i128 qv__dec_load(const uint8_t *p, int64_t i) {
  qv_i128 v;
  __builtin_memcpy(&v, p + i * 16, 16);
  return v;
}
static inline void qv__dec_store(uint8_t *p, int64_t i, qv_i128 v) { __builtin_memcpy(p + i * 16, &v, 16); }
/* 10^k for 0 <= k <= 38. */
qv_i128 qv__pow10_i128(int32_t k);
/* v / 10^k rounded half away from zero (k >= 0). */
qv_i128 qv__dec_div_round(qv_i128 v, qv_i128 pow);
/* Writes v with `scale` fractional digits ("-12.34") into buf; returns length. */
int qv__dec_format(qv_i128 v, int32_t scale, char *buf, size_t size);

/* ---- kernels -------------------------------------------------------------------------- */

/* Arithmetic (+ - * / %) of two datums already coerced by qv_expr_binary;
 * result of type `type`. Errors: QV_OUT_OF_RANGE for overflow and division
 * by zero, naming the operator and the values. */
qv_status qv__kernel_arith(qv_eval_ctx *ctx, qv_binary_op op, const qv_datum *l, const qv_datum *r,
                           qv_data_type *type, qv_datum *out, qv_error *err) QV_MUST_USE;
qv_status qv__kernel_negate(qv_eval_ctx *ctx, const qv_datum *in, qv_datum *out, qv_error *err) QV_MUST_USE;
/* Date/timestamp arithmetic: date ± int days, date/timestamp ± interval,
 * date - date (functions_datetime.c). */
qv_status qv__kernel_temporal_arith(qv_eval_ctx *ctx, qv_binary_op op, const qv_datum *l, const qv_datum *r,
                                    qv_data_type *type, qv_datum *out, qv_error *err) QV_MUST_USE;
/* Comparison (= <> < <= > >=) of two datums of a common type (decimals may
 * differ in scale; dictionaries are compared through their values). */
qv_status qv__kernel_compare(qv_eval_ctx *ctx, qv_binary_op op, const qv_datum *l, const qv_datum *r,
                             qv_datum *out, qv_error *err) QV_MUST_USE;
/* AND / OR with SQL three-valued logic; NOT; IS [NOT] NULL. */
qv_status qv__kernel_logic(qv_eval_ctx *ctx, qv_binary_op op, const qv_datum *l, const qv_datum *r,
                           qv_datum *out, qv_error *err) QV_MUST_USE;
qv_status qv__kernel_not(qv_eval_ctx *ctx, const qv_datum *in, qv_datum *out, qv_error *err) QV_MUST_USE;
qv_status qv__kernel_is_null(qv_eval_ctx *ctx, const qv_datum *in, bool negated, qv_datum *out,
                             qv_error *err) QV_MUST_USE;
/* Whether every row of a boolean datum is a valid false (AND can skip its
 * right side) or a valid true (OR can). */
bool qv__datum_all_equal(const qv_datum *d, int64_t n, bool value);
/* Casts a datum (the CAST node's kernel) and a single array. */
qv_status qv__cast_array(qv_allocator *alloc, qv_array *in, qv_data_type *to, qv_array **out,
                         qv_error *err) QV_MUST_USE;

/* LIKE: compiles a literal pattern into node state (NULL state: pattern is
 * not a literal). */
qv_status qv__like_prepare(qv_expr *e, qv_error *err) QV_MUST_USE;
qv_status qv__kernel_like(qv_eval_ctx *ctx, const qv_expr *e, const qv_datum *value, const qv_datum *pattern,
                          qv_datum *out, qv_error *err) QV_MUST_USE;
/* IN list: builds the hash set of a literal list into node state. */
qv_status qv__in_list_prepare(qv_expr *e, qv_error *err) QV_MUST_USE;
qv_status qv__eval_in_list(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) QV_MUST_USE;
/* CASE; and the helpers COALESCE and NULLIF share with it. */
qv_status qv__eval_case(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) QV_MUST_USE;

/* ---- values as text (cast_string.c) ----------------------------------------------- */

/* CAST from utf8/large_utf8 (parsing) and to them (printing). Parse errors
 * are QV_INVALID, values out of the target's range QV_OUT_OF_RANGE; both
 * quote the offending value. */
qv_status qv__cast_from_string(qv_allocator *alloc, qv_array *in, qv_data_type *to, qv_array **out,
                               qv_error *err) QV_MUST_USE;
qv_status qv__cast_to_string(qv_allocator *alloc, qv_array *in, qv_data_type *to, qv_array **out,
                             qv_error *err) QV_MUST_USE;

/* Row i of a (offset applied) as text, for error messages and to_string. */
void qv__format_value(const qv_array *a, int64_t i, char *buf, size_t size);
/* Calendar helpers: days since 1970-01-01 <-> civil date. */
int64_t qv__days_from_civil(int64_t y, int32_t m, int32_t d);
void qv__civil_from_days(int64_t z, int64_t *y, int32_t *m, int32_t *d);
/* Parses "YYYY-MM-DD" (surrounding blanks allowed) into days. */
bool qv__parse_date(const char *s, int64_t n, int32_t *days);
/* Units per second of a time unit (1, 1e3, 1e6, 1e9). */
int64_t qv__unit_per_second(qv_time_unit u);

/* ---- functions (functions.c) ---------------------------------------------------------- */

struct qv_function_def {
  const char *name;
  int32_t min_args, max_args; /* max_args -1: variadic */
  /* Type-checks e->children (already set), may replace them with coerced
   * expressions, and sets e->type (one reference), e->nullable and e->state. */
  qv_status (*bind)(qv_expr *e, qv_error *err);
  /* Evaluates e (its own children, so it may evaluate them lazily). */
  qv_status (*eval)(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err);
  /* The function may fail on some values (see qv__expr_can_fail). */
  bool can_fail;
};

/* A built-in function by name (case-insensitive), or NULL. */
const qv_function_def *qv__function_find(const char *name);
extern const qv_function_def qv__string_functions[];
extern const int32_t qv__n_string_functions;
extern const qv_function_def qv__datetime_functions[];
extern const int32_t qv__n_datetime_functions;
extern const qv_function_def qv__math_functions[];
extern const int32_t qv__n_math_functions;
extern const qv_function_def qv__conditional_functions[];
extern const int32_t qv__n_conditional_functions;
/* Evaluates a user function node. */
qv_status qv__eval_udf(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) QV_MUST_USE;
/* Type error for a function: "function f(int32, utf8): <why>". */
qv_status qv__function_type_error(const qv_expr *e, qv_error *err, const char *why);

/* ---- accessors for the plan codec ----------------------------------------------------- */

static inline qv_expr_kind qv__expr_kind(const qv_expr *e) { return e->kind; }
static inline int32_t qv__expr_num_children(const qv_expr *e) { return e->n_children; }
static inline qv_expr *qv__expr_child(const qv_expr *e, int32_t i) { return e->children[i]; }
static inline int32_t qv__expr_column_index(const qv_expr *e) { return e->column_index; }
static inline qv_array *qv__expr_literal_value(const qv_expr *e) { return e->literal; }
static inline qv_binary_op qv__expr_binary_op(const qv_expr *e) { return e->op; }
static inline bool qv__expr_negated(const qv_expr *e) { return e->negated; }
static inline bool qv__expr_case_insensitive(const qv_expr *e) { return e->case_insensitive; }
static inline bool qv__expr_case_has_base(const qv_expr *e) { return e->has_base; }
static inline bool qv__expr_case_has_else(const qv_expr *e) { return e->has_else; }
/* Implicit casts (inserted by coercion) need not be encoded: rebuilding
 * the parent from the cast's operand re-inserts them. */
static inline bool qv__expr_cast_implicit(const qv_expr *e) { return e->implicit; }
/* FUNCTION / UDF: the lower-case name; COLUMN: the field name. */
static inline const char *qv__expr_name(const qv_expr *e) { return e->name; }

#endif
