/* libFuzzer target for the whole Parquet reader: the input is opened as a
 * Parquet file (allocator capped at 256 MiB, pages at 64 MiB), every column
 * chunk's metadata and typed statistics are queried, and the file is read in
 * batches of 1000 rows, each batch fully validated (qv_record_batch_validate_full),
 * so that page decoding, decompression, level handling and record assembly
 * all see hostile bytes. Reading stops after 200 batches (an all-null column
 * of two billion rows takes a few bytes and is legitimate). No crash, no
 * leak, no invalid array, no allocation above the cap.
 *
 * Seed corpus: the shared Parquet test files (fuzz/fuzz_parquet_pages.seeds),
 * plus regression inputs in fuzz/fuzz_parquet_pages/. */
#include <stddef.h>
#include <stdint.h>

#include "quiver/parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void query_metadata(qv_parquet_reader *r) {
  qv_error err;
  for (int32_t g = 0; g < qv_parquet_reader_num_row_groups(r) && g < 100; g++) {
    qv_parquet_row_group_info gi;
    if (qv_parquet_reader_row_group(r, g, &gi, &err) != QV_OK) __builtin_trap();
    (void)qv_parquet_row_group_in_range(&gi, 0, 1000);
    for (int32_t c = 0; c < qv_parquet_reader_num_columns(r) && c < 100; c++) {
      qv_parquet_column_chunk_info ch;
      if (qv_parquet_reader_column_chunk(r, g, c, &ch, &err) != QV_OK) __builtin_trap();
      if (!ch.has_statistics || !ch.statistics.has_min_max) continue;
      qv_array *a = NULL;
      if (qv_parquet_statistics_value(r, c, ch.statistics.min, ch.statistics.min_length, &a, &err) == QV_OK) {
        if (qv_array_validate_full(a, &err) != QV_OK) __builtin_trap();
        qv_array_unref(a);
      }
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qv_allocator *alloc = NULL;
  qv_error err;
  if (qv_allocator_create((int64_t)256 << 20, &alloc, &err) != QV_OK) return 0;
  qv_buffer *input = NULL;
  if (qv_buffer_wrap(data, (int64_t)size, NULL, NULL, &input, &err) != QV_OK) {
    qv_allocator_destroy(alloc);
    return 0;
  }
  qv_parquet_read_options opts;
  qv_parquet_read_options_init(&opts);
  opts.alloc = alloc;
  opts.batch_size = 1000;
  opts.max_page_size = (int64_t)64 << 20;
  qv_parquet_reader *r = NULL;
  if (qv_parquet_reader_create(input, "fuzz", &opts, &r, &err) == QV_OK) {
    query_metadata(r);
    qv_parquet_batch_reader *br = NULL;
    if (qv_parquet_reader_scan(r, NULL, 0, NULL, 0, &br, &err) == QV_OK) {
      for (int i = 0; i < 200; i++) {
        qv_record_batch *b = NULL;
        if (qv_parquet_batch_reader_next(br, &b, &err) != QV_OK || !b) break;
        if (qv_record_batch_validate_full(b, &err) != QV_OK) __builtin_trap(); /* the reader built a bad array */
        qv_record_batch_unref(b);
      }
      qv_parquet_batch_reader_destroy(br);
    }
    qv_parquet_reader_destroy(r);
  }
  qv_buffer_unref(input);
  if (qv_allocator_bytes_allocated(alloc) != 0) __builtin_trap(); /* a leak */
  qv_allocator_destroy(alloc);
  return 0;
}
