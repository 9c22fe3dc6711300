/* FlatBuffers reading and building for the IPC metadata codec (see flatbuf.h).
 *
 * The reader is the verifier: a table is checked when it is opened (alignment,
 * vtable position, vtable and inline sizes within the buffer), a field when it
 * is read (inside the table's inline size, aligned), an offset when it is
 * followed (non-zero, forward, inside the buffer), a vector or string when it
 * is opened (length prefix, element bytes and NUL terminator inside the
 * buffer). Offsets to objects are unsigned and only point forward, so no chain
 * of offsets can loop; the depth, table and byte caps bound the work a buffer
 * can cause through shared subobjects.
 *
 * The builder writes from the end of its buffer towards the front, so every
 * offset it writes points at an object that already exists, and alignment is
 * computed against the end; the finished buffer is padded at the front so that
 * alignment holds relative to its first byte as well. */
#include "ipc/flatbuf.h"

#include <string.h>

/* ---- reader ---------------------------------------------------------------- */

qv_status qv__fb_reader_init(qv_fb_reader *r, const uint8_t *data, int64_t size, qv_error *err) {
  memset(r, 0, sizeof *r);
  if (size < 0 || (!data && size > 0))
    return qv_error_set(err, QV_INVALID, "flatbuffer: invalid buffer (size %lld)", (long long)size);
  if (size > QV_FB_MAX_SIZE)
    return qv_error_set(err, QV_INVALID, "flatbuffer: %lld bytes exceed the 2 GiB limit",
                        (long long)size);
  r->data = data;
  r->size = size;
  r->max_depth = QV_FB_MAX_DEPTH;
  r->max_tables = size / 4 + 64;
  if (r->max_tables > QV_FB_MAX_TABLES) r->max_tables = QV_FB_MAX_TABLES;
  r->max_bytes = 2 * size + 4096;
  return QV_OK;
}

static qv_status open_table(qv_fb_reader *r, int64_t pos, int32_t depth, qv_fb_table *out,
                            qv_error *err) {
  if (depth > r->max_depth)
    return qv_error_set(err, QV_INVALID, "flatbuffer: tables nested deeper than %d",
                        (int)r->max_depth);
  if (r->n_tables >= r->max_tables)
    return qv_error_set(err, QV_INVALID, "flatbuffer: more than %lld tables",
                        (long long)r->max_tables);
  r->n_tables++;
  if (pos < 0 || pos > r->size - 4)
    return qv_error_set(err, QV_INVALID, "flatbuffer: table at %lld outside the %lld-byte buffer",
                        (long long)pos, (long long)r->size);
  if (pos & 3)
    return qv_error_set(err, QV_INVALID, "flatbuffer: table at %lld is not 4-byte aligned",
                        (long long)pos);
  int64_t vt = pos - (int64_t)qv__fb_load_i32(r->data + pos);
  if (vt < 0 || vt > r->size - 4)
    return qv_error_set(err, QV_INVALID, "flatbuffer: table at %lld: vtable at %lld outside the "
                        "%lld-byte buffer", (long long)pos, (long long)vt, (long long)r->size);
  if (vt & 1)
    return qv_error_set(err, QV_INVALID, "flatbuffer: table at %lld: vtable at %lld is not "
                        "2-byte aligned", (long long)pos, (long long)vt);
  int32_t vt_size = qv__fb_load_u16(r->data + vt);
  int32_t tbl_size = qv__fb_load_u16(r->data + vt + 2);
  if (vt_size < 4 || (vt_size & 1) || vt + vt_size > r->size)
    return qv_error_set(err, QV_INVALID, "flatbuffer: table at %lld: invalid vtable size %d",
                        (long long)pos, (int)vt_size);
  if (tbl_size < 4 || pos + tbl_size > r->size)
    return qv_error_set(err, QV_INVALID, "flatbuffer: table at %lld: inline size %d exceeds the "
                        "%lld-byte buffer", (long long)pos, (int)tbl_size, (long long)r->size);
  out->r = r;
  out->pos = pos;
  out->vtable = vt;
  out->vtable_size = vt_size;
  out->table_size = tbl_size;
  out->depth = depth;
  return QV_OK;
}

