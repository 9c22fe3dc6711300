/* The build side of a join: reading the left input into one batch charged to
 * the query's memory pool, once per execution, and sharing it between every
 * probe partition.
 *
 * A CollectLeft join builds once for all its probe partitions. The first
 * partition to need the build side reads every left partition concurrently
 * (one producer thread each, through a bounded queue), concatenates the rows
 * into one batch allocated from the pool and lets the operator prepare its
 * structures (the hash table); the other partitions wait on a condition
 * variable, never spinning. The build, with the shared "visited" flags of its
 * rows, lives in a slot of the task context keyed by the plan node. It is a
 * generation: once every probe partition has finished, the slot forgets it
 * and its memory goes with the last stream holding it, so a query with many
 * joins does not keep every build side until it ends; a later execution of
 * the same node in the same context starts a new generation.
 *
 * Memory: the rows read are counted against memory_limit while they arrive,
 * so that a build side far over the limit fails early with
 * QV_RESOURCE_EXHAUSTED rather than exhausting the process. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/join_internal.h"
#include "exec/producers.h"

/* Batches buffered per left partition while reading them concurrently. */
#define QUEUE_BATCHES_PER_INPUT 2

struct qv_join_build_slot {
  qv_shared_state base;
  pthread_mutex_t lock;
  qv_join_build *current; /* one reference, until every probe partition finished */
};

static void build_free(qv_join_build *b) {
  if (b->data && b->data_destroy) b->data_destroy(b->data);
  if (b->visited) qv_free(b->alloc, (void *)b->visited, b->n_rows);
  if (b->maybe) qv_free(b->alloc, (void *)b->maybe, b->n_rows);
  qv_record_batch_unref(b->batch);
  pthread_mutex_destroy(&b->lock);
  pthread_cond_destroy(&b->cond);
  free(b);
}

void qv__join_build_release(qv_join_build *b) {
  if (b && atomic_fetch_sub(&b->refs, 1) == 1) build_free(b);
}

static qv_join_build *build_new(qv_allocator *pool, int32_t n_probes, int refs) {
  qv_join_build *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->alloc = pool;
  b->n_probes = n_probes;
  atomic_init(&b->refs, refs);
  atomic_init(&b->probes_finished, 0);
  atomic_init(&b->probe_nonempty, false);
  atomic_init(&b->probe_has_null_key, false);
  pthread_mutex_init(&b->lock, NULL);
  pthread_cond_init(&b->cond, NULL);
  return b;
}

static void slot_destroy(qv_shared_state *s) {
  qv_join_build_slot *slot = (qv_join_build_slot *)s;
  qv__join_build_release(slot->current);
  pthread_mutex_destroy(&slot->lock);
  free(slot);
}

static qv_status slot_create(void *arg, qv_shared_state **out, qv_error *err) {
  qv_join_build_slot *slot = calloc(1, sizeof *slot);
  if (!slot) return qv_error_set(err, QV_NOMEM, "join: out of memory");
  slot->base.destroy = slot_destroy;
  pthread_mutex_init(&slot->lock, NULL);
  *out = &slot->base;
  return QV_OK;
}

qv_status qv__join_build_acquire(qv_task_context *ctx, const void *key, int32_t n_probes, qv_join_build **out,
                                 qv_error *err) {
  *out = NULL;
  qv_allocator *pool = qv_task_context_allocator(ctx);
  if (!key) {
    *out = build_new(pool, 1, 1);
    return *out ? QV_OK : qv_error_set(err, QV_NOMEM, "join: out of memory");
  }
  qv_shared_state *state = NULL;
  QV_RETURN_NOT_OK(qv__task_context_shared(ctx, key, slot_create, NULL, &state, err));
  qv_join_build_slot *slot = (qv_join_build_slot *)state;
  pthread_mutex_lock(&slot->lock);
  if (!slot->current) {
    slot->current = build_new(pool, n_probes, 1);
    if (slot->current) slot->current->slot = slot;
  }
  qv_join_build *b = slot->current;
  if (b) atomic_fetch_add(&b->refs, 1);
  pthread_mutex_unlock(&slot->lock);
  if (!b) return qv_error_set(err, QV_NOMEM, "join: out of memory");
  *out = b;
  return QV_OK;
}

