/* family.c -- the children of a metric family: lock-free lookup by label values, creation,
 * removal, and the insertion-ordered list that scrapes walk.
 *
 * Lookup reads an open-addressing table of child pointers with acquire loads and no lock.
 * Creation and removal take the family lock. A table that fills past half is replaced by a
 * twice larger one; the old table stays readable (kept in f->retired) until the family is
 * freed, so a reader still probing it sees a consistent, if older, picture -- and a miss there
 * falls through to the locked path, which looks again in the current table. A large retired
 * table gives its memory back while staying mapped (index_release). Removed children
 * are unlinked from the list but keep their own next pointer, so a scrape standing on one
 * walks on; they are freed with the family, which keeps stale handles safe to use.
 */
#include "family.h"

#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* FNV-1a over the values, each followed by a 0 byte so ("ab","c") != ("a","bc"). */
static uint64_t hash_values(const char *const *values, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
            h = (h ^ *p) * 0x100000001b3ull;
        h = (h ^ 0xff) * 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static bool values_equal(const promc_child *c, const char *const *values, size_t n) {
    const char *p = c->values;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(values[i]);
        if (memcmp(p, values[i], len + 1) != 0)
            return false;
        p += len + 1;
    }
    return true;
}

static promc_child *index_find(child_index *ix, uint64_t hash, const char *const *values,
                               size_t n) {
    for (size_t i = hash & ix->mask;; i = (i + 1) & ix->mask) {
        promc_child *c = atomic_load_explicit(&ix->slot[i], memory_order_acquire);
        if (!c)
            return NULL;
        if (c != PROMC_TOMBSTONE && c->hash == hash && values_equal(c, values, n))
            return c;
    }
}

/* Tables from this size on get pages of their own (mmap), so that once retired they can give
 * their memory back and stay mapped (index_release). */
#define INDEX_MMAP_BYTES (256u * 1024u)

static size_t index_bytes(size_t capacity) {
    return sizeof(child_index) + capacity * sizeof(_Atomic(promc_child *));
}

static child_index *index_new(size_t capacity) {
    size_t bytes = index_bytes(capacity);
    child_index *ix;
    if (bytes >= INDEX_MMAP_BYTES) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ix = p == MAP_FAILED ? NULL : p; /* zero-filled */
    } else {
        ix = calloc(1, bytes);
    }
    if (ix)
        ix->mask = capacity - 1;
    return ix;
}

static void index_free(child_index *ix) {
    size_t bytes = index_bytes(ix->mask + 1);
    if (bytes >= INDEX_MMAP_BYTES)
        munmap(ix, bytes);
    else
        free(ix);
}

/* A retired table must stay readable (a lookup may still be probing it) but need not keep its
 * contents: its slot pages are handed back to the kernel and read as zeros from then on
 * (MADV_DONTNEED on private anonymous memory), that is as empty slots, and a probe that meets
 * one ends in a miss, which falls through to the locked path and the current table. Where the
 * kernel keeps the old contents instead, they are child pointers that stay valid until the
 * family is freed: as safe. The first page, with mask and retired_next, is kept, so a probe
 * still wraps correctly and always meets an empty slot. Without this, retired tables held as
 * much memory as the current one (17 bytes a series at 1M series, bench/bench_render). */
