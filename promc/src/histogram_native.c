/* histogram_native.c -- the scrape side of native buckets: summing every thread's sparse
 * buckets, applying client_golang's bucket limit, and laying the result out as protobuf spans.
 *
 * Threads keep their buckets in chunked directories (native_store.h), always in the family's
 * schema and zero threshold. A scrape sums them per side into a dense array over the chunks it
 * met, keeps the non-empty buckets (client_golang exposes a bucket once it exists, and a bucket
 * exists once it holds an observation), and then, only for a family with max_buckets, applies
 * the limit as client_golang's limitBuckets does on each observation: while there are too many
 * buckets, reset (if the min reset duration has passed), else widen the zero bucket onto the
 * bucket closest to zero (up to max_zero_threshold), else halve the resolution. The resolution
 * and zero threshold reached are kept in the child's promc_native_state until a reset, as
 * client_golang keeps them, and reapplied to the fine buckets at every scrape: merging keys of
 * a finer schema gives exactly the buckets of the coarser one, and a widened zero threshold is
 * always a bucket boundary. So the hot path never coordinates with anyone, and a scrape after
 * any observation sequence shows what client_golang would, except that client_golang decides at
 * the observation that overflowed and promc at the next scrape (the schema reached is the same:
 * the largest that fits the buckets seen), and that a reset here also drops the observation
 * client_golang would repeat into the fresh histogram.
 */
#include "histogram_native.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK PROMC_NATIVE_CHUNK

/* One side's totals, dense over chunk numbers [lo, lo + n). */
typedef struct side_sum {
    int32_t lo;
    uint32_t n, cap; /* chunks */
    uint64_t *counts;
} side_sum;

/* One present chunk of the arena being copied. */
typedef struct chunk_copy {
    int32_t chunk;
    int side;
    uint64_t counts[CHUNK];
} chunk_copy;

/* Sorted buckets of one side. */
typedef struct bucket_list {
    int32_t *keys;
    int64_t *counts;
    size_t n, cap;
} bucket_list;

struct promc_native_work {
    side_sum sum[2]; /* [0] positive, [1] negative */
    uint64_t zero;
    uint64_t copy_zero;
    chunk_copy *copies;
    size_t ncopies, capcopies;
    bool failed;
    bucket_list raw[2], out[2];
    promc__native_span *spans[2];
    int64_t *deltas[2];
    size_t span_cap[2];
};

void promc__native_scratch_free(promc_native_scratch *s) {
    promc_native_work *nw = s->work;
    if (nw) {
        for (int side = 0; side < 2; side++) {
            free(nw->sum[side].counts);
            free(nw->raw[side].keys);
            free(nw->raw[side].counts);
            free(nw->out[side].keys);
            free(nw->out[side].counts);
            free(nw->spans[side]);
            free(nw->deltas[side]);
        }
        free(nw->copies);
        free(nw);
    }
    s->work = NULL;
}

promc_native_work *promc__native_work_start(promc_native_scratch *scratch) {
    if (!scratch->work && !(scratch->work = calloc(1, sizeof *scratch->work)))
        return NULL;
    promc_native_work *nw = scratch->work;
    for (int side = 0; side < 2; side++)
        nw->sum[side].n = 0;
    nw->zero = 0;
    nw->failed = false;
    return nw;
}

/* ---- Reading the arenas -------------------------------------------------------------------- */

void promc__native_copy(promc_native_work *nw, promc_word *w, size_t nbuckets) {
    nw->ncopies = 0;
    nw->copy_zero = atomic_load_explicit(&w[PROMC_HW_ZERO(nbuckets)], memory_order_relaxed);
    for (int side = 0; side < 2 && !nw->failed; side++) {
        promc_native_dir *d = promc__native_dir(&w[PROMC_HW_DIR(nbuckets, side)]);
        for (uint32_t i = 0; d && i < d->n; i++) {
            promc_word *chunk = atomic_load_explicit(&d->chunk[i], memory_order_acquire);
            if (!chunk)
                continue;
            if (nw->ncopies == nw->capcopies) {
                size_t cap = nw->capcopies ? 2 * nw->capcopies : 16;
                chunk_copy *grown = realloc(nw->copies, cap * sizeof *grown);
                if (!grown) {
                    nw->failed = true;
                    return;
                }
                nw->copies = grown;
                nw->capcopies = cap;
            }
            chunk_copy *cc = &nw->copies[nw->ncopies++];
            cc->chunk = d->lo + (int32_t)i;
            cc->side = side;
            for (unsigned k = 0; k < CHUNK; k++)
                cc->counts[k] = atomic_load_explicit(&chunk[k], memory_order_relaxed);
        }
    }
}

