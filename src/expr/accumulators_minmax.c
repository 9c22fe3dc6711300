/* Grouped accumulators for min and max.
 *
 * Fixed-width values live in a dense per-group vector initialised to the
 * comparison's identity (the type's largest value for min, its smallest for
 * max), so the typed loop is a branch-free select, `acc[g] = x < acc[g] ? x
 * : acc[g]`, plus a bit in a "has a value" bitmap. Floats order NaN above
 * every number (DuckDB's and PostgreSQL's total order), so max is NaN when a
 * group has one and min ignores NaNs unless there is nothing else.
 *
 * Strings and binaries are kept in an append-only heap with the current
 * winner's position and length per group: a better value overwrites the old
 * one in place when it fits, or is appended otherwise; the heap is compacted
 * once its garbage outweighs the live values. Merging partial states is the
 * same operation as adding rows, since the state is the running min/max. */
#include <math.h>
#include <string.h>

#include "expr/aggregate_internal.h"

typedef __int128 i128;

typedef enum mm_class {
  MM_I8, MM_I16, MM_I32, MM_I64, MM_U8, MM_U16, MM_U32, MM_U64, MM_F32, MM_F64, MM_I128, MM_BOOL, MM_BIN
} mm_class;

typedef struct minmax_acc {
  qv_acc_base b; /* vecs[0]: values (BIN: int64 heap positions); vecs[1]: has-value bitmap; vecs[2]: BIN lengths */
  mm_class cls;
  bool is_max;
  uint8_t *heap; /* BIN: the winners' bytes, and garbage */
  int64_t heap_size, heap_cap, live;
} minmax_acc;

static bool class_of(qv_type_id id, mm_class *out) {
  switch (id) {
    case QV_INT8: *out = MM_I8; return true;
    case QV_INT16: *out = MM_I16; return true;
    case QV_INT32: case QV_DATE32: case QV_TIME32: case QV_INTERVAL_MONTHS: *out = MM_I32; return true;
    case QV_INT64: case QV_DATE64: case QV_TIME64: case QV_TIMESTAMP: case QV_DURATION: *out = MM_I64; return true;
    case QV_UINT8: *out = MM_U8; return true;
    case QV_UINT16: *out = MM_U16; return true;
    case QV_UINT32: *out = MM_U32; return true;
    case QV_UINT64: *out = MM_U64; return true;
    case QV_FLOAT32: *out = MM_F32; return true;
    case QV_FLOAT64: *out = MM_F64; return true;
    case QV_DECIMAL128: *out = MM_I128; return true;
    case QV_BOOL: *out = MM_BOOL; return true;
    case QV_BINARY: case QV_LARGE_BINARY: case QV_UTF8: case QV_LARGE_UTF8: *out = MM_BIN; return true;
    default: return false;
  }
}

static int32_t class_width(mm_class c) {
  switch (c) {
    case MM_I8: case MM_U8: case MM_BOOL: return 1;
    case MM_I16: case MM_U16: return 2;
    case MM_I32: case MM_U32: case MM_F32: return 4;
    case MM_I128: return 16;
    default: return 8;
  }
}

#define FILL(T, V)                                            \
  do {                                                        \
    T *p_ = (T *)(void *)b->vecs[0];                          \
    for (int64_t i = from; i < to; i++) p_[i] = (T)(V);       \
  } while (0)

/* New groups start at the identity of the comparison. */
static void minmax_init(qv_acc_base *b, int64_t from, int64_t to) {
  minmax_acc *m = (minmax_acc *)b;
  bool mx = m->is_max;
  switch (m->cls) {
    case MM_I8: FILL(int8_t, mx ? INT8_MIN : INT8_MAX); break;
    case MM_I16: FILL(int16_t, mx ? INT16_MIN : INT16_MAX); break;
    case MM_I32: FILL(int32_t, mx ? INT32_MIN : INT32_MAX); break;
    case MM_I64: FILL(int64_t, mx ? INT64_MIN : INT64_MAX); break;
    case MM_U8: FILL(uint8_t, mx ? 0 : UINT8_MAX); break;
    case MM_U16: FILL(uint16_t, mx ? 0 : UINT16_MAX); break;
    case MM_U32: FILL(uint32_t, mx ? 0 : UINT32_MAX); break;
    case MM_U64: FILL(uint64_t, mx ? 0 : UINT64_MAX); break;
    case MM_F32: FILL(float, mx ? -INFINITY : NAN); break;
    case MM_F64: FILL(double, mx ? -INFINITY : NAN); break;
    case MM_BOOL: FILL(uint8_t, mx ? 0 : 1); break;
    case MM_I128: {
      i128 v = mx ? -(((i128)1 << 126) + (((i128)1 << 126) - 1)) - 1 : (((i128)1 << 126) + (((i128)1 << 126) - 1));
      for (int64_t i = from; i < to; i++) memcpy(b->vecs[0] + i * 16, &v, 16);
      break;
    }
    case MM_BIN: break;
  }
}

