/* Test helpers for the Parquet reader: a Thrift compact-protocol writer, a
 * bit packer and delta encoder (reference encoders to check the decoders
 * against), and a builder of small one-column Parquet files from hand-made
 * pages, for valid and hostile inputs alike. */
#ifndef QV_TEST_PARQUET_UTIL_H
#define QV_TEST_PARQUET_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/memory.h"

/* ---- compact protocol writer ------------------------------------------------------- */

typedef struct pqt_writer {
  qv_bytes b;
  int16_t last[64]; /* last field id per struct nesting level */
  int depth;
} pqt_writer;

void pqt_init(pqt_writer *w);
void pqt_reset(pqt_writer *w);
void pqt_raw(pqt_writer *w, const void *p, int64_t n);
void pqt_byte(pqt_writer *w, uint8_t v);
void pqt_varint(pqt_writer *w, uint64_t v);
void pqt_zigzag(pqt_writer *w, int64_t v);
/* A field header in the current struct (short form when the delta allows). */
void pqt_field(pqt_writer *w, int16_t id, int type);
void pqt_stop(pqt_writer *w);          /* ends the current struct */
void pqt_struct_begin(pqt_writer *w);  /* after a STRUCT field header or list header */
void pqt_list(pqt_writer *w, int elem_type, int64_t count);
void pqt_i32(pqt_writer *w, int16_t id, int32_t v);
void pqt_i64(pqt_writer *w, int16_t id, int64_t v);
void pqt_bool(pqt_writer *w, int16_t id, bool v);
void pqt_binary(pqt_writer *w, int16_t id, const void *p, int64_t n);
void pqt_string(pqt_writer *w, int16_t id, const char *s);

/* ---- reference encoders ------------------------------------------------------------- */

/* Packs n values LSB first with `width` bits each (appends ceil(n*width/8) bytes). */
void pqt_pack_bits(qv_bytes *out, const uint64_t *values, int64_t n, int width);
/* DELTA_BINARY_PACKED of n values (block 128, 4 miniblocks). */
void pqt_delta_encode(qv_bytes *out, const int64_t *values, int64_t n);
/* The same for a column of `bits` (32 or 64) bits: deltas wrap at that width. */
void pqt_delta_encode_bits(qv_bytes *out, const int64_t *values, int64_t n, int bits);
/* An RLE run of `count` copies of v with the given bit width. */
void pqt_rle_run(qv_bytes *out, uint32_t v, int64_t count, int width);
/* A bit-packed run of n values (n a multiple of 8). */
void pqt_bitpacked_run(qv_bytes *out, const uint32_t *values, int64_t n, int width);

/* ---- Parquet files ------------------------------------------------------------------- */

typedef struct pqt_page {
  int type;                 /* 0 data v1, 2 dictionary, 3 data v2 */
  int32_t num_values;
  int32_t num_nulls;        /* v2 */
  int32_t num_rows;         /* v2 */
  int encoding;
  const uint8_t *body;      /* levels + values (v1), values only (v2), or dictionary values */
  int64_t body_len;
  const uint8_t *levels;    /* v2: definition levels (RLE, no length prefix) */
  int64_t levels_len;
  int64_t uncompressed_size;/* -1: body_len (+ levels_len) */
  int crc;                  /* 0 none, 1 correct, 2 wrong */
} pqt_page;

typedef struct pqt_column {
  int physical_type;
  int repetition;           /* 0 required, 1 optional */
  int type_length;
  int converted_type;       /* -1 none */
  const char *name;
  int codec;
  int64_t num_rows;
} pqt_column;

/* Appends a whole file (magic, the pages, footer) to out. */
void pqt_build_file(qv_bytes *out, const pqt_column *col, const pqt_page *pages, int n_pages);

#endif
