/* SortExec: sorts each partition (preserve_partitioning) or the whole input
 * (one partition) by a list of keys, each ascending or descending with nulls
 * first or last; with a fetch it is a TopK that keeps only the best `fetch`
 * rows and never sorts everything.
 *
 * Full sort. The stream reads its whole input partition on the first call to
 * next(). Each batch's keys are evaluated and turned into 16-byte sort
 * entries of the batch's own right away (a single fixed-width key is
 * normalised to an integer; other keys are encoded with the row format, and
 * the entry holds the first 8 bytes of the row), and the batch is kept. At
 * the end the entries are radix sorted (sort_keys.c; its first pass reads the
 * per-batch pieces directly) into a permutation, the kept batches are
 * concatenated into one, and the output is gathered with take in batches of
 * at most batch_size rows (a run of the permutation that is already in order
 * becomes a zero-copy slice).
 *
 * TopK. Rather than a heap updated row by row, a batch is filtered as a
 * whole against a threshold, the worst of the best `fetch` keys seen so far:
 * rows that beat it join a candidate buffer. When the buffer holds about
 * twice `fetch` rows (or the batches it points into hold much more than it
 * needs) it is sorted, cut back to `fetch` rows, the threshold tightens, and
 * the surviving rows are gathered into one batch so that the batches they
 * came from can be freed. On random input the threshold soon rejects almost
 * every row in one tight loop; on adversarial input each row costs a share
 * of a radix sort of 2*fetch entries. Memory stays within O(fetch +
 * batch_size) rows either way.
 *
 * Memory: key stores, entries, permutations and gathered rows come from the
 * query's pool (qv_task_context_allocator), and batches kept from inputs
 * allocated elsewhere are counted against its limit too; going over it
 * fails with QV_RESOURCE_EXHAUSTED "SortExec: memory limit of N bytes
 * exceeded". (Spilling to disk is future work.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/sort_internal.h"

#define OP "SortExec"
/* TopK: the candidate buffer holds at least this many rows before it is cut
 * back, so that a small fetch does not sort after every batch. */
#define TOPK_MIN_SLACK 4096
/* TopK: rows of kept batches allowed beyond twice the candidates before the
 * candidates are gathered into a batch of their own. */
#define TOPK_HELD_SLACK 65536

typedef struct sort_payload {
  qv_sort_spec spec;
  int64_t fetch; /* -1: all rows */
  bool preserve_partitioning;
} sort_payload;

static void payload_destroy(void *p) {
  sort_payload *sp = p;
  qv__sort_spec_reset(&sp->spec);
  free(sp);
}

/* Rows of an order, in batches: the full sort's permutation, or TopK's
 * result batch. */
typedef struct sort_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  qv_allocator *pool;
  qv_batch_stream *input;
  int64_t batch_size;
  bool started;
  /* the output: rows perm[next..n_out) of data, or rows next..n_out of data
   * when perm is NULL */
  qv_record_batch *data;
  uint32_t *perm;
  int64_t perm_bytes;
  int64_t n_out;
  int64_t next;
  qv_array **cols; /* scratch: one per key */
} sort_stream;

/* ---- helpers ------------------------------------------------------------------ */

/* Grows a pool allocation of *cap elements of elem bytes to hold need (by
 * at least half, so appends stay amortised O(1)); returns the (possibly
 * moved) pointer, or NULL with p untouched. */
static void *grow(qv_allocator *pool, void *p, int64_t *cap, int64_t need, int64_t elem) {
  if (need <= *cap) return p;
  int64_t n = *cap + *cap / 2;
  if (n < need) n = need;
  void *q = qv_realloc(pool, p, *cap * elem, n * elem);
  if (q) *cap = n;
  return q;
}

static int64_t buffer_foreign_bytes(const qv_buffer *b, const qv_allocator *pool) {
  if (!b) return 0;
  const qv_buffer *root = b;
  while (root->parent) root = root->parent;
  return root->alloc == pool ? 0 : b->size;
}

/* Bytes of an array's buffers that the pool does not already account. */
static int64_t array_foreign_bytes(const qv_array *a, const qv_allocator *pool, int depth) {
  if (!a || depth > 64) return 0;
  int64_t n = 0;
  for (int32_t i = 0; i < a->n_buffers; i++) n += buffer_foreign_bytes(a->buffers[i], pool);
  for (int32_t i = 0; i < a->n_children; i++) n += array_foreign_bytes(a->children[i], pool, depth + 1);
  return n + array_foreign_bytes(a->dictionary, pool, depth + 1);
}

static int64_t batch_foreign_bytes(const qv_record_batch *b, const qv_allocator *pool) {
  int64_t n = 0;
  for (int32_t i = 0; i < b->n_columns; i++) n += array_foreign_bytes(b->columns[i], pool, 0);
  return n;
}

