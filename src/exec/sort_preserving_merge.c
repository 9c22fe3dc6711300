/* SortPreservingMergeExec: merges input partitions that are each sorted by
 * the same keys into one sorted partition (optionally stopping after `fetch`
 * rows).
 *
 * Every input partition runs on a producer thread of its own with a small
 * queue of its own, so that one slow input never stalls the others and
 * memory stays bounded (a merge must see the head of every input, so one
 * shared queue would not do: a fast input could fill it while the merge
 * waits for a slow one). The producer also evaluates the batch's keys and
 * encodes them with the row format, appending the rows to the batch as an
 * extra LARGE_BINARY column; key encoding thus runs in parallel and the
 * merge itself only compares bytes.
 *
 * The merge is a loser tree over the inputs' current rows: taking a row
 * costs log2(inputs) comparisons of row-format keys (an 8-byte big-endian
 * prefix compare, then memcmp only on ties). Picked rows are collected for
 * one output batch of at most batch_size rows, which is then assembled
 * without per-row work: a single input's rows are a zero-copy slice; long
 * runs from the same input are slices concatenated; otherwise each input's
 * rows (consecutive in that input) are concatenated and one take puts them
 * in merged order. Equal keys come out in input partition order. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/sort_internal.h"

#define OP "SortPreservingMergeExec"
/* Batches buffered per input partition. */
#define QUEUE_BATCHES_PER_INPUT 2

typedef struct merge_payload {
  qv_sort_spec spec;
  int64_t fetch; /* -1: all rows */
} merge_payload;

static void payload_destroy(void *p) {
  merge_payload *mp = p;
  qv__sort_spec_reset(&mp->spec);
  free(mp);
}

typedef struct merge_stream merge_stream;

/* One input partition: its producer (thread and queue) and the merge's
 * cursor into its current batch. */
typedef struct merge_input {
  merge_stream *owner;
  int32_t partition;
  qv_batch_queue *queue;
  qv_thread thread;
  /* the cursor (consumer side) */
  qv_record_batch *batch; /* the input's columns, without the key column */
  qv_array *keys;         /* the key column: encoded rows */
  const uint8_t *key_data;
  const int64_t *key_offsets;
  int64_t pos;
  int64_t len;
  int32_t slot; /* index in the output batch's sources; -1 if none yet */
  bool done;
} merge_input;

struct merge_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  qv_allocator *pool;
  qv_schema *keyed_schema; /* the input schema plus the key column */
  int32_t n_inputs;
  merge_input *inputs;
  int32_t *tree; /* tree[0]: the winner; tree[1..n): losers */
  bool started;
  int64_t remaining; /* rows still to emit; -1: all */
  int64_t batch_size;
  /* the output batch being assembled */
  uint32_t *pick_slot;
  uint32_t *pick_row;
  qv_record_batch **sources;
  int64_t *src_first; /* first row of each source used by this output batch */
  int64_t *src_count;
  int32_t n_sources;
  int32_t sources_cap;
};

/* ---- producers ------------------------------------------------------------------ */

/* The batch with its encoded keys appended as a last column. */
static qv_status encode_keys(merge_stream *ms, qv_record_batch *b, qv_record_batch **out, qv_error *err) {
  const merge_payload *p = ms->plan->payload;
  const qv_sort_spec *spec = &p->spec;
  int64_t n = b->num_rows;
  int32_t nc = b->n_columns;
  qv_array **cols = calloc((size_t)spec->n_keys + (size_t)nc + 1, sizeof *cols);
  if (!cols) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  qv_status st = qv__sort_spec_evaluate(spec, b, ms->pool, cols, err);
  qv_buffer *offsets = NULL, *data = NULL;
  qv_bytes rows;
  qv_bytes_init(&rows, ms->pool);
  if (st == QV_OK) {
    st = qv_buffer_allocate(ms->pool, (n + 1) * (int64_t)sizeof(int64_t), &offsets, err);
    if (st == QV_OK)
      st = qv_row_encode((const qv_array *const *)cols, spec->opts, spec->n_keys, n, &rows,
                         (int64_t *)qv_buffer_mutable_data(offsets), err);
    for (int32_t i = 0; i < spec->n_keys; i++) qv_array_unref(cols[i]);
  }
  if (st == QV_OK) st = qv_bytes_finish(&rows, &data, err);
  qv_bytes_reset(&rows);
  qv_array *key_col = NULL;
  if (st == QV_OK) {
    qv_buffer *bufs[3] = {NULL, offsets, data};
    st = qv_array_create(qv_type_primitive(QV_LARGE_BINARY), n, 0, 0, bufs, 3, NULL, 0, NULL, &key_col, err);
  }
  qv_buffer_unref(offsets);
  qv_buffer_unref(data);
  if (st == QV_OK) {
    for (int32_t i = 0; i < nc; i++) cols[i] = b->columns[i];
    cols[nc] = key_col;
    st = qv_record_batch_create(ms->keyed_schema, n, cols, nc + 1, out, err);
  }
  qv_array_unref(key_col);
  free(cols);
  return qv__sort_check_nomem(st, ms->pool, OP, err);
}

