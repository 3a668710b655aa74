#!/bin/sh
# Self-test of the mesh test network (topo.sh + airhub.c), for the profiles
# "clean" and "good": routing over one and two radio hops, link-local
# multicast through the radio medium, UDP (CoAP) through it, the delay the
# profile adds, MTU and checksum offload of the radio veths, multicast
# routing in n1 with smcroute (if installed), a sleepy n3, and a teardown
# that leaves no namespace behind. Needs root (network namespaces); skips
# (77) when they cannot be created. Run time: about 20-30 s.
set -u
MESH_SRCDIR=${MESH_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
. "$MESH_SRCDIR/topo.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/corehub-mesh-00.XXXXXX")
START=$(date +%s)
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT # mesh_up adds mesh_down in front of it

skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*"
	if [ -n "$MESH_DIR" ]; then
		for f in "$MESH_DIR"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $(basename "$f")"
			tail -n 20 "$f"
		done
	fi
	exit 1
}
ok() { echo "ok: $*"; }

[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
command -v ip >/dev/null 2>&1 || skip "ip not found (apt-get install iproute2)"
command -v ethtool >/dev/null 2>&1 || skip "ethtool not found (apt-get install ethtool)"
command -v ping >/dev/null 2>&1 || skip "ping not found (apt-get install iputils-ping)"

COAP_CLIENT=${COAP_CLIENT:-$(command -v coap-client-openssl || command -v coap-client-notls || command -v coap-client || true)}
COAP_SERVER=${COAP_SERVER:-$(command -v coap-server-openssl || command -v coap-server-notls || command -v coap-server || true)}
PYTHON=$(command -v python3 || true)

if [ -z "${AIRHUB:-}" ]; then
	${CC:-cc} -O2 -Wall -Wextra -Werror -o "$TMP/airhub" \
	    "$MESH_SRCDIR/airhub.c" || fail "airhub.c does not build cleanly"
	AIRHUB=$TMP/airhub
fi
"$AIRHUB" --help | grep -q -- --frag || fail "airhub --help"
"$AIRHUB" eth0 2>/dev/null && fail "airhub accepted a single port"
"$AIRHUB" --loss 2 a b 2>/dev/null && fail "airhub accepted --loss 2"

# rtt NODE ADDR N: "MIN AVG" of N pings, in whole ms; empty if nothing
# came back.
rtt() {
	mesh_exec "$1" ping -6 -n -q -c "$3" -i 0.2 -W 2 "$2" 2>/dev/null |
	    sed -n 's|^rtt [^=]*= *\([0-9]*\)[0-9.]*/\([0-9]*\)[0-9.]*/.*|\1 \2|p'
}

# udp_check: one CoAP GET from n2 to br (two radio hops, UDP both ways),
# or a python3 UDP echo when libcoap's tools are not there.
udp_check() {
	if [ -n "$COAP_CLIENT" ] && [ -n "$COAP_SERVER" ]; then
		mesh_exec br "$COAP_SERVER" -A "$MESH_BR_ADDR" \
		    >"$TMP/coap-server.log" 2>&1 &
		srv=$!
		i=0
		until mesh_exec br ss -Hlnu "sport = :5683" | grep -q .; do
			i=$((i + 1))
			[ $i -lt 50 ] || fail "coap-server did not start"
			sleep 0.05
		done
		out=$(mesh_exec n2 "$COAP_CLIENT" -B 20 \
		    "coap://[$MESH_BR_ADDR]/" 2>&1)
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
		echo "$out" | grep -q libcoap ||
			fail "$1: CoAP GET n2 -> br through both relays: $out"
		ok "$1: UDP (CoAP GET) n2 -> br -> n2 through both relays"
	elif [ -n "$PYTHON" ]; then
		mesh_exec br "$PYTHON" -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("'"$MESH_BR_ADDR"'", 7777)); s.settimeout(20)
d, a = s.recvfrom(2000); s.sendto(d, a)' &
		srv=$!
		sleep 0.3
		out=$(mesh_exec n2 "$PYTHON" -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(2)
for i in range(5):
    s.sendto(b"mesh-echo", ("'"$MESH_BR_ADDR"'", 7777))
    try:
        print(s.recv(100).decode()); break
    except socket.timeout: pass' 2>&1)
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
		[ "$out" = mesh-echo ] || fail "$1: UDP echo n2 -> br: $out"
		ok "$1: UDP echo n2 -> br -> n2 through both relays"
	else
		echo "skip: $1: no coap-client/coap-server (libcoap3-bin) nor python3 for the UDP check"
	fi
}

# mcast_recv_check EXPECT: n2 sends UDP to ff03::fe (hop limit 5) out of
# mesh0; a listener in br joined to ff03::fe on br-mesh0 says whether it
# arrived (through n1's multicast routing).
mcast_recv_check() {
	mesh_exec br "$PYTHON" -c '
import socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 61616))
mreq = socket.inet_pton(socket.AF_INET6, "ff03::fe") + struct.pack("@I", socket.if_nametoindex("br-mesh0"))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
s.settimeout(1.5)
try:
    d, a = s.recvfrom(100); print("got", a[0])
