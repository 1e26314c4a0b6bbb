/* promc.h -- Prometheus / OpenMetrics instrumentation for C.
 *
 * promc keeps metrics in a registry and renders them in the Prometheus text format 0.0.4 or
 * OpenMetrics 1.0. Updating a metric (inc, set, observe) never takes a lock and never allocates
 * after the first update of a child from a given thread; rendering reads per-thread shards and
 * sums them, so a scrape never blocks the code being measured.
 *
 * Conventions:
 *  - Every exported name starts with promc_ / PROMC_. Types are opaque.
 *  - Functions that can fail return 0 or a negative PROMC_E* code; promc_strerror() names it.
 *    Constructors return NULL on failure; promc_last_error() and promc_last_error_message()
 *    then describe why (thread-local).
 *  - Strings passed in are copied. Label name lists are NULL-terminated arrays; PROMC_LABELS()
 *    builds one inline.
 *  - Metrics belong to their registry; handles stay valid until the registry is freed (the
 *    default registry lives until exit). A label child removed (promc_remove, promc_clear,
 *    TTL expiry, info_set replacing it) makes its handles stale: see "Series lifecycle".
 */
#ifndef PROMC_H
#define PROMC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PROMC_VERSION "1.0.0"

/* ---- Errors ------------------------------------------------------------------------------ */

enum {
    PROMC_OK = 0,
    PROMC_EINVAL = -1,    /* invalid argument: name, label, value or bucket layout */
    PROMC_ENOMEM = -2,    /* allocation failed */
    PROMC_EEXIST = -3,    /* a different metric with this name is already registered */
    PROMC_ENOTFOUND = -4, /* no such metric or child */
    PROMC_EIO = -5,       /* reading /proc, sockets or HTTP failed */
    PROMC_ESTATE = -6,    /* call not valid in this state (e.g. inc on a labelled parent) */
};

/* Short English description of a PROMC_E* code. Never NULL. */
const char *promc_strerror(int code);
/* Code and message of the last failure on this thread ("" when none). */
int promc_last_error(void);
const char *promc_last_error_message(void);

/* ---- Registries -------------------------------------------------------------------------- */

typedef struct promc_registry promc_registry;

/* The process-wide default registry; created on first use, lives until exit. */
promc_registry *promc_registry_default(void);
/* A new empty registry; NULL on allocation failure. Free with promc_registry_free(). */
promc_registry *promc_registry_new(void);
/* Frees the registry and every metric and collector in it. Not for the default registry. */
void promc_registry_free(promc_registry *reg);
/* Removes the metric family called name. Its handles stay valid until the registry is freed. */
int promc_registry_unregister(promc_registry *reg, const char *name);

/* ---- Metric families --------------------------------------------------------------------- */

typedef enum promc_type {
    PROMC_COUNTER,
    PROMC_GAUGE,
    PROMC_HISTOGRAM,
    PROMC_SUMMARY,
    PROMC_INFO,
    PROMC_STATESET,
    PROMC_UNTYPED,
} promc_type;

typedef struct promc_counter promc_counter;
typedef struct promc_gauge promc_gauge;
typedef struct promc_histogram promc_histogram;
typedef struct promc_summary promc_summary;
typedef struct promc_info promc_info;
typedef struct promc_enum promc_enum;

/* A NULL-terminated list of label names or values, built inline. */
#define PROMC_LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Registration is get-or-create: registering the same name, type, help, unit and label names
 * (and buckets or quantiles) again returns the existing metric. A conflicting registration
 * fails with PROMC_EEXIST. reg NULL means the default registry; labels NULL means none.
 * Names follow the exposition spec; "__" prefixes, "le" on histograms, "quantile" on summaries
 * and names colliding with another family's _total/_count/_sum/_bucket/_created/_info series
 * are rejected with PROMC_EINVAL. */
promc_counter *promc_counter_new(promc_registry *reg, const char *name, const char *help,
                                 const char *const *labels);
promc_gauge *promc_gauge_new(promc_registry *reg, const char *name, const char *help,
                             const char *const *labels);
/* buckets: strictly increasing upper bounds, +Inf implied; NULL/0 means client_python's
 * defaults (.005 .01 .025 .05 .075 .1 .25 .5 .75 1 2.5 5 7.5 10). */
promc_histogram *promc_histogram_new(promc_registry *reg, const char *name, const char *help,
                                     const char *const *labels, const double *buckets,
                                     size_t nbuckets);

/* A quantile to estimate, with its allowed rank error (0.5 +/- 0.05 and so on). */
typedef struct promc_quantile {
    double quantile;
    double error;
} promc_quantile;

