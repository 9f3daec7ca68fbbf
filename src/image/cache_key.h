/* Cache keys of build steps and the SHA-256 helpers they rest on. A step's
 * key is made of its parent's key, the instruction and a digest of every
 * file it reads, so changing step k changes the keys of k and what follows
 * and nothing before. Pure: the caller hashes files and passes digests. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "image/recipe.h"

#define CACHE_KEY_VERSION "labboot-layer-v1"

struct sha256_ctx;

/* Streaming SHA-256 (libcrypto). new returns NULL on OOM. */
struct sha256_ctx *sha256_new(void);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* Finishes into OUT and frees C. */
void sha256_final(struct sha256_ctx *c, uint8_t out[32]);
void sha256_free(struct sha256_ctx *c);
void sha256_buf(const void *data, size_t len, uint8_t out[32]);
/* Length-prefixed fields, so ("ab","c") and ("a","bc") differ. */
void sha256_field(struct sha256_ctx *c, const void *data, size_t len);
void sha256_str(struct sha256_ctx *c, const char *s);

/* The base layer: the ISO's content hash and the layout found in it. */
void cache_key_base(const uint8_t iso_sha256[32], const char *layout, uint8_t out[32]);
/* One step. INPUTS is the digest of the files the step reads (COPY sources,
 * the PATCH file), or NULL when it reads none. */
void cache_key_step(const uint8_t parent[32], const struct recipe_step *s, const uint8_t *inputs,
		    uint8_t out[32]);
