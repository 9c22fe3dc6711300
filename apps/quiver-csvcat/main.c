/* quiver-csvcat: a small driver of the CSV reader and the CSV / JSON Lines
 * writers, used by the interop tests (tests/interop/test_csv_pyarrow.py) and
 * handy by hand.
 *
 *   quiver-csvcat [options] [FILE]      FILE defaults to standard input
 *
 * It reads FILE as CSV (or, with --in ipc, as an Arrow IPC stream) and writes
 * the batches to standard output as an Arrow IPC stream (--out ipc, the
 * default), CSV (--out csv) or JSON Lines (--out jsonl).
 *
 * Reading options: --delimiter C (also "tab"), --quote C, --no-quote,
 * --escape C, --no-header, --null STR, --no-null, --newlines-in-values,
 * --no-newlines-in-values, --trailing-delimiter, --keep-empty-lines,
 * --infer-rows N, --batch-size N, --tbl (the TPC-H .tbl options), --schema
 * SPEC ("name:type,...", types as in qv_type_to_string plus short forms:
 * bool, int8..int64, uint8..uint64, float32, float64, utf8, large_utf8,
 * binary, large_binary, date32, date64, timestamp[s|ms|us|ns(, TZ)],
 * time32[s|ms], time64[us|ns], duration[unit], decimal128(P, S),
 * decimal256(P, S), fixed_size_binary(N), null; a trailing '!' makes the
 * field non-nullable), --ranges N (read the file as N byte ranges, one reader
 * each, concatenated), --range B:E (only the records starting in [B, E)).
 * Writing options: --out-delimiter C, --out-null STR, --no-out-header,
 * --crlf. --print-schema prints the schema (one "name: type" per line) and
 * exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "quiver/csv.h"
#include "quiver/ipc.h"
#include "quiver/jsonl.h"

typedef struct sink {
  const char *format; /* "ipc", "csv" or "jsonl" */
  qv_csv_write_options csv;
  bool header;
  qv_ipc_stream_writer *ipc;
  bool wrote_any;
} sink;

static int usage(void) {
  fprintf(stderr, "usage: quiver-csvcat [--in csv|ipc] [--out ipc|csv|jsonl] [options] [FILE]\n"
                  "see apps/quiver-csvcat/main.c for the options\n");
  return 2;
}

static char parse_char(const char *s) {
  if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0) return '\t';
  return s[0];
}

/* ---- schema specs ----------------------------------------------------------- */

static bool parse_unit(const char *s, size_t n, qv_time_unit *unit) {
  static const char *names[] = {"s", "ms", "us", "ns"};
  for (int i = 0; i < 4; i++)
    if (strlen(names[i]) == n && strncmp(s, names[i], n) == 0) return *unit = (qv_time_unit)i, true;
  return false;
}

/* Parses one type (text of n bytes, spaces trimmed) into *out. */
static qv_status parse_type(const char *text, size_t n, qv_data_type **out, qv_error *err) {
  char t[128];
  size_t k = 0;
  for (size_t i = 0; i < n && k + 1 < sizeof t; i++)
    if (text[i] != ' ') t[k++] = text[i];
  t[k] = '\0';
  static const struct {
    const char *name;
    qv_type_id id;
  } simple[] = {{"bool", QV_BOOL}, {"int8", QV_INT8}, {"int16", QV_INT16}, {"int32", QV_INT32}, {"int64", QV_INT64},
                {"uint8", QV_UINT8}, {"uint16", QV_UINT16}, {"uint32", QV_UINT32}, {"uint64", QV_UINT64},
                {"float32", QV_FLOAT32}, {"float", QV_FLOAT32}, {"float64", QV_FLOAT64}, {"double", QV_FLOAT64},
                {"utf8", QV_UTF8}, {"string", QV_UTF8}, {"large_utf8", QV_LARGE_UTF8}, {"binary", QV_BINARY},
                {"large_binary", QV_LARGE_BINARY}, {"date32", QV_DATE32}, {"date", QV_DATE32},
                {"date64", QV_DATE64}, {"null", QV_NA}};
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
    if (strcmp(t, simple[i].name) == 0) return *out = qv_type_primitive(simple[i].id), QV_OK;
  int p, s;
  if (sscanf(t, "decimal128(%d,%d)", &p, &s) == 2 || sscanf(t, "decimal(%d,%d)", &p, &s) == 2)
    return qv_type_decimal(QV_DECIMAL128, p, s, out, err);
  if (sscanf(t, "decimal256(%d,%d)", &p, &s) == 2) return qv_type_decimal(QV_DECIMAL256, p, s, out, err);
  if (sscanf(t, "fixed_size_binary(%d)", &p) == 1) return qv_type_fixed_size_binary(p, out, err);
  char *open = strchr(t, '['), *close = strrchr(t, ']');
  if (open && close && close[1] == '\0') {
    const char *args = open + 1;
    const char *comma = strchr(args, ',');
    size_t unit_len = (size_t)((comma ? comma : close) - args);
    qv_time_unit unit;
    if (!parse_unit(args, unit_len, &unit)) return qv_error_set(err, QV_INVALID, "bad time unit in '%s'", t);
    size_t head = (size_t)(open - t);
    if (head == 9 && strncmp(t, "timestamp", 9) == 0) {
      char tz[64] = "";
      if (comma) snprintf(tz, sizeof tz, "%.*s", (int)(close - comma - 1), comma + 1);
      return qv_type_timestamp(unit, comma ? tz : NULL, out, err);
    }
    if (head == 6 && strncmp(t, "time32", 6) == 0) return qv_type_time(QV_TIME32, unit, out, err);
    if (head == 6 && strncmp(t, "time64", 6) == 0) return qv_type_time(QV_TIME64, unit, out, err);
    if (head == 8 && strncmp(t, "duration", 8) == 0) return qv_type_time(QV_DURATION, unit, out, err);
  }
  return qv_error_set(err, QV_INVALID, "unknown type '%s'", t);
}

