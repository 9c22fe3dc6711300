/* Flight tickets: qv_ticket <-> the bytes of a quiver.DoGet message.
 *
 * A worker decodes each stage plan once per stage key and serves every
 * partition of the task from its registry, so reading a ticket must not
 * decode the plan: the DoGet message is read field by field straight from
 * the wire (it has only scalars, the stage key and the plan), and the plan's
 * bytes are handed back as a view into the ticket. Writing is symmetric: a
 * plan encoded once can be embedded as is in the tickets of every task and
 * partition. The output is ordinary protobuf that any implementation of
 * proto/quiver.proto reads (tests check it against protobuf-c). */
#include <string.h>

#include "plan/codec_internal.h"

/* Field numbers of proto/quiver.proto. */
enum { DOGET_PLAN = 1, DOGET_TASK_INDEX = 2, DOGET_TASK_COUNT = 3, DOGET_PARTITION = 4, DOGET_STAGE_KEY = 5 };
enum { KEY_QUERY_ID = 1, KEY_STAGE_ID = 2, KEY_TASK_NUMBER = 3 };

void qv_ticket_init(qv_ticket *t) {
  memset(t, 0, sizeof *t);
  t->task_count = 1;
}

static qv_status encode_stage_key(const qv_stage_key *k, qv_bytes *out, qv_error *err) {
  QV_RETURN_NOT_OK(qv__wire_put_bytes(out, KEY_QUERY_ID, k->query_id, (int64_t)sizeof k->query_id, err));
  QV_RETURN_NOT_OK(qv__wire_put_uint(out, KEY_STAGE_ID, k->stage_id, err));
  return qv__wire_put_uint(out, KEY_TASK_NUMBER, k->task_number, err);
}

static qv_status encode_ticket(const qv_ticket *t, const qv_session_state *session, qv_bytes *out, qv_error *err) {
  if (t->plan) {
    qv_bytes plan;
    qv_bytes_init(&plan, NULL);
    qv_status st = qv_plan_encode(t->plan, session, &plan, err);
    if (st == QV_OK) st = qv__wire_put_bytes(out, DOGET_PLAN, plan.data, plan.size, err);
    qv_bytes_reset(&plan);
    QV_RETURN_NOT_OK(st);
  } else {
    QV_RETURN_NOT_OK(qv__wire_put_bytes(out, DOGET_PLAN, t->plan_bytes, t->plan_len, err));
  }
  QV_RETURN_NOT_OK(qv__wire_put_uint(out, DOGET_TASK_INDEX, t->task_index, err));
  QV_RETURN_NOT_OK(qv__wire_put_uint(out, DOGET_TASK_COUNT, t->task_count, err));
  QV_RETURN_NOT_OK(qv__wire_put_uint(out, DOGET_PARTITION, t->partition, err));
  qv_bytes key;
  qv_bytes_init(&key, NULL);
  qv_status st = encode_stage_key(&t->stage_key, &key, err);
  if (st == QV_OK) st = qv__wire_put_bytes(out, DOGET_STAGE_KEY, key.data, key.size, err);
  qv_bytes_reset(&key);
  return st;
}

qv_status qv_ticket_encode(const qv_ticket *t, const qv_session_state *session, qv_bytes *out, qv_error *err) {
  if (!t || !out) return qv_error_set(err, QV_INVALID, "ticket: nothing to encode");
  if (!t->plan && (!t->plan_bytes || t->plan_len <= 0))
    return qv_error_set(err, QV_INVALID, "ticket: no plan (set plan or plan_bytes)");
  if (!t->plan && t->plan_len > QV_PLAN_MAX_ENCODED_SIZE)
    return qv_error_set(err, QV_INVALID, "ticket: a plan of %lld bytes exceeds the limit of %lld",
                        (long long)t->plan_len, (long long)QV_PLAN_MAX_ENCODED_SIZE);
  if (t->task_count == 0) return qv_error_set(err, QV_INVALID, "ticket: task_count is 0");
  if (t->task_index >= t->task_count)
    return qv_error_set(err, QV_INVALID, "ticket: task_index %u is not below task_count %u", t->task_index,
                        t->task_count);
  int64_t start = out->size;
  qv_status st = encode_ticket(t, session, out, err);
  if (st != QV_OK) out->size = start;
  return st;
}

/* ---- decoding ------------------------------------------------------------------------ */

static qv_status malformed(qv_error *err, const char *what, int64_t at) {
  return qv_error_set(err, QV_INVALID, "ticket: malformed protobuf: %s at byte %lld", what, (long long)at);
}

static qv_status read_uint32(const uint8_t *p, int64_t n, int64_t *pos, const char *name, uint32_t *out,
                             qv_error *err) {
  int64_t at = *pos;
  uint64_t v;
  if (!qv__wire_read_varint(p, n, pos, &v)) return malformed(err, name, at);
  if (v > UINT32_MAX)
    return qv_error_set(err, QV_INVALID, "ticket: %s %llu does not fit 32 bits", name, (unsigned long long)v);
  *out = (uint32_t)v;
  return QV_OK;
}

