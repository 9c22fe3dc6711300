/* Error records: formatting, context prefixes and status names. */
#include "quiver/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void qv_error_init(qv_error *err) {
  if (!err) return;
  err->code = QV_OK;
  err->message[0] = '\0';
}

qv_status qv_error_set(qv_error *err, qv_status code, const char *fmt, ...) {
  if (!err) return code;
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}

void qv_error_prefix(qv_error *err, const char *fmt, ...) {
  if (!err) return;
  char prefix[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof prefix) n = sizeof prefix - 1;
  size_t old = strnlen(err->message, sizeof err->message);
  size_t add = (size_t)n + 2;
  if (add + old >= sizeof err->message) old = sizeof err->message - add - 1;
  memmove(err->message + add, err->message, old);
  memcpy(err->message, prefix, (size_t)n);
  err->message[n] = ':';
  err->message[n + 1] = ' ';
  err->message[add + old] = '\0';
}

const char *qv_status_name(qv_status code) {
  switch (code) {
    case QV_OK: return "OK";
    case QV_INVALID: return "INVALID";
    case QV_NOMEM: return "NOMEM";
    case QV_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case QV_NOT_FOUND: return "NOT_FOUND";
    case QV_NOT_IMPLEMENTED: return "NOT_IMPLEMENTED";
    case QV_IO: return "IO";
    case QV_CANCELLED: return "CANCELLED";
    case QV_INTERNAL: return "INTERNAL";
    case QV_TYPE_ERROR: return "TYPE_ERROR";
    case QV_OUT_OF_RANGE: return "OUT_OF_RANGE";
    case QV_UNAVAILABLE: return "UNAVAILABLE";
    case QV_DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case QV_ALREADY_EXISTS: return "ALREADY_EXISTS";
  }
  return "UNKNOWN";
}
