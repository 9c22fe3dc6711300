/* The CSV tokenizer: finds where records and fields begin and end.
 *
 * The bytes that matter to the grammar (the delimiter, LF, the quote and the
 * escape character) are located in bulk: a scanner computes, for 64 input
 * bytes at a time, a 64-bit mask with one bit per such byte (SSE2 compares
 * where the compiler targets it, else SWAR word arithmetic that flags equal
 * bytes), and the parser walks from one set bit to the next with a count of
 * trailing zeros. A short unquoted field therefore costs a few instructions,
 * not a loop over its bytes. Fields are not copied: the tokenizer records
 * each field's span and whether it needs unescaping, and the converters read
 * the input directly.
 *
 * Record boundaries (see quiver/csv.h): a record ends at an LF outside quotes
 * (a CR just before it belongs to the line end); a lone CR is data. Line
 * numbers for error messages are counted only when an error is reported. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "io/csv/csv_internal.h"

#if defined(__SSE2__) && !defined(QV_CSV_NO_SIMD)
#include <emmintrin.h>
#define CSV_SSE2 1
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(QV_CSV_NO_SWAR)
#define CSV_SWAR 1
#endif

#ifdef CSV_SWAR
/* 0x80 in every byte of v that is zero, exactly (no false positives from
 * borrows, unlike the shorter (v - 0x01..) & ~v & 0x80.. form). */
static inline uint64_t zero_bytes(uint64_t v) {
  const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  return ~(((v & low7) + low7) | v | low7);
}
#endif

/* Walks the grammar bytes of the input in order. */
typedef struct scanner {
  const uint8_t *data;
  int64_t size;
  int64_t base;  /* the current block is [base, base + 64) */
  uint64_t mask; /* its grammar bytes, bit i for byte base + i */
  uint8_t c[4];  /* delimiter, LF, quote, escape (repeats when unused) */
} scanner;

static void scanner_init(scanner *s, const qv_csv_ctx *ctx) {
  s->data = ctx->data;
  s->size = ctx->size;
  s->base = -64; /* no block yet */
  s->mask = 0;
  s->c[0] = ctx->delimiter;
  s->c[1] = '\n';
  s->c[2] = ctx->has_quote ? ctx->quote : ctx->delimiter;
  s->c[3] = ctx->has_escape ? ctx->escape : ctx->delimiter;
}

/* The grammar-byte mask of the 64 bytes at p. */
static inline uint64_t block_mask(const scanner *s, const uint8_t *p) {
  uint64_t m = 0;
#if defined(CSV_SSE2)
  const __m128i v0 = _mm_set1_epi8((char)s->c[0]), v1 = _mm_set1_epi8((char)s->c[1]);
  const __m128i v2 = _mm_set1_epi8((char)s->c[2]), v3 = _mm_set1_epi8((char)s->c[3]);
  for (int k = 0; k < 4; k++) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
    __m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, v0), _mm_cmpeq_epi8(x, v1)),
                             _mm_or_si128(_mm_cmpeq_epi8(x, v2), _mm_cmpeq_epi8(x, v3)));
    m |= (uint64_t)(uint32_t)_mm_movemask_epi8(e) << (16 * k);
  }
#elif defined(CSV_SWAR)
  const uint64_t ones = 0x0101010101010101ULL;
  const uint64_t k0 = ones * s->c[0], k1 = ones * s->c[1], k2 = ones * s->c[2], k3 = ones * s->c[3];
  for (int k = 0; k < 8; k++) {
    uint64_t w;
    memcpy(&w, p + 8 * k, 8);
    uint64_t z = zero_bytes(w ^ k0) | zero_bytes(w ^ k1) | zero_bytes(w ^ k2) | zero_bytes(w ^ k3);
    /* Gather the eight 0x80 flags into eight bits (byte i to bit i). */
    m |= (((z >> 7) * 0x0102040810204080ULL) >> 56) << (8 * k);
  }
