#!/usr/bin/env python3
"""slowloris.py -- hostile and well-behaved HTTP clients for the slow-client tests and benchmark.

Modes (all on loopback, all bounded in time):

  probe   HOST PORT: no flood; a well-behaved client times GET requests (a new connection each)
          and prints their latency percentiles.
  flood   HOST PORT: opens --conns sockets that each send half a request header and then nothing,
          reopening any the server closes so that --conns stay open, and meanwhile times the
          well-behaved client. Exits 1 when the probe's p99 reaches --p99-ms or a probe fails.
  recover HOST PORT: opens up to --conns half-open sockets (past the server's fd limit), holds
          them --hold seconds, closes them all and reports how long until every path answers
          200 again. Exits 1 when that takes longer than --within seconds.
  idle    HOST PORT: opens --conns half-open sockets and reports how long the server takes to
          close them all. Exits 1 past --within seconds.
  post    HOST PORT: POSTs --body-bytes to /fruit as many HTTP libraries do (the whole body,
          then read the answer) and prints the status line and body. Exits 1 unless it is 413
          with the JSON error.

Prints one line per measurement: "key=value ..." so the shell can grep it.
"""
import argparse
import http.client
import resource
import selectors
import socket
import sys
import threading
import time

HALF = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nX-Wait: "


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard == resource.RLIM_INFINITY else min(hard, max(soft, want))
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Flood:
    """Keeps up to n half-open sockets open from one thread with an epoll selector."""

    def __init__(self, host, port, n):
        self.addr = (host, port)
        self.n = n
        self.sel = selectors.DefaultSelector()
        self.socks = {}  # fd -> (socket, state) state: "connecting" | "sent"
        self.stop = threading.Event()
        self.opened = 0  # connect attempts
        self.closed_by_server = 0
        self.errors = 0
        self.reopen = True
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open_one(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(self.addr)
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            self.errors += 1
            return False
        self.opened += 1
        self.socks[s.fileno()] = [s, "connecting"]
        self.sel.register(s, selectors.EVENT_WRITE)
        return True

    def drop(self, fd):
        s, _ = self.socks.pop(fd)
        try:
            self.sel.unregister(s)
        except (KeyError, ValueError):
            pass
        s.close()

    def open_count(self):
        return sum(1 for s, st in list(self.socks.values()) if st == "sent")

    def run(self):
        while not self.stop.is_set():
            # Top up, a few hundred per round so the selector keeps up.
            budget = 500
            while self.reopen and len(self.socks) < self.n and budget > 0:
                budget -= 1
                if not self.open_one():
                    break
            for key, ev in self.sel.select(timeout=0.05):
                fd = key.fd
                if fd not in self.socks:
                    continue
                s, st = self.socks[fd]
                if st == "connecting":
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        self.errors += 1
                        self.drop(fd)
                        continue
                    try:
                        s.send(HALF)
                    except OSError:
                        self.errors += 1
                        self.drop(fd)
                        continue
                    self.socks[fd][1] = "sent"
                    self.sel.modify(s, selectors.EVENT_READ)
                else:
                    # Readable: the server answered (timeout, 408) or closed us.
                    try:
                        data = s.recv(4096)
                    except OSError:
                        data = b""
                    if not data:
                        self.closed_by_server += 1
                        self.drop(fd)
        for fd in list(self.socks):
            self.drop(fd)

    def wait_open(self, want, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.open_count() >= want:
                return True
            time.sleep(0.05)
        return False


def get(host, port, path, timeout):
    """One request on a new connection: (status, seconds); status 0 on any failure."""
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection(host, port, timeout=timeout)
        c.request("GET", path, headers={"Connection": "close"})
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, time.monotonic() - t0
    except (OSError, http.client.HTTPException):
        return 0, time.monotonic() - t0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))] if xs else float("nan")


def probe(args, label):
    """Times args.probes rounds of every path; True when every answer was 200 within p99."""
    ok = True
    for path in args.paths.split(","):
        lat, bad = [], 0
        for _ in range(args.probes):
            st, dt = get(args.host, args.port, path, args.timeout)
            if st != 200:
                bad += 1
                dt = args.timeout
            lat.append(dt * 1000)
            if bad >= 10:  # enough to fail; do not wait out every timeout
                break
            if args.pause_ms:
                time.sleep(args.pause_ms / 1000)
        p50, p99 = pct(lat, 50), pct(lat, 99)
        print(f"{label} path={path} n={len(lat)} failed={bad} p50_ms={p50:.2f} p99_ms={p99:.2f} "
              f"max_ms={max(lat):.2f}", flush=True)
        if bad or p99 >= args.p99_ms:
            ok = False
    return ok


