/* Join output: the rules each join type follows, output schemas, and the
 * vectorised steps from candidate pairs to output batches, shared by
 * HashJoinExec and NestedLoopJoinExec.
 *
 * A probe stream hands over key-equal (build row, probe row) pairs in
 * vectors of at most batch_size. With a residual filter, the pairs become a
 * candidate batch over left ++ right (only the columns the filter reads are
 * gathered when the pairs themselves are not output; the others are NULL
 * placeholders sliced from one array), the filter runs once over it, and its
 * result decides which pairs match (a NULL result is no match, but a mark
 * join remembers it as "unknown"). Matches set the build row's visited flag
 * (atomic, shared by every probe partition) and the probe row's matched
 * flag; joins that output pairs gather both sides with qv_record_batch_take.
 * After a probe batch the probe rows of right, full, right semi and right
 * anti joins are emitted; after every probe partition, the build rows of
 * left, full, left semi, left anti and mark joins, with NULL padding or the
 * mark column. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/join_internal.h"
#include "expr/expr_internal.h"

/* ---- join types ------------------------------------------------------------- */

const char *qv__join_type_name(qv_join_type t) {
  switch (t) {
    case QV_JOIN_INNER: return "Inner";
    case QV_JOIN_LEFT: return "Left";
    case QV_JOIN_RIGHT: return "Right";
    case QV_JOIN_FULL: return "Full";
    case QV_JOIN_LEFT_SEMI: return "LeftSemi";
    case QV_JOIN_LEFT_ANTI: return "LeftAnti";
    case QV_JOIN_RIGHT_SEMI: return "RightSemi";
    case QV_JOIN_RIGHT_ANTI: return "RightAnti";
    case QV_JOIN_LEFT_MARK: return "LeftMark";
  }
  return "?";
}

bool qv__join_emits_build_rows(qv_join_type t) {
  return t == QV_JOIN_LEFT || t == QV_JOIN_FULL || t == QV_JOIN_LEFT_SEMI || t == QV_JOIN_LEFT_ANTI ||
         t == QV_JOIN_LEFT_MARK;
}

bool qv__join_tracks_probe_rows(qv_join_type t) {
  return t == QV_JOIN_RIGHT || t == QV_JOIN_FULL || t == QV_JOIN_RIGHT_SEMI || t == QV_JOIN_RIGHT_ANTI;
}

bool qv__join_emits_pairs(qv_join_type t) {
  return t == QV_JOIN_INNER || t == QV_JOIN_LEFT || t == QV_JOIN_RIGHT || t == QV_JOIN_FULL;
}

bool qv__join_empty_build_is_empty(qv_join_type t) {
  return t == QV_JOIN_INNER || t == QV_JOIN_LEFT || t == QV_JOIN_LEFT_SEMI || t == QV_JOIN_LEFT_ANTI ||
         t == QV_JOIN_LEFT_MARK || t == QV_JOIN_RIGHT_SEMI;
}

/* ---- schemas ------------------------------------------------------------------ */

/* Appends the fields of s to fields[*n...], made nullable when asked. */
static qv_status add_fields(const qv_schema *s, bool make_nullable, qv_field **fields, int32_t *n, qv_error *err) {
  for (int32_t i = 0; i < s->n_fields; i++) {
    qv_field *f = s->fields[i];
    if (!make_nullable || f->nullable) {
      fields[(*n)++] = qv_field_ref(f);
      continue;
    }
    QV_RETURN_NOT_OK(qv_field_create(f->name, f->type, true, f->metadata, &fields[*n], err));
    (*n)++;
  }
  return QV_OK;
}

