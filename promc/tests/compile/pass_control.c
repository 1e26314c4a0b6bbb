/* Must compile: the same calls as the fail_*.c files, with the right types. */
#include <promc.h>
int f(promc_counter *c, promc_gauge *g);
int f(promc_counter *c, promc_gauge *g) {
    promc_counter *child = promc_counter_labels(c, "GET", "200");
    return (child ? 0 : 1) + promc_set_unit(c, "seconds") + promc_remove(g, PROMC_LABELS("a")) +
           promc_clear(g);
}
