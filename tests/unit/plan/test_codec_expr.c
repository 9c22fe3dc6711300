/* Round trips of every expression kind: inside a ProjectionExec (same
 * EXPLAIN text and results after decoding, see ct_round_trip), and
 * standalone through the internal qv__expr_encode / qv__expr_decode (same
 * text, type, nullability and values). */
#include <stdarg.h>
#include <stdlib.h>

#include "codec_test_util.h"
#include "expr/expr_internal.h"
#include "plan/codec_expr.h"

static qv_expr *fn(qv_session_state *s, const char *name, int n, ...) {
  qv_expr *args[8] = {0};
  va_list ap;
  va_start(ap, n);
  bool ok = true;
  for (int i = 0; i < n; i++) ok &= (args[i] = va_arg(ap, qv_expr *)) != NULL;
  va_end(ap);
  qv_expr *e = NULL;
  qv_error err;
  qv_error_init(&err);
  if (ok && qv_expr_function(s, name, args, n, &e, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "function %s: %s", name, err.message);
    e = NULL;
  }
  for (int i = 0; i < n; i++) qv_expr_unref(args[i]);
  return e;
}

static const char *text(const qv_expr *e, char *buf, size_t size) {
  qv_bytes b;
  qv_bytes_init(&b, NULL);
  buf[0] = '\0';
  if (qv_expr_to_string(e, &b, NULL) == QV_OK) snprintf(buf, size, "%.*s", (int)b.size, (const char *)b.data);
  qv_bytes_reset(&b);
  return buf;
}

/* Standalone round trip of e over the sample table's schema: same text,
 * type, nullability, and values over a batch. */
