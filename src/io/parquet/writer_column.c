/* One column chunk of the Parquet writer. Level entries and values arrive in
 * pieces of whole rows, sized so that the current page reaches
 * data_page_size; the page keeps its levels as bytes and its values either
 * PLAIN-encoded or as dictionary indices, and is encoded when full:
 *
 *   v1: [rep levels: 4-byte length + RLE] [def levels: same] [values],
 *       the whole page compressed;
 *   v2: rep and def levels RLE without lengths (sizes in the header),
 *       stored raw, then the values compressed (or raw, with
 *       is_compressed = false, when compression would not shrink them).
 *
 * Dictionary encoding (RLE_DICTIONARY data pages, one PLAIN dictionary page
 * first in the chunk) is tried on every chunk whose type allows it. When
 * the first page is written, or earlier once its values would fill a PLAIN
 * page, the dictionary must pay off: if the dictionary plus the indices are
 * not smaller than the same values PLAIN, the page is re-encoded PLAIN from
 * the dictionary and the chunk stays PLAIN. When the
 * dictionary outgrows dictionary_page_size, the page is written and the
 * rest of the chunk falls back to PLAIN (a chunk may mix both kinds of
 * page). Arrow dictionary arrays are looked up once per distinct Arrow
 * index (a memo from Arrow dictionary index to Parquet entry), so a
 * dictionary-encoded Arrow column stays dictionary-encoded for the price of
 * its dictionary.
 *
 * Pages cut at row boundaries (repetition level 0), in both versions. */
#include <string.h>
#include <zlib.h>

#include "io/parquet/thrift_write.h"
#include "io/parquet/writer_internal.h"

void qv__pqw_scratch_init(qv_pqw_scratch *s, qv_allocator *alloc) {
  memset(s, 0, sizeof *s);
  qv_bytes_init(&s->page, alloc);
  qv_bytes_init(&s->compressed, alloc);
  qv_bytes_init(&s->header, alloc);
  qv_bytes_init(&s->levels, alloc);
  qv_bytes_init(&s->runs, alloc);
  qv_bytes_init(&s->physical, alloc);
  qv_bytes_init(&s->bools, alloc);
}

void qv__pqw_scratch_reset(qv_pqw_scratch *s) {
  qv__pqw_compressor_reset(&s->compressor);
  qv_bytes_reset(&s->page);
  qv_bytes_reset(&s->compressed);
  qv_bytes_reset(&s->header);
  qv_bytes_reset(&s->levels);
  qv_bytes_reset(&s->runs);
  qv_bytes_reset(&s->physical);
  qv_bytes_reset(&s->bools);
}

static bool dictionary_wanted(const qv_pqw_column *c) { return c->config->dictionary && c->leaf->dictionary_ok; }

void qv__pqw_column_init(qv_pqw_column *c, const qv_pqw_leaf *leaf, const qv_pqw_config *config,
                         qv_allocator *alloc) {
  memset(c, 0, sizeof *c);
  c->leaf = leaf;
  c->config = config;
  c->alloc = alloc;
  qv_bytes_init(&c->def, alloc);
  qv_bytes_init(&c->rep, alloc);
  qv_bytes_init(&c->values, alloc);
  qv_bytes_init(&c->indices, alloc);
  qv_bytes_init(&c->memo, alloc);
  qv_bytes_init(&c->pages, alloc);
  qv_bytes_init(&c->dict_page, alloc);
  qv__pqw_dict_init(&c->dict, alloc, leaf->width);
  qv__pqw_stats_init(&c->stats, alloc, leaf->order,
                     leaf->physical_type == QV_PARQUET_FIXED_LEN_BYTE_ARRAY ? leaf->width : 0);
  c->dict_mode = dictionary_wanted(c);
}

void qv__pqw_column_reset(qv_pqw_column *c) {
  qv_array_unref(c->memo_of);
  c->memo_of = NULL;
  qv_bytes_reset(&c->def);
  qv_bytes_reset(&c->rep);
  qv_bytes_reset(&c->values);
  qv_bytes_reset(&c->indices);
  qv_bytes_reset(&c->memo);
  qv_bytes_reset(&c->pages);
  qv_bytes_reset(&c->dict_page);
  qv__pqw_dict_reset(&c->dict);
  qv__pqw_stats_reset(&c->stats);
}

