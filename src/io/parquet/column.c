/* The column chunk reader. It walks a chunk's pages in order: each page
 * header is decoded and its sizes checked against the chunk and the page
 * size limit, the CRC is verified when the page has one, the page is
 * decompressed (v1: whole; v2: the values section only, levels are stored
 * raw), and then
 *
 *  - a dictionary page is decoded once and kept for the data pages;
 *  - a data page becomes level decoders (RLE or the deprecated BIT_PACKED)
 *    and a value decoder for its encoding, set up lazily so that all-null
 *    pages without a values header are fine.
 *
 * Reading n rows of a flat column decodes n definition levels (when the
 * column is optional), counts the defined ones, and decodes that many values
 * straight into the batch's value vectors, page after page. Nested columns
 * must find row boundaries (repetition level 0), so their levels go through a
 * small carry buffer of the current page: a row is taken whole, and the
 * values for each run of levels are decoded before the next page is touched,
 * which lets pages reuse one decompression buffer. */
#include "io/parquet/column.h"

#include <string.h>
#include <zlib.h>

void qv__pq_column_batch_init(qv_pq_column_batch *b, qv_allocator *alloc, int32_t width) {
  memset(b, 0, sizeof *b);
  qv_bytes_init(&b->def, alloc);
  qv_bytes_init(&b->rep, alloc);
  qv__pq_values_init(&b->values, alloc, width);
}

void qv__pq_column_batch_reset(qv_pq_column_batch *b) {
  qv_bytes_reset(&b->def);
  qv_bytes_reset(&b->rep);
  qv__pq_values_reset(&b->values);
}

void qv__pq_chunk_range(const qv_pq_column_meta *m, int64_t *offset, int64_t *length) {
  int64_t start = m->data_page_offset;
  /* Some writers store dictionary_page_offset = 0 for "none"; only an offset
   * before the data pages is a dictionary page. */
  if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 && m->dictionary_page_offset < start)
    start = m->dictionary_page_offset;
  *offset = start;
  *length = m->total_compressed_size;
}

qv_status qv__pq_column_reader_init(qv_pq_column_reader *r, const qv_pq_column *col,
                                    const qv_pq_column_chunk *chunk, const uint8_t *file, int64_t data_end,
                                    const qv_parquet_read_options *opts, qv_error *err) {
  memset(r, 0, sizeof *r);
  r->col = col;
  r->alloc = opts->alloc ? opts->alloc : qv_default_allocator();
  r->max_page_size = opts->max_page_size;
  r->verify_crc = opts->verify_checksums;
  qv__pq_codec_ctx_init(&r->codec_ctx);
  qv_bytes_init(&r->page_buf, r->alloc);
  qv__pq_values_init(&r->dict.values, r->alloc, qv__pq_physical_width(col->physical_type, col->type_length));
  qv__pq_delta_bytes_init(&r->dbytes, r->alloc);
  if (chunk->encrypted)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "column '%s' is encrypted", col->path);
  if (chunk->has_file_path)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "column '%s' is stored in another file", col->path);
  if (!chunk->has_meta) return qv_error_set(err, QV_INVALID, "column '%s' has no metadata", col->path);
  const qv_pq_column_meta *m = &chunk->meta;
  if (m->type != col->physical_type)
    return qv_error_set(err, QV_INVALID, "column '%s' chunk has physical type %d, the schema says %d", col->path,
                        m->type, col->physical_type);
  int64_t offset, length;
  qv__pq_chunk_range(m, &offset, &length);
  if (offset < 0 || length < 0 || offset > data_end || length > data_end - offset)
    return qv_error_set(err, QV_INVALID, "column '%s' chunk [%lld, +%lld) lies outside the file's %lld data bytes",
                        col->path, (long long)offset, (long long)length, (long long)data_end);
  r->codec = m->codec;
  r->pos = file + offset;
  r->end = file + offset + length;
  return QV_OK;
}

void qv__pq_column_reader_reset(qv_pq_column_reader *r) {
  qv__pq_codec_ctx_reset(&r->codec_ctx);
  qv_bytes_reset(&r->page_buf);
  qv__pq_values_reset(&r->dict.values);
  qv__pq_delta_bytes_reset(&r->dbytes);
}

/* ---- pages --------------------------------------------------------------------- */

