/* Helpers shared by the IPC tests: loading files, listing the Arrow golden
 * files, and reading or writing whole streams and files in memory. */
#ifndef QV_TEST_IPC_UTIL_H
#define QV_TEST_IPC_UTIL_H

#include "quiver/array.h"
#include "quiver/ipc.h"

/* A list of record batches (one reference each). */
typedef struct batch_list {
  qv_schema *schema; /* one reference, or NULL */
  int64_t count;
  qv_record_batch *items[256];
} batch_list;

void batch_list_reset(batch_list *l);

/* Reads a whole file into a new buffer (64-byte aligned); NULL on failure. */
qv_buffer *load_file(const char *path);

/* Golden files: fills paths (malloc'ed strings, caller frees with
 * free_paths) with every file under QV_TESTDATA_DIR/arrow-ipc ending in
 * suffix, sorted; returns the count. */
int golden_files(const char *suffix, char ***paths);
void free_paths(char **paths, int n);

/* Reads every batch of a stream / file in memory. */
qv_status read_stream(qv_buffer *data, const qv_ipc_read_options *opts, batch_list *out,
                      qv_error *err);
qv_status read_file(qv_buffer *data, const qv_ipc_read_options *opts, batch_list *out,
                    qv_error *err);

/* Writes the batches as a stream / file into a new buffer. */
qv_status write_stream(qv_schema *schema, qv_record_batch *const *batches, int64_t n,
                       const qv_ipc_write_options *opts, qv_buffer **out, qv_error *err);
qv_status write_file(qv_schema *schema, qv_record_batch *const *batches, int64_t n,
                     const qv_ipc_write_options *opts, qv_buffer **out, qv_error *err);

/* Whether two schemas have the same fields (names, types, nullability) and
 * the same key-value pairs in any order (writers differ in the order they
 * store metadata). */
bool schemas_equivalent(const qv_schema *a, const qv_schema *b);

/* Whether two batches have equivalent schemas and equal columns. */
bool batches_equivalent(const qv_record_batch *a, const qv_record_batch *b);

/* Whether two lists hold equal batches, pairwise. */
bool batch_lists_equal(const batch_list *a, const batch_list *b);

#endif