#else
  for (int i = 0; i < 64; i++)
    if (p[i] == s->c[0] || p[i] == s->c[1] || p[i] == s->c[2] || p[i] == s->c[3]) m |= (uint64_t)1 << i;
#endif
  return m;
}

/* Makes [base, base + 64) the current block. */
static void load_block(scanner *s, int64_t base) {
  s->base = base;
  if (base + 64 <= s->size) {
    s->mask = block_mask(s, s->data + base);
    return;
  }
  uint8_t tail[64] = {0};
  int64_t n = s->size - base;
  memcpy(tail, s->data + base, (size_t)n);
  s->mask = block_mask(s, tail) & (((uint64_t)1 << n) - 1);
}

/* The offset of the first grammar byte at or after pos, or size. */
static inline int64_t next_special(scanner *s, int64_t pos) {
  if (pos >= s->size) return s->size;
  uint64_t off = (uint64_t)(pos - s->base);
  if (off >= 64) {
    load_block(s, pos & ~(int64_t)63);
    off = (uint64_t)(pos - s->base);
  }
  uint64_t m = s->mask & (~(uint64_t)0 << off);
  while (!m) {
    if (s->base + 64 >= s->size) return s->size;
    load_block(s, s->base + 64);
    m = s->mask;
  }
  return s->base + __builtin_ctzll(m);
}

qv_status qv__csv_ctx_init(qv_csv_ctx *ctx, const uint8_t *data, int64_t size,
                           const qv_csv_read_options *opts, qv_error *err) {
  memset(ctx, 0, sizeof *ctx);
  uint8_t d = (uint8_t)opts->delimiter, q = (uint8_t)opts->quote, e = (uint8_t)opts->escape;
  if (d == '\n' || d == '\r') return qv_error_set(err, QV_INVALID, "csv: the delimiter cannot be CR or LF");
  if (q && (q == d || q == '\n' || q == '\r'))
    return qv_error_set(err, QV_INVALID, "csv: the quote character must differ from the delimiter, CR and LF");
  if (e && (e == d || e == q || e == '\n' || e == '\r'))
    return qv_error_set(err, QV_INVALID,
                        "csv: the escape character must differ from the delimiter, the quote, CR and LF");
  if (opts->batch_size <= 0) return qv_error_set(err, QV_INVALID, "csv: batch_size must be positive");
  if (opts->infer_rows < 0) return qv_error_set(err, QV_INVALID, "csv: infer_rows cannot be negative");
  ctx->data = data;
  ctx->size = size;
  ctx->alloc = opts->alloc ? opts->alloc : qv_default_allocator();
  ctx->delimiter = d;
  ctx->quote = q;
  ctx->escape = e;
  ctx->has_quote = q != 0;
  ctx->has_escape = e != 0;
  ctx->header = opts->header;
  ctx->newlines_in_values = opts->newlines_in_values;
  ctx->trailing_delimiter = opts->trailing_delimiter;
  ctx->ignore_empty_lines = opts->ignore_empty_lines;
  ctx->has_null_string = opts->null_string != NULL;
  ctx->null_string = opts->null_string ? opts->null_string : "";
  ctx->null_len = (int64_t)strlen(ctx->null_string);
  ctx->file_name = opts->file_name;
  ctx->infer_rows = opts->infer_rows;
  ctx->batch_size = opts->batch_size;
  return QV_OK;
}

int64_t qv__csv_data_begin(const qv_csv_ctx *ctx) {
  const uint8_t *d = ctx->data;
  return ctx->size >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF ? 3 : 0;
}

int64_t qv__csv_line_of(const qv_csv_ctx *ctx, int64_t pos) {
  int64_t line = 1;
  const uint8_t *p = ctx->data, *end = ctx->data + (pos < ctx->size ? pos : ctx->size);
  while (p < end) {
    const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));
    if (!lf) break;
    line++;
    p = lf + 1;
  }
  return line;
}

