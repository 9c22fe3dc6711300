/* Data types: singletons for the parameter-free types, reference-counted
 * objects for the parameterised ones, their accessors, equality and printing. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"

#define STATIC_TYPE(tid, width) \
  { .refcount = -1, .id = tid, .byte_width = width }

static qv_data_type primitives[] = {
    STATIC_TYPE(QV_NA, 0),          STATIC_TYPE(QV_BOOL, 0),
    STATIC_TYPE(QV_INT8, 1),        STATIC_TYPE(QV_INT16, 2),
    STATIC_TYPE(QV_INT32, 4),       STATIC_TYPE(QV_INT64, 8),
    STATIC_TYPE(QV_UINT8, 1),       STATIC_TYPE(QV_UINT16, 2),
    STATIC_TYPE(QV_UINT32, 4),      STATIC_TYPE(QV_UINT64, 8),
    STATIC_TYPE(QV_FLOAT16, 2),     STATIC_TYPE(QV_FLOAT32, 4),
    STATIC_TYPE(QV_FLOAT64, 8),     STATIC_TYPE(QV_DATE32, 4),
    STATIC_TYPE(QV_DATE64, 8),      STATIC_TYPE(QV_INTERVAL_MONTHS, 4),
    STATIC_TYPE(QV_INTERVAL_DAY_TIME, 8), STATIC_TYPE(QV_INTERVAL_MONTH_DAY_NANO, 16),
    STATIC_TYPE(QV_BINARY, 0),      STATIC_TYPE(QV_LARGE_BINARY, 0),
    STATIC_TYPE(QV_UTF8, 0),        STATIC_TYPE(QV_LARGE_UTF8, 0),
};

qv_data_type *qv_type_primitive(qv_type_id id) {
  for (size_t i = 0; i < sizeof primitives / sizeof primitives[0]; i++)
    if (primitives[i].id == id) return &primitives[i];
  return NULL;
}

static qv_status type_new(qv_type_id id, qv_data_type **out, qv_error *err) {
  qv_data_type *t = calloc(1, sizeof *t);
  if (!t) return qv_error_set(err, QV_NOMEM, "type: out of memory");
  atomic_init(&t->refcount, 1);
  t->id = id;
  *out = t;
  return QV_OK;
}

qv_data_type *qv_type_ref(qv_data_type *t) {
  if (t && atomic_load_explicit(&t->refcount, memory_order_relaxed) >= 0)
    atomic_fetch_add_explicit(&t->refcount, 1, memory_order_relaxed);
  return t;
}

void qv_type_unref(qv_data_type *t) {
  if (!t || atomic_load_explicit(&t->refcount, memory_order_relaxed) < 0) return;
  if (atomic_fetch_sub_explicit(&t->refcount, 1, memory_order_acq_rel) != 1) return;
  for (int32_t i = 0; i < t->n_children; i++) qv_field_unref(t->children[i]);
  free(t->children);
  free(t->type_codes);
  free(t->timezone);
  qv_type_unref(t->dict_index);
  qv_type_unref(t->dict_value);
  free(t);
}

qv_status qv_type_decimal(qv_type_id id, int32_t precision, int32_t scale, qv_data_type **out, qv_error *err) {
  *out = NULL;
  int32_t max = id == QV_DECIMAL128 ? 38 : id == QV_DECIMAL256 ? 76 : 0;
  if (!max) return qv_error_set(err, QV_INVALID, "type: decimal needs DECIMAL128 or DECIMAL256");
  if (precision < 1 || precision > max)
    return qv_error_set(err, QV_INVALID, "type: decimal precision %d outside [1, %d]", precision, max);
  if (scale > precision || scale < -max)
    return qv_error_set(err, QV_INVALID, "type: decimal scale %d invalid for precision %d", scale, precision);
  QV_RETURN_NOT_OK(type_new(id, out, err));
  (*out)->precision = precision;
  (*out)->scale = scale;
  (*out)->byte_width = id == QV_DECIMAL128 ? 16 : 32;
  return QV_OK;
}

qv_status qv_type_time(qv_type_id id, qv_time_unit unit, qv_data_type **out, qv_error *err) {
  *out = NULL;
  if (unit < QV_SECOND || unit > QV_NANO) return qv_error_set(err, QV_INVALID, "type: bad time unit %d", (int)unit);
  bool ok = (id == QV_TIME32 && unit <= QV_MILLI) || (id == QV_TIME64 && unit >= QV_MICRO) || id == QV_DURATION;
  if (!ok) return qv_error_set(err, QV_INVALID, "type: time unit %d does not fit type id %d", (int)unit, (int)id);
  QV_RETURN_NOT_OK(type_new(id, out, err));
  (*out)->unit = unit;
  (*out)->byte_width = id == QV_TIME32 ? 4 : 8;
  return QV_OK;
}

qv_status qv_type_timestamp(qv_time_unit unit, const char *timezone, qv_data_type **out, qv_error *err) {
  *out = NULL;
  if (unit < QV_SECOND || unit > QV_NANO) return qv_error_set(err, QV_INVALID, "type: bad time unit %d", (int)unit);
  QV_RETURN_NOT_OK(type_new(QV_TIMESTAMP, out, err));
  (*out)->unit = unit;
  (*out)->byte_width = 8;
  if (timezone) {
    (*out)->timezone = strdup(timezone);
    if (!(*out)->timezone) {
      qv_type_unref(*out);
      *out = NULL;
      return qv_error_set(err, QV_NOMEM, "type: out of memory");
    }
  }
  return QV_OK;
}

qv_status qv_type_fixed_size_binary(int32_t byte_width, qv_data_type **out, qv_error *err) {
  *out = NULL;
  if (byte_width < 0) return qv_error_set(err, QV_INVALID, "type: fixed_size_binary width %d < 0", byte_width);
  QV_RETURN_NOT_OK(type_new(QV_FIXED_SIZE_BINARY, out, err));
  (*out)->byte_width = byte_width;
  return QV_OK;
}

/* Attaches references to n fields as children of t. */
static qv_status set_children(qv_data_type *t, qv_field *const *fields, int32_t n, qv_error *err) {
  if (n < 0) return qv_error_set(err, QV_INVALID, "type: negative child count");
  if (n == 0) return QV_OK;
  t->children = calloc((size_t)n, sizeof *t->children);
  if (!t->children) return qv_error_set(err, QV_NOMEM, "type: out of memory");
  for (int32_t i = 0; i < n; i++) {
    if (!fields[i]) return qv_error_set(err, QV_INVALID, "type: child field %d is NULL", i);
    t->children[i] = qv_field_ref(fields[i]);
    t->n_children = i + 1;
  }
  return QV_OK;
}

