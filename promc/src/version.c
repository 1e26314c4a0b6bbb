/* version.c -- the version of the promc library linked in, for comparing with the header's. */
#include "promc.h"

const char *promc_version(void) {
    return PROMC_VERSION;
}
