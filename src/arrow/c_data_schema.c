/* The ArrowSchema half of the C Data Interface: types, fields and schemas to
 * and from format strings, flags, names and binary-encoded metadata.
 *
 * Export copies everything into a private block per ArrowSchema node, so an
 * exported schema never refers back to Quiver objects and each node (children
 * and dictionary included) can be released on its own after being moved out
 * of its parent. Import reads the tree, builds Quiver types and fields, and
 * releases the input; the format grammar is parsed strictly, every number is
 * range-checked, and nesting is capped so a hostile tree cannot recurse
 * without bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "quiver/c_data.h"

#define MAX_DEPTH 64

/* ---- export ------------------------------------------------------------- */

typedef struct schema_private {
  char *format;
  char *name;
  char *metadata;
  struct ArrowSchema **child_ptrs;
  struct ArrowSchema *child_structs;
  struct ArrowSchema *dictionary;
} schema_private;

static void release_schema(struct ArrowSchema *s) {
  if (!s || !s->release) return;
  for (int64_t i = 0; i < s->n_children; i++) {
    struct ArrowSchema *child = s->children[i];
    if (child->release) child->release(child);
  }
  if (s->dictionary && s->dictionary->release) s->dictionary->release(s->dictionary);
  schema_private *p = s->private_data;
  if (p) {
    free(p->format);
    free(p->name);
    free(p->metadata);
    free(p->child_ptrs);
    free(p->child_structs);
    free(p->dictionary);
    free(p);
  }
  s->release = NULL;
  s->private_data = NULL;
}

static qv_status nomem(qv_error *err, const char *what) {
  return qv_error_set(err, QV_NOMEM, "c data: out of memory exporting %s", what);
}

static char unit_char(qv_time_unit u) {
  switch (u) {
    case QV_SECOND: return 's';
    case QV_MILLI: return 'm';
    case QV_MICRO: return 'u';
    case QV_NANO: return 'n';
  }
  return '?';
}

/* The format string of a non-dictionary type, in malloc'd memory. */
static qv_status format_of(const qv_data_type *t, char **out, qv_error *err) {
  const char *fixed = NULL;
  char small[64];
  switch (t->id) {
    case QV_NA: fixed = "n"; break;
    case QV_BOOL: fixed = "b"; break;
    case QV_INT8: fixed = "c"; break;
    case QV_UINT8: fixed = "C"; break;
    case QV_INT16: fixed = "s"; break;
    case QV_UINT16: fixed = "S"; break;
    case QV_INT32: fixed = "i"; break;
    case QV_UINT32: fixed = "I"; break;
    case QV_INT64: fixed = "l"; break;
    case QV_UINT64: fixed = "L"; break;
    case QV_FLOAT16: fixed = "e"; break;
    case QV_FLOAT32: fixed = "f"; break;
    case QV_FLOAT64: fixed = "g"; break;
    case QV_DATE32: fixed = "tdD"; break;
    case QV_DATE64: fixed = "tdm"; break;
    case QV_INTERVAL_MONTHS: fixed = "tiM"; break;
    case QV_INTERVAL_DAY_TIME: fixed = "tiD"; break;
    case QV_INTERVAL_MONTH_DAY_NANO: fixed = "tin"; break;
    case QV_BINARY: fixed = "z"; break;
    case QV_LARGE_BINARY: fixed = "Z"; break;
    case QV_UTF8: fixed = "u"; break;
    case QV_LARGE_UTF8: fixed = "U"; break;
    case QV_LIST: fixed = "+l"; break;
    case QV_LARGE_LIST: fixed = "+L"; break;
    case QV_STRUCT: fixed = "+s"; break;
    case QV_MAP: fixed = "+m"; break;
    case QV_DECIMAL128:
      snprintf(small, sizeof small, "d:%d,%d", (int)t->precision, (int)t->scale);
      fixed = small;
      break;
    case QV_DECIMAL256:
      snprintf(small, sizeof small, "d:%d,%d,256", (int)t->precision, (int)t->scale);
      fixed = small;
      break;
    case QV_TIME32: case QV_TIME64:
      snprintf(small, sizeof small, "tt%c", unit_char(t->unit));
      fixed = small;
      break;
    case QV_DURATION:
      snprintf(small, sizeof small, "tD%c", unit_char(t->unit));
      fixed = small;
      break;
    case QV_FIXED_SIZE_BINARY:
      snprintf(small, sizeof small, "w:%d", (int)t->byte_width);
      fixed = small;
      break;
    case QV_FIXED_SIZE_LIST:
      snprintf(small, sizeof small, "+w:%d", (int)t->list_size);
      fixed = small;
      break;
    case QV_TIMESTAMP: {
      const char *tz = t->timezone ? t->timezone : "";
      size_t n = strlen(tz) + 5;
      char *s = malloc(n);
      if (!s) return nomem(err, "a format string");
      snprintf(s, n, "ts%c:%s", unit_char(t->unit), tz);
      *out = s;
      return QV_OK;
    }
    case QV_SPARSE_UNION: case QV_DENSE_UNION: {
      size_t n = 5 + (size_t)t->n_children * 5;
      char *s = malloc(n);
      if (!s) return nomem(err, "a format string");
      size_t len = (size_t)snprintf(s, n, "+u%c:", t->id == QV_DENSE_UNION ? 'd' : 's');
      for (int32_t i = 0; i < t->n_children; i++)
        len += (size_t)snprintf(s + len, n - len, i ? ",%d" : "%d", (int)t->type_codes[i]);
      *out = s;
      return QV_OK;
    }
    case QV_DICTIONARY: case QV_TYPE_ID_COUNT:
      break;
  }
  if (!fixed) return qv_error_set(err, QV_INVALID, "c data: cannot export type id %d", (int)t->id);
  *out = strdup(fixed);
  return *out ? QV_OK : nomem(err, "a format string");
}

