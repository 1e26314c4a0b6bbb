/* order.c -- order validation with jansson, shared by the frontend and the backend. */
#include "order.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

const char *const ws_fruits[WS_NFRUITS] = {"apples", "oranges", "bananas", "grapes", "pears"};

int ws_fruit_index(const char *name) {
    for (int i = 0; i < WS_NFRUITS; i++) {
        if (strcmp(name, ws_fruits[i]) == 0)
            return i;
    }
    return -1;
}

/* Lower-cases an ASCII name into buf; false if it is too long to be a fruit anyway. */
static int lower_fruit_index(const char *s, size_t len) {
    char buf[16];
    if (len >= sizeof buf || memchr(s, '\0', len))
        return -1;
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)tolower((unsigned char)s[i]);
    buf[len] = '\0';
    return ws_fruit_index(buf);
}

static ws_order_result validate(json_t *root, ws_order *out) {
    if (!json_is_object(root))
        return WS_ORDER_NOT_OBJECT;
    json_t *fruit = json_object_get(root, "fruit");
    json_t *qty = json_object_get(root, "quantity");
    if (!fruit || json_is_null(fruit) || !qty || json_is_null(qty))
        return WS_ORDER_MISSING;
    if (!json_is_string(fruit))
        return WS_ORDER_BAD_FRUIT;
    int idx = lower_fruit_index(json_string_value(fruit), json_string_length(fruit));
    if (idx < 0)
        return WS_ORDER_BAD_FRUIT;
    /* json_is_integer is false for 3.0, "3" and true: only a JSON integer literal counts */
    if (!json_is_integer(qty))
        return WS_ORDER_BAD_QUANTITY;
    json_int_t q = json_integer_value(qty);
    if (q < 1 || q > WS_MAX_QUANTITY)
        return WS_ORDER_BAD_QUANTITY;
    out->fruit = idx;
    out->quantity = (int)q;
    return WS_ORDER_OK;
}

ws_order_result ws_order_parse(const char *body, size_t len, ws_order *out) {
    json_error_t err;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!root)
        return WS_ORDER_BAD_JSON;
    ws_order_result r = validate(root, out);
    json_decref(root);
    return r;
}

const char *ws_order_error_message(ws_order_result r) {
    switch (r) {
    case WS_ORDER_OK:
        return "";
    case WS_ORDER_BAD_JSON:
        return "Invalid JSON";
    case WS_ORDER_NOT_OBJECT:
        return "Expected a JSON object";
    case WS_ORDER_MISSING:
        return "No fruit or quantity provided";
    case WS_ORDER_BAD_FRUIT:
        return "Invalid fruit";
    case WS_ORDER_BAD_QUANTITY:
        return "Invalid quantity";
    }
    return "Bad request";
}

const char *ws_order_error_kind(ws_order_result r) {
    switch (r) {
    case WS_ORDER_MISSING:
        return "MissingValueError";
    case WS_ORDER_BAD_FRUIT:
        return "FruitValueError";
    case WS_ORDER_BAD_QUANTITY:
        return "QuantityValueError";
    default:
        return "BadRequestError";
    }
}

size_t ws_order_format(const ws_order *o, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "{\"fruit\": \"%s\", \"quantity\": %d}", ws_fruits[o->fruit],
                     o->quantity);
    return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
}

ws_msg_kind ws_msg_classify(const void *body, size_t len, ws_order *order) {
    json_error_t err;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!root)
        return WS_MSG_POISON;
    ws_msg_kind kind = WS_MSG_POISON;
    if (json_is_string(root) && strcmp(json_string_value(root), "hello") == 0 &&
        json_string_length(root) == 5)
        kind = WS_MSG_HELLO;
    else if (validate(root, order) == WS_ORDER_OK)
        kind = WS_MSG_ORDER;
    json_decref(root);
    return kind;
}
