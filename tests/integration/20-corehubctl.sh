#!/bin/sh
# corehubctl against the real daemon: endpoint and resource lookups with
# filters (tables and JSON), show and remove, topics (create, list, show,
# publish, subscribe until SIGINT or a final 4.04), statistics and reload
# found through /.well-known/core, error codes with their diagnostics,
# usage errors (2) and an unreachable daemon (3); then DTLS with PSKs
# under an ACL (4.03 shown, a wrong key is 3) and certificates.
. "${top_srcdir}/tests/integration/lib.sh"
need_client
: "${COREHUBCTL:?COREHUBCTL must name the corehubctl binary}"
[ -x "$COREHUBCTL" ] || fail "$COREHUBCTL is not executable"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"

# expect WHAT GOT WANT
expect() {
	[ "$2" = "$3" ] || fail "$1: got '$2', wanted '$3'"
}

# ctl ARGS...: corehubctl on $U; its standard error in $TMP/ctl.err.
ctl() {
	"$COREHUBCTL" -s "$U" -t 5 "$@" 2>"$TMP/ctl.err"
}

# json EXPR: EXPR evaluated on the JSON document d read from stdin.
json() {
	python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"
}

# row KEY N...: columns N... of the row whose first column is KEY, from a
# table on standard input.
row() {
	k=$1
	shift
	awk -v k="$k" -v cols="$*" '$1 == k {
		n = split(cols, c, " "); s = $c[1]
		for (i = 2; i <= n; i++) s = s " " $c[i]
		print s
	}'
}

# The statistic KEY from corehubctl's table.
stat() {
	ctl stats | row "$1" 2
}

wait_log() {	# pattern count
	i=0
	until [ "$(grep -c "$1" "$TMP/daemon.log")" -ge "$2" ]; do
		i=$((i + 1)); [ $i -lt 50 ] || fail "log never showed '$1'"
		sleep 0.1
	done
}

