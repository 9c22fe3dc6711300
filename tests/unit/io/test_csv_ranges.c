/* CSV byte ranges: reading a file as adjacent ranges [b0, b1), [b1, b2), ...
 * must give exactly the records of reading it whole, in order, for every
 * split point of small files and many random splits of random files (quoted
 * fields with delimiters, CRLF, empty lines, trailing delimiters, headers). */
#include <stdlib.h>

#include "quiver/csv.h"
#include "test.h"
#include "test_csv_util.h"

/* Reads text as the ranges between consecutive cuts (cuts[0] = 0 ...
 * cuts[n_cuts-1] = len) and returns the concatenated rendered rows, malloc'd. */
static char *read_split(const char *text, int64_t len, const qv_csv_read_options *o, qv_schema *schema,
                        const int64_t *cuts, int n_cuts, qv_error *err) {
  qv_bytes rows;
  qv_bytes_init(&rows, NULL);
  qv_status st = QV_OK;
  for (int i = 0; i + 1 < n_cuts && st == QV_OK; i++)
    st = csv_test_read(text, len, o, schema, cuts[i], cuts[i + 1], &rows, NULL, NULL, NULL, err);
  char *out = NULL;
  if (st == QV_OK && (out = malloc((size_t)rows.size + 1))) {
    if (rows.size) memcpy(out, rows.data, (size_t)rows.size);
    out[rows.size] = '\0';
  }
  qv_bytes_reset(&rows);
  return out;
}

static char *read_whole(const char *text, int64_t len, const qv_csv_read_options *o, qv_schema *schema,
                        qv_error *err) {
  int64_t cuts[2] = {0, len};
  return read_split(text, len, o, schema, cuts, 2, err);
}

/* Two ranges at every split point, and three at every pair of points. */
static bool every_split_matches(const char *text, const qv_csv_read_options *o, qv_schema *schema, bool pairs) {
  int64_t len = (int64_t)strlen(text);
  qv_error err = {0};
  char *whole = read_whole(text, len, o, schema, &err);
  if (!whole) {
    fprintf(stderr, "  whole read failed: %s\n", err.message);
    return false;
  }
  bool ok = true;
  for (int64_t k = 0; k <= len && ok; k++) {
    for (int64_t m = pairs ? k : len; m <= len && ok; m++) {
      int64_t cuts[4] = {0, k, m, len};
      char *got = read_split(text, len, o, schema, cuts, 4, &err);
      ok = got && strcmp(got, whole) == 0;
      if (!ok)
        fprintf(stderr, "  split at %lld, %lld: got\n%s  want\n%s  (%s)\n", (long long)k, (long long)m,
                got ? got : "(failed)", whole, err.message);
      free(got);
    }
  }
  free(whole);
  return ok;
}

QV_TEST(csv_ranges_every_split_point) {
  qv_csv_read_options o;
  qv_csv_read_options_init(&o);
  o.newlines_in_values = false;
  CHECK(every_split_matches("id,name,v\n1,\"a,b\",2.5\r\n\n2,\"say \"\"x\"\"\",\n3,c,4\n\r\n4,,5", &o, NULL, true));
  /* A byte order mark: the first record starts after it (fuzzer regression:
   * a range beginning inside the mark lost that record). */
  CHECK(every_split_matches("\xEF\xBB\xBFk,v\n1,2\n3,4\n", &o, NULL, true));
  o.header = false;
  CHECK(every_split_matches("\xEF\xBB\xBF" "1,2\n3,4\n", &o, NULL, true));
  /* No header, empty lines kept, trailing delimiters. */
  o.header = false;
  o.ignore_empty_lines = false;
  o.trailing_delimiter = true;
  qv_schema *s = csv_test_schema("a:utf8,b:int64");
  CHECK(s);
  CHECK(every_split_matches("x,1,\ny,2,\n,\n\"z,\",3,\n", &o, s, true));
  qv_schema_unref(s);
}

