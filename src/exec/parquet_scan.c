/* ParquetScanExec: reads Parquet files through quiver/parquet.h.
 *
 * A partition's pieces are byte ranges of files; a piece reads the row
 * groups whose midpoint lies in its range (qv_parquet_row_group_in_range),
 * so ranges that tile a file read each row group once. Only the columns the
 * scan needs are decoded (the reader skips the other column chunks).
 *
 * Row-group pruning: when the scan is built, the conjuncts of its predicate
 * that statistics can decide are extracted as terms `column op literal`
 * (op = < <= > >=, BETWEEN as two terms, IS [NOT] NULL), the column
 * possibly under a cast that preserves order (integer widening, integer or
 * decimal to float or decimal, float32 to float64, date32 to date64 or
 * timestamp). When a piece is opened, each row group in its range is
 * skipped if one term is proven false for every row by the chunk's
 * statistics:
 *   - a comparison is never true on NULL, so a chunk whose null count equals
 *     the row group's rows (or a column the file lacks) skips it, and so
 *     does a NULL literal;
 *   - otherwise min and max bound the non-null values: `= v` skips when v
 *     is outside [min, max], `< v` when min >= v, and so on; truncated
 *     (inexact) bounds are still bounds, so they are used as they are;
 *   - floats compare with NaN above every number (the engine's order), and
 *     Parquet statistics leave NaN out of min and max: unless the chunk
 *     counts zero NaNs, max is taken as NaN, so `>`, `>=` and `=` never
 *     skip on a float column that might hold NaN;
 *   - no statistics, bounds the reader does not report (unknown sort order,
 *     NaN bounds), nested or repeated columns, dictionaries and types
 *     without an order here: no skipping.
 * The predicate itself is still evaluated on every row read (file_scan.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/scan_internal.h"
#include "expr/expr_internal.h"

/* ---- pruning terms ----------------------------------------------------------- */

typedef enum term_kind { TERM_COMPARE = 0, TERM_IS_NULL = 1, TERM_IS_NOT_NULL = 2 } term_kind;

typedef struct prune_term {
  term_kind kind;
  qv_binary_op op;    /* TERM_COMPARE: column op literal */
  int32_t field;      /* file schema field */
  qv_data_type *cast; /* the column is cast to this before comparing (one reference), or NULL */
  qv_array *literal;  /* TERM_COMPARE: one value (one reference) */
} prune_term;

typedef struct prune_terms {
  int32_t n, cap;
  prune_term *items;
} prune_terms;

static void terms_free(void *state) {
  prune_terms *t = state;
  if (!t) return;
  for (int32_t i = 0; i < t->n; i++) {
    qv_type_unref(t->items[i].cast);
    qv_array_unref(t->items[i].literal);
  }
  free(t->items);
  free(t);
}

static qv_status terms_add(prune_terms *t, term_kind kind, qv_binary_op op, int32_t field, qv_data_type *cast,
                           qv_array *literal, qv_error *err) {
  if (t->n == t->cap) {
    int32_t cap = t->cap ? t->cap * 2 : 4;
    prune_term *grown = realloc(t->items, sizeof *grown * (size_t)cap);
    if (!grown) return qv_error_set(err, QV_NOMEM, "ParquetScanExec: out of memory");
    t->items = grown;
    t->cap = cap;
  }
  t->items[t->n++] = (prune_term){kind, op, field, cast ? qv_type_ref(cast) : NULL,
                                  literal ? qv_array_ref(literal) : NULL};
  return QV_OK;
}

static bool is_numeric(qv_type_id id) { return qv_type_is_integer(id) || qv_type_is_floating(id) || id == QV_DECIMAL128; }

/* Casts under which min and max of the input bound the output: they never
 * decrease (x <= y implies cast(x) <= cast(y)) and fail rather than wrap. */
