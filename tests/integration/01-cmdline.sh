#!/bin/sh
# The command line: -V, -h, -n, -nv, exit statuses, and that a bad file
# reports every error with its line and exits 78 (EX_CONFIG).
. "${top_srcdir}/tests/integration/lib.sh"

"$COREHUBD" -V | grep -q '^corehubd [0-9]' || fail "-V prints no version"
ok "-V"

"$COREHUBD" -h >"$TMP/out" 2>&1
[ $? -eq 64 ] || fail "-h does not exit 64"
grep -q '^usage: corehubd' "$TMP/out" || fail "-h prints no usage"
"$COREHUBD" -x >/dev/null 2>&1
[ $? -eq 64 ] || fail "an unknown flag does not exit 64"
ok "usage"

"$COREHUBD" -n -f "$top_srcdir/etc/corehub.conf" >"$TMP/out" 2>&1 ||
	fail "shipped config: $(cat "$TMP/out")"
[ "$(cat "$TMP/out")" = "configuration OK" ] || fail "-n says $(cat "$TMP/out")"
ok "-n on the shipped configuration"

"$COREHUBD" -nv -f "$top_srcdir/etc/corehub.conf" >"$TMP/nv" ||
	fail "-nv failed"
grep -q '^listen coap://127.0.0.1:5683$' "$TMP/nv" || fail "-nv: $(cat "$TMP/nv")"
grep -q '^max-sessions 1024$' "$TMP/nv" || fail "-nv lacks defaults"
# What -nv prints is itself a configuration that prints the same.
cp "$TMP/nv" "$TMP/again.conf"
"$COREHUBD" -nv -f "$TMP/again.conf" >"$TMP/nv2" || fail "-nv output invalid"
cmp -s "$TMP/nv" "$TMP/nv2" || fail "-nv does not round-trip"
ok "-nv prints the normalised configuration"

cat > "$TMP/bad.conf" <<'CONF'
listen coap://127.0.0.1
max-sessions -1
listen coap://nowhere
CONF
"$COREHUBD" -n -f "$TMP/bad.conf" >"$TMP/out" 2>&1
rc=$?
[ $rc -eq 78 ] || fail "bad config exits $rc, not 78"
grep -q "bad.conf:2: max-sessions" "$TMP/out" || fail "no line 2 error"
grep -q "bad.conf:3: listen coap://nowhere" "$TMP/out" || fail "no line 3 error"
ok "bad configuration: all errors with lines, exit 78"

"$COREHUBD" -n -f "$TMP/missing.conf" >"$TMP/out" 2>&1
[ $? -eq 78 ] || fail "a missing file does not exit 78"
grep -q "missing.conf: No such file" "$TMP/out" || fail "$(cat "$TMP/out")"
ok "missing configuration file"

"$COREHUBD" -f "$top_srcdir/etc/corehub.conf" extra >/dev/null 2>&1
[ $? -eq 64 ] || fail "stray argument accepted"
ok "stray arguments refused"
