/* push.c -- pushes a registry to a Prometheus Pushgateway over HTTP (libcurl), for batch jobs:
 * the C counterpart of client_python's push_to_gateway, pushadd_to_gateway and
 * delete_from_gateway, building the same URLs.
 *
 * URL: {gateway}/metrics/job/{job}{/name/value}... A value that is empty or holds '/' goes as
 * name@base64/{URL-safe base64}, "=" for the empty one (Pushgateway >= 0.9 / 1.1); others are
 * percent-encoded as Python's quote_plus does. A gateway without a scheme gets http://.
 */
#include "promc_push.h"
#include "fmt.h"

#include <pthread.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUSH_TIMEOUT_SECONDS 30L /* client_python's default is none; never hang a job forever */
#define RESPONSE_KEEP        200 /* bytes of an error response kept for the message */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void) {
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void put_str(promc_buf *b, const char *s) {
    promc__buf_put(b, s, strlen(s));
}

/* Python's quote_plus: letters, digits and _.-~ stay; space becomes '+'; the rest %XX. */
static void put_quoted(promc_buf *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.' || c == '-' || c == '~') {
            promc__buf_putc(b, (char)c);
        } else if (c == ' ') {
            promc__buf_putc(b, '+');
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            promc__buf_put(b, esc, 3);
        }
    }
}

/* URL-safe base64 (RFC 4648 section 5) with padding, as Python's urlsafe_b64encode. */
static void put_base64url(promc_buf *b, const char *s) {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char out[4] = {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63],
                       i + 1 < n ? alphabet[(v >> 6) & 63] : '=',
                       i + 2 < n ? alphabet[v & 63] : '='};
        promc__buf_put(b, out, 4);
    }
}

/* "/name/value", or "/name@base64/..." for values the path cannot carry as they are. */
static void put_pair(promc_buf *b, const char *name, const char *value) {
    promc__buf_putc(b, '/');
    put_str(b, name);
    if (value[0] == '\0') {
        put_str(b, "@base64/=");
    } else if (strchr(value, '/')) {
        put_str(b, "@base64/");
        put_base64url(b, value);
    } else {
        promc__buf_putc(b, '/');
        put_quoted(b, value);
    }
}

static int build_url(promc_buf *url, const char *gateway, const char *job,
                     const char *const *grouping) {
    if (!strstr(gateway, "://"))
        put_str(url, "http://");
    size_t glen = strlen(gateway);
    while (glen > 0 && gateway[glen - 1] == '/')
        glen--;
    promc__buf_put(url, gateway, glen);
    put_str(url, "/metrics");
    put_pair(url, "job", job);
    for (size_t i = 0; grouping && grouping[i]; i += 2) {
        if (!grouping[i + 1])
            return promc__seterr(PROMC_EINVAL, "push: grouping key %s has no value", grouping[i]);
        if (!promc__valid_label_name(grouping[i]) || strcmp(grouping[i], "job") == 0)
            return promc__seterr(PROMC_EINVAL, "push: invalid grouping label name %s", grouping[i]);
        if (!promc__valid_utf8(grouping[i + 1], strlen(grouping[i + 1])))
            return promc__seterr(PROMC_EINVAL, "push: grouping value of %s is not UTF-8",
                                 grouping[i]);
        put_pair(url, grouping[i], grouping[i + 1]);
    }
    promc__buf_putc(url, '\0');
    return url->failed ? promc__seterr(PROMC_ENOMEM, "out of memory") : 0;
}

/* Keeps the first RESPONSE_KEEP bytes of the response body for an error message. */
typedef struct response {
    char text[RESPONSE_KEEP + 1];
    size_t len;
} response;

static size_t on_response(char *data, size_t size, size_t nmemb, void *arg) {
    response *r = arg;
    size_t n = size * nmemb, room = RESPONSE_KEEP - r->len;
    size_t take = n < room ? n : room;
    memcpy(r->text + r->len, data, take);
    r->len += take;
    r->text[r->len] = '\0';
    return n;
}

static int perform(const char *url, const char *method, const char *body, size_t body_len) {
    CURL *curl = curl_easy_init();
    if (!curl)
        return promc__seterr(PROMC_ENOMEM, "push: curl_easy_init failed");
    struct curl_slist *headers = NULL, *h;
    char content_type[128];
    snprintf(content_type, sizeof content_type, "Content-Type: %s",
             promc_content_type(PROMC_FORMAT_TEXT));
    if ((h = curl_slist_append(headers, content_type)) != NULL)
        headers = h;
    if ((h = curl_slist_append(headers, "Expect:")) != NULL) /* no 100-continue round trip */
        headers = h;
    response resp = {.len = 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* safe in threaded programs */
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, PUSH_TIMEOUT_SECONDS);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_response);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    }
    CURLcode cc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (cc != CURLE_OK)
        return promc__seterr(PROMC_EIO, "push %s %s: %s", method, url,
                             errbuf[0] ? errbuf : curl_easy_strerror(cc));
    if (status < 200 || status > 299)
        return promc__seterr(PROMC_EIO, "push %s %s: HTTP %ld: %s", method, url, status, resp.text);
    return 0;
}

int promc_push(promc_registry *reg, const char *gateway, const char *job,
               const char *const *grouping, promc_push_method method) {
    static const char *const methods[] = {"PUT", "POST", "DELETE"};
    if (!gateway || !gateway[0] || !job || !job[0])
        return promc__seterr(PROMC_EINVAL, "push: gateway and job are required");
    if (method < PROMC_PUSH_PUT || method > PROMC_PUSH_DELETE)
        return promc__seterr(PROMC_EINVAL, "push: unknown method %d", (int)method);
    if (!promc__valid_utf8(job, strlen(job)))
        return promc__seterr(PROMC_EINVAL, "push: job is not UTF-8");
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return promc__seterr(PROMC_EIO, "push: curl_global_init: %s",
                             curl_easy_strerror(curl_init_rc));

    promc_buf url = {0};
    int rc = build_url(&url, gateway, job, grouping);
    char *body = NULL;
    size_t body_len = 0;
    if (rc == 0 && method != PROMC_PUSH_DELETE)
        rc =
            promc_render(reg ? reg : promc_registry_default(), PROMC_FORMAT_TEXT, &body, &body_len);
    if (rc == 0)
        rc =
            perform(url.data, methods[method], method == PROMC_PUSH_DELETE ? NULL : body, body_len);
    free(body);
    free(url.data);
    return rc;
}
