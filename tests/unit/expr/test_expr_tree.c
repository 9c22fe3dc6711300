/* Expression trees as objects: column references and literals of every
 * type, reference counting, to_string, evaluation over several batches and
 * sliced batches, batch/schema mismatches, the accessors the plan codec
 * uses (and rebuilding a tree from them), user scalar functions, and fault
 * injection: every allocation failing in turn yields QV_NOMEM and leaks
 * nothing. */
#include <stdlib.h>

#include "expr_test_util.h"

QV_TEST(expr_tree_columns_and_literals) {
  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_INT16), "1, NULL"), et_strs(2, "x", "y"));
  qv_expr *e = NULL;
  CHECK_STATUS(qv_expr_column(et_schema(b), 2, &e, &et_err), QV_INVALID);
  CHECK_STATUS(qv_expr_column_named(et_schema(b), "nope", &e, &et_err), QV_NOT_FOUND);
  CHECK(strstr(et_err.message, "'nope'"));
  CHECK_OK(qv_expr_column_named(et_schema(b), "c1", &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_EVAL(e, b, "x, y");
  CHECK_STR_EQ(et_sql(e), "c1");
  /* Literals of every engine type broadcast to the batch length. */
  struct {
    qv_data_type *t;
    const char *text;
    const char *sql;
  } lits[] = {
      {et_t(QV_BOOL), "true", "true"},
      {et_t(QV_INT8), "-8", "-8"},
      {et_t(QV_INT16), "16", "16"},
      {et_t(QV_INT32), "32", "32"},
      {et_t(QV_INT64), "64", "64"},
      {et_t(QV_UINT8), "8", "8"},
      {et_t(QV_UINT16), "16", "16"},
      {et_t(QV_UINT32), "32", "32"},
      {et_t(QV_UINT64), "18446744073709551615", "18446744073709551615"},
      {et_t(QV_FLOAT32), "1.5", "1.5"},
      {et_t(QV_FLOAT64), "0.1", "0.1"},
      {et_dec(38, 10), "-1234.5678901234", "-1234.5678901234"},
      {et_t(QV_DATE32), "1998-12-01", "DATE '1998-12-01'"},
      {et_ts(QV_MICRO, "UTC"), "2020-01-01 10:00:00.5", "TIMESTAMP '2020-01-01 10:00:00.5'"},
      {et_t(QV_UTF8), "it's", "'it''s'"},
      {et_t(QV_LARGE_UTF8), "big", "'big'"},
      {et_t(QV_BINARY), "raw", "'raw'"},
  };
  for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
    qv_expr *l = et_lit(lits[i].t, lits[i].text);
    CHECK(l);
    CHECK(!qv_expr_nullable(l));
    CHECK_STR_EQ(et_sql(l), lits[i].sql);
    qv_array *r = et_eval(l, b);
    CHECK(r);
    CHECK_EQ_INT(qv_array_length(r), 2);
    char want[256];
    snprintf(want, sizeof want, "%s, %s", lits[i].text, lits[i].text);
    if (i != 10) CHECK_STR_EQ(et_fmt(r), want);
  }
  qv_expr *n = et_null(et_dec(5, 2));
  CHECK(qv_expr_nullable(n));
  CHECK_STR_EQ(et_sql(n), "NULL");
  CHECK_EVAL(n, b, "NULL, NULL");
  qv_array *two = et_arr(et_t(QV_INT32), "1, 2");
  CHECK_STATUS(qv_expr_literal(two, &e, &et_err), QV_INVALID);
  CHECK_STATUS(qv_expr_literal_decimal(100, 2, 0, &e, &et_err), QV_OUT_OF_RANGE);
  CHECK_STATUS(qv_expr_literal_decimal(1, 39, 0, &e, &et_err), QV_INVALID);
  et_free_all();
}

