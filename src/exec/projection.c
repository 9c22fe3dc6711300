/* ProjectionExec: evaluates one expression per output column over each input
 * batch. Column references come out as references to the input arrays. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/exec_internal.h"

typedef struct projection_payload {
  int32_t n;
  qv_expr **exprs;
} projection_payload;

static void payload_destroy(void *p) {
  projection_payload *pp = p;
  for (int32_t i = 0; i < pp->n; i++) qv_expr_unref(pp->exprs[i]);
  free(pp->exprs);
  free(pp);
}

typedef struct projection_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  qv_batch_stream *input;
  qv_array **columns; /* scratch, one per output column */
} projection_stream;

static qv_status projection_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  projection_stream *ps = (projection_stream *)s;
  const projection_payload *p = ps->plan->payload;
  qv_record_batch *in = NULL;
  QV_RETURN_NOT_OK(qv_batch_stream_next(ps->input, &in, err));
  if (!in) return QV_OK;
  qv_allocator *alloc = qv_task_context_allocator(ps->ctx);
  qv_status st = QV_OK;
  int32_t done = 0;
  for (; st == QV_OK && done < p->n; done++) st = qv_expr_evaluate(p->exprs[done], in, alloc, &ps->columns[done], err);
  if (st != QV_OK) done--;
  if (st == QV_OK) st = qv_record_batch_create(s->schema, in->num_rows, ps->columns, p->n, out, err);
  for (int32_t i = 0; i < done; i++) qv_array_unref(ps->columns[i]);
  qv_record_batch_unref(in);
  return qv__exec_memory_error(ps->ctx, "ProjectionExec", st, err);
}

static void projection_destroy(qv_batch_stream *s) {
  projection_stream *ps = (projection_stream *)s;
  qv_batch_stream_destroy(ps->input);
  qv_exec_plan_unref(ps->plan);
  qv_task_context_unref(ps->ctx);
  free(ps->columns);
  qv__stream_free(s);
}

static const qv_batch_stream_vtable projection_vtable = {projection_next, projection_destroy};

static qv_status projection_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx,
                                    qv_batch_stream **out, qv_error *err) {
  const projection_payload *p = self->payload;
  projection_stream *ps = qv__stream_alloc(sizeof *ps, &projection_vtable, self->schema);
  if (ps) ps->columns = calloc((size_t)(p->n ? p->n : 1), sizeof *ps->columns);
  if (!ps || !ps->columns) {
    if (ps) qv__stream_free(&ps->base);
    return qv_error_set(err, QV_NOMEM, "ProjectionExec: out of memory");
  }
  ps->plan = qv_exec_plan_ref(self);
  ps->ctx = qv_task_context_ref(ctx);
  qv_status st = qv_exec_plan_execute(self->children[0], partition, ctx, &ps->input, err);
  if (st != QV_OK) {
    projection_destroy(&ps->base);
    return st;
  }
  *out = &ps->base;
  return QV_OK;
}

static qv_status projection_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  const projection_payload *p = self->payload;
  QV_RETURN_NOT_OK(qv__appendf(out, err, "expr=["));
  for (int32_t i = 0; i < p->n; i++) {
    if (i) QV_RETURN_NOT_OK(qv__appendf(out, err, ", "));
    QV_RETURN_NOT_OK(qv_expr_to_string(p->exprs[i], out, err));
    QV_RETURN_NOT_OK(qv__appendf(out, err, " as %s", self->schema->fields[i]->name));
  }
  return qv__appendf(out, err, "]");
}

static const qv_plan_ops projection_ops = {"ProjectionExec", projection_execute, projection_describe, payload_destroy};

qv_status qv_plan_projection(qv_exec_plan *input, qv_expr *const *exprs, const char *const *names, int32_t n,
                             qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (n < 0) return qv_error_set(err, QV_INVALID, "ProjectionExec: negative column count");
  qv_field **fields = calloc((size_t)(n ? n : 1), sizeof *fields);
  projection_payload *p = calloc(1, sizeof *p);
  if (p) p->exprs = calloc((size_t)(n ? n : 1), sizeof *p->exprs);
  qv_status st = fields && p && p->exprs ? QV_OK : qv_error_set(err, QV_NOMEM, "ProjectionExec: out of memory");
  for (int32_t i = 0; st == QV_OK && i < n; i++) {
    if (!exprs[i] || !names || !names[i]) {
      st = qv_error_set(err, QV_INVALID, "ProjectionExec: column %d has no expression or name", i);
      break;
    }
    p->exprs[i] = qv_expr_ref(exprs[i]);
    p->n = i + 1;
    st = qv_field_create(names[i], qv_expr_type(exprs[i]), qv_expr_nullable(exprs[i]), NULL, &fields[i], err);
  }
  qv_schema *schema = NULL;
  if (st == QV_OK) st = qv_schema_create(fields, n, NULL, &schema, err);
  for (int32_t i = 0; fields && i < n; i++) qv_field_unref(fields[i]);
  free(fields);
  if (st != QV_OK) {
    if (p) payload_destroy(p);
    return st;
  }
  st = qv__plan_create(QV_PLAN_PROJECTION, &projection_ops, schema, input->n_partitions, &input, 1, p, out, err);
  qv_schema_unref(schema);
  return st;
}
