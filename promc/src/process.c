/* process.c -- the default collectors: process metrics read from /proc at scrape time, as
 * client_python's ProcessCollector (plus client_golang's process_virtual_memory_max_bytes and a
 * process_threads gauge), and promc_build_info, the C counterpart of python_info.
 *
 * Values match the peers: CPU and start time are float seconds (ticks / sysconf(_SC_CLK_TCK),
 * start = btime + starttime / CLK_TCK); RSS is pages * page size; open fds counts the entries
 * of /proc/self/fd, which includes the descriptor reading the directory, as both peers do;
 * an unlimited rlimit is exported as 2^64 - 1 (1.8446744073709552e+19), as client_golang does.
 * A part of /proc that cannot be read costs only its own families.
 */
#include "base.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <stdio.h>
#include <unistd.h>

#ifndef PROMC_COMPILER
#define PROMC_COMPILER "unknown"
#endif

/* The fields of /proc/<pid>/stat that we export (proc(5) numbering in comments). */
typedef struct proc_stat {
    unsigned long long utime;     /* 14, clock ticks */
    unsigned long long stime;     /* 15 */
    long long num_threads;        /* 20 */
    unsigned long long starttime; /* 22, ticks after boot */
    unsigned long long vsize;     /* 23, bytes */
    long long rss;                /* 24, pages */
} proc_stat;

/* Reads up to cap-1 bytes of a small /proc file, NUL-terminated. */
static int read_small_file(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return promc__seterr(PROMC_EIO, "%s: %s", path, strerror(errno));
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            close(fd);
            return promc__seterr(PROMC_EIO, "%s: %s", path, strerror(err));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    return 0;
}

/* Parses the text of /proc/<pid>/stat. The command name (field 2) is in parentheses and may
 * itself hold spaces and ')', so the fields start after the LAST ')'. */
static int parse_proc_stat(const char *text, proc_stat *out) {
    const char *p = strrchr(text, ')');
    if (!p)
        return PROMC_EINVAL;
    p++;
    unsigned long long v[25] = {0};
    for (int field = 3; field <= 24; field++) {
        while (*p == ' ')
            p++;
        if (field == 3) { /* the state, one letter */
            if (*p < 'A' || *p > 'z')
                return PROMC_EINVAL;
            p++;
            continue;
        }
        char *end;
        errno = 0;
        v[field] = strtoull(p, &end, 10); /* signed fields we skip may read as 2^64 - x */
        if (end == p || errno == ERANGE)
            return PROMC_EINVAL;
        p = end;
    }
    out->utime = v[14];
    out->stime = v[15];
    out->num_threads = (long long)v[20];
    out->starttime = v[22];
    out->vsize = v[23];
    out->rss = (long long)v[24];
    return 0;
}

/* btime (boot time, unix seconds) from /proc/stat, read line by line: the file is large on
 * machines with many CPUs, and its intr line is long, so only fragments that begin a line are
 * looked at. */
static int read_btime(double *btime) {
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return promc__seterr(PROMC_EIO, "/proc/stat: %s", strerror(errno));
    char line[256];
    bool at_line_start = true;
    int rc = PROMC_EIO;
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (at_line_start && strncmp(line, "btime ", 6) == 0) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(line + 6, &end, 10);
            if (end != line + 6 && errno == 0) {
                *btime = (double)v;
                rc = 0;
            }
            break;
        }
        at_line_start = len > 0 && line[len - 1] == '\n';
    }
    fclose(f);
    return rc ? promc__seterr(rc, "/proc/stat: no btime line") : 0;
}

/* Entries of /proc/self/fd, as client_python's len(os.listdir(...)). */
static int count_open_fds(double *n) {
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return promc__seterr(PROMC_EIO, "/proc/self/fd: %s", strerror(errno));
    long count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            count++;
    closedir(d);
    *n = (double)count;
    return 0;
}

static double rlimit_value(int resource) {
    struct rlimit rl;
    if (getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 18446744073709551615.0; /* as client_golang's procfs reads "unlimited" */
    return (double)rl.rlim_cur;
}

static int gauge(promc_collect_ctx *ctx, const char *name, const char *help, double v) {
    int rc = promc_collect_family(ctx, name, help, PROMC_GAUGE, NULL);
    return rc ? rc : promc_collect_sample(ctx, NULL, v);
}

/* Families in name order, so the collector's output is sorted like the registry's. */
static int collect_process(promc_collect_ctx *ctx, void *userdata) {
    (void)userdata;
    char buf[4096];
    proc_stat st = {0};
    double btime = 0;
    int stat_rc = read_small_file("/proc/self/stat", buf, sizeof buf);
    if (stat_rc == 0 && parse_proc_stat(buf, &st) != 0)
        stat_rc = promc__seterr(PROMC_EIO, "/proc/self/stat: cannot parse");
    int btime_rc = stat_rc == 0 ? read_btime(&btime) : stat_rc;
    double fds = 0;
    int fds_rc = count_open_fds(&fds);
    long ticks = sysconf(_SC_CLK_TCK);
    double hz = ticks > 0 ? (double)ticks : 100.0;
    long page = sysconf(_SC_PAGESIZE);

    int rc = 0, r;
    if (stat_rc == 0) {
        r = promc_collect_family(ctx, "process_cpu_seconds_total",
                                 "Total user and system CPU time spent in seconds.", PROMC_COUNTER,
                                 NULL);
        if (r == 0)
            r = promc_collect_sample(ctx, NULL, (double)(st.utime + st.stime) / hz);
        rc = rc ? rc : r;
    }
    r = gauge(ctx, "process_max_fds", "Maximum number of open file descriptors.",
              rlimit_value(RLIMIT_NOFILE));
    rc = rc ? rc : r;
    if (fds_rc == 0) {
        r = gauge(ctx, "process_open_fds", "Number of open file descriptors.", fds);
        rc = rc ? rc : r;
    }
    if (stat_rc == 0) {
        r = gauge(ctx, "process_resident_memory_bytes", "Resident memory size in bytes.",
                  (double)st.rss * (double)(page > 0 ? page : 4096));
        rc = rc ? rc : r;
    }
    if (btime_rc == 0) {
        r = gauge(ctx, "process_start_time_seconds",
                  "Start time of the process since unix epoch in seconds.",
                  btime + (double)st.starttime / hz);
        rc = rc ? rc : r;
    }
    if (stat_rc == 0) {
        r = gauge(ctx, "process_threads", "Number of OS threads in the process.",
                  (double)st.num_threads);
        rc = rc ? rc : r;
        r = gauge(ctx, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
                  (double)st.vsize);
        rc = rc ? rc : r;
    }
    r = gauge(ctx, "process_virtual_memory_max_bytes",
              "Maximum amount of virtual memory available in bytes.", rlimit_value(RLIMIT_AS));
    rc = rc ? rc : r;
    if (rc == 0)
        rc = stat_rc ? stat_rc : btime_rc ? btime_rc : fds_rc;
    return rc;
}

static int collect_build_info(promc_collect_ctx *ctx, void *userdata) {
    (void)userdata;
    int rc = promc_collect_family(ctx, "promc_build_info", "promc build information.", PROMC_INFO,
                                  PROMC_LABELS("compiler", "version"));
    return rc ? rc : promc_collect_sample(ctx, PROMC_LABELS(PROMC_COMPILER, PROMC_VERSION), 1);
}

int promc_register_default_collectors(promc_registry *reg) {
    int rc = promc_collector_register(reg, "process", collect_process, NULL);
    return rc ? rc : promc_collector_register(reg, "promc_build_info", collect_build_info, NULL);
}
