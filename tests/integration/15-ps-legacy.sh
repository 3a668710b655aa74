#!/bin/sh
# The 2017-2019 broker model (draft-ietf-core-coap-pubsub-09) on its own
# path: create with link-format, hierarchical topics, create-on-publish,
# PUT and POST publish, GET and Observe, DELETE with sub-topics, Max-Age
# lifetimes; and one topic store shared with the -21 model.
. "${top_srcdir}/tests/integration/lib.sh"
need_client

pu=$(free_port)
write_conf <<CONF
listen coap://127.0.0.1:$pu
ps-legacy-path /pubsub
CONF
start_daemon
U="coap://127.0.0.1:$pu"

wk=$(coap "$U/.well-known/core?rt=core.ps.discover")
case "$wk" in *"</pubsub>"*) ;; *) fail "legacy entry not discoverable: $wk" ;; esac
ok "the legacy entry point is discoverable with rt=core.ps.discover"

# CREATE
trace=$(coap_trace "$U/pubsub" -m post -t 40 -e '<temp>;ct=0')
echo "$trace" | grep -q 'c:2.01 .*Location-Path:pubsub, Location-Path:temp' ||
	fail "create: $trace"
[ "$(coap_code "$U/pubsub" -m post -t 40 -e '<a>;ct=0,<b>;ct=0')" = 4.00 ] ||
	fail "two links were taken"
[ "$(coap_code "$U/pubsub" -m post -t 40 -e '<x/y>;ct=0')" = 4.00 ] ||
	fail "a name with a slash was taken"
[ "$(coap_code "$U/pubsub" -m post -t 40 -e '<x>')" = 4.00 ] ||
	fail "a link without ct was taken"
[ "$(coap_code "$U/pubsub" -m post -t 0 -e '<x>;ct=0')" = 4.15 ] ||
	fail "a creation that is not link-format was taken"
ok "CREATE takes exactly one <name>;ct=N link"

# Hierarchy: a parent (ct=40) and a sub-topic created under it.
[ "$(coap_code "$U/pubsub" -m post -t 40 -e '<home>;ct=40')" = 2.01 ] ||
	fail "parent"
trace=$(coap_trace "$U/pubsub/home" -m post -t 40 -e '<kitchen>;ct=0')
echo "$trace" | grep -q 'c:2.01 .*Location-Path:home, Location-Path:kitchen' ||
	fail "sub-topic: $trace"
list=$(coap "$U/pubsub")
case "$list" in *'</pubsub/temp>;rt="core.ps.data";ct=0;obs'*'</pubsub/home>;rt="core.ps.data";ct=40'*) ;;
*) fail "root listing: $list" ;; esac
[ "$(coap "$U/pubsub/home")" = '</pubsub/home/kitchen>;rt="core.ps.data";ct=0;obs' ] ||
	fail "parent listing: $(coap "$U/pubsub/home")"
[ "$(coap_code "$U/pubsub?ct=99")" = 4.04 ] || fail "a filter matching nothing"
ok "hierarchical topics are created one level at a time and discovered"

# PUBLISH, READ, SUBSCRIBE
[ "$(coap_code "$U/pubsub/temp")" = 4.04 ] || fail "read before any publish"
[ "$(coap_code "$U/pubsub/temp" -m put -t 0 -e 'v1;')" = 2.04 ] || fail "PUT"
[ "$(coap_code "$U/pubsub/temp" -m put -t 60 -e 'x')" = 4.15 ] ||
	fail "a value in another format was taken"
"$COAP_CLIENT" -B 6 -s 4 "$U/pubsub/temp" > "$TMP/sub.out" 2>&1 &
sub=$!
sleep 0.5
[ "$(coap_code "$U/pubsub/temp" -m post -t 0 -e 'v2;')" = 2.04 ] || fail "POST publish"
sleep 0.2
[ "$(coap_code "$U/pubsub/temp" -m put -t 0 -e 'v3;')" = 2.04 ] || fail "PUT 2"
wait $sub
[ "$(cat "$TMP/sub.out")" = 'v1;v2;v3;' ] ||
	fail "legacy subscriber got: $(cat "$TMP/sub.out")"
