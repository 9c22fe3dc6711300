/* Filter: keeping the rows where a boolean mask is true.
 *
 * The mask is turned into a selection once (and, for a record batch, applied
 * to every column): one pass over its 64-bit words counts the selected rows
 * and the runs of consecutive ones. An all-true mask returns the input; a
 * mask whose runs average at least DENSE_RUN_LENGTH rows becomes a list of
 * runs, copied with memcpy (and bit-range copies) per run; a sparser mask
 * becomes a vector of row indices, gathered with typed loads. Null mask slots
 * count as false: when the mask has nulls, its values are ANDed with its
 * validity word by word first. */
#include <string.h>

#include "arrow/compute_internal.h"

/* Runs at least this long on average make copying per run cheaper than
 * gathering by index (a memcpy call costs about as much as eight loads). */
#define DENSE_RUN_LENGTH 8

/* A mask turned into a selection. */
typedef struct filter_plan {
  qv_allocator *alloc;
  qv_selection sel;
  int64_t length;   /* rows in the input */
  int64_t selected; /* rows kept */
  void *mem;        /* indices or runs */
  int64_t mem_bytes;
} filter_plan;

static void plan_reset(filter_plan *p) {
  qv_free(p->alloc, p->mem, p->mem_bytes);
  p->mem = NULL;
  p->mem_bytes = 0;
}

/* Builds the selection of mask (a BOOL array of `length` slots). */
static qv_status plan_filter(qv_allocator *alloc, const qv_array *mask, int64_t length,
                             filter_plan *p, qv_error *err) {
  memset(p, 0, sizeof *p);
  p->alloc = alloc;
  p->length = length;
  if (!mask || mask->type->id != QV_BOOL) {
    char tbuf[128];
    return qv_error_set(err, QV_INVALID, "filter: the mask must be bool, not %s",
                        mask ? qv_type_to_string(mask->type, tbuf, sizeof tbuf) : "missing");
  }
  if (mask->length != length)
    return qv_error_set(err, QV_INVALID, "filter: mask of %lld slots for %lld rows",
                        (long long)mask->length, (long long)length);
  /* The effective bits: values AND validity, from bit `off`. */
  const uint8_t *bits = qv__array_data(mask, 1);
  int64_t off = mask->offset;
  uint8_t *anded = NULL;
  int64_t anded_bytes = 0;
  int64_t n_words = (length + 63) / 64;
  if (length == 0) bits = NULL;
  if (length && qv__array_data(mask, 0) && qv__null_count(mask) > 0) {
    anded_bytes = n_words * 8;
    anded = qv_alloc(alloc, anded_bytes);
    if (!anded) return qv_error_set(err, QV_NOMEM, "filter: cannot allocate the mask");
    const uint8_t *valid = qv__array_data(mask, 0);
    for (int64_t w = 0; w < n_words; w++) {
      uint64_t x = qv__bits_load64(bits, off + 64 * w, off + length) &
                   qv__bits_load64(valid, off + 64 * w, off + length);
      memcpy(anded + 8 * w, &x, 8);
    }
    bits = anded;
    off = 0;
  }
  /* Pass 1: selected rows and runs (a run starts at a 1 after a 0). */
  int64_t selected = 0, n_runs = 0;
  uint64_t carry = 0;
  for (int64_t w = 0; w < n_words; w++) {
    uint64_t x = qv__bits_load64(bits, off + 64 * w, off + length);
    selected += __builtin_popcountll(x);
    n_runs += __builtin_popcountll(x & ~((x << 1) | carry));
    carry = x >> 63;
  }
  p->selected = selected;
  qv_status st = QV_OK;
  if (selected == length) {
    /* Everything is kept; callers return the input. */
  } else if (selected == 0) {
    p->sel.kind = QV_SEL_RUNS;
  } else if (selected >= DENSE_RUN_LENGTH * n_runs) {
    p->mem_bytes = n_runs * 16;
    int64_t *runs = p->mem = qv_alloc(alloc, p->mem_bytes);
    if (!runs) {
      st = qv_error_set(err, QV_NOMEM, "filter: cannot allocate %lld runs", (long long)n_runs);
    } else {
      /* Pass 2: starts (0 -> 1) and ends (1 -> 0) alternate; the k-th end
       * closes the k-th start. */
      int64_t ns = 0, ne = 0;
      carry = 0;
      for (int64_t w = 0; w < n_words; w++) {
        uint64_t x = qv__bits_load64(bits, off + 64 * w, off + length);
        uint64_t prev = (x << 1) | carry;
        uint64_t starts = x & ~prev, ends = ~x & prev;
        carry = x >> 63;
        for (; starts; starts &= starts - 1) runs[2 * ns++] = 64 * w + __builtin_ctzll(starts);
        for (; ends; ends &= ends - 1, ne++)
          runs[2 * ne + 1] = 64 * w + __builtin_ctzll(ends) - runs[2 * ne];
      }
      if (ne < ns) runs[2 * ne + 1] = length - runs[2 * ne];
      p->sel.kind = QV_SEL_RUNS;
      p->sel.runs = runs;
      p->sel.n_runs = n_runs;
    }
  } else if (length <= UINT32_MAX) {
    p->mem_bytes = selected * 4;
    uint32_t *idx = p->mem = qv_alloc(alloc, p->mem_bytes);
    if (!idx) {
      st = qv_error_set(err, QV_NOMEM, "filter: cannot allocate %lld indices", (long long)selected);
    } else {
      int64_t k = 0;
      for (int64_t w = 0; w < n_words; w++)
        for (uint64_t x = qv__bits_load64(bits, off + 64 * w, off + length); x; x &= x - 1)
          idx[k++] = (uint32_t)(64 * w + __builtin_ctzll(x));
      p->sel.kind = QV_SEL_IDX32;
      p->sel.idx32 = idx;
    }
  } else {
    p->mem_bytes = selected * 8;
    int64_t *idx = p->mem = qv_alloc(alloc, p->mem_bytes);
    if (!idx) {
      st = qv_error_set(err, QV_NOMEM, "filter: cannot allocate %lld indices", (long long)selected);
    } else {
      int64_t k = 0;
      for (int64_t w = 0; w < n_words; w++)
        for (uint64_t x = qv__bits_load64(bits, off + 64 * w, off + length); x; x &= x - 1)
          idx[k++] = 64 * w + __builtin_ctzll(x);
      p->sel.kind = QV_SEL_IDX64;
      p->sel.idx64 = idx;
    }
  }
  p->sel.length = selected;
  qv_free(alloc, anded, anded_bytes);
  if (st != QV_OK) plan_reset(p);
  return st;
}

