/* Hostile plans: messages that are well-formed protobuf but not valid plans
 * (each rejected with a message saying where), absurd nesting, truncation at
 * every length, and random byte flips, after which decoding must fail
 * cleanly or give a plan that type-checks, explains, re-encodes and runs.
 * Valid protobuf with bad content is made by encoding a good plan,
 * unpacking it with protobuf-c, changing one field and packing it again. */
#include <stdlib.h>
#include <string.h>

#include "codec_test_util.h"
#include "plan/codec_expr.h"
#include "quiver.pb-c.h"

/* ---- mutation helpers ------------------------------------------------------------- */

static Quiver__PhysicalPlan *unpacked(qv_exec_plan *p) {
  if (!p) return NULL;
  int64_t len = 0;
  uint8_t *bytes = ct_encode(p, NULL, &len);
  Quiver__PhysicalPlan *m = bytes ? quiver__physical_plan__unpack(NULL, (size_t)len, bytes) : NULL;
  free(bytes);
  qv_exec_plan_unref(p);
  return m;
}

/* Packs m, decodes it, expects QV_INVALID with `want` in the message. */
static bool rejects(const Quiver__PhysicalPlan *m, const char *want) {
  size_t size = quiver__physical_plan__get_packed_size(m);
  uint8_t *bytes = malloc(size ? size : 1);
  quiver__physical_plan__pack(m, bytes);
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *back = NULL;
  qv_status st = qv_plan_decode(bytes, (int64_t)size, NULL, &back, &err);
  free(bytes);
  bool ok = st == QV_INVALID && !back && strstr(err.message, want);
  if (!ok)
    qv_test_fail(__FILE__, __LINE__, "expected INVALID with '%s', got %s: %s", want, qv_status_name(st), err.message);
  qv_exec_plan_unref(back);
  return ok;
}

/* An EmptyExec with int64 columns a, b, c. */
static qv_exec_plan *empty3(void) {
  qv_field *f[3] = {NULL, NULL, NULL};
  const char *names[] = {"a", "b", "c"};
  for (int i = 0; i < 3; i++)
    if (qv_field_create(names[i], qv_type_primitive(QV_INT64), true, NULL, &f[i], NULL) != QV_OK) return NULL;
  qv_schema *s = NULL;
  qv_exec_plan *p = NULL;
  if (qv_schema_create(f, 3, NULL, &s, NULL) != QV_OK || qv_plan_empty(s, false, &p, NULL) != QV_OK) p = NULL;
  for (int i = 0; i < 3; i++) qv_field_unref(f[i]);
  qv_schema_unref(s);
  return p;
}

/* Projection [a, b + c, -c, CAST(a AS utf8), a IS NULL] over empty3. */
static qv_exec_plan *projection3(void) {
  qv_exec_plan *in = empty3(), *p = NULL;
  if (!in) return NULL;
  qv_expr *neg = NULL, *cast = NULL, *isnull = NULL, *c = ct_col(in, 2), *a = ct_col(in, 0);
  qv_expr *e[5] = {ct_col(in, 0), ct_bin(QV_OP_ADD, ct_col(in, 1), ct_col(in, 2)), NULL, NULL, NULL};
  if (qv_expr_negate(c, &neg, NULL) == QV_OK && qv_expr_cast(a, qv_type_primitive(QV_UTF8), &cast, NULL) == QV_OK &&
      qv_expr_is_null(a, false, &isnull, NULL) == QV_OK) {
    e[2] = neg;
    e[3] = cast;
    e[4] = isnull;
    const char *names[] = {"a", "bc", "neg", "txt", "isnull"};
    if (qv_plan_projection(in, e, names, 5, &p, NULL) != QV_OK) p = NULL;
  }
  for (int i = 0; i < 5; i++) qv_expr_unref(e[i]);
  qv_expr_unref(c);
  qv_expr_unref(a);
  qv_exec_plan_unref(in);
  return p;
}

