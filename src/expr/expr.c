/* Expression trees: reference counting, the constructors of every node kind,
 * and the type checking they do. A constructor resolves its operands' types
 * with the rules of coerce.c, inserts implicit casts where the kernels need
 * one common type (folding casts of literals right away), and refuses
 * operands that do not fit with QV_TYPE_ERROR naming the operator and the
 * types. Coercion is idempotent, so a tree rebuilt node by node from an
 * already coerced tree (as the plan codec does) comes out the same. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"
#include "expr/session_internal.h"

/* ---- nodes and reference counting ------------------------------------------------ */

qv_expr *qv__expr_alloc(qv_expr_kind kind, int32_t n_children) {
  qv_expr *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  if (n_children > 0) {
    e->children = calloc((size_t)n_children, sizeof *e->children);
    if (!e->children) {
      free(e);
      return NULL;
    }
  }
  atomic_init(&e->refcount, 1);
  e->kind = kind;
  e->n_children = n_children;
  e->column_index = -1;
  return e;
}

qv_expr *qv_expr_ref(qv_expr *e) {
  if (e) atomic_fetch_add_explicit(&e->refcount, 1, memory_order_relaxed);
  return e;
}

void qv_expr_unref(qv_expr *e) {
  if (!e || atomic_fetch_sub_explicit(&e->refcount, 1, memory_order_acq_rel) != 1) return;
  for (int32_t i = 0; i < e->n_children; i++) qv_expr_unref(e->children[i]);
  free(e->children);
  if (e->state_free) e->state_free(e->state);
  qv_type_unref(e->type);
  qv_array_unref(e->literal);
  free(e->name);
  if (e->session) qv_session_state_unref(e->session);
  free(e);
}

qv_data_type *qv_expr_type(const qv_expr *e) { return e->type; }
bool qv_expr_nullable(const qv_expr *e) { return e->nullable; }

static qv_status oom(qv_error *err) { return qv_error_set(err, QV_NOMEM, "expression: out of memory"); }

static const char *type_name(const qv_data_type *t, char *buf, size_t n) { return qv_type_to_string(t, buf, n); }

/* ---- leaves ------------------------------------------------------------------------ */

qv_status qv_expr_column(const qv_schema *input, int32_t index, qv_expr **out, qv_error *err) {
  *out = NULL;
  if (!input) return qv_error_set(err, QV_INVALID, "column reference: no input schema");
  if (index < 0 || index >= input->n_fields)
    return qv_error_set(err, QV_INVALID, "column reference: index %d outside a schema of %d fields", index,
                        input->n_fields);
  const qv_field *f = input->fields[index];
  qv_expr *e = qv__expr_alloc(QV_EXPR_COLUMN, 0);
  if (!e || !(e->name = strdup(f->name))) {
    qv_expr_unref(e);
    return oom(err);
  }
  e->column_index = index;
  e->type = qv_type_ref(f->type);
  e->nullable = f->nullable;
  *out = e;
  return QV_OK;
}

qv_status qv_expr_column_named(const qv_schema *input, const char *name, qv_expr **out, qv_error *err) {
  *out = NULL;
  if (!input || !name) return qv_error_set(err, QV_INVALID, "column reference: no schema or name");
  int32_t i = qv_schema_field_index(input, name);
  if (i < 0) return qv_error_set(err, QV_NOT_FOUND, "column reference: no column '%s' in the input", name);
  return qv_expr_column(input, i, out, err);
}

qv_status qv__expr_make_literal(qv_array *value, qv_expr **out, qv_error *err) {
  *out = NULL;
  if (!value || value->length != 1)
    return qv_error_set(err, QV_INVALID, "literal: the value must be an array of length 1 (got %lld)",
                        value ? (long long)value->length : -1LL);
  qv_type_id id = value->type->id;
  if (id == QV_SPARSE_UNION || id == QV_DENSE_UNION)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "literal: union values are not supported");
  qv_expr *e = qv__expr_alloc(QV_EXPR_LITERAL, 0);
  if (!e) return oom(err);
  e->literal = qv_array_ref(value);
  e->type = qv_type_ref(value->type);
  e->nullable = !qv_array_is_valid(value, 0);
  *out = e;
  return QV_OK;
}

qv_status qv_expr_literal(qv_array *value, qv_expr **out, qv_error *err) {
  return qv__expr_make_literal(value, out, err);
}

/* A literal of a builder-supported type from one appended value. */
typedef enum lit_kind { LIT_INT, LIT_DOUBLE, LIT_BOOL, LIT_BYTES, LIT_NULL } lit_kind;

