/*
 * coap-device: a minimal constrained device for the tests, on one UDP
 * socket, hand-encoding CoAP so that it shares nothing with the daemon.
 * It serves GET /.well-known/core (Block2 when asked or when the document
 * exceeds 64 bytes a block is requested), GET on the paths given with -s
 * (text/plain, in blocks the same way), and answers any other request
 * 4.04 (4.05 for another method on a path it serves). With -r it first
 * sends a simple registration, POST /.well-known/rd?QUERY, from that same
 * socket, then prints the final response code (e.g. 2.04) and exits (with
 * -k: goes on serving until -t runs out); a 4.01 with an Echo option (RFC
 * 9175) is answered once by sending the POST again with that option. A
 * confirmable response it does not expect (one meant for an earlier run on
 * the same port) and a ping are reset. A request comes back piggybacked
 * in an ACK when confirmable, else in a NON.
 *
 * usage: coap-device [-r RDHOST:RDPORT -q QUERY [-k]] [-a SECONDS] [-d]
 *                    [-n] [-v] [-b ADDR] [-c LOGFILE [-P PORTFILE]]
 *                    [-s PATH=TEXT]... [-t SECONDS] PORT LINKFILE
 *   -r  the directory: IPV4:PORT or [IPV6]:PORT (the family of -b)
 *   -k  keep serving after the registration's answer (printed and flushed
 *       at once) until -t SECONDS run out, then exit 0
 *   -a  retransmit the confirmable POST, same message ID and token, after
 *       SECONDS, then twice as long each time, at most 4 times, until it
 *       is acknowledged or answered (RFC 7252 4.2; default: sent once)
 *   -d  send every POST twice at once, a duplicate (RFC 7252 4.5)
 *   -n  answer nothing (a device that is gone; -c still logs)
 *   -v  print each GET's Block2 request ("block2 NUM SZX") on stderr
 *   -b  the IPv4 or IPv6 address to bind (default 127.0.0.1); an IPv6
 *       link-local one takes its interface as ADDR%IFACE
 *   -c  append a line per request received to LOGFILE, flushed at once:
 *       its method and Uri-Path segments joined by '/' ("GET sensors/temp",
 *       "PUT " for the root); a duplicate (the message ID of one of the
 *       last 16 requests) is answered again but not logged again
 *   -P  with -c, append the source port of each logged request to
 *       PORTFILE, a line each (who the device hears from)
 *   -s  also serve GET PATH (one or more segments, e.g. sensors/temp)
 *       with TEXT as its text/plain body; up to 16 times
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct msg {
	int		 type, code, tkl;
	unsigned	 mid;
	uint8_t		 tok[8];
	int		 wk_core, block2_num, block2_szx, has_block2;
	char		 path[256];	/* the Uri-Path segments, '/'-joined */
	int		 path_long;	/* did not fit path */
	size_t		 plen;
	uint8_t		 echo[40];	/* RFC 9175 allows up to 40 bytes */
	size_t		 echolen;
};

static size_t
put_opt(uint8_t *p, unsigned *last, unsigned num, const void *v, size_t len)
{
	unsigned	d = num - *last;
	size_t		o = 1;

	*last = num;
	p[0] = 0;
	if (d < 13)
		p[0] = (uint8_t)(d << 4);
	else {
		p[0] = 13 << 4;
		p[o++] = (uint8_t)(d - 13);
	}
	if (len < 13)
		p[0] |= (uint8_t)len;
	else {
		p[0] |= 13;
		p[o++] = (uint8_t)(len - 13);
	}
	memcpy(p + o, v, len);
	return o + len;
}