/* Summary with quantiles over a sliding window of max_age seconds, kept in age_buckets
 * rotating streams (CKMS targeted quantiles). nquantiles 0 exports only _count and _sum.
 * max_age <= 0 means 600 s and age_buckets <= 0 means 5, as client_golang. */
promc_summary *promc_summary_new(promc_registry *reg, const char *name, const char *help,
                                 const char *const *labels, const promc_quantile *quantiles,
                                 size_t nquantiles, double max_age, int age_buckets);
/* Info metric: exported as name_info{...} 1. Set its values with promc_info_set(). */
promc_info *promc_info_new(promc_registry *reg, const char *name, const char *help,
                           const char *const *labels);
/* Enum (OpenMetrics stateset): one series per state, 1 for the current one. The state label
 * is named after the metric, as client_python does. states: NULL-terminated, at least one. */
promc_enum *promc_enum_new(promc_registry *reg, const char *name, const char *help,
                           const char *const *labels, const char *const *states);

/* Sets the unit (OpenMetrics "# UNIT"); the name must end with "_<unit>". Before first use. */
int promc_set_unit(void *metric, const char *unit);

/* ---- Label children ---------------------------------------------------------------------- */
/* labels(...) returns the child for these label values (as many as the metric has label
 * names), creating it on first use. The child is a handle of the same type, usable with the
 * same calls, and may be cached. Looking up an existing child hashes the values without
 * allocating or locking. NULL on invalid values (wrong count, invalid UTF-8). */
promc_counter *promc_counter_labels(promc_counter *c, ...);
promc_gauge *promc_gauge_labels(promc_gauge *g, ...);
promc_histogram *promc_histogram_labels(promc_histogram *h, ...);
promc_summary *promc_summary_labels(promc_summary *s, ...);
promc_enum *promc_enum_labels(promc_enum *e, ...);
/* The same with an array of values (exactly as many as label names). */
promc_counter *promc_counter_labelsv(promc_counter *c, const char *const *values);
promc_gauge *promc_gauge_labelsv(promc_gauge *g, const char *const *values);
promc_histogram *promc_histogram_labelsv(promc_histogram *h, const char *const *values);
promc_summary *promc_summary_labelsv(promc_summary *s, const char *const *values);
promc_enum *promc_enum_labelsv(promc_enum *e, const char *const *values);

/* Removes one child (values as for labelsv) or all children of a labelled metric.
 * Works on a metric of any type; pass the parent handle. The child's handles become stale
 * (a safe no-op, see "Series lifecycle") and its memory is reused once no thread can reach it.
 * Thread-safe; takes the family lock. */
int promc_remove(void *metric, const char *const *values);
int promc_clear(void *metric);

/* ---- Updates (lock-free) ----------------------------------------------------------------- */
/* Each returns 0, PROMC_EINVAL for a bad value, PROMC_ESTATE when called on the parent of
 * a labelled metric (use labels() first), or PROMC_ENOTFOUND, changing nothing, when the handle
 * is stale (its child was removed). The *_value() and *_snapshot() reads of a stale handle
 * give 0 / PROMC_ENOTFOUND. */

int promc_counter_inc(promc_counter *c);
int promc_counter_add(promc_counter *c, double v); /* v >= 0 */
/* Adds v and keeps an exemplar (OpenMetrics only): labels are name/value pairs, NULL-ended. */
int promc_counter_add_exemplar(promc_counter *c, double v, const char *const *exemplar_labels);
double promc_counter_value(promc_counter *c);

int promc_gauge_set(promc_gauge *g, double v);
int promc_gauge_inc(promc_gauge *g);
int promc_gauge_dec(promc_gauge *g);
int promc_gauge_add(promc_gauge *g, double v);
int promc_gauge_sub(promc_gauge *g, double v);
int promc_gauge_set_to_current_time(promc_gauge *g);
double promc_gauge_value(promc_gauge *g);

int promc_histogram_observe(promc_histogram *h, double v);
int promc_histogram_observe_exemplar(promc_histogram *h, double v,
                                     const char *const *exemplar_labels);
/* Snapshot: cumulative bucket counts into counts[nbuckets+1] (last is +Inf), sum and count. */
int promc_histogram_snapshot(promc_histogram *h, uint64_t *counts, size_t ncounts, double *sum,
                             uint64_t *count);

int promc_summary_observe(promc_summary *s, double v);
/* Current estimates of the configured quantiles into values[n], plus sum and count. */
int promc_summary_snapshot(promc_summary *s, double *values, size_t n, double *sum,
                           uint64_t *count);

/* Replaces the info metric's label values. A scrape sees the old or the new series, never both
 * nor neither; the old child is reclaimed. Thread-safe; takes the family lock. */
