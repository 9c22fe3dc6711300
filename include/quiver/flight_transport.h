/* Arrow Flight transport: a Flight server and a Flight client over gRPC.
 *
 * This is the wire layer under Quiver's Flight endpoint (quiver/flight.h): it
 * speaks the unmodified Arrow Flight protocol (arrow.flight.protocol.
 * FlightService), so any Flight client can DoGet from a Quiver server and
 * Quiver's client can DoGet from any Flight server.
 *
 *  - Server: every FlightService method is routed. DoGet, ListActions and
 *    DoAction go to the handler table given at creation; every other method
 *    (and any unknown method) answers UNIMPLEMENTED with a message. A DoGet
 *    stream is the IPC Schema message, then one FlightData per dictionary
 *    batch and record batch, then gRPC status OK (no end-of-stream marker).
 *    Record batch bodies are sent without copying: each body buffer becomes a
 *    gRPC slice holding a reference on its qv_buffer.
 *  - Client: channels are cached per location; a DoGet returns a stream of
 *    record batches, also exportable as an ArrowArrayStream. Each received
 *    message is copied once, into 64-byte aligned memory that the decoded
 *    arrays then reference.
 *
 * Message sizes are unlimited by default on both sides (gRPC's own receive
 * default is 4 MiB); a batch is never split to fit a limit.
 *
 * Errors cross the wire as gRPC status codes (see qv_flight_status_to_grpc)
 * with the original message; the client adds the location and method it
 * called ("flight 10.0.0.7:50051: DoGet: NOT_FOUND: ...").
 *
 * Threads: a server runs a few completion-queue threads plus one thread per
 * DoGet or DoAction call in progress, so every stream progresses at once and
 * a slow handler only slows its own stream. A client is thread-safe; one
 * qv_flight_stream is used by one thread at a time (except _cancel). */
#ifndef QUIVER_FLIGHT_TRANSPORT_H
#define QUIVER_FLIGHT_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quiver/array.h"
#include "quiver/c_data.h"
#include "quiver/ipc.h"
#include "quiver/memory.h"
#include "quiver/status.h"
#include "quiver/type.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes ----------------------------------------------------------- */

/* The gRPC status code (a grpc_status_code value) a server answers for a
 * status: INVALID and TYPE_ERROR -> INVALID_ARGUMENT, NOT_FOUND -> NOT_FOUND,
 * NOMEM and RESOURCE_EXHAUSTED -> RESOURCE_EXHAUSTED, CANCELLED -> CANCELLED,
 * UNAVAILABLE -> UNAVAILABLE, DEADLINE_EXCEEDED -> DEADLINE_EXCEEDED,
 * NOT_IMPLEMENTED -> UNIMPLEMENTED, OUT_OF_RANGE -> OUT_OF_RANGE,
 * ALREADY_EXISTS -> ALREADY_EXISTS, OK -> OK, anything else -> INTERNAL. */
int qv_flight_status_to_grpc(qv_status status);

/* The status a client reports for a gRPC status code: the inverse of the
 * above (INVALID_ARGUMENT -> INVALID, RESOURCE_EXHAUSTED -> RESOURCE_EXHAUSTED,
 * UNIMPLEMENTED -> NOT_IMPLEMENTED ...); codes without a counterpart (UNKNOWN,
 * PERMISSION_DENIED, ABORTED, DATA_LOSS ...) give QV_INTERNAL, and the
 * message keeps the gRPC code's name. */
qv_status qv_flight_status_from_grpc(int grpc_code);

/* The name of a gRPC status code ("NOT_FOUND"), "UNKNOWN_CODE" if none. */
const char *qv_flight_grpc_code_name(int grpc_code);

/* ---- headers (gRPC metadata) -------------------------------------------- */

/* One request header. Keys are lowercase ASCII ("x-quiver-config-batch_size");
 * keys ending in "-bin" carry binary values, others printable ASCII. */
typedef struct qv_flight_header {
  const char *key;   /* NUL-terminated */
  const char *value; /* value_len bytes; NUL-terminated where Quiver made it */
  size_t value_len;
} qv_flight_header;

/* ---- action types ------------------------------------------------------------ */

typedef struct qv_flight_action_type {
  const char *type;
  const char *description;
} qv_flight_action_type;

/* A list of action types owned by the list (strings included): _init, fill
 * (by qv_flight_client_list_actions), read, _reset. */
