#!/bin/sh
# A border router's mesh interface. Multicast discovery (RFC 9176 4.1,
# RFC 7252 8): the groups joined, and joined again when the interface is
# re-created; an answer to GET /.well-known/core?rt=core.rd* after the
# leisure, from the interface's routable address, cut into the
# interface's small blocks; silence for a filter that selects nothing,
# an unknown path, a group not joined (the wildcard socket must not see
# it) and beyond the interface's multicast-rate. Simple registration
# fetched in the interface's blocks; link-local and mesh-local bases
# shown on their link only. Needs root and network namespaces: skipped
# where they cannot be made.
. "${top_srcdir}/tests/integration/lib.sh"
need_client
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"

P=chd$$
BR=${P}br N1=${P}n1
ip netns add "$BR" 2>/dev/null || skip "cannot create network namespaces here"
trap 'cleanup; ip netns del "$BR" 2>/dev/null; ip netns del "$N1" 2>/dev/null' EXIT
ip netns add "$N1" || fail "second namespace"

# The border router's mesh-facing link and a one-hop node behind it.
link_up() {
	ip link add brm0 netns "$BR" type veth peer name m0 netns "$N1" &&
	ip -n "$BR" link set brm0 up && ip -n "$N1" link set m0 up &&
	ip -n "$BR" addr add fd00:2::1/64 dev brm0 nodad &&
	ip -n "$N1" addr add fd00:2::11/64 dev m0 nodad &&
	ip -n "$BR" addr add 10.0.2.1/24 dev brm0 &&
	ip -n "$N1" addr add 10.0.2.11/24 dev m0
}
for n in "$BR" "$N1"; do ip -n "$n" link set lo up; done
link_up || fail "veth"
ip link add other0 netns "$BR" type veth peer name other1 netns "$N1"
ip -n "$BR" link set other0 up; ip -n "$N1" link set other1 up
ip -n "$BR" addr add fd00:9::1/64 dev other0 nodad
ip -n "$N1" addr add fd00:9::11/64 dev other1 nodad

cat > "$TMP/corehub.conf" <<CONF
database $TMP/corehub.db
listen coap://[::]:5683
interface brm0 {
	constrained yes
	leisure 0.5
	multicast-rate 3
	block-size 32
	ack-timeout 3
	mesh-prefix fd00:2::/64
}
CONF
: > "$TMP/daemon.log"
ip netns exec "$BR" "$COREHUBD" -f "$TMP/corehub.conf" >>"$TMP/daemon.log" 2>&1 &
DAEMON_PID=$!
i=0
while ! grep -q "start of service" "$TMP/daemon.log"; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "corehubd did not start"; sleep 0.1
done

groups_joined() {
	for g in ff02::fe ff05::fe ff02::fd ff05::fd ff03::fe ff03::fd; do
		ip -n "$BR" maddr show dev brm0 | grep -q "inet6 $g\$" || return 1
	done
}
wait_groups() {
	i=0
	while ! groups_joined; do
		i=$((i + 1)); [ $i -lt 50 ] || return 1; sleep 0.1
	done
}
wait_groups || fail "groups not joined: $(ip -n "$BR" maddr show dev brm0)"
ip -n "$BR" maddr show dev other0 | grep -q 'ff02::fe' &&
	fail "joined on an interface that is not configured"
ok "All CoRE RDs and All CoAP Nodes joined, link- realm- and site-local"

# probe GROUP PATH-AND-QUERY COUNT SECONDS: NON GETs from n1 out of m0,
# at once, one token each; prints "answers N SOURCE...", "others N" and the
# first payload (tests/mesh/probe.py).
probe() {
	PROBE_GAP=0 ip netns exec "$N1" python3 \
	    "$top_srcdir/tests/mesh/probe.py" m0 "$1" "$2" "$3" "$4" 1
}

out=$(probe ff02::fe%m0 '/.well-known/core?rt=core.rd*' 1 2)
echo "$out" | head -1 | grep -q '^answers 1 fd00:2::1$' ||
	fail "discovery on ff02::fe: $out"
