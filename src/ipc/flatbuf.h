/* A small FlatBuffers library for Arrow's IPC metadata: a bounds-checked reader
 * and a back-to-front builder, written from the FlatBuffers binary format
 * specification.
 *
 * Reading. There is no separate verification pass: every accessor checks what
 * it touches before reading it (offsets, vtables, table sizes, vector and string
 * bounds, NUL terminators, alignment relative to the buffer start) and returns
 * QV_INVALID instead of reading out of bounds. A schema-specific decoder (the
 * IPC metadata codec) therefore verifies exactly the parts of the buffer it
 * uses, in the same pass that decodes them. Because hostile buffers can share
 * subobjects (a vector of a million offsets to one deep table), the reader also
 * caps the nesting depth of tables, the number of tables opened and the number
 * of string/vector bytes handed out, each proportional to the buffer size, so
 * decoding work stays linear in the input.
 *
 * Building. Objects are written back to front, as the reference builder does:
 * children first, then the table that points at them, the root last. A table
 * is built between qv__fb_table_start and qv__fb_table_end; strings, vectors
 * and other tables must be created before the table that refers to them is
 * started. Scalars are aligned to their size, structs and vectors to the
 * alignment the caller gives, and vtables are shared between tables with the
 * same layout. */
#ifndef QV_IPC_FLATBUF_H
#define QV_IPC_FLATBUF_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/memory.h"
#include "quiver/status.h"

/* The largest buffer FlatBuffers can address (offsets are 32-bit, signed
 * offsets must stay positive). */
#define QV_FB_MAX_SIZE INT64_C(0x7FFFFFFF)
/* Default caps of a reader; see qv_fb_reader. */
#define QV_FB_MAX_DEPTH 64
#define QV_FB_MAX_TABLES INT64_C(1000000)

/* ---- little-endian loads and stores (FlatBuffers are little endian) ------- */

static inline uint16_t qv__fb_load_u16(const uint8_t *p) {
  return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}
static inline uint32_t qv__fb_load_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t qv__fb_load_u64(const uint8_t *p) {
  return (uint64_t)qv__fb_load_u32(p) | (uint64_t)qv__fb_load_u32(p + 4) << 32;
}
static inline int32_t qv__fb_load_i32(const uint8_t *p) { return (int32_t)qv__fb_load_u32(p); }
static inline int64_t qv__fb_load_i64(const uint8_t *p) { return (int64_t)qv__fb_load_u64(p); }

static inline void qv__fb_store_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void qv__fb_store_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void qv__fb_store_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void qv__fb_store_i32(uint8_t *p, int32_t v) { qv__fb_store_u32(p, (uint32_t)v); }
static inline void qv__fb_store_i64(uint8_t *p, int64_t v) { qv__fb_store_u64(p, (uint64_t)v); }

/* ---- reader ---------------------------------------------------------------- */

/* One pass over one buffer. The caller owns the struct and the bytes, which
 * must stay alive while strings and struct pointers obtained from it are used.
 * The caps may be lowered (or raised) after qv__fb_reader_init. */
typedef struct qv_fb_reader {
  const uint8_t *data;
  int64_t size;
  int32_t max_depth;    /* tables nested deeper than this are rejected */
  int64_t max_tables;   /* tables opened (the root included) */
  int64_t max_bytes;    /* string and vector bytes handed out */
  int64_t n_tables;
  int64_t n_bytes;
} qv_fb_reader;

/* A table whose vtable and inline size were checked when it was opened. */
typedef struct qv_fb_table {
  qv_fb_reader *r;
  int64_t pos;          /* the table's soffset */
  int64_t vtable;
  int32_t vtable_size;  /* bytes */
  int32_t table_size;   /* bytes of the inline object, soffset included */
  int32_t depth;        /* 1 for the root */
} qv_fb_table;

/* A vector whose length prefix and element bytes were checked when opened. */
typedef struct qv_fb_vector {
  qv_fb_reader *r;
  int64_t elems;        /* position of element 0 */
  int64_t length;
  int32_t elem_size;
  int32_t depth;        /* depth of the table holding the vector */
} qv_fb_vector;

