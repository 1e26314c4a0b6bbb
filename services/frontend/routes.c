/* routes.c -- the names of the methods a request is sorted into, below both the server (which
 * parses them) and the metrics (which use them as label values). */
#include "routes.h"

#include <string.h>

const char *const fe_method_names[FE_NM] = {"GET",    "POST",  "HEAD",    "PUT",
                                            "DELETE", "PATCH", "OPTIONS", "other"};

fe_method fe_method_parse(const char *name) {
    for (int i = 0; i < FE_M_OTHER; i++) {
        if (strcmp(name, fe_method_names[i]) == 0)
            return (fe_method)i;
    }
    return FE_M_OTHER;
}
