/* Shared declarations of quiver-plan-run: the S-expression reader (sexpr.c),
 * the expression and plan builders (build_expr.c, build_plan.c) and the table
 * loader (tables.c). See main.c for the plan language. */
#ifndef QV_PLAN_RUN_H
#define QV_PLAN_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "quiver/exec.h"
#include "quiver/expr.h"
#include "quiver/plan.h"

/* ---- S-expressions (sexpr.c) ---------------------------------------------------- */

/* A node of the parsed text: an atom (bare word or "quoted string") or a list.
 * `pos` is the byte offset in the source, for error messages. */
typedef struct sx {
  bool is_list;
  bool quoted;       /* atoms: written as a "string" */
  const char *text;  /* atoms: NUL-terminated, escapes resolved */
  int32_t n;         /* lists: number of items */
  struct sx **items; /* lists */
  size_t pos;
} sx;

/* Parses text holding exactly one S-expression (';' starts a comment to the
 * end of the line). The tree is owned by the caller: free it with qv__sx_free. */
qv_status qv__sx_parse(const char *text, sx **out, qv_error *err) QV_MUST_USE;
void qv__sx_free(sx *node);

/* The head word of a list node ("filter" in "(filter ...)"), or NULL. */
const char *qv__sx_head(const sx *node);
/* Whether node is the atom `word` (unquoted). */
bool qv__sx_is_word(const sx *node, const char *word);
/* Parses an atom as a 64-bit integer. */
qv_status qv__sx_int(const sx *node, const char *what, int64_t *out, qv_error *err) QV_MUST_USE;
qv_status qv__sx_error(const sx *node, qv_error *err, const char *fmt, ...) QV_PRINTF(3, 4);

/* ---- expressions (build_expr.c) ------------------------------------------------- */

/* What column references resolve against. For a join filter, `schema` is the
 * concatenation left ++ right, and left/right the two sides' schemas, so that
 * (lcol NAME) and (rcol NAME) can name either side. */
typedef struct expr_scope {
  const qv_schema *schema;
  const qv_schema *left, *right; /* join filters only, else NULL */
  qv_session_state *session;
} expr_scope;

qv_status qv__build_expr(const expr_scope *scope, const sx *node, qv_expr **out, qv_error *err) QV_MUST_USE;
/* A type name: int8 ... uint64, float32, float64, bool, utf8, large_utf8,
 * binary, date32, decimal:P:S, timestamp:UNIT. */
qv_status qv__build_type(const sx *node, qv_data_type **out, qv_error *err) QV_MUST_USE;
/* An aggregate item (NAME FN [distinct] ARG...). */
qv_status qv__build_aggregate(const expr_scope *scope, const sx *node, qv_aggregate_expr **out,
                              qv_error *err) QV_MUST_USE;

/* ---- tables (tables.c) ------------------------------------------------------------ */

typedef struct plan_table {
  char *name;
  qv_schema *schema;
  int32_t n_partitions;
  qv_record_batch ***batches; /* per partition */
  int64_t *n_batches;
  int64_t n_rows;
} plan_table;

/* Loads an Arrow IPC file or stream (mapped, zero-copy where aligned) and
 * splits its rows into n_partitions contiguous ranges of batches of at most
 * batch_size rows (slices of the file's batches, no copy). */
qv_status qv__table_load(const char *name, const char *path, int32_t n_partitions, int64_t batch_size,
                         bool validate, plan_table *out, qv_error *err) QV_MUST_USE;
void qv__table_reset(plan_table *t);

/* ---- plans (build_plan.c) ------------------------------------------------------- */

typedef struct plan_builder plan_builder;

qv_status qv__plan_builder_create(qv_session_state *session, const plan_table *tables, int32_t n_tables,
                                  plan_builder **out, qv_error *err) QV_MUST_USE;
void qv__plan_builder_destroy(plan_builder *b);
qv_status qv__build_plan(plan_builder *b, const sx *node, qv_exec_plan **out, qv_error *err) QV_MUST_USE;

#endif
