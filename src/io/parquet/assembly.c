/* Record assembly: from the definition/repetition levels and dense physical
 * values of each leaf column (column.c) to Arrow arrays, for the node tree
 * of schema.c.
 *
 * Every node has a repetition depth r and a slot threshold E: a level entry
 * with rep <= r and def >= E is one slot of the node (one Arrow array
 * element); the slot is valid when def >= the node's own level. A list node
 * at depth r counts, for each of its slots, the entries with rep <= r + 1
 * and def >= its element level: those are its elements, which gives the
 * offsets. Structs and lists read their levels from their first leaf; every
 * child is built from its own leaves and must come out with the length the
 * parent expects, so inconsistent levels between columns are errors, not
 * out-of-bounds reads.
 *
 * Leaves: dense values are converted to the Arrow type first (narrowing,
 * decimal sign extension, INT96, UTF-8 check) and then spread over the slots
 * in place, back to front, leaving zeroed gaps for nulls; binary values only
 * get their offsets spread. Flat required columns skip all of this: the
 * decoded values vector becomes the Arrow buffer without a copy. */
#include "io/parquet/assembly.h"

#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"

/* ---- bitmaps and validity --------------------------------------------------------- */

/* A bitmap of n bits: bit i set when defs[i] >= level. */
static qv_status bits_from_levels(qv_allocator *alloc, const uint8_t *defs, int64_t n, uint8_t level,
                                  qv_buffer **out, int64_t *unset, qv_error *err) {
  QV_RETURN_NOT_OK(qv_buffer_allocate(alloc, (n + 7) / 8, out, err));
  uint8_t *bits = qv_buffer_mutable_data(*out);
  int64_t set = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    unsigned b = 0;
    for (int k = 0; k < 8; k++) b |= (unsigned)(defs[i + k] >= level) << k;
    bits[i >> 3] = (uint8_t)b;
    set += __builtin_popcount(b);
  }
  if (i < n) {
    unsigned b = 0;
    for (int k = 0; i + k < n; k++) b |= (unsigned)(defs[i + k] >= level) << k;
    bits[i >> 3] = (uint8_t)b;
    set += __builtin_popcount(b);
  }
  *unset = n - set;
  return QV_OK;
}

/* The definition levels of node n's slots in column batch b: either b's
 * levels themselves (flat paths) or a compacted copy in scratch. NULL when the
 * column has no definition levels (every slot present). */
static qv_status slot_levels(const qv_pq_column_batch *b, const qv_pq_column *col, const qv_pq_node *n,
                             qv_bytes *scratch, const uint8_t **defs, int64_t *n_slots, qv_error *err) {
  const uint8_t *def = col->max_def > 0 ? b->def.data : NULL;
  if (col->max_rep == 0) { /* no lists above: every entry is a slot */
    *defs = def;
    *n_slots = b->n_levels;
    return QV_OK;
  }
  const uint8_t *rep = b->rep.data; /* nested columns always have both levels */
  scratch->size = 0;
  QV_RETURN_NOT_OK(qv_bytes_reserve(scratch, b->n_levels, err));
  uint8_t *out = scratch->data;
  int64_t k = 0;
  uint8_t r = (uint8_t)n->rep, e = (uint8_t)n->slot_def;
  for (int64_t i = 0; i < b->n_levels; i++) {
    out[k] = def[i];
    k += rep[i] <= r && def[i] >= e;
  }
  scratch->size = k;
  *defs = out;
  *n_slots = k;
  return QV_OK;
}

/* ---- UTF-8 ------------------------------------------------------------------------ */

static bool utf8_valid(const uint8_t *s, int64_t n) {
  int64_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (!(w & 0x8080808080808080ull)) {
        i += 8;
        continue;
      }
    }
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (int k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
      return false;
    i += len;
  }
  return true;
}

