/* Physical expressions and aggregate expressions.
 *
 * An expression is an immutable, reference-counted tree built against an
 * input schema and type-checked when it is built: its result type and
 * nullability are known before it ever runs, and a plan whose expressions do
 * not type-check cannot be built. Evaluation is vectorised: an expression
 * evaluates over a whole record batch and yields an array of the batch's
 * length (literals broadcast); kernels loop over whole columns with no
 * per-row indirect calls.
 *
 * Type rules follow DuckDB and DataFusion: integers widen to the larger type,
 * integer and decimal combine as decimal, anything with a float becomes
 * float64; integer overflow is an error (QV_OUT_OF_RANGE), not a wrap;
 * decimal results take the precision and scale rules of DataFusion (add:
 * max(s1,s2) scale; multiply: s1+s2; divide: s1 + max(6, p2 + 1)... see
 * docs/api.md), capped at 38 digits. */
#ifndef QUIVER_EXPR_H
#define QUIVER_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/array.h"
#include "quiver/session.h"
#include "quiver/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qv_expr qv_expr;

typedef enum qv_binary_op {
  QV_OP_ADD = 0, QV_OP_SUB = 1, QV_OP_MUL = 2, QV_OP_DIV = 3, QV_OP_MOD = 4,
  QV_OP_EQ = 5, QV_OP_NE = 6, QV_OP_LT = 7, QV_OP_LE = 8, QV_OP_GT = 9, QV_OP_GE = 10,
  QV_OP_AND = 11, QV_OP_OR = 12
} qv_binary_op;

qv_expr *qv_expr_ref(qv_expr *e);
void qv_expr_unref(qv_expr *e);

/* ---- leaves --------------------------------------------------------------- */

/* A reference to input column `index` of `input`. Errors: QV_INVALID out of
 * range. */
qv_status qv_expr_column(const qv_schema *input, int32_t index, qv_expr **out, qv_error *err) QV_MUST_USE;
/* A reference by name. Errors: QV_NOT_FOUND naming the column. */
qv_status qv_expr_column_named(const qv_schema *input, const char *name, qv_expr **out,
                               qv_error *err) QV_MUST_USE;
/* A literal: `value` is an array of length 1 (takes a reference); a null
 * literal is a length-1 array whose slot is null. */
qv_status qv_expr_literal(qv_array *value, qv_expr **out, qv_error *err) QV_MUST_USE;
qv_status qv_expr_literal_int64(int64_t v, qv_expr **out, qv_error *err) QV_MUST_USE;
qv_status qv_expr_literal_double(double v, qv_expr **out, qv_error *err) QV_MUST_USE;
qv_status qv_expr_literal_bool(bool v, qv_expr **out, qv_error *err) QV_MUST_USE;
qv_status qv_expr_literal_string(const char *v, qv_expr **out, qv_error *err) QV_MUST_USE;
/* unscaled value v with precision and scale: 1234, 15, 2 is 12.34. */
qv_status qv_expr_literal_decimal(int64_t v, int32_t precision, int32_t scale, qv_expr **out,
                                  qv_error *err) QV_MUST_USE;
qv_status qv_expr_literal_date32(int32_t days, qv_expr **out, qv_error *err) QV_MUST_USE;
qv_status qv_expr_literal_null(qv_data_type *type, qv_expr **out, qv_error *err) QV_MUST_USE;

/* ---- operators ------------------------------------------------------------ */

/* Constructors take references to their operand expressions (the caller keeps
 * its own). Each checks types: QV_TYPE_ERROR with a message naming the
 * operator and the operand types when they do not fit. */
qv_status qv_expr_binary(qv_binary_op op, qv_expr *left, qv_expr *right, qv_expr **out,
                         qv_error *err) QV_MUST_USE;
