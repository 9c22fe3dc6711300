/* Apache Parquet: reading files into Arrow record batches, and writing
 * record batches as Parquet files (the "Writing" section at the end).
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
#include "quiver/ipc.h"
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

/* =========================================================================
 * Writing
 * =========================================================================
 *
 * A qv_parquet_writer turns record batches into a Parquet file written to a
 * sink (the qv_ipc_sink of quiver/ipc.h: qv_ipc_sink_file, qv_ipc_sink_bytes
 * or your own). Rows are buffered into the current row group, encoded page
 * by page as they arrive (only the encoded, compressed pages of one row
 * group are held in memory), and the row group is written out when it
 * reaches row_group_size rows or the writer is closed; close writes the
 * footer. Batches are cut across row groups as needed, so row groups hold
 * exactly row_group_size rows except the last.
 *
 * Type mapping (Arrow -> Parquet; nullable fields are OPTIONAL, others
 * REQUIRED):
 *   bool -> BOOLEAN; int8/int16 -> INT32 INT(8|16, true); uint8/uint16/
 *   uint32 -> INT32 INT(bits, false); int32 -> INT32; int64 -> INT64;
 *   uint64 -> INT64 INT(64, false); float16 -> FIXED_LEN_BYTE_ARRAY(2)
 *   FLOAT16; float32 -> FLOAT; float64 -> DOUBLE;
 *   decimal128/256(p, s) -> DECIMAL(p, s) on INT32 (p <= 9), INT64
 *   (p <= 18), else FIXED_LEN_BYTE_ARRAY of the fewest bytes holding p
 *   digits (big-endian two's complement);
 *   date32 -> INT32 DATE; date64 -> INT32 DATE (days, rounded down);
 *   time32(s|ms) -> INT32 TIME(MILLIS) (seconds scaled); time64(us|ns) ->
 *   INT64 TIME(MICROS|NANOS); timestamp(s|ms|us|ns, tz) -> INT64
 *   TIMESTAMP(MILLIS|MICROS|NANOS, isAdjustedToUTC = tz present), seconds
 *   scaled to milliseconds; duration -> INT64;
 *   utf8/large_utf8 -> BYTE_ARRAY STRING; binary/large_binary -> BYTE_ARRAY;
 *   fixed_size_binary(n) -> FIXED_LEN_BYTE_ARRAY(n); null -> INT32
 *   UNKNOWN (always null);
 *   dictionary(index, value) -> the value type's mapping; with dictionary
 *   encoding on, each Arrow dictionary entry used is looked up once and the
 *   indices map straight to Parquet dictionary indices;
 *   list/large_list/fixed_size_list -> the three-level LIST
 *   (<name> { repeated group list { element } }); struct -> a group; map ->
 *   MAP (<name> { repeated group key_value { required key; value } }).
 *   With store_arrow_schema, the Arrow schema is kept under "ARROW:schema"
 *   so that Arrow readers (Quiver's and pyarrow's) restore large types, time
 *   zones, durations and (pyarrow) dictionaries; as from Arrow's own
 *   files, date64 and second units come back as date32 and milliseconds,
 *   the types Parquet stores, and fixed-size lists come back as lists (the
 *   recorded type says list: null slots hold no elements in the file, which
 *   Arrow readers cannot turn back into fixed-size lists). Other schema
 *   metadata become the footer's key-value metadata; a field's
 *   "PARQUET:field_id" metadata becomes its field_id.
 *   Not writable: unions and intervals (QV_NOT_IMPLEMENTED at create).
 *
 * Encodings: data pages v1 (default) or v2; RLE_DICTIONARY with a PLAIN
 * dictionary page when a chunk's first page shows the dictionary pays off
 * (dictionary plus indices smaller than the values PLAIN), falling back to
 * PLAIN for the rest of the chunk when the dictionary outgrows
 * dictionary_page_size; PLAIN otherwise; levels (and v2 booleans) in the
 * RLE / bit-packing hybrid. Pages end at row boundaries. Not written: page
 * statistics, page indexes, bloom filters, the DELTA_* and
 * BYTE_STREAM_SPLIT encodings.
 *
 * Statistics (column chunks): min and max in the order of the logical type
 * (unsigned for INT(bits, false), signed for decimals, byte-wise for
 * strings and binary; NaN skipped, zero bounds written as -0.0 / +0.0), and
 * null_count, which counts level entries without a value (nulls at any
 * level and empty lists; for flat columns, the nulls).
 *
 * A writer is not thread-safe; use one per thread. */

/* Default of qv_parquet_write_options.row_group_size (rows). */
#define QV_PARQUET_DEFAULT_ROW_GROUP_SIZE ((int64_t)1 << 20)
/* Default of qv_parquet_write_options.data_page_size (bytes). */
#define QV_PARQUET_DEFAULT_DATA_PAGE_SIZE ((int64_t)1 << 20)
/* Default of qv_parquet_write_options.dictionary_page_size (bytes). */
#define QV_PARQUET_DEFAULT_DICTIONARY_PAGE_SIZE ((int64_t)1 << 20)
/* Default of qv_parquet_write_options.max_statistics_size (bytes). */
#define QV_PARQUET_DEFAULT_MAX_STATISTICS_SIZE 4096

