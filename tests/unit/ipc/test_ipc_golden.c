/* The Arrow integration golden files (written by Arrow C++): every stream and
 * file decodes and fully validates; the stream and file of a case give equal
 * batches, equal to the case's JSON description; and what Quiver writes back
 * (stream and file, plain and compressed) reads back equal. */
#include <stdlib.h>
#include <string.h>

#include "arrow/integration_json.h"
#include "ipc_test_util.h"
#include "test.h"

/* path with its extension replaced. */
static void sibling(const char *path, const char *ext, const char *new_ext, char *out, size_t n) {
  size_t l = strlen(path) - strlen(ext);
  snprintf(out, n, "%.*s%s", (int)l, path, new_ext);
}

QV_TEST(ipc_golden_streams_decode) {
  char **paths;
  int n = golden_files(".stream", &paths);
  CHECK(n >= 20);
  for (int i = 0; i < n; i++) {
    qv_error err;
    qv_error_init(&err);
    qv_buffer *data = load_file(paths[i]);
    CHECK(data);
    batch_list l;
    qv_status st = read_stream(data, NULL, &l, &err);
    qv_buffer_unref(data);
    if (st != QV_OK) {
      qv_test_fail(__FILE__, __LINE__, "%s: %s", paths[i], err.message);
      continue;
    }
    batch_list_reset(&l);
  }
  free_paths(paths, n);
}

QV_TEST(ipc_golden_files_match_streams_and_json) {
  char **paths;
  int n = golden_files(".arrow_file", &paths);
  CHECK(n >= 20);
  for (int i = 0; i < n; i++) {
    qv_error err;
    qv_error_init(&err);
    char other[1024];
    qv_buffer *data = load_file(paths[i]);
    CHECK(data);
    batch_list f, s;
    qv_status st = read_file(data, NULL, &f, &err);
    qv_buffer_unref(data);
    if (st != QV_OK) {
      qv_test_fail(__FILE__, __LINE__, "%s: %s", paths[i], err.message);
      continue;
    }
    sibling(paths[i], ".arrow_file", ".stream", other, sizeof other);
    data = load_file(other);
    CHECK(data);
    st = read_stream(data, NULL, &s, &err);
    qv_buffer_unref(data);
    if (st != QV_OK) {
      qv_test_fail(__FILE__, __LINE__, "%s: %s", other, err.message);
      batch_list_reset(&f);
      continue;
    }
    /* Arrow C++ 1.0.0 wrote the canonical map field names ("entries", "key",
     * "value") into the stream of this case but the real ones into the file,
     * so only there the two legitimately differ. */
    bool names_differ = strstr(paths[i], "map_non_canonical") != NULL;
    if (!names_differ && (!schemas_equivalent(f.schema, s.schema) || !batch_lists_equal(&f, &s)))
      qv_test_fail(__FILE__, __LINE__, "%s: file and stream differ", paths[i]);
    if (f.count != s.count)
      qv_test_fail(__FILE__, __LINE__, "%s: file and stream have %lld and %lld batches",
                   paths[i], (long long)f.count, (long long)s.count);

    /* Against the JSON description. */
    sibling(paths[i], ".arrow_file", ".json.gz", other, sizeof other);
    qv_integration_file json;
    qv__integration_file_init(&json);
    st = qv__integration_json_read_file(NULL, other, &json, &err);
    if (st == QV_OK) {
      if (json.n_batches != f.count) {
        qv_test_fail(__FILE__, __LINE__, "%s: %lld batches, JSON has %lld", paths[i],
                     (long long)f.count, (long long)json.n_batches);
      } else {
        for (int64_t b = 0; b < f.count; b++)
          if (!batches_equivalent(f.items[b], json.batches[b]))
            qv_test_fail(__FILE__, __LINE__, "%s: batch %lld differs from the JSON", paths[i],
                         (long long)b);
      }
    } else if (st != QV_NOT_IMPLEMENTED) {
      qv_test_fail(__FILE__, __LINE__, "%s: %s", other, err.message);
    }
    qv__integration_file_reset(&json);
    batch_list_reset(&f);
    batch_list_reset(&s);
  }
  free_paths(paths, n);
}

/* Re-encodes every golden stream with Quiver's writers and reads it back. */
QV_TEST(ipc_golden_rewrite_round_trip) {
  char **paths;
  int n = golden_files(".stream", &paths);
  CHECK(n >= 20);
  static const qv_ipc_compression codecs[] = {QV_IPC_COMPRESSION_NONE,
                                              QV_IPC_COMPRESSION_LZ4_FRAME,
                                              QV_IPC_COMPRESSION_ZSTD};
  for (int i = 0; i < n; i++) {
    qv_error err;
    qv_error_init(&err);
    qv_buffer *data = load_file(paths[i]);
    CHECK(data);
    batch_list orig;
    qv_status st = read_stream(data, NULL, &orig, &err);
    qv_buffer_unref(data);
    CHECK_OK(st, &err);
    for (int c = 0; c < 3; c++) {
      qv_ipc_write_options wo;
      qv_ipc_write_options_init(&wo);
      wo.compression = codecs[c];
      for (int as_file = 0; as_file < 2; as_file++) {
        qv_buffer *out = NULL;
        batch_list back;
        st = as_file ? write_file(orig.schema, orig.items, orig.count, &wo, &out, &err)
                     : write_stream(orig.schema, orig.items, orig.count, &wo, &out, &err);
        if (st == QV_OK)
          st = as_file ? read_file(out, NULL, &back, &err) : read_stream(out, NULL, &back, &err);
        qv_buffer_unref(out);
        if (st != QV_OK) {
          qv_test_fail(__FILE__, __LINE__, "%s (codec %d, %s): %s", paths[i], c,
                       as_file ? "file" : "stream", err.message);
          continue;
        }
        if (!schemas_equivalent(orig.schema, back.schema) || !batch_lists_equal(&orig, &back))
          qv_test_fail(__FILE__, __LINE__, "%s (codec %d, %s): batches differ after rewrite",
                       paths[i], c, as_file ? "file" : "stream");
        batch_list_reset(&back);
      }
    }
    batch_list_reset(&orig);
  }
  free_paths(paths, n);
}
