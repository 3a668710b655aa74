# Mesh test network for corehub (issue 6): network namespaces joined by
# veth pairs, with userspace radio media (airhub) standing in for the
# 802.15.4 hops. See tests/mesh/README.md (and the mesh spec, section 4.2).
# Sourced (POSIX sh: dash or bash), not run; call mesh_up in the test's
# own shell, not in a subshell:
#
#   . "$top_srcdir/tests/mesh/topo.sh"
#   mesh_up good || { [ $? -eq 77 ] && skip "no namespaces"; fail "mesh_up"; }
#   mesh_exec br some-daemon ... &
#   mesh_ping n2 "$MESH_BR_ADDR" || fail ...
#   mesh_down        # also run from the EXIT trap that mesh_up installs
#
# [lan] lan0 fd00:1::2 --veth-- br-lan0 fd00:1::1 [br] br-mesh0 fd00:2::1
#                                                          |
#                         air0 [air: airhub, no IPv6] air1, air3
#                                        |                 |
#          [n1] mesh0 fd00:2::11 --------+                 +--- mesh0 fd00:2::13 [n3]
#               mesh1 fd00:3::1 -- b0 [air2: airhub] b1 -- mesh0 fd00:3::22 [n2]
#
# Environment:
#   MESH_PREFIX       namespace prefix (default m<pid of the shell>)
#   MESH_SEED         relay seed (default 1; the second relay uses seed+1)
#   AIRHUB            relay binary; else $top_builddir/tests/mesh/airhub if
#                     built, else airhub.c compiled with ${CC:-cc} into the
#                     run's directory
#   MESH_SRCDIR       directory of airhub.c (default $top_srcdir/tests/mesh,
#                     else the directory of the sourcing script)
#   MESH_AIRHUB_ARGS  extra relay options, both hops (e.g. --queue 16)
#   MESH_TRAP=no      install no EXIT/INT/TERM/HUP traps: the caller runs
#                     mesh_down itself
#   MESH_KEEP_DIR=yes keep the run's directory (relay logs, stats)

# The MESH_* variables are for the tests that source this file.
# shellcheck disable=SC2034
# Addresses (fixed; usable before mesh_up).
MESH_LAN_ADDR=fd00:1::2        # lan: lan0
MESH_BR_LAN_ADDR=fd00:1::1     # br: br-lan0
MESH_BR_ADDR=fd00:2::1         # br: br-mesh0
MESH_N1_ADDR=fd00:2::11        # n1: mesh0 (one radio hop from br)
MESH_N1_DOWN_ADDR=fd00:3::1    # n1: mesh1 (n2's router)
MESH_N2_ADDR=fd00:3::22        # n2: mesh0 (two radio hops, through n1)
MESH_N3_ADDR=fd00:2::13        # n3: mesh0 ("sleepy", one hop)
MESH_LAN_PREFIX=fd00:1::/64
MESH_PREFIX1=fd00:2::/64       # first radio hop (br, n1, n3)
MESH_PREFIX2=fd00:3::/64       # second radio hop (n1, n2)
MESH_NODES="lan br air n1 air2 n2 n3"

# State of the current network (empty while down).
MESH_P=
MESH_DIR=
MESH_PROFILE=
mesh__nss=       # namespaces this run created
mesh__pids=      # relays, sleep loops, smcrouted: all our children
mesh__trapped=
mesh__prev_exit=

if [ -z "${MESH_SRCDIR:-}" ]; then
	if [ -n "${top_srcdir:-}" ] && [ -f "$top_srcdir/tests/mesh/airhub.c" ]
	then
		MESH_SRCDIR=$top_srcdir/tests/mesh
	else
		MESH_SRCDIR=$(cd "$(dirname "$0")" && pwd)
	fi
fi

mesh__log() { echo "mesh: $*" >&2; }

# The airhub options of one radio hop for a profile (spec table 4.2).
mesh_profile_args() {
	case $1 in
	clean) echo "" ;;
	good) echo "--delay 0.010 --jitter 0.005 --loss 0.01 --frag 96 --rate 250000" ;;
	typical) echo "--delay 0.040 --jitter 0.030 --loss 0.05 --frag 96 --rate 100000" ;;
	harsh) echo "--delay 0.250 --jitter 0.150 --loss 0.15 --frag 80 --rate 50000" ;;
	*) return 1 ;;
	esac
}

