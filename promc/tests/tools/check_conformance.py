#!/usr/bin/python3
"""check_conformance.py -- parses promc's two expositions with client_python's parsers (from
Debian's python3-prometheus-client) and checks that every value conformance_dump.c set comes
back exactly, with the metadata each format carries.

Usage: check_conformance.py TEXT_FILE OPENMETRICS_FILE
       check_conformance.py --stamp OPENMETRICS_IN OPENMETRICS_OUT UNIX_SECONDS
Exit status 0 when everything matches; each mismatch is printed. --stamp gives every sample a
timestamp (which `promtool tsdb create-blocks-from openmetrics` requires) and changes nothing
else, so Prometheus' own OpenMetrics parser can read the document too.
"""
import math
import sys
import time

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
from prometheus_client.parser import text_string_to_metric_families as parse_text

INF = float("inf")
NAN = float("nan")
failures = []
checked = 0


def fail(msg):
    failures.append(msg)


def same(got, want):
    """Exact equality; NaN equals NaN. The sign of zero is not compared: OpenMetrics reads
    "-0" as the integer 0."""
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    return got == want


def key(name, **labels):
    return (name, tuple(sorted(labels.items())))


LAT = dict(method="GET", endpoint="/hello")
LAT_BUCKETS = [("0.005", 1), ("0.01", 1), ("0.025", 1), ("0.05", 1), ("0.075", 1), ("0.1", 1),
               ("0.25", 1), ("0.5", 2), ("0.75", 2), ("1.0", 3), ("2.5", 3), ("5.0", 3),
               ("7.5", 3), ("10.0", 3), ("+Inf", 4)]

# Samples both formats must carry, with exactly these values.
COMMON = {
    key("hello_total"): 3,
    key("esc_total", path='a\\b"c\nd'): 1,
    key("num", k="nan"): NAN,
    key("num", k="pinf"): INF,
    key("num", k="ninf"): -INF,
    key("num", k="huge"): 1.7976931348623157e308,
    key("num", k="tiny"): 5e-324,
    key("num", k="neg"): -42.5,
    key("num", k="frac"): 0.1 + 0.2,
    key("num", k="big"): 1e300,
    key("num", k="zero"): 0.0,
    key("num", k="negzero"): -0.0,
    key("num", k="int"): 123456789012,
    key("num", k="small"): 1.5e-7,
    key("utf8", v="caf\u00e9 \u20ac \U0001F600"): 1,
    key("utf8", v=""): 2,
    key("http_latency_count", **LAT): 4,
    key("http_latency_sum", **LAT): 0.005 + 0.3 + 1 + 12,
    key("req_size_bytes_bucket", le="100.0"): 0,
    key("req_size_bytes_bucket", le="200.0"): 1,
    key("req_size_bytes_bucket", le="300.0"): 2,
    key("req_size_bytes_bucket", le="+Inf"): 3,
    key("req_size_bytes_count"): 3,
    key("req_size_bytes_sum"): 1450,
    key("temp_celsius_bucket", le="-10.0"): 1,
    key("temp_celsius_bucket", le="0.0"): 1,
    key("temp_celsius_bucket", le="10.0"): 2,
    key("temp_celsius_bucket", le="+Inf"): 2,
    key("job_seconds_count"): 100,
    key("job_seconds_sum"): 5050,
    key("empty_seconds", quantile="0.5"): NAN,
    key("empty_seconds", quantile="0.99"): NAN,
    key("empty_seconds_count"): 0,
    key("empty_seconds_sum"): 0,
    key("plain_seconds_count"): 1,
    key("plain_seconds_sum"): 0.25,
    key("build_info", version="1.2.3", commit="abc"): 1,
    key("state", state="starting"): 0,
    key("state", state="running"): 1,
    key("state", state="stopped"): 0,
    key("ex_total"): 2,
    key("exh_bucket", le="1.0"): 0,
    key("exh_bucket", le="2.0"): 1,
    key("exh_bucket", le="+Inf"): 1,
    key("exh_count"): 1,
    key("exh_sum"): 1.5,
    key("big_total"): 1e20,
    key("sessions_total", user="alice"): 1,
    key("tenant_load", tenant="t1"): 1,
    key("tenant_load", tenant="__overflow__"): 2,
    key("promc_series_expired_total", family="sessions"): 0,
    key("promc_series_overflow_total", family="tenant_load"): 1,
    key("queue_depth", q="in"): 3,
    key("queue_depth", q="out"): 0.5,
    key("reads_total"): 7,
    key("legacy"): -1,
}
for le, v in LAT_BUCKETS:
    COMMON[key("http_latency_bucket", le=le, **LAT)] = v

