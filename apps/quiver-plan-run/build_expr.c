/* Expressions and aggregate calls of quiver-plan-run, built from S-expression
 * trees against an operator's input schema. The forms are those of
 * quiver-expr-eval (apps/quiver-expr-eval/main.c), plus column references by
 * position and, in join filters, by side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"
#include "plan_run.h"

#define MAX_OPERANDS 256

qv_status qv__build_type(const sx *node, qv_data_type **out, qv_error *err) {
  *out = NULL;
  if (!node || node->is_list) return qv__sx_error(node, err, "expected a type name");
  const char *name = node->text;
  static const struct {
    const char *n;
    qv_type_id id;
  } prim[] = {{"int8", QV_INT8},       {"int16", QV_INT16},         {"int32", QV_INT32},     {"int64", QV_INT64},
              {"uint8", QV_UINT8},     {"uint16", QV_UINT16},       {"uint32", QV_UINT32},   {"uint64", QV_UINT64},
              {"float32", QV_FLOAT32}, {"float64", QV_FLOAT64},     {"bool", QV_BOOL},       {"utf8", QV_UTF8},
              {"large_utf8", QV_LARGE_UTF8}, {"binary", QV_BINARY}, {"date32", QV_DATE32}};
  for (size_t i = 0; i < sizeof prim / sizeof prim[0]; i++)
    if (strcmp(prim[i].n, name) == 0) {
      *out = qv_type_primitive(prim[i].id);
      return QV_OK;
    }
  int prec, scale;
  if (sscanf(name, "decimal:%d:%d", &prec, &scale) == 2) return qv_type_decimal(QV_DECIMAL128, prec, scale, out, err);
  if (strncmp(name, "timestamp:", 10) == 0) {
    static const char *units[] = {"s", "ms", "us", "ns"};
    for (int u = 0; u < 4; u++)
      if (strcmp(name + 10, units[u]) == 0) return qv_type_timestamp((qv_time_unit)u, NULL, out, err);
  }
  return qv__sx_error(node, err, "unknown type '%s'", name);
}

/* ---- literals -------------------------------------------------------------------- */

static qv_status literal_from_text(qv_data_type *t, const char *text, qv_expr **out, qv_error *err) {
  qv_array_builder b;
  QV_RETURN_NOT_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_UTF8), err));
  qv_array *s = NULL, *v = NULL;
  qv_status st = qv_array_builder_append_binary(&b, text, (int64_t)strlen(text), err);
  if (st == QV_OK) st = qv_array_builder_finish(&b, &s, err);
  else qv_array_builder_reset(&b);
  if (st == QV_OK) st = qv__cast_array(NULL, s, t, &v, err);
  if (st == QV_OK) st = qv_expr_literal(v, out, err);
  qv_array_unref(s);
  qv_array_unref(v);
  return st;
}

static qv_status interval_literal(int32_t months, int32_t days, int64_t nanos, qv_expr **out, qv_error *err) {
  qv_array_builder b;
  QV_RETURN_NOT_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_INTERVAL_MONTH_DAY_NANO), err));
  uint8_t v[16];
  memcpy(v, &months, 4);
  memcpy(v + 4, &days, 4);
  memcpy(v + 8, &nanos, 8);
  qv_array *a = NULL;
  qv_status st = qv_array_builder_append_fixed(&b, v, err);
  if (st == QV_OK) st = qv_array_builder_finish(&b, &a, err);
  else qv_array_builder_reset(&b);
  if (st == QV_OK) st = qv_expr_literal(a, out, err);
  qv_array_unref(a);
  return st;
}

/* The atom at item i of node, or an error naming the form. */
static qv_status atom_at(const sx *node, int32_t i, const char **out, qv_error *err) {
  *out = NULL;
  if (i >= node->n || node->items[i]->is_list)
    return qv__sx_error(node, err, "(%s ...): operand %d must be a word or a string", qv__sx_head(node), i);
  *out = node->items[i]->text;
  return QV_OK;
}