static int
parse(const uint8_t *b, size_t n, struct msg *m)
{
	size_t		i;
	unsigned	num = 0;
	int		seg = 0;

	memset(m, 0, sizeof(*m));
	if (n < 4 || (b[0] >> 6) != 1)
		return -1;
	m->type = (b[0] >> 4) & 3;
	m->tkl = b[0] & 15;
	m->code = b[1];
	m->mid = (unsigned)b[2] << 8 | b[3];
	if (m->tkl > 8 || 4u + (size_t)m->tkl > n)
		return -1;
	memcpy(m->tok, b + 4, (size_t)m->tkl);
	for (i = 4 + (size_t)m->tkl; i < n && b[i] != 0xff; ) {
		unsigned d = b[i] >> 4, l = b[i] & 15;

		i++;
		if (d == 13)
			d = 13 + b[i++];
		else if (d == 14) {
			d = 269 + ((unsigned)b[i] << 8 | b[i + 1]);
			i += 2;
		}
		if (l == 13)
			l = 13 + b[i++];
		else if (l == 14) {
			l = 269 + ((unsigned)b[i] << 8 | b[i + 1]);
			i += 2;
		}
		if (d == 15 || l == 15 || i + l > n)
			return -1;
		num += d;
		if (num == 11) {	/* Uri-Path */
			if ((seg == 0 && l == 11 &&
			    memcmp(b + i, ".well-known", 11) == 0) ||
			    (seg == 1 && m->wk_core == 1 && l == 4 &&
			    memcmp(b + i, "core", 4) == 0))
				m->wk_core++;
			size_t pl = strlen(m->path);

			if (pl + (seg > 0) + l >= sizeof(m->path))
				m->path_long = 1;
			else {
				if (seg > 0)
					m->path[pl++] = '/';
				memcpy(m->path + pl, b + i, l);
				m->path[pl + l] = '\0';
			}
			seg++;
		}
		if (num == 252 && l <= sizeof(m->echo)) {	/* Echo */
			memcpy(m->echo, b + i, l);
			m->echolen = l;
		}
		if (num == 23) {	/* Block2 */
			unsigned v = 0;

			for (unsigned k = 0; k < l; k++)
				v = v << 8 | b[i + k];
			m->has_block2 = 1;
			m->block2_num = (int)(v >> 4);
			m->block2_szx = (int)(v & 7);
		}
		i += l;
	}
	m->wk_core = m->wk_core == 2 && seg == 2;
	m->plen = i < n ? n - i - 1 : 0;
	return 0;
}

/* The answer header: an ACK to a CON, else a NON of message ID mid. */
static size_t
answer_head(uint8_t *out, const struct msg *m, int code, unsigned mid)
{
	int type = m->type == 0 ? 2 : 1;

	out[0] = (uint8_t)(1 << 6 | type << 4 | m->tkl);
	out[1] = (uint8_t)code;
	if (type == 2)
		mid = m->mid;
	out[2] = (uint8_t)(mid >> 8);
	out[3] = (uint8_t)mid;
	memcpy(out + 4, m->tok, (size_t)m->tkl);
	return 4 + (size_t)m->tkl;
}

/* The answer to a GET of a document (Content-Format cf), one block of it. */
static size_t
answer_doc(uint8_t *out, const struct msg *m, unsigned mid, uint8_t cf,
    const char *doc, size_t dlen)
{
	size_t		o, bs, off, chunk;
	unsigned	last = 0;
	uint8_t		blk[3];
	int		szx = m->has_block2 ? m->block2_szx : 2, more;

	if (szx > 6)
		szx = 6;
	bs = (size_t)16 << szx;
	off = m->has_block2 ? (size_t)m->block2_num * bs : 0;
	if (off > dlen)
		off = dlen;
	chunk = dlen - off > bs ? bs : dlen - off;
	more = off + chunk < dlen;
	o = answer_head(out, m, 0x45, mid);		/* 2.05 */
	/* Content-Format 0 (text/plain) is the empty value. */
	o += put_opt(out + o, &last, 12, &cf, cf != 0);
	if (dlen > bs || m->has_block2) {
		unsigned v = (unsigned)(off / bs) << 4 | (unsigned)more << 3 |
		    (unsigned)szx;
		size_t bl = v > 0xffff ? 3 : v > 0xff ? 2 : 1;

		for (size_t k = 0; k < bl; k++)
			blk[k] = (uint8_t)(v >> (8 * (bl - 1 - k)));
		o += put_opt(out + o, &last, 23, blk, bl);
	}
	if (chunk > 0) {
		out[o++] = 0xff;
		memcpy(out + o, doc + off, chunk);
		o += chunk;
	}
	return o;
}

/* A request's method as a log line names it. */
static const char *
method_name(int code, char *buf, size_t len)
{
	static const char *const names[] = {
		"GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "iPATCH"
	};

	if (code >= 1 && code <= 7)
		return names[code - 1];
	snprintf(buf, len, "0.%02d", code);
	return buf;
}

/* The POST, with the Echo value of a 4.01 when echo is not NULL. */
static size_t
make_post(uint8_t *out, const char *query, unsigned mid, const uint8_t *tok,
    const uint8_t *echo, size_t echolen)
{
	size_t		o = 4 + 2;
	unsigned	last = 0;
	char		q[512], *p, *save;

	out[0] = 1 << 6 | 0 << 4 | 2;	/* CON, token of 2 */
	out[1] = 0x02;			/* POST */
	out[2] = (uint8_t)(mid >> 8);
	out[3] = (uint8_t)mid;
	out[4] = tok[0];
	out[5] = tok[1];
	o += put_opt(out + o, &last, 11, ".well-known", 11);
	o += put_opt(out + o, &last, 11, "rd", 2);
	snprintf(q, sizeof(q), "%s", query);
	for (p = strtok_r(q, "&", &save); p; p = strtok_r(NULL, "&", &save))
		o += put_opt(out + o, &last, 15, p, strlen(p));
	if (echo != NULL)
		o += put_opt(out + o, &last, 252, echo, echolen);
	return o;
}

