#!/usr/bin/env bash
# SPEC §7: staff search over 1,000,000 accounts, p99 under 10 ms. Imports the
# generated accounts (bench/gen_accounts.py, cached as import_1m.sh caches
# them) into a fresh store, adds two staff accounts with `sesame staff add`
# (an admin, who searches the whole country, and the secretariat of the
# largest establishment), starts `sesame serve`, logs both in (password, TOTP
# computed here, the provisional password changed), then loads
# GET /api/v1/admin/accounts with queries drawn from the data: name prefixes
# of 3 to 8 letters, full last names, identifier prefixes, mobiles in other
# spellings, e-mail addresses. One loadgen run per caller; prints a table and
# writes bench/results/search.json.
#
# Usage: bench/search_1m.sh [BUILD_DIR] [N]      (defaults: build 1000000)
# Environment (defaults): SEED=1  DURATION=10s  CONNECTIONS=8  QUERIES=2000
#   CACHE_DIR=${TMPDIR:-/tmp}/sesame-bench-cache   TARGET_P99_MS=10
#   OUT=path (default bench/results/search.json)
# Exit: 0 when the target is met, 1 when not, 2 on bad usage, 3 on failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in
  -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -le 2 ] || { echo "usage: $0 [BUILD_DIR] [N]" >&2; exit 2; }
BUILD_DIR=${1:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
N=${2:-1000000}
SEED=${SEED:-1}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-8}
QUERIES=${QUERIES:-2000}
TARGET_P99_MS=${TARGET_P99_MS:-10}
OUT=${OUT:-$ROOT/bench/results/search.json}
SESAME="$BUILD_DIR/sesame"
LOADGEN="$BUILD_DIR/bench/loadgen"

