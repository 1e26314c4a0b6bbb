/* ex00_frontend.c -- exercise 0, the frontend: it already runs a libmicrohttpd server, so its
 * access handler sends /metrics to promc_http_handle(). The snippet is what the guide shows; the
 * rest is a minimal server like the frontend's, and proves /metrics and /hello both answer. */
#include "promc.h"
#include "promc_http.h"
#include "snippet_check.h"

#include <microhttpd.h>

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state) {
    (void)cls, (void)version, (void)upload, (void)upload_size, (void)state;
    if (strcmp(url, "/metrics") == 0)
        return promc_http_handle(conn, method, NULL);
    static const char hello[] = "Hello, World!";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof hello - 1, (void *)hello, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

int main(void) {
    if (promc_register_default_collectors(NULL) != 0)
        fprintf(stderr, "frontend: no process metrics: %s\n", promc_last_error_message());
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                            on_request, NULL, MHD_OPTION_END);
    if (!d) {
        printf("FAIL cannot start libmicrohttpd\n");
        return 1;
    }
    unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    char *page = snippet_fetch(port, "/metrics");
    char *hello = snippet_fetch(port, "/hello");
    if (!page || !hello) {
        printf("FAIL cannot fetch from the test server\n");
        return 1;
    }
    snippet_expect_line(page, "# TYPE process_resident_memory_bytes gauge");
    snippet_expect_line(page, "process_cpu_seconds_total ");
    snippet_expect_line(hello, "Hello, World!");
    free(page);
    free(hello);
    MHD_stop_daemon(d);
    return snippet_result("ex00_frontend");
}
