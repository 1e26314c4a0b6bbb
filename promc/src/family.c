/* family.c -- the children of a metric family: lock-free lookup by label values, creation,
 * removal, and the insertion-ordered list that scrapes walk.
 *
 * Lookup reads an open-addressing table of child pointers with acquire loads and no lock, inside
 * a section (promc__enter), and returns a handle tagged with the child's generation. Creation
 * and removal take the family lock. A table that fills past half is replaced by one sized for
 * the live children; the old one is unpublished and goes to the family's limbo with removed
 * children (lifecycle.c), which frees or reuses them once every section that could still probe
 * or walk them has ended. A miss in an old table falls through to the locked path, which looks
 * again in the current one. A removed child is unlinked from the list but keeps its own next
 * pointer, so a scrape standing on it walks on; its live bit is cleared (and its generation
 * bumped) in the same step, so its handles go stale at once.
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

/* The label values a call names, measured once: their lengths feed the hash, the size check
 * against a candidate's slot and the word-wise compare, so no byte is walked twice. */
typedef struct values_key {
    const char *const *values;
    size_t n;
    size_t total; /* the stored form's size: each value and its NUL */
    size_t len[PROMC_MAX_LABELS];
} values_key;

/* Fills k; false if a value is NULL (the caller's slow path reports it). */
static inline bool key_make(values_key *k, const char *const *values, size_t n) {
    k->values = values;
    k->n = n;
    k->total = 0;
    for (size_t i = 0; i < n; i++) {
        if (__builtin_expect(!values[i], 0))
            return false;
        k->len[i] = strlen(values[i]);
        k->total += k->len[i] + 1;
    }
    return true;
}

