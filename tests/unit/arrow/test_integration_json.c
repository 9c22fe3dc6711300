/* Tests of the integration JSON reader: every golden file of Arrow's
 * integration suite loads, validates and equals itself; spot values of
 * several files decode exactly (64-bit ints, decimal256, intervals, unions,
 * nested dictionaries); malformed files fail with precise messages. */
#include <dirent.h>
#include <stdlib.h>

#include "arrow/compare.h"
#include "arrow/integration_json.h"
#include "arrow/internal.h"
#include "test.h"

#define GOLDEN_DIR QV_TESTDATA_DIR "/arrow-ipc"

static qv_status load_text(const char *json, qv_integration_file *f, qv_error *err) {
  qv_error_init(err);
  return qv__integration_json_parse(NULL, json, (int64_t)strlen(json), f, err);
}

static qv_status load_golden(const char *rel, qv_integration_file *f, qv_error *err) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.json.gz", GOLDEN_DIR, rel);
  qv_error_init(err);
  return qv__integration_json_read_file(NULL, path, f, err);
}

/* Collects the paths of every .json.gz under dir (one level of folders). */
static int list_golden(char paths[][1024], int max) {
  int n = 0;
  DIR *top = opendir(GOLDEN_DIR);
  if (!top) return 0;
  struct dirent *d;
  while ((d = readdir(top)) != NULL) {
    if (d->d_name[0] == '.') continue;
    char sub[700];
    snprintf(sub, sizeof sub, "%s/%s", GOLDEN_DIR, d->d_name);
    DIR *dir = opendir(sub);
    if (!dir) continue;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && n < max) {
      size_t len = strlen(e->d_name);
      if (len > 8 && strcmp(e->d_name + len - 8, ".json.gz") == 0)
        snprintf(paths[n++], 1024, "%s/%s", sub, e->d_name);
    }
    closedir(dir);
  }
  closedir(top);
  return n;
}

static const uint8_t *data_of(const qv_array *a, int32_t i) { return qv__array_data(a, i); }

static bool valid_at(const qv_array *a, int64_t i) { return qv_array_is_valid(a, i); }

static bool str_at(const qv_array *a, int64_t i, const char *want) {
  const int32_t *o = (const int32_t *)data_of(a, 1) + a->offset;
  return (size_t)(o[i + 1] - o[i]) == strlen(want) &&
         memcmp(data_of(a, 2) + o[i], want, strlen(want)) == 0;
}

QV_TEST(ij_every_golden_file_loads_validates_and_equals_itself) {
  static char paths[256][1024];
  int n = list_golden(paths, 256);
  CHECK(n >= 27);
  for (int i = 0; i < n; i++) {
    qv_integration_file f;
    qv_error err;
    qv__integration_file_init(&f);
    qv_status st = qv__integration_json_read_file(NULL, paths[i], &f, &err);
    if (st != QV_OK) {
      qv_test_fail(__FILE__, __LINE__, "%s: %s", paths[i], err.message);
      continue;
    }
    for (int64_t b = 0; b < f.n_batches && st == QV_OK; b++)
      st = qv_record_batch_validate_full(f.batches[b], &err);
    for (int64_t d = 0; d < f.n_dictionaries && st == QV_OK; d++)
      st = qv_array_validate_full(f.dictionaries[d].values, &err);
    if (st == QV_OK)
      st = qv__compare_files(f.schema, f.batches, f.n_batches, f.schema, f.batches, f.n_batches, 0,
                             &err);
    for (int64_t b = 0; b < f.n_batches && st == QV_OK; b++)
      if (!qv_record_batch_equals(f.batches[b], f.batches[b]))
        st = qv_error_set(&err, QV_INVALID, "batch %lld does not equal itself", (long long)b);
    if (st != QV_OK) qv_test_fail(__FILE__, __LINE__, "%s: %s", paths[i], err.message);
    qv__integration_file_reset(&f);
  }
}

