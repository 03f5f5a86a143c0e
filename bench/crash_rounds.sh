#!/usr/bin/env bash
# SPEC §5 under crashes: kill -9 at random moments during an import, a
# recovery burst and the deliveries it starts, ROUNDS rounds (default 20),
# `sesame check` after each (the integration test
# test_kill_9_at_random_moments_leaves_a_consistent_store, at full size).
# Writes bench/results/crash_rounds.json.
#
# Usage: bench/crash_rounds.sh [BUILD_DIR]     Environment: ROUNDS=20 OUT=path
# Exit: 0 when every round left a consistent store, 1 otherwise.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
BUILD_DIR=${1:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
ROUNDS=${ROUNDS:-20}
OUT=${OUT:-$ROOT/bench/results/crash_rounds.json}
t0=$(date +%s)
set +e
SESAME_BIN="$BUILD_DIR/sesame" SESAME_CRASH_ROUNDS="$ROUNDS" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
  "$ROOT/tests/integration/test_under_attack.py" -k kill_9
rc=$?
set -e
python3 -c 'import json,sys,time; json.dump({"rounds": int(sys.argv[1]), "consistent_after_every_round": sys.argv[2] == "0",
  "seconds": int(sys.argv[3]), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, open(sys.argv[4], "w"), indent=2)' \
  "$ROUNDS" "$rc" "$(( $(date +%s) - t0 ))" "$OUT"
echo "$ROUNDS rounds of kill -9 (import, recovery burst, deliveries): $([ $rc = 0 ] && echo consistent every time || echo FAILED); written $OUT"
exit $([ $rc = 0 ] && echo 0 || echo 1)
