/* The Flight server and client against each other on 127.0.0.1: DoGet of
 * many types and of large batches, concurrency, cancellation reaching the
 * producer, errors with their codes and messages, UNIMPLEMENTED methods,
 * actions, headers, deadlines, limits, shutdown. Every wait is bounded: the
 * calls carry deadlines, and polls give up after a timeout. */
#include <stdlib.h>
#include <string.h>

#include "flight/flight_internal.h"
#include "flight_test_util.h"
#include "test.h"

/* Deadline for calls that should finish quickly. */
static const qv_flight_call_options quick = {NULL, 0, 60000};

/* A server with the test handlers and a client, torn down by env_reset. */
typedef struct env {
  ft_state st;
  qv_flight_server *srv;
  qv_flight_client *client;
  char loc[64];
} env;

static qv_status env_init(env *e, const qv_flight_server_options *sopts,
                          const qv_flight_client_options *copts, qv_error *err) {
  memset(e, 0, sizeof *e);
  ft_state_init(&e->st);
  QV_RETURN_NOT_OK(ft_start_server(&e->st, sopts, &e->srv, e->loc, sizeof e->loc, err));
  return qv_flight_client_create(copts, &e->client, err);
}

static void env_reset(env *e) {
  qv_flight_client_destroy(e->client);
  qv_flight_server_destroy(e->srv);
  ft_state_reset(&e->st);
}

static qv_status get(env *e, const char *ticket, const qv_flight_call_options *o,
                     qv_flight_stream **out, qv_error *err) {
  return qv_flight_client_do_get(e->client, e->loc, (const uint8_t *)ticket,
                                 (int64_t)strlen(ticket), o ? o : &quick, out, err);
}

QV_TEST(flight_do_get_many_types_arrive_equal) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "sample:5", NULL, &s, &err), &err);
  qv_record_batch *want = NULL;
  CHECK_OK(ft_sample_batch(1, 0, &want, &err), &err);
  CHECK(qv_schema_equals(qv_flight_stream_schema(s), qv_record_batch_schema(want)));
  qv_record_batch_unref(want);
  CHECK_EQ_INT(ft_drain(s, 1000, &err), 5);
  /* After the end, next() keeps saying so. */
  qv_record_batch *b = (qv_record_batch *)1;
  CHECK_OK(qv_flight_stream_next(s, &b, &err), &err);
  CHECK(b == NULL);
  qv_flight_stream_destroy(s);
  CHECK(ft_wait_atomic(&e.st.destroyed, 1, 10000));
  CHECK_EQ_INT(atomic_load(&e.st.produced), 5);
  env_reset(&e);
}

QV_TEST(flight_do_get_empty_stream_has_a_schema) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "empty", NULL, &s, &err), &err);
  CHECK(qv_schema_num_fields(qv_flight_stream_schema(s)) == 10);
  CHECK_EQ_INT(ft_drain(s, 0, &err), 0);
  qv_flight_stream_destroy(s);
  env_reset(&e);
}

QV_TEST(flight_do_get_compressed_stream) {
  qv_error err = {0};
  qv_flight_server_options o;
  qv_flight_server_options_init(&o);
  o.ipc.compression = QV_IPC_COMPRESSION_ZSTD;
  env e;
  CHECK_OK(env_init(&e, &o, NULL, &err), &err);
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "sample:3", NULL, &s, &err), &err);
  CHECK_EQ_INT(ft_drain(s, 1000, &err), 3);
  qv_flight_stream_destroy(s);
  env_reset(&e);
}

static void check_big(env *e, int mib) {
  qv_error err = {0};
  char ticket[32];
  snprintf(ticket, sizeof ticket, "big:%d", mib);
  qv_flight_stream *s = NULL;
  CHECK_OK(get(e, ticket, NULL, &s, &err), &err);
  qv_record_batch *got = NULL;
  CHECK_OK(qv_flight_stream_next(s, &got, &err), &err);
  CHECK(got != NULL);
  qv_record_batch *want = NULL;
  CHECK_OK(ft_big_batch((int64_t)mib << 20, &want, &err), &err);
  bool same = qv_record_batch_equals(got, want);
  qv_record_batch_unref(want);
  /* The column arrived in 64-byte aligned memory, without a second copy. */
  bool aligned = ((uintptr_t)qv_buffer_data(qv_array_buffer(qv_record_batch_column(got, 0), 1)) & 63) == 0;
  qv_record_batch_unref(got);
  CHECK(same);
  CHECK(aligned);
  CHECK_EQ_INT(ft_drain(s, 0, &err), 0);
  qv_flight_stream_destroy(s);
}

