/* CSV reader: RFC 4180 quoting, line endings, escapes, null strings, type
 * inference, explicit schemas, exact decimals, dates and timestamps, TPC-H
 * .tbl files, error messages with line and column, allocation failures. */
#include <stdlib.h>

#include "quiver/csv.h"
#include "quiver/pretty.h"
#include "test.h"
#include "test_csv_util.h"

/* Reads text with opts (NULL: defaults) and schema, compares the rendered rows. */
static bool rows_are(const char *text, const qv_csv_read_options *opts, qv_schema *schema, const char *want) {
  qv_error err = {0};
  char *got = csv_test_rows(text, opts, schema, &err);
  bool ok = got && strcmp(got, want) == 0;
  if (!ok) fprintf(stderr, "  got:\n%s  want:\n%s  error: %s\n", got ? got : "(failed)", want, err.message);
  free(got);
  return ok;
}

/* Reads text expecting failure with code and a message containing `part`. */
static bool fails_with(const char *text, const qv_csv_read_options *opts, qv_schema *schema, qv_status code,
                       const char *part) {
  qv_error err = {0};
  qv_status st = csv_test_read(text, -1, opts, schema, 0, -1, NULL, NULL, NULL, NULL, &err);
  bool ok = st == code && strstr(err.message, part) != NULL;
  if (!ok) fprintf(stderr, "  got %s '%s', want %s containing '%s'\n", qv_status_name(st), err.message,
                   qv_status_name(code), part);
  return ok;
}

QV_TEST(csv_quoting_rfc4180) {
  const char *text =
      "a,b,c\n"
      "1,\"x,y\",plain\n"
      "2,\"he said \"\"hi\"\"\",\"\"\n"
      "3,\"two\nlines\",\"a\r\nb\"\n"
      "4,,\"\"\"\"\n"
      "5,\"quoted at end\",last"; /* no final newline */
  CHECK(rows_are(text, NULL, NULL,
                 "1|x,y|plain\n"
                 "2|he said \"hi\"|\n"
                 "3|two\nlines|a\r\nb\n"
                 "4|null|\"\n"
                 "5|quoted at end|last\n"));
}

QV_TEST(csv_crlf_and_lone_cr) {
  qv_schema *s = csv_test_schema("a:utf8,b:int64");
  CHECK(s);
  CHECK(rows_are("a,b\r\nx,1\r\n\"y\",2\r\nz\r,3\r\n", NULL, s, "x|1\ny|2\nz\r|3\n"));
  /* A CR just before the end of the input is part of the line end too. */
  CHECK(rows_are("a,b\r\n\"q\",4\r", NULL, s, "q|4\n"));
  qv_schema_unref(s);
}

QV_TEST(csv_escape_character) {
  qv_csv_read_options o;
  qv_csv_read_options_init(&o);
  o.escape = '\\';
  qv_schema *s = csv_test_schema("a:utf8,b:utf8");
  CHECK(s);
  CHECK(rows_are("a,b\nx\\,y,\"q\\\"r\"\n\\\\,\"\\,\"\n", &o, s, "x,y|q\"r\n\\|,\n"));
  /* An escaped newline is a value newline. */
  CHECK(rows_are("a,b\nline\\\nbreak,2\n", &o, s, "line\nbreak|2\n"));
  o.newlines_in_values = false;
  CHECK(fails_with("a,b\nline\\\nbreak,2\n", &o, s, QV_INVALID, "line 2: escaped newline"));
  CHECK(fails_with("a,b\nx,y\\", &o, s, QV_INVALID, "escape character at the end"));
  qv_schema_unref(s);
}

QV_TEST(csv_null_strings) {
  qv_csv_read_options o;
  qv_csv_read_options_init(&o);
  qv_schema *s = csv_test_schema("a:utf8,b:int64,c:utf8");
  CHECK(s);
  /* Default "": unquoted empty is null; quoted empty is the empty string in
   * a string column and null in others. */
  CHECK(rows_are("a,b,c\n,\"\",\"\"\nNULL,1,x\n", &o, s, "null|null|\nNULL|1|x\n"));
  o.null_string = "NULL";
  CHECK(rows_are("a,b,c\n,,\"NULL\"\nNULL,NULL,x\n", &o, s, "|null|NULL\nnull|null|x\n"));
  o.null_string = "\\N";
  o.escape = '\\';
  CHECK(rows_are("a,b,c\n\\N,\\N,\\\\N\n", &o, s, "null|null|\\N\n"));
  o.null_string = NULL;
  o.escape = '\0';
  CHECK(rows_are("a,b,c\n,,\n", &o, s, "|null|\n"));
  qv_schema_unref(s);
}

