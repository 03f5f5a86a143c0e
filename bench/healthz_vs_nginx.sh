#!/usr/bin/env bash
# SPEC §7: cheap routes at least 0.9x nginx returning a fixed 200, same machine,
# same run. Starts nginx and Sésame on free loopback ports in a temporary
# directory, loads each with bench/loadgen (same settings, alternating order),
# keeps each side's best run, prints a table and writes bench/results/healthz.json.
#
# Usage: bench/healthz_vs_nginx.sh [BUILD_DIR]      (default: build)
#   expects BUILD_DIR/sesame and BUILD_DIR/bench/loadgen.
# Environment (defaults): CONNECTIONS=64 THREADS=2 DURATION=10s WARMUP=2s ROUNDS=2
#   TARGET_RATIO=0.9   the SPEC target, for the verdict
#   WRK=1              also run wrk against the same nginx (loadgen sanity check)
#   SESAME_STANDIN=nginx  test this script without a Sésame binary: a second
#                      nginx plays Sésame; results go to healthz-standin.json.
#   OUT=path           where the JSON lands.
#   REQUEST_PATH, REQUEST_HEADER, NGINX_LOCATIONS, SESAME_ARGS: another route
#                      than /healthz, one request header, what nginx serves,
#                      extra `sesame serve` flags (bench/static_vs_nginx.sh).
# Exit: 0 when the ratio meets TARGET_RATIO, 1 when it does not (results are
# still written), 2 on bad usage, 3 when a server or loadgen failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in
  -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -le 1 ] || { echo "usage: $0 [BUILD_DIR]" >&2; exit 2; }
BUILD_DIR=${1:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac

CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-2}
TARGET_RATIO=${TARGET_RATIO:-0.9}
WRK=${WRK:-0}
SESAME_STANDIN=${SESAME_STANDIN:-}
REQUEST_PATH=${REQUEST_PATH:-/healthz}
REQUEST_HEADER=${REQUEST_HEADER:-}
NGINX_LOCATIONS=${NGINX_LOCATIONS:-'location / { return 200 "ok\n"; }'}
read -r -a SESAME_EXTRA <<<"${SESAME_ARGS:-}"
if [ -n "$SESAME_STANDIN" ]; then
  OUT=${OUT:-$ROOT/bench/results/healthz-standin.json}
else
  OUT=${OUT:-$ROOT/bench/results/healthz.json}
fi

die() { echo "healthz_vs_nginx: $*" >&2; exit "${2:-3}"; }

[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer" 2
[ -z "$SESAME_STANDIN" ] || [ "$SESAME_STANDIN" = nginx ] || die "SESAME_STANDIN can only be 'nginx'" 2
LOADGEN="$BUILD_DIR/bench/loadgen"
SESAME="$BUILD_DIR/sesame"
[ -x "$LOADGEN" ] || die "no $LOADGEN; build it: ninja -C $BUILD_DIR loadgen" 2
if [ -z "$SESAME_STANDIN" ] && [ ! -x "$SESAME" ]; then
  die "no $SESAME; build it, or set SESAME_STANDIN=nginx to test this script" 2
fi
command -v python3 >/dev/null || die "python3 is needed (free ports, JSON)" 2
command -v curl >/dev/null || die "curl is needed (readiness checks)" 2

. "$ROOT/bench/lib.sh"
find_nginx
bench_workdir bench

IDLE_BEFORE=$(idle_pct)
if [ "$IDLE_BEFORE" -lt 90 ]; then
  echo "warning: the machine is only ${IDLE_BEFORE}% idle before the run; other work skews the numbers" >&2
fi

NGINX_PORT=$(free_port)
start_nginx "$WORK/nginx" "$NGINX_PORT" "$NGINX_LOCATIONS"
NGINX_PID=$STARTED_PID
SESAME_PORT=$(free_port)
if [ -n "$SESAME_STANDIN" ]; then
  start_nginx "$WORK/standin" "$SESAME_PORT" "$NGINX_LOCATIONS"
else
  start_sesame "$WORK/sesame" "$SESAME_PORT" ${SESAME_EXTRA[@]+"${SESAME_EXTRA[@]}"}
fi
SESAME_PID=$STARTED_PID

# Both sides must answer the same bytes, or the ratio compares different work.
answer_digest() { curl -sf ${REQUEST_HEADER:+-H "$REQUEST_HEADER"} "http://127.0.0.1:$1$REQUEST_PATH" | sha256sum; }
[ "$(answer_digest "$NGINX_PORT")" = "$(answer_digest "$SESAME_PORT")" ] ||
  die "nginx and sesame do not answer the same bytes for GET $REQUEST_PATH"

echo "nginx on 127.0.0.1:$NGINX_PORT, sesame${SESAME_STANDIN:+ (stand-in: $SESAME_STANDIN)} on 127.0.0.1:$SESAME_PORT"
echo "GET $REQUEST_PATH${REQUEST_HEADER:+ ($REQUEST_HEADER)}; each run: $CONNECTIONS connections, $THREADS threads, $DURATION after a $WARMUP warmup; $ROUNDS rounds, best kept"
echo

run_side() {  # run_side NAME PORT ROUND
  local name=$1 port=$2 round=$3
  "$LOADGEN" --target "127.0.0.1:$port" --connections "$CONNECTIONS" --threads "$THREADS" \
    --duration "$DURATION" --warmup "$WARMUP" --path "$REQUEST_PATH" ${REQUEST_HEADER:+--header "$REQUEST_HEADER"} --label "$name" \
    --json "$WORK/$name-$round.json" || die "loadgen against $name failed"
  local pid=$NGINX_PID
  [ "$name" = nginx ] || pid=$SESAME_PID
  kill -0 "$pid" 2>/dev/null || die "$name died during the run"
}

for round in $(seq "$ROUNDS"); do
  run_side nginx "$NGINX_PORT" "$round"
  run_side sesame "$SESAME_PORT" "$round"
done

WRK_JSON=null
if [ "$WRK" = 1 ]; then
  command -v wrk >/dev/null || die "WRK=1 but wrk is not installed" 2
  wrk -c "$CONNECTIONS" -t "$THREADS" -d "$DURATION" "http://127.0.0.1:$NGINX_PORT$REQUEST_PATH" | tee "$WORK/wrk.txt"
  WRK_JSON=$(awk '/Requests\/sec:/ { printf "{\"nginx_rps\": %s}", $2 }' "$WORK/wrk.txt")
  [ -n "$WRK_JSON" ] || WRK_JSON=null
fi

IDLE_AFTER=$(idle_pct)  # servers idle now: what else was running
mkdir -p "$(dirname "$OUT")"
set +e
python3 - "$WORK" "$ROUNDS" "$OUT" "$TARGET_RATIO" "$SESAME_STANDIN" "$WRK_JSON" \
  "$CONNECTIONS" "$THREADS" "$DURATION" "$WARMUP" "$IDLE_BEFORE" "$IDLE_AFTER" "$REQUEST_PATH $REQUEST_HEADER" <<'EOF'
import json, os, platform, sys, time
work, rounds, out, target, standin, wrk = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5], json.loads(sys.argv[6])
connections, threads, duration, warmup = sys.argv[7:11]
idle_before, idle_after = int(sys.argv[11]), int(sys.argv[12])
request = sys.argv[13].strip()

