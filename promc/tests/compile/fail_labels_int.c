/* Must not compile: a label value that is not a string. */
#include <promc.h>
promc_counter *f(promc_counter *c);
promc_counter *f(promc_counter *c) {
    return promc_counter_labels(c, "GET", 200);
}
