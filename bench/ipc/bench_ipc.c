/* bench/ipc: Arrow IPC stream write and read throughput through memory, for
 * about 1 GiB of lineitem-like batches (int64, decimal128, date32, short
 * strings), uncompressed, LZ4 and ZSTD, next to memcpy bandwidth measured in
 * the same run. A second table shows that an uncompressed read does not copy:
 * its time per batch stays flat while batches grow from 8 Ki to 1 Mi rows.
 *
 * Usage: bench_ipc [TOTAL_MIB=1024]
 * Prints one BENCH line per case (DESIGN.md §7); efficiency = quiver / memcpy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quiver/array.h"
#include "quiver/ipc.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const qv_error *err) {
  fprintf(stderr, "bench_ipc: %s: %s\n", what, err->message);
  exit(1);
}

/* Pseudo-random numbers (xorshift) so the data is not trivially compressible. */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static qv_schema *lineitem_schema(void) {
  qv_error err = {0};
  qv_data_type *dec;
  if (qv_type_decimal(QV_DECIMAL128, 15, 2, &dec, &err)) die("type", &err);
  qv_data_type *types[] = {qv_type_primitive(QV_INT64), dec, qv_type_primitive(QV_DATE32), qv_type_primitive(QV_UTF8)};
  const char *names[] = {"l_orderkey", "l_extendedprice", "l_shipdate", "l_shipmode"};
  qv_field *fields[4];
  for (int i = 0; i < 4; i++)
    if (qv_field_create(names[i], types[i], false, NULL, &fields[i], &err)) die("field", &err);
  qv_schema *s;
  if (qv_schema_create(fields, 4, NULL, &s, &err)) die("schema", &err);
  for (int i = 0; i < 4; i++) qv_field_unref(fields[i]);
  qv_type_unref(dec);
  return s;
}

/* A batch of `rows` rows; *bytes gets the size of its buffers. */
static qv_record_batch *lineitem_batch(qv_schema *s, int64_t rows, int64_t *bytes) {
  static const char *modes[] = {"AIR", "MAIL", "SHIP", "TRUCK", "RAIL", "FOB", "REG AIR"};
  qv_error err = {0};
  qv_array_builder b[4];
  qv_array *cols[4];
  for (int i = 0; i < 4; i++)
    if (qv_array_builder_init(&b[i], NULL, qv_field_type(qv_schema_field(s, i)), &err)) die("builder", &err);
  int64_t strbytes = 0;
  for (int64_t r = 0; r < rows; r++) {
    const char *m = modes[next_rand() % 7];
    int64_t mlen = (int64_t)strlen(m);
    strbytes += mlen;
    if (qv_array_builder_append_int(&b[0], (int64_t)(next_rand() % 6000000), &err) ||
        qv_array_builder_append_int(&b[1], (int64_t)(next_rand() % 10000000), &err) ||
        qv_array_builder_append_int(&b[2], 8000 + (int64_t)(next_rand() % 2500), &err) ||
        qv_array_builder_append_binary(&b[3], m, mlen, &err))
      die("append", &err);
  }
  for (int i = 0; i < 4; i++)
    if (qv_array_builder_finish(&b[i], &cols[i], &err)) die("finish", &err);
  qv_record_batch *batch;
  if (qv_record_batch_create(s, rows, cols, 4, &batch, &err)) die("batch", &err);
  for (int i = 0; i < 4; i++) qv_array_unref(cols[i]);
  *bytes = rows * (8 + 16 + 4 + 4) + 4 + strbytes;
  return batch;
}

typedef struct {
  qv_record_batch **batches;
  int n_distinct;
  int64_t n_total;   /* batches written (cycling through the distinct ones) */
  int64_t data_bytes;
} workload;

static workload make_workload(qv_schema *s, int64_t rows, int64_t total_bytes) {
  workload w = {0};
  w.n_distinct = 8;
  w.batches = calloc((size_t)w.n_distinct, sizeof *w.batches);
  int64_t per = 0;
  for (int i = 0; i < w.n_distinct; i++) w.batches[i] = lineitem_batch(s, rows, &per);
  w.n_total = total_bytes / per;
  if (w.n_total < w.n_distinct) w.n_total = w.n_distinct;
  w.data_bytes = w.n_total * per;
  return w;
}

static void free_workload(workload *w) {
  for (int i = 0; i < w->n_distinct; i++) qv_record_batch_unref(w->batches[i]);
  free(w->batches);
}

/* Writes the workload as one stream into memory; returns seconds. */
static double write_stream(qv_schema *s, const workload *w, qv_ipc_compression codec, qv_buffer **out) {
  qv_error err = {0};
  qv_bytes sink;
  qv_bytes_init(&sink, NULL);
  /* Reserve up front so the figure measures encoding, not reallocation. */
  if (qv_bytes_reserve(&sink, w->data_bytes + w->data_bytes / 4 + (1 << 20), &err)) die("reserve", &err);
  memset(sink.data, 0, (size_t)sink.capacity);
  qv_ipc_write_options opts;
  qv_ipc_write_options_init(&opts);
  opts.compression = codec;
  double t0 = now();
  qv_ipc_stream_writer *wr;
  if (qv_ipc_stream_writer_create(s, &opts, qv_ipc_sink_bytes(&sink), &wr, &err)) die("writer", &err);
  for (int64_t i = 0; i < w->n_total; i++)
    if (qv_ipc_stream_writer_write(wr, w->batches[i % w->n_distinct], &err)) die("write", &err);
  if (qv_ipc_stream_writer_close(wr, &err)) die("close", &err);
  double t = now() - t0;
  qv_ipc_stream_writer_destroy(wr);
  if (qv_bytes_finish(&sink, out, &err)) die("finish", &err);
  return t;
}

