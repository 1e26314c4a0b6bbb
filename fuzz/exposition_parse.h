/* exposition_parse.h -- a small strict parser for the Prometheus text format 0.0.4 and
 * OpenMetrics 1.0, used by the fuzz target to read promc's output back.
 *
 * It is independent of promc (no promc header, no promc code) so that it can judge promc's
 * output. It is stricter than the specs where promc never needs the freedom, so that any
 * deviation shows up: single spaces between tokens, no blank lines, no comments other than
 * HELP/TYPE (and UNIT/EOF in OpenMetrics), no trailing comma in label sets, and the number
 * spellings NaN, +Inf and -Inf only. Everything the specs forbid is rejected: bad names, bad
 * escapes, invalid UTF-8, duplicate metadata, a family split in two, a series listed twice, a
 * sample name that does not belong to its family's type, a missing or misplaced "# EOF".
 */
#ifndef EXPOSITION_PARSE_H
#define EXPOSITION_PARSE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum expo_format {
    EXPO_TEXT,        /* text/plain; version=0.0.4 */
    EXPO_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
} expo_format;

/* A parsed string: unescaped bytes, NUL-terminated (the parser rejects NUL bytes in input). */
typedef struct expo_str {
    char *data;
    size_t len;
} expo_str;

typedef struct expo_label {
    expo_str name, value;
} expo_label;

typedef struct expo_labelset {
    expo_label *labels;
    size_t n;
} expo_labelset;

typedef struct expo_sample {
    expo_str name;
    expo_labelset labels;
    double value;
    size_t family; /* index into expo_doc.families */
    bool has_timestamp;
    double timestamp; /* text: milliseconds; OpenMetrics: seconds */
    bool has_exemplar;
    expo_labelset exemplar_labels;
    double exemplar_value;
    bool exemplar_has_timestamp;
    double exemplar_timestamp;
} expo_sample;

typedef struct expo_family {
    expo_str name;
    char type[16]; /* "untyped" (text) / "unknown" (OpenMetrics) when there is no TYPE line */
    bool has_type, has_help, has_unit;
    expo_str help; /* empty when there is no HELP line */
    expo_str unit;
    size_t first_sample, nsamples; /* a family's samples are contiguous */
} expo_family;

typedef struct expo_doc {
    expo_family *families;
    size_t nfamilies, families_cap;
    expo_sample *samples;
    size_t nsamples, samples_cap;
} expo_doc;

/* Parses buf[0..len) in the given format into *doc (which the caller zero-initialises and frees
 * with expo_doc_free, also after a failure). Returns 0, or -1 with a message ("line N: ...")
 * in err[errlen]. */
int expo_parse(const char *buf, size_t len, expo_format fmt, expo_doc *doc, char *err,
               size_t errlen);
void expo_doc_free(expo_doc *doc);

/* The family called name, or NULL. */
const expo_family *expo_find_family(const expo_doc *doc, const char *name);
/* The value of label name in a set, or NULL. */
const expo_str *expo_label_value(const expo_labelset *set, const char *name);

/* Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
 * Written apart from promc's own check (it decodes code points) to judge it. */
bool expo_utf8_valid(const char *s, size_t len);
/* Code points in a valid UTF-8 string. */
size_t expo_utf8_runes(const char *s, size_t len);

#endif /* EXPOSITION_PARSE_H */
