/* The plan codec: physical plans and Flight tickets to and from bytes.
 *
 * The wire format is protobuf, described by proto/quiver.proto (DESIGN.md §2):
 * a plan is a quiver.PhysicalPlan message, a ticket a quiver.DoGet message.
 * Every built-in operator and expression has a message of its own. User
 * operators travel as {name, payload, inputs} and are encoded and decoded by
 * the extension codec registered under their name in the session
 * (qv_session_state_builder_add_extension_codec); scalar and aggregate UDFs
 * travel by name and must be registered in the decoding session. Literals,
 * in-memory partitions and VALUES rows travel as Arrow IPC streams, so every
 * Arrow type round-trips exactly.
 *
 * Decoding is total on untrusted bytes: the input size and the nesting of
 * messages are capped before anything is unpacked, every index, enum value,
 * type id and count is checked, and the plan is rebuilt only through the
 * public constructors of plan.h and expr.h, which type-check it; so a plan
 * that would not type-check is rejected, never executed. Errors say where
 * ("plan: ProjectionExec expr 2: column index 7 out of range for 3 input
 * columns").
 *
 * Operators encodable today: every built-in operator of plan.h
 * (MemoryScanExec, ValuesExec, EmptyExec, ProjectionExec, FilterExec,
 * LimitExec, CoalesceBatchesExec, CoalescePartitionsExec, UnionExec,
 * RepartitionExec, HashAggregateExec, HashJoinExec, NestedLoopJoinExec,
 * SortExec, SortPreservingMergeExec), the file scans (ParquetScanExec,
 * CsvScanExec, IpcScanExec: each partition's file pieces travel as paths,
 * opened on the decoding worker), and custom operators with a codec. */
#ifndef QUIVER_CODEC_H
#define QUIVER_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/exec.h"
#include "quiver/memory.h"
#include "quiver/session.h"
#include "quiver/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest encoded plan or ticket accepted, in bytes (protobuf messages
 * are limited to 2 GiB anyway). */
#define QV_PLAN_MAX_ENCODED_SIZE ((int64_t)1 << 30)

/* The deepest nesting accepted, counted separately for operators above one
 * another, for expressions within one expression, and for nested data
 * types; the protobuf messages of a whole plan may nest 4 x this deep.
 * Encoding a deeper plan fails as decoding it would. Decoding recurses: a
 * plan at the limits needs about 512 KiB of stack (more under sanitizers),
 * well within the default 8 MiB of a thread. */
#define QV_PLAN_MAX_DEPTH 128

/* ---- plans ------------------------------------------------------------------ */

/* Appends the quiver.PhysicalPlan encoding of plan to out (initialised by
 * the caller; on failure it is left as it was). session supplies the
 * extension codecs for custom operators; it may be NULL when the plan has
 * none.
 * Errors: QV_NOT_FOUND for a custom operator without a codec of its name in
 * session; QV_INVALID for a plan deeper than QV_PLAN_MAX_DEPTH or an
 * encoding over QV_PLAN_MAX_ENCODED_SIZE; an extension codec's errors;
 * QV_NOMEM. */
qv_status qv_plan_encode(const qv_exec_plan *plan, const qv_session_state *session, qv_bytes *out,
                         qv_error *err) QV_MUST_USE;

/* Decodes a quiver.PhysicalPlan from data[0..len) (untrusted; only read
 * during the call) into a new plan (*out; the caller owns one reference).
 * Functions, aggregate functions and extension operators are resolved in
 * session, which may be NULL (built-in functions only, no extension
 * operators); the plan's UDF expressions keep a reference to it.
 * Errors: QV_INVALID for malformed bytes, anything out of range, a plan that
 * does not type-check, a function or extension operator the session does
 * not know ("plan: unknown extension operator 'MyScan' (no extension codec
 * registered under that name)"); QV_RESOURCE_EXHAUSTED when decoding would
 * take an unreasonable amount of memory for the input's size; QV_NOMEM. */
qv_status qv_plan_decode(const uint8_t *data, int64_t len, qv_session_state *session, qv_exec_plan **out,
                         qv_error *err) QV_MUST_USE;

/* ---- tickets ------------------------------------------------------------------ */

/* Which task of which stage of which query a ticket is for: the key of the
 * worker's task registry. */
typedef struct qv_stage_key {
  uint8_t query_id[16];
  uint64_t stage_id;
  uint64_t task_number;
} qv_stage_key;

/* The content of a Flight ticket (quiver.DoGet): partition `partition` of
 * task `task_index` (of `task_count`) of the stage plan. Holds no
 * references: every pointer is borrowed. */
typedef struct qv_ticket {
  /* Encoding: the stage plan, encoded by qv_ticket_encode; or NULL to embed
   * plan_bytes as they are (a plan encoded once for many tickets). Decoding:
   * always NULL (decode plan_bytes with qv_plan_decode, once per stage key). */
  const qv_exec_plan *plan;
  /* The encoded plan (a quiver.PhysicalPlan). Decoding: points into the
   * ticket's bytes, valid as long as they are. */
  const uint8_t *plan_bytes;
  int64_t plan_len;
  uint32_t task_index;
  uint32_t task_count;
  uint32_t partition;
  qv_stage_key stage_key;
} qv_ticket;

/* Zeroes t (task_count 1). */
void qv_ticket_init(qv_ticket *t);

/* Appends the quiver.DoGet encoding of t to out (on failure out is left as
 * it was). session supplies extension codecs when t->plan is encoded.
 * Errors: QV_INVALID when there is no plan, task_count is 0 or task_index is
 * not below it; those of qv_plan_encode; QV_NOMEM. */
qv_status qv_ticket_encode(const qv_ticket *t, const qv_session_state *session, qv_bytes *out,
                           qv_error *err) QV_MUST_USE;

/* Reads a quiver.DoGet from data[0..len) (untrusted) into *out without
 * decoding the plan: out->plan_bytes points into data.
 * Errors: QV_INVALID for malformed bytes, a missing plan or stage key, a
 * query id that is not 16 bytes, task_count 0, task_index >= task_count, a
 * value that does not fit its field. On failure *out is zeroed. */
qv_status qv_ticket_decode(const uint8_t *data, int64_t len, qv_ticket *out, qv_error *err) QV_MUST_USE;

#ifdef __cplusplus
}
#endif
#endif