QV_TEST(flight_do_get_16_mib_batch_with_default_options) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  check_big(&e, 16);
  env_reset(&e);
}

QV_TEST(flight_do_get_256_mib_batch_with_default_options) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  check_big(&e, 256);
  env_reset(&e);
}

typedef struct getter {
  env *e;
  int batches;
  int64_t got;
  qv_error err;
} getter;

static void *get_thread(void *arg) {
  getter *g = arg;
  char ticket[32];
  snprintf(ticket, sizeof ticket, "sample:%d", g->batches);
  qv_flight_stream *s = NULL;
  g->got = -1;
  if (get(g->e, ticket, NULL, &s, &g->err) != QV_OK) return NULL;
  g->got = ft_drain(s, 1000, &g->err);
  qv_flight_stream_destroy(s);
  return NULL;
}

QV_TEST(flight_many_concurrent_do_gets) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  enum { N = 24 };
  pthread_t th[N];
  getter g[N];
  for (int i = 0; i < N; i++) {
    memset(&g[i], 0, sizeof g[i]);
    g[i].e = &e;
    g[i].batches = 1 + i % 4;
    CHECK(pthread_create(&th[i], NULL, get_thread, &g[i]) == 0);
  }
  for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < N; i++) {
    if (g[i].got != g[i].batches) fprintf(stderr, "  stream %d: %s\n", i, g[i].err.message);
    CHECK_EQ_INT(g[i].got, g[i].batches);
  }
  CHECK(ft_wait_atomic(&e.st.destroyed, N, 10000));
  env_reset(&e);
}

QV_TEST(flight_client_cancel_stops_the_producer) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "endless", NULL, &s, &err), &err);
  for (int i = 0; i < 3; i++) {
    qv_record_batch *b = NULL;
    CHECK_OK(qv_flight_stream_next(s, &b, &err), &err);
    CHECK(b != NULL);
    qv_record_batch_unref(b);
  }
  qv_flight_stream_cancel(s);
  qv_record_batch *b = NULL;
  /* Batches already in flight may still arrive; then the cancellation. */
  qv_status st = QV_OK;
  for (int i = 0; i < 100000 && st == QV_OK; i++) {
    st = qv_flight_stream_next(s, &b, &err);
    qv_record_batch_unref(b);
    b = NULL;
  }
  CHECK_STATUS(st, QV_CANCELLED);
  qv_flight_stream_destroy(s);
  /* The server's producer stopped: its source was destroyed (the cancel hook
   * ran if the cancellation arrived while the source was live, else the
   * failed send stopped it), and it produces nothing more. */
  CHECK(ft_wait_atomic(&e.st.destroyed, 1, 10000));
  CHECK(atomic_load(&e.st.cancels) <= 1);
  int produced = atomic_load(&e.st.produced);
  ft_sleep_ms(200);
  CHECK_EQ_INT(atomic_load(&e.st.produced), produced);
  env_reset(&e);
}

QV_TEST(flight_client_destroy_mid_stream_wakes_a_blocked_producer) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "block", NULL, &s, &err), &err);
  qv_record_batch *b = NULL;
  CHECK_OK(qv_flight_stream_next(s, &b, &err), &err);
  CHECK(b != NULL);
  qv_record_batch_unref(b);
  /* The producer now waits in next(); dropping the stream cancels the call,
   * whose cancel hook wakes it well before its own 20 s limit. */
  ft_sleep_ms(50);
  qv_flight_stream_destroy(s);
  CHECK(ft_wait_atomic(&e.st.cancels, 1, 10000));
  CHECK(ft_wait_atomic(&e.st.destroyed, 1, 10000));
  env_reset(&e);
}

QV_TEST(flight_deadline_exceeded_reaches_both_sides) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  qv_flight_call_options o = {NULL, 0, 1000};
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "block", &o, &s, &err), &err);
  CHECK_EQ_INT(ft_drain(s, 0, &err), -1);
  CHECK_EQ_INT(err.code, QV_DEADLINE_EXCEEDED);
  qv_flight_stream_destroy(s);
  CHECK(ft_wait_atomic(&e.st.destroyed, 1, 10000));
  CHECK_EQ_INT(atomic_load(&e.st.cancels), 1);
  env_reset(&e);
}

