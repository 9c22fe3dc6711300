/* Apache Parquet: reading files into Arrow record batches.
 *
 * A qv_parquet_reader opens a file (from a path, or from a buffer holding the
 * whole file), decodes and verifies its footer, and converts the Parquet
 * schema into an Arrow schema. It then answers questions about the file's
 * layout (row groups, column chunks, encodings, codecs, statistics) without
 * touching the data, and reads row groups as record batches of at most
 * qv_parquet_read_options.batch_size rows through a qv_parquet_batch_reader.
 *
 * Type mapping (Parquet -> Arrow):
 *   BOOLEAN -> bool; INT32 -> int32; INT64 -> int64; FLOAT -> float32;
 *   DOUBLE -> float64; BYTE_ARRAY -> binary; FIXED_LEN_BYTE_ARRAY(n) ->
 *   fixed_size_binary(n); INT96 -> timestamp(ns) (the legacy Impala/Spark
 *   layout, wrapping like Arrow C++ outside the int64 range);
 *   STRING/UTF8/ENUM/JSON -> utf8; DECIMAL(p,s) on INT32, INT64, BYTE_ARRAY or
 *   FIXED_LEN_BYTE_ARRAY -> decimal128(p,s), decimal256(p,s) when p > 38;
 *   DATE -> date32; TIME(MILLIS) -> time32(ms); TIME(MICROS|NANOS) -> time64;
 *   TIMESTAMP(unit, isAdjustedToUTC) -> timestamp(unit, "UTC" when adjusted,
 *   naive otherwise); INT(bits, signed) -> int8..uint64; FLOAT16 ->
 *   float16; UNKNOWN (always null) -> null; any annotation Quiver does not
 *   know -> the physical type's mapping.
 *   Groups: LIST (three-level, and the legacy two-level forms the Parquet
 *   specification's backward-compatibility rules describe) -> list; MAP and
 *   MAP_KEY_VALUE -> map (a map whose key/value group has only a key becomes
 *   a list of keys; optional keys are accepted, null keys are an error); a
 *   repeated field outside a LIST or MAP -> a non-null list of it; any other
 *   group -> struct.
 *   When the file carries the "ARROW:schema" key written by Arrow writers, the
 *   Arrow types it records are restored where the stored data allows it:
 *   large_utf8, large_binary, large_list, timestamp time zones and durations.
 *
 * Supported: data page v1 and v2, dictionary pages; encodings PLAIN,
 * PLAIN_DICTIONARY, RLE_DICTIONARY, RLE (levels and booleans), BIT_PACKED
 * (levels), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
 * BYTE_STREAM_SPLIT; codecs UNCOMPRESSED, SNAPPY, GZIP, BROTLI, ZSTD, LZ4_RAW
 * and LZ4 (Hadoop framing, with the raw-block fallback). Not supported:
 * encrypted files, LZO, column data in other files (ColumnChunk.file_path).
 *
 * Safety: the file may be hostile. Every Thrift length, count and nesting is
 * checked, page sizes are checked against the column chunk and against
 * max_page_size before anything is allocated, page CRCs are verified when
 * present, dictionary indices and levels are range-checked, and decoding
 * never allocates in proportion to a number the file states without also
 * checking that number against the bytes present (or the allocator's
 * limit, for run-length encoded data, which legitimately expands).
 *
 * Errors name what failed: "parquet: data.parquet: not a Parquet file (no
 * PAR1 magic)", "parquet: data.parquet: row group 0: column 'l_tax' page 3:
 * unknown encoding 9".
 *
 * Nothing here is thread-safe: use one reader (and its batch readers) per
 * thread, or open the file once per thread. */
#ifndef QUIVER_PARQUET_H
#define QUIVER_PARQUET_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/status.h"
#include "quiver/type.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The values are those of the Parquet format (parquet.thrift). */
typedef enum qv_parquet_physical_type {
  QV_PARQUET_BOOLEAN = 0,
  QV_PARQUET_INT32 = 1,
  QV_PARQUET_INT64 = 2,
  QV_PARQUET_INT96 = 3,
  QV_PARQUET_FLOAT = 4,
  QV_PARQUET_DOUBLE = 5,
  QV_PARQUET_BYTE_ARRAY = 6,
  QV_PARQUET_FIXED_LEN_BYTE_ARRAY = 7
} qv_parquet_physical_type;

