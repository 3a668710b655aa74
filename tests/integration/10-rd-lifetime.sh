#!/bin/sh
# Lifetimes and durability: a registration with lt=2 leaves lookups when
# its lifetime ends and can still be refreshed within the grace time; every
# acknowledged registration survives kill -9 and a restart.
. "${top_srcdir}/tests/integration/lib.sh"
need_client

pu=$(free_port)
write_conf <<CONF
listen coap://127.0.0.1:$pu
# The directory alone: the broker stays out of it.
ps-rd-base off
rd-grace 60
CONF
start_daemon
U="coap://127.0.0.1:$pu"

[ "$(coap_code "$U/rd?ep=brief&lt=2&base=coap://[2001:db8::1]" -m post \
    -t 40 -e '</t>')" = 2.01 ] || fail "registration"
[ "$(coap "$U/rd-lookup/ep?ep=brief" | grep -c 'ep=brief')" -eq 1 ] ||
	fail "not visible before expiry"
sleep 3
[ -z "$(coap "$U/rd-lookup/ep?ep=brief")" ] || fail "visible after lt=2"
[ -z "$(coap "$U/rd-lookup/res?href=coap://[2001:db8::1]/t")" ] ||
	fail "links visible after lt=2"
grep -q 'registration ep=brief expired' "$TMP/daemon.log" ||
	fail "expiry not logged"
# Still refreshable within the grace time.
# (long enough to outlive the 1000 registrations below on a slow machine)
[ "$(coap_code "$U/rd/1?lt=3600" -m post)" = 2.04 ] || fail "refresh in grace"
[ -n "$(coap "$U/rd-lookup/ep?ep=brief")" ] || fail "not back after refresh"
ok "lt=2: gone from lookups after its lifetime, refreshable in grace"

# 1000 registrations, each acknowledged; then kill -9. A request that got
# no answer (a loaded machine) is sent again: registering is idempotent.
i=0
while [ $i -lt 1000 ]; do
	try=0
	while :; do
		code=$(coap_code "$U/rd?ep=dev$i&d=plant&lt=3600&base=coap://[2001:db8::2]" \
		    -m post -t 40 -e "</s/$i>;rt=\"sensor\"")
		[ -n "$code" ] || [ $try -ge 3 ] && break
		try=$((try + 1))
	done
	[ "$code" = 2.01 ] || fail "registration $i: '$code'"
	i=$((i + 1))
done
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
start_daemon
grep -q '1001 registrations restored' "$TMP/daemon.log" ||
	fail "restore: $(grep restored "$TMP/daemon.log")"
n=$(coap "$U/rd-lookup/ep?d=plant" -b 1024 | tr ',' '\n' | grep -c 'ep=dev')
[ "$n" -eq 1000 ] || fail "$n of 1000 registrations after kill -9"
for i in 0 499 999; do
	[ "$(coap "$U/rd-lookup/res?ep=dev$i")" = \
	    "<coap://[2001:db8::2]/s/$i>;rt=\"sensor\"" ] ||
		fail "dev$i lost its links"
done
ok "1000 acknowledged registrations survive kill -9 and restart"
# New registrations get new locations, never a reused one.
trace=$(coap_trace "$U/rd?ep=after&base=coap://h" -m post -t 40 -e '</x>')
echo "$trace" | grep -q 'Location-Path:rd, Location-Path:1002 ' ||
	fail "location after restart: $trace"
ok "locations continue after a restart"
stop_daemon 10
