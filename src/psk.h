/*
 * psk: per-identity pre-shared keys for DTLS and TLS listeners. Owns the key
 * file format (one "identity key" pair a line) and the lookup by identity.
 * One shared key for every identity is deliberately impossible: libcoap
 * would then accept any identity string, and an identity must be a
 * principal.
 */
#ifndef COREHUB_PSK_H
#define COREHUB_PSK_H

#include <stddef.h>
#include <stdint.h>

#define PSK_IDENTITY_MAX	128	/* bytes; printable ASCII only */
#define PSK_KEY_MAX		64	/* bytes, after hex decoding */
#define PSK_ENTRIES_MAX		65536

struct psk_entry {
	char		 identity[PSK_IDENTITY_MAX + 1];
	size_t		 identity_len;
	uint8_t		 key[PSK_KEY_MAX];
	size_t		 key_len;
	int		 line;		/* in the key file, for messages */
};

struct psk_table {
	struct psk_entry *entries;	/* sorted by identity */
	size_t		  count;
};

/* Error reporting: called once per bad line; returns nothing. */
typedef void (*psk_error_fn)(void *arg, const char *file, int line,
    const char *msg);

/*
 * Reads a key file. Returns a table (possibly empty) or NULL when any line
 * was wrong, after reporting every bad line through err.
 */
struct psk_table *psk_table_load(const char *path, psk_error_fn err,
    void *arg);
/* Parses one file's contents; path is only used in messages. */
struct psk_table *psk_table_parse(const char *text, size_t len,
    const char *path, psk_error_fn err, void *arg);
const struct psk_entry *psk_table_find(const struct psk_table *t,
    const char *identity, size_t len);
void	psk_table_free(struct psk_table *t);

#endif
