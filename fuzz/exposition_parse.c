/* exposition_parse.c -- a strict parser for the text format 0.0.4 and OpenMetrics 1.0.
 *
 * A recursive-descent reader over the whole buffer (not split into lines first, so that a raw
 * line feed inside a quoted value is an error rather than a silently shorter line). Strings
 * are unescaped as the specs say: HELP knows \\ and \n (OpenMetrics also \"), label values
 * \\, \" and \n; any other escape is an error, as in Prometheus' own parser. See the header
 * for where it is stricter than the specs.
 */
#include "exposition_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NUMBER_LEN   400
#define EXEMPLAR_MAX_CPS 128

typedef struct parser {
    const char *p, *end;
    expo_format fmt;
    expo_doc *doc;
    char *err;
    size_t errlen;
    size_t line;
    long cur; /* family the last line belonged to, -1 before the first */
} parser;

static int fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser *ps, const char *fmt, ...) {
    if (ps->errlen == 0)
        return -1;
    int n = snprintf(ps->err, ps->errlen, "line %zu: ", ps->line);
    if (n < 0 || (size_t)n >= ps->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- UTF-8 ------------------------------------------------------------------------------- */

bool expo_utf8_valid(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false; /* a continuation byte first, or 0xF8..0xFF */
        }
        if (len - i < n)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n;
    }
    return true;
}

