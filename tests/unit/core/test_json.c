/* Tests of the JSON parser: the grammar, exact numbers, string decoding, error
 * offsets, and hostile input (truncation, deep nesting, bad escapes, bad
 * UTF-8, lone surrogates, allocation failures). */
#include <stdlib.h>

#include "core/json.h"
#include "test.h"

/* Parses a NUL-terminated document with the default depth cap. */
static qv_status parse(qv_arena *arena, const char *text, const qv_json_value **out,
                       qv_error *err) {
  return qv__json_parse(arena, text, (int64_t)strlen(text), 0, out, err);
}

/* Whether text fails with QV_INVALID and a message containing want. */
static bool rejects(const char *text, int64_t len, const char *want) {
  qv_arena arena;
  qv_arena_init(&arena, NULL);
  qv_error err;
  qv_error_init(&err);
  const qv_json_value *v = (const qv_json_value *)1;
  qv_status st = qv__json_parse(&arena, text, len, 0, &v, &err);
  bool ok = st == QV_INVALID && v == NULL && strncmp(err.message, "json: offset ", 13) == 0 &&
            (!want || strstr(err.message, want) != NULL);
  if (!ok) fprintf(stderr, "  input %.40s: status %s, message '%s'\n", text, qv_status_name(st),
                   err.message);
  qv_arena_reset(&arena);
  return ok;
}

#define REJECTS(text, want) CHECK(rejects(text, (int64_t)strlen(text), want))

QV_TEST(json_scalars) {
  qv_arena arena;
  qv_arena_init(&arena, NULL);
  qv_error err;
  const qv_json_value *v;
  CHECK_OK(parse(&arena, " null ", &v, &err), &err);
  CHECK_EQ_INT(v->kind, QV_JSON_NULL);
  CHECK_EQ_INT(v->offset, 1);
  CHECK_OK(parse(&arena, "true", &v, &err), &err);
  CHECK(v->kind == QV_JSON_BOOL && v->u.boolean);
  CHECK_OK(parse(&arena, "\tfalse\r\n", &v, &err), &err);
  CHECK(v->kind == QV_JSON_BOOL && !v->u.boolean);
  CHECK_OK(parse(&arena, "-12.50e+3", &v, &err), &err);
  CHECK_EQ_INT(v->kind, QV_JSON_NUMBER);
  CHECK_STR_EQ(v->u.number.text, "-12.50e+3");
  CHECK(!v->is_integer);
  double d;
  CHECK(qv__json_get_double(v, &d));
  CHECK(d == -12500.0);
  CHECK_OK(parse(&arena, "\"h\\u00e9\"", &v, &err), &err);
  CHECK_EQ_INT(v->kind, QV_JSON_STRING);
  CHECK_EQ_INT(v->u.string.len, 3);
  CHECK_STR_EQ(v->u.string.data, "h\xc3\xa9");
  CHECK_STR_EQ(qv__json_kind_name(QV_JSON_OBJECT), "object");
  qv_arena_reset(&arena);
}

