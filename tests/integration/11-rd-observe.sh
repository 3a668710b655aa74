#!/bin/sh
# Observe on lookups: an observer is notified when its own filtered result
# changes (registration, update, removal, expiry), and not when other
# parts of the directory change.
. "${top_srcdir}/tests/integration/lib.sh"
need_client

pu=$(free_port)
write_conf <<CONF
listen coap://127.0.0.1:$pu
# The directory alone: the broker stays out of it.
ps-rd-base off
CONF
start_daemon
U="coap://127.0.0.1:$pu"

"$COAP_CLIENT" -B 12 -s 10 -w "$U/rd-lookup/res?rt=temp" > "$TMP/temp.out" 2>&1 &
obs1=$!
"$COAP_CLIENT" -B 12 -s 10 -w "$U/rd-lookup/ep?d=elsewhere" > "$TMP/else.out" 2>&1 &
obs2=$!
sleep 0.5

reg() {	# query payload
	code=$(coap_code "$U/rd?$1" -m post -t 40 -e "$2")
	[ "$code" = 2.01 ] || fail "registration $1: $code"
	sleep 0.3
}
reg "ep=a&base=coap://h" '</t>;rt=temp'
reg "ep=b&base=coap://h" '</x>;rt=humid'
reg "ep=c&base=coap://h" '</t2>;rt=temp'
[ "$(coap_code "$U/rd/2?lt=100" -m post)" = 2.04 ] || fail "update of b"
sleep 0.3
[ "$(coap_code "$U/rd/1?base=coap://new" -m post)" = 2.04 ] || fail "update of a"
sleep 0.3
[ "$(coap_code "$U/rd/3" -m delete)" = 2.02 ] || fail "removal of c"
sleep 0.3
reg "ep=d&lt=1&base=coap://h" '</t3>;rt=temp'
sleep 1.5
wait $obs1 $obs2

cat > "$TMP/want" <<'WANT'
<coap://h/t>;rt=temp
<coap://h/t>;rt=temp,<coap://h/t2>;rt=temp
<coap://new/t>;rt=temp,<coap://h/t2>;rt=temp
<coap://new/t>;rt=temp
<coap://new/t>;rt=temp,<coap://h/t3>;rt=temp
<coap://new/t>;rt=temp
WANT
# The first (empty) result and coap-client's own blank lines aside.
grep -v '^$' "$TMP/temp.out" > "$TMP/got"
diff -u "$TMP/want" "$TMP/got" || fail "notifications of rt=temp differ"
ok "an observer sees each change of its own result, in order, and only those"
[ "$(cat "$TMP/else.out")" = "" ] ||
	fail "an unaffected observer was notified: $(cat "$TMP/else.out")"
ok "an observer whose result did not change is not notified"
stop_daemon 10
