/*
 * check.h - the few assertions the unit tests need.
 *
 * A failed CHECK prints the file, line and expression and marks the test
 * failed, then the test goes on so that one run shows every failure.
 * main() ends with "return check_summary();", which prints
 * "N passed, N failed" and gives the exit status ctest reads.
 */
#ifndef DRIVEMON_CHECK_H
#define DRIVEMON_CHECK_H

#include <stdio.h>
#include <string.h>

static unsigned check_passed, check_failed;

#define CHECK(expr)                                                            \
	do {                                                                   \
		if (expr) {                                                    \
			check_passed++;                                        \
		} else {                                                       \
			check_failed++;                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #expr);                              \
		}                                                              \
	} while (0)

#define CHECK_INT(got, want)                                                  \
	do {                                                                  \
		long long got_ = (long long)(got), want_ = (long long)(want); \
		if (got_ == want_) {                                          \
			check_passed++;                                       \
		} else {                                                      \
			check_failed++;                                       \
			fprintf(stderr, "%s:%d: %s is %lld, want %lld\n",     \
				__FILE__, __LINE__, #got, got_, want_);       \
		}                                                             \
	} while (0)

#define CHECK_STR(got, want)                                                  \
	do {                                                                  \
		const char *got_ = (got), *want_ = (want);                    \
		if (got_ && want_ && strcmp(got_, want_) == 0) {              \
			check_passed++;                                       \
		} else {                                                      \
			check_failed++;                                       \
			fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, #got,                     \
				got_ ? got_ : "(null)",                       \
				want_ ? want_ : "(null)");                    \
		}                                                             \
	} while (0)

static inline int check_summary(void)
{
	printf("%u passed, %u failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