# mesh_ns NODE: the namespace name of a node (lan br air n1 air2 n2 n3).
mesh_ns() { echo "${MESH_P}_$1"; }

# mesh_exec NODE COMMAND...: runs a command in a node's namespace.
mesh_exec() {
	mesh__n=$1
	shift
	ip netns exec "${MESH_P}_$mesh__n" "$@"
}

# mesh_ping NODE ADDRESS [TRIES]: true when one of TRIES single pings
# (2 s each, default 5 tries) is answered. Lossy profiles need the tries.
mesh_ping() {
	mesh__t=0
	while [ "$mesh__t" -lt "${3:-5}" ]; do
		ip netns exec "${MESH_P}_$1" ping -6 -n -q -c 1 -W 2 "$2" \
		    >/dev/null 2>&1 && return 0
		mesh__t=$((mesh__t + 1))
	done
	return 1
}

# mesh_ll NODE IFACE: the link-local address of an interface.
mesh_ll() {
	ip -n "${MESH_P}_$1" -6 -o addr show dev "$2" scope link |
	    sed -n 's/.* inet6 \(fe80::[0-9a-f:]*\)\/.*/\1/p' | head -n 1
}

# The default gateway of a node and its radio interface.
mesh__gw() {
	case $1 in
	lan) echo "$MESH_BR_LAN_ADDR lan0" ;;
	n1 | n3) echo "$MESH_BR_ADDR mesh0" ;;
	n2) echo "$MESH_N1_DOWN_ADDR mesh0" ;;
	*) return 1 ;;
	esac
}

# Runs a setup command; on failure says which and returns 1.
mesh__do() {
	"$@" >>"$MESH_DIR/setup.log" 2>&1 && return 0
	mesh__log "failed: $*"
	tail -n 3 "$MESH_DIR/setup.log" | sed 's/^/mesh:   /' >&2
	return 1
}

mesh__sysctl() {
	mesh__do ip netns exec "${MESH_P}_$1" sysctl -qw "$2" || return 1
}

# mesh__veth NODE_A IF_A NODE_B IF_B [relay]: a veth pair between two
# namespaces; relay-facing pairs get MTU 1280 and tx checksum offload off.
mesh__veth() {
	mesh__do ip link add "$2" netns "${MESH_P}_$1" type veth \
	    peer name "$4" netns "${MESH_P}_$3" || return 1
	if [ "${5:-}" = relay ]; then
		mesh__radio_if "$1" "$2" || return 1
		mesh__radio_if "$3" "$4" || return 1
	fi
	mesh__do ip -n "${MESH_P}_$1" link set "$2" up || return 1
	mesh__do ip -n "${MESH_P}_$3" link set "$4" up || return 1
}

mesh__radio_if() { # NODE IFACE
	mesh__do ip -n "${MESH_P}_$1" link set "$2" mtu 1280 || return 1
	mesh__do ip netns exec "${MESH_P}_$1" ethtool -K "$2" tx off ||
		return 1
}

mesh__addr() { # NODE IFACE ADDR/LEN
	mesh__do ip -n "${MESH_P}_$1" -6 addr add "$3" dev "$2" nodad ||
		return 1
}

mesh__route() { # NODE ROUTE...
	mesh__n=$1
	shift
	mesh__do ip -n "${MESH_P}_$mesh__n" -6 route add "$@" || return 1
}

