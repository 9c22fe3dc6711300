/* Physical plans of quiver-plan-run, built bottom-up from an S-expression tree
 * with the public plan builder (include/quiver/plan.h). Each operator's
 * expressions are built against its input's schema; a join filter against
 * left ++ right. A Final or FinalPartitioned aggregation reuses the group and
 * aggregate objects of the Partial aggregation found below it, as the
 * builder requires. The syntax is described in main.c. */
#include <stdlib.h>
#include <string.h>

#include "exec/join_internal.h"
#include "plan_run.h"

#define MAX_ITEMS 256

/* A Partial aggregation built so far, for the Final step above it. */
typedef struct partial_agg {
  const qv_exec_plan *node; /* borrowed: the plan tree keeps it alive */
  qv_expr **groups;
  char **group_names;
  int32_t n_groups;
  qv_aggregate_expr **aggs;
  int32_t n_aggs;
} partial_agg;

struct plan_builder {
  qv_session_state *session;
  const plan_table *tables;
  int32_t n_tables;
  partial_agg *partials;
  int32_t n_partials, cap_partials;
};

qv_status qv__plan_builder_create(qv_session_state *session, const plan_table *tables, int32_t n_tables,
                                  plan_builder **out, qv_error *err) {
  *out = calloc(1, sizeof **out);
  if (!*out) return qv_error_set(err, QV_NOMEM, "plan: out of memory");
  (*out)->session = qv_session_state_ref(session);
  (*out)->tables = tables;
  (*out)->n_tables = n_tables;
  return QV_OK;
}

static void partial_reset(partial_agg *a) {
  for (int32_t i = 0; i < a->n_groups; i++) {
    qv_expr_unref(a->groups[i]);
    free(a->group_names[i]);
  }
  for (int32_t i = 0; i < a->n_aggs; i++) qv_aggregate_unref(a->aggs[i]);
  free(a->groups);
  free(a->group_names);
  free(a->aggs);
}

void qv__plan_builder_destroy(plan_builder *b) {
  if (!b) return;
  for (int32_t i = 0; i < b->n_partials; i++) partial_reset(&b->partials[i]);
  free(b->partials);
  qv_session_state_unref(b->session);
  free(b);
}

/* ---- helpers ------------------------------------------------------------------------ */

static const char *word_at(const sx *node, int32_t i) {
  return i < node->n && !node->items[i]->is_list ? node->items[i]->text : NULL;
}

/* The option (NAME ...) among items [from, n) of node, or NULL. */
static const sx *option(const sx *node, int32_t from, const char *name) {
  for (int32_t i = from; i < node->n; i++) {
    const char *h = qv__sx_head(node->items[i]);
    if (h && strcmp(h, name) == 0) return node->items[i];
  }
  return NULL;
}

static bool flag(const sx *node, int32_t from, const char *word) {
  for (int32_t i = from; i < node->n; i++)
    if (qv__sx_is_word(node->items[i], word)) return true;
  return false;
}

/* Rejects items [from, n) that are neither one of the options nor one of the
 * flags (so that a misspelt option is an error, not silently ignored). */
static qv_status check_extras(const sx *node, int32_t from, const char *const *options, const char *const *flags,
                              qv_error *err) {
  for (int32_t i = from; i < node->n; i++) {
    const sx *it = node->items[i];
    const char *h = it->is_list ? qv__sx_head(it) : it->text;
    bool ok = false;
    for (const char *const *o = it->is_list ? options : flags; h && o && *o; o++)
      if (strcmp(*o, h) == 0) ok = true;
    if (!ok) return qv__sx_error(it, err, "(%s ...): unexpected '%s'", qv__sx_head(node), h ? h : "(...)");
  }
  return QV_OK;
}

static qv_status int_option(const sx *node, int32_t from, const char *name, int64_t dflt, int64_t *out,
                            qv_error *err) {
  *out = dflt;
  const sx *o = option(node, from, name);
  if (!o) return QV_OK;
  if (o->n != 2) return qv__sx_error(o, err, "(%s N)", name);
  return qv__sx_int(o->items[1], name, out, err);
}

