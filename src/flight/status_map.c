/* The Flight boundary's translations: Quiver status codes to gRPC status codes
 * and back, the error messages a failed call produces, deadlines, header
 * checks, and the table of FlightService methods.
 *
 * The mapping is the contract of DESIGN.md §2: a worker's error reaches the
 * coordinator with a precise gRPC code and the original message. Where Quiver
 * has two codes for one gRPC code (NOMEM and RESOURCE_EXHAUSTED), the way
 * back picks the more general one; gRPC codes Quiver has no name for become
 * INTERNAL, and the message keeps the gRPC code's name. */
#include <stdio.h>
#include <string.h>

#include "flight/flight_internal.h"

const char *const qv__flight_method_names[QV__FLIGHT_N_METHODS] = {
    "Handshake", "ListFlights", "GetFlightInfo", "PollFlightInfo", "GetSchema",
    "DoGet",     "DoPut",       "DoExchange",    "DoAction",       "ListActions"};

#define SERVICE "/arrow.flight.protocol.FlightService/"
const char *const qv__flight_method_paths[QV__FLIGHT_N_METHODS] = {
    SERVICE "Handshake", SERVICE "ListFlights", SERVICE "GetFlightInfo",
    SERVICE "PollFlightInfo", SERVICE "GetSchema", SERVICE "DoGet", SERVICE "DoPut",
    SERVICE "DoExchange", SERVICE "DoAction", SERVICE "ListActions"};

bool qv__flight_method_client_streams(qv__flight_method m) {
  return m == QV__FLIGHT_HANDSHAKE || m == QV__FLIGHT_DO_PUT || m == QV__FLIGHT_DO_EXCHANGE;
}

int qv_flight_status_to_grpc(qv_status status) {
  switch (status) {
    case QV_OK: return GRPC_STATUS_OK;
    case QV_INVALID:
    case QV_TYPE_ERROR: return GRPC_STATUS_INVALID_ARGUMENT;
    case QV_NOT_FOUND: return GRPC_STATUS_NOT_FOUND;
    case QV_NOMEM:
    case QV_RESOURCE_EXHAUSTED: return GRPC_STATUS_RESOURCE_EXHAUSTED;
    case QV_CANCELLED: return GRPC_STATUS_CANCELLED;
    case QV_UNAVAILABLE: return GRPC_STATUS_UNAVAILABLE;
    case QV_DEADLINE_EXCEEDED: return GRPC_STATUS_DEADLINE_EXCEEDED;
    case QV_NOT_IMPLEMENTED: return GRPC_STATUS_UNIMPLEMENTED;
    case QV_OUT_OF_RANGE: return GRPC_STATUS_OUT_OF_RANGE;
    case QV_ALREADY_EXISTS: return GRPC_STATUS_ALREADY_EXISTS;
    case QV_IO:
    case QV_INTERNAL: break;
  }
  return GRPC_STATUS_INTERNAL;
}

qv_status qv_flight_status_from_grpc(int grpc_code) {
  switch (grpc_code) {
    case GRPC_STATUS_OK: return QV_OK;
    case GRPC_STATUS_INVALID_ARGUMENT: return QV_INVALID;
    case GRPC_STATUS_NOT_FOUND: return QV_NOT_FOUND;
    case GRPC_STATUS_RESOURCE_EXHAUSTED: return QV_RESOURCE_EXHAUSTED;
    case GRPC_STATUS_CANCELLED: return QV_CANCELLED;
    case GRPC_STATUS_UNAVAILABLE: return QV_UNAVAILABLE;
    case GRPC_STATUS_DEADLINE_EXCEEDED: return QV_DEADLINE_EXCEEDED;
    case GRPC_STATUS_UNIMPLEMENTED: return QV_NOT_IMPLEMENTED;
    case GRPC_STATUS_OUT_OF_RANGE: return QV_OUT_OF_RANGE;
    case GRPC_STATUS_ALREADY_EXISTS: return QV_ALREADY_EXISTS;
    default: return QV_INTERNAL;
  }
}

const char *qv_flight_grpc_code_name(int grpc_code) {
  switch (grpc_code) {
    case GRPC_STATUS_OK: return "OK";
    case GRPC_STATUS_CANCELLED: return "CANCELLED";
    case GRPC_STATUS_UNKNOWN: return "UNKNOWN";
    case GRPC_STATUS_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case GRPC_STATUS_DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case GRPC_STATUS_NOT_FOUND: return "NOT_FOUND";
    case GRPC_STATUS_ALREADY_EXISTS: return "ALREADY_EXISTS";
    case GRPC_STATUS_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case GRPC_STATUS_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case GRPC_STATUS_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case GRPC_STATUS_ABORTED: return "ABORTED";
    case GRPC_STATUS_OUT_OF_RANGE: return "OUT_OF_RANGE";
    case GRPC_STATUS_UNIMPLEMENTED: return "UNIMPLEMENTED";
    case GRPC_STATUS_INTERNAL: return "INTERNAL";
    case GRPC_STATUS_UNAVAILABLE: return "UNAVAILABLE";
    case GRPC_STATUS_DATA_LOSS: return "DATA_LOSS";
    case GRPC_STATUS_UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN_CODE";
  }
}

qv_status qv__flight_error_from_call(qv_error *err, const char *where, const char *method,
                                     grpc_status_code code, const grpc_slice *details) {
  qv_status st = qv_flight_status_from_grpc(code);
  if (st == QV_OK) st = QV_INTERNAL; /* only called for failures */
  size_t len = details ? GRPC_SLICE_LENGTH(*details) : 0;
  if (len > QV_ERROR_MESSAGE_SIZE) len = QV_ERROR_MESSAGE_SIZE;
  return qv_error_set(err, st, "flight %s: %s: %s: %.*s", where, method,
                      qv_flight_grpc_code_name(code), (int)len,
                      len ? (const char *)GRPC_SLICE_START_PTR(*details) : "");
}

gpr_timespec qv__flight_deadline(int64_t timeout_ms) {
  if (timeout_ms <= 0) return gpr_inf_future(GPR_CLOCK_REALTIME);
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
}

qv_status qv__flight_check_header(const qv_flight_header *h, qv_error *err) {
  if (!h->key || !h->key[0])
    return qv_error_set(err, QV_INVALID, "flight: a header has an empty key");
  if (!h->value && h->value_len)
    return qv_error_set(err, QV_INVALID, "flight: header '%s' has no value", h->key);
  grpc_slice key = grpc_slice_from_static_string(h->key);
  if (!grpc_header_key_is_legal(key) || h->key[0] == ':')
    return qv_error_set(err, QV_INVALID,
                        "flight: header key '%s' is not a lowercase gRPC metadata key", h->key);
  if (!grpc_is_binary_header(key)) {
    grpc_slice value = grpc_slice_from_static_buffer(h->value ? h->value : "", h->value_len);
    if (!grpc_header_nonbin_value_is_legal(value))
      return qv_error_set(err, QV_INVALID,
                          "flight: header '%s' has a non-printable value (use a '-bin' key)",
                          h->key);
  }
  return QV_OK;
}
