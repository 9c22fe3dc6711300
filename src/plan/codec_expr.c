/* Expressions on the wire: qv_expr <-> quiver.PhysicalExpr for every node
 * kind (columns, literals, operators, IN, BETWEEN, LIKE, CASE, casts,
 * built-in functions and scalar UDFs by name), aggregate calls and sort
 * keys.
 *
 * Encoding walks a built tree through the accessors of expr_internal.h.
 * Implicit casts that type coercion inserted below another node are left
 * out: decoding rebuilds every node with its public constructor, which runs
 * the same (idempotent) coercion and puts them back, so the decoded tree
 * equals the original. An implicit cast at the root of an expression has no
 * constructor above it to restore it, so it travels flagged as implicit.
 * Decoding checks every index, operator, count and depth before calling a
 * constructor, and the constructors type-check the rest. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "expr/aggregate_internal.h"
#include "expr/expr_internal.h"
#include "plan/codec_internal.h"

/* ---- encoding ------------------------------------------------------------------------ */

static qv_status encode_node(qv__plan_enc *e, const qv_expr *x, int32_t depth, bool root, Quiver__PhysicalExpr **out,
                             qv_error *err);

/* Encodes children [from, from + n) of x into a new array. */
static qv_status encode_children(qv__plan_enc *e, const qv_expr *x, int32_t from, int32_t n, int32_t depth,
                                 Quiver__PhysicalExpr ***out, size_t *n_out, qv_error *err) {
  *out = NULL;
  *n_out = 0;
  if (n <= 0) return QV_OK;
  QV_RETURN_NOT_OK(qv__plan_enc_alloc(e, (size_t)n * sizeof **out, (void **)out, err));
  for (int32_t i = 0; i < n; i++)
    QV_RETURN_NOT_OK(encode_node(e, qv__expr_child(x, from + i), depth + 1, false, &(*out)[i], err));
  *n_out = (size_t)n;
  return QV_OK;
}

static qv_status encode_child(qv__plan_enc *e, const qv_expr *x, int32_t i, int32_t depth, Quiver__PhysicalExpr **out,
                              qv_error *err) {
  return encode_node(e, qv__expr_child(x, i), depth + 1, false, out, err);
}

