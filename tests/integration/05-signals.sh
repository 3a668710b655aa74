#!/bin/sh
# Signals: SIGHUP reloads (log level applied, a broken file keeps the
# running configuration, listener changes are reported as needing a
# restart) and the daemon keeps serving; SIGTERM and SIGINT exit 0 at once.
. "${top_srcdir}/tests/integration/lib.sh"
need_client

p=$(free_port); p2=$(free_port)
write_conf <<CONF
log-level notice
listen coap://127.0.0.1:$p
CONF
start_daemon
u="coap://127.0.0.1:$p/.well-known/core"

wait_log() {	# pattern count
	i=0
	until [ "$(grep -c "$1" "$TMP/daemon.log")" -ge "$2" ]; do
		i=$((i + 1)); [ $i -lt 50 ] || fail "log never showed '$1'"
		sleep 0.1
	done
}

# notice hides info; after the reload to info, the reload line shows.
sed -i 's/^log-level notice/log-level info/' "$TMP/corehub.conf"
echo "listen coap://127.0.0.1:$p2" >> "$TMP/corehub.conf"
kill -HUP "$DAEMON_PID"
wait_log 'config: .*reloaded' 1
grep -q "coap://127.0.0.1:$p2: new listener opens at the next restart" \
    "$TMP/daemon.log" || fail "new listener not reported"
[ "$(coap_code "$u")" = "2.05" ] || fail "not serving after SIGHUP"
ok "SIGHUP reloads the log level and keeps serving"

echo "max-sessions lots" >> "$TMP/corehub.conf"
kill -HUP "$DAEMON_PID"
wait_log 'reload failed; the running configuration stays' 1
grep -q 'corehub.conf:5: max-sessions: "lots"' "$TMP/daemon.log" ||
	fail "the bad line was not logged"
[ "$(coap_code "$u")" = "2.05" ] || fail "not serving after a bad reload"
ok "a broken file on SIGHUP keeps the running configuration"

# Many reloads in a row: nothing leaks or breaks.
sed -i '$d' "$TMP/corehub.conf"
for i in 1 2 3 4 5; do kill -HUP "$DAEMON_PID"; done
wait_log 'config: .*reloaded' 2
[ "$(coap_code "$u")" = "2.05" ] || fail "not serving after reloads"
ok "repeated SIGHUP"

stop_daemon 10
grep -q 'SIGTERM: shutting down' "$TMP/daemon.log" || fail "SIGTERM not logged"
ok "SIGTERM: exit 0 within a second"

start_daemon
kill -INT "$DAEMON_PID"
i=0
while kill -0 "$DAEMON_PID" 2>/dev/null; do
	i=$((i + 1)); [ $i -le 10 ] || fail "SIGINT did not stop it"; sleep 0.1
done
wait "$DAEMON_PID"; rc=$?; DAEMON_PID=
[ $rc -eq 0 ] || fail "SIGINT exit status $rc"
ok "SIGINT: exit 0"
