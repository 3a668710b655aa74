/*
 * psfan: fan-out benchmark for corehub's broker, and for an MQTT broker
 * (QoS 0) to compare with. S subscribers (one socket each) follow one
 * topic; a publisher publishes N values carrying their send time, either
 * closed-loop (W publishes awaiting their answer, CoAP only) or at a fixed
 * rate. Prints publishes/s, notifications/s, the share that arrived, the
 * publish-to-notification latency, and, given the broker's pid, its CPU
 * time per delivered notification.
 *
 * usage: psfan -M coap|mqtt -p PORT -t TOPIC -S SUBS -n PUBLISHES
 *              [-w WINDOW | -r RATE] [-d BROKER_PID] [-a ADDR]
 * TOPIC: for CoAP the topic-data path ("ps/data/1"), for MQTT the topic.
 * CoAP subscribers ACK the confirmable notifications; values are 8-byte
 * CLOCK_MONOTONIC nanoseconds, so psfan must run on the broker's host.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SUBS_MAX	4096
#define MQTT_BUF	65536

struct sub {
	int		 fd;
	int		 ready;		/* subscription confirmed */
	uint8_t		 buf[MQTT_BUF];	/* MQTT: stream reassembly */
	size_t		 len;
};

static struct sub	*subs;
static int		 nsubs, mqtt;
static uint64_t		*lat;
static size_t		 nlat, maxlat;
static unsigned long	 notified, answered, lost_pub;
static struct sockaddr_in dst;
static const char	*topic;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The broker's user + system CPU time in clock ticks, or 0. */
static unsigned long long
cpu_ticks(int pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 ut = 0, st = 0;
	FILE			*f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		    "%llu %llu", &ut, &st);
	fclose(f);
	return ut + st;
}

static size_t
coap_opt(uint8_t *p, unsigned *last, unsigned num, const void *v, size_t len)
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

/* A CON request on TOPIC: GET with Observe 0, or PUT of value. */
static size_t
coap_request(uint8_t *out, int put, uint16_t mid, uint32_t token,
    uint64_t value)
{
	char		 copy[256], *seg, *save;
	size_t		 o = 8;
	unsigned	 last = 0;
	uint8_t		 zero = 0;

	out[0] = 1 << 6 | 0 << 4 | 4;
	out[1] = put ? 0x03 : 0x01;
	out[2] = (uint8_t)(mid >> 8);
	out[3] = (uint8_t)mid;
	memcpy(out + 4, &token, 4);
	if (!put)
		o += coap_opt(out + o, &last, 6, &zero, 0);	/* Observe 0 */
	snprintf(copy, sizeof(copy), "%s", topic);
	for (seg = strtok_r(copy, "/", &save); seg;
	    seg = strtok_r(NULL, "/", &save))
		o += coap_opt(out + o, &last, 11, seg, strlen(seg));
	if (put) {
		out[o++] = 0xff;
		memcpy(out + o, &value, 8);
		o += 8;
	}
	return o;
}

static void
record(const uint8_t *payload, size_t len)
{
	uint64_t sent;

	if (len != 8)
		return;
	memcpy(&sent, payload, 8);
	notified++;
	if (nlat < maxlat)
		lat[nlat++] = now_ns() - sent;
}

/* One CoAP datagram to subscriber s. */
static void
coap_in(struct sub *s, const uint8_t *in, size_t r)
{
	size_t		o, tkl;
	unsigned	type, code;

	if (r < 4)
		return;
	type = (in[0] >> 4) & 3;
	code = in[1];
	tkl = in[0] & 15;
	if (type == 0) {	/* CON notification: acknowledge it */
		uint8_t ack[4] = { 0x60, 0, in[2], in[3] };

		send(s->fd, ack, sizeof(ack), 0);
	}
	if (code != 0x45 || r < 4 + tkl)
		return;
	/* Skip the options to the payload marker. */
	for (o = 4 + tkl; o < r && in[o] != 0xff; ) {
		unsigned d = in[o] >> 4, l = in[o] & 15;

		o++;
		if (d == 13)
			o++;
		else if (d == 14)
			o += 2;
		if (l == 13)
			l = in[o++] + 13u;
		else if (l == 14) {
			l = (unsigned)(in[o] << 8 | in[o + 1]) + 269u;
			o += 2;
		}
		o += l;
	}
	if (!s->ready) {	/* the registration's 2.05 */
		s->ready = 1;
		return;
	}
	if (o < r && in[o] == 0xff)
		record(in + o + 1, r - o - 1);
}

static size_t
mqtt_len(uint8_t *p, size_t n)
{
	size_t o = 0;

	do {
		p[o] = n & 127;
		n >>= 7;
		if (n)
			p[o] |= 128;
		o++;
	} while (n);
	return o;
}

