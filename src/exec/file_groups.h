/* File listing and file groups for the file scans (ParquetScanExec,
 * CsvScanExec, IpcScanExec).
 *
 * A scan is given paths, each a file, a directory or a glob pattern. The
 * list expands them into files (sorted, sizes from stat) with the byte range
 * of each to read, and the groups map that work onto the scan's partitions:
 * partition p reads the pieces of group p, in order. */
#ifndef QV_EXEC_FILE_GROUPS_H
#define QV_EXEC_FILE_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/status.h"

/* One file to read, after expansion. */
typedef struct qv_scan_file {
  char *path;        /* owned */
  int64_t size;      /* bytes, from stat(2) */
  int64_t begin;     /* the part to read: [begin, end), 0 <= begin <= end <= size */
  int64_t end;
  int32_t partition; /* the partition that reads it when given explicitly; -1 otherwise */
} qv_scan_file;

typedef struct qv_file_list {
  int32_t n;
  int32_t cap;
  qv_scan_file *files;
} qv_file_list;

/* A piece of work: bytes [begin, end) of file `file` (an index into the
 * list). A piece that covers a whole file has begin = 0, end = size. */
typedef struct qv_file_piece {
  int32_t file;
  int64_t begin;
  int64_t end;
} qv_file_piece;

typedef struct qv_file_groups {
  qv_file_list files;
  int32_t n_groups;
  int32_t *offsets;      /* n_groups + 1 entries: group g is pieces[offsets[g] .. offsets[g+1]) */
  int32_t n_pieces;
  qv_file_piece *pieces;
} qv_file_groups;

/* What to expand: n paths, each with an optional byte range and partition. */
typedef struct qv_file_list_request {
  const char *const *paths;
  int32_t n_paths;
  const int64_t *range_begin; /* NULL, or n_paths entries */
  const int64_t *range_end;   /* NULL, or n_paths entries; < 0: the end of the file */
  const int32_t *partitions;  /* NULL, or n_paths entries (each >= 0) */
  const char *extension;      /* directory listings keep only names ending with it; NULL: any */
  const char *what;           /* the operator, for error messages */
} qv_file_list_request;

/* Expands the request into *out (initialised here; release with
 * qv__file_list_reset, also on failure). A path holding '*', '?' or '[' is
 * a glob(3) pattern; a directory is listed recursively; both in sorted
 * order. Directory listings skip names starting with '.' or '_' (hidden
 * files, _SUCCESS markers) and, with an extension, names not ending with
 * it. Every file inherits its path's partition; a byte range is only
 * allowed on a path that names one regular file.
 * Errors: QV_NOT_FOUND for a path that does not exist or a pattern that
 * matches nothing, naming it; QV_IO when a directory cannot be read;
 * QV_INVALID for a range outside the file or on a directory or pattern;
 * QV_NOMEM. */
qv_status qv__file_list_expand(const qv_file_list_request *req, qv_file_list *out, qv_error *err) QV_MUST_USE;
void qv__file_list_reset(qv_file_list *list);

/* Builds the groups from files (moved into out->files; *files is left
 * empty), for target_partitions partitions:
 *   - explicit: every file carries its partition; there are
 *     target_partitions groups, group g holding the files of partition g
 *     in list order (some may be empty);
 *   - splittable: the byte ranges of all files, laid end to end, are cut
 *     into n equal stretches, n = min(target_partitions, ceil(total bytes /
 *     min_split_bytes)) (at least 1); group g reads stretch g, so a large
 *     file may be split across groups and several small files may share
 *     one;
 *   - otherwise whole files are dealt out, largest first, each to the group
 *     with the fewest bytes so far (n = min(target_partitions, files), at
 *     least 1); within a group files keep their list order.
 * Every file appears in at least one piece, even an empty one, so that
 * errors (a zero-byte Parquet file) are not skipped.
 * Errors: QV_INVALID for a partition outside [0, target_partitions) or a
 * non-splittable format given a part of a file; QV_NOMEM. */
qv_status qv__file_groups_build(qv_file_list *files, int32_t target_partitions, bool splittable,
                                int64_t min_split_bytes, bool explicit_partitions, const char *what,
                                qv_file_groups *out, qv_error *err) QV_MUST_USE;
void qv__file_groups_reset(qv_file_groups *g);

/* Total bytes of the pieces of group g. */
int64_t qv__file_groups_bytes(const qv_file_groups *g, int32_t group);

#endif
