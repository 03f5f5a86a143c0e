#!/usr/bin/env bash
# SPEC §7, in one run on one machine:
#  (a) raw Argon2id: build/bench/argon2_rate verifies at the server's default
#      cost (19456 KiB, t=2, p=1) on HASH_THREADS threads -> hashes/s;
#  (b) logins: `sesame serve --demo.seed true` on a temp store, loadgen drives
#      POST /api/v1/session with the right password for m.dupont / l.dupont
#      (bench/mixes/login.txt) on 2 x HASH_THREADS connections (pool busy,
#      queue never full) -> logins/s (200s only); target logins/s >= 0.95 x hashes/s.
#      (a) and (b) alternate ROUNDS times (short runs, so that the machine's
#      drift hits both sides alike); the ratio is mean logins/s over mean
#      hashes/s across the rounds where other processes took <= FOREIGN_MAX %
#      of the CPU (all rounds when none was that quiet).
#  (c) saturation: SAT_CONNECTIONS logins (more than workers.hash_queue 256 +
#      the pool) while a second loadgen measures GET /healthz (a paced probe,
#      HEALTHZ_RATE requests/s, so it does not load the server itself): its p99 must stay
#      under 20 ms; the logins refused past the queue must get 503 in under
#      5 ms (p99 of the 503 responses, from loadgen's per-status latency).
#      The login clients honour Retry-After (loadgen --honor-retry-after), as
#      the portal does; SAT_HONOR_RETRY_AFTER=0 makes them retry at once (a
#      flood: the 503s then compete for the CPU with everything else). Both
#      loadgens of (c) run at nice PROBE_NICE when allowed: they are the
#      instrument, their own wait for a CPU is not the server's latency.
# Prints a table, writes bench/results/login.json.
#
# Usage: bench/login_vs_argon2.sh [BUILD_DIR]      (default: build)
#   expects BUILD_DIR/sesame, BUILD_DIR/bench/loadgen, BUILD_DIR/bench/argon2_rate.
# Environment (defaults): HASH_THREADS=nproc DURATION=6s WARMUP=1s ROUNDS=5 FOREIGN_MAX=5
#   LOGIN_CONNECTIONS=2*HASH_THREADS  SAT_CONNECTIONS=400  SAT_DURATION=10s
#   SAT_HONOR_RETRY_AFTER=5s  HEALTHZ_CONNECTIONS=2  HEALTHZ_RATE=200 (0: flood)
#   PROBE_NICE=-10  SESAME_LOG_LEVEL=info
#   TARGET_RATIO=0.95 TARGET_HEALTHZ_P99_MS=20 TARGET_503_P99_MS=5
#   OUT=path           where the JSON lands.
# Exit: 0 when every target is met, 1 when not (results still written), 2 on
# bad usage, 3 when a server or tool failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in
  -h|--help) sed -n '2,34p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -le 1 ] || { echo "usage: $0 [BUILD_DIR]" >&2; exit 2; }
