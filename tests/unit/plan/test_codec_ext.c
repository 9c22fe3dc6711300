/* What travels by name: scalar and aggregate UDFs resolved in the decoding
 * session, and user operators carried by extension codecs. Each survives a
 * round trip between two sessions that register it, and decoding where it
 * is missing fails with an error naming it. */
#include <stdlib.h>
#include <string.h>

#include "codec_test_util.h"
#include "expr/session_internal.h"

/* ---- a scalar UDF: my_udf(int64) = 2x + 1 ------------------------------------- */

static qv_status my_udf_invoke(void *user, qv_array *const *args, int32_t n_args, int64_t n_rows, qv_array **out,
                               qv_error *err) {
  qv_array_builder b;
  QV_RETURN_NOT_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_INT64), err));
  const int64_t *x = (const int64_t *)(const void *)qv_buffer_data(qv_array_buffer(args[0], 1)) +
                     qv_array_offset(args[0]);
  qv_status st = QV_OK;
  for (int64_t i = 0; st == QV_OK && i < n_rows; i++)
    st = qv_array_is_valid(args[0], i) ? qv_array_builder_append_int(&b, 2 * x[i] + 1, err)
                                       : qv_array_builder_append_null(&b, err);
  if (st != QV_OK) {
    qv_array_builder_reset(&b);
    return st;
  }
  return qv_array_builder_finish(&b, out, err);
}

/* ---- an aggregate UDF: my_sumsq(int64), state [acc int64] ----------------------- */

typedef struct sq_acc {
  qv_group_accumulator vt;
  int64_t *v;
  int64_t n;
} sq_acc;

static qv_status sq_grow(sq_acc *s, int64_t n_groups, qv_error *err) {
  if (n_groups <= s->n) return QV_OK;
  int64_t *v = realloc(s->v, (size_t)n_groups * sizeof *v);
  if (!v) return qv_error_set(err, QV_NOMEM, "my_sumsq: out of memory");
  memset(v + s->n, 0, (size_t)(n_groups - s->n) * sizeof *v);
  s->v = v;
  s->n = n_groups;
  return QV_OK;
}

static qv_status sq_fold(qv_group_accumulator *acc, qv_array *const *a, const uint32_t *g, int64_t n, int64_t n_groups,
                         bool square, qv_error *err) {
  sq_acc *s = (sq_acc *)acc;
  QV_RETURN_NOT_OK(sq_grow(s, n_groups, err));
  const int64_t *x = (const int64_t *)(const void *)qv_buffer_data(qv_array_buffer(a[0], 1)) + qv_array_offset(a[0]);
  for (int64_t i = 0; i < n; i++)
    if (qv_array_is_valid(a[0], i)) s->v[g[i]] += square ? x[i] * x[i] : x[i];
  return QV_OK;
}

static qv_status sq_update(qv_group_accumulator *acc, qv_array *const *a, int32_t n_a, const uint32_t *g, int64_t n,
                           int64_t n_groups, qv_error *err) {
  return sq_fold(acc, a, g, n, n_groups, true, err);
}

static qv_status sq_merge(qv_group_accumulator *acc, qv_array *const *a, int32_t n_a, const uint32_t *g, int64_t n,
                          int64_t n_groups, qv_error *err) {
  return sq_fold(acc, a, g, n, n_groups, false, err);
}

static qv_status sq_values(qv_group_accumulator *acc, qv_array **out, qv_error *err) {
  sq_acc *s = (sq_acc *)acc;
  qv_buffer *b = NULL;
  QV_RETURN_NOT_OK(qv_buffer_copy(qv_default_allocator(), s->v, s->n * 8, &b, err));
  qv_buffer *bufs[2] = {NULL, b};
  qv_status st = qv_array_create(qv_type_primitive(QV_INT64), s->n, 0, 0, bufs, 2, NULL, 0, NULL, out, err);
  qv_buffer_unref(b);
  return st;
}

static int64_t sq_size(const qv_group_accumulator *acc) { return ((const sq_acc *)acc)->n * 8; }

static void sq_destroy(qv_group_accumulator *acc) {
  free(((sq_acc *)acc)->v);
  free(acc);
}