static qv_status int_at(const sx *node, int32_t i, int64_t *out, qv_error *err) {
  if (i >= node->n) return qv__sx_error(node, err, "(%s ...): missing operand %d", qv__sx_head(node), i);
  return qv__sx_int(node->items[i], qv__sx_head(node), out, err);
}

/* ---- operators ------------------------------------------------------------------- */

static const struct {
  const char *name;
  qv_binary_op op;
} binary_ops[] = {{"add", QV_OP_ADD}, {"sub", QV_OP_SUB}, {"mul", QV_OP_MUL}, {"div", QV_OP_DIV}, {"mod", QV_OP_MOD},
                  {"eq", QV_OP_EQ},   {"ne", QV_OP_NE},   {"lt", QV_OP_LT},   {"le", QV_OP_LE},   {"gt", QV_OP_GT},
                  {"ge", QV_OP_GE},   {"and", QV_OP_AND}, {"or", QV_OP_OR}};

static void unref_list(qv_expr **xs, int32_t n) {
  for (int32_t i = 0; i < n; i++) qv_expr_unref(xs[i]);
}

/* Builds items [from, node->n) of node as expressions into xs. */
static qv_status build_operands(const expr_scope *scope, const sx *node, int32_t from, qv_expr **xs, int32_t *n,
                                qv_error *err) {
  *n = 0;
  if (node->n - from > MAX_OPERANDS) return qv__sx_error(node, err, "too many operands");
  for (int32_t i = from; i < node->n; i++) {
    qv_status st = qv__build_expr(scope, node->items[i], &xs[*n], err);
    if (st != QV_OK) {
      unref_list(xs, *n);
      *n = 0;
      return st;
    }
    (*n)++;
  }
  return QV_OK;
}

/* CASE arms from item `from` on: (when c t) ... (else e). */
static qv_status build_case(const expr_scope *scope, const sx *node, int32_t from, qv_expr *base, qv_expr **out,
                            qv_error *err) {
  int32_t cap = node->n;
  qv_expr **whens = calloc((size_t)cap + 1, sizeof *whens), **thens = calloc((size_t)cap + 1, sizeof *thens);
  qv_expr *else_ = NULL;
  int32_t n = 0;
  qv_status st = whens && thens ? QV_OK : qv_error_set(err, QV_NOMEM, "plan: out of memory");
  for (int32_t i = from; st == QV_OK && i < node->n; i++) {
    const sx *arm = node->items[i];
    const char *h = qv__sx_head(arm);
    if (h && strcmp(h, "when") == 0 && arm->n == 3) {
      st = qv__build_expr(scope, arm->items[1], &whens[n], err);
      if (st == QV_OK) st = qv__build_expr(scope, arm->items[2], &thens[n], err);
      n++;
    } else if (h && strcmp(h, "else") == 0 && arm->n == 2 && !else_) {
      st = qv__build_expr(scope, arm->items[1], &else_, err);
    } else {
      st = qv__sx_error(arm, err, "expected (when COND THEN) or (else E)");
    }
  }
  if (st == QV_OK) st = qv_expr_case(base, whens, thens, n, else_, out, err);
  if (whens) unref_list(whens, n);
  if (thens) unref_list(thens, n);
  free(whens);
  free(thens);
  qv_expr_unref(else_);
  return st;
}

/* A column of the join's left (offset 0) or right (offset = left columns). */
static qv_status side_column(const expr_scope *scope, const sx *node, bool right, qv_expr **out, qv_error *err) {
  const char *name;
  QV_RETURN_NOT_OK(atom_at(node, 1, &name, err));
  const qv_schema *side = right ? scope->right : scope->left;
  if (!side) return qv__sx_error(node, err, "(%s NAME) is only valid in a join filter", right ? "rcol" : "lcol");
  int32_t i = qv_schema_field_index(side, name);
  if (i < 0)
    return qv_error_set(err, QV_NOT_FOUND, "plan at offset %zu: no column '%s' on the %s side of the join", node->pos,
                        name, right ? "right" : "left");
  if (right) i += qv_schema_num_fields(scope->left);
  return qv_expr_column(scope->schema, i, out, err);
}

