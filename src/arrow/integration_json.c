/* Reader of Arrow's integration-test JSON into schemas, dictionaries and
 * record batches.
 *
 * The JSON is first parsed into a DOM (core/json.c), then walked: the schema's
 * fields become qv_field trees (a field with a "dictionary" attribute becomes
 * dictionary<indexType, type> carrying its id), and every column object
 * becomes a qv_array assembled from buffers filled here. Dictionaries are
 * built on first use, so a dictionary whose values are themselves
 * dictionary-encoded (a list of dictionary-encoded strings) finds its inner
 * dictionary whatever the order of the file; a cycle is an error. Every count
 * in the file is checked against the data it describes before any buffer is
 * sized from it, so a hostile file cannot make the reader allocate more than
 * its own size suggests. */
#include "arrow/integration_json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "core/json.h"

typedef enum dict_state { DICT_PENDING = 0, DICT_BUILDING, DICT_BUILT } dict_state;

/* A dictionary id declared by the schema, and its entry in "dictionaries". */
typedef struct dict_entry {
  int64_t id;
  qv_data_type *value_type;  /* owned reference */
  const qv_json_value *json; /* the "data" object; NULL while not in the file */
  int64_t file_index;        /* position in "dictionaries", -1 if absent */
  qv_array *values;          /* owned reference once built */
  dict_state state;
} dict_entry;

typedef struct reader {
  qv_allocator *alloc;
  qv_error *err;
  char where[64];     /* "schema", "batch 3", "dictionary 2" */
  const char *label;  /* "field" or "column" */
  char path[512];     /* dotted path of the field or column being read */
  size_t path_len;
  dict_entry *dicts;
  int64_t n_dicts;
  int64_t cap_dicts;
} reader;

/* ---- errors and context ---------------------------------------------------- */

static qv_status fail(reader *r, const qv_json_value *at, qv_status code, const char *fmt, ...)
    QV_PRINTF(4, 5);

static qv_status fail(reader *r, const qv_json_value *at, qv_status code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char loc[640];
  if (r->path_len > 0)
    snprintf(loc, sizeof loc, "%s: %s '%s'", r->where, r->label, r->path);
  else
    snprintf(loc, sizeof loc, "%s", r->where);
  if (at)
    return qv_error_set(r->err, code, "integration json: %s: %s (json offset %lld)", loc, msg,
                        (long long)at->offset);
  return qv_error_set(r->err, code, "integration json: %s: %s", loc, msg);
}

static qv_status nomem(reader *r) { return fail(r, NULL, QV_NOMEM, "out of memory"); }

/* Returns the previous length, to give to path_pop. */
static size_t path_push(reader *r, const char *name) {
  size_t old = r->path_len;
  int n = snprintf(r->path + old, sizeof r->path - old, "%s%s", old ? "." : "", name);
  if (n > 0) r->path_len = old + (size_t)n < sizeof r->path ? old + (size_t)n : sizeof r->path - 1;
  return old;
}

static void path_pop(reader *r, size_t old) {
  r->path_len = old;
  r->path[old] = '\0';
}

/* ---- JSON access ------------------------------------------------------------- */

static qv_status member(reader *r, const qv_json_value *obj, const char *key, qv_json_kind kind,
                        bool required, const qv_json_value **out) {
  *out = NULL;
  const qv_json_value *v = qv__json_object_get(obj, key);
  if (!v) {
    if (required) return fail(r, obj, QV_INVALID, "missing \"%s\"", key);
    return QV_OK;
  }
  if (v->kind != kind)
    return fail(r, v, QV_INVALID, "\"%s\" is a%s %s, expected a%s %s", key,
                v->kind == QV_JSON_ARRAY || v->kind == QV_JSON_OBJECT ? "n" : "",
                qv__json_kind_name(v->kind), kind == QV_JSON_ARRAY || kind == QV_JSON_OBJECT ? "n" : "",
                qv__json_kind_name(kind));
  *out = v;
  return QV_OK;
}

static qv_status member_int(reader *r, const qv_json_value *obj, const char *key, bool required,
                            int64_t dflt, int64_t min, int64_t max, int64_t *out) {
  const qv_json_value *v;
  QV_RETURN_NOT_OK(member(r, obj, key, QV_JSON_NUMBER, required, &v));
  if (!v) {
    *out = dflt;
    return QV_OK;
  }
  if (!qv__json_get_int64(v, out) || *out < min || *out > max)
    return fail(r, v, QV_INVALID, "\"%s\" is %s, expected an integer in [%lld, %lld]", key,
                v->u.number.text, (long long)min, (long long)max);
  return QV_OK;
}

static qv_status member_bool(reader *r, const qv_json_value *obj, const char *key, bool required,
                             bool dflt, bool *out) {
  const qv_json_value *v;
  QV_RETURN_NOT_OK(member(r, obj, key, QV_JSON_BOOL, required, &v));
  *out = v ? v->u.boolean : dflt;
  return QV_OK;
}

static qv_status member_string(reader *r, const qv_json_value *obj, const char *key,
                               const qv_json_value **out) {
  QV_RETURN_NOT_OK(member(r, obj, key, QV_JSON_STRING, true, out));
  if (strlen((*out)->u.string.data) != (size_t)(*out)->u.string.len)
    return fail(r, *out, QV_INVALID, "\"%s\" contains a NUL character", key);
  return QV_OK;
}

/* An array member that must have exactly n entries. */
static qv_status member_array_n(reader *r, const qv_json_value *col, const char *key, int64_t n,
                                const qv_json_value **out) {
  QV_RETURN_NOT_OK(member(r, col, key, QV_JSON_ARRAY, true, out));
  if ((*out)->u.array.count != n)
    return fail(r, *out, QV_INVALID, "%s has %lld entries, expected %lld", key,
                (long long)(*out)->u.array.count, (long long)n);
  return QV_OK;
}

/* ---- schema ---------------------------------------------------------------- */

static qv_status parse_time_unit(reader *r, const qv_json_value *t, qv_time_unit *unit) {
  const qv_json_value *u;
  QV_RETURN_NOT_OK(member_string(r, t, "unit", &u));
  static const char *const names[] = {"SECOND", "MILLISECOND", "MICROSECOND", "NANOSECOND"};
  for (int i = 0; i < 4; i++) {
    if (strcmp(u->u.string.data, names[i]) == 0) {
      *unit = (qv_time_unit)i;
      return QV_OK;
    }
  }
  return fail(r, u, QV_INVALID, "unknown time unit \"%s\"", u->u.string.data);
}

static qv_status parse_int_type(reader *r, const qv_json_value *t, qv_data_type **out) {
  int64_t bits;
  bool is_signed;
  QV_RETURN_NOT_OK(member_int(r, t, "bitWidth", true, 0, 0, 64, &bits));
  QV_RETURN_NOT_OK(member_bool(r, t, "isSigned", true, false, &is_signed));
  qv_type_id id;
  switch (bits) {
    case 8: id = is_signed ? QV_INT8 : QV_UINT8; break;
    case 16: id = is_signed ? QV_INT16 : QV_UINT16; break;
    case 32: id = is_signed ? QV_INT32 : QV_UINT32; break;
    case 64: id = is_signed ? QV_INT64 : QV_UINT64; break;
    default: return fail(r, t, QV_INVALID, "int bitWidth %lld is not 8, 16, 32 or 64", (long long)bits);
  }
  *out = qv_type_primitive(id);
  return QV_OK;
}

static qv_status expect_children(reader *r, const qv_json_value *t, const char *name,
                                 int32_t n_children, int32_t want) {
  if (n_children != want)
    return fail(r, t, QV_INVALID, "type \"%s\" has %d children, expected %d", name, (int)n_children,
                (int)want);
  return QV_OK;
}

/* Builds the type described by the "type" object t of a field whose children
 * are already built. */
