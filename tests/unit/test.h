/* A small test framework: QV_TEST(name) defines and registers a test case; the
 * CHECK macros record a failure with file and line and return from the case.
 * Each module's test binary runs all its cases (or those whose name contains
 * argv[1]) and ends with the line "N passed, N failed". */
#ifndef QV_TEST_H
#define QV_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "quiver/status.h"

typedef void (*qv_test_fn)(void);
void qv_test_register(const char *name, qv_test_fn fn);
void qv_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The message of an error record that may be NULL. */
static inline const char *qv_test_message(const qv_error *err) { return err ? err->message : ""; }

#define QV_TEST(name)                                                      \
  static void test_##name(void);                                           \
  __attribute__((constructor)) static void register_##name(void) {         \
    qv_test_register(#name, test_##name);                                  \
  }                                                                        \
  static void test_##name(void)

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      qv_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                \
      return;                                                              \
    }                                                                      \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                 \
  do {                                                                     \
    long long qv_a_ = (long long)(a), qv_b_ = (long long)(b);              \
    if (qv_a_ != qv_b_) {                                                  \
      qv_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b,   \
                   qv_a_, qv_b_);                                          \
      return;                                                              \
    }                                                                      \
  } while (0)

#define CHECK_STR_EQ(a, b)                                                 \
  do {                                                                     \
    const char *qv_a_ = (a), *qv_b_ = (b);                                 \
    if (!qv_a_ || !qv_b_ || strcmp(qv_a_, qv_b_) != 0) {                   \
      qv_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a,   \
                   #b, qv_a_ ? qv_a_ : "(null)", qv_b_ ? qv_b_ : "(null)"); \
      return;                                                              \
    }                                                                      \
  } while (0)

/* Expects a status-returning call to succeed; prints the error message. */
#define CHECK_OK(expr, errp)                                               \
  do {                                                                     \
    qv_status qv_st_ = (expr);                                             \
    if (qv_st_ != QV_OK) {                                                 \
      qv_test_fail(__FILE__, __LINE__, "%s failed: %s: %s", #expr,         \
                   qv_status_name(qv_st_), qv_test_message(errp));       \
      return;                                                              \
    }                                                                      \
  } while (0)

/* Expects a specific failing status. */
#define CHECK_STATUS(expr, code)                                           \
  do {                                                                     \
    qv_status qv_st_ = (expr);                                             \
    if (qv_st_ != (code)) {                                                \
      qv_test_fail(__FILE__, __LINE__, "%s: got %s, want %s", #expr,       \
                   qv_status_name(qv_st_), qv_status_name(code));          \
      return;                                                              \
    }                                                                      \
  } while (0)

#endif