QV_TEST(csv_inference) {
  const char *text =
      "i,f,b,d,ts,tsz,s,e,big,mixed,z\n"
      "1,1.5,true,2024-01-31,2024-01-31T10:00:00,2024-01-31T10:00:00Z,x,,9223372036854775808,1,0\n"
      "-2,2,FALSE,1999-12-31,2024-02-01 11:30:00.123,2024-02-01T12:00:00+02:00,y,,1,2024-01-01,1\n"
      ",-3e2,,,,,\"\",,,x,\n";
  qv_error err = {0};
  qv_schema *s = NULL;
  qv_bytes rows;
  qv_bytes_init(&rows, NULL);
  CHECK_OK(csv_test_read(text, -1, NULL, NULL, 0, -1, &rows, NULL, NULL, &s, &err), &err);
  const char *want[] = {"int64", "float64", "bool", "date32", "timestamp[ms]", "timestamp[s, UTC]", "utf8",
                        "utf8",  "float64", "utf8", "int64"};
  CHECK_EQ_INT(qv_schema_num_fields(s), 11);
  for (int i = 0; i < 11; i++) {
    char buf[128];
    const char *got = qv_type_to_string(qv_field_type(qv_schema_field(s, i)), buf, sizeof buf);
    if (strcmp(got, want[i]) != 0) fprintf(stderr, "  column %d: %s, want %s\n", i, got, want[i]);
  }
  char buf[128];
  CHECK_STR_EQ(qv_type_to_string(qv_field_type(qv_schema_field(s, 4)), buf, sizeof buf), want[4]);
  CHECK_STR_EQ(qv_type_to_string(qv_field_type(qv_schema_field(s, 5)), buf, sizeof buf), want[5]);
  CHECK_STR_EQ(qv_type_to_string(qv_field_type(qv_schema_field(s, 1)), buf, sizeof buf), want[1]);
  CHECK_STR_EQ(qv_type_to_string(qv_field_type(qv_schema_field(s, 8)), buf, sizeof buf), want[8]);
  CHECK_STR_EQ(qv_type_to_string(qv_field_type(qv_schema_field(s, 10)), buf, sizeof buf), want[10]);
  CHECK(qv_type_equals(qv_field_type(qv_schema_field(s, 2)), qv_type_primitive(QV_BOOL)));
  CHECK(qv_type_equals(qv_field_type(qv_schema_field(s, 3)), qv_type_primitive(QV_DATE32)));
  CHECK(qv_type_equals(qv_field_type(qv_schema_field(s, 7)), qv_type_primitive(QV_UTF8)));
  CHECK(qv_type_equals(qv_field_type(qv_schema_field(s, 9)), qv_type_primitive(QV_UTF8)));
  CHECK_STR_EQ(qv_field_name(qv_schema_field(s, 6)), "s");
  rows.data[rows.size - 1] = '\0';
  CHECK_STR_EQ((const char *)rows.data,
               "1|1.5|true|2024-01-31|2024-01-31T10:00:00.000|2024-01-31T10:00:00[UTC]|x|null|9.2233720368547758e+18|1|0\n"
               "-2|2|false|1999-12-31|2024-02-01T11:30:00.123|2024-02-01T10:00:00[UTC]|y|null|1|2024-01-01|1\n"
               "null|-300|null|null|null|null||null|null|x|null");
  qv_bytes_reset(&rows);
  qv_schema_unref(s);
}

QV_TEST(csv_inference_without_header_and_binary) {
  qv_csv_read_options o;
  qv_csv_read_options_init(&o);
  o.header = false;
  qv_error err = {0};
  qv_schema *s = NULL;
  CHECK_OK(csv_test_read("1,\xff\xfe\n2,ok\n", -1, &o, NULL, 0, -1, NULL, NULL, NULL, &s, &err), &err);
  CHECK_EQ_INT(qv_schema_num_fields(s), 2);
  CHECK_STR_EQ(qv_field_name(qv_schema_field(s, 0)), "f0");
  CHECK_STR_EQ(qv_field_name(qv_schema_field(s, 1)), "f1");
  CHECK(qv_type_equals(qv_field_type(qv_schema_field(s, 1)), qv_type_primitive(QV_BINARY)));
  qv_schema_unref(s);
}

