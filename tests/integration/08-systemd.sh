#!/bin/sh
# The unit file: systemd-analyze verify accepts it (with the built daemon
# standing in for the installed one), and it keeps the promises the man
# page makes: Type=notify, the config check before start, reload by HUP.
. "${top_srcdir}/tests/integration/lib.sh"

unit="$top_builddir/systemd/corehubd.service"
[ -s "$unit" ] || fail "unit not built"
for line in 'Type=notify' 'ExecStartPre=.*corehubd -n -f' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'StateDirectory=corehub' \
    'DynamicUser=yes' 'RestartPreventExitStatus=65 78' \
    'NoNewPrivileges=yes' 'ProtectSystem=strict'; do
	grep -q "^$line" "$unit" || fail "unit lacks $line"
done
ok "unit has the expected directives"

[ -n "${SYSTEMD_ANALYZE:-}" ] || skip "systemd-analyze not installed"
# verify needs the executables to exist: point the unit at the build.
mkdir -p "$TMP/unit"
sed "s|^\(Exec[A-Za-z]*=\)[^ ]*corehubd|\1$COREHUBD|" "$unit" \
    > "$TMP/unit/corehubd.service"
"$SYSTEMD_ANALYZE" verify --man=no "$TMP/unit/corehubd.service" \
    > "$TMP/verify" 2>&1
rc=$?
# Unknown keys are only warnings to systemd: any output is a failure here.
[ $rc -eq 0 ] && [ ! -s "$TMP/verify" ] ||
	fail "systemd-analyze verify ($rc): $(cat "$TMP/verify")"
ok "systemd-analyze verify"
