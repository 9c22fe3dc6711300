/* Parquet's footer (FileMetaData) and page headers, decoded from the Thrift
 * compact protocol into plain C structs. Only the fields the reader uses are
 * kept; every other field, known or not, is skipped. Byte strings (names,
 * statistics, key-value pairs) point into the input, which the caller keeps
 * alive; names are also copied NUL-terminated into the arena. */
#ifndef QV_IO_PARQUET_METADATA_H
#define QV_IO_PARQUET_METADATA_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/memory.h"
#include "quiver/parquet.h"
#include "quiver/status.h"

/* Repetition of a schema element. */
enum { QV_PQ_REQUIRED = 0, QV_PQ_OPTIONAL = 1, QV_PQ_REPEATED = 2 };

/* Page types. */
enum { QV_PQ_DATA_PAGE = 0, QV_PQ_INDEX_PAGE = 1, QV_PQ_DICTIONARY_PAGE = 2, QV_PQ_DATA_PAGE_V2 = 3 };

/* ConvertedType values used by the reader. */
enum {
  QV_PQ_CT_UTF8 = 0, QV_PQ_CT_MAP = 1, QV_PQ_CT_MAP_KEY_VALUE = 2, QV_PQ_CT_LIST = 3,
  QV_PQ_CT_ENUM = 4, QV_PQ_CT_DECIMAL = 5, QV_PQ_CT_DATE = 6, QV_PQ_CT_TIME_MILLIS = 7,
  QV_PQ_CT_TIME_MICROS = 8, QV_PQ_CT_TIMESTAMP_MILLIS = 9, QV_PQ_CT_TIMESTAMP_MICROS = 10,
  QV_PQ_CT_UINT_8 = 11, QV_PQ_CT_UINT_16 = 12, QV_PQ_CT_UINT_32 = 13, QV_PQ_CT_UINT_64 = 14,
  QV_PQ_CT_INT_8 = 15, QV_PQ_CT_INT_16 = 16, QV_PQ_CT_INT_32 = 17, QV_PQ_CT_INT_64 = 18,
  QV_PQ_CT_JSON = 19, QV_PQ_CT_BSON = 20, QV_PQ_CT_INTERVAL = 21
};

/* LogicalType union members (their field ids in parquet.thrift). */
enum {
  QV_PQ_LT_NONE = 0, QV_PQ_LT_STRING = 1, QV_PQ_LT_MAP = 2, QV_PQ_LT_LIST = 3, QV_PQ_LT_ENUM = 4,
  QV_PQ_LT_DECIMAL = 5, QV_PQ_LT_DATE = 6, QV_PQ_LT_TIME = 7, QV_PQ_LT_TIMESTAMP = 8,
  QV_PQ_LT_INTEGER = 10, QV_PQ_LT_UNKNOWN = 11, QV_PQ_LT_JSON = 12, QV_PQ_LT_BSON = 13,
  QV_PQ_LT_UUID = 14, QV_PQ_LT_FLOAT16 = 15, QV_PQ_LT_VARIANT = 16, QV_PQ_LT_GEOMETRY = 17,
  QV_PQ_LT_GEOGRAPHY = 18
};

/* Time units of TIME and TIMESTAMP (TimeUnit union ids). */
enum { QV_PQ_MILLIS = 1, QV_PQ_MICROS = 2, QV_PQ_NANOS = 3 };

typedef struct qv_pq_logical_type {
  int32_t kind; /* QV_PQ_LT_*, or the unknown union id; QV_PQ_LT_NONE when absent */
  int32_t scale, precision;     /* DECIMAL */
  bool adjusted_to_utc;         /* TIME, TIMESTAMP */
  int32_t unit;                 /* TIME, TIMESTAMP: QV_PQ_MILLIS.. (0 unknown) */
  int32_t bit_width;            /* INTEGER */
  bool is_signed;               /* INTEGER */
} qv_pq_logical_type;

typedef struct qv_pq_schema_element {
  bool has_type;
  int32_t type; /* qv_parquet_physical_type */
  int32_t type_length;
  bool has_repetition;
  int32_t repetition;
  const char *name; /* NUL-terminated, in the arena */
  bool has_num_children;
  int32_t num_children;
  bool has_converted_type;
  int32_t converted_type;
  int32_t scale, precision;
  bool has_field_id;
  int32_t field_id;
  qv_pq_logical_type logical;
} qv_pq_schema_element;