static bool cast_keeps_order(const qv_data_type *from, const qv_data_type *to) {
  qv_type_id a = qv_type_id_of(from), b = qv_type_id_of(to);
  if (a == QV_FLOAT16 || b == QV_FLOAT16) return false;
  if (is_numeric(a) && is_numeric(b)) return !qv_type_is_floating(a) || qv_type_is_floating(b);
  return a == QV_DATE32 && (b == QV_DATE64 || b == QV_TIMESTAMP);
}

/* Types whose values this file can order; their statistics can prune. */
static bool orderable(qv_type_id id) {
  return qv_type_is_integer(id) || id == QV_FLOAT32 || id == QV_FLOAT64 || id == QV_DECIMAL128 || id == QV_BOOL ||
         id == QV_DATE32 || id == QV_DATE64 || id == QV_TIME32 || id == QV_TIME64 || id == QV_TIMESTAMP ||
         id == QV_DURATION || qv_type_is_binary_like(id) || id == QV_FIXED_SIZE_BINARY;
}

/* Whether e is a column of the file schema, possibly under an
 * order-preserving cast; sets *field and *cast (borrowed, NULL: none). */
static bool column_operand(const qv_expr *e, const qv_schema *schema, int32_t *field, qv_data_type **cast) {
  *cast = NULL;
  if (qv__expr_kind(e) == QV_EXPR_CAST) {
    const qv_expr *in = qv__expr_child(e, 0);
    if (qv__expr_kind(in) != QV_EXPR_COLUMN || !cast_keeps_order(qv_expr_type(in), qv_expr_type(e))) return false;
    *cast = qv_expr_type(e);
    e = in;
  }
  if (qv__expr_kind(e) != QV_EXPR_COLUMN) return false;
  int32_t f = qv__expr_column_index(e);
  if (f < 0 || f >= qv_schema_num_fields(schema)) return false;
  if (!orderable(qv_type_id_of(qv_field_type(qv_schema_field(schema, f))))) return false;
  *field = f;
  return true;
}

static qv_binary_op mirror(qv_binary_op op) {
  switch (op) {
    case QV_OP_LT: return QV_OP_GT;
    case QV_OP_LE: return QV_OP_GE;
    case QV_OP_GT: return QV_OP_LT;
    case QV_OP_GE: return QV_OP_LE;
    default: return op;
  }
}

static bool is_comparison(qv_binary_op op) {
  return op == QV_OP_EQ || op == QV_OP_LT || op == QV_OP_LE || op == QV_OP_GT || op == QV_OP_GE;
}

/* Collects the terms of the conjunction e. */
static qv_status analyze(const qv_expr *e, const qv_schema *schema, prune_terms *t, int depth, qv_error *err) {
  if (depth > 256) return QV_OK;
  int32_t field;
  qv_data_type *cast;
  switch (qv__expr_kind(e)) {
    case QV_EXPR_BINARY: {
      qv_binary_op op = qv__expr_binary_op(e);
      const qv_expr *l = qv__expr_child(e, 0), *r = qv__expr_child(e, 1);
      if (op == QV_OP_AND) {
        QV_RETURN_NOT_OK(analyze(l, schema, t, depth + 1, err));
        return analyze(r, schema, t, depth + 1, err);
      }
      if (!is_comparison(op)) return QV_OK;
      if (qv__expr_kind(r) == QV_EXPR_LITERAL && column_operand(l, schema, &field, &cast))
        return terms_add(t, TERM_COMPARE, op, field, cast, qv__expr_literal_value(r), err);
      if (qv__expr_kind(l) == QV_EXPR_LITERAL && column_operand(r, schema, &field, &cast))
        return terms_add(t, TERM_COMPARE, mirror(op), field, cast, qv__expr_literal_value(l), err);
      return QV_OK;
    }
    case QV_EXPR_BETWEEN: {
      const qv_expr *lo = qv__expr_child(e, 1), *hi = qv__expr_child(e, 2);
      if (qv__expr_negated(e) || qv__expr_kind(lo) != QV_EXPR_LITERAL || qv__expr_kind(hi) != QV_EXPR_LITERAL ||
          !column_operand(qv__expr_child(e, 0), schema, &field, &cast))
        return QV_OK;
      QV_RETURN_NOT_OK(terms_add(t, TERM_COMPARE, QV_OP_GE, field, cast, qv__expr_literal_value(lo), err));
      return terms_add(t, TERM_COMPARE, QV_OP_LE, field, cast, qv__expr_literal_value(hi), err);
    }
    case QV_EXPR_IS_NULL:
      if (!column_operand(qv__expr_child(e, 0), schema, &field, &cast) || cast) return QV_OK;
      return terms_add(t, qv__expr_negated(e) ? TERM_IS_NOT_NULL : TERM_IS_NULL, QV_OP_EQ, field, NULL, NULL, err);
    default: return QV_OK;
  }
}

