/* Grouped accumulators for count, sum and avg.
 *
 * Each keeps dense per-group vectors (a running sum and a row count) and adds
 * a whole batch in one typed loop: `acc[group_ids[i]] += value[i]`, with a
 * separate loop for inputs that have nulls so the common case carries no
 * validity test. Integer sums check overflow with the compiler's overflow
 * builtins, folded into one flag per batch rather than a branch per row.
 * avg keeps its integer and decimal sums in 128 bits, so it never overflows
 * in practice and stays exact until the final division. */
#include <math.h>
#include <string.h>

#include "expr/aggregate_internal.h"

typedef __int128 i128;

static i128 load_i128(const uint8_t *p, int64_t i) {
  i128 v;
  memcpy(&v, p + i * 16, 16);
  return v;
}

static i128 pow10_i128(int32_t k) {
  i128 p = 1;
  for (int32_t i = 0; i < k; i++) p *= 10;
  return p;
}

/* A bitmap of n bits: bit g set when cnt[g] > 0. */
static qv_status valid_from_counts(qv_allocator *alloc, const int64_t *cnt, int64_t n, qv_buffer **out,
                                   qv_error *err) {
  QV_RETURN_NOT_OK(qv__agg_buffer(alloc, n, 0, out, err));
  uint8_t *bits = (*out)->data;
  memset(bits, 0, (size_t)((n + 7) / 8));
  for (int64_t i = 0; i < n; i++) bits[i >> 3] |= (uint8_t)((cnt[i] > 0) << (i & 7));
  return QV_OK;
}

/* ---- count ------------------------------------------------------------------ */

typedef struct count_acc {
  qv_acc_base b; /* vecs[0]: int64 counts */
} count_acc;

static qv_status count_update(qv_group_accumulator *acc, qv_array *const *args, int32_t n_args,
                              const uint32_t *g, int64_t n, int64_t n_groups, qv_error *err) {
  count_acc *c = (count_acc *)acc;
  QV_RETURN_NOT_OK(qv__acc_resize(&c->b, n_groups, err));
  int64_t *cnt = (int64_t *)(void *)c->b.vecs[0];
  qv_agg_input in = {0};
  if (n_args > 0) qv__agg_input_init(&in, args[0]);
  if (in.all_null) return QV_OK;
  if (!in.validity) {
    for (int64_t i = 0; i < n; i++) cnt[g[i]]++;
  } else {
    for (int64_t i = 0; i < n; i++) cnt[g[i]] += qv_bit_get(in.validity, in.offset + i);
  }
  return QV_OK;
}

static qv_status count_merge(qv_group_accumulator *acc, qv_array *const *states, int32_t n_states,
                             const uint32_t *g, int64_t n, int64_t n_groups, qv_error *err) {
  count_acc *c = (count_acc *)acc;
  if (n_states != 1 || states[0]->type->id != QV_INT64)
    return qv_error_set(err, QV_INVALID, "%s: the partial state must be one int64 column", c->b.agg->name);
  QV_RETURN_NOT_OK(qv__acc_resize(&c->b, n_groups, err));
  int64_t *cnt = (int64_t *)(void *)c->b.vecs[0];
  qv_agg_input in;
  qv__agg_input_init(&in, states[0]);
  const int64_t *v = (const int64_t *)(const void *)in.values + in.offset;
  for (int64_t i = 0; i < n; i++)
    if (!in.validity || qv_bit_get(in.validity, in.offset + i)) cnt[g[i]] += v[i];
  return QV_OK;
}

static qv_status count_result(qv_group_accumulator *acc, qv_array **out, qv_error *err) {
  count_acc *c = (count_acc *)acc;
  *out = NULL;
  int64_t n = c->b.n_groups;
  qv_buffer *values = NULL;
  QV_RETURN_NOT_OK(qv__agg_buffer(c->b.alloc, n, 8, &values, err));
  if (n) memcpy(values->data, c->b.vecs[0], (size_t)n * 8);
  return qv__agg_fixed_array(c->b.alloc, qv_type_primitive(QV_INT64), n, values, NULL, out, err);
}