# wait_lines FILE N: until FILE has N lines (10 s at most).
wait_lines() {
	i=0
	until [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$1 has $(wc -l < "$1") lines, not $2"
		sleep 0.1
	done
}

# --- usage errors: exit 2 and a usage line, without a daemon
for args in "" "frob" "show" "show a b" "endpoints nofilter" "-t 0 stats" \
    "create-topic t bogus=1" "create-topic t max-subscribers=x" \
    "publish t v -f nope" "topics extra" "-s http://x endpoints" \
    "-u a -k b endpoints" "-u a endpoints"; do
	# shellcheck disable=SC2086
	"$COREHUBCTL" $args >/dev/null 2>"$TMP/usage.err"
	rc=$?
	[ $rc -eq 2 ] || fail "'corehubctl $args' exited $rc, not 2"
	grep -q '^usage: corehubctl' "$TMP/usage.err" ||
		fail "'corehubctl $args' printed no usage: $(cat "$TMP/usage.err")"
done
"$COREHUBCTL" -h | grep -q '^  subscribe topic' || fail "-h lists no commands"
"$COREHUBCTL" -V | grep -q '^corehubctl [0-9]' || fail "-V: $("$COREHUBCTL" -V)"
ok "usage errors exit 2 with a usage line; -h and -V"

pu=$(free_port); pt=$(free_port); cp=$(free_port)
write_conf <<CONF
listen coap://127.0.0.1:$pu
listen coap+tcp://127.0.0.1:$pt
ps-rd-base off
# Not the defaults: corehubctl must find them in /.well-known/core.
stats-path /admin/statistics
reload-path /admin/reload
CONF
start_daemon
U="coap://127.0.0.1:$pu"
T="coap+tcp://127.0.0.1:$pt"

# ======== statistics (the daemon's admin resources, contract session 10)
expect "registrations before" "$(stat registrations)" 0
expect "stats exit" "$(ctl stats >/dev/null; echo $?)" 0
[ "$(coap_code "$U/corehub/stats")" = 4.04 ] ||
	fail "the statistics are at the default path too: discovery untested"
ok "stats: found at a configured path through /.well-known/core"
# ======== (end of the statistics section; more below)

# --- registrations: node1 without a sector (base from its address), node2
# in sector1 with an explicit base and an extra attribute
code=$(coap_code "$U/rd?ep=node1&lt=3600" -p "$cp" -m post -t 40 \
    -e '</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux";if="sensor"')
expect "registration of node1" "$code" 2.01
code=$(coap_code "$U/rd?ep=node2&d=sector1&base=coap://[2001:db8::2]&et=lamp" \
    -m post -t 40 -e '</light>;rt="light";if="core.a";ct=0')
expect "registration of node2" "$code" 2.01

out=$(ctl endpoints) || fail "endpoints: $(cat "$TMP/ctl.err")"
expect "endpoints header" "$(echo "$out" | head -n 1 | tr -s ' ')" \
    "ENDPOINT SECTOR BASE LIFETIME LOCATION EXTRA"
expect "endpoints rows" "$(echo "$out" | sed 1d | wc -l)" 2
expect "node1 row" "$(echo "$out" | row node1 2 3 5)" \
    "- coap://127.0.0.1:$cp /rd/1"
expect "node2 row" "$(echo "$out" | row node2 2 3 5)" \
    "sector1 coap://[2001:db8::2] /rd/2"
echo "$out" | grep '^node2 ' | grep -q 'et=lamp' ||
	fail "node2's et is not in EXTRA: $out"
ok "endpoints: a table with sector, base, location and the other attributes"

out=$(ctl --json endpoints) || fail "endpoints --json: $(cat "$TMP/ctl.err")"
expect "json endpoints" "$(echo "$out" | json '" ".join(sorted(e["ep"] for e in d))')" \
    "node1 node2"
expect "json node2" "$(echo "$out" | json '[(e["location"], e["d"], e["base"], e["et"]) for e in d if e["ep"] == "node2"]')" \
    "[('/rd/2', 'sector1', 'coap://[2001:db8::2]', 'lamp')]"
expect "json node1 has no d" "$(echo "$out" | json '[e.get("d") for e in d if e["ep"] == "node1"]')" \
    "[None]"
ok "endpoints --json: an array of objects with location, ep, d, base"

expect "filter ep=" "$(ctl endpoints ep=node2 | sed 1d | awk '{ print $1 }')" node2
expect "filter ep=node*" "$(ctl endpoints 'ep=node*' | sed 1d | wc -l)" 2
expect "filter d=" "$(ctl endpoints d=sector1 -J | json '[e["ep"] for e in d]')" \
    "['node2']"
expect "filter et= over TCP" \
    "$("$COREHUBCTL" -s "$T" endpoints et=lamp | sed 1d | awk '{ print $1 }')" node2
expect "no match" "$(ctl endpoints ep=nobody -J)" "[]"
ok "endpoints: filters ep=, ep=prefix*, d=, et= (also over TCP)"

out=$(ctl resources rt=temperature-c) || fail "resources: $(cat "$TMP/ctl.err")"
expect "resources header" "$(echo "$out" | head -n 1 | tr -s ' ')" \
    "TARGET RT IF CT ANCHOR EXTRA"
expect "resources rt filter" "$(echo "$out" | sed 1d | tr -s ' ')" \
    "coap://127.0.0.1:$cp/sensors/temp temperature-c sensor - - -"
expect "resources json" "$(ctl resources rt=light --json | json '[(r["target"], r["if"], r["ct"]) for r in d]')" \
    "[('coap://[2001:db8::2]/light', 'core.a', 0)]"
expect "resources of node1" "$(ctl resources ep=node1 | sed 1d | wc -l)" 2
ok "resources: rt and ep filters, table and JSON (ct a number)"

# --- show
out=$(ctl show node1) || fail "show node1: $(cat "$TMP/ctl.err")"
expect "show endpoint" "$(echo "$out" | row endpoint 2)" node1
expect "show location" "$(echo "$out" | row location 2)" /rd/1
echo "$out" | grep -q "^coap://127.0.0.1:$cp/sensors/light  *light-lux" ||
	fail "show node1 lacks its resources: $out"
out=$(ctl show node2 -J) || fail "show node2: $(cat "$TMP/ctl.err")"
expect "show json" "$(echo "$out" | json '(d["endpoint"]["d"], [r["target"] for r in d["resources"]])')" \
    "('sector1', ['coap://[2001:db8::2]/light'])"
ctl show ghost >/dev/null && fail "show of an unknown endpoint succeeded"
grep -q 'show: no endpoint ghost' "$TMP/ctl.err" ||
	fail "show ghost: $(cat "$TMP/ctl.err")"
ok "show: the registration and its resources; unknown endpoint exits 1"

# --- remove: node2 in a second sector; show and remove must choose
expect "node2 in sector2" "$(coap_code "$U/rd?ep=node2&d=sector2&base=coap://h" \
    -m post -t 40 -e '</x>')" 2.01
expect "registrations now" "$(stat registrations)" 3
ctl show node2 >/dev/null && fail "show guessed between two sectors"
grep -q 'registered in 2 sectors' "$TMP/ctl.err" ||
	fail "show node2: $(cat "$TMP/ctl.err")"
