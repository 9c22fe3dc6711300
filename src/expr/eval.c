/* Evaluation: walks an expression tree once per batch and hands whole
 * columns to the kernels (one switch per node and batch, never per row).
 * Literals stay scalars (datums of length 1) all the way through, so
 * "l_tax > 0.05" compares a column with one value and a tree of constants
 * costs O(1) per batch; only the final result, or a kernel that needs a full
 * column, repeats a scalar. Selection contexts evaluate a subtree on a
 * subset of rows (CASE branches). */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

/* ---- datums ------------------------------------------------------------------ */

void qv__datum_release(qv_datum *d) {
  if (!d) return;
  qv_array_unref(d->array);
  d->array = NULL;
  d->scalar = false;
}

bool qv__datum_is_null_scalar(const qv_datum *d) {
  return d->scalar && (d->array->type->id == QV_NA || !qv_array_is_valid(d->array, 0));
}

qv_status qv__datum_null(qv_allocator *alloc, qv_data_type *t, qv_datum *out, qv_error *err) {
  out->scalar = true;
  return qv_array_make_nulls(alloc ? alloc : qv_default_allocator(), t, 1, &out->array, err);
}

/* Repeats a scalar's value n times: fixed width by doubling copies, others
 * through take. */
static qv_status broadcast(qv_allocator *alloc, qv_array *s, int64_t n, qv_array **out, qv_error *err) {
  qv_type_id id = s->type->id;
  if (id == QV_NA || !qv_array_is_valid(s, 0)) return qv_array_make_nulls(alloc, s->type, n, out, err);
  if (id == QV_BOOL) {
    qv_buffer *vals = NULL;
    QV_RETURN_NOT_OK(qv__buffer_new(alloc, (n + 7) / 8, &vals, err));
    memset(vals->data, qv_bit_get(qv__array_data(s, 1), s->offset) ? 0xff : 0, (size_t)((n + 7) / 8));
    return qv__array_from_buffers(s->type, n, NULL, 0, vals, out, err);
  }
  int32_t w = s->type->byte_width;
  if (w > 0 && !qv_type_is_nested(id) && id != QV_DICTIONARY && id != QV_FIXED_SIZE_BINARY) {
    qv_buffer *vals = NULL;
    QV_RETURN_NOT_OK(qv__buffer_new(alloc, n * w, &vals, err));
    if (n > 0) {
      memcpy(vals->data, qv__array_data(s, 1) + s->offset * w, (size_t)w);
      int64_t done = 1;
      while (done < n) {
        int64_t k = done < n - done ? done : n - done;
        memcpy(vals->data + done * w, vals->data, (size_t)(k * w));
        done += k;
      }
    }
    return qv__array_from_buffers(s->type, n, NULL, 0, vals, out, err);
  }
  int64_t *zeros = calloc((size_t)(n ? n : 1), sizeof *zeros);
  if (!zeros) return qv_error_set(err, QV_NOMEM, "expression: out of memory");
  qv_status st = qv__array_take(alloc, s, zeros, n, out, err);
  free(zeros);
  return st;
}

qv_status qv__datum_to_array(qv_allocator *alloc, const qv_datum *d, int64_t n, qv_array **out, qv_error *err) {
  *out = NULL;
  alloc = alloc ? alloc : qv_default_allocator();
  if (!d->scalar) {
    *out = qv_array_ref(d->array);
    return QV_OK;
  }
  return broadcast(alloc, d->array, n, out, err);
}

/* ---- contexts ----------------------------------------------------------------- */

qv_status qv__eval_ctx_column(qv_eval_ctx *ctx, int32_t i, qv_array **out, qv_error *err) {
  *out = NULL;
  if (i < 0 || i >= ctx->n_columns)
    return qv_error_set(err, QV_INVALID, "expression: column %d outside a batch of %d columns", i, ctx->n_columns);
  if (!ctx->columns[i]) {
    qv_array *whole = NULL;
    QV_RETURN_NOT_OK(qv__eval_ctx_column(ctx->parent, i, &whole, err));
    QV_RETURN_NOT_OK(qv__array_take(ctx->alloc, whole, ctx->selection, ctx->n_rows, &ctx->columns[i], err));
  }
  *out = ctx->columns[i];
  return QV_OK;
}