static bool standalone(qv_expr *e, qv_session_state *s) {
  qv_error err;
  qv_error_init(&err);
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  qv_schema *schema = ct_schema();
  qv_record_batch *batch = ct_batch(0, 40);
  qv_expr *back = NULL;
  qv_array *a = NULL, *b = NULL;
  bool ok = false;
  char t1[512], t2[512];
  if (qv__expr_encode(e, &bytes, &err) != QV_OK ||
      qv__expr_decode(bytes.data, bytes.size, schema, s, &back, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s: %s", text(e, t1, sizeof t1), err.message);
  } else if (strcmp(text(e, t1, sizeof t1), text(back, t2, sizeof t2)) != 0) {
    qv_test_fail(__FILE__, __LINE__, "text '%s' became '%s'", t1, t2);
  } else if (!qv_type_equals(qv_expr_type(e), qv_expr_type(back)) || qv_expr_nullable(e) != qv_expr_nullable(back)) {
    qv_test_fail(__FILE__, __LINE__, "%s: type or nullability changed", t1);
  } else if (qv_expr_evaluate(e, batch, NULL, &a, &err) != QV_OK ||
             qv_expr_evaluate(back, batch, NULL, &b, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s: evaluating: %s", t1, err.message);
  } else if (!qv_array_equals(a, b)) {
    qv_test_fail(__FILE__, __LINE__, "%s: values differ after the round trip", t1);
  } else {
    ok = true;
  }
  qv_array_unref(a);
  qv_array_unref(b);
  qv_expr_unref(back);
  qv_record_batch_unref(batch);
  qv_schema_unref(schema);
  qv_bytes_reset(&bytes);
  return ok;
}

/* Round-trips each expression standalone, then all of them as one
 * projection over a scan; consumes the expressions. */
static bool round_trip_exprs(qv_exec_plan *scan, qv_session_state *s, qv_expr **exprs, int n) {
  bool ok = scan != NULL;
  for (int i = 0; i < n; i++) {
    if (!exprs[i]) {
      qv_test_fail(__FILE__, __LINE__, "expression %d was not built", i);
      ok = false;
    }
  }
  for (int i = 0; ok && i < n; i++) ok = standalone(exprs[i], s);
  char names[64][8];
  const char *name_ptrs[64];
  for (int i = 0; i < n && i < 64; i++) {
    snprintf(names[i], sizeof names[i], "e%d", i);
    name_ptrs[i] = names[i];
  }
  qv_exec_plan *p = NULL;
  qv_error err;
  qv_error_init(&err);
  if (ok && qv_plan_projection(scan, exprs, name_ptrs, n, &p, &err) != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "projection: %s", err.message);
    ok = false;
  }
  if (ok) ok = ct_round_trip_sessions(p, s, s, NULL);
  qv_exec_plan_unref(p);
  for (int i = 0; i < n; i++) qv_expr_unref(exprs[i]);
  return ok;
}

QV_TEST(codec_expr_columns_and_literals) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(2, 2, 10);
  qv_session_state *s = ct_session();
  CHECK(scan && s);
  qv_expr *d = NULL, *dec = NULL, *null_i = NULL, *null_na = NULL, *f = NULL, *b = NULL, *ts_lit = NULL,
          *list_lit = NULL;
  CHECK_OK(qv_expr_literal_date32(9000, &d, &err), &err);
  CHECK_OK(qv_expr_literal_decimal(-12345, 10, 3, &dec, &err), &err);
  CHECK_OK(qv_expr_literal_null(qv_type_primitive(QV_INT16), &null_i, &err), &err);
  CHECK_OK(qv_expr_literal_null(NULL, &null_na, &err), &err);
  CHECK_OK(qv_expr_literal_double(-2.5e-3, &f, &err), &err);
  CHECK_OK(qv_expr_literal_bool(true, &b, &err), &err);
  /* A timestamp with a time zone, and a nested value (list<int32>). */
  qv_data_type *ts_type = NULL;
  CHECK_OK(qv_type_timestamp(QV_NANO, "Europe/Paris", &ts_type, &err), &err);
  qv_array_builder bld;
  qv_array *ts = NULL, *items = NULL, *offs = NULL, *list = NULL;
  CHECK_OK(qv_array_builder_init(&bld, NULL, ts_type, &err), &err);
  CHECK_OK(qv_array_builder_append_int(&bld, 1700000000123456789LL, &err), &err);
  CHECK_OK(qv_array_builder_finish(&bld, &ts, &err), &err);
  CHECK_OK(qv_expr_literal(ts, &ts_lit, &err), &err);
  CHECK_OK(qv_array_builder_init(&bld, NULL, qv_type_primitive(QV_INT32), &err), &err);
  for (int i = 0; i < 3; i++) CHECK_OK(qv_array_builder_append_int(&bld, i * 7, &err), &err);
  CHECK_OK(qv_array_builder_finish(&bld, &items, &err), &err);
  CHECK_OK(qv_array_builder_init(&bld, NULL, qv_type_primitive(QV_INT32), &err), &err);
  CHECK_OK(qv_array_builder_append_int(&bld, 0, &err), &err);
  CHECK_OK(qv_array_builder_append_int(&bld, 3, &err), &err);
  CHECK_OK(qv_array_builder_finish(&bld, &offs, &err), &err);
  qv_field *item = NULL;
  qv_data_type *list_type = NULL;
  CHECK_OK(qv_field_create("item", qv_type_primitive(QV_INT32), true, NULL, &item, &err), &err);
  CHECK_OK(qv_type_list(QV_LIST, item, &list_type, &err), &err);
  qv_buffer *bufs[2] = {NULL, qv_array_buffer(offs, 1)};
  CHECK_OK(qv_array_create(list_type, 1, 0, 0, bufs, 2, &items, 1, NULL, &list, &err), &err);
  CHECK_OK(qv_expr_literal(list, &list_lit, &err), &err);
  qv_expr *exprs[] = {ct_col(scan, CT_ID), ct_col(scan, CT_CAT), ct_col(scan, CT_TS), ct_i64(-7), ct_str("héllo"),
                      d, dec, null_i, null_na, f, b, ts_lit, list_lit};
  CHECK(round_trip_exprs(scan, s, exprs, (int)(sizeof exprs / sizeof exprs[0])));
  qv_array_unref(ts);
  qv_array_unref(items);
  qv_array_unref(offs);
  qv_array_unref(list);
  qv_field_unref(item);
  qv_type_unref(list_type);
  qv_type_unref(ts_type);
  qv_exec_plan_unref(scan);
  qv_session_state_unref(s);
}

QV_TEST(codec_expr_operators) {
  qv_exec_plan *scan = ct_scan(2, 2, 10);
  qv_session_state *s = ct_session();
  CHECK(scan && s);
  qv_expr *exprs[20];
  int n = 0;
  /* Every binary operator; int32 + int64 and decimal * int get implicit
   * casts that decoding must re-insert. */
  for (int op = QV_OP_ADD; op <= QV_OP_GE; op++) {
    qv_expr *l = op == QV_OP_DIV || op == QV_OP_MOD ? ct_col(scan, CT_F64) : ct_col(scan, CT_I32);
    exprs[n++] = ct_bin((qv_binary_op)op, l, ct_bin(QV_OP_ADD, ct_col(scan, CT_ID), ct_i64(1)));
  }
  exprs[n++] = ct_bin(QV_OP_AND, ct_col(scan, CT_B), ct_bin(QV_OP_LT, ct_col(scan, CT_DEC), ct_i64(3)));
  exprs[n++] = ct_bin(QV_OP_OR, ct_col(scan, CT_B), ct_bin(QV_OP_GE, ct_col(scan, CT_D), ct_str("1997-05-20")));
  exprs[n++] = ct_bin(QV_OP_MUL, ct_col(scan, CT_DEC), ct_bin(QV_OP_SUB, ct_i64(1), ct_col(scan, CT_DEC)));
  exprs[n++] = ct_bin(QV_OP_ADD, ct_col(scan, CT_D), ct_i64(30));
  exprs[n++] = ct_bin(QV_OP_EQ, ct_col(scan, CT_CAT), ct_col(scan, CT_S));
  CHECK(round_trip_exprs(scan, s, exprs, n));
  qv_exec_plan_unref(scan);
  qv_session_state_unref(s);
}

