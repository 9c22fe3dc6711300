/* libFuzzer target for Parquet's Thrift metadata decoders: the input is
 * decoded as a FileMetaData (the footer of the input when it is framed like
 * a Parquet file, "PAR1 ... <len> PAR1", else the whole input), turned into
 * a schema (node tree, Arrow types, ARROW:schema restoration), and also
 * decoded as a PageHeader. Allocations go through an allocator capped at
 * 64 MiB. No crash, no leak, no out-of-bounds read, no allocation above the
 * cap, no unbounded recursion.
 *
 * Seed corpus: the shared Parquet test files (fuzz/fuzz_parquet_metadata.seeds),
 * plus regression inputs in fuzz/fuzz_parquet_metadata/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "io/parquet/metadata.h"
#include "io/parquet/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qv_allocator *alloc = NULL;
  qv_error err;
  if (qv_allocator_create((int64_t)64 << 20, &alloc, &err) != QV_OK) return 0;
  const uint8_t *meta = data;
  int64_t meta_len = (int64_t)size;
  if (size >= 12 && memcmp(data, "PAR1", 4) == 0 && memcmp(data + size - 4, "PAR1", 4) == 0) {
    uint32_t len;
    memcpy(&len, data + size - 8, 4);
    if (len <= size - 12) {
      meta = data + size - 8 - len;
      meta_len = len;
    }
  }
  qv_arena arena;
  qv_arena_init(&arena, alloc);
  qv_pq_file_meta fm;
  if (qv__pq_decode_file_meta(meta, meta_len, &arena, &fm, &err) == QV_OK) {
    qv_pq_schema schema;
    if (qv__pq_schema_build(&fm, &arena, true, &schema, &err) == QV_OK) qv__pq_schema_reset(&schema);
  }
  qv_arena_reset(&arena);
  qv_pq_page_header h;
  int64_t hlen;
  if (qv__pq_decode_page_header(data, (int64_t)size, &h, &hlen, &err) == QV_OK && (hlen <= 0 || hlen > (int64_t)size))
    __builtin_trap();
  if (qv_allocator_bytes_allocated(alloc) != 0) __builtin_trap(); /* a leak */
  qv_allocator_destroy(alloc);
  return 0;
}
