/* CSV and JSON Lines writers: quoting, nulls, shortest floats, decimals,
 * dates and timestamps, binary, nested values as JSON, string escaping, and
 * round trips of random batches through the CSV writer and reader. */
#include <math.h>
#include <stdlib.h>

#include "quiver/csv.h"
#include "quiver/jsonl.h"
#include "test.h"
#include "test_csv_util.h"

/* ---- array helpers ------------------------------------------------------------ */

static qv_array *arr_strings(qv_data_type *t, const char *const *s, int n) {
  qv_array_builder b;
  qv_error err = {0};
  qv_array *a = NULL;
  if (qv_array_builder_init(&b, NULL, t, &err) != QV_OK) return NULL;
  for (int i = 0; i < n; i++) {
    qv_status st = s[i] ? qv_array_builder_append_binary(&b, s[i], (int64_t)strlen(s[i]), &err)
                        : qv_array_builder_append_null(&b, &err);
    if (st != QV_OK) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  }
  return qv_array_builder_finish(&b, &a, &err) == QV_OK ? a : NULL;
}

static qv_array *arr_ints(qv_data_type *t, const int64_t *v, const bool *valid, int n) {
  qv_array_builder b;
  qv_error err = {0};
  qv_array *a = NULL;
  if (qv_array_builder_init(&b, NULL, t, &err) != QV_OK) return NULL;
  for (int i = 0; i < n; i++) {
    qv_status st = valid && !valid[i] ? qv_array_builder_append_null(&b, &err)
                   : qv_type_id_of(t) == QV_BOOL ? qv_array_builder_append_bool(&b, v[i] != 0, &err)
                                                 : qv_array_builder_append_int(&b, v[i], &err);
    if (st != QV_OK) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  }
  return qv_array_builder_finish(&b, &a, &err) == QV_OK ? a : NULL;
}

static qv_array *arr_doubles(qv_data_type *t, const double *v, int n) {
  qv_array_builder b;
  qv_error err = {0};
  qv_array *a = NULL;
  if (qv_array_builder_init(&b, NULL, t, &err) != QV_OK) return NULL;
  for (int i = 0; i < n; i++)
    if (qv_array_builder_append_double(&b, v[i], &err) != QV_OK) {
      qv_array_builder_reset(&b);
      return NULL;
    }
  return qv_array_builder_finish(&b, &a, &err) == QV_OK ? a : NULL;
}

static qv_buffer *buf_of(const void *data, int64_t n) {
  qv_buffer *b = NULL;
  qv_error err = {0};
  return qv_buffer_copy(qv_default_allocator(), data, n, &b, &err) == QV_OK ? b : NULL;
}

/* A batch of the given columns (references taken; the caller keeps its own). */
static qv_record_batch *make_batch(const char *const *names, qv_array *const *cols, int n) {
  qv_field *fields[32];
  qv_error err = {0};
  int made = 0;
  bool ok = true;
  for (; made < n && ok; made++) {
    if (!cols[made]) return NULL;
    ok = qv_field_create(names[made], qv_array_type(cols[made]), true, NULL, &fields[made], &err) == QV_OK;
    if (!ok) break;
  }
  qv_schema *s = NULL;
  qv_record_batch *b = NULL;
  if (ok && qv_schema_create(fields, n, NULL, &s, &err) == QV_OK)
    if (qv_record_batch_create(s, qv_array_length(cols[0]), cols, n, &b, &err) != QV_OK) b = NULL;
  for (int i = 0; i < made && i < n; i++) qv_field_unref(fields[i]);
  qv_schema_unref(s);
  return b;
}

/* Formats b and compares with want. json: JSON Lines, else CSV with opts. */
static bool formats_to(const qv_record_batch *b, bool json, const qv_csv_write_options *opts, bool header,
                       const char *want) {
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  qv_error err = {0};
  qv_status st = json ? qv_json_format_batch(&out, b, &err) : qv_csv_format_batch(&out, b, opts, header, &err);
  bool ok = st == QV_OK && out.size == (int64_t)strlen(want) && memcmp(out.data, want, (size_t)out.size) == 0;
  if (!ok)
    fprintf(stderr, "  got (%s):\n%.*s  want:\n%s", err.message, (int)out.size, out.data ? (char *)out.data : "",
            want);
  qv_bytes_reset(&out);
  return ok;
}

