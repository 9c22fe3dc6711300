/* Private declarations of the Flight transport: FlightData framing, status
 * mapping helpers, the FlightService method table, and the client's generic
 * call used for the small unary-request methods (and by tests to reach every
 * method). */
#ifndef QV_FLIGHT_INTERNAL_H
#define QV_FLIGHT_INTERNAL_H

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>
#include <grpc/status.h>
#include <grpc/support/time.h>

#include "quiver/flight_transport.h"

/* ---- the FlightService methods ----------------------------------------------- */

typedef enum qv__flight_method {
  QV__FLIGHT_HANDSHAKE = 0,
  QV__FLIGHT_LIST_FLIGHTS,
  QV__FLIGHT_GET_FLIGHT_INFO,
  QV__FLIGHT_POLL_FLIGHT_INFO,
  QV__FLIGHT_GET_SCHEMA,
  QV__FLIGHT_DO_GET,
  QV__FLIGHT_DO_PUT,
  QV__FLIGHT_DO_EXCHANGE,
  QV__FLIGHT_DO_ACTION,
  QV__FLIGHT_LIST_ACTIONS,
  QV__FLIGHT_N_METHODS
} qv__flight_method;

/* "DoGet" and "/arrow.flight.protocol.FlightService/DoGet". */
extern const char *const qv__flight_method_names[QV__FLIGHT_N_METHODS];
extern const char *const qv__flight_method_paths[QV__FLIGHT_N_METHODS];
/* Whether the client sends a stream (Handshake, DoPut, DoExchange): the
 * server then does not wait for a first message before dispatching. */
bool qv__flight_method_client_streams(qv__flight_method m);

/* The shortest interval between keepalive pings a server accepts, and so the
 * shortest a client uses. */
#define QV__FLIGHT_MIN_PING_INTERVAL_MS 10000

/* ---- FlightData framing (flight_data.c) --------------------------------------- */

/* Field numbers of FlightData. */
#define QV__FD_DESCRIPTOR 1
#define QV__FD_DATA_HEADER 2
#define QV__FD_APP_METADATA 3
#define QV__FD_DATA_BODY 1000

/* Body parts smaller than this are copied into the message's first slice
 * rather than sent as slices of their own (a slice costs an allocation and an
 * iovec entry; copying a few KiB costs less). */
#define QV__FLIGHT_COPY_BELOW 2048

/* A contiguous piece of a received message. */
typedef struct qv__flight_chunk {
  const uint8_t *data;
  size_t size;
} qv__flight_chunk;

/* A parsed FlightData. Each field is NULL when absent or empty; body is
 * 64-byte aligned. */
typedef struct qv__flight_data {
  qv_buffer *descriptor;   /* the FlightDescriptor message, unparsed */
  qv_buffer *header;       /* data_header: the flatbuffer Message */
  qv_buffer *app_metadata;
  qv_buffer *body;         /* data_body */
} qv__flight_data;

void qv__flight_data_reset(qv__flight_data *fd);

/* Parses a FlightData message given as consecutive chunks (a message split
 * anywhere, even inside a varint), copying each field once into memory from
 * alloc (NULL: default). Unknown fields are skipped; the last occurrence of a
 * field wins, as protobuf specifies. Errors: QV_INVALID for a malformed
 * message (the message gives the byte offset), QV_NOMEM. On failure *out is
 * empty. */
qv_status qv__flight_data_parse(const qv__flight_chunk *chunks, size_t n_chunks,
                                qv_allocator *alloc, qv__flight_data *out,
                                qv_error *err) QV_MUST_USE;

/* Parses a received gRPC message (any slicing, decompressed if needed). */
qv_status qv__flight_data_read(grpc_byte_buffer *bb, qv_allocator *alloc, qv__flight_data *out,
                               qv_error *err) QV_MUST_USE;

/* Frames one IPC payload as a FlightData ready to send: a first slice with
 * the field tags and lengths, data_header and app_metadata (may be NULL/0)
 * and the small body parts, then each large body part as a slice referencing
 * its buffer (released when gRPC frees the slice) or its static memory. No
 * slice is empty. Errors: QV_RESOURCE_EXHAUSTED for a message over 2 GiB,
 * which gRPC cannot frame. The caller destroys *out. */
qv_status qv__flight_data_encode(const qv_ipc_payload *p, const uint8_t *app_metadata,
                                 int64_t app_metadata_len, grpc_byte_buffer **out,
                                 qv_error *err) QV_MUST_USE;

/* Serialised size of a varint, and writes one (returns bytes written). */
int qv__pb_varint_size(uint64_t v);
int qv__pb_varint_write(uint8_t *dst, uint64_t v);

/* ---- status helpers (status_map.c) ------------------------------------------ */

/* Fills err with a failed call's status: the mapped code and
 * "flight <where>: <method>: <GRPC_CODE>: <details>". Returns the code. */
qv_status qv__flight_error_from_call(qv_error *err, const char *where, const char *method,
                                     grpc_status_code code, const grpc_slice *details);

/* An absolute deadline timeout_ms from now (<= 0: infinite). */
gpr_timespec qv__flight_deadline(int64_t timeout_ms);

/* Whether a header key and value are acceptable to gRPC (lowercase token
 * characters; printable values unless the key ends in "-bin"). */
qv_status qv__flight_check_header(const qv_flight_header *h, qv_error *err) QV_MUST_USE;

/* ---- client internals (client.c) --------------------------------------------- */

/* The cached channel for a location and the display name of the location
 * (borrowed, valid while the client lives). Errors: QV_INVALID for a bad
 * location, QV_NOMEM. */
qv_status qv__flight_client_channel(qv_flight_client *client, const char *location,
                                    grpc_channel **channel, qv_error *err) QV_MUST_USE;
const qv_ipc_read_options *qv__flight_client_read_options(const qv_flight_client *client);

/* Receives one response message of a generic call; data is valid during the
 * call only. */
typedef qv_status (*qv__flight_message_fn)(void *ctx, const uint8_t *data, size_t len,
                                           qv_error *err);

/* Calls a method with one request message (request_len bytes; may be 0) and
 * hands each response message to on_message (may be NULL: messages are
 * dropped), then reports the call's status. For client-streaming methods the
 * request is the only message the client sends. path may be any method path,
 * also one the server does not know. */
qv_status qv__flight_client_call(qv_flight_client *client, const char *location, const char *path,
                                 const uint8_t *request, size_t request_len,
                                 const qv_flight_call_options *call_opts,
                                 qv__flight_message_fn on_message, void *ctx,
                                 qv_error *err) QV_MUST_USE;

/* Starts the batches every client call needs: send initial metadata (the
 * headers), the request and close, receive initial metadata (tag start_tag),
 * and receive status (tag status_tag). Used by the generic call and DoGet. */
typedef struct qv__client_call_state {
  grpc_metadata_array initial_md;
  grpc_metadata_array trailing_md;
  grpc_status_code status;
  grpc_slice details;
  grpc_byte_buffer *request;
  grpc_metadata *headers;
  size_t n_headers;
  bool start_started;  /* start_tag will complete: pluck it */
  bool status_started; /* status_tag will complete: pluck it */
} qv__client_call_state;

qv_status qv__flight_client_start_call(grpc_call *call, qv__client_call_state *st,
                                       const uint8_t *request, size_t request_len,
                                       const qv_flight_call_options *call_opts, void *start_tag,
                                       void *status_tag, qv_error *err) QV_MUST_USE;
/* Frees what qv__flight_client_start_call allocated (after both tags). */
void qv__flight_client_call_state_reset(qv__client_call_state *st);

#endif
