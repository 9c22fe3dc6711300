/* Sort keys for SortExec and SortPreservingMergeExec: the sort specification,
 * normalised single-column keys, and the radix sort of key entries.
 *
 * The sort is an MSD radix sort on 16-byte entries (an 8-byte key window, a
 * row number and a small tie-breaker), so it moves small fixed-size records
 * and reads each key byte in a tight loop with no comparator calls. Each
 * node first finds the highest byte in which its keys differ (bytes that are
 * constant, like the high bytes of small integers, cost no pass), splits on
 * it into a scratch array, and recurses, the data moving back and forth
 * between the two arrays (no copying back); small nodes finish with an
 * insertion sort. The full sort's first split reads the per-batch pieces of
 * entries directly, and since buckets are then sorted one at a time its
 * scratch only needs to be as large as the largest bucket.
 *
 * Row-format keys longer than 8 bytes continue where a node has exhausted
 * its window: its entries are refilled with the next 8 bytes of their rows
 * and sorted again, so long keys (strings, several columns) keep the radix
 * sort's speed and only the ties read row bytes. A recursion that gets
 * unreasonably deep (pathological shared prefixes) falls back to a heap sort
 * on whole rows, which needs no stack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "exec/sort_internal.h"

/* ---- the specification ------------------------------------------------------- */

static bool type_is_normalizable(const qv_data_type *t) {
  switch (t->id) {
    case QV_BOOL:
    case QV_INT8: case QV_INT16: case QV_INT32: case QV_INT64:
    case QV_UINT8: case QV_UINT16: case QV_UINT32: case QV_UINT64:
    case QV_FLOAT32: case QV_FLOAT64:
    case QV_DATE32: case QV_DATE64: case QV_TIME32: case QV_TIME64:
    case QV_TIMESTAMP: case QV_DURATION: case QV_INTERVAL_MONTHS:
      return true;
    default:
      return false;
  }
}

static bool type_is_orderable(const qv_data_type *t) {
  if (t->id == QV_DICTIONARY) t = t->dict_value;
  return !qv_type_is_nested(t->id);
}

void qv__sort_spec_reset(qv_sort_spec *spec) {
  for (int32_t i = 0; spec->keys && i < spec->n_keys; i++) qv_expr_unref(spec->keys[i].expr);
  free(spec->keys);
  free(spec->opts);
  memset(spec, 0, sizeof *spec);
}

qv_status qv__sort_spec_init(qv_sort_spec *spec, const char *op, const qv_sort_key *keys, int32_t n_keys,
                             qv_error *err) {
  memset(spec, 0, sizeof *spec);
  if (n_keys < 1 || !keys) return qv_error_set(err, QV_INVALID, "%s: needs at least one sort key", op);
  for (int32_t i = 0; i < n_keys; i++) {
    if (!keys[i].expr) return qv_error_set(err, QV_INVALID, "%s: sort key %d has no expression", op, i);
    qv_data_type *t = qv_expr_type(keys[i].expr);
    if (!type_is_orderable(t)) {
      char buf[128];
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "%s: cannot sort by key %d of type %s", op, i,
                          qv_type_to_string(t, buf, sizeof buf));
    }
  }
  spec->keys = calloc((size_t)n_keys, sizeof *spec->keys);
  spec->opts = calloc((size_t)n_keys, sizeof *spec->opts);
  if (!spec->keys || !spec->opts) {
    qv__sort_spec_reset(spec);
    return qv_error_set(err, QV_NOMEM, "%s: out of memory", op);
  }
  spec->n_keys = n_keys;
  for (int32_t i = 0; i < n_keys; i++) {
    spec->keys[i] = keys[i];
    qv_expr_ref(keys[i].expr);
    spec->opts[i] = (qv_sort_options){keys[i].descending, keys[i].nulls_first};
  }
  spec->normalized = n_keys == 1 && type_is_normalizable(qv_expr_type(keys[0].expr));
  return QV_OK;
}