QV_TEST(csv_inference_window) {
  /* Column a looks like int64 over the first 2 rows; row 3 breaks it. */
  qv_csv_read_options o;
  qv_csv_read_options_init(&o);
  o.infer_rows = 2;
  CHECK(fails_with("a\n1\n2\nx3\n", &o, NULL, QV_INVALID, "line 4 column 'a': cannot parse 'x3' as int64"));
  o.infer_rows = 3;
  CHECK(rows_are("a\n1\n2\nx3\n", &o, NULL, "1\n2\nx3\n"));
  o.infer_rows = 0; /* no inference: every column is utf8 */
  CHECK(rows_are("a,b\n1,2\n", &o, NULL, "1|2\n"));
}

QV_TEST(csv_explicit_schema_integers) {
  qv_schema *s = csv_test_schema("a:int8,b:int16,c:int32,d:int64,e:uint8,f:uint16,g:uint32,h:uint64");
  CHECK(s);
  CHECK(rows_are("a,b,c,d,e,f,g,h\n"
                 "-128,-32768,-2147483648,-9223372036854775808,0,0,0,0\n"
                 "127,32767,2147483647,9223372036854775807,255,65535,4294967295,18446744073709551615\n"
                 "+5,007,-0,,,,,-0\n",
                 NULL, s,
                 "-128|-32768|-2147483648|-9223372036854775808|0|0|0|0\n"
                 "127|32767|2147483647|9223372036854775807|255|65535|4294967295|18446744073709551615\n"
                 "5|7|0|null|null|null|null|0\n"));
  CHECK(fails_with("a,b,c,d,e,f,g,h\n128,0,0,0,0,0,0,0\n", NULL, s, QV_OUT_OF_RANGE,
                   "line 2 column 'a': '128' is out of range for int8"));
  CHECK(fails_with("a,b,c,d,e,f,g,h\n0,0,0,9223372036854775808,0,0,0,0\n", NULL, s, QV_OUT_OF_RANGE, "column 'd'"));
  CHECK(fails_with("a,b,c,d,e,f,g,h\n0,0,0,0,-1,0,0,0\n", NULL, s, QV_OUT_OF_RANGE, "column 'e'"));
  CHECK(fails_with("a,b,c,d,e,f,g,h\n0,0,0,0,0,0,0,18446744073709551616\n", NULL, s, QV_OUT_OF_RANGE, "column 'h'"));
  CHECK(fails_with("a,b,c,d,e,f,g,h\n0,0,1.0,0,0,0,0,0\n", NULL, s, QV_INVALID, "cannot parse '1.0' as int32"));
  CHECK(fails_with("a,b,c,d,e,f,g,h\n0,0, 1,0,0,0,0,0\n", NULL, s, QV_INVALID, "cannot parse ' 1' as int32"));
  CHECK(fails_with("a,b,c,d,e,f,g,h\n0,0,-,0,0,0,0,0\n", NULL, s, QV_INVALID, "cannot parse '-' as int32"));
  qv_schema_unref(s);
}

