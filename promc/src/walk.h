/* walk.h -- the registry walk every exposition format shares (walk.c): families sorted by name
 * with promc's drop counters in their place, each family's children in insertion order, then
 * the collectors' families, all handed to a sink (collector.h's promc_collect_sink) as a
 * family followed by its series. The text renderer (render.c) and the protobuf renderer
 * (render_pb.c) are two sinks. Depends on collector.h and metric.h. Never installed. */
#ifndef PROMC_WALK_H
#define PROMC_WALK_H

#include "collector.h"
#include "metric.h"

/* Walks reg into sink. A series view is valid only during its series() call (its arrays are
 * scratch, its label values the child's). 0, or PROMC_ENOMEM (last error set) when the walk
 * itself ran out of memory; a sink keeps its own failures. */
int promc__walk_registry(promc_registry *reg, const promc_collect_sink *sink);

#endif /* PROMC_WALK_H */
