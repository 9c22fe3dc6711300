/* Arrow data types, fields, key-value metadata and schemas.
 *
 * Types, fields and schemas are immutable and reference counted: _ref adds a
 * reference, _unref drops one, and every constructor returns one reference owned
 * by the caller. Constructors that take types or fields take their own
 * references (the caller keeps its own). Primitive types are process-wide
 * singletons for which _ref/_unref are no-ops. */
#ifndef QUIVER_TYPE_H
#define QUIVER_TYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/memory.h"
#include "quiver/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum qv_type_id {
  QV_NA = 0,
  QV_BOOL,
  QV_INT8, QV_INT16, QV_INT32, QV_INT64,
  QV_UINT8, QV_UINT16, QV_UINT32, QV_UINT64,
  QV_FLOAT16, QV_FLOAT32, QV_FLOAT64,
  QV_DECIMAL128, QV_DECIMAL256,
  QV_DATE32,   /* days since the UNIX epoch */
  QV_DATE64,   /* milliseconds since the UNIX epoch */
  QV_TIME32,   /* seconds or milliseconds since midnight */
  QV_TIME64,   /* microseconds or nanoseconds since midnight */
  QV_TIMESTAMP,
  QV_DURATION,
  QV_INTERVAL_MONTHS,          /* int32 months */
  QV_INTERVAL_DAY_TIME,        /* {int32 days, int32 ms} */
  QV_INTERVAL_MONTH_DAY_NANO,  /* {int32 months, int32 days, int64 ns} */
  QV_BINARY, QV_LARGE_BINARY, QV_UTF8, QV_LARGE_UTF8,
  QV_FIXED_SIZE_BINARY,
  QV_LIST, QV_LARGE_LIST, QV_FIXED_SIZE_LIST,
  QV_STRUCT,
  QV_MAP,                      /* list<entries: struct<key, value>> */
  QV_SPARSE_UNION, QV_DENSE_UNION,
  QV_DICTIONARY,               /* indices of an integer type into a value array */
  QV_TYPE_ID_COUNT
} qv_type_id;

typedef enum qv_time_unit { QV_SECOND = 0, QV_MILLI = 1, QV_MICRO = 2, QV_NANO = 3 } qv_time_unit;

typedef struct qv_data_type qv_data_type;
typedef struct qv_field qv_field;
typedef struct qv_schema qv_schema;
typedef struct qv_metadata qv_metadata;

/* ---- key-value metadata (ordered; keys may repeat as Arrow allows) -------- */

qv_status qv_metadata_create(qv_metadata **out, qv_error *err) QV_MUST_USE;
/* Appends a pair; key and value are byte strings of the given lengths. */
qv_status qv_metadata_append(qv_metadata *m, const char *key, int64_t key_len, const char *value,
                             int64_t value_len, qv_error *err) QV_MUST_USE;
void qv_metadata_destroy(qv_metadata *m);
/* A deep copy; *out is NULL when m is NULL. */
qv_status qv_metadata_copy(const qv_metadata *m, qv_metadata **out, qv_error *err) QV_MUST_USE;
int64_t qv_metadata_count(const qv_metadata *m); /* 0 for NULL */
/* Borrowed pointers valid while m lives; values are NUL-terminated as well. */
void qv_metadata_get(const qv_metadata *m, int64_t i, const char **key, int64_t *key_len,
                     const char **value, int64_t *value_len);
/* The value of the first pair with this key, or NULL. */
const char *qv_metadata_find(const qv_metadata *m, const char *key, int64_t *value_len);
/* The same pairs, in any order (as Arrow compares metadata); NULL equals empty. */
bool qv_metadata_equals(const qv_metadata *a, const qv_metadata *b);

/* ---- data types ----------------------------------------------------------- */

/* Singletons of the parameter-free types (NA, BOOL, ints, floats, DATE32/64,
 * the interval types, binary and utf8 in both sizes). NULL for other ids. */
qv_data_type *qv_type_primitive(qv_type_id id);

qv_status qv_type_decimal(qv_type_id id, int32_t precision, int32_t scale, qv_data_type **out,
                          qv_error *err) QV_MUST_USE;
/* TIME32 (SECOND, MILLI), TIME64 (MICRO, NANO), DURATION (any unit). */
qv_status qv_type_time(qv_type_id id, qv_time_unit unit, qv_data_type **out,
                       qv_error *err) QV_MUST_USE;
/* timezone may be NULL (naive timestamp). */
qv_status qv_type_timestamp(qv_time_unit unit, const char *timezone, qv_data_type **out,
                            qv_error *err) QV_MUST_USE;
qv_status qv_type_fixed_size_binary(int32_t byte_width, qv_data_type **out,
                                    qv_error *err) QV_MUST_USE;
/* LIST or LARGE_LIST of the given item field. */
qv_status qv_type_list(qv_type_id id, qv_field *item, qv_data_type **out, qv_error *err) QV_MUST_USE;
qv_status qv_type_fixed_size_list(qv_field *item, int32_t list_size, qv_data_type **out,
                                  qv_error *err) QV_MUST_USE;