BUILD_DIR=${1:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac

HASH_THREADS=${HASH_THREADS:-$(nproc)}
DURATION=${DURATION:-6s}
WARMUP=${WARMUP:-1s}
ROUNDS=${ROUNDS:-5}
FOREIGN_MAX=${FOREIGN_MAX:-5}
PROBE_NICE=${PROBE_NICE:--10}
LOGIN_CONNECTIONS=${LOGIN_CONNECTIONS:-$((2 * HASH_THREADS))}
SAT_CONNECTIONS=${SAT_CONNECTIONS:-400}
SAT_HONOR_RETRY_AFTER=${SAT_HONOR_RETRY_AFTER:-5s}
SAT_DURATION=${SAT_DURATION:-10s}
HEALTHZ_CONNECTIONS=${HEALTHZ_CONNECTIONS:-2}
HEALTHZ_RATE=${HEALTHZ_RATE:-200}
TARGET_RATIO=${TARGET_RATIO:-0.95}
TARGET_HEALTHZ_P99_MS=${TARGET_HEALTHZ_P99_MS:-20}
TARGET_503_P99_MS=${TARGET_503_P99_MS:-5}
OUT=${OUT:-$ROOT/bench/results/login.json}
MIX="$ROOT/bench/mixes/login.txt"

die() { echo "login_vs_argon2: $*" >&2; exit "${2:-3}"; }

[[ "$HEALTHZ_RATE" =~ ^[0-9]+$ ]] || die "HEALTHZ_RATE must be a non-negative integer" 2
[[ "$FOREIGN_MAX" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "FOREIGN_MAX must be a number (percent)" 2
[[ "$PROBE_NICE" =~ ^-?[0-9]+$ ]] || die "PROBE_NICE must be an integer" 2
export HEALTHZ_RATE
for v in HASH_THREADS ROUNDS LOGIN_CONNECTIONS SAT_CONNECTIONS HEALTHZ_CONNECTIONS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer" 2
done
seconds_of() {  # 10s, 500ms, 2m or a plain number of seconds -> seconds (for argon2_rate)
  case "$1" in
    *ms) awk -v v="${1%ms}" 'BEGIN { print v / 1000 }' ;;
    *s) echo "${1%s}" ;;
    *m) awk -v v="${1%m}" 'BEGIN { print v * 60 }' ;;
    *) echo "$1" ;;
  esac
}
SAT_S=$(seconds_of "$SAT_DURATION")
if ! [[ "$SAT_S" =~ ^[0-9]+$ ]] || [ "$SAT_S" -lt 3 ]; then die "SAT_DURATION must be whole seconds, at least 3s" 2; fi
SESAME="$BUILD_DIR/sesame"
LOADGEN="$BUILD_DIR/bench/loadgen"
ARGON2_RATE="$BUILD_DIR/bench/argon2_rate"
[ -x "$SESAME" ] || die "no $SESAME; build it: ninja -C $BUILD_DIR sesame" 2
[ -x "$LOADGEN" ] || die "no $LOADGEN; build it: ninja -C $BUILD_DIR loadgen" 2
[ -x "$ARGON2_RATE" ] || die "no $ARGON2_RATE; build it: ninja -C $BUILD_DIR argon2_rate" 2
command -v python3 >/dev/null || die "python3 is needed (JSON)" 2
command -v curl >/dev/null || die "curl is needed (readiness checks, metrics)" 2

. "$ROOT/bench/lib.sh"
bench_workdir login 100

idle_pct() {  # how idle the machine is (percent, over 1 s)
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat); sleep 1
  b=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
  echo "$a $b" | awk '{ t = $3 - $1; printf "%.0f", (t > 0 ? 100 * ($4 - $2) / t : 0) }'
}
# CPU marks, to tell how much of the machine other work took during a phase:
# "BUSY OURS" in clock ticks: every CPU's non-idle time, and ours (the server
# plus this script's waited-for children: argon2_rate, loadgen, curl).
proc_ticks() { awk '{ sub(/^.*\) /, ""); print $'"$1"' + $'"$2"' }' "/proc/$3/stat" 2>/dev/null || echo 0; }
cpu_mark() {
  local busy server children
  busy=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
  server=$(proc_ticks 12 13 "$SESAME_PID")   # utime + stime (fields 14, 15)
  children=$(proc_ticks 14 15 $$)            # cutime + cstime (fields 16, 17)
  echo "$busy $((server + children)) $(awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)"
}
# foreign_pct MARK_BEFORE MARK_AFTER: share of all CPU time used by others.
foreign_pct() {
  echo "$1 $2" | awk '{ t = $6 - $3; f = ($4 - $1) - ($5 - $2); if (f < 0) f = 0;
                        printf "%.1f", (t > 0 ? 100 * f / t : 0) }'
}
metric() {  # metric NAME: its value from /metrics, or null
  curl -s --max-time 2 "http://127.0.0.1:$PORT/metrics" | awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print "null" }'
}

# The instrument of (c) at a higher priority, when this user may (root).
NICE=()
if [ "$PROBE_NICE" != 0 ] && [ "$(nice -n "$PROBE_NICE" nice 2>/dev/null)" = "$PROBE_NICE" ]; then
  NICE=(nice -n "$PROBE_NICE")
fi
CLIENT_NICE=${NICE[2]:-0}

