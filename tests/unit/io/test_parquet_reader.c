/* Tests of the public Parquet reader: the shared test files (every one read
 * whole and validated, at several batch sizes), metadata accessors and
 * typed statistics, error messages for missing, foreign, truncated and
 * corrupt files, hand-made hostile pages (bad dictionary indices, lying
 * counts and sizes, CRC mismatches) read under a capped allocator, and
 * allocation-failure injection proving every failure is QV_NOMEM and leaks
 * nothing. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quiver/array.h"
#include "quiver/parquet.h"
#include "quiver/pretty.h"
#include "test.h"
#include "test_parquet_util.h"

#define PQ_DIR QV_TESTDATA_DIR "/parquet"

/* Reads every batch of the file, validating each; returns the status and
 * the total number of rows. */
static qv_status read_all(qv_parquet_reader *r, int64_t *rows, qv_error *err) {
  qv_parquet_batch_reader *br;
  *rows = 0;
  QV_RETURN_NOT_OK(qv_parquet_reader_scan(r, NULL, 0, NULL, 0, &br, err));
  qv_status st = QV_OK;
  for (;;) {
    qv_record_batch *b;
    st = qv_parquet_batch_reader_next(br, &b, err);
    if (st != QV_OK || !b) break;
    *rows += qv_record_batch_num_rows(b);
    st = qv_record_batch_validate_full(b, err);
    qv_record_batch_unref(b);
    if (st != QV_OK) break;
  }
  qv_parquet_batch_reader_destroy(br);
  return st;
}

static qv_status read_file(const char *path, qv_allocator *alloc, int64_t batch_size, int64_t *rows, qv_error *err) {
  qv_parquet_read_options opts;
  qv_parquet_read_options_init(&opts);
  opts.alloc = alloc;
  if (batch_size) opts.batch_size = batch_size;
  qv_parquet_reader *r;
  QV_RETURN_NOT_OK(qv_parquet_reader_open(path, &opts, &r, err));
  qv_status st = read_all(r, rows, err);
  if (st == QV_OK && *rows != qv_parquet_reader_num_rows(r))
    st = qv_error_set(err, QV_INTERNAL, "read %lld rows, footer says %lld", (long long)*rows,
                      (long long)qv_parquet_reader_num_rows(r));
  qv_parquet_reader_destroy(r);
  return st;
}

