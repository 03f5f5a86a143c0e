#!/usr/bin/env bash
# SPEC §7: /healthz at least 0.9x nginx returning a fixed 200, same machine,
# same run. The `healthz` scenario of scripts/bench (64 connections), in
# ROUNDS rounds (nginx, then Sésame, in turn; each side's best kept), Sésame
# writing its JSON line per request as in production (nginx: access_log off,
# so this is the harder comparison). Prints the table, writes
# bench/results/healthz.json (the summary.json; report.html stays in
# bench/reports/).
#
# Usage: bench/healthz_vs_nginx.sh [BUILD_DIR]      (default: build)
# Environment (defaults): ROUNDS=2 DURATION=10s SESAME_LOG_LEVEL=info
#   OUT=bench/results/healthz.json  EXTRA= (more scripts/bench flags)
# Exit: as scripts/bench: 0 when the ratio meets 0.9, 1 when it does not
# (results still written), 2 on bad usage, 3 when a run failed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
. "$ROOT/bench/lib.sh"
bench_scenario healthz "${1:-build}" "${OUT:-$ROOT/bench/results/healthz.json}" --rounds "${ROUNDS:-2}"
