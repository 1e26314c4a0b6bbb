/* negotiate.c -- choosing the exposition format from an HTTP Accept header.
 *
 * Accept is a comma-separated list of media ranges with parameters and q-values (RFC 9110
 * 12.5.1). For each of our two formats we find the most specific range that matches it
 * (type/subtype with its version parameter, then type/subtype, then type/ *, then * / *) and
 * take its q; the format with the higher q wins, then the more specific match, then the one
 * named first. Nothing acceptable, or no header, means the text format, as every Prometheus
 * client does: a scraper that asks for something else still understands 0.0.4.
 * promc_negotiate_accept() is the Prometheus 3 negotiation (protobuf, text 1.0.0, escaping=),
 * built on negotiate3.c.
 */
#include "negotiate.h"
#include "negotiate3.h"
#include "promc.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

const char *promc_content_type(promc_format fmt) {
    switch (fmt) {
    case PROMC_FORMAT_OPENMETRICS:
        return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case PROMC_FORMAT_PROTOBUF:
        return "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
               "encoding=delimited";
    case PROMC_FORMAT_TEXT_1_0_0:
        return "text/plain; version=1.0.0; charset=utf-8";
    default:
        return "text/plain; version=0.0.4; charset=utf-8";
    }
}

/* ---- Prometheus 3 negotiation (negotiate3.c does the parsing) ---------------------------- */

#define CT_ESC(base)                                                                               \
    {                                                                                              \
        base "; escaping=underscores", base "; escaping=allow-utf-8", base "; escaping=dots",      \
            base "; escaping=values"                                                               \
    }
static const char *const content_types[4][4] = {
    [PROMC_FORMAT_TEXT] = CT_ESC("text/plain; version=0.0.4; charset=utf-8"),
    [PROMC_FORMAT_OPENMETRICS] =
        CT_ESC("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    [PROMC_FORMAT_PROTOBUF] = CT_ESC("application/vnd.google.protobuf; "
                                     "proto=io.prometheus.client.MetricFamily; encoding=delimited"),
    [PROMC_FORMAT_TEXT_1_0_0] = CT_ESC("text/plain; version=1.0.0; charset=utf-8"),
};

const char *promc_content_type_escaped(promc_format fmt, promc_escaping escaping) {
    if ((unsigned)fmt > PROMC_FORMAT_TEXT_1_0_0)
        fmt = PROMC_FORMAT_TEXT;
    if ((unsigned)escaping > PROMC_ESCAPING_VALUES)
        escaping = PROMC_ESCAPING_UNDERSCORES;
    return content_types[fmt][escaping];
}

promc_format promc_negotiate_accept(const char *accept, promc_escaping *escaping) {
    promc__neg3_choice c = promc__neg3_choose(accept, 1);
    if (escaping)
        *escaping = (promc_escaping)c.escaping; /* the two enums share their numbers */
    switch (c.format) {
    case PROMC__NEG3_TEXT_1_0_0:
        return PROMC_FORMAT_TEXT_1_0_0;
    case PROMC__NEG3_OPENMETRICS_0_0_1: /* promc writes 1.0.0, which a 0.0.1 reader takes */
    case PROMC__NEG3_OPENMETRICS_1_0_0:
        return PROMC_FORMAT_OPENMETRICS;
    case PROMC__NEG3_PROTOBUF_DELIMITED:
        return PROMC_FORMAT_PROTOBUF;
    default:
        return PROMC_FORMAT_TEXT;
    }
}