echo "$out" | tail -1 | grep -q '^</rd>;ct=40;rt="core.rd"' ||
	fail "not the directory: $out"
[ "$(echo "$out" | tail -1 | wc -c)" -le 33 ] ||
	fail "a mesh interface's answer is larger than its 32-byte block"
out=$(probe ff05::fe '/.well-known/core?rt=core.rd' 1 2)
echo "$out" | head -1 | grep -q '^answers 1 fd00:2::1$' || fail "ff05::fe: $out"
out=$(probe ff03::fd '/.well-known/core?rt=core.rd-lookup-*' 1 2)
echo "$out" | head -1 | grep -q '^answers 1 fd00:2::1$' || fail "ff03::fd: $out"
ok "answered from the routable address, in the interface's small blocks"

# The whole document, block by block, by unicast (RFC 7959 2.8).
doc=$(ip netns exec "$N1" "$COAP_CLIENT" -B 10 -b 64 -m get \
    'coap://[fd00:2::1]/.well-known/core?rt=core.rd*' 2>/dev/null)
echo "$doc" | grep -q '</rd-lookup/res>' || fail "unicast follow-up: $doc"
# A client on the mesh that asks for no block size gets the interface's.
trace=$(ip netns exec "$N1" "$COAP_CLIENT" -B 10 -v 7 -m get \
    'coap://[fd00:2::1]/.well-known/core' 2>&1)
echo "$trace" | grep -q ' c:2\.05 .*Block2:0/M/32[^0-9]' ||
	fail "a mesh client asking no block size: $(echo "$trace" | grep ' c:2\.05 ' | head -n 2)"
echo "$trace" | grep -q 'rt="core.rd-lookup-res"' ||
	fail "the whole /.well-known/core in 32-byte blocks: $trace"
ok "the rest of the document by unicast Block2"

for q in '/.well-known/core?rt=nomatch' '/nothing' '/.well-known/core?x=1&y=2'; do
	out=$(probe ff02::fe%m0 "$q" 1 1.5 2>&1)
	echo "$out" | head -1 | grep -q '^answers 0 *$' &&
	    echo "$out" | grep -q '^others 0$' || fail "$q was answered: $out"
done
out=$(probe ff02::1%m0 '/.well-known/core' 1 1.5)
[ "$(echo "$out" | head -1 | cut -d' ' -f1-2)" = "answers 0" ] ||
	fail "a group not joined (all nodes) was answered: $out"
ok "no answer, error or reset for no match, an unknown path or ff02::1"