static qv_status check_rows(int64_t have, int64_t more, qv_error *err) {
  if (have + more >= (int64_t)UINT32_MAX)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, OP ": more than %lld rows in one partition",
                        (long long)UINT32_MAX - 1);
  return QV_OK;
}

static void unref_columns(qv_array **cols, int32_t n) {
  for (int32_t i = 0; i < n; i++) {
    qv_array_unref(cols[i]);
    cols[i] = NULL;
  }
}

static qv_status next_input(sort_stream *ss, qv_record_batch **out, qv_error *err) {
  if (qv_task_context_is_cancelled(ss->ctx)) return qv_error_set(err, QV_CANCELLED, "query cancelled");
  return qv_batch_stream_next(ss->input, out, err);
}

/* ---- full sort ------------------------------------------------------------------ */

/* The encoded keys of one kept batch. */
typedef struct key_chunk {
  int64_t n_rows;
  qv_sort_entry *ent; /* one entry per row, numbered across all batches */
  qv_bytes rows;      /* row-format keys: the rows... */
  int64_t *offsets;   /* ...and where each starts (n_rows + 1, from 0) */
} key_chunk;

typedef struct full_sort {
  qv_record_batch **batches;
  key_chunk *chunks;
  int32_t n_batches;
  int32_t batches_cap;
  int64_t n_rows;
  int64_t foreign_bytes; /* bytes of kept batches the pool does not account */
  /* row-format keys in one piece, for the ties the radix sort reads */
  uint8_t *data;
  int64_t data_bytes;
  int64_t *offsets;
} full_sort;

static void chunk_free_rows(key_chunk *c, qv_allocator *pool) {
  qv_bytes_reset(&c->rows);
  qv_free(pool, c->offsets, (c->n_rows + 1) * (int64_t)sizeof *c->offsets);
  c->offsets = NULL;
}

static void chunk_reset(key_chunk *c, qv_allocator *pool) {
  qv_free(pool, c->ent, c->n_rows * (int64_t)sizeof *c->ent);
  chunk_free_rows(c, pool);
  memset(c, 0, sizeof *c);
}

static void full_sort_reset(full_sort *f, qv_allocator *pool) {
  for (int32_t i = 0; i < f->n_batches; i++) {
    qv_record_batch_unref(f->batches[i]);
    chunk_reset(&f->chunks[i], pool);
  }
  free(f->batches);
  free(f->chunks);
  qv_free(pool, f->data, f->data_bytes);
  qv_free(pool, f->offsets, (f->n_rows + 1) * (int64_t)sizeof *f->offsets);
  memset(f, 0, sizeof *f);
}

/* Encodes one batch's keys into sort entries of their own (so that nothing
 * grows by copying) and keeps the batch. */
static qv_status full_sort_add(sort_stream *ss, full_sort *f, qv_record_batch *b, qv_error *err) {
  const sort_payload *p = ss->plan->payload;
  const qv_sort_spec *spec = &p->spec;
  int64_t rows = b->num_rows;
  QV_RETURN_NOT_OK(check_rows(f->n_rows, rows, err));
  f->foreign_bytes += batch_foreign_bytes(b, ss->pool);
  int64_t limit = qv_allocator_limit(ss->pool);
  if (limit > 0 && f->foreign_bytes + qv_allocator_bytes_allocated(ss->pool) > limit) {
    char what[96];
    snprintf(what, sizeof what, "buffering %lld bytes of input", (long long)f->foreign_bytes);
    return qv__sort_memory_error(ss->pool, OP, what, err);
  }
  if (f->n_batches == f->batches_cap) {
    int32_t cap = f->batches_cap ? f->batches_cap * 2 : 16;
    qv_record_batch **v = realloc(f->batches, (size_t)cap * sizeof *v);
    if (v) f->batches = v;
    key_chunk *c = v ? realloc(f->chunks, (size_t)cap * sizeof *c) : NULL;
    if (!c) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
    f->chunks = c;
    f->batches_cap = cap;
  }
  key_chunk chunk = {.n_rows = rows};
  qv_bytes_init(&chunk.rows, ss->pool);
  qv_array **cols = ss->cols;
  QV_RETURN_NOT_OK(qv__sort_check_nomem(qv__sort_spec_evaluate(spec, b, ss->pool, cols, err), ss->pool, OP, err));
  qv_status st = QV_OK;
  chunk.ent = qv_alloc(ss->pool, rows * (int64_t)sizeof *chunk.ent);
  if (!chunk.ent) st = qv__sort_memory_error(ss->pool, OP, "sort keys", err);
  else if (spec->normalized) qv__sort_normalize(spec, cols[0], rows, (uint32_t)f->n_rows, chunk.ent);
  if (st == QV_OK && !spec->normalized) {
    chunk.offsets = qv_alloc(ss->pool, (rows + 1) * (int64_t)sizeof *chunk.offsets);
    if (!chunk.offsets) st = qv__sort_memory_error(ss->pool, OP, "sort key offsets", err);
    else
      st = qv__sort_check_nomem(qv_row_encode((const qv_array *const *)cols, spec->opts, spec->n_keys, rows,
                                              &chunk.rows, chunk.offsets, err),
                                ss->pool, OP, err);
    if (st == QV_OK)
      qv__sort_entries_from_rows(&(qv_sort_rows){chunk.rows.data, chunk.offsets}, rows, (uint32_t)f->n_rows,
                                 chunk.ent);
  }
  unref_columns(cols, spec->n_keys);
  if (st != QV_OK) {
    chunk_reset(&chunk, ss->pool);
    return st;
  }
  f->chunks[f->n_batches] = chunk;
  f->batches[f->n_batches++] = qv_record_batch_ref(b);
  f->n_rows += rows;
  return QV_OK;
}

