/* Building and running a plan without SQL: the plan builder API.
 *
 * The plan below is "SELECT region, count(*), sum(amount), avg(amount)
 * FROM sales WHERE discounted(amount) GROUP BY region ORDER BY region", over
 * two in-memory partitions, aggregated in two steps (partial per partition,
 * then final) as a distributed plan would be, with a user scalar function
 * `discounted` registered in the session. It prints the plan and the result.
 *
 * Build: `make build`, then run build/example_plan_builder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quiver/quiver.h"

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != QV_OK) {                                                 \
      fprintf(stderr, "%s failed: %s\n", #call, err.message);              \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

/* discounted(amount decimal(10,2)) -> bool: amounts of 20.00 or more. A UDF
 * receives whole arrays and returns one array per batch. */
static qv_status discounted(void *user, qv_array *const *args, int32_t n_args, int64_t n_rows, qv_array **out,
                            qv_error *err) {
  const qv_array *amount = args[0];
  const uint8_t *values = qv_buffer_data(qv_array_buffer(amount, 1));
  qv_array_builder b;
  QV_RETURN_NOT_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_BOOL), err));
  for (int64_t i = 0; i < n_rows; i++) {
    int64_t cents;
    memcpy(&cents, values + (qv_array_offset(amount) + i) * 16, 8); /* low 64 bits of the decimal */
    qv_status st = qv_array_is_valid(amount, i) ? qv_array_builder_append_bool(&b, cents >= 2000, err)
                                                : qv_array_builder_append_null(&b, err);
    if (st != QV_OK) {
      qv_array_builder_reset(&b);
      return st;
    }
  }
  return qv_array_builder_finish(&b, out, err);
}

/* One partition of the sales table: region (utf8) and amount (decimal(10,2)). */
static qv_record_batch *sales(qv_schema *schema, int part) {
  static const char *regions[] = {"north", "south", "east"};
  qv_error err = {0};
  qv_array_builder r, a;
  CHECK(qv_array_builder_init(&r, NULL, qv_field_type(qv_schema_field(schema, 0)), &err));
  CHECK(qv_array_builder_init(&a, NULL, qv_field_type(qv_schema_field(schema, 1)), &err));
  for (int i = 0; i < 12; i++) {
    const char *region = regions[(i + part) % 3];
    CHECK(qv_array_builder_append_binary(&r, region, (int64_t)strlen(region), &err));
    CHECK(qv_array_builder_append_int(&a, 500 + 250 * i + 100 * part, &err));
  }
  qv_array *cols[2];
  CHECK(qv_array_builder_finish(&r, &cols[0], &err));
  CHECK(qv_array_builder_finish(&a, &cols[1], &err));
  qv_record_batch *b;
  CHECK(qv_record_batch_create(schema, 12, cols, 2, &b, &err));
  qv_array_unref(cols[0]);
  qv_array_unref(cols[1]);
  return b;
}

int main(void) {
  qv_error err = {0};

  /* A session with the UDF registered, as a worker's session builder would. */
  qv_data_type *money;
  CHECK(qv_type_decimal(QV_DECIMAL128, 10, 2, &money, &err));
  qv_scalar_udf udf = {.name = "discounted", .n_args = 1, .arg_types = &money,
                       .return_type = qv_type_primitive(QV_BOOL), .invoke = discounted};
  qv_session_state_builder *sb;
  CHECK(qv_session_state_builder_create(&sb, &err));
  CHECK(qv_session_state_builder_set_config(sb, "target_partitions", "2", &err));
  CHECK(qv_session_state_builder_add_scalar_udf(sb, &udf, &err));
  qv_session_state *session;
  CHECK(qv_session_state_builder_build(sb, &session, &err));
  qv_session_state_builder_destroy(sb);

  /* The table: two partitions of one batch each. */
  qv_field *fields[2];
  CHECK(qv_field_create("region", qv_type_primitive(QV_UTF8), false, NULL, &fields[0], &err));
  CHECK(qv_field_create("amount", money, false, NULL, &fields[1], &err));
  qv_schema *schema;
  CHECK(qv_schema_create(fields, 2, NULL, &schema, &err));
  qv_record_batch *p0 = sales(schema, 0), *p1 = sales(schema, 1);
  qv_record_batch *const part0[] = {p0}, *const part1[] = {p1};
  qv_record_batch *const *const parts[] = {part0, part1};
  const int64_t counts[] = {1, 1};
  qv_exec_plan *scan;
  CHECK(qv_plan_memory_scan(schema, parts, counts, 2, &scan, &err));

  /* WHERE discounted(amount) */
  qv_expr *region, *amount, *pred;
  CHECK(qv_expr_column_named(schema, "region", &region, &err));
  CHECK(qv_expr_column_named(schema, "amount", &amount, &err));
  CHECK(qv_expr_function(session, "discounted", &amount, 1, &pred, &err));
  qv_exec_plan *filter;
  CHECK(qv_plan_filter(scan, pred, &filter, &err));

  /* GROUP BY region: partial per partition, coalesce, final. */
  qv_aggregate_expr *aggs[3];
  CHECK(qv_aggregate_create(session, "count", NULL, 0, false, "orders", &aggs[0], &err));
  CHECK(qv_aggregate_create(session, "sum", &amount, 1, false, "total", &aggs[1], &err));
  CHECK(qv_aggregate_create(session, "avg", &amount, 1, false, "average", &aggs[2], &err));
  const char *group_names[] = {"region"};
  qv_exec_plan *partial, *merged, *final;
  CHECK(qv_plan_hash_aggregate(QV_AGG_PARTIAL, filter, &region, group_names, 1, aggs, 3, &partial, &err));
  CHECK(qv_plan_coalesce_partitions(partial, &merged, &err));
  CHECK(qv_plan_hash_aggregate(QV_AGG_FINAL, merged, &region, group_names, 1, aggs, 3, &final, &err));

  /* ORDER BY region */
  qv_expr *out_region;
  CHECK(qv_expr_column(qv_exec_plan_schema(final), 0, &out_region, &err));
  qv_sort_key key = {out_region, false, false};
  qv_exec_plan *sorted;
  CHECK(qv_plan_sort(final, &key, 1, -1, false, &sorted, &err));

  char *text;
  CHECK(qv_exec_plan_explain(sorted, &text, &err));
  printf("%s\n", text);
  free(text);

  qv_task_context *ctx;
  CHECK(qv_task_context_create(session, 0, 1, &ctx, &err));
  qv_record_batch **out;
  int64_t n;
  CHECK(qv_exec_plan_collect(sorted, ctx, &out, &n, &err));
  for (int64_t i = 0; i < n; i++) {
    CHECK(qv_record_batch_print(out[i], -1, stdout, &err));
    qv_record_batch_unref(out[i]);
  }
  free(out);

  qv_task_context_unref(ctx);
  qv_exec_plan_unref(sorted);
  qv_expr_unref(out_region);
  qv_exec_plan_unref(final);
  qv_exec_plan_unref(merged);
  qv_exec_plan_unref(partial);
  for (int i = 0; i < 3; i++) qv_aggregate_unref(aggs[i]);
  qv_exec_plan_unref(filter);
  qv_expr_unref(pred);
  qv_expr_unref(amount);
  qv_expr_unref(region);
  qv_exec_plan_unref(scan);
  qv_record_batch_unref(p0);
  qv_record_batch_unref(p1);
  qv_schema_unref(schema);
  qv_field_unref(fields[0]);
  qv_field_unref(fields[1]);
  qv_type_unref(money);
  qv_session_state_unref(session);
  return 0;
}
