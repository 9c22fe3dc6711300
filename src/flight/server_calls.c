/* The Flight server's methods: DoGet streams, ListActions, DoAction, and the
 * UNIMPLEMENTED answer of every other method.
 *
 * DoGet, DoAction and ListActions run on a thread of their own, because
 * their handlers may block (a DoGet source executes a plan). The thread sends
 * one message at a time and waits for gRPC to take it before producing the
 * next, so a slow client slows its producer (gRPC's flow control reaches all
 * the way back) and at most one message per call is in flight. Between
 * batches the thread checks whether the client cancelled; a cancellation that
 * arrives while the source is computing runs the source's cancel hook (from
 * server.c's RECV_CLOSE handler), so the producer stops promptly.
 *
 * Other methods are answered at once from the completion-queue thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>

#include "flight.pb-c.h"
#include "flight/server_internal.h"

/* ---- the public view of a call ----------------------------------------------- */

const char *qv_flight_call_peer(const qv_flight_call *call) {
  return call->peer ? call->peer : "";
}

const char *qv_flight_call_method(const qv_flight_call *call) { return call->method; }

size_t qv_flight_call_num_headers(const qv_flight_call *call) { return call->n_headers; }

qv_flight_header qv_flight_call_header(const qv_flight_call *call, size_t i) {
  if (i >= call->n_headers) return (qv_flight_header){NULL, NULL, 0};
  return call->headers[i];
}

const char *qv_flight_call_header_find(const qv_flight_call *call, const char *key,
                                       size_t *value_len) {
  for (size_t i = 0; i < call->n_headers; i++) {
    if (strcmp(call->headers[i].key, key) == 0) {
      if (value_len) *value_len = call->headers[i].value_len;
      return call->headers[i].value;
    }
  }
  if (value_len) *value_len = 0;
  return NULL;
}

bool qv_flight_call_is_cancelled(const qv_flight_call *call) {
  return atomic_load(&((qv_flight_call *)call)->cancelled);
}

/* ---- sending ----------------------------------------------------------------- */

void qv__server_send_status(server_call *c, qv_status status, const char *message) {
  grpc_op ops[2];
  memset(ops, 0, sizeof ops);
  size_t n = 0;
  if (!c->initial_md_sent) {
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    n++;
    c->initial_md_sent = true;
  }
  c->status_details = grpc_slice_from_copied_string(message ? message : "");
  c->has_status_details = true;
  ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[n].data.send_status_from_server.status = (grpc_status_code)qv_flight_status_to_grpc(status);
  ops[n].data.send_status_from_server.status_details = status == QV_OK ? NULL : &c->status_details;
  n++;
  qv__server_call_ref(c);
  if (grpc_call_start_batch(c->call, ops, n, &c->t_status, NULL) != GRPC_CALL_OK) {
    qv__server_call_unref(c);
    grpc_call_cancel(c->call, NULL);
  }
}

/* Sends one message and waits until gRPC has taken it. Takes over bb. */
static qv_status send_message(server_call *c, grpc_byte_buffer *bb, qv_error *err) {
  grpc_op ops[2];
  memset(ops, 0, sizeof ops);
  size_t n = 0;
  if (!c->initial_md_sent) {
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    n++;
  }
  ops[n].op = GRPC_OP_SEND_MESSAGE;
  ops[n].data.send_message.send_message = bb;
  n++;
  pthread_mutex_lock(&c->mu);
  c->send_pending = true;
  c->refs++;
  pthread_mutex_unlock(&c->mu);
  grpc_call_error e = grpc_call_start_batch(c->call, ops, n, &c->t_send, NULL);
  if (e != GRPC_CALL_OK) {
    pthread_mutex_lock(&c->mu);
    c->send_pending = false;
    pthread_mutex_unlock(&c->mu);
    qv__server_call_unref(c);
    grpc_byte_buffer_destroy(bb);
    return qv_error_set(err, QV_INTERNAL, "flight: cannot send: %s", grpc_call_error_to_string(e));
  }
  c->initial_md_sent = true;
  pthread_mutex_lock(&c->mu);
  while (c->send_pending) pthread_cond_wait(&c->cv, &c->mu);
  bool ok = c->send_ok;
  pthread_mutex_unlock(&c->mu);
  grpc_byte_buffer_destroy(bb);
  if (!ok) {
    atomic_store(&c->pub.cancelled, true);
    return qv_error_set(err, QV_CANCELLED,
                        "flight: %s: the call ended while sending (cancelled by the client, "
                        "deadline passed, connection lost, or message over the size limit)",
                        c->pub.method);
  }
  return QV_OK;
}

/* Sends a protobuf-c message. */
static qv_status send_packed(server_call *c, const ProtobufCMessage *msg, qv_error *err) {
  size_t len = protobuf_c_message_get_packed_size(msg);
  grpc_slice s = grpc_slice_malloc(len);
  protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  return send_message(c, bb, err);
}

