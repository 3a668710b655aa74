#!/bin/sh
# The broker, draft-ietf-core-coap-pubsub-21 model, with coap-client:
# discovery, topic creation and configuration in CBOR, publish, read,
# subscribe, FETCH, iPATCH, deletion ending subscriptions with 4.04,
# max-subscribers, publish rate, expiration, and topics and last values
# kept across a restart and a kill -9.
. "${top_srcdir}/tests/integration/lib.sh"
need_client

# Bytes from hex pairs ("a2 00 64"), with octal escapes for dash's printf.
hex() {
	for b in "$@"; do
		printf "\\$(printf %o "0x$b")"
	done
}
# A CBOR text string shorter than 24 bytes.
ctext() {
	hex "$(printf %x $((0x60 + ${#1})))"
	printf %s "$1"
}

pu=$(free_port)
write_conf <<CONF
listen coap://127.0.0.1:$pu
ps-publish-rate 5
CONF
start_daemon
U="coap://127.0.0.1:$pu"

# --- discovery
wk=$(coap "$U/.well-known/core?rt=core.ps")
case "$wk" in *"</ps>"*) ;; *) fail "no broker in /.well-known/core: $wk" ;; esac
wk=$(coap "$U/.well-known/core?rt=core.ps.coll")
case "$wk" in *"</ps>"*) ;; *) fail "no collection in /.well-known/core: $wk" ;; esac
ok "the broker and its collection are discoverable"

# --- creation: {0: "temp", 2: "core.ps.data", 4: "temperature"}
{ hex a3 00; ctext temp; hex 02; ctext core.ps.data; hex 04; ctext temperature; } \
	> "$TMP/temp.cbor"
trace=$(coap_trace "$U/ps" -m post -t 606 -f "$TMP/temp.cbor")
echo "$trace" | grep -q 'c:2.01 .*Location-Path:ps, Location-Path:1' ||
	fail "creation: $trace"
ok "a topic is created with 2.01 and a Location-Path"
[ "$(coap_code "$U/ps" -m post -t 606 -f "$TMP/temp.cbor")" = 4.00 ] ||
	fail "a duplicate topic-name was not refused"
{ hex a3 00; ctext x; hex 02; ctext core.ps.data; hex 18 63 01; } > "$TMP/bad.cbor"
[ "$(coap_code "$U/ps" -m post -t 606 -f "$TMP/bad.cbor")" = 4.00 ] ||
	fail "an unknown property was not refused"
{ hex a2 00 03 02; ctext core.ps.data; } > "$TMP/bad.cbor"
[ "$(coap_code "$U/ps" -m post -t 606 -f "$TMP/bad.cbor")" = 4.00 ] ||
	fail "an ill-typed topic-name was not refused"
hex 9a 0f ff ff ff > "$TMP/hostile.cbor"
[ "$(coap_code "$U/ps" -m post -t 606 -f "$TMP/hostile.cbor")" = 4.00 ] ||
	fail "a hostile declared count was not refused"
[ "$(coap_code "$U/ps" -m post -t 60 -f "$TMP/temp.cbor")" = 4.15 ] ||
	fail "a configuration in the wrong format was not refused"
ok "duplicate names, unknown or ill-typed properties and bad formats are refused"

list=$(coap "$U/ps")
[ "$list" = '</ps/1>;rt="core.ps.conf";ct=606' ] || fail "collection: $list"
list=$(coap "$U/ps?rt=core.ps.data")
[ "$list" = '</ps/data/1>;rt="core.ps.data";obs' ] || fail "data links: $list"
ok "the collection lists topics, and their data with ?rt=core.ps.data"
look=$(coap "$U/rd-lookup/res?rt=core.ps.data")
[ "$look" = "<$U/ps/data/1>;rt=\"core.ps.data\";obs" ] ||
	fail "the directory does not find the topic's data: $look"
look=$(coap "$U/rd-lookup/res?rt=core.ps.coll")
case "$look" in "<$U/ps>;rt=\"core.ps core.ps.coll\""*) ;;
*) fail "the directory does not find the collection: $look" ;; esac
ok "the directory finds the topic-data and the collection"

# --- half created: no data yet
[ "$(coap_code "$U/ps/data/1")" = 4.04 ] || fail "a half-created topic was read"
[ "$(coap_code "$U/ps/data/1" -s 1)" = 4.04 ] ||
	fail "a half-created topic was subscribed to"
