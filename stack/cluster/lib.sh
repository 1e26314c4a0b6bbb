# shellcheck shell=bash
# Shared code of stack/cluster/{up,down,kill,status}: the scale-out topology of issue 11 on loopback,
# from Debian's packages, the same way stack/native runs the single-node stack (this file builds on
# stack/native/lib.sh: its installer, spawn, pid files and readiness loop), with every instance on
# its own port and its data in $STACK_STATE_DIR/cluster. PostgreSQL and Redis stay single: they are
# the native stack's own instances (stack/native/up postgres redis). Sourced, never run.
#
#   rabbitmq-1..3    RabbitMQ 3.10 nodes rabbit-c1..3@localhost, one cluster, AMQP 5681..5683,
#                    distribution 25681..25683, Prometheus plugin 15701..15703; shared Erlang cookie
#   frontend-1..2    the frontend on 5101, 5102 (also their /metrics)
#   haproxy          :5000 (the seed's URL) round-robin over the frontends, health-checked;
#                    its own Prometheus exporter and stats page on 5190
#   backend-1..2     competing consumers of the quorum task_queue, /metrics on 5111, 5112
#   victoriametrics  1.79 single node on 8491, the long-term store both Prometheus replicas write to
#   prometheus-1..2  2.42 replicas on 9191, 9192, external label replica="1"/"2", file_sd
#   alertmanager-1..3  one gossip cluster, web 9193..9195, cluster 9293..9295
#   webhook          the stack's webhook receiver on 9199 (the native one keeps 9099)
# shellcheck source=stack/native/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/native/lib.sh"

NATIVE_STATE="$STATE"
STATE="${STACK_CLUSTER_STATE_DIR:-$NATIVE_STATE/cluster}" # every pid file and log of the cluster
BUILD_DIR="${STACK_CLUSTER_BUILD_DIR:-$REPO_DIR/build}"
FRONTEND_BIN="${STACK_CLUSTER_FRONTEND:-$BUILD_DIR/services/frontend}"
BACKEND_BIN="${STACK_CLUSTER_BACKEND:-$BUILD_DIR/services/backend}"
HTTP_PORT="${STACK_CLUSTER_HTTP_PORT:-5000}"
SCRAPE_INTERVAL="${STACK_CLUSTER_SCRAPE_INTERVAL:-15s}"
CLUSTER_WEBHOOK_PORT="${STACK_CLUSTER_WEBHOOK_PORT:-9199}"
# Workshop exercise 10's recording rules, once the attendee has written them (a glob: none is fine).
SCALING_RULES="${STACK_CLUSTER_SCALING_RULES:-$CFG_RULES/scaling*.yml}"

CLUSTER_SERVICES=(rabbitmq-1 rabbitmq-2 rabbitmq-3 webhook alertmanager-1 alertmanager-2 alertmanager-3
	victoriametrics prometheus-1 prometheus-2 backend-1 backend-2 frontend-1 frontend-2 haproxy)
declare -A CPORT=(
	[rabbitmq-1]=5681 [rabbitmq-2]=5682 [rabbitmq-3]=5683 [frontend-1]=5101 [frontend-2]=5102
	[backend-1]=5111 [backend-2]=5112 [haproxy]="$HTTP_PORT" [victoriametrics]=8491
	[prometheus-1]=9191 [prometheus-2]=9192 [alertmanager-1]=9193 [alertmanager-2]=9194
	[alertmanager-3]=9195 [webhook]="$CLUSTER_WEBHOOK_PORT")
RMQ_DIST_BASE=25680 RMQ_PROM_BASE=15700 AM_GOSSIP_BASE=9292 HAPROXY_STATS_PORT=5190
# Debian packages by service (for ensure_packages of native/lib.sh).
PKG+=([haproxy]=haproxy [victoriametrics]=victoria-metrics)

AMQP_URLS="amqp://guest:guest@127.0.0.1:5681/,amqp://guest:guest@127.0.0.1:5682/,amqp://guest:guest@127.0.0.1:5683/"

kind() { printf '%s\n' "${1%-[0-9]}"; } # rabbitmq-2 -> rabbitmq
idx() { printf '%s\n' "${1##*-}"; }     # rabbitmq-2 -> 2

# The native lib's pattern guard, for the cluster's names.
cmd_pattern() {
	case "$(kind "$1")" in
	rabbitmq) echo "beam" ;; # the node name is not on its command line; the pid file is per node
	frontend) echo "frontend --port ${CPORT[$1]}" ;;
	backend) echo "backend --metrics-port ${CPORT[$1]}" ;;
	haproxy) echo 'haproxy' ;;
	victoriametrics) echo 'victoria-metrics' ;;
	prometheus) echo "prometheus --config.file=$STATE/$1/" ;;
	alertmanager) echo "prometheus-alertmanager --config.file=$STATE/alertmanager" ;;
	webhook) echo 'webhook-receiver' ;;
	esac
}

