#!/bin/sh
# The RD proxy extension (draft-amsuess-core-resource-directory-extensions):
# a registration with proxy=yes gets the proxy URI <ep>[.<d>].<proxy-base
# host> as its base in lookups, and a request with that name as Uri-Host
# is forwarded to the device (over the session it registered on, or to
# its explicit base) and its answer relayed: code, options, body, big
# bodies gathered whole and cut into blocks with one ETag; answers to GET
# cached while fresh, a change through the proxy dropping them; 5.04 when
# the device is silent, 5.03 past the caps; 4.04 for names that are not
# proxied; proxy values and names checked; the ACL action "proxy"; the
# proxy URI kept across a restart; nothing proxied without proxy-base; a
# request body in blocks (Block1) forwarded whole.
. "${top_srcdir}/tests/integration/lib.sh"
need_client
[ -x "${COAP_DEVICE:-}" ] || skip "coap-device not built"
COAP_SERVER=${COAP_SERVER:-$(command -v coap-server-openssl || :)}
[ -n "$COAP_SERVER" ] || skip "coap-server-openssl not found (libcoap3-bin)"

PIDS=
proxy_cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	cleanup
}
trap proxy_cleanup EXIT

pu=$(free_port); pd1=$(free_port); pbig=$(free_port); psrv=$(free_port)
psil=$(free_port); psil2=$(free_port); pclosed=$(free_port)
px=$(free_port)
conf() {
	write_conf <<CONF
listen coap://127.0.0.1:$pu
ps-rd-base off
$1
CONF
}
# Only an admin may give a proxied registration a base other than its
# source: this first daemon makes the anonymous tester one, to register
# coap-server and the silent devices on their behalf.
cat > "$TMP/admin.acl" <<'ACL'
allow anon rd:** all
allow anon stats stats
allow anon daemon admin
ACL
conf "proxy-base coap://proxy.test
proxy-timeout 2
proxy-inflight 1
proxy-max-inflight 2
acl-file admin.acl"
start_daemon
U="coap://127.0.0.1:$pu"

# device NAME ARGS...: a coap-device that registers (-r, -k) and goes on
# serving; its answer code lands in $TMP/NAME.code, its requests in
# $TMP/NAME.log.
device() {
	name=$1
	shift
	"$COAP_DEVICE" -r "127.0.0.1:$pu" -k -t 150 -c "$TMP/$name.log" "$@" \
	    > "$TMP/$name.code" 2>"$TMP/$name.err" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$TMP/$name.code" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "device $name did not register in 10 s"
		sleep 0.1
	done
}
# The proxy_requests counter of that outcome.
proxy_stat() {
	coap "$U/corehub/stats" -A 50 |
	    sed -n "s/.*\"proxy_requests\":{[^}]*\"$1\":\([0-9]*\).*/\1/p"
}
# How many requests for "METHOD path" device NAME logged.
seen() {
	grep -c "^$2\$" "$TMP/$1.log"
}
# The trace of a request, its token our own, for coap_code_of.
trace() {
	uri=$1
	shift
	coap_trace "$uri" -T "$(coap_token)" "$@"
}

# --- a proxied simple registration
printf '%s\n' '</sensors/temp>;rt="temperature-c",</sensors/light>,</a/b/c>' \
    > "$TMP/dev1.lf"
device dev1 -q "ep=dev1&proxy=yes" -s sensors/temp=21.5 \
    -s sensors/light=340 -s a/b/c=deep -P "$TMP/dev1.ports" "$pd1" \
    "$TMP/dev1.lf"
[ "$(cat "$TMP/dev1.code")" = 2.04 ] ||
	fail "proxied simple registration: '$(cat "$TMP/dev1.code")'"
