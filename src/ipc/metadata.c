/* The IPC metadata codec: Arrow's Message (Schema, RecordBatch,
 * DictionaryBatch) and file Footer flatbuffers to and from the plain structs of
 * metadata.h.
 *
 * Decoding walks the flatbuffer with the checked accessors of flatbuf.h, so the
 * decoder is also the verifier: nothing is read that was not bounds-checked,
 * and depth, table count and byte caps keep the work linear in the input.
 * Beyond the flatbuffer's shape, values are checked against what Arrow allows
 * (known union tags and enum values, bit widths, non-negative lengths, buffers
 * inside the body) so that the IPC reader can trust what it gets. Errors name
 * the place: "ipc: schema field 3 'x': child 0 'item': unknown type union tag
 * 99".
 *
 * Encoding writes what Arrow C++ writes: metadata version V5, little endian,
 * a children vector on every field, custom_metadata only when non-empty. Field
 * indices below are the slot numbers of Schema.fbs, Message.fbs and File.fbs
 * (a union takes two slots: its type, then its value). */
#include "ipc/metadata.h"

#include <string.h>

#include "ipc/flatbuf.h"

/* ---- Arrow's flatbuffer schema: slot numbers and enum values --------------- */

enum { KV_KEY = 0, KV_VALUE = 1 };
enum {
  FIELD_NAME = 0, FIELD_NULLABLE = 1, FIELD_TYPE_TYPE = 2, FIELD_TYPE = 3, FIELD_DICTIONARY = 4,
  FIELD_CHILDREN = 5, FIELD_CUSTOM_METADATA = 6
};
enum { DICT_ID = 0, DICT_INDEX_TYPE = 1, DICT_IS_ORDERED = 2, DICT_KIND = 3 };
enum { SCHEMA_ENDIANNESS = 0, SCHEMA_FIELDS = 1, SCHEMA_CUSTOM_METADATA = 2 };
enum { INT_BIT_WIDTH = 0, INT_IS_SIGNED = 1 };
enum { DECIMAL_PRECISION = 0, DECIMAL_SCALE = 1, DECIMAL_BIT_WIDTH = 2 };
enum { TIME_UNIT = 0, TIME_BIT_WIDTH = 1 };
enum { TIMESTAMP_UNIT = 0, TIMESTAMP_TIMEZONE = 1 };
enum { UNION_MODE = 0, UNION_TYPE_IDS = 1 };
enum { MESSAGE_VERSION = 0, MESSAGE_HEADER_TYPE = 1, MESSAGE_HEADER = 2, MESSAGE_BODY_LENGTH = 3,
       MESSAGE_CUSTOM_METADATA = 4 };
enum { BATCH_LENGTH = 0, BATCH_NODES = 1, BATCH_BUFFERS = 2, BATCH_COMPRESSION = 3 };
enum { COMPRESSION_CODEC = 0, COMPRESSION_METHOD = 1 };
enum { DICTBATCH_ID = 0, DICTBATCH_DATA = 1, DICTBATCH_IS_DELTA = 2 };
enum { FOOTER_VERSION = 0, FOOTER_SCHEMA = 1, FOOTER_DICTIONARIES = 2, FOOTER_RECORD_BATCHES = 3,
       FOOTER_CUSTOM_METADATA = 4 };

/* Members of the Type union (0 is NONE). */
enum {
  FB_NULL = 1, FB_INT, FB_FLOATING_POINT, FB_BINARY, FB_UTF8, FB_BOOL, FB_DECIMAL, FB_DATE, FB_TIME,
  FB_TIMESTAMP, FB_INTERVAL, FB_LIST, FB_STRUCT, FB_UNION, FB_FIXED_SIZE_BINARY, FB_FIXED_SIZE_LIST,
  FB_MAP, FB_DURATION, FB_LARGE_BINARY, FB_LARGE_UTF8, FB_LARGE_LIST, FB_RUN_END_ENCODED,
  FB_BINARY_VIEW, FB_UTF8_VIEW, FB_LIST_VIEW, FB_LARGE_LIST_VIEW, FB_TYPE_COUNT
};

static const char *const fb_type_names[FB_TYPE_COUNT] = {
    "NONE", "Null", "Int", "FloatingPoint", "Binary", "Utf8", "Bool", "Decimal", "Date", "Time",
    "Timestamp", "Interval", "List", "Struct_", "Union", "FixedSizeBinary", "FixedSizeList", "Map",
    "Duration", "LargeBinary", "LargeUtf8", "LargeList", "RunEndEncoded", "BinaryView", "Utf8View",
    "ListView", "LargeListView"};

enum { PRECISION_HALF = 0, PRECISION_SINGLE = 1, PRECISION_DOUBLE = 2 };
enum { DATE_DAY = 0, DATE_MILLISECOND = 1 };
enum { INTERVAL_YEAR_MONTH = 0, INTERVAL_DAY_TIME = 1, INTERVAL_MONTH_DAY_NANO = 2 };
enum { UNION_SPARSE = 0, UNION_DENSE = 1 };
enum { ENDIAN_LITTLE = 0, ENDIAN_BIG = 1 };
enum { HEADER_SCHEMA = 1, HEADER_DICTIONARY_BATCH = 2, HEADER_RECORD_BATCH = 3, HEADER_TENSOR = 4,
       HEADER_SPARSE_TENSOR = 5 };

/* Struct sizes: FieldNode and Buffer are two longs; Block is {long, int,
 * 4 bytes of padding, long}. All are 8-byte aligned. */
#define NODE_SIZE 16
#define SPAN_SIZE 16
#define BLOCK_SIZE 24

/* At most this many bytes of a name are quoted in an error message. */
#define NAME_IN_ERROR 64

/* ---- decoding ---------------------------------------------------------------- */

static qv_status check_version(int16_t version, qv_error *err) {
  if (version == QV_IPC_METADATA_V4 || version == QV_IPC_METADATA_V5) return QV_OK;
  if (version >= 0 && version < QV_IPC_METADATA_V4)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "metadata version V%d is not supported (only V4 "
                        "and V5 are)", (int)version + 1);
  return qv_error_set(err, QV_INVALID, "unknown metadata version %d", (int)version);
}

/* A vector of KeyValue tables at `field`; *out stays NULL when the vector is
 * absent or empty. */
static qv_status decode_key_values(const qv_fb_table *t, int field, qv_metadata **out,
                                   qv_error *err) {
  *out = NULL;
  qv_fb_vector v;
  bool present;
  QV_RETURN_NOT_OK(qv__fb_table_vector(t, field, 4, 4, &v, &present, err));
  if (!present || v.length == 0) return QV_OK;
  qv_metadata *m;
  QV_RETURN_NOT_OK(qv_metadata_create(&m, err));
  qv_status st = QV_OK;
  for (int64_t i = 0; i < v.length && st == QV_OK; i++) {
    qv_fb_table kv;
    const char *key, *value;
    int64_t key_len, value_len;
    st = qv__fb_vector_table(&v, i, &kv, err);
    if (st == QV_OK) st = qv__fb_table_string(&kv, KV_KEY, &key, &key_len, err);
    if (st == QV_OK) st = qv__fb_table_string(&kv, KV_VALUE, &value, &value_len, err);
    if (st == QV_OK)
      st = qv_metadata_append(m, key ? key : "", key_len, value ? value : "", value_len, err);
    if (st != QV_OK) qv_error_prefix(err, "custom_metadata %lld", (long long)i);
  }
  if (st != QV_OK) {
    qv_metadata_destroy(m);
    return st;
  }
  *out = m;
  return QV_OK;
}

