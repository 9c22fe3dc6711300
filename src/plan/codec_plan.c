/* Physical plans on the wire: qv_plan_encode and qv_plan_decode.
 *
 * Encoding reads each built-in operator's parameters through the accessors
 * of exec/plan_accessors.h and exec/hash_aggregate_internal.h (file scans:
 * codec_scan.c) and builds the
 * protobuf-c message tree in an arena; custom operators go to the extension
 * codec registered under their name in the session. Decoding unpacks
 * untrusted bytes safely (codec_wire.c), then rebuilds the plan bottom-up
 * through the constructors of plan.h, each fed with expressions rebuilt
 * against its inputs' schemas, so everything the constructors check (types,
 * partition counts, key compatibility) is checked for decoded plans as well.
 *
 * One parameter is not kept by its node: the expressions of a final
 * aggregation were built against the partial aggregation's input, which
 * the final node does not hold. The encoder derives from the expressions a
 * schema holding the columns they read, which is all that rebuilding them
 * needs (HashAggregateNode.partial_input_schema). */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/exec_internal.h"
#include "exec/hash_aggregate_internal.h"
#include "exec/join_internal.h"
#include "exec/plan_accessors.h"
#include "expr/session_internal.h"
#include "plan/codec_internal.h"

/* ---- encoding ------------------------------------------------------------------------ */

static qv_status encode_plan(qv__plan_enc *e, const qv_exec_plan *p, int32_t depth, Quiver__PhysicalPlan **out,
                             qv_error *err);

/* A root expression of operator `op`, errors prefixed "<op> <what> <i>". */
static qv_status encode_expr_at(qv__plan_enc *e, const qv_expr *x, const char *op, const char *what, int32_t i,
                                Quiver__PhysicalExpr **out, qv_error *err) {
  qv_status st = qv__encode_expr(e, x, out, err);
  if (st != QV_OK) qv_error_prefix(err, "%s %s %d", op, what, i);
  return st;
}

static qv_status alloc_array(qv__plan_enc *e, size_t n, size_t elem, void **out, qv_error *err) {
  return qv__plan_enc_alloc(e, (n ? n : 1) * elem, out, err);
}

static qv_status encode_names_of_schema(qv__plan_enc *e, const qv_schema *s, int32_t n, char ***out, size_t *n_out,
                                        qv_error *err) {
  QV_RETURN_NOT_OK(alloc_array(e, (size_t)n, sizeof **out, (void **)out, err));
  for (int32_t i = 0; i < n; i++)
    QV_RETURN_NOT_OK(qv__plan_enc_strdup(e, qv_field_name(qv_schema_field(s, i)), &(*out)[i], err));
  *n_out = (size_t)n;
  return QV_OK;
}

static qv_status encode_memory(qv__plan_enc *e, const qv_exec_plan *p, Quiver__PhysicalPlan *m, qv_error *err) {
  if (p->kind == QV_PLAN_EMPTY) {
    QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__EmptyNode, quiver__empty_node__init, &m->empty, err));
    m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_EMPTY;
    m->empty->one_row = qv__empty_one_row(p);
    return qv__encode_schema(e, p->schema, &m->empty->schema, err);
  }
  if (p->kind == QV_PLAN_VALUES) {
    QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__ValuesNode, quiver__values_node__init, &m->values, err));
    m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_VALUES;
    qv_record_batch *rows = qv__memory_scan_batch(p, 0, 0);
    return qv__encode_ipc(e, rows->schema, &rows, 1, &m->values->ipc, err);
  }
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__MemoryScanNode, quiver__memory_scan_node__init, &m->memory_scan, err));
  m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_MEMORY_SCAN;
  Quiver__MemoryScanNode *ms = m->memory_scan;
  QV_RETURN_NOT_OK(qv__encode_schema(e, p->schema, &ms->schema, err));
  QV_RETURN_NOT_OK(alloc_array(e, (size_t)p->n_partitions, sizeof *ms->partitions, (void **)&ms->partitions, err));
  for (int32_t i = 0; i < p->n_partitions; i++) {
    int64_t n = qv__memory_scan_num_batches(p, i);
    qv_record_batch **batches = malloc((size_t)(n ? n : 1) * sizeof *batches);
    if (!batches) return qv_error_set(err, QV_NOMEM, "out of memory");
    for (int64_t j = 0; j < n; j++) batches[j] = qv__memory_scan_batch(p, i, j);
    qv_status st = qv__encode_ipc(e, p->schema, batches, n, &ms->partitions[i], err);
    free(batches);
    if (st != QV_OK) {
      qv_error_prefix(err, "MemoryScanExec partition %d", i);
      return st;
    }
  }
  ms->n_partitions = (size_t)p->n_partitions;
  return QV_OK;
}