/* Decompresses src[0..n) into the page buffer (expected bytes), or returns
 * src itself for uncompressed data. */
static qv_status page_bytes(qv_pq_column_reader *r, bool compressed, const uint8_t *src, int64_t n,
                            int64_t expected, const uint8_t **out, qv_error *err) {
  if (!compressed || r->codec == QV_PARQUET_UNCOMPRESSED) {
    if (n != expected)
      return qv_error_set(err, QV_INVALID, "uncompressed page of %lld bytes, the header says %lld", (long long)n,
                          (long long)expected);
    *out = src;
    return QV_OK;
  }
  if (expected == 0) { /* nothing to decompress, whatever the codec wrote */
    *out = src;
    return QV_OK;
  }
  QV_RETURN_NOT_OK(qv__pq_decompress_precheck(r->codec, src, n, expected, err));
  if (r->page_buf.capacity < expected) qv_bytes_reset(&r->page_buf); /* grow without copying stale bytes */
  r->page_buf.size = 0;
  QV_RETURN_NOT_OK(qv_bytes_reserve(&r->page_buf, expected, err));
  QV_RETURN_NOT_OK(qv__pq_decompress(&r->codec_ctx, r->codec, src, n, r->page_buf.data, expected, err));
  r->page_buf.size = expected;
  *out = r->page_buf.data;
  return QV_OK;
}

/* Sets up the decoder of one level stream of a v1 page at *p (advancing it). */
static qv_status v1_levels(qv_pq_column_reader *r, int32_t encoding, int max_level, int64_t n, const uint8_t **p,
                           const uint8_t *end, qv_pq_rle *rle, const uint8_t **packed, int64_t *packed_size,
                           const char *what, qv_error *err) {
  int w = qv__pq_bit_width((uint64_t)max_level);
  *packed = NULL;
  if (encoding == QV_PARQUET_RLE) {
    if (end - *p < 4) return qv_error_set(err, QV_INVALID, "%s levels truncated", what);
    uint32_t len;
    memcpy(&len, *p, 4);
    *p += 4;
    if (len > (uint64_t)(end - *p))
      return qv_error_set(err, QV_INVALID, "%s levels of %u bytes run past the page", what, len);
    qv__pq_rle_init(rle, *p, len, w);
    *p += len;
    return QV_OK;
  }
  if (encoding == QV_PARQUET_BIT_PACKED) {
    int64_t bytes = (n * w + 7) / 8;
    if (bytes > end - *p) return qv_error_set(err, QV_INVALID, "%s levels truncated", what);
    *packed = *p;
    *packed_size = bytes;
    *p += bytes;
    (void)r;
    return QV_OK;
  }
  return qv_error_set(err, QV_INVALID, "unsupported %s level encoding %d", what, encoding);
}

static qv_status start_data_page(qv_pq_column_reader *r, const qv_pq_page_header *h, const uint8_t *body,
                                 qv_error *err) {
  const qv_pq_column *col = r->col;
  const uint8_t *data, *end;
  int64_t n;
  r->def_packed = r->rep_packed = NULL;
  r->packed_pos = 0;
  if (h->type == QV_PQ_DATA_PAGE) {
    if (!h->has_data) return qv_error_set(err, QV_INVALID, "data page without a DataPageHeader");
    n = h->data.num_values;
    if (n < 0) return qv_error_set(err, QV_INVALID, "data page of %lld values", (long long)n);
    QV_RETURN_NOT_OK(page_bytes(r, true, body, h->compressed_page_size, h->uncompressed_page_size, &data, err));
    end = data + h->uncompressed_page_size;
    if (col->max_rep > 0)
      QV_RETURN_NOT_OK(v1_levels(r, h->data.rep_encoding, col->max_rep, n, &data, end, &r->rep_rle, &r->rep_packed,
                                 &r->rep_packed_size, "repetition", err));
    if (col->max_def > 0)
      QV_RETURN_NOT_OK(v1_levels(r, h->data.def_encoding, col->max_def, n, &data, end, &r->def_rle, &r->def_packed,
                                 &r->def_packed_size, "definition", err));
    r->values_left = n;
    r->encoding = h->data.encoding;
  } else {
    if (!h->has_data_v2) return qv_error_set(err, QV_INVALID, "data page v2 without a DataPageHeaderV2");
    n = h->v2.num_values;
    int64_t rl = h->v2.rep_length, dl = h->v2.def_length;
    int64_t nulls = h->v2.num_nulls;
    if (n < 0 || nulls < 0 || nulls > n || rl < 0 || dl < 0 || rl + dl > h->compressed_page_size ||
        rl + dl > h->uncompressed_page_size)
      return qv_error_set(err, QV_INVALID, "data page v2 with inconsistent counts or level lengths");
    qv__pq_rle_init(&r->rep_rle, body, rl, qv__pq_bit_width((uint64_t)col->max_rep));
    qv__pq_rle_init(&r->def_rle, body + rl, dl, qv__pq_bit_width((uint64_t)col->max_def));
    if (col->max_def == 0 && nulls > 0)
      return qv_error_set(err, QV_INVALID, "data page v2 of a required column has %lld nulls", (long long)nulls);
    QV_RETURN_NOT_OK(page_bytes(r, h->v2.is_compressed, body + rl + dl, h->compressed_page_size - rl - dl,
                                h->uncompressed_page_size - rl - dl, &data, err));
    end = data + (h->uncompressed_page_size - rl - dl);
    r->values_left = n - nulls;
    r->encoding = h->v2.encoding;
  }
  r->levels_left = n;
  r->values = data;
  r->values_end = end;
  r->decoder_ready = false;
  r->in_page = true;
  return QV_OK;
}

