/* libFuzzer target for the CSV reader (and, on what it reads, the CSV and
 * JSON Lines writers). The whole input is the CSV text; its size and last byte
 * pick the options (delimiter, quoting, escape, header, null string,
 * newlines_in_values, trailing delimiters, batch size), so seed files stay
 * plain CSV. Every run uses an allocator capped at 64 MiB and checks:
 *
 *  - reading with inference, and with two fixed schemas built for the
 *    inferred column count (one of types that survive a CSV round trip, one
 *    of the others), gives batches that pass qv_array_validate_full;
 *  - when the whole read succeeds and values hold no newlines, reading the
 *    file as two byte ranges split at a point taken from the input gives the
 *    same rows (compared through the CSV writer's text);
 *  - a batch of the round-trip schema written by the CSV writer reads back
 *    equal with default options;
 *  - nothing leaks (the allocator is empty at the end).
 * A failed check traps so that the fuzzer reports it.
 *
 * Seed corpus: tests/data/csv/ (fuzz/fuzz_csv.seeds). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "quiver/csv.h"
#include "quiver/jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BATCHES 1000

/* Reads [begin, end) and appends every batch's CSV text to text (when not
 * NULL). Returns the reader's status; QV_OK means every batch read. */
static qv_status read_range(qv_buffer *input, int64_t begin, int64_t end, const qv_csv_read_options *o,
                            qv_schema *schema, qv_bytes *text, qv_schema **schema_out) {
  qv_error err;
  qv_csv_reader *r = NULL;
  qv_status st = qv_csv_reader_create(input, begin, end, o, schema, &r, &err);
  if (st != QV_OK) return st;
  if (schema_out) *schema_out = qv_schema_ref(qv_csv_reader_schema(r));
  for (int i = 0; i < MAX_BATCHES; i++) {
    qv_record_batch *b = NULL;
    st = qv_csv_reader_next(r, &b, &err);
    if (st != QV_OK || !b) break;
    if (qv_record_batch_validate_full(b, &err) != QV_OK) __builtin_trap();
    if (text) {
      qv_status wst = qv_csv_format_batch(text, b, NULL, false, &err);
      if (wst != QV_OK && wst != QV_NOMEM) __builtin_trap();
      if (wst != QV_OK) st = wst;
    }
    qv_bytes json;
    qv_bytes_init(&json, o->alloc);
    qv_status jst = qv_json_format_batch(&json, b, &err);
    if (jst != QV_OK && jst != QV_NOMEM) __builtin_trap();
    qv_bytes_reset(&json);
    qv_record_batch_unref(b);
    if (st != QV_OK) break;
  }
  qv_csv_reader_destroy(r);
  return st;
}

/* Writes each batch of `schema` read from input as CSV and reads it back. */
static void round_trip(qv_allocator *alloc, qv_buffer *input, const qv_csv_read_options *o, qv_schema *schema) {
  qv_error err;
  qv_csv_reader *r = NULL;
  if (qv_csv_reader_create(input, 0, -1, o, schema, &r, &err) != QV_OK) return;
  for (int i = 0; i < MAX_BATCHES; i++) {
    qv_record_batch *b = NULL;
    if (qv_csv_reader_next(r, &b, &err) != QV_OK || !b) break;
    qv_bytes text;
    qv_bytes_init(&text, alloc);
    qv_status st = qv_csv_format_batch(&text, b, NULL, false, &err);
    qv_buffer *written = NULL;
    if (st == QV_OK) st = qv_bytes_finish(&text, &written, &err);
    qv_bytes_reset(&text);
    if (st == QV_OK) {
      qv_csv_read_options back_opts;
      qv_csv_read_options_init(&back_opts);
      back_opts.alloc = alloc;
      back_opts.header = false;
      back_opts.ignore_empty_lines = false; /* a one-column row of "" is an empty line */
      back_opts.batch_size = qv_record_batch_num_rows(b);
      qv_csv_reader *r2 = NULL;
      qv_record_batch *back = NULL;
      st = qv_csv_reader_create(written, 0, -1, &back_opts, schema, &r2, &err);
      if (st == QV_OK) st = qv_csv_reader_next(r2, &back, &err);
      if (st == QV_OK && (!back || !qv_record_batch_equals(b, back))) __builtin_trap();
      if (st != QV_OK && st != QV_NOMEM) __builtin_trap();
      qv_record_batch_unref(back);
      qv_csv_reader_destroy(r2);
    }
    qv_buffer_unref(written);
    qv_record_batch_unref(b);
  }
  qv_csv_reader_destroy(r);
}

