/* routes.h -- what the frontend serves: the methods and endpoints a request is sorted into. */
#ifndef FE_ROUTES_H
#define FE_ROUTES_H

typedef enum fe_endpoint {
    FE_EP_HELLO,
    FE_EP_FRUIT,
    /* WORKSHOP:EX0 BEGIN */
    FE_EP_METRICS,
    /* WORKSHOP:EX0 END */
    FE_EP_OTHER, /* any other path: 404 */
    FE_NEP
} fe_endpoint;

typedef enum fe_method {
    FE_M_GET,
    FE_M_POST,
    FE_M_HEAD,
    FE_M_PUT,
    FE_M_DELETE,
    FE_M_PATCH,
    FE_M_OPTIONS,
    FE_M_OTHER,
    FE_NM
} fe_method;

/* "GET", "POST"... and "other", indexed by fe_method. */
extern const char *const fe_method_names[FE_NM];
/* The fe_method of an HTTP method name (case-sensitive, as HTTP says); FE_M_OTHER if unknown. */
fe_method fe_method_parse(const char *name);

#endif
