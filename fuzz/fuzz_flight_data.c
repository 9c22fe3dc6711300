/* libFuzzer target for the FlightData parser and the DoGet receive path.
 *
 * Input: one byte choosing how messages are cut into chunks (gRPC hands a
 * message over as a list of slices, and the parser must not care where the
 * cuts fall), then a sequence of FlightData messages, each preceded by its
 * length as a varint (protobuf's delimited form). Each message is parsed from
 * its chunks; what parses is checked (fields within the message, the body
 * 64-byte aligned), framed again by the sender's encoder and parsed back,
 * which must give the same fields (a mismatch traps); and the data_header and
 * body go through an IPC decoder shared by the whole input, as a DoGet
 * stream's messages do, with memory capped by an accounted allocator.
 * Seeds (fuzz/fuzz_flight_data/): the messages of DoGet streams of sample
 * batches, with dictionaries, and with app_metadata and unknown fields. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flight/flight_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CHUNKS 4096

static bool same(const qv_buffer *a, const qv_buffer *b) {
  if (!a || !b) return a == b;
  return qv_buffer_size(a) == qv_buffer_size(b) &&
         memcmp(qv_buffer_data(a), qv_buffer_data(b), (size_t)qv_buffer_size(a)) == 0;
}

/* Frames the parsed fields again as the server would and parses them back. */
static void check_round_trip(const qv__flight_data *fd) {
  if (!fd->header) return; /* the encoder always writes a header */
  qv_ipc_body_part part = {NULL, 0, NULL};
  qv_ipc_payload p;
  memset(&p, 0, sizeof p);
  p.kind = QV_IPC_MESSAGE_RECORD_BATCH;
  p.metadata.data = (uint8_t *)qv_buffer_data(fd->header);
  p.metadata.size = qv_buffer_size(fd->header);
  if (fd->body) {
    part.data = qv_buffer_data(fd->body);
    part.size = qv_buffer_size(fd->body);
    part.owner = fd->body;
    p.n_parts = 1;
    p.parts = &part;
    p.body_length = part.size;
  }
  grpc_byte_buffer *bb = NULL;
  const qv_buffer *app = fd->app_metadata;
  if (qv__flight_data_encode(&p, app ? qv_buffer_data(app) : NULL, app ? qv_buffer_size(app) : 0,
                             &bb, NULL) != QV_OK)
    return;
  qv__flight_data back;
  qv_status st = qv__flight_data_read(bb, NULL, &back, NULL);
  grpc_byte_buffer_destroy(bb);
  if (st != QV_OK || !same(back.header, fd->header) || !same(back.body, fd->body) ||
      !same(back.app_metadata, fd->app_metadata) || back.descriptor)
    __builtin_trap();
  qv__flight_data_reset(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool initialised;
  if (!initialised) {
    grpc_init(); /* slices and byte buffers; never shut down in the fuzzer */
    initialised = true;
  }
  if (size < 1) return 0;
  size_t cut = 1 + (size_t)data[0] * 3; /* chunk length */
  data++;
  size--;

  qv_allocator *alloc = NULL;
  if (qv_allocator_create((int64_t)256 << 20, &alloc, NULL) != QV_OK) return 0;
  qv_ipc_read_options ro;
  qv_ipc_read_options_init(&ro);
  ro.alloc = alloc;
  ro.max_decompressed_size = (int64_t)64 << 20;
  qv_ipc_decoder *dec = NULL;
  if (qv_ipc_decoder_create(&ro, &dec, NULL) != QV_OK) {
    qv_allocator_destroy(alloc);
    return 0;
  }
  static qv__flight_chunk chunks[MAX_CHUNKS];
  size_t pos = 0;
  while (pos < size) {
    /* The message length (a varint); a bad one ends the input. */
    uint64_t len = 0;
    int shift = 0;
    while (pos < size && shift < 64) {
      uint8_t b = data[pos++];
      len |= (uint64_t)(b & 0x7F) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (len > size - pos) len = size - pos;
    const uint8_t *msg = data + pos;
    pos += (size_t)len;

    size_t n = 0;
    for (size_t off = 0; off < len && n < MAX_CHUNKS; off += cut) {
      chunks[n].data = msg + off;
      chunks[n].size = off + cut > len ? (size_t)len - off : cut;
      if (n == MAX_CHUNKS - 1) chunks[n].size = (size_t)len - off;
      n++;
    }
    qv__flight_data fd;
    if (qv__flight_data_parse(chunks, n, alloc, &fd, NULL) != QV_OK) continue;
    int64_t total = 0;
    const qv_buffer *fields[4] = {fd.descriptor, fd.header, fd.app_metadata, fd.body};
    for (int i = 0; i < 4; i++) total += fields[i] ? qv_buffer_size(fields[i]) : 0;
    if ((uint64_t)total > len) __builtin_trap();
    if (fd.body && ((uintptr_t)qv_buffer_data(fd.body) & 63) != 0) __builtin_trap();
    check_round_trip(&fd);
    if (fd.header) {
      qv_record_batch *batch = NULL;
      if (qv_ipc_decoder_decode(dec, qv_buffer_data(fd.header), qv_buffer_size(fd.header), fd.body,
                                &batch, NULL) == QV_OK)
        qv_record_batch_unref(batch);
    }
    qv__flight_data_reset(&fd);
  }
  qv_ipc_decoder_destroy(dec);
  qv_allocator_destroy(alloc);
  return 0;
}