static qv_status decode_time_unit(int16_t v, qv_time_unit *out, qv_error *err) {
  if (v < QV_SECOND || v > QV_NANO)
    return qv_error_set(err, QV_INVALID, "unknown TimeUnit %d", (int)v);
  *out = (qv_time_unit)v;
  return QV_OK;
}

/* An Int table to an integer type id. */
static qv_status decode_int(const qv_fb_table *t, qv_type_id *out, qv_error *err) {
  int32_t bits;
  bool is_signed;
  QV_RETURN_NOT_OK(qv__fb_table_int32(t, INT_BIT_WIDTH, 0, &bits, err));
  QV_RETURN_NOT_OK(qv__fb_table_bool(t, INT_IS_SIGNED, false, &is_signed, err));
  switch (bits) {
    case 8: *out = is_signed ? QV_INT8 : QV_UINT8; return QV_OK;
    case 16: *out = is_signed ? QV_INT16 : QV_UINT16; return QV_OK;
    case 32: *out = is_signed ? QV_INT32 : QV_UINT32; return QV_OK;
    case 64: *out = is_signed ? QV_INT64 : QV_UINT64; return QV_OK;
    default: return qv_error_set(err, QV_INVALID, "unsupported Int bitWidth %d", (int)bits);
  }
}

static qv_status primitive(qv_type_id id, qv_data_type **out) {
  *out = qv_type_primitive(id);
  return QV_OK;
}

static qv_status decode_union(const qv_fb_table *t, qv_field *const *children, int64_t n,
                              qv_data_type **out, qv_error *err) {
  int16_t mode;
  QV_RETURN_NOT_OK(qv__fb_table_int16(t, UNION_MODE, UNION_SPARSE, &mode, err));
  if (mode != UNION_SPARSE && mode != UNION_DENSE)
    return qv_error_set(err, QV_INVALID, "unknown UnionMode %d", (int)mode);
  if (n > 128) return qv_error_set(err, QV_INVALID, "union of %lld children exceeds 128", (long long)n);
  int8_t codes[128];
  qv_fb_vector ids;
  bool present;
  QV_RETURN_NOT_OK(qv__fb_table_vector(t, UNION_TYPE_IDS, 4, 4, &ids, &present, err));
  if (present && ids.length != n)
    return qv_error_set(err, QV_INVALID, "union has %lld typeIds for %lld children",
                        (long long)ids.length, (long long)n);
  for (int64_t i = 0; i < n; i++) {
    int32_t code = (int32_t)i;
    if (present) {
      const uint8_t *p;
      QV_RETURN_NOT_OK(qv__fb_vector_at(&ids, i, &p, err));
      code = qv__fb_load_i32(p);
    }
    if (code < 0 || code > 127)
      return qv_error_set(err, QV_INVALID, "union type id %d outside [0, 127]", (int)code);
    codes[i] = (int8_t)code;
  }
  return qv_type_union(mode == UNION_DENSE ? QV_DENSE_UNION : QV_SPARSE_UNION, children, codes,
                       (int32_t)n, out, err);
}

/* The type of a Field from its Type union member and its decoded children. */
static qv_status decode_type(uint8_t tag, const qv_fb_table *t, qv_field *const *children,
                             int64_t n, qv_data_type **out, qv_error *err) {
  *out = NULL;
  if (tag == 0) return qv_error_set(err, QV_INVALID, "field has no type");
  if (tag >= FB_TYPE_COUNT)
    return qv_error_set(err, QV_INVALID, "unknown type union tag %u", (unsigned)tag);
  if (tag >= FB_RUN_END_ENCODED)
    return qv_error_set(err, QV_NOT_IMPLEMENTED, "type %s is not supported", fb_type_names[tag]);
  int64_t want = 0;
  if (tag == FB_STRUCT || tag == FB_UNION) want = -1;
  if (tag == FB_LIST || tag == FB_LARGE_LIST || tag == FB_FIXED_SIZE_LIST || tag == FB_MAP) want = 1;
  if (want >= 0 && n != want)
    return qv_error_set(err, QV_INVALID, "type %s has %lld children, expected %lld",
                        fb_type_names[tag], (long long)n, (long long)want);

  int16_t unit;
  int32_t i32;
  qv_type_id id;
  qv_time_unit u = QV_SECOND;
  switch (tag) {
    case FB_NULL: return primitive(QV_NA, out);
    case FB_BOOL: return primitive(QV_BOOL, out);
    case FB_BINARY: return primitive(QV_BINARY, out);
    case FB_UTF8: return primitive(QV_UTF8, out);
    case FB_LARGE_BINARY: return primitive(QV_LARGE_BINARY, out);
    case FB_LARGE_UTF8: return primitive(QV_LARGE_UTF8, out);
    case FB_INT:
      QV_RETURN_NOT_OK(decode_int(t, &id, err));
      return primitive(id, out);
    case FB_FLOATING_POINT:
      QV_RETURN_NOT_OK(qv__fb_table_int16(t, 0, PRECISION_HALF, &unit, err));
      if (unit == PRECISION_HALF) return primitive(QV_FLOAT16, out);
      if (unit == PRECISION_SINGLE) return primitive(QV_FLOAT32, out);
      if (unit == PRECISION_DOUBLE) return primitive(QV_FLOAT64, out);
      return qv_error_set(err, QV_INVALID, "unknown FloatingPoint precision %d", (int)unit);
    case FB_DECIMAL: {
      int32_t precision, scale;
      QV_RETURN_NOT_OK(qv__fb_table_int32(t, DECIMAL_PRECISION, 0, &precision, err));
      QV_RETURN_NOT_OK(qv__fb_table_int32(t, DECIMAL_SCALE, 0, &scale, err));
      QV_RETURN_NOT_OK(qv__fb_table_int32(t, DECIMAL_BIT_WIDTH, 128, &i32, err));
      if (i32 == 32 || i32 == 64)
        return qv_error_set(err, QV_NOT_IMPLEMENTED, "decimal%d is not supported", (int)i32);
      if (i32 != 128 && i32 != 256)
        return qv_error_set(err, QV_INVALID, "unsupported Decimal bitWidth %d", (int)i32);
      return qv_type_decimal(i32 == 128 ? QV_DECIMAL128 : QV_DECIMAL256, precision, scale, out, err);
    }
    case FB_DATE:
      QV_RETURN_NOT_OK(qv__fb_table_int16(t, 0, DATE_MILLISECOND, &unit, err));
      if (unit == DATE_DAY) return primitive(QV_DATE32, out);
      if (unit == DATE_MILLISECOND) return primitive(QV_DATE64, out);
      return qv_error_set(err, QV_INVALID, "unknown DateUnit %d", (int)unit);
    case FB_TIME: {
      QV_RETURN_NOT_OK(qv__fb_table_int16(t, TIME_UNIT, QV_MILLI, &unit, err));
      QV_RETURN_NOT_OK(qv__fb_table_int32(t, TIME_BIT_WIDTH, 32, &i32, err));
      QV_RETURN_NOT_OK(decode_time_unit(unit, &u, err));
      int32_t want_bits = u <= QV_MILLI ? 32 : 64;
      if (i32 != want_bits)
        return qv_error_set(err, QV_INVALID, "Time of unit %d has bitWidth %d, expected %d",
                            (int)unit, (int)i32, (int)want_bits);
      return qv_type_time(u <= QV_MILLI ? QV_TIME32 : QV_TIME64, u, out, err);
    }
    case FB_TIMESTAMP: {
      const char *tz;
      int64_t tz_len;
      QV_RETURN_NOT_OK(qv__fb_table_int16(t, TIMESTAMP_UNIT, QV_SECOND, &unit, err));
      QV_RETURN_NOT_OK(decode_time_unit(unit, &u, err));
      QV_RETURN_NOT_OK(qv__fb_table_string(t, TIMESTAMP_TIMEZONE, &tz, &tz_len, err));
      if (tz && memchr(tz, 0, (size_t)tz_len))
        return qv_error_set(err, QV_INVALID, "timestamp timezone contains a NUL byte");
      return qv_type_timestamp(u, tz, out, err);
    }
    case FB_DURATION:
      QV_RETURN_NOT_OK(qv__fb_table_int16(t, 0, QV_MILLI, &unit, err));
      QV_RETURN_NOT_OK(decode_time_unit(unit, &u, err));
      return qv_type_time(QV_DURATION, u, out, err);
    case FB_INTERVAL:
      QV_RETURN_NOT_OK(qv__fb_table_int16(t, 0, INTERVAL_YEAR_MONTH, &unit, err));
      if (unit == INTERVAL_YEAR_MONTH) return primitive(QV_INTERVAL_MONTHS, out);
      if (unit == INTERVAL_DAY_TIME) return primitive(QV_INTERVAL_DAY_TIME, out);
      if (unit == INTERVAL_MONTH_DAY_NANO) return primitive(QV_INTERVAL_MONTH_DAY_NANO, out);
      return qv_error_set(err, QV_INVALID, "unknown IntervalUnit %d", (int)unit);
    case FB_FIXED_SIZE_BINARY:
      QV_RETURN_NOT_OK(qv__fb_table_int32(t, 0, 0, &i32, err));
      if (i32 < 0) return qv_error_set(err, QV_INVALID, "FixedSizeBinary byteWidth %d < 0", (int)i32);
      return qv_type_fixed_size_binary(i32, out, err);
    case FB_LIST: return qv_type_list(QV_LIST, children[0], out, err);
    case FB_LARGE_LIST: return qv_type_list(QV_LARGE_LIST, children[0], out, err);
    case FB_FIXED_SIZE_LIST:
      QV_RETURN_NOT_OK(qv__fb_table_int32(t, 0, 0, &i32, err));
      if (i32 < 0) return qv_error_set(err, QV_INVALID, "FixedSizeList listSize %d < 0", (int)i32);
      return qv_type_fixed_size_list(children[0], i32, out, err);
    case FB_STRUCT: return qv_type_struct(children, (int32_t)n, out, err);
    case FB_MAP: {
      bool sorted;
      QV_RETURN_NOT_OK(qv__fb_table_bool(t, 0, false, &sorted, err));
      return qv_type_map(children[0], sorted, out, err);
    }
    case FB_UNION: return decode_union(t, children, n, out, err);
    default: break;
  }
  return qv_error_set(err, QV_INTERNAL, "type union tag %u not handled", (unsigned)tag);
}

