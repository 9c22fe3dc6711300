/* Parquet schema to Arrow schema. The footer's SchemaElement list is a
 * depth-first flattening of a tree; this file rebuilds the tree (checking
 * children counts and depth), computes each element's definition and
 * repetition levels, and maps it to Arrow nodes:
 *
 *  - leaves get an Arrow type from their logical type (or the legacy
 *    converted type, or the physical type) and a conversion recipe;
 *  - LIST groups become lists, following the backward-compatibility rules of
 *    the Parquet specification (LogicalTypes.md) for two-level lists;
 *  - MAP groups become maps (or lists of keys when there is no value);
 *  - repeated fields outside LIST/MAP become non-null lists of themselves;
 *  - other groups become structs.
 *
 * Every node records the levels the assembler needs: `def` (non-null at or
 * above), `rep` and `slot_def` (which level entries are its slots) and, for
 * lists and maps, `elem_def` (which entries are elements). */
#include "io/parquet/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"

/* The element tree with levels. */
typedef struct pq_tree {
  const qv_pq_schema_element *e;
  int16_t def, rep;
  int32_t column; /* leaves: column index; groups: -1 */
  int32_t n_children;
  struct pq_tree *children;
} pq_tree;

typedef struct build_ctx {
  const qv_pq_file_meta *meta;
  qv_arena *arena;
  qv_pq_schema *s;
  int32_t pos;          /* next schema element */
  int32_t next_column;
  int32_t field_index;  /* top-level field being converted */
  qv_error *err;
} build_ctx;

static qv_status nomem(qv_error *err) { return qv_error_set(err, QV_NOMEM, "parquet: out of memory building the schema"); }

static bool is_group(const qv_pq_schema_element *e) { return e->has_num_children && e->num_children > 0; }

/* ---- element tree ---------------------------------------------------------- */

static qv_status build_tree(build_ctx *c, pq_tree *node, const char *parent_path, int depth) {
  const qv_pq_schema_element *e = node->e;
  if (depth > QV_PQ_MAX_NESTING)
    return qv_error_set(c->err, QV_INVALID, "parquet: schema nested deeper than %d at '%s'",
                        QV_PQ_MAX_NESTING, e->name);
  node->column = -1;
  if (!is_group(e)) {
    if (!e->has_type)
      return qv_error_set(c->err, QV_INVALID, "parquet: schema element '%s' has neither type nor children",
                          e->name);
    if (e->type < QV_PARQUET_BOOLEAN || e->type > QV_PARQUET_FIXED_LEN_BYTE_ARRAY)
      return qv_error_set(c->err, QV_INVALID, "parquet: column '%s' has unknown physical type %d", e->name,
                          e->type);
    int32_t i = c->next_column++;
    node->column = i;
    qv_pq_column *col = &c->s->columns[i];
    col->index = i;
    col->element = e;
    col->max_def = node->def;
    col->max_rep = node->rep;
    col->path = parent_path;
    return QV_OK;
  }
  int32_t n = e->num_children;
  if (n > c->meta->n_schema - c->pos)
    return qv_error_set(c->err, QV_INVALID, "parquet: schema element '%s' claims %d children, only %d elements follow",
                        e->name, n, c->meta->n_schema - c->pos);
  node->children = qv_arena_alloc(c->arena, (int64_t)n * (int64_t)sizeof *node->children);
  if (!node->children) return nomem(c->err);
  memset(node->children, 0, (size_t)n * sizeof *node->children);
  node->n_children = n;
  for (int32_t i = 0; i < n; i++) {
    if (c->pos >= c->meta->n_schema)
      return qv_error_set(c->err, QV_INVALID, "parquet: schema ends inside group '%s'", e->name);
    pq_tree *ch = &node->children[i];
    ch->e = &c->meta->schema[c->pos++];
    int32_t rep = ch->e->has_repetition ? ch->e->repetition : QV_PQ_REQUIRED;
    if (rep == 3)
      return qv_error_set(c->err, QV_NOT_IMPLEMENTED, "parquet: field '%s' uses VECTOR repetition", ch->e->name);
    if (rep < 0 || rep > 2)
      return qv_error_set(c->err, QV_INVALID, "parquet: field '%s' has unknown repetition %d", ch->e->name, rep);
    ch->def = (int16_t)(node->def + (rep != QV_PQ_REQUIRED));
    ch->rep = (int16_t)(node->rep + (rep == QV_PQ_REPEATED));
    /* The dotted path names leaves in messages. */
    int64_t plen = parent_path ? (int64_t)strlen(parent_path) + 1 : 0;
    int64_t nlen = (int64_t)strlen(ch->e->name);
    char *path = qv_arena_alloc(c->arena, plen + nlen + 1);
    if (!path) return nomem(c->err);
    if (parent_path) {
      memcpy(path, parent_path, (size_t)plen - 1);
      path[plen - 1] = '.';
    }
    memcpy(path + plen, ch->e->name, (size_t)nlen + 1);
    QV_RETURN_NOT_OK(build_tree(c, ch, path, depth + 1));
  }
  return QV_OK;
}