static qv_status sq_create(void *user, qv_group_accumulator **out, qv_error *err) {
  sq_acc *s = calloc(1, sizeof *s);
  if (!s) return qv_error_set(err, QV_NOMEM, "my_sumsq: out of memory");
  s->vt = (qv_group_accumulator){sq_update, sq_merge, sq_values, sq_values, sq_size, sq_destroy};
  *out = &s->vt;
  return QV_OK;
}

/* ---- user operators ------------------------------------------------------------------ */

/* MyScan: rows 0..n-1 of one int64 column "v", row i in partition i % parts. */
typedef struct my_scan {
  int64_t n;
  int32_t parts;
} my_scan;

typedef struct my_scan_stream {
  qv_batch_stream base;
  qv_array *values;
  bool done;
} my_scan_stream;

static qv_status my_scan_next(qv_batch_stream *s, qv_record_batch **out, qv_error *err) {
  my_scan_stream *ms = (my_scan_stream *)s;
  if (ms->done) return QV_OK;
  ms->done = true;
  return qv_record_batch_create(s->schema, qv_array_length(ms->values), &ms->values, 1, out, err);
}

static void my_scan_stream_destroy(qv_batch_stream *s) {
  my_scan_stream *ms = (my_scan_stream *)s;
  qv_array_unref(ms->values);
  qv_schema_unref(s->schema);
  free(ms);
}

static const qv_batch_stream_vtable my_scan_stream_vt = {my_scan_next, my_scan_stream_destroy};

static qv_status my_scan_execute(void *state, qv_exec_plan *self, int32_t partition, qv_task_context *ctx,
                                 qv_batch_stream **out, qv_error *err) {
  const my_scan *m = state;
  qv_array_builder b;
  QV_RETURN_NOT_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_INT64), err));
  for (int64_t i = partition; i < m->n; i += m->parts) {
    qv_status st = qv_array_builder_append_int(&b, i, err);
    if (st != QV_OK) {
      qv_array_builder_reset(&b);
      return st;
    }
  }
  my_scan_stream *ms = calloc(1, sizeof *ms);
  if (!ms) {
    qv_array_builder_reset(&b);
    return qv_error_set(err, QV_NOMEM, "MyScan: out of memory");
  }
  qv_status st = qv_array_builder_finish(&b, &ms->values, err);
  ms->base.vtable = &my_scan_stream_vt;
  ms->base.schema = qv_schema_ref(qv_exec_plan_schema(self));
  if (st != QV_OK) {
    my_scan_stream_destroy(&ms->base);
    return st;
  }
  *out = &ms->base;
  return QV_OK;
}

static qv_status my_scan_describe(void *state, qv_bytes *out, qv_error *err) {
  const my_scan *m = state;
  char line[64];
  int n = snprintf(line, sizeof line, "n=%lld, parts=%d", (long long)m->n, m->parts);
  return qv_bytes_append(out, line, n, err);
}

static const qv_exec_plan_vtable my_scan_vt = {"MyScan", my_scan_execute, my_scan_describe, free};

static qv_status my_scan_create(int64_t n, int32_t parts, qv_exec_plan **out, qv_error *err) {
  qv_field *f = NULL;
  qv_schema *s = NULL;
  QV_RETURN_NOT_OK(qv_field_create("v", qv_type_primitive(QV_INT64), false, NULL, &f, err));
  qv_status st = qv_schema_create(&f, 1, NULL, &s, err);
  qv_field_unref(f);
  if (st != QV_OK) return st;
  my_scan *m = malloc(sizeof *m);
  if (!m) {
    qv_schema_unref(s);
    return qv_error_set(err, QV_NOMEM, "MyScan: out of memory");
  }
  m->n = n;
  m->parts = parts;
  st = qv_exec_plan_create_custom(&my_scan_vt, m, s, parts, NULL, 0, out, err);
  qv_schema_unref(s);
  return st;
}

/* Tag: passes its input through; carries a label shown by EXPLAIN. */
static qv_status tag_execute(void *state, qv_exec_plan *self, int32_t partition, qv_task_context *ctx,
                             qv_batch_stream **out, qv_error *err) {
  return qv_exec_plan_execute(qv_exec_plan_child(self, 0), partition, ctx, out, err);
}

static qv_status tag_describe(void *state, qv_bytes *out, qv_error *err) {
  return qv_bytes_append(out, state, (int64_t)strlen(state), err);
}

static const qv_exec_plan_vtable tag_vt = {"Tag", tag_execute, tag_describe, free};

