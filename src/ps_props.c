#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "ps_props.h"

void
ps_props_clear(struct ps_props *p)
{
	free(p->name);
	free(p->data_uri);
	free(p->rt);
	free(p->type);
	free(p->init);
	memset(p, 0, sizeof(*p));
}

/* NULL stays NULL, so an absent string costs no allocation. */
static int
dup_str(char **dst, const char *src)
{
	if (src == NULL)
		return 0;
	return (*dst = strdup(src)) == NULL ? -1 : 0;
}

int
ps_props_copy(struct ps_props *dst, const struct ps_props *src)
{
	*dst = *src;
	dst->name = dst->data_uri = dst->rt = dst->type = NULL;
	dst->init = NULL;
	if (dup_str(&dst->name, src->name) == -1 ||
	    dup_str(&dst->data_uri, src->data_uri) == -1 ||
	    dup_str(&dst->rt, src->rt) == -1 ||
	    dup_str(&dst->type, src->type) == -1)
		goto fail;
	if (src->init != NULL && src->init_len > 0) {
		if ((dst->init = malloc(src->init_len)) == NULL)
			goto fail;
		memcpy(dst->init, src->init, src->init_len);
	} else
		dst->init_len = 0;
	return 0;
fail:
	ps_props_clear(dst);
	return -1;
}
