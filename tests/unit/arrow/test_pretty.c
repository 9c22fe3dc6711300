/* Value formatting: decimals with scale, dates, timestamps, nested values. */
#include "quiver/pretty.h"
#include "test.h"

static bool formats_as(qv_array *a, int64_t i, const char *want) {
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  qv_error err = {0};
  bool ok = qv_format_value(a, i, &out, &err) == QV_OK && out.size == (int64_t)strlen(want) &&
            memcmp(out.data, want, out.size) == 0;
  if (!ok) fprintf(stderr, "  got '%.*s', want '%s'\n", (int)out.size, out.data ? (char *)out.data : "", want);
  qv_bytes_reset(&out);
  return ok;
}

static qv_array *single(qv_data_type *t, int64_t v) {
  qv_array_builder b;
  qv_error err = {0};
  qv_array *a = NULL;
  if (qv_array_builder_init(&b, NULL, t, &err)) return NULL;
  if (qv_array_builder_append_int(&b, v, &err) || qv_array_builder_append_null(&b, &err) ||
      qv_array_builder_finish(&b, &a, &err))
    return NULL;
  return a;
}

QV_TEST(format_decimals_dates_timestamps) {
  qv_error err = {0};
  qv_data_type *d, *d256, *ts, *t64;
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 15, 2, &d, &err), &err);
  CHECK_OK(qv_type_decimal(QV_DECIMAL256, 40, 3, &d256, &err), &err);
  CHECK_OK(qv_type_timestamp(QV_MILLI, NULL, &ts, &err), &err);
  CHECK_OK(qv_type_time(QV_TIME64, QV_MICRO, &t64, &err), &err);
  qv_array *a = single(d, -12345), *b = single(d, 7), *c = single(d256, -5), *e = single(qv_type_primitive(QV_DATE32), 9298);
  qv_array *f = single(ts, -1), *g = single(t64, 3723000001), *h = single(qv_type_primitive(QV_DATE32), -719529);
  CHECK(a && b && c && e && f && g && h);
  CHECK(formats_as(a, 0, "-123.45"));
  CHECK(formats_as(a, 1, "null"));
  CHECK(formats_as(b, 0, "0.07"));
  CHECK(formats_as(c, 0, "-0.005"));
  CHECK(formats_as(e, 0, "1995-06-17"));
  CHECK(formats_as(f, 0, "1969-12-31T23:59:59.999"));
  CHECK(formats_as(g, 0, "01:02:03.000001"));
  CHECK(formats_as(h, 0, "-0001-12-31"));
  qv_data_type *neg;
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 5, -2, &neg, &err), &err);
  qv_array *z = single(neg, 0), *k = single(neg, 12);
  CHECK(z && k);
  CHECK(formats_as(z, 0, "0"));
  CHECK(formats_as(k, 0, "1200"));
  qv_array_unref(z);
  qv_array_unref(k);
  qv_type_unref(neg);
  qv_array *all[] = {a, b, c, e, f, g, h};
  for (int i = 0; i < 7; i++) qv_array_unref(all[i]);
  qv_type_unref(d);
  qv_type_unref(d256);
  qv_type_unref(ts);
  qv_type_unref(t64);
}
