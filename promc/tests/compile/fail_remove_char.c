/* Must not compile: promc_remove on something that is not a metric handle. */
#include <promc.h>
int f(char *p);
int f(char *p) {
    return promc_remove(p, PROMC_LABELS("a"));
}
