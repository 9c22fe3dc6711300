/* Round trips of every built-in operator through qv_plan_encode and
 * qv_plan_decode: the decoded plan must print the same EXPLAIN text, return
 * the same rows and encode to the same bytes (ct_round_trip). */
#include <stdlib.h>

#include "codec_test_util.h"

/* Shortcuts that hand back NULL on failure, which ct_round_trip reports. */
static qv_exec_plan *projection(qv_exec_plan *in, qv_expr **exprs, const char *const *names, int32_t n) {
  qv_exec_plan *p = NULL;
  qv_error err;
  qv_error_init(&err);
  bool ok = in != NULL;
  for (int32_t i = 0; i < n; i++) ok &= exprs[i] != NULL;
  if (ok && qv_plan_projection(in, exprs, names, n, &p, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "projection: %s", err.message);
    p = NULL;
  }
  for (int32_t i = 0; i < n; i++) qv_expr_unref(exprs[i]);
  qv_exec_plan_unref(in);
  return p;
}

static qv_exec_plan *filter(qv_exec_plan *in, qv_expr *pred) {
  qv_exec_plan *p = NULL;
  qv_error err;
  qv_error_init(&err);
  if (in && pred && qv_plan_filter(in, pred, &p, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "filter: %s", err.message);
    p = NULL;
  }
  qv_expr_unref(pred);
  qv_exec_plan_unref(in);
  return p;
}

/* A CoalescePartitionsExec over in (consumed). */
static qv_exec_plan *coalesce(qv_exec_plan *in) {
  qv_exec_plan *p = NULL;
  qv_error err;
  qv_error_init(&err);
  if (in && qv_plan_coalesce_partitions(in, &p, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "coalesce: %s", err.message);
    p = NULL;
  }
  qv_exec_plan_unref(in);
  return p;
}

QV_TEST(codec_plan_memory_scan) {
  CHECK(ct_round_trip(ct_scan(3, 2, 10)));
  /* Partitions without batches, and batches without rows. */
  qv_schema *s = ct_schema();
  qv_record_batch *b0 = ct_batch(0, 0), *b1 = ct_batch(5, 4);
  qv_record_batch *p1[] = {b0, b1};
  qv_record_batch *const *parts[] = {NULL, p1};
  int64_t counts[] = {0, 2};
  qv_exec_plan *p = NULL;
  qv_error err;
  qv_error_init(&err);
  CHECK_OK(qv_plan_memory_scan(s, parts, counts, 2, &p, &err), &err);
  qv_record_batch_unref(b0);
  qv_record_batch_unref(b1);
  qv_schema_unref(s);
  CHECK(ct_round_trip(p));
}

QV_TEST(codec_plan_values_and_empty) {
  qv_error err;
  qv_error_init(&err);
  qv_record_batch *rows = ct_batch(3, 6);
  qv_exec_plan *p = NULL;
  CHECK_OK(qv_plan_values(rows, &p, &err), &err);
  qv_record_batch_unref(rows);
  CHECK(ct_round_trip(p));

  qv_schema *s = ct_schema();
  CHECK_OK(qv_plan_empty(s, false, &p, &err), &err);
  qv_schema_unref(s);
  CHECK(ct_round_trip(p));

  qv_schema *none = NULL;
  CHECK_OK(qv_schema_create(NULL, 0, NULL, &none, &err), &err);
  CHECK_OK(qv_plan_empty(none, true, &p, &err), &err);
  qv_schema_unref(none);
  /* SELECT 1 + 2 AS three over the one-row relation. */
  qv_expr *e[] = {ct_bin(QV_OP_ADD, ct_i64(1), ct_i64(2))};
  const char *names[] = {"three"};
  CHECK(ct_round_trip(projection(p, e, names, 1)));
}

QV_TEST(codec_plan_projection_and_filter) {
  qv_exec_plan *scan = ct_scan(2, 2, 16);
  CHECK(scan);
  qv_expr *e[] = {ct_col(scan, CT_ID), ct_bin(QV_OP_MUL, ct_col(scan, CT_DEC), ct_i64(3)),
                  ct_bin(QV_OP_ADD, ct_col(scan, CT_I32), ct_col(scan, CT_ID)), ct_col(scan, CT_CAT),
                  ct_bin(QV_OP_EQ, ct_col(scan, CT_CAT), ct_str("red"))};
  const char *names[] = {"id", "dec3", "sum", "cat", "is_red"};
  qv_exec_plan *proj = projection(qv_exec_plan_ref(scan), e, names, 5);
  CHECK(ct_round_trip(qv_exec_plan_ref(proj)));
  qv_expr *pred = ct_bin(QV_OP_AND, ct_bin(QV_OP_GT, ct_col(scan, CT_F64), ct_i64(2)),
                         ct_bin(QV_OP_NE, ct_col(scan, CT_S), ct_str("s1")));
  CHECK(ct_round_trip(filter(scan, pred)));
  qv_expr *pred2 = proj ? ct_bin(QV_OP_OR, ct_col(proj, 4), ct_bin(QV_OP_LT, ct_col(proj, 2), ct_i64(0))) : NULL;
  CHECK(ct_round_trip(filter(proj, pred2)));
}

