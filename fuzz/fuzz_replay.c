/* fuzz_replay.c -- a main() for fuzz targets where libFuzzer is not available (GCC builds) and
 * for CTest: feeds the seed corpus and a deterministic stream of pseudo-random inputs through
 * the same LLVMFuzzerTestOneInput that libFuzzer drives.
 *
 *   fuzz_replay [-n COUNT] [-s SEED] [FILE|DIR]...
 *
 * Files are run as they are, directories file by file in name order. Then COUNT inputs are
 * generated from SEED (splitmix64), built from the pieces that break escaping and UTF-8:
 * backslashes, quotes, line feeds, "\n" spelled out, multi-byte characters and broken ones.
 * The same seed always gives the same inputs, so a failure reproduces.
 */
#include "fuzz_target.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE      (1u << 20)
#define MAX_GEN_INPUT 4096

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    uint8_t *buf = malloc(MAX_FILE);
    size_t n = buf ? fread(buf, 1, MAX_FILE, f) : 0;
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "fuzz_replay: cannot read %s\n", path);
        free(buf);
        return -1;
    }
    fuzz_input_name = path;
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int skip_dots(const struct dirent *d) {
    return d->d_name[0] != '.';
}

/* Runs a file, or every file of a directory in name order; returns how many ran, -1 on error. */
static long run_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path) == 0 ? 1 : -1;
    struct dirent **list;
    int n = scandir(path, &list, skip_dots, alphasort);
    if (n < 0) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    long ran = 0;
    for (int i = 0; i < n; i++) {
        char file[4096];
        snprintf(file, sizeof file, "%s/%s", path, list[i]->d_name);
        if (ran >= 0 && run_file(file) == 0)
            ran++;
        else
            ran = -1;
        free(list[i]);
    }
    free(list);
    return ran;
}

/* ---- Generated inputs -------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned below(uint64_t *st, unsigned n) {
    return (unsigned)(splitmix64(st) % n);
}

/* Pieces that are valid UTF-8, weighted towards what escaping must handle. */
static const char *const good_pieces[] = {
    "\\",
    "\"",
    "\n",
    "\\n",
    "\\\\",
    "\\\"",
    "n",
    "a",
    "Z",
    "0",
    " ",
    "  ",
    "\t",
    "\r",
    "#",
    "{",
    "}",
    "=",
    ",",
    "le",
    "# EOF",
    "\xc3\xa9",
    "\xe2\x82\xac",
    "\xf0\x9f\x98\x80",
    "\xf4\x8f\xbf\xbf",
    "\xef\xbf\xbf",
    "\xc2\x80",
    "\xed\x9f\xbf",
    "\xee\x80\x80",
    "\x7f",
    "\x01",
    "\x1b[0m",
};
/* Ill-formed sequences: overlong, surrogates, above U+10FFFF, stray and truncated bytes. */
static const char *const bad_pieces[] = {
    "\xc0\x80",
    "\xc1\xbf",
    "\xe0\x80\x80",
    "\xe0\x9f\xbf",
    "\xed\xa0\x80",
    "\xed\xbf\xbf",
    "\xf0\x80\x80\x80",
    "\xf4\x90\x80\x80",
    "\xf5\x80\x80\x80",
    "\xf8\x88\x80\x80\x80",
    "\xff",
    "\xfe",
    "\x80",
    "\xbf",
    "\xe2\x82",
    "\xc3",
    "\xf0\x9f\x98",
    "\xc3\x28",
    "\xe2\x28\xa1",
};
#define NGOOD (sizeof good_pieces / sizeof good_pieces[0])
#define NBAD  (sizeof bad_pieces / sizeof bad_pieces[0])

static const double interesting[] = {
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    0.1,
    -2.5,
    10,
    1e21,
    1e-7,
    123456789.125,
    9007199254740992.0,
    9007199254740993.0,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    2.2250738585072014e-308,
    4.9e-324,
    0.005,
    7.5,
    1e6,
    1e16,
    1e-5,
    5e-324 * 3,
};
#define NINTERESTING (sizeof interesting / sizeof interesting[0])

static double gen_double(uint64_t *st) {
    unsigned pick = below(st, 8);
    if (pick < 5)
        return interesting[below(st, NINTERESTING)];
    if (pick == 5) {
        const double special[] = {__builtin_inf(), -__builtin_inf(), __builtin_nan("")};
        return special[below(st, 3)];
    }
    uint64_t bits = splitmix64(st);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static size_t gen_input(uint64_t *st, uint8_t *buf) {
    size_t n = 0;
    buf[n++] = (uint8_t)splitmix64(st);
    double v = gen_double(st), b = gen_double(st);
    memcpy(buf + n, &v, 8);
    memcpy(buf + n + 8, &b, 8);
    n += 16;
    bool clean = below(st, 8) < 5; /* most inputs valid, so most reach the renderer */
    for (int field = 0; field < 5; field++) {
        unsigned pieces = below(st, 16) == 0 ? 60 + below(st, 80) : below(st, 10);
        for (unsigned i = 0; i < pieces; i++) {
            const char *p = !clean && below(st, 12) == 0 ? bad_pieces[below(st, NBAD)]
                                                         : good_pieces[below(st, NGOOD)];
            size_t len = strlen(p);
            if (n + len + 1 >= MAX_GEN_INPUT)
                break;
            memcpy(buf + n, p, len);
            n += len;
        }
        if (field < 4)
            buf[n++] = '\0';
    }
    return n;
}

int main(int argc, char **argv) {
    unsigned long count = 0;
    uint64_t seed = 1;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i += 2) {
        if (i + 1 >= argc || (strcmp(argv[i], "-n") != 0 && strcmp(argv[i], "-s") != 0)) {
            fprintf(stderr, "usage: %s [-n COUNT] [-s SEED] [FILE|DIR]...\n", argv[0]);
            return 2;
        }
        if (argv[i][1] == 'n')
            count = strtoul(argv[i + 1], NULL, 10);
        else
            seed = strtoull(argv[i + 1], NULL, 10);
    }
    long files = 0;
    for (; i < argc; i++) {
        long ran = run_path(argv[i]);
        if (ran < 0)
            return 1;
        files += ran;
    }
    uint8_t *buf = malloc(MAX_GEN_INPUT);
    if (!buf)
        return 1;
    char name[64];
    uint64_t st = seed;
    for (unsigned long k = 0; k < count; k++) {
        snprintf(name, sizeof name, "generated #%lu (seed %llu)", k, (unsigned long long)seed);
        fuzz_input_name = name;
        size_t n = gen_input(&st, buf);
        LLVMFuzzerTestOneInput(buf, n);
    }
    free(buf);
    const fuzz_stats *s = &fuzz_stats_total;
    printf("fuzz_replay: %ld corpus files + %lu generated inputs (seed %llu): all round-tripped\n",
           files, count, (unsigned long long)seed);
    printf("  help accepted %lu, rejected %lu (invalid UTF-8)\n", s->help_accepted,
           s->help_rejected);
    printf("  label sets accepted %lu, rejected %lu\n", s->labels_accepted, s->labels_rejected);
    printf("  exemplars accepted %lu, rejected %lu\n", s->exemplars_accepted,
           s->exemplars_rejected);
    printf("  inputs with \\ \" or line feeds: %lu; exposition bytes parsed: %lu\n",
           s->escapes_rendered, s->bytes_parsed);
    return 0;
}
