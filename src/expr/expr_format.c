/* SQL-like text of an expression tree, for EXPLAIN and error messages:
 * "l_extendedprice * (1 - l_discount)", "l_shipdate <= DATE '1998-09-02'",
 * "CASE WHEN a > 1 THEN 'x' ELSE NULL END". Parentheses are added only where
 * operator precedence needs them; implicit casts (inserted by coercion) are
 * left out, explicit ones print as CAST(x AS type). */
#include <stdio.h>
#include <string.h>

#include "expr/expr_internal.h"

static qv_status put(qv_bytes *out, const char *s, qv_error *err) {
  return qv_bytes_append(out, s, (int64_t)strlen(s), err);
}

/* Precedence, higher binds tighter. */
static int precedence(const qv_expr *e) {
  while (e->kind == QV_EXPR_CAST && e->implicit) e = e->children[0];
  switch (e->kind) {
    case QV_EXPR_BINARY:
      switch (e->op) {
        case QV_OP_OR: return 1;
        case QV_OP_AND: return 2;
        case QV_OP_ADD: case QV_OP_SUB: return 5;
        case QV_OP_MUL: case QV_OP_DIV: case QV_OP_MOD: return 6;
        default: return 4;
      }
    case QV_EXPR_NOT: return 3;
    case QV_EXPR_IS_NULL: case QV_EXPR_IN_LIST: case QV_EXPR_BETWEEN: case QV_EXPR_LIKE: return 4;
    case QV_EXPR_NEGATE: return 7;
    default: return 8;
  }
}

static qv_status format(const qv_expr *e, qv_bytes *out, qv_error *err);

/* A child, parenthesised when it binds looser than its parent (or as
 * tightly on the right of a non-associative operator). */
static qv_status child(const qv_expr *c, int parent, bool right, qv_bytes *out, qv_error *err) {
  int p = precedence(c);
  bool paren = p < parent || (right && p == parent && parent >= 4);
  if (paren) QV_RETURN_NOT_OK(put(out, "(", err));
  QV_RETURN_NOT_OK(format(c, out, err));
  if (paren) QV_RETURN_NOT_OK(put(out, ")", err));
  return QV_OK;
}

static qv_status literal(const qv_array *v, qv_bytes *out, qv_error *err) {
  char buf[160];
  qv_type_id id = v->type->id;
  if (id == QV_NA || !qv_array_is_valid(v, 0)) return put(out, "NULL", err);
  if (qv_type_is_binary_like(id)) {
    qv_str_view sv;
    qv__str_view_init(&sv, v);
    int64_t len;
    const uint8_t *p = qv__str_at(&sv, 0, &len);
    QV_RETURN_NOT_OK(put(out, "'", err));
    for (int64_t i = 0; i < len; i++) {
      if (p[i] == '\'') QV_RETURN_NOT_OK(put(out, "'", err));
      QV_RETURN_NOT_OK(qv_bytes_append(out, p + i, 1, err));
    }
    return put(out, "'", err);
  }
  if (id == QV_INTERVAL_MONTHS || id == QV_INTERVAL_DAY_TIME || id == QV_INTERVAL_MONTH_DAY_NANO) {
    const uint8_t *p = qv__array_data(v, 1);
    int64_t k = v->offset;
    int32_t months = 0, days = 0;
    int64_t nanos = 0;
    if (id == QV_INTERVAL_MONTHS) months = ((const int32_t *)p)[k];
    else if (id == QV_INTERVAL_DAY_TIME) {
      days = ((const int32_t *)p)[2 * k];
      nanos = (int64_t)((const int32_t *)p)[2 * k + 1] * 1000000;
    } else {
      memcpy(&months, p + k * 16, 4);
      memcpy(&days, p + k * 16 + 4, 4);
      memcpy(&nanos, p + k * 16 + 8, 8);
    }
    snprintf(buf, sizeof buf, "INTERVAL '%d months %d days %lld nanoseconds'", months, days, (long long)nanos);
    return put(out, buf, err);
  }
  qv__format_value(v, 0, buf, sizeof buf);
  if (id == QV_DATE32) {
    QV_RETURN_NOT_OK(put(out, "DATE '", err));
    QV_RETURN_NOT_OK(put(out, buf, err));
    return put(out, "'", err);
  }
  if (id == QV_TIMESTAMP) {
    QV_RETURN_NOT_OK(put(out, "TIMESTAMP '", err));
    QV_RETURN_NOT_OK(put(out, buf, err));
    return put(out, "'", err);
  }
  return put(out, buf, err);
}

static qv_status list(const qv_expr *const *xs, int32_t n, qv_bytes *out, qv_error *err) {
  for (int32_t i = 0; i < n; i++) {
    if (i) QV_RETURN_NOT_OK(put(out, ", ", err));
    QV_RETURN_NOT_OK(format(xs[i], out, err));
  }
  return QV_OK;
}

