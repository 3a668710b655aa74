/*
 * coapload: a CoAP load generator for corehub's benchmarks. Hand-encoded
 * CoAP over UDP from many source ports, either closed-loop (a window of K
 * requests in flight) or open-loop (a fixed arrival rate). Requests that
 * get no answer within the timeout are counted as lost and never folded
 * into the latency percentiles.
 *
 * usage: coapload -p PORT -m MODE -n COUNT [-a ADDR] [-f FIRST] [-k KEYS]
 *                 [-w WINDOW] [-r RATE] [-s SOCKETS] [-t TIMEOUT_MS]
 *                 [-P FIRST_SOURCE_PORT]
 * -P binds the sockets to fixed source ports, so that successive runs are
 * the same clients to the server instead of new ones.
 * MODE: register  POST /rd?ep=devI&d=bench&base=coap://[2001:db8::1],
 *                 two links, I = FIRST, FIRST+1, ...
 *       ep        GET /rd-lookup/ep?ep=devI, I random in [0, KEYS)
 *       rt        GET /rd-lookup/res?rt=bench-I
 *       href      GET /rd-lookup/res?href=coap://[2001:db8::1]/s/I
 *       page      GET /rd-lookup/res?count=10 (first page of a broad one)
 *       wk        GET /.well-known/core
 *       topic     POST /ps, {0: "bench-I", 2: "core.ps.data"} in CBOR,
 *                 I = FIRST, FIRST+1, ...
 *       publish   PUT /ps/data/I, I random in [FIRST, FIRST+KEYS)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKS	256
#define MAX_INFLIGHT	65536

struct slot {
	uint64_t	sent_ns;	/* 0: free */
	unsigned long	idx;		/* which request holds it */
	int		sock;
};

static struct slot	slots[MAX_INFLIGHT];
static uint64_t		*lat;
static size_t		 nlat;
static unsigned long	 codes[256];

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t
opt(uint8_t *p, unsigned *last, unsigned num, const char *v, size_t len)
{
	unsigned	d = num - *last;
	size_t		o = 1;

	*last = num;
	p[0] = (uint8_t)((d < 13 ? d : 13) << 4 | (len < 13 ? len : 13));
	if (d >= 13)
		p[o++] = (uint8_t)(d - 13);
	if (len >= 13)
		p[o++] = (uint8_t)(len - 13);
	memcpy(p + o, v, len);
	return o + len;
}

static size_t
path(uint8_t *p, unsigned *last, const char *a, const char *b)
{
	size_t o = opt(p, last, 11, a, strlen(a));

	if (b)
		o += opt(p + o, last, 11, b, strlen(b));
	return o;
}

