#!/bin/sh
# The operators' side of the daemon: the statistics resource (JSON and
# CBOR, observable, an ACL action), counters that move with registrations,
# publishes and deletions, the same figures as Prometheus text over HTTP,
# reload over CoAP, admin removal of others' registrations and topics
# (logged with the admin), and a log quiet about ordinary requests.
. "${top_srcdir}/tests/integration/lib.sh"
need_client
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"

pd=$(free_port); pu=$(free_port); pm=$(free_port)
cat > "$TMP/psk.keys" <<'KEYS'
root root-secret
ops ops-secret
alice alice-secret
bob bob-secret
KEYS
cat > "$TMP/acl.conf" <<'ACL'
allow psk:root daemon admin
allow psk:root stats stats
allow psk:ops stats stats
allow any rd:** register,update,delete,lookup
allow any ps:** create,admin,read-config,publish,subscribe
ACL
write_conf <<CONF
listen coaps://127.0.0.1:$pd {
	psk-file psk.keys
}
listen coap://127.0.0.1:$pu
acl-file acl.conf
ps-rd-base off
stats-interval 1
metrics-listen 127.0.0.1:$pm
CONF
start_daemon
S="coaps://127.0.0.1:$pd"
U="coap://127.0.0.1:$pu"
ROOT="-u root -k root-secret"
OPS="-u ops -k ops-secret"
A="-u alice -k alice-secret"
B="-u bob -k bob-secret"

# stats [python expression over the JSON document d]
stat() {
	# shellcheck disable=SC2086
	coap "$S/corehub/stats" -A 50 $OPS > "$TMP/stats.json" ||
		fail "stats request failed"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$TMP/stats.json" "$1" || fail "stats are not JSON: $(cat "$TMP/stats.json")"
}

# --- discovery and the document
wk=$(coap "$U/.well-known/core?rt=corehub.stats")
case "$wk" in *"</corehub/stats>"*obs*) ;; *) fail "stats not in /.well-known/core: $wk" ;; esac
[ "$(stat 'd["registrations"]')" = 0 ] || fail "registrations not 0 at start"
[ "$(stat 'd["topics"]')" = 0 ] || fail "topics not 0 at start"
[ "$(stat 'd["sessions"]["dtls"] >= 1')" = True ] || fail "the DTLS session is not counted"
for k in uptime start_time requests responses notifications store_bytes \
    store_commits store_last_commit endpoints links registration_expirations \
    subscribers publications lookup_observers auth_refusals limit_hits; do
	[ "$(stat "'$k' in d")" = True ] || fail "no $k in the statistics"
done
ok "statistics in JSON, listed in /.well-known/core"

# shellcheck disable=SC2086
trace=$(coap_trace "$S/corehub/stats" $OPS)
echo "$trace" | grep -q 'c:2.05 .*Content-Format:application/cbor' ||
	fail "stats are not CBOR by default: $trace"
# shellcheck disable=SC2086
coap "$S/corehub/stats" $OPS -o "$TMP/stats.cbor" >/dev/null
# A CBOR map (major type 5), definite length.
[ "$(od -An -tx1 -N1 "$TMP/stats.cbor" | tr -d ' ')" = b5 ] ||
	[ "$(od -An -tx1 -N1 "$TMP/stats.cbor" | tr -d ' ' | cut -c1)" = a ] ||
	[ "$(od -An -tx1 -N1 "$TMP/stats.cbor" | tr -d ' ' | cut -c1)" = b ] ||
	fail "stats CBOR is not a map"
# shellcheck disable=SC2086
[ "$(coap_code "$S/corehub/stats" -A 0 $OPS)" = 4.06 ] ||
	fail "text/plain stats were not refused with 4.06"
ok "statistics in CBOR by default, 4.06 for other formats"

# --- counters move with the work
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd?ep=n1&base=coap://h1" -m post -t 40 -e '</a>,</b>' $A)" = 2.01 ] ||
	fail "n1 registers"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd?ep=n2&d=s1&base=coap://h2" -m post -t 40 -e '</c>' $B)" = 2.01 ] ||
	fail "n2 registers"
[ "$(stat 'd["registrations"]')" = 2 ] || fail "registrations not 2"
[ "$(stat 'd["links"]')" = 3 ] || fail "links not 3"
[ "$(stat 'd["endpoints"]')" = "{'': 1, 's1': 1}" ] ||
	fail "endpoints by sector: $(stat 'd["endpoints"]')"
