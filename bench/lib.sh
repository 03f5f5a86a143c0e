# Shared by the bench scripts (sourced, bash): a work directory removed at
# exit, background processes stopped at exit, and free loopback ports.
#   . "$ROOT/bench/lib.sh"
#   bench_workdir NAME [GRACE_TENTHS]   sets WORK (a fresh temp dir) and PIDS=();
#                                       at exit every pid in PIDS gets SIGTERM,
#                                       GRACE_TENTHS/10 s (default 5 s), then SIGKILL
#   free_port                           prints a free TCP port on 127.0.0.1
#   find_nginx                          sets NGINX (installs nginx-light as root if missing)
#   start_nginx DIR PORT LOCATIONS      an nginx (one worker per core) with those location
#                                       blocks and /healthz; sets STARTED_PID
#   start_sesame DIR PORT [ARGS...]     build/sesame ($SESAME) on a fresh store; sets STARTED_PID
#   idle_pct                            how idle the machine is, in percent, over 1 s
#   bench_csv, wait_ready               a cached import file; a started server's port (see below)
#   bench_scenario NAME BUILD OUT [ARGS] a scripts/bench scenario, its summary.json copied to OUT
# The caller defines die MESSAGE [EXIT_CODE] (bench_scenario does not need it).

# bench_scenario NAME BUILD_DIR OUT [SCRIPTS_BENCH_ARGS...]: runs `scripts/bench
# NAME` (DURATION, SESAME_LOG_LEVEL and EXTRA from the environment), copies its
# summary.json to OUT, and returns scripts/bench's exit code.
bench_scenario() {
  local name=$1 build=$2 out=$3 dir rc=0
  shift 3
  case "$build" in /*) ;; *) build="$ROOT/$build" ;; esac
  dir="$ROOT/bench/reports/$name-$(date +%Y%m%d-%H%M%S)"
  # shellcheck disable=SC2086  # EXTRA is a list of flags
  "$ROOT/scripts/bench" "$name" --build "$build" --out "$dir" --duration "${DURATION:-10s}" \
    --set "log.level=${SESAME_LOG_LEVEL:-info}" "$@" ${EXTRA:-} || rc=$?
  [ -f "$dir/summary.json" ] && cp "$dir/summary.json" "$out" && echo "written $out (report: $dir/report.html)"
  return "$rc"
}

bench_workdir() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/sesame-$1.XXXXXX")
  BENCH_STOP_GRACE=${2:-50}
  PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
bench_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq "$BENCH_STOP_GRACE"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# bench_csv N SEED [DIR]: the path of a generated import file of N accounts
# (bench/gen_accounts.py), generated when missing. Cached in DIR (default
# CACHE_DIR or ${TMPDIR:-/tmp}/sesame-bench-cache), named by N, the seed and
# the generator's checksum. Sets GEN_S to the generation time (or null).
bench_csv() {
  local n=$1 seed=$2 dir=${3:-${CACHE_DIR:-${TMPDIR:-/tmp}/sesame-bench-cache}}
  local gen="$ROOT/bench/gen_accounts.py" sum csv t0
  sum=$(cksum <"$gen" | cut -d' ' -f1)
  mkdir -p "$dir"
  csv="$dir/accounts-$n-s$seed-g$sum.csv"
  GEN_S=null
  if [ ! -s "$csv" ]; then
    echo "generating $n accounts -> $csv" >&2
    t0=$(date +%s%N)
    python3 "$gen" "$n" "$csv.tmp.$$" --seed "$seed" >&2 || { rm -f "$csv.tmp.$$"; return 1; }
    mv "$csv.tmp.$$" "$csv"
    GEN_S=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  else
    echo "using cached $csv" >&2
  fi
  BENCH_CSV=$csv
}

# wait_ready PID LOGFILE [TRIES]: waits (10 ms polls, bounded) until the
# `sesame serve` of PID logged its "listening" line and answers 200 on
# /readyz; sets PORT. Returns 1 if it exited or never became ready.
wait_ready() {
  local pid=$1 log=$2 tries=${3:-3000}
  PORT=
  for _ in $(seq "$tries"); do
    kill -0 "$pid" 2>/dev/null || return 1
    [ -n "$PORT" ] || PORT=$(sed -n 's/.*"event":"listening".*"address":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$log" | head -n 1)
    if [ -n "$PORT" ] &&
       [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT/readyz" || true)" = 200 ]; then
      return 0
    fi
    sleep 0.01
  done
  return 1
}

find_nginx() {
  NGINX=$(command -v nginx || true)
  [ -n "$NGINX" ] || NGINX=/usr/sbin/nginx
  if [ ! -x "$NGINX" ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "installing nginx-light..." >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light >/dev/null || die "apt-get install nginx-light failed"
      NGINX=/usr/sbin/nginx
    else
      die "nginx not found; install it: sudo apt-get install -y nginx-light" 2
    fi
  fi
}

# wait_healthz NAME PID PORT LOG: up to 15 s for GET /healthz to answer 200.
wait_healthz() {
  local name=$1 pid=$2 port=$3 log=$4
  for _ in $(seq 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "--- $log" >&2; tail -n 20 "$log" >&2 || true
      die "$name exited before answering on 127.0.0.1:$port"
    fi
    curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" && return 0
    sleep 0.1
  done
  die "$name did not answer GET /healthz on 127.0.0.1:$port within 15 s"
}

# start_nginx DIR PORT LOCATIONS: one nginx, foreground master (daemon off),
# all its files in DIR, serving LOCATIONS (nginx location blocks) and
# /healthz. Sets STARTED_PID.
start_nginx() {
  local dir=$1 port=$2 locations=$3
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
worker_processes $(nproc);
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  default_type text/plain;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$port;
    location = /healthz { return 200 "ok\n"; }
    $locations
  }
}
EOF
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  wait_healthz "nginx" "$STARTED_PID" "$port" "$dir/error.log"
}

# start_sesame DIR PORT [ARGS...]: the real server on a fresh store. Sets STARTED_PID.
start_sesame() {
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir"
  "$SESAME" serve --store.path "$dir/data" --http.listen "127.0.0.1:$port" --log.level "${SESAME_LOG_LEVEL:-info}" \
    "$@" >"$dir/sesame.log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  wait_healthz "sesame" "$STARTED_PID" "$port" "$dir/sesame.log"
}

# How idle the machine is (percent, over 1 s): other work on these cores
# skews both sides, so it is reported and warned about.
idle_pct() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat); sleep 1
  b=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
  echo "$a $b" | awk '{ t = $3 - $1; printf "%.0f", (t > 0 ? 100 * ($4 - $2) / t : 0) }'
}
