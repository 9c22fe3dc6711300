/* The built-in function registry and user scalar function calls.
 *
 * Built-ins are grouped by concern (functions_string.c, functions_datetime.c,
 * functions_math.c, kernels_case.c for the conditionals); this file finds
 * one by name and runs user functions: their arguments are evaluated into
 * full arrays (scalars repeated, as the UDF contract promises n_rows values
 * per argument), the UDF is invoked once per batch, and what it returns is
 * checked against the declared type and the batch length. */
#include <stdlib.h>
#include <strings.h>

#include "expr/expr_internal.h"

const qv_function_def *qv__function_find(const char *name) {
  static const struct {
    const qv_function_def *defs;
    const int32_t *n;
  } groups[] = {{qv__string_functions, &qv__n_string_functions},
                {qv__datetime_functions, &qv__n_datetime_functions},
                {qv__math_functions, &qv__n_math_functions},
                {qv__conditional_functions, &qv__n_conditional_functions}};
  for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
    for (int32_t i = 0; i < *groups[g].n; i++)
      if (strcasecmp(groups[g].defs[i].name, name) == 0) return &groups[g].defs[i];
  return NULL;
}

qv_status qv__eval_udf(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  out->array = NULL;
  out->scalar = false;
  int32_t n = e->n_children;
  int64_t rows = ctx->n_rows;
  qv_datum *d = calloc((size_t)n + 1, sizeof *d);
  qv_array **args = calloc((size_t)n + 1, sizeof *args);
  qv_status st = d && args ? QV_OK : qv_error_set(err, QV_NOMEM, "function %s: out of memory", e->name);
  if (st == QV_OK) st = qv__expr_eval_children(e, ctx, d, err);
  bool evaluated = st == QV_OK;
  for (int32_t i = 0; st == QV_OK && i < n; i++) st = qv__datum_to_array(ctx->alloc, &d[i], rows, &args[i], err);
  qv_array *result = NULL;
  if (st == QV_OK) {
    qv_error inner;
    qv_error_init(&inner);
    st = e->udf->invoke(e->udf->user_data, args, n, rows, &result, &inner);
    if (st != QV_OK) {
      qv_error_set(err, st, "function %s: %s", e->name, inner.message);
      qv_array_unref(result);
      result = NULL;
    }
  }
  if (st == QV_OK) {
    char want[96], got[96];
    if (!result)
      st = qv_error_set(err, QV_INVALID, "function %s returned no array", e->name);
    else if (!qv_type_equals(result->type, e->type))
      st = qv_error_set(err, QV_INVALID, "function %s returned an array of %s, but it is declared to return %s",
                        e->name, qv_type_to_string(result->type, got, sizeof got),
                        qv_type_to_string(e->type, want, sizeof want));
    else if (result->length != rows)
      st = qv_error_set(err, QV_INVALID, "function %s returned %lld rows for a batch of %lld", e->name,
                        (long long)result->length, (long long)rows);
    if (st != QV_OK) {
      qv_array_unref(result);
      result = NULL;
    }
  }
  out->array = result;
  for (int32_t i = 0; args && i < n; i++) qv_array_unref(args[i]);
  for (int32_t i = 0; evaluated && i < n; i++) qv__datum_release(&d[i]);
  free(args);
  free(d);
  return st;
}
