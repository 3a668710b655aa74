#!/bin/sh
# The resource directory across the multi-hop mesh (issue 6): corehubd on
# the border router br (tests/mesh/topo.sh), with a constrained interface
# block for br-mesh0 and one for br-lan0, under the radio profile
# $MESH_PROFILE (default good; typical passes too, with retransmissions):
#
#   a. the multicast groups joined on br-mesh0 (no realm-local ones on
#      br-lan0);
#   b. multicast discovery from n1 on ff02::fe%mesh0: answered from the
#      routable fd00:2::1; silence (no error, no reset) for a filter that
#      selects nothing and for an unknown path;
#   c. realm-local discovery from n2, two hops away, on ff03::fe through
#      smcroute in n1 (skipped without smcroute);
#   d. simple registration from n1 and n2 (coap-device), looked up from
#      lan with the devices' ULA base;
#   e. full registration from n1 and n2 (coap-client), looked up from lan;
#   f. a duplicated POST is one registration: a simple registration whose
#      POSTs are all sent twice, done twice (f1); a full registration
#      whose CON POST is retransmitted 2 s later as if its ACK was lost
#      (f2, python3): one registration, one Location, processed once;
#   g. a sleepy n3 (mesh_sleep) keeps its registration while asleep until
#      its lifetime (lt=30) ends, and leaves the lookups then (checked in
#      the background while the other cases run);
#   h. no IPv6 fragment leaves on br-mesh0 while n2 reads a large lookup
#      (nftables counters; skipped without nft), and the result is
#      complete;
#   i. a registration over DTLS (PSK) from n2;
#   j. the RD proxy: n2 registers with proxy=yes (simple registration)
#      and lan, whose forwarding into the mesh br then drops (nftables;
#      without nft lan could route there, and the case still runs), reads
#      n2's /sensors/temp through corehub with the Uri-Host of n2's proxy
#      name.
#
# Each case has its own deadline, a bounded wait with retries inside it:
# $DL seconds, 20 for clean and good, 60 for typical, 120 for harsh
# (MESH_DEADLINE overrides); each lookup of h has 3 * $DL, and g its own
# schedule (15 s, lt - 2 s, then gone by lt + 10 s). A failed case does
# not stop the others; the test fails at the end if any did.
# MESH_CASES="d f2 h" runs only those (any subset: each case stands
# alone). Needs root and network namespaces (skips, 77, without them),
# ip, ethtool, python3, coap-client and coap-device; smcroute and
# nftables are optional. About 40 s with good, 2 min with typical.
PROFILE=${MESH_PROFILE:-good}	# read before topo.sh, which resets it
. "${top_srcdir:?}/tests/integration/lib.sh"
MESH_SRCDIR=${MESH_SRCDIR:-$top_srcdir/tests/mesh}
. "$MESH_SRCDIR/topo.sh"

case $PROFILE in
clean | good) DL=20 ;;
typical) DL=60 ;;
harsh) DL=120 ;;
*) echo "FAIL: unknown MESH_PROFILE '$PROFILE' (clean good typical harsh)"; exit 1 ;;
esac
DL=${MESH_DEADLINE:-$DL}
# Under harsh, the cases a device itself gets through. A lookup of 46
# exchanges (h), a DTLS handshake (i) and a POST whose two copies and two
# ACKs must all cross two hops (f2) are beyond coap-client's four
# retransmissions at 15 % loss a fragment; MESH_CASES still runs them.
[ "$PROFILE" = harsh ] && : "${MESH_CASES:=a b c d e f1 g j}"
START=$(date +%s)
FAILS=

# A failure also shows the relays' counters; lib.sh's cleanup shows the
# daemon's log when FAILED is set.
fail() {
	echo "FAIL: $*"
	FAILED=1
	[ -n "$MESH_P" ] && mesh_stats | sed 's/^/relay: /'
	exit 1
}
now() { date +%s; }

