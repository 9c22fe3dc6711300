/* Helpers for the plan codec tests: a sample table with a column of most
 * types, scans over it, and the round-trip check every operator and
 * expression test uses (encode, decode, compare EXPLAIN text, results and a
 * second encoding). Helpers that check things report through qv_test_fail
 * and return false, so a test writes CHECK(ct_round_trip(...)). */
#ifndef QV_CODEC_TEST_UTIL_H
#define QV_CODEC_TEST_UTIL_H

#include "quiver/codec.h"
#include "quiver/exec.h"
#include "quiver/plan.h"
#include "test.h"

/* Columns of the sample table. */
enum {
  CT_ID = 0,  /* int64, not null: the row number */
  CT_I32,     /* int32, every 7th row null */
  CT_F64,     /* float64 */
  CT_S,       /* utf8, every 11th row null */
  CT_B,       /* bool */
  CT_D,       /* date32 */
  CT_DEC,     /* decimal128(15, 2) */
  CT_CAT,     /* dictionary<int32, utf8> */
  CT_TS,      /* timestamp(us, "UTC") */
  CT_NCOLS
};

qv_schema *ct_schema(void); /* one reference */
/* Rows start .. start+n-1 of the sample table. */
qv_record_batch *ct_batch(int64_t start, int64_t n);
/* A scan of parts partitions of batches batches of rows rows each, rows
 * numbered consecutively from 0. */
qv_exec_plan *ct_scan(int32_t parts, int32_t batches, int64_t rows);

qv_session_state *ct_session(void); /* the default session; one reference */

/* Column i of the scan's schema, literals, and shortcuts; every expression
 * helper returns one reference (NULL on failure). */
qv_expr *ct_col(const qv_exec_plan *over, int32_t i);
qv_expr *ct_i64(int64_t v);
qv_expr *ct_str(const char *s);
qv_expr *ct_bin(qv_binary_op op, qv_expr *l, qv_expr *r); /* consumes l and r */

/* Runs p and returns its rows as sorted text lines ("1|a|null"), *n of
 * them; free with ct_free_rows. NULL (and a test failure) on error. */
char **ct_rows(qv_exec_plan *p, qv_session_state *s, int64_t *n);
void ct_free_rows(char **rows, int64_t n);

/* Encodes p with enc's codecs, decodes it in dec, and checks that the
 * decoded plan has the same EXPLAIN text, gives the same rows, and encodes
 * to the same bytes. *out (may be NULL) gets the decoded plan. */
bool ct_round_trip_sessions(qv_exec_plan *p, qv_session_state *enc, qv_session_state *dec, qv_exec_plan **out);
/* Set: the EXPLAIN comparison ignores the files=N count of file scans,
 * which counts a file read in several ranges once before encoding and once
 * per range after (the pieces shown must still match). */
extern bool ct_ignore_file_count;
/* The same with one default session; consumes p (NULL fails). */
bool ct_round_trip(qv_exec_plan *p);

/* Encodes p into a malloc'ed buffer (*len bytes); NULL on failure. */
uint8_t *ct_encode(const qv_exec_plan *p, qv_session_state *s, int64_t *len);

#endif
