/* Metrics (core/metrics.c): counting, histograms, and the text renderer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "boot/timeline.h"
#include "core/metrics.h"
#include "store/store.h"

#define TEXT_MAX (256 * 1024)

static char text[TEXT_MAX];

static const char *render(struct metrics *m)
{
	static struct metrics_snapshot s;
	struct textbuf o = { text, sizeof(text), 0, false };

	metrics_snapshot(m, &s);
	assert_int_equal(metrics_render(&s, &o), 0);
	return text;
}

static void assert_line(const char *t, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(t, want))
		fail_msg("no line \"%s\" in:\n%s", line, t);
}

static void counters_by_label(void **state)
{
	struct metrics *m;

	assert_int_equal(metrics_new(&m), 0);
	metrics_count(m, METRIC_DHCP_RECEIVED, 1);
	metrics_count(m, METRIC_DHCP_RECEIVED, 1);
	metrics_count(m, METRIC_DHCP_SENT, 6);
	metrics_add(m, METRIC_TFTP_SENT_BYTES, 0, 70000);
	metrics_count(m, METRIC_DNS_QUERIES, METRIC_DNS_NXDOMAIN);
	metrics_count(m, METRIC_DHCP_RECEIVED, METRIC_DHCP_TYPES);       /* out of range: not counted */
	metrics_count(m, METRIC_TFTP_STARTED, 1);                        /* no label: only 0 */
	metrics_count(NULL, METRIC_DHCP_RECEIVED, 1);                    /* no metrics: a no-op */
	render(m);
	assert_line(text, "labboot_dhcp_received_total{type=\"discover\"} 2");
	assert_line(text, "labboot_dhcp_received_total{type=\"other\"} 0");
	assert_line(text, "labboot_dhcp_sent_total{type=\"nak\"} 1");
	assert_null(strstr(text, "labboot_dhcp_received_total{type=\"offer\"}")); /* never received */
	assert_null(strstr(text, "labboot_dhcp_sent_total{type=\"discover\"}"));  /* never sent */
	assert_null(strstr(text, "code=\"disk_full\""));                          /* never refused with */
	assert_line(text, "labboot_tftp_sent_bytes_total 70000");
	assert_line(text, "labboot_tftp_transfers_started_total 0");
	assert_line(text, "labboot_dns_queries_total{outcome=\"nxdomain\"} 1");
	assert_line(text, "labboot_dns_queries_total{outcome=\"local\"} 0");
	metrics_free(m);
	metrics_free(NULL);
}

static void http_by_class_and_status(void **state)
{
	struct metrics *m;

	assert_int_equal(metrics_new(&m), 0);
	metrics_http_request(m, METRIC_HTTP_KERNEL, 200);
	metrics_http_request(m, METRIC_HTTP_KERNEL, 206);
	metrics_http_request(m, METRIC_HTTP_SCRIPT, 404);
	metrics_http_request(m, METRIC_HTTP_API, 0);                     /* no response queued: 5xx */
	metrics_http_request(m, METRIC_HTTP_CLASS_COUNT_, 200);          /* not a class */
	render(m);
	assert_line(text, "labboot_http_requests_total{class=\"kernel\",code=\"2xx\"} 2");
	assert_line(text, "labboot_http_requests_total{class=\"script\",code=\"4xx\"} 1");
	assert_line(text, "labboot_http_requests_total{class=\"api\",code=\"5xx\"} 1");
	assert_line(text, "labboot_http_requests_total{class=\"file\",code=\"1xx\"} 0");
	metrics_free(m);
}

