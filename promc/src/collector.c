/* collector.c -- collectors: callbacks that produce metric families at scrape time.
 *
 * While a collector runs, promc_collect_family() describes a family (validated like a
 * registered one) and promc_collect_sample() one series of it; both go to the sink the caller
 * (the renderer) gave.
 * A family whose names are taken -- by a registered metric or by a family emitted earlier in
 * the same scrape -- is skipped (two TYPE lines for one name make Prometheus reject the whole
 * scrape), and the collector is named once on stderr. Nothing else is kept between scrapes.
 */
#include "collector.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A family a collector emitted in this scrape. */
typedef struct emitted {
    char name[PROMC_NAME_MAX + 1];
    promc_type type;
} emitted;

struct promc_collect_ctx {
    const promc_collect_sink *sink;
    promc_registry *reg;
    promc_collector *collector; /* the one running */
    emitted *seen;
    size_t nseen, capseen;
    bool have_family;
    promc_family family; /* name, help, type and label names of the current family */
    char name[PROMC_NAME_MAX + 1];
    const char *label_names[PROMC_MAX_LABELS + 1];
};

int promc_collector_register(promc_registry *reg, const char *name, promc_collect_fn fn,
                             void *userdata) {
    if (!reg)
        reg = promc_registry_default();
    if (!reg || !name || !fn)
        return promc__seterr(PROMC_EINVAL, "collector_register: missing name or function");
    pthread_mutex_lock(&reg->lock);
    int rc = 0;
    promc_collector **tail = &reg->collectors;
    for (; *tail; tail = &(*tail)->next)
        if (strcmp((*tail)->name, name) == 0)
            break;
    if (*tail) {
        if ((*tail)->fn != fn || (*tail)->userdata != userdata)
            rc = promc__seterr(PROMC_EEXIST, "collector %s registered with another function", name);
    } else {
        promc_collector *c = calloc(1, sizeof *c);
        if (c && (c->name = strdup(name))) {
            c->fn = fn;
            c->userdata = userdata;
            *tail = c; /* appended: collectors run in registration order */
        } else {
            free(c);
            rc = promc__seterr(PROMC_ENOMEM, "out of memory");
        }
    }
    pthread_mutex_unlock(&reg->lock);
    return rc;
}

