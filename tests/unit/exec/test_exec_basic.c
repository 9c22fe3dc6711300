/* The runtime and the operators that need no expressions: memory scans,
 * limits, coalescing partitions, unions, collect, custom operators, EXPLAIN,
 * cancellation and session configuration. */
#include <stdlib.h>

#include "exec_test_util.h"
#include "test.h"

QV_TEST(collect_memory_scan_every_partition) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_exec_plan *scan = qv_test_int64_scan(4, 3, 100);
  CHECK(ctx && scan);
  qv_record_batch **out;
  int64_t n, sum, rows;
  CHECK_OK(qv_exec_plan_collect(scan, ctx, &out, &n, &err), &err);
  CHECK_EQ_INT(n, 12);
  qv_test_sum_int64(out, n, &sum, &rows);
  CHECK_EQ_INT(rows, 1200);
  CHECK_EQ_INT(sum, 1199 * 1200 / 2);
  qv_test_free_batches(out, n);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
}

QV_TEST(coalesce_partitions_reads_all_inputs) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_exec_plan *scan = qv_test_int64_scan(8, 20, 64), *co;
  CHECK_OK(qv_plan_coalesce_partitions(scan, &co, &err), &err);
  CHECK_EQ_INT(qv_exec_plan_num_partitions(co), 1);
  qv_record_batch **out;
  int64_t n, sum, rows;
  CHECK_OK(qv_exec_plan_collect(co, ctx, &out, &n, &err), &err);
  qv_test_sum_int64(out, n, &sum, &rows);
  CHECK_EQ_INT(rows, 8 * 20 * 64);
  CHECK_EQ_INT(sum, (rows - 1) * rows / 2);
  qv_test_free_batches(out, n);
  qv_exec_plan_unref(co);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
}

QV_TEST(global_limit_with_offset_cancels_producers) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  /* Many batches behind a coalesce: the limit is met long before the end, and
   * destroying the input must stop the producer threads cleanly. */
  qv_exec_plan *scan = qv_test_int64_scan(4, 1000, 10), *co, *lim;
  CHECK_OK(qv_plan_coalesce_partitions(scan, &co, &err), &err);
  CHECK_OK(qv_plan_limit(co, 15, 25, true, &lim, &err), &err);
  qv_record_batch **out;
  int64_t n, sum, rows;
  CHECK_OK(qv_exec_plan_collect(lim, ctx, &out, &n, &err), &err);
  qv_test_sum_int64(out, n, &sum, &rows);
  CHECK_EQ_INT(rows, 25);
  qv_test_free_batches(out, n);
  qv_exec_plan *bad = NULL;
  CHECK_STATUS(qv_plan_limit(scan, 0, 5, true, &bad, &err), QV_INVALID);
  qv_exec_plan_unref(lim);
  qv_exec_plan_unref(co);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
}

QV_TEST(local_limit_applies_per_partition) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_exec_plan *scan = qv_test_int64_scan(3, 2, 10), *lim;
  CHECK_OK(qv_plan_limit(scan, 5, 7, false, &lim, &err), &err);
  qv_record_batch **out;
  int64_t n, sum, rows;
  CHECK_OK(qv_exec_plan_collect(lim, ctx, &out, &n, &err), &err);
  qv_test_sum_int64(out, n, &sum, &rows);
  CHECK_EQ_INT(rows, 21);
  /* partition p holds 20p..20p+19; rows 20p+5..20p+11 are kept */
  CHECK_EQ_INT(sum, (5 + 11) * 7 / 2 + (25 + 31) * 7 / 2 + (45 + 51) * 7 / 2);
  qv_test_free_batches(out, n);
  qv_exec_plan_unref(lim);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
}

QV_TEST(union_concatenates_partitions) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_exec_plan *a = qv_test_int64_scan(2, 1, 10), *b = qv_test_int64_scan(3, 1, 5), *u;
  qv_exec_plan *in[] = {a, b};
  CHECK_OK(qv_plan_union(in, 2, &u, &err), &err);
  CHECK_EQ_INT(qv_exec_plan_num_partitions(u), 5);
  qv_record_batch **out;
  int64_t n, sum, rows;
  CHECK_OK(qv_exec_plan_collect(u, ctx, &out, &n, &err), &err);
  qv_test_sum_int64(out, n, &sum, &rows);
  CHECK_EQ_INT(rows, 35);
  CHECK_EQ_INT(sum, 19 * 20 / 2 + 14 * 15 / 2);
  qv_test_free_batches(out, n);
  qv_batch_stream *s = NULL;
  CHECK_STATUS(qv_exec_plan_execute(u, 5, ctx, &s, &err), QV_INVALID);
  qv_exec_plan_unref(u);
  qv_exec_plan_unref(a);
  qv_exec_plan_unref(b);
  qv_task_context_unref(ctx);
}