/* ---- tests --------------------------------------------------------------------- */

QV_TEST(csv_writer_quoting_and_nulls) {
  const char *s[] = {"plain", "a,b", "say \"hi\"", "line\nbreak", "", NULL, "NULL", "cr\r"};
  qv_array *col = arr_strings(qv_type_primitive(QV_UTF8), s, 8);
  const char *names[] = {"text, quoted"};
  qv_record_batch *b = make_batch(names, &col, 1);
  CHECK(b);
  CHECK(formats_to(b, false, NULL, true,
                   "\"text, quoted\"\nplain\n\"a,b\"\n\"say \"\"hi\"\"\"\n\"line\nbreak\"\n\"\"\n\nNULL\n\"cr\r\"\n"));
  qv_csv_write_options o;
  qv_csv_write_options_init(&o);
  o.null_string = "NULL";
  o.delimiter = ';';
  o.crlf = true;
  CHECK(formats_to(b, false, &o, false,
                   "plain\r\na,b\r\n\"say \"\"hi\"\"\"\r\n\"line\nbreak\"\r\n\r\nNULL\r\n\"NULL\"\r\n\"cr\r\"\r\n"));
  CHECK(formats_to(b, true, NULL, false,
                   "{\"text, quoted\":\"plain\"}\n{\"text, quoted\":\"a,b\"}\n{\"text, quoted\":\"say \\\"hi\\\"\"}\n"
                   "{\"text, quoted\":\"line\\nbreak\"}\n{\"text, quoted\":\"\"}\n{\"text, quoted\":null}\n"
                   "{\"text, quoted\":\"NULL\"}\n{\"text, quoted\":\"cr\\r\"}\n"));
  qv_record_batch_unref(b);
  qv_array_unref(col);
}

QV_TEST(csv_writer_numbers) {
  int64_t iv[] = {INT64_MIN, INT64_MAX, 0, -7};
  bool valid[] = {true, true, false, true};
  double dv[] = {0.1, 1.0, -0.0, 1e300, 5e-324, 123456789.0, 1e22, 0.30000000000000004};
  double special[] = {NAN, INFINITY, -INFINITY, 2.5, 1e-7, -1.5e-300, 0.3, 100};
  qv_data_type *dec = NULL;
  qv_error err = {0};
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 15, 2, &dec, &err), &err);
  int64_t decv[] = {-12345, 7, 0, 100};
  int64_t u64 = -1; /* 18446744073709551615 */
  qv_array *cols[] = {arr_ints(qv_type_primitive(QV_INT64), iv, valid, 4),
                      arr_doubles(qv_type_primitive(QV_FLOAT64), dv, 4),
                      arr_doubles(qv_type_primitive(QV_FLOAT64), dv + 4, 4),
                      arr_doubles(qv_type_primitive(QV_FLOAT64), special, 4),
                      arr_doubles(qv_type_primitive(QV_FLOAT32), special + 4, 4),
                      arr_ints(dec, decv, NULL, 4),
                      arr_ints(qv_type_primitive(QV_UINT64), (int64_t[]){u64, 1, 2, 3}, NULL, 4),
                      arr_ints(qv_type_primitive(QV_BOOL), (int64_t[]){1, 0, 1, 0}, valid, 4)};
  const char *names[] = {"i", "d1", "d2", "sp", "f32", "dec", "u", "b"};
  qv_record_batch *b = make_batch(names, cols, 8);
  CHECK(b);
  CHECK(formats_to(b, false, NULL, true,
                   "i,d1,d2,sp,f32,dec,u,b\n"
                   "-9223372036854775808,0.1,5e-324,NaN,1e-07,-123.45,18446744073709551615,true\n"
                   "9223372036854775807,1.0,123456789.0,inf,-0.0,0.07,1,false\n"
                   ",-0.0,1e+22,-inf,0.3,0.00,2,\n"
                   "-7,1e+300,0.30000000000000004,2.5,100.0,1.00,3,false\n"));
  CHECK(formats_to(b, true, NULL, false,
                   "{\"i\":-9223372036854775808,\"d1\":0.1,\"d2\":5e-324,\"sp\":\"NaN\",\"f32\":1e-07,"
                   "\"dec\":-123.45,\"u\":18446744073709551615,\"b\":true}\n"
                   "{\"i\":9223372036854775807,\"d1\":1.0,\"d2\":123456789.0,\"sp\":\"inf\",\"f32\":-0.0,"
                   "\"dec\":0.07,\"u\":1,\"b\":false}\n"
                   "{\"i\":null,\"d1\":-0.0,\"d2\":1e+22,\"sp\":\"-inf\",\"f32\":0.3,\"dec\":0.00,\"u\":2,\"b\":null}\n"
                   "{\"i\":-7,\"d1\":1e+300,\"d2\":0.30000000000000004,\"sp\":2.5,\"f32\":100.0,\"dec\":1.00,\"u\":3,"
                   "\"b\":false}\n"));
  qv_record_batch_unref(b);
  for (int i = 0; i < 8; i++) qv_array_unref(cols[i]);
  qv_type_unref(dec);
}