QV_TEST(codec_expr_unary_in_between_like_case) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(2, 2, 10);
  qv_session_state *s = ct_session();
  CHECK(scan && s);
  qv_expr *exprs[16] = {0};
  int n = 0;
  qv_expr *tmp = ct_col(scan, CT_B);
  CHECK_OK(qv_expr_not(tmp, &exprs[n++], &err), &err);
  qv_expr_unref(tmp);
  tmp = ct_col(scan, CT_DEC);
  CHECK_OK(qv_expr_negate(tmp, &exprs[n++], &err), &err);
  qv_expr_unref(tmp);
  tmp = ct_col(scan, CT_S);
  CHECK_OK(qv_expr_is_null(tmp, false, &exprs[n++], &err), &err);
  CHECK_OK(qv_expr_is_null(tmp, true, &exprs[n++], &err), &err);
  qv_expr *pats[3] = {ct_str("s%"), ct_str("%2"), ct_str("S_")};
  CHECK_OK(qv_expr_like(tmp, pats[0], false, false, &exprs[n++], &err), &err);
  CHECK_OK(qv_expr_like(tmp, pats[1], true, false, &exprs[n++], &err), &err);
  CHECK_OK(qv_expr_like(tmp, pats[2], false, true, &exprs[n++], &err), &err);
  qv_expr *list[3] = {ct_str("s1"), ct_str("s3"), NULL};
  CHECK_OK(qv_expr_literal_null(qv_type_primitive(QV_UTF8), &list[2], &err), &err);
  CHECK_OK(qv_expr_in_list(tmp, list, 3, false, &exprs[n++], &err), &err);
  CHECK_OK(qv_expr_in_list(tmp, list, 2, true, &exprs[n++], &err), &err);
  qv_expr *cat = ct_col(scan, CT_CAT), *cats[2] = {ct_str("red"), ct_str("blue")};
  CHECK_OK(qv_expr_in_list(cat, cats, 2, false, &exprs[n++], &err), &err);
  qv_expr *i32 = ct_col(scan, CT_I32), *lo = ct_i64(-2), *hi = ct_i64(3);
  CHECK_OK(qv_expr_between(i32, lo, hi, false, &exprs[n++], &err), &err);
  CHECK_OK(qv_expr_between(i32, lo, hi, true, &exprs[n++], &err), &err);
  /* CASE with a base and an ELSE; a searched CASE without ELSE. */
  qv_expr *whens[2] = {ct_i64(1), ct_i64(2)}, *thens[2] = {ct_str("one"), ct_col(scan, CT_S)};
  CHECK_OK(qv_expr_case(i32, whens, thens, 2, cats[0], &exprs[n++], &err), &err);
  qv_expr *conds[1] = {ct_bin(QV_OP_GT, ct_col(scan, CT_F64), ct_i64(1))}, *vals[1] = {ct_col(scan, CT_DEC)};
  CHECK_OK(qv_expr_case(NULL, conds, vals, 1, NULL, &exprs[n++], &err), &err);
  CHECK(round_trip_exprs(scan, s, exprs, n));
  for (int i = 0; i < 3; i++) qv_expr_unref(pats[i]);
  for (int i = 0; i < 3; i++) qv_expr_unref(list[i]);
  for (int i = 0; i < 2; i++) {
    qv_expr_unref(cats[i]);
    qv_expr_unref(whens[i]);
    qv_expr_unref(thens[i]);
  }
  qv_expr_unref(conds[0]);
  qv_expr_unref(vals[0]);
  qv_expr_unref(tmp);
  qv_expr_unref(cat);
  qv_expr_unref(i32);
  qv_expr_unref(lo);
  qv_expr_unref(hi);
  qv_exec_plan_unref(scan);
  qv_session_state_unref(s);
}