QV_TEST(codec_hostile_bad_projection) {
  Quiver__PhysicalPlan *m = unpacked(projection3());
  CHECK(m && m->plan_case == QUIVER__PHYSICAL_PLAN__PLAN_PROJECTION);
  Quiver__ProjectionNode *pr = m->projection;
  CHECK(pr->n_exprs == 5);
  pr->exprs[0]->column->index = 7;
  CHECK(rejects(m, "plan: ProjectionExec expr 0: column index 7 out of range for 3 input columns"));
  pr->exprs[0]->column->index = 0;
  pr->exprs[1]->binary->op = 99;
  CHECK(rejects(m, "plan: ProjectionExec expr 1: unknown binary operator 99"));
  pr->exprs[1]->binary->op = QV_OP_AND;
  CHECK(rejects(m, "plan: ProjectionExec expr 1: operator 'AND' cannot be applied to int64 and int64"));
  pr->exprs[1]->binary->op = QV_OP_ADD;
  pr->exprs[2]->unary->op = (Quiver__UnaryExpr__Op)5;
  CHECK(rejects(m, "plan: ProjectionExec expr 2: unknown unary operator 5"));
  pr->exprs[2]->unary->op = QUIVER__UNARY_EXPR__OP__NOT;
  CHECK(rejects(m, "plan: ProjectionExec expr 2: operator 'NOT' cannot be applied to int64"));
  pr->exprs[2]->unary->op = QUIVER__UNARY_EXPR__OP__NEGATE;
  pr->exprs[3]->cast->to->id = 200;
  CHECK(rejects(m, "plan: ProjectionExec expr 3: unknown type id 200"));
  pr->exprs[3]->cast->to->id = QV_DECIMAL128;
  pr->exprs[3]->cast->to->precision = 99;
  CHECK(rejects(m, "plan: ProjectionExec expr 3: type: decimal precision 99 outside [1, 38]"));
  pr->exprs[3]->cast->to->id = QV_UTF8;
  Quiver__PhysicalExpr *operand = pr->exprs[4]->is_null->operand;
  pr->exprs[4]->is_null->operand = NULL;
  CHECK(rejects(m, "plan: ProjectionExec expr 4: IS NULL: missing operand"));
  pr->exprs[4]->is_null->operand = operand;
  pr->n_names = 4;
  CHECK(rejects(m, "plan: ProjectionExec: 5 expressions but 4 names"));
  pr->n_names = 5;
  Quiver__PhysicalPlan *input = pr->input;
  pr->input = NULL;
  CHECK(rejects(m, "plan: ProjectionExec: missing input"));
  pr->input = input;
  input->empty->schema->fields[1]->type->id = QV_UTF8;
  CHECK(rejects(m, "plan: ProjectionExec expr 1: operator '+' cannot be applied to utf8 and int64"));
  input->empty->schema->fields[1]->type->id = QV_INT64;
  input->plan_case = QUIVER__PHYSICAL_PLAN__PLAN__NOT_SET;
  CHECK(rejects(m, "plan: operator of unknown kind 0"));
  input->plan_case = QUIVER__PHYSICAL_PLAN__PLAN_EMPTY;
  quiver__physical_plan__free_unpacked(m, NULL);
}

