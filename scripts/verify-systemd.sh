#!/usr/bin/env bash
# Checks contrib/systemd/mdbroker.service with systemd-analyze verify, with
# ExecStart pointed at a freshly built mdbroker. Says so and passes where
# systemd-analyze is not installed (it is part of Debian's systemd package).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "verify-systemd: systemd-analyze not installed; contrib/systemd/mdbroker.service not checked"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/mdbroker" ./cmd/mdbroker
sed "s#/usr/local/bin/mdbroker#$tmp/mdbroker#" contrib/systemd/mdbroker.service >"$tmp/mdbroker.service"
# verify exits 0 on settings it ignores (a misspelt value): any word from it is a failure.
out=$(systemd-analyze verify "$tmp/mdbroker.service" 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "$out"; exit 1; fi
echo "verify-systemd: contrib/systemd/mdbroker.service ok"