QV_TEST(ij_primitive_spot_values) {
  qv_integration_file f;
  qv_error err;
  CHECK_OK(load_golden("1.0.0-littleendian/generated_primitive", &f, &err), &err);
  CHECK_EQ_INT(qv_schema_num_fields(f.schema), 30);
  CHECK_EQ_INT(f.n_batches, 2);
  CHECK_EQ_INT(f.n_dictionaries, 0);
  CHECK_EQ_INT(qv_record_batch_num_rows(f.batches[0]), 17);
  CHECK_EQ_INT(qv_record_batch_num_rows(f.batches[1]), 20);
  qv_record_batch *b = f.batches[0];
  CHECK_STR_EQ(qv_field_name(qv_schema_field(f.schema, 2)), "int8_nullable");
  CHECK(!qv_field_nullable(qv_schema_field(f.schema, 3)));

  const qv_array *boolean = qv_record_batch_column(b, 0);
  CHECK(!valid_at(boolean, 0) && !valid_at(boolean, 1) && valid_at(boolean, 2));
  CHECK(qv_bit_get(data_of(boolean, 1), 1) && !qv_bit_get(data_of(boolean, 1), 0));

  const qv_array *i8 = qv_record_batch_column(b, 2);
  CHECK_EQ_INT(qv_type_id_of(qv_array_type(i8)), QV_INT8);
  CHECK_EQ_INT(((const int8_t *)data_of(i8, 1))[0], -128);
  CHECK_EQ_INT(((const int8_t *)data_of(i8, 1))[1], 127);

  const qv_array *i64 = qv_record_batch_column(b, 8); /* DATA given as strings */
  CHECK(!valid_at(i64, 0) && valid_at(i64, 1));
  CHECK_EQ_INT(((const int64_t *)data_of(i64, 1))[0], -2147483648LL);
  CHECK_EQ_INT(((const int64_t *)data_of(i64, 1))[1], 2147483647LL);
  CHECK_EQ_INT(((const uint64_t *)data_of(qv_record_batch_column(b, 17), 1))[3], 802620966);
  CHECK_EQ_INT(((const uint32_t *)data_of(qv_record_batch_column(b, 14), 1))[3], 1779556671);

  CHECK(((const float *)data_of(qv_record_batch_column(b, 19), 1))[0] == (float)-977.936);
  CHECK(((const double *)data_of(qv_record_batch_column(b, 20), 1))[1] == -1746.99);

  const qv_array *bin = qv_record_batch_column(b, 22);
  CHECK(!valid_at(bin, 0) && valid_at(bin, 1));
  CHECK(str_at(bin, 1, "\x68"));
  CHECK(str_at(bin, 0, ""));

  const qv_array *utf8 = qv_record_batch_column(b, 24);
  CHECK(str_at(utf8, 1, "r\xe2\x82\xacj5m\xc2\xb5" "c"));
  CHECK(str_at(utf8, 2, "r\xe7\x9f\xa2i\xc3\xb4\xc2\xb0" "de"));

  const qv_array *fsb = qv_record_batch_column(b, 26);
  CHECK_EQ_INT(qv_type_byte_width(qv_array_type(fsb)), 19);
  const uint8_t *row1 = data_of(fsb, 1) + 19;
  CHECK(row1[0] == 0xA1 && row1[1] == 0x9D && row1[18] == 0xB3);
  qv__integration_file_reset(&f);
}

