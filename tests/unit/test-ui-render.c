/* The dashboard's pure parts: the HTML renderer (src/http/ui_render.c)
 * escapes everything from outside and shows forms only to a logged-in
 * user; the form, URL and origin codecs (src/http/ui_form.c) with hostile
 * input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "http/ui_form.h"
#include "http/ui_render.h"

#define T0 1700000000000ULL
#define EVIL "<script>alert('x')</script>\"&"

static void escaping(void **state)
{
	struct ui_buf b = { 0 };

	ui_text(&b, EVIL);
	ui_raw(&b, "|");
	ui_text(&b, NULL);
	ui_text(&b, "plain");
	assert_int_equal(b.err, 0);
	assert_string_equal(b.p, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;|plain");
	ui_buf_free(&b);
	assert_null(b.p);
}

static void page_cap(void **state)
{
	struct ui_buf b = { 0 };
	static char chunk[1 << 16];

	memset(chunk, 'x', sizeof(chunk) - 1);
	for (size_t i = 0; i <= UI_PAGE_MAX / (sizeof(chunk) - 1); i++)
		ui_raw(&b, chunk);
	assert_int_equal(b.err, -E2BIG);
	assert_true(b.len <= UI_PAGE_MAX);
	ui_buf_free(&b);
}

static void form_fields(void **state)
{
	static const char body[] = "do=host-add&name=gam+ma&mac=52%3a54%3A00%3a00%3a00%3a01&empty=&flag&name=second"
				   "&bad=%zz&ctl=a%0Ab&nul=%00&hostname=h&host=x";
	char out[16];

	assert_int_equal(ui_form_get(body, strlen(body), "do", out, sizeof(out)), 8);
	assert_string_equal(out, "host-add");
	assert_int_equal(ui_form_get(body, strlen(body), "name", out, sizeof(out)), 6);
	assert_string_equal(out, "gam ma"); /* the first of two */
	assert_int_equal(ui_form_get(body, strlen(body), "empty", out, sizeof(out)), 0);
	assert_int_equal(ui_form_get(body, strlen(body), "flag", out, sizeof(out)), 0);
	assert_int_equal(ui_form_get(body, strlen(body), "host", out, sizeof(out)), 1);
	assert_string_equal(out, "x"); /* not hostname's */
	assert_int_equal(ui_form_get(body, strlen(body), "mac", out, sizeof(out)), -E2BIG);
	assert_int_equal(ui_form_get(body, strlen(body), "bad", out, sizeof(out)), -EINVAL);
	assert_int_equal(ui_form_get(body, strlen(body), "ctl", out, sizeof(out)), -EINVAL);
	assert_int_equal(ui_form_get(body, strlen(body), "nul", out, sizeof(out)), -EINVAL);
	assert_int_equal(ui_form_get(body, strlen(body), "missing", out, sizeof(out)), -ENOENT);
	assert_int_equal(ui_form_get("a=%4", 4, "a", out, sizeof(out)), -EINVAL); /* cut escape */
	assert_int_equal(ui_form_get("a=%41b", 4, "a", out, sizeof(out)), -EINVAL); /* len stops it */
	assert_int_equal(ui_form_get("a=1", 3, "a", out, 0), -E2BIG);
	assert_int_equal(ui_form_get("", 0, "a", out, sizeof(out)), -ENOENT);
}

static void url_encoding(void **state)
{
	char enc[64], dec[64], body[80];

	assert_int_equal(ui_url_encode("a b&c=d/é", enc, sizeof(enc)), strlen("a%20b%26c%3Dd%2F%C3%A9"));
	assert_string_equal(enc, "a%20b%26c%3Dd%2F%C3%A9");
	snprintf(body, sizeof(body), "m=%s", enc);
	assert_int_equal(ui_form_get(body, strlen(body), "m", dec, sizeof(dec)), (int)strlen("a b&c=d/é"));
	assert_string_equal(dec, "a b&c=d/é");
	/* cut at a whole escape */
	assert_int_equal(ui_url_encode("ab&", enc, 5), 2);
	assert_string_equal(enc, "ab");
	assert_int_equal(ui_url_encode("x", enc, 0), 0);
}