/* Encodes metadata as the specification's int32 count, then for each pair
 * int32 key length, key bytes, int32 value length, value bytes (native
 * endianness). NULL when there is no metadata. */
static qv_status encode_metadata(const qv_metadata *m, char **out, qv_error *err) {
  *out = NULL;
  int64_t count = qv_metadata_count(m);
  if (count == 0) return QV_OK;
  if (count > INT32_MAX)
    return qv_error_set(err, QV_INVALID, "c data: %lld metadata pairs is too many",
                        (long long)count);
  size_t total = 4;
  for (int64_t i = 0; i < count; i++) {
    if (m->key_lens[i] > INT32_MAX || m->value_lens[i] > INT32_MAX)
      return qv_error_set(err, QV_INVALID, "c data: metadata entry %lld is too long for int32",
                          (long long)i);
    total += 8 + (size_t)m->key_lens[i] + (size_t)m->value_lens[i];
  }
  char *buf = malloc(total);
  if (!buf) return nomem(err, "metadata");
  char *p = buf;
  int32_t n32 = (int32_t)count;
  memcpy(p, &n32, 4);
  p += 4;
  for (int64_t i = 0; i < count; i++) {
    int32_t kl = (int32_t)m->key_lens[i], vl = (int32_t)m->value_lens[i];
    memcpy(p, &kl, 4);
    p += 4;
    memcpy(p, m->keys[i], (size_t)kl);
    p += kl;
    memcpy(p, &vl, 4);
    p += 4;
    memcpy(p, m->values[i], (size_t)vl);
    p += vl;
  }
  *out = buf;
  return QV_OK;
}

static qv_status export_node(const char *name, const qv_data_type *t, bool nullable,
                             const qv_metadata *md, int depth, struct ArrowSchema *out,
                             qv_error *err);

/* Starts a node in *tmp with its name, flags and metadata; release_schema(tmp)
 * undoes a partial node. */
static qv_status begin_node(const char *name, int64_t flags, const qv_metadata *md,
                            struct ArrowSchema *tmp, qv_error *err) {
  memset(tmp, 0, sizeof *tmp);
  schema_private *p = calloc(1, sizeof *p);
  if (!p) return nomem(err, "a schema");
  tmp->release = release_schema;
  tmp->private_data = p;
  tmp->flags = flags;
  p->name = strdup(name ? name : "");
  if (!p->name) return nomem(err, "a name");
  tmp->name = p->name;
  QV_RETURN_NOT_OK(encode_metadata(md, &p->metadata, err));
  tmp->metadata = p->metadata;
  return QV_OK;
}