static void histogram_buckets_are_cumulative(void **state)
{
	struct metrics *m;

	assert_int_equal(metrics_new(&m), 0);
	metrics_observe_ms(m, METRIC_BOOT_PHASE, BOOT_PHASE_IPXE, 1000);   /* on a bound: in it (le) */
	metrics_observe_ms(m, METRIC_BOOT_PHASE, BOOT_PHASE_IPXE, 1500);
	metrics_observe_ms(m, METRIC_BOOT_PHASE, BOOT_PHASE_IPXE, 700000); /* above the last: +Inf only */
	metrics_observe_ms(m, METRIC_BOOT_TOTAL, 1, 5);                   /* the total has one series */
	render(m);
	assert_line(text, "# TYPE labboot_boot_phase_duration_seconds histogram");
	assert_line(text, "labboot_boot_phase_duration_seconds_bucket{phase=\"ipxe\",le=\"0.5\"} 0");
	assert_line(text, "labboot_boot_phase_duration_seconds_bucket{phase=\"ipxe\",le=\"1\"} 1");
	assert_line(text, "labboot_boot_phase_duration_seconds_bucket{phase=\"ipxe\",le=\"2\"} 2");
	assert_line(text, "labboot_boot_phase_duration_seconds_bucket{phase=\"ipxe\",le=\"600\"} 2");
	assert_line(text, "labboot_boot_phase_duration_seconds_bucket{phase=\"ipxe\",le=\"+Inf\"} 3");
	assert_line(text, "labboot_boot_phase_duration_seconds_sum{phase=\"ipxe\"} 702.500");
	assert_line(text, "labboot_boot_phase_duration_seconds_count{phase=\"ipxe\"} 3");
	assert_line(text, "labboot_boot_phase_duration_seconds_count{phase=\"os_startup\"} 0");
	assert_line(text, "labboot_boot_duration_seconds_bucket{le=\"0.25\"} 0");
	assert_line(text, "labboot_boot_duration_seconds_sum 0.000");
	assert_line(text, "labboot_boot_duration_seconds_count 0");
	assert_int_equal(metrics_bucket_ms(0), 250);
	assert_true(metrics_bucket_ms(METRIC_BUCKETS) == UINT64_MAX);
	metrics_free(m);
}

static void a_boot_observes_its_known_phases(void **state)
{
	struct boot_timeline tl = { .phase_ms = { 1200, 3000, -1, 20000, 9000 }, .total_ms = 41000 };
	struct metrics *m;

	assert_int_equal(metrics_new(&m), 0);
	metrics_observe_boot(m, &tl);
	render(m);
	assert_line(text, "labboot_boot_phase_duration_seconds_count{phase=\"firmware_dhcp\"} 1");
	assert_line(text, "labboot_boot_phase_duration_seconds_count{phase=\"kernel_initrd\"} 0");
	assert_line(text, "labboot_boot_phase_duration_seconds_sum{phase=\"root_image\"} 20.000");
	assert_line(text, "labboot_boot_duration_seconds_bucket{le=\"60\"} 1");
	assert_line(text, "labboot_boot_duration_seconds_sum 41.000");
	tl.total_ms = -1;
	metrics_observe_boot(m, &tl);
	render(m);
	assert_line(text, "labboot_boot_duration_seconds_count 1");
	metrics_free(m);
}

static void pools_leases_and_build_info(void **state)
{
	struct metrics_pool pools[2] = { { .name = "lab", .size = 51, .in_use = 3 },
					 { .name = "odd \"name\\\n", .size = 10 } };
	uint64_t leases[METRIC_LEASE_STATES] = { [LEASE_OFFERED] = 1, [LEASE_BOUND] = 2, [LEASE_DECLINED] = 4 };
	struct metrics *m;

	assert_int_equal(metrics_new(&m), 0);
	render(m);
	assert_line(text, "# TYPE labboot_dhcp_pool_addresses gauge");
	assert_null(strstr(text, "labboot_dhcp_pool_addresses{"));      /* no DHCP server: no pools */
	metrics_set_dhcp(m, pools, 2, leases);
	render(m);
	assert_line(text, "labboot_dhcp_pool_addresses{pool=\"lab\"} 51");
	assert_line(text, "labboot_dhcp_pool_addresses_in_use{pool=\"lab\"} 3");
	assert_line(text, "labboot_dhcp_pool_addresses{pool=\"odd \\\"name\\\\\\n\"} 10");
	assert_line(text, "labboot_dhcp_leases{state=\"bound\"} 2");
	assert_line(text, "labboot_dhcp_leases{state=\"declined\"} 4");
	assert_null(strstr(text, "state=\"free\""));
	assert_line(text, "labboot_build_info{version=\"" LABBOOT_VERSION "\"} 1");
	assert_line(text, "# TYPE labboot_start_time_seconds gauge");
	metrics_free(m);
}