die() { echo "search_1m: $*" >&2; exit "${2:-3}"; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer" 2
[ -x "$SESAME" ] || die "no $SESAME; build it: ninja -C $BUILD_DIR sesame" 2
[ -x "$LOADGEN" ] || die "no $LOADGEN; build it: ninja -C $BUILD_DIR loadgen" 2

bench_workdir search
bench_csv "$N" "$SEED" || die "gen_accounts.py failed"
CSV=$BENCH_CSV

echo "importing $N rows into a fresh store..."
t0=$(date +%s%N)
"$SESAME" import --store.path "$WORK/data" "$CSV" --out "$WORK/creds.csv" >"$WORK/import.out" 2>"$WORK/import.err" ||
  { tail -n 5 "$WORK/import.err" >&2; die "sesame import failed"; }
IMPORT_S=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
echo "imported in ${IMPORT_S} s"

# The largest establishment, and the queries, drawn from the data.
python3 - "$CSV" "$WORK/creds.csv" "$WORK" "$SEED" "$QUERIES" <<'EOF'
import collections, csv, random, sys, unicodedata, urllib.parse
src, creds, work, seed, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rows = list(csv.DictReader(open(src, encoding="utf-8"), delimiter=";"))
ids = {r["external_id"]: r["identifier"] for r in csv.DictReader(open(creds, encoding="utf-8"))}
by_school = collections.Counter(r["establishment"] for r in rows)
school = by_school.most_common(1)[0][0]
open(work + "/school", "w").write(school)
rng = random.Random(seed)
def fold(s):
    s = unicodedata.normalize("NFKD", s.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae"))
    return "".join(c for c in s.lower() if c.isascii() and c.isalnum())
def queries(pool):
    out = []
    for _ in range(count):
        r = rng.choice(pool)
        kind = rng.random()
        if kind < 0.45:
            name = fold(r["last_name"])
            q = name[:rng.randint(3, max(3, min(8, len(name))))]
        elif kind < 0.65:
            q = r["last_name"]
        elif kind < 0.8:
            ident = ids[r["external_id"]]
            q = ident[:rng.randint(4, len(ident))]
        elif kind < 0.92 and r["phone"]:
            digits = "".join(c for c in r["phone"] if c.isdigit())
            q = "0" + digits[-9:-8] + " " + " ".join(digits[-8:][i:i + 2] for i in range(0, 8, 2))
        elif r["email"]:
            q = r["email"]
        else:
            q = fold(r["first_name"])[:4]
        out.append("1 GET /api/v1/admin/accounts?q=" + urllib.parse.quote(q) + "\n")
    return out
open(work + "/national.txt", "w").writelines(["# admin: the whole country\n"] + queries(rows))
local = [r for r in rows if r["establishment"] == school]
open(work + "/school.txt", "w").writelines(["# secretariat of %s\n" % school] + queries(local))
print("largest establishment %s (%d accounts)" % (school, len(local)))
EOF
SCHOOL=$(cat "$WORK/school")
"$SESAME" staff add --store.path "$WORK/data" --login bench.admin --role admin >"$WORK/admin.txt" ||
  die "staff add (admin) failed"
"$SESAME" staff add --store.path "$WORK/data" --login bench.sec --role secretariat --scope "$SCHOOL" \
  >"$WORK/sec.txt" || die "staff add (secretariat) failed"

"$SESAME" serve --store.path "$WORK/data" --http.listen 127.0.0.1:0 --log.level info \
  >"$WORK/serve.out" 2>"$WORK/serve.err" &
PIDS+=($!)
wait_ready "${PIDS[0]}" "$WORK/serve.err" || { tail -n 20 "$WORK/serve.err" >&2; die "sesame serve did not start"; }

# Log in (password + TOTP), change the provisional password, print the cookie.
staff_cookie() {
  python3 - "$PORT" "$1" <<'EOF'
import base64, hashlib, hmac, http.client, json, struct, sys, time, urllib.parse
port, path = int(sys.argv[1]), sys.argv[2]
lines = open(path).read().splitlines()
password, uri = lines[0].split(": ", 1)[1], lines[1].split(": ", 1)[1]
login = urllib.parse.unquote(urllib.parse.urlparse(uri).path).split(":", 1)[1]
secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
mac = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
o = mac[-1] & 15
code = "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)
def call(method, p, body, cookie=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Content-Type": "application/json"}
    if cookie: h["Cookie"] = cookie
    c.request(method, p, json.dumps(body), h)
    r = c.getresponse(); r.read()
    return r.status, r.getheader("Set-Cookie")
status, set_cookie = call("POST", "/api/v1/session", {"identifier": login, "password": password, "otp": code})
assert status == 200, status
cookie = set_cookie.split(";", 1)[0]
status, _ = call("POST", "/api/v1/me/password", {"current_password": password,
                                                  "new_password": "Bench-" + password + "-Grenade-Lavande"}, cookie)
assert status == 204, status
print(cookie)
EOF
}
ADMIN_COOKIE=$(staff_cookie "$WORK/admin.txt") || die "admin login failed"
SEC_COOKIE=$(staff_cookie "$WORK/sec.txt") || die "secretariat login failed"

for who in national school; do
  cookie=$ADMIN_COOKIE
  [ "$who" = school ] && cookie=$SEC_COOKIE
  echo "searching as $who for $DURATION..."
  "$LOADGEN" --target "127.0.0.1:$PORT" --connections "$CONNECTIONS" --threads 1 --duration "$DURATION" \
    --warmup 1s --timeout 10s --mix "$WORK/$who.txt" --header "Cookie: $cookie" --label "search-$who" \
    --json "$WORK/$who.json" >"$WORK/$who.out" || { cat "$WORK/$who.out" >&2; die "loadgen failed"; }
done
RSS_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/${PIDS[0]}/status")

mkdir -p "$(dirname "$OUT")"
python3 - "$OUT" "$N" "$IMPORT_S" "$SCHOOL" "$WORK/national.json" "$WORK/school.json" "$TARGET_P99_MS" "$RSS_KB" <<'EOF'
import json, os, platform, sys, time
out, n, import_s, school, national, local, target, rss_kb = sys.argv[1:9]
runs = {"national": json.load(open(national)), "school": json.load(open(local))}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
result = {"accounts": int(n), "import_s": float(import_s), "school": school, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
          "machine": {"nproc": os.cpu_count(), "cpu_model": cpu, "loadavg_after": open("/proc/loadavg").read().split()[:3]},
          "server_rss_mb": round(int(rss_kb) / 1024, 1), "target_p99_ms": float(target), "runs": {}}
ok = True
print()
print(f"  {'caller':<10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
for name, r in runs.items():
    lat = r["latency_ms"]
    good = r["errors"] == 0 and set(r["status"]) == {"200"}
    ok = ok and good and lat["p99"] < float(target)
    result["runs"][name] = {"requests": r["requests"], "rps": r["rps"], "latency_ms": lat, "status": r["status"],
                            "errors": r["errors"]}
    print(f"  {name:<10} {r['requests']:>9} {r['rps']:>8.0f} {lat['p50']:>8.2f} {lat['p99']:>8.2f} {lat['max']:>8.2f}  {r['status']}")
result["meets_target"] = ok
json.dump(result, open(out, "w"), indent=2)
print(f"\n  target: p99 < {target} ms over {n} accounts -> {'ok' if ok else 'MISSED'}; written {out}")
sys.exit(0 if ok else 1)
EOF
