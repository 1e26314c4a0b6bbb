/* delay.c -- a min-heap of (deadline, suspended connection) served by one timer thread. */
#include "delay.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

typedef struct entry {
    double due;
    struct MHD_Connection *conn;
} entry;

static entry *heap;
static int size, cap;
static bool running;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;
static pthread_t thread;

static void swap(int a, int b) {
    entry t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
}

static void push(entry e) {
    int i = size++;
    heap[i] = e;
    while (i > 0 && heap[(i - 1) / 2].due > heap[i].due) {
        swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static entry pop(void) {
    entry top = heap[0];
    heap[0] = heap[--size];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < size && heap[l].due < heap[m].due)
            m = l;
        if (r < size && heap[r].due < heap[m].due)
            m = r;
        if (m == i)
            break;
        swap(i, m);
        i = m;
    }
    return top;
}

static void *timer_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    while (running || size > 0) {
        if (size == 0) {
            pthread_cond_wait(&changed, &lock);
            continue;
        }
        double now = ws_now();
        if (running && heap[0].due > now) {
            double wait = heap[0].due - now;
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            long ns = ts.tv_nsec + (long)((wait - (double)(long)wait) * 1e9);
            ts.tv_sec += (time_t)wait + ns / 1000000000;
            ts.tv_nsec = ns % 1000000000;
            pthread_cond_timedwait(&changed, &lock, &ts);
            continue;
        }
        entry e = pop();
        pthread_mutex_unlock(&lock);
        MHD_resume_connection(e.conn);
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int fe_delay_start(int capacity) {
    heap = calloc((size_t)capacity, sizeof *heap);
    if (!heap)
        return -1;
    cap = capacity;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&changed, &attr);
    pthread_condattr_destroy(&attr);
    running = true;
    if (pthread_create(&thread, NULL, timer_main, NULL) != 0) {
        free(heap);
        heap = NULL;
        return -1;
    }
    pthread_setname_np(thread, "latency-timer");
    return 0;
}

bool fe_delay(struct MHD_Connection *conn, int ms) {
    pthread_mutex_lock(&lock);
    if (!running || size >= cap) {
        pthread_mutex_unlock(&lock);
        return false;
    }
    /* Suspend before the timer can see the entry, so a resume never precedes its suspend. */
    MHD_suspend_connection(conn);
    push((entry){ws_now() + ms / 1000.0, conn});
    if (heap[0].conn == conn)
        pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
    return true;
}

void fe_delay_stop(void) {
    if (!heap)
        return;
    pthread_mutex_lock(&lock);
    running = false;
    pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    pthread_cond_destroy(&changed);
    free(heap);
    heap = NULL;
}
