/* Helpers for the Flight transport tests (see flight_test_util.h). */
#include "flight_test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- sample batches ----------------------------------------------------------- */

static qv_status finish_field(const char *name, qv_data_type *type, qv_field **fields, int *nf,
                              qv_error *err) {
  return qv_field_create(name, type, true, NULL, &fields[(*nf)++], err);
}

static const char *const words[] = {"alpha", "beta", "gamma", "", "delta", "épsilon", "ζeta",
                                    "a longer string that does not fit inline"};

qv_status ft_sample_batch(int64_t rows, int seed, qv_record_batch **out, qv_error *err) {
  *out = NULL;
  enum { NCOL = 10 };
  qv_data_type *types[NCOL] = {0};
  qv_array *cols[NCOL] = {0};
  qv_field *fields[NCOL] = {0};
  qv_array *dict_values = NULL, *indices = NULL;
  qv_schema *schema = NULL;
  qv_array_builder b[NCOL - 2];
  int nb = 0, nf = 0;
  qv_status st = QV_OK;

  types[0] = qv_type_primitive(QV_INT64);
  types[1] = qv_type_primitive(QV_FLOAT64);
  types[2] = qv_type_primitive(QV_BOOL);
  types[3] = qv_type_primitive(QV_UTF8);
  types[4] = qv_type_primitive(QV_LARGE_UTF8);
  if (st == QV_OK) st = qv_type_decimal(QV_DECIMAL128, 15, 2, &types[5], err);
  types[6] = qv_type_primitive(QV_DATE32);
  if (st == QV_OK) st = qv_type_timestamp(QV_MICRO, "UTC", &types[7], err);
  types[8] = qv_type_primitive(QV_NA);
  if (st == QV_OK)
    st = qv_type_dictionary(qv_type_primitive(QV_INT32), qv_type_primitive(QV_UTF8), false,
                            &types[9], err);
  for (int c = 0; c < 8 && st == QV_OK; c++) {
    st = qv_array_builder_init(&b[c], NULL, types[c], err);
    if (st == QV_OK) nb++;
  }
  for (int64_t r = 0; r < rows && st == QV_OK; r++) {
    int64_t v = (r + 1) * 7919 + seed * 104729;
    bool null = (r + seed) % 6 == 5;
    for (int c = 0; c < 8 && st == QV_OK; c++) {
      if (null && c != 0) {
        st = qv_array_builder_append_null(&b[c], err);
        continue;
      }
      const char *w = words[(v + c) % 8];
      switch (c) {
        case 0: st = qv_array_builder_append_int(&b[c], v - 1000000, err); break;
        case 1: st = qv_array_builder_append_double(&b[c], (double)v / 3.0, err); break;
        case 2: st = qv_array_builder_append_bool(&b[c], v % 3 == 0, err); break;
        case 3:
        case 4: st = qv_array_builder_append_binary(&b[c], w, (int64_t)strlen(w), err); break;
        case 5: {
          int64_t lo = (v % 2 ? -1 : 1) * v * 1013;
          uint8_t dec[16];
          int64_t hi = lo < 0 ? -1 : 0;
          memcpy(dec, &lo, 8);
          memcpy(dec + 8, &hi, 8);
          st = qv_array_builder_append_fixed(&b[c], dec, err);
          break;
        }
        case 6: st = qv_array_builder_append_int(&b[c], 10957 + v % 20000, err); break;
        case 7: st = qv_array_builder_append_int(&b[c], 1700000000000000LL + v * 1000, err); break;
      }
    }
  }
  for (int c = 0; c < 8 && st == QV_OK; c++) st = qv_array_builder_finish(&b[c], &cols[c], err);
  if (st == QV_OK) st = qv_array_make_nulls(qv_default_allocator(), types[8], rows, &cols[8], err);
  /* The dictionary: the words, indices with nulls. */
  if (st == QV_OK) {
    qv_array_builder db;
    st = qv_array_builder_init(&db, NULL, qv_type_primitive(QV_UTF8), err);
    for (int i = 0; i < 8 && st == QV_OK; i++)
      st = qv_array_builder_append_binary(&db, words[i], (int64_t)strlen(words[i]), err);
    if (st == QV_OK) st = qv_array_builder_finish(&db, &dict_values, err);
    else qv_array_builder_reset(&db);
  }
  if (st == QV_OK) {
    qv_array_builder ib;
    st = qv_array_builder_init(&ib, NULL, qv_type_primitive(QV_INT32), err);
    for (int64_t r = 0; r < rows && st == QV_OK; r++)
      st = (r + seed) % 5 == 3 ? qv_array_builder_append_null(&ib, err)
                               : qv_array_builder_append_int(&ib, (r * 3 + seed) % 8, err);
    if (st == QV_OK) st = qv_array_builder_finish(&ib, &indices, err);
    else qv_array_builder_reset(&ib);
  }
  if (st == QV_OK) {
    qv_buffer *bufs[2] = {qv_array_buffer(indices, 0), qv_array_buffer(indices, 1)};
    st = qv_array_create(types[9], rows, 0, -1, bufs, 2, NULL, 0, dict_values, &cols[9], err);
  }
  static const char *const names[NCOL] = {"id",   "ratio", "flag", "name", "large_name",
                                          "price", "day",  "ts",   "nothing", "category"};
  for (int c = 0; c < NCOL && st == QV_OK; c++) st = finish_field(names[c], types[c], fields, &nf, err);
  if (st == QV_OK) st = qv_schema_create(fields, nf, NULL, &schema, err);
  if (st == QV_OK) st = qv_record_batch_create(schema, rows, cols, NCOL, out, err);

  if (st != QV_OK) {
    for (int c = 0; c < nb; c++) qv_array_builder_reset(&b[c]);
  }
  qv_schema_unref(schema);
  for (int c = 0; c < NCOL; c++) {
    qv_array_unref(cols[c]);
    qv_field_unref(fields[c]);
    qv_type_unref(types[c]);
  }
  qv_array_unref(dict_values);
  qv_array_unref(indices);
  return st;
}

