/*
 * principal: who a session is. Owns the naming of peers for logs and,
 * later, authorization: "psk:<identity>" for a per-identity PSK,
 * "x509:<sha256 of the DER certificate>" with the certificate's CN,
 * issuer and subjectAltNames, or
 * "anon" for a session without credentials. Never derived from an address.
 */
#ifndef COREHUB_PRINCIPAL_H
#define COREHUB_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

#define PRINCIPAL_NAME_MAX	(5 + 128 * 4)	/* "x509:" + escaped text */
#define PRINCIPAL_CN_MAX	256
#define PRINCIPAL_ISSUER_MAX	256
#define PRINCIPAL_SAN_MAX	8	/* subjectAltNames kept */
#define PRINCIPAL_SAN_LEN	128

enum principal_kind {
	PRINCIPAL_ANON = 0,
	PRINCIPAL_PSK,
	PRINCIPAL_X509
};

struct principal {
	enum principal_kind	kind;
	char			name[PRINCIPAL_NAME_MAX + 1];
	char			cn[PRINCIPAL_CN_MAX + 1];	/* X.509 */
	/* X.509: the issuer (RFC 2253, "CN=ca,O=example") and the SANs
	 * as "DNS:name", "IP:addr", "URI:uri" or "email:addr". */
	char			issuer[PRINCIPAL_ISSUER_MAX + 1];
	char			san[PRINCIPAL_SAN_MAX][PRINCIPAL_SAN_LEN + 1];
	size_t			nsan;
};

const struct principal	*principal_anon(void);
/* Identities are printable ASCII (see psk.h); others are refused. */
struct principal	*principal_new_psk(const uint8_t *id, size_t len);
struct principal	*principal_new_x509(const uint8_t *der, size_t len,
			    const char *cn);
void			 principal_free(struct principal *p);

#endif