static qv_status child_plan(plan_builder *b, const sx *node, int32_t i, qv_exec_plan **out, qv_error *err) {
  if (i >= node->n) return qv__sx_error(node, err, "(%s ...): missing input plan", qv__sx_head(node));
  return qv__build_plan(b, node->items[i], out, err);
}

static expr_scope scope_of(const plan_builder *b, const qv_exec_plan *input) {
  return (expr_scope){qv_exec_plan_schema(input), NULL, NULL, b->session};
}

static int32_t partitions_arg(const plan_builder *b, int64_t n) {
  return n > 0 ? (int32_t)n : qv_session_target_partitions(b->session);
}

/* ---- operators ------------------------------------------------------------------- */

static qv_status build_scan(plan_builder *b, const sx *node, qv_exec_plan **out, qv_error *err) {
  const char *name = word_at(node, 1);
  if (!name || node->n != 2) return qv__sx_error(node, err, "(scan TABLE)");
  for (int32_t i = 0; i < b->n_tables; i++) {
    const plan_table *t = &b->tables[i];
    if (strcmp(t->name, name) == 0)
      return qv_plan_memory_scan(t->schema, (qv_record_batch *const *const *)t->batches, t->n_batches,
                                 t->n_partitions, out, err);
  }
  return qv_error_set(err, QV_NOT_FOUND, "plan at offset %zu: no table '%s' (load it with --table %s=FILE)",
                      node->pos, name, name);
}

static qv_status build_filter(plan_builder *b, const sx *node, qv_exec_plan *in, qv_exec_plan **out, qv_error *err) {
  if (node->n != 3) return qv__sx_error(node, err, "(filter INPUT PREDICATE)");
  expr_scope sc = scope_of(b, in);
  qv_expr *pred = NULL;
  QV_RETURN_NOT_OK(qv__build_expr(&sc, node->items[2], &pred, err));
  qv_status st = qv_plan_filter(in, pred, out, err);
  qv_expr_unref(pred);
  return st;
}

/* Items (NAME EXPR) of a list starting at `from`, as in project and groups. */
static qv_status named_exprs(const expr_scope *sc, const sx *node, int32_t from, qv_expr **exprs, const char **names,
                             int32_t *n, qv_error *err) {
  *n = 0;
  if (node->n - from > MAX_ITEMS) return qv__sx_error(node, err, "too many items");
  for (int32_t i = from; i < node->n; i++) {
    const sx *it = node->items[i];
    if (!it->is_list || it->n != 2 || it->items[0]->is_list)
      return qv__sx_error(it, err, "expected (NAME EXPRESSION)");
    names[*n] = it->items[0]->text;
    QV_RETURN_NOT_OK(qv__build_expr(sc, it->items[1], &exprs[*n], err));
    (*n)++;
  }
  return QV_OK;
}

static qv_status build_project(plan_builder *b, const sx *node, qv_exec_plan *in, qv_exec_plan **out,
                               qv_error *err) {
  expr_scope sc = scope_of(b, in);
  qv_expr *exprs[MAX_ITEMS] = {0};
  const char *names[MAX_ITEMS] = {0};
  int32_t n = 0;
  qv_status st = named_exprs(&sc, node, 2, exprs, names, &n, err);
  if (st == QV_OK) st = qv_plan_projection(in, exprs, names, n, out, err);
  for (int32_t i = 0; i < n; i++) qv_expr_unref(exprs[i]);
  return st;
}

static const struct {
  const char *name;
  qv_aggregate_mode mode;
} agg_modes[] = {{"single", QV_AGG_SINGLE},
                 {"partial", QV_AGG_PARTIAL},
                 {"final", QV_AGG_FINAL},
                 {"final_partitioned", QV_AGG_FINAL_PARTITIONED}};

/* The Partial aggregation under `in`, looking through single-input nodes. */
static const partial_agg *find_partial(const plan_builder *b, const qv_exec_plan *in) {
  for (const qv_exec_plan *p = in; p; p = qv_exec_plan_num_children(p) == 1 ? qv_exec_plan_child(p, 0) : NULL)
    for (int32_t i = 0; i < b->n_partials; i++)
      if (b->partials[i].node == p) return &b->partials[i];
  return NULL;
}

