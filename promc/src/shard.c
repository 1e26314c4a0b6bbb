/* shard.c -- the per-thread word space behind counters and histograms.
 *
 * Each child owns a range of 64-bit words; each updating thread owns an arena, a private copy of
 * the whole word space allocated one block at a time on first touch. Updates are single-writer
 * (a relaxed load and store on the thread's own cache lines), so two threads updating the same
 * counter never share a line. A scrape sums a word over every arena without any lock: arenas
 * are never freed and the list of them only grows at its head.
 *
 * Invariants:
 *  - an arena is written only by the thread it is attached to; arena_lock orders the hand-over
 *    from an exiting thread to the next one, so the next owner sees every value (and readers
 *    keep summing the arena's values whoever owns it);
 *  - a block pointer, once published with a release store, never changes until exit;
 *  - words are reused only once their child is reclaimed (after a grace period, lifecycle.c) or
 *    freed with its family; they are zeroed in every arena before reuse, and the zeroing
 *    happens-before any use of the new child (words_lock, then the family's publication of the
 *    child);
 *  - an exiting thread's arena is handed over with its TLS pointer cleared, so a later update
 *    from the same thread (in another TLS destructor) attaches afresh instead of writing an
 *    arena another thread may own by then.
 *
 * Grace periods (promc__grace_*): see shard.h. The asymmetric barrier is
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), registered once; where that fails (old kernel,
 * seccomp) promc__strong_fences makes every section enter with a seq_cst fence instead.
 *
 * Fork: pthread_atfork handlers hold arena_lock and words_lock across fork(); in the child,
 * arenas of threads that did not survive are handed to the free list when their thread was
 * outside any section, and quarantined (never handed out, sections closed, odd histogram
 * sequences repaired by readers: words_foreach's orphan flag) when it was inside one.
 */
#include "shard.h"

#include <stdatomic.h>
#include <pthread.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

_Thread_local promc_arena *promc__tls_arena __attribute__((tls_model("initial-exec")));

static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(promc_arena *) all_arenas; /* every arena ever made, newest first */
static promc_arena *free_arenas;          /* left by exited threads, values intact */
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static pthread_mutex_t words_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t next_word;

/* Freed ranges, one stack per size (sizes are few: 2 for counters, nbuckets+3 for
 * histograms), so reuse is O(1) and exact: no fragmentation to manage. */
typedef struct free_stack {
    uint32_t *first_words;
    size_t n, cap;
} free_stack;
static free_stack free_by_size[PROMC_BLOCK_WORDS + 1];

bool promc__strong_fences;
static bool use_membarrier;

static void arena_detach(void *arg) {
    promc_arena *a = arg;
    if (promc__tls_arena == a)
        promc__tls_arena = NULL; /* a later update from this thread attaches afresh */
    pthread_mutex_lock(&arena_lock);
    a->in_use = false;
    a->next_free = free_arenas;
    free_arenas = a;
    pthread_mutex_unlock(&arena_lock);
}

static bool membarrier_register(void) {
#if defined(__NR_membarrier) && !defined(PROMC_TSAN)
    long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0);
    return cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
           syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0) == 0;
#else
    return false;
#endif
}

static void fork_prepare(void) {
    pthread_mutex_lock(&arena_lock);
    pthread_mutex_lock(&words_lock);
}

static void fork_parent(void) {
    pthread_mutex_unlock(&words_lock);
    pthread_mutex_unlock(&arena_lock);
}

/* Only the forking thread survives: its arena stays; every other attached arena lost its
 * thread. One that was outside a section is consistent and goes to the free list; one caught
 * inside a section may have a histogram sequence left odd, so it is closed and quarantined. */
static void fork_child(void) {
    promc_arena *own = promc__tls_arena;
    for (promc_arena *a = atomic_load_explicit(&all_arenas, memory_order_relaxed); a; a = a->next) {
        if (!a->in_use || a == own || a->quarantined)
            continue;
        uint64_t s = atomic_load_explicit(&a->section, memory_order_relaxed);
        if (s & 1) {
            atomic_store_explicit(&a->section, s + 1, memory_order_relaxed);
            a->quarantined = true;
        } else {
            a->in_use = false;
            a->next_free = free_arenas;
            free_arenas = a;
        }
    }
    use_membarrier = membarrier_register(); /* per process: register the child's own */
    promc__strong_fences = !use_membarrier;
    fork_parent();
}

