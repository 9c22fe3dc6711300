/* Tests of the Parquet writer: every engine type written and read back with
 * Quiver's reader (several batches cut across row groups, small pages) for
 * every codec, both data page versions, with and without dictionaries;
 * dictionary decisions and fallback checked page by page; statistics
 * decoded and compared with the data (orders per logical type, NaN and
 * zeros, null counts); the RLE encoder against the reader's decoder; page
 * header and footer encodings against the reader's Thrift decoders; error
 * paths (bad batches, nulls in non-nullable fields, unsupported types, a
 * failing sink) and allocation-failure injection proving every failure is
 * QV_NOMEM and leaks nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arrow/compare.h"
#include "io/parquet/encodings.h"
#include "io/parquet/metadata.h"
#include "io/parquet/thrift_write.h"
#include "io/parquet/writer_internal.h"
#include "quiver/compute.h"
#include "quiver/parquet.h"
#include "test.h"
#include "test_parquet_writer_data.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* Writes batches [cuts[k], cuts[k+1]) of t into out. */
static qv_status write_table(const pqw_table *t, const qv_parquet_write_options *opts, const int64_t *cuts, int n_cuts,
                             qv_bytes *out, qv_error *err) {
  qv_parquet_writer *w;
  QV_RETURN_NOT_OK(qv_parquet_writer_create(t->schema, opts, qv_ipc_sink_bytes(out), &w, err));
  qv_status st = QV_OK;
  for (int k = 0; st == QV_OK && k + 1 < n_cuts; k++) {
    qv_record_batch *b = pqw_table_batch(t, cuts[k], cuts[k + 1] - cuts[k]);
    st = qv_parquet_writer_write(w, b, err);
    qv_record_batch_unref(b);
  }
  if (st == QV_OK) st = qv_parquet_writer_close(w, err);
  qv_parquet_writer_destroy(w);
  return st;
}

static qv_status open_bytes(const qv_bytes *file, qv_parquet_reader **r, qv_error *err) {
  qv_buffer *buf;
  QV_RETURN_NOT_OK(qv_buffer_wrap(file->data, file->size, NULL, NULL, &buf, err));
  qv_status st = qv_parquet_reader_create(buf, "written.parquet", NULL, r, err);
  qv_buffer_unref(buf);
  return st;
}

/* Reads every row of r into one batch (NULL when the file has no rows). */
static qv_status read_all(qv_parquet_reader *r, qv_record_batch **out, qv_error *err) {
  *out = NULL;
  qv_parquet_batch_reader *br;
  QV_RETURN_NOT_OK(qv_parquet_reader_scan(r, NULL, 0, NULL, 0, &br, err));
  qv_record_batch *batches[4096];
  int32_t n = 0;
  qv_status st = QV_OK;
  for (;;) {
    qv_record_batch *b;
    st = qv_parquet_batch_reader_next(br, &b, err);
    if (st != QV_OK || !b) break;
    if (n == 4096) {
      qv_record_batch_unref(b);
      st = qv_error_set(err, QV_INTERNAL, "too many batches");
      break;
    }
    batches[n++] = b;
    st = qv_record_batch_validate_full(b, err);
    if (st != QV_OK) break;
  }
  if (st == QV_OK && n > 0)
    st = qv_record_batch_concat(NULL, qv_parquet_batch_reader_schema(br), batches, n, out, err);
  for (int32_t i = 0; i < n; i++) qv_record_batch_unref(batches[i]);
  qv_parquet_batch_reader_destroy(br);
  return st;
}

/* Pages of a column chunk by type and encoding: counts[type][encoding]. */
static qv_status count_pages(const qv_bytes *file, const qv_parquet_column_chunk_info *ci, int counts[4][10],
                             qv_error *err) {
  memset(counts, 0, sizeof(int[4][10]));
  const uint8_t *p = file->data + ci->offset, *end = p + ci->compressed_size;
  while (p < end) {
    qv_pq_page_header h;
    int64_t hlen;
    QV_RETURN_NOT_OK(qv__pq_decode_page_header(p, end - p, &h, &hlen, err));
    int enc = h.has_data ? h.data.encoding : h.has_dict ? h.dict.encoding : h.v2.encoding;
    if (h.type < 0 || h.type > 3 || enc < 0 || enc > 9) return qv_error_set(err, QV_INVALID, "odd page");
    counts[h.type][enc]++;
    p += hlen + h.compressed_page_size;
  }
  return p == end ? QV_OK : qv_error_set(err, QV_INVALID, "pages overrun the chunk");
}

static bool has_encoding(const qv_parquet_column_chunk_info *ci, qv_parquet_encoding e) {
  for (int32_t i = 0; i < ci->n_encodings; i++)
    if (ci->encodings[i] == e) return true;
  return false;
}

/* ---- round trips ---------------------------------------------------------------------------- */

typedef struct profile {
  const char *name;
  qv_parquet_codec codec;
  bool dictionary;
  int version;
  bool checksums;
} profile;

static const profile profiles[] = {
    {"none-v1-dict", QV_PARQUET_UNCOMPRESSED, true, 1, false}, {"none-v2-plain", QV_PARQUET_UNCOMPRESSED, false, 2, true},
    {"snappy-v1-plain", QV_PARQUET_SNAPPY, false, 1, false},   {"snappy-v2-dict", QV_PARQUET_SNAPPY, true, 2, false},
    {"gzip-v1-dict", QV_PARQUET_GZIP, true, 1, true},          {"brotli-v2-dict", QV_PARQUET_BROTLI, true, 2, false},
    {"zstd-v1-dict", QV_PARQUET_ZSTD, true, 1, false},         {"zstd-v2-plain", QV_PARQUET_ZSTD, false, 2, false},
    {"lz4raw-v1-dict", QV_PARQUET_LZ4_RAW, true, 1, false},    {"lz4-v2-dict", QV_PARQUET_LZ4, true, 2, true},
};

