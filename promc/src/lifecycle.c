/* lifecycle.c -- where children come from and go back to: slots in per-family slabs, the limbo
 * of removed children and replaced index tables, series TTL sweeps and cardinality limits.
 *
 * Slots. A family's children live in slabs of fixed-size slots, one size class per slot size
 * (header + label values, in 8-byte units). A slab is never freed before the family, so every
 * handle ever returned points at readable memory with a child header at its start, and a slot
 * is reused only for a child of the same family and size. Slabs double with their class (1, 1,
 * 2, 4, ... up to SLAB_MAX_SLOTS slots), so a class wastes at most its last slab's free part.
 *
 * Limbo. family.c unpublishes what it removes (index slot, list link, live bit) and hands it
 * here. Items gather in `fresh`; once LIMBO_BATCH of them wait (or at a scrape, clear or
 * replace), a grace period starts (shard.c: one membarrier, a snapshot of the odd arenas) and
 * they move to `waiting`; a later poll that finds the grace period over frees their words,
 * summary state and exemplars, returns their slots to the free lists and frees the tables.
 * Nothing waits: polls happen at creation, removal and scrape, under the family lock, so memory
 * under churn stays at a couple of batches.
 *
 * TTL. Updates set a child's `touched` byte (no clock on the update path); a sweep, at each
 * scrape, clears it and records the sweep's time in `seen`, or expires the child when `seen` is
 * ttl or more in the past (see promc.h for the resulting bounds).
 */
#include "family.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIMBO_BATCH    64
#define SLAB_MAX_SLOTS 4096u
#define TTL_MAX        1e7 /* seconds: centisecond stamps wrap after 497 days */

typedef struct slab {
    struct slab *next;
    uint64_t pad_; /* slots start 16-byte aligned */
} slab;

double (*promc__ttl_clock)(void);

