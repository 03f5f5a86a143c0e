#!/usr/bin/env bash
# SPEC §7: recovery requests (flow + outbox write) at least 20,000/s on 2
# cores, and code checks per second. Imports N accounts (bench/gen_accounts.py),
# activates them (bench fixture activate_accounts) so every request takes the
# real path (account epoch, HOTP code, message, synced batch, worker writing
# the file outbox), starts `sesame serve` with its abuse limits opened, and
# drives POST /api/v1/recovery/password over every identifier with loadgen;
# then drives wrong-code verifies on flows collected first. Prints a table,
# writes bench/results/recovery.json.
#
# Usage: bench/recovery_rate.sh [BUILD_DIR=build]
# Environment: N=20000 CONNECTIONS=64 DURATION=10s WARMUP=2s STORE_THREADS=32 EXTRA_FLAGS=
#   (e.g. EXTRA_FLAGS="--store.sync_writes false" to see the cost of fsync)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${1:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
N=${N:-20000}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
STORE_THREADS=${STORE_THREADS:-32}
SESAME="$BUILD_DIR/sesame"
LOADGEN="$BUILD_DIR/bench/loadgen"
ACTIVATE="$BUILD_DIR/bench/activate_accounts"
for f in "$SESAME" "$LOADGEN" "$ACTIVATE"; do
  [ -x "$f" ] || { echo "recovery_rate: missing $f (ninja -C $BUILD_DIR sesame loadgen activate_accounts)" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sesame-recovery.XXXXXX")
PID=
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID"; wait "$PID" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "generating and importing $N accounts..." >&2
python3 "$ROOT/bench/gen_accounts.py" "$N" "$WORK/accounts.csv" --seed 7 >/dev/null
"$SESAME" import --store.path "$WORK/data" "$WORK/accounts.csv" --out "$WORK/creds.csv" 2>/dev/null || true
"$ACTIVATE" "$WORK/data" >&2

# One request kind per account, with its profile.
python3 - "$WORK" <<'PY'
import csv, json, sys
work = sys.argv[1]
profiles = {}
with open(work + "/accounts.csv", newline="", encoding="utf-8-sig") as f:
    for row in csv.DictReader(f, delimiter=";"):
        profiles[(row["establishment"], row["external_id"])] = row["profile"]
ids = {}
with open(work + "/accounts.csv", newline="", encoding="utf-8-sig") as f:
    rows = list(csv.DictReader(f, delimiter=";"))
with open(work + "/creds.csv", newline="") as f:
    creds = list(csv.DictReader(f))
by_ext = {}
for r in rows:
    by_ext.setdefault(r["external_id"], r["profile"])
with open(work + "/mix_request.txt", "w") as out:
    for c in creds:
        p = by_ext.get(c["external_id"], "parent")
        out.write("1 POST /api/v1/recovery/password " + json.dumps({"identifier": c["identifier"], "profile": p}) + "\n")
PY

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SESAME" serve --store.path "$WORK/data" --http.listen "127.0.0.1:$PORT" --log.level warn \
  --outbox.file "$WORK/outbox.log" --store.threads "$STORE_THREADS" \
  --limits.recovery_per_ip 2000000000/1h --limits.recovery_per_identifier 1000000/1h \
  --recovery.resend_cooldown 0 --limits.sends_per_destination 1000000/1h --limits.sms_per_hour 2000000000 \
  --recovery.max_attempts 1000 --limits.code_failures_per_account 2000000000/24h \
  --limits.code_failures_per_ip 2000000000/1h ${EXTRA_FLAGS:-} >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "server did not start" >&2; cat "$WORK/server.log" >&2; exit 3; }

"$LOADGEN" --target "127.0.0.1:$PORT" --connections "$CONNECTIONS" --threads 1 --duration "$DURATION" \
  --warmup "$WARMUP" --mix "$WORK/mix_request.txt" --label recovery-requests --json "$WORK/requests.json" >&2

# Flows to check codes against: one per account, first 500.
python3 - "$WORK" "$PORT" <<'PY'
import http.client, json, sys
work, port = sys.argv[1], int(sys.argv[2])
lines = open(work + "/mix_request.txt").read().splitlines()[:500]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
out = open(work + "/mix_verify.txt", "w")
for line in lines:
    body = line.split(" ", 3)[3]
    c.request("POST", "/api/v1/recovery/password", body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse(); data = json.loads(r.read())
    if r.status == 202:
        out.write("1 POST /api/v1/recovery/password/%s/verify {\"code\":\"000000\"}\n" % data["flow_id"])
PY
"$LOADGEN" --target "127.0.0.1:$PORT" --connections "$CONNECTIONS" --threads 1 --duration "$DURATION" \
  --warmup "$WARMUP" --mix "$WORK/mix_verify.txt" --label code-checks --json "$WORK/verify.json" >&2

LINES=$(wc -l < "$WORK/outbox.log")
python3 - "$WORK" "$ROOT/bench/results/recovery.json" "$N" "$LINES" <<'PY'
import json, os, platform, sys, time
work, out, n, lines = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
req = json.load(open(work + "/requests.json")); ver = json.load(open(work + "/verify.json"))
ok = req["status"].get("202", 0) / req["duration_s"]
checks = (ver["status"].get("400", 0) + ver["status"].get("410", 0)) / ver["duration_s"]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
res = {"accounts": n, "requests_per_s": round(ok, 1), "requests": req, "code_checks_per_s": round(checks, 1),
       "code_checks": ver, "outbox_lines": lines, "target_requests_per_s": 20000,
       "meets_target": ok >= 20000, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "machine": {"nproc": os.cpu_count(), "cpu": cpu}}
json.dump(res, open(out, "w"), indent=1)
print("\n%-26s %10s %9s %9s" % ("scenario", "req/s", "p50 ms", "p99 ms"))
print("%-26s %10.0f %9.3f %9.3f" % ("recovery requests (202)", ok, req["latency_ms"]["p50"], req["latency_ms"]["p99"]))
print("%-26s %10.0f %9.3f %9.3f" % ("code checks (400/410)", checks, ver["latency_ms"]["p50"], ver["latency_ms"]["p99"]))
print("statuses: requests %s; checks %s; outbox lines written %d" % (req["status"], ver["status"], lines))
print("target: 20000 requests/s -> %s" % ("met" if ok >= 20000 else "NOT met"))
PY