/* Exports fields[0..n) as the children of the node in *tmp. */
static qv_status export_children(qv_field *const *fields, int32_t n, int depth,
                                 struct ArrowSchema *tmp, qv_error *err) {
  if (n == 0) return QV_OK;
  schema_private *p = tmp->private_data;
  p->child_ptrs = calloc((size_t)n, sizeof *p->child_ptrs);
  p->child_structs = calloc((size_t)n, sizeof *p->child_structs);
  if (!p->child_ptrs || !p->child_structs) return nomem(err, "schema children");
  for (int32_t i = 0; i < n; i++) p->child_ptrs[i] = &p->child_structs[i];
  tmp->children = p->child_ptrs;
  tmp->n_children = n; /* unfilled children have release == NULL and are skipped */
  for (int32_t i = 0; i < n; i++) {
    const qv_field *f = fields[i];
    qv_status st = export_node(f->name, f->type, f->nullable, f->metadata, depth + 1,
                               &p->child_structs[i], err);
    if (st != QV_OK) {
      qv_error_prefix(err, "field '%s'", f->name);
      return st;
    }
  }
  return QV_OK;
}

/* Fills *out (on success only) with a node for a field-like triple. */
static qv_status export_node(const char *name, const qv_data_type *t, bool nullable,
                             const qv_metadata *md, int depth, struct ArrowSchema *out,
                             qv_error *err) {
  if (depth > MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "c data: type nested deeper than %d levels", MAX_DEPTH);
  int64_t flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  if (t->id == QV_DICTIONARY && t->dict_ordered) flags |= ARROW_FLAG_DICTIONARY_ORDERED;
  if (t->id == QV_MAP && t->keys_sorted) flags |= ARROW_FLAG_MAP_KEYS_SORTED;
  struct ArrowSchema tmp;
  qv_status st = begin_node(name, flags, md, &tmp, err);
  if (st != QV_OK) goto fail;
  schema_private *p = tmp.private_data;
  const qv_data_type *storage = t;
  if (t->id == QV_DICTIONARY) {
    storage = t->dict_index;
    p->dictionary = calloc(1, sizeof *p->dictionary);
    if (!p->dictionary) {
      st = nomem(err, "a schema");
      goto fail;
    }
    st = export_node("", t->dict_value, true, NULL, depth + 1, p->dictionary, err);
    if (st != QV_OK) goto fail;
    tmp.dictionary = p->dictionary;
  }
  st = format_of(storage, &p->format, err);
  if (st != QV_OK) goto fail;
  tmp.format = p->format;
  st = export_children(storage->children, storage->n_children, depth, &tmp, err);
  if (st != QV_OK) goto fail;
  *out = tmp;
  return QV_OK;
fail:
  release_schema(&tmp);
  return st;
}

qv_status qv_type_export(const qv_data_type *type, struct ArrowSchema *out, qv_error *err) {
  if (!type || !out) return qv_error_set(err, QV_INVALID, "c data: NULL argument");
  return export_node("", type, true, NULL, 0, out, err);
}

qv_status qv_field_export(const qv_field *field, struct ArrowSchema *out, qv_error *err) {
  if (!field || !out) return qv_error_set(err, QV_INVALID, "c data: NULL argument");
  return export_node(field->name, field->type, field->nullable, field->metadata, 0, out, err);
}

qv_status qv_schema_export(const qv_schema *schema, struct ArrowSchema *out, qv_error *err) {
  if (!schema || !out) return qv_error_set(err, QV_INVALID, "c data: NULL argument");
  struct ArrowSchema tmp;
  qv_status st = begin_node("", 0, schema->metadata, &tmp, err);
  schema_private *p = tmp.private_data;
  if (st == QV_OK) {
    p->format = strdup("+s");
    if (!p->format) st = nomem(err, "a format string");
    tmp.format = p->format;
  }
  if (st == QV_OK) st = export_children(schema->fields, schema->n_fields, 0, &tmp, err);
  if (st != QV_OK) {
    release_schema(&tmp);
    return st;
  }
  *out = tmp;
  return QV_OK;
}

/* ---- import ------------------------------------------------------------- */

static qv_status bad_format(qv_error *err, const char *fmt) {
  return qv_error_set(err, QV_INVALID, "c data: malformed format string '%s'", fmt);
}

