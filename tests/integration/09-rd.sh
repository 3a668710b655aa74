#!/bin/sh
# The Resource Directory with the real daemon and coap-client: discovery,
# registration (RFC 9176 section 5 and its examples), update, removal,
# lookups with filters and paging, error codes, over UDP and TCP.
. "${top_srcdir}/tests/integration/lib.sh"
need_client

pu=$(free_port); pt=$(free_port); cp=$(free_port)
write_conf <<CONF
listen coap://127.0.0.1:$pu
# The directory alone: the broker stays out of it.
ps-rd-base off
listen coap+tcp://127.0.0.1:$pt
CONF
start_daemon
U="coap://127.0.0.1:$pu"
T="coap+tcp://127.0.0.1:$pt"
LF='</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux";if="sensor"'

# expect WHAT GOT WANT
expect() {
	[ "$2" = "$3" ] || fail "$1: got '$2', wanted '$3'"
}

# --- discovery (F01): one link per function, rt filtering with '*'
wk=$(coap "$U/.well-known/core?rt=core.rd*")
expect "discovery" "$(echo "$wk" | tr ',' '\n' | sort | tr '\n' ' ')" \
    '</rd-lookup/ep>;obs;ct=40;rt="core.rd-lookup-ep" </rd-lookup/res>;obs;ct=40;rt="core.rd-lookup-res" </rd>;ct=40;rt="core.rd" '
expect "discovery of core.rd" "$(coap "$U/.well-known/core?rt=core.rd")" \
    '</rd>;ct=40;rt="core.rd"'
expect "discovery of lookups" \
    "$(coap "$U/.well-known/core?rt=core.rd-lookup*" | tr ',' '\n' | wc -l)" 2
expect "discovery, no match" "$(coap_code "$U/.well-known/core?rt=nothing")" 2.05
expect "discovery, no match payload" "$(coap "$U/.well-known/core?rt=nothing")" ""
expect "discovery over TCP" "$(coap "$T/.well-known/core?rt=core.rd")" \
    '</rd>;ct=40;rt="core.rd"'
ok "discovery: /.well-known/core?rt=core.rd* with filtering"

# --- registration (RFC 9176 section 5, figure 8 style), implicit base
trace=$(coap_trace "$U/rd?ep=node1&lt=90000" -p "$cp" -m post -t 40 -e "$LF")
echo "$trace" | grep -q 'c:2.01 .*Location-Path:rd, Location-Path:1 ' ||
	fail "registration: $trace"
expect "resource lookup" "$(coap "$U/rd-lookup/res?ep=node1")" \
    "<coap://127.0.0.1:$cp/sensors/temp>;rt=\"temperature-c\";if=\"sensor\",<coap://127.0.0.1:$cp/sensors/light>;rt=\"light-lux\";if=\"sensor\""
expect "endpoint lookup" "$(coap "$U/rd-lookup/ep?ep=node1")" \
    "</rd/1>;ep=node1;base=\"coap://127.0.0.1:$cp\";rt=core.rd-ep"
# The same (ep, d) again: same location, links replaced.
trace=$(coap_trace "$U/rd?ep=node1" -p "$cp" -m post -t 40 -e '</only>')
echo "$trace" | grep -q 'c:2.01 .*Location-Path:rd, Location-Path:1 ' ||
	fail "re-registration: $trace"
expect "links replaced" "$(coap "$U/rd-lookup/res?ep=node1")" \
    "<coap://127.0.0.1:$cp/only>"
ok "registration, implicit base, idempotent re-registration"

# --- RFC 9176 section 5.3.1: base change re-resolves links
coap "$U/rd?ep=endpoint1&base=coap://local-proxy-old.example.com" -m post -t 40 \
    -e '</sensors/temp>;ct=41;rt="temperature-c";if="sensor",<http://www.example.com/sensors/temp>;anchor="/sensors/temp";rel="describedby"' >/dev/null
expect "5.3.1 before" "$(coap "$U/rd-lookup/res?ep=endpoint1")" \
    '<coap://local-proxy-old.example.com/sensors/temp>;ct=41;rt="temperature-c";if="sensor",<http://www.example.com/sensors/temp>;anchor="coap://local-proxy-old.example.com/sensors/temp";rel="describedby"'
