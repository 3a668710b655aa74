#!/bin/sh
# The documentation matches the code: every configuration keyword is in
# corehub.conf(5) and in the shipped etc/corehub.conf, every flag is in
# corehubd(8), and both pages are lint-clean mdoc.
. "${top_srcdir}/tests/integration/lib.sh"

conf5="$top_builddir/man/corehub.conf.5"
man8="$top_builddir/man/corehubd.8"
ctl8="$top_builddir/man/corehubctl.8"
[ -s "$conf5" ] && [ -s "$man8" ] && [ -s "$ctl8" ] || fail "man pages not built"

# The keyword tables in config.c: lines like { "name", min, max, fn },
keywords=$(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)",.*kw_.*/\1/p' \
    "$top_srcdir/src/config.c")
[ "$(echo "$keywords" | wc -l)" -ge 15 ] || fail "keyword table not found"
for k in $keywords; do
	grep -q "^\.It Ic $k\( \|$\)" "$conf5" ||
		fail "keyword $k missing from corehub.conf(5)"
	grep -q "^#*[[:space:]]*$k\( \|$\)" "$top_srcdir/etc/corehub.conf" ||
		fail "keyword $k missing from etc/corehub.conf"
done
ok "every keyword documented in corehub.conf(5) and etc/corehub.conf"

flags=$(sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' \
    "$top_srcdir/src/main.c" | tr -d ':' | fold -w1)
[ -n "$flags" ] || fail "getopt string not found"
for f in $flags; do
	grep -q "^\.It Fl $f\( \|$\)" "$man8" || fail "flag -$f missing from corehubd(8)"
done
ok "every flag documented in corehubd(8)"

# corehubctl: its global flags and every command of its command table.
flags=$(sed -n 's/.*getopt_long(argc, argv, "+\([^"]*\)".*/\1/p' \
    "$top_srcdir/src/corehubctl.c" | tr -d ':' | fold -w1)
[ -n "$flags" ] || fail "corehubctl getopt string not found"
for f in $flags; do
	grep -q "^\.It Fl $f\( \|$\)" "$ctl8" || fail "flag -$f missing from corehubctl(8)"
done
commands=$(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", "[a-zA-Z:]*", [0-9].*/\1/p' \
    "$top_srcdir/src/corehubctl.c")
[ "$(echo "$commands" | wc -l)" -ge 10 ] || fail "corehubctl command table not found"
for c in $commands; do
	grep -q "^\.It Cm $c\( \|$\)" "$ctl8" || fail "command $c missing from corehubctl(8)"
	"$COREHUBCTL" -h 2>&1 | grep -q "^  *$c\b" ||
		fail "command $c missing from corehubctl -h"
done
ok "every flag and command documented in corehubctl(8) and -h"

if [ -n "${MANDOC:-}" ]; then
	for page in "$conf5" "$man8" "$ctl8"; do
		"$MANDOC" -Tlint -W warning "$page" > "$TMP/lint" 2>&1
		[ ! -s "$TMP/lint" ] || fail "mandoc: $(cat "$TMP/lint")"
	done
	ok "mandoc -Tlint clean"
elif command -v groff >/dev/null; then
	for page in "$conf5" "$man8" "$ctl8"; do
		groff -ww -z -mdoc "$page" > "$TMP/lint" 2>&1
		[ ! -s "$TMP/lint" ] || fail "groff: $(cat "$TMP/lint")"
	done
	ok "groff -ww clean"
else
	skip "neither mandoc nor groff to lint the pages"
fi
