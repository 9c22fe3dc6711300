/* Whole-file input for the readers of src/io: a file's bytes as one
 * qv_buffer, memory-mapped when possible. The Parquet, IPC and CSV readers
 * work on a buffer holding the entire file; this is where a path becomes one. */
#ifndef QV_IO_FILE_H
#define QV_IO_FILE_H

#include "quiver/memory.h"
#include "quiver/status.h"

/* Maps the file at `path` read-only and returns its bytes as a buffer (the
 * caller owns one reference; the mapping goes when the last reference does).
 * Files that cannot be mapped (pipes, /dev/stdin, special files) are read
 * into memory from `alloc` (NULL: the default allocator). An empty file
 * gives an empty buffer.
 * Errors, each naming the file: QV_NOT_FOUND when it does not exist,
 * QV_IO when it cannot be opened or read (permissions, a directory, an I/O
 * error), QV_NOMEM. */
qv_status qv__file_read_all(const char *path, qv_allocator *alloc, qv_buffer **out,
                            qv_error *err) QV_MUST_USE;

#endif