cluster_select() {
	local out=() s k
	if (($# == 0)); then
		out=("${CLUSTER_SERVICES[@]}")
	else
		for s in "$@"; do
			if [[ -n ${CPORT[$s]:-} ]]; then
				out+=("$s")
			else # a kind: every instance of it
				for k in "${CLUSTER_SERVICES[@]}"; do [[ $(kind "$k") == "$s" ]] && out+=("$k"); done
			fi
		done
	fi
	((${#out[@]})) || die "unknown service(s) '$*' (known: ${CLUSTER_SERVICES[*]} or a kind)"
	printf '%s\n' "${out[@]}"
}

# ---- RabbitMQ ----------------------------------------------------------------------------------

# One HOME for the three nodes and the CLI: its .erlang.cookie is the cluster's shared cookie.
rmqc_env() {
	local i="$1" d="$STATE/rabbitmq-$1"
	shift
	env HOME="$STATE/rabbitmq-home" RABBITMQ_NODENAME="rabbit-c$i@localhost" \
		RABBITMQ_DIST_PORT="$((RMQ_DIST_BASE + i))" RABBITMQ_MNESIA_BASE="$d/mnesia" \
		RABBITMQ_LOG_BASE="$d/log" RABBITMQ_PID_FILE="$d/pid" \
		RABBITMQ_ENABLED_PLUGINS_FILE="$CFG_RABBITMQ_PLUGINS" RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
		RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf" \
		RABBITMQ_PLUGINS_EXPAND_DIR="$d/plugins-expand" ERL_EPMD_ADDRESS=127.0.0.1 \
		RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" "$@"
}
rmqc_ctl() {
	local i="$1"
	shift
	rmqc_env "$i" /usr/lib/rabbitmq/bin/rabbitmqctl -n "rabbit-c$i@localhost" "$@"
}
rmqc_queues() {
	local i="$1"
	shift
	rmqc_env "$i" /usr/lib/rabbitmq/bin/rabbitmq-queues -n "rabbit-c$i@localhost" "$@"
}

make_cookie() {
	local h="$STATE/rabbitmq-home"
	mkdir -p "$h"
	[[ -s $h/.erlang.cookie ]] && return 0
	(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F >"$h/.erlang.cookie")
}

start_rabbitmq_node() {
	local i="$1" d="$STATE/rabbitmq-$1"
	mkdir -p "$d/mnesia" "$d/log"
	make_cookie
	[[ -e $d/advanced.config ]] || echo '[].' >"$d/advanced.config"
	: >"$d/rabbitmq-env.conf"
	# stack/rabbitmq/rabbitmq.conf with this node's ports.
	sed -e "s/127.0.0.1:5672/127.0.0.1:${CPORT[rabbitmq-$i]}/" \
		-e "s/^prometheus.tcp.port = 15692/prometheus.tcp.port = $((RMQ_PROM_BASE + i))/" \
		"$CFG_RABBITMQ" >"$d/rabbitmq.conf"
	rm -f "$d/pid"
	rmqc_env "$i" /usr/lib/rabbitmq/bin/rabbitmq-server -detached >>"$d/rabbitmq-$i.log" 2>&1 ||
		die "rabbitmq-$i: failed to launch, see $d/rabbitmq-$i.log"
}

# Nodes 2 and 3 join node 1 once (a node that has joined keeps its membership across restarts).
rmq_join() {
	local i="$1"
	[[ $i == 1 ]] && return 0
	if rmqc_ctl "$i" -q cluster_status --formatter json 2>/dev/null | grep -q '"rabbit-c1@localhost"'; then
		return 0
	fi
	say "rabbitmq-$i: joining rabbit-c1@localhost"
	rmqc_ctl "$i" -q stop_app >/dev/null
	rmqc_ctl "$i" -q join_cluster rabbit-c1@localhost >/dev/null || die "rabbitmq-$i: join_cluster failed"
	rmqc_ctl "$i" -q start_app >/dev/null
}

# Once all three nodes run: every quorum queue gets a member on each (rabbitmq-queues grow is a
# no-op where it has one), so task_queue and its dead-letter queue are replicated on all three even
# if they were declared while a node was away.
rmq_grow() {
	local i
	for i in 1 2 3; do is_running "rabbitmq-$i" || return 0; done
	for i in 1 2 3; do
		rmqc_queues 1 -q grow "rabbit-c$i@localhost" all --errors-only >/dev/null 2>&1 || true
	done
}

# The node that leads a quorum queue ("" if none), asked of any running node.
rmq_leader() {
	local q="$1" i
	for i in 1 2 3; do
		is_running "rabbitmq-$i" || continue
		rmqc_ctl "$i" -q list_queues name leader --no-table-headers 2>/dev/null |
			awk -v q="$q" '$1 == q { print $2 }' && return 0
	done
}

# ---- configuration written by up ----------------------------------------------------------------

targets_json() { # host:port... -> file_sd JSON
	local first=1 t
	printf '[{"targets": ['
	for t in "$@"; do
		((first)) || printf ', '
		printf '"%s"' "$t"
		first=0
	done
	printf ']}]\n'
}

write_prometheus_configs() {
	local sd="$STATE/prometheus-sd"
	mkdir -p "$sd"
	targets_json 127.0.0.1:9191 127.0.0.1:9192 >"$sd/prometheus.json"
	targets_json 127.0.0.1:9193 127.0.0.1:9194 127.0.0.1:9195 >"$sd/alertmanager.json"
	targets_json 127.0.0.1:15701 127.0.0.1:15702 127.0.0.1:15703 >"$sd/rabbitmq.json"
	targets_json 127.0.0.1:5101 127.0.0.1:5102 >"$sd/frontend.json"
	targets_json 127.0.0.1:5111 127.0.0.1:5112 >"$sd/backend.json"
	targets_json "127.0.0.1:$HAPROXY_STATS_PORT" >"$sd/haproxy.json"
	targets_json 127.0.0.1:8491 >"$sd/victoriametrics.json"
	local r job
	for r in 1 2; do
		mkdir -p "$STATE/prometheus-$r"
		{
			cat <<-YAML
				# Written by stack/cluster/up: replica $r of 2. Both replicas scrape every instance (file_sd
				# in $sd, also written by up), evaluate the native stack's own rules, send alerts to all
				# three Alertmanagers without their replica label (so the two replicas' alerts are one
				# alert there) and remote-write everything to VictoriaMetrics.
				global:
				  scrape_interval: $SCRAPE_INTERVAL
				  evaluation_interval: $SCRAPE_INTERVAL
				  external_labels:
				    stack: metrics-workshop-cluster
				    replica: "$r"
				rule_files:
				  - $CFG_RULES/recording.yml
				  - $CFG_RULES/alerts.yml
				  - $SCALING_RULES
				alerting:
				  alert_relabel_configs:
				    - action: labeldrop
				      regex: replica
				  alertmanagers:
				    - static_configs:
				        - targets: ["127.0.0.1:9193", "127.0.0.1:9194", "127.0.0.1:9195"]
				remote_write:
				  - url: http://127.0.0.1:8491/api/v1/write
				    queue_config:
				      batch_send_deadline: 1s
				scrape_configs:
			YAML
			for job in prometheus alertmanager rabbitmq frontend backend haproxy victoriametrics; do
				printf '  - job_name: %s\n    file_sd_configs:\n      - files: ["%s/%s.json"]\n' "$job" "$sd" "$job"
			done
		} >"$STATE/prometheus-$r/prometheus.yml"
	done
	# VictoriaMetrics drops the replica label on ingestion: the replicas' copies of a series become
	# one series, which -dedup.minScrapeInterval thins to one sample per scrape interval.
	printf -- '- action: labeldrop\n  regex: replica\n' >"$STATE/victoriametrics-relabel.yml"
}

write_alertmanager_config() {
	mkdir -p "$STATE/alertmanager"
	sed "s#http://127.0.0.1:9099/#http://127.0.0.1:$CLUSTER_WEBHOOK_PORT/#" "$ALERTMANAGER_CONFIG" \
		>"$STATE/alertmanager/alertmanager.yml"
}

write_haproxy_config() {
	mkdir -p "$STATE/haproxy"
	cat >"$STATE/haproxy/haproxy.cfg" <<-CFG
		# Written by stack/cluster/up. :$HTTP_PORT round-robin over the two frontends. A server is out after
		# 2 failed checks 500 ms apart and back after 2 good ones; a connection refused by a dead one is
		# retried on the other (retries + redispatch: only connect failures, so a POST is never sent twice).
		# The check is GET /metrics: it answers whenever the HTTP server runs and, unlike /hello, it does
		# not count in hello_total nor publish a job.
		global
		    maxconn 4096
		defaults
		    mode http
		    timeout connect 1s
		    timeout client 30s
		    timeout server 30s
		    retries 3
		    option redispatch 1
		frontend web
		    bind 127.0.0.1:$HTTP_PORT
		    default_backend frontends
		frontend stats
		    bind 127.0.0.1:$HAPROXY_STATS_PORT
		    http-request use-service prometheus-exporter if { path /metrics }
		    stats enable
		    stats uri /stats
		backend frontends
		    balance roundrobin
		    option httpchk GET /healthz
		    http-check expect status 200
		    default-server inter 500ms fall 2 rise 2
		    server frontend-1 127.0.0.1:5101 check
		    server frontend-2 127.0.0.1:5102 check
	CFG
}

# ---- start ---------------------------------------------------------------------------------------

start_cluster_svc() {
	local s="$1" i
	i="$(idx "$s")"
	case "$(kind "$s")" in
	rabbitmq) start_rabbitmq_node "$i" ;;
	webhook)
		spawn webhook /usr/bin/python3 "$CFG_WEBHOOK" --port "$CLUSTER_WEBHOOK_PORT" \
			--out "$STATE/webhook/alerts.jsonl"
		;;
	alertmanager)
		local peers=() j
		for j in 1 2 3; do ((j == i)) || peers+=("--cluster.peer=127.0.0.1:$((AM_GOSSIP_BASE + j))"); done
		mkdir -p "$STATE/$s/data"
		spawn "$s" prometheus-alertmanager --config.file="$STATE/alertmanager/alertmanager.yml" \
			--storage.path="$STATE/$s/data" --web.listen-address="127.0.0.1:${CPORT[$s]}" \
			--cluster.listen-address="127.0.0.1:$((AM_GOSSIP_BASE + i))" "${peers[@]}"
		;;
	victoriametrics)
		mkdir -p "$STATE/victoriametrics/data"
		spawn victoriametrics victoria-metrics -storageDataPath="$STATE/victoriametrics/data" \
			-httpListenAddr="127.0.0.1:8491" -retentionPeriod=1 \
			-dedup.minScrapeInterval="$SCRAPE_INTERVAL" -relabelConfig="$STATE/victoriametrics-relabel.yml" \
			-search.latencyOffset="${STACK_CLUSTER_VM_LATENCY_OFFSET:-30s}"
		;;
	prometheus)
		mkdir -p "$STATE/$s/data"
		spawn "$s" prometheus --config.file="$STATE/$s/prometheus.yml" --storage.tsdb.path="$STATE/$s/data" \
			--web.listen-address="127.0.0.1:${CPORT[$s]}" --web.enable-lifecycle
		;;
	backend)
		spawn "$s" env AMQP_URL="$AMQP_URLS" QUEUE_TYPE=quorum \
			"$BACKEND_BIN" --metrics-port "${CPORT[$s]}" --metrics-addr 127.0.0.1
		;;
	frontend)
		spawn "$s" env AMQP_URL="$AMQP_URLS" QUEUE_TYPE=quorum \
			"$FRONTEND_BIN" --port "${CPORT[$s]}" --addr 127.0.0.1
		;;
	haproxy) spawn haproxy haproxy -db -f "$STATE/haproxy/haproxy.cfg" ;;
	esac
}