[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
need_client
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
[ -x "${COAP_DEVICE:-}" ] || skip "coap-device not built (COAP_DEVICE)"

mesh_up "$PROFILE"
rc=$?
[ $rc -eq 77 ] && skip "cannot create network namespaces (or ip, ethtool or cc is missing; see above)"
[ $rc -eq 0 ] || fail "mesh_up $PROFILE"
echo "profile $PROFILE, deadline $DL s a case, namespaces $MESH_P"

# wanted NAME: whether MESH_CASES (default: all) has the case.
wanted() {
	case " ${MESH_CASES:-$1} " in *" $1 "*) return 0 ;; esac
	return 1
}

# run_case NAME: runs case_NAME in a subshell (its fail ends only the
# case) and notes a failure; 77 is a skipped case.
run_case() {
	wanted "$1" || return 0
	rc_t=$(now)
	(case_"$1")
	rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 77 ] || FAILS="$FAILS $1"
	echo "case $1: $(($(now) - rc_t)) s"
}

# until_ok SECONDS CMD...: runs CMD (itself bounded) until it succeeds or
# SECONDS have passed since the first try.
until_ok() {
	uo_end=$(($(now) + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$(now)" -lt "$uo_end" ] || return 1
		sleep 0.5
	done
}

# mcoap NODE SECONDS URI [OPTIONS...]: a coap-client request from NODE,
# bounded by SECONDS; the payload on stdout.
mcoap() {
	mc_n=$1 mc_s=$2 mc_u=$3
	shift 3
	mesh_exec "$mc_n" "$COAP_CLIENT" -B "$mc_s" "$@" "$mc_u" \
	    2>>"$TMP/client.err"
}

# mcode NODE SECONDS URI [OPTIONS...]: the response code of a request
# from NODE (lib.sh's coap_code, in a namespace), nothing without one.
mcode() {
	mc_n=$1 mc_s=$2 mc_u=$3
	shift 3
	mesh_exec "$mc_n" "$COAP_CLIENT" -B "$mc_s" -v 7 -T "$(coap_token)" \
	    "$@" "$mc_u" 2>&1 | coap_code_of
}

# lookup WHAT: a lookup (ep?... or res?...) from lan, one wired hop.
lookup() { mcoap lan 10 "coap://[$MESH_BR_LAN_ADDR]/rd-lookup/$1"; }

# has_links WHAT STRING...: the lookup from lan has every string.
has_links() {
	hl_q=$1
	shift
	hl_out=$(lookup "$hl_q") || return 1
	for hl_p in "$@"; do
		printf '%s\n' "$hl_out" | grep -qF -- "$hl_p" || return 1
	done
}

### The border router's daemon.
echo 'mesh-n2 n2-secret-key' >"$TMP/psk"
write_conf <<CONF
rd-grace 1
listen coap://[::]:5683
listen coaps://[::]:5684 {
	psk-file $TMP/psk
}
interface br-mesh0 {
	constrained yes
	leisure 1
	ack-timeout 3
	max-retransmit 6
}
interface br-lan0 {
	leisure 0.5
}
proxy-base coap://proxy.mesh.test
CONF
: >"$TMP/daemon.log"
mesh_exec br "$COREHUBD" -f "$TMP/corehub.conf" >>"$TMP/daemon.log" 2>&1 &
DAEMON_PID=$!
i=0
until grep -q "start of service" "$TMP/daemon.log"; do
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "corehubd exited before it served"
	i=$((i + 1))
	[ $i -lt 200 ] || fail "corehubd did not start within 20 s"
	sleep 0.1
done
ok "corehubd serves in br ($(($(now) - START)) s)"

### a. Groups.
groups_joined() {
	gj_m=$(ip -n "$MESH_NS_BR" maddr show dev br-mesh0) || return 1
	for g in ff02::fe ff05::fe ff02::fd ff05::fd ff03::fe ff03::fd; do
		printf '%s\n' "$gj_m" | grep -q "inet6 $g\$" || return 1
	done
}
case_a() {
	until_ok 10 groups_joined ||
		fail "a: groups on br-mesh0: $(ip -n "$MESH_NS_BR" maddr show dev br-mesh0)"
	lan_m=$(ip -n "$MESH_NS_BR" maddr show dev br-lan0)
	printf '%s\n' "$lan_m" | grep -q 'inet6 ff02::fe$' ||
		fail "a: ff02::fe not joined on br-lan0: $lan_m"
	if printf '%s\n' "$lan_m" | grep -q 'inet6 ff03::'; then
		fail "a: realm-local groups on br-lan0, which is not constrained: $lan_m"
	fi
	ok "a: ff02::fe ff05::fe ff02::fd ff05::fd ff03::fe ff03::fd joined on br-mesh0"
}
run_case a

### g, first part, in this shell (mesh_sleep's loop must be known to
### mesh_down): a sleepy n3 registers with lt=30 and falls asleep; the
### checks run in the background while the other cases go on.
LT=30
G_PID=
g_register() {
	g_lo=$(now)
	code=$(mcode n3 "$DL" "coap://[$MESH_BR_ADDR]/rd?ep=sleepy&lt=$LT&base=coap://[$MESH_N3_ADDR]" \
	    -m post -t 40 -e '</zz>;rt="sleep"')
	g_hi=$(now)
	[ "$code" = 2.01 ]
}
sleep_until() { while [ "$(now)" -lt "$1" ]; do sleep 0.2; done; }
case_g() {
	sleep_until $((g_hi + 15))
	ip -n "$MESH_NS_N3" link show mesh0 | grep -q 'state DOWN' ||
		fail "g: n3's link is not down at 15 s"
	has_links 'ep?ep=sleepy' 'ep=sleepy' ||
		fail "g: registration gone at 15 s while n3 sleeps: $(lookup 'ep?ep=sleepy')"
	ok "g: n3 asleep, its registration still looked up at 15 s"
	if [ "$g_hi" -lt $((g_lo + LT - 3)) ]; then
		sleep_until $((g_lo + LT - 2))
		has_links 'res?ep=sleepy' '/zz>' ||
			fail "g: registration gone at $((LT - 2)) s, before its lifetime"
		ok "g: still looked up at $((LT - 2)) s"
	fi
	# gone from both lookups once the lifetime is over
	while :; do
		t=$(now)
		o=$(lookup 'ep?ep=sleepy')$(lookup 'res?ep=sleepy') || o=error
		[ -z "$o" ] && break
		[ "$t" -lt $((g_hi + LT + 10)) ] ||
			fail "g: still there $((t - g_lo)) s after the registration (lt=$LT): $o"
		sleep 1
	done
	[ "$t" -ge $((g_lo + LT - 1)) ] ||
		fail "g: gone after $((t - g_lo)) s, before its lifetime $LT s"
	grep -q 'registration ep=sleepy expired' "$TMP/daemon.log" ||
		fail "g: no 'registration ep=sleepy expired' in the daemon's log"
	ok "g: gone from the lookups $((t - g_lo)) s after the registration (lt=$LT)"
}
if ! wanted g; then
	:
elif ! until_ok "$DL" g_register; then
	echo "FAIL: g: registration from n3 answered '$code'"
	FAILS="$FAILS g"
elif ! has_links 'res?ep=sleepy' "<coap://[$MESH_N3_ADDR]/zz>"; then
	echo "FAIL: g: sleepy not in the lookup: $(lookup 'res?ep=sleepy')"
	FAILS="$FAILS g"
else
	mesh_sleep n3 20 5
	ok "g: n3 registered with lt=$LT (after $((g_hi - g_lo)) s) and sleeps (20 s down, 5 up)"
	(case_g) >"$TMP/g.out" 2>&1 &
	G_PID=$!
fi

### b. Multicast discovery from n1, one radio hop.
probe() {
	pr_n=$1
	shift
	mesh_exec "$pr_n" python3 "$MESH_SRCDIR/probe.py" "$@"
}

# discovered NODE IFACE GROUP HOPS: two probes, answered by br with the
# directory.
discovered() {
	out=$(probe "$1" "$2" "$3" '/.well-known/core?rt=core.rd*' 2 4 "$4" \
	    first 2>>"$TMP/probe.err")
	printf '%s\n' "$out" | head -n 1 | grep -q "^answers [1-9][0-9]* $MESH_BR_ADDR\$" &&
	    printf '%s\n' "$out" | tail -n 1 | grep -q '^</rd>;ct=40;rt="core.rd"'
}
case_b() {
	until_ok "$DL" discovered n1 mesh0 ff02::fe%mesh0 1 ||
		fail "b: discovery from n1 on ff02::fe%mesh0: $out"
	ok "b: ff02::fe%mesh0 from n1 answered from $MESH_BR_ADDR: $(printf '%s\n' "$out" | tail -n 1)"
	# silence: 3 requests each, for the leisure and two round trips
	probe n1 mesh0 ff02::fe%mesh0 '/.well-known/core?rt=nomatch' 3 3 1 \
	    >"$TMP/silent1" 2>&1 &
	probe n1 mesh0 ff02::fe%mesh0 '/nothing/here' 3 3 1 >"$TMP/silent2" 2>&1
	wait $!
	for f in "$TMP/silent1" "$TMP/silent2"; do
		if ! grep -q '^answers 0' "$f" || ! grep -q '^others 0$' "$f"
		then
			fail "b: ff02::fe answered $([ "$f" = "$TMP/silent1" ] &&
			    echo '?rt=nomatch' || echo /nothing/here): $(cat "$f")"
		fi
	done
	ok "b: no answer, error or reset for ?rt=nomatch and an unknown path"
}
run_case b