static qv_status nested_new(qv_type_id id, qv_field *const *fields, int32_t n, qv_data_type **out, qv_error *err) {
  *out = NULL;
  qv_data_type *t = NULL;
  QV_RETURN_NOT_OK(type_new(id, &t, err));
  qv_status st = set_children(t, fields, n, err);
  if (st != QV_OK) {
    qv_type_unref(t);
    return st;
  }
  *out = t;
  return QV_OK;
}

qv_status qv_type_list(qv_type_id id, qv_field *item, qv_data_type **out, qv_error *err) {
  *out = NULL;
  if (id != QV_LIST && id != QV_LARGE_LIST) return qv_error_set(err, QV_INVALID, "type: list needs LIST or LARGE_LIST");
  return nested_new(id, &item, 1, out, err);
}

qv_status qv_type_fixed_size_list(qv_field *item, int32_t list_size, qv_data_type **out, qv_error *err) {
  *out = NULL;
  if (list_size < 0) return qv_error_set(err, QV_INVALID, "type: fixed_size_list size %d < 0", list_size);
  QV_RETURN_NOT_OK(nested_new(QV_FIXED_SIZE_LIST, &item, 1, out, err));
  (*out)->list_size = list_size;
  return QV_OK;
}

qv_status qv_type_struct(qv_field *const *fields, int32_t n_fields, qv_data_type **out, qv_error *err) {
  return nested_new(QV_STRUCT, fields, n_fields, out, err);
}

qv_status qv_type_map(qv_field *entries, bool keys_sorted, qv_data_type **out, qv_error *err) {
  *out = NULL;
  const qv_data_type *et = entries ? entries->type : NULL;
  if (!et || et->id != QV_STRUCT || et->n_children != 2)
    return qv_error_set(err, QV_INVALID, "type: map entries must be a struct of two fields (key, value)");
  if (entries->nullable) return qv_error_set(err, QV_INVALID, "type: map entries must not be nullable");
  if (et->children[0]->nullable) return qv_error_set(err, QV_INVALID, "type: map keys must not be nullable");
  QV_RETURN_NOT_OK(nested_new(QV_MAP, &entries, 1, out, err));
  (*out)->keys_sorted = keys_sorted;
  return QV_OK;
}