/* Parses a decimal integer in [lo, hi] at *p and advances *p. */
static bool parse_int(const char **p, long lo, long hi, long *out) {
  const char *s = *p;
  bool neg = false;
  if (*s == '-') {
    neg = true;
    s++;
  }
  if (*s < '0' || *s > '9') return false;
  long v = 0;
  while (*s >= '0' && *s <= '9') {
    v = v * 10 + (*s - '0');
    if (v > 1000000000L) return false;
    s++;
  }
  if (neg) v = -v;
  if (v < lo || v > hi) return false;
  *p = s;
  *out = v;
  return true;
}

static bool unit_of(char c, qv_time_unit *u) {
  switch (c) {
    case 's': *u = QV_SECOND; return true;
    case 'm': *u = QV_MILLI; return true;
    case 'u': *u = QV_MICRO; return true;
    case 'n': *u = QV_NANO; return true;
    default: return false;
  }
}

/* Types that have a one-character format and no children. */
static qv_type_id primitive_of(char c) {
  switch (c) {
    case 'n': return QV_NA;
    case 'b': return QV_BOOL;
    case 'c': return QV_INT8;
    case 'C': return QV_UINT8;
    case 's': return QV_INT16;
    case 'S': return QV_UINT16;
    case 'i': return QV_INT32;
    case 'I': return QV_UINT32;
    case 'l': return QV_INT64;
    case 'L': return QV_UINT64;
    case 'e': return QV_FLOAT16;
    case 'f': return QV_FLOAT32;
    case 'g': return QV_FLOAT64;
    case 'z': return QV_BINARY;
    case 'Z': return QV_LARGE_BINARY;
    case 'u': return QV_UTF8;
    case 'U': return QV_LARGE_UTF8;
    default: return QV_TYPE_ID_COUNT;
  }
}

static qv_status import_type_node(const struct ArrowSchema *s, int depth, qv_data_type **out,
                                  qv_error *err);

/* Decodes the binary metadata string (NULL or zero pairs -> *out NULL). */
static qv_status decode_metadata(const char *md, qv_metadata **out, qv_error *err) {
  *out = NULL;
  if (!md) return QV_OK;
  int32_t n;
  memcpy(&n, md, 4);
  if (n < 0) return qv_error_set(err, QV_INVALID, "c data: metadata has %d pairs", (int)n);
  if (n == 0) return QV_OK;
  qv_metadata *m;
  QV_RETURN_NOT_OK(qv_metadata_create(&m, err));
  const char *p = md + 4;
  for (int32_t i = 0; i < n; i++) {
    int32_t kl, vl;
    memcpy(&kl, p, 4);
    if (kl < 0) goto bad;
    const char *key = p + 4;
    p = key + kl;
    memcpy(&vl, p, 4);
    if (vl < 0) goto bad;
    const char *value = p + 4;
    p = value + vl;
    qv_status st = qv_metadata_append(m, key, kl, value, vl, err);
    if (st != QV_OK) {
      qv_metadata_destroy(m);
      return st;
    }
  }
  *out = m;
  return QV_OK;
bad:
  qv_metadata_destroy(m);
  return qv_error_set(err, QV_INVALID, "c data: metadata has a negative length");
}

/* Imports the field described by node s. force_non_null overrides the
 * nullable flag (map entries and keys, which Arrow requires non-nullable but
 * some producers flag otherwise). */
static qv_status import_field_node(const struct ArrowSchema *s, int depth, bool force_non_null,
                                   qv_field **out, qv_error *err) {
  if (!s) return qv_error_set(err, QV_INVALID, "c data: NULL child schema");
  const char *name = s->name ? s->name : "";
  qv_data_type *type;
  qv_status st = import_type_node(s, depth, &type, err);
  if (st != QV_OK) {
    qv_error_prefix(err, "field '%s'", name);
    return st;
  }
  qv_metadata *md;
  st = decode_metadata(s->metadata, &md, err);
  if (st == QV_OK) {
    bool nullable = !force_non_null && (s->flags & ARROW_FLAG_NULLABLE);
    st = qv_field_create(name, type, nullable, md, out, err);
    qv_metadata_destroy(md);
  }
  qv_type_unref(type);
  if (st != QV_OK) qv_error_prefix(err, "field '%s'", name);
  return st;
}

static void unref_fields(qv_field **fields, int64_t n) {
  for (int64_t i = 0; i < n; i++) qv_field_unref(fields[i]);
  free(fields);
}

