/* promc.h -- Prometheus / OpenMetrics instrumentation for C.
 *
 * promc keeps metrics in a registry and renders them in the Prometheus text formats 0.0.4 and
 * 1.0.0, OpenMetrics 1.0 or delimited protobuf (io.prometheus.client.MetricFamily), with
 * Prometheus 3's content negotiation and name escaping (promc_negotiate_accept). Counter, gauge,
 * histogram and enum updates take no lock and allocate nothing once the calling thread has made its
 * first update of the child (that first update may allocate the thread's block of words); rendering
 * reads per-thread shards and sums them, so a scrape never blocks those updates. Summaries,
 * exemplars, creating label children, registration and rendering do lock and allocate: see "What
 * each call may do" below.
 *
 * Conventions:
 *  - Every exported name starts with promc_ / PROMC_; promc__ / PROMC__ names are internal,
 *    even where a public macro uses them. Types are opaque.
 *  - Functions that can fail return 0 or a negative PROMC_E* code; promc_strerror() names it.
 *    Constructors return NULL on failure; promc_last_error() and promc_last_error_message()
 *    then describe why (thread-local). A call that succeeds leaves the last error as it was.
 *  - Strings passed in are copied. Label name lists are NULL-terminated arrays; PROMC_LABELS()
 *    builds one inline. A metric has at most PROMC_MAX_LABELS (16) label names.
 *  - A registry argument, where there is one, comes first; NULL means the default registry.
 *  - Metrics belong to their registry; handles stay valid until the registry is freed (the
 *    default registry lives until exit). A label child removed (promc_remove, promc_clear,
 *    TTL expiry, info_set replacing it) makes its handles stale: see "Series lifecycle".
 *  - C only: the labels() macros and the typed-handle macros use C99/C11 features (compound
 *    literals, _Generic); C++ gets plain casts and must use the labelsv() array forms.
 *
 * What each call may do. "lock": may wait for a mutex or flag another thread holds; "alloc":
 * may call malloc; "AS-safe": may be called from an asynchronous signal handler. Every call
 * is thread-safe except promc_registry_free (6). Fork: see the Fork section, for every call.
 *
 *   calls                                                          lock      alloc     AS-safe
 *   counter inc/add, histogram observe                             first(1)  first(1)  no (2)
 *   gauge set/inc/dec/add/sub/set_to_current_time, enum_set(_name) no        no        yes (3)
 *   counter/gauge value, histogram snapshot                        no (8)    no        no
 *   summary observe                                                yes (4)   yes (4)   no
 *   summary snapshot                                               yes (5)   yes       no
 *   counter_add_exemplar, histogram_observe_exemplar               yes       yes       no
 *   labels()/labelsv() finding an existing child                   no        no        no
 *   labels()/labelsv() creating a child, remove, clear, info_set   yes       yes       no
 *   registry, registration, set_unit, collectors, render           yes       yes       no
 *   strerror, last_error(_message), negotiate, content_type(_escaped),
 *   now, buckets_linear/exponential, version                       no        no        yes (7)
 *   negotiate_accept                                               no        no        no
 *
 *   (1) A thread's first update of a child attaches the thread's shard and allocates the
 *       block of words the child lives in, under a process-wide mutex; later ones do neither.
 *   (2) Updates are a plain load and store on the thread's own words: a handler that updates
 *       the same child as the code it interrupted can lose one of the two updates.
 *   (3) Atomic operations only; on failure (NULL or parent handle) they also write the
 *       thread-local error message, which is not AS-safe.
 *   (4) Observations go to a per-thread ring. A thread's first observation of a summary
 *       locks and allocates its slot; the thread that fills its ring past 3/4 merges every
 *       ring into the quantile streams (allocates); a thread whose ring is full waits for the
 *       merge pass in progress.
 *   (5) Waits for a merge pass in progress, then merges the rings itself.
 *   (6) Nothing may use the registry or its metrics while or after it is freed.
 *   (7) promc_last_error_message() returns a thread-local buffer; promc_negotiate() only
 *       reads its argument; buckets_* on failure write the error message, as in (3).
 *   (8) A histogram read retries a thread's words while that thread is mid-update (a few
 *       instructions): it waits for no lock, only for the writer to finish.
 *
 * Fork. After fork() only the thread that called it exists in the child, and the child may
 * keep using promc: updating, registering, rendering and creating or removing children; its
 * metrics start from the parent's values. promc holds its process-wide locks (the shard
 * space's) across fork (pthread_atfork), and the shards of threads that vanished mid-update
 * are repaired or set aside, so no update is left half-done for ever (one observation may show
 * in a histogram's buckets but not its sum). It does not hold the family and registry locks:
 * a fork while another thread registers, creates or removes a child, sets a TTL or renders can
 * leave that lock held in the child. Fork from a quiet moment, or exec. Threads promc started
 * (a promc_http server) do not exist in the child: start a new server there.
 */
