/* native_store.c -- growing a thread's native bucket directory, and freeing it (see
 * native_store.h for the layout and who may touch what). */
#include "native_store.h"

#include <stdlib.h>
#include <string.h>

/* Chunks a new directory covers beyond what it must: room to grow on both sides, so a stream
 * that widens slowly costs O(log n) directories. */
static uint32_t grown_size(uint32_t need, uint32_t old) {
    uint32_t n = old * 2 > need ? old * 2 : need;
    return n < 4 ? 4 : n;
}

promc_word *promc__native_make_room(promc_word *dw, int32_t key) {
    promc_native_dir *d = promc__native_dir(dw);
    int32_t c = key >> PROMC_NATIVE_CHUNK_SHIFT;
    if (!d || c < d->lo || c >= d->lo + (int32_t)d->n) {
        int32_t lo = d ? (c < d->lo ? c : d->lo) : c;
        int32_t hi = d ? (c >= d->lo + (int32_t)d->n ? c + 1 : d->lo + (int32_t)d->n) : c + 1;
        uint32_t n = grown_size((uint32_t)(hi - lo), d ? d->n : 0);
        /* extend towards the side that grew (both when new), centred on the range */
        int32_t slack = (int32_t)(n - (uint32_t)(hi - lo));
        if (!d)
            lo -= slack / 2;
        else if (c < d->lo)
            lo -= slack;
        promc_native_dir *nd = calloc(1, sizeof *nd + n * sizeof nd->chunk[0]);
        if (!nd)
            return NULL;
        nd->lo = lo;
        nd->n = n;
        nd->retired = d;
        if (d)
            for (uint32_t i = 0; i < d->n; i++)
                atomic_store_explicit(&nd->chunk[(uint32_t)(d->lo - lo) + i],
                                      atomic_load_explicit(&d->chunk[i], memory_order_relaxed),
                                      memory_order_relaxed);
        /* release: a reader that loads the new pointer sees its chunk pointers */
        atomic_store_explicit(dw, (uint64_t)(uintptr_t)nd, memory_order_release);
        d = nd;
    }
    uint32_t ci = (uint32_t)(c - d->lo);
    promc_word *chunk = atomic_load_explicit(&d->chunk[ci], memory_order_relaxed);
    if (!chunk) {
        if (!(chunk = calloc(PROMC_NATIVE_CHUNK, sizeof *chunk)))
            return NULL;
        atomic_store_explicit(&d->chunk[ci], chunk, memory_order_release);
    }
    return &chunk[(uint32_t)key & (PROMC_NATIVE_CHUNK - 1)];
}

void promc__native_free(promc_word *dw) {
    promc_native_dir *d = promc__native_dir(dw);
    if (d) /* the newest directory holds every chunk ever made */
        for (uint32_t i = 0; i < d->n; i++)
            free(atomic_load_explicit(&d->chunk[i], memory_order_relaxed));
    while (d) {
        promc_native_dir *older = d->retired;
        free(d);
        d = older;
    }
    atomic_store_explicit(dw, 0, memory_order_relaxed);
}

void promc__native_state_free(promc_native_state *st) {
    if (!st)
        return;
    free(st->base_buckets);
    for (int side = 0; side < 2; side++) {
        free(st->base_keys[side]);
        free(st->base_counts[side]);
    }
    free(st);
}
