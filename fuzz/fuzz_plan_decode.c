/* libFuzzer target for the plan codec: the input is read both as a Flight
 * ticket (quiver.DoGet, whose plan bytes are then decoded too) and as a
 * quiver.PhysicalPlan. Beyond "no crash, no leak, no oversized allocation",
 * every plan that decodes must type-check (it was built by the plan
 * constructors), survive a second round trip with the same EXPLAIN text,
 * and run without crashing (with a memory limit, and only when it has few
 * partitions and no file scan; errors are fine). A broken oracle traps so that the fuzzer
 * reports it.
 *
 * Seed corpus: the encoded plans of tests/data/plans (fuzz/fuzz_plan_decode.seeds),
 * written by tests/unit/plan/test_codec_seeds.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quiver/codec.h"
#include "quiver/exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static qv_session_state *session(void) {
  static qv_session_state *s;
  if (s) return s;
  qv_session_state_builder *b = NULL;
  if (qv_session_state_builder_create(&b, NULL) != QV_OK) abort();
  if (qv_session_state_builder_set_config(b, "memory_limit", "64m", NULL) != QV_OK ||
      qv_session_state_builder_set_config(b, "batch_size", "256", NULL) != QV_OK ||
      qv_session_state_builder_build(b, &s, NULL) != QV_OK)
    abort();
  qv_session_state_builder_destroy(b);
  return s;
}

/* Whether the plan is cheap and harmless to run here: few partitions, and
 * no file scan (whose paths the fuzzer made up). */
static bool runnable(const qv_exec_plan *p) {
  const char *name = qv_exec_plan_name(p);
  size_t n = strlen(name);
  if (qv_exec_plan_num_partitions(p) > 4) return false;
  if (n >= 8 && strcmp(name + n - 8, "ScanExec") == 0 && strcmp(name, "MemoryScanExec") != 0) return false;
  for (int32_t i = 0; i < qv_exec_plan_num_children(p); i++)
    if (!runnable(qv_exec_plan_child(p, i))) return false;
  return true;
}

static void check_plan(qv_exec_plan *p) {
  qv_error err;
  char *x1 = NULL, *x2 = NULL;
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  qv_exec_plan *again = NULL;
  if (qv_exec_plan_explain(p, &x1, &err) != QV_OK) __builtin_trap();
  if (qv_plan_encode(p, NULL, &bytes, &err) != QV_OK) __builtin_trap();
  if (qv_plan_decode(bytes.data, bytes.size, session(), &again, &err) != QV_OK) __builtin_trap();
  if (qv_exec_plan_explain(again, &x2, &err) != QV_OK || strcmp(x1, x2) != 0) __builtin_trap();
  free(x1);
  free(x2);
  qv_exec_plan_unref(again);
  qv_bytes_reset(&bytes);
  if (!runnable(p)) return;
  qv_task_context *ctx = NULL;
  if (qv_task_context_create(session(), 0, 1, &ctx, NULL) != QV_OK) return;
  qv_record_batch **out = NULL;
  int64_t n = 0;
  if (qv_exec_plan_collect(p, ctx, &out, &n, NULL) == QV_OK) {
    for (int64_t i = 0; i < n; i++) qv_record_batch_unref(out[i]);
    free(out);
  }
  qv_task_context_unref(ctx);
}

static void decode_plan(const uint8_t *data, int64_t size) {
  qv_error err;
  qv_exec_plan *p = NULL;
  qv_status st = qv_plan_decode(data, size, session(), &p, &err);
  if ((st == QV_OK) != (p != NULL)) __builtin_trap();
  if (st != QV_OK && st != QV_INVALID && st != QV_RESOURCE_EXHAUSTED && st != QV_NOMEM) __builtin_trap();
  if (p) check_plan(p);
  qv_exec_plan_unref(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qv_error err;
  qv_ticket t;
  if (qv_ticket_decode(data, (int64_t)size, &t, &err) == QV_OK) {
    if (t.task_index >= t.task_count || !t.plan_bytes) __builtin_trap();
    decode_plan(t.plan_bytes, t.plan_len);
  }
  decode_plan(data, (int64_t)size);
  return 0;
}