static qv_status parse_type(reader *r, const qv_json_value *t, qv_field *const *children,
                            int32_t n_children, qv_data_type **out) {
  *out = NULL;
  const qv_json_value *name_v;
  QV_RETURN_NOT_OK(member_string(r, t, "name", &name_v));
  const char *name = name_v->u.string.data;
  static const struct {
    const char *name;
    qv_type_id id;
  } simple[] = {{"null", QV_NA},           {"bool", QV_BOOL},
                {"utf8", QV_UTF8},         {"largeutf8", QV_LARGE_UTF8},
                {"binary", QV_BINARY},     {"largebinary", QV_LARGE_BINARY}};
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
    if (strcmp(name, simple[i].name) == 0) {
      QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 0));
      *out = qv_type_primitive(simple[i].id);
      return QV_OK;
    }
  }
  qv_error *e = r->err;
  qv_status st;
  if (strcmp(name, "int") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 0));
    return parse_int_type(r, t, out);
  }
  if (strcmp(name, "floatingpoint") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 0));
    const qv_json_value *p;
    QV_RETURN_NOT_OK(member_string(r, t, "precision", &p));
    const char *s = p->u.string.data;
    qv_type_id id = strcmp(s, "HALF") == 0     ? QV_FLOAT16
                    : strcmp(s, "SINGLE") == 0 ? QV_FLOAT32
                    : strcmp(s, "DOUBLE") == 0 ? QV_FLOAT64
                                               : QV_NA;
    if (id == QV_NA) return fail(r, p, QV_INVALID, "unknown floating point precision \"%s\"", s);
    *out = qv_type_primitive(id);
    return QV_OK;
  }
  if (strcmp(name, "fixedsizebinary") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 0));
    int64_t width;
    QV_RETURN_NOT_OK(member_int(r, t, "byteWidth", true, 0, 0, INT32_MAX, &width));
    st = qv_type_fixed_size_binary((int32_t)width, out, e);
  } else if (strcmp(name, "decimal") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 0));
    int64_t precision, scale, bits;
    QV_RETURN_NOT_OK(member_int(r, t, "precision", true, 0, 1, 76, &precision));
    QV_RETURN_NOT_OK(member_int(r, t, "scale", true, 0, -1000, 1000, &scale));
    QV_RETURN_NOT_OK(member_int(r, t, "bitWidth", false, 128, 0, 1024, &bits));
    if (bits != 128 && bits != 256)
      return fail(r, t, bits == 32 || bits == 64 ? QV_NOT_IMPLEMENTED : QV_INVALID,
                  "decimal bitWidth %lld is not supported", (long long)bits);
    st = qv_type_decimal(bits == 128 ? QV_DECIMAL128 : QV_DECIMAL256, (int32_t)precision,
                         (int32_t)scale, out, e);
  } else if (strcmp(name, "date") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 0));
    const qv_json_value *u;
    QV_RETURN_NOT_OK(member_string(r, t, "unit", &u));
    if (strcmp(u->u.string.data, "DAY") == 0) {
      *out = qv_type_primitive(QV_DATE32);
    } else if (strcmp(u->u.string.data, "MILLISECOND") == 0) {
      *out = qv_type_primitive(QV_DATE64);
    } else {
      return fail(r, u, QV_INVALID, "unknown date unit \"%s\"", u->u.string.data);
    }
    return QV_OK;
  } else if (strcmp(name, "time") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 0));
    qv_time_unit unit;
    QV_RETURN_NOT_OK(parse_time_unit(r, t, &unit));
    int64_t want = unit <= QV_MILLI ? 32 : 64, bits;
    QV_RETURN_NOT_OK(member_int(r, t, "bitWidth", false, want, 0, 64, &bits));
    if (bits != want)
      return fail(r, t, QV_INVALID, "time bitWidth %lld does not fit its unit (expected %lld)",
                  (long long)bits, (long long)want);
    st = qv_type_time(bits == 32 ? QV_TIME32 : QV_TIME64, unit, out, e);
  } else if (strcmp(name, "timestamp") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 0));
    qv_time_unit unit;
    QV_RETURN_NOT_OK(parse_time_unit(r, t, &unit));
    const qv_json_value *tz = qv__json_object_get(t, "timezone");
    if (tz && tz->kind != QV_JSON_NULL) QV_RETURN_NOT_OK(member_string(r, t, "timezone", &tz));
    st = qv_type_timestamp(unit, tz && tz->kind == QV_JSON_STRING ? tz->u.string.data : NULL, out,
                           e);
  } else if (strcmp(name, "duration") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 0));
    qv_time_unit unit;
    QV_RETURN_NOT_OK(parse_time_unit(r, t, &unit));
    st = qv_type_time(QV_DURATION, unit, out, e);
  } else if (strcmp(name, "interval") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 0));
    const qv_json_value *u;
    QV_RETURN_NOT_OK(member_string(r, t, "unit", &u));
    const char *s = u->u.string.data;
    qv_type_id id = strcmp(s, "YEAR_MONTH") == 0       ? QV_INTERVAL_MONTHS
                    : strcmp(s, "DAY_TIME") == 0       ? QV_INTERVAL_DAY_TIME
                    : strcmp(s, "MONTH_DAY_NANO") == 0 ? QV_INTERVAL_MONTH_DAY_NANO
                                                       : QV_NA;
    if (id == QV_NA) return fail(r, u, QV_INVALID, "unknown interval unit \"%s\"", s);
    *out = qv_type_primitive(id);
    return QV_OK;
  } else if (strcmp(name, "list") == 0 || strcmp(name, "largelist") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 1));
    st = qv_type_list(name[0] == 'l' && name[1] == 'a' ? QV_LARGE_LIST : QV_LIST, children[0], out, e);
  } else if (strcmp(name, "fixedsizelist") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 1));
    int64_t size;
    QV_RETURN_NOT_OK(member_int(r, t, "listSize", true, 0, 0, INT32_MAX, &size));
    st = qv_type_fixed_size_list(children[0], (int32_t)size, out, e);
  } else if (strcmp(name, "struct") == 0) {
    st = qv_type_struct(children, n_children, out, e);
  } else if (strcmp(name, "map") == 0) {
    QV_RETURN_NOT_OK(expect_children(r, t, name, n_children, 1));
    bool sorted;
    QV_RETURN_NOT_OK(member_bool(r, t, "keysSorted", false, false, &sorted));
    st = qv_type_map(children[0], sorted, out, e);
  } else if (strcmp(name, "union") == 0) {
    const qv_json_value *mode, *ids;
    QV_RETURN_NOT_OK(member_string(r, t, "mode", &mode));
    qv_type_id id = strcmp(mode->u.string.data, "SPARSE") == 0  ? QV_SPARSE_UNION
                    : strcmp(mode->u.string.data, "DENSE") == 0 ? QV_DENSE_UNION
                                                                : QV_NA;
    if (id == QV_NA) return fail(r, mode, QV_INVALID, "unknown union mode \"%s\"", mode->u.string.data);
    if (n_children > 128) return fail(r, t, QV_INVALID, "union has more than 128 children");
    int8_t codes[128];
    QV_RETURN_NOT_OK(member(r, t, "typeIds", QV_JSON_ARRAY, false, &ids));
    if (ids && ids->u.array.count != n_children)
      return fail(r, ids, QV_INVALID, "typeIds has %lld entries for %d children",
                  (long long)ids->u.array.count, (int)n_children);
    for (int32_t i = 0; i < n_children; i++) {
      int64_t code = i;
      if (ids && (!qv__json_get_int64(&ids->u.array.items[i], &code) || code < 0 || code > 127))
        return fail(r, &ids->u.array.items[i], QV_INVALID, "typeIds[%d] is not in [0, 127]", (int)i);
      codes[i] = (int8_t)code;
    }
    st = qv_type_union(id, children, codes, n_children, out, e);
  } else if (strcmp(name, "utf8view") == 0 || strcmp(name, "binaryview") == 0 ||
             strcmp(name, "listview") == 0 || strcmp(name, "largelistview") == 0 ||
             strcmp(name, "runendencoded") == 0 || strcmp(name, "decimal32") == 0) {
    return fail(r, t, QV_NOT_IMPLEMENTED, "type \"%s\" is not supported", name);
  } else {
    return fail(r, t, QV_INVALID, "unknown type name \"%s\"", name);
  }
  if (st != QV_OK) {
    *out = NULL;
    if (e) qv_error_prefix(e, "integration json: %s: field '%s'", r->where, r->path);
  }
  return st;
}

