/* The GROUP BY hash table: key values -> dense group ids.
 *
 * Two layouts, both open addressing with linear probing over a power-of-two
 * slot array that doubles when it is three-quarters full, probed a batch at
 * a time: hashes for the whole batch first, then one tight loop that
 * prefetches the slot of a row a few positions ahead, so that a table much
 * larger than the caches still keeps several memory loads in flight.
 *
 * - Fast path, one fixed-width key of at most 8 bytes (integers, dates,
 *   times, timestamps, durations, floats, bool): the value itself, widened
 *   to 64 bits (floats canonicalised: -0.0 as 0.0, one NaN), sits in the
 *   16-byte slot next to its group id, so a lookup touches one cache line.
 *   The slot index is Fibonacci hashing (multiply, keep the high bits). Null
 *   keys get a group without a slot. Keys are laid out densely by group id
 *   only when the groups are emitted.
 * - String path, one binary or utf8 key (either offset width): the bytes
 *   are hashed with qv_hash_columns and compared as they are, and each
 *   group's bytes are appended to a heap from which emission builds the
 *   string array directly; the null key is a group without a slot.
 * - General path, anything else (several keys, decimals, dictionaries):
 *   each row's keys are encoded with the row format, whose
 *   bytes are equal exactly when the keys are equal under GROUP BY (nulls
 *   equal, -0.0 = 0.0, NaNs equal), and hashed with qv_hash_columns, the
 *   engine's one hash. A slot holds 32 bits of the hash (a filter before the
 *   memcmp) and the group id; the groups' encoded keys are appended to one
 *   byte heap, with their start offsets and full hashes kept per group so
 *   that growing never re-hashes keys. Emission decodes the rows back.
 *
 * All memory comes from the allocator given at creation (the query's pool). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/group_table.h"
#include "expr/aggregate_internal.h"
#include "quiver/compute.h"

#define MIN_SLOTS 1024
#define PREFETCH_DISTANCE 16
#define FIB UINT64_C(0x9E3779B97F4A7C15)

typedef struct fast_slot {
  uint64_t key;
  uint32_t gid1; /* group id + 1; 0 = empty */
  uint32_t unused;
} fast_slot;

typedef struct gen_slot {
  uint32_t salt; /* high 32 bits of the hash */
  uint32_t gid1;
} gen_slot;

struct qv_group_table {
  qv_allocator *alloc;
  int32_t n_keys;
  qv_data_type **types;
  bool fast;
  bool str; /* the string path */
  qv_type_id fast_id;
  int32_t fast_width;
  bool finalized;

  int64_t n_groups;
  int64_t n_slots; /* power of two */
  int shift;       /* fast: 64 - log2(n_slots) */
  void *slots;
  int64_t grow_at;

  /* fast and string paths */
  int64_t null_group; /* -1: none yet */
  uint64_t *dense;    /* keys by group id, built by the first emit */

  /* general and string paths */
  uint64_t *group_hashes;
  int64_t *row_starts; /* n_groups + 1 */
  int64_t groups_cap;
  qv_bytes heap;

  /* per-batch scratch */
  uint64_t *hashes;
  uint64_t *keys;    /* fast: widened key values */
  int64_t *offsets;  /* general: row offsets, n + 1 */
  int64_t scratch_cap;
  qv_bytes rows;
};

static qv_status table_alloc_error(qv_group_table *t, int64_t bytes, qv_error *err) {
  return qv__agg_alloc_error(t->alloc, bytes, err, "growing the group table (%lld groups)", (long long)t->n_groups);
}

static int64_t slot_size(const qv_group_table *t) {
  return t->fast ? (int64_t)sizeof(fast_slot) : (int64_t)sizeof(gen_slot);
}

