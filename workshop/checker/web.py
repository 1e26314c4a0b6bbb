"""web.py -- the checker's HTTP: small requests with readable failures, and /metrics snapshots.

Every failure becomes a Unreachable or an HTTP status the checks turn into a hint; nothing here
prints. The exposition is parsed with prometheus_client's parser (Debian's python3-prometheus-
client); the "# TYPE" lines are read directly so the type is exactly what the service declared.
"""

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


class Unreachable(Exception):
    """Nothing answered at a URL (refused, timed out, bad host)."""


class Response:
    def __init__(self, status, headers, body, elapsed):
        self.status, self.headers, self.body, self.elapsed = status, headers, body, elapsed

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def request(url, method="GET", body=None, headers=None, timeout=10.0, auth=None):
    """One HTTP request; returns a Response for any status, raises Unreachable otherwise."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    if auth:
        import base64

        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        hdrs["Authorization"] = f"Basic {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            status, rheaders = r.status, r.headers
    except urllib.error.HTTPError as e:
        raw, status, rheaders = e.read(), e.code, e.headers
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise Unreachable(f"{url}: {reason}") from None
    return Response(status, rheaders, raw.decode("utf-8", "replace"), time.monotonic() - start)


def join(base, path, query=None):
    url = base.rstrip("/") + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    return url


class Exposition:
    """One scrape of a /metrics page: declared types and every sample."""

    def __init__(self, text):
        self.types, self.samples = {}, []
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                parts = line.split()
                if len(parts) >= 4:
                    self.types[parts[2]] = parts[3]
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                self.samples.append((s.name, dict(s.labels), s.value))

    def type_of(self, name):
        """The declared type of a family; a counter may be declared as name or name_total."""
        if name in self.types:
            return self.types[name]
        if name.endswith("_total"):
            return self.types.get(name[: -len("_total")])
        return None

    def series(self, sample_name):
        """[(labels, value)] of one sample name."""
        return [(labels, v) for n, labels, v in self.samples if n == sample_name]

    def value(self, sample_name, labels=None):
        """The value of the series with exactly these labels, or None."""
        want = labels or {}
        for n, have, v in self.samples:
            if n == sample_name and have == want:
                return v
        return None

    def label_names(self, sample_name, ignore=("le", "quantile")):
        """The distinct label-name sets the series of a sample name use."""
        return {frozenset(k for k in labels if k not in ignore) for labels, _ in self.series(sample_name)}


def scrape(url, timeout=10.0):
    """Fetches and parses a /metrics page. Raises Unreachable, or ValueError with a reason."""
    r = request(url, timeout=timeout)
    if r.status != 200:
        raise ValueError(f"{url} answered HTTP {r.status}")
    try:
        return Exposition(r.body), r
    except Exception as e:  # the parser raises assorted errors on bad input
        raise ValueError(f"{url} is not valid exposition text: {e}") from None


def fmt(v):
    """A sample value for humans: integers without .0, NaN as NaN."""
    if v is None:
        return "absent"
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.4g}"
