/* ex03_labels.c -- exercise 3: one gauge series per fruit (recent_fruits{fruit}) and a counter of
 * ordered quantities per fruit (quantity_total{fruit}). The snippets are what the guide shows. */
#include "promc.h"
#include "snippet_check.h"

static promc_gauge *recent_fruits;
static promc_counter *quantity_total;

static int metrics_init(void) {
    recent_fruits =
        promc_gauge_new(NULL, "recent_fruits", "Total number of recent fruits in the database",
                        PROMC_LABELS("fruit"));
    quantity_total = promc_counter_new(NULL, "quantity_total", "Quantity of fruit ordered",
                                       PROMC_LABELS("fruit"));
    return recent_fruits && quantity_total ? 0 : -1;
}

static void on_fruit_total(const char *name, long long total_quantity) {
    promc_gauge_set(promc_gauge_labels(recent_fruits, name), (double)total_quantity);
}

static void on_order_accepted(const char *fruit, int quantity) {
    promc_counter_add(promc_counter_labels(quantity_total, fruit), quantity);
}

int main(void) {
    if (metrics_init() != 0)
        return 1;
    on_fruit_total("apples", 7);
    on_fruit_total("pears", 2);
    on_order_accepted("apples", 3);
    on_order_accepted("apples", 1);
    /* snippet: cache-child */
    /* Looking a child up is cheap, but a hot path may keep the handle: */
    promc_gauge *apples = promc_gauge_labels(recent_fruits, "apples");
    promc_gauge_set(apples, 8);
    /* end snippet */
    char *page = snippet_render();
    snippet_expect_line(page, "# TYPE recent_fruits gauge");
    snippet_expect_line(page, "recent_fruits{fruit=\"apples\"} 8");
    snippet_expect_line(page, "recent_fruits{fruit=\"pears\"} 2");
    snippet_expect_line(page, "# TYPE quantity_total counter");
    snippet_expect_line(page, "quantity_total{fruit=\"apples\"} 4");
    free(page);
    return snippet_result("ex03_labels");
}