typedef struct qv_pq_bytes {
  const uint8_t *data; /* NULL when absent */
  int64_t len;
} qv_pq_bytes;

typedef struct qv_pq_key_value {
  qv_pq_bytes key;
  qv_pq_bytes value; /* data NULL when the value is absent */
} qv_pq_key_value;

typedef struct qv_pq_statistics {
  qv_pq_bytes max, min;             /* deprecated, signed order */
  qv_pq_bytes max_value, min_value; /* column order */
  bool has_null_count, has_distinct_count, has_nan_count;
  int64_t null_count, distinct_count, nan_count;
  bool has_max_exact, has_min_exact;
  bool max_exact, min_exact;
} qv_pq_statistics;

typedef struct qv_pq_column_meta {
  int32_t type;
  int32_t n_encodings;
  int32_t *encodings;
  int32_t n_path;
  qv_pq_bytes *path;
  int32_t codec;
  int64_t num_values;
  int64_t total_uncompressed_size;
  int64_t total_compressed_size;
  int32_t n_key_values;
  qv_pq_key_value *key_values;
  int64_t data_page_offset;
  bool has_dictionary_page_offset;
  int64_t dictionary_page_offset;
  bool has_statistics;
  qv_pq_statistics statistics;
} qv_pq_column_meta;

typedef struct qv_pq_column_chunk {
  bool has_file_path;
  int64_t file_offset;
  bool has_meta;
  qv_pq_column_meta meta;
  bool encrypted; /* crypto_metadata or encrypted_column_metadata present */
} qv_pq_column_chunk;

typedef struct qv_pq_row_group {
  int32_t n_columns;
  qv_pq_column_chunk *columns;
  int64_t total_byte_size;
  int64_t num_rows;
  bool has_file_offset;
  int64_t file_offset;
  bool has_total_compressed_size;
  int64_t total_compressed_size;
} qv_pq_row_group;

typedef struct qv_pq_file_meta {
  int32_t version;
  int32_t n_schema;
  qv_pq_schema_element *schema;
  int64_t num_rows;
  int32_t n_row_groups;
  qv_pq_row_group *row_groups;
  int32_t n_key_values;
  qv_pq_key_value *key_values;
  qv_pq_bytes created_by;
  int32_t n_column_orders;
  int32_t *column_orders; /* ColumnOrder union ids: 1 type-defined, 2 IEEE 754 total order */
  bool encrypted;         /* encryption_algorithm present */
} qv_pq_file_meta;

typedef struct qv_pq_page_header {
  int32_t type;
  int32_t uncompressed_page_size;
  int32_t compressed_page_size;
  bool has_crc;
  uint32_t crc;
  bool has_data;
  struct {
    int32_t num_values, encoding, def_encoding, rep_encoding;
  } data;
  bool has_dict;
  struct {
    int32_t num_values, encoding;
  } dict;
  bool has_data_v2;
  struct {
    int32_t num_values, num_nulls, num_rows, encoding, def_length, rep_length;
    bool is_compressed;
  } v2;
} qv_pq_page_header;

/* Decodes a FileMetaData of `size` bytes. Lists and names are allocated from
 * arena; byte strings point into data. On failure the arena may hold partial
 * results (reset it).
 * Errors: QV_INVALID (malformed, truncated, missing required fields), with
 * the byte offset; QV_NOMEM. */
qv_status qv__pq_decode_file_meta(const uint8_t *data, int64_t size, qv_arena *arena,
                                  qv_pq_file_meta *out, qv_error *err) QV_MUST_USE;

/* Decodes the PageHeader at the start of data[0..size) and sets *header_len
 * to its encoded size. Allocates nothing.
 * Errors: QV_INVALID (malformed, truncated, missing required fields). */
qv_status qv__pq_decode_page_header(const uint8_t *data, int64_t size, qv_pq_page_header *out,
                                    int64_t *header_len, qv_error *err) QV_MUST_USE;

#endif