/* CONNECT (clean session), then SUBSCRIBE QoS 0 when sub is set. */
static void
mqtt_hello(int fd, int id, int sub)
{
	uint8_t	 p[512], body[400];
	char	 cid[32];
	size_t	 n = 0, o = 0, tl = strlen(topic);

	snprintf(cid, sizeof(cid), "psfan-%d-%d", getpid(), id);
	memcpy(body, "\0\4MQTT\4\2\0\74", 10);
	n = 10;
	body[n++] = 0;
	body[n++] = (uint8_t)strlen(cid);
	memcpy(body + n, cid, strlen(cid));
	n += strlen(cid);
	p[o++] = 0x10;
	o += mqtt_len(p + o, n);
	memcpy(p + o, body, n);
	o += n;
	if (sub) {
		p[o++] = 0x82;
		o += mqtt_len(p + o, 2 + 2 + tl + 1);
		p[o++] = 0;
		p[o++] = 1;
		p[o++] = (uint8_t)(tl >> 8);
		p[o++] = (uint8_t)tl;
		memcpy(p + o, topic, tl);
		o += tl;
		p[o++] = 0;
	}
	if (send(fd, p, o, 0) != (ssize_t)o)
		perror("send");
}

/* The MQTT packets in s's stream: CONNACK, SUBACK, PUBLISH. */
static void
mqtt_in(struct sub *s)
{
	size_t o = 0;

	for (;;) {
		size_t		 rl = 0, h = 1, shift = 0, tl;
		const uint8_t	*p = s->buf + o;
		size_t		 avail = s->len - o;

		while (h < avail && h < 5) {
			rl |= (size_t)(p[h] & 127) << shift;
			shift += 7;
			if (!(p[h++] & 128))
				break;
		}
		if (h >= avail || h + rl > avail)
			break;
		if ((p[0] & 0xf0) == 0x90)
			s->ready = 1;
		else if ((p[0] & 0xf0) == 0x30 && rl >= 2) {
			tl = (size_t)(p[h] << 8 | p[h + 1]);
			if (2 + tl <= rl)
				record(p + h + 2 + tl, rl - 2 - tl);
		}
		o += h + rl;
	}
	memmove(s->buf, s->buf + o, s->len - o);
	s->len -= o;
}

