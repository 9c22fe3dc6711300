/* The Flight client: options, the channel cache, the batches every call
 * starts, and the small methods (ListActions, DoAction, and a generic call
 * that reaches any method path, which tests use to probe every method).
 *
 * A client keeps one gRPC channel per (target, TLS) pair, created on first
 * use and kept until the client is destroyed: gRPC multiplexes every call to
 * a worker over that channel's HTTP/2 connection and reconnects it when it
 * breaks. Channels allow unlimited message sizes unless told otherwise
 * (gRPC's own receive default, 4 MiB, would fail any real batch).
 *
 * Each call has a completion queue of its own, driven by the calling thread
 * with grpc_completion_queue_pluck, so calls on different threads never wait
 * for one another. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>

#include "flight.pb-c.h"
#include "flight/flight_internal.h"

typedef struct channel_entry {
  char *target; /* as gRPC wants it: "host:port", "unix:/path" */
  bool tls;
  grpc_channel *channel;
} channel_entry;

struct qv_flight_client {
  qv_flight_client_options opts; /* strings copied */
  pthread_mutex_t mu;
  channel_entry *channels;
  size_t n_channels, cap_channels;
};

void qv_flight_client_options_init(qv_flight_client_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->max_receive_message_size = -1;
  opts->max_send_message_size = -1;
  qv_ipc_read_options_init(&opts->ipc);
}

