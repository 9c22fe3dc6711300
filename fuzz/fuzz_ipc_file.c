/* libFuzzer target for the IPC file reader: the input is opened as an Arrow
 * file (allocator capped at 256 MiB, decompression at 64 MiB per message) and
 * every record batch is decoded, in order and then the last one again (random
 * access must not depend on order). No crash, no leak, no out-of-bounds read,
 * no allocation above the cap.
 *
 * Seed corpus: the files of Arrow's integration golden files
 * (fuzz/fuzz_ipc_file.seeds), plus regression inputs in fuzz/fuzz_ipc_file/. */
#include <stddef.h>
#include <stdint.h>

#include "quiver/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qv_allocator *alloc = NULL;
  qv_error err;
  if (qv_allocator_create((int64_t)256 << 20, &alloc, &err) != QV_OK) return 0;
  qv_buffer *input = NULL;
  if (qv_buffer_wrap(data, (int64_t)size, NULL, NULL, &input, &err) != QV_OK) {
    qv_allocator_destroy(alloc);
    return 0;
  }
  qv_ipc_read_options opts;
  qv_ipc_read_options_init(&opts);
  opts.alloc = alloc;
  opts.max_decompressed_size = (int64_t)64 << 20;
  qv_ipc_file_reader *r = NULL;
  if (qv_ipc_file_reader_create(input, &opts, &r, &err) == QV_OK) {
    int64_t n = qv_ipc_file_reader_num_batches(r);
    for (int64_t i = 0; i <= n && i < 10000; i++) {
      qv_record_batch *b = NULL;
      int64_t which = i < n ? i : n - 1; /* the last one twice */
      if (qv_ipc_file_reader_batch(r, which, &b, &err) == QV_OK) qv_record_batch_unref(b);
    }
    qv_ipc_file_reader_destroy(r);
  }
  qv_buffer_unref(input);
  if (qv_allocator_bytes_allocated(alloc) != 0) __builtin_trap(); /* a leak */
  qv_allocator_destroy(alloc);
  return 0;
}
