/* What the files of the plan codec share: the encoding context (an arena
 * holding the protobuf-c message tree until it is packed), safe unpacking of
 * untrusted bytes (size cap, nesting cap, memory budget), the error
 * convention, and the encoders and decoders of each layer (types and
 * schemas in codec_types.c, expressions in codec_expr.c, operators in
 * codec_plan.c, file scans in codec_scan.c).
 *
 * Error convention of decoders: the innermost failure sets the message;
 * each layer that knows where it is prefixes it ("ProjectionExec expr 2"),
 * and qv_plan_decode adds "plan". Every failure on untrusted input becomes
 * QV_INVALID, except QV_NOMEM and QV_RESOURCE_EXHAUSTED, which keep their
 * code (see qv__plan_fail). */
#ifndef QV_PLAN_CODEC_INTERNAL_H
#define QV_PLAN_CODEC_INTERNAL_H

#include <stddef.h>

#include "plan/codec_expr.h"
#include "quiver.pb-c.h"
#include "quiver/codec.h"
#include "quiver/expr.h"
#include "quiver/plan.h"

/* The deepest nesting of protobuf messages accepted in one input (an
 * operator level is two messages, PhysicalPlan and its node; an expression
 * level two; a type level two), checked before protobuf-c recurses. */
#define QV__PLAN_MAX_WIRE_DEPTH (4 * QV_PLAN_MAX_DEPTH)

/* The most partitions a decoded RepartitionExec may ask for. */
#define QV__PLAN_MAX_PARTITIONS 65536

/* ---- errors --------------------------------------------------------------------- */

/* Prefixes err's message with the formatted context and maps st to the
 * codec's code (QV_NOMEM and QV_RESOURCE_EXHAUSTED stay, anything else is
 * QV_INVALID); returns that code. st must not be QV_OK. */
qv_status qv__plan_fail(qv_status st, qv_error *err, const char *fmt, ...) QV_PRINTF(3, 4);

/* ---- encoding context ------------------------------------------------------------ */

/* Holds what an encoded message tree points to until it is packed: the
 * messages and strings (arena), and buffers holding IPC streams. */
typedef struct qv__plan_enc {
  qv_arena arena;
  const qv_session_state *session;
  int32_t n_buffers, cap_buffers;
  qv_buffer **buffers;
} qv__plan_enc;

void qv__plan_enc_init(qv__plan_enc *e, const qv_session_state *session);
void qv__plan_enc_reset(qv__plan_enc *e);
/* Zeroed memory from the arena (QV_NOMEM on failure). */
qv_status qv__plan_enc_alloc(qv__plan_enc *e, size_t size, void **out, qv_error *err) QV_MUST_USE;
/* A copy of s (NULL: "") in the arena. */
qv_status qv__plan_enc_strdup(qv__plan_enc *e, const char *s, char **out, qv_error *err) QV_MUST_USE;
/* Points out at the bytes of b and keeps b alive until the reset (takes over
 * the reference, also on failure). */
qv_status qv__plan_enc_keep(qv__plan_enc *e, qv_buffer *b, ProtobufCBinaryData *out, qv_error *err) QV_MUST_USE;

/* Allocates a message of type T from the arena and runs its init function. */
#define QV__PLAN_NEW(enc, T, init_fn, out, err)                                          \
  (qv__plan_enc_alloc((enc), sizeof(T), (void **)(out), (err)) == QV_OK ? (init_fn(*(out)), QV_OK) \
                                                                        : QV_NOMEM)

/* ---- protobuf wire --------------------------------------------------------------- */

/* A protobuf-c allocator that refuses to hold more than a budget
 * proportional to the input: bounds how much memory hostile bytes can make
 * unpacking take. */
typedef struct qv__pb_alloc {
  ProtobufCAllocator base;
  int64_t used;
  int64_t budget;
  bool exceeded;
} qv__pb_alloc;

/* Unpacks a message of descriptor d from data[0..len) after checking the
 * size cap and the message nesting (QV__PLAN_MAX_WIRE_DEPTH). alloc is
 * initialised here and must live until qv__pb_free. what names the input in
 * errors ("plan"). */
qv_status qv__pb_unpack(const ProtobufCMessageDescriptor *d, const uint8_t *data, int64_t len, qv__pb_alloc *alloc,
                        const char *what, ProtobufCMessage **out, qv_error *err) QV_MUST_USE;
void qv__pb_free(ProtobufCMessage *m, qv__pb_alloc *alloc);
/* Appends the packed message to out (left as it was on failure). */
qv_status qv__pb_pack(const ProtobufCMessage *m, qv_bytes *out, const char *what, qv_error *err) QV_MUST_USE;

/* Raw wire reading and writing, for the ticket (whose plan bytes are kept
 * as they are rather than unpacked). Readers return false on malformed
 * input; pos advances. */
