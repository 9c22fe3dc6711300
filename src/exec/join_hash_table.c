/* Join keys and the join hash table.
 *
 * Keys: the key expressions of a join are evaluated over a whole batch,
 * dictionary columns decoded to their values, and every row hashed with
 * qv_hash_columns (the engine's one hash, so equal keys hash alike whatever
 * their integer width, float sign of zero or dictionary encoding).
 *
 * The table: open addressing (linear probing, at most half full) indexed by
 * a multiplicative remix of the row hash (the high bits of the hash choose
 * the partition in a hash-partitioned plan, so they vary little within one).
 * A slot is 8 bytes, so that a million build rows take 16 MB of slots: a
 * 32-bit tag (the hash's low bits) and the head of a chain of the build rows
 * with that tag, linked through a per-row `next` array; rows are inserted
 * from last to first so that chains run in ascending row order and output
 * keeps build order. Once built, every chain is checked: when all its rows
 * have equal keys (always, unless two keys share a tag) the slot is uniform,
 * and a probe row needs one key comparison, against the head, to match the
 * whole chain, however many duplicates it holds; a chain of one row is
 * flagged so that probing never reads its `next` link.
 *
 * Equality: qv__join_keys_compact_equal compares a vector of candidate pairs
 * column by column, keeping the equal ones in place, with one loop per
 * physical layout and no per-row indirect calls. Floats compare as SQL join
 * keys do: -0.0 equals 0.0 and NaN equals NaN (as the hash treats them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arrow/internal.h"
#include "exec/join_internal.h"

/* ---- keys --------------------------------------------------------------------- */

bool qv__join_key_type_supported(const qv_data_type *t) {
  if (t->id == QV_DICTIONARY) return qv__join_key_type_supported(t->dict_value);
  return !qv_type_is_nested(t->id) && t->id != QV_SPARSE_UNION && t->id != QV_DENSE_UNION;
}

void qv__join_keys_reset(qv_join_keys *k) {
  for (int32_t i = 0; i < k->n_cols; i++) qv_array_unref(k->cols[i]);
  free(k->cols);
  if (k->hashes) qv_free(k->alloc, k->hashes, k->n_rows * (int64_t)sizeof *k->hashes);
  if (k->null_rows) qv_free(k->alloc, k->null_rows, k->n_rows);
  memset(k, 0, sizeof *k);
}

/* A dictionary array decoded into an array of its value type. */
static qv_status dictionary_decode(qv_allocator *alloc, qv_array *a, qv_array **out, qv_error *err) {
  int64_t n = a->length;
  uint32_t *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
  if (!idx) return qv_error_set(err, QV_NOMEM, "join: out of memory");
  const uint8_t *valid = qv__array_data(a, 0), *raw = qv__array_data(a, 1);
  int64_t dict_len = a->dictionary->length;
  qv_status st = QV_OK;
  for (int64_t i = 0; i < n && st == QV_OK; i++) {
    int64_t j = a->offset + i, v;
    if (valid && !qv_bit_get(valid, j)) {
      idx[i] = QV_TAKE_NULL_U32;
      continue;
    }
    switch (a->type->dict_index->id) {
      case QV_INT8: v = ((const int8_t *)raw)[j]; break;
      case QV_UINT8: v = ((const uint8_t *)raw)[j]; break;
      case QV_INT16: v = ((const int16_t *)raw)[j]; break;
      case QV_UINT16: v = ((const uint16_t *)raw)[j]; break;
      case QV_INT32: v = ((const int32_t *)raw)[j]; break;
      case QV_UINT32: v = ((const uint32_t *)raw)[j]; break;
      case QV_INT64: v = ((const int64_t *)raw)[j]; break;
      default: v = (int64_t)((const uint64_t *)raw)[j] & INT64_MAX; break;
    }
    if (v < 0 || v >= dict_len || v >= (int64_t)QV_TAKE_NULL_U32)
      st = qv_error_set(err, QV_OUT_OF_RANGE, "join: dictionary index %lld out of range [0, %lld)", (long long)v,
                        (long long)dict_len);
    else idx[i] = (uint32_t)v;
  }
  if (st == QV_OK) st = qv_array_take_nullable(alloc, a->dictionary, idx, n, out, err);
  free(idx);
  return st;
}

