/* NestedLoopJoinExec: every join type against a brute-force reference over
 * random small tables, for cross joins, a non-equi filter and (keys equal)
 * AND filter conditions (exact three-valued marks); bounded output batches;
 * empty sides; EXPLAIN; a shared, once-collected left side. */
#include <stdlib.h>
#include <string.h>

#include "exec/join_internal.h"
#include "exec_test_util.h"
#include "join_test_util.h"
#include "quiver/expr.h"
#include "test.h"

static const qv_join_type ALL_TYPES[] = {QV_JOIN_INNER,      QV_JOIN_LEFT,       QV_JOIN_RIGHT,
                                         QV_JOIN_FULL,       QV_JOIN_LEFT_SEMI,  QV_JOIN_LEFT_ANTI,
                                         QV_JOIN_RIGHT_SEMI, QV_JOIN_RIGHT_ANTI, QV_JOIN_LEFT_MARK};
#define N_TYPES 9

/* condition: 0 none (cross join), 1 l_f < r_f, 2 keys equal AND l_f < r_f */
static bool random_case(uint64_t seed, qv_join_type type, int condition, jt_keys keys, char *msg, size_t msg_size) {
  uint64_t rng = seed * 104729 + (uint64_t)type * 31 + (uint64_t)condition * 7 + (uint64_t)keys;
  jt_table l, r;
  int64_t nl = (int64_t)(jt_rand(&rng) % 16), nr = (int64_t)(jt_rand(&rng) % 16);
  if (jt_rand(&rng) % 8 == 0) nl = 0;
  if (jt_rand(&rng) % 8 == 0) nr = 0;
  int32_t domain = 1 + (int32_t)(jt_rand(&rng) % 5), nulls = (int32_t)(jt_rand(&rng) % 30);
  jt_table_random(&l, &rng, nl, domain, nulls, 0, "l_");
  jt_table_random(&r, &rng, nr, domain, nulls, 1000, "r_");
  jt_table_partition(&l, &rng, 1 + (int32_t)(jt_rand(&rng) % 3), false, keys);
  jt_table_partition(&r, &rng, 1 + (int32_t)(jt_rand(&rng) % 3), false, keys);
  int32_t max_batch = 1 + (int32_t)(jt_rand(&rng) % 6), batch_size = 1 + (int32_t)(jt_rand(&rng) % 9);
  qv_exec_plan *ls = jt_table_scan(&l, &rng, max_batch), *rs = jt_table_scan(&r, &rng, max_batch), *join = NULL;
  qv_expr *filter = condition ? jt_condition(l.schema, r.schema, condition == 2, keys) : NULL;
  qv_task_context *ctx = jt_context(batch_size, NULL);
  qv_error err = {0};
  bool ok = true;
  qv_status st = qv_plan_nested_loop_join(ls, rs, filter, type, &join, &err);
  if (st != QV_OK) {
    snprintf(msg, msg_size, "plan: %s", err.message);
    ok = false;
  }
  qv_record_batch **out = NULL;
  int64_t n_out = 0;
  if (ok && (st = qv_exec_plan_collect(join, ctx, &out, &n_out, &err)) != QV_OK) {
    snprintf(msg, msg_size, "collect: %s: %s", qv_status_name(st), err.message);
    ok = false;
  }
  for (int64_t i = 0; ok && i < n_out; i++) {
    int64_t rows = qv_record_batch_num_rows(out[i]);
    if (rows == 0 || rows > (batch_size > max_batch ? batch_size : max_batch)) {
      snprintf(msg, msg_size, "batch %lld has %lld rows (batch_size %d)", (long long)i, (long long)rows, batch_size);
      ok = false;
    }
  }
  if (ok) {
    int64_t ne, na;
    jt_semantics sem = condition == 2 ? JT_NLJ_KEYS_AND_FILTER : JT_NLJ_FILTER;
    char **expected = jt_reference(&l, &r, type, keys, sem, false, condition != 0, &ne);
    char **actual = jt_rows_of(out, n_out, &na);
    ok = jt_same_rows(expected, ne, actual, na, msg, msg_size);
  }
  if (out) qv_test_free_batches(out, n_out);
  qv_expr_unref(filter);
  qv_exec_plan_unref(join);
  qv_exec_plan_unref(ls);
  qv_exec_plan_unref(rs);
  qv_task_context_unref(ctx);
  jt_table_reset(&l);
  jt_table_reset(&r);
  return ok;
}

