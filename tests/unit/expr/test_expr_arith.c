/* Arithmetic: + - * / % and negation over every numeric type with nulls,
 * empty and scalar inputs; overflow and division by zero errors (and that
 * garbage under null slots never raises them); decimal result types and
 * values, including the TPC-H price expression checked against DuckDB's
 * numbers; date arithmetic. */
#include "expr_test_util.h"

QV_TEST(expr_arith_int32_basic) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_INT32), "1, 2, NULL, -7, 100"),
                                et_arr(et_t(QV_INT32), "10, NULL, 3, 2, -3"));
  qv_expr *l = et_col(b, 0), *r = et_col(b, 1);
  CHECK_EVAL(et_bin(QV_OP_ADD, l, r), b, "11, NULL, NULL, -5, 97");
  CHECK_EVAL(et_bin(QV_OP_SUB, l, r), b, "-9, NULL, NULL, -9, 103");
  CHECK_EVAL(et_bin(QV_OP_MUL, l, r), b, "10, NULL, NULL, -14, -300");
  CHECK_EVAL(et_bin(QV_OP_DIV, l, r), b, "0, NULL, NULL, -3, -33");
  CHECK_EVAL(et_bin(QV_OP_MOD, l, r), b, "1, NULL, NULL, -1, 1");
  /* The literal adapts to int32: the result stays int32. */
  qv_expr *plus1 = et_bin(QV_OP_ADD, l, et_i64(1));
  CHECK(plus1);
  CHECK_STR_EQ(et_type(qv_expr_type(plus1)), "int32");
  CHECK_EVAL(plus1, b, "2, 3, NULL, -6, 101");
  /* Scalar on the left. */
  CHECK_EVAL(et_bin(QV_OP_SUB, et_i64(1000), l), b, "999, 998, NULL, 1007, 900");
  CHECK_EVAL(et_bin(QV_OP_DIV, et_i64(100), r), b, "10, NULL, 33, 50, -33");
  et_free_all();
}

QV_TEST(expr_arith_widening_and_mixed) {
  qv_record_batch *b = et_batch(3, et_arr(et_t(QV_INT8), "1, -2, NULL"), et_arr(et_t(QV_INT64), "1000000000000, 2, 3"),
                                et_arr(et_t(QV_UINT32), "4000000000, 1, 2"));
  qv_expr *e = et_bin(QV_OP_ADD, et_col(b, 0), et_col(b, 1));
  CHECK(e);
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "int64");
  CHECK_EVAL(e, b, "1000000000001, 0, NULL");
  /* int8 with uint32 needs int64. */
  e = et_bin(QV_OP_SUB, et_col(b, 0), et_col(b, 2));
  CHECK(e);
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "int64");
  CHECK_EVAL(e, b, "-3999999999, -3, NULL");
  /* Float wins. */
  e = et_bin(QV_OP_MUL, et_col(b, 1), et_f64(0.5));
  CHECK(e);
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "float64");
  CHECK_EVAL(e, b, "500000000000, 1, 1.5");
  /* int64 with uint64 becomes decimal(20, 0). */
  qv_record_batch *b2 = et_batch(2, et_arr(et_t(QV_INT64), "-5"), et_arr(et_t(QV_UINT64), "18446744073709551615"));
  e = et_bin(QV_OP_ADD, et_col(b2, 0), et_col(b2, 1));
  CHECK(e);
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "decimal128(21, 0)");
  CHECK_EVAL(e, b2, "18446744073709551610");
  et_free_all();
}

