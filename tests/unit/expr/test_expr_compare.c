/* Comparisons over every comparable type with NULLs and scalars on either
 * side; decimals of different scales; float NaN ordering; strings
 * byte-wise; dates against timestamps; dictionary columns; literal
 * adaptation; and the three-valued logic of AND, OR, NOT, IS NULL, IN and
 * BETWEEN (full truth tables). */
#include <stdarg.h>

#include "expr_test_util.h"

static const qv_binary_op ops[6] = {QV_OP_EQ, QV_OP_NE, QV_OP_LT, QV_OP_LE, QV_OP_GT, QV_OP_GE};

QV_TEST(expr_compare_ints_all_ops) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_INT32), "1, 2, 3, NULL, -5, 7, 7, 7, 7"),
                                et_arr(et_t(QV_INT32), "2, 2, 2, 1, NULL, 7, 8, 6, -7"));
  const char *want[6] = {
      "false, true, false, NULL, NULL, true, false, false, false",
      "true, false, true, NULL, NULL, false, true, true, true",
      "true, false, false, NULL, NULL, false, true, false, false",
      "true, true, false, NULL, NULL, true, true, false, false",
      "false, false, true, NULL, NULL, false, false, true, true",
      "false, true, true, NULL, NULL, true, false, true, true",
  };
  for (int k = 0; k < 6; k++) CHECK_EVAL(et_bin(ops[k], et_col(b, 0), et_col(b, 1)), b, want[k]);
  /* Column against scalar, both ways round. */
  CHECK_EVAL(et_bin(QV_OP_LT, et_col(b, 0), et_i64(3)), b, "true, true, false, NULL, true, false, false, false, false");
  CHECK_EVAL(et_bin(QV_OP_LT, et_i64(3), et_col(b, 0)), b, "false, false, false, NULL, false, true, true, true, true");
  CHECK_EVAL(et_bin(QV_OP_EQ, et_col(b, 0), et_null(et_t(QV_INT32))), b,
             "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL");
  et_free_all();
}

QV_TEST(expr_compare_long_columns_pack_bits) {
  /* 70 rows cross several bytes of the packed result and a partial tail. */
  char buf[2048] = "";
  char want[4096] = "";
  for (int i = 0; i < 70; i++) {
    char v[16];
    snprintf(v, sizeof v, "%s%d", i ? ", " : "", i % 5 == 0 ? -1 : i);
    strcat(buf, v);
    strcat(want, i ? ", " : "");
    strcat(want, (i % 5 == 0 ? -1 : i) > 30 ? "true" : "false");
  }
  qv_record_batch *b = et_batch(1, et_arr(et_t(QV_INT64), buf));
  CHECK_EVAL(et_bin(QV_OP_GT, et_col(b, 0), et_i64(30)), b, want);
  /* Same again on a slice at an odd offset. */
  qv_array *sl = NULL;
  CHECK_OK(qv_array_slice(qv_record_batch_column(b, 0), 3, 60, &sl, &et_err), &et_err);
  et_track_array(sl);
  qv_record_batch *b2 = et_batch(1, sl);
  qv_array *r = et_eval(et_bin(QV_OP_GT, et_col(b2, 0), et_i64(30)), b2);
  CHECK(r);
  for (int i = 0; i < 60; i++) {
    int v = (i + 3) % 5 == 0 ? -1 : i + 3;
    CHECK_EQ_INT(qv_bit_get(qv_buffer_data(qv_array_buffer(r, 1)), qv_array_offset(r) + i), v > 30);
  }
  et_free_all();
}