QV_TEST(flight_handler_errors_arrive_with_code_and_message) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  struct {
    qv_status sent, got;
    const char *grpc;
  } cases[] = {
      {QV_INVALID, QV_INVALID, "INVALID_ARGUMENT"},
      {QV_NOT_FOUND, QV_NOT_FOUND, "NOT_FOUND"},
      {QV_NOMEM, QV_RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"},
      {QV_RESOURCE_EXHAUSTED, QV_RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"},
      {QV_UNAVAILABLE, QV_UNAVAILABLE, "UNAVAILABLE"},
      {QV_NOT_IMPLEMENTED, QV_NOT_IMPLEMENTED, "UNIMPLEMENTED"},
      {QV_INTERNAL, QV_INTERNAL, "INTERNAL"},
      {QV_IO, QV_INTERNAL, "INTERNAL"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char ticket[32], msg[64];
    snprintf(ticket, sizeof ticket, "error:%d", (int)cases[i].sent);
    snprintf(msg, sizeof msg, "test error %d", (int)cases[i].sent);
    qv_flight_stream *s = NULL;
    CHECK_STATUS(get(&e, ticket, NULL, &s, &err), cases[i].got);
    CHECK(s == NULL);
    CHECK(strstr(err.message, msg) != NULL);
    CHECK(strstr(err.message, e.loc) != NULL);
    CHECK(strstr(err.message, cases[i].grpc) != NULL);
  }
  /* An unknown ticket. */
  qv_flight_stream *s = NULL;
  CHECK_STATUS(get(&e, "nonsense", NULL, &s, &err), QV_NOT_FOUND);
  CHECK(strstr(err.message, "no such ticket 'nonsense'") != NULL);
  /* A failure in the middle of the stream, after two batches. */
  CHECK_OK(get(&e, "fail-after:2", NULL, &s, &err), &err);
  CHECK_EQ_INT(ft_drain(s, 1000, &err), -1);
  CHECK_EQ_INT(err.code, QV_RESOURCE_EXHAUSTED);
  CHECK(strstr(err.message, "memory limit of 1 MiB exceeded") != NULL);
  /* It is sticky. */
  qv_record_batch *b = NULL;
  CHECK_STATUS(qv_flight_stream_next(s, &b, &err), QV_RESOURCE_EXHAUSTED);
  qv_flight_stream_destroy(s);
  CHECK_EQ_INT(atomic_load(&e.st.produced), 2);
  env_reset(&e);
}

static qv_status count_message(void *ctx, const uint8_t *data, size_t len, qv_error *err) {
  (void)data, (void)len, (void)err;
  (*(int *)ctx)++;
  return QV_OK;
}

QV_TEST(flight_other_methods_answer_unimplemented) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  for (int m = 0; m < QV__FLIGHT_N_METHODS; m++) {
    if (m == QV__FLIGHT_DO_GET || m == QV__FLIGHT_DO_ACTION || m == QV__FLIGHT_LIST_ACTIONS)
      continue;
    int messages = 0;
    CHECK_STATUS(qv__flight_client_call(e.client, e.loc, qv__flight_method_paths[m], NULL, 0,
                                        &quick, count_message, &messages, &err),
                 QV_NOT_IMPLEMENTED);
    CHECK_EQ_INT(messages, 0);
    CHECK(strstr(err.message, qv__flight_method_names[m]) != NULL);
    CHECK(strstr(err.message, "not implemented") != NULL);
  }
  /* A path that is no FlightService method. */
  CHECK_STATUS(qv__flight_client_call(e.client, e.loc, "/some.Other/Method", NULL, 0, &quick,
                                      NULL, NULL, &err),
               QV_NOT_IMPLEMENTED);
  CHECK(strstr(err.message, "/some.Other/Method") != NULL);
  /* The server still works. */
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "sample:1", NULL, &s, &err), &err);
  CHECK_EQ_INT(ft_drain(s, 1000, &err), 1);
  qv_flight_stream_destroy(s);
  env_reset(&e);
}

