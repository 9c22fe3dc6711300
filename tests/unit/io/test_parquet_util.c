/* Implementation of the Parquet test helpers (test_parquet_util.h): a
 * compact-protocol writer, reference encoders written from the
 * specification independently of the decoders, and a one-column file
 * builder. Allocation failures abort the test binary: these helpers only
 * build inputs. */
#include "test_parquet_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void must(qv_status st) {
  if (st != QV_OK) {
    fprintf(stderr, "test helper: out of memory\n");
    abort();
  }
}

void pqt_init(pqt_writer *w) {
  memset(w, 0, sizeof *w);
  qv_bytes_init(&w->b, NULL);
}

void pqt_reset(pqt_writer *w) { qv_bytes_reset(&w->b); }

void pqt_raw(pqt_writer *w, const void *p, int64_t n) { must(qv_bytes_append(&w->b, p, n, NULL)); }

void pqt_byte(pqt_writer *w, uint8_t v) { pqt_raw(w, &v, 1); }

void pqt_varint(pqt_writer *w, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    pqt_byte(w, b);
  } while (v);
}

void pqt_zigzag(pqt_writer *w, int64_t v) { pqt_varint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

void pqt_field(pqt_writer *w, int16_t id, int type) {
  int16_t delta = (int16_t)(id - w->last[w->depth]);
  if (delta > 0 && delta <= 15) {
    pqt_byte(w, (uint8_t)(delta << 4 | type));
  } else {
    pqt_byte(w, (uint8_t)type);
    pqt_zigzag(w, id);
  }
  w->last[w->depth] = id;
}

void pqt_stop(pqt_writer *w) {
  pqt_byte(w, 0);
  if (w->depth > 0) w->depth--;
}

void pqt_struct_begin(pqt_writer *w) {
  w->depth++;
  w->last[w->depth] = 0;
}

void pqt_list(pqt_writer *w, int elem_type, int64_t count) {
  if (count < 15) {
    pqt_byte(w, (uint8_t)(count << 4 | elem_type));
  } else {
    pqt_byte(w, (uint8_t)(0xf0 | elem_type));
    pqt_varint(w, (uint64_t)count);
  }
}

void pqt_i32(pqt_writer *w, int16_t id, int32_t v) {
  pqt_field(w, id, 5);
  pqt_zigzag(w, v);
}

void pqt_i64(pqt_writer *w, int16_t id, int64_t v) {
  pqt_field(w, id, 6);
  pqt_zigzag(w, v);
}

void pqt_bool(pqt_writer *w, int16_t id, bool v) { pqt_field(w, id, v ? 1 : 2); }

void pqt_binary(pqt_writer *w, int16_t id, const void *p, int64_t n) {
  pqt_field(w, id, 8);
  pqt_varint(w, (uint64_t)n);
  pqt_raw(w, p, n);
}

void pqt_string(pqt_writer *w, int16_t id, const char *s) { pqt_binary(w, id, s, (int64_t)strlen(s)); }

/* ---- reference encoders ----------------------------------------------------------------- */

void pqt_pack_bits(qv_bytes *out, const uint64_t *values, int64_t n, int width) {
  int64_t nbytes = (n * width + 7) / 8;
  int64_t base = out->size;
  must(qv_bytes_append_zeros(out, nbytes, NULL));
  for (int64_t i = 0; i < n; i++)
    for (int b = 0; b < width; b++)
      if ((values[i] >> b) & 1) {
        int64_t bit = i * width + b;
        out->data[base + (bit >> 3)] |= (uint8_t)(1u << (bit & 7));
      }
}

static void put_varint(qv_bytes *out, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    must(qv_bytes_append(out, &b, 1, NULL));
  } while (v);
}

void pqt_delta_encode(qv_bytes *out, const int64_t *values, int64_t n) { pqt_delta_encode_bits(out, values, n, 64); }

