/* Aggregate calls: resolution of count, sum, avg, min, max and user aggregates
 * by name, their result and partial-state types, SQL text, argument
 * evaluation, the accumulator factory, and the plumbing the built-in
 * accumulators share (growing per-group vectors, memory-limit errors, array
 * builders).
 *
 * Type rules, chosen to match DuckDB's answers on TPC-H while keeping exact
 * arithmetic:
 *   count(*), count(x), count(DISTINCT x)  -> int64, never null
 *   sum(int8..int64)      -> int64, overflow is QV_OUT_OF_RANGE (DataFusion's
 *                            type; DuckDB widens to int128, which Arrow lacks
 *                            outside decimals)
 *   sum(uint8..uint64)    -> uint64, overflow is QV_OUT_OF_RANGE
 *   sum(float32/64)       -> float64
 *   sum(decimal(p,s))     -> decimal(38,s) (DuckDB's rule), overflow past 38
 *                            digits is QV_OUT_OF_RANGE
 *   avg(ints, floats)     -> float64 (the integer sum is kept exact in 128 bits)
 *   avg(decimal(p,s))     -> decimal(min(38,p+4), min(38,s+4)), DataFusion's
 *                            type, rounded half away from zero; DuckDB answers
 *                            a double, which agrees to the 4 extra digits
 *   min/max(T)            -> T, for bool, numbers, decimals, dates, times,
 *                            timestamps, durations, binary and strings (byte
 *                            order); NaN is the greatest float, as in DuckDB
 *   dictionary arguments behave as their value type.
 * Partial states (the columns PARTIAL aggregation emits, named
 * "<output name>[<part>]"):
 *   count -> [count int64]; sum -> [sum <result type>];
 *   avg   -> [sum decimal(38,0) | float64 | decimal(38,s), count int64];
 *   min/max -> [min|max T]; any DISTINCT (but min/max, for which DISTINCT
 *   changes nothing) -> [distinct list<T>], the group's distinct values. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr/aggregate_internal.h"
#include "expr/expr_internal.h"
#include "expr/session_internal.h"

/* ---- lifetime -------------------------------------------------------------- */

qv_aggregate_expr *qv_aggregate_ref(qv_aggregate_expr *a) {
  if (a) atomic_fetch_add(&a->refcount, 1);
  return a;
}

void qv_aggregate_unref(qv_aggregate_expr *a) {
  if (!a || atomic_fetch_sub(&a->refcount, 1) != 1) return;
  for (int32_t i = 0; i < a->n_args; i++) qv_expr_unref(a->args[i]);
  free(a->args);
  for (int32_t i = 0; i < a->n_state; i++) qv_field_unref(a->state_fields[i]);
  free(a->state_fields);
  qv_type_unref(a->input_type);
  qv_type_unref(a->type);
  qv_session_state_unref(a->session);
  free(a->function);
  free(a->name);
  free(a);
}

qv_data_type *qv_aggregate_type(const qv_aggregate_expr *a) { return a->type; }
const char *qv_aggregate_name(const qv_aggregate_expr *a) { return a->name; }
int32_t qv_aggregate_num_state_fields(const qv_aggregate_expr *a) { return a->n_state; }
qv_field *qv_aggregate_state_field(const qv_aggregate_expr *a, int32_t i) {
  return i >= 0 && i < a->n_state ? a->state_fields[i] : NULL;
}

/* ---- resolution ---------------------------------------------------------------- */

static const struct {
  const char *name;
  const char *canonical;
  qv_aggregate_kind kind;
} builtins[] = {
    {"count", "count", QV_AGGREGATE_COUNT}, {"sum", "sum", QV_AGGREGATE_SUM}, {"avg", "avg", QV_AGGREGATE_AVG},
    {"mean", "avg", QV_AGGREGATE_AVG},      {"min", "min", QV_AGGREGATE_MIN}, {"max", "max", QV_AGGREGATE_MAX},
};

static bool is_sum_input(qv_type_id id) {
  return qv_type_is_integer(id) || id == QV_FLOAT32 || id == QV_FLOAT64 || id == QV_DECIMAL128;
}