typedef struct qv_flight_action_type_list {
  size_t count;
  qv_flight_action_type *items;
} qv_flight_action_type_list;

void qv_flight_action_type_list_init(qv_flight_action_type_list *list);
void qv_flight_action_type_list_reset(qv_flight_action_type_list *list);

/* A list of DoAction results (each a Result.body): _init, pass to the server
 * handler (which appends) or to qv_flight_client_do_action (which fills),
 * read, _reset (drops the references). */
typedef struct qv_flight_result_list {
  size_t count;
  size_t capacity;
  qv_buffer **items; /* one reference each */
} qv_flight_result_list;

void qv_flight_result_list_init(qv_flight_result_list *list);
void qv_flight_result_list_reset(qv_flight_result_list *list);
/* Appends a copy of len bytes of data. Errors: QV_NOMEM, QV_INVALID (len < 0). */
qv_status qv_flight_result_list_append(qv_flight_result_list *list, const void *data, int64_t len,
                                       qv_error *err) QV_MUST_USE;

/* ---- server ------------------------------------------------------------------ */

typedef struct qv_flight_server qv_flight_server;

/* The call a handler serves. Borrowed: valid during the handler call, and for
 * DoGet until the stream's iterator is destroyed. */
typedef struct qv_flight_call qv_flight_call;

/* The peer's address as gRPC reports it ("ipv4:127.0.0.1:53412"). */
const char *qv_flight_call_peer(const qv_flight_call *call);
/* The method's full path ("/arrow.flight.protocol.FlightService/DoGet"). */
const char *qv_flight_call_method(const qv_flight_call *call);
/* The request headers (gRPC metadata), in arrival order; values are
 * NUL-terminated copies. */
size_t qv_flight_call_num_headers(const qv_flight_call *call);
qv_flight_header qv_flight_call_header(const qv_flight_call *call, size_t i);
/* The value of the first header named key (case-sensitive: gRPC keys are
 * lowercase), NUL-terminated, or NULL. *value_len (may be NULL) gets its
 * length. */
const char *qv_flight_call_header_find(const qv_flight_call *call, const char *key,
                                       size_t *value_len);
/* Whether the client cancelled the call (or its deadline passed, or the
 * server is being shut down). Thread-safe. */
bool qv_flight_call_is_cancelled(const qv_flight_call *call);

/* What a DoGet handler returns: the stream's schema and a pull-based source of
 * its record batches. */
typedef struct qv_flight_batch_source {
  /* One reference, handed to the server. */
  qv_schema *schema;
  /* Taken over by the server: next() is called from the call's own thread
   * until it sets NULL (end) or fails (the failure's status and message are
   * sent to the client); destroy(state) runs once, on that thread, when the
   * stream ends, fails or is cancelled. Batches must match the schema. */
  qv_batch_iterator iter;
  /* Optional. Called once, from a completion-queue thread of the server, when
   * the client cancels the call (or its deadline passes, or shutdown's grace
   * period ends) while the stream is live: it must make a next() in progress
   * return soon (typically by cancelling the task producing the batches).
   * It may run concurrently with next() but never with or after destroy.
   * Must not block, nor call back into the server. */
  void (*cancel)(void *state);
} qv_flight_batch_source;

/* The methods a server implements. Handlers run on a thread of the call's
 * own, so they may block (bounded by the client's deadline and cancellation).
 * A handler that fails returns its status and message, which the client
 * receives as a gRPC status (qv_flight_status_to_grpc) with that message. */
typedef struct qv_flight_handlers {
  void *user_data;
  /* DoGet: the ticket's bytes (valid during the call). On success fills *out.
   * NULL: DoGet answers UNIMPLEMENTED. */
  qv_status (*do_get)(void *user_data, const qv_flight_call *call, const uint8_t *ticket,
                      int64_t ticket_len, qv_flight_batch_source *out, qv_error *err);
  /* The actions DoAction accepts, which ListActions reports (copied at
   * qv_flight_server_create). Must be empty when do_action is NULL. */
  const qv_flight_action_type *actions;
  size_t n_actions;
  /* DoAction for a type listed in actions (others answer UNIMPLEMENTED):
   * appends its results to *results, which the server sends in order. */
  qv_status (*do_action)(void *user_data, const qv_flight_call *call, const char *type,
                         const uint8_t *body, int64_t body_len, qv_flight_result_list *results,
                         qv_error *err);
  /* Called with user_data by qv_flight_server_destroy (or by a failing
   * qv_flight_server_create). May be NULL. */
  void (*destroy)(void *user_data);
} qv_flight_handlers;