size_t expo_utf8_runes(const char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* ---- Memory ------------------------------------------------------------------------------ */

static bool grow(void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

static void labelset_free(expo_labelset *set) {
    for (size_t i = 0; i < set->n; i++) {
        free(set->labels[i].name.data);
        free(set->labels[i].value.data);
    }
    free(set->labels);
    *set = (expo_labelset){0};
}

void expo_doc_free(expo_doc *doc) {
    for (size_t i = 0; i < doc->nfamilies; i++) {
        free(doc->families[i].name.data);
        free(doc->families[i].help.data);
        free(doc->families[i].unit.data);
    }
    for (size_t i = 0; i < doc->nsamples; i++) {
        free(doc->samples[i].name.data);
        labelset_free(&doc->samples[i].labels);
        labelset_free(&doc->samples[i].exemplar_labels);
    }
    free(doc->families);
    free(doc->samples);
    *doc = (expo_doc){0};
}

static bool str_eq(const expo_str *s, const char *c) {
    return strlen(c) == s->len && memcmp(s->data, c, s->len) == 0;
}

static bool strs_eq(const expo_str *a, const expo_str *b) {
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

const expo_family *expo_find_family(const expo_doc *doc, const char *name) {
    for (size_t i = 0; i < doc->nfamilies; i++)
        if (str_eq(&doc->families[i].name, name))
            return &doc->families[i];
    return NULL;
}

const expo_str *expo_label_value(const expo_labelset *set, const char *name) {
    for (size_t i = 0; i < set->n; i++)
        if (str_eq(&set->labels[i].name, name))
            return &set->labels[i].value;
    return NULL;
}

/* ---- Tokens ------------------------------------------------------------------------------ */

static bool at(const parser *ps, char c) {
    return ps->p < ps->end && *ps->p == c;
}

static int expect(parser *ps, char c, const char *where) {
    if (!at(ps, c))
        return fail(ps, "expected '%c' %s", c, where);
    ps->p++;
    return 0;
}

static bool is_alpha_(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

static int copy_str(parser *ps, const char *s, size_t n, expo_str *out) {
    out->data = malloc(n + 1);
    if (!out->data)
        return fail(ps, "out of memory");
    memcpy(out->data, s, n);
    out->data[n] = '\0';
    out->len = n;
    return 0;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names, [a-zA-Z_][a-zA-Z0-9_]* for label names. */
static int read_name(parser *ps, bool colons, expo_str *out, const char *what) {
    const char *s = ps->p;
    if (ps->p < ps->end && (is_alpha_(*ps->p) || (colons && *ps->p == ':')))
        ps->p++;
    else
        return fail(ps, "invalid %s", what);
    while (ps->p < ps->end && (is_alpha_(*ps->p) || is_digit(*ps->p) || (colons && *ps->p == ':')))
        ps->p++;
    return copy_str(ps, s, (size_t)(ps->p - s), out);
}

/* Unescapes up to the closing quote (quoted) or the line feed (HELP text, not consumed).
 * quote_escape: \" is an escape; bare_quote_ok: a raw " is allowed (0.0.4 HELP only). */
static int read_escaped(parser *ps, bool quoted, bool quote_escape, bool bare_quote_ok,
                        expo_str *out) {
    const char *s = ps->p;
    const char *stop = memchr(s, '\n', (size_t)(ps->end - s));
    if (!stop)
        return fail(ps, "line does not end with a line feed");
    char *buf = malloc((size_t)(stop - s) + 1);
    if (!buf)
        return fail(ps, "out of memory");
    size_t n = 0;
    for (;;) {
        if (ps->p == stop) {
            if (quoted) {
                free(buf);
                return fail(ps, "unterminated quoted string");
            }
            break;
        }
        char c = *ps->p++;
        if (c == '"') {
            if (quoted)
                break;
            if (!bare_quote_ok) {
                free(buf);
                return fail(ps, "bare '\"' in an escaped string");
            }
        } else if (c == '\\') {
            char e = ps->p < stop ? *ps->p++ : '\0';
            if (e == 'n')
                c = '\n';
            else if (e == '\\' || (e == '"' && quote_escape))
                c = e;
            else {
                free(buf);
                return fail(ps, "invalid escape sequence '\\%c'", e ? e : '0');
            }
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    if (!expo_utf8_valid(buf, n)) {
        free(buf);
        return fail(ps, "string is not valid UTF-8");
    }
    out->data = buf;
    out->len = n;
    return 0;
}

/* Syntax of a number: NaN, +Inf, -Inf, or [+-] digits [. digits] [e [+-] digits] with at least
 * one digit in the mantissa (".5" and "5." are allowed, as the OpenMetrics ABNF allows them). */
static bool number_syntax(const char *s, size_t n, bool special_ok, bool integer_only) {
    if (special_ok && ((n == 3 && memcmp(s, "NaN", 3) == 0) ||
                       (n == 4 && (memcmp(s, "+Inf", 4) == 0 || memcmp(s, "-Inf", 4) == 0))))
        return true;
    size_t i = 0, mant = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < n && is_digit(s[i]); i++)
        mant++;
    if (integer_only)
        return mant > 0 && i == n;
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++)
            mant++;
    if (mant == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp = 0;
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (; i < n && is_digit(s[i]); i++)
            exp++;
        if (exp == 0)
            return false;
    }
    return i == n;
}

/* A number up to the next space or line feed. Out-of-range values are rejected, as Go's
 * ParseFloat (Prometheus) rejects them. */
static int read_number(parser *ps, double *out, bool special_ok, bool integer_only,
                       const char *what) {
    const char *s = ps->p;
    while (ps->p < ps->end && *ps->p != ' ' && *ps->p != '\n')
        ps->p++;
    size_t n = (size_t)(ps->p - s);
    if (n == 0 || n > MAX_NUMBER_LEN || !number_syntax(s, n, special_ok, integer_only))
        return fail(ps, "invalid %s \"%.*s\"", what, (int)(n > 40 ? 40 : n), s);
    char tmp[MAX_NUMBER_LEN + 1];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *endp;
    errno = 0;
    double v = strtod(tmp, &endp);
    if (endp != tmp + n)
        return fail(ps, "invalid %s \"%s\"", what, tmp);
    if (errno == ERANGE && (v == __builtin_inf() || v == -__builtin_inf()))
        return fail(ps, "%s \"%s\" out of range", what, tmp);
    *out = v;
    return 0;
}

/* {name="value",...}; "{}" is an empty set. Label names are unique within a set. */
static int read_labelset(parser *ps, expo_labelset *set) {
    if (expect(ps, '{', "to open a label set"))
        return -1;
    if (at(ps, '}')) {
        ps->p++;
        return 0;
    }
    for (;;) {
        expo_label l = {0};
        expo_label *grown = realloc(set->labels, (set->n + 1) * sizeof l);
        if (!grown)
            return fail(ps, "out of memory");
        set->labels = grown;
        if (read_name(ps, false, &l.name, "label name"))
            return -1;
        set->labels[set->n++] = l; /* owned by the set from here on */
        expo_label *lp = &set->labels[set->n - 1];
        if (expect(ps, '=', "after a label name") || expect(ps, '"', "to open a label value") ||
            read_escaped(ps, true, true, false, &lp->value))
            return -1;
        for (size_t i = 0; i + 1 < set->n; i++)
            if (strs_eq(&set->labels[i].name, &lp->name))
                return fail(ps, "duplicate label \"%s\"", lp->name.data);
        if (at(ps, '}')) {
            ps->p++;
            return 0;
        }
        if (expect(ps, ',', "or '}' after a label"))
            return -1;
        if (at(ps, '}'))
            return fail(ps, "trailing comma in a label set");
    }
}

/* ---- Families ---------------------------------------------------------------------------- */

static const char *const text_types[] = {"counter", "gauge",   "histogram",
                                         "summary", "untyped", NULL};
static const char *const om_types[] = {"counter",        "gauge",    "histogram",
                                       "gaugehistogram", "stateset", "info",
                                       "summary",        "unknown",  NULL};

/* The sample-name suffixes a family of this type may use; "" is the bare family name. */
static const char *const *suffixes(expo_format fmt, const char *type) {
    static const char *const bare[] = {"", NULL};
    static const char *const text_hist[] = {"_bucket", "_sum", "_count", NULL};
    static const char *const text_summary[] = {"", "_sum", "_count", NULL};
    static const char *const om_counter[] = {"_total", "_created", NULL};
    static const char *const om_hist[] = {"_bucket", "_count", "_sum", "_created", NULL};
    static const char *const om_ghist[] = {"_gbucket", "_gcount", "_gsum", NULL};
    static const char *const om_summary[] = {"", "_count", "_sum", "_created", NULL};
    static const char *const om_info[] = {"_info", NULL};
    if (fmt == EXPO_TEXT) {
        if (strcmp(type, "histogram") == 0)
            return text_hist;
        return strcmp(type, "summary") == 0 ? text_summary : bare;
    }
    if (strcmp(type, "counter") == 0)
        return om_counter;
    if (strcmp(type, "histogram") == 0)
        return om_hist;
    if (strcmp(type, "gaugehistogram") == 0)
        return om_ghist;
    if (strcmp(type, "summary") == 0)
        return om_summary;
    return strcmp(type, "info") == 0 ? om_info : bare;
}

/* The suffix of sample name within family f, or NULL when the name is not one of f's. */
static const char *sample_suffix(const parser *ps, const expo_family *f, const expo_str *name) {
    if (name->len < f->name.len || memcmp(name->data, f->name.data, f->name.len) != 0)
        return NULL;
    const char *rest = name->data + f->name.len;
    for (const char *const *s = suffixes(ps->fmt, f->type); *s; s++)
        if (strcmp(rest, *s) == 0)
            return *s;
    return NULL;
}

static long find_family_index(const parser *ps, const expo_str *name) {
    for (size_t i = 0; i < ps->doc->nfamilies; i++)
        if (strs_eq(&ps->doc->families[i].name, name))
            return (long)i;
    return -1;
}

/* Starts a family; name is moved into it. */
static long new_family(parser *ps, expo_str *name) {
    expo_doc *d = ps->doc;
    if (!grow((void **)&d->families, &d->families_cap, d->nfamilies + 1, sizeof *d->families)) {
        fail(ps, "out of memory");
        return -1;
    }
    expo_family *f = &d->families[d->nfamilies];
    *f = (expo_family){.name = *name, .first_sample = d->nsamples};
    *name = (expo_str){0};
    strcpy(f->type, ps->fmt == EXPO_TEXT ? "untyped" : "unknown");
    if (copy_str(ps, "", 0, &f->help) || copy_str(ps, "", 0, &f->unit)) {
        free(f->name.data);
        free(f->help.data);
        return -1;
    }
    ps->cur = (long)d->nfamilies++;
    return ps->cur;
}

/* The family a metadata line for name belongs to: the current one, or a new one. */
static long meta_family(parser *ps, expo_str *name) {
    if (ps->cur >= 0 && strs_eq(&ps->doc->families[ps->cur].name, name)) {
        if (ps->doc->families[ps->cur].nsamples > 0) {
            fail(ps, "metadata for %s after its samples", name->data);
            return -1;
        }
        return ps->cur;
    }
    if (find_family_index(ps, name) >= 0) {
        fail(ps, "family %s appears twice", name->data);
        return -1;
    }
    return new_family(ps, name);
}

/* ---- Lines ------------------------------------------------------------------------------- */

static int parse_type(parser *ps, expo_family *f) {
    const char *s = ps->p;
    while (ps->p < ps->end && *ps->p != '\n')
        ps->p++;
    size_t n = (size_t)(ps->p - s);
    if (f->has_type)
        return fail(ps, "second TYPE for %s", f->name.data);
    for (const char *const *t = ps->fmt == EXPO_TEXT ? text_types : om_types; *t; t++)
        if (strlen(*t) == n && memcmp(*t, s, n) == 0) {
            strcpy(f->type, *t);
            f->has_type = true;
            return 0;
        }
    return fail(ps, "unknown type \"%.*s\"", (int)(n > 40 ? 40 : n), s);
}

static int parse_unit(parser *ps, expo_family *f) {
    const char *s = ps->p;
    while (ps->p < ps->end && (is_alpha_(*ps->p) || is_digit(*ps->p) || *ps->p == ':'))
        ps->p++;
    if (f->has_unit)
        return fail(ps, "second UNIT for %s", f->name.data);
    size_t n = (size_t)(ps->p - s);
    /* A non-empty unit must be the name's suffix: foo_seconds has unit seconds. */
    if (n > 0 && (f->name.len < n + 1 || f->name.data[f->name.len - n - 1] != '_' ||
                  memcmp(f->name.data + f->name.len - n, s, n) != 0))
        return fail(ps, "unit \"%.*s\" is not a suffix of %s", (int)n, s, f->name.data);
    free(f->unit.data);
    f->has_unit = true;
    return copy_str(ps, s, n, &f->unit);
}

static int parse_help(parser *ps, expo_family *f) {
    if (f->has_help)
        return fail(ps, "second HELP for %s", f->name.data);
    f->has_help = true;
    free(f->help.data);
    f->help = (expo_str){0};
    bool om = ps->fmt == EXPO_OPENMETRICS;
    return read_escaped(ps, false, om, !om, &f->help);
}

/* "# HELP", "# TYPE", "# UNIT" or "# EOF"; *eof set for the last. */
static int parse_comment(parser *ps, bool *eof) {
    bool om = ps->fmt == EXPO_OPENMETRICS;
    size_t left = (size_t)(ps->end - ps->p);
    if (om && left >= 5 && memcmp(ps->p, "# EOF", 5) == 0) {
        ps->p += 5;
        *eof = true;
        return 0;
    }
    const char *kinds[] = {"# HELP ", "# TYPE ", om ? "# UNIT " : NULL};
    size_t k = 0;
    while (k < 3 && !(kinds[k] && left >= 7 && memcmp(ps->p, kinds[k], 7) == 0))
        k++;
    if (k == 3)
        return fail(ps, "comment line that is not HELP/TYPE%s", om ? "/UNIT/EOF" : "");
    ps->p += 7;
    expo_str name = {0};
    if (read_name(ps, true, &name, "metric name"))
        return -1;
    long fi = meta_family(ps, &name);
    free(name.data);
    if (fi < 0)
        return -1;
    expo_family *f = &ps->doc->families[fi];
    /* 0.0.4 allows "# HELP name" with no docstring; the OpenMetrics ABNF requires the space. */
    if (k == 0 && !om && at(ps, '\n')) {
        if (f->has_help)
            return fail(ps, "second HELP for %s", f->name.data);
        f->has_help = true;
        return 0;
    }
    if (expect(ps, ' ', "after the metric name"))
        return -1;
    return k == 0 ? parse_help(ps, f) : k == 1 ? parse_type(ps, f) : parse_unit(ps, f);
}

static bool same_labelset(const expo_labelset *a, const expo_labelset *b) {
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const expo_str *v = NULL;
        for (size_t j = 0; j < b->n && !v; j++)
            if (strs_eq(&a->labels[i].name, &b->labels[j].name))
                v = &b->labels[j].value;
        if (!v || !strs_eq(&a->labels[i].value, v))
            return false;
    }
    return true;
}

/* Checks the sample against its family: le on buckets, quantile on summary quantiles, no
 * repeated series, exemplars only where OpenMetrics allows them. */
static int check_sample(parser *ps, const expo_family *f, const expo_sample *s, const char *sfx) {
    bool hist = strcmp(f->type, "histogram") == 0 || strcmp(f->type, "gaugehistogram") == 0;
    bool bucket = hist && (strcmp(sfx, "_bucket") == 0 || strcmp(sfx, "_gbucket") == 0);
    bool quantile = strcmp(f->type, "summary") == 0 && *sfx == '\0';
    const expo_str *le = expo_label_value(&s->labels, "le");
    const expo_str *q = expo_label_value(&s->labels, "quantile");
    if (hist && (bucket != (le != NULL)))
        return fail(ps, "%s: \"le\" belongs on buckets only", s->name.data);
    if (strcmp(f->type, "summary") == 0 && (quantile != (q != NULL)))
        return fail(ps, "%s: \"quantile\" belongs on quantiles only", s->name.data);
    const expo_str *num = bucket ? le : quantile ? q : NULL;
    if (num && !number_syntax(num->data, num->len, true, false))
        return fail(ps, "%s: \"%s\" is not a number", s->name.data, num->data);
    if (s->has_exemplar &&
        !(bucket || (strcmp(f->type, "counter") == 0 && strcmp(sfx, "_total") == 0)))
        return fail(ps, "%s: exemplar on a sample that cannot have one", s->name.data);
    for (size_t i = f->first_sample; i < ps->doc->nsamples; i++) {
        const expo_sample *o = &ps->doc->samples[i];
        if (strs_eq(&o->name, &s->name) && same_labelset(&o->labels, &s->labels))
            return fail(ps, "series %s listed twice", s->name.data);
    }
    return 0;
}

/* " # {labels} value [timestamp]" after a sample's value (OpenMetrics only). */
static int parse_exemplar(parser *ps, expo_sample *s) {
    ps->p += 3; /* " # " checked by the caller */
    s->has_exemplar = true;
    if (read_labelset(ps, &s->exemplar_labels))
        return -1;
    size_t cps = 0;
    for (size_t i = 0; i < s->exemplar_labels.n; i++) {
        const expo_label *l = &s->exemplar_labels.labels[i];
        cps += expo_utf8_runes(l->name.data, l->name.len) +
               expo_utf8_runes(l->value.data, l->value.len);
    }
    if (cps > EXEMPLAR_MAX_CPS)
        return fail(ps, "exemplar labels over %d code points", EXEMPLAR_MAX_CPS);
    if (expect(ps, ' ', "before the exemplar value") ||
        read_number(ps, &s->exemplar_value, true, false, "exemplar value"))
        return -1;
    if (at(ps, ' ')) {
        ps->p++;
        s->exemplar_has_timestamp = true;
        return read_number(ps, &s->exemplar_timestamp, false, false, "exemplar timestamp");
    }
    return 0;
}

static int parse_sample_body(parser *ps, expo_sample *s) {
    bool om = ps->fmt == EXPO_OPENMETRICS;
    if (read_name(ps, true, &s->name, "metric name"))
        return -1;
    if (at(ps, '{') && read_labelset(ps, &s->labels))
        return -1;
    if (expect(ps, ' ', "before the value") || read_number(ps, &s->value, true, false, "value"))
        return -1;
    if (at(ps, ' ') && !(om && ps->end - ps->p >= 3 && memcmp(ps->p, " # ", 3) == 0)) {
        ps->p++;
        s->has_timestamp = true;
        if (read_number(ps, &s->timestamp, false, !om, "timestamp"))
            return -1;
    }
    if (om && ps->end - ps->p >= 3 && memcmp(ps->p, " # ", 3) == 0)
        return parse_exemplar(ps, s);
    return 0;
}

static int parse_sample(parser *ps) {
    expo_doc *d = ps->doc;
    if (!grow((void **)&d->samples, &d->samples_cap, d->nsamples + 1, sizeof *d->samples))
        return fail(ps, "out of memory");
    expo_sample s = {0};
    int rc = parse_sample_body(ps, &s);
    const char *sfx = NULL;
    long fi = -1;
    if (rc == 0 && ps->cur >= 0 && (sfx = sample_suffix(ps, &d->families[ps->cur], &s.name)))
        fi = ps->cur;
    for (size_t i = 0; rc == 0 && fi < 0 && i < d->nfamilies; i++)
        if (sample_suffix(ps, &d->families[i], &s.name))
            rc = fail(ps, "sample %s away from its family %s", s.name.data,
                      d->families[i].name.data);
    if (rc == 0 && fi < 0 && ps->cur >= 0) {
        /* A sample right after metadata that starts with the family's name but has a suffix
         * its type does not allow (a text counter's "_total", an OpenMetrics bare counter). */
        const expo_family *f = &d->families[ps->cur];
        if (f->nsamples == 0 && s.name.len >= f->name.len &&
            memcmp(s.name.data, f->name.data, f->name.len) == 0)
            rc = fail(ps, "sample %s does not fit family %s of type %s", s.name.data, f->name.data,
                      f->type);
    }
    if (rc == 0 && fi < 0 && find_family_index(ps, &s.name) >= 0)
        rc = fail(ps, "sample %s does not fit its family's type", s.name.data);
    if (rc == 0 && fi < 0) {
        /* No metadata: a family of its own, of type unknown (untyped). */
        expo_str name = {0};
        rc = copy_str(ps, s.name.data, s.name.len, &name);
        if (rc == 0 && (fi = new_family(ps, &name)) < 0)
            rc = -1;
        free(name.data);
        sfx = "";
    }
    if (rc == 0)
        rc = check_sample(ps, &d->families[fi], &s, sfx);
    if (rc != 0) {
        free(s.name.data);
        labelset_free(&s.labels);
        labelset_free(&s.exemplar_labels);
        return -1;
    }
    s.family = (size_t)fi;
    d->families[fi].nsamples++;
    d->samples[d->nsamples++] = s;
    return 0;
}

int expo_parse(const char *buf, size_t len, expo_format fmt, expo_doc *doc, char *err,
               size_t errlen) {
    parser ps = {.p = buf,
                 .end = buf + len,
                 .fmt = fmt,
                 .doc = doc,
                 .err = err,
                 .errlen = errlen,
                 .line = 1,
                 .cur = -1};
    if (errlen)
        err[0] = '\0';
    if (memchr(buf, '\0', len))
        return fail(&ps, "NUL byte in the exposition");
    if (!expo_utf8_valid(buf, len))
        return fail(&ps, "exposition is not valid UTF-8");
    bool eof = false;
    while (ps.p < ps.end && !eof) {
        if (*ps.p == '\n')
            return fail(&ps, "blank line");
        int rc = *ps.p == '#' ? parse_comment(&ps, &eof) : parse_sample(&ps);
        if (rc)
            return -1;
        if (eof && ps.p == ps.end)
            break; /* "# EOF" may end the document without a line feed */
        if (expect(&ps, '\n', "at the end of the line"))
            return -1;
        ps.line++;
    }
    if (fmt == EXPO_OPENMETRICS && !eof)
        return fail(&ps, "no \"# EOF\" at the end");
    if (ps.p != ps.end)
        return fail(&ps, "content after \"# EOF\"");
    return 0;
}
