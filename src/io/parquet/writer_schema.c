/* Arrow schema to Parquet schema, for the writer. Each Arrow field becomes a
 * node of a tree that knows its definition level (one more than its parent
 * for an optional field, one more again for the repeated group of a list)
 * and the repetition level of list elements, and a flattened list of
 * SchemaElements in depth-first order, as the footer stores it:
 *
 *   leaf types      -> a primitive element with its logical type (and the
 *                      legacy converted type where one exists);
 *   struct          -> a group of its fields;
 *   list, large_list, fixed_size_list
 *                   -> the three-level LIST of LogicalTypes.md:
 *                      <name> (LIST) { repeated group list { element } };
 *   map             -> <name> (MAP) { repeated group key_value { required
 *                      key; value } };
 *   dictionary      -> its value type (the values are written; the
 *                      dictionary survives as Parquet dictionary encoding and
 *                      in "ARROW:schema").
 *
 * The type mapping is documented in quiver/parquet.h. This file also builds
 * the "ARROW:schema" value: the IPC Schema message of the Arrow schema,
 * base64-encoded, as Arrow writers store it so that Arrow readers restore
 * the exact types (large strings, time zones, durations, dictionaries);
 * fixed-size lists are recorded as lists, which is what the file holds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "io/parquet/writer_internal.h"
#include "quiver/ipc.h"

typedef struct build_ctx {
  qv_arena *arena;
  qv_pqw_schema *s;
  int32_t n_elements, n_leaves;
  /* The path from the top-level field down to the node being built. */
  const char *names[QV_PQW_MAX_LEVEL + 8];
  const qv_pqw_node *nodes[QV_PQW_MAX_LEVEL + 8];
  int32_t child_index[QV_PQW_MAX_LEVEL + 8];
  int32_t n_names, n_nodes;
  qv_error *err;
} build_ctx;

static qv_status nomem(qv_error *err) {
  return qv_error_set(err, QV_NOMEM, "parquet: out of memory building the schema");
}

static void *arena_zero(qv_arena *arena, int64_t size) {
  void *p = qv_arena_alloc(arena, size > 0 ? size : 1);
  if (p) memset(p, 0, (size_t)(size > 0 ? size : 1));
  return p;
}

/* ---- counting ------------------------------------------------------------------- */

/* Elements and leaves a field needs (before allocating them). */
static void count_field(const qv_data_type *t, int32_t *elements, int32_t *leaves, int depth) {
  if (depth > QV_PQW_MAX_LEVEL) return; /* refused later with a message */
  switch (t->id) {
    case QV_STRUCT:
      *elements += 1;
      for (int32_t i = 0; i < t->n_children; i++) count_field(t->children[i]->type, elements, leaves, depth + 1);
      return;
    case QV_LIST: case QV_LARGE_LIST: case QV_FIXED_SIZE_LIST:
      *elements += 2;
      count_field(t->children[0]->type, elements, leaves, depth + 1);
      return;
    case QV_MAP: {
      const qv_data_type *entries = t->children[0]->type;
      *elements += 2;
      for (int32_t i = 0; i < entries->n_children; i++)
        count_field(entries->children[i]->type, elements, leaves, depth + 1);
      return;
    }
    default:
      *elements += 1;
      *leaves += 1;
  }
}

/* ---- leaves ---------------------------------------------------------------------- */

/* Bytes of the smallest two's complement integer holding every decimal of
 * `precision` digits. */
static int32_t decimal_bytes(int32_t precision) {
  for (int32_t n = 1; n < 32; n++)
    if (floor((8.0 * n - 1) * log10(2.0)) >= precision) return n;
  return 32;
}

static void set_int(qv_pq_schema_element *e, qv_pqw_leaf *leaf, int bits, bool is_signed, int32_t converted) {
  e->logical.kind = QV_PQ_LT_INTEGER;
  e->logical.bit_width = bits;
  e->logical.is_signed = is_signed;
  e->has_converted_type = true;
  e->converted_type = converted;
  leaf->order = bits == 64 ? (is_signed ? QV_PQW_ORDER_I64 : QV_PQW_ORDER_U64)
                           : (is_signed ? QV_PQW_ORDER_I32 : QV_PQW_ORDER_U32);
}

