/* Regression tests for IPC bugs found by the engine benchmark and the plan
 * differential tests (bench/engine/run.py, tests/interop/test_plans_duckdb.py). */
#include <string.h>

#include "ipc/flatbuf.h"
#include "test.h"

/* pyarrow (flatbuffers C++) writes the Footer of an IPC file without
 * dictionaries with an empty `dictionaries` vector of Block structs (24
 * bytes, 8-byte aligned) whose elements would start at a position that is
 * only 4-byte aligned. With no element there is nothing to misalign, and the
 * flatbuffers verifier accepts it; Quiver refused such files ("vector at 64:
 * elements are not 8-byte aligned"). The buffer below is that shape: a root
 * table whose field 0 is an empty vector at byte 24 (elements at 28). */
QV_TEST(flatbuf_empty_vector_of_structs_need_not_be_aligned) {
  uint8_t buf[28];
  memset(buf, 0, sizeof buf);
  qv__fb_store_u32(buf, 12);      /* root table at 12 */
  qv__fb_store_u16(buf + 4, 6);   /* vtable at 4: 6 bytes, */
  qv__fb_store_u16(buf + 6, 8);   /* table of 8 bytes, */
  qv__fb_store_u16(buf + 8, 4);   /* field 0 at table + 4 */
  qv__fb_store_i32(buf + 12, 8);  /* table -> vtable at 12 - 8 */
  qv__fb_store_u32(buf + 16, 8);  /* field 0 -> vector at 16 + 8 = 24 */
  qv__fb_store_u32(buf + 24, 0);  /* no elements */
  qv_error err = {0};
  qv_fb_reader r;
  qv_fb_table t;
  qv_fb_vector v;
  bool present = false;
  CHECK_OK(qv__fb_reader_init(&r, buf, (int64_t)sizeof buf, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK_OK(qv__fb_table_vector(&t, 0, 24, 8, &v, &present, &err), &err);
  CHECK(present);
  CHECK_EQ_INT(v.length, 0);

  /* One element at a misaligned position is still refused. */
  uint8_t big[56];
  memset(big, 0, sizeof big);
  memcpy(big, buf, sizeof buf);
  qv__fb_store_u32(big + 24, 1);
  CHECK_OK(qv__fb_reader_init(&r, big, (int64_t)sizeof big, &err), &err);
  CHECK_OK(qv__fb_reader_root(&r, &t, &err), &err);
  CHECK_STATUS(qv__fb_table_vector(&t, 0, 24, 8, &v, &present, &err), QV_INVALID);
}