/* ---- comparing statistics -------------------------------------------------------- */

typedef enum value_class { VC_NONE = 0, VC_INT, VC_FLOAT, VC_DECIMAL, VC_BYTES } value_class;

/* One value of an array, in a form comparable across widths. */
typedef struct scalar {
  value_class cls;
  bool null;
  int32_t tag;   /* VC_INT: values compare only within a tag (integers, bool, each temporal type and unit) */
  qv_i128 i;     /* VC_INT, VC_DECIMAL (unscaled) */
  int32_t scale; /* VC_DECIMAL */
  double d;      /* VC_FLOAT */
  const uint8_t *bytes; /* VC_BYTES */
  int64_t len;
} scalar;

static bool load_scalar(const qv_array *a, scalar *s) {
  memset(s, 0, sizeof *s);
  if (a->length < 1) return false;
  if (!qv_array_is_valid(a, 0)) {
    s->null = true;
    return true;
  }
  const qv_data_type *t = a->type;
  const uint8_t *v = qv__array_data(a, 1);
  int64_t o = a->offset;
  if (!v && t->id != QV_BOOL) return false;
  s->cls = VC_INT;
  switch (t->id) {
    case QV_BOOL: s->tag = 1; s->i = v ? qv_bit_get(v, o) : 0; return v != NULL;
    case QV_INT8: s->i = ((const int8_t *)v)[o]; return true;
    case QV_INT16: s->i = ((const int16_t *)v)[o]; return true;
    case QV_INT32: s->i = ((const int32_t *)v)[o]; return true;
    case QV_INT64: s->i = ((const int64_t *)v)[o]; return true;
    case QV_UINT8: s->i = ((const uint8_t *)v)[o]; return true;
    case QV_UINT16: s->i = ((const uint16_t *)v)[o]; return true;
    case QV_UINT32: s->i = ((const uint32_t *)v)[o]; return true;
    case QV_UINT64: s->i = ((const uint64_t *)v)[o]; return true;
    case QV_DATE32: s->tag = 2; s->i = ((const int32_t *)v)[o]; return true;
    case QV_DATE64: s->tag = 3; s->i = ((const int64_t *)v)[o]; return true;
    case QV_TIME32: s->tag = 10 + (int32_t)t->unit; s->i = ((const int32_t *)v)[o]; return true;
    case QV_TIME64: s->tag = 10 + (int32_t)t->unit; s->i = ((const int64_t *)v)[o]; return true;
    case QV_TIMESTAMP: s->tag = 20 + (int32_t)t->unit; s->i = ((const int64_t *)v)[o]; return true;
    case QV_DURATION: s->tag = 30 + (int32_t)t->unit; s->i = ((const int64_t *)v)[o]; return true;
    case QV_FLOAT32: s->cls = VC_FLOAT; s->d = ((const float *)v)[o]; return true;
    case QV_FLOAT64: s->cls = VC_FLOAT; s->d = ((const double *)v)[o]; return true;
    case QV_DECIMAL128:
      s->cls = VC_DECIMAL;
      s->scale = t->scale;
      s->i = qv__dec_load(v, o);
      return true;
    case QV_UTF8: case QV_BINARY: {
      const int32_t *off = (const int32_t *)v;
      const uint8_t *data = qv__array_data(a, 2);
      s->cls = VC_BYTES;
      s->len = off[o + 1] - off[o];
      s->bytes = data ? data + off[o] : (const uint8_t *)"";
      return s->len >= 0;
    }
    case QV_LARGE_UTF8: case QV_LARGE_BINARY: {
      const int64_t *off = (const int64_t *)v;
      const uint8_t *data = qv__array_data(a, 2);
      s->cls = VC_BYTES;
      s->len = off[o + 1] - off[o];
      s->bytes = data ? data + off[o] : (const uint8_t *)"";
      return s->len >= 0;
    }
    case QV_FIXED_SIZE_BINARY:
      s->cls = VC_BYTES;
      s->len = t->byte_width;
      s->bytes = v + o * t->byte_width;
      return true;
    default: return false;
  }
}

