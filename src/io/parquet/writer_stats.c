/* Column chunk statistics of the Parquet writer: min and max in the sort
 * order of the column's logical type (parquet.thrift, ColumnOrder), and the
 * null count. Values are folded in PLAIN form, straight from the page or
 * dictionary buffers the writer fills anyway (in dictionary mode only new
 * dictionary entries are folded: every value of the chunk is one of them),
 * with one tight loop per order:
 *
 *  - signed and unsigned 32- and 64-bit integers (INT(bits, false) columns
 *    compare unsigned), decimals stored as INT32/INT64 compare signed;
 *  - FLOAT, DOUBLE and FLOAT16 compare as numbers and skip NaN, as the
 *    specification requires; a zero min is written -0.0 and a zero max
 *    +0.0, so that readers that ignore the sign of zero stay correct;
 *  - BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY compare byte-wise unsigned
 *    (strings by their UTF-8 bytes), FIXED_LEN_BYTE_ARRAY decimals as
 *    signed big-endian two's complement;
 *  - BOOLEAN orders false before true. */
#include <math.h>
#include <string.h>

#include "arrow/internal.h"
#include "io/parquet/writer_internal.h"

void qv__pqw_stats_init(qv_pqw_stats *s, qv_allocator *alloc, qv_pqw_order order, int32_t width) {
  memset(s, 0, sizeof *s);
  s->order = order;
  s->width = width;
  qv_bytes_init(&s->bmin, alloc);
  qv_bytes_init(&s->bmax, alloc);
}

void qv__pqw_stats_clear(qv_pqw_stats *s) {
  s->has_minmax = false;
  s->null_count = 0;
  s->bmin.size = 0;
  s->bmax.size = 0;
}

void qv__pqw_stats_reset(qv_pqw_stats *s) {
  qv_bytes_reset(&s->bmin);
  qv_bytes_reset(&s->bmax);
}

static double half_to_double(uint16_t h) {
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
  return (h & 0x8000) ? -v : v;
}

/* Byte-wise unsigned order; a prefix sorts first. */
static int cmp_bytes(const uint8_t *a, int64_t alen, const uint8_t *b, int64_t blen) {
  int64_t n = alen < blen ? alen : blen;
  int c = n ? memcmp(a, b, (size_t)n) : 0;
  if (c) return c;
  return alen < blen ? -1 : alen > blen;
}

/* Signed big-endian two's complement of equal widths. */
static int cmp_decimal(const uint8_t *a, const uint8_t *b, int64_t w) {
  if ((int8_t)a[0] != (int8_t)b[0]) return (int8_t)a[0] < (int8_t)b[0] ? -1 : 1;
  return w > 1 ? memcmp(a + 1, b + 1, (size_t)(w - 1)) : 0;
}

static qv_status set_bytes(qv_bytes *dst, const uint8_t *p, int64_t len, qv_error *err) {
  dst->size = 0;
  return qv_bytes_append(dst, p, len, err);
}

/* Folds a candidate min and max (byte strings) into s. */
static qv_status fold_bytes(qv_pqw_stats *s, const uint8_t *mn, int64_t mnl, const uint8_t *mx, int64_t mxl,
                            qv_error *err) {
  bool dec = s->order == QV_PQW_ORDER_DECIMAL;
  if (!s->has_minmax) {
    QV_RETURN_NOT_OK(set_bytes(&s->bmin, mn, mnl, err));
    QV_RETURN_NOT_OK(set_bytes(&s->bmax, mx, mxl, err));
    s->has_minmax = true;
    return QV_OK;
  }
  if (dec ? cmp_decimal(mn, s->bmin.data, mnl) < 0 : cmp_bytes(mn, mnl, s->bmin.data, s->bmin.size) < 0)
    QV_RETURN_NOT_OK(set_bytes(&s->bmin, mn, mnl, err));
  if (dec ? cmp_decimal(mx, s->bmax.data, mxl) > 0 : cmp_bytes(mx, mxl, s->bmax.data, s->bmax.size) > 0)
    QV_RETURN_NOT_OK(set_bytes(&s->bmax, mx, mxl, err));
  return QV_OK;
}