qv_status qv_type_struct(qv_field *const *fields, int32_t n_fields, qv_data_type **out,
                         qv_error *err) QV_MUST_USE;
/* entries must be a non-nullable struct field of two fields, the first (key)
 * non-nullable. */
qv_status qv_type_map(qv_field *entries, bool keys_sorted, qv_data_type **out,
                      qv_error *err) QV_MUST_USE;
/* SPARSE_UNION or DENSE_UNION; type_codes[i] is the code of fields[i] (0..127). */
qv_status qv_type_union(qv_type_id id, qv_field *const *fields, const int8_t *type_codes,
                        int32_t n_fields, qv_data_type **out, qv_error *err) QV_MUST_USE;
/* index_type must be an integer type. */
qv_status qv_type_dictionary(qv_data_type *index_type, qv_data_type *value_type, bool ordered,
                             qv_data_type **out, qv_error *err) QV_MUST_USE;

qv_data_type *qv_type_ref(qv_data_type *t);
void qv_type_unref(qv_data_type *t);

qv_type_id qv_type_id_of(const qv_data_type *t);
int32_t qv_type_precision(const qv_data_type *t);     /* decimals */
int32_t qv_type_scale(const qv_data_type *t);         /* decimals */
qv_time_unit qv_type_unit(const qv_data_type *t);     /* time, timestamp, duration */
const char *qv_type_timezone(const qv_data_type *t);  /* timestamp; NULL if none */
int32_t qv_type_byte_width(const qv_data_type *t);    /* fixed-width types; 0 otherwise */
int32_t qv_type_bit_width(const qv_data_type *t);     /* fixed-width types incl. bool (1) */
int32_t qv_type_list_size(const qv_data_type *t);     /* FIXED_SIZE_LIST */
bool qv_type_keys_sorted(const qv_data_type *t);      /* MAP */
int32_t qv_type_num_children(const qv_data_type *t);
qv_field *qv_type_child(const qv_data_type *t, int32_t i); /* borrowed */
const int8_t *qv_type_union_codes(const qv_data_type *t);  /* one per child */
qv_data_type *qv_type_dict_index(const qv_data_type *t);   /* borrowed */
qv_data_type *qv_type_dict_value(const qv_data_type *t);   /* borrowed */
bool qv_type_dict_ordered(const qv_data_type *t);

bool qv_type_is_integer(qv_type_id id);
bool qv_type_is_signed_integer(qv_type_id id);
bool qv_type_is_floating(qv_type_id id);
bool qv_type_is_binary_like(qv_type_id id); /* binary, utf8 and their large forms */
bool qv_type_is_nested(qv_type_id id);
/* Structural equality, including child field names, nullability and metadata. */
bool qv_type_equals(const qv_data_type *a, const qv_data_type *b);
/* Writes a readable form ("decimal128(15, 2)", "list<item: int32>") into buf;
 * returns buf. */
const char *qv_type_to_string(const qv_data_type *t, char *buf, size_t buf_size);

/* ---- fields ------------------------------------------------------------- */

/* metadata is copied (may be NULL). */
qv_status qv_field_create(const char *name, qv_data_type *type, bool nullable,
                          const qv_metadata *metadata, qv_field **out, qv_error *err) QV_MUST_USE;
qv_field *qv_field_ref(qv_field *f);
void qv_field_unref(qv_field *f);
const char *qv_field_name(const qv_field *f);
qv_data_type *qv_field_type(const qv_field *f); /* borrowed */
bool qv_field_nullable(const qv_field *f);
const qv_metadata *qv_field_metadata(const qv_field *f); /* borrowed; may be NULL */
/* The IPC dictionary id of a dictionary-typed field, -1 when unassigned. Two
 * fields with the same id share one dictionary in an IPC stream. Set before the
 * field is shared. */
int64_t qv_field_dictionary_id(const qv_field *f);
void qv_field_set_dictionary_id(qv_field *f, int64_t id);
bool qv_field_equals(const qv_field *a, const qv_field *b);

/* ---- schemas ------------------------------------------------------------ */

qv_status qv_schema_create(qv_field *const *fields, int32_t n_fields, const qv_metadata *metadata,
                           qv_schema **out, qv_error *err) QV_MUST_USE;
qv_schema *qv_schema_ref(qv_schema *s);
void qv_schema_unref(qv_schema *s);
int32_t qv_schema_num_fields(const qv_schema *s);
qv_field *qv_schema_field(const qv_schema *s, int32_t i); /* borrowed */
const qv_metadata *qv_schema_metadata(const qv_schema *s); /* borrowed; may be NULL */
/* Index of the first field with this name, or -1. */
int32_t qv_schema_field_index(const qv_schema *s, const char *name);
bool qv_schema_equals(const qv_schema *a, const qv_schema *b);

#ifdef __cplusplus
}
#endif
#endif