static qv_status literal_of(qv_data_type *type, lit_kind kind, int64_t i, double d, const char *s, qv_expr **out,
                            qv_error *err) {
  *out = NULL;
  qv_array_builder b;
  QV_RETURN_NOT_OK(qv_array_builder_init(&b, NULL, type, err));
  qv_status st;
  switch (kind) {
    case LIT_INT: st = qv_array_builder_append_int(&b, i, err); break;
    case LIT_DOUBLE: st = qv_array_builder_append_double(&b, d, err); break;
    case LIT_BOOL: st = qv_array_builder_append_bool(&b, i != 0, err); break;
    case LIT_BYTES: st = qv_array_builder_append_binary(&b, s, (int64_t)strlen(s), err); break;
    default: st = qv_array_builder_append_null(&b, err); break;
  }
  qv_array *arr = NULL;
  if (st == QV_OK) st = qv_array_builder_finish(&b, &arr, err);
  else qv_array_builder_reset(&b);
  if (st == QV_OK) st = qv__expr_make_literal(arr, out, err);
  qv_array_unref(arr);
  return st;
}

qv_status qv_expr_literal_int64(int64_t v, qv_expr **out, qv_error *err) {
  return literal_of(qv_type_primitive(QV_INT64), LIT_INT, v, 0, NULL, out, err);
}

qv_status qv_expr_literal_double(double v, qv_expr **out, qv_error *err) {
  return literal_of(qv_type_primitive(QV_FLOAT64), LIT_DOUBLE, 0, v, NULL, out, err);
}

qv_status qv_expr_literal_bool(bool v, qv_expr **out, qv_error *err) {
  return literal_of(qv_type_primitive(QV_BOOL), LIT_BOOL, v, 0, NULL, out, err);
}

qv_status qv_expr_literal_string(const char *v, qv_expr **out, qv_error *err) {
  if (!v) return qv_error_set(err, QV_INVALID, "literal: NULL string (use qv_expr_literal_null)");
  return literal_of(qv_type_primitive(QV_UTF8), LIT_BYTES, 0, 0, v, out, err);
}

qv_status qv_expr_literal_decimal(int64_t v, int32_t precision, int32_t scale, qv_expr **out, qv_error *err) {
  *out = NULL;
  if (precision < 1 || precision > 38 || scale < 0 || scale > precision)
    return qv_error_set(err, QV_INVALID, "literal: bad decimal precision %d and scale %d", precision, scale);
  qv_i128 m = v < 0 ? -(qv_i128)v : (qv_i128)v;
  if (m >= qv__pow10_i128(precision))
    return qv_error_set(err, QV_OUT_OF_RANGE, "literal: unscaled value %lld has more than %d digits", (long long)v,
                        precision);
  qv_data_type *t = NULL;
  QV_RETURN_NOT_OK(qv_type_decimal(QV_DECIMAL128, precision, scale, &t, err));
  qv_status st = literal_of(t, LIT_INT, v, 0, NULL, out, err);
  qv_type_unref(t);
  return st;
}

qv_status qv_expr_literal_date32(int32_t days, qv_expr **out, qv_error *err) {
  return literal_of(qv_type_primitive(QV_DATE32), LIT_INT, days, 0, NULL, out, err);
}

qv_status qv_expr_literal_null(qv_data_type *type, qv_expr **out, qv_error *err) {
  *out = NULL;
  if (!type) type = qv_type_primitive(QV_NA);
  qv_array *arr = NULL;
  QV_RETURN_NOT_OK(qv_array_make_nulls(qv_default_allocator(), type, 1, &arr, err));
  qv_status st = qv__expr_make_literal(arr, out, err);
  qv_array_unref(arr);
  return st;
}

/* ---- coercion ---------------------------------------------------------------------- */

qv_status qv__expr_coerce(qv_expr **e, qv_data_type *to, qv_error *err) {
  qv_expr *x = *e;
  if (x->type == to || qv_type_equals(x->type, to)) return QV_OK;
  char a[96], b[96];
  if (!qv__can_cast(x->type, to))
    return qv_error_set(err, QV_TYPE_ERROR, "cannot convert %s to %s", type_name(x->type, a, sizeof a),
                        type_name(to, b, sizeof b));
  if (x->kind == QV_EXPR_LITERAL) {
    qv_array *v = NULL;
    QV_RETURN_NOT_OK(qv__cast_array(NULL, x->literal, to, &v, err));
    qv_expr *lit = NULL;
    qv_status st = qv__expr_make_literal(v, &lit, err);
    qv_array_unref(v);
    if (st != QV_OK) return st;
    qv_expr_unref(x);
    *e = lit;
    return QV_OK;
  }
  qv_expr *c = qv__expr_alloc(QV_EXPR_CAST, 1);
  if (!c) return oom(err);
  c->children[0] = x;
  c->type = qv_type_ref(to);
  c->nullable = x->nullable;
  c->implicit = true;
  *e = c;
  return QV_OK;
}

/* Dictionary operands behave as their values: an implicit cast marks them
 * (comparisons and LIKE look through it and work on the dictionary). */
static qv_status decode_dictionary(qv_expr **e, qv_error *err) {
  if ((*e)->type->id != QV_DICTIONARY) return QV_OK;
  return qv__expr_coerce(e, (*e)->type->dict_value, err);
}

static const qv_array *literal_value(const qv_expr *e) { return e->kind == QV_EXPR_LITERAL ? e->literal : NULL; }

