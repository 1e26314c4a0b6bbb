/* promc_push.h -- push a registry to a Prometheus Pushgateway (libcurl), for batch jobs. */
#ifndef PROMC_PUSH_H
#define PROMC_PUSH_H

#include "promc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum promc_push_method {
    PROMC_PUSH_PUT,    /* replace every metric of the group (client_python push_to_gateway) */
    PROMC_PUSH_POST,   /* replace only metrics with the same names (pushadd_to_gateway) */
    PROMC_PUSH_DELETE, /* delete the group (delete_from_gateway) */
} promc_push_method;

/* Pushes reg (NULL: default) to gateway (e.g. "http://localhost:9091") under job, with an
 * optional grouping key of name/value pairs (NULL-terminated, may be NULL). Values are
 * URL-safe base64 encoded in the path as the Pushgateway allows. 0, PROMC_EINVAL or PROMC_EIO
 * (with the HTTP status or curl error in promc_last_error_message()). Thread-safe; locks and
 * allocates (renders reg, then a blocking HTTP request); not async-signal-safe. */
PROMC_API int promc_push(promc_registry *reg, const char *gateway, const char *job,
                         const char *const *grouping, promc_push_method method);

#ifdef __cplusplus
}
#endif
#endif /* PROMC_PUSH_H */