/* Row-format keys: puts the chunks' rows in one piece (the radix sort reads
 * rows by number), freeing each chunk's rows as they are copied. */
static qv_status full_sort_join_rows(sort_stream *ss, full_sort *f, qv_error *err) {
  int64_t n = f->n_rows;
  for (int32_t i = 0; i < f->n_batches; i++) f->data_bytes += f->chunks[i].rows.size;
  f->data = qv_alloc(ss->pool, f->data_bytes);
  f->offsets = f->data ? qv_alloc(ss->pool, (n + 1) * (int64_t)sizeof *f->offsets) : NULL;
  if (!f->offsets) return qv__sort_memory_error(ss->pool, OP, "sort keys", err);
  int64_t row = 0, pos = 0;
  for (int32_t i = 0; i < f->n_batches; i++) {
    key_chunk *c = &f->chunks[i];
    memcpy(f->data + pos, c->rows.data, (size_t)c->rows.size);
    for (int64_t r = 0; r < c->n_rows; r++) f->offsets[row + r] = pos + c->offsets[r];
    row += c->n_rows;
    pos += c->rows.size;
    chunk_free_rows(c, ss->pool);
  }
  f->offsets[n] = pos;
  return QV_OK;
}

/* Sorts the chunks' entries into the permutation ss->perm, freeing them. */
static qv_status full_sort_entries(sort_stream *ss, full_sort *f, bool normalized, qv_error *err) {
  int64_t n = f->n_rows;
  int32_t nb = f->n_batches;
  qv_sort_entry **pieces = malloc((size_t)nb * sizeof *pieces);
  int64_t *counts = malloc((size_t)nb * sizeof *counts);
  qv_status st = pieces && counts ? QV_OK : qv_error_set(err, QV_NOMEM, OP ": out of memory");
  qv_sort_entry *out = NULL;
  if (st == QV_OK) {
    out = qv_alloc(ss->pool, n * (int64_t)sizeof *out);
    if (!out) st = qv__sort_memory_error(ss->pool, OP, "sort entries", err);
  }
  if (st == QV_OK) {
    for (int32_t i = 0; i < nb; i++) {
      pieces[i] = f->chunks[i].ent;
      counts[i] = f->chunks[i].n_rows;
    }
    const qv_sort_rows rows = {f->data, f->offsets};
    st = qv__sort_entries_gather(pieces, counts, nb, out, n, normalized ? NULL : &rows, ss->pool, err);
    st = qv__sort_check_nomem(st, ss->pool, OP, err);
  }
  free(pieces);
  free(counts);
  for (int32_t i = 0; i < nb; i++) chunk_reset(&f->chunks[i], ss->pool);
  if (st == QV_OK) {
    /* The permutation takes the place of the entries. */
    ss->perm = qv_alloc(ss->pool, n * (int64_t)sizeof *ss->perm);
    if (ss->perm) ss->perm_bytes = n * (int64_t)sizeof *ss->perm;
    if (!ss->perm) st = qv__sort_memory_error(ss->pool, OP, "sort permutation", err);
    else
      for (int64_t i = 0; i < n; i++) ss->perm[i] = out[i].row;
  }
  qv_free(ss->pool, out, n * (int64_t)sizeof *out);
  return st;
}

