#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "coaputil.h"
#include "dispatch.h"

struct route {
	char		*prefix;
	size_t		 len;
	dispatch_fn	 fn;
	void		*arg;
};

struct dispatch {
	struct route	 routes[DISPATCH_MAX];
	size_t		 n;
};

struct dispatch *
dispatch_new(void)
{
	return calloc(1, sizeof(struct dispatch));
}

void
dispatch_free(struct dispatch *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->routes[i].prefix);
	free(d);
}

int
dispatch_add(struct dispatch *d, const char *prefix, dispatch_fn fn,
    void *arg)
{
	struct route *r;

	if (d->n == DISPATCH_MAX)
		return -1;
	r = &d->routes[d->n];
	if ((r->prefix = strdup(prefix)) == NULL)
		return -1;
	r->len = strlen(prefix);
	r->fn = fn;
	r->arg = arg;
	d->n++;
	return 0;
}

static const struct route *
route_of(const struct dispatch *d, const char *path)
{
	const struct route *best = NULL;

	for (size_t i = 0; i < d->n; i++) {
		const struct route *r = &d->routes[i];

		if (strncmp(path, r->prefix, r->len) == 0 &&
		    (path[r->len] == '/' || path[r->len] == '\0') &&
		    (best == NULL || r->len > best->len))
			best = r;
	}
	return best;
}

static void
hnd_any(coap_resource_t *res, coap_session_t *ses, const coap_pdu_t *req,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	struct dispatch		*d = coap_resource_get_userdata(res);
	const struct route	*r;
	char			 path[CU_PATH_MAX + 1];

	if (!authz_gate(ses, resp))
		return;
	if (cu_path(req, path, sizeof(path)) == -1) {
		cu_respond(resp, 404, NULL);
		return;
	}
	if ((r = route_of(d, path)) == NULL) {
		cu_respond(resp, 404, NULL);
		return;
	}
	r->fn(r->arg, res, ses, req, path, qs, resp);
}

void
dispatch_attach(coap_context_t *ctx, void *arg)
{
	static const coap_request_t methods[] = {
		COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_PUT,
		COAP_REQUEST_DELETE, COAP_REQUEST_FETCH, COAP_REQUEST_PATCH,
		COAP_REQUEST_IPATCH
	};
	coap_resource_t *r;

	if ((r = coap_resource_unknown_init(hnd_any)) == NULL)
		return;
	coap_resource_set_userdata(r, arg);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		cu_register(r, methods[i], hnd_any);
	coap_add_resource(ctx, r);
}