static qv_status make_schema(qv_schema *left, bool left_nullable, qv_schema *right, bool right_nullable, bool mark,
                             qv_schema **out, qv_error *err) {
  int32_t cap = (left ? left->n_fields : 0) + (right ? right->n_fields : 0) + 1, n = 0;
  qv_field **fields = calloc((size_t)cap, sizeof *fields);
  if (!fields) return qv_error_set(err, QV_NOMEM, "join: out of memory");
  qv_status st = QV_OK;
  if (left) st = add_fields(left, left_nullable, fields, &n, err);
  if (st == QV_OK && right) st = add_fields(right, right_nullable, fields, &n, err);
  if (st == QV_OK && mark) {
    st = qv_field_create("mark", qv_type_primitive(QV_BOOL), true, NULL, &fields[n], err);
    if (st == QV_OK) n++;
  }
  if (st == QV_OK) st = qv_schema_create(fields, n, NULL, out, err);
  for (int32_t i = 0; i < n; i++) qv_field_unref(fields[i]);
  free(fields);
  return st;
}

qv_status qv__join_output_schema(qv_schema *left, qv_schema *right, qv_join_type t, qv_schema **out,
                                 qv_error *err) {
  *out = NULL;
  switch (t) {
    case QV_JOIN_INNER: return make_schema(left, false, right, false, false, out, err);
    case QV_JOIN_LEFT: return make_schema(left, false, right, true, false, out, err);
    case QV_JOIN_RIGHT: return make_schema(left, true, right, false, false, out, err);
    case QV_JOIN_FULL: return make_schema(left, true, right, true, false, out, err);
    case QV_JOIN_LEFT_SEMI:
    case QV_JOIN_LEFT_ANTI: *out = qv_schema_ref(left); return QV_OK;
    case QV_JOIN_RIGHT_SEMI:
    case QV_JOIN_RIGHT_ANTI: *out = qv_schema_ref(right); return QV_OK;
    case QV_JOIN_LEFT_MARK: return make_schema(left, false, NULL, false, true, out, err);
  }
  return qv_error_set(err, QV_INVALID, "join: unknown join type %d", (int)t);
}

qv_status qv__join_concat_schema(qv_schema *left, qv_schema *right, qv_schema **out, qv_error *err) {
  return make_schema(left, false, right, false, false, out, err);
}

void qv__join_filter_columns(const qv_expr *filter, bool *used, int32_t n) {
  if (qv__expr_kind(filter) == QV_EXPR_COLUMN) {
    int32_t i = qv__expr_column_index(filter);
    if (i >= 0 && i < n) used[i] = true;
  }
  for (int32_t i = 0; i < qv__expr_num_children(filter); i++)
    qv__join_filter_columns(qv__expr_child(filter, i), used, n);
}

/* Every column the filter reads exists in concat with the same type. */
static qv_status check_filter_columns(const char *op, const qv_expr *e, const qv_schema *concat, qv_error *err) {
  if (qv__expr_kind(e) == QV_EXPR_COLUMN) {
    int32_t i = qv__expr_column_index(e);
    if (i < 0 || i >= concat->n_fields)
      return qv_error_set(err, QV_INVALID, "%s: filter reads column %d of a join with %d columns", op, i,
                          concat->n_fields);
    if (!qv_type_equals(qv_expr_type(e), concat->fields[i]->type)) {
      char a[128], b[128];
      return qv_error_set(err, QV_TYPE_ERROR, "%s: filter column %d is %s, the joined column '%s' is %s", op, i,
                          qv_type_to_string(qv_expr_type(e), a, sizeof a), concat->fields[i]->name,
                          qv_type_to_string(concat->fields[i]->type, b, sizeof b));
    }
  }
  for (int32_t i = 0; i < qv__expr_num_children(e); i++)
    QV_RETURN_NOT_OK(check_filter_columns(op, qv__expr_child(e, i), concat, err));
  return QV_OK;
}

qv_status qv__join_check_filter(const char *op, qv_expr *filter, const qv_schema *concat, qv_error *err) {
  if (!filter) return QV_OK;
  qv_type_id id = qv_type_id_of(qv_expr_type(filter));
  if (id != QV_BOOL && id != QV_NA) {
    char buf[128];
    return qv_error_set(err, QV_TYPE_ERROR, "%s: the join filter must be boolean, not %s", op,
                        qv_type_to_string(qv_expr_type(filter), buf, sizeof buf));
  }
  return check_filter_columns(op, filter, concat, err);
}