typedef enum qv_parquet_codec {
  QV_PARQUET_UNCOMPRESSED = 0,
  QV_PARQUET_SNAPPY = 1,
  QV_PARQUET_GZIP = 2,
  QV_PARQUET_LZO = 3,
  QV_PARQUET_BROTLI = 4,
  QV_PARQUET_LZ4 = 5,
  QV_PARQUET_ZSTD = 6,
  QV_PARQUET_LZ4_RAW = 7
} qv_parquet_codec;

typedef enum qv_parquet_encoding {
  QV_PARQUET_PLAIN = 0,
  QV_PARQUET_PLAIN_DICTIONARY = 2,
  QV_PARQUET_RLE = 3,
  QV_PARQUET_BIT_PACKED = 4,
  QV_PARQUET_DELTA_BINARY_PACKED = 5,
  QV_PARQUET_DELTA_LENGTH_BYTE_ARRAY = 6,
  QV_PARQUET_DELTA_BYTE_ARRAY = 7,
  QV_PARQUET_RLE_DICTIONARY = 8,
  QV_PARQUET_BYTE_STREAM_SPLIT = 9
} qv_parquet_encoding;

/* Names as the Parquet specification spells them ("SNAPPY", "RLE_DICTIONARY",
 * "INT96"), "UNKNOWN" for values outside the enumeration. Static strings. */
const char *qv_parquet_codec_name(qv_parquet_codec codec);
const char *qv_parquet_encoding_name(qv_parquet_encoding encoding);
const char *qv_parquet_physical_type_name(qv_parquet_physical_type type);

/* ---- options ---------------------------------------------------------------- */

/* Default of qv_parquet_read_options.batch_size. */
#define QV_PARQUET_DEFAULT_BATCH_SIZE 65536
/* Default of qv_parquet_read_options.max_page_size: 1 GiB. */
#define QV_PARQUET_DEFAULT_MAX_PAGE_SIZE ((int64_t)1 << 30)

typedef struct qv_parquet_read_options {
  /* Allocator for the decoded footer, page buffers and the arrays returned.
   * NULL: qv_default_allocator(). Give one with a limit to bound the memory
   * a hostile file can make the reader take (QV_NOMEM past it). */
  qv_allocator *alloc;
  /* Most rows in one record batch (default QV_PARQUET_DEFAULT_BATCH_SIZE).
   * Batches never span row groups. */
  int64_t batch_size;
  /* Largest page, compressed or uncompressed, the reader accepts (default
   * QV_PARQUET_DEFAULT_MAX_PAGE_SIZE); checked before allocating, larger
   * pages fail with QV_RESOURCE_EXHAUSTED. */
  int64_t max_page_size;
  /* Verify the CRC-32 of every page that carries one (default true); a
   * mismatch fails the read with QV_INVALID naming the column and page. */
  bool verify_checksums;
  /* Restore Arrow types from the "ARROW:schema" key (default true). */
  bool use_arrow_schema;
} qv_parquet_read_options;

/* Sets the defaults described above. */
void qv_parquet_read_options_init(qv_parquet_read_options *opts);

/* ---- the reader ------------------------------------------------------------- */

typedef struct qv_parquet_reader qv_parquet_reader;

/* Opens the file at path (memory-mapped) and decodes its footer and schema.
 * opts may be NULL (defaults); it is copied. The caller destroys the reader.
 * Errors: QV_NOT_FOUND (no such file) and QV_IO (unreadable), naming the
 * file; those of qv_parquet_reader_create. */
qv_status qv_parquet_reader_open(const char *path, const qv_parquet_read_options *opts,
                                 qv_parquet_reader **out, qv_error *err) QV_MUST_USE;

/* Opens a Parquet file held whole in `data`; the reader takes a reference.
 * name (may be NULL) names the file in error messages and is copied.
 * Errors: QV_INVALID for a file that is too short or lacks the PAR1 magic
 * at either end ("not a Parquet file"), a footer length outside the file, a
 * malformed footer (the Thrift decoder's message, with the offset) or a
 * schema that is inconsistent (children counts, column chunk types or
 * counts that disagree with the schema); QV_NOT_IMPLEMENTED for encrypted
 * files (PARE magic) and schemas Quiver cannot map; QV_NOMEM. */
