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
#include <stdbool.h>

/* Words are 64-bit; a child's words never straddle a block. */
#define PROMC_BLOCK_WORDS 4096u
#define PROMC_MAX_BLOCKS  16384u

typedef _Atomic uint64_t promc_word;

/* One thread's copy of the word space. An exiting thread's arena is kept, with its values, and
 * handed to the next thread that starts updating: values are never merged or lost, and the
 * number of arenas is the peak number of updating threads.
 *
 * section is the thread's grace-period counter (see below): odd while the thread is inside an
 * update, a labels() lookup or a scrape's walk of a family, even otherwise. Only the owner
 * writes it, with plain stores, on a cache line of its own. */
typedef struct promc_arena {
    _Alignas(64) _Atomic uint64_t section;
    char pad_[64 - sizeof(uint64_t)];
    _Atomic(promc_word *) blocks[PROMC_MAX_BLOCKS];
    struct promc_arena *next; /* all arenas, live or free */
    bool in_use;
    bool quarantined; /* its thread vanished in a fork mid-update: never handed out again */
    struct promc_arena *next_free;
} promc_arena;

extern _Thread_local promc_arena *promc__tls_arena __attribute__((tls_model("initial-exec")));
promc_arena *promc__arena_attach(void);
promc_word *promc__block_alloc(promc_arena *a, uint32_t block);
/* This thread's arena, attaching one on first use (NULL if out of memory). */
static inline promc_arena *promc__arena(void) {
    promc_arena *a = promc__tls_arena;
    if (__builtin_expect(a == NULL, 0))
        a = promc__arena_attach();
    return a;
}

/* ---- shard.c: grace periods for lock-free readers and writers ---------------------------- */
/* Every path that reaches a child without the family lock (updates through a handle, the
 * labels() fast path, a scrape's walk) runs inside a section: promc__enter() makes the arena's
 * counter odd, promc__leave() even again. A remover first unpublishes what it frees (index slot,
 * list link, the child's live bit), then promc__grace_start() issues an asymmetric barrier
 * (membarrier) and notes the arenas that are odd; the memory is reused only once
 * promc__grace_done() sees each of them moved on. Writers therefore need no fence of their own:
 * a compiler barrier, and a real seq_cst fence only where membarrier is unavailable or under
 * TSan (which cannot see membarrier). Sections nest (a signal handler updating inside one). */
extern bool promc__strong_fences __attribute__((visibility("hidden")));
#if defined(__SANITIZE_THREAD__)
#define PROMC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PROMC_TSAN 1
#endif
#endif

/* Words only their owner thread writes (sections, an arena's words) are updated by plain
 * instructions. With C11 atomics a relaxed load and a relaxed store stay two instructions
 * around the change (and a double goes through a general register both ways); the hot paths'
 * time follows their instruction count, so on x86-64 each change is one instruction on memory.
 * An aligned 8-byte store is atomic there, and stores are not reordered with stores, so a
 * reader sees what the atomics would show it. Sanitizers see only the C atomics, so their
 * builds use those. */
#if defined(__x86_64__) && !defined(PROMC_TSAN) && !defined(__SANITIZE_ADDRESS__)
#define PROMC_ASM_WORDS 1
#endif
#define PROMC__ASM_WORD(w) (*(uint64_t *)(w)) /* the word as an asm memory operand */

/* A nested enter (a signal handler updating inside a section) finds the section odd and
 * leaves it so; its leave then has nothing to do, and the outer leave ends the section. */
static inline uint64_t promc__enter(promc_arena *a) {
    uint64_t s = atomic_load_explicit(&a->section, memory_order_relaxed);
#if defined(PROMC_TSAN)
    /* GCC's TSan supports no atomic_thread_fence: a seq_cst exchange is the full barrier there
     * (a locked instruction on x86, as the fence would be). */
    (void)atomic_exchange_explicit(&a->section, s | 1u, memory_order_seq_cst);
#else
#ifdef PROMC_ASM_WORDS
    __asm__ volatile("orq $1, %0" : "+m"(PROMC__ASM_WORD(&a->section)) : : "memory");
#else
    atomic_store_explicit(&a->section, s | 1u, memory_order_relaxed);
#endif
    if (__builtin_expect(promc__strong_fences, 0))
        atomic_thread_fence(memory_order_seq_cst);
    else
        atomic_signal_fence(memory_order_seq_cst);
#endif
    return s;
}
static inline void promc__leave(promc_arena *a, uint64_t s) {
    if (__builtin_expect(s & 1u, 0))
        return; /* nested: the outer section goes on */
#ifdef PROMC_ASM_WORDS
    __asm__ volatile("addq $1, %0" : "+m"(PROMC__ASM_WORD(&a->section)) : : "memory");
#else
    atomic_store_explicit(&a->section, s + 2, memory_order_release);
#endif
}

