/* test_lifecycle.c -- series that come and go: stale handles, slot reuse, info_set, TTL,
 * cardinality limits and their drop counters, plus the internal traps of issue 9 that sit on
 * the same paths (values_equal reading past a stored value, the TLS arena pointer of an
 * exiting thread).
 */
#include "check.h"
#include "family.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *render(promc_registry *r, promc_format fmt) {
    char *out = NULL;
    CHECK_INT(promc_render(r, fmt, &out, NULL), 0);
    return out ? out : calloc(1, 1);
}

static size_t count_of(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* ---- Stale handles ----------------------------------------------------------------------- */

static void test_stale_handles(void) {
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "st_c_total", "c", PROMC_LABELS("k"));
    promc_gauge *g = promc_gauge_new(r, "st_g", "g", PROMC_LABELS("k"));
    promc_histogram *h = promc_histogram_new(r, "st_h", "h", PROMC_LABELS("k"), NULL, 0);
    static const promc_quantile q[] = {{0.5, 0.05}};
    promc_summary *s = promc_summary_new(r, "st_s", "s", PROMC_LABELS("k"), q, 1, 0, 0);
    promc_enum *e = promc_enum_new(r, "st_e", "e", PROMC_LABELS("k"), PROMC_LABELS("a", "b"));
    promc_counter *cc = promc_counter_labels(c, "x");
    promc_gauge *gc = promc_gauge_labels(g, "x");
    promc_histogram *hc = promc_histogram_labels(h, "x");
    promc_summary *sc = promc_summary_labels(s, "x");
    promc_enum *ec = promc_enum_labels(e, "x");
    CHECK(cc && gc && hc && sc && ec);
    promc_counter_add(cc, 3);
    promc_gauge_set(gc, 4);
    promc_histogram_observe(hc, 0.2);
    promc_summary_observe(sc, 1);
    CHECK_INT(promc_remove(c, PROMC_LABELS("x")), 0);
    CHECK_INT(promc_remove(g, PROMC_LABELS("x")), 0);
    CHECK_INT(promc_remove(h, PROMC_LABELS("x")), 0);
    CHECK_INT(promc_remove(s, PROMC_LABELS("x")), 0);
    CHECK_INT(promc_remove(e, PROMC_LABELS("x")), 0);
    /* every update through a removed child's handle is refused and changes nothing */
    CHECK_INT(promc_counter_inc(cc), PROMC_ENOTFOUND);
    CHECK_INT(promc_counter_add(cc, 2), PROMC_ENOTFOUND);
    CHECK_INT(promc_counter_add_exemplar(cc, 1, PROMC_LABELS("t", "1")), PROMC_ENOTFOUND);
    CHECK_INT(promc_gauge_set(gc, 9), PROMC_ENOTFOUND);
    CHECK_INT(promc_gauge_inc(gc), PROMC_ENOTFOUND);
    CHECK_INT(promc_histogram_observe(hc, 1), PROMC_ENOTFOUND);
    CHECK_INT(promc_histogram_observe_exemplar(hc, 1, PROMC_LABELS("t", "1")), PROMC_ENOTFOUND);
    CHECK_INT(promc_summary_observe(sc, 1), PROMC_ENOTFOUND);
    CHECK_INT(promc_enum_set(ec, 1), PROMC_ENOTFOUND);
    CHECK_INT(promc_last_error(), PROMC_ENOTFOUND);
    CHECK_DBL(promc_counter_value(cc), 0);
    CHECK_DBL(promc_gauge_value(gc), 0);
    uint64_t counts[15], n = 7;
    double sum = 7;
    CHECK_INT(promc_histogram_snapshot(hc, counts, 15, &sum, &n), PROMC_ENOTFOUND);
    CHECK_INT(promc_summary_snapshot(sc, NULL, 0, &sum, &n), PROMC_ENOTFOUND);
    CHECK_INT(promc_remove(cc, PROMC_LABELS("x")), PROMC_ENOTFOUND);
    CHECK_INT(promc_set_unit(cc, "total"), PROMC_ENOTFOUND);
    /* asking again gives a new child, from zero, and the old handle stays stale */
    promc_counter *again = promc_counter_labels(c, "x");
    CHECK(again && again != cc);
    CHECK_DBL(promc_counter_value(again), 0);
    CHECK_INT(promc_counter_inc(cc), PROMC_ENOTFOUND);
    CHECK_DBL(promc_counter_value(again), 0);
    char *out = render(r, PROMC_FORMAT_TEXT);
    CHECK(strstr(out, "st_c_total{k=\"x\"} 0\n") != NULL);
    CHECK(!strstr(out, "st_g{"));
    CHECK(!strstr(out, "st_h_bucket{"));
    free(out);
    promc_registry_free(r);
}