out=$(ctl remove node2 -d sector2) || fail "remove: $(cat "$TMP/ctl.err")"
expect "remove says" "$out" "removed node2 in sector sector2 (/rd/3)"
expect "removed is gone" "$(coap "$U/rd-lookup/ep?ep=node2&d=sector2")" ""
expect "the other stays" "$(coap "$U/rd-lookup/ep?ep=node2" | grep -c 'd=sector1')" 1
ctl remove node2 -d sector2 >/dev/null && fail "removed twice"
grep -q 'remove: no endpoint node2 in sector sector2' "$TMP/ctl.err" ||
	fail "remove again: $(cat "$TMP/ctl.err")"
ctl remove ghost >/dev/null && fail "remove of an unknown endpoint succeeded"
ok "remove: DELETE of the registration found; unknown or gone exits 1"

# ======== statistics, continued: values move with registrations
expect "registrations after" "$(stat registrations)" 2
out=$(ctl stats) || fail "stats: $(cat "$TMP/ctl.err")"
expect "stats header" "$(echo "$out" | head -n 1 | tr -s ' ')" "KEY VALUE"
expect "stats no sector" "$(echo "$out" | row 'endpoints.""' 2)" 1
expect "stats sector1" "$(echo "$out" | row endpoints.sector1 2)" 1
[ "$(echo "$out" | row requests.GET 2)" -gt 0 ] ||
	fail "no requests.GET row: $out"
out=$(ctl stats --json) || fail "stats --json: $(cat "$TMP/ctl.err")"
expect "stats json" "$(echo "$out" | json '(d["registrations"], d["links"], d["endpoints"][""], d["requests"]["DELETE"] >= 1)')" \
    "(2, 3, 1, True)"
ok "stats: table with labelled rows (requests.GET), JSON; values move"
# ======== (end)

# --- topics
out=$(ctl create-topic temp type=temperature content-format=0) ||
	fail "create-topic: $(cat "$TMP/ctl.err")"
expect "create-topic says" "$out" "$(printf 'location: /ps/1\ntopic-data: /ps/data/1')"
coap "$U/ps" | grep -q '</ps/1>' || fail "the topic is not in the collection"
out=$(ctl --json create-topic hum max-subscribers=3 expires=+3600) ||
	fail "create-topic hum: $(cat "$TMP/ctl.err")"
expect "create-topic json" "$(echo "$out" | json '(d["location"], d["topic-data"])')" \
    "('/ps/2', '/ps/data/2')"
ctl create-topic temp >/dev/null && fail "a duplicate topic was created"
grep -q '^corehubctl: create-topic: 4.00 Bad Request: topic-name is in use$' \
    "$TMP/ctl.err" || fail "4.00 not shown with its diagnostic: $(cat "$TMP/ctl.err")"
ok "create-topic: location and topic-data; a 4.00 shows code and diagnostic"

out=$(ctl topics) || fail "topics: $(cat "$TMP/ctl.err")"
expect "topics header" "$(echo "$out" | head -n 1 | tr -s ' ')" \
    "NAME CONFIG DATA CONTENT-FORMAT TYPE EXPIRES"
expect "topics temp" "$(echo "$out" | row temp 2 3 4 5 6)" \
    "/ps/1 /ps/data/1 0 temperature -"
echo "$out" | row hum 6 | grep -q '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T.*Z$' ||
	fail "hum's expiration: $out"
expect "topics json" "$(ctl topics -J | json '[t["topic-name"] for t in d]')" \
    "['temp', 'hum']"
ok "topics: a table of name, paths, content-format, type, expiration; JSON"

out=$(ctl topic temp) || fail "topic temp: $(cat "$TMP/ctl.err")"
echo "$out" | grep -qx 'topic-type: temperature' || fail "topic temp: $out"
echo "$out" | grep -qx 'topic-content-format: 0' || fail "topic temp: $out"
echo "$out" | grep -qx 'configuration: /ps/1' || fail "topic temp: $out"
now=$(date +%s)
expect "topic json" "$(ctl topic hum --json | json "(d['topic-name'], d['topic-data'], d['resource-type'], d['max-subscribers'], $now + 3500 < d['expiration-date'] <= $now + 3700)")" \
    "('hum', '/ps/data/2', 'core.ps.conf', 3, True)"
ctl topic ghost >/dev/null && fail "topic ghost succeeded"
grep -q 'topic: no topic ghost' "$TMP/ctl.err" || fail "topic ghost: $(cat "$TMP/ctl.err")"
ok "topic: every property as key: value and in JSON; unknown exits 1"