/* Wraps value_type in the DICTIONARY type a DictionaryEncoding describes. */
static qv_status decode_dictionary(const qv_fb_table *d, qv_data_type *value_type,
                                   qv_data_type **out, int64_t *id, qv_error *err) {
  *out = NULL;
  bool ordered, has_index;
  int16_t kind;
  qv_fb_table index;
  qv_type_id index_id = QV_INT32; /* the spec's default when indexType is absent */
  QV_RETURN_NOT_OK(qv__fb_table_int64(d, DICT_ID, 0, id, err));
  if (*id < 0) return qv_error_set(err, QV_INVALID, "dictionary id %lld is negative", (long long)*id);
  QV_RETURN_NOT_OK(qv__fb_table_bool(d, DICT_IS_ORDERED, false, &ordered, err));
  QV_RETURN_NOT_OK(qv__fb_table_int16(d, DICT_KIND, 0, &kind, err));
  if (kind != 0) return qv_error_set(err, QV_INVALID, "unknown DictionaryKind %d", (int)kind);
  QV_RETURN_NOT_OK(qv__fb_table_table(d, DICT_INDEX_TYPE, &index, &has_index, err));
  if (has_index) {
    qv_status st = decode_int(&index, &index_id, err);
    if (st != QV_OK) {
      qv_error_prefix(err, "dictionary indexType");
      return st;
    }
  }
  if (qv_type_id_of(value_type) == QV_DICTIONARY)
    return qv_error_set(err, QV_INVALID, "dictionary of dictionary values");
  return qv_type_dictionary(qv_type_primitive(index_id), value_type, ordered, out, err);
}

static qv_status decode_field(const qv_fb_table *ft, qv_allocator *alloc, const char *kind,
                              int64_t index, qv_field **out, qv_error *err);

/* Everything of a Field but its name, which the caller decoded (for context
 * in error messages). */
static qv_status decode_field_body(const qv_fb_table *ft, qv_allocator *alloc, const char *name,
                                   qv_field **out, qv_error *err) {
  bool nullable, has_children, has_dict;
  uint8_t tag;
  qv_fb_table type_table, dict_table;
  qv_fb_vector cv;
  QV_RETURN_NOT_OK(qv__fb_table_bool(ft, FIELD_NULLABLE, false, &nullable, err));
  QV_RETURN_NOT_OK(qv__fb_table_union(ft, FIELD_TYPE_TYPE, &tag, &type_table, err));
  QV_RETURN_NOT_OK(qv__fb_table_table(ft, FIELD_DICTIONARY, &dict_table, &has_dict, err));
  QV_RETURN_NOT_OK(qv__fb_table_vector(ft, FIELD_CHILDREN, 4, 4, &cv, &has_children, err));
  int64_t n = has_children ? cv.length : 0;

  qv_field **children = NULL;
  qv_metadata *md = NULL;
  qv_data_type *type = NULL, *dict_type = NULL;
  int64_t dict_id = -1;
  qv_status st = QV_OK;
  if (n > 0) {
    children = qv_alloc_zeroed(alloc, n * (int64_t)sizeof *children);
    if (!children) return qv_error_set(err, QV_NOMEM, "cannot allocate %lld children", (long long)n);
  }
  for (int64_t i = 0; i < n && st == QV_OK; i++) {
    qv_fb_table ct;
    st = qv__fb_vector_table(&cv, i, &ct, err);
    if (st != QV_OK) qv_error_prefix(err, "child %lld", (long long)i);
    if (st == QV_OK) st = decode_field(&ct, alloc, "child", i, &children[i], err);
  }
  if (st == QV_OK) st = decode_key_values(ft, FIELD_CUSTOM_METADATA, &md, err);
  if (st == QV_OK) st = decode_type(tag, &type_table, children, n, &type, err);
  if (st == QV_OK && has_dict) st = decode_dictionary(&dict_table, type, &dict_type, &dict_id, err);
  if (st == QV_OK) st = qv_field_create(name, dict_type ? dict_type : type, nullable, md, out, err);
  if (st == QV_OK && dict_type) qv_field_set_dictionary_id(*out, dict_id);

  for (int64_t i = 0; i < n; i++) qv_field_unref(children[i]);
  qv_free(alloc, children, n * (int64_t)sizeof *children);
  qv_metadata_destroy(md);
  qv_type_unref(type);
  qv_type_unref(dict_type);
  return st;
}

static qv_status decode_field(const qv_fb_table *ft, qv_allocator *alloc, const char *kind,
                              int64_t index, qv_field **out, qv_error *err) {
  *out = NULL;
  const char *name;
  int64_t len;
  qv_status st = qv__fb_table_string(ft, FIELD_NAME, &name, &len, err);
  if (st == QV_OK && name && memchr(name, 0, (size_t)len))
    st = qv_error_set(err, QV_INVALID, "field name contains a NUL byte");
  if (st != QV_OK) {
    qv_error_prefix(err, "%s %lld", kind, (long long)index);
    return st;
  }
  if (!name) name = ""; /* the name is optional (e.g. list items) */
  st = decode_field_body(ft, alloc, name, out, err);
  if (st != QV_OK)
    qv_error_prefix(err, "%s %lld '%.*s'", kind, (long long)index,
                    (int)(len < NAME_IN_ERROR ? len : NAME_IN_ERROR), name);
  return st;
}

