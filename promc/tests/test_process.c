/* test_process.c -- the default collectors (process.c) against independent readings: threads
 * started and fds opened by the test, /proc/self/status, /proc/self/statm, /proc/self/limits,
 * ps(1)'s start time, CLOCK_PROCESS_CPUTIME_ID; a command name full of ") " that must not
 * confuse the /proc/self/stat parser; get-or-create registration; promc_build_info. */
#define _GNU_SOURCE /* strptime */
#include "check.h"
#include "promc.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static promc_registry *reg;
static char *text;

static void scrape(void) {
    free(text);
    text = NULL;
    size_t len;
    CHECK_INT(promc_render(reg, PROMC_FORMAT_TEXT, &text, &len), 0);
}

/* The value of the unlabelled series `name` in the last scrape, NaN when absent. */
static double value_of(const char *name) {
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return NAN;
}

/* A number after `key` in a small text file, NaN if absent ("unlimited" gives 2^64 - 1). */
static double file_number(const char *path, const char *key, int column) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NAN;
    char line[512];
    double v = NAN;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, strlen(key)) != 0)
            continue;
        char *p = line;
        for (int i = 0; i < column && p; i++) { /* skip to the column-th space-separated word */
            p = strpbrk(p, " \t");
            while (p && (*p == ' ' || *p == '\t'))
                p++;
        }
        if (p)
            v = strncmp(p, "unlimited", 9) == 0 ? 18446744073709551615.0 : strtod(p, NULL);
        break;
    }
    fclose(f);
    return v;
}

static double cpu_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- threads ------------------------------------------------------------------------------- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, parked;

static void *park(void *arg) {
    (void)arg;
    pthread_mutex_lock(&gate_lock);
    parked++;
    pthread_cond_broadcast(&gate_cond);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return NULL;
}

static void *nothing(void *arg) {
    return arg;
}

static void test_threads(void) {
    /* A first thread, so that helper threads a runtime starts with it (ThreadSanitizer's)
     * are there before the baseline. */
    pthread_t warm;
    pthread_create(&warm, NULL, nothing, NULL);
    pthread_join(warm, NULL);
    scrape();
    double before = value_of("process_threads");
    CHECK_DBL(before, file_number("/proc/self/status", "Threads:", 1));
    enum { K = 5 };
    pthread_t t[K];
    for (int i = 0; i < K; i++)
        pthread_create(&t[i], NULL, park, NULL);
    pthread_mutex_lock(&gate_lock);
    while (parked < K)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    scrape();
    CHECK_DBL(value_of("process_threads"), before + K);
    CHECK_DBL(value_of("process_threads"), file_number("/proc/self/status", "Threads:", 1));
    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    for (int i = 0; i < K; i++)
        pthread_join(t[i], NULL);
    /* A joined thread can still be counted by the kernel for a moment (its tid is cleared
     * before it leaves the thread group): wait until /proc agrees, as a scraper would see it. */
    for (int i = 0; i < 1000 && file_number("/proc/self/status", "Threads:", 1) != before; i++)
        usleep(1000);
    scrape();
    CHECK_DBL(value_of("process_threads"), before);
    CHECK_DBL(value_of("process_threads"), file_number("/proc/self/status", "Threads:", 1));
    printf("threads: %g, %g with %d more\n", before, before + K, K);
}

/* ---- file descriptors ---------------------------------------------------------------------- */

