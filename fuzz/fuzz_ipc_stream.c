/* libFuzzer target for the IPC stream reader: the input is read as an IPC
 * stream (with an allocator capped at 256 MiB, and decompression capped at 64
 * MiB per message) and every batch is iterated. Beyond "no crash, no leak, no
 * out-of-bounds read, no allocation above the cap", every batch that decodes
 * must survive a round trip through the stream writer and reader unchanged;
 * a mismatch traps so that the fuzzer reports it.
 *
 * Seed corpus: the streams of Arrow's integration golden files
 * (fuzz/fuzz_ipc_stream.seeds), plus regression inputs in fuzz/fuzz_ipc_stream/. */
#include <stddef.h>
#include <stdint.h>

#include "arrow/internal.h"
#include "quiver/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Total number of slots in an array tree: bounds the work of the round-trip
 * oracle (value equality visits slots one by one). */
static int64_t slots(const qv_array *a, int depth) {
  if (depth > 64) return INT64_MAX / 4;
  int64_t n = a->length;
  for (int32_t i = 0; i < a->n_children && n < INT64_MAX / 8; i++) n += slots(a->children[i], depth + 1);
  if (a->dictionary && n < INT64_MAX / 8) n += slots(a->dictionary, depth + 1);
  return n;
}

/* Writes the batch as a one-batch stream and reads it back: must be equal. */
static void round_trip(qv_allocator *alloc, qv_record_batch *batch) {
  int64_t total = 0;
  for (int32_t i = 0; i < batch->n_columns && total < (1 << 20); i++)
    total += slots(batch->columns[i], 0);
  if (total >= (1 << 20)) return;
  qv_error err;
  qv_bytes bytes;
  qv_bytes_init(&bytes, alloc);
  qv_ipc_write_options wo;
  qv_ipc_write_options_init(&wo);
  wo.alloc = alloc;
  qv_ipc_stream_writer *w = NULL;
  qv_status st = qv_ipc_stream_writer_create(batch->schema, &wo, qv_ipc_sink_bytes(&bytes), &w, &err);
  if (st == QV_OK) st = qv_ipc_stream_writer_write(w, batch, &err);
  if (st == QV_OK) st = qv_ipc_stream_writer_close(w, &err);
  qv_ipc_stream_writer_destroy(w);
  qv_buffer *out = NULL;
  if (st == QV_OK) st = qv_bytes_finish(&bytes, &out, &err);
  qv_bytes_reset(&bytes);
  if (st == QV_NOMEM) return; /* the cap may be reached */
  if (st != QV_OK) __builtin_trap(); /* a decoded batch must be writable */
  qv_ipc_read_options ro;
  qv_ipc_read_options_init(&ro);
  ro.alloc = alloc;
  qv_ipc_stream_reader *r = NULL;
  qv_record_batch *back = NULL;
  st = qv_ipc_stream_reader_create(out, &ro, &r, &err);
  if (st == QV_OK) st = qv_ipc_stream_reader_next(r, &back, &err);
  if (st == QV_OK && (!back || !qv_record_batch_equals(batch, back))) __builtin_trap();
  if (st != QV_OK && st != QV_NOMEM) __builtin_trap();
  qv_record_batch_unref(back);
  qv_ipc_stream_reader_destroy(r);
  qv_buffer_unref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qv_allocator *alloc = NULL;
  qv_error err;
  if (qv_allocator_create((int64_t)256 << 20, &alloc, &err) != QV_OK) return 0;
  qv_buffer *input = NULL;
  /* Zero-copy over the fuzzer's bytes: exercises unaligned bodies too. */
  if (qv_buffer_wrap(data, (int64_t)size, NULL, NULL, &input, &err) != QV_OK) {
    qv_allocator_destroy(alloc);
    return 0;
  }
  qv_ipc_read_options opts;
  qv_ipc_read_options_init(&opts);
  opts.alloc = alloc;
  opts.max_decompressed_size = (int64_t)64 << 20;
  qv_ipc_stream_reader *r = NULL;
  if (qv_ipc_stream_reader_create(input, &opts, &r, &err) == QV_OK) {
    for (int i = 0; i < 10000; i++) {
      qv_record_batch *b = NULL;
      if (qv_ipc_stream_reader_next(r, &b, &err) != QV_OK || !b) break;
      round_trip(alloc, b);
      qv_record_batch_unref(b);
    }
    qv_ipc_stream_reader_destroy(r);
  }
  qv_buffer_unref(input);
  if (qv_allocator_bytes_allocated(alloc) != 0) __builtin_trap(); /* a leak */
  qv_allocator_destroy(alloc);
  return 0;
}
