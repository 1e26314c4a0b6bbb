/* run.c -- concurrent request loops on one libcurl multi handle, with pauses, an optional
 * global rate, and a live progress line. */
#include "run.h"
#include "util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct slot {
    CURL *easy;
    int kind;
    double started, next_at;
    bool busy;
    char url[512];
    char body[96];
} slot;

int tr_config_finish(tr_config *cfg) {
    char *copy = strdup(cfg->fruits), *save = NULL;
    if (!copy)
        return -1;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (cfg->nfruits == 32 || strlen(t) > 32 || !*t) {
            fprintf(stderr, "traffic: --fruits: at most 32 names of at most 32 characters\n");
            free(copy);
            return -1;
        }
        cfg->fruit_list[cfg->nfruits++] = strdup(t);
    }
    free(copy);
    if (cfg->nfruits == 0) {
        fprintf(stderr, "traffic: --fruits is empty\n");
        return -1;
    }
    static const char *const keys[TR_NKINDS] = {"hello", "get", "post"};
    char buf[128];
    if (!ws_strlcpy(buf, cfg->mix, sizeof buf))
        return -1;
    int sum = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        int k = -1;
        for (int i = 0; eq && i < TR_NKINDS; i++) {
            if ((size_t)(eq - t) == strlen(keys[i]) && strncmp(t, keys[i], (size_t)(eq - t)) == 0)
                k = i;
        }
        char *end;
        long w = eq ? strtol(eq + 1, &end, 10) : -1;
        if (k < 0 || w < 0 || w > 1000 || *end) {
            fprintf(stderr, "traffic: --mix wants hello=W,get=W,post=W (got '%s')\n", t);
            return -1;
        }
        cfg->weights[k] = (int)w;
        sum += (int)w;
    }
    if (sum == 0) {
        fprintf(stderr, "traffic: --mix has no non-zero weight\n");
        return -1;
    }
    return 0;
}

void tr_config_free(tr_config *cfg) {
    for (int i = 0; i < cfg->nfruits; i++)
        free(cfg->fruit_list[i]);
    cfg->nfruits = 0;
}

static int pick_kind(const tr_config *cfg) {
    int sum = cfg->weights[0] + cfg->weights[1] + cfg->weights[2];
    int r = ws_rand_range(0, sum - 1);
    for (int k = 0; k < TR_NKINDS; k++) {
        if (r < cfg->weights[k])
            return k;
        r -= cfg->weights[k];
    }
    return TR_HELLO;
}

static size_t discard(char *p, size_t size, size_t n, void *ud) {
    (void)p, (void)ud;
    return size * n;
}

static void start_request(const tr_config *cfg, CURLM *multi, slot *s,
                          struct curl_slist *json_hdr) {
    s->kind = pick_kind(cfg);
    const char *fruit = cfg->fruit_list[ws_rand_range(0, cfg->nfruits - 1)];
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, NULL);
    if (s->kind == TR_HELLO) {
        snprintf(s->url, sizeof s->url, "%s/hello", cfg->url);
        curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
    } else if (s->kind == TR_FRUIT_GET) {
        snprintf(s->url, sizeof s->url, "%s/fruit?name=%s", cfg->url, fruit);
        curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
    } else {
        snprintf(s->url, sizeof s->url, "%s/fruit", cfg->url);
        snprintf(s->body, sizeof s->body, "{\"fruit\": \"%s\", \"quantity\": %d}", fruit,
                 ws_rand_range(cfg->quantity.lo, cfg->quantity.hi));
        curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
        curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, json_hdr);
    }
    curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
    s->started = ws_now();
    s->busy = true;
    curl_multi_add_handle(multi, s->easy);
}