static inline uint64_t load64(const char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline uint64_t load32(const char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* One multiply-fold round (wyhash's mum): the high half folded into the low. */
static inline uint64_t mix(uint64_t h, uint64_t v) {
    __uint128_t m = (__uint128_t)(h ^ v) * 0x9e3779b97f4a7c15ull;
    return (uint64_t)m ^ (uint64_t)(m >> 64);
}

/* Hashes the values 8 bytes at a time, the last 1-7 bytes of each by overlapping loads, each
 * value's length mixed in first so ("ab","c") != ("a","bc"). Reads stay inside each value. */
static uint32_t key_hash(const values_key *k) {
    uint64_t h = 0x243f6a8885a308d3ull;
    for (size_t i = 0; i < k->n; i++) {
        const char *p = k->values[i];
        size_t len = k->len[i], j = 0;
        h ^= (uint64_t)(len + 1) * 0xbf58476d1ce4e5b9ull;
        for (; j + 8 <= len; j += 8)
            h = mix(h, load64(p + j));
        size_t r = len - j;
        if (r >= 4)
            h = mix(h, load32(p + j) << 32 | load32(p + j + r - 4));
        else if (r > 0)
            h = mix(h, (uint64_t)(unsigned char)p[j] << 16 |
                           (uint64_t)(unsigned char)p[j + r / 2] << 8 |
                           (unsigned char)p[j + r - 1]);
    }
    return (uint32_t)mix(h, k->total); /* 32 bits: index slots never need more */
}

/* Are the m bytes at a and b equal? Word loads, the last one overlapping; m >= 1. */
static inline bool bytes_eq(const char *a, const char *b, size_t m) {
    if (m >= 8) {
        for (size_t j = 0; j + 8 < m; j += 8)
            if (load64(a + j) != load64(b + j))
                return false;
        return load64(a + m - 8) == load64(b + m - 8);
    }
    if (m >= 4)
        return load32(a) == load32(b) && load32(a + m - 4) == load32(b + m - 4);
    return a[0] == b[0] && a[m / 2] == b[m / 2] && a[m - 1] == b[m - 1];
}

/* Does child c hold exactly k's values? Each value is compared with its NUL, so a stored value
 * of another length differs at its NUL. The size check first keeps every read inside c's slot:
 * a slot holds its values in its last 8-byte units (lifecycle.c sizes it so), so a key whose
 * stored form would need another slot size cannot match and is never compared. */
static inline bool key_eq(const promc_child *c, const values_key *k) {
    if ((sizeof(promc_child) + k->total + 7) / 8 != c->slot_units)
        return false;
    const char *p = promc__child_vals(c);
    for (size_t i = 0; i < k->n; i++) {
        size_t m = k->len[i] + 1;
        if (!bytes_eq(p, k->values[i], m))
            return false;
        p += m;
    }
    return true;
}

bool promc__values_equal(const promc_child *c, const char *const *values, size_t n) {
    values_key k;
    return key_make(&k, values, n) && key_eq(c, &k);
}

static promc_child *index_find(child_index *ix, uint32_t hash, const values_key *k) {
    for (size_t i = hash & ix->mask;; i = (i + 1) & ix->mask) {
        promc_child *c = atomic_load_explicit(&ix->slot[i], memory_order_acquire);
        if (!c)
            return NULL;
        if (c != PROMC_TOMBSTONE && c->hash == hash && key_eq(c, k))
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

void promc__index_free(child_index *ix) {
    size_t bytes = index_bytes(ix->mask + 1);
    if (bytes >= INDEX_MMAP_BYTES)
        munmap(ix, bytes);
    else
        free(ix);
}

/* A retired table must stay readable until its grace period ends (a lookup may still be probing
 * it) but need not keep its contents: its slot pages are handed back to the kernel at once and
 * read as zeros from then on (MADV_DONTNEED on private anonymous memory), that is as empty
 * slots, and a probe that meets one ends in a miss, which falls through to the locked path and
 * the current table. Where the kernel keeps the old contents instead, they are child pointers
 * that the same grace period protects: as safe. The first page, with mask, is kept, so a probe
 * still wraps correctly and always meets an empty slot. */
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
    index_release(old);
    promc__limbo_table(f, old);
    return 0;
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

/* The label values live in the child's slot, right after the header (one slot instead of two
 * allocations, and the values a lookup compares next to the hash it checks first). The slot
 * comes from the family's slabs (lifecycle.c), reused from a reclaimed child when one of the
 * same size is free; the header's family, is_parent and slot size never change. */
static promc_child *child_new(promc_family *f, const values_key *k, uint32_t hash) {
    promc_child *c = promc__slot_alloc(f, k ? k->total : 0);
    if (!c)
        return NULL;
    c->hash = hash;
    c->created = wall_now();
    c->words = UINT32_MAX;
    atomic_store_explicit(&c->next, NULL, memory_order_relaxed);
    atomic_store_explicit(&c->exemplars, NULL, memory_order_relaxed);
    atomic_store_explicit(&c->u.gauge_bits, 0, memory_order_relaxed);
    atomic_store_explicit(&c->touched, 0, memory_order_relaxed);
    c->next_dead = NULL;
    c->seen = promc__ttl_now_cs();
    if (k) {
        char *p = (char *)(c + 1);
        for (size_t i = 0; i < k->n; i++) {
            memcpy(p, k->values[i], k->len[i] + 1);
            p += k->len[i] + 1;
        }
    }
    uint32_t nwords = promc__family_words(f);
    if (nwords > 0 && (c->words = promc__words_alloc(nwords)) == UINT32_MAX) {
        promc__slot_unused(f, c);
        return NULL;
    }
    promc_summary_params sp = {f->quantiles, f->nquantiles, f->max_age, f->age_buckets};
    if (f->type == PROMC_SUMMARY && !(c->u.summary = promc__summary_state_new(&sp))) {
        promc__words_free(c->words, nwords);
        c->words = UINT32_MAX;
        promc__slot_unused(f, c);
        return NULL;
    }
    /* live, with the gen the slot has now; published by the caller's release stores */
    uint32_t life = atomic_load_explicit(&c->life, memory_order_relaxed);
    promc__child_set_life(c, life | 1u, memory_order_relaxed);
    return c;
}

static void list_append(promc_family *f, promc_child *c) {
    if (f->last)
        atomic_store_explicit(&f->last->next, c, memory_order_release);
    else
        atomic_store_explicit(&f->first, c, memory_order_release);
    f->last = c;
    f->nchildren++;
}

/* Unpublishes c: out of the current index and the ordered list (c keeps its next), live bit
 * cleared and gen bumped, then into limbo. Caller holds f->lock. */
void promc__child_unpublish(promc_family *f, promc_child *c) {
    index_erase(atomic_load_explicit(&f->index, memory_order_relaxed), c);
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
    uint32_t life = atomic_load_explicit(&c->life, memory_order_relaxed);
    promc__child_set_life(c, (((life >> 1) + 1) & PROMC_GEN_MASK) << 1, memory_order_release);
    if (f->overflow == c)
        f->overflow = NULL;
    f->nchildren--;
    promc__limbo_child(f, c);
}

uint32_t promc__family_words(const promc_family *f) {
    switch (f->type) {
    case PROMC_COUNTER:
        return 2; /* integer part, floating part */
    case PROMC_HISTOGRAM:
        /* sequence, buckets and +Inf, sum; zero bucket and two directories (family.h) */
        return (uint32_t)f->nbuckets + (f->native ? 6 : 3);
    default:
        return 0;
    }
}

int promc__family_init(promc_family *f) {
    pthread_mutex_init(&f->lock, NULL);
    pthread_mutex_init(&f->native_lock, NULL);
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
        promc__child_set_life(f->self, 1u, memory_order_relaxed);
    }
    return 0;
}

/* Handles end with the registry: everything goes, whatever grace periods are pending. */
void promc__family_free(promc_family *f) {
    for (promc_child *c = atomic_load_explicit(&f->first, memory_order_relaxed); c;
         c = atomic_load_explicit(&c->next, memory_order_relaxed))
        promc__child_release(f, c);
    promc__lifecycle_free(f); /* limbo (children and tables), slabs */
    if (f->nlabels > 0)
        free(f->self); /* the parent handle; an unlabelled family's self was in a slab */
    child_index *ix = atomic_load_explicit(&f->index, memory_order_relaxed);
    if (ix)
        promc__index_free(ix);
    pthread_mutex_destroy(&f->lock);
    pthread_mutex_destroy(&f->native_lock);
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

/* Creates and publishes a child; caller holds f->lock and checked the values. */
static promc_child *child_add(promc_family *f, const values_key *k, uint32_t hash) {
    child_index *ix = atomic_load_explicit(&f->index, memory_order_relaxed);
    if (ix->used + 1 > (ix->mask + 1) / 2 && index_grow(f, f->nchildren + 1) != 0) {
        promc__seterr(PROMC_ENOMEM, "%s: cannot grow the child table", f->name);
        return NULL;
    }
    promc_child *c = child_new(f, k, hash);
    if (!c) {
        promc__seterr(PROMC_ENOMEM, "%s: out of memory for a child", f->name);
        return NULL;
    }
    index_put(atomic_load_explicit(&f->index, memory_order_relaxed), c);
    list_append(f, c);
    return c;
}

/* The limit's overflow child (all values PROMC_OVERFLOW_VALUE); f->lock held. */
static promc_child *overflow_child(promc_family *f) {
    if (f->overflow)
        return f->overflow;
    const char *values[PROMC_MAX_LABELS + 1];
    for (size_t i = 0; i < f->nlabels; i++)
        values[i] = PROMC_OVERFLOW_VALUE;
    values[f->nlabels] = NULL;
    values_key k;
    key_make(&k, values, f->nlabels);
    uint32_t hash = key_hash(&k);
    promc_child *c = index_find(atomic_load_explicit(&f->index, memory_order_relaxed), hash, &k);
    if (!c)
        c = child_add(f, &k, hash);
    f->overflow = c;
    return c;
}

static void *handle_of(promc_child *c) {
    return promc__handle(c, atomic_load_explicit(&c->life, memory_order_relaxed));
}

void *promc__child_get(promc_family *f, const char *const *values) {
    values_key k;
    if (f->nlabels == 0 || !values || !key_make(&k, values, f->nlabels)) {
        check_values(f, values);
        return NULL;
    }
    /* Fast path: no validation needed, a value that matched was validated when created. The
     * section keeps the tables and children this probe reads from being reused under it; the
     * live bit, read once with the gen, tells a found child from one being removed. */
    uint32_t hash = key_hash(&k);
    promc_arena *a = promc__arena();
    if (__builtin_expect(a != NULL, 1)) {
        uint64_t sec = promc__enter(a);
        promc_child *c =
            index_find(atomic_load_explicit(&f->index, memory_order_acquire), hash, &k);
        uint32_t life = c ? atomic_load_explicit(&c->life, memory_order_acquire) : 0;
        promc__leave(a, sec);
        if (life & 1u)
            return promc__handle(c, life);
    }
    if (check_values(f, values) != 0)
        return NULL;
    pthread_mutex_lock(&f->lock);
    promc__limbo_poll(f, false); /* reclaimed slots first, for the child about to be made */
    promc_child *c = index_find(atomic_load_explicit(&f->index, memory_order_relaxed), hash, &k);
    if (!c && f->limit > 0 && f->nchildren - (f->overflow != NULL) >= f->limit) {
        atomic_fetch_add_explicit(&f->overflow_total, 1, memory_order_relaxed);
        if (f->limit_mode == PROMC_LIMIT_FAIL)
            promc__seterr(PROMC_ESTATE, "%s: cardinality limit of %zu series reached", f->name,
                          f->limit);
        else if (!(c = overflow_child(f)))
            promc__seterr(PROMC_ENOMEM, "%s: out of memory for the overflow child", f->name);
    } else if (!c) {
        c = child_add(f, &k, hash);
    }
    void *h = c ? handle_of(c) : NULL;
    pthread_mutex_unlock(&f->lock);
    return h;
}

_Thread_local const promc_child *promc__tls_decoded;
_Thread_local uint32_t promc__tls_decoded_life;

promc_child *promc__handle_child(const void *h) {
    promc_child *c = promc__hchild(h);
    if (!c)
        return NULL;
    if (atomic_load_explicit(&c->life, memory_order_acquire) != promc__hlife(h)) {
        promc__seterr(PROMC_ENOTFOUND, "stale handle: its series was removed");
        return NULL;
    }
    promc__tls_decoded = c;
    promc__tls_decoded_life = promc__hlife(h);
    return c;
}

static promc_family *family_of(promc_metric *metric) {
    promc_child *c = promc__handle_child(metric);
    return c ? c->family : NULL;
}

int(promc_remove)(promc_metric *metric, const char *const *values) {
    promc_family *f = family_of(metric);
    if (!f)
        return promc__seterr(metric ? PROMC_ENOTFOUND : PROMC_EINVAL,
                             "promc_remove: no metric or a stale handle");
    int rc = check_values(f, values);
    if (rc != 0)
        return rc;
    values_key k;
    key_make(&k, values, f->nlabels);
    pthread_mutex_lock(&f->lock);
    child_index *ix = atomic_load_explicit(&f->index, memory_order_relaxed);
    promc_child *c = index_find(ix, key_hash(&k), &k);
    if (c)
        promc__child_unpublish(f, c);
    promc__limbo_poll(f, false);
    pthread_mutex_unlock(&f->lock);
    return c ? 0 : promc__seterr(PROMC_ENOTFOUND, "%s: no child with these labels", f->name);
}

int(promc_clear)(promc_metric *metric) {
    promc_family *f = family_of(metric);
    if (!f)
        return promc__seterr(metric ? PROMC_ENOTFOUND : PROMC_EINVAL,
                             "promc_clear: no metric or a stale handle");
    if (f->nlabels == 0)
        return promc__seterr(PROMC_ESTATE, "%s has no labels to clear", f->name);
    pthread_mutex_lock(&f->lock);
    promc_child *c;
    /* Tombstones stay until the table next grows: replacing it now would retire a table per
     * clear for nothing. */
    while ((c = atomic_load_explicit(&f->first, memory_order_relaxed)) != NULL)
        promc__child_unpublish(f, c);
    promc__limbo_poll(f, true);
    pthread_mutex_unlock(&f->lock);
    return 0;
}

int promc__child_replace(promc_family *f, const char *const *values) {
    int rc = check_values(f, values);
    if (rc != 0)
        return rc;
    values_key k;
    key_make(&k, values, f->nlabels);
    uint32_t hash = key_hash(&k);
    pthread_mutex_lock(&f->lock);
    promc_child *old = atomic_load_explicit(&f->first, memory_order_relaxed);
    if (old && old->hash == hash && key_eq(old, &k)) {
        pthread_mutex_unlock(&f->lock);
        return 0;
    }
    /* Unpublish every child but the first (there are none unless labels were misused). */
    while (old && atomic_load_explicit(&old->next, memory_order_relaxed))
        promc__child_unpublish(f, atomic_load_explicit(&old->next, memory_order_relaxed));
    child_index *ix = atomic_load_explicit(&f->index, memory_order_relaxed);
    if (ix->used + 1 > (ix->mask + 1) / 2 && index_grow(f, f->nchildren + 1) != 0) {
        pthread_mutex_unlock(&f->lock);
        return promc__seterr(PROMC_ENOMEM, "%s: cannot grow the child table", f->name);
    }
    promc_child *c = child_new(f, &k, hash);
    if (!c) {
        pthread_mutex_unlock(&f->lock);
        return promc__seterr(PROMC_ENOMEM, "%s: out of memory for a child", f->name);
    }
    index_put(atomic_load_explicit(&f->index, memory_order_relaxed), c);
    if (!old) {
        list_append(f, c);
    } else {
        /* One release store swaps the series for scrapes: a walk reads first and finds the old
         * child or the new one, and both lead to the same next. */
        atomic_store_explicit(&c->next, atomic_load_explicit(&old->next, memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&f->first, c, memory_order_release);
        if (f->last == old)
            f->last = c;
        f->nchildren++;
        /* old is out of the list already: unpublish finds no predecessor for it, so fix up the
         * list fields it touches by hand. */
        index_erase(atomic_load_explicit(&f->index, memory_order_relaxed), old);
        uint32_t life = atomic_load_explicit(&old->life, memory_order_relaxed);
        promc__child_set_life(old, (((life >> 1) + 1) & PROMC_GEN_MASK) << 1, memory_order_release);
        f->nchildren--;
        promc__limbo_child(f, old);
    }
    promc__limbo_poll(f, false);
    pthread_mutex_unlock(&f->lock);
    return 0;
}

void promc__child_values(const promc_family *f, const promc_child *c, const char **out) {
    const char *p = promc__child_vals(c);
    for (size_t i = 0; i < f->nlabels; i++) {
        out[i] = p;
        p += strlen(p) + 1;
    }
}

static promc_family *labels_family(promc_child *h, promc_type type) {
    promc_child *c = promc__hchild(h);
    if (!c || c->family->type != type) {
        promc__seterr(PROMC_EINVAL, "labels: NULL or a metric of another type");
        return NULL;
    }
    return c->family;
}

promc_child *promc__labels(promc_child *h, promc_type type, const char *const *values) {
    promc_family *f = labels_family(h, type);
    return f ? promc__child_get(f, values) : NULL;
}

promc_child *promc__labels_n(promc_child *h, promc_type type, size_t n, const char *const *values) {
    promc_family *f = labels_family(h, type);
    if (!f)
        return NULL;
    if (n != f->nlabels) {
        promc__seterr(PROMC_EINVAL, "%s: %zu label values given, %zu expected", f->name, n,
                      f->nlabels);
        return NULL;
    }
    return promc__child_get(f, values);
}

/* Is c, decoded from its handle by the caller (promc__handle_child, which noted its life on
 * this thread), still that child? Call inside a section: a child removed since, even one whose
 * slot holds a new child by now, is refused. */
static bool still_decoded(const promc_child *c) {
    uint32_t life = atomic_load_explicit(&c->life, memory_order_acquire);
    return (life & 1u) && !(promc__tls_decoded == c && life != promc__tls_decoded_life);
}

/* Both steps run inside the thread's section, which keeps a removed child's exemplars from
 * being freed under them (lifecycle.c frees them only after the grace period). */
int promc__child_exemplar_prepare(promc_child *c, const char *const *labels, char **rendered) {
    *rendered = NULL;
    if (!c)
        return promc__seterr(PROMC_ENOTFOUND, "exemplar: NULL or stale handle");
    const promc_family *f = c->family;
    size_t nslots = f->type == PROMC_HISTOGRAM ? f->nbuckets + 1 : 1;
    promc_arena *a = promc__arena();
    if (!a)
        return promc__seterr(PROMC_ENOMEM, "out of memory");
    uint64_t sec = promc__enter(a);
    int rc = still_decoded(c)
                 ? promc__exemplar_prepare(&c->exemplars, nslots, f->name, labels, rendered)
                 : promc__seterr(PROMC_ENOTFOUND, "exemplar: stale handle, series removed");
    promc__leave(a, sec);
    return rc;
}

void promc__child_exemplar_store(promc_child *c, size_t slot, double value, char *rendered) {
    promc_arena *a = promc__arena();
    if (!a) { /* cannot happen: prepare attached this thread's arena */
        free(rendered);
        return;
    }
    uint64_t sec = promc__enter(a);
    if (still_decoded(c))
        promc__exemplar_store(&c->exemplars, slot, value, rendered);
    else
        free(rendered); /* removed between the two steps: its value went nowhere either */
    promc__leave(a, sec);
}