QV_TEST(expr_compare_unsigned_and_floats) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_UINT64), "18446744073709551615, 0, 5"),
                                et_arr(et_t(QV_UINT64), "1, 0, 6"));
  CHECK_EVAL(et_bin(QV_OP_GT, et_col(b, 0), et_col(b, 1)), b, "true, false, false");
  /* NaN equals NaN and is larger than every number. */
  qv_record_batch *f = et_batch(2, et_arr(et_t(QV_FLOAT64), "nan, nan, 1, -inf, 0"),
                                et_arr(et_t(QV_FLOAT64), "nan, inf, nan, -1, -0"));
  CHECK_EVAL(et_bin(QV_OP_EQ, et_col(f, 0), et_col(f, 1)), f, "true, false, false, false, true");
  CHECK_EVAL(et_bin(QV_OP_GT, et_col(f, 0), et_col(f, 1)), f, "false, true, false, false, false");
  CHECK_EVAL(et_bin(QV_OP_LT, et_col(f, 0), et_col(f, 1)), f, "false, false, true, true, false");
  /* int column against a float literal: compared as double. */
  qv_record_batch *i = et_batch(1, et_arr(et_t(QV_INT32), "1, 2, 3"));
  CHECK_EVAL(et_bin(QV_OP_GE, et_col(i, 0), et_f64(1.5)), i, "false, true, true");
  et_free_all();
}

QV_TEST(expr_compare_decimals_mixed_scales) {
  qv_record_batch *b = et_batch(2, et_arr(et_dec(15, 2), "0.05, 0.06, -1.50, NULL, 12.34"),
                                et_arr(et_dec(10, 4), "0.0500, 0.0599, -1.5001, 1, 12.3401"));
  CHECK_EVAL(et_bin(QV_OP_EQ, et_col(b, 0), et_col(b, 1)), b, "true, false, false, NULL, false");
  CHECK_EVAL(et_bin(QV_OP_GT, et_col(b, 0), et_col(b, 1)), b, "false, true, true, NULL, false");
  /* Decimal column against literals: the literal takes the column's type. */
  qv_expr *e = et_bin(QV_OP_LE, et_col(b, 0), et_decl(6, 3, 2));
  CHECK(e);
  CHECK_EVAL(e, b, "true, true, true, NULL, false");
  CHECK_STR_EQ(et_sql(e), "c0 <= 0.06");
  CHECK_EVAL(et_bin(QV_OP_LT, et_col(b, 0), et_i64(1)), b, "true, true, true, NULL, false");
  CHECK_EVAL(et_bin(QV_OP_LT, et_col(b, 0), et_f64(0.055)), b, "true, false, true, NULL, false");
  /* Scales far apart (38 digits): exact comparison without overflow. */
  qv_record_batch *w = et_batch(2, et_arr(et_dec(38, 0), "99999999999999999999999999999999999999, -5"),
                                et_arr(et_dec(38, 37), "9.9999999999999999999999999999999999999, -5.0000000000000000000000000000000000001"));
  CHECK_EVAL(et_bin(QV_OP_GT, et_col(w, 0), et_col(w, 1)), w, "true, true");
  CHECK_EVAL(et_bin(QV_OP_EQ, et_col(w, 0), et_col(w, 1)), w, "false, false");
  /* int column against a decimal column. */
  qv_record_batch *m = et_batch(2, et_arr(et_t(QV_INT32), "1, 2"), et_arr(et_dec(5, 2), "1.00, 1.99"));
  CHECK_EVAL(et_bin(QV_OP_EQ, et_col(m, 0), et_col(m, 1)), m, "true, false");
  et_free_all();
}

QV_TEST(expr_compare_strings) {
  qv_record_batch *b = et_batch(2, et_strs(6, "abc", "ab", "", NULL, "b", "\xc3\xa9"),
                                et_strs(6, "abc", "abc", "", "x", "abc", "z"));
  CHECK_EVAL(et_bin(QV_OP_EQ, et_col(b, 0), et_col(b, 1)), b, "true, false, true, NULL, false, false");
  CHECK_EVAL(et_bin(QV_OP_LT, et_col(b, 0), et_col(b, 1)), b, "false, true, false, NULL, false, false");
  CHECK_EVAL(et_bin(QV_OP_GE, et_col(b, 0), et_str("ab")), b, "true, true, false, NULL, true, true");
  CHECK_EVAL(et_bin(QV_OP_NE, et_str("ab"), et_col(b, 0)), b, "true, false, true, NULL, true, true");
  /* utf8 against large_utf8. */
  qv_record_batch *l = et_batch(2, et_arr(et_t(QV_LARGE_UTF8), "a, b"), et_strs(2, "a", "a"));
  CHECK_EVAL(et_bin(QV_OP_EQ, et_col(l, 0), et_col(l, 1)), l, "true, false");
  /* Strings against numbers need an explicit cast. */
  qv_record_batch *n = et_batch(1, et_arr(et_t(QV_INT32), "1"));
  qv_expr *e = NULL;
  CHECK_STATUS(qv_expr_binary(QV_OP_EQ, et_col(b, 0), et_col(n, 0), &e, &et_err), QV_TYPE_ERROR);
  et_free_all();
}

