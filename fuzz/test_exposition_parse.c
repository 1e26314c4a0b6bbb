/* test_exposition_parse.c -- the fuzz target's parser accepts well-formed expositions, unescapes
 * them exactly, and rejects every malformation it exists to catch. A parser that accepted too
 * much would let escaping bugs through the fuzz target unseen.
 */
#include "exposition_parse.h"

#include <stdio.h>
#include <string.h>

static int total, failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        total++;                                                                                   \
        if (!(cond)) {                                                                             \
            failed++;                                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

typedef struct tcase {
    expo_format fmt;
    const char *in;
    int ok;
    size_t len; /* 0: strlen(in) */
} tcase;

#define T  EXPO_TEXT
#define OM EXPO_OPENMETRICS

static const tcase cases[] = {
    /* Well-formed. */
    {T, "", 1},
    {T, "# HELP a x\n# TYPE a gauge\na 1\n", 1},
    {T, "# HELP a\n# TYPE a gauge\na{b=\"\"} -0\n", 1},
    {T, "# HELP a back\\\\slash \\n \"q\"\n# TYPE a counter\na{l=\"\\\\\\\"\\n\"} 1e+20 123\n", 1},
    {T, "# TYPE h histogram\nh_bucket{le=\"1.0\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 5\n",
     1},
    {T, "x NaN\ny +Inf\nz -Inf\nw .5\nv 5.\n", 1},
    {OM, "# EOF\n", 1},
    {OM, "# EOF", 1},
    {OM,
     "# TYPE c counter\n# HELP c a \\\"q\\\"\nc_total{a=\"\\n\"} 1 # {t=\"x\"} 1 1.5\n"
     "c_created 1.7e9\n# EOF\n",
     1},
    {OM, "# TYPE g_bytes gauge\n# UNIT g_bytes bytes\ng_bytes{} 1\n# EOF\n", 1},
    {OM, "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_count 1\ns_sum 1\n# EOF\n", 1},
    /* Escapes. */
    {T, "# HELP a \\t\n", 0},
    {T, "# HELP a \\\"\n", 0},
    {T, "# HELP a trailing\\\n", 0},
    {OM, "# HELP a bare \" quote\n# EOF\n", 0},
    {T, "a{l=\"\\t\"} 1\n", 0},
    {T, "a{l=\"raw\nfeed\"} 1\n", 0},
    {T, "a{l=\"unterminated} 1\n", 0},
    {T, "a{l=\"x\"\"} 1\n", 0},
    /* UTF-8 and NUL. */
    {T, "# HELP a \xc0\x80\n", 0},
    {T, "a{l=\"\xed\xa0\x80\"} 1\n", 0},
    {T, "a{l=\"\xf4\x90\x80\x80\"} 1\n", 0},
    {T, "a{l=\"\xe2\x82\"} 1\n", 0},
    {T, "a 1\n\0", 0, 5},
    /* Names, label sets, numbers. */
    {T, "1a 1\n", 0},
    {T, "a{1b=\"x\"} 1\n", 0},
    {T, "a{b:c=\"x\"} 1\n", 0},
    {T, "a{b=\"x\",} 1\n", 0},
    {T, "a{b=\"x\",b=\"y\"} 1\n", 0},
    {T, "a{b=x} 1\n", 0},
    {T, "a  1\n", 0},
    {T, "a 1 \n", 0},
    {T, "a nan\n", 0},
    {T, "a Inf\n", 0},
    {T, "a 0x10\n", 0},
    {T, "a 1e\n", 0},
    {T, "a 1e999\n", 0},
    {T, "a 1 1.5\n", 0},
    {T, "a 1", 0},
    {T, "a 1\n\n", 0},
    /* Structure. */
    {T, "# HELP a x\n# HELP a y\n", 0},
    {T, "# TYPE a gauge\n# TYPE a counter\n", 0},
    {T, "# TYPE a gauge\na 1\n# HELP a late\n", 0},
    {T, "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"1\"} 2\n", 0},
    {T, "a 1\na 2\n", 0},
    {T, "# TYPE a counter\na_total 1\n", 0},
    {T, "# TYPE a sometype\n", 0},
    {T, "# a comment\n", 0},
    {T, "# EOF\n", 0},
    {T, "# TYPE h histogram\nh_bucket 1\n", 0},
    {T, "# TYPE h histogram\nh_count{le=\"1\"} 1\n", 0},
    {T, "a 1 # {t=\"x\"} 1\n", 0},
    {OM, "a 1\n", 0},
    {OM, "# EOF\na 1\n", 0},
    {OM, "# EOF\n\n", 0},
    {OM, "# TYPE c counter\nc 1\n# EOF\n", 0},
    {OM, "# TYPE g gauge\ng 1 # {t=\"x\"} 1\n# EOF\n", 0},
    {OM,
     "# TYPE c counter\nc_total 1 # {t=\"" /* 129 code points with the name */
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"} 1\n# EOF\n",
     0},
    {OM, "# TYPE g_bytes gauge\n# UNIT g_bytes seconds\n# EOF\n", 0},
    {OM, "# HELP a\n# EOF\n", 0},
    {OM, "# TYPE s summary\ns 1\n# EOF\n", 0},
};

static size_t case_len(const tcase *t) {
    return t->len ? t->len : strlen(t->in);
}

static void test_table(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expo_doc doc = {0};
        char err[256];
        int rc = expo_parse(cases[i].in, case_len(&cases[i]), cases[i].fmt, &doc, err, sizeof err);
        if ((rc == 0) != cases[i].ok)
            fprintf(stderr, "case %zu (%s) %s: %s\n", i, cases[i].fmt == T ? "text" : "om",
                    cases[i].ok ? "rejected" : "accepted", rc ? err : "");
        CHECK((rc == 0) == cases[i].ok);
        expo_doc_free(&doc);
    }
}

