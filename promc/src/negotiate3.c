/* negotiate3.c -- Prometheus 3 Accept negotiation and name escaping (see negotiate3.h).
 *
 * negotiate.c's promc_negotiate_accept() is built on it. The header is walked in place, one media
 * range at a time, keeping the best so far: no copy, no allocation, so http.c can call it per
 * scrape.
 */
#include "negotiate3.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct span {
    const char *p;
    size_t n;
} span;

static span trim(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    span s = {p, (size_t)(end - p)};
    return s;
}

static int span_is(span s, const char *lit) {
    size_t n = strlen(lit);
    return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* Only values promc compares are unquoted tokens; a quoted value loses its quotes. */
static span unquote(span s) {
    if (s.n >= 2 && s.p[0] == '"' && s.p[s.n - 1] == '"') {
        s.p++;
        s.n -= 2;
    }
    return s;
}

typedef struct range {
    span type;
    span version, proto, encoding, escaping;
    int has_escaping;
    double q;
} range;

static void parse_range(const char *p, const char *end, range *r) {
    memset(r, 0, sizeof *r);
    r->q = 1;
    const char *semi = memchr(p, ';', (size_t)(end - p));
    r->type = trim(p, semi ? semi : end);
    while (semi) {
        const char *start = semi + 1;
        semi = memchr(start, ';', (size_t)(end - start));
        span param = trim(start, semi ? semi : end);
        const char *eq = memchr(param.p, '=', param.n);
        if (!eq)
            continue;
        span key = trim(param.p, eq), val = unquote(trim(eq + 1, param.p + param.n));
        if (span_is(key, "q")) {
            char buf[32];
            size_t n = val.n < sizeof buf - 1 ? val.n : sizeof buf - 1;
            memcpy(buf, val.p, n);
            buf[n] = 0;
            char *stop;
            double q = strtod(buf, &stop);
            r->q = (stop == buf || q < 0) ? 0 : q > 1 ? 1 : q;
        } else if (span_is(key, "version")) {
            r->version = val;
        } else if (span_is(key, "proto")) {
            r->proto = val;
        } else if (span_is(key, "encoding")) {
            r->encoding = val;
        } else if (span_is(key, "escaping")) {
            r->escaping = val;
            r->has_escaping = 1;
        }
    }
}

/* 2 for a full type, 1 for type / *, 0 for * / * (goautoneg's tie-break). */
static int specificity(span type) {
    if (span_is(type, "*/*"))
        return 0;
    if (type.n >= 2 && type.p[type.n - 1] == '*' && type.p[type.n - 2] == '/')
        return 1;
    return 2;
}

/* The format a range asks for, or -1 if promc cannot serve it (a later range may). */
static int range_format(const range *r, int allow_protobuf) {
    if (span_is(r->type, "application/vnd.google.protobuf")) {
        if (allow_protobuf && span_is(r->proto, "io.prometheus.client.MetricFamily") &&
            span_is(r->encoding, "delimited"))
            return PROMC__NEG3_PROTOBUF_DELIMITED;
        return -1;
    }
    if (span_is(r->type, "application/openmetrics-text")) {
        if (span_is(r->version, "1.0.0"))
            return PROMC__NEG3_OPENMETRICS_1_0_0;
        if (r->version.n == 0 || span_is(r->version, "0.0.1"))
            return PROMC__NEG3_OPENMETRICS_0_0_1;
        return -1;
    }
    if (span_is(r->type, "text/plain")) {
        if (span_is(r->version, "1.0.0"))
            return PROMC__NEG3_TEXT_1_0_0;
        if (r->version.n == 0 || span_is(r->version, "0.0.4"))
            return PROMC__NEG3_TEXT_0_0_4;
        return -1;
    }
    /* Anything else (* / *, text/ *, application/json...) gets the fallback, as expfmt does. */
    return PROMC__NEG3_TEXT_0_0_4;
}

static enum promc__neg3_escaping parse_escaping(const range *r) {
    if (span_is(r->escaping, "allow-utf-8"))
        return PROMC__NEG3_ESC_ALLOW_UTF8;
    if (span_is(r->escaping, "dots"))
        return PROMC__NEG3_ESC_DOTS;
    if (span_is(r->escaping, "values"))
        return PROMC__NEG3_ESC_VALUES;
    return PROMC__NEG3_ESC_UNDERSCORES; /* absent, "underscores" or unknown */
}

promc__neg3_choice promc__neg3_choose(const char *accept, int allow_protobuf) {
    promc__neg3_choice best = {PROMC__NEG3_TEXT_0_0_4, PROMC__NEG3_ESC_UNDERSCORES, 1};
    if (!accept || !*accept)
        return best;
    double best_q = -1;
    int best_spec = -1;
    const char *p = accept, *end = accept + strlen(accept);
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        range r;
        parse_range(p, stop, &r);
        p = stop + (comma != NULL);
        int f = r.type.n ? range_format(&r, allow_protobuf) : -1;
        if (f < 0 || r.q <= 0)
            continue;
        int spec = specificity(r.type);
        if (r.q > best_q || (r.q == best_q && spec > best_spec)) {
            best_q = r.q;
            best_spec = spec;
            best.format = (enum promc__neg3_format)f;
            best.escaping = parse_escaping(&r);
            best.q = r.q;
        }
    }
    return best;
}