qv_status qv_parquet_reader_create(qv_buffer *data, const char *name,
                                   const qv_parquet_read_options *opts, qv_parquet_reader **out,
                                   qv_error *err) QV_MUST_USE;

/* Frees the reader. Batch readers created from it must be destroyed first;
 * record batches already returned stay valid (they own their memory). r may
 * be NULL. */
void qv_parquet_reader_destroy(qv_parquet_reader *r);

/* The Arrow schema of the file: one field per top-level Parquet field, with
 * the file's key-value metadata as schema metadata. Borrowed, valid while r
 * lives. */
qv_schema *qv_parquet_reader_schema(const qv_parquet_reader *r);

/* Rows in all row groups (their sum: some writers leave the footer's own
 * total at 0). */
int64_t qv_parquet_reader_num_rows(const qv_parquet_reader *r);
int32_t qv_parquet_reader_num_row_groups(const qv_parquet_reader *r);
/* Number of leaf columns (column chunks per row group). */
int32_t qv_parquet_reader_num_columns(const qv_parquet_reader *r);
/* The footer's created_by ("parquet-cpp-arrow version 22.0.0"), or NULL.
 * Borrowed, valid while r lives. */
const char *qv_parquet_reader_created_by(const qv_parquet_reader *r);
/* The footer's format version (1 or 2). */
int32_t qv_parquet_reader_version(const qv_parquet_reader *r);

/* A leaf column. Pointers are borrowed, valid while the reader lives. */
typedef struct qv_parquet_column_info {
  const char *path;        /* the dotted path in the Parquet schema, "a.list.element" */
  qv_parquet_physical_type physical_type;
  int32_t type_length;     /* FIXED_LEN_BYTE_ARRAY width, 0 otherwise */
  int32_t max_definition_level;
  int32_t max_repetition_level;
  int32_t field_index;     /* the top-level schema field it belongs to */
  qv_data_type *type;      /* the Arrow type its values are read as */
  const char *logical_type; /* the annotation as text ("STRING", "DECIMAL(10,2)",
                             * "TIMESTAMP(MICROS,UTC)"), "" when none */
} qv_parquet_column_info;

/* Describes leaf column `column` (0 <= column < num_columns).
 * Errors: QV_INVALID for an index out of range. */
qv_status qv_parquet_reader_column(const qv_parquet_reader *r, int32_t column,
                                   qv_parquet_column_info *out, qv_error *err) QV_MUST_USE;

/* A row group's size and place in the file. */
typedef struct qv_parquet_row_group_info {
  int64_t num_rows;
  int64_t offset;            /* of its first page (dictionary or data) */
  int64_t compressed_size;   /* bytes from offset to the end of its last column chunk */
  int64_t uncompressed_size; /* total_byte_size of the footer */
} qv_parquet_row_group_info;

/* Errors: QV_INVALID for an index out of range. */
qv_status qv_parquet_reader_row_group(const qv_parquet_reader *r, int32_t row_group,
                                      qv_parquet_row_group_info *out, qv_error *err) QV_MUST_USE;

/* Whether a row group belongs to the byte range [offset, offset + length) of
 * the file when files are split by byte ranges: it does when the midpoint of
 * its bytes falls in the range, so that splits covering a file without
 * overlap read each row group exactly once. */
bool qv_parquet_row_group_in_range(const qv_parquet_row_group_info *rg, int64_t offset,
                                   int64_t length);

/* Statistics of a column chunk as stored: min and max are the PLAIN encoding
 * of a value (without length prefix for BYTE_ARRAY); turn them into typed
 * values with qv_parquet_statistics_value. */
typedef struct qv_parquet_statistics {
  bool has_min_max;
  const uint8_t *min; /* borrowed, valid while the reader lives */
  int64_t min_length;
  const uint8_t *max;
  int64_t max_length;
  bool min_exact;     /* is_min_value_exact, true when the file does not say */
  bool max_exact;
  bool has_null_count;
  int64_t null_count;
  bool has_distinct_count;
  int64_t distinct_count;
  bool has_nan_count;
  int64_t nan_count;
} qv_parquet_statistics;