### c. Realm-local discovery from n2, two radio hops, through smcroute.
case_c() {
	mesh_smcroute
	rc=$?
	if [ "$rc" -eq 77 ]; then
		echo "skip: c: smcroute not installed (apt-get install smcroute): no realm-local discovery over two hops"
		exit 77
	fi
	[ "$rc" -eq 0 ] || fail "c: mesh_smcroute"
	until_ok "$DL" discovered n2 mesh0 ff03::fe 4 ||
		fail "c: discovery from n2 on ff03::fe (hop limit 4): $out"
	ok "c: ff03::fe from n2 (two hops, routed by n1) answered from $MESH_BR_ADDR"
}
run_case c

### d. Simple registration from n1 and n2 (coap-device on port 5683).
printf '%s' '</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux"' \
    >"$TMP/dev.lf"
# simple NODE ADDR EP [coap-device options]: 2.04 within the deadline;
# the POST is retransmitted after 3, 6, 12 and 24 s.
simple() {
	s_n=$1 s_a=$2 s_e=$3
	shift 3
	code=$(mesh_exec "$s_n" "$COAP_DEVICE" -a 3 -t "$DL" -b "$s_a" \
	    -r "[$MESH_BR_ADDR]:5683" -q "ep=$s_e" "$@" 5683 "$TMP/dev.lf" \
	    2>>"$TMP/device.err")
	[ "$code" = 2.04 ]
}
case_d() {
	for d in "n1 $MESH_N1_ADDR dev-n1" "n2 $MESH_N2_ADDR dev-n2"; do
		# shellcheck disable=SC2086 # "NODE ADDR EP", split on purpose
		set -- $d
		t=$(now)
		until_ok "$DL" simple "$1" "$2" "$3" ||
			fail "d: simple registration from $1 answered '$code'"
		until_ok 10 has_links "res?ep=$3" \
		    "<coap://[$2]/sensors/temp>;rt=\"temperature-c\"" \
		    "<coap://[$2]/sensors/light>" ||
			fail "d: lookup of $3 from lan: $(lookup "res?ep=$3")"
		ok "d: simple registration from $1 [$2]: 2.04 ($(($(now) - t)) s), links with its ULA base from lan"
	done
}
run_case d

