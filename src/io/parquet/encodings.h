/* Parquet's value and level encodings, decoded into plain arrays.
 *
 *  - bitpack.c: unpacking of 32 values of any bit width (0..32 into 32-bit
 *    words, 0..64 into 64-bit words), one specialised function per width.
 *  - rle.c: the RLE / bit-packing hybrid (levels, dictionary indices,
 *    booleans) and the deprecated BIT_PACKED level encoding.
 *  - encodings_delta.c: DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and
 *    DELTA_BYTE_ARRAY.
 *  - encodings_plain.c: PLAIN for every physical type, BYTE_STREAM_SPLIT,
 *    dictionary pages and the gather of dictionary indices.
 *
 * Decoders are incremental: they are initialised on a page's bytes and hand
 * out the next n values on each call, so a page can feed several record
 * batches without being decoded into a page-sized scratch area first (the
 * delta byte-array encodings are the exception: their lengths come first and
 * are decoded whole, bounded by the page's value count). Every read is
 * checked against the page's bytes. Values are appended to a qv_pq_values in
 * their physical form. */
#ifndef QV_IO_PARQUET_ENCODINGS_H
#define QV_IO_PARQUET_ENCODINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/memory.h"
#include "quiver/status.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Quiver's Parquet decoders assume a little-endian host"
#endif

/* ---- physical values ---------------------------------------------------------- */

/* A run of decoded values in physical form:
 *   BOOLEAN: data is a bitmap of `count` bits;
 *   fixed width (INT32, INT64, INT96, FLOAT, DOUBLE, FIXED_LEN_BYTE_ARRAY):
 *     data holds count * width bytes;
 *   BYTE_ARRAY: offsets holds count + 1 int32 offsets into data.
 * _init, append through the decoders, _reset (or hand the vectors over). */
typedef struct qv_pq_values {
  qv_bytes data;
  qv_bytes offsets;
  int64_t count;
  int32_t width;   /* bytes per value; 0 for BYTE_ARRAY, -1 for BOOLEAN bits */
} qv_pq_values;

void qv__pq_values_init(qv_pq_values *v, qv_allocator *alloc, int32_t width);
void qv__pq_values_reset(qv_pq_values *v);
/* Empties v, keeping its memory (for the next batch). */
void qv__pq_values_clear(qv_pq_values *v);
/* Makes sure offsets starts with its leading 0 (BYTE_ARRAY). */
qv_status qv__pq_values_start(qv_pq_values *v, qv_error *err) QV_MUST_USE;

/* Width in bytes of a physical type's values: -1 BOOLEAN (bits), 0
 * BYTE_ARRAY, type_length for FIXED_LEN_BYTE_ARRAY. */
int32_t qv__pq_physical_width(int32_t physical_type, int32_t type_length);

/* ---- bit unpacking (bitpack.c) ----------------------------------------------- */

/* Unpacks 32 values of bit_width bits (0..32), packed LSB first, from exactly
 * 4 * bit_width bytes at in. */
void qv__pq_unpack32(const uint8_t *in, uint32_t *out, int bit_width);
/* The same for widths 0..64 into 64-bit words (4 * bit_width bytes). */
void qv__pq_unpack32_64(const uint8_t *in, uint64_t *out, int bit_width);
/* Unpacks n values (any n) reading exactly ceil(n * bit_width / 8) bytes;
 * bit_width 0..32. For tails. */
void qv__pq_unpack_tail(const uint8_t *in, uint32_t *out, int64_t n, int bit_width);
void qv__pq_unpack_tail_64(const uint8_t *in, uint64_t *out, int64_t n, int bit_width);

/* Number of bits needed for values 0..max_value. */
int qv__pq_bit_width(uint64_t max_value);

/* ---- RLE / bit-packing hybrid (rle.c) ------------------------------------------- */

typedef struct qv_pq_rle {
  const uint8_t *pos, *end;
  int bit_width;
  int64_t rle_left;       /* values left in the current RLE run */
  uint32_t rle_value;
  int64_t packed_left;    /* values left in the current bit-packed run */
  uint32_t buf[32];       /* decoded but not yet consumed bit-packed values */
  int buf_pos, buf_len;
} qv_pq_rle;

