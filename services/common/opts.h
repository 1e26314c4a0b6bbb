/* opts.h -- command-line flags with environment-variable equivalents and generated --help.
 *
 * A service describes its options once in a table; opts_parse() applies the defaults already
 * in the targets, then the environment, then the command line, and prints --help from the same
 * table, so a flag, its variable and its documentation can never drift apart. */
#ifndef WS_OPTS_H
#define WS_OPTS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ws_opt_type {
    WS_OPT_STR,    /* const char ** (points into argv or environ, never freed) */
    WS_OPT_INT,    /* int *, checked against [min, max] */
    WS_OPT_DOUBLE, /* double *, checked against [min, max] */
    WS_OPT_BOOL,   /* bool *: on/off, true/false, yes/no, 1/0; "--flag" alone means on */
    WS_OPT_RANGE,  /* ws_range *: "LO-HI" or "N" milliseconds, or "off" */
} ws_opt_type;

/* A range of milliseconds such as the seed's "100-500" pauses; off means disabled. */
typedef struct ws_range {
    int lo, hi;
    bool off;
} ws_range;

typedef struct ws_opt {
    const char *name; /* long option, without "--" */
    const char *env;  /* environment variable, NULL for none */
    ws_opt_type type;
    void *target;
    double min, max; /* bounds for INT, DOUBLE and RANGE */
    const char *metavar;
    const char *help;
} ws_opt;

enum { WS_OPTS_OK = 0, WS_OPTS_HELP = 1, WS_OPTS_ERROR = -1 };

/* Parses env then argv. Prints usage on --help (returns WS_OPTS_HELP) and a one-line reason on
 * stderr for a bad value (returns WS_OPTS_ERROR). *optind_out gets the first positional index. */
int ws_opts_parse(const char *prog, const char *summary, const ws_opt *opts, size_t n, int argc,
                  char **argv, int *optind_out);

/* Writes every option's current value into buf as one log line's key=value pairs
 * ("port=5000 pg-dsn=postgresql://demo:***@localhost/demo ..."): the password of a URL and a
 * libpq "password=" are masked, values with spaces are quoted. Truncated to cap; returns buf. */
char *ws_opts_describe(const ws_opt *opts, size_t n, char *buf, size_t cap);

/* Parses one value for one option (exposed for the unit tests). 0 or -1. */
int ws_opt_set(const ws_opt *o, const char *value);
/* Parses "on"/"off"/... into *out; 0 or -1. */
int ws_parse_bool(const char *s, bool *out);
/* Parses "LO-HI", "N" or "off"; 0 or -1. */
int ws_parse_range(const char *s, ws_range *out);

#endif