static bool is_minmax_input(qv_type_id id) {
  switch (id) {
    case QV_BOOL: case QV_INT8: case QV_INT16: case QV_INT32: case QV_INT64: case QV_UINT8: case QV_UINT16:
    case QV_UINT32: case QV_UINT64: case QV_FLOAT32: case QV_FLOAT64: case QV_DECIMAL128: case QV_DATE32:
    case QV_DATE64: case QV_TIME32: case QV_TIME64: case QV_TIMESTAMP: case QV_DURATION: case QV_INTERVAL_MONTHS:
    case QV_BINARY: case QV_LARGE_BINARY: case QV_UTF8: case QV_LARGE_UTF8:
      return true;
    default:
      return false;
  }
}

bool qv__distinct_supports(const qv_data_type *t) {
  qv_type_id id = t->id;
  if (id == QV_BOOL || qv_type_is_binary_like(id)) return true;
  if (id == QV_NA || id == QV_DICTIONARY || qv_type_is_nested(id) || id == QV_SPARSE_UNION || id == QV_DENSE_UNION)
    return false;
  return t->byte_width > 0 && t->byte_width <= 32;
}

static qv_data_type *logical_type(qv_data_type *t) { return t->id == QV_DICTIONARY ? t->dict_value : t; }

static qv_status add_state_field(qv_aggregate_expr *a, const char *part, qv_data_type *type, bool nullable,
                                 qv_error *err) {
  size_t n = strlen(a->name) + strlen(part) + 3;
  char *fname = malloc(n);
  if (!fname) return qv_error_set(err, QV_NOMEM, "aggregate %s: out of memory", a->name);
  snprintf(fname, n, "%s[%s]", a->name, part);
  qv_status st = qv_field_create(fname, type, nullable, NULL, &a->state_fields[a->n_state], err);
  free(fname);
  if (st == QV_OK) a->n_state++;
  return st;
}

static qv_status type_error(const qv_aggregate_expr *a, const char *why, qv_error *err) {
  char tb[96] = "";
  if (a->n_args > 0) qv_type_to_string(qv_expr_type(a->args[0]), tb, sizeof tb);
  return qv_error_set(err, QV_TYPE_ERROR, "aggregate %s(%s): %s", a->function, tb, why);
}