ep=$(coap "$U/rd-lookup/ep?ep=dev1")
case $ep in
*'base="coap://dev1.proxy.test"'*) ;;
*) fail "endpoint lookup base: $ep" ;;
esac
case $ep in
*';proxy=yes'*) ;;
*) fail "no proxy=yes in the endpoint lookup: $ep" ;;
esac
case $ep in
*127.0.0.1*) fail "the device's address in the lookup: $ep" ;;
esac
ok "proxied simple registration: base coap://dev1.proxy.test, proxy=yes"

# A device with a sector and a large /.well-known/core (> 1 KB).
i=0; big=
while [ $i -lt 40 ]; do
	big="$big${big:+,}</sensors/s$i>;rt=\"sensor-reading\";if=\"core.s\""
	i=$((i + 1))
done
printf '%s\n' "$big" > "$TMP/big.lf"
[ "$(wc -c < "$TMP/big.lf")" -gt 1024 ] || fail "big.lf is not > 1 KB"
device big -q "ep=big&d=lab&proxy=on" "$pbig" "$TMP/big.lf"
[ "$(cat "$TMP/big.code")" = 2.04 ] || fail "big: '$(cat "$TMP/big.code")'"
res=$(coap "$U/rd-lookup/res?ep=big")
n=$(echo "$res" | tr ',' '\n' | grep -c '^<coap://big\.lab\.proxy\.test/sensors/s[0-9]*>')
[ "$n" -eq 40 ] || fail "$n of 40 links under coap://big.lab.proxy.test: $res"
res=$(coap "$U/rd-lookup/res?ep=dev1")
[ "$res" = '<coap://dev1.proxy.test/sensors/temp>;rt="temperature-c",<coap://dev1.proxy.test/sensors/light>,<coap://dev1.proxy.test/a/b/c>' ] ||
	fail "resource lookup: $res"
ok "resource lookup resolves links against the proxy URI (with d: ep.d.host)"

# --- forwarding over the registration's own session
t=$(trace "$U/sensors/temp" -O 3,dev1.proxy.test)
[ "$(echo "$t" | coap_code_of)" = 2.05 ] || fail "GET through the proxy: $t"
echo "$t" | grep -q "c:2.05 .*'21.5'" || fail "not the device's text: $t"
echo "$t" | grep -q 'c:4.01 .*Echo:' || fail "no Echo asked of a new client"
echo "$t" | grep -q 't:ACK c:0.00' || fail "no empty ACK before the answer"
echo "$t" | grep -q 'c:2.05 .*Content-Format:text/plain' ||
	fail "the device's Content-Format lost: $t"
[ "$(seen dev1 'GET sensors/temp')" -eq 1 ] ||
	fail "the device saw $(seen dev1 'GET sensors/temp') GETs of sensors/temp"
[ "$(coap "$U/a/b/c" -O 3,dev1.proxy.test)" = deep ] ||
	fail "a three-segment path through the proxy"
[ "$(seen dev1 'GET a/b/c')" -eq 1 ] || fail "a/b/c did not reach the device"
# Over the session it registered on: from corehub's own port, the one the
# device registered to (through a NAT, the only one that gets back in).
# (The simple registration's fetch of /.well-known/core comes from a port
# of its own.)
ports=$(paste -d ' ' "$TMP/dev1.log" "$TMP/dev1.ports" |
    awk '$2 != ".well-known/core" { print $3 }' | sort -u)
[ "$ports" = "$pu" ] ||
	fail "proxied requests reached dev1 from ports '$ports', not $pu"
# The device's own error code is relayed; corehub's paths are the device's.
[ "$(coap_code "$U/nothing/here" -O 3,dev1.proxy.test)" = 4.04 ] ||
	fail "the device's 4.04 not relayed"
[ "$(coap_code "$U/rd-lookup/ep" -O 3,dev1.proxy.test)" = 4.04 ] ||
	fail "a corehub path under a proxy name was not forwarded"
[ "$(seen dev1 'GET rd-lookup/ep')" -eq 1 ] ||
	fail "the device did not get GET rd-lookup/ep"