# mesh__relay NS LOGNAME SEED ARGS IFACES...: starts airhub and waits for
# its "ready" line.
mesh__relay() {
	mesh__ns=$1 mesh__name=$2 mesh__seed=$3 mesh__args=$4
	shift 4
	# shellcheck disable=SC2086 # word splitting of the options is meant
	ip netns exec "${MESH_P}_$mesh__ns" "$AIRHUB" $mesh__args \
	    ${MESH_AIRHUB_ARGS:-} --seed "$mesh__seed" \
	    --stats "$MESH_DIR/$mesh__name.stats" "$@" \
	    >"$MESH_DIR/$mesh__name.log" 2>&1 &
	mesh__pid=$!
	mesh__pids="$mesh__pids $mesh__pid"
	echo "$mesh__pid" >"$MESH_DIR/$mesh__name.pid"
	mesh__i=0
	while ! grep -q 'airhub: ready' "$MESH_DIR/$mesh__name.log"; do
		if ! kill -0 "$mesh__pid" 2>/dev/null ||
		    [ $mesh__i -ge 100 ]; then
			mesh__log "relay $mesh__name did not start:"
			sed 's/^/mesh:   /' "$MESH_DIR/$mesh__name.log" >&2
			return 1
		fi
		mesh__i=$((mesh__i + 1))
		sleep 0.05
	done
}

# Captures the action of an EXIT trap from `trap` output (see mesh__trap).
mesh__capture() {
	[ "$1" = "--" ] && shift
	mesh__a=$1
	shift
	for mesh__s in "$@"; do
		case $mesh__s in
		EXIT | 0) mesh__prev_exit=$mesh__a ;;
		INT | SIGINT | 2) mesh__had_int=1 ;;
		TERM | SIGTERM | 15) mesh__had_term=1 ;;
		HUP | SIGHUP | 1) mesh__had_hup=1 ;;
		esac
	done
}

mesh__on_exit() {
	mesh__rc=$?
	mesh_down
	if [ -n "$mesh__prev_exit" ]; then
		(exit "$mesh__rc")
		eval "$mesh__prev_exit"
	fi
}

# Installs mesh_down on EXIT, keeping (and then running) the EXIT trap the
# caller had, and makes INT/TERM/HUP exit through it unless the caller
# trapped them already. `trap` output is read from a file, as dash does not
# report traps inside $(...).
mesh__trap() {
	[ "${MESH_TRAP:-}" = no ] && return 0
	[ -n "$mesh__trapped" ] && return 0
	mesh__had_int='' mesh__had_term='' mesh__had_hup=''
	trap >"$MESH_DIR/traps"
	eval "$(sed 's/^trap /mesh__capture /' "$MESH_DIR/traps")"
	trap mesh__on_exit EXIT
	[ -n "$mesh__had_int" ] || trap 'exit 130' INT
	[ -n "$mesh__had_term" ] || trap 'exit 143' TERM
	[ -n "$mesh__had_hup" ] || trap 'exit 129' HUP
	mesh__trapped=1
}

