/* The sample arrays of the arrow tests (one of every type), compiled into the
 * IPC test binary too: tests/unit/arrow/sample_arrays.c is found through the
 * tests/unit include directory. */
#include "arrow/sample_arrays.c"
