/* render.h -- the exposition formats (render.c: text 0.0.4, 1.0.0 and OpenMetrics 1.0;
 * render_pb.c: delimited protobuf), each a sink of the registry walk (walk.c); expose.c's
 * promc_render() picks one. The top of the core library: http.c and push.c use promc_render.
 * Depends on view.h. Never installed. */
#ifndef PROMC_RENDER_H
#define PROMC_RENDER_H

#include "view.h"

typedef struct promc_family promc_family;

/* The whole registry as text in fmt (PROMC_FORMAT_TEXT, _TEXT_1_0_0 or _OPENMETRICS), names
 * written as esc says, appended to out. 0 or PROMC_ENOMEM (last error set). */
int promc__render_text(promc_registry *reg, promc_format fmt, promc_escaping esc, promc_buf *out);
/* The whole registry as delimited io.prometheus.client.MetricFamily messages, appended to out. */
int promc__render_pb(promc_registry *reg, promc_escaping esc, promc_buf *out);
/* One family with these series as render_pb writes them, appended to out: for tests that feed
 * views the registry cannot make yet (native buckets). */
int promc__render_pb_family(const promc_family *f, const promc_series_view *views, size_t n,
                            promc_escaping esc, promc_buf *out);

#endif /* PROMC_RENDER_H */
