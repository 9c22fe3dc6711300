/* Session state and its builder: typed configuration settable from strings,
 * the registries of user scalar and aggregate functions and of extension
 * codecs, and the allocator that query memory pools draw from. A built state
 * is immutable and shared. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arrow/internal.h"
#include "expr/session_internal.h"

typedef struct config {
  int32_t target_partitions;
  int32_t batch_size;
  int64_t memory_limit;
  bool prefer_hash_join;
  int64_t collect_left_max_rows;
} config;

/* A registered function, shared by the builder and every state built from it;
 * the user's destroy runs when the last holder goes. */
typedef struct udf_entry {
  atomic_int_fast64_t refcount;
  bool aggregate;
  qv_scalar_udf scalar;
  qv_aggregate_udf agg;
  char *name;
  int32_t n_arg_types;
  qv_data_type **arg_types;
  qv_field **state_fields;
} udf_entry;

typedef struct registry {
  int32_t n;
  int32_t cap;
  udf_entry **items;
} registry;

/* A registered extension codec, shared like udf_entry. */
typedef struct codec_entry {
  atomic_int_fast64_t refcount;
  qv_extension_codec codec; /* codec.name points at name */
  char *name;
} codec_entry;

typedef struct codec_registry {
  int32_t n;
  int32_t cap;
  codec_entry **items;
} codec_registry;

struct qv_session_state_builder {
  config cfg;
  registry udfs;
  codec_registry codecs;
};

struct qv_session_state {
  atomic_int_fast64_t refcount;
  config cfg;
  registry udfs;
  codec_registry codecs;
};

static void entry_unref(udf_entry *e) {
  if (!e || atomic_fetch_sub(&e->refcount, 1) != 1) return;
  for (int32_t i = 0; i < e->n_arg_types; i++) qv_type_unref(e->arg_types[i]);
  free(e->arg_types);
  if (e->aggregate) {
    for (int32_t i = 0; i < e->agg.n_state_fields; i++) qv_field_unref(e->state_fields[i]);
    free(e->state_fields);
    qv_type_unref(e->agg.return_type);
    if (e->agg.destroy) e->agg.destroy(e->agg.user_data);
  } else {
    qv_type_unref(e->scalar.return_type);
    if (e->scalar.destroy) e->scalar.destroy(e->scalar.user_data);
  }
  free(e->name);
  free(e);
}

static void registry_reset(registry *r) {
  for (int32_t i = 0; i < r->n; i++) entry_unref(r->items[i]);
  free(r->items);
  memset(r, 0, sizeof *r);
}

static qv_status registry_copy(const registry *src, registry *dst, qv_error *err) {
  memset(dst, 0, sizeof *dst);
  if (!src->n) return QV_OK;
  dst->items = calloc((size_t)src->n, sizeof *dst->items);
  if (!dst->items) return qv_error_set(err, QV_NOMEM, "session: out of memory");
  for (int32_t i = 0; i < src->n; i++) {
    atomic_fetch_add(&src->items[i]->refcount, 1);
    dst->items[i] = src->items[i];
  }
  dst->n = dst->cap = src->n;
  return QV_OK;
}

/* Adds e (taking over its reference), replacing an entry of the same name and kind. */
static qv_status registry_put(registry *r, udf_entry *e, qv_error *err) {
  for (int32_t i = 0; i < r->n; i++) {
    if (r->items[i]->aggregate == e->aggregate && strcasecmp(r->items[i]->name, e->name) == 0) {
      entry_unref(r->items[i]);
      r->items[i] = e;
      return QV_OK;
    }
  }
  if (r->n == r->cap) {
    int32_t cap = r->cap ? r->cap * 2 : 8;
    udf_entry **items = realloc(r->items, (size_t)cap * sizeof *items);
    if (!items) {
      entry_unref(e);
      return qv_error_set(err, QV_NOMEM, "session: out of memory");
    }
    r->items = items;
    r->cap = cap;
  }
  r->items[r->n++] = e;
  return QV_OK;
}

static const udf_entry *registry_find(const registry *r, const char *name, bool aggregate) {
  for (int32_t i = 0; i < r->n; i++)
    if (r->items[i]->aggregate == aggregate && strcasecmp(r->items[i]->name, name) == 0) return r->items[i];
  return NULL;
}

static void codec_unref(codec_entry *e) {
  if (!e || atomic_fetch_sub(&e->refcount, 1) != 1) return;
  if (e->codec.destroy) e->codec.destroy(e->codec.user_data);
  free(e->name);
  free(e);
}