static void set_time_like(qv_pq_schema_element *e, int32_t kind, int32_t unit, bool utc, int32_t converted) {
  e->logical.kind = kind;
  e->logical.unit = unit;
  e->logical.adjusted_to_utc = utc;
  if (converted >= 0) {
    e->has_converted_type = true;
    e->converted_type = converted;
  }
}

/* Fills the physical type, annotations and conversion of a leaf of Arrow
 * type t (a dictionary's value type for dictionaries). */
static qv_status leaf_type(build_ctx *c, const qv_data_type *t, const char *name, qv_pq_schema_element *e,
                           qv_pqw_leaf *leaf) {
  int32_t pt = QV_PARQUET_INT32;
  leaf->conv = QV_PQW_CONV_COPY;
  leaf->src_width = t->byte_width;
  switch (t->id) {
    case QV_NA:
      e->logical.kind = QV_PQ_LT_UNKNOWN;
      leaf->conv = QV_PQW_CONV_NULL;
      leaf->order = QV_PQW_ORDER_NONE;
      break;
    case QV_BOOL:
      pt = QV_PARQUET_BOOLEAN;
      leaf->conv = QV_PQW_CONV_BOOL;
      leaf->order = QV_PQW_ORDER_BOOL;
      break;
    case QV_INT8: set_int(e, leaf, 8, true, QV_PQ_CT_INT_8); leaf->conv = QV_PQW_CONV_I8; break;
    case QV_UINT8: set_int(e, leaf, 8, false, QV_PQ_CT_UINT_8); leaf->conv = QV_PQW_CONV_U8; break;
    case QV_INT16: set_int(e, leaf, 16, true, QV_PQ_CT_INT_16); leaf->conv = QV_PQW_CONV_I16; break;
    case QV_UINT16: set_int(e, leaf, 16, false, QV_PQ_CT_UINT_16); leaf->conv = QV_PQW_CONV_U16; break;
    case QV_INT32: leaf->order = QV_PQW_ORDER_I32; break;
    case QV_UINT32: set_int(e, leaf, 32, false, QV_PQ_CT_UINT_32); break;
    case QV_INT64: pt = QV_PARQUET_INT64; leaf->order = QV_PQW_ORDER_I64; break;
    case QV_UINT64: pt = QV_PARQUET_INT64; set_int(e, leaf, 64, false, QV_PQ_CT_UINT_64); break;
    case QV_FLOAT16:
      pt = QV_PARQUET_FIXED_LEN_BYTE_ARRAY;
      e->type_length = 2;
      e->logical.kind = QV_PQ_LT_FLOAT16;
      leaf->order = QV_PQW_ORDER_FLOAT16;
      break;
    case QV_FLOAT32: pt = QV_PARQUET_FLOAT; leaf->order = QV_PQW_ORDER_FLOAT; break;
    case QV_FLOAT64: pt = QV_PARQUET_DOUBLE; leaf->order = QV_PQW_ORDER_DOUBLE; break;
    case QV_DECIMAL128:
    case QV_DECIMAL256:
      e->logical.kind = QV_PQ_LT_DECIMAL;
      e->logical.precision = e->precision = t->precision;
      e->logical.scale = e->scale = t->scale;
      e->has_converted_type = true;
      e->converted_type = QV_PQ_CT_DECIMAL;
      if (t->precision <= 9) {
        leaf->conv = QV_PQW_CONV_DEC_I32;
        leaf->order = QV_PQW_ORDER_I32;
      } else if (t->precision <= 18) {
        pt = QV_PARQUET_INT64;
        leaf->conv = QV_PQW_CONV_DEC_I64;
        leaf->order = QV_PQW_ORDER_I64;
      } else {
        pt = QV_PARQUET_FIXED_LEN_BYTE_ARRAY;
        e->type_length = decimal_bytes(t->precision);
        if (e->type_length > t->byte_width) e->type_length = t->byte_width;
        leaf->conv = QV_PQW_CONV_DEC_FLBA;
        leaf->order = QV_PQW_ORDER_DECIMAL;
      }
      break;
    case QV_DATE32:
    case QV_DATE64:
      e->logical.kind = QV_PQ_LT_DATE;
      e->has_converted_type = true;
      e->converted_type = QV_PQ_CT_DATE;
      leaf->order = QV_PQW_ORDER_I32;
      if (t->id == QV_DATE64) leaf->conv = QV_PQW_CONV_DATE64;
      break;
    case QV_TIME32:
      /* Arrow times are local times of day: not adjusted to UTC, and so
       * without the legacy TIME_MILLIS/TIME_MICROS, which mean adjusted. */
      set_time_like(e, QV_PQ_LT_TIME, QV_PQ_MILLIS, false, -1);
      leaf->order = QV_PQW_ORDER_I32;
      if (t->unit == QV_SECOND) leaf->conv = QV_PQW_CONV_X1000_I32;
      break;
    case QV_TIME64:
      pt = QV_PARQUET_INT64;
      set_time_like(e, QV_PQ_LT_TIME, t->unit == QV_MICRO ? QV_PQ_MICROS : QV_PQ_NANOS, false, -1);
      leaf->order = QV_PQW_ORDER_I64;
      break;
    case QV_TIMESTAMP: {
      pt = QV_PARQUET_INT64;
      bool utc = t->timezone && t->timezone[0];
      int32_t unit = t->unit == QV_NANO ? QV_PQ_NANOS : t->unit == QV_MICRO ? QV_PQ_MICROS : QV_PQ_MILLIS;
      int32_t converted = !utc ? -1
                          : unit == QV_PQ_MILLIS ? QV_PQ_CT_TIMESTAMP_MILLIS
                          : unit == QV_PQ_MICROS ? QV_PQ_CT_TIMESTAMP_MICROS : -1;
      set_time_like(e, QV_PQ_LT_TIMESTAMP, unit, utc, converted);
      leaf->order = QV_PQW_ORDER_I64;
      if (t->unit == QV_SECOND) leaf->conv = QV_PQW_CONV_X1000_I64; /* Parquet has no seconds */
      break;
    }
    case QV_DURATION: pt = QV_PARQUET_INT64; leaf->order = QV_PQW_ORDER_I64; break;
    case QV_UTF8:
    case QV_LARGE_UTF8:
      e->logical.kind = QV_PQ_LT_STRING;
      e->has_converted_type = true;
      e->converted_type = QV_PQ_CT_UTF8;
      /* fall through */
    case QV_BINARY:
    case QV_LARGE_BINARY:
      pt = QV_PARQUET_BYTE_ARRAY;
      leaf->conv = (t->id == QV_LARGE_UTF8 || t->id == QV_LARGE_BINARY) ? QV_PQW_CONV_LARGE_BINARY
                                                                        : QV_PQW_CONV_BINARY;
      leaf->order = QV_PQW_ORDER_BYTES;
      break;
    case QV_FIXED_SIZE_BINARY:
      if (t->byte_width <= 0)
        return qv_error_set(c->err, QV_NOT_IMPLEMENTED,
                            "parquet: field '%s': fixed_size_binary(0) has no Parquet type", name);
      pt = QV_PARQUET_FIXED_LEN_BYTE_ARRAY;
      e->type_length = t->byte_width;
      leaf->order = QV_PQW_ORDER_BYTES;
      break;
    default: {
      char buf[128];
      return qv_error_set(c->err, QV_NOT_IMPLEMENTED, "parquet: field '%s': cannot write type %s", name,
                          qv_type_to_string(t, buf, sizeof buf));
    }
  }
  e->has_type = true;
  e->type = pt;
  leaf->physical_type = pt;
  leaf->type_length = e->type_length;
  switch (pt) {
    case QV_PARQUET_INT32: case QV_PARQUET_FLOAT: leaf->width = 4; break;
    case QV_PARQUET_INT64: case QV_PARQUET_DOUBLE: leaf->width = 8; break;
    case QV_PARQUET_FIXED_LEN_BYTE_ARRAY: leaf->width = e->type_length; break;
    default: leaf->width = 0;
  }
  leaf->dictionary_ok = pt != QV_PARQUET_BOOLEAN && leaf->conv != QV_PQW_CONV_NULL;
  leaf->signed_legacy_stats = leaf->order == QV_PQW_ORDER_BOOL || leaf->order == QV_PQW_ORDER_I32 ||
                              leaf->order == QV_PQW_ORDER_I64 || leaf->order == QV_PQW_ORDER_FLOAT ||
                              leaf->order == QV_PQW_ORDER_DOUBLE;
  return QV_OK;
}

