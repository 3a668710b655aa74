# Shared by the integration tests: a temporary directory, free loopback
# ports, a config writer, starting corehubd and waiting for its readiness
# line, and CoAP requests with coap-client-openssl. Sourced, not run.

set -u
: "${COREHUBD:?COREHUBD must name the corehubd binary}"
: "${top_srcdir:=.}"
TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/corehub-$TEST_NAME.XXXXXX")
DAEMON_PID=
FAILED=0

cleanup() {
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	if [ "$FAILED" -ne 0 ] && [ -f "$TMP/daemon.log" ]; then
		echo "--- daemon log"
		tail -n 50 "$TMP/daemon.log"
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILED=1; exit 1; }
ok() { echo "ok: $*"; }

need_client() {
	[ -n "${COAP_CLIENT:-}" ] && [ -x "$COAP_CLIENT" ] ||
		skip "coap-client-openssl not found (apt-get install libcoap3-bin)"
}

# A port that nothing on this host listens on, TCP or UDP.
free_port() {
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
		if command -v ss >/dev/null 2>&1; then
			ss -Hlntu "sport = :$p" 2>/dev/null | grep -q . && continue
		fi
		echo "$p"
		return
	done
}

# Writes $TMP/corehub.conf from standard input, with a database line.
write_conf() {
	{
		echo "database $TMP/corehub.db"
		cat
	} > "$TMP/corehub.conf"
}

# Starts corehubd on $TMP/corehub.conf and waits for "start of service".
start_daemon() {
	: > "$TMP/daemon.log"
	"$COREHUBD" -f "$TMP/corehub.conf" "$@" >>"$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	i=0
	while ! grep -q "start of service" "$TMP/daemon.log"; do
		kill -0 "$DAEMON_PID" 2>/dev/null ||
			fail "corehubd exited before it served"
		i=$((i + 1))
		[ $i -lt 200 ] || fail "corehubd did not start within 20 s"
		sleep 0.1
	done
}

# Sends SIGTERM and checks the daemon exits 0 within the given tenths.
stop_daemon() {
	limit=${1:-10}
	kill -TERM "$DAEMON_PID"
	i=0
	while kill -0 "$DAEMON_PID" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le "$limit" ] ||
			fail "corehubd still running $limit tenths after SIGTERM"
		sleep 0.1
	done
	wait "$DAEMON_PID"
	rc=$?
	DAEMON_PID=
	[ "$rc" -eq 0 ] || fail "corehubd exited $rc after SIGTERM"
}

# coap URI [client options...]: the response payload on stdout, and the
# client's exit status. -B bounds every request.
coap() {
	uri=$1
	shift
	"$COAP_CLIENT" -B 10 "$@" "$uri" 2>"$TMP/client.err"
}

# Like coap, but prints the response code (e.g. 2.05), read from the
# client's debug trace of the response (empty ACKs aside); nothing if there
# was none. Only responses to this client's own tokens count: a stray
# message (a notification meant for an earlier client on the same port)
# is not the answer.
coap_code() {
	uri=$1
	shift
	# A token of its own: every coap-client starts at the same one, so a
	# late message to a reused port would otherwise look like the answer.
	"$COAP_CLIENT" -B 10 -v 7 -T "$(coap_token)" "$@" "$uri" 2>&1 |
	    coap_code_of
}

coap_token() {
	echo "t$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
}

# The code of the answer in a coap-client -v 7 trace on standard input.
coap_code_of() {
	awk '
	function token() {
		return match($0, /\{[0-9a-f]*\}/) ? substr($0, RSTART, RLENGTH) : ""
	}
	/ c:[A-Za-z]+ / { mine[token()] = 1; next }
	/ c:[0-9]\.[0-9][0-9] / {
		t = token()
		if (t != "{}" && (t in mine) &&
		    match($0, / c:[0-9]\.[0-9][0-9] /))
			code = substr($0, RSTART + 3, 4)
	}
	END { if (code != "") print code }'
}

# The whole debug trace of one request, for option checks.
coap_trace() {
	uri=$1
	shift
	"$COAP_CLIENT" -B 10 -v 7 "$@" "$uri" 2>&1
}