static qv_status remember_partial(plan_builder *b, const qv_exec_plan *node, qv_expr *const *groups,
                                  const char *const *names, int32_t n_groups, qv_aggregate_expr *const *aggs,
                                  int32_t n_aggs, qv_error *err) {
  if (b->n_partials == b->cap_partials) {
    int32_t cap = b->cap_partials ? b->cap_partials * 2 : 4;
    partial_agg *grown = realloc(b->partials, (size_t)cap * sizeof *grown);
    if (!grown) return qv_error_set(err, QV_NOMEM, "plan: out of memory");
    b->partials = grown;
    b->cap_partials = cap;
  }
  partial_agg *a = &b->partials[b->n_partials];
  memset(a, 0, sizeof *a);
  a->node = node;
  a->groups = calloc((size_t)n_groups + 1, sizeof *a->groups);
  a->group_names = calloc((size_t)n_groups + 1, sizeof *a->group_names);
  a->aggs = calloc((size_t)n_aggs + 1, sizeof *a->aggs);
  b->n_partials++;
  if (!a->groups || !a->group_names || !a->aggs) return qv_error_set(err, QV_NOMEM, "plan: out of memory");
  for (int32_t i = 0; i < n_groups; i++) {
    a->group_names[i] = strdup(names[i]);
    if (!a->group_names[i]) return qv_error_set(err, QV_NOMEM, "plan: out of memory");
    a->groups[i] = qv_expr_ref(groups[i]);
    a->n_groups = i + 1;
  }
  for (int32_t i = 0; i < n_aggs; i++) a->aggs[a->n_aggs++] = qv_aggregate_ref(aggs[i]);
  return QV_OK;
}

/* (hash_aggregate MODE INPUT [(groups (NAME EXPR)...)] [(aggs (NAME FN [distinct] ARG...)...)]) */
static qv_status build_aggregate(plan_builder *b, const sx *node, qv_exec_plan **out, qv_error *err) {
  const char *mode_name = word_at(node, 1);
  int mode = -1;
  for (size_t i = 0; mode_name && i < sizeof agg_modes / sizeof agg_modes[0]; i++)
    if (strcmp(agg_modes[i].name, mode_name) == 0) mode = (int)agg_modes[i].mode;
  if (mode < 0)
    return qv__sx_error(node, err, "(hash_aggregate MODE INPUT ...): MODE is single, partial, final or "
                                   "final_partitioned");
  static const char *const opts[] = {"groups", "aggs", NULL};
  QV_RETURN_NOT_OK(check_extras(node, 3, opts, NULL, err));
  qv_exec_plan *in = NULL;
  QV_RETURN_NOT_OK(child_plan(b, node, 2, &in, err));
  qv_status st = QV_OK;
  if (mode == QV_AGG_FINAL || mode == QV_AGG_FINAL_PARTITIONED) {
    const partial_agg *pa = find_partial(b, in);
    if (option(node, 3, "groups") || option(node, 3, "aggs"))
      st = qv__sx_error(node, err, "a final aggregation takes its groups and aggregates from the partial one below it");
    else if (!pa)
      st = qv__sx_error(node, err, "a final aggregation needs a (hash_aggregate partial ...) below it");
    else
      st = qv_plan_hash_aggregate((qv_aggregate_mode)mode, in, pa->groups, (const char *const *)pa->group_names,
                                  pa->n_groups, pa->aggs, pa->n_aggs, out, err);
    qv_exec_plan_unref(in);
    return st;
  }
  expr_scope sc = scope_of(b, in);
  qv_expr *groups[MAX_ITEMS] = {0};
  const char *names[MAX_ITEMS] = {0};
  qv_aggregate_expr *aggs[MAX_ITEMS] = {0};
  int32_t n_groups = 0, n_aggs = 0;
  const sx *g = option(node, 3, "groups"), *a = option(node, 3, "aggs");
  if (g) st = named_exprs(&sc, g, 1, groups, names, &n_groups, err);
  if (st == QV_OK && a && a->n - 1 > MAX_ITEMS) st = qv__sx_error(a, err, "too many aggregates");
  for (int32_t i = 1; st == QV_OK && a && i < a->n; i++) {
    st = qv__build_aggregate(&sc, a->items[i], &aggs[n_aggs], err);
    if (st == QV_OK) n_aggs++;
  }
  if (st == QV_OK)
    st = qv_plan_hash_aggregate((qv_aggregate_mode)mode, in, groups, names, n_groups, aggs, n_aggs, out, err);
  if (st == QV_OK && mode == QV_AGG_PARTIAL) st = remember_partial(b, *out, groups, names, n_groups, aggs, n_aggs, err);
  for (int32_t i = 0; i < n_groups; i++) qv_expr_unref(groups[i]);
  for (int32_t i = 0; i < n_aggs; i++) qv_aggregate_unref(aggs[i]);
  qv_exec_plan_unref(in);
  return st;
}

