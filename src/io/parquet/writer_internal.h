/* The Parquet writer's private declarations, shared by its files:
 *
 *  - writer_schema.c: the Arrow schema mapped to a Parquet schema (a node
 *    tree with definition and repetition levels, the flattened
 *    SchemaElement list, one descriptor per leaf column) and the
 *    "ARROW:schema" footer value;
 *  - writer_levels.c: definition and repetition levels of one leaf column
 *    computed from a slice of an Arrow array (validity bitmaps, list
 *    offsets), with the positions of the leaf values;
 *  - writer_encode.c: the RLE / bit-packing hybrid encoder, PLAIN encoding
 *    of Arrow values (with the conversions to physical types) and the
 *    dictionary (a hash table of PLAIN-encoded entries);
 *  - writer_stats.c: column chunk statistics over PLAIN-encoded values;
 *  - writer_compress.c: page compression for every codec;
 *  - writer_column.c: one column chunk: pages, dictionary and fallback;
 *  - writer.c: the public API, row groups and the footer. */
#ifndef QV_IO_PARQUET_WRITER_INTERNAL_H
#define QV_IO_PARQUET_WRITER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arrow/internal.h"
#include "io/parquet/metadata.h"
#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/parquet.h"
#include "quiver/status.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Quiver's Parquet writer assumes a little-endian host"
#endif

/* Levels are kept in bytes; nesting deeper than this is refused. */
#define QV_PQW_MAX_LEVEL 250

/* nbits (1..64) bits of the bitmap bm from bit `bit`, LSB first, reading no
 * byte beyond those the bits occupy. */
static inline uint64_t qv__pqw_load_bits(const uint8_t *bm, int64_t bit, int64_t nbits) {
  const uint8_t *p = bm + (bit >> 3);
  int sh = (int)(bit & 7);
  int64_t nbytes = (sh + nbits + 7) >> 3;
  uint64_t lo = 0;
  if (nbytes >= 8) {
    memcpy(&lo, p, 8);
  } else {
    for (int64_t j = 0; j < nbytes; j++) lo |= (uint64_t)p[j] << (8 * j);
  }
  uint64_t v = lo >> sh;
  if (sh && nbytes > 8) v |= (uint64_t)p[8] << (64 - sh);
  if (nbits < 64) v &= ((uint64_t)1 << nbits) - 1;
  return v;
}

/* The index at slot i (physical) of a dictionary array. */
static inline int64_t qv__pqw_dict_index(const qv_array *a, int64_t i) {
  const uint8_t *p = qv__array_data(a, 1);
  switch (a->type->dict_index->id) {
    case QV_INT8: return ((const int8_t *)p)[i];
    case QV_UINT8: return ((const uint8_t *)p)[i];
    case QV_INT16: return ((const int16_t *)(const void *)p)[i];
    case QV_UINT16: return ((const uint16_t *)(const void *)p)[i];
    case QV_INT32: return ((const int32_t *)(const void *)p)[i];
    case QV_UINT32: return ((const uint32_t *)(const void *)p)[i];
    default: return ((const int64_t *)(const void *)p)[i];
  }
}

/* ---- schema (writer_schema.c) ---------------------------------------------------- */

/* How an Arrow leaf's values become physical Parquet values. */
typedef enum qv_pqw_conv {
  QV_PQW_CONV_BOOL,         /* validity-style bitmap -> BOOLEAN */
  QV_PQW_CONV_COPY,         /* the Arrow bytes are the physical values */
  QV_PQW_CONV_I8,           /* int8 / uint8 / int16 / uint16 widened to INT32 */
  QV_PQW_CONV_U8,
  QV_PQW_CONV_I16,
  QV_PQW_CONV_U16,
  QV_PQW_CONV_DATE64,       /* milliseconds -> days (INT32 DATE) */
  QV_PQW_CONV_X1000_I32,    /* time32(s) -> INT32 TIME(MILLIS) */
  QV_PQW_CONV_X1000_I64,    /* timestamp(s) -> INT64 TIMESTAMP(MILLIS) */
  QV_PQW_CONV_DEC_I32,      /* decimal128 of precision <= 9 -> INT32 */
  QV_PQW_CONV_DEC_I64,      /* decimal128 of precision <= 18 -> INT64 */
  QV_PQW_CONV_DEC_FLBA,     /* decimal128/256 -> big-endian FIXED_LEN_BYTE_ARRAY */
  QV_PQW_CONV_BINARY,       /* 32-bit offsets -> BYTE_ARRAY */
  QV_PQW_CONV_LARGE_BINARY, /* 64-bit offsets -> BYTE_ARRAY */
  QV_PQW_CONV_NULL          /* the null type: never a value */
} qv_pqw_conv;

