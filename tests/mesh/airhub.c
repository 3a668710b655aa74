/*
 * airhub: a userspace "radio medium" for the mesh tests (tests/mesh/).
 *
 * It opens an AF_PACKET raw socket on each interface named on the command
 * line (veth ends in its own network namespace) and acts as a hub: every
 * frame received on one port is delivered to every other port, after
 *
 *   - serialization at --rate bit/s per output port (frames wait in a
 *     bounded backlog, --queue frames; beyond it the newest is dropped),
 *   - a propagation delay of --delay seconds plus a uniform jitter in
 *     [0, --jitter) seconds (frames never overtake each other on a port),
 *   - loss: a frame whose IPv6 packet (the frame less its 14-byte Ethernet
 *     header) has L bytes counts as ceil(L / --frag) 6LoWPAN fragments,
 *     each lost with probability --loss; the frame is lost if any fragment
 *     is. With --frag 0 a frame is one fragment. Each receiving port draws
 *     its own decision, as each radio receiver does.
 *
 * Decisions come from its own PRNG (splitmix64) seeded by --seed: for each
 * (received frame, output port) pair, in that order, the loss draws then
 * the jitter draw, whatever happens next (a queue overflow depends on
 * timing, and does not move the stream). The same seed and the same input
 * order give the same decisions.
 *
 * Frames that a sender's stack left with a partial checksum (tx checksum
 * offload on the veth feeding the hub) are completed here, read through
 * PACKET_VNET_HDR; segmentation-offload super-frames are passed on with
 * their header, as one frame. Turning tx offload off on the veths (as
 * topo.sh does) keeps every frame a real, MTU-sized one.
 *
 * Single-threaded: ppoll() on the sockets, with a per-port FIFO of pending
 * deliveries (delivery times are monotonic per port) giving the timeout.
 * SIGUSR1 writes the counters to --stats FILE; SIGTERM and SIGINT write
 * them and exit 0.
 *
 * Build: cc -O2 -o airhub airhub.c   (C11, libc and Linux headers only)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define MAX_PORTS 16
#define RING_CAP 1024                /* pending deliveries per port */
#define MAX_PENDING_BYTES (64u << 20) /* all ports together */
#define VNET_LEN ((size_t)sizeof(struct virtio_net_hdr))
#define ETH_HLEN_ 14
#define BUF_LEN (VNET_LEN + 65536 + 64)
#define RX_BURST 256

struct frame {
	int64_t tx_start;    /* serialization starts (ns, monotonic) */
	int64_t due;         /* delivered at (ns) */
	unsigned char *data; /* vnet header + frame; NULL when lost */
	size_t len;
};

struct port {
	const char *name;
	int ifindex;
	int fd;
	struct frame ring[RING_CAP];
	unsigned head, count;
	int64_t busy_until, last_due;
	unsigned long long in, in_bytes, out, out_bytes, lost, qdrop, txerr,
	    gso, csum, runt;
};

static struct port ports[MAX_PORTS];
static int nports;

static int64_t opt_delay;  /* ns */
static int64_t opt_jitter; /* ns */
static double opt_loss;
static unsigned opt_frag;
static unsigned long long opt_rate; /* bit/s, 0 = unlimited */
static unsigned opt_queue = 64;
static unsigned long long opt_seed = 1;
static const char *opt_stats;
static int opt_verbose;

static size_t pending_bytes;
static uint64_t rng_state;

static volatile sig_atomic_t got_term, got_usr1;

