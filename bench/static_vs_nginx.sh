#!/usr/bin/env bash
# SPEC §7: static assets at least 0.9x nginx, same machine, same run. The
# `static` scenario of scripts/bench: the files the login page links, asked
# with "Accept-Encoding: gzip"; Sésame answers their embedded gzip forms from
# memory, nginx the same .gz files from disk (gzip_static), loaded with the
# same files. ROUNDS rounds in turn, each side's best kept. Prints the table,
# writes bench/results/static.json (the summary.json).
#
# Usage: bench/static_vs_nginx.sh [BUILD_DIR]      (default: build)
# Environment (defaults): ROUNDS=3 DURATION=10s SESAME_LOG_LEVEL=info
#   OUT=bench/results/static.json  EXTRA= (more scripts/bench flags)
# Exit: as scripts/bench (0 target met, 1 not, 2 bad usage, 3 a run failed).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
. "$ROOT/bench/lib.sh"
bench_scenario static "${1:-build}" "${OUT:-$ROOT/bench/results/static.json}" --rounds "${ROUNDS:-3}"