/* Reads every batch of a stream and touches one value of each column so the
 * arrays are really produced; returns seconds. */
static double read_stream(qv_buffer *data, bool validate, int64_t expect_batches) {
  qv_error err = {0};
  qv_ipc_read_options opts;
  qv_ipc_read_options_init(&opts);
  opts.validate = validate;
  opts.max_decompressed_size = (int64_t)4 << 30;
  double t0 = now();
  qv_ipc_stream_reader *r;
  if (qv_ipc_stream_reader_create(data, &opts, &r, &err)) die("reader", &err);
  int64_t n = 0;
  volatile uint64_t sink = 0;
  for (;;) {
    qv_record_batch *b;
    if (qv_ipc_stream_reader_next(r, &b, &err)) die("read", &err);
    if (!b) break;
    for (int32_t c = 0; c < qv_record_batch_num_columns(b); c++)
      sink += qv_buffer_data(qv_array_buffer(qv_record_batch_column(b, c), 1))[0];
    qv_record_batch_unref(b);
    n++;
  }
  double t = now() - t0;
  qv_ipc_stream_reader_destroy(r);
  if (sink == 0xdeadbeef) printf("(unlikely checksum)\n"); /* keeps the reads alive */
  if (n != expect_batches) {
    fprintf(stderr, "bench_ipc: read %lld batches, wrote %lld\n", (long long)n, (long long)expect_batches);
    exit(1);
  }
  return t;
}

static double memcpy_gbps(int64_t bytes) {
  char *src = malloc((size_t)bytes), *dst = malloc((size_t)bytes);
  if (!src || !dst) {
    fprintf(stderr, "bench_ipc: out of memory\n");
    exit(1);
  }
  memset(src, 1, (size_t)bytes);
  memset(dst, 0, (size_t)bytes);
  double best = 1e9;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = now();
    memcpy(dst, src, (size_t)bytes);
    double t = now() - t0;
    if (t < best) best = t;
  }
  volatile char keep = dst[bytes - 1];
  (void)keep;
  free(src);
  free(dst);
  return (double)bytes / best / 1e9;
}

static void bench_line(const char *name, double gbps, double base) {
  printf("BENCH suite=ipc case=%s unit=GB/s quiver=%.3f baseline=memcpy:%.3f efficiency=%.3f\n", name, gbps, base,
         gbps / base);
}

int main(int argc, char **argv) {
  int64_t total = (argc > 1 ? atoll(argv[1]) : 1024) << 20;
  qv_schema *s = lineitem_schema();
  double base = memcpy_gbps(total);
  printf("memcpy: %.2f GB/s over %lld MiB\n\n", base, (long long)(total >> 20));

  workload w = make_workload(s, 65536, total);
  printf("%lld batches of 65536 rows, %.2f GB of column data\n", (long long)w.n_total, (double)w.data_bytes / 1e9);
  printf("%-10s %12s %12s %16s %14s\n", "codec", "write GB/s", "read GB/s", "read+valid GB/s", "stream bytes");
  struct {
    const char *name;
    qv_ipc_compression codec;
  } codecs[] = {{"none", QV_IPC_COMPRESSION_NONE}, {"lz4", QV_IPC_COMPRESSION_LZ4_FRAME}, {"zstd", QV_IPC_COMPRESSION_ZSTD}};
  char lines[3][3][160];
  for (int c = 0; c < 3; c++) {
    qv_buffer *data;
    double tw = write_stream(s, &w, codecs[c].codec, &data);
    double tr = read_stream(data, false, w.n_total);
    double tv = read_stream(data, true, w.n_total);
    double gw = (double)w.data_bytes / tw / 1e9, gr = (double)w.data_bytes / tr / 1e9, gv = (double)w.data_bytes / tv / 1e9;
    printf("%-10s %12.2f %12.2f %16.2f %14lld\n", codecs[c].name, gw, gr, gv, (long long)qv_buffer_size(data));
    snprintf(lines[c][0], sizeof lines[c][0], "write_%s", codecs[c].name);
    snprintf(lines[c][1], sizeof lines[c][1], "read_%s", codecs[c].name);
    snprintf(lines[c][2], sizeof lines[c][2], "read_validated_%s", codecs[c].name);
    qv_buffer_unref(data);
    bench_line(lines[c][0], gw, base);
    bench_line(lines[c][1], gr, base);
    bench_line(lines[c][2], gv, base);
  }
  free_workload(&w);

  printf("\nzero-copy check: uncompressed read without validation, by batch size\n");
  printf("%10s %10s %14s %12s\n", "rows", "batches", "us per batch", "read GB/s");
  int64_t sizes[] = {8192, 65536, 1048576};
  for (int i = 0; i < 3; i++) {
    workload z = make_workload(s, sizes[i], total / 4);
    qv_buffer *data;
    write_stream(s, &z, QV_IPC_COMPRESSION_NONE, &data);
    double tr = read_stream(data, false, z.n_total);
    double gr = (double)z.data_bytes / tr / 1e9;
    printf("%10lld %10lld %14.2f %12.2f\n", (long long)sizes[i], (long long)z.n_total, tr / (double)z.n_total * 1e6, gr);
    char name[64];
    snprintf(name, sizeof name, "read_none_rows_%lld", (long long)sizes[i]);
    bench_line(name, gr, base);
    qv_buffer_unref(data);
    free_workload(&z);
  }
  qv_schema_unref(s);
  return 0;
}