### e. Full registration from n1 and n2 with coap-client.
# full NODE ADDR: 2.01 for ep=full-NODE with base ADDR.
full() {
	code=$(mcode "$1" "$DL" "coap://[$MESH_BR_ADDR]/rd?ep=full-$1&base=coap://[$2]" \
	    -m post -t 40 -e '</s>;rt=x')
	[ "$code" = 2.01 ]
}
case_e() {
	for d in "n1 $MESH_N1_ADDR" "n2 $MESH_N2_ADDR"; do
		# shellcheck disable=SC2086 # "NODE ADDR", split on purpose
		set -- $d
		t=$(now)
		until_ok "$DL" full "$1" "$2" ||
			fail "e: full registration from $1 answered '$code'"
		has_links "res?ep=full-$1" "<coap://[$2]/s>;rt=x" ||
			fail "e: lookup of full-$1 from lan: $(lookup "res?ep=full-$1")"
		ok "e: full registration from $1: 2.01 ($(($(now) - t)) s), looked up from lan"
	done
}
run_case e

### f. A duplicated POST is one registration.
# f1: a simple registration from n1 whose POSTs are all sent twice at once
# (coap-device -d), done twice: one registration, the same resource, its
# links once.
case_f1() {
	until_ok "$DL" simple n1 "$MESH_N1_ADDR" dup-simple -d ||
		fail "f: duplicated simple registration answered '$code'"
	href1=$(lookup 'ep?ep=dup-simple' | sed -n 's/^<\([^>]*\)>.*/\1/p')
	until_ok "$DL" simple n1 "$MESH_N1_ADDR" dup-simple -d ||
		fail "f: second duplicated simple registration answered '$code'"
	eps=$(lookup 'ep?ep=dup-simple')
	n=$(printf '%s\n' "$eps" | tr ',' '\n' | grep -c 'ep=dup-simple')
	href2=$(printf '%s\n' "$eps" | sed -n 's/^<\([^>]*\)>.*/\1/p')
	[ "$n" -eq 1 ] || fail "f: $n registrations of dup-simple: $eps"
	if [ -z "$href1" ] || [ "$href1" != "$href2" ]; then
		fail "f: dup-simple moved from '$href1' to '$href2'"
	fi
	n=$(lookup 'res?ep=dup-simple' | tr ',' '\n' | grep -c '^<coap://')
	[ "$n" -eq 2 ] || fail "f: dup-simple has $n links, not 2"
	ok "f: simple registration, POSTs duplicated, twice: one registration $href1 with 2 links"
}
run_case f1