qv_status ft_big_batch(int64_t bytes, qv_record_batch **out, qv_error *err) {
  *out = NULL;
  int64_t rows = bytes / 8;
  qv_buffer *data = NULL;
  QV_RETURN_NOT_OK(qv_buffer_allocate(qv_default_allocator(), rows * 8, &data, err));
  int64_t *v = (int64_t *)qv_buffer_mutable_data(data);
  for (int64_t i = 0; i < rows; i++) v[i] = i * 2654435761LL;
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

/* ---- the scriptable handler -------------------------------------------------- */

enum { K_SAMPLE, K_BIG, K_ENDLESS, K_BLOCK, K_SLOW, K_FAIL_AFTER, K_HEADERS, K_EMPTY };

typedef struct src_state {
  ft_state *st;
  int kind;
  int64_t n, i;
  qv_record_batch *big;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool cancelled;
} src_state;

void ft_state_init(ft_state *st) {
  memset(st, 0, sizeof *st);
  atomic_init(&st->produced, 0);
  atomic_init(&st->destroyed, 0);
  atomic_init(&st->cancels, 0);
  atomic_init(&st->started, 0);
  pthread_mutex_init(&st->mu, NULL);
}

void ft_state_reset(ft_state *st) { pthread_mutex_destroy(&st->mu); }

void ft_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

bool ft_wait_atomic(atomic_int *v, int want, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 5) {
    if (atomic_load(v) >= want) return true;
    ft_sleep_ms(5);
  }
  return atomic_load(v) >= want;
}