static qv_status encode_node(qv__plan_enc *e, const qv_expr *x, int32_t depth, bool root, Quiver__PhysicalExpr **out,
                             qv_error *err) {
  if (depth > QV_PLAN_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "expression nested deeper than %d levels", QV_PLAN_MAX_DEPTH);
  while (!root && qv__expr_kind(x) == QV_EXPR_CAST && qv__expr_cast_implicit(x)) x = qv__expr_child(x, 0);
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__PhysicalExpr, quiver__physical_expr__init, out, err));
  Quiver__PhysicalExpr *m = *out;
  switch (qv__expr_kind(x)) {
    case QV_EXPR_COLUMN: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__ColumnExpr, quiver__column_expr__init, &m->column, err));
      m->expr_case = QUIVER__PHYSICAL_EXPR__EXPR_COLUMN;
      m->column->index = (uint32_t)qv__expr_column_index(x);
      return qv__plan_enc_strdup(e, qv__expr_name(x), &m->column->name, err);
    }
    case QV_EXPR_LITERAL:
      m->expr_case = QUIVER__PHYSICAL_EXPR__EXPR_LITERAL;
      return qv__encode_scalar(e, qv__expr_literal_value(x), &m->literal, err);
    case QV_EXPR_BINARY: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__BinaryExpr, quiver__binary_expr__init, &m->binary, err));
      m->expr_case = QUIVER__PHYSICAL_EXPR__EXPR_BINARY;
      m->binary->op = (uint32_t)qv__expr_binary_op(x);
      QV_RETURN_NOT_OK(encode_child(e, x, 0, depth, &m->binary->left, err));
      return encode_child(e, x, 1, depth, &m->binary->right, err);
    }
    case QV_EXPR_NOT:
    case QV_EXPR_NEGATE: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__UnaryExpr, quiver__unary_expr__init, &m->unary, err));
      m->expr_case = QUIVER__PHYSICAL_EXPR__EXPR_UNARY;
      m->unary->op = qv__expr_kind(x) == QV_EXPR_NOT ? QUIVER__UNARY_EXPR__OP__NOT : QUIVER__UNARY_EXPR__OP__NEGATE;
      return encode_child(e, x, 0, depth, &m->unary->operand, err);
    }
    case QV_EXPR_IS_NULL: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__IsNullExpr, quiver__is_null_expr__init, &m->is_null, err));
      m->expr_case = QUIVER__PHYSICAL_EXPR__EXPR_IS_NULL;
      m->is_null->negated = qv__expr_negated(x);
      return encode_child(e, x, 0, depth, &m->is_null->operand, err);
    }
    case QV_EXPR_IN_LIST: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__InListExpr, quiver__in_list_expr__init, &m->in_list, err));
      m->expr_case = QUIVER__PHYSICAL_EXPR__EXPR_IN_LIST;
      m->in_list->negated = qv__expr_negated(x);
      QV_RETURN_NOT_OK(encode_child(e, x, 0, depth, &m->in_list->operand, err));
      return encode_children(e, x, 1, qv__expr_num_children(x) - 1, depth, &m->in_list->list, &m->in_list->n_list,
                             err);
    }
    case QV_EXPR_BETWEEN: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__BetweenExpr, quiver__between_expr__init, &m->between, err));
      m->expr_case = QUIVER__PHYSICAL_EXPR__EXPR_BETWEEN;
      m->between->negated = qv__expr_negated(x);
      QV_RETURN_NOT_OK(encode_child(e, x, 0, depth, &m->between->operand, err));
      QV_RETURN_NOT_OK(encode_child(e, x, 1, depth, &m->between->low, err));
      return encode_child(e, x, 2, depth, &m->between->high, err);
    }
    case QV_EXPR_LIKE: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__LikeExpr, quiver__like_expr__init, &m->like, err));
      m->expr_case = QUIVER__PHYSICAL_EXPR__EXPR_LIKE;
      m->like->negated = qv__expr_negated(x);
      m->like->case_insensitive = qv__expr_case_insensitive(x);
      QV_RETURN_NOT_OK(encode_child(e, x, 0, depth, &m->like->operand, err));
      return encode_child(e, x, 1, depth, &m->like->pattern, err);
    }
    case QV_EXPR_CASE: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__CaseExpr, quiver__case_expr__init, &m->case_, err));
      m->expr_case = QUIVER__PHYSICAL_EXPR__EXPR_CASE_;
      Quiver__CaseExpr *c = m->case_;
      bool base = qv__expr_case_has_base(x), has_else = qv__expr_case_has_else(x);
      int32_t at = 0;
      if (base) QV_RETURN_NOT_OK(encode_child(e, x, at++, depth, &c->operand, err));
      int32_t n = (qv__expr_num_children(x) - at - (has_else ? 1 : 0)) / 2;
      QV_RETURN_NOT_OK(qv__plan_enc_alloc(e, (size_t)(n ? n : 1) * sizeof *c->whens, (void **)&c->whens, err));
      QV_RETURN_NOT_OK(qv__plan_enc_alloc(e, (size_t)(n ? n : 1) * sizeof *c->thens, (void **)&c->thens, err));
      for (int32_t i = 0; i < n; i++) {
        QV_RETURN_NOT_OK(encode_child(e, x, at++, depth, &c->whens[i], err));
        QV_RETURN_NOT_OK(encode_child(e, x, at++, depth, &c->thens[i], err));
      }
      c->n_whens = c->n_thens = (size_t)n;
      if (has_else) QV_RETURN_NOT_OK(encode_child(e, x, at, depth, &c->else_, err));
      return QV_OK;
    }
    case QV_EXPR_CAST: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__CastExpr, quiver__cast_expr__init, &m->cast, err));
      m->expr_case = QUIVER__PHYSICAL_EXPR__EXPR_CAST;
      m->cast->implicit = qv__expr_cast_implicit(x);
      QV_RETURN_NOT_OK(qv__encode_type(e, qv_expr_type(x), 1, &m->cast->to, err));
      return encode_child(e, x, 0, depth, &m->cast->operand, err);
    }
    case QV_EXPR_FUNCTION:
    case QV_EXPR_UDF: {
      QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__FunctionExpr, quiver__function_expr__init, &m->function, err));
      m->expr_case = QUIVER__PHYSICAL_EXPR__EXPR_FUNCTION;
      QV_RETURN_NOT_OK(qv__plan_enc_strdup(e, qv__expr_name(x), &m->function->name, err));
      return encode_children(e, x, 0, qv__expr_num_children(x), depth, &m->function->args, &m->function->n_args,
                             err);
    }
    default: return qv_error_set(err, QV_INTERNAL, "expression kind %d cannot be encoded", (int)qv__expr_kind(x));
  }
}

