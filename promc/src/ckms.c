/* ckms.c -- CKMS targeted-quantile streams: insertion of sorted runs, compression and the
 * rank-bounded query behind summaries. Single-threaded: summary.c serialises all use. */
#include "ckms.h"
#include "base.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The invariant: the largest g + d a tuple at rank r may have among n observations. */
static inline double ckms_f(const ckms_target *t, size_t nt, double r, double n) {
    double m = INFINITY;
    for (size_t j = 0; j < nt; j++) {
        double f = r >= t[j].phi * n ? t[j].a * r : t[j].b * (n - r);
        if (f < m) /* NaN (phi 0 or 1 at an end) constrains nothing */
            m = f;
    }
    return m;
}

static int ckms_reserve(ckms_stream *st, size_t need) {
    if (need <= st->cap)
        return 0;
    size_t cap = st->cap ? st->cap : 256;
    while (cap < need)
        cap *= 2;
    ckms_tuple *l = realloc(st->l, cap * sizeof *l);
    if (!l)
        return -1;
    st->l = l;
    ckms_tuple *tmp = realloc(st->tmp, cap * sizeof *tmp);
    if (!tmp)
        return -1;
    st->tmp = tmp;
    st->cap = cap;
    return 0;
}

/* floor(f) - 1, at least 0: the rank uncertainty a value inserted where f applies gets. */
static inline double ckms_delta(double f) {
    return f >= 1 ? (f < 0x1p52 ? (double)(int64_t)f - 1 : f) : 0;
}

/* Merges tuples that the invariant allows, walking down from the top; the minimum is kept.
 * Merging c = l[i] into its successor x checks the merged tuple against f at c's own rank
 * (sum of g below c), as the paper says; perks checks it at that rank + g - 1, which lets the
 * invariant slip above the target. A value just inserted carries d = -(k + 1), k its index in
 * the batch: its d = floor(f(r, n0 + k)) - 1 is computed only if it survives, r being its rank
 * then, which is its rank now. */
static void ckms_compress(ckms_stream *st, const ckms_target *t, size_t nt, double n0) {
    size_t len = st->len;
    if (len < 3)
        return;
    ckms_tuple *l = st->l;
    double n = st->n;
    ckms_tuple x = l[len - 1]; /* the last tuple is the maximum: d is never deferred */
    size_t w = len - 1;
    double above = x.g; /* sum of g above c */
    for (size_t i = len - 2; i >= 1; i--) {
        ckms_tuple c = l[i];
        double r = n - above - c.g;
        if (c.g + x.g + x.d <= ckms_f(t, nt, r, n)) {
            x.g += c.g;
        } else {
            l[w--] = x;
            x = c;
            if (x.d < 0) /* inserted by this batch: g == 1 and r is its rank at insertion */
                x.d = ckms_delta(ckms_f(t, nt, r, n0 - x.d - 1));
        }
        above += c.g;
    }
    l[w] = x;
    if (w > 1)
        memmove(l + 1, l + w, (len - w) * sizeof *l);
    st->len = len - w + 1;
}

/* Inserts the sorted values x[0..nx) in one merge pass, then compresses. */
int promc__ckms_insert_sorted(ckms_stream *st, const ckms_target *t, size_t nt, const double *x,
                              size_t nx) {
    if (ckms_reserve(st, st->len + nx) != 0)
        return -1;
    const ckms_tuple *in = st->l;
    ckms_tuple *out = st->tmp;
    size_t i = 0, o = 0, len = st->len;
    for (size_t k = 0; k < nx; k++) {
        double v = x[k];
        while (i < len && in[i].v <= v)
            out[o++] = in[i++];
        /* A new minimum or maximum has an exact rank (d = 0); others get theirs in compress. */
        double d = (o > 0 && i < len) ? -(double)(k + 1) : 0;
        out[o++] = (ckms_tuple){v, 1, d};
    }
    memcpy(out + o, in + i, (len - i) * sizeof *out);
    o += len - i;
    double n0 = st->n;
    st->tmp = st->l;
    st->l = out;
    st->len = o;
    st->n = n0 + (double)nx;
    ckms_compress(st, t, nt, n0);
    return 0;
}

/* The value for quantile q: the first tuple whose lowest possible rank reaches q*n. With f
 * built from error/2 (see ckms_target) its rank is within q*n and q*n + error*n: the
 * tuple before it ends below q*n at some rank r, so its highest possible rank is at most
 * r + f(r) <= r + error * (n - r) / (1 - q), which grows with r up to q*n + error*n. (The
 * paper's query, kept by perks and client_golang, can miss the bound: a tuple well below the
 * target may carry a large d and stop the walk early.) */
double promc__ckms_query(const ckms_stream *st, double q) {
    if (st->len == 0)
        return NAN;
    const ckms_tuple *l = st->l;
    if (q <= 0)
        return l[0].v;
    double want = ceil(q * st->n), rmin = 0;
    for (size_t i = 0; i < st->len; i++) {
        rmin += l[i].g;
        if (rmin >= want)
            return l[i].v;
    }
    return l[st->len - 1].v;
}

/* Sorts n <= RING_CAP doubles given as bits (no NaN) into out, ascending: LSD radix sort on
 * the bits mapped to order-preserving unsigned keys, one pass per byte, skipping bytes all keys
 * share. About twice as fast as a quicksort at these sizes. bits and tmp are clobbered. */
void promc__sort_doubles(uint64_t *bits, uint64_t *tmp, size_t n, double *out) {
    uint16_t hist[8][256];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++) {
        uint64_t u = bits[i];
        u = (u >> 63) ? ~u : u | (1ull << 63);
        bits[i] = u;
        for (int b = 0; b < 8; b++)
            hist[b][(u >> (8 * b)) & 0xff]++;
    }
    uint64_t *src = bits, *dst = tmp;
    for (int b = 0; b < 8; b++) {
        if (hist[b][(src[0] >> (8 * b)) & 0xff] == n)
            continue; /* every key has the same byte here */
        uint16_t pos[256];
        uint16_t sum = 0;
        for (int d = 0; d < 256; d++) {
            pos[d] = sum;
            sum = (uint16_t)(sum + hist[b][d]);
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t u = src[i];
            dst[pos[(u >> (8 * b)) & 0xff]++] = u;
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t u = src[i];
        out[i] = promc__u2d((u >> 63) ? u & ~(1ull << 63) : ~u);
    }
}