#ifndef PROMC_H
#define PROMC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every public declaration carries PROMC_API: the libraries are built with
 * -fvisibility=hidden, so only these names are exported from a shared build. */
#if defined(__GNUC__) || defined(__clang__)
#define PROMC_API __attribute__((visibility("default")))
#else
#define PROMC_API
#endif

/* ---- Version ----------------------------------------------------------------------------- */

#define PROMC_VERSION_MAJOR 2
#define PROMC_VERSION_MINOR 0
#define PROMC_VERSION_PATCH 0
#define PROMC__STR2(x)      #x
#define PROMC__STR(x)       PROMC__STR2(x)
/* "2.0.0" */
#define PROMC_VERSION                                                                              \
    PROMC__STR(PROMC_VERSION_MAJOR)                                                                \
    "." PROMC__STR(PROMC_VERSION_MINOR) "." PROMC__STR(PROMC_VERSION_PATCH)
/* 20000 for 2.0.0: compare with >= in #if. */
#define PROMC_VERSION_NUMBER                                                                       \
    (PROMC_VERSION_MAJOR * 10000 + PROMC_VERSION_MINOR * 100 + PROMC_VERSION_PATCH)
/* The version of the library linked in (PROMC_VERSION is the header's). Never NULL. */
PROMC_API const char *promc_version(void);

/* ---- Errors ------------------------------------------------------------------------------ */

enum {
    PROMC_OK = 0,
    PROMC_EINVAL = -1,    /* invalid argument: name, label, value or bucket layout */
    PROMC_ENOMEM = -2,    /* allocation failed */
    PROMC_EEXIST = -3,    /* the name, or a series name it exposes, is taken by another metric */
    PROMC_ENOTFOUND = -4, /* no such metric or child */
    PROMC_EIO = -5,       /* reading /proc, sockets or HTTP failed */
    PROMC_ESTATE = -6,    /* call not valid in this state (e.g. inc on a labelled parent) */
};

/* Short English description of a PROMC_E* code. Never NULL. */
PROMC_API const char *promc_strerror(int code);
/* Code and message of the last failure on this thread ("" when none). */
PROMC_API int promc_last_error(void);
PROMC_API const char *promc_last_error_message(void);

/* ---- Registries -------------------------------------------------------------------------- */

typedef struct promc_registry promc_registry;

/* The process-wide default registry; created on first use, lives until exit. */
PROMC_API promc_registry *promc_registry_default(void);
/* A new empty registry; NULL on allocation failure. Free with promc_registry_free(). */
PROMC_API promc_registry *promc_registry_new(void);
/* Frees the registry and every metric and collector in it. Not for the default registry. */
PROMC_API void promc_registry_free(promc_registry *reg);
/* UTF-8 names, opt-in. allow non-zero lets metric and label names outside the legacy character
 * set ([a-zA-Z_:][a-zA-Z0-9_:]* for metrics, [a-zA-Z_][a-zA-Z0-9_]* for labels) register in reg
 * (NULL: the default registry), and collectors emit them: any non-empty well-formed UTF-8 not
 * starting with "__". Without it (the default) such names fail with PROMC_EINVAL, and the message
 * says this call allows them. Scrapes write them as the scraper negotiated (promc_escaping):
 * quoted under allow-utf-8, escaped otherwise -- so two names that escape alike ("a.b", "a_b")
 * show as one name to a scraper that does not allow UTF-8: avoid such pairs. Turning it off
 * later refuses new such names and keeps the registered ones. 0 or PROMC_ENOMEM. */
PROMC_API int promc_registry_set_utf8_names(promc_registry *reg, int allow);
/* Removes the metric family called name; PROMC_ENOTFOUND when there is none. Its handles stay
 * valid until the registry is freed. */
PROMC_API int promc_registry_unregister(promc_registry *reg, const char *name);

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