# The 0.0.4 format also has the sum of a histogram with negative buckets.
TEXT_ONLY = {key("temp_celsius_count"): 2, key("temp_celsius_sum"): -15}

# family name -> type, as each parser reports it
TEXT_TYPES = {"hello": "counter", "esc": "counter", "num": "gauge", "http_latency": "histogram",
              "job_seconds": "summary", "empty_seconds": "summary", "build_info": "gauge",
              "state": "gauge", "legacy": "unknown", "reads": "counter"}
OM_TYPES = {"hello": "counter", "esc": "counter", "num": "gauge", "http_latency": "histogram",
            "job_seconds": "summary", "empty_seconds": "summary", "build": "info",
            "state": "stateset", "legacy": "unknown", "reads": "counter",
            "req_size_bytes": "histogram"}
# series that must carry _created in OpenMetrics (and must not in 0.0.4)
CREATED = [key("hello_created"), key("esc_created", path='a\\b"c\nd'),
           key("http_latency_created", **LAT), key("job_seconds_created"),
           key("empty_seconds_created"), key("plain_seconds_created"),
           key("req_size_bytes_created"), key("temp_celsius_created"), key("ex_created"),
           key("exh_created"), key("big_created")]


def collect(families):
    samples, types, units, helps, order = {}, {}, {}, {}, []
    for fam in families:
        types[fam.name] = fam.type
        units[fam.name] = fam.unit
        helps[fam.name] = fam.documentation
        order.append(fam.name)
        for s in fam.samples:
            k = key(s.name, **s.labels)
            if k in samples:
                fail(f"duplicate sample {k}")
            samples[k] = s
    return samples, types, units, helps, order


def check_values(fmt, samples, want):
    global checked
    for k, v in want.items():
        checked += 1
        if k not in samples:
            fail(f"{fmt}: missing {k}")
        elif not same(samples[k].value, v):
            fail(f"{fmt}: {k} = {samples[k].value!r}, want {v!r}")


def check_common(fmt, samples, helps):
    global checked
    check_values(fmt, samples, COMMON)
    # Summary quantiles over 1..100: within their allowed rank error, in increasing order.
    q = [samples.get(key("job_seconds", quantile=x)) for x in ("0.5", "0.9", "0.99")]
    checked += 1
    if None in q:
        fail(f"{fmt}: job_seconds quantiles missing")
    else:
        v = [s.value for s in q]
        if not (45 <= v[0] <= 55 and 89 <= v[1] <= 92 and 98 <= v[2] <= 100 and v == sorted(v)):
            fail(f"{fmt}: job_seconds quantiles {v}")
    # Histograms: buckets cumulative, +Inf equal to _count.
    checked += 1
    prev = -1
    for le, _ in LAT_BUCKETS:
        got = samples.get(key("http_latency_bucket", le=le, **LAT))
        if got is None or got.value < prev:
            fail(f"{fmt}: http_latency buckets missing or not cumulative at le={le}")
            break
        prev = got.value
    count = samples.get(key("http_latency_count", **LAT))
    if count is None or prev != count.value:
        fail(f"{fmt}: +Inf bucket differs from _count")
    esc_help = helps.get("esc")
    checked += 1
    if esc_help != 'Back\\slash, new\nline, "quotes".':
        fail(f"{fmt}: HELP of esc came back as {esc_help!r}")


def check_text(path):
    global checked
    with open(path, encoding="utf-8") as f:
        samples, types, _, helps, _ = collect(parse_text(f.read()))
    check_common("text", samples, helps)
    check_values("text", samples, TEXT_ONLY)
    for name, t in TEXT_TYPES.items():
        checked += 1
        if types.get(name) != t:
            fail(f"text: family {name} has type {types.get(name)}, want {t}")
    for k in CREATED:
        checked += 1
        if k in samples:
            fail(f"text: {k} should only be in OpenMetrics")
    checked += 1
    if any(s.exemplar for s in samples.values()):
        fail("text: exemplars in the 0.0.4 format")


