/* A small S-expression reader for quiver-plan-run: the plan text becomes a
 * tree of atoms and lists first, so that the builders can look ahead (options
 * anywhere in a form, the join filter's schema known only after both inputs)
 * and report errors by byte offset. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_run.h"

#define MAX_DEPTH 256

typedef struct reader {
  const char *s;
  size_t pos;
  qv_error *err;
} reader;

static void skip_blanks(reader *r) {
  for (;;) {
    while (r->s[r->pos] && isspace((unsigned char)r->s[r->pos])) r->pos++;
    if (r->s[r->pos] != ';') return;
    while (r->s[r->pos] && r->s[r->pos] != '\n') r->pos++;
  }
}

static qv_status fail(reader *r, const char *what) {
  return qv_error_set(r->err, QV_INVALID, "plan syntax at offset %zu: %s", r->pos, what);
}

void qv__sx_free(sx *node) {
  if (!node) return;
  for (int32_t i = 0; i < node->n; i++) qv__sx_free(node->items[i]);
  free(node->items);
  free((char *)node->text);
  free(node);
}

static qv_status read_node(reader *r, int depth, sx **out);

static qv_status read_list(reader *r, int depth, sx *list) {
  int32_t cap = 0;
  for (;;) {
    skip_blanks(r);
    char c = r->s[r->pos];
    if (!c) return fail(r, "unclosed '('");
    if (c == ')') {
      r->pos++;
      return QV_OK;
    }
    if (list->n == cap) {
      cap = cap ? cap * 2 : 4;
      sx **items = realloc(list->items, (size_t)cap * sizeof *items);
      if (!items) return qv_error_set(r->err, QV_NOMEM, "plan: out of memory");
      list->items = items;
    }
    QV_RETURN_NOT_OK(read_node(r, depth + 1, &list->items[list->n]));
    list->n++;
  }
}

static qv_status read_atom(reader *r, sx *atom) {
  size_t cap = 16, n = 0;
  char *buf = malloc(cap);
  if (!buf) return qv_error_set(r->err, QV_NOMEM, "plan: out of memory");
  bool quoted = r->s[r->pos] == '"';
  if (quoted) r->pos++;
  for (;;) {
    char c = r->s[r->pos];
    if (quoted) {
      if (!c) {
        free(buf);
        return fail(r, "unterminated string");
      }
      r->pos++;
      if (c == '"') break;
      if (c == '\\' && r->s[r->pos]) {
        c = r->s[r->pos++];
        if (c == 'n') c = '\n';
        else if (c == 't') c = '\t';
      }
    } else {
      if (!c || isspace((unsigned char)c) || c == '(' || c == ')' || c == '"' || c == ';') break;
      r->pos++;
    }
    if (n + 1 >= cap) {
      cap *= 2;
      char *grown = realloc(buf, cap);
      if (!grown) {
        free(buf);
        return qv_error_set(r->err, QV_NOMEM, "plan: out of memory");
      }
      buf = grown;
    }
    buf[n++] = c;
  }
  buf[n] = '\0';
  atom->text = buf;
  atom->quoted = quoted;
  return QV_OK;
}

static qv_status read_node(reader *r, int depth, sx **out) {
  *out = NULL;
  if (depth > MAX_DEPTH) return fail(r, "nested too deeply");
  skip_blanks(r);
  if (!r->s[r->pos]) return fail(r, "unexpected end of text");
  if (r->s[r->pos] == ')') return fail(r, "unexpected ')'");
  sx *node = calloc(1, sizeof *node);
  if (!node) return qv_error_set(r->err, QV_NOMEM, "plan: out of memory");
  node->pos = r->pos;
  qv_status st;
  if (r->s[r->pos] == '(') {
    r->pos++;
    node->is_list = true;
    st = read_list(r, depth, node);
  } else {
    st = read_atom(r, node);
  }
  if (st != QV_OK) {
    qv__sx_free(node);
    return st;
  }
  *out = node;
  return QV_OK;
}

qv_status qv__sx_parse(const char *text, sx **out, qv_error *err) {
  reader r = {text, 0, err};
  QV_RETURN_NOT_OK(read_node(&r, 0, out));
  skip_blanks(&r);
  if (r.s[r.pos]) {
    qv__sx_free(*out);
    *out = NULL;
    return fail(&r, "text after the plan");
  }
  return QV_OK;
}

const char *qv__sx_head(const sx *node) {
  if (!node || !node->is_list || node->n == 0 || node->items[0]->is_list || node->items[0]->quoted) return NULL;
  return node->items[0]->text;
}

bool qv__sx_is_word(const sx *node, const char *word) {
  return node && !node->is_list && !node->quoted && strcmp(node->text, word) == 0;
}

qv_status qv__sx_error(const sx *node, qv_error *err, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return qv_error_set(err, QV_INVALID, "plan at offset %zu: %s", node ? node->pos : (size_t)0, msg);
}

qv_status qv__sx_int(const sx *node, const char *what, int64_t *out, qv_error *err) {
  *out = 0;
  if (!node || node->is_list) return qv__sx_error(node, err, "%s: expected an integer", what);
  char *end = NULL;
  errno = 0;
  long long v = strtoll(node->text, &end, 10);
  if (errno || end == node->text || *end)
    return qv__sx_error(node, err, "%s: '%s' is not an integer", what, node->text);
  *out = v;
  return QV_OK;
}