static void index_release(child_index *ix) {
    size_t bytes = index_bytes(ix->mask + 1);
    long page = sysconf(_SC_PAGESIZE);
    if (bytes < INDEX_MMAP_BYTES || page <= 0)
        return;
    uintptr_t start = ((uintptr_t)ix + sizeof *ix + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t end = ((uintptr_t)ix + bytes) & ~((uintptr_t)page - 1);
    if (end > start)
        (void)madvise((void *)start, end - start, MADV_DONTNEED);
}

static void index_put(child_index *ix, promc_child *c) {
    size_t i = c->hash & ix->mask;
    for (;;) {
        promc_child *s = atomic_load_explicit(&ix->slot[i], memory_order_relaxed);
        if (!s || s == PROMC_TOMBSTONE) {
            ix->used += s == NULL; /* a reused tombstone was counted already */
            break;
        }
        i = (i + 1) & ix->mask;
    }
    atomic_store_explicit(&ix->slot[i], c, memory_order_release);
}

/* Replaces the table by one sized for the live children (tombstones dropped). */
static int index_grow(promc_family *f, size_t want_children) {
    size_t cap = 16;
    while (cap < want_children * 2 + 2)
        cap *= 2;
    child_index *ix = index_new(cap);
    if (!ix)
        return PROMC_ENOMEM;
    PROMC_FOREACH_CHILD(f, c) {
        index_put(ix, c);
    }
    child_index *old = atomic_load_explicit(&f->index, memory_order_relaxed);
    atomic_store_explicit(&f->index, ix, memory_order_release);
    old->retired_next = f->retired;
    f->retired = old;
    index_release(old);
    return 0;
}

static size_t values_size(const char *const *values, size_t n) {
    size_t size = 0;
    for (size_t i = 0; i < n; i++)
        size += strlen(values[i]) + 1;
    return size;
}

/* The label values live in the same allocation, right after the child: one malloc chunk
 * instead of two saves a chunk header and its rounding (16 bytes a series with short values,
 * measured by bench/bench_render) and puts the values that a lookup compares next to the hash
 * it checks first. c->values therefore is never freed on its own. */
static promc_child *child_new(promc_family *f, const char *const *values, uint64_t hash) {
    size_t vsize = f->nlabels > 0 ? values_size(values, f->nlabels) : 0;
    promc_child *c = calloc(1, sizeof *c + vsize);
    if (!c)
        return NULL;
    c->family = f;
    c->hash = hash;
    c->created = wall_now();
    c->words = UINT32_MAX;
    if (f->nlabels > 0) {
        char *p = c->values = (char *)(c + 1);
        for (size_t i = 0; i < f->nlabels; i++) {
            size_t len = strlen(values[i]) + 1;
            memcpy(p, values[i], len);
            p += len;
        }
    }
    uint32_t nwords = promc__family_words(f);
    if (nwords > 0 && (c->words = promc__words_alloc(nwords)) == UINT32_MAX) {
        free(c);
        return NULL;
    }
    promc_summary_params sp = {f->quantiles, f->nquantiles, f->max_age, f->age_buckets};
    if (f->type == PROMC_SUMMARY && !(c->u.summary = promc__summary_state_new(&sp))) {
        free(c);
        return NULL;
    }
    return c;
}

static void child_free(promc_child *c) {
    if (c->words != UINT32_MAX)
        promc__words_free(c->words, promc__family_words(c->family));
    if (c->family->type == PROMC_SUMMARY)
        promc__summary_state_free(c->u.summary);
    promc__exemplars_free(atomic_load_explicit(&c->exemplars, memory_order_relaxed));
    free(c); /* c->values is part of c */
}

static void list_append(promc_family *f, promc_child *c) {
    if (f->last)
        atomic_store_explicit(&f->last->next, c, memory_order_release);
    else
        atomic_store_explicit(&f->first, c, memory_order_release);
    f->last = c;
    f->nchildren++;
}

/* Unlinks c from the ordered list (c keeps its next) and buries it; caller holds f->lock. */
static void list_remove(promc_family *f, promc_child *c) {
    promc_child *prev = NULL;
    for (promc_child *p = atomic_load_explicit(&f->first, memory_order_relaxed); p && p != c;
         p = atomic_load_explicit(&p->next, memory_order_relaxed))
        prev = p;
    promc_child *next = atomic_load_explicit(&c->next, memory_order_relaxed);
    if (prev)
        atomic_store_explicit(&prev->next, next, memory_order_release);
    else
        atomic_store_explicit(&f->first, next, memory_order_release);
    if (f->last == c)
        f->last = prev;
    atomic_store_explicit(&c->removed, true, memory_order_release);
    c->next_dead = f->graveyard;
    f->graveyard = c;
    f->nchildren--;
}

uint32_t promc__family_words(const promc_family *f) {
    switch (f->type) {
    case PROMC_COUNTER:
        return 2; /* integer part, floating part */
    case PROMC_HISTOGRAM:
        return (uint32_t)f->nbuckets + 3; /* sequence, buckets and +Inf, sum */
    default:
        return 0;
    }
}

int promc__family_init(promc_family *f) {
    pthread_mutex_init(&f->lock, NULL);
    child_index *ix = index_new(16);
    if (!ix)
        return PROMC_ENOMEM;
    atomic_store_explicit(&f->index, ix, memory_order_relaxed);
    if (f->nlabels == 0) {
        f->self = child_new(f, NULL, 0);
        if (!f->self)
            return PROMC_ENOMEM;
        index_put(ix, f->self);
        list_append(f, f->self);
    } else {
        /* The parent handle of a labelled family: never exported, never updatable. */
        f->self = calloc(1, sizeof *f->self);
        if (!f->self)
            return PROMC_ENOMEM;
        f->self->family = f;
        f->self->words = UINT32_MAX;
        f->self->is_parent = true;
    }
    return 0;
}

void promc__family_free(promc_family *f) {
    promc_child *c = atomic_load_explicit(&f->first, memory_order_relaxed);
    while (c) {
        promc_child *next = atomic_load_explicit(&c->next, memory_order_relaxed);
        child_free(c);
        c = next;
    }
    for (c = f->graveyard; c;) {
        promc_child *next = c->next_dead;
        child_free(c);
        c = next;
    }
    if (f->nlabels > 0)
        free(f->self); /* the parent handle; an unlabelled family's self was in the list */
    for (child_index *ix = f->retired; ix;) {
        child_index *next = ix->retired_next;
        index_free(ix);
        ix = next;
    }
    child_index *ix = atomic_load_explicit(&f->index, memory_order_relaxed);
    if (ix)
        index_free(ix);
    pthread_mutex_destroy(&f->lock);
}

static int check_values(const promc_family *f, const char *const *values) {
    if (f->nlabels == 0)
        return promc__seterr(PROMC_ESTATE, "%s has no labels", f->name);
    if (!values)
        return promc__seterr(PROMC_EINVAL, "%s: label values missing", f->name);
    for (size_t i = 0; i < f->nlabels; i++) {
        if (!values[i])
            return promc__seterr(PROMC_EINVAL, "%s: %zu label values given, %zu expected", f->name,
                                 i, f->nlabels);
        if (!promc__valid_utf8(values[i], strlen(values[i])))
            return promc__seterr(PROMC_EINVAL, "%s: label %s value is not valid UTF-8", f->name,
                                 f->label_names[i]);
    }
    return 0;
}

promc_child *promc__child_get(promc_family *f, const char *const *values) {
    if (f->nlabels == 0 || !values) {
        check_values(f, values);
        return NULL;
    }
    for (size_t i = 0; i < f->nlabels; i++)
        if (!values[i]) {
            check_values(f, values);
            return NULL;
        }
    /* Fast path: no validation needed, a value that matched was validated when created. */
    uint64_t hash = hash_values(values, f->nlabels);
    promc_child *c =
        index_find(atomic_load_explicit(&f->index, memory_order_acquire), hash, values, f->nlabels);
    if (c)
        return c;
    if (check_values(f, values) != 0)
        return NULL;
    pthread_mutex_lock(&f->lock);
    child_index *ix = atomic_load_explicit(&f->index, memory_order_relaxed);
    c = index_find(ix, hash, values, f->nlabels);
    if (!c) {
        if (ix->used + 1 > (ix->mask + 1) / 2 && index_grow(f, f->nchildren + 1) != 0) {
            pthread_mutex_unlock(&f->lock);
            promc__seterr(PROMC_ENOMEM, "%s: cannot grow the child table", f->name);
            return NULL;
        }
        if ((c = child_new(f, values, hash)) != NULL) {
            index_put(atomic_load_explicit(&f->index, memory_order_relaxed), c);
            list_append(f, c);
        } else {
            promc__seterr(PROMC_ENOMEM, "%s: out of memory for a child", f->name);
        }
    }
    pthread_mutex_unlock(&f->lock);
    return c;
}

static void index_erase(child_index *ix, promc_child *c) {
    for (size_t i = c->hash & ix->mask;; i = (i + 1) & ix->mask) {
        promc_child *s = atomic_load_explicit(&ix->slot[i], memory_order_relaxed);
        if (!s)
            return;
        if (s == c) {
            atomic_store_explicit(&ix->slot[i], PROMC_TOMBSTONE, memory_order_release);
            return;
        }
    }
}

static promc_family *family_of(promc_metric *metric) {
    return metric ? ((promc_child *)metric)->family : NULL;
}

int(promc_remove)(promc_metric *metric, const char *const *values) {
    promc_family *f = family_of(metric);
    if (!f)
        return promc__seterr(PROMC_EINVAL, "promc_remove: no metric");
    int rc = check_values(f, values);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&f->lock);
    child_index *ix = atomic_load_explicit(&f->index, memory_order_relaxed);
    promc_child *c = index_find(ix, hash_values(values, f->nlabels), values, f->nlabels);
    if (c) {
        index_erase(ix, c);
        list_remove(f, c);
    }
    pthread_mutex_unlock(&f->lock);
    return c ? 0 : promc__seterr(PROMC_ENOTFOUND, "%s: no child with these labels", f->name);
}