/* ---- the tree ------------------------------------------------------------------------ */

static qv_pq_schema_element *next_element(build_ctx *c, const char *name, int32_t repetition) {
  qv_pq_schema_element *e = &c->s->elements[c->n_elements++];
  e->name = name;
  e->has_repetition = true;
  e->repetition = repetition;
  return e;
}

static qv_status new_node(build_ctx *c, qv_pqw_kind kind, const char *name, bool optional, int16_t def,
                          qv_pqw_node **out) {
  qv_pqw_node *n = arena_zero(c->arena, sizeof *n);
  if (!n) return nomem(c->err);
  n->kind = kind;
  n->name = name;
  n->optional = optional;
  n->def = def;
  n->column = -1;
  *out = n;
  return QV_OK;
}

/* Joins the current names into a dotted path and copies the node path. */
static qv_status finish_leaf(build_ctx *c, qv_pqw_leaf *leaf) {
  int64_t len = 0;
  for (int32_t i = 0; i < c->n_names; i++) len += (int64_t)strlen(c->names[i]) + 1;
  char *path = qv_arena_alloc(c->arena, len + 1);
  qv_pq_bytes *parts = arena_zero(c->arena, (int64_t)c->n_names * (int64_t)sizeof *parts);
  const qv_pqw_node **nodes = arena_zero(c->arena, (int64_t)c->n_nodes * (int64_t)sizeof *nodes);
  int32_t *child_index = arena_zero(c->arena, (int64_t)c->n_nodes * (int64_t)sizeof *child_index);
  if (!path || !parts || !nodes || !child_index) return nomem(c->err);
  char *p = path;
  for (int32_t i = 0; i < c->n_names; i++) {
    size_t n = strlen(c->names[i]);
    if (i) *p++ = '.';
    memcpy(p, c->names[i], n);
    parts[i].data = (const uint8_t *)c->names[i];
    parts[i].len = (int64_t)n;
    p += n;
  }
  *p = '\0';
  memcpy(nodes, c->nodes, (size_t)c->n_nodes * sizeof *nodes);
  memcpy(child_index, c->child_index, (size_t)c->n_nodes * sizeof *child_index);
  leaf->path = path;
  leaf->n_path = c->n_names;
  leaf->path_parts = parts;
  leaf->depth = c->n_nodes;
  leaf->nodes = nodes;
  leaf->child_index = child_index;
  return QV_OK;
}