/* Any of the six handles above, as the calls that work on every type take it. Pass the typed
 * handle: the macros below convert it, and refuse anything else at compile time. */
typedef struct promc_metric promc_metric;
#ifdef __cplusplus
#define promc__metric_of(m) ((promc_metric *)(m))
#else
/* (clang-format cannot lay out _Generic associations) */
/* clang-format off */
#define promc__metric_of(m)                                                                        \
    _Generic((m),                                                                                  \
        promc_counter *: (promc_metric *)(m),                                                      \
        promc_gauge *: (promc_metric *)(m),                                                        \
        promc_histogram *: (promc_metric *)(m),                                                    \
        promc_summary *: (promc_metric *)(m),                                                      \
        promc_info *: (promc_metric *)(m),                                                         \
        promc_enum *: (promc_metric *)(m),                                                         \
        promc_metric *: (promc_metric *)(m))
/* clang-format on */
#endif

/* At most this many label names per metric (registration fails with PROMC_EINVAL beyond). */
#define PROMC_MAX_LABELS 16

/* A NULL-terminated list of label names or values, built inline. */
#define PROMC_LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Registration is get-or-create: registering the same name, type, help, unit and label names
 * (and buckets or quantiles) again returns the existing metric. reg NULL means the default
 * registry; labels NULL means none. Failures:
 *  - PROMC_EINVAL: a name or label name the exposition spec does not allow, a "__" prefix,
 *    "le" on histograms, "quantile" on summaries, more than PROMC_MAX_LABELS label names, or
 *    an invalid layout (buckets, quantiles, window, states);
 *  - PROMC_EEXIST: the name is registered with another type, help, labels or layout, or one
 *    of the series names the metric exposes collides with another metric's (a gauge foo_count
 *    beside a histogram foo, a gauge c1_total beside a counter c1). */
PROMC_API promc_counter *promc_counter_new(promc_registry *reg, const char *name, const char *help,
                                           const char *const *labels);
PROMC_API promc_gauge *promc_gauge_new(promc_registry *reg, const char *name, const char *help,
                                       const char *const *labels);
/* buckets: strictly increasing upper bounds, +Inf implied; NULL/0 means client_python's
 * defaults (.005 .01 .025 .05 .075 .1 .25 .5 .75 1 2.5 5 7.5 10).
 * The first bound decides, once for the family, what it accepts and shows (OpenMetrics says a
 * histogram _sum is a counter, and forbids it beside negative buckets):
 *  - first bound >= 0: observations must be >= 0 (a negative one fails with PROMC_EINVAL and
 *    changes nothing), and both formats always carry _count and _sum;
 *  - first bound < 0: any value is accepted; OpenMetrics never carries _count and _sum (the
 *    +Inf bucket is the count), the 0.0.4 format always does. */
PROMC_API promc_histogram *promc_histogram_new(promc_registry *reg, const char *name,
                                               const char *help, const char *const *labels,
                                               const double *buckets, size_t nbuckets);

/* A histogram with native (sparse exponential) buckets, classic buckets, or both, with
 * client_golang's knobs (HistogramOpts.NativeHistogram*). Zero-initialise and set what you need:
 *   bucket_factor > 1: native buckets, each at most this factor wider than the last (the
 *     schema is the largest n in -4..8 with 2^(2^-n) <= factor, as client_golang picks it;
 *     1.1 gives schema 3). promc_histogram_schema_factor(n) asks for schema n itself.
 *     0: classic buckets only (the rest of the native fields must be 0).
 *   buckets, n_buckets: classic bounds, as promc_histogram_new. With native buckets, NULL/0
 *     means none (native only, as client_golang); without, the defaults.
 *   zero_threshold: |v| <= it counts in the zero bucket; 0 means 2^-128 (client_golang's
 *     default), negative means exactly 0.
 *   max_buckets: when a scrape finds more native buckets than this, the exposition first
 *     resets (if min_reset_duration_ms has passed since the last reset), else widens the zero
 *     bucket (up to max_zero_threshold), else halves the resolution, until they fit; 0: no
 *     limit. Like client_golang, a limit that changed the resolution or zero bucket stays until
 *     a reset.
 * The hot path is as for classic histograms: no lock, no allocation once a thread has touched
 * the bucket range of a value, per-thread shards summed at scrape. NaN is counted (in _count,
 * the +Inf bucket and a NaN _sum, not in a native bucket), and negative values are accepted,
 * as client_golang does; the text formats show the classic half (a native-only histogram
 * shows its +Inf bucket, _count and _sum), the protobuf format both. */
