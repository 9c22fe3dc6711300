/* Restoring Arrow types from the "ARROW:schema" key that Arrow writers put
 * in a Parquet footer: the base64 of an IPC Schema message (with or without
 * the 0xFFFFFFFF continuation marker) describing the table as it was
 * written. Parquet cannot say "large_utf8", "large_list", "timestamp in
 * Europe/Paris" or "duration", so where the recorded type and the node built
 * from the Parquet schema agree on everything but those, the recorded type
 * wins; everything else keeps the Parquet type. The value is untrusted like
 * the rest of the file: it goes through the verified IPC decoder, and any
 * failure just means no restoration. */
#include <stdlib.h>
#include <string.h>

#include "arrow/internal.h"
#include "io/parquet/schema.h"
#include "quiver/ipc.h"

static int b64_value(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

/* Decodes base64 (padding optional) into a malloc'ed buffer; NULL on bad
 * input. */
static uint8_t *b64_decode(const uint8_t *in, int64_t len, int64_t *out_len) {
  uint8_t *out = malloc((size_t)(len / 4 * 3 + 3));
  if (!out) return NULL;
  int64_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (int64_t i = 0; i < len; i++) {
    if (in[i] == '=') break;
    int v = b64_value(in[i]);
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (uint8_t)(acc >> bits);
    }
  }
  *out_len = n;
  return out;
}

static void set_leaf_type(qv_pq_column *col, qv_data_type *t) {
  qv_type_unref(col->type);
  col->type = qv_type_ref(t);
}

static void apply(qv_pq_schema *s, qv_pq_node *n, const qv_field *f, int depth) {
  const qv_data_type *at = qv_field_type(f);
  if (depth > QV_PQ_MAX_NESTING) return;
  switch (n->kind) {
    case QV_PQ_NODE_LEAF: {
      qv_pq_column *col = &s->columns[n->column];
      qv_type_id have = col->type->id, want = at->id;
      if ((have == QV_UTF8 && want == QV_LARGE_UTF8) || (have == QV_BINARY && want == QV_LARGE_BINARY)) {
        set_leaf_type(col, qv_type_primitive(want));
        col->large = true;
      } else if (have == QV_TIMESTAMP && want == QV_TIMESTAMP && col->type->unit == at->unit &&
                 col->conversion == QV_PQ_CONV_NONE) {
        set_leaf_type(col, (qv_data_type *)at);
      } else if (have == QV_INT64 && want == QV_DURATION && col->conversion == QV_PQ_CONV_NONE) {
        set_leaf_type(col, (qv_data_type *)at);
      }
      return;
    }
    case QV_PQ_NODE_STRUCT:
      if (at->id != QV_STRUCT || at->n_children != n->n_children) return;
      for (int32_t i = 0; i < n->n_children; i++) apply(s, n->children[i], at->children[i], depth + 1);
      return;
    case QV_PQ_NODE_LIST:
      if (at->id != QV_LIST && at->id != QV_LARGE_LIST) return;
      n->large = at->id == QV_LARGE_LIST;
      apply(s, n->children[0], at->children[0], depth + 1);
      return;
    case QV_PQ_NODE_MAP:
      if (at->id != QV_MAP) return;
      apply(s, n->children[0], at->children[0], depth + 1);
      return;
  }
}

void qv__pq_apply_arrow_schema(qv_pq_schema *s, const uint8_t *b64, int64_t len) {
  int64_t n;
  uint8_t *msg = b64_decode(b64, len, &n);
  if (!msg) return;
  /* Encapsulated message: [0xFFFFFFFF] int32 length, then the flatbuffer. */
  int64_t pos = 0;
  if (n >= 4 && memcmp(msg, "\xff\xff\xff\xff", 4) == 0) pos = 4;
  int32_t fb_len = 0;
  if (n - pos >= 4) memcpy(&fb_len, msg + pos, 4);
  pos += 4;
  qv_ipc_decoder *dec = NULL;
  qv_error err;
  qv_record_batch *none = NULL;
  if (fb_len > 0 && fb_len <= n - pos && qv_ipc_decoder_create(NULL, &dec, &err) == QV_OK &&
      qv_ipc_decoder_decode(dec, msg + pos, fb_len, NULL, &none, &err) == QV_OK) {
    qv_record_batch_unref(none);
    const qv_schema *as = qv_ipc_decoder_schema(dec);
    if (as && qv_schema_num_fields(as) == s->n_fields) {
      for (int32_t i = 0; i < s->n_fields; i++) {
        const qv_field *f = qv_schema_field(as, i);
        if (strcmp(qv_field_name(f), s->fields[i]->name) == 0) apply(s, s->fields[i], f, 0);
      }
    }
  }
  qv_ipc_decoder_destroy(dec);
  free(msg);
}