# The body of mesh_up: returns 1 on the first failure (mesh_up cleans up).
mesh__build() {
	mesh__a1=$1 mesh__a2=$2
	for mesh__n in $MESH_NODES; do
		[ "$mesh__n" = lan ] && continue # created by mesh_up
		mesh__do ip netns add "${MESH_P}_$mesh__n" || return 1
		mesh__nss="$mesh__nss ${MESH_P}_$mesh__n"
	done
	for mesh__n in $MESH_NODES; do
		mesh__do ip -n "${MESH_P}_$mesh__n" link set lo up || return 1
		case $mesh__n in
		air | air2)
			mesh__sysctl "$mesh__n" net.ipv6.conf.all.disable_ipv6=1 ||
				return 1
			mesh__sysctl "$mesh__n" net.ipv6.conf.default.disable_ipv6=1 ||
				return 1
			;;
		*)
			for mesh__k in all default; do
				mesh__sysctl "$mesh__n" \
				    net.ipv6.conf.$mesh__k.accept_dad=0 || return 1
				mesh__sysctl "$mesh__n" \
				    net.ipv6.conf.$mesh__k.keep_addr_on_down=1 ||
					return 1
			done
			;;
		esac
	done
	mesh__sysctl br net.ipv6.conf.all.forwarding=1 || return 1
	mesh__sysctl n1 net.ipv6.conf.all.forwarding=1 || return 1

	mesh__veth lan lan0 br br-lan0 || return 1
	mesh__veth br br-mesh0 air air0 relay || return 1
	mesh__veth n1 mesh0 air air1 relay || return 1
	mesh__veth n3 mesh0 air air3 relay || return 1
	mesh__veth n1 mesh1 air2 b0 relay || return 1
	mesh__veth n2 mesh0 air2 b1 relay || return 1

	mesh__addr lan lan0 "$MESH_LAN_ADDR/64" || return 1
	mesh__addr br br-lan0 "$MESH_BR_LAN_ADDR/64" || return 1
	mesh__addr br br-mesh0 "$MESH_BR_ADDR/64" || return 1
	mesh__addr n1 mesh0 "$MESH_N1_ADDR/64" || return 1
	mesh__addr n1 mesh1 "$MESH_N1_DOWN_ADDR/64" || return 1
	mesh__addr n2 mesh0 "$MESH_N2_ADDR/64" || return 1
	mesh__addr n3 mesh0 "$MESH_N3_ADDR/64" || return 1

	mesh__route lan default via "$MESH_BR_LAN_ADDR" dev lan0 || return 1
	mesh__route br "$MESH_PREFIX2" via "$MESH_N1_ADDR" dev br-mesh0 ||
		return 1
	mesh__route n1 default via "$MESH_BR_ADDR" dev mesh0 || return 1
	mesh__route n2 default via "$MESH_N1_DOWN_ADDR" dev mesh0 || return 1
	mesh__route n3 default via "$MESH_BR_ADDR" dev mesh0 || return 1

	mesh__seed=${MESH_SEED:-1}
	mesh__relay air air "$mesh__seed" "$mesh__a1" air0 air1 air3 ||
		return 1
	mesh__relay air2 air2 $((mesh__seed + 1)) "$mesh__a2" b0 b1 ||
		return 1
}

# mesh_up PROFILE [PROFILE2]: builds the network, PROFILE on the first
# radio hop (br, n1, n3) and PROFILE2 (default: the same) on the second
# (n1, n2). Returns 0, 77 when network namespaces (or ip, ethtool, cc) are
# not available here, 1 on any other failure; never leaves anything behind
# when it fails.
mesh_up() {
	if [ -n "$MESH_P" ]; then
		mesh__log "mesh_up: already up ($MESH_P)"
		return 1
	fi
	mesh__a1=$(mesh_profile_args "${1:-}") ||
		{ mesh__log "unknown profile '${1:-}' (clean good typical harsh)"; return 1; }
	mesh__a2=$(mesh_profile_args "${2:-${1:-}}") ||
		{ mesh__log "unknown profile '${2:-}'"; return 1; }
	for mesh__t in ip ethtool sysctl; do
		command -v $mesh__t >/dev/null 2>&1 || {
			mesh__log "$mesh__t not found (apt-get install iproute2 ethtool procps)"
			return 77
		}
	done
	MESH_P=${MESH_PREFIX:-m$$}
	MESH_PROFILE=$1${2:+/$2}
	for mesh__n in $MESH_NODES; do
		if [ -e "/var/run/netns/${MESH_P}_$mesh__n" ] ||
		    [ -e "/run/netns/${MESH_P}_$mesh__n" ]; then
			mesh__log "namespace ${MESH_P}_$mesh__n exists already: not ours, choose another MESH_PREFIX"
			MESH_P=
			return 1
		fi
	done
	MESH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mesh-$MESH_P.XXXXXX") || {
		MESH_P=
		return 1
	}
	MESH_NS_LAN=${MESH_P}_lan MESH_NS_BR=${MESH_P}_br
	MESH_NS_AIR=${MESH_P}_air MESH_NS_N1=${MESH_P}_n1
	MESH_NS_AIR2=${MESH_P}_air2 MESH_NS_N2=${MESH_P}_n2
	MESH_NS_N3=${MESH_P}_n3
	mesh__trap
	if [ -z "${AIRHUB:-}" ] && [ -n "${top_builddir:-}" ] &&
	    [ -x "$top_builddir/tests/mesh/airhub" ]; then
		AIRHUB=$top_builddir/tests/mesh/airhub # built by make check
	fi
	if [ -z "${AIRHUB:-}" ]; then
		if ! command -v "${CC:-cc}" >/dev/null 2>&1; then
			mesh__log "no C compiler (${CC:-cc}) to build airhub; set AIRHUB"
			mesh_down
			return 77
		fi
		if ! ${CC:-cc} -O2 -o "$MESH_DIR/airhub" "$MESH_SRCDIR/airhub.c" \
		    >"$MESH_DIR/cc.log" 2>&1; then
			mesh__log "cannot build $MESH_SRCDIR/airhub.c:"
			sed 's/^/mesh:   /' "$MESH_DIR/cc.log" >&2
			mesh_down
			return 1
		fi
		AIRHUB=$MESH_DIR/airhub
		mesh__own_airhub=1
	fi
	if [ ! -x "$AIRHUB" ]; then
		mesh__log "AIRHUB=$AIRHUB is not an executable"
		mesh_down
		return 1
	fi
	# The first namespace tells whether we may create them at all.
	if ! ip netns add "${MESH_P}_lan" >"$MESH_DIR/netns.err" 2>&1; then
		mesh__log "cannot create network namespaces: $(cat "$MESH_DIR/netns.err")"
		mesh_down
		return 77
	fi
	mesh__nss="${MESH_P}_lan"
	if ! mesh__build "$mesh__a1" "$mesh__a2"; then
		mesh_down
		return 1
	fi
	return 0
}