/* Result type and state fields of a built-in. */
static qv_status resolve_builtin(qv_aggregate_expr *a, qv_error *err) {
  qv_aggregate_kind k = a->kind;
  if (k == QV_AGGREGATE_COUNT ? a->n_args > 1 : a->n_args != 1)
    return qv_error_set(err, QV_INVALID, "aggregate %s: takes %s argument, got %d", a->function,
                        k == QV_AGGREGATE_COUNT ? "at most one" : "exactly one", a->n_args);
  if (a->n_args == 1) a->input_type = qv_type_ref(logical_type(qv_expr_type(a->args[0])));
  if (a->distinct && a->n_args == 0) return qv_error_set(err, QV_INVALID, "aggregate count(DISTINCT *) is not valid");
  qv_data_type *in = a->input_type;
  qv_type_id id = in ? in->id : QV_NA;
  bool distinct_state = a->distinct && k != QV_AGGREGATE_MIN && k != QV_AGGREGATE_MAX;
  if (distinct_state && !qv__distinct_supports(in))
    return type_error(a, "DISTINCT is not supported for this type", err);

  qv_data_type *owned = NULL;     /* a parameterised result type we created */
  qv_data_type *sum_state = NULL; /* avg: type of the running sum */
  qv_status st = QV_OK;
  switch (k) {
    case QV_AGGREGATE_COUNT:
      a->type = qv_type_primitive(QV_INT64);
      a->nullable = false;
      break;
    case QV_AGGREGATE_SUM:
      if (!is_sum_input(id)) return type_error(a, "sum needs a numeric argument", err);
      if (qv_type_is_signed_integer(id)) a->type = qv_type_primitive(QV_INT64);
      else if (qv_type_is_integer(id)) a->type = qv_type_primitive(QV_UINT64);
      else if (id == QV_DECIMAL128) st = qv_type_decimal(QV_DECIMAL128, 38, in->scale, &owned, err);
      else a->type = qv_type_primitive(QV_FLOAT64);
      break;
    case QV_AGGREGATE_AVG:
      if (!is_sum_input(id)) return type_error(a, "avg needs a numeric argument", err);
      if (id == QV_DECIMAL128) {
        int32_t p = in->precision + 4 > 38 ? 38 : in->precision + 4;
        int32_t s = in->scale + 4 > 38 ? 38 : in->scale + 4;
        st = qv_type_decimal(QV_DECIMAL128, p, s, &owned, err);
        if (st == QV_OK) st = qv_type_decimal(QV_DECIMAL128, 38, in->scale, &sum_state, err);
      } else if (qv_type_is_integer(id)) {
        a->type = qv_type_primitive(QV_FLOAT64);
        st = qv_type_decimal(QV_DECIMAL128, 38, 0, &sum_state, err);
      } else {
        a->type = qv_type_primitive(QV_FLOAT64);
        sum_state = qv_type_primitive(QV_FLOAT64);
      }
      break;
    case QV_AGGREGATE_MIN:
    case QV_AGGREGATE_MAX:
      if (!is_minmax_input(id)) return type_error(a, "min/max are not supported for this type", err);
      a->type = qv_type_ref(in);
      break;
    default:
      return qv_error_set(err, QV_INTERNAL, "aggregate %s: not a built-in", a->function);
  }
  if (owned) a->type = owned;
  if (st != QV_OK) {
    qv_type_unref(sum_state);
    return st;
  }
  if (k != QV_AGGREGATE_COUNT) a->nullable = true;

  a->state_fields = calloc(2, sizeof *a->state_fields);
  if (!a->state_fields) st = qv_error_set(err, QV_NOMEM, "aggregate %s: out of memory", a->name);
  if (st == QV_OK && distinct_state) {
    qv_field *item = NULL;
    qv_data_type *list = NULL;
    st = qv_field_create("item", in, true, NULL, &item, err);
    if (st == QV_OK) st = qv_type_list(QV_LIST, item, &list, err);
    if (st == QV_OK) st = add_state_field(a, "distinct", list, true, err);
    qv_field_unref(item);
    qv_type_unref(list);
  } else if (st == QV_OK) {
    switch (k) {
      case QV_AGGREGATE_COUNT: st = add_state_field(a, "count", a->type, false, err); break;
      case QV_AGGREGATE_SUM: st = add_state_field(a, "sum", a->type, true, err); break;
      case QV_AGGREGATE_AVG:
        st = add_state_field(a, "sum", sum_state, true, err);
        if (st == QV_OK) st = add_state_field(a, "count", qv_type_primitive(QV_INT64), false, err);
        break;
      case QV_AGGREGATE_MIN: st = add_state_field(a, "min", a->type, true, err); break;
      default: st = add_state_field(a, "max", a->type, true, err); break;
    }
  }
  qv_type_unref(sum_state);
  return st;
}

static qv_status resolve_udf(qv_aggregate_expr *a, qv_error *err) {
  const qv_aggregate_udf *u = a->udf;
  if (a->n_args != u->n_args)
    return qv_error_set(err, QV_TYPE_ERROR, "aggregate %s: takes %d argument(s), got %d", a->function, u->n_args,
                        a->n_args);
  for (int32_t i = 0; u->arg_types && i < a->n_args; i++) {
    if (!qv_type_equals(qv_expr_type(a->args[i]), u->arg_types[i])) {
      char want[96], got[96];
      qv_type_to_string(u->arg_types[i], want, sizeof want);
      qv_type_to_string(qv_expr_type(a->args[i]), got, sizeof got);
      return qv_error_set(err, QV_TYPE_ERROR, "aggregate %s: argument %d is %s, the function takes %s", a->function,
                          i + 1, got, want);
    }
  }
  a->type = qv_type_ref(u->return_type);
  a->nullable = true;
  if (a->distinct) {
    if (a->n_args != 1)
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "aggregate %s: DISTINCT needs exactly one argument", a->function);
    a->input_type = qv_type_ref(qv_expr_type(a->args[0]));
    if (!qv__distinct_supports(a->input_type)) return type_error(a, "DISTINCT is not supported for this type", err);
    a->state_fields = calloc(1, sizeof *a->state_fields);
    if (!a->state_fields) return qv_error_set(err, QV_NOMEM, "aggregate %s: out of memory", a->name);
    qv_field *item = NULL;
    qv_data_type *list = NULL;
    qv_status st = qv_field_create("item", a->input_type, true, NULL, &item, err);
    if (st == QV_OK) st = qv_type_list(QV_LIST, item, &list, err);
    if (st == QV_OK) st = add_state_field(a, "distinct", list, true, err);
    qv_field_unref(item);
    qv_type_unref(list);
    return st;
  }
  a->state_fields = calloc((size_t)u->n_state_fields, sizeof *a->state_fields);
  if (!a->state_fields) return qv_error_set(err, QV_NOMEM, "aggregate %s: out of memory", a->name);
  for (int32_t i = 0; i < u->n_state_fields; i++) {
    const qv_field *f = u->state_fields[i];
    QV_RETURN_NOT_OK(add_state_field(a, qv_field_name(f), qv_field_type(f), qv_field_nullable(f), err));
  }
  return QV_OK;
}