typedef struct promc_grace {
    struct {
        promc_arena *arena;
        uint64_t section;
    } * odd;
    size_t nodd, cap;
} promc_grace;
/* Starts a grace period for everything unpublished so far (barrier + snapshot). 0 or ENOMEM. */
int promc__grace_start(promc_grace *g);
/* Has every section that was running at promc__grace_start() ended? Never waits. */
bool promc__grace_done(const promc_grace *g);
void promc__grace_free(promc_grace *g);

/* Reserves n contiguous words (n <= PROMC_BLOCK_WORDS); returns the first index or UINT32_MAX. */
uint32_t promc__words_alloc(uint32_t n);
/* Zeroes words [idx, idx+n) in every arena and makes them available again. Only for words no
 * thread can write any more (their child is being freed). */
void promc__words_free(uint32_t idx, uint32_t n);

/* This thread's copy of word idx, allocating its block on first touch (NULL if out of memory).
 * Only the calling thread ever writes through the result. */
static inline promc_word *promc__word_local(uint32_t idx) {
    promc_arena *a = promc__arena();
    if (__builtin_expect(a == NULL, 0))
        return NULL;
    promc_word *b = atomic_load_explicit(&a->blocks[idx / PROMC_BLOCK_WORDS], memory_order_relaxed);
    if (__builtin_expect(b == NULL, 0) && !(b = promc__block_alloc(a, idx / PROMC_BLOCK_WORDS)))
        return NULL;
    return &b[idx % PROMC_BLOCK_WORDS];
}

/* Single-writer updates of a thread-local word (below), no lock prefix. */
static inline void promc__word_add_u64(promc_word *w, uint64_t v) {
#ifdef PROMC_ASM_WORDS
    __asm__ volatile("addq %1, %0" : "+m"(PROMC__ASM_WORD(w)) : "er"(v));
#else
    atomic_store_explicit(w, atomic_load_explicit(w, memory_order_relaxed) + v,
                          memory_order_relaxed);
#endif
}

/* A single-writer seqlock's sequence word: odd while an update is under way. begin makes it
 * odd (a sequence left odd by a thread that vanished in a fork stays odd and heals at end);
 * end moves it to the next even value, publishing the update. Each orders the thread's other
 * updates after (begin) or before (end) it. */
static inline void promc__word_seq_begin(promc_word *seq) {
#ifdef PROMC_ASM_WORDS
    __asm__ volatile("orq $1, %0" : "+m"(PROMC__ASM_WORD(seq)) : : "memory");
#else
    atomic_store_explicit(seq, atomic_load_explicit(seq, memory_order_relaxed) | 1u,
                          memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
#endif
}
static inline void promc__word_seq_end(promc_word *seq) {
#ifdef PROMC_ASM_WORDS
    __asm__ volatile("addq $1, %0" : "+m"(PROMC__ASM_WORD(seq)) : : "memory");
#else
    atomic_store_explicit(seq, atomic_load_explicit(seq, memory_order_relaxed) + 1,
                          memory_order_release);
#endif
}
/* Calls fn for every arena's copy of the words starting at idx (live threads' and those that
 * exited threads left behind), without locking. Arenas that never touched the block are skipped.
 * orphan: the arena's thread vanished in a fork mid-update, so nobody will finish what it
 * started (a histogram sequence left odd): the reader may repair it. */
typedef void (*promc_words_fn)(promc_word *words, bool orphan, void *arg);
void promc__words_foreach(uint32_t idx, promc_words_fn fn, void *arg);

static inline void promc__word_add_double(promc_word *w, double v) {
#ifdef PROMC_ASM_WORDS
    __asm__ volatile("addsd %0, %1\n\tmovsd %1, %0" : "+m"(PROMC__ASM_WORD(w)), "+x"(v));
#else
    double d = promc__u2d(atomic_load_explicit(w, memory_order_relaxed)) + v;
    atomic_store_explicit(w, promc__d2u(d), memory_order_relaxed);
#endif
}

#endif /* PROMC_SHARD_H */
