"""A /metrics scrape in Prometheus' protobuf format, as a Prometheus with native histograms asks
for it, read far enough to see native histograms (exercise 4's second part).

A small reader of the delimited io.prometheus.client.MetricFamily messages (client_model's
metrics.proto field numbers), so the checker needs no protobuf package: names, types, labels and
each histogram's count, sum and native fields. The exposition itself is proven elsewhere with
protoc and client_golang (promc/tests/pb_scrape.sh); this only reads what it needs.
"""
import struct
import urllib.error
import urllib.request

# The Accept header of Prometheus 2.42 with --enable-feature=native-histograms.
ACCEPT = ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
          "encoding=delimited;q=0.8,application/openmetrics-text;version=1.0.0;q=0.7,"
          "text/plain;version=0.0.4;q=0.6,*/*;q=0.5")
HISTOGRAM = 4  # MetricType


def _varint(buf, i):
    shift = value = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(buf):
    """Yields (field number, wire type, value) of one message; value is an int, bytes or float."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 1:
            v = struct.unpack_from("<d", buf, i)[0]
            i += 8
        elif wt == 2:
            n, i = _varint(buf, i)
            v = bytes(buf[i:i + n])
            if len(v) != n:
                raise ValueError("truncated field")
            i += n
        elif wt == 5:
            v = struct.unpack_from("<f", buf, i)[0]
            i += 4
        else:
            raise ValueError(f"wire type {wt}")
        yield num, wt, v


def _zigzag(v):
    return (v >> 1) ^ -(v & 1)


def _histogram(buf):
    h = {"count": 0, "sum": 0.0, "schema": None, "zero_threshold": 0.0, "zero_count": 0,
         "spans": 0, "buckets": 0}
    for num, _, v in _fields(buf):
        if num == 1:
            h["count"] = v
        elif num == 2:
            h["sum"] = v
        elif num == 3:
            h["buckets"] += 1
        elif num == 5:
            h["schema"] = _zigzag(v)
        elif num == 6:
            h["zero_threshold"] = v
        elif num == 7:
            h["zero_count"] = v
        elif num in (9, 12):
            h["spans"] += 1
    # what Prometheus takes for a native histogram: spans, a zero count or a zero threshold
    h["native"] = h["spans"] > 0 or h["zero_count"] > 0 or h["zero_threshold"] > 0
    return h


def _metric(buf):
    m = {"labels": {}, "histogram": None}
    for num, _, v in _fields(buf):
        if num == 1:
            pair = {n: x.decode("utf-8", "replace") for n, _, x in _fields(v)}
            m["labels"][pair.get(1, "")] = pair.get(2, "")
        elif num == 7:
            m["histogram"] = _histogram(v)
    return m


def parse(body):
    """{family name: {"type": int, "metrics": [metric]}} of a delimited protobuf body."""
    fams, i = {}, 0
    while i < len(body):
        n, i = _varint(body, i)
        msg = body[i:i + n]
        if len(msg) != n:
            raise ValueError("truncated message")
        i += n
        fam = {"type": 0, "metrics": []}
        name = ""
        for num, _, v in _fields(msg):
            if num == 1:
                name = v.decode("utf-8", "replace")
            elif num == 3:
                fam["type"] = v
            elif num == 4:
                fam["metrics"].append(_metric(v))
        fams[name] = fam
    return fams


def scrape(url, timeout=10.0):
    """(families, content type) of a protobuf scrape; raises ValueError with a reason."""
    req = urllib.request.Request(url, headers={"Accept": ACCEPT})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body, ctype = r.read(), r.headers.get("Content-Type", "")
    except (urllib.error.URLError, OSError) as e:
        raise ValueError(f"{url}: {getattr(e, 'reason', e)}") from None
    if "application/vnd.google.protobuf" not in ctype:
        raise ValueError(f"{url} answered a protobuf scrape with {ctype or 'no Content-Type'}")
    return parse(body), ctype


def histogram(fams, name, labels):
    """The histogram of the series with exactly these labels, or None."""
    for m in fams.get(name, {}).get("metrics", []):
        if m["labels"] == labels:
            return m["histogram"]
    return None
