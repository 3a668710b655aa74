#!/bin/sh
# Simple registration (RFC 9176 5.1): a device posts to /.well-known/rd
# from the port it serves on; corehub acknowledges, fetches the device's
# /.well-known/core (block-wise when large), registers those links and
# answers 2.04. base is refused; a device whose /.well-known/core cannot be
# fetched gets an error and no registration.
. "${top_srcdir}/tests/integration/lib.sh"
need_client
[ -x "${COAP_DEVICE:-}" ] || skip "coap-device not built"

pu=$(free_port); d1=$(free_port); d2=$(free_port); d3=$(free_port)
write_conf <<CONF
listen coap://127.0.0.1:$pu
CONF
start_daemon
U="coap://127.0.0.1:$pu"

printf '%s\n' '</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux"' > "$TMP/small.lf"
code=$("$COAP_DEVICE" -r "127.0.0.1:$pu" -q "ep=simple1&lt=600&et=tag" -t 20 \
    "$d1" "$TMP/small.lf")
[ "$code" = 2.04 ] || fail "simple registration answered '$code'"
[ "$(coap "$U/rd-lookup/res?ep=simple1")" = \
    "<coap://127.0.0.1:$d1/sensors/temp>;rt=\"temperature-c\";if=\"sensor\",<coap://127.0.0.1:$d1/sensors/light>;rt=\"light-lux\"" ] ||
	fail "lookup after simple registration: $(coap "$U/rd-lookup/res?ep=simple1")"
coap "$U/rd-lookup/ep?ep=simple1" | grep -q 'et=tag' || fail "et not kept"
ok "simple registration: 2.04 after the fetch, links resolved against the device"

# A document larger than one block: corehub fetches it block-wise.
i=0; big=
while [ $i -lt 40 ]; do
	big="$big${big:+,}</s/$i>;rt=\"sensor\""
	i=$((i + 1))
done
printf '%s\n' "$big" > "$TMP/big.lf"
code=$("$COAP_DEVICE" -r "127.0.0.1:$pu" -q "ep=simple2" -t 20 "$d2" \
    "$TMP/big.lf")
[ "$code" = 2.04 ] || fail "block-wise simple registration: '$code'"
n=$(coap "$U/rd-lookup/res?ep=simple2" | tr ',' '\n' | grep -c '/s/')
[ "$n" -eq 40 ] || fail "$n of 40 links after a block-wise fetch"
ok "simple registration fetches a large /.well-known/core block-wise"

[ "$("$COAP_DEVICE" -r "127.0.0.1:$pu" -q "ep=x&base=coap://h" -t 10 "$d3" \
    "$TMP/small.lf")" = 4.00 ] || fail "base accepted"
[ "$("$COAP_DEVICE" -r "127.0.0.1:$pu" -q "lt=60" -t 10 "$d3" \
    "$TMP/small.lf")" = 4.00 ] || fail "missing ep accepted"
ok "simple registration refuses base and a missing ep with 4.00"

# A "device" that cannot be fetched (coap-client serves nothing, and its
# socket refuses datagrams from other ports): 5.04 after the empty ACK,
# and nothing is registered.
code=$(coap_code "$U/.well-known/rd?ep=ghost" -p "$d3" -m post -B 10)
[ "$code" = 5.04 ] || fail "failed fetch answered '$code'"
[ -z "$(coap "$U/rd-lookup/ep?ep=ghost")" ] || fail "ghost was registered"
ok "a failed fetch: 5.04 and no registration"
stop_daemon 10
