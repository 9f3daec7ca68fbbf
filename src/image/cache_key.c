/* Cache keys: SHA-256 over length-prefixed fields (see cache_key.h). */
#include "image/cache_key.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct sha256_ctx {
	EVP_MD_CTX *md;
};

struct sha256_ctx *sha256_new(void)
{
	struct sha256_ctx *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	c->md = EVP_MD_CTX_new();
	if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c->md);
		free(c);
		return NULL;
	}
	return c;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(c->md, data, len);
}

void sha256_free(struct sha256_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

void sha256_final(struct sha256_ctx *c, uint8_t out[32])
{
	unsigned n = 32;

	EVP_DigestFinal_ex(c->md, out, &n);
	sha256_free(c);
}

void sha256_buf(const void *data, size_t len, uint8_t out[32])
{
	unsigned n = 32;

	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void sha256_field(struct sha256_ctx *c, const void *data, size_t len)
{
	uint8_t n[8];

	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	sha256_update(c, n, sizeof(n));
	sha256_update(c, data, len);
}

void sha256_str(struct sha256_ctx *c, const char *s)
{
	sha256_field(c, s ? s : "", s ? strlen(s) : 0);
}

void cache_key_base(const uint8_t iso_sha256[32], const char *layout, uint8_t out[32])
{
	struct sha256_ctx *c = sha256_new();

	if (!c)
		abort(); /* libcrypto out of memory: nothing sensible to key on */
	sha256_str(c, CACHE_KEY_VERSION);
	sha256_str(c, "base");
	sha256_field(c, iso_sha256, 32);
	sha256_str(c, layout);
	sha256_final(c, out);
}

void cache_key_step(const uint8_t parent[32], const struct recipe_step *s, const uint8_t *inputs,
		    uint8_t out[32])
{
	static const uint8_t none[32];
	struct sha256_ctx *c = sha256_new();

	if (!c)
		abort();
	sha256_str(c, CACHE_KEY_VERSION);
	sha256_field(c, parent, 32);
	sha256_str(c, recipe_op_name(s->op));
	sha256_str(c, s->text);
	sha256_field(c, inputs ? inputs : none, 32);
	sha256_final(c, out);
}
