/* native_schema.h -- bucket arithmetic of native (sparse exponential) histograms, internal.
 *
 * A pure, self-contained module (no promc types, no allocation) that reproduces client_golang
 * 1.14's native histogram placement bit for bit. histogram.c calls promc__native_place_fast()
 * on the hot path to find the (side, key) of an observation; histogram_native.c calls
 * promc__native_reduce() and promc__native_upper_bound() at scrape time when the bucket count
 * exceeds max_buckets, and promc__native_spans() to turn sorted sparse buckets into the
 * protobuf BucketSpan + delta layout that pb.c encodes.
 *
 * A key k of schema s names the bucket (2^((k-1)/2^s), 2^(k/2^s)]: upper bound inclusive, key 0
 * ends at 1. Keys are per side: negative observations use the key of their absolute value.
 */
#ifndef PROMC_NATIVE_SCHEMA_H
#define PROMC_NATIVE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PROMC__NATIVE_SCHEMA_MIN (-4)
#define PROMC__NATIVE_SCHEMA_MAX 8
/* pick_schema's answer for a bucket factor <= 1: no native buckets (client_golang: MinInt32). */
#define PROMC__NATIVE_NO_SCHEMA INT32_MIN
/* client_golang's DefNativeHistogramZeroThreshold, 2^-128. */
#define PROMC__NATIVE_ZERO_THRESHOLD_DEFAULT 2.938735877055719e-39

/* Where an observation goes. NaN goes nowhere: client_golang adds it to count and sum only. */
enum promc__native_side {
    PROMC__NATIVE_NONE = 0, /* NaN */
    PROMC__NATIVE_ZERO,     /* |v| <= zero threshold */
    PROMC__NATIVE_POS,
    PROMC__NATIVE_NEG,
};

/* One protobuf BucketSpan: offset from the end of the previous span (from key 0 for the first). */
typedef struct promc__native_span {
    int32_t offset;
    uint32_t length;
} promc__native_span;

/* The key of |v| in schema -4..8. ±Inf get the key after the one of DBL_MAX, as client_golang
 * does. v must not be NaN. No allocation, no branches beyond a 2^schema binary search. */
int32_t promc__native_key(double v, int schema);

/* The side and (for POS/NEG) key of an observation: v > zt positive, v < -zt negative, else the
 * zero bucket (so ±0 and NaN never get a key). */
enum promc__native_side promc__native_place(double v, int schema, double zero_threshold,
                                            int32_t *key);

/* native_bounds.h's tables of one schema > 0, for the inline placement below: the mantissas of
 * the bounds within a power of two (then a sentinel above every mantissa) and the 1024 slots of
 * the top mantissa bits (NULLs for schemas <= 0). A family keeps its own, so the hot path loads
 * them beside its other fields. */
typedef struct promc__native_table {
    const uint64_t *mants;
    const unsigned short *slots;
} promc__native_table;
promc__native_table promc__native_table_of(int schema);

/* Whether v is a normal finite double: the values promc__native_place_fast places without a
 * call (the others are rare: subnormals, infinities, NaN). */
static inline int promc__native_is_normal(double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint32_t biased = (uint32_t)(bits >> 52) & 0x7ffu;
    return biased - 1u < 0x7feu; /* neither 0 nor 0x7ff */
}

/* promc__native_place for the hot path: the same answer, inline, without frexp for normal
 * finite values (the frexp exponent and fraction come from the bits; subnormals, infinities and
 * NaN take promc__native_place). t is promc__native_table_of(schema). */
static inline enum promc__native_side promc__native_place_fast(double v, int schema,
                                                               double zero_threshold,
                                                               promc__native_table t,
                                                               int32_t *key) {
    if (__builtin_expect(!promc__native_is_normal(v), 0)) {
        int32_t k = 0; /* the caller's key stays in a register: its address does not escape */
        enum promc__native_side side = promc__native_place(v, schema, zero_threshold, &k);
        *key = k;
        return side;
    }
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint32_t biased = (uint32_t)(bits >> 52) & 0x7ffu;
    enum promc__native_side side;
    if (__builtin_expect(v > zero_threshold, 1)) /* latencies, sizes: the usual case */
        side = PROMC__NATIVE_POS;
    else if (v < -zero_threshold)
        side = PROMC__NATIVE_NEG;
    else
        return PROMC__NATIVE_ZERO;
    int32_t exp = (int32_t)biased - 1022; /* frexp's: |v| = frac * 2^exp, frac in [0.5, 1) */
    uint64_t mant = bits & 0x000fffffffffffffull;
    if (schema > 0) {
        /* the bounds and frac share frexp's exponent: compare mantissas, as integers */
        int32_t idx = t.slots[mant >> 42];
        idx += t.mants[idx] < mant; /* mants[2^schema] is above all: no branch on idx */
        *key = idx + (exp - 1) * ((int32_t)1 << schema);
    } else {
        int32_t div = (int32_t)1 << -schema;
        int32_t k = exp - (mant == 0); /* frac == 0.5 */
        *key = (k + div - 1) / div;
    }
    return side;
}

/* client_golang's pickSchema: the largest n in -4..8 with 2^(2^-n) <= factor (8 for factors
 * below 2^(2^-8)); PROMC__NATIVE_NO_SCHEMA for factor <= 1 (or NaN): no native buckets. */
int32_t promc__native_pick_schema(double bucket_factor);

/* The zero threshold a HistogramOpts value stands for: > 0 itself, 0 the default (2^-128),
 * negative (NativeHistogramZeroThresholdZero) a threshold of exactly 0. */
double promc__native_zero_threshold(double opt);

/* The key in schema s-1 of the bucket holding key in schema s (client_golang's
 * doubleBucketWidth: keys 2k-1 and 2k merge into k). */
int32_t promc__native_reduce_key(int32_t key);

/* Merges n sorted (ascending, unique) keys with their counts in place into schema s-1; returns
 * the new number of buckets. The key map is monotone, so the result stays sorted. */
size_t promc__native_reduce(int32_t *keys, int64_t *counts, size_t n);

/* client_golang's getLe: the upper bound of bucket key in schema; DBL_MAX for the last finite
 * bucket, +Inf for the ±Inf bucket. Used to widen the zero bucket onto the smallest bucket. */
double promc__native_upper_bound(int32_t key, int schema);

/* client_golang's makeBuckets: n sorted unique keys with their counts (zero counts allowed: a
 * bucket that exists but is empty since the last scrape) to spans and delta-encoded counts.
 * Gaps of 1 or 2 keys are filled with empty buckets inside a span; longer gaps start a new span.
 * spans needs room for n entries, deltas for 3n. Returns the number of spans; *n_deltas gets
 * the number of deltas (the sum of the span lengths). */
size_t promc__native_spans(const int32_t *keys, const int64_t *counts, size_t n,
                           promc__native_span *spans, int64_t *deltas, size_t *n_deltas);

#endif
