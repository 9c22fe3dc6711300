/* UnionExec: the partitions of every input, one after another. Output
 * partition k is partition k - (partitions before it) of the input it falls
 * in; nothing is copied or buffered. */
#include <stdlib.h>

#include "arrow/internal.h"
#include "exec/exec_internal.h"

static qv_status union_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                               qv_error *err) {
  for (int32_t i = 0; i < self->n_children; i++) {
    int32_t n = self->children[i]->n_partitions;
    if (partition < n) return qv_exec_plan_execute(self->children[i], partition, ctx, out, err);
    partition -= n;
  }
  return qv_error_set(err, QV_INTERNAL, "UnionExec: partition out of range");
}

static qv_status union_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  return qv__appendf(out, err, "inputs=%d", self->n_children);
}

static const qv_plan_ops union_ops = {"UnionExec", union_execute, union_describe, NULL};

/* Same column types in the same order; names and nullability may differ. */
static bool union_compatible(const qv_schema *a, const qv_schema *b) {
  if (a->n_fields != b->n_fields) return false;
  for (int32_t i = 0; i < a->n_fields; i++)
    if (!qv_type_equals(a->fields[i]->type, b->fields[i]->type)) return false;
  return true;
}

qv_status qv_plan_union(qv_exec_plan *const *inputs, int32_t n, qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (n < 1) return qv_error_set(err, QV_INVALID, "UnionExec: needs at least one input");
  int64_t partitions = 0;
  bool any_nullable_differs = false;
  for (int32_t i = 0; i < n; i++) {
    if (!union_compatible(inputs[0]->schema, inputs[i]->schema))
      return qv_error_set(err, QV_TYPE_ERROR, "UnionExec: input %d's columns do not match input 0's", i);
    partitions += inputs[i]->n_partitions;
    for (int32_t c = 0; c < inputs[i]->schema->n_fields; c++)
      any_nullable_differs |= inputs[i]->schema->fields[c]->nullable && !inputs[0]->schema->fields[c]->nullable;
  }
  if (partitions > INT32_MAX) return qv_error_set(err, QV_INVALID, "UnionExec: too many partitions");
  /* The output is nullable where any input is. */
  qv_schema *schema = qv_schema_ref(inputs[0]->schema);
  if (any_nullable_differs) {
    const qv_schema *s0 = inputs[0]->schema;
    qv_field **fields = calloc((size_t)s0->n_fields, sizeof *fields);
    qv_status st = fields ? QV_OK : qv_error_set(err, QV_NOMEM, "UnionExec: out of memory");
    for (int32_t c = 0; st == QV_OK && c < s0->n_fields; c++) {
      bool nullable = false;
      for (int32_t i = 0; i < n; i++) nullable |= inputs[i]->schema->fields[c]->nullable;
      st = qv_field_create(s0->fields[c]->name, s0->fields[c]->type, nullable, s0->fields[c]->metadata, &fields[c],
                           err);
    }
    qv_schema_unref(schema);
    schema = NULL;
    if (st == QV_OK) st = qv_schema_create(fields, s0->n_fields, s0->metadata, &schema, err);
    for (int32_t c = 0; fields && c < s0->n_fields; c++) qv_field_unref(fields[c]);
    free(fields);
    if (st != QV_OK) return st;
  }
  qv_status st = qv__plan_create(QV_PLAN_UNION, &union_ops, schema, (int32_t)partitions, inputs, n, NULL, out, err);
  qv_schema_unref(schema);
  return st;
}
