#!/bin/sh
# Resource Directory benchmarks: prints figures, asserts nothing.
#   bench/rd-bench.sh [MAX]        MAX endpoints (default 100000)
# Environment: COREHUBD (default: an optimised build in bench/build),
# SYNC=full|normal (database-sync, default full), CPU_D/CPU_L (cores for
# the daemon and the load generator, default 0 and 1).
#
# The daemon and coapload (hand-encoded CoAP over UDP, 16 source ports)
# are pinned to different cores. Rates are closed-loop with 64 requests
# in flight unless said otherwise; server CPU per request is read from
# /proc/PID/stat around each run, since this machine is noisy.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
MAX=${1:-100000}
SYNC=${SYNC:-full}
CPU_D=${CPU_D:-0}
CPU_L=${CPU_L:-1}
work=$(mktemp -d /tmp/corehub-bench.XXXXXX)
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
pid=

if [ -z "${COREHUBD:-}" ]; then
	[ -x configure ] || autoreconf -fi >/dev/null
	mkdir -p bench/build
	(cd bench/build && { [ -f Makefile ] || "$top/configure" -q \
	    CFLAGS="-O2 -g" --localstatedir="$work"; } &&
	    make -s -j"$(nproc)" src/corehubd) >/dev/null
	COREHUBD=$top/bench/build/src/corehubd
fi
cc -O2 -o "$work/coapload" bench/coapload.c
port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
# The same 16 source ports in every run: the same clients, not 16 new
# sessions a run (libcoap 4.3.1 walks every session for each packet it
# reads, so leftover idle sessions would slow later runs down).
src=$(( port < 40000 ? port + 1000 : port - 1000 ))
LOAD="taskset -c $CPU_L $work/coapload -P $src"
cat > "$work/corehub.conf" <<CONF
database $work/corehub.db
database-sync $SYNC
log-level warning
listen coap://127.0.0.1:$port
max-sessions 4096
rd-max-registrations $((MAX + 1000))
CONF

start() {
	: > "$work/log"
	taskset -c "$CPU_D" "$COREHUBD" -f "$work/corehub.conf" \
	    >>"$work/log" 2>&1 &
	pid=$!
}
cpu_ticks() {	# utime + stime of the daemon, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$pid/stat"
}
rss_kb() {
	awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"
}
# run ARGS...: one coapload run, with the server's CPU per answer.
run() {
	t0=$(cpu_ticks)
	out=$($LOAD -p "$port" "$@")
	t1=$(cpu_ticks)
	n=$(echo "$out" | sed -n 's/.* answered=\([0-9]*\).*/\1/p')
	hz=$(getconf CLK_TCK)
	cpu=$(awk -v t="$((t1 - t0))" -v n="$n" -v hz="$hz" \
	    'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "-" }')
	echo "$out cpu_us_per_req=$cpu"
}
wait_serving() {
	i=0
	until [ "$(taskset -c "$CPU_L" "$work/coapload" -p "$port" -m wk -n 1 -t 100 | sed -n 's/.*answered=\([0-9]*\).*/\1/p')" = 1 ]; do
		i=$((i + 1)); [ $i -lt 600 ] || { echo "daemon never served"; exit 1; }
	done
}
lookups() {	# N endpoints registered
	echo "## lookups at $1 endpoints: rate with 64 in flight, then latency with 1"
	for m in ep rt href; do
		run -m $m -k "$1" -n 50000 -w 64
		run -m $m -k "$1" -n 5000 -w 1
	done
	echo "first page (count=10) of a lookup matching everything:"
	run -m page -n 20000 -w 64
	run -m page -n 5000 -w 1
}

echo "# corehub RD benchmark: $(date -u +%Y-%m-%dT%H:%MZ), database-sync $SYNC, $(nproc) cores"
start
wait_serving
echo "## registration storm, 2 links each (durable acknowledgements)"
done_n=0
rss0=$(rss_kb)
for step in 1000 9000; do
	[ $done_n -lt "$MAX" ] || break
	run -m register -f $done_n -n $step -w 64
	done_n=$((done_n + step))
	[ $done_n -eq 1000 ] && { rss1k=$(rss_kb); lookups 1000; }
done
[ $done_n -ne 10000 ] || lookups 10000
bucket=2
while [ $done_n -lt "$MAX" ]; do
	echo "bucket $bucket ($done_n to $((done_n + 10000))):"
	run -m register -f $done_n -n 10000 -w 64
	done_n=$((done_n + 10000))
	case $done_n in 10000|50000|100000) lookups $done_n;; esac
	bucket=$((bucket + 1))
done
[ $done_n -ge 10000 ] || lookups $done_n
rssN=$(rss_kb)
echo "## memory: $(( (rssN - rss1k) * 1024 / (done_n - 1000) )) bytes per registration of two links (RSS $rss1k kB at 1000, $rssN kB at $done_n; $rss0 kB empty)"

echo "## open loop at half the closed-loop ep-lookup rate"
cap=$($LOAD -p "$port" -m ep -k $done_n -n 50000 -w 64 | sed -n 's/.* rate=\([0-9]*\).*/\1/p')
half=$((cap / 2))
run -m ep -k $done_n -n $((half * 5)) -r $half -t 1000

echo "## restart with $done_n stored registrations"
kill -TERM $pid; wait $pid 2>/dev/null || true
t0=$(date +%s%N)
start
wait_serving
t1=$(date +%s%N)
echo "serving_after_ms=$(( (t1 - t0) / 1000000 ))"
run -m ep -k $done_n -n 1000 -w 16
