#!/usr/bin/env bash
# SPEC §7 and issue 11, in one run of three scripts/bench scenarios:
#   recovery              POST /api/v1/recovery/password for active accounts (flow +
#                         message, synced, worker appending to the file outbox), beside
#                         nginx's fixed 200 on the same machine; every 202 must reach
#                         the outbox (target 20,000/s on 2 cores)
#   codes                 wrong-code checks on open flows (target 30,000/s)
#   recovery_under_login  both while logins saturate the Argon2 pool (p99 < 20 ms)
# Each reports CPU µs per request (server utime+stime from /proc ÷ requests) and
# bytes written per request (/proc/PID/io write_bytes ÷ requests). Prints one table,
# writes bench/results/recovery.json (the three summaries; their report.html files
# stay in OUT).
#
# Usage: bench/recovery_rate.sh [BUILD_DIR=build]
# Environment: N=20000 (accounts) DURATION= (scenario default) OUT=bench/reports/recovery-DATE
#   EXTRA= (more scripts/bench flags, e.g. "--set store.sync_writes=false")
# Exit: 0 when every threshold holds, 1 when one does not, 2 on bad usage, 3 when a run failed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
BUILD_DIR=${1:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
OUT=${OUT:-$ROOT/bench/reports/recovery-$(date +%Y%m%d-%H%M%S)}
args=(--accounts "${N:-20000}" --build "$BUILD_DIR")
[ -n "${DURATION:-}" ] && args+=(--duration "$DURATION")
# shellcheck disable=SC2206  # EXTRA is a list of flags
[ -n "${EXTRA:-}" ] && args+=($EXTRA)

worst=0
mkdir -p "$OUT"
for scenario in recovery codes recovery_under_login; do
  rc=0
  echo "recovery_rate: scripts/bench $scenario (log: $OUT/$scenario.log)" >&2
  "$ROOT/scripts/bench" "$scenario" "${args[@]}" --out "$OUT/$scenario" >"$OUT/$scenario.log" 2>&1 || rc=$?
  if [ "$rc" -ge 2 ]; then tail -n 20 "$OUT/$scenario.log" >&2; exit "$rc"; fi
  [ "$rc" -gt "$worst" ] && worst=$rc
done

python3 - "$OUT" "$ROOT/bench/results/recovery.json" <<'PY'
import json, sys
out, results = sys.argv[1], sys.argv[2]
s = {n: json.load(open("%s/%s/summary.json" % (out, n))) for n in ("recovery", "codes", "recovery_under_login")}
rec, codes, sat = s["recovery"], s["codes"], s["recovery_under_login"]
r, c = rec["routes"]["recovery"], codes["routes"]["code_check"]
print("%-44s %12s %10s %10s %12s %12s" % ("", "per s", "p50 ms", "p99 ms", "CPU µs/req", "bytes w/req"))
print("%-44s %12.0f %10.3f %10.3f %12s %12s" % ("recovery requests (202)", r["rps_ok"], r["latency_ms"]["p50"], r["latency_ms"]["p99"],
      rec["server"]["cpu_us_per_request"], rec["server"]["bytes_written_per_request"]))
print("%-44s %12.0f %10.3f %10.3f %12s %12s" % ("code checks (400/410)", c["rps_ok"], c["latency_ms"]["p50"], c["latency_ms"]["p99"],
      codes["server"]["cpu_us_per_request"], codes["server"]["bytes_written_per_request"]))
print("%-44s %12s" % ("nginx fixed 200, same machine (yardstick)", rec["references"].get("nginx_healthz")))
for name in ("recovery", "code_check", "login_ok"):
    x = sat["routes"][name]
    print("%-44s %12.0f %10.3f %10.3f" % (name + " while logins saturate Argon2", x["rps_ok"], x["latency_ms"]["p50"], x["latency_ms"]["p99"]))
print("logins vs raw Argon2 (%s/s): %s" % (sat["references"].get("argon2"), sat["ratios"].get("login_vs_argon2")))
print("delivery: %d of %d recovery 202s in the outbox" % (rec["recovery"]["delivered"], rec["recovery"]["answered_202"]))
for n, x in s.items():
    for t in x["thresholds"]:
        print("%-4s %-22s %-20s %s %s (measured %s)" % ("ok" if t["ok"] else "FAIL", n, t["name"], t["metric"], t["target"], t["measured"]))
for x in s.values():
    x.pop("series", None)
    x.get("server", {}).pop("series", None)
json.dump(s, open(results, "w"), indent=1, ensure_ascii=False)
print("written %s (reports in %s)" % (results, out))
PY
exit "$worst"
