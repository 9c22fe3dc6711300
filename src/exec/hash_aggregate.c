/* HashAggregateExec: GROUP BY with aggregates, in one step (Single) or split
 * into a Partial step per input partition and a Final step that merges the
 * partial states (after a coalesce, or per partition of an input
 * hash-partitioned by the group keys: FinalPartitioned).
 *
 * Each output partition drains its input partition first. Per batch it
 * evaluates the group expressions (Partial/Single) or reads the group columns
 * (Final), maps every row to a dense group id through the group table
 * (group_table.c), then hands the whole batch to each aggregate's grouped
 * accumulator: update() with the evaluated arguments, or merge() with the
 * partial state columns. Without GROUP BY every row is group 0 and the
 * output is one row even for an empty input (count 0, sum NULL).
 *
 * Output: the group keys, then either each aggregate's final value, or
 * (Partial) each aggregate's state columns, in batches of at most the
 * session's batch_size rows. The table, the accumulators and the results are
 * allocated from the task's memory pool, so that going over the session's
 * memory_limit fails the query with QV_RESOURCE_EXHAUSTED ("HashAggregateExec:
 * memory limit of N bytes exceeded ..."); user accumulators, which allocate
 * on their own, are counted through their size(). */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/exec_internal.h"
#include "exec/group_table.h"
#include "exec/hash_aggregate_internal.h"
#include "expr/aggregate_internal.h"

static const char *const mode_names[] = {"Single", "Partial", "Final", "FinalPartitioned"};

typedef struct agg_payload {
  qv_aggregate_mode mode;
  int32_t n_groups;
  qv_expr **groups;
  qv_data_type **key_types; /* one reference each */
  int32_t n_aggs;
  qv_aggregate_expr **aggs;
  int32_t *state_col; /* Final modes: input column of each aggregate's first state field */
  int32_t max_inputs; /* most arguments or state columns of any aggregate */
} agg_payload;

static void payload_destroy(void *p) {
  agg_payload *a = p;
  for (int32_t i = 0; i < a->n_groups; i++) {
    if (a->groups) qv_expr_unref(a->groups[i]);
    if (a->key_types) qv_type_unref(a->key_types[i]);
  }
  for (int32_t i = 0; a->aggs && i < a->n_aggs; i++) qv_aggregate_unref(a->aggs[i]);
  free(a->groups);
  free(a->key_types);
  free(a->aggs);
  free(a->state_col);
  free(a);
}

static bool merges(qv_aggregate_mode m) { return m == QV_AGG_FINAL || m == QV_AGG_FINAL_PARTITIONED; }

/* ---- the stream ------------------------------------------------------------------ */

typedef struct agg_stream {
  qv_batch_stream base;
  qv_exec_plan *plan;
  qv_task_context *ctx;
  qv_batch_stream *input;
  qv_allocator *alloc;
  int64_t limit;
  int64_t batch_size;
  qv_group_table *table; /* NULL without GROUP BY */
  qv_group_accumulator **accs;
  uint32_t *gids;
  int64_t gids_cap;
  qv_array **keys;   /* per batch */
  qv_array **inputs; /* per batch, per aggregate */
  bool consumed;
  int64_t n_out;     /* output rows */
  int32_t n_results;
  qv_array **results;
  int64_t emitted;
} agg_stream;

/* Turns an error of the aggregation itself into the operator's: memory
 * failures under a limit become QV_RESOURCE_EXHAUSTED naming the limit. */
static qv_status op_error(const agg_stream *s, qv_status st, qv_error *err) {
  if (!err) return st == QV_NOMEM && s->limit > 0 ? QV_RESOURCE_EXHAUSTED : st;
  if (st == QV_NOMEM && s->limit > 0) {
    char msg[QV_ERROR_MESSAGE_SIZE];
    memcpy(msg, err->message, sizeof msg);
    msg[sizeof msg - 1] = '\0';
    return qv_error_set(err, QV_RESOURCE_EXHAUSTED, "HashAggregateExec: memory limit of %lld bytes exceeded (%s)",
                        (long long)s->limit, msg);
  }
  qv_error_prefix(err, "HashAggregateExec");
  return st;
}