QV_TEST(expr_arith_overflow_errors) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_INT32), "2147483647, 1"), et_arr(et_t(QV_INT32), "1, 1"));
  CHECK_EVAL_FAILS(et_bin(QV_OP_ADD, et_col(b, 0), et_col(b, 1)), b, QV_OUT_OF_RANGE,
                   "integer overflow in '+': 2147483647 + 1 does not fit int32");
  CHECK_EVAL_FAILS(et_bin(QV_OP_MUL, et_col(b, 0), et_i64(2)), b, QV_OUT_OF_RANGE, "'*'");
  CHECK_EVAL_FAILS(et_bin(QV_OP_SUB, et_i64(-2147483648LL), et_col(b, 1)), b, QV_OUT_OF_RANGE, "'-'");
  qv_record_batch *b64 = et_batch(1, et_arr(et_t(QV_INT64), "-9223372036854775808, 5"));
  CHECK_EVAL_FAILS(et_bin(QV_OP_DIV, et_col(b64, 0), et_i64(-1)), b64, QV_OUT_OF_RANGE, "'/'");
  /* x % -1 is 0 even for the most negative value. */
  CHECK_EVAL(et_bin(QV_OP_MOD, et_col(b64, 0), et_i64(-1)), b64, "0, 0");
  qv_expr *neg = NULL;
  CHECK_OK(qv_expr_negate(et_col(b64, 0), &neg, &et_err), &et_err);
  et_track_expr(neg);
  CHECK_EVAL_FAILS(neg, b64, QV_OUT_OF_RANGE, "-(-9223372036854775808)");
  et_free_all();
}

QV_TEST(expr_arith_unsigned_wrap_is_an_error) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_UINT8), "3, 200"), et_arr(et_t(QV_UINT8), "4, 100"));
  CHECK_EVAL_FAILS(et_bin(QV_OP_SUB, et_col(b, 0), et_col(b, 1)), b, QV_OUT_OF_RANGE, "3 - 4 does not fit uint8");
  CHECK_EVAL_FAILS(et_bin(QV_OP_ADD, et_col(b, 0), et_col(b, 0)), b, QV_OUT_OF_RANGE, "200 + 200");
  et_free_all();
}

QV_TEST(expr_arith_division_by_zero) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_INT64), "10, 20"), et_arr(et_t(QV_INT64), "2, 0"));
  CHECK_EVAL_FAILS(et_bin(QV_OP_DIV, et_col(b, 0), et_col(b, 1)), b, QV_OUT_OF_RANGE, "division by zero: 20 / 0");
  CHECK_EVAL_FAILS(et_bin(QV_OP_MOD, et_col(b, 0), et_col(b, 1)), b, QV_OUT_OF_RANGE, "division by zero: 20 % 0");
  CHECK_EVAL_FAILS(et_bin(QV_OP_DIV, et_col(b, 0), et_i64(0)), b, QV_OUT_OF_RANGE, "division by zero");
  /* Floats follow IEEE. */
  qv_record_batch *f = et_batch(2, et_arr(et_t(QV_FLOAT64), "1, -1, 0"), et_arr(et_t(QV_FLOAT64), "0, 0, 0"));
  CHECK_EVAL(et_bin(QV_OP_DIV, et_col(f, 0), et_col(f, 1)), f, "inf, -inf, NaN");
  /* Decimals raise it too. */
  qv_record_batch *d = et_batch(2, et_arr(et_dec(5, 2), "1.00"), et_arr(et_dec(5, 2), "0.00"));
  CHECK_EVAL_FAILS(et_bin(QV_OP_DIV, et_col(d, 0), et_col(d, 1)), d, QV_OUT_OF_RANGE, "division by zero: 1.00 / 0.00");
  et_free_all();
}

/* A null row may hold any bytes; they must not raise errors. */
QV_TEST(expr_arith_garbage_under_nulls) {
  qv_array *a = et_arr(et_t(QV_INT32), "2147483647, 5");
  qv_array *zero_or_null = et_arr(et_t(QV_INT32), "NULL, 1");
  CHECK(a && zero_or_null);
  /* Build a column whose null slot holds 1 (overflowing 2147483647 + 1)
   * and one whose null slot holds 0. */
  qv_buffer *vals = NULL;
  CHECK_OK(qv_buffer_allocate(qv_default_allocator(), 8, &vals, &et_err), &et_err);
  ((int32_t *)qv_buffer_mutable_data(vals))[0] = 1;
  ((int32_t *)qv_buffer_mutable_data(vals))[1] = 0;
  qv_buffer *bufs[2] = {qv_array_buffer(zero_or_null, 0), vals};
  qv_array *weird = NULL;
  CHECK_OK(qv_array_create(et_t(QV_INT32), 2, 0, -1, bufs, 2, NULL, 0, NULL, &weird, &et_err), &et_err);
  qv_buffer_unref(vals);
  et_track_array(weird);
  /* Row 1 of weird is 0 but valid: division fails there; so use only row 0's
   * garbage: slice to one row. */
  qv_array *w0 = NULL, *a0 = NULL;
  CHECK_OK(qv_array_slice(weird, 0, 1, &w0, &et_err), &et_err);
  CHECK_OK(qv_array_slice(a, 0, 1, &a0, &et_err), &et_err);
  et_track_array(w0);
  et_track_array(a0);
  qv_record_batch *b = et_batch(2, a0, w0);
  CHECK_EVAL(et_bin(QV_OP_ADD, et_col(b, 0), et_col(b, 1)), b, "NULL");
  qv_record_batch *b2 = et_batch(2, et_arr(et_t(QV_INT32), "7, 8"), weird);
  /* weird = [NULL(holding 1), 0]: 8 / 0 is a real division by zero. */
  CHECK_EVAL_FAILS(et_bin(QV_OP_DIV, et_col(b2, 0), et_col(b2, 1)), b2, QV_OUT_OF_RANGE, "8 / 0");
  et_free_all();
}

