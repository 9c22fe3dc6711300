/* Physical expressions and aggregate expressions.
 *
 * An expression is an immutable, reference-counted tree built against an
 * input schema and type-checked when it is built: its result type and
 * nullability are known before it ever runs, and a plan whose expressions do
 * not type-check cannot be built. Evaluation is vectorised: an expression
 * evaluates over a whole record batch and yields an array of the batch's
 * length (literals broadcast); kernels loop over whole columns with no
 * per-row indirect calls. Built expressions may be evaluated by any number
 * of threads at once.
 *
 * Type rules follow DuckDB and DataFusion: integers widen to the larger type
 * (a signed and an unsigned one to a signed type holding both); integer and
 * decimal combine as decimal; anything with a float becomes float64; a
 * literal adapts to the other operand (an integer literal to its integer
 * type when it fits, a string literal to any type it casts to, so
 * "l_shipdate <= '1998-09-02'" compares dates). Where a kernel needs one
 * type, constructors insert implicit casts (folded right away for literals).
 * Dictionary columns behave as their values.
 *
 * Arithmetic: integer overflow is an error (QV_OUT_OF_RANGE naming the
 * operator and the values), never a wrap; integer and decimal division and
 * modulo by zero are errors; floats follow IEEE. Integer division truncates,
 * % takes the dividend's sign. Decimal results take the Hive/Spark rules
 * that DataFusion follows, for decimal(p1,s1) op decimal(p2,s2):
 *   + -  scale max(s1,s2), precision max(p1-s1, p2-s2) + max(s1,s2) + 1
 *   *    scale s1+s2, precision p1+p2+1
 *   /    scale max(6, s1+p2+1), precision p1-s1+s2+scale (rounded half away
 *        from zero; DuckDB divides decimals in double instead)
 *   %    scale max(s1,s2), precision min(p1-s1, p2-s2) + max(s1,s2)
 * a precision over 38 becomes 38 with scale max(38 - integer digits,
 * min(scale, 6)); a value that does not fit is QV_OUT_OF_RANGE. An integer
 * joins as decimal(its digits, 0) (a literal: the digits of its value, so
 * 1 - l_discount is decimal(16,2) for decimal(15,2), as in DuckDB).
 * Dates: date +- integer days, date - date (int64 days), date or timestamp
 * +- an interval literal (months first, clamped to the month's end).
 *
 * NULLs: comparisons and arithmetic are NULL when an operand is; AND, OR and
 * NOT use three-valued logic (FALSE AND NULL is FALSE); IN is NULL when
 * nothing matches and the list holds a NULL. AND/OR skip their right side
 * when the left decides every row, and CASE/COALESCE evaluate each branch
 * only on the rows that take it (so a guarded division does not fail).
 * Casts round half away from zero when they drop decimal digits, and fail
 * (naming the value) on unparsable strings and values out of range. */
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
/* A built-in function or a scalar UDF registered in `session` (may be NULL:
 * built-ins only), by name (case-insensitive); a UDF of the same name as a
 * built-in wins. Built-ins:
 *   conditional  coalesce(x, ...) (aliases ifnull, nvl), nullif(a, b)
 *   strings      substring/substr(s, start[, len]) (1-based, in characters,
 *                PostgreSQL rules for start < 1), upper, lower (ASCII),
 *                trim/btrim/ltrim/rtrim(s[, chars]), length/char_length
 *                (characters), octet_length, concat(x, ...) (skips NULLs,
 *                never NULL; non-strings are cast to text), starts_with,
 *                ends_with, contains
 *   dates        date_part/extract('year'|'quarter'|'month'|'week'|'day'|
 *                'dow'|'isodow'|'doy'|'hour'|'minute'|'second'|'millisecond'|
 *                'microsecond'|'epoch', d) (int64; epoch float64),
 *                date_trunc('year'|'quarter'|'month'|'week'|'day'|'hour'|
 *                'minute'|'second', d) (same type as d), date_add(d, days),
 *                date_sub(d, days), add_months(d, n), add_years(d, n) (end of
 *                month clamped); the field/unit must be a string literal
 *   math         abs, round(x[, digits]) (half away from zero; a decimal
 *                keeps min(scale, digits) digits, digits a literal), floor,
 *                ceil/ceiling, trunc, sign, and on float64: sqrt, cbrt, exp,
 *                ln, log10, log2, power/pow
 * A UDF's arguments are converted to its declared types when that loses
 * nothing (or, for literals, when a cast exists); its result is checked
 * against the declared type and the batch length at every call.
 * Errors: QV_NOT_FOUND "unknown function 'f'", QV_TYPE_ERROR for argument
 * counts and types. */
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