QV_TEST(pq_reader_every_testdata_file) {
  DIR *dir = opendir(PQ_DIR);
  CHECK(dir != NULL);
  qv_allocator *alloc;
  qv_error err;
  CHECK_OK(qv_allocator_create((int64_t)256 << 20, &alloc, &err), &err);
  int files = 0;
  struct dirent *e;
  while ((e = readdir(dir))) {
    size_t n = strlen(e->d_name);
    if (n < 8 || strcmp(e->d_name + n - 8, ".parquet") != 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", PQ_DIR, e->d_name);
    bool corrupt = strstr(e->d_name, "corrupt-checksum") != NULL;
    static const int64_t batches[] = {0, 1, 7, 1000};
    for (size_t k = 0; k < sizeof batches / sizeof batches[0]; k++) {
      int64_t rows;
      qv_error_init(&err);
      qv_status st = read_file(path, alloc, batches[k], &rows, &err);
      if (corrupt) {
        if (st != QV_INVALID || !strstr(err.message, "CRC mismatch"))
          qv_test_fail(__FILE__, __LINE__, "%s: want a CRC error, got %s: %s", e->d_name, qv_status_name(st), err.message);
      } else if (st != QV_OK) {
        qv_test_fail(__FILE__, __LINE__, "%s (batch %lld): %s", e->d_name, (long long)batches[k], err.message);
      }
      if (qv_allocator_bytes_allocated(alloc) != 0)
        qv_test_fail(__FILE__, __LINE__, "%s: %lld bytes leaked", e->d_name, (long long)qv_allocator_bytes_allocated(alloc));
    }
    files++;
  }
  closedir(dir);
  qv_allocator_destroy(alloc);
  CHECK(files >= 50);
}

QV_TEST(pq_reader_alltypes_plain_values_and_schema) {
  qv_error err;
  qv_parquet_reader *r;
  CHECK_OK(qv_parquet_reader_open(PQ_DIR "/alltypes_plain.parquet", NULL, &r, &err), &err);
  qv_schema *s = qv_parquet_reader_schema(r);
  bool ok = qv_schema_num_fields(s) == 11 && qv_parquet_reader_num_rows(r) == 8 &&
            qv_parquet_reader_num_row_groups(r) == 1 && qv_parquet_reader_num_columns(r) == 11;
  char buf[128];
  ok = ok && strcmp(qv_type_to_string(qv_field_type(qv_schema_field(s, 10)), buf, sizeof buf), "timestamp[ns]") == 0;
  ok = ok && qv_type_id_of(qv_field_type(qv_schema_field(s, 9))) == QV_BINARY;
  /* Columns 0 (id) and 10 (timestamp_col), in reverse order. */
  int32_t fields[2] = {10, 0};
  qv_parquet_batch_reader *br = NULL;
  qv_record_batch *b = NULL;
  if (ok) ok = qv_parquet_reader_read_row_group(r, 0, fields, 2, &br, &err) == QV_OK;
  if (ok) ok = qv_parquet_batch_reader_next(br, &b, &err) == QV_OK && b && qv_record_batch_num_rows(b) == 8;
  if (ok) {
    static const int32_t ids[8] = {4, 5, 6, 7, 2, 3, 0, 1};
    const qv_array *id = qv_record_batch_column(b, 1);
    const int32_t *v = (const int32_t *)qv_buffer_data(qv_array_buffer(id, 1));
    for (int i = 0; i < 8; i++) ok &= v[i] == ids[i];
    qv_bytes text;
    qv_bytes_init(&text, NULL);
    ok = ok && qv_format_value(qv_record_batch_column(b, 0), 0, &text, &err) == QV_OK && text.size == 29 &&
         memcmp(text.data, "2009-03-01T00:00:00.000000000", 29) == 0;
    qv_bytes_reset(&text);
  }
  qv_record_batch_unref(b);
  b = NULL;
  if (ok) ok = qv_parquet_batch_reader_next(br, &b, &err) == QV_OK && b == NULL;
  qv_parquet_batch_reader_destroy(br);
  /* Bad selections. */
  int32_t twice[2] = {1, 1}, out_of_range[1] = {11};
  ok = ok && qv_parquet_reader_read_row_group(r, 0, twice, 2, &br, &err) == QV_INVALID;
  ok = ok && qv_parquet_reader_read_row_group(r, 0, out_of_range, 1, &br, &err) == QV_INVALID;
  ok = ok && qv_parquet_reader_read_row_group(r, 1, NULL, 0, &br, &err) == QV_INVALID;
  qv_parquet_reader_destroy(r);
  CHECK(ok);
}

QV_TEST(pq_reader_metadata_and_statistics) {
  qv_error err;
  qv_parquet_reader *r;
  CHECK_OK(qv_parquet_reader_open(PQ_DIR "/int64_decimal.parquet", NULL, &r, &err), &err);
  qv_parquet_column_info ci;
  qv_parquet_column_chunk_info ch;
  qv_parquet_row_group_info gi;
  bool ok = qv_parquet_reader_column(r, 0, &ci, &err) == QV_OK && ci.physical_type == QV_PARQUET_INT64 &&
            qv_type_id_of(ci.type) == QV_DECIMAL128 && strcmp(ci.logical_type, "DECIMAL(10,2)") == 0 &&
            ci.max_definition_level == 1 && ci.max_repetition_level == 0;
  ok = ok && qv_parquet_reader_column_chunk(r, 0, 0, &ch, &err) == QV_OK && ch.has_statistics &&
       ch.statistics.has_min_max && ch.statistics.has_null_count && ch.statistics.null_count == 0 &&
       ch.num_values == 24 && ch.codec == QV_PARQUET_UNCOMPRESSED;
  qv_array *mn = NULL, *mx = NULL;
  ok = ok && qv_parquet_statistics_value(r, 0, ch.statistics.min, ch.statistics.min_length, &mn, &err) == QV_OK;
  ok = ok && qv_parquet_statistics_value(r, 0, ch.statistics.max, ch.statistics.max_length, &mx, &err) == QV_OK;
  qv_bytes text;
  qv_bytes_init(&text, NULL);
  ok = ok && qv_format_value(mn, 0, &text, &err) == QV_OK && text.size == 4 && memcmp(text.data, "1.00", 4) == 0;
  text.size = 0;
  ok = ok && qv_format_value(mx, 0, &text, &err) == QV_OK && text.size == 5 && memcmp(text.data, "24.00", 5) == 0;
  qv_bytes_reset(&text);
  qv_array_unref(mn);
  qv_array_unref(mx);
  /* A statistic of the wrong size. */
  ok = ok && qv_parquet_statistics_value(r, 0, (const uint8_t *)"abc", 3, &mn, &err) == QV_INVALID;
  ok = ok && qv_parquet_reader_row_group(r, 0, &gi, &err) == QV_OK && gi.num_rows == 24 && gi.offset == 4;
  /* The midpoint rule: exactly one of two adjacent splits owns the group. */
  int64_t mid = gi.offset + gi.compressed_size / 2;
  ok = ok && qv_parquet_row_group_in_range(&gi, 0, mid + 1) && !qv_parquet_row_group_in_range(&gi, mid + 1, 1000);
  ok = ok && !qv_parquet_row_group_in_range(&gi, 0, mid) && qv_parquet_row_group_in_range(&gi, mid, 1000);
  ok = ok && qv_parquet_reader_column(r, 1, &ci, &err) == QV_INVALID;
  ok = ok && qv_parquet_reader_column_chunk(r, 1, 0, &ch, &err) == QV_INVALID;
  qv_parquet_reader_destroy(r);
  CHECK(ok);
  /* NaN bounds are not reported; key-value metadata of chunks is. */
  CHECK_OK(qv_parquet_reader_open(PQ_DIR "/nan_in_stats.parquet", NULL, &r, &err), &err);
  ok = qv_parquet_reader_column_chunk(r, 0, 0, &ch, &err) == QV_OK && ch.has_statistics && !ch.statistics.has_min_max;
  qv_parquet_reader_destroy(r);
  CHECK(ok);
  CHECK_OK(qv_parquet_reader_open(PQ_DIR "/column_chunk_key_value_metadata.parquet", NULL, &r, &err), &err);
  ok = qv_parquet_reader_column_chunk(r, 0, 0, &ch, &err) == QV_OK && qv_metadata_count(ch.metadata) == 2;
  int64_t len;
  ok = ok && qv_metadata_find(ch.metadata, "foo", &len) && len == 3;
  qv_parquet_reader_destroy(r);
  CHECK(ok);
}

static qv_status open_bytes(const void *data, int64_t n, const char *name, qv_parquet_reader **r, qv_error *err) {
  qv_buffer *b;
  QV_RETURN_NOT_OK(qv_buffer_copy(qv_default_allocator(), data, n, &b, err));
  qv_status st = qv_parquet_reader_create(b, name, NULL, r, err);
  qv_buffer_unref(b);
  return st;
}

QV_TEST(pq_reader_file_errors) {
  qv_error err;
  qv_parquet_reader *r;
  CHECK_STATUS(qv_parquet_reader_open("/nonexistent/dir/x.parquet", NULL, &r, &err), QV_NOT_FOUND);
  CHECK(strstr(err.message, "/nonexistent/dir/x.parquet") != NULL);
  CHECK_STATUS(qv_parquet_reader_open(QV_TESTDATA_DIR, NULL, &r, &err), QV_IO);
  CHECK_STATUS(open_bytes("hello world, this is text", 25, "t.txt", &r, &err), QV_INVALID);
  CHECK_STR_EQ(err.message, "parquet: t.txt: not a Parquet file (no PAR1 magic)");
  CHECK_STATUS(open_bytes("PAR1PAR1", 8, "short", &r, &err), QV_INVALID);
  CHECK_STATUS(open_bytes("PAR1\xff\xff\xff\x7fPAR1", 12, "lying", &r, &err), QV_INVALID);
  CHECK(strstr(err.message, "footer of 2147483647 bytes") != NULL);
  CHECK_STATUS(open_bytes("PAR1\0\0\0\0\0\0\0\0PARE", 16, "enc", &r, &err), QV_NOT_IMPLEMENTED);
  CHECK(strstr(err.message, "encrypted") != NULL);
  /* Every truncation of a real file fails cleanly (or, when only trailing
   * bytes go, still reads). */
  FILE *f = fopen(PQ_DIR "/alltypes_dictionary.parquet", "rb");
  CHECK(f != NULL);
  uint8_t buf[4096];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  for (size_t cut = 0; cut < n; cut++) {
    qv_status st = open_bytes(buf, (int64_t)cut, "cut", &r, &err);
    if (st == QV_OK) {
      int64_t rows;
      (void)read_all(r, &rows, &err);
      qv_parquet_reader_destroy(r);
    }
  }
  /* Flipping any single byte never crashes either. */
  for (size_t i = 0; i < n; i++) {
    uint8_t copy[4096];
    memcpy(copy, buf, n);
    copy[i] ^= 0x5a;
    if (open_bytes(copy, (int64_t)n, "flip", &r, &err) == QV_OK) {
      int64_t rows;
      (void)read_all(r, &rows, &err);
      qv_parquet_reader_destroy(r);
    }
  }
}

QV_TEST(pq_reader_allocation_failures_are_nomem_and_leak_nothing) {
  static const char *files[] = {PQ_DIR "/nullable.impala.parquet", PQ_DIR "/alltypes_tiny_pages.parquet",
                                PQ_DIR "/delta_byte_array.parquet", PQ_DIR "/byte_stream_split.zstd.parquet"};
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    qv_allocator *alloc;
    qv_error err;
    CHECK_OK(qv_allocator_create(0, &alloc, &err), &err);
    bool done = false;
    for (int64_t n = 1; !done && n < 100000; n += n < 200 ? 1 : n / 20) {
      qv_allocator_fail_after(alloc, n);
      int64_t rows;
      qv_status st = read_file(files[f], alloc, 500, &rows, &err);
      qv_allocator_fail_after(alloc, 0);
      if (st == QV_OK) done = true;
      else if (st != QV_NOMEM) qv_test_fail(__FILE__, __LINE__, "%s, failing allocation %lld: %s: %s", files[f],
                                            (long long)n, qv_status_name(st), err.message);
      if (qv_allocator_bytes_allocated(alloc) != 0)
        qv_test_fail(__FILE__, __LINE__, "%s, failing allocation %lld: %lld bytes leaked", files[f], (long long)n,
                     (long long)qv_allocator_bytes_allocated(alloc));
    }
    qv_allocator_destroy(alloc);
    CHECK(done);
  }
}