[ "$(stat 'd["requests"]["POST"] >= 2 and d["responses"]["2.01"] >= 2')" = True ] ||
	fail "requests and responses by code: $(cat "$TMP/stats.json")"
[ "$(stat 'd["store_commits"] >= 2')" = True ] || fail "commits not counted"
# Topic {0: "t1", 2: "core.ps.data"}, then a publish.
printf '\242\000\142t1\002\154core.ps.data' > "$TMP/t1.cbor"
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps" -m post -t 606 -f "$TMP/t1.cbor" $A)" = 2.01 ] ||
	fail "topic t1 not created"
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps/data/1" -m put -t 0 -e 21.5 $A)" = 2.01 ] ||
	fail "publish on t1 failed"
[ "$(stat 'd["topics"]')" = 1 ] || fail "topics not 1"
[ "$(stat 'd["publications"]')" = 1 ] || fail "publications not 1"
[ "$(coap_code "$U/corehub/stats")" = 4.01 ] || fail "anon read the stats"
[ "$(stat 'd["auth_refusals"] >= 1')" = True ] || fail "refusal not counted"
ok "registrations, sectors, links, topics, publishes, codes and refusals counted"

# --- Observe: a notification when the counters moved
# shellcheck disable=SC2086
"$COAP_CLIENT" -B 10 -s 4 -A 50 $OPS "$S/corehub/stats" > "$TMP/obs.out" 2>&1 &
obs=$!
sleep 1.5
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd?ep=n3&base=coap://h3" -m post -t 40 -e '</d>' $A)" = 2.01 ] ||
	fail "n3 registers"
i=0
while ! grep -q '"registrations":3' "$TMP/obs.out"; do
	i=$((i + 1))
	[ $i -lt 60 ] || fail "no notification with 3 registrations: $(cat "$TMP/obs.out")"
	sleep 0.1
done
kill "$obs" 2>/dev/null
wait "$obs" 2>/dev/null
grep -q '"registrations":2' "$TMP/obs.out" || fail "first answer missing"
ok "an observer of the statistics is notified when they change"

# --- a document larger than a block, notified whole; sectors capped
# shellcheck disable=SC2086
"$COAP_CLIENT" -B 30 -s 20 -A 50 $OPS "$S/corehub/stats" > "$TMP/big.out" 2>&1 &
obs=$!
sleep 1
i=1
while [ $i -le 70 ]; do
	coap "$U/rd?ep=e$i&d=zone$i&base=coap://h" -m post -t 40 -e '</x>' >/dev/null ||
		fail "e$i not registered"
	i=$((i + 1))
done
[ "$(stat 'len(d["endpoints"])')" = 64 ] || fail "endpoints by sector not capped at 64"
[ "$(stat 'd["sectors"] == 72 and sum(d["endpoints"].values()) + d["endpoints_other_sectors"] == d["registrations"]')" = True ] ||
	fail "sector counts do not add up: $(cat "$TMP/stats.json")"
[ "$(wc -c < "$TMP/stats.json")" -gt 1100 ] || fail "the document is not multi-block: $(wc -c < "$TMP/stats.json")"
i=0
while ! grep -q '"registrations":73' "$TMP/big.out"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "no notification with 73 registrations"
	sleep 0.1
done
kill "$obs" 2>/dev/null
wait "$obs" 2>/dev/null
# Every notification, reassembled from its blocks, is one whole document.
python3 - "$TMP/big.out" <<'PY' || fail "a notification came apart: $(head -c 600 "$TMP/big.out")"
import json, sys
text = open(sys.argv[1]).read()
dec, pos, n = json.JSONDecoder(), 0, 0
while pos < len(text):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos == len(text):
        break
    doc, pos = dec.raw_decode(text, pos)
    assert "registrations" in doc
    n += 1
assert n >= 2, n
PY
ok "large statistics notified whole, block by block; sectors capped at 64"

# --- Prometheus
[ -n "${CURL:-}" ] || CURL=$(command -v curl) || skip "curl not installed"
"$CURL" -sf "http://127.0.0.1:$pm/metrics" > "$TMP/metrics.txt" ||
	fail "no metrics over HTTP"