/* Open descriptors counted by probing each number, not by reading /proc/self/fd. */
static int probe_open_fds(void) {
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

static void test_fds(void) {
    scrape();
    double before = value_of("process_open_fds");
    /* Both peers list /proc/self/fd, so the descriptor doing the listing is counted too. */
    CHECK_DBL(before, probe_open_fds() + 1);
    enum { K = 10 };
    int fds[K];
    for (int i = 0; i < K; i++)
        fds[i] = open("/dev/null", O_RDONLY);
    scrape();
    CHECK_DBL(value_of("process_open_fds"), before + K);
    for (int i = 0; i < K; i++)
        close(fds[i]);
    scrape();
    CHECK_DBL(value_of("process_open_fds"), before);

    CHECK_DBL(value_of("process_max_fds"), file_number("/proc/self/limits", "Max open files", 3));
    struct rlimit saved, lower;
    getrlimit(RLIMIT_NOFILE, &saved);
    lower = saved;
    lower.rlim_cur = 777;
    CHECK_INT(setrlimit(RLIMIT_NOFILE, &lower), 0);
    scrape();
    CHECK_DBL(value_of("process_max_fds"), 777);
    setrlimit(RLIMIT_NOFILE, &saved);
    scrape();
    CHECK_DBL(value_of("process_max_fds"), (double)saved.rlim_cur);
    printf("fds: %g open, max %g\n", before, value_of("process_max_fds"));
}

/* ---- memory -------------------------------------------------------------------------------- */

static void test_memory(void) {
    long page = sysconf(_SC_PAGESIZE);
    scrape();
    double rss0 = value_of("process_resident_memory_bytes");
    double statm_rss = file_number("/proc/self/statm", "", 1) * (double)page;
    CHECK(fabs(rss0 - statm_rss) < 4 * 1048576.0);
    double vsz = value_of("process_virtual_memory_bytes");
    double statm_vsz = file_number("/proc/self/statm", "", 0) * (double)page;
    CHECK(fabs(vsz - statm_vsz) < 16 * 1048576.0);

    const size_t big = 64u << 20;
    char *p = malloc(big);
    CHECK(p != NULL);
    for (size_t i = 0; p && i < big; i += (size_t)page)
        p[i] = (char)i; /* touch every page */
    scrape();
    double rss1 = value_of("process_resident_memory_bytes");
    CHECK(rss1 - rss0 >= 60.0 * 1048576);
    CHECK(value_of("process_virtual_memory_bytes") - vsz >= 60.0 * 1048576);
    printf("memory: rss %g -> %g after touching 64 MiB, vsize %g\n", rss0, rss1, vsz);
    free(p);

    /* The address space limit: "unlimited" reads as 2^64 - 1 (client_golang); a set soft
     * limit reads as itself. 2^62 is far above what even a sanitizer build maps. */
    CHECK_DBL(value_of("process_virtual_memory_max_bytes"),
              file_number("/proc/self/limits", "Max address space", 3));
    struct rlimit saved, lim;
    getrlimit(RLIMIT_AS, &saved);
    lim = saved;
    lim.rlim_cur = (rlim_t)1 << 62;
    if (saved.rlim_max == RLIM_INFINITY || saved.rlim_max >= lim.rlim_cur) {
        CHECK_INT(setrlimit(RLIMIT_AS, &lim), 0);
        scrape();
        CHECK_DBL(value_of("process_virtual_memory_max_bytes"), 4611686018427387904.0);
        setrlimit(RLIMIT_AS, &saved);
    }
    if (saved.rlim_cur == RLIM_INFINITY) {
        scrape();
        CHECK_DBL(value_of("process_virtual_memory_max_bytes"), 18446744073709551615.0);
    }
}

/* ---- time ---------------------------------------------------------------------------------- */

/* ps(1)'s idea of our start time, in unix seconds (whole seconds); NaN without ps. */
static double ps_start_time(void) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "LC_ALL=C TZ=UTC ps -o lstart= -p %d 2>/dev/null", (int)getpid());
    FILE *f = popen(cmd, "r");
    if (!f)
        return NAN;
    char line[128] = "";
    char *got = fgets(line, sizeof line, f);
    pclose(f);
    struct tm tm = {0};
    if (!got || !strptime(line, "%a %b %d %H:%M:%S %Y", &tm))
        return NAN;
    return (double)timegm(&tm);
}