static bool fast_type(qv_type_id id) {
  switch (id) {
    case QV_BOOL: case QV_INT8: case QV_INT16: case QV_INT32: case QV_INT64: case QV_UINT8: case QV_UINT16:
    case QV_UINT32: case QV_UINT64: case QV_FLOAT32: case QV_FLOAT64: case QV_DATE32: case QV_DATE64:
    case QV_TIME32: case QV_TIME64: case QV_TIMESTAMP: case QV_DURATION: case QV_INTERVAL_MONTHS:
      return true;
    default:
      return false;
  }
}

qv_status qv__group_table_create(qv_data_type *const *types, int32_t n_keys, qv_allocator *alloc,
                                 qv_group_table **out, qv_error *err) {
  *out = NULL;
  if (n_keys < 1) return qv_error_set(err, QV_INVALID, "group table: needs at least one key, got %d", n_keys);
  qv_group_table *t = calloc(1, sizeof *t);
  if (t) t->types = calloc((size_t)n_keys, sizeof *t->types);
  if (!t || !t->types) {
    free(t);
    return qv_error_set(err, QV_NOMEM, "group table: out of memory");
  }
  t->alloc = alloc;
  t->n_keys = n_keys;
  for (int32_t i = 0; i < n_keys; i++) t->types[i] = qv_type_ref(types[i]);
  t->fast = n_keys == 1 && fast_type(types[0]->id);
  t->str = n_keys == 1 && qv_type_is_binary_like(types[0]->id);
  t->fast_id = types[0]->id;
  t->fast_width = types[0]->id == QV_BOOL ? 1 : types[0]->byte_width;
  t->null_group = -1;
  qv_bytes_init(&t->heap, alloc);
  qv_bytes_init(&t->rows, alloc);
  *out = t;
  return QV_OK;
}

void qv__group_table_destroy(qv_group_table *t) {
  if (!t) return;
  qv_free(t->alloc, t->slots, t->n_slots * slot_size(t));
  qv_free(t->alloc, t->dense, (t->n_groups ? t->n_groups : 1) * 8);
  qv_free(t->alloc, t->group_hashes, t->groups_cap * 8);
  qv_free(t->alloc, t->row_starts, (t->groups_cap + 1) * 8);
  qv_free(t->alloc, t->hashes, t->scratch_cap * 8);
  qv_free(t->alloc, t->keys, t->scratch_cap * 8);
  qv_free(t->alloc, t->offsets, (t->scratch_cap + 1) * 8);
  qv_bytes_reset(&t->heap);
  qv_bytes_reset(&t->rows);
  for (int32_t i = 0; i < t->n_keys; i++) qv_type_unref(t->types[i]);
  free(t->types);
  free(t);
}

int64_t qv__group_table_num_groups(const qv_group_table *t) { return t->n_groups; }

int64_t qv__group_table_bytes(const qv_group_table *t) {
  return t->n_slots * slot_size(t) + (t->dense ? t->n_groups * 8 : 0) + t->groups_cap * 16 + t->heap.capacity +
         t->scratch_cap * 24 + t->rows.capacity;
}

/* ---- growing ------------------------------------------------------------------ */

static int log2_of(int64_t n) {
  int k = 0;
  while (((int64_t)1 << k) < n) k++;
  return k;
}

/* Rebuilds the slot array with n_slots slots from the groups already in it. */
static qv_status rehash(qv_group_table *t, int64_t n_slots, qv_error *err) {
  int64_t bytes = n_slots * slot_size(t);
  void *fresh = qv_alloc_zeroed(t->alloc, bytes);
  if (!fresh) return table_alloc_error(t, bytes, err);
  uint64_t mask = (uint64_t)n_slots - 1;
  if (t->fast) {
    int shift = 64 - log2_of(n_slots);
    fast_slot *dst = fresh;
    const fast_slot *src = t->slots;
    for (int64_t i = 0; i < t->n_slots; i++) {
      if (!src[i].gid1) continue;
      uint64_t at = (src[i].key * FIB) >> shift;
      while (dst[at].gid1) at = (at + 1) & mask;
      dst[at] = src[i];
    }
    t->shift = shift;
  } else {
    gen_slot *dst = fresh;
    for (int64_t g = 0; g < t->n_groups; g++) {
      if (g == t->null_group) continue; /* the string path's null key has no slot */
      uint64_t h = t->group_hashes[g], at = h & mask;
      while (dst[at].gid1) at = (at + 1) & mask;
      dst[at] = (gen_slot){(uint32_t)(h >> 32), (uint32_t)(g + 1)};
    }
  }
  qv_free(t->alloc, t->slots, t->n_slots * slot_size(t));
  t->slots = fresh;
  t->n_slots = n_slots;
  t->grow_at = n_slots / 4 * 3;
  return QV_OK;
}