static qv_status decode_schema(const qv_fb_table *t, qv_allocator *alloc, qv_schema **out,
                               bool *big_endian, qv_error *err) {
  *out = NULL;
  int16_t endianness;
  QV_RETURN_NOT_OK(qv__fb_table_int16(t, SCHEMA_ENDIANNESS, ENDIAN_LITTLE, &endianness, err));
  if (endianness != ENDIAN_LITTLE && endianness != ENDIAN_BIG)
    return qv_error_set(err, QV_INVALID, "schema: unknown Endianness %d", (int)endianness);
  *big_endian = endianness == ENDIAN_BIG;
  qv_fb_vector fv;
  bool present;
  QV_RETURN_NOT_OK(qv__fb_table_vector(t, SCHEMA_FIELDS, 4, 4, &fv, &present, err));
  int64_t n = present ? fv.length : 0;
  if (n > INT32_MAX) return qv_error_set(err, QV_INVALID, "schema of %lld fields", (long long)n);

  qv_field **fields = NULL;
  qv_metadata *md = NULL;
  qv_status st = QV_OK;
  if (n > 0) {
    fields = qv_alloc_zeroed(alloc, n * (int64_t)sizeof *fields);
    if (!fields) return qv_error_set(err, QV_NOMEM, "cannot allocate %lld fields", (long long)n);
  }
  for (int64_t i = 0; i < n && st == QV_OK; i++) {
    qv_fb_table ft;
    st = qv__fb_vector_table(&fv, i, &ft, err);
    if (st != QV_OK) qv_error_prefix(err, "schema field %lld", (long long)i);
    if (st == QV_OK) st = decode_field(&ft, alloc, "schema field", i, &fields[i], err);
  }
  if (st == QV_OK) {
    st = decode_key_values(t, SCHEMA_CUSTOM_METADATA, &md, err);
    if (st != QV_OK) qv_error_prefix(err, "schema");
  }
  if (st == QV_OK) st = qv_schema_create(fields, (int32_t)n, md, out, err);
  for (int64_t i = 0; i < n; i++) qv_field_unref(fields[i]);
  qv_free(alloc, fields, n * (int64_t)sizeof *fields);
  qv_metadata_destroy(md);
  return st;
}

static qv_status decode_batch(const qv_fb_table *t, qv_allocator *alloc, qv_ipc_batch_header *out,
                              qv_error *err) {
  qv_fb_vector nodes, spans;
  bool has_nodes, has_spans, has_compression;
  qv_fb_table comp;
  QV_RETURN_NOT_OK(qv__fb_table_int64(t, BATCH_LENGTH, 0, &out->length, err));
  if (out->length < 0)
    return qv_error_set(err, QV_INVALID, "negative record batch length %lld", (long long)out->length);
  QV_RETURN_NOT_OK(qv__fb_table_vector(t, BATCH_NODES, NODE_SIZE, 8, &nodes, &has_nodes, err));
  QV_RETURN_NOT_OK(qv__fb_table_vector(t, BATCH_BUFFERS, SPAN_SIZE, 8, &spans, &has_spans, err));
  QV_RETURN_NOT_OK(qv__fb_table_table(t, BATCH_COMPRESSION, &comp, &has_compression, err));

  out->codec = QV_IPC_CODEC_NONE;
  if (has_compression) {
    int8_t codec, method;
    QV_RETURN_NOT_OK(qv__fb_table_int8(&comp, COMPRESSION_CODEC, QV_IPC_CODEC_LZ4_FRAME, &codec, err));
    QV_RETURN_NOT_OK(qv__fb_table_int8(&comp, COMPRESSION_METHOD, 0, &method, err));
    if (codec != QV_IPC_CODEC_LZ4_FRAME && codec != QV_IPC_CODEC_ZSTD)
      return qv_error_set(err, QV_INVALID, "unknown compression codec %d", (int)codec);
    if (method != 0)
      return qv_error_set(err, QV_INVALID, "unknown body compression method %d", (int)method);
    out->codec = (qv_ipc_codec)codec;
  }

  int64_t n_nodes = has_nodes ? nodes.length : 0, n_spans = has_spans ? spans.length : 0;
  if (n_nodes > 0) {
    out->nodes = qv_alloc(alloc, n_nodes * (int64_t)sizeof *out->nodes);
    if (!out->nodes) return qv_error_set(err, QV_NOMEM, "cannot allocate %lld nodes", (long long)n_nodes);
    out->n_nodes = n_nodes;
  }
  for (int64_t i = 0; i < n_nodes; i++) {
    const uint8_t *p;
    QV_RETURN_NOT_OK(qv__fb_vector_at(&nodes, i, &p, err));
    qv_ipc_field_node *node = &out->nodes[i];
    node->length = qv__fb_load_i64(p);
    node->null_count = qv__fb_load_i64(p + 8);
    if (node->length < 0 || node->null_count < 0 || node->null_count > node->length)
      return qv_error_set(err, QV_INVALID, "node %lld: invalid length %lld / null count %lld",
                          (long long)i, (long long)node->length, (long long)node->null_count);
  }
  if (n_spans > 0) {
    out->buffers = qv_alloc(alloc, n_spans * (int64_t)sizeof *out->buffers);
    if (!out->buffers)
      return qv_error_set(err, QV_NOMEM, "cannot allocate %lld buffers", (long long)n_spans);
    out->n_buffers = n_spans;
  }
  for (int64_t i = 0; i < n_spans; i++) {
    const uint8_t *p;
    QV_RETURN_NOT_OK(qv__fb_vector_at(&spans, i, &p, err));
    qv_ipc_buffer_span *span = &out->buffers[i];
    span->offset = qv__fb_load_i64(p);
    span->length = qv__fb_load_i64(p + 8);
    if (span->offset < 0 || span->length < 0 || span->length > INT64_MAX - span->offset)
      return qv_error_set(err, QV_INVALID, "buffer %lld: invalid offset %lld / length %lld",
                          (long long)i, (long long)span->offset, (long long)span->length);
  }
  return QV_OK;
}