static void roundtrip_profile(const pqw_table *t, const profile *p) {
  qv_error err;
  qv_error_init(&err);
  qv_parquet_write_options opts;
  qv_parquet_write_options_init(&opts);
  opts.compression = p->codec;
  opts.dictionary = p->dictionary;
  opts.data_page_version = p->version;
  opts.page_checksums = p->checksums;
  opts.row_group_size = 1000;
  opts.data_page_size = 1024;
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  int64_t cuts[] = {0, 700, 1900, 1901, t->n_rows};
  qv_parquet_reader *r = NULL;
  qv_record_batch *got = NULL;
  qv_status st = write_table(t, &opts, cuts, 5, &file, &err);
  if (st == QV_OK) st = open_bytes(&file, &r, &err);
  if (st == QV_OK) st = read_all(r, &got, &err);
  if (st != QV_OK) {
    qv_test_fail(__FILE__, __LINE__, "%s: %s: %s", p->name, qv_status_name(st), err.message);
    goto done;
  }
  if (qv_parquet_reader_num_row_groups(r) != 3 || qv_record_batch_num_rows(got) != t->n_rows) {
    qv_test_fail(__FILE__, __LINE__, "%s: %d row groups, %lld rows", p->name, qv_parquet_reader_num_row_groups(r),
                 (long long)qv_record_batch_num_rows(got));
    goto done;
  }
  for (int32_t c = 0; c < t->n_columns; c++) {
    const char *name = qv_field_name(qv_schema_field(t->schema, c));
    if (qv__compare_arrays(t->want[c], qv_record_batch_column(got, c), name, 0, &err) != QV_OK) {
      qv_test_fail(__FILE__, __LINE__, "%s: %s", p->name, err.message);
      goto done;
    }
  }
  /* Page structure: several data pages per chunk, dictionaries only when asked. */
  int dict_chunks = 0, multi_page = 0;
  for (int32_t g = 0; g < qv_parquet_reader_num_row_groups(r); g++) {
    for (int32_t c = 0; c < qv_parquet_reader_num_columns(r); c++) {
      qv_parquet_column_chunk_info ci;
      int counts[4][10];
      if (qv_parquet_reader_column_chunk(r, g, c, &ci, &err) != QV_OK || count_pages(&file, &ci, counts, &err) != QV_OK) {
        qv_test_fail(__FILE__, __LINE__, "%s: %s", p->name, err.message);
        goto done;
      }
      int data_type = p->version == 1 ? QV_PQ_DATA_PAGE : QV_PQ_DATA_PAGE_V2, data = 0;
      for (int e = 0; e < 10; e++) data += counts[data_type][e];
      multi_page += data > 1;
      dict_chunks += counts[QV_PQ_DICTIONARY_PAGE][QV_PARQUET_PLAIN] == 1;
      if (ci.codec != p->codec || (!p->dictionary && has_encoding(&ci, QV_PARQUET_RLE_DICTIONARY)))
        qv_test_fail(__FILE__, __LINE__, "%s: chunk %d/%d has codec %d or a dictionary", p->name, g, c, ci.codec);
    }
  }
  if (multi_page < 10 || (p->dictionary ? dict_chunks < 10 : dict_chunks != 0))
    qv_test_fail(__FILE__, __LINE__, "%s: %d multi-page chunks, %d with dictionaries", p->name, multi_page,
                 dict_chunks);
done:
  qv_record_batch_unref(got);
  qv_parquet_reader_destroy(r);
  qv_bytes_reset(&file);
}

QV_TEST(pqw_every_type_every_profile) {
  pqw_table t;
  pqw_table_build(&t, 3000, 1);
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) roundtrip_profile(&t, &profiles[i]);
  pqw_table_reset(&t);
}

QV_TEST(pqw_default_options_and_arrow_schema) {
  pqw_table t;
  pqw_table_build(&t, 2000, 7);
  qv_error err;
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  int64_t cuts[] = {0, 2000};
  CHECK_OK(write_table(&t, NULL, cuts, 2, &file, &err), &err);
  qv_parquet_reader *r;
  CHECK_OK(open_bytes(&file, &r, &err), &err);
  CHECK_EQ_INT(qv_parquet_reader_num_row_groups(r), 1);
  CHECK_STR_EQ(qv_parquet_reader_created_by(r), "quiver version 0.1.0");
  /* The restored Arrow types: large types, zones and durations. */
  const qv_schema *s = qv_parquet_reader_schema(r);
  for (int32_t c = 0; c < t.n_columns; c++) {
    if (!qv_type_equals(qv_field_type(qv_schema_field(s, c)), qv_array_type(t.want[c])) &&
        qv_type_id_of(qv_array_type(t.want[c])) != QV_MAP) {
      char a[128], b[128];
      qv_test_fail(__FILE__, __LINE__, "column %d: read as %s, want %s", c,
                   qv_type_to_string(qv_field_type(qv_schema_field(s, c)), a, sizeof a),
                   qv_type_to_string(qv_array_type(t.want[c]), b, sizeof b));
    }
  }
  qv_record_batch *got;
  CHECK_OK(read_all(r, &got, &err), &err);
  for (int32_t c = 0; c < t.n_columns; c++)
    CHECK_OK(qv__compare_arrays(t.want[c], qv_record_batch_column(got, c), "col", 0, &err), &err);
  qv_record_batch_unref(got);
  qv_parquet_reader_destroy(r);
  /* Without ARROW:schema, Parquet's own types come back (utf8, not large). */
  qv_parquet_write_options opts;
  qv_parquet_write_options_init(&opts);
  opts.store_arrow_schema = false;
  file.size = 0;
  CHECK_OK(write_table(&t, &opts, cuts, 2, &file, &err), &err);
  CHECK_OK(open_bytes(&file, &r, &err), &err);
  int32_t k = qv_schema_field_index(qv_parquet_reader_schema(r), "large_utf8");
  CHECK(k >= 0);
  CHECK_EQ_INT(qv_type_id_of(qv_field_type(qv_schema_field(qv_parquet_reader_schema(r), k))), QV_UTF8);
  qv_parquet_reader_destroy(r);
  qv_bytes_reset(&file);
  pqw_table_reset(&t);
}

/* ---- row groups, flush, empty files --------------------------------------------------------- */

QV_TEST(pqw_row_groups_and_flush) {
  pqw_table t;
  pqw_table_build(&t, 2500, 3);
  qv_error err;
  qv_parquet_write_options opts;
  qv_parquet_write_options_init(&opts);
  opts.row_group_size = 1000;
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  qv_parquet_writer *w;
  CHECK_OK(qv_parquet_writer_create(t.schema, &opts, qv_ipc_sink_bytes(&file), &w, &err), &err);
  for (int64_t at = 0; at < 2500; at += 250) {
    qv_record_batch *b = pqw_table_batch(&t, at, 250);
    CHECK_OK(qv_parquet_writer_write(w, b, &err), &err);
    qv_record_batch_unref(b);
    if (at == 1250) CHECK_OK(qv_parquet_writer_flush(w, &err), &err); /* a row group of 500 */
  }
  qv_record_batch *empty = pqw_table_batch(&t, 0, 0);
  CHECK_OK(qv_parquet_writer_write(w, empty, &err), &err);
  qv_record_batch_unref(empty);
  CHECK_OK(qv_parquet_writer_close(w, &err), &err);
  CHECK(qv_parquet_writer_bytes_written(w) == file.size);
  CHECK_STATUS(qv_parquet_writer_close(w, &err), QV_INVALID);
  qv_parquet_writer_destroy(w);
  qv_parquet_reader *r;
  CHECK_OK(open_bytes(&file, &r, &err), &err);
  static const int64_t rows[] = {1000, 500, 1000};
  CHECK_EQ_INT(qv_parquet_reader_num_row_groups(r), 3);
  for (int32_t g = 0; g < 3; g++) {
    qv_parquet_row_group_info info;
    CHECK_OK(qv_parquet_reader_row_group(r, g, &info, &err), &err);
    CHECK_EQ_INT(info.num_rows, rows[g]);
  }
  qv_record_batch *got;
  CHECK_OK(read_all(r, &got, &err), &err);
  for (int32_t c = 0; c < t.n_columns; c++)
    CHECK_OK(qv__compare_arrays(t.want[c], qv_record_batch_column(got, c), "col", 0, &err), &err);
  qv_record_batch_unref(got);
  qv_parquet_reader_destroy(r);
  qv_bytes_reset(&file);
  pqw_table_reset(&t);
}

QV_TEST(pqw_empty_file) {
  pqw_table t;
  pqw_table_build(&t, 10, 4);
  qv_error err;
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  int64_t cuts[] = {0};
  CHECK_OK(write_table(&t, NULL, cuts, 1, &file, &err), &err);
  qv_parquet_reader *r;
  CHECK_OK(open_bytes(&file, &r, &err), &err);
  CHECK_EQ_INT(qv_parquet_reader_num_rows(r), 0);
  CHECK_EQ_INT(qv_parquet_reader_num_row_groups(r), 0);
  CHECK_EQ_INT(qv_schema_num_fields(qv_parquet_reader_schema(r)), t.n_columns);
  qv_parquet_reader_destroy(r);
  qv_bytes_reset(&file);
  pqw_table_reset(&t);
}