static qv_status reserve_scratch(qv_group_table *t, int64_t n, qv_error *err) {
  if (n <= t->scratch_cap && t->hashes) return QV_OK;
  int64_t cap = t->scratch_cap ? t->scratch_cap : 1024;
  while (cap < n) cap *= 2;
  uint64_t *h = qv_alloc(t->alloc, cap * 8), *k = qv_alloc(t->alloc, cap * 8);
  int64_t *o = qv_alloc(t->alloc, (cap + 1) * 8);
  if (!h || !k || !o) {
    qv_free(t->alloc, h, cap * 8);
    qv_free(t->alloc, k, cap * 8);
    qv_free(t->alloc, o, (cap + 1) * 8);
    return table_alloc_error(t, cap * 24, err);
  }
  qv_free(t->alloc, t->hashes, t->scratch_cap * 8);
  qv_free(t->alloc, t->keys, t->scratch_cap * 8);
  qv_free(t->alloc, t->offsets, (t->scratch_cap + 1) * 8);
  t->hashes = h;
  t->keys = k;
  t->offsets = o;
  t->scratch_cap = cap;
  return QV_OK;
}

/* General path: room for one more group's hash and row start. */
static qv_status reserve_groups(qv_group_table *t, qv_error *err) {
  if (t->n_groups < t->groups_cap) return QV_OK;
  int64_t cap = t->groups_cap ? t->groups_cap * 2 : 1024;
  uint64_t *h = qv_alloc(t->alloc, cap * 8);
  int64_t *r = qv_alloc(t->alloc, (cap + 1) * 8);
  if (!h || !r) {
    qv_free(t->alloc, h, cap * 8);
    qv_free(t->alloc, r, (cap + 1) * 8);
    return table_alloc_error(t, cap * 16, err);
  }
  if (t->groups_cap) {
    memcpy(h, t->group_hashes, (size_t)t->n_groups * 8);
    memcpy(r, t->row_starts, (size_t)(t->n_groups + 1) * 8);
  }
  qv_free(t->alloc, t->group_hashes, t->groups_cap * 8);
  qv_free(t->alloc, t->row_starts, (t->groups_cap + 1) * 8);
  t->group_hashes = h;
  t->row_starts = r;
  t->groups_cap = cap;
  return QV_OK;
}

/* ---- the fast path -------------------------------------------------------------- */

/* The keys of rows 0..n-1 widened to 64 bits (zero-extended bit patterns,
 * which keeps equality; floats canonicalised). */
