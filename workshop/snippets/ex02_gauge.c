/* ex02_gauge.c -- exercise 2: a gauge holding the last total GET /fruit answered for all fruits.
 * The snippets are what the guide shows; main() checks the gauge follows the last value set. */
#include "promc.h"
#include "snippet_check.h"

static promc_gauge *all_fruits;

static int metrics_init(void) {
    all_fruits =
        promc_gauge_new(NULL, "all_fruits", "Total number of recent fruits in the database", NULL);
    return all_fruits ? 0 : -1;
}

static void on_fruit_total(long long total_quantity) {
    promc_gauge_set(all_fruits, (double)total_quantity);
}

int main(void) {
    if (metrics_init() != 0)
        return 1;
    on_fruit_total(40);
    on_fruit_total(12); /* a gauge keeps the last value, up or down */
    char *page = snippet_render();
    snippet_expect_line(page, "# TYPE all_fruits gauge");
    snippet_expect_line(page, "all_fruits 12");
    free(page);
    return snippet_result("ex02_gauge");
}