ok "a half-created topic answers 4.04 to reads and subscriptions"

# --- publish, read, subscribe
[ "$(coap_code "$U/ps/data/1" -m put -t 0 -e 'v20;')" = 2.01 ] ||
	fail "the first publish is not 2.01"
[ "$(coap_code "$U/ps/data/1" -m put -t 0 -e 'v21;')" = 2.04 ] ||
	fail "a later publish is not 2.04"
[ "$(coap "$U/ps/data/1")" = 'v21;' ] || fail "the last value was not read back"
"$COAP_CLIENT" -B 8 -s 6 "$U/ps/data/1" > "$TMP/sub.out" 2>&1 &
sub=$!
sleep 0.3	# sub2 must be the newer subscription (evicted first below)
"$COAP_CLIENT" -B 8 -s 6 -v 7 "$U/ps/data/1" > "$TMP/sub2.out" 2>&1 &
sub2=$!
sleep 0.5
echo 'v21;' > "$TMP/want"
for v in 22 23 24; do
	code=$(coap_code "$U/ps/data/1" -m put -t 0 -e "v$v;")
	[ "$code" = 2.04 ] || fail "publish $v: $code"
	echo "v$v;" >> "$TMP/want"
	sleep 0.25
done

# --- configuration: GET, FETCH, iPATCH, POST
coap "$U/ps/1" -o "$TMP/conf.cbor" >/dev/null
od -An -tx1 "$TMP/conf.cbor" | tr -d ' \n' | grep -q '0064' ||
	fail "topic configuration: $(od -An -tx1 "$TMP/conf.cbor")"
hex 81 04 > "$TMP/keys.cbor"
coap "$U/ps/1" -m fetch -t 60 -f "$TMP/keys.cbor" -o "$TMP/fetch.cbor" >/dev/null
[ "$(od -An -tx1 "$TMP/fetch.cbor" | tr -d ' \n')" = \
	"a1046b74656d7065726174757265" ] ||
	fail "FETCH [4]: $(od -An -tx1 "$TMP/fetch.cbor")"
ok "a topic FETCH gives only the properties asked for"
{ hex a1 04; ctext temperature; } > "$TMP/filter.cbor"
list=$(coap "$U/ps" -m fetch -t 606 -f "$TMP/filter.cbor")
[ "$list" = '</ps/1>;rt="core.ps.conf";ct=606' ] || fail "collection FETCH: $list"
{ hex a1 04; ctext humidity; } > "$TMP/filter.cbor"
list=$(coap "$U/ps" -m fetch -t 606 -f "$TMP/filter.cbor")
[ -z "$list" ] || fail "collection FETCH matched a wrong topic-type: $list"
ok "a collection FETCH finds topics by their properties"
{ hex a1 00; ctext renamed; } > "$TMP/rename.cbor"
[ "$(coap_code "$U/ps/1" -m ipatch -t 606 -f "$TMP/rename.cbor")" = 4.00 ] ||
	fail "an immutable property was changed"
hex a1 06 02 > "$TMP/max2.cbor"
[ "$(coap_code "$U/ps/1" -m ipatch -t 606 -f "$TMP/max2.cbor")" = 2.04 ] ||
	fail "iPATCH max-subscribers"
ok "iPATCH changes a property, immutable ones cannot change"

# max-subscribers 2 and two subscribers: a third is served without Observe.
trace=$(coap_trace "$U/ps/data/1" -s 1)
echo "$trace" | grep 'c:2.05' | grep -q 'Observe' &&
	fail "a subscriber over max-subscribers got Observe: $trace"
echo "$trace" | grep -q 'c:2.05' || fail "no 2.05 over max-subscribers: $trace"
ok "over max-subscribers a subscription is a plain 2.05 without Observe"
# Lowering it ends the newest subscription (sub2) with 4.04.
hex a1 06 01 > "$TMP/max1.cbor"
[ "$(coap_code "$U/ps/1" -m ipatch -t 606 -f "$TMP/max1.cbor")" = 2.04 ] ||
	fail "iPATCH max-subscribers 1"