/* Imports all children of s as fields (n_children of them). */
static qv_status import_children(const struct ArrowSchema *s, int depth, qv_field ***out,
                                 qv_error *err) {
  *out = NULL;
  if (s->n_children == 0) return QV_OK;
  if (!s->children) return qv_error_set(err, QV_INVALID, "c data: children pointer is NULL");
  qv_field **fields = calloc((size_t)s->n_children, sizeof *fields);
  if (!fields) return qv_error_set(err, QV_NOMEM, "c data: out of memory importing a schema");
  for (int64_t i = 0; i < s->n_children; i++) {
    qv_status st = import_field_node(s->children[i], depth + 1, false, &fields[i], err);
    if (st != QV_OK) {
      unref_fields(fields, i);
      return st;
    }
  }
  *out = fields;
  return QV_OK;
}

static qv_status expect_children(const struct ArrowSchema *s, int64_t n, qv_error *err) {
  if (s->n_children == n) return QV_OK;
  return qv_error_set(err, QV_INVALID, "c data: format '%s' needs %lld children, got %lld",
                      s->format, (long long)n, (long long)s->n_children);
}

/* "+m": one child "+s" of (key, value); keys and entries are non-nullable. */
static qv_status import_map(const struct ArrowSchema *s, int depth, qv_data_type **out,
                            qv_error *err) {
  QV_RETURN_NOT_OK(expect_children(s, 1, err));
  const struct ArrowSchema *e = s->children ? s->children[0] : NULL;
  if (!e || !e->format || strcmp(e->format, "+s") != 0 || e->n_children != 2 || !e->children ||
      e->dictionary)
    return qv_error_set(err, QV_INVALID, "c data: map entries must be a struct of two fields");
  qv_field *kv[2] = {NULL, NULL};
  qv_status st = import_field_node(e->children[0], depth + 2, true, &kv[0], err);
  if (st == QV_OK) st = import_field_node(e->children[1], depth + 2, false, &kv[1], err);
  qv_data_type *st_type = NULL;
  if (st == QV_OK) st = qv_type_struct(kv, 2, &st_type, err);
  qv_field_unref(kv[0]);
  qv_field_unref(kv[1]);
  if (st != QV_OK) return st;
  qv_metadata *md = NULL;
  qv_field *entries = NULL;
  st = decode_metadata(e->metadata, &md, err);
  if (st == QV_OK)
    st = qv_field_create(e->name && e->name[0] ? e->name : "entries", st_type, false, md,
                         &entries, err);
  qv_metadata_destroy(md);
  qv_type_unref(st_type);
  if (st != QV_OK) return st;
  st = qv_type_map(entries, (s->flags & ARROW_FLAG_MAP_KEYS_SORTED) != 0, out, err);
  qv_field_unref(entries);
  return st;
}

/* "+ud:1,2" / "+us:" ... */
static qv_status import_union(const struct ArrowSchema *s, int depth, qv_data_type **out,
                              qv_error *err) {
  const char *f = s->format;
  qv_type_id id = f[2] == 'd' ? QV_DENSE_UNION : QV_SPARSE_UNION;
  if ((f[2] != 'd' && f[2] != 's') || f[3] != ':') return bad_format(err, f);
  if (s->n_children > 128)
    return qv_error_set(err, QV_INVALID, "c data: union with %lld children",
                        (long long)s->n_children);
  int8_t codes[128];
  int32_t n = 0;
  const char *p = f + 4;
  while (*p) {
    long v;
    if (n == 128 || !parse_int(&p, 0, 127, &v)) return bad_format(err, f);
    codes[n++] = (int8_t)v;
    if (*p == ',') {
      p++;
      if (!*p) return bad_format(err, f);
    } else if (*p) {
      return bad_format(err, f);
    }
  }
  QV_RETURN_NOT_OK(expect_children(s, n, err));
  qv_field **fields;
  QV_RETURN_NOT_OK(import_children(s, depth, &fields, err));
  qv_status st = qv_type_union(id, fields, codes, n, out, err);
  unref_fields(fields, n);
  return st;
}

