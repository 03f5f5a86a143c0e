# Shared by the bench scripts (sourced, bash): a work directory removed at
# exit, background processes stopped at exit, and free loopback ports.
#   . "$ROOT/bench/lib.sh"
#   bench_workdir NAME [GRACE_TENTHS]   sets WORK (a fresh temp dir) and PIDS=();
#                                       at exit every pid in PIDS gets SIGTERM,
#                                       GRACE_TENTHS/10 s (default 5 s), then SIGKILL
#   free_port                           prints a free TCP port on 127.0.0.1

bench_workdir() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/sesame-$1.XXXXXX")
  BENCH_STOP_GRACE=${2:-50}
  PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
bench_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq "$BENCH_STOP_GRACE"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# bench_csv N SEED [DIR]: the path of a generated import file of N accounts
# (bench/gen_accounts.py), generated when missing. Cached in DIR (default
# CACHE_DIR or ${TMPDIR:-/tmp}/sesame-bench-cache), named by N, the seed and
# the generator's checksum. Sets GEN_S to the generation time (or null).
bench_csv() {
  local n=$1 seed=$2 dir=${3:-${CACHE_DIR:-${TMPDIR:-/tmp}/sesame-bench-cache}}
  local gen="$ROOT/bench/gen_accounts.py" sum csv t0
  sum=$(cksum <"$gen" | cut -d' ' -f1)
  mkdir -p "$dir"
  csv="$dir/accounts-$n-s$seed-g$sum.csv"
  GEN_S=null
  if [ ! -s "$csv" ]; then
    echo "generating $n accounts -> $csv" >&2
    t0=$(date +%s%N)
    python3 "$gen" "$n" "$csv.tmp.$$" --seed "$seed" >&2 || { rm -f "$csv.tmp.$$"; return 1; }
    mv "$csv.tmp.$$" "$csv"
    GEN_S=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  else
    echo "using cached $csv" >&2
  fi
  BENCH_CSV=$csv
}

# wait_ready PID LOGFILE [TRIES]: waits (10 ms polls, bounded) until the
# `sesame serve` of PID logged its "listening" line and answers 200 on
# /readyz; sets PORT. Returns 1 if it exited or never became ready.
wait_ready() {
  local pid=$1 log=$2 tries=${3:-3000}
  PORT=
  for _ in $(seq "$tries"); do
    kill -0 "$pid" 2>/dev/null || return 1
    [ -n "$PORT" ] || PORT=$(sed -n 's/.*"event":"listening".*"address":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$log" | head -n 1)
    if [ -n "$PORT" ] &&
       [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT/readyz" || true)" = 200 ]; then
      return 0
    fi
    sleep 0.01
  done
  return 1
}
