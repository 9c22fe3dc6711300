/* Ordered key-value metadata of fields and schemas (Arrow's custom_metadata).
 * Keys and values are byte strings; each copy is also NUL-terminated so that
 * text values can be used directly. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"

qv_status qv_metadata_create(qv_metadata **out, qv_error *err) {
  *out = calloc(1, sizeof **out);
  return *out ? QV_OK : qv_error_set(err, QV_NOMEM, "metadata: out of memory");
}

void qv_metadata_destroy(qv_metadata *m) {
  if (!m) return;
  for (int64_t i = 0; i < m->count; i++) {
    free(m->keys[i]);
    free(m->values[i]);
  }
  free(m->keys);
  free(m->values);
  free(m->key_lens);
  free(m->value_lens);
  free(m);
}

static char *dup_bytes(const char *s, int64_t n) {
  char *p = malloc((size_t)n + 1);
  if (!p) return NULL;
  if (n) memcpy(p, s, (size_t)n);
  p[n] = '\0';
  return p;
}

static qv_status grow(qv_metadata *m, qv_error *err) {
  if (m->count < m->capacity) return QV_OK;
  int64_t cap = m->capacity ? m->capacity * 2 : 4;
  char **k = realloc(m->keys, (size_t)cap * sizeof *k);
  if (k) m->keys = k;
  char **v = realloc(m->values, (size_t)cap * sizeof *v);
  if (v) m->values = v;
  int64_t *kl = realloc(m->key_lens, (size_t)cap * sizeof *kl);
  if (kl) m->key_lens = kl;
  int64_t *vl = realloc(m->value_lens, (size_t)cap * sizeof *vl);
  if (vl) m->value_lens = vl;
  if (!k || !v || !kl || !vl) return qv_error_set(err, QV_NOMEM, "metadata: out of memory");
  m->capacity = cap;
  return QV_OK;
}

qv_status qv_metadata_append(qv_metadata *m, const char *key, int64_t key_len, const char *value,
                             int64_t value_len, qv_error *err) {
  if (key_len < 0 || value_len < 0) return qv_error_set(err, QV_INVALID, "metadata: negative length");
  QV_RETURN_NOT_OK(grow(m, err));
  char *k = dup_bytes(key, key_len);
  char *v = dup_bytes(value, value_len);
  if (!k || !v) {
    free(k);
    free(v);
    return qv_error_set(err, QV_NOMEM, "metadata: out of memory");
  }
  m->keys[m->count] = k;
  m->key_lens[m->count] = key_len;
  m->values[m->count] = v;
  m->value_lens[m->count] = value_len;
  m->count++;
  return QV_OK;
}

qv_status qv_metadata_copy(const qv_metadata *m, qv_metadata **out, qv_error *err) {
  *out = NULL;
  if (!m) return QV_OK;
  qv_metadata *c;
  QV_RETURN_NOT_OK(qv_metadata_create(&c, err));
  for (int64_t i = 0; i < m->count; i++) {
    qv_status st = qv_metadata_append(c, m->keys[i], m->key_lens[i], m->values[i], m->value_lens[i], err);
    if (st != QV_OK) {
      qv_metadata_destroy(c);
      return st;
    }
  }
  *out = c;
  return QV_OK;
}

int64_t qv_metadata_count(const qv_metadata *m) { return m ? m->count : 0; }

void qv_metadata_get(const qv_metadata *m, int64_t i, const char **key, int64_t *key_len, const char **value,
                     int64_t *value_len) {
  if (key) *key = m->keys[i];
  if (key_len) *key_len = m->key_lens[i];
  if (value) *value = m->values[i];
  if (value_len) *value_len = m->value_lens[i];
}

const char *qv_metadata_find(const qv_metadata *m, const char *key, int64_t *value_len) {
  if (!m) return NULL;
  size_t n = strlen(key);
  for (int64_t i = 0; i < m->count; i++) {
    if ((size_t)m->key_lens[i] == n && memcmp(m->keys[i], key, n) == 0) {
      if (value_len) *value_len = m->value_lens[i];
      return m->values[i];
    }
  }
  return NULL;
}

static bool pair_equals(const qv_metadata *a, int64_t i, const qv_metadata *b, int64_t j) {
  return a->key_lens[i] == b->key_lens[j] && a->value_lens[i] == b->value_lens[j] &&
         memcmp(a->keys[i], b->keys[j], (size_t)a->key_lens[i]) == 0 &&
         memcmp(a->values[i], b->values[j], (size_t)a->value_lens[i]) == 0;
}

/* Order-insensitive, as Arrow's: writers do not agree on the order of keys
 * (the golden extension-type files differ from their JSON there). Metadata is
 * small, so the quadratic matching is fine. */
bool qv_metadata_equals(const qv_metadata *a, const qv_metadata *b) {
  int64_t n = qv_metadata_count(a);
  if (n != qv_metadata_count(b)) return false;
  bool in_order = true;
  for (int64_t i = 0; i < n && in_order; i++) in_order = pair_equals(a, i, b, i);
  if (in_order) return true;
  bool *used = calloc((size_t)n, sizeof *used);
  if (!used) return false;
  bool equal = true;
  for (int64_t i = 0; i < n && equal; i++) {
    equal = false;
    for (int64_t j = 0; j < n && !equal; j++) {
      if (!used[j] && pair_equals(a, i, b, j)) used[j] = equal = true;
    }
  }
  free(used);
  return equal;
}
