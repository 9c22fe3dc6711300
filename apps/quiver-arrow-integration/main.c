/* quiver-arrow-integration: Quiver's entry point for Arrow's cross-language
 * integration tests, with the command line of Arrow's own integration
 * executables:
 *
 *   --mode VALIDATE       --json F.json[.gz] --arrow F.arrow_file
 *       exit 0 iff the IPC file holds exactly what the JSON describes;
 *       otherwise the first difference goes to stderr.
 *   --mode JSON_TO_ARROW  --json F.json[.gz] --arrow OUT.arrow_file
 *   --mode STREAM_TO_FILE  (IPC stream on stdin, IPC file on stdout)
 *   --mode FILE_TO_STREAM  (IPC file on stdin, IPC stream on stdout)
 *   --mode STREAM_TO_STREAM (Quiver's addition: decode a stream and encode it
 *       again, for streams a file cannot hold, e.g. dictionary replacements)
 *
 * Options may also be written --opt=value; --integration is accepted and
 * ignored. --approx-floats makes VALIDATE compare floating-point values within
 * 1e-5 instead of exactly; --verbose reports what was checked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/compare.h"
#include "arrow/integration_json.h"
#include "quiver/ipc.h"

typedef struct options {
  const char *mode;
  const char *json;
  const char *arrow;
  unsigned compare_flags;
  bool verbose;
} options;

static void usage(FILE *out) {
  fprintf(out,
          "usage: quiver-arrow-integration --mode MODE [--json FILE] [--arrow FILE]\n"
          "                                [--approx-floats] [--verbose]\n"
          "modes:\n"
          "  VALIDATE        check that --arrow (an IPC file) holds what --json describes\n"
          "  JSON_TO_ARROW   write the contents of --json as the IPC file --arrow\n"
          "  STREAM_TO_FILE  convert an IPC stream on stdin to an IPC file on stdout\n"
          "  FILE_TO_STREAM  convert an IPC file on stdin to an IPC stream on stdout\n"
          "  STREAM_TO_STREAM decode an IPC stream on stdin and encode it again on stdout\n");
}

/* Returns false (after printing why) on a bad command line. */
static bool parse_args(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--integration") == 0 || strcmp(arg, "-integration") == 0) continue;
    if (strcmp(arg, "--approx-floats") == 0) {
      o->compare_flags |= QV_COMPARE_APPROX_FLOATS;
      continue;
    }
    if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
      o->verbose = true;
      continue;
    }
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(stdout);
      exit(0);
    }
    static const char *const names[] = {"--mode", "--json", "--arrow"};
    const char **slots[] = {&o->mode, &o->json, &o->arrow};
    bool known = false;
    for (int k = 0; k < 3 && !known; k++) {
      size_t n = strlen(names[k]);
      if (strncmp(arg, names[k], n) != 0) continue;
      if (arg[n] == '=') {
        *slots[k] = arg + n + 1;
        known = true;
      } else if (arg[n] == '\0' && i + 1 < argc) {
        *slots[k] = argv[++i];
        known = true;
      }
    }
    if (!known) {
      fprintf(stderr, "quiver-arrow-integration: unknown or incomplete argument '%s'\n", arg);
      usage(stderr);
      return false;
    }
  }
  if (!o->mode) {
    fprintf(stderr, "quiver-arrow-integration: --mode is required\n");
    usage(stderr);
    return false;
  }
  return true;
}