double promc__ttl_now(void) {
    if (promc__ttl_clock)
        return promc__ttl_clock();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint32_t promc__ttl_now_cs(void) {
    return (uint32_t)(int64_t)llround(promc__ttl_now() * 100.0);
}

/* ---- Slots ------------------------------------------------------------------------------- */

static slot_class *class_for(promc_family *f, uint16_t units) {
    for (slot_class *k = f->classes; k; k = k->next)
        if (k->units == units)
            return k;
    slot_class *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->units = units;
    k->tagged = PROMC_TAGGED_HANDLES;
    k->next = f->classes;
    f->classes = k;
    return k;
}

promc_child *promc__slot_alloc(promc_family *f, size_t vsize) {
    size_t units = (sizeof(promc_child) + vsize + 7) / 8;
    if (units > UINT16_MAX) {
        promc__seterr(PROMC_EINVAL, "%s: label values too long", f->name);
        return NULL;
    }
    slot_class *k = class_for(f, (uint16_t)units);
    if (!k)
        return NULL;
    if (k->free) {
        promc_child *c = k->free;
        k->free = c->next_dead;
        return c;
    }
    if (k->cur_left == 0) {
        size_t n = k->nslots < 1 ? 1 : k->nslots > SLAB_MAX_SLOTS ? SLAB_MAX_SLOTS : k->nslots;
        size_t bytes = sizeof(slab) + n * units * 8;
        slab *sl = malloc(bytes);
        if (!sl)
            return NULL;
#if PROMC_TAGGED_HANDLES
        /* handles keep their gen in bits 48..63 and decode bit 47 as part of it */
        if ((uintptr_t)sl + bytes > ((uintptr_t)1 << 47)) {
            free(sl);
            promc__seterr(PROMC_ENOMEM,
                          "%s: memory above 2^47 cannot hold children (build with "
                          "-DPROMC_TAGGED_HANDLES=0)",
                          f->name);
            return NULL;
        }
#endif
        sl->next = k->slabs;
        k->slabs = sl;
        k->cur = (char *)(sl + 1);
        k->cur_left = n;
        k->nslots += n;
    }
    promc_child *c = (promc_child *)k->cur;
    k->cur += units * 8;
    k->cur_left--;
    memset(c, 0, sizeof *c);
    c->family = f;
    c->slot_units = (uint16_t)units;
    return c;
}

static void slot_free(promc_family *f, promc_child *c) {
    slot_class *k = class_for(f, c->slot_units); /* exists: the slot came from it */
    if (!k || !k->tagged)
        return; /* without generations in handles a slot is never reused */
    c->next_dead = k->free;
    k->free = c;
}

void promc__slot_unused(promc_family *f, promc_child *c) {
    slot_free(f, c);
}

/* promc__words_foreach callback: frees one arena's native directories of a child. */
static void free_native_dirs(promc_word *w, bool orphan, void *arg) {
    (void)orphan;
    size_t nb = *(const size_t *)arg;
    promc__native_free(&w[PROMC_HW_DIR(nb, 0)]);
    promc__native_free(&w[PROMC_HW_DIR(nb, 1)]);
}

void promc__child_release(promc_family *f, promc_child *c) {
    if (f->native && c->words != UINT32_MAX)
        promc__words_foreach(c->words, free_native_dirs, &f->nbuckets);
    if (f->native) {
        promc__native_state_free(c->u.native);
        c->u.native = NULL;
    }
    if (c->words != UINT32_MAX) {
        promc__words_free(c->words, promc__family_words(f));
        c->words = UINT32_MAX;
    }
    if (f->type == PROMC_SUMMARY && c->u.summary) {
        promc__summary_state_free(c->u.summary);
        c->u.summary = NULL;
    }
    promc__exemplars_free(atomic_load_explicit(&c->exemplars, memory_order_relaxed));
    atomic_store_explicit(&c->exemplars, NULL, memory_order_relaxed);
}

/* ---- Limbo ------------------------------------------------------------------------------- */

void promc__limbo_child(promc_family *f, promc_child *c) {
    c->next_dead = f->limbo.fresh;
    f->limbo.fresh = c;
    f->limbo.nfresh++;
}

void promc__limbo_table(promc_family *f, child_index *ix) {
    ix->retired_next = f->limbo.fresh_tables;
    f->limbo.fresh_tables = ix;
    f->limbo.nfresh++;
}

static void free_tables(child_index *ix) {
    while (ix) {
        child_index *next = ix->retired_next;
        promc__index_free(ix);
        ix = next;
    }
}

static void reclaim_waiting(promc_family *f) {
    promc_limbo *l = &f->limbo;
    for (promc_child *c = l->waiting; c;) {
        promc_child *next = c->next_dead;
        promc__child_release(f, c);
        slot_free(f, c);
        c = next;
    }
    free_tables(l->waiting_tables);
    l->waiting = NULL;
    l->waiting_tables = NULL;
    l->grace_running = false;
}

void promc__limbo_poll(promc_family *f, bool force) {
    promc_limbo *l = &f->limbo;
    if (l->grace_running && promc__grace_done(&l->grace))
        reclaim_waiting(f);
    if (l->grace_running || l->nfresh == 0 || (!force && l->nfresh < LIMBO_BATCH))
        return;
    if (promc__grace_start(&l->grace) != 0)
        return; /* out of memory for the snapshot: try again at the next poll */
    l->waiting = l->fresh;
    l->waiting_tables = l->fresh_tables;
    l->fresh = NULL;
    l->fresh_tables = NULL;
    l->nfresh = 0;
    l->grace_running = true;
    if (promc__grace_done(&l->grace)) /* the usual case: no section was running */
        reclaim_waiting(f);
}

void promc__lifecycle_free(promc_family *f) {
    promc_limbo *l = &f->limbo;
    for (int pass = 0; pass < 2; pass++)
        for (promc_child *c = pass ? l->waiting : l->fresh; c; c = c->next_dead)
            promc__child_release(f, c);
    free_tables(l->fresh_tables);
    free_tables(l->waiting_tables);
    promc__grace_free(&l->grace);
    *l = (promc_limbo){0};
    while (f->classes) {
        slot_class *k = f->classes;
        f->classes = k->next;
        while (k->slabs) {
            slab *sl = k->slabs;
            k->slabs = sl->next;
            free(sl);
        }
        free(k);
    }
}

/* ---- TTL sweeps and scrape-time maintenance ---------------------------------------------- */

static void ttl_sweep(promc_family *f) {
    uint32_t now = promc__ttl_now_cs();
    uint32_t ttl_cs = (uint32_t)ceil(f->ttl * 100.0);
    promc_child *c = atomic_load_explicit(&f->first, memory_order_relaxed);
    while (c) {
        promc_child *next = atomic_load_explicit(&c->next, memory_order_relaxed);
        if (atomic_load_explicit(&c->touched, memory_order_relaxed)) {
            atomic_store_explicit(&c->touched, 0, memory_order_relaxed);
            c->seen = now;
        } else if ((uint32_t)(now - c->seen) >= ttl_cs) {
            promc__child_unpublish(f, c);
            atomic_fetch_add_explicit(&f->expired_total, 1, memory_order_relaxed);
        }
        c = next;
    }
}

void promc__family_maintain(promc_family *f) {
    if (f->nlabels == 0 || pthread_mutex_trylock(&f->lock) != 0)
        return; /* busy: a creation or removal polls the limbo anyway; the sweep can wait */
    if (f->ttl > 0)
        ttl_sweep(f);
    promc__limbo_poll(f, true);
    pthread_mutex_unlock(&f->lock);
}

/* ---- Public calls ------------------------------------------------------------------------ */

static promc_family *labelled_family(void *metric, const char *what) {
    promc_child *c = promc__handle_child(metric);
    if (!c) {
        promc__seterr(metric ? PROMC_ENOTFOUND : PROMC_EINVAL, "%s: no metric or a stale handle",
                      what);
        return NULL;
    }
    if (c->family->nlabels == 0) {
        promc__seterr(PROMC_ESTATE, "%s: %s has no labels", what, c->family->name);
        return NULL;
    }
    return c->family;
}

int(promc_set_ttl)(promc_metric *metric, double seconds) {
    promc_family *f = labelled_family(metric, "promc_set_ttl");
    if (!f)
        return promc_last_error();
    if (!(seconds >= 0 && seconds <= TTL_MAX))
        return promc__seterr(PROMC_EINVAL, "%s: TTL must be in [0, %g] seconds", f->name, TTL_MAX);
    pthread_mutex_lock(&f->lock);
    f->ttl = seconds;
    uint32_t now = promc__ttl_now_cs();
    for (promc_child *c = atomic_load_explicit(&f->first, memory_order_relaxed); c;
         c = atomic_load_explicit(&c->next, memory_order_relaxed))
        c->seen = now; /* the clock starts now for the children there already */
    pthread_mutex_unlock(&f->lock);
    if (seconds > 0)
        atomic_fetch_or_explicit(&f->lifecycle_flags, PROMC_HAS_TTL, memory_order_relaxed);
    return 0;
}

int(promc_set_limit)(promc_metric *metric, size_t max_series, int mode) {
    promc_family *f = labelled_family(metric, "promc_set_limit");
    if (!f)
        return promc_last_error();
    if (mode != PROMC_LIMIT_OVERFLOW && mode != PROMC_LIMIT_FAIL)
        return promc__seterr(PROMC_EINVAL, "%s: unknown limit mode %d", f->name, mode);
    pthread_mutex_lock(&f->lock);
    f->limit = max_series;
    f->limit_mode = mode;
    pthread_mutex_unlock(&f->lock);
    if (max_series > 0)
        atomic_fetch_or_explicit(&f->lifecycle_flags, PROMC_HAS_LIMIT, memory_order_relaxed);
    return 0;
}