QV_TEST(ij_nested_dictionaries_resolve) {
  qv_integration_file f;
  qv_error err;
  CHECK_OK(load_golden("1.0.0-littleendian/generated_nested_dictionary", &f, &err), &err);
  CHECK_EQ_INT(f.n_dictionaries, 3);
  CHECK_EQ_INT(f.dictionaries[0].id, 0);
  CHECK_EQ_INT(f.dictionaries[1].id, 1);
  CHECK_EQ_INT(f.dictionaries[2].id, 2);
  qv_field *list_dict = qv_schema_field(f.schema, 0);
  CHECK_EQ_INT(qv_field_dictionary_id(list_dict), 1);
  qv_data_type *t = qv_field_type(list_dict);
  CHECK_EQ_INT(qv_type_id_of(t), QV_DICTIONARY);
  CHECK_EQ_INT(qv_type_id_of(qv_type_dict_index(t)), QV_INT8);
  qv_data_type *list_type = qv_type_dict_value(t);
  CHECK_EQ_INT(qv_type_id_of(list_type), QV_LIST);
  qv_field *inner = qv_type_child(list_type, 0);
  CHECK_EQ_INT(qv_field_dictionary_id(inner), 0);
  CHECK_EQ_INT(qv_type_id_of(qv_field_type(inner)), QV_DICTIONARY);

  /* Row 3 of batch 0 is index 1 into dictionary 1: a list of one element,
   * index 5 into dictionary 0, "£midic€". */
  qv_array *col = qv_record_batch_column(f.batches[0], 0);
  CHECK(qv_array_dictionary(col) == f.dictionaries[1].values);
  CHECK(valid_at(col, 3));
  CHECK_EQ_INT(((const int8_t *)data_of(col, 1))[3], 1);
  qv_array *lists = f.dictionaries[1].values;
  const int32_t *off = (const int32_t *)data_of(lists, 1);
  CHECK_EQ_INT(off[1], 0);
  CHECK_EQ_INT(off[2], 1);
  qv_array *strs = qv_array_child(lists, 0);
  CHECK(qv_array_dictionary(strs) == f.dictionaries[0].values);
  CHECK_EQ_INT(((const int8_t *)data_of(strs, 1))[0], 5);
  CHECK(str_at(f.dictionaries[0].values, 5, "\xc2\xa3midic\xe2\x82\xac"));
  /* The struct column's children share dictionary 0 too. */
  qv_array *structs = f.dictionaries[2].values;
  CHECK(qv_array_dictionary(qv_array_child(structs, 0)) == f.dictionaries[0].values);
  CHECK(qv_array_dictionary(qv_array_child(structs, 1)) == f.dictionaries[0].values);
  qv__integration_file_reset(&f);

  CHECK_OK(load_golden("4.0.0-shareddict/generated_shared_dict", &f, &err), &err);
  CHECK_EQ_INT(f.n_dictionaries, 1);
  CHECK(qv_array_dictionary(qv_record_batch_column(f.batches[0], 0)) ==
        qv_array_dictionary(qv_record_batch_column(f.batches[0], 1)));
  qv__integration_file_reset(&f);
}

QV_TEST(ij_decimal256_interval_union_values) {
  qv_integration_file f;
  qv_error err;
  CHECK_OK(load_golden("1.0.0-littleendian/generated_decimal256", &f, &err), &err);
  qv_data_type *t = qv_field_type(qv_schema_field(f.schema, 0));
  CHECK_EQ_INT(qv_type_id_of(t), QV_DECIMAL256);
  CHECK_EQ_INT(qv_type_precision(t), 37);
  CHECK_EQ_INT(qv_type_scale(t), 5);
  const uint8_t *d = data_of(qv_record_batch_column(f.batches[0], 0), 1);
  /* 91241102694676391947392222433629263697 and
   * -41942369422925886428931794240078936402, little-endian two's complement. */
  static const uint8_t pos[16] = {0x51, 0x57, 0xb5, 0x7e, 0x0e, 0x8b, 0x8d, 0x6c,
                                  0x35, 0x1f, 0x64, 0xd7, 0xad, 0x65, 0xa4, 0x44};
  static const uint8_t neg[16] = {0xae, 0x06, 0x67, 0x8e, 0xdf, 0x78, 0x4e, 0x8e,
                                  0x92, 0xc9, 0xb2, 0xd6, 0x87, 0x31, 0x72, 0xe0};
  CHECK(memcmp(d, pos, 16) == 0);
  for (int i = 16; i < 32; i++) CHECK(d[i] == 0);
  CHECK(memcmp(d + 32, neg, 16) == 0);
  for (int i = 48; i < 64; i++) CHECK(d[i] == 0xff);
  qv__integration_file_reset(&f);

  CHECK_OK(load_golden("1.0.0-littleendian/generated_interval", &f, &err), &err);
  CHECK_EQ_INT(((const int64_t *)data_of(qv_record_batch_column(f.batches[0], 0), 1))[0], INT64_MIN);
  CHECK_EQ_INT(((const int64_t *)data_of(qv_record_batch_column(f.batches[0], 0), 1))[1], INT64_MAX);
  const qv_array *dt = qv_record_batch_column(f.batches[0], 5);
  CHECK_EQ_INT(qv_type_id_of(qv_array_type(dt)), QV_INTERVAL_DAY_TIME);
  CHECK_EQ_INT(((const int32_t *)data_of(dt, 1))[0], -2622376);
  CHECK_EQ_INT(((const int32_t *)data_of(dt, 1))[1], -67227994);
  qv__integration_file_reset(&f);

  CHECK_OK(load_golden("1.0.0-littleendian/generated_union", &f, &err), &err);
  const qv_array *dense = qv_record_batch_column(f.batches[1], 1);
  CHECK_EQ_INT(qv_type_id_of(qv_array_type(dense)), QV_DENSE_UNION);
  CHECK_EQ_INT(((const int8_t *)data_of(dense, 0))[3], 10);
  CHECK_EQ_INT(((const int32_t *)data_of(dense, 1))[4], 3);
  CHECK_EQ_INT(qv_array_length(qv_array_child(dense, 1)), 8);
  const qv_array *sparse = qv_record_batch_column(f.batches[1], 0);
  CHECK_EQ_INT(qv_type_union_codes(qv_array_type(sparse))[1], 7);
  CHECK_EQ_INT(((const int8_t *)data_of(sparse, 0))[4], 7);
  qv__integration_file_reset(&f);
}