# mesh_stats: asks both relays for their counters and prints them
# ("port IFACE in N out N lost N qdrop N txerr N ...", one line a port).
mesh_stats() {
	for mesh__r in air air2; do
		[ -f "$MESH_DIR/$mesh__r.pid" ] || continue
		rm -f "$MESH_DIR/$mesh__r.stats"
		kill -USR1 "$(cat "$MESH_DIR/$mesh__r.pid")" 2>/dev/null ||
			continue
		mesh__i=0
		while [ ! -f "$MESH_DIR/$mesh__r.stats" ] && [ $mesh__i -lt 40 ]
		do
			sleep 0.05
			mesh__i=$((mesh__i + 1))
		done
		grep '^port ' "$MESH_DIR/$mesh__r.stats" 2>/dev/null
	done
}

# mesh_sleep NODE DOWN_S UP_S: a "sleepy" node: its radio interface goes
# down for DOWN_S seconds, then up for UP_S, in a loop in the background,
# until mesh_wake or mesh_down. On every wake the default route is put
# back (IPv6 drops routes through a link that goes down; addresses stay,
# keep_addr_on_down=1).
mesh_sleep() {
	mesh__gwi=$(mesh__gw "$1") || {
		mesh__log "mesh_sleep: no radio node '$1'"
		return 1
	}
	# shellcheck disable=SC2086 # "GATEWAY IFACE", split on purpose
	set -- "$1" "$2" "$3" $mesh__gwi
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		s=
		while :; do
			ip -n "${MESH_P}_$1" link set "$5" down
			sleep "$2" &
			s=$!
			wait $s
			ip -n "${MESH_P}_$1" link set "$5" up
			ip -n "${MESH_P}_$1" -6 route replace default via "$4" \
			    dev "$5"
			sleep "$3" &
			s=$!
			wait $s
		done
	) >>"$MESH_DIR/sleep-$1.log" 2>&1 &
	mesh__pids="$mesh__pids $!"
	echo $! >"$MESH_DIR/sleep-$1.pid"
}

# mesh_wake NODE: ends mesh_sleep for a node and leaves its link up.
mesh_wake() {
	[ -f "$MESH_DIR/sleep-$1.pid" ] || return 0
	mesh__p=$(cat "$MESH_DIR/sleep-$1.pid")
	kill "$mesh__p" 2>/dev/null
	wait "$mesh__p" 2>/dev/null
	rm -f "$MESH_DIR/sleep-$1.pid"
	mesh__gwi=$(mesh__gw "$1") || return 1
	# shellcheck disable=SC2086 # "GATEWAY IFACE", split on purpose
	set -- "$1" $mesh__gwi
	ip -n "${MESH_P}_$1" link set "$3" up
	ip -n "${MESH_P}_$1" -6 route replace default via "$2" dev "$3"
}