static void test_unescaping(void) {
    const char *in = "# HELP m a\\\\b\\nc \"d\"\n# TYPE m gauge\n"
                     "m{x=\"1\\\\2\\\"3\\n4\",y=\"\xe2\x82\xac\"} -1.5e-7\n";
    expo_doc doc = {0};
    char err[256];
    CHECK(expo_parse(in, strlen(in), EXPO_TEXT, &doc, err, sizeof err) == 0);
    const expo_family *f = expo_find_family(&doc, "m");
    CHECK(f && f->has_help && f->help.len == 9 && memcmp(f->help.data, "a\\b\nc \"d\"", 9) == 0);
    CHECK(f && strcmp(f->type, "gauge") == 0 && f->nsamples == 1);
    CHECK(doc.nsamples == 1);
    if (doc.nsamples == 1) {
        const expo_str *x = expo_label_value(&doc.samples[0].labels, "x");
        const expo_str *y = expo_label_value(&doc.samples[0].labels, "y");
        CHECK(x && x->len == 7 && memcmp(x->data, "1\\2\"3\n4", 7) == 0);
        CHECK(y && strcmp(y->data, "\xe2\x82\xac") == 0);
        CHECK(doc.samples[0].value == -1.5e-7);
    }
    expo_doc_free(&doc);
}

static void test_utf8(void) {
    CHECK(expo_utf8_valid("", 0));
    CHECK(expo_utf8_valid("\xf4\x8f\xbf\xbf", 4));  /* U+10FFFF */
    CHECK(expo_utf8_valid("\xed\x9f\xbf", 3));      /* U+D7FF */
    CHECK(!expo_utf8_valid("\xed\xa0\x80", 3));     /* U+D800 */
    CHECK(!expo_utf8_valid("\xe0\x9f\xbf", 3));     /* overlong U+07FF */
    CHECK(!expo_utf8_valid("\xf0\x8f\xbf\xbf", 4)); /* overlong U+FFFF */
    CHECK(!expo_utf8_valid("\xc1\xbf", 2));         /* overlong U+007F */
    CHECK(!expo_utf8_valid("\xf4\x90\x80\x80", 4)); /* U+110000 */
    CHECK(!expo_utf8_valid("\xc3", 1));
    CHECK(!expo_utf8_valid("\x80", 1));
    CHECK(expo_utf8_runes("a\xc3\xa9\xf0\x9f\x98\x80", 7) == 3);
}

int main(void) {
    test_table();
    test_unescaping();
    test_utf8();
    printf("test_exposition_parse: %d checks, %d failed\n", total, failed);
    return failed != 0;
}