QV_TEST(flight_server_without_handlers_is_honest) {
  qv_error err = {0};
  qv_flight_server *srv = NULL;
  CHECK_OK(qv_flight_server_create(NULL, NULL, &srv, &err), &err);
  CHECK_OK(qv_flight_server_start(srv, "127.0.0.1:0", &err), &err);
  char loc[64];
  snprintf(loc, sizeof loc, "127.0.0.1:%d", qv_flight_server_port(srv));
  qv_flight_client *c = NULL;
  CHECK_OK(qv_flight_client_create(NULL, &c, &err), &err);
  qv_flight_action_type_list actions;
  qv_flight_action_type_list_init(&actions);
  CHECK_OK(qv_flight_client_list_actions(c, loc, &quick, &actions, &err), &err);
  CHECK_EQ_INT(actions.count, 0);
  qv_flight_stream *s = NULL;
  CHECK_STATUS(qv_flight_client_do_get(c, loc, (const uint8_t *)"x", 1, &quick, &s, &err),
               QV_NOT_IMPLEMENTED);
  qv_flight_result_list results;
  qv_flight_result_list_init(&results);
  CHECK_STATUS(qv_flight_client_do_action(c, loc, "echo", NULL, 0, &quick, &results, &err),
               QV_NOT_IMPLEMENTED);
  qv_flight_client_destroy(c);
  qv_flight_server_destroy(srv);
}

QV_TEST(flight_list_actions_and_do_action) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  qv_flight_action_type_list actions;
  qv_flight_action_type_list_init(&actions);
  CHECK_OK(qv_flight_client_list_actions(e.client, e.loc, &quick, &actions, &err), &err);
  CHECK_EQ_INT(actions.count, 1);
  CHECK_STR_EQ(actions.items[0].type, "echo");
  CHECK_STR_EQ(actions.items[0].description, "returns its body, twice");
  qv_flight_action_type_list_reset(&actions);

  qv_flight_result_list results;
  qv_flight_result_list_init(&results);
  CHECK_OK(qv_flight_client_do_action(e.client, e.loc, "echo", (const uint8_t *)"hi\0x", 4, &quick,
                                      &results, &err),
           &err);
  CHECK_EQ_INT(results.count, 2);
  for (size_t i = 0; i < results.count; i++)
    CHECK(qv_buffer_size(results.items[i]) == 4 && memcmp(qv_buffer_data(results.items[i]), "hi\0x", 4) == 0);
  qv_flight_result_list_reset(&results);
  CHECK_STATUS(qv_flight_client_do_action(e.client, e.loc, "drop-tables", NULL, 0, &quick, &results,
                                          &err),
               QV_NOT_IMPLEMENTED);
  CHECK(strstr(err.message, "unknown action type 'drop-tables'") != NULL);
  CHECK_EQ_INT(results.count, 0);
  env_reset(&e);
}

QV_TEST(flight_headers_reach_the_handler) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  qv_flight_header h[2] = {{"x-test-value", "forty two", 9}, {"x-quiver-config-a", "b", 1}};
  qv_flight_call_options o = {h, 2, 60000};
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "headers", &o, &s, &err), &err);
  CHECK_EQ_INT(ft_drain(s, 1000, &err), 1);
  qv_flight_stream_destroy(s);
  pthread_mutex_lock(&e.st.mu);
  bool value_ok = strcmp(e.st.last_header, "forty two") == 0;
  bool peer_ok = strstr(e.st.last_peer, "127.0.0.1") != NULL;
  pthread_mutex_unlock(&e.st.mu);
  CHECK(value_ok);
  CHECK(peer_ok);
  /* Keys gRPC would refuse are refused before any call is made. */
  qv_flight_header bad[1] = {{"X-Upper", "v", 1}};
  qv_flight_call_options ob = {bad, 1, 60000};
  CHECK_STATUS(get(&e, "headers", &ob, &s, &err), QV_INVALID);
  qv_flight_header bad_value[1] = {{"x-ok", "line\nbreak", 10}};
  ob.headers = bad_value;
  CHECK_STATUS(get(&e, "headers", &ob, &s, &err), QV_INVALID);
  env_reset(&e);
}