QV_TEST(pqw_write_file) {
  pqw_table t;
  pqw_table_build(&t, 500, 5);
  char path[] = "/tmp/quiver-pqw-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  qv_record_batch *b[2] = {pqw_table_batch(&t, 0, 123), pqw_table_batch(&t, 123, 377)};
  qv_error err;
  qv_status st = qv_parquet_write_file(path, t.schema, b, 2, NULL, &err);
  qv_record_batch_unref(b[0]);
  qv_record_batch_unref(b[1]);
  CHECK_OK(st, &err);
  qv_parquet_reader *r;
  CHECK_OK(qv_parquet_reader_open(path, NULL, &r, &err), &err);
  qv_record_batch *got;
  CHECK_OK(read_all(r, &got, &err), &err);
  for (int32_t c = 0; c < t.n_columns; c++)
    CHECK_OK(qv__compare_arrays(t.want[c], qv_record_batch_column(got, c), "col", 0, &err), &err);
  qv_record_batch_unref(got);
  qv_parquet_reader_destroy(r);
  remove(path);
  /* A path that cannot be created. */
  CHECK_STATUS(qv_parquet_write_file("/nonexistent-dir/x.parquet", t.schema, NULL, 0, NULL, &err), QV_IO);
  CHECK(strstr(err.message, "/nonexistent-dir/x.parquet") != NULL);
  pqw_table_reset(&t);
}

/* ---- dictionaries ------------------------------------------------------------------------- */

/* Writes one column and opens the result. */
static qv_status write_column(const char *name, qv_array *const *parts, int n_parts, bool nullable,
                              const qv_parquet_write_options *opts, qv_bytes *file, qv_parquet_reader **r,
                              qv_error *err) {
  qv_field *f = pqw_field(name, qv_array_type(parts[0]), nullable);
  qv_schema *schema;
  qv_status st = qv_schema_create(&f, 1, NULL, &schema, err);
  qv_field_unref(f);
  if (st != QV_OK) return st;
  qv_parquet_writer *w = NULL;
  st = qv_parquet_writer_create(schema, opts, qv_ipc_sink_bytes(file), &w, err);
  for (int i = 0; st == QV_OK && i < n_parts; i++) {
    qv_record_batch *b;
    st = qv_record_batch_create(schema, qv_array_length(parts[i]), &parts[i], 1, &b, err);
    if (st == QV_OK) st = qv_parquet_writer_write(w, b, err);
    qv_record_batch_unref(b);
  }
  if (st == QV_OK) st = qv_parquet_writer_close(w, err);
  qv_parquet_writer_destroy(w);
  qv_schema_unref(schema);
  if (st == QV_OK) st = open_bytes(file, r, err);
  return st;
}

/* Data pages of chunk (0, 0) per encoding: [PLAIN, RLE_DICTIONARY], and
 * whether a dictionary page came first. */
static qv_status page_kinds(const qv_bytes *file, qv_parquet_reader *r, int *plain, int *dict, bool *dict_page,
                            qv_error *err) {
  qv_parquet_column_chunk_info ci;
  int counts[4][10];
  QV_RETURN_NOT_OK(qv_parquet_reader_column_chunk(r, 0, 0, &ci, err));
  QV_RETURN_NOT_OK(count_pages(file, &ci, counts, err));
  *plain = counts[QV_PQ_DATA_PAGE][QV_PARQUET_PLAIN] + counts[QV_PQ_DATA_PAGE_V2][QV_PARQUET_PLAIN];
  *dict = counts[QV_PQ_DATA_PAGE][QV_PARQUET_RLE_DICTIONARY] + counts[QV_PQ_DATA_PAGE_V2][QV_PARQUET_RLE_DICTIONARY];
  *dict_page = counts[QV_PQ_DICTIONARY_PAGE][QV_PARQUET_PLAIN] == 1 && ci.has_dictionary_page;
  return QV_OK;
}

QV_TEST(pqw_dictionary_decisions) {
  enum { N = 20000 };
  int64_t *v = malloc(N * sizeof *v);
  CHECK(v != NULL);
  qv_error err;
  qv_parquet_write_options opts;
  qv_parquet_write_options_init(&opts);
  opts.data_page_size = 4096;
  static const struct {
    const char *what;
    int64_t modulus;       /* distinct values */
    int64_t dict_limit;
    bool want_dict_page;
    bool want_plain_pages;
  } cases[] = {
      {"low cardinality: dictionary only", 50, 1 << 20, true, false},
      {"unique values: the dictionary does not pay off", N, 1 << 20, false, true},
      {"few values, then new ones: the dictionary fills up", 0, 8000, true, true},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    for (int64_t i = 0; i < N; i++)
      v[i] = cases[k].modulus ? (i * 7919) % cases[k].modulus * 1000003 : i < N / 4 ? i % 40 : i;
    qv_array *a = pqw_ints(qv_type_primitive(QV_INT64), v, NULL, N);
    opts.dictionary_page_size = cases[k].dict_limit;
    qv_bytes file;
    qv_bytes_init(&file, NULL);
    qv_parquet_reader *r = NULL;
    qv_record_batch *got = NULL;
    int plain = 0, dict = 0;
    bool dict_page = false;
    qv_status st = write_column("v", &a, 1, false, &opts, &file, &r, &err);
    if (st == QV_OK) st = page_kinds(&file, r, &plain, &dict, &dict_page, &err);
    if (st == QV_OK) st = read_all(r, &got, &err);
    if (st == QV_OK) st = qv__compare_arrays(a, qv_record_batch_column(got, 0), "v", 0, &err);
    if (st != QV_OK) qv_test_fail(__FILE__, __LINE__, "%s: %s", cases[k].what, err.message);
    else if (dict_page != cases[k].want_dict_page || (dict > 0) != cases[k].want_dict_page ||
             (plain > 0) != cases[k].want_plain_pages)
      qv_test_fail(__FILE__, __LINE__, "%s: dictionary page %d, %d dictionary and %d plain data pages",
                   cases[k].what, dict_page, dict, plain);
    qv_record_batch_unref(got);
    qv_parquet_reader_destroy(r);
    qv_bytes_reset(&file);
    qv_array_unref(a);
  }
  free(v);
}

/* dictionary(int32 -> utf8) batches with different dictionaries (and a null
 * dictionary value): the Parquet dictionary holds the values used, once. */
