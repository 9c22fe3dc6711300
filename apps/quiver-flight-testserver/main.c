/* quiver-flight-testserver: a Quiver Flight server serving generated data,
 * for interoperability tests with other Flight implementations
 * (tests/interop/test_flight_pyarrow.py).
 *
 *   quiver-flight-testserver [--port N] [--tls-cert FILE --tls-key FILE]
 *
 * Listens on 127.0.0.1 (port 0 by default: a free one), prints "PORT <n>" on
 * stdout, and serves until SIGTERM or SIGINT (then shuts down with 5 s of
 * grace). Tickets:
 *
 *   rows:<batches>:<rows>  <batches> batches of <rows> rows; row g (counting
 *                          across batches) holds
 *                            id     int64             g
 *                            name   utf8              "name-<g>", null if g%7==3
 *                            price  decimal128(15,2)  (125g-5000)/100, null if g%5==1
 *                            day    date32            19000+g, null if g%11==4
 *                            ts     timestamp[us,UTC] 1700000000000000+1000g
 *                            ok     bool              g%3==0, null if g%13==12
 *                            ratio  float64           g/4
 *                            nothing null
 *                            color  dictionary<int32, utf8> of red, green, blue,
 *                                   yellow: index g%4, null if g%9==8
 *                            tail   large_utf8        "L" repeated g%5 times
 *   big:<mib>              one batch, one int64 column v = row index, <mib> MiB
 *   error:<code>           fails with qv_status <code>, message "requested error <code>"
 *
 * ListActions lists "healthcheck", which DoAction answers with one result
 * "ok"; every other method answers UNIMPLEMENTED. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quiver/flight_transport.h"

static const char *const colors[4] = {"red", "green", "blue", "yellow"};

static qv_status make_field(const char *name, qv_data_type *type, qv_field **out, qv_error *err) {
  return qv_field_create(name, type, true, NULL, out, err);
}

/* The schema of the rows: tickets. */
static qv_status rows_schema(qv_schema **out, qv_error *err) {
  *out = NULL;
  qv_data_type *dec = NULL, *ts = NULL, *dict = NULL;
  qv_field *f[10] = {0};
  qv_status st = qv_type_decimal(QV_DECIMAL128, 15, 2, &dec, err);
  if (st == QV_OK) st = qv_type_timestamp(QV_MICRO, "UTC", &ts, err);
  if (st == QV_OK)
    st = qv_type_dictionary(qv_type_primitive(QV_INT32), qv_type_primitive(QV_UTF8), false, &dict, err);
  const char *names[10] = {"id", "name", "price", "day", "ts", "ok", "ratio", "nothing", "color", "tail"};
  qv_data_type *types[10] = {qv_type_primitive(QV_INT64), qv_type_primitive(QV_UTF8), dec,
                             qv_type_primitive(QV_DATE32), ts, qv_type_primitive(QV_BOOL),
                             qv_type_primitive(QV_FLOAT64), qv_type_primitive(QV_NA), dict,
                             qv_type_primitive(QV_LARGE_UTF8)};
  for (int i = 0; i < 10 && st == QV_OK; i++) st = make_field(names[i], types[i], &f[i], err);
  if (st == QV_OK) st = qv_schema_create(f, 10, NULL, out, err);
  for (int i = 0; i < 10; i++) qv_field_unref(f[i]);
  qv_type_unref(dec);
  qv_type_unref(ts);
  qv_type_unref(dict);
  return st;
}

