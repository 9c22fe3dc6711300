/* quiver-flight-get: reads a Flight DoGet stream with Quiver's client and
 * writes it to stdout as an Arrow IPC stream, for interoperability tests
 * against other Flight servers (tests/interop/test_flight_pyarrow.py).
 *
 *   quiver-flight-get [options] LOCATION TICKET
 *   quiver-flight-get [options] --list-actions LOCATION
 *
 * Options: --tls-root FILE (trust these PEM roots; implies TLS for
 * "host:port"), --tls-name NAME (verify the certificate against NAME),
 * --header KEY=VALUE (repeatable), --timeout-ms N, --max-receive BYTES.
 * --list-actions prints one "type<TAB>description" line per action.
 *
 * Exit status 0 on success; 1 with "quiver-flight-get: <STATUS>: <message>"
 * on stderr when the call fails; 2 for bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quiver/flight_transport.h"
#include "quiver/ipc.h"

#define MAX_HEADERS 32

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

static int usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [--tls-root FILE] [--tls-name NAME] [--header K=V]... [--timeout-ms N]\n"
          "          [--max-receive BYTES] (LOCATION TICKET | --list-actions LOCATION)\n",
          argv0);
  return 2;
}

static int failed(qv_status st, const qv_error *err) {
  fprintf(stderr, "quiver-flight-get: %s: %s\n", qv_status_name(st), err->message);
  return 1;
}

/* Copies the stream to stdout in the IPC stream format. */
static qv_status copy_stream(qv_flight_stream *s, qv_error *err) {
  qv_ipc_stream_writer *w = NULL;
  QV_RETURN_NOT_OK(qv_ipc_stream_writer_create(qv_flight_stream_schema(s), NULL,
                                               qv_ipc_sink_file(stdout), &w, err));
  qv_status st = QV_OK;
  for (;;) {
    qv_record_batch *b = NULL;
    st = qv_flight_stream_next(s, &b, err);
    if (st != QV_OK || !b) break;
    st = qv_ipc_stream_writer_write(w, b, err);
    qv_record_batch_unref(b);
    if (st != QV_OK) break;
  }
  if (st == QV_OK) st = qv_ipc_stream_writer_close(w, err);
  qv_ipc_stream_writer_destroy(w);
  if (st == QV_OK && fflush(stdout) != 0) st = qv_error_set(err, QV_IO, "cannot write stdout");
  return st;
}

int main(int argc, char **argv) {
  qv_flight_client_options opts;
  qv_flight_client_options_init(&opts);
  qv_flight_header headers[MAX_HEADERS];
  qv_flight_call_options call;
  memset(&call, 0, sizeof call);
  call.headers = headers;
  char *roots = NULL;
  bool list_actions = false;
  const char *positional[2];
  int n_pos = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--tls-root") && i + 1 < argc) {
      free(roots);
      roots = read_file(argv[++i]);
      if (!roots) {
        fprintf(stderr, "quiver-flight-get: cannot read %s\n", argv[i]);
        return 2;
      }
      opts.tls = true;
      opts.tls_root_certs_pem = roots;
    } else if (!strcmp(a, "--tls-name") && i + 1 < argc) {
      opts.tls_override_hostname = argv[++i];
    } else if (!strcmp(a, "--header") && i + 1 < argc) {
      char *kv = argv[++i], *eq = strchr(kv, '=');
      if (!eq || call.n_headers == MAX_HEADERS) return usage(argv[0]);
      *eq = '\0';
      headers[call.n_headers++] = (qv_flight_header){kv, eq + 1, strlen(eq + 1)};
    } else if (!strcmp(a, "--timeout-ms") && i + 1 < argc) {
      call.timeout_ms = atoll(argv[++i]);
    } else if (!strcmp(a, "--max-receive") && i + 1 < argc) {
      opts.max_receive_message_size = atoll(argv[++i]);
    } else if (!strcmp(a, "--list-actions")) {
      list_actions = true;
    } else if (a[0] == '-' && a[1] == '-') {
      free(roots);
      return usage(argv[0]);
    } else if (n_pos < 2) {
      positional[n_pos++] = a;
    } else {
      free(roots);
      return usage(argv[0]);
    }
  }
  if (n_pos != (list_actions ? 1 : 2)) {
    free(roots);
    return usage(argv[0]);
  }
  qv_error err;
  qv_error_init(&err);
  qv_flight_client *client = NULL;
  qv_status st = qv_flight_client_create(&opts, &client, &err);
  free(roots);
  if (st != QV_OK) return failed(st, &err);
  if (list_actions) {
    qv_flight_action_type_list list;
    qv_flight_action_type_list_init(&list);
    st = qv_flight_client_list_actions(client, positional[0], &call, &list, &err);
    for (size_t i = 0; st == QV_OK && i < list.count; i++)
      printf("%s\t%s\n", list.items[i].type, list.items[i].description);
    qv_flight_action_type_list_reset(&list);
  } else {
    qv_flight_stream *s = NULL;
    st = qv_flight_client_do_get(client, positional[0], (const uint8_t *)positional[1],
                                 (int64_t)strlen(positional[1]), &call, &s, &err);
    if (st == QV_OK) st = copy_stream(s, &err);
    qv_flight_stream_destroy(s);
  }
  qv_flight_client_destroy(client);
  return st == QV_OK ? 0 : failed(st, &err);
}