void pqt_delta_encode_bits(qv_bytes *out, const int64_t *values, int64_t n, int bits) {
  const int block = 128, minis = 4, per_mini = 32;
  put_varint(out, block);
  put_varint(out, minis);
  put_varint(out, (uint64_t)n);
  int64_t first = n ? values[0] : 0;
  put_varint(out, ((uint64_t)first << 1) ^ (uint64_t)(first >> 63));
  for (int64_t start = 1; start < n; start += block) {
    int64_t count = n - start < block ? n - start : block;
    uint64_t deltas[128];
    int64_t min = INT64_MAX;
    for (int64_t i = 0; i < count; i++) {
      uint64_t diff = (uint64_t)values[start + i] - (uint64_t)values[start + i - 1];
      /* INT32 columns: deltas wrap in 32 bits, so no miniblock needs more. */
      int64_t d = bits == 32 ? (int64_t)(int32_t)(uint32_t)diff : (int64_t)diff;
      deltas[i] = (uint64_t)d;
      if (d < min) min = d;
    }
    for (int64_t i = 0; i < count; i++) {
      deltas[i] -= (uint64_t)min;
      if (bits == 32) deltas[i] &= 0xffffffffu;
    }
    for (int64_t i = count; i < block; i++) deltas[i] = 0;
    put_varint(out, ((uint64_t)min << 1) ^ (uint64_t)(min >> 63));
    int widths[4];
    for (int m = 0; m < minis; m++) {
      uint64_t mx = 0;
      for (int i = 0; i < per_mini; i++) mx |= deltas[m * per_mini + i];
      int w = 0;
      while (w < 64 && (mx >> w)) w++;
      /* Unused miniblocks get an arbitrary width, as readers must accept. */
      widths[m] = m * per_mini < count ? w : 0x5a;
      uint8_t wb = (uint8_t)widths[m];
      must(qv_bytes_append(out, &wb, 1, NULL));
    }
    for (int m = 0; m < minis && m * per_mini < count; m++) pqt_pack_bits(out, deltas + m * per_mini, per_mini, widths[m]);
  }
}

void pqt_rle_run(qv_bytes *out, uint32_t v, int64_t count, int width) {
  put_varint(out, (uint64_t)count << 1);
  for (int i = 0; i < (width + 7) / 8; i++) {
    uint8_t b = (uint8_t)(v >> (8 * i));
    must(qv_bytes_append(out, &b, 1, NULL));
  }
}

void pqt_bitpacked_run(qv_bytes *out, const uint32_t *values, int64_t n, int width) {
  put_varint(out, (uint64_t)(n / 8) << 1 | 1);
  uint64_t *v = malloc(sizeof *v * (size_t)(n ? n : 1));
  if (!v) abort();
  for (int64_t i = 0; i < n; i++) v[i] = values[i];
  pqt_pack_bits(out, v, n, width);
  free(v);
}

/* ---- files ------------------------------------------------------------------------------ */

static void page_header(pqt_writer *w, const pqt_page *p, int64_t compressed, int64_t uncompressed, uint32_t crc) {
  pqt_struct_begin(w);
  pqt_i32(w, 1, p->type);
  pqt_i32(w, 2, (int32_t)uncompressed);
  pqt_i32(w, 3, (int32_t)compressed);
  if (p->crc) pqt_i32(w, 4, (int32_t)(p->crc == 1 ? crc : crc ^ 1));
  if (p->type == 0) {
    pqt_field(w, 5, 12);
    pqt_struct_begin(w);
    pqt_i32(w, 1, p->num_values);
    pqt_i32(w, 2, p->encoding);
    pqt_i32(w, 3, 3);
    pqt_i32(w, 4, 3);
    pqt_stop(w);
  } else if (p->type == 2) {
    pqt_field(w, 7, 12);
    pqt_struct_begin(w);
    pqt_i32(w, 1, p->num_values);
    pqt_i32(w, 2, p->encoding);
    pqt_stop(w);
  } else {
    pqt_field(w, 8, 12);
    pqt_struct_begin(w);
    pqt_i32(w, 1, p->num_values);
    pqt_i32(w, 2, p->num_nulls);
    pqt_i32(w, 3, p->num_rows);
    pqt_i32(w, 4, p->encoding);
    pqt_i32(w, 5, (int32_t)p->levels_len);
    pqt_i32(w, 6, 0);
    pqt_bool(w, 7, false);
    pqt_stop(w);
  }
  pqt_stop(w);
}