static void load_fast_keys(const qv_group_table *t, const qv_array *a, int64_t n, uint64_t *k) {
  const uint8_t *v = qv__array_data(a, 1);
  int64_t off = a->offset;
  switch (t->fast_id) {
    case QV_BOOL:
      for (int64_t i = 0; i < n; i++) k[i] = qv_bit_get(v, off + i);
      return;
    case QV_FLOAT32:
      for (int64_t i = 0; i < n; i++) {
        float f = ((const float *)(const void *)v)[off + i];
        if (f == 0) f = 0.0f;
        if (isnan(f)) f = NAN;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        k[i] = bits;
      }
      return;
    case QV_FLOAT64:
      for (int64_t i = 0; i < n; i++) {
        double f = ((const double *)(const void *)v)[off + i];
        if (f == 0) f = 0.0;
        if (isnan(f)) f = NAN;
        memcpy(&k[i], &f, 8);
      }
      return;
    default:
      break;
  }
  switch (t->fast_width) {
    case 1: for (int64_t i = 0; i < n; i++) k[i] = ((const uint8_t *)v)[off + i]; break;
    case 2: for (int64_t i = 0; i < n; i++) k[i] = ((const uint16_t *)(const void *)v)[off + i]; break;
    case 4: for (int64_t i = 0; i < n; i++) k[i] = ((const uint32_t *)(const void *)v)[off + i]; break;
    default: memcpy(k, (const uint64_t *)(const void *)v + off, (size_t)n * 8); break;
  }
}

static qv_status map_fast(qv_group_table *t, qv_array *a, int64_t n, uint32_t *gids, qv_error *err) {
  uint64_t *k = t->keys, *hs = t->hashes;
  load_fast_keys(t, a, n, k);
  for (int64_t i = 0; i < n; i++) hs[i] = k[i] * FIB;
  const uint8_t *validity = qv_array_null_count(a) > 0 ? qv__array_data(a, 0) : NULL;
  int64_t off = a->offset, ng = t->n_groups;
  fast_slot *slots = t->slots;
  int shift = t->shift;
  uint64_t mask = (uint64_t)t->n_slots - 1;
  qv_status st = QV_OK;
  for (int64_t i = 0; i < n; i++) {
    if (validity && !qv_bit_get(validity, off + i)) {
      if (t->null_group < 0) t->null_group = ng++;
      gids[i] = (uint32_t)t->null_group;
      continue;
    }
    if (i + PREFETCH_DISTANCE < n) __builtin_prefetch(&slots[hs[i + PREFETCH_DISTANCE] >> shift]);
    uint64_t key = k[i], at = hs[i] >> shift;
    for (;;) {
      fast_slot *s = &slots[at];
      if (s->gid1 == 0) {
        if (ng >= (int64_t)UINT32_MAX - 1) {
          t->n_groups = ng;
          return qv_error_set(err, QV_INVALID, "group table: more than 2^32 groups");
        }
        s->key = key;
        s->gid1 = (uint32_t)(ng + 1);
        gids[i] = (uint32_t)ng++;
        break;
      }
      if (s->key == key) {
        gids[i] = s->gid1 - 1;
        break;
      }
      at = (at + 1) & mask;
    }
    if (ng > t->grow_at) {
      t->n_groups = ng;
      st = rehash(t, t->n_slots * 2, err);
      if (st != QV_OK) return st;
      slots = t->slots;
      shift = t->shift;
      mask = (uint64_t)t->n_slots - 1;
    }
  }
  t->n_groups = ng;
  return QV_OK;
}

/* ---- the general path ------------------------------------------------------------ */

