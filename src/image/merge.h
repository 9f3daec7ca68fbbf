/* Folding layers into one (see merge.c). LAYERS are the layers' own roots
 * (each squashfs mounted alone), the top one first; BELOW the roots of the
 * layers the result will sit on (only looked up, for whiteouts); OUT an
 * empty directory
 * that receives the merged layer: entries, whiteouts and opaque directories
 * as overlayfs would see them above whatever lies below. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define MERGE_MAX_LAYERS 300

struct merge_stats {
	uint64_t copied;
	uint64_t whiteouts;
};

int merge_layers(char **layers, size_t n, char **below, size_t n_below, const char *out, struct merge_stats *ret);
