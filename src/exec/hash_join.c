/* HashJoinExec: equi-joins of every join type, building a hash table over
 * the left input and probing it with batches of the right input.
 *
 * Partition modes. CollectLeft: the first probe partition to run reads every
 * left partition (concurrently) and builds one table, which every probe
 * partition shares through the task context; output partitions are the right
 * input's. Build rows that must be emitted after probing (unmatched rows of
 * left/full joins, left semi/anti/mark rows) are emitted exactly once, by
 * the last probe partition to finish, from match flags every partition sets
 * atomically. Partitioned: both inputs are hash-partitioned alike and
 * partition p builds from left p and probes with right p, all by itself.
 *
 * Probing is vectorised per batch: the key expressions are evaluated over the
 * whole batch and hashed with qv_hash_columns; then, block by block of rows
 * small enough to stay in L2, every row finds its slot (prefetching ahead)
 * and is compared once with the head of its chain (with one integer key the
 * slot holds the key and the lookup itself decides); candidate pairs are
 * then gathered into index vectors of at most batch_size pairs. A probe batch whose keys match many duplicate
 * build rows is processed in several such chunks, the probe resuming where
 * it stopped, so output batches never exceed batch_size rows. Each chunk goes
 * through the residual filter and becomes output with qv_record_batch_take
 * (join_output.c). Semi, anti and mark joins without a filter never expand
 * chains: one comparison per probe row decides, and a matched chain is
 * marked once, on its slot.
 *
 * Mark joins follow SQL's three-valued IN: the mark is true when a match
 * exists; NULL when none does but a NULL could have matched (the left key is
 * NULL and the right side is not empty, some right key is NULL, or a pair of
 * equal keys had a NULL filter); false otherwise, in particular for an empty
 * right side. With several key columns a NULL in any of them counts as
 * "could match" (DuckDB's rule), which is exact for one key column; the
 * filter is not consulted for pairs with NULL keys. EXISTS wants a two-valued
 * mark: coalesce(mark, false). */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/join_internal.h"

#define OP "HashJoinExec"

typedef struct hash_join_payload {
  int32_t n_keys;
  qv_expr **left_keys;
  qv_expr **right_keys;
  qv_expr *filter;
  qv_join_type type;
  qv_join_partition_mode mode;
  bool null_equals_null;
  qv_schema *concat_schema; /* left ++ right: the filter's input */
} hash_join_payload;

static void payload_destroy(void *p) {
  hash_join_payload *hp = p;
  for (int32_t i = 0; i < hp->n_keys; i++) {
    if (hp->left_keys) qv_expr_unref(hp->left_keys[i]);
    if (hp->right_keys) qv_expr_unref(hp->right_keys[i]);
  }
  free(hp->left_keys);
  free(hp->right_keys);
  qv_expr_unref(hp->filter);
  qv_schema_unref(hp->concat_schema);
  free(hp);
}

static bool is_left_existence(qv_join_type t) {
  return t == QV_JOIN_LEFT_SEMI || t == QV_JOIN_LEFT_ANTI || t == QV_JOIN_LEFT_MARK;
}

static bool is_right_existence(qv_join_type t) { return t == QV_JOIN_RIGHT_SEMI || t == QV_JOIN_RIGHT_ANTI; }

/* ---- the build side ------------------------------------------------------------- */

typedef struct build_data {
  qv_join_keys keys;
  qv_join_hash_table *table;
} build_data;

static void build_data_destroy(void *p) {
  build_data *d = p;
  qv__join_hash_table_destroy(d->table);
  qv__join_keys_reset(&d->keys);
  free(d);
}

static qv_status prepare_build(void *arg, qv_join_build *b, qv_error *err) {
  const qv_exec_plan *plan = arg;
  const hash_join_payload *p = plan->payload;
  build_data *d = calloc(1, sizeof *d);
  if (!d) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  b->data = d;
  b->data_destroy = build_data_destroy;
  qv_status st = qv__join_keys_evaluate(p->left_keys, p->n_keys, b->batch, b->alloc, &d->keys, err);
  bool slot_marks = is_left_existence(p->type) && !p->filter;
  if (st == QV_OK) st = qv__join_hash_table_build(b->alloc, &d->keys, p->null_equals_null, slot_marks, &d->table, err);
  if (st != QV_OK) return qv__join_memory_error(b->alloc, st, OP, "the hash table", err);
  /* The hashes served the build; probing compares keys. */
  qv_free(d->keys.alloc, d->keys.hashes, (d->keys.n_rows ? d->keys.n_rows : 1) * (int64_t)sizeof *d->keys.hashes);
  d->keys.hashes = NULL;
  b->key_null = d->keys.null_rows;
  b->null_keys_unknown = !p->null_equals_null;
  return QV_OK;
}

