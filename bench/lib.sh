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
