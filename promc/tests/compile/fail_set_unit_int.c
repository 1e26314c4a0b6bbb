/* Must not compile: promc_set_unit on something that is not a metric handle. */
#include <promc.h>
int f(int *p);
int f(int *p) {
    return promc_set_unit(p, "seconds");
}