static qv_status read_dictionary(qv_pq_column_reader *r, const qv_pq_page_header *h, const uint8_t *body,
                                 qv_error *err) {
  if (!h->has_dict) return qv_error_set(err, QV_INVALID, "dictionary page without a DictionaryPageHeader");
  if (r->has_dict || r->data_seen)
    return qv_error_set(err, QV_INVALID, "unexpected dictionary page (only one, before the data pages)");
  if (h->dict.encoding != QV_PARQUET_PLAIN && h->dict.encoding != QV_PARQUET_PLAIN_DICTIONARY)
    return qv_error_set(err, QV_INVALID, "dictionary page with encoding %d", h->dict.encoding);
  const uint8_t *data;
  QV_RETURN_NOT_OK(page_bytes(r, true, body, h->compressed_page_size, h->uncompressed_page_size, &data, err));
  QV_RETURN_NOT_OK(qv__pq_dict_decode(&r->dict, data, h->uncompressed_page_size, h->dict.num_values, err));
  r->has_dict = true;
  return QV_OK;
}

/* Moves to the next data page; *found is false at the end of the chunk. */
static qv_status next_data_page(qv_pq_column_reader *r, bool *found, qv_error *err) {
  *found = false;
  r->in_page = false;
  while (r->pos < r->end) {
    r->page_index = r->pages_read++;
    qv_pq_page_header h;
    int64_t hlen;
    qv_status st = qv__pq_decode_page_header(r->pos, r->end - r->pos, &h, &hlen, err);
    if (st != QV_OK) {
      qv_error_prefix(err, "page header");
      return st;
    }
    const uint8_t *body = r->pos + hlen;
    int64_t csize = h.compressed_page_size, usize = h.uncompressed_page_size;
    if (csize < 0 || usize < 0)
      return qv_error_set(err, QV_INVALID, "page sizes %lld/%lld are negative", (long long)csize, (long long)usize);
    if (csize > r->end - body)
      return qv_error_set(err, QV_INVALID, "page of %lld bytes runs past the column chunk (%lld bytes left)",
                          (long long)csize, (long long)(r->end - body));
    if (csize > r->max_page_size || usize > r->max_page_size)
      return qv_error_set(err, QV_RESOURCE_EXHAUSTED, "page of %lld bytes (%lld uncompressed) exceeds the limit of %lld",
                          (long long)csize, (long long)usize, (long long)r->max_page_size);
    r->pos = body + csize;
    if (h.has_crc && r->verify_crc) {
      uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);
      const uint8_t *p = body;
      int64_t left = csize;
      while (left > 0) {
        uInt k = left > (1 << 30) ? (1u << 30) : (uInt)left;
        crc = (uint32_t)crc32(crc, p, k);
        p += k;
        left -= k;
      }
      if (crc != h.crc)
        return qv_error_set(err, QV_INVALID, "CRC mismatch (page says 0x%08x, data has 0x%08x): the file is corrupt",
                            h.crc, crc);
    }
    switch (h.type) {
      case QV_PQ_DICTIONARY_PAGE: QV_RETURN_NOT_OK(read_dictionary(r, &h, body, err)); break;
      case QV_PQ_DATA_PAGE:
      case QV_PQ_DATA_PAGE_V2:
        r->data_seen = true;
        QV_RETURN_NOT_OK(start_data_page(r, &h, body, err));
        *found = true;
        return QV_OK;
      default: break; /* index pages and unknown kinds carry no values */
    }
  }
  return QV_OK;
}