# f2: a full registration from n2 whose CON POST is retransmitted as when
# its empty ACK was lost: the same datagram (message ID, token, payload)
# again 2 s (ACK_TIMEOUT) later. Once both copies were acknowledged, the
# POST must have been processed once (RFC 7252 4.5: one "registered"
# line, one response), and every answer carries the same Location.
# dup.py HOST QUERY GAP LINGER: prints "ack CODE" for each ACK of the
# message ID, "resp CODE piggybacked|separate MID /LOCATION" for each
# response to the token (confirmable ones are acknowledged). A separate
# response with a message ID of its own is one processing of the POST; a
# piggybacked one may be the first ACK again.
cat >"$TMP/dup.py" <<'PY'
import os, socket, sys, time
host, query = sys.argv[1], sys.argv[2]
gap, linger = float(sys.argv[3]), float(sys.argv[4])
def opt(delta, val):
    ext = b''
    if len(val) >= 13:
        ln, ext = 13, bytes([len(val) - 13])
    else:
        ln = len(val)
    return bytes([delta << 4 | ln]) + ext + val
mid, tok = os.urandom(2), os.urandom(4)
# Uri-Path (11) rd, Content-Format (12) 40, Uri-Query (15)...
msg = bytes([0x44, 0x02]) + mid + tok + opt(11, b'rd') + opt(1, bytes([40]))
last = 12
for q in query.split('&'):
    msg += opt(15 - last, q.encode()); last = 15