static qv_status decode_message(const uint8_t *data, int64_t size, qv_ipc_message *out,
                                qv_error *err) {
  qv_fb_reader r;
  qv_fb_table msg, header;
  uint8_t tag;
  QV_RETURN_NOT_OK(qv__fb_reader_init(&r, data, size, err));
  QV_RETURN_NOT_OK(qv__fb_reader_root(&r, &msg, err));
  QV_RETURN_NOT_OK(qv__fb_table_int16(&msg, MESSAGE_VERSION, 0, &out->version, err));
  QV_RETURN_NOT_OK(check_version(out->version, err));
  QV_RETURN_NOT_OK(qv__fb_table_int64(&msg, MESSAGE_BODY_LENGTH, 0, &out->body_length, err));
  if (out->body_length < 0)
    return qv_error_set(err, QV_INVALID, "negative body length %lld", (long long)out->body_length);
  QV_RETURN_NOT_OK(decode_key_values(&msg, MESSAGE_CUSTOM_METADATA, &out->custom_metadata, err));
  QV_RETURN_NOT_OK(qv__fb_table_union(&msg, MESSAGE_HEADER_TYPE, &tag, &header, err));

  qv_status st;
  switch (tag) {
    case 0: return qv_error_set(err, QV_INVALID, "message has no header");
    case HEADER_SCHEMA:
      out->type = QV_IPC_MSG_SCHEMA;
      return decode_schema(&header, out->alloc, &out->schema, &out->big_endian, err);
    case HEADER_RECORD_BATCH:
      out->type = QV_IPC_MSG_RECORD_BATCH;
      st = decode_batch(&header, out->alloc, &out->batch, err);
      if (st != QV_OK) qv_error_prefix(err, "record batch");
      break;
    case HEADER_DICTIONARY_BATCH: {
      qv_fb_table data_table;
      bool has_data;
      out->type = QV_IPC_MSG_DICTIONARY_BATCH;
      QV_RETURN_NOT_OK(qv__fb_table_int64(&header, DICTBATCH_ID, 0, &out->dictionary_id, err));
      QV_RETURN_NOT_OK(qv__fb_table_bool(&header, DICTBATCH_IS_DELTA, false, &out->is_delta, err));
      QV_RETURN_NOT_OK(qv__fb_table_table(&header, DICTBATCH_DATA, &data_table, &has_data, err));
      if (out->dictionary_id < 0)
        return qv_error_set(err, QV_INVALID, "dictionary batch: negative id %lld",
                            (long long)out->dictionary_id);
      if (!has_data) return qv_error_set(err, QV_INVALID, "dictionary batch %lld has no data",
                                         (long long)out->dictionary_id);
      st = decode_batch(&data_table, out->alloc, &out->batch, err);
      if (st != QV_OK) qv_error_prefix(err, "dictionary batch %lld", (long long)out->dictionary_id);
      break;
    }
    case HEADER_TENSOR:
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "Tensor messages are not supported");
    case HEADER_SPARSE_TENSOR:
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "SparseTensor messages are not supported");
    default:
      return qv_error_set(err, QV_INVALID, "unknown message header union tag %u", (unsigned)tag);
  }
  if (st != QV_OK) return st;
  /* Buffers are relative to the body: one past its end cannot be read. */
  for (int64_t i = 0; i < out->batch.n_buffers; i++) {
    const qv_ipc_buffer_span *span = &out->batch.buffers[i];
    if (span->offset + span->length > out->body_length)
      return qv_error_set(err, QV_INVALID, "buffer %lld (offset %lld, length %lld) exceeds the "
                          "%lld-byte body", (long long)i, (long long)span->offset,
                          (long long)span->length, (long long)out->body_length);
  }
  return QV_OK;
}

qv_status qv__ipc_message_decode(const uint8_t *data, int64_t size, qv_allocator *alloc,
                                 qv_ipc_message *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  out->alloc = alloc ? alloc : qv_default_allocator();
  out->batch.codec = QV_IPC_CODEC_NONE;
  out->dictionary_id = -1;
  qv_status st = decode_message(data, size, out, err);
  if (st != QV_OK) {
    qv_error_prefix(err, "ipc");
    qv__ipc_message_reset(out);
  }
  return st;
}

void qv__ipc_message_reset(qv_ipc_message *msg) {
  if (!msg) return;
  qv_allocator *a = msg->alloc ? msg->alloc : qv_default_allocator();
  qv_schema_unref(msg->schema);
  qv_free(a, msg->batch.nodes, msg->batch.n_nodes * (int64_t)sizeof *msg->batch.nodes);
  qv_free(a, msg->batch.buffers, msg->batch.n_buffers * (int64_t)sizeof *msg->batch.buffers);
  qv_metadata_destroy(msg->custom_metadata);
  memset(msg, 0, sizeof *msg);
  msg->alloc = a;
  msg->batch.codec = QV_IPC_CODEC_NONE;
  msg->dictionary_id = -1;
}

static qv_status decode_blocks(const qv_fb_table *t, int field, qv_allocator *alloc,
                               qv_ipc_block **out, int64_t *n_out, const char *what,
                               qv_error *err) {
  qv_fb_vector v;
  bool present;
  QV_RETURN_NOT_OK(qv__fb_table_vector(t, field, BLOCK_SIZE, 8, &v, &present, err));
  if (!present || v.length == 0) return QV_OK;
  *out = qv_alloc(alloc, v.length * (int64_t)sizeof **out);
  if (!*out) return qv_error_set(err, QV_NOMEM, "cannot allocate %lld blocks", (long long)v.length);
  *n_out = v.length;
  for (int64_t i = 0; i < v.length; i++) {
    const uint8_t *p;
    QV_RETURN_NOT_OK(qv__fb_vector_at(&v, i, &p, err));
    qv_ipc_block *b = &(*out)[i];
    b->offset = qv__fb_load_i64(p);
    b->metadata_length = qv__fb_load_i32(p + 8);
    b->body_length = qv__fb_load_i64(p + 16);
    if (b->offset < 0 || b->metadata_length < 0 || b->body_length < 0 ||
        b->body_length > INT64_MAX - b->offset - b->metadata_length)
      return qv_error_set(err, QV_INVALID, "footer %s block %lld: invalid offset %lld, metadata "
                          "length %d, body length %lld", what, (long long)i, (long long)b->offset,
                          (int)b->metadata_length, (long long)b->body_length);
  }
  return QV_OK;
}

static qv_status decode_footer(const uint8_t *data, int64_t size, qv_ipc_footer *out,
                               qv_error *err) {
  qv_fb_reader r;
  qv_fb_table footer, schema;
  bool has_schema;
  QV_RETURN_NOT_OK(qv__fb_reader_init(&r, data, size, err));
  QV_RETURN_NOT_OK(qv__fb_reader_root(&r, &footer, err));
  QV_RETURN_NOT_OK(qv__fb_table_int16(&footer, FOOTER_VERSION, 0, &out->version, err));
  QV_RETURN_NOT_OK(check_version(out->version, err));
  QV_RETURN_NOT_OK(qv__fb_table_table(&footer, FOOTER_SCHEMA, &schema, &has_schema, err));
  if (!has_schema) return qv_error_set(err, QV_INVALID, "footer has no schema");
  QV_RETURN_NOT_OK(decode_schema(&schema, out->alloc, &out->schema, &out->big_endian, err));
  QV_RETURN_NOT_OK(decode_blocks(&footer, FOOTER_DICTIONARIES, out->alloc, &out->dictionaries,
                                 &out->n_dictionaries, "dictionary", err));
  QV_RETURN_NOT_OK(decode_blocks(&footer, FOOTER_RECORD_BATCHES, out->alloc, &out->record_batches,
                                 &out->n_record_batches, "record batch", err));
  return decode_key_values(&footer, FOOTER_CUSTOM_METADATA, &out->custom_metadata, err);
}

qv_status qv__ipc_footer_decode(const uint8_t *data, int64_t size, qv_allocator *alloc,
                                qv_ipc_footer *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  out->alloc = alloc ? alloc : qv_default_allocator();
  qv_status st = decode_footer(data, size, out, err);
  if (st != QV_OK) {
    qv_error_prefix(err, "ipc");
    qv__ipc_footer_reset(out);
  }
  return st;
}

void qv__ipc_footer_reset(qv_ipc_footer *footer) {
  if (!footer) return;
  qv_allocator *a = footer->alloc ? footer->alloc : qv_default_allocator();
  qv_schema_unref(footer->schema);
  qv_free(a, footer->dictionaries, footer->n_dictionaries * (int64_t)sizeof *footer->dictionaries);
  qv_free(a, footer->record_batches,
          footer->n_record_batches * (int64_t)sizeof *footer->record_batches);
  qv_metadata_destroy(footer->custom_metadata);
  memset(footer, 0, sizeof *footer);
  footer->alloc = a;
}