qv_status qv__sort_spec_describe(const qv_sort_spec *spec, qv_bytes *out, qv_error *err) {
  for (int32_t i = 0; i < spec->n_keys; i++) {
    const qv_sort_key *k = &spec->keys[i];
    if (i) QV_RETURN_NOT_OK(qv__appendf(out, err, ", "));
    QV_RETURN_NOT_OK(qv_expr_to_string(k->expr, out, err));
    QV_RETURN_NOT_OK(qv__appendf(out, err, k->descending ? " DESC" : " ASC"));
    /* SQL's defaults: NULLS LAST for ASC, NULLS FIRST for DESC. */
    if (k->nulls_first != k->descending)
      QV_RETURN_NOT_OK(qv__appendf(out, err, k->nulls_first ? " NULLS FIRST" : " NULLS LAST"));
  }
  return QV_OK;
}

qv_status qv__sort_spec_evaluate(const qv_sort_spec *spec, qv_record_batch *batch, qv_allocator *alloc,
                                 qv_array **cols, qv_error *err) {
  for (int32_t i = 0; i < spec->n_keys; i++) {
    qv_status st = qv_expr_evaluate(spec->keys[i].expr, batch, alloc, &cols[i], err);
    if (st == QV_OK && cols[i]->length != batch->num_rows)
      st = qv_error_set(err, QV_INTERNAL, "sort key %d: %lld values for %lld rows", i, (long long)cols[i]->length,
                        (long long)batch->num_rows);
    if (st != QV_OK) {
      for (int32_t j = 0; j <= i; j++) {
        qv_array_unref(cols[j]);
        cols[j] = NULL;
      }
      return st;
    }
  }
  return QV_OK;
}

/* ---- memory errors --------------------------------------------------------------- */

qv_status qv__sort_memory_error(qv_allocator *pool, const char *op, const char *what, qv_error *err) {
  int64_t limit = qv_allocator_limit(pool);
  if (limit > 0)
    return qv_error_set(err, QV_RESOURCE_EXHAUSTED, "%s: memory limit of %lld bytes exceeded (%s; %lld bytes in use)",
                        op, (long long)limit, what, (long long)qv_allocator_bytes_allocated(pool));
  return qv_error_set(err, QV_NOMEM, "%s: out of memory (%s)", op, what);
}

qv_status qv__sort_check_nomem(qv_status st, qv_allocator *pool, const char *op, qv_error *err) {
  if (st != QV_NOMEM || qv_allocator_limit(pool) <= 0) return st;
  char what[QV_ERROR_MESSAGE_SIZE];
  const char *cause = err ? err->message : "allocation failed";
  size_t n = strnlen(cause, sizeof what - 1);
  memcpy(what, cause, n);
  what[n] = '\0';
  return qv__sort_memory_error(pool, op, what, err);
}

/* ---- normalised keys ------------------------------------------------------------ */

/* Order-preserving maps of fixed-width values to unsigned integers, kept at
 * the type's width so that the unused high bytes are constant (and cost the
 * radix sort nothing). */
static inline uint64_t norm_f64(double d) {
  uint64_t b;
  if (d != d) b = UINT64_C(0x7FF8000000000000); /* every NaN: one, above +inf */
  else if (d == 0) b = 0;                        /* -0.0 equals 0.0 */
  else memcpy(&b, &d, 8);
  return (b >> 63) ? ~b : b | (UINT64_C(1) << 63);
}

static inline uint64_t norm_f32(float f) {
  uint32_t b;
  if (f != f) b = UINT32_C(0x7FC00000);
  else if (f == 0) b = 0;
  else memcpy(&b, &f, 4);
  return (b >> 31) ? (uint32_t)~b : b | (UINT32_C(1) << 31);
}

#define NORMALIZE_LOOP(CTYPE, EXPR)                                  \
  do {                                                               \
    const CTYPE *v = (const CTYPE *)values + offset;                 \
    for (int64_t i = 0; i < n; i++) {                                \
      CTYPE x = v[i];                                                \
      e[i].key = (uint64_t)(EXPR) ^ flip;                            \
    }                                                                \
  } while (0)