/* ---- the output state ------------------------------------------------------------- */

qv_status qv__join_output_init(qv_join_output *o, qv_join_type type, qv_schema *out_schema, qv_schema *concat_schema,
                               qv_expr *filter, int32_t n_left, int32_t n_right, qv_allocator *alloc,
                               int64_t chunk_rows, qv_error *err) {
  memset(o, 0, sizeof *o);
  o->type = type;
  o->out_schema = out_schema;
  o->concat_schema = concat_schema;
  o->filter = filter;
  o->n_left = n_left;
  o->n_right = n_right;
  o->alloc = alloc;
  o->chunk_rows = chunk_rows;
  int32_t n = n_left + n_right;
  o->filter_uses = calloc((size_t)(n ? n : 1), sizeof *o->filter_uses);
  o->placeholders = calloc((size_t)(n ? n : 1), sizeof *o->placeholders);
  if (!o->filter_uses || !o->placeholders) {
    qv__join_output_reset(o);
    return qv_error_set(err, QV_NOMEM, "join: out of memory");
  }
  if (filter) qv__join_filter_columns(filter, o->filter_uses, n);
  /* Pairs that are output need every column anyway. */
  if (qv__join_emits_pairs(type))
    for (int32_t i = 0; i < n; i++) o->filter_uses[i] = true;
  return QV_OK;
}

void qv__join_output_reset(qv_join_output *o) {
  for (int32_t i = 0; o->placeholders && i < o->n_left + o->n_right; i++) qv_array_unref(o->placeholders[i]);
  free(o->placeholders);
  free(o->filter_uses);
  free(o->probe_matched);
  free(o->idx);
  memset(o, 0, sizeof *o);
}

static qv_status reserve_idx(qv_join_output *o, int64_t n, qv_error *err) {
  if (n <= o->idx_cap) return QV_OK;
  uint32_t *v = realloc(o->idx, (size_t)n * sizeof *v);
  if (!v) return qv_error_set(err, QV_NOMEM, "join: out of memory");
  o->idx = v;
  o->idx_cap = n;
  return QV_OK;
}

qv_status qv__join_output_set_probe(qv_join_output *o, qv_record_batch *probe, qv_error *err) {
  o->probe = probe;
  if (!qv__join_tracks_probe_rows(o->type)) return QV_OK;
  int64_t n = probe->num_rows;
  if (n > o->probe_cap) {
    uint8_t *v = realloc(o->probe_matched, (size_t)n);
    if (!v) return qv_error_set(err, QV_NOMEM, "join: out of memory");
    o->probe_matched = v;
    o->probe_cap = n;
  }
  if (n) memset(o->probe_matched, 0, (size_t)n);
  return QV_OK;
}

/* A batch of out_schema from n_cols columns of n rows (references taken). */
static qv_status assemble(qv_join_output *o, qv_array *const *cols, int64_t n, qv_record_batch **out, qv_error *err) {
  return qv_record_batch_create(o->out_schema, n, cols, o->out_schema->n_fields, out, err);
}

/* All-NULL columns of a schema's types, n rows, into cols. */
static qv_status null_columns(qv_join_output *o, const qv_schema *s, int64_t n, qv_array **cols, qv_error *err) {
  for (int32_t i = 0; i < s->n_fields; i++)
    QV_RETURN_NOT_OK(qv_array_make_nulls(o->alloc, s->fields[i]->type, n, &cols[i], err));
  return QV_OK;
}

static void unref_columns(qv_array **cols, int32_t n) {
  for (int32_t i = 0; i < n; i++) {
    qv_array_unref(cols[i]);
    cols[i] = NULL;
  }
}

/* The candidate batch (over concat_schema) of n pairs: gathered columns where
 * needed, NULL placeholders elsewhere. */