/* ---- values ------------------------------------------------------------------------ */

static const char *type_name(int32_t t) { return qv_parquet_physical_type_name((qv_parquet_physical_type)t); }

static qv_status bad_encoding(const qv_pq_column *col, int32_t enc, qv_error *err) {
  const char *name = qv_parquet_encoding_name((qv_parquet_encoding)enc);
  if (strcmp(name, "UNKNOWN") == 0) return qv_error_set(err, QV_NOT_IMPLEMENTED, "unknown encoding %d", enc);
  return qv_error_set(err, QV_INVALID, "encoding %s is not valid for %s values", name, type_name(col->physical_type));
}

static qv_status start_decoder(qv_pq_column_reader *r, qv_error *err) {
  const qv_pq_column *col = r->col;
  int32_t pt = col->physical_type;
  const uint8_t *p = r->values;
  int64_t size = r->values_end - r->values;
  switch (r->encoding) {
    case QV_PARQUET_PLAIN: qv__pq_plain_init(&r->plain, p, size); break;
    case QV_PARQUET_PLAIN_DICTIONARY:
    case QV_PARQUET_RLE_DICTIONARY: {
      if (!r->has_dict) return qv_error_set(err, QV_INVALID, "dictionary-encoded page without a dictionary page");
      if (size < 1) return qv_error_set(err, QV_INVALID, "dictionary indices missing");
      int w = p[0];
      if (w > 32) return qv_error_set(err, QV_INVALID, "dictionary index bit width %d exceeds 32", w);
      qv__pq_rle_init(&r->indices, p + 1, size - 1, w);
      break;
    }
    case QV_PARQUET_RLE: {
      if (pt != QV_PARQUET_BOOLEAN) return bad_encoding(col, r->encoding, err);
      if (size < 4) return qv_error_set(err, QV_INVALID, "RLE booleans without their length");
      uint32_t len;
      memcpy(&len, p, 4);
      if (len > (uint64_t)(size - 4)) return qv_error_set(err, QV_INVALID, "RLE booleans of %u bytes run past the page", len);
      qv__pq_rle_init(&r->indices, p + 4, len, 1);
      break;
    }
    case QV_PARQUET_DELTA_BINARY_PACKED:
      if (pt != QV_PARQUET_INT32 && pt != QV_PARQUET_INT64) return bad_encoding(col, r->encoding, err);
      QV_RETURN_NOT_OK(qv__pq_delta_init(&r->delta, p, size, pt == QV_PARQUET_INT32 ? 32 : 64, err));
      break;
    case QV_PARQUET_DELTA_LENGTH_BYTE_ARRAY:
      if (pt != QV_PARQUET_BYTE_ARRAY) return bad_encoding(col, r->encoding, err);
      QV_RETURN_NOT_OK(qv__pq_delta_bytes_start(&r->dbytes, p, size, false, 0, r->values_left, err));
      break;
    case QV_PARQUET_DELTA_BYTE_ARRAY:
      if (pt != QV_PARQUET_BYTE_ARRAY && pt != QV_PARQUET_FIXED_LEN_BYTE_ARRAY) return bad_encoding(col, r->encoding, err);
      QV_RETURN_NOT_OK(qv__pq_delta_bytes_start(&r->dbytes, p, size, true,
                                                pt == QV_PARQUET_FIXED_LEN_BYTE_ARRAY ? col->type_length : 0,
                                                r->values_left, err));
      break;
    case QV_PARQUET_BYTE_STREAM_SPLIT:
      if (pt != QV_PARQUET_INT32 && pt != QV_PARQUET_INT64 && pt != QV_PARQUET_FLOAT && pt != QV_PARQUET_DOUBLE &&
          pt != QV_PARQUET_FIXED_LEN_BYTE_ARRAY)
        return bad_encoding(col, r->encoding, err);
      QV_RETURN_NOT_OK(qv__pq_bss_init(&r->plain, p, size, col->byte_width, err));
      break;
    default: return bad_encoding(col, r->encoding, err);
  }
  r->decoder_ready = true;
  return QV_OK;
}