qv_status qv__encode_expr(qv__plan_enc *e, const qv_expr *x, Quiver__PhysicalExpr **out, qv_error *err) {
  return encode_node(e, x, 1, true, out, err);
}

qv_status qv__encode_aggregate(qv__plan_enc *e, const qv_aggregate_expr *a, Quiver__AggregateExpr **out,
                               qv_error *err) {
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__AggregateExpr, quiver__aggregate_expr__init, out, err));
  Quiver__AggregateExpr *m = *out;
  QV_RETURN_NOT_OK(qv__plan_enc_strdup(e, qv__aggregate_function(a), &m->function, err));
  QV_RETURN_NOT_OK(qv__plan_enc_strdup(e, qv_aggregate_name(a), &m->output_name, err));
  m->distinct = qv__aggregate_distinct(a);
  int32_t n = qv__aggregate_num_args(a);
  if (n > 0) {
    QV_RETURN_NOT_OK(qv__plan_enc_alloc(e, (size_t)n * sizeof *m->args, (void **)&m->args, err));
    for (int32_t i = 0; i < n; i++) {
      qv_status st = qv__encode_expr(e, qv__aggregate_arg(a, i), &m->args[i], err);
      if (st != QV_OK) {
        qv_error_prefix(err, "aggregate %s argument %d", qv_aggregate_name(a), i);
        return st;
      }
    }
    m->n_args = (size_t)n;
  }
  return QV_OK;
}

qv_status qv__encode_sort_key(qv__plan_enc *e, const qv_sort_key *k, Quiver__SortKey **out, qv_error *err) {
  QV_RETURN_NOT_OK(QV__PLAN_NEW(e, Quiver__SortKey, quiver__sort_key__init, out, err));
  (*out)->descending = k->descending;
  (*out)->nulls_first = k->nulls_first;
  return qv__encode_expr(e, k->expr, &(*out)->expr, err);
}

/* ---- decoding ------------------------------------------------------------------------ */

typedef struct dec_ctx {
  const qv_schema *input;
  qv_session_state *session;
} dec_ctx;

static qv_status decode_node(const dec_ctx *c, const Quiver__PhysicalExpr *m, int32_t depth, qv_expr **out,
                             qv_error *err);

static void unref_list(qv_expr **xs, int32_t n) {
  for (int32_t i = 0; i < n; i++) qv_expr_unref(xs[i]);
  free(xs);
}

/* Decodes n expressions into a new array (at least one slot). */
static qv_status decode_list(const dec_ctx *c, Quiver__PhysicalExpr *const *ms, size_t n, int32_t depth,
                             const char *what, qv_expr ***out, int32_t *n_out, qv_error *err) {
  *out = NULL;
  *n_out = 0;
  if (n > (size_t)INT32_MAX) return qv_error_set(err, QV_INVALID, "%s: %zu expressions", what, n);
  qv_expr **xs = calloc(n ? n : 1, sizeof *xs);
  if (!xs) return qv_error_set(err, QV_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    qv_status st = decode_node(c, ms[i], depth, &xs[i], err);
    if (st != QV_OK) {
      unref_list(xs, (int32_t)i);
      return st;
    }
  }
  *out = xs;
  *n_out = (int32_t)n;
  return QV_OK;
}