void qv__sort_normalize(const qv_sort_spec *spec, const qv_array *col, int64_t n, uint32_t first_row,
                        qv_sort_entry *e) {
  const qv_sort_options *o = &spec->opts[0];
  int32_t width = col->type->id == QV_BOOL ? 1 : col->type->byte_width;
  /* Descending inverts the value bits within the type's width. */
  uint64_t flip = 0;
  if (o->descending) flip = width >= 8 ? UINT64_MAX : (UINT64_C(1) << (width * 8)) - 1;
  if (col->type->id == QV_BOOL) flip &= 1;
  const uint8_t *values = qv__array_data(col, 1);
  int64_t offset = col->offset;
  switch (col->type->id) {
    case QV_BOOL:
      for (int64_t i = 0; i < n; i++) e[i].key = (uint64_t)qv_bit_get(values, offset + i) ^ flip;
      break;
    case QV_INT8: NORMALIZE_LOOP(int8_t, (uint8_t)x ^ 0x80u); break;
    case QV_INT16: NORMALIZE_LOOP(int16_t, (uint16_t)x ^ 0x8000u); break;
    case QV_INT32: case QV_DATE32: case QV_TIME32: case QV_INTERVAL_MONTHS:
      NORMALIZE_LOOP(int32_t, (uint32_t)x ^ UINT32_C(0x80000000));
      break;
    case QV_INT64: case QV_DATE64: case QV_TIME64: case QV_TIMESTAMP: case QV_DURATION:
      NORMALIZE_LOOP(int64_t, (uint64_t)x ^ (UINT64_C(1) << 63));
      break;
    case QV_UINT8: NORMALIZE_LOOP(uint8_t, x); break;
    case QV_UINT16: NORMALIZE_LOOP(uint16_t, x); break;
    case QV_UINT32: NORMALIZE_LOOP(uint32_t, x); break;
    case QV_UINT64: NORMALIZE_LOOP(uint64_t, x); break;
    case QV_FLOAT32: NORMALIZE_LOOP(float, norm_f32(x)); break;
    case QV_FLOAT64: NORMALIZE_LOOP(double, norm_f64(x)); break;
    default: /* the spec admits no other type here */
      for (int64_t i = 0; i < n; i++) e[i].key = 0;
      break;
  }
  uint32_t null_rank = o->nulls_first ? QV_SORT_RANK_NULLS_FIRST : QV_SORT_RANK_NULLS_LAST;
  const uint8_t *validity = qv__array_data(col, 0);
  for (int64_t i = 0; i < n; i++) e[i].row = first_row + (uint32_t)i;
  if (!validity || qv_array_null_count((qv_array *)col) == 0) {
    for (int64_t i = 0; i < n; i++) e[i].aux = QV_SORT_RANK_VALUE;
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    bool valid = qv_bit_get(validity, offset + i);
    e[i].aux = valid ? QV_SORT_RANK_VALUE : null_rank;
    e[i].key = valid ? e[i].key : 0; /* nulls tie with each other */
  }
}

void qv__sort_entries_from_rows(const qv_sort_rows *rows, int64_t n, uint32_t first_number, qv_sort_entry *e) {
  const int64_t *off = rows->offsets;
  for (int64_t i = 0; i < n; i++) {
    int64_t len = off[i + 1] - off[i];
    e[i].key = qv__sort_load_prefix(rows->data + off[i], len);
    e[i].row = first_number + (uint32_t)i;
    e[i].aux = len > 8 ? 9u : (uint32_t)len;
  }
}

/* ---- the radix sort ------------------------------------------------------------ */

/* Nodes this small are insertion-sorted. */
#define SMALL_SORT 32
/* Recursion levels before falling back to the heap sort. */
#define MAX_LEVEL 64

/* Every node works on a range of the caller's array ("out") and the same
 * range of a scratch array; a split scatters from one to the other, so the
 * data of a node is in either, and whatever finishes a node (a leaf) leaves
 * it in out. No level copies its data back. */
typedef struct sorter {
  const qv_sort_rows *rows; /* NULL for normalised keys */
} sorter;

