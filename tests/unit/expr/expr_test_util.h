/* Helpers for the scalar expression tests: arrays from text ("1, NULL, 3"),
 * batches from arrays, evaluation, and results as text. Every object a
 * helper returns is tracked and freed by et_free_all(), which each test
 * calls last and which also runs at exit, so a test that stops at a failed
 * CHECK leaks nothing either. */
#ifndef QV_EXPR_TEST_UTIL_H
#define QV_EXPR_TEST_UTIL_H

#include "expr/expr_internal.h"
#include "test.h"

/* The last error a helper saw. */
extern qv_error et_err;

void et_free_all(void);
qv_array *et_track_array(qv_array *a);
qv_expr *et_track_expr(qv_expr *e);
qv_data_type *et_track_type(qv_data_type *t);

qv_data_type *et_t(qv_type_id id); /* primitive */
qv_data_type *et_dec(int32_t p, int32_t s);
qv_data_type *et_ts(qv_time_unit u, const char *tz);

/* An array of type t from comma-separated text values ("NULL" is null),
 * parsed with CAST from utf8; NULL on failure. */
qv_array *et_arr(qv_data_type *t, const char *csv);
/* A utf8 array; NULL arguments are null slots; n values. */
qv_array *et_strs(int n, ...);
/* A dictionary(int32 -> utf8) array: indices (-1 = null) into values. */
qv_array *et_dict(const int32_t *idx, int n, int n_values, ...);

/* A batch of columns c0, c1, ... (nullable fields named c<i>). */
qv_record_batch *et_batch(int n, ...);
qv_schema *et_schema(qv_record_batch *b);

/* Column i of schema s; literals. */
qv_expr *et_col(qv_record_batch *b, int i);
qv_expr *et_i64(int64_t v);
qv_expr *et_f64(double v);
qv_expr *et_str(const char *s);
qv_expr *et_bool(bool v);
qv_expr *et_decl(int64_t v, int32_t p, int32_t s);
qv_expr *et_date(const char *ymd);
qv_expr *et_null(qv_data_type *t);
qv_expr *et_lit(qv_data_type *t, const char *text); /* any type, via CAST from text */
qv_expr *et_bin(qv_binary_op op, qv_expr *l, qv_expr *r);
qv_expr *et_fn(const char *name, int n, ...);
qv_expr *et_cast(qv_expr *e, qv_data_type *t);

/* Evaluates; NULL on failure (et_err holds the error). */
qv_array *et_eval(qv_expr *e, qv_record_batch *b);
/* Values as "1, NULL, 3" (valid until the next call). */
const char *et_fmt(const qv_array *a);
/* Type as text (valid until the next call). */
const char *et_type(const qv_data_type *t);
/* to_string of an expression (valid until the next call). */
const char *et_sql(const qv_expr *e);

/* Evaluates e over b and checks the values' text. */
#define CHECK_EVAL(e, b, want)                                                                 \
  do {                                                                                         \
    qv_array *got_ = et_eval((e), (b));                                                        \
    if (!got_) {                                                                               \
      qv_test_fail(__FILE__, __LINE__, "evaluate failed: %s", et_err.message);                 \
      return;                                                                                  \
    }                                                                                          \
    CHECK_STR_EQ(et_fmt(got_), (want));                                                        \
  } while (0)

/* Expects evaluation to fail with `code` and a message containing `part`. */
#define CHECK_EVAL_FAILS(e, b, want_code, part)                                                     \
  do {                                                                                         \
    qv_array *got_ = et_eval((e), (b));                                                        \
    if (got_) {                                                                                \
      qv_test_fail(__FILE__, __LINE__, "evaluate succeeded: %s", et_fmt(got_));                \
      return;                                                                                  \
    }                                                                                          \
    CHECK_EQ_INT(et_err.code, (want_code));                                                         \
    if (!strstr(et_err.message, (part))) {                                                     \
      qv_test_fail(__FILE__, __LINE__, "message '%s' lacks '%s'", et_err.message, (part));     \
      return;                                                                                  \
    }                                                                                          \
  } while (0)

#endif