static qv_status field_id(const qv_field *f, qv_pq_schema_element *e) {
  int64_t len;
  const char *v = qv_metadata_find(qv_field_metadata(f), "PARQUET:field_id", &len);
  if (!v || len <= 0 || len > 10) return QV_OK;
  char *end;
  long id = strtol(v, &end, 10);
  if (end == v + len && id >= 0 && id <= INT32_MAX) {
    e->has_field_id = true;
    e->field_id = (int32_t)id;
  }
  return QV_OK;
}

static qv_status build_node(build_ctx *c, const qv_field *f, const char *name, bool optional, int16_t parent_def,
                            int16_t parent_rep, qv_pqw_node **out);

/* The children of a struct (or of a map's entries) under a node non-null at
 * def, with repetition depth rep. */
static qv_status build_children(build_ctx *c, qv_pqw_node *n, const qv_data_type *t, int16_t def, int16_t rep,
                                bool map_entries) {
  n->n_children = t->n_children;
  n->children = arena_zero(c->arena, (int64_t)t->n_children * (int64_t)sizeof *n->children);
  if (!n->children) return nomem(c->err);
  for (int32_t i = 0; i < t->n_children; i++) {
    const qv_field *cf = t->children[i];
    const char *name = cf->name;
    bool optional = cf->nullable;
    if (map_entries) {
      name = i == 0 ? "key" : "value";
      if (i == 0) optional = false; /* Parquet map keys are required */
    }
    c->child_index[c->n_nodes - 1] = i;
    QV_RETURN_NOT_OK(build_node(c, cf, name, optional, def, rep, &n->children[i]));
  }
  return QV_OK;
}