typedef struct qv_flight_server_options {
  /* Largest message the server sends / accepts, in bytes; -1 = unlimited
   * (the default, DESIGN §2). Set finite limits for untrusted networks. */
  int64_t max_send_message_size;
  int64_t max_receive_message_size;
  /* TLS: the server's certificate chain and private key, PEM, both or neither
   * (NULL: plaintext). Copied at create. */
  const char *tls_cert_chain_pem;
  const char *tls_private_key_pem;
  /* HTTP/2 keepalive pings to idle clients every keepalive_time_ms (0: gRPC's
   * default, 2 hours), dropping a connection whose ping is not answered in
   * keepalive_timeout_ms (0: gRPC's default, 20 s). */
  int64_t keepalive_time_ms;
  int64_t keepalive_timeout_ms;
  /* Threads polling the completion queue (0: 2, or 4 with 8+ cores). They
   * only dispatch events; handlers run on threads of their own. */
  int32_t num_threads;
  /* How DoGet streams are encoded (compression; its allocator). */
  qv_ipc_write_options ipc;
} qv_flight_server_options;

/* Sets the defaults described above. */
void qv_flight_server_options_init(qv_flight_server_options *opts);

/* Creates a server that is not listening yet. handlers is copied (the action
 * list too); the server takes over handlers->user_data (destroy runs at
 * qv_flight_server_destroy, or before return on failure). opts may be NULL.
 * Errors: QV_INVALID (actions without do_action, a TLS key without a chain or
 * the reverse, a negative size other than -1), QV_NOMEM. */
qv_status qv_flight_server_create(const qv_flight_handlers *handlers,
                                  const qv_flight_server_options *opts, qv_flight_server **out,
                                  qv_error *err) QV_MUST_USE;

/* Listens on address ("127.0.0.1:0", "[::1]:8815", "0.0.0.0:50051"; port 0
 * picks a free port, see qv_flight_server_port) and starts serving. A server
 * starts once (a failed start may be retried). Errors: QV_IO when the address cannot be bound (in use, invalid),
 * QV_INVALID when the server was already started, QV_RESOURCE_EXHAUSTED when
 * a thread cannot be started. */
qv_status qv_flight_server_start(qv_flight_server *srv, const char *address,
                                 qv_error *err) QV_MUST_USE;

/* The port the server listens on (the chosen one for port 0); 0 before start. */
int qv_flight_server_port(const qv_flight_server *srv);

/* Blocks until qv_flight_server_shutdown (from another thread) has finished.
 * Returns at once when the server was never started. */
void qv_flight_server_wait(qv_flight_server *srv);

/* qv_flight_server_start, then qv_flight_server_wait: serves until another
 * thread (a signal handler's helper, say) shuts the server down. */
qv_status qv_flight_server_serve(qv_flight_server *srv, const char *address,
                                 qv_error *err) QV_MUST_USE;

/* Stops the server: no new calls are accepted; calls in progress may finish
 * for grace_seconds, after which they are cancelled (their sources' cancel
 * hooks run) and the function waits for their handlers to return (a handler
 * that ignores cancellation delays it). Returns when every call has ended.
 * Idempotent; thread-safe; not to be called from a handler. */
void qv_flight_server_shutdown(qv_flight_server *srv, double grace_seconds);

/* Shuts down (with no grace) if needed, then frees the server and runs the
 * handlers' destroy. srv may be NULL. */
void qv_flight_server_destroy(qv_flight_server *srv);

/* ---- client ---------------------------------------------------------------- */

typedef struct qv_flight_client qv_flight_client;

