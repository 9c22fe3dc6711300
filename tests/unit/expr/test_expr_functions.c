/* Built-in functions by name: strings (UTF-8 aware), dates and timestamps,
 * math with decimal result types, and the lookup itself (case-insensitive
 * names, unknown names, argument counts and types). */
#include "expr_test_util.h"

QV_TEST(expr_fn_lookup) {
  qv_record_batch *b = et_batch(1, et_strs(2, "Ab", NULL));
  qv_expr *e = NULL;
  qv_expr *arg = et_col(b, 0);
  CHECK_STATUS(qv_expr_function(NULL, "no_such_fn", &arg, 1, &e, &et_err), QV_NOT_FOUND);
  CHECK_STR_EQ(et_err.message, "unknown function 'no_such_fn'");
  CHECK_STATUS(qv_expr_function(NULL, "upper", &arg, 0, &e, &et_err), QV_TYPE_ERROR);
  CHECK(strstr(et_err.message, "upper(): takes 1 arguments"));
  qv_expr *two[2] = {arg, et_i64(1)};
  CHECK_STATUS(qv_expr_function(NULL, "UPPER", two, 2, &e, &et_err), QV_TYPE_ERROR);
  qv_expr *num = et_i64(3);
  CHECK_STATUS(qv_expr_function(NULL, "lower", &num, 1, &e, &et_err), QV_TYPE_ERROR);
  CHECK(strstr(et_err.message, "function lower(int64): argument 1 must be a string"));
  CHECK_EVAL(et_fn("UpPeR", 1, arg), b, "AB, NULL");
  CHECK_STR_EQ(et_sql(et_fn("UpPeR", 1, arg)), "upper(c0)");
  et_free_all();
}

QV_TEST(expr_fn_strings) {
  qv_record_batch *b = et_batch(1, et_strs(5, "hello", "h\xc3\xa9llo w\xc3\xb6rld", "", NULL, "  pad  "));
  qv_expr *s = et_col(b, 0);
  CHECK_EVAL(et_fn("upper", 1, s), b, "HELLO, H\xc3\xa9LLO W\xc3\xb6RLD, , NULL,   PAD  ");
  CHECK_EVAL(et_fn("lower", 1, et_str("MiXeD")), b, "mixed, mixed, mixed, mixed, mixed");
  CHECK_EVAL(et_fn("length", 1, s), b, "5, 11, 0, NULL, 7");
  CHECK_EVAL(et_fn("octet_length", 1, s), b, "5, 13, 0, NULL, 7");
  CHECK_EVAL(et_fn("trim", 1, s), b, "hello, h\xc3\xa9llo w\xc3\xb6rld, , NULL, pad");
  CHECK_EVAL(et_fn("ltrim", 1, s), b, "hello, h\xc3\xa9llo w\xc3\xb6rld, , NULL, pad  ");
  CHECK_EVAL(et_fn("rtrim", 1, s), b, "hello, h\xc3\xa9llo w\xc3\xb6rld, , NULL,   pad");
  CHECK_EVAL(et_fn("trim", 2, et_str("xxaxyx"), et_str("xy")), b, "a, a, a, a, a");
  CHECK_EVAL(et_fn("btrim", 2, et_str("\xc3\xa9" "a\xc3\xa9"), et_str("\xc3\xa9")), b, "a, a, a, a, a");
  CHECK_EVAL(et_fn("starts_with", 2, s, et_str("h")), b, "true, true, false, NULL, false");
  CHECK_EVAL(et_fn("ends_with", 2, s, et_str("rld")), b, "false, true, false, NULL, false");
  CHECK_EVAL(et_fn("contains", 2, s, et_str("ll")), b, "true, true, false, NULL, false");
  et_free_all();
}

