/*
 * Fuzz target for the link-format parser: whatever parses must write back
 * to text that parses to the same text again, packed or not.
 */
#include "ac_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "linkformat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lf_limits	lim = { 64, 16, 256 };
	struct lf_doc		doc, again;
	struct buf		b1, b2;

	if (lf_parse((const char *)data, size, &lim, &doc, NULL) != LF_OK)
		return 0;
	buf_init(&b1, 0);
	buf_init(&b2, 0);
	if (lf_write_doc(&b1, &doc) != 0)
		abort();
	if (lf_parse(b1.data ? b1.data : "", b1.len, &lim, &again, NULL) !=
	    LF_OK)
		abort();
	if (lf_write_doc(&b2, &again) != 0 || b1.len != b2.len ||
	    (b1.len && memcmp(b1.data, b2.data, b1.len) != 0) ||
	    doc.nlinks != again.nlinks)
		abort();
	/* Packed into one block, the document writes the same text. */
	buf_reset(&b2);
	if (lf_doc_pack(&doc) != 0 || lf_write_doc(&b2, &doc) != 0 ||
	    b1.len != b2.len || (b1.len && memcmp(b1.data, b2.data, b1.len)))
		abort();
	lf_doc_free(&doc);
	lf_doc_free(&again);
	buf_free(&b1);
	buf_free(&b2);
	return 0;
}
