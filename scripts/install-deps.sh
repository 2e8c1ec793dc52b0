#!/usr/bin/env bash
# Installs what majordomo needs to build on Debian: libzmq (with headers and
# pkg-config, for cgo), gcc and the C library headers, then replaces Debian's
# libzmq with the same source package built with patches of ours
# (scripts/libzmq/*.patch). Does nothing when all of it is already there.
# Needs root (or sudo) only when something is missing. Non-interactive.
#
# Why a patched libzmq: a ROUTER gives a peer that sends no routing id a
# generated one, a zero byte and a 32-bit counter, but libzmq (4.1 and later,
# including Debian bookworm's 4.3.4 and upstream master) also lets a peer send
# any routing id of its own, one starting with a zero byte included, and
# never checks a generated id against those in use. A peer that claims the
# counter's next values makes the next anonymous connection collide, and
# libzmq aborts the process (`Assertion failed: ok (src/socket_base.cpp:2130)`):
# anyone who can connect to the broker can kill it. No socket option avoids
# it (ZAP never sees the peer's routing id; seeding the counter only hides
# the next value until a peer learns one). The patch treats a peer's routing
# id that starts with a zero byte as none, and makes every generated id skip
# ids in use. tests/identity_attack_test.go proves it against mdbroker.
#
# And libzmq holds every frame of a multipart message until its last one
# arrives, while ZMQ_MAXMSGSIZE bounds single frames only: one message of
# many small (or empty) frames could take all memory. The second patch makes
# ZMQ_MAXMSGSIZE bound what libzmq holds of a whole message (each frame
# counted at least 64 bytes) and drop the connection of a peer that sends
# more, as for an oversize frame. tests/multipart_bound_test.go proves it.
#
# The packages get the Debian version plus $suffix, so apt sees them as newer
# than Debian's and a second run finds them and does nothing. Change $suffix
# whenever a patch changes. On a fresh minimal bookworm with two cores the
# whole script took 5m23s with both patches (the libzmq part 299 s, mostly
# its build, with its tests skipped: DEB_BUILD_OPTIONS=nocheck); a second
# run takes 0.05 s.
set -euo pipefail

suffix="+majordomo2"
patches="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/libzmq"

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o Dpkg::Use-Pty=0 "$@"; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
version_of() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

need=()
# zsh: the test suite runs mdcli's zsh completion script in it.
for pkg in libzmq3-dev pkg-config gcc libc6-dev zsh; do
  installed "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: installing ${need[*]}" >&2
  apt_get update
  apt_get install --no-install-recommends "${need[@]}" >/dev/null
fi

if [[ "$(version_of libzmq5)" == *"$suffix" && "$(version_of libzmq3-dev)" == *"$suffix" ]]; then
  exit 0
fi

echo "install-deps: building libzmq with scripts/libzmq patches ($suffix)" >&2
started=$(date +%s)

# The source package comes from the archive (or mirror) the machine already
# takes its packages from: when apt knows no source for zeromq3, add deb-src
# entries for the suites of its "deb" entries (deb822 stanzas of *.sources
# files, and one-line entries of *.list files).
deb822_src() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    case "$f" in */majordomo-deb-src.sources) continue ;; esac
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
      /(^|\n)Types:[ \t]*deb[ \t]*(\n|$)/ { sub(/Types:[ \t]*deb[ \t]*/, "Types: deb-src"); print }' "$f"
  done
}
oneline_src() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    case "$f" in */majordomo-deb-src.list) continue ;; esac
    sed -n 's/^[ \t]*deb[ \t]/deb-src /p' "$f"
  done
}
if ! apt-cache showsrc zeromq3 2>/dev/null | grep -q '^Package: zeromq3'; then
  stanzas="$(deb822_src)"
  lines="$(oneline_src)"
  if [ -z "$stanzas" ] && [ -z "$lines" ]; then
    echo "install-deps: apt has no deb entries to derive deb-src entries from; add a deb-src entry for zeromq3" >&2
    exit 1
  fi
  [ -z "$stanzas" ] || echo "$stanzas" | $sudo tee /etc/apt/sources.list.d/majordomo-deb-src.sources >/dev/null
  [ -z "$lines" ] || echo "$lines" | $sudo tee /etc/apt/sources.list.d/majordomo-deb-src.list >/dev/null
  apt_get update
fi
apt_get install --no-install-recommends dpkg-dev fakeroot >/dev/null
apt_get build-dep --no-install-recommends zeromq3 >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
(cd "$work" && apt-get source -qq zeromq3 >/dev/null 2>&1)
src="$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'zeromq3-*' | head -n 1)"
[ -n "$src" ] || { echo "install-deps: apt-get source zeromq3 gave no source tree" >&2; exit 1; }

cd "$src"
debver="$(dpkg-parsechangelog -S Version)"
for p in "$patches"/*.patch; do
  name="majordomo-$(basename "$p")"
  # A patch that no longer applies (a new Debian version) stops the script
  # here rather than installing an unpatched library under our suffix.
  patch -p1 --dry-run --fuzz=0 --quiet <"$p" >/dev/null || {
    echo "install-deps: $p does not apply to zeromq3 $debver" >&2; exit 1; }
  cp "$p" "debian/patches/$name"
  echo "$name" >>debian/patches/series
done
{
  echo "zeromq3 ($debver$suffix) UNRELEASED; urgency=medium"
  echo
  echo "  * majordomo: ROUTER peers cannot claim generated routing ids;"
  echo "    ZMQ_MAXMSGSIZE bounds a whole multipart message"
  echo "    (scripts/libzmq in the majordomo repository)."
  echo
  echo " -- majordomo <majordomo@localhost>  $(date -R)"
  echo
  cat debian/changelog
} >debian/changelog.new
mv debian/changelog.new debian/changelog

# The distribution's own tools on PATH first: asciidoc (the man pages) runs
# "python3", which must be Debian's, not a python3 of the user's.
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH \
  DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -uc -us -rfakeroot >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2; echo "install-deps: libzmq build failed" >&2; exit 1; }

# Both packages in one dpkg call: nothing links against a half-installed pair.
v="${debver#*:}$suffix"
$sudo dpkg -i "$work/libzmq5_${v}_"*.deb "$work/libzmq3-dev_${v}_"*.deb >/dev/null
if [[ "$(version_of libzmq5)" != *"$suffix" || "$(version_of libzmq3-dev)" != *"$suffix" ]]; then
  echo "install-deps: patched libzmq did not install" >&2; exit 1
fi
echo "install-deps: libzmq $debver$suffix installed in $(($(date +%s) - started))s" >&2
