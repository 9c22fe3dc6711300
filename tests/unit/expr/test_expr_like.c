/* LIKE, NOT LIKE and ILIKE: every fast form (exact, prefix, suffix,
 * contains, chains of pieces, '%' alone) and the general matcher ('_',
 * escapes, backtracking, UTF-8), against the same answers; patterns from a
 * column; NULLs; malformed patterns. */
#include "expr_test_util.h"

static const char *like_text(qv_record_batch *b, const char *pattern, bool negated, bool ci) {
  qv_expr *e = NULL;
  if (qv_expr_like(et_col(b, 0), et_str(pattern), negated, ci, &e, &et_err)) return et_err.message;
  et_track_expr(e);
  qv_array *r = et_eval(e, b);
  return r ? et_fmt(r) : et_err.message;
}

QV_TEST(expr_like_fast_forms) {
  qv_record_batch *b = et_batch(1, et_strs(7, "PROMO BRUSHED", "STANDARD PROMO", "promo", "", NULL, "xPROMOx", "PROMO"));
  CHECK_STR_EQ(like_text(b, "PROMO%", false, false), "true, false, false, false, NULL, false, true");
  CHECK_STR_EQ(like_text(b, "%PROMO", false, false), "false, true, false, false, NULL, false, true");
  CHECK_STR_EQ(like_text(b, "%PROMO%", false, false), "true, true, false, false, NULL, true, true");
  CHECK_STR_EQ(like_text(b, "PROMO", false, false), "false, false, false, false, NULL, false, true");
  CHECK_STR_EQ(like_text(b, "%", false, false), "true, true, true, true, NULL, true, true");
  CHECK_STR_EQ(like_text(b, "", false, false), "false, false, false, true, NULL, false, false");
  CHECK_STR_EQ(like_text(b, "%%", false, false), "true, true, true, true, NULL, true, true");
  CHECK_STR_EQ(like_text(b, "PROMO%", true, false), "false, true, true, true, NULL, true, false");
  CHECK_STR_EQ(like_text(b, "promo%", false, true), "true, false, true, false, NULL, false, true");
  CHECK_STR_EQ(like_text(b, "%Promo%", true, true), "false, false, false, true, NULL, false, false");
  /* An empty first value: ILIKE's folding buffer is not allocated yet. */
  qv_record_batch *e = et_batch(1, et_strs(3, "", "Mail", ""));
  CHECK_STR_EQ(like_text(e, "%mail%", false, true), "false, true, false");
  CHECK_STR_EQ(like_text(e, "%ma%il%", false, true), "false, true, false");
  et_free_all();
}

QV_TEST(expr_like_pieces) {
  /* TPC-H Q13: '%special%requests%'. */
  qv_record_batch *b = et_batch(1, et_strs(6, "special requests", "a special x requests b", "requests special",
                                           "specialrequests", "special request", "spe%cial requests"));
  CHECK_STR_EQ(like_text(b, "%special%requests%", false, false), "true, true, false, true, false, false");
  CHECK_STR_EQ(like_text(b, "special%requests", false, false), "true, false, false, true, false, false");
  CHECK_STR_EQ(like_text(b, "%spe\\%cial%", false, false), "false, false, false, false, false, true");
  /* Anchored pieces must not overlap: 'ab%ba' does not match 'aba'. */
  qv_record_batch *o = et_batch(1, et_strs(4, "aba", "abba", "ab_ba", "abxba"));
  CHECK_STR_EQ(like_text(o, "ab%ba", false, false), "false, true, true, true");
  et_free_all();
}

QV_TEST(expr_like_general) {
  qv_record_batch *b = et_batch(1, et_strs(8, "abc", "abbc", "ac", "a_c", "aXc", "\xc3\xa9t\xc3\xa9", "mississippi", "a%c"));
  CHECK_STR_EQ(like_text(b, "a_c", false, false), "true, false, false, true, true, false, false, true");
  CHECK_STR_EQ(like_text(b, "a\\_c", false, false), "false, false, false, true, false, false, false, false");
  CHECK_STR_EQ(like_text(b, "a\\%c", false, false), "false, false, false, false, false, false, false, true");
  /* '_' is one character, not one byte. */
  CHECK_STR_EQ(like_text(b, "_t_", false, false), "false, false, false, false, false, true, false, false");
  CHECK_STR_EQ(like_text(b, "%s_s%pi", false, false), "false, false, false, false, false, false, true, false");
  CHECK_STR_EQ(like_text(b, "m%i_s%p_", false, false), "false, false, false, false, false, false, true, false");
  CHECK_STR_EQ(like_text(b, "_%_%_", false, false), "true, true, false, true, true, true, true, true");
  CHECK_STR_EQ(like_text(b, "A_C", false, true), "true, false, false, true, true, false, false, true");
  CHECK_STR_EQ(like_text(b, "%\\\\%", false, false), "false, false, false, false, false, false, false, false");
  et_free_all();
}

QV_TEST(expr_like_pattern_column_and_errors) {
  qv_record_batch *b = et_batch(2, et_strs(5, "abc", "abc", "abc", NULL, "x\\"), et_strs(5, "a%", "_b_", "%d", "%", "x\\\\"));
  qv_expr *e = NULL;
  CHECK_OK(qv_expr_like(et_col(b, 0), et_col(b, 1), false, false, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_EVAL(e, b, "true, true, false, NULL, true");
  /* A literal pattern ending in the escape character is refused when built. */
  CHECK_STATUS(qv_expr_like(et_col(b, 0), et_str("abc\\"), false, false, &e, &et_err), QV_INVALID);
  CHECK(strstr(et_err.message, "ends with the escape character"));
  /* ... and a pattern column when evaluated. */
  qv_record_batch *c = et_batch(2, et_strs(1, "a"), et_strs(1, "a\\"));
  CHECK_OK(qv_expr_like(et_col(c, 0), et_col(c, 1), false, false, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_EVAL_FAILS(e, c, QV_INVALID, "'a\\'");
  /* NULL pattern: every row NULL. */
  CHECK_OK(qv_expr_like(et_col(b, 0), et_null(NULL), false, false, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_EVAL(e, b, "NULL, NULL, NULL, NULL, NULL");
  /* Not a string. */
  qv_record_batch *n = et_batch(1, et_arr(et_t(QV_INT32), "1"));
  CHECK_STATUS(qv_expr_like(et_col(n, 0), et_str("1"), false, false, &e, &et_err), QV_TYPE_ERROR);
  qv_expr *s = NULL;
  CHECK_OK(qv_expr_like(et_col(b, 0), et_str("a%"), true, true, &s, &et_err), &et_err);
  et_track_expr(s);
  CHECK_STR_EQ(et_sql(s), "c0 NOT ILIKE 'a%'");
  et_free_all();
}

QV_TEST(expr_like_large_utf8_and_scalar_value) {
  qv_record_batch *b = et_batch(1, et_arr(et_t(QV_LARGE_UTF8), "hello, world, NULL"));
  CHECK_STR_EQ(like_text(b, "%o%", false, false), "true, true, NULL");
  qv_expr *e = NULL;
  CHECK_OK(qv_expr_like(et_str("hello"), et_str("h%"), false, false, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_EVAL(e, b, "true, true, true");
  et_free_all();
}
