/* test_opts.c -- flags, env variables and value parsing (services/common/opts.c). */
#include "check.h"
#include "opts.h"

#include <stdlib.h>

int main(void) {
    int port = 5000;
    bool sim = true;
    double rate = 0.1;
    ws_range lat = {100, 500, false};
    const char *dsn = "x";
    const ws_opt opts[] = {
        {"port", "T_PORT", WS_OPT_INT, &port, 0, 65535, "PORT", "port"},
        {"simulate-latency", "T_SIM", WS_OPT_BOOL, &sim, 0, 0, "on|off", "sim"},
        {"rate", "T_RATE", WS_OPT_DOUBLE, &rate, 0, 1, "P", "rate"},
        {"latency-ms", "T_LAT", WS_OPT_RANGE, &lat, 0, 60000, "LO-HI", "lat"},
        {"dsn", "T_DSN", WS_OPT_STR, &dsn, 0, 0, "DSN", "dsn"},
    };
    size_t n = sizeof opts / sizeof opts[0];

    setenv("T_PORT", "6000", 1);
    setenv("T_DSN", "from-env", 1);
    char *argv1[] = {"prog", "--simulate-latency=off", "--latency-ms", "5-10", "--dsn=flag", NULL};
    int first = -1;
    CHECK(ws_opts_parse("prog", "test", opts, n, 5, argv1, &first) == WS_OPTS_OK);
    CHECK(port == 6000);    /* env applied */
    CHECK_STR(dsn, "flag"); /* flag wins over env */
    CHECK(!sim);
    CHECK(lat.lo == 5 && lat.hi == 10 && !lat.off);
    CHECK(first == 5);

    char *argv2[] = {"prog", "--simulate-latency", "--port=70000", NULL};
    CHECK(ws_opts_parse("prog", "test", opts, n, 3, argv2, NULL) == WS_OPTS_ERROR);
    CHECK(sim); /* set before the bad --port */

    char *argv6[] = {"prog", "--simulate-latency", "off", "--port", "81", NULL};
    CHECK(ws_opts_parse("prog", "test", opts, n, 5, argv6, &first) == WS_OPTS_OK);
    CHECK(!sim && port == 81 && first == 5);
    char *argv7[] = {"prog", "--simulate-latency", "extra", NULL};
    CHECK(ws_opts_parse("prog", "test", opts, n, 3, argv7, &first) == WS_OPTS_OK);
    CHECK(sim && first == 2); /* not a bool word: a positional argument */

    char *argv3[] = {"prog", "--rate=1.5", NULL};
    CHECK(ws_opts_parse("prog", "test", opts, n, 2, argv3, NULL) == WS_OPTS_ERROR);
    char *argv4[] = {"prog", "--nope", NULL};
    CHECK(ws_opts_parse("prog", "test", opts, n, 2, argv4, NULL) == WS_OPTS_ERROR);
    setenv("T_PORT", "abc", 1);
    char *argv5[] = {"prog", NULL};
    CHECK(ws_opts_parse("prog", "test", opts, n, 1, argv5, NULL) == WS_OPTS_ERROR);
    unsetenv("T_PORT");

    ws_range r;
    CHECK(ws_parse_range("off", &r) == 0 && r.off);
    CHECK(ws_parse_range("250", &r) == 0 && r.lo == 250 && r.hi == 250);
    CHECK(ws_parse_range("5-1", &r) != 0);
    CHECK(ws_parse_range("-5", &r) != 0);
    CHECK(ws_parse_range("1-2-3", &r) != 0);
    bool b;
    CHECK(ws_parse_bool("YES", &b) == 0 && b);
    CHECK(ws_parse_bool("0", &b) == 0 && !b);
    CHECK(ws_parse_bool("maybe", &b) != 0);

    /* The start-up log line: every option, passwords masked, odd values quoted. */
    char line[512];
    port = 5000, sim = true, rate = 0.25, lat = (ws_range){100, 500, false};
    dsn = "postgresql://demo:secret@localhost:5432/demo";
    CHECK_STR(ws_opts_describe(opts, n, line, sizeof line),
              "port=5000 simulate-latency=on rate=0.25 latency-ms=100-500 "
              "dsn=postgresql://demo:***@localhost:5432/demo");
    dsn = "host=db password=x user=demo";
    CHECK_STR(ws_opts_describe(opts + 4, 1, line, sizeof line),
              "dsn=\"host=db password=*** user=demo\"");
    dsn = "amqp://guest@h/";
    CHECK_STR(ws_opts_describe(opts + 4, 1, line, sizeof line), "dsn=amqp://guest@h/");
    dsn = "";
    CHECK_STR(ws_opts_describe(opts + 4, 1, line, sizeof line), "dsn=\"\"");
    CHECK_STR(ws_opts_describe(opts, n, line, 12), "port=5000 s"); /* truncated, terminated */
    return check_done("test_opts");
}