static bool rescale(qv_i128 v, int32_t by, qv_i128 *out) {
  if (by < 0 || by > 38) return false;
  qv_i128 p = qv__pow10_i128(by);
  qv_i128 limit = (((qv_i128)1 << 126) - 1) / p; /* far inside the int128 range */
  if (v > limit || v < -limit) return false;
  *out = v * p;
  return true;
}

/* Compares two non-null values: *cmp < 0, 0, > 0. false when they do not
 * compare (different classes or tags, a rescale that would overflow). */
static bool compare_scalars(const scalar *a, const scalar *b, int *cmp) {
  if (a->cls != b->cls || a->cls == VC_NONE) return false;
  switch (a->cls) {
    case VC_INT:
      if (a->tag != b->tag) return false;
      *cmp = a->i < b->i ? -1 : a->i > b->i;
      return true;
    case VC_DECIMAL: {
      qv_i128 x = a->i, y = b->i;
      if (a->scale < b->scale && !rescale(x, b->scale - a->scale, &x)) return false;
      if (b->scale < a->scale && !rescale(y, a->scale - b->scale, &y)) return false;
      *cmp = x < y ? -1 : x > y;
      return true;
    }
    case VC_FLOAT: {
      bool na = isnan(a->d), nb = isnan(b->d);
      if (na || nb) *cmp = na && nb ? 0 : na ? 1 : -1; /* NaN above every number */
      else *cmp = a->d < b->d ? -1 : a->d > b->d;     /* -0.0 equals 0.0, as in the kernels */
      return true;
    }
    case VC_BYTES: {
      int64_t n = a->len < b->len ? a->len : b->len;
      int c = n ? memcmp(a->bytes, b->bytes, (size_t)n) : 0;
      *cmp = c ? (c < 0 ? -1 : 1) : (a->len < b->len ? -1 : a->len > b->len);
      return true;
    }
    default: return false;
  }
}

/* What a column chunk's statistics say, with the bounds in the term's type. */
typedef struct chunk_bounds {
  scalar min, max;
  bool max_is_nan; /* the chunk may hold NaN, which sorts above max */
} chunk_bounds;

/* Whether compare(column, literal) with op is false for every value in
 * [min, max] (max possibly NaN). */
static bool compare_refuted(qv_binary_op op, const chunk_bounds *b, const scalar *lit) {
  int lo, hi;
  if (!compare_scalars(&b->min, lit, &lo)) return false;
  if (b->max_is_nan) {
    if (lit->cls != VC_FLOAT) return false;
    hi = isnan(lit->d) ? 0 : 1;
  } else if (!compare_scalars(&b->max, lit, &hi)) {
    return false;
  }
  switch (op) {
    case QV_OP_EQ: return lo > 0 || hi < 0;
    case QV_OP_LT: return lo >= 0;
    case QV_OP_LE: return lo > 0;
    case QV_OP_GT: return hi <= 0;
    case QV_OP_GE: return hi < 0;
    default: return false;
  }
}

/* ---- options and schema -------------------------------------------------------- */

static bool parquet_splittable(const qv_file_scan *s) { return true; }

