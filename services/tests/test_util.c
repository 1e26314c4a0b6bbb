/* test_util.c -- random ranges, UUIDs, backoff and string copies (services/common/util.c). */
#include "check.h"
#include "util.h"

#include <ctype.h>
#include <string.h>

int main(void) {
    bool lo = false, hi = false, out = false;
    for (int i = 0; i < 10000; i++) {
        int v = ws_rand_range(100, 500);
        lo |= v == 100;
        hi |= v == 500;
        out |= v < 100 || v > 500;
        double u = ws_rand_unit();
        out |= u < 0 || u >= 1;
    }
    CHECK(lo && hi && !out);
    CHECK(ws_rand_range(7, 7) == 7);

    char a[37], b[37];
    ws_uuid(a);
    ws_uuid(b);
    CHECK(strlen(a) == 36 && strcmp(a, b) != 0);
    CHECK(a[8] == '-' && a[13] == '-' && a[14] == '4' && a[18] == '-' && a[23] == '-');

    ws_backoff bo;
    ws_backoff_init(&bo, 100, 1000);
    int last = 0;
    for (int i = 0; i < 10; i++)
        last = ws_backoff_next(&bo);
    CHECK(last >= 800 && last <= 1200); /* capped, with +-20% jitter */
    ws_backoff_reset(&bo);
    int first = ws_backoff_next(&bo);
    CHECK(first >= 80 && first <= 120);

    char small[4];
    CHECK(!ws_strlcpy(small, "abcdef", sizeof small) && strcmp(small, "abc") == 0);
    CHECK(ws_strlcpy(small, "ab", sizeof small) && strcmp(small, "ab") == 0);

    double t0 = ws_now();
    CHECK(ws_sleep_ms(20, NULL));
    CHECK(ws_now() - t0 >= 0.019);
    atomic_bool running = false;
    CHECK(!ws_sleep_ms(1000, &running));
    return check_done("test_util");
}
