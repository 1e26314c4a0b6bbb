/* test_buckets.c -- bucket_index at every bound: a value equal to a bound belongs to that
 * bound's bucket (le is "less or equal"), a value just above it to the next one.
 *
 * bucket_index has four paths: 16 bounds at once (up to 16, the copy padded with +Inf), two
 * vector lane pairs per step and a scalar tail for 17 to 64 bounds, a binary search above.
 * Histograms of 1 to 16 bounds put each bound in every lane of the padded compare (and the
 * padding after it); 17 to 21 in every position of the vector loop and the tail; 64 is the
 * last vector size and 100 takes the binary search.
 */
#include "check.h"
#include "promc.h"

#include <math.h>

/* Observes each bound and the double just above it; checks the cumulative counts. */
static void check_bounds(promc_registry *reg, size_t n) {
    double bounds[100];
    char name[32];
    promc_buckets_linear(1, 1, n, bounds);
    snprintf(name, sizeof name, "b%zu", n);
    promc_histogram *h = promc_histogram_new(reg, name, "Bounds.", NULL, bounds, n);
    CHECK(h != NULL);
    if (!h)
        return;
    for (size_t i = 0; i < n; i++) {
        promc_histogram_observe(h, bounds[i]);
        promc_histogram_observe(h, nextafter(bounds[i], INFINITY));
    }
    promc_histogram_observe(h, 0.5); /* below every bound */
    uint64_t counts[101], count;
    promc_histogram_snapshot(h, counts, n + 1, NULL, &count);
    /* le=bounds[i]: 0.5, then for each j <= i the bound, for each j < i the one above */
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (counts[i] != 1 + (i + 1) + i) {
            if (!bad++)
                fprintf(stderr, "%zu bounds: le=%g has %llu, want %zu\n", n, bounds[i],
                        (unsigned long long)counts[i], 1 + (i + 1) + i);
        }
    CHECK_INT(bad, 0);
    CHECK_INT(counts[n], 2 * n + 1);
    CHECK_INT(count, 2 * n + 1);
}

int main(void) {
    promc_registry *reg = promc_registry_new();
    for (size_t n = 1; n <= 21; n++)
        check_bounds(reg, n);
    check_bounds(reg, 64);  /* the last vector size */
    check_bounds(reg, 100); /* binary search */
    promc_registry_free(reg);
    return check_report("test_buckets");
}