QV_TEST(expr_arith_nulls_empty_scalars) {
  qv_record_batch *b = et_batch(1, et_arr(et_t(QV_INT64), "1, 2, 3"));
  CHECK_EVAL(et_bin(QV_OP_ADD, et_col(b, 0), et_null(et_t(QV_INT64))), b, "NULL, NULL, NULL");
  /* An untyped NULL takes the other side's type. */
  qv_expr *e = et_bin(QV_OP_MUL, et_null(NULL), et_col(b, 0));
  CHECK(e);
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "int64");
  CHECK_EVAL(e, b, "NULL, NULL, NULL");
  /* Constant trees are scalars until the end. */
  CHECK_EVAL(et_bin(QV_OP_ADD, et_i64(40), et_i64(2)), b, "42, 42, 42");
  qv_record_batch *empty = et_batch(1, et_arr(et_t(QV_INT64), ""));
  CHECK(empty);
  CHECK_EVAL(et_bin(QV_OP_DIV, et_col(empty, 0), et_i64(0)), empty, "");
  CHECK_EQ_INT(qv_array_length(et_eval(et_bin(QV_OP_ADD, et_i64(1), et_i64(2)), empty)), 0);
  et_free_all();
}

QV_TEST(expr_arith_floats) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_FLOAT32), "1.5, NULL, -2"), et_arr(et_t(QV_FLOAT32), "2, 1, 0.25"));
  qv_expr *e = et_bin(QV_OP_MUL, et_col(b, 0), et_col(b, 1));
  CHECK(e);
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "float32");
  CHECK_EVAL(e, b, "3, NULL, -0.5");
  CHECK_EVAL(et_bin(QV_OP_MOD, et_col(b, 0), et_col(b, 1)), b, "1.5, NULL, -0");
  /* float32 with an integer literal stays float32. */
  e = et_bin(QV_OP_ADD, et_col(b, 0), et_i64(1));
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "float32");
  CHECK_EVAL(e, b, "2.5, NULL, -1");
  et_free_all();
}

QV_TEST(expr_arith_decimal_types) {
  /* The Hive/Spark/DataFusion rules. */
  struct {
    qv_binary_op op;
    int p1, s1, p2, s2;
    const char *want;
  } cases[] = {
      {QV_OP_ADD, 15, 2, 15, 2, "decimal128(16, 2)"}, {QV_OP_SUB, 10, 2, 5, 4, "decimal128(13, 4)"},
      {QV_OP_MUL, 15, 2, 16, 2, "decimal128(32, 4)"}, {QV_OP_MUL, 38, 10, 38, 10, "decimal128(38, 6)"},
      {QV_OP_DIV, 15, 2, 15, 2, "decimal128(33, 18)"}, {QV_OP_DIV, 38, 10, 38, 10, "decimal128(38, 6)"},
      {QV_OP_MOD, 15, 2, 7, 3, "decimal128(7, 3)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qv_record_batch *b =
        et_batch(2, et_arr(et_dec(cases[i].p1, cases[i].s1), "1"), et_arr(et_dec(cases[i].p2, cases[i].s2), "1"));
    qv_expr *e = et_bin(cases[i].op, et_col(b, 0), et_col(b, 1));
    CHECK(e);
    CHECK_STR_EQ(et_type(qv_expr_type(e)), cases[i].want);
  }
  /* An integer literal joins as decimal(digits of its value, 0): 1 - d is
   * decimal(16, 2) for d decimal(15, 2), as in DuckDB. */
  qv_record_batch *b = et_batch(1, et_arr(et_dec(15, 2), "0.05"));
  qv_expr *e = et_bin(QV_OP_SUB, et_i64(1), et_col(b, 0));
  CHECK(e);
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "decimal128(16, 2)");
  CHECK_EVAL(e, b, "0.95");
  /* An int32 column joins as decimal(10, 0). */
  qv_record_batch *b2 = et_batch(2, et_arr(et_t(QV_INT32), "3"), et_arr(et_dec(5, 2), "1.25"));
  e = et_bin(QV_OP_MUL, et_col(b2, 0), et_col(b2, 1));
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "decimal128(16, 2)");
  CHECK_EVAL(e, b2, "3.75");
  et_free_all();
}