int promc_collector_unregister(promc_registry *reg, const char *name) {
    if (!reg)
        reg = promc_registry_default();
    if (!name)
        return promc__seterr(PROMC_EINVAL, "collector_unregister: no name");
    pthread_mutex_lock(&reg->lock);
    int rc = PROMC_ENOTFOUND; /* the message only once it is sure: success keeps the last error */
    for (promc_collector **p = &reg->collectors; *p; p = &(*p)->next) {
        if (strcmp((*p)->name, name) == 0) {
            promc_collector *dead = *p;
            *p = dead->next;
            free(dead->name);
            free(dead);
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&reg->lock);
    if (rc == PROMC_ENOTFOUND)
        promc__seterr(PROMC_ENOTFOUND, "no collector named %s", name);
    return rc;
}

/* Is ctx->name (as a family of this type) free in this scrape? Records it when it is. */
static int claim_name(promc_collect_ctx *ctx, promc_type type) {
    promc_family probe = {.name = ctx->name, .type = type};
    const char *taken_by = NULL;
    for (size_t i = 0; i < ctx->reg->nfamilies && !taken_by; i++)
        if (promc__families_collide(&probe, ctx->reg->families[i]))
            taken_by = "a registered metric";
    for (size_t i = 0; i < ctx->nseen && !taken_by; i++) {
        promc_family other = {.name = ctx->seen[i].name, .type = ctx->seen[i].type};
        if (promc__families_collide(&probe, &other))
            taken_by = "a family a collector emitted before";
    }
    if (taken_by) {
        promc_collector *c = ctx->collector;
        if (c && !c->warned) {
            c->warned = true;
            fprintf(stderr, "promc: collector %s: family %s is taken by %s; skipped (said once)\n",
                    c->name, ctx->name, taken_by);
        }
        return promc__seterr(PROMC_EEXIST, "%s: taken by %s; family skipped", ctx->name, taken_by);
    }
    if (ctx->nseen == ctx->capseen) {
        size_t cap = ctx->capseen ? ctx->capseen * 2 : 16;
        emitted *seen = realloc(ctx->seen, cap * sizeof *seen);
        if (!seen)
            return promc__seterr(PROMC_ENOMEM, "out of memory");
        ctx->seen = seen;
        ctx->capseen = cap;
    }
    strcpy(ctx->seen[ctx->nseen].name, ctx->name);
    ctx->seen[ctx->nseen++].type = type;
    return 0;
}

int promc_collect_family(promc_collect_ctx *ctx, const char *name, const char *help,
                         promc_type type, const char *const *labels) {
    ctx->have_family = false;
    if (type != PROMC_COUNTER && type != PROMC_GAUGE && type != PROMC_INFO && type != PROMC_UNTYPED)
        return promc__seterr(PROMC_EINVAL, "collectors produce counters, gauges, info, untyped");
    bool utf8 = atomic_load_explicit(&ctx->reg->utf8_names, memory_order_relaxed);
    if (!name || !(promc__valid_metric_name(name) || (utf8 && promc__valid_utf8_name(name))) ||
        strlen(name) > PROMC_NAME_MAX || (name[0] == '_' && name[1] == '_'))
        return promc__seterr(PROMC_EINVAL, "collector: invalid metric name");
    if (help && !promc__valid_utf8(help, strlen(help)))
        return promc__seterr(PROMC_EINVAL, "%s: help is not valid UTF-8", name);
    size_t n = 0;
    for (; labels && labels[n]; n++) {
        if (n == PROMC_MAX_LABELS ||
            !(promc__valid_label_name(labels[n]) || (utf8 && promc__valid_utf8_name(labels[n]))))
            return promc__seterr(PROMC_EINVAL, "%s: invalid label name", name);
        ctx->label_names[n] = labels[n];
    }
    ctx->label_names[n] = NULL;
    /* Same family naming as registration: counters without _total, info without _info. */
    strcpy(ctx->name, name);
    size_t len = strlen(ctx->name);
    if (type == PROMC_COUNTER && len > 6 && strcmp(ctx->name + len - 6, "_total") == 0)
        ctx->name[len - 6] = '\0';
    if (type == PROMC_INFO && len > 5 && strcmp(ctx->name + len - 5, "_info") == 0)
        ctx->name[len - 5] = '\0';
    int rc = claim_name(ctx, type);
    if (rc != 0)
        return rc;
    memset(&ctx->family, 0, sizeof ctx->family);
    ctx->family.name = ctx->name;
    ctx->family.help = (char *)(help ? help : "");
    ctx->family.type = type;
    ctx->family.nlabels = n;
    ctx->family.label_names = (char **)ctx->label_names;
    ctx->have_family = true;
    ctx->sink->family(ctx->sink->arg, &ctx->family);
    return 0;
}

int promc_collect_sample(promc_collect_ctx *ctx, const char *const *values, double value) {
    if (!ctx->have_family)
        return promc__seterr(PROMC_ESTATE, "collect_sample before a valid collect_family");
    for (size_t i = 0; i < ctx->family.nlabels; i++)
        if (!values || !values[i] || !promc__valid_utf8(values[i], strlen(values[i])))
            return promc__seterr(PROMC_EINVAL, "%s: missing or invalid label value",
                                 ctx->family.name);
    if (ctx->family.type == PROMC_COUNTER && !(value >= 0))
        return promc__seterr(PROMC_EINVAL, "%s: negative counter", ctx->family.name);
    promc_series_view s = {.label_values = values, .value = value};
    ctx->sink->series(ctx->sink->arg, &ctx->family, &s);
    return 0;
}

int promc__collectors_run(promc_registry *reg, const promc_collect_sink *sink) {
    promc_collect_ctx ctx = {.sink = sink, .reg = reg};
    int first_error = 0;
    /* A failing collector (say, /proc unreadable) costs its own families, not the scrape. */
    for (promc_collector *c = reg->collectors; c; c = c->next) {
        ctx.have_family = false;
        ctx.collector = c;
        int rc = c->fn(&ctx, c->userdata);
        if (rc != 0 && first_error == 0)
            first_error = rc;
    }
    free(ctx.seen);
    return first_error;
}