static void progress(const tr_config *cfg, const tr_endpoint_stats *st, double elapsed,
                     bool final) {
    uint64_t total = 0, ok = 0, bad = 0;
    for (int k = 0; k < TR_NKINDS; k++) {
        total += st[k].total;
        for (int c = 200; c < 300; c++)
            ok += st[k].status[c];
    }
    bad = total - ok;
    bool tty = isatty(STDERR_FILENO);
    fprintf(stderr,
            "%s[%6.1fs] requests=%llu ok=%llu not_ok=%llu rate=%.1f/s hello=%llu "
            "get=%llu post=%llu%s",
            tty ? "\r" : "", elapsed, (unsigned long long)total, (unsigned long long)ok,
            (unsigned long long)bad, elapsed > 0 ? (double)total / elapsed : 0.0,
            (unsigned long long)st[TR_HELLO].total, (unsigned long long)st[TR_FRUIT_GET].total,
            (unsigned long long)st[TR_FRUIT_POST].total, tty && !final ? "   " : "\n");
    (void)cfg;
}

int tr_run(const tr_config *cfg, tr_endpoint_stats st[TR_NKINDS], const atomic_bool *stop,
           double *elapsed) {
    CURLM *multi = curl_multi_init();
    slot *slots = calloc((size_t)cfg->concurrency, sizeof *slots);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (!multi || !slots || !hdr) {
        free(slots);
        curl_slist_free_all(hdr);
        if (multi)
            curl_multi_cleanup(multi);
        return -1;
    }
    for (int i = 0; i < cfg->concurrency; i++) {
        slots[i].easy = curl_easy_init();
        curl_easy_setopt(slots[i].easy, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(slots[i].easy, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
        curl_easy_setopt(slots[i].easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(slots[i].easy, CURLOPT_PRIVATE, &slots[i]);
    }
    double t0 = ws_now(), next_allowed = t0, last_progress = t0;
    long started = 0;
    int inflight = 0;
    for (;;) {
        double now = ws_now();
        bool out_of_time = cfg->duration > 0 && now - t0 >= cfg->duration;
        bool out_of_requests = cfg->requests > 0 && started >= cfg->requests;
        bool stopping = atomic_load(stop) || out_of_time || out_of_requests;
        if (stopping && inflight == 0)
            break;
        double wake = now + 0.1;
        for (int i = 0; i < cfg->concurrency && !stopping; i++) {
            slot *s = &slots[i];
            if (s->busy)
                continue;
            if (s->next_at > now) {
                wake = s->next_at < wake ? s->next_at : wake;
                continue;
            }
            if (cfg->rate > 0 && next_allowed > now) {
                wake = next_allowed < wake ? next_allowed : wake;
                break;
            }
            if (cfg->requests > 0 && started >= cfg->requests)
                break;
            start_request(cfg, multi, s, hdr);
            started++;
            inflight++;
            if (cfg->rate > 0)
                next_allowed = (next_allowed < now - 1 ? now : next_allowed) + 1.0 / cfg->rate;
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            slot *s;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            long code = 0;
            if (m->data.result == CURLE_OK)
                curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            double done = ws_now();
            tr_stats_record(&st[s->kind], code, done - s->started);
            curl_multi_remove_handle(multi, m->easy_handle);
            s->busy = false;
            inflight--;
            s->next_at = cfg->pause_ms.off
                             ? done
                             : done + ws_rand_range(cfg->pause_ms.lo, cfg->pause_ms.hi) / 1000.0;
        }
        now = ws_now();
        if (cfg->progress && now - last_progress >= (isatty(STDERR_FILENO) ? 1.0 : 5.0)) {
            progress(cfg, st, now - t0, false);
            last_progress = now;
        }
        int wait_ms = (int)((wake - now) * 1000);
        if (wait_ms < 0)
            wait_ms = 0;
        if (wait_ms > 100)
            wait_ms = 100;
        curl_multi_poll(multi, NULL, 0, wait_ms, NULL);
    }
    *elapsed = ws_now() - t0;
    if (cfg->progress)
        progress(cfg, st, *elapsed, true);
    for (int i = 0; i < cfg->concurrency; i++)
        curl_easy_cleanup(slots[i].easy);
    free(slots);
    curl_slist_free_all(hdr);
    curl_multi_cleanup(multi);
    return 0;
}