expect "update" "$(coap_code "$U/rd/2?base=coaps://new.example.com" -m post)" 2.04
expect "5.3.1 after" "$(coap "$U/rd-lookup/res?ep=endpoint1")" \
    '<coaps://new.example.com/sensors/temp>;ct=41;rt="temperature-c";if="sensor",<http://www.example.com/sensors/temp>;anchor="coaps://new.example.com/sensors/temp";rel="describedby"'
ok "RFC 9176 5.3.1: update with a new base re-resolves targets and anchors"

# --- RFC 9176 section 6.3: two endpoints post RFC 6690's sixth example;
# relative targets and anchors are resolved, full URIs stay as they are.
R6690='</sensors>;ct=40;title="Sensor Index",</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux";if="sensor",<http://www.example.com/sensors/t123>;anchor="/sensors/temp";rel="describedby",</t>;anchor="/sensors/temp";rel="alternate"'
for n in 1 2; do
	expect "6.3 registration $n" "$(coap_code "$U/rd?ep=sensor$n&base=coap://sensor$n.example.com&et=tag:example.com,2020:platform" \
	    -m post -t 40 -e "$R6690")" 2.01
done
got=$(coap "$U/rd-lookup/res?et=tag:example.com,2020:platform" | tr ',' '\n')
want=$(for n in 1 2; do
	h="coap://sensor$n.example.com"
	echo "<$h/sensors>;ct=40;title=\"Sensor Index\""
	echo "<$h/sensors/temp>;rt=\"temperature-c\";if=\"sensor\""
	echo "<$h/sensors/light>;rt=\"light-lux\";if=\"sensor\""
	echo "<http://www.example.com/sensors/t123>;anchor=\"$h/sensors/temp\";rel=\"describedby\""
	echo "<$h/t>;anchor=\"$h/sensors/temp\";rel=\"alternate\""
done)
expect "6.3 lookup by et" "$got" "$want"
expect "6.3 endpoint lookup by et" \
    "$(coap "$U/rd-lookup/ep?et=tag:example.com,2020:platform" | grep -o '</rd/[0-9]*>;ep=sensor[0-9]')" \
    "$(printf '</rd/3>;ep=sensor1\n</rd/4>;ep=sensor2')"
for n in 3 4; do coap "$U/rd/$n" -m delete >/dev/null; done
ok "RFC 9176 6.3: lookup across endpoints by et, targets and anchors resolved"

# --- RFC 9176 section 10.1 style: a lighting installation, lookups
for n in 1 2 3; do
	coap "$U/rd?ep=lamp$n&d=R2-4-015&base=coap://[2001:db8:4::$n]&et=light-node" \
	    -m post -t 40 -e '</light/left>;rt="light";if="core.a",</light/right>;rt="light"' >/dev/null
done
coap "$U/rd?ep=switch&d=R2-4-015&base=coap://[2001:db8:4::9]" -m post -t 40 \
    -e '</switch>;rt="switch btn"' >/dev/null
expect "by sector" "$(coap "$U/rd-lookup/ep?d=R2-4-015&ep=lamp*" | tr ',' '\n' | wc -l)" 3
expect "by et" "$(coap "$U/rd-lookup/ep?et=light-node&count=1&page=2")" \
    '</rd/7>;ep=lamp3;d=R2-4-015;base="coap://[2001:db8:4::3]";rt=core.rd-ep;et=light-node'
expect "reltype" "$(coap "$U/rd-lookup/res?rt=btn")" \
    '<coap://[2001:db8:4::9]/switch>;rt="switch btn"'
expect "AND" "$(coap "$U/rd-lookup/res?rt=light&if=core.a&ep=lamp2")" \
    '<coap://[2001:db8:4::2]/light/left>;rt="light";if="core.a"'
expect "href" "$(coap "$U/rd-lookup/res?href=coap://[2001:db8:4::1]/light/right")" \
    '<coap://[2001:db8:4::1]/light/right>;rt="light"'
expect "paging" "$(coap "$U/rd-lookup/res?rt=light&count=2&page=1")" \
    '<coap://[2001:db8:4::2]/light/left>;rt="light";if="core.a",<coap://[2001:db8:4::2]/light/right>;rt="light"'
expect "empty lookup code" "$(coap_code "$U/rd-lookup/res?rt=nothing")" 2.05
expect "empty lookup payload" "$(coap "$U/rd-lookup/res?rt=nothing")" ""
ok "lookups: filters, AND, prefix, relation types, href, paging, empty"