QV_TEST(flight_stream_exports_as_arrow_array_stream) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "sample:3", NULL, &s, &err), &err);
  struct ArrowArrayStream stream;
  CHECK_OK(qv_flight_stream_export(s, &stream, &err), &err);
  qv_array_stream_reader *r = NULL;
  CHECK_OK(qv_array_stream_import(&stream, &r, &err), &err);
  int n = 0;
  for (;;) {
    qv_record_batch *b = NULL, *want = NULL;
    CHECK_OK(qv_array_stream_reader_next(r, &b, &err), &err);
    if (!b) break;
    CHECK_OK(ft_sample_batch(1000, n, &want, &err), &err);
    bool same = qv_record_batch_equals(b, want);
    qv_record_batch_unref(b);
    qv_record_batch_unref(want);
    CHECK(same);
    n++;
  }
  CHECK_EQ_INT(n, 3);
  qv_array_stream_reader_destroy(r);
  env_reset(&e);
}

QV_TEST(flight_message_size_limits_apply_when_set) {
  qv_error err = {0};
  /* A server that may send at most 1 MiB. */
  qv_flight_server_options so;
  qv_flight_server_options_init(&so);
  so.max_send_message_size = 1 << 20;
  env e;
  CHECK_OK(env_init(&e, &so, NULL, &err), &err);
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "big:2", NULL, &s, &err), &err);
  CHECK_EQ_INT(ft_drain(s, 0, &err), -1);
  CHECK_EQ_INT(err.code, QV_RESOURCE_EXHAUSTED);
  qv_flight_stream_destroy(s);
  env_reset(&e);
  /* A client that accepts at most 1 MiB. */
  qv_flight_client_options co;
  qv_flight_client_options_init(&co);
  co.max_receive_message_size = 1 << 20;
  CHECK_OK(env_init(&e, NULL, &co, &err), &err);
  CHECK_OK(get(&e, "big:2", NULL, &s, &err), &err);
  CHECK_EQ_INT(ft_drain(s, 0, &err), -1);
  CHECK_EQ_INT(err.code, QV_RESOURCE_EXHAUSTED);
  qv_flight_stream_destroy(s);
  CHECK(ft_wait_atomic(&e.st.destroyed, 1, 10000));
  env_reset(&e);
}

QV_TEST(flight_unreachable_server_is_unavailable) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  /* A port that was just free: nobody listens there. */
  char loc[64];
  snprintf(loc, sizeof loc, "%s", e.loc);
  env_reset(&e);
  qv_flight_client *c = NULL;
  CHECK_OK(qv_flight_client_create(NULL, &c, &err), &err);
  qv_flight_call_options o = {NULL, 0, 10000};
  qv_flight_stream *s = NULL;
  CHECK_STATUS(qv_flight_client_do_get(c, loc, (const uint8_t *)"sample:1", 8, &o, &s, &err),
               QV_UNAVAILABLE);
  CHECK(strstr(err.message, loc) != NULL);
  /* Bad locations. */
  CHECK_STATUS(qv_flight_client_do_get(c, "http://x:1", (const uint8_t *)"t", 1, &o, &s, &err),
               QV_INVALID);
  CHECK_STATUS(qv_flight_client_do_get(c, "", (const uint8_t *)"t", 1, &o, &s, &err), QV_INVALID);
  CHECK_STATUS(qv_flight_client_do_get(c, "grpc://", (const uint8_t *)"t", 1, &o, &s, &err),
               QV_INVALID);
  qv_flight_client_destroy(c);
}

QV_TEST(flight_locations_with_schemes_share_a_channel) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  char loc[80];
  snprintf(loc, sizeof loc, "grpc+tcp://%s", e.loc);
  grpc_channel *a = NULL, *b = NULL, *c = NULL;
  CHECK_OK(qv__flight_client_channel(e.client, e.loc, &a, &err), &err);
  CHECK_OK(qv__flight_client_channel(e.client, loc, &b, &err), &err);
  snprintf(loc, sizeof loc, "grpc://%s/", e.loc);
  CHECK_OK(qv__flight_client_channel(e.client, loc, &c, &err), &err);
  CHECK(a == b && b == c);
  qv_flight_stream *s = NULL;
  CHECK_OK(qv_flight_client_do_get(e.client, loc, (const uint8_t *)"sample:2", 8, &quick, &s, &err),
           &err);
  CHECK_EQ_INT(ft_drain(s, 1000, &err), 2);
  qv_flight_stream_destroy(s);
  env_reset(&e);
}

