/* fdlimit.h -- the services' file-descriptor limit: raised at start, read by the HTTP servers. */
#ifndef WS_FDLIMIT_H
#define WS_FDLIMIT_H

/* Raises the soft RLIMIT_NOFILE to the hard limit (a shell's default of 1024 is far below what
 * thousands of idle HTTP clients need) and logs one line "fd limit raised from X to Y" (or
 * that it stays). Returns the soft limit now in force. */
long ws_raise_fd_limit(void);

#endif
