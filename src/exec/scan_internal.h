/* The file scans (ParquetScanExec, CsvScanExec, IpcScanExec) inside:
 *
 *   1. what the plan codec (src/plan/) reads to serialise a scan node — its
 *      format, file pieces per partition, file schema, projection,
 *      predicate, batch size and format options — and how it rebuilds one:
 *      the public constructor (qv_plan_parquet_scan ...) with one path per
 *      piece, in partition order, its byte range (range_begin/range_end)
 *      and its partition (partitions[i]), file_schema, projection,
 *      predicate and batch_size set, and target_partitions = the node's
 *      number of partitions (qv_exec_plan_num_partitions). Nothing is
 *      listed or inferred again, and the groups come out identical;
 *   2. execution metrics (row groups pruned ...), for tests and a future
 *      EXPLAIN ANALYZE;
 *   3. the interface between the shared scan machinery (file_scan.c: file
 *      groups, column mapping, predicate, EXPLAIN) and each format's reader
 *      (parquet_scan.c, csv_scan.c, ipc_scan.c). */
#ifndef QV_EXEC_SCAN_INTERNAL_H
#define QV_EXEC_SCAN_INTERNAL_H

#include <stdatomic.h>

#include "exec/exec_internal.h"
#include "exec/file_groups.h"
#include "quiver/csv.h"
#include "quiver/ipc.h"
#include "quiver/parquet.h"
#include "quiver/plan.h"

typedef enum qv_file_format {
  QV_FILE_FORMAT_PARQUET = 0,
  QV_FILE_FORMAT_CSV = 1,
  QV_FILE_FORMAT_IPC = 2
} qv_file_format;

/* ---- 1. accessors for the plan codec ---------------------------------------
 * Each takes a node for which qv__is_file_scan is true; returned objects are
 * borrowed from the node. */

bool qv__is_file_scan(const qv_exec_plan *p);
qv_file_format qv__file_scan_format(const qv_exec_plan *p);
/* The schema the files are read with (given or inferred at construction). */
qv_schema *qv__file_scan_file_schema(const qv_exec_plan *p);
/* Output columns as file schema field indices. */
int32_t qv__file_scan_num_projection(const qv_exec_plan *p);
const int32_t *qv__file_scan_projection(const qv_exec_plan *p);
/* NULL when none. */
qv_expr *qv__file_scan_predicate(const qv_exec_plan *p);
/* The pieces of partition `partition` (0 <= partition < the node's
 * partitions): piece i is bytes [*begin, *end) of *path. */
int32_t qv__file_scan_num_pieces(const qv_exec_plan *p, int32_t partition);
void qv__file_scan_piece(const qv_exec_plan *p, int32_t partition, int32_t i, const char **path, int64_t *begin,
                         int64_t *end);
/* The size of that piece's file when the plan was built. A codec may send a
 * whole-file piece (0, size) as the range (0, -1), so that a worker whose
 * copy of the file has another size still reads all of it. */
int64_t qv__file_scan_piece_file_size(const qv_exec_plan *p, int32_t partition, int32_t i);
/* The directory-listing suffix the scan was built with, or NULL (only
 * informative once the files are listed). */
const char *qv__file_scan_extension(const qv_exec_plan *p);
/* Rows per batch; 0: the session's batch_size. */
int64_t qv__file_scan_batch_size(const qv_exec_plan *p);
/* Format options, as copied at construction (alloc and batch_size are
 * ignored). Each
 * returns NULL for a scan of another format. */
const qv_parquet_read_options *qv__parquet_scan_options(const qv_exec_plan *p);
const qv_csv_read_options *qv__csv_scan_options(const qv_exec_plan *p);
const qv_ipc_read_options *qv__ipc_scan_options(const qv_exec_plan *p);

/* ---- 2. metrics -------------------------------------------------------------
 * Counted over every execution of the node since it was built (or reset). */

typedef struct qv_file_scan_metrics {
  int64_t files_opened;        /* pieces opened */
  int64_t row_groups_matched;  /* Parquet: row groups in the pieces' ranges */
  int64_t row_groups_pruned;   /* ... of which statistics proved empty */
  int64_t batches_read;        /* from the readers, before the predicate */
  int64_t rows_read;
  int64_t rows_output;         /* after the predicate */
} qv_file_scan_metrics;

void qv__file_scan_metrics(const qv_exec_plan *p, qv_file_scan_metrics *out);
void qv__file_scan_metrics_reset(qv_exec_plan *p);

/* ---- 3. formats ---------------------------------------------------------- */

typedef struct qv_file_scan qv_file_scan;

/* One format's reader of pieces. A reader is opened for one piece, started
 * with the columns to read, then drained batch by batch. */
typedef struct qv_scan_format {
  const char *name; /* "ParquetScanExec" */
  qv_file_format format;
  qv_plan_kind kind;
  /* Whether files may be read in byte ranges with these options. */
  bool (*splittable)(const qv_file_scan *s);
  /* The schema of the file at path, for a scan built without one. */
  qv_status (*infer_schema)(const qv_file_scan *s, const char *path, qv_schema **out, qv_error *err);
  /* Called once the file schema, projection and predicate are known; may be
   * NULL. Sets s->format_state (Parquet: the pruning terms). */
  qv_status (*prepare)(qv_file_scan *s, qv_error *err);
  /* Opens bytes [piece->begin, piece->end) of file; *file_schema (borrowed
   * from the reader) is the schema of that file. */
  qv_status (*open)(const qv_file_scan *s, const qv_scan_file *file, const qv_file_piece *piece, qv_allocator *alloc,
                    int64_t batch_size, void **reader, qv_schema **file_schema, qv_error *err);
  /* Starts reading: local_of[f] is the index in the file's schema of scan
   * file schema field f (-1 when the file lacks it); the batches must hold
   * the file's columns local_read[0..n_read), in that order. */
  qv_status (*start)(void *reader, const qv_file_scan *s, const int32_t *local_of, const int32_t *local_read,
                     int32_t n_read, qv_error *err);
  /* The next batch or NULL at the end of the piece. */
  qv_status (*next)(void *reader, qv_record_batch **out, qv_error *err);
  void (*close)(void *reader);
  /* Appends format details to EXPLAIN (", pruning=[...]"); may be NULL. */
  qv_status (*describe)(const qv_file_scan *s, qv_bytes *out, qv_error *err);
  void (*free_options)(void *options);
  void (*free_state)(void *state);
} qv_scan_format;

struct qv_file_scan {
  const qv_scan_format *format;
  qv_file_groups groups;
  int32_t n_files;      /* distinct paths */
  qv_schema *file_schema;
  int32_t n_projection;
  int32_t *projection;  /* file schema indices */
  qv_expr *predicate;   /* NULL when none */
  /* Columns read: the projection, then the predicate's other columns. */
  int32_t n_read;
  int32_t *read_fields; /* file schema indices */
  char *extension;
  int64_t batch_size;   /* 0: the session's */
  void *options;        /* the format's options (qv_parquet_read_options ...) */
  void *format_state;   /* set by prepare */
  atomic_int_fast64_t files_opened, row_groups_matched, row_groups_pruned, batches_read, rows_read, rows_output;
};

/* Builds a scan node: lists and groups the files, settles the schema,
 * checks projection and predicate. Takes ownership of options (freed with
 * format->free_options, also on failure). */
qv_status qv__file_scan_create(const qv_scan_format *format, const qv_file_scan_config *config, void *options,
                               qv_exec_plan **out, qv_error *err) QV_MUST_USE;

#endif
