/* Tests of the explaining comparison (arrow/compare.c): equal inputs pass
 * whatever their physical layout (slices, null slots' bytes, dictionary
 * encodings); each kind of difference is reported with its batch, column,
 * row, nested path and values. Inputs are written as integration JSON. */
#include <math.h>

#include "arrow/compare.h"
#include "arrow/integration_json.h"
#include "arrow/internal.h"
#include "test.h"

static qv_status load(const char *json, qv_integration_file *f, qv_error *err) {
  qv_error_init(err);
  return qv__integration_json_parse(NULL, json, (int64_t)strlen(json), f, err);
}

/* Compares two documents as files; returns whether the message contains want
 * (want NULL: they must be equal). */
static bool compare_docs(const char *expected, const char *actual, unsigned flags, const char *want) {
  qv_integration_file e, a;
  qv_error err;
  qv__integration_file_init(&e);
  qv__integration_file_init(&a);
  bool ok = false;
  if (load(expected, &e, &err) != QV_OK || load(actual, &a, &err) != QV_OK) {
    fprintf(stderr, "  load: %s\n", err.message);
  } else {
    qv_error_init(&err);
    qv_status st = qv__compare_files(e.schema, e.batches, e.n_batches, a.schema, a.batches,
                                     a.n_batches, flags, &err);
    ok = want ? st == QV_INVALID && strstr(err.message, want) != NULL : st == QV_OK;
    if (!ok) fprintf(stderr, "  got %s: '%s'\n  want: '%s'\n", qv_status_name(st), err.message,
                     want ? want : "equal");
  }
  qv__integration_file_reset(&e);
  qv__integration_file_reset(&a);
  return ok;
}

#define SAME(e, a) CHECK(compare_docs(e, a, 0, NULL))
#define DIFF(e, a, want) CHECK(compare_docs(e, a, 0, want))

#define DOC(fields, columns, count) \
  "{\"schema\": {\"fields\": [" fields "]}, \"batches\": [{\"count\": " #count ", \"columns\": [" columns "]}]}"
#define I32(name, nullable) \
  "{\"name\": \"" name "\", \"type\": {\"name\": \"int\", \"isSigned\": true, \"bitWidth\": 32}, " \
  "\"nullable\": " #nullable ", \"children\": []}"
#define I32_COL(name, count, validity, data) \
  "{\"name\": \"" name "\", \"count\": " #count ", \"VALIDITY\": " validity ", \"DATA\": " data "}"

QV_TEST(compare_equal_ignores_null_slot_bytes) {
  SAME(DOC(I32("a", true), I32_COL("a", 3, "[1, 0, 1]", "[1, 2, 3]"), 3),
       DOC(I32("a", true), I32_COL("a", 3, "[1, 0, 1]", "[1, 99, 3]"), 3));
  DIFF(DOC(I32("a", true), I32_COL("a", 3, "[1, 0, 1]", "[1, 2, 3]"), 3),
       DOC(I32("a", true), I32_COL("a", 3, "[1, 0, 1]", "[1, 2, 4]"), 3),
       "batch 0: column 0 'a' row 2: at a[2]: expected 3, actual 4");
  DIFF(DOC(I32("a", true), I32_COL("a", 3, "[1, 0, 1]", "[1, 2, 3]"), 3),
       DOC(I32("a", true), I32_COL("a", 3, "[1, 1, 1]", "[1, 2, 3]"), 3),
       "row 1: at a[1]: expected null, actual 2");
  DIFF(DOC(I32("a", true), I32_COL("a", 2, "[1, 1]", "[1, 2]"), 2),
       DOC(I32("a", true), I32_COL("a", 3, "[1, 1, 1]", "[1, 2, 3]"), 3),
       "batch 0: 3 rows, expected 2");
}