static qv_status build_node(build_ctx *c, const qv_field *f, const char *name, bool optional, int16_t parent_def,
                            int16_t parent_rep, qv_pqw_node **out) {
  const qv_data_type *t = f->type;
  if (t->id == QV_NA) optional = true; /* a null column has only nulls, whatever the field says */
  int16_t def = (int16_t)(parent_def + optional);
  if (def > QV_PQW_MAX_LEVEL || parent_rep >= QV_PQW_MAX_LEVEL || c->n_nodes >= QV_PQW_MAX_LEVEL)
    return qv_error_set(c->err, QV_INVALID, "parquet: field '%s' is nested too deeply (over %d levels)", name,
                        QV_PQW_MAX_LEVEL);
  int32_t repetition = optional ? QV_PQ_OPTIONAL : QV_PQ_REQUIRED;
  qv_pq_schema_element *e = next_element(c, name, repetition);
  QV_RETURN_NOT_OK(field_id(f, e));
  qv_pqw_node *n;
  qv_status st = QV_OK;
  c->names[c->n_names++] = name;
  switch (t->id) {
    case QV_STRUCT:
      if (t->n_children == 0)
        return qv_error_set(c->err, QV_NOT_IMPLEMENTED, "parquet: field '%s': a struct without fields has no "
                            "Parquet form", name);
      QV_RETURN_NOT_OK(new_node(c, QV_PQW_STRUCT, name, optional, def, &n));
      c->nodes[c->n_nodes++] = n;
      e->has_num_children = true;
      e->num_children = t->n_children;
      st = build_children(c, n, t, def, parent_rep, false);
      c->n_nodes--;
      break;
    case QV_LIST:
    case QV_LARGE_LIST:
    case QV_FIXED_SIZE_LIST:
    case QV_MAP: {
      bool is_map = t->id == QV_MAP;
      QV_RETURN_NOT_OK(new_node(c, t->id == QV_FIXED_SIZE_LIST ? QV_PQW_FIXED_LIST : QV_PQW_LIST, name, optional,
                                def, &n));
      n->large = t->id == QV_LARGE_LIST;
      n->is_map = is_map;
      n->list_size = t->list_size;
      n->elem_rep = (int16_t)(parent_rep + 1);
      n->n_children = 1;
      n->children = arena_zero(c->arena, (int64_t)sizeof *n->children);
      if (!n->children) return nomem(c->err);
      c->nodes[c->n_nodes++] = n;
      c->child_index[c->n_nodes - 1] = 0;
      e->has_num_children = true;
      e->num_children = 1;
      e->logical.kind = is_map ? QV_PQ_LT_MAP : QV_PQ_LT_LIST;
      e->has_converted_type = true;
      e->converted_type = is_map ? QV_PQ_CT_MAP : QV_PQ_CT_LIST;
      int16_t elem_def = (int16_t)(def + 1);
      const qv_field *child = t->children[0];
      if (!is_map) {
        qv_pq_schema_element *g = next_element(c, "list", QV_PQ_REPEATED);
        g->has_num_children = true;
        g->num_children = 1;
        c->names[c->n_names++] = "list";
        st = build_node(c, child, "element", child->nullable, elem_def, n->elem_rep, &n->children[0]);
      } else {
        /* The entries struct is the repeated key_value group itself. */
        const qv_data_type *entries = child->type;
        qv_pq_schema_element *g = next_element(c, "key_value", QV_PQ_REPEATED);
        g->has_num_children = true;
        g->num_children = entries->n_children;
        c->names[c->n_names++] = "key_value";
        qv_pqw_node *en;
        st = new_node(c, QV_PQW_STRUCT, "key_value", false, elem_def, &en);
        if (st == QV_OK) {
          n->children[0] = en;
          c->nodes[c->n_nodes++] = en;
          st = build_children(c, en, entries, elem_def, n->elem_rep, true);
          c->n_nodes--;
        }
      }
      c->n_names--;
      c->n_nodes--;
      break;
    }
    default: {
      QV_RETURN_NOT_OK(new_node(c, QV_PQW_LEAF, name, optional, def, &n));
      qv_pqw_leaf *leaf = &c->s->leaves[c->n_leaves];
      const qv_data_type *vt = t;
      if (t->id == QV_DICTIONARY) {
        leaf->arrow_dictionary = true;
        vt = t->dict_value;
        if (qv_type_is_nested(vt->id) || vt->id == QV_DICTIONARY) {
          char buf[128];
          return qv_error_set(c->err, QV_NOT_IMPLEMENTED, "parquet: field '%s': cannot write dictionary values "
                              "of type %s", name, qv_type_to_string(vt, buf, sizeof buf));
        }
      }
      st = leaf_type(c, vt, name, e, leaf);
      if (st == QV_OK) {
        leaf->index = c->n_leaves;
        leaf->max_def = def;
        leaf->max_rep = parent_rep;
        n->column = c->n_leaves++;
        c->nodes[c->n_nodes++] = n;
        st = finish_leaf(c, leaf);
        c->n_nodes--;
      }
    }
  }
  c->n_names--;
  if (st == QV_OK) *out = n;
  return st;
}

