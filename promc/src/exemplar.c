/* exemplar.c -- exemplars: the latest traced observation per counter or histogram bucket.
 *
 * Exemplars are rare next to plain updates, so they live off the hot path: created on first
 * use and guarded by a small per-child mutex that only exemplar updates and scrapes take.
 * Their label set is validated (names, UTF-8, at most 128 characters in all, as OpenMetrics
 * requires) and stored already escaped, ready to render. An exemplar update runs inside the
 * thread's section and refuses a removed child, whose exemplars are freed only after the grace
 * period (lifecycle.c).
 */
#include "promc_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXEMPLAR_MAX_RUNES 128

static size_t utf8_runes(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Renders name="value",... into a malloc'd string; NULL with the last error set. */
static char *render_labels(const promc_family *f, const char *const *pairs) {
    size_t runes = 0;
    promc_buf b = {0};
    for (size_t i = 0; pairs && pairs[i]; i += 2) {
        const char *name = pairs[i], *value = pairs[i + 1];
        if (!value || !promc__valid_label_name(name) || !promc__valid_utf8(value, strlen(value))) {
            promc__seterr(PROMC_EINVAL, "%s: exemplar labels must be name/value pairs", f->name);
            free(b.data);
            return NULL;
        }
        runes += utf8_runes(name) + utf8_runes(value);
        if (i > 0)
            promc__buf_putc(&b, ',');
        promc__buf_put(&b, name, strlen(name));
        promc__buf_put(&b, "=\"", 2);
        promc__put_escaped_label(&b, value);
        promc__buf_putc(&b, '"');
    }
    if (runes > EXEMPLAR_MAX_RUNES) {
        promc__seterr(PROMC_EINVAL, "%s: exemplar labels over %d characters", f->name,
                      EXEMPLAR_MAX_RUNES);
        free(b.data);
        return NULL;
    }
    promc__buf_putc(&b, '\0');
    if (b.failed) {
        promc__seterr(PROMC_ENOMEM, "out of memory");
        free(b.data);
        return NULL;
    }
    return b.data;
}

static promc_exemplars *exemplars_of(promc_child *c) {
    promc_exemplars *ex = atomic_load_explicit(&c->exemplars, memory_order_acquire);
    if (ex)
        return ex;
    size_t n = c->family->type == PROMC_HISTOGRAM ? c->family->nbuckets + 1 : 1;
    promc_exemplars *fresh = calloc(1, sizeof *fresh + n * sizeof fresh->slots[0]);
    if (!fresh)
        return NULL;
    pthread_mutex_init(&fresh->lock, NULL);
    fresh->n = n;
    if (atomic_compare_exchange_strong_explicit(&c->exemplars, &ex, fresh, memory_order_acq_rel,
                                                memory_order_acquire))
        return fresh;
    pthread_mutex_destroy(&fresh->lock); /* another thread won the race: use its set */
    free(fresh);
    return ex;
}

int promc__exemplar_set(promc_child *c, size_t slot, double value, const char *const *labels) {
    if (!c)
        return promc__seterr(PROMC_ENOTFOUND, "exemplar: NULL or stale handle");
    char *rendered = render_labels(c->family, labels);
    if (!rendered)
        return promc_last_error();
    /* The section keeps a removed child's exemplars from being freed under this call. c was
     * decoded from its handle by the caller (promc__handle_child, which noted its life on this
     * thread): a child removed since, even one whose slot holds a new child by now, is refused
     * here. */
    promc_arena *a = promc__arena();
    if (!a) {
        free(rendered);
        return promc__seterr(PROMC_ENOMEM, "out of memory");
    }
    uint64_t sec = promc__enter(a);
    uint32_t life = atomic_load_explicit(&c->life, memory_order_acquire);
    if (!(life & 1u) || (promc__tls_decoded == c && life != promc__tls_decoded_life)) {
        promc__leave(a, sec);
        free(rendered);
        return promc__seterr(PROMC_ENOTFOUND, "exemplar: stale handle, series removed");
    }
    promc_exemplars *ex = exemplars_of(c);
    if (!ex) {
        promc__leave(a, sec);
        free(rendered);
        return promc__seterr(PROMC_ENOMEM, "out of memory");
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    pthread_mutex_lock(&ex->lock);
    free(ex->slots[slot].labels);
    ex->slots[slot].labels = rendered;
    ex->slots[slot].value = value;
    ex->slots[slot].timestamp = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    pthread_mutex_unlock(&ex->lock);
    promc__leave(a, sec);
    return 0;
}
