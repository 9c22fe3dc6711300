/* Status codes and the caller-owned error record every fallible Quiver function
 * reports through. A function returns a qv_status (QV_OK = 0) and, when given a
 * non-NULL qv_error, writes a message saying what failed and with which input. */
#ifndef QUIVER_STATUS_H
#define QUIVER_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Codes are numbered explicitly and never reused; the Flight boundary maps them
 * to gRPC status codes. */
typedef enum qv_status {
  QV_OK = 0,
  QV_INVALID = 1,            /* bad argument or malformed input (gRPC INVALID_ARGUMENT) */
  QV_NOMEM = 2,              /* an allocation failed (gRPC RESOURCE_EXHAUSTED) */
  QV_RESOURCE_EXHAUSTED = 3, /* a memory or size limit was exceeded */
  QV_NOT_FOUND = 4,          /* a file, function or entry does not exist */
  QV_NOT_IMPLEMENTED = 5,    /* valid input that Quiver does not support yet */
  QV_IO = 6,                 /* an operating-system I/O call failed */
  QV_CANCELLED = 7,          /* the operation was cancelled by its consumer */
  QV_INTERNAL = 8,           /* a broken invariant inside Quiver: a bug */
  QV_TYPE_ERROR = 9,         /* types do not fit (plan or expression type-checking) */
  QV_OUT_OF_RANGE = 10,      /* arithmetic overflow or a value outside its domain */
  QV_UNAVAILABLE = 11,       /* a remote peer cannot be reached */
  QV_DEADLINE_EXCEEDED = 12, /* a deadline passed */
  QV_ALREADY_EXISTS = 13     /* a name is already registered */
} qv_status;

#define QV_ERROR_MESSAGE_SIZE 1024

/* Caller-owned error record: zero-initialise it (or call qv_error_init) and pass
 * its address. Functions write it only on failure. */
typedef struct qv_error {
  qv_status code;
  char message[QV_ERROR_MESSAGE_SIZE];
} qv_error;

#if defined(__GNUC__) || defined(__clang__)
#define QV_MUST_USE __attribute__((warn_unused_result))
#define QV_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define QV_MUST_USE
#define QV_PRINTF(fmt, args)
#endif

/* Resets err to QV_OK with an empty message. err may be NULL. */
void qv_error_init(qv_error *err);

/* Sets err's code and formats its message (truncated to fit); returns code so
 * that callers can write `return qv_error_set(err, QV_INVALID, "...")`.
 * err may be NULL, in which case only the code is returned. */
qv_status qv_error_set(qv_error *err, qv_status code, const char *fmt, ...) QV_PRINTF(3, 4);

/* Prepends "prefix: " to err's message, keeping its code; used to add context
 * ("ipc: field 'a': ...") while an error propagates. err may be NULL. It
 * returns nothing: propagate the status you already hold. */
void qv_error_prefix(qv_error *err, const char *fmt, ...) QV_PRINTF(2, 3);

/* A short constant name for a status ("INVALID", "NOMEM", ...). */
const char *qv_status_name(qv_status code);

/* Propagates a failing status to the caller. */
#define QV_RETURN_NOT_OK(expr)        \
  do {                                \
    qv_status qv__st_ = (expr);       \
    if (qv__st_ != QV_OK) return qv__st_; \
  } while (0)

#ifdef __cplusplus
}
#endif
#endif