static void free_accumulators(agg_stream *s) {
  const agg_payload *p = s->plan->payload;
  for (int32_t i = 0; s->accs && i < p->n_aggs; i++) {
    if (s->accs[i]) s->accs[i]->destroy(s->accs[i]);
    s->accs[i] = NULL;
  }
}

static void agg_destroy(qv_batch_stream *bs) {
  agg_stream *s = (agg_stream *)bs;
  qv_batch_stream_destroy(s->input);
  free_accumulators(s);
  qv__group_table_destroy(s->table);
  for (int32_t i = 0; s->results && i < s->n_results; i++) qv_array_unref(s->results[i]);
  free(s->results);
  qv_free(s->alloc, s->gids, s->gids_cap * 4);
  free(s->accs);
  free(s->keys);
  free(s->inputs);
  qv_exec_plan_unref(s->plan);
  qv_task_context_unref(s->ctx);
  qv__stream_free(bs);
}

/* Group ids for n rows: grows the scratch; without GROUP BY they stay 0. */
static qv_status reserve_gids(agg_stream *s, int64_t n, qv_error *err) {
  if (n <= s->gids_cap) return QV_OK;
  int64_t cap = s->gids_cap ? s->gids_cap : 1024;
  while (cap < n) cap *= 2;
  uint32_t *g = qv_alloc_zeroed(s->alloc, cap * 4);
  if (!g) return qv__agg_alloc_error(s->alloc, cap * 4, err, "allocating group ids for %lld rows", (long long)n);
  qv_free(s->alloc, s->gids, s->gids_cap * 4);
  s->gids = g;
  s->gids_cap = cap;
  return QV_OK;
}

/* Memory held by user accumulators, which the pool does not see. */
static qv_status check_udf_memory(agg_stream *s, qv_error *err) {
  if (s->limit <= 0) return QV_OK;
  const agg_payload *p = s->plan->payload;
  int64_t outside = 0;
  for (int32_t i = 0; i < p->n_aggs; i++)
    if (!qv__aggregate_uses_allocator(p->aggs[i]) && s->accs[i]->size) outside += s->accs[i]->size(s->accs[i]);
  if (outside && qv_allocator_bytes_allocated(s->alloc) + outside > s->limit)
    return qv_error_set(err, QV_RESOURCE_EXHAUSTED,
                        "memory limit of %lld bytes exceeded (user aggregate states hold %lld bytes)",
                        (long long)s->limit, (long long)outside);
  return QV_OK;
}

/* Folds one input batch into the groups. */
static qv_status consume_batch(agg_stream *s, qv_record_batch *b, qv_error *err) {
  const agg_payload *p = s->plan->payload;
  int64_t n = b->num_rows;
  bool merge = merges(p->mode);
  QV_RETURN_NOT_OK(reserve_gids(s, n, err));
  qv_status st = QV_OK;
  int64_t n_groups = 1;
  if (s->table) {
    int32_t done = 0;
    for (; st == QV_OK && done < p->n_groups; done++) {
      if (merge) s->keys[done] = qv_array_ref(b->columns[done]);
      else st = qv_expr_evaluate(p->groups[done], b, s->alloc, &s->keys[done], err);
    }
    if (st != QV_OK) done--;
    if (st == QV_OK) st = qv__group_table_map(s->table, s->keys, n, s->gids, err);
    for (int32_t i = 0; i < done; i++) qv_array_unref(s->keys[i]);
    if (st != QV_OK) return st;
    n_groups = qv__group_table_num_groups(s->table);
  }
  for (int32_t j = 0; st == QV_OK && j < p->n_aggs; j++) {
    qv_aggregate_expr *a = p->aggs[j];
    qv_group_accumulator *acc = s->accs[j];
    if (merge) {
      int32_t k = qv_aggregate_num_state_fields(a);
      for (int32_t c = 0; c < k; c++) s->inputs[c] = b->columns[p->state_col[j] + c];
      st = acc->merge(acc, s->inputs, k, s->gids, n, n_groups, err);
    } else {
      int32_t k = qv__aggregate_num_args(a);
      st = qv__aggregate_eval_args(a, b, s->alloc, s->inputs, err); /* its errors name the aggregate */
      if (st != QV_OK) return st;
      st = acc->update(acc, s->inputs, k, s->gids, n, n_groups, err);
      for (int32_t c = 0; c < k; c++) qv_array_unref(s->inputs[c]);
    }
    /* Memory errors already say which state was growing and must keep
     * starting with "memory limit of ...". */
    if (st != QV_OK && st != QV_RESOURCE_EXHAUSTED) qv_error_prefix(err, "%s", qv_aggregate_name(a));
  }
  if (st == QV_OK) st = check_udf_memory(s, err);
  return st;
}