QV_TEST(codec_hostile_bad_operators) {
  qv_error err;
  qv_error_init(&err);
  /* FilterExec whose predicate becomes an integer. */
  qv_exec_plan *in = empty3(), *p = NULL;
  CHECK(in);
  qv_expr *pred = ct_bin(QV_OP_GT, ct_col(in, 1), ct_col(in, 2));
  CHECK_OK(qv_plan_filter(in, pred, &p, &err), &err);
  qv_expr_unref(pred);
  Quiver__PhysicalPlan *m = unpacked(p);
  CHECK(m);
  m->filter->predicate->binary->op = QV_OP_SUB;
  CHECK(rejects(m, "plan: FilterExec: predicate is int64, not bool"));
  quiver__physical_plan__free_unpacked(m, NULL);

  /* RepartitionExec: partition counts. */
  CHECK_OK(qv_plan_repartition_round_robin(in, 2, &p, &err), &err);
  m = unpacked(p);
  CHECK(m);
  m->repartition->partitions = 0;
  CHECK(rejects(m, "plan: RepartitionExec: 0 partitions"));
  m->repartition->partitions = 100000;
  CHECK(rejects(m, "plan: RepartitionExec: 100000 partitions (expected 1 to 65536)"));
  quiver__physical_plan__free_unpacked(m, NULL);

  /* HashJoinExec: enums and key counts. */
  qv_expr *k = ct_col(in, 0);
  CHECK_OK(qv_plan_hash_join(in, in, &k, &k, 1, NULL, QV_JOIN_INNER, QV_JOIN_COLLECT_LEFT, false, &p, &err), &err);
  qv_expr_unref(k);
  m = unpacked(p);
  CHECK(m);
  m->hash_join->join_type = 9;
  CHECK(rejects(m, "plan: HashJoinExec: unknown join type 9"));
  m->hash_join->join_type = QV_JOIN_INNER;
  m->hash_join->partition_mode = 2;
  CHECK(rejects(m, "plan: HashJoinExec: unknown partition mode 2"));
  m->hash_join->partition_mode = 0;
  m->hash_join->n_right_keys = 0;
  CHECK(rejects(m, "plan: HashJoinExec: 1 left keys but 0 right keys"));
  m->hash_join->n_right_keys = 1;
  m->hash_join->right_keys[0]->column->index = 3;
  CHECK(rejects(m, "plan: HashJoinExec right key 0: column index 3 out of range for 3 input columns"));
  m->hash_join->right_keys[0]->column->index = 0;
  m->hash_join->n_left_keys = m->hash_join->n_right_keys = 0;
  CHECK(rejects(m, "HashJoinExec: an equi-join needs at least one key pair"));
  m->hash_join->n_left_keys = m->hash_join->n_right_keys = 1;
  quiver__physical_plan__free_unpacked(m, NULL);

  /* UnionExec of inputs whose columns no longer match. */
  qv_exec_plan *two[] = {in, in};
  CHECK_OK(qv_plan_union(two, 2, &p, &err), &err);
  m = unpacked(p);
  CHECK(m);
  m->union_->inputs[1]->empty->schema->fields[0]->type->id = QV_UTF8;
  CHECK(rejects(m, "plan: UnionExec: input 1's columns do not match input 0's"));
  quiver__physical_plan__free_unpacked(m, NULL);

  /* SortExec without keys; LimitExec with a negative offset. */
  qv_sort_key key = {ct_col(in, 0), false, false};
  CHECK_OK(qv_plan_sort(in, &key, 1, 4, false, &p, &err), &err);
  qv_expr_unref(key.expr);
  m = unpacked(p);
  CHECK(m);
  m->sort->n_keys = 0;
  CHECK(rejects(m, "SortExec"));
  m->sort->n_keys = 1;
  m->sort->fetch = -5;
  CHECK(rejects(m, "SortExec: fetch -5 is negative"));
  quiver__physical_plan__free_unpacked(m, NULL);
  CHECK_OK(qv_plan_limit(in, 1, 2, true, &p, &err), &err);
  m = unpacked(p);
  CHECK(m);
  m->limit->offset = -1;
  CHECK(rejects(m, "LimitExec: negative offset or fetch"));
  quiver__physical_plan__free_unpacked(m, NULL);
  qv_exec_plan_unref(in);
}

