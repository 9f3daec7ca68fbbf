/* Cache keys: SHA-256 vectors (FIPS 180-2), length-prefixed fields, and the
 * key chain: a step's key moves with its parent, its text and its inputs and
 * with nothing else, so changing step k rebuilds k and what follows only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "image/cache_key.h"
#include "image/recipe.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define MAX_CHAIN 8

static void assert_sha_hex(const uint8_t sha[32], const char *want)
{
	char hex[65];

	format_sha256_hex(hex, sha);
	assert_string_equal(hex, want);
}

static void sha256_known_vectors(void **state)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t out[32];
	struct sha256_ctx *c;

	sha256_buf("abc", 3, out);
	assert_sha_hex(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_buf("", 0, out);
	assert_sha_hex(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_buf(two_blocks, strlen(two_blocks), out);
	assert_sha_hex(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

	/* streaming, in pieces and with empty updates */
	c = sha256_new();
	assert_non_null(c);
	sha256_update(c, "a", 1);
	sha256_update(c, NULL, 0);
	sha256_update(c, "bc", 2);
	sha256_final(c, out);
	assert_sha_hex(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	c = sha256_new();
	for (size_t i = 0; i < strlen(two_blocks); i++)
		sha256_update(c, two_blocks + i, 1);
	sha256_final(c, out);
	assert_sha_hex(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	sha256_free(sha256_new()); /* freed unfinished */
	sha256_free(NULL);
}

static void fields(const char *const *f, size_t n, uint8_t out[32])
{
	struct sha256_ctx *c = sha256_new();

	assert_non_null(c);
	for (size_t i = 0; i < n; i++)
		sha256_str(c, f[i]);
	sha256_final(c, out);
}

static void fields_are_length_prefixed(void **state)
{
	static const char *const ab_c[] = { "ab", "c" }, *const a_bc[] = { "a", "bc" }, *const abc[] = { "abc" };
	static const char *const abc_empty[] = { "abc", "" }, *const empty_abc[] = { "", "abc" };
	static const uint8_t framed[] = { 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c' };
	uint8_t x[32], y[32], z[32], w[32];
	struct sha256_ctx *c;

	fields(ab_c, 2, x);
	fields(a_bc, 2, y);
	fields(abc, 1, z);
	assert_memory_not_equal(x, y, 32);
	assert_memory_not_equal(x, z, 32);
	assert_memory_not_equal(y, z, 32);
	fields(abc_empty, 2, x);
	fields(empty_abc, 2, y);
	assert_memory_not_equal(x, y, 32);
	assert_memory_not_equal(x, z, 32);

	/* the frame: 8-byte big-endian length, then the bytes */
	sha256_buf(framed, sizeof(framed), w);
	assert_memory_equal(w, z, 32);
	c = sha256_new();
	sha256_field(c, "abc", 3);
	sha256_final(c, x);
	assert_memory_equal(x, z, 32);

	/* NULL is the empty string */
	c = sha256_new();
	sha256_str(c, NULL);
	sha256_final(c, x);
	c = sha256_new();
	sha256_str(c, "");
	sha256_final(c, y);
	assert_memory_equal(x, y, 32);
	sha256_buf((const uint8_t[8]){ 0 }, 8, z);
	assert_memory_equal(x, z, 32);
}

static void base_key_depends_on_iso_and_layout(void **state)
{
	uint8_t iso[32], iso2[32], a[32], b[32];

	sha256_buf("debian-live.iso", 15, iso);
	memcpy(iso2, iso, 32);
	iso2[31] ^= 1;
	cache_key_base(iso, "live-boot", a);
	cache_key_base(iso, "live-boot", b);
	assert_memory_equal(a, b, 32);
	cache_key_base(iso2, "live-boot", b);
	assert_memory_not_equal(a, b, 32);
	cache_key_base(iso, "casper", b);
	assert_memory_not_equal(a, b, 32);
	assert_memory_not_equal(a, iso, 32);
}

static struct recipe *parse(const char *text)
{
	struct recipe *r = NULL;
	char err[512];

	if (recipe_parse("k.recipe", text, strlen(text), &r, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return r;
}

static void step_key_depends_on_parent_text_and_inputs(void **state)
{
	struct recipe *r = parse("FROM ./a.iso sha256:" HEX "\n"
				 "RUN echo hi\n"
				 "# a comment moves the next step to another line\n\n"
				 "RUN   echo hi\n"
				 "RUN echo hi\n"
				 "COPY a /a\n");
	const struct recipe_step *run = &r->steps[1], *run_spaced = &r->steps[2], *run_again = &r->steps[3];
	struct recipe_step changed;
	uint8_t parent[32], parent2[32], in[32], in2[32], k[32], k2[32];

	sha256_buf("parent", 6, parent);
	memcpy(parent2, parent, 32);
	parent2[0] ^= 0x80;
	sha256_buf("file a", 6, in);
	sha256_buf("file a'", 7, in2);

	cache_key_step(parent, run, NULL, k);
	cache_key_step(parent, run, NULL, k2);
	assert_memory_equal(k, k2, 32);
	cache_key_step(parent, run_again, NULL, k2); /* same text, other line: same key */
	assert_int_not_equal(run->line, run_again->line);
	assert_memory_equal(k, k2, 32);
	cache_key_step(parent2, run, NULL, k2);
	assert_memory_not_equal(k, k2, 32);
	cache_key_step(parent, run_spaced, NULL, k2); /* the text as written */
	assert_memory_not_equal(k, k2, 32);
	changed = *run;
	changed.text = (char *)"RUN echo ho";
	cache_key_step(parent, &changed, NULL, k2);
	assert_memory_not_equal(k, k2, 32);
	/* only op and text are hashed of the step itself */
	changed = *run;
	changed.arg = (char *)"something else";
	changed.line = 99;
	cache_key_step(parent, &changed, NULL, k2);
	assert_memory_equal(k, k2, 32);

	cache_key_step(parent, &r->steps[4], in, k);
	cache_key_step(parent, &r->steps[4], in, k2);
	assert_memory_equal(k, k2, 32);
	cache_key_step(parent, &r->steps[4], in2, k2);
	assert_memory_not_equal(k, k2, 32);
	cache_key_step(parent, &r->steps[4], NULL, k2);
	assert_memory_not_equal(k, k2, 32);
	recipe_free(r);
}

/* Keys of a chain: base key from the ISO, then each step on its parent. */
static size_t chain(const char *text, const uint8_t inputs[][32], bool other_iso, uint8_t keys[][32])
{
	struct recipe *r = parse(text);
	size_t n = r->n_steps;
	uint8_t iso[32];

	assert_true(n <= MAX_CHAIN);
	assert_int_equal(parse_sha256_hex(HEX, iso), 0);
	iso[7] ^= other_iso;
	cache_key_base(iso, "live-boot", keys[0]);
	for (size_t i = 1; i < n; i++)
		cache_key_step(keys[i - 1], &r->steps[i], inputs[i], keys[i]);
	recipe_free(r);
	return n;
}

static const char *const chain_lines[] = {
	"FROM ./a.iso sha256:" HEX, "RUN apt-get update", "COPY files/hello.txt /etc/hello.txt",
	"RUN echo \"built by labboot\" > /etc/motd", "PATCH rootfs p.diff", "RUN true",
};
#define CHAIN_LEN (sizeof(chain_lines) / sizeof(chain_lines[0]))

static void chain_text(char *buf, size_t size, size_t changed)
{
	size_t n = 0;

	/* the change: one more blank after the keyword, the text as written */
	for (size_t i = 0; i < CHAIN_LEN; i++) {
		const char *sp = strchr(chain_lines[i], ' ');
		n += (size_t)snprintf(buf + n, size - n, "%.*s%s%s\n", (int)(sp - chain_lines[i]), chain_lines[i],
				      i == changed ? "  " : " ", sp + 1);
	}
}

static void changing_step_k_changes_k_and_later(void **state)
{
	uint8_t inputs[MAX_CHAIN][32] = { { 0 } }, in2[MAX_CHAIN][32], keys[MAX_CHAIN][32], k2[MAX_CHAIN][32];
	char text[1024];
	size_t n;

	sha256_buf("hello", 5, inputs[2]);
	sha256_buf("p.diff", 6, inputs[4]);
	chain_text(text, sizeof(text), (size_t)-1);
	n = chain(text, (const uint8_t(*)[32])inputs, false, keys);
	assert_int_equal(n, CHAIN_LEN);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			assert_memory_not_equal(keys[i], keys[j], 32);

	/* the text of step k */
	for (size_t k = 1; k < n; k++) {
		chain_text(text, sizeof(text), k);
		assert_int_equal(chain(text, (const uint8_t(*)[32])inputs, false, k2), n);
		for (size_t i = 0; i < n; i++) {
			if (i < k)
				assert_memory_equal(keys[i], k2[i], 32);
			else
				assert_memory_not_equal(keys[i], k2[i], 32);
		}
	}
	/* the input digest of step k */
	chain_text(text, sizeof(text), (size_t)-1);
	for (size_t k = 2; k < n; k += 2) {
		memcpy(in2, inputs, sizeof(in2));
		in2[k][0] ^= 1;
		chain(text, (const uint8_t(*)[32])in2, false, k2);
		for (size_t i = 0; i < n; i++) {
			if (i < k)
				assert_memory_equal(keys[i], k2[i], 32);
			else
				assert_memory_not_equal(keys[i], k2[i], 32);
		}
	}
	/* another ISO changes every key */
	chain(text, (const uint8_t(*)[32])inputs, true, k2);
	for (size_t i = 0; i < n; i++)
		assert_memory_not_equal(keys[i], k2[i], 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha256_known_vectors),
		cmocka_unit_test(fields_are_length_prefixed),
		cmocka_unit_test(base_key_depends_on_iso_and_layout),
		cmocka_unit_test(step_key_depends_on_parent_text_and_inputs),
		cmocka_unit_test(changing_step_k_changes_k_and_later),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
