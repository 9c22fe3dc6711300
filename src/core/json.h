/* A strict JSON (RFC 8259) parser producing a read-only DOM in a qv_arena.
 *
 * Used by the tools that read JSON descriptions (Arrow's integration-test
 * files, configuration). Numbers keep their raw text so that 64-bit integers
 * and big decimals are converted exactly, never through a double. Strings are
 * decoded to UTF-8 with their length (they may contain NUL through \u0000).
 * Object members keep the order of the input; duplicate keys are kept and
 * qv__json_object_get returns the first. Nesting is capped so hostile input
 * cannot exhaust the stack. */
#ifndef QV_CORE_JSON_H
#define QV_CORE_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/memory.h"
#include "quiver/status.h"

/* Default nesting cap of qv__json_parse (arrays and objects). */
#define QV_JSON_MAX_DEPTH 256

typedef enum qv_json_kind {
  QV_JSON_NULL = 0,
  QV_JSON_BOOL,
  QV_JSON_NUMBER,
  QV_JSON_STRING,
  QV_JSON_ARRAY,
  QV_JSON_OBJECT
} qv_json_kind;

typedef struct qv_json_value qv_json_value;
typedef struct qv_json_member qv_json_member;

/* 32 bytes: DOMs of large files are mostly numbers, so the size matters. */
struct qv_json_value {
  qv_json_kind kind;
  bool is_integer; /* numbers: no fraction and no exponent */
  int64_t offset;  /* byte offset of the value's first character in the input */
  union {
    bool boolean;
    struct {
      const char *text; /* the number exactly as written, NUL-terminated */
      int64_t len;
    } number;
    struct {
      const char *data; /* decoded UTF-8, NUL-terminated (may contain NUL) */
      int64_t len;
    } string;
    struct {
      qv_json_value *items; /* count values, contiguous */
      int64_t count;
    } array;
    struct {
      qv_json_member *members; /* count members, in input order */
      int64_t count;
    } object;
  } u;
};

struct qv_json_member {
  const char *key; /* decoded, NUL-terminated */
  int64_t key_len;
  qv_json_value value;
};

/* Parses len bytes of text (one JSON value with optional surrounding
 * whitespace) into a DOM allocated from arena; *out stays valid until the arena
 * is reset. max_depth caps nesting (0 = QV_JSON_MAX_DEPTH). Fails with
 * QV_INVALID and a message "json: offset N: ..." on malformed input (bad
 * syntax, invalid UTF-8, bad escapes or lone surrogates, too deep), and with
 * QV_NOMEM when memory runs out; on failure *out is NULL and whatever was taken
 * from the arena is released only when the arena is reset. */
qv_status qv__json_parse(qv_arena *arena, const char *text, int64_t len, int32_t max_depth,
                         const qv_json_value **out, qv_error *err) QV_MUST_USE;

/* "null", "bool", "number", "string", "array" or "object". */
const char *qv__json_kind_name(qv_json_kind kind);

/* The value of the first member with this key, or NULL when v is not an object
 * or has no such member. */
const qv_json_value *qv__json_object_get(const qv_json_value *v, const char *key);

/* Exact conversions of a number's text. They fail (return false) when v is not
 * a number, is not an integer (fraction or exponent), or is out of range. */
bool qv__json_get_int64(const qv_json_value *v, int64_t *out);
bool qv__json_get_uint64(const qv_json_value *v, uint64_t *out);
/* The nearest double to a number (strtod on the raw text); false if v is not a
 * number. Overflow yields +-HUGE_VAL, as strtod does. */
bool qv__json_get_double(const qv_json_value *v, double *out);

/* Parses an optionally '-'-signed decimal integer of n bytes (no '+', no
 * leading zeros beyond a single "0") into an exact integer: *out_negative and
 * the magnitude in limbs[0..n_limbs) (32-bit limbs, least significant first).
 * Returns false on bad syntax or when the magnitude does not fit. Shared by the
 * readers of int64-as-string and decimal values. */
bool qv__json_parse_decimal_magnitude(const char *s, int64_t n, uint32_t *limbs, int32_t n_limbs,
                                      bool *out_negative);

#endif
