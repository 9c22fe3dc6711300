/* Session state: configuration, the function registry and the runtime (thread
 * pool, memory pool) under which plans execute. The C form of DataFusion's
 * SessionState / SessionStateBuilder.
 *
 * A builder starts pre-populated with the defaults and the built-in functions,
 * accepts additions (configuration by key and string value, user scalar and
 * aggregate functions, extension codecs), and builds an immutable, reference
 * counted qv_session_state that any number of threads may share. */
#ifndef QUIVER_SESSION_H
#define QUIVER_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/status.h"
#include "quiver/type.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qv_session_state qv_session_state;
typedef struct qv_session_state_builder qv_session_state_builder;

/* ---- configuration ---------------------------------------------------------
 * Keys and their defaults (values travel as strings, e.g. as Flight headers
 * `x-quiver-config-<key>: <value>`):
 *   target_partitions   int    number of online cores   partitions per operator
 *   batch_size          int    8192                      rows per batch
 *   memory_limit        bytes  0 (none)                  query memory pool limit;
 *                                                        accepts suffixes k, m, g
 *   prefer_hash_join    bool   true
 *   collect_left_max_rows int  1000000                   build sides below this are
 *                                                        collected (broadcast) */

/* ---- user scalar functions -------------------------------------------------- */

/* A vectorised scalar function: called once per batch with whole arrays. */
typedef struct qv_scalar_udf {
  const char *name;  /* case-insensitive; copied */
  /* Signature: n_args argument types (copied, referenced) and a return type;
   * or return_type NULL and return_type_fn set, to resolve the return type
   * from the argument types (and accept any argument types it likes). */
  int32_t n_args;
  qv_data_type *const *arg_types;
  qv_data_type *return_type;
  qv_status (*return_type_fn)(void *user_data, qv_data_type *const *arg_types, int32_t n_args,
                              qv_data_type **out, qv_error *err);
  /* Computes n_rows results from n_args arrays of n_rows values each; *out
   * must be an array of the return type and length n_rows (caller owns it). */
  qv_status (*invoke)(void *user_data, qv_array *const *args, int32_t n_args, int64_t n_rows,
                      qv_array **out, qv_error *err);
  void *user_data;
  /* Called once when the last session using the function is gone; may be NULL. */
  void (*destroy)(void *user_data);
} qv_scalar_udf;

/* ---- user aggregate functions ----------------------------------------------- */

/* A grouped accumulator: holds the state of every group of one aggregate in
 * one operator partition. Groups are dense indices 0..n_groups-1. */
typedef struct qv_group_accumulator qv_group_accumulator;
struct qv_group_accumulator {
  /* Adds rows: row i of args belongs to group group_ids[i]; n_groups is the
   * number of groups seen so far (grow the state to it). */
  qv_status (*update)(qv_group_accumulator *acc, qv_array *const *args, int32_t n_args,
                      const uint32_t *group_ids, int64_t n_rows, int64_t n_groups, qv_error *err);
  /* Merges partial states produced by `state` (one array per state field). */
  qv_status (*merge)(qv_group_accumulator *acc, qv_array *const *states, int32_t n_states,
                     const uint32_t *group_ids, int64_t n_rows, int64_t n_groups, qv_error *err);
  /* The partial state of every group, as n_state arrays of n_groups rows. */
  qv_status (*state)(qv_group_accumulator *acc, qv_array **out_states, qv_error *err);
  /* The final value of every group: one array of n_groups rows. */
  qv_status (*finish)(qv_group_accumulator *acc, qv_array **out, qv_error *err);
  /* Bytes held, for the memory pool. */
  int64_t (*size)(const qv_group_accumulator *acc);
  void (*destroy)(qv_group_accumulator *acc);
};

typedef struct qv_aggregate_udf {
  const char *name;
  int32_t n_args;
  qv_data_type *const *arg_types;
  qv_data_type *return_type;
  /* The partial state's columns: one field per state array (names and types). */
  int32_t n_state_fields;
  qv_field *const *state_fields;
  qv_status (*create_accumulator)(void *user_data, qv_group_accumulator **out, qv_error *err);
  void *user_data;
  void (*destroy)(void *user_data);
} qv_aggregate_udf;