/* ---- the probe stream ---------------------------------------------------------------- */

typedef enum stage { STAGE_PROBE, STAGE_FINISH, STAGE_BUILD_ROWS, STAGE_DONE } stage;

/* What a probe row's key comparison with its chain's head decided. */
#define EXACT_NO 0     /* compare every candidate (a chain of mixed keys) */
#define EXACT_CHAIN 1  /* equal to the head of a uniform chain: every row matches */
#define EXACT_SINGLE 2 /* ... of one row: the chain's next link is never read */

typedef struct hash_join_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  int32_t partition;
  qv_batch_stream *probe_input;
  qv_join_build *build;
  bool built;
  stage stage;
  qv_join_output out;
  int64_t build_cursor;

  /* The current probe batch. */
  qv_record_batch *batch;
  qv_join_keys keys;
  int64_t n_rows;
  int64_t cursor;         /* first probe row whose pairs are not all out */
  bool probe_rows_done;   /* its own probe rows (right/full/semi/anti) are out */
  uint32_t *slot;         /* per probe row: table slot or QV_JOIN_NO_SLOT */
  uint32_t *next;         /* per probe row: next chain row + 1 to pair, 0 when done */
  uint8_t *exact;         /* per probe row: EXACT_* */
  uint32_t *vb, *vp;      /* per probe row: head verification pairs */
  int64_t row_cap;

  /* One chunk of pairs. */
  uint32_t *bidx, *pidx;
  int64_t chunk_cap;
} hash_join_stream;

static const hash_join_payload *payload_of(const hash_join_stream *hs) { return hs->plan->payload; }
static const build_data *data_of(const hash_join_stream *hs) { return hs->build->data; }

static void drop_probe_batch(hash_join_stream *hs) {
  qv__join_keys_reset(&hs->keys);
  qv_record_batch_unref(hs->batch);
  hs->batch = NULL;
  hs->out.probe = NULL;
}

static qv_status reserve_rows(hash_join_stream *hs, int64_t n, qv_error *err) {
  if (n <= hs->row_cap) return QV_OK;
  int64_t cap = n > 2 * hs->row_cap ? n : 2 * hs->row_cap;
  free(hs->slot);
  free(hs->next);
  free(hs->exact);
  free(hs->vb);
  free(hs->vp);
  hs->slot = malloc((size_t)cap * sizeof *hs->slot);
  hs->next = malloc((size_t)cap * sizeof *hs->next);
  hs->exact = malloc((size_t)cap);
  hs->vb = malloc((size_t)cap * sizeof *hs->vb);
  hs->vp = malloc((size_t)cap * sizeof *hs->vp);
  if (!hs->slot || !hs->next || !hs->exact || !hs->vb || !hs->vp) {
    hs->row_cap = 0;
    return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  }
  hs->row_cap = cap;
  return QV_OK;
}

/* Rows of a probe batch whose slots are found and verified together: their
 * slots and build keys stay in L2 between the steps. */
#define PROBE_BLOCK 1024

/* Starts fetching the first key column's value of each build row in rows
 * (fixed-width keys), so that the comparison finds it in cache. */
static void prefetch_build_keys(const qv_join_keys *k, const uint32_t *rows, int64_t n) {
  const qv_array *a = k->cols[0];
  int32_t width = qv_type_byte_width(a->type);
  const uint8_t *data = qv__array_data(a, 1);
  if (width <= 0 || !data || qv_type_is_binary_like(a->type->id)) return;
  data += a->offset * width;
  for (int64_t j = 0; j < n; j++) __builtin_prefetch(data + (size_t)rows[j] * (size_t)width);
}

/* Semi, anti and mark joins without a filter: an exact row of [from, to)
 * decides at once, without walking its chain (its slot is still in cache). */
static void decide_existence(hash_join_stream *hs, qv_join_hash_table *t, int64_t from, int64_t to) {
  const hash_join_payload *p = payload_of(hs);
  if (p->filter) return;
  if (is_left_existence(p->type)) {
    for (int64_t i = from; i < to; i++) {
      if (hs->exact[i] == EXACT_NO) continue;
      qv__join_hash_table_mark(t, hs->slot[i]);
      hs->next[i] = 0;
    }
  } else if (is_right_existence(p->type)) {
    for (int64_t i = from; i < to; i++) {
      if (hs->exact[i] == EXACT_NO) continue;
      hs->out.probe_matched[i] = 1;
      hs->next[i] = 0;
    }
  }
}