static qv_status format(const qv_expr *e, qv_bytes *out, qv_error *err) {
  char tb[128];
  int p = precedence(e);
  switch (e->kind) {
    case QV_EXPR_COLUMN: return put(out, e->name, err);
    case QV_EXPR_LITERAL: return literal(e->literal, out, err);
    case QV_EXPR_BINARY:
      QV_RETURN_NOT_OK(child(e->children[0], p, false, out, err));
      QV_RETURN_NOT_OK(put(out, " ", err));
      QV_RETURN_NOT_OK(put(out, qv__binary_op_symbol(e->op), err));
      QV_RETURN_NOT_OK(put(out, " ", err));
      return child(e->children[1], p, true, out, err);
    case QV_EXPR_NOT:
      QV_RETURN_NOT_OK(put(out, "NOT ", err));
      return child(e->children[0], p, false, out, err);
    case QV_EXPR_NEGATE:
      QV_RETURN_NOT_OK(put(out, "-", err));
      return child(e->children[0], p, false, out, err);
    case QV_EXPR_IS_NULL:
      QV_RETURN_NOT_OK(child(e->children[0], p + 1, false, out, err));
      return put(out, e->negated ? " IS NOT NULL" : " IS NULL", err);
    case QV_EXPR_IN_LIST:
      QV_RETURN_NOT_OK(child(e->children[0], p + 1, false, out, err));
      QV_RETURN_NOT_OK(put(out, e->negated ? " NOT IN (" : " IN (", err));
      QV_RETURN_NOT_OK(list((const qv_expr *const *)e->children + 1, e->n_children - 1, out, err));
      return put(out, ")", err);
    case QV_EXPR_BETWEEN:
      QV_RETURN_NOT_OK(child(e->children[0], p + 1, false, out, err));
      QV_RETURN_NOT_OK(put(out, e->negated ? " NOT BETWEEN " : " BETWEEN ", err));
      QV_RETURN_NOT_OK(child(e->children[1], p + 1, false, out, err));
      QV_RETURN_NOT_OK(put(out, " AND ", err));
      return child(e->children[2], p + 1, false, out, err);
    case QV_EXPR_LIKE:
      QV_RETURN_NOT_OK(child(e->children[0], p + 1, false, out, err));
      QV_RETURN_NOT_OK(put(out, e->negated ? " NOT" : "", err));
      QV_RETURN_NOT_OK(put(out, e->case_insensitive ? " ILIKE " : " LIKE ", err));
      return child(e->children[1], p + 1, false, out, err);
    case QV_EXPR_CASE: {
      int32_t k = 0;
      QV_RETURN_NOT_OK(put(out, "CASE", err));
      if (e->has_base) {
        QV_RETURN_NOT_OK(put(out, " ", err));
        QV_RETURN_NOT_OK(format(e->children[k++], out, err));
      }
      int32_t nw = (e->n_children - k - (e->has_else ? 1 : 0)) / 2;
      for (int32_t i = 0; i < nw; i++) {
        QV_RETURN_NOT_OK(put(out, " WHEN ", err));
        QV_RETURN_NOT_OK(format(e->children[k++], out, err));
        QV_RETURN_NOT_OK(put(out, " THEN ", err));
        QV_RETURN_NOT_OK(format(e->children[k++], out, err));
      }
      if (e->has_else) {
        QV_RETURN_NOT_OK(put(out, " ELSE ", err));
        QV_RETURN_NOT_OK(format(e->children[k], out, err));
      }
      return put(out, " END", err);
    }
    case QV_EXPR_CAST:
      if (e->implicit) return format(e->children[0], out, err);
      QV_RETURN_NOT_OK(put(out, "CAST(", err));
      QV_RETURN_NOT_OK(format(e->children[0], out, err));
      QV_RETURN_NOT_OK(put(out, " AS ", err));
      QV_RETURN_NOT_OK(put(out, qv_type_to_string(e->type, tb, sizeof tb), err));
      return put(out, ")", err);
    case QV_EXPR_FUNCTION:
    case QV_EXPR_UDF:
      QV_RETURN_NOT_OK(put(out, e->name, err));
      QV_RETURN_NOT_OK(put(out, "(", err));
      QV_RETURN_NOT_OK(list((const qv_expr *const *)e->children, e->n_children, out, err));
      return put(out, ")", err);
    default: return qv_error_set(err, QV_INTERNAL, "to_string: unknown node kind %d", (int)e->kind);
  }
}

qv_status qv_expr_to_string(const qv_expr *e, qv_bytes *out, qv_error *err) {
  if (!e || !out) return qv_error_set(err, QV_INVALID, "to_string: no expression or output");
  return format(e, out, err);
}