/* Empty arrays standing for "no rows" of each argument or state column, so
 * that a global aggregate's accumulators know about group 0 even when the
 * input had no rows. */
static qv_status touch_global_group(agg_stream *s, qv_error *err) {
  const agg_payload *p = s->plan->payload;
  bool merge = merges(p->mode);
  qv_status st = QV_OK;
  for (int32_t j = 0; st == QV_OK && j < p->n_aggs; j++) {
    qv_aggregate_expr *a = p->aggs[j];
    int32_t k = merge ? qv_aggregate_num_state_fields(a) : qv__aggregate_num_args(a);
    int32_t made = 0;
    for (; st == QV_OK && made < k; made++) {
      qv_data_type *t;
      if (merge) t = qv_field_type(qv_aggregate_state_field(a, made));
      else if (a->kind != QV_AGGREGATE_UDF && a->input_type) t = a->input_type;
      else t = qv_expr_type(qv__aggregate_arg(a, made));
      st = qv_array_make_nulls(s->alloc, t, 0, &s->inputs[made], err);
    }
    if (st != QV_OK) made--;
    if (st == QV_OK) {
      qv_group_accumulator *acc = s->accs[j];
      if (merge) st = acc->merge(acc, s->inputs, k, s->gids, 0, 1, err);
      else st = acc->update(acc, s->inputs, k, s->gids, 0, 1, err);
    }
    for (int32_t c = 0; c < made; c++) qv_array_unref(s->inputs[c]);
  }
  return st;
}

/* Computes every aggregate's output (final values or partial states) for
 * all groups and frees the accumulators. */
static qv_status finish_groups(agg_stream *s, qv_error *err) {
  const agg_payload *p = s->plan->payload;
  s->n_out = s->table ? qv__group_table_num_groups(s->table) : 1;
  s->n_results = s->base.schema->n_fields - p->n_groups;
  s->results = calloc((size_t)(s->n_results ? s->n_results : 1), sizeof *s->results);
  if (!s->results) return qv_error_set(err, QV_NOMEM, "out of memory");
  qv_status st = QV_OK;
  int32_t at = 0;
  for (int32_t j = 0; st == QV_OK && j < p->n_aggs; j++) {
    qv_aggregate_expr *a = p->aggs[j];
    qv_group_accumulator *acc = s->accs[j];
    int32_t k = p->mode == QV_AGG_PARTIAL ? qv_aggregate_num_state_fields(a) : 1;
    if (p->mode == QV_AGG_PARTIAL) st = acc->state(acc, &s->results[at], err);
    else st = acc->finish(acc, &s->results[at], err);
    if (st != QV_OK) {
      if (st != QV_RESOURCE_EXHAUSTED) qv_error_prefix(err, "%s", qv_aggregate_name(a));
      break;
    }
    for (int32_t c = 0; c < k; c++, at++) {
      qv_array *r = s->results[at];
      qv_field *f = s->base.schema->fields[p->n_groups + at];
      if (!r || r->length != s->n_out || !qv_type_equals(r->type, f->type)) {
        st = qv_error_set(err, QV_INVALID,
                          "aggregate %s returned %lld rows of a wrong shape for column '%s' of %lld groups",
                          qv_aggregate_name(a), r ? (long long)r->length : -1LL, f->name, (long long)s->n_out);
        break; /* the results are released with the stream */
      }
    }
    acc->destroy(acc);
    s->accs[j] = NULL;
  }
  return st;
}