QV_TEST(compare_schema_differences) {
  const char *base = DOC(I32("a", true), I32_COL("a", 0, "[]", "[]"), 0);
  DIFF(base, DOC(I32("a", false), I32_COL("a", 0, "[]", "[]"), 0),
       "schema: field 'a': nullable: expected true, actual false");
  DIFF(base, DOC(I32("b", true), I32_COL("b", 0, "[]", "[]"), 0),
       "schema: field 0 name: expected 'a', actual 'b'");
  DIFF(base,
       DOC("{\"name\": \"a\", \"type\": {\"name\": \"int\", \"isSigned\": true, \"bitWidth\": 64},"
           " \"nullable\": true, \"children\": []}",
           I32_COL("a", 0, "[]", "[]"), 0),
       "schema: field 'a': type: expected int32, actual int64");
  DIFF(base, DOC(I32("a", true) ", " I32("b", true), I32_COL("a", 0, "[]", "[]") ", " I32_COL("b", 0, "[]", "[]"), 0),
       "schema: 2 fields, expected 1");
  DIFF(base,
       "{\"schema\": {\"fields\": [" I32("a", true) "], \"metadata\": [{\"key\": \"k\", \"value\": \"v\"}]},"
       " \"batches\": []}",
       "schema metadata key 'k': expected missing, actual 'v'");
  DIFF(DOC("{\"name\": \"a\", \"type\": {\"name\": \"int\", \"isSigned\": true, \"bitWidth\": 32},"
           " \"nullable\": true, \"children\": [], \"metadata\": [{\"key\": \"k\", \"value\": \"1\"}]}",
           I32_COL("a", 0, "[]", "[]"), 0),
       DOC("{\"name\": \"a\", \"type\": {\"name\": \"int\", \"isSigned\": true, \"bitWidth\": 32},"
           " \"nullable\": true, \"children\": [], \"metadata\": [{\"key\": \"k\", \"value\": \"2\"}]}",
           I32_COL("a", 0, "[]", "[]"), 0),
       "schema: field 'a': field metadata key 'k': expected '1', actual '2'");
  /* Metadata order does not matter. */
  SAME("{\"schema\": {\"fields\": [], \"metadata\": [{\"key\": \"x\", \"value\": \"1\"},"
       " {\"key\": \"y\", \"value\": \"2\"}]}, \"batches\": []}",
       "{\"schema\": {\"fields\": [], \"metadata\": [{\"key\": \"y\", \"value\": \"2\"},"
       " {\"key\": \"x\", \"value\": \"1\"}]}, \"batches\": []}");
  /* Nested: the path names the child field. */
  DIFF(DOC("{\"name\": \"s\", \"type\": {\"name\": \"struct\"}, \"nullable\": true, \"children\": ["
           I32("x", true) "]}", "{\"name\": \"s\", \"count\": 0, \"VALIDITY\": [], \"children\": ["
           I32_COL("x", 0, "[]", "[]") "]}", 0),
       DOC("{\"name\": \"s\", \"type\": {\"name\": \"struct\"}, \"nullable\": true, \"children\": ["
           I32("x", false) "]}", "{\"name\": \"s\", \"count\": 0, \"VALIDITY\": [], \"children\": ["
           I32_COL("x", 0, "[]", "[]") "]}", 0),
       "schema: field 's.x': nullable: expected true, actual false");
  /* The names inside a map are free; their nullability is not. */
#define MAP_SCHEMA(entries, key, value, value_nullable)                                            \
  "{\"schema\": {\"fields\": [{\"name\": \"m\", \"type\": {\"name\": \"map\", \"keysSorted\": false}, " \
  "\"nullable\": true, \"children\": [{\"name\": \"" entries "\", \"type\": {\"name\": \"struct\"}, "  \
  "\"nullable\": false, \"children\": [{\"name\": \"" key "\", \"type\": {\"name\": \"utf8\"}, "       \
  "\"nullable\": false, \"children\": []}, {\"name\": \"" value "\", \"type\": {\"name\": \"int\", "   \
  "\"isSigned\": true, \"bitWidth\": 32}, \"nullable\": " value_nullable ", \"children\": []}]}]}]}, " \
  "\"batches\": []}"
  SAME(MAP_SCHEMA("entries", "key", "value", "true"), MAP_SCHEMA("some_entries", "k", "v", "true"));
  DIFF(MAP_SCHEMA("entries", "key", "value", "true"), MAP_SCHEMA("entries", "key", "value", "false"),
       "schema: field 'm.entries.value': nullable: expected true, actual false");
  DIFF("{\"schema\": {\"fields\": []}, \"batches\": [{\"count\": 0, \"columns\": []}]}",
       "{\"schema\": {\"fields\": []}, \"batches\": []}", "0 record batches, expected 1");
}

#define DICT_DOC(id, index_bits, ordered, dict_values, dict_count, indices, count) \
  "{\"schema\": {\"fields\": [{\"name\": \"d\", \"type\": {\"name\": \"utf8\"}, \"nullable\": true, " \
  "\"children\": [], \"dictionary\": {\"id\": " #id ", \"indexType\": {\"name\": \"int\", "          \
  "\"isSigned\": true, \"bitWidth\": " #index_bits "}, \"isOrdered\": " #ordered "}}]}, "            \
  "\"dictionaries\": [{\"id\": " #id ", \"data\": {\"count\": " #dict_count ", \"columns\": ["     \
  dict_values "]}}], \"batches\": [{\"count\": " #count ", \"columns\": [{\"name\": \"d\", "         \
  "\"count\": " #count ", \"VALIDITY\": [1, 1, 0], \"DATA\": " indices "}]}]}"