QV_TEST(expr_fn_substring) {
  qv_record_batch *b = et_batch(3, et_strs(4, "hello", "h\xc3\xa9llo", NULL, "abc"),
                                et_arr(et_t(QV_INT32), "2, 2, 1, NULL"), et_arr(et_t(QV_INT64), "3, 2, 1, 1"));
  qv_expr *s = et_col(b, 0);
  CHECK_EVAL(et_fn("substring", 3, s, et_col(b, 1), et_col(b, 2)), b, "ell, \xc3\xa9l, NULL, NULL");
  CHECK_EVAL(et_fn("substr", 2, s, et_i64(3)), b, "llo, llo, NULL, c");
  /* PostgreSQL semantics for starts before 1 and past the end. */
  CHECK_EVAL(et_fn("substring", 3, s, et_i64(0), et_i64(2)), b, "h, h, NULL, a");
  CHECK_EVAL(et_fn("substring", 3, s, et_i64(-5), et_i64(7)), b, "h, h, NULL, a");
  CHECK_EVAL(et_fn("substring", 3, s, et_i64(10), et_i64(2)), b, ", , NULL, ");
  CHECK_EVAL(et_fn("substring", 3, s, et_i64(2), et_i64(0)), b, ", , NULL, ");
  CHECK_EVAL_FAILS(et_fn("substring", 3, s, et_i64(1), et_i64(-1)), b, QV_INVALID, "negative length -1");
  qv_expr *args[2] = {s, et_str("x")};
  qv_expr *e = NULL;
  CHECK_STATUS(qv_expr_function(NULL, "substring", args, 2, &e, &et_err), QV_TYPE_ERROR);
  et_free_all();
}

QV_TEST(expr_fn_concat) {
  qv_record_batch *b = et_batch(3, et_strs(3, "a", NULL, NULL), et_arr(et_t(QV_INT32), "1, 2, NULL"),
                                et_arr(et_dec(5, 2), "1.50, NULL, NULL"));
  qv_expr *e = et_fn("concat", 4, et_col(b, 0), et_str("-"), et_col(b, 1), et_col(b, 2));
  CHECK(e);
  CHECK(!qv_expr_nullable(e));
  CHECK_EVAL(e, b, "a-11.50, -2, -");
  CHECK_EVAL(et_fn("concat", 1, et_null(NULL)), b, ", , ");
  et_free_all();
}

