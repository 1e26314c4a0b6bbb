# shellcheck shell=bash
# Shared code of stack/native/{up,down,kill,status}: where things live, how each service of the
# observability stack is installed, started from Debian's packages as a plain loopback process with its
# data in one state folder, checked for readiness, and stopped. Sourced, never run.

set -euo pipefail

STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$STACK_DIR/.." && pwd)"
STATE="${STACK_STATE_DIR:-$REPO_DIR/.state}"
READY_TIMEOUT="${STACK_READY_TIMEOUT:-90}"

# Documented local demo defaults, overridable.
PG_USER="${POSTGRES_USER:-demo}"
PG_PASSWORD="${POSTGRES_PASSWORD:-demo}"
PG_DB="${POSTGRES_DB:-demo}"
WEBHOOK_PORT="${STACK_WEBHOOK_PORT:-9099}"
# The configuration files of the native run; docker-compose.yml mounts these same files
# (stack/tests/check_compose.sh compares the two lists).
CFG_PROMETHEUS="$STACK_DIR/prometheus/prometheus.yml"
CFG_RULES="$STACK_DIR/prometheus/rules" # rule_files of prometheus.yml are relative to it
CFG_ALERTMANAGER="$STACK_DIR/alertmanager/alertmanager.yml"
CFG_BLACKBOX="$STACK_DIR/blackbox/blackbox.yml"
CFG_RABBITMQ="$STACK_DIR/rabbitmq/rabbitmq.conf"
CFG_RABBITMQ_PLUGINS="$STACK_DIR/rabbitmq/enabled_plugins"
CFG_WEBHOOK="$STACK_DIR/native/webhook-receiver"
native_config_files() {
	printf '%s\n' "$CFG_PROMETHEUS" "$CFG_RULES" "$CFG_ALERTMANAGER" "$CFG_BLACKBOX" "$CFG_RABBITMQ" \
		"$CFG_RABBITMQ_PLUGINS" "$CFG_WEBHOOK"
}
# Test-only overrides (for example short scrape intervals).
PROMETHEUS_CONFIG="${STACK_PROMETHEUS_CONFIG:-$CFG_PROMETHEUS}"
ALERTMANAGER_CONFIG="${STACK_ALERTMANAGER_CONFIG:-$CFG_ALERTMANAGER}"

# Start order; readiness is awaited in the same order once everything has been launched.
ALL_SERVICES=(postgres rabbitmq redis node-exporter postgres-exporter redis-exporter blackbox-exporter
	webhook alertmanager prometheus)

declare -A PKG=(
	[postgres]=postgresql [rabbitmq]=rabbitmq-server [redis]=redis-server [prometheus]=prometheus
	[alertmanager]=prometheus-alertmanager [node-exporter]=prometheus-node-exporter
	[postgres-exporter]=prometheus-postgres-exporter [redis-exporter]=prometheus-redis-exporter
	[blackbox-exporter]=prometheus-blackbox-exporter [webhook]=python3)
declare -A PORT=(
	[postgres]="${STACK_POSTGRES_PORT:-5432}" [rabbitmq]=5672 [redis]=6379 [prometheus]=9090 [alertmanager]=9093
	[node-exporter]=9100 [postgres-exporter]=9187 [redis-exporter]=9121 [blackbox-exporter]=9115
	[webhook]="$WEBHOOK_PORT")
# Packages every run needs besides the services' own.
COMMON_PKGS=(curl procps util-linux)

say() { printf '[stack] %s\n' "$*"; }
die() {
	printf '[stack] ERROR: %s\n' "$*" >&2
	exit 1
}

# Accepts node_exporter / node-exporter / valkey aliases; prints the canonical name.
canon() {
	local s="${1//_/-}"
	case "$s" in
	valkey) s=redis ;;
	postgresql | pg) s=postgres ;;
	rabbit) s=rabbitmq ;;
	node) s=node-exporter ;;
	blackbox) s=blackbox-exporter ;;
	esac
	[[ -n "${PKG[$s]:-}" ]] || die "unknown service '$1' (known: ${ALL_SERVICES[*]})"
	printf '%s\n' "$s"
}

as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# Installs the Debian packages that are missing, without letting their maintainer scripts start the
# system-wide daemons (they would take our ports).
ensure_packages() {
	local want=() missing=() p
	want+=("${COMMON_PKGS[@]}")
	for s in "$@"; do want+=("${PKG[$s]}"); done
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	say "installing missing packages: ${missing[*]}"
	local policy=/usr/sbin/policy-rc.d made_policy=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
		as_root chmod 755 "$policy"
		made_policy=1
	fi
	local rc=0
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		{ as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends "${missing[@]}"; } || rc=$?
	((made_policy)) && as_root rm -f "$policy"
	((rc == 0)) || die "apt-get install failed for: ${missing[*]}"
}

