/* resources.h -- each HTTP worker thread's own connections (PostgreSQL, Redis, RabbitMQ).
 *
 * libmicrohttpd runs a fixed pool of threads, so one set of connections per thread needs no
 * locking and stays long-lived: created on the thread's first request, freed at shutdown. */
#ifndef FE_RESOURCES_H
#define FE_RESOURCES_H

#include "cache.h"
#include "config.h"
#include "db.h"
#include "mq.h"

typedef struct fe_resources {
    ws_db *db;
    ws_cache *cache;
    ws_mq_publisher *orders;
} fe_resources;

/* Remembers the configuration used to create each thread's set. */
void fe_resources_init(const fe_config *cfg);
/* The calling thread's set, created on first use; NULL on allocation failure. */
fe_resources *fe_resources_get(void);
/* Frees every thread's set; call after the HTTP server has stopped. */
void fe_resources_free_all(void);

#endif