/* Reads the whole input, sorts it, and sets up the output. */
static qv_status full_sort_run(sort_stream *ss, qv_error *err) {
  const sort_payload *p = ss->plan->payload;
  bool normalized = p->spec.normalized;
  full_sort f;
  memset(&f, 0, sizeof f);
  qv_status st = QV_OK;
  for (;;) {
    qv_record_batch *b = NULL;
    st = next_input(ss, &b, err);
    if (st != QV_OK || !b) break;
    if (b->num_rows > 0) st = full_sort_add(ss, &f, b, err);
    qv_record_batch_unref(b);
    if (st != QV_OK) break;
  }
  /* The input is spent: stop it (and whatever runs under it) now. */
  qv_batch_stream_destroy(ss->input);
  ss->input = NULL;
  int64_t n = f.n_rows;
  if (st == QV_OK && n > 0 && !normalized) st = full_sort_join_rows(ss, &f, err);
  if (st == QV_OK && n > 0) st = full_sort_entries(ss, &f, normalized, err);
  /* The keys are done with; free them before concatenating. */
  qv_free(ss->pool, f.data, f.data_bytes);
  qv_free(ss->pool, f.offsets, (n + 1) * (int64_t)sizeof *f.offsets);
  f.data = NULL;
  f.offsets = NULL;
  if (st == QV_OK && n > 0) {
    if (f.n_batches == 1) ss->data = qv_record_batch_ref(f.batches[0]);
    else
      st = qv__sort_check_nomem(qv_record_batch_concat(ss->pool, ss->base.schema, f.batches, f.n_batches, &ss->data,
                                                       err),
                                ss->pool, OP, err);
  }
  full_sort_reset(&f, ss->pool);
  if (st == QV_OK) ss->n_out = n;
  return st;
}

/* ---- TopK -------------------------------------------------------------------------- */

typedef struct topk {
  int64_t k;
  int64_t cap;              /* candidates that trigger a cut */
  bool normalized;
  /* candidates: normalised keys in ent (row = candidate number), row-format
   * keys in keys/koff */
  qv_sort_entry *ent;
  int64_t ent_cap;
  int64_t n;
  uint64_t *refs;           /* per candidate: held slot << 32 | row */
  int64_t refs_cap;
  qv_bytes keys;
  int64_t *koff;            /* n + 1 */
  int64_t koff_cap;
  /* batches the candidates point into */
  qv_record_batch **held;
  int32_t n_held;
  int32_t held_cap;
  int64_t held_rows;
  /* the worst of the k best so far, once there are k */
  bool have_threshold;
  qv_sort_entry threshold;  /* normalised */
  qv_bytes thr_row;         /* row format */
  /* per-batch scratch */
  qv_sort_entry *scratch;
  int64_t scratch_cap;
  qv_bytes rowbuf;
  int64_t *rowoff;
  int64_t rowoff_cap;
  uint32_t *sel;
  int64_t sel_cap;
} topk;

static void topk_reset(topk *t, qv_allocator *pool) {
  qv_free(pool, t->ent, t->ent_cap * (int64_t)sizeof *t->ent);
  qv_free(pool, t->refs, t->refs_cap * (int64_t)sizeof *t->refs);
  qv_bytes_reset(&t->keys);
  qv_free(pool, t->koff, t->koff_cap * (int64_t)sizeof *t->koff);
  for (int32_t i = 0; i < t->n_held; i++) qv_record_batch_unref(t->held[i]);
  free(t->held);
  qv_bytes_reset(&t->thr_row);
  qv_free(pool, t->scratch, t->scratch_cap * (int64_t)sizeof *t->scratch);
  qv_bytes_reset(&t->rowbuf);
  qv_free(pool, t->rowoff, t->rowoff_cap * (int64_t)sizeof *t->rowoff);
  qv_free(pool, t->sel, t->sel_cap * (int64_t)sizeof *t->sel);
  memset(t, 0, sizeof *t);
}

static qv_status topk_reserve(sort_stream *ss, topk *t, int64_t need, qv_error *err) {
  if (t->normalized) {
    qv_sort_entry *e = grow(ss->pool, t->ent, &t->ent_cap, need, sizeof *e);
    if (!e) return qv__sort_memory_error(ss->pool, OP, "TopK candidates", err);
    t->ent = e;
  } else {
    int64_t *o = grow(ss->pool, t->koff, &t->koff_cap, need + 1, sizeof *o);
    if (!o) return qv__sort_memory_error(ss->pool, OP, "TopK candidates", err);
    t->koff = o;
  }
  uint64_t *r = grow(ss->pool, t->refs, &t->refs_cap, need, sizeof *r);
  if (!r) return qv__sort_memory_error(ss->pool, OP, "TopK candidates", err);
  t->refs = r;
  return QV_OK;
}

/* Gathers every candidate's row into one batch and points the candidates at
 * it (in candidate order when `ordered`, else grouped by source batch). */
