/* NestedLoopJoinExec: joins on any condition (a residual filter over left ++
 * right) and cross joins (no filter), for every join type.
 *
 * The left input is collected once per execution, reading its partitions
 * concurrently, and shared by every probe partition (the right input's
 * partitions are the output partitions), like a CollectLeft hash join; build
 * rows that are emitted after probing (left/full padding, left semi/anti,
 * mark) come out once, from the last probe partition to finish.
 *
 * For each right batch the (left row, right row) pairs are enumerated in
 * blocks of at most batch_size, in right-row-major order, resuming where the
 * previous block stopped; each block is gathered into a candidate batch and
 * the filter runs once over it (join_output.c). Semi and anti joins skip the
 * pairs that can no longer change the answer (left rows already matched,
 * right rows already matched), and without a filter they are decided without
 * enumerating pairs. Marks are exact here: true when some pair's filter is
 * true, NULL when none is but some is NULL, false otherwise. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/join_internal.h"

#define OP "NestedLoopJoinExec"

typedef struct nlj_payload {
  qv_expr *filter;
  qv_join_type type;
  qv_schema *concat_schema;
} nlj_payload;

static void payload_destroy(void *p) {
  nlj_payload *np = p;
  qv_expr_unref(np->filter);
  qv_schema_unref(np->concat_schema);
  free(np);
}

typedef enum stage { STAGE_PROBE, STAGE_FINISH, STAGE_BUILD_ROWS, STAGE_DONE } stage;

typedef struct nlj_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  qv_batch_stream *probe_input;
  qv_join_build *build;
  bool built;
  stage stage;
  qv_join_output out;
  int64_t build_cursor;
  qv_record_batch *batch;   /* the current right batch */
  int64_t probe_row, build_row; /* the next pair */
  bool probe_rows_done;
  uint32_t *bidx, *pidx;
  int64_t chunk_cap;
} nlj_stream;

static bool is_left_existence(qv_join_type t) {
  return t == QV_JOIN_LEFT_SEMI || t == QV_JOIN_LEFT_ANTI || t == QV_JOIN_LEFT_MARK;
}

static bool is_right_existence(qv_join_type t) { return t == QV_JOIN_RIGHT_SEMI || t == QV_JOIN_RIGHT_ANTI; }

static qv_status start_probe_batch(nlj_stream *ns, qv_record_batch *batch, qv_error *err) {
  const nlj_payload *p = ns->plan->payload;
  qv_join_build *b = ns->build;
  ns->batch = batch;
  ns->probe_row = 0;
  ns->build_row = 0;
  ns->probe_rows_done = false;
  QV_RETURN_NOT_OK(qv__join_output_set_probe(&ns->out, batch, err));
  if (batch->num_rows > 0) atomic_store(&b->probe_nonempty, true);
  if (!p->filter && b->n_rows > 0 && batch->num_rows > 0) {
    /* A cross join: every pair matches, so existence joins are decided. */
    if (is_left_existence(p->type)) {
      for (int64_t r = 0; r < b->n_rows; r++) qv__join_visit(b, r);
      ns->probe_row = batch->num_rows;
    } else if (is_right_existence(p->type)) {
      memset(ns->out.probe_matched, 1, (size_t)batch->num_rows);
      ns->probe_row = batch->num_rows;
    }
  }
  return QV_OK;
}

/* The next block of pairs of the current right batch, through the filter. */
static qv_status pair_chunk(nlj_stream *ns, qv_record_batch **out, qv_error *err) {
  const nlj_payload *p = ns->plan->payload;
  qv_join_build *b = ns->build;
  bool skip_visited = is_left_existence(p->type), skip_matched = is_right_existence(p->type);
  int64_t n = ns->batch->num_rows, nb = b->n_rows, m = 0, cap = ns->chunk_cap;
  int64_t i = ns->probe_row, r = ns->build_row;
  while (i < n && m < cap) {
    if (skip_matched && ns->out.probe_matched[i]) {
      i++;
      r = 0;
      continue;
    }
    for (; r < nb && m < cap; r++) {
      if (skip_visited && qv__join_visited(b, r)) continue;
      ns->bidx[m] = (uint32_t)r;
      ns->pidx[m] = (uint32_t)i;
      m++;
    }
    if (r == nb) {
      i++;
      r = 0;
    }
  }
  ns->probe_row = i;
  ns->build_row = r;
  return qv__join_output_pairs(&ns->out, ns->bidx, ns->pidx, m, out, err);
}

static void finish_probe(nlj_stream *ns) {
  const nlj_payload *p = ns->plan->payload;
  qv_batch_stream_destroy(ns->probe_input);
  ns->probe_input = NULL;
  bool last = qv__join_build_probe_finished(ns->build);
  ns->stage = last && qv__join_emits_build_rows(p->type) ? STAGE_BUILD_ROWS : STAGE_DONE;
}

static void drop_probe_batch(nlj_stream *ns) {
  qv_record_batch_unref(ns->batch);
  ns->batch = NULL;
  ns->out.probe = NULL;
}