static dict_entry *find_dict(reader *r, int64_t id) {
  for (int64_t i = 0; i < r->n_dicts; i++)
    if (r->dicts[i].id == id) return &r->dicts[i];
  return NULL;
}

/* Records that the schema uses dictionary id with this value type; fields
 * sharing an id must agree on it. */
static qv_status register_dict(reader *r, const qv_json_value *at, int64_t id,
                               qv_data_type *value_type) {
  dict_entry *d = find_dict(r, id);
  if (d) {
    if (!qv_type_equals(d->value_type, value_type))
      return fail(r, at, QV_INVALID, "dictionary id %lld is used with two different value types",
                  (long long)id);
    return QV_OK;
  }
  if (r->n_dicts == r->cap_dicts) {
    int64_t cap = r->cap_dicts ? r->cap_dicts * 2 : 8;
    dict_entry *grown =
        r->dicts ? qv_realloc(r->alloc, r->dicts, r->cap_dicts * (int64_t)sizeof *grown,
                              cap * (int64_t)sizeof *grown)
                 : qv_alloc(r->alloc, cap * (int64_t)sizeof *grown);
    if (!grown) return nomem(r);
    r->dicts = grown;
    r->cap_dicts = cap;
  }
  d = &r->dicts[r->n_dicts++];
  memset(d, 0, sizeof *d);
  d->id = id;
  d->value_type = qv_type_ref(value_type);
  d->file_index = -1;
  return QV_OK;
}

static qv_status parse_metadata(reader *r, const qv_json_value *obj, qv_metadata **out) {
  *out = NULL;
  const qv_json_value *md;
  QV_RETURN_NOT_OK(member(r, obj, "metadata", QV_JSON_ARRAY, false, &md));
  if (!md) return QV_OK;
  qv_metadata *m;
  if (qv_metadata_create(&m, r->err) != QV_OK) return nomem(r);
  for (int64_t i = 0; i < md->u.array.count; i++) {
    const qv_json_value *kv = &md->u.array.items[i], *k, *v;
    qv_status st = kv->kind == QV_JSON_OBJECT
                       ? QV_OK
                       : fail(r, kv, QV_INVALID, "metadata[%lld] is not an object", (long long)i);
    if (st == QV_OK) st = member(r, kv, "key", QV_JSON_STRING, true, &k);
    if (st == QV_OK) st = member(r, kv, "value", QV_JSON_STRING, true, &v);
    if (st == QV_OK)
      st = qv_metadata_append(m, k->u.string.data, k->u.string.len, v->u.string.data,
                              v->u.string.len, r->err);
    if (st != QV_OK) {
      qv_metadata_destroy(m);
      return st;
    }
  }
  *out = m;
  return QV_OK;
}

static qv_status parse_field(reader *r, const qv_json_value *fj, qv_field **out) {
  *out = NULL;
  if (fj->kind != QV_JSON_OBJECT) return fail(r, fj, QV_INVALID, "a field is not an object");
  const qv_json_value *name;
  QV_RETURN_NOT_OK(member_string(r, fj, "name", &name));
  size_t saved = path_push(r, name->u.string.data);
  qv_field **kids = NULL;
  int32_t n_kids = 0;
  qv_data_type *value_type = NULL, *index_type = NULL, *type = NULL;
  qv_metadata *md = NULL;
  const qv_json_value *children, *tj, *dict = NULL;
  bool nullable, ordered = false;
  int64_t dict_id = -1;
  qv_status st = member_bool(r, fj, "nullable", true, false, &nullable);
  if (st == QV_OK) st = member(r, fj, "children", QV_JSON_ARRAY, false, &children);
  if (st == QV_OK && children && children->u.array.count > 0) {
    if (children->u.array.count > INT32_MAX) {
      st = fail(r, children, QV_INVALID, "too many children");
    } else {
      kids = qv_alloc_zeroed(r->alloc, children->u.array.count * (int64_t)sizeof *kids);
      if (!kids) st = nomem(r);
    }
    for (int64_t i = 0; st == QV_OK && i < children->u.array.count; i++) {
      st = parse_field(r, &children->u.array.items[i], &kids[i]);
      if (st == QV_OK) n_kids++;
    }
  }
  if (st == QV_OK) st = member(r, fj, "type", QV_JSON_OBJECT, true, &tj);
  if (st == QV_OK) st = parse_type(r, tj, kids, n_kids, &value_type);
  if (st == QV_OK) st = member(r, fj, "dictionary", QV_JSON_OBJECT, false, &dict);
  if (st == QV_OK && dict) {
    const qv_json_value *ij, *iname;
    st = member_int(r, dict, "id", true, 0, 0, INT64_MAX, &dict_id);
    if (st == QV_OK) st = member_bool(r, dict, "isOrdered", false, false, &ordered);
    if (st == QV_OK) st = member(r, dict, "indexType", QV_JSON_OBJECT, true, &ij);
    if (st == QV_OK) st = member_string(r, ij, "name", &iname);
    if (st == QV_OK && strcmp(iname->u.string.data, "int") != 0)
      st = fail(r, ij, QV_INVALID, "dictionary indexType \"%s\" is not an integer type",
                iname->u.string.data);
    if (st == QV_OK) st = parse_int_type(r, ij, &index_type);
    if (st == QV_OK) st = qv_type_dictionary(index_type, value_type, ordered, &type, r->err);
    if (st == QV_OK) st = register_dict(r, dict, dict_id, value_type);
  } else if (st == QV_OK) {
    type = qv_type_ref(value_type);
  }
  if (st == QV_OK) st = parse_metadata(r, fj, &md);
  if (st == QV_OK) st = qv_field_create(name->u.string.data, type, nullable, md, out, r->err);
  if (st == QV_OK && dict) qv_field_set_dictionary_id(*out, dict_id);
  for (int32_t i = 0; i < n_kids; i++) qv_field_unref(kids[i]);
  if (kids) qv_free(r->alloc, kids, children->u.array.count * (int64_t)sizeof *kids);
  qv_type_unref(value_type);
  qv_type_unref(index_type);
  qv_type_unref(type);
  qv_metadata_destroy(md);
  path_pop(r, saved);
  return st;
}

static qv_status parse_schema(reader *r, const qv_json_value *sj, qv_schema **out) {
  *out = NULL;
  const qv_json_value *fields;
  QV_RETURN_NOT_OK(member(r, sj, "fields", QV_JSON_ARRAY, true, &fields));
  int64_t n = fields->u.array.count;
  if (n > INT32_MAX) return fail(r, fields, QV_INVALID, "too many fields");
  qv_field **fs = n ? qv_alloc_zeroed(r->alloc, n * (int64_t)sizeof *fs) : NULL;
  if (n && !fs) return nomem(r);
  qv_metadata *md = NULL;
  qv_status st = QV_OK;
  for (int64_t i = 0; st == QV_OK && i < n; i++) st = parse_field(r, &fields->u.array.items[i], &fs[i]);
  if (st == QV_OK) st = parse_metadata(r, sj, &md);
  if (st == QV_OK) st = qv_schema_create(fs, (int32_t)n, md, out, r->err);
  for (int64_t i = 0; i < n; i++) qv_field_unref(fs[i]);
  if (fs) qv_free(r->alloc, fs, n * (int64_t)sizeof *fs);
  qv_metadata_destroy(md);
  return st;
}

