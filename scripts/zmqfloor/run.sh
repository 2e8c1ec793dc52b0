#!/usr/bin/env bash
# run.sh - measure the floor libzmq puts on a round trip through a broker.
#
# usage: scripts/zmqfloor/run.sh C W [FRAMES] [SECONDS]
#   C clients, W requests in flight each, FRAMES frames per request (default 1;
#   6 gives MDP's frame counts, see floor.c), SECONDS measured (default 5) after
#   a 1 s warm-up. Workers: 1 DEALER when C=1, else 4 (as mdbench's default runs).
#   env FLOOR_FRONT_PORT / FLOOR_BACK_PORT (default 5600/5601), or FLOOR_FRONT /
#   FLOOR_BACK as full endpoints (e.g. ipc://...), override where the relay binds.
#   env FLOOR_BIN uses a prebuilt binary instead of building one.
#
# It builds floor.c with gcc (needs libzmq's headers) into a temp dir, starts the
# relay and workers, waits until the relay accepts connections, runs the client
# and prints one JSON line:
#   req_per_s, p50_us, p99_us   throughput and latency seen by the client
#   relay_cpu_us_per_req        relay process CPU (user+sys, from /proc) over the
#                               measured window divided by requests: what libzmq
#                               alone costs a broker per request. Compare it with
#                               mdbench's broker_cpu_us_per_req at the same shape;
#                               the difference is the protocol and our Go code.
#   relay_cpu_pct               the relay's CPU use (100 = one core)
#   frames, reply_frames        frames per request sent and per reply received
# All processes run on this machine, so on a small box client, workers and relay
# compete for cores; compare numbers only between runs on the same machine.
set -euo pipefail

C=${1:?usage: run.sh C W [FRAMES] [SECONDS]}
W=${2:?usage: run.sh C W [FRAMES] [SECONDS]}
F=${3:-1}
D=${4:-5}
FP=${FLOOR_FRONT_PORT:-5600}
BP=${FLOOR_BACK_PORT:-5601}
export FLOOR_FRONT=${FLOOR_FRONT:-tcp://127.0.0.1:$FP}
export FLOOR_BACK=${FLOOR_BACK:-tcp://127.0.0.1:$BP}

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bin=${FLOOR_BIN:-}
if [ -z "$bin" ]; then
	bin=$tmp/floor
	gcc -O2 -o "$bin" "$here/floor.c" -lzmq
fi

"$bin" relay &
relay=$!
pids+=("$relay")
M=4
[ "$C" = 1 ] && M=1
"$bin" worker "$M" &
pids+=("$!")

# Wait for the relay's front port (tcp only; the workers' READYs follow within
# milliseconds, and the client's 1 s warm-up covers them).
case $FLOOR_FRONT in
tcp://*)
	hp=${FLOOR_FRONT#tcp://}
	for i in $(seq 100); do
		if bash -c "</dev/tcp/${hp%:*}/${hp##*:}" 2>/dev/null; then break; fi
		if ! kill -0 "$relay" 2>/dev/null; then echo "relay exited" >&2; exit 1; fi
		[ "$i" = 100 ] && { echo "relay not listening on $FLOOR_FRONT" >&2; exit 1; }
		sleep 0.05
	done
	;;
*) sleep 0.3 ;;
esac

FLOOR_RELAY_PID=$relay "$bin" client "$C" "$W" "$D" "$F"
