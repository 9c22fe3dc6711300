/* The DISTINCT accumulator: count(DISTINCT x), sum(DISTINCT x), avg(DISTINCT x)
 * and DISTINCT over a one-argument user aggregate.
 *
 * It keeps one hash set of (group, value) pairs for all groups together,
 * which is cheaper than a set per group when groups are many and small: an
 * entry array (hash, group, value position and length in a byte heap) and
 * an open-addressing table of entry indices with linear probing, grown by
 * doubling. Value hashes come from qv_hash_columns over the whole batch and
 * are mixed with the group id. Floats are stored canonicalised (-0.0 as 0.0,
 * one NaN) so that equal values have equal bytes. Null values are ignored,
 * as SQL's DISTINCT aggregates do.
 *
 * The partial state is one list per group holding its distinct values, so
 * partial results can be shuffled between workers and merged by inserting
 * the lists' elements. finish() feeds the distinct values to the plain
 * accumulator of the same function (count keeps its answer directly). */
#include <math.h>
#include <string.h>

#include "expr/aggregate_internal.h"
#include "quiver/compute.h"

typedef struct distinct_entry {
  uint64_t hash;
  int64_t pos; /* in the heap */
  uint32_t group;
  uint32_t len;
} distinct_entry;

typedef enum value_kind { V_FIXED, V_F32, V_F64, V_BOOL, V_BIN } value_kind;

typedef struct distinct_acc {
  qv_acc_base b; /* vecs[0]: int64 distinct values per group */
  value_kind kind;
  int32_t width; /* fixed-width kinds */
  distinct_entry *entries;
  int64_t n_entries, entries_cap;
  uint32_t *slots; /* entry index + 1; 0 = empty */
  int64_t n_slots;
  uint8_t *heap;
  int64_t heap_size, heap_cap;
  uint64_t *hashes; /* per-batch scratch */
  int64_t hashes_cap;
} distinct_acc;

#define SKIP_GROUP UINT32_MAX

static uint64_t mix_group(uint64_t h, uint32_t g) {
  h ^= (uint64_t)g * UINT64_C(0x9E3779B97F4A7C15);
  h ^= h >> 32;
  h *= UINT64_C(0xD6E8FEB86659FD93);
  h ^= h >> 32;
  return h;
}

static void update_extra(distinct_acc *d) {
  d->b.extra_bytes = d->entries_cap * (int64_t)sizeof(distinct_entry) + d->n_slots * 4 + d->heap_cap +
                     d->hashes_cap * 8;
}

/* Grows *p (cap elements of `size` bytes) to hold at least `need`. */
static qv_status grow(distinct_acc *d, void **p, int64_t *cap, int64_t need, int64_t size, const char *what,
                      qv_error *err) {
  if (*p && need <= *cap) return QV_OK;
  int64_t n = *cap ? *cap : 256;
  while (n < need) n *= 2;
  void *q = qv_realloc(d->b.alloc, *p, *cap * size, n * size);
  if (!q)
    return qv__agg_alloc_error(d->b.alloc, n * size, err, "growing the %s of %s", what, d->b.agg->name);
  *p = q;
  *cap = n;
  update_extra(d);
  return QV_OK;
}

static qv_status rehash(distinct_acc *d, int64_t n_slots, qv_error *err) {
  uint32_t *slots = qv_alloc_zeroed(d->b.alloc, n_slots * 4);
  if (!slots)
    return qv__agg_alloc_error(d->b.alloc, n_slots * 4, err, "growing the distinct set of %s", d->b.agg->name);
  uint64_t mask = (uint64_t)n_slots - 1;
  for (int64_t e = 0; e < d->n_entries; e++) {
    uint64_t at = d->entries[e].hash & mask;
    while (slots[at]) at = (at + 1) & mask;
    slots[at] = (uint32_t)(e + 1);
  }
  qv_free(d->b.alloc, d->slots, d->n_slots * 4);
  d->slots = slots;
  d->n_slots = n_slots;
  update_extra(d);
  return QV_OK;
}