QV_TEST(json_exact_integers) {
  qv_arena arena;
  qv_arena_init(&arena, NULL);
  qv_error err;
  const qv_json_value *v;
  int64_t i;
  uint64_t u;
  CHECK_OK(parse(&arena, "9223372036854775807", &v, &err), &err);
  CHECK(v->is_integer);
  CHECK(qv__json_get_int64(v, &i) && i == INT64_MAX);
  CHECK_OK(parse(&arena, "-9223372036854775808", &v, &err), &err);
  CHECK(qv__json_get_int64(v, &i) && i == INT64_MIN);
  CHECK(!qv__json_get_uint64(v, &u));
  CHECK_OK(parse(&arena, "9223372036854775808", &v, &err), &err);
  CHECK(!qv__json_get_int64(v, &i));
  CHECK(qv__json_get_uint64(v, &u) && u == (uint64_t)INT64_MAX + 1u);
  CHECK_OK(parse(&arena, "18446744073709551615", &v, &err), &err);
  CHECK(qv__json_get_uint64(v, &u) && u == UINT64_MAX);
  CHECK_OK(parse(&arena, "18446744073709551616", &v, &err), &err);
  CHECK(!qv__json_get_uint64(v, &u));
  CHECK_OK(parse(&arena, "-0", &v, &err), &err);
  CHECK(qv__json_get_int64(v, &i) && i == 0);
  CHECK(qv__json_get_uint64(v, &u) && u == 0);
  CHECK_OK(parse(&arena, "1.0", &v, &err), &err);
  CHECK(!qv__json_get_int64(v, &i));
  CHECK_OK(parse(&arena, "1e2", &v, &err), &err);
  CHECK(!qv__json_get_int64(v, &i));
  CHECK_OK(parse(&arena, "\"12\"", &v, &err), &err);
  CHECK(!qv__json_get_int64(v, &i)); /* a string is not a number */

  /* Big magnitudes for decimals: 2^64 + 5 in 32-bit limbs. */
  uint32_t limbs[4];
  bool neg;
  CHECK(qv__json_parse_decimal_magnitude("-18446744073709551621", 21, limbs, 4, &neg));
  CHECK(neg && limbs[0] == 5 && limbs[1] == 0 && limbs[2] == 1 && limbs[3] == 0);
  CHECK(!qv__json_parse_decimal_magnitude("18446744073709551616", 20, limbs, 2, &neg));
  CHECK(!qv__json_parse_decimal_magnitude("012", 3, limbs, 4, &neg));
  CHECK(!qv__json_parse_decimal_magnitude("-", 1, limbs, 4, &neg));
  CHECK(!qv__json_parse_decimal_magnitude("1a", 2, limbs, 4, &neg));
  CHECK(!qv__json_parse_decimal_magnitude("+1", 2, limbs, 4, &neg));
  qv_arena_reset(&arena);
}

QV_TEST(json_containers_keep_order) {
  qv_arena arena;
  qv_arena_init(&arena, NULL);
  qv_error err;
  const qv_json_value *v;
  CHECK_OK(parse(&arena,
                 "{\"b\": [1, [], {}, [2, [3]]], \"a\": {\"x\": null}, \"b\": 7, \"\": \"e\"}",
                 &v, &err),
           &err);
  CHECK_EQ_INT(v->kind, QV_JSON_OBJECT);
  CHECK_EQ_INT(v->u.object.count, 4);
  CHECK_STR_EQ(v->u.object.members[0].key, "b");
  CHECK_STR_EQ(v->u.object.members[1].key, "a");
  CHECK_STR_EQ(v->u.object.members[3].key, "");
  const qv_json_value *b = qv__json_object_get(v, "b"); /* the first of duplicates */
  CHECK(b && b->kind == QV_JSON_ARRAY);
  CHECK_EQ_INT(b->u.array.count, 4);
  CHECK_STR_EQ(b->u.array.items[0].u.number.text, "1");
  CHECK_EQ_INT(b->u.array.items[1].kind, QV_JSON_ARRAY);
  CHECK_EQ_INT(b->u.array.items[1].u.array.count, 0);
  CHECK_EQ_INT(b->u.array.items[2].kind, QV_JSON_OBJECT);
  CHECK_EQ_INT(b->u.array.items[2].u.object.count, 0);
  const qv_json_value *inner = &b->u.array.items[3];
  CHECK_EQ_INT(inner->u.array.count, 2);
  CHECK_STR_EQ(inner->u.array.items[1].u.array.items[0].u.number.text, "3");
  CHECK_EQ_INT(inner->offset, 18);
  CHECK(qv__json_object_get(qv__json_object_get(v, "a"), "x")->kind == QV_JSON_NULL);
  CHECK(qv__json_object_get(v, "zz") == NULL);
  CHECK(qv__json_object_get(b, "b") == NULL); /* not an object */
  CHECK_STR_EQ(qv__json_object_get(v, "")->u.string.data, "e");
  qv_arena_reset(&arena);
}