out=$(ctl publish temp 21.5) || fail "publish: $(cat "$TMP/ctl.err")"
expect "publish says" "$out" "published to temp (/ps/data/1): 2.01 Created"
expect "read back" "$(coap "$U/ps/data/1")" 21.5
printf 'from stdin' | ctl publish hum - >/dev/null || fail "publish -: $(cat "$TMP/ctl.err")"
expect "read back stdin" "$(coap "$U/ps/data/2")" "from stdin"
ctl publish temp 1 -f cbor >/dev/null && fail "-f cbor taken by a text topic"
grep -q 'publish: 4.15 Unsupported Content-Format' "$TMP/ctl.err" ||
	fail "publish -f: $(cat "$TMP/ctl.err")"
ctl publish ghost 1 >/dev/null && fail "publish to an unknown topic succeeded"
ok "publish: a value or standard input, read back; -f used; 4.15 shown"

# --- subscribe: the value, then each publish, until SIGINT (exit 0)
"$COREHUBCTL" -s "$U" subscribe temp > "$TMP/sub.out" 2> "$TMP/sub.err" &
sub=$!
wait_lines "$TMP/sub.out" 1
expect "subscribers" "$(stat subscribers)" 1
ctl publish temp 22 >/dev/null || fail "publish 22"
wait_lines "$TMP/sub.out" 2
coap "$U/ps/data/1" -m put -t 0 -e '23 and more' >/dev/null
wait_lines "$TMP/sub.out" 3
kill -INT $sub
wait $sub
rc=$?
expect "subscribe exit on SIGINT" $rc 0
expect "subscribe output" "$(cat "$TMP/sub.out")" "$(printf '21.5\n22\n23 and more')"
expect "deregistered" "$(stat subscribers)" 0
ok "subscribe: the value and each notification a line; SIGINT ends it (0)"

# The topic deleted: a final 4.04, printed, exit 1; JSON lines.
"$COREHUBCTL" -s "$T" --json subscribe hum > "$TMP/sub.out" 2> "$TMP/sub.err" &
sub=$!
wait_lines "$TMP/sub.out" 1
coap "$U/ps/data/2" -m put -t 0 -e 'x"y' >/dev/null
wait_lines "$TMP/sub.out" 2
expect "topic deletion" "$(coap_code "$U/ps/2" -m delete)" 2.02
i=0
while kill -0 $sub 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "subscribe outlived its topic"
	sleep 0.1
done
wait $sub
rc=$?
expect "subscribe exit on 4.04" $rc 1
grep -q 'subscribe: 4.04 Not Found' "$TMP/sub.err" ||
	fail "no 4.04 shown: $(cat "$TMP/sub.err")"
expect "subscribe json" "$(python3 -c 'import json, sys
for l in open(sys.argv[1]):
	d = json.loads(l); print(d["seq"], d["payload"])' "$TMP/sub.out")" \
    "$(printf '1 from stdin\n2 x"y')"
ok "subscribe over TCP, JSON lines; a deleted topic ends it with 4.04 (1)"

# ======== reload (the daemon's admin resources, contract session 10)
out=$(ctl reload) || fail "reload: $(cat "$TMP/ctl.err")"
expect "reload says" "$out" reloaded
wait_log 'config: .*reloaded' 1
wait_log 'admin: reload asked by anon' 1
ok "reload: 2.04 at a configured path, and the daemon reloads"
# ======== (end)

# --- errors from the daemon and from the network
ctl resources page=1 >/dev/null && fail "page without count succeeded"
grep -q '^corehubctl: resources: 4.00 Bad Request' "$TMP/ctl.err" ||
	fail "4.00: $(cat "$TMP/ctl.err")"
stop_daemon 30
for uri in "$U" "$T"; do
	"$COREHUBCTL" -s "$uri" -t 2 endpoints >/dev/null 2>"$TMP/ctl.err"
	rc=$?
	expect "$uri, no daemon: exit" $rc 3
	grep -q "127.0.0.1" "$TMP/ctl.err" || fail "no message: $(cat "$TMP/ctl.err")"
done
# A port that takes datagrams and never answers: the timeout.
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", '"$pu"')); open("'"$TMP/mute"'", "w").close(); time.sleep(6)' &
mute=$!
wait_lines "$TMP/mute" 0
"$COREHUBCTL" -s "$U" -t 1 stats >/dev/null 2>"$TMP/ctl.err"
rc=$?
kill $mute 2>/dev/null
wait $mute 2>/dev/null
expect "silent server: exit" $rc 3
grep -q 'no answer within 1 s' "$TMP/ctl.err" || fail "timeout: $(cat "$TMP/ctl.err")"
ok "a 4.00 shows its code; no daemon or no answer exits 3"