static void codecs_reset(codec_registry *r) {
  for (int32_t i = 0; i < r->n; i++) codec_unref(r->items[i]);
  free(r->items);
  memset(r, 0, sizeof *r);
}

static qv_status codecs_copy(const codec_registry *src, codec_registry *dst, qv_error *err) {
  memset(dst, 0, sizeof *dst);
  if (!src->n) return QV_OK;
  dst->items = calloc((size_t)src->n, sizeof *dst->items);
  if (!dst->items) return qv_error_set(err, QV_NOMEM, "session: out of memory");
  for (int32_t i = 0; i < src->n; i++) {
    atomic_fetch_add(&src->items[i]->refcount, 1);
    dst->items[i] = src->items[i];
  }
  dst->n = dst->cap = src->n;
  return QV_OK;
}

/* Adds e (taking over its reference), replacing a codec of the same name. */
static qv_status codecs_put(codec_registry *r, codec_entry *e, qv_error *err) {
  for (int32_t i = 0; i < r->n; i++) {
    if (strcmp(r->items[i]->name, e->name) == 0) {
      codec_unref(r->items[i]);
      r->items[i] = e;
      return QV_OK;
    }
  }
  if (r->n == r->cap) {
    int32_t cap = r->cap ? r->cap * 2 : 4;
    codec_entry **items = realloc(r->items, (size_t)cap * sizeof *items);
    if (!items) {
      codec_unref(e);
      return qv_error_set(err, QV_NOMEM, "session: out of memory");
    }
    r->items = items;
    r->cap = cap;
  }
  r->items[r->n++] = e;
  return QV_OK;
}

static void config_defaults(config *c) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  c->target_partitions = cores > 0 ? (int32_t)cores : 1;
  c->batch_size = 8192;
  c->memory_limit = 0;
  c->prefer_hash_join = true;
  c->collect_left_max_rows = 1000000;
}

static qv_status parse_int(const char *key, const char *value, int64_t lo, int64_t hi, bool byte_suffix,
                           int64_t *out, qv_error *err) {
  errno = 0;
  char *end = NULL;
  long long v = strtoll(value, &end, 10);
  if (end == value || errno) goto bad;
  if (byte_suffix && *end) {
    int64_t mul = 1;
    switch (tolower((unsigned char)*end)) {
      case 'k': mul = 1024; break;
      case 'm': mul = 1024 * 1024; break;
      case 'g': mul = 1024LL * 1024 * 1024; break;
      default: goto bad;
    }
    end++;
    if (v > INT64_MAX / mul) goto bad;
    v *= mul;
  }
  if (*end || v < lo || v > hi) goto bad;
  *out = v;
  return QV_OK;
bad:
  return qv_error_set(err, QV_INVALID, "config '%s': invalid value '%s' (expected an integer in [%lld, %lld]%s)",
                      key, value, (long long)lo, (long long)hi, byte_suffix ? ", optionally with k/m/g" : "");
}

static qv_status parse_bool(const char *key, const char *value, bool *out, qv_error *err) {
  if (!strcasecmp(value, "true") || !strcmp(value, "1")) *out = true;
  else if (!strcasecmp(value, "false") || !strcmp(value, "0")) *out = false;
  else return qv_error_set(err, QV_INVALID, "config '%s': invalid value '%s' (expected true or false)", key, value);
  return QV_OK;
}

static qv_status config_set(config *c, const char *key, const char *value, qv_error *err) {
  int64_t v;
  if (!strcmp(key, "target_partitions")) {
    QV_RETURN_NOT_OK(parse_int(key, value, 1, 4096, false, &v, err));
    c->target_partitions = (int32_t)v;
  } else if (!strcmp(key, "batch_size")) {
    QV_RETURN_NOT_OK(parse_int(key, value, 1, 1 << 24, false, &v, err));
    c->batch_size = (int32_t)v;
  } else if (!strcmp(key, "memory_limit")) {
    QV_RETURN_NOT_OK(parse_int(key, value, 0, INT64_MAX, true, &c->memory_limit, err));
  } else if (!strcmp(key, "prefer_hash_join")) {
    QV_RETURN_NOT_OK(parse_bool(key, value, &c->prefer_hash_join, err));
  } else if (!strcmp(key, "collect_left_max_rows")) {
    QV_RETURN_NOT_OK(parse_int(key, value, 0, INT64_MAX, false, &c->collect_left_max_rows, err));
  } else {
    return qv_error_set(err, QV_NOT_FOUND, "config: unknown key '%s'", key);
  }
  return QV_OK;
}

