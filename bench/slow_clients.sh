#!/usr/bin/env bash
# SPEC §3: never blocked by a slow client. Starts `sesame serve` (fresh
# store, demo accounts), measures a normal client alone (loadgen, GET
# /healthz and POST /api/v1/recovery/password for an unknown identifier, at
# a fixed rate), then again while bench/slow_clients.py holds SLOWLORIS
# connections trickling their headers and SLOW_READERS connections reading
# /metrics one byte at a time, from 60 other loopback addresses. Prints both
# and writes bench/results/slow_clients.json.
#
# Usage: bench/slow_clients.sh [BUILD_DIR]       (default build)
# Environment (defaults): SLOWLORIS=5000 SLOW_READERS=1000 DURATION=10s RATE=200
#   TARGET_P99_MS=20  OUT=path (default bench/results/slow_clients.json)
# Exit: 0 when the normal client's p99 under attack is below the target,
# 1 when not, 2 on bad usage, 3 on failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in
  -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
BUILD_DIR=${1:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
SLOWLORIS=${SLOWLORIS:-5000}
SLOW_READERS=${SLOW_READERS:-1000}
DURATION=${DURATION:-10s}
RATE=${RATE:-200}
TARGET_P99_MS=${TARGET_P99_MS:-20}
OUT=${OUT:-$ROOT/bench/results/slow_clients.json}
SESAME="$BUILD_DIR/sesame"
LOADGEN="$BUILD_DIR/bench/loadgen"

die() { echo "slow_clients: $*" >&2; exit "${2:-3}"; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
for f in "$SESAME" "$LOADGEN"; do [ -x "$f" ] || die "missing $f (ninja -C $BUILD_DIR sesame loadgen)" 2; done
ulimit -n "$(ulimit -Hn)"

bench_workdir slow-clients
"$SESAME" serve --store.path "$WORK/data" --http.listen 127.0.0.1:0 --demo.seed true --log.level info \
  --limits.recovery_per_ip 100000000 --limits.recovery_per_identifier 100000000 \
  >"$WORK/serve.out" 2>"$WORK/serve.err" &
PIDS+=($!)
wait_ready "${PIDS[0]}" "$WORK/serve.err" || { tail -n 20 "$WORK/serve.err" >&2; die "sesame serve did not start"; }
cat >"$WORK/mix.txt" <<'EOF'
# a normal client: probes and recovery requests for unknown identifiers
1 GET /healthz
1 POST /api/v1/recovery/password {"identifier":"normal.{rand}.{seq}","profile":"parent"}
EOF

normal() {  # LABEL
  "$LOADGEN" --target "127.0.0.1:$PORT" --connections 4 --threads 1 --duration "$DURATION" --warmup 1s \
    --rate "$RATE" --mix "$WORK/mix.txt" --label "$1" --json "$WORK/$1.json" >"$WORK/$1.out" ||
    { cat "$WORK/$1.out" >&2; die "loadgen failed"; }
}

echo "normal client alone..."
normal alone
echo "starting $SLOWLORIS slowloris and $SLOW_READERS slow readers..."
python3 "$ROOT/bench/slow_clients.py" 127.0.0.1 "$PORT" --slowloris "$SLOWLORIS" --slow-readers "$SLOW_READERS" \
  --seconds 600 >"$WORK/attack.out" 2>"$WORK/attack.err" &
ATTACK=$!
PIDS+=("$ATTACK")
for _ in $(seq 600); do grep -q '^ready' "$WORK/attack.out" && break; sleep 0.1; done
grep -q '^ready' "$WORK/attack.out" || { cat "$WORK/attack.err" >&2; die "the attack did not get its connections open"; }
OPEN=$(curl -s "http://127.0.0.1:$PORT/metrics" | sed -n 's/^sesame_http_open_connections \([0-9]*\)$/\1/p')
echo "under attack ($OPEN connections open)..."
normal attacked
kill -INT "$ATTACK" 2>/dev/null || true

python3 - "$OUT" "$WORK/alone.json" "$WORK/attacked.json" "$SLOWLORIS" "$SLOW_READERS" "$OPEN" "$TARGET_P99_MS" <<'EOF'
import json, os, sys, time
out, alone, attacked, lor, readers, open_, target = sys.argv[1:8]
runs = {"alone": json.load(open(alone)), "attacked": json.load(open(attacked))}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
p99 = runs["attacked"]["latency_ms"]["p99"]
ok = p99 < float(target) and runs["attacked"]["errors"] == 0
res = {"slowloris": int(lor), "slow_readers": int(readers), "open_connections_during": int(open_ or 0),
       "target_p99_ms": float(target), "meets_target": ok,
       "normal_client": {k: {"requests": r["requests"], "rps": r["rps"], "latency_ms": r["latency_ms"],
                             "status": r["status"], "errors": r["errors"]} for k, r in runs.items()},
       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "machine": {"nproc": os.cpu_count(), "cpu_model": cpu}}
json.dump(res, open(out, "w"), indent=2)
print(f"\n  {'normal client':<14} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
for k, r in runs.items():
    l = r["latency_ms"]
    print(f"  {k:<14} {r['requests']:>9} {l['p50']:>8.2f} {l['p99']:>8.2f} {l['max']:>8.2f}  {r['status']} errors {r['errors']}")
print(f"\n  {lor} slowloris + {readers} slow readers ({open_} connections open): p99 {p99:.2f} ms "
      f"(target < {target}) -> {'ok' if ok else 'MISSED'}; written {out}")
sys.exit(0 if ok else 1)
EOF