QV_TEST(codec_expr_casts) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(1, 2, 10);
  qv_session_state *s = ct_session();
  CHECK(scan && s);
  qv_expr *exprs[8] = {0};
  int n = 0;
  qv_expr *id = ct_col(scan, CT_ID), *date_text = ct_str("2001-02-03");
  qv_data_type *dec = NULL;
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 20, 4, &dec, &err), &err);
  CHECK_OK(qv_expr_cast(id, qv_type_primitive(QV_UTF8), &exprs[n++], &err), &err);
  CHECK_OK(qv_expr_cast(id, dec, &exprs[n++], &err), &err);
  CHECK_OK(qv_expr_cast(date_text, qv_type_primitive(QV_DATE32), &exprs[n++], &err), &err);
  /* An implicit cast at the root of an expression: the left operand of
   * i32 + id, which coercion widened to int64. It must stay implicit. */
  qv_expr *sum = ct_bin(QV_OP_ADD, ct_col(scan, CT_I32), ct_col(scan, CT_ID));
  CHECK(sum);
  qv_expr *left = qv__expr_child(sum, 0);
  CHECK(qv__expr_kind(left) == QV_EXPR_CAST && qv__expr_cast_implicit(left));
  exprs[n++] = qv_expr_ref(left);
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  qv_schema *schema = ct_schema();
  qv_expr *back = NULL;
  CHECK_OK(qv__expr_encode(left, &bytes, &err), &err);
  CHECK_OK(qv__expr_decode(bytes.data, bytes.size, schema, s, &back, &err), &err);
  CHECK(qv__expr_kind(back) == QV_EXPR_CAST && qv__expr_cast_implicit(back));
  qv_expr_unref(back);
  qv_schema_unref(schema);
  qv_bytes_reset(&bytes);
  CHECK(round_trip_exprs(scan, s, exprs, n));
  qv_expr_unref(sum);
  qv_expr_unref(id);
  qv_expr_unref(date_text);
  qv_type_unref(dec);
  qv_exec_plan_unref(scan);
  qv_session_state_unref(s);
}

QV_TEST(codec_expr_builtin_functions) {
  qv_exec_plan *scan = ct_scan(2, 1, 12);
  qv_session_state *s = ct_session();
  CHECK(scan && s);
  qv_expr *exprs[] = {
      fn(s, "coalesce", 3, ct_col(scan, CT_I32), ct_col(scan, CT_ID), ct_i64(0)),
      fn(s, "nullif", 2, ct_col(scan, CT_S), ct_str("s2")),
      fn(s, "substring", 3, ct_col(scan, CT_S), ct_i64(2), ct_i64(1)),
      fn(s, "UPPER", 1, ct_col(scan, CT_CAT)),
      fn(s, "concat", 3, ct_col(scan, CT_S), ct_str("-"), ct_col(scan, CT_ID)),
      fn(s, "trim", 2, ct_col(scan, CT_S), ct_str("s")),
      fn(s, "length", 1, ct_col(scan, CT_S)),
      fn(s, "starts_with", 2, ct_col(scan, CT_S), ct_str("s1")),
      fn(s, "date_part", 2, ct_str("month"), ct_col(scan, CT_D)),
      fn(s, "date_trunc", 2, ct_str("hour"), ct_col(scan, CT_TS)),
      fn(s, "add_months", 2, ct_col(scan, CT_D), ct_i64(13)),
      fn(s, "round", 2, ct_col(scan, CT_DEC), ct_i64(1)),
      fn(s, "abs", 1, ct_col(scan, CT_I32)),
      fn(s, "sqrt", 1, fn(s, "abs", 1, ct_col(scan, CT_F64))),
      fn(s, "power", 2, ct_col(scan, CT_F64), ct_i64(2)),
  };
  CHECK(round_trip_exprs(scan, s, exprs, (int)(sizeof exprs / sizeof exprs[0])));
  qv_exec_plan_unref(scan);
  qv_session_state_unref(s);
}

/* Expressions as deep as the limit survive; one level more is refused on
 * both sides. */
QV_TEST(codec_expr_depth_limit) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(1, 1, 4);
  qv_session_state *s = ct_session();
  CHECK(scan && s);
  qv_expr *e = ct_col(scan, CT_ID);
  for (int i = 1; i < QV_PLAN_MAX_DEPTH; i++) e = ct_bin(QV_OP_ADD, e, ct_i64(1));
  CHECK(e);
  CHECK(standalone(e, s));
  qv_expr *deeper = ct_bin(QV_OP_ADD, qv_expr_ref(e), ct_i64(1));
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  CHECK_STATUS(qv__expr_encode(deeper, &bytes, &err), QV_INVALID);
  CHECK(strstr(err.message, "deeper than 128"));
  qv_bytes_reset(&bytes);
  qv_expr_unref(deeper);
  qv_expr_unref(e);
  qv_exec_plan_unref(scan);
  qv_session_state_unref(s);
}