QV_TEST(ij_metadata_and_no_batches) {
  qv_integration_file f;
  qv_error err;
  CHECK_OK(load_golden("1.0.0-littleendian/generated_custom_metadata", &f, &err), &err);
  CHECK_EQ_INT(qv_metadata_count(qv_schema_metadata(f.schema)), 2);
  const qv_metadata *m = qv_field_metadata(qv_schema_field(f.schema, 2));
  int64_t len;
  CHECK_STR_EQ(qv_metadata_find(m, "ARROW:extension:name", &len), "!nonexistent");
  CHECK_EQ_INT(qv_metadata_count(qv_field_metadata(qv_schema_field(f.schema, 1))), 9);
  qv_field *list = qv_schema_field(f.schema, 3);
  CHECK(qv_metadata_find(qv_field_metadata(qv_type_child(qv_field_type(list), 0)), "odd_values",
                         &len) != NULL);
  qv__integration_file_reset(&f);

  CHECK_OK(load_golden("1.0.0-littleendian/generated_primitive_no_batches", &f, &err), &err);
  CHECK_EQ_INT(f.n_batches, 0);
  CHECK_EQ_INT(qv_schema_num_fields(f.schema), 30);
  qv__integration_file_reset(&f);
  qv__integration_file_reset(&f); /* idempotent */
}

QV_TEST(ij_missing_and_corrupt_files) {
  qv_integration_file f;
  qv_error err;
  qv__integration_file_init(&f);
  CHECK_STATUS(qv__integration_json_read_file(NULL, "/nonexistent/x.json.gz", &f, &err),
               QV_NOT_FOUND);
  /* A truncated gzip stream. */
  char src[512];
  snprintf(src, sizeof src, "%s/1.0.0-littleendian/generated_null.json.gz", GOLDEN_DIR);
  FILE *in = fopen(src, "rb");
  CHECK(in);
  static uint8_t bytes[1 << 16];
  size_t n = fread(bytes, 1, sizeof bytes, in);
  fclose(in);
  char tmp[] = "/tmp/qv_ij_truncXXXXXX";
  int fd = mkstemp(tmp);
  CHECK(fd >= 0);
  FILE *out = fdopen(fd, "wb");
  CHECK(out);
  fwrite(bytes, 1, n / 2, out);
  fclose(out);
  qv_status st = qv__integration_json_read_file(NULL, tmp, &f, &err);
  remove(tmp);
  CHECK(st == QV_IO || st == QV_INVALID);
  CHECK(f.schema == NULL && f.n_batches == 0);
}

/* ---- strictness ----------------------------------------------------------- */

#define INT32_FIELD(name) \
  "{\"name\": \"" name "\", \"type\": {\"name\": \"int\", \"isSigned\": true, \"bitWidth\": 32}, " \
  "\"nullable\": true, \"children\": []}"

/* Loads json, expecting failure with status code and a message containing want. */
static bool fails_with(const char *json, qv_status code, const char *want) {
  qv_integration_file f;
  qv_error err;
  qv_status st = load_text(json, &f, &err);
  bool ok = st == code && strstr(err.message, want) != NULL && f.schema == NULL &&
            f.n_batches == 0 && f.n_dictionaries == 0;
  if (!ok) fprintf(stderr, "  got %s: %s\n  want %s: ...%s...\n", qv_status_name(st), err.message,
                   qv_status_name(code), want);
  qv__integration_file_reset(&f);
  return ok;
}