/* Inserts the valid values of arr, row i into group g[i] (SKIP_GROUP: none). */
static qv_status insert(distinct_acc *d, qv_array *arr, const uint32_t *g, int64_t n, qv_error *err) {
  if (n == 0) return QV_OK;
  qv_agg_input in;
  qv__agg_input_init(&in, arr);
  if (in.all_null) return QV_OK;
  QV_RETURN_NOT_OK(grow(d, (void **)&d->hashes, &d->hashes_cap, n, 8, "hash scratch", err));
  const qv_array *cols[1] = {arr};
  QV_RETURN_NOT_OK(qv_hash_columns(cols, 1, n, d->hashes, err));
  if (!d->slots) QV_RETURN_NOT_OK(rehash(d, 1024, err));
  int64_t *counts = (int64_t *)(void *)d->b.vecs[0];
  int32_t w = d->width;
  for (int64_t i = 0; i < n; i++) {
    uint32_t gi = g[i];
    if (gi == SKIP_GROUP || (in.validity && !qv_bit_get(in.validity, in.offset + i))) continue;
    uint8_t buf[32];
    const uint8_t *val;
    int64_t len = w;
    switch (d->kind) {
      case V_BIN: val = qv__agg_input_str(&in, i, &len); break;
      case V_BOOL:
        buf[0] = qv_bit_get(in.values, in.offset + i);
        val = buf;
        break;
      case V_F32: {
        float f;
        memcpy(&f, in.values + (in.offset + i) * 4, 4);
        if (f == 0) f = 0.0f;
        if (isnan(f)) f = NAN;
        memcpy(buf, &f, 4);
        val = buf;
        break;
      }
      case V_F64: {
        double f;
        memcpy(&f, in.values + (in.offset + i) * 8, 8);
        if (f == 0) f = 0.0;
        if (isnan(f)) f = NAN;
        memcpy(buf, &f, 8);
        val = buf;
        break;
      }
      default: val = in.values + (in.offset + i) * w; break;
    }
    if (len > UINT32_MAX)
      return qv_error_set(err, QV_INVALID, "%s: a value of %lld bytes is too long", d->b.agg->name, (long long)len);
    uint64_t h = mix_group(d->hashes[i], gi);
    uint64_t mask = (uint64_t)d->n_slots - 1, at = h & mask;
    bool found = false;
    for (uint32_t s; (s = d->slots[at]) != 0; at = (at + 1) & mask) {
      const distinct_entry *e = &d->entries[s - 1];
      if (e->hash == h && e->group == gi && e->len == len && memcmp(d->heap + e->pos, val, (size_t)len) == 0) {
        found = true;
        break;
      }
    }
    if (found) continue;
    QV_RETURN_NOT_OK(grow(d, (void **)&d->entries, &d->entries_cap, d->n_entries + 1, sizeof(distinct_entry),
                          "distinct set", err));
    QV_RETURN_NOT_OK(grow(d, (void **)&d->heap, &d->heap_cap, d->heap_size + len + 1, 1, "distinct values", err));
    if (d->n_entries >= UINT32_MAX - 1)
      return qv_error_set(err, QV_INVALID, "%s: more than 2^32 distinct values", d->b.agg->name);
    memcpy(d->heap + d->heap_size, val, (size_t)len);
    d->entries[d->n_entries] = (distinct_entry){h, d->heap_size, gi, (uint32_t)len};
    d->heap_size += len;
    d->slots[at] = (uint32_t)(++d->n_entries);
    counts[gi]++;
    if (d->n_entries * 2 > d->n_slots) QV_RETURN_NOT_OK(rehash(d, d->n_slots * 2, err));
  }
  return QV_OK;
}

static qv_status distinct_update(qv_group_accumulator *acc, qv_array *const *args, int32_t n_args,
                                 const uint32_t *g, int64_t n, int64_t n_groups, qv_error *err) {
  distinct_acc *d = (distinct_acc *)acc;
  if (n_args != 1) return qv_error_set(err, QV_INVALID, "%s: expects one argument, got %d", d->b.agg->name, n_args);
  QV_RETURN_NOT_OK(qv__acc_resize(&d->b, n_groups, err));
  return insert(d, args[0], g, n, err);
}

