/* FlightData framing by hand, for zero-copy sending and one-copy receiving.
 *
 * protobuf-c would copy a record batch body twice on the way out (into the
 * message struct, then into the serialised message) and allocate it
 * unaligned on the way in. FlightData is simple enough to frame directly:
 *
 *  - Sending: one small slice holds the protobuf tags and lengths, the
 *    flatbuffer data_header, the app_metadata and the body parts too small
 *    to be worth a slice of their own; every other body part is a gRPC slice
 *    pointing at the array's memory, holding a reference on its qv_buffer
 *    that gRPC drops when it has written the bytes (static padding is a
 *    static slice). gRPC writes the slices with writev; nothing is copied.
 *  - Receiving: gRPC hands a message over as a list of slices (about 64 KiB
 *    each for large messages). The parser walks them as one byte sequence,
 *    reads each tag and length (checked against the bytes left, never
 *    trusted), and copies each field straight into a 64-byte aligned
 *    qv_buffer, so the decoded arrays reference aligned memory and need no
 *    further copy. Unknown fields are skipped, as protobuf requires. */
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>

#include "flight/flight_internal.h"

/* ---- varints -------------------------------------------------------------- */

int qv__pb_varint_size(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

int qv__pb_varint_write(uint8_t *dst, uint64_t v) {
  int n = 0;
  while (v >= 0x80) {
    dst[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  dst[n++] = (uint8_t)v;
  return n;
}

/* ---- parsing ---------------------------------------------------------------- */

/* A read position in a chunked message. */
typedef struct cursor {
  const qv__flight_chunk *chunks;
  size_t n_chunks;
  size_t chunk;     /* current chunk */
  size_t offset;    /* within it */
  uint64_t pos;     /* bytes consumed, for messages */
  uint64_t remaining;
} cursor;

/* Moves past exhausted (and empty) chunks. */
static void settle(cursor *c) {
  while (c->chunk < c->n_chunks && c->offset == c->chunks[c->chunk].size) {
    c->chunk++;
    c->offset = 0;
  }
}

static bool read_byte(cursor *c, uint8_t *out) {
  if (c->remaining == 0) return false;
  settle(c);
  *out = c->chunks[c->chunk].data[c->offset++];
  c->pos++;
  c->remaining--;
  return true;
}

static qv_status read_varint(cursor *c, uint64_t *out, const char *what, qv_error *err) {
  uint64_t start = c->pos, v = 0;
  for (int i = 0; i < 10; i++) {
    uint8_t b;
    if (!read_byte(c, &b))
      return qv_error_set(err, QV_INVALID, "flight: FlightData: truncated %s varint at byte %llu",
                          what, (unsigned long long)start);
    if (i == 9 && b > 1)
      return qv_error_set(err, QV_INVALID, "flight: FlightData: %s varint at byte %llu overflows",
                          what, (unsigned long long)start);
    v |= (uint64_t)(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) {
      *out = v;
      return QV_OK;
    }
  }
  return qv_error_set(err, QV_INVALID, "flight: FlightData: %s varint at byte %llu is too long",
                      what, (unsigned long long)start);
}

/* Copies n bytes (n <= remaining) to dst, or only skips them when dst is NULL. */
static void consume(cursor *c, uint8_t *dst, uint64_t n) {
  c->pos += n;
  c->remaining -= n;
  while (n > 0) {
    settle(c);
    const qv__flight_chunk *ch = &c->chunks[c->chunk];
    size_t take = ch->size - c->offset;
    if (take > n) take = (size_t)n;
    if (dst) {
      memcpy(dst, ch->data + c->offset, take);
      dst += take;
    }
    c->offset += take;
    n -= take;
  }
}

static qv_status skip_bytes(cursor *c, uint64_t n, uint32_t field, qv_error *err) {
  if (n > c->remaining)
    return qv_error_set(err, QV_INVALID,
                        "flight: FlightData: field %u at byte %llu needs %llu bytes, %llu left",
                        field, (unsigned long long)c->pos, (unsigned long long)n,
                        (unsigned long long)c->remaining);
  consume(c, NULL, n);
  return QV_OK;
}

/* Reads a length-delimited field into a new buffer (NULL when empty). */
static qv_status read_bytes_field(cursor *c, uint32_t field, qv_allocator *alloc, qv_buffer **slot,
                                  qv_error *err) {
  uint64_t len;
  QV_RETURN_NOT_OK(read_varint(c, &len, "length", err));
  if (len > c->remaining)
    return qv_error_set(err, QV_INVALID,
                        "flight: FlightData: field %u at byte %llu declares %llu bytes, %llu left",
                        field, (unsigned long long)c->pos, (unsigned long long)len,
                        (unsigned long long)c->remaining);
  qv_buffer *b = NULL;
  if (len > 0) {
    QV_RETURN_NOT_OK(qv_buffer_allocate(alloc, (int64_t)len, &b, err));
    consume(c, qv_buffer_mutable_data(b), len);
  }
  /* A repeated field: the last occurrence wins. */
  qv_buffer_unref(*slot);
  *slot = b;
  return QV_OK;
}

static qv_status parse_fields(cursor *c, qv_allocator *alloc, qv__flight_data *out, qv_error *err) {
  while (c->remaining > 0) {
    uint64_t at = c->pos, key;
    QV_RETURN_NOT_OK(read_varint(c, &key, "tag", err));
    uint64_t field = key >> 3;
    unsigned wire = (unsigned)(key & 7);
    if (field == 0 || field > 0x1FFFFFFF)
      return qv_error_set(err, QV_INVALID, "flight: FlightData: invalid field number %llu at byte %llu",
                          (unsigned long long)field, (unsigned long long)at);
    qv_buffer **slot = NULL;
    switch (field) {
      case QV__FD_DESCRIPTOR: slot = &out->descriptor; break;
      case QV__FD_DATA_HEADER: slot = &out->header; break;
      case QV__FD_APP_METADATA: slot = &out->app_metadata; break;
      case QV__FD_DATA_BODY: slot = &out->body; break;
      default: break;
    }
    if (slot) {
      if (wire != 2)
        return qv_error_set(err, QV_INVALID,
                            "flight: FlightData: field %llu at byte %llu has wire type %u, not 2",
                            (unsigned long long)field, (unsigned long long)at, wire);
      QV_RETURN_NOT_OK(read_bytes_field(c, (uint32_t)field, alloc, slot, err));
      continue;
    }
    uint64_t v;
    switch (wire) {
      case 0: QV_RETURN_NOT_OK(read_varint(c, &v, "value", err)); break;
      case 1: QV_RETURN_NOT_OK(skip_bytes(c, 8, (uint32_t)field, err)); break;
      case 2:
        QV_RETURN_NOT_OK(read_varint(c, &v, "length", err));
        QV_RETURN_NOT_OK(skip_bytes(c, v, (uint32_t)field, err));
        break;
      case 5: QV_RETURN_NOT_OK(skip_bytes(c, 4, (uint32_t)field, err)); break;
      default:
        /* 3 and 4 are the deprecated groups, which no FlightData writer uses. */
        return qv_error_set(err, QV_INVALID,
                            "flight: FlightData: unsupported wire type %u (field %llu at byte %llu)",
                            wire, (unsigned long long)field, (unsigned long long)at);
    }
  }
  return QV_OK;
}

void qv__flight_data_reset(qv__flight_data *fd) {
  if (!fd) return;
  qv_buffer_unref(fd->descriptor);
  qv_buffer_unref(fd->header);
  qv_buffer_unref(fd->app_metadata);
  qv_buffer_unref(fd->body);
  memset(fd, 0, sizeof *fd);
}

qv_status qv__flight_data_parse(const qv__flight_chunk *chunks, size_t n_chunks,
                                qv_allocator *alloc, qv__flight_data *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  if (!alloc) alloc = qv_default_allocator();
  cursor c = {chunks, n_chunks, 0, 0, 0, 0};
  for (size_t i = 0; i < n_chunks; i++) c.remaining += chunks[i].size;
  qv_status st = parse_fields(&c, alloc, out, err);
  if (st != QV_OK) qv__flight_data_reset(out);
  return st;
}

qv_status qv__flight_data_read(grpc_byte_buffer *bb, qv_allocator *alloc, qv__flight_data *out,
                               qv_error *err) {
  memset(out, 0, sizeof *out);
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, bb))
    return qv_error_set(err, QV_INVALID, "flight: cannot decompress a received message");
  qv__flight_chunk local[64];
  qv__flight_chunk *chunks = local;
  size_t n = 0, cap = sizeof local / sizeof local[0];
  qv_status st = QV_OK;
  grpc_slice *slice;
  while (grpc_byte_buffer_reader_peek(&reader, &slice)) {
    if (n == cap) {
      size_t ncap = cap * 2;
      qv__flight_chunk *grown = malloc(ncap * sizeof *grown);
      if (!grown) {
        st = qv_error_set(err, QV_NOMEM, "flight: out of memory reading a message");
        break;
      }
      memcpy(grown, chunks, n * sizeof *chunks);
      if (chunks != local) free(chunks);
      chunks = grown;
      cap = ncap;
    }
    chunks[n].data = GRPC_SLICE_START_PTR(*slice);
    chunks[n].size = GRPC_SLICE_LENGTH(*slice);
    n++;
  }
  if (st == QV_OK) st = qv__flight_data_parse(chunks, n, alloc, out, err);
  if (chunks != local) free(chunks);
  grpc_byte_buffer_reader_destroy(&reader);
  return st;
}

/* ---- encoding ---------------------------------------------------------------- */

static void unref_buffer(void *b) { qv_buffer_unref(b); }

/* Writes a length-delimited field's key and length. */
static size_t put_key_len(uint8_t *dst, uint32_t field, uint64_t len) {
  size_t n = (size_t)qv__pb_varint_write(dst, ((uint64_t)field << 3) | 2);
  return n + (size_t)qv__pb_varint_write(dst + n, len);
}

static size_t key_len_size(uint32_t field, uint64_t len) {
  return (size_t)qv__pb_varint_size(((uint64_t)field << 3) | 2) + (size_t)qv__pb_varint_size(len);
}

qv_status qv__flight_data_encode(const qv_ipc_payload *p, const uint8_t *app_metadata,
                                 int64_t app_metadata_len, grpc_byte_buffer **out, qv_error *err) {
  *out = NULL;
  uint64_t meta_len = (uint64_t)p->metadata.size;
  uint64_t app_len = app_metadata ? (uint64_t)app_metadata_len : 0;
  uint64_t body_len = (uint64_t)p->body_length;

  /* The first slice: keys, lengths, header, app_metadata, small parts. */
  uint64_t first = 0, total;
  if (meta_len) first += key_len_size(QV__FD_DATA_HEADER, meta_len) + meta_len;
  if (app_len) first += key_len_size(QV__FD_APP_METADATA, app_len) + app_len;
  if (body_len) first += key_len_size(QV__FD_DATA_BODY, body_len);
  size_t n_slices = 1;
  for (int64_t i = 0; i < p->n_parts; i++) {
    const qv_ipc_body_part *part = &p->parts[i];
    if (part->size <= 0) continue;
    if (part->size < QV__FLIGHT_COPY_BELOW) {
      first += (uint64_t)part->size;
    } else {
      n_slices += 2; /* the part, and a run of small parts after it */
    }
  }
  total = first;
  for (int64_t i = 0; i < p->n_parts; i++)
    if (p->parts[i].size >= QV__FLIGHT_COPY_BELOW) total += (uint64_t)p->parts[i].size;
  if (total > (uint64_t)INT32_MAX)
    return qv_error_set(err, QV_RESOURCE_EXHAUSTED,
                        "flight: a FlightData of %llu bytes exceeds gRPC's 2 GiB message limit",
                        (unsigned long long)total);

  grpc_slice *slices = malloc(n_slices * sizeof *slices);
  if (!slices) return qv_error_set(err, QV_NOMEM, "flight: out of memory framing a message");
  grpc_slice head = grpc_slice_malloc((size_t)first);
  uint8_t *h = GRPC_SLICE_START_PTR(head);
  size_t w = 0;
  if (meta_len) {
    w += put_key_len(h + w, QV__FD_DATA_HEADER, meta_len);
    memcpy(h + w, p->metadata.data, (size_t)meta_len);
    w += (size_t)meta_len;
  }
  if (app_len) {
    w += put_key_len(h + w, QV__FD_APP_METADATA, app_len);
    memcpy(h + w, app_metadata, (size_t)app_len);
    w += (size_t)app_len;
  }
  if (body_len) w += put_key_len(h + w, QV__FD_DATA_BODY, body_len);

  /* Runs of copied bytes become sub-slices of head, sharing its refcount. */
  size_t n = 0, run_start = 0;
  for (int64_t i = 0; i < p->n_parts; i++) {
    const qv_ipc_body_part *part = &p->parts[i];
    if (part->size <= 0) continue;
    if (part->size < QV__FLIGHT_COPY_BELOW) {
      memcpy(h + w, part->data, (size_t)part->size);
      w += (size_t)part->size;
      continue;
    }
    if (w > run_start) slices[n++] = grpc_slice_sub(head, run_start, w);
    run_start = w;
    if (part->owner) {
      slices[n++] = grpc_slice_new_with_user_data((void *)part->data, (size_t)part->size,
                                                  unref_buffer, qv_buffer_ref(part->owner));
    } else {
      slices[n++] = grpc_slice_from_static_buffer(part->data, (size_t)part->size);
    }
  }
  if (w > run_start) slices[n++] = grpc_slice_sub(head, run_start, w);
  grpc_slice_unref(head);

  *out = grpc_raw_byte_buffer_create(slices, n);
  for (size_t i = 0; i < n; i++) grpc_slice_unref(slices[i]);
  free(slices);
  return QV_OK;
}