static void origins(void **state)
{
	const char *h = "198.18.64.1";

	assert_true(ui_same_origin(h, "http://198.18.64.1", NULL));
	assert_true(ui_same_origin(h, "https://198.18.64.1", "http://evil/"));
	assert_true(ui_same_origin(h, NULL, "http://198.18.64.1/ui/hosts"));
	assert_true(ui_same_origin("lab:8080", "http://lab:8080", NULL));
	assert_false(ui_same_origin(h, "http://198.18.64.1.evil.example", NULL));
	assert_false(ui_same_origin(h, "http://198.18.64.1/", NULL)); /* an Origin has no path */
	assert_false(ui_same_origin(h, "null", "http://198.18.64.1/ui/hosts"));
	assert_false(ui_same_origin(h, "http://evil", "http://198.18.64.1/ui/hosts"));
	assert_false(ui_same_origin(h, NULL, "http://198.18.64.10/ui/hosts"));
	assert_false(ui_same_origin(h, NULL, "http://198.18.64.1@evil/"));
	assert_false(ui_same_origin(h, "ftp://198.18.64.1", NULL));
	assert_false(ui_same_origin(h, NULL, NULL));
	assert_false(ui_same_origin(NULL, "http://198.18.64.1", NULL));
	assert_false(ui_same_origin("", "http://", NULL));
	assert_false(ui_same_origin("evil/x", "http://evil/x", NULL));
}

static struct boot_event ev[8];

static size_t one_failed_boot(void)
{
	static const struct {
		uint64_t at;
		const char *kind, *detail;
	} v[] = {
		{ 0, "dhcp-discover", "OFFER 198.18.64.10 arch 7" },
		{ 900, "dhcp-discover", "OFFER 198.18.64.10 arch 7 ipxe file http://x/boot.ipxe" },
		{ 1000, "script", "boot.ipxe 900 bytes" },
		{ 1500, "http-error", "images/" EVIL "/vmlinuz 404" },
	};

	for (size_t i = 0; i < 4; i++) {
		memset(&ev[i], 0, sizeof(ev[i]));
		ev[i].ts_ms = T0 + v[i].at;
		snprintf(ev[i].kind, sizeof(ev[i].kind), "%s", v[i].kind);
		snprintf(ev[i].detail, sizeof(ev[i].detail), "%s", v[i].detail);
	}
	return 4;
}

static const char *const choice_v[] = { "local", "netboot.xyz", "<evil>" };
static const struct ui_choices choices = { choice_v, 3 };

static void hosts_page(void **state)
{
	struct host h = { .name = (char *)"alpha<b>", .n_nics = 1, .line = 12 };
	struct ui_host u = { .h = &h, .image = "tiny\"x" };
	struct ui_frame f = { .page = UI_PAGE_HOSTS, .now_ms = T0 + 60000, .message = EVIL };
	struct ui_buf b = { 0 };
	size_t n = one_failed_boot();

	memcpy(h.nics[0].mac, "\x52\x54\x00\x40\x00\x10", 6);
	boot_timeline_find(ev, n, &u.tl);
	ui_boot_failure(ev, &u.tl, u.failed, sizeof(u.failed));
	assert_string_equal(u.failed, "http-error images/" EVIL "/vmlinuz 404");

	ui_render_hosts(&b, &f, &u, 1, &choices);
	assert_int_equal(b.err, 0);
	assert_null(strstr(b.p, "<script>"));
	assert_null(strstr(b.p, "<b>"));
	assert_null(strstr(b.p, "<evil>"));
	assert_non_null(strstr(b.p, "alpha&lt;b&gt;"));
	assert_non_null(strstr(b.p, "tiny&quot;x"));
	assert_non_null(strstr(b.p, "52:54:00:40:00:10"));
	assert_non_null(strstr(b.p, "file:12"));
	assert_non_null(strstr(b.p, "failed: http-error images/&lt;script&gt;"));
	assert_non_null(strstr(b.p, "<rect class=\"p0\" x=\"0\" y=\"0\" width=\"1000\"")); /* only firmware DHCP known */
	assert_non_null(strstr(b.p, ">in iPXE</span> after 1.50 s")); /* stopped in iPXE */
	assert_non_null(strstr(b.p, "<script src=\"/ui/static/ui.js\" defer></script>"));
	assert_null(strstr(b.p, " style=")); /* the CSP forbids inline style */
	assert_null(strstr(b.p, "/ui/action")); /* not logged in: no forms */
	assert_non_null(strstr(b.p, "Read-only"));
	ui_buf_free(&b);

	f.logged_in = true;
	ui_render_hosts(&b, &f, &u, 1, &choices);
	assert_int_equal(b.err, 0);
	assert_non_null(strstr(b.p, "<form method=\"post\" action=\"/ui/action\""));
	assert_non_null(strstr(b.p, "name=\"host\" value=\"alpha&lt;b&gt;\""));
	assert_non_null(strstr(b.p, "<option>&lt;evil&gt;</option>"));
	assert_non_null(strstr(b.p, "id=\"add-submit\""));
	assert_null(strstr(b.p, "Read-only"));
	ui_buf_free(&b);
}