QV_TEST(expr_tree_nested_columns_pass_through) {
  /* A struct column built from two children passes through a reference and
   * works with IS NULL. */
  qv_array *kids[2] = {et_arr(et_t(QV_INT32), "1, 2, 3"), et_strs(3, "a", "b", "c")};
  qv_field *f[2];
  CHECK_OK(qv_field_create("i", et_t(QV_INT32), true, NULL, &f[0], &et_err), &et_err);
  CHECK_OK(qv_field_create("s", et_t(QV_UTF8), true, NULL, &f[1], &et_err), &et_err);
  qv_data_type *st = NULL;
  CHECK_OK(qv_type_struct(f, 2, &st, &et_err), &et_err);
  qv_field_unref(f[0]);
  qv_field_unref(f[1]);
  et_track_type(st);
  qv_array *valid = et_arr(et_t(QV_BOOL), "true, false, true");
  qv_buffer *bufs[1] = {qv_array_buffer(valid, 1)};
  qv_array *sa = NULL;
  CHECK_OK(qv_array_create(st, 3, 0, -1, bufs, 1, kids, 2, NULL, &sa, &et_err), &et_err);
  et_track_array(sa);
  qv_record_batch *b = et_batch(1, sa);
  qv_array *r = et_eval(et_col(b, 0), b);
  CHECK(r && qv_array_equals(r, sa));
  qv_expr *isn = NULL;
  CHECK_OK(qv_expr_is_null(et_col(b, 0), false, &isn, &et_err), &et_err);
  et_track_expr(isn);
  CHECK_EVAL(isn, b, "false, true, false");
  /* CASE can route a struct only through take: refused with a clear error. */
  et_free_all();
}

QV_TEST(expr_tree_refcount_and_sharing) {
  qv_record_batch *b = et_batch(1, et_arr(et_t(QV_INT64), "1, 2"));
  qv_expr *c = NULL, *sum = NULL;
  CHECK_OK(qv_expr_column(et_schema(b), 0, &c, &et_err), &et_err);
  CHECK_OK(qv_expr_binary(QV_OP_ADD, c, c, &sum, &et_err), &et_err);
  qv_expr_unref(c); /* the sum keeps its own references */
  qv_array *r = NULL;
  CHECK_OK(qv_expr_evaluate(sum, b, NULL, &r, &et_err), &et_err);
  CHECK_STR_EQ(et_fmt(r), "2, 4");
  qv_array_unref(r);
  CHECK(qv_expr_ref(sum) == sum);
  qv_expr_unref(sum);
  qv_expr_unref(sum);
  qv_expr_unref(NULL);
  et_free_all();
}

QV_TEST(expr_tree_several_batches_and_slices) {
  qv_record_batch *b1 = et_batch(2, et_arr(et_dec(15, 2), "1.00, 2.00"), et_arr(et_dec(15, 2), "0.10, NULL"));
  qv_expr *e = et_bin(QV_OP_MUL, et_col(b1, 0), et_bin(QV_OP_SUB, et_i64(1), et_col(b1, 1)));
  CHECK(e);
  CHECK_EVAL(e, b1, "0.9000, NULL");
  qv_record_batch *b2 = et_batch(2, et_arr(et_dec(15, 2), "10.00, 20.00, 30.00, 40.00, 50.00, 60.00, 70.00, 80.00, 90.00, 99.99"),
                                 et_arr(et_dec(15, 2), "0.00, 0.01, NULL, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09"));
  CHECK_EVAL(e, b2, "10.0000, 19.8000, NULL, 38.8000, 48.0000, 57.0000, 65.8000, 74.4000, 82.8000, 90.9909");
  qv_record_batch *sl = NULL;
  CHECK_OK(qv_record_batch_slice(b2, 3, 5, &sl, &et_err), &et_err);
  qv_array *r = NULL;
  qv_status st = qv_expr_evaluate(e, sl, NULL, &r, &et_err);
  qv_record_batch_unref(sl);
  CHECK_OK(st, &et_err);
  CHECK_STR_EQ(et_fmt(r), "38.8000, 48.0000, 57.0000, 65.8000, 74.4000");
  qv_array_unref(r);
  /* A batch of another schema is refused. */
  qv_record_batch *other = et_batch(2, et_arr(et_t(QV_INT32), "1"), et_arr(et_t(QV_INT32), "1"));
  CHECK_EVAL_FAILS(e, other, QV_INVALID, "column 0 'c0' is int32 in the batch but decimal128(15, 2)");
  qv_record_batch *narrow = et_batch(1, et_arr(et_dec(15, 2), "1"));
  CHECK_EVAL_FAILS(e, narrow, QV_INVALID, "column 1 outside a batch of 1 columns");
  et_free_all();
}

