/* check.h -- the tiny assertion helper of promc's unit tests.
 *
 * CHECK(cond) and the typed CHECK_* forms print what failed with file and line and count the
 * failure; the test goes on, so one run shows every broken assertion. Each test's main ends
 * with `return check_report("module");`, which prints how many checks ran and failed.
 */
#ifndef PROMC_TEST_CHECK_H
#define PROMC_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_total, check_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_total++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failed++;                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long check_g = (long long)(got), check_w = (long long)(want);                         \
        check_total++;                                                                             \
        if (check_g != check_w) {                                                                  \
            check_failed++;                                                                        \
            fprintf(stderr, "%s:%d: %s == %lld, want %lld\n", __FILE__, __LINE__, #got, check_g,   \
                    check_w);                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_DBL(got, want)                                                                       \
    do {                                                                                           \
        double check_g = (got), check_w = (want);                                                  \
        check_total++;                                                                             \
        if (!(check_g == check_w || (isnan(check_g) && isnan(check_w)) ||                          \
              fabs(check_g - check_w) <= 1e-9 * fabs(check_w))) {                                  \
            check_failed++;                                                                        \
            fprintf(stderr, "%s:%d: %s == %.17g, want %.17g\n", __FILE__, __LINE__, #got, check_g, \
                    check_w);                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *check_g = (got), *check_w = (want);                                            \
        check_total++;                                                                             \
        if (!check_g || strcmp(check_g, check_w) != 0) {                                           \
            check_failed++;                                                                        \
            fprintf(stderr, "%s:%d: %s ==\n---\n%s\n---\nwant\n---\n%s\n---\n", __FILE__,          \
                    __LINE__, #got, check_g ? check_g : "(null)", check_w);                        \
        }                                                                                          \
    } while (0)

/* Does haystack contain needle? */
#define CHECK_CONTAINS(haystack, needle)                                                           \
    do {                                                                                           \
        const char *check_h = (haystack), *check_n = (needle);                                     \
        check_total++;                                                                             \
        if (!check_h || !strstr(check_h, check_n)) {                                               \
            check_failed++;                                                                        \
            fprintf(stderr, "%s:%d: output lacks \"%s\"; output was:\n%s\n", __FILE__, __LINE__,   \
                    check_n, check_h ? check_h : "(null)");                                        \
        }                                                                                          \
    } while (0)

static inline int check_report(const char *what) {
    printf("%s: %d checks, %d failed\n", what, check_total, check_failed);
    return check_failed ? 1 : 0;
}

/* This process's resident set in kB, from /proc/self/status (-1 if unreadable). */
static inline long check_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

#endif