qv_status qv_array_filter(qv_allocator *alloc, qv_array *values, const qv_array *mask,
                          qv_array **out, qv_error *err) {
  *out = NULL;
  if (!alloc) alloc = qv_default_allocator();
  filter_plan p;
  QV_RETURN_NOT_OK(plan_filter(alloc, mask, values->length, &p, err));
  if (p.selected == values->length) {
    *out = qv_array_ref(values);
    return QV_OK;
  }
  qv_status st = qv__array_select(alloc, values, 0, &p.sel, 0, out, err);
  if (st != QV_OK) qv_error_prefix(err, "filter");
  plan_reset(&p);
  return st;
}

qv_status qv_record_batch_filter(qv_allocator *alloc, qv_record_batch *batch, const qv_array *mask,
                                 qv_record_batch **out, qv_error *err) {
  *out = NULL;
  if (!alloc) alloc = qv_default_allocator();
  filter_plan p;
  QV_RETURN_NOT_OK(plan_filter(alloc, mask, batch->num_rows, &p, err));
  if (p.selected == batch->num_rows) {
    *out = qv_record_batch_ref(batch);
    return QV_OK;
  }
  int32_t nc = batch->n_columns;
  int64_t cols_bytes = (int64_t)(nc ? nc : 1) * (int64_t)sizeof(qv_array *);
  qv_array **cols = qv_alloc_zeroed(alloc, cols_bytes);
  qv_status st = QV_OK;
  if (!cols) st = qv_error_set(err, QV_NOMEM, "filter: cannot allocate %d columns", nc);
  for (int32_t c = 0; c < nc && st == QV_OK; c++) {
    st = qv__array_select(alloc, batch->columns[c], 0, &p.sel, 0, &cols[c], err);
    if (st != QV_OK)
      qv_error_prefix(err, "filter: column %d ('%s')", c, batch->schema->fields[c]->name);
  }
  if (st == QV_OK) st = qv_record_batch_create(batch->schema, p.selected, cols, nc, out, err);
  if (cols) {
    for (int32_t c = 0; c < nc; c++) qv_array_unref(cols[c]);
    qv_free(alloc, cols, cols_bytes);
  }
  plan_reset(&p);
  return st;
}
