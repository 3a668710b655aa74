#!/bin/sh
# The broker's global limits: subscriptions over all topics (5.03 with
# Max-Age beyond ps-max-subscriptions) and publishes per second over all
# topics (4.29 with Max-Age beyond ps-max-publish-rate).
. "${top_srcdir}/tests/integration/lib.sh"
need_client

pu=$(free_port)
write_conf <<CONF
listen coap://127.0.0.1:$pu {
	echo no
}
ps-max-subscriptions 2
ps-max-publish-rate 2
ps-rd-base off
CONF
start_daemon
U="coap://127.0.0.1:$pu"

printf '\242\000\141a\002\154core.ps.data' > "$TMP/a.cbor"
printf '\242\000\141b\002\154core.ps.data' > "$TMP/b.cbor"
[ "$(coap_code "$U/ps" -m post -t 606 -f "$TMP/a.cbor")" = 2.01 ] || fail "topic a"
[ "$(coap_code "$U/ps" -m post -t 606 -f "$TMP/b.cbor")" = 2.01 ] || fail "topic b"
sleep 1.1	# a full bucket
[ "$(coap_code "$U/ps/data/1" -m put -t 0 -e 1)" = 2.01 ] || fail "publish a"
[ "$(coap_code "$U/ps/data/2" -m put -t 0 -e 1)" = 2.01 ] || fail "publish b"
i=0; pids=
while [ $i -lt 6 ]; do
	coap_trace "$U/ps/data/$((i % 2 + 1))" -m put -t 0 -e "x$i" \
	    > "$TMP/pub.$i" &
	pids="$pids $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086
wait $pids
cat "$TMP"/pub.* | grep -q 'c:4.29 .*Max-Age' ||
	fail "no 4.29 over ps-max-publish-rate across topics"
ok "ps-max-publish-rate: 4.29 with Max-Age across all topics"

"$COAP_CLIENT" -B 5 -s 4 "$U/ps/data/1" >/dev/null 2>&1 &
s1=$!
"$COAP_CLIENT" -B 5 -s 4 "$U/ps/data/2" >/dev/null 2>&1 &
s2=$!
sleep 0.7
trace=$(coap_trace "$U/ps/data/1" -s 1)
echo "$trace" | grep -q 'c:5.03 .*Max-Age' ||
	fail "a third subscription over ps-max-subscriptions: $trace"
wait $s1 $s2
[ "$(coap_code "$U/ps/data/1" -s 1)" = 2.05 ] ||
	fail "no subscription once the others ended"
ok "ps-max-subscriptions: 5.03 with Max-Age over all topics"
stop_daemon 30
