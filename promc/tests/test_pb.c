/* test_pb.c -- unit tests of pb.c: the wire bytes of small MetricFamily messages (hand-encoded
 * from metrics.proto's field numbers), zigzag for sint fields, and the length prefix that grows
 * past one byte (the memmove path). pb_protoc.sh decodes larger output with protoc.
 */
#include "check.h"
#include "pb.h"

static int bytes_eq(const promc__pb_buf *b, const unsigned char *want, size_t n) {
    if (b->len != n || memcmp(b->p, want, n) != 0) {
        for (size_t i = 0; i < b->len; i++)
            fprintf(stderr, "%02x ", b->p[i]);
        fprintf(stderr, "\n");
        return 0;
    }
    return 1;
}

static void test_gauge(void) {
    promc__pb_metric m = {.value = 1.0};
    promc__pb_family f = {.name = "g", .type = PROMC__PB_GAUGE, .metrics = &m, .n_metrics = 1};
    promc__pb_buf b = {0};
    CHECK_INT(promc__pb_family_delimited(&b, &f), 0);
    /* len 18 | name "g" | type 1 | metric{ gauge{ value 1.0 } } */
    static const unsigned char want[] = {0x12, 0x0a, 0x01, 'g', 0x18, 0x01, 0x22, 0x0b, 0x12, 0x09,
                                         0x09, 0,    0,    0,   0,    0,    0,    0xf0, 0x3f};
    CHECK(bytes_eq(&b, want, sizeof want));
    promc__pb_buf_free(&b);
}

static void test_counter_labels(void) {
    promc__pb_label l = {"a", "b"};
    promc__pb_metric m = {.labels = &l, .n_labels = 1, .value = 0};
    promc__pb_family f = {
        .name = "c", .help = "h", .type = PROMC__PB_COUNTER, .metrics = &m, .n_metrics = 1};
    promc__pb_buf b = {0};
    promc__pb_family_delimited(&b, &f);
    static const unsigned char want[] = {
        0x1d, 0x0a, 0x01, 'c',  0x12, 0x01, 'h',  0x18, 0x00, 0x22, 0x13, /* metric, 19 bytes */
        0x0a, 0x06, 0x0a, 0x01, 'a',  0x12, 0x01, 'b',                    /* label a="b" */
        0x1a, 0x09, 0x09, 0,    0,    0,    0,    0,    0,    0,    0};   /* counter{value 0} */
    CHECK(bytes_eq(&b, want, sizeof want));
    promc__pb_buf_free(&b);
}

static void test_native_zigzag(void) {
    promc__pb_span s = {-7, 2};
    int64_t d[] = {3, -1};
    promc__pb_native n = {.schema = -4,
                          .zero_threshold = 0,
                          .zero_count = 1,
                          .pos_spans = &s,
                          .n_pos_spans = 1,
                          .pos_deltas = d,
                          .n_pos_deltas = 2};
    promc__pb_metric m = {.count = 3, .sum = 0, .native = &n};
    promc__pb_family f = {.name = "h", .type = PROMC__PB_HISTOGRAM, .metrics = &m, .n_metrics = 1};
    promc__pb_buf b = {0};
    promc__pb_family_delimited(&b, &f);
    static const unsigned char hist[] = {
        0x3a, 0x22, 0x08, 0x03, 0x11, 0,    0, 0, 0, 0,    0,    0, 0, /* count 3, sum 0 */
        0x28, 0x07,                                                    /* schema -4 zigzag 7 */
        0x31, 0,    0,    0,    0,    0,    0, 0, 0, 0x38, 0x01, /* zero threshold, zero count */
        0x62, 0x04, 0x08, 0x0d, 0x10, 0x02,                      /* span{-7 zigzag 13, 2} */
        0x68, 0x06, 0x68, 0x01};                                 /* deltas 3, -1 */
    if (!(b.len > sizeof hist && memcmp(b.p + b.len - sizeof hist, hist, sizeof hist) == 0))
        bytes_eq(&b, hist, 0);
    CHECK(b.len > sizeof hist && memcmp(b.p + b.len - sizeof hist, hist, sizeof hist) == 0);
    promc__pb_buf_free(&b);
}

static void test_long_prefix(void) {
    char help[301];
    memset(help, 'x', 300);
    help[300] = 0;
    promc__pb_metric m = {.value = 2};
    promc__pb_family f = {
        .name = "g", .help = help, .type = PROMC__PB_GAUGE, .metrics = &m, .n_metrics = 1};
    promc__pb_buf b = {0};
    promc__pb_family_delimited(&b, &f);
    /* body: name 3 + help 3+300 + type 2 + metric 13 = 321 = 0xc1 0x02 */
    CHECK_INT(b.len, 2 + 321);
    CHECK_INT(b.p[0], 0xc1);
    CHECK_INT(b.p[1], 0x02);
    CHECK_INT(b.p[2], 0x0a);
    CHECK_INT(b.p[5], 0x12);
    CHECK_INT(b.p[6], 0xac); /* help length 300 = 0xac 0x02 */
    CHECK_INT(b.p[7], 0x02);
    CHECK_INT(b.p[8], 'x');
    CHECK_INT(b.p[b.len - 1], 0x40); /* 2.0's top byte, at the very end */
    promc__pb_buf_free(&b);
}

int main(void) {
    test_gauge();
    test_counter_labels();
    test_native_zigzag();
    test_long_prefix();
    return check_report("pb");
}