static inline bool entry_less(const qv_sort_entry *a, const qv_sort_entry *b) {
  return a->key < b->key || (a->key == b->key && a->aux < b->aux);
}

static void insertion_sort(qv_sort_entry *e, int64_t n) {
  for (int64_t i = 1; i < n; i++) {
    qv_sort_entry x = e[i];
    int64_t j = i;
    while (j > 0 && entry_less(&x, &e[j - 1])) {
      e[j] = e[j - 1];
      j--;
    }
    e[j] = x;
  }
}

/* Orders two rows that agree on their first `depth` bytes. */
static int rows_compare_from(const qv_sort_rows *rows, uint32_t a, uint32_t b, int64_t depth) {
  int64_t oa = rows->offsets[a] + depth, ob = rows->offsets[b] + depth;
  return qv__sort_row_compare(rows->data + oa, rows->offsets[a + 1] - oa, rows->data + ob,
                              rows->offsets[b + 1] - ob);
}

static void sift_down(const sorter *s, qv_sort_entry *e, int64_t i, int64_t n, int64_t depth) {
  for (;;) {
    int64_t c = 2 * i + 1;
    if (c >= n) return;
    if (c + 1 < n && rows_compare_from(s->rows, e[c].row, e[c + 1].row, depth) < 0) c++;
    if (rows_compare_from(s->rows, e[i].row, e[c].row, depth) >= 0) return;
    qv_sort_entry t = e[i];
    e[i] = e[c];
    e[c] = t;
    i = c;
  }
}

/* The fallback for pathologically deep recursions: O(n log n), no stack. */
static void heap_sort_rows(const sorter *s, qv_sort_entry *e, int64_t n, int64_t depth) {
  for (int64_t i = n / 2 - 1; i >= 0; i--) sift_down(s, e, i, n, depth);
  for (int64_t end = n - 1; end > 0; end--) {
    qv_sort_entry t = e[0];
    e[0] = e[end];
    e[end] = t;
    sift_down(s, e, 0, end, depth);
  }
}

static void radix(const sorter *s, qv_sort_entry *cur, qv_sort_entry *alt, bool cur_is_out, int64_t n, int shift,
                  int64_t depth, int level);

/* Loads the next window (bytes depth.. of each row) into e[0..n). */
static void refill(const sorter *s, qv_sort_entry *e, int64_t n, int64_t depth) {
  const uint8_t *data = s->rows->data;
  const int64_t *off = s->rows->offsets;
  /* The rows are in no useful order by now: prefetch both dependent loads
   * (offset, then bytes) well ahead of use. */
  enum { AHEAD = 16 };
  for (int64_t i = 0; i < n; i++) {
    if (i + 2 * AHEAD < n) __builtin_prefetch(&off[e[i + 2 * AHEAD].row]);
    if (i + AHEAD < n) __builtin_prefetch(data + off[e[i + AHEAD].row] + depth);
    int64_t start = off[e[i].row] + depth, rem = off[e[i].row + 1] - start;
    e[i].key = qv__sort_load_prefix(data + start, rem);
    e[i].aux = rem > 8 ? 9u : (uint32_t)rem;
  }
}

/* e[0..n) (in out; scratch is free) have equal keys: order them by aux
 * (rows that end inside this window before longer ones, shorter first), then
 * sort the rows that go on past the window by their next window. */
static void resolve_ties(const sorter *s, qv_sort_entry *e, qv_sort_entry *scratch, int64_t n, int64_t depth,
                         int level) {
  if (!s->rows || n < 2) return;
  if (n <= SMALL_SORT) {
    insertion_sort(e, n);
  } else {
    uint32_t count[10] = {0};
    for (int64_t i = 0; i < n; i++) count[e[i].aux]++;
    if (count[9] != n) {
      uint32_t pos[10], sum = 0;
      for (int b = 0; b < 10; b++) {
        pos[b] = sum;
        sum += count[b];
      }
      for (int64_t i = 0; i < n; i++) scratch[pos[e[i].aux]++] = e[i];
      memcpy(e, scratch, (size_t)n * sizeof *e);
    }
  }
  int64_t longer = 0;
  while (longer < n && e[longer].aux != 9) longer++;
  if (n - longer < 2) return;
  refill(s, e + longer, n - longer, depth + 8);
  radix(s, e + longer, scratch + longer, true, n - longer, 56, depth + 8, level + 1);
}