static qv_status count_state(qv_group_accumulator *acc, qv_array **out_states, qv_error *err) {
  return count_result(acc, &out_states[0], err);
}

qv_status qv__count_accumulator_create(const qv_aggregate_expr *a, qv_allocator *alloc, qv_group_accumulator **out,
                                       qv_error *err) {
  qv_acc_base *base;
  QV_RETURN_NOT_OK(qv__acc_alloc(alloc, sizeof(count_acc), a, &base, err));
  count_acc *c = (count_acc *)base;
  c->b.vt = (qv_group_accumulator){count_update, count_merge, count_state, count_result, qv__acc_size, qv__acc_destroy};
  qv__acc_add_vec(&c->b, 8);
  *out = &c->b.vt;
  return QV_OK;
}

/* ---- sum and avg --------------------------------------------------------------- */

/* How the running sum is kept. */
typedef enum sum_family {
  FAM_I64,  /* sum of signed integers, checked */
  FAM_U64,  /* sum of unsigned integers, checked */
  FAM_F64,  /* sum of floats */
  FAM_I128  /* avg of integers, sum and avg of decimals, checked */
} sum_family;

typedef struct sum_acc {
  qv_acc_base b; /* vecs[0]: sums (8 or 16 bytes); vecs[1]: avg: int64 row counts, sum: has-value bitmap */
  sum_family fam;
  bool avg;
  int32_t in_scale; /* decimal input scale */
} sum_acc;

#define CHECKED_ADD ovf |= __builtin_add_overflow(acc[gi], x, &acc[gi])
#define FLOAT_ADD acc[gi] += x

/* acc[g[i]] += LOAD over the valid rows of `in`, then MARK the group (a row
 * count for avg, a has-value bit for sum). */
#define ADD_LOOP(IN_T, ACC_T, LOAD, ADD, MARK)                            \
  do {                                                                    \
    const IN_T *v = (const IN_T *)(const void *)in.values + in.offset;    \
    (void)v;                                                              \
    ACC_T *acc = (ACC_T *)(void *)s->b.vecs[0];                           \
    if (!in.validity) {                                                   \
      for (int64_t i = 0; i < n; i++) {                                   \
        uint32_t gi = g[i];                                               \
        ACC_T x = (ACC_T)(LOAD);                                          \
        ADD;                                                              \
        MARK;                                                             \
      }                                                                   \
    } else {                                                              \
      for (int64_t i = 0; i < n; i++) {                                   \
        if (!qv_bit_get(in.validity, in.offset + i)) continue;            \
        uint32_t gi = g[i];                                               \
        ACC_T x = (ACC_T)(LOAD);                                          \
        ADD;                                                              \
        MARK;                                                             \
      }                                                                   \
    }                                                                     \
  } while (0)

#define MARK_COUNT cnt[gi] += inc
#define MARK_SEEN seen[gi >> 3] |= (uint8_t)(1u << (gi & 7))