# mesh_smcroute: multicast routing in n1 (stands in for MPL): ff03::fe and
# ff03::fd arriving on mesh1 (from n2) are forwarded to mesh0 (toward br).
# Senders need hop limit >= 2. Returns 77 with a message when smcroute is
# not installed.
mesh_smcroute() {
	if ! command -v smcrouted >/dev/null 2>&1; then
		mesh__log "smcrouted not installed (apt-get install smcroute): no multicast routing in n1"
		return 77
	fi
	cat >"$MESH_DIR/smcroute.conf" <<EOF
phyint mesh0 enable
phyint mesh1 enable
mroute from mesh1 group ff03::fe to mesh0
mroute from mesh1 group ff03::fd to mesh0
EOF
	ip netns exec "${MESH_P}_n1" smcrouted -n -N -l info \
	    -f "$MESH_DIR/smcroute.conf" -i "${MESH_P}-smcroute" \
	    -u "$MESH_DIR/smcroute.sock" -P "$MESH_DIR/smcroute.pid" \
	    >"$MESH_DIR/smcroute.log" 2>&1 &
	mesh__p=$!
	mesh__pids="$mesh__pids $mesh__p"
	mesh__i=0
	# ready once it has read its configuration and installed the routes
	while ! grep -qi 'ready' "$MESH_DIR/smcroute.log"; do
		if ! kill -0 "$mesh__p" 2>/dev/null || [ $mesh__i -ge 100 ]; then
			mesh__log "smcrouted did not start:"
			sed 's/^/mesh:   /' "$MESH_DIR/smcroute.log" >&2
			return 1
		fi
		mesh__i=$((mesh__i + 1))
		sleep 0.05
	done
}

# mesh_down: stops everything mesh_up and the helpers started (and any
# other process left in the run's namespaces), deletes the namespaces and
# the run's directory. Safe to call twice, or after a failed mesh_up.
mesh_down() {
	[ -n "$MESH_P" ] || return 0
	for mesh__p in $mesh__pids; do
		kill "$mesh__p" 2>/dev/null
	done
	for mesh__p in $mesh__pids; do
		mesh__i=0
		while kill -0 "$mesh__p" 2>/dev/null && [ $mesh__i -lt 40 ]; do
			sleep 0.05
			mesh__i=$((mesh__i + 1))
		done
		kill -KILL "$mesh__p" 2>/dev/null
		wait "$mesh__p" 2>/dev/null
	done
	mesh__pids=
	# processes a test started in our namespaces (daemons, clients)
	mesh__left=
	for mesh__ns in $mesh__nss; do
		mesh__left="$mesh__left $(ip netns pids "$mesh__ns" 2>/dev/null)"
	done
	if [ -n "$(echo $mesh__left)" ]; then
		kill $mesh__left 2>/dev/null
		mesh__i=0
		while [ $mesh__i -lt 20 ]; do
			mesh__alive=
			for mesh__p in $mesh__left; do
				kill -0 "$mesh__p" 2>/dev/null && mesh__alive=1
			done
			[ -n "$mesh__alive" ] || break
			sleep 0.05
			mesh__i=$((mesh__i + 1))
		done
		kill -KILL $mesh__left 2>/dev/null
	fi
	for mesh__ns in $mesh__nss; do
		ip netns del "$mesh__ns" 2>/dev/null ||
			mesh__log "could not delete namespace $mesh__ns"
	done
	mesh__nss=
	if [ -n "${mesh__own_airhub:-}" ]; then
		AIRHUB=
		mesh__own_airhub=
	fi
	[ -n "$MESH_DIR" ] && [ "${MESH_KEEP_DIR:-}" != yes ] &&
		rm -rf "$MESH_DIR"
	MESH_P='' MESH_DIR='' MESH_PROFILE=''
	MESH_NS_LAN='' MESH_NS_BR='' MESH_NS_AIR='' MESH_NS_N1=''
	MESH_NS_AIR2='' MESH_NS_N2='' MESH_NS_N3=''
	return 0
}