#define LT(a, b) ((a) < (b))
#define GT(a, b) ((a) > (b))
/* NaN is greater than every number and equal to itself. */
#define FLT(a, b) ((a) < (b) || ((b) != (b) && (a) == (a)))
#define FGT(a, b) ((a) > (b) || ((a) != (a) && (b) == (b)))

#define SEEN(gi) seen[(gi) >> 3] |= (uint8_t)(1u << ((gi) & 7))

#define MM_LOOP(T, BETTER)                                                \
  do {                                                                    \
    T *acc = (T *)(void *)m->b.vecs[0];                                   \
    const T *v = (const T *)(const void *)in.values + in.offset;          \
    if (!in.validity) {                                                   \
      for (int64_t i = 0; i < n; i++) {                                   \
        uint32_t gi = g[i];                                               \
        T x = v[i], cur = acc[gi];                                        \
        acc[gi] = BETTER(x, cur) ? x : cur;                               \
        SEEN(gi);                                                         \
      }                                                                   \
    } else {                                                              \
      for (int64_t i = 0; i < n; i++) {                                   \
        if (!qv_bit_get(in.validity, in.offset + i)) continue;            \
        uint32_t gi = g[i];                                               \
        T x = v[i], cur = acc[gi];                                        \
        acc[gi] = BETTER(x, cur) ? x : cur;                               \
        SEEN(gi);                                                         \
      }                                                                   \
    }                                                                     \
  } while (0)

#define MM_BOTH(T, L, G)               \
  do {                                 \
    if (m->is_max) MM_LOOP(T, G);      \
    else MM_LOOP(T, L);                \
  } while (0)

static void add_i128(minmax_acc *m, const qv_agg_input *in, const uint32_t *g, int64_t n, uint8_t *seen) {
  uint8_t *acc = m->b.vecs[0];
  for (int64_t i = 0; i < n; i++) {
    if (in->validity && !qv_bit_get(in->validity, in->offset + i)) continue;
    uint32_t gi = g[i];
    i128 x, cur;
    memcpy(&x, in->values + (in->offset + i) * 16, 16);
    memcpy(&cur, acc + (int64_t)gi * 16, 16);
    if (m->is_max ? x > cur : x < cur) memcpy(acc + (int64_t)gi * 16, &x, 16);
    SEEN(gi);
  }
}

static void add_bool(minmax_acc *m, const qv_agg_input *in, const uint32_t *g, int64_t n, uint8_t *seen) {
  uint8_t *acc = m->b.vecs[0];
  for (int64_t i = 0; i < n; i++) {
    if (in->validity && !qv_bit_get(in->validity, in->offset + i)) continue;
    uint32_t gi = g[i];
    uint8_t x = qv_bit_get(in->values, in->offset + i);
    acc[gi] = m->is_max ? (uint8_t)(acc[gi] | x) : (uint8_t)(acc[gi] & x);
    SEEN(gi);
  }
}

static int bytes_cmp(const uint8_t *a, int64_t al, const uint8_t *b, int64_t bl) {
  int c = memcmp(a, b, (size_t)(al < bl ? al : bl));
  if (c) return c;
  return al < bl ? -1 : al > bl;
}

static qv_status heap_reserve(minmax_acc *m, int64_t extra, qv_error *err) {
  if (m->heap && m->heap_size + extra <= m->heap_cap) return QV_OK;
  int64_t cap = m->heap_cap ? m->heap_cap : 4096;
  while (cap < m->heap_size + extra) cap *= 2;
  uint8_t *p = qv_realloc(m->b.alloc, m->heap, m->heap_cap, cap);
  if (!p)
    return qv__agg_alloc_error(m->b.alloc, cap, err, "growing the string state of %s to %lld bytes", m->b.agg->name,
                               (long long)cap);
  m->heap = p;
  m->heap_cap = cap;
  m->b.extra_bytes = cap;
  return QV_OK;
}

