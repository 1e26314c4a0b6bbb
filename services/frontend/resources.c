/* resources.c -- per-thread connection sets for the frontend's handlers. */
#include "resources.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct node {
    fe_resources res;
    struct node *next;
} node;

static const fe_config *config;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static node *all; /* every set ever created, for fe_resources_free_all */
static _Thread_local node *mine;

void fe_resources_init(const fe_config *cfg) {
    config = cfg;
}

static void free_node(node *n) {
    ws_db_free(n->res.db);
    ws_cache_free(n->res.cache);
    ws_mq_publisher_free(n->res.orders);
    free(n);
}

fe_resources *fe_resources_get(void) {
    if (mine)
        return &mine->res;
    node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->res.db = ws_db_new(config->pg_dsn);
    n->res.cache = ws_cache_new(config->redis_host, config->redis_port, config->redis_db,
                                config->redis_timeout_ms);
    n->res.orders = ws_mq_publisher_new(&config->mq, config->queue);
    if (!n->res.db || !n->res.cache || !n->res.orders) {
        free_node(n);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    n->next = all;
    all = n;
    pthread_mutex_unlock(&lock);
    mine = n;
    return &n->res;
}

void fe_resources_free_all(void) {
    pthread_mutex_lock(&lock);
    node *n = all;
    all = NULL;
    pthread_mutex_unlock(&lock);
    while (n) {
        node *next = n->next;
        free_node(n);
        n = next;
    }
}
