/* test_native_schema.c -- unit tests of native_schema.c (native histogram bucket arithmetic).
 *
 * The bit-exact comparison with client_golang is native_diff.sh; these check the properties
 * the coming histogram.c relies on: a key's bucket contains the value, the span/delta layout
 * with client_golang's gap rule, reduction merging 2k-1 and 2k, and the option helpers.
 */
#include <float.h>
#include <stdint.h>

#include "check.h"
#include "native_schema.h"

static uint64_t rng = 42;
static uint64_t next_u64(void) {
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Every finite positive v lies in (upper_bound(key-1), upper_bound(key)] (but see below). */
static void test_key_contains_value(void) {
    int bad = 0;
    for (int schema = -4; schema <= 8; schema++)
        for (int i = 0; i < 20000; i++) {
            uint64_t bits = next_u64() & 0x7fefffffffffffffull;
            double v;
            memcpy(&v, &bits, sizeof v);
            /* client_golang 1.14 truncates (key + div - 1) / div toward zero, so for schemas < 0
             * values below 1 land one bucket too high; native_diff.sh proves we copy that. */
            if (v == 0 || (schema < 0 && v < 1))
                continue;
            int32_t k = promc__native_key(v, schema);
            if (!(v <= promc__native_upper_bound(k, schema) &&
                  v > promc__native_upper_bound(k - 1, schema)))
                bad++;
        }
    CHECK_INT(bad, 0);
    CHECK_INT(promc__native_key(1.0, 3), 0);
    CHECK_INT(promc__native_key(2.0, 0), 1);
    CHECK_INT(promc__native_key(nextafter(1.0, 2), 0), 1);
    CHECK_INT(promc__native_key(DBL_MAX, 0), 1024);
    CHECK_INT(promc__native_key(INFINITY, 0), 1025);
    CHECK_INT(promc__native_key(-INFINITY, 0), 1025); /* glibc's isinf(-Inf) is -1 */
    CHECK_DBL(promc__native_upper_bound(1024, 0), DBL_MAX);
    CHECK_DBL(promc__native_upper_bound(1025, 0), INFINITY);
    CHECK_DBL(promc__native_upper_bound(64, -4), DBL_MAX);
    CHECK_DBL(promc__native_upper_bound(1, -1), 4.0);
}

static void test_place(void) {
    int32_t k = 12345;
    CHECK_INT(promc__native_place(NAN, 3, 0, &k), PROMC__NATIVE_NONE);
    CHECK_INT(promc__native_place(0.0, 3, 0, &k), PROMC__NATIVE_ZERO);
    CHECK_INT(promc__native_place(-0.0, 3, 0, &k), PROMC__NATIVE_ZERO);
    CHECK_INT(promc__native_place(0.5, 3, 0.5, &k), PROMC__NATIVE_ZERO); /* threshold inclusive */
    CHECK_INT(promc__native_place(-0.5, 3, 0.5, &k), PROMC__NATIVE_ZERO);
    CHECK_INT(promc__native_place(-1.0, 3, 0.5, &k), PROMC__NATIVE_NEG);
    CHECK_INT(k, 0);
    CHECK_INT(promc__native_place(INFINITY, 3, DBL_MAX, &k), PROMC__NATIVE_ZERO);
    CHECK_DBL(promc__native_zero_threshold(0), PROMC__NATIVE_ZERO_THRESHOLD_DEFAULT);
    CHECK_DBL(promc__native_zero_threshold(-1), 0);
    CHECK_DBL(promc__native_zero_threshold(0.25), 0.25);
    CHECK_INT(promc__native_pick_schema(1.0), PROMC__NATIVE_NO_SCHEMA);
    CHECK_INT(promc__native_pick_schema(1.1), 3);
    CHECK_INT(promc__native_pick_schema(2.0), 0);
    CHECK_INT(promc__native_pick_schema(1e9), -4);
    CHECK_INT(promc__native_pick_schema(1.0001), 8);
}

static void test_spans(void) {
    /* Gaps of 1 and 2 are filled with empty buckets, a gap of 3 starts a new span. */
    const int32_t keys[] = {-2, -1, 1, 4, 8};
    const int64_t counts[] = {1, 2, 3, 4, 5};
    promc__native_span spans[5];
    int64_t deltas[15];
    size_t nd;
    size_t ns = promc__native_spans(keys, counts, 5, spans, deltas, &nd);
    CHECK_INT(ns, 2);
    CHECK_INT(spans[0].offset, -2);
    CHECK_INT(spans[0].length, 7);
    CHECK_INT(spans[1].offset, 3);
    CHECK_INT(spans[1].length, 1);
    const int64_t want[] = {1, 1, -2, 3, -3, 0, 4, 1};
    CHECK_INT(nd, 8);
    for (size_t i = 0; i < 8 && i < nd; i++)
        CHECK_INT(deltas[i], want[i]);
    CHECK_INT(promc__native_spans(keys, counts, 0, spans, deltas, &nd), 0);
    CHECK_INT(nd, 0);
}

static void test_reduce(void) {
    int32_t keys[] = {-3, -2, -1, 0, 1, 2, 3, 5};
    int64_t counts[] = {1, 2, 3, 4, 5, 6, 7, 8};
    size_t n = promc__native_reduce(keys, counts, 8);
    /* -3,-2 -> -1; -1,0 -> 0; 1,2 -> 1; 3 -> 2; 5 -> 3 */
    const int32_t wk[] = {-1, 0, 1, 2, 3};
    const int64_t wc[] = {3, 7, 11, 7, 8};
    CHECK_INT(n, 5);
    for (size_t i = 0; i < 5 && i < n; i++) {
        CHECK_INT(keys[i], wk[i]);
        CHECK_INT(counts[i], wc[i]);
    }
    /* The merged bucket is the union of the two halves: bounds agree across schemas. */
    for (int schema = -3; schema <= 8; schema++)
        for (int32_t k = -40; k <= 40; k++) {
            int32_t r = promc__native_reduce_key(k);
            CHECK(promc__native_upper_bound(k, schema) <= promc__native_upper_bound(r, schema - 1));
            CHECK(promc__native_upper_bound(k - 1, schema) >=
                  promc__native_upper_bound(r - 1, schema - 1));
        }
}

int main(void) {
    test_key_contains_value();
    test_place();
    test_spans();
    test_reduce();
    return check_report("native_schema");
}
