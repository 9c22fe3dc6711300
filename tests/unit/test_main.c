/* Runner for the QV_TEST cases linked into one module's test binary. */
#include <stdarg.h>
#include <stdlib.h>

#include "test.h"

#define MAX_TESTS 4096

static struct {
  const char *name;
  qv_test_fn fn;
} tests[MAX_TESTS];
static int n_tests;
static bool current_failed;

void qv_test_register(const char *name, qv_test_fn fn) {
  if (n_tests == MAX_TESTS) {
    fprintf(stderr, "too many tests\n");
    exit(2);
  }
  tests[n_tests].name = name;
  tests[n_tests].fn = fn;
  n_tests++;
}

void qv_test_fail(const char *file, int line, const char *fmt, ...) {
  current_failed = true;
  fprintf(stderr, "  %s:%d: ", file, line);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static int by_name(const void *a, const void *b) {
  const char *x = *(const char *const *)a, *y = *(const char *const *)b;
  return strcmp(x, y);
}

int main(int argc, char **argv) {
  const char *filter = argc > 1 ? argv[1] : NULL;
  qsort(tests, (size_t)n_tests, sizeof tests[0], by_name);
  int passed = 0, failed = 0;
  for (int i = 0; i < n_tests; i++) {
    if (filter && !strstr(tests[i].name, filter)) continue;
    current_failed = false;
    tests[i].fn();
    if (current_failed) {
      failed++;
      fprintf(stderr, "FAIL %s\n", tests[i].name);
    } else {
      passed++;
      printf("ok   %s\n", tests[i].name);
    }
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