QV_TEST(csv_writer_dates_timestamps_binary) {
  qv_error err = {0};
  qv_data_type *ts_naive = NULL, *ts_utc = NULL, *ts_ny = NULL, *t64 = NULL;
  CHECK_OK(qv_type_timestamp(QV_MILLI, NULL, &ts_naive, &err), &err);
  CHECK_OK(qv_type_timestamp(QV_SECOND, "UTC", &ts_utc, &err), &err);
  CHECK_OK(qv_type_timestamp(QV_MICRO, "America/New_York", &ts_ny, &err), &err);
  CHECK_OK(qv_type_time(QV_TIME64, QV_MICRO, &t64, &err), &err);
  const char *bin[] = {"\x01\xab", ""};
  qv_array *cols[] = {arr_ints(qv_type_primitive(QV_DATE32), (int64_t[]){9568, -1}, NULL, 2),
                      arr_ints(ts_naive, (int64_t[]){1714566896789, -1}, NULL, 2),
                      arr_ints(ts_utc, (int64_t[]){1714566896, 0}, NULL, 2),
                      arr_ints(ts_ny, (int64_t[]){1714566896000001, 0}, NULL, 2),
                      arr_ints(t64, (int64_t[]){3723000001, 0}, NULL, 2),
                      arr_strings(qv_type_primitive(QV_BINARY), bin, 2)};
  const char *names[] = {"d", "naive", "utc", "ny", "t", "bin"};
  qv_record_batch *b = make_batch(names, cols, 6);
  CHECK(b);
  CHECK(formats_to(b, false, NULL, false,
                   "1996-03-13,2024-05-01T12:34:56.789,2024-05-01T12:34:56Z,2024-05-01T12:34:56.000001Z,"
                   "01:02:03.000001,01ab\n"
                   "1969-12-31,1969-12-31T23:59:59.999,1970-01-01T00:00:00Z,1970-01-01T00:00:00.000000Z,"
                   "00:00:00.000000,\"\"\n"));
  CHECK(formats_to(b, true, NULL, false,
                   "{\"d\":\"1996-03-13\",\"naive\":\"2024-05-01T12:34:56.789\",\"utc\":\"2024-05-01T12:34:56Z\","
                   "\"ny\":\"2024-05-01T12:34:56.000001Z\",\"t\":\"01:02:03.000001\",\"bin\":\"01ab\"}\n"
                   "{\"d\":\"1969-12-31\",\"naive\":\"1969-12-31T23:59:59.999\",\"utc\":\"1970-01-01T00:00:00Z\","
                   "\"ny\":\"1970-01-01T00:00:00.000000Z\",\"t\":\"00:00:00.000000\",\"bin\":\"\"}\n"));
  qv_record_batch_unref(b);
  for (int i = 0; i < 6; i++) qv_array_unref(cols[i]);
  qv_type_unref(ts_naive);
  qv_type_unref(ts_utc);
  qv_type_unref(ts_ny);
  qv_type_unref(t64);
}