static qv_status parquet_infer_schema(const qv_file_scan *s, const char *path, qv_schema **out, qv_error *err) {
  qv_parquet_reader *r;
  QV_RETURN_NOT_OK(qv_parquet_reader_open(path, s->options, &r, err));
  *out = qv_schema_ref(qv_parquet_reader_schema(r));
  qv_parquet_reader_destroy(r);
  return QV_OK;
}

static qv_status parquet_prepare(qv_file_scan *s, qv_error *err) {
  if (!s->predicate) return QV_OK;
  prune_terms *t = calloc(1, sizeof *t);
  if (!t) return qv_error_set(err, QV_NOMEM, "ParquetScanExec: out of memory");
  qv_status st = analyze(s->predicate, s->file_schema, t, 0, err);
  if (st != QV_OK || t->n == 0) {
    terms_free(t);
    return st;
  }
  s->format_state = t;
  return QV_OK;
}

static const char *op_text(qv_binary_op op) {
  switch (op) {
    case QV_OP_EQ: return "=";
    case QV_OP_LT: return "<";
    case QV_OP_LE: return "<=";
    case QV_OP_GT: return ">";
    default: return ">=";
  }
}

static qv_status parquet_describe(const qv_file_scan *s, qv_bytes *out, qv_error *err) {
  const prune_terms *t = s->format_state;
  if (!t) return QV_OK;
  QV_RETURN_NOT_OK(qv__appendf(out, err, ", pruning=["));
  for (int32_t i = 0; i < t->n; i++) {
    const prune_term *p = &t->items[i];
    const char *name = qv_field_name(qv_schema_field(s->file_schema, p->field));
    const char *sep = i ? ", " : "";
    if (p->kind != TERM_COMPARE) {
      QV_RETURN_NOT_OK(qv__appendf(out, err, "%s%s IS %sNULL", sep, name, p->kind == TERM_IS_NOT_NULL ? "NOT " : ""));
      continue;
    }
    char value[128];
    qv__format_value(p->literal, 0, value, sizeof value);
    bool quote = qv_type_is_binary_like(qv_type_id_of(qv_array_type(p->literal))) && qv_array_is_valid(p->literal, 0);
    QV_RETURN_NOT_OK(qv__appendf(out, err, "%s%s %s %s%s%s", sep, name, op_text(p->op), quote ? "'" : "", value,
                                 quote ? "'" : ""));
  }
  return qv__appendf(out, err, "]");
}

static void options_free(void *opts) { free(opts); }

/* ---- reading a piece ---------------------------------------------------------------- */

/* leaf_of_term values besides a leaf column index. */
#define LEAF_NONE (-1)    /* the term cannot prune in this file */
#define LEAF_MISSING (-2) /* the file lacks the column: it reads as nulls */

typedef struct parquet_piece {
  qv_parquet_reader *r;
  qv_parquet_batch_reader *br;
  const qv_file_scan *s;
  const qv_file_piece *piece;
  qv_allocator *alloc;
  int32_t *leaf_of_term;
} parquet_piece;

static void parquet_close(void *reader) {
  parquet_piece *p = reader;
  qv_parquet_batch_reader_destroy(p->br);
  qv_parquet_reader_destroy(p->r);
  free(p->leaf_of_term);
  free(p);
}

static qv_status parquet_open(const qv_file_scan *s, const qv_scan_file *file, const qv_file_piece *piece,
                              qv_allocator *alloc, int64_t batch_size, void **reader, qv_schema **file_schema,
                              qv_error *err) {
  parquet_piece *p = calloc(1, sizeof *p);
  if (!p) return qv_error_set(err, QV_NOMEM, "out of memory");
  qv_parquet_read_options opts = *(const qv_parquet_read_options *)s->options;
  opts.alloc = alloc;
  opts.batch_size = batch_size;
  p->s = s;
  p->piece = piece;
  p->alloc = alloc;
  qv_status st = qv_parquet_reader_open(file->path, &opts, &p->r, err);
  if (st != QV_OK) {
    parquet_close(p);
    return st;
  }
  *reader = p;
  *file_schema = qv_parquet_reader_schema(p->r);
  return QV_OK;
}

