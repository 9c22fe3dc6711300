/* The protobuf layer of the plan codec: unpacking untrusted bytes safely,
 * packing message trees, raw wire reading and writing for tickets, the
 * encoding context, and the codec's error convention.
 *
 * protobuf-c unpacks recursively and allocates a struct per message, so
 * hostile bytes could exhaust the stack (deep nesting) or memory (many tiny
 * messages). Before protobuf-c sees an input, a scan driven by the message
 * descriptors walks its wire structure and rejects nesting beyond
 * QV__PLAN_MAX_WIRE_DEPTH; unpacking then draws from an allocator whose
 * budget is proportional to the input's size. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/codec_internal.h"

/* ---- errors ------------------------------------------------------------------------ */

qv_status qv__plan_fail(qv_status st, qv_error *err, const char *fmt, ...) {
  qv_status code = st == QV_NOMEM || st == QV_RESOURCE_EXHAUSTED ? st : QV_INVALID;
  if (!err) return code;
  char ctx[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx, sizeof ctx, fmt, ap);
  va_end(ap);
  qv_error_prefix(err, "%s", ctx);
  err->code = code;
  return code;
}

/* ---- encoding context ------------------------------------------------------------------ */

void qv__plan_enc_init(qv__plan_enc *e, const qv_session_state *session) {
  memset(e, 0, sizeof *e);
  qv_arena_init(&e->arena, NULL);
  e->session = session;
}

void qv__plan_enc_reset(qv__plan_enc *e) {
  for (int32_t i = 0; i < e->n_buffers; i++) qv_buffer_unref(e->buffers[i]);
  free(e->buffers);
  qv_arena_reset(&e->arena);
  memset(e, 0, sizeof *e);
}

qv_status qv__plan_enc_alloc(qv__plan_enc *e, size_t size, void **out, qv_error *err) {
  *out = qv_arena_alloc(&e->arena, (int64_t)(size ? size : 1));
  if (!*out) return qv_error_set(err, QV_NOMEM, "out of memory");
  memset(*out, 0, size);
  return QV_OK;
}

qv_status qv__plan_enc_strdup(qv__plan_enc *e, const char *s, char **out, qv_error *err) {
  if (!s) s = "";
  *out = qv_arena_strndup(&e->arena, s, (int64_t)strlen(s));
  if (!*out) return qv_error_set(err, QV_NOMEM, "out of memory");
  return QV_OK;
}

qv_status qv__plan_enc_keep(qv__plan_enc *e, qv_buffer *b, ProtobufCBinaryData *out, qv_error *err) {
  if (e->n_buffers == e->cap_buffers) {
    int32_t cap = e->cap_buffers ? e->cap_buffers * 2 : 8;
    qv_buffer **items = realloc(e->buffers, (size_t)cap * sizeof *items);
    if (!items) {
      qv_buffer_unref(b);
      return qv_error_set(err, QV_NOMEM, "out of memory");
    }
    e->buffers = items;
    e->cap_buffers = cap;
  }
  e->buffers[e->n_buffers++] = b;
  out->data = (uint8_t *)qv_buffer_data(b);
  out->len = (size_t)qv_buffer_size(b);
  return QV_OK;
}

/* ---- raw wire ---------------------------------------------------------------------------- */

bool qv__wire_read_varint(const uint8_t *p, int64_t n, int64_t *pos, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= n) return false;
    uint8_t b = p[(*pos)++];
    if (shift == 63 && b > 1) return false; /* more than 64 bits */
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return true;
    }
  }
  return false;
}

bool qv__wire_skip(const uint8_t *p, int64_t n, int64_t *pos, uint32_t wire_type) {
  uint64_t v;
  switch (wire_type) {
    case 0: return qv__wire_read_varint(p, n, pos, &v);
    case 1:
      if (n - *pos < 8) return false;
      *pos += 8;
      return true;
    case 2:
      if (!qv__wire_read_varint(p, n, pos, &v) || v > (uint64_t)(n - *pos)) return false;
      *pos += (int64_t)v;
      return true;
    case 5:
      if (n - *pos < 4) return false;
      *pos += 4;
      return true;
    default: return false; /* groups (3, 4) and undefined types */
  }
}

qv_status qv__wire_put_varint(qv_bytes *out, uint64_t v, qv_error *err) {
  uint8_t buf[10];
  int n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    buf[n++] = (uint8_t)(b | (v ? 0x80 : 0));
  } while (v);
  return qv_bytes_append(out, buf, n, err);
}

qv_status qv__wire_put_bytes(qv_bytes *out, uint32_t field, const uint8_t *data, int64_t n, qv_error *err) {
  QV_RETURN_NOT_OK(qv__wire_put_varint(out, ((uint64_t)field << 3) | 2, err));
  QV_RETURN_NOT_OK(qv__wire_put_varint(out, (uint64_t)n, err));
  return n ? qv_bytes_append(out, data, n, err) : QV_OK;
}

qv_status qv__wire_put_uint(qv_bytes *out, uint32_t field, uint64_t v, qv_error *err) {
  if (!v) return QV_OK;
  QV_RETURN_NOT_OK(qv__wire_put_varint(out, (uint64_t)field << 3, err));
  return qv__wire_put_varint(out, v, err);
}

/* ---- nesting scan ---------------------------------------------------------------------- */

