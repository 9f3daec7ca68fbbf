/* The builder's parts (build.c: steps and layers; build_base.c: what FROM
 * gives; build_publish.c: the version directory) share one build state. */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "image/build.h"
#include "image/image_store.h"
#include "image/iso_layout.h"
#include "image/recipe.h"

struct config;

#define BUILD_MAX_STACK (ISO_MAX_SQUASHFS + RECIPE_MAX_STEPS + 2)

struct layer {
	char path[PATH_MAX];       /* in the cache (or the base extraction) */
	char key[65];
	int step;                  /* recipe step index, -1 base, -2 features */
	uint64_t bytes;
	double seconds;
	bool cached;
	uint64_t pruned;
};

struct build {
	const struct build_opts *o;
	struct image_store store;
	struct recipe *recipe;
	char recipe_dir[PATH_MAX];
	char recipe_real[PATH_MAX];
	char name[IMAGE_NAME_MAX];
	char tmp_version[PATH_MAX];     /* ROOT/NAME/.tmp-XXXXXX */
	int log_fd;
	bool tty;
	/* base */
	char iso_path[PATH_MAX];
	char base_dir[PATH_MAX];
	struct iso_layout layout;
	uint8_t iso_sha[32];
	uint64_t iso_size;
	uint8_t base_key[32];           /* the key of the stack FROM gives */
	char base_rel[BUILD_MAX_STACK][ISO_PATH_MAX]; /* its squashfs, relative to base_dir */
	size_t n_base;
	char empty_layer[PATH_MAX];     /* FROM --empty: what replaces those layers */
	bool base_empty[BUILD_MAX_STACK];
	/* the stack, bottom first */
	struct layer layers[BUILD_MAX_STACK];
	size_t n_layers;
	uint8_t top_key[32];
	char cmdline[4096];
	char initrd[PATH_MAX];          /* the initrd a version links: the ISO's or a patched one */
	double t_start;
};

struct progress {
	struct build *b;
	const char *what;
	double start;
	uint64_t total;
};

void say(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double now_s(void);
void human(char *buf, size_t size, uint64_t bytes);
void show_progress(struct progress *p, uint64_t done);
int write_file(const char *path, const void *data, size_t len, mode_t mode);
int hash_whole_file(const char *path, uint8_t out[32], struct progress *pr);

/* Layers (build.c). */
unsigned pack_level(const struct config *cfg);
int pack(struct build *b, const char *dir, const char *out, struct layer *l);
int layer_path(struct build *b, const uint8_t key[32], char *out, size_t size);
void stack_paths(struct build *b, const char **paths);
int make_workdirs(struct build *b, char *top, char *upper, char *work, char *scratch);

/* The base FROM names: an ISO (read once, extracted into the cache), a URL,
 * or a built version (build_base.c). */
int prepare_base(struct build *b);
/* The version directory, made and published (build_publish.c). */
int publish(struct build *b);
