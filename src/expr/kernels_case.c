/* Conditional expressions: CASE (searched and simple), and the functions
 * COALESCE (alias IFNULL, NVL) and NULLIF.
 *
 * CASE decides, condition by condition, which branch each row takes; each
 * condition is evaluated only on the rows still undecided, and each branch
 * only on the rows that take it. A subexpression that cannot fail (no
 * division, no narrowing cast, ...) is simply evaluated on the whole batch,
 * which is cheaper than gathering its inputs; one that can fail runs on a
 * selection of rows, so "CASE WHEN d = 0 THEN 0 ELSE n / d END" never
 * divides by zero. The branch results are then interleaved into one array.
 * COALESCE works the same way, its "conditions" being "the previous
 * arguments were NULL". */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

/* Evaluates e on rows[0..m) of ctx. *full says the result is aligned with
 * the context's rows (whole-batch evaluation), else with positions in rows. */
static qv_status eval_rows(const qv_expr *e, qv_eval_ctx *ctx, const int64_t *rows, int64_t m, qv_datum *out,
                           bool *full, qv_error *err) {
  if (m == ctx->n_rows || !qv__expr_can_fail(e)) {
    *full = true;
    return qv__expr_eval(e, ctx, out, err);
  }
  *full = false;
  return qv__expr_eval_selection(e, ctx, rows, m, out, err);
}

/* Whether position p of a boolean datum is a valid TRUE. */
static inline bool datum_true(const qv_datum *d, int64_t p) {
  const qv_array *a = d->array;
  if (a->type->id != QV_BOOL) return false;
  if (d->scalar) p = 0;
  return qv__valid_at(qv__array_data(a, 0), a->offset + p) && qv_bit_get(qv__array_data(a, 1), a->offset + p);
}

static inline bool datum_valid(const qv_datum *d, int64_t p) {
  const qv_array *a = d->array;
  if (a->type->id == QV_NA) return false;
  if (d->scalar) p = 0;
  return qv__valid_at(qv__array_data(a, 0), a->offset + p);
}

/* Per-row plumbing of CASE and COALESCE: which branch a row takes (-1:
 * null) and where in that branch's result its value sits. */
typedef struct routing {
  int64_t n;
  int32_t *src;
  int64_t *idx;
  int64_t *rows; /* scratch: rows still undecided, then rows of one branch */
  int64_t m;     /* undecided rows */
} routing;

static qv_status routing_init(routing *r, int64_t n, qv_error *err) {
  size_t k = (size_t)(n ? n : 1);
  r->n = n;
  r->src = malloc(k * sizeof *r->src);
  r->idx = malloc(k * sizeof *r->idx);
  r->rows = malloc(k * sizeof *r->rows);
  if (!r->src || !r->idx || !r->rows) return qv_error_set(err, QV_NOMEM, "CASE: out of memory");
  for (int64_t i = 0; i < n; i++) {
    r->src[i] = -1;
    r->idx[i] = 0;
    r->rows[i] = i;
  }
  r->m = n;
  return QV_OK;
}

static void routing_reset(routing *r) {
  free(r->src);
  free(r->idx);
  free(r->rows);
}

/* Evaluates branch b's expression on the rows routed to it into *out and
 * records where each row's value is. rows[] must have room for n. */
static qv_status eval_branch(const qv_expr *e, qv_eval_ctx *ctx, routing *r, int32_t b, int64_t *scratch,
                             qv_data_type *type, qv_datum *out, qv_error *err) {
  int64_t cb = 0;
  for (int64_t i = 0; i < r->n; i++)
    if (r->src[i] == b) scratch[cb++] = i;
  if (cb == 0) return qv__datum_null(ctx->alloc, type, out, err); /* never read */
  bool full;
  QV_RETURN_NOT_OK(eval_rows(e, ctx, scratch, cb, out, &full, err));
  for (int64_t k = 0; k < cb; k++) r->idx[scratch[k]] = full ? scratch[k] : k;
  return QV_OK;
}

/* Interleaves the branch results; returns one of them directly when every
 * row took it and it was evaluated on the whole batch. */
