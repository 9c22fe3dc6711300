/* The Arrow C Data Interface and C Stream Interface: zero-copy exchange of
 * types, arrays, record batches and batch streams with any Arrow
 * implementation living in the same process (Arrow C++/pyarrow, nanoarrow,
 * DuckDB, Polars...).
 *
 * Ownership follows the specification. A struct filled by an _export function
 * belongs to the caller, who must eventually call its `release` callback (or
 * move it to someone who will: copy the struct, then set the source's release
 * to NULL). Exported arrays keep the Quiver arrays they came from alive through
 * references, so the Quiver side may drop its own references at once.
 *
 * An _import function *moves* the struct it is given: on return (success or
 * failure) the caller's struct is marked released (release == NULL) and must
 * not be released again. Imported arrays point at the producer's memory, which
 * stays alive until the last Quiver buffer referring to it is dropped; then the
 * producer's release callback runs exactly once.
 *
 * Import checks the structure (buffer and child counts, lengths, offsets, null
 * counts) enough to compute buffer sizes, and copies buffers that are not
 * aligned for their element type, but it trusts the producer's contents. Call
 * qv_array_validate_full / qv_record_batch_validate_full on imported data that
 * a later reader must not trust blindly (offsets, utf8, union ids,
 * dictionary indices).
 *
 * Supported types: every qv_type_id. Imports of types Quiver lacks (views,
 * list views, run-end encoded, decimal32/64) fail with QV_NOT_IMPLEMENTED. */
#ifndef QUIVER_C_DATA_H
#define QUIVER_C_DATA_H

#include <stdint.h>

#include "quiver/array.h"
#include "quiver/status.h"
#include "quiver/type.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the ABI, as the specification defines it -------------------------- */

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  /* Array type description */
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;

  /* Release callback */
  void (*release)(struct ArrowSchema *);
  /* Opaque producer-specific data */
  void *private_data;
};

struct ArrowArray {
  /* Array data description */
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;

  /* Release callback */
  void (*release)(struct ArrowArray *);
  /* Opaque producer-specific data */
  void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  /* Callbacks providing stream functionality */
  int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
  int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
  const char *(*get_last_error)(struct ArrowArrayStream *);

  /* Release callback */
  void (*release)(struct ArrowArrayStream *);