static qv_status check_utf8(const qv_pq_values *v, qv_error *err) {
  const uint8_t *d = v->data.data;
  if (v->data.size == 0 || utf8_valid(d, v->data.size)) {
    /* A valid whole may still split a character between two values. */
    const int32_t *off = (const int32_t *)v->offsets.data;
    bool ascii = true;
    for (int64_t i = 0; i + 8 <= v->data.size && ascii; i += 8) {
      uint64_t w;
      memcpy(&w, d + i, 8);
      ascii = !(w & 0x8080808080808080ull);
    }
    for (int64_t i = v->data.size & ~(int64_t)7; i < v->data.size && ascii; i++) ascii = d[i] < 0x80;
    if (ascii) return QV_OK;
    for (int64_t i = 0; i < v->count; i++)
      if (!utf8_valid(d + off[i], off[i + 1] - off[i]))
        return qv_error_set(err, QV_INVALID, "value %lld is not valid UTF-8", (long long)i);
    return QV_OK;
  }
  return qv_error_set(err, QV_INVALID, "string data is not valid UTF-8");
}

/* ---- conversions to the Arrow type (dense) ------------------------------------------- */

/* Big-endian two's complement bytes to a little-endian decimal of `width`
 * bytes; false when the value does not fit. */
static bool be_to_decimal(const uint8_t *src, int64_t len, uint8_t *dst, int width) {
  uint8_t sign = len > 0 && (src[0] & 0x80) ? 0xff : 0x00;
  if (len > width) {
    for (int64_t i = 0; i < len - width; i++)
      if (src[i] != sign) return false;
    if (((src[len - width] ^ sign) & 0x80) != 0) return false;
    src += len - width;
    len = width;
  }
  for (int64_t i = 0; i < len; i++) dst[i] = src[len - 1 - i];
  memset(dst + len, sign, (size_t)(width - len));
  return true;
}

/* Converts v (count dense values) into Arrow layout in out_data (and
 * out_offsets for binary), with room for n_slots values. v's vectors may be
 * moved. */