/* ---- hand-made files ---------------------------------------------------------------- */

static const pqt_column opt_int32 = {.physical_type = 1, .repetition = 1, .name = "l_tax", .converted_type = -1,
                                      .num_rows = 10};

/* A v1 body for the optional INT32 column: RLE definition levels (all
 * defined) and PLAIN values 0..n-1. */
static void v1_body(qv_bytes *body, int32_t n, int32_t n_values) {
  qv_bytes lv;
  qv_bytes_init(&lv, NULL);
  pqt_rle_run(&lv, 1, n, 1);
  uint32_t len = (uint32_t)lv.size;
  if (qv_bytes_append(body, &len, 4, NULL) != QV_OK || qv_bytes_append(body, lv.data, lv.size, NULL) != QV_OK) abort();
  for (int32_t i = 0; i < n_values; i++)
    if (qv_bytes_append(body, &i, 4, NULL) != QV_OK) abort();
  qv_bytes_reset(&lv);
}

/* Builds the file and reads it whole with a 16 MiB allocator. */
static qv_status read_built(const pqt_column *col, const pqt_page *pages, int n_pages, bool verify, int64_t max_page,
                            int64_t *rows, qv_error *err) {
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  pqt_build_file(&file, col, pages, n_pages);
  qv_allocator *alloc;
  if (qv_allocator_create((int64_t)16 << 20, &alloc, err) != QV_OK) abort();
  qv_buffer *b;
  if (qv_buffer_copy(alloc, file.data, file.size, &b, err) != QV_OK) abort();
  qv_bytes_reset(&file);
  qv_parquet_read_options opts;
  qv_parquet_read_options_init(&opts);
  opts.alloc = alloc;
  opts.verify_checksums = verify;
  if (max_page) opts.max_page_size = max_page;
  qv_parquet_reader *r;
  qv_status st = qv_parquet_reader_create(b, "built.parquet", &opts, &r, err);
  qv_buffer_unref(b);
  *rows = 0;
  if (st == QV_OK) {
    st = read_all(r, rows, err);
    qv_parquet_reader_destroy(r);
  }
  if (qv_allocator_bytes_allocated(alloc) != 0) st = qv_error_set(err, QV_INTERNAL, "leak");
  qv_allocator_destroy(alloc);
  return st;
}