qv_status qv__fb_reader_root(qv_fb_reader *r, qv_fb_table *out, qv_error *err) {
  if (r->size < 8)
    return qv_error_set(err, QV_INVALID, "flatbuffer: %lld bytes is too short for a root table",
                        (long long)r->size);
  uint32_t root = qv__fb_load_u32(r->data);
  if (root == 0 || root > (uint32_t)(r->size - 4))
    return qv_error_set(err, QV_INVALID, "flatbuffer: root offset %u outside the %lld-byte buffer",
                        root, (long long)r->size);
  return open_table(r, root, 1, out, err);
}

/* The field's offset inside the table, 0 when absent (beyond a short vtable
 * means absent: the table was written with an older schema). */
static uint16_t field_voffset(const qv_fb_table *t, int field) {
  if (field < 0) return 0;
  int64_t at = 4 + 2 * (int64_t)field;
  if (at + 2 > t->vtable_size) return 0;
  return qv__fb_load_u16(t->r->data + t->vtable + at);
}

bool qv__fb_table_has(const qv_fb_table *t, int field) { return field_voffset(t, field) != 0; }

/* The bytes of a field of `size` bytes, NULL when absent. The table's inline
 * bytes were checked against the buffer when it was opened, so a field inside
 * them is inside the buffer. */
static qv_status field_bytes(const qv_fb_table *t, int field, int32_t size, int32_t align,
                             const uint8_t **out, qv_error *err) {
  *out = NULL;
  uint16_t vo = field_voffset(t, field);
  if (vo == 0) return QV_OK;
  if (vo < 4 || (int64_t)vo + size > t->table_size)
    return qv_error_set(err, QV_INVALID, "flatbuffer: table at %lld: field %d (%d bytes at %u) "
                        "outside the table's %d bytes", (long long)t->pos, field, (int)size,
                        (unsigned)vo, (int)t->table_size);
  int64_t p = t->pos + vo;
  if (p & (align - 1))
    return qv_error_set(err, QV_INVALID, "flatbuffer: table at %lld: field %d is not %d-byte "
                        "aligned", (long long)t->pos, field, (int)align);
  *out = t->r->data + p;
  return QV_OK;
}

qv_status qv__fb_table_bool(const qv_fb_table *t, int field, bool def, bool *out, qv_error *err) {
  const uint8_t *p;
  QV_RETURN_NOT_OK(field_bytes(t, field, 1, 1, &p, err));
  *out = p ? *p != 0 : def;
  return QV_OK;
}

qv_status qv__fb_table_int8(const qv_fb_table *t, int field, int8_t def, int8_t *out,
                            qv_error *err) {
  const uint8_t *p;
  QV_RETURN_NOT_OK(field_bytes(t, field, 1, 1, &p, err));
  *out = p ? (int8_t)*p : def;
  return QV_OK;
}

qv_status qv__fb_table_uint8(const qv_fb_table *t, int field, uint8_t def, uint8_t *out,
                             qv_error *err) {
  const uint8_t *p;
  QV_RETURN_NOT_OK(field_bytes(t, field, 1, 1, &p, err));
  *out = p ? *p : def;
  return QV_OK;
}

qv_status qv__fb_table_int16(const qv_fb_table *t, int field, int16_t def, int16_t *out,
                             qv_error *err) {
  const uint8_t *p;
  QV_RETURN_NOT_OK(field_bytes(t, field, 2, 2, &p, err));
  *out = p ? (int16_t)qv__fb_load_u16(p) : def;
  return QV_OK;
}

qv_status qv__fb_table_int32(const qv_fb_table *t, int field, int32_t def, int32_t *out,
                             qv_error *err) {
  const uint8_t *p;
  QV_RETURN_NOT_OK(field_bytes(t, field, 4, 4, &p, err));
  *out = p ? qv__fb_load_i32(p) : def;
  return QV_OK;
}

qv_status qv__fb_table_int64(const qv_fb_table *t, int field, int64_t def, int64_t *out,
                             qv_error *err) {
  const uint8_t *p;
  QV_RETURN_NOT_OK(field_bytes(t, field, 8, 8, &p, err));
  *out = p ? qv__fb_load_i64(p) : def;
  return QV_OK;
}

static bool valid_align(int32_t align) { return align >= 1 && align <= 16 && !(align & (align - 1)); }

qv_status qv__fb_table_struct(const qv_fb_table *t, int field, int32_t size, int32_t align,
                              const uint8_t **out, qv_error *err) {
  if (size <= 0 || !valid_align(align))
    return qv_error_set(err, QV_INTERNAL, "flatbuffer: bad struct size %d or alignment %d",
                        (int)size, (int)align);
  return field_bytes(t, field, size, align, out, err);
}

