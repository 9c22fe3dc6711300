/* The client side of DoGet: a stream of record batches read from a Flight
 * server, pulled by the consumer one message at a time.
 *
 * Each next() starts one RECV_MESSAGE and waits for it on the call's own
 * completion queue, so the server can run ahead only as far as HTTP/2 flow
 * control lets it (backpressure). A received FlightData is parsed by hand
 * (flight_data.c): its body is copied once into 64-byte aligned memory, and
 * the IPC decoder's arrays reference that memory directly. Messages without a
 * data_header (app_metadata only) are skipped.
 *
 * Failures are sticky: after an error, every next() reports it again. The
 * call is cancelled on any local failure so that the server stops producing. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "flight.pb-c.h"
#include "flight/flight_internal.h"

struct qv_flight_stream {
  char *location;
  const qv_ipc_read_options *read_opts;
  grpc_completion_queue *cq;
  grpc_call *call;
  qv__client_call_state cs;
  char start_tag, status_tag, recv_tag;
  bool finished;      /* start and status plucked: the call is over */
  bool ended;         /* the server ended the stream with OK */
  qv_ipc_decoder *dec;
  qv_status failed;   /* sticky */
  qv_error failure;
  atomic_bool cancelled;
};

static void pluck(grpc_completion_queue *cq, void *tag) {
  grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
}

/* Waits for the call's end (its status); call only when no receive is
 * pending and none will be started. */
static void finish_call(qv_flight_stream *s) {
  if (s->finished) return;
  if (s->cs.start_started) pluck(s->cq, &s->start_tag);
  if (s->cs.status_started) pluck(s->cq, &s->status_tag);
  s->finished = true;
}

/* Records a sticky failure (err holds its message) and cancels the call. */
static qv_status fail(qv_flight_stream *s, qv_status st, const qv_error *err) {
  if (!s->finished) {
    grpc_call_cancel(s->call, NULL);
    finish_call(s);
  }
  s->failed = st;
  if (err) s->failure = *err;
  else qv_error_set(&s->failure, st, "flight %s: DoGet failed", s->location);
  s->failure.code = st;
  return st;
}

static qv_status report(const qv_flight_stream *s, qv_error *err) {
  if (err) *err = s->failure;
  return s->failed;
}

/* Receives the next message into *fd; sets *eos (fd empty) when the server
 * closed the stream with OK. Failures are recorded in s. */
static qv_status receive(qv_flight_stream *s, qv__flight_data *fd, bool *eos) {
  *eos = false;
  memset(fd, 0, sizeof *fd);
  grpc_byte_buffer *msg = NULL;
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = &msg;
  grpc_call_error e = grpc_call_start_batch(s->call, &op, 1, &s->recv_tag, NULL);
  if (e == GRPC_CALL_OK) pluck(s->cq, &s->recv_tag);
  if (!msg) { /* the stream is over: its status says how */
    finish_call(s);
    qv_error err;
    if (atomic_load(&s->cancelled)) {
      qv_error_set(&err, QV_CANCELLED, "flight %s: DoGet: cancelled by the client", s->location);
      return fail(s, QV_CANCELLED, &err);
    }
    if (s->cs.status != GRPC_STATUS_OK) {
      qv_status st = qv__flight_error_from_call(&err, s->location, "DoGet", s->cs.status,
                                                &s->cs.details);
      return fail(s, st, &err);
    }
    *eos = true;
    return QV_OK;
  }
  qv_error err;
  qv_error_init(&err);
  qv_status st = qv__flight_data_read(msg, s->read_opts->alloc, fd, &err);
  grpc_byte_buffer_destroy(msg);
  if (st != QV_OK) {
    qv_error_prefix(&err, "flight %s: DoGet", s->location);
    return fail(s, st, &err);
  }
  return QV_OK;
}

/* Reads messages until a record batch (*out), or the end (*out NULL). With
 * until_schema, stops as soon as the schema is known instead. */
static qv_status pump(qv_flight_stream *s, bool until_schema, qv_record_batch **out) {
  *out = NULL;
  for (;;) {
    if (until_schema && qv_ipc_decoder_schema(s->dec)) return QV_OK;
    qv__flight_data fd;
    bool eos;
    QV_RETURN_NOT_OK(receive(s, &fd, &eos));
    if (eos) {
      if (!qv_ipc_decoder_schema(s->dec)) {
        qv_error err;
        qv_error_set(&err, QV_INVALID, "flight %s: DoGet: the stream ended without a schema",
                     s->location);
        return fail(s, QV_INVALID, &err);
      }
      s->ended = true;
      return QV_OK;
    }
    if (!fd.header) { /* app_metadata only */
      qv__flight_data_reset(&fd);
      continue;
    }
    qv_error err;
    qv_error_init(&err);
    qv_status st = qv_ipc_decoder_decode(s->dec, qv_buffer_data(fd.header),
                                         qv_buffer_size(fd.header), fd.body, out, &err);
    qv__flight_data_reset(&fd);
    if (st != QV_OK) {
      qv_error_prefix(&err, "flight %s: DoGet", s->location);
      return fail(s, st, &err);
    }
    if (*out) return QV_OK;
  }
}