/* ---- leaf types -------------------------------------------------------------- */

static qv_status set_primitive(qv_pq_column *col, qv_type_id id) {
  col->type = qv_type_primitive(id);
  return QV_OK;
}

/* The Arrow type of a leaf from its physical type alone. */
static qv_status physical_type(qv_pq_column *col, qv_error *err) {
  col->conversion = QV_PQ_CONV_NONE;
  switch (col->physical_type) {
    case QV_PARQUET_BOOLEAN: return set_primitive(col, QV_BOOL);
    case QV_PARQUET_INT32: return set_primitive(col, QV_INT32);
    case QV_PARQUET_INT64: return set_primitive(col, QV_INT64);
    case QV_PARQUET_INT96:
      col->conversion = QV_PQ_CONV_INT96_TO_NS;
      return qv_type_timestamp(QV_NANO, NULL, &col->type, err);
    case QV_PARQUET_FLOAT: return set_primitive(col, QV_FLOAT32);
    case QV_PARQUET_DOUBLE: return set_primitive(col, QV_FLOAT64);
    case QV_PARQUET_BYTE_ARRAY: return set_primitive(col, QV_BINARY);
    default: return qv_type_fixed_size_binary(col->type_length, &col->type, err);
  }
}

static qv_status decimal_type(qv_pq_column *col, int32_t precision, int32_t scale, qv_error *err) {
  int pt = col->physical_type;
  if (pt != QV_PARQUET_INT32 && pt != QV_PARQUET_INT64 && pt != QV_PARQUET_BYTE_ARRAY &&
      pt != QV_PARQUET_FIXED_LEN_BYTE_ARRAY)
    return physical_type(col, err);
  snprintf(col->logical, sizeof col->logical, "DECIMAL(%d,%d)", precision, scale);
  qv_error ignored;
  if (qv_type_decimal(precision > 38 ? QV_DECIMAL256 : QV_DECIMAL128, precision, scale, &col->type,
                      &ignored) != QV_OK)
    return physical_type(col, err); /* nonsense precision: read the stored values as they are */
  col->conversion = (pt == QV_PARQUET_INT32 || pt == QV_PARQUET_INT64) ? QV_PQ_CONV_INT_TO_DEC
                                                                       : QV_PQ_CONV_BYTES_TO_DEC;
  return QV_OK;
}

