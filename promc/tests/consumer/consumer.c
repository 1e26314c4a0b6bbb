/* consumer.c -- uses an installed promc: registers a counter and renders it. */
#include <promc.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    promc_counter *c = promc_counter_new(NULL, "consumer_runs_total", "Runs.", NULL);
    char *out = NULL;
    size_t len = 0;
    if (!c || promc_counter_inc(c) != 0 || promc_render(NULL, PROMC_FORMAT_TEXT, &out, &len) != 0)
        return 1;
    fwrite(out, 1, len, stdout);
    free(out);
    return 0;
}