static void forget_memo(qv_pqw_column *c) {
  qv_array_unref(c->memo_of);
  c->memo_of = NULL;
  c->memo.size = 0;
}

static void clear_page(qv_pqw_column *c) {
  c->def.size = c->rep.size = c->values.size = c->indices.size = 0;
  c->value_bits = 0;
  c->page_levels = c->page_values = c->page_rows = c->page_plain_bytes = 0;
}

void qv__pqw_column_clear(qv_pqw_column *c) {
  clear_page(c);
  c->pages.size = c->dict_page.size = 0;
  c->chunk_levels = c->chunk_uncompressed = c->n_data_pages = 0;
  c->encodings = 0;
  c->dict_pages = 0;
  c->dict_tried = false;
  c->dict_mode = dictionary_wanted(c);
  forget_memo(c);
  qv__pqw_dict_clear(&c->dict);
  qv__pqw_stats_clear(&c->stats);
}

static int index_bit_width(const qv_pqw_column *c) {
  int bw = qv__pqw_bit_width(c->dict.count > 0 ? (uint64_t)(c->dict.count - 1) : 0);
  return bw ? bw : 1; /* width 0 is legal, but not every reader takes it */
}

/* Bytes the current page would take encoded (before compression). */
static int64_t page_estimate(const qv_pqw_column *c) {
  const qv_pqw_leaf *leaf = c->leaf;
  int64_t levels = (c->page_levels * (qv__pqw_bit_width((uint64_t)leaf->max_def) +
                                      qv__pqw_bit_width((uint64_t)leaf->max_rep)) + 7) / 8;
  int64_t values = c->dict_mode ? (c->page_values * index_bit_width(c) + 7) / 8 : c->values.size;
  return levels + values;
}

/* ---- appending ------------------------------------------------------------------------------ */

typedef struct run_builder {
  qv_pqw_run *runs;
  int64_t n;
} run_builder;

static inline void add_slot(run_builder *b, int64_t slot) {
  if (b->n > 0 && b->runs[b->n - 1].start + b->runs[b->n - 1].length == slot) {
    b->runs[b->n - 1].length++;
  } else {
    b->runs[b->n].start = slot;
    b->runs[b->n++].length = 1;
  }
}

/* The runs of value slots (in `values`) of the entries [e0, e1) of l. */
static qv_status build_runs(const qv_pqw_leaf *leaf, const qv_pqw_levels *l, const qv_array *values, int64_t e0,
                            int64_t e1, qv_pqw_scratch *s, run_builder *b, qv_error *err) {
  s->runs.size = 0;
  QV_RETURN_NOT_OK(qv_bytes_reserve(&s->runs, (e1 - e0) * (int64_t)sizeof(qv_pqw_run), err));
  b->runs = (qv_pqw_run *)(void *)s->runs.data;
  b->n = 0;
  const uint8_t *def = l->def;
  uint8_t max_def = (uint8_t)leaf->max_def;
  if (leaf->arrow_dictionary) {
    int64_t voff = values->offset;
    for (int64_t i = e0; i < e1; i++) {
      if (def && def[i] != max_def) continue;
      add_slot(b, voff + qv__pqw_dict_index(l->leaf, l->pos ? l->pos[i] : l->base + i));
    }
  } else if (l->pos) {
    for (int64_t i = e0; i < e1; i++)
      if (def[i] == max_def) add_slot(b, l->pos[i]);
  } else if (!def) {
    b->runs[0].start = l->base + e0;
    b->runs[0].length = e1 - e0;
    b->n = e1 > e0;
  } else {
    int64_t i = e0;
    while (i < e1) {
      while (i < e1 && def[i] != max_def) i++;
      int64_t j = i;
      while (j < e1 && def[j] == max_def) j++;
      if (j > i) {
        b->runs[b->n].start = l->base + i;
        b->runs[b->n++].length = j - i;
      }
      i = j;
    }
  }
  return QV_OK;
}

static qv_status fold_new_entries(qv_pqw_column *c, int64_t old_count, qv_error *err) {
  int64_t n = c->dict.count - old_count;
  if (!c->config->statistics || n == 0) return QV_OK;
  const uint8_t *p;
  if (c->dict.width > 0) {
    p = c->dict.plain.data + old_count * c->dict.width;
  } else {
    int64_t at;
    memcpy(&at, c->dict.starts.data + old_count * 8, 8);
    p = c->dict.plain.data + at - 4; /* the PLAIN entry starts at its length */
  }
  return qv__pqw_stats_update(&c->stats, p, 0, n, err);
}

