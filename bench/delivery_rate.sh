#!/usr/bin/env bash
# SPEC §7: the SMTP worker sends at least 2,000 messages/s to a local SMTP
# sink, the SMS worker at least 2,000/s to a local HTTP gateway. In one run:
#   - e-mail: Postfix's smtp-sink on a free loopback port; build/bench/delivery_rate
#     --channel email (N messages, each concurrency of SMTP_CONCURRENCY), and
#     as the yardstick Postfix's smtp-source (-s C -m N -l 2048 -d: C reused
#     sessions, 2 KB bodies) against the same sink; ratio = ours / smtp-source.
#   - SMS: nginx answering `202 {"id":"x"}` on POST /send (a fast gateway);
#     delivery_rate --channel sms --format json at each SMS_CONCURRENCY.
# Each setting runs ROUNDS times, alternating; the median is kept, and a
# channel's figure is its best concurrency. Prints a table, writes
# bench/results/delivery.json.
#
# Usage: bench/delivery_rate.sh [BUILD_DIR]      (default: build; needs BUILD_DIR/bench/delivery_rate)
# Environment (defaults): N=20000 SMTP_CONCURRENCY="8 16" SMS_CONCURRENCY="8 16 32"
#   ROUNDS=3 STORE_THREADS=32 LOG_LEVEL=info (one log line per message, as in
#   production) TARGET=2000 OUT=bench/results/delivery.json
# Exit: 0 when both channels meet TARGET, 1 when not (results still written),
# 2 on bad usage, 3 when a sink, gateway or run failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in
  -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -le 1 ] || { echo "usage: $0 [BUILD_DIR]" >&2; exit 2; }
BUILD_DIR=${1:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac

N=${N:-20000}
SMTP_CONCURRENCY=${SMTP_CONCURRENCY:-"8 16"}
SMS_CONCURRENCY=${SMS_CONCURRENCY:-"8 16 32"}
ROUNDS=${ROUNDS:-3}
STORE_THREADS=${STORE_THREADS:-32}
LOG_LEVEL=${LOG_LEVEL:-info}
TARGET=${TARGET:-2000}
OUT=${OUT:-$ROOT/bench/results/delivery.json}

die() { echo "delivery_rate: $*" >&2; exit "${2:-3}"; }

[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer" 2
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer" 2
for c in $SMTP_CONCURRENCY $SMS_CONCURRENCY; do [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "bad concurrency '$c'" 2; done
DELIVERY="$BUILD_DIR/bench/delivery_rate"
[ -x "$DELIVERY" ] || die "no $DELIVERY; build it: ninja -C $BUILD_DIR delivery_rate" 2
command -v python3 >/dev/null || die "python3 is needed (free ports, JSON)" 2
command -v curl >/dev/null || die "curl is needed (readiness checks)" 2
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (apt-get install time)" 2

# apt_install PKG BINARY: installs a Debian package when its binary is missing (root only).
apt_install() {
  local pkg=$1 bin=$2
  [ -x "$bin" ] && return 0
  [ "$(id -u)" = 0 ] || die "$bin not found; install it: sudo apt-get install -y $pkg" 2
  echo "installing $pkg..." >&2
  # Debian's postfix package would start an MTA on port 25 where services may start; we never
  # use it (the sink runs on its own port), and it does not interfere.
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >/dev/null || die "apt-get install $pkg failed"
  [ -x "$bin" ] || die "$pkg installed but $bin is missing"
}
SMTP_SINK=/usr/sbin/smtp-sink
SMTP_SOURCE=/usr/sbin/smtp-source
apt_install postfix "$SMTP_SINK"
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || NGINX=/usr/sbin/nginx
apt_install nginx-light "$NGINX"

. "$ROOT/bench/lib.sh"
bench_workdir delivery

CLK_TCK=$(getconf CLK_TCK)
# machine_busy: busy ticks of all CPUs so far (/proc/stat, everything but idle and iowait).
machine_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
# tree_ticks PID: user+system ticks of PID and its direct children (nginx workers).
tree_ticks() {
  local total=0 p t
  for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    t=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}
# How idle the machine is (percent, over 1 s).
idle_pct() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat); sleep 1
  b=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
  echo "$a $b" | awk '{ t = $3 - $1; printf "%.0f", (t > 0 ? 100 * ($4 - $2) / t : 0) }'
}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
IDLE_BEFORE=$(idle_pct)
if [ "$IDLE_BEFORE" -lt 90 ]; then
  echo "warning: the machine is only ${IDLE_BEFORE}% idle before the run (load $LOAD_BEFORE); other work skews the numbers" >&2
fi

# ---- the SMTP sink ----
SINK_PORT=$(free_port)
SINK_USER=()
[ "$(id -u)" = 0 ] && SINK_USER=(-u nobody)  # smtp-sink refuses to run as root without -u
"$SMTP_SINK" "${SINK_USER[@]}" -m 512 "127.0.0.1:$SINK_PORT" 1024 >"$WORK/smtp-sink.log" 2>&1 &
SINK_PID=$!
PIDS+=("$SINK_PID")
for _ in $(seq 100); do
  kill -0 "$SINK_PID" 2>/dev/null || { cat "$WORK/smtp-sink.log" >&2; die "smtp-sink exited"; }
  python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),1); sys.exit(0 if s.recv(64).startswith(b"220") else 1)' \
    "$SINK_PORT" 2>/dev/null && break
  sleep 0.1
