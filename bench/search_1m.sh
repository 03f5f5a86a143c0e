#!/usr/bin/env bash
# SPEC §7: staff search over 1,000,000 accounts, p99 under 10 ms. The
# `search` scenario of scripts/bench over N accounts (the generated CSV,
# cached as import_1m.sh caches it): two staff accounts added with `sesame
# staff add` (an admin, who searches the whole country, and the secretariat
# of the largest establishment), logged in with a TOTP code and their
# provisional password changed, then GET /api/v1/admin/accounts with
# queries drawn from the data (name prefixes of 3 to 8 letters, last names,
# identifier prefixes, mobiles in other spellings, e-mail addresses), both
# callers at once on 8 connections. Sésame logs at SESAME_LOG_LEVEL=info.
# Prints the table, writes bench/results/search.json (the summary.json).
#
# Usage: bench/search_1m.sh [BUILD_DIR] [N]      (defaults: build 1000000)
# Environment (defaults): DURATION=10s SESAME_LOG_LEVEL=info
#   OUT=bench/results/search.json  EXTRA= (more scripts/bench flags)
# Exit: as scripts/bench: 0 when both p99s are under 10 ms, 1 when not, 2 on
# bad usage, 3 on failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ $# -le 2 ] || { echo "usage: $0 [BUILD_DIR] [N]" >&2; exit 2; }
. "$ROOT/bench/lib.sh"
bench_scenario search "${1:-build}" "${OUT:-$ROOT/bench/results/search.json}" --accounts "${2:-1000000}"
