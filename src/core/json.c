/* A strict, single-pass JSON parser (RFC 8259) building a DOM in an arena.
 *
 * Recursive descent with an explicit nesting cap. Elements of the container
 * being parsed accumulate on one scratch stack shared by all nesting levels;
 * when a container closes, its elements are copied into the arena as one
 * contiguous array, so the DOM costs one allocation per container, string and
 * number, and nothing is ever reallocated inside the arena. Strings are
 * validated as UTF-8 and unescaped (surrogate pairs joined, lone surrogates
 * rejected); numbers are checked against the grammar and kept as text. */
#include "core/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
  const uint8_t *text;
  int64_t len;
  int64_t pos;
  int32_t depth;
  int32_t max_depth;
  qv_arena *arena;
  qv_allocator *alloc;
  qv_json_member *stack; /* scratch: elements of the open containers */
  int64_t stack_len;
  int64_t stack_cap;
  char *pool;            /* unaligned bytes for string and number texts */
  int64_t pool_left;
  qv_error *err;
} parser;

enum { POOL_BLOCK = 64 * 1024 };

/* n bytes for texts, carved from arena blocks without alignment, so that a
 * three-digit number costs four bytes rather than an aligned allocation. */
static char *pool_alloc(parser *p, int64_t n) {
  if (n > p->pool_left) {
    if (n > POOL_BLOCK / 8) return qv_arena_alloc(p->arena, n);
    char *block = qv_arena_alloc(p->arena, POOL_BLOCK);
    if (!block) return NULL;
    p->pool = block;
    p->pool_left = POOL_BLOCK;
  }
  char *r = p->pool;
  p->pool += n;
  p->pool_left -= n;
  return r;
}

/* Gives back the unused tail of the latest pool_alloc(n) when only used of its
 * bytes were needed. */
static void pool_shrink(parser *p, char *block, int64_t n, int64_t used) {
  if (block + n == p->pool) {
    p->pool = block + used;
    p->pool_left += n - used;
  }
}

static qv_status fail_at(parser *p, int64_t offset, const char *what) {
  return qv_error_set(p->err, QV_INVALID, "json: offset %lld: %s", (long long)offset, what);
}

static qv_status nomem(parser *p) {
  return qv_error_set(p->err, QV_NOMEM, "json: offset %lld: out of memory", (long long)p->pos);
}

static void skip_ws(parser *p) {
  while (p->pos < p->len) {
    uint8_t c = p->text[p->pos];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
    p->pos++;
  }
}

static qv_status push(parser *p, const char *key, int64_t key_len, const qv_json_value *v) {
  if (p->stack_len == p->stack_cap) {
    int64_t cap = p->stack_cap ? p->stack_cap * 2 : 256;
    qv_json_member *grown = p->stack
        ? qv_realloc(p->alloc, p->stack, p->stack_cap * (int64_t)sizeof *grown,
                     cap * (int64_t)sizeof *grown)
        : qv_alloc(p->alloc, cap * (int64_t)sizeof *grown);
    if (!grown) return nomem(p);
    p->stack = grown;
    p->stack_cap = cap;
  }
  qv_json_member *m = &p->stack[p->stack_len++];
  m->key = key;
  m->key_len = key_len;
  m->value = *v;
  return QV_OK;
}

/* ---- strings ------------------------------------------------------------ */

static int hex_digit(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Reads the 4 hex digits of a \u escape at p->pos (just after the 'u'). */
static qv_status read_hex4(parser *p, uint32_t *out) {
  if (p->len - p->pos < 4) return fail_at(p, p->pos, "truncated \\u escape");
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int d = hex_digit(p->text[p->pos + i]);
    if (d < 0) return fail_at(p, p->pos + i, "invalid hex digit in \\u escape");
    v = (v << 4) | (uint32_t)d;
  }
  p->pos += 4;
  *out = v;
  return QV_OK;
}