QV_TEST(nested_loop_join_matches_reference) {
  char msg[1024];
  for (int t = 0; t < N_TYPES; t++)
    for (int condition = 0; condition < 3; condition++)
      for (int keys = 0; keys < 3; keys++) {
        if (condition < 2 && keys > 0) continue;
        for (int seed = 0; seed < 25; seed++) {
          if (!random_case((uint64_t)seed, ALL_TYPES[t], condition, (jt_keys)keys, msg, sizeof msg)) {
            qv_test_fail(__FILE__, __LINE__, "%s join, condition %d, keys %d, seed %d: %s",
                         qv__join_type_name(ALL_TYPES[t]), condition, keys, seed, msg);
            return;
          }
        }
      }
}

QV_TEST(nested_loop_join_cross_join_of_larger_sides) {
  /* 300 x 200 pairs in blocks of at most 128 rows; every pair exactly once. */
  qv_error err = {0};
  qv_task_context *ctx = jt_context(128, NULL);
  qv_exec_plan *l = qv_test_int64_scan(3, 4, 25), *r = qv_test_int64_scan(2, 5, 20), *join;
  CHECK_OK(qv_plan_nested_loop_join(l, r, NULL, QV_JOIN_INNER, &join, &err), &err);
  CHECK_EQ_INT(qv_exec_plan_num_partitions(join), 2);
  qv_record_batch **out;
  int64_t n, rows = 0, lsum = 0, rsum = 0;
  CHECK_OK(qv_exec_plan_collect(join, ctx, &out, &n, &err), &err);
  for (int64_t b = 0; b < n; b++) {
    CHECK(qv_record_batch_num_rows(out[b]) <= 128);
    for (int c = 0; c < 2; c++) {
      qv_array *a = qv_record_batch_column(out[b], c);
      const int64_t *v = (const int64_t *)qv_buffer_data(qv_array_buffer(a, 1)) + qv_array_offset(a);
      for (int64_t i = 0; i < qv_array_length(a); i++) *(c ? &rsum : &lsum) += v[i];
    }
    rows += qv_record_batch_num_rows(out[b]);
  }
  CHECK_EQ_INT(rows, 300 * 200);
  CHECK_EQ_INT(lsum, (int64_t)299 * 300 / 2 * 200);
  CHECK_EQ_INT(rsum, (int64_t)199 * 200 / 2 * 300);
  qv_test_free_batches(out, n);
  CHECK_EQ_INT(qv_allocator_bytes_allocated(qv_task_context_allocator(ctx)), 0);
  qv_exec_plan_unref(join);
  qv_exec_plan_unref(l);
  qv_exec_plan_unref(r);
  qv_task_context_unref(ctx);
}

QV_TEST(nested_loop_join_explain_and_validation) {
  qv_error err = {0};
  jt_table l, r;
  uint64_t rng = 3;
  jt_table_random(&l, &rng, 3, 3, 0, 0, "l_");
  jt_table_random(&r, &rng, 3, 3, 0, 0, "r_");
  qv_exec_plan *ls = jt_table_scan(&l, &rng, 2), *rs = jt_table_scan(&r, &rng, 2), *join = NULL;
  qv_expr *filter = jt_filter(l.schema, r.schema), *not_bool;
  CHECK_OK(qv_plan_nested_loop_join(ls, rs, filter, QV_JOIN_LEFT_ANTI, &join, &err), &err);
  CHECK(qv_schema_equals(qv_exec_plan_schema(join), l.schema));
  char *text;
  CHECK_OK(qv_exec_plan_explain(join, &text, &err), &err);
  const char *want = "NestedLoopJoinExec: join_type=LeftAnti, filter=l_f < r_f\n";
  CHECK(strncmp(text, want, strlen(want)) == 0);
  free(text);
  qv_exec_plan_unref(join);
  CHECK_OK(qv_plan_nested_loop_join(ls, rs, NULL, QV_JOIN_FULL, &join, &err), &err);
  CHECK_OK(qv_exec_plan_explain(join, &text, &err), &err);
  CHECK(strncmp(text, "NestedLoopJoinExec: join_type=Full\n", strlen("NestedLoopJoinExec: join_type=Full\n")) == 0);
  free(text);
  /* A full join makes both sides nullable. */
  qv_schema *s = qv_exec_plan_schema(join);
  CHECK_EQ_INT(qv_schema_num_fields(s), 8);
  CHECK(qv_field_nullable(qv_schema_field(s, 2)) && qv_field_nullable(qv_schema_field(s, 6)));
  qv_exec_plan_unref(join);
  /* The filter must be boolean and read columns of left ++ right. */
  CHECK_OK(qv_expr_column(l.schema, 2, &not_bool, &err), &err);
  CHECK_STATUS(qv_plan_nested_loop_join(ls, rs, not_bool, QV_JOIN_INNER, &join, &err), QV_TYPE_ERROR);
  CHECK(join == NULL);
  qv_expr_unref(not_bool);
  qv_expr_unref(filter);
  qv_exec_plan_unref(ls);
  qv_exec_plan_unref(rs);
  jt_table_reset(&l);
  jt_table_reset(&r);
}