/* Dictionary-encodes the values of runs: indices appended to c->indices. */
static qv_status append_dictionary(qv_pqw_column *c, const qv_array *values, const run_builder *b, int64_t n_values,
                                   qv_pqw_scratch *s, qv_error *err) {
  const qv_pqw_leaf *leaf = c->leaf;
  QV_RETURN_NOT_OK(qv_bytes_reserve(&c->indices, n_values * 4, err));
  uint32_t *out = (uint32_t *)(void *)(c->indices.data + c->indices.size);
  int64_t old_count = c->dict.count;
  bool binary = leaf->width == 0;
  bool large = leaf->conv == QV_PQW_CONV_LARGE_BINARY;
  const void *offs = binary ? (const void *)qv__array_data(values, 1) : NULL;
  const uint8_t *data = binary ? qv__array_data(values, 2) : NULL;
#define VALUE_BYTES(start, len)                                                                            \
  (binary ? (large ? ((const int64_t *)offs)[(start) + (len)] - ((const int64_t *)offs)[start]             \
                   : (int64_t)((const int32_t *)offs)[(start) + (len)] - ((const int32_t *)offs)[start]) + \
                4 * (len)                                                                                  \
          : (int64_t)(len) * leaf->width)
  if (leaf->arrow_dictionary) {
    /* A memo from Arrow dictionary index to Parquet entry, for the dictionary
     * array of this batch. */
    int64_t dlen = values->length;
    if (c->memo_of != values) {
      forget_memo(c);
      QV_RETURN_NOT_OK(qv_bytes_reserve(&c->memo, dlen * 8, err));
      memset(c->memo.data, 0xff, (size_t)(dlen * 8));
      c->memo.size = dlen * 8;
      /* Held, so that its address cannot come back as another dictionary. */
      c->memo_of = qv_array_ref((qv_array *)values);
    }
    int64_t *memo = (int64_t *)(void *)c->memo.data;
    int64_t o = 0;
    for (int64_t r = 0; r < b->n; r++) {
      for (int64_t k = b->runs[r].start, end = k + b->runs[r].length; k < end; k++) {
        int64_t m = memo[k - values->offset];
        if (m < 0) {
          uint32_t idx;
          if (binary) {
            QV_RETURN_NOT_OK(qv__pqw_dict_put_binary(&c->dict, offs, large, data, k, 1, &idx, err));
          } else {
            const uint8_t *p;
            QV_RETURN_NOT_OK(qv__pqw_physical(leaf, values, k, 1, &s->physical, &p, err));
            QV_RETURN_NOT_OK(qv__pqw_dict_put_fixed(&c->dict, p, 1, &idx, err));
          }
          memo[k - values->offset] = m = idx;
        }
        out[o++] = (uint32_t)m;
        c->page_plain_bytes += VALUE_BYTES(k, 1);
      }
    }
  } else {
    for (int64_t r = 0; r < b->n; r++) {
      int64_t start = b->runs[r].start, len = b->runs[r].length;
      if (binary) {
        QV_RETURN_NOT_OK(qv__pqw_dict_put_binary(&c->dict, offs, large, data, start, len, out, err));
      } else {
        const uint8_t *p;
        QV_RETURN_NOT_OK(qv__pqw_physical(leaf, values, start, len, &s->physical, &p, err));
        QV_RETURN_NOT_OK(qv__pqw_dict_put_fixed(&c->dict, p, len, out, err));
      }
      out += len;
      c->page_plain_bytes += VALUE_BYTES(start, len);
    }
  }
#undef VALUE_BYTES
  c->indices.size += n_values * 4;
  return fold_new_entries(c, old_count, err);
}