QV_TEST(flight_server_refuses_a_port_in_use_and_bad_options) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  ft_state st2;
  ft_state_init(&st2);
  qv_flight_handlers h = ft_handlers(&st2);
  qv_flight_server *srv = NULL;
  CHECK_OK(qv_flight_server_create(&h, NULL, &srv, &err), &err);
  CHECK_STATUS(qv_flight_server_start(srv, e.loc, &err), QV_IO);
  CHECK(strstr(err.message, e.loc) != NULL);
  /* A failed start may be retried; a second start may not. */
  CHECK_OK(qv_flight_server_start(srv, "127.0.0.1:0", &err), &err);
  CHECK_STATUS(qv_flight_server_start(srv, "127.0.0.1:0", &err), QV_INVALID);
  qv_flight_server_destroy(srv);
  ft_state_reset(&st2);
  env_reset(&e);

  qv_flight_server_options o;
  qv_flight_server_options_init(&o);
  o.tls_cert_chain_pem = "only a chain";
  CHECK_STATUS(qv_flight_server_create(NULL, &o, &srv, &err), QV_INVALID);
  qv_flight_server_options_init(&o);
  o.max_receive_message_size = 0;
  CHECK_STATUS(qv_flight_server_create(NULL, &o, &srv, &err), QV_INVALID);
  qv_flight_handlers bad;
  memset(&bad, 0, sizeof bad);
  static const qv_flight_action_type act[1] = {{"a", "b"}};
  bad.actions = act;
  bad.n_actions = 1;
  CHECK_STATUS(qv_flight_server_create(&bad, NULL, &srv, &err), QV_INVALID);
  CHECK(srv == NULL);
}

typedef struct shutdown_arg {
  qv_flight_server *srv;
  double grace;
} shutdown_arg;

static void *shutdown_thread(void *arg) {
  shutdown_arg *a = arg;
  ft_sleep_ms(100);
  qv_flight_server_shutdown(a->srv, a->grace);
  return NULL;
}

QV_TEST(flight_graceful_shutdown_lets_streams_finish) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "slow:8", NULL, &s, &err), &err);
  shutdown_arg a = {e.srv, 30.0};
  pthread_t th;
  CHECK(pthread_create(&th, NULL, shutdown_thread, &a) == 0);
  int64_t n = ft_drain(s, 1000, &err);
  pthread_join(th, NULL);
  CHECK_EQ_INT(n, 8);
  qv_flight_stream_destroy(s);
  /* No new calls after shutdown. */
  qv_flight_call_options o = {NULL, 0, 5000};
  CHECK(get(&e, "sample:1", &o, &s, &err) != QV_OK);
  qv_flight_server_wait(e.srv);
  env_reset(&e);
}

QV_TEST(flight_shutdown_after_grace_cancels_streams) {
  qv_error err = {0};
  env e;
  CHECK_OK(env_init(&e, NULL, NULL, &err), &err);
  qv_flight_stream *s = NULL;
  CHECK_OK(get(&e, "block", NULL, &s, &err), &err);
  shutdown_arg a = {e.srv, 0.2};
  pthread_t th;
  CHECK(pthread_create(&th, NULL, shutdown_thread, &a) == 0);
  int64_t n = ft_drain(s, 0, &err);
  pthread_join(th, NULL);
  CHECK_EQ_INT(n, -1);
  CHECK(err.code == QV_CANCELLED || err.code == QV_UNAVAILABLE);
  CHECK_EQ_INT(atomic_load(&e.st.cancels), 1);
  CHECK_EQ_INT(atomic_load(&e.st.destroyed), 1);
  qv_flight_stream_destroy(s);
  env_reset(&e);
}

QV_TEST(flight_keepalive_options_keep_connections_usable) {
  qv_error err = {0};
  qv_flight_server_options so;
  qv_flight_server_options_init(&so);
  so.keepalive_time_ms = 200;
  so.keepalive_timeout_ms = 5000;
  qv_flight_client_options co;
  qv_flight_client_options_init(&co);
  co.keepalive_time_ms = 1; /* raised to the 10 s the server accepts */
  co.keepalive_timeout_ms = 5000;
  env e;
  CHECK_OK(env_init(&e, &so, &co, &err), &err);
  for (int round = 0; round < 2; round++) {
    qv_flight_stream *s = NULL;
    CHECK_OK(get(&e, "sample:1", NULL, &s, &err), &err);
    CHECK_EQ_INT(ft_drain(s, 1000, &err), 1);
    qv_flight_stream_destroy(s);
    ft_sleep_ms(700); /* several server pings on the idle connection */
  }
  env_reset(&e);
}