static qv_status map_general(qv_group_table *t, qv_array *const *keys, int64_t n, uint32_t *gids, qv_error *err) {
  t->rows.size = 0;
  qv_status st = qv_row_encode((const qv_array *const *)keys, NULL, t->n_keys, n, &t->rows, t->offsets, err);
  if (st == QV_NOMEM) return table_alloc_error(t, t->rows.capacity, err);
  if (st != QV_OK) return st;
  QV_RETURN_NOT_OK(qv_hash_columns((const qv_array *const *)keys, t->n_keys, n, t->hashes, err));
  const uint64_t *hs = t->hashes;
  const int64_t *ro = t->offsets;
  gen_slot *slots = t->slots;
  uint64_t mask = (uint64_t)t->n_slots - 1;
  for (int64_t i = 0; i < n; i++) {
    if (i + PREFETCH_DISTANCE < n) __builtin_prefetch(&slots[hs[i + PREFETCH_DISTANCE] & mask]);
    uint64_t h = hs[i], at = h & mask;
    uint32_t salt = (uint32_t)(h >> 32);
    const uint8_t *row = t->rows.data + ro[i];
    int64_t len = ro[i + 1] - ro[i];
    for (;;) {
      gen_slot *s = &slots[at];
      if (s->gid1 == 0) {
        int64_t g = t->n_groups;
        if (g >= (int64_t)UINT32_MAX - 1) return qv_error_set(err, QV_INVALID, "group table: more than 2^32 groups");
        QV_RETURN_NOT_OK(reserve_groups(t, err));
        if (qv_bytes_append(&t->heap, row, len, err) != QV_OK) return table_alloc_error(t, len, err);
        if (g == 0) t->row_starts[0] = 0;
        t->row_starts[g + 1] = t->heap.size;
        t->group_hashes[g] = h;
        *s = (gen_slot){salt, (uint32_t)(g + 1)};
        gids[i] = (uint32_t)g;
        t->n_groups = g + 1;
        break;
      }
      if (s->salt == salt) {
        int64_t g = s->gid1 - 1, gl = t->row_starts[g + 1] - t->row_starts[g];
        if (gl == len && memcmp(t->heap.data + t->row_starts[g], row, (size_t)len) == 0) {
          gids[i] = (uint32_t)g;
          break;
        }
      }
      at = (at + 1) & mask;
    }
    if (t->n_groups > t->grow_at) {
      QV_RETURN_NOT_OK(rehash(t, t->n_slots * 2, err));
      slots = t->slots;
      mask = (uint64_t)t->n_slots - 1;
    }
  }
  return QV_OK;
}

/* ---- the string path ------------------------------------------------------------ */

/* Appends a group whose key is the n bytes at p (p NULL: the null key). */
static qv_status add_str_group(qv_group_table *t, uint64_t h, const uint8_t *p, int64_t n, qv_error *err) {
  int64_t g = t->n_groups;
  if (g >= (int64_t)UINT32_MAX - 1) return qv_error_set(err, QV_INVALID, "group table: more than 2^32 groups");
  QV_RETURN_NOT_OK(reserve_groups(t, err));
  if (n && qv_bytes_append(&t->heap, p, n, err) != QV_OK) return table_alloc_error(t, n, err);
  if (g == 0) t->row_starts[0] = 0;
  t->row_starts[g + 1] = t->heap.size;
  t->group_hashes[g] = h;
  t->n_groups = g + 1;
  return QV_OK;
}

static qv_status map_str(qv_group_table *t, qv_array *a, int64_t n, uint32_t *gids, qv_error *err) {
  const qv_array *cols[1] = {a};
  QV_RETURN_NOT_OK(qv_hash_columns(cols, 1, n, t->hashes, err));
  const uint64_t *hs = t->hashes;
  bool large = a->type->id == QV_LARGE_UTF8 || a->type->id == QV_LARGE_BINARY;
  const int32_t *o32 = (const int32_t *)(const void *)qv__array_data(a, 1) + a->offset;
  const int64_t *o64 = (const int64_t *)(const void *)qv__array_data(a, 1) + a->offset;
  const uint8_t *data = qv__array_data(a, 2);
  const uint8_t *validity = qv_array_null_count(a) > 0 ? qv__array_data(a, 0) : NULL;
  gen_slot *slots = t->slots;
  uint64_t mask = (uint64_t)t->n_slots - 1;
  for (int64_t i = 0; i < n; i++) {
    if (validity && !qv_bit_get(validity, a->offset + i)) {
      if (t->null_group < 0) {
        t->null_group = t->n_groups;
        QV_RETURN_NOT_OK(add_str_group(t, 0, NULL, 0, err));
      }
      gids[i] = (uint32_t)t->null_group;
      continue;
    }
    if (i + PREFETCH_DISTANCE < n) __builtin_prefetch(&slots[hs[i + PREFETCH_DISTANCE] & mask]);
    int64_t b = large ? o64[i] : o32[i], len = (large ? o64[i + 1] : o32[i + 1]) - b;
    const uint8_t *p = data + b;
    uint64_t h = hs[i], at = h & mask;
    uint32_t salt = (uint32_t)(h >> 32);
    for (;;) {
      gen_slot *s = &slots[at];
      if (s->gid1 == 0) {
        int64_t g = t->n_groups;
        QV_RETURN_NOT_OK(add_str_group(t, h, p, len, err));
        *s = (gen_slot){salt, (uint32_t)(g + 1)};
        gids[i] = (uint32_t)g;
        break;
      }
      if (s->salt == salt) {
        int64_t g = s->gid1 - 1, gl = t->row_starts[g + 1] - t->row_starts[g];
        if (gl == len && memcmp(t->heap.data + t->row_starts[g], p, (size_t)len) == 0) {
          gids[i] = (uint32_t)g;
          break;
        }
      }
      at = (at + 1) & mask;
    }
    if (t->n_groups > t->grow_at) {
      QV_RETURN_NOT_OK(rehash(t, t->n_slots * 2, err));
      slots = t->slots;
      mask = (uint64_t)t->n_slots - 1;
    }
  }
  return QV_OK;
}

