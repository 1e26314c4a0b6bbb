/* expose.c -- promc_render(): a registry in one of the exposition formats, into a buffer the
 * caller frees. Picks the text renderer (render.c) or the protobuf one (render_pb.c). */
#include "render.h"

#include <stdlib.h>

int promc_render_escaped(promc_registry *reg, promc_format fmt, promc_escaping esc, char **out,
                         size_t *len) {
    if (!out)
        return promc__seterr(PROMC_EINVAL, "promc_render: no output pointer");
    *out = NULL;
    if (len)
        *len = 0;
    if (!reg)
        reg = promc_registry_default();
    if (!reg)
        return promc__seterr(PROMC_ENOMEM, "no default registry");
    if ((unsigned)esc > PROMC_ESCAPING_VALUES)
        return promc__seterr(PROMC_EINVAL, "promc_render: unknown escaping %d", (int)esc);
    promc_buf b = {0};
    int rc;
    switch (fmt) {
    case PROMC_FORMAT_TEXT:
    case PROMC_FORMAT_TEXT_1_0_0:
    case PROMC_FORMAT_OPENMETRICS:
        rc = promc__render_text(reg, fmt, esc, &b);
        break;
    case PROMC_FORMAT_PROTOBUF:
        rc = promc__render_pb(reg, esc, &b);
        break;
    default:
        return promc__seterr(PROMC_EINVAL, "promc_render: unknown format %d", (int)fmt);
    }
    promc__buf_putc(&b, '\0'); /* not counted in len: callers may treat text as a C string */
    if (rc == 0 && b.failed)
        rc = promc__seterr(PROMC_ENOMEM, "out of memory rendering metrics");
    if (rc != 0) {
        free(b.data);
        return rc;
    }
    *out = b.data;
    if (len)
        *len = b.len - 1;
    return 0;
}

int promc_render(promc_registry *reg, promc_format fmt, char **out, size_t *len) {
    return promc_render_escaped(reg, fmt, PROMC_ESCAPING_UNDERSCORES, out, len);
}