static qv_status consume_input(agg_stream *s, qv_error *err) {
  for (;;) {
    if (qv_task_context_is_cancelled(s->ctx))
      return qv_error_set(err, QV_CANCELLED, "HashAggregateExec: query cancelled");
    qv_record_batch *b = NULL;
    QV_RETURN_NOT_OK(qv_batch_stream_next(s->input, &b, err)); /* the input's own error, unchanged */
    if (!b) break;
    qv_status st = b->num_rows ? consume_batch(s, b, err) : QV_OK;
    qv_record_batch_unref(b);
    if (st != QV_OK) return op_error(s, st, err);
  }
  qv_batch_stream_destroy(s->input);
  s->input = NULL;
  qv_status st = QV_OK;
  if (!s->table) {
    st = reserve_gids(s, 1, err);
    if (st == QV_OK) st = touch_global_group(s, err);
  }
  if (st == QV_OK) st = finish_groups(s, err);
  return st == QV_OK ? QV_OK : op_error(s, st, err);
}

static qv_status agg_next(qv_batch_stream *bs, qv_record_batch **out, qv_error *err) {
  agg_stream *s = (agg_stream *)bs;
  const agg_payload *p = s->plan->payload;
  if (!s->consumed) {
    QV_RETURN_NOT_OK(consume_input(s, err));
    s->consumed = true;
  }
  if (s->emitted >= s->n_out) return QV_OK;
  int64_t n = s->n_out - s->emitted;
  if (n > s->batch_size) n = s->batch_size;
  int32_t n_cols = bs->schema->n_fields;
  qv_array **cols = calloc((size_t)(n_cols ? n_cols : 1), sizeof *cols);
  if (!cols) return qv_error_set(err, QV_NOMEM, "HashAggregateExec: out of memory");
  qv_status st = QV_OK;
  if (s->table) st = qv__group_table_emit(s->table, s->emitted, n, cols, err);
  for (int32_t i = 0; st == QV_OK && i < s->n_results; i++) {
    qv_array *r = s->results[i];
    if (s->emitted == 0 && n == r->length) cols[p->n_groups + i] = qv_array_ref(r);
    else st = qv_array_slice(r, s->emitted, n, &cols[p->n_groups + i], err);
  }
  if (st == QV_OK) st = qv_record_batch_create(bs->schema, n, cols, n_cols, out, err);
  for (int32_t i = 0; i < n_cols; i++) qv_array_unref(cols[i]);
  free(cols);
  if (st != QV_OK) return op_error(s, st, err);
  s->emitted += n;
  if (s->emitted >= s->n_out) {
    /* Everything is out: give the memory back before the consumer is done. */
    qv__group_table_destroy(s->table);
    s->table = NULL;
    for (int32_t i = 0; i < s->n_results; i++) {
      qv_array_unref(s->results[i]);
      s->results[i] = NULL;
    }
  }
  return QV_OK;
}

static const qv_batch_stream_vtable agg_vtable = {agg_next, agg_destroy};