static void *produce(void *arg) {
  merge_input *in = arg;
  merge_stream *ms = in->owner;
  qv_error err;
  qv_error_init(&err);
  qv_batch_stream *s = NULL;
  qv_status st = qv_exec_plan_execute(ms->plan->children[0], in->partition, ms->ctx, &s, &err);
  while (st == QV_OK) {
    if (qv_task_context_is_cancelled(ms->ctx)) {
      st = qv_error_set(&err, QV_CANCELLED, "query cancelled");
      break;
    }
    qv_record_batch *b = NULL, *keyed = NULL;
    st = qv_batch_stream_next(s, &b, &err);
    if (st != QV_OK || !b) break;
    if (b->num_rows > 0) st = encode_keys(ms, b, &keyed, &err);
    qv_record_batch_unref(b);
    if (st == QV_OK && keyed) st = qv__batch_queue_push(in->queue, keyed, &err);
  }
  /* Free the input (and so stop everything under it) before reporting. */
  qv_batch_stream_destroy(s);
  qv__batch_queue_producer_done(in->queue, st, &err);
  return NULL;
}

static void stop_producers(merge_stream *ms) {
  if (!ms->inputs) return;
  for (int32_t i = 0; i < ms->n_inputs; i++)
    if (ms->inputs[i].queue) qv__batch_queue_cancel(ms->inputs[i].queue);
  for (int32_t i = 0; i < ms->n_inputs; i++) qv__thread_join(&ms->inputs[i].thread);
}

static qv_status start_producers(merge_stream *ms, qv_error *err) {
  for (int32_t i = 0; i < ms->n_inputs; i++) {
    merge_input *in = &ms->inputs[i];
    QV_RETURN_NOT_OK(qv__batch_queue_create(QUEUE_BATCHES_PER_INPUT, 1, &in->queue, err));
  }
  for (int32_t i = 0; i < ms->n_inputs; i++) {
    qv_status st = qv__thread_start(&ms->inputs[i].thread, produce, &ms->inputs[i], err);
    if (st != QV_OK) {
      for (int32_t j = i; j < ms->n_inputs; j++) qv__batch_queue_producer_done(ms->inputs[j].queue, QV_CANCELLED, NULL);
      return st;
    }
  }
  return QV_OK;
}

/* ---- cursors -------------------------------------------------------------------- */

static void cursor_release(merge_input *in) {
  qv_record_batch_unref(in->batch);
  qv_array_unref(in->keys);
  in->batch = NULL;
  in->keys = NULL;
  in->key_data = NULL;
  in->key_offsets = NULL;
  in->pos = in->len = 0;
  in->slot = -1;
}

/* Moves the cursor to the input's next batch (blocking), or marks it done. */
static qv_status cursor_load(merge_stream *ms, merge_input *in, qv_error *err) {
  cursor_release(in);
  if (in->done) return QV_OK;
  qv_record_batch *keyed = NULL;
  QV_RETURN_NOT_OK(qv__batch_queue_pop(in->queue, &keyed, err));
  if (!keyed) {
    in->done = true;
    return QV_OK;
  }
  int32_t nc = keyed->n_columns - 1;
  qv_status st = qv_record_batch_create(ms->base.schema, keyed->num_rows, keyed->columns, nc, &in->batch, err);
  if (st == QV_OK) {
    in->keys = qv_array_ref(keyed->columns[nc]);
    in->key_offsets = (const int64_t *)qv__array_data(in->keys, 1) + in->keys->offset;
    in->key_data = qv__array_data(in->keys, 2);
    in->len = keyed->num_rows;
  }
  qv_record_batch_unref(keyed);
  return st;
}