static qv_status encode_hash_aggregate(qv__plan_enc *e, const qv_exec_plan *p, int32_t depth, Quiver__PhysicalPlan *m,
                                       qv_error *err) {
  static const char op[] = "HashAggregateExec";
  QV_RETURN_NOT_OK(
      QV__PLAN_NEW(e, Quiver__HashAggregateNode, quiver__hash_aggregate_node__init, &m->hash_aggregate, err));
  m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_HASH_AGGREGATE;
  Quiver__HashAggregateNode *a = m->hash_aggregate;
  qv_aggregate_mode mode = qv__hash_aggregate_mode(p);
  a->mode = (uint32_t)mode;
  int32_t ng = qv__hash_aggregate_num_groups(p), na = qv__hash_aggregate_num_aggs(p);
  QV_RETURN_NOT_OK(alloc_array(e, (size_t)ng, sizeof *a->groups, (void **)&a->groups, err));
  for (int32_t i = 0; i < ng; i++)
    QV_RETURN_NOT_OK(encode_expr_at(e, qv__hash_aggregate_group(p, i), op, "group", i, &a->groups[i], err));
  a->n_groups = (size_t)ng;
  QV_RETURN_NOT_OK(encode_names_of_schema(e, p->schema, ng, &a->group_names, &a->n_group_names, err));
  QV_RETURN_NOT_OK(alloc_array(e, (size_t)na, sizeof *a->aggregates, (void **)&a->aggregates, err));
  for (int32_t j = 0; j < na; j++) {
    qv_status st = qv__encode_aggregate(e, qv__hash_aggregate_agg(p, j), &a->aggregates[j], err);
    if (st != QV_OK) {
      qv_error_prefix(err, "%s aggregate %d", op, j);
      return st;
    }
  }
  a->n_aggregates = (size_t)na;
  if (mode == QV_AGG_FINAL || mode == QV_AGG_FINAL_PARTITIONED) {
    qv_expr **groups = malloc((size_t)(ng ? ng : 1) * sizeof *groups);
    const qv_aggregate_expr **aggs = malloc((size_t)(na ? na : 1) * sizeof *aggs);
    qv_schema *partial = NULL;
    qv_status st = groups && aggs ? QV_OK : qv_error_set(err, QV_NOMEM, "out of memory");
    for (int32_t i = 0; st == QV_OK && i < ng; i++) groups[i] = qv__hash_aggregate_group(p, i);
    for (int32_t j = 0; st == QV_OK && j < na; j++) aggs[j] = qv__hash_aggregate_agg(p, j);
    if (st == QV_OK) st = qv__schema_of_columns(groups, ng, aggs, na, &partial, err);
    if (st == QV_OK) st = qv__encode_schema(e, partial, &a->partial_input_schema, err);
    qv_schema_unref(partial);
    free(groups);
    free(aggs);
    QV_RETURN_NOT_OK(st);
  }
  return encode_plan(e, p->children[0], depth + 1, &a->input, err);
}

static qv_status encode_join(qv__plan_enc *e, const qv_exec_plan *p, int32_t depth, Quiver__PhysicalPlan *m,
                             qv_error *err) {
  if (p->kind == QV_PLAN_NESTED_LOOP_JOIN) {
    QV_RETURN_NOT_OK(
        QV__PLAN_NEW(e, Quiver__NestedLoopJoinNode, quiver__nested_loop_join_node__init, &m->nested_loop_join, err));
    m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_NESTED_LOOP_JOIN;
    Quiver__NestedLoopJoinNode *j = m->nested_loop_join;
    j->join_type = (uint32_t)qv__nested_loop_join_type(p);
    const qv_expr *filter = qv__nested_loop_join_filter(p);
    if (filter) QV_RETURN_NOT_OK(encode_expr_at(e, filter, "NestedLoopJoinExec", "filter", 0, &j->filter, err));
    QV_RETURN_NOT_OK(encode_plan(e, p->children[0], depth + 1, &j->left, err));
    return encode_plan(e, p->children[1], depth + 1, &j->right, err);
  }
  static const char op[] = "HashJoinExec";
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__HashJoinNode, quiver__hash_join_node__init, &m->hash_join, err));
  m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_HASH_JOIN;
  Quiver__HashJoinNode *j = m->hash_join;
  j->join_type = (uint32_t)qv__hash_join_type(p);
  j->partition_mode = (uint32_t)qv__hash_join_mode(p);
  j->null_equals_null = qv__hash_join_null_equals_null(p);
  int32_t n = qv__hash_join_num_keys(p);
  QV_RETURN_NOT_OK(alloc_array(e, (size_t)n, sizeof *j->left_keys, (void **)&j->left_keys, err));
  QV_RETURN_NOT_OK(alloc_array(e, (size_t)n, sizeof *j->right_keys, (void **)&j->right_keys, err));
  for (int32_t i = 0; i < n; i++) {
    QV_RETURN_NOT_OK(encode_expr_at(e, qv__hash_join_left_key(p, i), op, "left key", i, &j->left_keys[i], err));
    QV_RETURN_NOT_OK(encode_expr_at(e, qv__hash_join_right_key(p, i), op, "right key", i, &j->right_keys[i], err));
  }
  j->n_left_keys = j->n_right_keys = (size_t)n;
  const qv_expr *filter = qv__hash_join_filter(p);
  if (filter) QV_RETURN_NOT_OK(encode_expr_at(e, filter, op, "filter", 0, &j->filter, err));
  QV_RETURN_NOT_OK(encode_plan(e, p->children[0], depth + 1, &j->left, err));
  return encode_plan(e, p->children[1], depth + 1, &j->right, err);
}

