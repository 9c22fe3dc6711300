/* The Thrift compact protocol, read side: varints and zigzag integers, field
 * headers with their delta-encoded ids, list/set/map headers, and a skipper
 * for values of any wire type. Parquet's decoders (metadata.c) are written by
 * hand on top of these primitives; everything here is bounds-checked against
 * the input and nesting is capped at QV_PQ_THRIFT_MAX_DEPTH. Error messages
 * carry the byte offset within the structure being decoded. */
#include "io/parquet/thrift.h"

#include <string.h>

void qv__pq_thrift_init(qv_pq_thrift *t, const uint8_t *data, int64_t size) {
  t->start = data;
  t->pos = data;
  t->end = data + size;
  t->depth = 0;
}

static qv_status truncated(const qv_pq_thrift *t, const char *what, qv_error *err) {
  return qv_error_set(err, QV_INVALID, "thrift: truncated %s at byte %lld", what,
                      (long long)qv__pq_thrift_offset(t));
}

qv_status qv__pq_thrift_varint(qv_pq_thrift *t, uint64_t *out, qv_error *err) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (t->pos >= t->end) return truncated(t, "varint", err);
    uint8_t b = *t->pos++;
    if (shift == 63 && (b & 0x7e))
      return qv_error_set(err, QV_INVALID, "thrift: varint overflows 64 bits at byte %lld",
                          (long long)qv__pq_thrift_offset(t));
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return QV_OK;
    }
  }
  return qv_error_set(err, QV_INVALID, "thrift: varint longer than 10 bytes at byte %lld",
                      (long long)qv__pq_thrift_offset(t));
}

static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

qv_status qv__pq_thrift_i64(qv_pq_thrift *t, int64_t *out, qv_error *err) {
  uint64_t v;
  QV_RETURN_NOT_OK(qv__pq_thrift_varint(t, &v, err));
  *out = unzigzag(v);
  return QV_OK;
}

qv_status qv__pq_thrift_i32(qv_pq_thrift *t, int32_t *out, qv_error *err) {
  int64_t v;
  QV_RETURN_NOT_OK(qv__pq_thrift_i64(t, &v, err));
  if (v < INT32_MIN || v > INT32_MAX)
    return qv_error_set(err, QV_INVALID, "thrift: i32 value %lld out of range at byte %lld",
                        (long long)v, (long long)qv__pq_thrift_offset(t));
  *out = (int32_t)v;
  return QV_OK;
}

qv_status qv__pq_thrift_i16(qv_pq_thrift *t, int16_t *out, qv_error *err) {
  int64_t v;
  QV_RETURN_NOT_OK(qv__pq_thrift_i64(t, &v, err));
  if (v < INT16_MIN || v > INT16_MAX)
    return qv_error_set(err, QV_INVALID, "thrift: i16 value %lld out of range at byte %lld",
                        (long long)v, (long long)qv__pq_thrift_offset(t));
  *out = (int16_t)v;
  return QV_OK;
}

qv_status qv__pq_thrift_i8(qv_pq_thrift *t, int8_t *out, qv_error *err) {
  if (t->pos >= t->end) return truncated(t, "i8", err);
  *out = (int8_t)*t->pos++;
  return QV_OK;
}

qv_status qv__pq_thrift_double(qv_pq_thrift *t, double *out, qv_error *err) {
  if (t->end - t->pos < 8) return truncated(t, "double", err);
  memcpy(out, t->pos, 8); /* little-endian on the wire, as on every supported host */
  t->pos += 8;
  return QV_OK;
}

qv_status qv__pq_thrift_binary(qv_pq_thrift *t, const uint8_t **data, int64_t *len, qv_error *err) {
  uint64_t n;
  QV_RETURN_NOT_OK(qv__pq_thrift_varint(t, &n, err));
  if (n > (uint64_t)(t->end - t->pos))
    return qv_error_set(err, QV_INVALID,
                        "thrift: binary of %llu bytes at byte %lld exceeds the %lld bytes left",
                        (unsigned long long)n, (long long)qv__pq_thrift_offset(t),
                        (long long)(t->end - t->pos));
  *data = t->pos;
  *len = (int64_t)n;
  t->pos += n;
  return QV_OK;
}

qv_status qv__pq_thrift_bool_element(qv_pq_thrift *t, bool *out, qv_error *err) {
  if (t->pos >= t->end) return truncated(t, "bool", err);
  *out = *t->pos++ == 1;
  return QV_OK;
}

qv_status qv__pq_thrift_field(qv_pq_thrift *t, int16_t *id, int *type, qv_error *err) {
  if (t->pos >= t->end) return truncated(t, "struct (no stop field)", err);
  uint8_t b = *t->pos++;
  *type = b & 0x0f;
  if (*type == QV_PQ_T_STOP) {
    if (b != 0)
      return qv_error_set(err, QV_INVALID, "thrift: bad stop field 0x%02x at byte %lld", b,
                          (long long)qv__pq_thrift_offset(t) - 1);
    return QV_OK;
  }
  if (*type > QV_PQ_T_UUID)
    return qv_error_set(err, QV_INVALID, "thrift: unknown field type %d at byte %lld", *type,
                        (long long)qv__pq_thrift_offset(t) - 1);
  int delta = b >> 4;
  if (delta) {
    if (*id > INT16_MAX - delta)
      return qv_error_set(err, QV_INVALID, "thrift: field id overflow at byte %lld",
                          (long long)qv__pq_thrift_offset(t) - 1);
    *id = (int16_t)(*id + delta);
  } else {
    QV_RETURN_NOT_OK(qv__pq_thrift_i16(t, id, err));
  }
  return QV_OK;
}