bool qv__join_build_probe_finished(qv_join_build *b) {
  /* acq_rel: the last partition sees every mark the others made. */
  int done = atomic_fetch_add_explicit(&b->probes_finished, 1, memory_order_acq_rel) + 1;
  if (done != b->n_probes) return false;
  qv_join_build_slot *slot = b->slot;
  if (slot) {
    bool drop = false;
    pthread_mutex_lock(&slot->lock);
    if (slot->current == b) {
      slot->current = NULL;
      drop = true;
    }
    pthread_mutex_unlock(&slot->lock);
    if (drop) qv__join_build_release(b); /* the slot's; the caller keeps its own */
  }
  return true;
}

qv_status qv__join_memory_error(qv_allocator *pool, qv_status st, const char *op, const char *what, qv_error *err) {
  int64_t limit = qv_allocator_limit(pool);
  if ((st != QV_NOMEM && st != QV_RESOURCE_EXHAUSTED) || limit <= 0) return st;
  return qv_error_set(err, QV_RESOURCE_EXHAUSTED,
                      "%s: memory limit of %lld bytes exceeded while building %s (%lld bytes in use)", op,
                      (long long)limit, what, (long long)qv_allocator_bytes_allocated(pool));
}

/* ---- reading the build rows ------------------------------------------------- */

/* Bytes an array's values occupy (not the whole buffers it may be a slice
 * of, so that slices of one big decoded column are not counted many times).
 * Nested types count their buffers whole: an overestimate. */
static int64_t array_bytes(const qv_array *a) {
  int64_t n = a->length, bytes = a->buffers[0] ? (n + 7) / 8 : 0;
  qv_type_id id = a->type->id;
  int32_t width = qv_type_bit_width(a->type);
  if (id == QV_DICTIONARY) {
    width = qv_type_bit_width(a->type->dict_index);
    return bytes + n * (width / 8) + (a->dictionary ? array_bytes(a->dictionary) : 0);
  }
  if (qv_type_is_binary_like(id) && a->buffers[1]) {
    const uint8_t *off = a->buffers[1]->data;
    int64_t first, last;
    if (id == QV_BINARY || id == QV_UTF8) {
      first = ((const int32_t *)off)[a->offset];
      last = ((const int32_t *)off)[a->offset + n];
      return bytes + (n + 1) * 4 + (last - first);
    }
    first = ((const int64_t *)off)[a->offset];
    last = ((const int64_t *)off)[a->offset + n];
    return bytes + (n + 1) * 8 + (last - first);
  }
  if (width > 0 && !qv_type_is_nested(id) && a->n_children == 0) return bytes + (n * width + 7) / 8;
  bytes = 0;
  for (int32_t i = 0; i < a->n_buffers; i++)
    if (a->buffers[i]) bytes += a->buffers[i]->size;
  for (int32_t i = 0; i < a->n_children; i++) bytes += array_bytes(a->children[i]);
  return bytes;
}

static int64_t batch_bytes(const qv_record_batch *b) {
  int64_t bytes = 0;
  for (int32_t i = 0; i < b->n_columns; i++) bytes += array_bytes(b->columns[i]);
  return bytes;
}

/* Whether every buffer of a is memory of pool (already charged to it). */
static bool buffer_in_pool(const qv_buffer *buf, const qv_allocator *pool) {
  while (buf->parent) buf = buf->parent;
  return buf->alloc == pool;
}