QV_TEST(pq_reader_built_files) {
  qv_error err;
  int64_t rows;
  qv_bytes body;
  qv_bytes_init(&body, NULL);
  v1_body(&body, 10, 10);
  pqt_page good = {.type = 0, .num_values = 10, .encoding = 0, .body = body.data, .body_len = body.size,
                    .uncompressed_size = -1, .crc = 1};
  CHECK_OK(read_built(&opt_int32, &good, 1, true, 0, &rows, &err), &err);
  CHECK_EQ_INT(rows, 10);
  /* A wrong CRC: named error, unless verification is off. */
  pqt_page bad_crc = good;
  bad_crc.crc = 2;
  CHECK_STATUS(read_built(&opt_int32, &bad_crc, 1, true, 0, &rows, &err), QV_INVALID);
  CHECK(strstr(err.message, "parquet: built.parquet: row group 0: column 'l_tax' page 0: CRC mismatch") != NULL);
  CHECK_OK(read_built(&opt_int32, &bad_crc, 1, false, 0, &rows, &err), &err);
  /* An unknown value encoding. */
  pqt_page enc = good;
  enc.encoding = 12;
  CHECK_STATUS(read_built(&opt_int32, &enc, 1, true, 0, &rows, &err), QV_NOT_IMPLEMENTED);
  CHECK(strstr(err.message, "column 'l_tax' page 0: unknown encoding 12") != NULL);
  /* An encoding that does not fit the type. */
  enc.encoding = 6;
  CHECK_STATUS(read_built(&opt_int32, &enc, 1, true, 0, &rows, &err), QV_INVALID);
  CHECK(strstr(err.message, "DELTA_LENGTH_BYTE_ARRAY is not valid for INT32") != NULL);
  /* Fewer values than the levels say. */
  qv_bytes short_body;
  qv_bytes_init(&short_body, NULL);
  v1_body(&short_body, 10, 4);
  pqt_page few = good;
  few.body = short_body.data;
  few.body_len = short_body.size;
  CHECK_STATUS(read_built(&opt_int32, &few, 1, true, 0, &rows, &err), QV_INVALID);
  /* Fewer rows in the chunk than in the row group. */
  pqt_column more_rows = opt_int32;
  more_rows.num_rows = 11;
  CHECK_STATUS(read_built(&more_rows, &good, 1, true, 0, &rows, &err), QV_INVALID);
  CHECK(strstr(err.message, "ends 1 rows before the row group does") != NULL);
  /* A page over the size limit is refused before anything is allocated. */
  pqt_page huge = good;
  huge.uncompressed_size = 2000000000;
  CHECK_STATUS(read_built(&opt_int32, &huge, 1, true, 1 << 20, &rows, &err), QV_RESOURCE_EXHAUSTED);
  /* Under the default limit, a SNAPPY, LZ4 or GZIP page whose data cannot
   * hold the size it claims is refused before allocating it... */
  pqt_column snappy = opt_int32;
  snappy.codec = 1;
  huge.uncompressed_size = 500000000;
  CHECK_STATUS(read_built(&snappy, &huge, 1, true, 0, &rows, &err), QV_INVALID);
  pqt_column lz4 = opt_int32;
  lz4.codec = 7;
  CHECK_STATUS(read_built(&lz4, &huge, 1, true, 0, &rows, &err), QV_INVALID);
  CHECK(strstr(err.message, "cannot hold the 500000000 bytes") != NULL);
  /* ... and for codecs without such a bound, the capped allocator stops it. */
  pqt_column brotli = opt_int32;
  brotli.codec = 4;
  CHECK_STATUS(read_built(&brotli, &huge, 1, true, 0, &rows, &err), QV_NOMEM);
  /* SNAPPY data that is not SNAPPY. */
  CHECK_STATUS(read_built(&snappy, &good, 1, true, 0, &rows, &err), QV_INVALID);
  qv_bytes_reset(&short_body);
  qv_bytes_reset(&body);
}