static qv_status distinct_merge(qv_group_accumulator *acc, qv_array *const *states, int32_t n_states,
                                const uint32_t *g, int64_t n, int64_t n_groups, qv_error *err) {
  distinct_acc *d = (distinct_acc *)acc;
  if (n_states != 1 || states[0]->type->id != QV_LIST)
    return qv_error_set(err, QV_INVALID, "%s: the partial state must be one list column", d->b.agg->name);
  QV_RETURN_NOT_OK(qv__acc_resize(&d->b, n_groups, err));
  qv_array *list = states[0];
  if (n == 0) return QV_OK;
  const int32_t *off = (const int32_t *)(const void *)qv__array_data(list, 1) + list->offset;
  const uint8_t *validity = qv_array_null_count(list) > 0 ? qv__array_data(list, 0) : NULL;
  int64_t start = off[0], n_elems = off[n] - off[0];
  uint32_t *eg = qv_alloc(d->b.alloc, (n_elems ? n_elems : 1) * 4);
  if (!eg) return qv__agg_alloc_error(d->b.alloc, n_elems * 4, err, "merging the states of %s", d->b.agg->name);
  for (int64_t i = 0; i < n; i++) {
    uint32_t gi = validity && !qv_bit_get(validity, list->offset + i) ? SKIP_GROUP : g[i];
    for (int64_t j = off[i]; j < off[i + 1]; j++) eg[j - start] = gi;
  }
  qv_array *values = NULL;
  qv_status st = qv_array_slice(list->children[0], start, n_elems, &values, err);
  if (st == QV_OK) st = insert(d, values, eg, n_elems, err);
  qv_array_unref(values);
  qv_free(d->b.alloc, eg, (n_elems ? n_elems : 1) * 4);
  return st;
}

/* The distinct values ordered by group (order != NULL) or in insertion order,
 * with their group ids (gids may be NULL). */
static qv_status values_array(distinct_acc *d, const int64_t *order, uint32_t *gids, qv_array **out,
                              qv_error *err) {
  int64_t n = d->n_entries, bytes = (n ? n : 1) * 8;
  int64_t *pos = qv_alloc(d->b.alloc, bytes), *len = qv_alloc(d->b.alloc, bytes);
  qv_status st = QV_OK;
  if (!pos || !len) st = qv__agg_alloc_error(d->b.alloc, bytes, err, "building the state of %s", d->b.agg->name);
  for (int64_t i = 0; st == QV_OK && i < n; i++) {
    const distinct_entry *e = &d->entries[order ? order[i] : i];
    pos[i] = e->pos;
    len[i] = e->len;
    if (gids) gids[i] = e->group;
  }
  if (st == QV_OK) st = qv__agg_array_from_heap(d->b.alloc, d->b.agg->input_type, d->heap, pos, len, NULL, n, out, err);
  qv_free(d->b.alloc, pos, bytes);
  qv_free(d->b.alloc, len, bytes);
  return st;
}

static qv_status distinct_state(qv_group_accumulator *acc, qv_array **out_states, qv_error *err) {
  distinct_acc *d = (distinct_acc *)acc;
  out_states[0] = NULL;
  int64_t n = d->b.n_groups, ne = d->n_entries;
  if (ne > INT32_MAX)
    return qv_error_set(err, QV_INVALID, "%s: %lld distinct values do not fit one list state", d->b.agg->name,
                        (long long)ne);
  const int64_t *counts = (const int64_t *)(const void *)d->b.vecs[0];
  qv_buffer *offsets = NULL;
  QV_RETURN_NOT_OK(qv__agg_buffer(d->b.alloc, n + 1, 4, &offsets, err));
  int32_t *o = (int32_t *)(void *)offsets->data;
  int64_t at = 0;
  for (int64_t i = 0; i < n; i++) {
    o[i] = (int32_t)at;
    at += counts[i];
  }
  o[n] = (int32_t)at;
  /* A counting sort of the entries by group. */
  int64_t obytes = (ne ? ne : 1) * 8, cbytes = (n ? n : 1) * 8;
  int64_t *order = qv_alloc(d->b.alloc, obytes), *cursor = qv_alloc(d->b.alloc, cbytes);
  qv_status st = QV_OK;
  if (!order || !cursor) st = qv__agg_alloc_error(d->b.alloc, obytes, err, "building the state of %s", d->b.agg->name);
  qv_array *child = NULL;
  if (st == QV_OK) {
    for (int64_t i = 0; i < n; i++) cursor[i] = o[i];
    for (int64_t e = 0; e < ne; e++) order[cursor[d->entries[e].group]++] = e;
    st = values_array(d, order, NULL, &child, err);
  }
  qv_free(d->b.alloc, order, obytes);
  qv_free(d->b.alloc, cursor, cbytes);
  if (st == QV_OK) {
    qv_buffer *bufs[2] = {NULL, offsets};
    st = qv_array_create(qv_field_type(d->b.agg->state_fields[0]), n, 0, 0, bufs, 2, &child, 1, NULL, &out_states[0],
                         err);
  }
  qv_array_unref(child);
  qv_buffer_unref(offsets);
  return st;
}

