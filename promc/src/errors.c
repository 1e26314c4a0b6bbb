/* errors.c -- error codes, their names, and the thread-local "last error" of constructors. */
#include "base.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local int last_code;
static _Thread_local char last_message[256];

const char *promc_strerror(int code) {
    switch (code) {
    case PROMC_OK:
        return "success";
    case PROMC_EINVAL:
        return "invalid argument";
    case PROMC_ENOMEM:
        return "out of memory";
    case PROMC_EEXIST:
        return "conflicting metric already registered";
    case PROMC_ENOTFOUND:
        return "not found";
    case PROMC_EIO:
        return "input/output error";
    case PROMC_ESTATE:
        return "operation not valid in this state";
    default:
        return "unknown error";
    }
}

int promc_last_error(void) {
    return last_code;
}

const char *promc_last_error_message(void) {
    return last_message;
}

int promc__seterr(int code, const char *fmt, ...) {
    va_list ap;
    last_code = code;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return code;
}
