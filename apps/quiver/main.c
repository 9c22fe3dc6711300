/* quiver: the command-line tool.
 *
 *   quiver cat FILE... [--format table|csv|json|arrow] [--columns a,b] [--limit N]
 *              [--batch-size N]
 *   quiver schema FILE
 *   quiver convert IN OUT.parquet [--compression zstd|snappy|none|...] [--row-group-size N] ...
 *
 * `cat` prints Parquet files and Arrow IPC files or streams (the format is
 * recognised from the bytes, not the name; "-" reads standard input);
 * `schema` prints a file's Arrow schema and, for Parquet, its row groups and
 * column chunks. Exit status: 0 success, 1 error (message on stderr), 2 bad
 * command line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: quiver <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  cat FILE... [--format table|csv|json|arrow] [--columns a,b] [--limit N]\n"
    "      print Parquet or Arrow IPC (file or stream) files; the format is\n"
    "      detected from the file's bytes. --format: table (default), csv\n"
    "      (RFC 4180), json (one object per line) or arrow (an Arrow IPC\n"
    "      stream on standard output). --columns: only these top-level\n"
    "      columns, in this order. --limit: at most N rows in all.\n"
    "      --batch-size N: read Parquet in batches of at most N rows.\n"
    "  convert IN OUT.parquet [--compression zstd|snappy|gzip|brotli|lz4|none]\n"
    "          [--compression-level N] [--row-group-size N] [--page-size BYTES]\n"
    "          [--page-version 1|2] [--no-dictionary] [--dictionary-size BYTES]\n"
    "          [--no-statistics] [--no-arrow-schema] [--checksums]\n"
    "      write the rows of any file `cat` reads as a Parquet file (default\n"
    "      zstd, row groups of 1Mi rows, 1 MiB pages, dictionaries where they\n"
    "      pay off, statistics, the Arrow schema kept). \"-\" is standard\n"
    "      input or output.\n"
    "  schema FILE\n"
    "      print the Arrow schema; for Parquet also the row groups and, per\n"
    "      column chunk, its codec, encodings and statistics.\n"
    "  help\n"
    "      print this text.\n";

static int usage_error(const char *fmt, const char *arg) {
  fputs("quiver: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\n(run 'quiver help' for usage)\n", stderr);
  return 2;
}

/* Splits "a,b,c" into a malloc'ed array of pointers into a malloc'ed copy. */
static int split_columns(const char *list, char ***out, int32_t *n) {
  char *copy = strdup(list);
  if (!copy) return -1;
  int32_t count = 1;
  for (const char *p = copy; *p; p++) count += *p == ',';
  char **cols = calloc((size_t)count + 1, sizeof *cols);
  if (!cols) {
    free(copy);
    return -1;
  }
  int32_t k = 0;
  for (char *tok = copy, *next; tok; tok = next) {
    next = strchr(tok, ',');
    if (next) *next++ = '\0';
    cols[k++] = tok;
  }
  *out = cols;
  *n = k;
  return 0;
}

/* The value of an option given as "--opt value" or "--opt=value". */
static const char *option_value(int argc, char **argv, int *i, const char *name) {
  size_t len = strlen(name);
  if (strncmp(argv[*i], name, len) != 0) return NULL;
  if (argv[*i][len] == '=') return argv[*i] + len + 1;
  if (argv[*i][len] != '\0') return NULL;
  if (*i + 1 >= argc) return "";
  return argv[++*i];
}

static int cmd_cat(int argc, char **argv) {
  const char *format = "table", *columns = NULL;
  int64_t limit = -1, batch_size = 0;
  const char **files = calloc((size_t)argc + 1, sizeof *files);
  int n_files = 0;
  if (!files) return 1;
  for (int i = 0; i < argc; i++) {
    const char *v;
    if ((v = option_value(argc, argv, &i, "--format"))) {
      format = v;
    } else if ((v = option_value(argc, argv, &i, "--columns"))) {
      if (!*v) {
        free(files);
        return usage_error("--columns needs a list of column names%s", "");
      }
      columns = v;
    } else if ((v = option_value(argc, argv, &i, "--batch-size"))) {
      char *end;
      errno = 0;
      long long n = strtoll(v, &end, 10);
      if (!*v || *end || n <= 0 || errno) {
        free(files);
        return usage_error("--batch-size needs a positive number of rows, not '%s'", v);
      }
      batch_size = n;
    } else if ((v = option_value(argc, argv, &i, "--limit"))) {
      char *end;
      errno = 0;
      long long n = strtoll(v, &end, 10);
      if (!*v || *end || n < 0 || errno) {
        free(files);
        return usage_error("--limit needs a number of rows, not '%s'", v);
      }
      limit = n;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      free(files);
      return usage_error("cat: unknown option '%s'", argv[i]);
    } else {
      files[n_files++] = argv[i];
    }
  }
  if (n_files == 0) {
    free(files);
    return usage_error("cat: no input file%s", "");
  }
  qv_cli_sink *sink = qv__cli_sink_create(format, stdout);
  if (!sink) {
    free(files);
    return usage_error("unknown --format '%s' (table, csv, json or arrow)", format);
  }
  char **cols = NULL;
  int32_t n_cols = 0;
  if (columns && split_columns(columns, &cols, &n_cols) != 0) {
    free(files);
    qv__cli_sink_destroy(sink);
    return 1;
  }
  qv_error err;
  qv_error_init(&err);
  qv_status st = QV_OK;
  int64_t left = limit;
  for (int f = 0; f < n_files && st == QV_OK && left != 0; f++) {
    const char *path = strcmp(files[f], "-") == 0 ? "/dev/stdin" : files[f];
    qv_cli_source *src;
    st = qv__cli_source_open(path, (const char *const *)cols, n_cols, batch_size, &src, &err);
    if (st != QV_OK) break;
    st = qv__cli_sink_begin(sink, src->schema, &err);
    while (st == QV_OK && left != 0) {
      qv_record_batch *b;
      st = qv__cli_source_next(src, &b, &err);
      if (st != QV_OK || !b) break;
      st = qv__cli_sink_write(sink, b, left, &err);
      if (left > 0) left -= left < qv_record_batch_num_rows(b) ? left : qv_record_batch_num_rows(b);
      qv_record_batch_unref(b);
    }
    if (st == QV_OK) st = qv__cli_sink_end(sink, &err);
    qv__cli_source_destroy(src);
  }
  if (st == QV_OK) st = qv__cli_sink_finish(sink, &err);
  qv__cli_sink_destroy(sink);
  if (cols) free(cols[0]);
  free(cols);
  free(files);
  if (st != QV_OK) {
    fflush(stdout);
    fprintf(stderr, "quiver: %s\n", err.message);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_text, stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (strcmp(cmd, "cat") == 0) return cmd_cat(argc - 2, argv + 2);
  if (strcmp(cmd, "convert") == 0) return qv__cli_convert(argc - 2, argv + 2);
  if (strcmp(cmd, "schema") == 0) {
    if (argc != 3 || argv[2][0] == '-') {
      if (argc == 3 && strcmp(argv[2], "-") == 0) return qv__cli_schema("/dev/stdin");
      return usage_error("schema takes exactly one file%s", "");
    }
    return qv__cli_schema(argv[2]);
  }
  return usage_error("unknown command '%s'", cmd);
}