qv_status qv_type_union(qv_type_id id, qv_field *const *fields, const int8_t *type_codes, int32_t n_fields,
                        qv_data_type **out, qv_error *err) {
  *out = NULL;
  if (id != QV_SPARSE_UNION && id != QV_DENSE_UNION)
    return qv_error_set(err, QV_INVALID, "type: union needs SPARSE_UNION or DENSE_UNION");
  if (n_fields > 128) return qv_error_set(err, QV_INVALID, "type: union of %d fields exceeds 128", n_fields);
  for (int32_t i = 0; i < n_fields; i++) {
    if (type_codes[i] < 0) return qv_error_set(err, QV_INVALID, "type: union type code %d < 0", type_codes[i]);
    for (int32_t j = 0; j < i; j++)
      if (type_codes[j] == type_codes[i])
        return qv_error_set(err, QV_INVALID, "type: union type code %d repeated", type_codes[i]);
  }
  QV_RETURN_NOT_OK(nested_new(id, fields, n_fields, out, err));
  if (n_fields > 0) {
    (*out)->type_codes = malloc((size_t)n_fields);
    if (!(*out)->type_codes) {
      qv_type_unref(*out);
      *out = NULL;
      return qv_error_set(err, QV_NOMEM, "type: out of memory");
    }
    memcpy((*out)->type_codes, type_codes, (size_t)n_fields);
  }
  return QV_OK;
}

qv_status qv_type_dictionary(qv_data_type *index_type, qv_data_type *value_type, bool ordered, qv_data_type **out,
                             qv_error *err) {
  *out = NULL;
  if (!index_type || !qv_type_is_integer(index_type->id))
    return qv_error_set(err, QV_INVALID, "type: dictionary index type must be an integer type");
  if (!value_type) return qv_error_set(err, QV_INVALID, "type: dictionary needs a value type");
  QV_RETURN_NOT_OK(type_new(QV_DICTIONARY, out, err));
  (*out)->dict_index = qv_type_ref(index_type);
  (*out)->dict_value = qv_type_ref(value_type);
  (*out)->dict_ordered = ordered;
  (*out)->byte_width = index_type->byte_width;
  return QV_OK;
}

qv_type_id qv_type_id_of(const qv_data_type *t) { return t->id; }
int32_t qv_type_precision(const qv_data_type *t) { return t->precision; }
int32_t qv_type_scale(const qv_data_type *t) { return t->scale; }
qv_time_unit qv_type_unit(const qv_data_type *t) { return t->unit; }
const char *qv_type_timezone(const qv_data_type *t) { return t->timezone; }
int32_t qv_type_byte_width(const qv_data_type *t) { return t->byte_width; }
int32_t qv_type_bit_width(const qv_data_type *t) { return t->id == QV_BOOL ? 1 : t->byte_width * 8; }
int32_t qv_type_list_size(const qv_data_type *t) { return t->list_size; }
bool qv_type_keys_sorted(const qv_data_type *t) { return t->keys_sorted; }
int32_t qv_type_num_children(const qv_data_type *t) { return t->n_children; }
qv_field *qv_type_child(const qv_data_type *t, int32_t i) { return t->children[i]; }
const int8_t *qv_type_union_codes(const qv_data_type *t) { return t->type_codes; }
qv_data_type *qv_type_dict_index(const qv_data_type *t) { return t->dict_index; }
qv_data_type *qv_type_dict_value(const qv_data_type *t) { return t->dict_value; }
bool qv_type_dict_ordered(const qv_data_type *t) { return t->dict_ordered; }

bool qv_type_is_integer(qv_type_id id) { return id >= QV_INT8 && id <= QV_UINT64; }
bool qv_type_is_signed_integer(qv_type_id id) { return id >= QV_INT8 && id <= QV_INT64; }
bool qv_type_is_floating(qv_type_id id) { return id >= QV_FLOAT16 && id <= QV_FLOAT64; }
bool qv_type_is_binary_like(qv_type_id id) { return id >= QV_BINARY && id <= QV_LARGE_UTF8; }
bool qv_type_is_nested(qv_type_id id) { return id >= QV_LIST && id <= QV_DENSE_UNION; }

bool qv_type_equals(const qv_data_type *a, const qv_data_type *b) {
  if (a == b) return true;
  if (!a || !b || a->id != b->id) return false;
  if (a->byte_width != b->byte_width || a->list_size != b->list_size || a->precision != b->precision ||
      a->scale != b->scale || a->unit != b->unit || a->keys_sorted != b->keys_sorted ||
      a->dict_ordered != b->dict_ordered || a->n_children != b->n_children)
    return false;
  if ((a->timezone == NULL) != (b->timezone == NULL)) return false;
  if (a->timezone && strcmp(a->timezone, b->timezone) != 0) return false;
  if (a->n_children && a->type_codes && memcmp(a->type_codes, b->type_codes, (size_t)a->n_children) != 0) return false;
  for (int32_t i = 0; i < a->n_children; i++)
    if (!qv_field_equals(a->children[i], b->children[i])) return false;
  if (a->id == QV_DICTIONARY)
    return qv_type_equals(a->dict_index, b->dict_index) && qv_type_equals(a->dict_value, b->dict_value);
  return true;
}