qv_status qv__pqw_schema_build(const qv_schema *schema, qv_arena *arena, qv_pqw_schema *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  int32_t n_elements = 1, n_leaves = 0;
  for (int32_t i = 0; i < schema->n_fields; i++) count_field(schema->fields[i]->type, &n_elements, &n_leaves, 0);
  out->elements = arena_zero(arena, (int64_t)n_elements * (int64_t)sizeof *out->elements);
  out->leaves = arena_zero(arena, (int64_t)(n_leaves ? n_leaves : 1) * (int64_t)sizeof *out->leaves);
  out->fields = arena_zero(arena, (int64_t)(schema->n_fields ? schema->n_fields : 1) * (int64_t)sizeof *out->fields);
  if (!out->elements || !out->leaves || !out->fields) return nomem(err);
  build_ctx c = {.arena = arena, .s = out, .err = err};
  qv_pq_schema_element *root = &out->elements[c.n_elements++];
  root->name = "schema";
  root->has_num_children = true;
  root->num_children = schema->n_fields;
  for (int32_t i = 0; i < schema->n_fields; i++) {
    const qv_field *f = schema->fields[i];
    int32_t first_leaf = c.n_leaves;
    QV_RETURN_NOT_OK(build_node(&c, f, f->name, f->nullable, 0, 0, &out->fields[i]));
    for (int32_t k = first_leaf; k < c.n_leaves; k++) out->leaves[k].field = i;
    out->n_fields = i + 1;
  }
  if (c.n_elements != n_elements || c.n_leaves != n_leaves)
    return qv_error_set(err, QV_INTERNAL, "parquet: schema has %d elements and %d leaves, counted %d and %d",
                        c.n_elements, c.n_leaves, n_elements, n_leaves);
  out->n_elements = n_elements;
  out->n_leaves = n_leaves;
  return QV_OK;
}

/* ---- ARROW:schema ------------------------------------------------------------------------ */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool has_fixed_list(const qv_data_type *t) {
  if (t->id == QV_FIXED_SIZE_LIST) return true;
  for (int32_t i = 0; i < t->n_children; i++)
    if (has_fixed_list(t->children[i]->type)) return true;
  return false;
}

static qv_status without_fixed_lists(qv_data_type *t, qv_data_type **out, qv_error *err);

static qv_status field_without_fixed_lists(const qv_field *f, qv_field **out, qv_error *err) {
  qv_data_type *t;
  QV_RETURN_NOT_OK(without_fixed_lists(f->type, &t, err));
  qv_status st = qv_field_create(f->name, t, f->nullable, f->metadata, out, err);
  qv_type_unref(t);
  return st;
}

/* t with every fixed_size_list made a list. The Parquet file stores them as
 * lists, null slots included (with no elements), which Arrow readers cannot
 * turn back into fixed-size lists: the recorded type says list. */