static void make_exit_key(void) {
    pthread_key_create(&exit_key, arena_detach);
    use_membarrier = membarrier_register();
    promc__strong_fences = !use_membarrier;
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

promc_arena *promc__arena_attach(void) {
    pthread_once(&exit_key_once, make_exit_key);
    pthread_mutex_lock(&arena_lock);
    promc_arena *a = free_arenas;
    if (a) {
        free_arenas = a->next_free;
    } else if ((a = aligned_alloc(64, sizeof *a)) != NULL) {
        memset(a, 0, sizeof *a);
        a->next = atomic_load_explicit(&all_arenas, memory_order_relaxed);
        atomic_store_explicit(&all_arenas, a, memory_order_release);
    }
    if (a)
        a->in_use = true;
    pthread_mutex_unlock(&arena_lock);
    if (!a)
        return NULL;
    pthread_setspecific(exit_key, a);
    promc__tls_arena = a;
    return a;
}

promc_word *promc__block_alloc(promc_arena *a, uint32_t block) {
    if (block >= PROMC_MAX_BLOCKS)
        return NULL;
    /* 64-byte aligned so neighbouring words of two threads never share a line */
    promc_word *b = aligned_alloc(64, PROMC_BLOCK_WORDS * sizeof(promc_word));
    if (!b)
        return NULL;
    memset(b, 0, PROMC_BLOCK_WORDS * sizeof(promc_word));
    atomic_store_explicit(&a->blocks[block], b, memory_order_release);
    return b;
}

uint32_t promc__words_alloc(uint32_t n) {
    if (n == 0 || n > PROMC_BLOCK_WORDS)
        return UINT32_MAX;
    pthread_mutex_lock(&words_lock);
    free_stack *fs = &free_by_size[n];
    if (fs->n > 0) {
        uint32_t reused = fs->first_words[--fs->n];
        pthread_mutex_unlock(&words_lock);
        return reused;
    }
    uint32_t first = next_word;
    /* a child's words never straddle two blocks */
    if (first / PROMC_BLOCK_WORDS != (first + n - 1) / PROMC_BLOCK_WORDS)
        first = (first / PROMC_BLOCK_WORDS + 1) * PROMC_BLOCK_WORDS;
    if ((uint64_t)first + n > (uint64_t)PROMC_MAX_BLOCKS * PROMC_BLOCK_WORDS) {
        pthread_mutex_unlock(&words_lock);
        return UINT32_MAX;
    }
    next_word = first + n;
    pthread_mutex_unlock(&words_lock);
    return first;
}

void promc__words_free(uint32_t idx, uint32_t n) {
    if (idx == UINT32_MAX || n == 0 || n > PROMC_BLOCK_WORDS)
        return;
    for (promc_arena *a = atomic_load_explicit(&all_arenas, memory_order_acquire); a; a = a->next) {
        promc_word *b =
            atomic_load_explicit(&a->blocks[idx / PROMC_BLOCK_WORDS], memory_order_acquire);
        for (uint32_t i = 0; b && i < n; i++)
            atomic_store_explicit(&b[idx % PROMC_BLOCK_WORDS + i], 0, memory_order_relaxed);
    }
    pthread_mutex_lock(&words_lock);
    free_stack *fs = &free_by_size[n];
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 64;
        uint32_t *grown = realloc(fs->first_words, cap * sizeof *grown);
        if (!grown) { /* keep going without reusing this range */
            pthread_mutex_unlock(&words_lock);
            return;
        }
        fs->first_words = grown;
        fs->cap = cap;
    }
    fs->first_words[fs->n++] = idx;
    pthread_mutex_unlock(&words_lock);
}

void promc__words_foreach(uint32_t idx, promc_words_fn fn, void *arg) {
    for (promc_arena *a = atomic_load_explicit(&all_arenas, memory_order_acquire); a; a = a->next) {
        promc_word *b =
            atomic_load_explicit(&a->blocks[idx / PROMC_BLOCK_WORDS], memory_order_acquire);
        if (b)
            fn(&b[idx % PROMC_BLOCK_WORDS], a->quarantined, arg);
    }
}

/* ---- Grace periods ----------------------------------------------------------------------- */

int promc__grace_start(promc_grace *g) {
    pthread_once(&exit_key_once, make_exit_key); /* use_membarrier is settled */
    /* Everything the caller unpublished is visible to every thread once the barrier returns:
     * a section that began before it is odd in the snapshot below, one that begins after it
     * cannot find what was unpublished. */
    if (use_membarrier) {
        (void)syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0);
    } else {
#if defined(PROMC_TSAN) /* no atomic_thread_fence under GCC's TSan: a seq_cst RMW instead */
        static _Atomic uint64_t fence_word;
        (void)atomic_fetch_add_explicit(&fence_word, 0, memory_order_seq_cst);
#else
        atomic_thread_fence(memory_order_seq_cst);
#endif
    }
    g->nodd = 0;
    for (promc_arena *a = atomic_load_explicit(&all_arenas, memory_order_acquire); a; a = a->next) {
        uint64_t s = atomic_load_explicit(&a->section, memory_order_acquire);
        if (!(s & 1))
            continue;
        if (g->nodd == g->cap) {
            size_t cap = g->cap ? g->cap * 2 : 8;
            void *grown = realloc(g->odd, cap * sizeof g->odd[0]);
            if (!grown)
                return PROMC_ENOMEM;
            g->odd = grown;
            g->cap = cap;
        }
        g->odd[g->nodd].arena = a;
        g->odd[g->nodd].section = s;
        g->nodd++;
    }
    return 0;
}

bool promc__grace_done(const promc_grace *g) {
    for (size_t i = 0; i < g->nodd; i++)
        if (atomic_load_explicit(&g->odd[i].arena->section, memory_order_acquire) ==
            g->odd[i].section)
            return false;
    return true;
}

void promc__grace_free(promc_grace *g) {
    free(g->odd);
    *g = (promc_grace){0};
}