qv_status qv__join_keys_evaluate(qv_expr *const *exprs, int32_t n, qv_record_batch *batch, qv_allocator *alloc,
                                 qv_join_keys *k, qv_error *err) {
  memset(k, 0, sizeof *k);
  k->alloc = alloc;
  k->n_rows = batch->num_rows;
  k->cols = calloc((size_t)(n ? n : 1), sizeof *k->cols);
  if (!k->cols) return qv_error_set(err, QV_NOMEM, "join: out of memory");
  qv_status st = QV_OK;
  for (int32_t i = 0; st == QV_OK && i < n; i++) {
    qv_array *col = NULL;
    st = qv_expr_evaluate(exprs[i], batch, alloc, &col, err);
    if (st == QV_OK && col->type->id == QV_DICTIONARY) {
      qv_array *plain = NULL;
      st = dictionary_decode(alloc, col, &plain, err);
      qv_array_unref(col);
      col = plain;
    }
    if (st == QV_OK) k->cols[k->n_cols++] = col;
  }
  if (st == QV_OK) {
    k->hashes = qv_alloc(alloc, (k->n_rows ? k->n_rows : 1) * (int64_t)sizeof *k->hashes);
    if (!k->hashes) st = qv_error_set(err, QV_NOMEM, "join: out of memory for %lld key hashes", (long long)k->n_rows);
  }
  if (st == QV_OK) st = qv_hash_columns((const qv_array *const *)k->cols, k->n_cols, k->n_rows, k->hashes, err);
  for (int32_t c = 0; st == QV_OK && c < k->n_cols; c++) {
    qv_array *a = k->cols[c];
    if (qv_array_null_count(a) == 0) continue;
    if (!k->null_rows) {
      k->null_rows = qv_alloc_zeroed(alloc, k->n_rows);
      if (!k->null_rows) {
        st = qv_error_set(err, QV_NOMEM, "join: out of memory");
        break;
      }
    }
    const uint8_t *valid = qv__array_data(a, 0);
    if (a->type->id == QV_NA || !valid) {
      memset(k->null_rows, 1, (size_t)k->n_rows);
      continue;
    }
    for (int64_t r = 0; r < k->n_rows; r++) k->null_rows[r] |= (uint8_t)!qv_bit_get(valid, a->offset + r);
  }
  if (st == QV_OK && k->null_rows)
    for (int64_t r = 0; r < k->n_rows; r++) k->n_null_rows += k->null_rows[r];
  if (st != QV_OK) qv__join_keys_reset(k);
  return st;
}

/* ---- key equality --------------------------------------------------------------- */

static inline bool f32_equal(float x, float y) { return x == y || (isnan(x) && isnan(y)); }
static inline bool f64_equal(double x, double y) { return x == y || (isnan(x) && isnan(y)); }
static inline bool f16_equal(uint16_t x, uint16_t y) {
  bool xnan = (x & 0x7C00) == 0x7C00 && (x & 0x03FF), ynan = (y & 0x7C00) == 0x7C00 && (y & 0x03FF);
  if (xnan || ynan) return xnan && ynan;
  return x == y || ((x | y) & 0x7FFF) == 0; /* -0 == 0 */
}

/* One compaction loop: keeps pair i when EQ (an expression of x and y, the
 * absolute slots of the pair) holds, with SQL NULL handling when either side
 * has a validity bitmap. */
#define COMPACT(EQ)                                                                  \
  do {                                                                               \
    if (!av && !bv) {                                                                \
      for (int64_t i = 0; i < n; i++) {                                              \
        int64_t x = (int64_t)ai[i] + aoff, y = (int64_t)bi[i] + boff;                \
        bool keep = (EQ);                                                            \
        ai[m] = ai[i];                                                               \
        bi[m] = bi[i];                                                               \
        m += keep;                                                                   \
      }                                                                              \
    } else {                                                                         \
      for (int64_t i = 0; i < n; i++) {                                              \
        int64_t x = (int64_t)ai[i] + aoff, y = (int64_t)bi[i] + boff;                \
        bool va = !av || qv_bit_get(av, x), vb = !bv || qv_bit_get(bv, y);           \
        bool keep = (va && vb) ? (EQ) : (nulls_equal && !va && !vb);                 \
        ai[m] = ai[i];                                                               \
        bi[m] = bi[i];                                                               \
        m += keep;                                                                   \
      }                                                                              \
    }                                                                                \
  } while (0)