typedef struct promc_histogram_opts {
    const double *buckets;
    size_t n_buckets;
    double bucket_factor;
    double zero_threshold;
    uint32_t max_buckets;
    double max_zero_threshold;
    uint64_t min_reset_duration_ms;
} promc_histogram_opts;
PROMC_API promc_histogram *promc_histogram_new_opts(promc_registry *reg, const char *name,
                                                    const char *help, const char *const *labels,
                                                    const promc_histogram_opts *opts);
/* The smallest bucket_factor that gives native schema n (-4..8); NaN outside that range. */
PROMC_API double promc_histogram_schema_factor(int schema);

/* A quantile to estimate, with its allowed rank error (0.5 +/- 0.05 and so on). */
typedef struct promc_quantile {
    double quantile;
    double error;
} promc_quantile;

/* Summary with quantiles over a sliding window of max_age seconds, kept in age_buckets
 * rotating streams (CKMS targeted quantiles). nquantiles 0 exports only _count and _sum.
 * max_age <= 0 means 600 s and age_buckets <= 0 means 5, as client_golang. PROMC_EINVAL
 * unless: 0 <= quantile <= 1, strictly increasing; 0 < error < 1; at most 32 quantiles;
 * max_age finite; max_age / age_buckets >= 1 ms. */
PROMC_API promc_summary *promc_summary_new(promc_registry *reg, const char *name, const char *help,
                                           const char *const *labels,
                                           const promc_quantile *quantiles, size_t nquantiles,
                                           double max_age, int age_buckets);
/* Info metric: exported as name_info{...} 1. Set its values with promc_info_set(). */
PROMC_API promc_info *promc_info_new(promc_registry *reg, const char *name, const char *help,
                                     const char *const *labels);
/* Enum (OpenMetrics stateset): one series per state, 1 for the current one. The state label
 * is named after the metric, as client_python does. states: NULL-terminated, at least one. */
PROMC_API promc_enum *promc_enum_new(promc_registry *reg, const char *name, const char *help,
                                     const char *const *labels, const char *const *states);

/* Sets the unit (OpenMetrics "# UNIT"); the name must end with "_<unit>". Counters, gauges,
 * histograms and summaries only (OpenMetrics allows no unit on info and stateset metrics):
 * PROMC_EINVAL otherwise. PROMC_EEXIST if another unit is set. Before first use. */
PROMC_API int(promc_set_unit)(promc_metric *metric, const char *unit);
#define promc_set_unit(metric, unit) (promc_set_unit)(promc__metric_of(metric), (unit))

/* ---- Label children ---------------------------------------------------------------------- */
/* promc_<type>_labels(metric, "v1", "v2", ...) returns the child for these label values,
 * creating it on first use. The child is a handle of the same type, usable with the same
 * calls, and may be cached. Looking up an existing child hashes the values without allocating
 * or locking. The values are counted at compile time (the macros pass them as an array with
 * its length to promc_<type>_labelsn): a count other than the metric's number of label names
 * fails with PROMC_EINVAL and a message naming the metric and both counts, and a value that is
 * not a string does not compile (-Wint-conversion). NULL on failure (also: a NULL value,
 * invalid UTF-8, a metric of another type or without labels). */
#define PROMC__VALUES(...)  ((const char *const[]){__VA_ARGS__})
#define PROMC__NVALUES(...) (sizeof(PROMC__VALUES(__VA_ARGS__)) / sizeof(const char *))
#define promc_counter_labels(c, ...)                                                               \
    promc_counter_labelsn((c), PROMC__NVALUES(__VA_ARGS__), PROMC__VALUES(__VA_ARGS__))
#define promc_gauge_labels(g, ...)                                                                 \
    promc_gauge_labelsn((g), PROMC__NVALUES(__VA_ARGS__), PROMC__VALUES(__VA_ARGS__))
#define promc_histogram_labels(h, ...)                                                             \
    promc_histogram_labelsn((h), PROMC__NVALUES(__VA_ARGS__), PROMC__VALUES(__VA_ARGS__))
#define promc_summary_labels(s, ...)                                                               \
    promc_summary_labelsn((s), PROMC__NVALUES(__VA_ARGS__), PROMC__VALUES(__VA_ARGS__))
