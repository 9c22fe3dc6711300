/* `quiver convert IN OUT.parquet [options]`: reads any file `quiver cat`
 * reads (Parquet, Arrow IPC file or stream; "-" is standard input) and
 * writes its rows as a Parquet file with Quiver's writer ("-" writes to
 * standard output). Options map onto qv_parquet_write_options:
 *
 *   --compression none|snappy|gzip|brotli|zstd|lz4|lz4_raw  (default zstd)
 *   --compression-level N   --row-group-size N   --page-size BYTES
 *   --dictionary-size BYTES --no-dictionary     --no-statistics
 *   --page-version 1|2      --no-arrow-schema   --checksums
 *
 * On failure the partial output file is removed. Exit status: 0 success,
 * 1 error (message on stderr), 2 bad command line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "quiver/parquet.h"

static int usage(const char *fmt, const char *arg) {
  fputs("quiver convert: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\n(run 'quiver help' for usage)\n", stderr);
  return 2;
}

/* The value of "--name value" or "--name=value"; NULL when argv[*i] is not
 * that option. */
static const char *opt(int argc, char **argv, int *i, const char *name) {
  size_t len = strlen(name);
  if (strncmp(argv[*i], name, len) != 0) return NULL;
  if (argv[*i][len] == '=') return argv[*i] + len + 1;
  if (argv[*i][len] != '\0') return NULL;
  if (*i + 1 >= argc) return "";
  return argv[++*i];
}

static bool parse_count(const char *v, long long min, int64_t *out) {
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (!*v || *end || errno || n < min) return false;
  *out = n;
  return true;
}

static bool parse_codec(const char *v, qv_parquet_codec *out) {
  static const struct {
    const char *name;
    qv_parquet_codec codec;
  } codecs[] = {{"none", QV_PARQUET_UNCOMPRESSED}, {"uncompressed", QV_PARQUET_UNCOMPRESSED},
                {"snappy", QV_PARQUET_SNAPPY},     {"gzip", QV_PARQUET_GZIP},
                {"brotli", QV_PARQUET_BROTLI},     {"zstd", QV_PARQUET_ZSTD},
                {"lz4", QV_PARQUET_LZ4_RAW},       {"lz4_raw", QV_PARQUET_LZ4_RAW},
                {"lz4_hadoop", QV_PARQUET_LZ4}};
  for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
    if (strcmp(v, codecs[i].name) == 0) {
      *out = codecs[i].codec;
      return true;
    }
  }
  return false;
}

static qv_status convert(const char *in, const char *out, FILE *f, const qv_parquet_write_options *opts,
                         qv_error *err) {
  qv_cli_source *src;
  QV_RETURN_NOT_OK(qv__cli_source_open(in, NULL, 0, 0, &src, err));
  qv_parquet_writer *w = NULL;
  qv_status st = qv_parquet_writer_create(src->schema, opts, qv_ipc_sink_file(f), &w, err);
  while (st == QV_OK) {
    qv_record_batch *b;
    st = qv__cli_source_next(src, &b, err);
    if (st != QV_OK || !b) break;
    st = qv_parquet_writer_write(w, b, err);
    qv_record_batch_unref(b);
  }
  if (st == QV_OK) st = qv_parquet_writer_close(w, err);
  qv_parquet_writer_destroy(w);
  qv__cli_source_destroy(src);
  if (st != QV_OK) qv_error_prefix(err, "%s", strcmp(out, "-") == 0 ? "<stdout>" : out);
  return st;
}

int qv__cli_convert(int argc, char **argv) {
  qv_parquet_write_options opts;
  qv_parquet_write_options_init(&opts);
  opts.compression = QV_PARQUET_ZSTD;
  const char *files[2];
  int n_files = 0;
  for (int i = 0; i < argc; i++) {
    const char *v;
    int64_t n;
    if ((v = opt(argc, argv, &i, "--compression-level"))) {
      if (!parse_count(v, -100, &n) || n > 100) return usage("--compression-level needs a number, not '%s'", v);
      opts.compression_level = (int)n;
    } else if ((v = opt(argc, argv, &i, "--compression"))) {
      if (!parse_codec(v, &opts.compression))
        return usage("unknown --compression '%s' (none, snappy, gzip, brotli, zstd, lz4)", v);
    } else if ((v = opt(argc, argv, &i, "--row-group-size"))) {
      if (!parse_count(v, 1, &opts.row_group_size)) return usage("--row-group-size needs a positive number, not '%s'", v);
    } else if ((v = opt(argc, argv, &i, "--page-size"))) {
      if (!parse_count(v, 1, &opts.data_page_size)) return usage("--page-size needs a positive number, not '%s'", v);
    } else if ((v = opt(argc, argv, &i, "--dictionary-size"))) {
      if (!parse_count(v, 1, &opts.dictionary_page_size))
        return usage("--dictionary-size needs a positive number, not '%s'", v);
    } else if ((v = opt(argc, argv, &i, "--page-version"))) {
      if (strcmp(v, "1") != 0 && strcmp(v, "2") != 0) return usage("--page-version is 1 or 2, not '%s'", v);
      opts.data_page_version = v[0] - '0';
    } else if (strcmp(argv[i], "--no-dictionary") == 0) {
      opts.dictionary = false;
    } else if (strcmp(argv[i], "--no-statistics") == 0) {
      opts.statistics = false;
    } else if (strcmp(argv[i], "--no-arrow-schema") == 0) {
      opts.store_arrow_schema = false;
    } else if (strcmp(argv[i], "--checksums") == 0) {
      opts.page_checksums = true;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return usage("unknown option '%s'", argv[i]);
    } else if (n_files < 2) {
      files[n_files++] = argv[i];
    } else {
      return usage("takes one input and one output file, not '%s' as well", argv[i]);
    }
  }
  if (n_files != 2) return usage("needs an input and an output file%s", "");
  const char *in = strcmp(files[0], "-") == 0 ? "/dev/stdin" : files[0];
  bool to_stdout = strcmp(files[1], "-") == 0;
  FILE *f = to_stdout ? stdout : fopen(files[1], "wb");
  if (!f) {
    fprintf(stderr, "quiver: cannot create %s: %s\n", files[1], strerror(errno));
    return 1;
  }
  qv_error err;
  qv_error_init(&err);
  qv_status st = convert(in, files[1], f, &opts, &err);
  if (!to_stdout && fclose(f) != 0 && st == QV_OK)
    st = qv_error_set(&err, QV_IO, "%s: cannot finish writing: %s", files[1], strerror(errno));
  if (to_stdout && fflush(stdout) != 0 && st == QV_OK) st = qv_error_set(&err, QV_IO, "cannot write standard output");
  if (st != QV_OK) {
    if (!to_stdout) remove(files[1]);
    fprintf(stderr, "quiver: %s\n", err.message);
    return 1;
  }
  return 0;
}