QV_TEST(expr_fn_dates) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_DATE32), "1998-12-01, 2024-02-29, 1969-12-28, NULL"),
                                et_arr(et_ts(QV_MICRO, NULL), "2020-03-15 13:45:30.25, 1969-12-31 23:59:59, NULL, 2021-01-03 00:00:00"));
  qv_expr *d = et_col(b, 0), *t = et_col(b, 1);
  CHECK_EVAL(et_fn("date_part", 2, et_str("year"), d), b, "1998, 2024, 1969, NULL");
  CHECK_EVAL(et_fn("extract", 2, et_str("MONTH"), d), b, "12, 2, 12, NULL");
  CHECK_EVAL(et_fn("extract", 2, et_str("day"), d), b, "1, 29, 28, NULL");
  CHECK_EVAL(et_fn("extract", 2, et_str("quarter"), d), b, "4, 1, 4, NULL");
  CHECK_EVAL(et_fn("extract", 2, et_str("dow"), d), b, "2, 4, 0, NULL");
  CHECK_EVAL(et_fn("extract", 2, et_str("isodow"), d), b, "2, 4, 7, NULL");
  CHECK_EVAL(et_fn("extract", 2, et_str("doy"), d), b, "335, 60, 362, NULL");
  CHECK_EVAL(et_fn("extract", 2, et_str("week"), d), b, "49, 9, 52, NULL");
  CHECK_EVAL(et_fn("extract", 2, et_str("hour"), t), b, "13, 23, NULL, 0");
  CHECK_EVAL(et_fn("extract", 2, et_str("minute"), t), b, "45, 59, NULL, 0");
  CHECK_EVAL(et_fn("extract", 2, et_str("second"), t), b, "30, 59, NULL, 0");
  CHECK_EVAL(et_fn("extract", 2, et_str("millisecond"), t), b, "30250, 59000, NULL, 0");
  CHECK_EVAL(et_fn("extract", 2, et_str("week"), t), b, "11, 1, NULL, 53");
  CHECK_EVAL(et_fn("extract", 2, et_str("epoch"), t), b, "1584279930.25, -1, NULL, 1609632000");
  CHECK_EVAL(et_fn("date_trunc", 2, et_str("month"), d), b, "1998-12-01, 2024-02-01, 1969-12-01, NULL");
  CHECK_EVAL(et_fn("date_trunc", 2, et_str("year"), t), b, "2020-01-01 00:00:00, 1969-01-01 00:00:00, NULL, 2021-01-01 00:00:00");
  CHECK_EVAL(et_fn("date_trunc", 2, et_str("quarter"), d), b, "1998-10-01, 2024-01-01, 1969-10-01, NULL");
  CHECK_EVAL(et_fn("date_trunc", 2, et_str("week"), d), b, "1998-11-30, 2024-02-26, 1969-12-22, NULL");
  CHECK_EVAL(et_fn("date_trunc", 2, et_str("hour"), t), b, "2020-03-15 13:00:00, 1969-12-31 23:00:00, NULL, 2021-01-03 00:00:00");
  CHECK_EVAL(et_fn("date_add", 2, d, et_i64(-90)), b, "1998-09-02, 2023-12-01, 1969-09-29, NULL");
  CHECK_EVAL(et_fn("date_sub", 2, d, et_i64(90)), b, "1998-09-02, 2023-12-01, 1969-09-29, NULL");
  CHECK_EVAL(et_fn("add_months", 2, d, et_i64(1)), b, "1999-01-01, 2024-03-29, 1970-01-28, NULL");
  CHECK_EVAL(et_fn("add_months", 2, et_date("2024-01-31"), et_i64(1)), b, "2024-02-29, 2024-02-29, 2024-02-29, 2024-02-29");
  CHECK_EVAL(et_fn("add_years", 2, d, et_i64(1)), b, "1999-12-01, 2025-02-28, 1970-12-28, NULL");
  CHECK_EVAL(et_fn("add_months", 2, t, et_i64(-13)), b, "2019-02-15 13:45:30.25, 1968-11-30 23:59:59, NULL, 2019-12-03 00:00:00");
  qv_expr *args[2] = {et_str("fortnight"), d};
  qv_expr *e = NULL;
  CHECK_STATUS(qv_expr_function(NULL, "date_part", args, 2, &e, &et_err), QV_TYPE_ERROR);
  CHECK(strstr(et_err.message, "unknown field 'fortnight'"));
  qv_expr *nonlit[2] = {et_fn("upper", 1, et_str("year")), d};
  CHECK_STATUS(qv_expr_function(NULL, "date_trunc", nonlit, 2, &e, &et_err), QV_TYPE_ERROR);
  CHECK_EVAL_FAILS(et_fn("date_add", 2, d, et_i64(3000000000LL)), b, QV_OUT_OF_RANGE, "date_add");
  et_free_all();
}