/* Converts every expression of xs (owned references) to one common type. */
qv_status qv__expr_coerce_all(qv_expr **xs, int32_t n, const char *what, qv_data_type **common_out, qv_error *err) {
  *common_out = NULL;
  qv_data_type *common = NULL;
  for (int32_t i = 0; i < n; i++) QV_RETURN_NOT_OK(decode_dictionary(&xs[i], err));
  const qv_array *common_lit = NULL;
  for (int32_t i = 0; i < n; i++) {
    if (!common) {
      common = qv_type_ref(xs[i]->type);
      common_lit = literal_value(xs[i]);
      continue;
    }
    qv_data_type *next = qv__common_type(common, xs[i]->type, common_lit, literal_value(xs[i]));
    if (!next) {
      char a[96], b[96];
      qv_status st = qv_error_set(err, QV_TYPE_ERROR, "%s: %s and %s have no common type", what,
                                  type_name(common, a, sizeof a), type_name(xs[i]->type, b, sizeof b));
      qv_type_unref(common);
      return st;
    }
    /* Once a non-literal has fixed the type, literals adapt to it. */
    if (!literal_value(xs[i]) || !common_lit) common_lit = NULL;
    qv_type_unref(common);
    common = next;
  }
  for (int32_t i = 0; i < n; i++) {
    qv_status st = qv__expr_coerce(&xs[i], common, err);
    if (st != QV_OK) {
      qv_error_prefix(err, "%s", what);
      qv_type_unref(common);
      return st;
    }
  }
  *common_out = common;
  return QV_OK;
}

static bool comparable(qv_type_id id) {
  return qv__type_is_numeric(id) || qv_type_is_binary_like(id) || id == QV_BOOL || qv__type_is_temporal(id) ||
         id == QV_NA;
}

/* A node of kind with the given (owned) children; frees them on failure. */
static qv_expr *node_with(qv_expr_kind kind, qv_expr **kids, int32_t n) {
  qv_expr *e = qv__expr_alloc(kind, n);
  if (!e) {
    for (int32_t i = 0; i < n; i++) qv_expr_unref(kids[i]);
    return NULL;
  }
  for (int32_t i = 0; i < n; i++) e->children[i] = kids[i];
  return e;
}

static void unref_all(qv_expr **xs, int32_t n) {
  for (int32_t i = 0; i < n; i++) qv_expr_unref(xs[i]);
}

/* ---- binary operators ---------------------------------------------------------------- */

static bool is_arith(qv_binary_op op) { return op <= QV_OP_MOD; }
static bool is_compare(qv_binary_op op) { return op >= QV_OP_EQ && op <= QV_OP_GE; }

static qv_status binary_type_error(qv_binary_op op, const qv_expr *l, const qv_expr *r, qv_error *err) {
  char a[96], b[96];
  return qv_error_set(err, QV_TYPE_ERROR, "operator '%s' cannot be applied to %s and %s", qv__binary_op_symbol(op),
                      type_name(l->type, a, sizeof a), type_name(r->type, b, sizeof b));
}

static bool is_interval(qv_type_id id) {
  return id == QV_INTERVAL_MONTHS || id == QV_INTERVAL_DAY_TIME || id == QV_INTERVAL_MONTH_DAY_NANO;
}

/* Date and timestamp arithmetic: the result type, or NULL if not temporal. */
static qv_status temporal_result(qv_binary_op op, qv_expr **l, qv_expr **r, qv_data_type **type, qv_error *err) {
  *type = NULL;
  qv_type_id a = (*l)->type->id, b = (*r)->type->id;
  bool ta = qv__type_is_temporal(a), tb = qv__type_is_temporal(b);
  if (!ta && !tb) return QV_OK;
  if (op == QV_OP_ADD && !ta && tb) {
    /* n + date: the kernel wants the temporal side on the left. */
    qv_expr *t = *l;
    *l = *r;
    *r = t;
    qv_type_id x = a;
    a = b;
    b = x;
  }
  if (op != QV_OP_ADD && op != QV_OP_SUB) return binary_type_error(op, *l, *r, err);
  if (!qv__type_is_temporal(a)) return binary_type_error(op, *l, *r, err);
  if (is_interval(b)) {
    *type = qv_type_ref((*l)->type);
    return QV_OK;
  }
  if (a == QV_DATE32 && (qv_type_is_integer(b) || b == QV_NA)) {
    QV_RETURN_NOT_OK(qv__expr_coerce(r, qv_type_primitive(QV_INT64), err));
    *type = qv_type_primitive(QV_DATE32);
    return QV_OK;
  }
  if (op == QV_OP_SUB && a == QV_DATE32 && b == QV_DATE32) {
    *type = qv_type_primitive(QV_INT64); /* days between, as DuckDB */
    return QV_OK;
  }
  return binary_type_error(op, *l, *r, err);
}