QV_TEST(expr_arith_decimal_values) {
  qv_record_batch *b = et_batch(2, et_arr(et_dec(10, 2), "1.25, -3.50, NULL, 99999999.99"),
                                et_arr(et_dec(8, 3), "0.125, 2.000, 1.000, 0.001"));
  qv_expr *l = et_col(b, 0), *r = et_col(b, 1);
  CHECK_EVAL(et_bin(QV_OP_ADD, l, r), b, "1.375, -1.500, NULL, 99999999.991");
  CHECK_EVAL(et_bin(QV_OP_SUB, l, r), b, "1.125, -5.500, NULL, 99999999.989");
  CHECK_EVAL(et_bin(QV_OP_MUL, l, r), b, "0.15625, -7.00000, NULL, 99999.99999");
  /* 1.25 / 0.125 = 10 at scale max(6, 2 + 8 + 1) = 11. */
  CHECK_EVAL(et_bin(QV_OP_DIV, l, r), b, "10.00000000000, -1.75000000000, NULL, 99999999990.00000000000");
  CHECK_EVAL(et_bin(QV_OP_MOD, l, r), b, "0.000, -1.500, NULL, 0.000");
  /* Division rounds half away from zero at the result scale. */
  qv_record_batch *c = et_batch(2, et_arr(et_dec(3, 0), "2, -2, 1"), et_arr(et_dec(3, 0), "3, 3, 7"));
  CHECK_EVAL(et_bin(QV_OP_DIV, et_col(c, 0), et_col(c, 1)), c, "0.666667, -0.666667, 0.142857");
  qv_expr *neg = NULL;
  CHECK_OK(qv_expr_negate(l, &neg, &et_err), &et_err);
  et_track_expr(neg);
  CHECK_EVAL(neg, b, "-1.25, 3.50, NULL, -99999999.99");
  et_free_all();
}

/* TPC-H Q1: l_extendedprice * (1 - l_discount) * (1 + l_tax), values from
 * DuckDB over the same inputs. */
QV_TEST(expr_arith_tpch_charge) {
  qv_record_batch *b = et_batch(3, et_arr(et_dec(15, 2), "17954.55, 34850.16, 7712.48, 25284.00, NULL"),
                                et_arr(et_dec(15, 2), "0.04, 0.09, 0.10, 0.06, 0.01"),
                                et_arr(et_dec(15, 2), "0.02, 0.06, 0.02, 0.01, 0.02"));
  qv_expr *disc = et_bin(QV_OP_MUL, et_col(b, 0), et_bin(QV_OP_SUB, et_i64(1), et_col(b, 1)));
  qv_expr *charge = et_bin(QV_OP_MUL, disc, et_bin(QV_OP_ADD, et_i64(1), et_col(b, 2)));
  CHECK(charge);
  CHECK_STR_EQ(et_sql(charge), "c0 * (1 - c1) * (1 + c2)");
  CHECK_EVAL(disc, b, "17236.3680, 31713.6456, 6941.2320, 23766.9600, NULL");
  CHECK_EVAL(charge, b, "17581.095360, 33616.464336, 7080.056640, 24004.629600, NULL");
  et_free_all();
}

