#!/bin/sh
# Amplification limits on plain UDP (RFC 9175): a large answer to a client
# that has not shown it receives at its address is 4.01 with Echo, and the
# answer follows once the client echoes it (coap-client does so itself);
# a forged or stale Echo does not count; Observe needs a verified client;
# "echo no" turns it off.
. "${top_srcdir}/tests/integration/lib.sh"
need_client

pu=$(free_port); po=$(free_port)
write_conf <<CONF
listen coap://127.0.0.1:$pu
listen coap://127.0.0.1:$po {
	echo no
}
ps-rd-base off
CONF
start_daemon
U="coap://127.0.0.1:$pu"
O="coap://127.0.0.1:$po"

i=0
while [ $i -lt 20 ]; do
	[ "$(coap_code "$U/rd?ep=node$i&base=coap://h" -m post -t 40 \
	    -e "</sensors/temperature/$i>;rt=\"temperature-c\";if=\"sensor\"")" = 2.01 ] ||
		fail "registration $i"
	i=$((i + 1))
done
trace=$(coap_trace "$U/rd-lookup/res")
echo "$trace" | grep -q 'c:4.01 .*Echo:' ||
	fail "no 4.01 with Echo for a large answer: $trace"
echo "$trace" | grep -q 'c:2.05' || fail "no answer after the echo: $trace"
echo "$trace" | grep 'c:GET' | grep -q 'Echo:' ||
	fail "no request carried the Echo back"
ok "a large answer to an unverified client: 4.01 with Echo, then the answer"

trace=$(coap_trace "$U/.well-known/core")
echo "$trace" | grep -q 'c:4.01 .*Echo:' ||
	fail "/.well-known/core went out whole to an unverified client: $trace"
echo "$trace" | grep -q 'c:2.05 .*</rd>' || fail "no /.well-known/core: $trace"
[ "$(coap "$U/.well-known/core?rt=core.rd*" | tr ',' '\n' | grep -c '^<')" -eq 3 ] ||
	fail "/.well-known/core?rt=core.rd*: $(coap "$U/.well-known/core?rt=core.rd*")"
[ "$(coap "$U/.well-known/core?href=/rd")" = '</rd>;ct=40;rt="core.rd"' ] ||
	fail "/.well-known/core?href=/rd: $(coap "$U/.well-known/core?href=/rd")"
[ "$(coap "$U/.well-known/core?obs" | tr ',' '\n' | grep -c '^<')" -eq 3 ] ||
	fail "/.well-known/core?obs: $(coap "$U/.well-known/core?obs")"
ok "/.well-known/core: the same limit, and RFC 6690 filters"

trace=$(coap_trace "$U/rd-lookup/res?ep=node3")
echo "$trace" | grep -q 'c:2.05' || fail "a small answer: $trace"
echo "$trace" | grep -q 'c:4.01' && fail "a small answer needed an Echo"
ok "an answer within three times the request goes at once"

# A forged Echo value is not a verification.
trace=$(coap_trace "$U/rd-lookup/res" -O 252,0x00000001aaaaaaaaaaaaaaaa)
[ "$(echo "$trace" | grep -c 'c:4.01 .*Echo:')" -ge 1 ] ||
	fail "a forged Echo was taken: $trace"
ok "a forged Echo value is refused"

trace=$(coap_trace "$U/rd-lookup/ep?ep=node1" -s 2)
echo "$trace" | grep -q 'c:4.01 .*Echo:' ||
	fail "an Observe registration went without an Echo: $trace"
echo "$trace" | grep 'c:2.05' | grep -q 'Observe' ||
	fail "no Observe after the echo: $trace"
ok "Observe from plain UDP needs an echoed Echo first"

trace=$(coap_trace "$O/rd-lookup/res")
echo "$trace" | grep -q 'c:4.01' && fail "echo no still asked for an Echo"
echo "$trace" | grep -q 'c:2.05' || fail "echo no: $trace"
ok "a listener with echo no answers at once"
stop_daemon 30