sleep 1	# the bucket refills
out=$(probe ff02::fe%m0 '/.well-known/core?rt=core.rd' 8 2)
n=$(echo "$out" | head -1 | cut -d' ' -f2)
[ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "multicast-rate 3 let $n of 8 through"
ok "answers limited to the interface's multicast-rate ($n of 8)"

# Simple registration from the mesh: the device's links are fetched in
# the interface's small blocks (early negotiation, RFC 7959 2.4).
if [ -x "${COAP_DEVICE:-}" ]; then
	printf '%s' '</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux"' \
		> "$TMP/links"
	code=$(ip netns exec "$N1" "$COAP_DEVICE" -v -b 10.0.2.11 -t 20 -r 10.0.2.1:5683 \
	    -q ep=dev1 5683 "$TMP/links" 2>"$TMP/device.err")
	[ "$code" = 2.04 ] || fail "simple registration from the mesh: $code $(cat "$TMP/device.err")"
	grep -q '^block2 0 1$' "$TMP/device.err" ||
		fail "the fetch did not ask for 32-byte blocks: $(cat "$TMP/device.err")"
	[ "$(grep -c '^block2 [0-9]* 1$' "$TMP/device.err")" -ge 3 ] ||
		fail "the fetch was not block by block: $(cat "$TMP/device.err")"
	res=$(ip netns exec "$BR" "$COAP_CLIENT" -B 10 'coap://[::1]/rd-lookup/res?ep=dev1')
	echo "$res" | grep -q '<coap://10.0.2.11/sensors/light>' ||
		fail "dev1's links: $res"
	ok "simple registration from the mesh fetched in the interface's 32-byte blocks"
fi
ip netns exec "$N1" "$COAP_CLIENT" -B 10 -m post -t 40 -e '</x>' \
    'coap://[fd00:2::1]/rd?ep=eph' >/dev/null 2>&1
grep -q 'registration ep=eph from port [0-9]* without base' "$TMP/daemon.log" ||
	fail "a registration from an ephemeral port without base was not warned about"
ok "a registration from an ephemeral port without base is warned about"

# Bases that mean something on one link only (RFC 9176 5): a link-local
# one, and one in the interface's mesh-prefix, shown to lookups that
# arrive on that link and to no other; a zone ID refused.
ll=$(ip -n "$N1" -6 addr show dev m0 scope link | sed -n 's/.*inet6 \(fe80::[0-9a-f:]*\)\/.*/\1/p' | head -1)
[ -n "$ll" ] || fail "n1 has no link-local address"
on_n1() { ip netns exec "$N1" "$COAP_CLIENT" -B 10 "$@" 2>/dev/null; }
code=$(ip netns exec "$N1" "$COAP_CLIENT" -B 10 -v 7 -m post -t 40 -e '</t>' \
    "coap://[fd00:2::1]/rd?ep=ll&base=coap://[$ll]" 2>&1 | grep -c 'c:2.01')
[ "$code" -ge 1 ] || fail "link-local registration"
on_n1 -m post -t 40 -e '</m>' 'coap://[fd00:9::1]/rd?ep=ml&base=coap://[fd00:2::11]' >/dev/null
on_n1 'coap://[fd00:2::1]/rd-lookup/ep?ep=ll' | grep -q "base=\"coap://\[$ll\]\"" ||
	fail "the link-local registration is not shown on its link: $(on_n1 'coap://[fd00:2::1]/rd-lookup/ep')"
on_n1 'coap://[fd00:2::1]/rd-lookup/ep' | grep -q '%' && fail "a zone ID in a lookup"
[ -z "$(on_n1 'coap://[fd00:9::1]/rd-lookup/ep?ep=ll')" ] ||
	fail "the link-local registration is shown on another link"
[ -z "$(ip netns exec "$BR" "$COAP_CLIENT" -B 10 'coap://[::1]/rd-lookup/res?ep=ll' 2>/dev/null)" ] ||
	fail "the link-local registration is shown to loopback"
on_n1 'coap://[fd00:2::1]/rd-lookup/res?ep=ml' | grep -q 'fd00:2::11' ||
	fail "the mesh-local registration is not shown on the mesh"
[ -z "$(on_n1 'coap://[fd00:9::1]/rd-lookup/res?ep=ml')" ] ||
	fail "the mesh-local registration is shown on another link"
out=$(ip netns exec "$N1" "$COAP_CLIENT" -B 10 -v 7 -m post -t 40 -e '</z>' \
    'coap://[fd00:2::1]/rd?ep=zz&base=coap://[fe80::1%25m0]' 2>&1)
echo "$out" | grep -q 'c:4.00' || fail "a base with a zone ID was accepted"
ok "link-local and mesh-local bases shown on their link only, no zone IDs"

# The interface goes away and comes back (a border router restarting).
ip -n "$BR" link del brm0
i=0
while ip -n "$BR" link show brm0 >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 30 ] || fail "brm0 not gone"; sleep 0.1
done
link_up || fail "veth again"
wait_groups || fail "groups not joined again: $(ip -n "$BR" maddr show dev brm0)"
sleep 1
out=$(probe ff02::fe%m0 '/.well-known/core?rt=core.rd' 1 2)
echo "$out" | head -1 | grep -q '^answers 1 fd00:2::1$' ||
	fail "no discovery after the link came back: $out"
grep -q 'mcast: left ff02::fe on brm0' "$TMP/daemon.log" || fail "leave not logged"
ok "groups joined again when the interface is re-created"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "corehubd exited $?"
DAEMON_PID=
