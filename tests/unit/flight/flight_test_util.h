/* Helpers for the Flight transport tests: sample batches, a scriptable DoGet
 * handler whose counters let tests observe the server side, polling with a
 * deadline, and a self-signed certificate made with openssl. */
#ifndef QV_TEST_FLIGHT_UTIL_H
#define QV_TEST_FLIGHT_UTIL_H

#include <pthread.h>
#include <stdatomic.h>

#include "quiver/flight_transport.h"

/* A batch of `rows` rows over many types: int64, float64, bool, utf8,
 * large_utf8, decimal128(15, 2), date32, timestamp(us, UTC), an all-null
 * column, and a dictionary(int32 -> utf8); about a sixth of each nullable
 * column is null. seed varies the values. */
qv_status ft_sample_batch(int64_t rows, int seed, qv_record_batch **out, qv_error *err);

/* A batch with one non-null int64 column of `bytes` / 8 rows (a large body). */
qv_status ft_big_batch(int64_t bytes, qv_record_batch **out, qv_error *err);

/* The state of ft_handlers, which serve DoGet tickets:
 *   "sample:<n>"       n sample batches of 1000 rows (seed = batch index)
 *   "big:<mib>"        one ft_big_batch of mib MiB
 *   "endless"          sample batches of 100 rows until cancelled
 *   "block"            one batch, then next() blocks until the cancel hook
 *                      runs (or 20 s pass, then fails)
 *   "slow:<n>"         n batches, 50 ms apart
 *   "error:<code>"     the handler fails with qv_status <code>, message
 *                      "test error <code>"
 *   "fail-after:<n>"   n batches, then next() fails RESOURCE_EXHAUSTED
 *   "headers"          records header x-test-value in last_header, 1 batch
 *   "empty"            a schema and no batches
 * and one action, "echo", which returns its body twice. */
typedef struct ft_state {
  atomic_int produced;   /* batches returned by next() */
  atomic_int destroyed;  /* sources destroyed */
  atomic_int cancels;    /* cancel hooks run */
  atomic_int started;    /* sources created */
  pthread_mutex_t mu;
  char last_header[256];
  char last_peer[256];
} ft_state;

void ft_state_init(ft_state *st);
void ft_state_reset(ft_state *st);
/* Handlers serving the tickets above; user_data = st (not destroyed). */
qv_flight_handlers ft_handlers(ft_state *st);

/* Waits up to timeout_ms for *v >= want; returns whether it got there. */
bool ft_wait_atomic(atomic_int *v, int want, int timeout_ms);
void ft_sleep_ms(int ms);

/* Starts a server on 127.0.0.1:0 with the ft handlers; writes its location
 * ("127.0.0.1:<port>") to loc. opts may be NULL. */
qv_status ft_start_server(ft_state *st, const qv_flight_server_options *opts,
                          qv_flight_server **out, char *loc, size_t loc_size, qv_error *err);

/* Reads every remaining batch of a stream; returns the number (or -1 with the
 * error in err). Batches are compared against ft_sample_batch(rows, i) when
 * rows > 0 (then a mismatch returns -2). */
int64_t ft_drain(qv_flight_stream *s, int64_t rows, qv_error *err);

/* Makes a self-signed certificate for CN=localhost, IP 127.0.0.1 in a new
 * temporary directory; returns malloc'ed PEM strings (NULL on failure). */
bool ft_make_certificate(char **cert_pem, char **key_pem);

#endif