QV_TEST(expr_arith_decimal_overflow) {
  qv_record_batch *b = et_batch(1, et_arr(et_dec(38, 0), "99999999999999999999999999999999999999"));
  CHECK_EVAL_FAILS(et_bin(QV_OP_ADD, et_col(b, 0), et_col(b, 0)), b, QV_OUT_OF_RANGE, "decimal overflow in '+'");
  CHECK_EVAL_FAILS(et_bin(QV_OP_MUL, et_col(b, 0), et_col(b, 0)), b, QV_OUT_OF_RANGE, "decimal overflow in '*'");
  et_free_all();
}

QV_TEST(expr_arith_type_errors) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_INT32), "1"), et_strs(1, "a"));
  qv_expr *e = NULL;
  CHECK_STATUS(qv_expr_binary(QV_OP_ADD, et_col(b, 0), et_col(b, 1), &e, &et_err), QV_TYPE_ERROR);
  CHECK(strstr(et_err.message, "operator '+' cannot be applied to int32 and utf8"));
  CHECK_STATUS(qv_expr_binary(QV_OP_AND, et_col(b, 0), et_col(b, 0), &e, &et_err), QV_TYPE_ERROR);
  CHECK_STATUS(qv_expr_negate(et_col(b, 1), &e, &et_err), QV_TYPE_ERROR);
  CHECK(e == NULL);
  et_free_all();
}

QV_TEST(expr_arith_dates) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_DATE32), "1998-12-01, 2000-02-29, NULL"),
                                et_arr(et_t(QV_INT32), "90, 1, 5"));
  CHECK_EVAL(et_bin(QV_OP_SUB, et_col(b, 0), et_i64(90)), b, "1998-09-02, 1999-12-01, NULL");
  CHECK_EVAL(et_bin(QV_OP_ADD, et_col(b, 0), et_col(b, 1)), b, "1999-03-01, 2000-03-01, NULL");
  /* n + date is date + n. */
  CHECK_EVAL(et_bin(QV_OP_ADD, et_i64(1), et_col(b, 0)), b, "1998-12-02, 2000-03-01, NULL");
  qv_expr *diff = et_bin(QV_OP_SUB, et_col(b, 0), et_date("1998-01-01"));
  CHECK(diff);
  CHECK_STR_EQ(et_type(qv_expr_type(diff)), "int64");
  CHECK_EVAL(diff, b, "334, 789, NULL");
  /* Interval literals: months clamp to the end of the month. */
  qv_array_builder ib;
  CHECK_OK(qv_array_builder_init(&ib, NULL, et_t(QV_INTERVAL_MONTH_DAY_NANO), &et_err), &et_err);
  uint8_t iv[16] = {0};
  int32_t months = 1, days = 2;
  memcpy(iv, &months, 4);
  memcpy(iv + 4, &days, 4);
  CHECK_OK(qv_array_builder_append_fixed(&ib, iv, &et_err), &et_err);
  qv_array *ia = NULL;
  CHECK_OK(qv_array_builder_finish(&ib, &ia, &et_err), &et_err);
  et_track_array(ia);
  qv_expr *lit = NULL;
  CHECK_OK(qv_expr_literal(ia, &lit, &et_err), &et_err);
  et_track_expr(lit);
  qv_record_batch *m = et_batch(1, et_arr(et_t(QV_DATE32), "2024-01-31, 2023-01-31, 2024-12-31"));
  CHECK_EVAL(et_bin(QV_OP_ADD, et_col(m, 0), lit), m, "2024-03-02, 2023-03-02, 2025-02-02");
  CHECK_EVAL(et_bin(QV_OP_SUB, et_col(m, 0), lit), m, "2023-12-29, 2022-12-29, 2024-11-28");
  qv_record_batch *t = et_batch(1, et_arr(et_ts(QV_MICRO, NULL), "2024-01-31 10:00:00, NULL"));
  CHECK_EVAL(et_bin(QV_OP_ADD, et_col(t, 0), lit), t, "2024-03-02 10:00:00, NULL");
  qv_expr *e = NULL;
  CHECK_STATUS(qv_expr_binary(QV_OP_MUL, et_col(b, 0), et_i64(2), &e, &et_err), QV_TYPE_ERROR);
  CHECK_EVAL_FAILS(et_bin(QV_OP_ADD, et_col(b, 0), et_i64(4000000000LL)), b, QV_OUT_OF_RANGE, "date arithmetic");
  et_free_all();
}