/* Follows the uoffset stored at `at` (4 readable, aligned bytes). */
static qv_status follow_offset(const qv_fb_reader *r, int64_t at, int64_t *target, qv_error *err) {
  uint32_t o = qv__fb_load_u32(r->data + at);
  if (o == 0 || o > (uint32_t)INT32_MAX || at + (int64_t)o >= r->size)
    return qv_error_set(err, QV_INVALID, "flatbuffer: offset %u at %lld points outside the "
                        "%lld-byte buffer", o, (long long)at, (long long)r->size);
  *target = at + o;
  return QV_OK;
}

/* Field `field` as an offset: *target is -1 when absent. */
static qv_status field_offset(const qv_fb_table *t, int field, int64_t *target, qv_error *err) {
  const uint8_t *p;
  *target = -1;
  QV_RETURN_NOT_OK(field_bytes(t, field, 4, 4, &p, err));
  if (!p) return QV_OK;
  return follow_offset(t->r, p - t->r->data, target, err);
}

static qv_status charge_bytes(qv_fb_reader *r, int64_t n, qv_error *err) {
  if (n > r->max_bytes - r->n_bytes)
    return qv_error_set(err, QV_INVALID, "flatbuffer: more than %lld bytes of strings and "
                        "vectors (shared objects?)", (long long)r->max_bytes);
  r->n_bytes += n;
  return QV_OK;
}

static qv_status open_string(qv_fb_reader *r, int64_t pos, const char **out, int64_t *len,
                             qv_error *err) {
  if (pos & 3)
    return qv_error_set(err, QV_INVALID, "flatbuffer: string at %lld is not 4-byte aligned",
                        (long long)pos);
  if (pos > r->size - 4)
    return qv_error_set(err, QV_INVALID, "flatbuffer: string at %lld outside the %lld-byte "
                        "buffer", (long long)pos, (long long)r->size);
  int64_t n = qv__fb_load_u32(r->data + pos);
  if (n > r->size - pos - 5) /* n bytes and a NUL after the length prefix */
    return qv_error_set(err, QV_INVALID, "flatbuffer: string at %lld of %lld bytes exceeds the "
                        "%lld-byte buffer", (long long)pos, (long long)n, (long long)r->size);
  if (r->data[pos + 4 + n] != 0)
    return qv_error_set(err, QV_INVALID, "flatbuffer: string at %lld is not NUL-terminated",
                        (long long)pos);
  QV_RETURN_NOT_OK(charge_bytes(r, n + 1, err));
  *out = (const char *)(r->data + pos + 4);
  *len = n;
  return QV_OK;
}

qv_status qv__fb_table_table(const qv_fb_table *t, int field, qv_fb_table *out, bool *present,
                             qv_error *err) {
  int64_t target;
  *present = false;
  QV_RETURN_NOT_OK(field_offset(t, field, &target, err));
  if (target < 0) return QV_OK;
  QV_RETURN_NOT_OK(open_table(t->r, target, t->depth + 1, out, err));
  *present = true;
  return QV_OK;
}

qv_status qv__fb_table_string(const qv_fb_table *t, int field, const char **out, int64_t *len,
                              qv_error *err) {
  int64_t target;
  *out = NULL;
  *len = 0;
  QV_RETURN_NOT_OK(field_offset(t, field, &target, err));
  if (target < 0) return QV_OK;
  return open_string(t->r, target, out, len, err);
}