static void test_times(time_t main_started) {
    scrape();
    double start = value_of("process_start_time_seconds");
    CHECK(start <= (double)main_started + 1 && start >= (double)main_started - 30);
    double ps = ps_start_time();
    if (!isnan(ps))
        CHECK(start >= ps && start < ps + 1.01); /* ps truncates to the second */
    printf("start time: %.2f (ps: %.0f, main: %ld)\n", start, ps, (long)main_started);

    double cpu0 = value_of("process_cpu_seconds_total"), clock0 = cpu_clock();
    CHECK(fabs(cpu0 - clock0) < 0.1);
    volatile double sink = 0;
    while (cpu_clock() - clock0 < 0.3)
        for (int i = 0; i < 10000; i++)
            sink += i * 0.5;
    (void)sink;
    scrape();
    double cpu1 = value_of("process_cpu_seconds_total"), clock1 = cpu_clock();
    CHECK(cpu1 - cpu0 >= 0.25 && cpu1 - cpu0 <= 0.5);
    CHECK(fabs(cpu1 - clock1) < 0.1);
    CHECK(cpu1 != floor(cpu1) || cpu1 == 0); /* a float, not whole seconds */
    printf("cpu: %g -> %g s after 0.3 s of work (clock says %g -> %g)\n", cpu0, cpu1, clock0,
           clock1);
}

/* ---- the /proc/self/stat parser, registration, build info ---------------------------------- */

static void test_odd_command_name(void) {
    char saved[32] = "";
    prctl(PR_GET_NAME, saved, 0, 0, 0);
    CHECK_INT(prctl(PR_SET_NAME, "a) R 1 2 (b) 3", 0, 0, 0), 0);
    scrape();
    CHECK_DBL(value_of("process_threads"), file_number("/proc/self/status", "Threads:", 1));
    CHECK(value_of("process_resident_memory_bytes") > 0);
    CHECK(value_of("process_start_time_seconds") > 1e9);
    prctl(PR_SET_NAME, saved, 0, 0, 0);
}

static void test_registration_and_build_info(void) {
    CHECK_INT(promc_register_default_collectors(reg), 0); /* the second time: no-op */
    scrape();
    const char *first = strstr(text, "# TYPE process_threads gauge");
    CHECK(first != NULL);
    CHECK(first && strstr(first + 1, "# TYPE process_threads gauge") == NULL); /* once */
    CHECK_CONTAINS(text, "# TYPE process_cpu_seconds_total counter\n");
    CHECK_CONTAINS(text, "promc_build_info{compiler=\"");
    CHECK_CONTAINS(text, "\",version=\"" PROMC_VERSION "\"} 1\n");
    CHECK(strstr(text, "compiler=\"\"") == NULL && strstr(text, "compiler=\"unknown\"") == NULL);
    char *om;
    size_t len;
    CHECK_INT(promc_render(reg, PROMC_FORMAT_OPENMETRICS, &om, &len), 0);
    CHECK_CONTAINS(om, "# TYPE process_cpu_seconds counter\n");
    CHECK_CONTAINS(om, "\nprocess_cpu_seconds_total ");
    CHECK_CONTAINS(om, "# TYPE promc_build info\n");
    free(om);
    const char *names[] = {"process_cpu_seconds_total",
                           "process_open_fds",
                           "process_max_fds",
                           "process_virtual_memory_bytes",
                           "process_virtual_memory_max_bytes",
                           "process_resident_memory_bytes",
                           "process_start_time_seconds",
                           "process_threads"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (isnan(value_of(names[i]))) {
            CHECK(!"metric missing");
            fprintf(stderr, "missing %s\n", names[i]);
        }
    /* The default registry takes them as well. */
    CHECK_INT(promc_register_default_collectors(NULL), 0);
}

int main(void) {
    time_t main_started = time(NULL);
    reg = promc_registry_new();
    CHECK(reg != NULL);
    CHECK_INT(promc_register_default_collectors(reg), 0);
    test_threads();
    test_fds();
    test_memory();
    test_times(main_started);
    test_odd_command_name();
    test_registration_and_build_info();
    free(text);
    promc_registry_free(reg);
    return check_report("process");
}