QV_TEST(json_large_array) {
  /* Enough elements to grow the scratch stack several times, nested. */
  int n = 100000;
  char *text = malloc((size_t)n * 8 + 16);
  CHECK(text);
  size_t pos = 0;
  text[pos++] = '[';
  for (int i = 0; i < n; i++) pos += (size_t)sprintf(text + pos, "%s[%d]", i ? "," : "", i);
  text[pos++] = ']';
  qv_arena arena;
  qv_arena_init(&arena, NULL);
  qv_error err;
  const qv_json_value *v;
  qv_status st = qv__json_parse(&arena, text, (int64_t)pos, 0, &v, &err);
  free(text);
  CHECK_OK(st, &err);
  CHECK_EQ_INT(v->u.array.count, n);
  int64_t last;
  CHECK(qv__json_get_int64(&v->u.array.items[n - 1].u.array.items[0], &last));
  CHECK_EQ_INT(last, n - 1);
  qv_arena_reset(&arena);
}

QV_TEST(json_string_escapes) {
  qv_arena arena;
  qv_arena_init(&arena, NULL);
  qv_error err;
  const qv_json_value *v;
  CHECK_OK(parse(&arena, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", &v, &err), &err);
  CHECK_EQ_INT(v->u.string.len, 8);
  CHECK(memcmp(v->u.string.data, "\"\\/\b\f\n\r\t", 8) == 0);
  /* U+20AC (3 bytes), U+1F600 from a surrogate pair (4 bytes), raw UTF-8. */
  CHECK_OK(parse(&arena, "\"\\u20AC\\ud83d\\uDE00\xe7\x9f\xa2\"", &v, &err), &err);
  CHECK_EQ_INT(v->u.string.len, 10);
  CHECK(memcmp(v->u.string.data, "\xe2\x82\xac\xf0\x9f\x98\x80\xe7\x9f\xa2", 10) == 0);
  /* Embedded NUL keeps the length. */
  CHECK_OK(parse(&arena, "\"a\\u0000b\"", &v, &err), &err);
  CHECK_EQ_INT(v->u.string.len, 3);
  CHECK(memcmp(v->u.string.data, "a\0b", 4) == 0);
  /* Escaped quotes and backslash runs before the closing quote. */
  CHECK_OK(parse(&arena, "[\"\\\\\", \"x\\\\\\\"\"]", &v, &err), &err);
  CHECK_EQ_INT(v->u.array.count, 2);
  CHECK_STR_EQ(v->u.array.items[0].u.string.data, "\\");
  CHECK_STR_EQ(v->u.array.items[1].u.string.data, "x\\\"");
  /* Keys are decoded too. */
  CHECK_OK(parse(&arena, "{\"k\\u00e9\": 1}", &v, &err), &err);
  CHECK(qv__json_object_get(v, "k\xc3\xa9") != NULL);
  qv_arena_reset(&arena);
}

QV_TEST(json_syntax_errors) {
  REJECTS("", "expected a value");
  REJECTS("   ", "expected a value");
  REJECTS("{\"a\": 1 \"b\": 2}", "offset 8: expected ',' or '}'");
  REJECTS("[1 2]", "offset 3: expected ',' or ']'");
  REJECTS("[1,]", "offset 3: expected a value");
  REJECTS("{\"a\":1,}", "expected a string key");
  REJECTS("{a:1}", "expected a string key");
  REJECTS("{\"a\" 1}", "expected ':'");
  REJECTS("['a']", "expected a value");
  REJECTS("1 2", "offset 2: unexpected characters after the value");
  REJECTS("tru", "invalid literal");
  REJECTS("nul", "invalid literal");
  REJECTS("True", "expected a value");
  REJECTS("NaN", "expected a value");
  REJECTS("Infinity", "expected a value");
  REJECTS("-Infinity", "invalid number");
  REJECTS("01", "leading zero");
  REJECTS("-", "invalid number");
  REJECTS("+1", "expected a value");
  REJECTS("1.", "after '.'");
  REJECTS(".5", "expected a value");
  REJECTS("1e", "exponent");
  REJECTS("1e+", "exponent");
  REJECTS("0x10", "unexpected characters");
  REJECTS("\xef\xbb\xbf{}", "expected a value"); /* a byte-order mark is not JSON */
  REJECTS("[1]]", "unexpected characters");
  REJECTS("{\"a\":1}}", "unexpected characters");
  /* A NUL byte inside the given length is not whitespace. */
  CHECK(rejects("1\0", 2, "unexpected characters"));
}

QV_TEST(json_bad_strings) {
  REJECTS("\"abc", "unterminated string");
  REJECTS("\"abc\\\"", "unterminated string");
  REJECTS("\"a\\x\"", "offset 2: invalid escape");
  REJECTS("\"a\\'\"", "invalid escape");
  REJECTS("\"\\u12G4\"", "invalid hex digit");
  REJECTS("\"\\u12\"", "");
  REJECTS("\"\\u\"", "");
  REJECTS("\"\\ud83d\"", "high surrogate not followed by a low surrogate");
  REJECTS("\"\\ud83dx\"", "high surrogate not followed by a low surrogate");
  REJECTS("\"\\ud83d\\u0041\"", "high surrogate not followed by a low surrogate");
  REJECTS("\"\\ud83d\\ud83d\"", "high surrogate not followed by a low surrogate");
  REJECTS("\"\\ude00\"", "lone low surrogate");
  REJECTS("\"a\tb\"", "control character");
  REJECTS("\"a\nb\"", "control character");
  REJECTS("\"\xc0\x80\"", "invalid UTF-8");          /* overlong NUL */
  REJECTS("\"\xe0\x80\xaf\"", "invalid UTF-8");      /* overlong '/' */
  REJECTS("\"\xed\xa0\x80\"", "invalid UTF-8");      /* encoded surrogate */
  REJECTS("\"\xf4\x90\x80\x80\"", "invalid UTF-8");  /* above U+10FFFF */
  REJECTS("\"\xf5\x80\x80\x80\"", "invalid UTF-8");
  REJECTS("\"\x80\"", "invalid UTF-8");              /* stray continuation */
  REJECTS("\"\xe2\x82\"", "invalid UTF-8");          /* truncated sequence */
  REJECTS("\"\xff\"", "invalid UTF-8");
  REJECTS("{\"\xc3\":1}", "invalid UTF-8");          /* in a key */
}

QV_TEST(json_every_truncation_fails) {
  const char *doc =
      "{\"schema\": {\"fields\": [{\"name\": \"a\\u00e9\\ud83d\\ude00\", \"nullable\": true,"
      " \"n\": -12.5e-3, \"t\": [true, false, null]}]}, \"x\": \"\\\"q\\\"\"}";
  int64_t n = (int64_t)strlen(doc);
  qv_arena arena;
  qv_arena_init(&arena, NULL);
  qv_error err;
  const qv_json_value *v;
  CHECK_OK(qv__json_parse(&arena, doc, n, 0, &v, &err), &err);
  for (int64_t len = 0; len < n; len++) {
    qv_status st = qv__json_parse(&arena, doc, len, 0, &v, &err);
    if (st != QV_INVALID || v != NULL) {
      qv_test_fail(__FILE__, __LINE__, "prefix of %lld bytes: %s", (long long)len,
                   qv_status_name(st));
      break;
    }
  }
  qv_arena_reset(&arena);
}

static char *nested(int depth, char open, char close) {
  char *s = malloc((size_t)depth * 2 + 1);
  if (!s) return NULL;
  memset(s, open, (size_t)depth);
  memset(s + depth, close, (size_t)depth);
  s[depth * 2] = '\0';
  return s;
}

QV_TEST(json_depth_cap) {
  qv_arena arena;
  qv_arena_init(&arena, NULL);
  qv_error err;
  const qv_json_value *v;
  char *ok = nested(QV_JSON_MAX_DEPTH, '[', ']');
  char *deep = nested(QV_JSON_MAX_DEPTH + 1, '[', ']');
  char *huge = nested(1000000, '[', ']');
  CHECK(ok && deep && huge);
  qv_status st_ok = parse(&arena, ok, &v, &err);
  qv_status st_deep = parse(&arena, deep, &v, &err);
  bool deep_message = strstr(err.message, "nesting deeper than 256") != NULL;
  qv_status st_huge = parse(&arena, huge, &v, &err);
  /* An explicit cap. */
  qv_status st_cap = qv__json_parse(&arena, "[[[1]]]", 7, 2, &v, &err);
  qv_status st_cap_ok = qv__json_parse(&arena, "[[1]]", 5, 2, &v, &err);
  free(ok);
  free(deep);
  free(huge);
  CHECK_OK(st_ok, &err);
  CHECK_EQ_INT(st_deep, QV_INVALID);
  CHECK(deep_message);
  CHECK_EQ_INT(st_huge, QV_INVALID);
  CHECK_EQ_INT(st_cap, QV_INVALID);
  CHECK_EQ_INT(st_cap_ok, QV_OK);
  char *objects = malloc(7 * 300 + 1);
  CHECK(objects);
  size_t pos = 0;
  for (int i = 0; i < 300; i++) pos += (size_t)sprintf(objects + pos, "{\"a\":");
  objects[pos] = '\0';
  qv_status st_obj = parse(&arena, objects, &v, &err);
  free(objects);
  CHECK_EQ_INT(st_obj, QV_INVALID);
  CHECK(strstr(err.message, "nesting deeper") != NULL);
  qv_arena_reset(&arena);
}

QV_TEST(json_allocation_failures) {
  /* Every allocation failure is reported as QV_NOMEM and leaks nothing. */
  const char *doc = "{\"a\": [1, 2, {\"b\": \"x\\u00e9\", \"c\": [[], {}]}], \"d\": -1.5}";
  bool succeeded = false;
  for (int64_t n = 1; n < 200 && !succeeded; n++) {
    qv_allocator *alloc;
    qv_error err;
    CHECK_OK(qv_allocator_create(0, &alloc, &err), &err);
    qv_allocator_fail_after(alloc, n);
    qv_arena arena;
    qv_arena_init(&arena, alloc);
    const qv_json_value *v;
    qv_status st = parse(&arena, doc, &v, &err);
    if (st == QV_OK) {
      succeeded = true;
      CHECK_EQ_INT(v->u.object.count, 2);
    } else if (st != QV_NOMEM || v != NULL) {
      qv_test_fail(__FILE__, __LINE__, "failing allocation %lld: %s", (long long)n,
                   qv_status_name(st));
    }
    qv_arena_reset(&arena);
    int64_t live = qv_allocator_bytes_allocated(alloc);
    qv_allocator_destroy(alloc);
    CHECK_EQ_INT(live, 0);
  }
  CHECK(succeeded);
}

QV_TEST(json_invalid_arguments) {
  qv_arena arena;
  qv_arena_init(&arena, NULL);
  qv_error err;
  const qv_json_value *v;
  CHECK_STATUS(qv__json_parse(&arena, NULL, 3, 0, &v, &err), QV_INVALID);
  CHECK_STATUS(qv__json_parse(&arena, "1", -1, 0, &v, &err), QV_INVALID);
  CHECK_STATUS(qv__json_parse(NULL, "1", 1, 0, &v, &err), QV_INVALID);
  qv_arena_reset(&arena);
}