void qv_flight_stream_destroy(qv_flight_stream *s) {
  if (!s) return;
  if (s->call) {
    if (!s->finished) grpc_call_cancel(s->call, NULL);
    finish_call(s);
    grpc_call_unref(s->call);
  }
  qv__flight_client_call_state_reset(&s->cs);
  if (s->cq) {
    grpc_completion_queue_shutdown(s->cq);
    grpc_completion_queue_destroy(s->cq);
  }
  qv_ipc_decoder_destroy(s->dec);
  free(s->location);
  free(s);
}

qv_status qv_flight_client_do_get(qv_flight_client *client, const char *location,
                                  const uint8_t *ticket, int64_t ticket_len,
                                  const qv_flight_call_options *call_opts, qv_flight_stream **out,
                                  qv_error *err) {
  *out = NULL;
  if (ticket_len < 0 || (ticket_len > 0 && !ticket))
    return qv_error_set(err, QV_INVALID, "flight: DoGet needs a ticket");
  grpc_channel *ch;
  QV_RETURN_NOT_OK(qv__flight_client_channel(client, location, &ch, err));
  qv_flight_stream *s = calloc(1, sizeof *s);
  size_t loc_len = strlen(location);
  if (s) s->location = malloc(loc_len + 1);
  if (!s || !s->location) {
    free(s);
    return qv_error_set(err, QV_NOMEM, "flight: out of memory");
  }
  memcpy(s->location, location, loc_len + 1);
  s->read_opts = qv__flight_client_read_options(client);
  atomic_init(&s->cancelled, false);
  s->cs.details = grpc_empty_slice();
  grpc_metadata_array_init(&s->cs.initial_md);
  grpc_metadata_array_init(&s->cs.trailing_md);
  qv_status st = qv_ipc_decoder_create(s->read_opts, &s->dec, err);
  if (st != QV_OK) {
    qv_flight_stream_destroy(s);
    return st;
  }

  /* The request: a Ticket message. */
  Arrow__Flight__Protocol__Ticket t = ARROW__FLIGHT__PROTOCOL__TICKET__INIT;
  t.ticket.data = (uint8_t *)ticket;
  t.ticket.len = (size_t)ticket_len;
  size_t len = arrow__flight__protocol__ticket__get_packed_size(&t);
  uint8_t *packed = malloc(len ? len : 1);
  if (!packed) {
    qv_flight_stream_destroy(s);
    return qv_error_set(err, QV_NOMEM, "flight: out of memory");
  }
  arrow__flight__protocol__ticket__pack(&t, packed);

  s->cq = grpc_completion_queue_create_for_pluck(NULL);
  s->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, s->cq,
                                     grpc_slice_from_static_string(
                                         qv__flight_method_paths[QV__FLIGHT_DO_GET]),
                                     NULL,
                                     qv__flight_deadline(call_opts ? call_opts->timeout_ms : 0),
                                     NULL);
  st = qv__flight_client_start_call(s->call, &s->cs, packed, len, call_opts, &s->start_tag,
                                    &s->status_tag, err);
  free(packed);
  if (st != QV_OK) {
    qv_error_prefix(err, "flight %s: DoGet", location);
    qv_flight_stream_destroy(s);
    return st;
  }
  qv_record_batch *none;
  st = pump(s, true, &none);
  if (st != QV_OK) {
    report(s, err);
    qv_flight_stream_destroy(s);
    return st;
  }
  *out = s;
  return QV_OK;
}

qv_schema *qv_flight_stream_schema(const qv_flight_stream *s) {
  return qv_ipc_decoder_schema(s->dec);
}

qv_status qv_flight_stream_next(qv_flight_stream *s, qv_record_batch **out, qv_error *err) {
  *out = NULL;
  if (s->failed) return report(s, err);
  if (s->ended) return QV_OK;
  qv_status st = pump(s, false, out);
  if (st != QV_OK) return report(s, err);
  return QV_OK;
}

void qv_flight_stream_cancel(qv_flight_stream *s) {
  atomic_store(&s->cancelled, true);
  grpc_call_cancel(s->call, NULL);
}

/* ---- ArrowArrayStream export ---------------------------------------------------- */

static qv_status iter_next(void *state, qv_record_batch **out, qv_error *err) {
  return qv_flight_stream_next(state, out, err);
}

static void iter_destroy(void *state) { qv_flight_stream_destroy(state); }

qv_status qv_flight_stream_export(qv_flight_stream *s, struct ArrowArrayStream *out,
                                  qv_error *err) {
  qv_batch_iterator iter = {iter_next, iter_destroy, s};
  return qv_array_stream_export(qv_flight_stream_schema(s), &iter, out, err);
}
