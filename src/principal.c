#include "ac_config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "principal.h"
#include "psk.h"

static const struct principal anon = {
	.kind = PRINCIPAL_ANON,
	.name = "anon"
};

const struct principal *
principal_anon(void)
{
	return &anon;
}

struct principal *
principal_new_psk(const uint8_t *id, size_t len)
{
	struct principal *p;

	if (len == 0 || len > PSK_IDENTITY_MAX)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (id[i] < 0x21 || id[i] > 0x7e)
			return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->kind = PRINCIPAL_PSK;
	snprintf(p->name, sizeof(p->name), "psk:%.*s", (int)len,
	    (const char *)id);
	return p;
}

static void
issuer_of(X509 *x, struct principal *p)
{
	BIO	*b = BIO_new(BIO_s_mem());
	int	 n;

	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, X509_get_issuer_name(x), 0,
	    XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(b, p->issuer, PRINCIPAL_ISSUER_MAX)) > 0)
		p->issuer[n] = '\0';
	BIO_free(b);
}

/* One SAN as text; 0 for a kind that is not kept. */
static int
san_text(const GENERAL_NAME *g, char *out, size_t size)
{
	const ASN1_STRING	*s;
	const unsigned char	*d;
	const char		*kind;

	switch (g->type) {
	case GEN_DNS:
		kind = "DNS", s = g->d.dNSName;
		break;
	case GEN_URI:
		kind = "URI", s = g->d.uniformResourceIdentifier;
		break;
	case GEN_EMAIL:
		kind = "email", s = g->d.rfc822Name;
		break;
	case GEN_IPADD:
		d = ASN1_STRING_get0_data(g->d.iPAddress);
		if (ASN1_STRING_length(g->d.iPAddress) == 4)
			snprintf(out, size, "IP:%u.%u.%u.%u", d[0], d[1], d[2],
			    d[3]);
		else if (ASN1_STRING_length(g->d.iPAddress) == 16 &&
		    inet_ntop(AF_INET6, d, out + 3, (socklen_t)(size - 3)) !=
		    NULL)
			memcpy(out, "IP:", 3);
		else
			return 0;
		return 1;
	default:
		return 0;
	}
	d = ASN1_STRING_get0_data(s);
	for (int i = 0; i < ASN1_STRING_length(s); i++)
		if (d[i] < 0x21 || d[i] > 0x7e)	/* no odd bytes in names */
			return 0;
	snprintf(out, size, "%s:%.*s", kind, ASN1_STRING_length(s),
	    (const char *)d);
	return 1;
}

static void
sans_of(X509 *x, struct principal *p)
{
	GENERAL_NAMES	*names = X509_get_ext_d2i(x, NID_subject_alt_name,
			    NULL, NULL);
	int		 n = names ? sk_GENERAL_NAME_num(names) : 0;

	for (int i = 0; i < n && p->nsan < PRINCIPAL_SAN_MAX; i++)
		if (san_text(sk_GENERAL_NAME_value(names, i), p->san[p->nsan],
		    sizeof(p->san[0])))
			p->nsan++;
	GENERAL_NAMES_free(names);
}

/* What rules can name besides the fingerprint: issuer and SANs. */
static void
x509_facts(const uint8_t *der, size_t len, struct principal *p)
{
	const unsigned char	*q = der;
	X509			*x = d2i_X509(NULL, &q, (long)len);

	if (x == NULL)
		return;
	issuer_of(x, p);
	sans_of(x, p);
	X509_free(x);
}

struct principal *
principal_new_x509(const uint8_t *der, size_t len, const char *cn)
{
	struct principal	*p;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	size_t			 o;

	if (der == NULL || len == 0 ||
	    EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->kind = PRINCIPAL_X509;
	o = (size_t)snprintf(p->name, sizeof(p->name), "x509:");
	for (unsigned int i = 0; i < mdlen; i++)
		o += (size_t)snprintf(p->name + o, sizeof(p->name) - o,
		    "%02x", md[i]);
	if (cn != NULL)
		snprintf(p->cn, sizeof(p->cn), "%s", cn);
	x509_facts(der, len, p);
	return p;
}

void
principal_free(struct principal *p)
{
	if (p != NULL && p != &anon)
		free(p);
}