/* Reads a whole file (or stdin when path is NULL) into a new buffer. */
static qv_status read_input(const char *path, qv_buffer **out, qv_error *err) {
  *out = NULL;
  FILE *f = path ? fopen(path, "rb") : stdin;
  if (!f) return qv_error_set(err, errno == ENOENT ? QV_NOT_FOUND : QV_IO, "%s: %s", path, strerror(errno));
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  qv_status st = QV_OK;
  for (;;) {
    st = qv_bytes_reserve(&bytes, 1 << 20, err);
    if (st != QV_OK) break;
    size_t n = fread(bytes.data + bytes.size, 1, 1 << 20, f);
    bytes.size += (int64_t)n;
    if (n < (1 << 20)) {
      if (ferror(f)) st = qv_error_set(err, QV_IO, "%s: read error", path ? path : "stdin");
      break;
    }
  }
  if (path) fclose(f);
  if (st == QV_OK) st = qv_bytes_finish(&bytes, out, err);
  qv_bytes_reset(&bytes);
  return st;
}

/* Every record batch of an IPC file held in data, and its schema. */
typedef struct batches {
  qv_schema *schema;
  qv_record_batch **items;
  int64_t n;
} batches;

static void batches_reset(batches *b) {
  for (int64_t i = 0; i < b->n; i++) qv_record_batch_unref(b->items[i]);
  free(b->items);
  qv_schema_unref(b->schema);
  memset(b, 0, sizeof *b);
}

static qv_status push_batch(batches *b, qv_record_batch *batch, qv_error *err) {
  qv_record_batch **grown = realloc(b->items, (size_t)(b->n + 1) * sizeof *grown);
  if (!grown) {
    qv_record_batch_unref(batch);
    return qv_error_set(err, QV_NOMEM, "out of memory");
  }
  b->items = grown;
  b->items[b->n++] = batch;
  return QV_OK;
}

static qv_status read_file_format(qv_buffer *data, batches *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  qv_ipc_file_reader *r;
  QV_RETURN_NOT_OK(qv_ipc_file_reader_create(data, NULL, &r, err));
  out->schema = qv_schema_ref(qv_ipc_file_reader_schema(r));
  qv_status st = QV_OK;
  for (int64_t i = 0; st == QV_OK && i < qv_ipc_file_reader_num_batches(r); i++) {
    qv_record_batch *b;
    st = qv_ipc_file_reader_batch(r, i, &b, err);
    if (st == QV_OK) st = push_batch(out, b, err);
  }
  qv_ipc_file_reader_destroy(r);
  if (st != QV_OK) batches_reset(out);
  return st;
}

static qv_status read_stream_format(qv_buffer *data, batches *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  qv_ipc_stream_reader *r;
  QV_RETURN_NOT_OK(qv_ipc_stream_reader_create(data, NULL, &r, err));
  out->schema = qv_schema_ref(qv_ipc_stream_reader_schema(r));
  qv_status st = QV_OK;
  for (;;) {
    qv_record_batch *b;
    st = qv_ipc_stream_reader_next(r, &b, err);
    if (st != QV_OK || !b) break;
    st = push_batch(out, b, err);
    if (st != QV_OK) break;
  }
  qv_ipc_stream_reader_destroy(r);
  if (st != QV_OK) batches_reset(out);
  return st;
}

/* Writes schema and batches to f as an IPC file (as_file) or stream. */
static qv_status write_ipc(FILE *f, bool as_file, qv_schema *schema, qv_record_batch *const *items,
                           int64_t n, qv_error *err) {
  qv_ipc_sink sink = qv_ipc_sink_file(f);
  qv_status st;
  if (as_file) {
    qv_ipc_file_writer *w;
    QV_RETURN_NOT_OK(qv_ipc_file_writer_create(schema, NULL, sink, &w, err));
    st = QV_OK;
    for (int64_t i = 0; st == QV_OK && i < n; i++) st = qv_ipc_file_writer_write(w, items[i], err);
    if (st == QV_OK) st = qv_ipc_file_writer_close(w, err);
    qv_ipc_file_writer_destroy(w);
  } else {
    qv_ipc_stream_writer *w;
    QV_RETURN_NOT_OK(qv_ipc_stream_writer_create(schema, NULL, sink, &w, err));
    st = QV_OK;
    for (int64_t i = 0; st == QV_OK && i < n; i++) st = qv_ipc_stream_writer_write(w, items[i], err);
    if (st == QV_OK) st = qv_ipc_stream_writer_close(w, err);
    qv_ipc_stream_writer_destroy(w);
  }
  if (st == QV_OK && fflush(f) != 0) st = qv_error_set(err, QV_IO, "write error");
  return st;
}