static qv_status convert(const qv_pq_column *col, qv_pq_values *v, int64_t n_slots, qv_bytes *out_data,
                         qv_bytes *out_offsets, qv_error *err) {
  int64_t n = v->count;
  int32_t aw = qv_type_byte_width(col->type);
  switch (col->conversion) {
    case QV_PQ_CONV_UTF8: QV_RETURN_NOT_OK(check_utf8(v, err)); /* fallthrough */
    case QV_PQ_CONV_NONE:
      *out_data = v->data;
      qv_bytes_init(&v->data, out_data->alloc);
      if (v->width == 0) {
        *out_offsets = v->offsets;
        qv_bytes_init(&v->offsets, out_offsets->alloc);
      } else if (v->width > 0) {
        QV_RETURN_NOT_OK(qv_bytes_reserve(out_data, (n_slots - n) * v->width, err));
      }
      return QV_OK;
    case QV_PQ_CONV_NULL: return QV_OK;
    default: break;
  }
  QV_RETURN_NOT_OK(qv_bytes_reserve(out_data, n_slots * aw, err));
  uint8_t *dst = out_data->data;
  const uint8_t *src = v->data.data;
  switch (col->conversion) {
    case QV_PQ_CONV_I32_TO_I8:
      for (int64_t i = 0; i < n; i++) dst[i] = (uint8_t)((const int32_t *)src)[i];
      break;
    case QV_PQ_CONV_I32_TO_I16:
      for (int64_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = (uint16_t)((const int32_t *)src)[i];
      break;
    case QV_PQ_CONV_INT_TO_DEC: {
      /* Sign extension word by word (the loop vectorises). */
      int words = aw / 8;
      uint64_t *d64 = (uint64_t *)dst;
      if (v->width == 4) {
        const int32_t *s32 = (const int32_t *)src;
        for (int64_t i = 0; i < n; i++) {
          int64_t x = s32[i];
          d64[i * words] = (uint64_t)x;
          for (int k = 1; k < words; k++) d64[i * words + k] = (uint64_t)(x >> 63);
        }
      } else {
        const int64_t *s64 = (const int64_t *)src;
        for (int64_t i = 0; i < n; i++) {
          int64_t x = s64[i];
          d64[i * words] = (uint64_t)x;
          for (int k = 1; k < words; k++) d64[i * words + k] = (uint64_t)(x >> 63);
        }
      }
      break;
    }
    case QV_PQ_CONV_BYTES_TO_DEC: {
      const int32_t *off = (const int32_t *)v->offsets.data;
      for (int64_t i = 0; i < n; i++) {
        const uint8_t *s = v->width == 0 ? src + off[i] : src + i * v->width;
        int64_t len = v->width == 0 ? off[i + 1] - off[i] : v->width;
        if (!be_to_decimal(s, len, dst + i * aw, aw))
          return qv_error_set(err, QV_INVALID, "decimal value of %lld bytes does not fit %d bytes", (long long)len, aw);
      }
      break;
    }
    case QV_PQ_CONV_INT96_TO_NS:
      for (int64_t i = 0; i < n; i++) {
        uint64_t nanos;
        uint32_t day;
        memcpy(&nanos, src + i * 12, 8);
        memcpy(&day, src + i * 12 + 8, 4);
        /* Julian day 2440588 is 1970-01-01. The day is unsigned and results
         * outside int64 wrap, as in Arrow C++ (Spark writes such values). */
        uint64_t ns = ((uint64_t)day - 2440588u) * 86400000000000ull + nanos;
        memcpy(dst + i * 8, &ns, 8);
      }
      break;
    default: return qv_error_set(err, QV_INTERNAL, "unknown conversion %d", (int)col->conversion);
  }
  out_data->size = n * aw;
  return QV_OK;
}

/* ---- spreading dense values over slots ---------------------------------------------- */

static inline bool bit(const uint8_t *bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

/* Moves `count` dense fixed-width values to the slots whose bit is set,
 * zeroing the others; data has room for n_slots values. */
static void spread_fixed(uint8_t *data, int32_t w, int64_t count, const uint8_t *present, int64_t n_slots) {
  int64_t j = count - 1;
  for (int64_t i = n_slots - 1; i >= 0 && i > j; i--) {
    if (bit(present, i)) {
      memmove(data + i * w, data + j * w, (size_t)w);
      j--;
    } else {
      memset(data + i * w, 0, (size_t)w);
    }
  }
}

static void spread_bits(uint8_t *dst, const uint8_t *src, const uint8_t *present, int64_t n_slots) {
  int64_t j = 0;
  memset(dst, 0, (size_t)((n_slots + 7) / 8));
  for (int64_t i = 0; i < n_slots; i++) {
    if (bit(present, i)) {
      if (bit(src, j)) dst[i >> 3] |= (uint8_t)(1u << (i & 7));
      j++;
    }
  }
}

/* ---- leaves ------------------------------------------------------------------------ */

static qv_status leaf_array(qv_pq_assembly *as, const qv_pq_node *n, qv_array **out, qv_error *err) {
  const qv_pq_column *col = &as->schema->columns[n->column];
  qv_pq_column_batch *b = &as->batches[n->column];
  qv_allocator *alloc = as->alloc;
  const uint8_t *defs;
  int64_t n_slots;
  QV_RETURN_NOT_OK(slot_levels(b, col, n, &as->scratch, &defs, &n_slots, err));
  qv_pq_values *v = &b->values;
  qv_buffer *present = NULL, *bufs[3] = {NULL, NULL, NULL};
  qv_bytes data, offsets;
  qv_bytes_init(&data, alloc);
  qv_bytes_init(&offsets, alloc);
  int64_t nulls = 0;
  qv_status st = QV_OK;
  if (defs) st = bits_from_levels(alloc, defs, n_slots, (uint8_t)col->max_def, &present, &nulls, err);
  if (st == QV_OK && n_slots - nulls != v->count)
    st = qv_error_set(err, QV_INVALID, "column '%s': %lld values for %lld defined slots", col->path,
                      (long long)v->count, (long long)(n_slots - nulls));
  if (st == QV_OK && nulls > 0 && n->must_be_valid)
    st = qv_error_set(err, QV_INVALID, "column '%s': a map key is null", col->path);
  if (st != QV_OK) goto done;
  if (col->conversion == QV_PQ_CONV_NULL) {
    st = qv_array_make_nulls(alloc, col->type, n_slots, out, err);
    goto done;
  }
  st = convert(col, v, n_slots, &data, &offsets, err);
  if (st != QV_OK) goto done;
  qv_type_id id = col->type->id;
  bool is_binary = qv_type_is_binary_like(id);
  if (id == QV_BOOL) {
    if (nulls > 0) {
      qv_bytes spread;
      qv_bytes_init(&spread, alloc);
      st = qv_bytes_reserve(&spread, (n_slots + 7) / 8, err);
      if (st == QV_OK) {
        spread_bits(spread.data, data.data, qv_buffer_data(present), n_slots);
        spread.size = (n_slots + 7) / 8;
        qv_bytes_reset(&data);
        data = spread;
      } else {
        qv_bytes_reset(&spread);
      }
    }
  } else if (is_binary) {
    if (nulls > 0 || col->large) {
      /* New offsets: one per slot, repeated over nulls, widened when large. */
      int32_t ow = col->large ? 8 : 4;
      qv_bytes spread;
      qv_bytes_init(&spread, alloc);
      st = qv_bytes_reserve(&spread, (n_slots + 1) * ow, err);
      if (st == QV_OK) {
        const int32_t *src = (const int32_t *)offsets.data;
        const uint8_t *pb = present ? qv_buffer_data(present) : NULL;
        int64_t j = 0, cur = 0;
        for (int64_t i = 0; i <= n_slots; i++) {
          if (i > 0 && (!pb || bit(pb, i - 1))) cur = src[++j];
          if (ow == 8) ((int64_t *)spread.data)[i] = cur;
          else ((int32_t *)spread.data)[i] = (int32_t)cur;
        }
        spread.size = (n_slots + 1) * ow;
        qv_bytes_reset(&offsets);
        offsets = spread;
      } else {
        qv_bytes_reset(&spread);
      }
    }
  } else if (nulls > 0) {
    int32_t w = qv_type_byte_width(col->type);
    spread_fixed(data.data, w, v->count, qv_buffer_data(present), n_slots);
    data.size = n_slots * (int64_t)w;
  }
  if (st != QV_OK) goto done;
  bufs[0] = n->nullable && nulls > 0 ? present : NULL;
  if (is_binary) {
    st = qv_bytes_finish(&offsets, &bufs[1], err);
    if (st == QV_OK) st = qv_bytes_finish(&data, &bufs[2], err);
  } else {
    st = qv_bytes_finish(&data, &bufs[1], err);
  }
  if (st == QV_OK)
    st = qv_array_create(col->type, n_slots, 0, n->nullable ? nulls : 0, bufs, is_binary ? 3 : 2, NULL, 0, NULL, out,
                         err);
done:
  qv_buffer_unref(present);
  qv_buffer_unref(bufs[1]);
  qv_buffer_unref(bufs[2]);
  qv_bytes_reset(&data);
  qv_bytes_reset(&offsets);
  return st;
}

/* ---- structs, lists, maps ----------------------------------------------------------- */

static qv_status node_array(qv_pq_assembly *as, const qv_pq_node *n, qv_array **out, qv_error *err);

/* Validity of node n's slots from its first leaf; *n_slots is their number. */
static qv_status node_validity(qv_pq_assembly *as, const qv_pq_node *n, int64_t *n_slots, qv_buffer **validity,
                               int64_t *nulls, qv_error *err) {
  const qv_pq_column *col = &as->schema->columns[n->first_column];
  qv_pq_column_batch *b = &as->batches[n->first_column];
  const uint8_t *defs;
  *validity = NULL;
  *nulls = 0;
  QV_RETURN_NOT_OK(slot_levels(b, col, n, &as->scratch, &defs, n_slots, err));
  if (!n->nullable || !defs) return QV_OK;
  QV_RETURN_NOT_OK(bits_from_levels(as->alloc, defs, *n_slots, (uint8_t)n->def, validity, nulls, err));
  if (*nulls == 0) {
    qv_buffer_unref(*validity);
    *validity = NULL;
  }
  return QV_OK;
}

static qv_status struct_array(qv_pq_assembly *as, const qv_pq_node *n, qv_array **out, qv_error *err) {
  int64_t n_slots, nulls;
  qv_buffer *validity;
  QV_RETURN_NOT_OK(node_validity(as, n, &n_slots, &validity, &nulls, err));
  qv_array **children = calloc((size_t)(n->n_children ? n->n_children : 1), sizeof *children);
  qv_status st = children ? QV_OK : qv_error_set(err, QV_NOMEM, "parquet: out of memory");
  for (int32_t i = 0; st == QV_OK && i < n->n_children; i++) {
    st = node_array(as, n->children[i], &children[i], err);
    if (st == QV_OK && qv_array_length(children[i]) != n_slots)
      st = qv_error_set(err, QV_INVALID, "field '%s': child '%s' has %lld values for %lld slots (inconsistent levels)",
                        n->name, n->children[i]->name, (long long)qv_array_length(children[i]), (long long)n_slots);
  }
  if (st == QV_OK)
    st = qv_array_create(qv_field_type(n->field), n_slots, 0, nulls, &validity, 1, children, n->n_children, NULL, out,
                         err);
  for (int32_t i = 0; children && i < n->n_children; i++) qv_array_unref(children[i]);
  free(children);
  qv_buffer_unref(validity);
  return st;
}

static qv_status list_array(qv_pq_assembly *as, const qv_pq_node *n, qv_array **out, qv_error *err) {
  int64_t n_slots, nulls;
  qv_buffer *validity, *offsets = NULL;
  QV_RETURN_NOT_OK(node_validity(as, n, &n_slots, &validity, &nulls, err));
  const qv_pq_column *col = &as->schema->columns[n->first_column];
  qv_pq_column_batch *b = &as->batches[n->first_column];
  int32_t ow = n->large ? 8 : 4;
  qv_array *child = NULL;
  qv_status st = qv_buffer_allocate(as->alloc, (n_slots + 1) * ow, &offsets, err);
  if (st == QV_OK) {
    uint8_t *od = qv_buffer_mutable_data(offsets);
    const uint8_t *def = col->max_def > 0 ? b->def.data : NULL, *rep = b->rep.data;
    uint8_t r = (uint8_t)n->rep, e = (uint8_t)n->slot_def, ed = (uint8_t)n->elem_def;
    int64_t slot = -1, count = 0;
    for (int64_t i = 0; i < b->n_levels && st == QV_OK; i++) {
      uint8_t d = def ? def[i] : 0;
      if (rep[i] <= r && d >= e) {
        slot++;
        if (slot >= n_slots) break;
        if (ow == 8) ((int64_t *)od)[slot] = count;
        else ((int32_t *)od)[slot] = (int32_t)count;
      }
      if (rep[i] <= r + 1 && d >= ed) {
        if (slot < 0) st = qv_error_set(err, QV_INVALID, "column '%s': list element before its list", col->path);
        count++;
      }
    }
    if (st == QV_OK && slot + 1 != n_slots)
      st = qv_error_set(err, QV_INVALID, "column '%s': inconsistent list levels", col->path);
    if (st == QV_OK && count > INT32_MAX && ow == 4)
      st = qv_error_set(err, QV_NOT_IMPLEMENTED, "list '%s' has more than 2^31 elements in one batch", n->name);
    if (st == QV_OK) {
      if (ow == 8) ((int64_t *)od)[n_slots] = count;
      else ((int32_t *)od)[n_slots] = (int32_t)count;
    }
    if (st == QV_OK) st = node_array(as, n->children[0], &child, err);
    if (st == QV_OK && qv_array_length(child) != count)
      st = qv_error_set(err, QV_INVALID, "list '%s': %lld elements for offsets ending at %lld (inconsistent levels)",
                        n->name, (long long)qv_array_length(child), (long long)count);
  }
  if (st == QV_OK) {
    qv_buffer *bufs[2] = {validity, offsets};
    st = qv_array_create(qv_field_type(n->field), n_slots, 0, nulls, bufs, 2, &child, 1, NULL, out, err);
  }
  qv_array_unref(child);
  qv_buffer_unref(offsets);
  qv_buffer_unref(validity);
  return st;
}

static qv_status node_array(qv_pq_assembly *as, const qv_pq_node *n, qv_array **out, qv_error *err) {
  *out = NULL;
  switch (n->kind) {
    case QV_PQ_NODE_LEAF: return leaf_array(as, n, out, err);
    case QV_PQ_NODE_STRUCT: return struct_array(as, n, out, err);
    default: return list_array(as, n, out, err);
  }
}

qv_status qv__pq_assemble(qv_pq_assembly *as, const qv_pq_node *field, int64_t n_rows, qv_array **out,
                          qv_error *err) {
  QV_RETURN_NOT_OK(node_array(as, field, out, err));
  int64_t len = qv_array_length(*out);
  if (len != n_rows) {
    qv_array_unref(*out);
    *out = NULL;
    return qv_error_set(err, QV_INVALID, "field '%s': %lld values for %lld rows (inconsistent levels)", field->name,
                        (long long)len, (long long)n_rows);
  }
  return QV_OK;
}

/* ---- single values (statistics) ------------------------------------------------------ */

qv_status qv__pq_plain_value_array(const qv_pq_column *col, const uint8_t *bytes, int64_t len, qv_allocator *alloc,
                                   qv_array **out, qv_error *err) {
  *out = NULL;
  if (col->conversion == QV_PQ_CONV_NULL)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "a null column has no value statistics");
  int32_t w = qv__pq_physical_width(col->physical_type, col->type_length);
  if ((w > 0 && len != w) || (w < 0 && len < 1) || len < 0)
    return qv_error_set(err, QV_INVALID, "a value of %lld bytes for a %s column", (long long)len,
                        qv_parquet_physical_type_name((qv_parquet_physical_type)col->physical_type));
  qv_pq_values v;
  qv__pq_values_init(&v, alloc, w);
  qv_bytes data, offsets;
  qv_bytes_init(&data, alloc);
  qv_bytes_init(&offsets, alloc);
  qv_buffer *bufs[3] = {NULL, NULL, NULL};
  qv_status st = qv__pq_values_start(&v, err);
  if (st == QV_OK && w < 0) {
    uint8_t b = bytes[0] & 1;
    st = qv_bytes_append(&v.data, &b, 1, err);
  } else if (st == QV_OK) {
    st = qv_bytes_append(&v.data, bytes, len, err);
    if (st == QV_OK && w == 0) {
      int32_t end = (int32_t)len;
      st = len > INT32_MAX ? qv_error_set(err, QV_INVALID, "statistics value too large")
                           : qv_bytes_append(&v.offsets, &end, 4, err);
    }
  }
  v.count = 1;
  if (st == QV_OK) st = convert(col, &v, 1, &data, &offsets, err);
  bool is_binary = qv_type_is_binary_like(col->type->id);
  if (st == QV_OK && is_binary && col->large) {
    int64_t wide[2] = {0, ((const int32_t *)offsets.data)[1]};
    offsets.size = 0;
    st = qv_bytes_append(&offsets, wide, 16, err);
  }
  if (st == QV_OK && is_binary) {
    st = qv_bytes_finish(&offsets, &bufs[1], err);
    if (st == QV_OK) st = qv_bytes_finish(&data, &bufs[2], err);
  } else if (st == QV_OK) {
    st = qv_bytes_finish(&data, &bufs[1], err);
  }
  if (st == QV_OK) st = qv_array_create(col->type, 1, 0, 0, bufs, is_binary ? 3 : 2, NULL, 0, NULL, out, err);
  qv_buffer_unref(bufs[1]);
  qv_buffer_unref(bufs[2]);
  qv_bytes_reset(&data);
  qv_bytes_reset(&offsets);
  qv__pq_values_reset(&v);
  return st;
}