static qv_status encode_sort_keys(qv__plan_enc *e, const qv_sort_spec *spec, const char *op, Quiver__SortKey ***out,
                                  size_t *n_out, qv_error *err) {
  QV_RETURN_NOT_OK(alloc_array(e, (size_t)spec->n_keys, sizeof **out, (void **)out, err));
  for (int32_t i = 0; i < spec->n_keys; i++) {
    qv_status st = qv__encode_sort_key(e, &spec->keys[i], &(*out)[i], err);
    if (st != QV_OK) {
      qv_error_prefix(err, "%s sort key %d", op, i);
      return st;
    }
  }
  *n_out = (size_t)spec->n_keys;
  return QV_OK;
}

static qv_status encode_sort(qv__plan_enc *e, const qv_exec_plan *p, int32_t depth, Quiver__PhysicalPlan *m,
                             qv_error *err) {
  if (p->kind == QV_PLAN_SORT) {
    QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__SortNode, quiver__sort_node__init, &m->sort, err));
    m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_SORT;
    m->sort->fetch = qv__sort_fetch(p);
    m->sort->preserve_partitioning = qv__sort_preserve_partitioning(p);
    QV_RETURN_NOT_OK(encode_sort_keys(e, qv__sort_spec_of(p), "SortExec", &m->sort->keys, &m->sort->n_keys, err));
    return encode_plan(e, p->children[0], depth + 1, &m->sort->input, err);
  }
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__SortPreservingMergeNode, quiver__sort_preserving_merge_node__init,
                                &m->sort_preserving_merge, err));
  m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_SORT_PRESERVING_MERGE;
  Quiver__SortPreservingMergeNode *s = m->sort_preserving_merge;
  s->fetch = qv__sort_merge_fetch(p);
  QV_RETURN_NOT_OK(encode_sort_keys(e, qv__sort_merge_spec(p), "SortPreservingMergeExec", &s->keys, &s->n_keys, err));
  return encode_plan(e, p->children[0], depth + 1, &s->input, err);
}

static qv_status encode_extension(qv__plan_enc *e, const qv_exec_plan *p, int32_t depth, Quiver__PhysicalPlan *m,
                                  qv_error *err) {
  const char *name = qv_exec_plan_name(p);
  const qv_extension_codec *codec = qv__session_find_extension_codec(e->session, name);
  if (!codec)
    return qv_error_set(err, QV_NOT_FOUND, "no extension codec registered for operator '%s' in the session", name);
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__ExtensionNode, quiver__extension_node__init, &m->extension, err));
  m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_EXTENSION;
  Quiver__ExtensionNode *x = m->extension;
  QV_RETURN_NOT_OK(qv__plan_enc_strdup(e, name, &x->name, err));
  qv_bytes payload;
  qv_bytes_init(&payload, NULL);
  qv_status st = codec->encode(codec->user_data, p, &payload, err);
  if (st != QV_OK) {
    qv_bytes_reset(&payload);
    qv_error_prefix(err, "extension operator '%s'", name);
    return st;
  }
  if (payload.size > 0) {
    qv_buffer *buf = NULL;
    st = qv_bytes_finish(&payload, &buf, err);
    if (st == QV_OK) st = qv__plan_enc_keep(e, buf, &x->payload, err);
  }
  qv_bytes_reset(&payload);
  QV_RETURN_NOT_OK(st);
  QV_RETURN_NOT_OK(alloc_array(e, (size_t)p->n_children, sizeof *x->inputs, (void **)&x->inputs, err));
  for (int32_t i = 0; i < p->n_children; i++)
    QV_RETURN_NOT_OK(encode_plan(e, p->children[i], depth + 1, &x->inputs[i], err));
  x->n_inputs = (size_t)p->n_children;
  return QV_OK;
}