static int64_t compact_column(const qv_array *a, const qv_array *b, bool nulls_equal, uint32_t *ai, uint32_t *bi,
                              int64_t n) {
  int64_t m = 0, aoff = a->offset, boff = b->offset;
  qv_type_id id = a->type->id;
  if (id == QV_NA || b->type->id == QV_NA) {
    /* Every slot is NULL. */
    return nulls_equal ? n : 0;
  }
  const uint8_t *av = qv_array_null_count((qv_array *)a) ? qv__array_data(a, 0) : NULL;
  const uint8_t *bv = qv_array_null_count((qv_array *)b) ? qv__array_data(b, 0) : NULL;
  const uint8_t *ad = qv__array_data(a, 1), *bd = qv__array_data(b, 1);
  if (id == QV_BOOL) {
    COMPACT(qv_bit_get(ad, x) == qv_bit_get(bd, y));
    return m;
  }
  if (qv_type_is_binary_like(id)) {
    const uint8_t *adata = qv__array_data(a, 2), *bdata = qv__array_data(b, 2);
    bool a_large = id == QV_LARGE_BINARY || id == QV_LARGE_UTF8;
    bool b_large = b->type->id == QV_LARGE_BINARY || b->type->id == QV_LARGE_UTF8;
    if (!a_large && !b_large) {
      const int32_t *ao = (const int32_t *)ad, *bo = (const int32_t *)bd;
      COMPACT(ao[x + 1] - ao[x] == bo[y + 1] - bo[y] &&
              memcmp(adata + ao[x], bdata + bo[y], (size_t)(ao[x + 1] - ao[x])) == 0);
    } else {
      /* Mixed or large offsets: read both widths through int64. */
#define OFF(o, large, i) ((large) ? ((const int64_t *)(o))[i] : (int64_t)((const int32_t *)(o))[i])
      COMPACT(OFF(ad, a_large, x + 1) - OFF(ad, a_large, x) == OFF(bd, b_large, y + 1) - OFF(bd, b_large, y) &&
              memcmp(adata + OFF(ad, a_large, x), bdata + OFF(bd, b_large, y),
                     (size_t)(OFF(ad, a_large, x + 1) - OFF(ad, a_large, x))) == 0);
#undef OFF
    }
    return m;
  }
  switch (id) {
    case QV_FLOAT16: {
      const uint16_t *p = (const uint16_t *)ad, *q = (const uint16_t *)bd;
      COMPACT(f16_equal(p[x], q[y]));
      return m;
    }
    case QV_FLOAT32: {
      const float *p = (const float *)ad, *q = (const float *)bd;
      COMPACT(f32_equal(p[x], q[y]));
      return m;
    }
    case QV_FLOAT64: {
      const double *p = (const double *)ad, *q = (const double *)bd;
      COMPACT(f64_equal(p[x], q[y]));
      return m;
    }
    default: break;
  }
  switch (qv_type_byte_width(a->type)) {
    case 1: {
      const uint8_t *p = ad, *q = bd;
      COMPACT(p[x] == q[y]);
      return m;
    }
    case 2: {
      const uint16_t *p = (const uint16_t *)ad, *q = (const uint16_t *)bd;
      COMPACT(p[x] == q[y]);
      return m;
    }
    case 4: {
      const uint32_t *p = (const uint32_t *)ad, *q = (const uint32_t *)bd;
      COMPACT(p[x] == q[y]);
      return m;
    }
    case 8: {
      const uint64_t *p = (const uint64_t *)ad, *q = (const uint64_t *)bd;
      COMPACT(p[x] == q[y]);
      return m;
    }
    case 16: {
      const uint64_t *p = (const uint64_t *)ad, *q = (const uint64_t *)bd;
      COMPACT(p[2 * x] == q[2 * y] && p[2 * x + 1] == q[2 * y + 1]);
      return m;
    }
    default: {
      size_t w = (size_t)qv_type_byte_width(a->type);
      COMPACT(memcmp(ad + (size_t)x * w, bd + (size_t)y * w, w) == 0);
      return m;
    }
  }
}