qv_status qv__fb_table_vector(const qv_fb_table *t, int field, int32_t elem_size,
                              int32_t elem_align, qv_fb_vector *out, bool *present,
                              qv_error *err) {
  *present = false;
  if (elem_size <= 0 || elem_size > 0xFFFF || !valid_align(elem_align))
    return qv_error_set(err, QV_INTERNAL, "flatbuffer: bad vector element size %d or "
                        "alignment %d", (int)elem_size, (int)elem_align);
  int64_t pos;
  QV_RETURN_NOT_OK(field_offset(t, field, &pos, err));
  if (pos < 0) return QV_OK;
  qv_fb_reader *r = t->r;
  if (pos & 3)
    return qv_error_set(err, QV_INVALID, "flatbuffer: vector at %lld is not 4-byte aligned",
                        (long long)pos);
  if (pos > r->size - 4)
    return qv_error_set(err, QV_INVALID, "flatbuffer: vector at %lld outside the %lld-byte "
                        "buffer", (long long)pos, (long long)r->size);
  int64_t n = qv__fb_load_u32(r->data + pos);
  int64_t bytes = n * elem_size; /* < 2^48: cannot overflow */
  if (bytes > r->size - pos - 4)
    return qv_error_set(err, QV_INVALID, "flatbuffer: vector at %lld of %lld elements of %d "
                        "bytes exceeds the %lld-byte buffer", (long long)pos, (long long)n,
                        (int)elem_size, (long long)r->size);
  /* An empty vector has no element to misalign: flatbuffers writers (Arrow
   * C++'s footer without dictionaries) leave it only 4-byte aligned. */
  if (n > 0 && ((pos + 4) & (elem_align - 1)))
    return qv_error_set(err, QV_INVALID, "flatbuffer: vector at %lld: elements are not %d-byte "
                        "aligned", (long long)pos, (int)elem_align);
  QV_RETURN_NOT_OK(charge_bytes(r, bytes, err));
  out->r = r;
  out->elems = pos + 4;
  out->length = n;
  out->elem_size = elem_size;
  out->depth = t->depth;
  *present = true;
  return QV_OK;
}

qv_status qv__fb_table_union(const qv_fb_table *t, int type_field, uint8_t *type,
                             qv_fb_table *value, qv_error *err) {
  QV_RETURN_NOT_OK(qv__fb_table_uint8(t, type_field, 0, type, err));
  if (*type == 0) return QV_OK;
  bool present;
  QV_RETURN_NOT_OK(qv__fb_table_table(t, type_field + 1, value, &present, err));
  if (!present)
    return qv_error_set(err, QV_INVALID, "flatbuffer: table at %lld: union field %d has type %u "
                        "but no value", (long long)t->pos, type_field + 1, (unsigned)*type);
  return QV_OK;
}

static qv_status check_index(const qv_fb_vector *v, int64_t i, qv_error *err) {
  if (i < 0 || i >= v->length)
    return qv_error_set(err, QV_INVALID, "flatbuffer: index %lld outside a vector of %lld",
                        (long long)i, (long long)v->length);
  return QV_OK;
}

qv_status qv__fb_vector_at(const qv_fb_vector *v, int64_t i, const uint8_t **out,
                           qv_error *err) {
  QV_RETURN_NOT_OK(check_index(v, i, err));
  *out = v->r->data + v->elems + i * v->elem_size;
  return QV_OK;
}

static qv_status offset_element(const qv_fb_vector *v, int64_t i, int64_t *target,
                                qv_error *err) {
  if (v->elem_size != 4)
    return qv_error_set(err, QV_INTERNAL, "flatbuffer: vector of %d-byte elements read as "
                        "offsets", (int)v->elem_size);
  QV_RETURN_NOT_OK(check_index(v, i, err));
  return follow_offset(v->r, v->elems + 4 * i, target, err);
}

qv_status qv__fb_vector_table(const qv_fb_vector *v, int64_t i, qv_fb_table *out,
                              qv_error *err) {
  int64_t target = -1;
  QV_RETURN_NOT_OK(offset_element(v, i, &target, err));
  return open_table(v->r, target, v->depth + 1, out, err);
}

qv_status qv__fb_vector_string(const qv_fb_vector *v, int64_t i, const char **out, int64_t *len,
                               qv_error *err) {
  int64_t target = -1;
  QV_RETURN_NOT_OK(offset_element(v, i, &target, err));
  return open_string(v->r, target, out, len, err);
}

/* ---- builder ---------------------------------------------------------------- */

/* Field ids are limited so that a vtable fits a small stack buffer; Arrow's
 * tables have at most 7 fields. */
#define MAX_FIELD_ID 127
/* How many recent vtables a new table is compared with for sharing: enough for
 * the repetitive tables of a schema, without quadratic cost on huge ones. */
#define VTABLE_SEARCH 64

void qv__fb_builder_init(qv_fb_builder *b, qv_allocator *a) {
  memset(b, 0, sizeof *b);
  b->alloc = a ? a : qv_default_allocator();
  b->min_align = 1;
}

void qv__fb_builder_reset(qv_fb_builder *b) {
  qv_allocator *a = b->alloc;
  if (a) {
    qv_free(a, b->buf, b->cap);
    qv_free(a, b->slots, (int64_t)b->slots_cap * (int64_t)sizeof *b->slots);
    qv_free(a, b->vtables, (int64_t)b->vtables_cap * (int64_t)sizeof *b->vtables);
  }
  qv__fb_builder_init(b, a);
}