QV_TEST(csv_decimals_exact) {
  qv_schema *s = csv_test_schema("p:dec(15;2),q:dec(38;10),r:dec256(76;4),n:dec(5;-2)");
  CHECK(s);
  CHECK(rows_are("p,q,r,n\n"
                 "24710.35,1,1,12300\n"
                 "-0.5,-12345678901234567890.123456789,-123456789012345678901234567890123456789012345678901234567890."
                 "1234,-100\n"
                 "1.5e2,.25,0.00001e4,1.23e4\n"
                 "9999999999999.99,9999999999999999999999999999.9999999999,0,1e2\n"
                 "+7.,0.10000000000000000000,-0,\n",
                 NULL, s,
                 "24710.35|1.0000000000|1.0000|12300\n"
                 "-0.50|-12345678901234567890.1234567890|-123456789012345678901234567890123456789012345678901234567890."
                 "1234|-100\n"
                 "150.00|0.2500000000|0.1000|12300\n"
                 "9999999999999.99|9999999999999999999999999999.9999999999|0.0000|100\n"
                 "7.00|0.1000000000|0.0000|null\n"));
  CHECK(fails_with("p,q,r,n\n0.001,0,0,0\n", NULL, s, QV_INVALID,
                   "line 2 column 'p': cannot parse '0.001' as decimal128(15, 2)"));
  CHECK(fails_with("p,q,r,n\n10000000000000.00,0,0,0\n", NULL, s, QV_OUT_OF_RANGE, "out of range for decimal128(15, 2)"));
  CHECK(fails_with("p,q,r,n\n1,0,0,150\n", NULL, s, QV_INVALID, "column 'n'"));
  CHECK(fails_with("p,q,r,n\n1e,0,0,0\n", NULL, s, QV_INVALID, "cannot parse '1e'"));
  CHECK(fails_with("p,q,r,n\n1.2.3,0,0,0\n", NULL, s, QV_INVALID, "cannot parse '1.2.3'"));
  CHECK(fails_with("p,q,r,n\n.,0,0,0\n", NULL, s, QV_INVALID, "cannot parse '.'"));
  qv_schema_unref(s);
}

QV_TEST(csv_floats) {
  qv_schema *s = csv_test_schema("d:float64,f:float32");
  CHECK(s);
  CHECK(rows_are("d,f\n0.1,0.1\n-1e-310,1e40\nnan,-inf\nInfinity,+.5\n123456789012345678901234567890,1E-2\n", NULL, s,
                 "0.10000000000000001|0.100000001\n"
                 "-9.9999999999999694e-311|inf\n"
                 "nan|-inf\n"
                 "inf|0.5\n"
                 "1.2345678901234568e+29|0.00999999978\n"));
  CHECK(fails_with("d,f\n0x10,0\n", NULL, s, QV_INVALID, "cannot parse '0x10' as float64"));
  CHECK(fails_with("d,f\n1e5x,0\n", NULL, s, QV_INVALID, "cannot parse '1e5x'"));
  qv_schema_unref(s);
}

QV_TEST(csv_dates_times_timestamps) {
  qv_schema *s = csv_test_schema("d:date32,d64:date64,ts:ts_us,tz:ts_ns_utc,t32:time32_ms,t64:time64_us");
  CHECK(s);
  CHECK(rows_are("d,d64,ts,tz,t32,t64\n"
                 "1970-01-01,2000-02-29,2024-05-01T12:34:56.789012,2024-05-01T12:00:00.5-01:30,23:59:59.999,01:02\n"
                 "1969-12-31,1900-03-01,1900-01-01 00:00,2024-05-01t00:00+0530,00:00:00,12:00:00.000001\n"
                 "0001-01-01,9999-12-31,2024-05-01,2024-05-01T00:00:00z,,\n",
                 NULL, s,
                 "1970-01-01|2000-02-29|2024-05-01T12:34:56.789012|2024-05-01T13:30:00.500000000[UTC]|23:59:59.999|"
                 "01:02:00.000000\n"
                 "1969-12-31|1900-03-01|1900-01-01T00:00:00.000000|2024-04-30T18:30:00.000000000[UTC]|00:00:00.000|"
                 "12:00:00.000001\n"
                 "0001-01-01|9999-12-31|2024-05-01T00:00:00.000000|2024-05-01T00:00:00.000000000[UTC]|null|null\n"));
  CHECK(fails_with("d,d64,ts,tz,t32,t64\n2023-02-29,2000-01-01,2024-01-01,2024-01-01,00:00,00:00\n", NULL, s,
                   QV_INVALID, "line 2 column 'd': cannot parse '2023-02-29' as date32"));
  CHECK(fails_with("d,d64,ts,tz,t32,t64\n2023-01-01,2000-01-01,2024-01-01T24:00,2024-01-01,00:00,00:00\n", NULL, s,
                   QV_INVALID, "column 'ts'"));
  /* A fraction finer than the unit would be cut. */
  CHECK(fails_with("d,d64,ts,tz,t32,t64\n2023-01-01,2000-01-01,2024-01-01,2024-01-01,00:00:00.0001,00:00\n", NULL, s,
                   QV_INVALID, "column 't32'"));
  CHECK(fails_with("d,d64,ts,tz,t32,t64\n2023-1-01,2000-01-01,2024-01-01,2024-01-01,00:00,00:00\n", NULL, s,
                   QV_INVALID, "column 'd'"));
  qv_schema_unref(s);
  /* Out of the nanosecond range. */
  s = csv_test_schema("ts:ts_ns");
  CHECK(s);
  CHECK(fails_with("ts\n2300-01-01\n", NULL, s, QV_OUT_OF_RANGE, "'2300-01-01' is out of range for timestamp[ns]"));
  qv_schema_unref(s);
}

