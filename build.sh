#!/bin/sh
# corehub's two commands, for a fresh Debian 12 machine as root:
#   ./build.sh run    install the build dependencies, build, and run corehubd
#                     in the foreground with etc/corehub.conf on loopback,
#                     its database under ./var
#   ./build.sh test   the same set-up, then the whole test suite, built with
#                     AddressSanitizer and UBSan, then make distcheck
set -eu
cd "$(dirname "$0")"
top=$(pwd)

# Build dependencies, and the tools the tests drive the daemon with.
DEPS="build-essential autoconf automake pkg-config libcoap3-dev libcoap3-bin
libevent-dev libssl-dev libcbor-dev libsqlite3-dev check libsystemd-dev uthash-dev
openssl iproute2 mandoc systemd curl python3 debhelper dpkg-dev fakeroot
ethtool iputils-ping procps smcroute nftables"

deps() {
	missing=
	for p in $DEPS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "build.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing </dev/null
}

# promtool checks the metrics exposition. It comes from Debian's prometheus
# package, unpacked into .tools/ rather than installed: installing would
# create a user and start a Prometheus server on the machine.
get_promtool() {
	[ -x .tools/promtool ] && return 0
	command -v promtool >/dev/null 2>&1 && return 0
	mkdir -p .tools/deb
	(cd .tools/deb && { apt-get download -q prometheus </dev/null ||
	    { apt-get update -q && apt-get download -q prometheus </dev/null; }; }) ||
		{ echo "build.sh: promtool unavailable; its checks will skip"; return 0; }
	dpkg-deb -x .tools/deb/prometheus_*.deb .tools/deb/root &&
		cp .tools/deb/root/usr/bin/promtool .tools/promtool
	rm -rf .tools/deb
}

# build DIR [configure options...]
build() {
	bdir=$1
	shift
	[ -x configure ] && [ configure -nt configure.ac ] &&
		[ configure -nt Makefile.am ] || autoreconf -fi
	mkdir -p "$bdir"
	(cd "$bdir" && "$top/configure" -q --enable-werror \
	    --localstatedir="$top/var" "$@" && make -s -j"$(nproc)")
}

# Prints the closing line CI reads, from automake's test-suite.log.
summary() {
	log=$1/test-suite.log
	[ -f "$log" ] || return 0
	pass=$(sed -n 's/^# PASS: *//p' "$log")
	fail=$(sed -n 's/^# FAIL: *//p' "$log")
	err=$(sed -n 's/^# ERROR: *//p' "$log")
	skip=$(sed -n 's/^# SKIP: *//p' "$log")
	echo "${pass:-0} passed, $(( ${fail:-0} + ${err:-0} )) failed, ${skip:-0} skipped"
}

run_tests() {
	dir=build-sanitizers
	build "$dir" --enable-sanitizers
	status=0
	(cd "$dir" && make -s -j"$(nproc)" check) || status=$?
	if [ $status -ne 0 ]; then
		for f in "$dir"/tests/*/*.log; do
			grep -q '^\(FAIL\|ERROR\)' "${f%.log}.trs" 2>/dev/null &&
				{ echo "=== $f"; cat "$f"; }
		done
		summary "$dir"
		exit 1
	fi
	summary "$dir" > "$dir/summary.txt"
	# The release tarball builds and passes on its own.
	build build
	(cd build && make -s distcheck >distcheck.log 2>&1) ||
		{ tail -n 60 build/distcheck.log; exit 1; }
	echo "make distcheck: ok"
	cat "$dir/summary.txt"
}

case "${1:-}" in
run)
	deps
	build build
	mkdir -p var/lib/corehub
	exec build/src/corehubd -f etc/corehub.conf
	;;
test)
	deps
	get_promtool
	PATH="$PATH:$top/.tools"
	export PATH
	run_tests
	;;
*)
	echo "usage: ./build.sh run | test" >&2
	exit 64
	;;
esac