# --- lookups: errors
expect "page without count" "$(coap_code "$U/rd-lookup/res?page=1")" 4.00
expect "negative count" "$(coap_code "$U/rd-lookup/ep?count=-1")" 4.00
expect "unsupported Accept" "$(coap_code "$U/rd-lookup/res" -A 50)" 4.06
expect "Accept 40" "$(coap_code "$U/rd-lookup/res" -A 40)" 2.05
expect "wrong method on lookup" "$(coap_code "$U/rd-lookup/ep" -m post)" 4.05
expect "wrong method on directory" "$(coap_code "$U/rd")" 4.05
expect "GET on a registration" "$(coap_code "$U/rd/1")" 4.05
ok "lookup errors: 4.00, 4.06, 4.05"

# --- registration errors
expect "missing ep" "$(coap_code "$U/rd?lt=60" -m post -t 40 -e '</a>')" 4.00
expect "lt 0" "$(coap_code "$U/rd?ep=x&lt=0" -m post -t 40 -e '</a>')" 4.00
expect "long ep" "$(coap_code "$U/rd?ep=$(printf '%064d' 0)" -m post -t 40 -e '</a>')" 4.00
expect "bad link-format" "$(coap_code "$U/rd?ep=x" -m post -t 40 -e '</a>;')" 4.00
expect "text/plain" "$(coap_code "$U/rd?ep=x" -m post -t 0 -e '</a>')" 4.15
expect "no format" "$(coap_code "$U/rd?ep=x" -m post -e '</a>')" 4.15
expect "TCP without base" "$(coap_code "$T/rd?ep=tcp1" -m post -t 40 -e '</a>')" 4.00
expect "TCP with base" "$(coap_code "$T/rd?ep=tcp1&base=coap+tcp://[2001:db8::7]" -m post -t 40 -e '</a>')" 2.01
expect "TCP lookup" "$(coap "$T/rd-lookup/res?ep=tcp1")" '<coap+tcp://[2001:db8::7]/a>'
ok "registration errors: 4.00, 4.15; TCP needs base"

# --- update and removal
expect "update unknown" "$(coap_code "$U/rd/999" -m post)" 4.04
expect "update with payload" "$(coap_code "$U/rd/1" -m post -e 'x')" 4.00
expect "update changing ep" "$(coap_code "$U/rd/1?ep=other" -m post)" 4.00
expect "update same ep" "$(coap_code "$U/rd/1?ep=node1" -m post)" 2.04
expect "removal" "$(coap_code "$U/rd/1" -m delete)" 2.02
expect "removal again" "$(coap_code "$U/rd/1" -m delete)" 4.04
expect "removed is gone" "$(coap "$U/rd-lookup/ep?ep=node1")" ""
expect "update removed" "$(coap_code "$U/rd/1" -m post)" 4.04
expect "not a registration" "$(coap_code "$U/rd/abc" -m delete)" 4.04
ok "update (2.04, 4.04, 4.00) and removal (2.02 then 4.04)"

# --- block-wise: a registration in 64-byte blocks, a lookup in blocks
i=0; big=
while [ $i -lt 60 ]; do
	big="$big${big:+,}</sensor/$i>;rt=\"temperature-c\";if=\"sensor\""
	i=$((i + 1))
done
printf '%s\n' "$big" > "$TMP/big.lf"
trace=$(coap_trace "$U/rd?ep=big&base=coap://[2001:db8::b]" -m post -t 40 \
    -b 64 -f "$TMP/big.lf")
echo "$trace" | grep -q 'c:2.31 .*Block1:1/M/64' || fail "no 2.31 Continue"
echo "$trace" | grep -q 'c:2.01 ' || fail "block-wise registration: $(echo "$trace" | grep c:4)"
n=$(coap "$U/rd-lookup/res?ep=big" -b 256 | tr ',' '\n' | grep -c '/sensor/')
expect "block-wise lookup" "$n" 60
coap_trace "$U/rd-lookup/res?ep=big" -b 256 | grep -q 'Block2:1/M/256' ||
	fail "the lookup did not come in blocks"
head -c 70000 /dev/zero | tr '\0' 'a' > "$TMP/huge"
trace=$(coap_trace "$U/rd?ep=huge&base=coap://h" -m post -t 40 -b 1024 -f "$TMP/huge")
echo "$trace" | grep -q 'c:4.13 .*Size1:65536' || fail "oversized body: $trace"
ok "block-wise registration and lookup; 4.13 with Size1 over max-payload"

stop_daemon 10
