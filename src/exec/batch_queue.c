/* Bounded batch queues between producer threads and one consumer, and the
 * thread helpers the exchanges use. Blocking is on condition variables, never
 * spinning; cancellation by the consumer wakes every blocked producer. */
#include <stdlib.h>
#include <string.h>

#include "exec/exec_internal.h"

struct qv_batch_queue {
  pthread_mutex_t lock;
  pthread_cond_t not_empty;
  pthread_cond_t not_full;
  qv_record_batch **ring;
  int64_t capacity;
  int64_t head;
  int64_t count;
  int32_t producers_left;
  bool cancelled;
  qv_status error_code;
  qv_error error;
};

qv_status qv__batch_queue_create(int64_t capacity, int32_t n_producers, qv_batch_queue **out, qv_error *err) {
  *out = NULL;
  if (capacity < 1 || n_producers < 0) return qv_error_set(err, QV_INVALID, "queue: bad capacity or producers");
  qv_batch_queue *q = calloc(1, sizeof *q);
  if (q) q->ring = calloc((size_t)capacity, sizeof *q->ring);
  if (!q || !q->ring) {
    free(q);
    return qv_error_set(err, QV_NOMEM, "queue: out of memory");
  }
  pthread_mutex_init(&q->lock, NULL);
  pthread_cond_init(&q->not_empty, NULL);
  pthread_cond_init(&q->not_full, NULL);
  q->capacity = capacity;
  q->producers_left = n_producers;
  *out = q;
  return QV_OK;
}

qv_status qv__batch_queue_push(qv_batch_queue *q, qv_record_batch *b, qv_error *err) {
  pthread_mutex_lock(&q->lock);
  while (q->count == q->capacity && !q->cancelled && q->error_code == QV_OK) pthread_cond_wait(&q->not_full, &q->lock);
  if (q->cancelled || q->error_code != QV_OK) {
    pthread_mutex_unlock(&q->lock);
    qv_record_batch_unref(b);
    return qv_error_set(err, QV_CANCELLED, "queue: consumer is gone");
  }
  q->ring[(q->head + q->count) % q->capacity] = qv_record_batch_ref(b);
  q->count++;
  pthread_cond_signal(&q->not_empty);
  pthread_mutex_unlock(&q->lock);
  qv_record_batch_unref(b);
  return QV_OK;
}

void qv__batch_queue_producer_done(qv_batch_queue *q, qv_status status, const qv_error *err) {
  pthread_mutex_lock(&q->lock);
  q->producers_left--;
  /* A producer stopped by cancellation is not an error of the query. */
  if (status != QV_OK && status != QV_CANCELLED && q->error_code == QV_OK) {
    q->error_code = status;
    if (err) q->error = *err;
    else qv_error_set(&q->error, status, "producer failed");
    pthread_cond_broadcast(&q->not_full); /* stop the other producers early */
  }
  pthread_cond_broadcast(&q->not_empty);
  pthread_mutex_unlock(&q->lock);
}

qv_status qv__batch_queue_pop(qv_batch_queue *q, qv_record_batch **out, qv_error *err) {
  *out = NULL;
  pthread_mutex_lock(&q->lock);
  while (q->count == 0 && q->producers_left > 0 && q->error_code == QV_OK && !q->cancelled)
    pthread_cond_wait(&q->not_empty, &q->lock);
  qv_status st = QV_OK;
  if (q->error_code != QV_OK) {
    st = q->error_code;
    if (err) *err = q->error;
  } else if (q->count > 0) {
    *out = q->ring[q->head];
    q->ring[q->head] = NULL;
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    pthread_cond_signal(&q->not_full);
  } else if (q->cancelled) {
    st = qv_error_set(err, QV_CANCELLED, "queue: cancelled");
  }
  pthread_mutex_unlock(&q->lock);
  return st;
}

void qv__batch_queue_cancel(qv_batch_queue *q) {
  pthread_mutex_lock(&q->lock);
  q->cancelled = true;
  while (q->count > 0) {
    qv_record_batch_unref(q->ring[q->head]);
    q->ring[q->head] = NULL;
    q->head = (q->head + 1) % q->capacity;
    q->count--;
  }
  pthread_cond_broadcast(&q->not_full);
  pthread_cond_broadcast(&q->not_empty);
  pthread_mutex_unlock(&q->lock);
}

void qv__batch_queue_destroy(qv_batch_queue *q) {
  if (!q) return;
  for (int64_t i = 0; i < q->count; i++) qv_record_batch_unref(q->ring[(q->head + i) % q->capacity]);
  pthread_cond_destroy(&q->not_empty);
  pthread_cond_destroy(&q->not_full);
  pthread_mutex_destroy(&q->lock);
  free(q->ring);
  free(q);
}

qv_status qv__thread_start(qv_thread *t, void *(*fn)(void *), void *arg, qv_error *err) {
  int rc = pthread_create(&t->id, NULL, fn, arg);
  t->started = rc == 0;
  return rc == 0 ? QV_OK : qv_error_set(err, QV_RESOURCE_EXHAUSTED, "cannot start a thread: %s", strerror(rc));
}

void qv__thread_join(qv_thread *t) {
  if (t->started) pthread_join(t->id, NULL);
  t->started = false;
}
