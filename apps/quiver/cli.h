/* Shared declarations of the `quiver` command-line tool: input sources (one
 * per file format, chosen from the file's first bytes), output sinks (one per
 * --format), and the text rendering of values they use. */
#ifndef QV_CLI_H
#define QV_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "quiver/array.h"
#include "quiver/memory.h"
#include "quiver/parquet.h"
#include "quiver/status.h"
#include "quiver/type.h"

/* ---- sources: "open + next batch", one implementation per format ------------------ */

typedef enum qv_cli_format {
  QV_CLI_FORMAT_UNKNOWN = 0,
  QV_CLI_FORMAT_PARQUET,
  QV_CLI_FORMAT_ARROW_FILE,
  QV_CLI_FORMAT_ARROW_STREAM,
  QV_CLI_FORMAT_CSV
} qv_cli_format;

typedef struct qv_cli_source qv_cli_source;

/* What a format provides. Adding a format = one of these plus a rule in
 * qv__cli_detect_format (source.c). */
typedef struct qv_cli_source_ops {
  const char *name; /* "parquet", "arrow-file", ... */
  /* Opens the whole file held in data (name for messages), reading only the
   * top-level columns listed (NULL: all), in batches of batch_size rows
   * where the format lets the reader choose (0: its default). Sets *schema (borrowed from the
   * source, valid until destroy) and the source's state. */
  qv_status (*open)(qv_buffer *data, const char *name, const char *const *columns, int32_t n_columns,
                    int64_t batch_size, void **state, qv_schema **schema, qv_error *err);
  /* The next batch (caller owns it), NULL at the end. */
  qv_status (*next)(void *state, qv_record_batch **out, qv_error *err);
  void (*destroy)(void *state);
} qv_cli_source_ops;

struct qv_cli_source {
  const qv_cli_source_ops *ops;
  void *state;
  qv_schema *schema; /* borrowed from the state */
  qv_buffer *data;
};

/* The format of a file from its first bytes. */
qv_cli_format qv__cli_detect_format(const uint8_t *data, int64_t size);

/* Opens path (any supported format). columns may be NULL; batch_size 0
 * means the format's default. */
qv_status qv__cli_source_open(const char *path, const char *const *columns, int32_t n_columns,
                              int64_t batch_size, qv_cli_source **out, qv_error *err);
qv_status qv__cli_source_next(qv_cli_source *s, qv_record_batch **out, qv_error *err);
void qv__cli_source_destroy(qv_cli_source *s);

/* Parquet and IPC sources (source_parquet.c, source_ipc.c). */
extern const qv_cli_source_ops qv__cli_parquet_source;
extern const qv_cli_source_ops qv__cli_ipc_file_source;
extern const qv_cli_source_ops qv__cli_ipc_stream_source;
/* Delimited text (source_csv.c); the dialect is sniffed from the first line. */
extern const qv_cli_source_ops qv__cli_csv_source;
/* Whether the first bytes look like text (no NUL byte): CSV is the fallback. */
bool qv__cli_looks_like_text(const uint8_t *data, int64_t size);

/* The indices of `columns` in schema; errors name the missing column and list
 * the available ones. *out is malloc'ed. */
qv_status qv__cli_column_indices(const qv_schema *schema, const char *const *columns, int32_t n_columns,
                                 int32_t **out, qv_error *err);

/* A batch with only the given columns of b. */
qv_status qv__cli_project(qv_record_batch *b, qv_schema *schema, const int32_t *idx, int32_t n,
                          qv_record_batch **out, qv_error *err);

/* ---- sinks: one per output format ------------------------------------------------- */

typedef struct qv_cli_sink qv_cli_sink;

/* Creates a sink for format "table", "csv", "json" or "arrow" writing to out.
 * Returns NULL for an unknown format. */
qv_cli_sink *qv__cli_sink_create(const char *format, FILE *out);
/* Called at the start of each input file, with its schema. */
qv_status qv__cli_sink_begin(qv_cli_sink *s, qv_schema *schema, qv_error *err);
/* Writes the first max_rows rows of b (max_rows < 0: all). */
qv_status qv__cli_sink_write(qv_cli_sink *s, qv_record_batch *b, int64_t max_rows, qv_error *err);
/* Called at the end of each input file. */
qv_status qv__cli_sink_end(qv_cli_sink *s, qv_error *err);
/* Ends the output (the Arrow stream's end marker) and flushes it. */
qv_status qv__cli_sink_finish(qv_cli_sink *s, qv_error *err);
void qv__cli_sink_destroy(qv_cli_sink *s);

/* ---- commands ---------------------------------------------------------------------- */

/* `quiver schema FILE`: returns the exit code. */
int qv__cli_schema(const char *path);

/* `quiver convert IN OUT [options]` (convert.c), given the arguments after
 * "convert": returns the exit code. */
int qv__cli_convert(int argc, char **argv);

/* ---- value text ------------------------------------------------------------------- */

/* Appends value i of a as CSV field text (without quoting): empty for null,
 * dates YYYY-MM-DD, timestamps ISO 8601 (with Z when the type has a time
 * zone), decimals with their scale, floats in shortest round-trip form,
 * binary as hex, nested values as JSON. */
qv_status qv__cli_append_text(const qv_array *a, int64_t i, qv_bytes *out, qv_error *err);
/* Appends value i of a as a JSON value: numbers for integers, floats (NaN,
 * Infinity as bare words, as Python's json module reads them) and decimals;
 * strings for text, binary (hex), dates, times and timestamps; arrays for
 * lists; objects for structs; arrays of {"key":..,"value":..} for maps. */
qv_status qv__cli_append_json(const qv_array *a, int64_t i, qv_bytes *out, qv_error *err);

/* The shortest decimal text that reads back as exactly v (%.17g at worst). */
void qv__cli_format_double(double v, char *buf, size_t size);
void qv__cli_format_float(float v, char *buf, size_t size);

#endif