static qv_status encode_plan(qv__plan_enc *e, const qv_exec_plan *p, int32_t depth, Quiver__PhysicalPlan **out,
                             qv_error *err) {
  if (depth > QV_PLAN_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "operators nested deeper than %d levels", QV_PLAN_MAX_DEPTH);
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__PhysicalPlan, quiver__physical_plan__init, out, err));
  Quiver__PhysicalPlan *m = *out;
  const qv_exec_plan *in = p->n_children > 0 ? p->children[0] : NULL;
  switch (p->kind) {
    case QV_PLAN_MEMORY_SCAN:
    case QV_PLAN_VALUES:
    case QV_PLAN_EMPTY: return encode_memory(e, p, m, err);
    case QV_PLAN_PROJECTION: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__ProjectionNode, quiver__projection_node__init, &m->projection, err));
      m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_PROJECTION;
      Quiver__ProjectionNode *pr = m->projection;
      int32_t n = qv__projection_num_exprs(p);
      QV_RETURN_NOT_OK(alloc_array(e, (size_t)n, sizeof *pr->exprs, (void **)&pr->exprs, err));
      for (int32_t i = 0; i < n; i++)
        QV_RETURN_NOT_OK(encode_expr_at(e, qv__projection_expr(p, i), "ProjectionExec", "expr", i, &pr->exprs[i], err));
      pr->n_exprs = (size_t)n;
      QV_RETURN_NOT_OK(encode_names_of_schema(e, p->schema, n, &pr->names, &pr->n_names, err));
      return encode_plan(e, in, depth + 1, &pr->input, err);
    }
    case QV_PLAN_FILTER:
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__FilterNode, quiver__filter_node__init, &m->filter, err));
      m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_FILTER;
      QV_RETURN_NOT_OK(encode_expr_at(e, qv__filter_predicate(p), "FilterExec", "predicate", 0, &m->filter->predicate,
                                      err));
      return encode_plan(e, in, depth + 1, &m->filter->input, err);
    case QV_PLAN_LIMIT:
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__LimitNode, quiver__limit_node__init, &m->limit, err));
      m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_LIMIT;
      m->limit->offset = qv__limit_offset(p);
      m->limit->fetch = qv__limit_fetch(p);
      m->limit->global = qv__limit_global(p);
      return encode_plan(e, in, depth + 1, &m->limit->input, err);
    case QV_PLAN_COALESCE_BATCHES:
      QV_RETURN_NOT_OK(
          QV__PLAN_NEW(e, Quiver__CoalesceBatchesNode, quiver__coalesce_batches_node__init, &m->coalesce_batches, err));
      m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_COALESCE_BATCHES;
      m->coalesce_batches->target_rows = qv__coalesce_batches_target(p);
      return encode_plan(e, in, depth + 1, &m->coalesce_batches->input, err);
    case QV_PLAN_COALESCE_PARTITIONS:
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__CoalescePartitionsNode, quiver__coalesce_partitions_node__init,
                                    &m->coalesce_partitions, err));
      m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_COALESCE_PARTITIONS;
      return encode_plan(e, in, depth + 1, &m->coalesce_partitions->input, err);
    case QV_PLAN_UNION: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__UnionNode, quiver__union_node__init, &m->union_, err));
      m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_UNION_;
      Quiver__UnionNode *u = m->union_;
      QV_RETURN_NOT_OK(alloc_array(e, (size_t)p->n_children, sizeof *u->inputs, (void **)&u->inputs, err));
      for (int32_t i = 0; i < p->n_children; i++)
        QV_RETURN_NOT_OK(encode_plan(e, p->children[i], depth + 1, &u->inputs[i], err));
      u->n_inputs = (size_t)p->n_children;
      return QV_OK;
    }
    case QV_PLAN_REPARTITION: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__RepartitionNode, quiver__repartition_node__init, &m->repartition, err));
      m->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_REPARTITION;
      Quiver__RepartitionNode *r = m->repartition;
      r->partitions = (uint32_t)p->n_partitions;
      int32_t n = qv__repartition_num_keys(p);
      QV_RETURN_NOT_OK(alloc_array(e, (size_t)n, sizeof *r->hash_keys, (void **)&r->hash_keys, err));
      for (int32_t i = 0; i < n; i++)
        QV_RETURN_NOT_OK(
            encode_expr_at(e, qv__repartition_key(p, i), "RepartitionExec", "hash key", i, &r->hash_keys[i], err));
      r->n_hash_keys = (size_t)n;
      return encode_plan(e, in, depth + 1, &r->input, err);
    }
    case QV_PLAN_HASH_AGGREGATE: return encode_hash_aggregate(e, p, depth, m, err);
    case QV_PLAN_HASH_JOIN:
    case QV_PLAN_NESTED_LOOP_JOIN: return encode_join(e, p, depth, m, err);
    case QV_PLAN_SORT:
    case QV_PLAN_SORT_PRESERVING_MERGE: return encode_sort(e, p, depth, m, err);
    case QV_PLAN_CUSTOM: return encode_extension(e, p, depth, m, err);
    case QV_PLAN_PARQUET_SCAN:
    case QV_PLAN_CSV_SCAN:
    case QV_PLAN_IPC_SCAN: return qv__encode_file_scan(e, p, m, err);
    default:
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "operator %s cannot be encoded yet", qv_exec_plan_name(p));
  }
}

qv_status qv_plan_encode(const qv_exec_plan *plan, const qv_session_state *session, qv_bytes *out, qv_error *err) {
  if (!plan || !out) return qv_error_set(err, QV_INVALID, "plan: nothing to encode");
  qv__plan_enc e;
  qv__plan_enc_init(&e, session);
  Quiver__PhysicalPlan *m = NULL;
  qv_status st = encode_plan(&e, plan, 1, &m, err);
  if (st != QV_OK) qv_error_prefix(err, "plan");
  else st = qv__pb_pack(&m->base, out, "plan", err);
  qv__plan_enc_reset(&e);
  return st;
}

/* ---- decoding ------------------------------------------------------------------------ */

static qv_status decode_plan(const Quiver__PhysicalPlan *m, qv_session_state *session, int32_t depth,
                             qv_exec_plan **out, qv_error *err);

static void unref_exprs(qv_expr **xs, int32_t n) {
  for (int32_t i = 0; xs && i < n; i++) qv_expr_unref(xs[i]);
  free(xs);
}

static qv_status count_of(size_t n, const char *op, const char *what, int32_t *out, qv_error *err) {
  if (n > (size_t)INT32_MAX) return qv_error_set(err, QV_INVALID, "%s: %zu %s", op, n, what);
  *out = (int32_t)n;
  return QV_OK;
}

