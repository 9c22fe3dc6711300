/* CAST: strings to and from numbers, decimals, booleans, dates and
 * timestamps (bad strings fail naming the value), decimal rescaling with
 * half-away-from-zero rounding, decimals to and from integers and floats,
 * numeric narrowing with range errors, dates and timestamps, binary-like
 * types, dictionaries and NULL. */
#include "expr_test_util.h"

static const char *cast_text(qv_data_type *from, const char *values, qv_data_type *to) {
  qv_record_batch *b = et_batch(1, et_arr(from, values));
  if (!b) return et_err.message;
  qv_array *r = et_eval(et_cast(et_col(b, 0), to), b);
  return r ? et_fmt(r) : et_err.message;
}

QV_TEST(expr_cast_string_to_numbers) {
  CHECK_STR_EQ(cast_text(et_t(QV_UTF8), " 42 , -7, NULL, +3", et_t(QV_INT32)), "42, -7, NULL, 3");
  CHECK_STR_EQ(cast_text(et_t(QV_UTF8), "255, 0", et_t(QV_UINT8)), "255, 0");
  CHECK_STR_EQ(cast_text(et_t(QV_UTF8), "1.5, -2e3, inf, 0.1", et_t(QV_FLOAT64)), "1.5, -2000, inf, 0.1");
  CHECK_STR_EQ(cast_text(et_t(QV_UTF8), "12.345, -0.005, 1e2, .5, 7", et_dec(10, 2)), "12.35, -0.01, 100.00, 0.50, 7.00");
  CHECK_STR_EQ(cast_text(et_t(QV_UTF8), "0.0000000000000000000000000000000000000000001", et_dec(5, 2)), "0.00");
  CHECK_STR_EQ(cast_text(et_t(QV_UTF8), "true, F, yes, 0, NULL", et_t(QV_BOOL)), "true, false, true, false, NULL");
  et_free_all();
}

QV_TEST(expr_cast_bad_strings_name_the_value) {
  CHECK(strstr(cast_text(et_t(QV_UTF8), "1, abc", et_t(QV_INT32)), "cannot convert 'abc' to int32"));
  CHECK_EQ_INT(et_err.code, QV_INVALID);
  CHECK(strstr(cast_text(et_t(QV_UTF8), "300", et_t(QV_INT8)), "'300' to int8 (out of range)"));
  CHECK_EQ_INT(et_err.code, QV_OUT_OF_RANGE);
  CHECK(strstr(cast_text(et_t(QV_UTF8), "1.5x", et_t(QV_FLOAT64)), "'1.5x'"));
  CHECK(strstr(cast_text(et_t(QV_UTF8), "1234.5", et_dec(5, 2)), "'1234.5' to decimal128(5, 2) (out of range)"));
  CHECK(strstr(cast_text(et_t(QV_UTF8), "1.2.3", et_dec(5, 2)), "'1.2.3'"));
  CHECK(strstr(cast_text(et_t(QV_UTF8), "2023-02-29", et_t(QV_DATE32)), "'2023-02-29' to date32"));
  CHECK(strstr(cast_text(et_t(QV_UTF8), "maybe", et_t(QV_BOOL)), "'maybe'"));
  CHECK(strstr(cast_text(et_t(QV_UTF8), "2020-01-01 25:00:00", et_ts(QV_MICRO, NULL)), "'2020-01-01 25:00:00'"));
  CHECK(strstr(cast_text(et_t(QV_UTF8), "-", et_t(QV_INT64)), "'-'"));
  et_free_all();
}