QV_TEST(csv_writer_nested_as_json) {
  qv_error err = {0};
  /* list<int32>: [1, 2], [], null, [null] */
  qv_array *items = arr_ints(qv_type_primitive(QV_INT32), (int64_t[]){1, 2, 0}, (bool[]){true, true, false}, 3);
  int32_t offs[] = {0, 2, 2, 2, 3};
  uint8_t lvalid = 0x0B; /* 1101: slot 2 null */
  qv_field *item_field = NULL, *a_field = NULL, *b_field = NULL, *k_field = NULL, *v_field = NULL,
           *entries_field = NULL;
  qv_data_type *list_t = NULL, *struct_t = NULL, *entries_t = NULL, *map_t = NULL;
  CHECK_OK(qv_field_create("item", qv_type_primitive(QV_INT32), true, NULL, &item_field, &err), &err);
  CHECK_OK(qv_type_list(QV_LIST, item_field, &list_t, &err), &err);
  qv_buffer *lb[] = {buf_of(&lvalid, 1), buf_of(offs, sizeof offs)};
  qv_array *list = NULL;
  CHECK_OK(qv_array_create(list_t, 4, 0, 1, lb, 2, &items, 1, NULL, &list, &err), &err);
  /* struct<a: int32, b: utf8>: {1, "x\"y"}, {null, null}, null, {4, ""} */
  const char *bs[] = {"x\"y", NULL, "z", ""};
  qv_array *sc[] = {arr_ints(qv_type_primitive(QV_INT32), (int64_t[]){1, 0, 3, 4}, (bool[]){1, 0, 1, 1}, 4),
                    arr_strings(qv_type_primitive(QV_UTF8), bs, 4)};
  CHECK_OK(qv_field_create("a", qv_type_primitive(QV_INT32), true, NULL, &a_field, &err), &err);
  CHECK_OK(qv_field_create("b", qv_type_primitive(QV_UTF8), true, NULL, &b_field, &err), &err);
  qv_field *sf[] = {a_field, b_field};
  CHECK_OK(qv_type_struct(sf, 2, &struct_t, &err), &err);
  uint8_t svalid = 0x0B;
  qv_buffer *sb[] = {buf_of(&svalid, 1)};
  qv_array *strct = NULL;
  CHECK_OK(qv_array_create(struct_t, 4, 0, 1, sb, 1, sc, 2, NULL, &strct, &err), &err);
  /* map<utf8, int64>: {"k": 1, "j": null}, {}, {}, {"7": 3} */
  const char *keys[] = {"k", "j", "7"};
  qv_array *ec[] = {arr_strings(qv_type_primitive(QV_UTF8), keys, 3),
                    arr_ints(qv_type_primitive(QV_INT64), (int64_t[]){1, 0, 3}, (bool[]){1, 0, 1}, 3)};
  CHECK_OK(qv_field_create("key", qv_type_primitive(QV_UTF8), false, NULL, &k_field, &err), &err);
  CHECK_OK(qv_field_create("value", qv_type_primitive(QV_INT64), true, NULL, &v_field, &err), &err);
  qv_field *ef[] = {k_field, v_field};
  CHECK_OK(qv_type_struct(ef, 2, &entries_t, &err), &err);
  CHECK_OK(qv_field_create("entries", entries_t, false, NULL, &entries_field, &err), &err);
  CHECK_OK(qv_type_map(entries_field, false, &map_t, &err), &err);
  qv_array *entries = NULL, *map = NULL;
  CHECK_OK(qv_array_create(entries_t, 3, 0, 0, (qv_buffer *[]){NULL}, 1, ec, 2, NULL, &entries, &err), &err);
  int32_t moffs[] = {0, 2, 2, 2, 3};
  qv_buffer *mb[] = {NULL, buf_of(moffs, sizeof moffs)};
  CHECK_OK(qv_array_create(map_t, 4, 0, 0, mb, 2, &entries, 1, NULL, &map, &err), &err);

  qv_array *cols[] = {list, strct, map};
  const char *names[] = {"l", "s", "m"};
  qv_record_batch *b = make_batch(names, cols, 3);
  CHECK(b);
  CHECK(formats_to(b, false, NULL, false,
                   "\"[1,2]\",\"{\"\"a\"\":1,\"\"b\"\":\"\"x\\\"\"y\"\"}\",\"{\"\"k\"\":1,\"\"j\"\":null}\"\n"
                   "[],\"{\"\"a\"\":null,\"\"b\"\":null}\",{}\n"
                   ",,{}\n"
                   "[null],\"{\"\"a\"\":4,\"\"b\"\":\"\"\"\"}\",\"{\"\"7\"\":3}\"\n"));
  CHECK(formats_to(b, true, NULL, false,
                   "{\"l\":[1,2],\"s\":{\"a\":1,\"b\":\"x\\\"y\"},\"m\":{\"k\":1,\"j\":null}}\n"
                   "{\"l\":[],\"s\":{\"a\":null,\"b\":null},\"m\":{}}\n"
                   "{\"l\":null,\"s\":null,\"m\":{}}\n"
                   "{\"l\":[null],\"s\":{\"a\":4,\"b\":\"\"},\"m\":{\"7\":3}}\n"));
  qv_record_batch_unref(b);
  qv_array *all[] = {items, list, sc[0], sc[1], strct, ec[0], ec[1], entries, map};
  for (int i = 0; i < 9; i++) qv_array_unref(all[i]);
  for (int i = 0; i < 2; i++) qv_buffer_unref(lb[i]);
  qv_buffer_unref(sb[0]);
  qv_buffer_unref(mb[1]);
  qv_field *fs[] = {item_field, a_field, b_field, k_field, v_field, entries_field};
  for (int i = 0; i < 6; i++) qv_field_unref(fs[i]);
  qv_data_type *ts[] = {list_t, struct_t, entries_t, map_t};
  for (int i = 0; i < 4; i++) qv_type_unref(ts[i]);
}