/* Hashes a new probe batch, finds every row's chain and compares each row of
 * a uniform chain with the chain's head. */
static qv_status start_probe_batch(hash_join_stream *hs, qv_record_batch *batch, qv_error *err) {
  const hash_join_payload *p = payload_of(hs);
  const build_data *d = data_of(hs);
  qv_join_hash_table *t = d->table;
  qv_join_build *b = hs->build;
  hs->batch = batch;
  hs->n_rows = batch->num_rows;
  hs->cursor = 0;
  hs->probe_rows_done = false;
  int64_t n = hs->n_rows;
  QV_RETURN_NOT_OK(reserve_rows(hs, n, err));
  QV_RETURN_NOT_OK(qv__join_output_set_probe(&hs->out, batch, err));
  QV_RETURN_NOT_OK(qv__join_keys_evaluate(p->right_keys, p->n_keys, batch, qv_task_context_allocator(hs->ctx),
                                          &hs->keys, err));
  if (n > 0 && !atomic_load_explicit(&b->probe_nonempty, memory_order_relaxed))
    atomic_store(&b->probe_nonempty, true);
  if (hs->keys.n_null_rows > 0 && !p->null_equals_null) atomic_store(&b->probe_has_null_key, true);

  for (int64_t from = 0; from < n; from += PROBE_BLOCK) {
    int64_t to = n - from < PROBE_BLOCK ? n : from + PROBE_BLOCK, m = 0;
    qv__join_hash_table_find(t, &hs->keys, from, to - from, p->null_equals_null, hs->slot + from, hs->next + from);
    if (t->int_keys) {
      /* The slot held the key itself: a found chain matches. */
      for (int64_t i = from; i < to; i++) {
        uint32_t head = hs->next[i];
        /* Branch-free: half the rows of a typical probe find nothing. */
        hs->exact[i] = (uint8_t)((head != 0) * (EXACT_CHAIN + ((head & QV_JOIN_SLOT_SINGLE) != 0)));
        hs->next[i] = head & QV_JOIN_SLOT_ROW_MASK;
      }
      decide_existence(hs, t, from, to);
      continue;
    }
    for (int64_t i = from; i < to; i++) {
      uint32_t head = hs->next[i];
      hs->exact[i] = EXACT_NO;
      hs->next[i] = head & QV_JOIN_SLOT_ROW_MASK;
      if (head & QV_JOIN_SLOT_UNIFORM) {
        /* Settled below: equal to the head, or no match at all. */
        hs->next[i] = 0;
        hs->exact[i] = (head & QV_JOIN_SLOT_SINGLE) ? EXACT_SINGLE : EXACT_CHAIN;
        hs->vb[m] = (head & QV_JOIN_SLOT_ROW_MASK) - 1;
        hs->vp[m] = (uint32_t)i;
        m++;
      }
    }
    prefetch_build_keys(&d->keys, hs->vb, m);
    int64_t kept = qv__join_keys_compact_equal(&d->keys, &hs->keys, p->null_equals_null, hs->vb, hs->vp, m);
    /* A row that differs from the head of its uniform chain matches none of
     * it: it keeps next 0 and becomes EXACT_NO. */
    for (int64_t j = 0; j < kept; j++) hs->next[hs->vp[j]] = hs->vb[j] + 1;
    for (int64_t i = from; i < to; i++)
      if (hs->next[i] == 0) hs->exact[i] = EXACT_NO;
    decide_existence(hs, t, from, to);
  }
  return QV_OK;
}


/* Gathers the next chunk of candidate pairs of the current probe batch and
 * turns it into output (*out may stay NULL). */