QV_TEST(expr_cast_dates_and_timestamps) {
  CHECK_STR_EQ(cast_text(et_t(QV_UTF8), "1998-12-01, 1970-01-01, 1969-12-31, 0001-01-01, 2400-02-29", et_t(QV_DATE32)),
               "1998-12-01, 1970-01-01, 1969-12-31, 0001-01-01, 2400-02-29");
  CHECK_STR_EQ(cast_text(et_t(QV_UTF8), "2020-01-02 03:04:05.123456, 2020-01-02T03:04, 1969-12-31 23:59:59.5, 2020-01-02",
                         et_ts(QV_MICRO, NULL)),
               "2020-01-02 03:04:05.123456, 2020-01-02 03:04:00, 1969-12-31 23:59:59.5, 2020-01-02 00:00:00");
  CHECK_STR_EQ(cast_text(et_t(QV_UTF8), "2020-01-02 03:04:05+02:00, 2020-01-02 03:04:05Z", et_ts(QV_SECOND, "UTC")),
               "2020-01-02 01:04:05, 2020-01-02 03:04:05");
  /* Timestamps to dates round down, also before 1970. */
  CHECK_STR_EQ(cast_text(et_ts(QV_MILLI, NULL), "1969-12-31 23:00:00, 2020-05-05 12:00:00", et_t(QV_DATE32)),
               "1969-12-31, 2020-05-05");
  CHECK_STR_EQ(cast_text(et_t(QV_DATE32), "2020-05-05, NULL", et_ts(QV_NANO, NULL)), "2020-05-05 00:00:00, NULL");
  CHECK_STR_EQ(cast_text(et_ts(QV_NANO, NULL), "2020-05-05 00:00:00.123456789", et_ts(QV_MILLI, NULL)),
               "2020-05-05 00:00:00.123");
  CHECK(strstr(cast_text(et_t(QV_DATE32), "9999-01-01", et_ts(QV_NANO, NULL)), "out of range"));
  CHECK_STR_EQ(cast_text(et_t(QV_DATE32), "1998-12-01", et_t(QV_UTF8)), "1998-12-01");
  et_free_all();
}

QV_TEST(expr_cast_decimals) {
  /* Reducing the scale rounds half away from zero. */
  CHECK_STR_EQ(cast_text(et_dec(5, 2), "1.25, -1.25, 1.24, NULL", et_dec(5, 1)), "1.3, -1.3, 1.2, NULL");
  CHECK_STR_EQ(cast_text(et_dec(5, 1), "2.5, -2.5, 2.4", et_t(QV_INT32)), "3, -3, 2");
  CHECK_STR_EQ(cast_text(et_dec(5, 2), "1.25", et_dec(10, 4)), "1.2500");
  CHECK(strstr(cast_text(et_dec(5, 2), "999.99", et_dec(4, 2)), "value 999.99 is out of range for decimal128(4, 2)"));
  CHECK_STR_EQ(cast_text(et_t(QV_INT64), "123, -5", et_dec(5, 2)), "123.00, -5.00");
  CHECK(strstr(cast_text(et_t(QV_INT64), "1234", et_dec(5, 2)), "value 1234 is out of range"));
  CHECK_STR_EQ(cast_text(et_dec(15, 2), "0.05, -1234.56", et_t(QV_FLOAT64)), "0.05, -1234.56");
  CHECK_STR_EQ(cast_text(et_t(QV_FLOAT64), "0.125, -0.125, 1e-9", et_dec(10, 2)), "0.13, -0.13, 0.00");
  CHECK(strstr(cast_text(et_t(QV_FLOAT64), "nan", et_dec(10, 2)), "out of range"));
  CHECK(strstr(cast_text(et_t(QV_FLOAT64), "1e30", et_dec(10, 2)), "out of range"));
  CHECK_STR_EQ(cast_text(et_dec(15, 2), "-0.05, 12.30", et_t(QV_UTF8)), "-0.05, 12.30");
  et_free_all();
}