/* Starts decoding data[0..size) (no length prefix) with the given width
 * (0..32). */
void qv__pq_rle_init(qv_pq_rle *d, const uint8_t *data, int64_t size, int bit_width);

/* Decodes exactly n values into out.
 * Errors: QV_INVALID when the data ends first or a run is malformed. */
qv_status qv__pq_rle_get(qv_pq_rle *d, uint32_t *out, int64_t n, qv_error *err) QV_MUST_USE;

/* Decodes exactly n levels into out, checking each against max_level. */
qv_status qv__pq_rle_get_levels(qv_pq_rle *d, uint8_t *out, int64_t n, int max_level,
                                qv_error *err) QV_MUST_USE;

/* Decodes n levels of the deprecated BIT_PACKED encoding (MSB first) from
 * data[0..size). */
qv_status qv__pq_bitpacked_levels(const uint8_t *data, int64_t size, int64_t skip, uint8_t *out,
                                  int64_t n, int max_level, qv_error *err) QV_MUST_USE;

/* ---- DELTA_BINARY_PACKED (encodings_delta.c) -------------------------------------- */

typedef struct qv_pq_delta {
  const uint8_t *pos, *end;
  int64_t per_block, n_mini, per_mini;
  int64_t total;        /* values the header announces */
  int64_t produced;     /* values handed out */
  uint64_t last;        /* the previous value (wrapping arithmetic) */
  uint64_t min_delta;   /* of the current block */
  const uint8_t *widths;/* bit widths of the current block's miniblocks */
  int64_t mini;         /* current miniblock in the block; n_mini before the first block */
  int64_t mini_left;    /* values left in the current miniblock */
  const uint8_t *mini_end;
  int width_cap;        /* 32 or 64 */
  uint64_t buf[32];
  int buf_pos, buf_len;
} qv_pq_delta;

/* Reads the header at data[0..size). width_cap is 32 for INT32, 64 for
 * INT64 (miniblocks may not be wider).
 * Errors: QV_INVALID for a malformed header. */
qv_status qv__pq_delta_init(qv_pq_delta *d, const uint8_t *data, int64_t size, int width_cap,
                            qv_error *err) QV_MUST_USE;
/* Decodes the next n values (n <= total - produced). */
qv_status qv__pq_delta_get32(qv_pq_delta *d, int32_t *out, int64_t n, qv_error *err) QV_MUST_USE;
qv_status qv__pq_delta_get64(qv_pq_delta *d, int64_t *out, int64_t n, qv_error *err) QV_MUST_USE;
/* Once every value was read: where the encoded data ends. */
const uint8_t *qv__pq_delta_end(const qv_pq_delta *d);

/* Finds where the DELTA_BINARY_PACKED stream at data[0..size) ends without
 * decoding its values (block headers and miniblock widths only), and how
 * many values it holds. Errors: QV_INVALID for a malformed or truncated
 * stream. */
qv_status qv__pq_delta_skip(const uint8_t *data, int64_t size, int width_cap, const uint8_t **end,
                            int64_t *total, qv_error *err) QV_MUST_USE;

/* DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY state of one page. Lengths
 * are decoded as values are handed out, a chunk at a time, so memory does
 * not depend on the value count a page states. */
typedef struct qv_pq_delta_bytes {
  qv_pq_delta prefix;   /* prefix lengths (DELTA_BYTE_ARRAY only) */
  qv_pq_delta lengths;  /* suffix (or value) lengths */
  int64_t n;            /* values in the page */
  int64_t next;         /* next value */
  const uint8_t *data;  /* the next suffix bytes */
  const uint8_t *data_end;
  qv_bytes last;        /* the previous value (DELTA_BYTE_ARRAY) */
  bool incremental;     /* DELTA_BYTE_ARRAY */
  int32_t fixed_width;  /* FIXED_LEN_BYTE_ARRAY values: their width; 0 for BYTE_ARRAY */
} qv_pq_delta_bytes;

