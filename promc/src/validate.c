/* validate.c -- the exposition format's rules for metric names, label names (legacy and UTF-8)
 * and UTF-8. */
#include "base.h"

#include <string.h>

static bool is_alpha_(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* */
bool promc__valid_metric_name(const char *s) {
    if (!s || !*s || !(is_alpha_(*s) || *s == ':'))
        return false;
    for (s++; *s; s++)
        if (!(is_alpha_(*s) || is_digit(*s) || *s == ':'))
            return false;
    return true;
}

/* [a-zA-Z_][a-zA-Z0-9_]*, and "__" is reserved for Prometheus' internal use. */
bool promc__valid_label_name(const char *s) {
    if (!s || !*s || !is_alpha_(*s))
        return false;
    if (s[0] == '_' && s[1] == '_')
        return false;
    for (s++; *s; s++)
        if (!(is_alpha_(*s) || is_digit(*s)))
            return false;
    return true;
}

/* What a registry that allows UTF-8 names takes for a metric or label name: non-empty,
 * well-formed UTF-8 (no NUL: C strings), not starting with "__" (reserved, as for legacy names). */
bool promc__valid_utf8_name(const char *s) {
    return s && *s && !(s[0] == '_' && s[1] == '_') && promc__valid_utf8(s, strlen(s));
}

/* Well-formed UTF-8 per RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF. */
bool promc__valid_utf8(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str, *end = s + len;
    while (s < end) {
        unsigned char c = *s;
        if (c < 0x80) {
            s++;
            continue;
        }
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else
            return false;
        if ((size_t)(end - s) <= n)
            return false;
        if (s[1] < lo || s[1] > hi)
            return false;
        for (size_t i = 2; i <= n; i++)
            if (s[i] < 0x80 || s[i] > 0xBF)
                return false;
        s += n + 1;
    }
    return true;
}
