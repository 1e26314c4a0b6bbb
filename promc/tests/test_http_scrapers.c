/* test_http_scrapers.c -- what real scrapers get from promc_http_handle on a real libmicrohttpd
 * server: a table of the Accept headers Prometheus 2.x (default, and 2.42 with
 * --enable-feature=native-histograms), Prometheus 3.x (default, and scrape_protocols with
 * protobuf first), curl, a browser and VictoriaMetrics' vmagent send (Grafana Alloy's
 * prometheus.scrape uses Prometheus' scrape code, so it sends Prometheus' headers), each checked
 * for the negotiated format (Content-Type with version and escaping, and the body's shape) and
 * for the names the escaping asks for (a registry with a UTF-8 name). */
#include "check.h"
#include "http_check.h"
#include "promc.h"
#include "promc_http.h"

#include <stdbool.h>
#include <stdlib.h>

#define PROTOBUF_CT                                                                                \
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
#define OM_CT   "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define TEXT_CT "text/plain; version=0.0.4; charset=utf-8"
#define T1_CT   "text/plain; version=1.0.0; charset=utf-8"

enum shape { TEXT, OPENMETRICS, PROTOBUF };

static const struct scraper {
    const char *who, *accept;
    const char *content_type;
    enum shape shape;
    const char *name_seen; /* how the UTF-8 name "my.metric" shows */
} scrapers[] = {
    {"Prometheus 2.x default (2.42 without native histograms)",
     "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
     "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
     OM_CT "; escaping=underscores", OPENMETRICS, "my_metric{"},
    {"Prometheus 2.42 --enable-feature=native-histograms",
     "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
     "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;"
     "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
     PROTOBUF_CT "; escaping=underscores", PROTOBUF, "my_metric"},
    {"Prometheus 3.x default",
     "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/"
     "openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
     "text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
     OM_CT "; escaping=allow-utf-8", OPENMETRICS, "{\"my.metric\","},
    /* scrape_protocols: [PrometheusProto, OpenMetricsText1.0.0, PrometheusText0.0.4]; Prometheus
     * adds escaping= to the text 1.0.0 formats only, so protobuf gets the default */
    {"Prometheus 3.x scrape_protocols with PrometheusProto first",
     "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;"
     "q=0.5,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;"
     "version=0.0.4;q=0.3,*/*;q=0.2",
     PROTOBUF_CT "; escaping=underscores", PROTOBUF, "my_metric"},
    {"Prometheus 3.x scrape_protocols with PrometheusText1.0.0 first",
     "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;"
     "version=1.0.0;escaping=allow-utf-8;q=0.4,*/*;q=0.3",
     T1_CT "; escaping=allow-utf-8", TEXT, "{\"my.metric\","},
    {"curl", "*/*", TEXT_CT "; escaping=underscores", TEXT, "my_metric{"},
    {"no Accept header", NULL, TEXT_CT "; escaping=underscores", TEXT, "my_metric{"},
    {"Firefox/Chromium page load",
     "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
     TEXT_CT "; escaping=underscores", TEXT, "my_metric{"},
    {"VictoriaMetrics vmagent", "text/plain;version=0.0.4;q=1,*/*;q=0.1",
     TEXT_CT "; escaping=underscores", TEXT, "my_metric{"},
    {"text 1.0.0 asking for dots", "text/plain;version=1.0.0;escaping=dots",
     T1_CT "; escaping=dots", TEXT, "my_dot_metric{"},
    {"text 1.0.0 asking for values", "text/plain;version=1.0.0;escaping=values",
     T1_CT "; escaping=values", TEXT, "U__my_2e_metric{"},
};

static bool body_has(const response *r, const char *needle) {
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= r->body_len; i++)
        if (memcmp(r->body + i, needle, m) == 0)
            return true;
    return false;
}

static void check_scraper(uint16_t port, const struct scraper *s) {
    char extra[1024] = "";
    if (s->accept)
        snprintf(extra, sizeof extra, "Accept: %s\r\n", s->accept);
    response r;
    CHECK_INT(http(port, "GET", "/metrics", extra, &r), 0);
    CHECK_INT(r.status, 200);
    const char *ct = header(&r, "Content-Type");
    if (strcmp(ct, s->content_type) != 0)
        fprintf(stderr, "%s: Content-Type %s, want %s\n", s->who, ct, s->content_type);
    CHECK_STR(ct, s->content_type);
    switch (s->shape) {
    case PROTOBUF:
        /* a varint length, then field 1 (name) of the first MetricFamily */
        CHECK(r.body_len > 2 && (unsigned char)r.body[1] == 0x0a);
        CHECK(!body_has(&r, "# TYPE"));
        break;
    case OPENMETRICS:
        CHECK(r.body_len > 6 && memcmp(r.body + r.body_len - 6, "# EOF\n", 6) == 0);
        break;
    case TEXT:
        CHECK(r.body_len > 7 && memcmp(r.body, "# HELP ", 7) == 0);
        CHECK(!body_has(&r, "# EOF"));
        break;
    }
    if (!body_has(&r, s->name_seen))
        fprintf(stderr, "%s: body lacks %s\n", s->who, s->name_seen);
    CHECK(body_has(&r, s->name_seen));
    free(r.body);
    printf("ok: %s -> %s\n", s->who, s->content_type);
}

int main(void) {
    promc_registry *reg = promc_registry_new();
    CHECK_INT(promc_registry_set_utf8_names(reg, 1), 0);
    promc_gauge *g = promc_gauge_new(reg, "my.metric", "A UTF-8 name.", PROMC_LABELS("code"));
    promc_gauge_set(promc_gauge_labels(g, "200"), 1);
    promc_counter_inc(promc_counter_new(reg, "requests", "Requests.", NULL));
    promc_http_server *srv = promc_http_start(reg, "127.0.0.1", 0, NULL);
    CHECK(srv != NULL);
    if (!srv)
        return check_report("http_scrapers");
    uint16_t port = promc_http_port(srv);
    for (size_t i = 0; i < sizeof scrapers / sizeof scrapers[0]; i++)
        check_scraper(port, &scrapers[i]);

    /* protobuf is gzipped as the text formats are */
    response r;
    CHECK_INT(http(port, "GET", "/metrics",
                   "Accept: application/vnd.google.protobuf;proto=io.prometheus.client."
                   "MetricFamily;encoding=delimited\r\nAccept-Encoding: gzip\r\n",
                   &r),
              0);
    CHECK_STR(header(&r, "Content-Encoding"), "gzip");
    CHECK_STR(header(&r, "Content-Type"), PROTOBUF_CT "; escaping=underscores");
    CHECK(r.body_len > 2 && (unsigned char)r.body[0] == 0x1f && (unsigned char)r.body[1] == 0x8b);
    free(r.body);
    printf("ok: protobuf answers are gzipped when Accept-Encoding allows\n");

    promc_http_stop(srv);
    promc_registry_free(reg);
    return check_report("http_scrapers");
}