except socket.timeout:
    print("none")' >"$TMP/mcast.out" 2>&1 &
	lis=$!
	sleep 0.3
	mesh_exec n2 "$PYTHON" -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 5)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex("mesh0"))
for i in range(3):
    s.sendto(b"rd?", ("ff03::fe", 61616)); time.sleep(0.1)' ||
		fail "multicast sender in n2"
	wait "$lis"
	grep -q "$1" "$TMP/mcast.out" ||
		fail "ff03::fe from n2 at br: expected '$1', got '$(cat "$TMP/mcast.out")'"
}

run_profile() {
	profile=$1
	mesh_up "$profile"
	rc=$?
	[ $rc -eq 77 ] && skip "cannot create network namespaces (or a tool is missing); see above"
	[ $rc -eq 0 ] || fail "$profile: mesh_up"
	P=$MESH_P
	n=$(ip netns list | grep -c "^${P}_")
	[ "$n" -eq 7 ] || fail "$profile: $n namespaces, not 7"
	ok "$profile: 7 namespaces with prefix $P"

	[ -z "$(ip -n "$MESH_NS_AIR" -6 -o addr show)" ] &&
	    [ -z "$(ip -n "$MESH_NS_AIR2" -6 -o addr show)" ] ||
		fail "$profile: IPv6 addresses in the air namespaces"
	ip -n "$MESH_NS_BR" link show br-mesh0 | grep -q 'mtu 1280' &&
	    ip -n "$MESH_NS_N2" link show mesh0 | grep -q 'mtu 1280' &&
	    ip -n "$MESH_NS_AIR2" link show b1 | grep -q 'mtu 1280' ||
		fail "$profile: radio links not MTU 1280"
	mesh_exec br ethtool -k br-mesh0 | grep -q '^tx-checksumming: off' &&
	    mesh_exec n1 ethtool -k mesh1 | grep -q '^tx-checksumming: off' ||
		fail "$profile: tx checksum offload still on"
	ok "$profile: no IPv6 in air namespaces; radio veths MTU 1280, tx csum off"

	mesh_ping lan "$MESH_N1_ADDR" || fail "$profile: ping lan -> n1"
	ok "$profile: ping lan -> n1 (one radio hop)"
	mesh_ping lan "$MESH_N2_ADDR" || fail "$profile: ping lan -> n2"
	ok "$profile: ping lan -> n2 (two radio hops)"
	i=0
	until mesh_exec lan ping -6 -n -c 1 -W 2 -t 2 "$MESH_N2_ADDR" 2>&1 |
	    grep -q "From $MESH_N1_ADDR .*[Hh]op limit"; do
		i=$((i + 1))
		[ $i -lt 5 ] || fail "$profile: hop limit 2 lan -> n2 not expired at n1"
	done
	ok "$profile: lan -> n2 goes through n1 (hop limit 2 expires there)"
	mesh_ping n2 "$MESH_BR_ADDR" || fail "$profile: ping n2 -> br"
	ok "$profile: ping n2 -> br"
	mesh_ping n3 "$MESH_LAN_ADDR" || fail "$profile: ping n3 -> lan"
	ok "$profile: ping n3 -> lan"

	ll=$(mesh_ll br br-mesh0)
	[ -n "$ll" ] || fail "$profile: no link-local address on br-mesh0"
	i=0
	until mesh_exec n1 ping -6 -n -c 3 -i 0.2 -w 2 ff02::1%mesh0 2>&1 |
	    grep -q "from $ll"; do
		i=$((i + 1))
		[ $i -lt 3 ] || fail "$profile: ff02::1%mesh0 from n1: no answer from br ($ll)"
	done
	ok "$profile: link-local multicast n1 -> ff02::1%mesh0 answered by br $ll"

	udp_check "$profile"

	r=$(rtt lan "$MESH_N2_ADDR" 5)
	[ -n "$r" ] || fail "$profile: no ping reply for the RTT"
	min=${r% *} avg=${r#* }
	case $profile in
	clean)
		[ "$avg" -lt 20 ] ||
			fail "clean: RTT lan -> n2 avg $avg ms, expected < 20"
		ok "clean: RTT lan -> n2 avg ${avg} ms (< 20)"
		;;
	good)
		[ "$min" -gt 20 ] ||
			fail "good: RTT lan -> n2 min $min ms, expected > 20"
		ok "good: RTT lan -> n2 min ${min} ms avg ${avg} ms (> 20)"
		;;
	esac

	if [ "$profile" = clean ]; then
		if [ -z "$PYTHON" ]; then
			echo "skip: clean: no python3 for the multicast routing check"
		else
			mcast_recv_check none
			ok "clean: ff03::fe from n2 does not cross n1 without smcroute"
			mesh_smcroute
			rc=$?
			if [ $rc -eq 77 ]; then
				echo "skip: clean: smcroute not installed, no multicast routing check"
			else
				[ $rc -eq 0 ] || fail "clean: mesh_smcroute"
				mcast_recv_check "got $MESH_N2_ADDR"
				ok "clean: ff03::fe from n2 reaches br through smcroute in n1"
			fi
		fi

		mesh_sleep n3 2 2
		sleep 0.5
		mesh_exec br ping -6 -n -c 1 -W 1 "$MESH_N3_ADDR" >/dev/null 2>&1 &&
			fail "clean: sleeping n3 answered"
		sleep 2
		mesh_ping br "$MESH_N3_ADDR" 3 || fail "clean: n3 did not wake up"
		mesh_wake n3
		mesh_ping lan "$MESH_N3_ADDR" || fail "clean: n3 after mesh_wake"
		ok "clean: mesh_sleep n3: unreachable while down, reachable after"
	fi

	mesh_stats >"$TMP/stats"
	[ "$(grep -c '^port ' "$TMP/stats")" -eq 5 ] ||
		fail "$profile: relay counters: $(cat "$TMP/stats")"
	awk '$2 == "air0" && $6 > 0 && $4 > 0 { f = 1 } END { exit !f }' \
	    "$TMP/stats" || fail "$profile: air0 counters: $(cat "$TMP/stats")"
	ok "$profile: relay counters: $(awk '{ i += $4; o += $6; l += $8 } END { print i " in, " o " out, " l " lost" }' "$TMP/stats")"

	pids=$(cat "$MESH_DIR"/air.pid "$MESH_DIR"/air2.pid)
	mesh_down
	left=$(ip netns list | grep "^${P}_")
	[ -z "$left" ] || fail "$profile: namespaces left after mesh_down: $left"
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && fail "$profile: relay $p still running"
	done
	ok "$profile: mesh_down left no namespace and no relay"
}

run_profile clean
run_profile good

# A failed mesh_up leaves nothing behind either.
AIRHUB_SAVED=$AIRHUB
AIRHUB=/bin/false # builds everything, then the relay fails
mesh_up clean 2>/dev/null && fail "mesh_up with a missing relay succeeded"
P=m$$
[ -z "$(ip netns list | grep "^${P}_")" ] ||
	fail "a failed mesh_up left namespaces"
AIRHUB=$AIRHUB_SAVED
ok "a failed mesh_up leaves nothing behind"

echo "mesh self-test: $(($(date +%s) - START)) s"
exit 0
