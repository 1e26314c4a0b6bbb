/* Must not compile: promc_clear on an untyped pointer. */
#include <promc.h>
int f(void *p);
int f(void *p) {
    return promc_clear(p);
}
