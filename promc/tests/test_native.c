/* test_native.c -- native histogram buckets through promc's API: options and their errors,
 * placement as client_golang places (by hand-worked keys; native_diff.sh does millions), NaN
 * and negatives, the classic half beside the native one, labelled children and stale handles,
 * exemplars, the bucket limit (resolution reduction, zero bucket widening, reset after the min
 * reset duration) and no allocation on the hot path once a bucket range has been touched.
 */
#include "check.h"
#include "histogram_native.h"

#include <float.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The native view of one histogram handle, as a scrape reads it. */
typedef struct read_out {
    uint64_t counts[PROMC_MAX_BUCKETS + 1];
    uint64_t count;
    double sum;
    promc_native_view v;
    const promc_native_view *nv;
    int32_t keys[2][4096]; /* decoded from spans/deltas: [0] positive, [1] negative */
    int64_t vals[2][4096];
    size_t n[2];
} read_out;

static promc_native_scratch scratch;

static void decode_side(const promc__native_span *sp, size_t ns, const int64_t *d, int32_t *keys,
                        int64_t *vals, size_t *n) {
    int32_t key = 0;
    int64_t c = 0;
    size_t k = 0;
    *n = 0;
    for (size_t i = 0; i < ns; i++) {
        key += sp[i].offset;
        for (uint32_t j = 0; j < sp[i].length; j++, key++) {
            c += d[k++];
            if (c != 0 && *n < 4096) {
                keys[*n] = key;
                vals[(*n)++] = c;
            }
        }
    }
}

static void read_h(promc_histogram *h, read_out *o) {
    memset(o, 0, sizeof *o);
    promc_child *c = promc__hchild(h);
    promc_arena *a = promc__arena();
    uint64_t sec = promc__enter(a);
    o->sum = promc__histogram_read_native(c, o->counts, &scratch, &o->v, &o->nv);
    promc__leave(a, sec);
    for (size_t i = 0; i <= c->family->nbuckets; i++)
        o->count += o->counts[i];
    if (o->nv) {
        decode_side(o->nv->pos_spans, o->nv->n_pos_spans, o->nv->pos_deltas, o->keys[0], o->vals[0],
                    &o->n[0]);
        decode_side(o->nv->neg_spans, o->nv->n_neg_spans, o->nv->neg_deltas, o->keys[1], o->vals[1],
                    &o->n[1]);
    }
}

static char *render(promc_registry *r) {
    char *out = NULL;
    CHECK_INT(promc_render(r, PROMC_FORMAT_TEXT, &out, NULL), 0);
    return out ? out : calloc(1, 1);
}