/* Arithmetic on numbers: coerces l and r and sets the result type. */
static qv_status arith_result(qv_binary_op op, qv_expr **l, qv_expr **r, qv_data_type **type, qv_error *err) {
  *type = NULL;
  qv_type_id a = (*l)->type->id, b = (*r)->type->id;
  if (a == QV_NA && b == QV_NA) {
    *type = qv_type_primitive(QV_NA);
    return QV_OK;
  }
  if (a == QV_NA) QV_RETURN_NOT_OK(qv__expr_coerce(l, (*r)->type, err));
  if (b == QV_NA) QV_RETURN_NOT_OK(qv__expr_coerce(r, (*l)->type, err));
  a = (*l)->type->id;
  b = (*r)->type->id;
  if (!qv__type_is_numeric(a) || !qv__type_is_numeric(b)) return binary_type_error(op, *l, *r, err);
  bool fa = a == QV_FLOAT32 || a == QV_FLOAT64, fb = b == QV_FLOAT32 || b == QV_FLOAT64;
  if (!fa && !fb && (a == QV_DECIMAL128 || b == QV_DECIMAL128)) {
    /* Integers join decimals as decimal(digits, 0); decimals keep their own
     * scale (the kernel aligns scales, no per-batch cast). */
    qv_expr **sides[2] = {l, r};
    for (int k = 0; k < 2; k++) {
      qv_expr **x = sides[k];
      if ((*x)->type->id == QV_DECIMAL128) continue;
      if (!qv_type_is_integer((*x)->type->id)) return binary_type_error(op, *l, *r, err);
      int32_t own = qv__literal_digits(literal_value(*x));
      if (own == 0) own = qv__integer_digits((*x)->type->id);
      qv_data_type *as_dec = NULL;
      QV_RETURN_NOT_OK(qv_type_decimal(QV_DECIMAL128, own, 0, &as_dec, err));
      qv_status st = qv__expr_coerce(x, as_dec, err);
      qv_type_unref(as_dec);
      if (st != QV_OK) return st;
    }
    const qv_data_type *dl = (*l)->type, *dr = (*r)->type;
    return qv__decimal_result_type(op, dl->precision, dl->scale, dr->precision, dr->scale, type, err);
  }
  qv_data_type *common = qv__common_type((*l)->type, (*r)->type, literal_value(*l), literal_value(*r));
  if (!common) return binary_type_error(op, *l, *r, err);
  qv_status st = qv__expr_coerce(l, common, err);
  if (st == QV_OK) st = qv__expr_coerce(r, common, err);
  if (st != QV_OK) {
    qv_type_unref(common);
    return st;
  }
  if (common->id == QV_DECIMAL128) {
    /* int64 with uint64 became decimal(20, 0). */
    st = qv__decimal_result_type(op, common->precision, 0, common->precision, 0, type, err);
    qv_type_unref(common);
    return st;
  }
  *type = common;
  return QV_OK;
}

qv_status qv_expr_binary(qv_binary_op op, qv_expr *left, qv_expr *right, qv_expr **out, qv_error *err) {
  *out = NULL;
  if (!left || !right) return qv_error_set(err, QV_INVALID, "binary expression: missing operand");
  if ((unsigned)op > QV_OP_OR) return qv_error_set(err, QV_INVALID, "binary expression: unknown operator %d", (int)op);
  qv_expr *kids[2] = {qv_expr_ref(left), qv_expr_ref(right)};
  qv_data_type *type = NULL;
  qv_status st = QV_OK;
  if (op == QV_OP_AND || op == QV_OP_OR) {
    for (int k = 0; k < 2 && st == QV_OK; k++) {
      qv_type_id id = kids[k]->type->id;
      if (id == QV_NA) st = qv__expr_coerce(&kids[k], qv_type_primitive(QV_BOOL), err);
      else if (id != QV_BOOL) st = binary_type_error(op, left, right, err);
    }
    type = qv_type_primitive(QV_BOOL);
  } else if (is_compare(op)) {
    st = decode_dictionary(&kids[0], err);
    if (st == QV_OK) st = decode_dictionary(&kids[1], err);
    qv_type_id a = kids[0]->type->id, b = kids[1]->type->id;
    if (st == QV_OK && a == QV_DECIMAL128 && b == QV_DECIMAL128) {
      /* The kernel compares decimals of any scales; only literals are
       * converted (for free) to the other side's type. */
      if (kids[1]->kind == QV_EXPR_LITERAL && kids[0]->kind != QV_EXPR_LITERAL) {
        qv_data_type *c = qv__common_type(kids[0]->type, kids[1]->type, NULL, NULL);
        if (c && c->scale == kids[0]->type->scale && c->precision == kids[0]->type->precision)
          st = qv__expr_coerce(&kids[1], kids[0]->type, err);
        qv_type_unref(c);
      }
    } else if (st == QV_OK) {
      qv_data_type *common =
          qv__common_type(kids[0]->type, kids[1]->type, literal_value(kids[0]), literal_value(kids[1]));
      if (!common || !comparable(common->id)) {
        st = binary_type_error(op, kids[0], kids[1], err);
      } else {
        st = qv__expr_coerce(&kids[0], common, err);
        if (st == QV_OK) st = qv__expr_coerce(&kids[1], common, err);
        if (st != QV_OK) qv_error_prefix(err, "operator '%s'", qv__binary_op_symbol(op));
      }
      qv_type_unref(common);
    }
    type = qv_type_primitive(QV_BOOL);
  } else {
    st = decode_dictionary(&kids[0], err);
    if (st == QV_OK) st = decode_dictionary(&kids[1], err);
    if (st == QV_OK) st = temporal_result(op, &kids[0], &kids[1], &type, err);
    if (st == QV_OK && !type) st = arith_result(op, &kids[0], &kids[1], &type, err);
    if (st != QV_OK && err && err->code != QV_TYPE_ERROR) qv_error_prefix(err, "operator '%s'", qv__binary_op_symbol(op));
  }
  if (st != QV_OK) {
    qv_type_unref(type);
    unref_all(kids, 2);
    return st;
  }
  qv_expr *e = node_with(QV_EXPR_BINARY, kids, 2);
  if (!e) {
    qv_type_unref(type);
    return oom(err);
  }
  e->op = op;
  e->type = type;
  e->nullable = left->nullable || right->nullable || type->id == QV_NA;
  /* Integer and decimal arithmetic can fail, but never produces a null. */
  *out = e;
  return QV_OK;
}

