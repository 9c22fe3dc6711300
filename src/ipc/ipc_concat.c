/* Concatenation for delta dictionaries: a DictionaryBatch with isDelta
 * appends its values to the dictionary already known for its id. The work is
 * done by the general kernel qv_array_concat (src/arrow/concat.c), which
 * handles every layout and sliced inputs, and shares an inner dictionary when
 * the delta's is the old one extended (or merges the two otherwise). */
#include "ipc/ipc_internal.h"
#include "quiver/compute.h"

qv_status qv__ipc_array_concat(qv_allocator *alloc, qv_array *a, qv_array *b, qv_array **out,
                               qv_error *err) {
  qv_array *pair[2] = {a, b};
  return qv_array_concat(alloc, pair, 2, out, err);
}