QV_TEST(pq_reader_built_dictionary_pages) {
  qv_error err;
  int64_t rows;
  int32_t dict_values[3] = {10, 20, 30};
  qv_bytes body;
  qv_bytes_init(&body, NULL);
  qv_bytes lv;
  qv_bytes_init(&lv, NULL);
  pqt_rle_run(&lv, 1, 10, 1);
  uint32_t len = (uint32_t)lv.size;
  CHECK_OK(qv_bytes_append(&body, &len, 4, &err), &err);
  CHECK_OK(qv_bytes_append(&body, lv.data, lv.size, &err), &err);
  uint8_t bw = 2;
  CHECK_OK(qv_bytes_append(&body, &bw, 1, &err), &err);
  int64_t idx_at = body.size;
  pqt_rle_run(&body, 2, 10, 2);
  pqt_page pages[2] = {
      {.type = 2, .num_values = 3, .encoding = 0, .body = (const uint8_t *)dict_values, .body_len = 12,
       .uncompressed_size = -1},
      {.type = 0, .num_values = 10, .encoding = 8, .body = body.data, .body_len = body.size, .uncompressed_size = -1}};
  CHECK_OK(read_built(&opt_int32, pages, 2, true, 0, &rows, &err), &err);
  CHECK_EQ_INT(rows, 10);
  /* Index 3 is past the three-entry dictionary. */
  body.data[idx_at + 1] = 3;
  pages[1].body = body.data;
  CHECK_STATUS(read_built(&opt_int32, pages, 2, true, 0, &rows, &err), QV_INVALID);
  CHECK(strstr(err.message, "column 'l_tax' page 1: dictionary index 3 out of range (the dictionary has 3 values)") != NULL);
  /* No dictionary page at all. */
  CHECK_STATUS(read_built(&opt_int32, pages + 1, 1, true, 0, &rows, &err), QV_INVALID);
  CHECK(strstr(err.message, "without a dictionary page") != NULL);
  /* A dictionary page claiming a billion entries in 12 bytes. */
  pages[0].num_values = 1000000000;
  CHECK_STATUS(read_built(&opt_int32, pages, 2, true, 0, &rows, &err), QV_INVALID);
  qv_bytes_reset(&lv);
  qv_bytes_reset(&body);
}