static qv_status int_type(qv_pq_column *col, int bits, bool is_signed, qv_error *err) {
  int pt = col->physical_type;
  if (!((pt == QV_PARQUET_INT32 && bits <= 32) || (pt == QV_PARQUET_INT64 && bits == 64)))
    return physical_type(col, err);
  snprintf(col->logical, sizeof col->logical, "INT(%d,%s)", bits, is_signed ? "true" : "false");
  switch (bits) {
    case 8:
      col->conversion = QV_PQ_CONV_I32_TO_I8;
      return set_primitive(col, is_signed ? QV_INT8 : QV_UINT8);
    case 16:
      col->conversion = QV_PQ_CONV_I32_TO_I16;
      return set_primitive(col, is_signed ? QV_INT16 : QV_UINT16);
    case 32: return set_primitive(col, is_signed ? QV_INT32 : QV_UINT32);
    case 64: return set_primitive(col, is_signed ? QV_INT64 : QV_UINT64);
    default: col->logical[0] = '\0'; return physical_type(col, err);
  }
}

static const char *unit_name(int32_t unit) {
  return unit == QV_PQ_MILLIS ? "MILLIS" : unit == QV_PQ_MICROS ? "MICROS" : "NANOS";
}

static qv_status timestamp_type(qv_pq_column *col, int32_t unit, bool utc, qv_error *err) {
  if (col->physical_type != QV_PARQUET_INT64 || unit < QV_PQ_MILLIS || unit > QV_PQ_NANOS)
    return physical_type(col, err);
  snprintf(col->logical, sizeof col->logical, "TIMESTAMP(%s%s)", unit_name(unit), utc ? ",UTC" : "");
  col->conversion = QV_PQ_CONV_NONE;
  return qv_type_timestamp((qv_time_unit)unit, utc ? "UTC" : NULL, &col->type, err);
}

static qv_status time_type(qv_pq_column *col, int32_t unit, qv_error *err) {
  col->conversion = QV_PQ_CONV_NONE;
  if (unit == QV_PQ_MILLIS && col->physical_type == QV_PARQUET_INT32) {
    snprintf(col->logical, sizeof col->logical, "TIME(MILLIS)");
    return qv_type_time(QV_TIME32, QV_MILLI, &col->type, err);
  }
  if ((unit == QV_PQ_MICROS || unit == QV_PQ_NANOS) && col->physical_type == QV_PARQUET_INT64) {
    snprintf(col->logical, sizeof col->logical, "TIME(%s)", unit_name(unit));
    return qv_type_time(QV_TIME64, unit == QV_PQ_MICROS ? QV_MICRO : QV_NANO, &col->type, err);
  }
  return physical_type(col, err);
}

static qv_status string_type(qv_pq_column *col, const char *name, qv_error *err) {
  if (col->physical_type != QV_PARQUET_BYTE_ARRAY) return physical_type(col, err);
  snprintf(col->logical, sizeof col->logical, "%s", name);
  col->conversion = QV_PQ_CONV_UTF8;
  return set_primitive(col, QV_UTF8);
}

static qv_status logical_leaf_type(qv_pq_column *col, const qv_pq_schema_element *e, qv_error *err) {
  const qv_pq_logical_type *lt = &e->logical;
  switch (lt->kind) {
    case QV_PQ_LT_STRING: return string_type(col, "STRING", err);
    case QV_PQ_LT_ENUM: return string_type(col, "ENUM", err);
    case QV_PQ_LT_JSON: return string_type(col, "JSON", err);
    case QV_PQ_LT_BSON:
      snprintf(col->logical, sizeof col->logical, "BSON");
      return physical_type(col, err);
    case QV_PQ_LT_DECIMAL: return decimal_type(col, lt->precision, lt->scale, err);
    case QV_PQ_LT_DATE:
      if (col->physical_type != QV_PARQUET_INT32) return physical_type(col, err);
      snprintf(col->logical, sizeof col->logical, "DATE");
      col->conversion = QV_PQ_CONV_NONE;
      return set_primitive(col, QV_DATE32);
    case QV_PQ_LT_TIME: return time_type(col, lt->unit, err);
    case QV_PQ_LT_TIMESTAMP: return timestamp_type(col, lt->unit, lt->adjusted_to_utc, err);
    case QV_PQ_LT_INTEGER: return int_type(col, lt->bit_width, lt->is_signed, err);
    case QV_PQ_LT_UNKNOWN:
      snprintf(col->logical, sizeof col->logical, "UNKNOWN");
      col->conversion = QV_PQ_CONV_NULL;
      return set_primitive(col, QV_NA);
    case QV_PQ_LT_UUID:
      snprintf(col->logical, sizeof col->logical, "UUID");
      return physical_type(col, err);
    case QV_PQ_LT_FLOAT16:
      if (col->physical_type != QV_PARQUET_FIXED_LEN_BYTE_ARRAY || col->type_length != 2)
        return physical_type(col, err);
      snprintf(col->logical, sizeof col->logical, "FLOAT16");
      col->conversion = QV_PQ_CONV_NONE;
      col->is_float = true;
      return set_primitive(col, QV_FLOAT16);
    default:
      return physical_type(col, err);
  }
}

