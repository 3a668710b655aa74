/* sd_notify messages reach the socket systemd names in NOTIFY_SOCKET. */
#include "ac_config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <string.h>
#include <unistd.h>

#include "common.h"
#include "notify.h"

static int	sock = -1;
static char	path[108];

static void
setup(void)
{
	struct sockaddr_un sun;

	snprintf(path, sizeof(path), "/tmp/corehub-notify-%d", (int)getpid());
	unlink(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	sock = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(bind(sock, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("NOTIFY_SOCKET", path, 1);
}

static void
teardown(void)
{
	close(sock);
	unlink(path);
}

static void
expect(const char *want)
{
	char	buf[256];
	ssize_t	n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

START_TEST(lifecycle_messages)
{
#ifdef HAVE_SYSTEMD
	notify_ready();
	expect("READY=1\nSTATUS=serving");
	notify_reloading();
	expect("RELOADING=1");
	notify_stopping();
	expect("STOPPING=1");
#else
	notify_ready();	/* must be harmless without libsystemd */
#endif
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("notify");
	TCase	*tc = tcase_create("notify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lifecycle_messages);
	suite_add_tcase(s, tc);
	return test_run(s);
}