/* Makes s cover chunk c. */
static bool cover(side_sum *s, int32_t c) {
    if (s->n > 0 && c >= s->lo && c < s->lo + (int32_t)s->n)
        return true;
    int32_t lo = s->n ? (c < s->lo ? c : s->lo) : c;
    int32_t hi = s->n ? (c >= s->lo + (int32_t)s->n ? c + 1 : s->lo + (int32_t)s->n) : c + 1;
    uint32_t n = (uint32_t)(hi - lo);
    if (n > s->cap) {
        uint32_t cap = n > 2 * s->cap ? n : 2 * s->cap;
        uint64_t *grown = realloc(s->counts, (size_t)cap * CHUNK * sizeof *grown);
        if (!grown)
            return false;
        s->counts = grown;
        s->cap = cap;
    }
    if (s->n == 0) {
        memset(s->counts, 0, (size_t)n * CHUNK * sizeof *s->counts);
    } else {
        uint32_t shift = (uint32_t)(s->lo - lo);
        memmove(s->counts + (size_t)shift * CHUNK, s->counts,
                (size_t)s->n * CHUNK * sizeof *s->counts);
        memset(s->counts, 0, (size_t)shift * CHUNK * sizeof *s->counts);
        uint32_t tail = shift + s->n;
        memset(s->counts + (size_t)tail * CHUNK, 0, (size_t)(n - tail) * CHUNK * sizeof *s->counts);
    }
    s->lo = lo;
    s->n = n;
    return true;
}

void promc__native_commit(promc_native_work *nw) {
    if (nw->failed)
        return;
    nw->zero += nw->copy_zero;
    for (size_t i = 0; i < nw->ncopies; i++) {
        const chunk_copy *cc = &nw->copies[i];
        side_sum *s = &nw->sum[cc->side];
        if (!cover(s, cc->chunk)) {
            nw->failed = true;
            return;
        }
        uint64_t *dst = s->counts + (size_t)(cc->chunk - s->lo) * CHUNK;
        for (unsigned k = 0; k < CHUNK; k++)
            dst[k] += cc->counts[k];
    }
}

/* ---- Bucket lists ------------------------------------------------------------------------- */

static bool list_reserve(bucket_list *l, size_t n) {
    if (n <= l->cap)
        return true;
    size_t cap = n > 2 * l->cap ? n : 2 * l->cap;
    int32_t *k = realloc(l->keys, cap * sizeof *k);
    if (k)
        l->keys = k;
    int64_t *c = realloc(l->counts, cap * sizeof *c);
    if (c)
        l->counts = c;
    if (!k || !c)
        return false;
    l->cap = cap;
    return true;
}

/* The non-empty buckets of a side's totals, ascending. */
static bool list_from_sum(bucket_list *l, const side_sum *s) {
    size_t n = 0;
    for (size_t i = 0; i < (size_t)s->n * CHUNK; i++)
        n += s->counts[i] != 0;
    if (!list_reserve(l, n))
        return false;
    l->n = 0;
    for (size_t i = 0; i < (size_t)s->n * CHUNK; i++)
        if (s->counts[i] != 0) {
            l->keys[l->n] = s->lo * (int32_t)CHUNK + (int32_t)i;
            l->counts[l->n++] = (int64_t)s->counts[i];
        }
    return true;
}