/* The sort order of a leaf's statistics (parquet.thrift's ColumnOrder
 * rules for its logical or physical type). */
typedef enum qv_pqw_order {
  QV_PQW_ORDER_NONE,    /* no min/max (null type) */
  QV_PQW_ORDER_BOOL,
  QV_PQW_ORDER_I32,
  QV_PQW_ORDER_U32,
  QV_PQW_ORDER_I64,
  QV_PQW_ORDER_U64,
  QV_PQW_ORDER_FLOAT,
  QV_PQW_ORDER_DOUBLE,
  QV_PQW_ORDER_FLOAT16, /* FIXED_LEN_BYTE_ARRAY(2) FLOAT16 */
  QV_PQW_ORDER_BYTES,   /* unsigned byte-wise: BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY */
  QV_PQW_ORDER_DECIMAL  /* signed big-endian two's complement (FIXED_LEN_BYTE_ARRAY decimals) */
} qv_pqw_order;

typedef enum qv_pqw_kind {
  QV_PQW_LEAF,
  QV_PQW_STRUCT,
  QV_PQW_LIST,       /* list, large_list, map: offsets */
  QV_PQW_FIXED_LIST  /* fixed_size_list: list_size elements per slot */
} qv_pqw_kind;

typedef struct qv_pqw_node {
  qv_pqw_kind kind;
  const char *name;
  bool optional;       /* Parquet OPTIONAL: the Arrow field is nullable */
  bool large;          /* LIST: 64-bit offsets */
  bool is_map;         /* LIST: written as a MAP of its entries struct */
  int16_t def;         /* definition level of a non-null slot of this node */
  int16_t elem_rep;    /* LIST kinds: repetition level of elements after the first */
  int32_t list_size;   /* FIXED_LIST */
  int32_t column;      /* LEAF: its leaf column */
  int32_t n_children;
  struct qv_pqw_node **children;
} qv_pqw_node;

typedef struct qv_pqw_leaf {
  int32_t index;
  int32_t field;             /* top-level field */
  const char *path;          /* dotted Parquet path, for messages */
  int32_t n_path;
  qv_pq_bytes *path_parts;   /* ColumnMetaData.path_in_schema */
  int32_t depth;             /* nodes from the top-level field down to the leaf */
  const qv_pqw_node **nodes; /* [depth]: nodes[0] the top-level field, nodes[depth-1] the leaf */
  const int32_t *child_index;/* [depth-1]: which child of nodes[i] nodes[i+1] is */
  int32_t physical_type;
  int32_t type_length;       /* FIXED_LEN_BYTE_ARRAY */
  int32_t width;             /* bytes per physical value; 0 BYTE_ARRAY and BOOLEAN */
  int32_t src_width;         /* bytes per Arrow value for fixed-width sources */
  int16_t max_def, max_rep;
  qv_pqw_conv conv;
  qv_pqw_order order;
  bool arrow_dictionary;     /* the Arrow leaf is dictionary-encoded; values are its dictionary's */
  bool dictionary_ok;        /* dictionary encoding applies (not BOOLEAN or null) */
  bool signed_legacy_stats;  /* also write the deprecated min/max (signed order) */
} qv_pqw_leaf;

typedef struct qv_pqw_schema {
  int32_t n_fields;
  qv_pqw_node **fields;
  int32_t n_leaves;
  qv_pqw_leaf *leaves;
  int32_t n_elements;
  qv_pq_schema_element *elements; /* the flattened Parquet schema, root first */
} qv_pqw_schema;