#define promc_enum_labels(e, ...)                                                                  \
    promc_enum_labelsn((e), PROMC__NVALUES(__VA_ARGS__), PROMC__VALUES(__VA_ARGS__))
/* n values from an array (what the macros call). */
PROMC_API promc_counter *promc_counter_labelsn(promc_counter *c, size_t n,
                                               const char *const *values);
PROMC_API promc_gauge *promc_gauge_labelsn(promc_gauge *g, size_t n, const char *const *values);
PROMC_API promc_histogram *promc_histogram_labelsn(promc_histogram *h, size_t n,
                                                   const char *const *values);
PROMC_API promc_summary *promc_summary_labelsn(promc_summary *s, size_t n,
                                               const char *const *values);
PROMC_API promc_enum *promc_enum_labelsn(promc_enum *e, size_t n, const char *const *values);
/* The same with an array of exactly as many values as label names (not counted: a shorter
 * array is caught only when it is NULL-terminated, a longer one not at all). */
PROMC_API promc_counter *promc_counter_labelsv(promc_counter *c, const char *const *values);
PROMC_API promc_gauge *promc_gauge_labelsv(promc_gauge *g, const char *const *values);
PROMC_API promc_histogram *promc_histogram_labelsv(promc_histogram *h, const char *const *values);
PROMC_API promc_summary *promc_summary_labelsv(promc_summary *s, const char *const *values);
PROMC_API promc_enum *promc_enum_labelsv(promc_enum *e, const char *const *values);

/* Removes one child (values as for labelsv) or all children of a labelled metric. Any of the
 * six handle types; pass the parent handle. The child's handles become stale (a safe no-op,
 * see "Series lifecycle") and its memory is reused once no thread can reach it. */
PROMC_API int(promc_remove)(promc_metric *metric, const char *const *values);
PROMC_API int(promc_clear)(promc_metric *metric);
#define promc_remove(metric, values) (promc_remove)(promc__metric_of(metric), (values))
#define promc_clear(metric)          (promc_clear)(promc__metric_of(metric))

/* ---- Updates ----------------------------------------------------------------------------- */
/* Each returns 0, PROMC_EINVAL for a bad value, PROMC_ESTATE when called on the parent of a
 * labelled metric (use labels() first), or PROMC_ENOTFOUND when the handle is stale (its child
 * was removed). A failed update changes nothing. The *_value() and *_snapshot() reads of a
 * stale handle give 0 / PROMC_ENOTFOUND. */

PROMC_API int promc_counter_inc(promc_counter *c);
PROMC_API int promc_counter_add(promc_counter *c, double v); /* v >= 0 */
/* Adds v and keeps an exemplar (OpenMetrics only): labels are name/value pairs, NULL-ended,
 * at most 128 characters in all. Invalid exemplar labels fail with PROMC_EINVAL before v is
 * added. */
PROMC_API int promc_counter_add_exemplar(promc_counter *c, double v,
                                         const char *const *exemplar_labels);
PROMC_API double promc_counter_value(promc_counter *c);

PROMC_API int promc_gauge_set(promc_gauge *g, double v);
PROMC_API int promc_gauge_inc(promc_gauge *g);
PROMC_API int promc_gauge_dec(promc_gauge *g);
PROMC_API int promc_gauge_add(promc_gauge *g, double v);
PROMC_API int promc_gauge_sub(promc_gauge *g, double v);
PROMC_API int promc_gauge_set_to_current_time(promc_gauge *g);
PROMC_API double promc_gauge_value(promc_gauge *g);

/* v must not be NaN, nor negative when the first bucket bound is >= 0 (see _new), unless the
 * histogram has native buckets (see _new_opts). */
PROMC_API int promc_histogram_observe(promc_histogram *h, double v);
/* As promc_histogram_observe, keeping an exemplar on v's bucket (as for counters). */
PROMC_API int promc_histogram_observe_exemplar(promc_histogram *h, double v,
                                               const char *const *exemplar_labels);
/* Snapshot: cumulative bucket counts into counts[nbuckets+1] (last is +Inf), sum and count. */
PROMC_API int promc_histogram_snapshot(promc_histogram *h, uint64_t *counts, size_t ncounts,
                                       double *sum, uint64_t *count);

PROMC_API int promc_summary_observe(promc_summary *s, double v);
/* Current estimates of the configured quantiles into values[n], plus sum and count. */
PROMC_API int promc_summary_snapshot(promc_summary *s, double *values, size_t n, double *sum,
                                     uint64_t *count);