qv_status qv_aggregate_create(const qv_session_state *session, const char *name, qv_expr *const *args,
                              int32_t n_args, bool distinct, const char *output_name, qv_aggregate_expr **out,
                              qv_error *err) {
  *out = NULL;
  if (!name || !*name) return qv_error_set(err, QV_INVALID, "aggregate: missing function name");
  if (n_args < 0 || (n_args > 0 && !args))
    return qv_error_set(err, QV_INVALID, "aggregate %s: bad argument list", name);
  for (int32_t i = 0; i < n_args; i++)
    if (!args[i]) return qv_error_set(err, QV_INVALID, "aggregate %s: argument %d is NULL", name, i + 1);
  const qv_aggregate_udf *udf = session ? qv__session_find_aggregate_udf(session, name) : NULL;
  int builtin = -1;
  if (!udf) {
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
      if (strcasecmp(name, builtins[i].name) == 0) builtin = (int)i;
    if (builtin < 0) return qv_error_set(err, QV_NOT_FOUND, "unknown aggregate function '%s'", name);
  }
  qv_aggregate_expr *a = calloc(1, sizeof *a);
  if (!a) return qv_error_set(err, QV_NOMEM, "aggregate %s: out of memory", name);
  atomic_init(&a->refcount, 1);
  a->distinct = distinct;
  a->args = calloc((size_t)(n_args ? n_args : 1), sizeof *a->args);
  a->function = strdup(udf ? udf->name : builtins[builtin].canonical);
  qv_status st = a->args && a->function ? QV_OK : qv_error_set(err, QV_NOMEM, "aggregate %s: out of memory", name);
  for (int32_t i = 0; st == QV_OK && i < n_args; i++) a->args[a->n_args++] = qv_expr_ref(args[i]);
  if (udf) {
    a->kind = QV_AGGREGATE_UDF;
    a->udf = udf;
    a->session = qv_session_state_ref((qv_session_state *)session);
  } else {
    a->kind = builtins[builtin].kind;
  }
  /* The output name first: state fields are named after it. */
  if (st == QV_OK && output_name) {
    a->name = strdup(output_name);
    if (!a->name) st = qv_error_set(err, QV_NOMEM, "aggregate %s: out of memory", name);
  } else if (st == QV_OK) {
    qv_bytes text;
    qv_bytes_init(&text, NULL);
    st = qv__aggregate_to_string(a, &text, err);
    if (st == QV_OK) {
      a->name = strndup(text.size ? (const char *)text.data : "", (size_t)text.size);
      if (!a->name) st = qv_error_set(err, QV_NOMEM, "aggregate %s: out of memory", name);
    }
    qv_bytes_reset(&text);
  }
  if (st == QV_OK) st = udf ? resolve_udf(a, err) : resolve_builtin(a, err);
  if (st != QV_OK) {
    qv_aggregate_unref(a);
    return st;
  }
  *out = a;
  return QV_OK;
}

qv_status qv__aggregate_to_string(const qv_aggregate_expr *a, qv_bytes *out, qv_error *err) {
  QV_RETURN_NOT_OK(qv_bytes_append(out, a->function, (int64_t)strlen(a->function), err));
  QV_RETURN_NOT_OK(qv_bytes_append(out, "(", 1, err));
  if (a->distinct) QV_RETURN_NOT_OK(qv_bytes_append(out, "DISTINCT ", 9, err));
  if (a->n_args == 0 && a->kind == QV_AGGREGATE_COUNT) QV_RETURN_NOT_OK(qv_bytes_append(out, "*", 1, err));
  for (int32_t i = 0; i < a->n_args; i++) {
    if (i) QV_RETURN_NOT_OK(qv_bytes_append(out, ", ", 2, err));
    QV_RETURN_NOT_OK(qv_expr_to_string(a->args[i], out, err));
  }
  return qv_bytes_append(out, ")", 1, err);
}