/* Maps schema to a Parquet schema. Everything is allocated from arena.
 * Errors: QV_NOT_IMPLEMENTED for types Parquet cannot hold (unions,
 * intervals, structs without fields) naming the field; QV_INVALID for
 * nesting deeper than QV_PQW_MAX_LEVEL levels; QV_NOMEM. */
qv_status qv__pqw_schema_build(const qv_schema *schema, qv_arena *arena, qv_pqw_schema *out,
                               qv_error *err) QV_MUST_USE;

/* The "ARROW:schema" value for schema: the base64 of its IPC Schema message
 * (continuation marker, length, flatbuffer), NUL-terminated, in arena. */
qv_status qv__pqw_arrow_schema_b64(qv_schema *schema, qv_arena *arena, const char **out, int64_t *len,
                                   qv_error *err) QV_MUST_USE;

/* ---- levels (writer_levels.c) ---------------------------------------------------- */

/* The level entries of rows [start, start + n) of one leaf column. */
typedef struct qv_pqw_levels {
  int64_t n;             /* level entries */
  const uint8_t *def;    /* n definition levels; NULL when max_def == 0 */
  const uint8_t *rep;    /* n repetition levels; NULL when max_rep == 0 */
  const int64_t *pos;    /* slot of each entry in leaf's buffers (valid where def == max_def),
                          * NULL when entry i's slot is base + i */
  int64_t base;
  int64_t n_values;      /* entries with def == max_def */
  const qv_array *leaf;  /* the leaf array (dictionary-typed for Arrow dictionaries) */
  /* Scratch owned here, reused from call to call. */
  qv_bytes def_buf, rep_buf, pos_buf, tmp_def, tmp_rep, tmp_pos;
} qv_pqw_levels;

void qv__pqw_levels_init(qv_pqw_levels *l, qv_allocator *alloc);
void qv__pqw_levels_reset(qv_pqw_levels *l);

/* Computes the levels of rows [start, start + n) of `column` (the
 * top-level array of leaf->field) for leaf.
 * Errors: QV_INVALID for a null in a non-nullable field where its parents
 * are valid (naming the leaf's path and the row); QV_NOMEM. */
qv_status qv__pqw_levels_compute(qv_pqw_levels *l, const qv_pqw_leaf *leaf, const qv_array *column,
                                 int64_t start, int64_t n, qv_error *err) QV_MUST_USE;

/* ---- encodings (writer_encode.c) ---------------------------------------------------- */

/* Number of bits needed for values 0..max_value (0 for 0). */
int qv__pqw_bit_width(uint64_t max_value);

/* Appends the RLE / bit-packing hybrid encoding of n values of bit_width
 * bits (0..32) to out, without length prefix. Runs of 8 or more equal
 * values become RLE runs; the rest is bit-packed in groups of 8 (the last
 * group padded with zeros). Errors: QV_NOMEM. */
qv_status qv__pqw_rle_encode_u8(const uint8_t *values, int64_t n, int bit_width, qv_bytes *out,
                                qv_error *err) QV_MUST_USE;
qv_status qv__pqw_rle_encode_u32(const uint32_t *values, int64_t n, int bit_width, qv_bytes *out,
                                 qv_error *err) QV_MUST_USE;

/* A run of consecutive value slots of the source array. */
typedef struct qv_pqw_run {
  int64_t start, length;
} qv_pqw_run;

/* Appends the PLAIN encoding of the values in runs of `values` (the leaf
 * array, or its dictionary for Arrow dictionaries) to out; BOOLEAN values
 * are bit-packed at bit *nbits (advanced). Errors: QV_INVALID for a
 * BYTE_ARRAY value over 2 GiB; QV_NOMEM. */
qv_status qv__pqw_plain_append(const qv_pqw_leaf *leaf, const qv_array *values, const qv_pqw_run *runs,
                               int64_t n_runs, qv_bytes *out, int64_t *nbits, qv_error *err) QV_MUST_USE;

/* Converts n fixed-width values starting at slot `start` of `values` to
 * their physical form in out (leaf->width bytes each), or points *data at
 * the Arrow bytes when no conversion is needed. out is cleared first. */