QV_TEST(pqw_arrow_dictionaries_across_batches) {
  qv_error err;
  const char *d1[] = {"red", "green", NULL, "blue"};
  const char *d2[] = {"blue", "black", "red"};
  qv_array *dicts[2] = {pqw_strings(qv_type_primitive(QV_UTF8), d1, 4), pqw_strings(qv_type_primitive(QV_UTF8), d2, 3)};
  int64_t idx1[] = {0, 1, 2, 3, 0, 0, 1, 3}, idx2[] = {2, 1, 0, 1, 1};
  bool ok1[] = {true, true, true, true, false, true, true, true};
  qv_data_type *t;
  CHECK_OK(qv_type_dictionary(qv_type_primitive(QV_INT32), qv_type_primitive(QV_UTF8), false, &t, &err), &err);
  qv_array *parts[2];
  const int64_t *idx[2] = {idx1, idx2};
  const bool *oks[2] = {ok1, NULL};
  int64_t lens[2] = {8, 5};
  for (int k = 0; k < 2; k++) {
    qv_array *ia = pqw_ints(qv_type_primitive(QV_INT32), idx[k], oks[k], lens[k]);
    qv_buffer *bufs[2] = {qv_array_buffer(ia, 0), qv_array_buffer(ia, 1)};
    CHECK_OK(qv_array_create(t, lens[k], 0, -1, bufs, 2, NULL, 0, dicts[k], &parts[k], &err), &err);
    qv_array_unref(ia);
  }
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  qv_parquet_reader *r;
  CHECK_OK(write_column("colour", parts, 2, true, NULL, &file, &r, &err), &err);
  const char *want[] = {"red", "green", NULL, "blue", NULL, "red", "green", "blue",
                        "red", "black", "blue", "black", "black"};
  qv_array *w = pqw_strings(qv_type_primitive(QV_UTF8), want, 13);
  qv_record_batch *got;
  CHECK_OK(read_all(r, &got, &err), &err);
  CHECK_OK(qv__compare_arrays(w, qv_record_batch_column(got, 0), "colour", 0, &err), &err);
  int plain, dict;
  bool dict_page;
  CHECK_OK(page_kinds(&file, r, &plain, &dict, &dict_page, &err), &err);
  CHECK(dict_page && dict == 1 && plain == 0);
  /* The dictionary holds the four values used, and min/max/null count fit. */
  qv_parquet_column_chunk_info ci;
  CHECK_OK(qv_parquet_reader_column_chunk(r, 0, 0, &ci, &err), &err);
  CHECK(ci.has_statistics && ci.statistics.has_min_max);
  CHECK_EQ_INT(ci.statistics.null_count, 2);
  CHECK(ci.statistics.min_length == 5 && memcmp(ci.statistics.min, "black", 5) == 0);
  CHECK(ci.statistics.max_length == 3 && memcmp(ci.statistics.max, "red", 3) == 0);
  qv_record_batch_unref(got);
  qv_parquet_reader_destroy(r);
  qv_bytes_reset(&file);
  qv_array_unref(w);
  qv_array_unref(parts[0]);
  qv_array_unref(parts[1]);
  qv_array_unref(dicts[0]);
  qv_array_unref(dicts[1]);
  qv_type_unref(t);
}

/* ---- statistics ----------------------------------------------------------------------------- */

static int64_t le_int(const uint8_t *p, int64_t len) {
  int64_t v = 0;
  memcpy(&v, p, (size_t)(len > 8 ? 8 : len));
  if (len == 4) v = (int32_t)v;
  return v;
}

QV_TEST(pqw_statistics) {
  qv_error err;
  enum { N = 5 };
  bool some[N] = {true, true, true, false, true};
  qv_field *fields[16];
  qv_array *cols[16];
  int nc = 0;
#define COL(name, arr) (cols[nc] = (arr), fields[nc] = pqw_field(name, qv_array_type(cols[nc]), true), nc++)
  int64_t i32[N] = {5, -7, 100, 0, 3};
  COL("i32", pqw_ints(qv_type_primitive(QV_INT32), i32, some, N));
  int64_t u32[N] = {1, 0xFFFFFFFFLL, 7, 0, 2147483648LL};
  COL("u32", pqw_ints(qv_type_primitive(QV_UINT32), u32, some, N));
  int64_t u64[N] = {1, -1, INT64_MIN, 0, 2};
  COL("u64", pqw_ints(qv_type_primitive(QV_UINT64), u64, some, N));
  int64_t u8[N] = {255, 1, 128, 0, 2};
  COL("u8", pqw_ints(qv_type_primitive(QV_UINT8), u8, some, N));
  const char *strs[N] = {"b", "\xc3\xa9", "a", NULL, "ab"};
  COL("utf8", pqw_strings(qv_type_primitive(QV_UTF8), strs, N));
  double f[N] = {0.0 / 0.0, 2.5, -0.0, 0, -1.5};
  COL("f64", pqw_doubles(qv_type_primitive(QV_FLOAT64), f, some, N));
  double zeros[N] = {0.0, 0.0, 0.0 / 0.0, 0, 0.0};
  COL("zeros", pqw_doubles(qv_type_primitive(QV_FLOAT32), zeros, some, N));
  double nans[N] = {0.0 / 0.0, 0.0 / 0.0, 0.0 / 0.0, 0, 0.0 / 0.0};
  COL("nans", pqw_doubles(qv_type_primitive(QV_FLOAT64), nans, some, N));
  int64_t dv[N] = {-5, 3, -100, 0, 7};
  qv_data_type *d38, *d9;
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 38, 2, &d38, &err), &err);
  CHECK_OK(qv_type_decimal(QV_DECIMAL128, 9, 2, &d9, &err), &err);
  COL("dec38", pqw_ints(d38, dv, some, N));
  COL("dec9", pqw_ints(d9, dv, some, N));
  int64_t bools[N] = {1, 1, 1, 0, 1};
  COL("bool", pqw_ints(qv_type_primitive(QV_BOOL), bools, some, N));
  bool none[N] = {false, false, false, false, false};
  COL("all_null", pqw_ints(qv_type_primitive(QV_INT64), i32, none, N));
  const char *longs[N] = {"short", "a string longer than the limit", "z", NULL, "m"};
  COL("long", pqw_strings(qv_type_primitive(QV_UTF8), longs, N));
  const char *fixed[N] = {"\x7f\x01", "\x01\x02", "\xff\x01", NULL, "\x80\x01"};
  qv_data_type *fsb;
  CHECK_OK(qv_type_fixed_size_binary(2, &fsb, &err), &err);
  COL("fixed", pqw_strings(fsb, fixed, N));