/* Replaces the info metric's label values. A scrape sees the old or the new series, never both
 * nor neither; the old child is reclaimed. */
PROMC_API int promc_info_set(promc_info *i, const char *const *values);
/* Sets the current state by index or by name. */
PROMC_API int promc_enum_set(promc_enum *e, size_t state);
PROMC_API int promc_enum_set_name(promc_enum *e, const char *state);

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
PROMC_API int(promc_set_ttl)(promc_metric *metric, double seconds);
#define promc_set_ttl(metric, seconds) (promc_set_ttl)(promc__metric_of(metric), (seconds))

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
PROMC_API int(promc_set_limit)(promc_metric *metric, size_t max_series, int mode);
#define promc_set_limit(metric, max_series, mode)                                                  \
    (promc_set_limit)(promc__metric_of(metric), (max_series), (mode))

/* The counters of what was dropped are exported by promc_render with the registry's families,
 * in both formats, as counters with one label, family (the OpenMetrics family name):
 *   promc_series_expired_total   children a TTL expired (families with a TTL)
 *   promc_series_overflow_total  labels() calls refused or redirected by a limit (families
 *                                with a limit)
 * Each family of the pair appears once some family of the registry has a TTL / a limit; a
 * registered metric of the same name takes precedence. */

/* ---- Buckets ----------------------------------------------------------------------------- */

PROMC_API extern const double promc_default_buckets[14];
/* Fill out[count] with start, start+width, ...; 0 or PROMC_EINVAL. */
PROMC_API int promc_buckets_linear(double start, double width, size_t count, double *out);
/* Fill out[count] with start, start*factor, ...; start > 0, factor > 1. */
PROMC_API int promc_buckets_exponential(double start, double factor, size_t count, double *out);

/* ---- Collectors -------------------------------------------------------------------------- */
/* A collector is a callback that produces metric families at scrape time, for values read on
 * demand. Inside it, call promc_collect_family() then promc_collect_sample() per series. */

typedef struct promc_collect_ctx promc_collect_ctx;
typedef int (*promc_collect_fn)(promc_collect_ctx *ctx, void *userdata);

/* Registers a collector under a name unique in the registry. userdata is kept, not owned.
 * Collectors run during scrapes with the registry locked: a collector must not register or
 * unregister metrics or collectors in its own registry. */
PROMC_API int promc_collector_register(promc_registry *reg, const char *collector_name,
                                       promc_collect_fn fn, void *userdata);
/* PROMC_ENOTFOUND when no collector has that name. */
PROMC_API int promc_collector_unregister(promc_registry *reg, const char *collector_name);
/* Starts a family of type COUNTER, GAUGE, INFO or UNTYPED with these label names. A family
 * whose name (or a series name) is already taken in this scrape -- by a registered metric or
 * by a family a collector emitted before -- is skipped: PROMC_EEXIST, its samples are refused
 * (PROMC_ESTATE) and left out of the exposition, and the first time a collector does this a
 * line on stderr names it. */
PROMC_API int promc_collect_family(promc_collect_ctx *ctx, const char *name, const char *help,
                                   promc_type type, const char *const *labels);
/* One series of the current family: label values as many as its label names. */
PROMC_API int promc_collect_sample(promc_collect_ctx *ctx, const char *const *values, double value);

/* Registers the process collector (process_cpu_seconds_total, process_open_fds, ... read from
 * /proc) and promc_build_info{version,compiler} in reg. Get-or-create: safe to call twice. */
PROMC_API int promc_register_default_collectors(promc_registry *reg);

/* ---- Exposition -------------------------------------------------------------------------- */

typedef enum promc_format {
    PROMC_FORMAT_TEXT,        /* text/plain; version=0.0.4 */
    PROMC_FORMAT_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
    /* application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
     * encoding=delimited: what Prometheus needs to scrape native histograms */
    PROMC_FORMAT_PROTOBUF,
    PROMC_FORMAT_TEXT_1_0_0, /* text/plain; version=1.0.0: 0.0.4's lines, UTF-8 names allowed */
} promc_format;

