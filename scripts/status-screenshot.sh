#!/usr/bin/env bash
# Checks mdbroker's status page in a real browser: builds mdbroker, the
# echo example worker and mdcli, starts a broker on ephemeral loopback
# ports with a few workers (one under a hostile service name), sends some
# requests, then has headless Chromium dump the page's DOM (whose text is
# checked) and take a screenshot. Every process it starts is stopped on
# exit, whatever happens.
#
# Chromium is Debian's `chromium` package. It is not in install-deps.sh on
# purpose: it is far too heavy for every CI run. Where it is missing this
# script says so and passes, as `make test` runs it.
#
# STATUS_SCREENSHOT=FILE keeps the screenshot (default: a temporary file,
# removed on exit).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "status-screenshot: chromium not installed; the status page was not checked in a browser"
  exit 0
fi
tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
shot=${STATUS_SCREENSHOT:-$tmp/status.png}

go build -o "$tmp/" ./cmd/mdbroker ./cmd/mdcli ./examples/echo/worker
"$tmp/mdbroker" --bind 'tcp://127.0.0.1:*' --admin 127.0.0.1:0 --heartbeat 250ms --log-format json 2>"$tmp/broker.log" &
pids+=($!)
started=""
for _ in $(seq 200); do
  started=$(grep -m1 '"mdbroker started"' "$tmp/broker.log" || true)
  [ -n "$started" ] && break
  sleep 0.1
done
[ -n "$started" ] || { echo "status-screenshot: mdbroker did not start"; cat "$tmp/broker.log"; exit 1; }
ep=$(sed -E 's/.*"endpoints":\["([^"]+)".*/\1/' <<<"$started")
admin=$(sed -E 's/.*"admin":"([^"]+)".*/\1/' <<<"$started")

for svc in echo echo reports '<b>hostile</b>'; do
  "$tmp/worker" --broker "$ep" --service "$svc" 2>>"$tmp/workers.log" &
  pids+=($!)
done
workers=0
for _ in $(seq 200); do
  workers=$(curl -fsS "http://$admin/api/status" | grep -o '"workers":[0-9]*' | awk -F: '{n += $2} END {print n + 0}' || echo 0)
  [ "${workers:-0}" -ge 4 ] && break
  sleep 0.1
done
[ "${workers:-0}" -ge 4 ] || { echo "status-screenshot: workers did not register ($workers)"; exit 1; }
for i in $(seq 20); do "$tmp/mdcli" --broker "$ep" call echo "hello $i" >/dev/null; done
"$tmp/mdcli" --broker "$ep" call reports "monthly" >/dev/null

browse() {
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --user-data-dir="$(mktemp -d -p "$tmp")" --window-size=1280,900 "$@" 2>>"$tmp/chromium.log"
}
browse --dump-dom "http://$admin/" >"$tmp/dom.html"
fail=0
for want in 'majordomo broker' '>echo</a>' '>reports</a>' '&lt;b&gt;hostile&lt;/b&gt;' 'Uptime' 'overflow' \
  'http-equiv="refresh"'; do
  grep -qF -- "$want" "$tmp/dom.html" || { echo "status-screenshot: the page lacks $want"; fail=1; }
done
if grep -qF '<b>hostile</b>' "$tmp/dom.html"; then echo "status-screenshot: a service name reached the DOM as markup"; fail=1; fi
if [ "$fail" -ne 0 ]; then cat "$tmp/dom.html"; exit 1; fi
browse --dump-dom "http://$admin/service?name=echo" >"$tmp/service.html"
grep -qF 'Service echo' "$tmp/service.html" && [ "$(grep -o '<td class="l">idle</td>\|<td class="l">busy</td>' "$tmp/service.html" | wc -l)" -eq 2 ] ||
  { echo "status-screenshot: the echo page does not list its 2 workers"; cat "$tmp/service.html"; exit 1; }
browse --screenshot="$shot" "http://$admin/" >/dev/null
[ -s "$shot" ] || { echo "status-screenshot: no screenshot"; exit 1; }
kept="screenshot $shot"
[ -n "${STATUS_SCREENSHOT:-}" ] || kept="set STATUS_SCREENSHOT=FILE to keep the screenshot"
echo "status-screenshot: status page ok in Chromium ($(chromium --version 2>/dev/null | head -1)); $kept"