void pqt_build_file(qv_bytes *out, const pqt_column *col, const pqt_page *pages, int n_pages) {
  must(qv_bytes_append(out, "PAR1", 4, NULL));
  int64_t start = out->size;
  int64_t total_values = 0;
  for (int i = 0; i < n_pages; i++) {
    const pqt_page *p = &pages[i];
    qv_bytes body;
    qv_bytes_init(&body, NULL);
    if (p->type == 3) must(qv_bytes_append(&body, p->levels, p->levels_len, NULL));
    must(qv_bytes_append(&body, p->body, p->body_len, NULL));
    int64_t usize = p->uncompressed_size >= 0 ? p->uncompressed_size : body.size;
    uint32_t crc = (uint32_t)crc32(0, body.data, (uInt)body.size);
    pqt_writer w;
    pqt_init(&w);
    page_header(&w, p, body.size, usize, crc);
    must(qv_bytes_append(out, w.b.data, w.b.size, NULL));
    must(qv_bytes_append(out, body.data, body.size, NULL));
    pqt_reset(&w);
    qv_bytes_reset(&body);
    if (p->type != 2) total_values += p->num_values;
  }
  int64_t chunk_len = out->size - start;
  /* FileMetaData */
  pqt_writer w;
  pqt_init(&w);
  pqt_struct_begin(&w);
  pqt_i32(&w, 1, 1);
  pqt_field(&w, 2, 9);
  pqt_list(&w, 12, 2);
  pqt_struct_begin(&w);
  pqt_string(&w, 4, "schema");
  pqt_i32(&w, 5, 1);
  pqt_stop(&w);
  pqt_struct_begin(&w);
  pqt_i32(&w, 1, col->physical_type);
  if (col->type_length) pqt_i32(&w, 2, col->type_length);
  pqt_i32(&w, 3, col->repetition);
  pqt_string(&w, 4, col->name);
  if (col->converted_type >= 0) pqt_i32(&w, 6, col->converted_type);
  pqt_stop(&w);
  pqt_i64(&w, 3, col->num_rows);
  pqt_field(&w, 4, 9);
  pqt_list(&w, 12, 1);
  pqt_struct_begin(&w); /* RowGroup */
  pqt_field(&w, 1, 9);
  pqt_list(&w, 12, 1);
  pqt_struct_begin(&w); /* ColumnChunk */
  pqt_i64(&w, 2, start);
  pqt_field(&w, 3, 12);
  pqt_struct_begin(&w); /* ColumnMetaData */
  pqt_i32(&w, 1, col->physical_type);
  pqt_field(&w, 2, 9);
  pqt_list(&w, 5, 1);
  pqt_zigzag(&w, 0);
  pqt_field(&w, 3, 9);
  pqt_list(&w, 8, 1);
  pqt_varint(&w, strlen(col->name));
  pqt_raw(&w, col->name, (int64_t)strlen(col->name));
  pqt_i32(&w, 4, col->codec);
  pqt_i64(&w, 5, total_values);
  pqt_i64(&w, 6, chunk_len);
  pqt_i64(&w, 7, chunk_len);
  pqt_i64(&w, 9, start);
  pqt_stop(&w); /* ColumnMetaData */
  pqt_stop(&w); /* ColumnChunk */
  pqt_i64(&w, 2, chunk_len);
  pqt_i64(&w, 3, col->num_rows);
  pqt_stop(&w); /* RowGroup */
  pqt_stop(&w); /* FileMetaData */
  must(qv_bytes_append(out, w.b.data, w.b.size, NULL));
  uint32_t len = (uint32_t)w.b.size;
  must(qv_bytes_append(out, &len, 4, NULL));
  must(qv_bytes_append(out, "PAR1", 4, NULL));
  pqt_reset(&w);
}