#undef COL
  qv_schema *schema;
  CHECK_OK(qv_schema_create(fields, nc, NULL, &schema, &err), &err);
  qv_record_batch *b;
  CHECK_OK(qv_record_batch_create(schema, N, cols, nc, &b, &err), &err);
  for (int i = 0; i < nc; i++) {
    qv_field_unref(fields[i]);
    qv_array_unref(cols[i]);
  }
  qv_type_unref(d38);
  qv_type_unref(d9);
  qv_type_unref(fsb);
  qv_parquet_write_options opts;
  qv_parquet_write_options_init(&opts);
  opts.max_statistics_size = 16;
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  qv_parquet_writer *w;
  CHECK_OK(qv_parquet_writer_create(schema, &opts, qv_ipc_sink_bytes(&file), &w, &err), &err);
  CHECK_OK(qv_parquet_writer_write(w, b, &err), &err);
  CHECK_OK(qv_parquet_writer_close(w, &err), &err);
  qv_parquet_writer_destroy(w);
  qv_record_batch_unref(b);
  qv_schema_unref(schema);
  qv_parquet_reader *r;
  CHECK_OK(open_bytes(&file, &r, &err), &err);
  qv_parquet_statistics s[16];
  for (int i = 0; i < nc; i++) {
    qv_parquet_column_chunk_info ci;
    CHECK_OK(qv_parquet_reader_column_chunk(r, 0, i, &ci, &err), &err);
    CHECK(ci.has_statistics && ci.statistics.has_null_count);
    CHECK_EQ_INT(ci.statistics.null_count, i == 11 ? 5 : 1);
    s[i] = ci.statistics;
  }
  CHECK(s[0].has_min_max && le_int(s[0].min, 4) == -7 && le_int(s[0].max, 4) == 100);
  CHECK((uint32_t)le_int(s[1].min, 4) == 1 && (uint32_t)le_int(s[1].max, 4) == 0xFFFFFFFFu); /* unsigned */
  CHECK((uint64_t)le_int(s[2].min, 8) == 1 && (uint64_t)le_int(s[2].max, 8) == UINT64_MAX);
  CHECK(le_int(s[3].min, 4) == 1 && le_int(s[3].max, 4) == 255);
  CHECK(s[4].min_length == 1 && s[4].min[0] == 'a' && s[4].max_length == 2 && s[4].max[0] == 0xc3); /* byte-wise */
  double mn, mx;
  memcpy(&mn, s[5].min, 8);
  memcpy(&mx, s[5].max, 8);
  CHECK(mn == -1.5 && mx == 2.5); /* NaN skipped */
  float zmn, zmx;
  memcpy(&zmn, s[6].min, 4);
  memcpy(&zmx, s[6].max, 4);
  CHECK(zmn == 0 && signbit(zmn) && zmx == 0 && !signbit(zmx)); /* -0.0 and +0.0 */
  CHECK(!s[7].has_min_max);                                       /* only NaN */
  /* dec38 is big-endian FIXED_LEN_BYTE_ARRAY compared signed: min -100, max 7. */
  qv_array *v;
  CHECK_OK(qv_parquet_statistics_value(r, 8, s[8].min, s[8].min_length, &v, &err), &err);
  CHECK(le_int(qv_buffer_data(qv_array_buffer(v, 1)), 8) == -100);
  qv_array_unref(v);
  CHECK_OK(qv_parquet_statistics_value(r, 8, s[8].max, s[8].max_length, &v, &err), &err);
  CHECK(le_int(qv_buffer_data(qv_array_buffer(v, 1)), 8) == 7);
  qv_array_unref(v);
  CHECK(le_int(s[9].min, 4) == -100 && le_int(s[9].max, 4) == 7);
  CHECK(s[10].min[0] == 1 && s[10].max[0] == 1);
  CHECK(!s[11].has_min_max);
  CHECK(!s[12].has_min_max); /* over max_statistics_size */
  CHECK(memcmp(s[13].min, "\x01\x02", 2) == 0 && memcmp(s[13].max, "\xff\x01", 2) == 0);
  qv_parquet_reader_destroy(r);
  qv_bytes_reset(&file);
}

/* null_count of nested columns: every level entry without a value. */
QV_TEST(pqw_statistics_nested_and_pages) {
  pqw_table t;
  pqw_table_build(&t, 1500, 11);
  qv_error err;
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  qv_parquet_write_options opts;
  qv_parquet_write_options_init(&opts);
  opts.row_group_size = 600;
  opts.data_page_size = 700;
  int64_t cuts[] = {0, 1500};
  CHECK_OK(write_table(&t, &opts, cuts, 2, &file, &err), &err);
  qv_parquet_reader *r;
  CHECK_OK(open_bytes(&file, &r, &err), &err);
  /* For each leaf, count levels and values by reading the chunk's data. */
  int32_t list_col = -1;
  for (int32_t c = 0; c < qv_parquet_reader_num_columns(r); c++) {
    qv_parquet_column_info info;
    CHECK_OK(qv_parquet_reader_column(r, c, &info, &err), &err);
    if (strcmp(info.path, "list_int32.list.element") == 0) list_col = c;
  }
  CHECK(list_col >= 0);
  int32_t field = qv_schema_field_index(t.schema, "list_int32");
  const qv_array *list = t.in[field];
  int64_t row = 0;
  for (int32_t g = 0; g < qv_parquet_reader_num_row_groups(r); g++) {
    qv_parquet_row_group_info rg;
    qv_parquet_column_chunk_info ci;
    CHECK_OK(qv_parquet_reader_row_group(r, g, &rg, &err), &err);
    CHECK_OK(qv_parquet_reader_column_chunk(r, g, list_col, &ci, &err), &err);
    int64_t want_nulls = 0, want_levels = 0, lo = INT64_MAX, hi = INT64_MIN;
    const int32_t *off = (const int32_t *)(const void *)qv_buffer_data(qv_array_buffer(list, 1));
    const qv_array *child = qv_array_child(list, 0);
    const int32_t *cv = (const int32_t *)(const void *)qv_buffer_data(qv_array_buffer(child, 1));
    for (int64_t i = row; i < row + rg.num_rows; i++) {
      int64_t len = qv_array_is_valid(list, i) ? off[i + 1] - off[i] : 0;
      want_levels += len ? len : 1;
      want_nulls += len ? 0 : 1;
      for (int64_t j = off[i]; len && j < off[i + 1]; j++) {
        if (!qv_array_is_valid(child, j)) {
          want_nulls++;
        } else {
          lo = cv[j] < lo ? cv[j] : lo;
          hi = cv[j] > hi ? cv[j] : hi;
        }
      }
    }
    row += rg.num_rows;
    CHECK_EQ_INT(ci.num_values, want_levels);
    CHECK_EQ_INT(ci.statistics.null_count, want_nulls);
    CHECK(le_int(ci.statistics.min, 4) == lo && le_int(ci.statistics.max, 4) == hi);
  }
  qv_parquet_reader_destroy(r);
  /* Statistics can be turned off. */
  opts.statistics = false;
  file.size = 0;
  CHECK_OK(write_table(&t, &opts, cuts, 2, &file, &err), &err);
  CHECK_OK(open_bytes(&file, &r, &err), &err);
  qv_parquet_column_chunk_info ci;
  CHECK_OK(qv_parquet_reader_column_chunk(r, 0, 0, &ci, &err), &err);
  CHECK(!ci.has_statistics);
  qv_parquet_reader_destroy(r);
  qv_bytes_reset(&file);
  pqw_table_reset(&t);
}

/* ---- the RLE / bit-packing hybrid ------------------------------------------------------------ */

static uint64_t rle_rng = 99;
static uint32_t rle_random(void) {
  rle_rng = rle_rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(rle_rng >> 32);
}

/* Encodes v, decodes with the reader's decoder, compares; returns the size. */
static int64_t rle_check(const uint32_t *v, int64_t n, int w, bool *ok) {
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  qv_error err;
  *ok = false;
  uint32_t *back = malloc((size_t)(n ? n : 1) * sizeof *back);
  uint8_t *small = malloc((size_t)(n ? n : 1));
  if (!back || !small || qv__pqw_rle_encode_u32(v, n, w, &out, &err) != QV_OK) goto done;
  qv_pq_rle d;
  qv__pq_rle_init(&d, out.data, out.size, w);
  if (qv__pq_rle_get(&d, back, n, &err) != QV_OK || (n && memcmp(back, v, (size_t)n * 4) != 0)) goto done;
  if (w <= 8) { /* the byte variant must produce the same bytes */
    qv_bytes out8;
    qv_bytes_init(&out8, NULL);
    for (int64_t i = 0; i < n; i++) small[i] = (uint8_t)v[i];
    bool same = qv__pqw_rle_encode_u8(small, n, w, &out8, &err) == QV_OK && out8.size == out.size &&
                memcmp(out8.data, out.data, (size_t)out.size) == 0;
    qv_bytes_reset(&out8);
    if (!same) goto done;
  }
  *ok = true;
done:
  free(back);
  free(small);
  int64_t size = out.size;
  qv_bytes_reset(&out);
  return size;
}