static qv_status agg_execute(qv_exec_plan *self, int32_t partition, qv_task_context *ctx, qv_batch_stream **out,
                             qv_error *err) {
  const agg_payload *p = self->payload;
  agg_stream *s = qv__stream_alloc(sizeof *s, &agg_vtable, self->schema);
  if (!s) return qv_error_set(err, QV_NOMEM, "HashAggregateExec: out of memory");
  s->plan = qv_exec_plan_ref(self);
  s->ctx = qv_task_context_ref(ctx);
  s->alloc = qv_task_context_allocator(ctx);
  s->limit = qv_allocator_limit(s->alloc);
  s->batch_size = qv_session_batch_size(qv_task_context_session(ctx));
  if (s->batch_size < 1) s->batch_size = 8192;
  s->accs = calloc((size_t)(p->n_aggs ? p->n_aggs : 1), sizeof *s->accs);
  s->keys = calloc((size_t)(p->n_groups ? p->n_groups : 1), sizeof *s->keys);
  s->inputs = calloc((size_t)(p->max_inputs ? p->max_inputs : 1), sizeof *s->inputs);
  qv_status st = QV_OK;
  if (!s->accs || !s->keys || !s->inputs) st = qv_error_set(err, QV_NOMEM, "HashAggregateExec: out of memory");
  if (st == QV_OK && p->n_groups > 0) st = qv__group_table_create(p->key_types, p->n_groups, s->alloc, &s->table, err);
  for (int32_t j = 0; st == QV_OK && j < p->n_aggs; j++)
    st = qv__aggregate_create_accumulator(p->aggs[j], s->alloc, &s->accs[j], err);
  if (st != QV_OK) st = op_error(s, st, err);
  if (st == QV_OK) st = qv_exec_plan_execute(self->children[0], partition, ctx, &s->input, err);
  if (st != QV_OK) {
    agg_destroy(&s->base);
    return st;
  }
  *out = &s->base;
  return QV_OK;
}

/* Appends text, then " as name" when the name differs from it. */
static qv_status append_named(qv_bytes *out, int64_t from, const char *name, qv_error *err) {
  size_t len = strlen(name);
  if ((size_t)(out->size - from) == len && memcmp(out->data + from, name, len) == 0) return QV_OK;
  return qv__appendf(out, err, " as %s", name);
}

static qv_status agg_describe(const qv_exec_plan *self, qv_bytes *out, qv_error *err) {
  const agg_payload *p = self->payload;
  QV_RETURN_NOT_OK(qv__appendf(out, err, "mode=%s, gby=[", mode_names[p->mode]));
  for (int32_t i = 0; i < p->n_groups; i++) {
    if (i) QV_RETURN_NOT_OK(qv__appendf(out, err, ", "));
    int64_t from = out->size;
    QV_RETURN_NOT_OK(qv_expr_to_string(p->groups[i], out, err));
    QV_RETURN_NOT_OK(append_named(out, from, self->schema->fields[i]->name, err));
  }
  QV_RETURN_NOT_OK(qv__appendf(out, err, "], aggr=["));
  for (int32_t j = 0; j < p->n_aggs; j++) {
    if (j) QV_RETURN_NOT_OK(qv__appendf(out, err, ", "));
    int64_t from = out->size;
    QV_RETURN_NOT_OK(qv__aggregate_to_string(p->aggs[j], out, err));
    QV_RETURN_NOT_OK(append_named(out, from, qv_aggregate_name(p->aggs[j]), err));
  }
  return qv__appendf(out, err, "]");
}

static const qv_plan_ops hash_aggregate_ops = {"HashAggregateExec", agg_execute, agg_describe, payload_destroy};

qv_aggregate_mode qv__hash_aggregate_mode(const qv_exec_plan *p) { return ((const agg_payload *)p->payload)->mode; }
int32_t qv__hash_aggregate_num_groups(const qv_exec_plan *p) { return ((const agg_payload *)p->payload)->n_groups; }
qv_expr *qv__hash_aggregate_group(const qv_exec_plan *p, int32_t i) {
  return ((const agg_payload *)p->payload)->groups[i];
}
int32_t qv__hash_aggregate_num_aggs(const qv_exec_plan *p) { return ((const agg_payload *)p->payload)->n_aggs; }
qv_aggregate_expr *qv__hash_aggregate_agg(const qv_exec_plan *p, int32_t i) {
  return ((const agg_payload *)p->payload)->aggs[i];
}

