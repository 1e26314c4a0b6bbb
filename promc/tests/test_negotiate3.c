/* test_negotiate3.c -- unit tests of negotiate3.c: real scrapers' Accept headers, q-values,
 * escaping parameters and their default, Content-Type strings, and model.EscapeName's schemes.
 * The two Prometheus 2.42 headers are the strings in Debian's /usr/bin/prometheus 2.42.0
 * (`strings /usr/bin/prometheus | grep q=0.1`); Prometheus 3's is its documented default.
 */
#include "check.h"
#include "negotiate3.h"

static const struct {
    const char *who, *accept;
    int protobuf;
    enum promc__neg3_format format;
    enum promc__neg3_escaping escaping;
    const char *content_type;
} cases[] = {
    {"prometheus 3 default",
     "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/"
     "openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
     "text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
     1, PROMC__NEG3_OPENMETRICS_1_0_0, PROMC__NEG3_ESC_ALLOW_UTF8,
     "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"},
    {"prometheus 2.42 default",
     "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
     1, PROMC__NEG3_OPENMETRICS_1_0_0, PROMC__NEG3_ESC_UNDERSCORES,
     "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"},
    {"prometheus 2.42 --enable-feature=native-histograms",
     "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
     "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;"
     "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
     1, PROMC__NEG3_PROTOBUF_DELIMITED, PROMC__NEG3_ESC_UNDERSCORES,
     "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
     "encoding=delimited; escaping=underscores"},
    {"same, protobuf not offered by the registry",
     "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
     "application/openmetrics-text;version=1.0.0;q=0.8,*/*;q=0.1",
     0, PROMC__NEG3_OPENMETRICS_1_0_0, PROMC__NEG3_ESC_UNDERSCORES, NULL},
    {"curl", "*/*", 1, PROMC__NEG3_TEXT_0_0_4, PROMC__NEG3_ESC_UNDERSCORES,
     "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"},
    {"no header", NULL, 1, PROMC__NEG3_TEXT_0_0_4, PROMC__NEG3_ESC_UNDERSCORES, NULL},
    {"text 1.0.0 with values", "text/plain; version=1.0.0; escaping=values", 1,
     PROMC__NEG3_TEXT_1_0_0, PROMC__NEG3_ESC_VALUES,
     "text/plain; version=1.0.0; charset=utf-8; escaping=values"},
    {"dots, quoted, spaces", "text/plain ; version=\"1.0.0\" ; escaping=dots", 1,
     PROMC__NEG3_TEXT_1_0_0, PROMC__NEG3_ESC_DOTS, NULL},
    {"unknown escaping is the default", "text/plain;version=1.0.0;escaping=klingon", 1,
     PROMC__NEG3_TEXT_1_0_0, PROMC__NEG3_ESC_UNDERSCORES, NULL},
    {"q=0 excluded, later wins", "application/openmetrics-text;version=1.0.0;q=0,text/plain;q=0.1",
     1, PROMC__NEG3_TEXT_0_0_4, PROMC__NEG3_ESC_UNDERSCORES, NULL},
    {"higher q later wins", "text/plain;version=0.0.4;q=0.2,application/openmetrics-text;q=0.9", 1,
     PROMC__NEG3_OPENMETRICS_0_0_1, PROMC__NEG3_ESC_UNDERSCORES,
     "application/openmetrics-text; version=0.0.1; charset=utf-8; escaping=underscores"},
    {"tie: more specific wins", "*/*,text/plain;version=1.0.0", 1, PROMC__NEG3_TEXT_1_0_0,
     PROMC__NEG3_ESC_UNDERSCORES, NULL},
    {"unknown version skipped", "text/plain;version=9.9.9,application/openmetrics-text;q=0.1", 1,
     PROMC__NEG3_OPENMETRICS_0_0_1, PROMC__NEG3_ESC_UNDERSCORES, NULL},
    {"protobuf text encoding not served",
     "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text,"
     "text/plain;version=1.0.0;q=0.1",
     1, PROMC__NEG3_TEXT_1_0_0, PROMC__NEG3_ESC_UNDERSCORES, NULL},
};

static void test_choose(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        promc__neg3_choice c = promc__neg3_choose(cases[i].accept, cases[i].protobuf);
        if (c.format != cases[i].format || c.escaping != cases[i].escaping)
            fprintf(stderr, "case '%s': format %d escaping %d\n", cases[i].who, c.format,
                    c.escaping);
        CHECK_INT(c.format, cases[i].format);
        CHECK_INT(c.escaping, cases[i].escaping);
        if (cases[i].content_type)
            CHECK_STR(promc__neg3_content_type(c), cases[i].content_type);
        printf("ok: %s -> %s\n", cases[i].who, promc__neg3_content_type(c));
    }
    CHECK_DBL(promc__neg3_choose("text/plain;q=0.3", 1).q, 0.3);
}

static const char *esc(const char *name, enum promc__neg3_escaping e) {
    static char buf[256];
    promc__neg3_escape_name(name, e, buf, sizeof buf);
    return buf;
}

static void test_escape(void) {
    /* The documents' examples. */
    CHECK_STR(esc("metric.name/with/slashes", PROMC__NEG3_ESC_UNDERSCORES),
              "metric_name_with_slashes");
    CHECK_STR(esc("metric.name.with.dots", PROMC__NEG3_ESC_DOTS),
              "metric_dot_name_dot_with_dot_dots");
    CHECK_STR(esc("metric.name", PROMC__NEG3_ESC_VALUES), "U__metric_2e_name");
    /* model.EscapeName's rules: legacy names are left alone except by dots, which doubles
     * underscores; values doubles underscores, hex without padding, lower case. */
    CHECK_STR(esc("http_requests_total", PROMC__NEG3_ESC_VALUES), "http_requests_total");
    CHECK_STR(esc("http_requests_total", PROMC__NEG3_ESC_UNDERSCORES), "http_requests_total");
    CHECK_STR(esc("a_b", PROMC__NEG3_ESC_DOTS), "a__b");
    CHECK_STR(esc("a_b.c", PROMC__NEG3_ESC_VALUES), "U__a__b_2e_c");
    CHECK_STR(esc("0abc", PROMC__NEG3_ESC_UNDERSCORES), "_abc");
    CHECK_STR(esc("0abc", PROMC__NEG3_ESC_VALUES), "U___30_abc");
    CHECK_STR(esc("a-b", PROMC__NEG3_ESC_DOTS), "a__b");
    CHECK_STR(esc("\xc3\xa9t\xc3\xa9", PROMC__NEG3_ESC_UNDERSCORES), "_t_");
    CHECK_STR(esc("\xc3\xa9t\xc3\xa9", PROMC__NEG3_ESC_VALUES), "U___e9_t_e9_");
    CHECK_STR(esc("\xe2\x82\xac", PROMC__NEG3_ESC_VALUES), "U___20ac_");
    CHECK_STR(esc("\xf0\x9f\x94\xa5x", PROMC__NEG3_ESC_VALUES), "U___1f525_x");
    CHECK_STR(esc("a\xffz", PROMC__NEG3_ESC_VALUES), "U__a_fffd_z");
    CHECK_STR(esc("my.metric", PROMC__NEG3_ESC_ALLOW_UTF8), "my.metric");
    CHECK_STR(esc("", PROMC__NEG3_ESC_VALUES), "");
    char small[6];
    CHECK_INT(promc__neg3_escape_name("metric.name", PROMC__NEG3_ESC_VALUES, small, sizeof small),
              17);
    CHECK_STR(small, "U__me");
}

int main(void) {
    test_choose();
    test_escape();
    return check_report("negotiate3");
}