static qv_status probe_chunk(hash_join_stream *hs, qv_record_batch **out, qv_error *err) {
  const hash_join_payload *p = payload_of(hs);
  const build_data *d = data_of(hs);
  const uint32_t *chain = d->table->next;
  qv_join_build *b = hs->build;
  bool skip_visited = is_left_existence(p->type);  /* with a filter: visited rows are decided */
  bool skip_matched = is_right_existence(p->type); /* a matched probe row is decided */
  int64_t m = 0, cap = hs->chunk_cap, i = hs->cursor;
  bool verify = false;
  while (i < hs->n_rows && m < cap) {
    uint32_t pos = hs->next[i];
    if (pos == 0 || (skip_matched && hs->out.probe_matched[i])) {
      hs->next[i] = 0;
      i++;
      continue;
    }
    if (hs->exact[i] == EXACT_SINGLE) {
      hs->next[i] = 0;
      i++;
      if (skip_visited && qv__join_visited(b, pos - 1)) continue;
      hs->bidx[m] = pos - 1;
      hs->pidx[m] = (uint32_t)i - 1;
      m++;
      continue;
    }
    verify |= hs->exact[i] == EXACT_NO;
    while (pos && m < cap) {
      uint32_t r = pos - 1;
      pos = chain[r];
      if (skip_visited && qv__join_visited(b, r)) continue;
      hs->bidx[m] = r;
      hs->pidx[m] = (uint32_t)i;
      m++;
    }
    hs->next[i] = pos;
    if (pos == 0) i++;
  }
  hs->cursor = i;
  if (verify) m = qv__join_keys_compact_equal(&d->keys, &hs->keys, p->null_equals_null, hs->bidx, hs->pidx, m);
  return qv__join_output_pairs(&hs->out, hs->bidx, hs->pidx, m, out, err);
}

static qv_status ensure_built(hash_join_stream *hs, qv_error *err) {
  const hash_join_payload *p = payload_of(hs);
  unsigned flags = 0;
  if (qv__join_emits_build_rows(p->type)) flags |= QV_JOIN_BUILD_VISITED;
  if (p->type == QV_JOIN_LEFT_MARK && p->filter) flags |= QV_JOIN_BUILD_MAYBE;
  int32_t partition = p->mode == QV_JOIN_COLLECT_LEFT ? -1 : hs->partition;
  QV_RETURN_NOT_OK(qv__join_build_wait(hs->build, hs->plan->children[0], partition, hs->ctx, OP, flags, prepare_build,
                                       hs->plan, err));
  hs->built = true;
  hs->out.build = hs->build;
  return QV_OK;
}

/* Probing is over for this partition: the last one emits build rows. */
static void finish_probe(hash_join_stream *hs) {
  const hash_join_payload *p = payload_of(hs);
  qv_batch_stream_destroy(hs->probe_input);
  hs->probe_input = NULL;
  bool last = qv__join_build_probe_finished(hs->build);
  if (last && qv__join_emits_build_rows(p->type)) {
    qv__join_fold_slots(data_of(hs)->table, hs->build->visited);
    hs->stage = STAGE_BUILD_ROWS;
  } else {
    hs->stage = STAGE_DONE;
  }
}

static qv_status hash_join_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  hash_join_stream *hs = (hash_join_stream *)s;
  const hash_join_payload *p = payload_of(hs);
  if (qv_task_context_is_cancelled(hs->ctx)) return qv_error_set(err, QV_CANCELLED, "query cancelled");
  if (!hs->built && hs->stage != STAGE_DONE) {
    QV_RETURN_NOT_OK(ensure_built(hs, err));
    if (hs->build->n_rows == 0 && qv__join_empty_build_is_empty(p->type)) finish_probe(hs);
  }
  for (;;) {
    switch (hs->stage) {
      case STAGE_DONE: return QV_OK;
      case STAGE_FINISH: finish_probe(hs); break;
      case STAGE_BUILD_ROWS:
        QV_RETURN_NOT_OK(qv__join_output_build_rows(&hs->out, &hs->build_cursor, out, err));
        if (!*out) hs->stage = STAGE_DONE;
        return QV_OK;
      case STAGE_PROBE:
        if (hs->batch && hs->cursor < hs->n_rows) {
          QV_RETURN_NOT_OK(probe_chunk(hs, out, err));
          if (*out) return QV_OK;
        } else if (hs->batch && !hs->probe_rows_done) {
          hs->probe_rows_done = true;
          QV_RETURN_NOT_OK(qv__join_output_probe_rows(&hs->out, out, err));
          if (*out) return QV_OK;
        } else {
          drop_probe_batch(hs);
          if (qv_task_context_is_cancelled(hs->ctx)) return qv_error_set(err, QV_CANCELLED, "query cancelled");
          qv_record_batch *b = NULL;
          QV_RETURN_NOT_OK(qv_batch_stream_next(hs->probe_input, &b, err));
          if (!b) hs->stage = STAGE_FINISH;
          else QV_RETURN_NOT_OK(start_probe_batch(hs, b, err));
        }
        break;
    }
  }
}