static qv_status topk_gather(sort_stream *ss, topk *t, bool ordered, qv_error *err) {
  if (t->n_held == 0) return QV_OK;
  int32_t h = t->n_held;
  int64_t n = t->n;
  qv_status st = QV_OK;
  int64_t *count = calloc((size_t)h + 1, sizeof *count);
  int64_t *base = calloc((size_t)h + 1, sizeof *base);
  uint32_t *idx = qv_alloc(ss->pool, (n ? n : 1) * (int64_t)sizeof *idx);
  uint32_t *pos = qv_alloc(ss->pool, (n ? n : 1) * (int64_t)sizeof *pos);
  qv_record_batch **parts = calloc((size_t)h, sizeof *parts);
  qv_record_batch *merged = NULL;
  if (!count || !base || !parts) st = qv_error_set(err, QV_NOMEM, OP ": out of memory");
  else if (!idx || !pos) st = qv__sort_memory_error(ss->pool, OP, "TopK gather indices", err);
  if (st == QV_OK) {
    /* Group the candidates' rows by source batch: idx[base[s]..] are the
     * rows of held[s]; pos[i] is where candidate i lands. */
    for (int64_t i = 0; i < n; i++) count[t->refs[i] >> 32]++;
    for (int32_t s = 0; s < h; s++) base[s + 1] = base[s] + count[s];
    memset(count, 0, (size_t)h * sizeof *count);
    for (int64_t i = 0; i < n; i++) {
      uint32_t s = (uint32_t)(t->refs[i] >> 32);
      pos[i] = (uint32_t)(base[s] + count[s]++);
      idx[pos[i]] = (uint32_t)t->refs[i];
    }
    int32_t n_parts = 0;
    for (int32_t s = 0; st == QV_OK && s < h; s++) {
      if (count[s] == 0) continue;
      st = qv_record_batch_take(ss->pool, t->held[s], idx + base[s], count[s], &parts[n_parts], err);
      if (st == QV_OK) n_parts++;
    }
    if (st == QV_OK) {
      if (n_parts == 1) merged = qv_record_batch_ref(parts[0]);
      else st = qv_record_batch_concat(ss->pool, ss->base.schema, parts, n_parts, &merged, err);
    }
    for (int32_t i = 0; i < n_parts; i++) qv_record_batch_unref(parts[i]);
    if (st == QV_OK && ordered) {
      /* pos is the order of the candidates in merged. */
      bool identity = true;
      for (int64_t i = 0; i < n && identity; i++) identity = pos[i] == (uint32_t)i;
      if (!identity) {
        qv_record_batch *sorted = NULL;
        st = qv_record_batch_take(ss->pool, merged, pos, n, &sorted, err);
        qv_record_batch_unref(merged);
        merged = sorted;
        for (int64_t i = 0; i < n; i++) pos[i] = (uint32_t)i;
      }
    }
    st = qv__sort_check_nomem(st, ss->pool, OP, err);
  }
  if (st == QV_OK) {
    for (int32_t s = 0; s < h; s++) qv_record_batch_unref(t->held[s]);
    t->held[0] = merged;
    t->n_held = 1;
    t->held_rows = n;
    for (int64_t i = 0; i < n; i++) t->refs[i] = pos[i];
  } else {
    qv_record_batch_unref(merged);
  }
  qv_free(ss->pool, idx, (n ? n : 1) * (int64_t)sizeof *idx);
  qv_free(ss->pool, pos, (n ? n : 1) * (int64_t)sizeof *pos);
  free(count);
  free(base);
  free(parts);
  return st;
}

/* Drops the batches no candidate points into, renumbering the rest. */
static qv_status topk_drop_unused(topk *t, qv_error *err) {
  int32_t h = t->n_held;
  int32_t *map = calloc((size_t)h + 1, sizeof *map);
  if (!map) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  for (int64_t i = 0; i < t->n; i++) map[t->refs[i] >> 32] = 1;
  int32_t kept = 0;
  t->held_rows = 0;
  for (int32_t s = 0; s < h; s++) {
    if (!map[s]) {
      qv_record_batch_unref(t->held[s]);
      continue;
    }
    map[s] = kept;
    t->held_rows += t->held[s]->num_rows;
    t->held[kept++] = t->held[s];
  }
  t->n_held = kept;
  for (int64_t i = 0; i < t->n; i++)
    t->refs[i] = (uint64_t)map[t->refs[i] >> 32] << 32 | (uint32_t)t->refs[i];
  free(map);
  return QV_OK;
}

/* Sorts the candidates, keeps the best k (in order), tightens the threshold,
 * and frees what the dropped ones held. Each array is rebuilt at the size of
 * what it keeps. */