qv_status qv__csv_error(const qv_csv_ctx *ctx, qv_error *err, qv_status code, int64_t pos,
                        const char *column, const char *fmt, ...) {
  if (!err) return code;
  char msg[QV_ERROR_MESSAGE_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  long long line = (long long)qv__csv_line_of(ctx, pos);
  const char *file = ctx->file_name ? ctx->file_name : "";
  const char *sep = ctx->file_name ? " " : "";
  if (column) return qv_error_set(err, code, "csv: %s%sline %lld column '%s': %s", file, sep, line, column, msg);
  return qv_error_set(err, code, "csv: %s%sline %lld: %s", file, sep, line, msg);
}

bool qv__csv_skip_empty_line(const qv_csv_ctx *ctx, int64_t pos, int64_t *next) {
  if (!ctx->ignore_empty_lines) return false;
  const uint8_t *d = ctx->data;
  if (d[pos] == '\n') {
    *next = pos + 1;
    return true;
  }
  if (d[pos] == '\r' && (pos + 1 == ctx->size || d[pos + 1] == '\n')) {
    *next = pos + 2 < ctx->size ? pos + 2 : ctx->size;
    return true;
  }
  return false;
}

int64_t qv__csv_next_record_start(const qv_csv_ctx *ctx, int64_t begin) {
  int64_t from = begin - 1;
  if (from >= ctx->size) return ctx->size;
  const uint8_t *lf = memchr(ctx->data + from, '\n', (size_t)(ctx->size - from));
  return lf ? (int64_t)(lf - ctx->data) + 1 : ctx->size;
}

/* Parses the record at pos with the scanner sc (see qv__csv_parse_record). */
static inline qv_status parse_record(const qv_csv_ctx *ctx, scanner *sc, int64_t pos, qv_csv_field *out,
                                     int64_t stride, int32_t n_store, qv_csv_record *rec, qv_error *err) {
  const uint8_t *d = ctx->data;
  const int64_t size = ctx->size;
  const uint8_t delim = ctx->delimiter, quote = ctx->quote, esc = ctx->escape;
  const bool has_quote = ctx->has_quote, has_esc = ctx->has_escape, newlines = ctx->newlines_in_values;
  int64_t p = pos;
  int32_t c = 0;
  bool last_empty = false;
  for (;;) {
    int64_t s, fe;
    uint32_t flags = 0;
    if (has_quote && p < size && d[p] == quote) {
      int64_t q = p + 1;
      s = q;
      flags = QV_CSV_QUOTED;
      for (;;) {
        q = next_special(sc, q);
        if (q == size) return qv__csv_error(ctx, err, QV_INVALID, p, NULL, "unterminated quoted field");
        uint8_t ch = d[q];
        if (has_esc && ch == esc) {
          if (q + 1 == size)
            return qv__csv_error(ctx, err, QV_INVALID, q, NULL, "escape character at the end of the input");
          if (d[q + 1] == '\n' && !newlines)
            return qv__csv_error(ctx, err, QV_INVALID, q, NULL,
                                 "escaped newline in a value (allowed only with newlines_in_values)");
          flags |= QV_CSV_UNESCAPE;
          q += 2;
          continue;
        }
        if (ch != quote) { /* a delimiter or LF inside the quotes */
          if (ch == '\n' && !newlines)
            return qv__csv_error(ctx, err, QV_INVALID, p, NULL,
                                 "newline inside a quoted value (allowed only with newlines_in_values)");
          q++;
          continue;
        }
        if (q + 1 < size && d[q + 1] == quote) {
          flags |= QV_CSV_UNESCAPE;
          q += 2;
          continue;
        }
        break;
      }
      fe = q;
      p = q + 1;
      if (p < size && d[p] == '\r' && (p + 1 == size || d[p + 1] == '\n')) p++;
      if (p < size && d[p] != delim && d[p] != '\n')
        return qv__csv_error(ctx, err, QV_INVALID, p, NULL, "unexpected character '%c' after a closing quote", d[p]);
    } else {
      int64_t q = p, literal_end = p;
      s = p;
      for (;;) {
        q = next_special(sc, q);
        if (q == size) break;
        uint8_t ch = d[q];
        if (ch == delim || ch == '\n') break;
        if (has_esc && ch == esc) {
          if (q + 1 == size)
            return qv__csv_error(ctx, err, QV_INVALID, q, NULL, "escape character at the end of the input");
          if (d[q + 1] == '\n' && !newlines)
            return qv__csv_error(ctx, err, QV_INVALID, q, NULL,
                                 "escaped newline in a value (allowed only with newlines_in_values)");
          flags |= QV_CSV_UNESCAPE;
          q += 2;
          literal_end = q;
          continue;
        }
        q++; /* a quote inside an unquoted field is data */
      }
      fe = q;
      if ((q == size || d[q] == '\n') && fe > literal_end && d[fe - 1] == '\r') fe--;
      p = q;
    }
    if (fe - s > INT32_MAX) return qv__csv_error(ctx, err, QV_INVALID, s, NULL, "field longer than 2 GiB");
    if (c < n_store) {
      qv_csv_field *f = out + (int64_t)c * stride;
      f->start = s;
      f->len = (int32_t)(fe - s);
      f->flags = flags;
    }
    last_empty = fe == s && !(flags & QV_CSV_QUOTED);
    if (c == INT32_MAX) return qv__csv_error(ctx, err, QV_INVALID, pos, NULL, "too many fields");
    c++;
    if (p < size && d[p] == delim) {
      p++;
      continue;
    }
    if (p < size) p++; /* the LF */
    break;
  }
  rec->next = p;
  rec->n_fields = c;
  rec->last_empty = last_empty;
  return QV_OK;
}

qv_status qv__csv_parse_record(const qv_csv_ctx *ctx, int64_t pos, qv_csv_field *out, int64_t stride,
                               int32_t n_store, qv_csv_record *rec, qv_error *err) {
  scanner sc;
  scanner_init(&sc, ctx);
  return parse_record(ctx, &sc, pos, out, stride, n_store, rec, err);
}

qv_status qv__csv_tokenize(const qv_csv_ctx *ctx, int64_t *pos, int64_t end, int32_t n_cols,
                           qv_csv_field *fields, int64_t cap, int64_t *rows, qv_error *err) {
  int64_t p = *pos, r = 0;
  if (end > ctx->size) end = ctx->size;
  scanner sc;
  scanner_init(&sc, ctx);
  while (r < cap && p < end) {
    int64_t next;
    if (qv__csv_skip_empty_line(ctx, p, &next)) {
      p = next;
      continue;
    }
    qv_csv_record rec;
    QV_RETURN_NOT_OK(parse_record(ctx, &sc, p, fields + r, cap, n_cols, &rec, err));
    if (rec.n_fields != n_cols &&
        !(ctx->trailing_delimiter && rec.n_fields == n_cols + 1 && rec.last_empty))
      return qv__csv_error(ctx, err, QV_INVALID, p, NULL, "expected %d fields, found %d", (int)n_cols,
                           (int)rec.n_fields);
    r++;
    p = rec.next;
  }
  *pos = p;
  *rows = r;
  return QV_OK;
}

int64_t qv__csv_unescape(const qv_csv_ctx *ctx, const qv_csv_field *f, uint8_t *dst) {
  const uint8_t *s = ctx->data + f->start;
  int64_t n = f->len, o = 0;
  bool quoted = (f->flags & QV_CSV_QUOTED) != 0;
  for (int64_t i = 0; i < n; i++) {
    uint8_t ch = s[i];
    if (ctx->has_escape && ch == ctx->escape && i + 1 < n) {
      dst[o++] = s[++i];
    } else if (quoted && ch == ctx->quote && i + 1 < n && s[i + 1] == ctx->quote) {
      dst[o++] = ch;
      i++;
    } else {
      dst[o++] = ch;
    }
  }
  return o;
}