# ---- readiness -------------------------------------------------------------------------------------

cluster_probe() {
	local s="$1" i
	i="$(idx "$s")"
	case "$(kind "$s")" in
	rabbitmq) rmqc_ctl "$i" -q await_startup --timeout 2 >/dev/null 2>&1 &&
		http_ok "http://127.0.0.1:$((RMQ_PROM_BASE + i))/metrics" ;;
	webhook) http_ok "http://127.0.0.1:$CLUSTER_WEBHOOK_PORT/health" ;;
	alertmanager | prometheus) http_ok "http://127.0.0.1:${CPORT[$s]}/-/ready" ;;
	victoriametrics) http_ok "http://127.0.0.1:8491/health" ;;
	frontend | backend) http_ok "http://127.0.0.1:${CPORT[$s]}/metrics" ;;
	haproxy) http_ok "http://127.0.0.1:$HAPROXY_STATS_PORT/metrics" ;;
	esac
}

cluster_wait_ready() {
	local s="$1" t0=$SECONDS
	while ! cluster_probe "$s"; do
		if svc_pid "$s" >/dev/null && ! is_running "$s"; then
			tail -n 20 "$(logfile "$s")" >&2 2>/dev/null || true
			die "$s: exited during start-up, see $(logfile "$s")"
		fi
		((SECONDS - t0 < READY_TIMEOUT)) || die "$s: not ready after ${READY_TIMEOUT}s, see $(logfile "$s")"
		sleep 0.5
	done
	say "$s: ready on 127.0.0.1:${CPORT[$s]} (pid $(svc_pid "$s"))"
}

# ---- stop ----------------------------------------------------------------------------------------

cluster_stop() {
	local s="$1"
	if [[ $(kind "$s") == rabbitmq ]] && is_running "$s"; then
		# A clean stop keeps the node a cluster member; its data stays for the next up.
		rmqc_ctl "$(idx "$s")" -q stop >/dev/null 2>&1 || true
	fi
	stop_svc "$s"
}