/* ---- values ---------------------------------------------------------------- */

static qv_status new_buffer(reader *r, int64_t size, qv_buffer **out) {
  if (qv_buffer_allocate(r->alloc, size, out, r->err) != QV_OK) {
    *out = NULL;
    return nomem(r);
  }
  if (size > 0) memset(qv_buffer_mutable_data(*out), 0, (size_t)size);
  return QV_OK;
}

static void store_le(uint8_t *dst, uint64_t v, int n_bytes) {
  for (int i = 0; i < n_bytes; i++) dst[i] = (uint8_t)(v >> (8 * i));
}

/* The text of an integer given as a JSON number or as a string. */
static bool integer_text(const qv_json_value *v, const char **s, int64_t *n) {
  if (v->kind == QV_JSON_NUMBER && v->is_integer) {
    *s = v->u.number.text;
    *n = v->u.number.len;
    return true;
  }
  if (v->kind == QV_JSON_STRING) {
    *s = v->u.string.data;
    *n = v->u.string.len;
    return true;
  }
  return false;
}

/* Reads an integer of bits width as two's complement bits; `what` and index
 * name the value in messages ("DATA", 3). */
static qv_status read_int(reader *r, const qv_json_value *v, const char *what, int64_t index,
                          int bits, bool is_signed, uint64_t *out) {
  const char *s;
  int64_t n;
  uint32_t limbs[2];
  bool neg;
  if (!integer_text(v, &s, &n) || !qv__json_parse_decimal_magnitude(s, n, limbs, 2, &neg))
    return fail(r, v, QV_INVALID, "%s[%lld] is not an integer", what, (long long)index);
  uint64_t mag = (uint64_t)limbs[0] | ((uint64_t)limbs[1] << 32);
  bool ok;
  if (is_signed) {
    uint64_t limit = (uint64_t)1 << (bits - 1);
    ok = neg ? mag <= limit : mag < limit;
  } else {
    ok = (!neg || mag == 0) && (bits == 64 || mag < ((uint64_t)1 << bits));
  }
  if (!ok)
    return fail(r, v, QV_INVALID, "%s[%lld] = %.*s is out of range for %s %d-bit integers", what,
                (long long)index, (int)(n > 60 ? 60 : n), s, is_signed ? "signed" : "unsigned",
                bits);
  *out = neg ? ~mag + 1u : mag;
  return QV_OK;
}

/* The integer layout behind a fixed-width type, or bits = 0 if it is not
 * integer-backed. */
static void int_layout(qv_type_id id, int *bits, bool *is_signed) {
  *is_signed = true;
  switch (id) {
    case QV_INT8: *bits = 8; break;
    case QV_INT16: *bits = 16; break;
    case QV_INT32: case QV_DATE32: case QV_TIME32: case QV_INTERVAL_MONTHS: *bits = 32; break;
    case QV_INT64: case QV_DATE64: case QV_TIME64: case QV_TIMESTAMP: case QV_DURATION: *bits = 64; break;
    case QV_UINT8: *bits = 8; *is_signed = false; break;
    case QV_UINT16: *bits = 16; *is_signed = false; break;
    case QV_UINT32: *bits = 32; *is_signed = false; break;
    case QV_UINT64: *bits = 64; *is_signed = false; break;
    default: *bits = 0; break;
  }
}

/* Nearest binary16 to a double, ties to even. */
static uint16_t double_to_half(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  uint16_t sign = (uint16_t)((b >> 48) & 0x8000);
  int exp = (int)((b >> 52) & 0x7FF);
  uint64_t mant = b & (((uint64_t)1 << 52) - 1);
  if (exp == 0x7FF) return (uint16_t)(sign | 0x7C00 | (mant ? 0x200 : 0));
  if (exp == 0) return sign; /* zero or a double subnormal: far below half's range */
  int e = exp - 1023;
  if (e > 15) return (uint16_t)(sign | 0x7C00);
  uint64_t m = mant | ((uint64_t)1 << 52);
  int shift = e >= -14 ? 42 : 42 + (-14 - e);
  if (shift > 63) return sign;
  uint64_t q = m >> shift, rem = m & (((uint64_t)1 << shift) - 1), half = (uint64_t)1 << (shift - 1);
  if (rem > half || (rem == half && (q & 1))) q++;
  uint32_t h = e >= -14 ? ((uint32_t)(e + 14) << 10) + (uint32_t)q : (uint32_t)q;
  if (h >= 0x7C00) h = 0x7C00;
  return (uint16_t)(sign | h);
}

static qv_status read_double(reader *r, const qv_json_value *v, int64_t index, double *out) {
  if (!qv__json_get_double(v, out))
    return fail(r, v, QV_INVALID, "DATA[%lld] is not a number", (long long)index);
  return QV_OK;
}

/* A decimal's unscaled integer as bytes/8 bytes of little-endian two's
 * complement. */