QV_TEST(compare_dictionaries_by_decoded_values) {
  const char *xyz = "{\"name\": \"v\", \"count\": 3, \"VALIDITY\": [1, 1, 1], \"OFFSET\": [0, 1, 2, 3],"
                    " \"DATA\": [\"x\", \"y\", \"z\"]}";
  const char *zyx = "{\"name\": \"v\", \"count\": 3, \"VALIDITY\": [1, 1, 1], \"OFFSET\": [0, 1, 2, 3],"
                    " \"DATA\": [\"z\", \"y\", \"x\"]}";
  char e[2048], a[2048];
  /* Different ids, dictionaries and indices; same decoded values y, x, null. */
  snprintf(e, sizeof e, DICT_DOC(0, 8, false, "%s", 3, "[1, 0, 0]", 3), xyz);
  snprintf(a, sizeof a, DICT_DOC(5, 8, false, "%s", 3, "[1, 2, 1]", 3), zyx);
  SAME(e, a);
  snprintf(a, sizeof a, DICT_DOC(5, 8, false, "%s", 3, "[1, 1, 1]", 3), zyx);
  DIFF(e, a, "batch 0: column 0 'd' row 1: at d[1]: expected \"x\", actual \"y\"");
  snprintf(a, sizeof a, DICT_DOC(0, 16, false, "%s", 3, "[1, 0, 0]", 3), xyz);
  DIFF(e, a, "schema: field 'd': dictionary index type: expected int8, actual int16");
  snprintf(a, sizeof a, DICT_DOC(0, 8, true, "%s", 3, "[1, 0, 0]", 3), xyz);
  DIFF(e, a, "schema: field 'd': dictionary ordered: expected false, actual true");
}

QV_TEST(compare_nested_paths) {
#define LIST_OF_STRUCT_DOC(data)                                                                   \
  DOC("{\"name\": \"l\", \"type\": {\"name\": \"list\"}, \"nullable\": true, \"children\": ["      \
      "{\"name\": \"item\", \"type\": {\"name\": \"struct\"}, \"nullable\": true, \"children\": [" \
      I32("x", true) "]}]}",                                                                        \
      "{\"name\": \"l\", \"count\": 2, \"VALIDITY\": [1, 1], \"OFFSET\": [0, 1, 3], \"children\": [" \
      "{\"name\": \"item\", \"count\": 3, \"VALIDITY\": [1, 1, 1], \"children\": ["                \
      I32_COL("x", 3, "[1, 1, 1]", data) "]}]}", 2)
  SAME(LIST_OF_STRUCT_DOC("[1, 2, 3]"), LIST_OF_STRUCT_DOC("[1, 2, 3]"));
  DIFF(LIST_OF_STRUCT_DOC("[1, 2, 3]"), LIST_OF_STRUCT_DOC("[1, 2, 4]"),
       "batch 0: column 0 'l' row 1: at l[1][1].x: expected 3, actual 4");
  /* List lengths. */
  const char *l1 = DOC("{\"name\": \"l\", \"type\": {\"name\": \"list\"}, \"nullable\": true, \"children\": ["
                       I32("item", true) "]}",
                       "{\"name\": \"l\", \"count\": 1, \"VALIDITY\": [1], \"OFFSET\": [0, 2], \"children\": ["
                       I32_COL("item", 2, "[1, 1]", "[5, 6]") "]}", 1);
  const char *l2 = DOC("{\"name\": \"l\", \"type\": {\"name\": \"list\"}, \"nullable\": true, \"children\": ["
                       I32("item", true) "]}",
                       "{\"name\": \"l\", \"count\": 1, \"VALIDITY\": [1], \"OFFSET\": [0, 1], \"children\": ["
                       I32_COL("item", 2, "[1, 1]", "[5, 6]") "]}", 1);
  DIFF(l1, l2, "row 0: at l[0]: list length: expected 2, actual 1");
  /* Unions: type codes, then the child's value. */
#define UNION_DOC(ids, data)                                                                       \
  DOC("{\"name\": \"u\", \"type\": {\"name\": \"union\", \"mode\": \"DENSE\", \"typeIds\": [3, 4]}," \
      " \"nullable\": true, \"children\": [" I32("a", true) ", " I32("b", true) "]}",               \
      "{\"name\": \"u\", \"count\": 2, \"TYPE_ID\": " ids ", \"OFFSET\": [0, 0], \"children\": ["   \
      I32_COL("a", 1, "[1]", data) ", " I32_COL("b", 1, "[1]", data) "]}", 2)
  SAME(UNION_DOC("[3, 4]", "[7]"), UNION_DOC("[3, 4]", "[7]"));
  DIFF(UNION_DOC("[3, 4]", "[7]"), UNION_DOC("[3, 3]", "[7]"),
       "row 1: at u[1]: union type code: expected 4, actual 3");
  DIFF(UNION_DOC("[3, 4]", "[7]"), UNION_DOC("[3, 4]", "[8]"),
       "row 0: at u[0]<a>: expected 7, actual 8");
}