/* "name:type,name:type!" into a schema; commas inside (), [] do not split. */
static qv_status parse_schema(const char *spec, qv_schema **out, qv_error *err) {
  qv_field *fields[1024];
  int32_t n = 0;
  qv_status st = QV_OK;
  const char *p = spec;
  while (st == QV_OK && *p) {
    const char *e = p;
    int depth = 0;
    while (*e && (depth > 0 || *e != ',')) {
      if (*e == '(' || *e == '[') depth++;
      if (*e == ')' || *e == ']') depth--;
      e++;
    }
    const char *colon = memchr(p, ':', (size_t)(e - p));
    if (!colon || n == 1024) {
      st = qv_error_set(err, QV_INVALID, "bad schema field '%.*s'", (int)(e - p), p);
      break;
    }
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(colon - p), p);
    const char *type_end = e;
    bool nullable = true;
    while (type_end > colon + 1 && type_end[-1] == ' ') type_end--;
    if (type_end > colon + 1 && type_end[-1] == '!') {
      nullable = false;
      type_end--;
    }
    qv_data_type *t = NULL;
    st = parse_type(colon + 1, (size_t)(type_end - colon - 1), &t, err);
    if (st == QV_OK) st = qv_field_create(name, t, nullable, NULL, &fields[n], err);
    if (st == QV_OK) n++;
    qv_type_unref(t);
    p = *e ? e + 1 : e;
  }
  if (st == QV_OK) st = qv_schema_create(fields, n, NULL, out, err);
  for (int32_t i = 0; i < n; i++) qv_field_unref(fields[i]);
  return st;
}

/* ---- output ----------------------------------------------------------------- */

static qv_status sink_write(sink *s, qv_record_batch *b, qv_error *err) {
  if (strcmp(s->format, "ipc") == 0) {
    if (!s->ipc)
      QV_RETURN_NOT_OK(qv_ipc_stream_writer_create(qv_record_batch_schema(b), NULL, qv_ipc_sink_file(stdout),
                                                   &s->ipc, err));
    return qv_ipc_stream_writer_write(s->ipc, b, err);
  }
  bool first = !s->wrote_any;
  s->wrote_any = true;
  if (strcmp(s->format, "csv") == 0) return qv_csv_write_batch(stdout, b, &s->csv, first && s->header, err);
  return qv_json_write_batch(stdout, b, err);
}

static qv_status sink_close(sink *s, qv_schema *schema, qv_error *err) {
  if (strcmp(s->format, "ipc") != 0) return QV_OK;
  if (!s->ipc && schema)
    QV_RETURN_NOT_OK(qv_ipc_stream_writer_create(schema, NULL, qv_ipc_sink_file(stdout), &s->ipc, err));
  return s->ipc ? qv_ipc_stream_writer_close(s->ipc, err) : QV_OK;
}

/* Reads records starting in [begin, end) and writes them. */
static qv_status copy_range(qv_buffer *data, int64_t begin, int64_t end, const qv_csv_read_options *opts,
                            qv_schema *schema, sink *s, qv_error *err) {
  qv_csv_reader *r = NULL;
  QV_RETURN_NOT_OK(qv_csv_reader_create(data, begin, end, opts, schema, &r, err));
  qv_status st = QV_OK;
  for (;;) {
    qv_record_batch *b = NULL;
    st = qv_csv_reader_next(r, &b, err);
    if (st != QV_OK || !b) break;
    st = sink_write(s, b, err);
    qv_record_batch_unref(b);
    if (st != QV_OK) break;
  }
  qv_csv_reader_destroy(r);
  return st;
}

static qv_status copy_ipc(qv_buffer *data, sink *s, qv_error *err) {
  qv_ipc_stream_reader *r = NULL;
  QV_RETURN_NOT_OK(qv_ipc_stream_reader_create(data, NULL, &r, err));
  qv_status st = QV_OK;
  for (;;) {
    qv_record_batch *b = NULL;
    st = qv_ipc_stream_reader_next(r, &b, err);
    if (st != QV_OK || !b) break;
    st = sink_write(s, b, err);
    qv_record_batch_unref(b);
    if (st != QV_OK) break;
  }
  if (st == QV_OK) st = sink_close(s, qv_ipc_stream_reader_schema(r), err);
  qv_ipc_stream_reader_destroy(r);
  return st;
}