/* Rebuilds a tree from the codec accessors and the public constructors. */
static qv_expr *rebuild(const qv_expr *e, const qv_schema *s) {
  qv_expr *kids[64] = {0}, *out = NULL;
  /* Implicit casts are not encoded: rebuilding the parent re-inserts them. */
  if (qv__expr_kind(e) == QV_EXPR_CAST && qv__expr_cast_implicit(e)) return rebuild(qv__expr_child(e, 0), s);
  int32_t n = qv__expr_num_children(e);
  for (int32_t i = 0; i < n; i++) {
    kids[i] = rebuild(qv__expr_child(e, i), s);
    if (!kids[i]) return NULL;
  }
  qv_status st = QV_OK;
  switch (qv__expr_kind(e)) {
    case QV_EXPR_COLUMN: st = qv_expr_column(s, qv__expr_column_index(e), &out, &et_err); break;
    case QV_EXPR_LITERAL: st = qv_expr_literal(qv__expr_literal_value(e), &out, &et_err); break;
    case QV_EXPR_BINARY: st = qv_expr_binary(qv__expr_binary_op(e), kids[0], kids[1], &out, &et_err); break;
    case QV_EXPR_NOT: st = qv_expr_not(kids[0], &out, &et_err); break;
    case QV_EXPR_NEGATE: st = qv_expr_negate(kids[0], &out, &et_err); break;
    case QV_EXPR_IS_NULL: st = qv_expr_is_null(kids[0], qv__expr_negated(e), &out, &et_err); break;
    case QV_EXPR_IN_LIST: st = qv_expr_in_list(kids[0], kids + 1, n - 1, qv__expr_negated(e), &out, &et_err); break;
    case QV_EXPR_BETWEEN: st = qv_expr_between(kids[0], kids[1], kids[2], qv__expr_negated(e), &out, &et_err); break;
    case QV_EXPR_LIKE:
      st = qv_expr_like(kids[0], kids[1], qv__expr_negated(e), qv__expr_case_insensitive(e), &out, &et_err);
      break;
    case QV_EXPR_CAST: st = qv_expr_cast(kids[0], qv_expr_type(e), &out, &et_err); break;
    case QV_EXPR_FUNCTION: st = qv_expr_function(NULL, qv__expr_name(e), kids, n, &out, &et_err); break;
    case QV_EXPR_CASE: {
      int32_t k = 0;
      qv_expr *base = qv__expr_case_has_base(e) ? kids[k++] : NULL;
      int32_t nw = (n - k - (qv__expr_case_has_else(e) ? 1 : 0)) / 2;
      qv_expr *w[32], *t[32];
      for (int32_t i = 0; i < nw; i++) {
        w[i] = kids[k++];
        t[i] = kids[k++];
      }
      st = qv_expr_case(base, w, t, nw, qv__expr_case_has_else(e) ? kids[k] : NULL, &out, &et_err);
      break;
    }
    default: st = QV_NOT_IMPLEMENTED;
  }
  for (int32_t i = 0; i < n; i++) qv_expr_unref(kids[i]);
  return st == QV_OK ? out : NULL;
}