bool qv__wire_read_varint(const uint8_t *p, int64_t n, int64_t *pos, uint64_t *v);
/* Skips a field's value of the given wire type (groups are malformed). */
bool qv__wire_skip(const uint8_t *p, int64_t n, int64_t *pos, uint32_t wire_type);
qv_status qv__wire_put_varint(qv_bytes *out, uint64_t v, qv_error *err) QV_MUST_USE;
/* A length-delimited field: key, length, bytes. */
qv_status qv__wire_put_bytes(qv_bytes *out, uint32_t field, const uint8_t *data, int64_t n,
                             qv_error *err) QV_MUST_USE;
/* A varint field; omitted when v is 0 (proto3's default). */
qv_status qv__wire_put_uint(qv_bytes *out, uint32_t field, uint64_t v, qv_error *err) QV_MUST_USE;

/* ---- types, schemas, IPC (codec_types.c) ------------------------------------------ */

qv_status qv__encode_type(qv__plan_enc *e, const qv_data_type *t, int32_t depth, Quiver__DataType **out,
                          qv_error *err) QV_MUST_USE;
qv_status qv__decode_type(const Quiver__DataType *m, int32_t depth, qv_data_type **out, qv_error *err) QV_MUST_USE;
qv_status qv__encode_schema(qv__plan_enc *e, const qv_schema *s, Quiver__Schema **out, qv_error *err) QV_MUST_USE;
/* m may be NULL: an error naming a missing schema. */
qv_status qv__decode_schema(const Quiver__Schema *m, qv_schema **out, qv_error *err) QV_MUST_USE;

/* The batches as one IPC stream of schema (n may be 0). */
qv_status qv__encode_ipc(qv__plan_enc *e, qv_schema *schema, qv_record_batch *const *batches, int64_t n,
                         ProtobufCBinaryData *out, qv_error *err) QV_MUST_USE;
/* Reads an IPC stream (validated) into *out (an array of *n references;
 * free with qv__free_batches) and its schema (*schema, one reference). */
qv_status qv__decode_ipc(const ProtobufCBinaryData *in, qv_schema **schema, qv_record_batch ***out, int64_t *n,
                         qv_error *err) QV_MUST_USE;
void qv__free_batches(qv_record_batch **batches, int64_t n);

/* A literal value (a length-1 array) as a one-column, one-row IPC stream. */
qv_status qv__encode_scalar(qv__plan_enc *e, qv_array *value, Quiver__ScalarValue **out, qv_error *err) QV_MUST_USE;
qv_status qv__decode_scalar(const Quiver__ScalarValue *m, qv_array **out, qv_error *err) QV_MUST_USE;

/* ---- expressions (codec_expr.c) --------------------------------------------------- */

/* An expression tree (the root of one: an implicit cast there is kept). */
qv_status qv__encode_expr(qv__plan_enc *e, const qv_expr *x, Quiver__PhysicalExpr **out, qv_error *err) QV_MUST_USE;
/* Rebuilds an expression over input; m may be NULL (error: missing). */
qv_status qv__decode_expr(const Quiver__PhysicalExpr *m, const qv_schema *input, qv_session_state *session,
                          qv_expr **out, qv_error *err) QV_MUST_USE;

qv_status qv__encode_aggregate(qv__plan_enc *e, const qv_aggregate_expr *a, Quiver__AggregateExpr **out,
                               qv_error *err) QV_MUST_USE;
qv_status qv__decode_aggregate(const Quiver__AggregateExpr *m, const qv_schema *input, qv_session_state *session,
                               qv_aggregate_expr **out, qv_error *err) QV_MUST_USE;

qv_status qv__encode_sort_key(qv__plan_enc *e, const qv_sort_key *k, Quiver__SortKey **out,
                              qv_error *err) QV_MUST_USE;
/* Decodes n keys into a new array (*out; free with qv__free_sort_keys). */
qv_status qv__decode_sort_keys(Quiver__SortKey *const *ms, size_t n, const qv_schema *input, qv_session_state *session,
                               qv_sort_key **out, int32_t *n_out, qv_error *err) QV_MUST_USE;
void qv__free_sort_keys(qv_sort_key *keys, int32_t n);

/* ---- file scans (codec_scan.c) -------------------------------------------------------- */

/* p is a ParquetScanExec, CsvScanExec or IpcScanExec node; sets m's file_scan. */
qv_status qv__encode_file_scan(qv__plan_enc *e, const qv_exec_plan *p, Quiver__PhysicalPlan *m,
                               qv_error *err) QV_MUST_USE;
qv_status qv__decode_file_scan(const Quiver__FileScanNode *m, qv_session_state *session, qv_exec_plan **out,
                               qv_error *err) QV_MUST_USE;

/* A schema holding the columns expressions read (the others as nullable
 * null-typed placeholders): enough to rebuild them exactly. Used for the
 * partial input schema of final aggregations, which the node does not keep. */
qv_status qv__schema_of_columns(qv_expr *const *exprs, int32_t n_exprs, const qv_aggregate_expr *const *aggs,
                                int32_t n_aggs, qv_schema **out, qv_error *err) QV_MUST_USE;

#endif
