/* Helpers for the exec tests: small int64 batches and result checks. */
#ifndef QV_EXEC_TEST_UTIL_H
#define QV_EXEC_TEST_UTIL_H

#include "quiver/exec.h"
#include "quiver/plan.h"

/* A schema of one non-null int64 column "v". */
qv_schema *qv_test_int64_schema(void);
/* A batch of column "v" holding start, start+1, ..., start+n-1. */
qv_record_batch *qv_test_int64_batch(qv_schema *s, int64_t start, int64_t n);
/* A memory scan of `parts` partitions, each of `batches` batches of `rows`
 * rows, holding the values 0..parts*batches*rows-1 once each. */
qv_exec_plan *qv_test_int64_scan(int32_t parts, int32_t batches, int64_t rows);
/* Sum and row count of column 0 (int64) over batches. */
void qv_test_sum_int64(qv_record_batch **batches, int64_t n, int64_t *sum, int64_t *rows);
void qv_test_free_batches(qv_record_batch **batches, int64_t n);
qv_task_context *qv_test_context(void);

#endif