static qv_status build_form(const expr_scope *scope, const sx *node, const char *head, qv_expr **out,
                            qv_error *err) {
  const char *text;
  int64_t v;
  qv_status st = QV_OK;
  if (strcmp(head, "col") == 0) {
    QV_RETURN_NOT_OK(atom_at(node, 1, &text, err));
    st = qv_expr_column_named(scope->schema, text, out, err);
    if (st != QV_OK) qv_error_prefix(err, "plan at offset %zu", node->pos);
    return st;
  }
  if (strcmp(head, "col_at") == 0) {
    QV_RETURN_NOT_OK(int_at(node, 1, &v, err));
    return qv_expr_column(scope->schema, (int32_t)v, out, err);
  }
  if (strcmp(head, "lcol") == 0 || strcmp(head, "rcol") == 0) return side_column(scope, node, head[0] == 'r', out, err);
  if (strcmp(head, "int") == 0) {
    QV_RETURN_NOT_OK(int_at(node, 1, &v, err));
    return qv_expr_literal_int64(v, out, err);
  }
  if (strcmp(head, "float") == 0) {
    QV_RETURN_NOT_OK(atom_at(node, 1, &text, err));
    return qv_expr_literal_double(strtod(text, NULL), out, err);
  }
  if (strcmp(head, "str") == 0) {
    QV_RETURN_NOT_OK(atom_at(node, 1, &text, err));
    return qv_expr_literal_string(text, out, err);
  }
  if (strcmp(head, "bool") == 0) {
    QV_RETURN_NOT_OK(atom_at(node, 1, &text, err));
    return qv_expr_literal_bool(strcmp(text, "true") == 0, out, err);
  }
  if (strcmp(head, "date") == 0) {
    QV_RETURN_NOT_OK(atom_at(node, 1, &text, err));
    return literal_from_text(qv_type_primitive(QV_DATE32), text, out, err);
  }
  if (strcmp(head, "null") == 0) {
    qv_data_type *t = NULL;
    if (node->n > 1) QV_RETURN_NOT_OK(qv__build_type(node->items[1], &t, err));
    st = qv_expr_literal_null(t, out, err);
    qv_type_unref(t);
    return st;
  }
  if (strcmp(head, "dec") == 0) {
    int64_t p, s;
    QV_RETURN_NOT_OK(int_at(node, 1, &v, err));
    QV_RETURN_NOT_OK(int_at(node, 2, &p, err));
    QV_RETURN_NOT_OK(int_at(node, 3, &s, err));
    return qv_expr_literal_decimal(v, (int32_t)p, (int32_t)s, out, err);
  }
  if (strcmp(head, "lit") == 0) {
    qv_data_type *t = NULL;
    if (node->n != 3) return qv__sx_error(node, err, "(lit TYPE \"text\")");
    QV_RETURN_NOT_OK(qv__build_type(node->items[1], &t, err));
    st = atom_at(node, 2, &text, err);
    if (st == QV_OK) st = literal_from_text(t, text, out, err);
    qv_type_unref(t);
    return st;
  }
  if (strcmp(head, "interval") == 0) {
    int64_t m, d, ns;
    QV_RETURN_NOT_OK(int_at(node, 1, &m, err));
    QV_RETURN_NOT_OK(int_at(node, 2, &d, err));
    QV_RETURN_NOT_OK(int_at(node, 3, &ns, err));
    return interval_literal((int32_t)m, (int32_t)d, ns, out, err);
  }
  if (strcmp(head, "cast") == 0) {
    if (node->n != 3) return qv__sx_error(node, err, "(cast EXPR TYPE)");
    qv_expr *x = NULL;
    qv_data_type *t = NULL;
    QV_RETURN_NOT_OK(qv__build_expr(scope, node->items[1], &x, err));
    st = qv__build_type(node->items[2], &t, err);
    if (st == QV_OK) st = qv_expr_cast(x, t, out, err);
    qv_expr_unref(x);
    qv_type_unref(t);
    return st;
  }
  if (strcmp(head, "case") == 0) return build_case(scope, node, 1, NULL, out, err);
  if (strcmp(head, "case_on") == 0) {
    if (node->n < 2) return qv__sx_error(node, err, "(case_on BASE (when V T) ...)");
    qv_expr *base = NULL;
    QV_RETURN_NOT_OK(qv__build_expr(scope, node->items[1], &base, err));
    st = build_case(scope, node, 2, base, out, err);
    qv_expr_unref(base);
    return st;
  }
  qv_expr *xs[MAX_OPERANDS] = {0};
  int32_t n = 0;
  if (strcmp(head, "fn") == 0) {
    QV_RETURN_NOT_OK(atom_at(node, 1, &text, err));
    QV_RETURN_NOT_OK(build_operands(scope, node, 2, xs, &n, err));
    st = qv_expr_function(scope->session, text, xs, n, out, err);
    unref_list(xs, n);
    return st;
  }
  QV_RETURN_NOT_OK(build_operands(scope, node, 1, xs, &n, err));
  bool negated = strncmp(head, "not_", 4) == 0;
  const char *base_name = negated ? head + 4 : head;
  bool done = false;
  for (size_t i = 0; i < sizeof binary_ops / sizeof binary_ops[0]; i++)
    if (strcmp(head, binary_ops[i].name) == 0) {
      st = n == 2 ? qv_expr_binary(binary_ops[i].op, xs[0], xs[1], out, err)
                  : qv__sx_error(node, err, "(%s A B) needs two operands", head);
      done = true;
    }
  if (done) {
  } else if (strcmp(head, "not") == 0 && n == 1) st = qv_expr_not(xs[0], out, err);
  else if (strcmp(head, "neg") == 0 && n == 1) st = qv_expr_negate(xs[0], out, err);
  else if (strcmp(head, "is_null") == 0 && n == 1) st = qv_expr_is_null(xs[0], false, out, err);
  else if (strcmp(head, "is_not_null") == 0 && n == 1) st = qv_expr_is_null(xs[0], true, out, err);
  else if (strcmp(base_name, "in") == 0 && n >= 2) st = qv_expr_in_list(xs[0], xs + 1, n - 1, negated, out, err);
  else if (strcmp(base_name, "between") == 0 && n == 3) st = qv_expr_between(xs[0], xs[1], xs[2], negated, out, err);
  else if (strcmp(base_name, "like") == 0 && n == 2) st = qv_expr_like(xs[0], xs[1], negated, false, out, err);
  else if (strcmp(base_name, "ilike") == 0 && n == 2) st = qv_expr_like(xs[0], xs[1], negated, true, out, err);
  else st = qv__sx_error(node, err, "unknown expression form '%s' with %d operands", head, n);
  unref_list(xs, n);
  return st;
}