/* A removed child's slot goes to the next child of the same size once the grace period is
 * over (here at once: no other thread); the old handle must not reach the new child. */
static void test_reused_slot(void) {
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "ru_total", "c", PROMC_LABELS("k"));
    promc_gauge *g = promc_gauge_new(r, "ru_g", "g", PROMC_LABELS("k"));
    promc_histogram *h = promc_histogram_new(r, "ru_h", "h", PROMC_LABELS("k"), NULL, 0);
    promc_counter *old_c = promc_counter_labels(c, "aaa");
    promc_gauge *old_g = promc_gauge_labels(g, "aaa");
    promc_histogram *old_h = promc_histogram_labels(h, "aaa");
    promc_counter_add(old_c, 5);
    promc_gauge_set(old_g, 5);
    promc_histogram_observe(old_h, 5);
    promc_remove(c, PROMC_LABELS("aaa"));
    promc_remove(g, PROMC_LABELS("aaa"));
    promc_remove(h, PROMC_LABELS("aaa"));
    free(render(r, PROMC_FORMAT_TEXT)); /* a scrape polls the limbo: the slots are free */
    promc_counter *new_c = promc_counter_labels(c, "bbb"); /* same size: same slot */
    promc_gauge *new_g = promc_gauge_labels(g, "bbb");
    promc_histogram *new_h = promc_histogram_labels(h, "bbb");
    CHECK(promc__hchild(new_c) == promc__hchild(old_c)); /* the test means what it says */
    CHECK(promc__hchild(new_g) == promc__hchild(old_g));
    CHECK(promc__hchild(new_h) == promc__hchild(old_h));
    CHECK(new_c != old_c && new_g != old_g && new_h != old_h);
    CHECK_DBL(promc_counter_value(new_c), 0); /* words came back zeroed */
    uint64_t n = 9;
    CHECK_INT(promc_histogram_snapshot(new_h, NULL, 0, NULL, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(promc_counter_inc(old_c), PROMC_ENOTFOUND);
    CHECK_INT(promc_gauge_set(old_g, 77), PROMC_ENOTFOUND);
    CHECK_INT(promc_histogram_observe(old_h, 1), PROMC_ENOTFOUND);
    CHECK_DBL(promc_counter_value(old_c), 0);
    CHECK_DBL(promc_counter_value(new_c), 0);
    CHECK_DBL(promc_gauge_value(new_g), 0);
    CHECK_INT(promc_histogram_snapshot(new_h, NULL, 0, NULL, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(promc_counter_inc(new_c), 0);
    CHECK_DBL(promc_counter_value(new_c), 1);
    /* removing through the stale handle's family by values still works on the new child */
    CHECK_INT(promc_remove(old_c, PROMC_LABELS("bbb")), PROMC_ENOTFOUND); /* stale handle */
    CHECK_INT(promc_remove(c, PROMC_LABELS("bbb")), 0);
    promc_registry_free(r);
}

/* ---- info_set ---------------------------------------------------------------------------- */

static void test_info_set(void) {
    promc_registry *r = promc_registry_new();
    promc_info *i = promc_info_new(r, "build", "b", PROMC_LABELS("version", "blob"));
    char big[2048];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char version[32];
    long before = 0;
    for (int k = 0; k < 100000; k++) {
        if (k == 10000)
            before = check_rss_kb();
        snprintf(version, sizeof version, "v%d", k);
        big[0] = (char)('a' + k % 26); /* a new label set each time, 2 kB of values */
        CHECK_INT(promc_info_set(i, PROMC_LABELS(version, big)), 0);
        if (k % 10000 == 0)
            free(render(r, PROMC_FORMAT_TEXT));
    }
    long after = check_rss_kb();
    fprintf(stderr, "info_set: RSS %ld kB -> %ld kB\n", before, after);
    CHECK(after - before <= 5 * 1024); /* one child leaked per call: ~180 MB */
    char *out = render(r, PROMC_FORMAT_TEXT);
    CHECK_INT(count_of(out, "build_info{"), 1);
    CHECK(strstr(out, "build_info{version=\"v99999\"") != NULL);
    free(out);
    /* setting the same values again keeps the series (and its _created) */
    CHECK_INT(promc_info_set(i, PROMC_LABELS("v99999", big)), 0);
    out = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK_INT(count_of(out, "build_info{"), 1);
    free(out);
    promc_registry_free(r);
}

/* ---- TTL --------------------------------------------------------------------------------- */

static double fake_now;
static double fake_clock(void) {
    return fake_now;
}

static void test_ttl(void) {
    promc__ttl_clock = fake_clock;
    fake_now = 1000;
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "ttl_total", "c", PROMC_LABELS("k"));
    promc_counter *plain = promc_counter_new(r, "nottl_total", "c", NULL);
    CHECK_INT(promc_set_ttl(plain, 10), PROMC_ESTATE);
    CHECK_INT(promc_set_ttl(c, -1), PROMC_EINVAL);
    CHECK_INT(promc_set_ttl(c, 10), 0);
    promc_counter *a = promc_counter_labels(c, "a");
    promc_counter *b = promc_counter_labels(c, "b");
    char *out = render(r, PROMC_FORMAT_TEXT);
    CHECK(strstr(out, "ttl_total{k=\"a\"} 0\n") && strstr(out, "ttl_total{k=\"b\"} 0\n"));
    CHECK(strstr(out, "# TYPE promc_series_expired_total counter\n"));
    CHECK(strstr(out, "promc_series_expired_total{family=\"ttl\"} 0\n"));
    CHECK(!strstr(out, "promc_series_overflow_total"));
    free(out);
    fake_now = 1005;
    free(render(r, PROMC_FORMAT_TEXT));
    fake_now = 1006;
    promc_counter_inc(a);
    fake_now = 1011; /* b: not updated for 11 s; a: updated 5 s ago */
    out = render(r, PROMC_FORMAT_TEXT);
    CHECK(strstr(out, "ttl_total{k=\"a\"} 1\n") != NULL);
    CHECK(!strstr(out, "k=\"b\""));
    CHECK(strstr(out, "promc_series_expired_total{family=\"ttl\"} 1\n"));
    free(out);
    CHECK_INT(promc_counter_inc(b), PROMC_ENOTFOUND); /* an expired child's handle is stale */
    /* a: the sweep at 1011 saw its update; 1020 is 9 s after that, 1021.5 is more than 10 */
    fake_now = 1020;
    out = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK(strstr(out, "ttl_total{k=\"a\"} 1\n") != NULL);
    free(out);
    fake_now = 1021.5;
    out = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK(!strstr(out, "k=\"a\""));
    CHECK(strstr(out, "# TYPE promc_series_expired counter\n"));
    CHECK(strstr(out, "promc_series_expired_total{family=\"ttl\"} 2\n"));
    free(out);
    /* labels() again: a new child, counting from 0, expiring on its own schedule */
    promc_counter *a2 = promc_counter_labels(c, "a");
    CHECK(a2 && a2 != a);
    CHECK_DBL(promc_counter_value(a2), 0);
    /* TTL 0 turns it off */
    CHECK_INT(promc_set_ttl(c, 0), 0);
    fake_now = 5000;
    out = render(r, PROMC_FORMAT_TEXT);
    CHECK(strstr(out, "ttl_total{k=\"a\"} 0\n") != NULL);
    free(out);
    promc_registry_free(r);
    promc__ttl_clock = NULL;
}

/* ---- Cardinality limit ------------------------------------------------------------------- */

static void test_limit(void) {
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "lim_total", "c", PROMC_LABELS("k", "j"));
    promc_gauge *g = promc_gauge_new(r, "limf", "g", PROMC_LABELS("k"));
    CHECK_INT(promc_set_limit(c, 2, 7), PROMC_EINVAL);
    CHECK_INT(promc_set_limit(c, 2, PROMC_LIMIT_OVERFLOW), 0);
    CHECK_INT(promc_set_limit(g, 1, PROMC_LIMIT_FAIL), 0);
    promc_counter *a = promc_counter_labels(c, "a", "1");
    promc_counter *b = promc_counter_labels(c, "b", "1");
    promc_counter *x = promc_counter_labels(c, "x", "1");
    promc_counter *y = promc_counter_labels(c, "y", "1");
    CHECK(a && b && x && y && a != b);
    CHECK(x == y); /* both went to the overflow child */
    promc_counter_inc(x);
    promc_counter_inc(y);
    CHECK(promc_counter_labels(c, "a", "1") == a); /* existing children are still found */
    promc_gauge *ga = promc_gauge_labels(g, "a");
    CHECK(ga != NULL);
    CHECK(promc_gauge_labels(g, "b") == NULL);
    CHECK_INT(promc_last_error(), PROMC_ESTATE);
    CHECK(strstr(promc_last_error_message(), "cardinality limit") != NULL);
    char *out = render(r, PROMC_FORMAT_TEXT);
    CHECK(strstr(out, "lim_total{k=\"__overflow__\",j=\"__overflow__\"} 2\n") != NULL);
    CHECK(!strstr(out, "k=\"x\"") && !strstr(out, "k=\"y\""));
    CHECK(strstr(out, "# TYPE promc_series_overflow_total counter\n"));
    CHECK(strstr(out, "promc_series_overflow_total{family=\"lim\"} 2\n"));
    CHECK(strstr(out, "promc_series_overflow_total{family=\"limf\"} 1\n"));
    CHECK(!strstr(out, "promc_series_expired_total"));
    free(out);
    /* removing a child makes room: a new label set gets its own child again */
    CHECK_INT(promc_remove(c, PROMC_LABELS("a", "1")), 0);
    promc_counter *z = promc_counter_labels(c, "z", "1");
    CHECK(z && z != x);
    CHECK(promc_counter_labels(c, "w", "1") == x);
    out = render(r, PROMC_FORMAT_OPENMETRICS);
    CHECK(strstr(out, "lim_total{k=\"z\",j=\"1\"} 0\n") != NULL);
    CHECK(strstr(out, "promc_series_overflow_total{family=\"lim\"} 3\n"));
    free(out);
    promc_registry_free(r);
}

/* ---- values_equal ------------------------------------------------------------------------ */
/* On a hash collision the lookup compares a stored child with other values. The child's slot
 * here ends at a page followed by an inaccessible one, as a slot sized for its values does
 * (header, values, padding to 8 bytes): a compare that reads by the looked-up length (memcmp
 * of strlen + 1 bytes, or words past the slot) faults. */
static void test_values_equal(void) {
    long page = sysconf(_SC_PAGESIZE);
    char *p =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    if (p == MAP_FAILED)
        return;
    CHECK_INT(mprotect(p + page, (size_t)page, PROT_NONE), 0);
    size_t units = (sizeof(promc_child) + 5 + 7) / 8;
    promc_child *c = (promc_child *)(p + page - units * 8);
    memset(c, 'x', units * 8);
    c->slot_units = (uint16_t)units;
    memcpy((char *)(c + 1), "ab\0c\0", 5);
    CHECK(promc__values_equal(c, PROMC_LABELS("ab", "c"), 2));
    CHECK(!promc__values_equal(c, PROMC_LABELS("ab", "cdefghijklmnopqrstuvwxyz0123456789"), 2));
    CHECK(!promc__values_equal(c, PROMC_LABELS("abc", "c"), 2));
    CHECK(!promc__values_equal(c, PROMC_LABELS("a", "c"), 2));
    CHECK(!promc__values_equal(c, PROMC_LABELS("ab", ""), 2));
    CHECK(!promc__values_equal(c, PROMC_LABELS("ab", "cdef"), 2)); /* reads to the slot end */
    CHECK(!promc__values_equal(c, PROMC_LABELS("abc", "de"), 2));
    CHECK(!promc__values_equal(c, PROMC_LABELS("", "ab"), 2));
    munmap(p, (size_t)page * 2);
}

/* ---- TLS arena pointer at thread exit ---------------------------------------------------- */
/* glibc runs TLS destructors in key order, so a key made after promc's runs after promc's
 * arena_detach: by then the thread's arena is on the free list and another thread may attach
 * it. An update from that destructor must attach a fresh arena, not write the old one. */
static promc_counter *exit_counter;
static pthread_key_t late_key;
static int arena_cleared = -1;

static void *inc_many(void *arg) {
    (void)arg;
    for (int i = 0; i < 1000000; i++)
        promc_counter_inc(exit_counter);
    return NULL;
}

static void late_destructor(void *arg) {
    (void)arg;
    arena_cleared = promc__tls_arena == NULL;
    pthread_t t; /* attaches the arena this thread just handed over */
    pthread_create(&t, NULL, inc_many, NULL);
    inc_many(NULL);
    pthread_join(t, NULL);
}

static void *exiting_thread(void *arg) {
    (void)arg;
    promc_counter_inc(exit_counter); /* attaches an arena, creating promc's key */
    pthread_key_create(&late_key, late_destructor);
    pthread_setspecific(late_key, (void *)1);
    return NULL;
}

static void test_arena_handover(void) {
    promc_registry *r = promc_registry_new();
    exit_counter = promc_counter_new(r, "exit_total", "c", NULL);
    pthread_t t;
    pthread_create(&t, NULL, exiting_thread, NULL);
    pthread_join(t, NULL);
    CHECK_INT(arena_cleared, 1);
    CHECK_DBL(promc_counter_value(exit_counter), 2000001); /* no increment lost */
    pthread_key_delete(late_key);
    promc_registry_free(r);
}

int main(void) {
    test_arena_handover(); /* first: before this thread has an arena of its own */
    test_stale_handles();
    test_reused_slot();
    test_info_set();
    test_ttl();
    test_limit();
    test_values_equal();
    return check_report("lifecycle");
}