qv_status qv__expr_eval_selection(const qv_expr *e, qv_eval_ctx *ctx, const int64_t *selection, int64_t n,
                                  qv_datum *out, qv_error *err) {
  out->array = NULL;
  qv_eval_ctx sub = {ctx->alloc, n, ctx->n_columns, NULL, ctx, selection};
  sub.columns = calloc((size_t)(ctx->n_columns ? ctx->n_columns : 1), sizeof *sub.columns);
  if (!sub.columns) return qv_error_set(err, QV_NOMEM, "expression: out of memory");
  qv_status st = qv__expr_eval(e, &sub, out, err);
  for (int32_t i = 0; i < sub.n_columns; i++) qv_array_unref(sub.columns[i]);
  free(sub.columns);
  return st;
}

qv_status qv__expr_eval_children(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *datums, qv_error *err) {
  for (int32_t i = 0; i < e->n_children; i++) {
    qv_status st = qv__expr_eval(e->children[i], ctx, &datums[i], err);
    if (st != QV_OK) {
      for (int32_t j = 0; j < i; j++) qv__datum_release(&datums[j]);
      return st;
    }
  }
  return QV_OK;
}

/* An operand of a comparison or LIKE: a dictionary column stays encoded (the
 * kernels evaluate on the dictionary's values and map the result through the
 * indices), skipping the implicit decoding cast. */
static qv_status eval_keep_dictionary(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  if (e->kind == QV_EXPR_CAST && e->implicit && e->children[0]->type->id == QV_DICTIONARY &&
      qv_type_equals(e->children[0]->type->dict_value, e->type))
    return qv__expr_eval(e->children[0], ctx, out, err);
  return qv__expr_eval(e, ctx, out, err);
}

static qv_status eval_column(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  qv_array *col = NULL;
  QV_RETURN_NOT_OK(qv__eval_ctx_column(ctx, e->column_index, &col, err));
  if (col->type != e->type && !qv_type_equals(col->type, e->type)) {
    char a[96], b[96];
    return qv_error_set(err, QV_INVALID, "expression: column %d '%s' is %s in the batch but %s in the expression",
                        e->column_index, e->name, qv_type_to_string(col->type, a, sizeof a),
                        qv_type_to_string(e->type, b, sizeof b));
  }
  if (col->length != ctx->n_rows)
    return qv_error_set(err, QV_INVALID, "expression: column %d '%s' has %lld rows, the batch %lld", e->column_index,
                        e->name, (long long)col->length, (long long)ctx->n_rows);
  out->array = qv_array_ref(col);
  out->scalar = false;
  return QV_OK;
}

static qv_status eval_cast(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  qv_datum in = {0};
  QV_RETURN_NOT_OK(qv__expr_eval(e->children[0], ctx, &in, err));
  qv_status st = qv__cast_array(ctx->alloc, in.array, e->type, &out->array, err);
  out->scalar = in.scalar;
  qv__datum_release(&in);
  return st;
}

static qv_status eval_binary(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  qv_binary_op op = e->op;
  qv_datum l = {0}, r = {0};
  qv_status st;
  if (op == QV_OP_AND || op == QV_OP_OR) {
    QV_RETURN_NOT_OK(qv__expr_eval(e->children[0], ctx, &l, err));
    /* FALSE AND x is FALSE, TRUE OR x is TRUE: skip the right side when the
     * left decides every row (also saves its errors, as DataFusion does). */
    if (qv__datum_all_equal(&l, ctx->n_rows, op == QV_OP_OR)) {
      *out = l;
      return QV_OK;
    }
    st = qv__expr_eval(e->children[1], ctx, &r, err);
    if (st == QV_OK) st = qv__kernel_logic(ctx, op, &l, &r, out, err);
  } else if (op >= QV_OP_EQ) {
    QV_RETURN_NOT_OK(eval_keep_dictionary(e->children[0], ctx, &l, err));
    st = eval_keep_dictionary(e->children[1], ctx, &r, err);
    if (st == QV_OK) st = qv__kernel_compare(ctx, op, &l, &r, out, err);
  } else {
    QV_RETURN_NOT_OK(qv__expr_eval(e->children[0], ctx, &l, err));
    st = qv__expr_eval(e->children[1], ctx, &r, err);
    if (st == QV_OK) {
      if (qv__type_is_temporal(e->children[0]->type->id))
        st = qv__kernel_temporal_arith(ctx, op, &l, &r, e->type, out, err);
      else
        st = qv__kernel_arith(ctx, op, &l, &r, e->type, out, err);
    }
  }
  qv__datum_release(&l);
  qv__datum_release(&r);
  return st;
}

