#!/usr/bin/python3
"""Steady POST /fruit load for the cluster fault test: THREADS threads, each posting an order with a
quantity unique in the run (1, 2, 3...) every PAUSE seconds through URL, and now and then a GET /hello
and GET /fruit. Each POST's outcome goes to OUT as "quantity status seconds" (status 0: no HTTP answer,
the connection failed or timed out), so the test can match every answer to the rows in PostgreSQL.
Stops when the file STOP exists."""
import argparse
import http.client
import itertools
import os
import threading
import time

FRUITS = ["apples", "oranges", "bananas", "grapes", "pears"]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--pause", type=float, default=0.05)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stop", required=True)
    a = ap.parse_args()
    counter = itertools.count(1)
    lock = threading.Lock()
    out = open(a.out, "a", buffering=1, encoding="utf-8")

    def request(method, path, body=None):
        c = http.client.HTTPConnection(a.host, a.port, timeout=15)
        try:
            headers = {"Content-Type": "application/json"} if body else {}
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            r.read()
            return r.status
        except (OSError, http.client.HTTPException):
            return 0
        finally:
            c.close()

    def worker(n):
        i = 0
        while not os.path.exists(a.stop):
            with lock:
                q = next(counter)
            t0 = time.monotonic()
            st = request("POST", "/fruit", '{"fruit": "%s", "quantity": %d}' % (FRUITS[q % 5], q))
            with lock:
                out.write(f"{q} {st} {time.monotonic() - t0:.4f}\n")
            i += 1
            if i % 10 == n:
                request("GET", "/hello")
                request("GET", f"/fruit?name={FRUITS[i % 5]}")
            time.sleep(a.pause)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