/* ---- encoding ---------------------------------------------------------------- */

/* A vector of KeyValue tables; *out is 0 (field omitted) when m is empty. */
static qv_status build_key_values(qv_fb_builder *b, const qv_metadata *m, qv_fb_ref *out,
                                  qv_error *err) {
  *out = 0;
  int64_t n = qv_metadata_count(m);
  if (n == 0) return QV_OK;
  qv_fb_ref *refs = qv_alloc(b->alloc, n * (int64_t)sizeof *refs);
  if (!refs) return qv_error_set(err, QV_NOMEM, "cannot allocate %lld metadata entries", (long long)n);
  qv_status st = QV_OK;
  for (int64_t i = 0; i < n && st == QV_OK; i++) {
    const char *key, *value;
    int64_t key_len, value_len;
    qv_fb_ref k, v;
    qv_metadata_get(m, i, &key, &key_len, &value, &value_len);
    st = qv__fb_create_string(b, key, key_len, &k, err);
    if (st == QV_OK) st = qv__fb_create_string(b, value, value_len, &v, err);
    if (st == QV_OK) st = qv__fb_table_start(b, err);
    if (st == QV_OK) st = qv__fb_add_offset(b, KV_KEY, k, err);
    if (st == QV_OK) st = qv__fb_add_offset(b, KV_VALUE, v, err);
    if (st == QV_OK) st = qv__fb_table_end(b, &refs[i], err);
  }
  if (st == QV_OK) st = qv__fb_create_offset_vector(b, refs, n, out, err);
  qv_free(b->alloc, refs, n * (int64_t)sizeof *refs);
  return st;
}

/* An Int table for an integer type. */
static qv_status build_int(qv_fb_builder *b, qv_type_id id, qv_fb_ref *out, qv_error *err) {
  static const int32_t bits[] = {8, 16, 32, 64};
  int32_t w = bits[(id - QV_INT8) % 4];
  QV_RETURN_NOT_OK(qv__fb_table_start(b, err));
  QV_RETURN_NOT_OK(qv__fb_add_int32(b, INT_BIT_WIDTH, w, err));
  QV_RETURN_NOT_OK(qv__fb_add_bool(b, INT_IS_SIGNED, qv_type_is_signed_integer(id), err));
  return qv__fb_table_end(b, out, err);
}

/* The Type union member describing t (not a dictionary: the caller unwraps
 * those into Field.dictionary). */
static qv_status build_type(qv_fb_builder *b, const qv_data_type *t, uint8_t *tag, qv_fb_ref *out,
                            qv_error *err) {
  qv_type_id id = qv_type_id_of(t);
  qv_fb_ref extra = 0; /* a timezone string or a typeIds vector, made before the table */
  if (id == QV_TIMESTAMP && qv_type_timezone(t)) {
    const char *tz = qv_type_timezone(t);
    QV_RETURN_NOT_OK(qv__fb_create_string(b, tz, (int64_t)strlen(tz), &extra, err));
  }
  if (id == QV_SPARSE_UNION || id == QV_DENSE_UNION) {
    int32_t n = qv_type_num_children(t);
    const int8_t *codes = qv_type_union_codes(t);
    uint8_t *elems;
    QV_RETURN_NOT_OK(qv__fb_create_vector(b, n, 4, 4, &elems, &extra, err));
    for (int32_t i = 0; i < n; i++) qv__fb_store_i32(elems + 4 * i, codes ? codes[i] : i);
  }
  if (qv_type_is_integer(id)) {
    *tag = FB_INT;
    return build_int(b, id, out, err);
  }

  QV_RETURN_NOT_OK(qv__fb_table_start(b, err));
  qv_status st = QV_OK;
  switch (id) {
    case QV_NA: *tag = FB_NULL; break;
    case QV_BOOL: *tag = FB_BOOL; break;
    case QV_BINARY: *tag = FB_BINARY; break;
    case QV_UTF8: *tag = FB_UTF8; break;
    case QV_LARGE_BINARY: *tag = FB_LARGE_BINARY; break;
    case QV_LARGE_UTF8: *tag = FB_LARGE_UTF8; break;
    case QV_LIST: *tag = FB_LIST; break;
    case QV_LARGE_LIST: *tag = FB_LARGE_LIST; break;
    case QV_STRUCT: *tag = FB_STRUCT; break;
    case QV_FLOAT16:
    case QV_FLOAT32:
    case QV_FLOAT64:
      *tag = FB_FLOATING_POINT;
      st = qv__fb_add_int16(b, 0, (int16_t)(PRECISION_HALF + (id - QV_FLOAT16)), err);
      break;
    case QV_DECIMAL128:
    case QV_DECIMAL256:
      *tag = FB_DECIMAL;
      st = qv__fb_add_int32(b, DECIMAL_PRECISION, qv_type_precision(t), err);
      if (st == QV_OK) st = qv__fb_add_int32(b, DECIMAL_SCALE, qv_type_scale(t), err);
      if (st == QV_OK)
        st = qv__fb_add_int32(b, DECIMAL_BIT_WIDTH, id == QV_DECIMAL128 ? 128 : 256, err);
      break;
    case QV_DATE32:
    case QV_DATE64:
      *tag = FB_DATE;
      st = qv__fb_add_int16(b, 0, id == QV_DATE32 ? DATE_DAY : DATE_MILLISECOND, err);
      break;
    case QV_TIME32:
    case QV_TIME64:
      *tag = FB_TIME;
      st = qv__fb_add_int16(b, TIME_UNIT, (int16_t)qv_type_unit(t), err);
      if (st == QV_OK) st = qv__fb_add_int32(b, TIME_BIT_WIDTH, id == QV_TIME32 ? 32 : 64, err);
      break;
    case QV_TIMESTAMP:
      *tag = FB_TIMESTAMP;
      st = qv__fb_add_int16(b, TIMESTAMP_UNIT, (int16_t)qv_type_unit(t), err);
      if (st == QV_OK) st = qv__fb_add_offset(b, TIMESTAMP_TIMEZONE, extra, err);
      break;
    case QV_DURATION:
      *tag = FB_DURATION;
      st = qv__fb_add_int16(b, 0, (int16_t)qv_type_unit(t), err);
      break;
    case QV_INTERVAL_MONTHS:
    case QV_INTERVAL_DAY_TIME:
    case QV_INTERVAL_MONTH_DAY_NANO:
      *tag = FB_INTERVAL;
      st = qv__fb_add_int16(b, 0, (int16_t)(INTERVAL_YEAR_MONTH + (id - QV_INTERVAL_MONTHS)), err);
      break;
    case QV_FIXED_SIZE_BINARY:
      *tag = FB_FIXED_SIZE_BINARY;
      st = qv__fb_add_int32(b, 0, qv_type_byte_width(t), err);
      break;
    case QV_FIXED_SIZE_LIST:
      *tag = FB_FIXED_SIZE_LIST;
      st = qv__fb_add_int32(b, 0, qv_type_list_size(t), err);
      break;
    case QV_MAP:
      *tag = FB_MAP;
      st = qv__fb_add_bool(b, 0, qv_type_keys_sorted(t), err);
      break;
    case QV_SPARSE_UNION:
    case QV_DENSE_UNION:
      *tag = FB_UNION;
      st = qv__fb_add_int16(b, UNION_MODE, id == QV_DENSE_UNION ? UNION_DENSE : UNION_SPARSE, err);
      if (st == QV_OK) st = qv__fb_add_offset(b, UNION_TYPE_IDS, extra, err);
      break;
    case QV_DICTIONARY:
      return qv_error_set(err, QV_INVALID, "a dictionary type can only be a field's type, not "
                          "nested in another dictionary");
    default:
      return qv_error_set(err, QV_INVALID, "cannot encode type id %d", (int)id);
  }
  if (st != QV_OK) return st;
  return qv__fb_table_end(b, out, err);
}