QV_TEST(expr_compare_dates_timestamps_bools) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_DATE32), "1998-09-02, 1998-09-03, NULL, 1969-12-31"),
                                et_arr(et_ts(QV_MICRO, NULL), "1998-09-02 00:00:00, 1998-09-02 23:59:59, 2000-01-01, 1969-12-31 00:00:01"));
  CHECK_EVAL(et_bin(QV_OP_EQ, et_col(b, 0), et_col(b, 1)), b, "true, false, NULL, false");
  CHECK_EVAL(et_bin(QV_OP_GT, et_col(b, 0), et_col(b, 1)), b, "false, true, NULL, false");
  /* A string literal takes the date type (and is checked when built). */
  CHECK_EVAL(et_bin(QV_OP_LE, et_col(b, 0), et_str("1998-09-02")), b, "true, false, NULL, true");
  qv_expr *e = NULL;
  CHECK_STATUS(qv_expr_binary(QV_OP_LE, et_col(b, 0), et_str("1998-13-02"), &e, &et_err), QV_INVALID);
  CHECK(strstr(et_err.message, "'1998-13-02'"));
  qv_record_batch *t = et_batch(2, et_arr(et_t(QV_BOOL), "true, true, false, false, NULL"),
                                et_arr(et_t(QV_BOOL), "true, false, true, false, true"));
  CHECK_EVAL(et_bin(QV_OP_EQ, et_col(t, 0), et_col(t, 1)), t, "true, false, false, true, NULL");
  CHECK_EVAL(et_bin(QV_OP_LT, et_col(t, 0), et_col(t, 1)), t, "false, false, true, false, NULL");
  CHECK_EVAL(et_bin(QV_OP_GE, et_col(t, 0), et_bool(true)), t, "true, true, false, false, NULL");
  et_free_all();
}

QV_TEST(expr_compare_dictionary) {
  int32_t idx[] = {0, 1, 2, -1, 1, 0};
  qv_record_batch *b = et_batch(2, et_dict(idx, 6, 3, "AIR", "MAIL", "SHIP"), et_strs(6, "AIR", "AIR", "X", "Y", "MAIL", "Z"));
  CHECK(b);
  CHECK_EVAL(et_bin(QV_OP_EQ, et_col(b, 0), et_str("MAIL")), b, "false, true, false, NULL, true, false");
  CHECK_EVAL(et_bin(QV_OP_LT, et_str("B"), et_col(b, 0)), b, "false, true, true, NULL, true, false");
  /* Against another column the dictionary is decoded. */
  CHECK_EVAL(et_bin(QV_OP_EQ, et_col(b, 0), et_col(b, 1)), b, "true, false, false, NULL, true, false");
  /* IN and LIKE through the dictionary too. */
  qv_expr *items[2] = {et_str("SHIP"), et_str("AIR")};
  qv_expr *in = NULL;
  CHECK_OK(qv_expr_in_list(et_col(b, 0), items, 2, false, &in, &et_err), &et_err);
  et_track_expr(in);
  CHECK_EVAL(in, b, "true, false, true, NULL, false, true");
  qv_expr *like = NULL;
  CHECK_OK(qv_expr_like(et_col(b, 0), et_str("%AI%"), false, false, &like, &et_err), &et_err);
  et_track_expr(like);
  CHECK_EVAL(like, b, "true, true, false, NULL, true, true");
  /* Passed through unchanged by a column reference. */
  qv_array *same = et_eval(et_col(b, 0), b);
  CHECK(same && qv_array_equals(same, qv_record_batch_column(b, 0)));
  et_free_all();
}

