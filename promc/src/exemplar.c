/* exemplar.c -- exemplars: the latest traced observation per counter or histogram bucket.
 *
 * Exemplars are rare next to plain updates, so they live off the hot path: created on first
 * use and guarded by a small per-child mutex that only exemplar updates and scrapes take.
 * Their label set is validated (names, UTF-8, at most 128 characters in all, as OpenMetrics
 * requires) and stored already escaped, ready to render. Validation (prepare) comes before
 * the value is applied and storing (store) after, so a call with a bad exemplar changes
 * nothing. This layer knows slots, not children: family.c runs both steps inside the thread's
 * section and refuses a removed child, whose exemplars are freed only after the grace period.
 */
#include "exemplar.h"

#include <stdatomic.h>
#include <pthread.h>
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
static char *render_labels(const char *family, const char *const *pairs) {
    size_t runes = 0;
    promc_buf b = {0};
    for (size_t i = 0; pairs && pairs[i]; i += 2) {
        const char *name = pairs[i], *value = pairs[i + 1];
        if (!value || !promc__valid_label_name(name) || !promc__valid_utf8(value, strlen(value))) {
            promc__seterr(PROMC_EINVAL, "%s: exemplar labels must be name/value pairs", family);
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
        promc__seterr(PROMC_EINVAL, "%s: exemplar labels over %d characters", family,
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

static promc_exemplars *exemplars_of(_Atomic(promc_exemplars *) *where, size_t n) {
    promc_exemplars *ex = atomic_load_explicit(where, memory_order_acquire);
    if (ex)
        return ex;
    promc_exemplars *fresh = calloc(1, sizeof *fresh + n * sizeof fresh->slots[0]);
    if (!fresh)
        return NULL;
    pthread_mutex_init(&fresh->lock, NULL);
    fresh->n = n;
    if (atomic_compare_exchange_strong_explicit(where, &ex, fresh, memory_order_acq_rel,
                                                memory_order_acquire))
        return fresh;
    pthread_mutex_destroy(&fresh->lock); /* another thread won the race: use its set */
    free(fresh);
    return ex;
}

int promc__exemplar_prepare(_Atomic(promc_exemplars *) *where, size_t nslots, const char *family,
                            const char *const *labels, char **rendered) {
    *rendered = render_labels(family, labels);
    if (!*rendered)
        return promc_last_error();
    if (!exemplars_of(where, nslots)) {
        free(*rendered);
        *rendered = NULL;
        return promc__seterr(PROMC_ENOMEM, "out of memory");
    }
    return 0;
}

void promc__exemplar_store(_Atomic(promc_exemplars *) *where, size_t slot, double value,
                           char *rendered) {
    promc_exemplars *ex = atomic_load_explicit(where, memory_order_acquire);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    pthread_mutex_lock(&ex->lock);
    free(ex->slots[slot].labels);
    ex->slots[slot].labels = rendered;
    ex->slots[slot].value = value;
    ex->slots[slot].timestamp = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    pthread_mutex_unlock(&ex->lock);
}

void promc__exemplars_free(promc_exemplars *ex) {
    if (!ex)
        return;
    for (size_t i = 0; i < ex->n; i++)
        free(ex->slots[i].labels);
    pthread_mutex_destroy(&ex->lock);
    free(ex);
}
