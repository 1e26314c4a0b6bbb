/* test_backoff.c -- reconnect scheduling over a list of servers (services/common/backoff.c). */
#include "backoff.h"
#include "check.h"

int main(void) {
    ws_reconnect r;
    ws_reconnect_init(&r, 100, 1000, 3);
    double now = ws_now();
    CHECK(ws_reconnect_due(&r, now) && r.server == 0);

    /* A lost or refused node: the next one at once, twice; the third failure ends the round. */
    ws_reconnect_failed(&r);
    CHECK(r.server == 1 && ws_reconnect_due(&r, ws_now()));
    ws_reconnect_failed(&r);
    CHECK(r.server == 2 && ws_reconnect_due(&r, ws_now()));
    ws_reconnect_failed(&r);
    now = ws_now();
    CHECK(r.server == 0 && !ws_reconnect_due(&r, now));
    double w = ws_reconnect_wait_s(&r, now);
    CHECK(w > 0.07 && w <= 0.121); /* the first delay: 100 ms +-20% */

    /* The next round waits longer (exponential). */
    r.retry_at = 0;
    for (int i = 0; i < 3; i++)
        ws_reconnect_failed(&r);
    w = ws_reconnect_wait_s(&r, ws_now());
    CHECK(w > 0.15 && w <= 0.241);

    /* Success mid-list stays on that node; the next loss moves on at once, and the delay
     * restarts from the minimum. */
    r.retry_at = 0;
    ws_reconnect_failed(&r); /* server 1 */
    ws_reconnect_ok(&r);
    CHECK(r.server == 1 && r.failed == 0);
    ws_reconnect_failed(&r);
    CHECK(r.server == 2 && ws_reconnect_due(&r, ws_now()));
    ws_reconnect_failed(&r);
    ws_reconnect_failed(&r);
    w = ws_reconnect_wait_s(&r, ws_now());
    CHECK(r.server == 1 && w > 0.07 && w <= 0.121);

    /* One server: every failure waits, as a plain backoff does. */
    ws_reconnect one;
    ws_reconnect_init(&one, 100, 1000, 0);
    CHECK(one.n_servers == 1);
    ws_reconnect_failed(&one);
    CHECK(one.server == 0 && !ws_reconnect_due(&one, ws_now()));
    printf("checked: next server at once within a round, backoff after a full round, reset on "
           "success, single server\n");
    return check_done("test_backoff");
}