done

# ---- the SMS gateway: nginx answering 202 ----
GW_PORT=$(free_port)
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$GW_PORT;
    default_type application/json;
    location /send { return 202 '{"id":"x"}'; }
  }
}
EOF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" >"$WORK/nginx/stdout.log" 2>&1 &
GW_PID=$!
PIDS+=("$GW_PID")
for _ in $(seq 150); do
  kill -0 "$GW_PID" 2>/dev/null || { cat "$WORK/nginx/error.log" >&2; die "nginx exited"; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 1 "http://127.0.0.1:$GW_PORT/send" -d '{}')" = 202 ] && break
  sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$GW_PORT/send" -d '{}')" = 202 ] ||
  die "nginx did not answer 202 on 127.0.0.1:$GW_PORT/send"

echo "smtp-sink on 127.0.0.1:$SINK_PORT, nginx gateway on 127.0.0.1:$GW_PORT; N=$N, $ROUNDS rounds, median kept"
echo "machine: $(nproc) cores, idle ${IDLE_BEFORE}% before, load $LOAD_BEFORE"
echo

# measured NAME SINK_PID CMD...: runs CMD under /usr/bin/time, keeps its stdout in
# NAME.out and a NAME.env with wall, client CPU, sink CPU and machine busy time.
measured() {
  local name=$1 sink=$2; shift 2
  local b0 b1 s0 s1 t0 t1 rc
  b0=$(machine_busy); s0=$(tree_ticks "$sink"); t0=$(date +%s.%N)
  set +e
  /usr/bin/time -f '%U %S' -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  set -e
  t1=$(date +%s.%N); s1=$(tree_ticks "$sink"); b1=$(machine_busy)
  kill -0 "$sink" 2>/dev/null || die "the sink died during $name"
  python3 - "$WORK/$name" "$rc" "$t0" "$t1" "$s0" "$s1" "$b0" "$b1" "$CLK_TCK" <<'PY'
import json, sys
base, rc, t0, t1, s0, s1, b0, b1, tck = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:9]), float(sys.argv[9])
u, s = (float(x) for x in open(base + ".time").read().split()[-2:])
wall = t1 - t0
json.dump({"rc": rc, "wall_s": wall, "client_cpu_s": u + s, "sink_cpu_s": (s1 - s0) / tck,
           "machine_busy_s": (b1 - b0) / tck}, open(base + ".env", "w"))
PY
  return 0
}