/* Whether input a's current row goes before input b's (equal keys: the lower
 * partition first). Finished inputs go last. */
static inline bool input_less(const merge_stream *ms, int32_t a, int32_t b) {
  const merge_input *x = &ms->inputs[a], *y = &ms->inputs[b];
  if (x->done || y->done) return !x->done || (y->done && a < b);
  int64_t ox = x->key_offsets[x->pos], lx = x->key_offsets[x->pos + 1] - ox;
  int64_t oy = y->key_offsets[y->pos], ly = y->key_offsets[y->pos + 1] - oy;
  uint64_t px = qv__sort_load_prefix(x->key_data + ox, lx), py = qv__sort_load_prefix(y->key_data + oy, ly);
  if (px != py) return px < py;
  int c = (lx <= 8 && ly <= 8) ? (lx > ly) - (lx < ly)
                               : qv__sort_row_compare(x->key_data + ox, lx, y->key_data + oy, ly);
  return c < 0 || (c == 0 && a < b);
}

static int32_t tree_build(merge_stream *ms, int32_t node) {
  int32_t k = ms->n_inputs;
  if (node >= k) return node - k;
  int32_t l = tree_build(ms, 2 * node), r = tree_build(ms, 2 * node + 1);
  if (input_less(ms, r, l)) {
    ms->tree[node] = l;
    return r;
  }
  ms->tree[node] = r;
  return l;
}

/* Input w's row changed: play it up from its leaf to the root. */
static void tree_replay(merge_stream *ms, int32_t w) {
  for (int32_t p = (w + ms->n_inputs) / 2; p >= 1; p /= 2) {
    if (input_less(ms, ms->tree[p], w)) {
      int32_t t = ms->tree[p];
      ms->tree[p] = w;
      w = t;
    }
  }
  ms->tree[0] = w;
}

/* ---- output batches ---------------------------------------------------------------- */

static void sources_clear(merge_stream *ms) {
  for (int32_t i = 0; i < ms->n_sources; i++) qv_record_batch_unref(ms->sources[i]);
  ms->n_sources = 0;
  for (int32_t i = 0; i < ms->n_inputs; i++) ms->inputs[i].slot = -1;
}

static qv_status source_add(merge_stream *ms, merge_input *in, qv_error *err) {
  if (ms->n_sources == ms->sources_cap) {
    int32_t cap = ms->sources_cap ? ms->sources_cap * 2 : ms->n_inputs + 8;
    qv_record_batch **s = realloc(ms->sources, (size_t)cap * sizeof *s);
    if (s) ms->sources = s;
    int64_t *f = s ? realloc(ms->src_first, (size_t)cap * sizeof *f) : NULL;
    if (f) ms->src_first = f;
    int64_t *c = f ? realloc(ms->src_count, (size_t)cap * sizeof *c) : NULL;
    if (c) ms->src_count = c;
    if (!c) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
    ms->sources_cap = cap;
  }
  in->slot = ms->n_sources++;
  ms->sources[in->slot] = qv_record_batch_ref(in->batch);
  ms->src_first[in->slot] = in->pos;
  ms->src_count[in->slot] = 0;
  return QV_OK;
}