static qv_status distinct_finish(qv_group_accumulator *acc, qv_array **out, qv_error *err) {
  distinct_acc *d = (distinct_acc *)acc;
  *out = NULL;
  int64_t n = d->b.n_groups, ne = d->n_entries;
  if (d->b.agg->kind == QV_AGGREGATE_COUNT) {
    qv_buffer *values = NULL;
    QV_RETURN_NOT_OK(qv__agg_buffer(d->b.alloc, n, 8, &values, err));
    if (n) memcpy(values->data, d->b.vecs[0], (size_t)n * 8);
    return qv__agg_fixed_array(d->b.alloc, qv_type_primitive(QV_INT64), n, values, NULL, out, err);
  }
  int64_t gbytes = (ne ? ne : 1) * 4;
  uint32_t *gids = qv_alloc(d->b.alloc, gbytes);
  if (!gids) return qv__agg_alloc_error(d->b.alloc, gbytes, err, "finishing %s", d->b.agg->name);
  qv_array *values = NULL;
  qv_group_accumulator *inner = NULL;
  qv_status st = values_array(d, NULL, gids, &values, err);
  if (st == QV_OK) st = qv__aggregate_create_plain_accumulator(d->b.agg, d->b.alloc, &inner, err);
  if (st == QV_OK) st = inner->update(inner, &values, 1, gids, ne, n, err);
  if (st == QV_OK) st = inner->finish(inner, out, err);
  if (inner) inner->destroy(inner);
  qv_array_unref(values);
  qv_free(d->b.alloc, gids, gbytes);
  return st;
}

static void distinct_destroy(qv_group_accumulator *acc) {
  distinct_acc *d = (distinct_acc *)acc;
  qv_allocator *a = d->b.alloc;
  qv_free(a, d->entries, d->entries_cap * (int64_t)sizeof(distinct_entry));
  qv_free(a, d->slots, d->n_slots * 4);
  qv_free(a, d->heap, d->heap_cap);
  qv_free(a, d->hashes, d->hashes_cap * 8);
  qv__acc_destroy(acc);
}

qv_status qv__distinct_accumulator_create(const qv_aggregate_expr *a, qv_allocator *alloc,
                                          qv_group_accumulator **out, qv_error *err) {
  const qv_data_type *t = a->input_type;
  if (!t || !qv__distinct_supports(t))
    return qv_error_set(err, QV_TYPE_ERROR, "%s: DISTINCT is not supported for this argument", a->name);
  qv_acc_base *base;
  QV_RETURN_NOT_OK(qv__acc_alloc(alloc, sizeof(distinct_acc), a, &base, err));
  distinct_acc *d = (distinct_acc *)base;
  d->b.vt = (qv_group_accumulator){distinct_update, distinct_merge, distinct_state, distinct_finish, qv__acc_size,
                                   distinct_destroy};
  if (qv_type_is_binary_like(t->id)) d->kind = V_BIN;
  else if (t->id == QV_BOOL) d->kind = V_BOOL;
  else if (t->id == QV_FLOAT32) d->kind = V_F32;
  else if (t->id == QV_FLOAT64) d->kind = V_F64;
  else d->kind = V_FIXED;
  d->width = d->kind == V_BOOL ? 1 : t->byte_width;
  qv__acc_add_vec(&d->b, 8);
  *out = &d->b.vt;
  return QV_OK;
}
