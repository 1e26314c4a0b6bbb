/* test_order.c -- order validation and message classification (services/common/order.c). */
#include "check.h"
#include "order.h"

#include <string.h>

static ws_order_result parse(const char *s) {
    ws_order o;
    return ws_order_parse(s, strlen(s), &o);
}

int main(void) {
    ws_order o = {0};
    const char *ok = "{\"fruit\": \"Apples\", \"quantity\": 3}";
    CHECK(ws_order_parse(ok, strlen(ok), &o) == WS_ORDER_OK);
    CHECK(o.fruit == ws_fruit_index("apples") && o.quantity == 3);
    CHECK(parse("{\"fruit\": \"pears\", \"quantity\": 1000000}") == WS_ORDER_OK);
    CHECK(parse("{\"fruit\": \"pears\", \"quantity\": 1000001}") == WS_ORDER_BAD_QUANTITY);
    CHECK(parse("{\"fruit\": \"pears\", \"quantity\": 0}") == WS_ORDER_BAD_QUANTITY);
    CHECK(parse("{\"fruit\": \"pears\", \"quantity\": -1}") == WS_ORDER_BAD_QUANTITY);
    CHECK(parse("{\"fruit\": \"pears\", \"quantity\": 2.5}") == WS_ORDER_BAD_QUANTITY);
    CHECK(parse("{\"fruit\": \"pears\", \"quantity\": 2.0}") == WS_ORDER_BAD_QUANTITY);
    CHECK(parse("{\"fruit\": \"pears\", \"quantity\": \"2\"}") == WS_ORDER_BAD_QUANTITY);
    CHECK(parse("{\"fruit\": \"pears\", \"quantity\": true}") == WS_ORDER_BAD_QUANTITY);
    CHECK(parse("{\"fruit\": \"pears\", \"quantity\": 99999999999999999999}") == WS_ORDER_BAD_JSON);
    CHECK(parse("{\"fruit\": \"kiwis\", \"quantity\": 1}") == WS_ORDER_BAD_FRUIT);
    CHECK(parse("{\"fruit\": 7, \"quantity\": 1}") == WS_ORDER_BAD_FRUIT);
    CHECK(parse("{\"fruit\": \"apples\"}") == WS_ORDER_MISSING);
    CHECK(parse("{\"quantity\": 1}") == WS_ORDER_MISSING);
    CHECK(parse("{\"fruit\": null, \"quantity\": 1}") == WS_ORDER_MISSING);
    CHECK(parse("{\"fruit\": \"apples\", \"fruit\": \"pears\", \"quantity\": 1}") ==
          WS_ORDER_BAD_JSON);
    CHECK(parse("[1, 2]") == WS_ORDER_NOT_OBJECT);
    CHECK(parse("\"hello\"") == WS_ORDER_NOT_OBJECT);
    CHECK(parse("{\"fruit\": \"apples\", \"quantity\": 1} x") == WS_ORDER_BAD_JSON);
    CHECK(parse("{\"fruit\": \"app\\u0000les\", \"quantity\": 1}") == WS_ORDER_BAD_JSON);
    CHECK(parse("{\"fruit\": \"\xff\xfe\", \"quantity\": 1}") == WS_ORDER_BAD_JSON);
    CHECK(parse("") == WS_ORDER_BAD_JSON);
    CHECK_STR(ws_order_error_message(WS_ORDER_MISSING), "No fruit or quantity provided");
    CHECK_STR(ws_order_error_message(WS_ORDER_BAD_FRUIT), "Invalid fruit");
    CHECK_STR(ws_order_error_message(WS_ORDER_BAD_QUANTITY), "Invalid quantity");
    CHECK_STR(ws_order_error_kind(WS_ORDER_BAD_QUANTITY), "QuantityValueError");

    char buf[WS_ORDER_MSG_MAX];
    ws_order big = {ws_fruit_index("bananas"), WS_MAX_QUANTITY};
    CHECK(ws_order_format(&big, buf, sizeof buf) > 0);
    CHECK_STR(buf, "{\"fruit\": \"bananas\", \"quantity\": 1000000}");
    char tiny[10];
    CHECK(ws_order_format(&big, tiny, sizeof tiny) == 0);

    CHECK(ws_msg_classify("\"hello\"", 7, &o) == WS_MSG_HELLO);
    CHECK(ws_msg_classify(buf, strlen(buf), &o) == WS_MSG_ORDER && o.quantity == 1000000);
    CHECK(ws_msg_classify("hello", 5, &o) == WS_MSG_POISON);
    CHECK(ws_msg_classify("\"hellox\"", 8, &o) == WS_MSG_POISON);
    CHECK(ws_msg_classify("{\"fruit\": \"kiwis\", \"quantity\": 1}", 33, &o) == WS_MSG_POISON);
    CHECK(ws_msg_classify("\x00\x01", 2, &o) == WS_MSG_POISON);
    return check_done("test_order");
}
