/* The hash table of GROUP BY: maps the key values of each input row to a
 * dense group id (0, 1, 2, ... in order of first appearance) and gives the
 * keys of every group back as arrays (see group_table.c). */
#ifndef QV_EXEC_GROUP_TABLE_H
#define QV_EXEC_GROUP_TABLE_H

#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/status.h"

typedef struct qv_group_table qv_group_table;

/* A table for n_keys key columns of the given types (referenced), with all
 * its memory from alloc. Errors: QV_INVALID for n_keys < 1, memory errors. */
qv_status qv__group_table_create(qv_data_type *const *types, int32_t n_keys, qv_allocator *alloc,
                                 qv_group_table **out, qv_error *err) QV_MUST_USE;
/* t may be NULL. */
void qv__group_table_destroy(qv_group_table *t);

/* Sets group_ids[r] to the group of row r of keys (n_keys arrays of at least
 * n_rows slots), creating groups for keys not seen before. Null keys are a
 * group of their own (per column). Errors: memory (QV_RESOURCE_EXHAUSTED
 * "memory limit of N bytes exceeded ..." under a limit, else QV_NOMEM), more
 * than 2^32 - 1 groups, key encoding errors; or QV_INTERNAL after _emit. */
qv_status qv__group_table_map(qv_group_table *t, qv_array *const *keys, int64_t n_rows, uint32_t *group_ids,
                              qv_error *err) QV_MUST_USE;

int64_t qv__group_table_num_groups(const qv_group_table *t);
/* Bytes held (slots, stored keys, scratch). */
int64_t qv__group_table_bytes(const qv_group_table *t);

/* The keys of groups [start, start + n) as n_keys new arrays (caller owns
 * them). The first call ends the building phase: _map fails afterwards. */
qv_status qv__group_table_emit(qv_group_table *t, int64_t start, int64_t n, qv_array **out,
                               qv_error *err) QV_MUST_USE;

#endif
