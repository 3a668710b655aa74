#!/bin/sh
# Authorization with certificates: the CN and a subjectAltName are
# subjects (cn:, san:), and, with
# rd-ep-from-credential, the endpoint name; another certificate of the
# same CA cannot change what the first registered; a listener with
# "anonymous no" refuses clients without credentials with 4.01.
. "${top_srcdir}/tests/integration/lib.sh"
need_client
command -v openssl >/dev/null || skip "openssl not installed"

sh "$top_srcdir/tests/pki/mkpki.sh" "$TMP/pki" || fail "cannot make the PKI"
echo 'ops ops-secret' > "$TMP/psk.keys"
pd=$(free_port); po=$(free_port); pa=$(free_port)
cat > "$TMP/acl.conf" <<'ACL'
allow cn:device-1 rd:** register,update,delete,lookup
allow san:DNS:device-3.example.com rd:** delete,lookup
allow anon rd:** lookup
ACL
write_conf <<CONF
listen coaps://127.0.0.1:$pd {
	certificate pki/server.pem
	private-key pki/server.key
	ca-file pki/ca.pem
}
listen coaps://127.0.0.1:$po {
	certificate pki/server.pem
	private-key pki/server.key
	verify-client no
}
listen coaps://127.0.0.1:$pa {
	certificate pki/server.pem
	private-key pki/server.key
	verify-client no
	psk-file psk.keys
	anonymous no
}
acl-file acl.conf
rd-ep-from-credential yes
ps-rd-base off
CONF
start_daemon
S="coaps://127.0.0.1:$pd"
client() {
	echo "-c $TMP/pki/$1.pem -j $TMP/pki/$1.key -C $TMP/pki/ca.pem"
}

# shellcheck disable=SC2046
trace=$(coap_trace "$S/rd?base=coap://h" -m post -t 40 -e '</t>' $(client client))
echo "$trace" | grep -q 'c:2.01 .*Location-Path:rd, Location-Path:1' ||
	fail "device-1 cannot register: $trace"
# shellcheck disable=SC2046
[ "$(coap "$S/rd-lookup/ep" $(client client3) | grep -c 'ep=device-1')" -eq 1 ] ||
	fail "the registration is not named after the certificate's CN"
ok "a certificate's CN is its subject and its endpoint name"

# shellcheck disable=SC2046
[ "$(coap_code "$S/rd?base=coap://h" -m post -t 40 -e '</t>' $(client client3))" = 4.03 ] ||
	fail "device-3 registered without the ACL allowing it"
# shellcheck disable=SC2046
[ "$(coap_code "$S/rd/1" -m delete $(client client3))" = 4.03 ] ||
	fail "device-3 deleted device-1's registration"
grep -q 'authz: x509:[0-9a-f]* refused: registered by another principal' \
    "$TMP/daemon.log" || fail "the refusal was not logged with the principal"
ok "another certificate cannot change what device-1 registered"

O="coaps://127.0.0.1:$po"
[ "$(coap_code "$O/rd?ep=x&base=coap://h" -m post -t 40 -e '</t>' -C "$TMP/pki/ca.pem")" = 4.01 ] ||
	fail "a client without a certificate could register (or not 4.01)"
[ -n "$(coap "$O/rd-lookup/ep" -C "$TMP/pki/ca.pem")" ] ||
	fail "anon may look up, and got nothing"
A="coaps://127.0.0.1:$pa"
[ "$(coap_code "$A/rd-lookup/ep" -C "$TMP/pki/ca.pem")" = 4.01 ] ||
	fail "anonymous no served a client without a certificate"
[ "$(coap_code "$A/rd-lookup/ep" -u ops -k ops-secret)" = 2.05 ] ||
	fail "anonymous no refused a client with a key"
ok "anonymous no: 4.01 to a client without credentials, others served"
stop_daemon 30