#undef COMPACT

int64_t qv__join_keys_compact_equal(const qv_join_keys *a, const qv_join_keys *b, bool nulls_equal, uint32_t *a_idx,
                                    uint32_t *b_idx, int64_t n) {
  for (int32_t c = 0; c < a->n_cols && n > 0; c++)
    n = compact_column(a->cols[c], b->cols[c], nulls_equal, a_idx, b_idx, n);
  return n;
}

/* ---- the table ------------------------------------------------------------------------ */

#define SLOT_MIX UINT64_C(0x9E3779B97F4A7C15)

static inline uint64_t slot_of(uint64_t hash, int shift) { return (hash * SLOT_MIX) >> shift; }

/* Whether a key type is stored inline in an integer table. */
static bool int_key_type(const qv_data_type *t) {
  switch (t->id) {
    case QV_INT8: case QV_INT16: case QV_INT32: case QV_INT64:
    case QV_UINT8: case QV_UINT16: case QV_UINT32: case QV_UINT64:
    case QV_DATE32: case QV_DATE64: case QV_TIME32: case QV_TIME64:
    case QV_TIMESTAMP: case QV_DURATION: case QV_INTERVAL_MONTHS:
      return true;
    default:
      return false;
  }
}

/* Rows [from, from + n) of an integer-like array, widened to 64 bits. */
static void widen(const qv_array *a, int64_t from, int64_t n, int64_t *out) {
  const uint8_t *data = qv__array_data(a, 1);
  int64_t at = a->offset + from;
  bool sign = qv_type_is_signed_integer(a->type->id) || !qv_type_is_integer(a->type->id);
  switch (qv_type_byte_width(a->type)) {
    case 1:
      if (sign) for (int64_t i = 0; i < n; i++) out[i] = ((const int8_t *)data)[at + i];
      else for (int64_t i = 0; i < n; i++) out[i] = ((const uint8_t *)data)[at + i];
      break;
    case 2:
      if (sign) for (int64_t i = 0; i < n; i++) out[i] = ((const int16_t *)data)[at + i];
      else for (int64_t i = 0; i < n; i++) out[i] = ((const uint16_t *)data)[at + i];
      break;
    case 4:
      if (sign) for (int64_t i = 0; i < n; i++) out[i] = ((const int32_t *)data)[at + i];
      else for (int64_t i = 0; i < n; i++) out[i] = ((const uint32_t *)data)[at + i];
      break;
    default:
      memcpy(out, (const int64_t *)data + at, (size_t)n * sizeof *out);
      break;
  }
}

void qv__join_hash_table_destroy(qv_join_hash_table *t) {
  if (!t) return;
  if (t->slots) qv_free(t->alloc, t->slots, t->n_slots * (int64_t)sizeof *t->slots);
  if (t->int_slots) qv_free(t->alloc, t->int_slots, t->n_slots * (int64_t)sizeof *t->int_slots);
  if (t->next) qv_free(t->alloc, t->next, (t->n_rows ? t->n_rows : 1) * (int64_t)sizeof *t->next);
  if (t->slot_matched) qv_free(t->alloc, (void *)t->slot_matched, t->n_slots);
  free(t);
}

/* Asks for transparent huge pages under a big table: probing touches its
 * slots at random, and with 4 KB pages nearly every probe would also miss
 * the TLB. Only a hint; systems without it ignore it. */
static void advise_huge_pages(void *p, int64_t size) {
#if defined(MADV_HUGEPAGE)
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || size < ((int64_t)4 << 20)) return;
  uintptr_t start = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
  uintptr_t end = ((uintptr_t)p + (uintptr_t)size) & ~((uintptr_t)page - 1);
  if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
  (void)p;
  (void)size;
#endif
}

/* Zeroed slot memory, huge pages asked for before the first touch (which
 * decides the page size). */
static void *alloc_slots(qv_allocator *alloc, int64_t size) {
  void *p = qv_alloc(alloc, size);
  if (p) {
    advise_huge_pages(p, size);
    memset(p, 0, (size_t)size);
  }
  return p;
}

/* Block of (head, row) pairs checked at once while testing uniformity. */
#define UNIFORM_BLOCK 4096