static void test_options(void) {
    promc_registry *r = promc_registry_new();
    promc_histogram_opts o = {.bucket_factor = 1.0};
    CHECK(promc_histogram_new_opts(r, "o1", "h", NULL, &o) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    o = (promc_histogram_opts){.max_buckets = 10};
    CHECK(promc_histogram_new_opts(r, "o2", "h", NULL, &o) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    o = (promc_histogram_opts){.bucket_factor = 1.1, .zero_threshold = NAN};
    CHECK(promc_histogram_new_opts(r, "o3", "h", NULL, &o) == NULL);
    o = (promc_histogram_opts){.bucket_factor = 1.1, .max_zero_threshold = -1};
    CHECK(promc_histogram_new_opts(r, "o4", "h", NULL, &o) == NULL);
    /* classic only through the opts form is the plain histogram */
    o = (promc_histogram_opts){0};
    promc_histogram *h = promc_histogram_new_opts(r, "o5", "h", NULL, &o);
    CHECK(h != NULL);
    read_out ro;
    read_h(h, &ro);
    CHECK(ro.nv == NULL);
    for (int s = -4; s <= 8; s++) {
        double f = promc_histogram_schema_factor(s);
        CHECK_INT(promc__native_pick_schema(f), s);
        /* the smallest such: one ulp less is the next schema (none below schema 8's) */
        CHECK_INT(promc__native_pick_schema(nextafter(f, 0)),
                  s < 8 ? s + 1 : PROMC__NATIVE_NO_SCHEMA);
    }
    CHECK(isnan(promc_histogram_schema_factor(9)));
    CHECK(isnan(promc_histogram_schema_factor(-5)));
    /* re-registration: the same knobs give the same family, others a clash */
    o = (promc_histogram_opts){.bucket_factor = 1.1};
    promc_histogram *a = promc_histogram_new_opts(r, "same", "h", NULL, &o);
    CHECK(a != NULL && promc_histogram_new_opts(r, "same", "h", NULL, &o) == a);
    o.bucket_factor = 2.5;
    CHECK(promc_histogram_new_opts(r, "same", "h", NULL, &o) == NULL);
    CHECK(promc_histogram_new(r, "same", "h", NULL, NULL, 0) == NULL);
    promc_registry_free(r);
}

static void test_placement(void) {
    promc_registry *r = promc_registry_new();
    promc_histogram_opts o = {.bucket_factor = 1.1}; /* schema 3 */
    promc_histogram *h = promc_histogram_new_opts(r, "place", "h", NULL, &o);
    CHECK(h != NULL);
    /* schema 3: key k is (2^((k-1)/8), 2^(k/8)]; 1 is key 0, 2 key 8, 1.05 key 1 */
    CHECK_INT(promc_histogram_observe(h, 1.0), 0);
    CHECK_INT(promc_histogram_observe(h, 1.05), 0);
    CHECK_INT(promc_histogram_observe(h, 2.0), 0);
    CHECK_INT(promc_histogram_observe(h, 2.0), 0);
    CHECK_INT(promc_histogram_observe(h, -1.5), 0); /* negative side, key 5 */
    CHECK_INT(promc_histogram_observe(h, 0.0), 0);
    CHECK_INT(promc_histogram_observe(h, 1e-40), 0); /* below 2^-128: the zero bucket */
    CHECK_INT(promc_histogram_observe(h, NAN), 0);   /* count and sum only */
    read_out ro;
    read_h(h, &ro);
    CHECK(ro.nv != NULL);
    if (!ro.nv)
        return;
    CHECK_INT(ro.nv->schema, 3);
    CHECK_DBL(ro.nv->zero_threshold, PROMC__NATIVE_ZERO_THRESHOLD_DEFAULT);
    CHECK_INT(ro.nv->zero_count, 2);
    CHECK_INT(ro.count, 8);
    CHECK(isnan(ro.sum));
    CHECK_INT(ro.n[0], 3);
    CHECK_INT(ro.keys[0][0], 0);
    CHECK_INT(ro.vals[0][0], 1);
    CHECK_INT(ro.keys[0][1], 1);
    CHECK_INT(ro.vals[0][1], 1);
    CHECK_INT(ro.keys[0][2], 8);
    CHECK_INT(ro.vals[0][2], 2);
    /* keys 0, 1 and 8: one span (gap 6 > 2 starts a second) */
    CHECK_INT(ro.nv->n_pos_spans, 2);
    CHECK_INT(ro.nv->pos_spans[0].offset, 0);
    CHECK_INT(ro.nv->pos_spans[0].length, 2);
    CHECK_INT(ro.nv->pos_spans[1].offset, 6);
    CHECK_INT(ro.nv->pos_deltas[0], 1);
    CHECK_INT(ro.nv->pos_deltas[1], 0);
    CHECK_INT(ro.nv->pos_deltas[2], 1);
    CHECK_INT(ro.n[1], 1);
    CHECK_INT(ro.keys[1][0], 5);
    /* native only: the text formats show the +Inf bucket, _count and _sum */
    char *text = render(r);
    CHECK_CONTAINS(text, "place_bucket{le=\"+Inf\"} 8\n");
    CHECK_CONTAINS(text, "place_count 8\n");
    CHECK_CONTAINS(text, "place_sum NaN\n");
    free(text);
    /* a classic-only histogram still refuses NaN and negatives */
    promc_histogram *c = promc_histogram_new(r, "classic", "h", NULL, NULL, 0);
    CHECK_INT(promc_histogram_observe(c, NAN), PROMC_EINVAL);
    CHECK_INT(promc_histogram_observe(c, -1), PROMC_EINVAL);
    promc_registry_free(r);
}

static void test_both_and_children(void) {
    promc_registry *r = promc_registry_new();
    static const double bounds[] = {0.1, 1, 10};
    promc_histogram_opts o = {.bucket_factor = 2, .buckets = bounds, .n_buckets = 3};
    promc_histogram *h = promc_histogram_new_opts(r, "both", "h", PROMC_LABELS("k"), &o);
    promc_histogram *x = promc_histogram_labels(h, "x"), *y = promc_histogram_labels(h, "y");
    CHECK(x && y);
    for (int i = 0; i < 100; i++)
        CHECK_INT(promc_histogram_observe(x, 0.5), 0);
    CHECK_INT(promc_histogram_observe(y, 50), 0);
    CHECK_INT(promc_histogram_observe(y, -0.5), 0); /* native has a negative side */
    read_out ro;
    read_h(x, &ro);
    CHECK_INT(ro.counts[1], 100); /* classic (0.1, 1] */
    CHECK_INT(ro.nv ? ro.nv->schema : 99, 0);
    CHECK_INT(ro.n[0], 1);
    CHECK_INT(ro.keys[0][0], -1); /* schema 0: key k is (2^(k-1), 2^k]; 0.5 is key -1 */
    read_h(y, &ro);
    CHECK_INT(ro.counts[3], 1); /* +Inf */
    CHECK_INT(ro.counts[0], 1); /* -0.5 <= 0.1 */
    CHECK_INT(ro.n[1], 1);
    char *text = render(r);
    CHECK_CONTAINS(text, "both_bucket{k=\"x\",le=\"1.0\"} 100\n");
    free(text);
    /* exemplars go to the classic bucket, as for classic histograms */
    static const char *const ex[] = {"trace_id", "abc", NULL};
    CHECK_INT(promc_histogram_observe_exemplar(x, 0.5, ex), 0);
    /* the timing helpers observe into native buckets as into classic ones */
    PROMC_TIME_HISTOGRAM(x) {
        ro.count = 0; /* the timed block */
    }
    read_h(x, &ro);
    CHECK_INT(ro.count, 102);
    /* 101 observations of 0.5 in key -1, and the block's short duration in a bucket below it */
    CHECK_INT(ro.n[0], 2);
    CHECK_INT(ro.keys[0][1], -1);
    CHECK_INT(ro.vals[0][1], 101);
    CHECK_INT(ro.vals[0][0], 1);
    /* a removed child's handle is a no-op; its native buckets are freed (LSan checks) */
    CHECK_INT(promc_remove(h, PROMC_LABELS("y")), 0);
    CHECK_INT(promc_histogram_observe(y, 1), PROMC_ENOTFOUND);
    promc_histogram *y2 = promc_histogram_labels(h, "y");
    read_h(y2, &ro);
    CHECK_INT(ro.count, 0);
    CHECK_INT(ro.n[0] + ro.n[1], 0);
    promc_registry_free(r);
}

static double fake_now;
static double fake_clock(void) {
    return fake_now;
}

static void test_limits(void) {
    promc_registry *r = promc_registry_new();
    /* resolution: 64 distinct keys of schema 3 into at most 10 buckets */
    promc_histogram_opts o = {.bucket_factor = 1.1, .max_buckets = 10};
    promc_histogram *h = promc_histogram_new_opts(r, "lim", "h", NULL, &o);
    for (int i = 0; i < 64; i++)
        promc_histogram_observe(h, pow(2, (i + 0.5) / 8)); /* keys 1..64 */
    read_out ro;
    read_h(h, &ro);
    CHECK(ro.nv != NULL);
    /* 64 keys -> 32 at schema 2 -> 16 at 1 -> 8 at 0 (2^0.06..2^8: keys 1..8) */
    CHECK_INT(ro.nv ? ro.nv->schema : 99, 0);
    CHECK_INT(ro.n[0], 8);
    int64_t total = 0;
    for (size_t i = 0; i < ro.n[0]; i++)
        total += ro.vals[0][i];
    CHECK_INT(total, 64);
    /* sticky: one more value where schema 3 would fit again stays at schema 0 */
    promc_histogram_observe(h, 1.01);
    read_h(h, &ro);
    CHECK_INT(ro.nv ? ro.nv->schema : 99, 0);

    /* zero bucket: widening onto the smallest buckets keeps the schema */
    o = (promc_histogram_opts){.bucket_factor = 1.1, .max_buckets = 3, .max_zero_threshold = 1};
    promc_histogram *z = promc_histogram_new_opts(r, "limz", "h", NULL, &o);
    static const double vals[] = {0.01, 0.1, 0.5, 4, 8};
    for (size_t i = 0; i < 5; i++)
        promc_histogram_observe(z, vals[i]);
    read_h(z, &ro);
    CHECK_INT(ro.nv ? ro.nv->schema : 99, 3);
    CHECK_INT(ro.n[0], 3); /* 0.5, 4, 8 */
    CHECK_INT(ro.nv ? ro.nv->zero_count : 0, 2);
    CHECK(ro.nv && ro.nv->zero_threshold > 0.1 && ro.nv->zero_threshold < 0.5);

    /* reset: after the min reset duration, too many buckets restart the series */
    promc__ttl_clock = fake_clock;
    fake_now = 1000;
    o = (promc_histogram_opts){
        .bucket_factor = 1.1, .max_buckets = 4, .min_reset_duration_ms = 60000};
    promc_histogram *rs = promc_histogram_new_opts(r, "limr", "h", NULL, &o);
    promc_histogram_observe(rs, 1);
    read_h(rs, &ro); /* the first scrape starts the clock */
    for (int i = 0; i < 8; i++)
        promc_histogram_observe(rs, pow(2, (i + 0.5) / 8));
    read_h(rs, &ro); /* within the duration: reduced instead */
    CHECK_INT(ro.count, 9);
    CHECK(ro.nv && ro.nv->schema < 3 && ro.nv->created == 0);
    fake_now += 61;
    promc_histogram_observe(rs, 100);
    promc_histogram_observe(rs, 200);
    read_h(rs, &ro); /* still > 4 buckets at the reduced schema? then it resets */
    int reset = ro.count == 0;
    if (!reset) { /* make sure it overflows */
        for (int i = 0; i < 40; i++)
            promc_histogram_observe(rs, pow(2, i));
        read_h(rs, &ro);
    }
    CHECK_INT(ro.count, 0);
    CHECK(ro.nv && ro.nv->schema == 3 && ro.nv->created > 0);
    promc_histogram_observe(rs, 2);
    read_h(rs, &ro);
    CHECK_INT(ro.count, 1);
    CHECK_INT(ro.n[0], 1);
    CHECK_INT(ro.keys[0][0], 8);
    CHECK_DBL(ro.sum, 2);
    char *text = render(r);
    CHECK_CONTAINS(text, "limr_count 1\n"); /* the classic half restarts too */
    free(text);
    promc_registry_free(r);
}

static void test_no_allocation(void) {
#if defined(__SANITIZE_ADDRESS__)
    return; /* the sanitizer's allocator keeps mallinfo's counts */
#else
    promc_registry *r = promc_registry_new();
    promc_histogram_opts o = {.bucket_factor = 1.01}; /* schema 6: 64 buckets per octave */
    promc_histogram *h = promc_histogram_new_opts(r, "alloc", "h", NULL, &o);
    for (double v = 1e-3; v < 1e3; v *= 1.001)
        promc_histogram_observe(h, v);
    size_t before = mallinfo2().uordblks;
    uint64_t s = 1;
    for (int i = 0; i < 1000000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        promc_histogram_observe(h, 1e-3 * pow(1e6, (double)(s >> 11) / 9007199254740992.0));
    }
    CHECK_INT(mallinfo2().uordblks, before);
    promc_registry_free(r);
#endif
}

int main(void) {
    test_options();
    test_placement();
    test_both_and_children();
    test_limits();
    test_no_allocation();
    promc__native_scratch_free(&scratch);
    return check_report("native");
}