/* Decodes the operands given (NULL entries are optional and absent). */
static qv_status decode_operands(const dec_ctx *c, int32_t depth, qv_expr **xs, const Quiver__PhysicalExpr *const *ms,
                                 int32_t n, qv_error *err) {
  for (int32_t i = 0; i < n; i++) {
    xs[i] = NULL;
    if (!ms[i]) continue;
    qv_status st = decode_node(c, ms[i], depth, &xs[i], err);
    if (st != QV_OK) {
      for (int32_t j = 0; j < i; j++) qv_expr_unref(xs[j]);
      return st;
    }
  }
  return QV_OK;
}

static qv_status missing(const char *what, qv_error *err) {
  return qv_error_set(err, QV_INVALID, "%s: missing operand", what);
}

static qv_status decode_case(const dec_ctx *c, const Quiver__CaseExpr *m, int32_t depth, qv_expr **out, qv_error *err) {
  if (m->n_whens != m->n_thens || m->n_whens < 1)
    return qv_error_set(err, QV_INVALID, "CASE: %zu WHEN and %zu THEN branches", m->n_whens, m->n_thens);
  qv_expr **whens = NULL, **thens = NULL;
  int32_t nw = 0, nt = 0;
  qv_expr *ends[2] = {NULL, NULL};
  const Quiver__PhysicalExpr *end_ms[2] = {m->operand, m->else_};
  qv_status st = decode_list(c, m->whens, m->n_whens, depth, "CASE", &whens, &nw, err);
  if (st == QV_OK) st = decode_list(c, m->thens, m->n_thens, depth, "CASE", &thens, &nt, err);
  if (st == QV_OK) st = decode_operands(c, depth, ends, end_ms, 2, err);
  if (st == QV_OK) st = qv_expr_case(ends[0], whens, thens, nw, ends[1], out, err);
  qv_expr_unref(ends[0]);
  qv_expr_unref(ends[1]);
  if (whens) unref_list(whens, nw);
  if (thens) unref_list(thens, nt);
  return st;
}

static qv_status decode_cast(const dec_ctx *c, const Quiver__CastExpr *m, int32_t depth, qv_expr **out,
                             qv_error *err) {
  if (!m->operand) return missing("CAST", err);
  qv_data_type *to = NULL;
  QV_RETURN_NOT_OK(qv__decode_type(m->to, 1, &to, err));
  qv_expr *x = NULL;
  qv_status st = decode_node(c, m->operand, depth, &x, err);
  if (st == QV_OK && m->implicit) {
    st = qv__expr_coerce(&x, to, err); /* takes over x */
    if (st == QV_OK) *out = x;
    else qv_expr_unref(x);
  } else if (st == QV_OK) {
    st = qv_expr_cast(x, to, out, err);
    qv_expr_unref(x);
  }
  qv_type_unref(to);
  return st;
}

static qv_status decode_function(const dec_ctx *c, const Quiver__FunctionExpr *m, int32_t depth, qv_expr **out,
                                 qv_error *err) {
  const char *name = m->name ? m->name : "";
  if (!*name) return qv_error_set(err, QV_INVALID, "function call without a name");
  qv_expr **args = NULL;
  int32_t n = 0;
  QV_RETURN_NOT_OK(decode_list(c, m->args, m->n_args, depth, "function", &args, &n, err));
  qv_status st = qv_expr_function(c->session, name, args, n, out, err);
  unref_list(args, n);
  if (st == QV_NOT_FOUND && err && strncmp(err->message, "unknown function", 16) == 0)
    qv_error_set(err, QV_INVALID,
                 "unknown function '%s' (neither a built-in nor a scalar UDF registered in the session)", name);
  return st;
}