IDLE_BEFORE=$(idle_pct)
if [ "$IDLE_BEFORE" -lt 90 ]; then
  echo "warning: the machine is only ${IDLE_BEFORE}% idle before the run; other work skews the numbers" >&2
fi

# ---------------------------------------------------------------- the server
# Default Argon2 cost and queue; security limits raised so that the bench is
# not stopped by its own traffic (only right passwords are sent anyway).
"$SESAME" serve --store.path "$WORK/data" --http.listen 127.0.0.1:0 --log.level "${SESAME_LOG_LEVEL:-info}" \
  --demo.seed true --workers.hash_threads "$HASH_THREADS" \
  --limits.login_failures_per_ip 1000000000/1h --login.lockout_threshold 1000 --login.hard_lock_threshold 100000 \
  >"$WORK/sesame.out" 2>"$WORK/sesame.log" &
SESAME_PID=$!
PIDS+=("$SESAME_PID")
PORT=
for _ in $(seq 1500); do  # bounded: about 15 s
  kill -0 "$SESAME_PID" 2>/dev/null || { tail -n 20 "$WORK/sesame.log" >&2; die "sesame serve exited at start"; }
  [ -n "$PORT" ] || PORT=$(sed -n 's/.*"event":"listening".*"address":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$WORK/sesame.log" | head -n 1)
  if [ -n "$PORT" ] && curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/readyz"; then break; fi
  sleep 0.01
done
if [ -z "$PORT" ] || ! curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/readyz"; then
  die "sesame serve not ready within 15 s"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"identifier":"m.dupont","password":"Sesame-demo-2026!"}' "http://127.0.0.1:$PORT/api/v1/session")
[ "$code" = 200 ] || die "demo login as m.dupont answered $code, expected 200"

echo "sesame on 127.0.0.1:$PORT, $HASH_THREADS hash threads; Argon2id m=19456 KiB t=2 p=1"
echo "(a)/(b): $ROUNDS rounds of argon2_rate then $LOGIN_CONNECTIONS login connections, $DURATION after a $WARMUP warmup"
echo

# ---------------------------------------------------------------- (a) + (b)
FOREIGN_ARGON2=() FOREIGN_LOGIN=()
for round in $(seq "$ROUNDS"); do
  m0=$(cpu_mark)
  "$ARGON2_RATE" --threads "$HASH_THREADS" --memory-kib 19456 --iterations 2 \
    --seconds "$(seconds_of "$DURATION")" --warmup "$(seconds_of "$WARMUP")" --json "$WORK/argon2-$round.json" ||
    die "argon2_rate failed"
  m1=$(cpu_mark)
  "$LOADGEN" --target "127.0.0.1:$PORT" --connections "$LOGIN_CONNECTIONS" --threads 1 \
    --duration "$DURATION" --warmup "$WARMUP" --timeout 30s --mix "$MIX" --label login \
    --json "$WORK/login-$round.json" || die "loadgen (logins) failed"
  m2=$(cpu_mark)
  kill -0 "$SESAME_PID" 2>/dev/null || die "sesame died during the login run"
  FOREIGN_ARGON2+=("$(foreign_pct "$m0" "$m1")")
  FOREIGN_LOGIN+=("$(foreign_pct "$m1" "$m2")")
  echo "round $round: CPU taken by other work: ${FOREIGN_ARGON2[-1]}% during argon2_rate, ${FOREIGN_LOGIN[-1]}% during the logins"
done

# ---------------------------------------------------------------- (c)
# Logins from SAT_CONNECTIONS connections (warmup 3 s: the queue fills), and
# /healthz measured inside that window (starts 1 s later, ends 1 s earlier).
echo
echo "(c): $SAT_CONNECTIONS login connections (Retry-After honoured up to $SAT_HONOR_RETRY_AFTER)" \
  "+ $HEALTHZ_CONNECTIONS /healthz connections (${HEALTHZ_RATE} req/s, 0: unpaced) for $SAT_DURATION;" \
  "loadgens at nice $CLIENT_NICE"