#define FOLD_NUMERIC(T, FIELD_MIN, FIELD_MAX, CAST)                                  \
  do {                                                                               \
    const T *v_ = (const T *)(const void *)data;                                     \
    T mn_ = v_[0], mx_ = v_[0];                                                      \
    for (int64_t i_ = 1; i_ < n; i_++) {                                             \
      mn_ = v_[i_] < mn_ ? v_[i_] : mn_;                                             \
      mx_ = v_[i_] > mx_ ? v_[i_] : mx_;                                             \
    }                                                                                \
    if (!s->has_minmax || (CAST)mn_ < s->FIELD_MIN) s->FIELD_MIN = (CAST)mn_;        \
    if (!s->has_minmax || (CAST)mx_ > s->FIELD_MAX) s->FIELD_MAX = (CAST)mx_;        \
    s->has_minmax = true;                                                            \
  } while (0)

#define FOLD_FLOAT(T)                                                                \
  do {                                                                               \
    const T *v_ = (const T *)(const void *)data;                                     \
    bool any_ = false;                                                               \
    T mn_ = 0, mx_ = 0;                                                              \
    for (int64_t i_ = 0; i_ < n; i_++) {                                             \
      T x_ = v_[i_];                                                                 \
      if (x_ != x_) continue; /* NaN */                                              \
      if (!any_) {                                                                   \
        mn_ = mx_ = x_;                                                              \
        any_ = true;                                                                 \
      }                                                                              \
      mn_ = x_ < mn_ ? x_ : mn_;                                                     \
      mx_ = x_ > mx_ ? x_ : mx_;                                                     \
    }                                                                                \
    if (!any_) break;                                                                \
    if (!s->has_minmax || mn_ < s->dmin) s->dmin = mn_;                              \
    if (!s->has_minmax || mx_ > s->dmax) s->dmax = mx_;                              \
    s->has_minmax = true;                                                            \
  } while (0)

qv_status qv__pqw_stats_update(qv_pqw_stats *s, const uint8_t *data, int64_t bit_offset, int64_t n, qv_error *err) {
  if (n <= 0) return QV_OK;
  switch (s->order) {
    case QV_PQW_ORDER_NONE: return QV_OK;
    case QV_PQW_ORDER_BOOL: {
      int64_t ones = qv_bitmap_count_set(data, bit_offset, n);
      int64_t mn = ones == n ? 1 : 0, mx = ones > 0 ? 1 : 0;
      if (!s->has_minmax || mn < s->imin) s->imin = mn;
      if (!s->has_minmax || mx > s->imax) s->imax = mx;
      s->has_minmax = true;
      return QV_OK;
    }
    case QV_PQW_ORDER_I32: FOLD_NUMERIC(int32_t, imin, imax, int64_t); return QV_OK;
    case QV_PQW_ORDER_U32: FOLD_NUMERIC(uint32_t, umin, umax, uint64_t); return QV_OK;
    case QV_PQW_ORDER_I64: FOLD_NUMERIC(int64_t, imin, imax, int64_t); return QV_OK;
    case QV_PQW_ORDER_U64: FOLD_NUMERIC(uint64_t, umin, umax, uint64_t); return QV_OK;
    case QV_PQW_ORDER_FLOAT: FOLD_FLOAT(float); return QV_OK;
    case QV_PQW_ORDER_DOUBLE: FOLD_FLOAT(double); return QV_OK;
    case QV_PQW_ORDER_FLOAT16: {
      bool any = false;
      uint16_t mnb = 0, mxb = 0;
      double mn = 0, mx = 0;
      for (int64_t i = 0; i < n; i++) {
        uint16_t b;
        memcpy(&b, data + 2 * i, 2);
        double x = half_to_double(b);
        if (x != x) continue;
        if (!any || x < mn) mn = x, mnb = b;
        if (!any || x > mx) mx = x, mxb = b;
        any = true;
      }
      if (!any) return QV_OK;
      if (!s->has_minmax || mn < half_to_double((uint16_t)s->umin)) s->umin = mnb;
      if (!s->has_minmax || mx > half_to_double((uint16_t)s->umax)) s->umax = mxb;
      s->has_minmax = true;
      return QV_OK;
    }
    case QV_PQW_ORDER_BYTES:
    case QV_PQW_ORDER_DECIMAL: {
      const uint8_t *mn, *mx;
      int64_t mnl, mxl;
      if (s->width > 0) { /* FIXED_LEN_BYTE_ARRAY */
        int64_t w = s->width;
        bool dec = s->order == QV_PQW_ORDER_DECIMAL;
        mn = mx = data;
        for (int64_t i = 1; i < n; i++) {
          const uint8_t *v = data + i * w;
          if (dec ? cmp_decimal(v, mn, w) < 0 : memcmp(v, mn, (size_t)w) < 0) mn = v;
          if (dec ? cmp_decimal(v, mx, w) > 0 : memcmp(v, mx, (size_t)w) > 0) mx = v;
        }
        mnl = mxl = w;
      } else { /* BYTE_ARRAY: 4-byte length, then the bytes */
        uint32_t len;
        memcpy(&len, data, 4);
        mn = mx = data + 4;
        mnl = mxl = len;
        const uint8_t *p = data + 4 + len;
        for (int64_t i = 1; i < n; i++) {
          memcpy(&len, p, 4);
          const uint8_t *v = p + 4;
          if (cmp_bytes(v, len, mn, mnl) < 0) mn = v, mnl = len;
          else if (cmp_bytes(v, len, mx, mxl) > 0) mx = v, mxl = len;
          p = v + len;
        }
      }
      return fold_bytes(s, mn, mnl, mx, mxl, err);
    }
  }
  return QV_OK;
}