pidfile() { printf '%s/%s/pid\n' "$STATE" "$1"; }
logfile() {
	if [[ $1 == postgres ]]; then printf '%s/postgres.log\n' "$(pg_dir)"; else printf '%s/%s/%s.log\n' "$STATE" "$1" "$1"; fi
}

# Pattern the command line of the service's main process must contain (guards against pid reuse).
cmd_pattern() {
	case "$1" in
	postgres) echo 'postgres' ;;
	rabbitmq) echo 'beam' ;;
	redis) echo 'redis-server' ;;
	webhook) echo 'webhook-receiver' ;;
	alertmanager) echo 'prometheus-alertmanager' ;;
	prometheus) echo 'prometheus' ;;
	*) echo "prometheus-$1" ;;
	esac
}

# Prints the pid of the service's main process, from its pid file.
svc_pid() {
	local f
	case "$1" in
	postgres) f="$(pg_dir)/data/postmaster.pid" ;;
	*) f="$(pidfile "$1")" ;;
	esac
	[[ -r $f ]] || return 1
	local pid
	pid="$(head -n1 "$f" | tr -dc 0-9)"
	[[ -n $pid ]] && printf '%s\n' "$pid"
}

is_running() {
	local pid
	pid="$(svc_pid "$1")" || return 1
	[[ -r /proc/$pid/cmdline ]] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$(cmd_pattern "$1")"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

http_ok() { curl -fsS -o /dev/null --max-time 3 "$1" 2>/dev/null; }

# Launches a long-running foreground program detached from our session, logging to the service's log.
spawn() {
	local svc="$1"
	shift
	mkdir -p "$STATE/$svc"
	setsid "$@" >>"$(logfile "$svc")" 2>&1 </dev/null &
	echo $! >"$(pidfile "$svc")"
}

as_pg() {
	if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
	local d
	d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
	[[ -n $d ]] || die "PostgreSQL binaries not found under /usr/lib/postgresql"
	printf '%s/%s\n' "$d" "$1"
}

rmq_env() {
	local r="$STATE/rabbitmq"
	env HOME="$r/home" RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_MNESIA_BASE="$r/mnesia" \
		RABBITMQ_LOG_BASE="$r/log" RABBITMQ_PID_FILE="$r/pid" \
		RABBITMQ_ENABLED_PLUGINS_FILE="$CFG_RABBITMQ_PLUGINS" \
		RABBITMQ_CONFIG_FILE="$CFG_RABBITMQ" \
		RABBITMQ_ADVANCED_CONFIG_FILE="$r/advanced.config" RABBITMQ_CONF_ENV_FILE="$r/rabbitmq-env.conf" \
		RABBITMQ_PLUGINS_EXPAND_DIR="$r/plugins-expand" ERL_EPMD_ADDRESS=127.0.0.1 \
		RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" "$@"
}
rmqctl() { rmq_env /usr/lib/rabbitmq/bin/rabbitmqctl -n rabbit@localhost "$@"; }

# ---- start -------------------------------------------------------------------------------------

# PostgreSQL's folder: $STATE/postgres, unless that is a link to the fallback made by pg_prepare_dir.
pg_dir() { readlink -f "$STATE/postgres" 2>/dev/null || printf '%s/postgres\n' "$STATE"; }

# As root the server runs as user postgres, which must be able to reach its folder. When the state
# folder lies under a directory closed to others (a private checkout), the cluster goes to
# /var/lib/postgresql/stack-<hash of the state path> and $STATE/postgres links there.
pg_prepare_dir() {
	[[ $EUID -eq 0 && ! -e $STATE/postgres ]] || return 0
	mkdir -p "$STATE/postgres"
	chown postgres:postgres "$STATE/postgres"
	runuser -u postgres -- test -w "$STATE/postgres" && return 0
	rmdir "$STATE/postgres"
	local alt
	alt="/var/lib/postgresql/stack-$(printf '%s' "$STATE" | md5sum | cut -c1-12)"
	mkdir -p "$alt"
	chown postgres:postgres "$alt"
	ln -s "$alt" "$STATE/postgres"
	say "postgres: user postgres cannot reach $STATE; its cluster lives in $alt (linked from $STATE/postgres)"
}

start_postgres() {
	pg_prepare_dir
	local d
	d="$(pg_dir)"
	mkdir -p "$d/run"
	[[ $EUID -eq 0 ]] && chown postgres:postgres "$d" "$d/run"
	if [[ ! -s $d/data/PG_VERSION ]]; then
		say "postgres: initialising cluster in $d/data"
		local pw="$d/.initpw"
		(umask 077 && printf 'postgres\n' >"$pw")
		[[ $EUID -eq 0 ]] && chown postgres "$pw"
		as_pg "$(pg_bin initdb)" -D "$d/data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
			--pwfile="$pw" -E UTF8 --locale=C.UTF-8 >>"$(logfile postgres)" 2>&1 ||
			die "postgres: initdb failed, see $(logfile postgres)"
		rm -f "$pw"
	fi
	touch "$(logfile postgres)"
	[[ $EUID -eq 0 ]] && chown postgres "$(logfile postgres)"
	as_pg "$(pg_bin pg_ctl)" start -D "$d/data" -l "$(logfile postgres)" -s \
		-o "-p ${PORT[postgres]} -c listen_addresses=localhost -k $d/run" >/dev/null 2>>"$(logfile postgres)" ||
		die "postgres: pg_ctl start failed, see $(logfile postgres)"
}

start_rabbitmq() {
	local r="$STATE/rabbitmq"
	mkdir -p "$r/home" "$r/mnesia" "$r/log"
	[[ -e $r/advanced.config ]] || echo '[].' >"$r/advanced.config"
	: >"$r/rabbitmq-env.conf"
	rm -f "$r/pid"
	# epmd is started by the node itself; remember whether it was already there so `down` leaves it be.
	pgrep -x epmd >/dev/null 2>&1 || touch "$r/epmd.ours"
	rmq_env /usr/lib/rabbitmq/bin/rabbitmq-server -detached >>"$(logfile rabbitmq)" 2>&1 ||
		die "rabbitmq: failed to launch, see $(logfile rabbitmq)"
}

start_redis() {
	mkdir -p "$STATE/redis/data"
	spawn redis redis-server --port 6379 --bind 127.0.0.1 -::1 --dir "$STATE/redis/data" \
		--appendonly yes --save 60 1 --daemonize no --protected-mode yes
}

start_node-exporter() {
	spawn node-exporter prometheus-node-exporter --web.listen-address=127.0.0.1:9100
}

start_postgres-exporter() {
	spawn postgres-exporter env \
		DATA_SOURCE_NAME="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:${PORT[postgres]}/$PG_DB?sslmode=disable" \
		prometheus-postgres-exporter --web.listen-address=127.0.0.1:9187
}

start_redis-exporter() {
	spawn redis-exporter prometheus-redis-exporter -redis.addr=redis://127.0.0.1:6379 \
		-web.listen-address=127.0.0.1:9121
}

start_blackbox-exporter() {
	spawn blackbox-exporter prometheus-blackbox-exporter --config.file="$CFG_BLACKBOX" \
		--web.listen-address=127.0.0.1:9115
}

start_webhook() {
	spawn webhook /usr/bin/python3 "$CFG_WEBHOOK" --port "$WEBHOOK_PORT" \
		--out "$STATE/webhook/alerts.jsonl"
}

start_alertmanager() {
	mkdir -p "$STATE/alertmanager/data"
	spawn alertmanager prometheus-alertmanager --config.file="$ALERTMANAGER_CONFIG" \
		--storage.path="$STATE/alertmanager/data" --web.listen-address=127.0.0.1:9093 \
		--cluster.listen-address=
}

start_prometheus() {
	mkdir -p "$STATE/prometheus/data"
	spawn prometheus prometheus --config.file="$PROMETHEUS_CONFIG" --storage.tsdb.path="$STATE/prometheus/data" \
		--web.listen-address=127.0.0.1:9090 --web.enable-lifecycle --web.enable-admin-api \
		--enable-feature=native-histograms
	printf '%s\n' "$PROMETHEUS_CONFIG" >"$STATE/prometheus/config.path"
}

# ---- readiness ---------------------------------------------------------------------------------

probe() {
	case "$1" in
	postgres) "$(pg_bin pg_isready)" -q -h 127.0.0.1 -p "${PORT[postgres]}" ;;
	rabbitmq) rmqctl -q await_startup --timeout 2 >/dev/null 2>&1 && http_ok http://127.0.0.1:15692/metrics ;;
	redis) [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == PONG ]] ;;
	prometheus) http_ok http://127.0.0.1:9090/-/ready ;;
	alertmanager) http_ok http://127.0.0.1:9093/-/ready ;;
	webhook) http_ok "http://127.0.0.1:$WEBHOOK_PORT/health" ;;
	*) http_ok "http://127.0.0.1:${PORT[$1]}/metrics" ;;
	esac
}