/* A schema of n columns whose types cycle through `types` from `start`. */
static qv_schema *cycle_schema(int32_t n, qv_data_type *const *types, int n_types, int start) {
  if (n > 256) return NULL;
  qv_field *fields[256];
  qv_error err;
  int32_t made = 0;
  for (; made < n; made++) {
    char name[16];
    name[0] = 'c';
    name[1] = (char)('a' + made % 26);
    name[2] = '\0';
    if (qv_field_create(name, types[(start + made) % n_types], true, NULL, &fields[made], &err) != QV_OK) break;
  }
  qv_schema *s = NULL;
  if (made == n && qv_schema_create(fields, n, NULL, &s, &err) != QV_OK) s = NULL;
  for (int32_t i = 0; i < made; i++) qv_field_unref(fields[i]);
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qv_allocator *alloc = NULL;
  qv_error err;
  if (qv_allocator_create((int64_t)64 << 20, &alloc, &err) != QV_OK) return 0;
  qv_buffer *input = NULL;
  if (qv_buffer_wrap(data, (int64_t)size, NULL, NULL, &input, &err) != QV_OK) {
    qv_allocator_destroy(alloc);
    return 0;
  }
  uint8_t sel = size ? (uint8_t)(data[size - 1] ^ (uint8_t)(size * 37)) : 0;
  qv_csv_read_options o;
  if ((sel & 7) == 7) {
    qv_csv_read_options_init_tbl(&o);
  } else {
    static const char delims[] = {',', '\t', ';', '|'};
    static const char *nulls[] = {"", "NULL", "\\N", NULL};
    qv_csv_read_options_init(&o);
    o.delimiter = delims[sel & 3];
    o.quote = (sel & 4) ? '"' : '\0';
    o.escape = (sel & 8) ? '\\' : '\0';
    o.header = (sel & 16) != 0;
    o.newlines_in_values = (sel & 32) != 0;
    o.trailing_delimiter = (sel & 64) != 0;
    o.null_string = nulls[(sel >> 6) & 3];
  }
  o.alloc = alloc;
  o.batch_size = 1 + (int64_t)(size % 7) * 5;
  o.infer_rows = 100;

  qv_bytes whole;
  qv_bytes_init(&whole, alloc);
  qv_schema *inferred = NULL;
  qv_status st = read_range(input, 0, -1, &o, NULL, &whole, &inferred);
  if (st == QV_OK && qv_csv_splittable(&o) && size > 0) {
    /* The split point comes from the first bytes of the input. */
    uint32_t h = 0;
    for (size_t i = 0; i < size && i < 4; i++) h = h * 131 + data[i];
    int64_t cut = (int64_t)(h % (uint32_t)(size + 1));
    qv_bytes parts;
    qv_bytes_init(&parts, alloc);
    qv_status s1 = read_range(input, 0, cut, &o, inferred, &parts, NULL);
    qv_status s2 = s1 == QV_OK ? read_range(input, cut, -1, &o, inferred, &parts, NULL) : s1;
    if (s1 != QV_OK && s1 != QV_NOMEM) __builtin_trap();
    if (s2 != QV_OK && s2 != QV_NOMEM) __builtin_trap();
    if (s1 == QV_OK && s2 == QV_OK &&
        (parts.size != whole.size || (whole.size && memcmp(parts.data, whole.data, (size_t)whole.size) != 0)))
      __builtin_trap();
    qv_bytes_reset(&parts);
  }
  qv_bytes_reset(&whole);

  if (inferred && qv_schema_num_fields(inferred) > 0) {
    int32_t n = qv_schema_num_fields(inferred);
    qv_data_type *dec = NULL, *dec256 = NULL, *ts = NULL, *tsz = NULL, *t64 = NULL, *fsb = NULL;
    if (qv_type_decimal(QV_DECIMAL128, 15, 2, &dec, &err) == QV_OK &&
        qv_type_decimal(QV_DECIMAL256, 40, 5, &dec256, &err) == QV_OK &&
        qv_type_timestamp(QV_MILLI, NULL, &ts, &err) == QV_OK &&
        qv_type_timestamp(QV_NANO, "UTC", &tsz, &err) == QV_OK &&
        qv_type_time(QV_TIME64, QV_MICRO, &t64, &err) == QV_OK &&
        qv_type_fixed_size_binary(3, &fsb, &err) == QV_OK) {
      qv_data_type *trip[] = {qv_type_primitive(QV_INT64), dec, qv_type_primitive(QV_DATE32),
                              qv_type_primitive(QV_UTF8), qv_type_primitive(QV_BOOL), qv_type_primitive(QV_INT32)};
      qv_data_type *other[] = {ts, tsz, qv_type_primitive(QV_FLOAT64), qv_type_primitive(QV_UINT8), t64,
                               qv_type_primitive(QV_LARGE_UTF8), fsb, qv_type_primitive(QV_DATE64), dec256,
                               qv_type_primitive(QV_FLOAT32), qv_type_primitive(QV_BINARY)};
      qv_schema *a = cycle_schema(n, trip, 6, sel % 6);
      qv_schema *b = cycle_schema(n, other, 11, sel % 11);
      if (a) {
        (void)read_range(input, 0, -1, &o, a, NULL, NULL);
        round_trip(alloc, input, &o, a);
      }
      if (b) (void)read_range(input, 0, -1, &o, b, NULL, NULL);
      qv_schema_unref(a);
      qv_schema_unref(b);
    }
    qv_type_unref(dec);
    qv_type_unref(dec256);
    qv_type_unref(ts);
    qv_type_unref(tsz);
    qv_type_unref(t64);
    qv_type_unref(fsb);
  }
  qv_schema_unref(inferred);
  qv_buffer_unref(input);
  if (qv_allocator_bytes_allocated(alloc) != 0) __builtin_trap(); /* a leak */
  qv_allocator_destroy(alloc);
  return 0;
}