/* ---- unary operators ------------------------------------------------------------------- */

qv_status qv_expr_not(qv_expr *operand, qv_expr **out, qv_error *err) {
  *out = NULL;
  if (!operand) return qv_error_set(err, QV_INVALID, "NOT: missing operand");
  qv_expr *kid = qv_expr_ref(operand);
  qv_status st = QV_OK;
  if (kid->type->id == QV_NA) st = qv__expr_coerce(&kid, qv_type_primitive(QV_BOOL), err);
  else if (kid->type->id != QV_BOOL) {
    char a[96];
    st = qv_error_set(err, QV_TYPE_ERROR, "operator 'NOT' cannot be applied to %s", type_name(kid->type, a, sizeof a));
  }
  if (st != QV_OK) {
    qv_expr_unref(kid);
    return st;
  }
  qv_expr *e = node_with(QV_EXPR_NOT, &kid, 1);
  if (!e) return oom(err);
  e->type = qv_type_primitive(QV_BOOL);
  e->nullable = operand->nullable;
  *out = e;
  return QV_OK;
}

qv_status qv_expr_negate(qv_expr *operand, qv_expr **out, qv_error *err) {
  *out = NULL;
  if (!operand) return qv_error_set(err, QV_INVALID, "negation: missing operand");
  qv_expr *kid = qv_expr_ref(operand);
  qv_status st = decode_dictionary(&kid, err);
  qv_type_id id = kid->type->id;
  if (st == QV_OK && !(qv_type_is_signed_integer(id) || id == QV_FLOAT32 || id == QV_FLOAT64 ||
                       id == QV_DECIMAL128 || id == QV_NA)) {
    char a[96];
    st = qv_error_set(err, QV_TYPE_ERROR, "operator '-' (negation) cannot be applied to %s",
                      type_name(kid->type, a, sizeof a));
  }
  if (st != QV_OK) {
    qv_expr_unref(kid);
    return st;
  }
  qv_expr *e = node_with(QV_EXPR_NEGATE, &kid, 1);
  if (!e) return oom(err);
  e->type = qv_type_ref(kid->type);
  e->nullable = operand->nullable;
  *out = e;
  return QV_OK;
}

qv_status qv_expr_is_null(qv_expr *operand, bool negated, qv_expr **out, qv_error *err) {
  *out = NULL;
  if (!operand) return qv_error_set(err, QV_INVALID, "IS NULL: missing operand");
  qv_expr *kid = qv_expr_ref(operand);
  qv_expr *e = node_with(QV_EXPR_IS_NULL, &kid, 1);
  if (!e) return oom(err);
  e->negated = negated;
  e->type = qv_type_primitive(QV_BOOL);
  e->nullable = false;
  *out = e;
  return QV_OK;
}

/* ---- IN, BETWEEN, LIKE ------------------------------------------------------------------ */