/* Reads the length of a length-delimited field and returns its bytes. */
static qv_status read_len(const uint8_t *p, int64_t n, int64_t *pos, const char *name, const uint8_t **data,
                          int64_t *len, qv_error *err) {
  int64_t at = *pos;
  uint64_t v;
  if (!qv__wire_read_varint(p, n, pos, &v) || v > (uint64_t)(n - *pos)) return malformed(err, name, at);
  *data = p + *pos;
  *len = (int64_t)v;
  *pos += (int64_t)v;
  return QV_OK;
}

/* Merges a StageKey message into k (later fields win, as protobuf merges). */
static qv_status decode_stage_key(const uint8_t *p, int64_t n, qv_stage_key *k, bool *has_query_id, qv_error *err) {
  int64_t pos = 0;
  while (pos < n) {
    int64_t at = pos;
    uint64_t key;
    if (!qv__wire_read_varint(p, n, &pos, &key) || (key >> 3) == 0) return malformed(err, "stage key field", at);
    uint64_t field = key >> 3;
    uint32_t wt = (uint32_t)(key & 7);
    if (field == KEY_QUERY_ID && wt == 2) {
      const uint8_t *id;
      int64_t len;
      QV_RETURN_NOT_OK(read_len(p, n, &pos, "query id", &id, &len, err));
      if (len != (int64_t)sizeof k->query_id)
        return qv_error_set(err, QV_INVALID, "ticket: query id of %lld bytes, expected 16", (long long)len);
      memcpy(k->query_id, id, sizeof k->query_id);
      *has_query_id = true;
    } else if ((field == KEY_STAGE_ID || field == KEY_TASK_NUMBER) && wt == 0) {
      uint64_t v;
      if (!qv__wire_read_varint(p, n, &pos, &v)) return malformed(err, "stage key value", at);
      if (field == KEY_STAGE_ID) k->stage_id = v;
      else k->task_number = v;
    } else if (field <= KEY_TASK_NUMBER) {
      return qv_error_set(err, QV_INVALID, "ticket: stage key field %llu has wire type %u", (unsigned long long)field,
                          wt);
    } else if (!qv__wire_skip(p, n, &pos, wt)) {
      return malformed(err, "unknown stage key field", at);
    }
  }
  return QV_OK;
}

static qv_status decode_ticket(const uint8_t *p, int64_t n, qv_ticket *t, qv_error *err) {
  bool has_key = false, has_query_id = false;
  int64_t pos = 0;
  while (pos < n) {
    int64_t at = pos;
    uint64_t key;
    if (!qv__wire_read_varint(p, n, &pos, &key) || (key >> 3) == 0) return malformed(err, "field key", at);
    uint64_t field = key >> 3;
    uint32_t wt = (uint32_t)(key & 7);
    bool want_len = field == DOGET_PLAN || field == DOGET_STAGE_KEY;
    if (field >= DOGET_PLAN && field <= DOGET_STAGE_KEY && wt != (want_len ? 2u : 0u))
      return qv_error_set(err, QV_INVALID, "ticket: field %llu has wire type %u", (unsigned long long)field, wt);
    switch (field) {
      case DOGET_PLAN:
        if (t->plan_bytes) return qv_error_set(err, QV_INVALID, "ticket: the plan appears twice");
        QV_RETURN_NOT_OK(read_len(p, n, &pos, "plan", &t->plan_bytes, &t->plan_len, err));
        break;
      case DOGET_TASK_INDEX: QV_RETURN_NOT_OK(read_uint32(p, n, &pos, "task_index", &t->task_index, err)); break;
      case DOGET_TASK_COUNT: QV_RETURN_NOT_OK(read_uint32(p, n, &pos, "task_count", &t->task_count, err)); break;
      case DOGET_PARTITION: QV_RETURN_NOT_OK(read_uint32(p, n, &pos, "partition", &t->partition, err)); break;
      case DOGET_STAGE_KEY: {
        const uint8_t *sub;
        int64_t len;
        QV_RETURN_NOT_OK(read_len(p, n, &pos, "stage key", &sub, &len, err));
        QV_RETURN_NOT_OK(decode_stage_key(sub, len, &t->stage_key, &has_query_id, err));
        has_key = true;
        break;
      }
      default:
        if (!qv__wire_skip(p, n, &pos, wt)) return malformed(err, "unknown field", at);
        break;
    }
  }
  if (!t->plan_bytes) return qv_error_set(err, QV_INVALID, "ticket: no plan");
  if (!has_key || !has_query_id) return qv_error_set(err, QV_INVALID, "ticket: no stage key with a query id");
  if (t->task_count == 0) return qv_error_set(err, QV_INVALID, "ticket: task_count is 0");
  if (t->task_index >= t->task_count)
    return qv_error_set(err, QV_INVALID, "ticket: task_index %u is not below task_count %u", t->task_index,
                        t->task_count);
  return QV_OK;
}

qv_status qv_ticket_decode(const uint8_t *data, int64_t len, qv_ticket *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  if (len < 0 || (len > 0 && !data)) return qv_error_set(err, QV_INVALID, "ticket: no bytes");
  if (len > QV_PLAN_MAX_ENCODED_SIZE)
    return qv_error_set(err, QV_INVALID, "ticket: %lld bytes exceed the limit of %lld", (long long)len,
                        (long long)QV_PLAN_MAX_ENCODED_SIZE);
  qv_status st = decode_ticket(data, len, out, err);
  if (st != QV_OK) memset(out, 0, sizeof *out);
  return st;
}