static qv_status rows_batch(qv_schema *schema, int64_t first, int64_t rows, qv_record_batch **out,
                            qv_error *err) {
  *out = NULL;
  enum { NB = 9 }; /* builders: every column but the dictionary's values */
  int col_of[NB] = {0, 1, 2, 3, 4, 5, 6, 8, 9};
  qv_array_builder b[NB];
  int n_init = 0;
  qv_status st = QV_OK;
  for (; n_init < NB && st == QV_OK; n_init++) {
    qv_data_type *t = qv_field_type(qv_schema_field(schema, col_of[n_init]));
    if (col_of[n_init] == 8) t = qv_type_dict_index(t);
    st = qv_array_builder_init(&b[n_init], NULL, t, err);
  }
  if (st != QV_OK) n_init--;
  for (int64_t i = 0; i < rows && st == QV_OK; i++) {
    int64_t g = first + i;
    char text[64];
    st = qv_array_builder_append_int(&b[0], g, err);
    if (st == QV_OK) {
      int n = snprintf(text, sizeof text, "name-%lld", (long long)g);
      st = g % 7 == 3 ? qv_array_builder_append_null(&b[1], err)
                      : qv_array_builder_append_binary(&b[1], text, n, err);
    }
    if (st == QV_OK) {
      int64_t unscaled[2] = {125 * g - 5000, 125 * g - 5000 < 0 ? -1 : 0};
      st = g % 5 == 1 ? qv_array_builder_append_null(&b[2], err)
                      : qv_array_builder_append_fixed(&b[2], unscaled, err);
    }
    if (st == QV_OK)
      st = g % 11 == 4 ? qv_array_builder_append_null(&b[3], err)
                       : qv_array_builder_append_int(&b[3], 19000 + g, err);
    if (st == QV_OK) st = qv_array_builder_append_int(&b[4], 1700000000000000LL + 1000 * g, err);
    if (st == QV_OK)
      st = g % 13 == 12 ? qv_array_builder_append_null(&b[5], err)
                        : qv_array_builder_append_bool(&b[5], g % 3 == 0, err);
    if (st == QV_OK) st = qv_array_builder_append_double(&b[6], (double)g / 4.0, err);
    if (st == QV_OK)
      st = g % 9 == 8 ? qv_array_builder_append_null(&b[7], err)
                      : qv_array_builder_append_int(&b[7], g % 4, err);
    if (st == QV_OK) st = qv_array_builder_append_binary(&b[8], "LLLL", g % 5, err);
  }
  qv_array *cols[10] = {0};
  qv_array *indices = NULL, *values = NULL;
  int finished = 0;
  for (; finished < NB && st == QV_OK; finished++) {
    qv_array **dst = col_of[finished] == 8 ? &indices : &cols[col_of[finished]];
    st = qv_array_builder_finish(&b[finished], dst, err);
  }
  for (int i = finished; i < n_init; i++) qv_array_builder_reset(&b[i]);
  if (st == QV_OK) st = qv_array_make_nulls(qv_default_allocator(), qv_type_primitive(QV_NA), rows, &cols[7], err);
  if (st == QV_OK) {
    qv_array_builder vb;
    st = qv_array_builder_init(&vb, NULL, qv_type_primitive(QV_UTF8), err);
    for (int i = 0; i < 4 && st == QV_OK; i++)
      st = qv_array_builder_append_binary(&vb, colors[i], (int64_t)strlen(colors[i]), err);
    if (st == QV_OK) st = qv_array_builder_finish(&vb, &values, err);
    else qv_array_builder_reset(&vb);
  }
  if (st == QV_OK) {
    qv_buffer *bufs[2] = {qv_array_buffer(indices, 0), qv_array_buffer(indices, 1)};
    st = qv_array_create(qv_field_type(qv_schema_field(schema, 8)), rows, 0, -1, bufs, 2, NULL, 0,
                         values, &cols[8], err);
  }
  if (st == QV_OK) st = qv_record_batch_create(schema, rows, cols, 10, out, err);
  for (int i = 0; i < 10; i++) qv_array_unref(cols[i]);
  qv_array_unref(indices);
  qv_array_unref(values);
  return st;
}

static qv_status big_batch(int64_t mib, qv_record_batch **out, qv_error *err) {
  int64_t rows = (mib << 20) / 8;
  qv_buffer *data = NULL;
  QV_RETURN_NOT_OK(qv_buffer_allocate(qv_default_allocator(), rows * 8, &data, err));
  int64_t *v = (int64_t *)qv_buffer_mutable_data(data);
  for (int64_t i = 0; i < rows; i++) v[i] = i;
  qv_buffer *bufs[2] = {NULL, data};
  qv_array *col = NULL;
  qv_field *f = NULL;
  qv_schema *schema = NULL;
  qv_status st = qv_array_create(qv_type_primitive(QV_INT64), rows, 0, 0, bufs, 2, NULL, 0, NULL,
                                 &col, err);
  if (st == QV_OK) st = qv_field_create("v", qv_type_primitive(QV_INT64), false, NULL, &f, err);
  if (st == QV_OK) st = qv_schema_create(&f, 1, NULL, &schema, err);
  if (st == QV_OK) st = qv_record_batch_create(schema, rows, &col, 1, out, err);
  qv_schema_unref(schema);
  qv_field_unref(f);
  qv_array_unref(col);
  qv_buffer_unref(data);
  return st;
}

/* The batch source of a ticket: batches made one at a time. */
typedef struct source {
  qv_schema *schema;
  qv_record_batch *big; /* big: tickets */
  int64_t batches, rows, next;
} source;

static qv_status source_next(void *state, qv_record_batch **out, qv_error *err) {
  source *s = state;
  *out = NULL;
  if (s->next >= s->batches) return QV_OK;
  int64_t i = s->next++;
  if (s->big) {
    *out = s->big;
    s->big = NULL;
    return QV_OK;
  }
  return rows_batch(s->schema, i * s->rows, s->rows, out, err);
}

static void source_destroy(void *state) {
  source *s = state;
  qv_record_batch_unref(s->big);
  qv_schema_unref(s->schema);
  free(s);
}