QV_TEST(codec_hostile_bad_aggregate_and_data) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(2, 1, 4), *partial = NULL, *merged = NULL, *final = NULL;
  CHECK(scan);
  qv_expr *g = ct_col(scan, CT_S), *x = ct_col(scan, CT_ID);
  qv_aggregate_expr *sum = NULL;
  CHECK_OK(qv_aggregate_create(NULL, "sum", &x, 1, false, NULL, &sum, &err), &err);
  const char *gn[] = {"s"};
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_PARTIAL, scan, &g, gn, 1, &sum, 1, &partial, &err), &err);
  CHECK_OK(qv_plan_coalesce_partitions(partial, &merged, &err), &err);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_FINAL, merged, &g, gn, 1, &sum, 1, &final, &err), &err);
  Quiver__PhysicalPlan *m = unpacked(qv_exec_plan_ref(final));
  CHECK(m);
  Quiver__HashAggregateNode *a = m->hash_aggregate;
  a->mode = 4;
  CHECK(rejects(m, "plan: HashAggregateExec: unknown mode 4"));
  a->mode = QV_AGG_FINAL;
  Quiver__Schema *partial_schema = a->partial_input_schema;
  a->partial_input_schema = NULL;
  CHECK(rejects(m, "plan: HashAggregateExec partial input schema: missing schema"));
  a->partial_input_schema = partial_schema;
  /* The partial input says id is a string: the sum no longer fits. */
  partial_schema->fields[CT_ID]->type->id = QV_UTF8;
  CHECK(rejects(m, "plan: HashAggregateExec aggregate 0:"));
  partial_schema->fields[CT_ID]->type->id = QV_INT64;
  a->n_group_names = 0;
  CHECK(rejects(m, "plan: HashAggregateExec: 1 groups but 0 group names"));
  a->n_group_names = 1;
  char *fn = a->aggregates[0]->function;
  a->aggregates[0]->function = (char *)"nosuch";
  CHECK(rejects(m, "plan: HashAggregateExec aggregate 0: unknown aggregate function 'nosuch'"));
  a->aggregates[0]->function = fn;
  /* The memory scan's batches no longer match its schema. */
  Quiver__MemoryScanNode *ms = m->hash_aggregate->input->coalesce_partitions->input->hash_aggregate->input->memory_scan;
  ms->schema->fields[CT_F64]->nullable = false;
  CHECK(rejects(m, "MemoryScanExec: partition 0 batch 0 does not have the scan's schema"));
  ms->schema->fields[CT_F64]->nullable = true;
  size_t len = ms->partitions[1].len;
  ms->partitions[1].len = len / 2;
  CHECK(rejects(m, "plan: MemoryScanExec partition 1: IPC stream"));
  ms->partitions[1].len = len;
  quiver__physical_plan__free_unpacked(m, NULL);

  /* A literal that is not one value. */
  qv_exec_plan *in = empty3(), *p = NULL;
  qv_expr *lit = ct_str("x");
  const char *name = "x";
  CHECK_OK(qv_plan_projection(in, &lit, &name, 1, &p, &err), &err);
  qv_expr_unref(lit);
  m = unpacked(p);
  CHECK(m);
  ProtobufCBinaryData ipc = m->projection->exprs[0]->literal->ipc;
  m->projection->exprs[0]->literal->ipc.len = 9;
  CHECK(rejects(m, "plan: ProjectionExec expr 0: IPC stream"));
  m->projection->exprs[0]->literal->ipc = ipc;
  quiver__physical_plan__free_unpacked(m, NULL);

  qv_exec_plan_unref(in);
  qv_exec_plan_unref(final);
  qv_exec_plan_unref(merged);
  qv_exec_plan_unref(partial);
  qv_aggregate_unref(sum);
  qv_expr_unref(g);
  qv_expr_unref(x);
  qv_exec_plan_unref(scan);
}

/* ---- nesting ------------------------------------------------------------------------ */

/* One level of nesting: optional prefix bytes (other fields of the message)
 * then a length-delimited field (key byte) holding the next level. */
typedef struct wrap {
  uint8_t prefix[4];
  int prefix_len;
  uint8_t key;
} wrap;

static int varint_len(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

/* levels repetitions of the wraps around inner, built without copying:
 * sizes from the inside out, then bytes from the outside in. */
static uint8_t *nest(const wrap *w, int n_w, int64_t levels, const uint8_t *inner, int64_t inner_len, int64_t *len) {
  int64_t n = levels * n_w;
  int64_t *size = malloc((size_t)(n + 1) * sizeof *size);
  size[n] = inner_len;
  for (int64_t j = n - 1; j >= 0; j--) {
    const wrap *x = &w[j % n_w];
    size[j] = x->prefix_len + 1 + varint_len((uint64_t)size[j + 1]) + size[j + 1];
  }
  uint8_t *buf = malloc((size_t)size[0]), *p = buf;
  for (int64_t j = 0; j < n; j++) {
    const wrap *x = &w[j % n_w];
    memcpy(p, x->prefix, (size_t)x->prefix_len);
    p += x->prefix_len;
    *p++ = x->key;
    p = put_varint(p, (uint64_t)size[j + 1]);
  }
  memcpy(p, inner, (size_t)inner_len);
  *len = size[0];
  free(size);
  return buf;
}

static bool decode_rejects(const uint8_t *bytes, int64_t len, const char *want) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *p = NULL;
  qv_status st = qv_plan_decode(bytes, len, NULL, &p, &err);
  qv_exec_plan_unref(p);
  if (st == QV_INVALID && strstr(err.message, want)) return true;
  qv_test_fail(__FILE__, __LINE__, "expected INVALID with '%s', got %s: %s", want, qv_status_name(st), err.message);
  return false;
}