[ "$(coap_code "$U/sensors/temp" -O 3,dev1.proxy.test -m put -e 1)" = 4.05 ] ||
	fail "the device's 4.05 to PUT not relayed"
[ "$(seen dev1 'PUT sensors/temp')" -eq 1 ] || fail "the PUT did not arrive"
ok "GET through the proxy name reaches the device (Echo, empty ACK, its code and body)"

# --- the cache
c0=$(proxy_stat cached)
t=$(trace "$U/sensors/light" -O 3,dev1.proxy.test)
echo "$t" | grep -q "c:2.05 .*'340'" || fail "first GET of sensors/light: $t"
t=$(trace "$U/sensors/light" -O 3,dev1.proxy.test)
echo "$t" | grep -q "c:2.05 .*'340'" || fail "second GET of sensors/light: $t"
[ "$(seen dev1 'GET sensors/light')" -eq 1 ] ||
	fail "the second GET reached the device ($(seen dev1 'GET sensors/light') requests)"
[ "$(proxy_stat cached)" -eq $((c0 + 1)) ] ||
	fail "cached went from $c0 to $(proxy_stat cached)"
ma=$(echo "$t" | sed -n "s/.*c:2\.05 .*Max-Age:\([0-9]*\).*/\1/p" | head -n 1)
[ -n "$ma" ] && [ "$ma" -ge 55 ] && [ "$ma" -le 60 ] ||
	fail "a cached answer's Max-Age '$ma' (60 s minus its age expected)"
echo "$t" | grep -q 'c:2.05 .*Content-Format:text/plain' ||
	fail "the cached answer lost its options: $t"
# Uri-Query and Accept are part of the key; another option bypasses it.
coap "$U/sensors/light?x=1" -O 3,dev1.proxy.test >/dev/null
coap "$U/sensors/light?x=1" -O 3,dev1.proxy.test >/dev/null
[ "$(seen dev1 'GET sensors/light')" -eq 2 ] ||
	fail "a query: $(seen dev1 'GET sensors/light') requests, 2 expected"
coap "$U/sensors/light" -O 3,dev1.proxy.test -A 0 >/dev/null
coap "$U/sensors/light" -O 3,dev1.proxy.test -A 0 >/dev/null
[ "$(seen dev1 'GET sensors/light')" -eq 3 ] ||
	fail "Accept: $(seen dev1 'GET sensors/light') requests, 3 expected"
[ "$(coap "$U/sensors/light" -O 3,dev1.proxy.test -O 4,tag1)" = 340 ] ||
	fail "GET with an ETag"
coap "$U/sensors/light" -O 3,dev1.proxy.test -O 4,tag1 >/dev/null
[ "$(seen dev1 'GET sensors/light')" -eq 5 ] ||
	fail "GET with ETag: $(seen dev1 'GET sensors/light') requests, 5 expected"
ok "GET answers are cached (device asked once, Max-Age = freshness left), keyed by path, query and Accept; an ETag bypasses"

# --- a body in blocks: gathered from the device, cut again, one ETag
before=$(seen big 'GET .well-known/core')
t=$(trace "$U/.well-known/core" -O 3,big.lab.proxy.test -b 64 \
    -o "$TMP/big.got")
printf '%s' "$big" | cmp -s - "$TMP/big.got" ||
	fail "the big document differs: $(head -c 200 "$TMP/big.got")"
blocks=$(echo "$t" | grep -c 'c:2\.05 .*Block2:[0-9]*/[M_]/64')
[ "$blocks" -ge 17 ] || fail "$blocks blocks of 64 bytes: $t"
tags=$(echo "$t" | grep 'c:2\.05 ' | sed -n 's/.*ETag:\(0x[0-9a-f]*\).*/\1/p' |
    sort -u)
ntags=$(echo "$t" | grep 'c:2\.05 ' | grep -c 'ETag:0x')
[ "$ntags" -ge "$blocks" ] || fail "$ntags of $blocks blocks carry an ETag"
[ -n "$tags" ] && [ "$(echo "$tags" | wc -l)" -eq 1 ] ||
	fail "the blocks' ETags differ: $tags"
