/* `labboot image build`: a recipe into a published image version. */
#pragma once
#include <stdbool.h>

struct config;

struct build_opts {
	const struct config *cfg;
	const char *recipe_path;
	const char *name;          /* NULL: the recipe file's name without ".recipe" */
	bool no_cache;             /* rerun every step */
	bool flatten;              /* publish one squashfs instead of the layer stack */
	bool merge;                /* publish the base and one layer of everything above it */
	bool no_promote;           /* keep the current default */
};

/* 0 on success (a new version, or "up to date"), -errno or -EINVAL (with a
 * message printed) on failure; nothing is published then. */
int image_build(const struct build_opts *o);
/* Parses RECIPE and checks the files it names (not the ISO's content):
 * "RECIPE:LINE: message" for each mistake, nothing run. */
int image_check(const char *recipe_path);