QV_TEST(pq_reader_built_huge_counts_stay_bounded) {
  /* Two billion null rows in a few bytes (one RLE run of definition level 0):
   * legitimate, so it reads, but batch by batch and in bounded memory. */
  qv_error err;
  qv_bytes body;
  qv_bytes_init(&body, NULL);
  qv_bytes lv;
  qv_bytes_init(&lv, NULL);
  pqt_rle_run(&lv, 0, INT32_MAX, 1);
  uint32_t len = (uint32_t)lv.size;
  CHECK_OK(qv_bytes_append(&body, &len, 4, &err), &err);
  CHECK_OK(qv_bytes_append(&body, lv.data, lv.size, &err), &err);
  pqt_page page = {.type = 0, .num_values = INT32_MAX, .encoding = 0, .body = body.data, .body_len = body.size,
                    .uncompressed_size = -1};
  pqt_column col = opt_int32;
  col.num_rows = INT32_MAX;
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  pqt_build_file(&file, &col, &page, 1);
  qv_allocator *alloc;
  CHECK_OK(qv_allocator_create((int64_t)16 << 20, &alloc, &err), &err);
  qv_buffer *b;
  CHECK_OK(qv_buffer_copy(alloc, file.data, file.size, &b, &err), &err);
  qv_parquet_read_options opts;
  qv_parquet_read_options_init(&opts);
  opts.alloc = alloc;
  qv_parquet_reader *r;
  CHECK_OK(qv_parquet_reader_create(b, "huge", &opts, &r, &err), &err);
  qv_parquet_batch_reader *br;
  CHECK_OK(qv_parquet_reader_scan(r, NULL, 0, NULL, 0, &br, &err), &err);
  bool ok = true;
  for (int i = 0; i < 3 && ok; i++) {
    qv_record_batch *batch;
    ok = qv_parquet_batch_reader_next(br, &batch, &err) == QV_OK && batch &&
         qv_record_batch_num_rows(batch) == QV_PARQUET_DEFAULT_BATCH_SIZE &&
         qv_array_null_count(qv_record_batch_column(batch, 0)) == QV_PARQUET_DEFAULT_BATCH_SIZE;
    qv_record_batch_unref(batch);
  }
  ok = ok && qv_allocator_peak_bytes(alloc) < (4 << 20);
  qv_parquet_batch_reader_destroy(br);
  qv_parquet_reader_destroy(r);
  qv_buffer_unref(b);
  ok = ok && qv_allocator_bytes_allocated(alloc) == 0;
  qv_allocator_destroy(alloc);
  qv_bytes_reset(&file);
  qv_bytes_reset(&lv);
  qv_bytes_reset(&body);
  CHECK(ok);
}

