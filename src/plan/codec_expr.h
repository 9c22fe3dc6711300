/* Standalone expressions as bytes (a quiver.PhysicalExpr message): the
 * expression layer of the plan codec on its own, for tests and tools. It
 * needs no protobuf headers. */
#ifndef QV_PLAN_CODEC_EXPR_H
#define QV_PLAN_CODEC_EXPR_H

#include "quiver/expr.h"

/* Appends the encoding of x to out (left as it was on failure). Errors:
 * QV_INVALID for an expression deeper than QV_PLAN_MAX_DEPTH; QV_NOMEM. */
qv_status qv__expr_encode(const qv_expr *x, qv_bytes *out, qv_error *err) QV_MUST_USE;
/* Rebuilds an expression over input from untrusted bytes, resolving
 * functions in session (may be NULL). Errors as for qv_plan_decode,
 * prefixed "expression". */
qv_status qv__expr_decode(const uint8_t *data, int64_t len, const qv_schema *input, qv_session_state *session,
                          qv_expr **out, qv_error *err) QV_MUST_USE;

#endif
