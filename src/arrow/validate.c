/* Full validation of arrays and record batches assembled from untrusted bytes
 * (IPC messages, imported C Data structs, hand-made buffers).
 *
 * After qv_array_validate_full succeeds, every read a kernel makes through the
 * layout is in bounds: buffers are large enough for offset + length, offsets
 * are monotonic and end inside their data or child, union type ids name a
 * child, dense union offsets and dictionary indices point inside their target,
 * utf8 data is well formed, and declared null counts match the bitmaps. The
 * checks run as whole-buffer loops that accumulate a "bad" flag without
 * branching, and look for the first culprit only once something is wrong, so
 * the common (valid) case costs about one pass over each buffer.
 *
 * Errors name the array by its path from the root ("a.b[item]": field b of
 * struct column a, then the list's item) and say what is wrong with which
 * value. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arrow/internal.h"

#define MAX_DEPTH 64
#define PATH_SIZE 256

/* Kept out of line: GCC does not vectorize these loops once they are inlined
 * into the large validation switch. */
#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

typedef struct vctx {
  qv_error *err;
  char path[PATH_SIZE];
  size_t path_len;
} vctx;

static qv_status fail(vctx *c, const char *fmt, ...) QV_PRINTF(2, 3);

static qv_status fail(vctx *c, const char *fmt, ...) {
  char msg[QV_ERROR_MESSAGE_SIZE - 64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (c->path_len == 0) return qv_error_set(c->err, QV_INVALID, "array: %s", msg);
  return qv_error_set(c->err, QV_INVALID, "array '%s': %s", c->path, msg);
}

/* Appends a path segment (".name", "[name]" or "{dictionary}") and returns the
 * previous length for path_pop. A leading '.' is dropped at the root so that a
 * column's child reads "b", not ".b". Over-long paths are truncated. */
static size_t path_push(vctx *c, const char *open, const char *name, const char *close) {
  size_t saved = c->path_len;
  if (saved == 0 && strcmp(open, ".") == 0) open = "";
  int n = snprintf(c->path + saved, PATH_SIZE - saved, "%s%s%s", open, name ? name : "", close);
  if (n < 0) n = 0;
  c->path_len = saved + (size_t)n < PATH_SIZE ? saved + (size_t)n : PATH_SIZE - 1;
  return saved;
}

static void path_pop(vctx *c, size_t saved) {
  c->path_len = saved;
  c->path[saved] = '\0';
}

static const char *type_name(const qv_data_type *t, char *buf, size_t size) {
  return qv_type_to_string(t, buf, size);
}

static int64_t buffer_size(const qv_array *a, int32_t i) {
  return a->buffers[i] ? a->buffers[i]->size : 0;
}

/* Checks that buffer i holds at least `need` bytes. */
static qv_status need_bytes(vctx *c, const qv_array *a, int32_t i, int64_t need, const char *what) {
  int64_t have = buffer_size(a, i);
  if (have >= need) return QV_OK;
  return fail(c, "%s buffer (buffer %d) has %lld bytes, needs %lld for offset %lld + length %lld",
              what, (int)i, (long long)have, (long long)need, (long long)a->offset,
              (long long)a->length);
}

/* Bytes needed by `count` elements of `width` bytes, or -1 on overflow. */
static int64_t mul_size(int64_t count, int64_t width) {
  int64_t r;
  if (__builtin_mul_overflow(count, width, &r)) return -1;
  return r;
}

static int64_t bitmap_bytes(int64_t bits) { return bits / 8 + (bits % 8 != 0); }

static bool type_has_validity(qv_type_id id) {
  return id != QV_NA && id != QV_SPARSE_UNION && id != QV_DENSE_UNION;
}

/* ---- offsets -------------------------------------------------------------- */

/* Checks n >= 1 offsets o[0..n) (physical indices base..base+n): the first is
 * non-negative, they never decrease, and the last is at most `limit` (the data
 * buffer's size or the child's length, described by limit_what). */
#define DEFINE_CHECK_OFFSETS(NAME, T)                                                      \
  static qv_status NAME(vctx *c, const T *o, int64_t n, int64_t base, int64_t limit,     \
                        const char *limit_what) {                                         \
    if (o[0] < 0)                                                                         \
      return fail(c, "offset %lld (=%lld) is negative", (long long)base, (long long)o[0]); \
    uint32_t bad = 0; /* an integer accumulator vectorizes; a bool does not */            \
    for (int64_t i = 0; i + 1 < n; i++) bad |= (uint32_t)(o[i + 1] < o[i]);               \
    if (bad) {                                                                            \
      for (int64_t i = 1; i < n; i++) {                                                   \
        if (o[i] < o[i - 1])                                                              \
          return fail(c, "offset %lld (=%lld) is less than offset %lld (=%lld)",          \
                      (long long)(base + i), (long long)o[i], (long long)(base + i - 1),  \
                      (long long)o[i - 1]);                                               \
      }                                                                                   \
    }                                                                                     \
    if ((int64_t)o[n - 1] > limit)                                                        \
      return fail(c, "offset %lld (=%lld) is beyond the end of the %s (%lld)",            \
                  (long long)(base + n - 1), (long long)o[n - 1], limit_what,             \
                  (long long)limit);                                                      \
    return QV_OK;                                                                         \
  }

DEFINE_CHECK_OFFSETS(check_offsets32, int32_t)
DEFINE_CHECK_OFFSETS(check_offsets64, int64_t)

/* Reads offset i of a 32- or 64-bit offsets buffer. */
static int64_t offset_at(const uint8_t *offsets, bool large, int64_t i) {
  return large ? ((const int64_t *)offsets)[i] : ((const int32_t *)offsets)[i];
}

/* Checks the offsets buffer (buffer 1) of a binary-like, list-like or map
 * array, then sets [*first, *last) to the range of data or child positions the
 * array's slots use. */
static qv_status check_offsets_buffer(vctx *c, const qv_array *a, bool large, int64_t limit,
                                      const char *limit_what, int64_t *first, int64_t *last) {
  int64_t end = a->offset + a->length;
  int64_t width = large ? 8 : 4;
  int64_t need = mul_size(end + 1, width);
  if (need < 0) return fail(c, "offsets buffer size overflows for length %lld", (long long)end);
  QV_RETURN_NOT_OK(need_bytes(c, a, 1, need, "offsets"));
  const uint8_t *o = qv__array_data(a, 1);
  if (large) {
    QV_RETURN_NOT_OK(check_offsets64(c, (const int64_t *)o + a->offset, a->length + 1, a->offset,
                                     limit, limit_what));
  } else {
    QV_RETURN_NOT_OK(check_offsets32(c, (const int32_t *)o + a->offset, a->length + 1, a->offset,
                                     limit, limit_what));
  }
  *first = offset_at(o, large, a->offset);
  *last = offset_at(o, large, end);
  return QV_OK;
}

/* ---- utf-8 -------------------------------------------------------------- */

/* Whether s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). ASCII runs are skipped 16 bytes at a
 * time. */
static bool utf8_valid(const uint8_t *s, int64_t n) {
  const uint64_t high = 0x8080808080808080ull;
  int64_t i = 0;
  while (i < n) {
    while (n - i >= 16) {
      uint64_t w0, w1;
      memcpy(&w0, s + i, 8);
      memcpy(&w1, s + i + 8, 8);
      if ((w0 | w1) & high) break;
      i += 16;
    }
    if (i == n) break;
    if (n - i >= 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (!(w & high)) {
        i += 8;
        continue;
      }
    }
    uint8_t b = s[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b < 0xC2) return false; /* a stray continuation byte, or overlong C0/C1 */
    if (b < 0xE0) {
      if (n - i < 2 || (s[i + 1] & 0xC0) != 0x80) return false;
      i += 2;
    } else if (b < 0xF0) {
      uint8_t lo = b == 0xE0 ? 0xA0 : 0x80; /* overlong */
      uint8_t hi = b == 0xED ? 0x9F : 0xBF; /* surrogates */
      if (n - i < 3 || s[i + 1] < lo || s[i + 1] > hi || (s[i + 2] & 0xC0) != 0x80) return false;
      i += 3;
    } else if (b < 0xF5) {
      uint8_t lo = b == 0xF0 ? 0x90 : 0x80; /* overlong */
      uint8_t hi = b == 0xF4 ? 0x8F : 0xBF; /* above U+10FFFF */
      if (n - i < 4 || s[i + 1] < lo || s[i + 1] > hi || (s[i + 2] & 0xC0) != 0x80 ||
          (s[i + 3] & 0xC0) != 0x80)
        return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

/* Validates the utf8 of every valid slot. Fast path: the whole byte range the
 * slots span is valid UTF-8 and no slot boundary falls on a continuation byte,
 * which together imply every slot is valid on its own. Only when that fails
 * (or null slots hold garbage) are the valid slots checked one by one, which
 * also finds the slot to report. */
static qv_status check_utf8(vctx *c, const qv_array *a, bool large, int64_t first, int64_t last) {
  const uint8_t *o = qv__array_data(a, 1);
  const uint8_t *data = qv__array_data(a, 2);
  if (last == first) return QV_OK;
  bool ok = utf8_valid(data + first, last - first);
  if (ok) {
    bool bad = false;
    if (large) {
      const int64_t *off = (const int64_t *)o + a->offset;
      for (int64_t i = 1; i < a->length; i++) {
        int64_t p = off[i];
        bad |= p < last && (data[p] & 0xC0) == 0x80; /* &&: data[last] may not exist */
      }
    } else {
      const int32_t *off = (const int32_t *)o + a->offset;
      for (int64_t i = 1; i < a->length; i++) {
        int64_t p = off[i];
        bad |= p < last && (data[p] & 0xC0) == 0x80; /* &&: data[last] may not exist */
      }
    }
    if (!bad) return QV_OK;
  }
  const uint8_t *validity = qv__array_data(a, 0);
  for (int64_t i = 0; i < a->length; i++) {
    int64_t j = a->offset + i;
    if (validity && !qv_bit_get(validity, j)) continue;
    int64_t lo = offset_at(o, large, j), hi = offset_at(o, large, j + 1);
    if (!utf8_valid(data + lo, hi - lo))
      return fail(c, "slot %lld (bytes %lld..%lld) is not valid UTF-8", (long long)i,
                  (long long)lo, (long long)hi);
  }
  return QV_OK;
}

/* ---- dictionary indices ------------------------------------------------- */

/* For n >= 1 slots, returns the slot (relative to offset) of the first valid index outside
 * [0, dict_len), or -1. `ix` points at the first slot; validity (may be NULL)
 * is read at bit voff + i. */
#define DEFINE_FIRST_BAD_INDEX(NAME, T, OUT_OF_RANGE)                                   \
  NOINLINE static int64_t NAME(const T *ix, int64_t n, const uint8_t *validity, int64_t voff,    \
                      int64_t dict_len) {                                              \
    uint32_t bad = 0;                                                                  \
    if (!validity) {                                                                   \
      /* min/max reductions vectorize; the range test then runs once. */              \
      T lo = ix[0], hi = ix[0];                                                        \
      for (int64_t i = 1; i < n; i++) {                                                \
        lo = ix[i] < lo ? ix[i] : lo;                                                  \
        hi = ix[i] > hi ? ix[i] : hi;                                                  \
      }                                                                                \
      bad = (uint32_t)(OUT_OF_RANGE(lo, dict_len) | OUT_OF_RANGE(hi, dict_len));       \
    } else {                                                                           \
      for (int64_t i = 0; i < n; i++)                                                  \
        bad |= (uint32_t)(qv_bit_get(validity, voff + i) & OUT_OF_RANGE(ix[i], dict_len)); \
    }                                                                                  \
    if (!bad) return -1;                                                               \
    for (int64_t i = 0; i < n; i++) {                                                  \
      if ((!validity || qv_bit_get(validity, voff + i)) && OUT_OF_RANGE(ix[i], dict_len)) \
        return i;                                                                      \
    }                                                                                  \
    return -1;                                                                         \
  }

#define SIGNED_OUT_OF_RANGE(v, len) (((v) < 0) | ((int64_t)(v) >= (len)))
#define UNSIGNED_OUT_OF_RANGE(v, len) ((uint64_t)(v) >= (uint64_t)(len))

DEFINE_FIRST_BAD_INDEX(first_bad_i8, int8_t, SIGNED_OUT_OF_RANGE)
DEFINE_FIRST_BAD_INDEX(first_bad_i16, int16_t, SIGNED_OUT_OF_RANGE)
DEFINE_FIRST_BAD_INDEX(first_bad_i32, int32_t, SIGNED_OUT_OF_RANGE)
DEFINE_FIRST_BAD_INDEX(first_bad_i64, int64_t, SIGNED_OUT_OF_RANGE)
DEFINE_FIRST_BAD_INDEX(first_bad_u8, uint8_t, UNSIGNED_OUT_OF_RANGE)
DEFINE_FIRST_BAD_INDEX(first_bad_u16, uint16_t, UNSIGNED_OUT_OF_RANGE)
DEFINE_FIRST_BAD_INDEX(first_bad_u32, uint32_t, UNSIGNED_OUT_OF_RANGE)
DEFINE_FIRST_BAD_INDEX(first_bad_u64, uint64_t, UNSIGNED_OUT_OF_RANGE)

static qv_status check_dictionary_indices(vctx *c, const qv_array *a, int64_t dict_len,
                                          bool has_nulls) {
  qv_type_id index_id = a->type->dict_index->id;
  /* Without nulls the branch-free loop ignores the bitmap entirely. */
  const uint8_t *validity = has_nulls ? qv__array_data(a, 0) : NULL;
  const uint8_t *data = qv__array_data(a, 1);
  int64_t n = a->length, off = a->offset, bad = -1;
  if (n == 0) return QV_OK;
#define FIRST_BAD(FN, T) FN((const T *)data + off, n, validity, off, dict_len)
  switch (index_id) {
    case QV_INT8: bad = FIRST_BAD(first_bad_i8, int8_t); break;
    case QV_INT16: bad = FIRST_BAD(first_bad_i16, int16_t); break;
    case QV_INT32: bad = FIRST_BAD(first_bad_i32, int32_t); break;
    case QV_INT64: bad = FIRST_BAD(first_bad_i64, int64_t); break;
    case QV_UINT8: bad = FIRST_BAD(first_bad_u8, uint8_t); break;
    case QV_UINT16: bad = FIRST_BAD(first_bad_u16, uint16_t); break;
    case QV_UINT32: bad = FIRST_BAD(first_bad_u32, uint32_t); break;
    case QV_UINT64: bad = FIRST_BAD(first_bad_u64, uint64_t); break;
    default: return fail(c, "dictionary index type is not an integer type");
  }
#undef FIRST_BAD
  if (bad < 0) return QV_OK;
  int64_t j = off + bad;
  long long value;
  switch (index_id) {
    case QV_INT8: value = ((const int8_t *)data)[j]; break;
    case QV_INT16: value = ((const int16_t *)data)[j]; break;
    case QV_INT32: value = ((const int32_t *)data)[j]; break;
    case QV_INT64: value = ((const int64_t *)data)[j]; break;
    case QV_UINT8: value = ((const uint8_t *)data)[j]; break;
    case QV_UINT16: value = ((const uint16_t *)data)[j]; break;
    case QV_UINT32: value = ((const uint32_t *)data)[j]; break;
    default: {
      uint64_t u = ((const uint64_t *)data)[j];
      return fail(c, "dictionary index %llu at slot %lld is outside the dictionary (length %lld)",
                  (unsigned long long)u, (long long)bad, (long long)dict_len);
    }
  }
  return fail(c, "dictionary index %lld at slot %lld is outside the dictionary (length %lld)",
              value, (long long)bad, (long long)dict_len);
}

/* ---- unions -------------------------------------------------------------- */

static qv_status check_union(vctx *c, const qv_array *a) {
  const qv_data_type *t = a->type;
  int64_t end = a->offset + a->length;
  bool dense = t->id == QV_DENSE_UNION;
  /* code -> child index; codes are int8, so a 256-entry table indexed by the
   * unsigned byte catches negative ids too. */
  int16_t child_of[256];
  for (int i = 0; i < 256; i++) child_of[i] = -1;
  for (int32_t i = 0; i < t->n_children; i++) {
    int8_t code = t->type_codes[i];
    if (code < 0) return fail(c, "union type code %d of child %d is negative", code, (int)i);
    child_of[(uint8_t)code] = (int16_t)i;
  }
  QV_RETURN_NOT_OK(need_bytes(c, a, 0, end, "type ids"));
  const int8_t *ids = (const int8_t *)qv__array_data(a, 0);
  if (dense) {
    int64_t need = mul_size(end, 4);
    if (need < 0) return fail(c, "offsets buffer size overflows for length %lld", (long long)end);
    QV_RETURN_NOT_OK(need_bytes(c, a, 1, need, "union offsets"));
  } else {
    for (int32_t i = 0; i < a->n_children; i++) {
      if (a->children[i]->length < end)
        return fail(c, "sparse union child %d has length %lld, needs %lld", (int)i,
                    (long long)a->children[i]->length, (long long)end);
    }
  }
  if (a->length == 0) return QV_OK;
  ids += a->offset;
  bool bad = false;
  for (int64_t i = 0; i < a->length; i++) bad |= child_of[(uint8_t)ids[i]] < 0;
  if (bad) {
    for (int64_t i = 0; i < a->length; i++) {
      if (child_of[(uint8_t)ids[i]] < 0)
        return fail(c, "type id %d at slot %lld is not one of the union's type codes", ids[i],
                    (long long)i);
    }
  }
  if (!dense) return QV_OK;
  int64_t child_len[256];
  for (int i = 0; i < 256; i++) child_len[i] = 0;
  for (int32_t i = 0; i < t->n_children; i++)
    child_len[(uint8_t)t->type_codes[i]] = a->children[i]->length;
  const int32_t *offs = (const int32_t *)qv__array_data(a, 1) + a->offset;
  bad = false;
  for (int64_t i = 0; i < a->length; i++)
    bad |= (offs[i] < 0) | ((int64_t)offs[i] >= child_len[(uint8_t)ids[i]]);
  if (bad) {
    for (int64_t i = 0; i < a->length; i++) {
      if (offs[i] < 0)
        return fail(c, "dense union offset %lld (=%d) is negative", (long long)(a->offset + i),
                    offs[i]);
      if ((int64_t)offs[i] >= child_len[(uint8_t)ids[i]])
        return fail(c, "dense union offset %lld (=%d) is beyond child %d's length %lld",
                    (long long)(a->offset + i), offs[i], child_of[(uint8_t)ids[i]],
                    (long long)child_len[(uint8_t)ids[i]]);
    }
  }
  return QV_OK;
}

/* ---- the recursive walk ---------------------------------------------------- */

static qv_status validate_array(vctx *c, const qv_array *a, int depth);

/* Validates child i of a, after checking its type is the one the parent type
 * declares. `open`/`close` wrap the child's name in the path. */
static qv_status validate_child(vctx *c, const qv_array *a, int32_t i, const char *open,
                                const char *close, int depth) {
  const qv_field *f = a->type->children[i];
  const qv_array *child = a->children[i];
  size_t saved = path_push(c, open, f->name, close);
  qv_status st = QV_OK;
  if (child->type != f->type && !qv_type_equals(child->type, f->type)) {
    char want[128], got[128];
    st = fail(c, "child array has type %s, the parent type declares %s",
              type_name(child->type, got, sizeof got), type_name(f->type, want, sizeof want));
  } else {
    st = validate_array(c, child, depth + 1);
  }
  path_pop(c, saved);
  return st;
}

static int32_t expected_children(const qv_data_type *t) {
  switch (t->id) {
    case QV_LIST: case QV_LARGE_LIST: case QV_FIXED_SIZE_LIST: case QV_MAP: return 1;
    case QV_STRUCT: case QV_SPARSE_UNION: case QV_DENSE_UNION: return t->n_children;
    default: return 0;
  }
}

/* Checks the null count against the layout and, when a bitmap is present and a
 * count declared, against the bitmap. Sets *has_nulls when slots may be null. */
static qv_status check_nulls(vctx *c, const qv_array *a, bool *has_nulls) {
  int64_t nc = atomic_load(&((qv_array *)a)->null_count);
  qv_type_id id = a->type->id;
  *has_nulls = false;
  if (nc < -1 || nc > a->length)
    return fail(c, "null_count %lld is outside [0, length %lld]", (long long)nc,
                (long long)a->length);
  if (id == QV_NA) {
    if (nc != -1 && nc != a->length)
      return fail(c, "null_count %lld of a null-type array differs from its length %lld",
                  (long long)nc, (long long)a->length);
    *has_nulls = a->length > 0;
    return QV_OK;
  }
  if (!type_has_validity(id)) return QV_OK;
  int64_t end = a->offset + a->length;
  if (!a->buffers[0]) {
    if (nc > 0)
      return fail(c, "null_count %lld but no validity bitmap", (long long)nc);
    return QV_OK;
  }
  QV_RETURN_NOT_OK(need_bytes(c, a, 0, bitmap_bytes(end), "validity"));
  int64_t nulls = a->length - qv_bitmap_count_set(qv__array_data(a, 0), a->offset, a->length);
  if (nc >= 0 && nc != nulls)
    return fail(c, "null_count %lld but the validity bitmap has %lld nulls", (long long)nc,
                (long long)nulls);
  *has_nulls = nulls > 0;
  return QV_OK;
}

static qv_status check_fixed_width(vctx *c, const qv_array *a) {
  const qv_data_type *t = a->type;
  int64_t end = a->offset + a->length;
  if (t->id == QV_DECIMAL128 && (t->precision < 1 || t->precision > 38))
    return fail(c, "decimal128 precision %d is outside [1, 38]", t->precision);
  if (t->id == QV_DECIMAL256 && (t->precision < 1 || t->precision > 76))
    return fail(c, "decimal256 precision %d is outside [1, 76]", t->precision);
  if (t->byte_width < 0) return fail(c, "negative byte width %d", t->byte_width);
  int64_t need = mul_size(end, t->byte_width);
  if (need < 0) return fail(c, "data buffer size overflows for length %lld", (long long)end);
  return need_bytes(c, a, 1, need, "data");
}

static qv_status check_binary(vctx *c, const qv_array *a) {
  qv_type_id id = a->type->id;
  bool large = id == QV_LARGE_BINARY || id == QV_LARGE_UTF8;
  int64_t first, last;
  QV_RETURN_NOT_OK(
      check_offsets_buffer(c, a, large, buffer_size(a, 2), "data buffer", &first, &last));
  if (id == QV_UTF8 || id == QV_LARGE_UTF8) return check_utf8(c, a, large, first, last);
  return QV_OK;
}

/* The map's entries: a struct of (key, value) whose keys are never null in the
 * range the map's slots use ([first, last) of the struct). */
static qv_status check_map_entries(vctx *c, const qv_array *a, int64_t first, int64_t last) {
  const qv_array *s = a->children[0];
  if (s->type->id != QV_STRUCT || s->n_children != 2)
    return fail(c, "map entries are not a struct of two fields");
  if (last == first) return QV_OK;
  const qv_array *keys = s->children[0];
  if (keys->type->id == QV_NA) return fail(c, "map keys are null");
  if (!type_has_validity(keys->type->id) || !keys->buffers[0]) return QV_OK;
  /* The struct's own validation (done later) ensures its children are long
   * enough; check here only what is in bounds to read. */
  int64_t bit0 = keys->offset + s->offset + first, n = last - first;
  if (s->offset + last > keys->length || bit0 + n > buffer_size(keys, 0) * 8)
    return QV_OK; /* reported by the entries' own validation */
  int64_t valid = qv_bitmap_count_set(qv__array_data(keys, 0), bit0, n);
  if (valid != n) return fail(c, "map has %lld null keys", (long long)(n - valid));
  return QV_OK;
}

static qv_status check_list_like(vctx *c, const qv_array *a, int depth) {
  const qv_data_type *t = a->type;
  const qv_array *child = a->children[0];
  int64_t end = a->offset + a->length;
  if (t->id == QV_FIXED_SIZE_LIST) {
    if (t->list_size < 0) return fail(c, "negative list size %d", t->list_size);
    int64_t need = mul_size(end, t->list_size);
    if (need < 0) return fail(c, "child length overflows for length %lld", (long long)end);
    if (child->length < need)
      return fail(c, "child length %lld is less than (offset + length) * list_size = %lld",
                  (long long)child->length, (long long)need);
  } else {
    int64_t first, last;
    QV_RETURN_NOT_OK(check_offsets_buffer(c, a, t->id == QV_LARGE_LIST, child->length,
                                          "child array", &first, &last));
    if (t->id == QV_MAP) QV_RETURN_NOT_OK(check_map_entries(c, a, first, last));
  }
  return validate_child(c, a, 0, "[", "]", depth);
}

static qv_status check_dictionary(vctx *c, const qv_array *a, bool has_nulls, int depth) {
  const qv_data_type *t = a->type;
  if (!t->dict_index || !qv_type_is_integer(t->dict_index->id))
    return fail(c, "dictionary index type is not an integer type");
  int64_t end = a->offset + a->length;
  int64_t need = mul_size(end, t->dict_index->byte_width);
  if (need < 0) return fail(c, "indices buffer size overflows for length %lld", (long long)end);
  QV_RETURN_NOT_OK(need_bytes(c, a, 1, need, "indices"));
  const qv_array *dict = a->dictionary;
  size_t saved = path_push(c, "{", "dictionary", "}");
  qv_status st;
  if (dict->type != t->dict_value && !qv_type_equals(dict->type, t->dict_value)) {
    char want[128], got[128];
    st = fail(c, "dictionary has type %s, the dictionary type declares %s",
              type_name(dict->type, got, sizeof got), type_name(t->dict_value, want, sizeof want));
  } else {
    st = validate_array(c, dict, depth + 1);
  }
  path_pop(c, saved);
  QV_RETURN_NOT_OK(st);
  return check_dictionary_indices(c, a, dict->length, has_nulls);
}

static qv_status validate_array(vctx *c, const qv_array *a, int depth) {
  if (depth > MAX_DEPTH) return fail(c, "nested deeper than %d levels", MAX_DEPTH);
  if (!a->type) return fail(c, "no type");
  const qv_data_type *t = a->type;
  char tbuf[128];
  if (a->length < 0) return fail(c, "length %lld is negative", (long long)a->length);
  if (a->offset < 0) return fail(c, "offset %lld is negative", (long long)a->offset);
  if (a->offset > INT64_MAX - a->length)
    return fail(c, "offset %lld + length %lld overflows", (long long)a->offset,
                (long long)a->length);
  if ((unsigned)t->id >= (unsigned)QV_TYPE_ID_COUNT) return fail(c, "unknown type id %d", t->id);
  int32_t nb = qv_type_num_buffers(t->id);
  if (a->n_buffers != nb || nb > QV_MAX_BUFFERS)
    return fail(c, "%s arrays have %d buffers, this one has %d",
                type_name(t, tbuf, sizeof tbuf), (int)nb, (int)a->n_buffers);
  int32_t nc = expected_children(t);
  if (a->n_children != nc)
    return fail(c, "%s arrays have %d children, this one has %d",
                type_name(t, tbuf, sizeof tbuf), (int)nc, (int)a->n_children);
  if (nc > 0 && !a->children) return fail(c, "children missing");
  for (int32_t i = 0; i < nc; i++) {
    if (!a->children[i]) return fail(c, "child %d missing", (int)i);
  }
  if ((t->id == QV_DICTIONARY) != (a->dictionary != NULL))
    return fail(c, "%s", t->id == QV_DICTIONARY ? "dictionary array without a dictionary"
                                                : "non-dictionary array with a dictionary");
  bool has_nulls;
  QV_RETURN_NOT_OK(check_nulls(c, a, &has_nulls));
  int64_t end = a->offset + a->length;

  switch (t->id) {
    case QV_NA:
      return QV_OK;
    case QV_BOOL:
      return need_bytes(c, a, 1, bitmap_bytes(end), "data");
    case QV_INT8: case QV_INT16: case QV_INT32: case QV_INT64:
    case QV_UINT8: case QV_UINT16: case QV_UINT32: case QV_UINT64:
    case QV_FLOAT16: case QV_FLOAT32: case QV_FLOAT64:
    case QV_DECIMAL128: case QV_DECIMAL256:
    case QV_DATE32: case QV_DATE64: case QV_TIME32: case QV_TIME64:
    case QV_TIMESTAMP: case QV_DURATION:
    case QV_INTERVAL_MONTHS: case QV_INTERVAL_DAY_TIME: case QV_INTERVAL_MONTH_DAY_NANO:
    case QV_FIXED_SIZE_BINARY:
      return check_fixed_width(c, a);
    case QV_BINARY: case QV_LARGE_BINARY: case QV_UTF8: case QV_LARGE_UTF8:
      return check_binary(c, a);
    case QV_LIST: case QV_LARGE_LIST: case QV_FIXED_SIZE_LIST: case QV_MAP:
      return check_list_like(c, a, depth);
    case QV_STRUCT:
      for (int32_t i = 0; i < a->n_children; i++) {
        if (a->children[i]->length < end)
          return fail(c, "child %d ('%s') has length %lld, needs offset + length = %lld", (int)i,
                      t->children[i]->name, (long long)a->children[i]->length, (long long)end);
      }
      for (int32_t i = 0; i < a->n_children; i++)
        QV_RETURN_NOT_OK(validate_child(c, a, i, ".", "", depth));
      return QV_OK;
    case QV_SPARSE_UNION: case QV_DENSE_UNION:
      QV_RETURN_NOT_OK(check_union(c, a));
      for (int32_t i = 0; i < a->n_children; i++)
        QV_RETURN_NOT_OK(validate_child(c, a, i, ".", "", depth));
      return QV_OK;
    case QV_DICTIONARY:
      return check_dictionary(c, a, has_nulls, depth);
    case QV_TYPE_ID_COUNT:
      break;
  }
  return fail(c, "unknown type id %d", t->id);
}

qv_status qv_array_validate_full(const qv_array *a, qv_error *err) {
  if (!a) return qv_error_set(err, QV_INVALID, "array: NULL");
  vctx c;
  c.err = err;
  c.path[0] = '\0';
  c.path_len = 0;
  return validate_array(&c, a, 0);
}

qv_status qv_record_batch_validate_full(const qv_record_batch *b, qv_error *err) {
  if (!b || !b->schema) return qv_error_set(err, QV_INVALID, "record batch: no schema");
  const qv_schema *s = b->schema;
  if (b->num_rows < 0)
    return qv_error_set(err, QV_INVALID, "record batch: num_rows %lld is negative",
                        (long long)b->num_rows);
  if (b->n_columns != s->n_fields)
    return qv_error_set(err, QV_INVALID, "record batch: %d columns for a schema of %d fields",
                        (int)b->n_columns, (int)s->n_fields);
  vctx c;
  c.err = err;
  for (int32_t i = 0; i < b->n_columns; i++) {
    const qv_field *f = s->fields[i];
    const qv_array *col = b->columns[i];
    c.path[0] = '\0';
    c.path_len = 0;
    path_push(&c, "", f->name[0] ? f->name : "<unnamed>", "");
    if (!col) return fail(&c, "column %d missing", (int)i);
    if (col->length != b->num_rows)
      return fail(&c, "column length %lld differs from the batch's %lld rows",
                  (long long)col->length, (long long)b->num_rows);
    if (col->type != f->type && !qv_type_equals(col->type, f->type)) {
      char want[128], got[128];
      return fail(&c, "column has type %s, the schema declares %s",
                  type_name(col->type, got, sizeof got), type_name(f->type, want, sizeof want));
    }
    QV_RETURN_NOT_OK(validate_array(&c, col, 0));
  }
  return QV_OK;
}