static bool array_in_pool(const qv_array *a, const qv_allocator *pool) {
  for (int32_t i = 0; i < a->n_buffers; i++)
    if (a->buffers[i] && !buffer_in_pool(a->buffers[i], pool)) return false;
  for (int32_t i = 0; i < a->n_children; i++)
    if (!array_in_pool(a->children[i], pool)) return false;
  return !a->dictionary || array_in_pool(a->dictionary, pool);
}

typedef struct batch_list {
  qv_record_batch **v;
  int64_t n, cap;
  int64_t rows, bytes;
} batch_list;

static void batch_list_reset(batch_list *l) {
  for (int64_t i = 0; i < l->n; i++) qv_record_batch_unref(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* Keeps b (taking over the reference), checking the memory limit. */
static qv_status batch_list_add(batch_list *l, qv_record_batch *b, qv_allocator *pool, const char *op, qv_error *err) {
  if (b->num_rows == 0) {
    qv_record_batch_unref(b);
    return QV_OK;
  }
  if (l->n == l->cap) {
    int64_t cap = l->cap ? l->cap * 2 : 16;
    qv_record_batch **v = realloc(l->v, (size_t)cap * sizeof *v);
    if (!v) {
      qv_record_batch_unref(b);
      return qv_error_set(err, QV_NOMEM, "%s: out of memory", op);
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = b;
  l->rows += b->num_rows;
  l->bytes += batch_bytes(b);
  int64_t limit = qv_allocator_limit(pool);
  if (limit > 0 && qv_allocator_bytes_allocated(pool) + l->bytes > limit)
    return qv__join_memory_error(pool, QV_RESOURCE_EXHAUSTED, op, "the build side", err);
  return QV_OK;
}

static qv_status read_partition(qv_exec_plan *input, int32_t partition, qv_task_context *ctx, const char *op,
                                batch_list *l, qv_error *err) {
  qv_batch_stream *s = NULL;
  qv_status st = qv_exec_plan_execute(input, partition, ctx, &s, err);
  while (st == QV_OK) {
    qv_record_batch *b = NULL;
    st = qv_batch_stream_next(s, &b, err);
    if (st != QV_OK || !b) break;
    st = batch_list_add(l, b, qv_task_context_allocator(ctx), op, err);
  }
  qv_batch_stream_destroy(s);
  return st;
}

static qv_status read_all_partitions(qv_exec_plan *input, qv_task_context *ctx, const char *op, batch_list *l,
                                     qv_error *err) {
  qv_producer_set *set = NULL;
  QV_RETURN_NOT_OK(qv__producers_start(input, ctx, (int64_t)input->n_partitions * QUEUE_BATCHES_PER_INPUT, &set,
                                       err));
  qv_status st = QV_OK;
  for (;;) {
    qv_record_batch *b = NULL;
    st = qv__batch_queue_pop(qv__producers_queue(set), &b, err);
    if (st != QV_OK || !b) break;
    st = batch_list_add(l, b, qv_task_context_allocator(ctx), op, err);
    if (st != QV_OK) break;
  }
  qv__producers_stop(set);
  return st;
}

static bool batch_in_pool(const qv_record_batch *b, const qv_allocator *pool) {
  for (int32_t i = 0; i < b->n_columns; i++)
    if (!array_in_pool(b->columns[i], pool)) return false;
  return true;
}

/* The build rows in one batch whose memory is charged to the pool: one batch
 * already in the pool is kept as it is, anything else is copied into it. */
static qv_status collect(qv_join_build *b, qv_exec_plan *input, int32_t partition, qv_task_context *ctx,
                         const char *op, qv_error *err) {
  qv_allocator *pool = b->alloc;
  batch_list l = {0};
  qv_status st;
  if (partition >= 0) st = read_partition(input, partition, ctx, op, &l, err);
  else if (input->n_partitions == 1) st = read_partition(input, 0, ctx, op, &l, err);
  else st = read_all_partitions(input, ctx, op, &l, err);
  if (st == QV_OK && l.rows >= ((int64_t)1 << 30))
    st = qv_error_set(err, QV_NOT_IMPLEMENTED, "%s: a build side of %lld rows (at most 2^30 are supported)", op,
                      (long long)l.rows);
  if (st == QV_OK) {
    if (l.n == 1 && batch_in_pool(l.v[0], pool)) {
      b->batch = qv_record_batch_ref(l.v[0]);
    } else if (l.n == 1) {
      /* A copy (concatenating one batch would return it as it is). */
      uint32_t *identity = malloc((size_t)l.rows * sizeof *identity);
      if (!identity) st = qv_error_set(err, QV_NOMEM, "%s: out of memory", op);
      for (int64_t i = 0; identity && i < l.rows; i++) identity[i] = (uint32_t)i;
      if (st == QV_OK) st = qv_record_batch_take(pool, l.v[0], identity, l.rows, &b->batch, err);
      free(identity);
    } else {
      st = qv_record_batch_concat(pool, input->schema, l.v, (int32_t)l.n, &b->batch, err);
    }
    if (st != QV_OK) st = qv__join_memory_error(pool, st, op, "the build side", err);
  }
  batch_list_reset(&l);
  if (st == QV_OK) b->n_rows = b->batch->num_rows;
  return st;
}

qv_status qv__join_build_wait(qv_join_build *b, qv_exec_plan *input, int32_t partition, qv_task_context *ctx,
                              const char *op, unsigned flags, qv_join_prepare_fn prepare, void *arg,
                              qv_error *err) {
  pthread_mutex_lock(&b->lock);
  while (b->state == 1) pthread_cond_wait(&b->cond, &b->lock);
  if (b->state >= 2) {
    qv_status st = b->status;
    if (st != QV_OK && err) *err = b->error;
    pthread_mutex_unlock(&b->lock);
    return st;
  }
  b->state = 1;
  pthread_mutex_unlock(&b->lock);

  qv_error local;
  qv_error_init(&local);
  qv_status st = collect(b, input, partition, ctx, op, &local);
  /* Cancelled producers end quietly: their rows are not all there. */
  if (st == QV_OK && qv_task_context_is_cancelled(ctx)) st = qv_error_set(&local, QV_CANCELLED, "query cancelled");
  if (st == QV_OK && (flags & QV_JOIN_BUILD_VISITED)) {
    b->visited = qv_alloc_zeroed(b->alloc, b->n_rows);
    if (!b->visited) st = qv__join_memory_error(b->alloc, QV_NOMEM, op, "the build side", &local);
    if (st == QV_NOMEM) qv_error_set(&local, QV_NOMEM, "%s: out of memory", op);
  }
  if (st == QV_OK && (flags & QV_JOIN_BUILD_MAYBE)) {
    b->maybe = qv_alloc_zeroed(b->alloc, b->n_rows);
    if (!b->maybe) st = qv__join_memory_error(b->alloc, QV_NOMEM, op, "the build side", &local);
    if (st == QV_NOMEM) qv_error_set(&local, QV_NOMEM, "%s: out of memory", op);
  }
  if (st == QV_OK && prepare) st = prepare(arg, b, &local);
  if (st != QV_OK) {
    /* The query fails: give its memory back now, not with the context. */
    if (b->data && b->data_destroy) b->data_destroy(b->data);
    b->data = NULL;
    if (b->visited) qv_free(b->alloc, (void *)b->visited, b->n_rows);
    if (b->maybe) qv_free(b->alloc, (void *)b->maybe, b->n_rows);
    b->visited = b->maybe = NULL;
    b->key_null = NULL;
    qv_record_batch_unref(b->batch);
    b->batch = NULL;
    b->n_rows = 0;
  }

  pthread_mutex_lock(&b->lock);
  b->state = st == QV_OK ? 2 : 3;
  b->status = st;
  b->error = local;
  pthread_cond_broadcast(&b->cond);
  pthread_mutex_unlock(&b->lock);
  if (st != QV_OK && err) *err = local;
  return st;
}
