#!/bin/sh
# Broker benchmarks: prints figures, asserts nothing.
#   bench/ps-bench.sh
# Environment: COREHUBD (default: an optimised build in bench/build),
# CPU_D/CPU_L (cores for the broker and the load, default 0 and 1),
# TOPICS (distinct topics of the durable publish run, default 10000).
#
# Fan-out: S subscribers (one UDP socket each) follow one topic, and a
# publisher keeps 16 publishes in flight (closed loop), then publishes at
# a fixed rate of 50,000 notifications/s (open loop) for the latency and
# CPU figures. Every run has a fresh broker: subscriptions left by an
# earlier run would still be notified. If mosquitto is installed, the same
# open-loop fan-out runs against it over MQTT QoS 0. Durable publishes: PUT
# on TOPICS distinct topics, 64 in flight, each acknowledged only once
# committed, with database-sync full (power-loss safe) and normal (crash
# safe); the directory's registrations, measured the same way, for scale.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
CPU_D=${CPU_D:-0}
CPU_L=${CPU_L:-1}
TOPICS=${TOPICS:-10000}
work=$(mktemp -d /tmp/corehub-psbench.XXXXXX)
pid=
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

if [ -z "${COREHUBD:-}" ]; then
	[ -x configure ] || autoreconf -fi >/dev/null
	mkdir -p bench/build
	(cd bench/build && { [ -f Makefile ] || "$top/configure" -q \
	    CFLAGS="-O2 -g" --localstatedir="$work"; } &&
	    make -s -j"$(nproc)" src/corehubd) >/dev/null
	COREHUBD=$top/bench/build/src/corehubd
fi
cc -O2 -o "$work/psfan" bench/psfan.c
cc -O2 -o "$work/coapload" bench/coapload.c
port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
LOAD="taskset -c $CPU_L"

start() {	# a fresh broker with an empty database; $1: database-sync
	rm -f "$work"/corehub.db*
	cat > "$work/corehub.conf" <<CONF
database $work/corehub.db
database-sync ${1:-full}
log-level warning
listen coap://127.0.0.1:$port
max-sessions 8192
ps-max-topics $((TOPICS + 10))
ps-max-subscribers 100000
ps-rd-base off
CONF
	taskset -c "$CPU_D" "$COREHUBD" -f "$work/corehub.conf" \
	    >"$work/log" 2>&1 &
	pid=$!
	i=0
	until coap-client-openssl -B 1 "coap://127.0.0.1:$port/ps" \
	    >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "no broker"; exit 1; }
		sleep 0.1
	done
}
stop() {
	kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
	pid=
}
# topic CBOR: {0: "fan", 2: "core.ps.data"}, with -65537: true (volatile)
topic() {
	if [ "$1" = volatile ]; then
		printf '\243\000\143fan\002\154core.ps.data\072\000\001\000\000\365'
	else
		printf '\242\000\143fan\002\154core.ps.data'
	fi > "$work/topic.cbor"
	coap-client-openssl -m post -t 606 -f "$work/topic.cbor" \
	    "coap://127.0.0.1:$port/ps" >/dev/null
	coap-client-openssl -m put -e start \
	    "coap://127.0.0.1:$port/ps/data/1" >/dev/null
}

echo "# corehub broker benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
echo "## fan-out, volatile topic: closed loop (16 publishes in flight)"
for S in 1 10 100 1000; do
	start; topic volatile
	$LOAD "$work/psfan" -p "$port" -t ps/data/1 -S $S \
	    -n $((200000 / S + 2000)) -w 16 -d "$pid"
	stop
done
echo "## fan-out, durable topic (each value committed before it is sent)"
for S in 1 100; do
	start; topic durable
	$LOAD "$work/psfan" -p "$port" -t ps/data/1 -S $S \
	    -n $((100000 / S + 1000)) -w 16 -d "$pid"
	stop
done
echo "## fan-out at 50,000 notifications/s (open loop): latency and CPU"
for S in 10 100 1000; do
	start; topic volatile
	$LOAD "$work/psfan" -p "$port" -t ps/data/1 -S $S \
	    -n $((200000 / S)) -r $((50000 / S)) -d "$pid"
	stop
done
if command -v mosquitto >/dev/null 2>&1; then
	mport=$((port + 1))
	printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$mport" \
	    > "$work/mosquitto.conf"
	taskset -c "$CPU_D" mosquitto -c "$work/mosquitto.conf" \
	    >"$work/mosquitto.log" 2>&1 &
	mpid=$!
	sleep 0.5
	echo "## the same open loop against $(mosquitto -h 2>/dev/null | head -n 1), MQTT QoS 0"
	for S in 10 100 1000; do
		$LOAD "$work/psfan" -M mqtt -p "$mport" -t "bench/fan$S" \
		    -S $S -n $((200000 / S)) -r $((50000 / S)) -d "$mpid"
	done
	kill "$mpid"; wait "$mpid" 2>/dev/null || true
else
	echo "## mosquitto not installed: no MQTT comparison"
fi

for sync in full normal; do
	echo "## durable publishes on $TOPICS distinct topics, database-sync $sync (64 in flight)"
	start $sync
	$LOAD "$work/coapload" -p "$port" -m topic -n "$TOPICS" -w 64 -s 16
	$LOAD "$work/coapload" -p "$port" -m publish -f 1 -k "$TOPICS" \
	    -n 200000 -w 64 -s 16
	echo "for scale, directory registrations on the same machine:"
	$LOAD "$work/coapload" -p "$port" -m register -n 50000 -w 64 -s 16
	stop
done
