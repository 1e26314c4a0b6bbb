/* test_fmt.c -- number formatting (fmt.c): exact spellings, shortest round trip, canonical
 * le/quantile values and the output buffer. */
#include "check.h"
#include "fmt.h"

#include <locale.h>
#include <stdlib.h>

static char out[64];

static const char *fmt_value(double v) {
    size_t n = promc__fmt_double(out, v);
    out[n] = '\0';
    return out;
}

static const char *fmt_canon(double v) {
    size_t n = promc__fmt_canonical(out, v);
    out[n] = '\0';
    return out;
}

static const char *fmt_u64(uint64_t v) {
    size_t n = promc__fmt_u64(out, v);
    out[n] = '\0';
    return out;
}

static void test_values(void) {
    CHECK_STR(fmt_value(0), "0");
    CHECK_STR(fmt_value(-0.0), "-0");
    CHECK_STR(fmt_value(1), "1");
    CHECK_STR(fmt_value(-1), "-1");
    CHECK_STR(fmt_value(42), "42");
    CHECK_STR(fmt_value(0.5), "0.5");
    CHECK_STR(fmt_value(0.1), "0.1");
    CHECK_STR(fmt_value(0.1 + 0.2), "0.30000000000000004");
    CHECK_STR(fmt_value(-2.5), "-2.5");
    CHECK_STR(fmt_value(1e-4), "0.0001");
    CHECK_STR(fmt_value(5e-5), "5e-05");
    CHECK_STR(fmt_value(1.5e-7), "1.5e-07");
    CHECK_STR(fmt_value(123456789), "123456789");
    CHECK_STR(fmt_value(9007199254740992.0), "9007199254740992"); /* 2^53 */
    CHECK_STR(fmt_value(9007199254740994.0), "9007199254740994");
    CHECK_STR(fmt_value(1e15), "1000000000000000");
    CHECK_STR(fmt_value(1e16), "1e+16");
    CHECK_STR(fmt_value(1.2345e20), "1.2345e+20");
    CHECK_STR(fmt_value(-1e100), "-1e+100");
    CHECK_STR(fmt_value(1.7976931348623157e308), "1.7976931348623157e+308");
    CHECK_STR(fmt_value(-1.7976931348623157e308), "-1.7976931348623157e+308");
    CHECK_STR(fmt_value(2.2250738585072014e-308), "2.2250738585072014e-308");
    CHECK_STR(fmt_value(5e-324), "5e-324"); /* smallest subnormal */
    CHECK_STR(fmt_value(1732756000.123456), "1732756000.123456");
    CHECK_STR(fmt_value(-9223372036854775808.0), "-9.223372036854776e+18");
    CHECK_STR(fmt_value(18446744073709551615.0), "1.8446744073709552e+19");
    CHECK_STR(fmt_value(__builtin_nan("")), "NaN");
    CHECK_STR(fmt_value(-__builtin_nan("")), "NaN");
    CHECK_STR(fmt_value(__builtin_inf()), "+Inf");
    CHECK_STR(fmt_value(-__builtin_inf()), "-Inf");
}