/* (repartition_hash INPUT N EXPR...); N = 0: target_partitions. */
static qv_status build_repartition_hash(plan_builder *b, const sx *node, qv_exec_plan *in, qv_exec_plan **out,
                                        qv_error *err) {
  int64_t n;
  if (node->n < 4) return qv__sx_error(node, err, "(repartition_hash INPUT N KEY...)");
  QV_RETURN_NOT_OK(qv__sx_int(node->items[2], "repartition_hash N", &n, err));
  expr_scope sc = scope_of(b, in);
  qv_expr *keys[MAX_ITEMS] = {0};
  int32_t n_keys = 0;
  qv_status st = node->n - 3 > MAX_ITEMS ? qv__sx_error(node, err, "too many keys") : QV_OK;
  for (int32_t i = 3; st == QV_OK && i < node->n; i++) {
    st = qv__build_expr(&sc, node->items[i], &keys[n_keys], err);
    if (st == QV_OK) n_keys++;
  }
  if (st == QV_OK) st = qv_plan_repartition_hash(in, keys, n_keys, partitions_arg(b, n), out, err);
  for (int32_t i = 0; i < n_keys; i++) qv_expr_unref(keys[i]);
  return st;
}

static const struct {
  const char *name;
  qv_join_type type;
} join_types[] = {{"inner", QV_JOIN_INNER},         {"left", QV_JOIN_LEFT},
                  {"right", QV_JOIN_RIGHT},         {"full", QV_JOIN_FULL},
                  {"left_semi", QV_JOIN_LEFT_SEMI}, {"left_anti", QV_JOIN_LEFT_ANTI},
                  {"right_semi", QV_JOIN_RIGHT_SEMI}, {"right_anti", QV_JOIN_RIGHT_ANTI},
                  {"left_mark", QV_JOIN_LEFT_MARK}};

static qv_status join_type_at(const sx *node, int32_t i, qv_join_type *out, qv_error *err) {
  const char *w = word_at(node, i);
  for (size_t k = 0; w && k < sizeof join_types / sizeof join_types[0]; k++)
    if (strcmp(join_types[k].name, w) == 0) {
      *out = join_types[k].type;
      return QV_OK;
    }
  return qv__sx_error(node, err, "join type '%s' is not one of inner, left, right, full, left_semi, left_anti, "
                                 "right_semi, right_anti, left_mark", w ? w : "(...)");
}

/* The residual filter (filter EXPR) of a join, over left ++ right; NULL if none. */
static qv_status join_filter(plan_builder *b, const sx *node, int32_t from, qv_exec_plan *l, qv_exec_plan *r,
                             qv_expr **out, qv_error *err) {
  *out = NULL;
  const sx *f = option(node, from, "filter");
  if (!f) return QV_OK;
  if (f->n != 2) return qv__sx_error(f, err, "(filter EXPR)");
  qv_schema *concat = NULL;
  QV_RETURN_NOT_OK(qv__join_concat_schema(qv_exec_plan_schema(l), qv_exec_plan_schema(r), &concat, err));
  expr_scope sc = {concat, qv_exec_plan_schema(l), qv_exec_plan_schema(r), b->session};
  qv_status st = qv__build_expr(&sc, f->items[1], out, err);
  qv_schema_unref(concat);
  return st;
}