/* Assembles the n picked rows into one batch. */
static qv_status assemble(merge_stream *ms, int64_t n, qv_record_batch **out, qv_error *err) {
  if (ms->n_sources == 1) return qv_record_batch_slice(ms->sources[0], ms->src_first[0], n, out, err);
  int64_t runs = 1;
  for (int64_t i = 1; i < n; i++) runs += ms->pick_slot[i] != ms->pick_slot[i - 1];
  bool by_runs = runs * 16 <= n;
  int64_t n_parts = by_runs ? runs : ms->n_sources;
  qv_record_batch **parts = calloc((size_t)n_parts, sizeof *parts);
  if (!parts) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  qv_status st = QV_OK;
  int64_t made = 0;
  if (by_runs) {
    for (int64_t i = 0; st == QV_OK && i < n;) {
      int64_t j = i + 1;
      while (j < n && ms->pick_slot[j] == ms->pick_slot[i]) j++;
      st = qv_record_batch_slice(ms->sources[ms->pick_slot[i]], ms->pick_row[i], j - i, &parts[made], err);
      if (st == QV_OK) made++;
      i = j;
    }
  } else {
    for (int32_t s = 0; st == QV_OK && s < ms->n_sources; s++) {
      st = qv_record_batch_slice(ms->sources[s], ms->src_first[s], ms->src_count[s], &parts[made], err);
      if (st == QV_OK) made++;
    }
  }
  qv_record_batch *cat = NULL;
  if (st == QV_OK) st = qv_record_batch_concat(ms->pool, ms->base.schema, parts, (int32_t)made, &cat, err);
  for (int64_t i = 0; i < made; i++) qv_record_batch_unref(parts[i]);
  free(parts);
  if (st == QV_OK && !by_runs) {
    /* Source s's rows sit at base[s].. of cat; put every pick in order. */
    int64_t *base = calloc((size_t)ms->n_sources, sizeof *base);
    uint32_t *idx = qv_alloc(ms->pool, n * (int64_t)sizeof *idx);
    if (!base || !idx) st = qv_error_set(err, QV_NOMEM, OP ": out of memory");
    for (int32_t s = 1; st == QV_OK && s < ms->n_sources; s++) base[s] = base[s - 1] + ms->src_count[s - 1];
    for (int64_t i = 0; st == QV_OK && i < n; i++) {
      uint32_t s = ms->pick_slot[i];
      idx[i] = (uint32_t)(base[s] + ms->pick_row[i] - ms->src_first[s]);
    }
    if (st == QV_OK) st = qv_record_batch_take(ms->pool, cat, idx, n, out, err);
    qv_free(ms->pool, idx, n * (int64_t)sizeof *idx);
    free(base);
    qv_record_batch_unref(cat);
    cat = NULL;
  }
  if (st == QV_OK && by_runs) *out = cat;
  else qv_record_batch_unref(cat);
  return qv__sort_check_nomem(st, ms->pool, OP, err);
}

/* ---- the stream ---------------------------------------------------------------------- */

static qv_status merge_start(merge_stream *ms, qv_error *err) {
  QV_RETURN_NOT_OK(start_producers(ms, err));
  for (int32_t i = 0; i < ms->n_inputs; i++) QV_RETURN_NOT_OK(cursor_load(ms, &ms->inputs[i], err));
  ms->tree[0] = tree_build(ms, 1);
  return QV_OK;
}

static qv_status merge_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  merge_stream *ms = (merge_stream *)s;
  if (!ms->started) {
    ms->started = true;
    if (ms->remaining != 0) QV_RETURN_NOT_OK(merge_start(ms, err));
  }
  if (ms->remaining == 0 || ms->inputs[ms->tree[0]].done) {
    stop_producers(ms);
    return QV_OK;
  }
  if (qv_task_context_is_cancelled(ms->ctx)) return qv_error_set(err, QV_CANCELLED, "query cancelled");
  int64_t limit = ms->batch_size;
  if (ms->remaining >= 0 && ms->remaining < limit) limit = ms->remaining;
  int64_t n = 0;
  qv_status st = QV_OK;
  while (n < limit) {
    int32_t w = ms->tree[0];
    merge_input *in = &ms->inputs[w];
    if (in->done) break;
    if (in->slot < 0 && (st = source_add(ms, in, err)) != QV_OK) break;
    ms->pick_slot[n] = (uint32_t)in->slot;
    ms->pick_row[n] = (uint32_t)in->pos;
    ms->src_count[in->slot]++;
    n++;
    if (++in->pos == in->len && (st = cursor_load(ms, in, err)) != QV_OK) break;
    tree_replay(ms, w);
  }
  if (st == QV_OK && n > 0) st = assemble(ms, n, out, err);
  sources_clear(ms);
  if (st != QV_OK) return st;
  if (ms->remaining > 0) ms->remaining -= n;
  if (ms->remaining == 0) stop_producers(ms); /* fetch satisfied: stop the inputs now */
  return QV_OK;
}

static void merge_destroy(qv_batch_stream *s) {
  merge_stream *ms = (merge_stream *)s;
  stop_producers(ms);
  for (int32_t i = 0; ms->inputs && i < ms->n_inputs; i++) {
    cursor_release(&ms->inputs[i]);
    qv__batch_queue_destroy(ms->inputs[i].queue);
  }
  if (ms->inputs) sources_clear(ms);
  free(ms->inputs);
  free(ms->tree);
  free(ms->pick_slot);
  free(ms->pick_row);
  free(ms->sources);
  free(ms->src_first);
  free(ms->src_count);
  qv_schema_unref(ms->keyed_schema);
  qv_exec_plan_unref(ms->plan);
  qv_task_context_unref(ms->ctx);
  qv__stream_free(s);
}