static char *dup_string(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

qv_status qv_flight_client_create(const qv_flight_client_options *opts, qv_flight_client **out,
                                  qv_error *err) {
  *out = NULL;
  qv_flight_client_options defaults;
  if (!opts) {
    qv_flight_client_options_init(&defaults);
    opts = &defaults;
  }
  if (opts->max_receive_message_size < -1 || opts->max_receive_message_size == 0 ||
      opts->max_send_message_size < -1 || opts->max_send_message_size == 0)
    return qv_error_set(err, QV_INVALID, "flight: message size limits must be positive or -1");
  qv_flight_client *c = calloc(1, sizeof *c);
  if (!c) return qv_error_set(err, QV_NOMEM, "flight: out of memory");
  c->opts = *opts;
  c->opts.tls_root_certs_pem = dup_string(opts->tls_root_certs_pem);
  c->opts.tls_override_hostname = dup_string(opts->tls_override_hostname);
  if ((opts->tls_root_certs_pem && !c->opts.tls_root_certs_pem) ||
      (opts->tls_override_hostname && !c->opts.tls_override_hostname)) {
    free((char *)c->opts.tls_root_certs_pem);
    free((char *)c->opts.tls_override_hostname);
    free(c);
    return qv_error_set(err, QV_NOMEM, "flight: out of memory");
  }
  pthread_mutex_init(&c->mu, NULL);
  grpc_init();
  *out = c;
  return QV_OK;
}

void qv_flight_client_destroy(qv_flight_client *client) {
  if (!client) return;
  for (size_t i = 0; i < client->n_channels; i++) {
    grpc_channel_destroy(client->channels[i].channel);
    free(client->channels[i].target);
  }
  free(client->channels);
  free((char *)client->opts.tls_root_certs_pem);
  free((char *)client->opts.tls_override_hostname);
  pthread_mutex_destroy(&client->mu);
  free(client);
  grpc_shutdown();
}

const qv_ipc_read_options *qv__flight_client_read_options(const qv_flight_client *client) {
  return &client->opts.ipc;
}

/* ---- channels ---------------------------------------------------------------- */

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Splits a location into a gRPC target (written to target) and TLS flag. */
static qv_status parse_location(const qv_flight_client *client, const char *location,
                                char *target, size_t target_size, bool *tls, qv_error *err) {
  if (!location || !location[0]) return qv_error_set(err, QV_INVALID, "flight: empty location");
  const char *rest = location;
  const char *prefix = "";
  *tls = client->opts.tls;
  if (starts_with(location, "grpc+tls://")) {
    *tls = true;
    rest = location + strlen("grpc+tls://");
  } else if (starts_with(location, "grpc+tcp://")) {
    *tls = false;
    rest = location + strlen("grpc+tcp://");
  } else if (starts_with(location, "grpc://")) {
    *tls = false;
    rest = location + strlen("grpc://");
  } else if (starts_with(location, "grpc+unix://")) {
    *tls = false;
    rest = location + strlen("grpc+unix://");
    prefix = "unix:";
  } else if (strstr(location, "://")) {
    return qv_error_set(err, QV_INVALID,
                        "flight: location '%s' has an unsupported scheme (grpc, grpc+tcp, "
                        "grpc+tls, grpc+unix)", location);
  }
  size_t len = strlen(rest);
  while (len > 0 && rest[len - 1] == '/' && !prefix[0]) len--;
  if (len == 0) return qv_error_set(err, QV_INVALID, "flight: location '%s' has no address", location);
  if (strlen(prefix) + len + 1 > target_size)
    return qv_error_set(err, QV_INVALID, "flight: location '%.64s...' is too long", location);
  snprintf(target, target_size, "%s%.*s", prefix, (int)len, rest);
  return QV_OK;
}

static void add_int_arg(grpc_arg *args, size_t *n, const char *key, int64_t value) {
  args[*n].type = GRPC_ARG_INTEGER;
  args[*n].key = (char *)key;
  args[*n].value.integer = value < 0 || value > INT32_MAX ? -1 : (int)value;
  (*n)++;
}

static grpc_channel *open_channel(const qv_flight_client *client, const char *target, bool tls) {
  grpc_arg args[12];
  size_t n = 0;
  add_int_arg(args, &n, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, client->opts.max_receive_message_size);
  add_int_arg(args, &n, GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, client->opts.max_send_message_size);
  if (client->opts.keepalive_time_ms > 0) {
    int64_t t = client->opts.keepalive_time_ms;
    if (t < QV__FLIGHT_MIN_PING_INTERVAL_MS) t = QV__FLIGHT_MIN_PING_INTERVAL_MS;
    add_int_arg(args, &n, GRPC_ARG_KEEPALIVE_TIME_MS, t);
    add_int_arg(args, &n, GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    add_int_arg(args, &n, GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  }
  if (client->opts.keepalive_timeout_ms > 0)
    add_int_arg(args, &n, GRPC_ARG_KEEPALIVE_TIMEOUT_MS, client->opts.keepalive_timeout_ms);
  if (tls && client->opts.tls_override_hostname) {
    args[n].type = GRPC_ARG_STRING;
    args[n].key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
    args[n].value.string = (char *)client->opts.tls_override_hostname;
    n++;
  }
  grpc_channel_args channel_args = {n, args};
  grpc_channel_credentials *creds =
      tls ? grpc_ssl_credentials_create(client->opts.tls_root_certs_pem, NULL, NULL, NULL)
          : grpc_insecure_credentials_create();
  grpc_channel *ch = grpc_channel_create(target, creds, &channel_args);
  grpc_channel_credentials_release(creds);
  return ch;
}

qv_status qv__flight_client_channel(qv_flight_client *client, const char *location,
                                    grpc_channel **channel, qv_error *err) {
  *channel = NULL;
  char target[1024];
  bool tls = false;
  QV_RETURN_NOT_OK(parse_location(client, location, target, sizeof target, &tls, err));
  qv_status st = QV_OK;
  pthread_mutex_lock(&client->mu);
  for (size_t i = 0; i < client->n_channels; i++) {
    if (client->channels[i].tls == tls && strcmp(client->channels[i].target, target) == 0) {
      *channel = client->channels[i].channel;
      break;
    }
  }
  if (!*channel) {
    if (client->n_channels == client->cap_channels) {
      size_t cap = client->cap_channels ? client->cap_channels * 2 : 8;
      channel_entry *grown = realloc(client->channels, cap * sizeof *grown);
      if (grown) {
        client->channels = grown;
        client->cap_channels = cap;
      }
    }
    char *copy = dup_string(target);
    if (client->n_channels == client->cap_channels || !copy) {
      free(copy);
      st = qv_error_set(err, QV_NOMEM, "flight: out of memory");
    } else {
      channel_entry *e = &client->channels[client->n_channels++];
      e->target = copy;
      e->tls = tls;
      e->channel = open_channel(client, target, tls);
      *channel = e->channel;
    }
  }
  pthread_mutex_unlock(&client->mu);
  return st;
}

/* ---- starting calls --------------------------------------------------------------- */

qv_status qv__flight_client_start_call(grpc_call *call, qv__client_call_state *st,
                                       const uint8_t *request, size_t request_len,
                                       const qv_flight_call_options *call_opts, void *start_tag,
                                       void *status_tag, qv_error *err) {
  memset(st, 0, sizeof *st);
  grpc_metadata_array_init(&st->initial_md);
  grpc_metadata_array_init(&st->trailing_md);
  st->details = grpc_empty_slice();
  size_t n_headers = call_opts ? call_opts->n_headers : 0;
  if (n_headers) {
    st->headers = calloc(n_headers, sizeof *st->headers);
    if (!st->headers) return qv_error_set(err, QV_NOMEM, "flight: out of memory");
    for (size_t i = 0; i < n_headers; i++) {
      const qv_flight_header *h = &call_opts->headers[i];
      QV_RETURN_NOT_OK(qv__flight_check_header(h, err));
      st->headers[i].key = grpc_slice_from_copied_string(h->key);
      st->headers[i].value = grpc_slice_from_copied_buffer(h->value ? h->value : "", h->value_len);
      st->n_headers = i + 1;
    }
  }
  grpc_slice payload = grpc_slice_from_copied_buffer((const char *)request, request_len);
  st->request = grpc_raw_byte_buffer_create(&payload, 1);
  grpc_slice_unref(payload);

  grpc_op ops[4];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.count = st->n_headers;
  ops[0].data.send_initial_metadata.metadata = st->headers;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = st->request;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &st->initial_md;
  grpc_call_error e = grpc_call_start_batch(call, ops, 4, start_tag, NULL);
  if (e != GRPC_CALL_OK)
    return qv_error_set(err, QV_INTERNAL, "flight: cannot start a call: %s",
                        grpc_call_error_to_string(e));
  st->start_started = true;
  grpc_op sop;
  memset(&sop, 0, sizeof sop);
  sop.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  sop.data.recv_status_on_client.trailing_metadata = &st->trailing_md;
  sop.data.recv_status_on_client.status = &st->status;
  sop.data.recv_status_on_client.status_details = &st->details;
  e = grpc_call_start_batch(call, &sop, 1, status_tag, NULL);
  if (e != GRPC_CALL_OK) {
    /* The first batch is running: cancel it; the caller plucks start_tag. */
    grpc_call_cancel(call, NULL);
    return qv_error_set(err, QV_INTERNAL, "flight: cannot start a call: %s",
                        grpc_call_error_to_string(e));
  }
  st->status_started = true;
  return QV_OK;
}

void qv__flight_client_call_state_reset(qv__client_call_state *st) {
  for (size_t i = 0; i < st->n_headers; i++) {
    grpc_slice_unref(st->headers[i].key);
    grpc_slice_unref(st->headers[i].value);
  }
  free(st->headers);
  if (st->request) grpc_byte_buffer_destroy(st->request);
  grpc_metadata_array_destroy(&st->initial_md);
  grpc_metadata_array_destroy(&st->trailing_md);
  grpc_slice_unref(st->details);
  memset(st, 0, sizeof *st);
}

/* ---- the generic call --------------------------------------------------------------- */

static void pluck(grpc_completion_queue *cq, void *tag) {
  grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
}

static void destroy_queue(grpc_completion_queue *cq) {
  grpc_completion_queue_shutdown(cq);
  grpc_completion_queue_destroy(cq);
}

static const char *method_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

qv_status qv__flight_client_call(qv_flight_client *client, const char *location, const char *path,
                                 const uint8_t *request, size_t request_len,
                                 const qv_flight_call_options *call_opts,
                                 qv__flight_message_fn on_message, void *ctx, qv_error *err) {
  grpc_channel *ch;
  QV_RETURN_NOT_OK(qv__flight_client_channel(client, location, &ch, err));
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  grpc_call *call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                             grpc_slice_from_static_string(path), NULL,
                                             qv__flight_deadline(call_opts ? call_opts->timeout_ms : 0),
                                             NULL);
  char start_tag, status_tag, recv_tag;
  qv__client_call_state cs;
  qv_status st = qv__flight_client_start_call(call, &cs, request, request_len, call_opts,
                                              &start_tag, &status_tag, err);
  if (st != QV_OK) {
    if (cs.start_started) pluck(cq, &start_tag);
    qv__flight_client_call_state_reset(&cs);
    grpc_call_unref(call);
    destroy_queue(cq);
    qv_error_prefix(err, "flight %s", location);
    return st;
  }
  qv_status cb_st = QV_OK;
  for (;;) {
    grpc_byte_buffer *msg = NULL;
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &msg;
    if (grpc_call_start_batch(call, &op, 1, &recv_tag, NULL) != GRPC_CALL_OK) break;
    pluck(cq, &recv_tag);
    if (!msg) break;
    if (cb_st == QV_OK && on_message) {
      grpc_byte_buffer_reader r;
      if (grpc_byte_buffer_reader_init(&r, msg)) {
        grpc_slice all = grpc_byte_buffer_reader_readall(&r);
        cb_st = on_message(ctx, GRPC_SLICE_START_PTR(all), GRPC_SLICE_LENGTH(all), err);
        grpc_slice_unref(all);
        grpc_byte_buffer_reader_destroy(&r);
      } else {
        cb_st = qv_error_set(err, QV_INVALID, "cannot decompress a message");
      }
      if (cb_st != QV_OK) grpc_call_cancel(call, NULL);
    }
    grpc_byte_buffer_destroy(msg);
  }
  pluck(cq, &start_tag);
  pluck(cq, &status_tag);
  if (cb_st != QV_OK) {
    st = cb_st;
    qv_error_prefix(err, "flight %s: %s", location, method_name(path));
  } else if (cs.status != GRPC_STATUS_OK) {
    st = qv__flight_error_from_call(err, location, method_name(path), cs.status, &cs.details);
  }
  qv__flight_client_call_state_reset(&cs);
  grpc_call_unref(call);
  destroy_queue(cq);
  return st;
}

/* ---- ListActions and DoAction ----------------------------------------------------- */

void qv_flight_action_type_list_init(qv_flight_action_type_list *list) {
  memset(list, 0, sizeof *list);
}

void qv_flight_action_type_list_reset(qv_flight_action_type_list *list) {
  for (size_t i = 0; i < list->count; i++) {
    free((char *)list->items[i].type);
    free((char *)list->items[i].description);
  }
  free(list->items);
  memset(list, 0, sizeof *list);
}

static qv_status on_action_type(void *ctx, const uint8_t *data, size_t len, qv_error *err) {
  qv_flight_action_type_list *list = ctx;
  Arrow__Flight__Protocol__ActionType *at =
      arrow__flight__protocol__action_type__unpack(NULL, len, data);
  if (!at) return qv_error_set(err, QV_INVALID, "malformed ActionType message");
  qv_flight_action_type *items = realloc(list->items, (list->count + 1) * sizeof *items);
  qv_status st = QV_OK;
  if (!items) {
    st = qv_error_set(err, QV_NOMEM, "out of memory");
  } else {
    list->items = items;
    char *type = dup_string(at->type), *description = dup_string(at->description);
    if (!type || !description) {
      free(type);
      free(description);
      st = qv_error_set(err, QV_NOMEM, "out of memory");
    } else {
      items[list->count].type = type;
      items[list->count].description = description;
      list->count++;
    }
  }
  arrow__flight__protocol__action_type__free_unpacked(at, NULL);
  return st;
}

qv_status qv_flight_client_list_actions(qv_flight_client *client, const char *location,
                                        const qv_flight_call_options *call_opts,
                                        qv_flight_action_type_list *out, qv_error *err) {
  qv_status st = qv__flight_client_call(client, location,
                                        qv__flight_method_paths[QV__FLIGHT_LIST_ACTIONS], NULL, 0,
                                        call_opts, on_action_type, out, err);
  if (st != QV_OK) qv_flight_action_type_list_reset(out);
  return st;
}

static qv_status on_result(void *ctx, const uint8_t *data, size_t len, qv_error *err) {
  Arrow__Flight__Protocol__Result *r = arrow__flight__protocol__result__unpack(NULL, len, data);
  if (!r) return qv_error_set(err, QV_INVALID, "malformed Result message");
  qv_status st = qv_flight_result_list_append(ctx, r->body.data, (int64_t)r->body.len, err);
  arrow__flight__protocol__result__free_unpacked(r, NULL);
  return st;
}

qv_status qv_flight_client_do_action(qv_flight_client *client, const char *location,
                                     const char *type, const uint8_t *body, int64_t body_len,
                                     const qv_flight_call_options *call_opts,
                                     qv_flight_result_list *out, qv_error *err) {
  if (!type || body_len < 0 || (body_len > 0 && !body))
    return qv_error_set(err, QV_INVALID, "flight: DoAction needs a type and a body");
  Arrow__Flight__Protocol__Action action = ARROW__FLIGHT__PROTOCOL__ACTION__INIT;
  action.type = (char *)type;
  action.body.data = (uint8_t *)body;
  action.body.len = (size_t)body_len;
  size_t len = arrow__flight__protocol__action__get_packed_size(&action);
  uint8_t *packed = malloc(len ? len : 1);
  if (!packed) return qv_error_set(err, QV_NOMEM, "flight: out of memory");
  arrow__flight__protocol__action__pack(&action, packed);
  size_t had = out->count;
  qv_status st = qv__flight_client_call(client, location,
                                        qv__flight_method_paths[QV__FLIGHT_DO_ACTION], packed, len,
                                        call_opts, on_result, out, err);
  free(packed);
  if (st != QV_OK) { /* leave *out as it was */
    for (size_t i = had; i < out->count; i++) qv_buffer_unref(out->items[i]);
    out->count = had;
  }
  return st;
}