/* Root expressions of operator op over input (errors "<op> <what> <i>: ..."). */
static qv_status decode_exprs(Quiver__PhysicalExpr *const *ms, size_t n, const qv_schema *input,
                              qv_session_state *session, const char *op, const char *what, qv_expr ***out,
                              int32_t *n_out, qv_error *err) {
  *out = NULL;
  *n_out = 0;
  int32_t count = 0;
  QV_RETURN_NOT_OK(count_of(n, op, what, &count, err));
  qv_expr **xs = calloc((size_t)(count ? count : 1), sizeof *xs);
  if (!xs) return qv_error_set(err, QV_NOMEM, "out of memory");
  for (int32_t i = 0; i < count; i++) {
    qv_status st = qv__decode_expr(ms[i], input, session, &xs[i], err);
    if (st != QV_OK) {
      qv_error_prefix(err, "%s %s %d", op, what, i);
      unref_exprs(xs, i);
      return st;
    }
  }
  *out = xs;
  *n_out = count;
  return QV_OK;
}

static qv_status decode_one_expr(const Quiver__PhysicalExpr *m, const qv_schema *input, qv_session_state *session,
                                 const char *op, const char *what, qv_expr **out, qv_error *err) {
  qv_status st = qv__decode_expr(m, input, session, out, err);
  if (st != QV_OK) qv_error_prefix(err, "%s %s", op, what);
  return st;
}

/* The input of a one-input operator. */
static qv_status decode_input(const Quiver__PhysicalPlan *m, qv_session_state *session, int32_t depth, const char *op,
                              qv_exec_plan **out, qv_error *err) {
  if (!m) return qv_error_set(err, QV_INVALID, "%s: missing input", op);
  return decode_plan(m, session, depth + 1, out, err);
}

static qv_status decode_memory_scan(const Quiver__MemoryScanNode *m, qv_exec_plan **out, qv_error *err) {
  static const char op[] = "MemoryScanExec";
  int32_t n = 0;
  QV_RETURN_NOT_OK(count_of(m->n_partitions, op, "partitions", &n, err));
  qv_schema *schema = NULL;
  qv_status st = qv__decode_schema(m->schema, &schema, err);
  if (st != QV_OK) {
    qv_error_prefix(err, "%s", op);
    return st;
  }
  qv_record_batch ***parts = calloc((size_t)(n ? n : 1), sizeof *parts);
  int64_t *counts = calloc((size_t)(n ? n : 1), sizeof *counts);
  if (!parts || !counts) st = qv_error_set(err, QV_NOMEM, "out of memory");
  for (int32_t i = 0; st == QV_OK && i < n; i++) {
    qv_schema *stream_schema = NULL;
    st = qv__decode_ipc(&m->partitions[i], &stream_schema, &parts[i], &counts[i], err);
    qv_schema_unref(stream_schema);
    if (st != QV_OK) qv_error_prefix(err, "%s partition %d", op, i);
  }
  if (st == QV_OK) st = qv_plan_memory_scan(schema, (qv_record_batch *const *const *)parts, counts, n, out, err);
  for (int32_t i = 0; parts && counts && i < n; i++) qv__free_batches(parts[i], counts[i]);
  free(parts);
  free(counts);
  qv_schema_unref(schema);
  return st;
}

static qv_status decode_values(const Quiver__ValuesNode *m, qv_exec_plan **out, qv_error *err) {
  qv_schema *schema = NULL;
  qv_record_batch **batches = NULL;
  int64_t n = 0;
  qv_status st = qv__decode_ipc(&m->ipc, &schema, &batches, &n, err);
  if (st != QV_OK) {
    qv_error_prefix(err, "ValuesExec");
    return st;
  }
  if (n != 1) st = qv_error_set(err, QV_INVALID, "ValuesExec: %lld batches, expected 1", (long long)n);
  else st = qv_plan_values(batches[0], out, err);
  qv__free_batches(batches, n);
  qv_schema_unref(schema);
  return st;
}

static qv_status decode_empty(const Quiver__EmptyNode *m, qv_exec_plan **out, qv_error *err) {
  qv_schema *schema = NULL;
  qv_status st = qv__decode_schema(m->schema, &schema, err);
  if (st != QV_OK) {
    qv_error_prefix(err, "EmptyExec");
    return st;
  }
  st = qv_plan_empty(schema, m->one_row, out, err);
  qv_schema_unref(schema);
  return st;
}

static qv_status decode_projection(const Quiver__ProjectionNode *m, qv_session_state *session, int32_t depth,
                                   qv_exec_plan **out, qv_error *err) {
  static const char op[] = "ProjectionExec";
  if (m->n_exprs != m->n_names)
    return qv_error_set(err, QV_INVALID, "%s: %zu expressions but %zu names", op, m->n_exprs, m->n_names);
  qv_exec_plan *input = NULL;
  QV_RETURN_NOT_OK(decode_input(m->input, session, depth, op, &input, err));
  qv_expr **exprs = NULL;
  int32_t n = 0;
  qv_status st = decode_exprs(m->exprs, m->n_exprs, input->schema, session, op, "expr", &exprs, &n, err);
  if (st == QV_OK) st = qv_plan_projection(input, exprs, (const char *const *)m->names, n, out, err);
  unref_exprs(exprs, n);
  qv_exec_plan_unref(input);
  return st;
}

