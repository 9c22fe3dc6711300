/* The seed corpus of fuzz/fuzz_plan_decode: small encoded plans, the .bin
 * files of tests/data/plans. This test checks that every committed seed still
 * decodes (in a default session) and survives a second round trip; run with
 * QV_WRITE_PLAN_SEEDS=1 it first (re)writes them from the plans below. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "codec_test_util.h"

/* The repository root, from this file's path (CMake compiles it by absolute
 * path). */
static bool seeds_dir(char *buf, size_t size) {
  const char *self = __FILE__, *tail = strstr(self, "tests/unit/plan/");
  if (!tail || self[0] != '/') return false;
  snprintf(buf, size, "%.*stests/data/plans", (int)(tail - self), self);
  return true;
}

static qv_exec_plan *seed_plan(int which) {
  qv_error err;
  qv_error_init(&err);
  qv_exec_plan *scan = ct_scan(2, 1, 4), *p = NULL;
  if (!scan) return NULL;
  qv_status st = QV_OK;
  switch (which) {
    case 0: { /* projection over a filter */
      qv_expr *pred = ct_bin(QV_OP_GT, ct_col(scan, CT_F64), ct_i64(0));
      qv_expr *e[2] = {ct_col(scan, CT_S), ct_bin(QV_OP_MUL, ct_col(scan, CT_DEC), ct_i64(2))};
      const char *names[] = {"s", "twice"};
      qv_exec_plan *f = NULL;
      st = qv_plan_filter(scan, pred, &f, &err);
      if (st == QV_OK) st = qv_plan_projection(f, e, names, 2, &p, &err);
      qv_exec_plan_unref(f);
      qv_expr_unref(pred);
      qv_expr_unref(e[0]);
      qv_expr_unref(e[1]);
      break;
    }
    case 1: { /* two-step aggregation */
      qv_expr *g = ct_col(scan, CT_CAT), *x = ct_col(scan, CT_I32);
      qv_aggregate_expr *a = NULL;
      const char *gn[] = {"cat"};
      qv_exec_plan *partial = NULL, *merged = NULL;
      st = qv_aggregate_create(NULL, "sum", &x, 1, false, NULL, &a, &err);
      if (st == QV_OK) st = qv_plan_hash_aggregate(QV_AGG_PARTIAL, scan, &g, gn, 1, &a, 1, &partial, &err);
      if (st == QV_OK) st = qv_plan_coalesce_partitions(partial, &merged, &err);
      if (st == QV_OK) st = qv_plan_hash_aggregate(QV_AGG_FINAL, merged, &g, gn, 1, &a, 1, &p, &err);
      qv_exec_plan_unref(partial);
      qv_exec_plan_unref(merged);
      qv_aggregate_unref(a);
      qv_expr_unref(g);
      qv_expr_unref(x);
      break;
    }
    case 2: { /* hash join with a residual filter */
      qv_expr *k = ct_col(scan, CT_ID);
      st = qv_plan_hash_join(scan, scan, &k, &k, 1, NULL, QV_JOIN_LEFT, QV_JOIN_COLLECT_LEFT, false, &p, &err);
      qv_expr_unref(k);
      break;
    }
    default: { /* sort, merge and limit */
      qv_sort_key key = {ct_col(scan, CT_TS), true, false};
      qv_exec_plan *sorted = NULL, *merged = NULL;
      st = qv_plan_sort(scan, &key, 1, -1, true, &sorted, &err);
      if (st == QV_OK) st = qv_plan_sort_preserving_merge(sorted, &key, 1, 5, &merged, &err);
      if (st == QV_OK) st = qv_plan_limit(merged, 1, 2, true, &p, &err);
      qv_exec_plan_unref(sorted);
      qv_exec_plan_unref(merged);
      qv_expr_unref(key.expr);
      break;
    }
  }
  if (st != QV_OK) qv_test_fail(__FILE__, __LINE__, "seed plan %d: %s", which, err.message);
  qv_exec_plan_unref(scan);
  return p;
}

static const char *const seed_names[] = {"projection_filter", "aggregate_two_step", "hash_join", "sort_limit"};

QV_TEST(codec_seeds_decode) {
  char dir[1024];
  CHECK(seeds_dir(dir, sizeof dir));
  if (getenv("QV_WRITE_PLAN_SEEDS")) {
    for (int i = 0; i < 4; i++) {
      qv_exec_plan *p = seed_plan(i);
      CHECK(p);
      int64_t len = 0;
      uint8_t *bytes = ct_encode(p, NULL, &len);
      qv_exec_plan_unref(p);
      CHECK(bytes);
      char path[1200];
      snprintf(path, sizeof path, "%s/%s.bin", dir, seed_names[i]);
      FILE *f = fopen(path, "wb");
      CHECK(f);
      CHECK(fwrite(bytes, 1, (size_t)len, f) == (size_t)len);
      fclose(f);
      free(bytes);
    }
  }
  DIR *d = opendir(dir);
  CHECK(d);
  int found = 0;
  qv_session_state *s = ct_session();
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    size_t n = strlen(e->d_name);
    if (n < 5 || strcmp(e->d_name + n - 4, ".bin") != 0) continue;
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    CHECK(f);
    uint8_t buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    qv_error err;
    qv_error_init(&err);
    qv_exec_plan *p = NULL;
    if (qv_plan_decode(buf, (int64_t)len, s, &p, &err) != QV_OK)
      qv_test_fail(__FILE__, __LINE__, "seed %s: %s", e->d_name, err.message);
    else if (!ct_round_trip_sessions(p, s, s, NULL))
      qv_test_fail(__FILE__, __LINE__, "seed %s does not round-trip", e->d_name);
    qv_exec_plan_unref(p);
    found++;
  }
  closedir(d);
  qv_session_state_unref(s);
  CHECK(found >= 4);
}
