/* libFuzzer: the image recipe parser on arbitrary bytes. A recipe that
 * parses starts with FROM, has at most RECIPE_MAX_STEPS steps, each with its
 * text and the fields its instruction needs; a recipe that does not parse
 * says so as "NAME:LINE: message" (or "NAME: strerror" for ENOMEM). */
#include "image/cache_key.h"
#include "image/recipe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NAME "fuzz.recipe"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_step(const struct recipe_step *s, size_t i)
{
	if (!s->text || !s->text[0] || strlen(s->text) >= RECIPE_MAX_LINE)
		abort();
	if ((i == 0) != (s->op == RECIPE_FROM) || s->line == 0)
		abort();
	switch (s->op) {
	case RECIPE_FROM:
		if (!s->arg || !s->arg[0] || s->has_sha256 != (s->from_kind != RECIPE_FROM_IMAGE))
			abort();
		break;
	case RECIPE_COPY:
		if (!s->dest || s->dest[0] != '/' || s->n_sources == 0 || s->n_sources > RECIPE_MAX_COPY_SOURCES)
			abort();
		for (size_t j = 0; j < s->n_sources; j++)
			if (!s->sources[j] || !s->sources[j][0])
				abort();
		if (s->has_chmod && s->chmod > 07777)
			abort();
		break;
	case RECIPE_PATCH:
		if (!s->arg || (s->patch_target != RECIPE_PATCH_ROOTFS && s->patch_target != RECIPE_PATCH_INITRD))
			abort();
		break;
	case RECIPE_FEATURE:
		if (!s->arg || (unsigned)s->feature >= FEATURE_COUNT_)
			abort();
		break;
	case RECIPE_RUN:
	case RECIPE_CMDLINE:
		if (!s->arg || !s->arg[0])
			abort();
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recipe *r = NULL;
	char err[1024];
	uint8_t key[32] = { 0 };
	int rc;

	memset(err, 'x', sizeof(err));
	rc = recipe_parse(NAME, (const char *)data, size, &r, err, sizeof(err));
	if (rc == 0) {
		if (!r || r->n_steps == 0 || r->n_steps > RECIPE_MAX_STEPS || err[0] != '\0')
			abort();
		for (size_t i = 0; i < r->n_steps; i++) {
			check_step(&r->steps[i], i);
			cache_key_step(key, &r->steps[i], NULL, key);
		}
		recipe_free(r);
		return 0;
	}
	if (r || (rc != -EINVAL && rc != -ENOMEM) || !memchr(err, '\0', sizeof(err)))
		abort();
	if (strncmp(err, NAME ":", strlen(NAME ":")) != 0)
		abort();
	return 0;
}
