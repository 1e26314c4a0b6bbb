/* test_conc_scrape.c -- rendering under fire: writers update, create and remove label
 * children and record exemplars while scrapers render the registry, directly and through
 * promc_http with gzip, in both formats. Every scrape must be a complete exposition whose
 * counter never goes down and whose +Inf bucket equals _count; after the writers stop, the
 * scraped totals equal exactly the sum of all updates. Run under ThreadSanitizer too.
 */
#include "check.h"
#include "promc.h"
#include "promc_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

enum { WRITERS = 3, SCRAPERS = 3, MIN_ITERS = 20000, MIN_SCRAPES = 200, HTTP_SCRAPES = 30 };

static promc_registry *reg;
static promc_counter *total, *churn;
static promc_histogram *hist;
static atomic_int writers_done, bad_scrapes, scrapes;
/* What the writers did, for the exact totals at the end. */
static atomic_long updates, low_observations;
static uint16_t port;

static void *writer(void *arg) {
    int id = (int)(intptr_t)arg;
    char name[32];
    long i = 0, low = 0;
    /* at least MIN_ITERS updates, and on until the scrapers have seen plenty of them */
    for (; i < MIN_ITERS || atomic_load(&scrapes) < MIN_SCRAPES; i++) {
        promc_counter_inc(total);
        promc_histogram_observe(hist, (double)(i % 50) * 0.01);
        low += i % 50 <= 25; /* 25 * 0.01 == 0.25: on the bound, in the le="0.25" bucket */
        if (i % 100 == 0) {
            /* children come and go while scrapes walk the list */
            snprintf(name, sizeof name, "w%d_%ld", id, i % 700);
            promc_counter_inc(promc_counter_labels(churn, name));
            if (i % 300 == 0)
                promc_remove(churn, PROMC_LABELS(name));
            promc_counter_add_exemplar(total, 0, PROMC_LABELS("trace_id", name));
        }
    }
    atomic_fetch_add(&updates, i);
    atomic_fetch_add(&low_observations, low);
    return NULL;
}

/* The value on the line that starts with prefix, or -1. */
static double line_value(const char *out, const char *prefix) {
    size_t n = strlen(prefix);
    for (const char *p = out; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, prefix, n) == 0)
            return strtod(p + n, NULL);
    }
    return -1;
}

/* A complete, consistent exposition: the invariants that hold at every instant. */
static bool consistent(const char *doc, promc_format fmt, double *last_total) {
    double t = line_value(doc, "conc_total ");
    double inf = line_value(doc, "conc_latency_bucket{le=\"+Inf\"} ");
    double count = line_value(doc, "conc_latency_count ");
    bool ok = t >= *last_total && inf >= 0 && inf == count;
    if (fmt == PROMC_FORMAT_OPENMETRICS)
        ok = ok && strlen(doc) >= 6 && strcmp(doc + strlen(doc) - 6, "# EOF\n") == 0;
    *last_total = t;
    return ok;
}

static char *http_get(const char *accept, size_t *len) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: %s\r\n"
                     "Accept-Encoding: gzip\r\n\r\n",
                     accept);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 16, got = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while ((r = read(fd, buf + got, cap - got)) > 0)
        if ((got += (size_t)r) == cap)
            buf = realloc(buf, cap *= 2);
    close(fd);
    char *body = NULL;
    for (size_t i = 0; i + 3 < got; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
            body = buf + i + 4;
            break;
        }
    char *out = NULL;
    if (body && strncmp(buf, "HTTP/1.1 200", 12) == 0 && strstr(buf, "Content-Encoding: gzip")) {
        size_t zlen = got - (size_t)(body - buf), ocap = zlen * 30 + 4096;
        out = malloc(ocap + 1);
        z_stream zs = {0};
        inflateInit2(&zs, 15 + 16);
        zs.next_in = (Bytef *)body;
        zs.avail_in = (uInt)zlen;
        zs.next_out = (Bytef *)out;
        zs.avail_out = (uInt)ocap;
        if (inflate(&zs, Z_FINISH) == Z_STREAM_END) {
            *len = zs.total_out;
            out[*len] = '\0';
        } else {
            free(out);
            out = NULL;
        }
        inflateEnd(&zs);
    }
    free(buf);
    return out;
}

static void *scraper(void *arg) {
    int id = (int)(intptr_t)arg;
    double last_direct = 0, last_http = 0;
    int http_done = 0;
    while (atomic_load(&writers_done) == 0 || http_done < HTTP_SCRAPES) {
        promc_format fmt =
            (id + atomic_load(&scrapes)) % 2 ? PROMC_FORMAT_OPENMETRICS : PROMC_FORMAT_TEXT;
        char *doc = NULL;
        size_t len = 0;
        if (promc_render(reg, fmt, &doc, &len) != 0 || !consistent(doc, fmt, &last_direct))
            atomic_fetch_add(&bad_scrapes, 1);
        free(doc);
        if (http_done < HTTP_SCRAPES) {
            bool om = http_done % 2;
            doc = http_get(om ? "application/openmetrics-text" : "text/plain", &len);
            if (!doc ||
                !consistent(doc, om ? PROMC_FORMAT_OPENMETRICS : PROMC_FORMAT_TEXT, &last_http))
                atomic_fetch_add(&bad_scrapes, 1);
            free(doc);
            http_done++;
        }
        atomic_fetch_add(&scrapes, 1);
    }
    return NULL;
}

int main(void) {
    reg = promc_registry_new();
    total = promc_counter_new(reg, "conc_total", "Updates.", NULL);
    churn = promc_counter_new(reg, "conc_churn_total", "Children that come and go.",
                              PROMC_LABELS("who"));
    hist = promc_histogram_new(reg, "conc_latency", "Latency.", NULL, NULL, 0);
    promc_http_server *srv = promc_http_start(reg, "127.0.0.1", 0, NULL);
    CHECK(srv != NULL);
    if (!srv)
        return check_report("conc_scrape");
    port = promc_http_port(srv);

    pthread_t w[WRITERS], s[SCRAPERS];
    for (int i = 0; i < SCRAPERS; i++)
        pthread_create(&s[i], NULL, scraper, (void *)(intptr_t)i);
    for (int i = 0; i < WRITERS; i++)
        pthread_create(&w[i], NULL, writer, (void *)(intptr_t)i);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    atomic_store(&writers_done, 1);
    for (int i = 0; i < SCRAPERS; i++)
        pthread_join(s[i], NULL);

    CHECK_INT(atomic_load(&bad_scrapes), 0);
    /* Writers are done: the scraped totals are exact. */
    char *doc = NULL;
    size_t len = 0;
    CHECK_INT(promc_render(reg, PROMC_FORMAT_TEXT, &doc, &len), 0);
    double n = (double)atomic_load(&updates);
    CHECK_DBL(line_value(doc, "conc_total "), n);
    CHECK_DBL(line_value(doc, "conc_latency_count "), n);
    CHECK_DBL(line_value(doc, "conc_latency_bucket{le=\"0.25\"} "),
              (double)atomic_load(&low_observations));
    free(doc);
    doc = http_get("application/openmetrics-text", &len);
    CHECK(doc != NULL);
    if (doc) {
        CHECK_DBL(line_value(doc, "conc_total "), n);
        free(doc);
    }
    printf("conc_scrape: %d scrapes (%d over HTTP) during %ld updates, all consistent\n",
           atomic_load(&scrapes), SCRAPERS * HTTP_SCRAPES, atomic_load(&updates));
    promc_http_stop(srv);
    promc_registry_free(reg);
    return check_report("conc_scrape");
}