after=$(seen big 'GET .well-known/core')
# The device's own blocks are of 64 bytes too: once through it, not once
# per block of the client.
nb=$(( ($(printf '%s' "$big" | wc -c) + 63) / 64 ))
[ $((after - before)) -eq "$nb" ] ||
	fail "the device got $((after - before)) block requests"
# Not cacheable (an ETag option), yet the client's later blocks come from
# the copy kept for it: the device is asked once, not once a block.
coap "$U/.well-known/core" -O 3,big.lab.proxy.test -O 4,tag2 -b 64 \
    -o "$TMP/big2.got"
printf '%s' "$big" | cmp -s - "$TMP/big2.got" ||
	fail "the big document, uncacheable: $(head -c 200 "$TMP/big2.got")"
[ $(($(seen big 'GET .well-known/core') - after)) -eq "$nb" ] ||
	fail "uncacheable: the device got $(($(seen big 'GET .well-known/core') - after)) block requests, $nb expected"
ok "a $(printf '%s' "$big" | wc -c)-byte body comes back whole in $blocks blocks, all with ETag $tags"

# --- names that are not proxied, and corehub's own
[ "$(coap_code "$U/sensors/temp" -O 3,nosuch.proxy.test)" = 4.04 ] ||
	fail "an unknown proxy name"
code=$(coap_code "$U/rd?ep=plain&base=coap://127.0.0.1:$px" -m post -t 40 \
    -e '</p>')
[ "$code" = 2.01 ] || fail "a registration without proxy: $code"
coap "$U/rd-lookup/ep?ep=plain" | grep -q "base=\"coap://127.0.0.1:$px\"" ||
	fail "the unproxied base: $(coap "$U/rd-lookup/ep?ep=plain")"
[ "$(coap_code "$U/p" -O 3,plain.proxy.test)" = 4.04 ] ||
	fail "the name of an unproxied registration"
for h in localhost proxy.test; do
	wk=$(coap "$U/.well-known/core" -O 3,$h)
	case $wk in
	*'</rd>;'*'rt="core.rd"'*) ;;
	*) fail "Uri-Host $h: not corehub's /.well-known/core: $wk" ;;
	esac
done
[ "$(coap_code "$U/sensors/temp" -O 3,dev1.proxy.test -O 35,coap://x/y)" = \
    5.05 ] || fail "Proxy-Uri not refused with 5.05"
ok "unknown and unproxied names 4.04, localhost and proxy.test are corehub, Proxy-Uri 5.05"

# --- what may be proxied
[ "$(coap_code "$U/rd?ep=m1&proxy=maybe&base=coap://127.0.0.1:$px" -m post \
    -t 40 -e '</p>')" = 4.00 ] || fail "proxy=maybe accepted"
[ "$(coap_code "$U/rd?ep=m_1&proxy=yes&base=coap://127.0.0.1:$px" -m post \
    -t 40 -e '</p>')" = 4.00 ] || fail "ep m_1 proxied"
[ "$(coap_code "$U/rd?ep=m2&d=a_b&proxy=yes&base=coap://127.0.0.1:$px" \
    -m post -t 40 -e '</p>')" = 4.00 ] || fail "d a_b proxied"
[ "$(coap_code "$U/rd?ep=-m3&proxy=yes&base=coap://127.0.0.1:$px" \
    -m post -t 40 -e '</p>')" = 4.00 ] || fail "ep -m3 proxied"
[ "$(coap_code "$U/rd?ep=m_1&proxy=no&base=coap://127.0.0.1:$px" -m post \
    -t 40 -e '</p>')" = 2.01 ] || fail "m_1 unproxied refused"
[ -z "$(coap "$U/rd-lookup/ep?ep=m1")$(coap "$U/rd-lookup/ep?ep=m2")" ] ||
	fail "a refused registration was kept"