static qv_status emit_str(qv_group_table *t, int64_t start, int64_t n, qv_array **out, qv_error *err) {
  qv_data_type *type = t->types[0];
  bool large = type->id == QV_LARGE_UTF8 || type->id == QV_LARGE_BINARY;
  int64_t base = n ? t->row_starts[start] : 0, bytes = n ? t->row_starts[start + n] - base : 0;
  if (!large && bytes > INT32_MAX)
    return qv_error_set(err, QV_INVALID, "group table: %lld bytes of keys do not fit 32-bit offsets", (long long)bytes);
  qv_buffer *offsets = NULL, *data = NULL, *validity = NULL;
  qv_status st = qv__agg_buffer(t->alloc, n + 1, large ? 8 : 4, &offsets, err);
  if (st == QV_OK) st = qv__agg_buffer(t->alloc, bytes, 1, &data, err);
  if (st == QV_OK) {
    if (bytes) memcpy(data->data, t->heap.data + base, (size_t)bytes);
    for (int64_t i = 0; i <= n; i++) {
      int64_t o = n ? t->row_starts[start + i] - base : 0;
      if (large) ((int64_t *)(void *)offsets->data)[i] = o;
      else ((int32_t *)(void *)offsets->data)[i] = (int32_t)o;
    }
  }
  int64_t nulls = 0;
  if (st == QV_OK && t->null_group >= start && t->null_group < start + n) {
    st = qv__agg_buffer(t->alloc, n, 0, &validity, err);
    if (st == QV_OK) {
      memset(validity->data, 0xff, (size_t)((n + 7) / 8));
      qv_bit_clear(validity->data, t->null_group - start);
      nulls = 1;
    }
  }
  if (st == QV_OK) {
    qv_buffer *bufs[3] = {validity, offsets, data};
    st = qv_array_create(type, n, 0, nulls, bufs, 3, NULL, 0, NULL, out, err);
  }
  qv_buffer_unref(offsets);
  qv_buffer_unref(data);
  qv_buffer_unref(validity);
  return st;
}

qv_status qv__group_table_map(qv_group_table *t, qv_array *const *keys, int64_t n_rows, uint32_t *group_ids,
                              qv_error *err) {
  if (t->finalized) return qv_error_set(err, QV_INTERNAL, "group table: rows added after the groups were emitted");
  for (int32_t i = 0; i < t->n_keys; i++)
    if (keys[i]->length < n_rows)
      return qv_error_set(err, QV_INVALID, "group table: key %d has %lld rows, expected %lld", i,
                          (long long)keys[i]->length, (long long)n_rows);
  if (n_rows == 0) return QV_OK;
  if (!t->slots) {
    t->shift = 64 - log2_of(MIN_SLOTS);
    QV_RETURN_NOT_OK(rehash(t, MIN_SLOTS, err));
  }
  QV_RETURN_NOT_OK(reserve_scratch(t, n_rows, err));
  if (t->fast) return map_fast(t, keys[0], n_rows, group_ids, err);
  if (t->str) return map_str(t, keys[0], n_rows, group_ids, err);
  return map_general(t, keys, n_rows, group_ids, err);
}