/* The typed loop for the sum family and the input type id. */
#define SUM_SWITCH(MARK)                                                                                   \
  switch (s->fam) {                                                                                        \
    case FAM_I64:                                                                                          \
      switch (id) {                                                                                        \
        case QV_INT8: ADD_LOOP(int8_t, int64_t, v[i], CHECKED_ADD, MARK); break;                           \
        case QV_INT16: ADD_LOOP(int16_t, int64_t, v[i], CHECKED_ADD, MARK); break;                         \
        case QV_INT32: ADD_LOOP(int32_t, int64_t, v[i], CHECKED_ADD, MARK); break;                         \
        case QV_INT64: ADD_LOOP(int64_t, int64_t, v[i], CHECKED_ADD, MARK); break;                         \
        default: ok = false;                                                                               \
      }                                                                                                    \
      break;                                                                                               \
    case FAM_U64:                                                                                          \
      switch (id) {                                                                                        \
        case QV_UINT8: ADD_LOOP(uint8_t, uint64_t, v[i], CHECKED_ADD, MARK); break;                        \
        case QV_UINT16: ADD_LOOP(uint16_t, uint64_t, v[i], CHECKED_ADD, MARK); break;                      \
        case QV_UINT32: ADD_LOOP(uint32_t, uint64_t, v[i], CHECKED_ADD, MARK); break;                      \
        case QV_UINT64: ADD_LOOP(uint64_t, uint64_t, v[i], CHECKED_ADD, MARK); break;                      \
        default: ok = false;                                                                               \
      }                                                                                                    \
      break;                                                                                               \
    case FAM_F64:                                                                                          \
      switch (id) {                                                                                        \
        case QV_FLOAT32: ADD_LOOP(float, double, v[i], FLOAT_ADD, MARK); break;                            \
        case QV_FLOAT64: ADD_LOOP(double, double, v[i], FLOAT_ADD, MARK); break;                           \
        default: ok = false;                                                                               \
      }                                                                                                    \
      break;                                                                                               \
    case FAM_I128:                                                                                         \
      switch (id) {                                                                                        \
        case QV_INT8: ADD_LOOP(int8_t, i128, v[i], CHECKED_ADD, MARK); break;                              \
        case QV_INT16: ADD_LOOP(int16_t, i128, v[i], CHECKED_ADD, MARK); break;                            \
        case QV_INT32: ADD_LOOP(int32_t, i128, v[i], CHECKED_ADD, MARK); break;                            \
        case QV_INT64: ADD_LOOP(int64_t, i128, v[i], CHECKED_ADD, MARK); break;                            \
        case QV_UINT8: ADD_LOOP(uint8_t, i128, v[i], CHECKED_ADD, MARK); break;                            \
        case QV_UINT16: ADD_LOOP(uint16_t, i128, v[i], CHECKED_ADD, MARK); break;                          \
        case QV_UINT32: ADD_LOOP(uint32_t, i128, v[i], CHECKED_ADD, MARK); break;                          \
        case QV_UINT64: ADD_LOOP(uint64_t, i128, v[i], CHECKED_ADD, MARK); break;                          \
        case QV_DECIMAL128: ADD_LOOP(uint8_t, i128, load_i128(in.values, in.offset + i), CHECKED_ADD, MARK); break; \
        default: ok = false;                                                                               \
      }                                                                                                    \
      break;                                                                                               \
  }

/* Adds the values of arr (an argument, or the sum column of a partial state)
 * to the groups' sums and marks the groups; avg counts each valid row when
 * inc is 1 (0 when merging, whose counts come separately). */
static qv_status sum_add(sum_acc *s, qv_array *arr, const uint32_t *g, int64_t n, int64_t inc, qv_error *err) {
  qv_agg_input in;
  qv__agg_input_init(&in, arr);
  if (in.all_null) return QV_OK;
  int64_t *cnt = (int64_t *)(void *)s->b.vecs[1];
  uint8_t *seen = s->b.vecs[1];
  int ovf = 0;
  qv_type_id id = arr->type->id;
  bool ok = true;
  if (s->avg) {
    SUM_SWITCH(MARK_COUNT)
  } else {
    SUM_SWITCH(MARK_SEEN)
  }
  if (!ok) {
    char tb[96];
    return qv_error_set(err, QV_INVALID, "%s: unexpected input of type %s", s->b.agg->name,
                        qv_type_to_string(arr->type, tb, sizeof tb));
  }
  if (ovf)
    return qv_error_set(err, QV_OUT_OF_RANGE, "%s: %s", s->b.agg->name,
                        s->fam == FAM_I128 ? "decimal overflow (the sum needs more than 38 digits)"
                                           : "integer overflow");
  return QV_OK;
}

static qv_status sum_update(qv_group_accumulator *acc, qv_array *const *args, int32_t n_args, const uint32_t *g,
                            int64_t n, int64_t n_groups, qv_error *err) {
  sum_acc *s = (sum_acc *)acc;
  if (n_args != 1) return qv_error_set(err, QV_INVALID, "%s: expects one argument, got %d", s->b.agg->name, n_args);
  QV_RETURN_NOT_OK(qv__acc_resize(&s->b, n_groups, err));
  return sum_add(s, args[0], g, n, 1, err);
}