# Extra set-up once a service answers.
after_ready() {
	case "$1" in
	postgres)
		local psql=("$(pg_bin psql)" -h "$(pg_dir)/run" -p "${PORT[postgres]}" -U postgres -d postgres -qtAX -v ON_ERROR_STOP=1)
		as_pg "${psql[@]}" -v u="$PG_USER" -v p="$PG_PASSWORD" >/dev/null <<-'SQL' || die "postgres: role setup failed"
			SET client_min_messages = warning;
			SELECT format('CREATE ROLE %I LOGIN', :'u') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
			SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'u', :'p') \gexec
			SELECT format('GRANT pg_monitor TO %I', :'u') \gexec
		SQL
		as_pg "${psql[@]}" -v u="$PG_USER" -v d="$PG_DB" >/dev/null <<-'SQL' || die "postgres: database setup failed"
			SELECT format('CREATE DATABASE %I OWNER %I', :'d', :'u') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'d') \gexec
		SQL
		;;
	rabbitmq)
		rmqctl -q authenticate_user guest guest >/dev/null 2>&1 ||
			die "rabbitmq: guest/guest cannot log in"
		if [[ -e $STATE/rabbitmq/epmd.ours && ! -s $STATE/rabbitmq/epmd.pid ]]; then
			pgrep -x epmd >"$STATE/rabbitmq/epmd.pid" || true
		fi
		;;
	esac
}