/* out = raw - base (base's keys are a subset of raw's: counts only grow). */
static bool list_minus(bucket_list *out, const bucket_list *raw, const int32_t *bkeys,
                       const int64_t *bcounts, size_t bn) {
    if (!list_reserve(out, raw->n))
        return false;
    out->n = 0;
    size_t j = 0;
    for (size_t i = 0; i < raw->n; i++) {
        int64_t c = raw->counts[i];
        while (j < bn && bkeys[j] < raw->keys[i])
            j++;
        if (j < bn && bkeys[j] == raw->keys[i])
            c -= bcounts[j];
        if (c > 0) {
            out->keys[out->n] = raw->keys[i];
            out->counts[out->n++] = c;
        }
    }
    return true;
}

/* Moves the buckets whose upper bound is <= zt into the zero bucket. */
static void fold_zero(bucket_list *l, int32_t schema, double zt, uint64_t *zero) {
    size_t k = 0;
    while (k < l->n && promc__native_upper_bound(l->keys[k], schema) <= zt)
        *zero += (uint64_t)l->counts[k++];
    if (k > 0) {
        memmove(l->keys, l->keys + k, (l->n - k) * sizeof *l->keys);
        memmove(l->counts, l->counts + k, (l->n - k) * sizeof *l->counts);
        l->n -= k;
    }
}

static bool copy_array(void **dst, const void *src, size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p)
        return false;
    memcpy(p, src, bytes);
    free(*dst);
    *dst = p;
    return true;
}

/* ---- The limit ---------------------------------------------------------------------------- */

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resets the exposition: the raw totals become the baseline. false: out of memory (no reset). */
static bool reset(promc_native_state *st, const promc_family *f, promc_native_work *nw,
                  const uint64_t *raw_counts, double raw_sum) {
    for (int side = 0; side < 2; side++) {
        const bucket_list *r = &nw->raw[side];
        if (!copy_array((void **)&st->base_keys[side], r->keys, r->n * sizeof *r->keys) ||
            !copy_array((void **)&st->base_counts[side], r->counts, r->n * sizeof *r->counts))
            return false;
        st->base_n[side] = r->n;
    }
    if (!copy_array((void **)&st->base_buckets, raw_counts, (f->nbuckets + 1) * sizeof *raw_counts))
        return false;
    st->base_sum = raw_sum;
    st->base_zero = nw->zero;
    st->has_baseline = true;
    st->schema = f->native_schema;
    st->zero_threshold = f->native_zero_threshold;
    st->last_reset = promc__ttl_now();
    st->reset_created = wall_now();
    return true;
}

/* The key closest to zero over both sides; false if there are no buckets. */
static bool smallest_key(promc_native_work *nw, int32_t *key) {
    bool any = false;
    for (int side = 0; side < 2; side++)
        if (nw->out[side].n > 0 && (!any || nw->out[side].keys[0] < *key)) {
            *key = nw->out[side].keys[0];
            any = true;
        }
    return any;
}

/* client_golang's strategies, in its order, until the buckets fit (or nothing helps). */
static bool apply_limit(promc_native_state *st, const promc_family *f, promc_native_work *nw,
                        uint64_t *counts, double *sum, uint64_t *zero, const uint64_t *raw_counts,
                        double raw_sum) {
    while (nw->out[0].n + nw->out[1].n > f->native_max_buckets) {
        if (f->native_min_reset > 0 && promc__ttl_now() - st->last_reset >= f->native_min_reset) {
            if (!reset(st, f, nw, raw_counts, raw_sum))
                return false;
            nw->out[0].n = nw->out[1].n = 0;
            memset(counts, 0, (f->nbuckets + 1) * sizeof *counts);
            *sum = 0;
            *zero = 0;
            return true;
        }
        int32_t key;
        if (st->zero_threshold < f->native_max_zero_threshold && smallest_key(nw, &key)) {
            double zt = promc__native_upper_bound(key, st->schema);
            if (zt <= f->native_max_zero_threshold) {
                st->zero_threshold = zt;
                for (int side = 0; side < 2; side++)
                    fold_zero(&nw->out[side], st->schema, zt, zero);
                continue;
            }
        }
        if (st->schema == PROMC__NATIVE_SCHEMA_MIN)
            break;
        st->schema--;
        for (int side = 0; side < 2; side++)
            nw->out[side].n =
                promc__native_reduce(nw->out[side].keys, nw->out[side].counts, nw->out[side].n);
    }
    return true;
}