QV_TEST(csv_strings_binary_bool_null_types) {
  qv_schema *s = csv_test_schema("a:large_utf8,b:binary,c:fsb(2),d:bool,e:null,f:large_binary");
  CHECK(s);
  CHECK(rows_are("a,b,c,d,e,f\nh\xc3\xa9,\xff,ab,True,,x\n,\"\",,0,,\n", NULL, s,
                 "h\xc3\xa9|ff|6162|true|null|78\nnull||null|false|null|null\n"));
  CHECK(fails_with("a,b,c,d,e,f\nx,y,abc,1,,z\n", NULL, s, QV_INVALID, "column 'c'"));
  CHECK(fails_with("a,b,c,d,e,f\nx,y,ab,yes,,z\n", NULL, s, QV_INVALID, "cannot parse 'yes' as bool"));
  CHECK(fails_with("a,b,c,d,e,f\nx,y,ab,1,v,z\n", NULL, s, QV_INVALID, "column 'e': value in a column of type null"));
  CHECK(fails_with("a,b,c,d,e,f\n\xc3,y,ab,1,,z\n", NULL, s, QV_INVALID, "line 2 column 'a': invalid UTF-8"));
  qv_schema_unref(s);
  /* Two invalid values whose bytes join into a valid character (fuzzer
   * regression: the column's data was checked only as a whole). */
  s = csv_test_schema("a:utf8");
  CHECK(s);
  CHECK(fails_with("a\n\xef\xab\n\xbf\n", NULL, s, QV_INVALID, "line 2 column 'a': invalid UTF-8"));
  CHECK(rows_are("a\n\xef\xab\xbf\nx\n", NULL, s, "\xef\xab\xbf\nx\n"));
  qv_schema_unref(s);
}

QV_TEST(csv_error_messages) {
  qv_csv_read_options o;
  qv_csv_read_options_init(&o);
  o.file_name = "lineitem.tbl";
  qv_schema *s = csv_test_schema("a:int64,l_quantity:dec(15;2)");
  CHECK(s);
  CHECK(fails_with("a,l_quantity\n1,2\n\n3,x1\n", &o, s, QV_INVALID,
                   "csv: lineitem.tbl line 4 column 'l_quantity': cannot parse 'x1' as decimal128(15, 2)"));
  CHECK(fails_with("a,l_quantity\n1,2\n3,4,5\n", &o, s, QV_INVALID, "csv: lineitem.tbl line 3: expected 2 fields, found 3"));
  CHECK(fails_with("a,l_quantity\n1\n", &o, s, QV_INVALID, "line 2: expected 2 fields, found 1"));
  CHECK(fails_with("a,l_quantity\n1,\"2\n", &o, s, QV_INVALID, "line 2: unterminated quoted field"));
  CHECK(fails_with("a,l_quantity\n1,\"2\"x\n", &o, s, QV_INVALID, "line 2: unexpected character 'x' after a closing quote"));
  /* A quoted value spanning lines: the error names the line it starts on. */
  CHECK(fails_with("a,l_quantity\n1,\"2\n\n\",\n", &o, s, QV_INVALID, "line 2: expected 2 fields, found 3"));
  o.newlines_in_values = false;
  CHECK(fails_with("a,l_quantity\n1,\"2\n3\"\n", &o, s, QV_INVALID, "line 2: newline inside a quoted value"));
  qv_schema_unref(s);
  s = csv_test_schema("a:int64!");
  CHECK(s);
  CHECK(fails_with("a\n1\n\"\"\n", NULL, s, QV_INVALID, "line 3 column 'a': null in a non-nullable column"));
  qv_schema_unref(s);
  /* Without a file name. */
  CHECK(fails_with("a\n\"x\"y\n", NULL, NULL, QV_INVALID, "csv: line 2: unexpected character"));
}