# --- DTLS with PSKs under an ACL; certificates over TLS; a new database
rm -f "$TMP"/corehub.db*
pd=$(free_port); pu=$(free_port); pk=$(free_port)
cat > "$TMP/psk.keys" <<'KEYS'
alice alice-secret
bob bob-secret
KEYS
cat > "$TMP/acl.conf" <<'ACL'
allow psk:alice rd:** all
allow psk:alice ps:** all
allow psk:alice stats stats
allow psk:alice daemon admin
allow psk:bob rd:** lookup
allow psk:bob ps:** read-config
allow anon rd:** register,lookup
allow cn:device-1 rd:** lookup
ACL
pki=
if command -v openssl >/dev/null 2>&1 &&
    sh "$top_srcdir/tests/pki/mkpki.sh" "$TMP/pki"; then
	pki="listen coaps+tcp://127.0.0.1:$pk {
	certificate pki/server.pem
	private-key pki/server.key
	ca-file pki/ca.pem
}"
fi
write_conf <<CONF
listen coaps://127.0.0.1:$pd {
	psk-file psk.keys
}
listen coap://127.0.0.1:$pu
acl-file acl.conf
ps-rd-base off
$pki
CONF
start_daemon
S="coaps://127.0.0.1:$pd"
U="coap://127.0.0.1:$pu"
A="-s $S -u alice -k alice-secret"
B="-s $S -u bob -k bob-secret"
expect "anon registers" "$(coap_code "$U/rd?ep=dev1&base=coap://h" -m post -t 40 -e '</t>')" 2.01
# shellcheck disable=SC2086
expect "bob looks up" "$(ctl $B endpoints | sed 1d | awk '{ print $1 }')" dev1
# shellcheck disable=SC2086
ctl $B remove dev1 >/dev/null && fail "bob removed dev1"
grep -q '^corehubctl: remove: 4.03 Forbidden: ..*' "$TMP/ctl.err" ||
	fail "4.03 not shown with a diagnostic: $(cat "$TMP/ctl.err")"
# shellcheck disable=SC2086
ctl $B create-topic t >/dev/null && fail "bob created a topic"
grep -q 'create-topic: 4.03 Forbidden' "$TMP/ctl.err" ||
	fail "create-topic by bob: $(cat "$TMP/ctl.err")"
# shellcheck disable=SC2086
ctl $B stats >/dev/null && fail "bob read the statistics"
# shellcheck disable=SC2086
ctl $B reload >/dev/null && fail "bob reloaded"
ok "DTLS PSK under an ACL: refusals are 4.03 with the daemon's reason"
# shellcheck disable=SC2086
out=$(ctl $A remove dev1) || fail "alice cannot remove: $(cat "$TMP/ctl.err")"
expect "alice removes" "$out" "removed dev1 (/rd/1)"
expect "dev1 gone" "$(coap "$U/rd-lookup/ep?ep=dev1")" ""
# shellcheck disable=SC2086
ctl $A create-topic t >/dev/null || fail "alice cannot create: $(cat "$TMP/ctl.err")"
# shellcheck disable=SC2086
expect "bob reads topics" "$(ctl $B topics | row t 2)" /ps/1
# shellcheck disable=SC2086
expect "alice stats" "$(ctl $A stats | row topics 2)" 1
ctl -s "$S" -u alice -k wrong-secret endpoints >/dev/null
expect "wrong key: exit" $? 3
ok "DTLS PSK: an admin removes another's registration; a wrong key exits 3"

if [ -n "$pki" ]; then
	P="coaps+tcp://127.0.0.1:$pk"
	ctl -s "$P" -c "$TMP/pki/client.pem" -j "$TMP/pki/client.key" \
	    -C "$TMP/pki/ca.pem" endpoints >/dev/null ||
		fail "TLS with a certificate: $(cat "$TMP/ctl.err")"
	ctl -s "$P" -c "$TMP/pki/client.pem" -j "$TMP/pki/client.key" \
	    -C "$TMP/pki/otherca.pem" endpoints >/dev/null
	expect "server not from the given CA: exit" $? 3
	ctl -s "$P" -c "$TMP/pki/client.pem" -j "$TMP/pki/client.key" -n \
	    endpoints >/dev/null || fail "-n: $(cat "$TMP/ctl.err")"
	ok "TLS with certificates: -c, -j, -C verified, -n"
fi
stop_daemon 30