static qv_status sum_merge(qv_group_accumulator *acc, qv_array *const *states, int32_t n_states, const uint32_t *g,
                           int64_t n, int64_t n_groups, qv_error *err) {
  sum_acc *s = (sum_acc *)acc;
  int32_t want = s->avg ? 2 : 1;
  if (n_states != want || (s->avg && states[1]->type->id != QV_INT64))
    return qv_error_set(err, QV_INVALID, "%s: the partial state must have %d columns%s", s->b.agg->name, want,
                        s->avg ? " (sum, int64 count)" : "");
  QV_RETURN_NOT_OK(qv__acc_resize(&s->b, n_groups, err));
  /* sum: a valid partial sum marks its group as having a value; avg: the
   * partial counts are added below. */
  QV_RETURN_NOT_OK(sum_add(s, states[0], g, n, 0, err));
  if (s->avg) {
    int64_t *cnt = (int64_t *)(void *)s->b.vecs[1];
    qv_agg_input in;
    qv__agg_input_init(&in, states[1]);
    const int64_t *v = (const int64_t *)(const void *)in.values + in.offset;
    for (int64_t i = 0; i < n; i++)
      if (!in.validity || qv_bit_get(in.validity, in.offset + i)) cnt[g[i]] += v[i];
  }
  return QV_OK;
}

/* The running sums as an array of `type` (nulls for groups without a value). */
static qv_status sums_array(sum_acc *s, qv_data_type *type, qv_array **out, qv_error *err) {
  int64_t n = s->b.n_groups;
  int32_t w = s->fam == FAM_I128 ? 16 : 8;
  if (s->fam == FAM_I128) {
    i128 max = pow10_i128(38) - 1;
    for (int64_t i = 0; i < n; i++) {
      i128 v = load_i128(s->b.vecs[0], i);
      if (v > max || v < -max)
        return qv_error_set(err, QV_OUT_OF_RANGE, "%s: the sum of group %lld needs more than 38 digits", s->b.agg->name,
                            (long long)i);
    }
  }
  qv_buffer *values = NULL, *valid = NULL;
  QV_RETURN_NOT_OK(qv__agg_buffer(s->b.alloc, n, w, &values, err));
  if (n) memcpy(values->data, s->b.vecs[0], (size_t)(n * w));
  if (!s->avg) return qv__agg_fixed_array(s->b.alloc, type, n, values, s->b.vecs[1], out, err);
  qv_status st = valid_from_counts(s->b.alloc, (const int64_t *)(const void *)s->b.vecs[1], n, &valid, err);
  if (st != QV_OK) {
    qv_buffer_unref(values);
    return st;
  }
  st = qv__agg_fixed_array(s->b.alloc, type, n, values, valid->data, out, err);
  qv_buffer_unref(valid);
  return st;
}

static qv_status sum_state(qv_group_accumulator *acc, qv_array **out_states, qv_error *err) {
  sum_acc *s = (sum_acc *)acc;
  const qv_aggregate_expr *a = s->b.agg;
  QV_RETURN_NOT_OK(sums_array(s, qv_field_type(a->state_fields[0]), &out_states[0], err));
  if (!s->avg) return QV_OK;
  int64_t n = s->b.n_groups;
  qv_buffer *values = NULL;
  qv_status st = qv__agg_buffer(s->b.alloc, n, 8, &values, err);
  if (st == QV_OK) {
    if (n) memcpy(values->data, s->b.vecs[1], (size_t)n * 8);
    st = qv__agg_fixed_array(s->b.alloc, qv_type_primitive(QV_INT64), n, values, NULL, &out_states[1], err);
  }
  if (st != QV_OK) {
    qv_array_unref(out_states[0]);
    out_states[0] = NULL;
  }
  return st;
}

/* avg of a decimal: sum / count at the result's scale, rounded half away
 * from zero, computed as q*10^k + round(r*10^k / count) so that nothing
 * overflows before the result itself would. */
