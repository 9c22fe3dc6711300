/* FilterExec: evaluates a boolean predicate over each batch and keeps the
 * rows where it is true (NULL counts as false). Empty results are skipped. */
#include <stdlib.h>

#include "arrow/internal.h"
#include "exec/exec_internal.h"
#include "quiver/compute.h"

typedef struct filter_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  qv_batch_stream *input;
} filter_stream;

static qv_status filter_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  filter_stream *fs = (filter_stream *)s;
  const qv_expr *predicate = fs->plan->payload;
  qv_allocator *alloc = qv_task_context_allocator(fs->ctx);
  for (;;) {
    qv_record_batch *in = NULL;
    QV_RETURN_NOT_OK(qv_batch_stream_next(fs->input, &in, err));
    if (!in) return QV_OK;
    qv_array *mask = NULL;
    qv_status st = qv_expr_evaluate(predicate, in, alloc, &mask, err);
    if (st == QV_OK) st = qv_record_batch_filter(alloc, in, mask, out, err);
    qv_array_unref(mask);
    qv_record_batch_unref(in);
    if (st != QV_OK) return qv__exec_memory_error(fs->ctx, "FilterExec", st, err);
    if ((*out)->num_rows > 0) return QV_OK;
    qv_record_batch_unref(*out);
    *out = NULL;
  }
}

static void filter_destroy(qv_batch_stream *s) {
  filter_stream *fs = (filter_stream *)s;
  qv_batch_stream_destroy(fs->input);
  qv_exec_plan_unref(fs->plan);
  qv_task_context_unref(fs->ctx);
  qv__stream_free(s);
}

static const qv_batch_stream_vtable filter_vtable = {filter_next, filter_destroy};

static qv_status filter_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                                qv_error *err) {
  filter_stream *fs = qv__stream_alloc(sizeof *fs, &filter_vtable, self->schema);
  if (!fs) return qv_error_set(err, QV_NOMEM, "FilterExec: out of memory");
  fs->plan = qv_exec_plan_ref(self);
  fs->ctx = qv_task_context_ref(ctx);
  qv_status st = qv_exec_plan_execute(self->children[0], partition, ctx, &fs->input, err);
  if (st != QV_OK) {
    filter_destroy(&fs->base);
    return st;
  }
  *out = &fs->base;
  return QV_OK;
}

static qv_status filter_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  return qv_expr_to_string(self->payload, out, err);
}

static void predicate_destroy(void *p) { qv_expr_unref(p); }

static const qv_plan_ops filter_ops = {"FilterExec", filter_execute, filter_describe, predicate_destroy};

qv_status qv_plan_filter(qv_exec_plan *input, qv_expr *predicate, qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (!predicate) return qv_error_set(err, QV_INVALID, "FilterExec: no predicate");
  if (qv_expr_type(predicate)->id != QV_BOOL) {
    char buf[128];
    return qv_error_set(err, QV_TYPE_ERROR, "FilterExec: predicate is %s, not bool",
                        qv_type_to_string(qv_expr_type(predicate), buf, sizeof buf));
  }
  return qv__plan_create(QV_PLAN_FILTER, &filter_ops, input->schema, input->n_partitions, &input, 1,
                         qv_expr_ref(predicate), out, err);
}