static qv_status append_piece(qv_pqw_column *c, const qv_pqw_levels *l, int64_t e0, int64_t e1, qv_pqw_scratch *s,
                              qv_error *err) {
  const qv_pqw_leaf *leaf = c->leaf;
  int64_t n = e1 - e0;
  if (leaf->max_def > 0) QV_RETURN_NOT_OK(qv_bytes_append(&c->def, l->def + e0, n, err));
  if (leaf->max_rep > 0) {
    QV_RETURN_NOT_OK(qv_bytes_append(&c->rep, l->rep + e0, n, err));
    for (int64_t i = e0; i < e1; i++) c->page_rows += l->rep[i] == 0;
  } else {
    c->page_rows += n;
  }
  c->page_levels += n;
  if (leaf->conv == QV_PQW_CONV_NULL) return QV_OK;
  const qv_array *values = leaf->arrow_dictionary ? l->leaf->dictionary : l->leaf;
  run_builder b;
  QV_RETURN_NOT_OK(build_runs(leaf, l, values, e0, e1, s, &b, err));
  int64_t n_values = 0;
  for (int64_t r = 0; r < b.n; r++) n_values += b.runs[r].length;
  if (n_values == 0) return QV_OK;
  c->page_values += n_values;
  if (c->dict_mode) return append_dictionary(c, values, &b, n_values, s, err);
  int64_t old_size = c->values.size, old_bits = c->value_bits;
  QV_RETURN_NOT_OK(qv__pqw_plain_append(leaf, values, b.runs, b.n, &c->values, &c->value_bits, err));
  if (!c->config->statistics) return QV_OK;
  if (leaf->physical_type == QV_PARQUET_BOOLEAN)
    return qv__pqw_stats_update(&c->stats, c->values.data, old_bits, n_values, err);
  return qv__pqw_stats_update(&c->stats, c->values.data + old_size, 0, n_values, err);
}

/* ---- pages ------------------------------------------------------------------------------------ */

static qv_status page_too_large(const qv_pqw_column *c, int64_t size, qv_error *err) {
  return qv_error_set(err, QV_INVALID, "parquet: column '%s': a page of %lld bytes exceeds Parquet's 2 GiB limit",
                      c->leaf->path, (long long)size);
}

/* Re-encodes the dictionary page's values PLAIN (the dictionary did not pay
 * off) and drops the dictionary. */
static qv_status undo_dictionary(qv_pqw_column *c, qv_error *err) {
  const uint32_t *idx = (const uint32_t *)(const void *)c->indices.data;
  int64_t n = c->page_values;
  c->values.size = 0;
  if (c->dict.width > 0) {
    int64_t w = c->dict.width;
    QV_RETURN_NOT_OK(qv_bytes_reserve(&c->values, n * w, err));
    for (int64_t i = 0; i < n; i++) memcpy(c->values.data + i * w, c->dict.plain.data + idx[i] * w, (size_t)w);
    c->values.size = n * w;
  } else {
    QV_RETURN_NOT_OK(qv_bytes_reserve(&c->values, c->page_plain_bytes, err));
    const int64_t *starts = (const int64_t *)(const void *)c->dict.starts.data;
    uint8_t *o = c->values.data;
    for (int64_t i = 0; i < n; i++) {
      const uint8_t *entry = c->dict.plain.data + starts[idx[i]] - 4;
      uint32_t len;
      memcpy(&len, entry, 4);
      memcpy(o, entry, (size_t)len + 4);
      o += len + 4;
    }
    c->values.size = o - c->values.data;
  }
  c->indices.size = 0;
  c->dict_mode = false;
  forget_memo(c);
  qv__pqw_dict_clear(&c->dict);
  return QV_OK;
}

/* Appends the levels of the current page to out: v1 with a 4-byte length
 * before each stream, v2 without (lengths returned). */
static qv_status encode_levels(qv_pqw_column *c, bool v1, qv_bytes *out, int32_t *rep_len, int32_t *def_len,
                               qv_error *err) {
  const qv_pqw_leaf *leaf = c->leaf;
  const qv_bytes *streams[2] = {&c->rep, &c->def};
  int16_t maxes[2] = {leaf->max_rep, leaf->max_def};
  int32_t *lens[2] = {rep_len, def_len};
  for (int k = 0; k < 2; k++) {
    *lens[k] = 0;
    if (maxes[k] == 0) continue;
    int64_t at = out->size;
    if (v1) QV_RETURN_NOT_OK(qv_bytes_append_zeros(out, 4, err));
    QV_RETURN_NOT_OK(qv__pqw_rle_encode_u8(streams[k]->data, c->page_levels, qv__pqw_bit_width((uint64_t)maxes[k]),
                                           out, err));
    int64_t len = out->size - at - (v1 ? 4 : 0);
    if (len > INT32_MAX) return page_too_large(c, len, err);
    if (v1) {
      uint32_t l32 = (uint32_t)len;
      memcpy(out->data + at, &l32, 4);
    }
    *lens[k] = (int32_t)len;
  }
  return QV_OK;
}