/* Walks the fields of one message of descriptor d in p[0..n): checks the
 * wire framing and recurses into sub-messages up to max_depth. */
static qv_status scan_nesting(const ProtobufCMessageDescriptor *d, const uint8_t *p, int64_t n, int32_t depth,
                              const char *what, qv_error *err) {
  if (depth > QV__PLAN_MAX_WIRE_DEPTH)
    return qv_error_set(err, QV_INVALID, "%s: messages nested deeper than %d levels", what, QV__PLAN_MAX_WIRE_DEPTH);
  int64_t pos = 0;
  while (pos < n) {
    int64_t at = pos;
    uint64_t key;
    if (!qv__wire_read_varint(p, n, &pos, &key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
      return qv_error_set(err, QV_INVALID, "%s: malformed protobuf: bad field key at byte %lld", what, (long long)at);
    uint32_t wire_type = (uint32_t)(key & 7);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
    if (wire_type == 2 && f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
      uint64_t len;
      if (!qv__wire_read_varint(p, n, &pos, &len) || len > (uint64_t)(n - pos))
        return qv_error_set(err, QV_INVALID, "%s: malformed protobuf: field %u at byte %lld overruns its message",
                            what, (unsigned)(key >> 3), (long long)at);
      QV_RETURN_NOT_OK(scan_nesting(f->descriptor, p + pos, (int64_t)len, depth + 1, what, err));
      pos += (int64_t)len;
    } else if (!qv__wire_skip(p, n, &pos, wire_type)) {
      return qv_error_set(err, QV_INVALID, "%s: malformed protobuf: field %u at byte %lld (wire type %u)", what,
                          (unsigned)(key >> 3), (long long)at, wire_type);
    }
  }
  return QV_OK;
}

/* ---- budgeted unpacking ------------------------------------------------------------------ */

/* Every block carries its size in front, for the budget. */
#define HEADER 16

static void *budget_alloc(void *data, size_t size) {
  qv__pb_alloc *a = data;
  if (size > (size_t)(a->budget - a->used) || size > SIZE_MAX - HEADER) {
    a->exceeded = true;
    return NULL;
  }
  uint8_t *p = malloc(size + HEADER);
  if (!p) return NULL;
  memcpy(p, &size, sizeof size);
  a->used += (int64_t)size;
  return p + HEADER;
}

static void budget_free(void *data, void *ptr) {
  if (!ptr) return;
  qv__pb_alloc *a = data;
  uint8_t *p = (uint8_t *)ptr - HEADER;
  size_t size;
  memcpy(&size, p, sizeof size);
  a->used -= (int64_t)size;
  free(p);
}

qv_status qv__pb_unpack(const ProtobufCMessageDescriptor *d, const uint8_t *data, int64_t len, qv__pb_alloc *alloc,
                        const char *what, ProtobufCMessage **out, qv_error *err) {
  *out = NULL;
  memset(alloc, 0, sizeof *alloc);
  alloc->base.alloc = budget_alloc;
  alloc->base.free = budget_free;
  alloc->base.allocator_data = alloc;
  if (len < 0 || (len > 0 && !data)) return qv_error_set(err, QV_INVALID, "%s: no input bytes", what);
  if (len > QV_PLAN_MAX_ENCODED_SIZE)
    return qv_error_set(err, QV_INVALID, "%s: %lld bytes exceed the limit of %lld", what, (long long)len,
                        (long long)QV_PLAN_MAX_ENCODED_SIZE);
  /* Unpacked structs take up to a few dozen times the bytes of the tiny
   * messages they come from; anything beyond is not a plan. */
  alloc->budget = ((int64_t)1 << 20) + 64 * len;
  QV_RETURN_NOT_OK(scan_nesting(d, data, len, 1, what, err));
  static const uint8_t empty[1] = {0};
  *out = protobuf_c_message_unpack(d, &alloc->base, (size_t)len, len ? data : empty);
  if (*out) return QV_OK;
  if (alloc->exceeded)
    return qv_error_set(err, QV_RESOURCE_EXHAUSTED, "%s: unpacking %lld bytes needs more than %lld bytes of memory",
                        what, (long long)len, (long long)alloc->budget);
  return qv_error_set(err, QV_INVALID, "%s: malformed protobuf (not a %s message)", what, d->name);
}

void qv__pb_free(ProtobufCMessage *m, qv__pb_alloc *alloc) {
  if (m) protobuf_c_message_free_unpacked(m, &alloc->base);
}

qv_status qv__pb_pack(const ProtobufCMessage *m, qv_bytes *out, const char *what, qv_error *err) {
  size_t size = protobuf_c_message_get_packed_size(m);
  if (size > (size_t)QV_PLAN_MAX_ENCODED_SIZE)
    return qv_error_set(err, QV_INVALID, "%s: the encoding takes %zu bytes, over the limit of %lld", what, size,
                        (long long)QV_PLAN_MAX_ENCODED_SIZE);
  QV_RETURN_NOT_OK(qv_bytes_reserve(out, (int64_t)size, err));
  size_t written = protobuf_c_message_pack(m, out->data + out->size);
  if (written != size) return qv_error_set(err, QV_INTERNAL, "%s: packed %zu bytes, expected %zu", what, written, size);
  out->size += (int64_t)size;
  return QV_OK;
}