/* How names outside the legacy character set ([a-zA-Z_:][a-zA-Z0-9_:]*, see
 * promc_registry_set_utf8_names) are written, as Prometheus' escaping schemes define them (the
 * escaping= parameter of Accept and Content-Type):
 *  - UNDERSCORES: every other character becomes '_' ("my.metric" -> "my_metric"); the default;
 *  - ALLOW_UTF8: names as they are, quoted in the text formats where they need it
 *    (`{"my.metric",a="x"} 1`, `"label.name"="v"`);
 *  - DOTS: '.' -> "_dot_", '_' -> "__", others "__" (legacy names change too: "a_b" -> "a__b");
 *  - VALUES: "U__" then each other character as _<hex code point>_ ("my.metric" ->
 *    "U__my_2e_metric"). Legacy names are never changed by UNDERSCORES, ALLOW_UTF8 or VALUES. */
typedef enum promc_escaping {
    PROMC_ESCAPING_UNDERSCORES,
    PROMC_ESCAPING_ALLOW_UTF8,
    PROMC_ESCAPING_DOTS,
    PROMC_ESCAPING_VALUES,
} promc_escaping;

/* Picks PROMC_FORMAT_TEXT or PROMC_FORMAT_OPENMETRICS for an Accept header, honouring q-values;
 * NULL means text. Never protobuf nor text 1.0.0 (promc 2.0's contract): servers that can send
 * every format use promc_negotiate_accept. */
PROMC_API promc_format promc_negotiate(const char *accept);
/* The exact Content-Type header value for a format, without an escaping parameter. */
PROMC_API const char *promc_content_type(promc_format fmt);
/* Prometheus 3 negotiation: the format (any of the four) and the escaping an Accept header asks
 * for, as prometheus/common's expfmt.Negotiate does: the media range with the highest q wins,
 * ties going to the more specific then the earlier one; protobuf needs proto=
 * io.prometheus.client.MetricFamily and encoding=delimited; ranges promc cannot serve and q=0
 * are skipped; escaping= of the winning range, underscores when it has none. NULL, empty or
 * nothing servable: text 0.0.4, underscores. escaping may be NULL. */
PROMC_API promc_format promc_negotiate_accept(const char *accept, promc_escaping *escaping);
/* The Content-Type for a format and escaping, e.g. "text/plain; version=1.0.0; charset=utf-8;
 * escaping=allow-utf-8": the version and escaping the body was written with. Static storage. */
PROMC_API const char *promc_content_type_escaped(promc_format fmt, promc_escaping escaping);

/* Renders every family of reg, sorted by name, then its collectors' families, into a malloc'd
 * buffer the caller frees (a NUL follows the len bytes). Names are escaped with
 * PROMC_ESCAPING_UNDERSCORES. 0, PROMC_EINVAL (unknown format) or PROMC_ENOMEM. */
PROMC_API int promc_render(promc_registry *reg, promc_format fmt, char **out, size_t *len);
/* As promc_render, names written as esc says (what the scraper negotiated). */
PROMC_API int promc_render_escaped(promc_registry *reg, promc_format fmt, promc_escaping esc,
                                   char **out, size_t *len);

/* ---- Timing helpers ---------------------------------------------------------------------- */
/* C counterparts of client_python's decorators and context managers. */

/* Monotonic clock in seconds. */
PROMC_API double promc_now(void);

/* Observe a block's duration (seconds) into a histogram or summary, or track it in progress
 * with a gauge. Usage: PROMC_TIME_HISTOGRAM(h) { ...block... }   Leaving the block with
 * break/return/goto skips the observation; for early returns use the PROMC_SCOPE_* forms,
 * which act when the enclosing scope ends (GCC/Clang cleanup attribute). One per line. */
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
/* No start time here: a variable nothing reads would fail users' -Werror builds. */
#define PROMC_TRACK_INPROGRESS(g)                                                                  \
    for (int PROMC__CAT(promc__o, __LINE__) = (promc_gauge_inc(g), 1);                             \
         PROMC__CAT(promc__o, __LINE__);                                                           \
         PROMC__CAT(promc__o, __LINE__) = 0, (void)promc_gauge_dec(g))

/* Scope forms: the observation happens when the enclosing scope exits, however it exits. */
typedef struct promc_scope {
    double start;
    void *metric;
    int kind;
} promc_scope;
/* What the PROMC_SCOPE_* cleanups call; not for direct use. */
PROMC_API void promc_scope_end(promc_scope *s);
#define PROMC__SCOPE(kind, m)                                                                      \
    promc_scope PROMC__CAT(promc__scope, __LINE__)                                                 \
        __attribute__((cleanup(promc_scope_end))) = {promc_now(), (void *)(m), (kind)};            \
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