/* Appends the values section of the current page to out; returns its
 * encoding. */
static qv_status encode_values(qv_pqw_column *c, bool v1, qv_bytes *out, int32_t *encoding, qv_pqw_scratch *s,
                               qv_error *err) {
  if (c->dict_mode) {
    int bw = index_bit_width(c);
    uint8_t b = (uint8_t)bw;
    QV_RETURN_NOT_OK(qv_bytes_append(out, &b, 1, err));
    *encoding = QV_PARQUET_RLE_DICTIONARY;
    return qv__pqw_rle_encode_u32((const uint32_t *)(const void *)c->indices.data, c->page_values, bw, out, err);
  }
  if (!v1 && c->leaf->physical_type == QV_PARQUET_BOOLEAN) {
    /* v2 booleans: RLE, with a 4-byte length prefix. */
    s->bools.size = 0;
    QV_RETURN_NOT_OK(qv_bytes_reserve(&s->bools, c->page_values, err));
    for (int64_t i = 0; i < c->page_values; i++) s->bools.data[i] = (uint8_t)qv_bit_get(c->values.data, i);
    int64_t at = out->size;
    QV_RETURN_NOT_OK(qv_bytes_append_zeros(out, 4, err));
    QV_RETURN_NOT_OK(qv__pqw_rle_encode_u8(s->bools.data, c->page_values, 1, out, err));
    uint32_t len = (uint32_t)(out->size - at - 4);
    memcpy(out->data + at, &len, 4);
    *encoding = QV_PARQUET_RLE;
    return QV_OK;
  }
  *encoding = QV_PARQUET_PLAIN;
  return qv_bytes_append(out, c->values.data, c->values.size, err);
}

/* Appends header + body to the chunk. */
static qv_status emit_page(qv_pqw_column *c, qv_pq_page_header *h, const uint8_t *a, int64_t alen, const uint8_t *b,
                           int64_t blen, qv_bytes *dst, qv_pqw_scratch *s, qv_error *err) {
  if (c->config->page_checksums) {
    uLong crc = crc32(0L, Z_NULL, 0);
    if (alen) crc = crc32(crc, a, (uInt)alen);
    if (blen) crc = crc32(crc, b, (uInt)blen);
    h->has_crc = true;
    h->crc = (uint32_t)crc;
  }
  s->header.size = 0;
  QV_RETURN_NOT_OK(qv__pq_encode_page_header(h, &s->header, err));
  QV_RETURN_NOT_OK(qv_bytes_reserve(dst, s->header.size + alen + blen, err));
  memcpy(dst->data + dst->size, s->header.data, (size_t)s->header.size);
  dst->size += s->header.size;
  if (alen) memcpy(dst->data + dst->size, a, (size_t)alen);
  dst->size += alen;
  if (blen) memcpy(dst->data + dst->size, b, (size_t)blen);
  dst->size += blen;
  c->chunk_uncompressed += s->header.size + h->uncompressed_page_size;
  return QV_OK;
}

/* Decides, once per chunk, whether the dictionary pays off: whether the
 * dictionary plus the indices of the page take fewer bytes than the same
 * values PLAIN. Called when the first page is written, or as soon as its
 * values would fill a PLAIN page, so that a column of distinct values is
 * not hashed much further than one page. */
static qv_status judge_dictionary(qv_pqw_column *c, qv_error *err) {
  c->dict_tried = true;
  int64_t dict_cost = c->dict.plain.size + (c->page_values * index_bit_width(c) + 7) / 8;
  if (c->dict_pages == 0 && dict_cost >= c->page_plain_bytes) return undo_dictionary(c, err);
  return QV_OK;
}