#define FAILS(json, want) CHECK(fails_with(json, QV_INVALID, want))

QV_TEST(ij_rejects_wrong_counts) {
  FAILS("{\"schema\": {\"fields\": [" INT32_FIELD("a") "]}, \"batches\": [{\"count\": 3, "
        "\"columns\": [{\"name\": \"a\", \"count\": 3, \"VALIDITY\": [1, 1], \"DATA\": [1, 2, 3]}]}]}",
        "integration json: batch 0: column 'a': VALIDITY has 2 entries, expected 3 (json offset");
  FAILS("{\"schema\": {\"fields\": [" INT32_FIELD("a") "]}, \"batches\": [{\"count\": 3, "
        "\"columns\": [{\"name\": \"a\", \"count\": 3, \"VALIDITY\": [1, 1, 1], \"DATA\": [1, 2]}]}]}",
        "DATA has 2 entries, expected 3");
  FAILS("{\"schema\": {\"fields\": [" INT32_FIELD("a") "]}, \"batches\": [{\"count\": 4, "
        "\"columns\": [{\"name\": \"a\", \"count\": 3, \"VALIDITY\": [1, 1, 1], \"DATA\": [1, 2, 3]}]}]}",
        "column 'a' has count 3 but the batch has count 4");
  FAILS("{\"schema\": {\"fields\": [" INT32_FIELD("a") "]}, \"batches\": [{\"count\": 0, "
        "\"columns\": []}]}",
        "batch 0: columns has 0 entries, expected 1");
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"s\", \"type\": {\"name\": \"utf8\"}, \"nullable\": true,"
        " \"children\": []}]}, \"batches\": [{\"count\": 2, \"columns\": [{\"name\": \"s\", \"count\": 2,"
        " \"VALIDITY\": [1, 1], \"OFFSET\": [0, 1, 3], \"DATA\": [\"a\", \"b\"]}]}]}",
        "OFFSET[2] - OFFSET[1] = 2 but DATA[1] has 1 bytes");
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"l\", \"type\": {\"name\": \"list\"}, \"nullable\": true,"
        " \"children\": [" INT32_FIELD("item") "]}]}, \"batches\": [{\"count\": 1, \"columns\": ["
        "{\"name\": \"l\", \"count\": 1, \"VALIDITY\": [1], \"OFFSET\": [0, 3], \"children\": ["
        "{\"name\": \"item\", \"count\": 2, \"VALIDITY\": [1, 1], \"DATA\": [1, 2]}]}]}]}",
        "column 'l': the last offset is 3 but the child has count 2");
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"l\", \"type\": {\"name\": \"list\"}, \"nullable\": true,"
        " \"children\": [" INT32_FIELD("item") "]}]}, \"batches\": [{\"count\": 2, \"columns\": ["
        "{\"name\": \"l\", \"count\": 2, \"VALIDITY\": [1, 1], \"OFFSET\": [0, 2, 1], \"children\": ["
        "{\"name\": \"item\", \"count\": 2, \"VALIDITY\": [1, 1], \"DATA\": [1, 2]}]}]}]}",
        "OFFSET[2] = 1 is less than the previous offset");
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"s\", \"type\": {\"name\": \"struct\"}, \"nullable\": true,"
        " \"children\": [" INT32_FIELD("x") "]}]}, \"batches\": [{\"count\": 2, \"columns\": ["
        "{\"name\": \"s\", \"count\": 2, \"VALIDITY\": [1, 1], \"children\": ["
        "{\"name\": \"x\", \"count\": 1, \"VALIDITY\": [1], \"DATA\": [1]}]}]}]}",
        "child 'x' has count 1, expected 2");
}