ok "PUT and POST publish, GET reads, Observe follows"

# Create-on-publish: every missing level.
trace=$(coap_trace "$U/pubsub/garden/shed/door" -m put -t 0 -e open)
echo "$trace" | grep -q 'c:2.01 .*Location-Path:pubsub, Location-Path:garden, Location-Path:shed, Location-Path:door' ||
	fail "create-on-publish: $trace"
[ "$(coap "$U/pubsub/garden/shed/door")" = open ] || fail "value after create-on-publish"
[ "$(coap "$U/pubsub/garden")" = '</pubsub/garden/shed>;rt="core.ps.data";ct=40' ] ||
	fail "created parent: $(coap "$U/pubsub/garden")"
ok "a PUT to a new path creates the topic and its parents"

# REMOVE: recursive.
"$COAP_CLIENT" -B 5 -s 3 -v 7 "$U/pubsub/garden/shed/door" > "$TMP/sub2.out" 2>&1 &
sub2=$!
sleep 0.5
[ "$(coap_code "$U/pubsub/garden" -m delete)" = 2.02 ] || fail "DELETE"
[ "$(coap_code "$U/pubsub/garden/shed/door")" = 4.04 ] || fail "sub-topic left"
[ "$(coap_code "$U/pubsub/garden/shed")" = 4.04 ] || fail "parent left"
wait $sub2
grep -q 'c:4.04' "$TMP/sub2.out" || fail "subscriber not told of the removal"
ok "DELETE removes the topic with its sub-topics, subscribers get 4.04"

# Max-Age lifetime on CREATE, renewed by each publish.
[ "$(coap_code "$U/pubsub" -m post -t 40 -e '<brief>;ct=0' -O 14,0x02)" = 2.01 ] ||
	fail "create with Max-Age"
[ "$(coap_code "$U/pubsub/brief" -m put -t 0 -e b1)" = 2.04 ] || fail "publish brief"
sleep 1.3
[ "$(coap_code "$U/pubsub/brief" -m put -t 0 -e b2)" = 2.04 ] ||
	fail "publish renewing brief"
sleep 1.3
[ "$(coap "$U/pubsub/brief")" = b2 ] || fail "a publish did not renew the lifetime"
sleep 1.2
[ "$(coap_code "$U/pubsub/brief")" = 4.04 ] || fail "the topic outlived its Max-Age"
ok "a Max-Age lifetime ends the topic unless publishes renew it"

# One store for both models.
list=$(coap "$U/ps?rt=core.ps.data")
case "$list" in *'</pubsub/temp>;rt="core.ps.data";obs'*) ;;
*) fail "legacy topic not in the -21 collection: $list" ;; esac
[ "$(coap "$U/pubsub/temp")" = 'v3;' ] || fail "read"
printf '\242\000\144hum1\002\154core.ps.data' > "$TMP/hum.cbor"
id=$(coap_trace "$U/ps" -m post -t 606 -f "$TMP/hum.cbor" |
	sed -n 's/.*c:2.01 .*Location-Path:ps, Location-Path:\([0-9]*\).*/\1/p')
[ -n "$id" ] || fail "-21 create"
[ "$(coap_code "$U/ps/data/$id" -m put -t 0 -e from21)" = 2.01 ] ||
	fail "-21 publish"
[ "$(coap "$U/pubsub/hum1")" = from21 ] ||
	fail "the legacy model does not see a -21 publish"
[ "$(coap_code "$U/pubsub/hum1" -m put -t 0 -e fromlegacy)" = 2.04 ] ||
	fail "legacy publish on a -21 topic"
[ "$(coap "$U/ps/data/$id")" = fromlegacy ] ||
	fail "the -21 model does not see a legacy publish"
[ "$(coap_code "$U/pubsub/temp" -m put -t 0 -e 'v4;')" = 2.04 ] || fail "PUT 3"
[ "$(coap "$U/pubsub/temp")" = 'v4;' ] || fail "legacy read"
ok "both models serve one topic store and see each other's publishes"
stop_daemon 30
