/* server.h -- the frontend's HTTP server: routing, request bodies (request.h), simulated
 * latency, and dispatch to the handlers. */
#ifndef FE_SERVER_H
#define FE_SERVER_H

#include "config.h"

/* Starts listening; NULL on failure (logged). */
struct MHD_Daemon *fe_server_start(const fe_config *cfg);
void fe_server_stop(struct MHD_Daemon *d);

#endif
