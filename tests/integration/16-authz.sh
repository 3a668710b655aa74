#!/bin/sh
# Authorization over DTLS with per-identity keys: first come, first
# remembered on registrations and topics, the ACL allowing and refusing
# registration, lookup, topic creation, publish and subscribe, lookups
# leaving out what the asker may not see, the endpoint name taken from the
# credential, and an ACL replaced on SIGHUP (a broken one keeping the old).
. "${top_srcdir}/tests/integration/lib.sh"
need_client

pd=$(free_port); pu=$(free_port)
cat > "$TMP/psk.keys" <<'KEYS'
alice alice-secret
bob bob-secret
carol carol-secret
KEYS
cat > "$TMP/acl.conf" <<'ACL'
group devices psk:alice psk:bob
allow group:devices rd:** register,update,delete
allow authenticated rd:** lookup
deny psk:carol rd:secret/** lookup
allow psk:alice ps:** create,admin,read-config,publish,subscribe
allow psk:bob ps:** read-config,subscribe
allow anon rd:open/** register,lookup,simple-register
quota anon registrations=2
quota psk:bob registrations=1 links=2 subscriptions=1
quota psk:alice publish-rate=3
ACL
write_conf <<CONF
listen coaps://127.0.0.1:$pd {
	psk-file psk.keys
}
listen coap://127.0.0.1:$pu
acl-file acl.conf
ps-rd-base off
CONF
start_daemon
S="coaps://127.0.0.1:$pd"
U="coap://127.0.0.1:$pu"
A="-u alice -k alice-secret"
B="-u bob -k bob-secret"
C="-u carol -k carol-secret"

# --- first come, first remembered
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd?ep=node1&d=secret&base=coap://h" -m post -t 40 -e '</t>' $A)" = 2.01 ] ||
	fail "alice registers"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd?ep=node1&d=secret&base=coap://h" -m post -t 40 -e '</x>' $B)" = 4.03 ] ||
	fail "bob took over alice's registration"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd/1?lt=100" -m post $B)" = 4.03 ] || fail "bob updated it"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd/1" -m delete $B)" = 4.03 ] || fail "bob deleted it"
[ "$(coap_code "$U/rd/1" -m delete)" = 4.01 ] || fail "anon deleted it (or not 4.01)"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd/1?lt=100" -m post $A)" = 2.04 ] || fail "alice updates"
ok "a registration is changed by its registrant only (4.03, 4.01 to anon)"

# --- the ACL on registration and lookup
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd?ep=c1&base=coap://h" -m post -t 40 -e '</t>' $C)" = 4.03 ] ||
	fail "carol may not register"
[ "$(coap_code "$U/rd?ep=o1&d=open" -m post -t 40 -e '</o>')" = 2.01 ] ||
	fail "anon registers in the open sector"
[ "$(coap_code "$U/rd?ep=o2&d=closed" -m post -t 40 -e '</o>')" = 4.01 ] ||
	fail "anon registered outside the open sector"
# shellcheck disable=SC2086
[ "$(coap "$S/rd-lookup/res" $B | tr ',' '\n' | grep -c 'coap://h/t>')" -eq 1 ] ||
	fail "bob does not see alice's registration"
# shellcheck disable=SC2086
[ -z "$(coap "$S/rd-lookup/res?href=coap://h/t" $C)" ] ||
	fail "carol sees the secret sector"
# shellcheck disable=SC2086
[ -n "$(coap "$S/rd-lookup/ep?d=open" $C)" ] || fail "carol misses the open sector"
[ "$(coap "$U/rd-lookup/ep" | tr ',' '\n' | grep -c 'ep=')" -eq 1 ] ||
	fail "anon sees more than the open sector: $(coap "$U/rd-lookup/ep")"
ok "the ACL allows and refuses registrations, lookups leave out what is hidden"

# --- simple registration: the ACL and the registrant's quota apply too
if [ -x "${COAP_DEVICE:-}" ]; then
	echo '</s>;rt="sensor"' > "$TMP/links"
	[ "$("$COAP_DEVICE" -r "127.0.0.1:$pu" -q "ep=s1&d=open" -t 10 \
	    "$(free_port)" "$TMP/links")" = 2.04 ] ||
		fail "anon's simple registration in the open sector"
	[ "$("$COAP_DEVICE" -r "127.0.0.1:$pu" -q "ep=s2&d=closed" -t 10 \
	    "$(free_port)" "$TMP/links")" = 4.01 ] ||
		fail "anon's simple registration outside the open sector"
	[ "$("$COAP_DEVICE" -r "127.0.0.1:$pu" -q "ep=s3&d=open" -t 10 \
	    "$(free_port)" "$TMP/links")" = 4.03 ] ||
		fail "anon's simple registration over its quota"
	ok "simple registration follows the ACL and the quotas"
fi

# --- the ACL on the broker
printf '\242\000\144temp\002\154core.ps.data' > "$TMP/temp.cbor"
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps" -m post -t 606 -f "$TMP/temp.cbor" $B)" = 4.03 ] ||
	fail "bob created a topic"
[ "$(coap_code "$U/ps" -m post -t 606 -f "$TMP/temp.cbor")" = 4.01 ] ||
	fail "anon created a topic"
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps" -m post -t 606 -f "$TMP/temp.cbor" $A)" = 2.01 ] ||
	fail "alice cannot create a topic"
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps/data/1" -m put -t 0 -e 21 $A)" = 2.01 ] || fail "alice publishes"
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps/data/1" -m put -t 0 -e 99 $B)" = 4.03 ] || fail "bob published"
# shellcheck disable=SC2086
[ "$(coap "$S/ps/data/1" $B)" = 21 ] || fail "bob cannot read"
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps/data/1" $C)" = 4.03 ] || fail "carol read the topic"
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps/1" -m delete $B)" = 4.03 ] || fail "bob deleted the topic"
# shellcheck disable=SC2086
[ -z "$(coap "$S/ps" $C)" ] || fail "carol sees the topic in the collection"
# shellcheck disable=SC2086
[ -n "$(coap "$S/ps" $B)" ] || fail "bob does not see the topic in the collection"
# shellcheck disable=SC2086
"$COAP_CLIENT" -B 4 -s 3 $B "$S/ps/data/1" > "$TMP/sub.out" 2>&1 &
sub=$!
sleep 1
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps/data/1" -m put -t 0 -e 22 $A)" = 2.04 ] || fail "alice publishes again"
wait $sub
[ "$(cat "$TMP/sub.out")" = 2122 ] || fail "bob's subscription: $(cat "$TMP/sub.out")"
ok "topic creation, publish and subscribe follow the ACL"

# --- quotas
# shellcheck disable=SC2086
loc=$(coap_trace "$S/rd?ep=b1&base=coap://h" -m post -t 40 -e '</1>' $B |
	sed -n 's/.*c:2.01 .*Location-Path:rd, Location-Path:\([0-9]*\).*/\1/p')