QV_TEST(codec_plan_limit_and_coalesce) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *p = NULL;
  qv_exec_plan *scan = ct_scan(2, 3, 7);
  CHECK(scan);
  CHECK_OK(qv_plan_limit(scan, 2, 5, false, &p, &err), &err);
  CHECK(ct_round_trip(p));
  CHECK_OK(qv_plan_limit(scan, 4, -1, false, &p, &err), &err);
  CHECK(ct_round_trip(p));
  CHECK_OK(qv_plan_coalesce_batches(scan, 10, &p, &err), &err);
  CHECK(ct_round_trip(p));
  qv_exec_plan *one = coalesce(qv_exec_plan_ref(scan));
  CHECK(one);
  CHECK(ct_round_trip(qv_exec_plan_ref(one)));
  /* A global limit over one partition (a single-partition scan keeps the
   * rows it returns deterministic). */
  qv_exec_plan *single = ct_scan(1, 3, 7);
  CHECK_OK(qv_plan_limit(single, 3, 9, true, &p, &err), &err);
  qv_exec_plan_unref(single);
  CHECK(ct_round_trip(p));
  qv_exec_plan_unref(one);
  qv_exec_plan_unref(scan);
}

QV_TEST(codec_plan_union_and_repartition) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *a = ct_scan(2, 1, 5), *b = ct_scan(1, 2, 4);
  CHECK(a && b);
  qv_exec_plan *ins[] = {a, b, a};
  qv_exec_plan *u = NULL;
  CHECK_OK(qv_plan_union(ins, 3, &u, &err), &err);
  CHECK(ct_round_trip(qv_exec_plan_ref(u)));
  qv_exec_plan *p = NULL;
  CHECK_OK(qv_plan_repartition_round_robin(u, 4, &p, &err), &err);
  CHECK(ct_round_trip(p));
  qv_expr *keys[] = {ct_col(u, CT_S), ct_col(u, CT_I32)};
  CHECK_OK(qv_plan_repartition_hash(u, keys, 2, 3, &p, &err), &err);
  qv_expr_unref(keys[0]);
  qv_expr_unref(keys[1]);
  CHECK(ct_round_trip(p));
  qv_exec_plan_unref(u);
  qv_exec_plan_unref(a);
  qv_exec_plan_unref(b);
}

static qv_aggregate_expr *agg(const char *fn, qv_expr *arg, bool distinct, const char *name) {
  qv_aggregate_expr *a = NULL;
  qv_error err;
  qv_error_init(&err);
  if (qv_aggregate_create(NULL, fn, &arg, arg ? 1 : 0, distinct, name, &a, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "aggregate %s: %s", fn, err.message);
    a = NULL;
  }
  qv_expr_unref(arg);
  return a;
}

