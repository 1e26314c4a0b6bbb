/* shard.h -- the per-thread word space behind counters and histograms (shard.c).
 *
 * Every child that needs numbers owns a range of 64-bit "words" in a process-wide word space,
 * and every updating thread has its own copy of that space (its arena), so an update is a
 * relaxed load and store on memory no other thread writes. A scrape sums the words over all
 * arenas. Depends on base.h only. Never installed.
 */
#ifndef PROMC_SHARD_H
#define PROMC_SHARD_H

#include "base.h"

#include <stdatomic.h>

/* Words are 64-bit; a child's words never straddle a block. */
#define PROMC_BLOCK_WORDS 4096u
#define PROMC_MAX_BLOCKS  16384u

typedef _Atomic uint64_t promc_word;

/* One thread's copy of the word space. An exiting thread's arena is kept, with its values, and
 * handed to the next thread that starts updating: values are never merged or lost, and the
 * number of arenas is the peak number of updating threads. */
typedef struct promc_arena {
    _Atomic(promc_word *) blocks[PROMC_MAX_BLOCKS];
    struct promc_arena *next; /* all arenas, live or free */
    bool in_use;
    struct promc_arena *next_free;
} promc_arena;

extern _Thread_local promc_arena *promc__tls_arena __attribute__((tls_model("initial-exec")));
promc_arena *promc__arena_attach(void);
promc_word *promc__block_alloc(promc_arena *a, uint32_t block);

/* Reserves n contiguous words (n <= PROMC_BLOCK_WORDS); returns the first index or UINT32_MAX. */
uint32_t promc__words_alloc(uint32_t n);
/* Zeroes words [idx, idx+n) in every arena and makes them available again. Only for words no
 * thread can write any more (their child is being freed). */
void promc__words_free(uint32_t idx, uint32_t n);

/* This thread's copy of word idx, allocating its block on first touch (NULL if out of memory).
 * Only the calling thread ever writes through the result. */
static inline promc_word *promc__word_local(uint32_t idx) {
    promc_arena *a = promc__tls_arena;
    if (__builtin_expect(a == NULL, 0) && !(a = promc__arena_attach()))
        return NULL;
    promc_word *b = atomic_load_explicit(&a->blocks[idx / PROMC_BLOCK_WORDS], memory_order_relaxed);
    if (__builtin_expect(b == NULL, 0) && !(b = promc__block_alloc(a, idx / PROMC_BLOCK_WORDS)))
        return NULL;
    return &b[idx % PROMC_BLOCK_WORDS];
}

/* Single-writer updates of a thread-local word: plain load and store, no lock prefix. */
static inline void promc__word_add_u64(promc_word *w, uint64_t v) {
    atomic_store_explicit(w, atomic_load_explicit(w, memory_order_relaxed) + v,
                          memory_order_relaxed);
}
/* Calls fn for every arena's copy of the words starting at idx (live threads' and those that
 * exited threads left behind), without locking. Arenas that never touched the block are skipped. */
typedef void (*promc_words_fn)(const promc_word *words, void *arg);
void promc__words_foreach(uint32_t idx, promc_words_fn fn, void *arg);

static inline void promc__word_add_double(promc_word *w, double v) {
    double d = promc__u2d(atomic_load_explicit(w, memory_order_relaxed)) + v;
    atomic_store_explicit(w, promc__d2u(d), memory_order_relaxed);
}

#endif /* PROMC_SHARD_H */