static qv_status builder_error(qv_error *err, const char *what) {
  return qv_error_set(err, QV_INTERNAL, "flatbuffer builder: %s", what);
}

/* Makes room for `need` more bytes in front of the current contents. */
static qv_status grow(qv_fb_builder *b, int64_t need, qv_error *err) {
  if (need <= b->cap - b->used) return QV_OK;
  if (need > QV_FB_MAX_SIZE - b->used)
    return qv_error_set(err, QV_INVALID, "flatbuffer builder: the buffer would exceed 2 GiB");
  int64_t cap = b->cap ? b->cap * 2 : 1024;
  if (cap < b->used + need) cap = b->used + need;
  uint8_t *nb = qv_alloc(b->alloc, cap);
  if (!nb)
    return qv_error_set(err, QV_NOMEM, "flatbuffer builder: cannot allocate %lld bytes",
                        (long long)cap);
  if (b->used) memcpy(nb + cap - b->used, b->buf + b->cap - b->used, (size_t)b->used);
  qv_free(b->alloc, b->buf, b->cap);
  b->buf = nb;
  b->cap = cap;
  return QV_OK;
}

/* Pads so that, once `extra` more bytes are pushed, the front is aligned to
 * `align` (counted from the end), and reserves room for the padding and them. */
static qv_status prep(qv_fb_builder *b, int32_t align, int64_t extra, qv_error *err) {
  if (align > b->min_align) b->min_align = align;
  int64_t pad = (int64_t)((0 - (uint64_t)(b->used + extra)) & (uint64_t)(align - 1));
  QV_RETURN_NOT_OK(grow(b, pad + extra, err));
  if (pad) {
    b->used += pad;
    memset(b->buf + b->cap - b->used, 0, (size_t)pad);
  }
  return QV_OK;
}

/* Claims n reserved bytes at the front. */
static uint8_t *push(qv_fb_builder *b, int64_t n) {
  b->used += n;
  return b->buf + b->cap - b->used;
}

static uint8_t *at_ref(qv_fb_builder *b, int64_t ref) { return b->buf + b->cap - ref; }

qv_status qv__fb_create_string(qv_fb_builder *b, const char *s, int64_t len, qv_fb_ref *out,
                               qv_error *err) {
  if (b->in_table) return builder_error(err, "string created inside a table");
  if (len < 0 || len > QV_FB_MAX_SIZE || (len > 0 && !s))
    return qv_error_set(err, QV_INVALID, "flatbuffer builder: invalid string length %lld",
                        (long long)len);
  QV_RETURN_NOT_OK(prep(b, 4, len + 5, err));
  uint8_t *p = push(b, len + 1);
  if (len) memcpy(p, s, (size_t)len);
  p[len] = 0;
  qv__fb_store_u32(push(b, 4), (uint32_t)len);
  *out = (qv_fb_ref)b->used;
  return QV_OK;
}

qv_status qv__fb_create_vector(qv_fb_builder *b, int64_t n, int32_t elem_size, int32_t elem_align,
                               uint8_t **elems, qv_fb_ref *out, qv_error *err) {
  if (b->in_table) return builder_error(err, "vector created inside a table");
  if (elem_size <= 0 || !valid_align(elem_align)) return builder_error(err, "bad vector element");
  if (n < 0 || n > UINT32_MAX || n > QV_FB_MAX_SIZE / elem_size)
    return qv_error_set(err, QV_INVALID, "flatbuffer builder: vector of %lld elements is too "
                        "large", (long long)n);
  int64_t bytes = n * elem_size;
  QV_RETURN_NOT_OK(prep(b, elem_align > 4 ? elem_align : 4, bytes, err));
  QV_RETURN_NOT_OK(grow(b, bytes + 4, err));
  uint8_t *p = push(b, bytes);
  if (bytes) memset(p, 0, (size_t)bytes);
  qv__fb_store_u32(push(b, 4), (uint32_t)n);
  *elems = p;
  *out = (qv_fb_ref)b->used;
  return QV_OK;
}