static void die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("airhub: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* splitmix64 */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double rng_unit(void)
{
	return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

/* Loss of one frame with an L-byte payload: any of its fragments lost.
 * Always draws one number per fragment, so the stream depends only on the
 * input. */
static int draw_lost(size_t payload)
{
	size_t nfrag, k;
	int lost = 0;

	if (opt_loss <= 0)
		return 0;
	nfrag = opt_frag ? (payload + opt_frag - 1) / opt_frag : 1;
	if (nfrag == 0)
		nfrag = 1;
	for (k = 0; k < nfrag; k++)
		if (rng_unit() < opt_loss)
			lost = 1;
	return lost;
}

static int64_t draw_jitter(void)
{
	if (opt_jitter <= 0)
		return 0;
	return (int64_t)(rng_unit() * (double)opt_jitter);
}

/* Completes a checksum left partial by the sender: the ones' complement sum
 * from csum_start to the end (the field holds the pseudo-header sum),
 * stored at csum_start + csum_offset. */
static void complete_csum(unsigned char *f, size_t len, size_t start,
			  size_t off)
{
	uint32_t sum = 0;
	uint16_t c;
	size_t k;

	if (start >= len || off > len - start || len - start - off < 2)
		return;
	for (k = start; k + 1 < len; k += 2)
		sum += (uint32_t)f[k] << 8 | f[k + 1];
	if ((len - start) & 1)
		sum += (uint32_t)f[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	if (c == 0)
		c = 0xffff; /* same value in ones' complement; UDP needs it */
	f[start + off] = (unsigned char)(c >> 8);
	f[start + off + 1] = (unsigned char)(c & 0xff);
}

/* Queues one frame for output port p, received at time t. */
static void enqueue(struct port *p, const unsigned char *buf, size_t len,
		    int64_t t)
{
	size_t payload = len - VNET_LEN - ETH_HLEN_;
	int lost = draw_lost(payload);
	int64_t jit = draw_jitter();
	int64_t start, txtime, due;
	unsigned backlog = 0, k;
	struct frame *f;

	if (p->fd < 0)
		return;
	/* backlog: queued frames whose serialization has not started */
	for (k = p->count; k > 0; k--) {
		if (p->ring[(p->head + k - 1) % RING_CAP].tx_start <= t)
			break;
		backlog++;
	}
	if (p->count >= RING_CAP || backlog >= opt_queue ||
	    (!lost && pending_bytes + len > MAX_PENDING_BYTES)) {
		p->qdrop++;
		return;
	}
	start = p->busy_until > t ? p->busy_until : t;
	txtime = opt_rate ?
	    (int64_t)((unsigned long long)payload * 8ULL * 1000000000ULL /
		      opt_rate) : 0;
	p->busy_until = start + txtime;
	due = start + txtime + opt_delay + jit;
	if (due < p->last_due)
		due = p->last_due;
	p->last_due = due;

	f = &p->ring[(p->head + p->count) % RING_CAP];
	f->tx_start = start;
	f->due = due;
	f->len = len;
	f->data = NULL;
	if (lost) {
		p->lost++; /* it still takes its airtime */
	} else {
		f->data = malloc(len);
		if (!f->data) {
			p->qdrop++;
			return;
		}
		memcpy(f->data, buf, len);
		pending_bytes += len;
	}
	p->count++;
}

/* Sends the frames whose time has come. */
static void deliver(int64_t t)
{
	int i;

	for (i = 0; i < nports; i++) {
		struct port *p = &ports[i];

		while (p->count > 0 && p->ring[p->head].due <= t) {
			struct frame *f = &p->ring[p->head];

			if (f->data) {
				if (p->fd >= 0 &&
				    send(p->fd, f->data, f->len, MSG_DONTWAIT) ==
				    (ssize_t)f->len) {
					p->out++;
					p->out_bytes += f->len - VNET_LEN;
				} else {
					p->txerr++;
					if (opt_verbose)
						fprintf(stderr,
						    "airhub: send on %s: %s\n",
						    p->name, strerror(errno));
				}
				pending_bytes -= f->len;
				free(f->data);
				f->data = NULL;
			}
			p->head = (p->head + 1) % RING_CAP;
			p->count--;
		}
	}
}

static int64_t next_due(void)
{
	int64_t next = INT64_MAX;
	int i;

	for (i = 0; i < nports; i++)
		if (ports[i].count > 0 && ports[i].ring[ports[i].head].due < next)
			next = ports[i].ring[ports[i].head].due;
	return next;
}

static void handle_frame(int in, unsigned char *buf, size_t len, int64_t t)
{
	struct virtio_net_hdr vh;
	struct port *p = &ports[in];
	int i;

	if (len < VNET_LEN + ETH_HLEN_) {
		p->runt++;
		return;
	}
	memcpy(&vh, buf, VNET_LEN);
	if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		p->gso++; /* passed on whole, header kept */
	} else {
		if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			complete_csum(buf + VNET_LEN, len - VNET_LEN,
				      le16toh(vh.csum_start),
				      le16toh(vh.csum_offset));
			p->csum++;
		}
		memset(buf, 0, VNET_LEN);
	}
	p->in++;
	p->in_bytes += len - VNET_LEN;
	for (i = 0; i < nports; i++)
		if (i != in)
			enqueue(&ports[i], buf, len, t);
}

static void receive(int in, unsigned char *buf)
{
	struct port *p = &ports[in];
	int n;

	for (n = 0; n < RX_BURST; n++) {
		struct sockaddr_ll sll;
		socklen_t slen = sizeof(sll);
		ssize_t r = recvfrom(p->fd, buf, BUF_LEN, MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&sll, &slen);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    opt_verbose)
				fprintf(stderr, "airhub: recv on %s: %s\n",
					p->name, strerror(errno));
			return;
		}
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue; /* our own transmission */
		if ((size_t)r > BUF_LEN) {
			p->runt++; /* truncated: cannot pass it on */
			continue;
		}
		handle_frame(in, buf, (size_t)r, now_ns());
	}
}