qv_status qv_expr_in_list(qv_expr *value, qv_expr *const *list, int32_t n, bool negated, qv_expr **out,
                          qv_error *err) {
  *out = NULL;
  if (!value || n < 1 || !list) return qv_error_set(err, QV_INVALID, "IN: needs a value and at least one list item");
  for (int32_t i = 0; i < n; i++)
    if (!list[i]) return qv_error_set(err, QV_INVALID, "IN: list item %d is missing", i);
  qv_expr **kids = calloc((size_t)n + 1, sizeof *kids);
  if (!kids) return oom(err);
  kids[0] = qv_expr_ref(value);
  for (int32_t i = 0; i < n; i++) kids[i + 1] = qv_expr_ref(list[i]);
  qv_data_type *common = NULL;
  qv_status st = qv__expr_coerce_all(kids, n + 1, "IN", &common, err);
  if (st == QV_OK && !comparable(common->id)) {
    char a[96];
    st = qv_error_set(err, QV_TYPE_ERROR, "IN: values of %s cannot be compared", type_name(common, a, sizeof a));
  }
  qv_type_unref(common);
  if (st != QV_OK) {
    unref_all(kids, n + 1);
    free(kids);
    return st;
  }
  qv_expr *e = node_with(QV_EXPR_IN_LIST, kids, n + 1);
  free(kids);
  if (!e) return oom(err);
  e->negated = negated;
  e->type = qv_type_primitive(QV_BOOL);
  e->nullable = false;
  for (int32_t i = 0; i <= n; i++) e->nullable |= e->children[i]->nullable;
  st = qv__in_list_prepare(e, err);
  if (st != QV_OK) {
    qv_expr_unref(e);
    return st;
  }
  *out = e;
  return QV_OK;
}

qv_status qv_expr_between(qv_expr *value, qv_expr *low, qv_expr *high, bool negated, qv_expr **out, qv_error *err) {
  *out = NULL;
  if (!value || !low || !high) return qv_error_set(err, QV_INVALID, "BETWEEN: missing operand");
  qv_expr *kids[3] = {qv_expr_ref(value), qv_expr_ref(low), qv_expr_ref(high)};
  qv_data_type *common = NULL;
  qv_status st = qv__expr_coerce_all(kids, 3, "BETWEEN", &common, err);
  if (st == QV_OK && !comparable(common->id)) {
    char a[96];
    st = qv_error_set(err, QV_TYPE_ERROR, "BETWEEN: values of %s cannot be compared", type_name(common, a, sizeof a));
  }
  qv_type_unref(common);
  if (st != QV_OK) {
    unref_all(kids, 3);
    return st;
  }
  qv_expr *e = node_with(QV_EXPR_BETWEEN, kids, 3);
  if (!e) return oom(err);
  e->negated = negated;
  e->type = qv_type_primitive(QV_BOOL);
  e->nullable = value->nullable || low->nullable || high->nullable;
  *out = e;
  return QV_OK;
}

qv_status qv_expr_like(qv_expr *value, qv_expr *pattern, bool negated, bool case_insensitive, qv_expr **out,
                       qv_error *err) {
  *out = NULL;
  if (!value || !pattern) return qv_error_set(err, QV_INVALID, "LIKE: missing operand");
  const char *op = case_insensitive ? "ILIKE" : "LIKE";
  qv_expr *kids[2] = {qv_expr_ref(value), qv_expr_ref(pattern)};
  qv_status st = QV_OK;
  for (int k = 0; k < 2 && st == QV_OK; k++) {
    qv_data_type *t = qv__type_logical(kids[k]->type);
    if (t->id == QV_NA) st = qv__expr_coerce(&kids[k], qv_type_primitive(QV_UTF8), err);
    else if (!qv_type_is_binary_like(t->id)) {
      char a[96];
      st = qv_error_set(err, QV_TYPE_ERROR, "%s: %s %s is not a string", op, k ? "pattern" : "value",
                        type_name(kids[k]->type, a, sizeof a));
    } else if (k == 1) {
      st = decode_dictionary(&kids[1], err);
    } else if (kids[0]->type->id == QV_DICTIONARY) {
      st = decode_dictionary(&kids[0], err);
    }
  }
  if (st != QV_OK) {
    unref_all(kids, 2);
    return st;
  }
  qv_expr *e = node_with(QV_EXPR_LIKE, kids, 2);
  if (!e) return oom(err);
  e->negated = negated;
  e->case_insensitive = case_insensitive;
  e->type = qv_type_primitive(QV_BOOL);
  e->nullable = value->nullable || pattern->nullable;
  st = qv__like_prepare(e, err);
  if (st != QV_OK) {
    qv_expr_unref(e);
    return st;
  }
  *out = e;
  return QV_OK;
}

/* ---- CASE and CAST ----------------------------------------------------------------------------- */

