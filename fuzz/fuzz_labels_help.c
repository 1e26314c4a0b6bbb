/* fuzz_labels_help.c -- libFuzzer target: help strings and label values through promc_render
 * and back through an independent parser (exposition_parse.c).
 *
 * An input is a 17-byte header (a control byte, a double for the values, a double for a bucket
 * bound) followed by up to five NUL-separated strings: the help, three label values and an
 * exemplar label value, all arbitrary bytes. The target registers a gauge, a counter and a
 * histogram with that help and 1-3 labels in a fresh registry, creates the child for those
 * values and updates it. promc must reject exactly the invalid UTF-8 (judged by our own check);
 * whatever it accepts is rendered in both formats, parsed back strictly, and every help string,
 * label value, exemplar label and sample value must come back byte for byte (bit for bit).
 * Any difference aborts, which is what libFuzzer reports as a crash.
 */
#include "exposition_parse.h"
#include "fuzz_target.h"

#include <promc.h>

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fuzz_stats fuzz_stats_total;
const char *fuzz_input_name;

enum { F_HELP, F_V0, F_V1, F_V2, F_EXEMPLAR, NFIELDS };
#define HEADER_SIZE 17
#define MAX_GAUGES  2

/* Control byte bits. */
#define C_UNIT          0x04 /* set the gauge's unit (OpenMetrics "# UNIT") */
#define C_CUSTOM_BUCKET 0x08 /* one bucket bound from the header instead of the defaults */
#define C_SECOND_CHILD  0x10 /* a second gauge child, with the values rotated */
#define C_EXEMPLAR      0x20 /* updates carry an exemplar {trace_id="<field 4>"} */
#define C_REREGISTER    0x40 /* get-or-create with the same help; conflict with another help */
#define C_REMOVE        0x80 /* remove the second gauge child again */

static const char *const label_names[] = {"l0", "l1", "l2"};

/* One input, decoded. */
typedef struct fuzz_case {
    unsigned ctl;
    double value, bound;
    char *field[NFIELDS];
    size_t len[NFIELDS];
    size_t nlabels;
} fuzz_case;

/* A gauge series we expect to find. */
typedef struct want_series {
    const char *values[3];
    size_t lens[3];
    double value;
} want_series;

#define MAX_STATES (3 + 1)

/* Everything the rendered output must show. */
typedef struct expect {
    bool families; /* the help was accepted: gauge, counter, histogram, info (and enum) */
    bool children; /* the label values were accepted */
    bool unit;     /* the gauge has unit "bytes" */
    want_series gauges[MAX_GAUGES];
    size_t ngauges;
    double counter;          /* counter child's value */
    bool exemplar;           /* the counter's exemplar was accepted */
    bool hist_exemplar;      /* the histogram's exemplar was accepted */
    double exemplar_counter; /* value of the counter's exemplar */
    const double *bounds;    /* histogram bucket bounds */
    size_t nbounds;
    bool observed; /* the histogram got one observation: value */
    bool info;     /* the info child holds info_values */
    want_series info_values;
    bool enum_ok; /* the enum's states were accepted */
    const char *states[MAX_STATES];
    size_t state_lens[MAX_STATES], nstates, state;
} expect;

/* ---- Failing loudly ---------------------------------------------------------------------- */

static const uint8_t *cur_data;
static size_t cur_size;
static const char *cur_output;
static size_t cur_output_len;

static void dump_bytes(const char *what, const void *p, size_t n) {
    const unsigned char *s = p;
    fprintf(stderr, "%s (%zu bytes): \"", what, n);
    for (size_t i = 0; i < n && i < 4096; i++) {
        if (s[i] == '\\' || s[i] == '"')
            fprintf(stderr, "\\%c", s[i]);
        else if (s[i] >= 0x20 && s[i] < 0x7f)
            fputc(s[i], stderr);
        else if (s[i] == '\n')
            fputs("\\n\"\n  \"", stderr);
        else
            fprintf(stderr, "\\x%02x", s[i]);
    }
    fputs(n > 4096 ? "\"...\n" : "\"\n", stderr);
}