def mode_flood(args):
    raise_nofile(args.conns + 256)
    f = Flood(args.host, args.port, args.conns)
    f.thread.start()
    reached = f.wait_open(args.conns, args.ramp)
    print(f"flood conns={args.conns} open={f.open_count()} reached={int(reached)} "
          f"connect_errors={f.errors}", flush=True)
    t_end = time.monotonic() + args.hold
    ok = probe(args, f"under_flood open_at_start={f.open_count()}")
    now_open = f.open_count()
    while time.monotonic() < t_end:  # hold the rest of the time, keep measuring nothing
        time.sleep(0.1)
    f.stop.set()
    f.thread.join()
    print(f"flood_end open_at_end={now_open} attempts={f.opened} closed_by_server="
          f"{f.closed_by_server} connect_errors={f.errors}", flush=True)
    if not reached:
        print(f"note: only {now_open} of {args.conns} half-open sockets were held open",
              flush=True)
    return 0 if ok else 1


def mode_probe(args):
    return 0 if probe(args, "idle") else 1


def mode_recover(args):
    raise_nofile(args.conns + 256)
    f = Flood(args.host, args.port, args.conns)
    f.thread.start()
    f.wait_open(args.conns, args.ramp)
    time.sleep(args.hold)
    f.reopen = False
    print(f"recover_flood attempts={f.opened} open={f.open_count()} connect_errors={f.errors} "
          f"closed_by_server={f.closed_by_server}", flush=True)
    f.stop.set()
    f.thread.join()  # closes every socket
    t0 = time.monotonic()
    pending = set(args.paths.split(","))
    deadline = t0 + max(args.within * 3, 5)
    while pending and time.monotonic() < deadline:
        for path in sorted(pending):
            st, _ = get(args.host, args.port, path, 0.5)
            if st == 200:
                pending.discard(path)
        if pending:
            time.sleep(0.02)
    took = time.monotonic() - t0
    print(f"recovered={int(not pending)} seconds={took:.3f} unanswered={','.join(pending)}",
          flush=True)
    return 0 if not pending and took <= args.within else 1


def mode_idle(args):
    raise_nofile(args.conns + 256)
    f = Flood(args.host, args.port, args.conns)
    f.thread.start()
    f.wait_open(args.conns, args.ramp)
    f.reopen = False
    t0 = time.monotonic()
    while f.socks and time.monotonic() - t0 < args.within + 5:
        time.sleep(0.05)
    took = time.monotonic() - t0
    left = len(f.socks)
    f.stop.set()
    f.thread.join()
    print(f"idle conns={args.conns} closed_by_server={f.closed_by_server} still_open={left} "
          f"seconds={took:.2f}", flush=True)
    return 0 if left == 0 and took <= args.within else 1


def mode_post(args):
    body = b"a" * args.body_bytes
    head = (f"POST /fruit HTTP/1.1\r\nHost: {args.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    s = socket.create_connection((args.host, args.port), timeout=10)
    data = b""
    try:
        s.sendall(head + body)
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
            if b"}" in data.partition(b'{"error"')[2]:  # the JSON is whole: the answer is in
                break
    except OSError as e:
        print(f"post bytes={len(body)} error={e.__class__.__name__}:{e} got={data[:60]!r}")
        return 1
    finally:
        s.close()
    status = data.split(b"\r\n", 1)[0].decode(errors="replace")
    ok = status.startswith("HTTP/1.1 413") and b'{"error":"Request body too large"}' in data
    print(f"post bytes={len(body)} status=\"{status}\" json={int(ok)}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["probe", "flood", "recover", "idle", "post"])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--conns", type=int, default=8000)
    ap.add_argument("--paths", default="/hello,/metrics")
    ap.add_argument("--probes", type=int, default=200, help="requests per path")
    ap.add_argument("--pause-ms", type=float, default=5, help="pause between probes")
    ap.add_argument("--timeout", type=float, default=2.0, help="a probe slower than this failed")
    ap.add_argument("--p99-ms", type=float, default=100.0)
    ap.add_argument("--ramp", type=float, default=20.0, help="seconds allowed to open the flood")
    ap.add_argument("--hold", type=float, default=0.0, help="seconds to hold the flood")
    ap.add_argument("--within", type=float, default=1.0, help="recover, idle: seconds allowed")
    ap.add_argument("--body-bytes", type=int, default=2000000, help="post: body size")
    args = ap.parse_args()
    modes = {"probe": mode_probe, "flood": mode_flood, "recover": mode_recover, "idle": mode_idle,
             "post": mode_post}
    return modes[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