/* PhysicalPlan{empty: EmptyNode{schema: Schema{}}}, and the wraps of one
 * CoalescePartitions level. */
static const uint8_t empty_plan[] = {0x1a, 0x02, 0x0a, 0x00};
static const wrap coalesce_level[] = {{{0}, 0, 0x42}, {{0}, 0, 0x0a}};

QV_TEST(codec_hostile_nesting) {
  int64_t len = 0;
  /* 100000 operators: refused by the wire scan before protobuf-c recurses. */
  uint8_t *deep = nest(coalesce_level, 2, 100000, empty_plan, sizeof empty_plan, &len);
  CHECK(decode_rejects(deep, len, "plan: messages nested deeper than 512 levels"));
  free(deep);
  /* 129 operators: within the wire limit, over the operator limit. */
  deep = nest(coalesce_level, 2, 128, empty_plan, sizeof empty_plan, &len);
  CHECK(decode_rejects(deep, len, "plan: operators nested deeper than 128 levels"));
  free(deep);
  /* 128 operators are fine. */
  deep = nest(coalesce_level, 2, 127, empty_plan, sizeof empty_plan, &len);
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *p = NULL;
  CHECK_OK(qv_plan_decode(deep, len, NULL, &p, &err), &err);
  free(deep);
  /* ... and so is encoding them; one more is refused. */
  qv_exec_plan *more = NULL;
  CHECK_OK(qv_plan_coalesce_partitions(p, &more, &err), &err);
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  CHECK_OK(qv_plan_encode(p, NULL, &bytes, &err), &err);
  CHECK_STATUS(qv_plan_encode(more, NULL, &bytes, &err), QV_INVALID);
  CHECK(strstr(err.message, "plan: operators nested deeper than 128 levels"));
  qv_bytes_reset(&bytes);
  qv_exec_plan_unref(more);
  qv_exec_plan_unref(p);

  /* Expressions: NOT(NOT(...(column 0))), absurdly and moderately deep. */
  qv_schema *schema = ct_schema();
  static const uint8_t column0[] = {0x0a, 0x00};
  static const wrap not_level[] = {{{0}, 0, 0x22}, {{0}, 0, 0x12}};
  qv_expr *x = NULL;
  deep = nest(not_level, 2, 100000, column0, sizeof column0, &len);
  CHECK_STATUS(qv__expr_decode(deep, len, schema, NULL, &x, &err), QV_INVALID);
  CHECK(strstr(err.message, "expression: messages nested deeper than 512 levels"));
  free(deep);
  deep = nest(not_level, 2, 200, column0, sizeof column0, &len);
  CHECK_STATUS(qv__expr_decode(deep, len, schema, NULL, &x, &err), QV_INVALID);
  CHECK(strstr(err.message, "expression: expression nested deeper than 128 levels"));
  free(deep);

  /* Types: CAST(column 0 AS list<list<...int64>>), 200 lists deep. */
  static const uint8_t int64_type[] = {0x08, QV_INT64};
  static const wrap list_level[] = {{{0x08, QV_LIST}, 2, 0x52}, {{0}, 0, 0x12}};
  int64_t tlen = 0;
  uint8_t *type = nest(list_level, 2, 200, int64_type, sizeof int64_type, &tlen);
  uint8_t *cast = malloc((size_t)tlen + 32), *at = cast;
  static const uint8_t operand[] = {0x0a, 0x02, 0x0a, 0x00};
  memcpy(at, operand, sizeof operand);
  at += sizeof operand;
  *at++ = 0x12;
  at = put_varint(at, (uint64_t)tlen);
  memcpy(at, type, (size_t)tlen);
  at += tlen;
  int64_t clen = at - cast;
  uint8_t *expr = malloc((size_t)clen + 16);
  at = expr;
  *at++ = 0x52;
  at = put_varint(at, (uint64_t)clen);
  memcpy(at, cast, (size_t)clen);
  at += clen;
  CHECK_STATUS(qv__expr_decode(expr, at - expr, schema, NULL, &x, &err), QV_INVALID);
  CHECK_STR_EQ(err.message, "expression: data type nested deeper than 128 levels");
  free(type);
  free(cast);
  free(expr);
  qv_schema_unref(schema);
}