qv_status qv_session_state_builder_create(qv_session_state_builder **out, qv_error *err) {
  *out = calloc(1, sizeof **out);
  if (!*out) return qv_error_set(err, QV_NOMEM, "session: out of memory");
  config_defaults(&(*out)->cfg);
  return QV_OK;
}

void qv_session_state_builder_destroy(qv_session_state_builder *b) {
  if (!b) return;
  registry_reset(&b->udfs);
  codecs_reset(&b->codecs);
  free(b);
}

qv_status qv_session_state_builder_set_config(qv_session_state_builder *b, const char *key, const char *value,
                                              qv_error *err) {
  if (!key || !value) return qv_error_set(err, QV_INVALID, "config: NULL key or value");
  return config_set(&b->cfg, key, value, err);
}

static qv_status entry_new(const char *name, int32_t n_args, qv_data_type *const *arg_types, bool aggregate,
                           udf_entry **out, qv_error *err) {
  *out = NULL;
  if (!name || !*name) return qv_error_set(err, QV_INVALID, "udf: missing name");
  if (n_args < 0 || (n_args > 0 && !arg_types))
    return qv_error_set(err, QV_INVALID, "udf '%s': bad argument type list", name);
  udf_entry *e = calloc(1, sizeof *e);
  if (!e) return qv_error_set(err, QV_NOMEM, "udf: out of memory");
  atomic_init(&e->refcount, 1);
  e->aggregate = aggregate;
  e->name = strdup(name);
  e->arg_types = calloc((size_t)(n_args ? n_args : 1), sizeof *e->arg_types);
  if (!e->name || !e->arg_types) {
    free(e->name);
    free(e->arg_types);
    free(e);
    return qv_error_set(err, QV_NOMEM, "udf: out of memory");
  }
  for (int32_t i = 0; i < n_args; i++) e->arg_types[i] = qv_type_ref(arg_types[i]);
  e->n_arg_types = n_args;
  *out = e;
  return QV_OK;
}

qv_status qv_session_state_builder_add_scalar_udf(qv_session_state_builder *b, const qv_scalar_udf *udf,
                                                  qv_error *err) {
  if (!udf->invoke) return qv_error_set(err, QV_INVALID, "udf '%s': no invoke function", udf->name ? udf->name : "");
  if (!udf->return_type && !udf->return_type_fn)
    return qv_error_set(err, QV_INVALID, "udf '%s': neither a return type nor a resolver", udf->name ? udf->name : "");
  /* With a resolver the argument types may be left open (arg_types NULL);
   * n_args still fixes the arity (-1: variadic). */
  if (!udf->arg_types && !udf->return_type_fn)
    return qv_error_set(err, QV_INVALID, "udf '%s': no argument types", udf->name ? udf->name : "");
  udf_entry *e;
  QV_RETURN_NOT_OK(entry_new(udf->name, udf->arg_types ? udf->n_args : 0, udf->arg_types, false, &e, err));
  e->scalar = *udf;
  e->scalar.name = e->name;
  e->scalar.arg_types = udf->arg_types ? e->arg_types : NULL;
  e->scalar.return_type = qv_type_ref(udf->return_type);
  return registry_put(&b->udfs, e, err);
}

qv_status qv_session_state_builder_add_aggregate_udf(qv_session_state_builder *b, const qv_aggregate_udf *udf,
                                                     qv_error *err) {
  if (!udf->create_accumulator || !udf->return_type || udf->n_state_fields < 1 || !udf->state_fields)
    return qv_error_set(err, QV_INVALID, "aggregate udf '%s': incomplete definition", udf->name ? udf->name : "");
  udf_entry *e;
  QV_RETURN_NOT_OK(entry_new(udf->name, udf->n_args, udf->arg_types, true, &e, err));
  e->state_fields = calloc((size_t)udf->n_state_fields, sizeof *e->state_fields);
  if (!e->state_fields) {
    entry_unref(e);
    return qv_error_set(err, QV_NOMEM, "udf: out of memory");
  }
  e->agg = *udf;
  e->agg.name = e->name;
  e->agg.arg_types = e->arg_types;
  e->agg.return_type = qv_type_ref(udf->return_type);
  for (int32_t i = 0; i < udf->n_state_fields; i++) e->state_fields[i] = qv_field_ref(udf->state_fields[i]);
  e->agg.state_fields = e->state_fields;
  return registry_put(&b->udfs, e, err);
}

