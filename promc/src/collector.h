/* collector.h -- running a registry's collectors (collector.c). A collector describes families
 * and series through promc_collect_family/promc_collect_sample; collector.c validates them and
 * hands them to a sink, which the renderer provides: collectors know nothing of formats, and
 * nothing below the renderer calls it. Depends on registry.h and view.h. Never installed. */
#ifndef PROMC_COLLECTOR_H
#define PROMC_COLLECTOR_H

#include "registry.h"
#include "view.h"

/* Where collected families go: family() once per family (f holds its name, help, type and
 * label names), then series() per series of it. */
typedef struct promc_collect_sink {
    void (*family)(void *arg, const promc_family *f);
    void (*series)(void *arg, const promc_family *f, const promc_series_view *s);
    void *arg;
} promc_collect_sink;

/* Runs reg's collectors in registration order into sink; the caller holds reg->lock, so a
 * collector callback must not register or unregister in the same registry. 0, or the first
 * collector's error (a failing collector costs its own families, not the scrape). */
int promc__collectors_run(promc_registry *reg, const promc_collect_sink *sink);

#endif /* PROMC_COLLECTOR_H */