static int64_t encode_utf8(uint32_t cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Length of the valid UTF-8 sequence starting at s[0] (>= 0x80), or 0 when
 * it is malformed: overlong forms, encoded surrogates and code points above
 * U+10FFFF are rejected (RFC 3629). */
static int utf8_sequence_length(const uint8_t *s, int64_t avail) {
  uint8_t c = s[0];
  if (c >= 0xC2 && c <= 0xDF) {
    return avail >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
    if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
      return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0; /* overlong */
    if (c == 0xF4 && s[1] >= 0x90) return 0; /* above U+10FFFF */
    return 4;
  }
  return 0;
}

/* Parses a string whose opening quote is at p->pos; the decoded bytes go to the
 * arena. The decoded form is never longer than the raw one, so one allocation
 * of the raw length suffices. */
static qv_status parse_string(parser *p, const char **out, int64_t *out_len) {
  int64_t start = p->pos + 1;
  /* First pass: find the closing quote. */
  int64_t end = start;
  for (;;) {
    const uint8_t *q = memchr(p->text + end, '"', (size_t)(p->len - end));
    if (!q) return fail_at(p, p->pos, "unterminated string");
    end = q - p->text;
    /* The quote is escaped iff an odd number of backslashes precede it. */
    int64_t bs = 0;
    while (end - 1 - bs >= start && p->text[end - 1 - bs] == '\\') bs++;
    if ((bs & 1) == 0) break;
    end++;
  }

  int64_t cap = end - start + 1;
  char *dst = pool_alloc(p, cap);
  if (!dst) return nomem(p);
  int64_t n = 0;
  p->pos = start;
  while (p->pos < end) {
    uint8_t c = p->text[p->pos];
    if (c >= 0x20 && c < 0x80 && c != '\\') {
      dst[n++] = (char)c;
      p->pos++;
    } else if (c < 0x20) {
      return fail_at(p, p->pos, "unescaped control character in string");
    } else if (c >= 0x80) {
      int k = utf8_sequence_length(p->text + p->pos, end - p->pos);
      if (k == 0) return fail_at(p, p->pos, "invalid UTF-8 in string");
      memcpy(dst + n, p->text + p->pos, (size_t)k);
      n += k;
      p->pos += k;
    } else { /* backslash */
      int64_t esc_at = p->pos;
      if (p->pos + 1 >= end) return fail_at(p, esc_at, "truncated escape");
      uint8_t e = p->text[p->pos + 1];
      p->pos += 2;
      switch (e) {
        case '"': dst[n++] = '"'; break;
        case '\\': dst[n++] = '\\'; break;
        case '/': dst[n++] = '/'; break;
        case 'b': dst[n++] = '\b'; break;
        case 'f': dst[n++] = '\f'; break;
        case 'n': dst[n++] = '\n'; break;
        case 'r': dst[n++] = '\r'; break;
        case 't': dst[n++] = '\t'; break;
        case 'u': {
          uint32_t cp;
          QV_RETURN_NOT_OK(read_hex4(p, &cp));
          if (cp >= 0xDC00 && cp <= 0xDFFF)
            return fail_at(p, esc_at, "lone low surrogate in \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (p->pos + 2 > end || p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u')
              return fail_at(p, esc_at, "high surrogate not followed by a low surrogate");
            p->pos += 2;
            uint32_t lo;
            QV_RETURN_NOT_OK(read_hex4(p, &lo));
            if (lo < 0xDC00 || lo > 0xDFFF)
              return fail_at(p, esc_at, "high surrogate not followed by a low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          n += encode_utf8(cp, dst + n);
          break;
        }
        default: return fail_at(p, esc_at, "invalid escape in string");
      }
      if (p->pos > end) return fail_at(p, esc_at, "truncated escape");
    }
  }
  dst[n] = '\0';
  pool_shrink(p, dst, cap, n + 1);
  p->pos = end + 1;
  *out = dst;
  *out_len = n;
  return QV_OK;
}

/* ---- numbers ------------------------------------------------------------ */

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static qv_status parse_number(parser *p, qv_json_value *v) {
  int64_t start = p->pos, i = p->pos;
  const uint8_t *t = p->text;
  bool integer = true;
  if (i < p->len && t[i] == '-') i++;
  if (i >= p->len || !is_digit(t[i])) return fail_at(p, start, "invalid number");
  if (t[i] == '0') {
    i++;
    if (i < p->len && is_digit(t[i])) return fail_at(p, start, "invalid number: leading zero");
  } else {
    while (i < p->len && is_digit(t[i])) i++;
  }
  if (i < p->len && t[i] == '.') {
    integer = false;
    i++;
    if (i >= p->len || !is_digit(t[i]))
      return fail_at(p, start, "invalid number: expected a digit after '.'");
    while (i < p->len && is_digit(t[i])) i++;
  }
  if (i < p->len && (t[i] == 'e' || t[i] == 'E')) {
    integer = false;
    i++;
    if (i < p->len && (t[i] == '+' || t[i] == '-')) i++;
    if (i >= p->len || !is_digit(t[i]))
      return fail_at(p, start, "invalid number: expected a digit in the exponent");
    while (i < p->len && is_digit(t[i])) i++;
  }
  char *text = pool_alloc(p, i - start + 1);
  if (!text) return nomem(p);
  memcpy(text, t + start, (size_t)(i - start));
  text[i - start] = '\0';
  v->kind = QV_JSON_NUMBER;
  v->u.number.text = text;
  v->u.number.len = i - start;
  v->is_integer = integer;
  p->pos = i;
  return QV_OK;
}

/* ---- values ------------------------------------------------------------- */

static qv_status parse_value(parser *p, qv_json_value *v);

static qv_status expect_literal(parser *p, const char *word, int64_t n) {
  if (p->len - p->pos < n || memcmp(p->text + p->pos, word, (size_t)n) != 0)
    return fail_at(p, p->pos, "invalid literal");
  p->pos += n;
  return QV_OK;
}

/* Moves the top count elements of the scratch stack into the arena. */
static qv_status pop_array(parser *p, int64_t base, qv_json_value *v) {
  int64_t count = p->stack_len - base;
  qv_json_value *items = NULL;
  if (count > 0) {
    items = qv_arena_alloc(p->arena, count * (int64_t)sizeof *items);
    if (!items) return nomem(p);
    for (int64_t i = 0; i < count; i++) items[i] = p->stack[base + i].value;
  }
  p->stack_len = base;
  v->kind = QV_JSON_ARRAY;
  v->u.array.items = items;
  v->u.array.count = count;
  return QV_OK;
}

static qv_status pop_object(parser *p, int64_t base, qv_json_value *v) {
  int64_t count = p->stack_len - base;
  qv_json_member *members = NULL;
  if (count > 0) {
    members = qv_arena_alloc(p->arena, count * (int64_t)sizeof *members);
    if (!members) return nomem(p);
    memcpy(members, p->stack + base, (size_t)count * sizeof *members);
  }
  p->stack_len = base;
  v->kind = QV_JSON_OBJECT;
  v->u.object.members = members;
  v->u.object.count = count;
  return QV_OK;
}

static qv_status enter(parser *p) {
  if (p->depth >= p->max_depth) {
    return qv_error_set(p->err, QV_INVALID, "json: offset %lld: nesting deeper than %d",
                        (long long)p->pos, (int)p->max_depth);
  }
  p->depth++;
  p->pos++; /* the opening bracket */
  return QV_OK;
}

static qv_status parse_array(parser *p, qv_json_value *v) {
  QV_RETURN_NOT_OK(enter(p));
  int64_t base = p->stack_len;
  skip_ws(p);
  if (p->pos < p->len && p->text[p->pos] == ']') {
    p->pos++;
  } else {
    for (;;) {
      qv_json_value item;
      QV_RETURN_NOT_OK(parse_value(p, &item));
      QV_RETURN_NOT_OK(push(p, NULL, 0, &item));
      skip_ws(p);
      if (p->pos >= p->len) return fail_at(p, p->pos, "unexpected end of input in array");
      uint8_t c = p->text[p->pos++];
      if (c == ']') break;
      if (c != ',') return fail_at(p, p->pos - 1, "expected ',' or ']'");
    }
  }
  p->depth--;
  return pop_array(p, base, v);
}

static qv_status parse_object(parser *p, qv_json_value *v) {
  QV_RETURN_NOT_OK(enter(p));
  int64_t base = p->stack_len;
  skip_ws(p);
  if (p->pos < p->len && p->text[p->pos] == '}') {
    p->pos++;
  } else {
    for (;;) {
      skip_ws(p);
      if (p->pos >= p->len) return fail_at(p, p->pos, "unexpected end of input in object");
      if (p->text[p->pos] != '"') return fail_at(p, p->pos, "expected a string key");
      const char *key;
      int64_t key_len;
      QV_RETURN_NOT_OK(parse_string(p, &key, &key_len));
      skip_ws(p);
      if (p->pos >= p->len) return fail_at(p, p->pos, "unexpected end of input in object");
      if (p->text[p->pos] != ':') return fail_at(p, p->pos, "expected ':'");
      p->pos++;
      qv_json_value member;
      QV_RETURN_NOT_OK(parse_value(p, &member));
      QV_RETURN_NOT_OK(push(p, key, key_len, &member));
      skip_ws(p);
      if (p->pos >= p->len) return fail_at(p, p->pos, "unexpected end of input in object");
      uint8_t c = p->text[p->pos++];
      if (c == '}') break;
      if (c != ',') return fail_at(p, p->pos - 1, "expected ',' or '}'");
    }
  }
  p->depth--;
  return pop_object(p, base, v);
}

static qv_status parse_value(parser *p, qv_json_value *v) {
  skip_ws(p);
  memset(v, 0, sizeof *v);
  v->offset = p->pos;
  if (p->pos >= p->len) return fail_at(p, p->pos, "unexpected end of input, expected a value");
  switch (p->text[p->pos]) {
    case '{': return parse_object(p, v);
    case '[': return parse_array(p, v);
    case '"':
      v->kind = QV_JSON_STRING;
      return parse_string(p, &v->u.string.data, &v->u.string.len);
    case 't':
      v->kind = QV_JSON_BOOL;
      v->u.boolean = true;
      return expect_literal(p, "true", 4);
    case 'f':
      v->kind = QV_JSON_BOOL;
      v->u.boolean = false;
      return expect_literal(p, "false", 5);
    case 'n':
      v->kind = QV_JSON_NULL;
      return expect_literal(p, "null", 4);
    default:
      if (p->text[p->pos] == '-' || is_digit(p->text[p->pos])) return parse_number(p, v);
      return fail_at(p, p->pos, "expected a value");
  }
}

qv_status qv__json_parse(qv_arena *arena, const char *text, int64_t len, int32_t max_depth,
                         const qv_json_value **out, qv_error *err) {
  *out = NULL;
  if (!arena || (!text && len > 0) || len < 0)
    return qv_error_set(err, QV_INVALID, "json: invalid arguments");
  parser p = {
      .text = (const uint8_t *)(text ? text : ""),
      .len = len,
      .max_depth = max_depth > 0 ? max_depth : QV_JSON_MAX_DEPTH,
      .arena = arena,
      .alloc = arena->alloc ? arena->alloc : qv_default_allocator(),
      .err = err,
  };
  qv_json_value *root = qv_arena_alloc(arena, (int64_t)sizeof *root);
  qv_status st = root ? parse_value(&p, root) : nomem(&p);
  if (st == QV_OK) {
    skip_ws(&p);
    if (p.pos < p.len) st = fail_at(&p, p.pos, "unexpected characters after the value");
  }
  if (p.stack) qv_free(p.alloc, p.stack, p.stack_cap * (int64_t)sizeof *p.stack);
  if (st == QV_OK) *out = root;
  return st;
}

/* ---- accessors ---------------------------------------------------------- */

const char *qv__json_kind_name(qv_json_kind kind) {
  switch (kind) {
    case QV_JSON_NULL: return "null";
    case QV_JSON_BOOL: return "bool";
    case QV_JSON_NUMBER: return "number";
    case QV_JSON_STRING: return "string";
    case QV_JSON_ARRAY: return "array";
    case QV_JSON_OBJECT: return "object";
  }
  return "unknown";
}

const qv_json_value *qv__json_object_get(const qv_json_value *v, const char *key) {
  if (!v || v->kind != QV_JSON_OBJECT) return NULL;
  size_t n = strlen(key);
  for (int64_t i = 0; i < v->u.object.count; i++) {
    const qv_json_member *m = &v->u.object.members[i];
    if ((size_t)m->key_len == n && memcmp(m->key, key, n) == 0) return &m->value;
  }
  return NULL;
}

bool qv__json_parse_decimal_magnitude(const char *s, int64_t n, uint32_t *limbs, int32_t n_limbs,
                                      bool *out_negative) {
  int64_t i = 0;
  bool negative = false;
  if (i < n && s[i] == '-') {
    negative = true;
    i++;
  }
  if (i >= n) return false;
  if (s[i] == '0' && i + 1 < n) return false; /* leading zero */
  memset(limbs, 0, (size_t)n_limbs * sizeof *limbs);
  for (; i < n; i++) {
    if (!is_digit((uint8_t)s[i])) return false;
    uint64_t carry = (uint64_t)(s[i] - '0');
    for (int32_t k = 0; k < n_limbs; k++) {
      uint64_t x = (uint64_t)limbs[k] * 10u + carry;
      limbs[k] = (uint32_t)x;
      carry = x >> 32;
    }
    if (carry) return false;
  }
  *out_negative = negative;
  return true;
}

/* Magnitude and sign of an integer number's text. */
static bool integer_text(const qv_json_value *v, uint64_t *magnitude, bool *negative) {
  if (!v || v->kind != QV_JSON_NUMBER || !v->is_integer) return false;
  uint32_t limbs[2];
  if (!qv__json_parse_decimal_magnitude(v->u.number.text, v->u.number.len, limbs, 2, negative))
    return false;
  *magnitude = (uint64_t)limbs[0] | ((uint64_t)limbs[1] << 32);
  return true;
}

bool qv__json_get_int64(const qv_json_value *v, int64_t *out) {
  uint64_t mag;
  bool neg;
  if (!integer_text(v, &mag, &neg)) return false;
  if (neg) {
    if (mag > (uint64_t)INT64_MAX + 1u) return false;
    *out = mag == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)mag;
  } else {
    if (mag > (uint64_t)INT64_MAX) return false;
    *out = (int64_t)mag;
  }
  return true;
}

bool qv__json_get_uint64(const qv_json_value *v, uint64_t *out) {
  uint64_t mag;
  bool neg;
  if (!integer_text(v, &mag, &neg)) return false;
  if (neg && mag != 0) return false;
  *out = mag;
  return true;
}

bool qv__json_get_double(const qv_json_value *v, double *out) {
  if (!v || v->kind != QV_JSON_NUMBER) return false;
  errno = 0;
  *out = strtod(v->u.number.text, NULL);
  return true;
}