static qv_status topk_cut(sort_stream *ss, topk *t, qv_error *err) {
  int64_t n = t->n;
  if (n == 0) return QV_OK;
  int64_t keep = n < t->k ? n : t->k;
  qv_sort_rows rows = {t->keys.data, t->koff};
  /* Row-format candidates get their entries only for the sort. */
  qv_sort_entry *ent = t->ent;
  int64_t ent_bytes = n * (int64_t)sizeof *ent;
  if (!t->normalized) {
    ent = qv_alloc(ss->pool, ent_bytes);
    if (!ent) return qv__sort_memory_error(ss->pool, OP, "TopK sort entries", err);
    qv__sort_entries_from_rows(&rows, n, 0, ent);
  }
  qv_status st = qv__sort_entries(ent, n, t->normalized ? NULL : &rows, ss->pool, err);
  st = qv__sort_check_nomem(st, ss->pool, OP, err);
  int64_t refs_cap = keep;
  uint64_t *refs = st == QV_OK ? qv_alloc(ss->pool, refs_cap * (int64_t)sizeof *refs) : NULL;
  if (st == QV_OK && !refs) st = qv__sort_memory_error(ss->pool, OP, "TopK candidates", err);
  for (int64_t i = 0; st == QV_OK && i < keep; i++) refs[i] = t->refs[ent[i].row];
  if (st == QV_OK && !t->normalized) {
    /* Rebuild the key store with only the kept rows, in order. */
    qv_bytes kept;
    qv_bytes_init(&kept, ss->pool);
    int64_t total = 0, koff_cap = keep + 1;
    for (int64_t i = 0; i < keep; i++) total += t->koff[ent[i].row + 1] - t->koff[ent[i].row];
    st = qv__sort_check_nomem(qv_bytes_reserve(&kept, total, err), ss->pool, OP, err);
    int64_t *koff = st == QV_OK ? qv_alloc(ss->pool, koff_cap * (int64_t)sizeof *koff) : NULL;
    if (st == QV_OK && !koff) st = qv__sort_memory_error(ss->pool, OP, "TopK keys", err);
    if (st == QV_OK) {
      for (int64_t i = 0; i < keep; i++) {
        uint32_t r = ent[i].row;
        koff[i] = kept.size;
        memcpy(kept.data + kept.size, t->keys.data + t->koff[r], (size_t)(t->koff[r + 1] - t->koff[r]));
        kept.size += t->koff[r + 1] - t->koff[r];
      }
      koff[keep] = kept.size;
      qv_bytes_reset(&t->keys);
      t->keys = kept;
      qv_free(ss->pool, t->koff, t->koff_cap * (int64_t)sizeof *t->koff);
      t->koff = koff;
      t->koff_cap = koff_cap;
    } else {
      qv_bytes_reset(&kept);
    }
  }
  if (!t->normalized) {
    qv_free(ss->pool, ent, ent_bytes);
  } else if (st == QV_OK) {
    for (int64_t i = 0; i < keep; i++) ent[i].row = (uint32_t)i;
  }
  if (st != QV_OK) {
    qv_free(ss->pool, refs, refs_cap * (int64_t)sizeof *refs);
    return st;
  }
  qv_free(ss->pool, t->refs, t->refs_cap * (int64_t)sizeof *t->refs);
  t->refs = refs;
  t->refs_cap = refs_cap;
  t->n = keep;
  if (keep == t->k) {
    t->have_threshold = true;
    if (t->normalized) {
      t->threshold = t->ent[keep - 1];
    } else {
      t->thr_row.size = 0;
      st = qv_bytes_append(&t->thr_row, t->keys.data + t->koff[keep - 1], t->koff[keep] - t->koff[keep - 1], err);
      QV_RETURN_NOT_OK(qv__sort_check_nomem(st, ss->pool, OP, err));
    }
  }
  QV_RETURN_NOT_OK(topk_drop_unused(t, err));
  if (t->n_held > 1 && t->held_rows > 2 * t->n + TOPK_HELD_SLACK) return topk_gather(ss, t, false, err);
  return QV_OK;
}