QV_TEST(csv_bad_options) {
  qv_csv_read_options o;
  qv_csv_read_options_init(&o);
  o.delimiter = '\n';
  CHECK(fails_with("a\n", &o, NULL, QV_INVALID, "delimiter"));
  qv_csv_read_options_init(&o);
  o.quote = ',';
  CHECK(fails_with("a\n", &o, NULL, QV_INVALID, "quote"));
  qv_csv_read_options_init(&o);
  o.escape = '"';
  CHECK(fails_with("a\n", &o, NULL, QV_INVALID, "escape"));
  qv_csv_read_options_init(&o);
  o.batch_size = 0;
  CHECK(fails_with("a\n", &o, NULL, QV_INVALID, "batch_size"));
  qv_field *f = NULL;
  qv_data_type *list = NULL;
  qv_schema *s = NULL;
  qv_error err = {0};
  CHECK_OK(qv_field_create("item", qv_type_primitive(QV_INT32), true, NULL, &f, &err), &err);
  CHECK_OK(qv_type_list(QV_LIST, f, &list, &err), &err);
  qv_field_unref(f);
  CHECK_OK(qv_field_create("l", list, true, NULL, &f, &err), &err);
  qv_type_unref(list);
  CHECK_OK(qv_schema_create(&f, 1, NULL, &s, &err), &err);
  qv_field_unref(f);
  CHECK(fails_with("l\n1\n", NULL, s, QV_NOT_IMPLEMENTED, "column 'l': type list<item: int32> cannot be read"));
  qv_schema_unref(s);
}

QV_TEST(csv_header_variants) {
  qv_csv_read_options o;
  qv_csv_read_options_init(&o);
  /* Byte order mark, empty lines before the header and between rows. */
  CHECK(rows_are("\xEF\xBB\xBF\n\nx,y\n\n1,2\n\r\n3,4\n\n", &o, NULL, "1|2\n3|4\n"));
  qv_error err = {0};
  qv_schema *s = NULL;
  CHECK_OK(csv_test_read("\xEF\xBB\xBF\"col \"\"1\"\"\",b\n", -1, &o, NULL, 0, -1, NULL, NULL, NULL, &s, &err), &err);
  CHECK_EQ_INT(qv_schema_num_fields(s), 2);
  CHECK_STR_EQ(qv_field_name(qv_schema_field(s, 0)), "col \"1\"");
  qv_schema_unref(s);
  /* Header only, and empty input. */
  int64_t n = -1;
  CHECK_OK(csv_test_read("a,b\n", -1, &o, NULL, 0, -1, NULL, &n, NULL, &s, &err), &err);
  CHECK_EQ_INT(n, 0);
  CHECK_EQ_INT(qv_schema_num_fields(s), 2);
  qv_schema_unref(s);
  CHECK_OK(csv_test_read("", 0, &o, NULL, 0, -1, NULL, &n, NULL, &s, &err), &err);
  CHECK_EQ_INT(n, 0);
  CHECK_EQ_INT(qv_schema_num_fields(s), 0);
  qv_schema_unref(s);
  /* Empty lines kept: a one-column file reads them as nulls. */
  o.ignore_empty_lines = false;
  CHECK(rows_are("a\n1\n\n2\n", &o, NULL, "1\nnull\n2\n"));
  /* Trailing delimiters, header included. */
  qv_csv_read_options_init(&o);
  o.trailing_delimiter = true;
  CHECK_OK(csv_test_read("a,b,\n1,2,\n3,4\n5,,\n", -1, &o, NULL, 0, -1, NULL, &n, NULL, &s, &err), &err);
  CHECK_EQ_INT(qv_schema_num_fields(s), 2);
  CHECK_EQ_INT(n, 3);
  qv_schema_unref(s);
  CHECK(fails_with("a,b,\n1,2,x\n", &o, NULL, QV_INVALID, "expected 2 fields, found 3"));
}

