/* CASE (searched and simple), COALESCE and NULLIF: result types, NULLs,
 * branches evaluated only on their rows (a guarded division never fails),
 * scalar branches, strings and decimals. */
#include "expr_test_util.h"

static qv_expr *case_of(qv_expr *base, int n, qv_expr **whens, qv_expr **thens, qv_expr *else_) {
  for (int i = 0; i < n; i++)
    if (!whens[i] || !thens[i]) return NULL;
  qv_expr *e = NULL;
  if (qv_expr_case(base, whens, thens, n, else_, &e, &et_err)) return NULL;
  return et_track_expr(e);
}

QV_TEST(expr_case_searched) {
  qv_record_batch *b = et_batch(1, et_arr(et_t(QV_INT32), "1, 5, 10, NULL, 3"));
  qv_expr *c = et_col(b, 0);
  qv_expr *whens[2] = {et_bin(QV_OP_LT, c, et_i64(3)), et_bin(QV_OP_LT, c, et_i64(8))};
  qv_expr *thens[2] = {et_str("small"), et_str("medium")};
  qv_expr *e = case_of(NULL, 2, whens, thens, et_str("large"));
  CHECK(e);
  CHECK_EVAL(e, b, "small, medium, large, large, medium");
  CHECK_STR_EQ(et_sql(e), "CASE WHEN c0 < 3 THEN 'small' WHEN c0 < 8 THEN 'medium' ELSE 'large' END");
  /* No ELSE: NULL. */
  e = case_of(NULL, 2, whens, thens, NULL);
  CHECK(qv_expr_nullable(e));
  CHECK_EVAL(e, b, "small, medium, NULL, NULL, medium");
  /* Branches of different numeric types meet at a common type. */
  qv_expr *nthens[2] = {et_col(b, 0), et_f64(0.5)};
  e = case_of(NULL, 2, whens, nthens, et_decl(125, 3, 2));
  CHECK(e);
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "float64");
  CHECK_EVAL(e, b, "1, 0.5, 1.25, 1.25, 0.5");
  /* A non-boolean condition is refused. */
  qv_expr *bad[1] = {c};
  qv_expr *one[1] = {et_i64(1)};
  qv_expr *x = NULL;
  CHECK_STATUS(qv_expr_case(NULL, bad, one, 1, NULL, &x, &et_err), QV_TYPE_ERROR);
  et_free_all();
}

QV_TEST(expr_case_simple) {
  qv_record_batch *b = et_batch(2, et_strs(5, "R", "A", "N", NULL, "A"), et_arr(et_dec(15, 2), "1.00, 2.00, 3.00, 4.00, NULL"));
  qv_expr *whens[2] = {et_str("R"), et_str("A")};
  qv_expr *thens[2] = {et_col(b, 1), et_bin(QV_OP_MUL, et_col(b, 1), et_i64(2))};
  qv_expr *e = case_of(et_col(b, 0), 2, whens, thens, et_decl(0, 1, 0));
  CHECK(e);
  CHECK_EVAL(e, b, "1.00, 4.00, 0.00, 0.00, NULL");
  CHECK_STR_EQ(et_sql(e), "CASE c0 WHEN 'R' THEN c1 WHEN 'A' THEN c1 * 2 ELSE 0.00 END");
  et_free_all();
}

QV_TEST(expr_case_branches_run_on_their_rows) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_INT64), "10, 20, 30, 40"), et_arr(et_t(QV_INT64), "2, 0, NULL, 5"));
  qv_expr *n = et_col(b, 0), *d = et_col(b, 1);
  qv_expr *whens[1] = {et_bin(QV_OP_EQ, d, et_i64(0))};
  qv_expr *thens[1] = {et_i64(-1)};
  qv_expr *e = case_of(NULL, 1, whens, thens, et_bin(QV_OP_DIV, n, d));
  CHECK_EVAL(e, b, "5, -1, NULL, 8");
  /* The same with the division in a THEN branch. */
  qv_expr *w2[1] = {et_bin(QV_OP_NE, d, et_i64(0))};
  qv_expr *t2[1] = {et_bin(QV_OP_DIV, n, d)};
  CHECK_EVAL(case_of(NULL, 1, w2, t2, NULL), b, "5, NULL, NULL, 8");
  /* A guarded condition: WHEN d <> 0 AND n / d > 6. */
  qv_expr *w3[2] = {et_bin(QV_OP_EQ, d, et_i64(0)), et_bin(QV_OP_GT, et_bin(QV_OP_DIV, n, d), et_i64(6))};
  qv_expr *t3[2] = {et_str("zero"), et_str("big")};
  CHECK_EVAL(case_of(NULL, 2, w3, t3, et_str("small")), b, "small, zero, small, big");
  et_free_all();
}

