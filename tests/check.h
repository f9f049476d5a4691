/*
 * A minimal test harness: each test is a void function, CHECK records a
 * failure with file:line and goes on, REQUIRE stops the current test.
 *
 *     static void test_parse_empty(void) { CHECK(parse("") == 0); }
 *     int main(void) { RUN(test_parse_empty); return check_summary(); }
 */
#ifndef HB_TEST_CHECK_H
#define HB_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures_;
static int check_test_failed_;
static int check_tests_run_;
static int check_tests_failed_;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            check_failures_++;                                               \
            check_test_failed_ = 1;                                          \
        }                                                                    \
    } while (0)

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                    \
            check_failures_++;                                                 \
            check_test_failed_ = 1;                                            \
            return;                                                            \
        }                                                                      \
    } while (0)

#define CHECK_EQ_U(a, b)                                                       \
    do {                                                                       \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                       \
        if (a_ != b_) {                                                        \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%" PRIu64       \
                    " vs %" PRIu64 ")\n", __FILE__, __LINE__, #a, #b, a_, b_); \
            check_failures_++;                                                 \
            check_test_failed_ = 1;                                            \
        }                                                                      \
    } while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                         \
    do {                                                                        \
        const char *h_ = (hay), *n_ = (needle);                                 \
        if (!h_ || !strstr(h_, n_)) {                                           \
            fprintf(stderr, "%s:%d: expected \"%s\" to contain \"%s\"\n",       \
                    __FILE__, __LINE__, h_ ? h_ : "(null)", n_);                \
            check_failures_++;                                                  \
            check_test_failed_ = 1;                                             \
        }                                                                       \
    } while (0)

#define RUN(fn)                                                  \
    do {                                                         \
        check_test_failed_ = 0;                                  \
        fn();                                                    \
        check_tests_run_++;                                      \
        if (check_test_failed_)                                  \
            check_tests_failed_++;                               \
        fprintf(stderr, "%s %s\n", check_test_failed_ ? "FAIL" : "ok  ", #fn); \
    } while (0)

static inline int check_summary(void)
{
    fprintf(stderr, "%d passed, %d failed\n", check_tests_run_ - check_tests_failed_,
            check_tests_failed_);
    return check_failures_ ? 1 : 0;
}

#endif /* HB_TEST_CHECK_H */
