#!/bin/sh
# Installation. make install into a DESTDIR puts every file where the
# configured directories say; the installed unit passes systemd-analyze
# verify; a second install leaves an edited configuration alone; uninstall
# removes everything but an edited configuration. Then the Debian package
# (when debhelper is installed): it builds from a copy of the source tree
# and ships the same files, the configuration as a conffile, and a
# postinst that enables the unit.
#
# A part that cannot run here (no systemd-analyze, no debhelper) is
# reported on a "skip:" line; the test then exits 77 once everything that
# could run has passed.
. "${top_srcdir}/tests/integration/lib.sh"

SKIPPED=
part_skipped() { echo "skip: $*"; SKIPPED="$SKIPPED $1"; }

# make on its own, not as a sub-make of the make check that runs this test:
# without its jobserver (which a test does not get), its -w, or its command
# line variables.
clean_env() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES "$@"; }
mk() { clean_env make "$@"; }

# make in the build tree, quietly: its output goes to $TMP/make.log and is
# shown only on failure. The build is complete when tests run, so install
# rebuilds nothing.
run_make() {
	mk -s -C "$top_builddir" "$@" > "$TMP/make.log" 2>&1 ||
		fail "make $* ($?): $(tail -n 30 "$TMP/make.log")"
}

# The installation directories, as make expands them from the build's
# Makefile.
grep -E '^(prefix|exec_prefix|bindir|sbindir|sysconfdir|datarootdir|mandir|man5dir|man8dir|systemdunitdir) = ' \
    "$top_builddir/Makefile" > "$TMP/dirs.mk" || fail "no directories in Makefile"
cat >> "$TMP/dirs.mk" <<'EOF'
print-%:
	@echo '$($*)'