void qv__pq_delta_bytes_init(qv_pq_delta_bytes *d, qv_allocator *alloc);
void qv__pq_delta_bytes_reset(qv_pq_delta_bytes *d);
/* Starts a page of DELTA_LENGTH_BYTE_ARRAY (incremental false) or
 * DELTA_BYTE_ARRAY (true) holding at most max_values values.
 * Errors: QV_INVALID for malformed length streams or more values than
 * max_values. */
qv_status qv__pq_delta_bytes_start(qv_pq_delta_bytes *d, const uint8_t *data, int64_t size,
                                   bool incremental, int32_t fixed_width, int64_t max_values,
                                   qv_error *err) QV_MUST_USE;
/* Appends the next n values to out (BYTE_ARRAY offsets+data, or fixed
 * width). Errors: QV_INVALID for negative lengths, lengths past the page's
 * bytes, prefixes longer than the previous value, fixed-width values of
 * another width. */
qv_status qv__pq_delta_bytes_get(qv_pq_delta_bytes *d, int64_t n, qv_pq_values *out,
                                 qv_error *err) QV_MUST_USE;

/* ---- PLAIN, BYTE_STREAM_SPLIT, dictionaries (encodings_plain.c) ---------------- */

/* A cursor over a PLAIN or BYTE_STREAM_SPLIT values section. */
typedef struct qv_pq_plain {
  const uint8_t *pos, *end;
  int64_t bit;          /* BOOLEAN: next bit at pos */
  int64_t stream_len;   /* BYTE_STREAM_SPLIT: values per stream */
  int64_t next;         /* BYTE_STREAM_SPLIT: next value */
  const uint8_t *base;  /* BYTE_STREAM_SPLIT: start of stream 0 */
} qv_pq_plain;

void qv__pq_plain_init(qv_pq_plain *p, const uint8_t *data, int64_t size);
/* Appends the next n PLAIN values to out (its width says how).
 * Errors: QV_INVALID when the section ends first or a BYTE_ARRAY length
 * runs past it. */
qv_status qv__pq_plain_get(qv_pq_plain *p, int64_t n, qv_pq_values *out, qv_error *err) QV_MUST_USE;

/* Starts BYTE_STREAM_SPLIT over data[0..size) for values of width bytes.
 * Errors: QV_INVALID when size is not a multiple of width. */
qv_status qv__pq_bss_init(qv_pq_plain *p, const uint8_t *data, int64_t size, int32_t width,
                          qv_error *err) QV_MUST_USE;
qv_status qv__pq_bss_get(qv_pq_plain *p, int64_t n, qv_pq_values *out, qv_error *err) QV_MUST_USE;

/* Appends the next n values encoded as RLE (booleans, with their 4-byte
 * length prefix already consumed) to out's bitmap. */
qv_status qv__pq_rle_bools_get(qv_pq_rle *d, int64_t n, qv_pq_values *out, qv_error *err) QV_MUST_USE;

/* A decoded dictionary: PLAIN values of the dictionary page (booleans as one
 * byte each). */
typedef struct qv_pq_dict {
  qv_pq_values values;
  int64_t count;
} qv_pq_dict;

/* Decodes a dictionary page of n PLAIN values of the given width.
 * Errors: QV_INVALID when the page holds fewer values. */
qv_status qv__pq_dict_decode(qv_pq_dict *d, const uint8_t *data, int64_t size, int64_t n,
                             qv_error *err) QV_MUST_USE;

/* Decodes n RLE-encoded indices and appends the dictionary values they name
 * to out. Errors: QV_INVALID for an index outside the dictionary. */
qv_status qv__pq_dict_gather(const qv_pq_dict *d, qv_pq_rle *indices, int64_t n, qv_pq_values *out,
                             qv_error *err) QV_MUST_USE;

/* Copies n bits from src at bit src_off to dst at bit dst_off (dst bits
 * beyond are left as they are only up to the next byte boundary). */
void qv__pq_copy_bits(uint8_t *dst, int64_t dst_off, const uint8_t *src, int64_t src_off, int64_t n);

#endif
