#!/usr/bin/env bash
# SPEC §3: "no such identifier" and "wrong password" answer the same, in the
# same time (a dummy hash is verified for unknown identifiers). The
# `login_timing` scenario of scripts/bench: ACCOUNTS imported accounts with a
# real Argon2id hash at the server's cost, then one connection sending
# wrong-password logins for known identifiers and logins for unknown ones,
# interleaved at random, one at a time; the two latency distributions are
# compared with a two-sample Kolmogorov-Smirnov test (latency_ks in the
# summary). Sésame logs at SESAME_LOG_LEVEL=info. Prints the table, writes
# bench/results/login_timing.json (the summary.json).
#
# Usage: bench/login_timing.sh [BUILD_DIR]        (default build)
# Environment (defaults): DURATION=60s ACCOUNTS=5000 SESAME_LOG_LEVEL=info
#   OUT=bench/results/login_timing.json  EXTRA= (more scripts/bench flags,
#   e.g. --set password.argon2_memory_kib=65536)
# Exit: as scripts/bench: 0 when the distributions cannot be told apart (KS
# p-value > 0.01), 1 when they can, 2 on bad usage, 3 on failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
. "$ROOT/bench/lib.sh"
DURATION=${DURATION:-60s} bench_scenario login_timing "${1:-build}" "${OUT:-$ROOT/bench/results/login_timing.json}" \
  --accounts "${ACCOUNTS:-5000}"