typedef struct uniform_check {
  uint32_t heads[UNIFORM_BLOCK], rows[UNIFORM_BLOCK], slots[UNIFORM_BLOCK];
  uint32_t h1[UNIFORM_BLOCK], r1[UNIFORM_BLOCK];
  int64_t n;
} uniform_check;

/* Compares each pending (head, row) pair; a pair that differs makes its slot
 * not uniform. */
static void uniform_flush(uniform_check *u, qv_join_hash_table *t, const qv_join_keys *keys, bool nulls_equal) {
  int64_t m = u->n;
  memcpy(u->h1, u->heads, (size_t)m * sizeof *u->h1);
  memcpy(u->r1, u->rows, (size_t)m * sizeof *u->r1);
  if (qv__join_keys_compact_equal(keys, keys, nulls_equal, u->h1, u->r1, m) != m) {
    /* Some chain mixes keys: find which, pair by pair (very rare). */
    for (int64_t i = 0; i < m; i++) {
      uint32_t a = u->heads[i], b = u->rows[i];
      if (qv__join_keys_compact_equal(keys, keys, nulls_equal, &a, &b, 1) == 0)
        t->slots[u->slots[i]].head &= ~QV_JOIN_SLOT_UNIFORM;
    }
  }
  u->n = 0;
}

/* Marks the slots whose chains hold more than one distinct key as not
 * uniform. */
static qv_status check_uniform(qv_join_hash_table *t, const qv_join_keys *keys, bool nulls_equal, qv_error *err) {
  uniform_check *u = malloc(sizeof *u);
  if (!u) return qv_error_set(err, QV_NOMEM, "join: out of memory");
  u->n = 0;
  for (int64_t s = 0; s < t->n_slots; s++) {
    if (t->slots[s].head == 0) continue;
    uint32_t head = qv__join_slot_head(&t->slots[s]) - 1;
    for (uint32_t r = t->next[head]; r; r = t->next[r - 1]) {
      u->heads[u->n] = head;
      u->rows[u->n] = r - 1;
      u->slots[u->n] = (uint32_t)s;
      if (++u->n == UNIFORM_BLOCK) uniform_flush(u, t, keys, nulls_equal);
    }
  }
  if (u->n) uniform_flush(u, t, keys, nulls_equal);
  free(u);
  return QV_OK;
}

/* Links build row r in front of the chain of head word *head (rows are
 * inserted from last to first). */
static inline void chain_push(qv_join_hash_table *t, uint32_t *head, int64_t r, uint32_t flags) {
  if (!*head) {
    t->next[r] = 0;
    *head = ((uint32_t)r + 1) | flags | QV_JOIN_SLOT_SINGLE;
  } else {
    t->next[r] = *head & QV_JOIN_SLOT_ROW_MASK;
    *head = ((uint32_t)r + 1) | (*head & QV_JOIN_SLOT_UNIFORM);
  }
}

static qv_status build_int_table(qv_join_hash_table *t, const qv_join_keys *keys, bool nulls_equal,
                                 qv_error *err) {
  int64_t n = keys->n_rows;
  t->int_slots = alloc_slots(t->alloc, t->n_slots * (int64_t)sizeof *t->int_slots);
  int64_t *values = malloc((size_t)(n ? n : 1) * sizeof *values);
  if (!t->int_slots || !values) {
    free(values);
    return qv_error_set(err, QV_NOMEM, "join: out of memory for a hash table of %lld rows", (long long)n);
  }
  widen(keys->cols[0], 0, n, values);
  const uint64_t *hashes = keys->hashes;
  const uint8_t *nulls = keys->null_rows;
  uint64_t mask = (uint64_t)t->n_slots - 1;
  for (int64_t r = n - 1; r >= 0; r--) {
    if (nulls && nulls[r]) {
      if (nulls_equal) chain_push(t, &t->null_head, r, QV_JOIN_SLOT_UNIFORM);
      continue;
    }
    int64_t key = values[r];
    uint64_t s = slot_of(hashes[r], t->shift);
    while (t->int_slots[s].head && t->int_slots[s].key != key) s = (s + 1) & mask;
    t->int_slots[s].key = key;
    chain_push(t, &t->int_slots[s].head, r, QV_JOIN_SLOT_UNIFORM);
  }
  free(values);
  return QV_OK;
}