/* For each term, the leaf column whose statistics decide it in this file. */
static qv_status map_terms(parquet_piece *p, const prune_terms *t, const int32_t *local_of, qv_error *err) {
  int32_t nl = qv_parquet_reader_num_columns(p->r);
  qv_schema *fs = qv_parquet_reader_schema(p->r);
  int32_t nf = qv_schema_num_fields(fs);
  int32_t *leaf_of_field = malloc(sizeof *leaf_of_field * (size_t)(nf ? nf : 1));
  p->leaf_of_term = malloc(sizeof *p->leaf_of_term * (size_t)t->n);
  if (!leaf_of_field || !p->leaf_of_term) {
    free(leaf_of_field);
    return qv_error_set(err, QV_NOMEM, "out of memory");
  }
  /* A field prunes through its leaf when it is the only leaf and not repeated. */
  for (int32_t f = 0; f < nf; f++) leaf_of_field[f] = qv_type_is_nested(qv_type_id_of(qv_field_type(qv_schema_field(fs, f)))) ? -2 : -1;
  for (int32_t c = 0; c < nl; c++) {
    qv_parquet_column_info info;
    if (qv_parquet_reader_column(p->r, c, &info, NULL) != QV_OK || info.field_index < 0 || info.field_index >= nf)
      continue;
    int32_t *slot = &leaf_of_field[info.field_index];
    *slot = (*slot == -1 && info.max_repetition_level == 0) ? c : -2;
  }
  for (int32_t i = 0; i < t->n; i++) {
    int32_t lf = local_of[t->items[i].field];
    if (lf < 0) p->leaf_of_term[i] = LEAF_MISSING;
    else p->leaf_of_term[i] = leaf_of_field[lf] >= 0 ? leaf_of_field[lf] : LEAF_NONE;
  }
  free(leaf_of_field);
  return QV_OK;
}

/* Reads a chunk's bounds into the term's type. false: they cannot be used. */
static bool chunk_bounds_for(parquet_piece *p, int32_t leaf, const prune_term *term,
                             const qv_parquet_column_chunk_info *ck, qv_array **keep, chunk_bounds *b) {
  const qv_parquet_statistics *st = &ck->statistics;
  qv_array *mn = NULL, *mx = NULL;
  bool ok = qv_parquet_statistics_value(p->r, leaf, st->min, st->min_length, &mn, NULL) == QV_OK &&
            qv_parquet_statistics_value(p->r, leaf, st->max, st->max_length, &mx, NULL) == QV_OK;
  if (ok && term->cast) {
    qv_array *cmn = NULL, *cmx = NULL;
    ok = qv__cast_array(p->alloc, mn, term->cast, &cmn, NULL) == QV_OK &&
         qv__cast_array(p->alloc, mx, term->cast, &cmx, NULL) == QV_OK;
    qv_array_unref(mn);
    qv_array_unref(mx);
    mn = cmn;
    mx = cmx;
  }
  if (ok) ok = load_scalar(mn, &b->min) && load_scalar(mx, &b->max) && !b->min.null && !b->max.null;
  keep[0] = mn;
  keep[1] = mx;
  bool is_float = ck->physical_type == QV_PARQUET_FLOAT || ck->physical_type == QV_PARQUET_DOUBLE;
  b->max_is_nan = is_float && !(st->has_nan_count && st->nan_count == 0);
  return ok;
}