QV_TEST(json_writer_string_escapes) {
  /* Control characters, a valid multi-byte sequence, and bytes that are not
   * UTF-8 (a utf8 array built without validation) become U+FFFD. */
  const char *s[] = {"tab\there\x01\x1f\\ \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "bad\xff\xc3(\xed\xa0\x80x"};
  qv_array *col = arr_strings(qv_type_primitive(QV_UTF8), s, 2);
  const char *names[] = {"s\n"};
  qv_record_batch *b = make_batch(names, &col, 1);
  CHECK(b);
  CHECK(formats_to(b, true, NULL, false,
                   "{\"s\\n\":\"tab\\there\\u0001\\u001f\\\\ \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}\n"
                   "{\"s\\n\":\"bad\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx\"}\n"));
  qv_record_batch_unref(b);
  qv_array_unref(col);
}

/* Random batches of every type the reader and writer share go through the CSV
 * writer and come back equal from the reader. */
QV_TEST(csv_writer_reader_round_trip) {
  qv_schema *schema = csv_test_schema(
      "i8:int8,i64:int64,u32:uint32,f64:float64,f32:float32,b:bool,d:date32,d64:date64,ts:ts_ns,tsz:ts_ms_utc,"
      "t:time64_us,p:dec(15;2),big:dec(38;5),s:utf8,ls:large_utf8");
  CHECK(schema);
  unsigned seed = 7;
  for (int iter = 0; iter < 20; iter++) {
    int n = 1 + (int)(rand_r(&seed) % 200);
    int32_t nf = qv_schema_num_fields(schema);
    qv_array *cols[32] = {0};
    qv_error err = {0};
    for (int32_t c = 0; c < nf; c++) {
      qv_data_type *t = qv_field_type(qv_schema_field(schema, c));
      qv_array_builder bld;
      CHECK_OK(qv_array_builder_init(&bld, NULL, t, &err), &err);
      for (int r = 0; r < n; r++) {
        unsigned x = (unsigned)rand_r(&seed);
        uint64_t bits = ((uint64_t)rand_r(&seed) << 33) ^ ((uint64_t)rand_r(&seed) << 11) ^ (uint64_t)rand_r(&seed);
        if (x % 7 == 0) {
          CHECK_OK(qv_array_builder_append_null(&bld, &err), &err);
          continue;
        }
        qv_status st;
        switch (qv_type_id_of(t)) {
          case QV_FLOAT64: {
            double v;
            memcpy(&v, &bits, 8);
            if (isnan(v)) v = 1.0 / (double)(x | 1);
            st = qv_array_builder_append_double(&bld, v, &err);
            break;
          }
          case QV_FLOAT32: {
            uint32_t b32 = (uint32_t)bits;
            float v;
            memcpy(&v, &b32, 4);
            if (isnan(v)) v = 0.5f;
            st = qv_array_builder_append_double(&bld, v, &err);
            break;
          }
          case QV_BOOL: st = qv_array_builder_append_bool(&bld, x & 1, &err); break;
          case QV_DATE32: st = qv_array_builder_append_int(&bld, (int64_t)(bits % 2900000) - 719000, &err); break;
          case QV_DATE64:
            st = qv_array_builder_append_int(&bld, ((int64_t)(bits % 2900000) - 719000) * 86400000, &err);
            break;
          case QV_TIMESTAMP: { /* years 1843 .. 2096 in any unit */
            static const int64_t ns_per_unit[] = {1000000000, 1000000, 1000, 1};
            int64_t ns = (int64_t)(bits % 8000000000000000000ULL) - 4000000000000000000LL;
            st = qv_array_builder_append_int(&bld, ns / ns_per_unit[qv_type_unit(t)], &err);
            break;
          }
          case QV_TIME64: st = qv_array_builder_append_int(&bld, (int64_t)(bits % 86400000000ULL), &err); break;
          case QV_DECIMAL128: {
            int64_t v = (int64_t)(bits % 1000000000000000ULL) * (x & 2 ? -1 : 1);
            if (qv_type_precision(t) == 38) {
              uint64_t w[2] = {bits, (uint64_t)(x % 1000000)}; /* < 10^38 */
              st = qv_array_builder_append_fixed(&bld, w, &err);
            } else {
              st = qv_array_builder_append_int(&bld, v, &err);
            }
            break;
          }
          case QV_UTF8: case QV_LARGE_UTF8: case QV_BINARY: {
            static const char alphabet[] = "ab,\"\n\r x\\;|";
            char text[16];
            int len = (int)(x % 12);
            for (int k = 0; k < len; k++) text[k] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
            st = qv_array_builder_append_binary(&bld, text, len, &err);
            break;
          }
          default: st = qv_array_builder_append_int(&bld, (int64_t)bits, &err); break;
        }
        CHECK_OK(st, &err);
      }
      CHECK_OK(qv_array_builder_finish(&bld, &cols[c], &err), &err);
    }
    qv_record_batch *b = NULL;
    CHECK_OK(qv_record_batch_create(schema, n, cols, nf, &b, &err), &err);
    for (int32_t c = 0; c < nf; c++) qv_array_unref(cols[c]);
    qv_bytes text;
    qv_bytes_init(&text, NULL);
    CHECK_OK(qv_csv_format_batch(&text, b, NULL, true, &err), &err);
    qv_buffer *data = NULL;
    CHECK_OK(qv_bytes_finish(&text, &data, &err), &err);
    qv_csv_read_options o;
    qv_csv_read_options_init(&o);
    o.batch_size = 1000;
    qv_csv_reader *r = NULL;
    CHECK_OK(qv_csv_reader_create(data, 0, -1, &o, schema, &r, &err), &err);
    qv_record_batch *back = NULL;
    CHECK_OK(qv_csv_reader_next(r, &back, &err), &err);
    CHECK(back);
    bool same = qv_record_batch_equals(b, back);
    if (!same) fprintf(stderr, "  iteration %d:\n%.*s\n", iter, (int)qv_buffer_size(data), qv_buffer_data(data));
    CHECK(same);
    qv_record_batch_unref(back);
    qv_csv_reader_destroy(r);
    qv_buffer_unref(data);
    qv_record_batch_unref(b);
  }
  qv_schema_unref(schema);
}

QV_TEST(csv_json_writer_allocation_failures) {
  const char *s[] = {"a,b", NULL, "plain", "x\"y"};
  qv_array *cols[] = {arr_strings(qv_type_primitive(QV_UTF8), s, 4),
                      arr_doubles(qv_type_primitive(QV_FLOAT64), (double[]){0.1, 2, NAN, -1e300}, 4)};
  const char *names[] = {"s", "d"};
  qv_record_batch *b = make_batch(names, cols, 2);
  CHECK(b);
  for (int json = 0; json < 2; json++) {
    bool completed = false;
    for (int64_t n = 1; n < 100 && !completed; n++) {
      qv_allocator *a = NULL;
      qv_error err = {0};
      CHECK_OK(qv_allocator_create(0, &a, &err), &err);
      qv_bytes out;
      qv_bytes_init(&out, a);
      qv_allocator_fail_after(a, n);
      qv_status st = json ? qv_json_format_batch(&out, b, &err) : qv_csv_format_batch(&out, b, NULL, true, &err);
      qv_allocator_fail_after(a, 0);
      completed = st == QV_OK;
      CHECK(st == QV_OK || st == QV_NOMEM);
      qv_bytes_reset(&out);
      CHECK_EQ_INT(qv_allocator_bytes_allocated(a), 0);
      qv_allocator_destroy(a);
    }
    CHECK(completed);
  }
  qv_record_batch_unref(b);
  qv_array_unref(cols[0]);
  qv_array_unref(cols[1]);
}