qv_status qv__fb_create_offset_vector(qv_fb_builder *b, const qv_fb_ref *refs, int64_t n,
                                      qv_fb_ref *out, qv_error *err) {
  if (b->in_table) return builder_error(err, "vector created inside a table");
  if (n < 0 || n > QV_FB_MAX_SIZE / 4)
    return qv_error_set(err, QV_INVALID, "flatbuffer builder: vector of %lld offsets is too "
                        "large", (long long)n);
  QV_RETURN_NOT_OK(prep(b, 4, 4 * n, err));
  QV_RETURN_NOT_OK(grow(b, 4 * n + 4, err));
  for (int64_t i = n - 1; i >= 0; i--) {
    if (refs[i] == 0 || (int64_t)refs[i] > b->used)
      return builder_error(err, "vector element is not a finished object");
    uint8_t *p = push(b, 4);
    qv__fb_store_u32(p, (uint32_t)(b->used - refs[i]));
  }
  qv__fb_store_u32(push(b, 4), (uint32_t)n);
  *out = (qv_fb_ref)b->used;
  return QV_OK;
}

qv_status qv__fb_table_start(qv_fb_builder *b, qv_error *err) {
  if (b->in_table) return builder_error(err, "table started inside a table");
  /* Align first so that the padding lies outside the table: tables of the
   * same layout then have the same size and can share a vtable. */
  QV_RETURN_NOT_OK(prep(b, 4, 0, err));
  b->in_table = true;
  b->table_start = b->used;
  b->n_slots = 0;
  return QV_OK;
}

static qv_status add_slot(qv_fb_builder *b, int field, qv_error *err) {
  if (b->n_slots == b->slots_cap) {
    int32_t cap = b->slots_cap ? b->slots_cap * 2 : 16;
    qv_fb_field_slot *s = qv_realloc(b->alloc, b->slots,
                                     (int64_t)b->slots_cap * (int64_t)sizeof *s,
                                     (int64_t)cap * (int64_t)sizeof *s);
    if (!s) return qv_error_set(err, QV_NOMEM, "flatbuffer builder: out of memory");
    b->slots = s;
    b->slots_cap = cap;
  }
  b->slots[b->n_slots].field = (uint16_t)field;
  b->slots[b->n_slots].at = (uint32_t)b->used;
  b->n_slots++;
  return QV_OK;
}

/* Pushes a field value of n bytes (already aligned by the caller) and records
 * its place in the current table. */
static qv_status add_bytes(qv_fb_builder *b, int field, const void *bytes, int32_t n,
                           int32_t align, qv_error *err) {
  if (!b->in_table) return builder_error(err, "field added outside a table");
  if (field < 0 || field > MAX_FIELD_ID) return builder_error(err, "field id out of range");
  QV_RETURN_NOT_OK(prep(b, align, n, err));
  memcpy(push(b, n), bytes, (size_t)n);
  return add_slot(b, field, err);
}

qv_status qv__fb_add_bool(qv_fb_builder *b, int field, bool v, qv_error *err) {
  uint8_t x = v ? 1 : 0;
  return add_bytes(b, field, &x, 1, 1, err);
}

qv_status qv__fb_add_int8(qv_fb_builder *b, int field, int8_t v, qv_error *err) {
  uint8_t x = (uint8_t)v;
  return add_bytes(b, field, &x, 1, 1, err);
}

qv_status qv__fb_add_uint8(qv_fb_builder *b, int field, uint8_t v, qv_error *err) {
  return add_bytes(b, field, &v, 1, 1, err);
}

qv_status qv__fb_add_int16(qv_fb_builder *b, int field, int16_t v, qv_error *err) {
  uint8_t x[2];
  qv__fb_store_u16(x, (uint16_t)v);
  return add_bytes(b, field, x, 2, 2, err);
}

qv_status qv__fb_add_int32(qv_fb_builder *b, int field, int32_t v, qv_error *err) {
  uint8_t x[4];
  qv__fb_store_i32(x, v);
  return add_bytes(b, field, x, 4, 4, err);
}

qv_status qv__fb_add_int64(qv_fb_builder *b, int field, int64_t v, qv_error *err) {
  uint8_t x[8];
  qv__fb_store_i64(x, v);
  return add_bytes(b, field, x, 8, 8, err);
}

qv_status qv__fb_add_struct(qv_fb_builder *b, int field, const void *bytes, int32_t size,
                            int32_t align, qv_error *err) {
  if (size <= 0 || size > 0xFFFF || !valid_align(align) || (size & (align - 1)))
    return builder_error(err, "bad struct size or alignment");
  return add_bytes(b, field, bytes, size, align, err);
}