/* ---- extension codecs --------------------------------------------------------
 * How user operators (built with qv_exec_plan_create_custom, include/quiver/
 * exec.h) travel in a serialized plan (include/quiver/codec.h). The plan
 * encoder hands a custom node to the codec registered under the node's name
 * (qv_exec_plan_name, i.e. its vtable's name), which writes the operator's
 * own parameters as opaque payload bytes; the wire carries {name, payload,
 * inputs}. The decoder first decodes the inputs, then asks the codec
 * registered under that name in the receiving session to rebuild the node.
 * Coordinator and workers must register the same codecs. encode and decode
 * may run on several threads at once (one plan each). */

typedef struct qv_exec_plan qv_exec_plan;

typedef struct qv_extension_codec {
  /* The operator name this codec handles (case-sensitive); copied. */
  const char *name;
  /* Appends node's parameters to payload (not its inputs: they are encoded
   * as ordinary plans). node is a custom node named `name`; read its state
   * with qv_exec_plan_custom_state. */
  qv_status (*encode)(void *user_data, const qv_exec_plan *node, qv_bytes *payload, qv_error *err);
  /* Rebuilds the node from payload[0..len) (untrusted bytes: check them) and
   * its decoded inputs (borrowed; take references to keep them), in the
   * session the plan is decoded for. Sets *out to a new node (the caller owns
   * one reference). An error fails the whole decode, its message prefixed
   * with where the node sits in the plan. */
  qv_status (*decode)(void *user_data, const uint8_t *payload, int64_t len, qv_exec_plan *const *inputs,
                      int32_t n_inputs, qv_session_state *session, qv_exec_plan **out, qv_error *err);
  void *user_data;
  /* Called once when the last builder or session holding the codec is gone;
   * may be NULL. */
  void (*destroy)(void *user_data);
} qv_extension_codec;

/* ---- builder ------------------------------------------------------------- */

/* A builder with the default configuration and the built-in functions.
 * Destroy it with qv_session_state_builder_destroy (also after _build). */
qv_status qv_session_state_builder_create(qv_session_state_builder **out, qv_error *err) QV_MUST_USE;
void qv_session_state_builder_destroy(qv_session_state_builder *b);

/* Sets a configuration key from its string form. Errors: QV_NOT_FOUND for an
 * unknown key, QV_INVALID for a value that does not parse. */
qv_status qv_session_state_builder_set_config(qv_session_state_builder *b, const char *key,
                                              const char *value, qv_error *err) QV_MUST_USE;

/* Registers a user scalar function (copied). A function of the same name
 * replaces an earlier registration. Errors: QV_INVALID for an incomplete
 * definition. */
qv_status qv_session_state_builder_add_scalar_udf(qv_session_state_builder *b, const qv_scalar_udf *udf,
                                                  qv_error *err) QV_MUST_USE;
qv_status qv_session_state_builder_add_aggregate_udf(qv_session_state_builder *b,
                                                     const qv_aggregate_udf *udf, qv_error *err) QV_MUST_USE;

/* Registers an extension codec (copied); from now on the builder and every
 * state built from it own codec->user_data, and call codec->destroy once the
 * last of them is gone. A codec of the same name replaces an earlier one.
 * Errors: QV_INVALID for a missing name, encode or decode function (the
 * caller then keeps user_data); QV_NOMEM (user_data is destroyed). */
qv_status qv_session_state_builder_add_extension_codec(qv_session_state_builder *b,
                                                       const qv_extension_codec *codec,
                                                       qv_error *err) QV_MUST_USE;

/* Builds an immutable state (the caller owns one reference). The builder stays
 * usable. Errors: QV_NOMEM. */
qv_status qv_session_state_builder_build(qv_session_state_builder *b, qv_session_state **out,
                                         qv_error *err) QV_MUST_USE;

/* A state with every default; the caller owns one reference. */
qv_status qv_session_state_create_default(qv_session_state **out, qv_error *err) QV_MUST_USE;

qv_session_state *qv_session_state_ref(qv_session_state *s);
void qv_session_state_unref(qv_session_state *s);

/* ---- reading configuration ---------------------------------------------- */

int32_t qv_session_target_partitions(const qv_session_state *s);
int32_t qv_session_batch_size(const qv_session_state *s);
int64_t qv_session_memory_limit(const qv_session_state *s);
/* The string form of any key's value into buf; QV_NOT_FOUND for unknown keys. */
qv_status qv_session_config_get(const qv_session_state *s, const char *key, char *buf, size_t buf_size,
                                qv_error *err) QV_MUST_USE;

#ifdef __cplusplus
}
#endif
#endif