static qv_status build_tag_table(qv_join_hash_table *t, const qv_join_keys *keys, bool nulls_equal,
                                 bool with_slot_marks, qv_error *err) {
  int64_t n = keys->n_rows;
  t->slots = alloc_slots(t->alloc, t->n_slots * (int64_t)sizeof *t->slots);
  if (with_slot_marks) t->slot_matched = qv_alloc_zeroed(t->alloc, t->n_slots);
  if (!t->slots || (with_slot_marks && !t->slot_matched))
    return qv_error_set(err, QV_NOMEM, "join: out of memory for a hash table of %lld rows", (long long)n);
  const uint64_t *hashes = keys->hashes;
  const uint8_t *skip = nulls_equal ? NULL : keys->null_rows;
  uint64_t mask = (uint64_t)t->n_slots - 1;
  bool duplicates = false;
  for (int64_t r = n - 1; r >= 0; r--) {
    if (skip && skip[r]) continue;
    uint64_t h = hashes[r];
    uint32_t tag = (uint32_t)h;
    uint64_t s = slot_of(h, t->shift);
    while (t->slots[s].head && t->slots[s].tag != tag) s = (s + 1) & mask;
    duplicates |= t->slots[s].head != 0;
    t->slots[s].tag = tag;
    chain_push(t, &t->slots[s].head, r, QV_JOIN_SLOT_UNIFORM);
  }
  return duplicates ? check_uniform(t, keys, nulls_equal, err) : QV_OK;
}

qv_status qv__join_hash_table_build(qv_allocator *alloc, const qv_join_keys *keys, bool nulls_equal,
                                    bool with_slot_marks, qv_join_hash_table **out, qv_error *err) {
  *out = NULL;
  int64_t n = keys->n_rows;
  if (n >= (int64_t)QV_JOIN_SLOT_ROW_MASK)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "join: a hash table of %lld rows (at most 2^30)", (long long)n);
  qv_join_hash_table *t = calloc(1, sizeof *t);
  if (!t) return qv_error_set(err, QV_NOMEM, "join: out of memory");
  t->alloc = alloc;
  t->n_rows = n;
  t->int_keys = keys->n_cols == 1 && int_key_type(keys->cols[0]->type);
  atomic_init(&t->null_matched, 0);
  int64_t n_insert = n - keys->n_null_rows;
  /* At most half full. */
  int log2 = 4;
  while (((int64_t)1 << log2) < 2 * n_insert) log2++;
  t->n_slots = (int64_t)1 << log2;
  t->shift = 64 - log2;
  t->next = qv_alloc(alloc, (n ? n : 1) * (int64_t)sizeof *t->next);
  qv_status st = QV_OK;
  if (!t->next) st = qv_error_set(err, QV_NOMEM, "join: out of memory for a hash table of %lld rows", (long long)n);
  if (st == QV_OK && t->int_keys) st = build_int_table(t, keys, nulls_equal, err);
  else if (st == QV_OK) st = build_tag_table(t, keys, nulls_equal, with_slot_marks, err);
  if (st != QV_OK) {
    qv__join_hash_table_destroy(t);
    return st;
  }
  *out = t;
  return QV_OK;
}

/* How many rows ahead a lookup prefetches its slot. */
#define PREFETCH_DISTANCE 16
/* Probe keys widened at a time in an integer table. */
#define WIDEN_BLOCK 256