QV_TEST(csv_batches) {
  qv_csv_read_options o;
  qv_csv_read_options_init(&o);
  o.batch_size = 3;
  qv_bytes text;
  qv_bytes_init(&text, NULL);
  qv_error err = {0};
  CHECK_OK(qv_bytes_append(&text, "n,s\n", 4, &err), &err);
  for (int i = 0; i < 10; i++) {
    char line[32];
    int len = snprintf(line, sizeof line, "%d,v%d\n", i, i);
    CHECK_OK(qv_bytes_append(&text, line, len, &err), &err);
  }
  int64_t rows = 0, batches = 0;
  CHECK_OK(csv_test_read((const char *)text.data, text.size, &o, NULL, 0, -1, NULL, &rows, &batches, NULL, &err),
           &err);
  CHECK_EQ_INT(rows, 10);
  CHECK_EQ_INT(batches, 4);
  qv_bytes_reset(&text);
}

QV_TEST(csv_wide_file_bounds_batch_rows) {
  /* 3000 columns: batches hold at most 2^20 / 3000 = 349 rows. */
  qv_bytes text;
  qv_bytes_init(&text, NULL);
  qv_error err = {0};
  for (int r = 0; r < 401; r++) {
    for (int c = 0; c < 3000; c++) CHECK_OK(qv_bytes_append(&text, c ? ",1" : "1", c ? 2 : 1, &err), &err);
    CHECK_OK(qv_bytes_append(&text, "\n", 1, &err), &err);
  }
  int64_t rows = 0, batches = 0;
  qv_schema *s = NULL;
  CHECK_OK(csv_test_read((const char *)text.data, text.size, NULL, NULL, 0, -1, NULL, &rows, &batches, &s, &err),
           &err);
  CHECK_EQ_INT(qv_schema_num_fields(s), 3000);
  CHECK_EQ_INT(rows, 400);
  CHECK_EQ_INT(batches, 2);
  qv_schema_unref(s);
  qv_bytes_reset(&text);
}

static const char *tbl_lineitem_schema =
    "l_orderkey:int64,l_partkey:int64,l_suppkey:int64,l_linenumber:int32,l_quantity:dec(15;2),"
    "l_extendedprice:dec(15;2),l_discount:dec(15;2),l_tax:dec(15;2),l_returnflag:utf8,l_linestatus:utf8,"
    "l_shipdate:date32,l_commitdate:date32,l_receiptdate:date32,l_shipinstruct:utf8,l_shipmode:utf8,l_comment:utf8";

QV_TEST(csv_tpch_tbl) {
  const char *tbl =
      "1|1552|93|1|17|24710.35|0.04|0.02|N|O|1996-03-13|1996-02-12|1996-03-22|DELIVER IN PERSON|TRUCK|egular courts "
      "above the|\n"
      "1|674|75|2|36|56688.12|0.09|0.06|N|O|1996-04-12|1996-02-28|1996-04-20|TAKE BACK RETURN|MAIL|ly final "
      "dependencies: slyly bold |\n"
      "3|1284|85|6|49.5|83301.32|0.00|0.00|R|F|1993-12-14|1994-01-10|1994-01-01|NONE|FOB| \"quoted\" |\n";
  qv_schema *s = csv_test_schema(tbl_lineitem_schema);
  CHECK(s);
  qv_csv_read_options o;
  qv_csv_read_options_init_tbl(&o);
  CHECK(qv_csv_splittable(&o));
  qv_buffer *data = NULL;
  qv_error err = {0};
  CHECK_OK(qv_buffer_copy(qv_default_allocator(), tbl, (int64_t)strlen(tbl), &data, &err), &err);
  qv_csv_reader *r = NULL;
  CHECK_OK(qv_csv_reader_create(data, 0, -1, &o, s, &r, &err), &err);
  qv_record_batch *b = NULL;
  CHECK_OK(qv_csv_reader_next(r, &b, &err), &err);
  CHECK(b);
  CHECK_EQ_INT(qv_record_batch_num_rows(b), 3);
  /* Decimals are exact unscaled integers. */
  const qv_array *price = qv_record_batch_column(b, 5);
  const int64_t *words = (const int64_t *)(const void *)qv_buffer_data(qv_array_buffer(price, 1));
  CHECK_EQ_INT(words[0], 2471035);
  CHECK_EQ_INT(words[1], 0);
  CHECK_EQ_INT(words[2], 5668812);
  const qv_array *qty = qv_record_batch_column(b, 4);
  words = (const int64_t *)(const void *)qv_buffer_data(qv_array_buffer(qty, 1));
  CHECK_EQ_INT(words[4], 4950);
  const qv_array *ship = qv_record_batch_column(b, 10);
  CHECK_EQ_INT(((const int32_t *)(const void *)qv_buffer_data(qv_array_buffer(ship, 1)))[0], 9568);
  qv_bytes cell;
  qv_bytes_init(&cell, NULL);
  CHECK_OK(qv_format_value(qv_record_batch_column(b, 15), 2, &cell, &err), &err);
  CHECK(cell.size == 10 && memcmp(cell.data, " \"quoted\" ", 10) == 0);
  qv_bytes_reset(&cell);
  CHECK_EQ_INT(qv_array_null_count(qv_record_batch_column(b, 15)), 0);
  qv_record_batch_unref(b);
  CHECK_OK(qv_csv_reader_next(r, &b, &err), &err);
  CHECK(b == NULL);
  qv_csv_reader_destroy(r);
  qv_buffer_unref(data);
  qv_schema_unref(s);
}