/* Types whose format starts with 't'. */
static qv_status import_temporal(const char *f, qv_data_type **out, qv_error *err) {
  qv_time_unit u;
  switch (f[1]) {
    case 'd':
      if (strcmp(f, "tdD") == 0) return (*out = qv_type_primitive(QV_DATE32)), QV_OK;
      if (strcmp(f, "tdm") == 0) return (*out = qv_type_primitive(QV_DATE64)), QV_OK;
      break;
    case 'i':
      if (strcmp(f, "tiM") == 0) return (*out = qv_type_primitive(QV_INTERVAL_MONTHS)), QV_OK;
      if (strcmp(f, "tiD") == 0) return (*out = qv_type_primitive(QV_INTERVAL_DAY_TIME)), QV_OK;
      if (strcmp(f, "tin") == 0)
        return (*out = qv_type_primitive(QV_INTERVAL_MONTH_DAY_NANO)), QV_OK;
      break;
    case 't':
      if (!unit_of(f[2], &u) || f[3]) break;
      return qv_type_time(u == QV_SECOND || u == QV_MILLI ? QV_TIME32 : QV_TIME64, u, out, err);
    case 'D':
      if (!unit_of(f[2], &u) || f[3]) break;
      return qv_type_time(QV_DURATION, u, out, err);
    case 's':
      /* "tsu:" + timezone; an empty timezone is a naive timestamp. */
      if (!unit_of(f[2], &u) || (f[3] && f[3] != ':')) break;
      return qv_type_timestamp(u, f[3] && f[4] ? f + 4 : NULL, out, err);
    default:
      break;
  }
  return bad_format(err, f);
}

static qv_status import_type_node(const struct ArrowSchema *s, int depth, qv_data_type **out,
                                  qv_error *err) {
  if (depth > MAX_DEPTH)
    return qv_error_set(err, QV_INVALID, "c data: schema nested deeper than %d levels",
                        MAX_DEPTH);
  const char *f = s->format;
  if (!f) return qv_error_set(err, QV_INVALID, "c data: schema without a format string");
  if (!f[0]) return bad_format(err, f);
  if (s->n_children < 0 || (s->n_children > 0 && !s->children))
    return qv_error_set(err, QV_INVALID, "c data: format '%s' has %lld children but no pointers",
                        f, (long long)s->n_children);
  if (s->dictionary) {
    /* The format is the index type; the dictionary node is the value type. */
    qv_type_id index_id = f[0] && !f[1] ? primitive_of(f[0]) : QV_TYPE_ID_COUNT;
    if (index_id == QV_TYPE_ID_COUNT || !qv_type_is_integer(index_id))
      return qv_error_set(err, QV_INVALID,
                          "c data: dictionary index format '%s' is not an integer type", f);
    QV_RETURN_NOT_OK(expect_children(s, 0, err));
    qv_data_type *value;
    qv_status st = import_type_node(s->dictionary, depth + 1, &value, err);
    if (st != QV_OK) {
      qv_error_prefix(err, "dictionary");
      return st;
    }
    st = qv_type_dictionary(qv_type_primitive(index_id), value,
                            (s->flags & ARROW_FLAG_DICTIONARY_ORDERED) != 0, out, err);
    qv_type_unref(value);
    return st;
  }
  const char *p;
  long a, b, bits;
  switch (f[0]) {
    case 'd':
      /* "d:P,S" (decimal128) or "d:P,S,BITS" */
      p = f + 1;
      if (*p++ != ':' || !parse_int(&p, 1, 1000, &a) || *p++ != ',' ||
          !parse_int(&p, -100000, 100000, &b))
        return bad_format(err, f);
      bits = 128;
      if (*p == ',') {
        p++;
        if (!parse_int(&p, 0, 100000, &bits)) return bad_format(err, f);
      }
      if (*p) return bad_format(err, f);
      QV_RETURN_NOT_OK(expect_children(s, 0, err));
      if (bits != 128 && bits != 256)
        return qv_error_set(err, QV_NOT_IMPLEMENTED, "c data: decimal%ld ('%s') is not supported",
                            bits, f);
      return qv_type_decimal(bits == 128 ? QV_DECIMAL128 : QV_DECIMAL256, (int32_t)a, (int32_t)b,
                             out, err);
    case 'w':
      p = f + 1;
      if (*p++ != ':' || !parse_int(&p, 0, INT32_MAX, &a) || *p) return bad_format(err, f);
      QV_RETURN_NOT_OK(expect_children(s, 0, err));
      return qv_type_fixed_size_binary((int32_t)a, out, err);
    case 't':
      QV_RETURN_NOT_OK(expect_children(s, 0, err));
      return import_temporal(f, out, err);
    case 'v':
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "c data: view type '%s' is not supported", f);
    case '+':
      break;
    default: {
      qv_type_id id = f[1] ? QV_TYPE_ID_COUNT : primitive_of(f[0]);
      if (id == QV_TYPE_ID_COUNT) return bad_format(err, f);
      QV_RETURN_NOT_OK(expect_children(s, 0, err));
      *out = qv_type_primitive(id);
      return QV_OK;
    }
  }
  /* Nested types. */
  qv_field **fields;
  qv_status st;
  switch (f[1]) {
    case 'l': case 'L':
      if (f[2]) return bad_format(err, f);
      QV_RETURN_NOT_OK(expect_children(s, 1, err));
      QV_RETURN_NOT_OK(import_children(s, depth, &fields, err));
      st = qv_type_list(f[1] == 'l' ? QV_LIST : QV_LARGE_LIST, fields[0], out, err);
      unref_fields(fields, 1);
      return st;
    case 'w':
      p = f + 2;
      if (*p++ != ':' || !parse_int(&p, 0, INT32_MAX, &a) || *p) return bad_format(err, f);
      QV_RETURN_NOT_OK(expect_children(s, 1, err));
      QV_RETURN_NOT_OK(import_children(s, depth, &fields, err));
      st = qv_type_fixed_size_list(fields[0], (int32_t)a, out, err);
      unref_fields(fields, 1);
      return st;
    case 's':
      if (f[2]) return bad_format(err, f);
      if (s->n_children > INT32_MAX) return bad_format(err, f);
      QV_RETURN_NOT_OK(import_children(s, depth, &fields, err));
      st = qv_type_struct(fields, (int32_t)s->n_children, out, err);
      unref_fields(fields, s->n_children);
      return st;
    case 'm':
      if (f[2]) return bad_format(err, f);
      return import_map(s, depth, out, err);
    case 'u':
      return import_union(s, depth, out, err);
    case 'v': case 'r':
      return qv_error_set(err, QV_NOT_IMPLEMENTED, "c data: format '%s' is not supported", f);
    default:
      return bad_format(err, f);
  }
}

