/* One layer-making step (RUN, COPY, PATCH rootfs) executed in the sandbox
 * over the layers below it; its upper directory is then trimmed of what the
 * step did not really change and packed into a squashfs layer. */
#pragma once
#include <stdint.h>

#include "image/recipe.h"

struct step_ctx {
	const struct recipe_step *step;
	const char *recipe_dir;     /* COPY and PATCH paths are relative to it */
	int log_fd;                 /* command output */
	/* filled by the step */
	uint64_t pruned_files;      /* unchanged files dropped from the layer */
	uint64_t *shared_pruned;    /* internal */
};

/* Runs the step with the stack LOWERS (bottom first) and leaves its changes
 * in UPPER. WORK and SCRATCH are empty directories on UPPER's filesystem.
 * Returns 0, a positive exit status of a failed command, or -errno. */
int step_exec(struct step_ctx *ctx, const char *const *lowers, size_t n_lowers, const char *upper,
	      const char *work, const char *scratch);

/* Digest of what a step reads from the host (COPY sources, the PATCH file):
 * names, types, modes, sizes, link targets and contents, not mtimes. Returns
 * 1 with OUT filled, 0 when the step reads nothing, -errno (a source is
 * missing or unreadable). */
int step_inputs_digest(const struct recipe_step *s, const char *recipe_dir, uint8_t out[32]);

/* Resolves a recipe path against the recipe's directory. */
int recipe_path(char *buf, size_t size, const char *recipe_dir, const char *path);
