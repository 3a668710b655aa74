#!/usr/bin/env python3
# probe.py IFACE GROUP PATH?QUERY COUNT SECONDS HOPS [first]: COUNT NON
# GETs (one token each) out of IFACE to GROUP with that hop limit, one
# every PROBE_GAP seconds (default 0.05); listens SECONDS (or until the
# first answer with "first"); prints "answers N SOURCE...", then "others
# N" (any other datagram: an error, a reset, an empty ACK, each also
# described on stderr), then the first payload. For the multicast
# discovery tests (tests/integration/23-mesh-discovery.sh and
# tests/mesh/10-mesh-rd.sh).
import os, socket, sys, time
gap = float(os.environ.get('PROBE_GAP', '0.05'))
ifname, group, pq = sys.argv[1], sys.argv[2], sys.argv[3]
count, secs, hops = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
first_only = sys.argv[7:] == ['first']
path, _, query = pq.partition('?')
def opt(delta, val):
    assert delta < 13
    ext = b''
    if len(val) >= 13:
        ext, ln = bytes([len(val) - 13]), 13
    else:
        ln = len(val)
    return bytes([delta << 4 | ln]) + ext + val
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
idx = socket.if_nametoindex(ifname)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, hops)
for t in range(count):
    msg = bytes([0x51, 0x01]) + os.urandom(2) + bytes([t + 1])
    last = 0
    for seg in path.strip('/').split('/'):
        msg += opt(11 - last, seg.encode()); last = 11
    if query:
        msg += opt(15 - last, query.encode())
    s.sendto(msg, (group, 5683, 0, idx))
    time.sleep(gap)
s.settimeout(0.2)
end, got, other, srcs, first = time.time() + secs, 0, 0, set(), b''
while time.time() < end and not (first_only and got):
    try:
        d, a = s.recvfrom(2048)
    except socket.timeout:
        continue
    if len(d) >= 4 and d[1] == 0x45:
        got += 1; srcs.add(a[0])
        if not first and b'\xff' in d:
            first = d[d.index(b'\xff') + 1:]
    else:
        other += 1
        print("datagram code", hex(d[1]) if len(d) > 1 else "?",
              "type", d[0] >> 4 & 3 if d else "?", "from", a[0], file=sys.stderr)
print("answers", got, *sorted(srcs))
print("others", other)
print(first.decode(errors='replace'))