sleep 0.3
grep -q 'c:4.04' "$TMP/sub2.out" ||
	fail "lowering max-subscribers evicted nobody: $(cat "$TMP/sub2.out")"
[ "$(coap_code "$U/ps/data/1" -m put -t 0 -e 'last;')" = 2.04 ] ||
	fail "publish after eviction"
echo 'last;' >> "$TMP/want"
sleep 0.3
grep -q 'last;' "$TMP/sub2.out" && fail "an evicted subscriber was notified"
ok "lowering max-subscribers ends the newest subscriptions with 4.04"

# --- deleting the topic ends the subscriptions with 4.04
[ "$(coap_code "$U/ps/1" -m delete)" = 2.02 ] || fail "topic deletion"
[ "$(coap_code "$U/ps/1")" = 4.04 ] || fail "the topic is still there"
[ "$(coap_code "$U/ps/data/1")" = 4.04 ] || fail "the data is still there"
[ -z "$(coap "$U/rd-lookup/res?rt=core.ps.data")" ] ||
	fail "a deleted topic is still in the directory"
wait $sub $sub2
sed 's/4\.04$//' "$TMP/sub.out" | tr ';' '\n' | grep . | sed 's/$/;/' \
	> "$TMP/got"
diff -u "$TMP/want" "$TMP/got" || fail "the subscriber's values differ"
ok "a subscriber receives each published value in order"
grep -q '4.04' "$TMP/sub.out" || fail "no final 4.04: $(cat "$TMP/sub.out")"
ok "deleting the topic ends its subscriptions with 4.04"

# --- DELETE on topic-data: back to half created
{ hex a3 00; ctext hum; hex 02; ctext core.ps.data; hex 03 00; } > "$TMP/hum.cbor"
[ "$(coap_code "$U/ps" -m post -t 606 -f "$TMP/hum.cbor")" = 2.01 ] ||
	fail "second topic"
[ "$(coap_code "$U/ps/data/2" -m put -t 60 -e x)" = 4.15 ] ||
	fail "a value in the wrong format was taken"
[ "$(coap_code "$U/ps/data/2" -m put -t 0 -e 40)" = 2.01 ] || fail "publish hum"
"$COAP_CLIENT" -B 5 -s 4 -v 7 "$U/ps/data/2" > "$TMP/sub3.out" 2>&1 &
sub3=$!
sleep 0.5
[ "$(coap_code "$U/ps/data/2" -m delete)" = 2.02 ] || fail "data deletion"
[ "$(coap_code "$U/ps/data/2")" = 4.04 ] || fail "data still readable"
[ "$(coap_code "$U/ps/2")" = 2.05 ] || fail "the topic went with its data"
wait $sub3
grep -q 'c:4.04' "$TMP/sub3.out" || fail "no final 4.04 on data deletion"
ok "deleting topic-data ends subscriptions and leaves a half-created topic"

# --- a subscriber that went away without a word is dropped: its port now
# answers notifications with RST (another client there, with another
# token), and the slot it held under max-subscribers 1 frees up.
hex a1 06 01 > "$TMP/max1.cbor"
[ "$(coap_code "$U/ps/2" -m ipatch -t 606 -f "$TMP/max1.cbor")" = 2.04 ] ||
	fail "iPATCH max-subscribers 1 on hum"
[ "$(coap_code "$U/ps/data/2" -m put -t 0 -e 41)" = 2.01 ] || fail "publish hum"
cp=$(free_port)
"$COAP_CLIENT" -p "$cp" -s 30 "$U/ps/data/2" >/dev/null 2>&1 &
gone=$!
sleep 0.5
kill -KILL $gone
wait $gone 2>/dev/null
"$COAP_CLIENT" -p "$cp" -T 0a0b -B 8 -s 8 "$U/rd-lookup/res?rt=none" \
	>/dev/null 2>&1 &
other=$!
sleep 0.3
coap_trace "$U/ps/data/2" -s 1 | grep 'c:2.05' | grep -q Observe &&
	fail "the vanished subscriber's slot was free at once"
i=0
while [ $i -lt 20 ]; do
	coap "$U/ps/data/2" -m put -t 0 -e "4$i" >/dev/null
	sleep 0.15
	i=$((i + 1))
done
sleep 0.5
coap_trace "$U/ps/data/2" -s 1 | grep 'c:2.05' | grep -q Observe ||
	fail "a subscriber answering with RST was not dropped"