static const char *type_name(qv_type_id id) {
  static const char *names[QV_TYPE_ID_COUNT] = {
      [QV_NA] = "null", [QV_BOOL] = "bool", [QV_INT8] = "int8", [QV_INT16] = "int16", [QV_INT32] = "int32",
      [QV_INT64] = "int64", [QV_UINT8] = "uint8", [QV_UINT16] = "uint16", [QV_UINT32] = "uint32",
      [QV_UINT64] = "uint64", [QV_FLOAT16] = "float16", [QV_FLOAT32] = "float32", [QV_FLOAT64] = "float64",
      [QV_DECIMAL128] = "decimal128", [QV_DECIMAL256] = "decimal256", [QV_DATE32] = "date32",
      [QV_DATE64] = "date64", [QV_TIME32] = "time32", [QV_TIME64] = "time64", [QV_TIMESTAMP] = "timestamp",
      [QV_DURATION] = "duration", [QV_INTERVAL_MONTHS] = "interval_months",
      [QV_INTERVAL_DAY_TIME] = "interval_day_time", [QV_INTERVAL_MONTH_DAY_NANO] = "interval_month_day_nano",
      [QV_BINARY] = "binary", [QV_LARGE_BINARY] = "large_binary", [QV_UTF8] = "utf8",
      [QV_LARGE_UTF8] = "large_utf8", [QV_FIXED_SIZE_BINARY] = "fixed_size_binary", [QV_LIST] = "list",
      [QV_LARGE_LIST] = "large_list", [QV_FIXED_SIZE_LIST] = "fixed_size_list", [QV_STRUCT] = "struct",
      [QV_MAP] = "map", [QV_SPARSE_UNION] = "sparse_union", [QV_DENSE_UNION] = "dense_union",
      [QV_DICTIONARY] = "dictionary"};
  return (id >= 0 && id < QV_TYPE_ID_COUNT && names[id]) ? names[id] : "unknown";
}

/* Appends to buf at *pos, never past size. */
static void put(char *buf, size_t size, size_t *pos, const char *fmt, ...) QV_PRINTF(4, 5);
static void put(char *buf, size_t size, size_t *pos, const char *fmt, ...) {
  if (*pos >= size) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
  va_end(ap);
  if (n > 0) *pos += (size_t)n;
  if (*pos >= size) *pos = size - 1;
}

static void type_print(const qv_data_type *t, char *buf, size_t size, size_t *pos) {
  static const char *units[] = {"s", "ms", "us", "ns"};
  put(buf, size, pos, "%s", type_name(t->id));
  switch (t->id) {
    case QV_DECIMAL128:
    case QV_DECIMAL256: put(buf, size, pos, "(%d, %d)", t->precision, t->scale); return;
    case QV_TIME32:
    case QV_TIME64:
    case QV_DURATION: put(buf, size, pos, "[%s]", units[t->unit]); return;
    case QV_TIMESTAMP:
      put(buf, size, pos, "[%s%s%s]", units[t->unit], t->timezone ? ", " : "", t->timezone ? t->timezone : "");
      return;
    case QV_FIXED_SIZE_BINARY: put(buf, size, pos, "(%d)", t->byte_width); return;
    case QV_DICTIONARY:
      put(buf, size, pos, "<");
      type_print(t->dict_index, buf, size, pos);
      put(buf, size, pos, " -> ");
      type_print(t->dict_value, buf, size, pos);
      put(buf, size, pos, "%s>", t->dict_ordered ? ", ordered" : "");
      return;
    default: break;
  }
  if (!qv_type_is_nested(t->id)) return;
  if (t->id == QV_FIXED_SIZE_LIST) put(buf, size, pos, "(%d)", t->list_size);
  put(buf, size, pos, "<");
  for (int32_t i = 0; i < t->n_children; i++) {
    if (i) put(buf, size, pos, ", ");
    if (t->type_codes) put(buf, size, pos, "%d=", t->type_codes[i]);
    put(buf, size, pos, "%s: ", t->children[i]->name);
    type_print(t->children[i]->type, buf, size, pos);
    if (!t->children[i]->nullable) put(buf, size, pos, " not null");
  }
  put(buf, size, pos, ">");
}

const char *qv_type_to_string(const qv_data_type *t, char *buf, size_t buf_size) {
  if (!buf_size) return buf;
  size_t pos = 0;
  buf[0] = '\0';
  type_print(t, buf, buf_size, &pos);
  return buf;
}
