/* ex01_counter.c -- exercise 1: a counter of GET /hello requests. The snippets are what the guide
 * shows; main() plays three requests and checks what /metrics would say. */
#include "promc.h"
#include "snippet_check.h"

static promc_counter *hello_total; /* one handle for the whole program */

static int metrics_init(void) {
    hello_total = promc_counter_new(NULL, "hello_total", "Total number of hello requests", NULL);
    if (!hello_total)
        return -1; /* promc_last_error_message() says why */
    return 0;
}

static void on_hello(void) {
    promc_counter_inc(hello_total);
}

int main(void) {
    if (metrics_init() != 0)
        return 1;
    for (int i = 0; i < 3; i++)
        on_hello();
    char *page = snippet_render();
    snippet_expect_line(page, "# HELP hello_total Total number of hello requests");
    snippet_expect_line(page, "# TYPE hello_total counter");
    snippet_expect_line(page, "hello_total 3");
    free(page);
    return snippet_result("ex01_counter");
}