qv_status qv__pqw_physical(const qv_pqw_leaf *leaf, const qv_array *values, int64_t start, int64_t n,
                           qv_bytes *out, const uint8_t **data, qv_error *err) QV_MUST_USE;

/* A dictionary of distinct PLAIN-encoded values with a hash table. */
typedef struct qv_pqw_dict {
  qv_allocator *alloc;
  int32_t width;        /* fixed physical width; 0 for BYTE_ARRAY */
  qv_bytes plain;       /* the entries, PLAIN-encoded: the dictionary page's body */
  qv_bytes starts;      /* BYTE_ARRAY: int64 offset in plain of each entry's bytes */
  int64_t count;
  uint64_t *table;      /* (hash << 32) | (entry + 1); 0 is an empty slot */
  int64_t capacity;     /* slots, a power of two */
} qv_pqw_dict;

void qv__pqw_dict_init(qv_pqw_dict *d, qv_allocator *alloc, int32_t width);
/* Empties the dictionary, keeping its memory. */
void qv__pqw_dict_clear(qv_pqw_dict *d);
void qv__pqw_dict_reset(qv_pqw_dict *d);
/* Looks up n fixed-width physical values (width bytes each), adding the new
 * ones, and writes their entry indices to out. */
qv_status qv__pqw_dict_put_fixed(qv_pqw_dict *d, const uint8_t *values, int64_t n, uint32_t *out,
                                 qv_error *err) QV_MUST_USE;
/* The same for n BYTE_ARRAY values of a binary array from slot start:
 * offsets are int32 (large false) or int64. */
qv_status qv__pqw_dict_put_binary(qv_pqw_dict *d, const void *offsets, bool large, const uint8_t *data,
                                  int64_t start, int64_t n, uint32_t *out, qv_error *err) QV_MUST_USE;

/* ---- statistics (writer_stats.c) ------------------------------------------------------ */

typedef struct qv_pqw_stats {
  qv_pqw_order order;
  int32_t width;        /* FIXED_LEN_BYTE_ARRAY width */
  bool has_minmax;
  int64_t null_count;
  int64_t imin, imax;   /* I32, I64, BOOL (0/1) */
  uint64_t umin, umax;  /* U32, U64, FLOAT16 (bits) */
  double dmin, dmax;    /* FLOAT, DOUBLE */
  qv_bytes bmin, bmax;  /* BYTES, DECIMAL */
} qv_pqw_stats;

void qv__pqw_stats_init(qv_pqw_stats *s, qv_allocator *alloc, qv_pqw_order order, int32_t width);
void qv__pqw_stats_clear(qv_pqw_stats *s);
void qv__pqw_stats_reset(qv_pqw_stats *s);
/* Folds n PLAIN-encoded values at data into min and max (NaN skipped).
 * BOOLEAN: data is a bitmap and bit_offset the first value's bit. */
qv_status qv__pqw_stats_update(qv_pqw_stats *s, const uint8_t *data, int64_t bit_offset, int64_t n,
                               qv_error *err) QV_MUST_USE;
/* The PLAIN bytes of min and max (BYTE_ARRAY without the length prefix),
 * copied into arena; *min is NULL when there is no min/max. Floats follow
 * the specification: a zero min is written -0.0, a zero max +0.0. */
qv_status qv__pqw_stats_bounds(const qv_pqw_stats *s, qv_arena *arena, qv_pq_bytes *min, qv_pq_bytes *max,
                               qv_error *err) QV_MUST_USE;

/* ---- compression (writer_compress.c) --------------------------------------------------- */

typedef struct qv_pqw_compressor {
  int codec;     /* qv_parquet_codec */
  int level;     /* 0: the codec's default */
  void *zstd;    /* ZSTD_CCtx, created on first use */
  void *zlib;    /* z_stream, created on first use */
} qv_pqw_compressor;

/* Errors: QV_NOT_IMPLEMENTED for LZO and unknown codecs. */
qv_status qv__pqw_compressor_init(qv_pqw_compressor *c, int codec, int level, qv_error *err) QV_MUST_USE;
void qv__pqw_compressor_reset(qv_pqw_compressor *c);
/* Compresses src[0..n) into out (cleared first).
 * Errors: QV_NOMEM; QV_INTERNAL when a codec library fails. */
