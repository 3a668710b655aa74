#!/bin/sh
# Plain CoAP over UDP and TCP, IPv4 and IPv6: /.well-known/core answers
# on every listener, unknown paths get 4.04, and the daemon logs its
# readiness line once.
. "${top_srcdir}/tests/integration/lib.sh"
need_client

p1=$(free_port); p2=$(free_port); p3=$(free_port)
v6=
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	v6=1
fi
{
	echo "listen coap://127.0.0.1:$p1"
	echo "listen coap+tcp://127.0.0.1:$p2"
	if [ -n "$v6" ]; then
		echo "listen coap://[::1]:$p3"
		echo "listen coap+tcp://[::1]:$p3"
	fi
} | write_conf
start_daemon

[ "$(grep -c 'start of service' "$TMP/daemon.log")" -eq 1 ] ||
	fail "readiness line not exactly once"

for uri in "coap://127.0.0.1:$p1" "coap+tcp://127.0.0.1:$p2" \
    ${v6:+"coap://[::1]:$p3"} ${v6:+"coap+tcp://[::1]:$p3"}; do
	code=$(coap_code "$uri/.well-known/core")
	[ "$code" = "2.05" ] || fail "$uri/.well-known/core answered '$code'"
	code=$(coap_code "$uri/no/such/thing")
	[ "$code" = "4.04" ] || fail "$uri/no/such/thing answered '$code'"
	ok "$uri serves /.well-known/core"
done
[ -n "$v6" ] || echo "note: no ::1 on lo, IPv6 listeners not tested"

# A second daemon on the same database must refuse to start.
p4=$(free_port)
sed "s/:$p1\$/:$p4/; /coap+tcp/d; /\[::1\]/d" "$TMP/corehub.conf" \
    > "$TMP/second.conf"
"$COREHUBD" -f "$TMP/second.conf" >"$TMP/second.log" 2>&1
[ $? -ne 0 ] || fail "a second daemon on one database started"
grep -q "in use by another corehubd" "$TMP/second.log" ||
	fail "second daemon: $(cat "$TMP/second.log")"
ok "one daemon per database"

stop_daemon 10
ok "SIGTERM: exit 0 within a second"
