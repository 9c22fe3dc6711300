/* Reader of Arrow's integration-test JSON format: the human-readable
 * description of a schema, its dictionaries and record batches that Arrow's
 * cross-implementation tests ship beside each .arrow_file/.stream (see
 * "Integration Testing" in the Arrow format documentation). Quiver reads it to
 * check its IPC reader and writer against the golden files. */
#ifndef QV_ARROW_INTEGRATION_JSON_H
#define QV_ARROW_INTEGRATION_JSON_H

#include <stdint.h>

#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/status.h"
#include "quiver/type.h"

/* One dictionary of the file: its id and its values (an array of the
 * dictionary's value type). */
typedef struct qv_integration_dictionary {
  int64_t id;
  qv_array *values;
} qv_integration_dictionary;

/* The decoded contents of one JSON file. Caller allocates the struct: _init,
 * fill it with a read function, then _reset to drop every reference. */
typedef struct qv_integration_file {
  qv_allocator *alloc;
  qv_schema *schema;
  int64_t n_dictionaries;
  qv_integration_dictionary *dictionaries; /* in the order of the file */
  int64_t n_batches;
  qv_record_batch **batches;
} qv_integration_file;

void qv__integration_file_init(qv_integration_file *f);
/* Drops every reference the file holds; f is left initialised and empty. */
void qv__integration_file_reset(qv_integration_file *f);

/* Decodes len bytes of integration JSON text. Buffers come from alloc (NULL =
 * the default allocator). Every dictionary-encoded column (at any depth, and
 * inside dictionaries) points to the values of its dictionary id, and the
 * field carries the id (qv_field_dictionary_id). Extension types stay what the
 * file says they are: storage type plus the field metadata.
 *
 * The input is validated strictly: wrong counts (VALIDITY, DATA, OFFSET,
 * TYPE_ID entries vs "count", child lengths vs offsets), values out of range
 * of their type, malformed hex or decimal strings, unknown type names, column
 * names that differ from the schema, dictionary indices out of range and
 * missing or duplicate dictionaries all fail with QV_INVALID and a message
 * naming the batch or dictionary, the column path and the JSON offset. Types
 * Quiver has no representation for (views, run-end encoded, 32/64-bit
 * decimals) fail with QV_NOT_IMPLEMENTED. On failure out is left empty. */
qv_status qv__integration_json_parse(qv_allocator *alloc, const char *text, int64_t len,
                                     qv_integration_file *out, qv_error *err) QV_MUST_USE;

/* Reads a file, gzip-compressed (".json.gz") or plain, and decodes it as
 * qv__integration_json_parse does. QV_NOT_FOUND when the file does not exist,
 * QV_IO when it cannot be read or decompressed. */
qv_status qv__integration_json_read_file(qv_allocator *alloc, const char *path,
                                         qv_integration_file *out, qv_error *err) QV_MUST_USE;

#endif
