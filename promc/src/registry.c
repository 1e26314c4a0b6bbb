/* registry.c -- registries and get-or-create registration of metric families.
 *
 * Registering checks the name and label names against the exposition spec, then either returns
 * the family already registered under that name (when type, help, unit, labels and layout are
 * identical) or fails with PROMC_EEXIST, or adds a new family. A family's series names (for a
 * histogram foo: foo_bucket, foo_count, foo_sum, foo_created) may not collide with another
 * family's.
 */
#include "registry.h"

#include "native_schema.h"

#include <pthread.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static promc_registry *default_registry;

static void make_default(void) {
    default_registry = promc_registry_new();
}

promc_registry *promc_registry_default(void) {
    pthread_once(&default_once, make_default);
    return default_registry;
}

promc_registry *promc_registry_new(void) {
    promc_registry *reg = calloc(1, sizeof *reg);
    if (!reg) {
        promc__seterr(PROMC_ENOMEM, "out of memory for a registry");
        return NULL;
    }
    pthread_mutex_init(&reg->lock, NULL);
    return reg;
}

static void family_destroy(promc_family *f) {
    promc__family_free(f);
    free(f->name);
    free(f->help);
    free(f->unit);
    for (size_t i = 0; i < f->nlabels; i++)
        free(f->label_names[i]);
    free(f->label_names);
    free(f->buckets);
    free(f->quantiles);
    for (size_t i = 0; i < f->nstates; i++)
        free(f->states[i]);
    free(f->states);
    free(f);
}

/* The collectors themselves are registered by collector.c; the registry owns the list. */
static void collectors_free(promc_registry *reg) {
    while (reg->collectors) {
        promc_collector *c = reg->collectors;
        reg->collectors = c->next;
        free(c->name);
        free(c);
    }
}