static int
open_sock(int tcp)
{
	int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM), 0);
	int buf = 4 << 20, one = 1;

	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == -1) {
		perror("connect");
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads what every ready socket holds, for up to wait_ms. */
static void
poll_subs(int ep, int wait_ms, int pubfd)
{
	struct epoll_event	evs[256];
	int			n = epoll_wait(ep, evs, 256, wait_ms);

	for (int e = 0; e < n; e++) {
		int		 i = (int)evs[e].data.u32;
		uint8_t		 in[2048];
		ssize_t		 r;

		if (i == nsubs) {	/* the CoAP publisher's answers */
			while ((r = recv(pubfd, in, sizeof(in), MSG_DONTWAIT))
			    > 0) {
				if (((in[0] >> 4) & 3) == 0) {
					uint8_t ack[4] = { 0x60, 0, in[2],
					    in[3] };

					send(pubfd, ack, sizeof(ack), 0);
				}
				if (in[1] != 0)
					answered++;
			}
			continue;
		}
		if (mqtt) {
			struct sub *s = &subs[i];

			while ((r = recv(s->fd, s->buf + s->len,
			    MQTT_BUF - s->len, MSG_DONTWAIT)) > 0) {
				s->len += (size_t)r;
				mqtt_in(s);
			}
			continue;
		}
		while ((r = recv(subs[i].fd, in, sizeof(in), MSG_DONTWAIT)) >
		    0)
			coap_in(&subs[i], in, (size_t)r);
	}
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
	return nlat ? (double)lat[(size_t)(p * (double)(nlat - 1) + 0.5)] /
	    1000.0 : 0;
}

static int
subscribe_all(int ep)
{
	uint64_t	deadline = now_ns() + 10000000000ull;
	uint16_t	mid = 1;
	int		ready = 0;

	while (ready < nsubs && now_ns() < deadline) {
		for (int i = 0; i < nsubs; i++) {
			uint8_t	pkt[256];
			size_t	len;

			if (subs[i].ready)
				continue;
			if (mqtt) {
				if (mid == 1)
					mqtt_hello(subs[i].fd, i, 1);
				continue;
			}
			len = coap_request(pkt, 0, (uint16_t)(mid + i),
			    (uint32_t)i, 0);
			send(subs[i].fd, pkt, len, 0);
		}
		mid = (uint16_t)(mid + nsubs);
		for (int k = 0; k < 50; k++)
			poll_subs(ep, 20, -1);
		ready = 0;
		for (int i = 0; i < nsubs; i++)
			ready += subs[i].ready;
	}
	return ready == nsubs ? 0 : -1;
}

static void
publish(int pubfd, uint16_t mid)
{
	uint8_t		pkt[512];
	uint64_t	t = now_ns();
	size_t		len, tl = strlen(topic), o = 0;

	if (!mqtt) {
		len = coap_request(pkt, 1, mid, 0x70000000u | mid, t);
		send(pubfd, pkt, len, 0);
		return;
	}
	pkt[o++] = 0x30;
	o += mqtt_len(pkt + o, 2 + tl + 8);
	pkt[o++] = (uint8_t)(tl >> 8);
	pkt[o++] = (uint8_t)tl;
	memcpy(pkt + o, topic, tl);
	o += tl;
	memcpy(pkt + o, &t, 8);
	o += 8;
	send(pubfd, pkt, o, 0);
}

int
main(int argc, char **argv)
{
	const char		*addr = "127.0.0.1";
	unsigned long		 count = 1000, window = 1, sent = 0;
	double			 rate = 0, secs;
	int			 ch, pid = 0, ep, pubfd;
	uint64_t		 start, next = 0, interval = 0, end;
	uint64_t		 last_answer;
	unsigned long long	 cpu0, cpu1;
	struct rlimit		 rl = { SUBS_MAX + 64, SUBS_MAX + 64 };
	struct epoll_event	 ev = { .events = EPOLLIN };

	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	topic = "ps/data/1";
	nsubs = 1;
	while ((ch = getopt(argc, argv, "a:d:M:n:p:r:S:t:w:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'd': pid = atoi(optarg); break;
		case 'M': mqtt = strcmp(optarg, "mqtt") == 0; break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'p': dst.sin_port = htons((uint16_t)atoi(optarg)); break;
		case 'r': rate = atof(optarg); break;
		case 'S': nsubs = atoi(optarg); break;
		case 't': topic = optarg; break;
		case 'w': window = strtoul(optarg, NULL, 10); break;
		default: return 64;
		}
	}
	if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1 || nsubs < 1 ||
	    nsubs > SUBS_MAX || window < 1 || (mqtt && rate <= 0))
		return 64;
	setrlimit(RLIMIT_NOFILE, &rl);
	maxlat = count * (unsigned long)nsubs;
	if ((subs = calloc((size_t)nsubs, sizeof(*subs))) == NULL ||
	    (lat = calloc(maxlat, sizeof(*lat))) == NULL ||
	    (ep = epoll_create1(0)) == -1)
		return 1;
	for (int i = 0; i < nsubs; i++) {
		if ((subs[i].fd = open_sock(mqtt)) == -1)
			return 1;
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, subs[i].fd, &ev);
	}
	if (subscribe_all(ep) == -1) {
		fprintf(stderr, "psfan: not every subscription was taken\n");
		return 1;
	}
	if ((pubfd = open_sock(mqtt)) == -1)
		return 1;
	if (mqtt)
		mqtt_hello(pubfd, nsubs, 0);
	else {
		ev.data.u32 = (uint32_t)nsubs;
		epoll_ctl(ep, EPOLL_CTL_ADD, pubfd, &ev);
	}
	usleep(100000);
	if (rate > 0)
		interval = (uint64_t)(1e9 / rate);
	cpu0 = cpu_ticks(pid);
	start = next = last_answer = now_ns();
	while (sent < count) {
		unsigned long before = answered;

		/* Closed loop: W publishes awaiting their answers. */
		while (sent < count && (interval ? now_ns() >= next :
		    sent - answered - lost_pub < window)) {
			publish(pubfd, (uint16_t)sent);
			sent++;
			next += interval;
		}
		poll_subs(ep, interval ? 0 : 1, pubfd);
		if (answered != before)
			last_answer = now_ns();
		else if (interval == 0 && now_ns() - last_answer > 500000000ull) {
			/* No answer for 500 ms: the window's were lost. */
			lost_pub += sent - answered - lost_pub;
			last_answer = now_ns();
		}
	}
	/* Stragglers: until a quiet 200 ms. */
	end = now_ns();
	for (unsigned long before = ~0ul; before != notified; ) {
		before = notified;
		for (int k = 0; k < 20; k++)
			poll_subs(ep, 10, pubfd);
		if (notified == before)
			break;
		end = now_ns();
	}
	cpu1 = cpu_ticks(pid);
	secs = (double)(end - start) / 1e9;
	qsort(lat, nlat, sizeof(*lat), cmp64);
	printf("proto=%s subs=%d publishes=%lu secs=%.3f pub_rate=%.0f/s "
	    "notif_rate=%.0f/s delivered=%.2f%% p50_us=%.0f p99_us=%.0f",
	    mqtt ? "mqtt" : "coap", nsubs, sent, secs, (double)sent / secs,
	    (double)notified / secs,
	    100.0 * (double)notified / ((double)sent * nsubs), pct(0.5),
	    pct(0.99));
	if (lost_pub > 0)
		printf(" lost_publishes=%lu", lost_pub);
	if (pid > 0 && notified > 0)
		printf(" broker_cpu_us_per_notif=%.2f broker_cpu=%.0f%%",
		    (double)(cpu1 - cpu0) * 1e6 /
		    (double)sysconf(_SC_CLK_TCK) / (double)notified,
		    100.0 * (double)(cpu1 - cpu0) /
		    (double)sysconf(_SC_CLK_TCK) / secs);
	printf("\n");
	return 0;
}