EOF
dir() { mk -s --no-print-directory -f "$TMP/dirs.mk" "print-$1"; }
sbindir=$(dir sbindir)
bindir=$(dir bindir)
sysconfdir=$(dir sysconfdir)
man5dir=$(dir man5dir)
man8dir=$(dir man8dir)
unitdir=$(dir systemdunitdir)
for d in "$sbindir" "$bindir" "$sysconfdir" "$man5dir" "$man8dir" "$unitdir"; do
	case $d in /*) ;; *) fail "a directory does not expand: '$d' ($(cat "$TMP/dirs.mk"))" ;; esac
done
conf=$sysconfdir/corehub/corehub.conf
unit=$unitdir/corehubd.service

D=$TMP/root

# --- make install ------------------------------------------------------------
run_make install DESTDIR="$D"
for f in "$sbindir/corehubd" "$bindir/corehubctl"; do
	[ -f "$D$f" ] && [ -x "$D$f" ] || fail "$f not installed executable"
done
"$D$sbindir/corehubd" -V | grep -q '^corehubd [0-9]' ||
	fail "the installed corehubd does not run"
for f in "$man8dir/corehubd.8" "$man8dir/corehubctl.8" \
    "$man5dir/corehub.conf.5" "$unit"; do
	[ -s "$D$f" ] || fail "$f not installed"
	! grep -qE '@(sbindir|bindir|sysconfdir|localstatedir|PACKAGE_VERSION)@' \
	    "$D$f" || fail "$f has an unsubstituted @...@"
done
[ -f "$D$conf" ] || fail "$conf not installed"
cmp -s "$top_srcdir/etc/corehub.conf" "$D$conf" ||
	fail "$conf differs from etc/corehub.conf"
grep -qxF "ExecStart=$sbindir/corehubd -f $conf" "$D$unit" ||
	fail "the installed unit does not start $sbindir/corehubd on $conf: $(grep ^Exec "$D$unit")"
# What ExecStartPre does before every start.
"$D$sbindir/corehubd" -n -f "$D$conf" > "$TMP/out" 2>&1 ||
	fail "the installed corehubd refuses the installed config: $(cat "$TMP/out")"
ok "make install: corehubd, corehubctl, 3 man pages, the unit and the config"

# --- systemd-analyze verify of the installed unit ----------------------------
# The unit names its commands under the prefix, which exist only under
# DESTDIR here. systemd 252's verify has --root=, but it then looks for
# everything in that root (sysinit.target, /bin/kill), which a DESTDIR does
# not have: the paths under sbindir get the DESTDIR prefix instead, and
# nothing else changes (a path outside sbindir stays, and fails).
if [ -n "${SYSTEMD_ANALYZE:-}" ]; then
	mkdir -p "$TMP/unit"
	sed "s|^\(Exec[A-Za-z]*=[-@:+!]*\)$sbindir/|\1$D$sbindir/|" "$D$unit" \
	    > "$TMP/unit/corehubd.service"
	"$SYSTEMD_ANALYZE" verify --man=no "$TMP/unit/corehubd.service" \
	    > "$TMP/verify" 2>&1
	rc=$?
	# Unknown keys are only warnings to systemd: any output is a failure.
	[ $rc -eq 0 ] && [ ! -s "$TMP/verify" ] ||
		fail "systemd-analyze verify of the installed unit ($rc): $(cat "$TMP/verify")"
	ok "systemd-analyze verify of the installed unit"
else
	part_skipped verify "systemd-analyze not installed: installed unit not verified"
fi

# --- make uninstall, unmodified config -----------------------------------------
run_make uninstall DESTDIR="$D"
left=$(cd "$D" && find . ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
ok "make uninstall removes every file, the unmodified config too"

# --- a second install and uninstall keep an edited config ----------------------
run_make install DESTDIR="$D"
echo "# edited by the administrator" >> "$D$conf"
cp "$D$conf" "$TMP/edited.conf"
run_make install DESTDIR="$D"
cmp -s "$TMP/edited.conf" "$D$conf" || fail "make install overwrote an edited $conf"
[ -x "$D$sbindir/corehubd" ] && [ -s "$D$unit" ] ||
	fail "reinstall lost files"
ok "make install again leaves an edited config alone"

run_make uninstall DESTDIR="$D"
left=$(cd "$D" && find . ! -type d)
[ "$left" = ".$conf" ] || fail "make uninstall left: $left (only .$conf expected)"
cmp -s "$TMP/edited.conf" "$D$conf" || fail "make uninstall changed an edited $conf"
ok "make uninstall removes everything but an edited config"

# --- the Debian package -------------------------------------------------------
# The package build is the release build: a copy of the source tree built
# by dpkg-buildpackage, without its tests (nocheck).
deb_test() {
	[ -f "$top_srcdir/debian/rules" ] ||
		fail "no debian/ in $top_srcdir: EXTRA_DIST must list debian/"
	# An in-place build would be copied, objects and all, and not rebuilt.
	[ ! -f "$top_srcdir/config.status" ] ||
		{ part_skipped deb "Debian package: $top_srcdir is configured in place (build out of tree)"; return; }
	# The copy leaves out build trees and the run database (build/,
	# build-*/, var/), distcheck's build and install trees (_build/, which
	# holds this very test, and _inst/), git and autoreconf's cache.
	src=$TMP/deb/corehub
	mkdir -p "$src"
	(cd "$top_srcdir" && ls -A) |
	    grep -vxE 'build|build-.*|var|_build|_inst|\.git|autom4te\.cache|corehub-[0-9.]+(\.tar\..*)?' \
	    > "$TMP/deb/files"
	(cd "$top_srcdir" && tar -cf - -T "$TMP/deb/files") |
	    (cd "$src" && tar -xf -) || fail "cannot copy $top_srcdir"
	# In distcheck the source tree is read-only, and so is its copy.
	chmod -R u+w "$src"

	# Without the make check's MAKEFLAGS, as mk(). Niced, for the timing of
	# the tests that make check -j runs beside it.
	start=$(date +%s)
	(cd "$src" && clean_env DEB_BUILD_OPTIONS='nocheck parallel=2' \
	    nice -n 10 dpkg-buildpackage -b -uc -us) > "$TMP/deb/build.log" 2>&1 ||
		fail "dpkg-buildpackage ($?): $(tail -n 40 "$TMP/deb/build.log")"
	echo "dpkg-buildpackage: $(( $(date +%s) - start )) s"
	set -- "$TMP"/deb/corehub_*.deb
	[ $# -eq 1 ] && [ -f "$1" ] || fail "dpkg-buildpackage made no corehub .deb"
	deb=$1

	# Name and mode of every file in the package.
	dpkg-deb -c "$deb" | awk '{ print $6, $1, $2 }' > "$TMP/deb/contents" ||
		fail "dpkg-deb -c $deb"
	for f in \
	    './usr/sbin/corehubd -rwxr-xr-x root/root' \
	    './usr/bin/corehubctl -rwxr-xr-x root/root' \
	    './lib/systemd/system/corehubd.service -rw-r--r-- root/root' \
	    './usr/share/man/man8/corehubd.8.gz -rw-r--r-- root/root' \
	    './usr/share/man/man8/corehubctl.8.gz -rw-r--r-- root/root' \
	    './usr/share/man/man5/corehub.conf.5.gz -rw-r--r-- root/root' \
	    './etc/corehub/corehub.conf -rw-r--r-- root/root'; do
		grep -qxF "$f" "$TMP/deb/contents" ||
			fail "the package lacks $f: $(cat "$TMP/deb/contents")"
	done
	! grep -q '^\./usr/lib/systemd/' "$TMP/deb/contents" ||
		fail "the unit is in /usr/lib/systemd, where Debian 12's dh_installsystemd does not look"
	ok "the package ships corehubd, corehubctl, the man pages, the unit and the config"

	dpkg-deb -I "$deb" conffiles 2>/dev/null |
	    grep -qx /etc/corehub/corehub.conf ||
		fail "/etc/corehub/corehub.conf is not a conffile"
	dpkg-deb -I "$deb" postinst > "$TMP/deb/postinst" 2>/dev/null ||
		fail "the package has no postinst"
	grep -q "deb-systemd-helper enable 'corehubd.service'" "$TMP/deb/postinst" ||
		fail "the postinst does not enable corehubd.service"
	grep -q "deb-systemd-invoke .*'corehubd.service'" "$TMP/deb/postinst" ||
		fail "the postinst does not start corehubd.service"
	depends=$(dpkg-deb -f "$deb" Depends)
	for lib in libc6 libcoap3 libevent- libssl3 libcbor libsqlite3- libsystemd0; do
		case $depends in *"$lib"*) ;; *) fail "Depends lacks $lib: $depends" ;; esac
	done
	ok "the config is a conffile, the postinst enables and starts the unit, Depends has the libraries"

	# The packaged files, as installed: the unit starts /usr/sbin/corehubd
	# on /etc/corehub/corehub.conf, the daemon accepts that config and keeps
	# its database where the unit's StateDirectory= is.
	x=$TMP/deb/x
	dpkg-deb -x "$deb" "$x" || fail "dpkg-deb -x $deb"
	u=$x/lib/systemd/system/corehubd.service
	grep -qxF 'ExecStart=/usr/sbin/corehubd -f /etc/corehub/corehub.conf' "$u" ||
		fail "the packaged unit: $(grep ^Exec "$u")"
	cmp -s "$top_srcdir/etc/corehub.conf" "$x/etc/corehub/corehub.conf" ||
		fail "the packaged config differs from etc/corehub.conf"
	"$x/usr/sbin/corehubd" -nv -f "$x/etc/corehub/corehub.conf" > "$TMP/deb/nv" 2>&1 ||
		fail "the packaged corehubd refuses its config: $(cat "$TMP/deb/nv")"
	grep -qx 'database /var/lib/corehub/corehub.db' "$TMP/deb/nv" ||
		fail "the packaged corehubd's database is not /var/lib/corehub/corehub.db: $(grep database "$TMP/deb/nv")"
	if [ -n "${SYSTEMD_ANALYZE:-}" ]; then
		mkdir -p "$TMP/deb/unit"
		sed "s|^\(Exec[A-Za-z]*=[-@:+!]*\)/usr/sbin/|\1$x/usr/sbin/|" "$u" \
		    > "$TMP/deb/unit/corehubd.service"
		"$SYSTEMD_ANALYZE" verify --man=no "$TMP/deb/unit/corehubd.service" \
		    > "$TMP/deb/verify" 2>&1
		rc=$?
		[ $rc -eq 0 ] && [ ! -s "$TMP/deb/verify" ] ||
			fail "systemd-analyze verify of the packaged unit ($rc): $(cat "$TMP/deb/verify")"
	fi
	ok "the packaged daemon, unit and config work together"
}

if [ -n "${COREHUB_PACKAGE_BUILD:-}" ]; then
	# debian/rules sets it: the test suite runs inside a package build.
	part_skipped deb "Debian package: not built again from within its own build"
elif ! command -v dpkg-buildpackage >/dev/null 2>&1 ||
    ! command -v dh >/dev/null 2>&1; then
	part_skipped deb "Debian package: dpkg-buildpackage or debhelper not installed (apt-get install debhelper dpkg-dev fakeroot)"
else
	deb_test
fi

[ -z "$SKIPPED" ] || { echo "SKIP: parts not run:$SKIPPED"; exit 77; }
