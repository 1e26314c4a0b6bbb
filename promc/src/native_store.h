/* native_store.h -- where a thread keeps its native histogram buckets (native_store.c).
 *
 * A native histogram's buckets are sparse and unbounded in number, so they cannot live in the
 * fixed shard words of a child. Each thread instead keeps, per child and side (positive,
 * negative), a directory of 64-key chunks, its pointer in one of the child's shard words. The
 * directory covers a contiguous range of chunk numbers and grows (by a new directory that takes
 * the old one's chunk pointers) when a key falls outside it; chunks are allocated when first
 * touched and never move. So an observation whose chunk exists costs two dependent loads and
 * no allocation, and only the owning thread ever writes a directory, a chunk pointer or a
 * count. A scrape reads them under the histogram's per-thread sequence word (histogram.c): a
 * directory replaced mid-read is still readable, because replaced directories are kept, linked
 * from their successor, until the child's words are released. Keys are those of the family's
 * schema (native_schema.h). Depends on shard.h only. Never installed.
 */
#ifndef PROMC_NATIVE_STORE_H
#define PROMC_NATIVE_STORE_H

#include "shard.h"

#define PROMC_NATIVE_CHUNK_SHIFT 6
#define PROMC_NATIVE_CHUNK       (1u << PROMC_NATIVE_CHUNK_SHIFT)

typedef struct promc_native_dir {
    int32_t lo;                       /* chunk number of chunk[0] (key >> CHUNK_SHIFT) */
    uint32_t n;                       /* chunks covered */
    struct promc_native_dir *retired; /* the directory this one replaced, kept for readers */
    _Atomic(promc_word *) chunk[];    /* NULL: no key of that chunk observed yet */
} promc_native_dir;

/* The directory whose pointer word *w holds (NULL: none yet). */
static inline promc_native_dir *promc__native_dir(promc_word *w) {
    return (promc_native_dir *)(uintptr_t)atomic_load_explicit(w, memory_order_acquire);
}

/* This thread's count word for key in the directory word dw, or NULL when its chunk is not
 * there yet (then promc__native_make_room). Owner thread only. */
static inline promc_word *promc__native_count(promc_word *dw, int32_t key) {
    promc_native_dir *d = promc__native_dir(dw);
    if (__builtin_expect(d == NULL, 0))
        return NULL;
    uint32_t ci = (uint32_t)((key >> PROMC_NATIVE_CHUNK_SHIFT) - d->lo);
    if (__builtin_expect(ci >= d->n, 0))
        return NULL;
    promc_word *chunk = atomic_load_explicit(&d->chunk[ci], memory_order_relaxed);
    if (__builtin_expect(chunk == NULL, 0))
        return NULL;
    return &chunk[(uint32_t)key & (PROMC_NATIVE_CHUNK - 1)];
}

/* Makes the chunk of key exist in the directory word dw (growing or creating the directory),
 * then returns its count word; NULL when out of memory (nothing changed). Owner thread only,
 * outside its sequence's odd phase (allocation is allowed to take time). */
promc_word *promc__native_make_room(promc_word *dw, int32_t key);

/* Frees the directory in dw, its chunks and the directories it replaced, and clears dw. Only
 * for words no thread can reach any more (their child is being released). */
void promc__native_free(promc_word *dw);

/* What scrapes of one child remember between them (histogram_native.c, under the family's
 * native_lock): the resolution and zero bucket a bucket limit brought the exposition to, and
 * what a reset left behind. A reset cannot zero other threads' words, so it keeps a snapshot
 * (the baseline) that later scrapes subtract. */
typedef struct promc_native_state {
    int32_t schema;        /* exposed schema, <= the family's */
    double zero_threshold; /* exposed zero threshold, >= the family's */
    double last_reset;     /* unix seconds of the child's creation or last reset */
    double reset_created;  /* 0, or the created timestamp a reset gave the series */
    bool has_baseline;
    double base_sum;
    uint64_t base_zero;
    uint64_t *base_buckets; /* nbuckets + 1 classic counts */
    int32_t *base_keys[2];  /* [0] positive, [1] negative: keys in the family's schema */
    int64_t *base_counts[2];
    size_t base_n[2];
} promc_native_state;

void promc__native_state_free(promc_native_state *st);

#endif /* PROMC_NATIVE_STORE_H */