static qv_status decode_node(const dec_ctx *c, const Quiver__PhysicalExpr *m, int32_t depth, qv_expr **out,
                             qv_error *err) {
  *out = NULL;
  if (!m) return qv_error_set(err, QV_INVALID, "missing expression");
  if (depth > QV_PLAN_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "expression nested deeper than %d levels", QV_PLAN_MAX_DEPTH);
  int32_t d = depth + 1;
  qv_expr *xs[3] = {NULL, NULL, NULL};
  qv_status st;
  switch (m->expr_case) {
    case QUIVER__PHYSICAL_EXPR__EXPR_COLUMN: {
      int32_t n = qv_schema_num_fields(c->input);
      if (m->column->index >= (uint32_t)n)
        return qv_error_set(err, QV_INVALID, "column index %u out of range for %d input columns", m->column->index, n);
      return qv_expr_column(c->input, (int32_t)m->column->index, out, err);
    }
    case QUIVER__PHYSICAL_EXPR__EXPR_LITERAL: {
      qv_array *v = NULL;
      QV_RETURN_NOT_OK(qv__decode_scalar(m->literal, &v, err));
      st = qv_expr_literal(v, out, err);
      qv_array_unref(v);
      return st;
    }
    case QUIVER__PHYSICAL_EXPR__EXPR_BINARY: {
      const Quiver__BinaryExpr *b = m->binary;
      if (b->op > (uint32_t)QV_OP_OR) return qv_error_set(err, QV_INVALID, "unknown binary operator %u", b->op);
      if (!b->left || !b->right) return missing(qv__binary_op_symbol((qv_binary_op)b->op), err);
      const Quiver__PhysicalExpr *ms[2] = {b->left, b->right};
      QV_RETURN_NOT_OK(decode_operands(c, d, xs, ms, 2, err));
      st = qv_expr_binary((qv_binary_op)b->op, xs[0], xs[1], out, err);
      break;
    }
    case QUIVER__PHYSICAL_EXPR__EXPR_UNARY: {
      const Quiver__UnaryExpr *u = m->unary;
      if (u->op != QUIVER__UNARY_EXPR__OP__NOT && u->op != QUIVER__UNARY_EXPR__OP__NEGATE)
        return qv_error_set(err, QV_INVALID, "unknown unary operator %d", (int)u->op);
      if (!u->operand) return missing(u->op == QUIVER__UNARY_EXPR__OP__NOT ? "NOT" : "negation", err);
      QV_RETURN_NOT_OK(decode_node(c, u->operand, d, &xs[0], err));
      st = u->op == QUIVER__UNARY_EXPR__OP__NOT ? qv_expr_not(xs[0], out, err) : qv_expr_negate(xs[0], out, err);
      break;
    }
    case QUIVER__PHYSICAL_EXPR__EXPR_IS_NULL:
      if (!m->is_null->operand) return missing("IS NULL", err);
      QV_RETURN_NOT_OK(decode_node(c, m->is_null->operand, d, &xs[0], err));
      st = qv_expr_is_null(xs[0], m->is_null->negated, out, err);
      break;
    case QUIVER__PHYSICAL_EXPR__EXPR_IN_LIST: {
      const Quiver__InListExpr *in = m->in_list;
      if (!in->operand) return missing("IN", err);
      if (in->n_list < 1) return qv_error_set(err, QV_INVALID, "IN: empty list");
      qv_expr **list = NULL;
      int32_t n = 0;
      QV_RETURN_NOT_OK(decode_node(c, in->operand, d, &xs[0], err));
      st = decode_list(c, in->list, in->n_list, d, "IN", &list, &n, err);
      if (st == QV_OK) {
        st = qv_expr_in_list(xs[0], list, n, in->negated, out, err);
        unref_list(list, n);
      }
      break;
    }
    case QUIVER__PHYSICAL_EXPR__EXPR_BETWEEN: {
      const Quiver__BetweenExpr *b = m->between;
      if (!b->operand || !b->low || !b->high) return missing("BETWEEN", err);
      const Quiver__PhysicalExpr *ms[3] = {b->operand, b->low, b->high};
      QV_RETURN_NOT_OK(decode_operands(c, d, xs, ms, 3, err));
      st = qv_expr_between(xs[0], xs[1], xs[2], b->negated, out, err);
      break;
    }
    case QUIVER__PHYSICAL_EXPR__EXPR_LIKE: {
      const Quiver__LikeExpr *l = m->like;
      if (!l->operand || !l->pattern) return missing("LIKE", err);
      const Quiver__PhysicalExpr *ms[2] = {l->operand, l->pattern};
      QV_RETURN_NOT_OK(decode_operands(c, d, xs, ms, 2, err));
      st = qv_expr_like(xs[0], xs[1], l->negated, l->case_insensitive, out, err);
      break;
    }
    case QUIVER__PHYSICAL_EXPR__EXPR_CASE_: return decode_case(c, m->case_, d, out, err);
    case QUIVER__PHYSICAL_EXPR__EXPR_CAST: return decode_cast(c, m->cast, d, out, err);
    case QUIVER__PHYSICAL_EXPR__EXPR_FUNCTION: return decode_function(c, m->function, d, out, err);
    default: return qv_error_set(err, QV_INVALID, "expression of unknown kind %d", (int)m->expr_case);
  }
  for (int i = 0; i < 3; i++) qv_expr_unref(xs[i]);
  return st;
}

