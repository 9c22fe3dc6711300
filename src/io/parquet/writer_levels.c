/* Definition and repetition levels of one leaf column, computed from Arrow
 * arrays (the Dremel encoding of the Parquet format). A leaf's levels depend
 * on the validity of every array on the path from the top-level column down
 * to it and on the offsets of every list on that path.
 *
 * Flat paths (structs only, no lists) keep one level entry per row: the
 * definition level starts at its maximum and every optional array on the
 * path lowers it to (its level - 1) where it is null. Validity bitmaps are
 * read 64 bits at a time and only null slots are visited, so columns
 * without nulls cost a memset.
 *
 * Paths with lists are processed node by node over arrays of entries
 * (slot in the current array, definition level, repetition level): a null
 * ends an entry at (node's level - 1), a list slot expands into one entry
 * per element (the first keeps the slot's repetition level, the others get
 * the list's) or, when empty, ends at the list's own level; struct children
 * only shift slots by their offset. Entries still alive at the leaf are
 * values, and their slots say where the values are. */
#include <string.h>

#include "arrow/internal.h"
#include "io/parquet/writer_internal.h"

void qv__pqw_levels_init(qv_pqw_levels *l, qv_allocator *alloc) {
  memset(l, 0, sizeof *l);
  qv_bytes_init(&l->def_buf, alloc);
  qv_bytes_init(&l->rep_buf, alloc);
  qv_bytes_init(&l->pos_buf, alloc);
  qv_bytes_init(&l->tmp_def, alloc);
  qv_bytes_init(&l->tmp_rep, alloc);
  qv_bytes_init(&l->tmp_pos, alloc);
}

void qv__pqw_levels_reset(qv_pqw_levels *l) {
  qv_bytes_reset(&l->def_buf);
  qv_bytes_reset(&l->rep_buf);
  qv_bytes_reset(&l->pos_buf);
  qv_bytes_reset(&l->tmp_def);
  qv_bytes_reset(&l->tmp_rep);
  qv_bytes_reset(&l->tmp_pos);
}

/* Makes v hold n bytes (contents undefined). */
static qv_status resize(qv_bytes *v, int64_t n, qv_error *err) {
  v->size = 0;
  QV_RETURN_NOT_OK(qv_bytes_reserve(v, n, err));
  v->size = n;
  return QV_OK;
}

static bool has_nulls(const qv_array *a) {
  return a->type->id == QV_NA ? a->length > 0 : a->buffers[0] && qv_array_null_count((qv_array *)a) > 0;
}

static qv_status required_null(const qv_pqw_leaf *leaf, const qv_pqw_node *node, int64_t row, qv_error *err) {
  return qv_error_set(err, QV_INVALID,
                      "parquet: column '%s': non-nullable field '%s' holds a null (row %lld of the batch slice)",
                      leaf->path, node->name, (long long)row);
}

/* Dictionary values may themselves be null: an index to a null value is a
 * null. Lowers the entries concerned (def == max_def) to max_def - 1. */
static qv_status dictionary_nulls(const qv_pqw_leaf *leaf, const qv_pqw_node *node, const qv_array *a,
                                  uint8_t *def, const int64_t *pos, int64_t base, int64_t n, qv_error *err) {
  const qv_array *dict = a->dictionary;
  if (!dict || !has_nulls(dict)) return QV_OK;
  const uint8_t *valid = qv__array_data(dict, 0);
  for (int64_t i = 0; i < n; i++) {
    if (def && def[i] != leaf->max_def) continue;
    int64_t k = qv__pqw_dict_index(a, pos ? pos[i] : base + i);
    if (qv_bit_get(valid, dict->offset + k)) continue;
    if (!node->optional || !def) return required_null(leaf, node, i, err);
    def[i] = (uint8_t)(leaf->max_def - 1);
  }
  return QV_OK;
}

/* ---- flat paths ---------------------------------------------------------------------- */