/* The request message as one contiguous slice (empty when absent). */
static grpc_slice request_bytes(server_call *c) {
  grpc_slice all = grpc_empty_slice();
  grpc_byte_buffer_reader r;
  if (c->payload && grpc_byte_buffer_reader_init(&r, c->payload)) {
    all = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
  }
  return all;
}

/* ---- DoGet ---------------------------------------------------------------------- */

static qv_status send_payloads(server_call *c, qv_ipc_payload_list *list, qv_error *err) {
  qv_status st = QV_OK;
  for (int64_t i = 0; i < list->count && st == QV_OK; i++) {
    grpc_byte_buffer *bb = NULL;
    st = qv__flight_data_encode(&list->items[i], NULL, 0, &bb, err);
    if (st == QV_OK) st = send_message(c, bb, err);
  }
  qv_ipc_payload_list_reset(list);
  return st;
}

static qv_status stream_batches(server_call *c, qv_flight_batch_source *src, qv_error *err) {
  qv_ipc_encoder *enc = NULL;
  QV_RETURN_NOT_OK(qv_ipc_encoder_create(src->schema, &c->srv->opts.ipc, &enc, err));
  qv_ipc_payload_list list;
  qv_ipc_payload_list_init(&list, c->srv->opts.ipc.alloc);
  qv_status st = qv_ipc_encoder_encode_schema(enc, &list, err);
  if (st == QV_OK) st = send_payloads(c, &list, err);
  while (st == QV_OK) {
    if (atomic_load(&c->pub.cancelled)) {
      st = qv_error_set(err, QV_CANCELLED, "flight: DoGet: the client cancelled");
      break;
    }
    qv_record_batch *batch = NULL;
    st = src->iter.next(src->iter.state, &batch, err);
    if (st != QV_OK || !batch) break;
    st = qv_ipc_encoder_encode_batch(enc, batch, &list, err);
    qv_record_batch_unref(batch);
    if (st == QV_OK) st = send_payloads(c, &list, err);
  }
  qv_ipc_payload_list_reset(&list);
  qv_ipc_encoder_destroy(enc);
  return st;
}

static qv_status serve_do_get(server_call *c, qv_error *err) {
  const qv_flight_handlers *h = &c->srv->handlers;
  if (!h->do_get)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "flight: DoGet is not implemented by this server");
  if (!c->payload) return qv_error_set(err, QV_INVALID, "flight: DoGet without a Ticket");
  grpc_slice req = request_bytes(c);
  Arrow__Flight__Protocol__Ticket *ticket =
      arrow__flight__protocol__ticket__unpack(NULL, GRPC_SLICE_LENGTH(req), GRPC_SLICE_START_PTR(req));
  grpc_slice_unref(req);
  if (!ticket) return qv_error_set(err, QV_INVALID, "flight: DoGet: malformed Ticket message");

  qv_flight_batch_source src;
  memset(&src, 0, sizeof src);
  qv_status st = h->do_get(h->user_data, &c->pub, ticket->ticket.data, (int64_t)ticket->ticket.len,
                           &src, err);
  arrow__flight__protocol__ticket__free_unpacked(ticket, NULL);
  if (st != QV_OK) return st;
  if (!src.schema || !src.iter.next) {
    if (src.iter.destroy) src.iter.destroy(src.iter.state);
    qv_schema_unref(src.schema);
    return qv_error_set(err, QV_INTERNAL, "flight: the DoGet handler returned no schema or source");
  }

  pthread_mutex_lock(&c->mu);
  bool cancelled = atomic_load(&c->pub.cancelled);
  if (!cancelled) {
    c->cancel = src.cancel;
    c->cancel_state = src.iter.state;
  }
  pthread_mutex_unlock(&c->mu);
  if (cancelled) st = qv_error_set(err, QV_CANCELLED, "flight: DoGet: the client cancelled");
  else st = stream_batches(c, &src, err);

  pthread_mutex_lock(&c->mu); /* the cancel hook must not run from now on */
  c->cancel = NULL;
  pthread_mutex_unlock(&c->mu);
  if (src.iter.destroy) src.iter.destroy(src.iter.state);
  qv_schema_unref(src.schema);
  return st;
}

/* ---- actions ------------------------------------------------------------------ */

static qv_status serve_list_actions(server_call *c, qv_error *err) {
  const qv_flight_handlers *h = &c->srv->handlers;
  for (size_t i = 0; i < h->n_actions; i++) {
    Arrow__Flight__Protocol__ActionType at = ARROW__FLIGHT__PROTOCOL__ACTION_TYPE__INIT;
    at.type = (char *)h->actions[i].type;
    at.description = (char *)h->actions[i].description;
    QV_RETURN_NOT_OK(send_packed(c, &at.base, err));
  }
  return QV_OK;
}