qv_status qv_expr_case(qv_expr *base, qv_expr *const *whens, qv_expr *const *thens, int32_t n, qv_expr *else_,
                       qv_expr **out, qv_error *err) {
  *out = NULL;
  if (n < 1 || !whens || !thens) return qv_error_set(err, QV_INVALID, "CASE: needs at least one WHEN ... THEN");
  for (int32_t i = 0; i < n; i++)
    if (!whens[i] || !thens[i]) return qv_error_set(err, QV_INVALID, "CASE: WHEN/THEN %d is missing", i);
  int32_t nb = base ? 1 : 0, ne = else_ ? 1 : 0;
  int32_t total = nb + 2 * n + ne;
  qv_expr **kids = calloc((size_t)total, sizeof *kids);
  /* Scratch lists for coercion: the compared values, then the results. */
  qv_expr **cmp = calloc((size_t)n + 1, sizeof *cmp);
  qv_expr **res = calloc((size_t)n + 1, sizeof *res);
  qv_status st = kids && cmp && res ? QV_OK : oom(err);
  qv_data_type *common = NULL;
  if (st == QV_OK) {
    if (base) {
      cmp[0] = qv_expr_ref(base);
      for (int32_t i = 0; i < n; i++) cmp[i + 1] = qv_expr_ref(whens[i]);
      st = qv__expr_coerce_all(cmp, n + 1, "CASE", &common, err);
      if (st == QV_OK && !comparable(common->id)) {
        char a[96];
        st = qv_error_set(err, QV_TYPE_ERROR, "CASE: values of %s cannot be compared", type_name(common, a, sizeof a));
      }
      qv_type_unref(common);
      common = NULL;
    } else {
      for (int32_t i = 0; i < n; i++) {
        cmp[i + 1] = qv_expr_ref(whens[i]);
        qv_type_id id = cmp[i + 1]->type->id;
        if (st != QV_OK) continue;
        if (id == QV_NA) st = qv__expr_coerce(&cmp[i + 1], qv_type_primitive(QV_BOOL), err);
        else if (id != QV_BOOL) {
          char a[96];
          st = qv_error_set(err, QV_TYPE_ERROR, "CASE: WHEN condition %d is %s, not boolean", i,
                            type_name(cmp[i + 1]->type, a, sizeof a));
        }
      }
    }
  }
  if (st == QV_OK) {
    for (int32_t i = 0; i < n; i++) res[i] = qv_expr_ref(thens[i]);
    if (else_) res[n] = qv_expr_ref(else_);
    st = qv__expr_coerce_all(res, n + ne, "CASE result", &common, err);
  }
  if (st != QV_OK) {
    if (cmp) unref_all(cmp, n + 1);
    if (res) unref_all(res, n + 1);
    free(kids);
    free(cmp);
    free(res);
    return st;
  }
  int32_t k = 0;
  if (base) kids[k++] = cmp[0];
  for (int32_t i = 0; i < n; i++) {
    kids[k++] = cmp[i + 1];
    kids[k++] = res[i];
  }
  if (else_) kids[k++] = res[n];
  free(cmp);
  free(res);
  qv_expr *e = node_with(QV_EXPR_CASE, kids, total);
  free(kids);
  if (!e) {
    qv_type_unref(common);
    return oom(err);
  }
  e->has_base = base != NULL;
  e->has_else = else_ != NULL;
  e->type = common;
  e->nullable = !else_;
  for (int32_t i = 0; i < n; i++) e->nullable |= thens[i]->nullable;
  if (else_) e->nullable |= else_->nullable;
  *out = e;
  return QV_OK;
}

qv_status qv_expr_cast(qv_expr *operand, qv_data_type *to, qv_expr **out, qv_error *err) {
  *out = NULL;
  if (!operand || !to) return qv_error_set(err, QV_INVALID, "CAST: missing operand or type");
  if (!qv__can_cast(operand->type, to)) {
    char a[96], b[96];
    return qv_error_set(err, QV_TYPE_ERROR, "CAST: no cast from %s to %s", type_name(operand->type, a, sizeof a),
                        type_name(to, b, sizeof b));
  }
  qv_expr *kid = qv_expr_ref(operand);
  qv_expr *e = node_with(QV_EXPR_CAST, &kid, 1);
  if (!e) return oom(err);
  e->type = qv_type_ref(to);
  e->nullable = operand->nullable;
  *out = e;
  return QV_OK;
}

/* ---- functions ------------------------------------------------------------------------------------- */

qv_status qv__function_type_error(const qv_expr *e, qv_error *err, const char *why) {
  char sig[512];
  size_t pos = (size_t)snprintf(sig, sizeof sig, "%s(", e->name);
  for (int32_t i = 0; i < e->n_children && pos < sizeof sig; i++) {
    char t[96];
    pos += (size_t)snprintf(sig + pos, sizeof sig - pos, "%s%s", i ? ", " : "",
                            type_name(e->children[i]->type, t, sizeof t));
  }
  if (pos < sizeof sig) snprintf(sig + pos, sizeof sig - pos, ")");
  return qv_error_set(err, QV_TYPE_ERROR, "function %s: %s", sig, why);
}

/* Checks a UDF's arguments against its signature (converting them to the
 * declared types where a cast exists) or asks its return_type_fn. */