QV_TEST(csv_ranges_tbl) {
  const char *tbl =
      "1|1552|93|1|17|24710.35|0.04|0.02|N|O|1996-03-13|1996-02-12|1996-03-22|DELIVER IN PERSON|TRUCK|egular courts|\n"
      "1|674|75|2|36|56688.12|0.09|0.06|N|O|1996-04-12|1996-02-28|1996-04-20|TAKE BACK RETURN|MAIL|ly final |\n"
      "2|1062|33|1|38|36596.28|0.00|0.05|N|O|1997-01-28|1997-01-14|1997-02-02|TAKE BACK RETURN|RAIL|ven requests|\n"
      "3|43|19|1|45|42436.80|0.06|0.00|R|F|1994-02-02|1994-01-04|1994-02-23|NONE|AIR|ongside of the furiously|\n";
  qv_schema *s = csv_test_schema(
      "l_orderkey:int64,l_partkey:int64,l_suppkey:int64,l_linenumber:int32,l_quantity:dec(15;2),"
      "l_extendedprice:dec(15;2),l_discount:dec(15;2),l_tax:dec(15;2),l_returnflag:utf8,l_linestatus:utf8,"
      "l_shipdate:date32,l_commitdate:date32,l_receiptdate:date32,l_shipinstruct:utf8,l_shipmode:utf8,"
      "l_comment:utf8");
  CHECK(s);
  qv_csv_read_options o;
  qv_csv_read_options_init_tbl(&o);
  CHECK(every_split_matches(tbl, &o, s, false));
  qv_schema_unref(s);
}

/* A random CSV document of n_rows rows over 3 columns (int, text, float). */
static void random_csv(qv_bytes *out, unsigned *seed, int n_rows, bool header, bool trailing) {
  qv_error err = {0};
  if (header && qv_bytes_append(out, trailing ? "k,t,f,\n" : "k,t,f\n", trailing ? 7 : 6, &err) != QV_OK) return;
  static const char *texts[] = {"plain", "\"with,comma\"", "\"with \"\"quote\"\"\"", "", "\"\"", "x y", "\"\"\"\""};
  for (int r = 0; r < n_rows; r++) {
    char line[128];
    int len = snprintf(line, sizeof line, "%d,%s,%d.%d%s%s", (int)(rand_r(seed) % 1000) - 500,
                       texts[rand_r(seed) % 7], (int)(rand_r(seed) % 100), (int)(rand_r(seed) % 10),
                       trailing ? "," : "", rand_r(seed) % 4 == 0 ? "\r\n" : "\n");
    if (qv_bytes_append(out, line, len, &err) != QV_OK) return;
    if (rand_r(seed) % 10 == 0 && qv_bytes_append(out, "\n", 1, &err) != QV_OK) return;
  }
}