static qv_status build_field(qv_fb_builder *b, const qv_field *f, qv_fb_ref *out, qv_error *err);

/* Field.children: the fields of a (value) type. */
static qv_status build_children(qv_fb_builder *b, const qv_data_type *t, qv_fb_ref *out,
                                qv_error *err) {
  int32_t n = qv_type_num_children(t);
  qv_fb_ref *refs = NULL;
  if (n > 0) {
    refs = qv_alloc(b->alloc, (int64_t)n * (int64_t)sizeof *refs);
    if (!refs) return qv_error_set(err, QV_NOMEM, "cannot allocate %d children", (int)n);
  }
  qv_status st = QV_OK;
  for (int32_t i = 0; i < n && st == QV_OK; i++) {
    const qv_field *child = qv_type_child(t, i);
    st = build_field(b, child, &refs[i], err);
    if (st != QV_OK)
      qv_error_prefix(err, "child %d '%.*s'", (int)i, NAME_IN_ERROR, qv_field_name(child));
  }
  if (st == QV_OK) st = qv__fb_create_offset_vector(b, refs, n, out, err);
  qv_free(b->alloc, refs, (int64_t)n * (int64_t)sizeof *refs);
  return st;
}

static qv_status build_field(qv_fb_builder *b, const qv_field *f, qv_fb_ref *out,
                             qv_error *err) {
  const qv_data_type *type = qv_field_type(f);
  qv_fb_ref dict = 0, children, metadata, name, type_ref;
  uint8_t tag = 0;
  if (qv_type_id_of(type) == QV_DICTIONARY) {
    int64_t id = qv_field_dictionary_id(f);
    qv_type_id index_id = qv_type_id_of(qv_type_dict_index(type));
    qv_fb_ref index;
    if (id < 0)
      return qv_error_set(err, QV_INVALID, "dictionary-encoded field has no dictionary id");
    if (!qv_type_is_integer(index_id))
      return qv_error_set(err, QV_INVALID, "dictionary index type is not an integer type");
    QV_RETURN_NOT_OK(build_int(b, index_id, &index, err));
    QV_RETURN_NOT_OK(qv__fb_table_start(b, err));
    QV_RETURN_NOT_OK(qv__fb_add_int64(b, DICT_ID, id, err));
    QV_RETURN_NOT_OK(qv__fb_add_offset(b, DICT_INDEX_TYPE, index, err));
    QV_RETURN_NOT_OK(qv__fb_add_bool(b, DICT_IS_ORDERED, qv_type_dict_ordered(type), err));
    QV_RETURN_NOT_OK(qv__fb_table_end(b, &dict, err));
    type = qv_type_dict_value(type); /* Field.type and children describe the values */
  }
  QV_RETURN_NOT_OK(build_children(b, type, &children, err));
  QV_RETURN_NOT_OK(build_key_values(b, qv_field_metadata(f), &metadata, err));
  const char *s = qv_field_name(f);
  QV_RETURN_NOT_OK(qv__fb_create_string(b, s, (int64_t)strlen(s), &name, err));
  QV_RETURN_NOT_OK(build_type(b, type, &tag, &type_ref, err));

  QV_RETURN_NOT_OK(qv__fb_table_start(b, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, FIELD_NAME, name, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, FIELD_TYPE, type_ref, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, FIELD_DICTIONARY, dict, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, FIELD_CHILDREN, children, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, FIELD_CUSTOM_METADATA, metadata, err));
  QV_RETURN_NOT_OK(qv__fb_add_bool(b, FIELD_NULLABLE, qv_field_nullable(f), err));
  QV_RETURN_NOT_OK(qv__fb_add_uint8(b, FIELD_TYPE_TYPE, tag, err));
  return qv__fb_table_end(b, out, err);
}

static qv_status build_schema(qv_fb_builder *b, const qv_schema *s, qv_fb_ref *out, qv_error *err) {
  int32_t n = qv_schema_num_fields(s);
  qv_fb_ref *refs = NULL, fields = 0, metadata = 0;
  if (n > 0) {
    refs = qv_alloc(b->alloc, (int64_t)n * (int64_t)sizeof *refs);
    if (!refs) return qv_error_set(err, QV_NOMEM, "cannot allocate %d fields", (int)n);
  }
  qv_status st = QV_OK;
  for (int32_t i = 0; i < n && st == QV_OK; i++) {
    const qv_field *f = qv_schema_field(s, i);
    st = build_field(b, f, &refs[i], err);
    if (st != QV_OK)
      qv_error_prefix(err, "schema field %d '%.*s'", (int)i, NAME_IN_ERROR, qv_field_name(f));
  }
  if (st == QV_OK) st = qv__fb_create_offset_vector(b, refs, n, &fields, err);
  qv_free(b->alloc, refs, (int64_t)n * (int64_t)sizeof *refs);
  if (st == QV_OK) st = build_key_values(b, qv_schema_metadata(s), &metadata, err);
  if (st == QV_OK) st = qv__fb_table_start(b, err);
  if (st == QV_OK) st = qv__fb_add_offset(b, SCHEMA_FIELDS, fields, err);
  if (st == QV_OK) st = qv__fb_add_offset(b, SCHEMA_CUSTOM_METADATA, metadata, err);
  if (st == QV_OK) st = qv__fb_add_int16(b, SCHEMA_ENDIANNESS, ENDIAN_LITTLE, err);
  if (st == QV_OK) st = qv__fb_table_end(b, out, err);
  return st;
}

/* The Message table around a finished header, appended to out. */
static qv_status finish_message(qv_fb_builder *b, uint8_t header_type, qv_fb_ref header,
                                int64_t body_length, const qv_metadata *custom_metadata,
                                qv_bytes *out, qv_error *err) {
  qv_fb_ref metadata, root;
  QV_RETURN_NOT_OK(build_key_values(b, custom_metadata, &metadata, err));
  QV_RETURN_NOT_OK(qv__fb_table_start(b, err));
  QV_RETURN_NOT_OK(qv__fb_add_int64(b, MESSAGE_BODY_LENGTH, body_length, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, MESSAGE_HEADER, header, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, MESSAGE_CUSTOM_METADATA, metadata, err));
  QV_RETURN_NOT_OK(qv__fb_add_int16(b, MESSAGE_VERSION, QV_IPC_METADATA_V5, err));
  QV_RETURN_NOT_OK(qv__fb_add_uint8(b, MESSAGE_HEADER_TYPE, header_type, err));
  QV_RETURN_NOT_OK(qv__fb_table_end(b, &root, err));
  return qv__fb_finish(b, root, out, err);
}

qv_status qv__ipc_schema_message_encode(const qv_schema *schema, const qv_metadata *custom_metadata,
                                        qv_bytes *out, qv_error *err) {
  qv_fb_builder b;
  qv_fb_ref header;
  if (!schema) return qv_error_set(err, QV_INVALID, "ipc: no schema to encode");
  qv__fb_builder_init(&b, out->alloc);
  qv_status st = build_schema(&b, schema, &header, err);
  if (st == QV_OK) st = finish_message(&b, HEADER_SCHEMA, header, 0, custom_metadata, out, err);
  qv__fb_builder_reset(&b);
  if (st != QV_OK) qv_error_prefix(err, "ipc: encoding schema");
  return st;
}