/* Filters one batch against the threshold and adds the rows that beat it. */
static qv_status topk_add(sort_stream *ss, topk *t, qv_record_batch *b, qv_error *err) {
  const sort_payload *p = ss->plan->payload;
  const qv_sort_spec *spec = &p->spec;
  int64_t rows = b->num_rows;
  QV_RETURN_NOT_OK(check_rows(t->n, rows, err));
  uint32_t *sel = grow(ss->pool, t->sel, &t->sel_cap, rows, sizeof *sel);
  if (!sel) return qv__sort_memory_error(ss->pool, OP, "TopK selection", err);
  t->sel = sel;
  qv_array **cols = ss->cols;
  QV_RETURN_NOT_OK(qv__sort_check_nomem(qv__sort_spec_evaluate(spec, b, ss->pool, cols, err), ss->pool, OP, err));
  qv_status st = QV_OK;
  int64_t m = 0;
  if (t->normalized) {
    qv_sort_entry *sc = grow(ss->pool, t->scratch, &t->scratch_cap, rows, sizeof *sc);
    if (!sc) st = qv__sort_memory_error(ss->pool, OP, "TopK keys", err);
    else {
      t->scratch = sc;
      qv__sort_normalize(spec, cols[0], rows, 0, sc);
      if (t->have_threshold) {
        uint64_t tk = t->threshold.key;
        uint32_t ta = t->threshold.aux;
        for (int64_t i = 0; i < rows; i++) {
          sel[m] = (uint32_t)i;
          m += sc[i].aux < ta || (sc[i].aux == ta && sc[i].key < tk);
        }
      } else {
        for (int64_t i = 0; i < rows; i++) sel[i] = (uint32_t)i;
        m = rows;
      }
      if (m > 0) st = topk_reserve(ss, t, t->n + m, err);
      if (st == QV_OK) {
        uint64_t slot = (uint64_t)t->n_held << 32;
        for (int64_t j = 0; j < m; j++) {
          qv_sort_entry e = sc[sel[j]];
          e.row = (uint32_t)(t->n + j);
          t->ent[t->n + j] = e;
          t->refs[t->n + j] = slot | sel[j];
        }
      }
    }
  } else {
    int64_t *ro = grow(ss->pool, t->rowoff, &t->rowoff_cap, rows + 1, sizeof *ro);
    if (!ro) st = qv__sort_memory_error(ss->pool, OP, "TopK keys", err);
    else {
      t->rowoff = ro;
      t->rowbuf.size = 0;
      st = qv_row_encode((const qv_array *const *)cols, spec->opts, spec->n_keys, rows, &t->rowbuf, ro, err);
      st = qv__sort_check_nomem(st, ss->pool, OP, err);
    }
    if (st == QV_OK) {
      const uint8_t *data = t->rowbuf.data;
      if (t->have_threshold) {
        const uint8_t *thr = t->thr_row.data;
        int64_t thr_len = t->thr_row.size;
        uint64_t tp = qv__sort_load_prefix(thr, thr_len);
        for (int64_t i = 0; i < rows; i++) {
          int64_t len = ro[i + 1] - ro[i];
          uint64_t pk = qv__sort_load_prefix(data + ro[i], len);
          bool better = pk < tp || (pk == tp && qv__sort_row_compare(data + ro[i], len, thr, thr_len) < 0);
          sel[m] = (uint32_t)i;
          m += better;
        }
      } else {
        for (int64_t i = 0; i < rows; i++) sel[i] = (uint32_t)i;
        m = rows;
      }
      if (m > 0) st = topk_reserve(ss, t, t->n + m, err);
      int64_t bytes = 0;
      for (int64_t j = 0; st == QV_OK && j < m; j++) bytes += ro[sel[j] + 1] - ro[sel[j]];
      if (st == QV_OK && m > 0) st = qv__sort_check_nomem(qv_bytes_reserve(&t->keys, bytes, err), ss->pool, OP, err);
      if (st == QV_OK && m > 0) {
        uint64_t slot = (uint64_t)t->n_held << 32;
        t->koff[t->n] = t->keys.size;
        for (int64_t j = 0; j < m; j++) {
          int64_t len = ro[sel[j] + 1] - ro[sel[j]];
          memcpy(t->keys.data + t->keys.size, data + ro[sel[j]], (size_t)len);
          t->keys.size += len;
          t->koff[t->n + j + 1] = t->keys.size;
          t->refs[t->n + j] = slot | sel[j];
        }
      }
    }
  }
  unref_columns(cols, spec->n_keys);
  if (st != QV_OK || m == 0) return st;
  if (t->n_held == t->held_cap) {
    int32_t cap = t->held_cap ? t->held_cap * 2 : 16;
    qv_record_batch **v = realloc(t->held, (size_t)cap * sizeof *v);
    if (!v) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
    t->held = v;
    t->held_cap = cap;
  }
  t->held[t->n_held++] = qv_record_batch_ref(b);
  t->held_rows += rows;
  t->n += m;
  if (t->n >= t->cap || t->held_rows > 2 * t->n + TOPK_HELD_SLACK) return topk_cut(ss, t, err);
  return QV_OK;
}

static qv_status topk_run(sort_stream *ss, qv_error *err) {
  const sort_payload *p = ss->plan->payload;
  topk t;
  memset(&t, 0, sizeof t);
  t.k = p->fetch;
  t.cap = t.k > INT64_MAX / 4 ? INT64_MAX : t.k + (t.k > TOPK_MIN_SLACK ? t.k : TOPK_MIN_SLACK);
  t.normalized = p->spec.normalized;
  qv_bytes_init(&t.keys, ss->pool);
  qv_bytes_init(&t.thr_row, ss->pool);
  qv_bytes_init(&t.rowbuf, ss->pool);
  qv_status st = QV_OK;
  for (;;) {
    qv_record_batch *b = NULL;
    st = next_input(ss, &b, err);
    if (st != QV_OK || !b) break;
    if (b->num_rows > 0) st = topk_add(ss, &t, b, err);
    qv_record_batch_unref(b);
    if (st != QV_OK) break;
  }
  qv_batch_stream_destroy(ss->input);
  ss->input = NULL;
  if (st == QV_OK) st = topk_cut(ss, &t, err);
  if (st == QV_OK) st = topk_gather(ss, &t, true, err);
  if (st == QV_OK && t.n > 0) {
    ss->data = t.held[0];
    t.held[0] = NULL;
    t.n_held = 0;
    ss->n_out = t.n;
  }
  topk_reset(&t, ss->pool);
  return st;
}

/* ---- the stream ------------------------------------------------------------------ */