QV_TEST(pq_reader_built_v2_and_bit_packed_levels) {
  qv_error err;
  int64_t rows;
  /* v2: definition levels 1,0,1,1,0,1,1,1 (RLE, no length prefix), 6 values. */
  qv_bytes lv;
  qv_bytes_init(&lv, NULL);
  uint32_t defs[8] = {1, 0, 1, 1, 0, 1, 1, 1};
  pqt_bitpacked_run(&lv, defs, 8, 1);
  int32_t vals[6] = {1, 2, 3, 4, 5, 6};
  pqt_column col = opt_int32;
  col.num_rows = 8;
  pqt_page v2 = {.type = 3, .num_values = 8, .num_nulls = 2, .num_rows = 8, .encoding = 0,
                  .body = (const uint8_t *)vals, .body_len = 24, .levels = lv.data, .levels_len = lv.size,
                  .uncompressed_size = -1, .crc = 1};
  CHECK_OK(read_built(&col, &v2, 1, true, 0, &rows, &err), &err);
  CHECK_EQ_INT(rows, 8);
  /* num_nulls larger than num_values is refused. */
  v2.num_nulls = 9;
  CHECK_STATUS(read_built(&col, &v2, 1, true, 0, &rows, &err), QV_INVALID);
  qv_bytes_reset(&lv);
}

/* A v1 body for a REPEATED INT32 column (max repetition and definition
 * level 1): bit-packed repetition and definition levels, then the values. */
static void repeated_body(qv_bytes *body, const uint32_t *rep, const uint32_t *def, int n, const int32_t *vals,
                          int n_vals) {
  for (int k = 0; k < 2; k++) {
    const uint32_t *lv = k == 0 ? rep : def;
    uint32_t padded[64] = {0};
    memcpy(padded, lv, sizeof *lv * (size_t)n);
    qv_bytes run;
    qv_bytes_init(&run, NULL);
    pqt_bitpacked_run(&run, padded, (n + 7) / 8 * 8, 1);
    uint32_t len = (uint32_t)run.size;
    if (qv_bytes_append(body, &len, 4, NULL) != QV_OK || qv_bytes_append(body, run.data, run.size, NULL) != QV_OK)
      abort();
    qv_bytes_reset(&run);
  }
  if (qv_bytes_append(body, vals, 4 * (int64_t)n_vals, NULL) != QV_OK) abort();
}