msg += b'\xff' + b'</dup>;rt="dup"'
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(0.1)
t0 = time.time()
sent = 0
while time.time() < t0 + gap + linger:
    if sent < 2 and time.time() >= t0 + sent * gap:
        s.sendto(msg, (host, 5683)); sent += 1
    try:
        d, a = s.recvfrom(2048)
    except socket.timeout:
        continue
    typ, code = d[0] >> 4 & 3, "%d.%02d" % (d[1] >> 5, d[1] & 31)
    if typ == 2 and d[2:4] == mid:
        print("ack", code)
    if d[1] < 0x40 or d[4:4 + (d[0] & 15)] != tok:
        continue
    if typ == 0:
        s.sendto(bytes([0x60, 0, d[2], d[3]]), a)
    i, num, loc = 4 + (d[0] & 15), 0, []
    while i < len(d) and d[i] != 0xff:
        dl, ln = d[i] >> 4, d[i] & 15; i += 1
        if dl == 13: dl = 13 + d[i]; i += 1
        if ln == 13: ln = 13 + d[i]; i += 1
        num += dl
        if num == 8: loc.append(d[i:i + ln].decode())
        i += ln
    print("resp", code, "piggybacked" if typ == 2 else "separate",
          d[2:4].hex(), "/" + "/".join(loc))
PY
case $PROFILE in clean | good) LINGER=5 ;; *) LINGER=8 ;; esac
k=0
dup_full() {
	k=$((k + 1))
	ep=dup-full-$k
	out=$(mesh_exec n2 python3 "$TMP/dup.py" "$MESH_BR_ADDR" \
	    "ep=$ep&base=coap://[$MESH_N2_ADDR]" 2 "$LINGER" 2>&1)
	# again (another ep) unless both copies were acknowledged
	[ "$(printf '%s\n' "$out" | grep -c '^ack')" -ge 2 ] &&
	    printf '%s\n' "$out" | grep -q '^resp 2\.01 '
}
case_f2() {
	until_ok "$DL" dup_full ||
		fail "f: a CON POST sent twice, 2 s apart, not acknowledged twice: $out"
	locs=$(printf '%s\n' "$out" | sed -n 's/^resp [^ ]* [^ ]* [^ ]* //p' |
	    sort -u)
	if [ "$(printf '%s\n' "$locs" | wc -l)" -ne 1 ] || [ "$locs" = / ]; then
		fail "f: the answers to a CON POST sent twice have Locations: $locs"
	fi
	n=$(lookup "ep?ep=$ep" | tr ',' '\n' | grep -c "ep=$ep")
	[ "$n" -eq 1 ] || fail "f: $n registrations of $ep: $(lookup "ep?ep=$ep")"
	n=$(grep -c "rd: registered\( again\)\{0,1\} ep=$ep " "$TMP/daemon.log")
	nr=$(printf '%s\n' "$out" | grep '^resp [^ ]* separate ' | cut -d' ' -f4 |
	    sort -u | wc -l)
	if [ "$n" -ne 1 ] || [ "$nr" -gt 1 ]; then
		fail "f: a CON POST retransmitted after its ACK (same message ID and token) was processed $n times, with $nr separate responses (RFC 7252 4.5: a duplicate is processed once):
$out
$(grep "ep=$ep " "$TMP/daemon.log")"
	fi
	ok "f: a CON POST retransmitted 2 s later: one registration $locs, processed once"
}
run_case f2

