/* Memory limits: an operator that runs out of the query's memory pool fails
 * with QV_RESOURCE_EXHAUSTED naming itself (docs/architecture.md,
 * "Execution"), not with the kernels' QV_NOMEM. Found by the differential
 * tests against DuckDB. */
#include <stdlib.h>
#include <string.h>

#include "exec_test_util.h"
#include "test.h"

static qv_expr *column(const qv_schema *s, const char *name) {
  qv_expr *e = NULL;
  return qv_expr_column_named(s, name, &e, NULL) == QV_OK ? e : NULL;
}

/* ---- memory limits: every operator fails with QV_RESOURCE_EXHAUSTED naming
 * itself (docs/architecture.md, "Execution"), not with the kernels' QV_NOMEM.
 * FilterExec and RepartitionExec pass the filter/take kernels' "filter: column
 * 0 ('v'): buffer: cannot allocate N bytes" through as QV_NOMEM. ------------------------- */

static qv_task_context *limited_context(const char *limit) {
  qv_session_state_builder *b = NULL;
  qv_session_state *s = NULL;
  qv_task_context *ctx = NULL;
  if (qv_session_state_builder_create(&b, NULL) == QV_OK &&
      qv_session_state_builder_set_config(b, "memory_limit", limit, NULL) == QV_OK &&
      qv_session_state_builder_build(b, &s, NULL) == QV_OK && qv_task_context_create(s, 0, 1, &ctx, NULL) != QV_OK)
    ctx = NULL;
  qv_session_state_unref(s);
  qv_session_state_builder_destroy(b);
  return ctx;
}

/* Collects plan under a 16 KiB memory limit; returns the status, err set. */
static qv_status collect_limited(qv_exec_plan *plan, qv_error *err) {
  qv_task_context *ctx = limited_context("16k");
  if (!ctx) return qv_error_set(err, QV_INTERNAL, "no context");
  qv_record_batch **out = NULL;
  int64_t n = 0;
  qv_status st = qv_exec_plan_collect(plan, ctx, &out, &n, err);
  qv_test_free_batches(out, n);
  qv_task_context_unref(ctx);
  return st;
}

/* v % 2 = 0 over column 0 of plan: keeps every other row (a real copy). */
static qv_expr *even_rows(qv_exec_plan *plan) {
  qv_expr *v = column(qv_exec_plan_schema(plan), "v"), *two = NULL, *zero = NULL, *mod = NULL, *eq = NULL;
  if (v && qv_expr_literal_int64(2, &two, NULL) == QV_OK && qv_expr_literal_int64(0, &zero, NULL) == QV_OK &&
      qv_expr_binary(QV_OP_MOD, v, two, &mod, NULL) == QV_OK && qv_expr_binary(QV_OP_EQ, mod, zero, &eq, NULL) != QV_OK)
    eq = NULL;
  qv_expr_unref(v);
  qv_expr_unref(two);
  qv_expr_unref(zero);
  qv_expr_unref(mod);
  return eq;
}

QV_TEST(filter_over_memory_limit_is_resource_exhausted_naming_the_operator) {
  qv_exec_plan *scan = qv_test_int64_scan(1, 4, 10000), *plan = NULL;
  CHECK(scan);
  qv_expr *pred = even_rows(scan);
  CHECK(pred);
  qv_status st = qv_plan_filter(scan, pred, &plan, NULL);
  qv_expr_unref(pred);
  qv_exec_plan_unref(scan);
  CHECK_EQ_INT(st, QV_OK);
  qv_error err = {0};
  st = collect_limited(plan, &err);
  qv_exec_plan_unref(plan);
  CHECK_STATUS(st, QV_RESOURCE_EXHAUSTED);
  CHECK(strstr(err.message, "FilterExec") != NULL);
}

QV_TEST(hash_repartition_over_memory_limit_is_resource_exhausted_naming_the_operator) {
  qv_exec_plan *scan = qv_test_int64_scan(1, 4, 10000), *plan = NULL;
  CHECK(scan);
  qv_expr *key = column(qv_exec_plan_schema(scan), "v");
  CHECK(key);
  qv_status st = qv_plan_repartition_hash(scan, &key, 1, 4, &plan, NULL);
  qv_expr_unref(key);
  qv_exec_plan_unref(scan);
  CHECK_EQ_INT(st, QV_OK);
  qv_error err = {0};
  st = collect_limited(plan, &err);
  qv_exec_plan_unref(plan);
  CHECK_STATUS(st, QV_RESOURCE_EXHAUSTED);
  CHECK(strstr(err.message, "RepartitionExec") != NULL);
}