static qv_status flat_levels(qv_pqw_levels *l, const qv_pqw_leaf *leaf, const qv_array *column, int64_t start,
                             int64_t n, qv_error *err) {
  uint8_t *def = NULL;
  if (leaf->max_def > 0) {
    QV_RETURN_NOT_OK(resize(&l->def_buf, n, err));
    def = l->def_buf.data;
    memset(def, leaf->max_def, (size_t)n);
  }
  const qv_array *a = column;
  int64_t base = column->offset + start; /* physical slot of row 0 in a */
  for (int32_t k = 0; k < leaf->depth; k++) {
    const qv_pqw_node *node = leaf->nodes[k];
    if (has_nulls(a)) {
      uint8_t lower = (uint8_t)(node->def - 1);
      if (a->type->id == QV_NA) {
        for (int64_t i = 0; i < n; i++) /* NA is always optional and a leaf */
          if (def[i] > lower) def[i] = lower;
      } else {
        const uint8_t *valid = qv__array_data(a, 0);
        for (int64_t i0 = 0; i0 < n; i0 += 64) {
          int64_t m = n - i0 < 64 ? n - i0 : 64;
          uint64_t nulls = ~qv__pqw_load_bits(valid, base + i0, m);
          if (m < 64) nulls &= ((uint64_t)1 << m) - 1;
          while (nulls) {
            int64_t i = i0 + __builtin_ctzll(nulls);
            nulls &= nulls - 1;
            if (!node->optional) {
              /* Fine under a null parent; an error where every parent is valid. */
              if (!def || def[i] >= node->def) return required_null(leaf, node, i, err);
            } else if (def[i] > lower) {
              def[i] = lower;
            }
          }
        }
      }
    }
    if (k + 1 < leaf->depth) {
      a = a->children[leaf->child_index[k]];
      base += a->offset;
    }
  }
  if (leaf->arrow_dictionary)
    QV_RETURN_NOT_OK(dictionary_nulls(leaf, leaf->nodes[leaf->depth - 1], a, def, NULL, base, n, err));
  l->def = def;
  l->rep = NULL;
  l->pos = NULL;
  l->base = base;
  l->leaf = a;
  l->n = n;
  int64_t values = n;
  if (def) {
    values = 0;
    for (int64_t i = 0; i < n; i++) values += def[i] == leaf->max_def;
  }
  l->n_values = values;
  return QV_OK;
}

/* ---- paths with lists -------------------------------------------------------------- */

/* The entries being pushed down the path. pos < 0 marks an entry that ended
 * (its def is final). */
typedef struct entries {
  int64_t n;
  int64_t *pos;
  uint8_t *def, *rep;
} entries;

static void swap_bytes(qv_bytes *a, qv_bytes *b) {
  qv_bytes t = *a;
  *a = *b;
  *b = t;
}

/* Expands each live entry of a list-like node into its elements. */
static qv_status expand(qv_pqw_levels *l, entries *e, const qv_pqw_node *node, const qv_array *a,
                        const qv_array *child, qv_error *err) {
  const uint8_t *offs = qv__array_data(a, 1);
  bool fixed = node->kind == QV_PQW_FIXED_LIST;
  int64_t k = node->list_size;
#define LIST_START(p) (fixed ? (p) * k : node->large ? ((const int64_t *)offs)[p] : ((const int32_t *)offs)[p])
#define LIST_END(p) (fixed ? ((p) + 1) * k : node->large ? ((const int64_t *)offs)[(p) + 1] : ((const int32_t *)offs)[(p) + 1])
  int64_t total = 0;
  for (int64_t i = 0; i < e->n; i++) {
    int64_t p = e->pos[i];
    int64_t len = p < 0 ? 1 : LIST_END(p) - LIST_START(p);
    total += len > 0 ? len : 1;
  }
  QV_RETURN_NOT_OK(resize(&l->tmp_pos, total * (int64_t)sizeof(int64_t), err));
  QV_RETURN_NOT_OK(resize(&l->tmp_def, total, err));
  QV_RETURN_NOT_OK(resize(&l->tmp_rep, total, err));
  int64_t *pos = (int64_t *)l->tmp_pos.data;
  uint8_t *def = l->tmp_def.data, *rep = l->tmp_rep.data;
  int64_t o = 0;
  uint8_t elem_rep = (uint8_t)node->elem_rep;
  for (int64_t i = 0; i < e->n; i++) {
    int64_t p = e->pos[i];
    if (p < 0) {
      pos[o] = -1;
      def[o] = e->def[i];
      rep[o++] = e->rep[i];
      continue;
    }
    int64_t s = LIST_START(p), end = LIST_END(p);
    if (s == end) { /* an empty list: defined at the list's own level */
      pos[o] = -1;
      def[o] = (uint8_t)node->def;
      rep[o++] = e->rep[i];
      continue;
    }
    int64_t cbase = child->offset;
    pos[o] = cbase + s;
    rep[o++] = e->rep[i];
    for (int64_t j = s + 1; j < end; j++) {
      pos[o] = cbase + j;
      rep[o++] = elem_rep;
    }
  }
#undef LIST_START
#undef LIST_END
  swap_bytes(&l->tmp_pos, &l->pos_buf);
  swap_bytes(&l->tmp_def, &l->def_buf);
  swap_bytes(&l->tmp_rep, &l->rep_buf);
  e->n = total;
  e->pos = (int64_t *)l->pos_buf.data;
  e->def = l->def_buf.data;
  e->rep = l->rep_buf.data;
  return QV_OK;
}