QV_TEST(ij_rejects_bad_values) {
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"a\", \"type\": {\"name\": \"int\", \"isSigned\": true,"
        " \"bitWidth\": 8}, \"nullable\": true, \"children\": []}]}, \"batches\": [{\"count\": 1, "
        "\"columns\": [{\"name\": \"a\", \"count\": 1, \"VALIDITY\": [1], \"DATA\": [128]}]}]}",
        "DATA[0] = 128 is out of range for signed 8-bit integers");
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"a\", \"type\": {\"name\": \"int\", \"isSigned\": false,"
        " \"bitWidth\": 64}, \"nullable\": true, \"children\": []}]}, \"batches\": [{\"count\": 1, "
        "\"columns\": [{\"name\": \"a\", \"count\": 1, \"VALIDITY\": [1], \"DATA\": [\"-1\"]}]}]}",
        "out of range for unsigned 64-bit integers");
  FAILS("{\"schema\": {\"fields\": [" INT32_FIELD("a") "]}, \"batches\": [{\"count\": 1, "
        "\"columns\": [{\"name\": \"a\", \"count\": 1, \"VALIDITY\": [1], \"DATA\": [1.5]}]}]}",
        "DATA[0] is not an integer");
  FAILS("{\"schema\": {\"fields\": [" INT32_FIELD("a") "]}, \"batches\": [{\"count\": 1, "
        "\"columns\": [{\"name\": \"a\", \"count\": 1, \"VALIDITY\": [2], \"DATA\": [1]}]}]}",
        "VALIDITY[0] is not 0 or 1");
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"b\", \"type\": {\"name\": \"binary\"}, \"nullable\": true,"
        " \"children\": []}]}, \"batches\": [{\"count\": 1, \"columns\": [{\"name\": \"b\", \"count\": 1,"
        " \"VALIDITY\": [1], \"OFFSET\": [0, 1], \"DATA\": [\"ZZ\"]}]}]}",
        "DATA[0] is not a hex string");
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"d\", \"type\": {\"name\": \"decimal\", \"precision\": 38,"
        " \"scale\": 0}, \"nullable\": true, \"children\": []}]}, \"batches\": [{\"count\": 1, \"columns\":"
        " [{\"name\": \"d\", \"count\": 1, \"VALIDITY\": [1], "
        "\"DATA\": [\"170141183460469231731687303715884105728\"]}]}]}",
        "DATA[0] is out of range for 128-bit decimals");
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"b\", \"type\": {\"name\": \"bool\"}, \"nullable\": true,"
        " \"children\": []}]}, \"batches\": [{\"count\": 1, \"columns\": [{\"name\": \"b\", \"count\": 1,"
        " \"VALIDITY\": [1], \"DATA\": [1]}]}]}",
        "DATA[0] is not true or false");
  FAILS("{\"schema\": {\"fields\": [" INT32_FIELD("a") "]}, \"batches\": [{\"count\": 0, "
        "\"columns\": [{\"name\": \"b\", \"count\": 0, \"VALIDITY\": [], \"DATA\": []}]}]}",
        "column 'b': column name does not match the field name 'a'");
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"u\", \"type\": {\"name\": \"union\", \"mode\": \"SPARSE\","
        " \"typeIds\": [5]}, \"nullable\": true, \"children\": [" INT32_FIELD("x") "]}]}, \"batches\":"
        " [{\"count\": 1, \"columns\": [{\"name\": \"u\", \"count\": 1, \"TYPE_ID\": [6], \"children\": ["
        "{\"name\": \"x\", \"count\": 1, \"VALIDITY\": [1], \"DATA\": [1]}]}]}]}",
        "TYPE_ID[0] = 6 is not a type id of the union");
  /* The limit itself is fine: -2^127. */
  qv_integration_file f;
  qv_error err;
  CHECK_OK(load_text("{\"schema\": {\"fields\": [{\"name\": \"d\", \"type\": {\"name\": \"decimal\","
                     " \"precision\": 38, \"scale\": 0}, \"nullable\": true, \"children\": []}]},"
                     " \"batches\": [{\"count\": 1, \"columns\": [{\"name\": \"d\", \"count\": 1,"
                     " \"VALIDITY\": [1], \"DATA\": [\"-170141183460469231731687303715884105728\"]}]}]}",
                     &f, &err),
           &err);
  const uint8_t *d = data_of(qv_record_batch_column(f.batches[0], 0), 1);
  for (int i = 0; i < 15; i++) CHECK(d[i] == 0);
  CHECK(d[15] == 0x80);
  qv__integration_file_reset(&f);
}

