/* The Flight server's lifecycle and event loop: options, creation, listening,
 * the completion-queue threads, call bookkeeping, graceful shutdown.
 *
 * One gRPC completion queue serves every call; a few threads poll it and only
 * dispatch: a new call is handed to server_calls.c (which answers at once or
 * starts a thread for the call), a finished send wakes the call's thread, a
 * RECV_CLOSE_ON_SERVER marks the call over and, when the client cancelled,
 * runs the DoGet source's cancel hook so its producer stops promptly.
 *
 * Every FlightService method is registered (so gRPC matches paths without
 * string compares), with requests kept outstanding per method, plus one
 * request for unregistered paths, which answer UNIMPLEMENTED.
 *
 * Shutdown: gRPC stops accepting calls and tells clients (GOAWAY); calls in
 * progress run for the grace period; then every call is cancelled, which
 * ends their sends and runs their cancel hooks; the function returns once
 * every call object is freed and every call thread has exited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>

#include "flight/server_internal.h"

/* Requests kept outstanding per method: a burst of new calls waits for a
 * re-request only when more than this many arrive at once. */
#define REQUESTS_PER_METHOD 2

void qv_flight_server_options_init(qv_flight_server_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->max_send_message_size = -1;
  opts->max_receive_message_size = -1;
  qv_ipc_write_options_init(&opts->ipc);
}

/* ---- calls -------------------------------------------------------------------- */

static server_call *call_new(qv_flight_server *srv, int method) {
  server_call *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->srv = srv;
  c->method = method;
  c->t_new = (srv_tag){SRV_TAG_NEW, c};
  c->t_send = (srv_tag){SRV_TAG_SEND, c};
  c->t_status = (srv_tag){SRV_TAG_STATUS, c};
  c->t_close = (srv_tag){SRV_TAG_CLOSE, c};
  atomic_init(&c->pub.cancelled, false);
  grpc_metadata_array_init(&c->request_md);
  grpc_call_details_init(&c->details);
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  c->refs = 1;
  pthread_mutex_lock(&srv->mu);
  srv->live_calls++;
  pthread_mutex_unlock(&srv->mu);
  return c;
}

static void call_free(server_call *c) {
  qv_flight_server *srv = c->srv;
  if (c->call) grpc_call_unref(c->call);
  if (c->payload) grpc_byte_buffer_destroy(c->payload);
  if (c->has_status_details) grpc_slice_unref(c->status_details);
  grpc_metadata_array_destroy(&c->request_md);
  grpc_call_details_destroy(&c->details);
  if (c->pub.peer) gpr_free(c->pub.peer);
  free(c->pub.method_copy);
  free(c->pub.headers);
  pthread_cond_destroy(&c->cv);
  pthread_mutex_destroy(&c->mu);
  free(c);
  pthread_mutex_lock(&srv->mu);
  srv->live_calls--;
  pthread_cond_broadcast(&srv->cv);
  pthread_mutex_unlock(&srv->mu);
}

void qv__server_call_ref(server_call *c) {
  pthread_mutex_lock(&c->mu);
  c->refs++;
  pthread_mutex_unlock(&c->mu);
}

void qv__server_call_unref(server_call *c) {
  pthread_mutex_lock(&c->mu);
  bool last = --c->refs == 0;
  pthread_mutex_unlock(&c->mu);
  if (last) call_free(c);
}

/* Asks gRPC for the next call of a method (-1: any unregistered path). */
static qv_status request_call(qv_flight_server *srv, int method, qv_error *err) {
  server_call *c = call_new(srv, method);
  if (!c) return qv_error_set(err, QV_NOMEM, "flight: out of memory");
  grpc_call_error e;
  if (method >= 0) {
    bool payload = !qv__flight_method_client_streams((qv__flight_method)method);
    e = grpc_server_request_registered_call(srv->server, srv->methods[method], &c->call,
                                            &c->deadline, &c->request_md,
                                            payload ? &c->payload : NULL, srv->cq, srv->cq,
                                            &c->t_new);
  } else {
    e = grpc_server_request_call(srv->server, &c->call, &c->details, &c->request_md, srv->cq,
                                 srv->cq, &c->t_new);
  }
  if (e != GRPC_CALL_OK) {
    qv__server_call_unref(c);
    return qv_error_set(err, QV_INTERNAL, "flight: cannot request calls: %s",
                        grpc_call_error_to_string(e));
  }
  return QV_OK;
}