QV_TEST(expr_case_all_rows_one_branch_and_empty) {
  qv_record_batch *b = et_batch(1, et_arr(et_t(QV_INT32), "1, 2, 3"));
  qv_expr *whens[1] = {et_bool(true)};
  qv_expr *thens[1] = {et_col(b, 0)};
  qv_array *r = et_eval(case_of(NULL, 1, whens, thens, et_i64(0)), b);
  CHECK(r);
  CHECK_STR_EQ(et_fmt(r), "1, 2, 3");
  qv_record_batch *empty = et_batch(1, et_arr(et_t(QV_INT32), ""));
  qv_expr *ew[1] = {et_bin(QV_OP_GT, et_col(empty, 0), et_i64(1))};
  qv_expr *et[1] = {et_str("x")};
  CHECK_EVAL(case_of(NULL, 1, ew, et, NULL), empty, "");
  et_free_all();
}

QV_TEST(expr_coalesce_nullif) {
  qv_record_batch *b = et_batch(3, et_arr(et_t(QV_INT32), "NULL, 2, NULL, NULL"), et_arr(et_t(QV_INT64), "1, 9, NULL, NULL"),
                                et_arr(et_t(QV_INT32), "7, 7, 7, 0"));
  qv_expr *e = et_fn("coalesce", 3, et_col(b, 0), et_col(b, 1), et_i64(-1));
  CHECK(e);
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "int64");
  CHECK(!qv_expr_nullable(e));
  CHECK_EVAL(e, b, "1, 2, -1, -1");
  CHECK_EVAL(et_fn("coalesce", 2, et_col(b, 0), et_col(b, 1)), b, "1, 2, NULL, NULL");
  CHECK_EVAL(et_fn("ifnull", 2, et_col(b, 0), et_str("5")), b, "5, 2, 5, 5");
  CHECK_EVAL(et_fn("coalesce", 1, et_col(b, 2)), b, "7, 7, 7, 0");
  /* Later arguments run only on the rows still NULL. */
  CHECK_EVAL(et_fn("coalesce", 2, et_col(b, 2), et_bin(QV_OP_DIV, et_i64(100), et_col(b, 2))), b, "7, 7, 7, 0");
  CHECK_EVAL(et_fn("coalesce", 2, et_col(b, 1), et_bin(QV_OP_DIV, et_i64(100), et_col(b, 0))), b, "1, 9, NULL, NULL");
  CHECK_EVAL_FAILS(et_fn("coalesce", 2, et_col(b, 0), et_bin(QV_OP_DIV, et_i64(100), et_col(b, 2))), b,
                   QV_OUT_OF_RANGE, "100 / 0");
  CHECK_EVAL(et_fn("nullif", 2, et_col(b, 2), et_i64(7)), b, "NULL, NULL, NULL, 0");
  CHECK_EVAL(et_fn("nullif", 2, et_col(b, 1), et_col(b, 2)), b, "1, 9, NULL, NULL");
  CHECK_EVAL(et_fn("nullif", 2, et_i64(1), et_i64(1)), b, "NULL, NULL, NULL, NULL");
  qv_record_batch *s = et_batch(2, et_strs(3, NULL, "b", NULL), et_arr(et_t(QV_LARGE_UTF8), "x, y, NULL"));
  CHECK_EVAL(et_fn("coalesce", 3, et_col(s, 0), et_col(s, 1), et_str("z")), s, "x, b, z");
  qv_expr *args[2] = {et_col(b, 0), et_str("abc")};
  qv_expr *x = NULL;
  CHECK_STATUS(qv_expr_function(NULL, "coalesce", args, 2, &x, &et_err), QV_INVALID);
  CHECK(strstr(et_err.message, "'abc'"));
  et_free_all();
}
