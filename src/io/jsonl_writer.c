/* The JSON Lines writer: one JSON object per row, members in column order
 * (quiver/jsonl.h lists the form of each type). The member names are escaped
 * once per batch; values come from io/text_format.c. qv_json_write_batch
 * formats the whole batch before one fwrite. */
#include <string.h>

#include "arrow/internal.h"
#include "io/text_format.h"
#include "quiver/jsonl.h"

qv_status qv_json_format_batch(qv_bytes *out, const qv_record_batch *b, qv_error *err) {
  int32_t n_cols = b->n_columns;
  /* "name": for every column, back to back; key_end[c] is where c's ends. */
  qv_bytes keys;
  qv_bytes_init(&keys, out->alloc);
  int64_t *key_end = qv_alloc(out->alloc, ((int64_t)n_cols + 1) * 8);
  qv_status st = key_end ? QV_OK : qv_error_set(err, QV_NOMEM, "json: out of memory");
  for (int32_t c = 0; c < n_cols && st == QV_OK; c++) {
    const char *name = b->schema->fields[c]->name;
    st = qv__json_append_string(&keys, (const uint8_t *)name, (int64_t)strlen(name), err);
    if (st == QV_OK) st = qv_bytes_append(&keys, ":", 1, err);
    if (st == QV_OK) key_end[c] = keys.size;
  }
  for (int64_t r = 0; r < b->num_rows && st == QV_OK; r++) {
    st = qv_bytes_append(out, "{", 1, err);
    for (int32_t c = 0; c < n_cols && st == QV_OK; c++) {
      int64_t ks = c ? key_end[c - 1] : 0;
      if (c) st = qv_bytes_append(out, ",", 1, err);
      if (st == QV_OK) st = qv_bytes_append(out, keys.data + ks, key_end[c] - ks, err);
      if (st == QV_OK) st = qv__json_append_value(b->columns[c], r, out, err);
    }
    if (st == QV_OK) st = qv_bytes_append(out, "}\n", 2, err);
  }
  if (key_end) qv_free(out->alloc, key_end, ((int64_t)n_cols + 1) * 8);
  qv_bytes_reset(&keys);
  return st;
}

qv_status qv_json_write_batch(FILE *out, const qv_record_batch *b, qv_error *err) {
  qv_bytes buf;
  qv_bytes_init(&buf, NULL);
  qv_status st = qv_json_format_batch(&buf, b, err);
  if (st == QV_OK && buf.size > 0 && fwrite(buf.data, 1, (size_t)buf.size, out) != (size_t)buf.size)
    st = qv_error_set(err, QV_IO, "json: writing failed");
  qv_bytes_reset(&buf);
  return st;
}