/* After an insertion sort of e (in out): resolve each run of equal keys. */
static void resolve_runs(const sorter *s, qv_sort_entry *e, qv_sort_entry *scratch, int64_t n, int64_t depth,
                         int level) {
  if (!s->rows) return;
  for (int64_t i = 0; i < n;) {
    int64_t j = i + 1;
    while (j < n && e[j].key == e[i].key) j++;
    if (j - i > 1 && e[j - 1].aux == 9) resolve_ties(s, e + i, scratch + i, j - i, depth, level);
    i = j;
  }
}

/* Sorts the n entries in cur, which agree on every key bit above shift + 8.
 * alt is the same range of the other array; cur_is_out says which of the two
 * is the caller's (where the result must end). */
static void radix(const sorter *s, qv_sort_entry *cur, qv_sort_entry *alt, bool cur_is_out, int64_t n, int shift,
                  int64_t depth, int level) {
  qv_sort_entry *out = cur_is_out ? cur : alt, *scratch = cur_is_out ? alt : cur;
  if (n <= SMALL_SORT || (level > MAX_LEVEL && s->rows)) {
    if (!cur_is_out) memcpy(out, cur, (size_t)n * sizeof *out);
    if (n <= SMALL_SORT) {
      insertion_sort(out, n);
      resolve_runs(s, out, scratch, n, depth, level);
    } else {
      heap_sort_rows(s, out, n, depth);
    }
    return;
  }
  uint32_t count[256];
  for (;;) {
    memset(count, 0, sizeof count);
    uint64_t k0 = cur[0].key, diff = 0;
    for (int64_t i = 0; i < n; i++) {
      count[(cur[i].key >> shift) & 255]++;
      diff |= cur[i].key ^ k0;
    }
    if (count[(k0 >> shift) & 255] != n) break;
    /* No split on this byte: jump straight to the highest differing one. */
    if (diff == 0) {
      if (!cur_is_out) memcpy(out, cur, (size_t)n * sizeof *out);
      resolve_ties(s, out, scratch, n, depth, level);
      return;
    }
    shift = (63 - __builtin_clzll(diff)) & ~7;
  }
  uint32_t pos[256], sum = 0;
  for (int b = 0; b < 256; b++) {
    pos[b] = sum;
    sum += count[b];
  }
  for (int64_t i = 0; i < n; i++) alt[pos[(cur[i].key >> shift) & 255]++] = cur[i];
  /* The data is in alt now; the children's "other" range is in cur. */
  int64_t start = 0;
  for (int b = 0; b < 256; b++) {
    int64_t c = count[b];
    if (c == 1) {
      if (cur_is_out) cur[start] = alt[start];
    } else if (c > 1) {
      if (shift > 0) {
        radix(s, alt + start, cur + start, !cur_is_out, c, shift - 8, depth, level + 1);
      } else {
        if (cur_is_out) memcpy(cur + start, alt + start, (size_t)c * sizeof *cur);
        resolve_ties(s, out + start, scratch + start, c, depth, level + 1);
      }
    }
    start += c;
  }
}