QV_TEST(csv_open_file) {
  char path[] = "/tmp/qv_csv_test_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  FILE *f = fdopen(fd, "w");
  CHECK(f);
  fputs("a,b\n1,x\n2,y\n", f);
  fclose(f);
  qv_csv_reader *r = NULL;
  qv_error err = {0};
  CHECK_OK(qv_csv_reader_open(path, NULL, NULL, &r, &err), &err);
  qv_record_batch *b = NULL;
  CHECK_OK(qv_csv_reader_next(r, &b, &err), &err);
  CHECK(b && qv_record_batch_num_rows(b) == 2);
  qv_record_batch_unref(b);
  qv_csv_reader_destroy(r);
  /* Errors name the path. */
  f = fopen(path, "w");
  CHECK(f);
  fputs("a\n1\nz\n", f);
  fclose(f);
  qv_schema *s = csv_test_schema("a:int32");
  CHECK(s);
  CHECK_OK(qv_csv_reader_open(path, NULL, s, &r, &err), &err);
  qv_schema_unref(s);
  CHECK_STATUS(qv_csv_reader_next(r, &b, &err), QV_INVALID);
  CHECK(strstr(err.message, path) && strstr(err.message, "line 3 column 'a'"));
  /* The error is sticky. */
  qv_error again = {0};
  CHECK_STATUS(qv_csv_reader_next(r, &b, &again), QV_INVALID);
  CHECK_STR_EQ(again.message, err.message);
  qv_csv_reader_destroy(r);
  remove(path);
  CHECK_STATUS(qv_csv_reader_open(path, NULL, NULL, &r, &err), QV_NOT_FOUND);
  CHECK(r == NULL);
}

QV_TEST(csv_allocation_failures) {
  /* Every allocation of a read that touches all converters fails in turn: the
   * read reports QV_NOMEM (or succeeds once the failure point is past the
   * end) and frees everything. */
  const char *text =
      "i,f,b,d,ts,s,q,r\n1,1.5,true,2024-01-31,2024-01-31T10:00:00.5,x,\"a\"\"b\",1.25\n,2,false,,,\"\",,\n";
  qv_schema *s = csv_test_schema("i:int64,f:float64,b:bool,d:date32,ts:ts_ms,s:utf8,q:utf8,r:dec(10;2)");
  CHECK(s);
  for (int pass = 0; pass < 2; pass++) {
    bool completed = false;
    for (int64_t n = 1; n < 200 && !completed; n++) {
      qv_allocator *a = NULL;
      qv_error err = {0};
      CHECK_OK(qv_allocator_create(0, &a, &err), &err);
      qv_csv_read_options o;
      qv_csv_read_options_init(&o);
      o.alloc = a;
      qv_allocator_fail_after(a, n);
      int64_t rows = 0;
      qv_status st = csv_test_read(text, -1, &o, pass ? s : NULL, 0, -1, NULL, &rows, NULL, NULL, &err);
      qv_allocator_fail_after(a, 0);
      if (st == QV_OK) completed = true;
      else if (st != QV_NOMEM) fprintf(stderr, "  n=%lld: %s %s\n", (long long)n, qv_status_name(st), err.message);
      CHECK(st == QV_OK || st == QV_NOMEM);
      CHECK_EQ_INT(qv_allocator_bytes_allocated(a), 0);
      qv_allocator_destroy(a);
    }
    CHECK(completed);
  }
  qv_schema_unref(s);
}