int promc_info_set(promc_info *i, const char *const *values);
/* Sets the current state by index or by name. */
int promc_enum_set(promc_enum *e, size_t state);
int promc_enum_set_name(promc_enum *e, const char *state);

/* ---- Series lifecycle: stale handles, TTL, cardinality limit ------------------------------ */
/* Stale handles. A handle of a removed child is stale for good: every update through it
 * returns PROMC_ENOTFOUND and changes nothing, reads give 0, even after its memory went to a
 * new child of the same family (handles carry a 16-bit generation, so a handle goes stale for
 * good unless its slot is reused exactly 65536 times while it is kept; on platforms other than
 * x86-64/arm64 slots are never reused instead). A stale handle is never a use-after-free as long
 * as its registry lives. An update racing with the remove lands in the old child or is
 * refused; it never reaches another series. Asking labels() again gives a new child, from 0.
 * Removed children, their shard words and old index tables are reused once every update,
 * lookup and scrape that could still see them has ended (grace periods, never waited for:
 * the reuse happens at a later create, remove or scrape), so memory stays flat under churn. */

/* Series TTL: a child not updated for `seconds` is dropped from the exposition and reclaimed,
 * and counted in promc_series_expired_total{family="<name>"}. Updates never read a clock: an
 * update marks its child, and each scrape of the registry (the sweep) clears the marks of the
 * children it finds marked and notes the time; a child found unmarked by a sweep at least
 * `seconds` after the sweep that last found it marked (or after its creation, or the
 * promc_set_ttl call) expires. So a child expires no sooner than `seconds` after its last
 * update, and at the latest at the first scrape `seconds` + two scrape intervals after it
 * (times kept in centiseconds). A scrape is any promc_render of the registry; without scrapes
 * nothing expires. An update racing with the sweep that expires its child is lost with it.
 * Labelled metrics only; 0 turns it off; at most 1e7 s. 0, PROMC_EINVAL or PROMC_ESTATE
 * (unlabelled). Thread-safe. */
int promc_set_ttl(void *metric, double seconds);

/* Cardinality limit: at most max_series children (0: no limit). A labels() call for a new
 * label set while the family has max_series children:
 *  - PROMC_LIMIT_OVERFLOW: returns the overflow child, whose every label value is
 *    PROMC_OVERFLOW_VALUE (one extra series beyond the limit, shared by all refused sets);
 *  - PROMC_LIMIT_FAIL: returns NULL, last error PROMC_ESTATE ("cardinality limit reached").
 * Either way promc_series_overflow_total{family="<name>"} counts the call. Removing or expiring
 * children makes room again. Existing children are kept when the limit is lowered. Labelled
 * metrics only; 0, PROMC_EINVAL (unknown mode) or PROMC_ESTATE (unlabelled). Thread-safe. */
enum { PROMC_LIMIT_OVERFLOW = 0, PROMC_LIMIT_FAIL = 1 };
#define PROMC_OVERFLOW_VALUE "__overflow__"
int promc_set_limit(void *metric, size_t max_series, int mode);

/* The counters of what was dropped are exported by promc_render with the registry's families,
 * in both formats, as counters with one label, family (the OpenMetrics family name):
 *   promc_series_expired_total   children a TTL expired (families with a TTL)
 *   promc_series_overflow_total  labels() calls refused or redirected by a limit (families
 *                                with a limit)
 * Each family of the pair appears once some family of the registry has a TTL / a limit; a
 * registered metric of the same name takes precedence. */

/* Fork: the child process may update and scrape. Arenas of threads that vanished in the fork
 * mid-update are quarantined and their half-done histogram updates repaired by the next scrape
 * (one observation may then show in the buckets but not the sum). A fork while another thread
 * holds a family or registry lock (creating, removing, registering) leaves that lock held in
 * the child: fork from a quiet moment, or exec. */

/* ---- Buckets ----------------------------------------------------------------------------- */

extern const double promc_default_buckets[14];
/* Fill out[count] with start, start+width, ...; 0 or PROMC_EINVAL. */
int promc_buckets_linear(double start, double width, size_t count, double *out);
/* Fill out[count] with start, start*factor, ...; start > 0, factor > 1. */
int promc_buckets_exponential(double start, double factor, size_t count, double *out);

/* ---- Collectors -------------------------------------------------------------------------- */
/* A collector is a callback that produces metric families at scrape time, for values read on
 * demand. Inside it, call promc_collect_family() then promc_collect_sample() per series. */

typedef struct promc_collect_ctx promc_collect_ctx;
typedef int (*promc_collect_fn)(promc_collect_ctx *ctx, void *userdata);