/* ---- truncation and flips ------------------------------------------------------------ */

/* A small plan touching many message kinds. */
static qv_exec_plan *busy_plan(void) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(2, 1, 6), *f = NULL, *agg = NULL, *sorted = NULL;
  if (!scan) return NULL;
  qv_expr *pred = ct_bin(QV_OP_OR, ct_bin(QV_OP_LT, ct_col(scan, CT_DEC), ct_i64(2)),
                         ct_bin(QV_OP_EQ, ct_col(scan, CT_CAT), ct_str("red")));
  qv_expr *g = ct_col(scan, CT_S), *x = ct_col(scan, CT_F64);
  qv_aggregate_expr *aggs[2] = {NULL, NULL};
  const char *gn[] = {"s"};
  qv_sort_key key = {NULL, true, false};
  if (pred && qv_plan_filter(scan, pred, &f, &err) == QV_OK &&
      qv_aggregate_create(NULL, "avg", &x, 1, false, NULL, &aggs[0], &err) == QV_OK &&
      qv_aggregate_create(NULL, "count", NULL, 0, false, NULL, &aggs[1], &err) == QV_OK &&
      qv_plan_hash_aggregate(QV_AGG_SINGLE, f, &g, gn, 1, aggs, 2, &agg, &err) == QV_OK &&
      qv_expr_column(qv_exec_plan_schema(agg), 1, &key.expr, &err) == QV_OK)
    if (qv_plan_sort(agg, &key, 1, 3, true, &sorted, &err) != QV_OK) sorted = NULL;
  if (!sorted) qv_test_fail(__FILE__, __LINE__, "busy plan: %s", err.message);
  qv_expr_unref(key.expr);
  qv_aggregate_unref(aggs[0]);
  qv_aggregate_unref(aggs[1]);
  qv_expr_unref(g);
  qv_expr_unref(x);
  qv_expr_unref(pred);
  qv_exec_plan_unref(agg);
  qv_exec_plan_unref(f);
  qv_exec_plan_unref(scan);
  return sorted;
}

static int max_partitions(const qv_exec_plan *p, int depth) {
  int m = qv_exec_plan_num_partitions(p);
  for (int32_t i = 0; depth < 200 && i < qv_exec_plan_num_children(p); i++) {
    int c = max_partitions(qv_exec_plan_child(p, i), depth + 1);
    if (c > m) m = c;
  }
  return m;
}

/* Whatever decoding gives must be usable: explained, re-encoded and
 * decoded again identically, and run (errors allowed, crashes not). */
static bool check_decoded(qv_exec_plan *p, qv_session_state *limited) {
  qv_error err;
  qv_error_init(&err);
  char *x1 = NULL, *x2 = NULL;
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  qv_exec_plan *again = NULL;
  bool ok = qv_exec_plan_explain(p, &x1, &err) == QV_OK && qv_plan_encode(p, NULL, &bytes, &err) == QV_OK &&
            qv_plan_decode(bytes.data, bytes.size, NULL, &again, &err) == QV_OK &&
            qv_exec_plan_explain(again, &x2, &err) == QV_OK && strcmp(x1, x2) == 0;
  if (!ok) qv_test_fail(__FILE__, __LINE__, "a decoded plan does not survive another round: %s", err.message);
  free(x1);
  free(x2);
  qv_exec_plan_unref(again);
  qv_bytes_reset(&bytes);
  if (ok && max_partitions(p, 0) <= 8) {
    qv_task_context *ctx = NULL;
    qv_record_batch **out = NULL;
    int64_t n = 0;
    if (qv_task_context_create(limited, 0, 1, &ctx, NULL) == QV_OK &&
        qv_exec_plan_collect(p, ctx, &out, &n, NULL) == QV_OK) {
      for (int64_t i = 0; i < n; i++) qv_record_batch_unref(out[i]);
      free(out);
    }
    qv_task_context_unref(ctx);
  }
  return ok;
}