/* Copies what handlers may read: peer, method, headers (NUL-terminated). */
static bool fill_public_view(server_call *c) {
  c->pub.peer = grpc_call_get_peer(c->call);
  if (c->method >= 0) {
    c->pub.method = qv__flight_method_paths[c->method];
  } else {
    size_t len = GRPC_SLICE_LENGTH(c->details.method);
    c->pub.method_copy = malloc(len + 1);
    if (!c->pub.method_copy) return false;
    memcpy(c->pub.method_copy, GRPC_SLICE_START_PTR(c->details.method), len);
    c->pub.method_copy[len] = '\0';
    c->pub.method = c->pub.method_copy;
  }
  size_t n = c->request_md.count, bytes = n * sizeof(qv_flight_header);
  for (size_t i = 0; i < n; i++)
    bytes += GRPC_SLICE_LENGTH(c->request_md.metadata[i].key) +
             GRPC_SLICE_LENGTH(c->request_md.metadata[i].value) + 2;
  if (n == 0) return true;
  c->pub.headers = malloc(bytes);
  if (!c->pub.headers) return false;
  char *text = (char *)(c->pub.headers + n);
  for (size_t i = 0; i < n; i++) {
    const grpc_metadata *md = &c->request_md.metadata[i];
    size_t kl = GRPC_SLICE_LENGTH(md->key), vl = GRPC_SLICE_LENGTH(md->value);
    qv_flight_header *h = &c->pub.headers[i];
    memcpy(text, GRPC_SLICE_START_PTR(md->key), kl);
    text[kl] = '\0';
    h->key = text;
    text += kl + 1;
    memcpy(text, GRPC_SLICE_START_PTR(md->value), vl);
    text[vl] = '\0';
    h->value = text;
    h->value_len = vl;
    text += vl + 1;
  }
  c->pub.n_headers = n;
  return true;
}

static void on_new_call(server_call *c, bool ok) {
  qv_flight_server *srv = c->srv;
  if (!ok) { /* the server is shutting down: no call came */
    qv__server_call_unref(c);
    return;
  }
  pthread_mutex_lock(&srv->mu);
  bool rearm = !srv->shutting_down;
  pthread_mutex_unlock(&srv->mu);
  /* Failing to re-request (out of memory) leaves fewer outstanding requests;
   * the remaining ones keep the method served. */
  if (rearm) (void)request_call(srv, c->method, NULL);

  qv__server_call_ref(c); /* for RECV_CLOSE_ON_SERVER */
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  op.data.recv_close_on_server.cancelled = &c->close_cancelled;
  if (grpc_call_start_batch(c->call, &op, 1, &c->t_close, NULL) != GRPC_CALL_OK) {
    qv__server_call_unref(c);
    grpc_call_cancel(c->call, NULL);
  } else if (!fill_public_view(c)) {
    qv__server_send_status(c, QV_NOMEM, "flight: out of memory accepting a call");
  } else {
    qv__server_dispatch(c);
  }
  qv__server_call_unref(c); /* the request's reference */
}

static void on_close(server_call *c, bool ok) {
  pthread_mutex_lock(&c->mu);
  c->closed = true;
  if (!ok || c->close_cancelled) {
    atomic_store(&c->pub.cancelled, true);
    if (c->cancel) {
      /* Under the call's lock, so the stream cannot be destroyed meanwhile. */
      c->cancel(c->cancel_state);
      c->cancel = NULL;
    }
  }
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
  qv__server_call_unref(c);
}

