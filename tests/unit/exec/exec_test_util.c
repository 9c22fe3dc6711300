/* Helpers for the exec tests (see exec_test_util.h). */
#include <stdlib.h>

#include "exec_test_util.h"

qv_schema *qv_test_int64_schema(void) {
  qv_field *f;
  qv_schema *s;
  if (qv_field_create("v", qv_type_primitive(QV_INT64), false, NULL, &f, NULL)) return NULL;
  qv_status st = qv_schema_create(&f, 1, NULL, &s, NULL);
  qv_field_unref(f);
  return st ? NULL : s;
}

qv_record_batch *qv_test_int64_batch(qv_schema *s, int64_t start, int64_t n) {
  qv_array_builder b;
  qv_array *a = NULL;
  qv_record_batch *batch = NULL;
  if (qv_array_builder_init(&b, NULL, qv_type_primitive(QV_INT64), NULL)) return NULL;
  for (int64_t i = 0; i < n; i++)
    if (qv_array_builder_append_int(&b, start + i, NULL)) return NULL;
  if (qv_array_builder_finish(&b, &a, NULL)) return NULL;
  qv_status st = qv_record_batch_create(s, n, &a, 1, &batch, NULL);
  qv_array_unref(a);
  return st ? NULL : batch;
}

qv_exec_plan *qv_test_int64_scan(int32_t parts, int32_t batches, int64_t rows) {
  qv_schema *s = qv_test_int64_schema();
  qv_record_batch ***all = calloc((size_t)parts, sizeof *all);
  int64_t *counts = calloc((size_t)parts, sizeof *counts);
  int64_t next = 0;
  for (int32_t p = 0; p < parts; p++) {
    all[p] = calloc((size_t)batches + 1, sizeof **all);
    counts[p] = batches;
    for (int32_t b = 0; b < batches; b++, next += rows) all[p][b] = qv_test_int64_batch(s, next, rows);
  }
  qv_exec_plan *plan = NULL;
  if (qv_plan_memory_scan(s, (qv_record_batch *const *const *)all, counts, parts, &plan, NULL)) plan = NULL;
  for (int32_t p = 0; p < parts; p++) {
    for (int32_t b = 0; b < batches; b++) qv_record_batch_unref(all[p][b]);
    free(all[p]);
  }
  free(all);
  free(counts);
  qv_schema_unref(s);
  return plan;
}

void qv_test_sum_int64(qv_record_batch **batches, int64_t n, int64_t *sum, int64_t *rows) {
  *sum = 0;
  *rows = 0;
  for (int64_t i = 0; i < n; i++) {
    qv_array *a = qv_record_batch_column(batches[i], 0);
    const int64_t *v = (const int64_t *)qv_buffer_data(qv_array_buffer(a, 1)) + qv_array_offset(a);
    for (int64_t j = 0; j < qv_array_length(a); j++) *sum += v[j];
    *rows += qv_array_length(a);
  }
}

void qv_test_free_batches(qv_record_batch **batches, int64_t n) {
  for (int64_t i = 0; i < n; i++) qv_record_batch_unref(batches[i]);
  free(batches);
}

qv_task_context *qv_test_context(void) {
  qv_session_state *s;
  qv_task_context *ctx = NULL;
  if (qv_session_state_create_default(&s, NULL)) return NULL;
  if (qv_task_context_create(s, 0, 1, &ctx, NULL)) ctx = NULL;
  qv_session_state_unref(s);
  return ctx;
}
