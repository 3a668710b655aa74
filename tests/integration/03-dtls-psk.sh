#!/bin/sh
# DTLS (and TLS) with per-identity pre-shared keys: the right key for an
# identity is served, a wrong key or an unknown identity is refused, and
# SIGHUP re-reads the key file.
. "${top_srcdir}/tests/integration/lib.sh"
need_client

pd=$(free_port); pt=$(free_port)
cat > "$TMP/psk.keys" <<'KEYS'
alice alice-secret
bob 0x626f622d736563726574
KEYS
write_conf <<CONF
listen coaps://127.0.0.1:$pd {
	psk-file psk.keys
}
listen coaps+tcp://127.0.0.1:$pt {
	psk-file psk.keys
}
CONF
start_daemon -v -D tls

u="coaps://127.0.0.1:$pd/.well-known/core"
code=$(coap_code "$u" -u alice -k alice-secret)
[ "$code" = "2.05" ] || fail "alice with her key: '$code'"
code=$(coap_code "$u" -u bob -k bob-secret)
[ "$code" = "2.05" ] || fail "bob with his hex-encoded key: '$code'"
grep -q 'tls: coaps://.* is psk:alice$' "$TMP/daemon.log" ||
	fail "alice's session has no psk:alice principal"
grep -q 'tls: .* is psk:bob$' "$TMP/daemon.log" || fail "no psk:bob principal"
# -D tls: debug from other modules (libcoap's own) is filtered out.
! grep -q '^<7>coap:' "$TMP/daemon.log" || fail "-D tls let coap debug through"
ok "DTLS PSK: right keys served, sessions carry psk: principals"

code=$(coap_code "$u" -B 3 -u alice -k bob-secret)
[ -z "$code" ] || fail "alice with a wrong key got '$code'"
code=$(coap_code "$u" -B 3 -u mallory -k alice-secret)
[ -z "$code" ] || fail "an unknown identity got '$code'"
grep -q 'unknown PSK identity "mallory"' "$TMP/daemon.log" ||
	fail "refused identity not logged"
ok "DTLS PSK: wrong key and unknown identity refused"

code=$(coap_code "coaps+tcp://127.0.0.1:$pt/.well-known/core" \
    -u alice -k alice-secret)
[ "$code" = "2.05" ] || fail "TLS PSK: '$code'"
code=$(coap_code "coaps+tcp://127.0.0.1:$pt/.well-known/core" -B 3 \
    -u alice -k wrong)
[ -z "$code" ] || fail "TLS PSK with a wrong key got '$code'"
ok "TLS PSK"

# Reload: carol is added, bob removed; nothing restarts.
cat > "$TMP/psk.keys" <<'KEYS'
alice alice-secret
carol carol-secret
KEYS
kill -HUP "$DAEMON_PID"
i=0
until grep -q 'reloaded' "$TMP/daemon.log"; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "no reload logged"; sleep 0.1
done
code=$(coap_code "$u" -u carol -k carol-secret)
[ "$code" = "2.05" ] || fail "carol after reload: '$code'"
code=$(coap_code "$u" -B 3 -u bob -k bob-secret)
[ -z "$code" ] || fail "bob after removal got '$code'"
ok "SIGHUP reloads the key file"
stop_daemon 10
