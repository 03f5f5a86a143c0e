#!/usr/bin/env bash
# SPEC §5 under crashes: the `crash_rounds` scenario of scripts/bench.
# Recovery requests, code checks and logins on 32 connections while the
# server is killed with SIGKILL ten times and restarted on the same store;
# then every 202 a client saw must have its message in the outbox (lost:
# 0; duplicates reported) and `sesame check` must find the store
# consistent. ROUNDS runs of it in turn. (Kills during `sesame import` are
# the integration test test_kill_9_at_random_moments_leaves_a_consistent_store,
# SESAME_CRASH_ROUNDS=N for more rounds.) Prints the table, writes
# bench/results/crash_rounds.json (the summary.json).
#
# Usage: bench/crash_rounds.sh [BUILD_DIR]     (default build)
# Environment (defaults): ROUNDS=1 DURATION=60s ACCOUNTS=100000
#   SESAME_LOG_LEVEL=info  OUT=bench/results/crash_rounds.json  EXTRA=
# Exit: as scripts/bench: 0 when nothing was lost and the store is
# consistent, 1 otherwise, 2 on bad usage, 3 when a run failed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
. "$ROOT/bench/lib.sh"
DURATION=${DURATION:-60s} bench_scenario crash_rounds "${1:-build}" "${OUT:-$ROOT/bench/results/crash_rounds.json}" \
  --rounds "${ROUNDS:-1}" --accounts "${ACCOUNTS:-100000}"