QV_TEST(pqw_rle_encoder_against_decoder) {
  enum { N = 3000 };
  uint32_t *v = malloc(N * sizeof *v);
  CHECK(v != NULL);
  static const int64_t lengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, N};
  for (int w = 0; w <= 32; w++) {
    uint32_t mask = w == 32 ? UINT32_MAX : ((uint32_t)1 << w) - 1;
    for (int pattern = 0; pattern < 4; pattern++) {
      for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        int64_t n = lengths[li];
        int64_t run = 1;
        uint32_t cur = rle_random() & mask;
        for (int64_t i = 0; i < n; i++) {
          switch (pattern) {
            case 0: v[i] = rle_random() & mask; break;                 /* literals */
            case 1: v[i] = mask; break;                                 /* one run */
            case 2:                                                     /* runs of 1..20 */
              if (--run == 0) {
                run = 1 + rle_random() % 20;
                cur = rle_random() & mask;
              }
              v[i] = cur;
              break;
            default: v[i] = (i / 5) % 3 == 0 ? 0 : rle_random() & mask; /* short runs among literals */
          }
        }
        bool ok;
        int64_t size = rle_check(v, n, w, &ok);
        if (!ok) {
          qv_test_fail(__FILE__, __LINE__, "width %d, pattern %d, %lld values: round trip failed", w, pattern,
                       (long long)n);
          free(v);
          return;
        }
        if (pattern == 1 && n >= 8 && size > 5 + (w + 7) / 8)
          qv_test_fail(__FILE__, __LINE__, "width %d: a run of %lld takes %lld bytes", w, (long long)n,
                       (long long)size);
        if (pattern == 0 && size > (n + 7) / 8 * (w ? w : 1) + (n / 8 + 2) * 2 + 8)
          qv_test_fail(__FILE__, __LINE__, "width %d: %lld literals take %lld bytes", w, (long long)n,
                       (long long)size);
      }
    }
  }
  free(v);
}

/* ---- Thrift ---------------------------------------------------------------------------------- */

QV_TEST(pqw_page_header_roundtrip) {
  qv_pq_page_header h, back;
  memset(&h, 0, sizeof h);
  h.type = QV_PQ_DATA_PAGE_V2;
  h.uncompressed_page_size = 123456;
  h.compressed_page_size = 654;
  h.has_crc = true;
  h.crc = 0xdeadbeef;
  h.has_data_v2 = true;
  h.v2.num_values = 1000;
  h.v2.num_nulls = 17;
  h.v2.num_rows = 400;
  h.v2.encoding = QV_PARQUET_RLE_DICTIONARY;
  h.v2.def_length = 40;
  h.v2.rep_length = 30;
  h.v2.is_compressed = false;
  qv_bytes out;
  qv_bytes_init(&out, NULL);
  qv_error err;
  CHECK_OK(qv__pq_encode_page_header(&h, &out, &err), &err);
  int64_t hlen;
  CHECK_OK(qv__pq_decode_page_header(out.data, out.size, &back, &hlen, &err), &err);
  CHECK_EQ_INT(hlen, out.size);
  CHECK(back.type == h.type && back.uncompressed_page_size == 123456 && back.compressed_page_size == 654);
  CHECK(back.has_crc && back.crc == 0xdeadbeef && back.has_data_v2);
  CHECK(back.v2.num_values == 1000 && back.v2.num_nulls == 17 && back.v2.num_rows == 400);
  CHECK(back.v2.encoding == QV_PARQUET_RLE_DICTIONARY && back.v2.def_length == 40 && back.v2.rep_length == 30);
  CHECK(!back.v2.is_compressed);
  /* A dictionary page header, and field ids over 15 apart (long form). */
  out.size = 0;
  memset(&h, 0, sizeof h);
  h.type = QV_PQ_DICTIONARY_PAGE;
  h.has_dict = true;
  h.dict.num_values = -1; /* zigzag of a negative */
  h.dict.encoding = QV_PARQUET_PLAIN;
  CHECK_OK(qv__pq_encode_page_header(&h, &out, &err), &err);
  CHECK_OK(qv__pq_decode_page_header(out.data, out.size, &back, &hlen, &err), &err);
  CHECK(back.has_dict && back.dict.num_values == -1 && back.dict.encoding == QV_PARQUET_PLAIN);
  qv_pq_tw tw;
  out.size = 0;
  qv__pq_tw_init(&tw, &out);
  qv__pq_tw_i64(&tw, 200, INT64_MIN);
  qv__pq_tw_struct_end(&tw);
  CHECK_OK(qv__pq_tw_finish(&tw, &err), &err);
  qv_pq_thrift t;
  qv__pq_thrift_init(&t, out.data, out.size);
  int16_t id = 0;
  int type;
  int64_t v;
  CHECK_OK(qv__pq_thrift_field(&t, &id, &type, &err), &err);
  CHECK(id == 200 && type == QV_PQ_T_I64);
  CHECK_OK(qv__pq_thrift_i64(&t, &v, &err), &err);
  CHECK(v == INT64_MIN);
  qv_bytes_reset(&out);
}

QV_TEST(pqw_footer_fields) {
  pqw_table t;
  pqw_table_build(&t, 300, 2);
  qv_error err;
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  qv_parquet_write_options opts;
  qv_parquet_write_options_init(&opts);
  opts.row_group_size = 100;
  opts.created_by = "test writer version 1";
  int64_t cuts[] = {0, 300};
  CHECK_OK(write_table(&t, &opts, cuts, 2, &file, &err), &err);
  uint32_t flen;
  memcpy(&flen, file.data + file.size - 8, 4);
  CHECK(memcmp(file.data, "PAR1", 4) == 0 && memcmp(file.data + file.size - 4, "PAR1", 4) == 0);
  qv_arena arena;
  qv_arena_init(&arena, NULL);
  qv_pq_file_meta m;
  CHECK_OK(qv__pq_decode_file_meta(file.data + file.size - 8 - flen, flen, &arena, &m, &err), &err);
  CHECK_EQ_INT(m.version, 2);
  CHECK_EQ_INT(m.num_rows, 300);
  CHECK_EQ_INT(m.n_row_groups, 3);
  CHECK(m.created_by.len == 21 && memcmp(m.created_by.data, "test writer version 1", 21) == 0);
  CHECK(m.n_column_orders == m.row_groups[0].n_columns && m.column_orders[0] == 1);
  bool arrow_schema = false;
  for (int32_t i = 0; i < m.n_key_values; i++)
    arrow_schema |= m.key_values[i].key.len == 12 && memcmp(m.key_values[i].key.data, "ARROW:schema", 12) == 0;
  CHECK(arrow_schema);
  int64_t prev_end = 4;
  for (int32_t g = 0; g < m.n_row_groups; g++) {
    const qv_pq_row_group *rg = &m.row_groups[g];
    CHECK(rg->has_file_offset && rg->file_offset == prev_end && rg->has_total_compressed_size);
    int64_t pos = rg->file_offset;
    for (int32_t c = 0; c < rg->n_columns; c++) {
      const qv_pq_column_meta *cm = &rg->columns[c].meta;
      int64_t start = cm->has_dictionary_page_offset ? cm->dictionary_page_offset : cm->data_page_offset;
      CHECK_EQ_INT(start, pos); /* chunks are contiguous, in schema order */
      pos += cm->total_compressed_size;
      CHECK(cm->has_statistics && cm->statistics.has_null_count);
    }
    CHECK_EQ_INT(pos - rg->file_offset, rg->total_compressed_size);
    prev_end = pos;
  }
  CHECK_EQ_INT(prev_end, (int64_t)file.size - 8 - flen);
  /* Logical types as the specification spells them. */
  for (int32_t i = 0; i < m.n_schema; i++) {
    const qv_pq_schema_element *e = &m.schema[i];
    if (strcmp(e->name, "uint32") == 0)
      CHECK(e->logical.kind == QV_PQ_LT_INTEGER && e->logical.bit_width == 32 && !e->logical.is_signed);
    if (strcmp(e->name, "ts_us_utc") == 0)
      CHECK(e->logical.kind == QV_PQ_LT_TIMESTAMP && e->logical.adjusted_to_utc && e->logical.unit == QV_PQ_MICROS);
    if (strcmp(e->name, "ts_ms") == 0) CHECK(e->logical.kind == QV_PQ_LT_TIMESTAMP && !e->logical.adjusted_to_utc);
    if (strcmp(e->name, "dec38") == 0)
      CHECK(e->type == QV_PARQUET_FIXED_LEN_BYTE_ARRAY && e->type_length == 16 && e->logical.precision == 38);
    if (strcmp(e->name, "dec9") == 0) CHECK(e->type == QV_PARQUET_INT32 && e->logical.scale == 2);
    if (strcmp(e->name, "map") == 0) CHECK(e->logical.kind == QV_PQ_LT_MAP && e->num_children == 1);
  }
  qv_arena_reset(&arena);
  qv_bytes_reset(&file);
  pqw_table_reset(&t);
}