static qv_status decode_repartition(const Quiver__RepartitionNode *m, qv_session_state *session, int32_t depth,
                                    qv_exec_plan **out, qv_error *err) {
  static const char op[] = "RepartitionExec";
  if (m->partitions < 1 || m->partitions > QV__PLAN_MAX_PARTITIONS)
    return qv_error_set(err, QV_INVALID, "%s: %u partitions (expected 1 to %d)", op, m->partitions,
                        QV__PLAN_MAX_PARTITIONS);
  qv_exec_plan *input = NULL;
  QV_RETURN_NOT_OK(decode_input(m->input, session, depth, op, &input, err));
  qv_expr **keys = NULL;
  int32_t n = 0;
  qv_status st = decode_exprs(m->hash_keys, m->n_hash_keys, input->schema, session, op, "hash key", &keys, &n, err);
  if (st == QV_OK)
    st = n ? qv_plan_repartition_hash(input, keys, n, (int32_t)m->partitions, out, err)
           : qv_plan_repartition_round_robin(input, (int32_t)m->partitions, out, err);
  unref_exprs(keys, n);
  qv_exec_plan_unref(input);
  return st;
}

static qv_status decode_union(const Quiver__UnionNode *m, qv_session_state *session, int32_t depth, qv_exec_plan **out,
                              qv_error *err) {
  int32_t n = 0;
  QV_RETURN_NOT_OK(count_of(m->n_inputs, "UnionExec", "inputs", &n, err));
  qv_exec_plan **inputs = calloc((size_t)(n ? n : 1), sizeof *inputs);
  if (!inputs) return qv_error_set(err, QV_NOMEM, "out of memory");
  qv_status st = QV_OK;
  int32_t done = 0;
  for (; st == QV_OK && done < n; done++)
    st = decode_input(m->inputs[done], session, depth, "UnionExec", &inputs[done], err);
  if (st == QV_OK) st = qv_plan_union(inputs, n, out, err);
  for (int32_t i = 0; i < done; i++) qv_exec_plan_unref(inputs[i]);
  free(inputs);
  return st;
}

static qv_status decode_hash_aggregate(const Quiver__HashAggregateNode *m, qv_session_state *session, int32_t depth,
                                       qv_exec_plan **out, qv_error *err) {
  static const char op[] = "HashAggregateExec";
  if (m->mode > (uint32_t)QV_AGG_FINAL_PARTITIONED)
    return qv_error_set(err, QV_INVALID, "%s: unknown mode %u", op, m->mode);
  if (m->n_groups != m->n_group_names)
    return qv_error_set(err, QV_INVALID, "%s: %zu groups but %zu group names", op, m->n_groups, m->n_group_names);
  int32_t na = 0;
  QV_RETURN_NOT_OK(count_of(m->n_aggregates, op, "aggregates", &na, err));
  qv_aggregate_mode mode = (qv_aggregate_mode)m->mode;
  bool final = mode == QV_AGG_FINAL || mode == QV_AGG_FINAL_PARTITIONED;
  qv_exec_plan *input = NULL;
  qv_schema *exprs_schema = NULL;
  qv_expr **groups = NULL;
  int32_t ng = 0;
  qv_aggregate_expr **aggs = calloc((size_t)(na ? na : 1), sizeof *aggs);
  qv_status st = aggs ? QV_OK : qv_error_set(err, QV_NOMEM, "out of memory");
  if (st == QV_OK) st = decode_input(m->input, session, depth, op, &input, err);
  if (st == QV_OK && final) {
    st = qv__decode_schema(m->partial_input_schema, &exprs_schema, err);
    if (st != QV_OK) qv_error_prefix(err, "%s partial input schema", op);
  } else if (st == QV_OK) {
    exprs_schema = qv_schema_ref(input->schema);
  }
  if (st == QV_OK) st = decode_exprs(m->groups, m->n_groups, exprs_schema, session, op, "group", &groups, &ng, err);
  int32_t done = 0;
  for (; st == QV_OK && done < na; done++) {
    st = qv__decode_aggregate(m->aggregates[done], exprs_schema, session, &aggs[done], err);
    if (st != QV_OK) qv_error_prefix(err, "%s aggregate %d", op, done);
  }
  if (st == QV_OK)
    st = qv_plan_hash_aggregate(mode, input, groups, (const char *const *)m->group_names, ng, aggs, na, out, err);
  for (int32_t j = 0; aggs && j < done; j++) qv_aggregate_unref(aggs[j]);
  free(aggs);
  unref_exprs(groups, ng);
  qv_schema_unref(exprs_schema);
  qv_exec_plan_unref(input);
  return st;
}

/* The left and right inputs of a join, and the schema of its filter. */
static qv_status decode_join_inputs(const Quiver__PhysicalPlan *lm, const Quiver__PhysicalPlan *rm,
                                    qv_session_state *session, int32_t depth, const char *op, qv_exec_plan **left,
                                    qv_exec_plan **right, qv_schema **concat, qv_error *err) {
  *left = *right = NULL;
  *concat = NULL;
  qv_status st = decode_input(lm, session, depth, op, left, err);
  if (st == QV_OK) st = decode_input(rm, session, depth, op, right, err);
  if (st == QV_OK) st = qv__join_concat_schema((*left)->schema, (*right)->schema, concat, err);
  if (st != QV_OK) {
    qv_exec_plan_unref(*left);
    qv_exec_plan_unref(*right);
    *left = *right = NULL;
  }
  return st;
}

