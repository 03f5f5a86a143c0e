#!/usr/bin/env bash
# SPEC §3: "no such identifier" and "wrong password" answer the same, in the
# same time (a dummy hash is verified for unknown identifiers). Imports N
# generated accounts, gives them a real Argon2id hash at the server's cost
# (bench fixture activate_accounts), starts `sesame serve` with the
# address and account limits out of the way, then sends SAMPLES wrong-password
# logins for known identifiers and SAMPLES for unknown ones, interleaved at
# random, one at a time, from a single client; compares the two latency
# distributions with a two-sample Kolmogorov–Smirnov test and writes
# bench/results/login_timing.json.
#
# Usage: bench/login_timing.sh [BUILD_DIR]        (default build)
# Environment (defaults): SAMPLES=2000 N=5000 SEED=1
#   ARGON2_MEMORY_KIB=19456 ARGON2_ITERATIONS=2 (the server's default cost)
#   OUT=path (default bench/results/login_timing.json)
# Exit: 0 when the distributions cannot be told apart (KS p-value > 0.01),
# 1 when they can, 2 on bad usage, 3 on failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in
  -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
BUILD_DIR=${1:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
SAMPLES=${SAMPLES:-2000}
N=${N:-5000}
SEED=${SEED:-1}
MEMORY=${ARGON2_MEMORY_KIB:-19456}
ITERATIONS=${ARGON2_ITERATIONS:-2}
OUT=${OUT:-$ROOT/bench/results/login_timing.json}
SESAME="$BUILD_DIR/sesame"
ACTIVATE="$BUILD_DIR/bench/activate_accounts"

die() { echo "login_timing: $*" >&2; exit "${2:-3}"; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
for f in "$SESAME" "$ACTIVATE"; do
  [ -x "$f" ] || die "missing $f (ninja -C $BUILD_DIR sesame activate_accounts)" 2
done
[ "$SAMPLES" -le "$N" ] || die "SAMPLES must not exceed N (one wrong password per known account)" 2

bench_workdir login-timing
bench_csv "$N" "$SEED" || die "gen_accounts.py failed"
"$SESAME" import --store.path "$WORK/data" "$BENCH_CSV" --out "$WORK/creds.csv" >/dev/null 2>"$WORK/import.err" ||
  { tail -n 5 "$WORK/import.err" >&2; die "sesame import failed"; }
"$ACTIVATE" "$WORK/data" "Bench-password-2026!" "$MEMORY" "$ITERATIONS" >/dev/null || die "activate_accounts failed"

"$SESAME" serve --store.path "$WORK/data" --http.listen 127.0.0.1:0 --log.level info \
  --password.argon2_memory_kib "$MEMORY" --password.argon2_iterations "$ITERATIONS" \
  --limits.login_failures_per_ip 100000000 --login.lockout_threshold 1000 --login.hard_lock_threshold 100000 \
  --login.alert_failures_per_minute 0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
PIDS+=($!)
wait_ready "${PIDS[0]}" "$WORK/serve.err" || { tail -n 20 "$WORK/serve.err" >&2; die "sesame serve did not start"; }

mkdir -p "$(dirname "$OUT")"
python3 - "$PORT" "$WORK/creds.csv" "$SAMPLES" "$SEED" "$OUT" "$MEMORY" "$ITERATIONS" <<'EOF'
import csv, http.client, json, math, os, random, sys, time
port, creds, samples, seed, out, memory, iterations = sys.argv[1:8]
samples, rng = int(samples), random.Random(int(seed))
known = [r["identifier"] for r in csv.DictReader(open(creds, encoding="utf-8"))]
rng.shuffle(known)
# Unknown identifiers shaped like real ones (same length distribution).
unknown = [k.split(".")[0] + ".x" + k.split(".", 1)[1][::-1] + "q" for k in known]
order = ["known"] * samples + ["unknown"] * samples
rng.shuffle(order)
conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
def login(identifier):
    body = json.dumps({"identifier": identifier, "password": "Not-the-password-%d" % rng.randrange(10**9)})
    t0 = time.perf_counter()
    conn.request("POST", "/api/v1/session", body, {"Content-Type": "application/json"})
    r = conn.getresponse(); data = r.read()
    dt = (time.perf_counter() - t0) * 1000
    assert r.status == 401 and json.loads(data)["error"] == "invalid_credentials", (r.status, data)
    return dt
for i in range(20):  # warm-up, not counted
    login(unknown[-1 - i])
lat = {"known": [], "unknown": []}
ki = ui = 0
for kind in order:
    if kind == "known":
        lat[kind].append(login(known[ki])); ki += 1
    else:
        lat[kind].append(login(unknown[ui])); ui += 1

def ks(a, b):
    a, b = sorted(a), sorted(b)
    i = j = 0; d = 0.0
    while i < len(a) and j < len(b):
        x = min(a[i], b[j])
        while i < len(a) and a[i] <= x: i += 1
        while j < len(b) and b[j] <= x: j += 1
        d = max(d, abs(i / len(a) - j / len(b)))
    n = len(a) * len(b) / (len(a) + len(b))
    lam = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return d, max(0.0, min(1.0, p))
def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(q * len(v)))]
d, p = ks(lat["known"], lat["unknown"])
summary = {k: {"samples": len(v), "mean_ms": round(sum(v) / len(v), 3), "p50_ms": round(pct(v, .5), 3),
               "p90_ms": round(pct(v, .9), 3), "p99_ms": round(pct(v, .99), 3)} for k, v in lat.items()}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
result = {"argon2": {"memory_kib": int(memory), "iterations": int(iterations)}, "latency": summary,
          "ks_statistic": round(d, 4), "ks_p_value": round(p, 4), "indistinguishable": p > 0.01,
          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
          "machine": {"nproc": os.cpu_count(), "cpu_model": cpu}}
json.dump(result, open(out, "w"), indent=2)
print(f"\n  {'identifier':<10} {'samples':>8} {'mean ms':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
for k, s in summary.items():
    print(f"  {k:<10} {s['samples']:>8} {s['mean_ms']:>9.2f} {s['p50_ms']:>8.2f} {s['p90_ms']:>8.2f} {s['p99_ms']:>8.2f}")
print(f"\n  two-sample Kolmogorov-Smirnov: D = {d:.4f}, p = {p:.3f} -> "
      + ("indistinguishable" if p > 0.01 else "DISTINGUISHABLE") + f"; written {out}")
sys.exit(0 if p > 0.01 else 1)
EOF