qv_status qv_session_state_builder_add_extension_codec(qv_session_state_builder *b,
                                                       const qv_extension_codec *codec, qv_error *err) {
  if (!codec || !codec->name || !*codec->name)
    return qv_error_set(err, QV_INVALID, "extension codec: missing name");
  if (!codec->encode || !codec->decode)
    return qv_error_set(err, QV_INVALID, "extension codec '%s': needs both encode and decode", codec->name);
  codec_entry *e = calloc(1, sizeof *e);
  if (e) e->name = strdup(codec->name);
  if (!e || !e->name) {
    free(e);
    if (codec->destroy) codec->destroy(codec->user_data);
    return qv_error_set(err, QV_NOMEM, "extension codec '%s': out of memory", codec->name);
  }
  atomic_init(&e->refcount, 1);
  e->codec = *codec;
  e->codec.name = e->name;
  return codecs_put(&b->codecs, e, err);
}

qv_status qv_session_state_builder_build(qv_session_state_builder *b, qv_session_state **out, qv_error *err) {
  *out = NULL;
  qv_session_state *s = calloc(1, sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "session: out of memory");
  atomic_init(&s->refcount, 1);
  s->cfg = b->cfg;
  qv_status st = registry_copy(&b->udfs, &s->udfs, err);
  if (st == QV_OK) {
    st = codecs_copy(&b->codecs, &s->codecs, err);
    if (st != QV_OK) registry_reset(&s->udfs);
  }
  if (st != QV_OK) {
    free(s);
    return st;
  }
  *out = s;
  return QV_OK;
}

qv_status qv_session_state_create_default(qv_session_state **out, qv_error *err) {
  qv_session_state_builder *b;
  QV_RETURN_NOT_OK(qv_session_state_builder_create(&b, err));
  qv_status st = qv_session_state_builder_build(b, out, err);
  qv_session_state_builder_destroy(b);
  return st;
}

qv_session_state *qv_session_state_ref(qv_session_state *s) {
  if (s) atomic_fetch_add(&s->refcount, 1);
  return s;
}

void qv_session_state_unref(qv_session_state *s) {
  if (!s || atomic_fetch_sub(&s->refcount, 1) != 1) return;
  registry_reset(&s->udfs);
  codecs_reset(&s->codecs);
  free(s);
}

int32_t qv_session_target_partitions(const qv_session_state *s) { return s->cfg.target_partitions; }
int32_t qv_session_batch_size(const qv_session_state *s) { return s->cfg.batch_size; }
int64_t qv_session_memory_limit(const qv_session_state *s) { return s->cfg.memory_limit; }

qv_status qv_session_config_get(const qv_session_state *s, const char *key, char *buf, size_t buf_size,
                                qv_error *err) {
  const config *c = &s->cfg;
  if (!strcmp(key, "target_partitions")) snprintf(buf, buf_size, "%d", c->target_partitions);
  else if (!strcmp(key, "batch_size")) snprintf(buf, buf_size, "%d", c->batch_size);
  else if (!strcmp(key, "memory_limit")) snprintf(buf, buf_size, "%lld", (long long)c->memory_limit);
  else if (!strcmp(key, "prefer_hash_join")) snprintf(buf, buf_size, "%s", c->prefer_hash_join ? "true" : "false");
  else if (!strcmp(key, "collect_left_max_rows")) snprintf(buf, buf_size, "%lld", (long long)c->collect_left_max_rows);
  else return qv_error_set(err, QV_NOT_FOUND, "config: unknown key '%s'", key);
  return QV_OK;
}

const qv_scalar_udf *qv__session_find_scalar_udf(const qv_session_state *s, const char *name) {
  const udf_entry *e = registry_find(&s->udfs, name, false);
  return e ? &e->scalar : NULL;
}

const qv_aggregate_udf *qv__session_find_aggregate_udf(const qv_session_state *s, const char *name) {
  const udf_entry *e = registry_find(&s->udfs, name, true);
  return e ? &e->agg : NULL;
}

const qv_extension_codec *qv__session_find_extension_codec(const qv_session_state *s, const char *name) {
  if (!s || !name) return NULL;
  for (int32_t i = 0; i < s->codecs.n; i++)
    if (strcmp(s->codecs.items[i]->name, name) == 0) return &s->codecs.items[i]->codec;
  return NULL;
}

qv_allocator *qv__session_allocator(const qv_session_state *s) {
  (void)s;
  return qv_default_allocator();
}