QV_TEST(expr_tree_rebuild_from_accessors) {
  qv_record_batch *b = et_batch(3, et_arr(et_t(QV_INT32), "1, 2, NULL"), et_arr(et_dec(15, 2), "0.05, 0.06, 0.07"),
                                et_strs(3, "PROMO A", "B", NULL));
  qv_expr *items[2] = {et_i64(1), et_i64(5)};
  qv_expr *in = NULL, *like = NULL, *btw = NULL;
  CHECK_OK(qv_expr_in_list(et_col(b, 0), items, 2, true, &in, &et_err), &et_err);
  CHECK_OK(qv_expr_like(et_col(b, 2), et_str("PROMO%"), false, false, &like, &et_err), &et_err);
  CHECK_OK(qv_expr_between(et_col(b, 1), et_f64(0.05), et_decl(6, 3, 2), false, &btw, &et_err), &et_err);
  et_track_expr(in);
  et_track_expr(like);
  et_track_expr(btw);
  qv_expr *whens[1] = {like};
  qv_expr *thens[1] = {et_bin(QV_OP_MUL, et_col(b, 1), et_i64(100))};
  qv_expr *cs = NULL;
  CHECK_OK(qv_expr_case(NULL, whens, thens, 1, et_fn("round", 2, et_col(b, 1), et_i64(1)), &cs, &et_err), &et_err);
  et_track_expr(cs);
  qv_expr *all[4] = {in, btw, cs, et_bin(QV_OP_AND, in, btw)};
  for (int i = 0; i < 4; i++) {
    qv_expr *copy = et_track_expr(rebuild(all[i], et_schema(b)));
    CHECK(copy);
    CHECK(qv_type_equals(qv_expr_type(copy), qv_expr_type(all[i])));
    char want[2048];
    snprintf(want, sizeof want, "%s", et_sql(all[i]));
    CHECK_STR_EQ(et_sql(copy), want);
    qv_array *r1 = et_eval(all[i], b), *r2 = et_eval(copy, b);
    CHECK(r1 && r2 && qv_array_equals(r1, r2));
  }
  CHECK_STR_EQ(et_sql(all[2]), "CASE WHEN c2 LIKE 'PROMO%' THEN c1 * 100 ELSE round(c1, 1) END");
  CHECK_STR_EQ(et_sql(all[3]), "c0 NOT IN (1, 5) AND c1 BETWEEN 0.05 AND 0.06");
  et_free_all();
}

QV_TEST(expr_tree_to_string_precedence) {
  qv_record_batch *b = et_batch(3, et_arr(et_t(QV_INT64), "1"), et_arr(et_t(QV_INT64), "2"), et_arr(et_t(QV_INT64), "3"));
  qv_expr *a = et_col(b, 0), *c1 = et_col(b, 1), *c2 = et_col(b, 2);
  CHECK_STR_EQ(et_sql(et_bin(QV_OP_SUB, a, et_bin(QV_OP_SUB, c1, c2))), "c0 - (c1 - c2)");
  CHECK_STR_EQ(et_sql(et_bin(QV_OP_SUB, et_bin(QV_OP_SUB, a, c1), c2)), "c0 - c1 - c2");
  CHECK_STR_EQ(et_sql(et_bin(QV_OP_MUL, et_bin(QV_OP_ADD, a, c1), c2)), "(c0 + c1) * c2");
  qv_expr *neg = NULL, *not = NULL;
  CHECK_OK(qv_expr_negate(et_bin(QV_OP_ADD, a, c1), &neg, &et_err), &et_err);
  et_track_expr(neg);
  CHECK_STR_EQ(et_sql(neg), "-(c0 + c1)");
  qv_expr *or = et_bin(QV_OP_OR, et_bin(QV_OP_GT, a, c1), et_bin(QV_OP_LT, a, c2));
  CHECK_OK(qv_expr_not(or, &not, &et_err), &et_err);
  et_track_expr(not);
  CHECK_STR_EQ(et_sql(not), "NOT (c0 > c1 OR c0 < c2)");
  CHECK_STR_EQ(et_sql(et_bin(QV_OP_AND, or, et_bool(true))), "(c0 > c1 OR c0 < c2) AND true");
  CHECK_STR_EQ(et_sql(et_cast(a, et_t(QV_UTF8))), "CAST(c0 AS utf8)");
  et_free_all();
}

/* ---- user functions -------------------------------------------------------------------- */