static qv_status converted_leaf_type(qv_pq_column *col, const qv_pq_schema_element *e, qv_error *err) {
  switch (e->converted_type) {
    case QV_PQ_CT_UTF8: return string_type(col, "UTF8", err);
    case QV_PQ_CT_ENUM: return string_type(col, "ENUM", err);
    case QV_PQ_CT_JSON: return string_type(col, "JSON", err);
    case QV_PQ_CT_DECIMAL: return decimal_type(col, e->precision, e->scale, err);
    case QV_PQ_CT_DATE:
      if (col->physical_type != QV_PARQUET_INT32) return physical_type(col, err);
      snprintf(col->logical, sizeof col->logical, "DATE");
      col->conversion = QV_PQ_CONV_NONE;
      return set_primitive(col, QV_DATE32);
    case QV_PQ_CT_TIME_MILLIS: return time_type(col, QV_PQ_MILLIS, err);
    case QV_PQ_CT_TIME_MICROS: return time_type(col, QV_PQ_MICROS, err);
    case QV_PQ_CT_TIMESTAMP_MILLIS: return timestamp_type(col, QV_PQ_MILLIS, true, err);
    case QV_PQ_CT_TIMESTAMP_MICROS: return timestamp_type(col, QV_PQ_MICROS, true, err);
    case QV_PQ_CT_UINT_8: return int_type(col, 8, false, err);
    case QV_PQ_CT_UINT_16: return int_type(col, 16, false, err);
    case QV_PQ_CT_UINT_32: return int_type(col, 32, false, err);
    case QV_PQ_CT_UINT_64: return int_type(col, 64, false, err);
    case QV_PQ_CT_INT_8: return int_type(col, 8, true, err);
    case QV_PQ_CT_INT_16: return int_type(col, 16, true, err);
    case QV_PQ_CT_INT_32: return int_type(col, 32, true, err);
    case QV_PQ_CT_INT_64: return int_type(col, 64, true, err);
    case QV_PQ_CT_BSON:
      snprintf(col->logical, sizeof col->logical, "BSON");
      return physical_type(col, err);
    case QV_PQ_CT_INTERVAL:
      snprintf(col->logical, sizeof col->logical, "INTERVAL");
      return physical_type(col, err);
    default: return physical_type(col, err);
  }
}

static bool known_logical(int32_t kind) {
  return (kind >= QV_PQ_LT_STRING && kind <= QV_PQ_LT_TIMESTAMP) ||
         (kind >= QV_PQ_LT_INTEGER && kind <= QV_PQ_LT_GEOGRAPHY);
}