static void host_page(void **state)
{
	struct host h = { .name = (char *)"gamma", .n_nics = 1, .line = -1, .runtime = true };
	struct ui_host u = { .h = &h };
	struct ui_frame f = { .page = UI_PAGE_HOST, .now_ms = T0, .logged_in = true };
	struct ui_buf b = { 0 };
	size_t n = one_failed_boot();

	boot_timeline_find(ev, n, &u.tl);
	ui_render_host(&b, &f, &u, ev, n, &choices);
	assert_int_equal(b.err, 0);
	assert_non_null(strstr(b.p, "<tr class=\"bad\"><td>1.50</td><td>2023-11-14 22:13:21</td><td>http-error</td>"));
	assert_non_null(strstr(b.p, "value=\"host-rm\"")); /* a runtime host can go */
	assert_non_null(strstr(b.p, "runtime"));
	ui_buf_free(&b);
	/* events that do not hold the boot: no table, no over-read */
	ui_render_host(&b, &f, &u, ev, 2, &choices);
	assert_int_equal(b.err, 0);
	assert_non_null(strstr(b.p, "no boot recorded"));
	ui_buf_free(&b);
}

static void other_pages(void **state)
{
	struct machine m = { .mac = { 0x52, 0x54, 0, 0x40, 0, 0x99 }, .first_ms = T0, .last_ms = T0, .detail = "vendor " EVIL };
	struct lease l = { .mac = { 0x52, 0x54, 0, 0x40, 0, 0x99 }, .state = LEASE_BOUND, .expires = T0 / 1000,
			   .hostname = "<h>" };
	struct ui_pool p = { .name = "lab", .size = 51, .used = 1 };
	char *versions[] = { (char *)"v1", (char *)"v2", (char *)"v3" };
	struct ui_image im[] = { { .name = "live", .built = true, .current = "v2", .versions = versions, .n_versions = 3 },
				 { .name = "tiny", .kernel = "vmlinuz" } };
	struct ui_log_line line = { .ts_ms = T0, .line = "info  http: " EVIL };
	struct ui_frame f = { .now_ms = T0, .logged_in = true };
	struct ui_buf b = { 0 };

	l.ip.s_addr = htonl(0xc6124064);
	ui_render_discovered(&b, &f, &m, 1);
	assert_non_null(strstr(b.p, "name=\"mac\" value=\"52:54:00:40:00:99\""));
	assert_non_null(strstr(b.p, "vendor &lt;script&gt;"));
	ui_buf_free(&b);
	ui_render_leases(&b, &f, &p, 1, &l, 1);
	assert_non_null(strstr(b.p, "<meter min=\"0\" max=\"51\" value=\"1\""));
	assert_non_null(strstr(b.p, "198.18.64.100"));
	assert_non_null(strstr(b.p, "&lt;h&gt;"));
	ui_buf_free(&b);
	ui_render_images(&b, &f, im, 2);
	assert_non_null(strstr(b.p, "v3<form")); /* newer than the default: promote */
	assert_non_null(strstr(b.p, "Promote"));
	assert_non_null(strstr(b.p, "Roll back to it"));
	assert_non_null(strstr(b.p, "v2 <span class=\"tag\">default</span>"));
	assert_non_null(strstr(b.p, "kernel vmlinuz"));
	ui_buf_free(&b);
	ui_render_log(&b, &f, &line, 1);
	assert_non_null(strstr(b.p, "2023-11-14 22:13:20  info  http: &lt;script&gt;"));
	assert_null(strstr(b.p, "<script>"));
	ui_buf_free(&b);
	ui_render_login(&b, &f, true);
	assert_non_null(strstr(b.p, "That is not the token."));
	assert_non_null(strstr(b.p, "type=\"password\""));
	ui_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escaping),   cmocka_unit_test(page_cap),   cmocka_unit_test(form_fields),
		cmocka_unit_test(url_encoding), cmocka_unit_test(origins),  cmocka_unit_test(hosts_page),
		cmocka_unit_test(host_page),  cmocka_unit_test(other_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