static void find_int(const qv_join_hash_table *t, const qv_join_keys *probe, int64_t from, int64_t n,
                     bool nulls_equal, uint32_t *slots_out, uint32_t *heads_out) {
  const qv_join_int_slot *slots = t->int_slots;
  const uint64_t *hashes = probe->hashes + from;
  const uint8_t *nulls = probe->null_rows ? probe->null_rows + from : NULL;
  uint64_t mask = (uint64_t)t->n_slots - 1;
  int shift = t->shift;
  int64_t values[WIDEN_BLOCK];
  for (int64_t b = 0; b < n; b += WIDEN_BLOCK) {
    int64_t end = n - b < WIDEN_BLOCK ? n : b + WIDEN_BLOCK;
    widen(probe->cols[0], from + b, end - b, values);
    for (int64_t i = b; i < end; i++) {
      if (i + PREFETCH_DISTANCE < n) __builtin_prefetch(&slots[slot_of(hashes[i + PREFETCH_DISTANCE], shift)]);
      slots_out[i] = QV_JOIN_NO_SLOT;
      heads_out[i] = 0;
      if (nulls && nulls[i]) {
        if (nulls_equal && t->null_head) {
          slots_out[i] = QV_JOIN_NULL_SLOT;
          heads_out[i] = t->null_head;
        }
        continue;
      }
      int64_t key = values[i - b];
      for (uint64_t s = slot_of(hashes[i], shift);; s = (s + 1) & mask) {
        uint32_t head = slots[s].head;
        if (!head) break;
        if (slots[s].key == key) {
          slots_out[i] = (uint32_t)s;
          heads_out[i] = head;
          break;
        }
      }
    }
  }
}

void qv__join_hash_table_find(const qv_join_hash_table *t, const qv_join_keys *probe, int64_t from, int64_t n,
                              bool nulls_equal, uint32_t *slots_out, uint32_t *heads_out) {
  if (t->int_keys) {
    find_int(t, probe, from, n, nulls_equal, slots_out, heads_out);
    return;
  }
  const qv_join_slot *slots = t->slots;
  const uint64_t *hashes = probe->hashes + from;
  const uint8_t *skip = nulls_equal || !probe->null_rows ? NULL : probe->null_rows + from;
  const atomic_uchar *marks = t->slot_matched;
  uint64_t mask = (uint64_t)t->n_slots - 1;
  int shift = t->shift;
  for (int64_t i = 0; i < n; i++) {
    if (i + PREFETCH_DISTANCE < n) {
      uint64_t ahead = slot_of(hashes[i + PREFETCH_DISTANCE], shift);
      __builtin_prefetch(&slots[ahead]);
      if (marks) __builtin_prefetch((const void *)&marks[ahead]);
    }
    slots_out[i] = QV_JOIN_NO_SLOT;
    heads_out[i] = 0;
    if (skip && skip[i]) continue;
    uint64_t h = hashes[i];
    uint32_t tag = (uint32_t)h;
    for (uint64_t s = slot_of(h, shift);; s = (s + 1) & mask) {
      uint32_t head = slots[s].head;
      if (!head) break;
      if (slots[s].tag == tag) {
        slots_out[i] = (uint32_t)s;
        heads_out[i] = head;
        break;
      }
    }
  }
}

void qv__join_hash_table_mark(qv_join_hash_table *t, uint32_t slot) {
  if (t->int_keys) {
    atomic_uint *flag = slot == QV_JOIN_NULL_SLOT ? &t->null_matched : &t->int_slots[slot].matched;
    if (!atomic_load_explicit(flag, memory_order_relaxed)) atomic_store_explicit(flag, 1, memory_order_relaxed);
    return;
  }
  atomic_uchar *flag = &t->slot_matched[slot];
  if (!atomic_load_explicit(flag, memory_order_relaxed)) atomic_store_explicit(flag, 1, memory_order_relaxed);
}

static void visit_chain(const qv_join_hash_table *t, uint32_t head, atomic_uchar *visited) {
  for (uint32_t r = head & QV_JOIN_SLOT_ROW_MASK; r; r = t->next[r - 1])
    atomic_store_explicit(&visited[r - 1], 1, memory_order_relaxed);
}

void qv__join_fold_slots(const qv_join_hash_table *t, atomic_uchar *visited) {
  if (t->int_keys) {
    for (int64_t s = 0; s < t->n_slots; s++)
      if (atomic_load_explicit(&t->int_slots[s].matched, memory_order_relaxed))
        visit_chain(t, t->int_slots[s].head, visited);
    if (atomic_load_explicit(&((qv_join_hash_table *)t)->null_matched, memory_order_relaxed))
      visit_chain(t, t->null_head, visited);
    return;
  }
  if (!t->slot_matched) return;
  for (int64_t s = 0; s < t->n_slots; s++)
    if (atomic_load_explicit(&t->slot_matched[s], memory_order_relaxed)) visit_chain(t, t->slots[s].head, visited);
}
