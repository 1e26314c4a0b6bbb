/* handlers.h -- the frontend's routes once a request has fully arrived. */
#ifndef FE_HANDLERS_H
#define FE_HANDLERS_H

#include "config.h"
#include "request.h"

/* Prepares static responses and remembers the configuration. 0 or -1. */
int fe_handlers_init(const fe_config *cfg);
void fe_handlers_free(void);

enum MHD_Result fe_hello(struct MHD_Connection *conn, fe_request *req);
enum MHD_Result fe_fruit_get(struct MHD_Connection *conn, fe_request *req);
enum MHD_Result fe_fruit_post(struct MHD_Connection *conn, fe_request *req);

#endif