/* ---- construction ---------------------------------------------------------------------- */

static qv_status check_final_input(const agg_payload *p, const qv_schema *in, qv_error *err) {
  int32_t want = p->n_groups;
  for (int32_t j = 0; j < p->n_aggs; j++) want += qv_aggregate_num_state_fields(p->aggs[j]);
  if (in->n_fields != want)
    return qv_error_set(err, QV_INVALID,
                        "HashAggregateExec: mode=%s expects the output of a Partial aggregation (%d columns), "
                        "input has %d",
                        mode_names[p->mode], want, in->n_fields);
  for (int32_t i = 0; i < p->n_groups; i++) {
    if (!qv_type_equals(in->fields[i]->type, p->key_types[i])) {
      char a[96], b[96];
      return qv_error_set(err, QV_TYPE_ERROR, "HashAggregateExec: group column %d of the input is %s, expected %s", i,
                          qv_type_to_string(in->fields[i]->type, a, sizeof a),
                          qv_type_to_string(p->key_types[i], b, sizeof b));
    }
  }
  for (int32_t j = 0; j < p->n_aggs; j++) {
    for (int32_t c = 0; c < qv_aggregate_num_state_fields(p->aggs[j]); c++) {
      const qv_field *f = in->fields[p->state_col[j] + c], *want_f = qv_aggregate_state_field(p->aggs[j], c);
      if (!qv_type_equals(f->type, qv_field_type(want_f))) {
        char a[96], b[96];
        return qv_error_set(err, QV_TYPE_ERROR,
                            "HashAggregateExec: state column '%s' of the input is %s, %s expects %s",
                            f->name, qv_type_to_string(f->type, a, sizeof a), qv_field_name(want_f),
                            qv_type_to_string(qv_field_type(want_f), b, sizeof b));
      }
    }
  }
  return QV_OK;
}

static qv_status build_schema(const agg_payload *p, const qv_schema *in, const char *const *group_names,
                              qv_schema **out, qv_error *err) {
  int32_t n = p->n_groups;
  for (int32_t j = 0; j < p->n_aggs; j++)
    n += p->mode == QV_AGG_PARTIAL ? qv_aggregate_num_state_fields(p->aggs[j]) : 1;
  qv_field **fields = calloc((size_t)(n ? n : 1), sizeof *fields);
  if (!fields) return qv_error_set(err, QV_NOMEM, "HashAggregateExec: out of memory");
  qv_status st = QV_OK;
  int32_t at = 0;
  for (int32_t i = 0; st == QV_OK && i < p->n_groups; i++) {
    bool nullable = merges(p->mode) ? in->fields[i]->nullable : qv_expr_nullable(p->groups[i]);
    st = qv_field_create(group_names[i], p->key_types[i], nullable, NULL, &fields[at], err);
    if (st == QV_OK) at++;
  }
  for (int32_t j = 0; st == QV_OK && j < p->n_aggs; j++) {
    qv_aggregate_expr *a = p->aggs[j];
    if (p->mode == QV_AGG_PARTIAL) {
      for (int32_t c = 0; c < qv_aggregate_num_state_fields(a); c++)
        fields[at++] = qv_field_ref(qv_aggregate_state_field(a, c));
    } else {
      st = qv_field_create(qv_aggregate_name(a), qv_aggregate_type(a), qv__aggregate_nullable(a), NULL, &fields[at],
                           err);
      if (st == QV_OK) at++;
    }
  }
  if (st == QV_OK) st = qv_schema_create(fields, n, NULL, out, err);
  for (int32_t i = 0; i < at; i++) qv_field_unref(fields[i]);
  free(fields);
  return st;
}

