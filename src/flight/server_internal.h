/* The Flight server's shared structures: the server, and one server_call per
 * gRPC call (pending or in progress). server.c owns the lifecycle and the
 * completion-queue threads; server_calls.c serves the methods. */
#ifndef QV_FLIGHT_SERVER_INTERNAL_H
#define QV_FLIGHT_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "flight/flight_internal.h"

typedef enum srv_tag_kind {
  SRV_TAG_NEW,      /* a requested call arrived (or the request failed) */
  SRV_TAG_SEND,     /* a SEND_MESSAGE batch completed */
  SRV_TAG_STATUS,   /* the SEND_STATUS_FROM_SERVER batch completed */
  SRV_TAG_CLOSE,    /* RECV_CLOSE_ON_SERVER completed: the call is over */
  SRV_TAG_SHUTDOWN  /* grpc_server_shutdown_and_notify completed */
} srv_tag_kind;

typedef struct server_call server_call;

typedef struct srv_tag {
  srv_tag_kind kind;
  server_call *call;
} srv_tag;

/* What handlers see of a call. */
struct qv_flight_call {
  char *peer;          /* gpr_malloc'ed by gRPC */
  const char *method;  /* a static path, or method_copy */
  char *method_copy;   /* unregistered methods */
  qv_flight_header *headers;
  size_t n_headers;
  atomic_bool cancelled;
};

struct server_call {
  qv_flight_call pub; /* first: handlers get &pub */
  qv_flight_server *srv;
  int method; /* a qv__flight_method, or -1 for an unregistered path */
  srv_tag t_new, t_send, t_status, t_close;
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array request_md;
  grpc_call_details details; /* unregistered calls only */
  grpc_byte_buffer *payload; /* the request, for unary-request methods */

  pthread_mutex_t mu;
  pthread_cond_t cv;
  int refs;                /* the pending request, each started batch, the thread */
  bool send_pending;
  bool send_ok;
  bool initial_md_sent;
  bool closed;
  int close_cancelled;     /* RECV_CLOSE_ON_SERVER's output */
  grpc_slice status_details;
  bool has_status_details;
  /* The live DoGet source's cancel hook, run once when the call is cancelled. */
  void (*cancel)(void *state);
  void *cancel_state;
};

struct qv_flight_server {
  qv_flight_handlers handlers;   /* actions deep-copied */
  qv_flight_server_options opts; /* TLS strings copied */
  grpc_server *server;
  grpc_completion_queue *cq;
  void *methods[QV__FLIGHT_N_METHODS];
  pthread_t *threads;
  int n_threads;
  int port;
  srv_tag t_shutdown;

  pthread_mutex_t mu;
  pthread_cond_t cv;       /* signalled on every change below */
  bool started;
  bool shutting_down;      /* no more calls are requested */
  bool shutdown_notified;  /* the shutdown tag arrived */
  bool finished;           /* shutdown complete: threads joined */
  int live_calls;          /* server_call objects alive */
  int active_threads;      /* call threads running */
};

/* Call references: every started batch and the call's thread hold one; the
 * last release frees the call. */
void qv__server_call_ref(server_call *c);
void qv__server_call_unref(server_call *c);

/* Starts answering a call that arrived (on a completion-queue thread): either
 * on a thread of its own (DoGet, DoAction, ListActions) or at once with a
 * status (UNIMPLEMENTED). */
void qv__server_dispatch(server_call *c);

/* Sends the final status (code from status, message err's) without waiting. */
void qv__server_send_status(server_call *c, qv_status status, const char *message);

#endif