static qv_status eval_between(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  qv_datum d[3] = {{0}};
  QV_RETURN_NOT_OK(qv__expr_eval_children(e, ctx, d, err));
  qv_datum ge = {0}, le = {0}, both = {0};
  qv_status st = qv__kernel_compare(ctx, QV_OP_GE, &d[0], &d[1], &ge, err);
  if (st == QV_OK) st = qv__kernel_compare(ctx, QV_OP_LE, &d[0], &d[2], &le, err);
  if (st == QV_OK) st = qv__kernel_logic(ctx, QV_OP_AND, &ge, &le, &both, err);
  if (st == QV_OK && e->negated) st = qv__kernel_not(ctx, &both, out, err);
  else if (st == QV_OK) {
    *out = both;
    both.array = NULL;
  }
  qv__datum_release(&both);
  qv__datum_release(&ge);
  qv__datum_release(&le);
  for (int i = 0; i < 3; i++) qv__datum_release(&d[i]);
  return st;
}

static qv_status eval_like(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  qv_datum v = {0}, p = {0};
  QV_RETURN_NOT_OK(eval_keep_dictionary(e->children[0], ctx, &v, err));
  qv_status st = qv__expr_eval(e->children[1], ctx, &p, err);
  if (st == QV_OK) st = qv__kernel_like(ctx, e, &v, &p, out, err);
  qv__datum_release(&v);
  qv__datum_release(&p);
  return st;
}

static qv_status eval_unary(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  qv_datum in = {0};
  QV_RETURN_NOT_OK(qv__expr_eval(e->children[0], ctx, &in, err));
  qv_status st;
  switch (e->kind) {
    case QV_EXPR_NOT: st = qv__kernel_not(ctx, &in, out, err); break;
    case QV_EXPR_NEGATE: st = qv__kernel_negate(ctx, &in, out, err); break;
    default: st = qv__kernel_is_null(ctx, &in, e->negated, out, err); break;
  }
  qv__datum_release(&in);
  return st;
}

qv_status qv__expr_eval(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  out->array = NULL;
  out->scalar = false;
  switch (e->kind) {
    case QV_EXPR_COLUMN: return eval_column(e, ctx, out, err);
    case QV_EXPR_LITERAL:
      out->array = qv_array_ref(e->literal);
      out->scalar = true;
      return QV_OK;
    case QV_EXPR_BINARY: return eval_binary(e, ctx, out, err);
    case QV_EXPR_NOT:
    case QV_EXPR_NEGATE:
    case QV_EXPR_IS_NULL: return eval_unary(e, ctx, out, err);
    case QV_EXPR_IN_LIST: return qv__eval_in_list(e, ctx, out, err);
    case QV_EXPR_BETWEEN: return eval_between(e, ctx, out, err);
    case QV_EXPR_LIKE: return eval_like(e, ctx, out, err);
    case QV_EXPR_CASE: return qv__eval_case(e, ctx, out, err);
    case QV_EXPR_CAST: return eval_cast(e, ctx, out, err);
    case QV_EXPR_FUNCTION: return e->fn->eval(e, ctx, out, err);
    case QV_EXPR_UDF: return qv__eval_udf(e, ctx, out, err);
    default: return qv_error_set(err, QV_INTERNAL, "expression: unknown node kind %d", (int)e->kind);
  }
}

qv_status qv_expr_evaluate(const qv_expr *e, qv_record_batch *batch, qv_allocator *alloc, qv_array **out,
                           qv_error *err) {
  *out = NULL;
  if (!e || !batch) return qv_error_set(err, QV_INVALID, "evaluate: no expression or batch");
  qv_eval_ctx ctx = {alloc ? alloc : qv_default_allocator(), batch->num_rows, batch->n_columns, batch->columns, NULL,
                     NULL};
  qv_datum d = {0};
  QV_RETURN_NOT_OK(qv__expr_eval(e, &ctx, &d, err));
  qv_status st = qv__datum_to_array(ctx.alloc, &d, ctx.n_rows, out, err);
  qv__datum_release(&d);
  if (st == QV_OK && (*out)->length != ctx.n_rows) {
    st = qv_error_set(err, QV_INTERNAL, "evaluate: result has %lld rows, the batch %lld", (long long)(*out)->length,
                      (long long)ctx.n_rows);
    qv_array_unref(*out);
    *out = NULL;
  }
  return st;
}
