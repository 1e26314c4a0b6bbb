/* fmt.h -- the output buffer every exposition is written into, number formatting and the
 * escaping rules of the exposition formats (fmt.c). Depends on base.h only. Never installed. */
#ifndef PROMC_FMT_H
#define PROMC_FMT_H

#include "base.h"

/* A growable output buffer. */
typedef struct promc_buf {
    char *data;
    size_t len, cap;
    bool failed; /* an allocation failed; data is unusable */
} promc_buf;

void promc__buf_reserve(promc_buf *b, size_t extra);
void promc__buf_put(promc_buf *b, const char *s, size_t n);
static inline void promc__buf_putc(promc_buf *b, char c) {
    if (b->len + 1 > b->cap)
        promc__buf_reserve(b, 1);
    if (!b->failed)
        b->data[b->len++] = c;
}

/* Shortest round-trip decimal for v; "NaN", "+Inf", "-Inf" spelled as the spec says.
 * Writes at most 32 bytes into out; returns the length. Locale-independent. */
size_t promc__fmt_double(char *out, double v);
size_t promc__fmt_u64(char *out, uint64_t v);
/* Canonical float for "le" and "quantile" label values: Go's %g plus ".0" when integral
 * ("1.0", "0.005", "1e+06", "+Inf"), as OpenMetrics requires. At most 32 bytes. */
size_t promc__fmt_canonical(char *out, double v);

/* Escaping as the exposition formats require: text 0.0.4 HELP (backslash, line feed),
 * OpenMetrics HELP and label values in both formats (backslash, double quote, line feed). */
void promc__put_escaped_help(promc_buf *b, const char *s);
void promc__put_escaped_help_om(promc_buf *b, const char *s);
void promc__put_escaped_label(promc_buf *b, const char *s);

#endif /* PROMC_FMT_H */