static qv_status without_fixed_lists(qv_data_type *t, qv_data_type **out, qv_error *err) {
  *out = NULL;
  if (!has_fixed_list(t)) {
    *out = qv_type_ref(t);
    return QV_OK;
  }
  int32_t n = t->n_children;
  qv_field **kids = calloc((size_t)n, sizeof *kids);
  if (!kids) return nomem(err);
  qv_status st = QV_OK;
  for (int32_t i = 0; i < n && st == QV_OK; i++) st = field_without_fixed_lists(t->children[i], &kids[i], err);
  if (st == QV_OK) {
    switch (t->id) {
      case QV_STRUCT: st = qv_type_struct(kids, n, out, err); break;
      case QV_MAP: st = qv_type_map(kids[0], t->keys_sorted, out, err); break;
      case QV_LARGE_LIST: st = qv_type_list(QV_LARGE_LIST, kids[0], out, err); break;
      default: st = qv_type_list(QV_LIST, kids[0], out, err); /* list, fixed_size_list */
    }
  }
  for (int32_t i = 0; i < n; i++) qv_field_unref(kids[i]);
  free(kids);
  return st;
}

/* The schema as the file holds it, for ARROW:schema. */
static qv_status stored_schema(qv_schema *schema, qv_schema **out, qv_error *err) {
  bool fixed = false;
  for (int32_t i = 0; i < schema->n_fields; i++) fixed |= has_fixed_list(schema->fields[i]->type);
  if (!fixed) {
    *out = qv_schema_ref(schema);
    return QV_OK;
  }
  qv_field **fields = calloc((size_t)schema->n_fields, sizeof *fields);
  if (!fields) return nomem(err);
  qv_status st = QV_OK;
  for (int32_t i = 0; i < schema->n_fields && st == QV_OK; i++)
    st = field_without_fixed_lists(schema->fields[i], &fields[i], err);
  if (st == QV_OK) st = qv_schema_create(fields, schema->n_fields, schema->metadata, out, err);
  for (int32_t i = 0; i < schema->n_fields; i++) qv_field_unref(fields[i]);
  free(fields);
  return st;
}

qv_status qv__pqw_arrow_schema_b64(qv_schema *schema, qv_arena *arena, const char **out, int64_t *len,
                                   qv_error *err) {
  *out = NULL;
  *len = 0;
  qv_bytes msg;
  qv_bytes_init(&msg, arena->alloc);
  qv_ipc_write_options opts;
  qv_ipc_write_options_init(&opts);
  opts.alloc = arena->alloc;
  /* A stream writer writes exactly the framed Schema message when created. */
  qv_ipc_stream_writer *w = NULL;
  qv_schema *stored = NULL;
  qv_status st = stored_schema(schema, &stored, err);
  if (st == QV_OK) st = qv_ipc_stream_writer_create(stored, &opts, qv_ipc_sink_bytes(&msg), &w, err);
  qv_ipc_stream_writer_destroy(w);
  qv_schema_unref(stored);
  if (st != QV_OK) {
    qv_bytes_reset(&msg);
    qv_error_prefix(err, "parquet: encoding ARROW:schema");
    return st;
  }
  int64_t n = (msg.size + 2) / 3 * 4;
  char *b64 = qv_arena_alloc(arena, n + 1);
  if (!b64) {
    qv_bytes_reset(&msg);
    return nomem(err);
  }
  const uint8_t *in = msg.data;
  int64_t o = 0, i = 0;
  for (; i + 3 <= msg.size; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    b64[o++] = b64_alphabet[v >> 18];
    b64[o++] = b64_alphabet[(v >> 12) & 63];
    b64[o++] = b64_alphabet[(v >> 6) & 63];
    b64[o++] = b64_alphabet[v & 63];
  }
  if (i < msg.size) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < msg.size ? (uint32_t)in[i + 1] << 8 : 0);
    b64[o++] = b64_alphabet[v >> 18];
    b64[o++] = b64_alphabet[(v >> 12) & 63];
    b64[o++] = i + 1 < msg.size ? b64_alphabet[(v >> 6) & 63] : '=';
    b64[o++] = '=';
  }
  b64[o] = '\0';
  qv_bytes_reset(&msg);
  *out = b64;
  *len = o;
  return QV_OK;
}