static void test_canonical(void) {
    /* The examples of the OpenMetrics "Canonical Numbers" section, verbatim. */
    static const struct {
        double v;
        const char *s;
    } cases[] = {
        {0.0, "0.0"},       {0.001, "0.001"},     {0.002, "0.002"},
        {0.01, "0.01"},     {0.1, "0.1"},         {0.9, "0.9"},
        {0.95, "0.95"},     {0.99, "0.99"},       {0.999, "0.999"},
        {1.0, "1.0"},       {1.7, "1.7"},         {10.0, "10.0"},
        {1e-10, "1e-10"},   {1e-09, "1e-09"},     {1e-05, "1e-05"},
        {0.0001, "0.0001"}, {1e5, "100000.0"},    {1e6, "1e+06"},
        {1e10, "1e+10"},    {1e23, "1e+23"},      {1.1e23, "1.1e+23"},
        {0.005, "0.005"},   {0.025, "0.025"},     {7.5, "7.5"},
        {2.5, "2.5"},       {123456, "123456.0"}, {1234567, "1.234567e+06"},
        {-1, "-1.0"},       {-0.5, "-0.5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_STR(fmt_canon(cases[i].v), cases[i].s);
    CHECK_STR(fmt_canon(__builtin_inf()), "+Inf");
    CHECK_STR(fmt_canon(-__builtin_inf()), "-Inf");
    CHECK_STR(fmt_canon(__builtin_nan("")), "NaN");
    /* client_python's default buckets, as its text output spells them. */
    static const char *const defaults[] = {"0.005", "0.01", "0.025", "0.05", "0.075",
                                           "0.1",   "0.25", "0.5",   "0.75", "1.0",
                                           "2.5",   "5.0",  "7.5",   "10.0"};
    for (size_t i = 0; i < 14; i++)
        CHECK_STR(fmt_canon(promc_default_buckets[i]), defaults[i]);
}

static void test_u64(void) {
    CHECK_STR(fmt_u64(0), "0");
    CHECK_STR(fmt_u64(7), "7");
    CHECK_STR(fmt_u64(10), "10");
    CHECK_STR(fmt_u64(99), "99");
    CHECK_STR(fmt_u64(100), "100");
    CHECK_STR(fmt_u64(1234567890123ull), "1234567890123");
    CHECK_STR(fmt_u64(UINT64_MAX), "18446744073709551615");
}

/* Fewest significant digits with which "%.*e" reads back as v: the reference for shortest. */
static int reference_digits(double v) {
    char b[64];
    for (int p = 1; p <= 17; p++) {
        snprintf(b, sizeof b, "%.*e", p - 1, v);
        if (strtod(b, NULL) == v)
            return p;
    }
    return 17;
}

static int significant_digits(const char *s) {
    const char *e = strchr(s, 'e');
    const char *end = e ? e : s + strlen(s);
    if (!e && !strchr(s, '.'))
        while (end > s && end[-1] == '0') /* trailing zeros of an integer are not significant */
            end--;
    int n = 0;
    bool started = false;
    for (const char *p = s; p < end; p++) {
        if (*p >= '1' && *p <= '9')
            started = true;
        if (started && *p >= '0' && *p <= '9')
            n++;
    }
    return n;
}

/* Random doubles of every kind: each must read back exactly, be no longer than the shortest
 * %.Ne rendering, and fit in 32 bytes; the canonical form must read back too. */
static void test_round_trip(void) {
    uint64_t state = 0x9E3779B97F4A7C15ull;
    int failures = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        double v;
        switch (i % 3) {
        case 0:
            v = promc__u2d(state); /* any bit pattern */
            break;
        case 1:
            v = (double)(state % 100000000) / (double)(1 + (state >> 40) % 100000);
            break;
        default:
            v = (double)(state % 1000000) * 0.001;
            break;
        }
        if (v != v || v == __builtin_inf() || v == -__builtin_inf())
            continue;
        char a[40], c[40];
        size_t na = promc__fmt_double(a, v), nc = promc__fmt_canonical(c, v);
        a[na] = c[nc] = '\0';
        bool ok = na <= 32 && nc <= 32 && strtod(a, NULL) == v && strtod(c, NULL) == v &&
                  (v == 0 || significant_digits(a) <= reference_digits(v));
        if (!ok && failures++ < 10)
            fprintf(stderr, "round trip: %.17g -> \"%s\" / \"%s\"\n", v, a, c);
    }
    CHECK_INT(failures, 0);
    printf("round trip: %d random doubles checked\n", n);
}

/* A process whose locale writes decimal commas still renders points. */
static void test_locale(void) {
    const char *locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "C.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; i < 4 && !got; i++)
        got = setlocale(LC_NUMERIC, locales[i]);
    printf("locale: LC_NUMERIC=%s\n", got ? got : "C");
    CHECK_STR(fmt_value(0.25), "0.25");
    CHECK_STR(fmt_canon(2.5), "2.5");
    setlocale(LC_NUMERIC, "C");
}

static void test_buf(void) {
    promc_buf b = {0};
    for (int i = 0; i < 10000; i++)
        promc__buf_put(&b, "abcdefghij", 10);
    promc__buf_putc(&b, 'z');
    CHECK(!b.failed);
    CHECK_INT(b.len, 100001);
    CHECK(b.cap >= b.len);
    CHECK(memcmp(b.data + 99990, "abcdefghijz", 11) == 0);
    promc__buf_reserve(&b, SIZE_MAX); /* absurd request: fails cleanly */
    CHECK(b.failed);
    size_t len = b.len;
    promc__buf_put(&b, "x", 1); /* ignored once failed */
    CHECK_INT(b.len, len);
    free(b.data);
}

int main(void) {
    test_values();
    test_canonical();
    test_u64();
    test_round_trip();
    test_locale();
    test_buf();
    return check_report("fmt");
}