/* ---- errors ------------------------------------------------------------------------------------ */

static qv_status schema_of(const char *name, qv_data_type *type, bool nullable, qv_schema **out, qv_error *err) {
  qv_field *f = pqw_field(name, type, nullable);
  qv_status st = qv_schema_create(&f, 1, NULL, out, err);
  qv_field_unref(f);
  return st;
}

QV_TEST(pqw_unsupported_types_and_options) {
  qv_error err;
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  qv_parquet_writer *w;
  qv_schema *s;
  /* A union. */
  qv_field *kids[2] = {pqw_field("i", qv_type_primitive(QV_INT32), true), pqw_field("s", qv_type_primitive(QV_UTF8), true)};
  int8_t codes[2] = {0, 1};
  qv_data_type *u;
  CHECK_OK(qv_type_union(QV_SPARSE_UNION, kids, codes, 2, &u, &err), &err);
  CHECK_OK(schema_of("choice", u, true, &s, &err), &err);
  CHECK_STATUS(qv_parquet_writer_create(s, NULL, qv_ipc_sink_bytes(&file), &w, &err), QV_NOT_IMPLEMENTED);
  CHECK(w == NULL && strstr(err.message, "'choice'") != NULL);
  qv_schema_unref(s);
  qv_type_unref(u);
  qv_field_unref(kids[0]);
  qv_field_unref(kids[1]);
  /* An interval, nested in a struct. */
  qv_field *iv = pqw_field("every", qv_type_primitive(QV_INTERVAL_DAY_TIME), true);
  qv_data_type *st;
  CHECK_OK(qv_type_struct(&iv, 1, &st, &err), &err);
  CHECK_OK(schema_of("outer", st, true, &s, &err), &err);
  CHECK_STATUS(qv_parquet_writer_create(s, NULL, qv_ipc_sink_bytes(&file), &w, &err), QV_NOT_IMPLEMENTED);
  CHECK(strstr(err.message, "'every'") != NULL);
  qv_schema_unref(s);
  qv_type_unref(st);
  qv_field_unref(iv);
  /* A struct without fields. */
  CHECK_OK(qv_type_struct(NULL, 0, &st, &err), &err);
  CHECK_OK(schema_of("hollow", st, true, &s, &err), &err);
  CHECK_STATUS(qv_parquet_writer_create(s, NULL, qv_ipc_sink_bytes(&file), &w, &err), QV_NOT_IMPLEMENTED);
  qv_schema_unref(s);
  qv_type_unref(st);
  /* Options. */
  CHECK_OK(schema_of("x", qv_type_primitive(QV_INT64), true, &s, &err), &err);
  qv_parquet_write_options opts;
  qv_parquet_write_options_init(&opts);
  opts.data_page_version = 3;
  CHECK_STATUS(qv_parquet_writer_create(s, &opts, qv_ipc_sink_bytes(&file), &w, &err), QV_INVALID);
  qv_parquet_write_options_init(&opts);
  opts.row_group_size = 0;
  CHECK_STATUS(qv_parquet_writer_create(s, &opts, qv_ipc_sink_bytes(&file), &w, &err), QV_INVALID);
  qv_parquet_write_options_init(&opts);
  opts.compression = QV_PARQUET_LZO;
  CHECK_STATUS(qv_parquet_writer_create(s, &opts, qv_ipc_sink_bytes(&file), &w, &err), QV_NOT_IMPLEMENTED);
  CHECK_STATUS(qv_parquet_writer_create(s, NULL, (qv_ipc_sink){0}, &w, &err), QV_INVALID);
  qv_schema_unref(s);
  CHECK_EQ_INT(file.size, 0);
  qv_bytes_reset(&file);
}

QV_TEST(pqw_bad_batches_leave_the_writer_usable) {
  qv_error err;
  qv_schema *s;
  CHECK_OK(schema_of("id", qv_type_primitive(QV_INT64), false, &s, &err), &err);
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  qv_parquet_writer *w;
  CHECK_OK(qv_parquet_writer_create(s, NULL, qv_ipc_sink_bytes(&file), &w, &err), &err);
  int64_t v[4] = {1, 2, 3, 4};
  bool ok[4] = {true, true, false, true};
  /* A null in the non-nullable column. */
  qv_array *a = pqw_ints(qv_type_primitive(QV_INT64), v, ok, 4);
  qv_record_batch *b;
  CHECK_OK(qv_record_batch_create(s, 4, &a, 1, &b, &err), &err);
  CHECK_STATUS(qv_parquet_writer_write(w, b, &err), QV_INVALID);
  CHECK(strstr(err.message, "'id'") != NULL && strstr(err.message, "row 2") != NULL);
  qv_record_batch_unref(b);
  qv_array_unref(a);
  /* A batch of another type. */
  qv_schema *s2;
  CHECK_OK(schema_of("id", qv_type_primitive(QV_INT32), false, &s2, &err), &err);
  a = pqw_ints(qv_type_primitive(QV_INT32), v, NULL, 4);
  CHECK_OK(qv_record_batch_create(s2, 4, &a, 1, &b, &err), &err);
  CHECK_STATUS(qv_parquet_writer_write(w, b, &err), QV_INVALID);
  qv_record_batch_unref(b);
  qv_array_unref(a);
  qv_schema_unref(s2);
  /* A good batch still goes through. */
  a = pqw_ints(qv_type_primitive(QV_INT64), v, NULL, 4);
  CHECK_OK(qv_record_batch_create(s, 4, &a, 1, &b, &err), &err);
  CHECK_OK(qv_parquet_writer_write(w, b, &err), &err);
  CHECK_OK(qv_parquet_writer_close(w, &err), &err);
  CHECK_STATUS(qv_parquet_writer_write(w, b, &err), QV_INVALID); /* closed */
  qv_parquet_writer_destroy(w);
  qv_parquet_reader *r;
  CHECK_OK(open_bytes(&file, &r, &err), &err);
  qv_record_batch *got;
  CHECK_OK(read_all(r, &got, &err), &err);
  CHECK_OK(qv__compare_arrays(a, qv_record_batch_column(got, 0), "id", 0, &err), &err);
  qv_record_batch_unref(got);
  qv_parquet_reader_destroy(r);
  qv_record_batch_unref(b);
  qv_array_unref(a);
  qv_schema_unref(s);
  qv_bytes_reset(&file);
}