code=$("$COAP_DEVICE" -r "127.0.0.1:$pu" -q "ep=m4&proxy=maybe" -t 10 \
    "$px" /dev/null)
[ "$code" = 4.00 ] || fail "simple registration with proxy=maybe: '$code'"
code=$("$COAP_DEVICE" -r "127.0.0.1:$pu" -q "ep=m_5&proxy=yes" -t 10 \
    "$px" /dev/null)
[ "$code" = 4.00 ] || fail "simple registration of ep m_5 proxied: '$code'"
ok "proxy=maybe and names that are not DNS labels: 4.00"

# --- an explicit base: corehub's own client session to the device
"$COAP_SERVER" -A 127.0.0.1 -p "$psrv" >"$TMP/server.log" 2>&1 &
PIDS="$PIDS $!"
i=0
until [ "$(coap_code "coap://127.0.0.1:$psrv/time" -B 2)" = 2.05 ]; do
	i=$((i + 1))
	[ $i -lt 20 ] || fail "coap-server did not start"
	sleep 0.2
done
code=$(coap_code "$U/rd?ep=srv&proxy=yes&base=coap://127.0.0.1:$psrv" \
    -m post -t 40 -e '</time>;rt="ticks",</example_data>')
[ "$code" = 2.01 ] || fail "full proxied registration: $code"
loc=$(coap "$U/rd-lookup/ep?ep=srv" | sed -n 's/^<\(\/rd\/[0-9]*\)>.*/\1/p')
[ -n "$loc" ] || fail "no location for srv"
coap "$U/rd-lookup/ep?ep=srv" | grep -q 'base="coap://srv.proxy.test"' ||
	fail "srv's base: $(coap "$U/rd-lookup/ep?ep=srv")"
tm=$(coap "$U/time" -O 3,srv.proxy.test)
echo "$tm" | grep -Eq '[0-9][0-9]:[0-9][0-9]:[0-9][0-9]' ||
	fail "GET /time through the proxy: '$tm'"
# A body in blocks to the device (Block1): the device must get it whole.
i=0
while [ $i -lt 50 ]; do
	printf 'line %02d of a body sent block-wise through the proxy\n' $i
	i=$((i + 1))
done > "$TMP/put.txt"
code=$(coap_code "$U/example_data" -O 3,srv.proxy.test -m put \
    -f "$TMP/put.txt")
coap "coap://127.0.0.1:$psrv/example_data" -o "$TMP/put.got"
# (coap-server answers its first PUT 2.01, later ones 2.04)
if { [ "$code" != 2.01 ] && [ "$code" != 2.04 ]; } ||
    ! cmp -s "$TMP/put.txt" "$TMP/put.got"; then
	fail "a $(wc -c < "$TMP/put.txt")-byte PUT in blocks through the \
proxy: $code, and the device has $(wc -c < "$TMP/put.got") bytes of it"
fi
ok "a request body in blocks reaches the device whole"
# A cached copy, then a PUT through the proxy drops it.
a0=$(proxy_stat answered)
v0=$(coap "$U/example_data" -O 3,srv.proxy.test)
[ -n "$v0" ] || fail "GET /example_data"
[ "$(coap "$U/example_data" -O 3,srv.proxy.test)" = "$v0" ] ||
	fail "second GET /example_data"
[ "$(proxy_stat answered)" -eq $((a0 + 1)) ] ||
	fail "the second GET of /example_data was not from the cache"
[ "$(coap_code "$U/example_data" -O 3,srv.proxy.test -m put -e put-value-1)" \
    = 2.04 ] || fail "PUT through the proxy"
[ "$(coap "coap://127.0.0.1:$psrv/example_data")" = put-value-1 ] ||
	fail "the PUT did not reach the server"
[ "$(coap "$U/example_data" -O 3,srv.proxy.test)" = put-value-1 ] ||
	fail "GET after the PUT: the old cached value"
# A failed change (4.05) leaves the cache as it is.
[ "$(coap_code "$U/example_data" -O 3,srv.proxy.test -m delete)" = 4.05 ] ||
	fail "DELETE /example_data: not the server's 4.05"
c0=$(proxy_stat cached)
[ "$(coap "$U/example_data" -O 3,srv.proxy.test)" = put-value-1 ] ||
	fail "GET after the DELETE"
[ "$(proxy_stat cached)" -eq $((c0 + 1)) ] ||
	fail "a 4.05 to DELETE dropped the cache"
ok "explicit base: GET /time, a PUT then GET shows the new value (cache dropped; not by a 4.05)"

# --- the updates: proxy=no and back
code=$(coap_code "$U$loc?lt=3600" -m post)
[ "$code" = 2.04 ] || fail "update without proxy: $code"
coap "$U/rd-lookup/ep?ep=srv" | grep -q 'base="coap://srv.proxy.test"' ||
	fail "an update without proxy= turned it off"
code=$(coap_code "$U$loc?proxy=no" -m post)
[ "$code" = 2.04 ] || fail "update proxy=no: $code"
ep=$(coap "$U/rd-lookup/ep?ep=srv")
case $ep in
*"base=\"coap://127.0.0.1:$psrv\""*) ;;
*) fail "after proxy=no the base is not the device's: $ep" ;;
esac
[ "$(coap_code "$U/time" -O 3,srv.proxy.test)" = 4.04 ] ||
	fail "the name still proxied after proxy=no"