QV_TEST(ij_rejects_bad_schemas_and_dictionaries) {
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"a\", \"type\": {\"name\": \"nope\"}, \"nullable\": true,"
        " \"children\": []}]}, \"batches\": []}",
        "schema: field 'a': unknown type name \"nope\"");
  CHECK(fails_with("{\"schema\": {\"fields\": [{\"name\": \"a\", \"type\": {\"name\": \"utf8view\"},"
                   " \"nullable\": true, \"children\": []}]}, \"batches\": []}",
                   QV_NOT_IMPLEMENTED, "type \"utf8view\" is not supported"));
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"a\", \"type\": {\"name\": \"int\", \"isSigned\": true,"
        " \"bitWidth\": 12}, \"nullable\": true, \"children\": []}]}, \"batches\": []}",
        "int bitWidth 12 is not 8, 16, 32 or 64");
  FAILS("{\"schema\": {\"fields\": [{\"name\": \"a\", \"type\": {\"name\": \"int\", \"isSigned\": true,"
        " \"bitWidth\": 32}, \"children\": []}]}, \"batches\": []}",
        "missing \"nullable\"");
  FAILS("{\"schema\": {\"fields\": []}}", "missing \"batches\"");
  FAILS("[1]", "the document is not an object");
  FAILS("{\"schema\": {\"fields\": [}", "json: offset 23: expected a value");

#define DICT_FIELD                                                                            \
  "{\"name\": \"d\", \"type\": {\"name\": \"utf8\"}, \"nullable\": true, \"children\": [], "   \
  "\"dictionary\": {\"id\": 7, \"indexType\": {\"name\": \"int\", \"isSigned\": true, "        \
  "\"bitWidth\": 8}, \"isOrdered\": false}}"
#define DICT_7                                                                                \
  "{\"id\": 7, \"data\": {\"count\": 2, \"columns\": [{\"name\": \"DICT7\", \"count\": 2, "    \
  "\"VALIDITY\": [1, 1], \"OFFSET\": [0, 1, 2], \"DATA\": [\"x\", \"y\"]}]}}"
  FAILS("{\"schema\": {\"fields\": [" DICT_FIELD "]}, \"batches\": [{\"count\": 1, \"columns\": ["
        "{\"name\": \"d\", \"count\": 1, \"VALIDITY\": [1], \"DATA\": [0]}]}]}",
        "batch 0: column 'd': dictionary 7 is not in \"dictionaries\"");
  FAILS("{\"schema\": {\"fields\": [" DICT_FIELD "]}, \"dictionaries\": [" DICT_7 "], \"batches\":"
        " [{\"count\": 2, \"columns\": [{\"name\": \"d\", \"count\": 2, \"VALIDITY\": [1, 1],"
        " \"DATA\": [1, 2]}]}]}",
        "DATA[1]: index 2 is outside the dictionary's 2 values");
  FAILS("{\"schema\": {\"fields\": [" DICT_FIELD "]}, \"dictionaries\": [" DICT_7 ", " DICT_7 "],"
        " \"batches\": []}",
        "dictionaries[1]: dictionary id 7 appears twice");
  FAILS("{\"schema\": {\"fields\": [" DICT_FIELD "]}, \"dictionaries\": [{\"id\": 8, \"data\":"
        " {\"count\": 0, \"columns\": []}}], \"batches\": []}",
        "no field uses dictionary id 8");
  FAILS("{\"schema\": {\"fields\": [" DICT_FIELD "]}, \"dictionaries\": [{\"id\": 7, \"data\": {\"count\":"
        " 1, \"columns\": [{\"name\": \"DICT7\", \"count\": 1, \"VALIDITY\": [1], \"OFFSET\": [0, 1],"
        " \"DATA\": [7]}]}}], \"batches\": []}",
        "dictionary 7: column 'DICT7': DATA[0] is not a string");

  /* A null index may hold any value. */
  qv_integration_file f;
  qv_error err;
  CHECK_OK(load_text("{\"schema\": {\"fields\": [" DICT_FIELD "]}, \"dictionaries\": [" DICT_7 "],"
                     " \"batches\": [{\"count\": 2, \"columns\": [{\"name\": \"d\", \"count\": 2,"
                     " \"VALIDITY\": [1, 0], \"DATA\": [1, 99]}]}]}",
                     &f, &err),
           &err);
  CHECK_EQ_INT(qv_field_dictionary_id(qv_schema_field(f.schema, 0)), 7);
  CHECK_EQ_INT(qv_array_null_count(qv_record_batch_column(f.batches[0], 0)), 1);
  qv__integration_file_reset(&f);
}