typedef struct qv_parquet_write_options {
  /* Allocator for the writer, its pages and footer. NULL:
   * qv_default_allocator(). */
  qv_allocator *alloc;
  /* Rows per row group (default QV_PARQUET_DEFAULT_ROW_GROUP_SIZE). */
  int64_t row_group_size;
  /* Target size of a data page before compression, in bytes (default
   * QV_PARQUET_DEFAULT_DATA_PAGE_SIZE); pages end at the first row
   * boundary past it. */
  int64_t data_page_size;
  /* Codec of every page (default QV_PARQUET_UNCOMPRESSED): UNCOMPRESSED,
   * SNAPPY, GZIP, BROTLI, ZSTD, LZ4_RAW or LZ4 (Hadoop framing). */
  qv_parquet_codec compression;
  /* Codec level; 0 (default) is the codec's default: ZSTD 1, GZIP 6,
   * BROTLI 8. Ignored by SNAPPY and LZ4. */
  int compression_level;
  /* Try dictionary encoding (default true). */
  bool dictionary;
  /* Largest dictionary (its PLAIN bytes) before a chunk falls back to
   * PLAIN (default QV_PARQUET_DEFAULT_DICTIONARY_PAGE_SIZE). */
  int64_t dictionary_page_size;
  /* Write column chunk statistics (default true). */
  bool statistics;
  /* Min and max longer than this many bytes are left out (default
   * QV_PARQUET_DEFAULT_MAX_STATISTICS_SIZE); the null count stays. */
  int64_t max_statistics_size;
  /* 1 (default) or 2. */
  int data_page_version;
  /* Store the Arrow schema under "ARROW:schema" (default true). */
  bool store_arrow_schema;
  /* Write a CRC-32 in every page header (default false). */
  bool page_checksums;
  /* The footer's created_by; NULL: "quiver version 0.1.0". Copied. */
  const char *created_by;
} qv_parquet_write_options;

/* Sets the defaults described above. */
void qv_parquet_write_options_init(qv_parquet_write_options *opts);

typedef struct qv_parquet_writer qv_parquet_writer;

/* Creates a writer of batches of `schema` (the writer takes a reference)
 * and writes the leading magic to sink. opts may be NULL (defaults); it is
 * copied. The sink must stay usable until the writer is destroyed.
 * Errors: QV_INVALID for bad options (data_page_version not 1 or 2, negative
 * sizes); QV_NOT_IMPLEMENTED for a type without a Parquet form (naming the
 * field) or an unsupported codec (LZO); the sink's errors; QV_NOMEM. */
qv_status qv_parquet_writer_create(qv_schema *schema, const qv_parquet_write_options *opts,
                                   qv_ipc_sink sink, qv_parquet_writer **out,
                                   qv_error *err) QV_MUST_USE;

/* Appends the rows of batch, whose columns must have the writer schema's
 * types (field names and metadata are not compared). Full row groups are
 * written to the sink. The batch is not referenced after the call.
 * Errors: QV_INVALID for a batch that does not match the schema, or a null
 * in a non-nullable field (where its parents are valid), both detected
 * before anything is written, so the writer stays usable; after a closed
 * writer; QV_INVALID for values over Parquet's 2 GiB limits, the sink's
 * errors and QV_NOMEM, after which the writer is broken: every later call
 * fails with QV_INVALID. */
qv_status qv_parquet_writer_write(qv_parquet_writer *w, qv_record_batch *batch,
                                  qv_error *err) QV_MUST_USE;

/* Ends the current row group now (if it has rows), so that the next rows
 * start a new one. Errors: those of qv_parquet_writer_write. */
qv_status qv_parquet_writer_flush(qv_parquet_writer *w, qv_error *err) QV_MUST_USE;

/* Writes the last row group and the footer. Without it the output is not a
 * Parquet file. Further writes fail with QV_INVALID.
 * Errors: those of qv_parquet_writer_write. */
qv_status qv_parquet_writer_close(qv_parquet_writer *w, qv_error *err) QV_MUST_USE;

/* Bytes written to the sink so far. */
int64_t qv_parquet_writer_bytes_written(const qv_parquet_writer *w);

/* Frees the writer without writing anything more. w may be NULL. */
void qv_parquet_writer_destroy(qv_parquet_writer *w);

/* Writes n batches of `schema` to a new file at path (replaced if it
 * exists). opts may be NULL. On failure the partial file is removed.
 * Errors: QV_IO when the file cannot be created or written (naming it);
 * those of the writer. */
qv_status qv_parquet_write_file(const char *path, qv_schema *schema, qv_record_batch *const *batches,
                                int64_t n, const qv_parquet_write_options *opts,
                                qv_error *err) QV_MUST_USE;

#ifdef __cplusplus
}
#endif
#endif