REJECTED_BEFORE=$(metric sesame_hash_rejected_total)
m0=$(cpu_mark)
"${NICE[@]}" "$LOADGEN" --target "127.0.0.1:$PORT" --connections "$SAT_CONNECTIONS" --threads 1 \
  --duration "$((SAT_S + 2))s" --warmup 3s --timeout 60s --mix "$MIX" --label login-saturated \
  --honor-retry-after "$SAT_HONOR_RETRY_AFTER" \
  --json "$WORK/sat-login.json" >"$WORK/sat-login.out" &
SAT_PID=$!
PIDS+=("$SAT_PID")
"${NICE[@]}" "$LOADGEN" --target "127.0.0.1:$PORT" --connections "$HEALTHZ_CONNECTIONS" --threads 1 \
  --duration "${SAT_S}s" --warmup 4s --timeout 10s --path /healthz --label healthz-under-saturation \
  --rate "$HEALTHZ_RATE" \
  --json "$WORK/sat-healthz.json" >"$WORK/sat-healthz.out" &
HZ_PID=$!
PIDS+=("$HZ_PID")
# The pool's own throughput from its counter, inside the window: loadgen's
# count misses the logins still queued (seconds long) when its window closes.
sleep 4
C0=$(metric sesame_hash_completed_total) T0=$(date +%s%N)
sleep $(((SAT_S - 2) / 2))
WAITING_MID=$(metric sesame_hash_queue_waiting)
sleep $(((SAT_S - 2) / 2))
C1=$(metric sesame_hash_completed_total) T1=$(date +%s%N)
SAT_POOL_RATE=$(awk -v a="$C0" -v b="$C1" -v s="$T0" -v e="$T1" \
  'BEGIN { if (a == "null" || b == "null" || e <= s) print "null"; else printf "%.3f", (b - a) * 1e9 / (e - s) }')
hz_rc=0 sat_rc=0
wait "$HZ_PID" || hz_rc=$?
PIDS=("$SESAME_PID" "$SAT_PID")  # reaped ids are never signalled (they may be reused)
wait "$SAT_PID" || sat_rc=$?
PIDS=("$SESAME_PID")
[ "$hz_rc" = 0 ] || die "loadgen (/healthz under saturation) failed"
[ "$sat_rc" = 0 ] || die "loadgen (saturating logins) failed"
m1=$(cpu_mark)
FOREIGN_SAT=$(foreign_pct "$m0" "$m1")
cat "$WORK/sat-login.out" "$WORK/sat-healthz.out"
REJECTED_AFTER=$(metric sesame_hash_rejected_total)
kill -0 "$SESAME_PID" 2>/dev/null || die "sesame died during the saturation run"

IDLE_AFTER=$(idle_pct)  # server idle now: what else was running
mkdir -p "$(dirname "$OUT")"
set +e
python3 - "$WORK" "$ROUNDS" "$OUT" "$HASH_THREADS" "$LOGIN_CONNECTIONS" "$SAT_CONNECTIONS" "$HEALTHZ_CONNECTIONS" \
  "$DURATION" "$WARMUP" "$SAT_DURATION" "$SAT_HONOR_RETRY_AFTER" "$TARGET_RATIO" "$TARGET_HEALTHZ_P99_MS" "$TARGET_503_P99_MS" \
  "$WAITING_MID" "$REJECTED_BEFORE" "$REJECTED_AFTER" "$IDLE_BEFORE" "$IDLE_AFTER" \
  "${FOREIGN_ARGON2[*]}" "${FOREIGN_LOGIN[*]}" "$FOREIGN_SAT" "$FOREIGN_MAX" "$CLIENT_NICE" "$SAT_POOL_RATE" <<'EOF'
import json, os, platform, sys, time
work, rounds, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
hash_threads, login_conns, sat_conns, hz_conns = map(int, sys.argv[4:8])
duration, warmup, sat_duration, sat_honor = sys.argv[8:12]
t_ratio, t_hz, t_503 = map(float, sys.argv[12:15])
num = lambda s: None if s == "null" else float(s)
waiting_mid, rej_before, rej_after = map(num, sys.argv[15:18])
idle_before, idle_after = int(sys.argv[18]), int(sys.argv[19])
foreign_argon = [float(x) for x in sys.argv[20].split()]
foreign_login = [float(x) for x in sys.argv[21].split()]
foreign_sat = float(sys.argv[22])
foreign_max, client_nice = float(sys.argv[23]), int(sys.argv[24])
sat_pool_rate = num(sys.argv[25])
load = lambda name: json.load(open(os.path.join(work, name)))