/* Rewrites the heap with only the live values once garbage dominates. */
static qv_status heap_compact(minmax_acc *m, qv_error *err) {
  int64_t garbage = m->heap_size - m->live;
  if (garbage < (1 << 20) || garbage < m->live) return QV_OK;
  int64_t cap = m->live > 4096 ? m->live : 4096;
  uint8_t *fresh = qv_alloc(m->b.alloc, cap);
  if (!fresh)
    return qv__agg_alloc_error(m->b.alloc, cap, err, "compacting the string state of %s", m->b.agg->name);
  int64_t *pos = (int64_t *)(void *)m->b.vecs[0], *len = (int64_t *)(void *)m->b.vecs[2];
  const uint8_t *seen = m->b.vecs[1];
  int64_t at = 0;
  for (int64_t gi = 0; gi < m->b.n_groups; gi++) {
    if (!qv_bit_get(seen, gi)) continue;
    memcpy(fresh + at, m->heap + pos[gi], (size_t)len[gi]);
    pos[gi] = at;
    at += len[gi];
  }
  qv_free(m->b.alloc, m->heap, m->heap_cap);
  m->heap = fresh;
  m->heap_cap = cap;
  m->heap_size = at;
  m->b.extra_bytes = cap;
  return QV_OK;
}

static qv_status add_bin(minmax_acc *m, const qv_agg_input *in, const uint32_t *g, int64_t n, uint8_t *seen,
                         qv_error *err) {
  int64_t *pos = (int64_t *)(void *)m->b.vecs[0], *len = (int64_t *)(void *)m->b.vecs[2];
  int want = m->is_max ? 1 : -1;
  for (int64_t i = 0; i < n; i++) {
    if (in->validity && !qv_bit_get(in->validity, in->offset + i)) continue;
    uint32_t gi = g[i];
    int64_t xl;
    const uint8_t *x = qv__agg_input_str(in, i, &xl);
    bool has = qv_bit_get(seen, gi);
    if (has) {
      int c = bytes_cmp(x, xl, m->heap + pos[gi], len[gi]);
      if (c == 0 || (c > 0) != (want > 0)) continue;
      if (xl <= len[gi]) { /* fits where the old winner was */
        memcpy(m->heap + pos[gi], x, (size_t)xl);
        m->live -= len[gi] - xl;
        len[gi] = xl;
        continue;
      }
    }
    QV_RETURN_NOT_OK(heap_reserve(m, xl, err));
    memcpy(m->heap + m->heap_size, x, (size_t)xl);
    m->live += xl - (has ? len[gi] : 0);
    pos[gi] = m->heap_size;
    len[gi] = xl;
    m->heap_size += xl;
    SEEN(gi);
  }
  return heap_compact(m, err);
}

/* Folds the values of arr (an argument or a partial state) into the groups. */
static qv_status minmax_add(minmax_acc *m, qv_array *arr, const uint32_t *g, int64_t n, qv_error *err) {
  mm_class cls;
  if (!class_of(arr->type->id, &cls) || cls != m->cls) {
    char tb[96];
    return qv_error_set(err, QV_INVALID, "%s: unexpected input of type %s", m->b.agg->name,
                        qv_type_to_string(arr->type, tb, sizeof tb));
  }
  qv_agg_input in;
  qv__agg_input_init(&in, arr);
  uint8_t *seen = m->b.vecs[1];
  switch (m->cls) {
    case MM_I8: MM_BOTH(int8_t, LT, GT); break;
    case MM_I16: MM_BOTH(int16_t, LT, GT); break;
    case MM_I32: MM_BOTH(int32_t, LT, GT); break;
    case MM_I64: MM_BOTH(int64_t, LT, GT); break;
    case MM_U8: MM_BOTH(uint8_t, LT, GT); break;
    case MM_U16: MM_BOTH(uint16_t, LT, GT); break;
    case MM_U32: MM_BOTH(uint32_t, LT, GT); break;
    case MM_U64: MM_BOTH(uint64_t, LT, GT); break;
    case MM_F32: MM_BOTH(float, FLT, FGT); break;
    case MM_F64: MM_BOTH(double, FLT, FGT); break;
    case MM_I128: add_i128(m, &in, g, n, seen); break;
    case MM_BOOL: add_bool(m, &in, g, n, seen); break;
    case MM_BIN: return add_bin(m, &in, g, n, seen, err);
  }
  return QV_OK;
}

