/* delay.h -- the simulated latency of the seed without holding a thread: a request is
 * suspended in libmicrohttpd and resumed by a timer thread when its delay has passed. */
#ifndef FE_DELAY_H
#define FE_DELAY_H

#include <microhttpd.h>
#include <stdbool.h>

/* capacity: how many requests may wait at once (the server's connection limit). */
int fe_delay_start(int capacity);
/* Suspends conn and resumes it after ms milliseconds. Call from the access handler only.
 * false when the request cannot be delayed (full, or shutting down): handle it now. */
bool fe_delay(struct MHD_Connection *conn, int ms);
/* Resumes every waiting request at once and stops the timer thread. */
void fe_delay_stop(void);

#endif