argon = [load(f"argon2-{r}.json") for r in range(1, rounds + 1)]
logins = [load(f"login-{r}.json") for r in range(1, rounds + 1)]
ok_rate = lambda r: r["status"].get("200", 0) / r["duration_s"] if r["duration_s"] else 0.0
# Rounds where other processes left the machine alone; all of them if none did.
clean = [i for i in range(rounds) if foreign_argon[i] <= foreign_max and foreign_login[i] <= foreign_max]
used = clean or list(range(rounds))
best_argon = max((argon[i] for i in used), key=lambda r: r["hashes_per_s"])
best_login = max((logins[i] for i in used), key=ok_rate)
# Equal durations: the ratio of the means is the ratio of the totals.
hashes_per_s = sum(argon[i]["hashes_per_s"] for i in used) / len(used)
logins_per_s = sum(ok_rate(logins[i]) for i in used) / len(used)
ratio = logins_per_s / hashes_per_s if hashes_per_s else 0.0
ratio_best = ok_rate(best_login) / best_argon["hashes_per_s"] if best_argon["hashes_per_s"] else 0.0
pairs = sorted(ok_rate(logins[i]) / argon[i]["hashes_per_s"] for i in used if argon[i]["hashes_per_s"])
ratio_median = (pairs[len(pairs) // 2] + pairs[(len(pairs) - 1) // 2]) / 2 if pairs else 0.0
login_non200 = sum(logins[i]["requests"] - logins[i]["status"].get("200", 0) + logins[i]["errors"] for i in used)

sat, hz = load("sat-login.json"), load("sat-healthz.json")
n503 = sat["status"].get("503", 0)
share_503 = n503 / sat["requests"] if sat["requests"] else 0.0
lat503 = sat.get("latency_ms_by_status", {}).get("503")
lat200 = sat.get("latency_ms_by_status", {}).get("200")
hz_p99 = hz["latency_ms"]["p99"]
hz_bad = hz["errors"] + hz["requests"] - hz["status"].get("200", 0)

meets = {
    "ratio": ratio >= t_ratio,
    "healthz_p99_ms": hz_p99 < t_hz and hz_bad == 0,
    "p99_503_ms": lat503 is not None and lat503["p99"] < t_503,
}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
result = {
    "hashes_per_s": round(hashes_per_s, 3), "logins_per_s": round(logins_per_s, 3),
    "ratio": round(ratio, 4), "ratio_median_rounds": round(ratio_median, 4), "ratio_best_vs_best": round(ratio_best, 4),
    "argon2": {"runs_hashes_per_s": [a["hashes_per_s"] for a in argon], "best": best_argon},
    "login": {"runs_logins_per_s": [round(ok_rate(l), 3) for l in logins], "best": best_login},
    "saturation": {
        "healthz_p99_ms": hz_p99, "healthz": hz,
        "pool_jobs_per_s": sat_pool_rate,
        "pool_vs_hashes": round(sat_pool_rate / hashes_per_s, 4) if sat_pool_rate and hashes_per_s else None,
        "share_503": round(share_503, 4), "latency_503_ms": lat503, "latency_200_ms": lat200,
        "login": sat,
        "hash_queue_waiting_mid_run": waiting_mid,
        "hash_rejected_during_run": (rej_after - rej_before) if None not in (rej_after, rej_before) else None,
    },
    "targets": {"ratio": t_ratio, "healthz_p99_ms": t_hz, "p99_503_ms": t_503},
    "meets": meets, "meets_targets": all(meets.values()),
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "machine": {"nproc": os.cpu_count(), "cpu_model": cpu, "kernel": platform.release(),
                "idle_pct_before": idle_before, "idle_pct_after": idle_after,
                "foreign_cpu_pct": {"argon2_rounds": foreign_argon, "login_rounds": foreign_login,
                                    "saturation": foreign_sat},
                "loadavg_after": open("/proc/loadavg").read().split()[:3]},
    "settings": {"hash_threads": hash_threads, "argon2": "m=19456 KiB, t=2, p=1", "login_connections": login_conns,
                 "saturation_connections": sat_conns, "saturation_honor_retry_after": sat_honor,
                 "healthz_rate": float(os.environ.get("HEALTHZ_RATE", "0")),
                 "healthz_connections": hz_conns,
                 "duration": duration, "warmup": warmup, "saturation_duration": sat_duration, "rounds": rounds,
                 "pick": "ratio of the mean rates over the rounds used",
                 "rounds_used": [i + 1 for i in used], "quiet_rounds": [i + 1 for i in clean],
                 "foreign_max_pct": foreign_max, "saturation_client_nice": client_nice,
                 "workers.hash_queue": 256,
                 "note": "loadgen, argon2_rate and the server share the same cores; logins count 200s only"},
}
with open(out, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")

v = lambda ok: "ok" if ok else "MISSED"
argon_runs = ", ".join(f"{a['hashes_per_s']:.1f}" for a in argon)
login_runs = ", ".join(f"{ok_rate(l):.1f}" for l in logins)
print()
print(f"  {'':34} {'measured':>12}   {'target':<10}")
print(f"  {'Argon2id verifies/s (' + str(hash_threads) + ' threads)':34} {hashes_per_s:12.1f}   {'':10}        "
      f"mean; runs {argon_runs}; {best_argon['ms_per_hash']:.1f} ms each")
print(f"  {'logins/s (200s, ' + str(login_conns) + ' connections)':34} {logins_per_s:12.1f}   {'':10}        "
      f"mean; runs {login_runs}; p50 {best_login['latency_ms']['p50']:.1f} ms")
print(f"  {'ratio logins / hashes':34} {ratio:12.3f}   {'>= ' + format(t_ratio, 'g'):<10} {v(meets['ratio']):<7} "
      f"rounds used {[i + 1 for i in used]}" + ("" if clean else " (none quiet)")
      + f"; median of rounds {ratio_median:.3f}, best vs best {ratio_best:.3f}")
print(f"  {'/healthz p99 under saturation':34} {hz_p99:9.3f} ms   {'< ' + format(t_hz, 'g') + ' ms':<10} "
      f"{v(meets['healthz_p99_ms']):<7} p50 {hz['latency_ms']['p50']:.3f} ms, {hz['rps']:.0f} req/s, {hz_bad} bad")
if lat503:
    print(f"  {'503 latency p99 (past the queue)':34} {lat503['p99']:9.3f} ms   {'< ' + format(t_503, 'g') + ' ms':<10} "
          f"{v(meets['p99_503_ms']):<7} p50 {lat503['p50']:.3f} ms, max {lat503['max']:.3f} ms")
else:
    print(f"  {'503 latency p99 (past the queue)':34} {'no 503':>12}   {'< ' + format(t_503, 'g') + ' ms':<10} MISSED  "
          f"the queue never overflowed: raise SAT_CONNECTIONS")
print(f"  {'saturation: 503 share':34} {100 * share_503:11.1f}%   {'':10}        "
      f"{n503} of {sat['requests']}"
      + (f"; pool {sat_pool_rate:.1f} logins/s" if sat_pool_rate is not None else "")
      + (f", 200 p50 {lat200['p50']:.0f} ms" if lat200 else "")
      + (f"; queue mid-run {waiting_mid:.0f}" if waiting_mid is not None else ""))
if login_non200:
    print(f"warning: {login_non200} non-200 answers or errors in the login runs", file=sys.stderr)
print(f"\n  machine idle before/after: {idle_before}% / {idle_after}%; CPU taken by other work during the phases: "
      f"argon2 {foreign_argon}, logins {foreign_login}, saturation {foreign_sat} (%)"
      + ("\n  (busy machine: treat the ratios with care)" if idle_before < 90 or max(foreign_argon[i] for i in used) > foreign_max
         or max(foreign_login[i] for i in used) > foreign_max or foreign_sat > foreign_max else ""))
print(f"  written: {out}")
sys.exit(0 if result["meets_targets"] else 1)
EOF
rc=$?
set -e
exit $rc
