/* fdlimit.h -- the services' file-descriptor limit: raised at start, read by the HTTP servers. */
#ifndef WS_FDLIMIT_H
#define WS_FDLIMIT_H

/* Raises the soft RLIMIT_NOFILE to the hard limit (a shell's default of 1024 is far below what
 * thousands of idle HTTP clients need) and logs one line "fd limit raised from X to Y" (or
 * that it stays). Returns the soft limit now in force. */
long ws_raise_fd_limit(void);

/* How many HTTP connections a server may hold with fd_limit descriptors: 3/4 of them (as
 * promc_http's default), leaving the rest for the database, cache and broker connections, so
 * a full server refuses clients instead of failing accept() and reconnects with EMFILE. */
int ws_connection_budget(long fd_limit);

#endif