qv_status qv__fb_add_offset(qv_fb_builder *b, int field, qv_fb_ref ref, qv_error *err) {
  if (ref == 0) return QV_OK;
  if (!b->in_table) return builder_error(err, "field added outside a table");
  if (field < 0 || field > MAX_FIELD_ID) return builder_error(err, "field id out of range");
  if ((int64_t)ref > b->used) return builder_error(err, "offset to an unfinished object");
  QV_RETURN_NOT_OK(prep(b, 4, 4, err));
  uint8_t *p = push(b, 4);
  qv__fb_store_u32(p, (uint32_t)(b->used - ref));
  return add_slot(b, field, err);
}

qv_status qv__fb_table_end(qv_fb_builder *b, qv_fb_ref *out, qv_error *err) {
  if (!b->in_table) return builder_error(err, "table ended without being started");
  QV_RETURN_NOT_OK(prep(b, 4, 4, err));
  push(b, 4); /* the soffset to the vtable, patched below */
  int64_t obj = b->used;
  int64_t table_size = obj - b->table_start;
  if (table_size > 0xFFFF)
    return qv_error_set(err, QV_INVALID, "flatbuffer builder: table of %lld bytes exceeds "
                        "64 KiB", (long long)table_size);

  uint8_t vt[4 + 2 * (MAX_FIELD_ID + 1)];
  int max_field = -1;
  for (int32_t i = 0; i < b->n_slots; i++)
    if (b->slots[i].field > max_field) max_field = b->slots[i].field;
  int32_t vt_size = 4 + 2 * (max_field + 1);
  memset(vt, 0, sizeof vt);
  qv__fb_store_u16(vt, (uint16_t)vt_size);
  qv__fb_store_u16(vt + 2, (uint16_t)table_size);
  for (int32_t i = 0; i < b->n_slots; i++)
    qv__fb_store_u16(vt + 4 + 2 * b->slots[i].field, (uint16_t)(obj - b->slots[i].at));

  int64_t found = 0;
  for (int32_t i = b->n_vtables - 1; i >= 0 && i >= b->n_vtables - VTABLE_SEARCH; i--) {
    const uint8_t *old = at_ref(b, b->vtables[i]);
    if (qv__fb_load_u16(old) == vt_size && memcmp(old, vt, (size_t)vt_size) == 0) {
      found = b->vtables[i];
      break;
    }
  }
  if (!found) {
    /* Written right in front of the table: 2-byte aligned since the table is
     * 4-byte aligned and vt_size is even. */
    QV_RETURN_NOT_OK(grow(b, vt_size, err));
    memcpy(push(b, vt_size), vt, (size_t)vt_size);
    found = b->used;
    if (b->n_vtables == b->vtables_cap) {
      int32_t cap = b->vtables_cap ? b->vtables_cap * 2 : 16;
      uint32_t *v = qv_realloc(b->alloc, b->vtables,
                               (int64_t)b->vtables_cap * (int64_t)sizeof *v,
                               (int64_t)cap * (int64_t)sizeof *v);
      if (!v) return qv_error_set(err, QV_NOMEM, "flatbuffer builder: out of memory");
      b->vtables = v;
      b->vtables_cap = cap;
    }
    b->vtables[b->n_vtables++] = (uint32_t)found;
  }
  /* vtable address = table address - soffset; addresses are end - distance. */
  qv__fb_store_i32(at_ref(b, obj), (int32_t)(found - obj));
  b->in_table = false;
  b->n_slots = 0;
  *out = (qv_fb_ref)obj;
  return QV_OK;
}

qv_status qv__fb_finish(qv_fb_builder *b, qv_fb_ref root, qv_bytes *out, qv_error *err) {
  if (b->in_table) return builder_error(err, "finished inside a table");
  if (root == 0 || (int64_t)root > b->used) return builder_error(err, "root is not a finished table");
  /* Pad the front so that the whole buffer is a multiple of the largest
   * alignment: then alignment from the end is alignment from the start. */
  QV_RETURN_NOT_OK(prep(b, b->min_align > 4 ? b->min_align : 4, 4, err));
  uint8_t *p = push(b, 4);
  qv__fb_store_u32(p, (uint32_t)(b->used - root));
  QV_RETURN_NOT_OK(qv_bytes_append(out, p, b->used, err));
  b->used = 0;
  b->n_vtables = 0;
  b->min_align = 1;
  return QV_OK;
}