/* (hash_join TYPE MODE LEFT RIGHT (on LKEY RKEY)... [(filter EXPR)] [null_equals_null]) */
static qv_status build_hash_join(plan_builder *b, const sx *node, qv_exec_plan **out, qv_error *err) {
  qv_join_type type;
  QV_RETURN_NOT_OK(join_type_at(node, 1, &type, err));
  const char *m = word_at(node, 2);
  qv_join_partition_mode mode;
  if (m && strcmp(m, "collect_left") == 0) mode = QV_JOIN_COLLECT_LEFT;
  else if (m && strcmp(m, "partitioned") == 0) mode = QV_JOIN_PARTITIONED;
  else return qv__sx_error(node, err, "(hash_join TYPE MODE ...): MODE is collect_left or partitioned");
  static const char *const opts[] = {"on", "filter", NULL}, *const flags[] = {"null_equals_null", NULL};
  QV_RETURN_NOT_OK(check_extras(node, 5, opts, flags, err));
  qv_exec_plan *l = NULL, *r = NULL;
  qv_expr *lk[MAX_ITEMS] = {0}, *rk[MAX_ITEMS] = {0}, *filter = NULL;
  int32_t n_keys = 0;
  qv_status st = child_plan(b, node, 3, &l, err);
  if (st == QV_OK) st = child_plan(b, node, 4, &r, err);
  expr_scope ls = {0}, rs = {0};
  if (st == QV_OK) {
    ls = scope_of(b, l);
    rs = scope_of(b, r);
  }
  for (int32_t i = 5; st == QV_OK && i < node->n; i++) {
    const sx *on = node->items[i];
    const char *h = qv__sx_head(on);
    if (!h || strcmp(h, "on") != 0) continue;
    if (on->n != 3) st = qv__sx_error(on, err, "(on LEFT_KEY RIGHT_KEY)");
    else if (n_keys == MAX_ITEMS) st = qv__sx_error(on, err, "too many join keys");
    if (st == QV_OK) st = qv__build_expr(&ls, on->items[1], &lk[n_keys], err);
    if (st == QV_OK) {
      st = qv__build_expr(&rs, on->items[2], &rk[n_keys], err);
      if (st != QV_OK) qv_expr_unref(lk[n_keys]);
    }
    if (st == QV_OK) n_keys++;
  }
  if (st == QV_OK) st = join_filter(b, node, 5, l, r, &filter, err);
  if (st == QV_OK)
    st = qv_plan_hash_join(l, r, lk, rk, n_keys, filter, type, mode, flag(node, 5, "null_equals_null"), out, err);
  for (int32_t i = 0; i < n_keys; i++) {
    qv_expr_unref(lk[i]);
    qv_expr_unref(rk[i]);
  }
  qv_expr_unref(filter);
  qv_exec_plan_unref(l);
  qv_exec_plan_unref(r);
  return st;
}

/* (nested_loop_join TYPE LEFT RIGHT [(filter EXPR)]) */
static qv_status build_nested_loop_join(plan_builder *b, const sx *node, qv_exec_plan **out, qv_error *err) {
  qv_join_type type;
  QV_RETURN_NOT_OK(join_type_at(node, 1, &type, err));
  static const char *const opts[] = {"filter", NULL};
  QV_RETURN_NOT_OK(check_extras(node, 4, opts, NULL, err));
  qv_exec_plan *l = NULL, *r = NULL;
  qv_expr *filter = NULL;
  qv_status st = child_plan(b, node, 2, &l, err);
  if (st == QV_OK) st = child_plan(b, node, 3, &r, err);
  if (st == QV_OK) st = join_filter(b, node, 4, l, r, &filter, err);
  if (st == QV_OK) st = qv_plan_nested_loop_join(l, r, filter, type, out, err);
  qv_expr_unref(filter);
  qv_exec_plan_unref(l);
  qv_exec_plan_unref(r);
  return st;
}