qv_status qv__aggregate_eval_args(const qv_aggregate_expr *a, qv_record_batch *batch, qv_allocator *alloc,
                                  qv_array **out, qv_error *err) {
  qv_status st = QV_OK;
  int32_t done = 0;
  for (; st == QV_OK && done < a->n_args; done++) {
    st = qv_expr_evaluate(a->args[done], batch, alloc, &out[done], err);
    if (st == QV_OK && a->kind != QV_AGGREGATE_UDF && out[done]->type->id == QV_DICTIONARY) {
      qv_array *decoded = NULL;
      st = qv__dictionary_decode(alloc, out[done], &decoded, err);
      qv_array_unref(out[done]);
      out[done] = decoded;
    }
    if (st != QV_OK) qv_error_prefix(err, "%s", a->name);
  }
  if (st != QV_OK) {
    for (int32_t i = 0; i < done; i++) {
      qv_array_unref(out[i]);
      out[i] = NULL;
    }
  }
  return st;
}

/* ---- accumulator factory ------------------------------------------------------------ */

qv_status qv__aggregate_create_plain_accumulator(const qv_aggregate_expr *a, qv_allocator *alloc,
                                                 qv_group_accumulator **out, qv_error *err) {
  *out = NULL;
  switch (a->kind) {
    case QV_AGGREGATE_COUNT: return qv__count_accumulator_create(a, alloc, out, err);
    case QV_AGGREGATE_SUM:
    case QV_AGGREGATE_AVG: return qv__sum_accumulator_create(a, alloc, out, err);
    case QV_AGGREGATE_MIN:
    case QV_AGGREGATE_MAX: return qv__minmax_accumulator_create(a, alloc, out, err);
    case QV_AGGREGATE_UDF: break;
  }
  qv_status st = a->udf->create_accumulator(a->udf->user_data, out, err);
  if (st != QV_OK) {
    *out = NULL;
    return st;
  }
  qv_group_accumulator *acc = *out;
  if (!acc || !acc->update || !acc->merge || !acc->state || !acc->finish || !acc->destroy) {
    if (acc && acc->destroy) acc->destroy(acc);
    *out = NULL;
    return qv_error_set(err, QV_INVALID, "aggregate %s: the user accumulator lacks a required function", a->name);
  }
  return QV_OK;
}

qv_status qv__aggregate_create_accumulator(const qv_aggregate_expr *a, qv_allocator *alloc,
                                           qv_group_accumulator **out, qv_error *err) {
  if (!alloc) alloc = qv_default_allocator();
  if (a->distinct && a->kind != QV_AGGREGATE_MIN && a->kind != QV_AGGREGATE_MAX)
    return qv__distinct_accumulator_create(a, alloc, out, err);
  return qv__aggregate_create_plain_accumulator(a, alloc, out, err);
}

/* ---- shared plumbing ------------------------------------------------------------------- */

qv_status qv__agg_alloc_error(qv_allocator *alloc, int64_t bytes, qv_error *err, const char *fmt, ...) {
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  int64_t limit = qv_allocator_limit(alloc);
  if (limit > 0)
    return qv_error_set(err, QV_RESOURCE_EXHAUSTED,
                        "memory limit of %lld bytes exceeded %s (%lld bytes in use, %lld more requested)",
                        (long long)limit, what, (long long)qv_allocator_bytes_allocated(alloc), (long long)bytes);
  return qv_error_set(err, QV_NOMEM, "out of memory %s (%lld bytes requested)", what, (long long)bytes);
}

static int64_t vec_bytes(int32_t elem_size, int64_t groups) {
  return elem_size ? groups * elem_size : (groups + 7) / 8;
}

int32_t qv__acc_add_vec(qv_acc_base *b, int32_t elem_size) {
  b->elem_size[b->n_vecs] = elem_size;
  return b->n_vecs++;
}

