/* A shared-library shim that lets tests/interop/test_c_data_pyarrow.py drive
 * Quiver's Arrow C Data Interface from Python (ctypes) against pyarrow, the
 * Arrow C++ implementation: it exports the unit tests' sample arrays, and
 * passes ArrowSchema/ArrowArray/ArrowArrayStream structs that pyarrow exported
 * through Quiver's import, full validation and export, so that pyarrow can
 * import the result and compare it with what it sent.
 *
 * Every function returns a qv_status (0 = QV_OK). On failure the message is
 * kept for cdata_shim_last_error and no output struct has been filled (its
 * release stays NULL); input structs are always consumed, as Quiver's imports
 * consume them. One process-wide error record: the tests call the shim from
 * one thread. Only the plain (non-sanitized) build makes this library, since
 * an ASan-instrumented one could only be loaded into Python with libasan
 * preloaded. */
#include <stdbool.h>
#include <stddef.h>

#include "quiver/array.h"
#include "quiver/c_data.h"
#include "sample_arrays.h"

/* The only non-static functions are the shim's interface; declaring them here
 * keeps -Wmissing-prototypes meaningful for everything else. */
int cdata_shim_sample_count(void);
const char *cdata_shim_sample_name(int i);
int cdata_shim_export_sample(int i, int as_batch, struct ArrowSchema *schema_out,
                             struct ArrowArray *array_out);
int cdata_shim_sample_equals(int i, int as_batch, struct ArrowSchema *schema,
                             struct ArrowArray *array, int *equal);
int cdata_shim_roundtrip_array(struct ArrowSchema *schema, struct ArrowArray *array,
                               struct ArrowSchema *schema_out, struct ArrowArray *array_out);
int cdata_shim_roundtrip_batch(struct ArrowSchema *schema, struct ArrowArray *array,
                               struct ArrowSchema *schema_out, struct ArrowArray *array_out);
int cdata_shim_drain_stream(struct ArrowArrayStream *stream, int64_t *batches, int64_t *rows);
int cdata_shim_roundtrip_stream(struct ArrowArrayStream *stream, struct ArrowArrayStream *out);
const char *cdata_shim_last_error(void);
const char *cdata_shim_status_name(int status);

static qv_error last_error;

static void release_array(struct ArrowArray *a) {
  if (a && a->release) a->release(a);
}

int cdata_shim_sample_count(void) { return sample_count(); }

/* The sample's static description ("list<int32>"), or NULL if it cannot be
 * built. */
const char *cdata_shim_sample_name(int i) {
  const char *name = NULL;
  qv_array *a = NULL;
  qv_error_init(&last_error);
  if (sample_array(i, &name, &a, &last_error) != QV_OK) return NULL;
  qv_array_unref(a);
  return name;
}

/* A one-column record batch ("sample") holding the array. */
static qv_status batch_of(qv_array *a, qv_record_batch **out, qv_error *err) {
  qv_field *f = NULL;
  qv_schema *s = NULL;
  qv_status st = qv_field_create("sample", qv_array_type(a), true, NULL, &f, err);
  if (st == QV_OK) st = qv_schema_create(&f, 1, NULL, &s, err);
  if (st == QV_OK) st = qv_record_batch_create(s, qv_array_length(a), &a, 1, out, err);
  qv_schema_unref(s);
  qv_field_unref(f);
  return st;
}

/* Exports sample i as a type and an array, or, with as_batch, as a one-column
 * record batch: pyarrow's Python layer cannot wrap a top-level array of some
 * types (month and day-time intervals) but takes them as batch columns. */
int cdata_shim_export_sample(int i, int as_batch, struct ArrowSchema *schema_out,
                             struct ArrowArray *array_out) {
  const char *name;
  qv_array *a = NULL;
  qv_record_batch *b = NULL;
  qv_error_init(&last_error);
  qv_status st = sample_array(i, &name, &a, &last_error);
  if (st == QV_OK && as_batch) {
    st = batch_of(a, &b, &last_error);
    if (st == QV_OK) st = qv_record_batch_export(b, array_out, schema_out, &last_error);
  } else if (st == QV_OK) {
    st = qv_type_export(qv_array_type(a), schema_out, &last_error);
    if (st == QV_OK) {
      st = qv_array_export(a, array_out, &last_error);
      if (st != QV_OK) schema_out->release(schema_out);
    }
  }
  qv_record_batch_unref(b); /* the export holds its own references */
  qv_array_unref(a);
  return st;
}

/* Imports a type and an array (or, with as_batch, a one-column record batch),
 * validates it fully and sets *equal to whether the array (column) equals a
 * freshly built sample i (qv_array_equals). */
