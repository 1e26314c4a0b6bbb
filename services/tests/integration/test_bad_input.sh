#!/usr/bin/env bash
# A table of malformed requests, each with its expected status (and JSON error where the facts
# file fixes one): bad JSON, duplicate keys, huge bodies, SQL metacharacters, non-UTF-8, negative,
# fractional and enormous quantities, wrong content types and methods. Afterwards the frontend
# still answers, nothing invalid was published or stored, and the exposition is still valid.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
servers_up
start_backend --generator-ms=off --db-failure-rate=0 --job-ms=1-5
start_frontend --simulate-latency=off

N=0
# t EXPECTED_STATUS METHOD PATH CONTENT_TYPE BODY DESCRIPTION [EXPECTED_BODY]
#   CONTENT_TYPE "-" sends none; BODY is a printf format ("-" for none) or @BIG, @CHUNKED, @DEEP.
t() {
	local want="$1" method="$2" path="$3" ctype="$4" body="$5" desc="$6" want_body="${7:-}"
	local args=(-H "Content-Type:") f="$TMP/req"
	[[ $ctype != - ]] && args=(-H "Content-Type: $ctype")
	case "$body" in
	-) : >"$f" ;;
	@BIG) head -c 1048576 /dev/zero | tr '\0' 'a' >"$f" ;;
	@CHUNKED) head -c 102400 /dev/zero | tr '\0' ' ' >"$f" && args+=(-H "Transfer-Encoding: chunked") ;;
	@DEEP) { printf '%.0s[' $(seq 1500); printf '%.0s]' $(seq 1500); } >"$f" ;;
	*) printf -- "$body" >"$f" ;;
	esac
	[[ $body != - ]] && args+=(--data-binary "@$f")
	http "$method" "$path" "${args[@]}"
	N=$((N + 1))
	if [[ $STATUS != "$want" ]]; then
		fail "#$N $desc: status $STATUS, want $want (body $BODY)"
	elif [[ -n $want_body && $BODY != "$want_body" ]]; then
		fail "#$N $desc: body $BODY, want $want_body"
	elif [[ $STATUS != 200 && $STATUS != 404 && $CTYPE != application/json ]]; then
		fail "#$N $desc: error answered as $CTYPE, not JSON"
	else
		pass "#$N $desc -> $STATUS"
	fi
}
J=application/json
BADJSON='{"error":"Invalid JSON"}'
NOOBJ='{"error":"Expected a JSON object"}'
MISSING='{"error":"No fruit or quantity provided"}'
FRUIT='{"error":"Invalid fruit"}'
QTY='{"error":"Invalid quantity"}'

echo "# malformed JSON"
t 400 POST /fruit $J '{' "unterminated object" "$BADJSON"
t 400 POST /fruit $J - "empty body" "$BADJSON"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 1' "missing closing brace" "$BADJSON"
t 400 POST /fruit $J "{'fruit': 'apples', 'quantity': 1}" "single quotes" "$BADJSON"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 1,}' "trailing comma" "$BADJSON"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 1} x' "trailing garbage" "$BADJSON"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 1}{"fruit": "pears", "quantity": 1}' \
	"two objects" "$BADJSON"
t 400 POST /fruit $J '{"fruit": "apples", "fruit": "pears", "quantity": 1}' "duplicate key fruit" "$BADJSON"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 1, "quantity": 500}' \
	"duplicate key quantity" "$BADJSON"
t 400 POST /fruit $J @DEEP "1500 nested arrays"
t 400 POST /fruit $J '\xef\xbb\xbf{"fruit": "apples", "quantity": 1}' "UTF-8 byte order mark" "$BADJSON"
t 400 POST /fruit $J 'null' "JSON null" "$NOOBJ"
t 400 POST /fruit $J '[{"fruit": "apples", "quantity": 1}]' "array of orders" "$NOOBJ"
t 400 POST /fruit $J '"apples"' "JSON string" "$NOOBJ"
t 400 POST /fruit $J '42' "JSON number" "$NOOBJ"
echo "# missing and wrong fields"
t 400 POST /fruit $J '{}' "empty object" "$MISSING"
t 400 POST /fruit $J '{"quantity": 1}' "no fruit" "$MISSING"
t 400 POST /fruit $J '{"fruit": null, "quantity": 1}' "fruit null" "$MISSING"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": null}' "quantity null" "$MISSING"
t 400 POST /fruit $J '{"Fruit": "apples", "Quantity": 1}' "keys are case-sensitive" "$MISSING"
t 400 POST /fruit $J '{"fruit": 3, "quantity": 1}' "fruit a number" "$FRUIT"
t 400 POST /fruit $J '{"fruit": ["apples"], "quantity": 1}' "fruit an array" "$FRUIT"
t 400 POST /fruit $J '{"fruit": "kiwis", "quantity": 1}' "unknown fruit" "$FRUIT"
t 400 POST /fruit $J '{"fruit": " apples", "quantity": 1}' "fruit with a space" "$FRUIT"
t 400 POST /fruit $J '{"fruit": "apples\x27; DROP TABLE fruits; --", "quantity": 1}' \
	"SQL injection in fruit" "$FRUIT"
