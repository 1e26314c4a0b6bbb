/* consumer.c -- uses an installed promc: registers a counter, renders it, starts a server. */
#include <promc.h>
#include <promc_http.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    promc_counter *c = promc_counter_new(NULL, "consumer_runs_total", "Runs.", NULL);
    char *out = NULL;
    size_t len = 0;
    if (!c || promc_counter_inc(c) != 0 || promc_render(NULL, PROMC_FORMAT_TEXT, &out, &len) != 0)
        return 1;
    /* the HTTP part links too: start and stop a server on an ephemeral port */
    promc_http_server *srv = promc_http_start(NULL, "127.0.0.1", 0, NULL);
    if (!srv)
        return 1;
    promc_http_stop(srv);
    fwrite(out, 1, len, stdout);
    free(out);
    return 0;
}