static void *poll_queue(void *arg) {
  qv_flight_server *srv = arg;
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type != GRPC_OP_COMPLETE) continue;
    srv_tag *t = ev.tag;
    server_call *c = t->call;
    switch (t->kind) {
      case SRV_TAG_NEW: on_new_call(c, ev.success); break;
      case SRV_TAG_SEND:
        pthread_mutex_lock(&c->mu);
        c->send_pending = false;
        c->send_ok = ev.success;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        qv__server_call_unref(c);
        break;
      case SRV_TAG_STATUS: qv__server_call_unref(c); break;
      case SRV_TAG_CLOSE: on_close(c, ev.success); break;
      case SRV_TAG_SHUTDOWN:
        pthread_mutex_lock(&srv->mu);
        srv->shutdown_notified = true;
        pthread_cond_broadcast(&srv->cv);
        pthread_mutex_unlock(&srv->mu);
        break;
    }
  }
  return NULL;
}

/* ---- the server ------------------------------------------------------------------ */

static char *dup_string(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static void free_actions(qv_flight_action_type *a, size_t n) {
  if (!a) return;
  for (size_t i = 0; i < n; i++) {
    free((char *)a[i].type);
    free((char *)a[i].description);
  }
  free(a);
}

static void server_free(qv_flight_server *srv) {
  if (srv->handlers.destroy) srv->handlers.destroy(srv->handlers.user_data);
  free_actions((qv_flight_action_type *)srv->handlers.actions, srv->handlers.n_actions);
  free((char *)srv->opts.tls_cert_chain_pem);
  free((char *)srv->opts.tls_private_key_pem);
  free(srv->threads);
  pthread_cond_destroy(&srv->cv);
  pthread_mutex_destroy(&srv->mu);
  free(srv);
  grpc_shutdown();
}

static qv_status check_size_option(int64_t v, const char *name, qv_error *err) {
  if (v < -1 || v == 0)
    return qv_error_set(err, QV_INVALID, "flight: %s must be positive or -1 (unlimited), not %lld",
                        name, (long long)v);
  return QV_OK;
}

static qv_status check_options(const qv_flight_handlers *h, const qv_flight_server_options *o,
                               qv_error *err) {
  if (h->n_actions && !h->actions)
    return qv_error_set(err, QV_INVALID, "flight: %zu actions declared without a list",
                        h->n_actions);
  if (h->n_actions && !h->do_action)
    return qv_error_set(err, QV_INVALID,
                        "flight: actions listed without a do_action handler to run them");
  for (size_t i = 0; i < h->n_actions; i++)
    if (!h->actions[i].type || !h->actions[i].type[0])
      return qv_error_set(err, QV_INVALID, "flight: action %zu has no type", i);
  if (!o->tls_cert_chain_pem != !o->tls_private_key_pem)
    return qv_error_set(err, QV_INVALID,
                        "flight: TLS needs both a certificate chain and a private key");
  QV_RETURN_NOT_OK(check_size_option(o->max_send_message_size, "max_send_message_size", err));
  QV_RETURN_NOT_OK(
      check_size_option(o->max_receive_message_size, "max_receive_message_size", err));
  if (o->num_threads < 0 || o->num_threads > 256)
    return qv_error_set(err, QV_INVALID, "flight: num_threads %d is outside [0, 256]",
                        o->num_threads);
  return QV_OK;
}

qv_status qv_flight_server_create(const qv_flight_handlers *handlers,
                                  const qv_flight_server_options *opts, qv_flight_server **out,
                                  qv_error *err) {
  *out = NULL;
  qv_flight_handlers none;
  memset(&none, 0, sizeof none);
  if (!handlers) handlers = &none;
  qv_flight_server_options defaults;
  if (!opts) {
    qv_flight_server_options_init(&defaults);
    opts = &defaults;
  }
  qv_status st = check_options(handlers, opts, err);
  if (st != QV_OK) {
    if (handlers->destroy) handlers->destroy(handlers->user_data);
    return st;
  }
  grpc_init();
  qv_flight_server *srv = calloc(1, sizeof *srv);
  if (!srv) {
    if (handlers->destroy) handlers->destroy(handlers->user_data);
    grpc_shutdown();
    return qv_error_set(err, QV_NOMEM, "flight: out of memory");
  }
  srv->handlers = *handlers;
  srv->handlers.actions = NULL;
  srv->handlers.n_actions = 0;
  srv->opts = *opts;
  srv->opts.tls_cert_chain_pem = dup_string(opts->tls_cert_chain_pem);
  srv->opts.tls_private_key_pem = dup_string(opts->tls_private_key_pem);
  srv->t_shutdown = (srv_tag){SRV_TAG_SHUTDOWN, NULL};
  pthread_mutex_init(&srv->mu, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&srv->cv, &attr);
  pthread_condattr_destroy(&attr);
  bool nomem = (opts->tls_cert_chain_pem && !srv->opts.tls_cert_chain_pem) ||
               (opts->tls_private_key_pem && !srv->opts.tls_private_key_pem);
  if (!nomem && handlers->n_actions) {
    qv_flight_action_type *a = calloc(handlers->n_actions, sizeof *a);
    nomem = !a;
    for (size_t i = 0; a && i < handlers->n_actions; i++) {
      a[i].type = dup_string(handlers->actions[i].type);
      a[i].description = dup_string(handlers->actions[i].description ? handlers->actions[i].description : "");
      if (!a[i].type || !a[i].description) nomem = true;
    }
    srv->handlers.actions = a;
    srv->handlers.n_actions = handlers->n_actions;
  }
  if (nomem) {
    server_free(srv);
    return qv_error_set(err, QV_NOMEM, "flight: out of memory");
  }
  *out = srv;
  return QV_OK;
}

static int clamp_int(int64_t v) { return v < 0 || v > INT32_MAX ? -1 : (int)v; }

static void add_int_arg(grpc_arg *args, size_t *n, const char *key, int value) {
  args[*n].type = GRPC_ARG_INTEGER;
  args[*n].key = (char *)key;
  args[*n].value.integer = value;
  (*n)++;
}

static int default_threads(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores >= 8 ? 4 : 2;
}

/* Stops the completion-queue threads and frees the gRPC objects (the server
 * must have been shut down, or never started). */
static void teardown(qv_flight_server *srv, int n_threads) {
  if (srv->server) grpc_server_destroy(srv->server);
  srv->server = NULL;
  if (srv->cq) {
    grpc_completion_queue_shutdown(srv->cq);
    for (int i = 0; i < n_threads; i++) pthread_join(srv->threads[i], NULL);
    if (n_threads == 0) { /* drain it ourselves */
      while (grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
             GRPC_QUEUE_SHUTDOWN) {
      }
    }
    grpc_completion_queue_destroy(srv->cq);
  }
  srv->cq = NULL;
}

/* A server that registered its queue but never started still has to go
 * through shutdown before grpc_server_destroy. */
static void abandon_unstarted(qv_flight_server *srv, int n_threads) {
  grpc_server_shutdown_and_notify(srv->server, srv->cq, &srv->t_shutdown);
  if (n_threads == 0) {
    for (;;) {
      grpc_event ev = grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
      if (ev.type == GRPC_OP_COMPLETE && ev.tag == &srv->t_shutdown) break;
    }
  } else {
    pthread_mutex_lock(&srv->mu);
    while (!srv->shutdown_notified) pthread_cond_wait(&srv->cv, &srv->mu);
    pthread_mutex_unlock(&srv->mu);
  }
  teardown(srv, n_threads);
  /* Ready for another start. */
  free(srv->threads);
  srv->threads = NULL;
  srv->n_threads = 0;
  pthread_mutex_lock(&srv->mu);
  srv->shutdown_notified = false;
  pthread_mutex_unlock(&srv->mu);
}

qv_status qv_flight_server_start(qv_flight_server *srv, const char *address, qv_error *err) {
  pthread_mutex_lock(&srv->mu);
  bool again = srv->started || srv->server;
  pthread_mutex_unlock(&srv->mu);
  if (again) return qv_error_set(err, QV_INVALID, "flight: the server was already started");
  if (!address || !address[0]) return qv_error_set(err, QV_INVALID, "flight: no address to listen on");

  grpc_arg args[12];
  size_t n_args = 0;
  add_int_arg(args, &n_args, GRPC_ARG_MAX_SEND_MESSAGE_LENGTH,
              clamp_int(srv->opts.max_send_message_size));
  add_int_arg(args, &n_args, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
              clamp_int(srv->opts.max_receive_message_size));
  /* gRPC shares ports by default (SO_REUSEPORT): a second server on a busy
   * port would silently take half its connections. */
  add_int_arg(args, &n_args, GRPC_ARG_ALLOW_REUSEPORT, 0);
  if (srv->opts.keepalive_time_ms > 0) {
    add_int_arg(args, &n_args, GRPC_ARG_KEEPALIVE_TIME_MS, clamp_int(srv->opts.keepalive_time_ms));
    add_int_arg(args, &n_args, GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  }
  /* Clients (Quiver's with keepalive on) may ping every 10 s; gRPC's default
   * answers pings more frequent than every 5 minutes with GOAWAY. */
  add_int_arg(args, &n_args, GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
              QV__FLIGHT_MIN_PING_INTERVAL_MS);
  if (srv->opts.keepalive_timeout_ms > 0)
    add_int_arg(args, &n_args, GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                clamp_int(srv->opts.keepalive_timeout_ms));
  grpc_channel_args channel_args = {n_args, args};

  srv->server = grpc_server_create(&channel_args, NULL);
  srv->cq = grpc_completion_queue_create_for_next(NULL);
  grpc_server_register_completion_queue(srv->server, srv->cq, NULL);
  for (int m = 0; m < QV__FLIGHT_N_METHODS; m++) {
    grpc_server_register_method_payload_handling ph =
        qv__flight_method_client_streams((qv__flight_method)m)
            ? GRPC_SRM_PAYLOAD_NONE
            : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER;
    srv->methods[m] = grpc_server_register_method(srv->server, qv__flight_method_paths[m], NULL, ph, 0);
  }
  grpc_server_credentials *creds;
  if (srv->opts.tls_cert_chain_pem) {
    grpc_ssl_pem_key_cert_pair pair = {srv->opts.tls_private_key_pem, srv->opts.tls_cert_chain_pem};
    creds = grpc_ssl_server_credentials_create(NULL, &pair, 1, 0, NULL);
  } else {
    creds = grpc_insecure_server_credentials_create();
  }
  bool have_creds = creds != NULL;
  int port = have_creds ? grpc_server_add_http2_port(srv->server, address, creds) : 0;
  if (have_creds) grpc_server_credentials_release(creds);
  if (port == 0) {
    abandon_unstarted(srv, 0);
    return qv_error_set(err, QV_IO, "flight: cannot listen on '%s' (%s)", address,
                        !have_creds ? "bad TLS certificate or key"
                        : srv->opts.tls_cert_chain_pem
                            ? "address in use or invalid, or bad TLS certificate or key"
                            : "address in use or invalid");
  }

  int want = srv->opts.num_threads > 0 ? srv->opts.num_threads : default_threads();
  srv->threads = calloc((size_t)want, sizeof *srv->threads);
  int started = 0;
  while (srv->threads && started < want &&
         pthread_create(&srv->threads[started], NULL, poll_queue, srv) == 0)
    started++;
  if (started < want) {
    abandon_unstarted(srv, started);
    return qv_error_set(err, QV_RESOURCE_EXHAUSTED, "flight: cannot start %d server threads", want);
  }
  srv->n_threads = started;
  grpc_server_start(srv->server);
  pthread_mutex_lock(&srv->mu);
  srv->started = true;
  srv->port = port;
  pthread_mutex_unlock(&srv->mu);

  qv_status st = QV_OK;
  for (int m = -1; m < QV__FLIGHT_N_METHODS && st == QV_OK; m++)
    for (int k = 0; k < (m < 0 ? 1 : REQUESTS_PER_METHOD) && st == QV_OK; k++)
      st = request_call(srv, m, err);
  if (st != QV_OK) qv_flight_server_shutdown(srv, 0);
  return st;
}

int qv_flight_server_port(const qv_flight_server *srv) {
  pthread_mutex_lock((pthread_mutex_t *)&srv->mu);
  int port = srv->port;
  pthread_mutex_unlock((pthread_mutex_t *)&srv->mu);
  return port;
}

qv_status qv_flight_server_serve(qv_flight_server *srv, const char *address, qv_error *err) {
  QV_RETURN_NOT_OK(qv_flight_server_start(srv, address, err));
  qv_flight_server_wait(srv);
  return QV_OK;
}

void qv_flight_server_wait(qv_flight_server *srv) {
  pthread_mutex_lock(&srv->mu);
  while (srv->started && !srv->finished) pthread_cond_wait(&srv->cv, &srv->mu);
  pthread_mutex_unlock(&srv->mu);
}

void qv_flight_server_shutdown(qv_flight_server *srv, double grace_seconds) {
  pthread_mutex_lock(&srv->mu);
  if (!srv->started) {
    pthread_mutex_unlock(&srv->mu);
    return;
  }
  if (srv->shutting_down) { /* another thread shuts down: wait for it */
    while (!srv->finished) pthread_cond_wait(&srv->cv, &srv->mu);
    pthread_mutex_unlock(&srv->mu);
    return;
  }
  srv->shutting_down = true;
  pthread_mutex_unlock(&srv->mu);

  grpc_server_shutdown_and_notify(srv->server, srv->cq, &srv->t_shutdown);
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  if (grace_seconds > 0) {
    if (grace_seconds > 1e6) grace_seconds = 1e6;
    long long ns = deadline.tv_nsec + (long long)((grace_seconds - (long long)grace_seconds) * 1e9);
    deadline.tv_sec += (time_t)grace_seconds + (time_t)(ns / 1000000000);
    deadline.tv_nsec = (long)(ns % 1000000000);
  }
  pthread_mutex_lock(&srv->mu);
  while (!(srv->shutdown_notified && srv->live_calls == 0 && srv->active_threads == 0)) {
    if (pthread_cond_timedwait(&srv->cv, &srv->mu, &deadline) != 0) break;
  }
  bool done = srv->shutdown_notified && srv->live_calls == 0 && srv->active_threads == 0;
  pthread_mutex_unlock(&srv->mu);
  if (!done) {
    /* Grace is over: cancel what still runs. Sends in progress fail, cancel
     * hooks run, and the call threads return. */
    grpc_server_cancel_all_calls(srv->server);
    pthread_mutex_lock(&srv->mu);
    while (!(srv->shutdown_notified && srv->live_calls == 0 && srv->active_threads == 0))
      pthread_cond_wait(&srv->cv, &srv->mu);
    pthread_mutex_unlock(&srv->mu);
  }
  teardown(srv, srv->n_threads);
  pthread_mutex_lock(&srv->mu);
  srv->finished = true;
  pthread_cond_broadcast(&srv->cv);
  pthread_mutex_unlock(&srv->mu);
}

void qv_flight_server_destroy(qv_flight_server *srv) {
  if (!srv) return;
  qv_flight_server_shutdown(srv, 0);
  server_free(srv);
}