static qv_status flush_page(qv_pqw_column *c, qv_pqw_scratch *s, qv_error *err) {
  if (c->page_levels == 0) return QV_OK;
  if (c->dict_mode && !c->dict_tried) QV_RETURN_NOT_OK(judge_dictionary(c, err));
  bool v1 = c->config->data_page_version != 2;
  bool compress = c->config->codec != QV_PARQUET_UNCOMPRESSED;
  int32_t rep_len, def_len, encoding;
  qv_pq_page_header h;
  memset(&h, 0, sizeof h);
  s->page.size = 0;
  QV_RETURN_NOT_OK(encode_levels(c, v1, &s->page, &rep_len, &def_len, err));
  int64_t levels_size = s->page.size;
  QV_RETURN_NOT_OK(encode_values(c, v1, &s->page, &encoding, s, err));
  if (s->page.size > INT32_MAX) return page_too_large(c, s->page.size, err);
  if (c->page_levels > INT32_MAX) return page_too_large(c, c->page_levels, err);
  h.uncompressed_page_size = (int32_t)s->page.size;
  if (v1) {
    h.type = QV_PQ_DATA_PAGE;
    h.has_data = true;
    h.data.num_values = (int32_t)c->page_levels;
    h.data.encoding = encoding;
    h.data.def_encoding = QV_PARQUET_RLE;
    h.data.rep_encoding = QV_PARQUET_RLE;
    const qv_bytes *body = &s->page;
    if (compress) {
      QV_RETURN_NOT_OK(qv__pqw_compress(&s->compressor, s->page.data, s->page.size, &s->compressed, err));
      body = &s->compressed;
    }
    if (body->size > INT32_MAX) return page_too_large(c, body->size, err);
    h.compressed_page_size = (int32_t)body->size;
    QV_RETURN_NOT_OK(emit_page(c, &h, body->data, body->size, NULL, 0, &c->pages, s, err));
  } else {
    h.type = QV_PQ_DATA_PAGE_V2;
    h.has_data_v2 = true;
    h.v2.num_values = (int32_t)c->page_levels;
    h.v2.num_nulls = (int32_t)(c->page_levels - c->page_values);
    h.v2.num_rows = (int32_t)c->page_rows;
    h.v2.encoding = encoding;
    h.v2.def_length = def_len;
    h.v2.rep_length = rep_len;
    const uint8_t *vals = s->page.data + levels_size;
    int64_t vlen = s->page.size - levels_size;
    h.v2.is_compressed = false;
    if (compress && vlen > 0) {
      QV_RETURN_NOT_OK(qv__pqw_compress(&s->compressor, vals, vlen, &s->compressed, err));
      if (s->compressed.size < vlen) {
        h.v2.is_compressed = true;
        vals = s->compressed.data;
        vlen = s->compressed.size;
      }
    }
    if (levels_size + vlen > INT32_MAX) return page_too_large(c, levels_size + vlen, err);
    h.compressed_page_size = (int32_t)(levels_size + vlen);
    QV_RETURN_NOT_OK(emit_page(c, &h, s->page.data, levels_size, vals, vlen, &c->pages, s, err));
  }
  c->encodings |= 1u << encoding;
  if (c->leaf->max_def > 0 || c->leaf->max_rep > 0) c->encodings |= 1u << QV_PARQUET_RLE;
  if (c->dict_mode) c->dict_pages++;
  c->n_data_pages++;
  c->chunk_levels += c->page_levels;
  c->stats.null_count += c->page_levels - c->page_values;
  clear_page(c);
  return QV_OK;
}

/* Entries for the next piece: enough to reach the page size at the bytes
 * per entry seen so far. */
static int64_t piece_entries(const qv_pqw_column *c) {
  int64_t est = page_estimate(c);
  if (c->dict_mode && !c->dict_tried && c->page_plain_bytes > est) est = c->page_plain_bytes; /* judged at a page */
  int64_t per_entry = c->page_levels > 0 ? est / c->page_levels : c->leaf->width + 1;
  if (per_entry < 1) per_entry = 1;
  int64_t left = c->config->data_page_size - est;
  int64_t n = left > 0 ? left / per_entry + 1 : 1;
  return n < 16 ? 16 : n > 65536 ? 65536 : n;
}

