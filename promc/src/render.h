/* render.h -- the text exposition formats, Prometheus 0.0.4 and OpenMetrics 1.0 (render.c):
 * a whole registry, or one family header or series at a time. The top of the core library:
 * http.c and push.c use it. Never installed. */
#ifndef PROMC_RENDER_H
#define PROMC_RENDER_H

#include "collector.h"
#include "fmt.h"
#include "view.h"

/* Renders a whole registry: families sorted by name, then the collectors' output. */
int promc__render_registry(promc_registry *reg, promc_format fmt, promc_buf *out);
void promc__render_family_header(promc_buf *out, promc_format fmt, const promc_family *f);
void promc__render_series(promc_buf *out, promc_format fmt, const promc_family *f,
                          const promc_series_view *s);
void promc__render_eof(promc_buf *out, promc_format fmt);

#endif /* PROMC_RENDER_H */