static qv_status copy_out(qv_arena *arena, const void *p, int64_t len, qv_pq_bytes *out, qv_error *err) {
  uint8_t *d = qv_arena_alloc(arena, len > 0 ? len : 1);
  if (!d) return qv_error_set(err, QV_NOMEM, "parquet: out of memory storing statistics");
  if (len) memcpy(d, p, (size_t)len);
  out->data = d;
  out->len = len;
  return QV_OK;
}

qv_status qv__pqw_stats_bounds(const qv_pqw_stats *s, qv_arena *arena, qv_pq_bytes *min, qv_pq_bytes *max,
                               qv_error *err) {
  memset(min, 0, sizeof *min);
  memset(max, 0, sizeof *max);
  if (!s->has_minmax) return QV_OK;
  switch (s->order) {
    case QV_PQW_ORDER_NONE: return QV_OK;
    case QV_PQW_ORDER_BOOL: {
      uint8_t a = (uint8_t)s->imin, b = (uint8_t)s->imax;
      QV_RETURN_NOT_OK(copy_out(arena, &a, 1, min, err));
      return copy_out(arena, &b, 1, max, err);
    }
    case QV_PQW_ORDER_I32: {
      int32_t a = (int32_t)s->imin, b = (int32_t)s->imax;
      QV_RETURN_NOT_OK(copy_out(arena, &a, 4, min, err));
      return copy_out(arena, &b, 4, max, err);
    }
    case QV_PQW_ORDER_U32: {
      uint32_t a = (uint32_t)s->umin, b = (uint32_t)s->umax;
      QV_RETURN_NOT_OK(copy_out(arena, &a, 4, min, err));
      return copy_out(arena, &b, 4, max, err);
    }
    case QV_PQW_ORDER_I64:
      QV_RETURN_NOT_OK(copy_out(arena, &s->imin, 8, min, err));
      return copy_out(arena, &s->imax, 8, max, err);
    case QV_PQW_ORDER_U64:
      QV_RETURN_NOT_OK(copy_out(arena, &s->umin, 8, min, err));
      return copy_out(arena, &s->umax, 8, max, err);
    case QV_PQW_ORDER_FLOAT: {
      float a = s->dmin == 0 ? -0.0f : (float)s->dmin, b = s->dmax == 0 ? 0.0f : (float)s->dmax;
      QV_RETURN_NOT_OK(copy_out(arena, &a, 4, min, err));
      return copy_out(arena, &b, 4, max, err);
    }
    case QV_PQW_ORDER_DOUBLE: {
      double a = s->dmin == 0 ? -0.0 : s->dmin, b = s->dmax == 0 ? 0.0 : s->dmax;
      QV_RETURN_NOT_OK(copy_out(arena, &a, 8, min, err));
      return copy_out(arena, &b, 8, max, err);
    }
    case QV_PQW_ORDER_FLOAT16: {
      uint16_t a = (uint16_t)s->umin, b = (uint16_t)s->umax;
      if ((a & 0x7fff) == 0) a = 0x8000;
      if ((b & 0x7fff) == 0) b = 0;
      QV_RETURN_NOT_OK(copy_out(arena, &a, 2, min, err));
      return copy_out(arena, &b, 2, max, err);
    }
    case QV_PQW_ORDER_BYTES:
    case QV_PQW_ORDER_DECIMAL:
      QV_RETURN_NOT_OK(copy_out(arena, s->bmin.data, s->bmin.size, min, err));
      return copy_out(arena, s->bmax.data, s->bmax.size, max, err);
  }
  return QV_OK;
}