static void fuzz_fail(int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
static void fuzz_fail(int line, const char *fmt, ...) {
    fprintf(stderr, "fuzz_labels_help.c:%d: ", line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\ninput: %s\n", fuzz_input_name ? fuzz_input_name : "(libFuzzer)");
    dump_bytes("input bytes", cur_data, cur_size);
    if (cur_output)
        dump_bytes("rendered", cur_output, cur_output_len);
    abort();
}

#define REQUIRE(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__LINE__, "REQUIRE(" #cond ") failed: " __VA_ARGS__);                        \
    } while (0)

/* ---- Input ------------------------------------------------------------------------------- */

static void decode(const uint8_t *data, size_t size, fuzz_case *fc) {
    uint8_t hdr[HEADER_SIZE] = {0};
    memcpy(hdr, data, size < HEADER_SIZE ? size : HEADER_SIZE);
    *fc = (fuzz_case){.ctl = hdr[0]};
    memcpy(&fc->value, hdr + 1, sizeof fc->value);
    memcpy(&fc->bound, hdr + 9, sizeof fc->bound);
    fc->nlabels = 1 + (hdr[0] & 3) % 3;
    const uint8_t *p = size > HEADER_SIZE ? data + HEADER_SIZE : data + size;
    const uint8_t *end = data + size;
    for (int i = 0; i < NFIELDS; i++) {
        const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
        size_t n = (size_t)((nul ? nul : end) - p);
        fc->field[i] = malloc(n + 1);
        REQUIRE(fc->field[i], "out of memory");
        memcpy(fc->field[i], p, n);
        fc->field[i][n] = '\0';
        fc->len[i] = n;
        p = nul ? nul + 1 : end;
    }
}

static bool same_double(double a, double b) {
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0; /* bit for bit: -0 stays -0 */
}

static bool str_is(const expo_str *s, const char *p, size_t n) {
    return s && s->len == n && memcmp(s->data, p, n) == 0;
}

/* ---- Checking the parsed output ---------------------------------------------------------- */

/* The sample's labels are exactly l0..l(n-1) with the wanted values, plus extra if given. */
static bool labels_are(const expo_labelset *set, const fuzz_case *fc, const char *const *values,
                       const size_t *lens, const char *extra) {
    if (set->n != fc->nlabels + (extra != NULL))
        return false;
    for (size_t i = 0; i < fc->nlabels; i++)
        if (!str_is(expo_label_value(set, label_names[i]), values[i], lens[i]))
            return false;
    return !extra || expo_label_value(set, extra);
}

static void check_family(const expo_family *f, const char *type, const fuzz_case *fc) {
    REQUIRE(strcmp(f->type, type) == 0, "%s has type %s, want %s", f->name.data, f->type, type);
    if (fc->len[F_HELP] > 0)
        REQUIRE(f->has_help, "%s lost its HELP", f->name.data);
    REQUIRE(str_is(&f->help, fc->field[F_HELP], fc->len[F_HELP]), "%s: HELP came back different",
            f->name.data);
}

static void check_exemplar(const expo_sample *s, const fuzz_case *fc, double value) {
    REQUIRE(s->exemplar_labels.n == 1, "exemplar label count");
    REQUIRE(str_is(expo_label_value(&s->exemplar_labels, "trace_id"), fc->field[F_EXEMPLAR],
                   fc->len[F_EXEMPLAR]),
            "exemplar label value came back different");
    REQUIRE(same_double(s->exemplar_value, value), "exemplar value %.17g, want %.17g",
            s->exemplar_value, value);
    REQUIRE(s->exemplar_has_timestamp && s->exemplar_timestamp > 0, "exemplar timestamp");
}

static void check_gauge(const expo_doc *doc, expo_format fmt, const fuzz_case *fc,
                        const expect *e) {
    const expo_family *f = expo_find_family(doc, "fz_gauge_bytes");
    REQUIRE(f, "no fz_gauge_bytes family");
    check_family(f, "gauge", fc);
    bool unit = fmt == EXPO_OPENMETRICS && e->unit;
    REQUIRE(f->has_unit == unit && (!unit || strcmp(f->unit.data, "bytes") == 0), "gauge unit");
    REQUIRE(f->nsamples == e->ngauges, "%zu gauge series, want %zu", f->nsamples, e->ngauges);
    for (size_t k = 0; k < e->ngauges; k++) {
        const want_series *w = &e->gauges[k];
        size_t found = 0;
        for (size_t i = 0; i < f->nsamples; i++) {
            const expo_sample *s = &doc->samples[f->first_sample + i];
            REQUIRE(strcmp(s->name.data, "fz_gauge_bytes") == 0 && !s->has_timestamp &&
                        !s->has_exemplar,
                    "gauge sample %s", s->name.data);
            if (labels_are(&s->labels, fc, w->values, w->lens, NULL)) {
                REQUIRE(same_double(s->value, w->value), "gauge value %.17g, want %.17g", s->value,
                        w->value);
                found++;
            }
        }
        REQUIRE(found == 1, "gauge series %zu found %zu times", k, found);
    }
}

static void check_counter(const expo_doc *doc, expo_format fmt, const fuzz_case *fc,
                          const expect *e) {
    bool om = fmt == EXPO_OPENMETRICS;
    /* 0.0.4 names the counter family after its series, as client_python does. */
    const expo_family *f = expo_find_family(doc, om ? "fz_counter" : "fz_counter_total");
    REQUIRE(f, "no counter family");
    check_family(f, "counter", fc);
    REQUIRE(f->nsamples == (e->children ? (om ? 2u : 1u) : 0u), "%zu counter samples", f->nsamples);
    for (size_t i = 0; i < f->nsamples; i++) {
        const expo_sample *s = &doc->samples[f->first_sample + i];
        REQUIRE(
            labels_are(&s->labels, fc, (const char *const *)fc->field + F_V0, fc->len + F_V0, NULL),
            "counter %s: labels came back different", s->name.data);
        REQUIRE(!s->has_timestamp, "counter timestamp");
        if (strcmp(s->name.data, "fz_counter_total") == 0) {
            REQUIRE(same_double(s->value, e->counter), "counter %.17g, want %.17g", s->value,
                    e->counter);
            REQUIRE(s->has_exemplar == (om && e->exemplar), "counter exemplar presence");
            if (s->has_exemplar)
                check_exemplar(s, fc, e->exemplar_counter);
        } else {
            REQUIRE(om && strcmp(s->name.data, "fz_counter_created") == 0, "%s", s->name.data);
            REQUIRE(isfinite(s->value) && s->value > 0, "counter _created %.17g", s->value);
        }
    }
}

/* One histogram sample, in the order promc writes them: buckets, _count, _sum, _created. */
static void check_histogram_sample(const expo_sample *s, size_t idx, const fuzz_case *fc,
                                   const expect *e, bool om, bool has_sum) {
    const char *const *values = (const char *const *)fc->field + F_V0;
    double v = fc->value;
    size_t nb = e->nbounds;
    if (idx <= nb) {
        REQUIRE(strcmp(s->name.data, "fz_hist_bucket") == 0, "%s at %zu", s->name.data, idx);
        REQUIRE(labels_are(&s->labels, fc, values, fc->len + F_V0, "le"), "bucket labels");
        double le = strtod(expo_label_value(&s->labels, "le")->data, NULL);
        double bound = idx < nb ? e->bounds[idx] : INFINITY;
        REQUIRE(le == bound, "bucket %zu: le %.17g, want %.17g", idx, le, bound);
        double want = e->observed && v <= bound ? 1 : 0;
        REQUIRE(s->value == want, "bucket le=%.17g holds %.17g, want %.17g", le, s->value, want);
        /* The exemplar sits on the bucket the observation went to: the first bound >= v. */
        bool here =
            om && e->hist_exemplar && v <= bound && (idx == 0 || !(v <= e->bounds[idx - 1]));
        REQUIRE(s->has_exemplar == here, "bucket %zu exemplar presence", idx);
        if (here)
            check_exemplar(s, fc, v);
        return;
    }
    const char *name = s->name.data;
    REQUIRE(labels_are(&s->labels, fc, values, fc->len + F_V0, NULL), "%s labels", name);
    REQUIRE(!s->has_exemplar, "%s has an exemplar", name);
    if (has_sum && idx == nb + 1) {
        REQUIRE(strcmp(name, "fz_hist_count") == 0 && s->value == (e->observed ? 1 : 0),
                "%s = %.17g at %zu", name, s->value, idx);
    } else if (has_sum && idx == nb + 2) {
        double sum = e->observed ? 0.0 + v : 0.0;
        REQUIRE(strcmp(name, "fz_hist_sum") == 0 && same_double(s->value, sum),
                "%s = %.17g, want %.17g", name, s->value, sum);
    } else {
        REQUIRE(om && strcmp(name, "fz_hist_created") == 0 && s->value > 0, "%s", name);
    }
}

static void check_histogram(const expo_doc *doc, expo_format fmt, const fuzz_case *fc,
                            const expect *e) {
    bool om = fmt == EXPO_OPENMETRICS;
    const expo_family *f = expo_find_family(doc, "fz_hist");
    REQUIRE(f, "no fz_hist family");
    check_family(f, "histogram", fc);
    /* OpenMetrics: _sum is a counter there, so a histogram with a negative bucket bound has
     * none, and _count goes with _sum; decided by the layout, never by the data. */
    bool has_sum = !om || e->nbounds == 0 || !(e->bounds[0] < 0);
    size_t want = e->children ? e->nbounds + 1 + (has_sum ? 2 : 0) + (om ? 1 : 0) : 0;
    REQUIRE(f->nsamples == want, "%zu histogram samples, want %zu", f->nsamples, want);
    for (size_t i = 0; i < f->nsamples; i++)
        check_histogram_sample(&doc->samples[f->first_sample + i], i, fc, e, om, has_sum);
}

static void check_info(const expo_doc *doc, expo_format fmt, const fuzz_case *fc, const expect *e) {
    bool om = fmt == EXPO_OPENMETRICS;
    const expo_family *f = expo_find_family(doc, om ? "fz_build" : "fz_build_info");
    REQUIRE(f, "no info family");
    check_family(f, om ? "info" : "gauge", fc);
    REQUIRE(f->nsamples == (e->info ? 1u : 0u), "%zu info samples", f->nsamples);
    if (f->nsamples == 1) {
        const expo_sample *s = &doc->samples[f->first_sample];
        REQUIRE(strcmp(s->name.data, "fz_build_info") == 0 && s->value == 1, "info sample %s",
                s->name.data);
        REQUIRE(labels_are(&s->labels, fc, e->info_values.values, e->info_values.lens, NULL),
                "info labels came back different");
    }
}

static void check_enum(const expo_doc *doc, expo_format fmt, const fuzz_case *fc, const expect *e) {
    const expo_family *f = expo_find_family(doc, "fz_enum");
    REQUIRE(!f == !e->enum_ok, "enum family presence");
    if (!f)
        return;
    check_family(f, fmt == EXPO_OPENMETRICS ? "stateset" : "gauge", fc);
    REQUIRE(f->nsamples == (e->children ? e->nstates : 0), "%zu enum samples", f->nsamples);
    for (size_t i = 0; i < f->nsamples; i++) {
        const expo_sample *s = &doc->samples[f->first_sample + i];
        REQUIRE(strcmp(s->name.data, "fz_enum") == 0, "enum sample %s", s->name.data);
        REQUIRE(labels_are(&s->labels, fc, (const char *const *)fc->field + F_V0, fc->len + F_V0,
                           "fz_enum"),
                "enum labels came back different");
        REQUIRE(str_is(expo_label_value(&s->labels, "fz_enum"), e->states[i], e->state_lens[i]),
                "enum state %zu came back different", i);
        REQUIRE(s->value == (i == e->state ? 1 : 0), "enum state %zu = %.17g", i, s->value);
    }
}

static void render_and_check(promc_registry *reg, expo_format efmt, const fuzz_case *fc,
                             const expect *e) {
    promc_format fmt = efmt == EXPO_TEXT ? PROMC_FORMAT_TEXT : PROMC_FORMAT_OPENMETRICS;
    char *out = NULL;
    size_t len = 0;
    REQUIRE(promc_render(reg, fmt, &out, &len) == 0, "render: %s", promc_last_error_message());
    cur_output = out;
    cur_output_len = len;
    fuzz_stats_total.bytes_parsed += len;
    expo_doc doc = {0};
    char err[256];
    if (expo_parse(out, len, efmt, &doc, err, sizeof err) != 0)
        fuzz_fail(__LINE__, "the %s output does not parse: %s",
                  efmt == EXPO_TEXT ? "text 0.0.4" : "OpenMetrics", err);
    size_t want = e->families ? 4u + e->enum_ok : 0u;
    REQUIRE(doc.nfamilies == want, "%zu families, want %zu", doc.nfamilies, want);
    if (e->families) {
        check_gauge(&doc, efmt, fc, e);
        check_counter(&doc, efmt, fc, e);
        check_histogram(&doc, efmt, fc, e);
        check_info(&doc, efmt, fc, e);
        check_enum(&doc, efmt, fc, e);
    }
    expo_doc_free(&doc);
    cur_output = NULL;
    free(out);
}

/* ---- Driving promc ----------------------------------------------------------------------- */

/* err: promc_last_error() right after the call that made handle. */
static void require_rejected(const void *handle, int err, const char *what) {
    REQUIRE(handle == NULL, "%s accepted invalid UTF-8", what);
    REQUIRE(err == PROMC_EINVAL, "%s: error %d, want PROMC_EINVAL", what, err);
}

static bool all_labels_valid(const fuzz_case *fc) {
    for (size_t i = 0; i < fc->nlabels; i++)
        if (!expo_utf8_valid(fc->field[F_V0 + i], fc->len[F_V0 + i]))
            return false;
    return true;
}

/* Second gauge child: the values rotated by one, when that is a different tuple. */
static bool rotated_values(const fuzz_case *fc, want_series *w) {
    bool differs = false;
    for (size_t i = 0; i < fc->nlabels; i++) {
        size_t j = F_V0 + (i + 1) % fc->nlabels;
        w->values[i] = fc->field[j];
        w->lens[i] = fc->len[j];
        differs |= strcmp(w->values[i], fc->field[F_V0 + i]) != 0;
    }
    return differs;
}

static void update_children(promc_gauge *g, promc_counter *c, promc_histogram *h,
                            const fuzz_case *fc, expect *e) {
    const char *const *values = (const char *const *)fc->field + F_V0;
    int err[3];
    promc_gauge *gc = promc_gauge_labelsv(g, values);
    err[0] = promc_last_error();
    promc_counter *cc = promc_counter_labelsv(c, values);
    err[1] = promc_last_error();
    promc_histogram *hc = promc_histogram_labelsv(h, values);
    err[2] = promc_last_error();
    if (!e->children) {
        fuzz_stats_total.labels_rejected++;
        require_rejected(gc, err[0], "gauge labels");
        require_rejected(cc, err[1], "counter labels");
        require_rejected(hc, err[2], "histogram labels");
        return;
    }
    fuzz_stats_total.labels_accepted++;
    REQUIRE(gc && cc && hc, "valid label values rejected: %s", promc_last_error_message());
    REQUIRE(promc_gauge_labelsv(g, values) == gc, "second lookup gave another child");
    double v = fc->value;
    REQUIRE(promc_gauge_set(gc, v) == 0, "gauge set");
    e->gauges[e->ngauges++] = (want_series){
        .values = {values[0], values[1], values[2]},
        .lens = {fc->len[F_V0], fc->len[F_V1], fc->len[F_V2]},
        .value = v,
    };
    want_series w2 = {.value = -v};
    if ((fc->ctl & C_SECOND_CHILD) && rotated_values(fc, &w2)) {
        promc_gauge *g2 = promc_gauge_labelsv(g, w2.values);
        REQUIRE(g2 && g2 != gc && promc_gauge_set(g2, w2.value) == 0, "second gauge child");
        if (fc->ctl & C_REMOVE)
            REQUIRE(promc_remove(g, w2.values) == 0, "remove: %s", promc_last_error_message());
        else
            e->gauges[e->ngauges++] = w2;
    }

    bool valid_v = !isnan(v);
    const char *ex_labels[] = {"trace_id", fc->field[F_EXEMPLAR], NULL};
    bool ex_ok = expo_utf8_valid(fc->field[F_EXEMPLAR], fc->len[F_EXEMPLAR]) &&
                 8 + expo_utf8_runes(fc->field[F_EXEMPLAR], fc->len[F_EXEMPLAR]) <= 128;
    bool with_ex = (fc->ctl & C_EXEMPLAR) != 0;
    int rc_c = with_ex ? promc_counter_add_exemplar(cc, fabs(v), ex_labels)
                       : promc_counter_add(cc, fabs(v));
    int rc_h = with_ex ? promc_histogram_observe_exemplar(hc, v, ex_labels)
                       : promc_histogram_observe(hc, v);
    /* A histogram whose bounds start at >= 0 refuses negative values. */
    bool hist_takes = valid_v && (v >= 0 || (e->nbounds > 0 && e->bounds[0] < 0));
    bool want_ok = valid_v && (!with_ex || ex_ok);
    bool want_h = hist_takes && (!with_ex || ex_ok);
    REQUIRE((rc_c == 0) == want_ok && (rc_h == 0) == want_h,
            "counter rc %d, histogram rc %d for value %.17g (exemplar %d/%d)", rc_c, rc_h, v,
            with_ex, ex_ok);
    if (with_ex && valid_v) {
        if (ex_ok)
            fuzz_stats_total.exemplars_accepted++;
        else
            fuzz_stats_total.exemplars_rejected++;
    }
    /* A call that fails (a rejected exemplar, a value refused) changes nothing. */
    e->counter = want_ok ? fabs(v) : 0;
    e->observed = want_h;
    e->exemplar = with_ex && want_ok;
    e->hist_exemplar = with_ex && want_h;
    e->exemplar_counter = fabs(v);
}

/* The info child: the values, then (with C_SECOND_CHILD) replaced by the rotated ones. */
static void update_info(promc_info *info, const fuzz_case *fc, expect *e) {
    const char *const *values = (const char *const *)fc->field + F_V0;
    int rc = promc_info_set(info, values);
    if (!e->children) {
        REQUIRE(rc == PROMC_EINVAL, "info_set accepted invalid UTF-8 (rc %d)", rc);
        return;
    }
    REQUIRE(rc == 0, "info_set: %s", promc_last_error_message());
    e->info = true;
    e->info_values = e->gauges[0];
    want_series w2;
    if ((fc->ctl & C_SECOND_CHILD) && rotated_values(fc, &w2)) {
        REQUIRE(promc_info_set(info, w2.values) == 0, "info_set again");
        e->info_values = w2;
    }
}

/* Enum states: the label values and the exemplar field; valid when all are valid UTF-8 and
 * distinct. */
static void enum_states(const fuzz_case *fc, expect *e) {
    e->enum_ok = e->families;
    for (size_t i = 0; i <= fc->nlabels; i++) {
        size_t f = i < fc->nlabels ? F_V0 + i : F_EXEMPLAR;
        e->states[i] = fc->field[f];
        e->state_lens[i] = fc->len[f];
        e->enum_ok &= expo_utf8_valid(fc->field[f], fc->len[f]);
        for (size_t j = 0; j < i; j++)
            e->enum_ok &= strcmp(e->states[i], e->states[j]) != 0;
    }
    e->nstates = fc->nlabels + 1;
    e->state = (fc->ctl >> 3) % e->nstates;
}

static void update_enum(promc_enum *en, int en_err, const fuzz_case *fc, const expect *e) {
    if (!e->enum_ok) {
        if (e->families)
            require_rejected(en, en_err, "enum states");
        return;
    }
    REQUIRE(en, "valid enum states rejected: %s", promc_last_error_message());
    promc_enum *child = promc_enum_labelsv(en, (const char *const *)fc->field + F_V0);
    if (!e->children) {
        require_rejected(child, promc_last_error(), "enum labels");
        return;
    }
    REQUIRE(child && promc_enum_set(child, e->state) == 0, "enum child");
}

static bool has_escapes(const fuzz_case *fc) {
    for (int i = 0; i < NFIELDS; i++)
        if (strpbrk(fc->field[i], "\\\"\n"))
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_case fc;
    cur_data = data;
    cur_size = size;
    decode(data, size, &fc);
    fuzz_stats_total.inputs++;
    fuzz_stats_total.escapes_rendered += has_escapes(&fc);

    const char *names[4] = {NULL};
    for (size_t i = 0; i < fc.nlabels; i++)
        names[i] = label_names[i];
    const char *help = fc.field[F_HELP];
    expect e = {.families = expo_utf8_valid(help, fc.len[F_HELP]),
                .children = all_labels_valid(&fc),
                .unit = (fc.ctl & C_UNIT) != 0,
                .bounds = promc_default_buckets,
                .nbounds = sizeof promc_default_buckets / sizeof promc_default_buckets[0]};
    /* A custom bound may be any double but NaN; +Inf is the implied last bucket, so a lone
     * +Inf leaves no explicit bucket at all. */
    if ((fc.ctl & C_CUSTOM_BUCKET) && !isnan(fc.bound)) {
        e.bounds = &fc.bound;
        e.nbounds = fc.bound == INFINITY ? 0 : 1;
    }

    promc_registry *reg = promc_registry_new();
    REQUIRE(reg, "registry");
    int err[5];
    promc_gauge *g = promc_gauge_new(reg, "fz_gauge_bytes", help, names);
    err[0] = promc_last_error();
    promc_counter *c = promc_counter_new(reg, "fz_counter", help, names);
    err[1] = promc_last_error();
    promc_histogram *h = promc_histogram_new(reg, "fz_hist", help, names, e.bounds,
                                             e.bounds == &fc.bound ? 1 : e.nbounds);
    err[2] = promc_last_error();
    promc_info *info = promc_info_new(reg, "fz_build", help, names);
    err[3] = promc_last_error();
    enum_states(&fc, &e);
    const char *states[MAX_STATES + 1] = {NULL};
    memcpy(states, e.states, e.nstates * sizeof states[0]);
    promc_enum *en = promc_enum_new(reg, "fz_enum", help, names, states);
    err[4] = promc_last_error();
    if (!e.families) {
        fuzz_stats_total.help_rejected++;
        require_rejected(g, err[0], "gauge help");
        require_rejected(c, err[1], "counter help");
        require_rejected(h, err[2], "histogram help");
        require_rejected(info, err[3], "info help");
        require_rejected(en, err[4], "enum help");
    } else {
        fuzz_stats_total.help_accepted++;
        REQUIRE(g && c && h && info, "valid help rejected: %s", promc_last_error_message());
        if (e.unit)
            REQUIRE(promc_set_unit(g, "bytes") == 0, "unit: %s", promc_last_error_message());
        if (fc.ctl & C_REREGISTER) {
            REQUIRE(promc_gauge_new(reg, "fz_gauge_bytes", help, names) == g, "get-or-create");
            char *other = malloc(fc.len[F_HELP] + 2);
            REQUIRE(other, "out of memory");
            memcpy(other, help, fc.len[F_HELP]);
            memcpy(other + fc.len[F_HELP], "x", 2);
            REQUIRE(promc_gauge_new(reg, "fz_gauge_bytes", other, names) == NULL &&
                        promc_last_error() == PROMC_EEXIST,
                    "a conflicting help was accepted");
            free(other);
        }
        update_children(g, c, h, &fc, &e);
        update_info(info, &fc, &e);
        update_enum(en, err[4], &fc, &e);
    }

    render_and_check(reg, EXPO_TEXT, &fc, &e);
    render_and_check(reg, EXPO_OPENMETRICS, &fc, &e);

    promc_registry_free(reg);
    for (int i = 0; i < NFIELDS; i++)
        free(fc.field[i]);
    cur_data = NULL;
    return 0;
}