int(promc_clear)(promc_metric *metric) {
    promc_family *f = family_of(metric);
    if (!f)
        return promc__seterr(PROMC_EINVAL, "promc_clear: no metric");
    if (f->nlabels == 0)
        return promc__seterr(PROMC_ESTATE, "%s has no labels to clear", f->name);
    pthread_mutex_lock(&f->lock);
    child_index *ix = atomic_load_explicit(&f->index, memory_order_relaxed);
    promc_child *c;
    /* Tombstones stay until the table next grows: replacing it now would retire a table per
     * clear for nothing. */
    while ((c = atomic_load_explicit(&f->first, memory_order_relaxed)) != NULL) {
        index_erase(ix, c);
        list_remove(f, c);
    }
    pthread_mutex_unlock(&f->lock);
    return 0;
}

void promc__child_values(const promc_family *f, const promc_child *c, const char **out) {
    const char *p = c->values;
    for (size_t i = 0; i < f->nlabels; i++) {
        out[i] = p;
        p += strlen(p) + 1;
    }
}

promc_child *promc__labels(promc_child *h, promc_type type, const char *const *values) {
    if (!h || h->family->type != type) {
        promc__seterr(PROMC_EINVAL, "labels: NULL or a metric of another type");
        return NULL;
    }
    return promc__child_get(h->family, values);
}

promc_child *promc__labels_n(promc_child *h, promc_type type, size_t n, const char *const *values) {
    if (!h || h->family->type != type) {
        promc__seterr(PROMC_EINVAL, "labels: NULL or a metric of another type");
        return NULL;
    }
    if (n != h->family->nlabels) {
        promc__seterr(PROMC_EINVAL, "%s: %zu label values given, %zu expected", h->family->name, n,
                      h->family->nlabels);
        return NULL;
    }
    return promc__child_get(h->family, values);
}

int promc__child_exemplar_prepare(promc_child *c, const char *const *labels, char **rendered) {
    const promc_family *f = c->family;
    size_t nslots = f->type == PROMC_HISTOGRAM ? f->nbuckets + 1 : 1;
    return promc__exemplar_prepare(&c->exemplars, nslots, f->name, labels, rendered);
}

void promc__child_exemplar_store(promc_child *c, size_t slot, double value, char *rendered) {
    promc__exemplar_store(&c->exemplars, slot, value, rendered);
}
