/* The NFS export file renderer (nfs_exports.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "nfs/nfs_exports.h"

static struct nfs_client net(const char *s)
{
	struct nfs_client c;

	assert_int_equal(nfs_client_parse(s, &c), 0);
	return c;
}

static void ganesha_blocks_limit_each_export_to_the_clients(void **state)
{
	struct nfs_client cl[] = { net("198.18.0.0/24"), net("198.19.4.0/22") };
	struct nfs_export ex[] = { { "/srv/images/min/min-1", false, 7 }, { "/srv/home", true, 9 } };
	char buf[4096];

	assert_true(nfs_exports_render(NFS_BACKEND_GANESHA, &(struct nfs_exports){ ex, 2, cl, 2 }, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "EXPORT {\n\tExport_Id = 7;\n\tPath = \"/srv/images/min/min-1\";\n"
				    "\tPseudo = \"/srv/images/min/min-1\";\n\tProtocols = 3, 4;\n"));
	assert_non_null(strstr(buf, "\tAccess_Type = None;\n\tSquash = No_Root_Squash;\n"));
	assert_non_null(strstr(buf, "Clients = 198.18.0.0/24, 198.19.4.0/22;\n\t\tAccess_Type = RO;"));
	assert_non_null(strstr(buf, "\tExport_Id = 9;\n\tPath = \"/srv/home\";"));
	assert_non_null(strstr(buf, "\tSquash = No_Root_Squash;"));
	assert_non_null(strstr(buf, "Clients = 198.18.0.0/24, 198.19.4.0/22;\n\t\tAccess_Type = RW;"));
}

static void kernel_lines_follow_exports5(void **state)
{
	struct nfs_client cl[] = { net("198.18.0.0/24") };
	struct nfs_export ex[] = { { "/srv/images/a/a-1", false, 2 }, { "/srv/home", true, 3 } };
	char buf[1024];

	assert_true(nfs_exports_render(NFS_BACKEND_KERNEL, &(struct nfs_exports){ ex, 2, cl, 1 }, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\n/srv/images/a/a-1 198.18.0.0/24(ro,no_subtree_check,insecure,no_root_squash)\n"));
	assert_non_null(strstr(buf, "\n/srv/home 198.18.0.0/24(rw,sync,no_subtree_check,insecure,no_root_squash)\n"));
}

static void nothing_is_exported_to_everyone(void **state)
{
	struct nfs_export ex[] = { { "/srv/home", true, 3 } };
	char buf[1024];

	assert_int_equal(nfs_exports_render(NFS_BACKEND_GANESHA, &(struct nfs_exports){ ex, 1, NULL, 0 }, buf, sizeof(buf)),
			 -EINVAL);
}

static void hostile_paths_and_ids_are_refused(void **state)
{
	static const char *bad[] = { "relative", "/", "/a b", "/a\"b", "/a\nEXPORT", "/a;b", "/a}", "/a/../etc",
				     "/a/..", "/a/.", "/a\\b", "/a#b", "/a\tb" };
	struct nfs_client cl[] = { net("198.18.0.0/24") };
	char buf[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nfs_export ex[] = { { bad[i], false, 5 } };
		assert_false(nfs_path_valid(bad[i]));
		assert_int_equal(nfs_exports_render(NFS_BACKEND_KERNEL, &(struct nfs_exports){ ex, 1, cl, 1 }, buf, sizeof(buf)),
				 -EINVAL);
	}
	assert_true(nfs_path_valid("/srv/images/a.b/a.b-20261202-010203"));
	assert_true(nfs_path_valid("/srv/..hidden"));
	struct nfs_export dup[] = { { "/a", false, 5 }, { "/b", false, 5 } };
	assert_int_equal(nfs_exports_render(NFS_BACKEND_GANESHA, &(struct nfs_exports){ dup, 2, cl, 1 }, buf, sizeof(buf)),
			 -EINVAL);
	struct nfs_export low[] = { { "/a", false, 1 } };
	assert_int_equal(nfs_exports_render(NFS_BACKEND_GANESHA, &(struct nfs_exports){ low, 1, cl, 1 }, buf, sizeof(buf)),
			 -EINVAL);
}

static void clients_must_be_networks(void **state)
{
	struct nfs_client c;

	assert_int_equal(nfs_client_parse("198.18.0.0/24", &c), 0);
	assert_int_equal(c.prefix, 24);
	assert_int_equal(nfs_client_parse("198.18.0.7/32", &c), 0);
	assert_int_equal(nfs_client_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(nfs_client_parse("198.18.0.1/24", &c), -EINVAL); /* host bits */
	assert_int_equal(nfs_client_parse("198.18.0.0/33", &c), -EINVAL);
	assert_int_equal(nfs_client_parse("198.18.0.0", &c), -EINVAL);
	assert_int_equal(nfs_client_parse("198.18.0.0/", &c), -EINVAL);
	assert_int_equal(nfs_client_parse("198.18.0.0/-1", &c), -EINVAL);
	assert_int_equal(nfs_client_parse("198.18.0.0/24x", &c), -EINVAL);
	assert_int_equal(nfs_client_parse("example/24", &c), -EINVAL);
}

static void export_ids_are_stable_and_never_ganeshas_own(void **state)
{
	assert_int_equal(nfs_export_id("/srv/images/a/a-1"), nfs_export_id("/srv/images/a/a-1"));
	assert_int_not_equal(nfs_export_id("/srv/images/a/a-1"), nfs_export_id("/srv/images/a/a-2"));
	for (char c = 'a'; c <= 'z'; c++) {
		char p[] = { '/', c, 0 };
		assert_true(nfs_export_id(p) >= 2);
	}
}

static void a_small_buffer_is_enospc_and_terminated(void **state)
{
	struct nfs_client cl[] = { net("198.18.0.0/24") };
	struct nfs_export ex[] = { { "/srv/home", true, 3 } };
	char buf[600];
	int full = nfs_exports_render(NFS_BACKEND_GANESHA, &(struct nfs_exports){ ex, 1, cl, 1 }, buf, sizeof(buf));

	assert_true(full > 0);
	for (size_t n = 1; n <= (size_t)full; n++) {
		assert_int_equal(nfs_exports_render(NFS_BACKEND_GANESHA, &(struct nfs_exports){ ex, 1, cl, 1 }, buf, n),
				 -ENOSPC);
		assert_true(strlen(buf) < n);
	}
}

static void backend_names_round_trip(void **state)
{
	enum nfs_backend b;

	assert_int_equal(nfs_backend_parse("ganesha", &b), 0);
	assert_int_equal(b, NFS_BACKEND_GANESHA);
	assert_string_equal(nfs_backend_name(NFS_BACKEND_KERNEL), "kernel");
	assert_int_equal(nfs_backend_parse("nfsd", &b), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ganesha_blocks_limit_each_export_to_the_clients),
		cmocka_unit_test(kernel_lines_follow_exports5),
		cmocka_unit_test(nothing_is_exported_to_everyone),
		cmocka_unit_test(hostile_paths_and_ids_are_refused),
		cmocka_unit_test(clients_must_be_networks),
		cmocka_unit_test(export_ids_are_stable_and_never_ganeshas_own),
		cmocka_unit_test(a_small_buffer_is_enospc_and_terminated),
		cmocka_unit_test(backend_names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