QV_TEST(codec_plan_hash_aggregate_all_modes) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(3, 2, 20);
  CHECK(scan);
  qv_expr *groups[] = {ct_col(scan, CT_S), ct_bin(QV_OP_MOD, ct_col(scan, CT_ID), ct_i64(4))};
  const char *gnames[] = {"s", "bucket"};
  qv_aggregate_expr *aggs[] = {agg("count", NULL, false, NULL),
                               agg("sum", ct_col(scan, CT_DEC), false, "total"),
                               agg("avg", ct_col(scan, CT_F64), false, NULL),
                               agg("min", ct_col(scan, CT_D), false, NULL),
                               agg("max", ct_col(scan, CT_CAT), false, "maxcat"),
                               agg("count", ct_col(scan, CT_I32), true, "distinct_i32")};
  for (int i = 0; i < 6; i++) CHECK(aggs[i]);
  qv_exec_plan *single = NULL, *partial = NULL, *final = NULL, *final_part = NULL;
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_SINGLE, scan, groups, gnames, 2, aggs, 6, &single, &err), &err);
  CHECK(ct_round_trip(single));
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_PARTIAL, scan, groups, gnames, 2, aggs, 6, &partial, &err), &err);
  CHECK(ct_round_trip(qv_exec_plan_ref(partial)));
  qv_exec_plan *merged = coalesce(qv_exec_plan_ref(partial));
  CHECK(merged);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_FINAL, merged, groups, gnames, 2, aggs, 6, &final, &err), &err);
  qv_exec_plan_unref(merged);
  CHECK(ct_round_trip(final));
  /* Partial, hash repartition on the groups, FinalPartitioned: the shape of
   * a distributed GROUP BY. */
  qv_expr *pkeys[] = {ct_col(partial, 0), ct_col(partial, 1)};
  qv_exec_plan *shuffled = NULL;
  CHECK_OK(qv_plan_repartition_hash(partial, pkeys, 2, 4, &shuffled, &err), &err);
  qv_expr_unref(pkeys[0]);
  qv_expr_unref(pkeys[1]);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_FINAL_PARTITIONED, shuffled, groups, gnames, 2, aggs, 6, &final_part, &err),
           &err);
  qv_exec_plan_unref(shuffled);
  CHECK(ct_round_trip(final_part));
  /* Without GROUP BY. */
  qv_exec_plan *global = NULL;
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_SINGLE, scan, NULL, NULL, 0, aggs, 3, &global, &err), &err);
  CHECK(ct_round_trip(global));
  qv_exec_plan_unref(partial);
  for (int i = 0; i < 6; i++) qv_aggregate_unref(aggs[i]);
  qv_expr_unref(groups[0]);
  qv_expr_unref(groups[1]);
  qv_exec_plan_unref(scan);
}

QV_TEST(codec_plan_joins) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *left = ct_scan(1, 2, 12), *right = ct_scan(2, 2, 9);
  CHECK(left && right);
  qv_expr *lk[] = {ct_col(left, CT_ID), ct_col(left, CT_S)};
  qv_expr *rk[] = {ct_col(right, CT_ID), ct_col(right, CT_S)};
  /* The filter reads both sides: left columns first, then right ones. */
  qv_schema *ls = qv_exec_plan_schema(left);
  qv_field *fields[2 * CT_NCOLS];
  for (int i = 0; i < CT_NCOLS; i++) fields[i] = fields[CT_NCOLS + i] = qv_schema_field(ls, i);
  qv_schema *concat = NULL;
  CHECK_OK(qv_schema_create(fields, 2 * CT_NCOLS, NULL, &concat, &err), &err);
  qv_expr *l_f64 = NULL, *r_i32 = NULL;
  CHECK_OK(qv_expr_column(concat, CT_F64, &l_f64, &err), &err);
  CHECK_OK(qv_expr_column(concat, CT_NCOLS + CT_I32, &r_i32, &err), &err);
  qv_expr *jf = ct_bin(QV_OP_GT, l_f64, r_i32);
  CHECK(jf);
  static const qv_join_type types[] = {QV_JOIN_INNER,      QV_JOIN_LEFT,       QV_JOIN_RIGHT,
                                       QV_JOIN_FULL,       QV_JOIN_LEFT_SEMI,  QV_JOIN_LEFT_ANTI,
                                       QV_JOIN_RIGHT_SEMI, QV_JOIN_RIGHT_ANTI, QV_JOIN_LEFT_MARK};
  for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
    qv_exec_plan *p = NULL;
    CHECK_OK(qv_plan_hash_join(left, right, lk, rk, 2, t % 2 ? jf : NULL, types[t], QV_JOIN_COLLECT_LEFT, t == 3, &p,
                               &err),
             &err);
    CHECK(ct_round_trip(p));
    CHECK_OK(qv_plan_nested_loop_join(left, right, t % 2 ? NULL : jf, types[t], &p, &err), &err);
    CHECK(ct_round_trip(p));
  }
  /* Partitioned mode: both sides hash-partitioned alike. */
  qv_exec_plan *lp = NULL, *rp = NULL, *p = NULL;
  CHECK_OK(qv_plan_repartition_hash(left, lk, 1, 3, &lp, &err), &err);
  CHECK_OK(qv_plan_repartition_hash(right, rk, 1, 3, &rp, &err), &err);
  CHECK_OK(qv_plan_hash_join(lp, rp, lk, rk, 1, jf, QV_JOIN_INNER, QV_JOIN_PARTITIONED, false, &p, &err), &err);
  CHECK(ct_round_trip(p));
  qv_exec_plan_unref(lp);
  qv_exec_plan_unref(rp);
  qv_expr_unref(jf);
  qv_schema_unref(concat);
  for (int i = 0; i < 2; i++) {
    qv_expr_unref(lk[i]);
    qv_expr_unref(rk[i]);
  }
  qv_exec_plan_unref(left);
  qv_exec_plan_unref(right);
}