static qv_status leaf_type(qv_pq_column *col, qv_error *err) {
  const qv_pq_schema_element *e = col->element;
  col->physical_type = e->type;
  col->type_length = e->type_length;
  switch (e->type) {
    case QV_PARQUET_BOOLEAN: col->byte_width = 1; break;
    case QV_PARQUET_INT32: case QV_PARQUET_FLOAT: col->byte_width = 4; break;
    case QV_PARQUET_INT64: case QV_PARQUET_DOUBLE: col->byte_width = 8; break;
    case QV_PARQUET_INT96: col->byte_width = 12; break;
    case QV_PARQUET_BYTE_ARRAY: col->byte_width = 0; break;
    default:
      if (e->type_length <= 0 || e->type_length > (1 << 20))
        return qv_error_set(err, QV_INVALID, "parquet: column '%s': FIXED_LEN_BYTE_ARRAY of length %d",
                            col->path, e->type_length);
      col->byte_width = e->type_length;
  }
  col->is_float = e->type == QV_PARQUET_FLOAT || e->type == QV_PARQUET_DOUBLE;
  col->signed_order = e->type == QV_PARQUET_BOOLEAN || e->type == QV_PARQUET_INT32 ||
                      e->type == QV_PARQUET_INT64 || col->is_float;
  col->logical[0] = '\0';
  qv_status st;
  if (known_logical(e->logical.kind)) st = logical_leaf_type(col, e, err);
  else if (e->has_converted_type) st = converted_leaf_type(col, e, err);
  else st = physical_type(col, err);
  if (st != QV_OK) return st;
  qv_type_id id = col->type->id;
  if (id == QV_UINT8 || id == QV_UINT16 || id == QV_UINT32 || id == QV_UINT64) col->signed_order = false;
  if (e->logical.kind && !known_logical(e->logical.kind) && !col->logical[0])
    snprintf(col->logical, sizeof col->logical, "UNKNOWN(%d)", e->logical.kind);
  return QV_OK;
}

/* ---- Arrow nodes --------------------------------------------------------------- */

static qv_status node_new(build_ctx *c, qv_pq_node_kind kind, const pq_tree *p, qv_pq_node **out) {
  qv_pq_node *n = qv_arena_alloc(c->arena, sizeof *n);
  if (!n) return nomem(c->err);
  memset(n, 0, sizeof *n);
  n->kind = kind;
  n->name = p->e->name;
  n->column = -1;
  n->field_id = p->e->has_field_id ? p->e->field_id : -1;
  *out = n;
  return QV_OK;
}

static qv_status node_children(build_ctx *c, qv_pq_node *n, int32_t count) {
  n->children = qv_arena_alloc(c->arena, (int64_t)(count ? count : 1) * (int64_t)sizeof *n->children);
  if (!n->children) return nomem(c->err);
  memset(n->children, 0, (size_t)(count ? count : 1) * sizeof *n->children);
  n->n_children = count;
  return QV_OK;
}

static qv_status convert_node(build_ctx *c, const pq_tree *p, bool nullable, int16_t def, int16_t rep,
                              int16_t slot_def, qv_pq_node **out);

/* Converts p as a field below a parent that is non-null at parent_def. */
static qv_status convert_field(build_ctx *c, const pq_tree *p, int16_t parent_def, int16_t rep,
                               int16_t slot_def, qv_pq_node **out) {
  int32_t repetition = p->e->has_repetition ? p->e->repetition : QV_PQ_REQUIRED;
  if (repetition == QV_PQ_REPEATED) {
    /* A repeated field outside LIST/MAP: a non-null list of its values. */
    qv_pq_node *list;
    QV_RETURN_NOT_OK(node_new(c, QV_PQ_NODE_LIST, p, &list));
    list->nullable = false;
    list->def = parent_def;
    list->rep = rep;
    list->slot_def = slot_def;
    list->elem_def = p->def;
    QV_RETURN_NOT_OK(node_children(c, list, 1));
    QV_RETURN_NOT_OK(convert_node(c, p, false, p->def, (int16_t)(rep + 1), p->def, &list->children[0]));
    *out = list;
    return QV_OK;
  }
  return convert_node(c, p, repetition == QV_PQ_OPTIONAL, p->def, rep, slot_def, out);
}

static bool annotated(const qv_pq_schema_element *e, int32_t lt, int32_t ct) {
  return e->logical.kind == lt || (e->has_converted_type && e->converted_type == ct);
}