static void hash_join_destroy(qv_batch_stream *s) {
  hash_join_stream *hs = (hash_join_stream *)s;
  drop_probe_batch(hs);
  qv_batch_stream_destroy(hs->probe_input);
  qv__join_output_reset(&hs->out);
  qv__join_build_release(hs->build);
  free(hs->slot);
  free(hs->next);
  free(hs->exact);
  free(hs->vb);
  free(hs->vp);
  free(hs->bidx);
  free(hs->pidx);
  qv_exec_plan_unref(hs->plan);
  qv_task_context_unref(hs->ctx);
  qv__stream_free(s);
}

static const qv_batch_stream_vtable hash_join_vtable = {hash_join_next, hash_join_destroy};

static qv_status hash_join_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx,
                                   qv_batch_stream **out, qv_error *err) {
  const hash_join_payload *p = self->payload;
  hash_join_stream *hs = qv__stream_alloc(sizeof *hs, &hash_join_vtable, self->schema);
  if (!hs) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  hs->plan = qv_exec_plan_ref(self);
  hs->ctx = qv_task_context_ref(ctx);
  hs->partition = partition;
  hs->stage = STAGE_PROBE;
  int64_t chunk = qv_session_batch_size(qv_task_context_session(ctx));
  if (chunk < 1) chunk = 8192;
  hs->chunk_cap = chunk;
  hs->bidx = malloc((size_t)chunk * sizeof *hs->bidx);
  hs->pidx = malloc((size_t)chunk * sizeof *hs->pidx);
  qv_status st = hs->bidx && hs->pidx ? QV_OK : qv_error_set(err, QV_NOMEM, OP ": out of memory");
  if (st == QV_OK)
    st = qv__join_output_init(&hs->out, p->type, self->schema, p->concat_schema, p->filter,
                              self->children[0]->schema->n_fields, self->children[1]->schema->n_fields,
                              qv_task_context_allocator(ctx), chunk, err);
  if (st == QV_OK)
    st = qv__join_build_acquire(ctx, p->mode == QV_JOIN_COLLECT_LEFT ? (const void *)self : NULL,
                                self->n_partitions, &hs->build, err);
  if (st == QV_OK) st = qv_exec_plan_execute(self->children[1], partition, ctx, &hs->probe_input, err);
  if (st != QV_OK) {
    hash_join_destroy(&hs->base);
    return st;
  }
  *out = &hs->base;
  return QV_OK;
}

static qv_status hash_join_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  const hash_join_payload *p = self->payload;
  QV_RETURN_NOT_OK(qv__appendf(out, err, "mode=%s, join_type=%s, on=[",
                               p->mode == QV_JOIN_COLLECT_LEFT ? "CollectLeft" : "Partitioned",
                               qv__join_type_name(p->type)));
  for (int32_t i = 0; i < p->n_keys; i++) {
    QV_RETURN_NOT_OK(qv__appendf(out, err, "%s(", i ? ", " : ""));
    QV_RETURN_NOT_OK(qv_expr_to_string(p->left_keys[i], out, err));
    QV_RETURN_NOT_OK(qv__appendf(out, err, ", "));
    QV_RETURN_NOT_OK(qv_expr_to_string(p->right_keys[i], out, err));
    QV_RETURN_NOT_OK(qv__appendf(out, err, ")"));
  }
  QV_RETURN_NOT_OK(qv__appendf(out, err, "]"));
  if (p->filter) {
    QV_RETURN_NOT_OK(qv__appendf(out, err, ", filter="));
    QV_RETURN_NOT_OK(qv_expr_to_string(p->filter, out, err));
  }
  if (p->null_equals_null) QV_RETURN_NOT_OK(qv__appendf(out, err, ", null_equals_null=true"));
  return QV_OK;
}

static const qv_plan_ops hash_join_ops = {OP, hash_join_execute, hash_join_describe, payload_destroy};

/* ---- construction ------------------------------------------------------------------------ */

/* The type a key compares as: a dictionary's values. */
static const qv_data_type *key_type(const qv_expr *e) {
  const qv_data_type *t = qv_expr_type(e);
  return t->id == QV_DICTIONARY ? t->dict_value : t;
}

static bool binary_family(qv_type_id a, qv_type_id b) {
  bool sa = a == QV_UTF8 || a == QV_LARGE_UTF8, sb = b == QV_UTF8 || b == QV_LARGE_UTF8;
  bool ba = a == QV_BINARY || a == QV_LARGE_BINARY, bb = b == QV_BINARY || b == QV_LARGE_BINARY;
  return (sa && sb) || (ba && bb);
}