static qv_status candidate_batch(qv_join_output *o, const uint32_t *bidx, const uint32_t *pidx, int64_t n,
                                 qv_record_batch **out, qv_error *err) {
  int32_t total = o->n_left + o->n_right;
  qv_array **cols = calloc((size_t)(total ? total : 1), sizeof *cols);
  if (!cols) return qv_error_set(err, QV_NOMEM, "join: out of memory");
  qv_status st = QV_OK;
  for (int32_t i = 0; st == QV_OK && i < total; i++) {
    bool left = i < o->n_left;
    if (o->filter_uses[i]) {
      const qv_array *src = left ? o->build->batch->columns[i] : o->probe->columns[i - o->n_left];
      st = qv_array_take(o->alloc, src, left ? bidx : pidx, n, &cols[i], err);
      continue;
    }
    qv_array *ph = o->placeholders[i];
    if (!ph || ph->length < n) {
      qv_array_unref(ph);
      o->placeholders[i] = NULL;
      st = qv_array_make_nulls(o->alloc, o->concat_schema->fields[i]->type, n > o->chunk_rows ? n : o->chunk_rows,
                               &o->placeholders[i], err);
      ph = o->placeholders[i];
    }
    if (st == QV_OK) st = qv_array_slice(ph, 0, n, &cols[i], err);
  }
  if (st == QV_OK) st = qv_record_batch_create(o->concat_schema, n, cols, total, out, err);
  unref_columns(cols, total);
  free(cols);
  return st;
}

/* Output batch of n pairs, without a filter. */
static qv_status gather_pairs(qv_join_output *o, const uint32_t *bidx, const uint32_t *pidx, int64_t n,
                              qv_record_batch **out, qv_error *err) {
  qv_record_batch *l = NULL, *r = NULL;
  qv_status st = qv_record_batch_take(o->alloc, o->build->batch, bidx, n, &l, err);
  if (st == QV_OK) st = qv_record_batch_take(o->alloc, o->probe, pidx, n, &r, err);
  if (st == QV_OK) {
    qv_array **cols = calloc((size_t)(o->n_left + o->n_right + 1), sizeof *cols);
    if (!cols) st = qv_error_set(err, QV_NOMEM, "join: out of memory");
    else {
      memcpy(cols, l->columns, (size_t)o->n_left * sizeof *cols);
      memcpy(cols + o->n_left, r->columns, (size_t)o->n_right * sizeof *cols);
      st = assemble(o, cols, n, out, err);
      free(cols);
    }
  }
  qv_record_batch_unref(l);
  qv_record_batch_unref(r);
  return st;
}

qv_status qv__join_output_pairs(qv_join_output *o, uint32_t *bidx, uint32_t *pidx, int64_t n, qv_record_batch **out,
                                qv_error *err) {
  *out = NULL;
  if (n == 0) return QV_OK;
  qv_join_build *b = o->build;
  qv_record_batch *candidates = NULL;
  qv_array *mask = NULL;
  qv_status st = QV_OK;
  if (o->filter) {
    st = candidate_batch(o, bidx, pidx, n, &candidates, err);
    if (st == QV_OK) st = qv_expr_evaluate(o->filter, candidates, o->alloc, &mask, err);
    if (st == QV_OK && (mask->length != n || (mask->type->id != QV_BOOL && mask->type->id != QV_NA)))
      st = qv_error_set(err, QV_INTERNAL, "join: filter gave %lld values for %lld pairs", (long long)mask->length,
                        (long long)n);
    if (st != QV_OK) goto done;
    /* Keep the pairs whose filter is true; remember unknown ones for marks. */
    const uint8_t *valid = mask->type->id == QV_NA ? NULL : qv__array_data(mask, 0);
    const uint8_t *bits = mask->type->id == QV_NA ? NULL : qv__array_data(mask, 1);
    bool all_null = mask->type->id == QV_NA;
    int64_t off = mask->offset, m = 0;
    for (int64_t i = 0; i < n; i++) {
      bool is_valid = !all_null && (!valid || qv_bit_get(valid, off + i));
      bool keep = is_valid && qv_bit_get(bits, off + i);
      if (!is_valid && b->maybe) atomic_store_explicit(&b->maybe[bidx[i]], 1, memory_order_relaxed);
      bidx[m] = bidx[i];
      pidx[m] = pidx[i];
      m += keep;
    }
    if (qv__join_emits_pairs(o->type) && m > 0) {
      qv_record_batch *kept = NULL;
      st = all_null ? QV_OK : qv_record_batch_filter(o->alloc, candidates, mask, &kept, err);
      if (st == QV_OK && kept) st = assemble(o, kept->columns, kept->num_rows, out, err);
      qv_record_batch_unref(kept);
      if (st != QV_OK) goto done;
    }
    n = m;
  } else if (qv__join_emits_pairs(o->type)) {
    st = gather_pairs(o, bidx, pidx, n, out, err);
    if (st != QV_OK) goto done;
  }
  if (b->visited)
    for (int64_t i = 0; i < n; i++) qv__join_visit(b, bidx[i]);
  if (qv__join_tracks_probe_rows(o->type))
    for (int64_t i = 0; i < n; i++) o->probe_matched[pidx[i]] = 1;
done:
  qv_array_unref(mask);
  qv_record_batch_unref(candidates);
  return st;
}

