/* The Parquet schema as the reader uses it: the flattened SchemaElement list
 * turned into a tree of Arrow nodes (struct, list, map, leaf) with the
 * definition and repetition levels that place each node's values, and one
 * descriptor per leaf column telling how its physical values become Arrow
 * values. Built once per file by qv__pq_schema_build. */
#ifndef QV_IO_PARQUET_SCHEMA_H
#define QV_IO_PARQUET_SCHEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "io/parquet/metadata.h"
#include "quiver/type.h"

/* Deepest nesting of groups accepted; levels are then at most this, which
 * lets the decoders keep levels in bytes. */
#define QV_PQ_MAX_NESTING 64

/* How a leaf column's physical values are turned into its Arrow type. */
typedef enum qv_pq_conversion {
  QV_PQ_CONV_NONE,        /* the physical bytes are the Arrow values */
  QV_PQ_CONV_UTF8,        /* BYTE_ARRAY to utf8: the bytes, checked for UTF-8 */
  QV_PQ_CONV_I32_TO_I8,   /* INT32 narrowed to 8 or 16 bits (either sign) */
  QV_PQ_CONV_I32_TO_I16,
  QV_PQ_CONV_INT_TO_DEC,  /* INT32 or INT64 sign-extended to a 16 or 32 byte decimal */
  QV_PQ_CONV_BYTES_TO_DEC,/* big-endian two's complement BYTE_ARRAY/FLBA to decimal */
  QV_PQ_CONV_INT96_TO_NS, /* Julian day + nanoseconds of day to a ns timestamp */
  QV_PQ_CONV_NULL         /* UNKNOWN logical type: an all-null column */
} qv_pq_conversion;

typedef struct qv_pq_column {
  int32_t index;
  const qv_pq_schema_element *element;
  const char *path;       /* dotted, in the arena */
  int32_t physical_type;
  int32_t type_length;    /* FIXED_LEN_BYTE_ARRAY */
  int32_t byte_width;     /* physical value width: 1 bool (bits), 4, 8, 12, type_length; 0 BYTE_ARRAY */
  int16_t max_def;
  int16_t max_rep;
  qv_data_type *type;     /* Arrow type of the values (owned reference) */
  qv_pq_conversion conversion;
  bool large;             /* binary values with 64-bit offsets (large_utf8/large_binary) */
  int32_t field_index;    /* top-level field */
  bool signed_order;      /* the deprecated min/max statistics are usable */
  bool is_float;          /* FLOAT, DOUBLE or FLOAT16: NaN bounds are dropped */
  char logical[64];       /* readable annotation, "" when none */
} qv_pq_column;

typedef enum qv_pq_node_kind { QV_PQ_NODE_LEAF, QV_PQ_NODE_STRUCT, QV_PQ_NODE_LIST, QV_PQ_NODE_MAP } qv_pq_node_kind;

typedef struct qv_pq_node {
  qv_pq_node_kind kind;
  const char *name;
  bool nullable;       /* the Arrow field's nullability */
  bool must_be_valid;  /* optional in the file but not nullable in Arrow (map keys): nulls are errors */
  int16_t def;         /* definition level at which the node is non-null */
  int16_t rep;         /* repetition depth of the node's slots (enclosing lists) */
  int16_t slot_def;    /* a level entry with rep <= this->rep makes a slot iff def >= slot_def */
  int16_t elem_def;    /* LIST/MAP: an element exists iff def >= elem_def */
  bool large;          /* LIST: 64-bit offsets (large_list) */
  int32_t column;      /* LEAF: its column */
  int32_t first_column;/* first leaf column below (levels for struct and list nodes) */
  int32_t n_columns;   /* leaf columns below */
  int32_t field_id;    /* -1 when none */
  int32_t n_children;
  struct qv_pq_node **children;
  qv_field *field;     /* the Arrow field (owned reference), built last */
} qv_pq_node;

typedef struct qv_pq_schema {
  int32_t n_fields;
  qv_pq_node **fields; /* top-level nodes */
  int32_t n_columns;
  qv_pq_column *columns;
  qv_schema *arrow;    /* owned reference */
} qv_pq_schema;

/* Builds the schema of a decoded footer: node tree, column descriptors and
 * the Arrow schema (with the file's key-value metadata, and the Arrow types
 * of "ARROW:schema" restored when use_arrow_schema). Nodes, columns and
 * strings come from arena; types and fields are reference counted and
 * released by qv__pq_schema_reset.
 * Errors: QV_INVALID for an inconsistent schema (bad children counts, a leaf
 * without type, levels too deep); QV_NOT_IMPLEMENTED for a LIST or MAP
 * group of a shape no convention describes; QV_NOMEM. */
qv_status qv__pq_schema_build(const qv_pq_file_meta *meta, qv_arena *arena, bool use_arrow_schema,
                              qv_pq_schema *out, qv_error *err) QV_MUST_USE;

/* Releases the types, fields and Arrow schema; the arena memory goes with
 * the arena. */
void qv__pq_schema_reset(qv_pq_schema *s);

/* Restores Arrow types recorded in an "ARROW:schema" value (base64 of an IPC
 * Schema message) onto the node tree, before the fields are built
 * (arrow_schema.c). Mismatches are ignored: the Parquet types stay. */
void qv__pq_apply_arrow_schema(qv_pq_schema *s, const uint8_t *b64, int64_t len);

#endif