static qv_status decode_hash_join(const Quiver__HashJoinNode *m, qv_session_state *session, int32_t depth,
                                  qv_exec_plan **out, qv_error *err) {
  static const char op[] = "HashJoinExec";
  if (m->join_type > (uint32_t)QV_JOIN_LEFT_MARK)
    return qv_error_set(err, QV_INVALID, "%s: unknown join type %u", op, m->join_type);
  if (m->partition_mode > (uint32_t)QV_JOIN_PARTITIONED)
    return qv_error_set(err, QV_INVALID, "%s: unknown partition mode %u", op, m->partition_mode);
  if (m->n_left_keys != m->n_right_keys)
    return qv_error_set(err, QV_INVALID, "%s: %zu left keys but %zu right keys", op, m->n_left_keys, m->n_right_keys);
  qv_exec_plan *left, *right;
  qv_schema *concat;
  QV_RETURN_NOT_OK(decode_join_inputs(m->left, m->right, session, depth, op, &left, &right, &concat, err));
  qv_expr **lk = NULL, **rk = NULL, *filter = NULL;
  int32_t nl = 0, nr = 0;
  qv_status st = decode_exprs(m->left_keys, m->n_left_keys, left->schema, session, op, "left key", &lk, &nl, err);
  if (st == QV_OK)
    st = decode_exprs(m->right_keys, m->n_right_keys, right->schema, session, op, "right key", &rk, &nr, err);
  if (st == QV_OK && m->filter) st = decode_one_expr(m->filter, concat, session, op, "filter", &filter, err);
  if (st == QV_OK)
    st = qv_plan_hash_join(left, right, lk, rk, nl, filter, (qv_join_type)m->join_type,
                           (qv_join_partition_mode)m->partition_mode, m->null_equals_null, out, err);
  qv_expr_unref(filter);
  unref_exprs(lk, nl);
  unref_exprs(rk, nr);
  qv_schema_unref(concat);
  qv_exec_plan_unref(left);
  qv_exec_plan_unref(right);
  return st;
}

static qv_status decode_nested_loop_join(const Quiver__NestedLoopJoinNode *m, qv_session_state *session, int32_t depth,
                                         qv_exec_plan **out, qv_error *err) {
  static const char op[] = "NestedLoopJoinExec";
  if (m->join_type > (uint32_t)QV_JOIN_LEFT_MARK)
    return qv_error_set(err, QV_INVALID, "%s: unknown join type %u", op, m->join_type);
  qv_exec_plan *left, *right;
  qv_schema *concat;
  QV_RETURN_NOT_OK(decode_join_inputs(m->left, m->right, session, depth, op, &left, &right, &concat, err));
  qv_expr *filter = NULL;
  qv_status st = m->filter ? decode_one_expr(m->filter, concat, session, op, "filter", &filter, err) : QV_OK;
  if (st == QV_OK) st = qv_plan_nested_loop_join(left, right, filter, (qv_join_type)m->join_type, out, err);
  qv_expr_unref(filter);
  qv_schema_unref(concat);
  qv_exec_plan_unref(left);
  qv_exec_plan_unref(right);
  return st;
}

static qv_status decode_sort(const Quiver__PhysicalPlan *pm, qv_session_state *session, int32_t depth,
                             qv_exec_plan **out, qv_error *err) {
  bool merge = pm->plan_case == QUIVER__PHYSICAL_PLAN__PLAN_SORT_PRESERVING_MERGE;
  const char *op = merge ? "SortPreservingMergeExec" : "SortExec";
  const Quiver__PhysicalPlan *input_m = merge ? pm->sort_preserving_merge->input : pm->sort->input;
  Quiver__SortKey *const *key_ms = merge ? pm->sort_preserving_merge->keys : pm->sort->keys;
  size_t n_key_ms = merge ? pm->sort_preserving_merge->n_keys : pm->sort->n_keys;
  qv_exec_plan *input = NULL;
  QV_RETURN_NOT_OK(decode_input(input_m, session, depth, op, &input, err));
  qv_sort_key *keys = NULL;
  int32_t n = 0;
  qv_status st = qv__decode_sort_keys(key_ms, n_key_ms, input->schema, session, &keys, &n, err);
  if (st != QV_OK) qv_error_prefix(err, "%s", op);
  else if (merge) st = qv_plan_sort_preserving_merge(input, keys, n, pm->sort_preserving_merge->fetch, out, err);
  else st = qv_plan_sort(input, keys, n, pm->sort->fetch, pm->sort->preserve_partitioning, out, err);
  qv__free_sort_keys(keys, n);
  qv_exec_plan_unref(input);
  return st;
}

static qv_status decode_extension(const Quiver__ExtensionNode *m, qv_session_state *session, int32_t depth,
                                  qv_exec_plan **out, qv_error *err) {
  const char *name = m->name ? m->name : "";
  const qv_extension_codec *codec = qv__session_find_extension_codec(session, name);
  if (!codec)
    return qv_error_set(err, QV_INVALID,
                        "unknown extension operator '%s' (no extension codec registered under that name)", name);
  int32_t n = 0;
  QV_RETURN_NOT_OK(count_of(m->n_inputs, name, "inputs", &n, err));
  qv_exec_plan **inputs = calloc((size_t)(n ? n : 1), sizeof *inputs);
  if (!inputs) return qv_error_set(err, QV_NOMEM, "out of memory");
  qv_status st = QV_OK;
  int32_t done = 0;
  for (; st == QV_OK && done < n; done++) st = decode_input(m->inputs[done], session, depth, name, &inputs[done], err);
  if (st == QV_OK) {
    static const uint8_t none[1] = {0};
    qv_exec_plan *node = NULL;
    st = codec->decode(codec->user_data, m->payload.len ? m->payload.data : none, (int64_t)m->payload.len, inputs, n,
                       session, &node, err);
    if (st == QV_OK && !node) st = qv_error_set(err, QV_INTERNAL, "the codec returned no operator");
    if (st != QV_OK) {
      qv_exec_plan_unref(node);
      qv_error_prefix(err, "extension operator '%s'", name);
    } else {
      *out = node;
    }
  }
  for (int32_t i = 0; i < done; i++) qv_exec_plan_unref(inputs[i]);
  free(inputs);
  return st;
}