def side(name):
    runs = [json.load(open(os.path.join(work, f"{name}-{r}.json"))) for r in range(1, rounds + 1)]
    best = dict(max(runs, key=lambda r: r["rps"]))
    best["runs_rps"] = [r["rps"] for r in runs]
    return best

nginx, sesame = side("nginx"), side("sesame")
ratio = sesame["rps"] / nginx["rps"] if nginx["rps"] else 0.0
# Also the median of each round's ratio (runs back to back): steadier when
# other work comes and goes on the machine.
pairs = sorted(s / n for s, n in zip(sesame["runs_rps"], nginx["runs_rps"]) if n)
ratio_median_rounds = (pairs[len(pairs) // 2] + pairs[(len(pairs) - 1) // 2]) / 2 if pairs else 0.0
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
result = {
    "sesame": sesame, "nginx": nginx, "ratio": round(ratio, 3), "ratio_median_rounds": round(ratio_median_rounds, 3),
    "target_ratio": target,
    "meets_target": ratio >= target,
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "machine": {"nproc": os.cpu_count(), "cpu_model": cpu, "kernel": platform.release(),
                "idle_pct_before": idle_before, "idle_pct_after": idle_after,
                "loadavg_after": open("/proc/loadavg").read().split()[:3]},
    "request": "GET " + request,
    "settings": {"connections": int(connections), "threads": int(threads), "duration": duration,
                 "warmup": warmup, "rounds": rounds, "pick": "best rps per side",
                 "note": "loadgen and both servers share the same cores"},
    "wrk": wrk,
}
if standin:
    result["sesame_standin"] = standin
with open(out, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")

print()
print(f"{'':8} {'req/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'max ms':>8} {'errors':>7} {'non-200':>8}   runs req/s")
for name, r in (("nginx", nginx), ("sesame", sesame)):
    l = r["latency_ms"]
    non200 = r["requests"] - r["status"].get("200", 0)
    runs = ", ".join(f"{x:.0f}" for x in r["runs_rps"])
    print(f"{name:8} {r['rps']:11.0f} {l['p50']:8.3f} {l['p99']:8.3f} {l['p999']:9.3f} {l['max']:8.3f} {r['errors']:7d} {non200:8d}   {runs}")
if wrk:
    print(f"{'wrk':8} {wrk['nginx_rps']:11.0f}   (wrk against the same nginx, loadgen sanity check)")
verdict = "meets" if ratio >= target else "BELOW"
label = f"sesame (stand-in: {standin})" if standin else "sesame"
print(f"\nratio {label} / nginx = {ratio:.3f} best vs best ({verdict} the {target} target); "
      f"median of per-round ratios {ratio_median_rounds:.3f}")
print(f"machine idle before/after the runs: {idle_before}% / {idle_after}%"
      + ("  (busy: treat the ratio with care)" if min(idle_before, idle_after) < 90 else ""))
print(f"written: {out}")
problems = [n for n, r in (("nginx", nginx), ("sesame", sesame)) if r["errors"] or r["requests"] != r["status"].get("200", 0)]
if problems:
    print(f"warning: errors or non-200 answers from {', '.join(problems)}; the ratio is not meaningful", file=sys.stderr)
sys.exit(0 if ratio >= target and not problems else 1)
EOF
rc=$?
set -e
exit $rc