/* A column chunk (one leaf column in one row group). Pointers are borrowed,
 * valid while the reader lives. */
typedef struct qv_parquet_column_chunk_info {
  qv_parquet_physical_type physical_type;
  qv_parquet_codec codec;
  int32_t n_encodings;
  const qv_parquet_encoding *encodings; /* as the footer lists them */
  int64_t num_values;                   /* level entries, nulls included */
  int64_t offset;                       /* of its first page */
  int64_t compressed_size;              /* pages with headers, as stored */
  int64_t uncompressed_size;
  bool has_dictionary_page;
  /* Min and max are only reported when their sort order is known: from
   * min_value/max_value, or from the deprecated min/max fields for types
   * whose order is signed. NaN bounds of float columns are dropped. */
  bool has_statistics;
  qv_parquet_statistics statistics;
  const qv_metadata *metadata;          /* its key-value metadata, or NULL */
} qv_parquet_column_chunk_info;

/* Errors: QV_INVALID for indices out of range. */
qv_status qv_parquet_reader_column_chunk(const qv_parquet_reader *r, int32_t row_group,
                                         int32_t column, qv_parquet_column_chunk_info *out,
                                         qv_error *err) QV_MUST_USE;

/* Decodes a statistics value (min or max bytes) of leaf column `column` into
 * a one-element array of the column's Arrow type (qv_parquet_column_info.type);
 * the caller owns it. Render it with qv_format_value (pretty.h).
 * Errors: QV_INVALID when the bytes do not have the size the physical type
 * needs; QV_NOT_IMPLEMENTED for a type without a value form (null columns). */
qv_status qv_parquet_statistics_value(const qv_parquet_reader *r, int32_t column,
                                      const uint8_t *bytes, int64_t length, qv_array **out,
                                      qv_error *err) QV_MUST_USE;

/* ---- reading -------------------------------------------------------------- */

/* Reads record batches from a sequence of row groups. */
typedef struct qv_parquet_batch_reader qv_parquet_batch_reader;

/* Reads one row group. fields lists indices of top-level schema fields to
 * read, in the order wanted (NULL: all fields, n_fields ignored); a field may
 * not repeat. The caller destroys the batch reader, before the reader.
 * Errors: QV_INVALID for an index out of range or repeated; QV_NOMEM. */
qv_status qv_parquet_reader_read_row_group(qv_parquet_reader *r, int32_t row_group,
                                           const int32_t *fields, int32_t n_fields,
                                           qv_parquet_batch_reader **out,
                                           qv_error *err) QV_MUST_USE;

/* Reads several row groups in the given order (NULL: every row group of the
 * file, n_row_groups ignored), with the same field selection as
 * qv_parquet_reader_read_row_group. */
qv_status qv_parquet_reader_scan(qv_parquet_reader *r, const int32_t *row_groups,
                                 int32_t n_row_groups, const int32_t *fields, int32_t n_fields,
                                 qv_parquet_batch_reader **out, qv_error *err) QV_MUST_USE;

/* The schema of the batches (the selected fields). Borrowed, valid while br
 * lives. */
qv_schema *qv_parquet_batch_reader_schema(const qv_parquet_batch_reader *br);

/* Reads the next batch into *out (the caller owns one reference; the batch
 * owns its memory and outlives the readers); *out is NULL after the last row.
 * Row groups with no rows are skipped.
 * Errors: QV_INVALID for corrupt data, naming row group, column and page;
 * QV_RESOURCE_EXHAUSTED for a page over max_page_size; QV_NOT_IMPLEMENTED
 * for an unsupported codec or encoding; QV_NOMEM. After an error every later
 * call fails too. */
qv_status qv_parquet_batch_reader_next(qv_parquet_batch_reader *br, qv_record_batch **out,
                                       qv_error *err) QV_MUST_USE;

/* br may be NULL. */
void qv_parquet_batch_reader_destroy(qv_parquet_batch_reader *br);

#ifdef __cplusplus
}
#endif
#endif
