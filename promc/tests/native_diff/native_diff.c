/* native_diff.c -- the C side of the native histogram differential test (native_diff.sh).
 *
 * Generates the same value streams as golang/main.go (same splitmix64, same order) and models a
 * client_golang native histogram with promc's native_schema.c: placement by
 * promc__native_place, resolution reduction by promc__native_reduce when the bucket count
 * exceeds the maximum (what client_golang's limitBuckets does when MinResetDuration and
 * MaxZeroThreshold are 0), spans/deltas by promc__native_spans. It prints the same text as the
 * Go program; any difference is a placement bug. The buckets live in a dense array over the
 * whole key range of the schema (a test model, not how histogram.c stores them).
 *
 * With --real, the same streams go into real promc histograms instead (promc_histogram_new_opts
 * with the same bucket factor, zero threshold and max buckets; promc_histogram_observe; the
 * native view a scrape reads), so the whole path -- hot-path placement, per-thread chunks,
 * scrape-time summing, limits and spans -- is compared with client_golang too.
 *
 * Usage: native_diff [--real] [n_random]   (default 120000 per histogram, as the Go side)
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram_native.h"
#include "native_bounds.h"
#include "native_schema.h"

static int real_mode; /* --real: promc's histograms, not the model */
static promc_registry *real_reg;
static promc_native_scratch real_scratch;
static unsigned real_seq;