QV_TEST(expr_fn_math) {
  qv_record_batch *b = et_batch(3, et_arr(et_t(QV_INT32), "-3, 0, NULL, 7"), et_arr(et_t(QV_FLOAT64), "-2.5, 2.5, 0.125, NULL"),
                                et_arr(et_dec(10, 4), "1.2345, -1.2355, 2.5000, NULL"));
  CHECK_EVAL(et_fn("abs", 1, et_col(b, 0)), b, "3, 0, NULL, 7");
  CHECK_EVAL(et_fn("abs", 1, et_col(b, 1)), b, "2.5, 2.5, 0.125, NULL");
  CHECK_EVAL(et_fn("abs", 1, et_col(b, 2)), b, "1.2345, 1.2355, 2.5000, NULL");
  CHECK_EVAL(et_fn("round", 1, et_col(b, 1)), b, "-3, 3, 0, NULL");
  CHECK_EVAL(et_fn("round", 2, et_col(b, 1), et_i64(2)), b, "-2.5, 2.5, 0.13, NULL");
  qv_expr *r = et_fn("round", 2, et_col(b, 2), et_i64(2));
  CHECK(r);
  CHECK_STR_EQ(et_type(qv_expr_type(r)), "decimal128(10, 2)");
  CHECK_EVAL(r, b, "1.23, -1.24, 2.50, NULL");
  CHECK_EVAL(et_fn("round", 1, et_col(b, 2)), b, "1, -1, 3, NULL");
  CHECK_EVAL(et_fn("round", 2, et_col(b, 0), et_i64(-1)), b, "0, 0, NULL, 10");
  CHECK_EVAL(et_fn("round", 2, et_i64(-25), et_i64(-1)), b, "-30, -30, -30, -30");
  qv_expr *f = et_fn("floor", 1, et_col(b, 2));
  CHECK_STR_EQ(et_type(qv_expr_type(f)), "decimal128(10, 0)");
  CHECK_EVAL(f, b, "1, -2, 2, NULL");
  CHECK_EVAL(et_fn("ceil", 1, et_col(b, 2)), b, "2, -1, 3, NULL");
  CHECK_EVAL(et_fn("ceiling", 1, et_col(b, 1)), b, "-2, 3, 1, NULL");
  CHECK_EVAL(et_fn("floor", 1, et_col(b, 1)), b, "-3, 2, 0, NULL");
  CHECK_EVAL(et_fn("floor", 1, et_col(b, 0)), b, "-3, 0, NULL, 7");
  CHECK_EVAL(et_fn("sqrt", 1, et_i64(16)), b, "4, 4, 4, 4");
  CHECK_EVAL(et_fn("power", 2, et_col(b, 0), et_i64(2)), b, "9, 0, NULL, 49");
  CHECK_EVAL(et_fn("sign", 1, et_col(b, 0)), b, "-1, 0, NULL, 1");
  qv_record_batch *m = et_batch(1, et_arr(et_t(QV_INT8), "-128"));
  CHECK_EVAL_FAILS(et_fn("abs", 1, et_col(m, 0)), m, QV_OUT_OF_RANGE, "abs(-128)");
  qv_expr *args[2] = {et_col(b, 2), et_col(b, 0)};
  qv_expr *e = NULL;
  CHECK_STATUS(qv_expr_function(NULL, "round", args, 2, &e, &et_err), QV_TYPE_ERROR);
  et_free_all();
}

QV_TEST(expr_fn_strings_on_slices) {
  qv_array *all = et_strs(12, "a0", "PROMO 1", NULL, "b3", "PROMO 4", "x5", "y6", NULL, "PROMO 8", "z9", "q10", "PROMO 11");
  qv_array *sl = NULL;
  CHECK_OK(qv_array_slice(all, 3, 9, &sl, &et_err), &et_err);
  et_track_array(sl);
  qv_record_batch *b = et_batch(1, sl);
  CHECK_EVAL(et_fn("upper", 1, et_col(b, 0)), b, "B3, PROMO 4, X5, Y6, NULL, PROMO 8, Z9, Q10, PROMO 11");
  CHECK_EVAL(et_fn("length", 1, et_col(b, 0)), b, "2, 7, 2, 2, NULL, 7, 2, 3, 8");
  qv_expr *like = NULL;
  CHECK_OK(qv_expr_like(et_col(b, 0), et_str("PROMO%"), false, false, &like, &et_err), &et_err);
  et_track_expr(like);
  CHECK_EVAL(like, b, "false, true, false, false, NULL, true, false, false, true");
  CHECK_EVAL(et_fn("substring", 3, et_col(b, 0), et_i64(2), et_i64(3)), b, "3, ROM, 5, 6, NULL, ROM, 9, 10, ROM");
  CHECK_EVAL(et_fn("concat", 2, et_col(b, 0), et_str("!")), b, "b3!, PROMO 4!, x5!, y6!, !, PROMO 8!, z9!, q10!, PROMO 11!");
  et_free_all();
}