qv_status qv__acc_resize(qv_acc_base *b, int64_t n_groups, qv_error *err) {
  if (n_groups <= b->cap) {
    if (n_groups > b->n_groups) b->n_groups = n_groups;
    return QV_OK;
  }
  if (n_groups > (int64_t)UINT32_MAX + 1)
    return qv_error_set(err, QV_INVALID, "aggregate %s: %lld groups is more than 2^32", b->agg->name,
                        (long long)n_groups);
  int64_t cap = b->cap ? b->cap : 16;
  while (cap < n_groups) cap *= 2;
  uint8_t *fresh[QV_ACC_MAX_VECS] = {0};
  for (int32_t i = 0; i < b->n_vecs; i++) {
    int64_t bytes = vec_bytes(b->elem_size[i], cap);
    fresh[i] = qv_alloc(b->alloc, bytes);
    if (!fresh[i]) {
      for (int32_t j = 0; j < i; j++) qv_free(b->alloc, fresh[j], vec_bytes(b->elem_size[j], cap));
      return qv__agg_alloc_error(b->alloc, bytes, err, "growing the state of %s to %lld groups", b->agg->name,
                                 (long long)cap);
    }
  }
  for (int32_t i = 0; i < b->n_vecs; i++) {
    int64_t old = vec_bytes(b->elem_size[i], b->cap), now = vec_bytes(b->elem_size[i], cap);
    if (old) memcpy(fresh[i], b->vecs[i], (size_t)old);
    memset(fresh[i] + old, 0, (size_t)(now - old));
    qv_free(b->alloc, b->vecs[i], old);
    b->vecs[i] = fresh[i];
  }
  int64_t from = b->cap;
  b->cap = cap;
  b->n_groups = n_groups;
  if (b->init) b->init(b, from, cap);
  return QV_OK;
}

void qv__acc_free_vecs(qv_acc_base *b) {
  for (int32_t i = 0; i < b->n_vecs; i++) {
    qv_free(b->alloc, b->vecs[i], vec_bytes(b->elem_size[i], b->cap));
    b->vecs[i] = NULL;
  }
  b->cap = 0;
}

qv_status qv__acc_alloc(qv_allocator *alloc, int64_t size, const qv_aggregate_expr *agg, qv_acc_base **out,
                        qv_error *err) {
  *out = qv_alloc_zeroed(alloc, size);
  if (!*out) return qv__agg_alloc_error(alloc, size, err, "creating the accumulator of %s", agg->name);
  (*out)->alloc = alloc;
  (*out)->agg = agg;
  (*out)->self_size = size;
  return QV_OK;
}

void qv__acc_destroy(qv_group_accumulator *acc) {
  qv_acc_base *b = (qv_acc_base *)acc;
  qv__acc_free_vecs(b);
  qv_free(b->alloc, b, b->self_size);
}

int64_t qv__acc_size(const qv_group_accumulator *acc) {
  const qv_acc_base *b = (const qv_acc_base *)acc;
  int64_t n = b->extra_bytes + b->self_size;
  for (int32_t i = 0; i < b->n_vecs; i++) n += vec_bytes(b->elem_size[i], b->cap);
  return n;
}

qv_status qv__agg_buffer(qv_allocator *alloc, int64_t n, int32_t elem_size, qv_buffer **out, qv_error *err) {
  int64_t bytes = vec_bytes(elem_size, n);
  qv_error ignored;
  if (qv_buffer_allocate(alloc, bytes, out, &ignored) != QV_OK)
    return qv__agg_alloc_error(alloc, bytes, err, "building an aggregate result of %lld rows", (long long)n);
  return QV_OK;
}

qv_status qv__agg_fixed_array(qv_allocator *alloc, qv_data_type *type, int64_t n, qv_buffer *values,
                              const uint8_t *valid, qv_array **out, qv_error *err) {
  *out = NULL;
  qv_buffer *validity = NULL;
  int64_t nulls = valid ? n - qv_bitmap_count_set(valid, 0, n) : 0;
  qv_status st = QV_OK;
  if (nulls > 0) {
    st = qv__agg_buffer(alloc, n, 0, &validity, err);
    if (st == QV_OK) {
      int64_t bytes = (n + 7) / 8;
      memcpy(validity->data, valid, (size_t)bytes);
      if (n & 7) validity->data[bytes - 1] &= (uint8_t)((1u << (n & 7)) - 1);
    }
  }
  if (st == QV_OK) {
    qv_buffer *bufs[2] = {validity, values};
    st = qv_array_create(type, n, 0, nulls, bufs, 2, NULL, 0, NULL, out, err);
  }
  qv_buffer_unref(validity);
  qv_buffer_unref(values);
  return st;
}