/* ---- three-valued logic --------------------------------------------------------------- */

/* Rows: every pair of {true, false, NULL}. */
static qv_record_batch *truth_table(void) {
  return et_batch(2, et_arr(et_t(QV_BOOL), "true, true, true, false, false, false, NULL, NULL, NULL"),
                  et_arr(et_t(QV_BOOL), "true, false, NULL, true, false, NULL, true, false, NULL"));
}

QV_TEST(expr_logic_truth_tables) {
  qv_record_batch *b = truth_table();
  CHECK_EVAL(et_bin(QV_OP_AND, et_col(b, 0), et_col(b, 1)), b,
             "true, false, NULL, false, false, false, NULL, false, NULL");
  CHECK_EVAL(et_bin(QV_OP_OR, et_col(b, 0), et_col(b, 1)), b, "true, true, true, true, false, NULL, true, NULL, NULL");
  qv_expr *not = NULL;
  CHECK_OK(qv_expr_not(et_col(b, 0), &not, &et_err), &et_err);
  et_track_expr(not);
  CHECK_EVAL(not, b, "false, false, false, true, true, true, NULL, NULL, NULL");
  qv_expr *isn = NULL, *isnn = NULL;
  CHECK_OK(qv_expr_is_null(et_col(b, 1), false, &isn, &et_err), &et_err);
  CHECK_OK(qv_expr_is_null(et_col(b, 1), true, &isnn, &et_err), &et_err);
  et_track_expr(isn);
  et_track_expr(isnn);
  CHECK_EVAL(isn, b, "false, false, true, false, false, true, false, false, true");
  CHECK_EVAL(isnn, b, "true, true, false, true, true, false, true, true, false");
  /* With scalars on either side. */
  CHECK_EVAL(et_bin(QV_OP_AND, et_col(b, 0), et_null(et_t(QV_BOOL))), b,
             "NULL, NULL, NULL, false, false, false, NULL, NULL, NULL");
  CHECK_EVAL(et_bin(QV_OP_OR, et_null(NULL), et_col(b, 1)), b,
             "true, NULL, NULL, true, NULL, NULL, true, NULL, NULL");
  CHECK_EVAL(et_bin(QV_OP_AND, et_bool(true), et_col(b, 1)), b,
             "true, false, NULL, true, false, NULL, true, false, NULL");
  et_free_all();
}

QV_TEST(expr_logic_short_circuit) {
  /* FALSE AND (1 / 0 > 0) never evaluates the division. */
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_INT32), "1, 2"), et_arr(et_t(QV_INT32), "0, 0"));
  qv_expr *div = et_bin(QV_OP_GT, et_bin(QV_OP_DIV, et_col(b, 0), et_col(b, 1)), et_i64(0));
  CHECK_EVAL(et_bin(QV_OP_AND, et_bin(QV_OP_LT, et_col(b, 0), et_i64(0)), div), b, "false, false");
  CHECK_EVAL(et_bin(QV_OP_OR, et_bin(QV_OP_GT, et_col(b, 0), et_i64(0)), div), b, "true, true");
  CHECK_EVAL_FAILS(et_bin(QV_OP_AND, et_bin(QV_OP_GT, et_col(b, 0), et_i64(1)), div), b, QV_OUT_OF_RANGE,
                   "division by zero");
  et_free_all();
}