### h. No fragment toward the mesh while n2 reads a large lookup.
# 40 endpoints of one link each make a lookup of about 2.9 KB, more than
# twice the IPv6 minimum MTU. n2 reads it with the block size br chooses
# (the constrained interface's 64 bytes, though n2 asks for none; only
# with clean and good) and with -b 64: about 50 exchanges, a minute with
# typical. Deadline 3 * $DL for each lookup.
NB=40
case $PROFILE in clean | good) H_SIZES="default 64" ;; *) H_SIZES=64 ;; esac
# nft_packets FAMILY CHAIN: what the counter of table corehub_mesh saw.
nft_packets() {
	mesh_exec br nft list chain "$1" corehub_mesh "$2" |
	    sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | head -n 1
}
frags() { echo $(($(nft_packets netdev egress) + $(nft_packets inet post))); }
# big_lookup END [coap-client options]: the whole resource lookup from n2,
# complete, with coap-client bounded by END (a date +%s).
big_lookup() {
	bl_s=$(($1 - $(now)))
	shift
	[ "$bl_s" -gt 0 ] || bl_s=1
	mcoap n2 "$bl_s" "coap://[$MESH_BR_ADDR]/rd-lookup/res" "$@" \
	    >"$TMP/big.out" || true
	tr ',' '\n' <"$TMP/big.out" | grep '/bulk/' | sort >"$TMP/bulk.got"
	cmp -s "$TMP/bulk.got" "$TMP/bulk.sorted"
}
case_h() {
	: >"$TMP/bulk.expected"
	i=1
	while [ "$i" -le "$NB" ]; do
		# from br itself, over loopback: quick, no radio
		base="coap://[fd00:1::$i]"
		link="</bulk/$i/temperature>;rt=\"temperature-c\";if=\"sensor\""
		code=$(mcode br 10 "coap://[::1]/rd?ep=bulk-$i&base=$base" \
		    -m post -t 40 -e "$link")
		[ "$code" = 2.01 ] || fail "h: registration bulk-$i answered '$code'"
		echo "<$base${link#<}" >>"$TMP/bulk.expected"
		i=$((i + 1))
	done
	sort "$TMP/bulk.expected" >"$TMP/bulk.sorted"
	ok "h: $NB endpoints registered from br"

	# Datagrams that br sends itself are fragmented after the inet
	# output and postrouting hooks: only the netdev egress hook sees
	# their fragments. The postrouting rule sees forwarded ones.
	nft_ok=
	if ! command -v nft >/dev/null 2>&1; then
		echo "skip: h: nft not installed (apt-get install nftables): fragments not counted"
	elif ! mesh_exec br nft -f - >"$TMP/nft.err" 2>&1 <<'NFT'
table netdev corehub_mesh {
	chain egress {
		type filter hook egress device "br-mesh0" priority 0;
		exthdr frag exists counter
	}
}
table inet corehub_mesh {
	chain post {
		type filter hook postrouting priority 0;
		oifname "br-mesh0" exthdr frag exists counter
	}
}
NFT
	then
		echo "skip: h: nftables rules not accepted here: $(cat "$TMP/nft.err")"
	else
		# the counters see fragments when there are some
		mesh_exec br python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(b"x" * 2000, ("'"$MESH_N1_ADDR"'", 9))'
		sleep 0.2
		f0=$(frags)
		if [ "$f0" -ge 2 ]; then
			nft_ok=1
		else
			echo "skip: h: the nftables counters saw $f0 fragments of a 2000-byte datagram: fragments not counted"
		fi
	fi

	for bs in $H_SIZES; do
		[ "$bs" = default ] && bs=
		[ -n "$nft_ok" ] && f0=$(frags)
		t=$(now)
		until_ok $((3 * DL)) big_lookup $((t + 3 * DL)) ${bs:+-b "$bs"} ||
			fail "h: lookup from n2${bs:+ with -b $bs}: $(wc -l <"$TMP/bulk.got") of $NB bulk links as registered; differences:
$(diff "$TMP/bulk.sorted" "$TMP/bulk.got" | head -n 20)"
		msg="h: lookup from n2${bs:+ with -b $bs}: $(wc -c <"$TMP/big.out") bytes, all $NB bulk links ($(($(now) - t)) s)"
		if [ -n "$nft_ok" ]; then
			f1=$(frags)
			[ "$f1" -eq "$f0" ] ||
				fail "h: $((f1 - f0)) IPv6 fragments left on br-mesh0 during the lookup${bs:+ with -b $bs}"
			msg="$msg, no IPv6 fragment on br-mesh0"
		fi
		ok "$msg"
	done
}
run_case h

### i. Registration over DTLS (PSK) from n2.
dtls_n2() {
	code=$(mcode n2 "$DL" "coaps://[$MESH_BR_ADDR]:5684/rd?ep=dtls-n2&base=coap://[$MESH_N2_ADDR]" \
	    -u mesh-n2 -k n2-secret-key -m post -t 40 -e '</d>;rt=x')
	[ "$code" = 2.01 ]
}
case_i() {
	until_ok "$DL" dtls_n2 ||
		fail "i: DTLS registration from n2 answered '$code'"
	has_links 'res?ep=dtls-n2' "<coap://[$MESH_N2_ADDR]/d>" ||
		fail "i: lookup of dtls-n2: $(lookup 'res?ep=dtls-n2')"
	ok "i: registration over DTLS (PSK identity mesh-n2) from n2: 2.01"
}
run_case i

