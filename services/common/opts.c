/* opts.c -- getopt_long over an option table, with env-var fallbacks and generated --help. */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_OPTS 64

int ws_parse_bool(const char *s, bool *out) {
    static const char *const yes[] = {"1", "on", "true", "yes", NULL};
    static const char *const no[] = {"0", "off", "false", "no", NULL};
    for (int i = 0; yes[i]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int parse_long(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int ws_parse_range(const char *s, ws_range *out) {
    if (strcasecmp(s, "off") == 0 || strcasecmp(s, "none") == 0) {
        *out = (ws_range){0, 0, true};
        return 0;
    }
    char buf[64];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    char *dash = strchr(buf, '-');
    long lo, hi;
    if (dash && dash != buf) {
        *dash = '\0';
        if (parse_long(buf, &lo) || parse_long(dash + 1, &hi))
            return -1;
    } else {
        if (parse_long(buf, &lo))
            return -1;
        hi = lo;
    }
    if (lo < 0 || hi < lo || hi > 3600000)
        return -1;
    *out = (ws_range){(int)lo, (int)hi, false};
    return 0;
}

int ws_opt_set(const ws_opt *o, const char *value) {
    switch (o->type) {
    case WS_OPT_STR:
        *(const char **)o->target = value;
        return 0;
    case WS_OPT_INT: {
        long v;
        if (parse_long(value, &v) || (double)v < o->min || (double)v > o->max)
            return -1;
        *(int *)o->target = (int)v;
        return 0;
    }
    case WS_OPT_DOUBLE: {
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        if (errno != 0 || end == value || *end != '\0' || !isfinite(v) || v < o->min || v > o->max)
            return -1;
        *(double *)o->target = v;
        return 0;
    }
    case WS_OPT_BOOL:
        return ws_parse_bool(value, (bool *)o->target);
    case WS_OPT_RANGE: {
        ws_range r;
        if (ws_parse_range(value, &r))
            return -1;
        if (!r.off && (r.lo < o->min || r.hi > o->max))
            return -1;
        *(ws_range *)o->target = r;
        return 0;
    }
    }
    return -1;
}

static void format_default(const ws_opt *o, char *buf, size_t cap) {
    switch (o->type) {
    case WS_OPT_STR: {
        const char *s = *(const char **)o->target;
        snprintf(buf, cap, "%s", s ? s : "");
        break;
    }
    case WS_OPT_INT:
        snprintf(buf, cap, "%d", *(int *)o->target);
        break;
    case WS_OPT_DOUBLE:
        snprintf(buf, cap, "%g", *(double *)o->target);
        break;
    case WS_OPT_BOOL:
        snprintf(buf, cap, "%s", *(bool *)o->target ? "on" : "off");
        break;
    case WS_OPT_RANGE: {
        const ws_range *r = o->target;
        if (r->off)
            snprintf(buf, cap, "off");
        else if (r->lo == r->hi)
            snprintf(buf, cap, "%d", r->lo);
        else
            snprintf(buf, cap, "%d-%d", r->lo, r->hi);
        break;
    }
    }
}

/* Replaces [from, to) of a string with "***"; the buffer has room for the string to grow. */
static void mask(char *from, char *to) {
    memmove(from + 3, to, strlen(to) + 1);
    memcpy(from, "***", 3);
}

/* Masks a URL's password ("scheme://user:PASSWORD@") and a libpq "password=WORD". Grows the
 * string by at most 6 bytes. */
static void redact(char *s) {
    char *p = strstr(s, "://");
    if (p) {
        char *at = strchr(p + 3, '@'), *colon = strchr(p + 3, ':');
        if (at && colon && colon < at)
            mask(colon + 1, at);
    }
    p = strstr(s, "password=");
    if (p) {
        p += strlen("password=");
        mask(p, p + strcspn(p, " "));
    }
}

char *ws_opts_describe(const ws_opt *opts, size_t n, char *buf, size_t cap) {
    size_t len = 0;
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len + 1 < cap; i++) {
        char v[512];
        format_default(&opts[i], v, sizeof v - 6); /* room for redact() */
        redact(v);
        bool quote = *v == '\0' || strpbrk(v, " \"") != NULL;
        int k = snprintf(buf + len, cap - len, "%s%s=%s%s%s", i ? " " : "", opts[i].name,
                         quote ? "\"" : "", v, quote ? "\"" : "");
        if (k < 0)
            break;
        len += (size_t)k < cap - len ? (size_t)k : cap - len - 1;
    }
    return buf;
}

static void print_help(const char *prog, const char *summary, const ws_opt *opts, size_t n) {
    printf("Usage: %s [OPTION]...\n%s\n\nOptions (each also read from the environment variable "
           "shown; a flag wins over its variable):\n",
           prog, summary);
    for (size_t i = 0; i < n; i++) {
        char def[256], left[96];
        format_default(&opts[i], def, sizeof def);
        snprintf(left, sizeof left, "--%s=%s", opts[i].name,
                 opts[i].metavar ? opts[i].metavar : "VALUE");
        printf("  %-34s %s\n  %-34s [env %s, default %s]\n", left, opts[i].help, "",
               opts[i].env ? opts[i].env : "-", def);
    }
    printf("  %-34s %s\n", "-h, --help", "show this help and exit");
}

int ws_opts_parse(const char *prog, const char *summary, const ws_opt *opts, size_t n, int argc,
                  char **argv, int *optind_out) {
    if (n > MAX_OPTS)
        return WS_OPTS_ERROR;
    /* --help first, so that it shows the built-in defaults even when the environment sets some */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help(prog, summary, opts, n);
            return WS_OPTS_HELP;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = opts[i].env ? getenv(opts[i].env) : NULL;
        if (v && *v && ws_opt_set(&opts[i], v) != 0) {
            fprintf(stderr, "%s: invalid value '%s' in %s\n", prog, v, opts[i].env);
            return WS_OPTS_ERROR;
        }
    }
    struct option longopts[MAX_OPTS + 2];
    for (size_t i = 0; i < n; i++) {
        longopts[i] = (struct option){
            opts[i].name, opts[i].type == WS_OPT_BOOL ? optional_argument : required_argument, NULL,
            (int)(256 + i)};
    }
    longopts[n] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[n + 1] = (struct option){NULL, 0, NULL, 0};
    optind = 1;
    opterr = 0;
    int c, idx;
    while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
        if (c >= 256 && (size_t)(c - 256) < n) {
            const ws_opt *o = &opts[c - 256];
            const char *v = optarg ? optarg : "on";
            bool word;
            /* "--flag off" as well as "--flag=off": take a following on/off word */
            if (o->type == WS_OPT_BOOL && !optarg && optind < argc &&
                ws_parse_bool(argv[optind], &word) == 0)
                v = argv[optind++];
            if (ws_opt_set(o, v) != 0) {
                fprintf(stderr, "%s: invalid value '%s' for --%s (see --help)\n", prog, v, o->name);
                return WS_OPTS_ERROR;
            }
        } else {
            fprintf(stderr, "%s: unknown or incomplete option '%s' (see --help)\n", prog,
                    argv[optind - 1]);
            return WS_OPTS_ERROR;
        }
    }
    if (optind_out)
        *optind_out = optind;
    return WS_OPTS_OK;
}