qv_status qv__pqw_compress(qv_pqw_compressor *c, const uint8_t *src, int64_t n, qv_bytes *out,
                           qv_error *err) QV_MUST_USE;

/* ---- column chunks (writer_column.c) --------------------------------------------------- */

/* Settings shared by the column writers (from qv_parquet_write_options). */
typedef struct qv_pqw_config {
  int64_t data_page_size;
  bool dictionary;
  int64_t dictionary_page_size;
  bool statistics;
  int64_t max_statistics_size;
  int data_page_version;
  bool page_checksums;
  int codec;
} qv_pqw_config;

/* Scratch memory shared by the column writers of one file writer. */
typedef struct qv_pqw_scratch {
  qv_pqw_compressor compressor;
  qv_bytes page;        /* an uncompressed page being assembled */
  qv_bytes compressed;
  qv_bytes header;
  qv_bytes levels;      /* RLE-encoded levels (v2) */
  qv_bytes runs;        /* qv_pqw_run */
  qv_bytes physical;    /* converted values */
  qv_bytes bools;       /* booleans unpacked to bytes (v2 RLE) */
} qv_pqw_scratch;

void qv__pqw_scratch_init(qv_pqw_scratch *s, qv_allocator *alloc);
void qv__pqw_scratch_reset(qv_pqw_scratch *s);

typedef struct qv_pqw_column {
  const qv_pqw_leaf *leaf;
  const qv_pqw_config *config;
  qv_allocator *alloc;
  /* The current page. */
  qv_bytes def, rep;         /* uint8 levels */
  qv_bytes values;           /* PLAIN values (not dictionary mode) */
  int64_t value_bits;        /* BOOLEAN: bits in values */
  qv_bytes indices;          /* uint32 dictionary indices (dictionary mode) */
  int64_t page_levels, page_values, page_rows, page_plain_bytes;
  /* Dictionary. */
  bool dict_mode;            /* new values go through the dictionary */
  bool dict_tried;           /* the first dictionary page was judged */
  int64_t dict_pages;        /* data pages written dictionary-encoded */
  qv_pqw_dict dict;
  qv_bytes memo;             /* Arrow dictionaries: int64 entry per Arrow dictionary index, -1 unknown */
  qv_array *memo_of;         /* the Arrow dictionary memo describes (a reference) */
  /* The chunk so far. */
  qv_bytes pages;            /* data pages, headers included */
  qv_bytes dict_page;        /* the dictionary page, built by _finish */
  int64_t chunk_levels, chunk_uncompressed, n_data_pages;
  uint32_t encodings;        /* bit per qv_parquet_encoding used */
  qv_pqw_stats stats;
} qv_pqw_column;

void qv__pqw_column_init(qv_pqw_column *c, const qv_pqw_leaf *leaf, const qv_pqw_config *config,
                         qv_allocator *alloc);
void qv__pqw_column_reset(qv_pqw_column *c);

/* Appends the levels and values of l (whole rows) to the chunk, cutting
 * pages at row boundaries near config->data_page_size.
 * Errors: QV_INVALID for a page or value over the format's 2 GiB limits;
 * those of compression; QV_NOMEM. */
qv_status qv__pqw_column_append(qv_pqw_column *c, const qv_pqw_levels *l, qv_pqw_scratch *s,
                                qv_error *err) QV_MUST_USE;

/* Ends the chunk: writes the last page and the dictionary page. Then
 * c->dict_page (possibly empty) followed by c->pages is the chunk's bytes. */
qv_status qv__pqw_column_finish(qv_pqw_column *c, qv_pqw_scratch *s, qv_error *err) QV_MUST_USE;

/* Fills m (path, encodings, sizes, offsets from chunk_offset, statistics)
 * for the finished chunk; lists and statistics bytes go into arena. */
qv_status qv__pqw_column_meta(const qv_pqw_column *c, int64_t chunk_offset, qv_arena *arena,
                              qv_pq_column_meta *m, qv_error *err) QV_MUST_USE;

/* Empties the chunk for the next row group (memory is kept). */
void qv__pqw_column_clear(qv_pqw_column *c);

#endif
