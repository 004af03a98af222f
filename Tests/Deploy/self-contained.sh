#!/usr/bin/env bash
# The release binary on a machine without Swift: builds it once (deploy/build-release), checks
# with ldd that it needs no Swift, Foundation or LMDB library, then runs `tenda serve --demo`
# with the toolchain (/opt/swift), Chart.js (/usr/share/javascript) and the repository's web/
# hidden from that one process (a private mount namespace with empty tmpfs over each), and
# checks that it serves the MiniApp (with ETag and 304), Chart.js and the API.
#
#     bash Tests/Deploy/self-contained.sh [BINARY]     # as root (CI is); BINARY skips the build
#
# Every check that fails says what it expected and exits 1; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
fail() { echo "self-contained: FAIL: $*" >&2; [ -n "${log:-}" ] && [ -f "$log" ] && sed 's/^/  server: /' "$log" >&2; exit 1; }
pass() { echo "self-contained: ok: $*"; }

[ "$(id -u)" -eq 0 ] || fail "must run as root: unshare -m and mount hide the toolchain from the server process"
for tool in unshare mount curl ldd python3; do command -v "$tool" >/dev/null || fail "$tool is needed"; done

binary=${1:-$(bash deploy/build-release | tail -n 1)}
[ -x "$binary" ] || fail "no binary at $binary"
pass "binary $binary, $(stat -c %s "$binary") bytes"

# 1. Linked libraries: only the system's.
libraries=$(ldd "$binary") || fail "ldd $binary failed"
echo "$libraries" | sed 's/^/  ldd: /'
if echo "$libraries" | grep -Eq 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|liblmdb|not found'; then
  fail "the binary still needs a Swift, Foundation or LMDB library (above)"
fi
pass "ldd lists no libswift*, libFoundation*, libdispatch or liblmdb"
# libxlsxwriter (shared only in Debian) is opened with dlopen for .xlsx exports, never linked.
if echo "$libraries" | grep -q 'libxlsxwriter'; then fail "the binary links libxlsxwriter (above): it must open it at run time"; fi
pass "ldd lists no libxlsxwriter"

# 2. Serving with the toolchain, Chart.js and web/ out of sight.
folder=$(mktemp -d /tmp/tenda-self-contained-XXXXXX)
log=$folder/server.log
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
# The shell inside the namespace proves each folder is empty before it becomes the server
# (exit 97 otherwise), so a mount that did not take cannot pass unnoticed.
unshare -m sh -c '
  for hidden in /opt/swift /usr/share/javascript "$1/web"; do
    mount -t tmpfs none "$hidden" || exit 96
    [ -z "$(ls -A "$hidden")" ] || exit 97
  done
  shift
  exec "$@"' sh "$repo" "$binary" serve --demo --data-dir "$folder/data" --port "$port" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$folder"' EXIT

# The demo shop loads before the port opens; the login line comes once it is loaded.
for _ in $(seq 1 600); do
  kill -0 "$server" 2>/dev/null || { wait "$server" && status=0 || status=$?; fail "the server exited with status $status before answering"; }
  if grep -q '"code":"' "$log" && curl -fsS -o /dev/null "$base/health" 2>/dev/null; then break; fi
  sleep 0.5
done
curl -fsS -o /dev/null "$base/health" || fail "no answer on $base/health within 300 s"
if [ -z "$(ls -A /opt/swift)" ]; then fail "/opt/swift is empty outside the namespace too: the hiding leaked"; fi
pass "tenda serve --demo answers with /opt/swift, /usr/share/javascript and web/ hidden from it"

# What one request answers: status, a header and the body, into variables.
request() {  # request PATH [curl options…] → $status, $body (file), $etag
  local path=$1; shift
  body=$folder/body
  local headers=$folder/headers
  status=$(curl -sS -o "$body" -D "$headers" -w '%{http_code}' "$@" "$base$path") || fail "curl $path failed"
  etag=$(grep -i '^etag:' "$headers" | cut -d' ' -f2- | tr -d '\r' || true)
  lastModified=$(grep -i '^last-modified:' "$headers" | cut -d' ' -f2- | tr -d '\r' || true)
}

# The MiniApp: the page and a module, byte for byte the repository's, each with its ETag and a 304.
for page in /:index.html /js/app.js:js/app.js /js/screens/products.js:js/screens/products.js /styles.css:styles.css; do
  path=${page%%:*} file=${page#*:}
  request "$path"
  [ "$status" = 200 ] || fail "GET $path answered $status"
  cmp -s "$body" "web/$file" || fail "GET $path is not web/$file"
  [ -n "$etag" ] || fail "GET $path has no ETag"
  [ -n "$lastModified" ] || fail "GET $path has no Last-Modified"
  request "$path" -H "If-None-Match: $etag"
  [ "$status" = 304 ] || fail "GET $path with If-None-Match: $etag answered $status, not 304"
  pass "GET $path is web/$file, ETag $etag, 304 when current"
done
request /js/app.js -H 'Accept-Encoding: gzip' --compressed
[ "$status" = 200 ] && cmp -s "$body" web/js/app.js || fail "GET /js/app.js gzipped did not inflate to web/js/app.js"
pass "GET /js/app.js with Accept-Encoding: gzip inflates to the same file"

# Chart.js, from the copy built in (the Debian file is hidden from the server).
request /vendor/chart.js
[ "$status" = 200 ] || fail "GET /vendor/chart.js answered $status"
cmp -s "$body" /usr/share/javascript/chart.js/chart.min.js || fail "GET /vendor/chart.js is not Debian's chart.min.js"
request /vendor/chart.js -H "If-None-Match: $etag"
[ "$status" = 304 ] || fail "GET /vendor/chart.js with its ETag answered $status, not 304"
pass "GET /vendor/chart.js is Debian's chart.min.js, 304 when current"

# The API: health, then the owner's one-time login code and the product list.
request /health
[ "$status" = 200 ] && grep -q '"status":"ok"' "$body" || fail "GET /health answered $status: $(cat "$body")"
code=$(grep -o '"code":"[^"]*"' "$log" | head -n 1 | cut -d'"' -f4)
[ -n "$code" ] || fail "no login code in the server's output"
request /api/auth/code -X POST -H 'Content-Type: application/json' -d "{\"code\":\"$code\"}"
[ "$status" = 200 ] || fail "signing in with the login code answered $status: $(cat "$body")"
token=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["accessToken"])' "$body")
request /api/products -H "Authorization: Bearer $token"
[ "$status" = 200 ] || fail "GET /api/products answered $status: $(cat "$body")"
products=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$body")
[ "$products" -gt 0 ] || fail "GET /api/products listed no products"
pass "/health ok; signed in with the printed code; GET /api/products lists $products products"

# A report as a workbook: the static binary finds libxlsxwriter.so.4 with dlopen (installed here).
request /api/reports/export.xlsx -H "Authorization: Bearer $token"
[ "$status" = 200 ] || fail "GET /api/reports/export.xlsx answered $status: $(head -c 300 "$body")"
[ "$(head -c 2 "$body")" = PK ] || fail "GET /api/reports/export.xlsx is not a zip (an .xlsx file)"
pass "GET /api/reports/export.xlsx is a workbook of $(stat -c %s "$body") bytes"

kill "$server"
wait "$server" || true
echo "self-contained: PASS"