qv_status qv__pqw_column_append(qv_pqw_column *c, const qv_pqw_levels *l, qv_pqw_scratch *s, qv_error *err) {
  int64_t e = 0;
  while (e < l->n) {
    int64_t end = e + piece_entries(c);
    if (end > l->n) end = l->n;
    if (l->rep)
      while (end < l->n && l->rep[end] != 0) end++;
    QV_RETURN_NOT_OK(append_piece(c, l, e, end, s, err));
    e = end;
    if (c->dict_mode && !c->dict_tried && c->page_plain_bytes >= c->config->data_page_size)
      QV_RETURN_NOT_OK(judge_dictionary(c, err));
    bool dict_full = c->dict_mode && c->dict.plain.size > c->config->dictionary_page_size;
    if (dict_full || page_estimate(c) >= c->config->data_page_size) {
      QV_RETURN_NOT_OK(flush_page(c, s, err));
      if (dict_full && c->dict_mode) {
        c->dict_mode = false; /* the dictionary stays for the pages that used it */
        forget_memo(c);
      }
    }
  }
  return QV_OK;
}

qv_status qv__pqw_column_finish(qv_pqw_column *c, qv_pqw_scratch *s, qv_error *err) {
  QV_RETURN_NOT_OK(flush_page(c, s, err));
  c->dict_page.size = 0;
  if (c->dict_pages == 0) return QV_OK;
  qv_pq_page_header h;
  memset(&h, 0, sizeof h);
  h.type = QV_PQ_DICTIONARY_PAGE;
  h.has_dict = true;
  if (c->dict.count > INT32_MAX || c->dict.plain.size > INT32_MAX) return page_too_large(c, c->dict.plain.size, err);
  h.dict.num_values = (int32_t)c->dict.count;
  h.dict.encoding = QV_PARQUET_PLAIN;
  h.uncompressed_page_size = (int32_t)c->dict.plain.size;
  const qv_bytes *body = &c->dict.plain;
  if (c->config->codec != QV_PARQUET_UNCOMPRESSED) {
    QV_RETURN_NOT_OK(qv__pqw_compress(&s->compressor, c->dict.plain.data, c->dict.plain.size, &s->compressed, err));
    body = &s->compressed;
  }
  if (body->size > INT32_MAX) return page_too_large(c, body->size, err);
  h.compressed_page_size = (int32_t)body->size;
  QV_RETURN_NOT_OK(emit_page(c, &h, body->data, body->size, NULL, 0, &c->dict_page, s, err));
  c->encodings |= 1u << QV_PARQUET_PLAIN;
  return QV_OK;
}

/* ---- metadata -------------------------------------------------------------------------------- */

qv_status qv__pqw_column_meta(const qv_pqw_column *c, int64_t chunk_offset, qv_arena *arena, qv_pq_column_meta *m,
                              qv_error *err) {
  const qv_pqw_leaf *leaf = c->leaf;
  memset(m, 0, sizeof *m);
  m->type = leaf->physical_type;
  int32_t n_enc = __builtin_popcount(c->encodings);
  m->encodings = qv_arena_alloc(arena, (n_enc ? n_enc : 1) * (int64_t)sizeof *m->encodings);
  if (!m->encodings) return qv_error_set(err, QV_NOMEM, "parquet: out of memory building the footer");
  for (int32_t e = 0; e < 32; e++)
    if (c->encodings & (1u << e)) m->encodings[m->n_encodings++] = e;
  m->n_path = leaf->n_path;
  m->path = leaf->path_parts;
  m->codec = c->config->codec;
  m->num_values = c->chunk_levels;
  m->total_uncompressed_size = c->chunk_uncompressed;
  m->total_compressed_size = c->dict_page.size + c->pages.size;
  m->data_page_offset = chunk_offset + c->dict_page.size;
  if (c->dict_page.size > 0) {
    m->has_dictionary_page_offset = true;
    m->dictionary_page_offset = chunk_offset;
  }
  if (!c->config->statistics) return QV_OK;
  m->has_statistics = true;
  qv_pq_statistics *st = &m->statistics;
  st->has_null_count = true;
  st->null_count = c->stats.null_count;
  qv_pq_bytes mn, mx;
  QV_RETURN_NOT_OK(qv__pqw_stats_bounds(&c->stats, arena, &mn, &mx, err));
  if (mn.data && mn.len <= c->config->max_statistics_size && mx.len <= c->config->max_statistics_size) {
    st->min_value = mn;
    st->max_value = mx;
    st->has_min_exact = st->has_max_exact = true;
    st->min_exact = st->max_exact = true;
    if (leaf->signed_legacy_stats) {
      st->min = mn;
      st->max = mx;
    }
  }
  return QV_OK;
}