wait_ready() {
	local svc="$1" t0=$SECONDS
	while ! probe "$svc"; do
		# RabbitMQ writes its pid file only some seconds after -detached returns.
		if svc_pid "$svc" >/dev/null && ! is_running "$svc"; then
			tail -n 20 "$(logfile "$svc")" >&2 2>/dev/null || true
			die "$svc: exited during start-up, see $(logfile "$svc")"
		fi
		((SECONDS - t0 < READY_TIMEOUT)) || die "$svc: not ready after ${READY_TIMEOUT}s, see $(logfile "$svc")"
		sleep 0.5
	done
	after_ready "$svc"
	say "$svc: ready on 127.0.0.1:${PORT[$svc]} (pid $(svc_pid "$svc"))"
}

# ---- stop --------------------------------------------------------------------------------------

# Main process and its direct children (PostgreSQL backends, Erlang helpers).
svc_pids() {
	local pid
	pid="$(svc_pid "$1")" || return 0
	printf '%s\n' "$pid"
	pgrep -P "$pid" 2>/dev/null || true
}

stop_signal() {
	case "$1" in
	postgres) echo INT ;; # fast shutdown: does not wait for clients to disconnect
	*) echo TERM ;;
	esac
}

stop_svc() {
	local svc="$1"
	if ! is_running "$svc"; then
		say "$svc: not running"
		cleanup_svc "$svc" down
		return 0
	fi
	local pid t0=$SECONDS
	pid="$(svc_pid "$svc")"
	kill -s "$(stop_signal "$svc")" "$pid" 2>/dev/null || true
	while [[ -d /proc/$pid ]] && ((SECONDS - t0 < 30)); do sleep 0.2; done
	if [[ -d /proc/$pid ]]; then
		say "$svc: did not stop in 30s, sending SIGKILL"
		kill_svc "$svc"
	fi
	cleanup_svc "$svc" down
	say "$svc: stopped"
}

kill_svc() {
	local svc="$1" p
	is_running "$svc" || {
		say "$svc: not running"
		return 0
	}
	for p in $(svc_pids "$svc"); do kill -KILL "$p" 2>/dev/null || true; done
	local pid
	pid="$(svc_pid "$svc")"
	for _ in $(seq 50); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
	say "$svc: killed (SIGKILL pid $pid)"
}

# Removes what a stopped service leaves behind; with "down" as $2 also the epmd that RabbitMQ started.
cleanup_svc() {
	case "$1" in
	postgres) ;; # pg_ctl/postmaster handle a stale postmaster.pid themselves
	rabbitmq)
		rm -f "$STATE/rabbitmq/pid"
		local e="$STATE/rabbitmq/epmd.pid" epid
		if [[ ${2:-} == down && -r $e ]]; then
			epid="$(tr -dc 0-9 <"$e")"
			if [[ -n $epid && -r /proc/$epid/cmdline ]] && grep -q epmd "/proc/$epid/cmdline"; then
				kill -TERM "$epid" 2>/dev/null || true
			fi
			rm -f "$e" "$STATE/rabbitmq/epmd.ours"
		fi
		;;
	*) rm -f "$(pidfile "$1")" ;;
	esac
}

# Refuses to start on a port that some other program holds.
check_port_free() {
	local svc="$1"
	port_open "${PORT[$svc]}" || return 0
	die "$svc: port ${PORT[$svc]} is already in use by a process this runner did not start (state: $STATE)"
}

# Resolves the command-line service list (empty means all) into canonical names.
select_services() {
	local out=() s
	if (($# == 0)); then out=("${ALL_SERVICES[@]}"); else for s in "$@"; do out+=("$(canon "$s")"); done; fi
	printf '%s\n' "${out[@]}"
}