static qv_status finish(qv_eval_ctx *ctx, routing *r, qv_datum *sources, int32_t n_sources, qv_data_type *type,
                        qv_datum *out, qv_error *err) {
  int64_t n = r->n;
  if (n > 0 && r->src[0] >= 0 && !sources[r->src[0]].scalar) {
    int32_t s0 = r->src[0];
    bool same = true;
    for (int64_t i = 0; i < n && same; i++) same = r->src[i] == s0 && r->idx[i] == i;
    if (same && sources[s0].array->length == n) {
      out->array = qv_array_ref(sources[s0].array);
      out->scalar = false;
      return QV_OK;
    }
  }
  out->scalar = false;
  return qv__array_interleave(ctx->alloc, type, sources, n_sources, r->src, r->idx, n, &out->array, err);
}

qv_status qv__eval_case(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  out->array = NULL;
  int64_t n = ctx->n_rows;
  if (e->type->id == QV_NA) {
    out->scalar = false;
    return qv_array_make_nulls(ctx->alloc, e->type, n, &out->array, err);
  }
  int32_t nb = e->has_base ? 1 : 0;
  int32_t nw = (e->n_children - nb - (e->has_else ? 1 : 0)) / 2;
  routing r = {0};
  qv_datum base = {0};
  qv_datum *sources = calloc((size_t)nw + 1, sizeof *sources);
  int64_t *scratch = malloc((size_t)(n ? n : 1) * sizeof *scratch);
  qv_status st = sources && scratch ? routing_init(&r, n, err) : qv_error_set(err, QV_NOMEM, "CASE: out of memory");
  if (st == QV_OK && e->has_base) st = qv__expr_eval(e->children[0], ctx, &base, err);
  for (int32_t i = 0; st == QV_OK && i < nw && r.m > 0; i++) {
    const qv_expr *when = e->children[nb + 2 * i];
    qv_datum cond = {0};
    bool full = true;
    if (e->has_base) {
      qv_datum wv = {0}, b = {0};
      st = eval_rows(when, ctx, r.rows, r.m, &wv, &full, err);
      qv_eval_ctx sub = *ctx;
      if (st == QV_OK && !full) {
        sub.n_rows = r.m;
        b.scalar = base.scalar;
        if (base.scalar) b.array = qv_array_ref(base.array);
        else st = qv__array_take(ctx->alloc, base.array, r.rows, r.m, &b.array, err);
      } else if (st == QV_OK) {
        b.array = qv_array_ref(base.array);
        b.scalar = base.scalar;
      }
      if (st == QV_OK) st = qv__kernel_compare(&sub, QV_OP_EQ, &b, &wv, &cond, err);
      qv__datum_release(&wv);
      qv__datum_release(&b);
    } else {
      st = eval_rows(when, ctx, r.rows, r.m, &cond, &full, err);
    }
    if (st != QV_OK) break;
    int64_t kept = 0;
    for (int64_t k = 0; k < r.m; k++) {
      int64_t row = r.rows[k];
      if (datum_true(&cond, full ? row : k)) r.src[row] = i;
      else r.rows[kept++] = row;
    }
    r.m = kept;
    qv__datum_release(&cond);
  }
  if (st == QV_OK && e->has_else)
    for (int64_t k = 0; k < r.m; k++) r.src[r.rows[k]] = nw;
  int32_t n_sources = nw + (e->has_else ? 1 : 0);
  for (int32_t b = 0; st == QV_OK && b < n_sources; b++) {
    const qv_expr *then = b < nw ? e->children[nb + 2 * b + 1] : e->children[e->n_children - 1];
    st = eval_branch(then, ctx, &r, b, scratch, e->type, &sources[b], err);
  }
  if (st == QV_OK) st = finish(ctx, &r, sources, n_sources, e->type, out, err);
  for (int32_t b = 0; sources && b <= nw; b++) qv__datum_release(&sources[b]);
  qv__datum_release(&base);
  free(sources);
  free(scratch);
  routing_reset(&r);
  return st;
}

/* ---- COALESCE, NULLIF -------------------------------------------------------------- */

static qv_status bind_coalesce(qv_expr *e, qv_error *err) {
  qv_data_type *common = NULL;
  QV_RETURN_NOT_OK(qv__expr_coerce_all(e->children, e->n_children, e->name, &common, err));
  e->type = common;
  e->nullable = true;
  for (int32_t i = 0; i < e->n_children; i++) e->nullable &= e->children[i]->nullable;
  return QV_OK;
}