static qv_status validate(const options *o, qv_error *err) {
  if (!o->json || !o->arrow)
    return qv_error_set(err, QV_INVALID, "VALIDATE needs --json and --arrow");
  qv_integration_file expected;
  QV_RETURN_NOT_OK(qv__integration_json_read_file(NULL, o->json, &expected, err));
  qv_buffer *data = NULL;
  batches actual = {0};
  qv_status st = read_input(o->arrow, &data, err);
  if (st == QV_OK) {
    st = read_file_format(data, &actual, err);
    if (st != QV_OK) qv_error_prefix(err, "%s", o->arrow);
  }
  if (st == QV_OK)
    st = qv__compare_files(expected.schema, expected.batches, expected.n_batches, actual.schema,
                           actual.items, actual.n, o->compare_flags, err);
  if (st == QV_OK && o->verbose)
    fprintf(stderr, "%s: %d fields, %lld batches: equal to %s\n", o->arrow,
            qv_schema_num_fields(actual.schema), (long long)actual.n, o->json);
  batches_reset(&actual);
  qv_buffer_unref(data);
  qv__integration_file_reset(&expected);
  return st;
}

static qv_status json_to_arrow(const options *o, qv_error *err) {
  if (!o->json || !o->arrow)
    return qv_error_set(err, QV_INVALID, "JSON_TO_ARROW needs --json and --arrow");
  qv_integration_file in;
  QV_RETURN_NOT_OK(qv__integration_json_read_file(NULL, o->json, &in, err));
  qv_status st;
  FILE *f = fopen(o->arrow, "wb");
  if (!f) {
    st = qv_error_set(err, QV_IO, "%s: cannot create", o->arrow);
  } else {
    st = write_ipc(f, true, in.schema, in.batches, in.n_batches, err);
    if (fclose(f) != 0 && st == QV_OK) st = qv_error_set(err, QV_IO, "%s: write error", o->arrow);
    if (st != QV_OK) remove(o->arrow);
  }
  qv__integration_file_reset(&in);
  return st;
}

static qv_status convert(bool from_stream, bool to_file, qv_error *err) {
  qv_buffer *data;
  QV_RETURN_NOT_OK(read_input(NULL, &data, err));
  batches in;
  qv_status st = from_stream ? read_stream_format(data, &in, err) : read_file_format(data, &in, err);
  if (st == QV_OK) {
    st = write_ipc(stdout, to_file, in.schema, in.items, in.n, err);
    batches_reset(&in);
  }
  qv_buffer_unref(data);
  return st;
}

int main(int argc, char **argv) {
  options o;
  if (!parse_args(argc, argv, &o)) return 2;
  qv_error err;
  qv_error_init(&err);
  qv_status st;
  if (strcmp(o.mode, "VALIDATE") == 0) {
    st = validate(&o, &err);
  } else if (strcmp(o.mode, "JSON_TO_ARROW") == 0) {
    st = json_to_arrow(&o, &err);
  } else if (strcmp(o.mode, "STREAM_TO_FILE") == 0) {
    st = convert(true, true, &err);
  } else if (strcmp(o.mode, "FILE_TO_STREAM") == 0) {
    st = convert(false, false, &err);
  } else if (strcmp(o.mode, "STREAM_TO_STREAM") == 0) {
    st = convert(true, false, &err);
  } else {
    fprintf(stderr, "quiver-arrow-integration: unknown mode '%s'\n", o.mode);
    usage(stderr);
    return 2;
  }
  if (st != QV_OK) {
    fprintf(stderr, "quiver-arrow-integration: %s: %s\n", o.mode, err.message);
    return 1;
  }
  return 0;
}