coap "$U/rd-lookup/res?ep=srv" | grep -q "<coap://127.0.0.1:$psrv/time>" ||
	fail "links after proxy=no: $(coap "$U/rd-lookup/res?ep=srv")"
[ "$(coap_code "$U$loc?proxy=maybe" -m post)" = 4.00 ] ||
	fail "update proxy=maybe"
code=$(coap_code "$U$loc?proxy=yes" -m post)
[ "$code" = 2.04 ] || fail "update proxy=yes: $code"
coap "$U/rd-lookup/ep?ep=srv" | grep -q 'base="coap://srv.proxy.test"' ||
	fail "proxy=yes again: $(coap "$U/rd-lookup/ep?ep=srv")"
coap "$U/time" -O 3,srv.proxy.test | grep -Eq '[0-9][0-9]:[0-9][0-9]' ||
	fail "GET /time after proxy=yes again"
ok "an update with proxy=no: name 4.04, base the device's; proxy=yes again restores it"

# --- silent devices: 5.04 after proxy-timeout, and the caps
"$COAP_DEVICE" -n -t 150 -c "$TMP/silent.log" "$psil" /dev/null &
PIDS="$PIDS $!"
"$COAP_DEVICE" -n -t 150 -c "$TMP/silent2.log" "$psil2" /dev/null &
PIDS="$PIDS $!"
for s in silent:$psil silent2:$psil2; do
	code=$(coap_code "$U/rd?ep=${s%:*}&proxy=yes&base=coap://127.0.0.1:${s#*:}" \
	    -m post -t 40 -e '</x>')
	[ "$code" = 2.01 ] || fail "registering ${s%:*}: $code"
done
t0=$(proxy_stat timeout)
start=$(date +%s)
t=$(trace "$U/x" -O 3,silent.proxy.test)
took=$(( $(date +%s) - start ))
[ "$(echo "$t" | coap_code_of)" = 5.04 ] || fail "silent device: $t"
echo "$t" | grep -q 'the device did not answer in time' ||
	fail "no diagnostic with the 5.04"
[ "$took" -ge 1 ] && [ "$took" -le 5 ] || fail "5.04 after $took s, not ~2"
[ "$(seen silent 'GET x')" -eq 1 ] || fail "the request did not reach the device"
[ "$(proxy_stat timeout)" -eq $((t0 + 1)) ] ||
	fail "timeout went from $t0 to $(proxy_stat timeout)"
ok "a silent device: 5.04 after about proxy-timeout ($took s), counted"