for round in $(seq "$ROUNDS"); do
  for c in $SMTP_CONCURRENCY; do
    measured "email-c$c-r$round" "$SINK_PID" "$DELIVERY" --channel email --target "smtp://127.0.0.1:$SINK_PORT" \
      --messages "$N" --concurrency "$c" --store-threads "$STORE_THREADS" --log-level "$LOG_LEVEL" --dir "$WORK"
    measured "source-c$c-r$round" "$SINK_PID" "$SMTP_SOURCE" -s "$c" -m "$N" -l 2048 -d \
      -f bench@sesame.test -t sink@sesame.test "127.0.0.1:$SINK_PORT"
  done
  for c in $SMS_CONCURRENCY; do
    measured "sms-c$c-r$round" "$GW_PID" "$DELIVERY" --channel sms --format json \
      --target "http://127.0.0.1:$GW_PORT/send" --messages "$N" --concurrency "$c" \
      --store-threads "$STORE_THREADS" --log-level "$LOG_LEVEL" --dir "$WORK"
  done
  echo "round $round/$ROUNDS done" >&2
done

IDLE_AFTER=$(idle_pct)
mkdir -p "$(dirname "$OUT")"
set +e
python3 - "$WORK" "$OUT" "$N" "$ROUNDS" "$SMTP_CONCURRENCY" "$SMS_CONCURRENCY" "$TARGET" "$IDLE_BEFORE" "$IDLE_AFTER" \
  "$LOAD_BEFORE" "$STORE_THREADS" "$LOG_LEVEL" <<'PY'
import json, os, platform, statistics, sys, time
work, out, n, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
smtp_cs, sms_cs = [int(c) for c in sys.argv[5].split()], [int(c) for c in sys.argv[6].split()]
target, idle_before, idle_after, load_before = float(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9]), sys.argv[10]
store_threads, log_level = int(sys.argv[11]), sys.argv[12]
nproc = os.cpu_count() or 1
failures = []

def env(name):
    e = json.load(open(os.path.join(work, name + ".env")))
    wall = e["wall_s"]
    e["foreign_cpu_pct"] = round(100 * max(0.0, e["machine_busy_s"] - e["client_cpu_s"] - e["sink_cpu_s"]) / (wall * nproc), 1)
    return e

def ours(kind, c):
    runs = []
    for r in range(1, rounds + 1):
        name = f"{kind}-c{c}-r{r}"
        e = env(name)
        try:
            j = json.loads(open(os.path.join(work, name + ".out")).read())
        except ValueError:
            j = {"messages_per_s": 0.0, "complete": False}
        if e["rc"] != 0 or not j.get("complete"):
            err = open(os.path.join(work, name + ".err")).read().strip().splitlines()[-3:]
            failures.append(f"{name}: exit {e['rc']}: {' | '.join(err)}")
        j["run"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in e.items()}
        runs.append(j)
    med = statistics.median(r["messages_per_s"] for r in runs)
    pick = min(runs, key=lambda r: abs(r["messages_per_s"] - med))
    return {"concurrency": c, "messages_per_s": round(med, 1), "runs_messages_per_s": [r["messages_per_s"] for r in runs],
            "p50_ms": pick["p50_ms"] if "p50_ms" in pick else None, "p99_ms": pick.get("p99_ms"),
            "median_run": pick, "runs": runs}

def source(c):
    runs = []
    for r in range(1, rounds + 1):
        name = f"source-c{c}-r{r}"
        e = env(name)
        if e["rc"] != 0:
            failures.append(f"{name}: smtp-source exit {e['rc']}: {open(os.path.join(work, name + '.err')).read().strip()[:200]}")
        runs.append({"messages_per_s": round(n / e["wall_s"], 1), "run": {k: round(v, 3) for k, v in e.items()}})
    med = statistics.median(r["messages_per_s"] for r in runs)
    return {"concurrency": c, "messages_per_s": round(med, 1), "runs_messages_per_s": [r["messages_per_s"] for r in runs],
            "runs": runs}

email = [ours("email", c) for c in smtp_cs]
ref = [source(c) for c in smtp_cs]
sms = [ours("sms", c) for c in sms_cs]
best_email = max(email, key=lambda x: x["messages_per_s"])
best_sms = max(sms, key=lambda x: x["messages_per_s"])
ratios = {str(e["concurrency"]): round(e["messages_per_s"] / s["messages_per_s"], 3) if s["messages_per_s"] else None
          for e, s in zip(email, ref)}