/* Builds request seq for item i; the token is the 4-byte slot index. */
static size_t
build(uint8_t *out, const char *mode, uint32_t slot, uint16_t mid,
    unsigned long i)
{
	size_t		o = 8;
	unsigned	last = 0;
	char		q[128];
	int		post = strcmp(mode, "register") == 0;

	out[0] = 1 << 6 | 0 << 4 | 4;	/* CON, 4-byte token */
	out[1] = post ? 0x02 : 0x01;
	out[2] = (uint8_t)(mid >> 8);
	out[3] = (uint8_t)mid;
	memcpy(out + 4, &slot, 4);
	if (post) {
		uint8_t cf = 40;
		int n;

		o += path(out + o, &last, "rd", NULL);
		o += opt(out + o, &last, 12, (const char *)&cf, 1);
		snprintf(q, sizeof(q), "ep=dev%lu", i);
		o += opt(out + o, &last, 15, q, strlen(q));
		o += opt(out + o, &last, 15, "d=bench", 7);
		o += opt(out + o, &last, 15, "base=coap://[2001:db8::1]", 25);
		out[o++] = 0xff;
		n = sprintf((char *)out + o, "</s/%lu>;rt=\"bench-%lu\","
		    "</t/%lu>;rt=\"temperature\";if=\"sensor\"", i, i, i);
		return o + (size_t)n;
	}
	if (strcmp(mode, "wk") == 0)
		return o + path(out + o, &last, ".well-known", "core");
	if (strcmp(mode, "topic") == 0) {
		uint8_t cf[2] = { 606 >> 8, 606 & 0xff };
		int n = snprintf(q, sizeof(q), "bench-%lu", i);

		out[1] = 0x02;
		o += path(out + o, &last, "ps", NULL);
		o += opt(out + o, &last, 12, (const char *)cf, 2);
		out[o++] = 0xff;
		out[o++] = 0xa2;
		out[o++] = 0x00;
		out[o++] = (uint8_t)(0x60 + n);
		memcpy(out + o, q, (size_t)n);
		o += (size_t)n;
		out[o++] = 0x02;
		out[o++] = 0x6c;
		memcpy(out + o, "core.ps.data", 12);
		return o + 12;
	}
	if (strcmp(mode, "publish") == 0) {
		int n = snprintf(q, sizeof(q), "%lu", i);

		out[1] = 0x03;
		o += path(out + o, &last, "ps", "data");
		o += opt(out + o, &last, 11, q, (size_t)n);
		o += opt(out + o, &last, 12, "", 0);
		out[o++] = 0xff;
		memcpy(out + o, q, (size_t)n);
		return o + (size_t)n;
	}
	o += path(out + o, &last, "rd-lookup",
	    strcmp(mode, "ep") == 0 ? "ep" : "res");
	if (strcmp(mode, "ep") == 0)
		snprintf(q, sizeof(q), "ep=dev%lu", i);
	else if (strcmp(mode, "rt") == 0)
		snprintf(q, sizeof(q), "rt=bench-%lu", i);
	else if (strcmp(mode, "href") == 0)
		snprintf(q, sizeof(q), "href=coap://[2001:db8::1]/s/%lu", i);
	else
		snprintf(q, sizeof(q), "count=10");
	return o + opt(out + o, &last, 15, q, strlen(q));
}

static int
cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double
pct(double p)
{
	size_t i;

	if (nlat == 0)
		return 0;
	i = (size_t)(p * (double)(nlat - 1) + 0.5);
	return (double)lat[i] / 1000.0;
}