static qv_status nested_levels(qv_pqw_levels *l, const qv_pqw_leaf *leaf, const qv_array *column, int64_t start,
                               int64_t n, qv_error *err) {
  QV_RETURN_NOT_OK(resize(&l->pos_buf, n * (int64_t)sizeof(int64_t), err));
  QV_RETURN_NOT_OK(resize(&l->def_buf, n, err));
  QV_RETURN_NOT_OK(resize(&l->rep_buf, n, err));
  entries e = {.n = n, .pos = (int64_t *)l->pos_buf.data, .def = l->def_buf.data, .rep = l->rep_buf.data};
  for (int64_t i = 0; i < n; i++) e.pos[i] = column->offset + start + i;
  memset(e.rep, 0, (size_t)n);
  memset(e.def, 0, (size_t)n);
  const qv_array *a = column;
  for (int32_t k = 0; k < leaf->depth; k++) {
    const qv_pqw_node *node = leaf->nodes[k];
    if (has_nulls(a)) {
      const uint8_t *valid = a->type->id == QV_NA ? NULL : qv__array_data(a, 0);
      uint8_t lower = (uint8_t)(node->def - 1);
      for (int64_t i = 0; i < e.n; i++) {
        int64_t p = e.pos[i];
        if (p < 0 || (valid && qv_bit_get(valid, p))) continue;
        if (!node->optional) return required_null(leaf, node, i, err);
        e.pos[i] = -1;
        e.def[i] = lower;
      }
    }
    switch (node->kind) {
      case QV_PQW_LEAF:
        for (int64_t i = 0; i < e.n; i++)
          if (e.pos[i] >= 0) e.def[i] = (uint8_t)node->def;
        break;
      case QV_PQW_STRUCT: {
        const qv_array *child = a->children[leaf->child_index[k]];
        for (int64_t i = 0; i < e.n; i++)
          if (e.pos[i] >= 0) e.pos[i] += child->offset;
        a = child;
        break;
      }
      case QV_PQW_LIST:
      case QV_PQW_FIXED_LIST: {
        const qv_array *child = a->children[0];
        QV_RETURN_NOT_OK(expand(l, &e, node, a, child, err));
        a = child;
        break;
      }
    }
  }
  if (leaf->arrow_dictionary)
    QV_RETURN_NOT_OK(dictionary_nulls(leaf, leaf->nodes[leaf->depth - 1], a, e.def, e.pos, 0, e.n, err));
  int64_t values = 0;
  for (int64_t i = 0; i < e.n; i++) values += e.def[i] == leaf->max_def;
  l->n = e.n;
  l->def = leaf->max_def > 0 ? e.def : NULL;
  l->rep = e.rep;
  l->pos = e.pos;
  l->base = 0;
  l->leaf = a;
  l->n_values = values;
  return QV_OK;
}

qv_status qv__pqw_levels_compute(qv_pqw_levels *l, const qv_pqw_leaf *leaf, const qv_array *column, int64_t start,
                                 int64_t n, qv_error *err) {
  if (leaf->max_rep == 0) return flat_levels(l, leaf, column, start, n, err);
  return nested_levels(l, leaf, column, start, n, err);
}
