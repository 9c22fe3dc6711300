/* `quiver schema FILE`: the Arrow schema of a file and, for Parquet, its
 * layout: row groups (rows, byte range and sizes) and, per column chunk, its
 * physical and logical type, codec, encodings and statistics, with min and
 * max decoded into typed values through qv_parquet_statistics_value. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/file.h"
#include "quiver/ipc.h"
#include "quiver/pretty.h"

static void print_schema(const qv_schema *schema) {
  char buf[1024];
  printf("schema:\n");
  for (int32_t i = 0; i < qv_schema_num_fields(schema); i++) {
    const qv_field *f = qv_schema_field(schema, i);
    printf("  %s: %s%s\n", qv_field_name(f), qv_type_to_string(qv_field_type(f), buf, sizeof buf),
           qv_field_nullable(f) ? "" : " not null");
  }
  const qv_metadata *md = qv_schema_metadata(schema);
  for (int64_t i = 0; i < qv_metadata_count(md); i++) {
    const char *k, *v;
    int64_t kl, vl;
    qv_metadata_get(md, i, &k, &kl, &v, &vl);
    printf("  metadata %.*s: %.*s%s\n", (int)kl, k, (int)(vl > 80 ? 80 : vl), v, vl > 80 ? "..." : "");
  }
}

/* Appends a statistics value as text, "?" when it cannot be decoded. */
static void stat_text(qv_parquet_reader *r, int32_t col, const uint8_t *p, int64_t n, qv_bytes *out) {
  qv_array *a = NULL;
  qv_error err;
  qv_error_init(&err);
  if (qv_parquet_statistics_value(r, col, p, n, &a, &err) != QV_OK || qv_format_value(a, 0, out, &err) != QV_OK) {
    out->size = 0;
    if (qv_bytes_append(out, "?", 1, &err) != QV_OK) out->size = 0;
  }
  qv_array_unref(a);
}

static int parquet_schema(qv_buffer *data, const char *path) {
  qv_error err;
  qv_error_init(&err);
  qv_parquet_reader *r;
  if (qv_parquet_reader_create(data, path, NULL, &r, &err) != QV_OK) {
    fprintf(stderr, "quiver: %s\n", err.message);
    return 1;
  }
  const char *by = qv_parquet_reader_created_by(r);
  printf("format: Parquet (version %d%s%s)\n", qv_parquet_reader_version(r), by ? ", created by " : "", by ? by : "");
  printf("rows: %" PRId64 "\n", qv_parquet_reader_num_rows(r));
  print_schema(qv_parquet_reader_schema(r));
  int32_t nc = qv_parquet_reader_num_columns(r);
  printf("columns:\n");
  for (int32_t c = 0; c < nc; c++) {
    qv_parquet_column_info ci;
    if (qv_parquet_reader_column(r, c, &ci, &err) != QV_OK) continue;
    char buf[512];
    printf("  %s: %s", ci.path, qv_parquet_physical_type_name(ci.physical_type));
    if (ci.type_length) printf("(%d)", ci.type_length);
    if (ci.logical_type[0]) printf(" %s", ci.logical_type);
    printf(" -> %s (max definition level %d, max repetition level %d)\n",
           qv_type_to_string(ci.type, buf, sizeof buf), ci.max_definition_level, ci.max_repetition_level);
  }
  qv_bytes text;
  qv_bytes_init(&text, NULL);
  int32_t ng = qv_parquet_reader_num_row_groups(r);
  printf("row groups: %d\n", ng);
  for (int32_t g = 0; g < ng; g++) {
    qv_parquet_row_group_info gi;
    if (qv_parquet_reader_row_group(r, g, &gi, &err) != QV_OK) continue;
    printf("  row group %d: %" PRId64 " rows, %" PRId64 " bytes at offset %" PRId64 " (%" PRId64
           " uncompressed)\n",
           g, gi.num_rows, gi.compressed_size, gi.offset, gi.uncompressed_size);
    for (int32_t c = 0; c < nc; c++) {
      qv_parquet_column_chunk_info ch;
      qv_parquet_column_info ci;
      if (qv_parquet_reader_column_chunk(r, g, c, &ch, &err) != QV_OK ||
          qv_parquet_reader_column(r, c, &ci, &err) != QV_OK)
        continue;
      printf("    %s: %s, %" PRId64 " values, %" PRId64 " bytes (%" PRId64 " uncompressed), encodings ", ci.path,
             qv_parquet_codec_name(ch.codec), ch.num_values, ch.compressed_size, ch.uncompressed_size);
      for (int32_t e = 0; e < ch.n_encodings; e++)
        printf("%s%s", e ? "," : "", qv_parquet_encoding_name(ch.encodings[e]));
      if (ch.has_statistics) {
        const qv_parquet_statistics *s = &ch.statistics;
        if (s->has_min_max) {
          text.size = 0;
          stat_text(r, c, s->min, s->min_length, &text);
          printf(", min %.*s%s", (int)(text.size > 60 ? 60 : text.size), (const char *)text.data,
                 s->min_exact ? "" : " (truncated)");
          text.size = 0;
          stat_text(r, c, s->max, s->max_length, &text);
          printf(", max %.*s%s", (int)(text.size > 60 ? 60 : text.size), (const char *)text.data,
                 s->max_exact ? "" : " (truncated)");
        }
        if (s->has_null_count) printf(", nulls %" PRId64, s->null_count);
        if (s->has_distinct_count) printf(", distinct %" PRId64, s->distinct_count);
        if (s->has_nan_count) printf(", NaNs %" PRId64, s->nan_count);
      }
      for (int64_t i = 0; i < qv_metadata_count(ch.metadata); i++) {
        const char *k, *v;
        int64_t kl, vl;
        qv_metadata_get(ch.metadata, i, &k, &kl, &v, &vl);
        printf(", %.*s=%.*s", (int)kl, k, (int)vl, v);
      }
      printf("\n");
    }
  }
  qv_bytes_reset(&text);
  qv_parquet_reader_destroy(r);
  return 0;
}