/* ---- emission --------------------------------------------------------------------------- */

/* Lays the fast path's keys out by group id and frees the slots. */
static qv_status build_dense(qv_group_table *t, qv_error *err) {
  int64_t bytes = (t->n_groups ? t->n_groups : 1) * 8;
  t->dense = qv_alloc_zeroed(t->alloc, bytes);
  if (!t->dense) return table_alloc_error(t, bytes, err);
  const fast_slot *s = t->slots;
  for (int64_t i = 0; i < t->n_slots; i++)
    if (s[i].gid1) t->dense[s[i].gid1 - 1] = s[i].key;
  qv_free(t->alloc, t->slots, t->n_slots * slot_size(t));
  t->slots = NULL;
  t->n_slots = 0;
  return QV_OK;
}

static qv_status emit_fast(qv_group_table *t, int64_t start, int64_t n, qv_array **out, qv_error *err) {
  if (!t->dense) QV_RETURN_NOT_OK(build_dense(t, err));
  qv_data_type *type = t->types[0];
  const uint64_t *k = t->dense + start;
  qv_buffer *values = NULL;
  QV_RETURN_NOT_OK(qv__agg_buffer(t->alloc, n, t->fast_id == QV_BOOL ? 0 : t->fast_width, &values, err));
  uint8_t *v = values->data;
  switch (t->fast_id == QV_BOOL ? 0 : t->fast_width) {
    case 0:
      memset(v, 0, (size_t)((n + 7) / 8));
      for (int64_t i = 0; i < n; i++) v[i >> 3] |= (uint8_t)((k[i] & 1) << (i & 7));
      break;
    case 1: for (int64_t i = 0; i < n; i++) v[i] = (uint8_t)k[i]; break;
    case 2: for (int64_t i = 0; i < n; i++) ((uint16_t *)(void *)v)[i] = (uint16_t)k[i]; break;
    case 4: for (int64_t i = 0; i < n; i++) ((uint32_t *)(void *)v)[i] = (uint32_t)k[i]; break;
    default: memcpy(v, k, (size_t)n * 8); break;
  }
  uint8_t *valid = NULL;
  qv_buffer *vb = NULL;
  if (t->null_group >= start && t->null_group < start + n) {
    qv_status st = qv__agg_buffer(t->alloc, n, 0, &vb, err);
    if (st != QV_OK) {
      qv_buffer_unref(values);
      return st;
    }
    valid = vb->data;
    memset(valid, 0xff, (size_t)((n + 7) / 8));
    qv_bit_clear(valid, t->null_group - start);
  }
  qv_status st = qv__agg_fixed_array(t->alloc, type, n, values, valid, out, err);
  qv_buffer_unref(vb);
  return st;
}

qv_status qv__group_table_emit(qv_group_table *t, int64_t start, int64_t n, qv_array **out, qv_error *err) {
  for (int32_t i = 0; i < t->n_keys; i++) out[i] = NULL;
  if (start < 0 || n < 0 || start + n > t->n_groups)
    return qv_error_set(err, QV_INVALID, "group table: groups [%lld, +%lld) out of %lld", (long long)start,
                        (long long)n, (long long)t->n_groups);
  t->finalized = true;
  if (t->fast) return emit_fast(t, start, n, out, err);
  if (t->str) return emit_str(t, start, n, out, err);
  static const int64_t zero = 0;
  return qv_row_decode(t->alloc, t->types, NULL, t->n_keys, t->heap.data, t->row_starts ? t->row_starts + start : &zero,
                       n, out, err);
}
