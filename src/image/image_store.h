/* The image store: ROOT/NAME/VERSION directories (one published version each:
 * kernel, initrds, the squashfs stack, meta.json, the recipe and the build
 * log), ROOT/NAME/current -> VERSION (the default, switched by an atomic
 * rename), and ROOT/.cache (ISO extractions, step layers, temp dirs) on the
 * same filesystem, so a version hard-links its layers instead of copying. */
#pragma once
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "image/fsutil.h"

#define IMAGE_NAME_MAX 64
#define IMAGE_VERSION_MAX 96
#define IMAGE_MAX_VERSIONS 1024

struct image_store {
	char root[PATH_MAX];
};

int image_store_init(struct image_store *s, const char *root);
/* NAME: letters, digits, '.', '_', '-'; not starting with '.'. */
bool image_name_valid(const char *name);

/* Serialises builds and removals of one image (flock, blocking). Returns the
 * lock's fd (close to release) or -errno. */
int image_store_lock(const struct image_store *s, const char *name);

/* "ROOT/NAME" or "ROOT/NAME/VERSION", "ROOT/.cache/SUB". */
int image_store_path(const struct image_store *s, char *buf, size_t size, const char *name, const char *version);
int image_store_cache_path(const struct image_store *s, char *buf, size_t size, const char *sub);

/* Publishes TMP_DIR (a directory inside ROOT/NAME) as VERSION: fsyncs its
 * files and renames it into place. -EEXIST if VERSION exists. */
int image_store_publish(const struct image_store *s, const char *name, const char *tmp_dir, const char *version);
/* The default version: reads or switches ROOT/NAME/current. */
int image_store_current(const struct image_store *s, const char *name, char *version, size_t size);
int image_store_set_current(const struct image_store *s, const char *name, const char *version);

/* Versions of NAME, oldest first (they sort by their timestamp). Returns the
 * count; VERSIONS[i] are malloc'd (free with image_store_free_list). */
int image_store_versions(const struct image_store *s, const char *name, char ***versions);
/* Image names in the store, sorted. */
int image_store_names(const struct image_store *s, char ***names);
void image_store_free_list(char **list, int n);

/* The version's meta.json (caller json_decref's). */
int image_store_meta(const struct image_store *s, const char *name, const char *version, json_t **ret);
/* Removes a version's directory (not the default). */
int image_store_remove(const struct image_store *s, const char *name, const char *version);
/* Resolves "NAME" (its default) or "NAME@VERSION" into NAME and VERSION. */
int image_store_resolve(const struct image_store *s, const char *ref, char name[IMAGE_NAME_MAX],
			char version[IMAGE_VERSION_MAX]);

