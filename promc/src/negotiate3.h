/* negotiate3.h -- Prometheus 3 content negotiation and name escaping, internal.
 *
 * Pure functions (no promc types, no allocation): promc_negotiate_accept() (negotiate.c) calls
 * promc__neg3_choose() on the scrape's Accept header, the renderers escape names with
 * promc__neg3_escape_name() under the chosen scheme (its enum shares promc_escaping's numbers).
 * Semantics follow prometheus/common expfmt.Negotiate(IncludingOpenMetrics) and model.EscapeName,
 * and Prometheus' documents on content negotiation and escaping schemes (default when absent:
 * underscores).
 */
#ifndef PROMC_NEGOTIATE3_H
#define PROMC_NEGOTIATE3_H

#include <stddef.h>

enum promc__neg3_format {
    PROMC__NEG3_TEXT_0_0_4 = 0, /* the fallback, also for * / * and unknown types */
    PROMC__NEG3_TEXT_1_0_0,
    PROMC__NEG3_OPENMETRICS_0_0_1,
    PROMC__NEG3_OPENMETRICS_1_0_0,
    PROMC__NEG3_PROTOBUF_DELIMITED,
};

enum promc__neg3_escaping {
    PROMC__NEG3_ESC_UNDERSCORES = 0, /* the default when the header names none */
    PROMC__NEG3_ESC_ALLOW_UTF8,
    PROMC__NEG3_ESC_DOTS,
    PROMC__NEG3_ESC_VALUES,
};

typedef struct promc__neg3_choice {
    enum promc__neg3_format format;
    enum promc__neg3_escaping escaping;
    double q; /* the winning media range's q-value (1 when the header is absent) */
} promc__neg3_choice;

/* The format and escaping for an Accept header (NULL or empty: text 0.0.4, underscores). The
 * media range with the highest q wins, ties going to the more specific then the earlier one;
 * ranges with q=0 and formats promc does not speak are skipped. allow_protobuf 0 skips protobuf
 * (e.g. when the registry holds nothing that needs it). */
promc__neg3_choice promc__neg3_choose(const char *accept, int allow_protobuf);

/* The Content-Type header value for a choice, e.g.
 * "text/plain; version=1.0.0; charset=utf-8; escaping=underscores". Static storage. */
const char *promc__neg3_content_type(promc__neg3_choice c);

/* The name of an escaping scheme as it appears in headers ("allow-utf-8", ...). */
const char *promc__neg3_escaping_name(enum promc__neg3_escaping e);

/* model.EscapeName: writes name escaped by scheme into out (cap bytes, NUL-terminated). Returns
 * the length of the full result (like snprintf; >= cap means truncated). name is UTF-8;
 * invalid sequences count as U+FFFD. */
size_t promc__neg3_escape_name(const char *name, enum promc__neg3_escaping scheme, char *out,
                               size_t cap);

#endif