def check_om(path):
    global checked
    with open(path, encoding="utf-8") as f:
        text = f.read()
    samples, types, units, helps, order = collect(parse_om(text))
    check_common("openmetrics", samples, helps)
    for name, t in OM_TYPES.items():
        checked += 1
        if types.get(name) != t:
            fail(f"openmetrics: family {name} has type {types.get(name)}, want {t}")
    checked += 1
    if units.get("req_size_bytes") != "bytes":
        fail(f"openmetrics: unit of req_size_bytes is {units.get('req_size_bytes')!r}")
    now = time.time()
    for k in CREATED:
        checked += 1
        if k not in samples or abs(samples[k].value - now) > 3600:
            fail(f"openmetrics: {k} missing or not a recent time")
    for k in (key("temp_celsius_sum"), key("temp_celsius_count")):
        checked += 1
        if k in samples:
            fail(f"openmetrics: {k} beside negative buckets")
    # Exemplars: on the counter and on the bucket the observation fell in.
    for k, labels, value in ((key("ex_total"), {"trace_id": "abc123"}, 2),
                             (key("exh_bucket", le="2.0"), {"trace_id": "t2"}, 1.5)):
        checked += 1
        ex = samples[k].exemplar if k in samples else None
        if not ex or ex.labels != labels or ex.value != value or ex.timestamp is None or \
                abs(float(ex.timestamp.sec) - now) > 3600:
            fail(f"openmetrics: exemplar of {k} is {ex!r}")
    checked += 1
    if not text.endswith("# EOF\n"):
        fail("openmetrics: does not end with # EOF")
    # Registered families sorted by name, collectors' families after them.
    registered = [n for n in order if n not in ("queue_depth", "reads", "legacy")]
    checked += 1
    if registered != sorted(registered) or order[-3:] != ["queue_depth", "reads", "legacy"]:
        fail(f"openmetrics: family order {order}")


def parsers_are_strict(om_path):
    """The parsers must reject broken documents, or the checks above prove nothing."""
    global checked
    with open(om_path, encoding="utf-8") as f:
        text = f.read()
    broken = {
        "no # EOF": text.replace("# EOF\n", ""),
        # (this parser checks only +Inf for canonical form; the exact le strings of every
        # bucket are checked above as sample keys)
        "uncanonical +Inf": text.replace('le="+Inf"', 'le="Inf"', 1),
        "unescaped quote": text.replace('q="in"', 'q="i"n"', 1),
        "sum beside negative buckets": text.replace(
            'temp_celsius_bucket{le="+Inf"} 2\n', 'temp_celsius_bucket{le="+Inf"} 2\n'
            'temp_celsius_count 2\ntemp_celsius_sum -15\n'),
    }
    for what, doc in broken.items():
        checked += 1
        try:
            list(parse_om(doc))
        except ValueError:
            continue
        fail(f"openmetrics parser accepted a document with {what}")


def stamp(src, dst, ts):
    """Inserts " ts" after each sample's value; label values may hold spaces and escapes."""
    out = []
    with open(src, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                out.append(line)
                continue
            i = 0
            brace, space = line.find("{"), line.find(" ")
            if brace != -1 and brace < space:
                i, quoted = brace + 1, False
                while quoted or line[i] != "}":
                    if quoted and line[i] == "\\":
                        i += 1
                    elif line[i] == '"':
                        quoted = not quoted
                    i += 1
            value_start = line.index(" ", i) + 1
            value_end = line.find(" ", value_start)
            if value_end == -1:
                value_end = len(line) - 1
            out.append(f"{line[:value_end]} {ts}{line[value_end:]}")
    with open(dst, "w", encoding="utf-8") as f:
        f.write("".join(out))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--stamp":
        stamp(sys.argv[2], sys.argv[3], sys.argv[4])
        return 0
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    check_text(sys.argv[1])
    check_om(sys.argv[2])
    parsers_are_strict(sys.argv[2])
    for f in failures:
        print("FAIL:", f)
    print(f"client_python parsers: {checked} checks, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