QV_TEST(expr_cast_numeric_narrowing) {
  CHECK_STR_EQ(cast_text(et_t(QV_INT64), "127, -128, NULL", et_t(QV_INT8)), "127, -128, NULL");
  CHECK(strstr(cast_text(et_t(QV_INT64), "128", et_t(QV_INT8)), "value 128 is out of range for int8"));
  CHECK(strstr(cast_text(et_t(QV_INT32), "-1", et_t(QV_UINT32)), "value -1 is out of range for uint32"));
  CHECK_STR_EQ(cast_text(et_t(QV_UINT64), "18446744073709551615", et_t(QV_FLOAT64)), "1.8446744073709552e+19");
  CHECK_STR_EQ(cast_text(et_t(QV_FLOAT64), "2.5, 3.5, -2.5, 1e10", et_t(QV_INT64)), "2, 4, -2, 10000000000");
  CHECK(strstr(cast_text(et_t(QV_FLOAT64), "inf", et_t(QV_INT64)), "out of range"));
  CHECK(strstr(cast_text(et_t(QV_FLOAT64), "1e300", et_t(QV_FLOAT32)), "out of range for float32"));
  CHECK_STR_EQ(cast_text(et_t(QV_INT32), "0, 5, -1", et_t(QV_BOOL)), "false, true, true");
  CHECK_STR_EQ(cast_text(et_t(QV_BOOL), "true, false", et_t(QV_FLOAT64)), "1, 0");
  CHECK_STR_EQ(cast_text(et_t(QV_INT32), "-12, 0", et_t(QV_LARGE_UTF8)), "-12, 0");
  /* Garbage under a null slot is not checked. */
  qv_array *a = et_arr(et_t(QV_INT64), "1000, NULL");
  qv_buffer *vals = NULL;
  CHECK_OK(qv_buffer_copy(qv_default_allocator(), qv_buffer_data(qv_array_buffer(a, 1)), 16, &vals, &et_err), &et_err);
  ((int64_t *)qv_buffer_mutable_data(vals))[0] = 5;
  ((int64_t *)qv_buffer_mutable_data(vals))[1] = 99999;
  qv_buffer *bufs[2] = {qv_array_buffer(a, 0), vals};
  qv_array *g = NULL;
  CHECK_OK(qv_array_create(et_t(QV_INT64), 2, 0, -1, bufs, 2, NULL, 0, NULL, &g, &et_err), &et_err);
  qv_buffer_unref(vals);
  et_track_array(g);
  qv_record_batch *b = et_batch(1, g);
  CHECK_EVAL(et_cast(et_col(b, 0), et_t(QV_INT8)), b, "5, NULL");
  et_free_all();
}

QV_TEST(expr_cast_binary_dictionary_null) {
  CHECK_STR_EQ(cast_text(et_t(QV_UTF8), "a, bc, NULL", et_t(QV_LARGE_UTF8)), "a, bc, NULL");
  CHECK_STR_EQ(cast_text(et_t(QV_LARGE_UTF8), "a, bc", et_t(QV_BINARY)), "a, bc");
  qv_record_batch *bad = et_batch(1, et_arr(et_t(QV_BINARY), "x"));
  CHECK(bad);
  /* Binary to utf8 validates. */
  qv_array_builder bb;
  CHECK_OK(qv_array_builder_init(&bb, NULL, et_t(QV_BINARY), &et_err), &et_err);
  CHECK_OK(qv_array_builder_append_binary(&bb, "\xff\xfe", 2, &et_err), &et_err);
  qv_array *bin = NULL;
  CHECK_OK(qv_array_builder_finish(&bb, &bin, &et_err), &et_err);
  et_track_array(bin);
  qv_record_batch *b = et_batch(1, bin);
  CHECK_EVAL_FAILS(et_cast(et_col(b, 0), et_t(QV_UTF8)), b, QV_INVALID, "not valid UTF-8");
  int32_t idx[] = {1, 0, -1, 1};
  qv_record_batch *d = et_batch(1, et_dict(idx, 4, 2, "10", "20"));
  CHECK_EVAL(et_cast(et_col(d, 0), et_t(QV_INT32)), d, "20, 10, NULL, 20");
  CHECK_EVAL(et_cast(et_col(d, 0), et_t(QV_UTF8)), d, "20, 10, NULL, 20");
  CHECK_EVAL(et_cast(et_null(NULL), et_dec(5, 2)), d, "NULL, NULL, NULL, NULL");
  qv_expr *e = NULL;
  CHECK_STATUS(qv_expr_cast(et_col(d, 0), et_t(QV_DATE32), &e, &et_err), QV_OK);
  qv_expr_unref(e);
  CHECK_STATUS(qv_expr_cast(et_date("2020-01-01"), et_t(QV_INT32), &e, &et_err), QV_TYPE_ERROR);
  CHECK(strstr(et_err.message, "no cast from date32 to int32"));
  CHECK_STR_EQ(et_sql(et_cast(et_col(d, 0), et_dec(5, 2))), "CAST(c0 AS decimal128(5, 2))");
  et_free_all();
}