/* A user operator that fails on its second batch. */
typedef struct failing {
  qv_batch_stream base;
  int calls;
} failing;

static qv_status failing_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  failing *f = (failing *)s;
  if (++f->calls == 2) return qv_error_set(err, QV_OUT_OF_RANGE, "udo: value 42 is out of range");
  *out = qv_test_int64_batch(s->schema, 0, 3);
  return *out ? QV_OK : qv_error_set(err, QV_NOMEM, "udo");
}

static void failing_destroy(qv_batch_stream *s) {
  qv_schema_unref(s->schema);
  free(s);
}

static const qv_batch_stream_vtable failing_vtable = {failing_next, failing_destroy};

static int destroyed_states;

static qv_status failing_execute(void *state, qv_exec_plan *self, int32_t partition, qv_task_context *ctx,
                                 qv_batch_stream **out, qv_error *err) {
  failing *f = calloc(1, sizeof *f);
  if (!f) return qv_error_set(err, QV_NOMEM, "udo");
  f->base.vtable = &failing_vtable;
  f->base.schema = qv_schema_ref(qv_exec_plan_schema(self));
  *out = &f->base;
  return QV_OK;
}

static qv_status failing_describe(void *state, qv_bytes *out, qv_error *err) {
  return qv_bytes_append(out, "fails=second", 12, err);
}

static void failing_state_destroy(void *state) {
  destroyed_states++;
  free(state);
}

QV_TEST(custom_operator_error_reaches_collect_and_explain_shows_it) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_schema *s = qv_test_int64_schema();
  qv_exec_plan_vtable vt = {"FailingExec", failing_execute, failing_describe, failing_state_destroy};
  qv_exec_plan *udo, *co;
  destroyed_states = 0;
  CHECK_OK(qv_exec_plan_create_custom(&vt, malloc(8), s, 3, NULL, 0, &udo, &err), &err);
  CHECK_OK(qv_plan_coalesce_partitions(udo, &co, &err), &err);
  char *text;
  CHECK_OK(qv_exec_plan_explain(co, &text, &err), &err);
  CHECK_STR_EQ(text, "CoalescePartitionsExec\n  FailingExec: fails=second\n");
  free(text);
  qv_record_batch **out = NULL;
  int64_t n = 0;
  CHECK_STATUS(qv_exec_plan_collect(co, ctx, &out, &n, &err), QV_OUT_OF_RANGE);
  CHECK_STR_EQ(err.message, "udo: value 42 is out of range");
  CHECK(out == NULL);
  qv_exec_plan_unref(co);
  qv_exec_plan_unref(udo);
  CHECK_EQ_INT(destroyed_states, 1);
  qv_schema_unref(s);
  qv_task_context_unref(ctx);
}

QV_TEST(cancelled_context_stops_streams) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_exec_plan *scan = qv_test_int64_scan(1, 5, 10);
  qv_batch_stream *s;
  CHECK_OK(qv_exec_plan_execute(scan, 0, ctx, &s, &err), &err);
  qv_record_batch *b;
  CHECK_OK(qv_batch_stream_next(s, &b, &err), &err);
  CHECK(b != NULL);
  qv_record_batch_unref(b);
  qv_task_context_cancel(ctx);
  CHECK_STATUS(qv_batch_stream_next(s, &b, &err), QV_CANCELLED);
  qv_batch_stream_destroy(s);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
}

QV_TEST(session_config_parses_and_rejects) {
  qv_error err = {0};
  qv_session_state_builder *b;
  CHECK_OK(qv_session_state_builder_create(&b, &err), &err);
  CHECK_OK(qv_session_state_builder_set_config(b, "target_partitions", "7", &err), &err);
  CHECK_OK(qv_session_state_builder_set_config(b, "memory_limit", "64m", &err), &err);
  CHECK_STATUS(qv_session_state_builder_set_config(b, "batch_size", "0", &err), QV_INVALID);
  CHECK_STATUS(qv_session_state_builder_set_config(b, "no_such_key", "1", &err), QV_NOT_FOUND);
  CHECK_STR_EQ(err.message, "config: unknown key 'no_such_key'");
  qv_session_state *s;
  CHECK_OK(qv_session_state_builder_build(b, &s, &err), &err);
  qv_session_state_builder_destroy(b);
  CHECK_EQ_INT(qv_session_target_partitions(s), 7);
  CHECK_EQ_INT(qv_session_memory_limit(s), 64 << 20);
  CHECK_EQ_INT(qv_session_batch_size(s), 8192);
  char buf[32];
  CHECK_OK(qv_session_config_get(s, "prefer_hash_join", buf, sizeof buf, &err), &err);
  CHECK_STR_EQ(buf, "true");
  qv_session_state_unref(s);
}