/* Prepares a reader over size bytes (at most QV_FB_MAX_SIZE) with caps derived
 * from the size: depth QV_FB_MAX_DEPTH, at most min(QV_FB_MAX_TABLES,
 * size/4 + 64) tables and 2*size + 4096 string/vector bytes, which a buffer
 * whose objects are not shared never reaches. */
qv_status qv__fb_reader_init(qv_fb_reader *r, const uint8_t *data, int64_t size,
                             qv_error *err) QV_MUST_USE;
/* Opens the root table (the uoffset at byte 0). */
qv_status qv__fb_reader_root(qv_fb_reader *r, qv_fb_table *out, qv_error *err) QV_MUST_USE;

/* Whether field `field` (its index in the schema: a union counts as two
 * fields, its type then its value) is present in the table. */
bool qv__fb_table_has(const qv_fb_table *t, int field);

/* Scalar fields: *out = the stored value, or def when the field is absent.
 * Fail when the field lies outside the table or is misaligned. */
qv_status qv__fb_table_bool(const qv_fb_table *t, int field, bool def, bool *out,
                            qv_error *err) QV_MUST_USE;
qv_status qv__fb_table_int8(const qv_fb_table *t, int field, int8_t def, int8_t *out,
                            qv_error *err) QV_MUST_USE;
qv_status qv__fb_table_uint8(const qv_fb_table *t, int field, uint8_t def, uint8_t *out,
                             qv_error *err) QV_MUST_USE;
qv_status qv__fb_table_int16(const qv_fb_table *t, int field, int16_t def, int16_t *out,
                             qv_error *err) QV_MUST_USE;
qv_status qv__fb_table_int32(const qv_fb_table *t, int field, int32_t def, int32_t *out,
                             qv_error *err) QV_MUST_USE;
qv_status qv__fb_table_int64(const qv_fb_table *t, int field, int64_t def, int64_t *out,
                             qv_error *err) QV_MUST_USE;
/* An inline struct field of `size` bytes aligned to `align`: *out points at its
 * bytes (read them with qv__fb_load_*), or is NULL when absent. */
qv_status qv__fb_table_struct(const qv_fb_table *t, int field, int32_t size, int32_t align,
                              const uint8_t **out, qv_error *err) QV_MUST_USE;
/* A sub-table; *present is false (and *out unset) when absent. Counts against
 * the depth and table caps. */
qv_status qv__fb_table_table(const qv_fb_table *t, int field, qv_fb_table *out, bool *present,
                             qv_error *err) QV_MUST_USE;
/* A string: *out points at len bytes followed by a NUL (the string may itself
 * contain NULs), or is NULL with *len 0 when absent. */
qv_status qv__fb_table_string(const qv_fb_table *t, int field, const char **out, int64_t *len,
                              qv_error *err) QV_MUST_USE;
/* A vector of elem_size-byte elements (4 for vectors of tables or strings),
 * the first aligned to elem_align. *present is false when absent. */
qv_status qv__fb_table_vector(const qv_fb_table *t, int field, int32_t elem_size,
                              int32_t elem_align, qv_fb_vector *out, bool *present,
                              qv_error *err) QV_MUST_USE;
/* A union: the type tag is field type_field (a ubyte), the value table field
 * type_field + 1. *type is 0 (NONE) when absent; a non-zero tag without a
 * value is an error. Tags are not checked against the union's members: the
 * caller does that. */
qv_status qv__fb_table_union(const qv_fb_table *t, int type_field, uint8_t *type,
                             qv_fb_table *value, qv_error *err) QV_MUST_USE;

/* Element i of a vector: a pointer to its elem_size bytes, a table, or a
 * string. Fail when i is out of range or the element is malformed. */
qv_status qv__fb_vector_at(const qv_fb_vector *v, int64_t i, const uint8_t **out,
                           qv_error *err) QV_MUST_USE;
qv_status qv__fb_vector_table(const qv_fb_vector *v, int64_t i, qv_fb_table *out,
                              qv_error *err) QV_MUST_USE;