static qv_status add_one(void *ud, qv_array *const *args, int32_t n_args, int64_t n_rows, qv_array **out,
                         qv_error *err) {
  (void)n_args;
  int *calls = ud;
  (*calls)++;
  qv_array_builder b;
  QV_RETURN_NOT_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_INT64), err));
  for (int64_t i = 0; i < n_rows; i++) {
    qv_status st = qv_array_is_valid(args[0], i)
                       ? qv_array_builder_append_int(
                             &b, ((const int64_t *)qv_buffer_data(qv_array_buffer(args[0], 1)))[qv_array_offset(args[0]) + i] + 1,
                             err)
                       : qv_array_builder_append_null(&b, err);
    if (st) {
      qv_array_builder_reset(&b);
      return st;
    }
  }
  return qv_array_builder_finish(&b, out, err);
}

static qv_status wrong_type(void *ud, qv_array *const *args, int32_t n_args, int64_t n_rows, qv_array **out,
                            qv_error *err) {
  (void)ud;
  (void)n_args;
  (void)n_rows;
  *out = qv_array_ref(args[0]); /* int64 instead of the declared float64 */
  (void)err;
  return QV_OK;
}

static qv_status failing(void *ud, qv_array *const *args, int32_t n_args, int64_t n_rows, qv_array **out,
                         qv_error *err) {
  (void)ud;
  (void)args;
  (void)n_args;
  (void)n_rows;
  *out = NULL;
  return qv_error_set(err, QV_INVALID, "bad input for my function");
}

static qv_status echo_type(void *ud, qv_data_type *const *types, int32_t n, qv_data_type **out, qv_error *err) {
  (void)ud;
  if (n != 1) return qv_error_set(err, QV_TYPE_ERROR, "echo takes one argument");
  *out = qv_type_ref(types[0]);
  return QV_OK;
}

static qv_status echo(void *ud, qv_array *const *args, int32_t n_args, int64_t n_rows, qv_array **out, qv_error *err) {
  (void)ud;
  (void)n_args;
  (void)n_rows;
  (void)err;
  *out = qv_array_ref(args[0]);
  return QV_OK;
}