static qv_status decode_plan(const Quiver__PhysicalPlan *m, qv_session_state *session, int32_t depth,
                             qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (!m) return qv_error_set(err, QV_INVALID, "missing operator");
  if (depth > QV_PLAN_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "operators nested deeper than %d levels", QV_PLAN_MAX_DEPTH);
  qv_exec_plan *input = NULL;
  qv_expr *x = NULL;
  qv_status st;
  switch (m->plan_case) {
    case QUIVER__PHYSICAL_PLAN__PLAN_MEMORY_SCAN: return decode_memory_scan(m->memory_scan, out, err);
    case QUIVER__PHYSICAL_PLAN__PLAN_VALUES: return decode_values(m->values, out, err);
    case QUIVER__PHYSICAL_PLAN__PLAN_EMPTY: return decode_empty(m->empty, out, err);
    case QUIVER__PHYSICAL_PLAN__PLAN_PROJECTION: return decode_projection(m->projection, session, depth, out, err);
    case QUIVER__PHYSICAL_PLAN__PLAN_FILTER:
      QV_RETURN_NOT_OK(decode_input(m->filter->input, session, depth, "FilterExec", &input, err));
      if (!m->filter->predicate) st = qv_error_set(err, QV_INVALID, "FilterExec: missing predicate");
      else st = decode_one_expr(m->filter->predicate, input->schema, session, "FilterExec", "predicate", &x, err);
      if (st == QV_OK) st = qv_plan_filter(input, x, out, err);
      break;
    case QUIVER__PHYSICAL_PLAN__PLAN_LIMIT:
      QV_RETURN_NOT_OK(decode_input(m->limit->input, session, depth, "LimitExec", &input, err));
      st = qv_plan_limit(input, m->limit->offset, m->limit->fetch, m->limit->global, out, err);
      break;
    case QUIVER__PHYSICAL_PLAN__PLAN_COALESCE_BATCHES:
      QV_RETURN_NOT_OK(decode_input(m->coalesce_batches->input, session, depth, "CoalesceBatchesExec", &input, err));
      st = qv_plan_coalesce_batches(input, m->coalesce_batches->target_rows, out, err);
      break;
    case QUIVER__PHYSICAL_PLAN__PLAN_COALESCE_PARTITIONS:
      QV_RETURN_NOT_OK(
          decode_input(m->coalesce_partitions->input, session, depth, "CoalescePartitionsExec", &input, err));
      st = qv_plan_coalesce_partitions(input, out, err);
      break;
    case QUIVER__PHYSICAL_PLAN__PLAN_UNION_: return decode_union(m->union_, session, depth, out, err);
    case QUIVER__PHYSICAL_PLAN__PLAN_REPARTITION: return decode_repartition(m->repartition, session, depth, out, err);
    case QUIVER__PHYSICAL_PLAN__PLAN_HASH_AGGREGATE:
      return decode_hash_aggregate(m->hash_aggregate, session, depth, out, err);
    case QUIVER__PHYSICAL_PLAN__PLAN_HASH_JOIN: return decode_hash_join(m->hash_join, session, depth, out, err);
    case QUIVER__PHYSICAL_PLAN__PLAN_NESTED_LOOP_JOIN:
      return decode_nested_loop_join(m->nested_loop_join, session, depth, out, err);
    case QUIVER__PHYSICAL_PLAN__PLAN_SORT:
    case QUIVER__PHYSICAL_PLAN__PLAN_SORT_PRESERVING_MERGE: return decode_sort(m, session, depth, out, err);
    case QUIVER__PHYSICAL_PLAN__PLAN_EXTENSION: return decode_extension(m->extension, session, depth, out, err);
    case QUIVER__PHYSICAL_PLAN__PLAN_FILE_SCAN: return qv__decode_file_scan(m->file_scan, session, out, err);
    default: return qv_error_set(err, QV_INVALID, "operator of unknown kind %d", (int)m->plan_case);
  }
  qv_expr_unref(x);
  qv_exec_plan_unref(input);
  return st;
}

qv_status qv_plan_decode(const uint8_t *data, int64_t len, qv_session_state *session, qv_exec_plan **out,
                         qv_error *err) {
  *out = NULL;
  qv__pb_alloc alloc;
  ProtobufCMessage *msg = NULL;
  QV_RETURN_NOT_OK(qv__pb_unpack(&quiver__physical_plan__descriptor, data, len, &alloc, "plan", &msg, err));
  qv_status st = decode_plan((const Quiver__PhysicalPlan *)msg, session, 1, out, err);
  qv__pb_free(msg, &alloc);
  if (st != QV_OK) return qv__plan_fail(st, err, "plan");
  return QV_OK;
}
