/* Repartitioning (hash and round robin), coalescing batches, and filters:
 * every row arrives exactly once, in the partition its hash names. */
#include <stdlib.h>

#include "exec_test_util.h"
#include "quiver/compute.h"
#include "test.h"

/* Collects each output partition separately (all driven concurrently by
 * wrapping in a union-free collect: one thread per partition). */
QV_TEST(hash_repartition_routes_rows_by_hash) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_exec_plan *scan = qv_test_int64_scan(3, 7, 100), *rep;
  qv_expr *key;
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), 0, &key, &err), &err);
  CHECK_OK(qv_plan_repartition_hash(scan, &key, 1, 5, &rep, &err), &err);
  qv_record_batch **out;
  int64_t n, sum, rows;
  CHECK_OK(qv_exec_plan_collect(rep, ctx, &out, &n, &err), &err);
  qv_test_sum_int64(out, n, &sum, &rows);
  CHECK_EQ_INT(rows, 2100);
  CHECK_EQ_INT(sum, 2099 * 2100 / 2);
  qv_test_free_batches(out, n);
  /* Each output partition holds only rows whose hash maps to it. */
  for (int32_t p = 0; p < 5; p++) {
    qv_task_context *c2 = qv_test_context();
    qv_batch_stream *streams[5];
    for (int32_t q = 0; q < 5; q++) CHECK_OK(qv_exec_plan_execute(rep, q, c2, &streams[q], &err), &err);
    /* Drain every partition in turn; the queues are small, so read them
     * round robin until all end, checking partition p's rows. */
    bool done[5] = {0};
    int ended = 0;
    while (ended < 5) {
      for (int32_t q = 0; q < 5; q++) {
        if (done[q]) continue;
        qv_record_batch *b;
        CHECK_OK(qv_batch_stream_next(streams[q], &b, &err), &err);
        if (!b) {
          done[q] = true;
          ended++;
          continue;
        }
        if (q == p) {
          qv_array *col = qv_record_batch_column(b, 0);
          int64_t len = qv_array_length(col);
          uint64_t *h = malloc((size_t)len * sizeof *h);
          CHECK_OK(qv_hash_columns((const qv_array *const *)&col, 1, len, h, &err), &err);
          for (int64_t r = 0; r < len; r++) CHECK_EQ_INT(qv_hash_partition(h[r], 5), p);
          free(h);
        }
        qv_record_batch_unref(b);
      }
    }
    for (int32_t q = 0; q < 5; q++) qv_batch_stream_destroy(streams[q]);
    qv_task_context_unref(c2);
  }
  qv_expr_unref(key);
  qv_exec_plan_unref(rep);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
}

QV_TEST(round_robin_repartition_then_coalesce_batches) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_exec_plan *scan = qv_test_int64_scan(2, 50, 10), *rr, *cb;
  CHECK_OK(qv_plan_repartition_round_robin(scan, 3, &rr, &err), &err);
  CHECK_OK(qv_plan_coalesce_batches(rr, 64, &cb, &err), &err);
  qv_record_batch **out;
  int64_t n, sum, rows;
  CHECK_OK(qv_exec_plan_collect(cb, ctx, &out, &n, &err), &err);
  qv_test_sum_int64(out, n, &sum, &rows);
  CHECK_EQ_INT(rows, 1000);
  CHECK_EQ_INT(sum, 999 * 1000 / 2);
  /* Batches of 10 rows are merged up to at least 64, except each
   * partition's last. */
  int small = 0;
  for (int64_t i = 0; i < n; i++) small += qv_record_batch_num_rows(out[i]) < 64;
  CHECK(small <= 3);
  qv_test_free_batches(out, n);
  char *text;
  CHECK_OK(qv_exec_plan_explain(cb, &text, &err), &err);
  CHECK_STR_EQ(text,
               "CoalesceBatchesExec: target_batch_size=64\n"
               "  RepartitionExec: partitioning=RoundRobinBatch(3), input_partitions=2\n"
               "    MemoryScanExec: partitions=2, batches=100, rows=1000\n");
  free(text);
  qv_exec_plan_unref(cb);
  qv_exec_plan_unref(rr);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
}

QV_TEST(limit_over_repartition_stops_early_without_leaks) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_exec_plan *scan = qv_test_int64_scan(2, 2000, 10), *rr, *co, *lim;
  CHECK_OK(qv_plan_repartition_round_robin(scan, 4, &rr, &err), &err);
  CHECK_OK(qv_plan_coalesce_partitions(rr, &co, &err), &err);
  CHECK_OK(qv_plan_limit(co, 0, 35, true, &lim, &err), &err);
  qv_record_batch **out;
  int64_t n, sum, rows;
  CHECK_OK(qv_exec_plan_collect(lim, ctx, &out, &n, &err), &err);
  qv_test_sum_int64(out, n, &sum, &rows);
  CHECK_EQ_INT(rows, 35);
  qv_test_free_batches(out, n);
  qv_exec_plan_unref(lim);
  qv_exec_plan_unref(co);
  qv_exec_plan_unref(rr);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
}

QV_TEST(filter_keeps_matching_rows) {
  qv_error err = {0};
  qv_task_context *ctx = qv_test_context();
  qv_exec_plan *scan = qv_test_int64_scan(2, 3, 100), *f;
  qv_expr *col, *lit, *pred;
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), 0, &col, &err), &err);
  CHECK_OK(qv_expr_literal_int64(500, &lit, &err), &err);
  CHECK_OK(qv_expr_binary(QV_OP_GE, col, lit, &pred, &err), &err);
  CHECK_OK(qv_plan_filter(scan, pred, &f, &err), &err);
  qv_exec_plan *bad = NULL;
  CHECK_STATUS(qv_plan_filter(scan, col, &bad, &err), QV_TYPE_ERROR);
  qv_record_batch **out;
  int64_t n, sum, rows;
  CHECK_OK(qv_exec_plan_collect(f, ctx, &out, &n, &err), &err);
  qv_test_sum_int64(out, n, &sum, &rows);
  CHECK_EQ_INT(rows, 100);
  CHECK_EQ_INT(sum, (500 + 599) * 100 / 2);
  qv_test_free_batches(out, n);
  qv_expr_unref(col);
  qv_expr_unref(lit);
  qv_expr_unref(pred);
  qv_exec_plan_unref(f);
  qv_exec_plan_unref(scan);
  qv_task_context_unref(ctx);
}
