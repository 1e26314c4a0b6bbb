/* native_schema.c -- bucket placement of native histograms, exactly as client_golang 1.14.
 *
 * See native_schema.h for who uses what. Every function
 * here mirrors a piece of client_golang's prometheus/histogram.go, and native_diff.sh compares
 * the two on millions of values; keep them in step with it, not with the math: e.g. the key of
 * a power of two is found with frexp and a table of decimal literals copied from Go
 * (native_bounds.h), not with log2, because log2 rounds differently across libms.
 */
#include "native_schema.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "native_bounds.h"

promc__native_table promc__native_table_of(int schema) {
    promc__native_table t = {NULL, NULL};
    if (schema > 0 && schema <= PROMC__NATIVE_SCHEMA_MAX) {
        t.mants = promc__native_mants[schema];
        t.slots = promc__native_slots[schema];
    }
    return t;
}

/* sort.SearchFloat64s(bounds, frac) for a schema > 0: the index of the first bound >= frac
 * (2^schema if none). The top 10 mantissa bits pick a slot narrower than any bucket, whose
 * precomputed count of bounds below it is the answer or one less: one load, one compare, no
 * data-dependent branch chain (a binary search mispredicts on random values). */
static int32_t search_bounds(int schema, double frac) {
    uint64_t bits;
    memcpy(&bits, &frac, sizeof bits);
    int32_t idx = promc__native_slots[schema][(bits >> 42) & 1023];
    return idx + (promc__native_bounds[schema][idx] < frac); /* [2^schema] is 1.0 */
}

int32_t promc__native_key(double v, int schema) {
    int inf = isinf(v) != 0; /* glibc's isinf is -1 for -Inf */
    int exp;
    /* client_golang: "pretend v is MaxFloat64 but later increment key by one". */
    double frac = frexp(inf ? DBL_MAX : fabs(v), &exp);
    int32_t key;
    if (schema > 0) {
        int32_t n = (int32_t)1 << schema;
        key = search_bounds(schema, frac) + (int32_t)(exp - 1) * n;
    } else {
        int32_t div = (int32_t)1 << -schema;
        key = exp;
        if (frac == 0.5)
            key--;
        /* C and Go both truncate toward zero here, which is what makes negative keys match. */
        key = (key + div - 1) / div;
    }
    return key + inf;
}

enum promc__native_side promc__native_place(double v, int schema, double zero_threshold,
                                            int32_t *key) {
    if (isnan(v))
        return PROMC__NATIVE_NONE;
    /* The comparison uses ±DBL_MAX for ±Inf, like client_golang, so a zero threshold widened to
     * DBL_MAX swallows the infinities too. */
    double cmp = isinf(v) ? copysign(DBL_MAX, v) : v;
    if (cmp > zero_threshold) {
        *key = promc__native_key(v, schema);
        return PROMC__NATIVE_POS;
    }
    if (cmp < -zero_threshold) {
        *key = promc__native_key(v, schema);
        return PROMC__NATIVE_NEG;
    }
    return PROMC__NATIVE_ZERO;
}

/* Go's math.Log2: exact for powers of two, log(frac)/ln2 + exp otherwise. pickSchema floors a
 * double log2, so the way it is computed decides the schema at the exact factors 2^(2^-n). */
static double go_log2(double x) {
    int exp;
    double frac = frexp(x, &exp);
    if (frac == 0.5)
        return (double)(exp - 1);
    return log(frac) * (1 / M_LN2) + (double)exp;
}

int32_t promc__native_pick_schema(double bucket_factor) {
    if (!(bucket_factor > 1))
        return PROMC__NATIVE_NO_SCHEMA;
    double floor_ = floor(go_log2(go_log2(bucket_factor)));
    if (floor_ <= -8)
        return 8;
    if (floor_ >= 4)
        return -4;
    return -(int32_t)floor_;
}

double promc__native_zero_threshold(double opt) {
    if (opt > 0)
        return opt;
    if (opt == 0)
        return PROMC__NATIVE_ZERO_THRESHOLD_DEFAULT;
    return 0; /* negative (NativeHistogramZeroThresholdZero) or NaN */
}

int32_t promc__native_reduce_key(int32_t key) {
    if (key > 0)
        key++;
    return key / 2; /* truncation toward zero, as Go's key /= 2 */
}

size_t promc__native_reduce(int32_t *keys, int64_t *counts, size_t n) {
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t k = promc__native_reduce_key(keys[i]);
        if (out > 0 && keys[out - 1] == k) {
            counts[out - 1] += counts[i];
        } else {
            keys[out] = k;
            counts[out] = counts[i];
            out++;
        }
    }
    return out;
}

double promc__native_upper_bound(int32_t key, int schema) {
    if (schema < 0) {
        int64_t exp = (int64_t)key * ((int64_t)1 << -schema);
        if (exp == 1024)
            return DBL_MAX; /* the last finite bucket; the next one is the ±Inf bucket */
        return ldexp(1, (int)exp);
    }
    /* key & mask and key >> schema on negative keys rely on two's complement and an arithmetic
     * shift, as Go's do; GCC and Clang guarantee both. */
    int32_t frac_idx = key & (((int32_t)1 << schema) - 1);
    double frac = promc__native_bounds[schema][frac_idx];
    int32_t exp = (key >> schema) + 1;
    if (frac == 0.5 && exp == 1025)
        return DBL_MAX;
    return ldexp(frac, exp);
}

size_t promc__native_spans(const int32_t *keys, const int64_t *counts, size_t n,
                           promc__native_span *spans, int64_t *deltas, size_t *n_deltas) {
    size_t ns = 0, nd = 0;
    int64_t prev = 0;
    int32_t next = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t gap = keys[i] - next;
        if (i == 0 || gap > 2) {
            spans[ns].offset = gap;
            spans[ns].length = 0;
            ns++;
        } else {
            /* "gaps of one or two buckets should not create a new span" */
            for (int32_t j = 0; j < gap; j++) {
                spans[ns - 1].length++;
                deltas[nd++] = -prev;
                prev = 0;
            }
        }
        spans[ns - 1].length++;
        deltas[nd++] = counts[i] - prev;
        prev = counts[i];
        next = keys[i] + 1;
    }
    *n_deltas = nd;
    return ns;
}