/* ---- probe rows ------------------------------------------------------------------- */

qv_status qv__join_output_probe_rows(qv_join_output *o, qv_record_batch **out, qv_error *err) {
  *out = NULL;
  if (!qv__join_tracks_probe_rows(o->type) || !o->probe) return QV_OK;
  int64_t n = o->probe->num_rows, m = 0;
  uint8_t want = o->type == QV_JOIN_RIGHT_SEMI ? 1 : 0;
  QV_RETURN_NOT_OK(reserve_idx(o, n ? n : 1, err));
  for (int64_t i = 0; i < n; i++) {
    o->idx[m] = (uint32_t)i;
    m += o->probe_matched[i] == want;
  }
  if (m == 0) return QV_OK;
  qv_record_batch *r = NULL;
  qv_status st = m == n ? QV_OK : qv_record_batch_take(o->alloc, o->probe, o->idx, m, &r, err);
  const qv_record_batch *rows = m == n ? o->probe : r;
  if (st == QV_OK && o->type != QV_JOIN_RIGHT && o->type != QV_JOIN_FULL) {
    st = assemble(o, rows->columns, m, out, err);
  } else if (st == QV_OK) {
    qv_array **cols = calloc((size_t)(o->n_left + o->n_right + 1), sizeof *cols);
    if (!cols) st = qv_error_set(err, QV_NOMEM, "join: out of memory");
    if (st == QV_OK) st = null_columns(o, o->build->batch->schema, m, cols, err);
    if (st == QV_OK) {
      memcpy(cols + o->n_left, rows->columns, (size_t)o->n_right * sizeof *cols);
      st = assemble(o, cols, m, out, err);
    }
    if (cols) unref_columns(cols, o->n_left);
    free(cols);
  }
  qv_record_batch_unref(r);
  return st;
}

/* ---- build rows ----------------------------------------------------------------------- */

/* The mark of build row r: true (matched), NULL (unknown) or false. */
static int mark_of(const qv_join_build *b, int64_t r, bool unknown_all, bool probe_nonempty) {
  if (qv__join_visited(b, r)) return 1;
  if (b->maybe && atomic_load_explicit(&b->maybe[r], memory_order_relaxed)) return -1;
  if (unknown_all) return -1;
  if (b->null_keys_unknown && probe_nonempty && b->key_null && b->key_null[r]) return -1;
  return 0;
}