static qv_status eval_coalesce(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  out->array = NULL;
  int64_t n = ctx->n_rows;
  int32_t na = e->n_children;
  /* The first argument alone when it has no nulls. */
  qv_datum first = {0};
  QV_RETURN_NOT_OK(qv__expr_eval(e->children[0], ctx, &first, err));
  if (!first.scalar ? qv_array_null_count(first.array) == 0 : !qv__datum_is_null_scalar(&first)) {
    *out = first;
    return QV_OK;
  }
  routing r = {0};
  qv_datum *sources = calloc((size_t)na, sizeof *sources);
  qv_status st = sources ? routing_init(&r, n, err) : qv_error_set(err, QV_NOMEM, "coalesce: out of memory");
  if (st == QV_OK) {
    sources[0] = first;
    first.array = NULL;
  }
  for (int32_t a = 0; st == QV_OK && a < na && r.m > 0; a++) {
    bool full = true;
    if (a > 0) st = eval_rows(e->children[a], ctx, r.rows, r.m, &sources[a], &full, err);
    if (st != QV_OK) break;
    int64_t kept = 0;
    for (int64_t k = 0; k < r.m; k++) {
      int64_t row = r.rows[k];
      int64_t p = full ? row : k;
      if (datum_valid(&sources[a], p)) {
        r.src[row] = a;
        r.idx[row] = sources[a].scalar ? 0 : p;
      } else {
        r.rows[kept++] = row;
      }
    }
    r.m = kept;
  }
  /* Arguments never reached stand in as nulls (never read). */
  for (int32_t a = 0; st == QV_OK && a < na; a++)
    if (!sources[a].array) st = qv__datum_null(ctx->alloc, e->type, &sources[a], err);
  if (st == QV_OK) st = finish(ctx, &r, sources, na, e->type, out, err);
  for (int32_t a = 0; sources && a < na; a++) qv__datum_release(&sources[a]);
  qv__datum_release(&first);
  free(sources);
  routing_reset(&r);
  return st;
}

static qv_status bind_nullif(qv_expr *e, qv_error *err) {
  qv_data_type *common = NULL;
  QV_RETURN_NOT_OK(qv__expr_coerce_all(e->children, 2, "nullif", &common, err));
  e->type = common;
  e->nullable = true;
  return QV_OK;
}

static qv_status eval_nullif(const qv_expr *e, qv_eval_ctx *ctx, qv_datum *out, qv_error *err) {
  out->array = NULL;
  qv_datum d[2] = {{0}}, eq = {0};
  QV_RETURN_NOT_OK(qv__expr_eval_children(e, ctx, d, err));
  qv_status st = qv__kernel_compare(ctx, QV_OP_EQ, &d[0], &d[1], &eq, err);
  routing r = {0};
  if (st == QV_OK && d[0].scalar && d[1].scalar) {
    /* Constant: one row. */
    if (datum_true(&eq, 0)) st = qv__datum_null(ctx->alloc, e->type, out, err);
    else {
      *out = d[0];
      d[0].array = NULL;
    }
  } else if (st == QV_OK) {
    st = routing_init(&r, ctx->n_rows, err);
    for (int64_t i = 0; st == QV_OK && i < ctx->n_rows; i++) {
      r.src[i] = datum_true(&eq, i) ? -1 : 0;
      r.idx[i] = d[0].scalar ? 0 : i;
    }
    if (st == QV_OK) st = finish(ctx, &r, &d[0], 1, e->type, out, err);
  }
  routing_reset(&r);
  qv__datum_release(&eq);
  qv__datum_release(&d[0]);
  qv__datum_release(&d[1]);
  return st;
}

const qv_function_def qv__conditional_functions[] = {
    {"coalesce", 1, -1, bind_coalesce, eval_coalesce, false},
    {"ifnull", 2, 2, bind_coalesce, eval_coalesce, false},
    {"nvl", 2, 2, bind_coalesce, eval_coalesce, false},
    {"nullif", 2, 2, bind_nullif, eval_nullif, false},
};
const int32_t qv__n_conditional_functions =
    (int32_t)(sizeof qv__conditional_functions / sizeof qv__conditional_functions[0]);