t 400 POST /fruit $J '{"fruit": "apples\\u0000", "quantity": 1}' "NUL escape in fruit" "$BADJSON"
t 400 POST /fruit $J '{"fruit": "\xff\xfeapples", "quantity": 1}' "invalid UTF-8 in fruit" "$BADJSON"
t 400 POST /fruit $J '{"fruit": "\xc0\xafapples", "quantity": 1}' "overlong UTF-8 encoding" "$BADJSON"
t 400 POST /fruit $J '{"fruit": "\xed\xa0\x80", "quantity": 1}' "UTF-8 encoded surrogate" "$BADJSON"
echo "# quantities"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": -1}' "negative quantity" "$QTY"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 0}' "zero quantity" "$QTY"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 2.5}' "fractional quantity" "$QTY"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 2.0}' "quantity 2.0 (a float)" "$QTY"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 1e3}' "quantity in exponent form" "$QTY"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": "3"}' "quantity a string" "$QTY"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": true}' "quantity a boolean" "$QTY"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": {"n": 1}}' "quantity an object" "$QTY"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 1000001}' "quantity over the limit" "$QTY"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 2147483648}' "quantity over int32" "$QTY"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 99999999999999999999999}' \
	"quantity over int64" "$BADJSON"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": -9223372036854775808}' "quantity int64 min" "$QTY"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": NaN}' "quantity NaN" "$BADJSON"
t 400 POST /fruit $J '{"fruit": "apples", "quantity": 1e400}' "quantity 1e400" "$BADJSON"
echo "# sizes and content types"
t 413 POST /fruit $J @BIG "1 MiB body" '{"error":"Request body too large"}'
t 413 POST /fruit $J @CHUNKED "100 KiB chunked body" '{"error":"Request body too large"}'
t 415 POST /fruit text/plain '{"fruit": "apples", "quantity": 1}' "text/plain" \
	'{"error":"Content-Type must be application/json"}'
t 415 POST /fruit - '{"fruit": "apples", "quantity": 1}' "no content type"
t 415 POST /fruit application/x-www-form-urlencoded 'fruit=apples&quantity=1' "form encoded"
t 415 POST /fruit application/jsonx '{"fruit": "apples", "quantity": 1}' "application/jsonx"
t 415 POST /fruit multipart/form-data '{"fruit": "apples", "quantity": 1}' "multipart"
echo "# query strings, methods and paths"
t 400 GET "/fruit?name=apples%27%3B%20DROP%20TABLE%20fruits%3B--" - - "SQL injection in name" "$FRUIT"
t 400 GET "/fruit?name=%ff%fe" - - "non-UTF-8 name" "$FRUIT"
t 400 GET "/fruit?name=$(head -c 4000 /dev/zero | tr '\0' 'a')" - - "4000-character name" "$FRUIT"
t 400 GET "/fruit?name=kiwis" - - "unknown fruit name" "$FRUIT"
t 405 PUT /fruit $J '{"fruit": "apples", "quantity": 1}' "PUT /fruit" '{"error":"Method not allowed"}'
t 405 DELETE /fruit - - "DELETE /fruit"
t 405 PATCH /hello - - "PATCH /hello"
t 405 POST /hello $J '{}' "POST /hello"
t 404 GET /fruit/ - - "trailing slash" '{"error":"Not found"}'
t 404 GET /HELLO - - "paths are case-sensitive"
t 404 GET /../../etc/passwd - - "path traversal"
t 404 BREW /coffee - - "unknown method and path"
echo "# valid controls (must be accepted)"
t 200 POST /fruit "application/json; charset=utf-8" '{"fruit": "apples", "quantity": 1}' \
	"content type with charset" '{"message":"You sent 1 apples!"}'
t 200 POST /fruit $J '{"fruit": "\\u0062ananas", "quantity": 1000000, "note": "x"}' \
	"unicode escape, maximum quantity, extra key" '{"message":"You sent 1000000 bananas!"}'

echo "# afterwards"
check "$N malformed or edge requests were sent (>= 30)" test "$N" -ge 30
http GET /hello
check_eq "the frontend still answers /hello" "$STATUS $BODY" "200 Hello, World!"
check "the exposition is still valid (promtool check metrics)" promtool_ok "$FE"
check_eq "only the 2 valid orders (and 1 hello job) were published" \
	"$(metric "$FE" "mq_publish_total{queue=\"$QUEUE\"}")" 3
check "only the 2 valid orders were stored" wait_until 10 rows_are 2
check_eq "no poison message reached the backend" \
	"$(metric "$BE" 'jobs_outcome_total{outcome="poison"}')" 0
check_eq "errors_total counts QuantityValueError" \
	"$(metric "$FE" 'errors_total{method="POST",endpoint="/fruit",error="QuantityValueError"}')" 11
check "frontend still running" kill -0 "$FE_PID"
stop_service "$FE_PID" frontend
FE_PID=""
stop_service "$BE_PID" backend
BE_PID=""
finish
