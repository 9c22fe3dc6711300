/* A user scalar function registered through the session builder, used in a
 * projection and in a filter; and the clear error when a session lacks it. */
#include <stdlib.h>

#include "exec_test_util.h"
#include "test.h"

/* times_ten(int64) -> int64 */
static qv_status times_ten(void *user, qv_array *const *args, int32_t n_args, int64_t n_rows, qv_array **out,
                           qv_error *err) {
  const int64_t *v = (const int64_t *)qv_buffer_data(qv_array_buffer(args[0], 1)) + qv_array_offset(args[0]);
  qv_array_builder b;
  QV_RETURN_NOT_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_INT64), err));
  for (int64_t i = 0; i < n_rows; i++) {
    qv_status st = qv_array_builder_append_int(&b, v[i] * 10, err);
    if (st != QV_OK) {
      qv_array_builder_reset(&b);
      return st;
    }
  }
  return qv_array_builder_finish(&b, out, err);
}

static qv_session_state *session_with_udf(void) {
  qv_data_type *arg = qv_type_primitive(QV_INT64);
  qv_scalar_udf udf = {.name = "times_ten", .n_args = 1, .arg_types = &arg,
                       .return_type = qv_type_primitive(QV_INT64), .invoke = times_ten};
  qv_session_state_builder *b;
  qv_session_state *s = NULL;
  if (qv_session_state_builder_create(&b, NULL)) return NULL;
  if (qv_session_state_builder_add_scalar_udf(b, &udf, NULL) || qv_session_state_builder_build(b, &s, NULL)) s = NULL;
  qv_session_state_builder_destroy(b);
  return s;
}

QV_TEST(scalar_udf_in_projection_and_filter) {
  qv_error err = {0};
  qv_session_state *session = session_with_udf();
  CHECK(session != NULL);
  qv_task_context *ctx;
  CHECK_OK(qv_task_context_create(session, 0, 1, &ctx, &err), &err);
  qv_exec_plan *scan = qv_test_int64_scan(2, 3, 50), *filter, *proj;
  qv_expr *col, *call, *lit, *pred;
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), 0, &col, &err), &err);
  CHECK_OK(qv_expr_function(session, "TIMES_TEN", &col, 1, &call, &err), &err); /* names are case-insensitive */
  CHECK_OK(qv_expr_literal_int64(2000, &lit, &err), &err);
  CHECK_OK(qv_expr_binary(QV_OP_LT, call, lit, &pred, &err), &err);
  CHECK_OK(qv_plan_filter(scan, pred, &filter, &err), &err);
  qv_expr *col2, *call2;
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(filter), 0, &col2, &err), &err);
  CHECK_OK(qv_expr_function(session, "times_ten", &col2, 1, &call2, &err), &err);
  const char *name = "v10";
  CHECK_OK(qv_plan_projection(filter, &call2, &name, 1, &proj, &err), &err);
  qv_record_batch **out;
  int64_t n, sum, rows;
  CHECK_OK(qv_exec_plan_collect(proj, ctx, &out, &n, &err), &err);
  qv_test_sum_int64(out, n, &sum, &rows);
  CHECK_EQ_INT(rows, 200);                 /* v * 10 < 2000 keeps v = 0..199 */
  CHECK_EQ_INT(sum, 10 * 199 * 200 / 2);
  qv_test_free_batches(out, n);

  /* A session without the function refuses to build the expression. */
  qv_session_state *plain;
  CHECK_OK(qv_session_state_create_default(&plain, &err), &err);
  qv_expr *missing = NULL;
  CHECK_STATUS(qv_expr_function(plain, "times_ten", &col, 1, &missing, &err), QV_NOT_FOUND);
  CHECK(strstr(err.message, "unknown function 'times_ten'") != NULL);
  qv_session_state_unref(plain);

  qv_expr_unref(col);
  qv_expr_unref(call);
  qv_expr_unref(lit);
  qv_expr_unref(pred);
  qv_expr_unref(col2);
  qv_expr_unref(call2);
  qv_exec_plan_unref(proj);
  qv_exec_plan_unref(filter);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
  qv_session_state_unref(session);
}