int
main(int argc, char **argv)
{
	const char		*addr = "127.0.0.1", *mode = "wk";
	unsigned long		 count = 1000, first = 0, keys = 1, sent = 0;
	unsigned long		 done = 0, lost = 0, window = 64;
	double			 rate = 0;
	int			 nsock = 16, timeout_ms = 2000, ep, ch;
	int			 srcport = 0;
	int			 socks[MAX_SOCKS];
	struct sockaddr_in	 dst;
	uint64_t		 start, next_send, interval = 0;
	uint16_t		 mid = 1;
	uint32_t		 rng = 2463534242u;
	unsigned long		 oldest = 0;

	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	while ((ch = getopt(argc, argv, "a:f:k:m:n:p:P:r:s:t:w:")) != -1) {
		switch (ch) {
		case 'P': srcport = atoi(optarg); break;
		case 'a': addr = optarg; break;
		case 'f': first = strtoul(optarg, NULL, 10); break;
		case 'k': keys = strtoul(optarg, NULL, 10); break;
		case 'm': mode = optarg; break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'p': dst.sin_port = htons((uint16_t)atoi(optarg)); break;
		case 'r': rate = atof(optarg); break;
		case 's': nsock = atoi(optarg); break;
		case 't': timeout_ms = atoi(optarg); break;
		case 'w': window = strtoul(optarg, NULL, 10); break;
		default: return 64;
		}
	}
	if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1 || nsock < 1 ||
	    nsock > MAX_SOCKS || window < 1 || window > MAX_INFLIGHT ||
	    keys < 1 || (lat = calloc(count, sizeof(*lat))) == NULL)
		return 64;
	ep = epoll_create1(0);
	for (int i = 0; i < nsock; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		int buf = 1 << 20;

		socks[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		setsockopt(socks[i], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		if (srcport > 0) {
			struct sockaddr_in	src = dst;
			int			one = 1;

			src.sin_port = htons((uint16_t)(srcport + i));
			setsockopt(socks[i], SOL_SOCKET, SO_REUSEADDR, &one,
			    sizeof(one));
			if (bind(socks[i], (struct sockaddr *)&src,
			    sizeof(src)) == -1) {
				perror("bind");
				return 1;
			}
		}
		if (connect(socks[i], (struct sockaddr *)&dst, sizeof(dst)) ==
		    -1)
			return 1;
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, socks[i], &ev);
	}
	if (rate > 0) {
		interval = (uint64_t)(1e9 / rate);
		window = MAX_INFLIGHT;
	}
	start = next_send = now_ns();
	while (done + lost < count) {
		uint64_t		now = now_ns();
		struct epoll_event	evs[64];
		unsigned long		inflight = sent - done - lost;
		int			n, wait_ms = 1;

		/* Send what the window or the schedule allows. */
		while (sent < count && inflight < window &&
		    (interval == 0 || now >= next_send)) {
			uint32_t	 s = (uint32_t)(sent % MAX_INFLIGHT);
			uint8_t		 pkt[512];
			unsigned long	 item;
			size_t		 len;

			if (slots[s].sent_ns != 0)
				break;	/* the ring is full of slow ones */
			rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;
			item = strcmp(mode, "register") == 0 ||
			    strcmp(mode, "topic") == 0 ? first + sent :
			    first + rng % keys;
			len = build(pkt, mode, s, mid++, item);
			slots[s].sock = (int)(sent % (unsigned long)nsock);
			slots[s].idx = sent;
			slots[s].sent_ns = now_ns();
			if (send(socks[slots[s].sock], pkt, len, 0) == -1 &&
			    errno != EAGAIN)
				perror("send");
			sent++;
			inflight++;
			next_send += interval;
		}
		if (interval != 0 && sent < count) {
			/* Open loop: wake at the next send, not 1 ms later,
			 * or sends go out in bursts and skew the tail. */
			uint64_t	t = now_ns();
			uint64_t	d = next_send > t ? next_send - t : 0;
			struct timespec	ts = { (time_t)(d / 1000000000u),
					    (long)(d % 1000000000u) };

			if (d > 1000000u)
				ts = (struct timespec){ 0, 1000000 };
			n = epoll_pwait2(ep, evs, 64, &ts, NULL);
		} else
			n = epoll_wait(ep, evs, 64, wait_ms);
		for (int e = 0; e < n; e++) {
			uint8_t		in[2048];
			ssize_t		r;
			int		sk = socks[evs[e].data.u32];

			while ((r = recv(sk, in, sizeof(in), 0)) > 0) {
				uint32_t s;

				if (r >= 4 && ((in[0] >> 4) & 3) == 0) {
					/* A separate (CON) response: ACK it. */
					uint8_t ack[4] = { 0x60, 0, in[2],
					    in[3] };

					send(sk, ack, sizeof(ack), 0);
				}
				if (r < 8 || (in[0] & 15) != 4 || in[1] == 0)
					continue;	/* empty ACK or other */
				memcpy(&s, in + 4, 4);
				if (s >= MAX_INFLIGHT || slots[s].sent_ns == 0)
					continue;	/* late: already lost */
				lat[nlat++] = now_ns() - slots[s].sent_ns;
				codes[in[1]]++;
				slots[s].sent_ns = 0;
				done++;
			}
		}
		/* Expire what waited too long: lost, not a latency. */
		now = now_ns();
		while (oldest < sent) {
			struct slot *sl = &slots[oldest % MAX_INFLIGHT];

			if (sl->sent_ns != 0 && sl->idx == oldest) {
				if (now - sl->sent_ns <=
				    (uint64_t)timeout_ms * 1000000u)
					break;
				sl->sent_ns = 0;
				lost++;
			}
			oldest++;
		}
	}
	{
		double secs = (double)(now_ns() - start) / 1e9;

		qsort(lat, nlat, sizeof(*lat), cmp64);
		printf("mode=%s sent=%lu answered=%zu lost=%lu secs=%.3f "
		    "rate=%.0f/s p50_us=%.1f p99_us=%.1f max_us=%.1f", mode,
		    sent, nlat, lost, secs, (double)nlat / secs, pct(0.5),
		    pct(0.99), nlat ? (double)lat[nlat - 1] / 1000.0 : 0.0);
		for (int c = 0; c < 256; c++)
			if (codes[c])
				printf(" c%d.%02d=%lu", c >> 5, c & 31, codes[c]);
		printf("\n");
	}
	return 0;
}
