/* quiver-demo: the main job of `make demo` for this milestone. It builds a
 * small lineitem-like table, writes it as an Arrow IPC file (ZSTD-compressed),
 * reads the file back, checks that every value survived, and prints the
 * batches as a table. Later milestones replace it with a distributed query. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quiver/array.h"
#include "quiver/ipc.h"
#include "quiver/pretty.h"

#define ROWS 12

static int fail(const char *what, const qv_error *err) {
  fprintf(stderr, "quiver-demo: %s: %s\n", what, err->message);
  return 1;
}

/* Builds the demo batch: order key, price (decimal 15,2), ship date, ship mode
 * and a comment that is sometimes null. */
static qv_status make_batch(qv_record_batch **out, qv_error *err) {
  static const char *modes[] = {"AIR", "MAIL", "SHIP", "TRUCK", "RAIL"};
  static const char *comments[] = {"quickly final", NULL, "blithely regular", "furiously even", NULL};
  qv_data_type *price_type = NULL;
  QV_RETURN_NOT_OK(qv_type_decimal(QV_DECIMAL128, 15, 2, &price_type, err));
  qv_data_type *types[] = {qv_type_primitive(QV_INT64), price_type, qv_type_primitive(QV_DATE32),
                           qv_type_primitive(QV_UTF8), qv_type_primitive(QV_UTF8)};
  const char *names[] = {"l_orderkey", "l_extendedprice", "l_shipdate", "l_shipmode", "l_comment"};
  qv_array_builder b[5];
  qv_array *cols[5] = {0};
  qv_field *fields[5] = {0};
  qv_schema *schema = NULL;
  qv_status st = QV_OK;
  int n_init = 0;
  for (; st == QV_OK && n_init < 5; n_init++) st = qv_array_builder_init(&b[n_init], NULL, types[n_init], err);
  for (int r = 0; st == QV_OK && r < ROWS; r++) {
    st = qv_array_builder_append_int(&b[0], 1000 + r * 7, err);
    if (st == QV_OK) st = qv_array_builder_append_int(&b[1], 90150 + r * 123457 % 1000000, err);
    if (st == QV_OK) st = qv_array_builder_append_int(&b[2], 9131 + r * 37, err); /* 1995-01-01 + ... */
    if (st == QV_OK) st = qv_array_builder_append_binary(&b[3], modes[r % 5], (int64_t)strlen(modes[r % 5]), err);
    const char *c = comments[r % 5];
    if (st == QV_OK)
      st = c ? qv_array_builder_append_binary(&b[4], c, (int64_t)strlen(c), err) : qv_array_builder_append_null(&b[4], err);
  }
  for (int i = 0; i < 5 && st == QV_OK; i++) st = qv_array_builder_finish(&b[i], &cols[i], err);
  for (int i = 0; i < 5 && st == QV_OK; i++) st = qv_field_create(names[i], types[i], i == 4, NULL, &fields[i], err);
  if (st == QV_OK) st = qv_schema_create(fields, 5, NULL, &schema, err);
  if (st == QV_OK) st = qv_record_batch_create(schema, ROWS, cols, 5, out, err);
  for (int i = 0; i < n_init; i++) qv_array_builder_reset(&b[i]);
  for (int i = 0; i < 5; i++) {
    qv_array_unref(cols[i]);
    qv_field_unref(fields[i]);
  }
  qv_schema_unref(schema);
  qv_type_unref(price_type);
  return st;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "build/demo.arrow";
  qv_error err = {0};
  qv_record_batch *batch = NULL;
  if (make_batch(&batch, &err) != QV_OK) return fail("building the batch", &err);

  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    return 1;
  }
  qv_ipc_write_options wopts;
  qv_ipc_write_options_init(&wopts);
  wopts.compression = QV_IPC_COMPRESSION_ZSTD;
  qv_ipc_file_writer *w = NULL;
  qv_status st = qv_ipc_file_writer_create(qv_record_batch_schema(batch), &wopts, qv_ipc_sink_file(f), &w, &err);
  if (st == QV_OK) st = qv_ipc_file_writer_write(w, batch, &err);
  if (st == QV_OK) st = qv_ipc_file_writer_close(w, &err);
  qv_ipc_file_writer_destroy(w);
  if (fclose(f) != 0 && st == QV_OK) st = qv_error_set(&err, QV_IO, "closing %s failed", path);
  if (st != QV_OK) return fail("writing the IPC file", &err);

  /* Read it back as any consumer would: the whole file, then batch by batch. */
  f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 1;
  }
  qv_bytes bytes;
  qv_bytes_init(&bytes, NULL);
  char chunk[1 << 16];
  size_t n;
  while (st == QV_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0) st = qv_bytes_append(&bytes, chunk, (int64_t)n, &err);
  fclose(f);
  int64_t file_size = bytes.size;
  qv_buffer *data = NULL;
  if (st == QV_OK) st = qv_bytes_finish(&bytes, &data, &err);
  qv_ipc_file_reader *r = NULL;
  if (st == QV_OK) st = qv_ipc_file_reader_create(data, NULL, &r, &err);
  qv_buffer_unref(data);
  if (st != QV_OK) return fail("opening the IPC file", &err);

  printf("Wrote %s (%lld bytes, ZSTD) and read it back: %lld batch(es)\n\n", path, (long long)file_size,
         (long long)qv_ipc_file_reader_num_batches(r));
  int rc = 0;
  for (int64_t i = 0; i < qv_ipc_file_reader_num_batches(r); i++) {
    qv_record_batch *got = NULL;
    if (qv_ipc_file_reader_batch(r, i, &got, &err) != QV_OK) {
      rc = fail("reading a batch", &err);
      break;
    }
    if (qv_record_batch_print(got, -1, stdout, &err) != QV_OK) rc = fail("printing", &err);
    if (!qv_record_batch_equals(got, batch)) {
      fprintf(stderr, "quiver-demo: the batch read back differs from the one written\n");
      rc = 1;
    }
    qv_record_batch_unref(got);
  }
  if (rc == 0) printf("\nEvery value read back equals the value written.\n");
  qv_ipc_file_reader_destroy(r);
  qv_record_batch_unref(batch);
  return rc;
}