static qv_status nlj_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  nlj_stream *ns = (nlj_stream *)s;
  const nlj_payload *p = ns->plan->payload;
  if (qv_task_context_is_cancelled(ns->ctx)) return qv_error_set(err, QV_CANCELLED, "query cancelled");
  if (!ns->built && ns->stage != STAGE_DONE) {
    unsigned flags = 0;
    if (qv__join_emits_build_rows(p->type)) flags |= QV_JOIN_BUILD_VISITED;
    if (p->type == QV_JOIN_LEFT_MARK && p->filter) flags |= QV_JOIN_BUILD_MAYBE;
    QV_RETURN_NOT_OK(
        qv__join_build_wait(ns->build, ns->plan->children[0], -1, ns->ctx, OP, flags, NULL, NULL, err));
    ns->built = true;
    ns->out.build = ns->build;
    if (ns->build->n_rows == 0 && qv__join_empty_build_is_empty(p->type)) finish_probe(ns);
  }
  for (;;) {
    switch (ns->stage) {
      case STAGE_DONE: return QV_OK;
      case STAGE_FINISH: finish_probe(ns); break;
      case STAGE_BUILD_ROWS:
        QV_RETURN_NOT_OK(qv__join_output_build_rows(&ns->out, &ns->build_cursor, out, err));
        if (!*out) ns->stage = STAGE_DONE;
        return QV_OK;
      case STAGE_PROBE:
        if (ns->batch && ns->probe_row < ns->batch->num_rows) {
          QV_RETURN_NOT_OK(pair_chunk(ns, out, err));
          if (*out) return QV_OK;
        } else if (ns->batch && !ns->probe_rows_done) {
          ns->probe_rows_done = true;
          QV_RETURN_NOT_OK(qv__join_output_probe_rows(&ns->out, out, err));
          if (*out) return QV_OK;
        } else {
          drop_probe_batch(ns);
          if (qv_task_context_is_cancelled(ns->ctx)) return qv_error_set(err, QV_CANCELLED, "query cancelled");
          qv_record_batch *b = NULL;
          QV_RETURN_NOT_OK(qv_batch_stream_next(ns->probe_input, &b, err));
          if (!b) ns->stage = STAGE_FINISH;
          else QV_RETURN_NOT_OK(start_probe_batch(ns, b, err));
        }
        break;
    }
  }
}

static void nlj_destroy(qv_batch_stream *s) {
  nlj_stream *ns = (nlj_stream *)s;
  drop_probe_batch(ns);
  qv_batch_stream_destroy(ns->probe_input);
  qv__join_output_reset(&ns->out);
  qv__join_build_release(ns->build);
  free(ns->bidx);
  free(ns->pidx);
  qv_exec_plan_unref(ns->plan);
  qv_task_context_unref(ns->ctx);
  qv__stream_free(s);
}

static const qv_batch_stream_vtable nlj_vtable = {nlj_next, nlj_destroy};

static qv_status nlj_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                             qv_error *err) {
  const nlj_payload *p = self->payload;
  nlj_stream *ns = qv__stream_alloc(sizeof *ns, &nlj_vtable, self->schema);
  if (!ns) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  ns->plan = qv_exec_plan_ref(self);
  ns->ctx = qv_task_context_ref(ctx);
  ns->stage = STAGE_PROBE;
  int64_t chunk = qv_session_batch_size(qv_task_context_session(ctx));
  if (chunk < 1) chunk = 8192;
  ns->chunk_cap = chunk;
  ns->bidx = malloc((size_t)chunk * sizeof *ns->bidx);
  ns->pidx = malloc((size_t)chunk * sizeof *ns->pidx);
  qv_status st = ns->bidx && ns->pidx ? QV_OK : qv_error_set(err, QV_NOMEM, OP ": out of memory");
  if (st == QV_OK)
    st = qv__join_output_init(&ns->out, p->type, self->schema, p->concat_schema, p->filter,
                              self->children[0]->schema->n_fields, self->children[1]->schema->n_fields,
                              qv_task_context_allocator(ctx), chunk, err);
  if (st == QV_OK) st = qv__join_build_acquire(ctx, self, self->n_partitions, &ns->build, err);
  if (st == QV_OK) st = qv_exec_plan_execute(self->children[1], partition, ctx, &ns->probe_input, err);
  if (st != QV_OK) {
    nlj_destroy(&ns->base);
    return st;
  }
  *out = &ns->base;
  return QV_OK;
}

static qv_status nlj_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  const nlj_payload *p = self->payload;
  QV_RETURN_NOT_OK(qv__appendf(out, err, "join_type=%s", qv__join_type_name(p->type)));
  if (p->filter) {
    QV_RETURN_NOT_OK(qv__appendf(out, err, ", filter="));
    QV_RETURN_NOT_OK(qv_expr_to_string(p->filter, out, err));
  }
  return QV_OK;
}

static const qv_plan_ops nlj_ops = {OP, nlj_execute, nlj_describe, payload_destroy};

qv_status qv_plan_nested_loop_join(qv_exec_plan *left, qv_exec_plan *right, qv_expr *filter, qv_join_type type,
                                   qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (!left || !right) return qv_error_set(err, QV_INVALID, OP ": missing input");
  if ((int)type < QV_JOIN_INNER || type > QV_JOIN_LEFT_MARK)
    return qv_error_set(err, QV_INVALID, OP ": unknown join type %d", (int)type);
  nlj_payload *p = calloc(1, sizeof *p);
  if (!p) return qv_error_set(err, QV_NOMEM, OP ": out of memory");
  p->filter = filter ? qv_expr_ref(filter) : NULL;
  p->type = type;
  qv_schema *schema = NULL;
  qv_status st = qv__join_concat_schema(left->schema, right->schema, &p->concat_schema, err);
  if (st == QV_OK) st = qv__join_check_filter(OP, filter, p->concat_schema, err);
  if (st == QV_OK) st = qv__join_output_schema(left->schema, right->schema, type, &schema, err);
  if (st != QV_OK) {
    payload_destroy(p);
    return st;
  }
  qv_exec_plan *children[2] = {left, right};
  st = qv__plan_create(QV_PLAN_NESTED_LOOP_JOIN, &nlj_ops, schema, right->n_partitions, children, 2, p, out, err);
  qv_schema_unref(schema);
  return st;
}