static uint64_t sm_next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double from_bits(uint64_t b) {
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t to_bits(double d) {
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* ---- the model of one client_golang histogram ---- */

#define SIDE_SLOTS(s)  ((size_t)2112 << ((s) > 0 ? (s) : 0))
#define SIDE_ORIGIN(s) ((int64_t)1080 << ((s) > 0 ? (s) : 0))

typedef struct side {
    int64_t *count; /* count[key + origin]; a bucket exists iff present[] */
    unsigned char *present;
} side;

typedef struct hist {
    int schema;
    double zt;
    uint32_t max_buckets, n_buckets;
    uint64_t count, zero_count;
    double sum;
    side pos, neg;
    promc_histogram *real; /* --real */
} hist;

static void side_alloc(side *sd, int schema) {
    sd->count = calloc(SIDE_SLOTS(schema), sizeof *sd->count);
    sd->present = calloc(SIDE_SLOTS(schema), 1);
    if (!sd->count || !sd->present) {
        fprintf(stderr, "native_diff: out of memory\n");
        exit(1);
    }
}

static void side_free(side *sd) {
    free(sd->count);
    free(sd->present);
}

static void hist_init(hist *h, double factor, double zt_opt, uint32_t max_buckets) {
    memset(h, 0, sizeof *h);
    if (real_mode) {
        char name[32];
        h->zt = promc__native_zero_threshold(zt_opt); /* edge_values() reads it */
        snprintf(name, sizeof name, "h%u", real_seq++);
        promc_histogram_opts o = {
            .bucket_factor = factor, .zero_threshold = zt_opt, .max_buckets = max_buckets};
        if (!(h->real = promc_histogram_new_opts(real_reg, name, "diff", NULL, &o))) {
            fprintf(stderr, "native_diff: %s\n", promc_last_error_message());
            exit(1);
        }
        return;
    }
    h->schema = promc__native_pick_schema(factor);
    h->zt = promc__native_zero_threshold(zt_opt);
    h->max_buckets = max_buckets;
    side_alloc(&h->pos, h->schema);
    side_alloc(&h->neg, h->schema);
}

static void hist_free(hist *h) {
    if (real_mode)
        return;
    side_free(&h->pos);
    side_free(&h->neg);
}

/* The existing buckets of a side, ascending. keys/counts must have SIDE_SLOTS room. */
static size_t side_collect(const side *sd, int schema, int32_t *keys, int64_t *counts) {
    size_t n = 0;
    for (size_t i = 0; i < SIDE_SLOTS(schema); i++)
        if (sd->present[i]) {
            keys[n] = (int32_t)((int64_t)i - SIDE_ORIGIN(schema));
            counts[n++] = sd->count[i];
        }
    return n;
}

static void side_reduce(side *sd, int schema, uint32_t *n_buckets) {
    size_t slots = SIDE_SLOTS(schema);
    int32_t *keys = malloc(slots * sizeof *keys);
    int64_t *counts = malloc(slots * sizeof *counts);
    size_t n = side_collect(sd, schema, keys, counts);
    n = promc__native_reduce(keys, counts, n);
    side_free(sd);
    side_alloc(sd, schema - 1);
    for (size_t i = 0; i < n; i++) {
        size_t at = (size_t)(keys[i] + SIDE_ORIGIN(schema - 1));
        sd->count[at] = counts[i];
        sd->present[at] = 1;
    }
    *n_buckets += (uint32_t)n;
    free(keys);
    free(counts);
}

/* client_golang's doubleBucketWidth, seen from outside: the schema drops by one, the buckets
 * merge, and the sum is re-added to a zeroed one (0 + -0.0 is +0.0, as in Go). */
static void hist_double_width(hist *h) {
    if (h->schema == PROMC__NATIVE_SCHEMA_MIN)
        return;
    h->n_buckets = 0;
    side_reduce(&h->pos, h->schema, &h->n_buckets);
    side_reduce(&h->neg, h->schema, &h->n_buckets);
    h->schema--;
    h->sum = 0.0 + h->sum;
}

static void hist_observe(hist *h, double v) {
    if (real_mode) {
        if (promc_histogram_observe(h->real, v) != 0) {
            fprintf(stderr, "native_diff: observe %g: %s\n", v, promc_last_error_message());
            exit(1);
        }
        return;
    }
    h->sum += v;
    int32_t key;
    side *sd = NULL;
    enum promc__native_side where = promc__native_place(v, h->schema, h->zt, &key);
    switch (where) {
    case PROMC__NATIVE_NONE:
        break;
    case PROMC__NATIVE_ZERO:
        h->zero_count++;
        break;
    case PROMC__NATIVE_POS:
        sd = &h->pos;
        break;
    case PROMC__NATIVE_NEG:
        sd = &h->neg;
        break;
    }
    if (sd) {
        size_t at = (size_t)(key + SIDE_ORIGIN(h->schema));
        if (!sd->present[at]) {
            sd->present[at] = 1;
            h->n_buckets++;
        }
        sd->count[at]++;
    }
    h->count++;
    /* client_golang checks the limit after every non-NaN observation, zero bucket included. */
    if (where != PROMC__NATIVE_NONE && h->max_buckets && h->n_buckets > h->max_buckets)
        hist_double_width(h);
}

/* ---- output, byte for byte the Go side's ---- */

static void print_bits(const char *name, double d) {
    if (isnan(d))
        printf("%s NaN\n", name);
    else
        printf("%s %016" PRIx64 "\n", name, to_bits(d));
}

static void print_side(const char *name, const side *sd, int schema) {
    size_t slots = SIDE_SLOTS(schema);
    int32_t *keys = malloc(slots * sizeof *keys);
    int64_t *counts = malloc(slots * sizeof *counts);
    size_t n = side_collect(sd, schema, keys, counts);
    promc__native_span *spans = malloc((n + 1) * sizeof *spans);
    int64_t *deltas = malloc((3 * n + 1) * sizeof *deltas);
    size_t nd;
    size_t ns = promc__native_spans(keys, counts, n, spans, deltas, &nd);
    printf("%s_spans", name);
    for (size_t i = 0; i < ns; i++)
        printf(" %" PRId32 ":%" PRIu32, spans[i].offset, spans[i].length);
    printf("\n%s_deltas", name);
    for (size_t i = 0; i < nd; i++)
        printf(" %" PRId64, deltas[i]);
    printf("\n");
    free(keys);
    free(counts);
    free(spans);
    free(deltas);
}

static void print_spans(const char *name, const promc__native_span *sp, size_t ns, const int64_t *d,
                        size_t nd) {
    printf("%s_spans", name);
    for (size_t i = 0; i < ns; i++)
        printf(" %" PRId32 ":%" PRIu32, sp[i].offset, sp[i].length);
    printf("\n%s_deltas", name);
    for (size_t i = 0; i < nd; i++)
        printf(" %" PRId64, d[i]);
    printf("\n");
}

/* dump() of a real histogram: what a scrape of it reads. */
static void dump_real(const char *name, const hist *h) {
    uint64_t counts[1] = {0};
    promc_native_view v;
    const promc_native_view *nv;
    promc_child *c = promc__hchild(h->real);
    promc_arena *a = promc__arena();
    uint64_t sec = promc__enter(a);
    double sum = promc__histogram_read_native(c, counts, &real_scratch, &v, &nv);
    promc__leave(a, sec);
    if (!nv) {
        fprintf(stderr, "native_diff: %s has no native view\n", name);
        exit(1);
    }
    printf("hist %s\nschema %d\n", name, nv->schema);
    print_bits("zero_threshold", nv->zero_threshold);
    printf("zero_count %" PRIu64 "\ncount %" PRIu64 "\n", nv->zero_count, counts[0]);
    print_bits("sum", sum);
    print_spans("pos", nv->pos_spans, nv->n_pos_spans, nv->pos_deltas, nv->n_pos_deltas);
    print_spans("neg", nv->neg_spans, nv->n_neg_spans, nv->neg_deltas, nv->n_neg_deltas);
}

static void dump(const char *name, const hist *h) {
    if (real_mode) {
        dump_real(name, h);
        return;
    }
    printf("hist %s\nschema %d\n", name, h->schema);
    print_bits("zero_threshold", h->zt);
    printf("zero_count %" PRIu64 "\ncount %" PRIu64 "\n", h->zero_count, h->count);
    print_bits("sum", h->sum);
    print_side("pos", &h->pos, h->schema);
    print_side("neg", &h->neg, h->schema);
}

/* ---- the streams, in golang/main.go's order ---- */

static double *edge_values(double zt, size_t *n_out) {
    static const int shifts[] = {-1021, -1000, -500, -127, -126, -64, -10, -2,   -1,   0,   1,
                                 2,     3,     10,   64,   127,  128, 500, 1000, 1023, 1024};
    size_t cap = 2 * (3 * 2046 + 3 * 52 + 4 + 3 * 256 * 21 + 3 + 5), n = 0;
    double *v = malloc(cap * sizeof *v);
#define ADD3(x)                                                                                    \
    do {                                                                                           \
        uint64_t add3_x = (x);                                                                     \
        v[n++] = from_bits(add3_x - 1);                                                            \
        v[n++] = from_bits(add3_x);                                                                \
        v[n++] = from_bits(add3_x + 1);                                                            \
    } while (0)
    for (uint64_t f = 1; f <= 2046; f++)
        ADD3(f << 52);
    for (unsigned k = 1; k <= 52; k++)
        ADD3((uint64_t)1 << k);
    v[n++] = from_bits(1);
    v[n++] = from_bits(0x000fffffffffffffull);
    v[n++] = from_bits(0x7fefffffffffffffull);
    v[n++] = from_bits(0x7feffffffffffffeull);
    for (int i = 0; i < 256; i++)
        for (size_t j = 0; j < sizeof shifts / sizeof shifts[0]; j++) {
            uint64_t b = to_bits(promc__native_bounds[8][i]) & ~((uint64_t)0x7ff << 52);
            ADD3(b | (uint64_t)(1022 + shifts[j]) << 52);
        }
    if (zt > 0)
        ADD3(to_bits(zt));
#undef ADD3
    v[n++] = 0.0;
    v[n++] = -0.0;
    v[n++] = INFINITY;
    v[n++] = -INFINITY;
    v[n++] = NAN;
    size_t half = n;
    for (size_t i = 0; i < half; i++)
        v[n++] = -v[i];
    *n_out = n;
    return v;
}

static double random_value(uint64_t *s, int narrow) {
    uint64_t r1 = sm_next(s), r2 = sm_next(s), field;
    if (narrow)
        field = 1023 - 20 + (r1 >> 8) % 41;
    else if ((r1 & 3) == 0)
        field = (r1 >> 8) % 2001;
    else
        field = 1023 - 30 + (r1 >> 8) % 61;
    return from_bits((r1 & (1ull << 63)) | field << 52 | (r2 & ((1ull << 52) - 1)));
}

static double factor_for(int schema) {
    return pow(2, pow(2, -schema) * 1.2);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--real") == 0) {
        real_mode = 1;
        real_reg = promc_registry_new();
        argc--;
        argv++;
    }
    long n_random = argc > 1 ? atol(argv[1]) : 120000;
    unsigned long long total = 0;
    static const uint64_t picks[] = {0x3ff6a09e667f3bcd, 0x3ff306fe0a31b715, 0x3ff172b83c7d517b,
                                     0x3ff0b5586cf9890f, 0x3ff059b0d3158574, 0x3ff02c9a3e778061,
                                     0x3ff0163da9fb3335, 0x3ff00b1afa5abcbf, 0x4000000000000000,
                                     0x4010000000000000, 0x4030000000000000, 0x4070000000000000,
                                     0x40f0000000000000, 0x3ff199999999999a, 0x7e37e43c8800759c};
    for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++)
        for (uint64_t x = picks[i] - 1; x <= picks[i] + 1; x++)
            printf("pick %016" PRIx64 " %" PRId32 "\n", x, promc__native_pick_schema(from_bits(x)));

    static const double zts[] = {0, -1, 1e-310, 1e-3, 1};
    for (int zi = 0; zi < 5; zi++)
        for (int schema = -4; schema <= 8; schema++) {
            char name[64];
            hist h;
            hist_init(&h, factor_for(schema), zts[zi], 0);
            size_t n;
            double *v = edge_values(h.zt, &n);
            for (size_t i = 0; i < n; i++)
                hist_observe(&h, v[i]);
            free(v);
            total += n;
            snprintf(name, sizeof name, "edge schema=%d zt=%d", schema, zi);
            dump(name, &h);
            hist_free(&h);

            hist_init(&h, factor_for(schema), zts[zi], 0);
            uint64_t s = (uint64_t)(1000 * zi + schema + 100);
            for (long i = 0; i < n_random; i++)
                hist_observe(&h, random_value(&s, 0));
            total += (unsigned long long)n_random;
            snprintf(name, sizeof name, "random schema=%d zt=%d", schema, zi);
            dump(name, &h);
            hist_free(&h);
        }

    static const int reduce_schemas[] = {8, 4, 1, 0};
    static const uint32_t reduce_max[] = {20, 160};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++) {
            char name[64];
            hist h;
            hist_init(&h, factor_for(reduce_schemas[i]), 0, reduce_max[j]);
            uint64_t s = (uint64_t)(7000 + reduce_schemas[i] * 10 + (int)reduce_max[j]);
            for (long k = 0; k < n_random; k++)
                hist_observe(&h, random_value(&s, 1));
            total += (unsigned long long)n_random;
            snprintf(name, sizeof name, "reduce schema=%d max=%u", reduce_schemas[i],
                     (unsigned)reduce_max[j]);
            dump(name, &h);
            hist_free(&h);
        }
    hist h;
    hist_init(&h, factor_for(8), 0, 50);
    size_t n;
    double *v = edge_values(h.zt, &n);
    for (size_t i = 0; i < n; i++)
        hist_observe(&h, v[i]);
    free(v);
    total += n;
    dump("reduce-edge schema=8 max=50", &h);
    hist_free(&h);
    fprintf(stderr, "native_diff: %llu values observed%s\n", total,
            real_mode ? " by promc's histograms" : "");
    if (real_mode) {
        promc__native_scratch_free(&real_scratch);
        promc_registry_free(real_reg);
    }
    return 0;
}