/* ---- The view ----------------------------------------------------------------------------- */

static bool lay_out(promc_native_work *nw, promc_native_view *v) {
    for (int side = 0; side < 2; side++) {
        const bucket_list *l = &nw->out[side];
        size_t need = l->n + 1;
        if (need > nw->span_cap[side]) {
            promc__native_span *sp = realloc(nw->spans[side], need * sizeof *sp);
            if (sp)
                nw->spans[side] = sp;
            int64_t *d = realloc(nw->deltas[side], 3 * need * sizeof *d);
            if (d)
                nw->deltas[side] = d;
            if (!sp || !d)
                return false;
            nw->span_cap[side] = need;
        }
    }
    v->n_pos_spans = promc__native_spans(nw->out[0].keys, nw->out[0].counts, nw->out[0].n,
                                         nw->spans[0], nw->deltas[0], &v->n_pos_deltas);
    v->n_neg_spans = promc__native_spans(nw->out[1].keys, nw->out[1].counts, nw->out[1].n,
                                         nw->spans[1], nw->deltas[1], &v->n_neg_deltas);
    v->pos_spans = nw->spans[0];
    v->neg_spans = nw->spans[1];
    v->pos_deltas = nw->deltas[0];
    v->neg_deltas = nw->deltas[1];
    return true;
}

const promc_native_view *promc__native_finish(promc_native_work *nw, const promc_child *c,
                                              uint64_t *counts, double *sum, promc_native_view *v) {
    promc_family *f = c->family;
    if (nw->failed)
        return NULL;
    for (int side = 0; side < 2; side++)
        if (!list_from_sum(&nw->raw[side], &nw->sum[side]))
            return NULL;
    *v =
        (promc_native_view){.schema = f->native_schema, .zero_threshold = f->native_zero_threshold};
    uint64_t zero = nw->zero;
    if (f->native_max_buckets == 0) { /* no limit, so no state: the buckets as they are */
        for (int side = 0; side < 2; side++)
            if (!list_minus(&nw->out[side], &nw->raw[side], NULL, NULL, 0))
                return NULL;
        v->zero_count = zero;
        return lay_out(nw, v) ? v : NULL;
    }

    pthread_mutex_lock(&f->native_lock);
    const promc_native_view *result = NULL;
    promc_native_state *st = c->u.native;
    if (!st && (st = calloc(1, sizeof *st))) {
        st->schema = f->native_schema;
        st->zero_threshold = f->native_zero_threshold;
        st->last_reset = promc__ttl_now();
        ((promc_child *)c)->u.native = st; /* freed with the child (lifecycle.c) */
    }
    uint64_t raw_counts[PROMC_MAX_BUCKETS + 1];
    memcpy(raw_counts, counts, (f->nbuckets + 1) * sizeof *counts);
    double raw_sum = *sum;
    bool ok = st != NULL;
    for (int side = 0; ok && side < 2; side++)
        ok = list_minus(&nw->out[side], &nw->raw[side], st->has_baseline ? st->base_keys[side] : 0,
                        st->base_counts[side], st->has_baseline ? st->base_n[side] : 0);
    if (ok && st->has_baseline) {
        for (size_t i = 0; i <= f->nbuckets; i++)
            counts[i] -= st->base_buckets[i];
        *sum -= st->base_sum;
        zero -= st->base_zero;
    }
    for (int32_t s = f->native_schema; ok && s > st->schema; s--)
        for (int side = 0; side < 2; side++)
            nw->out[side].n =
                promc__native_reduce(nw->out[side].keys, nw->out[side].counts, nw->out[side].n);
    if (ok && st->zero_threshold > f->native_zero_threshold)
        for (int side = 0; side < 2; side++)
            fold_zero(&nw->out[side], st->schema, st->zero_threshold, &zero);
    ok = ok && apply_limit(st, f, nw, counts, sum, &zero, raw_counts, raw_sum);
    if (ok) {
        v->schema = st->schema;
        v->zero_threshold = st->zero_threshold;
        v->zero_count = zero;
        v->created = st->reset_created;
        if (lay_out(nw, v))
            result = v;
    }
    pthread_mutex_unlock(&f->native_lock);
    return result;
}
