#include "ac_config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "authz.h"
#include "stats.h"
#include "coaputil.h"
#include "listen.h"
#include "log.h"
#include "principal.h"

static struct acl *current;

void
authz_set(struct acl *acl)
{
	acl_free(current);
	current = acl;
}

const struct acl *
authz_acl(void)
{
	return current;
}

int
authz_allowed_rd(const struct principal *p, const char *d, const char *ep,
    unsigned int action)
{
	char obj[AUTHZ_OBJECT_MAX];

	return current == NULL || acl_allowed(current, p,
	    authz_rd_object(obj, sizeof(obj), d, ep), action);
}

int
authz_allowed_ps(const struct principal *p, const char *name,
    unsigned int action)
{
	char obj[AUTHZ_OBJECT_MAX];

	return current == NULL || acl_allowed(current, p,
	    authz_ps_object(obj, sizeof(obj), name), action);
}

static void
refuse(const struct principal *p, coap_pdu_t *resp, const char *why)
{
	cu_respond(resp, p->kind == PRINCIPAL_ANON ? 401 : 403, why);
}

void
authz_refuse(const coap_session_t *ses, coap_pdu_t *resp, const char *why)
{
	const struct principal *p = listen_session_principal(ses);

	log_limitedf("authz", LOG_INFO, "%s refused: %s", p->name, why);
	stats_auth_refused();
	refuse(p, resp, why);
}

int
authz_gate(const coap_session_t *ses, coap_pdu_t *resp)
{
	if (listen_session_principal(ses)->kind != PRINCIPAL_ANON ||
	    listen_session_serves_anon(ses))
		return 1;
	log_limitedf("authz", LOG_INFO, "anon refused: the listener serves "
	    "authenticated clients only");
	stats_auth_refused();
	cu_respond(resp, 401, "this listener serves authenticated clients "
	    "only");
	return 0;
}

void
authz_over_quota(const coap_session_t *ses, coap_pdu_t *resp,
    const char *why)
{
	log_limitedf("authz", LOG_INFO, "%s over quota: %s",
	    listen_session_principal(ses)->name, why);
	stats_limit_hit();
	cu_respond(resp, 403, why);
}

int
authz_is_admin(const coap_session_t *ses)
{
	return current != NULL && acl_allowed(current,
	    listen_session_principal(ses), "daemon", ACL_ADMIN);
}

void
authz_limit(const coap_session_t *ses, coap_pdu_t *resp, unsigned int code,
    unsigned int max_age, const char *why)
{
	log_limitedf("authz", LOG_NOTICE, "%s hit a limit: %s",
	    listen_session_principal(ses)->name, why);
	stats_limit_hit();
	cu_respond_max_age(resp, code, max_age, why);
}

int
authz_check(const coap_session_t *ses, coap_pdu_t *resp, const char *object,
    unsigned int action)
{
	const struct principal	*p = listen_session_principal(ses);
	char			 esc[128];

	if (acl_allowed(current, p, object, action))
		return 1;
	log_limitedf("authz", LOG_INFO, "%s refused %s on %s", p->name,
	    acl_action_name(action), log_escape(object, strlen(object), esc,
	    sizeof(esc)));
	stats_auth_refused();
	refuse(p, resp, "not allowed");
	return 0;
}

void
authz_quota(const struct principal *p, struct acl_quota *out)
{
	acl_quota(current, p, out);
}

const char *
authz_rd_object(char *buf, size_t size, const char *d, const char *ep)
{
	snprintf(buf, size, "rd:%s/%s", d ? d : "", ep ? ep : "");
	return buf;
}

const char *
authz_ps_object(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "ps:%s", name);
	return buf;
}