static const qv_batch_stream_vtable merge_vtable = {merge_next, merge_destroy};

/* The input schema plus a non-nullable LARGE_BINARY key column. */
static qv_status keyed_schema(const qv_schema *in, qv_schema **out, qv_error *err) {
  int32_t n = in->n_fields;
  qv_field **fields = calloc((size_t)n + 1, sizeof *fields);
  if (!fields) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  for (int32_t i = 0; i < n; i++) fields[i] = in->fields[i];
  qv_status st = qv_field_create("__sort_key", qv_type_primitive(QV_LARGE_BINARY), false, NULL, &fields[n], err);
  if (st == QV_OK) st = qv_schema_create(fields, n + 1, NULL, out, err);
  qv_field_unref(fields[n]);
  free(fields);
  return st;
}

static qv_status merge_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                               qv_error *err) {
  const merge_payload *p = self->payload;
  qv_exec_plan *input = self->children[0];
  /* One sorted input is already merged. */
  if (input->n_partitions == 1 && p->fetch < 0) return qv_exec_plan_execute(input, 0, ctx, out, err);
  merge_stream *ms = qv__stream_alloc(sizeof *ms, &merge_vtable, self->schema);
  if (!ms) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  ms->plan = qv_exec_plan_ref(self);
  ms->ctx = qv_task_context_ref(ctx);
  ms->pool = qv_task_context_allocator(ctx);
  ms->remaining = p->fetch;
  ms->batch_size = qv_session_batch_size(qv_task_context_session(ctx));
  if (ms->batch_size < 1) ms->batch_size = 8192;
  int32_t k = input->n_partitions;
  ms->inputs = calloc((size_t)k, sizeof *ms->inputs);
  ms->tree = calloc((size_t)k, sizeof *ms->tree);
  ms->pick_slot = malloc((size_t)ms->batch_size * sizeof *ms->pick_slot);
  ms->pick_row = malloc((size_t)ms->batch_size * sizeof *ms->pick_row);
  qv_status st = QV_OK;
  if (!ms->inputs || !ms->tree || !ms->pick_slot || !ms->pick_row) {
    free(ms->inputs);
    ms->inputs = NULL;
    st = qv_error_set(err, QV_NOMEM, OP ": out of memory");
  }
  if (st == QV_OK) {
    ms->n_inputs = k;
    for (int32_t i = 0; i < k; i++) ms->inputs[i] = (merge_input){.owner = ms, .partition = i, .slot = -1};
    st = keyed_schema(self->schema, &ms->keyed_schema, err);
  }
  if (st != QV_OK) {
    merge_destroy(&ms->base);
    return st;
  }
  *out = &ms->base;
  return QV_OK;
}

static qv_status merge_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  const merge_payload *p = self->payload;
  QV_RETURN_NOT_OK(qv__appendf(out, err, "expr=["));
  QV_RETURN_NOT_OK(qv__sort_spec_describe(&p->spec, out, err));
  QV_RETURN_NOT_OK(qv__appendf(out, err, "]"));
  if (p->fetch >= 0) QV_RETURN_NOT_OK(qv__appendf(out, err, ", fetch=%lld", (long long)p->fetch));
  return QV_OK;
}

static const qv_plan_ops merge_ops = {OP, merge_execute, merge_describe, payload_destroy};

qv_status qv_plan_sort_preserving_merge(qv_exec_plan *input, const qv_sort_key *keys, int32_t n_keys, int64_t fetch,
                                        qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (!input) return qv_error_set(err, QV_INVALID, OP ": no input");
  if (fetch < -1) return qv_error_set(err, QV_INVALID, OP ": fetch %lld is negative", (long long)fetch);
  merge_payload *p = calloc(1, sizeof *p);
  if (!p) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  qv_status st = qv__sort_spec_init(&p->spec, OP, keys, n_keys, err);
  if (st != QV_OK) {
    free(p);
    return st;
  }
  p->fetch = fetch;
  return qv__plan_create(QV_PLAN_SORT_PRESERVING_MERGE, &merge_ops, input->schema, 1, &input, 1, p, out, err);
}
