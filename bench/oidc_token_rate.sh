#!/usr/bin/env bash
# SPEC §7: OpenID Connect token responses (code exchange with ES256
# signing) >= 10,000/s on 2 cores. The `sso_token` scenario of scripts/bench
# in ROUNDS rounds (the best kept): before each, oidc_token_rate
# --mint-only mints the codes through GET /oidc/authorize with a session
# (not measured); loadgen then exchanges each once (POST /oidc/token,
# client_secret_basic, the PKCE verifier) on 16 connections. Sésame logs
# at SESAME_LOG_LEVEL=info, as in production. Prints the table, writes
# bench/results/oidc_token.json (the summary.json).
#
# Usage: bench/oidc_token_rate.sh [BUILD_DIR]     (default: build)
# Environment (defaults): ROUNDS=3 DURATION=10s SESAME_LOG_LEVEL=info
#   OUT=bench/results/oidc_token.json  EXTRA= (more scripts/bench flags)
# Exit: as scripts/bench: 0 when the best round meets 10,000/s, 1 when not,
# 2 on bad usage, 3 when a server or tool failed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
. "$ROOT/bench/lib.sh"
# The accounts only provide the session the codes are minted in.
bench_scenario sso_token "${1:-build}" "${OUT:-$ROOT/bench/results/oidc_token.json}" --rounds "${ROUNDS:-3}" \
  --accounts 2000 --set password.argon2_memory_kib=64 --set password.argon2_iterations=1