static qv_status tag_create(qv_exec_plan *input, const char *label, qv_exec_plan **out, qv_error *err) {
  char *copy = strdup(label);
  if (!copy) return qv_error_set(err, QV_NOMEM, "Tag: out of memory");
  return qv_exec_plan_create_custom(&tag_vt, copy, qv_exec_plan_schema(input), qv_exec_plan_num_partitions(input),
                                    &input, 1, out, err);
}

/* ---- their codecs -------------------------------------------------------------------- */

static int codec_destroyed;

static void codec_destroy(void *user) { codec_destroyed += *(int *)user; }

static qv_status my_scan_encode(void *user, const qv_exec_plan *node, qv_bytes *payload, qv_error *err) {
  const my_scan *m = qv_exec_plan_custom_state(node);
  int64_t words[2] = {m->n, m->parts};
  return qv_bytes_append(payload, words, sizeof words, err);
}

static qv_status my_scan_decode(void *user, const uint8_t *payload, int64_t len, qv_exec_plan *const *inputs,
                                int32_t n_inputs, qv_session_state *session, qv_exec_plan **out, qv_error *err) {
  int64_t words[2];
  if (len != (int64_t)sizeof words || n_inputs != 0)
    return qv_error_set(err, QV_INVALID, "bad payload of %lld bytes", (long long)len);
  memcpy(words, payload, sizeof words);
  if (words[0] < 0 || words[1] < 1 || words[1] > 64)
    return qv_error_set(err, QV_INVALID, "parameters out of range");
  return my_scan_create(words[0], (int32_t)words[1], out, err);
}

static qv_status tag_encode(void *user, const qv_exec_plan *node, qv_bytes *payload, qv_error *err) {
  const char *label = qv_exec_plan_custom_state(node);
  return qv_bytes_append(payload, label, (int64_t)strlen(label), err);
}

static qv_status tag_decode(void *user, const uint8_t *payload, int64_t len, qv_exec_plan *const *inputs,
                            int32_t n_inputs, qv_session_state *session, qv_exec_plan **out, qv_error *err) {
  if (n_inputs != 1 || len > 100) return qv_error_set(err, QV_INVALID, "Tag takes one input and a short label");
  char label[101];
  memcpy(label, payload, (size_t)len);
  label[len] = '\0';
  return tag_create(inputs[0], label, out, err);
}

static int weight_scan = 1, weight_tag = 100;

/* A session with the UDFs and, if with_codecs, the two codecs. */
static qv_session_state *session_with(bool with_udfs, bool with_codecs) {
  qv_session_state_builder *b = NULL;
  qv_session_state *s = NULL;
  if (qv_session_state_builder_create(&b, NULL) != QV_OK) return NULL;
  qv_data_type *i64 = qv_type_primitive(QV_INT64);
  qv_field *state = NULL;
  bool ok = qv_field_create("acc", i64, false, NULL, &state, NULL) == QV_OK;
  if (ok && with_udfs) {
    qv_scalar_udf udf = {.name = "my_udf", .n_args = 1, .arg_types = &i64, .return_type = i64, .invoke = my_udf_invoke};
    qv_aggregate_udf agg = {.name = "my_sumsq", .n_args = 1, .arg_types = &i64, .return_type = i64,
                            .n_state_fields = 1, .state_fields = &state, .create_accumulator = sq_create};
    ok = qv_session_state_builder_add_scalar_udf(b, &udf, NULL) == QV_OK &&
         qv_session_state_builder_add_aggregate_udf(b, &agg, NULL) == QV_OK;
  }
  if (ok && with_codecs) {
    qv_extension_codec scan = {"MyScan", my_scan_encode, my_scan_decode, &weight_scan, codec_destroy};
    qv_extension_codec tag = {"Tag", tag_encode, tag_decode, &weight_tag, codec_destroy};
    ok = qv_session_state_builder_add_extension_codec(b, &scan, NULL) == QV_OK &&
         qv_session_state_builder_add_extension_codec(b, &tag, NULL) == QV_OK;
  }
  if (!ok || qv_session_state_builder_build(b, &s, NULL) != QV_OK) s = NULL;
  qv_field_unref(state);
  qv_session_state_builder_destroy(b);
  return s;
}