/* Nulls in non-nullable nested fields: errors where the parents are valid,
 * fine under a null parent. */
QV_TEST(pqw_required_nested_nulls) {
  qv_error err;
  int64_t v[3] = {1, 2, 3};
  bool ok[3] = {true, false, true};
  qv_array *child = pqw_ints(qv_type_primitive(QV_INT32), v, ok, 3);
  qv_field *cf = pqw_field("c", qv_type_primitive(QV_INT32), false);
  qv_data_type *st;
  CHECK_OK(qv_type_struct(&cf, 1, &st, &err), &err);
  for (int parent_null = 0; parent_null < 2; parent_null++) {
    uint8_t bits = parent_null ? 0x5 : 0x7; /* slot 1 null or not */
    qv_buffer *valid;
    CHECK_OK(qv_buffer_copy(qv_default_allocator(), &bits, 1, &valid, &err), &err);
    qv_array *sa;
    CHECK_OK(qv_array_create(st, 3, 0, -1, &valid, 1, &child, 1, NULL, &sa, &err), &err);
    qv_buffer_unref(valid);
    qv_bytes file;
    qv_bytes_init(&file, NULL);
    qv_parquet_reader *r = NULL;
    qv_status s = write_column("s", &sa, 1, true, NULL, &file, &r, &err);
    if (parent_null) {
      CHECK_OK(s, &err);
      qv_record_batch *got;
      CHECK_OK(read_all(r, &got, &err), &err);
      CHECK(!qv_array_is_valid(qv_record_batch_column(got, 0), 1) && qv_array_is_valid(qv_record_batch_column(got, 0), 2));
      qv_record_batch_unref(got);
    } else {
      CHECK_EQ_INT(s, QV_INVALID);
      CHECK(strstr(err.message, "'s.c'") != NULL);
    }
    qv_parquet_reader_destroy(r);
    qv_bytes_reset(&file);
    qv_array_unref(sa);
  }
  /* A list of non-nullable elements holding a null. */
  qv_field *ef = pqw_field("element", qv_type_primitive(QV_INT32), false);
  qv_data_type *lt;
  CHECK_OK(qv_type_list(QV_LIST, ef, &lt, &err), &err);
  int32_t off[3] = {0, 1, 3};
  qv_buffer *bufs[2] = {NULL, NULL};
  CHECK_OK(qv_buffer_copy(qv_default_allocator(), off, sizeof off, &bufs[1], &err), &err);
  qv_array *la;
  CHECK_OK(qv_array_create(lt, 2, 0, -1, bufs, 2, &child, 1, NULL, &la, &err), &err);
  qv_buffer_unref(bufs[1]);
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  qv_parquet_reader *r = NULL;
  CHECK_STATUS(write_column("l", &la, 1, true, NULL, &file, &r, &err), QV_INVALID);
  qv_bytes_reset(&file);
  qv_array_unref(la);
  qv_type_unref(lt);
  qv_field_unref(ef);
  qv_type_unref(st);
  qv_field_unref(cf);
  qv_array_unref(child);
}

/* A sink that fails once `left` bytes are used up. */
typedef struct failing_sink {
  qv_bytes bytes;
  int64_t left;
} failing_sink;

static qv_status failing_write(void *ctx, const void *data, int64_t n, qv_error *err) {
  failing_sink *s = ctx;
  if (n > s->left) return qv_error_set(err, QV_IO, "disk full");
  s->left -= n;
  return qv_bytes_append(&s->bytes, data, n, err);
}

QV_TEST(pqw_failing_sink) {
  pqw_table t;
  pqw_table_build(&t, 400, 9);
  qv_error err;
  qv_parquet_write_options opts;
  qv_parquet_write_options_init(&opts);
  opts.row_group_size = 100;
  for (int64_t limit = 0; limit < 60000; limit = limit * 2 + 3) {
    failing_sink fs = {.left = limit};
    qv_bytes_init(&fs.bytes, NULL);
    qv_parquet_writer *w = NULL;
    qv_status st = qv_parquet_writer_create(t.schema, &opts, (qv_ipc_sink){failing_write, &fs}, &w, &err);
    qv_record_batch *b = pqw_table_batch(&t, 0, 400);
    if (st == QV_OK) st = qv_parquet_writer_write(w, b, &err);
    if (st == QV_OK) st = qv_parquet_writer_close(w, &err);
    if (st != QV_OK) {
      if (st != QV_IO || !strstr(err.message, "disk full"))
        qv_test_fail(__FILE__, __LINE__, "limit %lld: %s: %s", (long long)limit, qv_status_name(st), err.message);
      if (w && qv_parquet_writer_write(w, b, &err) != QV_INVALID)
        qv_test_fail(__FILE__, __LINE__, "limit %lld: a broken writer accepted a batch", (long long)limit);
    }
    qv_record_batch_unref(b);
    qv_parquet_writer_destroy(w);
    qv_bytes_reset(&fs.bytes);
  }
  pqw_table_reset(&t);
}

/* ---- allocation failures ---------------------------------------------------------------------- */

static qv_status write_with(qv_allocator *alloc, const pqw_table *t, int version, qv_bytes *out, qv_error *err) {
  qv_parquet_write_options opts;
  qv_parquet_write_options_init(&opts);
  opts.alloc = alloc;
  opts.compression = QV_PARQUET_ZSTD;
  opts.data_page_version = version;
  opts.row_group_size = 150;
  opts.data_page_size = 512;
  opts.dictionary_page_size = 700; /* some chunks fall back */
  out->size = 0;
  int64_t cuts[] = {0, 120, 300};
  return write_table(t, &opts, cuts, 3, out, err);
}

QV_TEST(pqw_allocation_failures) {
  pqw_table t;
  pqw_table_build(&t, 300, 13);
  qv_allocator *alloc;
  qv_error err;
  CHECK_OK(qv_allocator_create(0, &alloc, &err), &err);
  qv_bytes file, want;
  qv_bytes_init(&file, NULL);
  qv_bytes_init(&want, NULL);
  for (int version = 1; version <= 2; version++) {
    CHECK_OK(write_with(alloc, &t, version, &want, &err), &err);
    bool done = false;
    int64_t attempts = 0;
    for (int64_t n = 1; !done && n < 1000000; n += n < 300 ? 1 : n / 50) {
      qv_allocator_fail_after(alloc, n);
      qv_status st = write_with(alloc, &t, version, &file, &err);
      qv_allocator_fail_after(alloc, 0);
      attempts++;
      if (st == QV_OK) {
        done = true;
        if (file.size != want.size || memcmp(file.data, want.data, (size_t)file.size) != 0)
          qv_test_fail(__FILE__, __LINE__, "v%d: the file written after failures differs", version);
      } else if (st != QV_NOMEM) {
        qv_test_fail(__FILE__, __LINE__, "v%d, failing allocation %lld: %s: %s", version, (long long)n,
                     qv_status_name(st), err.message);
      }
      if (qv_allocator_bytes_allocated(alloc) != 0) {
        qv_test_fail(__FILE__, __LINE__, "v%d, failing allocation %lld: %lld bytes leaked", version, (long long)n,
                     (long long)qv_allocator_bytes_allocated(alloc));
        break;
      }
    }
    CHECK(done && attempts > 20);
  }
  qv_bytes_reset(&file);
  qv_bytes_reset(&want);
  qv_allocator_destroy(alloc);
  pqw_table_reset(&t);
}