static qv_status src_next(void *state, qv_record_batch **out, qv_error *err) {
  src_state *s = state;
  *out = NULL;
  switch (s->kind) {
    case K_BIG:
      if (s->i++ > 0) return QV_OK;
      *out = qv_record_batch_ref(s->big);
      break;
    case K_ENDLESS:
      QV_RETURN_NOT_OK(ft_sample_batch(100, (int)s->i++, out, err));
      break;
    case K_BLOCK:
      if (s->i++ > 0) {
        pthread_mutex_lock(&s->mu);
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 20;
        while (!s->cancelled && pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == 0) {
        }
        bool cancelled = s->cancelled;
        pthread_mutex_unlock(&s->mu);
        return qv_error_set(err, cancelled ? QV_CANCELLED : QV_INTERNAL,
                            cancelled ? "cancelled" : "block: nobody cancelled within 20 s");
      }
      QV_RETURN_NOT_OK(ft_sample_batch(10, 0, out, err));
      break;
    case K_SLOW:
      if (s->i >= s->n) return QV_OK;
      ft_sleep_ms(50);
      QV_RETURN_NOT_OK(ft_sample_batch(1000, (int)s->i++, out, err));
      break;
    case K_FAIL_AFTER:
      if (s->i >= s->n)
        return qv_error_set(err, QV_RESOURCE_EXHAUSTED, "test: memory limit of 1 MiB exceeded");
      QV_RETURN_NOT_OK(ft_sample_batch(1000, (int)s->i++, out, err));
      break;
    case K_HEADERS:
    case K_SAMPLE:
      if (s->i >= s->n) return QV_OK;
      QV_RETURN_NOT_OK(ft_sample_batch(1000, (int)s->i++, out, err));
      break;
    case K_EMPTY: return QV_OK;
  }
  atomic_fetch_add(&s->st->produced, 1);
  return QV_OK;
}

static void src_cancel(void *state) {
  src_state *s = state;
  pthread_mutex_lock(&s->mu);
  s->cancelled = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  atomic_fetch_add(&s->st->cancels, 1);
}

static void src_destroy(void *state) {
  src_state *s = state;
  ft_state *st = s->st;
  qv_record_batch_unref(s->big);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s);
  atomic_fetch_add(&st->destroyed, 1);
}

static qv_status do_get(void *user_data, const qv_flight_call *call, const uint8_t *ticket,
                        int64_t ticket_len, qv_flight_batch_source *out, qv_error *err) {
  ft_state *st = user_data;
  char t[128];
  if (ticket_len >= (int64_t)sizeof t)
    return qv_error_set(err, QV_INVALID, "test: ticket too long");
  memcpy(t, ticket, (size_t)ticket_len);
  t[ticket_len] = '\0';
  int kind;
  long n = 0;
  if (sscanf(t, "sample:%ld", &n) == 1) kind = K_SAMPLE;
  else if (sscanf(t, "big:%ld", &n) == 1) kind = K_BIG;
  else if (strcmp(t, "endless") == 0) kind = K_ENDLESS;
  else if (strcmp(t, "block") == 0) kind = K_BLOCK;
  else if (sscanf(t, "slow:%ld", &n) == 1) kind = K_SLOW;
  else if (sscanf(t, "fail-after:%ld", &n) == 1) kind = K_FAIL_AFTER;
  else if (strcmp(t, "headers") == 0) kind = K_HEADERS, n = 1;
  else if (strcmp(t, "empty") == 0) kind = K_EMPTY;
  else if (sscanf(t, "error:%ld", &n) == 1)
    return qv_error_set(err, (qv_status)n, "test error %ld", n);
  else return qv_error_set(err, QV_NOT_FOUND, "test: no such ticket '%s'", t);

  if (kind == K_HEADERS) {
    pthread_mutex_lock(&st->mu);
    const char *v = qv_flight_call_header_find(call, "x-test-value", NULL);
    snprintf(st->last_header, sizeof st->last_header, "%s", v ? v : "(none)");
    snprintf(st->last_peer, sizeof st->last_peer, "%s", qv_flight_call_peer(call));
    pthread_mutex_unlock(&st->mu);
  }
  src_state *s = calloc(1, sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "test: out of memory");
  s->st = st;
  s->kind = kind;
  s->n = n;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  qv_record_batch *first = NULL;
  qv_status rc = kind == K_BIG ? ft_big_batch((int64_t)n << 20, &first, err)
                               : ft_sample_batch(1, 0, &first, err);
  if (rc != QV_OK) {
    src_destroy(s);
    return rc;
  }
  if (kind == K_BIG) s->big = qv_record_batch_ref(first);
  out->schema = qv_schema_ref(qv_record_batch_schema(first));
  qv_record_batch_unref(first);
  out->iter.next = src_next;
  out->iter.destroy = src_destroy;
  out->iter.state = s;
  out->cancel = src_cancel;
  atomic_fetch_add(&st->started, 1);
  return QV_OK;
}