/* Registers a collector under a name unique in the registry. userdata is kept, not owned.
 * Collectors run during scrapes with the registry locked: a collector must not register or
 * unregister metrics or collectors in its own registry. */
int promc_collector_register(promc_registry *reg, const char *collector_name, promc_collect_fn fn,
                             void *userdata);
int promc_collector_unregister(promc_registry *reg, const char *collector_name);
/* Starts a family of type COUNTER, GAUGE, INFO or UNTYPED with these label names. */
int promc_collect_family(promc_collect_ctx *ctx, const char *name, const char *help,
                         promc_type type, const char *const *labels);
/* One series of the current family: label values as many as its label names. */
int promc_collect_sample(promc_collect_ctx *ctx, const char *const *values, double value);

/* Registers the process collector (process_cpu_seconds_total, process_open_fds, ... read from
 * /proc) and promc_build_info{version,compiler} in reg. Get-or-create: safe to call twice. */
int promc_register_default_collectors(promc_registry *reg);

/* ---- Exposition -------------------------------------------------------------------------- */

typedef enum promc_format {
    PROMC_FORMAT_TEXT,        /* text/plain; version=0.0.4 */
    PROMC_FORMAT_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
} promc_format;

/* Picks the format an Accept header asks for, honouring q-values; NULL means text. */
promc_format promc_negotiate(const char *accept);
/* The exact Content-Type header value for a format. */
const char *promc_content_type(promc_format fmt);

/* Renders every family of reg, sorted by name, into a malloc'd buffer the caller frees. */
int promc_render(promc_registry *reg, promc_format fmt, char **out, size_t *len);

/* ---- Timing helpers ---------------------------------------------------------------------- */
/* C counterparts of client_python's decorators and context managers. */

/* Monotonic clock in seconds. */
double promc_now(void);

/* Observe a block's duration (seconds) into a histogram or summary, or track it in progress
 * with a gauge. Usage: PROMC_TIME_HISTOGRAM(h) { ...block... }   Leaving the block with
 * break/return/goto skips the observation; for early returns use the PROMC_SCOPE_* forms,
 * which act when the enclosing scope ends (GCC/Clang cleanup attribute). */
#define PROMC__CAT2(a, b) a##b
#define PROMC__CAT(a, b)  PROMC__CAT2(a, b)
#define PROMC__ONCE(start, end)                                                                    \
    for (double PROMC__CAT(promc__t, __LINE__) = (start), PROMC__CAT(promc__o, __LINE__) = 1;      \
         PROMC__CAT(promc__o, __LINE__); PROMC__CAT(promc__o, __LINE__) = 0, (void)(end))
#define PROMC_TIME_HISTOGRAM(h)                                                                    \
    PROMC__ONCE(promc_now(),                                                                       \
                promc_histogram_observe((h), promc_now() - PROMC__CAT(promc__t, __LINE__)))
#define PROMC_TIME_SUMMARY(s)                                                                      \
    PROMC__ONCE(promc_now(),                                                                       \
                promc_summary_observe((s), promc_now() - PROMC__CAT(promc__t, __LINE__)))
#define PROMC_TRACK_INPROGRESS(g) PROMC__ONCE((promc_gauge_inc(g), 0.0), promc_gauge_dec(g))

/* Scope forms: the observation happens when the enclosing scope exits, however it exits. */
typedef struct promc_scope {
    double start;
    void *metric;
    int kind;
} promc_scope;
void promc__scope_end(promc_scope *s);
#define PROMC__SCOPE(kind, m)                                                                      \
    promc_scope PROMC__CAT(promc__scope, __LINE__)                                                 \
        __attribute__((cleanup(promc__scope_end))) = {promc_now(), (void *)(m), (kind)};           \
    (void)PROMC__CAT(promc__scope, __LINE__)
#define PROMC_SCOPE_TIME_HISTOGRAM(h) PROMC__SCOPE(1, (h))
#define PROMC_SCOPE_TIME_SUMMARY(s)   PROMC__SCOPE(2, (s))
#define PROMC_SCOPE_INPROGRESS(g)     PROMC__SCOPE((promc_gauge_inc(g), 3), (g))

/* Evaluates expr (an int-returning call); when it is non-zero (a failure, by C convention)
 * counts one on counter c. Yields the value of expr. */
#define PROMC_COUNT_FAILURES(c, expr)                                                              \
    __extension__({                                                                                \
        int promc__rc = (expr);                                                                    \
        if (promc__rc != 0)                                                                        \
            promc_counter_inc(c);                                                                  \
        promc__rc;                                                                                 \
    })

#ifdef __cplusplus
}
#endif
#endif /* PROMC_H */