typedef struct qv_flight_client_options {
  /* Whether locations without a scheme ("host:port") use TLS (default false).
   * "grpc+tls://" always does; "grpc://" and "grpc+tcp://" never do. */
  bool tls;
  /* PEM roots to verify servers with (NULL: the system's). Copied. */
  const char *tls_root_certs_pem;
  /* Host name to verify the server's certificate against, instead of the
   * location's host (tests; servers reached through an address). Copied. */
  const char *tls_override_hostname;
  /* -1 = unlimited (the defaults). */
  int64_t max_receive_message_size;
  int64_t max_send_message_size;
  /* As in qv_flight_server_options; 0 = gRPC's defaults (no client pings).
   * Intervals under 10 s are raised to 10 s, the most a Quiver server
   * accepts (gRPC servers answer more frequent pings with GOAWAY). */
  int64_t keepalive_time_ms;
  int64_t keepalive_timeout_ms;
  /* How received streams are decoded: allocator (bounds memory), validation
   * (on by default: the bytes come from the network), decompression cap. */
  qv_ipc_read_options ipc;
} qv_flight_client_options;

void qv_flight_client_options_init(qv_flight_client_options *opts);

/* Creates a client (a cache of channels, one per location). opts may be NULL
 * (defaults); it is copied. Destroy with qv_flight_client_destroy after every
 * stream made from it. Errors: QV_NOMEM. */
qv_status qv_flight_client_create(const qv_flight_client_options *opts, qv_flight_client **out,
                                  qv_error *err) QV_MUST_USE;
void qv_flight_client_destroy(qv_flight_client *client);

/* Per-call options. Zero-initialise, or pass NULL for none. */
typedef struct qv_flight_call_options {
  const qv_flight_header *headers; /* sent as gRPC metadata; n_headers entries */
  size_t n_headers;
  int64_t timeout_ms; /* deadline from now; <= 0: none */
} qv_flight_call_options;

/* A DoGet in progress. */
typedef struct qv_flight_stream qv_flight_stream;

/* Starts DoGet(ticket) at location ("host:port", "grpc://host:port",
 * "grpc+tls://host:port", "grpc+unix:///path") and reads the stream up to its
 * Schema message, so a failing server is reported here. The ticket is copied.
 * Errors: QV_INVALID (bad location or header, malformed stream), the server's
 * status mapped by qv_flight_status_from_grpc, QV_UNAVAILABLE when the server
 * cannot be reached, QV_DEADLINE_EXCEEDED; messages name the location. */
qv_status qv_flight_client_do_get(qv_flight_client *client, const char *location,
                                  const uint8_t *ticket, int64_t ticket_len,
                                  const qv_flight_call_options *call_opts, qv_flight_stream **out,
                                  qv_error *err) QV_MUST_USE;

/* The stream's schema (dictionary fields carry their ids). Borrowed: valid
 * while the stream lives. */
qv_schema *qv_flight_stream_schema(const qv_flight_stream *s);

/* Sets *out to the next record batch (the caller owns a reference; its
 * buffers live on after the stream is destroyed) or to NULL once the server
 * ended the stream with OK. Errors: the server's status, QV_CANCELLED after
 * qv_flight_stream_cancel, QV_INVALID for a malformed message; every call
 * after an error fails the same way. */
qv_status qv_flight_stream_next(qv_flight_stream *s, qv_record_batch **out,
                                qv_error *err) QV_MUST_USE;

/* Cancels the call: the server sees the cancellation and stops producing; a
 * next() in progress returns QV_CANCELLED. Thread-safe; idempotent. */
void qv_flight_stream_cancel(qv_flight_stream *s);

/* Cancels the call if it has not ended, and frees the stream. s may be NULL. */
void qv_flight_stream_destroy(qv_flight_stream *s);

/* Moves the stream into an ArrowArrayStream (whose release destroys it). On
 * success the stream belongs to *out; on failure it is destroyed. */
qv_status qv_flight_stream_export(qv_flight_stream *s, struct ArrowArrayStream *out,
                                  qv_error *err) QV_MUST_USE;

/* ListActions at location: fills *out (initialised by the caller, reset on
 * failure). Errors as for do_get. */
qv_status qv_flight_client_list_actions(qv_flight_client *client, const char *location,
                                        const qv_flight_call_options *call_opts,
                                        qv_flight_action_type_list *out,
                                        qv_error *err) QV_MUST_USE;

/* DoAction(type, body) at location: appends the results to *out (initialised
 * by the caller; unchanged on failure). Errors as for do_get. */
qv_status qv_flight_client_do_action(qv_flight_client *client, const char *location,
                                     const char *type, const uint8_t *body, int64_t body_len,
                                     const qv_flight_call_options *call_opts,
                                     qv_flight_result_list *out, qv_error *err) QV_MUST_USE;

#ifdef __cplusplus
}
#endif
#endif