/* Encodes p in enc and decodes it in dec, expecting a failure whose message
 * contains want. */
static bool decode_fails(qv_exec_plan *p, qv_session_state *enc, qv_session_state *dec, const char *want) {
  int64_t len = 0;
  uint8_t *bytes = ct_encode(p, enc, &len);
  if (!bytes) return false;
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *back = NULL;
  qv_status st = qv_plan_decode(bytes, len, dec, &back, &err);
  free(bytes);
  bool left_output = back != NULL;
  qv_exec_plan_unref(back);
  if (st != QV_INVALID || left_output || !strstr(err.message, want)) {
    qv_test_fail(__FILE__, __LINE__, "expected INVALID with '%s', got %s: %s", want, qv_status_name(st), err.message);
    return false;
  }
  return true;
}

QV_TEST(codec_ext_scalar_udf) {
  qv_session_state *a = session_with(true, false), *b = session_with(true, false), *plain = ct_session();
  CHECK(a && b && plain);
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(2, 2, 8), *p = NULL;
  CHECK(scan);
  qv_expr *arg = NULL, *call = NULL, *nested = NULL;
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), CT_I32, &arg, &err), &err); /* int32: coerced to int64 */
  CHECK_OK(qv_expr_function(a, "MY_UDF", &arg, 1, &call, &err), &err);
  CHECK_OK(qv_expr_function(a, "abs", &call, 1, &nested, &err), &err);
  qv_expr *exprs[] = {call, nested};
  const char *names[] = {"u", "abs_u"};
  CHECK_OK(qv_plan_projection(scan, exprs, names, 2, &p, &err), &err);
  CHECK(ct_round_trip_sessions(p, a, b, NULL));
  CHECK(decode_fails(p, a, plain,
                     "plan: ProjectionExec expr 0: unknown function 'my_udf' (neither a built-in nor a scalar UDF "
                     "registered in the session)"));
  CHECK(decode_fails(p, a, NULL, "unknown function 'my_udf'"));
  qv_exec_plan_unref(p);
  qv_expr_unref(arg);
  qv_expr_unref(call);
  qv_expr_unref(nested);
  qv_exec_plan_unref(scan);
  qv_session_state_unref(a);
  qv_session_state_unref(b);
  qv_session_state_unref(plain);
}

QV_TEST(codec_ext_aggregate_udf) {
  qv_session_state *a = session_with(true, false), *b = session_with(true, false), *plain = ct_session();
  CHECK(a && b && plain);
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(3, 1, 10), *partial = NULL, *merged = NULL, *final = NULL;
  CHECK(scan);
  qv_expr *g = NULL, *x = NULL;
  qv_aggregate_expr *sq = NULL;
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), CT_S, &g, &err), &err);
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(scan), CT_ID, &x, &err), &err);
  CHECK_OK(qv_aggregate_create(a, "my_sumsq", &x, 1, false, "sq", &sq, &err), &err);
  const char *gn[] = {"s"};
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_PARTIAL, scan, &g, gn, 1, &sq, 1, &partial, &err), &err);
  CHECK_OK(qv_plan_coalesce_partitions(partial, &merged, &err), &err);
  CHECK_OK(qv_plan_hash_aggregate(QV_AGG_FINAL, merged, &g, gn, 1, &sq, 1, &final, &err), &err);
  CHECK(ct_round_trip_sessions(final, a, b, NULL));
  CHECK(decode_fails(final, a, plain, "unknown aggregate function 'my_sumsq'"));
  qv_exec_plan_unref(final);
  qv_exec_plan_unref(merged);
  qv_exec_plan_unref(partial);
  qv_aggregate_unref(sq);
  qv_expr_unref(g);
  qv_expr_unref(x);
  qv_exec_plan_unref(scan);
  qv_session_state_unref(a);
  qv_session_state_unref(b);
  qv_session_state_unref(plain);
}