[ -n "$loc" ] || fail "bob's first registration"
# shellcheck disable=SC2086
trace=$(coap_trace "$S/rd?ep=b2&base=coap://h" -m post -t 40 -e '</1>' $B)
echo "$trace" | grep -q "c:4.03 .*quota: at most 1 registrations" ||
	fail "bob's second registration went over his quota: $trace"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd?ep=b1&base=coap://h&lt=600" -m post -t 40 -e '</1>,</2>' $B)" = 2.01 ] ||
	fail "bob at his quota cannot register again what he has"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd/$loc?lt=700" -m post $B)" = 2.04 ] ||
	fail "bob at his quota cannot refresh"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd?ep=b1&base=coap://h" -m post -t 40 -e '</1>,</2>,</3>' $B)" = 4.03 ] ||
	fail "bob registered more links than his quota"
ok "registration and link quotas: 4.03 with the reason, refresh still works"
# shellcheck disable=SC2086
"$COAP_CLIENT" -B 4 -s 3 $B "$S/ps/data/1" > /dev/null 2>&1 &
sub=$!
sleep 0.5
# shellcheck disable=SC2086
trace=$(coap_trace "$S/ps/data/1" -s 1 $B)
echo "$trace" | grep -q 'c:4.03 .*quota: at most 1 subscriptions' ||
	fail "bob's second subscription went over his quota: $trace"
wait $sub
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps/data/1" -s 1 $B)" = 2.05 ] ||
	fail "bob cannot subscribe once his subscription ended"
i=0; pids=
while [ $i -lt 8 ]; do
	# shellcheck disable=SC2086
	coap_trace "$S/ps/data/1" -m put -t 0 -e "q$i" $A > "$TMP/rate.$i" &
	pids="$pids $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086
wait $pids
cat "$TMP"/rate.* | grep -q 'c:4.29 .*Max-Age' ||
	fail "alice went over her publish rate without a 4.29"
ok "subscription and publish-rate quotas: 4.03 and 4.29 with Max-Age"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd/$loc" -m delete $B)" = 2.02 ] || fail "bob removes b1"

# --- a broken ACL on SIGHUP keeps the old one; a good one replaces it
echo 'allow psk:carol rd:** registr' >> "$TMP/acl.conf"
kill -HUP "$DAEMON_PID"
sleep 0.5
grep -q "acl.conf:$(wc -l < "$TMP/acl.conf"): unknown action \"registr\"" "$TMP/daemon.log" ||
	fail "the broken line was not logged"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd?ep=c1&base=coap://h" -m post -t 40 -e '</t>' $C)" = 4.03 ] ||
	fail "carol may register after a broken reload"
sed -i 's/registr$/register/' "$TMP/acl.conf"
kill -HUP "$DAEMON_PID"
sleep 0.5
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd?ep=c1&base=coap://h" -m post -t 40 -e '</t>' $C)" = 2.01 ] ||
	fail "carol may not register after a good reload"
ok "SIGHUP: a broken ACL keeps the old rules, a good one replaces them"
stop_daemon 30

# --- the endpoint name from the credential
cat >> "$TMP/corehub.conf" <<'CONF'
rd-ep-from-credential yes
CONF
start_daemon
# shellcheck disable=SC2086
trace=$(coap_trace "$S/rd?base=coap://h" -m post -t 40 -e '</t>' $B)
echo "$trace" | grep -q 'c:2.01' || fail "bob without ep: $trace"
# shellcheck disable=SC2086
[ "$(coap "$S/rd-lookup/ep?ep=bob" $B | grep -c 'ep=bob')" -eq 1 ] ||
	fail "bob's registration is not named bob"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd?ep=alice&base=coap://h" -m post -t 40 -e '</t>' $B)" = 4.03 ] ||
	fail "bob registered as alice"
ok "rd-ep-from-credential: a device registers under its own name only"
stop_daemon 30