/* Decodes the next n values of the current page into out. */
static qv_status decode_values(qv_pq_column_reader *r, int64_t n, qv_pq_values *out, qv_error *err) {
  if (n == 0) return QV_OK;
  if (n > r->values_left)
    return qv_error_set(err, QV_INVALID, "the page holds fewer values than its levels announce");
  if (!r->decoder_ready) QV_RETURN_NOT_OK(start_decoder(r, err));
  switch (r->encoding) {
    case QV_PARQUET_PLAIN: QV_RETURN_NOT_OK(qv__pq_plain_get(&r->plain, n, out, err)); break;
    case QV_PARQUET_PLAIN_DICTIONARY:
    case QV_PARQUET_RLE_DICTIONARY: QV_RETURN_NOT_OK(qv__pq_dict_gather(&r->dict, &r->indices, n, out, err)); break;
    case QV_PARQUET_RLE: QV_RETURN_NOT_OK(qv__pq_rle_bools_get(&r->indices, n, out, err)); break;
    case QV_PARQUET_DELTA_BINARY_PACKED: {
      int32_t w = out->width;
      QV_RETURN_NOT_OK(qv_bytes_reserve(&out->data, n * w, err));
      if (w == 4) QV_RETURN_NOT_OK(qv__pq_delta_get32(&r->delta, (int32_t *)(out->data.data + out->data.size), n, err));
      else QV_RETURN_NOT_OK(qv__pq_delta_get64(&r->delta, (int64_t *)(out->data.data + out->data.size), n, err));
      out->data.size += n * w;
      out->count += n;
      break;
    }
    case QV_PARQUET_DELTA_LENGTH_BYTE_ARRAY:
    case QV_PARQUET_DELTA_BYTE_ARRAY: QV_RETURN_NOT_OK(qv__pq_delta_bytes_get(&r->dbytes, n, out, err)); break;
    default: QV_RETURN_NOT_OK(qv__pq_bss_get(&r->plain, n, out, err)); break;
  }
  r->values_left -= n;
  return QV_OK;
}

/* ---- levels ---------------------------------------------------------------------- */

static qv_status read_def(qv_pq_column_reader *r, uint8_t *out, int64_t n, qv_error *err) {
  if (r->def_packed) {
    QV_RETURN_NOT_OK(qv__pq_bitpacked_levels(r->def_packed, r->def_packed_size, r->packed_pos, out, n,
                                             r->col->max_def, err));
    return QV_OK;
  }
  return qv__pq_rle_get_levels(&r->def_rle, out, n, r->col->max_def, err);
}

static qv_status read_rep(qv_pq_column_reader *r, uint8_t *out, int64_t n, qv_error *err) {
  if (r->rep_packed)
    return qv__pq_bitpacked_levels(r->rep_packed, r->rep_packed_size, r->packed_pos, out, n, r->col->max_rep, err);
  return qv__pq_rle_get_levels(&r->rep_rle, out, n, r->col->max_rep, err);
}

static int64_t count_level(const uint8_t *lv, int64_t n, uint8_t level) {
  int64_t c = 0;
  for (int64_t i = 0; i < n; i++) c += lv[i] == level;
  return c;
}

/* Flat columns: rows are level entries. */
static qv_status read_flat(qv_pq_column_reader *r, int64_t n_rows, qv_pq_column_batch *out, qv_error *err) {
  const qv_pq_column *col = r->col;
  int64_t rows = 0;
  while (rows < n_rows) {
    if (!r->in_page || r->levels_left == 0) {
      bool found;
      QV_RETURN_NOT_OK(next_data_page(r, &found, err));
      if (!found) break;
      continue;
    }
    int64_t k = n_rows - rows < r->levels_left ? n_rows - rows : r->levels_left;
    int64_t present = k;
    if (col->max_def > 0) {
      QV_RETURN_NOT_OK(qv_bytes_reserve(&out->def, k, err));
      uint8_t *lv = out->def.data + out->def.size;
      QV_RETURN_NOT_OK(read_def(r, lv, k, err));
      out->def.size += k;
      present = count_level(lv, k, (uint8_t)col->max_def);
    }
    r->packed_pos += k;
    QV_RETURN_NOT_OK(decode_values(r, present, &out->values, err));
    r->levels_left -= k;
    rows += k;
  }
  out->n_rows = rows;
  out->n_levels = rows;
  return QV_OK;
}