static qv_status sort_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  sort_stream *ss = (sort_stream *)s;
  const sort_payload *p = ss->plan->payload;
  if (!ss->started) {
    ss->started = true;
    if (p->fetch == 0) {
      qv_batch_stream_destroy(ss->input);
      ss->input = NULL;
    } else {
      QV_RETURN_NOT_OK(p->fetch > 0 ? topk_run(ss, err) : full_sort_run(ss, err));
    }
  }
  if (ss->next >= ss->n_out) return QV_OK;
  if (qv_task_context_is_cancelled(ss->ctx)) return qv_error_set(err, QV_CANCELLED, "query cancelled");
  int64_t start = ss->next, len = ss->n_out - start;
  if (len > ss->batch_size) len = ss->batch_size;
  ss->next += len;
  if (!ss->perm) {
    if (start == 0 && len == ss->data->num_rows) *out = qv_record_batch_ref(ss->data);
    else QV_RETURN_NOT_OK(qv_record_batch_slice(ss->data, start, len, out, err));
    return QV_OK;
  }
  /* A run already in input order is a slice, not a gather. */
  const uint32_t *perm = ss->perm + start;
  int64_t i = 1;
  while (i < len && perm[i] == perm[0] + (uint32_t)i) i++;
  if (i == len) return qv_record_batch_slice(ss->data, perm[0], len, out, err);
  return qv__sort_check_nomem(qv_record_batch_take(ss->pool, ss->data, perm, len, out, err), ss->pool, OP, err);
}

static void sort_destroy(qv_batch_stream *s) {
  sort_stream *ss = (sort_stream *)s;
  qv_batch_stream_destroy(ss->input);
  qv_record_batch_unref(ss->data);
  qv_free(ss->pool, ss->perm, ss->perm_bytes);
  free(ss->cols);
  qv_exec_plan_unref(ss->plan);
  qv_task_context_unref(ss->ctx);
  qv__stream_free(s);
}

static const qv_batch_stream_vtable sort_vtable = {sort_next, sort_destroy};

static qv_status sort_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                              qv_error *err) {
  const sort_payload *p = self->payload;
  sort_stream *ss = qv__stream_alloc(sizeof *ss, &sort_vtable, self->schema);
  if (ss) ss->cols = calloc((size_t)p->spec.n_keys, sizeof *ss->cols);
  if (!ss || !ss->cols) {
    if (ss) qv__stream_free(&ss->base);
    return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  }
  ss->plan = qv_exec_plan_ref(self);
  ss->ctx = qv_task_context_ref(ctx);
  ss->pool = qv_task_context_allocator(ctx);
  ss->batch_size = qv_session_batch_size(qv_task_context_session(ctx));
  if (ss->batch_size < 1) ss->batch_size = 8192;
  qv_status st = qv_exec_plan_execute(self->children[0], p->preserve_partitioning ? partition : 0, ctx, &ss->input,
                                      err);
  if (st != QV_OK) {
    sort_destroy(&ss->base);
    return st;
  }
  *out = &ss->base;
  return QV_OK;
}

static qv_status sort_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  const sort_payload *p = self->payload;
  QV_RETURN_NOT_OK(qv__appendf(out, err, "expr=["));
  QV_RETURN_NOT_OK(qv__sort_spec_describe(&p->spec, out, err));
  QV_RETURN_NOT_OK(qv__appendf(out, err, "]"));
  if (p->fetch >= 0) QV_RETURN_NOT_OK(qv__appendf(out, err, ", fetch=%lld", (long long)p->fetch));
  return qv__appendf(out, err, ", preserve_partitioning=%s", p->preserve_partitioning ? "true" : "false");
}

static const qv_plan_ops sort_ops = {OP, sort_execute, sort_describe, payload_destroy};

qv_status qv_plan_sort(qv_exec_plan *input, const qv_sort_key *keys, int32_t n_keys, int64_t fetch,
                       bool preserve_partitioning, qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (!input) return qv_error_set(err, QV_INVALID, OP ": no input");
  if (fetch < -1) return qv_error_set(err, QV_INVALID, OP ": fetch %lld is negative", (long long)fetch);
  if (!preserve_partitioning && input->n_partitions != 1)
    return qv_error_set(err, QV_INVALID,
                        OP ": sorting the whole input needs one input partition, input has %d (coalesce it first, "
                           "or preserve partitioning)",
                        input->n_partitions);
  sort_payload *p = calloc(1, sizeof *p);
  if (!p) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  qv_status st = qv__sort_spec_init(&p->spec, OP, keys, n_keys, err);
  if (st != QV_OK) {
    free(p);
    return st;
  }
  p->fetch = fetch;
  p->preserve_partitioning = preserve_partitioning;
  return qv__plan_create(QV_PLAN_SORT, &sort_ops, input->schema, preserve_partitioning ? input->n_partitions : 1,
                         &input, 1, p, out, err);
}