qv_status qv__decode_expr(const Quiver__PhysicalExpr *m, const qv_schema *input, qv_session_state *session,
                          qv_expr **out, qv_error *err) {
  dec_ctx c = {input, session};
  return decode_node(&c, m, 1, out, err);
}

qv_status qv__decode_aggregate(const Quiver__AggregateExpr *m, const qv_schema *input, qv_session_state *session,
                               qv_aggregate_expr **out, qv_error *err) {
  *out = NULL;
  if (!m) return qv_error_set(err, QV_INVALID, "missing aggregate");
  const char *fn = m->function ? m->function : "";
  if (!*fn) return qv_error_set(err, QV_INVALID, "aggregate without a function name");
  dec_ctx c = {input, session};
  qv_expr **args = NULL;
  int32_t n = 0;
  QV_RETURN_NOT_OK(decode_list(&c, m->args, m->n_args, 1, "aggregate", &args, &n, err));
  const char *name = m->output_name && *m->output_name ? m->output_name : NULL;
  qv_status st = qv_aggregate_create(session, fn, args, n, m->distinct, name, out, err);
  unref_list(args, n);
  if (st == QV_NOT_FOUND && err && strncmp(err->message, "unknown aggregate", 17) == 0)
    qv_error_set(err, QV_INVALID,
                 "unknown aggregate function '%s' (neither a built-in nor an aggregate UDF registered in the session)",
                 fn);
  return st;
}

void qv__free_sort_keys(qv_sort_key *keys, int32_t n) {
  for (int32_t i = 0; keys && i < n; i++) qv_expr_unref(keys[i].expr);
  free(keys);
}

qv_status qv__decode_sort_keys(Quiver__SortKey *const *ms, size_t n, const qv_schema *input, qv_session_state *session,
                               qv_sort_key **out, int32_t *n_out, qv_error *err) {
  *out = NULL;
  *n_out = 0;
  if (n > (size_t)INT32_MAX) return qv_error_set(err, QV_INVALID, "%zu sort keys", n);
  qv_sort_key *keys = calloc(n ? n : 1, sizeof *keys);
  if (!keys) return qv_error_set(err, QV_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    qv_status st = qv__decode_expr(ms[i]->expr, input, session, &keys[i].expr, err);
    if (st != QV_OK) {
      qv_error_prefix(err, "sort key %zu", i);
      qv__free_sort_keys(keys, (int32_t)i);
      return st;
    }
    keys[i].descending = ms[i]->descending;
    keys[i].nulls_first = ms[i]->nulls_first;
  }
  *out = keys;
  *n_out = (int32_t)n;
  return QV_OK;
}

/* ---- the columns expressions read ------------------------------------------------------- */

