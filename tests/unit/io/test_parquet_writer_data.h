/* Test data for the Parquet writer: a table with a column of every type the
 * writer maps (nested, dictionary and null types included, nulls at every
 * level), each paired with the column the reader must give back once it is
 * written and read (the same values, in the types Parquet restores:
 * date64 as date32, seconds as milliseconds, fixed-size lists as lists,
 * dictionaries decoded). */
#ifndef QV_TEST_PARQUET_WRITER_DATA_H
#define QV_TEST_PARQUET_WRITER_DATA_H

#include <stdint.h>

#include "quiver/array.h"
#include "quiver/type.h"

typedef struct pqw_table {
  int32_t n_columns;
  int64_t n_rows;
  qv_schema *schema;  /* what is written */
  qv_array **in;      /* n_columns arrays of n_rows */
  qv_array **want;    /* what reading must return */
} pqw_table;

/* Builds the table (deterministic for a seed). Allocation failures abort:
 * this only builds inputs. */
void pqw_table_build(pqw_table *t, int64_t n_rows, uint64_t seed);
void pqw_table_reset(pqw_table *t);

/* A batch of rows [offset, offset + length) of the table (zero-copy). */
qv_record_batch *pqw_table_batch(const pqw_table *t, int64_t offset, int64_t length);

/* Small builders: n values; valid may be NULL (all valid). */
qv_array *pqw_ints(qv_data_type *type, const int64_t *v, const bool *valid, int64_t n);
qv_array *pqw_doubles(qv_data_type *type, const double *v, const bool *valid, int64_t n);
/* strs[i] == NULL is a null; any binary-like or fixed-size binary type. */
qv_array *pqw_strings(qv_data_type *type, const char *const *strs, int64_t n);
qv_field *pqw_field(const char *name, qv_data_type *type, bool nullable);

#endif