email_ok = best_email["messages_per_s"] >= target and not any(f.startswith("email") for f in failures)
sms_ok = best_sms["messages_per_s"] >= target and not any(f.startswith("sms") for f in failures)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
foreign = [r["run"]["foreign_cpu_pct"] for x in email + sms for r in x["runs"]]
result = {
    "email": {"messages_per_s": best_email["messages_per_s"], "concurrency": best_email["concurrency"],
              "target_messages_per_s": target, "meets_target": email_ok,
              "smtp_source_messages_per_s": {str(s["concurrency"]): s["messages_per_s"] for s in ref},
              "ratio_to_smtp_source": ratios, "by_concurrency": email, "smtp_source": ref,
              "sink": "postfix smtp-sink (PIPELINING announced; smtp-source does not pipeline)"},
    "sms": {"messages_per_s": best_sms["messages_per_s"], "concurrency": best_sms["concurrency"], "format": "json",
            "target_messages_per_s": target, "meets_target": sms_ok, "by_concurrency": sms,
            "gateway": "nginx 1 worker, POST /send -> 202 {\"id\":\"x\"}"},
    "meets_target": email_ok and sms_ok,
    "failures": failures,
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "settings": {"messages": n, "rounds": rounds, "pick": "median of rounds per concurrency, best concurrency per channel",
                 "store_threads": store_threads, "log_level": log_level,
                 "measured": "start() (outbox replay) until the Nth final status write returned"},
    "machine": {"nproc": nproc, "cpu_model": cpu, "kernel": platform.release(), "idle_pct_before": idle_before,
                "idle_pct_after": idle_after, "loadavg_before": load_before.split(),
                "loadavg_after": open("/proc/loadavg").read().split()[:3],
                "foreign_cpu_pct_max": max(foreign) if foreign else None,
                "note": "client, sink and store share the same cores"},
}
with open(out, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")

print(f"\n{'run':28} {'msg/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'client cpu µs/msg':>18} {'sink cpu µs/msg':>16} {'other cpu %':>12}   rounds msg/s")
def row(label, x, with_lat=True):
    r = x.get("median_run") or x["runs"][0]
    e = r["run"]
    lat = f"{x['p50_ms']:8.3f} {x['p99_ms']:8.3f}" if with_lat and x.get("p50_ms") is not None else f"{'-':>8} {'-':>8}"
    rs = ", ".join(f"{v:.0f}" for v in x["runs_messages_per_s"])
    print(f"{label:28} {x['messages_per_s']:9.0f} {lat} {1e6 * e['client_cpu_s'] / n:18.1f} {1e6 * e['sink_cpu_s'] / n:16.1f} "
          f"{e['foreign_cpu_pct']:12.1f}   {rs}")
for e, s in zip(email, ref):
    row(f"email  smtp C={e['concurrency']}", e)
    row(f"  smtp-source -s {s['concurrency']} -d (ref)", s, with_lat=False)
for x in sms:
    row(f"sms    json C={x['concurrency']}", x)
print()
for c, r in ratios.items():
    print(f"email / smtp-source at C={c}: {r}")
print(f"email: {best_email['messages_per_s']:.0f} msg/s (C={best_email['concurrency']}) -> "
      f"{'meets' if email_ok else 'BELOW'} the {target:.0f}/s target")
print(f"sms:   {best_sms['messages_per_s']:.0f} msg/s (C={best_sms['concurrency']}) -> "
      f"{'meets' if sms_ok else 'BELOW'} the {target:.0f}/s target")
print(f"machine: idle {idle_before}% before / {idle_after}% after, load {load_before} before; "
      f"other processes took up to {result['machine']['foreign_cpu_pct_max']}% of the CPU during a run")
for f in failures:
    print("failure: " + f, file=sys.stderr)
print(f"written: {out}")
sys.exit(3 if failures else (0 if email_ok and sms_ok else 1))
PY
rc=$?
set -e
exit $rc