const char *promc__neg3_escaping_name(enum promc__neg3_escaping e) {
    switch (e) {
    case PROMC__NEG3_ESC_ALLOW_UTF8:
        return "allow-utf-8";
    case PROMC__NEG3_ESC_DOTS:
        return "dots";
    case PROMC__NEG3_ESC_VALUES:
        return "values";
    default:
        return "underscores";
    }
}

const char *promc__neg3_content_type(promc__neg3_choice c) {
    /* 5 formats x 4 schemes, built once per call into a per-thread buffer. */
    static _Thread_local char buf[128];
    static const char *const base[] = {
        "text/plain; version=0.0.4; charset=utf-8",
        "text/plain; version=1.0.0; charset=utf-8",
        "application/openmetrics-text; version=0.0.1; charset=utf-8",
        "application/openmetrics-text; version=1.0.0; charset=utf-8",
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
        "encoding=delimited",
    };
    snprintf(buf, sizeof buf, "%s; escaping=%s", base[c.format],
             promc__neg3_escaping_name(c.escaping));
    return buf;
}

/* ---- model.EscapeName ---- */

/* Decodes one UTF-8 sequence; invalid ones are one byte of U+FFFD, as Go's range over a string. */
static uint32_t next_rune(const unsigned char **s) {
    const unsigned char *p = *s;
    uint32_t c = p[0];
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 1) {
        *s = p + 1;
        return c;
    }
    if (n == 0)
        goto bad;
    c &= 0x3f >> (n - 1);
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            goto bad;
        c = c << 6 | (p[i] & 0x3f);
    }
    /* overlong, surrogate or out of range: Go yields RuneError for these too */
    if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
        (c >= 0xd800 && c <= 0xdfff))
        goto bad;
    *s = p + n;
    return c;
bad:
    *s = p + 1;
    return 0xfffd;
}

static int legacy_rune(uint32_t c, size_t i) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (c >= '0' && c <= '9' && i > 0);
}

static int legacy_name(const char *name) {
    if (!*name)
        return 0;
    for (size_t i = 0; name[i]; i++)
        if (!legacy_rune((unsigned char)name[i], i))
            return 0;
    return 1;
}

typedef struct out {
    char *p;
    size_t cap, len;
} out;

static void put(out *o, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++, o->len++)
        if (o->len + 1 < o->cap)
            o->p[o->len] = s[i];
}

static void put_utf8(out *o, const unsigned char *from, const unsigned char *to) {
    put(o, (const char *)from, (size_t)(to - from));
}

size_t promc__neg3_escape_name(const char *name, enum promc__neg3_escaping scheme, char *buf,
                               size_t cap) {
    out o = {buf, cap, 0};
    int keep = scheme == PROMC__NEG3_ESC_ALLOW_UTF8 || !*name ||
               (scheme != PROMC__NEG3_ESC_DOTS && legacy_name(name));
    if (keep) {
        put(&o, name, strlen(name));
    } else {
        if (scheme == PROMC__NEG3_ESC_VALUES)
            put(&o, "U__", 3);
        const unsigned char *s = (const unsigned char *)name;
        /* i counts bytes like Go's range index: only i > 0 matters (digits not first). */
        for (size_t i = 0; *s; i = (size_t)(s - (const unsigned char *)name)) {
            const unsigned char *at = s;
            uint32_t c = next_rune(&s);
            if (scheme == PROMC__NEG3_ESC_UNDERSCORES) {
                if (legacy_rune(c, i))
                    put_utf8(&o, at, s);
                else
                    put(&o, "_", 1);
            } else if (scheme == PROMC__NEG3_ESC_DOTS) {
                if (c == '_')
                    put(&o, "__", 2);
                else if (c == '.')
                    put(&o, "_dot_", 5);
                else if (legacy_rune(c, i))
                    put_utf8(&o, at, s);
                else
                    put(&o, "__", 2);
            } else { /* values */
                if (c == '_') {
                    put(&o, "__", 2);
                } else if (legacy_rune(c, i)) {
                    put_utf8(&o, at, s);
                } else {
                    char hex[16];
                    int n = snprintf(hex, sizeof hex, "_%x_", (unsigned)c);
                    put(&o, hex, (size_t)n);
                }
            }
        }
    }
    if (cap)
        buf[o.len < cap ? o.len : cap - 1] = 0;
    return o.len;
}