QV_TEST(expr_logic_is_null_any_type) {
  int32_t idx[] = {0, -1};
  qv_record_batch *b = et_batch(3, et_strs(2, NULL, "x"), et_arr(et_dec(5, 1), "NULL, 1.5"), et_dict(idx, 2, 1, "a"));
  for (int c = 0; c < 3; c++) {
    qv_expr *e = NULL;
    CHECK_OK(qv_expr_is_null(et_col(b, c), false, &e, &et_err), &et_err);
    et_track_expr(e);
    CHECK(!qv_expr_nullable(e));
    CHECK_EVAL(e, b, c == 2 ? "false, true" : "true, false");
  }
  qv_expr *e = NULL;
  CHECK_OK(qv_expr_is_null(et_null(NULL), true, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_EVAL(e, b, "false, false");
  et_free_all();
}

static qv_expr *in_list(qv_expr *v, bool negated, int n, ...) {
  qv_expr *items[64];
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) items[i] = va_arg(ap, qv_expr *);
  va_end(ap);
  qv_expr *e = NULL;
  if (qv_expr_in_list(v, items, n, negated, &e, &et_err)) return NULL;
  return et_track_expr(e);
}

QV_TEST(expr_in_list_semantics) {
  qv_record_batch *b = et_batch(1, et_arr(et_t(QV_INT32), "1, 2, 3, NULL"));
  qv_expr *c = et_col(b, 0);
  CHECK_EVAL(in_list(c, false, 2, et_i64(1), et_i64(3)), b, "true, false, true, NULL");
  CHECK_EVAL(in_list(c, true, 2, et_i64(1), et_i64(3)), b, "false, true, false, NULL");
  /* A NULL item: no match is unknown. */
  CHECK_EVAL(in_list(c, false, 2, et_i64(1), et_null(NULL)), b, "true, NULL, NULL, NULL");
  CHECK_EVAL(in_list(c, true, 2, et_i64(1), et_null(NULL)), b, "false, NULL, NULL, NULL");
  /* Non-literal items: OR of equalities, same semantics. */
  qv_record_batch *b2 = et_batch(2, et_arr(et_t(QV_INT32), "1, 2, 3, NULL"), et_arr(et_t(QV_INT32), "5, 2, NULL, 1"));
  CHECK_EVAL(in_list(et_col(b2, 0), false, 2, et_col(b2, 1), et_i64(1)), b2, "true, true, NULL, NULL");
  CHECK_EVAL(in_list(et_col(b2, 0), true, 2, et_col(b2, 1), et_i64(1)), b2, "false, false, NULL, NULL");
  et_free_all();
}

QV_TEST(expr_in_list_long_and_typed) {
  /* 40 items: a hash set. */
  qv_expr *items[40];
  for (int i = 0; i < 40; i++) items[i] = et_i64(i * 3);
  qv_record_batch *b = et_batch(1, et_arr(et_t(QV_INT64), "0, 1, 3, 117, 118, -3, NULL"));
  qv_expr *e = NULL;
  CHECK_OK(qv_expr_in_list(et_col(b, 0), items, 40, false, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_EVAL(e, b, "true, false, true, true, false, false, NULL");
  /* Strings, floats (NaN and -0), decimals, dates. */
  qv_record_batch *s = et_batch(1, et_strs(4, "MAIL", "SHIP", "", NULL));
  CHECK_EVAL(in_list(et_col(s, 0), false, 3, et_str("MAIL"), et_str(""), et_str("AIR")), s, "true, false, true, NULL");
  qv_record_batch *f = et_batch(1, et_arr(et_t(QV_FLOAT64), "nan, -0, 1.5, 2"));
  CHECK_EVAL(in_list(et_col(f, 0), false, 3, et_f64(0.0), et_f64(1.5), et_lit(et_t(QV_FLOAT64), "nan")), f,
             "true, true, true, false");
  qv_record_batch *d = et_batch(1, et_arr(et_dec(5, 2), "0.05, 0.10, 1.00"));
  CHECK_EVAL(in_list(et_col(d, 0), false, 2, et_decl(5, 2, 2), et_i64(1)), d, "true, false, true");
  qv_record_batch *dt = et_batch(1, et_arr(et_t(QV_DATE32), "1995-03-15, 1995-03-16"));
  CHECK_EVAL(in_list(et_col(dt, 0), false, 1, et_str("1995-03-15")), dt, "true, false");
  CHECK_STR_EQ(et_sql(in_list(et_col(dt, 0), true, 1, et_str("1995-03-15"))), "c0 NOT IN (DATE '1995-03-15')");
  et_free_all();
}

QV_TEST(expr_between) {
  qv_record_batch *b = et_batch(1, et_arr(et_dec(15, 2), "0.04, 0.05, 0.06, 0.07, 0.08, NULL"));
  qv_expr *e = NULL, *ne = NULL;
  CHECK_OK(qv_expr_between(et_col(b, 0), et_f64(0.05), et_f64(0.07), false, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_EVAL(e, b, "false, true, true, true, false, NULL");
  CHECK_OK(qv_expr_between(et_col(b, 0), et_decl(5, 3, 2), et_decl(7, 3, 2), true, &ne, &et_err), &et_err);
  et_track_expr(ne);
  CHECK_EVAL(ne, b, "true, false, false, false, true, NULL");
  CHECK_STR_EQ(et_sql(ne), "c0 NOT BETWEEN 0.05 AND 0.07");
  /* NULL bound: unknown unless the other bound decides. */
  qv_expr *nb = NULL;
  CHECK_OK(qv_expr_between(et_col(b, 0), et_null(NULL), et_decl(5, 3, 2), false, &nb, &et_err), &et_err);
  et_track_expr(nb);
  CHECK_EVAL(nb, b, "NULL, NULL, false, false, false, NULL");
  et_free_all();
}

/* Long, sliced inputs cross the 512-row chunks of the boolean kernels and
 * unaligned bitmaps; checked row by row against the definition. */
QV_TEST(expr_logic_long_sliced_inputs) {
  enum { N = 1500 };
  static char a_text[N * 7], b_text[N * 7];
  int av[N], bv[N]; /* 0 false, 1 true, 2 null */
  size_t pa = 0, pb = 0;
  uint32_t x = 12345;
  for (int i = 0; i < N; i++) {
    x = x * 1103515245u + 12345u;
    av[i] = (int)((x >> 16) % 3);
    x = x * 1103515245u + 12345u;
    bv[i] = (int)((x >> 16) % 3);
    static const char *names[3] = {"false", "true", "NULL"};
    pa += (size_t)snprintf(a_text + pa, sizeof a_text - pa, "%s%s", i ? "," : "", names[av[i]]);
    pb += (size_t)snprintf(b_text + pb, sizeof b_text - pb, "%s%s", i ? "," : "", names[bv[i]]);
  }
  qv_array *a = et_arr(et_t(QV_BOOL), a_text), *b = et_arr(et_t(QV_BOOL), b_text);
  CHECK(a && b);
  qv_array *as = NULL, *bs = NULL;
  CHECK_OK(qv_array_slice(a, 3, N - 10, &as, &et_err), &et_err);
  CHECK_OK(qv_array_slice(b, 5, N - 10, &bs, &et_err), &et_err);
  et_track_array(as);
  et_track_array(bs);
  qv_record_batch *batch = et_batch(2, as, bs);
  qv_array *and = et_eval(et_bin(QV_OP_AND, et_col(batch, 0), et_col(batch, 1)), batch);
  qv_array *or = et_eval(et_bin(QV_OP_OR, et_col(batch, 0), et_col(batch, 1)), batch);
  qv_expr *not_e = NULL;
  CHECK_OK(qv_expr_not(et_col(batch, 0), &not_e, &et_err), &et_err);
  et_track_expr(not_e);
  qv_array *not = et_eval(not_e, batch);
  CHECK(and && or && not);
  for (int i = 0; i < N - 10; i++) {
    int l = av[i + 3], r = bv[i + 5];
    int want_and = (l == 0 || r == 0) ? 0 : (l == 2 || r == 2) ? 2 : 1;
    int want_or = (l == 1 || r == 1) ? 1 : (l == 2 || r == 2) ? 2 : 0;
    int want_not = l == 2 ? 2 : !l;
    const qv_array *res[3] = {and, or, not};
    int want[3] = {want_and, want_or, want_not};
    for (int k = 0; k < 3; k++) {
      int got = !qv_array_is_valid(res[k], i) ? 2
                                               : qv_bit_get(qv_buffer_data(qv_array_buffer(res[k], 1)),
                                                            qv_array_offset(res[k]) + i);
      if (got != want[k]) {
        qv_test_fail(__FILE__, __LINE__, "row %d op %d: got %d want %d", i, k, got, want[k]);
        return;
      }
    }
  }
  et_free_all();
}