static void write_stats(void)
{
	char tmp[PATH_MAX];
	FILE *fp;
	int i;

	if (!opt_stats)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", opt_stats) >= (int)sizeof(tmp))
		return;
	fp = fopen(tmp, "w");
	if (!fp) {
		fprintf(stderr, "airhub: %s: %s\n", tmp, strerror(errno));
		return;
	}
	fprintf(fp, "# airhub seed %llu: per port, frames received on it (in),"
		" delivered to it (out), lost on the way to it (lost),"
		" dropped by its full queue (qdrop), failed sends (txerr);"
		" gso: offload super-frames passed on whole; csum: partial"
		" checksums completed here\n",
		opt_seed);
	for (i = 0; i < nports; i++) {
		struct port *p = &ports[i];

		fprintf(fp, "port %s in %llu out %llu lost %llu qdrop %llu"
			" txerr %llu bytes_in %llu bytes_out %llu gso %llu"
			" csum %llu runt %llu pending %u\n",
			p->name, p->in, p->out, p->lost, p->qdrop, p->txerr,
			p->in_bytes, p->out_bytes, p->gso, p->csum, p->runt,
			p->count);
	}
	if (fclose(fp) != 0 || rename(tmp, opt_stats) != 0)
		fprintf(stderr, "airhub: %s: %s\n", opt_stats, strerror(errno));
}

static void open_port(struct port *p)
{
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	int one = 1, size = 4 << 20;

	p->ifindex = (int)if_nametoindex(p->name);
	if (p->ifindex == 0)
		die("no interface %s: %s", p->name, strerror(errno));
	/* protocol 0: receives nothing until bound to the interface below */
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		die("AF_PACKET socket: %s", strerror(errno));
	if (setsockopt(p->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)))
		die("PACKET_VNET_HDR: %s", strerror(errno));
	/* not available before Linux 4.20: sll_pkttype is checked anyway */
	(void)setsockopt(p->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
			 sizeof(one));
	if (setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	if (setsockopt(p->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &size,
				 sizeof(size));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = p->ifindex;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind to %s: %s", p->name, strerror(errno));
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = p->ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(p->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		       sizeof(mr)))
		die("promiscuous mode on %s: %s", p->name, strerror(errno));
}

static double parse_double(const char *opt, const char *s, double lo,
			   double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		die("%s: %s is not a number in [%g, %g]", opt, s, lo, hi);
	return v;
}

static unsigned long long parse_ull(const char *opt, const char *s,
				    unsigned long long hi, int suffix)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	if (*s == '-' || *s == '+')
		die("%s: %s is not an unsigned integer", opt, s);
	v = strtoull(s, &end, 0);
	if (suffix && (*end == 'k' || *end == 'K')) {
		mul = 1000;
		end++;
	} else if (suffix && (*end == 'M' || *end == 'm')) {
		mul = 1000000;
		end++;
	}
	if (errno || end == s || *end || v > hi / mul)
		die("%s: %s is not an integer in [0, %llu]", opt, s, hi);
	return v * mul;
}