qv_status qv__agg_array_from_heap(qv_allocator *alloc, qv_data_type *type, const uint8_t *heap, const int64_t *pos,
                                  const int64_t *len, const uint8_t *valid, int64_t n, qv_array **out,
                                  qv_error *err) {
  *out = NULL;
  qv_type_id id = type->id;
  qv_buffer *values = NULL;
  if (id == QV_BOOL) {
    QV_RETURN_NOT_OK(qv__agg_buffer(alloc, n, 0, &values, err));
    memset(values->data, 0, (size_t)((n + 7) / 8));
    for (int64_t i = 0; i < n; i++)
      if ((!valid || qv_bit_get(valid, i)) && heap[pos[i]]) qv_bit_set(values->data, i);
    return qv__agg_fixed_array(alloc, type, n, values, valid, out, err);
  }
  if (!qv_type_is_binary_like(id)) {
    int32_t w = type->byte_width;
    QV_RETURN_NOT_OK(qv__agg_buffer(alloc, n, w, &values, err));
    for (int64_t i = 0; i < n; i++) {
      if (!valid || qv_bit_get(valid, i)) memcpy(values->data + i * w, heap + pos[i], (size_t)w);
      else memset(values->data + i * w, 0, (size_t)w);
    }
    return qv__agg_fixed_array(alloc, type, n, values, valid, out, err);
  }
  bool large = id == QV_LARGE_BINARY || id == QV_LARGE_UTF8;
  int64_t total = 0;
  for (int64_t i = 0; i < n; i++)
    if (!valid || qv_bit_get(valid, i)) total += len[i];
  if (!large && total > INT32_MAX)
    return qv_error_set(err, QV_INVALID, "aggregate: %lld bytes of strings do not fit a 32-bit offset array",
                        (long long)total);
  qv_buffer *offsets = NULL, *data = NULL, *validity = NULL;
  qv_status st = qv__agg_buffer(alloc, n + 1, large ? 8 : 4, &offsets, err);
  if (st == QV_OK) st = qv__agg_buffer(alloc, total, 1, &data, err);
  int64_t nulls = valid ? n - qv_bitmap_count_set(valid, 0, n) : 0;
  if (st == QV_OK && nulls > 0) {
    st = qv__agg_buffer(alloc, n, 0, &validity, err);
    if (st == QV_OK) {
      memcpy(validity->data, valid, (size_t)((n + 7) / 8));
      if (n & 7) validity->data[(n + 7) / 8 - 1] &= (uint8_t)((1u << (n & 7)) - 1);
    }
  }
  if (st == QV_OK) {
    int64_t at = 0;
    int32_t *o32 = (int32_t *)(void *)offsets->data;
    int64_t *o64 = (int64_t *)(void *)offsets->data;
    for (int64_t i = 0; i < n; i++) {
      if (large) o64[i] = at;
      else o32[i] = (int32_t)at;
      if (!valid || qv_bit_get(valid, i)) {
        memcpy(data->data + at, heap + pos[i], (size_t)len[i]);
        at += len[i];
      }
    }
    if (large) o64[n] = at;
    else o32[n] = (int32_t)at;
    qv_buffer *bufs[3] = {validity, offsets, data};
    st = qv_array_create(type, n, 0, nulls, bufs, 3, NULL, 0, NULL, out, err);
  }
  qv_buffer_unref(offsets);
  qv_buffer_unref(data);
  qv_buffer_unref(validity);
  return st;
}

void qv__agg_input_init(qv_agg_input *in, qv_array *a) {
  memset(in, 0, sizeof *in);
  in->offset = a->offset;
  in->length = a->length;
  if (a->type->id == QV_NA) {
    in->all_null = true;
    return;
  }
  if (qv_array_null_count(a) > 0) in->validity = qv__array_data(a, 0);
  if (qv_type_is_binary_like(a->type->id)) {
    bool large = a->type->id == QV_LARGE_BINARY || a->type->id == QV_LARGE_UTF8;
    if (large) in->off64 = (const int64_t *)(const void *)qv__array_data(a, 1);
    else in->off32 = (const int32_t *)(const void *)qv__array_data(a, 1);
    in->data = qv__array_data(a, 2);
  } else {
    in->values = qv__array_data(a, 1);
  }
}