QV_TEST(codec_plan_sorts) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(3, 2, 11);
  CHECK(scan);
  qv_sort_key keys[] = {{ct_col(scan, CT_S), true, false},
                        {ct_col(scan, CT_I32), false, true},
                        {ct_col(scan, CT_ID), false, false}};
  qv_exec_plan *sorted = NULL, *p = NULL;
  CHECK_OK(qv_plan_sort(scan, keys, 3, -1, true, &sorted, &err), &err);
  CHECK(ct_round_trip(qv_exec_plan_ref(sorted)));
  CHECK_OK(qv_plan_sort_preserving_merge(sorted, keys, 3, -1, &p, &err), &err);
  CHECK(ct_round_trip(p));
  CHECK_OK(qv_plan_sort_preserving_merge(sorted, keys, 3, 7, &p, &err), &err);
  CHECK(ct_round_trip(p));
  qv_exec_plan *one = coalesce(qv_exec_plan_ref(scan));
  CHECK_OK(qv_plan_sort(one, keys, 3, 5, false, &p, &err), &err);
  CHECK(ct_round_trip(p));
  /* A key that is an expression, on a dictionary column. */
  qv_sort_key k2[] = {{ct_col(scan, CT_CAT), false, false},
                      {ct_bin(QV_OP_SUB, ct_i64(0), ct_col(scan, CT_ID)), false, false}};
  CHECK_OK(qv_plan_sort(one, k2, 2, -1, false, &p, &err), &err);
  CHECK(ct_round_trip(p));
  qv_expr_unref(k2[0].expr);
  qv_expr_unref(k2[1].expr);
  qv_exec_plan_unref(one);
  qv_exec_plan_unref(sorted);
  for (int i = 0; i < 3; i++) qv_expr_unref(keys[i].expr);
  qv_exec_plan_unref(scan);
}

/* A whole query: scan, filter, two-step aggregation over a shuffle, sort,
 * merge and limit. */
QV_TEST(codec_plan_whole_query) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(4, 3, 25);
  CHECK(scan);
  qv_exec_plan *f = filter(qv_exec_plan_ref(scan), ct_bin(QV_OP_LE, ct_col(scan, CT_D), ct_str("1997-06-15")));
  CHECK(f);
  qv_expr *groups[] = {ct_col(f, CT_CAT)};
  const char *gnames[] = {"cat"};
  qv_aggregate_expr *aggs[] = {agg("sum", ct_bin(QV_OP_MUL, ct_col(f, CT_DEC), ct_bin(QV_OP_SUB, ct_i64(1),
                                                                                        ct_col(f, CT_DEC))),
                                   false, "revenue"),
                               agg("count", NULL, false, "n")};
  CHECK(aggs[0] && aggs[1]);
  qv_exec_plan *partial = NULL, *shuffled = NULL, *final = NULL, *sorted = NULL, *merged = NULL, *limited = NULL;
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_PARTIAL, f, groups, gnames, 1, aggs, 2, &partial, &err), &err);
  qv_expr *k = ct_col(partial, 0);
  CHECK_OK(qv_plan_repartition_hash(partial, &k, 1, 3, &shuffled, &err), &err);
  qv_expr_unref(k);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_FINAL_PARTITIONED, shuffled, groups, gnames, 1, aggs, 2, &final, &err), &err);
  qv_sort_key sk = {ct_col(final, 1), true, false};
  CHECK_OK(qv_plan_sort(final, &sk, 1, -1, true, &sorted, &err), &err);
  CHECK_OK(qv_plan_sort_preserving_merge(sorted, &sk, 1, -1, &merged, &err), &err);
  CHECK_OK(qv_plan_limit(merged, 0, 2, true, &limited, &err), &err);
  CHECK(ct_round_trip(limited));
  qv_expr_unref(sk.expr);
  qv_exec_plan_unref(merged);
  qv_exec_plan_unref(sorted);
  qv_exec_plan_unref(final);
  qv_exec_plan_unref(shuffled);
  qv_exec_plan_unref(partial);
  qv_aggregate_unref(aggs[0]);
  qv_aggregate_unref(aggs[1]);
  qv_expr_unref(groups[0]);
  qv_exec_plan_unref(f);
  qv_exec_plan_unref(scan);
}