QV_TEST(compare_slices_and_offsets) {
  /* Strings at different absolute offsets, and a slice against a compact
   * array with the same values. */
  qv_integration_file f, g;
  qv_error err;
  CHECK_OK(load(DOC("{\"name\": \"s\", \"type\": {\"name\": \"utf8\"}, \"nullable\": true, \"children\": []}",
                    "{\"name\": \"s\", \"count\": 4, \"VALIDITY\": [1, 1, 0, 1], \"OFFSET\": [0, 2, 3, 3, 6],"
                    " \"DATA\": [\"ab\", \"c\", \"\", \"def\"]}", 4),
                &f, &err),
           &err);
  CHECK_OK(load(DOC("{\"name\": \"s\", \"type\": {\"name\": \"utf8\"}, \"nullable\": true, \"children\": []}",
                    "{\"name\": \"s\", \"count\": 3, \"VALIDITY\": [1, 0, 1], \"OFFSET\": [0, 1, 1, 4],"
                    " \"DATA\": [\"c\", \"\", \"def\"]}", 3),
                &g, &err),
           &err);
  qv_array *slice;
  CHECK_OK(qv_array_slice(qv_record_batch_column(f.batches[0], 0), 1, 3, &slice, &err), &err);
  qv_status same = qv__compare_arrays(g.batches[0]->columns[0], slice, "s", 0, &err);
  qv_array *slice2;
  CHECK_OK(qv_array_slice(qv_record_batch_column(f.batches[0], 0), 0, 3, &slice2, &err), &err);
  qv_status differs = qv__compare_arrays(g.batches[0]->columns[0], slice2, "s", 0, &err);
  qv_array_unref(slice);
  qv_array_unref(slice2);
  qv__integration_file_reset(&f);
  qv__integration_file_reset(&g);
  CHECK_EQ_INT(same, QV_OK);
  CHECK_EQ_INT(differs, QV_INVALID);
  CHECK(strstr(err.message, "s row 0: at s[0]: expected \"c\", actual \"ab\"") != NULL);
}

QV_TEST(compare_floats) {
  qv_array_builder b;
  qv_error err;
  qv_array *x, *y;
  CHECK_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_FLOAT64), &err), &err);
  CHECK_OK(qv_array_builder_append_double(&b, NAN, &err), &err);
  CHECK_OK(qv_array_builder_append_double(&b, 0.0, &err), &err);
  CHECK_OK(qv_array_builder_append_double(&b, 1000.0, &err), &err);
  CHECK_OK(qv_array_builder_finish(&b, &x, &err), &err);
  CHECK_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_FLOAT64), &err), &err);
  CHECK_OK(qv_array_builder_append_double(&b, NAN, &err), &err);
  CHECK_OK(qv_array_builder_append_double(&b, -0.0, &err), &err);
  CHECK_OK(qv_array_builder_append_double(&b, 1000.000001, &err), &err);
  CHECK_OK(qv_array_builder_finish(&b, &y, &err), &err);
  qv_status exact = qv__compare_arrays(x, y, "f", 0, &err);
  bool exact_message = strstr(err.message, "f row 2: at f[2]: expected 1000, actual 1000.000001") != NULL;
  qv_status approx = qv__compare_arrays(x, y, "f", QV_COMPARE_APPROX_FLOATS, &err);
  qv_array_unref(x);
  qv_array_unref(y);
  CHECK_EQ_INT(exact, QV_INVALID);
  CHECK(exact_message);
  CHECK_EQ_INT(approx, QV_OK);
}

QV_TEST(compare_golden_batches_differ_from_each_other) {
  /* Two batches of the same golden file differ, and the message names the
   * first differing column. */
  qv_integration_file f;
  qv_error err;
  char path[512];
  snprintf(path, sizeof path, "%s/arrow-ipc/1.0.0-littleendian/generated_primitive.json.gz",
           QV_TESTDATA_DIR);
  CHECK_OK(qv__integration_json_read_file(NULL, path, &f, &err), &err);
  qv_status st = qv__compare_batches(f.batches[0], f.batches[1], 0, &err);
  qv__integration_file_reset(&f);
  CHECK_EQ_INT(st, QV_INVALID);
  CHECK(strstr(err.message, "20 rows, expected 17") != NULL);
}