static qv_status mark_rows(qv_join_output *o, int64_t start, int64_t n, qv_record_batch **out, qv_error *err) {
  const qv_join_build *b = o->build;
  bool nonempty = atomic_load(&b->probe_nonempty);
  bool unknown_all = b->null_keys_unknown && nonempty && atomic_load(&b->probe_has_null_key);
  qv_buffer *bufs[2] = {NULL, NULL};
  qv_array *mark = NULL;
  qv_record_batch *rows = NULL;
  int64_t bytes = (n + 7) / 8, nulls = 0;
  qv_status st = qv_buffer_allocate(o->alloc, bytes, &bufs[0], err);
  if (st == QV_OK) st = qv_buffer_allocate(o->alloc, bytes, &bufs[1], err);
  if (st == QV_OK) {
    uint8_t *valid = qv_buffer_mutable_data(bufs[0]), *values = qv_buffer_mutable_data(bufs[1]);
    memset(valid, 0, (size_t)bytes);
    memset(values, 0, (size_t)bytes);
    for (int64_t i = 0; i < n; i++) {
      int m = mark_of(b, start + i, unknown_all, nonempty);
      if (m < 0) nulls++;
      else qv_bit_set(valid, i);
      if (m > 0) qv_bit_set(values, i);
    }
    st = qv_array_create(qv_type_primitive(QV_BOOL), n, 0, nulls, nulls ? bufs : (qv_buffer *[]){NULL, bufs[1]}, 2,
                         NULL, 0, NULL, &mark, err);
  }
  if (st == QV_OK) st = qv_record_batch_slice(b->batch, start, n, &rows, err);
  if (st == QV_OK) {
    qv_array **cols = calloc((size_t)(o->n_left + 1), sizeof *cols);
    if (!cols) st = qv_error_set(err, QV_NOMEM, "join: out of memory");
    else {
      memcpy(cols, rows->columns, (size_t)o->n_left * sizeof *cols);
      cols[o->n_left] = mark;
      st = assemble(o, cols, n, out, err);
      free(cols);
    }
  }
  qv_record_batch_unref(rows);
  qv_array_unref(mark);
  qv_buffer_unref(bufs[0]);
  qv_buffer_unref(bufs[1]);
  return st;
}

qv_status qv__join_output_build_rows(qv_join_output *o, int64_t *cursor, qv_record_batch **out, qv_error *err) {
  *out = NULL;
  const qv_join_build *b = o->build;
  if (!qv__join_emits_build_rows(o->type)) return QV_OK;
  if (o->type == QV_JOIN_LEFT_MARK) {
    if (*cursor >= b->n_rows) return QV_OK;
    int64_t n = b->n_rows - *cursor < o->chunk_rows ? b->n_rows - *cursor : o->chunk_rows;
    QV_RETURN_NOT_OK(mark_rows(o, *cursor, n, out, err));
    *cursor += n;
    return QV_OK;
  }
  uint8_t want = o->type == QV_JOIN_LEFT_SEMI ? 1 : 0;
  QV_RETURN_NOT_OK(reserve_idx(o, o->chunk_rows, err));
  while (*cursor < b->n_rows) {
    int64_t m = 0, r = *cursor;
    for (; r < b->n_rows && m < o->chunk_rows; r++) {
      o->idx[m] = (uint32_t)r;
      m += qv__join_visited(b, r) == want;
    }
    *cursor = r;
    if (m == 0) continue;
    qv_record_batch *rows = NULL;
    QV_RETURN_NOT_OK(qv_record_batch_take(o->alloc, b->batch, o->idx, m, &rows, err));
    qv_status st = QV_OK;
    if (o->type == QV_JOIN_LEFT_SEMI || o->type == QV_JOIN_LEFT_ANTI) {
      st = assemble(o, rows->columns, m, out, err);
    } else {
      qv_array **cols = calloc((size_t)(o->n_left + o->n_right + 1), sizeof *cols);
      if (!cols) st = qv_error_set(err, QV_NOMEM, "join: out of memory");
      if (st == QV_OK) {
        memcpy(cols, rows->columns, (size_t)o->n_left * sizeof *cols);
        /* The padded right side: the probe schema's types. */
        for (int32_t i = 0; st == QV_OK && i < o->n_right; i++)
          st = qv_array_make_nulls(o->alloc, o->concat_schema->fields[o->n_left + i]->type, m, &cols[o->n_left + i],
                                   err);
        if (st == QV_OK) st = assemble(o, cols, m, out, err);
        unref_columns(cols + o->n_left, o->n_right);
      }
      free(cols);
    }
    qv_record_batch_unref(rows);
    return st;
  }
  return QV_OK;
}