/* Sort keys (asc|desc EXPR [nulls_first|nulls_last]) among items [from, n).
 * Without a nulls word, NULLs sort last ascending and first descending (as
 * in PostgreSQL and DataFusion: NULL is the largest value). */
static qv_status sort_keys(plan_builder *b, const sx *node, int32_t from, qv_exec_plan *in, qv_sort_key *keys,
                           int32_t *n, qv_error *err) {
  *n = 0;
  expr_scope sc = scope_of(b, in);
  for (int32_t i = from; i < node->n; i++) {
    const sx *k = node->items[i];
    const char *h = qv__sx_head(k);
    if (!h || (strcmp(h, "asc") != 0 && strcmp(h, "desc") != 0)) continue;
    if (k->n < 2 || k->n > 3) return qv__sx_error(k, err, "(asc|desc EXPR [nulls_first|nulls_last])");
    if (*n == MAX_ITEMS) return qv__sx_error(k, err, "too many sort keys");
    bool desc = strcmp(h, "desc") == 0, nulls_first = desc;
    if (k->n == 3) {
      if (qv__sx_is_word(k->items[2], "nulls_first")) nulls_first = true;
      else if (qv__sx_is_word(k->items[2], "nulls_last")) nulls_first = false;
      else return qv__sx_error(k->items[2], err, "expected nulls_first or nulls_last");
    }
    QV_RETURN_NOT_OK(qv__build_expr(&sc, k->items[1], &keys[*n].expr, err));
    keys[*n].descending = desc;
    keys[*n].nulls_first = nulls_first;
    (*n)++;
  }
  if (*n == 0) return qv__sx_error(node, err, "(%s ...) needs at least one (asc EXPR) or (desc EXPR) key",
                                   qv__sx_head(node));
  return QV_OK;
}

/* (sort INPUT KEY... [(fetch N)] [preserve_partitioning]) and
 * (sort_preserving_merge INPUT KEY... [(fetch N)]) */
static qv_status build_sort(plan_builder *b, const sx *node, bool merge, qv_exec_plan *in, qv_exec_plan **out,
                            qv_error *err) {
  static const char *const opts[] = {"asc", "desc", "fetch", NULL}, *const flags[] = {"preserve_partitioning", NULL};
  QV_RETURN_NOT_OK(check_extras(node, 2, opts, merge ? NULL : flags, err));
  qv_sort_key keys[MAX_ITEMS];
  memset(keys, 0, sizeof keys);
  int32_t n = 0;
  int64_t fetch;
  qv_status st = int_option(node, 2, "fetch", -1, &fetch, err);
  if (st == QV_OK) st = sort_keys(b, node, 2, in, keys, &n, err);
  if (st == QV_OK && merge) st = qv_plan_sort_preserving_merge(in, keys, n, fetch, out, err);
  else if (st == QV_OK) st = qv_plan_sort(in, keys, n, fetch, flag(node, 2, "preserve_partitioning"), out, err);
  for (int32_t i = 0; i < n; i++) qv_expr_unref(keys[i].expr);
  return st;
}

/* (limit INPUT [(offset N)] [(fetch N)] [per_partition]) */
static qv_status build_limit(const sx *node, qv_exec_plan *in, qv_exec_plan **out, qv_error *err) {
  static const char *const opts[] = {"offset", "fetch", NULL}, *const flags[] = {"per_partition", NULL};
  QV_RETURN_NOT_OK(check_extras(node, 2, opts, flags, err));
  int64_t offset, fetch;
  QV_RETURN_NOT_OK(int_option(node, 2, "offset", 0, &offset, err));
  QV_RETURN_NOT_OK(int_option(node, 2, "fetch", -1, &fetch, err));
  return qv_plan_limit(in, offset, fetch, !flag(node, 2, "per_partition"), out, err);
}