kill $other 2>/dev/null
wait $other 2>/dev/null
ok "a subscriber that went away is dropped at the next confirmable notification"

# --- expiration-date: tag 1, two seconds from now
exp=$(( $(date +%s) + 2 ))
{ hex a3 00; ctext brief; hex 02; ctext core.ps.data; hex 05 c1 1a
  hex $(printf '%08x' $exp | sed 's/../& /g'); } > "$TMP/brief.cbor"
[ "$(coap_code "$U/ps" -m post -t 606 -f "$TMP/brief.cbor")" = 2.01 ] ||
	fail "topic with expiration-date"
[ "$(coap_code "$U/ps/3")" = 2.05 ] || fail "the expiring topic is not there"
[ "$(coap_code "$U/ps/data/3" -m put -t 0 -e b)" = 2.01 ] || fail "publish brief"
"$COAP_CLIENT" -B 6 -s 5 -v 7 "$U/ps/data/3" > "$TMP/sub4.out" 2>&1 &
sub4=$!
sleep 3.2
[ "$(coap_code "$U/ps/3")" = 4.04 ] || fail "the topic outlived its expiration-date"
wait $sub4
grep -q 'c:4.04' "$TMP/sub4.out" || fail "no final 4.04 at expiration"
ok "a topic is deleted when its expiration-date passes, subscribers get 4.04"

# --- persistence: restart, then kill -9
[ "$(coap_code "$U/ps/data/2" -m put -t 0 -e 41)" = 2.04 ] || fail "publish 41"

# --- observer-check: confirmable notifications with nothing published
hex a1 07 02 > "$TMP/check.cbor"
[ "$(coap_code "$U/ps/2" -m ipatch -t 606 -f "$TMP/check.cbor")" = 2.04 ] ||
	fail "iPATCH observer-check"
coap_trace "$U/ps/data/2" -s 7 -B 9 > "$TMP/check.out"
n=$(grep -c 't:CON c:2.05' "$TMP/check.out" || true)
[ "$n" -ge 2 ] || fail "$n confirmable notifications in 7 s with observer-check 2"
ok "observer-check: a confirmable notification at least that often"
stop_daemon 30
start_daemon
[ "$(coap "$U/ps/data/2")" = 41 ] || fail "the last value was lost in a restart"
[ "$(coap "$U/ps")" = '</ps/2>;rt="core.ps.conf";ct=606' ] ||
	fail "topics after restart: $(coap "$U/ps")"
[ "$(coap "$U/rd-lookup/res?rt=core.ps.data")" = \
    "<$U/ps/data/2>;rt=\"core.ps.data\";ct=0;obs" ] ||
	fail "directory after restart: $(coap "$U/rd-lookup/res?rt=core.ps.data")"
[ "$(coap_code "$U/ps/data/2" -m put -t 0 -e 42)" = 2.04 ] || fail "publish 42"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
start_daemon
[ "$(coap "$U/ps/data/2")" = 42 ] || fail "an acknowledged value was lost to kill -9"
ok "topics and last values survive a restart and a kill -9"

# --- ps-publish-rate 5: a burst of twelve at once goes over it
{ hex a2 00; ctext burst; hex 02; ctext core.ps.data; } > "$TMP/burst.cbor"
id=$(coap_trace "$U/ps" -m post -t 606 -f "$TMP/burst.cbor" |
	sed -n 's/.*c:2.01 .*Location-Path:ps, Location-Path:\([0-9]*\).*/\1/p')
[ -n "$id" ] || fail "burst topic"
i=0; pids=
while [ $i -lt 12 ]; do
	coap_trace "$U/ps/data/$id" -m put -t 0 -e "b$i" > "$TMP/burst.$i" &
	pids="$pids $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086
wait $pids	# not a bare wait: the daemon is a child too
cat "$TMP"/burst.* | grep -q 'c:4.29 .*Max-Age' ||
	fail "no 4.29 with Max-Age in a burst over the rate"
[ "$(cat "$TMP"/burst.* | grep -c 'c:2.0[14]')" -ge 5 ] ||
	fail "fewer than five of the burst were taken"
ok "publishing faster than ps-publish-rate gets 4.29 with Max-Age"
stop_daemon 30