grep -q '^corehub_registrations 73$' "$TMP/metrics.txt" ||
	fail "corehub_registrations not 73: $(grep registrations "$TMP/metrics.txt")"
grep -q '^corehub_endpoints{sector="s1"} 1$' "$TMP/metrics.txt" ||
	fail "no endpoints by sector"
grep -q '^# TYPE corehub_requests_total counter$' "$TMP/metrics.txt" ||
	fail "requests are not a counter"
post=$(sed -n 's/^corehub_requests_total{method="POST"} //p' "$TMP/metrics.txt")
[ "${post:-0}" -ge 4 ] || fail "POST requests: ${post:-none}"
grep -q '^corehub_responses_total{code="2.01"} ' "$TMP/metrics.txt" ||
	fail "no responses by code"
grep -q '^corehub_publications_total 1$' "$TMP/metrics.txt" ||
	fail "publications not 1"
if [ -n "${PROMTOOL:-}" ]; then
	"$PROMTOOL" check metrics < "$TMP/metrics.txt" > "$TMP/promtool.out" 2>&1 ||
		fail "promtool: $(cat "$TMP/promtool.out")"
	ok "promtool check metrics accepts the exposition"
else
	echo "promtool not installed: exposition syntax not checked"
fi
code=$("$CURL" -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pm/other")
[ "$code" = 404 ] || fail "a path other than /metrics: $code"
ok "Prometheus text on /metrics, counters matching"

# --- admin removal
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd/1" -m delete $B)" = 4.03 ] || fail "bob removed alice's n1"
# shellcheck disable=SC2086
[ "$(coap_code "$S/corehub/stats" $A)" = 4.03 ] || fail "alice read the stats"
# shellcheck disable=SC2086
[ "$(coap_code "$S/rd/1" -m delete $ROOT)" = 2.02 ] || fail "root could not remove n1"
grep -q 'registration ep=n1 (by psk:alice) removed by admin psk:root' "$TMP/daemon.log" ||
	fail "admin removal not logged"
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps/1" -m delete $B)" = 4.03 ] || fail "bob deleted alice's topic"
# shellcheck disable=SC2086
[ "$(coap_code "$S/ps/1" -m delete $ROOT)" = 2.02 ] || fail "root could not delete t1"
grep -q 'topic "t1" (by psk:alice) managed by admin psk:root' "$TMP/daemon.log" ||
	fail "admin topic deletion not logged"
[ "$(stat 'd["registrations"]')" = 72 ] || fail "registrations not 72 after removal"
[ "$(stat 'd["topics"]')" = 0 ] || fail "topics not 0 after deletion"
ok "an admin removes others' registrations and topics, logged; others may not"

# --- reload over CoAP
# shellcheck disable=SC2086
[ "$(coap_code "$S/corehub/reload" -m post $A)" = 4.03 ] || fail "alice reloaded"
# shellcheck disable=SC2086
[ "$(coap_code "$S/corehub/reload" -m post $ROOT)" = 2.04 ] || fail "root reload"
i=0
while ! grep -q 'corehub.conf: reloaded' "$TMP/daemon.log"; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "no reload logged"
	sleep 0.1
done
grep -q 'reload asked by psk:root' "$TMP/daemon.log" || fail "reload not logged with its admin"
echo "this is not a keyword" >> "$TMP/corehub.conf"
# shellcheck disable=SC2086
[ "$(coap_code "$S/corehub/reload" -m post $ROOT)" = 5.00 ] ||
	fail "a broken configuration was not refused"
[ "$(grep -c 'corehub.conf: reloaded' "$TMP/daemon.log")" -eq 1 ] ||
	fail "a broken configuration was applied"
ok "reload over CoAP: admins only, a broken file refused"

# --- the log: nothing per request at the default level
before=$(wc -l < "$TMP/daemon.log")
for i in 1 2 3 4 5; do
	coap "$U/rd-lookup/res" >/dev/null
	# shellcheck disable=SC2086
	coap "$S/rd/2?lt=300" -m post $B >/dev/null
	# shellcheck disable=SC2086
	coap "$S/ps" $A >/dev/null
done
[ "$(wc -l < "$TMP/daemon.log")" -eq "$before" ] ||
	fail "ordinary requests logged: $(tail -n +"$((before + 1))" "$TMP/daemon.log")"
ok "lookups, refreshes and reads are not logged at the default level"

stop_daemon 50