static qv_status build_union(plan_builder *b, const sx *node, qv_exec_plan **out, qv_error *err) {
  qv_exec_plan *inputs[MAX_ITEMS] = {0};
  int32_t n = 0;
  if (node->n < 2 || node->n - 1 > MAX_ITEMS) return qv__sx_error(node, err, "(union INPUT...)");
  qv_status st = QV_OK;
  for (int32_t i = 1; st == QV_OK && i < node->n; i++) {
    st = qv__build_plan(b, node->items[i], &inputs[n], err);
    if (st == QV_OK) n++;
  }
  if (st == QV_OK) st = qv_plan_union(inputs, n, out, err);
  for (int32_t i = 0; i < n; i++) qv_exec_plan_unref(inputs[i]);
  return st;
}

/* Operators of one input, which comes first. */
static qv_status build_unary(plan_builder *b, const sx *node, const char *head, qv_exec_plan **out, qv_error *err) {
  qv_exec_plan *in = NULL;
  QV_RETURN_NOT_OK(child_plan(b, node, 1, &in, err));
  qv_status st;
  int64_t n = 0;
  if (strcmp(head, "filter") == 0) st = build_filter(b, node, in, out, err);
  else if (strcmp(head, "project") == 0) st = build_project(b, node, in, out, err);
  else if (strcmp(head, "repartition_hash") == 0) st = build_repartition_hash(b, node, in, out, err);
  else if (strcmp(head, "repartition_rr") == 0) {
    st = node->n == 3 ? qv__sx_int(node->items[2], "repartition_rr N", &n, err)
                      : qv__sx_error(node, err, "(repartition_rr INPUT N)");
    if (st == QV_OK) st = qv_plan_repartition_round_robin(in, partitions_arg(b, n), out, err);
  } else if (strcmp(head, "coalesce_partitions") == 0) {
    st = node->n == 2 ? qv_plan_coalesce_partitions(in, out, err)
                      : qv__sx_error(node, err, "(coalesce_partitions INPUT)");
  } else if (strcmp(head, "coalesce_batches") == 0) {
    st = node->n == 3 ? qv__sx_int(node->items[2], "coalesce_batches TARGET", &n, err)
                      : qv__sx_error(node, err, "(coalesce_batches INPUT TARGET_ROWS)");
    if (st == QV_OK) st = qv_plan_coalesce_batches(in, n, out, err);
  } else if (strcmp(head, "sort") == 0) st = build_sort(b, node, false, in, out, err);
  else if (strcmp(head, "sort_preserving_merge") == 0) st = build_sort(b, node, true, in, out, err);
  else if (strcmp(head, "limit") == 0) st = build_limit(node, in, out, err);
  else st = qv__sx_error(node, err, "unknown operator '%s'", head);
  qv_exec_plan_unref(in);
  return st;
}

static qv_status build_node(plan_builder *b, const sx *node, qv_exec_plan **out, qv_error *err) {
  const char *head = qv__sx_head(node);
  if (!head) return qv__sx_error(node, err, "expected an operator (NAME ...)");
  if (strcmp(head, "scan") == 0) return build_scan(b, node, out, err);
  if (strcmp(head, "hash_aggregate") == 0) return build_aggregate(b, node, out, err);
  if (strcmp(head, "hash_join") == 0) return build_hash_join(b, node, out, err);
  if (strcmp(head, "nested_loop_join") == 0) return build_nested_loop_join(b, node, out, err);
  if (strcmp(head, "union") == 0) return build_union(b, node, out, err);
  static const char *const unary[] = {"filter", "project", "repartition_hash", "repartition_rr",
                                      "coalesce_partitions", "coalesce_batches", "sort", "sort_preserving_merge",
                                      "limit"};
  for (size_t i = 0; i < sizeof unary / sizeof unary[0]; i++)
    if (strcmp(head, unary[i]) == 0) return build_unary(b, node, head, out, err);
  return qv__sx_error(node, err, "unknown operator '%s'", head);
}

qv_status qv__build_plan(plan_builder *b, const sx *node, qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  qv_status st = build_node(b, node, out, err);
  if (st != QV_OK) {
    qv_exec_plan_unref(*out);
    *out = NULL;
  }
  return st;
}