void promc_registry_free(promc_registry *reg) {
    if (!reg || reg == default_registry)
        return;
    for (size_t i = 0; i < reg->nfamilies; i++)
        family_destroy(reg->families[i]);
    for (size_t i = 0; i < reg->ndead; i++)
        family_destroy(reg->dead[i]);
    free(reg->families);
    free(reg->dead);
    collectors_free(reg);
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

static promc_family *find_family(promc_registry *reg, const char *name) {
    for (size_t i = 0; i < reg->nfamilies; i++)
        if (strcmp(reg->families[i]->name, name) == 0)
            return reg->families[i];
    return NULL;
}

/* Does name (as a user would write it: "hello_total") name family f ("hello")? */
static bool user_name_matches(const promc_family *f, const char *name) {
    size_t n = strlen(f->name);
    if (strncmp(f->name, name, n) != 0)
        return false;
    const char *rest = name + n;
    return !*rest || (f->type == PROMC_COUNTER && strcmp(rest, "_total") == 0) ||
           (f->type == PROMC_INFO && strcmp(rest, "_info") == 0);
}

int promc_registry_unregister(promc_registry *reg, const char *name) {
    if (!reg)
        reg = promc_registry_default();
    if (!name)
        return promc__seterr(PROMC_EINVAL, "unregister: no name");
    pthread_mutex_lock(&reg->lock);
    int rc = PROMC_ENOTFOUND; /* the message only once it is sure: success keeps the last error */
    for (size_t i = 0; i < reg->nfamilies; i++) {
        promc_family *f = reg->families[i];
        if (!user_name_matches(f, name))
            continue;
        promc_family **dead = realloc(reg->dead, (reg->ndead + 1) * sizeof *dead);
        if (!dead) {
            rc = promc__seterr(PROMC_ENOMEM, "out of memory");
            break;
        }
        reg->dead = dead;
        reg->dead[reg->ndead++] = f;
        f->unregistered = true;
        memmove(&reg->families[i], &reg->families[i + 1],
                (reg->nfamilies - i - 1) * sizeof reg->families[0]);
        reg->nfamilies--;
        rc = 0;
        break;
    }
    pthread_mutex_unlock(&reg->lock);
    if (rc == PROMC_ENOTFOUND)
        promc__seterr(PROMC_ENOTFOUND, "no metric named %s", name);
    return rc;
}

/* ---- Names a family puts on the wire ----------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The series names of a family, for collision checks; returns how many were written. */
static size_t series_names(const promc_family *f, char out[6][PROMC_NAME_MAX + 16]) {
    static const char *const hist[] = {"", "_bucket", "_count", "_sum", "_created", NULL};
    static const char *const summ[] = {"", "_count", "_sum", "_created", NULL};
    static const char *const ctr[] = {"", "_total", "_created", NULL};
    static const char *const info[] = {"", "_info", NULL};
    static const char *const plain[] = {"", NULL};
    const char *const *suffixes = plain;
    switch (f->type) {
    case PROMC_COUNTER:
        suffixes = ctr;
        break;
    case PROMC_HISTOGRAM:
        suffixes = hist;
        break;
    case PROMC_SUMMARY:
        suffixes = summ;
        break;
    case PROMC_INFO:
        suffixes = info;
        break;
    default:
        break;
    }
    size_t n = 0;
    for (; suffixes[n]; n++) {
        strcpy(out[n], f->name);
        strcat(out[n], suffixes[n]);
    }
    return n;
}

bool promc__families_collide(const promc_family *a, const promc_family *b) {
    char an[6][PROMC_NAME_MAX + 16], bn[6][PROMC_NAME_MAX + 16];
    size_t na = series_names(a, an), nb = series_names(b, bn);
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (strcmp(an[i], bn[j]) == 0)
                return true;
    return false;
}

/* ---- Validation of a new family ---------------------------------------------------------- */

static int validate_labels(const promc_spec *spec, bool utf8) {
    size_t n = 0;
    for (; spec->labels && spec->labels[n]; n++) {
        const char *l = spec->labels[n];
        if (n == PROMC_MAX_LABELS)
            return promc__seterr(PROMC_EINVAL, "%s: more than %d label names (PROMC_MAX_LABELS)",
                                 spec->name, PROMC_MAX_LABELS);
        if (!promc__valid_label_name(l) && !(utf8 && promc__valid_utf8_name(l)))
            return promc__seterr(
                PROMC_EINVAL,
                utf8 || !promc__valid_utf8_name(l)
                    ? "%s: invalid label name \"%s\""
                    : "%s: invalid label name \"%s\": outside [a-zA-Z_][a-zA-Z0-9_]* "
                      "(promc_registry_set_utf8_names() allows UTF-8 names)",
                spec->name, l);
        if (spec->type == PROMC_HISTOGRAM && strcmp(l, "le") == 0)
            return promc__seterr(PROMC_EINVAL, "%s: label \"le\" is reserved for buckets",
                                 spec->name);
        if (spec->type == PROMC_SUMMARY && strcmp(l, "quantile") == 0)
            return promc__seterr(PROMC_EINVAL, "%s: label \"quantile\" is reserved for summaries",
                                 spec->name);
        if (spec->type == PROMC_STATESET && strcmp(l, spec->name) == 0)
            return promc__seterr(PROMC_EINVAL, "%s: label named as the enum itself", spec->name);
        for (size_t j = 0; j < n; j++)
            if (strcmp(spec->labels[j], l) == 0)
                return promc__seterr(PROMC_EINVAL, "%s: duplicate label \"%s\"", spec->name, l);
    }
    return 0;
}

static int validate_layout(const promc_spec *spec) {
    for (size_t i = 0; i < spec->nbuckets; i++) {
        double b = spec->buckets[i];
        if (b != b || (i > 0 && !(b > spec->buckets[i - 1])))
            return promc__seterr(PROMC_EINVAL, "%s: buckets must be strictly increasing",
                                 spec->name);
    }
    if (spec->native && (spec->native_schema < PROMC__NATIVE_SCHEMA_MIN ||
                         spec->native_schema > PROMC__NATIVE_SCHEMA_MAX))
        return promc__seterr(PROMC_EINVAL, "%s: native schema %d outside %d..%d", spec->name,
                             (int)spec->native_schema, PROMC__NATIVE_SCHEMA_MIN,
                             PROMC__NATIVE_SCHEMA_MAX);
    if (spec->nbuckets > PROMC_MAX_BUCKETS)
        return promc__seterr(PROMC_EINVAL, "%s: more than %d buckets", spec->name,
                             PROMC_MAX_BUCKETS);
    if (spec->type == PROMC_SUMMARY) {
        int rc = promc__summary_validate(spec->name, spec->quantiles, spec->nquantiles,
                                         spec->max_age, spec->age_buckets);
        if (rc != 0)
            return rc;
    }
    if (spec->type == PROMC_STATESET) {
        if (!spec->states || !spec->states[0])
            return promc__seterr(PROMC_EINVAL, "%s: an enum needs at least one state", spec->name);
        for (size_t i = 0; spec->states[i]; i++) {
            if (!promc__valid_utf8(spec->states[i], strlen(spec->states[i])))
                return promc__seterr(PROMC_EINVAL, "%s: state is not valid UTF-8", spec->name);
            for (size_t j = 0; j < i; j++)
                if (strcmp(spec->states[i], spec->states[j]) == 0)
                    return promc__seterr(PROMC_EINVAL, "%s: duplicate state \"%s\"", spec->name,
                                         spec->states[i]);
        }
    }
    return 0;
}

/* The family name client_python keeps: counters lose "_total", info metrics "_info". */
static int family_name(const promc_spec *spec, char *out, bool utf8) {
    if (!spec->name ||
        (!promc__valid_metric_name(spec->name) && !(utf8 && promc__valid_utf8_name(spec->name))))
        return promc__seterr(PROMC_EINVAL,
                             utf8 || !promc__valid_utf8_name(spec->name)
                                 ? "invalid metric name \"%s\""
                                 : "invalid metric name \"%s\": outside [a-zA-Z_:][a-zA-Z0-9_:]* "
                                   "(promc_registry_set_utf8_names() allows UTF-8 names)",
                             spec->name ? spec->name : "(null)");
    size_t len = strlen(spec->name);
    if (len > PROMC_NAME_MAX)
        return promc__seterr(PROMC_EINVAL, "metric name longer than %d bytes", PROMC_NAME_MAX);
    if (spec->name[0] == '_' && spec->name[1] == '_')
        return promc__seterr(PROMC_EINVAL, "%s: names starting with __ are reserved", spec->name);
    memcpy(out, spec->name, len + 1);
    if (spec->type == PROMC_COUNTER && ends_with(out, "_total"))
        out[len - 6] = '\0';
    else if (spec->type == PROMC_INFO && ends_with(out, "_info"))
        out[len - 5] = '\0';
    if (!*out)
        return promc__seterr(PROMC_EINVAL, "invalid metric name \"%s\"", spec->name);
    return 0;
}

/* ---- Same or conflicting ----------------------------------------------------------------- */

static bool same_strings(char **a, size_t na, const char *const *b) {
    size_t nb = 0;
    while (b && b[nb])
        nb++;
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bool same_family(const promc_family *f, const promc_spec *spec) {
    if (f->type != spec->type || strcmp(f->help, spec->help ? spec->help : "") != 0)
        return false;
    if (!same_strings(f->label_names, f->nlabels, spec->labels))
        return false;
    if (f->nbuckets != spec->nbuckets || f->nquantiles != spec->nquantiles)
        return false;
    for (size_t i = 0; i < f->nbuckets; i++)
        if (f->buckets[i] != spec->buckets[i])
            return false;
    for (size_t i = 0; i < f->nquantiles; i++)
        if (f->quantiles[i].quantile != spec->quantiles[i].quantile ||
            f->quantiles[i].error != spec->quantiles[i].error)
            return false;
    if (f->native != spec->native ||
        (spec->native && (f->native_schema != spec->native_schema ||
                          f->native_zero_threshold != spec->native_zero_threshold ||
                          f->native_max_buckets != spec->native_max_buckets ||
                          f->native_max_zero_threshold != spec->native_max_zero_threshold ||
                          f->native_min_reset != spec->native_min_reset)))
        return false;
    if (spec->type == PROMC_SUMMARY &&
        (f->max_age != spec->max_age || f->age_buckets != spec->age_buckets))
        return false;
    return spec->type != PROMC_STATESET || same_strings(f->states, f->nstates, spec->states);
}

/* ---- Building a family ------------------------------------------------------------------- */

static char **copy_strings(const char *const *src, size_t *n) {
    *n = 0;
    while (src && src[*n])
        (*n)++;
    char **out = calloc(*n ? *n : 1, sizeof *out);
    for (size_t i = 0; out && i < *n; i++)
        if (!(out[i] = strdup(src[i]))) {
            while (i--)
                free(out[i]);
            free(out);
            return NULL;
        }
    return out;
}

static promc_family *family_build(promc_registry *reg, const promc_spec *spec, const char *name) {
    promc_family *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->registry = reg;
    f->type = spec->type;
    f->name = strdup(name);
    f->help = strdup(spec->help ? spec->help : "");
    f->label_names = copy_strings(spec->labels, &f->nlabels);
    f->states = copy_strings(spec->states, &f->nstates);
    f->nbuckets = spec->nbuckets;
    /* native buckets have a negative side, and client_golang takes negative values */
    f->lowest = spec->native || (spec->nbuckets > 0 && spec->buckets[0] < 0) ? -1.0 / 0.0 : 0;
    f->native = spec->native;
    f->fast_lowest = !f->native && f->nbuckets <= PROMC_BUCKETS_PADDED ? f->lowest : 0.0 / 0.0;
    f->native_schema = spec->native_schema;
    f->native_zero_threshold = spec->native_zero_threshold;
    f->native_table = promc__native_table_of(spec->native_schema);
    f->native_max_buckets = spec->native_max_buckets;
    f->native_max_zero_threshold = spec->native_max_zero_threshold;
    f->native_min_reset = spec->native_min_reset;
    size_t nbounds = f->nbuckets > PROMC_BUCKETS_PADDED ? f->nbuckets : PROMC_BUCKETS_PADDED;
    f->buckets = malloc(nbounds * sizeof *f->buckets);
    f->nquantiles = spec->nquantiles;
    f->quantiles = malloc((f->nquantiles ? f->nquantiles : 1) * sizeof *f->quantiles);
    f->max_age = spec->max_age;
    f->age_buckets = spec->age_buckets;
    bool ok = f->name && f->help && f->label_names && f->states && f->buckets && f->quantiles;
    if (ok) {
        if (f->nbuckets)
            memcpy(f->buckets, spec->buckets, f->nbuckets * sizeof *f->buckets);
        for (size_t i = f->nbuckets; i < nbounds; i++)
            f->buckets[i] = INFINITY; /* above no value: bucket_index reads 16, unguarded */
        if (f->nquantiles)
            memcpy(f->quantiles, spec->quantiles, f->nquantiles * sizeof *f->quantiles);
        ok = promc__family_init(f) == 0;
    }
    if (!ok) {
        family_destroy(f);
        return NULL;
    }
    return f;
}

static int add_family(promc_registry *reg, promc_family *f) {
    if (reg->nfamilies == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 16;
        promc_family **fams = realloc(reg->families, cap * sizeof *fams);
        if (!fams)
            return PROMC_ENOMEM;
        reg->families = fams;
        reg->cap = cap;
    }
    reg->families[reg->nfamilies++] = f;
    return 0;
}

int promc_registry_set_utf8_names(promc_registry *reg, int allow) {
    if (!reg)
        reg = promc_registry_default();
    if (!reg)
        return promc__seterr(PROMC_ENOMEM, "no default registry");
    atomic_store_explicit(&reg->utf8_names, allow != 0, memory_order_relaxed);
    return 0;
}

promc_child *promc__register(promc_registry *reg, const promc_spec *spec) {
    char name[PROMC_NAME_MAX + 1];
    if (!reg)
        reg = promc_registry_default();
    if (!reg)
        return NULL;
    bool utf8 = atomic_load_explicit(&reg->utf8_names, memory_order_relaxed);
    if (family_name(spec, name, utf8) != 0 || validate_labels(spec, utf8) != 0 ||
        validate_layout(spec) != 0)
        return NULL;
    if (spec->help && !promc__valid_utf8(spec->help, strlen(spec->help))) {
        promc__seterr(PROMC_EINVAL, "%s: help is not valid UTF-8", spec->name);
        return NULL;
    }
    pthread_mutex_lock(&reg->lock);
    promc_child *result = NULL;
    promc_family *f = find_family(reg, name);
    if (f) {
        if (same_family(f, spec))
            result = f->self;
        else
            promc__seterr(PROMC_EEXIST,
                          "%s: registered before with another type, help, labels "
                          "or layout",
                          spec->name);
        pthread_mutex_unlock(&reg->lock);
        return result;
    }
    promc_family probe = {.name = name, .type = spec->type};
    for (size_t i = 0; i < reg->nfamilies; i++)
        if (promc__families_collide(&probe, reg->families[i])) {
            promc__seterr(PROMC_EEXIST, "%s: its series names collide with metric %s", spec->name,
                          reg->families[i]->name);
            pthread_mutex_unlock(&reg->lock);
            return NULL;
        }
    f = family_build(reg, spec, name);
    if (f && add_family(reg, f) == 0)
        result = f->self;
    else {
        if (f)
            family_destroy(f);
        promc__seterr(PROMC_ENOMEM, "%s: out of memory", spec->name);
    }
    pthread_mutex_unlock(&reg->lock);
    return result;
}

int(promc_set_unit)(promc_metric *metric, const char *unit) {
    if (!metric || !unit || !*unit)
        return promc__seterr(PROMC_EINVAL, "promc_set_unit: no metric or unit");
    promc_child *handle = promc__handle_child(metric);
    if (!handle)
        return promc__seterr(PROMC_ENOTFOUND, "promc_set_unit: stale handle");
    promc_family *f = handle->family;
    /* OpenMetrics has no UNIT for these (client_python's parser rejects it). */
    if (f->type == PROMC_INFO || f->type == PROMC_STATESET)
        return promc__seterr(PROMC_EINVAL, "%s: info and stateset metrics have no unit", f->name);
    for (const char *p = unit; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == ':'))
            return promc__seterr(PROMC_EINVAL, "%s: invalid unit \"%s\"", f->name, unit);
    size_t n = strlen(f->name), m = strlen(unit);
    if (n < m + 1 || f->name[n - m - 1] != '_' || strcmp(f->name + n - m, unit) != 0)
        return promc__seterr(PROMC_EINVAL, "%s: the name must end with _%s", f->name, unit);
    pthread_mutex_lock(&f->registry->lock);
    int rc = 0;
    if (f->unit && strcmp(f->unit, unit) != 0)
        rc = promc__seterr(PROMC_EEXIST, "%s: unit already set to %s", f->name, f->unit);
    else if (!f->unit && !(f->unit = strdup(unit)))
        rc = promc__seterr(PROMC_ENOMEM, "out of memory");
    pthread_mutex_unlock(&f->registry->lock);
    return rc;
}
