/* fdlimit.c -- raise the soft file-descriptor limit to the hard one at start.
 *
 * Every HTTP connection costs a descriptor. At the soft limit accept() fails with EMFILE and,
 * worse, so do the database, cache and broker reconnects; the hard limit is what the
 * administrator allows, so a server takes all of it. */
#include "fdlimit.h"
#include "log.h"

#include <sys/resource.h>

long ws_raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("cannot read the fd limit");
        return -1;
    }
    rlim_t before = rl.rlim_cur;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            log_warn("cannot raise the fd limit from %llu to %llu", (unsigned long long)before,
                     (unsigned long long)rl.rlim_max);
            return (long)before;
        }
        log_info("fd limit raised from %llu to %llu", (unsigned long long)before,
                 (unsigned long long)rl.rlim_cur);
    } else {
        log_info("fd limit stays at %llu (the hard limit)", (unsigned long long)before);
    }
    return rl.rlim_cur == RLIM_INFINITY ? (long)(1 << 20) : (long)rl.rlim_cur;
}

int ws_connection_budget(long fd_limit) {
    if (fd_limit <= 0)
        fd_limit = 1024; /* unknown: the usual default */
    long n = fd_limit / 4 * 3;
    if (n > 1000000)
        n = 1000000;
    return n < 16 ? 16 : (int)n;
}
