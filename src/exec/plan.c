/* Plan nodes: creation, reference counting, accessors, execution dispatch,
 * EXPLAIN rendering and user-defined (custom) operators. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_internal.h"

qv_status qv__plan_create(qv_plan_kind kind, const qv_plan_ops *ops, qv_schema *schema, int32_t n_partitions,
                          qv_exec_plan *const *children, int32_t n_children, void *payload, qv_exec_plan **out,
                          qv_error *err) {
  *out = NULL;
  qv_status st = QV_OK;
  if (!schema) st = qv_error_set(err, QV_INVALID, "%s: no schema", ops->name);
  else if (n_partitions < 1) st = qv_error_set(err, QV_INVALID, "%s: %d partitions", ops->name, n_partitions);
  for (int32_t i = 0; st == QV_OK && i < n_children; i++)
    if (!children[i]) st = qv_error_set(err, QV_INVALID, "%s: child %d is NULL", ops->name, i);
  qv_exec_plan *p = NULL;
  if (st == QV_OK) {
    p = calloc(1, sizeof *p);
    if (p && n_children) p->children = calloc((size_t)n_children, sizeof *p->children);
    if (!p || (n_children && !p->children)) {
      free(p);
      p = NULL;
      st = qv_error_set(err, QV_NOMEM, "%s: out of memory", ops->name);
    }
  }
  if (st != QV_OK) {
    if (payload && ops->destroy_payload) ops->destroy_payload(payload);
    return st;
  }
  atomic_init(&p->refcount, 1);
  p->kind = kind;
  p->ops = ops;
  p->schema = qv_schema_ref(schema);
  p->n_partitions = n_partitions;
  p->n_children = n_children;
  for (int32_t i = 0; i < n_children; i++) p->children[i] = qv_exec_plan_ref(children[i]);
  p->payload = payload;
  *out = p;
  return QV_OK;
}

qv_exec_plan *qv_exec_plan_ref(qv_exec_plan *p) {
  if (p) atomic_fetch_add(&p->refcount, 1);
  return p;
}

void qv_exec_plan_unref(qv_exec_plan *p) {
  if (!p || atomic_fetch_sub(&p->refcount, 1) != 1) return;
  if (p->kind == QV_PLAN_CUSTOM) {
    if (p->payload && p->custom.destroy) p->custom.destroy(p->payload);
  } else if (p->payload && p->ops->destroy_payload) {
    p->ops->destroy_payload(p->payload);
  }
  for (int32_t i = 0; i < p->n_children; i++) qv_exec_plan_unref(p->children[i]);
  free(p->children);
  qv_schema_unref(p->schema);
  free(p);
}

const char *qv_exec_plan_name(const qv_exec_plan *p) {
  return p->kind == QV_PLAN_CUSTOM ? p->custom.name : p->ops->name;
}
qv_schema *qv_exec_plan_schema(const qv_exec_plan *p) { return p->schema; }
int32_t qv_exec_plan_num_partitions(const qv_exec_plan *p) { return p->n_partitions; }
int32_t qv_exec_plan_num_children(const qv_exec_plan *p) { return p->n_children; }
qv_exec_plan *qv_exec_plan_child(const qv_exec_plan *p, int32_t i) { return p->children[i]; }

qv_status qv_exec_plan_execute(qv_exec_plan *p, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                               qv_error *err) {
  *out = NULL;
  if (partition < 0 || partition >= p->n_partitions)
    return qv_error_set(err, QV_INVALID, "%s: partition %d out of range [0, %d)", qv_exec_plan_name(p), partition,
                        p->n_partitions);
  if (qv_task_context_is_cancelled(ctx)) return qv_error_set(err, QV_CANCELLED, "query cancelled");
  return p->ops->execute(p, partition, ctx, out, err);
}

/* ---- streams -------------------------------------------------------------- */

qv_status qv_batch_stream_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  *out = NULL;
  return s->vtable->next(s, out, err);
}

void qv_batch_stream_destroy(qv_batch_stream *s) {
  if (s) s->vtable->destroy(s);
}

qv_schema *qv_batch_stream_schema(const qv_batch_stream *s) { return s->schema; }

