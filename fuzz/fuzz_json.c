/* libFuzzer target: the JSON parser and, on top of it, the Arrow integration
 * JSON reader (schema, dictionaries and batches built from JSON), with an
 * allocator capped at 256 MiB. Any input must give a value or an error, never
 * a crash, a leak or an allocation above the cap. */
#include <stdint.h>
#include <stdlib.h>

#include "arrow/integration_json.h"
#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qv_allocator *alloc;
  if (qv_allocator_create((int64_t)256 << 20, &alloc, NULL) != QV_OK) return 0;
  qv_arena arena;
  qv_arena_init(&arena, alloc);
  const qv_json_value *root = NULL;
  qv_error err;
  qv_error_init(&err);
  (void)qv__json_parse(&arena, (const char *)data, (int64_t)size, 0, &root, &err);
  qv_arena_reset(&arena);

  qv_integration_file file;
  if (qv__integration_json_parse(alloc, (const char *)data, (int64_t)size, &file, &err) == QV_OK)
    qv__integration_file_reset(&file);
  if (qv_allocator_bytes_allocated(alloc) != 0) abort(); /* everything must be freed */
  qv_allocator_destroy(alloc);
  return 0;
}