qv_status qv_expr_not(qv_expr *e, qv_expr **out, qv_error *err) QV_MUST_USE;
qv_status qv_expr_negate(qv_expr *e, qv_expr **out, qv_error *err) QV_MUST_USE;
qv_status qv_expr_is_null(qv_expr *e, bool negated, qv_expr **out, qv_error *err) QV_MUST_USE;
/* e [NOT] IN (list...), SQL semantics: NULL when no match and a NULL in list. */
qv_status qv_expr_in_list(qv_expr *e, qv_expr *const *list, int32_t n, bool negated, qv_expr **out,
                          qv_error *err) QV_MUST_USE;
qv_status qv_expr_between(qv_expr *e, qv_expr *low, qv_expr *high, bool negated, qv_expr **out,
                          qv_error *err) QV_MUST_USE;
/* e [NOT] LIKE/ILIKE pattern (a string expression; literal patterns get fast
 * paths for prefix%, %suffix and %contains%). */
qv_status qv_expr_like(qv_expr *e, qv_expr *pattern, bool negated, bool case_insensitive, qv_expr **out,
                       qv_error *err) QV_MUST_USE;
/* CASE [base] WHEN w THEN t ... [ELSE else_] END; base and else_ may be NULL. */
qv_status qv_expr_case(qv_expr *base, qv_expr *const *whens, qv_expr *const *thens, int32_t n,
                       qv_expr *else_, qv_expr **out, qv_error *err) QV_MUST_USE;
qv_status qv_expr_cast(qv_expr *e, qv_data_type *to, qv_expr **out, qv_error *err) QV_MUST_USE;
/* A built-in function (coalesce, nullif, substring, upper, lower, trim,
 * length, concat, starts_with, date_part/extract, date_trunc, abs, round,
 * floor, ceil, ...) or a scalar UDF registered in `session`, by name
 * (case-insensitive). Errors: QV_NOT_FOUND "unknown function 'f'". */
qv_status qv_expr_function(const qv_session_state *session, const char *name, qv_expr *const *args,
                           int32_t n_args, qv_expr **out, qv_error *err) QV_MUST_USE;

/* ---- inspection and evaluation --------------------------------------------- */

qv_data_type *qv_expr_type(const qv_expr *e); /* borrowed */
bool qv_expr_nullable(const qv_expr *e);
/* SQL-like text of the expression ("l_tax > 0.05"), appended to out. */
qv_status qv_expr_to_string(const qv_expr *e, qv_bytes *out, qv_error *err) QV_MUST_USE;

/* Evaluates e over batch (whose schema must be the one e was built for) into
 * an array of batch's length (caller owns it). alloc may be NULL.
 * Errors: QV_OUT_OF_RANGE (overflow, division by zero), a UDF's errors. */
qv_status qv_expr_evaluate(const qv_expr *e, qv_record_batch *batch, qv_allocator *alloc, qv_array **out,
                           qv_error *err) QV_MUST_USE;

/* ---- aggregates --------------------------------------------------------------- */

typedef struct qv_aggregate_expr qv_aggregate_expr;

/* An aggregate call: count (n_args 0 = count(*)), sum, avg, min, max, or a
 * user aggregate registered in `session`, with [DISTINCT]. Its partial state
 * is a set of Arrow columns (qv_aggregate_state_fields) so that partial
 * results can be shuffled between workers. Errors: QV_NOT_FOUND for unknown
 * functions, QV_TYPE_ERROR for unsupported argument types. */
qv_status qv_aggregate_create(const qv_session_state *session, const char *name, qv_expr *const *args,
                              int32_t n_args, bool distinct, const char *output_name,
                              qv_aggregate_expr **out, qv_error *err) QV_MUST_USE;
qv_aggregate_expr *qv_aggregate_ref(qv_aggregate_expr *a);
void qv_aggregate_unref(qv_aggregate_expr *a);
qv_data_type *qv_aggregate_type(const qv_aggregate_expr *a);  /* final result type; borrowed */
const char *qv_aggregate_name(const qv_aggregate_expr *a);     /* output column name */
int32_t qv_aggregate_num_state_fields(const qv_aggregate_expr *a);
qv_field *qv_aggregate_state_field(const qv_aggregate_expr *a, int32_t i); /* borrowed */

#ifdef __cplusplus
}
#endif
#endif