static qv_status minmax_update(qv_group_accumulator *acc, qv_array *const *args, int32_t n_args, const uint32_t *g,
                               int64_t n, int64_t n_groups, qv_error *err) {
  minmax_acc *m = (minmax_acc *)acc;
  if (n_args != 1) return qv_error_set(err, QV_INVALID, "%s: expects one argument, got %d", m->b.agg->name, n_args);
  QV_RETURN_NOT_OK(qv__acc_resize(&m->b, n_groups, err));
  return minmax_add(m, args[0], g, n, err);
}

static qv_status minmax_merge(qv_group_accumulator *acc, qv_array *const *states, int32_t n_states,
                              const uint32_t *g, int64_t n, int64_t n_groups, qv_error *err) {
  minmax_acc *m = (minmax_acc *)acc;
  if (n_states != 1)
    return qv_error_set(err, QV_INVALID, "%s: the partial state must be one column, got %d", m->b.agg->name,
                        n_states);
  QV_RETURN_NOT_OK(qv__acc_resize(&m->b, n_groups, err));
  return minmax_add(m, states[0], g, n, err);
}

static qv_status minmax_finish(qv_group_accumulator *acc, qv_array **out, qv_error *err) {
  minmax_acc *m = (minmax_acc *)acc;
  *out = NULL;
  int64_t n = m->b.n_groups;
  qv_data_type *type = m->b.agg->type;
  const uint8_t *seen = m->b.vecs[1];
  if (m->cls == MM_BIN) {
    return qv__agg_array_from_heap(m->b.alloc, type, m->heap, (const int64_t *)(const void *)m->b.vecs[0],
                                   (const int64_t *)(const void *)m->b.vecs[2], seen, n, out, err);
  }
  qv_buffer *values = NULL;
  if (m->cls == MM_BOOL) {
    QV_RETURN_NOT_OK(qv__agg_buffer(m->b.alloc, n, 0, &values, err));
    memset(values->data, 0, (size_t)((n + 7) / 8));
    for (int64_t i = 0; i < n; i++) values->data[i >> 3] |= (uint8_t)((m->b.vecs[0][i] & 1) << (i & 7));
  } else {
    int32_t w = class_width(m->cls);
    QV_RETURN_NOT_OK(qv__agg_buffer(m->b.alloc, n, w, &values, err));
    if (n) memcpy(values->data, m->b.vecs[0], (size_t)(n * w));
    /* Groups without a value hold the identity; give their null slots zeros. */
    for (int64_t i = 0; i < n; i++)
      if (!qv_bit_get(seen, i)) memset(values->data + i * w, 0, (size_t)w);
  }
  return qv__agg_fixed_array(m->b.alloc, type, n, values, seen, out, err);
}

static qv_status minmax_state(qv_group_accumulator *acc, qv_array **out_states, qv_error *err) {
  return minmax_finish(acc, &out_states[0], err);
}

static void minmax_destroy(qv_group_accumulator *acc) {
  minmax_acc *m = (minmax_acc *)acc;
  qv_free(m->b.alloc, m->heap, m->heap_cap);
  qv__acc_destroy(acc);
}

qv_status qv__minmax_accumulator_create(const qv_aggregate_expr *a, qv_allocator *alloc,
                                        qv_group_accumulator **out, qv_error *err) {
  mm_class cls;
  if (!class_of(a->input_type->id, &cls))
    return qv_error_set(err, QV_TYPE_ERROR, "%s: unsupported argument type", a->name);
  qv_acc_base *base;
  QV_RETURN_NOT_OK(qv__acc_alloc(alloc, sizeof(minmax_acc), a, &base, err));
  minmax_acc *m = (minmax_acc *)base;
  m->b.vt = (qv_group_accumulator){minmax_update, minmax_merge, minmax_state, minmax_finish, qv__acc_size,
                                   minmax_destroy};
  m->cls = cls;
  m->is_max = a->kind == QV_AGGREGATE_MAX;
  m->b.init = minmax_init;
  qv__acc_add_vec(&m->b, cls == MM_BIN ? 8 : class_width(cls));
  qv__acc_add_vec(&m->b, 0);
  if (cls == MM_BIN) qv__acc_add_vec(&m->b, 8);
  *out = &m->b.vt;
  return QV_OK;
}