int cdata_shim_sample_equals(int i, int as_batch, struct ArrowSchema *schema,
                             struct ArrowArray *array, int *equal) {
  qv_data_type *type = NULL;
  qv_schema *s = NULL;
  qv_record_batch *b = NULL;
  qv_array *got = NULL, *want = NULL;
  const char *name;
  qv_status st;
  qv_error_init(&last_error);
  if (as_batch) {
    st = qv_schema_import(schema, &s, &last_error);
    if (st == QV_OK) {
      st = qv_record_batch_import(array, s, &b, &last_error);
      array = NULL;
    }
    if (st == QV_OK && qv_record_batch_num_columns(b) != 1)
      st = qv_error_set(&last_error, QV_INVALID, "batch has %d columns, not 1",
                        (int)qv_record_batch_num_columns(b));
    if (st == QV_OK) st = qv_record_batch_validate_full(b, &last_error);
    if (st == QV_OK) got = qv_array_ref(qv_record_batch_column(b, 0));
  } else {
    st = qv_type_import(schema, &type, &last_error);
    if (st == QV_OK) {
      st = qv_array_import(array, type, &got, &last_error);
      array = NULL;
    }
    if (st == QV_OK) st = qv_array_validate_full(got, &last_error);
  }
  release_array(array); /* not consumed when the schema import failed */
  if (st == QV_OK) st = sample_array(i, &name, &want, &last_error);
  if (st == QV_OK) *equal = qv_array_equals(got, want);
  qv_array_unref(want);
  qv_array_unref(got);
  qv_record_batch_unref(b);
  qv_schema_unref(s);
  qv_type_unref(type);
  return st;
}

/* Imports a field and its array, validates the array fully and exports both
 * again. */
int cdata_shim_roundtrip_array(struct ArrowSchema *schema, struct ArrowArray *array,
                               struct ArrowSchema *schema_out, struct ArrowArray *array_out) {
  qv_field *field = NULL;
  qv_array *a = NULL;
  qv_error_init(&last_error);
  qv_status st = qv_field_import(schema, &field, &last_error);
  if (st != QV_OK) {
    release_array(array);
    return st;
  }
  st = qv_array_import(array, qv_field_type(field), &a, &last_error);
  if (st == QV_OK) st = qv_array_validate_full(a, &last_error);
  if (st == QV_OK) st = qv_field_export(field, schema_out, &last_error);
  if (st == QV_OK) {
    st = qv_array_export(a, array_out, &last_error);
    if (st != QV_OK) schema_out->release(schema_out);
  }
  qv_array_unref(a);
  qv_field_unref(field);
  return st;
}

/* Imports a record batch (a struct array and its schema), validates it fully
 * and exports it again. */
int cdata_shim_roundtrip_batch(struct ArrowSchema *schema, struct ArrowArray *array,
                               struct ArrowSchema *schema_out, struct ArrowArray *array_out) {
  qv_schema *s = NULL;
  qv_record_batch *b = NULL;
  qv_error_init(&last_error);
  qv_status st = qv_schema_import(schema, &s, &last_error);
  if (st != QV_OK) {
    release_array(array);
    return st;
  }
  st = qv_record_batch_import(array, s, &b, &last_error);
  if (st == QV_OK) st = qv_record_batch_validate_full(b, &last_error);
  if (st == QV_OK) st = qv_record_batch_export(b, array_out, schema_out, &last_error);
  qv_record_batch_unref(b);
  qv_schema_unref(s);
  return st;
}

/* Reads a stream to its end (or first error), validating every batch fully;
 * counts its batches and rows. */
int cdata_shim_drain_stream(struct ArrowArrayStream *stream, int64_t *batches, int64_t *rows) {
  qv_array_stream_reader *r = NULL;
  *batches = *rows = 0;
  qv_error_init(&last_error);
  qv_status st = qv_array_stream_import(stream, &r, &last_error);
  while (st == QV_OK) {
    qv_record_batch *b = NULL;
    st = qv_array_stream_reader_next(r, &b, &last_error);
    if (st != QV_OK || !b) break;
    st = qv_record_batch_validate_full(b, &last_error);
    ++*batches;
    *rows += qv_record_batch_num_rows(b);
    qv_record_batch_unref(b);
  }
  qv_array_stream_reader_destroy(r);
  return st;
}

/* The iterator behind cdata_shim_roundtrip_stream: pulls each batch from the
 * imported stream, validates it and hands it on, so the consumer of the
 * exported stream drives the producer and sees its errors. */
static qv_status pass_through_next(void *state, qv_record_batch **out, qv_error *err) {
  qv_record_batch *b = NULL;
  *out = NULL;
  QV_RETURN_NOT_OK(qv_array_stream_reader_next(state, &b, err));
  if (b) {
    qv_status st = qv_record_batch_validate_full(b, err);
    if (st != QV_OK) {
      qv_record_batch_unref(b);
      return st;
    }
  }
  *out = b;
  return QV_OK;
}

static void pass_through_destroy(void *state) { qv_array_stream_reader_destroy(state); }

/* Imports a stream and exports it again, lazily: batches and errors flow from
 * the imported stream to the exported one as the consumer pulls. */
int cdata_shim_roundtrip_stream(struct ArrowArrayStream *stream, struct ArrowArrayStream *out) {
  qv_array_stream_reader *r = NULL;
  qv_error_init(&last_error);
  qv_status st = qv_array_stream_import(stream, &r, &last_error);
  if (st != QV_OK) return st;
  qv_batch_iterator iter = {pass_through_next, pass_through_destroy, r};
  /* On failure the export has already destroyed the iterator, and so r. */
  return qv_array_stream_export(qv_array_stream_reader_schema(r), &iter, out, &last_error);
}

/* The message of the last failing call; valid until the next call. */
const char *cdata_shim_last_error(void) { return last_error.message; }

const char *cdata_shim_status_name(int status) { return qv_status_name((qv_status)status); }