static qv_status build_batch(qv_fb_builder *b, const qv_ipc_batch_header *h, qv_fb_ref *out,
                             qv_error *err) {
  qv_fb_ref nodes, buffers, compression = 0;
  uint8_t *p;
  if (h->length < 0 || h->n_nodes < 0 || h->n_buffers < 0 || (h->n_nodes > 0 && !h->nodes) ||
      (h->n_buffers > 0 && !h->buffers))
    return qv_error_set(err, QV_INVALID, "invalid batch header (length %lld, %lld nodes, %lld "
                        "buffers)", (long long)h->length, (long long)h->n_nodes,
                        (long long)h->n_buffers);
  if (h->codec != QV_IPC_CODEC_NONE && h->codec != QV_IPC_CODEC_LZ4_FRAME &&
      h->codec != QV_IPC_CODEC_ZSTD)
    return qv_error_set(err, QV_INVALID, "unknown compression codec %d", (int)h->codec);
  QV_RETURN_NOT_OK(qv__fb_create_vector(b, h->n_nodes, NODE_SIZE, 8, &p, &nodes, err));
  for (int64_t i = 0; i < h->n_nodes; i++) {
    qv__fb_store_i64(p + NODE_SIZE * i, h->nodes[i].length);
    qv__fb_store_i64(p + NODE_SIZE * i + 8, h->nodes[i].null_count);
  }
  QV_RETURN_NOT_OK(qv__fb_create_vector(b, h->n_buffers, SPAN_SIZE, 8, &p, &buffers, err));
  for (int64_t i = 0; i < h->n_buffers; i++) {
    qv__fb_store_i64(p + SPAN_SIZE * i, h->buffers[i].offset);
    qv__fb_store_i64(p + SPAN_SIZE * i + 8, h->buffers[i].length);
  }
  if (h->codec != QV_IPC_CODEC_NONE) {
    QV_RETURN_NOT_OK(qv__fb_table_start(b, err));
    QV_RETURN_NOT_OK(qv__fb_add_int8(b, COMPRESSION_CODEC, (int8_t)h->codec, err));
    QV_RETURN_NOT_OK(qv__fb_add_int8(b, COMPRESSION_METHOD, 0, err));
    QV_RETURN_NOT_OK(qv__fb_table_end(b, &compression, err));
  }
  QV_RETURN_NOT_OK(qv__fb_table_start(b, err));
  QV_RETURN_NOT_OK(qv__fb_add_int64(b, BATCH_LENGTH, h->length, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, BATCH_NODES, nodes, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, BATCH_BUFFERS, buffers, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, BATCH_COMPRESSION, compression, err));
  return qv__fb_table_end(b, out, err);
}

static qv_status build_batch_message(qv_fb_builder *b, qv_ipc_message_type type,
                                     const qv_ipc_batch_header *batch, int64_t body_length,
                                     int64_t dictionary_id, bool is_delta,
                                     const qv_metadata *custom_metadata, qv_bytes *out,
                                     qv_error *err) {
  qv_fb_ref data, header;
  if (type != QV_IPC_MSG_RECORD_BATCH && type != QV_IPC_MSG_DICTIONARY_BATCH)
    return qv_error_set(err, QV_INVALID, "message type %d is not a batch", (int)type);
  if (!batch || body_length < 0)
    return qv_error_set(err, QV_INVALID, "invalid batch or body length %lld", (long long)body_length);
  QV_RETURN_NOT_OK(build_batch(b, batch, &data, err));
  if (type == QV_IPC_MSG_RECORD_BATCH)
    return finish_message(b, HEADER_RECORD_BATCH, data, body_length, custom_metadata, out, err);
  if (dictionary_id < 0)
    return qv_error_set(err, QV_INVALID, "negative dictionary id %lld", (long long)dictionary_id);
  QV_RETURN_NOT_OK(qv__fb_table_start(b, err));
  QV_RETURN_NOT_OK(qv__fb_add_int64(b, DICTBATCH_ID, dictionary_id, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, DICTBATCH_DATA, data, err));
  QV_RETURN_NOT_OK(qv__fb_add_bool(b, DICTBATCH_IS_DELTA, is_delta, err));
  QV_RETURN_NOT_OK(qv__fb_table_end(b, &header, err));
  return finish_message(b, HEADER_DICTIONARY_BATCH, header, body_length, custom_metadata, out, err);
}

qv_status qv__ipc_batch_message_encode(qv_ipc_message_type type, const qv_ipc_batch_header *batch,
                                       int64_t body_length, int64_t dictionary_id, bool is_delta,
                                       const qv_metadata *custom_metadata, qv_bytes *out,
                                       qv_error *err) {
  qv_fb_builder b;
  qv__fb_builder_init(&b, out->alloc);
  qv_status st = build_batch_message(&b, type, batch, body_length, dictionary_id, is_delta,
                                     custom_metadata, out, err);
  qv__fb_builder_reset(&b);
  if (st != QV_OK) qv_error_prefix(err, "ipc: encoding batch message");
  return st;
}

static qv_status build_blocks(qv_fb_builder *b, const qv_ipc_block *blocks, int64_t n,
                              qv_fb_ref *out, qv_error *err) {
  uint8_t *p;
  if (n < 0 || (n > 0 && !blocks))
    return qv_error_set(err, QV_INVALID, "invalid block list of %lld", (long long)n);
  QV_RETURN_NOT_OK(qv__fb_create_vector(b, n, BLOCK_SIZE, 8, &p, out, err));
  for (int64_t i = 0; i < n; i++) {
    qv__fb_store_i64(p + BLOCK_SIZE * i, blocks[i].offset);
    qv__fb_store_i32(p + BLOCK_SIZE * i + 8, blocks[i].metadata_length);
    qv__fb_store_i64(p + BLOCK_SIZE * i + 16, blocks[i].body_length);
  }
  return QV_OK;
}

static qv_status build_footer(qv_fb_builder *b, const qv_ipc_footer *f, qv_bytes *out,
                              qv_error *err) {
  qv_fb_ref schema, dictionaries, batches, metadata, root;
  if (!f->schema) return qv_error_set(err, QV_INVALID, "footer has no schema");
  QV_RETURN_NOT_OK(build_schema(b, f->schema, &schema, err));
  QV_RETURN_NOT_OK(build_blocks(b, f->dictionaries, f->n_dictionaries, &dictionaries, err));
  QV_RETURN_NOT_OK(build_blocks(b, f->record_batches, f->n_record_batches, &batches, err));
  QV_RETURN_NOT_OK(build_key_values(b, f->custom_metadata, &metadata, err));
  QV_RETURN_NOT_OK(qv__fb_table_start(b, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, FOOTER_SCHEMA, schema, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, FOOTER_DICTIONARIES, dictionaries, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, FOOTER_RECORD_BATCHES, batches, err));
  QV_RETURN_NOT_OK(qv__fb_add_offset(b, FOOTER_CUSTOM_METADATA, metadata, err));
  QV_RETURN_NOT_OK(qv__fb_add_int16(b, FOOTER_VERSION, QV_IPC_METADATA_V5, err));
  QV_RETURN_NOT_OK(qv__fb_table_end(b, &root, err));
  return qv__fb_finish(b, root, out, err);
}

qv_status qv__ipc_footer_encode(const qv_ipc_footer *footer, qv_bytes *out, qv_error *err) {
  qv_fb_builder b;
  qv__fb_builder_init(&b, out->alloc);
  qv_status st = build_footer(&b, footer, out, err);
  qv__fb_builder_reset(&b);
  if (st != QV_OK) qv_error_prefix(err, "ipc: encoding footer");
  return st;
}