qv_status qv_plan_hash_aggregate(qv_aggregate_mode mode, qv_exec_plan *input, qv_expr *const *groups,
                                 const char *const *group_names, int32_t n_groups, qv_aggregate_expr *const *aggs,
                                 int32_t n_aggs, qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  if (!input) return qv_error_set(err, QV_INVALID, "HashAggregateExec: no input");
  if ((int)mode < 0 || mode > QV_AGG_FINAL_PARTITIONED)
    return qv_error_set(err, QV_INVALID, "HashAggregateExec: unknown mode %d", (int)mode);
  if (n_groups < 0 || n_aggs < 0 || (n_groups > 0 && (!groups || !group_names)) || (n_aggs > 0 && !aggs))
    return qv_error_set(err, QV_INVALID, "HashAggregateExec: bad group or aggregate list");
  if (n_groups == 0 && n_aggs == 0)
    return qv_error_set(err, QV_INVALID, "HashAggregateExec: needs group expressions or aggregates");
  for (int32_t i = 0; i < n_groups; i++)
    if (!groups[i] || !group_names[i])
      return qv_error_set(err, QV_INVALID, "HashAggregateExec: group %d has no expression or name", i);
  for (int32_t j = 0; j < n_aggs; j++)
    if (!aggs[j]) return qv_error_set(err, QV_INVALID, "HashAggregateExec: aggregate %d is NULL", j);
  if (mode == QV_AGG_FINAL && input->n_partitions != 1)
    return qv_error_set(err, QV_INVALID,
                        "HashAggregateExec: mode=Final needs one input partition, input has %d (coalesce it first, or "
                        "use FinalPartitioned)",
                        input->n_partitions);

  agg_payload *p = calloc(1, sizeof *p);
  if (!p) return qv_error_set(err, QV_NOMEM, "HashAggregateExec: out of memory");
  p->mode = mode;
  p->groups = calloc((size_t)(n_groups ? n_groups : 1), sizeof *p->groups);
  p->key_types = calloc((size_t)(n_groups ? n_groups : 1), sizeof *p->key_types);
  p->aggs = calloc((size_t)(n_aggs ? n_aggs : 1), sizeof *p->aggs);
  p->state_col = calloc((size_t)(n_aggs ? n_aggs : 1), sizeof *p->state_col);
  if (!p->groups || !p->key_types || !p->aggs || !p->state_col) {
    payload_destroy(p);
    return qv_error_set(err, QV_NOMEM, "HashAggregateExec: out of memory");
  }
  for (int32_t i = 0; i < n_groups; i++) {
    p->groups[i] = qv_expr_ref(groups[i]);
    p->key_types[i] = qv_type_ref(qv_expr_type(groups[i]));
    p->n_groups = i + 1;
  }
  int32_t col = n_groups;
  for (int32_t j = 0; j < n_aggs; j++) {
    p->aggs[j] = qv_aggregate_ref(aggs[j]);
    p->n_aggs = j + 1;
    p->state_col[j] = col;
    int32_t k = qv_aggregate_num_state_fields(aggs[j]);
    col += k;
    int32_t inputs = merges(mode) ? k : qv__aggregate_num_args(aggs[j]);
    if (inputs > p->max_inputs) p->max_inputs = inputs;
  }
  qv_status st = merges(mode) ? check_final_input(p, input->schema, err) : QV_OK;
  qv_schema *schema = NULL;
  if (st == QV_OK) st = build_schema(p, input->schema, group_names, &schema, err);
  if (st != QV_OK) {
    payload_destroy(p);
    return st;
  }
  int32_t parts = mode == QV_AGG_FINAL ? 1 : input->n_partitions;
  st = qv__plan_create(QV_PLAN_HASH_AGGREGATE, &hash_aggregate_ops, schema, parts, &input, 1, p, out, err);
  qv_schema_unref(schema);
  return st;
}
