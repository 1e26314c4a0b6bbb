/* generator.h -- the seed's order generator: an order of oranges every 100-500 ms. */
#ifndef BE_GENERATOR_H
#define BE_GENERATOR_H

#include "config.h"

#include <stdatomic.h>

/* Starts the generator thread unless cfg->generator_ms is off. 0 or -1. */
int be_generator_start(const be_config *cfg, const atomic_bool *running);
void be_generator_join(void);

#endif