QV_TEST(codec_ext_operators) {
  codec_destroyed = 0;
  qv_session_state *a = session_with(false, true), *b = session_with(false, true), *plain = ct_session();
  CHECK(a && b && plain);
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = NULL, *tagged = NULL, *p = NULL, *u = NULL;
  CHECK_OK(my_scan_create(50, 3, &scan, &err), &err);
  CHECK_OK(tag_create(scan, "label=x", &tagged, &err), &err);
  /* A built-in operator above and between user operators. */
  qv_expr *v = NULL, *lim = NULL, *pred = NULL;
  CHECK_OK(qv_expr_column(qv_exec_plan_schema(tagged), 0, &v, &err), &err);
  CHECK_OK(qv_expr_literal_int64(20, &lim, &err), &err);
  CHECK_OK(qv_expr_binary(QV_OP_LT, v, lim, &pred, &err), &err);
  CHECK_OK(qv_plan_filter(tagged, pred, &p, &err), &err);
  qv_exec_plan *both[] = {p, scan};
  CHECK_OK(qv_plan_union(both, 2, &u, &err), &err);
  CHECK(ct_round_trip_sessions(u, a, b, NULL));

  /* Decoding without the codecs names the missing operator. */
  CHECK(decode_fails(u, a, plain,
                     "plan: unknown extension operator 'Tag' (no extension codec registered under that name)"));
  CHECK(decode_fails(scan, a, NULL, "unknown extension operator 'MyScan'"));
  /* Encoding without them fails too. */
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  CHECK_STATUS(qv_plan_encode(u, plain, &bytes, &err), QV_NOT_FOUND);
  CHECK(strstr(err.message, "plan: no extension codec registered for operator 'Tag'"));
  CHECK_EQ_INT(bytes.size, 0);
  qv_bytes_reset(&bytes);

  /* A codec that rejects its payload: the error says which operator. */
  qv_exec_plan *bad = NULL;
  CHECK_OK(my_scan_create(5, 100, &bad, &err), &err);
  CHECK(decode_fails(bad, a, b, "plan: extension operator 'MyScan': parameters out of range"));
  qv_exec_plan_unref(bad);

  qv_expr_unref(v);
  qv_expr_unref(lim);
  qv_expr_unref(pred);
  qv_exec_plan_unref(u);
  qv_exec_plan_unref(p);
  qv_exec_plan_unref(tagged);
  qv_exec_plan_unref(scan);
  qv_session_state_unref(a);
  qv_session_state_unref(b);
  qv_session_state_unref(plain);
  /* Each session's two codecs were destroyed once each. */
  CHECK_EQ_INT(codec_destroyed, 2 * (weight_scan + weight_tag));
}

QV_TEST(codec_ext_codec_registry) {
  codec_destroyed = 0;
  qv_error err;
  qv_error_init(&err);
  qv_session_state_builder *b = NULL;
  CHECK_OK(qv_session_state_builder_create(&b, &err), &err);
  qv_extension_codec c = {"MyScan", my_scan_encode, my_scan_decode, &weight_scan, codec_destroy};
  qv_extension_codec nameless = c, no_decode = c;
  nameless.name = NULL;
  no_decode.decode = NULL;
  CHECK_STATUS(qv_session_state_builder_add_extension_codec(b, &nameless, &err), QV_INVALID);
  CHECK_STATUS(qv_session_state_builder_add_extension_codec(b, &no_decode, &err), QV_INVALID);
  CHECK_EQ_INT(codec_destroyed, 0);
  CHECK_OK(qv_session_state_builder_add_extension_codec(b, &c, &err), &err);
  qv_session_state *s1 = NULL, *s2 = NULL;
  CHECK_OK(qv_session_state_builder_build(b, &s1, &err), &err);
  /* Replacing the registration drops the builder's hold on the first one,
   * which s1 still uses. */
  qv_extension_codec c2 = {"MyScan", my_scan_encode, my_scan_decode, &weight_tag, codec_destroy};
  CHECK_OK(qv_session_state_builder_add_extension_codec(b, &c2, &err), &err);
  CHECK_OK(qv_session_state_builder_build(b, &s2, &err), &err);
  CHECK_EQ_INT(codec_destroyed, 0);
  CHECK(qv__session_find_extension_codec(s1, "MyScan")->user_data == &weight_scan);
  CHECK(qv__session_find_extension_codec(s2, "MyScan")->user_data == &weight_tag);
  CHECK(qv__session_find_extension_codec(s2, "myscan") == NULL);
  qv_session_state_builder_destroy(b);
  qv_session_state_unref(s1);
  CHECK_EQ_INT(codec_destroyed, weight_scan);
  qv_session_state_unref(s2);
  CHECK_EQ_INT(codec_destroyed, weight_scan + weight_tag);
}