static qv_status convert_struct(build_ctx *c, const pq_tree *p, qv_pq_node *n) {
  n->kind = QV_PQ_NODE_STRUCT;
  QV_RETURN_NOT_OK(node_children(c, n, p->n_children));
  for (int32_t i = 0; i < p->n_children; i++)
    QV_RETURN_NOT_OK(convert_field(c, &p->children[i], n->def, n->rep, n->slot_def, &n->children[i]));
  return QV_OK;
}

static qv_status convert_list(build_ctx *c, const pq_tree *p, qv_pq_node *n) {
  const pq_tree *r = &p->children[0];
  if (p->n_children != 1 || !r->e->has_repetition || r->e->repetition != QV_PQ_REPEATED)
    return convert_struct(c, p, n); /* not a list after all: keep the group as it is */
  n->kind = QV_PQ_NODE_LIST;
  n->elem_def = r->def;
  QV_RETURN_NOT_OK(node_children(c, n, 1));
  int16_t erep = (int16_t)(n->rep + 1);
  bool repeated_is_element = !is_group(r->e) || r->n_children > 1 || strcmp(r->e->name, "array") == 0;
  if (!repeated_is_element) {
    size_t pl = strlen(p->e->name);
    repeated_is_element = strncmp(r->e->name, p->e->name, pl) == 0 && strcmp(r->e->name + pl, "_tuple") == 0;
  }
  if (repeated_is_element) return convert_node(c, r, false, r->def, erep, r->def, &n->children[0]);
  return convert_field(c, &r->children[0], r->def, erep, r->def, &n->children[0]);
}

static qv_status convert_map(build_ctx *c, const pq_tree *p, qv_pq_node *n) {
  const pq_tree *kv = &p->children[0];
  if (p->n_children != 1 || !is_group(kv->e) || !kv->e->has_repetition ||
      kv->e->repetition != QV_PQ_REPEATED || kv->n_children > 2)
    return qv_error_set(c->err, QV_NOT_IMPLEMENTED,
                        "parquet: MAP group '%s' does not hold one repeated group of a key and a value",
                        p->e->name);
  int16_t erep = (int16_t)(n->rep + 1);
  n->elem_def = kv->def;
  QV_RETURN_NOT_OK(node_children(c, n, 1));
  const pq_tree *key = &kv->children[0];
  if (key->e->has_repetition && key->e->repetition == QV_PQ_REPEATED)
    return qv_error_set(c->err, QV_NOT_IMPLEMENTED, "parquet: MAP group '%s' has a repeated key", p->e->name);
  if (kv->n_children == 1) {
    /* No values: a list of the keys. */
    n->kind = QV_PQ_NODE_LIST;
    return convert_field(c, key, kv->def, erep, kv->def, &n->children[0]);
  }
  n->kind = QV_PQ_NODE_MAP;
  qv_pq_node *entries;
  QV_RETURN_NOT_OK(node_new(c, QV_PQ_NODE_STRUCT, kv, &entries));
  entries->nullable = false;
  entries->def = kv->def;
  entries->rep = erep;
  entries->slot_def = kv->def;
  QV_RETURN_NOT_OK(node_children(c, entries, 2));
  n->children[0] = entries;
  /* Keys are never null in Arrow; some writers still mark them optional. */
  QV_RETURN_NOT_OK(convert_node(c, key, false, key->def, erep, kv->def, &entries->children[0]));
  entries->children[0]->must_be_valid = key->def > kv->def;
  return convert_field(c, &kv->children[1], kv->def, erep, kv->def, &entries->children[1]);
}