static qv_status do_action(void *user_data, const qv_flight_call *call, const char *type,
                           const uint8_t *body, int64_t body_len, qv_flight_result_list *results,
                           qv_error *err) {
  (void)user_data, (void)call, (void)type; /* ListActions has only "echo" */
  QV_RETURN_NOT_OK(qv_flight_result_list_append(results, body, body_len, err));
  return qv_flight_result_list_append(results, body, body_len, err);
}

static const qv_flight_action_type ft_actions[] = {{"echo", "returns its body, twice"}};

qv_flight_handlers ft_handlers(ft_state *st) {
  qv_flight_handlers h;
  memset(&h, 0, sizeof h);
  h.user_data = st;
  h.do_get = do_get;
  h.actions = ft_actions;
  h.n_actions = 1;
  h.do_action = do_action;
  return h;
}

qv_status ft_start_server(ft_state *st, const qv_flight_server_options *opts,
                          qv_flight_server **out, char *loc, size_t loc_size, qv_error *err) {
  qv_flight_handlers h = ft_handlers(st);
  QV_RETURN_NOT_OK(qv_flight_server_create(&h, opts, out, err));
  qv_status rc = qv_flight_server_start(*out, "127.0.0.1:0", err);
  if (rc != QV_OK) {
    qv_flight_server_destroy(*out);
    *out = NULL;
    return rc;
  }
  snprintf(loc, loc_size, "127.0.0.1:%d", qv_flight_server_port(*out));
  return QV_OK;
}

int64_t ft_drain(qv_flight_stream *s, int64_t rows, qv_error *err) {
  int64_t n = 0;
  for (;;) {
    qv_record_batch *b = NULL;
    if (qv_flight_stream_next(s, &b, err) != QV_OK) return -1;
    if (!b) return n;
    if (rows > 0) {
      qv_record_batch *want = NULL;
      bool same = ft_sample_batch(rows, (int)n, &want, err) == QV_OK &&
                  qv_record_batch_equals(b, want);
      qv_record_batch_unref(want);
      if (!same) {
        qv_record_batch_unref(b);
        return -2;
      }
    }
    qv_record_batch_unref(b);
    n++;
  }
}

/* ---- certificates ---------------------------------------------------------------- */

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
    free(s);
    s = NULL;
  }
  if (s) s[n] = '\0';
  fclose(f);
  return s;
}

bool ft_make_certificate(char **cert_pem, char **key_pem) {
  *cert_pem = *key_pem = NULL;
  char dir[] = "/tmp/qv-flight-cert-XXXXXX";
  if (!mkdtemp(dir)) return false;
  char cmd[1024], cert[128], key[128];
  snprintf(cert, sizeof cert, "%s/cert.pem", dir);
  snprintf(key, sizeof key, "%s/key.pem", dir);
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
           "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout %s -out %s "
           ">/dev/null 2>&1",
           key, cert);
  int rc = system(cmd);
  if (rc == 0) {
    *cert_pem = read_text(cert);
    *key_pem = read_text(key);
  }
  unlink(cert);
  unlink(key);
  rmdir(dir);
  if (!*cert_pem || !*key_pem) {
    free(*cert_pem);
    free(*key_pem);
    *cert_pem = *key_pem = NULL;
    return false;
  }
  return true;
}
