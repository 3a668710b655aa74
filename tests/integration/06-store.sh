#!/bin/sh
# The database at start: created when missing, reopened, and a corrupt or
# foreign file stops the start with a clear message and exit status 65.
. "${top_srcdir}/tests/integration/lib.sh"

p=$(free_port)
echo "listen coap://127.0.0.1:$p" | write_conf
start_daemon
[ -s "$TMP/corehub.db" ] || fail "no database created"
stop_daemon 10
start_daemon
stop_daemon 10
[ ! -s "$TMP/corehub.db-wal" ] || fail "WAL left behind after shutdown"
ok "database created, reopened, checkpointed on exit"

head -c 20000 /dev/urandom > "$TMP/corehub.db"
rm -f "$TMP/corehub.db-wal" "$TMP/corehub.db-shm"
"$COREHUBD" -f "$TMP/corehub.conf" >"$TMP/out" 2>&1
rc=$?
[ $rc -eq 65 ] || fail "corrupt database: exit $rc, not 65"
grep -q "corrupt" "$TMP/out" || fail "no clear message: $(cat "$TMP/out")"
ok "a corrupt database stops the start with exit 65"

sed -i "s|^database .*|database $TMP/no/such/dir/db|" "$TMP/corehub.conf"
"$COREHUBD" -f "$TMP/corehub.conf" >"$TMP/out" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "unreachable database: exit $rc, not 1"
ok "an unreachable database path fails the start"