QV_TEST(pq_reader_rows_split_across_pages) {
  /* Rows [1,2,3], [], [4,5]: page 0 holds the levels of 1 and 2, page 1
   * starts inside the first row (repetition level 1) with 3. */
  qv_bytes p0, p1;
  qv_bytes_init(&p0, NULL);
  qv_bytes_init(&p1, NULL);
  static const uint32_t rep0[2] = {0, 1}, def0[2] = {1, 1};
  static const int32_t v0[2] = {1, 2};
  static const uint32_t rep1[4] = {1, 0, 0, 1}, def1[4] = {1, 0, 1, 1};
  static const int32_t v1[3] = {3, 4, 5};
  repeated_body(&p0, rep0, def0, 2, v0, 2);
  repeated_body(&p1, rep1, def1, 4, v1, 3);
  pqt_page pages[2] = {
      {.type = 0, .num_values = 2, .encoding = 0, .body = p0.data, .body_len = p0.size, .uncompressed_size = -1},
      {.type = 0, .num_values = 4, .encoding = 0, .body = p1.data, .body_len = p1.size, .uncompressed_size = -1}};
  pqt_column col = {.physical_type = 1, .repetition = 2, .name = "xs", .converted_type = -1, .num_rows = 3};
  qv_bytes file;
  qv_bytes_init(&file, NULL);
  pqt_build_file(&file, &col, pages, 2);
  qv_error err;
  qv_buffer *b;
  CHECK_OK(qv_buffer_copy(qv_default_allocator(), file.data, file.size, &b, &err), &err);
  static const char *want = "[1, 2, 3]|[]|[4, 5]|";
  for (int64_t batch = 1; batch <= 3; batch++) {
    qv_parquet_read_options opts;
    qv_parquet_read_options_init(&opts);
    opts.batch_size = batch;
    qv_parquet_reader *r;
    CHECK_OK(qv_parquet_reader_create(b, "split", &opts, &r, &err), &err);
    char buf[128];
    qv_type_to_string(qv_field_type(qv_schema_field(qv_parquet_reader_schema(r), 0)), buf, sizeof buf);
    bool ok = strcmp(buf, "list<xs: int32 not null>") == 0;
    qv_parquet_batch_reader *br = NULL;
    qv_bytes text;
    qv_bytes_init(&text, NULL);
    ok = ok && qv_parquet_reader_scan(r, NULL, 0, NULL, 0, &br, &err) == QV_OK;
    for (;;) {
      qv_record_batch *rb = NULL;
      if (!ok || qv_parquet_batch_reader_next(br, &rb, &err) != QV_OK) {
        ok = false;
        break;
      }
      if (!rb) break;
      ok = qv_record_batch_validate_full(rb, &err) == QV_OK;
      for (int64_t i = 0; ok && i < qv_record_batch_num_rows(rb); i++)
        ok = qv_format_value(qv_record_batch_column(rb, 0), i, &text, &err) == QV_OK &&
             qv_bytes_append(&text, "|", 1, &err) == QV_OK;
      qv_record_batch_unref(rb);
    }
    ok = ok && text.size == (int64_t)strlen(want) && memcmp(text.data, want, (size_t)text.size) == 0;
    if (!ok) qv_test_fail(__FILE__, __LINE__, "batch %lld [%s]: %.*s %s", (long long)batch, buf, (int)text.size,
                          (const char *)text.data, err.message);
    qv_bytes_reset(&text);
    qv_parquet_batch_reader_destroy(br);
    qv_parquet_reader_destroy(r);
    CHECK(ok);
  }
  /* A chunk whose first level continues a row is refused. */
  pqt_page late[1] = {pages[1]};
  col.num_rows = 2;
  file.size = 0;
  pqt_build_file(&file, &col, late, 1);
  qv_buffer_unref(b);
  CHECK_OK(qv_buffer_copy(qv_default_allocator(), file.data, file.size, &b, &err), &err);
  qv_parquet_reader *r;
  CHECK_OK(qv_parquet_reader_create(b, "late", NULL, &r, &err), &err);
  int64_t rows;
  qv_status st = read_all(r, &rows, &err);
  qv_parquet_reader_destroy(r);
  qv_buffer_unref(b);
  qv_bytes_reset(&file);
  qv_bytes_reset(&p0);
  qv_bytes_reset(&p1);
  CHECK_STATUS(st, QV_INVALID);
  CHECK(strstr(err.message, "starts inside a row") != NULL);
}