qv_status qv__sort_entries(qv_sort_entry *e, int64_t n, const qv_sort_rows *rows, qv_allocator *alloc,
                           qv_error *err) {
  if (n < 2) return QV_OK;
  sorter s = {rows};
  int64_t tmp_bytes = n * (int64_t)sizeof *e;
  qv_sort_entry *tmp = qv_alloc(alloc, tmp_bytes);
  if (!tmp) return qv_error_set(err, QV_NOMEM, "sort: cannot allocate %lld bytes of scratch", (long long)tmp_bytes);
  if (rows) {
    radix(&s, e, tmp, true, n, 56, 0, 0);
  } else {
    /* Normalised keys: nulls first, values, nulls last (aux), then the
     * values by key (starting from the scratch copy when there are nulls). */
    int64_t count[3] = {0, 0, 0};
    for (int64_t i = 0; i < n; i++) count[e[i].aux]++;
    if (count[QV_SORT_RANK_VALUE] == n) {
      radix(&s, e, tmp, true, n, 56, 0, 0);
    } else {
      int64_t pos[3] = {0, count[0], count[0] + count[1]};
      for (int64_t i = 0; i < n; i++) tmp[pos[e[i].aux]++] = e[i];
      memcpy(e, tmp, (size_t)count[0] * sizeof *e);
      memcpy(e + count[0] + count[1], tmp + count[0] + count[1], (size_t)count[2] * sizeof *e);
      if (count[1] > 1) radix(&s, tmp + count[0], e + count[0], false, count[1], 56, 0, 0);
      else if (count[1] == 1) e[count[0]] = tmp[count[0]];
    }
  }
  qv_free(alloc, tmp, tmp_bytes);
  return QV_OK;
}

qv_status qv__sort_entries_gather(qv_sort_entry *const *pieces, const int64_t *counts, int32_t n_pieces,
                                  qv_sort_entry *out, int64_t n, const qv_sort_rows *rows, qv_allocator *alloc,
                                  qv_error *err) {
  if (n == 0) return QV_OK;
  bool ranked = rows == NULL;
  /* Which bits of the (value) keys differ at all: the split byte. */
  uint64_t k0 = 0, diff = 0;
  bool have = false;
  for (int32_t p = 0; p < n_pieces; p++)
    for (int64_t i = 0; i < counts[p]; i++) {
      const qv_sort_entry *x = &pieces[p][i];
      if (ranked && x->aux != QV_SORT_RANK_VALUE) continue;
      if (!have) k0 = x->key, have = true;
      diff |= x->key ^ k0;
    }
  int shift = diff ? (63 - __builtin_clzll(diff)) & ~7 : 0;
  /* Buckets: nulls first, the 256 values of the split byte, nulls last. */
  int64_t count[258] = {0};
#define BUCKET(x)                                                                        \
  (!ranked || (x)->aux == QV_SORT_RANK_VALUE ? 1 + (int)(((x)->key >> shift) & 255)      \
                                              : (x)->aux == QV_SORT_RANK_NULLS_FIRST ? 0 : 257)
  for (int32_t p = 0; p < n_pieces; p++)
    for (int64_t i = 0; i < counts[p]; i++) count[BUCKET(&pieces[p][i])]++;
  int64_t pos[258], sum = 0, largest = 0;
  for (int b = 0; b < 258; b++) {
    pos[b] = sum;
    sum += count[b];
    if (b > 0 && b < 257 && count[b] > largest) largest = count[b];
  }
  for (int32_t p = 0; p < n_pieces; p++)
    for (int64_t i = 0; i < counts[p]; i++) {
      const qv_sort_entry *x = &pieces[p][i];
      out[pos[BUCKET(x)]++] = *x;
    }
#undef BUCKET
  if (largest < 2) return QV_OK;
  /* The buckets are sorted one after another, so scratch for the largest
   * one is enough (on spread keys, a small fraction of n). */
  int64_t tmp_bytes = largest * (int64_t)sizeof *out;
  qv_sort_entry *tmp = qv_alloc(alloc, tmp_bytes);
  if (!tmp) return qv_error_set(err, QV_NOMEM, "sort: cannot allocate %lld bytes of scratch", (long long)tmp_bytes);
  sorter s = {rows};
  int64_t start = count[0];
  for (int b = 1; b < 257; b++) {
    int64_t c = count[b];
    if (c > 1) {
      if (shift == 0) resolve_ties(&s, out + start, tmp, c, 0, 0);
      else radix(&s, out + start, tmp, true, c, shift - 8, 0, 1);
    }
    start += c;
  }
  qv_free(alloc, tmp, tmp_bytes);
  return QV_OK;
}