double promc__parse_qvalue(const char *s, size_t n) {
    /* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); more digits are tolerated. */
    if (n == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    double v = s[0] - '0', scale = 0.1;
    if (n == 1)
        return v;
    if (s[1] != '.')
        return -1;
    for (size_t i = 2; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v += (s[i] - '0') * scale;
        scale /= 10;
    }
    return v > 1 ? -1 : v;
}

static bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

/* [b, e) with optional whitespace trimmed on both sides. */
static void trim(const char **b, const char **e) {
    while (*b < *e && is_ows(**b))
        (*b)++;
    while (*e > *b && is_ows((*e)[-1]))
        (*e)--;
}

static bool token_is(const char *b, const char *e, const char *word) {
    size_t n = strlen(word);
    return (size_t)(e - b) == n && strncasecmp(b, word, n) == 0;
}

/* What one media range says about one of our formats. */
typedef struct match {
    int specificity; /* -1: no match; 0 * / *, 1 type/ *, 2 type/subtype, 3 with version */
    double q;
    int position; /* index of the range in the header */
} match;

typedef struct format_desc {
    const char *type, *subtype;
    const char *versions[3]; /* acceptable version parameters, NULL-ended */
} format_desc;

static const format_desc formats[2] = {
    [PROMC_FORMAT_TEXT] = {"text", "plain", {"0.0.4", "1.0.0", NULL}},
    [PROMC_FORMAT_OPENMETRICS] = {"application", "openmetrics-text", {"1.0.0", "0.0.1", NULL}},
};

/* Parses one media range [b, e) and updates best[] for the formats it matches. */
static void consider_range(const char *b, const char *e, int position, match best[2]) {
    const char *semi = memchr(b, ';', (size_t)(e - b));
    const char *type_end = semi ? semi : e;
    const char *tb = b, *te = type_end;
    trim(&tb, &te);
    const char *slash = memchr(tb, '/', (size_t)(te - tb));
    if (!slash)
        return;
    /* Parameters: q and version; the rest (charset, escaping, ...) do not change our output. */
    double q = 1;
    const char *version = NULL, *version_end = NULL;
    for (const char *p = semi; p && p < e;) {
        const char *pb = p + 1;
        const char *next = memchr(pb, ';', (size_t)(e - pb));
        const char *pe = next ? next : e;
        const char *eq = memchr(pb, '=', (size_t)(pe - pb));
        if (eq) {
            const char *nb = pb, *ne = eq, *vb = eq + 1, *ve = pe;
            trim(&nb, &ne);
            trim(&vb, &ve);
            if (ve - vb >= 2 && *vb == '"' && ve[-1] == '"') {
                vb++;
                ve--;
            }
            if (token_is(nb, ne, "q")) {
                q = promc__parse_qvalue(vb, (size_t)(ve - vb));
                if (q < 0)
                    return; /* malformed: ignore the whole range */
            } else if (token_is(nb, ne, "version")) {
                version = vb;
                version_end = ve;
            }
        }
        p = next;
    }
    for (int f = 0; f < 2; f++) {
        const format_desc *d = &formats[f];
        int spec;
        if (token_is(tb, slash, "*") && token_is(slash + 1, te, "*")) {
            spec = 0;
        } else if (!token_is(tb, slash, d->type)) {
            continue;
        } else if (token_is(slash + 1, te, "*")) {
            spec = 1;
        } else if (!token_is(slash + 1, te, d->subtype)) {
            continue;
        } else if (!version) {
            spec = 2;
        } else {
            spec = -1;
            for (const char *const *v = d->versions; *v; v++)
                if (token_is(version, version_end, *v))
                    spec = 3;
            if (spec < 0)
                continue; /* a version we do not speak */
        }
        match *m = &best[f];
        if (spec > m->specificity || (spec == m->specificity && q > m->q))
            *m = (match){spec, q, position};
    }
}

promc_format promc_negotiate(const char *accept) {
    if (!accept)
        return PROMC_FORMAT_TEXT;
    match best[2] = {{-1, 0, 0}, {-1, 0, 0}};
    int position = 0;
    for (const char *p = accept; *p; position++) {
        const char *comma = strchr(p, ',');
        const char *e = comma ? comma : p + strlen(p);
        consider_range(p, e, position, best);
        if (!comma)
            break;
        p = comma + 1;
    }
    const match *t = &best[PROMC_FORMAT_TEXT], *o = &best[PROMC_FORMAT_OPENMETRICS];
    double tq = t->specificity >= 0 ? t->q : 0, oq = o->specificity >= 0 ? o->q : 0;
    if (oq <= 0)
        return PROMC_FORMAT_TEXT;
    if (oq != tq)
        return oq > tq ? PROMC_FORMAT_OPENMETRICS : PROMC_FORMAT_TEXT;
    if (o->specificity != t->specificity)
        return o->specificity > t->specificity ? PROMC_FORMAT_OPENMETRICS : PROMC_FORMAT_TEXT;
    return o->position < t->position ? PROMC_FORMAT_OPENMETRICS : PROMC_FORMAT_TEXT;
}