/* A numeric address (IPv4, or IPv6 with an optional %scope) and port. */
static int
get_addr(const char *host, const char *port, int family,
    struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo	 hints, *ai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int
main(int argc, char **argv)
{
	const char		*rd = NULL, *query = "";
	int			 ch, mute = 0, secs = 60, fd, echoed = 0;
	int			 verbose = 0, dup = 0, tries = 0;
	int			 keep = 0, done = 0, nserved = 0;
	const char		*served[16], *texts[16];
	size_t			 pathlens[16];
	unsigned		 recent[16], nrecent = 0, nonmid;
	FILE			*logf = NULL, *portf = NULL;
	double			 ato = 0, wait_s = 0;
	const char		*bind_addr = "127.0.0.1";
	struct sockaddr_storage	 me, rdaddr;
	socklen_t		 melen, rdlen = 0;
	char			 doc[65536];
	uint8_t			 post[1024];
	size_t			 dlen = 0, postlen = 0;
	unsigned		 postmid = 0;
	uint8_t			 tok[2];
	FILE			*f;
	struct timespec		 now;
	double			 end, next = 0;

	while ((ch = getopt(argc, argv, "a:b:c:dknP:q:r:s:t:v")) != -1) {
		if (ch == 'n')
			mute = 1;
		else if (ch == 'k')
			keep = 1;
		else if (ch == 'P') {
			if ((portf = fopen(optarg, "a")) == NULL) {
				perror(optarg);
				return 2;
			}
		} else if (ch == 'c') {
			if ((logf = fopen(optarg, "a")) == NULL) {
				perror(optarg);
				return 1;
			}
		} else if (ch == 's') {
			const char *eq = strchr(optarg, '=');

			if (eq == NULL || eq == optarg || nserved == 16)
				return 64;
			served[nserved] = optarg[0] == '/' ? optarg + 1 : optarg;
			pathlens[nserved] = (size_t)(eq - served[nserved]);
			texts[nserved++] = eq + 1;
		}
		else if (ch == 'a')
			ato = atof(optarg);
		else if (ch == 'b')
			bind_addr = optarg;
		else if (ch == 'd')
			dup = 1;
		else if (ch == 'v')
			verbose = 1;
		else if (ch == 'q')
			query = optarg;
		else if (ch == 'r')
			rd = optarg;
		else if (ch == 't')
			secs = atoi(optarg);
		else
			return 64;
	}
	if (argc - optind != 2)
		return 64;
	if ((f = fopen(argv[optind + 1], "r")) != NULL) {
		dlen = fread(doc, 1, sizeof(doc), f);
		fclose(f);
	}
	while (dlen > 0 && (doc[dlen - 1] == '\n' || doc[dlen - 1] == '\r'))
		dlen--;
	if (get_addr(bind_addr, argv[optind], AF_UNSPEC, &me, &melen) == -1)
		return 64;
	if ((fd = socket(me.ss_family, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&me, melen) == -1) {
		perror("coap-device");
		return 1;
	}
	srand((unsigned)time(NULL) ^ (unsigned)getpid() << 8);
	nonmid = (unsigned)rand() & 0xffff;
	if (rd != NULL) {
		const char	*colon = strrchr(rd, ':');
		char		 host[64];
		size_t		 hl;

		if (colon == NULL)
			return 64;
		hl = (size_t)(colon - rd);
		if (rd[0] == '[' && hl >= 2 && rd[hl - 1] == ']') {
			rd++;			/* [v6addr]:port */
			hl -= 2;
		}
		if (hl >= sizeof(host))
			return 64;
		memcpy(host, rd, hl);
		host[hl] = '\0';
		if (get_addr(host, colon + 1, me.ss_family, &rdaddr,
		    &rdlen) == -1)
			return 64;
		/* Fresh for each run, so that a run does not look like a
		 * duplicate of the one before (RFC 7252 4.5) or take its late
		 * answer for its own. */
		postmid = (unsigned)rand() & 0xffff;
		tok[0] = (uint8_t)rand();
		tok[1] = (uint8_t)rand();
		postlen = make_post(post, query, postmid, tok, NULL, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	end = (double)now.tv_sec + now.tv_nsec / 1e9 + secs;
	for (;;) {
		struct pollfd		 pfd = { fd, POLLIN, 0 };
		uint8_t			 in[2048], out[2048];
		struct sockaddr_storage	 from;
		socklen_t		 fl = sizeof(from);
		struct msg		 m;
		double			 t;
		ssize_t			 n;
		int			 ours;

		clock_gettime(CLOCK_MONOTONIC, &now);
		t = (double)now.tv_sec + now.tv_nsec / 1e9;
		if (t >= end)
			break;
		/* The POST: first sent, or due again (-a). */
		if (postlen > 0 && t >= next) {
			for (int k = 0; k <= dup; k++)
				sendto(fd, post, postlen, 0,
				    (struct sockaddr *)&rdaddr, rdlen);
			if (ato > 0 && tries < 4) {
				wait_s = tries == 0 ? ato : wait_s * 2;
				next = t + wait_s;
				tries++;
			} else
				postlen = 0;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from,
		    &fl);
		if (n <= 0 || parse(in, (size_t)n, &m) == -1)
			continue;
		if (m.code >= 1 && m.code < 0x20) {	/* a request */
			const char	*text = NULL;
			size_t		 o, k, tl = 0;
			int		 known = m.wk_core, again = 0;
			char		 mb[8];

			for (k = 0; k < nrecent && k < 16; k++)
				again |= recent[k] == m.mid;
			if (!again)
				recent[nrecent++ % 16] = m.mid;
			if (logf != NULL && !again) {
				fprintf(logf, "%s %s%s\n",
				    method_name(m.code, mb, sizeof(mb)),
				    m.path, m.path_long ? "..." : "");
				fflush(logf);
			}
			if (portf != NULL && logf != NULL && !again) {
				fprintf(portf, "%u\n", (unsigned)ntohs(
				    from.ss_family == AF_INET6 ?
				    ((struct sockaddr_in6 *)&from)->sin6_port :
				    ((struct sockaddr_in *)&from)->sin_port));
				fflush(portf);
			}
			if (mute)
				continue;
			for (int j = 0; j < nserved && !known; j++)
				if (!m.path_long && strlen(m.path) ==
				    pathlens[j] && memcmp(m.path, served[j],
				    pathlens[j]) == 0) {
					known = 1;
					text = texts[j];
					tl = strlen(text);
				}
			if (!again && m.type != 0)
				nonmid = (nonmid + 1) & 0xffff;
			if (known && m.code == 0x01) {
				if (verbose && m.has_block2)
					fprintf(stderr, "block2 %d %d\n",
					    m.block2_num, m.block2_szx);
				else if (verbose)
					fprintf(stderr, "block2 none\n");
				o = text != NULL ? answer_doc(out, &m, nonmid, 0,
				    text, tl) : answer_doc(out, &m, nonmid, 40,
				    doc, dlen);
			} else		/* 4.05 or 4.04 */
				o = answer_head(out, &m, known ? 0x85 : 0x84,
				    nonmid);
			sendto(fd, out, o, 0, (struct sockaddr *)&from, fl);
			continue;
		}
		if (mute)
			continue;
		/* A response to our POST: piggybacked, or separate (CON). */
		ours = rd != NULL && m.code >= 0x40 && m.tkl == 2 &&
		    m.tok[0] == tok[0] && m.tok[1] == tok[1];

		/*
		 * A confirmable ping, or a response we do not expect (one for
		 * an earlier run on this port, say): reset (RFC 7252 4.2, 4.3,
		 * 5.3.2), or its sender retransmits it, and with NSTART 1
		 * holds back what it has for us meanwhile.
		 */
		if (m.type == 0 && (m.code == 0 || (m.code >= 0x40 && !ours))) {
			uint8_t rst[4] = { 1 << 6 | 3 << 4, 0,
			    (uint8_t)(m.mid >> 8), (uint8_t)m.mid };

			sendto(fd, rst, 4, 0, (struct sockaddr *)&from, fl);
			continue;
		}
		/* An ACK is for our current POST, or for none of ours. */
		if (rd == NULL || (m.type == 2 && m.mid != postmid))
			continue;
		if (m.type == 2)	/* acknowledged: no more retransmission */
			postlen = 0;
		if (ours) {
			if (m.type == 0) {	/* CON: acknowledge it */
				uint8_t ack[4] = { 1 << 6 | 2 << 4, 0,
				    (uint8_t)(m.mid >> 8), (uint8_t)m.mid };

				sendto(fd, ack, 4, 0, (struct sockaddr *)&from,
				    fl);
			}
			if (done)	/* the answer printed, sent again */
				continue;
			/* RFC 9175: 4.01 with Echo, once: send it back. */
			if (m.code == 0x81 && m.echolen > 0 && !echoed) {
				postmid = (postmid + 1) & 0xffff;
				postlen = make_post(post, query, postmid, tok,
				    m.echo, m.echolen);
				next = 0;
				tries = 0;
				echoed = 1;
				continue;
			}
			printf("%d.%02d\n", m.code >> 5, m.code & 31);
			if (!keep)
				return 0;
			fflush(stdout);
			done = 1;
			postlen = 0;
		}
	}
	return rd != NULL && !done ? 2 : 0;
}