static qv_status do_get(void *user_data, const qv_flight_call *call, const uint8_t *ticket,
                        int64_t ticket_len, qv_flight_batch_source *out, qv_error *err) {
  (void)user_data, (void)call;
  char t[128];
  if (ticket_len >= (int64_t)sizeof t) return qv_error_set(err, QV_INVALID, "ticket too long");
  memcpy(t, ticket, (size_t)ticket_len);
  t[ticket_len] = '\0';
  long long a = 0, b = 0;
  int code = 0;
  source *s = calloc(1, sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "out of memory");
  qv_status st;
  if (sscanf(t, "rows:%lld:%lld", &a, &b) == 2 && a >= 0 && b >= 0) {
    s->batches = a;
    s->rows = b;
    st = rows_schema(&s->schema, err);
  } else if (sscanf(t, "big:%lld", &a) == 1 && a > 0 && a <= 4096) {
    s->batches = 1;
    st = big_batch(a, &s->big, err);
    if (st == QV_OK) s->schema = qv_schema_ref(qv_record_batch_schema(s->big));
  } else if (sscanf(t, "error:%d", &code) == 1) {
    st = qv_error_set(err, (qv_status)code, "requested error %d", code);
  } else {
    st = qv_error_set(err, QV_NOT_FOUND, "unknown ticket '%s'", t);
  }
  if (st != QV_OK) {
    source_destroy(s);
    return st;
  }
  out->schema = qv_schema_ref(s->schema);
  out->iter.next = source_next;
  out->iter.destroy = source_destroy;
  out->iter.state = s;
  return QV_OK;
}

static qv_status do_action(void *user_data, const qv_flight_call *call, const char *type,
                           const uint8_t *body, int64_t body_len, qv_flight_result_list *results,
                           qv_error *err) {
  (void)user_data, (void)call, (void)type, (void)body, (void)body_len;
  return qv_flight_result_list_append(results, "ok", 2, err);
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *text = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n + 4096 + 1 > cap) {
      cap = cap ? cap * 2 : 8192;
      char *grown = realloc(text, cap);
      if (!grown) break;
      text = grown;
    }
    size_t got = fread(text + n, 1, 4096, f);
    n += got;
    if (got == 0) break;
  }
  fclose(f);
  if (text) text[n] = '\0';
  return text;
}

/* SIGTERM and SIGINT write to a pipe that a thread waits on (whichever thread
 * the signal lands on: libraries start threads of their own). */
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig) {
  (void)sig;
  char c = 1;
  ssize_t rc = write(signal_pipe[1], &c, 1);
  (void)rc;
}

static void *wait_signal(void *arg) {
  char c;
  while (read(signal_pipe[0], &c, 1) < 0 && errno == EINTR) {
  }
  qv_flight_server_shutdown(arg, 5.0);
  return NULL;
}

int main(int argc, char **argv) {
  int port = 0;
  const char *cert_file = NULL, *key_file = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--tls-cert") && i + 1 < argc) cert_file = argv[++i];
    else if (!strcmp(argv[i], "--tls-key") && i + 1 < argc) key_file = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--port N] [--tls-cert FILE --tls-key FILE]\n", argv[0]);
      return 2;
    }
  }
  if (pipe(signal_pipe) != 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  qv_flight_server_options opts;
  qv_flight_server_options_init(&opts);
  char *cert = NULL, *key = NULL;
  if (cert_file || key_file) {
    cert = cert_file ? read_file(cert_file) : NULL;
    key = key_file ? read_file(key_file) : NULL;
    if (!cert || !key) {
      fprintf(stderr, "quiver-flight-testserver: cannot read the TLS certificate and key\n");
      return 1;
    }
    opts.tls_cert_chain_pem = cert;
    opts.tls_private_key_pem = key;
  }
  static const qv_flight_action_type actions[] = {{"healthcheck", "answers \"ok\""}};
  qv_flight_handlers h;
  memset(&h, 0, sizeof h);
  h.do_get = do_get;
  h.actions = actions;
  h.n_actions = 1;
  h.do_action = do_action;
  qv_error err;
  qv_error_init(&err);
  qv_flight_server *srv = NULL;
  char address[64];
  snprintf(address, sizeof address, "127.0.0.1:%d", port);
  qv_status st = qv_flight_server_create(&h, &opts, &srv, &err);
  free(cert);
  free(key);
  if (st == QV_OK) st = qv_flight_server_start(srv, address, &err);
  if (st != QV_OK) {
    fprintf(stderr, "quiver-flight-testserver: %s\n", err.message);
    qv_flight_server_destroy(srv);
    return 1;
  }
  printf("PORT %d\n", qv_flight_server_port(srv));
  fflush(stdout);
  pthread_t th;
  if (pthread_create(&th, NULL, wait_signal, srv) != 0) {
    qv_flight_server_destroy(srv);
    return 1;
  }
  qv_flight_server_wait(srv);
  pthread_join(th, NULL);
  qv_flight_server_destroy(srv);
  return 0;
}
