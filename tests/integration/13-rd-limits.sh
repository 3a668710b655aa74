#!/bin/sh
# Limits: at rd-max-registrations a new registration gets 5.03 with
# Max-Age while existing ones can still be refreshed and registered again;
# more links than rd-max-links get 4.13; a SIGHUP raises the cap.
. "${top_srcdir}/tests/integration/lib.sh"
need_client

pu=$(free_port)
write_conf <<CONF
listen coap://127.0.0.1:$pu
# The directory alone: the broker stays out of it.
ps-rd-base off
rd-max-registrations 2
rd-max-links 3
CONF
start_daemon
U="coap://127.0.0.1:$pu"
B="base=coap://[2001:db8::1]"

expect() { [ "$2" = "$3" ] || fail "$1: got '$2', wanted '$3'"; }
expect "first" "$(coap_code "$U/rd?ep=a&$B" -m post -t 40 -e '</1>')" 2.01
expect "second" "$(coap_code "$U/rd?ep=b&$B" -m post -t 40 -e '</1>')" 2.01
trace=$(coap_trace "$U/rd?ep=c&$B" -m post -t 40 -e '</1>')
echo "$trace" | grep -q 'c:5.03 .*Max-Age:60' || fail "at the cap: $trace"
expect "refresh at the cap" "$(coap_code "$U/rd/1?lt=100" -m post)" 2.04
expect "again at the cap" "$(coap_code "$U/rd?ep=b&$B" -m post -t 40 -e '</2>')" 2.01
ok "at the cap: 5.03 with Max-Age for new ones, refresh still works"

expect "too many links" "$(coap_code "$U/rd?ep=a&$B" -m post -t 40 \
    -e '</1>,</2>,</3>,</4>')" 4.13
expect "links after 4.13" "$(coap "$U/rd-lookup/res?ep=a")" \
    '<coap://[2001:db8::1]/1>'
ok "more links than rd-max-links: 4.13, the registration unchanged"

sed -i 's/^rd-max-registrations 2$/rd-max-registrations 3/' "$TMP/corehub.conf"
kill -HUP "$DAEMON_PID"
i=0
until grep -q 'config: .*reloaded' "$TMP/daemon.log"; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "no reload"; sleep 0.1
done
expect "after raising the cap" "$(coap_code "$U/rd?ep=c&$B" -m post -t 40 -e '</1>')" 2.01
ok "SIGHUP raises the cap"
stop_daemon 10