void *qv__stream_alloc(size_t size, const qv_batch_stream_vtable *vtable, qv_schema *schema) {
  qv_batch_stream *s = calloc(1, size);
  if (!s) return NULL;
  s->vtable = vtable;
  s->schema = qv_schema_ref(schema);
  return s;
}

void qv__stream_free(qv_batch_stream *s) {
  if (!s) return;
  qv_schema_unref(s->schema);
  free(s);
}

qv_status qv__appendf(qv_bytes *out, qv_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return qv_error_set(err, QV_INTERNAL, "explain: bad format");
  QV_RETURN_NOT_OK(qv_bytes_reserve(out, n + 1, err));
  va_start(ap, fmt);
  vsnprintf((char *)out->data + out->size, (size_t)n + 1, fmt, ap);
  va_end(ap);
  out->size += n;
  return QV_OK;
}

/* ---- EXPLAIN ------------------------------------------------------------------ */

static qv_status explain_node(const qv_exec_plan *p, int depth, qv_bytes *out, qv_error *err) {
  if (depth > 256) return qv_error_set(err, QV_INVALID, "explain: plan deeper than 256 levels");
  QV_RETURN_NOT_OK(qv_bytes_reserve(out, depth * 2 + 64, err));
  for (int i = 0; i < depth; i++) QV_RETURN_NOT_OK(qv_bytes_append(out, "  ", 2, err));
  const char *name = qv_exec_plan_name(p);
  QV_RETURN_NOT_OK(qv_bytes_append(out, name, (int64_t)strlen(name), err));
  QV_RETURN_NOT_OK(qv_bytes_append(out, ": ", 2, err));
  int64_t before = out->size;
  if (p->kind == QV_PLAN_CUSTOM) {
    if (p->custom.describe) QV_RETURN_NOT_OK(p->custom.describe(p->payload, out, err));
  } else if (p->ops->describe) {
    QV_RETURN_NOT_OK(p->ops->describe(p, out, err));
  }
  if (out->size == before) out->size -= 2; /* no details: drop ": " */
  QV_RETURN_NOT_OK(qv_bytes_append(out, "\n", 1, err));
  for (int32_t i = 0; i < p->n_children; i++) QV_RETURN_NOT_OK(explain_node(p->children[i], depth + 1, out, err));
  return QV_OK;
}

qv_status qv_exec_plan_explain(const qv_exec_plan *p, char **out, qv_error *err) {
  *out = NULL;
  qv_bytes text;
  qv_bytes_init(&text, NULL);
  qv_status st = explain_node(p, 0, &text, err);
  if (st == QV_OK) {
    *out = malloc((size_t)text.size + 1);
    if (!*out) st = qv_error_set(err, QV_NOMEM, "explain: out of memory");
    else {
      memcpy(*out, text.data, (size_t)text.size);
      (*out)[text.size] = '\0';
    }
  }
  qv_bytes_reset(&text);
  return st;
}

/* ---- custom operators ------------------------------------------------------------ */

static qv_status custom_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                                qv_error *err) {
  return self->custom.execute(self->payload, self, partition, ctx, out, err);
}

static const qv_plan_ops custom_ops = {"CustomExec", custom_execute, NULL, NULL};

qv_status qv_exec_plan_create_custom(const qv_exec_plan_vtable *vtable, void *state, qv_schema *schema,
                                     int32_t n_partitions, qv_exec_plan *const *children, int32_t n_children,
                                     qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (!vtable || !vtable->name || !vtable->execute) {
    if (vtable && vtable->destroy && state) vtable->destroy(state);
    return qv_error_set(err, QV_INVALID, "custom operator: vtable needs a name and execute");
  }
  qv_status st = qv__plan_create(QV_PLAN_CUSTOM, &custom_ops, schema, n_partitions, children, n_children, NULL, out,
                                 err);
  if (st != QV_OK) {
    if (vtable->destroy && state) vtable->destroy(state);
    return st;
  }
  (*out)->custom = *vtable;
  (*out)->payload = state;
  return QV_OK;
}

void *qv_exec_plan_custom_state(const qv_exec_plan *p) { return p->kind == QV_PLAN_CUSTOM ? p->payload : NULL; }