### j. A LAN client reads a mesh device's resource through the RD proxy.
# proxied_device: n2's coap-device registered with proxy=yes (simple
# registration) and serving /sensors/temp in the background; it is
# started again (after at most a minute without an answer) while the
# registration fails, until twice the deadline.
J_PID=
proxied_device() {
	[ -n "$J_PID" ] && kill "$J_PID" 2>/dev/null && wait "$J_PID" 2>/dev/null
	: >"$TMP/j.code"
	mesh_exec n2 "$COAP_DEVICE" -a 3 -k -t $((6 * DL)) -b "$MESH_N2_ADDR" \
	    -r "[$MESH_BR_ADDR]:5683" -q "ep=prox-n2&proxy=yes" \
	    -s sensors/temp=21.5 5683 "$TMP/dev.lf" >"$TMP/j.code" \
	    2>>"$TMP/device.err" &
	J_PID=$!
	i=0
	while [ ! -s "$TMP/j.code" ] && kill -0 "$J_PID" 2>/dev/null &&
	    [ $i -lt $((10 * (DL < 60 ? DL : 60))) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	code=$(cat "$TMP/j.code")
	[ "$code" = 2.04 ]
}
through_proxy() {
	val=$(mcoap lan "$DL" "coap://[$MESH_BR_LAN_ADDR]/sensors/temp" \
	    -O 3,prox-n2.proxy.mesh.test)
	[ "$val" = 21.5 ]
}
case_j() {
	until_ok $((2 * DL)) proxied_device ||
		fail "j: simple registration with proxy=yes from n2 answered '$code'"
	has_links 'res?ep=prox-n2' \
	    '<coap://prox-n2.proxy.mesh.test/sensors/temp>;rt="temperature-c"' ||
		fail "j: lookup of prox-n2 from lan: $(lookup 'res?ep=prox-n2')"
	ok "j: n2 registered with proxy=yes, looked up under coap://prox-n2.proxy.mesh.test"
	fw=
	if command -v nft >/dev/null 2>&1 && mesh_exec br nft -f - <<'NFT'
table inet corehub_fw {
	chain fwd {
		type filter hook forward priority 0;
		iifname "br-lan0" oifname "br-mesh0" counter drop
	}
}
NFT
	then
		fw=1
		[ -z "$(mcoap lan 3 "coap://[$MESH_N2_ADDR]/sensors/temp")" ] ||
			fail "j: lan still reaches n2 directly"
	fi
	t=$(now)
	until_ok "$DL" through_proxy ||
		fail "j: GET /sensors/temp from lan through the proxy: '$val' ($(tail -n 3 "$TMP/client.err"))"
	ok "j: lan read n2's /sensors/temp through corehub: $val ($(($(now) - t)) s${fw:+, lan's own route to the mesh dropped})"
	[ -n "$fw" ] && mesh_exec br nft delete table inet corehub_fw
	kill "$J_PID" 2>/dev/null
	exit 0
}
run_case j

### g, second part.
if [ -n "$G_PID" ]; then
	rc_t=$(now)
	wait "$G_PID" || FAILS="$FAILS g"
	cat "$TMP/g.out"
	echo "case g: waited $(($(now) - rc_t)) s more"
fi

if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
	echo "FAIL: corehubd died"
	FAILS="$FAILS daemon"
fi
mesh_stats | sed 's/^/relay: /'
echo "mesh rd ($PROFILE): $(($(now) - START)) s"
if [ -n "$FAILS" ]; then
	echo "--- daemon log"
	cat "$TMP/daemon.log"
	echo "FAIL: cases$FAILS"
	exit 1
fi
exit 0