# proxy-inflight 1: the second request to that device is refused.
r0=$(proxy_stat refused)
coap_code "$U/x" -O 3,silent.proxy.test > "$TMP/first.code" &
first=$!
i=0
until grep -q '"proxy_in_flight":1' "$TMP/stats.json" 2>/dev/null; do
	coap "$U/corehub/stats" -A 50 > "$TMP/stats.json"
	i=$((i + 1))
	[ $i -lt 20 ] || fail "the first request is not in flight"
	sleep 0.1
done
t=$(trace "$U/y" -O 3,silent.proxy.test)
[ "$(echo "$t" | coap_code_of)" = 5.03 ] || fail "second request: $t"
echo "$t" | grep -q 'c:5.03 .*Max-Age:' || fail "5.03 without Max-Age"
[ "$(seen silent 'GET y')" -eq 0 ] || fail "the refused request was sent"
# proxy-max-inflight 2: a second device's request fills it; a third waits.
coap_code "$U/x" -O 3,silent2.proxy.test > "$TMP/second.code" &
second=$!
i=0
until grep -q '"proxy_in_flight":2' "$TMP/stats.json"; do
	coap "$U/corehub/stats" -A 50 > "$TMP/stats.json"
	i=$((i + 1))
	[ $i -lt 20 ] || fail "two requests are not in flight"
	sleep 0.1
done
[ "$(coap_code "$U/sensors/temp" -O 3,dev1.proxy.test -O 4,cap)" = 5.03 ] ||
	fail "a third request past proxy-max-inflight 2"
wait $first
wait $second
[ "$(cat "$TMP/first.code")" = 5.04 ] ||
	fail "the first request: '$(cat "$TMP/first.code")'"
[ "$(cat "$TMP/second.code")" = 5.04 ] ||
	fail "the second request: '$(cat "$TMP/second.code")'"
[ "$(proxy_stat refused)" -eq $((r0 + 2)) ] ||
	fail "refused went from $r0 to $(proxy_stat refused)"
coap "$U/corehub/stats" -A 50 | grep -q '"proxy_in_flight":0' ||
	fail "requests still in flight"
ok "proxy-inflight 1 and proxy-max-inflight 2: 5.03 with Max-Age, counted"

# A device that is not there at all (ICMP): 5.02 at once, not at the
# timeout, counted as unreachable.
code=$(coap_code "$U/rd?ep=closed&proxy=yes&base=coap://127.0.0.1:$pclosed" \
    -m post -t 40 -e '</x>')
[ "$code" = 2.01 ] || fail "registering closed: $code"
start=$(date +%s)
u0=$(proxy_stat unreachable)
code=$(coap_code "$U/x" -O 3,closed.proxy.test)
[ "$code" = 5.02 ] || fail "a closed port: $code"
[ "$(proxy_stat unreachable)" -eq $((u0 + 1)) ] ||
	fail "unreachable went from $u0 to $(proxy_stat unreachable)"
[ $(( $(date +%s) - start )) -le 1 ] || fail "a closed port took the timeout"
closed=$(coap "$U/rd-lookup/ep?ep=closed" | sed -n 's/^<\(\/rd\/[0-9]*\)>.*/\1/p')
[ "$(coap_code "$U$closed" -m delete)" = 2.02 ] || fail "deleting closed"
[ "$(coap_code "$U/x" -O 3,closed.proxy.test)" = 4.04 ] ||
	fail "the name of a deleted registration"
ok "a closed port: 5.02 at once, unreachable; a deleted registration's name: 4.04"

# --- a restart, with an ACL and no cache
stop_daemon 30
cat > "$TMP/acl.conf" <<'ACL'
allow anon rd:** register,update,delete,lookup,simple-register,proxy
allow anon stats stats
deny anon rd:lab/big proxy
ACL
conf "proxy-base coap://proxy.test
proxy-timeout 2
proxy-cache-size 0
acl-file acl.conf"
start_daemon
coap "$U/rd-lookup/ep?ep=srv" | grep -q 'base="coap://srv.proxy.test";.*proxy=yes' ||
	fail "srv after a restart: $(coap "$U/rd-lookup/ep?ep=srv")"