QV_TEST(ij_float16_and_month_day_nano) {
  qv_integration_file f;
  qv_error err;
  CHECK_OK(load_text("{\"schema\": {\"fields\": [{\"name\": \"h\", \"type\": {\"name\": \"floatingpoint\","
                     " \"precision\": \"HALF\"}, \"nullable\": true, \"children\": []}, {\"name\": \"m\","
                     " \"type\": {\"name\": \"interval\", \"unit\": \"MONTH_DAY_NANO\"}, \"nullable\": true,"
                     " \"children\": []}]}, \"batches\": [{\"count\": 5, \"columns\": [{\"name\": \"h\","
                     " \"count\": 5, \"VALIDITY\": [1, 1, 1, 1, 1], \"DATA\": [1.0, -2.5, 65504, 1e6,"
                     " 5.960464477539063e-08]}, {\"name\": \"m\", \"count\": 5, \"VALIDITY\": [1, 0, 0, 0, 0],"
                     " \"DATA\": [{\"months\": -1, \"days\": 2, \"nanoseconds\": \"-9223372036854775808\"},"
                     " {\"months\": 0, \"days\": 0, \"nanoseconds\": 0}, {\"months\": 0, \"days\": 0,"
                     " \"nanoseconds\": 0}, {\"months\": 0, \"days\": 0, \"nanoseconds\": 0}, {\"months\":"
                     " 0, \"days\": 0, \"nanoseconds\": 0}]}]}]}",
                     &f, &err),
           &err);
  const uint16_t *h = (const uint16_t *)data_of(qv_record_batch_column(f.batches[0], 0), 1);
  CHECK_EQ_INT(h[0], 0x3C00);
  CHECK_EQ_INT(h[1], 0xC100);
  CHECK_EQ_INT(h[2], 0x7BFF);
  CHECK_EQ_INT(h[3], 0x7C00); /* overflow to infinity */
  CHECK_EQ_INT(h[4], 0x0001); /* the smallest subnormal */
  const uint8_t *m = data_of(qv_record_batch_column(f.batches[0], 1), 1);
  int32_t months, days;
  int64_t ns;
  memcpy(&months, m, 4);
  memcpy(&days, m + 4, 4);
  memcpy(&ns, m + 8, 8);
  CHECK_EQ_INT(months, -1);
  CHECK_EQ_INT(days, 2);
  CHECK_EQ_INT(ns, INT64_MIN);
  qv__integration_file_reset(&f);
}

QV_TEST(ij_allocation_failures_leak_nothing) {
  char path[512];
  snprintf(path, sizeof path, "%s/1.0.0-littleendian/generated_nested_dictionary.json.gz",
           GOLDEN_DIR);
  bool succeeded = false;
  for (int64_t n = 1; n < 5000 && !succeeded; n++) {
    qv_allocator *alloc;
    qv_error err;
    CHECK_OK(qv_allocator_create(0, &alloc, &err), &err);
    qv_allocator_fail_after(alloc, n);
    qv_integration_file f;
    qv_status st = qv__integration_json_read_file(alloc, path, &f, &err);
    if (st == QV_OK) {
      succeeded = true;
      CHECK_EQ_INT(f.n_dictionaries, 3);
    } else if (st != QV_NOMEM) {
      qv_test_fail(__FILE__, __LINE__, "failing allocation %lld: %s: %s", (long long)n,
                   qv_status_name(st), err.message);
      n = 1 << 20;
    }
    qv__integration_file_reset(&f);
    int64_t live = qv_allocator_bytes_allocated(alloc);
    qv_allocator_destroy(alloc);
    if (live != 0) {
      qv_test_fail(__FILE__, __LINE__, "failing allocation %lld leaks %lld bytes", (long long)n,
                   (long long)live);
      return;
    }
  }
  CHECK(succeeded);
}