static qv_status check_keys(qv_expr *const *left_keys, qv_expr *const *right_keys, int32_t n_keys, qv_error *err) {
  for (int32_t i = 0; i < n_keys; i++) {
    if (!left_keys[i] || !right_keys[i]) return qv_error_set(err, QV_INVALID, OP ": key %d is NULL", i);
    const qv_data_type *l = key_type(left_keys[i]), *r = key_type(right_keys[i]);
    char a[128], b[128];
    if (!qv__join_key_type_supported(l) || !qv__join_key_type_supported(r))
      return qv_error_set(err, QV_NOT_IMPLEMENTED, OP ": key %d of type %s = %s is not supported", i,
                          qv_type_to_string(l, a, sizeof a), qv_type_to_string(r, b, sizeof b));
    if (!qv_type_equals(l, r) && !binary_family(l->id, r->id))
      return qv_error_set(err, QV_TYPE_ERROR, OP ": key %d compares %s with %s (cast one side first)", i,
                          qv_type_to_string(l, a, sizeof a), qv_type_to_string(r, b, sizeof b));
  }
  return QV_OK;
}

qv_status qv_plan_hash_join(qv_exec_plan *left, qv_exec_plan *right, qv_expr *const *left_keys,
                            qv_expr *const *right_keys, int32_t n_keys, qv_expr *filter, qv_join_type type,
                            qv_join_partition_mode mode, bool null_equals_null, qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (!left || !right) return qv_error_set(err, QV_INVALID, OP ": missing input");
  if ((int)type < QV_JOIN_INNER || type > QV_JOIN_LEFT_MARK)
    return qv_error_set(err, QV_INVALID, OP ": unknown join type %d", (int)type);
  if (mode != QV_JOIN_COLLECT_LEFT && mode != QV_JOIN_PARTITIONED)
    return qv_error_set(err, QV_INVALID, OP ": unknown partition mode %d", (int)mode);
  if (n_keys < 1 || !left_keys || !right_keys)
    return qv_error_set(err, QV_INVALID, OP ": an equi-join needs at least one key pair (use NestedLoopJoinExec)");
  QV_RETURN_NOT_OK(check_keys(left_keys, right_keys, n_keys, err));
  if (mode == QV_JOIN_PARTITIONED && left->n_partitions != right->n_partitions)
    return qv_error_set(err, QV_INVALID, OP ": partitioned mode needs as many left partitions (%d) as right (%d)",
                        left->n_partitions, right->n_partitions);
  if (mode == QV_JOIN_PARTITIONED && type == QV_JOIN_LEFT_MARK && !null_equals_null) {
    /* A NULL key makes marks depend on rows of every partition. */
    for (int32_t i = 0; i < n_keys; i++)
      if (qv_expr_nullable(left_keys[i]) || qv_expr_nullable(right_keys[i]))
        return qv_error_set(err, QV_NOT_IMPLEMENTED,
                            OP ": a partitioned mark join needs non-nullable keys or null_equals_null "
                               "(use CollectLeft)");
  }
  hash_join_payload *p = calloc(1, sizeof *p);
  if (p) {
    p->left_keys = calloc((size_t)n_keys, sizeof *p->left_keys);
    p->right_keys = calloc((size_t)n_keys, sizeof *p->right_keys);
  }
  if (!p || !p->left_keys || !p->right_keys) {
    if (p) payload_destroy(p);
    return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  }
  p->n_keys = n_keys;
  for (int32_t i = 0; i < n_keys; i++) {
    p->left_keys[i] = qv_expr_ref(left_keys[i]);
    p->right_keys[i] = qv_expr_ref(right_keys[i]);
  }
  p->filter = filter ? qv_expr_ref(filter) : NULL;
  p->type = type;
  p->mode = mode;
  p->null_equals_null = null_equals_null;
  qv_schema *schema = NULL;
  qv_status st = qv__join_concat_schema(left->schema, right->schema, &p->concat_schema, err);
  if (st == QV_OK) st = qv__join_check_filter(OP, filter, p->concat_schema, err);
  if (st == QV_OK) st = qv__join_output_schema(left->schema, right->schema, type, &schema, err);
  if (st != QV_OK) {
    payload_destroy(p);
    return st;
  }
  qv_exec_plan *children[2] = {left, right};
  st = qv__plan_create(QV_PLAN_HASH_JOIN, &hash_join_ops, schema, right->n_partitions, children, 2, p, out, err);
  qv_schema_unref(schema);
  return st;
}
