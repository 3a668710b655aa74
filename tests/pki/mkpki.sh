#!/bin/sh
# Makes a throw-away PKI for the tests in directory $1: a CA, a server
# certificate for 127.0.0.1/::1, a valid client, an expired client, a
# self-signed client, a client from another CA, and a second valid client
# (device-3).
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }

ca() {	# name
	key "$1.key"
	openssl req -x509 -new -key "$1.key" -days 30 -subj "/CN=$1" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign \
	    -out "$1.pem" 2>/dev/null
}

# name ca cn extra-x509-args...
leaf() {
	name=$1 signer=$2 cn=$3
	shift 3
	key "$name.key"
	openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr" \
	    2>/dev/null
	openssl x509 -req -in "$name.csr" -CA "$signer.pem" \
	    -CAkey "$signer.key" -CAcreateserial -out "$name.pem" "$@" \
	    2>/dev/null
	rm -f "$name.csr"
}

ca ca
ca otherca
printf 'subjectAltName=IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n' \
    > server.ext
leaf server ca localhost -days 30 -extfile server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
leaf client ca device-1 -days 30 -extfile client.ext
leaf foreign otherca device-2 -days 30 -extfile client.ext
printf 'extendedKeyUsage=clientAuth\nsubjectAltName=DNS:device-3.example.com\n' \
    > client3.ext
leaf client3 ca device-3 -days 30 -extfile client3.ext
# Expired: valid from 2020 to 2021, signed by the right CA.
key expired.key
openssl req -new -key expired.key -subj /CN=device-old -out expired.csr \
    2>/dev/null
openssl x509 -req -in expired.csr -CA ca.pem -CAkey ca.key \
    -CAcreateserial -out expired.pem -extfile client.ext \
    -not_before 20200101000000Z -not_after 20210101000000Z 2>/dev/null || {
	# OpenSSL 3.0 has no -not_before: use the ca command with fixed dates.
	mkdir -p db && : > db/index && echo 01 > db/serial
	cat > ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = db/index
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = p
copy_extensions = none
[p]
commonName = supplied
CNF
	openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
	    -startdate 20200101000000Z -enddate 20210101000000Z \
	    -extfile client.ext -in expired.csr -out expired.pem \
	    -notext >/dev/null 2>&1
}
rm -f expired.csr
# Self-signed client with a good validity.
key selfsigned.key
openssl req -x509 -new -key selfsigned.key -days 30 -subj /CN=device-3 \
    -out selfsigned.pem 2>/dev/null