static void usage(FILE *fp)
{
	fputs("usage: airhub [options] IFACE IFACE [IFACE...]\n"
	      "  --delay SECONDS   propagation delay per frame (default 0)\n"
	      "  --jitter SECONDS  plus uniform [0, SECONDS) (default 0)\n"
	      "  --loss P          loss probability per fragment (default 0)\n"
	      "  --frag BYTES      fragment size; 0: loss per frame (default 0)\n"
	      "  --rate BPS        serialization rate per port, k/M suffix ok;"
	      " 0: none\n"
	      "  --queue N         frames waiting per port before tail drop"
	      " (default 64)\n"
	      "  --seed N          PRNG seed (default 1)\n"
	      "  --stats FILE      counters written on SIGUSR1/SIGTERM/SIGINT\n"
	      "  --verbose         log send/receive errors\n", fp);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "jitter", required_argument, NULL, 'j' },
		{ "loss", required_argument, NULL, 'l' },
		{ "frag", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "queue", required_argument, NULL, 'q' },
		{ "seed", required_argument, NULL, 's' },
		{ "stats", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static unsigned char buf[BUF_LEN];
	struct pollfd pfd[MAX_PORTS];
	struct sigaction sa;
	sigset_t block, orig;
	int c, i, j;

	while ((c = getopt_long(argc, argv, "d:j:l:f:r:q:s:S:vh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			opt_delay = (int64_t)(parse_double("--delay", optarg,
							   0, 3600) * 1e9);
			break;
		case 'j':
			opt_jitter = (int64_t)(parse_double("--jitter", optarg,
							    0, 3600) * 1e9);
			break;
		case 'l':
			opt_loss = parse_double("--loss", optarg, 0, 1);
			break;
		case 'f':
			opt_frag = (unsigned)parse_ull("--frag", optarg, 65535,
						       0);
			break;
		case 'r':
			opt_rate = parse_ull("--rate", optarg, 100000000000ULL,
					     1);
			break;
		case 'q':
			opt_queue = (unsigned)parse_ull("--queue", optarg,
							RING_CAP, 0);
			if (opt_queue == 0)
				die("--queue must be at least 1");
			break;
		case 's':
			opt_seed = parse_ull("--seed", optarg, ULLONG_MAX, 0);
			break;
		case 'S':
			opt_stats = optarg;
			break;
		case 'v':
			opt_verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind < 2 || argc - optind > MAX_PORTS) {
		fprintf(stderr, "airhub: give 2 to %d interfaces\n", MAX_PORTS);
		usage(stderr);
		return 2;
	}
	rng_state = opt_seed;

	/* signals stay blocked except inside ppoll() */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = optind; i < argc; i++) {
		struct port *p = &ports[nports];

		for (j = 0; j < nports; j++)
			if (strcmp(ports[j].name, argv[i]) == 0)
				die("interface %s given twice", argv[i]);
		p->name = argv[i];
		open_port(p);
		pfd[nports].fd = p->fd;
		pfd[nports].events = POLLIN;
		nports++;
	}
	fprintf(stderr, "airhub: ready: %d ports, delay %.6f jitter %.6f"
		" loss %g frag %u rate %llu queue %u seed %llu\n", nports,
		(double)opt_delay / 1e9, (double)opt_jitter / 1e9, opt_loss,
		opt_frag, opt_rate, opt_queue, opt_seed);
	fflush(stderr);

	while (!got_term) {
		struct timespec ts, *tsp = NULL;
		int64_t t = now_ns(), next;
		int r;

		deliver(t);
		next = next_due();
		if (next != INT64_MAX) {
			int64_t d = next - t;

			if (d < 0)
				d = 0;
			ts.tv_sec = (time_t)(d / 1000000000);
			ts.tv_nsec = (long)(d % 1000000000);
			tsp = &ts;
		}
		r = ppoll(pfd, (nfds_t)nports, tsp, &orig);
		if (r < 0) {
			if (errno != EINTR)
				die("ppoll: %s", strerror(errno));
		}
		if (got_usr1) {
			got_usr1 = 0;
			write_stats();
		}
		if (r <= 0)
			continue;
		for (i = 0; i < nports; i++) {
			struct port *p = &ports[i];

			if (pfd[i].revents & (POLLERR | POLLNVAL)) {
				int err = 0;
				socklen_t el = sizeof(err);

				/* clears a pending error (interface went
				 * down); gone for good: stop polling it */
				(void)getsockopt(p->fd, SOL_SOCKET, SO_ERROR,
						 &err, &el);
				if ((pfd[i].revents & POLLNVAL) ||
				    if_nametoindex(p->name) == 0) {
					fprintf(stderr, "airhub: %s is gone\n",
						p->name);
					close(p->fd);
					p->fd = -1;
					pfd[i].fd = -1;
					continue;
				}
			}
			if (pfd[i].revents & POLLIN)
				receive(i, buf);
		}
	}
	write_stats();
	for (i = 0; i < nports; i++) {
		struct port *p = &ports[i];

		while (p->count > 0) {
			free(p->ring[p->head].data);
			p->head = (p->head + 1) % RING_CAP;
			p->count--;
		}
		if (p->fd >= 0)
			close(p->fd);
	}
	return 0;
}