static qv_status avg_decimal(sum_acc *s, const int64_t *cnt, uint8_t *outv, qv_error *err) {
  const qv_data_type *t = s->b.agg->type;
  int32_t k = t->scale - s->in_scale;
  i128 pw = pow10_i128(k), max = pow10_i128(t->precision) - 1;
  for (int64_t i = 0; i < s->b.n_groups; i++) {
    i128 res = 0;
    if (cnt[i] > 0) {
      i128 sum = load_i128(s->b.vecs[0], i), c = cnt[i];
      i128 q = sum / c, r = sum % c;
      i128 num = r * pw, q2 = num / c, rem = num % c;
      if ((rem < 0 ? -rem : rem) * 2 >= c) q2 += num < 0 ? -1 : 1;
      bool ovf = __builtin_mul_overflow(q, pw, &res) || __builtin_add_overflow(res, q2, &res);
      if (ovf || res > max || res < -max)
        return qv_error_set(err, QV_OUT_OF_RANGE, "%s: the average of group %lld does not fit decimal(%d, %d)",
                            s->b.agg->name, (long long)i, t->precision, t->scale);
    }
    memcpy(outv + i * 16, &res, 16);
  }
  return QV_OK;
}

static qv_status sum_finish(qv_group_accumulator *acc, qv_array **out, qv_error *err) {
  sum_acc *s = (sum_acc *)acc;
  *out = NULL;
  qv_data_type *type = s->b.agg->type;
  if (!s->avg) return sums_array(s, type, out, err);
  int64_t n = s->b.n_groups;
  const int64_t *cnt = (const int64_t *)(const void *)s->b.vecs[1];
  qv_buffer *values = NULL, *valid = NULL;
  QV_RETURN_NOT_OK(qv__agg_buffer(s->b.alloc, n, type->byte_width, &values, err));
  qv_status st = QV_OK;
  if (type->id == QV_DECIMAL128) {
    st = avg_decimal(s, cnt, values->data, err);
  } else {
    double *o = (double *)(void *)values->data;
    if (s->fam == FAM_F64) {
      const double *sum = (const double *)(const void *)s->b.vecs[0];
      for (int64_t i = 0; i < n; i++) o[i] = cnt[i] > 0 ? sum[i] / (double)cnt[i] : 0.0;
    } else {
      for (int64_t i = 0; i < n; i++) o[i] = cnt[i] > 0 ? (double)load_i128(s->b.vecs[0], i) / (double)cnt[i] : 0.0;
    }
  }
  if (st == QV_OK) st = valid_from_counts(s->b.alloc, cnt, n, &valid, err);
  if (st != QV_OK) {
    qv_buffer_unref(values);
    return st;
  }
  st = qv__agg_fixed_array(s->b.alloc, type, n, values, valid->data, out, err);
  qv_buffer_unref(valid);
  return st;
}

qv_status qv__sum_accumulator_create(const qv_aggregate_expr *a, qv_allocator *alloc, qv_group_accumulator **out,
                                     qv_error *err) {
  qv_type_id in = a->input_type->id;
  sum_family fam;
  if (a->kind == QV_AGGREGATE_AVG) fam = in == QV_FLOAT32 || in == QV_FLOAT64 ? FAM_F64 : FAM_I128;
  else if (in == QV_DECIMAL128) fam = FAM_I128;
  else if (qv_type_is_signed_integer(in)) fam = FAM_I64;
  else if (qv_type_is_integer(in)) fam = FAM_U64;
  else fam = FAM_F64;
  qv_acc_base *base;
  QV_RETURN_NOT_OK(qv__acc_alloc(alloc, sizeof(sum_acc), a, &base, err));
  sum_acc *s = (sum_acc *)base;
  s->b.vt = (qv_group_accumulator){sum_update, sum_merge, sum_state, sum_finish, qv__acc_size, qv__acc_destroy};
  s->fam = fam;
  s->avg = a->kind == QV_AGGREGATE_AVG;
  s->in_scale = in == QV_DECIMAL128 ? a->input_type->scale : 0;
  qv__acc_add_vec(&s->b, fam == FAM_I128 ? 16 : 8);
  qv__acc_add_vec(&s->b, s->avg ? 8 : 0);
  *out = &s->b.vt;
  return QV_OK;
}