/* Releases a moved-in ArrowSchema (the caller's struct is left released). */
static void consume(struct ArrowSchema *in) {
  if (in->release) in->release(in);
  in->release = NULL;
}

static qv_status check_input(struct ArrowSchema *in, qv_error *err) {
  if (!in) return qv_error_set(err, QV_INVALID, "c data: NULL ArrowSchema");
  if (!in->release) return qv_error_set(err, QV_INVALID, "c data: ArrowSchema is released");
  return QV_OK;
}

qv_status qv_type_import(struct ArrowSchema *in, qv_data_type **out, qv_error *err) {
  *out = NULL;
  QV_RETURN_NOT_OK(check_input(in, err));
  qv_status st = import_type_node(in, 0, out, err);
  consume(in);
  return st;
}

qv_status qv_field_import(struct ArrowSchema *in, qv_field **out, qv_error *err) {
  *out = NULL;
  QV_RETURN_NOT_OK(check_input(in, err));
  qv_status st = import_field_node(in, 0, false, out, err);
  consume(in);
  return st;
}

qv_status qv_schema_import(struct ArrowSchema *in, qv_schema **out, qv_error *err) {
  *out = NULL;
  QV_RETURN_NOT_OK(check_input(in, err));
  qv_status st = QV_OK;
  qv_field **fields = NULL;
  qv_metadata *md = NULL;
  if (!in->format || strcmp(in->format, "+s") != 0 || in->dictionary) {
    st = qv_error_set(err, QV_INVALID, "c data: a schema must have format '+s', not '%s'",
                      in->format ? in->format : "(null)");
  } else if (in->n_children < 0 || in->n_children > INT32_MAX) {
    st = qv_error_set(err, QV_INVALID, "c data: schema with %lld fields",
                      (long long)in->n_children);
  }
  if (st == QV_OK) st = import_children(in, 0, &fields, err);
  if (st == QV_OK) st = decode_metadata(in->metadata, &md, err);
  if (st == QV_OK) st = qv_schema_create(fields, (int32_t)in->n_children, md, out, err);
  qv_metadata_destroy(md);
  if (fields) unref_fields(fields, in->n_children);
  consume(in);
  return st;
}