typedef struct column_use {
  const qv_expr *column; /* a COLUMN node reading this index, or NULL */
} column_use;

static qv_status collect_columns(const qv_expr *x, int32_t depth, column_use **uses, int32_t *n, qv_error *err) {
  if (depth > QV_PLAN_MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "expression nested deeper than %d levels", QV_PLAN_MAX_DEPTH);
  if (qv__expr_kind(x) == QV_EXPR_COLUMN) {
    int32_t i = qv__expr_column_index(x);
    if (i >= *n) {
      column_use *grown = realloc(*uses, (size_t)(i + 1) * sizeof *grown);
      if (!grown) return qv_error_set(err, QV_NOMEM, "out of memory");
      memset(grown + *n, 0, (size_t)(i + 1 - *n) * sizeof *grown);
      *uses = grown;
      *n = i + 1;
    }
    (*uses)[i].column = x;
  }
  for (int32_t k = 0; k < qv__expr_num_children(x); k++)
    QV_RETURN_NOT_OK(collect_columns(qv__expr_child(x, k), depth + 1, uses, n, err));
  return QV_OK;
}

qv_status qv__schema_of_columns(qv_expr *const *exprs, int32_t n_exprs, const qv_aggregate_expr *const *aggs,
                                int32_t n_aggs, qv_schema **out, qv_error *err) {
  *out = NULL;
  column_use *uses = NULL;
  int32_t n = 0;
  qv_status st = QV_OK;
  for (int32_t i = 0; st == QV_OK && i < n_exprs; i++) st = collect_columns(exprs[i], 1, &uses, &n, err);
  for (int32_t j = 0; st == QV_OK && j < n_aggs; j++)
    for (int32_t k = 0; st == QV_OK && k < qv__aggregate_num_args(aggs[j]); k++)
      st = collect_columns(qv__aggregate_arg(aggs[j], k), 1, &uses, &n, err);
  qv_field **fields = st == QV_OK ? calloc((size_t)(n ? n : 1), sizeof *fields) : NULL;
  if (st == QV_OK && !fields) st = qv_error_set(err, QV_NOMEM, "out of memory");
  int32_t made = 0;
  for (; st == QV_OK && made < n; made++) {
    const qv_expr *col = uses[made].column;
    st = col ? qv_field_create(qv__expr_name(col), qv_expr_type(col), qv_expr_nullable(col), NULL, &fields[made], err)
             : qv_field_create("", qv_type_primitive(QV_NA), true, NULL, &fields[made], err);
  }
  if (st != QV_OK && made > 0) made--;
  if (st == QV_OK) st = qv_schema_create(fields, n, NULL, out, err);
  for (int32_t i = 0; fields && i < made; i++) qv_field_unref(fields[i]);
  free(fields);
  free(uses);
  return st;
}

/* ---- standalone expressions -------------------------------------------------------------- */

qv_status qv__expr_encode(const qv_expr *x, qv_bytes *out, qv_error *err) {
  qv__plan_enc e;
  qv__plan_enc_init(&e, NULL);
  Quiver__PhysicalExpr *m = NULL;
  qv_status st = qv__encode_expr(&e, x, &m, err);
  if (st == QV_OK) st = qv__pb_pack(&m->base, out, "expression", err);
  qv__plan_enc_reset(&e);
  return st;
}

qv_status qv__expr_decode(const uint8_t *data, int64_t len, const qv_schema *input, qv_session_state *session,
                          qv_expr **out, qv_error *err) {
  *out = NULL;
  qv__pb_alloc alloc;
  ProtobufCMessage *msg = NULL;
  QV_RETURN_NOT_OK(qv__pb_unpack(&quiver__physical_expr__descriptor, data, len, &alloc, "expression", &msg, err));
  qv_status st = qv__decode_expr((const Quiver__PhysicalExpr *)msg, input, session, out, err);
  qv__pb_free(msg, &alloc);
  if (st != QV_OK) return qv__plan_fail(st, err, "expression");
  return QV_OK;
}