qv_status qv__fb_vector_string(const qv_fb_vector *v, int64_t i, const char **out, int64_t *len,
                               qv_error *err) QV_MUST_USE;

/* ---- builder ---------------------------------------------------------------- */

/* A finished object in the builder: its distance from the end of the buffer.
 * Never 0 for a real object, so 0 means "no object". */
typedef uint32_t qv_fb_ref;

typedef struct qv_fb_field_slot {
  uint16_t field;
  uint32_t at; /* distance of the value from the end of the buffer */
} qv_fb_field_slot;

/* Caller allocates the struct: _init, create objects, _finish (appends the
 * bytes to a qv_bytes), _reset to free (also after a failure). */
typedef struct qv_fb_builder {
  qv_allocator *alloc;
  uint8_t *buf;         /* objects live at buf[cap - used, cap) */
  int64_t cap;
  int64_t used;
  int32_t min_align;    /* the largest alignment used so far */
  bool in_table;
  int64_t table_start;  /* `used` when the current table was started */
  qv_fb_field_slot *slots;
  int32_t n_slots;
  int32_t slots_cap;
  uint32_t *vtables;    /* distances of the vtables written so far */
  int32_t n_vtables;
  int32_t vtables_cap;
} qv_fb_builder;

void qv__fb_builder_init(qv_fb_builder *b, qv_allocator *a);
void qv__fb_builder_reset(qv_fb_builder *b);

/* A string of len bytes (a NUL is added). */
qv_status qv__fb_create_string(qv_fb_builder *b, const char *s, int64_t len, qv_fb_ref *out,
                               qv_error *err) QV_MUST_USE;
/* A vector of n elements of elem_size bytes whose first element is aligned to
 * elem_align (a power of two, at most 16). *elems receives the element area
 * to fill in (little endian), valid until the next call on the builder. */
qv_status qv__fb_create_vector(qv_fb_builder *b, int64_t n, int32_t elem_size, int32_t elem_align,
                               uint8_t **elems, qv_fb_ref *out, qv_error *err) QV_MUST_USE;
/* A vector of offsets to finished tables or strings. */
qv_status qv__fb_create_offset_vector(qv_fb_builder *b, const qv_fb_ref *refs, int64_t n,
                                      qv_fb_ref *out, qv_error *err) QV_MUST_USE;

qv_status qv__fb_table_start(qv_fb_builder *b, qv_error *err) QV_MUST_USE;
/* Scalar fields of the current table; always written, defaults included. */
qv_status qv__fb_add_bool(qv_fb_builder *b, int field, bool v, qv_error *err) QV_MUST_USE;
qv_status qv__fb_add_int8(qv_fb_builder *b, int field, int8_t v, qv_error *err) QV_MUST_USE;
qv_status qv__fb_add_uint8(qv_fb_builder *b, int field, uint8_t v, qv_error *err) QV_MUST_USE;
qv_status qv__fb_add_int16(qv_fb_builder *b, int field, int16_t v, qv_error *err) QV_MUST_USE;
qv_status qv__fb_add_int32(qv_fb_builder *b, int field, int32_t v, qv_error *err) QV_MUST_USE;
qv_status qv__fb_add_int64(qv_fb_builder *b, int field, int64_t v, qv_error *err) QV_MUST_USE;
/* An inline struct of size bytes (already laid out little endian). */
qv_status qv__fb_add_struct(qv_fb_builder *b, int field, const void *bytes, int32_t size,
                            int32_t align, qv_error *err) QV_MUST_USE;
/* An offset to a finished table, string or vector; ref 0 adds nothing. */
qv_status qv__fb_add_offset(qv_fb_builder *b, int field, qv_fb_ref ref, qv_error *err) QV_MUST_USE;
qv_status qv__fb_table_end(qv_fb_builder *b, qv_fb_ref *out, qv_error *err) QV_MUST_USE;

/* Writes the root offset to `root` and appends the finished flatbuffer to out.
 * The builder is left empty and reusable. */
qv_status qv__fb_finish(qv_fb_builder *b, qv_fb_ref root, qv_bytes *out, qv_error *err) QV_MUST_USE;

#endif
