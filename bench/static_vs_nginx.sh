#!/usr/bin/env bash
# SPEC §7: static assets at least 0.9x nginx, same machine, same run. The
# portal's stylesheet (the largest asset every page loads) asked with
# "Accept-Encoding: gzip": Sésame answers its embedded gzip form from
# memory; nginx answers the same .gz file from disk (gzip_static, sendfile)
# with the same cache and security headers. Runs bench/healthz_vs_nginx.sh's
# alternating rounds on that request and writes bench/results/static.json.
#
# Usage: bench/static_vs_nginx.sh [BUILD_DIR]      (default: build)
#   expects BUILD_DIR/sesame, BUILD_DIR/bench/loadgen and the built site in
#   BUILD_DIR/web/gen/site (made by the build). Environment: as
#   healthz_vs_nginx.sh (CONNECTIONS, THREADS, DURATION, WARMUP, ROUNDS...).
# Exit: as healthz_vs_nginx.sh (3 too when the two servers do not answer the
# same bytes); 2 when the site or its stylesheet is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in
  -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
BUILD_DIR=${1:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
SITE="$BUILD_DIR/web/gen/site"
css=$(cd "$SITE/assets" 2>/dev/null && ls app.*.css 2>/dev/null | head -n 1 || true)
if [ -z "$css" ] || [ ! -f "$SITE/assets/$css.gz" ]; then
  echo "static_vs_nginx: no stylesheet in $SITE/assets; build first (scripts/build)" >&2
  exit 2
fi

# nginx: the built site from disk, the gzip file when asked, the headers
# Sésame sends (cache, ETag, CSP and the others).
csp="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
export NGINX_LOCATIONS="location /assets/ {
      root $SITE;
      types { text/css css; text/javascript js; font/woff2 woff2; image/svg+xml svg; }
      gzip_static on;
      gzip_vary on;
      sendfile on;
      tcp_nopush on;
      etag on;
      add_header Cache-Control \"public, max-age=31536000, immutable\";
      add_header Content-Security-Policy \"$csp\";
      add_header X-Frame-Options DENY;
      add_header X-Content-Type-Options nosniff;
      add_header Referrer-Policy no-referrer;
    }"
export REQUEST_PATH="/assets/$css"
export REQUEST_HEADER="Accept-Encoding: gzip"
export OUT=${OUT:-$ROOT/bench/results/static.json}
exec "$ROOT/bench/healthz_vs_nginx.sh" "$BUILD_DIR"
