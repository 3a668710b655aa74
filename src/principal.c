#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "principal.h"
#include "psk.h"

static const struct principal anon = { PRINCIPAL_ANON, "anon", "" };

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
	return p;
}

void
principal_free(struct principal *p)
{
	if (p != NULL && p != &anon)
		free(p);
}
