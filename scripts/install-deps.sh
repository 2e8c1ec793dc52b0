#!/usr/bin/env bash
# Installs what majordomo needs to build on Debian: libzmq (with headers and
# pkg-config, for cgo), gcc and the C library headers. Does nothing when all
# of it is already there. Needs root (or sudo) only when something is missing.
set -euo pipefail

need=()
for pkg in libzmq3-dev pkg-config gcc libc6-dev; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    need+=("$pkg")
  fi
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