# Not an admin now: a proxied registration is reached at its source only.
code=$(coap_code "$U/rd?ep=evil&proxy=yes&base=coap://127.0.0.1:$psrv" \
    -m post -t 40 -e '</time>')
[ "$code" = 4.01 ] || fail "a non-admin's proxied registration with a base: '$code'"
[ "$(coap_code "$U/rd?ep=evil&proxy=yes" -m post -t 40 -e '</time>')" = 2.01 ] ||
	fail "a non-admin's proxied registration without base"
ok "a non-admin may not point a proxied registration at another address (4.01)"
coap "$U/rd-lookup/res?ep=srv" | grep -q '<coap://srv.proxy.test/time>' ||
	fail "srv's links after a restart: $(coap "$U/rd-lookup/res?ep=srv")"
tm=$(coap "$U/time" -O 3,srv.proxy.test)
echo "$tm" | grep -Eq '[0-9][0-9]:[0-9][0-9]:[0-9][0-9]' ||
	fail "GET /time through the proxy after a restart: '$tm'"
[ "$(coap "$U/example_data" -O 3,srv.proxy.test)" = put-value-1 ] ||
	fail "GET /example_data after a restart"
# The simple registration's session is gone: its address is used.
n0=$(seen dev1 'GET sensors/temp')
[ "$(coap "$U/sensors/temp" -O 3,dev1.proxy.test)" = 21.5 ] ||
	fail "dev1 after a restart"
[ "$(coap "$U/sensors/temp" -O 3,dev1.proxy.test)" = 21.5 ] ||
	fail "dev1 after a restart, again"
[ "$(seen dev1 'GET sensors/temp')" -eq $((n0 + 2)) ] ||
	fail "proxy-cache-size 0: the device saw $(( $(seen dev1 'GET sensors/temp') - n0 )) of 2 GETs"
ok "after a restart: proxy URIs kept, explicit base and device address reached, proxy-cache-size 0 caches nothing"

code=$(coap_code "$U/.well-known/core" -O 3,big.lab.proxy.test)
[ "$code" = 4.01 ] || [ "$code" = 4.03 ] || fail "ACL deny proxy: $code"
coap "$U/rd-lookup/ep?ep=big" | grep -q 'base="coap://big.lab.proxy.test"' ||
	fail "lookup of big under the ACL: $(coap "$U/rd-lookup/ep?ep=big")"
[ "$(coap_code "$U/sensors/temp" -O 3,dev1.proxy.test)" = 2.05 ] ||
	fail "the deny rule reached dev1"
ok "ACL: proxy denied to anon on rd:lab/big ($code), lookup still allowed"

# --- without proxy-base nothing is proxied
stop_daemon 30
conf ""
start_daemon
[ "$(coap_code "$U/rd?ep=n1&proxy=yes&base=coap://127.0.0.1:$px" -m post \
    -t 40 -e '</p>')" = 4.00 ] || fail "proxy=yes without proxy-base"
code=$("$COAP_DEVICE" -r "127.0.0.1:$pu" -q "ep=n2&proxy=yes" -t 10 "$px" \
    /dev/null)
[ "$code" = 4.00 ] || fail "simple proxy=yes without proxy-base: '$code'"
[ "$(coap_code "$U/rd?ep=n3&proxy=no&base=coap://127.0.0.1:$px" -m post \
    -t 40 -e '</p>')" = 2.01 ] || fail "proxy=no without proxy-base"
[ "$(coap_code "$U/time" -O 3,srv.proxy.test)" = 4.04 ] ||
	fail "a proxy name forwarded without proxy-base"
ok "without proxy-base: proxy=yes is 4.00, nothing is forwarded"
stop_daemon 30