  /* Opaque producer-specific data */
  void *private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/* ---- schemas ------------------------------------------------------------ */

/* Exports a type as an unnamed, nullable ArrowSchema. Everything is copied:
 * *out does not refer to `type` afterwards. On failure *out is untouched. */
qv_status qv_type_export(const qv_data_type *type, struct ArrowSchema *out,
                         qv_error *err) QV_MUST_USE;
/* Exports a field: name, type, nullability (ARROW_FLAG_NULLABLE), metadata;
 * dictionary types put the index type in `format` and the value type in
 * `dictionary` (with ARROW_FLAG_DICTIONARY_ORDERED when ordered). */
qv_status qv_field_export(const qv_field *field, struct ArrowSchema *out,
                          qv_error *err) QV_MUST_USE;
/* Exports a schema as a struct ("+s") whose children are the fields, with the
 * schema's metadata on the top-level struct. */
qv_status qv_schema_export(const qv_schema *schema, struct ArrowSchema *out,
                           qv_error *err) QV_MUST_USE;

/* Imports the type described by *in (its name, flags and metadata are
 * ignored). Moves *in (see above). The caller owns one reference to *out. */
qv_status qv_type_import(struct ArrowSchema *in, qv_data_type **out, qv_error *err) QV_MUST_USE;
/* Imports a field (name, nullability, metadata and type). Moves *in. */
qv_status qv_field_import(struct ArrowSchema *in, qv_field **out, qv_error *err) QV_MUST_USE;
/* Imports a schema from a struct ("+s") ArrowSchema: its children become the
 * fields and its metadata the schema's. Moves *in. */
qv_status qv_schema_import(struct ArrowSchema *in, qv_schema **out, qv_error *err) QV_MUST_USE;

/* ---- arrays ----------------------------------------------------------------- */

/* Exports an array zero-copy, offset and all. *out holds references to the
 * array (and its children and dictionary) until released; every child struct
 * has its own release callback, so children may be moved out of the parent
 * (the parent must then be released at once, per the specification). On
 * failure *out is untouched. */
qv_status qv_array_export(qv_array *array, struct ArrowArray *out, qv_error *err) QV_MUST_USE;

/* Imports an array of the given type (typically from qv_type_import or
 * qv_field_import of the ArrowSchema exported alongside). Moves *in; the
 * producer's release runs once the last buffer of *out (or of any slice or
 * child of it) is dropped, or before return on failure. Takes its own
 * reference to type. null_count -1 and non-zero offsets are accepted. NULL
 * buffer pointers are accepted where the specification allows them: the
 * validity bitmap when there are no nulls, and any buffer of zero size. */
qv_status qv_array_import(struct ArrowArray *in, qv_data_type *type, qv_array **out,
                          qv_error *err) QV_MUST_USE;

/* ---- record batches ---------------------------------------------------------- */

/* Exports a batch as a struct array of its columns (length num_rows, no
 * nulls, offset 0). schema_out, when not NULL, receives the batch's schema as
 * by qv_schema_export. On failure neither output is touched. */
qv_status qv_record_batch_export(qv_record_batch *batch, struct ArrowArray *out,
                                 struct ArrowSchema *schema_out, qv_error *err) QV_MUST_USE;

/* Imports a batch from a struct array whose children are the columns of
 * `schema` (the struct's offset is applied to the columns; top-level nulls are
 * refused). Moves *in; takes its own reference to schema. */
qv_status qv_record_batch_import(struct ArrowArray *in, qv_schema *schema, qv_record_batch **out,
                                 qv_error *err) QV_MUST_USE;

/* ---- streams ------------------------------------------------------------ */

/* A pull-based source of record batches for qv_array_stream_export. */
typedef struct qv_batch_iterator {
  /* Sets *out to the next batch (the callee hands over one reference) or to
   * NULL at the end of the stream. Called from the consumer's thread; never
   * again after it failed or reached the end. */
  qv_status (*next)(void *state, qv_record_batch **out, qv_error *err);
  /* Frees state; called once, when the stream is released. May be NULL. */
  void (*destroy)(void *state);
  void *state;
} qv_batch_iterator;

/* Exports a stream of batches of `schema`. Takes its own reference to schema
 * and takes over *iter (its destroy runs when the stream is released, or
 * before return on failure). Each get_next exports one batch as by
 * qv_record_batch_export; a batch whose column types differ from the schema
 * ends the stream with EINVAL. get_last_error reports the failing status's
 * message, valid until the next call on the stream. Errors map to errno codes:
 * EINVAL (INVALID, TYPE_ERROR, OUT_OF_RANGE), ENOMEM (NOMEM,
 * RESOURCE_EXHAUSTED), ENOSYS (NOT_IMPLEMENTED), ECANCELED, ENOENT, EIO (all
 * else). On failure *out is untouched. */
qv_status qv_array_stream_export(qv_schema *schema, const qv_batch_iterator *iter,
                                 struct ArrowArrayStream *out, qv_error *err) QV_MUST_USE;
/* Exports a stream of a fixed list of batches; takes its own references to the
 * schema and to each batch. */
qv_status qv_array_stream_export_batches(qv_schema *schema, qv_record_batch *const *batches,
                                         int64_t n_batches, struct ArrowArrayStream *out,
                                         qv_error *err) QV_MUST_USE;

/* The consumer side of an imported ArrowArrayStream. */
typedef struct qv_array_stream_reader qv_array_stream_reader;

/* Moves *in into a new reader and reads the stream's schema. On failure the
 * stream has been released and *out is NULL. Destroy with
 * qv_array_stream_reader_destroy. */
qv_status qv_array_stream_import(struct ArrowArrayStream *in, qv_array_stream_reader **out,
                                 qv_error *err) QV_MUST_USE;
/* The stream's schema; borrowed, valid while the reader lives. */
qv_schema *qv_array_stream_reader_schema(const qv_array_stream_reader *r);
/* Sets *out to the next batch (caller owns a reference) or NULL at the end.
 * A producer error maps its errno to a status (EINVAL -> INVALID, ENOMEM ->
 * NOMEM, ENOSYS/ENOTSUP -> NOT_IMPLEMENTED, ECANCELED -> CANCELLED, ENOENT ->
 * NOT_FOUND, anything else -> IO) with the producer's message; after an error
 * every later call fails too, without calling the producer again. */
qv_status qv_array_stream_reader_next(qv_array_stream_reader *r, qv_record_batch **out,
                                      qv_error *err) QV_MUST_USE;
/* Releases the stream and frees the reader. r may be NULL. Batches already
 * returned stay valid. */
void qv_array_stream_reader_destroy(qv_array_stream_reader *r);

#ifdef __cplusplus
}
#endif
#endif