QV_TEST(csv_ranges_random_files) {
  unsigned seed = 12345;
  for (int iter = 0; iter < 60; iter++) {
    bool header = iter % 2 == 0, trailing = iter % 3 == 0;
    qv_bytes text;
    qv_bytes_init(&text, NULL);
    random_csv(&text, &seed, 1 + (int)(rand_r(&seed) % 300), header, trailing);
    qv_error err = {0};
    CHECK_OK(qv_bytes_append_zeros(&text, 1, &err), &err);
    text.size--; /* NUL-terminated for printing, not part of the input */
    qv_csv_read_options o;
    qv_csv_read_options_init(&o);
    o.newlines_in_values = false;
    o.header = header;
    o.trailing_delimiter = trailing;
    o.batch_size = 1 + (int64_t)(rand_r(&seed) % 50);
    /* Ranges read with the schema inferred once, as a parallel scan does. */
    qv_buffer *buf = NULL;
    qv_schema *schema = NULL;
    CHECK_OK(qv_buffer_copy(qv_default_allocator(), text.data, text.size, &buf, &err), &err);
    CHECK_OK(qv_csv_infer_schema(buf, &o, &schema, &err), &err);
    qv_buffer_unref(buf);
    CHECK_EQ_INT(qv_schema_num_fields(schema), 3);
    CHECK(qv_type_equals(qv_field_type(qv_schema_field(schema, 0)), qv_type_primitive(QV_INT64)));
    char *whole = read_whole((const char *)text.data, text.size, &o, schema, &err);
    CHECK(whole);
    for (int split = 0; split < 20; split++) {
      int64_t cuts[10];
      int n = 2 + (int)(rand_r(&seed) % 8);
      cuts[0] = 0;
      cuts[n - 1] = text.size;
      for (int i = 1; i < n - 1; i++) cuts[i] = (int64_t)(rand_r(&seed) % (unsigned)(text.size + 1));
      for (int i = 1; i < n - 1; i++) /* sort the inner cuts */
        for (int j = i + 1; j < n - 1; j++)
          if (cuts[j] < cuts[i]) {
            int64_t t = cuts[i];
            cuts[i] = cuts[j];
            cuts[j] = t;
          }
      char *got = read_split((const char *)text.data, text.size, &o, schema, cuts, n, &err);
      bool same = got && strcmp(got, whole) == 0;
      if (!same) fprintf(stderr, "  iteration %d split %d differs (%s)\n", iter, split, err.message);
      free(got);
      CHECK(same);
    }
    /* A range reader without a schema infers the same one from the file's start. */
    qv_schema *again = NULL;
    int64_t mid = text.size / 2;
    CHECK_OK(csv_test_read((const char *)text.data, text.size, &o, NULL, mid, -1, NULL, NULL, NULL, &again, &err),
             &err);
    CHECK(qv_schema_equals(schema, again));
    qv_schema_unref(again);
    free(whole);
    qv_schema_unref(schema);
    qv_bytes_reset(&text);
  }
}

QV_TEST(csv_ranges_need_newline_free_values) {
  qv_error err = {0};
  qv_csv_read_options o;
  qv_csv_read_options_init(&o);
  CHECK(!qv_csv_splittable(&o));
  CHECK_STATUS(csv_test_read("a\n1\n2\n", -1, &o, NULL, 2, -1, NULL, NULL, NULL, NULL, &err), QV_INVALID);
  CHECK(strstr(err.message, "newlines_in_values") != NULL);
  /* A range from 0 is fine: record starts are known from the beginning. The
   * quoted newline belongs to the record that starts before byte 9. */
  int64_t rows = 0;
  CHECK_OK(csv_test_read("a\n\"x\ny\"\n2\n", -1, &o, NULL, 0, 3, NULL, &rows, NULL, NULL, &err), &err);
  CHECK_EQ_INT(rows, 1);
  CHECK_STATUS(csv_test_read("a\n1\n", -1, &o, NULL, 9, -1, NULL, NULL, NULL, NULL, &err), QV_INVALID);
  /* end past the data is clamped; begin past it is an error. */
  o.newlines_in_values = false;
  CHECK_OK(csv_test_read("a\n1\n", -1, &o, NULL, 0, 100, NULL, &rows, NULL, NULL, &err), &err);
  CHECK_EQ_INT(rows, 1);
  CHECK_STATUS(csv_test_read("a\n1\n", -1, &o, NULL, 5, -1, NULL, NULL, NULL, NULL, &err), QV_INVALID);
  /* A range inside the header line reads the first record; one inside the
   * last record reads nothing. */
  CHECK_OK(csv_test_read("abc\n1\n22\n", -1, &o, NULL, 1, 5, NULL, &rows, NULL, NULL, &err), &err);
  CHECK_EQ_INT(rows, 1);
  CHECK_OK(csv_test_read("abc\n1\n22\n", -1, &o, NULL, 7, 9, NULL, &rows, NULL, NULL, &err), &err);
  CHECK_EQ_INT(rows, 0);
}