static qv_status bind_udf(qv_expr *e, qv_error *err) {
  const qv_scalar_udf *u = e->udf;
  if (u->return_type_fn) {
    qv_data_type **types = calloc((size_t)e->n_children + 1, sizeof *types);
    if (!types) return oom(err);
    for (int32_t i = 0; i < e->n_children; i++) types[i] = e->children[i]->type;
    qv_data_type *rt = NULL;
    qv_error inner;
    qv_error_init(&inner);
    qv_status st = u->return_type_fn(u->user_data, types, e->n_children, &rt, &inner);
    free(types);
    if (st != QV_OK) {
      qv_error_set(err, st, "function %s: %s", e->name, inner.message);
      return st;
    }
    if (!rt) return qv_error_set(err, QV_TYPE_ERROR, "function %s: return_type_fn gave no type", e->name);
    e->type = rt;
    e->nullable = true;
    return QV_OK;
  }
  if (u->n_args != e->n_children) {
    char why[96];
    snprintf(why, sizeof why, "takes %d arguments", u->n_args);
    return qv__function_type_error(e, err, why);
  }
  for (int32_t i = 0; i < e->n_children; i++) {
    qv_expr *arg = e->children[i];
    bool ok = arg->kind == QV_EXPR_LITERAL ? qv__can_cast(arg->type, u->arg_types[i])
                                            : qv__can_coerce_implicitly(arg->type, u->arg_types[i]);
    qv_status st = ok ? qv__expr_coerce(&e->children[i], u->arg_types[i], err) : QV_TYPE_ERROR;
    if (st != QV_OK) {
      char why[160], t[96];
      snprintf(why, sizeof why, "argument %d must be %s", i + 1, type_name(u->arg_types[i], t, sizeof t));
      return qv__function_type_error(e, err, why);
    }
  }
  if (!u->return_type) return qv_error_set(err, QV_INVALID, "function %s: no return type", e->name);
  e->type = qv_type_ref(u->return_type);
  e->nullable = true;
  return QV_OK;
}

qv_status qv_expr_function(const qv_session_state *session, const char *name, qv_expr *const *args, int32_t n_args,
                           qv_expr **out, qv_error *err) {
  *out = NULL;
  if (!name) return qv_error_set(err, QV_INVALID, "function: no name");
  if (n_args < 0 || (n_args > 0 && !args)) return qv_error_set(err, QV_INVALID, "function %s: bad arguments", name);
  for (int32_t i = 0; i < n_args; i++)
    if (!args[i]) return qv_error_set(err, QV_INVALID, "function %s: argument %d is missing", name, i + 1);
  /* A user function of the same name wins over a built-in, as a
   * registration replaces an earlier one. */
  const qv_scalar_udf *udf = session ? qv__session_find_scalar_udf(session, name) : NULL;
  const qv_function_def *fn = udf ? NULL : qv__function_find(name);
  if (!udf && !fn) return qv_error_set(err, QV_NOT_FOUND, "unknown function '%s'", name);
  qv_expr *e = qv__expr_alloc(udf ? QV_EXPR_UDF : QV_EXPR_FUNCTION, n_args);
  if (!e || !(e->name = strdup(name))) {
    qv_expr_unref(e);
    return oom(err);
  }
  for (char *c = e->name; *c; c++) *c = (char)tolower((unsigned char)*c);
  for (int32_t i = 0; i < n_args; i++) e->children[i] = qv_expr_ref(args[i]);
  qv_status st;
  if (udf) {
    e->udf = udf;
    e->session = qv_session_state_ref((qv_session_state *)session);
    st = bind_udf(e, err);
  } else {
    e->fn = fn;
    if (n_args < fn->min_args || (fn->max_args >= 0 && n_args > fn->max_args)) {
      char why[96];
      if (fn->max_args < 0) snprintf(why, sizeof why, "takes at least %d arguments", fn->min_args);
      else if (fn->min_args == fn->max_args) snprintf(why, sizeof why, "takes %d arguments", fn->min_args);
      else snprintf(why, sizeof why, "takes %d to %d arguments", fn->min_args, fn->max_args);
      st = qv__function_type_error(e, err, why);
    } else {
      st = fn->bind(e, err);
    }
  }
  if (st == QV_OK && !e->type) st = qv_error_set(err, QV_INTERNAL, "function %s: no result type", name);
  if (st != QV_OK) {
    qv_expr_unref(e);
    return st;
  }
  *out = e;
  return QV_OK;
}

bool qv__expr_can_fail(const qv_expr *e) {
  for (int32_t i = 0; i < e->n_children; i++)
    if (qv__expr_can_fail(e->children[i])) return true;
  switch (e->kind) {
    case QV_EXPR_BINARY: {
      if (!is_arith(e->op)) return false;
      qv_type_id id = e->type->id;
      return id != QV_FLOAT32 && id != QV_FLOAT64;
    }
    case QV_EXPR_NEGATE: return e->type->id != QV_FLOAT32 && e->type->id != QV_FLOAT64;
    case QV_EXPR_CAST: {
      qv_type_id f = qv__type_logical(e->children[0]->type)->id, t = e->type->id;
      /* Widening casts cannot fail; everything else may. */
      if (f == t && t != QV_DECIMAL128) return false;
      if (f == QV_NA || t == QV_FLOAT64 || qv__type_is_string(t)) return false;
      return true;
    }
    case QV_EXPR_FUNCTION: return e->fn->can_fail;
    case QV_EXPR_UDF: return true;
    case QV_EXPR_LIKE: return e->state == NULL; /* a pattern column may be malformed */
    default: return false;
  }
}
