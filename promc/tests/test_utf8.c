/* test_utf8.c -- UTF-8 metric and label names: refused (with a message naming the opt-in) unless
 * the registry allows them; written quoted under allow-utf-8 in text 0.0.4, 1.0.0 and
 * OpenMetrics, escaped by the underscores, dots and values schemes otherwise (model.EscapeName's
 * results), and carried escaped or raw in protobuf. */
#include "check.h"
#include "promc.h"

#include <stdbool.h>
#include <stdlib.h>

static char *render(promc_registry *r, promc_format fmt, promc_escaping esc, size_t *len) {
    char *out = NULL;
    size_t n = 0;
    CHECK_INT(promc_render_escaped(r, fmt, esc, &out, &n), 0);
    if (len)
        *len = n;
    return out;
}

static void expect(promc_registry *r, promc_format fmt, promc_escaping esc, const char *want) {
    char *got = render(r, fmt, esc, NULL);
    CHECK_STR(got, want);
    free(got);
}

static bool contains_bytes(const char *hay, size_t n, const char *needle) {
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

static void refused_without_opt_in(void) {
    promc_registry *r = promc_registry_new();
    CHECK(promc_gauge_new(r, "my.metric", "h", NULL) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK_CONTAINS(promc_last_error_message(), "promc_registry_set_utf8_names");
    CHECK(promc_gauge_new(r, "ok", "h", PROMC_LABELS("label.name")) == NULL);
    CHECK_INT(promc_last_error(), PROMC_EINVAL);
    CHECK_CONTAINS(promc_last_error_message(), "label.name");
    /* still refused with the opt-in: invalid UTF-8, empty, the reserved prefix */
    CHECK_INT(promc_registry_set_utf8_names(r, 1), 0);
    CHECK(promc_gauge_new(r, "bad\xff", "h", NULL) == NULL);
    CHECK(promc_gauge_new(r, "", "h", NULL) == NULL);
    CHECK(promc_gauge_new(r, "__x.y", "h", NULL) == NULL);
    CHECK(promc_gauge_new(r, "g", "h", PROMC_LABELS("__a.b")) == NULL);
    /* turning it off refuses new ones */
    CHECK(promc_gauge_new(r, "kept.one", "h", NULL) != NULL);
    CHECK_INT(promc_registry_set_utf8_names(r, 0), 0);
    CHECK(promc_gauge_new(r, "new.one", "h", NULL) == NULL);
    promc_registry_free(r);
    printf("ok: UTF-8 names refused without the opt-in, with a message naming it\n");
}

static promc_registry *utf8_registry(void) {
    promc_registry *r = promc_registry_new();
    CHECK_INT(promc_registry_set_utf8_names(r, 1), 0);
    promc_gauge *g =
        promc_gauge_new(r, "my.metric", "A \"dotted\" gauge.", PROMC_LABELS("label.name", "plain"));
    CHECK(g != NULL);
    promc_gauge_set(promc_gauge_labels(g, "v", "w"), 2);
    promc_counter *c = promc_counter_new(r, "req.count", "Requests.", NULL);
    promc_counter_add(c, 3);
    promc_gauge_set(promc_gauge_new(r, "legacy_name", "Plain.", NULL), 1);
    return r;
}

static void text_formats(void) {
    promc_registry *r = utf8_registry();
    const char *quoted = "# HELP legacy_name Plain.\n"
                         "# TYPE legacy_name gauge\n"
                         "legacy_name 1\n"
                         "# HELP \"my.metric\" A \"dotted\" gauge.\n"
                         "# TYPE \"my.metric\" gauge\n"
                         "{\"my.metric\",\"label.name\"=\"v\",plain=\"w\"} 2\n"
                         "# HELP \"req.count_total\" Requests.\n"
                         "# TYPE \"req.count_total\" counter\n"
                         "{\"req.count_total\"} 3\n";
    expect(r, PROMC_FORMAT_TEXT_1_0_0, PROMC_ESCAPING_ALLOW_UTF8, quoted);
    expect(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_ALLOW_UTF8, quoted);
    expect(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES,
           "# HELP legacy_name Plain.\n"
           "# TYPE legacy_name gauge\n"
           "legacy_name 1\n"
           "# HELP my_metric A \"dotted\" gauge.\n"
           "# TYPE my_metric gauge\n"
           "my_metric{label_name=\"v\",plain=\"w\"} 2\n"
           "# HELP req_count_total Requests.\n"
           "# TYPE req_count_total counter\n"
           "req_count_total 3\n");
    /* dots escapes underscores of legacy names too, as model.EscapeName does */
    expect(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_DOTS,
           "# HELP legacy__name Plain.\n"
           "# TYPE legacy__name gauge\n"
           "legacy__name 1\n"
           "# HELP my_dot_metric A \"dotted\" gauge.\n"
           "# TYPE my_dot_metric gauge\n"
           "my_dot_metric{label_dot_name=\"v\",plain=\"w\"} 2\n"
           "# HELP req_dot_count__total Requests.\n"
           "# TYPE req_dot_count__total counter\n"
           "req_dot_count__total 3\n");
    expect(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_VALUES,
           "# HELP legacy_name Plain.\n"
           "# TYPE legacy_name gauge\n"
           "legacy_name 1\n"
           "# HELP U__my_2e_metric A \"dotted\" gauge.\n"
           "# TYPE U__my_2e_metric gauge\n"
           "U__my_2e_metric{U__label_2e_name=\"v\",plain=\"w\"} 2\n"
           "# HELP U__req_2e_count__total Requests.\n"
           "# TYPE U__req_2e_count__total counter\n"
           "U__req_2e_count__total 3\n");
    char *om = render(r, PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_ALLOW_UTF8, NULL);
    CHECK_CONTAINS(om, "# TYPE \"my.metric\" gauge\n# HELP \"my.metric\" A \\\"dotted\\\" gauge.\n"
                       "{\"my.metric\",\"label.name\"=\"v\",plain=\"w\"} 2\n");
    CHECK_CONTAINS(om, "# TYPE \"req.count\" counter\n");
    CHECK_CONTAINS(om, "{\"req.count_total\"} 3\n");
    CHECK_CONTAINS(om, "{\"req.count_created\"} ");
    free(om);
    /* the default promc_render escapes with underscores */
    char *plain = NULL;
    CHECK_INT(promc_render(r, PROMC_FORMAT_TEXT, &plain, NULL), 0);
    CHECK_CONTAINS(plain, "my_metric{label_name=\"v\",plain=\"w\"} 2\n");
    free(plain);
    promc_registry_free(r);
    printf("ok: text 0.0.4, 1.0.0 and OpenMetrics quote under allow-utf-8, escape otherwise\n");
}

static void protobuf_names(void) {
    promc_registry *r = utf8_registry();
    size_t n;
    char *raw = render(r, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_ALLOW_UTF8, &n);
    CHECK(contains_bytes(raw, n, "\x0a\x09my.metric"));
    CHECK(contains_bytes(raw, n, "\x0a\x0alabel.name"));
    CHECK(contains_bytes(raw, n, "req.count_total"));
    free(raw);
    char *esc = render(r, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_UNDERSCORES, &n);
    CHECK(contains_bytes(esc, n, "\x0a\x09my_metric"));
    CHECK(contains_bytes(esc, n, "\x0a\x0alabel_name"));
    CHECK(!contains_bytes(esc, n, "my.metric"));
    free(esc);
    char *val = render(r, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_VALUES, &n);
    CHECK(contains_bytes(val, n, "U__my_2e_metric"));
    free(val);
    promc_registry_free(r);
    printf("ok: protobuf carries names raw under allow-utf-8, escaped otherwise\n");
}

static int utf8_collector(promc_collect_ctx *ctx, void *arg) {
    (void)arg;
    CHECK_INT(promc_collect_family(ctx, "coll.gauge", "From a collector.", PROMC_GAUGE,
                                   PROMC_LABELS("k.ey")),
              0);
    CHECK_INT(promc_collect_sample(ctx, PROMC_LABELS("v"), 7), 0);
    return 0;
}

static void collectors(void) {
    promc_registry *r = promc_registry_new();
    CHECK_INT(promc_collector_register(r, "c", utf8_collector, NULL), 0);
    CHECK_INT(promc_registry_set_utf8_names(r, 1), 0);
    char *t = render(r, PROMC_FORMAT_TEXT_1_0_0, PROMC_ESCAPING_ALLOW_UTF8, NULL);
    CHECK_CONTAINS(t, "{\"coll.gauge\",\"k.ey\"=\"v\"} 7\n");
    free(t);
    t = render(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES, NULL);
    CHECK_CONTAINS(t, "coll_gauge{k_ey=\"v\"} 7\n");
    free(t);
    promc_registry_free(r);
    printf("ok: collectors' UTF-8 families are quoted and escaped alike\n");
}

int main(void) {
    refused_without_opt_in();
    text_formats();
    protobuf_names();
    collectors();
    return check_report("utf8");
}