/* Converts p as a node that is non-null at level `def`. */
static qv_status convert_node(build_ctx *c, const pq_tree *p, bool nullable, int16_t def, int16_t rep,
                              int16_t slot_def, qv_pq_node **out) {
  qv_pq_node *n;
  QV_RETURN_NOT_OK(node_new(c, QV_PQ_NODE_LEAF, p, &n));
  n->nullable = nullable;
  n->def = def;
  n->rep = rep;
  n->slot_def = slot_def;
  *out = n;
  if (!is_group(p->e)) {
    qv_pq_column *col = &c->s->columns[p->column];
    n->column = p->column;
    col->field_index = c->field_index;
    return leaf_type(col, c->err);
  }
  if (annotated(p->e, QV_PQ_LT_LIST, QV_PQ_CT_LIST)) return convert_list(c, p, n);
  if (annotated(p->e, QV_PQ_LT_MAP, QV_PQ_CT_MAP) ||
      (p->e->has_converted_type && p->e->converted_type == QV_PQ_CT_MAP_KEY_VALUE))
    return convert_map(c, p, n);
  return convert_struct(c, p, n);
}

/* Sets first_column and n_columns bottom-up. */
static void count_columns(qv_pq_node *n) {
  if (n->kind == QV_PQ_NODE_LEAF) {
    n->first_column = n->column;
    n->n_columns = 1;
    return;
  }
  n->first_column = -1;
  n->n_columns = 0;
  for (int32_t i = 0; i < n->n_children; i++) {
    count_columns(n->children[i]);
    if (n->first_column < 0) n->first_column = n->children[i]->first_column;
    n->n_columns += n->children[i]->n_columns;
  }
}

/* ---- Arrow fields -------------------------------------------------------------- */

static qv_status build_field(qv_pq_schema *s, qv_pq_node *n, qv_error *err) {
  qv_data_type *type = NULL;
  qv_status st = QV_OK;
  for (int32_t i = 0; i < n->n_children && st == QV_OK; i++) st = build_field(s, n->children[i], err);
  if (st != QV_OK) return st;
  switch (n->kind) {
    case QV_PQ_NODE_LEAF: type = qv_type_ref(s->columns[n->column].type); break;
    case QV_PQ_NODE_STRUCT: {
      qv_field **fields = calloc((size_t)(n->n_children ? n->n_children : 1), sizeof *fields);
      if (!fields) return nomem(err);
      for (int32_t i = 0; i < n->n_children; i++) fields[i] = n->children[i]->field;
      st = qv_type_struct(fields, n->n_children, &type, err);
      free(fields);
      break;
    }
    case QV_PQ_NODE_LIST:
      st = qv_type_list(n->large ? QV_LARGE_LIST : QV_LIST, n->children[0]->field, &type, err);
      break;
    case QV_PQ_NODE_MAP: st = qv_type_map(n->children[0]->field, false, &type, err); break;
  }
  if (st != QV_OK) return st;
  qv_metadata *md = NULL;
  if (n->field_id >= 0) {
    char buf[16];
    int len = snprintf(buf, sizeof buf, "%d", (int)n->field_id);
    st = qv_metadata_create(&md, err);
    if (st == QV_OK) st = qv_metadata_append(md, "PARQUET:field_id", 16, buf, len, err);
  }
  if (st == QV_OK) st = qv_field_create(n->name, type, n->nullable, md, &n->field, err);
  qv_metadata_destroy(md);
  qv_type_unref(type);
  return st;
}

static void release_fields(qv_pq_node *n) {
  if (!n) return;
  for (int32_t i = 0; i < n->n_children; i++) release_fields(n->children[i]);
  qv_field_unref(n->field);
  n->field = NULL;
}

void qv__pq_schema_reset(qv_pq_schema *s) {
  for (int32_t i = 0; i < s->n_fields; i++) release_fields(s->fields[i]);
  for (int32_t i = 0; s->columns && i < s->n_columns; i++) {
    qv_type_unref(s->columns[i].type);
    s->columns[i].type = NULL;
  }
  qv_schema_unref(s->arrow);
  memset(s, 0, sizeof *s);
}

