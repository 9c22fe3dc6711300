/* MemoryScanExec, ValuesExec and EmptyExec: sources whose batches are already
 * in memory. They hand out references to the batches, never copies. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/exec_internal.h"

typedef struct memory_payload {
  int32_t n_partitions;
  int64_t *n_batches;
  qv_record_batch ***batches;
  bool one_empty_row; /* EmptyExec producing one row of no columns */
} memory_payload;

static void payload_destroy(void *p) {
  memory_payload *m = p;
  for (int32_t i = 0; i < m->n_partitions; i++) {
    for (int64_t j = 0; m->batches[i] && j < m->n_batches[i]; j++) qv_record_batch_unref(m->batches[i][j]);
    free(m->batches[i]);
  }
  free(m->batches);
  free(m->n_batches);
  free(m);
}

typedef struct memory_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  int32_t partition;
  int64_t next;
} memory_stream;

static qv_status memory_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  memory_stream *m = (memory_stream *)s;
  const memory_payload *p = m->plan->payload;
  if (qv_task_context_is_cancelled(m->ctx)) return qv_error_set(err, QV_CANCELLED, "query cancelled");
  if (m->next < p->n_batches[m->partition]) *out = qv_record_batch_ref(p->batches[m->partition][m->next++]);
  return QV_OK;
}

static void memory_destroy(qv_batch_stream *s) {
  memory_stream *m = (memory_stream *)s;
  qv_exec_plan_unref(m->plan);
  qv_task_context_unref(m->ctx);
  qv__stream_free(s);
}

static const qv_batch_stream_vtable memory_stream_vtable = {memory_next, memory_destroy};

static qv_status memory_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                                qv_error *err) {
  memory_stream *m = qv__stream_alloc(sizeof *m, &memory_stream_vtable, self->schema);
  if (!m) return qv_error_set(err, QV_NOMEM, "%s: out of memory", self->ops->name);
  m->plan = qv_exec_plan_ref(self);
  m->ctx = qv_task_context_ref(ctx);
  m->partition = partition;
  *out = &m->base;
  return QV_OK;
}

static qv_status memory_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  const memory_payload *p = self->payload;
  int64_t rows = 0, batches = 0;
  for (int32_t i = 0; i < p->n_partitions; i++)
    for (int64_t j = 0; j < p->n_batches[i]; j++, batches++) rows += p->batches[i][j]->num_rows;
  return qv__appendf(out, err, "partitions=%d, batches=%lld, rows=%lld", p->n_partitions, (long long)batches,
                     (long long)rows);
}

static const qv_plan_ops memory_ops = {"MemoryScanExec", memory_execute, memory_describe, payload_destroy};
static const qv_plan_ops values_ops = {"ValuesExec", memory_execute, memory_describe, payload_destroy};
static const qv_plan_ops empty_ops = {"EmptyExec", memory_execute, NULL, payload_destroy};

static qv_status payload_new(int32_t n_partitions, memory_payload **out, qv_error *err) {
  memory_payload *p = calloc(1, sizeof *p);
  if (p) {
    p->n_partitions = n_partitions;
    p->n_batches = calloc((size_t)n_partitions, sizeof *p->n_batches);
    p->batches = calloc((size_t)n_partitions, sizeof *p->batches);
  }
  if (!p || !p->n_batches || !p->batches) {
    if (p) payload_destroy(p);
    return qv_error_set(err, QV_NOMEM, "memory scan: out of memory");
  }
  *out = p;
  return QV_OK;
}

qv_status qv_plan_memory_scan(qv_schema *schema, qv_record_batch *const *const *batches, const int64_t *n_batches,
                              int32_t n_partitions, qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (n_partitions < 1) return qv_error_set(err, QV_INVALID, "MemoryScanExec: needs at least one partition");
  for (int32_t i = 0; i < n_partitions; i++)
    for (int64_t j = 0; j < n_batches[i]; j++)
      if (!qv_schema_equals(batches[i][j]->schema, schema))
        return qv_error_set(err, QV_TYPE_ERROR, "MemoryScanExec: partition %d batch %lld does not have the scan's schema",
                            i, (long long)j);
  memory_payload *p;
  QV_RETURN_NOT_OK(payload_new(n_partitions, &p, err));
  for (int32_t i = 0; i < n_partitions; i++) {
    p->batches[i] = calloc((size_t)(n_batches[i] ? n_batches[i] : 1), sizeof **p->batches);
    if (!p->batches[i]) {
      payload_destroy(p);
      return qv_error_set(err, QV_NOMEM, "MemoryScanExec: out of memory");
    }
    for (int64_t j = 0; j < n_batches[i]; j++) p->batches[i][j] = qv_record_batch_ref(batches[i][j]);
    p->n_batches[i] = n_batches[i];
  }
  return qv__plan_create(QV_PLAN_MEMORY_SCAN, &memory_ops, schema, n_partitions, NULL, 0, p, out, err);
}

qv_status qv_plan_values(qv_record_batch *rows, qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  memory_payload *p;
  QV_RETURN_NOT_OK(payload_new(1, &p, err));
  p->batches[0] = malloc(sizeof **p->batches);
  if (!p->batches[0]) {
    payload_destroy(p);
    return qv_error_set(err, QV_NOMEM, "ValuesExec: out of memory");
  }
  p->batches[0][0] = qv_record_batch_ref(rows);
  p->n_batches[0] = 1;
  return qv__plan_create(QV_PLAN_VALUES, &values_ops, rows->schema, 1, NULL, 0, p, out, err);
}

qv_status qv_plan_empty(qv_schema *schema, bool one_row, qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (one_row && schema->n_fields != 0)
    return qv_error_set(err, QV_INVALID, "EmptyExec: a one-row empty relation has no columns");
  memory_payload *p;
  QV_RETURN_NOT_OK(payload_new(1, &p, err));
  p->one_empty_row = one_row;
  if (one_row) {
    p->batches[0] = malloc(sizeof **p->batches);
    qv_status st = p->batches[0] ? qv_record_batch_create(schema, 1, NULL, 0, &p->batches[0][0], err)
                                 : qv_error_set(err, QV_NOMEM, "EmptyExec: out of memory");
    if (st != QV_OK) {
      payload_destroy(p);
      return st;
    }
    p->n_batches[0] = 1;
  }
  return qv__plan_create(QV_PLAN_EMPTY, &empty_ops, schema, 1, NULL, 0, p, out, err);
}
