#!/bin/sh
# DTLS and TLS with certificates made here by openssl: a client certificate
# from the configured CA is served; expired, self-signed and foreign-CA
# certificates, and no certificate at all, are refused. A listener with
# "verify-client no" serves clients without certificates.
. "${top_srcdir}/tests/integration/lib.sh"
need_client
command -v openssl >/dev/null || skip "openssl not installed"

sh "$top_srcdir/tests/pki/mkpki.sh" "$TMP/pki" || fail "cannot make the PKI"
[ -s "$TMP/pki/expired.pem" ] || fail "no expired certificate made"
pd=$(free_port); pt=$(free_port); po=$(free_port); pp=$(free_port)
write_conf <<CONF
listen coaps://127.0.0.1:$pd {
	certificate pki/server.pem
	private-key pki/server.key
	ca-file pki/ca.pem
}
listen coaps+tcp://127.0.0.1:$pt {
	certificate pki/server.pem
	private-key pki/server.key
	ca-file pki/ca.pem
}
listen coaps://127.0.0.1:$po {
	certificate pki/server.pem
	private-key pki/server.key
	verify-client no
}
listen coaps://127.0.0.1:$pp {
	certificate pki/server.pem
	private-key pki/server.key
	ca-file pki/pinned.pem
}
CONF
# Pinning: a self-signed client certificate placed in ca-file is trusted.
cat "$TMP/pki/ca.pem" "$TMP/pki/selfsigned.pem" > "$TMP/pki/pinned.pem"
start_daemon -v -D tls

# client NAME: the options that present pki/NAME.pem, trusting our CA.
client() {
	echo "-c $TMP/pki/$1.pem -j $TMP/pki/$1.key -C $TMP/pki/ca.pem"
}

for uri in "coaps://127.0.0.1:$pd" "coaps+tcp://127.0.0.1:$pt"; do
	# shellcheck disable=SC2046
	code=$(coap_code "$uri/.well-known/core" $(client client))
	[ "$code" = "2.05" ] || fail "$uri: valid client certificate got '$code'"
	fp=$(openssl x509 -in "$TMP/pki/client.pem" -outform DER |
		openssl dgst -sha256 -r | cut -d' ' -f1)
	grep -q "tls: ${uri%/}: .* is x509:$fp (CN \"device-1\")" \
	    "$TMP/daemon.log" || fail "$uri: no x509:$fp principal logged"
	ok "$uri: valid client certificate served, principal x509:sha256"
	for bad in expired selfsigned foreign; do
		# shellcheck disable=SC2046
		code=$(coap_code "$uri/.well-known/core" -B 3 $(client $bad))
		[ -z "$code" ] || fail "$uri: $bad certificate got '$code'"
		ok "$uri: $bad client certificate refused"
	done
	code=$(coap_code "$uri/.well-known/core" -B 3 -C "$TMP/pki/ca.pem")
	[ -z "$code" ] || fail "$uri: no client certificate got '$code'"
	ok "$uri: client without certificate refused"
done

code=$(coap_code "coaps://127.0.0.1:$po/.well-known/core" \
    -C "$TMP/pki/ca.pem")
[ "$code" = "2.05" ] || fail "verify-client no: '$code'"
ok "verify-client no serves clients without certificates"

# shellcheck disable=SC2046
code=$(coap_code "coaps://127.0.0.1:$pp/.well-known/core" $(client selfsigned))
[ "$code" = "2.05" ] || fail "pinned self-signed certificate got '$code'"
# shellcheck disable=SC2046
code=$(coap_code "coaps://127.0.0.1:$pp/.well-known/core" -B 3 \
    $(client foreign))
[ -z "$code" ] || fail "foreign certificate with pinning got '$code'"
ok "a self-signed client certificate pinned in ca-file is served"
stop_daemon 10