/* Nested columns: levels through the carry buffer, whole rows at a time. */
static qv_status read_nested(qv_pq_column_reader *r, int64_t n_rows, qv_pq_column_batch *out, qv_error *err) {
  const qv_pq_column *col = r->col;
  int64_t rows = 0;
  for (;;) {
    if (r->carry_pos == r->carry_len) {
      if (!r->in_page || r->levels_left == 0) {
        bool found;
        QV_RETURN_NOT_OK(next_data_page(r, &found, err));
        if (!found) break;
        continue;
      }
      int64_t k = r->levels_left < QV_PQ_CARRY ? r->levels_left : QV_PQ_CARRY;
      QV_RETURN_NOT_OK(read_rep(r, r->carry_rep, k, err));
      QV_RETURN_NOT_OK(read_def(r, r->carry_def, k, err));
      r->packed_pos += k;
      r->levels_left -= k;
      r->carry_pos = 0;
      r->carry_len = (int32_t)k;
      if (r->levels_read == 0 && k > 0 && r->carry_rep[0] != 0)
        return qv_error_set(err, QV_INVALID, "the column chunk starts inside a row (repetition level %d)",
                            r->carry_rep[0]);
      r->levels_read += k;
    }
    /* Take levels up to the start of row n_rows + 1. */
    int32_t i = r->carry_pos;
    bool full = false;
    for (; i < r->carry_len; i++) {
      if (r->carry_rep[i] == 0) {
        if (rows == n_rows) {
          full = true;
          break;
        }
        rows++;
      }
    }
    int64_t k = i - r->carry_pos;
    if (k > 0) {
      QV_RETURN_NOT_OK(qv_bytes_append(&out->def, r->carry_def + r->carry_pos, k, err));
      QV_RETURN_NOT_OK(qv_bytes_append(&out->rep, r->carry_rep + r->carry_pos, k, err));
      int64_t present = count_level(r->carry_def + r->carry_pos, k, (uint8_t)col->max_def);
      QV_RETURN_NOT_OK(decode_values(r, present, &out->values, err));
      r->carry_pos = i;
    }
    if (full) break;
  }
  out->n_rows = rows;
  out->n_levels = out->def.size;
  return QV_OK;
}

qv_status qv__pq_column_reader_read(qv_pq_column_reader *r, int64_t n_rows, qv_pq_column_batch *out,
                                    qv_error *err) {
  out->def.size = 0;
  out->rep.size = 0;
  out->n_rows = 0;
  out->n_levels = 0;
  qv__pq_values_clear(&out->values);
  qv_status st = qv__pq_values_start(&out->values, err);
  /* Size the vectors once: exactly for fixed-width values of flat columns,
   * from the previous batch for the rest (they are handed over each batch). */
  qv_pq_values *v = &out->values;
  if (st == QV_OK && r->col->max_rep == 0) {
    if (v->width > 0) st = qv_bytes_reserve(&v->data, n_rows * v->width, err);
    else if (v->width == 0) st = qv_bytes_reserve(&v->offsets, (n_rows + 1) * 4, err);
    if (st == QV_OK && r->col->max_def > 0) st = qv_bytes_reserve(&out->def, n_rows, err);
  }
  if (st == QV_OK && v->width == 0 && r->data_hint > 0) st = qv_bytes_reserve(&v->data, r->data_hint, err);
  if (st == QV_OK) st = r->col->max_rep > 0 ? read_nested(r, n_rows, out, err) : read_flat(r, n_rows, out, err);
  if (st == QV_OK && v->data.size > r->data_hint) r->data_hint = v->data.size;
  if (st != QV_OK) qv_error_prefix(err, "column '%s' page %d", r->col->path, r->page_index);
  return st;
}