/* Whether the term is false (or NULL) for every row of row group g. */
static bool term_refutes(parquet_piece *p, int32_t i, const prune_term *term, int32_t g, int64_t rows) {
  int32_t leaf = p->leaf_of_term[i];
  if (leaf == LEAF_MISSING) return term->kind != TERM_IS_NULL;
  if (leaf < 0) return false;
  qv_parquet_column_chunk_info ck;
  if (qv_parquet_reader_column_chunk(p->r, g, leaf, &ck, NULL) != QV_OK || !ck.has_statistics) return false;
  const qv_parquet_statistics *st = &ck.statistics;
  bool all_null = st->has_null_count && rows > 0 && st->null_count >= rows;
  bool no_null = st->has_null_count && st->null_count == 0;
  if (term->kind == TERM_IS_NULL) return no_null;
  if (term->kind == TERM_IS_NOT_NULL || all_null) return all_null;
  if (!qv_array_is_valid(term->literal, 0)) return true; /* column op NULL is never true */
  if (!st->has_min_max) return false;
  scalar lit;
  if (!load_scalar(term->literal, &lit)) return false;
  qv_array *keep[2] = {NULL, NULL};
  chunk_bounds b;
  bool refuted = chunk_bounds_for(p, leaf, term, &ck, keep, &b) && compare_refuted(term->op, &b, &lit);
  qv_array_unref(keep[0]);
  qv_array_unref(keep[1]);
  return refuted;
}

static qv_status parquet_start(void *reader, const qv_file_scan *s, const int32_t *local_of, const int32_t *local_read,
                               int32_t n_read, qv_error *err) {
  parquet_piece *p = reader;
  const prune_terms *t = s->format_state;
  if (t) QV_RETURN_NOT_OK(map_terms(p, t, local_of, err));
  int32_t n = qv_parquet_reader_num_row_groups(p->r);
  int32_t *groups = malloc(sizeof *groups * (size_t)(n ? n : 1));
  if (!groups) return qv_error_set(err, QV_NOMEM, "out of memory");
  int32_t kept = 0;
  int64_t matched = 0, pruned = 0;
  for (int32_t g = 0; g < n; g++) {
    qv_parquet_row_group_info info;
    qv_status st = qv_parquet_reader_row_group(p->r, g, &info, err);
    if (st != QV_OK) {
      free(groups);
      return st;
    }
    if (!qv_parquet_row_group_in_range(&info, p->piece->begin, p->piece->end - p->piece->begin)) continue;
    matched++;
    bool skip = false;
    for (int32_t i = 0; t && !skip && i < t->n; i++) skip = term_refutes(p, i, &t->items[i], g, info.num_rows);
    if (skip) pruned++;
    else groups[kept++] = g;
  }
  atomic_fetch_add(&((qv_file_scan *)s)->row_groups_matched, matched);
  atomic_fetch_add(&((qv_file_scan *)s)->row_groups_pruned, pruned);
  qv_status st = QV_OK;
  if (kept > 0) st = qv_parquet_reader_scan(p->r, groups, kept, local_read, n_read, &p->br, err);
  free(groups);
  return st;
}

static qv_status parquet_next(void *reader, qv_record_batch **out, qv_error *err) {
  parquet_piece *p = reader;
  *out = NULL;
  return p->br ? qv_parquet_batch_reader_next(p->br, out, err) : QV_OK;
}

static const qv_scan_format parquet_format = {
    "ParquetScanExec", QV_FILE_FORMAT_PARQUET, QV_PLAN_PARQUET_SCAN, parquet_splittable, parquet_infer_schema,
    parquet_prepare,   parquet_open,           parquet_start,        parquet_next,       parquet_close,
    parquet_describe,  options_free,           terms_free};

qv_status qv_plan_parquet_scan(const qv_file_scan_config *config, const qv_parquet_read_options *opts,
                               qv_exec_plan **out, qv_error *err) {
  *out = NULL;
  qv_parquet_read_options *copy = malloc(sizeof *copy);
  if (!copy) return qv_error_set(err, QV_NOMEM, "ParquetScanExec: out of memory");
  if (opts) *copy = *opts;
  else qv_parquet_read_options_init(copy);
  copy->alloc = NULL;
  if (copy->batch_size <= 0) copy->batch_size = QV_PARQUET_DEFAULT_BATCH_SIZE;
  if (copy->max_page_size <= 0) copy->max_page_size = QV_PARQUET_DEFAULT_MAX_PAGE_SIZE;
  return qv__file_scan_create(&parquet_format, config, copy, out, err);
}