static qv_status serve_do_action(server_call *c, qv_error *err) {
  const qv_flight_handlers *h = &c->srv->handlers;
  grpc_slice req = request_bytes(c);
  Arrow__Flight__Protocol__Action *action =
      arrow__flight__protocol__action__unpack(NULL, GRPC_SLICE_LENGTH(req), GRPC_SLICE_START_PTR(req));
  grpc_slice_unref(req);
  if (!action) return qv_error_set(err, QV_INVALID, "flight: DoAction: malformed Action message");
  bool known = false;
  for (size_t i = 0; i < h->n_actions && !known; i++)
    known = strcmp(h->actions[i].type, action->type) == 0;
  qv_status st;
  if (!known) {
    st = qv_error_set(err, QV_NOT_IMPLEMENTED,
                      "flight: DoAction: unknown action type '%s' (ListActions lists %zu)",
                      action->type, h->n_actions);
  } else {
    qv_flight_result_list results;
    qv_flight_result_list_init(&results);
    st = h->do_action(h->user_data, &c->pub, action->type, action->body.data,
                      (int64_t)action->body.len, &results, err);
    for (size_t i = 0; st == QV_OK && i < results.count; i++) {
      Arrow__Flight__Protocol__Result r = ARROW__FLIGHT__PROTOCOL__RESULT__INIT;
      r.body.data = (uint8_t *)qv_buffer_data(results.items[i]);
      r.body.len = (size_t)qv_buffer_size(results.items[i]);
      st = send_packed(c, &r.base, err);
    }
    qv_flight_result_list_reset(&results);
  }
  arrow__flight__protocol__action__free_unpacked(action, NULL);
  return st;
}

/* ---- dispatch ---------------------------------------------------------------- */

static void *call_thread(void *arg) {
  server_call *c = arg;
  qv_flight_server *srv = c->srv;
  qv_error err;
  qv_error_init(&err);
  qv_status st;
  switch (c->method) {
    case QV__FLIGHT_DO_GET: st = serve_do_get(c, &err); break;
    case QV__FLIGHT_DO_ACTION: st = serve_do_action(c, &err); break;
    default: st = serve_list_actions(c, &err); break;
  }
  qv__server_send_status(c, st, st == QV_OK ? NULL : err.message);
  qv__server_call_unref(c);
  pthread_mutex_lock(&srv->mu);
  srv->active_threads--;
  pthread_cond_broadcast(&srv->cv);
  pthread_mutex_unlock(&srv->mu);
  return NULL;
}

void qv__server_dispatch(server_call *c) {
  qv_flight_server *srv = c->srv;
  bool threaded = (c->method == QV__FLIGHT_DO_GET && srv->handlers.do_get) ||
                  (c->method == QV__FLIGHT_DO_ACTION && srv->handlers.do_action) ||
                  c->method == QV__FLIGHT_LIST_ACTIONS;
  if (!threaded) {
    char msg[512];
    if (c->method < 0)
      snprintf(msg, sizeof msg, "flight: unknown method %s (this is an Arrow Flight server)",
               c->pub.method);
    else
      snprintf(msg, sizeof msg, "flight: %s is not implemented by this Quiver server",
               qv__flight_method_names[c->method]);
    qv__server_send_status(c, QV_NOT_IMPLEMENTED, msg);
    return;
  }
  qv__server_call_ref(c); /* the thread's */
  pthread_mutex_lock(&srv->mu);
  srv->active_threads++;
  pthread_mutex_unlock(&srv->mu);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t id;
  int rc = pthread_create(&id, &attr, call_thread, c);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    pthread_mutex_lock(&srv->mu);
    srv->active_threads--;
    pthread_cond_broadcast(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
    qv__server_call_unref(c);
    qv__server_send_status(c, QV_RESOURCE_EXHAUSTED, "flight: cannot start a thread for the call");
  }
}

/* ---- result lists -------------------------------------------------------------- */

void qv_flight_result_list_init(qv_flight_result_list *list) { memset(list, 0, sizeof *list); }

void qv_flight_result_list_reset(qv_flight_result_list *list) {
  for (size_t i = 0; i < list->count; i++) qv_buffer_unref(list->items[i]);
  free(list->items);
  memset(list, 0, sizeof *list);
}

qv_status qv_flight_result_list_append(qv_flight_result_list *list, const void *data, int64_t len,
                                       qv_error *err) {
  if (len < 0 || (len > 0 && !data))
    return qv_error_set(err, QV_INVALID, "flight: bad result of %lld bytes", (long long)len);
  if (list->count == list->capacity) {
    size_t cap = list->capacity ? list->capacity * 2 : 4;
    qv_buffer **items = realloc(list->items, cap * sizeof *items);
    if (!items) return qv_error_set(err, QV_NOMEM, "flight: out of memory");
    list->items = items;
    list->capacity = cap;
  }
  qv_buffer *b = NULL;
  QV_RETURN_NOT_OK(qv_buffer_copy(qv_default_allocator(), data, len, &b, err));
  list->items[list->count++] = b;
  return QV_OK;
}