int main(int argc, char **argv) {
  qv_csv_read_options opts;
  qv_csv_read_options_init(&opts);
  sink s = {.format = "ipc", .header = true};
  qv_csv_write_options_init(&s.csv);
  const char *in_format = "csv", *schema_spec = NULL, *path = NULL;
  int64_t ranges = 1, range_begin = 0, range_end = -1;
  bool print_schema = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE() (v ? (i++, v) : (usage(), exit(2), ""))
    if (strcmp(a, "--in") == 0) in_format = TAKE();
    else if (strcmp(a, "--out") == 0) s.format = TAKE();
    else if (strcmp(a, "--delimiter") == 0) opts.delimiter = parse_char(TAKE());
    else if (strcmp(a, "--quote") == 0) opts.quote = parse_char(TAKE());
    else if (strcmp(a, "--no-quote") == 0) opts.quote = '\0';
    else if (strcmp(a, "--escape") == 0) opts.escape = parse_char(TAKE());
    else if (strcmp(a, "--no-header") == 0) opts.header = false;
    else if (strcmp(a, "--null") == 0) opts.null_string = TAKE();
    else if (strcmp(a, "--no-null") == 0) opts.null_string = NULL;
    else if (strcmp(a, "--newlines-in-values") == 0) opts.newlines_in_values = true;
    else if (strcmp(a, "--no-newlines-in-values") == 0) opts.newlines_in_values = false;
    else if (strcmp(a, "--trailing-delimiter") == 0) opts.trailing_delimiter = true;
    else if (strcmp(a, "--keep-empty-lines") == 0) opts.ignore_empty_lines = false;
    else if (strcmp(a, "--infer-rows") == 0) opts.infer_rows = atoll(TAKE());
    else if (strcmp(a, "--batch-size") == 0) opts.batch_size = atoll(TAKE());
    else if (strcmp(a, "--tbl") == 0) qv_csv_read_options_init_tbl(&opts);
    else if (strcmp(a, "--schema") == 0) schema_spec = TAKE();
    else if (strcmp(a, "--ranges") == 0) ranges = atoll(TAKE());
    else if (strcmp(a, "--range") == 0) {
      const char *r = TAKE();
      if (sscanf(r, "%lld:%lld", (long long *)&range_begin, (long long *)&range_end) != 2) return usage();
    } else if (strcmp(a, "--out-delimiter") == 0) s.csv.delimiter = parse_char(TAKE());
    else if (strcmp(a, "--out-null") == 0) s.csv.null_string = TAKE();
    else if (strcmp(a, "--no-out-header") == 0) s.header = false;
    else if (strcmp(a, "--crlf") == 0) s.csv.crlf = true;
    else if (strcmp(a, "--print-schema") == 0) print_schema = true;
    else if (a[0] == '-' && a[1] != '\0') return usage();
    else path = a;
#undef TAKE
  }
  if (ranges < 1) return usage();
  qv_error err = {0};
  qv_schema *schema = NULL;
  qv_buffer *data = NULL;
  qv_status st = QV_OK;
  if (schema_spec) st = parse_schema(schema_spec, &schema, &err);
  if (st == QV_OK) st = qv__file_read_all(path ? path : "/dev/stdin", NULL, &data, &err);
  if (st == QV_OK && !opts.file_name && path) opts.file_name = path;
  if (st == QV_OK && strcmp(in_format, "ipc") == 0) {
    st = copy_ipc(data, &s, &err);
  } else if (st == QV_OK) {
    /* Every range reader must use the same schema: infer it once. */
    if (!schema) st = qv_csv_infer_schema(data, &opts, &schema, &err);
    if (st == QV_OK && print_schema) {
      for (int32_t c = 0; c < qv_schema_num_fields(schema); c++) {
        char buf[256];
        qv_field *f = qv_schema_field(schema, c);
        printf("%s: %s%s\n", qv_field_name(f), qv_type_to_string(qv_field_type(f), buf, sizeof buf),
               qv_field_nullable(f) ? "" : " not null");
      }
    } else if (st == QV_OK) {
      int64_t size = qv_buffer_size(data);
      if (ranges > 1) {
        for (int64_t k = 0; k < ranges && st == QV_OK; k++)
          st = copy_range(data, size * k / ranges, size * (k + 1) / ranges, &opts, schema, &s, &err);
      } else {
        st = copy_range(data, range_begin, range_end, &opts, schema, &s, &err);
      }
      if (st == QV_OK) st = sink_close(&s, schema, &err);
    }
  }
  qv_ipc_stream_writer_destroy(s.ipc);
  qv_schema_unref(schema);
  qv_buffer_unref(data);
  if (fflush(stdout) != 0 && st == QV_OK) st = qv_error_set(&err, QV_IO, "writing standard output failed");
  if (st != QV_OK) {
    fprintf(stderr, "quiver-csvcat: %s\n", err.message);
    return 1;
  }
  return 0;
}