static int ipc_schema(qv_buffer *data, const char *path, bool file) {
  qv_error err;
  qv_error_init(&err);
  if (file) {
    qv_ipc_file_reader *r;
    if (qv_ipc_file_reader_create(data, NULL, &r, &err) != QV_OK) {
      fprintf(stderr, "quiver: %s: %s\n", path, err.message);
      return 1;
    }
    printf("format: Arrow IPC file (%" PRId64 " record batches)\n", qv_ipc_file_reader_num_batches(r));
    print_schema(qv_ipc_file_reader_schema(r));
    qv_ipc_file_reader_destroy(r);
    return 0;
  }
  qv_ipc_stream_reader *r;
  if (qv_ipc_stream_reader_create(data, NULL, &r, &err) != QV_OK) {
    fprintf(stderr, "quiver: %s: %s\n", path, err.message);
    return 1;
  }
  printf("format: Arrow IPC stream\n");
  print_schema(qv_ipc_stream_reader_schema(r));
  qv_ipc_stream_reader_destroy(r);
  return 0;
}

/* Delimited text: the dialect and the inferred schema, through the CSV source. */
static int csv_schema(const char *path) {
  qv_error err;
  qv_error_init(&err);
  qv_cli_source *src;
  if (qv__cli_source_open(path, NULL, 0, 0, &src, &err) != QV_OK) {
    fprintf(stderr, "quiver: %s\n", err.message);
    return 1;
  }
  printf("format: delimited text (types inferred)\n");
  print_schema(src->schema);
  qv__cli_source_destroy(src);
  return 0;
}

int qv__cli_schema(const char *path) {
  qv_error err;
  qv_error_init(&err);
  qv_buffer *data;
  if (qv__file_read_all(path, NULL, &data, &err) != QV_OK) {
    fprintf(stderr, "quiver: %s\n", err.message);
    return 1;
  }
  int rc;
  switch (qv__cli_detect_format(qv_buffer_data(data), qv_buffer_size(data))) {
    case QV_CLI_FORMAT_PARQUET: rc = parquet_schema(data, path); break;
    case QV_CLI_FORMAT_ARROW_FILE: rc = ipc_schema(data, path, true); break;
    case QV_CLI_FORMAT_ARROW_STREAM: rc = ipc_schema(data, path, false); break;
    case QV_CLI_FORMAT_CSV: rc = csv_schema(path); break;
    default:
      fprintf(stderr, "quiver: %s: unknown file format (not Parquet, Arrow IPC or text)\n", path);
      rc = 1;
  }
  qv_buffer_unref(data);
  return rc;
}
