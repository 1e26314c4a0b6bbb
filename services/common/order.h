/* order.h -- the fruit list, order validation and the queue's message format.
 *
 * Shared by the frontend (validating POST /fruit before publishing) and the backend
 * (classifying what it consumes), so both sides agree on what a valid order is. */
#ifndef WS_ORDER_H
#define WS_ORDER_H

#include <stddef.h>

#define WS_NFRUITS        5
#define WS_MAX_QUANTITY   1000000 /* larger orders are refused: the column is a 32-bit int */
#define WS_MAX_ORDER_BODY 4096    /* bytes accepted in a POST /fruit body */
#define WS_ORDER_MSG_MAX  64      /* bytes of the longest order message */
#define WS_HELLO_MSG      "\"hello\""

extern const char *const ws_fruits[WS_NFRUITS];

/* Index of a fruit name (exact, lower-case) in ws_fruits, or -1. */
int ws_fruit_index(const char *name);

typedef struct ws_order {
    int fruit; /* index into ws_fruits */
    int quantity;
} ws_order;

typedef enum ws_order_result {
    WS_ORDER_OK,
    WS_ORDER_BAD_JSON,     /* not JSON, invalid UTF-8, duplicate keys, trailing garbage */
    WS_ORDER_NOT_OBJECT,   /* JSON, but not an object */
    WS_ORDER_MISSING,      /* fruit or quantity absent or null */
    WS_ORDER_BAD_FRUIT,    /* fruit not a string or not in the list (after lower-casing) */
    WS_ORDER_BAD_QUANTITY, /* quantity not an integer, < 1 or > WS_MAX_QUANTITY */
} ws_order_result;

/* Validates a POST /fruit body (len bytes, need not be NUL-terminated). */
ws_order_result ws_order_parse(const char *body, size_t len, ws_order *out);
/* The seed's error text for a result ("Invalid fruit", ...). */
const char *ws_order_error_message(ws_order_result r);
/* The error kind for errors_total{error} ("FruitValueError", ...). */
const char *ws_order_error_kind(ws_order_result r);

/* Writes the queue message {"fruit": "<name>", "quantity": N} (as the seed's json.dumps);
 * returns its length, or 0 if cap is too small. */
size_t ws_order_format(const ws_order *o, char *buf, size_t cap);

typedef enum ws_msg_kind { WS_MSG_HELLO, WS_MSG_ORDER, WS_MSG_POISON } ws_msg_kind;
/* Classifies a consumed message: the JSON string "hello", a valid order, or poison. */
ws_msg_kind ws_msg_classify(const void *body, size_t len, ws_order *order);

#endif
