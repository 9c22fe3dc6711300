/* Reading one column chunk: its pages one after the other (header, CRC,
 * decompression, dictionary), producing for a requested number of rows the
 * definition and repetition levels and the dense (non-null) values in
 * physical form. The assembler (assembly.c) turns those into Arrow arrays. */
#ifndef QV_IO_PARQUET_COLUMN_H
#define QV_IO_PARQUET_COLUMN_H

#include <stdbool.h>
#include <stdint.h>

#include "io/parquet/compression.h"
#include "io/parquet/encodings.h"
#include "io/parquet/metadata.h"
#include "io/parquet/schema.h"

/* The levels and values of some rows of one column. */
typedef struct qv_pq_column_batch {
  int64_t n_rows;
  int64_t n_levels;     /* level entries; == n_rows for flat columns */
  qv_bytes def;         /* n_levels uint8 levels when max_def > 0 */
  qv_bytes rep;         /* n_levels uint8 levels when max_rep > 0 */
  qv_pq_values values;  /* the entries with def == max_def, in order */
} qv_pq_column_batch;

void qv__pq_column_batch_init(qv_pq_column_batch *b, qv_allocator *alloc, int32_t width);
void qv__pq_column_batch_reset(qv_pq_column_batch *b);

/* Levels decoded ahead for nested columns, to find row boundaries. */
#define QV_PQ_CARRY 4096

typedef struct qv_pq_column_reader {
  const qv_pq_column *col;
  qv_allocator *alloc;
  int32_t codec;
  int64_t max_page_size;
  bool verify_crc;
  const uint8_t *pos, *end; /* the unread part of the chunk */
  int32_t page_index;       /* of the current page, for messages */
  int32_t pages_read;
  bool data_seen;           /* a data page was read (a dictionary may not follow) */
  qv_pq_codec_ctx codec_ctx;
  qv_bytes page_buf;        /* decompressed bytes of the current page */
  bool has_dict;
  qv_pq_dict dict;

  /* The current data page. */
  bool in_page;
  int64_t levels_left;      /* level entries not yet consumed */
  int64_t values_left;      /* values left in the values section (upper bound for v1) */
  int32_t encoding;
  bool decoder_ready;       /* the value decoder is set up (lazily, all-null pages have no header) */
  const uint8_t *values, *values_end;
  qv_pq_rle def_rle, rep_rle;
  const uint8_t *def_packed, *rep_packed; /* BIT_PACKED levels (v1, deprecated) */
  int64_t def_packed_size, rep_packed_size, packed_pos;
  qv_pq_plain plain;
  qv_pq_rle indices;
  qv_pq_delta delta;
  qv_pq_delta_bytes dbytes;

  /* Nested columns: levels of the current page decoded but not yet handed out. */
  uint8_t carry_def[QV_PQ_CARRY];
  uint8_t carry_rep[QV_PQ_CARRY];
  int32_t carry_pos, carry_len;
  int64_t levels_read;      /* in the chunk */
  int64_t data_hint;        /* largest value data of a batch so far: the next one's reservation */
} qv_pq_column_reader;

/* Prepares to read the column chunk `chunk` of column `col` within the file
 * bytes file[0..data_end) (data_end: where the footer starts).
 * Errors: QV_INVALID when the chunk's byte range lies outside the data or
 * its metadata disagrees with the schema; QV_NOT_IMPLEMENTED for chunks in
 * other files or encrypted ones; QV_NOMEM. */
qv_status qv__pq_column_reader_init(qv_pq_column_reader *r, const qv_pq_column *col,
                                    const qv_pq_column_chunk *chunk, const uint8_t *file,
                                    int64_t data_end, const qv_parquet_read_options *opts,
                                    qv_error *err) QV_MUST_USE;
void qv__pq_column_reader_reset(qv_pq_column_reader *r);

/* Reads the next n_rows rows (fewer when the chunk ends) into out, which is
 * emptied first. Errors name the column and the page. */
qv_status qv__pq_column_reader_read(qv_pq_column_reader *r, int64_t n_rows, qv_pq_column_batch *out,
                                    qv_error *err) QV_MUST_USE;

/* The byte range of a column chunk: from its dictionary page (when it has
 * one before the data pages) over total_compressed_size bytes. */
void qv__pq_chunk_range(const qv_pq_column_meta *m, int64_t *offset, int64_t *length);

#endif