static qv_status read_decimal(reader *r, const qv_json_value *v, int64_t index, int bytes,
                              uint8_t *dst) {
  const char *s;
  int64_t n;
  uint32_t limbs[8];
  int n_limbs = bytes / 4;
  bool neg;
  if (!integer_text(v, &s, &n) || !qv__json_parse_decimal_magnitude(s, n, limbs, n_limbs, &neg))
    return fail(r, v, QV_INVALID, "DATA[%lld] is not a decimal integer that fits %d bits",
                (long long)index, bytes * 8);
  /* The magnitude must fit the signed range: below 2^(bits-1), or equal to
   * it for a negative value. */
  bool top_set = limbs[n_limbs - 1] & 0x80000000u;
  bool rest_zero = (limbs[n_limbs - 1] & 0x7FFFFFFFu) == 0;
  for (int k = 0; k < n_limbs - 1 && rest_zero; k++) rest_zero = limbs[k] == 0;
  if (top_set && !(neg && rest_zero))
    return fail(r, v, QV_INVALID, "DATA[%lld] is out of range for %d-bit decimals", (long long)index,
                bytes * 8);
  if (neg) { /* two's complement: invert and add one */
    uint64_t carry = 1;
    for (int k = 0; k < n_limbs; k++) {
      uint64_t x = (uint64_t)(uint32_t)~limbs[k] + carry;
      limbs[k] = (uint32_t)x;
      carry = x >> 32;
    }
  }
  for (int k = 0; k < n_limbs; k++) store_le(dst + 4 * k, limbs[k], 4);
  return QV_OK;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes a hex string into dst (n_bytes = len/2, checked by the caller). */
static qv_status decode_hex(reader *r, const qv_json_value *v, int64_t index, uint8_t *dst) {
  for (int64_t i = 0; i < v->u.string.len / 2; i++) {
    int hi = hex_value(v->u.string.data[2 * i]), lo = hex_value(v->u.string.data[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return fail(r, v, QV_INVALID, "DATA[%lld] is not a hex string", (long long)index);
    dst[i] = (uint8_t)(hi << 4 | lo);
  }
  return QV_OK;
}

/* Reads VALIDITY (count entries of 0 or 1). *out is NULL when no slot is null,
 * as a NULL validity buffer means "no nulls". */
static qv_status read_validity(reader *r, const qv_json_value *col, int64_t count, qv_buffer **out,
                               int64_t *null_count) {
  *out = NULL;
  *null_count = 0;
  const qv_json_value *v;
  QV_RETURN_NOT_OK(member_array_n(r, col, "VALIDITY", count, &v));
  qv_buffer *buf;
  QV_RETURN_NOT_OK(new_buffer(r, (count + 7) / 8, &buf));
  uint8_t *bits = qv_buffer_mutable_data(buf);
  int64_t nulls = 0;
  for (int64_t i = 0; i < count; i++) {
    const qv_json_value *x = &v->u.array.items[i];
    if (x->kind != QV_JSON_NUMBER || x->u.number.len != 1 ||
        (x->u.number.text[0] != '0' && x->u.number.text[0] != '1')) {
      qv_buffer_unref(buf);
      return fail(r, x, QV_INVALID, "VALIDITY[%lld] is not 0 or 1", (long long)i);
    }
    if (x->u.number.text[0] == '1')
      qv_bit_set(bits, i);
    else
      nulls++;
  }
  if (nulls == 0) {
    qv_buffer_unref(buf);
    buf = NULL;
  }
  *out = buf;
  *null_count = nulls;
  return QV_OK;
}

/* Reads n_entries offsets (key "OFFSET") of width 4 or 8 bytes into a new
 * buffer, checking they are non-negative and non-decreasing. */
static qv_status read_offsets(reader *r, const qv_json_value *col, int64_t n_entries, int width,
                              qv_buffer **out, int64_t *last) {
  *out = NULL;
  const qv_json_value *v;
  QV_RETURN_NOT_OK(member_array_n(r, col, "OFFSET", n_entries, &v));
  qv_buffer *buf;
  QV_RETURN_NOT_OK(new_buffer(r, n_entries * width, &buf));
  uint8_t *dst = qv_buffer_mutable_data(buf);
  int64_t prev = 0;
  for (int64_t i = 0; i < n_entries; i++) {
    uint64_t raw = 0;
    qv_status st = read_int(r, &v->u.array.items[i], "OFFSET", i, width * 8, true, &raw);
    int64_t x = (int64_t)raw;
    if (st == QV_OK && (x < 0 || x < prev))
      st = fail(r, &v->u.array.items[i], QV_INVALID, "OFFSET[%lld] = %lld is %s", (long long)i,
                (long long)x, x < 0 ? "negative" : "less than the previous offset");
    if (st != QV_OK) {
      qv_buffer_unref(buf);
      return st;
    }
    store_le(dst + i * width, raw, width);
    prev = x;
  }
  *last = n_entries > 0 ? prev : 0;
  *out = buf;
  return QV_OK;
}

/* ---- columns --------------------------------------------------------------- */

static qv_status build_column(reader *r, qv_data_type *type, int64_t dict_id, const char *name,
                              const qv_json_value *col, qv_array **out);
static qv_status get_dictionary(reader *r, int64_t id, const qv_json_value *at, qv_array **out);

/* Wraps qv_array_create, adding the column path to its error. */
static qv_status make_array(reader *r, const qv_json_value *col, qv_data_type *type, int64_t length,
                            int64_t null_count, qv_buffer *const *buffers, int32_t n_buffers,
                            qv_array *const *children, int32_t n_children, qv_array *dictionary,
                            qv_array **out) {
  qv_status st = qv_array_create(type, length, 0, null_count, buffers, n_buffers, children,
                                 n_children, dictionary, out, r->err);
  if (st != QV_OK) {
    *out = NULL;
    char msg[QV_ERROR_MESSAGE_SIZE];
    snprintf(msg, sizeof msg, "%s", r->err ? r->err->message : "");
    return fail(r, col, st, "%s", msg);
  }
  return QV_OK;
}

/* Fixed-width values (integers and their temporal aliases, floats, decimals,
 * intervals, fixed-size binary), booleans, and dictionary indices. */
static qv_status build_fixed(reader *r, qv_data_type *type, const qv_json_value *col,
                             int64_t count, qv_array *dictionary, qv_array **out) {
  qv_type_id id = qv_type_id_of(type);
  qv_data_type *phys = id == QV_DICTIONARY ? qv_type_dict_index(type) : type;
  qv_type_id pid = qv_type_id_of(phys);
  int64_t width = pid == QV_BOOL ? 0 : qv_type_byte_width(phys);
  int bits;
  bool is_signed;
  int_layout(pid, &bits, &is_signed);
  const qv_json_value *data;
  qv_buffer *bufs[2] = {NULL, NULL};
  int64_t nulls;
  QV_RETURN_NOT_OK(read_validity(r, col, count, &bufs[0], &nulls));
  qv_status st = member_array_n(r, col, "DATA", count, &data);
  if (st == QV_OK) st = new_buffer(r, pid == QV_BOOL ? (count + 7) / 8 : count * width, &bufs[1]);
  uint8_t *dst = st == QV_OK ? qv_buffer_mutable_data(bufs[1]) : NULL;
  const uint8_t *valid = bufs[0] ? qv_buffer_data(bufs[0]) : NULL;
  for (int64_t i = 0; st == QV_OK && i < count; i++) {
    const qv_json_value *v = &data->u.array.items[i];
    uint8_t *slot = dst + i * width;
    if (bits) {
      uint64_t raw = 0;
      st = read_int(r, v, "DATA", i, bits, is_signed, &raw);
      if (st != QV_OK) break;
      store_le(slot, raw, bits / 8);
      if (dictionary && (!valid || qv_bit_get(valid, i))) {
        bool negative = is_signed && ((raw >> (bits - 1)) & 1);
        uint64_t index = bits == 64 ? raw : raw & (((uint64_t)1 << bits) - 1);
        if (negative || index >= (uint64_t)qv_array_length(dictionary))
          st = fail(r, v, QV_INVALID, "DATA[%lld]: index %s is outside the dictionary's %lld values",
                    (long long)i, v->kind == QV_JSON_NUMBER ? v->u.number.text : v->u.string.data,
                    (long long)qv_array_length(dictionary));
      }
      continue;
    }
    switch (pid) {
      case QV_BOOL:
        if (v->kind != QV_JSON_BOOL)
          st = fail(r, v, QV_INVALID, "DATA[%lld] is not true or false", (long long)i);
        else if (v->u.boolean)
          qv_bit_set(dst, i);
        break;
      case QV_FLOAT16: {
        double d;
        st = read_double(r, v, i, &d);
        if (st == QV_OK) store_le(slot, double_to_half(d), 2);
        break;
      }
      case QV_FLOAT32: {
        double d;
        st = read_double(r, v, i, &d);
        if (st == QV_OK) {
          float f = (float)d;
          memcpy(slot, &f, 4);
        }
        break;
      }
      case QV_FLOAT64: {
        double d;
        st = read_double(r, v, i, &d);
        if (st == QV_OK) memcpy(slot, &d, 8);
        break;
      }
      case QV_DECIMAL128:
      case QV_DECIMAL256:
        st = read_decimal(r, v, i, (int)width, slot);
        break;
      case QV_INTERVAL_DAY_TIME:
      case QV_INTERVAL_MONTH_DAY_NANO: {
        static const char *const keys[] = {"months", "days", "milliseconds", "nanoseconds"};
        bool mdn = pid == QV_INTERVAL_MONTH_DAY_NANO;
        if (v->kind != QV_JSON_OBJECT) {
          st = fail(r, v, QV_INVALID, "DATA[%lld] is not an object", (long long)i);
          break;
        }
        int64_t pos = 0;
        for (int k = mdn ? 0 : 1; st == QV_OK && k < 4; k++) {
          if (k == (mdn ? 2 : 3)) continue;
          const qv_json_value *part = qv__json_object_get(v, keys[k]);
          int part_bits = k == 3 ? 64 : 32;
          uint64_t raw = 0;
          if (!part)
            st = fail(r, v, QV_INVALID, "DATA[%lld] has no \"%s\"", (long long)i, keys[k]);
          else
            st = read_int(r, part, keys[k], i, part_bits, true, &raw);
          store_le(slot + pos, raw, part_bits / 8);
          pos += part_bits / 8;
        }
        break;
      }
      case QV_FIXED_SIZE_BINARY:
        if (v->kind != QV_JSON_STRING || v->u.string.len != 2 * width)
          st = fail(r, v, QV_INVALID, "DATA[%lld] is not a hex string of %lld bytes", (long long)i,
                    (long long)width);
        else
          st = decode_hex(r, v, i, slot);
        break;
      default:
        st = fail(r, col, QV_INTERNAL, "no reader for this fixed-width type");
        break;
    }
  }
  if (st == QV_OK) st = make_array(r, col, type, count, nulls, bufs, 2, NULL, 0, dictionary, out);
  qv_buffer_unref(bufs[0]);
  qv_buffer_unref(bufs[1]);
  return st;
}

/* Binary and utf8 in both offset widths. OFFSET is checked against the
 * lengths of the DATA strings, then rebuilt from zero. */
static qv_status build_binary(reader *r, qv_data_type *type, const qv_json_value *col,
                              int64_t count, qv_array **out) {
  qv_type_id id = qv_type_id_of(type);
  bool utf8 = id == QV_UTF8 || id == QV_LARGE_UTF8;
  int width = id == QV_LARGE_UTF8 || id == QV_LARGE_BINARY ? 8 : 4;
  const qv_json_value *data, *offs;
  qv_buffer *bufs[3] = {NULL, NULL, NULL};
  int64_t nulls, total = 0;
  QV_RETURN_NOT_OK(read_validity(r, col, count, &bufs[0], &nulls));
  qv_status st = member_array_n(r, col, "DATA", count, &data);
  if (st == QV_OK) st = member_array_n(r, col, "OFFSET", count + 1, &offs);
  uint64_t prev = 0;
  for (int64_t i = 0; st == QV_OK && i <= count; i++) {
    uint64_t cur = 0;
    st = read_int(r, &offs->u.array.items[i], "OFFSET", i, width * 8, true, &cur);
    if (st != QV_OK || i == 0) {
      prev = cur;
      continue;
    }
    const qv_json_value *v = &data->u.array.items[i - 1];
    if (v->kind != QV_JSON_STRING) {
      st = fail(r, v, QV_INVALID, "DATA[%lld] is not a string", (long long)(i - 1));
      break;
    }
    int64_t len = utf8 ? v->u.string.len : v->u.string.len / 2;
    if (!utf8 && v->u.string.len % 2 != 0)
      st = fail(r, v, QV_INVALID, "DATA[%lld] is not a hex string", (long long)(i - 1));
    else if ((int64_t)(cur - prev) != len)
      st = fail(r, &offs->u.array.items[i], QV_INVALID,
                "OFFSET[%lld] - OFFSET[%lld] = %lld but DATA[%lld] has %lld bytes", (long long)i,
                (long long)(i - 1), (long long)(cur - prev), (long long)(i - 1), (long long)len);
    total += len;
    prev = cur;
    if (st == QV_OK && width == 4 && total > INT32_MAX)
      st = fail(r, col, QV_INVALID, "more than 2^31-1 bytes of data for 32-bit offsets");
  }
  if (st == QV_OK) st = new_buffer(r, (count + 1) * width, &bufs[1]);
  if (st == QV_OK) st = new_buffer(r, total, &bufs[2]);
  if (st == QV_OK) {
    uint8_t *o = qv_buffer_mutable_data(bufs[1]), *d = qv_buffer_mutable_data(bufs[2]);
    int64_t pos = 0;
    for (int64_t i = 0; st == QV_OK && i < count; i++) {
      const qv_json_value *v = &data->u.array.items[i];
      store_le(o + i * width, (uint64_t)pos, width);
      if (utf8) {
        if (v->u.string.len) memcpy(d + pos, v->u.string.data, (size_t)v->u.string.len);
        pos += v->u.string.len;
      } else {
        st = decode_hex(r, v, i, d + pos);
        pos += v->u.string.len / 2;
      }
    }
    store_le(o + count * width, (uint64_t)pos, width);
  }
  if (st == QV_OK) st = make_array(r, col, type, count, nulls, bufs, 3, NULL, 0, NULL, out);
  for (int i = 0; i < 3; i++) qv_buffer_unref(bufs[i]);
  return st;
}

/* Builds the child columns of col ("children", one per child field of type)
 * into kids; want_len[i] >= 0 requires that exact length. */
static qv_status build_children(reader *r, qv_data_type *type, const qv_json_value *col,
                                qv_array **kids, int64_t exact_len) {
  int32_t n = qv_type_num_children(type);
  const qv_json_value *children;
  QV_RETURN_NOT_OK(member(r, col, "children", QV_JSON_ARRAY, n > 0, &children));
  int64_t have = children ? children->u.array.count : 0;
  if (have != n)
    return fail(r, children ? children : col, QV_INVALID, "has %lld children, expected %d",
                (long long)have, (int)n);
  for (int32_t i = 0; i < n; i++) {
    qv_field *f = qv_type_child(type, i);
    QV_RETURN_NOT_OK(build_column(r, qv_field_type(f), qv_field_dictionary_id(f), qv_field_name(f),
                                  &children->u.array.items[i], &kids[i]));
    if (exact_len >= 0 && qv_array_length(kids[i]) != exact_len)
      return fail(r, &children->u.array.items[i], QV_INVALID,
                  "child '%s' has count %lld, expected %lld", qv_field_name(f),
                  (long long)qv_array_length(kids[i]), (long long)exact_len);
  }
  return QV_OK;
}

/* Struct, list, large list, map, fixed-size list and unions. */
static qv_status build_nested(reader *r, qv_data_type *type, const qv_json_value *col,
                              int64_t count, qv_array **out) {
  qv_type_id id = qv_type_id_of(type);
  int32_t n_kids = qv_type_num_children(type);
  qv_array **kids = n_kids ? qv_alloc_zeroed(r->alloc, n_kids * (int64_t)sizeof *kids) : NULL;
  if (n_kids && !kids) return nomem(r);
  qv_buffer *bufs[2] = {NULL, NULL};
  int32_t n_bufs = 1;
  int64_t nulls = 0, last = 0;
  qv_status st = QV_OK;
  switch (id) {
    case QV_STRUCT:
      st = read_validity(r, col, count, &bufs[0], &nulls);
      if (st == QV_OK) st = build_children(r, type, col, kids, count);
      break;
    case QV_FIXED_SIZE_LIST: {
      int64_t size = qv_type_list_size(type);
      if (size > 0 && count > INT64_MAX / size) {
        st = fail(r, col, QV_INVALID, "count %lld times listSize %lld overflows", (long long)count,
                  (long long)size);
        break;
      }
      st = read_validity(r, col, count, &bufs[0], &nulls);
      if (st == QV_OK) st = build_children(r, type, col, kids, count * size);
      break;
    }
    case QV_LIST:
    case QV_LARGE_LIST:
    case QV_MAP:
      n_bufs = 2;
      st = read_validity(r, col, count, &bufs[0], &nulls);
      if (st == QV_OK)
        st = read_offsets(r, col, count + 1, id == QV_LARGE_LIST ? 8 : 4, &bufs[1], &last);
      if (st == QV_OK) st = build_children(r, type, col, kids, -1);
      if (st == QV_OK && qv_array_length(kids[0]) < last)
        st = fail(r, col, QV_INVALID, "the last offset is %lld but the child has count %lld",
                  (long long)last, (long long)qv_array_length(kids[0]));
      break;
    case QV_SPARSE_UNION:
    case QV_DENSE_UNION: {
      bool dense = id == QV_DENSE_UNION;
      const int8_t *codes = qv_type_union_codes(type);
      int32_t child_of[128];
      for (int i = 0; i < 128; i++) child_of[i] = -1;
      for (int32_t i = 0; i < n_kids; i++) child_of[codes[i]] = i;
      const qv_json_value *tids, *offs = NULL;
      n_bufs = dense ? 2 : 1;
      st = member_array_n(r, col, "TYPE_ID", count, &tids);
      if (st == QV_OK && dense) st = member_array_n(r, col, "OFFSET", count, &offs);
      if (st == QV_OK) st = build_children(r, type, col, kids, dense ? -1 : count);
      if (st == QV_OK) st = new_buffer(r, count, &bufs[0]);
      if (st == QV_OK && dense) st = new_buffer(r, count * 4, &bufs[1]);
      for (int64_t i = 0; st == QV_OK && i < count; i++) {
        uint64_t code = 0, off = 0;
        st = read_int(r, &tids->u.array.items[i], "TYPE_ID", i, 8, true, &code);
        if (st == QV_OK && ((int64_t)(int8_t)code < 0 || child_of[(int8_t)code] < 0))
          st = fail(r, &tids->u.array.items[i], QV_INVALID, "TYPE_ID[%lld] = %d is not a type id of the union",
                    (long long)i, (int)(int8_t)code);
        if (st != QV_OK) break;
        qv_buffer_mutable_data(bufs[0])[i] = (uint8_t)code;
        if (!dense) continue;
        st = read_int(r, &offs->u.array.items[i], "OFFSET", i, 32, true, &off);
        int64_t child_len = st == QV_OK ? qv_array_length(kids[child_of[(int8_t)code]]) : 0;
        if (st == QV_OK && ((int64_t)(int32_t)off < 0 || (int64_t)(int32_t)off >= child_len))
          st = fail(r, &offs->u.array.items[i], QV_INVALID,
                    "OFFSET[%lld] = %d is outside child %d of count %lld", (long long)i,
                    (int)(int32_t)off, (int)child_of[(int8_t)code], (long long)child_len);
        if (st == QV_OK) store_le(qv_buffer_mutable_data(bufs[1]) + 4 * i, off, 4);
      }
      break;
    }
    default:
      st = fail(r, col, QV_INTERNAL, "no reader for this nested type");
      break;
  }
  if (st == QV_OK) st = make_array(r, col, type, count, nulls, bufs, n_bufs, kids, n_kids, NULL, out);
  for (int32_t i = 0; i < n_kids; i++) qv_array_unref(kids[i]);
  if (kids) qv_free(r->alloc, kids, n_kids * (int64_t)sizeof *kids);
  qv_buffer_unref(bufs[0]);
  qv_buffer_unref(bufs[1]);
  return st;
}

/* Builds the array of one column object. name, when not NULL, must equal the
 * column's "name". */
static qv_status build_column(reader *r, qv_data_type *type, int64_t dict_id, const char *name,
                              const qv_json_value *col, qv_array **out) {
  *out = NULL;
  if (col->kind != QV_JSON_OBJECT) return fail(r, col, QV_INVALID, "a column is not an object");
  const qv_json_value *cname;
  QV_RETURN_NOT_OK(member_string(r, col, "name", &cname));
  size_t saved = path_push(r, cname->u.string.data);
  int64_t count;
  qv_status st = QV_OK;
  if (name && strcmp(name, cname->u.string.data) != 0)
    st = fail(r, cname, QV_INVALID, "column name does not match the field name '%s'", name);
  if (st == QV_OK) st = member_int(r, col, "count", true, 0, 0, INT64_MAX, &count);
  if (st == QV_OK) {
    qv_type_id id = qv_type_id_of(type);
    switch (id) {
      case QV_NA:
        st = make_array(r, col, type, count, count, NULL, 0, NULL, 0, NULL, out);
        break;
      case QV_DICTIONARY: {
        qv_array *dict;
        st = get_dictionary(r, dict_id, col, &dict);
        if (st == QV_OK) st = build_fixed(r, type, col, count, dict, out);
        break;
      }
      case QV_BINARY: case QV_LARGE_BINARY: case QV_UTF8: case QV_LARGE_UTF8:
        st = build_binary(r, type, col, count, out);
        break;
      case QV_LIST: case QV_LARGE_LIST: case QV_FIXED_SIZE_LIST: case QV_STRUCT: case QV_MAP:
      case QV_SPARSE_UNION: case QV_DENSE_UNION:
        st = build_nested(r, type, col, count, out);
        break;
      default:
        st = build_fixed(r, type, col, count, NULL, out);
        break;
    }
  }
  path_pop(r, saved);
  return st;
}

/* The values of dictionary id, built on first use. Borrowed: the reader keeps
 * the reference. */
static qv_status get_dictionary(reader *r, int64_t id, const qv_json_value *at, qv_array **out) {
  *out = NULL;
  dict_entry *d = find_dict(r, id);
  if (!d) return fail(r, at, QV_INTERNAL, "dictionary id %lld is not declared", (long long)id);
  if (d->state == DICT_BUILT) {
    *out = d->values;
    return QV_OK;
  }
  if (d->state == DICT_BUILDING)
    return fail(r, at, QV_INVALID, "dictionary %lld contains itself", (long long)id);
  if (!d->json)
    return fail(r, at, QV_INVALID, "dictionary %lld is not in \"dictionaries\"", (long long)id);
  /* Errors inside name the dictionary, not the column that needed it. */
  char where[sizeof r->where], path[sizeof r->path];
  const char *label = r->label;
  size_t path_len = r->path_len;
  memcpy(where, r->where, sizeof where);
  memcpy(path, r->path, sizeof path);
  snprintf(r->where, sizeof r->where, "dictionary %lld", (long long)id);
  r->label = "column";
  path_pop(r, 0);
  d->state = DICT_BUILDING;
  int64_t count;
  const qv_json_value *cols;
  qv_array *values = NULL;
  qv_status st = member_int(r, d->json, "count", true, 0, 0, INT64_MAX, &count);
  if (st == QV_OK) st = member_array_n(r, d->json, "columns", 1, &cols);
  if (st == QV_OK) st = build_column(r, d->value_type, -1, NULL, &cols->u.array.items[0], &values);
  if (st == QV_OK && qv_array_length(values) != count)
    st = fail(r, &cols->u.array.items[0], QV_INVALID, "the column has count %lld, expected %lld",
              (long long)qv_array_length(values), (long long)count);
  /* d is still valid: the table only grows while the schema is read. */
  if (st == QV_OK) {
    d->values = values;
    d->state = DICT_BUILT;
    *out = values;
  } else {
    qv_array_unref(values);
    d->state = DICT_PENDING;
  }
  memcpy(r->where, where, sizeof where);
  memcpy(r->path, path, sizeof path);
  r->path_len = path_len;
  r->label = label;
  return st;
}

/* ---- files ----------------------------------------------------------------- */

void qv__integration_file_init(qv_integration_file *f) {
  memset(f, 0, sizeof *f);
  f->alloc = qv_default_allocator();
}

void qv__integration_file_reset(qv_integration_file *f) {
  if (!f) return;
  qv_allocator *a = f->alloc ? f->alloc : qv_default_allocator();
  for (int64_t i = 0; i < f->n_dictionaries; i++) qv_array_unref(f->dictionaries[i].values);
  if (f->dictionaries) qv_free(a, f->dictionaries, f->n_dictionaries * (int64_t)sizeof *f->dictionaries);
  for (int64_t i = 0; i < f->n_batches; i++) qv_record_batch_unref(f->batches[i]);
  if (f->batches) qv_free(a, f->batches, f->n_batches * (int64_t)sizeof *f->batches);
  qv_schema_unref(f->schema);
  memset(f, 0, sizeof *f);
  f->alloc = a;
}

static qv_status read_dictionaries(reader *r, const qv_json_value *root, qv_integration_file *f) {
  const qv_json_value *list;
  QV_RETURN_NOT_OK(member(r, root, "dictionaries", QV_JSON_ARRAY, false, &list));
  int64_t n = list ? list->u.array.count : 0;
  for (int64_t i = 0; i < n; i++) {
    const qv_json_value *e = &list->u.array.items[i], *data;
    int64_t id;
    snprintf(r->where, sizeof r->where, "dictionaries[%lld]", (long long)i);
    if (e->kind != QV_JSON_OBJECT) return fail(r, e, QV_INVALID, "not an object");
    QV_RETURN_NOT_OK(member_int(r, e, "id", true, 0, 0, INT64_MAX, &id));
    QV_RETURN_NOT_OK(member(r, e, "data", QV_JSON_OBJECT, true, &data));
    dict_entry *d = find_dict(r, id);
    if (!d) return fail(r, e, QV_INVALID, "no field uses dictionary id %lld", (long long)id);
    if (d->json) return fail(r, e, QV_INVALID, "dictionary id %lld appears twice", (long long)id);
    d->json = data;
    d->file_index = i;
  }
  if (n == 0) return QV_OK;
  /* Zeroed entries are safe to reset, so the count is the capacity. */
  f->dictionaries = qv_alloc_zeroed(r->alloc, n * (int64_t)sizeof *f->dictionaries);
  if (!f->dictionaries) return nomem(r);
  f->n_dictionaries = n;
  for (int64_t k = 0; k < r->n_dicts; k++) {
    dict_entry *d = &r->dicts[k];
    if (d->file_index < 0) continue;
    qv_array *values;
    QV_RETURN_NOT_OK(get_dictionary(r, d->id, d->json, &values));
    f->dictionaries[d->file_index].id = d->id;
    f->dictionaries[d->file_index].values = qv_array_ref(values);
  }
  return QV_OK;
}

static qv_status read_batches(reader *r, const qv_json_value *root, qv_integration_file *f) {
  const qv_json_value *list;
  snprintf(r->where, sizeof r->where, "file");
  QV_RETURN_NOT_OK(member(r, root, "batches", QV_JSON_ARRAY, true, &list));
  int64_t n = list->u.array.count;
  if (n == 0) return QV_OK;
  f->batches = qv_alloc_zeroed(r->alloc, n * (int64_t)sizeof *f->batches);
  if (!f->batches) return nomem(r);
  f->n_batches = n; /* NULL entries are safe to reset */
  int32_t n_fields = qv_schema_num_fields(f->schema);
  qv_array **cols = n_fields ? qv_alloc_zeroed(r->alloc, n_fields * (int64_t)sizeof *cols) : NULL;
  if (n_fields && !cols) return nomem(r);
  qv_status st = QV_OK;
  for (int64_t b = 0; st == QV_OK && b < n; b++) {
    const qv_json_value *bj = &list->u.array.items[b], *cj;
    int64_t count;
    snprintf(r->where, sizeof r->where, "batch %lld", (long long)b);
    st = bj->kind == QV_JSON_OBJECT ? QV_OK : fail(r, bj, QV_INVALID, "not an object");
    if (st == QV_OK) st = member_int(r, bj, "count", true, 0, 0, INT64_MAX, &count);
    if (st == QV_OK) st = member_array_n(r, bj, "columns", n_fields, &cj);
    int32_t built = 0;
    for (int32_t i = 0; st == QV_OK && i < n_fields; i++) {
      qv_field *fld = qv_schema_field(f->schema, i);
      st = build_column(r, qv_field_type(fld), qv_field_dictionary_id(fld), qv_field_name(fld),
                        &cj->u.array.items[i], &cols[i]);
      if (st != QV_OK) break;
      built++;
      if (qv_array_length(cols[i]) != count)
        st = fail(r, &cj->u.array.items[i], QV_INVALID,
                  "column '%s' has count %lld but the batch has count %lld", qv_field_name(fld),
                  (long long)qv_array_length(cols[i]), (long long)count);
    }
    if (st == QV_OK) {
      st = qv_record_batch_create(f->schema, count, cols, n_fields, &f->batches[b], r->err);
      if (st != QV_OK) f->batches[b] = NULL;
    }
    for (int32_t i = 0; i < built; i++) qv_array_unref(cols[i]);
    if (n_fields) memset(cols, 0, (size_t)n_fields * sizeof *cols);
  }
  if (cols) qv_free(r->alloc, cols, n_fields * (int64_t)sizeof *cols);
  return st;
}

qv_status qv__integration_json_parse(qv_allocator *alloc, const char *text, int64_t len,
                                     qv_integration_file *out, qv_error *err) {
  if (!alloc) alloc = qv_default_allocator();
  memset(out, 0, sizeof *out);
  out->alloc = alloc;
  reader r = {.alloc = alloc, .err = err, .label = "field"};
  snprintf(r.where, sizeof r.where, "schema");
  qv_arena arena;
  qv_arena_init(&arena, alloc);
  const qv_json_value *root, *sj;
  qv_status st = qv__json_parse(&arena, text, len, 0, &root, err);
  if (st == QV_OK && root->kind != QV_JSON_OBJECT)
    st = fail(&r, root, QV_INVALID, "the document is not an object");
  if (st == QV_OK) st = member(&r, root, "schema", QV_JSON_OBJECT, true, &sj);
  if (st == QV_OK) st = parse_schema(&r, sj, &out->schema);
  r.label = "column";
  if (st == QV_OK) st = read_dictionaries(&r, root, out);
  if (st == QV_OK) st = read_batches(&r, root, out);
  for (int64_t i = 0; i < r.n_dicts; i++) {
    qv_type_unref(r.dicts[i].value_type);
    qv_array_unref(r.dicts[i].values);
  }
  if (r.dicts) qv_free(alloc, r.dicts, r.cap_dicts * (int64_t)sizeof *r.dicts);
  qv_arena_reset(&arena);
  if (st != QV_OK) qv__integration_file_reset(out);
  return st;
}

qv_status qv__integration_json_read_file(qv_allocator *alloc, const char *path,
                                         qv_integration_file *out, qv_error *err) {
  if (!alloc) alloc = qv_default_allocator();
  memset(out, 0, sizeof *out);
  out->alloc = alloc;
  errno = 0;
  gzFile gz = gzopen(path, "rb");
  if (!gz) {
    int e = errno;
    return qv_error_set(err, e == ENOENT ? QV_NOT_FOUND : QV_IO, "integration json: %s: %s", path,
                        e ? strerror(e) : "cannot open");
  }
  qv_bytes text;
  qv_bytes_init(&text, alloc);
  qv_status st = QV_OK;
  for (;;) {
    st = qv_bytes_reserve(&text, 1 << 20, err);
    if (st != QV_OK) break;
    int n = gzread(gz, text.data + text.size, 1u << 20);
    if (n < 0) {
      int zerr;
      const char *msg = gzerror(gz, &zerr);
      st = qv_error_set(err, QV_IO, "integration json: %s: %s", path,
                        zerr == Z_ERRNO ? strerror(errno) : msg);
      break;
    }
    if (n == 0) {
      /* A gzip stream cut short ends like a file: gzerror tells them apart. */
      int zerr;
      const char *msg = gzerror(gz, &zerr);
      if (zerr != Z_OK)
        st = qv_error_set(err, QV_IO, "integration json: %s: %s", path,
                          zerr == Z_BUF_ERROR ? "truncated gzip stream" : msg);
      break;
    }
    text.size += n;
  }
  if (gzclose(gz) != Z_OK && st == QV_OK)
    st = qv_error_set(err, QV_IO, "integration json: %s: truncated or corrupt gzip stream", path);
  if (st == QV_OK) {
    st = qv__integration_json_parse(alloc, (const char *)text.data, text.size, out, err);
    if (st != QV_OK) qv_error_prefix(err, "%s", path);
  }
  qv_bytes_reset(&text);
  return st;
}
