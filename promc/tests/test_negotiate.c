/* test_negotiate.c -- Accept and Accept-Encoding negotiation: q-values, parameters, wildcards,
 * the Accept headers real scrapers send, and the exact Content-Type strings. */
#include "check.h"
#include "gzip_internal.h"
#include "promc.h"
#include "negotiate.h"

#include <stdlib.h>
#include <zlib.h>

#define TEXT PROMC_FORMAT_TEXT
#define OM   PROMC_FORMAT_OPENMETRICS

static void test_content_types(void) {
    CHECK_STR(promc_content_type(TEXT), "text/plain; version=0.0.4; charset=utf-8");
    CHECK_STR(promc_content_type(OM), "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

static void test_accept(void) {
    static const struct {
        const char *accept;
        promc_format want;
    } cases[] = {
        {NULL, TEXT},
        {"", TEXT},
        {"*/*", TEXT},
        {"text/plain", TEXT},
        {"application/json", TEXT}, /* nothing we speak: text anyway */
        {"application/openmetrics-text", OM},
        {"APPLICATION/OpenMetrics-Text", OM},
        {"application/openmetrics-text; version=1.0.0", OM},
        {"application/openmetrics-text;version=0.0.1", OM},
        {"application/openmetrics-text; version=\"1.0.0\"; charset=utf-8", OM},
        {"application/openmetrics-text; version=2.0.0", TEXT}, /* a version we do not speak */
        {"application/openmetrics-text;q=0", TEXT},
        {"application/openmetrics-text;q=0.0, */*", TEXT},
        {"application/*", OM},
        {"text/*;q=0.5, application/*;q=0.6", OM},
        {"text/plain;q=0.5, application/openmetrics-text;q=0.4", TEXT},
        {"text/plain;q=0.5, application/openmetrics-text;q=0.6", OM},
        {"text/plain ; q=0.9 , application/openmetrics-text ; q=1", OM},
        {"application/openmetrics-text, text/plain", OM}, /* equal q: first named */
        {"text/plain, application/openmetrics-text", TEXT},
        {"*/*;q=0.8, application/openmetrics-text;q=0.5", TEXT},
        {"application/openmetrics-text, */*", OM}, /* equal q: the specific range */
        {"*/*, application/openmetrics-text", OM},
        {"application/openmetrics-text;q=bogus, text/plain;q=0.1", TEXT}, /* malformed range */
        {"application/openmetrics-text;q=1.5", TEXT},
        {"application/openmetrics-text;q=0.001", OM},
        /* More specific ranges override less specific ones, even with a lower q. */
        {"application/*;q=1, application/openmetrics-text;q=0, text/plain;q=0.1", TEXT},
        {",,, application/openmetrics-text;;", OM},
        {" ;;; application/openmetrics-text", TEXT}, /* no media type before the ; */
        {"garbage", TEXT},
        /* Prometheus 2.x */
        {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
         "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
         OM},
        /* Prometheus 3.x, with escaping parameters and the text 1.0.0 format */
        {"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/"
         "openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;"
         "q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
         OM},
        /* Prometheus with scrape_protocols: [PrometheusText0.0.4] */
        {"text/plain;version=0.0.4;q=1,*/*;q=0.1", TEXT},
        /* curl */
        {"*/*", TEXT},
        /* a browser */
        {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8", TEXT},
        /* protobuf first, which we do not speak; then OpenMetrics */
        {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
         "encoding=delimited;q=0.7,application/openmetrics-text;version=1.0.0;q=0.6,text/plain;"
         "version=0.0.4;q=0.3",
         OM},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        promc_format got = promc_negotiate(cases[i].accept);
        if (got != cases[i].want)
            fprintf(stderr, "Accept: %s\n", cases[i].accept ? cases[i].accept : "(none)");
        CHECK_INT(got, cases[i].want);
    }
}

static void test_qvalue(void) {
    CHECK_DBL(promc__parse_qvalue("1", 1), 1);
    CHECK_DBL(promc__parse_qvalue("0", 1), 0);
    CHECK_DBL(promc__parse_qvalue("0.5", 3), 0.5);
    CHECK_DBL(promc__parse_qvalue("0.125", 5), 0.125);
    CHECK_DBL(promc__parse_qvalue("1.000", 5), 1);
    CHECK_DBL(promc__parse_qvalue("1.", 2), 1);
    CHECK_DBL(promc__parse_qvalue("", 0), -1);
    CHECK_DBL(promc__parse_qvalue("2", 1), -1);
    CHECK_DBL(promc__parse_qvalue("1.5", 3), -1);
    CHECK_DBL(promc__parse_qvalue("0,5", 3), -1);
    CHECK_DBL(promc__parse_qvalue("-0", 2), -1);
    CHECK_DBL(promc__parse_qvalue("0.5x", 4), -1);
}

static void test_accept_encoding(void) {
    CHECK(!promc__accepts_gzip(NULL));
    CHECK(!promc__accepts_gzip(""));
    CHECK(promc__accepts_gzip("gzip"));
    CHECK(promc__accepts_gzip("GZIP"));
    CHECK(promc__accepts_gzip("x-gzip"));
    CHECK(promc__accepts_gzip("gzip, deflate, br"));
    CHECK(promc__accepts_gzip("deflate, gzip;q=1.0, *;q=0.5"));
    CHECK(promc__accepts_gzip("*"));
    CHECK(promc__accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
    CHECK(!promc__accepts_gzip("gzip;q=0"));
    CHECK(!promc__accepts_gzip("gzip;q=0.000"));
    CHECK(!promc__accepts_gzip("identity"));
    CHECK(!promc__accepts_gzip("deflate, br"));
    CHECK(!promc__accepts_gzip("*;q=0"));
    CHECK(!promc__accepts_gzip("gzip;q=0, *"));          /* explicit gzip beats * */
    CHECK(!promc__accepts_gzip("gzip;q=0.5, identity")); /* identity preferred */
    CHECK(promc__accepts_gzip("gzip;q=0.5, identity;q=0.5"));
    CHECK(promc__accepts_gzip(" gzip ; q=0.7 "));
    CHECK(!promc__accepts_gzip("gzipx"));
}

static void test_gzip_round_trip(void) {
    const char *text = "# TYPE a counter\na_total 1\n";
    size_t n = strlen(text);
    /* a large, repetitive input as well, several times the zlib window */
    size_t big_n = 1 << 20;
    char *big = malloc(big_n);
    for (size_t i = 0; i < big_n; i++)
        big[i] = "metric_bucket{le=\"0.5\"} 12345\n"[i % 31];
    const char *inputs[] = {text, "", big};
    size_t lens[] = {n, 0, big_n};
    for (int k = 0; k < 3; k++) {
        char *z = NULL;
        size_t zlen = 0;
        CHECK_INT(promc__gzip(inputs[k], lens[k], &z, &zlen), 0);
        CHECK(z && zlen >= 18 && (unsigned char)z[0] == 0x1f && (unsigned char)z[1] == 0x8b);
        /* inflate it back with zlib, gzip header expected (windowBits 15 + 16) */
        z_stream zs = {0};
        CHECK_INT(inflateInit2(&zs, 15 + 16), Z_OK);
        char *back = malloc(lens[k] + 1);
        zs.next_in = (Bytef *)z;
        zs.avail_in = (uInt)zlen;
        zs.next_out = (Bytef *)back;
        zs.avail_out = (uInt)lens[k] + 1;
        CHECK_INT(inflate(&zs, Z_FINISH), Z_STREAM_END);
        CHECK_INT(zs.total_out, lens[k]);
        CHECK(memcmp(back, inputs[k], lens[k]) == 0);
        inflateEnd(&zs);
        if (k == 2)
            printf("gzip: %zu bytes -> %zu bytes\n", lens[k], zlen);
        free(back);
        free(z);
    }
    free(big);
}

int main(void) {
    test_content_types();
    test_accept();
    test_qvalue();
    test_accept_encoding();
    test_gzip_round_trip();
    return check_report("negotiate");
}