static void label_escaping(void **state)
{
	char buf[16];

	assert_int_equal(metrics_escape_label("a\"b\\c\nd", buf, sizeof(buf)), 10);
	assert_string_equal(buf, "a\\\"b\\\\c\\nd");
	assert_int_equal(metrics_escape_label("", buf, sizeof(buf)), 0);
	assert_int_equal(metrics_escape_label("0123456789abcdef", buf, sizeof(buf)), -ENOBUFS);
	assert_int_equal(metrics_escape_label("\\\\\\\\\\\\\\\\", buf, sizeof(buf)), -ENOBUFS); /* 16 + NUL */
}

static void a_small_buffer_is_an_error(void **state)
{
	struct metrics_snapshot *s = calloc(1, sizeof(*s));
	char small[512];
	struct textbuf o = { small, sizeof(small), 0, false };

	assert_non_null(s);
	assert_int_equal(metrics_render(s, &o), -ENOBUFS);
	assert_true(strlen(small) < sizeof(small));
	free(s);
}

/* What promtool's parser and linter ask of every line: a comment, or
 * NAME{LABELS} VALUE where the family's TYPE came first; counters end in
 * _total; each HELP once. */
static void every_line_is_well_formed(void **state)
{
	regex_t sample, typeline;
	char family[128] = "", type[16] = "";
	struct metrics *m;
	char *save, *line;

	assert_int_equal(regcomp(&sample, "^[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? [0-9]+(\\.[0-9]+)?$",
				 REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regcomp(&typeline, "^# TYPE labboot_[a-z_]+ (counter|gauge|histogram)$", REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(metrics_new(&m), 0);
	render(m);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(regexec(&typeline, line, 0, NULL, 0), 0);
			assert_int_equal(sscanf(line, "# TYPE %127s %15s", family, type), 2);
			if (strcmp(type, "counter") == 0)
				assert_non_null(strstr(family, "_total"));
			continue;
		}
		if (regexec(&sample, line, 0, NULL, 0) != 0)
			fail_msg("malformed line: %s", line);
		if (strncmp(line, family, strlen(family)) != 0)
			fail_msg("%s outside its family %s", line, family);
	}
	regfree(&sample);
	regfree(&typeline);
	metrics_free(m);
}

#define THREADS 4
#define PER_THREAD 100000

static void *bump(void *m)
{
	for (int i = 0; i < PER_THREAD; i++) {
		metrics_count(m, METRIC_HTTP_REQUESTS, 0);
		metrics_observe_ms(m, METRIC_BOOT_TOTAL, 0, 1);
	}
	return NULL;
}

static void concurrent_adds_are_not_lost(void **state)
{
	pthread_t t[THREADS];
	struct metrics *m;
	char want[128];

	assert_int_equal(metrics_new(&m), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, bump, m), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	render(m);
	snprintf(want, sizeof(want), "labboot_http_requests_total{class=\"script\",code=\"1xx\"} %d", THREADS * PER_THREAD);
	assert_line(text, want);
	snprintf(want, sizeof(want), "labboot_boot_duration_seconds_count %d", THREADS * PER_THREAD);
	assert_line(text, want);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counters_by_label),
		cmocka_unit_test(http_by_class_and_status),
		cmocka_unit_test(histogram_buckets_are_cumulative),
		cmocka_unit_test(a_boot_observes_its_known_phases),
		cmocka_unit_test(pools_leases_and_build_info),
		cmocka_unit_test(label_escaping),
		cmocka_unit_test(a_small_buffer_is_an_error),
		cmocka_unit_test(every_line_is_well_formed),
		cmocka_unit_test(concurrent_adds_are_not_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
