/* registry.h -- registries (registry.c): the families of one registry, sorted by name at
 * scrape time, and its collectors' callbacks. Registration validates a spec once and turns it
 * into a family, or finds the same one (get-or-create). Depends on family.h. Never installed.
 */
#ifndef PROMC_REGISTRY_H
#define PROMC_REGISTRY_H

#include "family.h"

typedef struct promc_collector {
    char *name;
    promc_collect_fn fn;
    void *userdata;
    bool warned; /* it emitted a taken family name once: said so on stderr */
    struct promc_collector *next;
} promc_collector;

struct promc_registry {
    pthread_mutex_t lock; /* registration and scrape; never the update path */
    promc_family **families;
    size_t nfamilies, cap;
    promc_collector *collectors;
    promc_family **dead; /* unregistered families: handles stay valid until registry free */
    size_t ndead;
    _Atomic bool utf8_names; /* promc_registry_set_utf8_names: names outside the legacy set */
};

/* What a constructor asks for; registry.c turns it into a family (or finds the same one). */
typedef struct promc_spec {
    promc_type type;
    const char *name, *help;
    const char *const *labels;
    const double *buckets;
    size_t nbuckets;
    /* native histogram buckets (native set): as promc_histogram_opts, schema already picked */
    bool native;
    int32_t native_schema;
    double native_zero_threshold, native_max_zero_threshold, native_min_reset;
    uint32_t native_max_buckets;
    const promc_quantile *quantiles;
    size_t nquantiles;
    double max_age;
    int age_buckets;
    const char *const *states;
} promc_spec;

/* Get-or-create registration; returns the family's handle child or NULL (last error set). */
promc_child *promc__register(promc_registry *reg, const promc_spec *spec);
/* Would families a and b put a series of the same name on the wire? (name and type used) */
bool promc__families_collide(const promc_family *a, const promc_family *b);

#endif /* PROMC_REGISTRY_H */