QV_TEST(expr_udf_calls) {
  qv_session_state_builder *sb = NULL;
  CHECK_OK(qv_session_state_builder_create(&sb, &et_err), &et_err);
  int calls = 0;
  qv_data_type *i64 = et_t(QV_INT64);
  qv_scalar_udf u1 = {"Add_One", 1, &i64, i64, NULL, add_one, &calls, NULL};
  qv_scalar_udf u2 = {"wrong_type", 1, &i64, et_t(QV_FLOAT64), NULL, wrong_type, NULL, NULL};
  qv_scalar_udf u3 = {"failing", 1, &i64, i64, NULL, failing, NULL, NULL};
  qv_scalar_udf u4 = {"echo", 0, NULL, NULL, echo_type, echo, NULL, NULL};
  qv_status st = qv_session_state_builder_add_scalar_udf(sb, &u1, &et_err);
  if (!st) st = qv_session_state_builder_add_scalar_udf(sb, &u2, &et_err);
  if (!st) st = qv_session_state_builder_add_scalar_udf(sb, &u3, &et_err);
  if (!st) st = qv_session_state_builder_add_scalar_udf(sb, &u4, &et_err);
  qv_session_state *s = NULL;
  if (!st) st = qv_session_state_builder_build(sb, &s, &et_err);
  qv_session_state_builder_destroy(sb);
  CHECK_OK(st, &et_err);

  qv_record_batch *b = et_batch(2, et_arr(et_t(QV_INT32), "1, NULL, 41"), et_strs(3, "a", "b", "c"));
  qv_expr *arg = et_col(b, 0), *e = NULL;
  /* int32 converts to the declared int64; scalars arrive as full columns. */
  CHECK_OK(qv_expr_function(s, "ADD_ONE", &arg, 1, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_STR_EQ(et_sql(e), "add_one(c0)");
  CHECK_EVAL(e, b, "2, NULL, 42");
  qv_expr *lit = et_i64(9);
  CHECK_OK(qv_expr_function(s, "add_one", &lit, 1, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_EVAL(e, b, "10, 10, 10");
  CHECK_EQ_INT(calls, 2);
  qv_expr *sarg = et_col(b, 1);
  CHECK_STATUS(qv_expr_function(s, "add_one", &sarg, 1, &e, &et_err), QV_TYPE_ERROR);
  CHECK(strstr(et_err.message, "argument 1 must be int64"));
  CHECK_OK(qv_expr_function(s, "wrong_type", &arg, 1, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_EVAL_FAILS(e, b, QV_INVALID, "returned an array of int64, but it is declared to return float64");
  CHECK_OK(qv_expr_function(s, "failing", &arg, 1, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_EVAL_FAILS(e, b, QV_INVALID, "function failing: bad input for my function");
  CHECK_OK(qv_expr_function(s, "echo", &sarg, 1, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_STR_EQ(et_type(qv_expr_type(e)), "utf8");
  CHECK_EVAL(e, b, "a, b, c");
  qv_expr *two[2] = {sarg, sarg};
  CHECK_STATUS(qv_expr_function(s, "echo", two, 2, &e, &et_err), QV_TYPE_ERROR);
  CHECK(strstr(et_err.message, "echo takes one argument"));
  /* Built-ins are still there; unknown names are not. */
  CHECK_OK(qv_expr_function(s, "upper", &sarg, 1, &e, &et_err), &et_err);
  et_track_expr(e);
  CHECK_STATUS(qv_expr_function(s, "add_two", &arg, 1, &e, &et_err), QV_NOT_FOUND);
  /* The expression keeps the session (and the UDF) alive. */
  CHECK_OK(qv_expr_function(s, "add_one", &arg, 1, &e, &et_err), &et_err);
  qv_session_state_unref(s);
  qv_array *r = NULL;
  CHECK_OK(qv_expr_evaluate(e, b, NULL, &r, &et_err), &et_err);
  CHECK_STR_EQ(et_fmt(r), "2, NULL, 42");
  qv_array_unref(r);
  qv_expr_unref(e);
  et_free_all();
}

/* ---- allocation failures -------------------------------------------------------------- */

QV_TEST(expr_eval_allocation_failures) {
  qv_record_batch *b = et_batch(3, et_arr(et_dec(15, 2), "17954.55, NULL, 7712.48, 25284.00"),
                                et_arr(et_dec(15, 2), "0.04, 0.09, 0.10, 0.06"), et_strs(4, "PROMO x", NULL, "y", "PROMO"));
  qv_expr *charge = et_bin(QV_OP_MUL, et_col(b, 0), et_bin(QV_OP_SUB, et_i64(1), et_col(b, 1)));
  qv_expr *like = NULL;
  CHECK_OK(qv_expr_like(et_col(b, 2), et_str("PROMO%"), false, false, &like, &et_err), &et_err);
  et_track_expr(like);
  qv_expr *whens[1] = {like};
  qv_expr *thens[1] = {charge};
  qv_expr *cs = NULL;
  CHECK_OK(qv_expr_case(NULL, whens, thens, 1, et_i64(0), &cs, &et_err), &et_err);
  et_track_expr(cs);
  qv_expr *all[4] = {cs, et_fn("upper", 1, et_col(b, 2)), et_cast(et_col(b, 0), et_t(QV_UTF8)),
                     et_fn("coalesce", 2, et_col(b, 0), et_col(b, 1))};
  for (int k = 0; k < 4; k++) {
    CHECK(all[k]);
    qv_allocator *a = NULL;
    CHECK_OK(qv_allocator_create(0, &a, &et_err), &et_err);
    bool succeeded = false;
    for (int64_t n = 1; n < 200 && !succeeded; n++) {
      qv_allocator_fail_after(a, n);
      qv_array *r = NULL;
      qv_error e2;
      qv_status st = qv_expr_evaluate(all[k], b, a, &r, &e2);
      if (st == QV_OK) {
        succeeded = true;
        qv_array_unref(r);
      } else {
        CHECK(r == NULL);
        if (st != QV_NOMEM) qv_test_fail(__FILE__, __LINE__, "expr %d, failure %lld: %s", k, (long long)n, e2.message);
        CHECK_EQ_INT(st, QV_NOMEM);
      }
      CHECK_EQ_INT(qv_allocator_bytes_allocated(a), 0);
    }
    CHECK(succeeded);
    qv_allocator_destroy(a);
  }
  et_free_all();
}
