#!/usr/bin/python3
"""Generates the workshop's Grafana dashboards (stack/grafana/dashboards/*.json) in Grafana's dashboard
model: the workshop dashboard (exercise 7: fruits, latency and request rates of /hello and /fruit, the
frontend's MQ publishing, the backend, services up, the queue) and dashboards for RabbitMQ, PostgreSQL,
Redis and the node, written for the metrics the exporters really expose (Debian 12's and the pinned
images'). Every query goes to the datasource by uid; no database ids. Run after editing:
    /usr/bin/python3 stack/grafana/make_dashboards.py
stack/tests/check_dashboards.sh fails when the committed JSON differs from what this script writes."""
import json
import os
import sys

DS = {"type": "prometheus", "uid": "prometheus"}
RI = "$__rate_interval"


def q(expr, legend=""):
    return {"expr": expr, "legend": legend}


class Dash:
    def __init__(self, uid, title, tags, description):
        self.d = {
            "uid": uid, "title": title, "tags": ["metrics-workshop"] + tags, "description": description,
            "editable": True, "graphTooltip": 1, "refresh": "10s", "schemaVersion": 39, "version": 1,
            "time": {"from": "now-15m", "to": "now"}, "timepicker": {}, "timezone": "browser",
            "templating": {"list": []}, "links": [], "panels": [], "fiscalYearStartMonth": 0,
            "liveNow": False, "weekStart": "",
        }
        self.next_id = 1
        self.x = 0
        self.y = 0
        self.row_h = 0

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def row(self, title):
        if self.x:
            self.y += self.row_h
            self.x = 0
        self.d["panels"].append({"type": "row", "title": title, "id": self._id(), "collapsed": False,
                                 "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.y += 1
        self.row_h = 0

    def _place(self, w, h):
        if self.x + w > 24:
            self.y += self.row_h
            self.x = 0
            self.row_h = 0
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos

    def _targets(self, queries):
        return [{"datasource": DS, "refId": chr(ord("A") + i), "expr": t["expr"],
                 "legendFormat": t["legend"] or "__auto", "editorMode": "code", "range": True}
                for i, t in enumerate(queries)]

    def ts(self, title, queries, unit="short", w=12, h=8, description="", stack=False):
        custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                  "spanNulls": False, "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
        self.d["panels"].append({
            "type": "timeseries", "title": title, "description": description, "id": self._id(),
            "datasource": DS, "gridPos": self._place(w, h), "targets": self._targets(queries),
            "fieldConfig": {"defaults": {"unit": unit, "custom": custom}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                        "tooltip": {"mode": "multi", "sort": "desc"}},
        })

    def heatmap(self, title, queries, unit="s", w=12, h=8, description=""):
        """A heatmap of a native histogram: Grafana (10.4 and later) reads the query's native
        histogram samples as buckets, so the query is a plain sum(rate(...)), no le."""
        self.d["panels"].append({
            "type": "heatmap", "title": title, "description": description, "id": self._id(),
            "datasource": DS, "gridPos": self._place(w, h), "targets": self._targets(queries),
            "fieldConfig": {"defaults": {"custom": {"scaleDistribution": {"type": "linear"}}},
                            "overrides": []},
            "options": {"calculate": False, "cellGap": 1, "color": {"mode": "scheme",
                        "scheme": "Oranges", "steps": 64}, "yAxis": {"axisPlacement": "left",
                        "unit": unit}, "tooltip": {"mode": "single", "yHistogram": True},
                        "legend": {"show": True}, "rowsFrame": {"layout": "auto"}},
        })

    def stat(self, title, queries, unit="short", w=6, h=4, description="", thresholds=None, mappings=None):
        steps = thresholds or [{"color": "green", "value": None}]
        self.d["panels"].append({
            "type": "stat", "title": title, "description": description, "id": self._id(),
            "datasource": DS, "gridPos": self._place(w, h), "targets": self._targets(queries),
            "fieldConfig": {"defaults": {"unit": unit, "mappings": mappings or [],
                                         "thresholds": {"mode": "absolute", "steps": steps}},
                            "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "background", "graphMode": "area", "textMode": "auto",
                        "orientation": "auto", "justifyMode": "auto", "wideLayout": True},
        })

    def json(self):
        return json.dumps(self.d, indent=2, sort_keys=False) + "\n"


UP_MAPPINGS = [{"type": "value", "options": {"0": {"text": "DOWN", "color": "red"},
                                             "1": {"text": "UP", "color": "green"}}}]
UP_STEPS = [{"color": "red", "value": None}, {"color": "green", "value": 1}]


def quantiles(metric, by="le", sel="", window="5m", qs=(0.5, 0.95, 0.99), legend_prefix=""):
    s = "{" + sel + "}" if sel else ""
    return [q(f"histogram_quantile({x}, sum by ({by}) (rate({metric}_bucket{s}[{window}])))",
              f"{legend_prefix}p{int(x * 100)}") for x in qs]


# Which exercise adds each metric the workshop dashboard uses: the guide's own (what its pages
# have the attendee write) and the reference patch's extras (only in workshop/patches/exNN.patch).
GUIDE_METRICS = {"hello_total": 1, "all_fruits": 2, "recent_fruits": 3, "quantity_total": 3,
                 "http_latency": 4, "http_requests_total": 4, "errors_total": 4,
                 "job_duration_seconds": 5, "jobs_outcome_total": 5}
PATCH_METRICS = {"cache_requests_total": 4, "mq_publish_total": 4, "mq_publish_latency": 4,
                 "hello_jobs_pending": 4, "hello_jobs_dropped_total": 4, "orders_in_doubt_total": 4,
                 "jobs_total": 5, "worker_busy": 5, "database_insert_latency": 5,
                 "cache_delete_latency": 5, "mq_read_latency": 5, "orders_duplicate_total": 5,
                 "orders_cancelled_total": 5}


def mark_needs(d):
    """Appends to each panel's description which exercise adds the metrics it queries, so an
    attendee comparing it with their own dashboard knows why a panel is empty."""
    import re

    for p in d.d["panels"]:
        text = " ".join(t["expr"] for t in p.get("targets", []))
        names = set(re.findall(r"[a-z_]+", text))
        guide = sorted({(n, GUIDE_METRICS[n]) for n in names if n in GUIDE_METRICS}, key=lambda x: (x[1], x[0]))
        patch = sorted({(n, PATCH_METRICS[n]) for n in names if n in PATCH_METRICS}, key=lambda x: (x[1], x[0]))
        notes = []
        if guide:
            notes.append(f"Needs exercise {max(e for _, e in guide)} ({', '.join(n for n, _ in guide)}).")
        if patch:
            notes.append("Needs the reference patch " + ", ".join(
                sorted({f"ex{e:02d}.patch" for _, e in patch})) + f" ({', '.join(n for n, _ in patch)}): "
                "the guide's pages do not add it.")
        if notes:
            p["description"] = (p.get("description", "") + " " + " ".join(notes)).strip()


def workshop():
    d = Dash("workshop", "Metrics workshop", ["workshop"],
             "The workshop's frontend, backend and queue: the panels of exercise 7 and more.")
    d.row("Services")
    d.stat("Services up", [q('up{job=~"frontend|backend|rabbitmq|postgres_exporter|redis_exporter|node_exporter"}',
                             "{{job}}")], w=16, h=4, thresholds=UP_STEPS, mappings=UP_MAPPINGS,
           description="1 when Prometheus' last scrape of the job succeeded.")
    d.stat("Probes OK", [q('probe_success{job="blackbox_http"}', "{{instance}}")], w=8, h=4,
           thresholds=UP_STEPS, mappings=UP_MAPPINGS,
           description="Blackbox exporter http_2xx probes (Prometheus, Alertmanager, the exporters).")
    d.row("Fruits (exercises 2 and 3)")
    d.stat("Fruits inserted in the last minute", [q("sum(recent_fruits)", "all fruits"), q("all_fruits", "all_fruits gauge")],
           w=6, h=8, description="sum(recent_fruits): the last /fruit reads of each fruit, summed.")
    d.ts("Recent fruits by name", [q("recent_fruits", "{{fruit}}")], w=9,
         description="recent_fruits{fruit}: quantity inserted in the last minute, per fruit, as last read by GET /fruit.")
    d.ts("Fruit ordered per second, by fruit", [q("sum by (fruit) (rate(quantity_total[1m]))", "{{fruit}}")],
         w=9, stack=True, description="Quantity of valid POST /fruit orders.")
    d.row("HTTP (exercises 1 and 4)")
    d.ts("Request rate by endpoint", [q("sum by (method, endpoint) (rate(http_latency_count[1m]))",
                                        "{{method}} {{endpoint}}"),
                                      q("rate(hello_total[1m])", "hello_total")], unit="reqps", w=8)
    d.ts("Latency of /hello", quantiles("http_latency", sel='endpoint="/hello"'), unit="s", w=8)
    d.ts("Latency of /fruit", quantiles("http_latency", by="le, method", sel='endpoint="/fruit"',
                                        qs=(0.5, 0.95), legend_prefix="{{method}} "), unit="s", w=8)
    d.heatmap("Latency of /hello, native histogram (heatmap)",
              [q('sum(rate(http_latency_native{endpoint="/hello"}[$__rate_interval]))', "/hello")],
              w=12, description="http_latency_native: the same latencies as http_latency in "
              "native buckets (schema 3, 9% wide); no _bucket series and no le (exercise 4).")
    d.ts("Latency of /hello, native histogram quantiles",
         [q(f'histogram_quantile({x}, sum(rate(http_latency_native{{endpoint="/hello"}}[5m])))',
            f"p{int(x * 100)}") for x in (0.5, 0.95, 0.99)], unit="s", w=12,
         description="histogram_quantile over a native histogram: sum(rate(...)) without by (le).")
    d.ts("Errors by kind", [q("sum by (endpoint, error) (rate(errors_total[1m]))", "{{endpoint}} {{error}}")],
         unit="reqps", w=12, description="errors_total: *ValueError kinds are the client's invalid input (400).")
    d.ts("Error ratio", [q("sum(rate(errors_total[5m])) / sum(rate(http_requests_total[5m]))", "errors / requests")],
         unit="percentunit", w=6)
    d.ts("Cache lookups", [q("sum by (result) (rate(cache_requests_total[1m]))", "{{result}}")], unit="ops", w=6,
         description="GET /fruit reads of the Redis cache: hit, miss or error.")
    d.row("Frontend: publishing to the queue")
    d.ts("MQ publish rate", [q('sum by (queue) (rate(mq_publish_total{job="frontend"}[1m]))', "{{queue}}")],
         unit="ops", w=12)
    d.ts("MQ publish latency", quantiles("mq_publish_latency", sel='job="frontend"'), unit="s", w=12)
    d.row("Backend (exercise 5)")
    d.ts("Busy workers", [q("sum(worker_busy)", "busy workers")], w=8)
    d.ts("Job rate", [q("sum(rate(jobs_total[1m]))", "jobs taken"),
                      q("sum by (outcome) (rate(jobs_outcome_total[1m]))", "{{outcome}}")], unit="ops", w=8,
         description="jobs_total: messages taken from the queue; jobs_outcome_total: attempts by outcome.")
    d.ts("Job failures", [q('sum by (outcome) (increase(jobs_outcome_total{outcome=~"failed|poison"}[5m]))',
                            "{{outcome}}")], w=8,
         description="Attempts that failed (simulated database timeouts, then retried) and messages dead-lettered as poison, per 5 minutes.")
    d.ts("Job duration quantiles (summary)", [q("job_duration_seconds", "p{{quantile}}"),
                                              q("rate(job_duration_seconds_sum[1m]) / rate(job_duration_seconds_count[1m])",
                                                "mean")], unit="s", w=8)
    d.ts("Database insert latency", quantiles("database_insert_latency", qs=(0.5, 0.95)), unit="s", w=8)
    d.ts("Cache delete latency", quantiles("cache_delete_latency", qs=(0.5, 0.95)), unit="s", w=8)
    d.ts("MQ read latency", quantiles("mq_read_latency", qs=(0.5, 0.95)), unit="s", w=12)
    d.ts("Generator publish rate and latency",
         [q('sum(rate(mq_publish_total{job="backend"}[1m]))', "published/s"),
          q('histogram_quantile(0.95, sum by (le) (rate(mq_publish_latency_bucket{job="backend"}[5m])))',
            "p95 latency (s)")], w=12)
    d.row("Queue task_queue (RabbitMQ)")
    d.ts("Queue depth", [q('rabbitmq_queue_messages_ready{queue="task_queue"}', "ready"),
                         q('rabbitmq_queue_messages_unacked{queue="task_queue"}', "unacked")], w=8)
    d.ts("Consumers", [q('rabbitmq_queue_consumers{queue="task_queue"}', "consumers")], w=8)
    d.ts("Publish and ack rate", [q('sum(rate(rabbitmq_queue_messages_published_total{queue="task_queue"}[1m]))',
                                    "published"),
                                  q('sum(rate(rabbitmq_channel_messages_acked_total{queue="task_queue"}[1m]))',
                                    "acked")], unit="ops", w=8)
    d.row("SLOs of /fruit (exercise 11)")
    d.stat("Availability budget left (30 d)", [q("slo:fruit_availability:budget_remaining", "budget left")],
           unit="percentunit", w=6, h=8,
           description="Share of the 30-day error budget (0.5 % server errors of /fruit) not spent yet; "
           "below 0: overspent. From stack/prometheus/rules/slo.yml.")
    d.stat("Latency budget left (30 d)", [q("slo:fruit_latency:budget_remaining", "budget left")],
           unit="percentunit", w=6, h=8,
           description="Share of the 30-day latency budget (1 % of /fruit requests over 0.75 s) not spent yet.")
    d.ts("Burn rates (1 = the budget lasts 30 days)",
         [q("slo:fruit_errors:ratio_rate1h / 0.005", "availability 1h"),
          q("slo:fruit_errors:ratio_rate5m / 0.005", "availability 5m"),
          q("slo:fruit_slow:ratio_rate1h / 0.01", "latency 1h"),
          q("slo:fruit_slow:ratio_rate5m / 0.01", "latency 5m")], w=12,
         description="The fast-burn alerts fire above 14.4 on both the 1h and 5m curves; the slow ones above 6 "
         "over 6h and 30m.")
    mark_needs(d)
    return d


def rabbitmq():
    d = Dash("rabbitmq", "RabbitMQ", ["rabbitmq"],
             "RabbitMQ's own rabbitmq_prometheus endpoint (:15692, per-object metrics on).")
    d.row("Overview")
    d.stat("Up", [q('up{job="rabbitmq"}', "{{instance}}")], thresholds=UP_STEPS, mappings=UP_MAPPINGS, w=4)
    d.stat("Connections", [q("sum(rabbitmq_connections)")], w=5)
    d.stat("Channels", [q("sum(rabbitmq_channels)")], w=5)
    d.stat("Queues", [q("sum(rabbitmq_queues)")], w=5)
    d.stat("Consumers", [q("sum(rabbitmq_consumers)")], w=5)
    d.row("Messages")
    d.ts("Messages ready by queue", [q("sum by (queue) (rabbitmq_queue_messages_ready)", "{{queue}}")], w=12)
    d.ts("Messages unacked by queue", [q("sum by (queue) (rabbitmq_queue_messages_unacked)", "{{queue}}")], w=12)
    d.ts("Message rates", [
        q(f"sum(rate(rabbitmq_global_messages_received_total[{RI}]))", "received"),
        q(f"sum(rate(rabbitmq_global_messages_routed_total[{RI}]))", "routed"),
        q(f"sum(rate(rabbitmq_global_messages_delivered_total[{RI}]))", "delivered"),
        q(f"sum(rate(rabbitmq_global_messages_acknowledged_total[{RI}]))", "acknowledged"),
        q(f"sum(rate(rabbitmq_global_messages_redelivered_total[{RI}]))", "redelivered"),
    ], unit="ops", w=12)
    d.ts("Published per queue", [q(f"sum by (queue) (rate(rabbitmq_queue_messages_published_total[{RI}]))",
                                   "{{queue}}")], unit="ops", w=12)
    d.row("Resources")
    d.ts("Memory", [q("rabbitmq_process_resident_memory_bytes", "resident"),
                    q("rabbitmq_resident_memory_limit_bytes", "high watermark")], unit="bytes", w=8)
    d.ts("File descriptors", [q("rabbitmq_process_open_fds", "open"), q("rabbitmq_process_max_fds", "max")], w=8)
    d.ts("Free disk", [q("rabbitmq_disk_space_available_bytes", "available"),
                       q("rabbitmq_disk_space_available_limit_bytes", "limit")], unit="bytes", w=8)
    d.ts("Erlang processes", [q("rabbitmq_erlang_processes_used", "used")], w=12)
    d.ts("Alarms", [q("rabbitmq_alarms_memory_used_watermark", "memory"),
                    q("rabbitmq_alarms_free_disk_space_watermark", "disk"),
                    q("rabbitmq_alarms_file_descriptor_limit", "file descriptors")], w=12)
    return d


def postgresql():
    db = 'datname="demo"'
    d = Dash("postgresql", "PostgreSQL", ["postgresql"],
             "PostgreSQL through postgres_exporter (:9187): the workshop's demo database.")
    d.row("Overview")
    d.stat("Up", [q("pg_up", "{{instance}}")], thresholds=UP_STEPS, mappings=UP_MAPPINGS, w=4)
    d.stat("Backends on demo", [q(f"sum(pg_stat_database_numbackends{{{db}}})")], w=5)
    d.stat("Max connections", [q("max(pg_settings_max_connections)")], w=5)
    d.stat("Database size", [q(f"sum(pg_database_size_bytes{{{db}}})")], unit="bytes", w=5)
    d.stat("Cache hit ratio", [q(f"sum(rate(pg_stat_database_blks_hit{{{db}}}[5m])) / "
                                 f"(sum(rate(pg_stat_database_blks_hit{{{db}}}[5m])) + "
                                 f"sum(rate(pg_stat_database_blks_read{{{db}}}[5m])))")], unit="percentunit", w=5)
    d.row("Activity")
    d.ts("Connections by state", [q(f"sum by (state) (pg_stat_activity_count{{{db}}})", "{{state}}")], w=12)
    d.ts("Transactions", [q(f"sum(rate(pg_stat_database_xact_commit{{{db}}}[{RI}]))", "commit"),
                          q(f"sum(rate(pg_stat_database_xact_rollback{{{db}}}[{RI}]))", "rollback")],
         unit="ops", w=12)
    d.ts("Rows", [q(f"sum(rate(pg_stat_database_tup_inserted{{{db}}}[{RI}]))", "inserted"),
                  q(f"sum(rate(pg_stat_database_tup_fetched{{{db}}}[{RI}]))", "fetched"),
                  q(f"sum(rate(pg_stat_database_tup_returned{{{db}}}[{RI}]))", "returned")], unit="ops", w=12)
    d.ts("Locks by mode", [q(f"sum by (mode) (pg_locks_count{{{db}}})", "{{mode}}")], w=12)
    d.ts("Deadlocks and conflicts", [q(f"sum(increase(pg_stat_database_deadlocks{{{db}}}[5m]))", "deadlocks"),
                                     q(f"sum(increase(pg_stat_database_conflicts{{{db}}}[5m]))", "conflicts")], w=12)
    d.ts("Database size", [q(f"pg_database_size_bytes{{{db}}}", "{{datname}}")], unit="bytes", w=12)
    return d


def redis():
    d = Dash("redis", "Redis", ["redis"], "Redis (valkey in Docker) through redis_exporter (:9121): the /fruit cache.")
    d.row("Overview")
    d.stat("Up", [q("redis_up", "{{instance}}")], thresholds=UP_STEPS, mappings=UP_MAPPINGS, w=4)
    d.stat("Uptime", [q("max(redis_uptime_in_seconds)")], unit="s", w=5)
    d.stat("Clients", [q("sum(redis_connected_clients)")], w=5)
    d.stat("Memory used", [q("sum(redis_memory_used_bytes)")], unit="bytes", w=5)
    d.stat("Hit ratio", [q("sum(rate(redis_keyspace_hits_total[5m])) / (sum(rate(redis_keyspace_hits_total[5m])) + "
                           "sum(rate(redis_keyspace_misses_total[5m])))")], unit="percentunit", w=5)
    d.row("Commands and keys")
    d.ts("Commands per second", [q(f"sum(rate(redis_commands_processed_total[{RI}]))", "commands")], unit="ops", w=12)
    d.ts("Top commands", [q(f"topk(5, sum by (cmd) (rate(redis_commands_total[{RI}])))", "{{cmd}}")], unit="ops", w=12)
    d.ts("Hits and misses", [q(f"sum(rate(redis_keyspace_hits_total[{RI}]))", "hits"),
                             q(f"sum(rate(redis_keyspace_misses_total[{RI}]))", "misses")], unit="ops", w=12)
    d.ts("Keys expired and evicted", [q(f"sum(rate(redis_expired_keys_total[{RI}]))", "expired"),
                                      q(f"sum(rate(redis_evicted_keys_total[{RI}]))", "evicted")], unit="ops", w=12)
    d.ts("Command latency (mean)", [q(f"sum by (cmd) (rate(redis_commands_duration_seconds_total[{RI}])) / "
                                      f"sum by (cmd) (rate(redis_commands_total[{RI}]))", "{{cmd}}")], unit="s", w=12)
    d.ts("Network", [q(f"sum(rate(redis_net_input_bytes_total[{RI}]))", "in"),
                     q(f"sum(rate(redis_net_output_bytes_total[{RI}]))", "out")], unit="Bps", w=12)
    return d


def node():
    d = Dash("node", "Node", ["node"], "The host through node_exporter (:9100).")
    d.row("Overview")
    d.stat("Up", [q('up{job="node_exporter"}', "{{instance}}")], thresholds=UP_STEPS, mappings=UP_MAPPINGS, w=4)
    d.stat("Uptime", [q("time() - max(node_boot_time_seconds)")], unit="s", w=5)
    d.stat("CPUs", [q('count(node_cpu_seconds_total{mode="idle"})')], w=5)
    d.stat("Memory", [q("sum(node_memory_MemTotal_bytes)")], unit="bytes", w=5)
    d.stat("CPU busy", [q(f'1 - avg(rate(node_cpu_seconds_total{{mode="idle"}}[{RI}]))')], unit="percentunit", w=5)
    d.row("CPU and memory")
    d.ts("CPU by mode", [q(f'sum by (mode) (rate(node_cpu_seconds_total{{mode!="idle"}}[{RI}]))', "{{mode}}")],
         unit="short", w=12, stack=True, description="CPU seconds per second spent in each mode (1 = one core).")
    d.ts("Load average", [q("node_load1", "1m"), q("node_load5", "5m"), q("node_load15", "15m")], w=12)
    d.ts("Memory", [q("node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes", "used"),
                    q("node_memory_MemAvailable_bytes", "available"),
                    q("node_memory_Cached_bytes + node_memory_Buffers_bytes", "cache and buffers")], unit="bytes", w=12)
    d.ts("Context switches", [q(f"rate(node_context_switches_total[{RI}])", "switches")], unit="ops", w=12)
    d.row("Disk and network")
    d.ts("Filesystem free", [q('node_filesystem_avail_bytes{fstype!~"tmpfs|ramfs|overlay|squashfs"}', "{{mountpoint}}")],
         unit="bytes", w=8)
    d.ts("Disk I/O", [q(f"sum by (device) (rate(node_disk_read_bytes_total[{RI}]))", "{{device}} read"),
                      q(f"sum by (device) (rate(node_disk_written_bytes_total[{RI}]))", "{{device}} written")],
         unit="Bps", w=8)
    d.ts("Network", [q(f'sum by (device) (rate(node_network_receive_bytes_total{{device!="lo"}}[{RI}]))', "{{device}} in"),
                     q(f'sum by (device) (rate(node_network_transmit_bytes_total{{device!="lo"}}[{RI}]))', "{{device}} out")],
         unit="Bps", w=8)
    return d


DASHBOARDS = {"workshop.json": workshop, "rabbitmq.json": rabbitmq, "postgresql.json": postgresql,
              "redis.json": redis, "node.json": node}


def main():
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1].startswith("-")):
        print("usage: make_dashboards.py [OUT_DIR]   (default: the dashboards/ folder beside it)",
              file=sys.stderr)
        sys.exit(0 if sys.argv[1] in ("-h", "--help") else 2)
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")
    os.makedirs(out, exist_ok=True)
    for name, make in DASHBOARDS.items():
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write(make().json())
    print(f"wrote {len(DASHBOARDS)} dashboards to {out}")


if __name__ == "__main__":
    main()