static qv_status file_metadata(const qv_pq_file_meta *meta, qv_metadata **out, qv_error *err) {
  *out = NULL;
  if (meta->n_key_values == 0) return QV_OK;
  QV_RETURN_NOT_OK(qv_metadata_create(out, err));
  for (int32_t i = 0; i < meta->n_key_values; i++) {
    const qv_pq_key_value *kv = &meta->key_values[i];
    if (kv->key.len == 12 && memcmp(kv->key.data, "ARROW:schema", 12) == 0) continue;
    const char *v = kv->value.data ? (const char *)kv->value.data : "";
    qv_status st = qv_metadata_append(*out, (const char *)kv->key.data, kv->key.len, v, kv->value.len, err);
    if (st != QV_OK) {
      qv_metadata_destroy(*out);
      *out = NULL;
      return st;
    }
  }
  return QV_OK;
}

qv_status qv__pq_schema_build(const qv_pq_file_meta *meta, qv_arena *arena, bool use_arrow_schema,
                              qv_pq_schema *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  if (meta->n_schema < 1) return qv_error_set(err, QV_INVALID, "parquet: empty schema");
  build_ctx c = {.meta = meta, .arena = arena, .s = out, .pos = 1, .err = err};
  /* Leaves are at most the elements; allocate for all and count on the way. */
  out->columns = qv_arena_alloc(arena, (int64_t)meta->n_schema * (int64_t)sizeof *out->columns);
  if (!out->columns) return nomem(err);
  memset(out->columns, 0, (size_t)meta->n_schema * sizeof *out->columns);
  pq_tree root = {.e = &meta->schema[0]};
  if (!is_group(root.e) && root.e->has_type)
    return qv_error_set(err, QV_INVALID, "parquet: the schema root '%s' is a leaf", root.e->name);
  qv_status st = build_tree(&c, &root, NULL, 0);
  if (st == QV_OK && c.pos != meta->n_schema)
    st = qv_error_set(err, QV_INVALID, "parquet: schema has %d elements but its tree uses %d", meta->n_schema,
                      c.pos);
  out->n_columns = c.next_column;
  if (st == QV_OK) {
    out->fields = qv_arena_alloc(arena, (int64_t)(root.n_children ? root.n_children : 1) *
                                            (int64_t)sizeof *out->fields);
    if (!out->fields) st = nomem(err);
  }
  for (int32_t i = 0; st == QV_OK && i < root.n_children; i++) {
    c.field_index = i;
    st = convert_field(&c, &root.children[i], 0, 0, 0, &out->fields[i]);
    if (st == QV_OK) {
      out->n_fields = i + 1;
      count_columns(out->fields[i]);
    }
  }
  /* Every field must reach at least one leaf. */
  for (int32_t i = 0; st == QV_OK && i < out->n_fields; i++)
    if (out->fields[i]->n_columns == 0)
      st = qv_error_set(err, QV_INVALID, "parquet: field '%s' has no leaf columns", out->fields[i]->name);
  if (st == QV_OK && use_arrow_schema) {
    for (int32_t i = 0; i < meta->n_key_values; i++) {
      const qv_pq_key_value *kv = &meta->key_values[i];
      if (kv->key.len == 12 && memcmp(kv->key.data, "ARROW:schema", 12) == 0 && kv->value.data)
        qv__pq_apply_arrow_schema(out, kv->value.data, kv->value.len);
    }
  }
  for (int32_t i = 0; st == QV_OK && i < out->n_fields; i++) st = build_field(out, out->fields[i], err);
  if (st == QV_OK) {
    qv_field **fields = calloc((size_t)(out->n_fields ? out->n_fields : 1), sizeof *fields);
    qv_metadata *md = NULL;
    if (!fields) st = nomem(err);
    if (st == QV_OK) st = file_metadata(meta, &md, err);
    for (int32_t i = 0; st == QV_OK && i < out->n_fields; i++) fields[i] = out->fields[i]->field;
    if (st == QV_OK) st = qv_schema_create(fields, out->n_fields, md, &out->arrow, err);
    qv_metadata_destroy(md);
    free(fields);
  }
  if (st != QV_OK) qv__pq_schema_reset(out);
  return st;
}