qv_status qv__pq_thrift_enter(qv_pq_thrift *t, qv_error *err) {
  if (t->depth >= QV_PQ_THRIFT_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "thrift: nesting deeper than %d at byte %lld",
                        QV_PQ_THRIFT_MAX_DEPTH, (long long)qv__pq_thrift_offset(t));
  t->depth++;
  return QV_OK;
}

void qv__pq_thrift_leave(qv_pq_thrift *t) {
  if (t->depth > 0) t->depth--;
}

qv_status qv__pq_thrift_list(qv_pq_thrift *t, int *elem_type, int64_t *count, qv_error *err) {
  if (t->pos >= t->end) return truncated(t, "list header", err);
  uint8_t b = *t->pos++;
  *elem_type = b & 0x0f;
  uint64_t n = b >> 4;
  if (n == 15) QV_RETURN_NOT_OK(qv__pq_thrift_varint(t, &n, err));
  if (*elem_type == QV_PQ_T_STOP || *elem_type > QV_PQ_T_UUID)
    return qv_error_set(err, QV_INVALID, "thrift: unknown list element type %d at byte %lld",
                        *elem_type, (long long)qv__pq_thrift_offset(t));
  /* Every element takes at least one byte on the wire. */
  if (n > (uint64_t)(t->end - t->pos))
    return qv_error_set(err, QV_INVALID,
                        "thrift: list of %llu elements at byte %lld exceeds the %lld bytes left",
                        (unsigned long long)n, (long long)qv__pq_thrift_offset(t),
                        (long long)(t->end - t->pos));
  QV_RETURN_NOT_OK(qv__pq_thrift_enter(t, err));
  *count = (int64_t)n;
  return QV_OK;
}

/* Skips one value; bools in collections are one byte (`in_collection`). */
static qv_status skip_value(qv_pq_thrift *t, int type, bool in_collection, qv_error *err) {
  uint64_t u;
  switch (type) {
    case QV_PQ_T_TRUE:
    case QV_PQ_T_FALSE:
      if (!in_collection) return QV_OK;
      if (t->pos >= t->end) return truncated(t, "bool", err);
      t->pos++;
      return QV_OK;
    case QV_PQ_T_I8:
      if (t->pos >= t->end) return truncated(t, "i8", err);
      t->pos++;
      return QV_OK;
    case QV_PQ_T_I16:
    case QV_PQ_T_I32:
    case QV_PQ_T_I64: return qv__pq_thrift_varint(t, &u, err);
    case QV_PQ_T_DOUBLE:
      if (t->end - t->pos < 8) return truncated(t, "double", err);
      t->pos += 8;
      return QV_OK;
    case QV_PQ_T_UUID:
      if (t->end - t->pos < 16) return truncated(t, "uuid", err);
      t->pos += 16;
      return QV_OK;
    case QV_PQ_T_BINARY: {
      const uint8_t *d;
      int64_t n;
      return qv__pq_thrift_binary(t, &d, &n, err);
    }
    case QV_PQ_T_LIST:
    case QV_PQ_T_SET: {
      int et;
      int64_t n;
      QV_RETURN_NOT_OK(qv__pq_thrift_list(t, &et, &n, err));
      for (int64_t i = 0; i < n; i++) QV_RETURN_NOT_OK(skip_value(t, et, true, err));
      qv__pq_thrift_leave(t);
      return QV_OK;
    }
    case QV_PQ_T_MAP: {
      QV_RETURN_NOT_OK(qv__pq_thrift_varint(t, &u, err));
      if (u == 0) return QV_OK;
      if (t->pos >= t->end) return truncated(t, "map header", err);
      uint8_t kv = *t->pos++;
      int kt = kv >> 4, vt = kv & 0x0f;
      if (kt == QV_PQ_T_STOP || kt > QV_PQ_T_UUID || vt == QV_PQ_T_STOP || vt > QV_PQ_T_UUID)
        return qv_error_set(err, QV_INVALID, "thrift: bad map types 0x%02x at byte %lld", kv,
                            (long long)qv__pq_thrift_offset(t) - 1);
      /* Each pair takes at least two bytes. */
      if (u > (uint64_t)(t->end - t->pos) / 2)
        return qv_error_set(err, QV_INVALID, "thrift: map of %llu entries at byte %lld exceeds the input",
                            (unsigned long long)u, (long long)qv__pq_thrift_offset(t));
      QV_RETURN_NOT_OK(qv__pq_thrift_enter(t, err));
      for (uint64_t i = 0; i < u; i++) {
        QV_RETURN_NOT_OK(skip_value(t, kt, true, err));
        QV_RETURN_NOT_OK(skip_value(t, vt, true, err));
      }
      qv__pq_thrift_leave(t);
      return QV_OK;
    }
    case QV_PQ_T_STRUCT: {
      QV_RETURN_NOT_OK(qv__pq_thrift_enter(t, err));
      int16_t id = 0;
      for (;;) {
        int ft;
        QV_RETURN_NOT_OK(qv__pq_thrift_field(t, &id, &ft, err));
        if (ft == QV_PQ_T_STOP) break;
        QV_RETURN_NOT_OK(skip_value(t, ft, false, err));
      }
      qv__pq_thrift_leave(t);
      return QV_OK;
    }
    default:
      return qv_error_set(err, QV_INVALID, "thrift: unknown type %d at byte %lld", type,
                          (long long)qv__pq_thrift_offset(t));
  }
}

qv_status qv__pq_thrift_skip(qv_pq_thrift *t, int type, qv_error *err) {
  return skip_value(t, type, false, err);
}