static qv_session_state *limited_session(void) {
  qv_session_state_builder *b = NULL;
  qv_session_state *s = NULL;
  if (qv_session_state_builder_create(&b, NULL) != QV_OK) return NULL;
  if (qv_session_state_builder_set_config(b, "memory_limit", "64m", NULL) != QV_OK ||
      qv_session_state_builder_build(b, &s, NULL) != QV_OK)
    s = NULL;
  qv_session_state_builder_destroy(b);
  return s;
}

QV_TEST(codec_hostile_truncation) {
  qv_session_state *limited = limited_session();
  qv_exec_plan *p = busy_plan();
  CHECK(limited && p);
  int64_t len = 0;
  uint8_t *bytes = ct_encode(p, NULL, &len);
  CHECK(bytes);
  int64_t decoded = 0;
  for (int64_t n = 0; n < len; n++) {
    uint8_t *copy = malloc((size_t)(n ? n : 1));
    memcpy(copy, bytes, (size_t)n);
    qv_error err;
    qv_error_init(&err);
    qv_exec_plan *back = NULL;
    qv_status st = qv_plan_decode(copy, n, NULL, &back, &err);
    free(copy);
    CHECK(st == QV_OK || st == QV_INVALID);
    CHECK((st == QV_OK) == (back != NULL));
    if (st != QV_OK) CHECK(strncmp(err.message, "plan: ", 6) == 0);
    if (back) {
      decoded++;
      CHECK(check_decoded(back, limited));
      qv_exec_plan_unref(back);
    }
  }
  /* A cut inside the top message cannot be a plan. */
  CHECK(decoded < len / 100 + 2);
  free(bytes);
  qv_exec_plan_unref(p);
  qv_session_state_unref(limited);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

QV_TEST(codec_hostile_byte_flips) {
  qv_session_state *limited = limited_session();
  qv_exec_plan *plans[3] = {busy_plan(), projection3(), ct_scan(1, 1, 3)};
  CHECK(limited && plans[0] && plans[1] && plans[2]);
  int64_t ok_count = 0, tries = 0;
  for (int k = 0; k < 3; k++) {
    int64_t len = 0;
    uint8_t *bytes = ct_encode(plans[k], NULL, &len);
    CHECK(bytes);
    uint8_t *copy = malloc((size_t)len);
    for (int iter = 0; iter < 1500; iter++, tries++) {
      memcpy(copy, bytes, (size_t)len);
      int flips = 1 + (int)(rng() % 3);
      for (int f = 0; f < flips; f++) {
        uint64_t r = rng();
        copy[r % (uint64_t)len] ^= (uint8_t)(1u << ((r >> 32) % 8));
        if (r & (1ull << 40)) copy[(r >> 20) % (uint64_t)len] = (uint8_t)(r >> 48);
      }
      qv_error err;
      qv_error_init(&err);
      qv_exec_plan *back = NULL;
      qv_status st = qv_plan_decode(copy, len, NULL, &back, &err);
      CHECK(st == QV_OK || st == QV_INVALID || st == QV_RESOURCE_EXHAUSTED);
      if (back) {
        ok_count++;
        CHECK(check_decoded(back, limited));
        qv_exec_plan_unref(back);
      }
    }
    free(copy);
    free(bytes);
  }
  /* Flips in literal values and names decode fine; most others do not. */
  CHECK(ok_count > 0 && ok_count < tries);
  for (int k = 0; k < 3; k++) qv_exec_plan_unref(plans[k]);
  qv_session_state_unref(limited);
}
