/* sd_notify: the address taken from $NOTIFY_SOCKET, the messages, and the
 * datagrams themselves, received on sockets the test binds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sd_notify.h"

static void path_address(void **state)
{
	struct sockaddr_un sa;
	int n = sd_notify_address("/run/systemd/notify", &sa);

	assert_int_equal(n, offsetof(struct sockaddr_un, sun_path) + strlen("/run/systemd/notify") + 1);
	assert_int_equal(sa.sun_family, AF_UNIX);
	assert_string_equal(sa.sun_path, "/run/systemd/notify");
}

static void abstract_address(void **state)
{
	struct sockaddr_un sa;
	int n = sd_notify_address("@labboot/notify", &sa);

	/* no trailing NUL counted: the name is exactly the bytes after the NUL */
	assert_int_equal(n, offsetof(struct sockaddr_un, sun_path) + strlen("@labboot/notify"));
	assert_int_equal(sa.sun_path[0], '\0');
	assert_memory_equal(sa.sun_path + 1, "labboot/notify", strlen("labboot/notify"));
}

static void bad_addresses(void **state)
{
	struct sockaddr_un sa = { 0 };
	char longest_path[sizeof(sa.sun_path)], too_long_path[sizeof(sa.sun_path) + 1];
	char longest_abstract[sizeof(sa.sun_path) + 1], too_long_abstract[sizeof(sa.sun_path) + 2];

	assert_int_equal(sd_notify_address("", &sa), -EINVAL);
	assert_int_equal(sd_notify_address("relative/notify", &sa), -EINVAL);
	assert_int_equal(sd_notify_address("vsock:2:1234", &sa), -EINVAL);
	assert_int_equal(sd_notify_address("@", &sa), -EINVAL);
	assert_int_equal(sd_notify_address(NULL, &sa), -EINVAL);
	/* a path keeps room for its NUL, an abstract name uses all 108 bytes */
	memset(longest_path, 'a', sizeof(longest_path));
	longest_path[0] = '/';
	longest_path[sizeof(longest_path) - 1] = '\0';
	assert_true(sd_notify_address(longest_path, &sa) > 0);
	memset(too_long_path, 'a', sizeof(too_long_path));
	too_long_path[0] = '/';
	too_long_path[sizeof(too_long_path) - 1] = '\0';
	assert_int_equal(sd_notify_address(too_long_path, &sa), -ENAMETOOLONG);
	memset(longest_abstract, 'a', sizeof(longest_abstract));
	longest_abstract[0] = '@';
	longest_abstract[sizeof(longest_abstract) - 1] = '\0';
	assert_int_equal(sd_notify_address(longest_abstract, &sa), (int)sizeof(struct sockaddr_un));
	memset(too_long_abstract, 'a', sizeof(too_long_abstract));
	too_long_abstract[0] = '@';
	too_long_abstract[sizeof(too_long_abstract) - 1] = '\0';
	assert_int_equal(sd_notify_address(too_long_abstract, &sa), -ENAMETOOLONG);
}

static void reloading_message(void **state)
{
	char buf[64], tiny[20];

	assert_int_equal(sd_notify_build_reloading(buf, sizeof(buf), 1234567890123ULL),
			 strlen("RELOADING=1\nMONOTONIC_USEC=1234567890123"));
	assert_string_equal(buf, "RELOADING=1\nMONOTONIC_USEC=1234567890123");
	assert_int_equal(sd_notify_build_reloading(tiny, sizeof(tiny), 1), -ENOSPC);
}

static void status_message(void **state)
{
	char buf[32];

	assert_int_equal(sd_notify_build_status(buf, sizeof(buf), "serving 3 hosts"), 22);
	assert_string_equal(buf, "STATUS=serving 3 hosts");
	/* a newline must not smuggle in READY=1 */
	assert_int_equal(sd_notify_build_status(buf, sizeof(buf), "x\nREADY=1"), 16);
	assert_string_equal(buf, "STATUS=x READY=1");
	assert_int_equal(sd_notify_build_status(buf, sizeof(buf), "a status far too long for 32 bytes"), -ENOSPC);
	assert_int_equal(sd_notify_build_status(buf, 7, ""), -ENOSPC);
}

static void without_socket_is_a_noop(void **state)
{
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sd_notify_ready(), 0);
	assert_int_equal(sd_notify_reloading(), 0);
	assert_int_equal(sd_notify_status("x"), 0);
	assert_int_equal(sd_notify_stopping(), 0);
	setenv("NOTIFY_SOCKET", "not-absolute", 1);
	assert_int_equal(sd_notify_ready(), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

static int receive(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

/* The whole path once, to a listener we own: a path socket and an abstract one. */
static void sends_datagrams(void **state)
{
	char dir[] = "/tmp/test-sd-notify.XXXXXX", path[128], abstract[64], buf[SD_NOTIFY_MAX + 1];
	struct sockaddr_un sa;
	int fd, afd, n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	n = sd_notify_address(path, &sa);
	assert_true(n > 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, (socklen_t)n), 0);
	setenv("NOTIFY_SOCKET", path, 1);

	assert_int_equal(sd_notify_ready(), 1);
	assert_int_equal(receive(fd, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "READY=1");
	assert_int_equal(sd_notify_reloading(), 1);
	assert_true(receive(fd, buf, sizeof(buf)) > 0);
	assert_int_equal(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
	assert_true(strtoull(buf + 27, NULL, 10) > 0);
	assert_int_equal(sd_notify_status("serving"), 1);
	assert_true(receive(fd, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "STATUS=serving");
	assert_int_equal(sd_notify_stopping(), 1);
	assert_true(receive(fd, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "STOPPING=1");

	snprintf(abstract, sizeof(abstract), "@labboot-test-sd-notify-%d", (int)getpid());
	afd = socket(AF_UNIX, SOCK_DGRAM, 0);
	n = sd_notify_address(abstract, &sa);
	assert_int_equal(bind(afd, (struct sockaddr *)&sa, (socklen_t)n), 0);
	setenv("NOTIFY_SOCKET", abstract, 1);
	assert_int_equal(sd_notify_ready(), 1);
	assert_int_equal(receive(afd, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "READY=1");

	/* nobody listening any more: an error, not a hang */
	close(fd);
	unlink(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(sd_notify_ready(), -ENOENT);
	unsetenv("NOTIFY_SOCKET");
	close(afd);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(path_address),
		cmocka_unit_test(abstract_address),
		cmocka_unit_test(bad_addresses),
		cmocka_unit_test(reloading_message),
		cmocka_unit_test(status_message),
		cmocka_unit_test(without_socket_is_a_noop),
		cmocka_unit_test(sends_datagrams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