qv_status qv__build_expr(const expr_scope *scope, const sx *node, qv_expr **out, qv_error *err) {
  *out = NULL;
  const char *head = qv__sx_head(node);
  if (!head) return qv__sx_error(node, err, "expected an expression (FORM ...)");
  qv_status st = build_form(scope, node, head, out, err);
  if (st != QV_OK) {
    qv_expr_unref(*out);
    *out = NULL;
  }
  return st;
}

qv_status qv__build_aggregate(const expr_scope *scope, const sx *node, qv_aggregate_expr **out, qv_error *err) {
  *out = NULL;
  if (!node->is_list || node->n < 2 || node->items[0]->is_list || node->items[1]->is_list)
    return qv__sx_error(node, err, "expected an aggregate (NAME FUNCTION [distinct] ARG...)");
  const char *name = node->items[0]->text, *fn = node->items[1]->text;
  int32_t from = 2;
  bool distinct = false;
  if (node->n > 2 && qv__sx_is_word(node->items[2], "distinct")) {
    distinct = true;
    from = 3;
  }
  qv_expr *xs[MAX_OPERANDS] = {0};
  int32_t n = 0;
  QV_RETURN_NOT_OK(build_operands(scope, node, from, xs, &n, err));
  qv_status st = qv_aggregate_create(scope->session, fn, xs, n, distinct, name, out, err);
  if (st != QV_OK) qv_error_prefix(err, "plan at offset %zu", node->pos);
  unref_list(xs, n);
  return st;
}
